/* SPDX-License-Identifier: MIT */
/* json.c - a small JSON reader: see json.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/errmsg.h"
#include "lib/utf8.h"
#include "runtime/json.h"

struct reader {
	const char *p, *end, *start;
	char **errmsg;
};

static int bad(struct reader *r, const char *what)
{
	size_t line = 1;
	const char *q;

	for (q = r->start; q < r->p && q < r->end; q++)
		line += *q == '\n';
	if (!*r->errmsg)
		xb_fail(r->errmsg, "line %zu: %s", line, what);
	return -1;
}

static void skip_space(struct reader *r)
{
	while (r->p < r->end && (*r->p == ' ' || *r->p == '\t' ||
				 *r->p == '\n' || *r->p == '\r'))
		r->p++;
}

static bool take(struct reader *r, const char *word)
{
	size_t n = strlen(word);

	if ((size_t)(r->end - r->p) < n || memcmp(r->p, word, n))
		return false;
	r->p += n;
	return true;
}

static int hex4(struct reader *r, unsigned *out)
{
	unsigned v = 0;
	int i;

	if (r->end - r->p < 4)
		return bad(r, "short \\u escape");
	for (i = 0; i < 4; i++) {
		char c = *r->p++;

		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= c - '0';
		else if (c >= 'a' && c <= 'f')
			v |= c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			v |= c - 'A' + 10;
		else
			return bad(r, "bad \\u escape");
	}
	*out = v;
	return 0;
}

static size_t put_utf8(char *o, unsigned c)
{
	if (c < 0x80) {
		o[0] = c;
		return 1;
	}
	if (c < 0x800) {
		o[0] = 0xc0 | c >> 6;
		o[1] = 0x80 | (c & 0x3f);
		return 2;
	}
	if (c < 0x10000) {
		o[0] = 0xe0 | c >> 12;
		o[1] = 0x80 | (c >> 6 & 0x3f);
		o[2] = 0x80 | (c & 0x3f);
		return 3;
	}
	o[0] = 0xf0 | c >> 18;
	o[1] = 0x80 | (c >> 12 & 0x3f);
	o[2] = 0x80 | (c >> 6 & 0x3f);
	o[3] = 0x80 | (c & 0x3f);
	return 4;
}

/* At the opening quote. The result is never longer than the input. */
static int read_string(struct reader *r, char **out)
{
	const char *q = ++r->p;
	char *s, *o;

	while (q < r->end && *q != '"')
		q += *q == '\\' ? 2 : 1;
	if (q >= r->end)
		return bad(r, "unterminated string");
	s = o = malloc(q - r->p + 1);
	if (!s)
		return bad(r, "out of memory");
	*out = s;
	while (*r->p != '"') {
		unsigned char c = *r->p++;
		unsigned u, lo;

		if (c < 0x20)
			return bad(r, "control character in a string");
		if (c >= 0x80) {        /* JSON text is UTF-8 (RFC 8259) */
			size_t len = xb_utf8_len((const unsigned char *)r->p - 1,
					      (size_t)(r->end - r->p) + 1, NULL);

			if (!len)
				return bad(r, "a byte that is not UTF-8 in a string");
			memcpy(o, r->p - 1, len);
			o += len;
			r->p += len - 1;
			continue;
		}
		if (c != '\\') {
			*o++ = c;
			continue;
		}
		switch (*r->p++) {
		case '"': *o++ = '"'; break;
		case '\\': *o++ = '\\'; break;
		case '/': *o++ = '/'; break;
		case 'b': *o++ = '\b'; break;
		case 'f': *o++ = '\f'; break;
		case 'n': *o++ = '\n'; break;
		case 'r': *o++ = '\r'; break;
		case 't': *o++ = '\t'; break;
		case 'u':
			if (hex4(r, &u))
				return -1;
			if (u >= 0xd800 && u < 0xdc00) {
				if (!take(r, "\\u") || hex4(r, &lo) ||
				    lo < 0xdc00 || lo > 0xdfff)
					return bad(r, "lone surrogate in \\u escape");
				u = 0x10000 + ((u - 0xd800) << 10) + (lo - 0xdc00);
			} else if (u >= 0xdc00 && u < 0xe000) {
				return bad(r, "lone surrogate in \\u escape");
			}
			if (!u)
				return bad(r, "NUL in a string");
			o += put_utf8(o, u);
			break;
		default:
			return bad(r, "bad escape in a string");
		}
	}
	r->p++;
	*o = '\0';
	return 0;
}

/* The length of the JSON number at p (RFC 8259:
 * -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?), or 0 if there is none. */
static size_t number_len(const char *p)
{
	const char *q = p;

	if (*q == '-')
		q++;
	if (*q == '0')
		q++;
	else if (*q >= '1' && *q <= '9')
		while (*q >= '0' && *q <= '9')
			q++;
	else
		return 0;
	if (*q == '.') {
		if (!(q[1] >= '0' && q[1] <= '9'))
			return 0;
		for (q++; *q >= '0' && *q <= '9'; q++)
			;
	}
	if (*q == 'e' || *q == 'E') {
		q++;
		if (*q == '+' || *q == '-')
			q++;
		if (!(*q >= '0' && *q <= '9'))
			return 0;
		while (*q >= '0' && *q <= '9')
			q++;
	}
	return (size_t)(q - p);
}

static int read_value(struct reader *r, struct xb_json *v, int depth);

