/* SPDX-License-Identifier: MIT */
/* fmt.c - `xenbakec --fmt`: a source in canonical layout, the one `xenbake
 * dump` writes, with its comments. It works on the token stream, not the
 * tree: the tree has no comments, and has resolved nothing the formatter
 * must keep as written (let, include, ${name}). The file has been parsed
 * without errors first, so the tokens follow the grammar and a statement
 * is the run of tokens up to its ';' (a block's head up to '{').
 *
 * The layout: one statement per line, four spaces inside a block, one
 * space between tokens ("key" = "value";), `HEAD { }` for an empty block;
 * a comment on the line of the token before it stays there, after one
 * space; any other comment on a line of its own, indented like the
 * statements around it (one written inside a statement goes before it);
 * blank lines kept where there was at least one, as one, but none after
 * '{', before '}' or at the start. Strings are rewritten with dump's
 * escapes (same bytes, so the same value), except include paths, kept as
 * written. Physical positions throughout: "#@" lines are kept, not obeyed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "grammar/parse.h"
#include "grammar/parser.h"
#include "grammar/lexer.h"

#define COMMENT (-1)                 /* an element that is no token */

/* A token or a comment, in source order */
struct elem {
	int type;                    /* the token, or COMMENT */
	char *text;                  /* names, strings (raw), comments; in
				        the arena */
	size_t len;
	struct xbc_span loc;         /* physical */
};

struct elems {
	struct elem *v;
	size_t n, cap;
	bool oom;
};

static struct elem *add(struct elems *es)
{
	struct elem *v;
	size_t cap;

	if (es->n == es->cap) {
		cap = es->cap ? 2 * es->cap : 256;
		v = realloc(es->v, cap * sizeof(*v));
		if (!v) {
			es->oom = true;
			return NULL;
		}
		es->v = v;
		es->cap = cap;
	}
	return &es->v[es->n++];
}

/* The scanner's comment hook: kept without its trailing blanks (a CR of a
 * CRLF file among them). */
static void on_comment(struct xbc_scan *s, const char *text, size_t len,
		       const struct xbc_span *loc)
{
	struct elems *es = s->comment_arg;
	struct elem *e;

	while (len && (text[len - 1] == ' ' || text[len - 1] == '\t' ||
		       text[len - 1] == '\r'))
		len--;
	e = add(es);
	if (!e)
		return;
	/* a NUL byte too: kept as it is */
	*e = (struct elem){ COMMENT, xbc_arena_strndup(s->c, text, len), len,
			    *loc };
	if (!e->text) {
		es->n--;
		es->oom = true;
	}
}

static const char *keyword(int t)
{
	switch (t) {
	case LET:		return "let";
	case INCLUDE:		return "include";
	case VM:		return "vm";
	case SR:		return "sr";
	case NETWORK:		return "network";
	case PIF:		return "pif";
	case UUID:		return "uuid";
	case MATCH:		return "match";
	case HOST:		return "host";
	case OPTIONAL:		return "optional";
	case VM_DATA:		return "vm-data";
	case XENSTORE_DATA:	return "xenstore-data";
	case OTHER_CONFIG:	return "other-config";
	case HIDE:		return "hide-from-xencenter";
	case NAME_LABEL:	return "name-label";
	case I18N_KEY:		return "i18n-key";
	case POOL:		return "pool";
	case NAME_DESCRIPTION:	return "name-description";
	case TAG:		return "tag";
	case VLAN:		return "vlan";
	case FOR:		return "for";
	case IN:		return "in";
	case TEMPLATE:		return "template";
	case USE:		return "use";
	case FILE_KW:		return "file";
	case SECRET_KW:		return "secret";
	case SEALED_KW:		return "sealed";
	case ONCE:		return "once";
	case OWNER:		return "owner";
	case ',':		return ",";
	case '=':		return "=";
	case ';':		return ";";
	case '{':		return "{";
	case '}':		return "}";
	}
	return NULL;
}

/* ---- strings ------------------------------------------------------------ */

/* Bytes of a string's value as dump writes them (runtime/dump.c). */
static void put_bytes(struct xb_buf *b, const unsigned char *p, size_t n)
{
	char hex[5];
	size_t i, k;

	for (i = 0; i < n; i++) {
		switch (p[i]) {
		case '\\':
			xb_buf_str(b, "\\\\");
			continue;
		case '"':
			xb_buf_str(b, "\\\"");
			continue;
		case '\n':
			xb_buf_str(b, "\\n");
			continue;
		case '\t':
			xb_buf_str(b, "\\t");
			continue;
		case '$':
			xb_buf_str(b, "$$");
			continue;
		}
		if (p[i] >= 0x20 && p[i] < 0x7f) {
			xb_buf_add(b, (const char *)p + i, 1);
		} else if (p[i] >= 0x80 && (k = xb_utf8_len(p + i, n - i,
							      NULL))) {
			xb_buf_add(b, (const char *)p + i, k);
			i += k - 1;
		} else {
			snprintf(hex, sizeof(hex), "\\x%02x", p[i]);
			xb_buf_str(b, hex);
		}
	}
}

