/* SPDX-License-Identifier: MIT */
/* strlit.c - a string literal's raw text, one piece at a time: what both
 * resolve (which makes its value) and fmt (which writes it again, each
 * ${name} kept) read, so that both accept and reject the same strings with
 * the same errors. */
#include <stdint.h>
#include <string.h>

#include "compiler/compiler.h"

struct xbc_loc xbc_str_loc(const struct xbc_loc *quote, size_t off)
{
	struct xbc_loc loc = *quote;

	loc.first_column += 1 + (int)off;
	return loc;
}

static int hexval(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

enum xbc_piece_kind xbc_str_piece(struct xbc *c, const char *raw,
				  const struct xbc_loc *quote, size_t off,
				  struct xbc_piece *p)
{
	const char *r = raw + off;
	struct xbc_diag *d;
	struct xbc_loc loc;
	const char *end;
	int hi, lo;

	p->off = off;
	p->len = 1;
	if (!r[0])
		return p->kind = XBC_PIECE_END;
	if (r[0] != '\\' && r[0] != '$') {
		p->len = strcspn(r, "\\$");
		return p->kind = XBC_PIECE_TEXT;
	}
	p->kind = XBC_PIECE_BYTE;
	if (r[0] == '\\') {
		char ch = r[1];

		p->len = 2;
		if (ch == '"' || ch == '\\') {
			p->byte = (unsigned char)ch;
		} else if (ch == 'n' || ch == 't' || ch == 'r') {
			p->byte = ch == 'n' ? '\n' : ch == 't' ? '\t' : '\r';
		} else if (ch == 'x' && (hi = hexval(r[2])) >= 0 &&
			   (lo = hexval(r[3])) >= 0) {
			p->byte = (unsigned char)(hi << 4 | lo);
			p->len = 4;
		} else {
			loc = xbc_str_loc(quote, off);
			d = (unsigned char)ch > 0x20 && (unsigned char)ch < 0x7f ?
				xbc_report(c, CHECK_SYNTAX, &loc,
					   "unknown escape '\\%c'", ch) :
				xbc_report(c, CHECK_SYNTAX, &loc,
					   "unknown escape: '\\' then byte 0x%02x",
					   (unsigned char)ch);
			xbc_hint(c, d, "the escapes are \\\" \\\\ \\n \\r \\t and "
				 "\\xHH");
			return p->kind = XBC_PIECE_ERROR;
		}
	} else if (r[0] == '$' && r[1] == '$') {
		p->byte = '$';
		p->len = 2;
	} else if (r[0] == '$' && r[1] == '{') {
		end = strchr(r + 2, '}');
		if (!end || end == r + 2) {
			loc = xbc_str_loc(quote, off);
			xbc_report(c, CHECK_SYNTAX, &loc,
				   "'${' without a name and a closing '}'");
			return p->kind = XBC_PIECE_ERROR;
		}
		p->len = (size_t)(end - r) + 1;
		return p->kind = XBC_PIECE_CONSTANT;
	} else {
		loc = xbc_str_loc(quote, off);   /* a '$' alone */
		d = xbc_report(c, CHECK_SYNTAX, &loc, "a lone '$'");
		xbc_hint(c, d, "write $$ for a dollar sign, ${name} for a "
			 "constant");
		return p->kind = XBC_PIECE_ERROR;
	}
	return p->kind;
}