static int grow(struct reader *r, struct xb_json *v, size_t *cap, bool keys)
{
	size_t want = *cap ? *cap * 2 : 8;
	struct xb_json *items;
	char **k;

	if (v->n < *cap)
		return 0;
	items = realloc(v->items, want * sizeof(*v->items));
	if (!items)
		return bad(r, "out of memory");
	v->items = items;
	if (keys) {
		k = realloc(v->keys, want * sizeof(*v->keys));
		if (!k)
			return bad(r, "out of memory");
		v->keys = k;
	}
	*cap = want;
	return 0;
}

/* At '[' or '{'. */
static int read_list(struct reader *r, struct xb_json *v, int depth)
{
	bool object = *r->p == '{';
	char close = object ? '}' : ']';
	size_t cap = 0;

	if (depth >= XB_JSON_MAX_DEPTH)
		return bad(r, "nested too deeply");
	v->type = object ? XB_JSON_OBJECT : XB_JSON_ARRAY;
	r->p++;
	skip_space(r);
	if (r->p < r->end && *r->p == close) {
		r->p++;
		return 0;
	}
	for (;;) {
		if (grow(r, v, &cap, object))
			return -1;
		memset(&v->items[v->n], 0, sizeof(v->items[v->n]));
		if (object) {
			v->keys[v->n] = NULL;
			skip_space(r);
			if (r->p >= r->end || *r->p != '"') {
				v->n++;    /* so that free sees the NULL key */
				return bad(r, "expected a member name");
			}
			if (read_string(r, &v->keys[v->n])) {
				v->n++;
				return -1;
			}
			skip_space(r);
			if (r->p >= r->end || *r->p != ':') {
				v->n++;
				return bad(r, "expected ':'");
			}
			r->p++;
		}
		v->n++;
		if (read_value(r, &v->items[v->n - 1], depth + 1))
			return -1;
		skip_space(r);
		if (r->p < r->end && *r->p == ',') {
			r->p++;
			continue;
		}
		if (r->p < r->end && *r->p == close) {
			r->p++;
			return 0;
		}
		return bad(r, object ? "expected ',' or '}'" : "expected ',' or ']'");
	}
}

static int read_value(struct reader *r, struct xb_json *v, int depth)
{
	char *end;

	skip_space(r);
	if (r->p >= r->end)
		return bad(r, "unexpected end");
	switch (*r->p) {
	case '{':
	case '[':
		return read_list(r, v, depth);
	case '"':
		v->type = XB_JSON_STRING;
		return read_string(r, &v->string);
	case 't':
	case 'f':
		v->type = XB_JSON_BOOL;
		v->boolean = *r->p == 't';
		if (!take(r, v->boolean ? "true" : "false"))
			return bad(r, "unknown word");
		return 0;
	case 'n':
		if (!take(r, "null"))
			return bad(r, "unknown word");
		v->type = XB_JSON_NULL;
		return 0;
	default:
		if (!strchr("-0123456789", *r->p))
			return bad(r, "unexpected character");
		/* strtod reads more than JSON has ("-inf", "0x1p3", "1."):
		 * the text must be a JSON number up to where strtod stops
		 * (the caller's copy is NUL-terminated) */
		errno = 0;
		v->type = XB_JSON_NUMBER;
		v->number = strtod(r->p, &end);
		if (end == r->p || end > r->end || errno ||
		    number_len(r->p) != (size_t)(end - r->p))
			return bad(r, "bad number");
		r->p = end;
		return 0;
	}
}

int xb_json_parse(const char *text, size_t len, struct xb_json *out,
		  char **errmsg)
{
	char *copy = malloc(len + 1);
	struct reader r;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	*errmsg = NULL;
	if (!copy)
		return xb_fail(errmsg, "out of memory");
	memcpy(copy, text, len);
	copy[len] = '\0';
	if (memchr(copy, '\0', len)) {
		xb_fail(errmsg, "NUL byte in JSON text");
		goto out;
	}
	r = (struct reader){ copy, copy + len, copy, errmsg };
	if (read_value(&r, out, 0))
		goto out;
	skip_space(&r);
	if (r.p != r.end) {
		bad(&r, "text after the value");
		goto out;
	}
	rc = 0;
out:
	free(copy);
	return rc;
}

void xb_json_free(struct xb_json *j)
{
	size_t i;

	if (!j)
		return;
	for (i = 0; i < j->n; i++) {
		xb_json_free(&j->items[i]);
		if (j->keys)
			free(j->keys[i]);
	}
	free(j->items);
	free(j->keys);
	free(j->string);
	memset(j, 0, sizeof(*j));
}

const struct xb_json *xb_json_get(const struct xb_json *j, const char *key)
{
	size_t i;

	if (!j || j->type != XB_JSON_OBJECT)
		return NULL;
	for (i = 0; i < j->n; i++)
		if (j->keys[i] && !strcmp(j->keys[i], key))
			return &j->items[i];
	return NULL;
}

const char *xb_json_str(const struct xb_json *j, const char *key,
			const char *def)
{
	const struct xb_json *v = xb_json_get(j, key);

	return v && v->type == XB_JSON_STRING ? v->string : def;
}

double xb_json_num(const struct xb_json *j, const char *key, double def)
{
	const struct xb_json *v = xb_json_get(j, key);

	return v && v->type == XB_JSON_NUMBER ? v->number : def;
}

bool xb_json_bool(const struct xb_json *j, const char *key, bool def)
{
	const struct xb_json *v = xb_json_get(j, key);

	return v && v->type == XB_JSON_BOOL ? v->boolean : def;
}