/* The raw string of e, canonical, between quotes: escapes decoded and
 * written again the one way dump writes them, each ${name} kept as it is.
 * Read as resolve reads it, with its errors, so that a file that would not
 * compile is not rewritten into one that might. */
static int put_string(struct xbc *c, struct xb_buf *b, const struct elem *e)
{
	unsigned char *seg = malloc(e->len + 1);   /* value bytes so far */
	struct xbc_piece p;
	size_t i, n = 0;
	int ret = -1;

	if (!seg) {
		b->oom = true;
		return -1;
	}
	xb_buf_str(b, "\"");
	for (i = 0; xbc_str_piece(c, e->text, &e->loc.start, i, &p) != XBC_PIECE_END;
	     i += p.len) {
		if (p.kind == XBC_PIECE_ERROR)
			goto out;
		if (p.kind == XBC_PIECE_CONSTANT) {
			put_bytes(b, seg, n);
			n = 0;
			xb_buf_add(b, e->text + i, p.len);
		} else if (p.kind == XBC_PIECE_TEXT) {
			memcpy(seg + n, e->text + i, p.len);
			n += p.len;
		} else {
			seg[n++] = p.byte;
		}
	}
	put_bytes(b, seg, n);
	xb_buf_str(b, "\"");
	ret = 0;
out:
	free(seg);
	return ret;
}

/* An i18n key that the scanner reads back as a name, unquoted as dump
 * writes it: s is canonical, "..." included. */
static bool bare_key(const char *s, size_t len)
{
	static const int words[] = {
		LET, INCLUDE, VM, SR, NETWORK, PIF, UUID, HOST, OPTIONAL,
		VM_DATA, XENSTORE_DATA, OTHER_CONFIG, HIDE, NAME_LABEL,
		I18N_KEY, FOR, IN, TEMPLATE, USE, FILE_KW, POOL,
		NAME_DESCRIPTION, TAG, OWNER,
	};
	size_t i;

	if (len < 3)
		return false;
	for (i = 1; i < len - 1; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		      s[i] == '_' ||
		      (i > 1 && ((s[i] >= '0' && s[i] <= '9') || s[i] == '-'))))
			return false;
	for (i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (strlen(keyword(words[i])) == len - 2 &&
		    !strncmp(keyword(words[i]), s + 1, len - 2))
			return false;   /* a keyword is no name */
	return true;
}

/* ---- layout ------------------------------------------------------------- */

struct layout {
	struct xbc *c;
	struct xb_buf out;
	int depth;                   /* of braces: a block, a for, a template */
	bool line_open;              /* the last line has no '\n' yet */
	bool after_brace;            /* the last thing written is "{" */
	int last_line;               /* of the last element written */
};

static void indent(struct layout *l)
{
	int i;

	for (i = 0; i < l->depth; i++)
		xb_buf_str(&l->out, "    ");
}

static void end_line(struct layout *l)
{
	if (l->line_open)
		xb_buf_str(&l->out, "\n");
	l->line_open = false;
}

/* Starts a line for e: a blank one before it if the source had one. */
static void new_line(struct layout *l, const struct elem *e, bool closing)
{
	bool blank = l->out.len && !l->after_brace && !closing &&
		     e->loc.start.first_line > l->last_line + 1;

	end_line(l);
	if (blank)
		xb_buf_str(&l->out, "\n");
	indent(l);
	l->after_brace = false;
}

static void put_comment(struct layout *l, const struct elem *e)
{
	xb_buf_add(&l->out, e->text, e->len);
	l->last_line = e->loc.last_line;
}

/* One statement (or let, include, head): tokens v[0..n), v[0] the first;
 * the comments among them go on lines of their own before it. */
static int put_unit(struct layout *l, const struct elem *v, size_t n)
{
	struct xb_buf *b = &l->out;
	size_t i, start;
	bool first = true;
	const char *kw;

	new_line(l, &v[0], false);
	for (i = 1; i < n; i++) {
		if (v[i].type != COMMENT)
			continue;
		if (!strncmp(v[i].text, "#@", 2)) {
			/* it says where the next token is: moving it would
			   move a position the blob records */
			xbc_report(l->c, CHECK_SYNTAX, &v[i].loc.start, "a position "
				   "line inside a statement: --fmt keeps one "
				   "only before a statement or a block");
			return -1;
		}
		if (!first) {
			xb_buf_str(b, "\n");
			indent(l);
		}
		put_comment(l, &v[i]);
		first = false;
	}
	if (!first) {
		xb_buf_str(b, "\n");
		indent(l);
	}
	first = true;
	for (i = 0; i < n; i++) {
		if (v[i].type == COMMENT)
			continue;
		if (!first && v[i].type != ';' && v[i].type != ',')
			xb_buf_str(b, " ");
		kw = keyword(v[i].type);
		if (kw) {
			xb_buf_str(b, kw);
		} else if (v[i].type == IDENT || v[i].type == NUMBER ||
			   v[i].type == RANGE) {
			xb_buf_add(b, v[i].text, v[i].len);
		} else if (v[0].type == INCLUDE) {
			/* the path is read as written: no escapes there */
			xb_buf_str(b, "\"");
			xb_buf_add(b, v[i].text, v[i].len);
			xb_buf_str(b, "\"");
		} else {
			start = b->len;
			if (put_string(l->c, b, &v[i]))
				return -1;
			if (v[0].type == I18N_KEY && !b->oom &&
			    bare_key(b->p + start, b->len - start)) {
				memmove(b->p + start, b->p + start + 1,
					b->len - start - 2);
				b->len -= 2;
				b->p[b->len] = '\0';
			}
		}
		first = false;
		l->last_line = v[i].loc.last_line;
	}
	l->line_open = true;
	l->after_brace = v[n - 1].type == '{';
	if (v[n - 1].type == '{')
		l->depth++;
	return 0;
}

/* Lays out v[0..n), all but an unfinished statement at its end: *done
 * elements. */
static int layout(struct layout *l, const struct elem *v, size_t n,
		  size_t *done)
{
	size_t i, start = 0;
	bool in_unit = false;
	int t;

	for (i = 0; i < n; i++) {
		t = v[i].type;
		if (in_unit) {
			if (t == ';' || t == '{') {
				if (put_unit(l, v + start, i + 1 - start))
					return -1;
				in_unit = false;
			}
			continue;
		}
		if (t == COMMENT && l->line_open &&
		    v[i].loc.start.first_line == l->last_line) {
			xb_buf_str(&l->out, " ");            /* trailing */
			put_comment(l, &v[i]);
			end_line(l);
			l->after_brace = false;
		} else if (t == COMMENT) {
			new_line(l, &v[i], false);
			put_comment(l, &v[i]);
			l->line_open = true;
		} else if (t == '}' && l->line_open && l->after_brace) {
			xb_buf_str(&l->out, " }");           /* an empty block */
			if (l->depth)
				l->depth--;
			l->after_brace = false;
			l->last_line = v[i].loc.last_line;
		} else if (t == '}') {
			if (l->depth)
				l->depth--;
			new_line(l, &v[i], true);
			xb_buf_str(&l->out, "}");
			l->line_open = true;
			l->last_line = v[i].loc.last_line;
		} else {
			start = i;
			in_unit = true;
		}
	}
	*done = in_unit ? start : n;
	return 0;
}

/* Lays out what es holds and lets it go. */
static int flush(struct layout *l, struct elems *es)
{
	size_t done = 0;

	if (layout(l, es->v, es->n, &done))
		return -1;
	if (!done)
		return 0;           /* es->v may be NULL yet */
	memmove(es->v, es->v + done, (es->n - done) * sizeof(*es->v));
	es->n -= done;
	return 0;
}

/* Every token and comment of the main file, laid out a statement at a
 * time, so that the formatter holds one statement, never the file (the
 * texts themselves stay in the arena until the end). */
static int scan(struct xbc *c, struct xbc_file *f, struct layout *l,
		struct elems *es)
{
	struct xbc_scan s = { .c = c, .file = f->name, .line = 1,
			      .line_start = f->text,
			      .comment = on_comment, .comment_arg = es };
	yyscan_t scanner = NULL;
	YY_BUFFER_STATE buf;
	YYSTYPE val;
	YYLTYPE loc;
	struct elem *e;
	int t, ret = -1;

	if (yylex_init_extra(&s, &scanner))
		return -1;
	/* the parser's buffer: flex puts back every byte it borrows */
	buf = yy_scan_buffer(f->text, f->len + 2, scanner);
	if (!buf)
		goto out;
	while (!es->oom && (t = yylex(&val, &loc, scanner)) > 0) {
		if (t != STRING && t != IDENT && t != NUMBER && t != RANGE)
			val.tok.text = NULL;
		e = add(es);
		if (!e)
			break;
		/* a string ends at a NUL byte for the compiler too */
		*e = (struct elem){ t, val.tok.text,
				    val.tok.text ? strlen(val.tok.text) : 0, loc };
		if ((t == ';' || t == '{' || t == '}') && flush(l, es))
			goto done;
	}
	if (!es->oom && !c->stop && !flush(l, es)) {
		end_line(l);
		ret = 0;
	}
done:
	yy_delete_buffer(buf, scanner);
out:
	yylex_destroy(scanner);
	return ret;
}

int xbc_format(struct xbc *c, char **out, size_t *len)
{
	struct layout l = { .c = c };
	struct elems es = { 0 };
	int ret = -1;

	if (!c->main_file || !c->main_file->text)
		return -1;
	if (scan(c, c->main_file, &l, &es) || l.out.oom)
		goto out;
	if (!l.out.p && !(l.out.p = strdup(""))) {
		l.out.oom = true;
		goto out;
	}
	*out = l.out.p;
	*len = l.out.len;
	l.out.p = NULL;
	ret = 0;
out:
	if (es.oom || l.out.oom)
		c->out_of_memory = true;
	free(es.v);
	free(l.out.p);
	return ret;
}
