/* SPDX-License-Identifier: MIT */
/* xmlrpc.c - XML-RPC values, requests and untrusted replies (libxml2). */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/SAX2.h>

#include "lib/buf.h"
#include "lib/errmsg.h"
#include "runtime/netlibs.h"
#include "runtime/xmlrpc.h"


/* ---- values ---- */

void xr_value_free(struct xr_value *v)
{
	size_t i;

	if (!v)
		return;
	free(v->str);
	for (i = 0; v->items && i < v->n; i++)
		xr_value_free(&v->items[i]);
	for (i = 0; v->names && i < v->n; i++)
		free(v->names[i]);
	free(v->items);
	free(v->names);
	memset(v, 0, sizeof(*v));
}

const char *xr_clip(char out[XR_CLIP_SIZE], const char *s, size_t max)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)s;
	size_t o = 0, i = 0;

	if (max > XR_CLIP_SIZE - 8)
		max = XR_CLIP_SIZE - 8;
	while (p[i] && o < max) {
		unsigned char c = p[i];
		size_t n = c < 0x80 ? 1 : c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2;

		/* C0 and C1 controls and DEL, as \xNN: none reaches a
		 * terminal or a log as a control */
		if (c < 0x20 || c == 0x7f || c == '\\' ||
		    (c == 0xc2 && p[i + 1] >= 0x80 && p[i + 1] < 0xa0)) {
			if (o + 4 > max)
				break;
			out[o++] = '\\';
			out[o++] = 'x';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 15];
			i++;
			continue;
		}
		if (o + n > max)
			break;
		while (n-- && p[i])
			out[o++] = (char)p[i++];
	}
	if (p[i])
		memcpy(out + o, "...", 4);
	else
		out[o] = '\0';
	return out;
}

const char *xr_type_name(enum xr_type type)
{
	switch (type) {
	case XR_NIL: return "nil";
	case XR_STRING: return "string";
	case XR_INT: return "int";
	case XR_BOOL: return "boolean";
	case XR_DOUBLE: return "double";
	case XR_DATETIME: return "dateTime.iso8601";
	case XR_BASE64: return "base64";
	case XR_ARRAY: return "array";
	case XR_STRUCT: return "struct";
	}
	return "?";
}

const char *xr_type_phrase(enum xr_type type)
{
	switch (type) {
	case XR_NIL: return "nil";
	case XR_STRING: return "a string";
	case XR_INT: return "an int";
	case XR_BOOL: return "a boolean";
	case XR_DOUBLE: return "a double";
	case XR_DATETIME: return "a dateTime.iso8601";
	case XR_BASE64: return "a base64";
	case XR_ARRAY: return "an array";
	case XR_STRUCT: return "a struct";
	}
	return "a value of unknown type";
}

int xr_set_string(struct xr_value *v, const char *s)
{
	char *copy = strdup(s);

	if (!copy)
		return -1;
	xr_value_free(v);
	v->type = XR_STRING;
	v->str = copy;
	return 0;
}

void xr_set_struct(struct xr_value *v)
{
	xr_value_free(v);
	v->type = XR_STRUCT;
}

int xr_struct_add_string(struct xr_value *v, const char *name, const char *s)
{
	struct xr_value *items;
	char **names;
	char *name_copy = NULL;
	struct xr_value value = { .type = XR_NIL };

	if (v->type != XR_STRUCT || v->n >= SIZE_MAX / sizeof(*items) - 1)
		return -1;
	items = realloc(v->items, (v->n + 1) * sizeof(*items));
	if (!items)
		return -1;
	v->items = items;
	names = realloc(v->names, (v->n + 1) * sizeof(*names));
	if (!names)
		return -1;
	v->names = names;
	name_copy = strdup(name);
	if (!name_copy || xr_set_string(&value, s)) {
		free(name_copy);
		return -1;
	}
	v->names[v->n] = name_copy;
	v->items[v->n] = value;
	v->n++;
	return 0;
}

const struct xr_value *xr_struct_get(const struct xr_value *v,
				     const char *name)
{
	size_t i;

	if (!v || v->type != XR_STRUCT)
		return NULL;
	for (i = 0; i < v->n; i++)
		if (!strcmp(v->names[i], name))
			return &v->items[i];
	return NULL;
}

/* ---- encoding ---- */

bool xr_xml_safe(const char *s, size_t len, const char **why, size_t *offset)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;

	while (i < len) {
		unsigned char c = p[i];
		uint32_t cp, min;
		size_t more, k;

		if (c < 0x80) {
			if (c < 0x20 && c != '\t' && c != '\n' && c != '\r') {
				*why = c ? "a control character XML cannot "
					   "carry" : "a NUL byte";
				*offset = i;
				return false;
			}
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			more = 1; cp = c & 0x1f; min = 0x80;
		} else if (c >= 0xe0 && c <= 0xef) {
			more = 2; cp = c & 0x0f; min = 0x800;
		} else if (c >= 0xf0 && c <= 0xf4) {
			more = 3; cp = c & 0x07; min = 0x10000;
		} else {
			*why = "invalid UTF-8";
			*offset = i;
			return false;
		}
		for (k = 1; k <= more; k++) {
			if (i + k >= len || (p[i + k] & 0xc0) != 0x80) {
				*why = i + k >= len ? "truncated UTF-8" :
						      "invalid UTF-8";
				*offset = i;
				return false;
			}
			cp = cp << 6 | (p[i + k] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff ||
		    (cp >= 0xd800 && cp <= 0xdfff)) {
			*why = "invalid UTF-8 (overlong, surrogate or too "
			       "large)";
			*offset = i;
			return false;
		}
		if (cp == 0xfffe || cp == 0xffff) {
			*why = "a non-character XML cannot carry "
			       "(U+FFFE/U+FFFF)";
			*offset = i;
			return false;
		}
		i += more + 1;
	}
	return true;
}

/* The text of a request around its params; xr_call_size() counts them. */
#define CALL_HEAD     "<?xml version=\"1.0\"?>\n<methodCall><methodName>"
#define CALL_PARAMS   "</methodName><params>"
#define CALL_TAIL     "</params></methodCall>\n"
#define PARAM_OPEN    "<param>"
#define PARAM_CLOSE   "</param>"
#define VALUE_OPEN    "<value>"
#define VALUE_CLOSE   "</value>"
#define LIT_LEN(lit)  (sizeof(lit) - 1)

/* What character c becomes in XML text: &, <, > and CR (which an XML
 * parser would turn into LF) escaped; NULL: itself. */
static const char *text_escape(char c)
{
	switch (c) {
	case '&': return "&amp;";
	case '<': return "&lt;";
	case '>': return "&gt;";
	case '\r': return "&#13;";
	}
	return NULL;
}

/* a + b, or SIZE_MAX when it does not fit */
static size_t size_add(size_t a, size_t b)
{
	return a > SIZE_MAX - b ? SIZE_MAX : a + b;
}

/* The bytes buf_text() makes of s. */
static size_t text_size(const char *s)
{
	size_t n = 0;
	const char *rep;

	for (; *s; s++)
		n = size_add(n, (rep = text_escape(*s)) ? strlen(rep) : 1);
	return n;
}

static int buf_text(struct xb_buf *b, const char *s, const char *what,
		    char **errmsg)
{
	size_t len = strlen(s), i, start = 0, offset;
	const char *why, *rep;

	if (!xr_xml_safe(s, len, &why, &offset))
		return xb_fail(errmsg, "cannot send %s: %s at byte %zu", what, why,
			    offset);
	for (i = 0; i < len; i++) {
		if (!(rep = text_escape(s[i])))
			continue;
		xb_buf_add(b, s + start, i - start);
		xb_buf_str(b, rep);
		start = i + 1;
	}
	xb_buf_add(b, s + start, len - start);
	return 0;
}

static int encode_value(struct xb_buf *b, const struct xr_value *v, int depth,
			char **errmsg)
{
	char num[64];
	size_t i;

	if (depth > XR_MAX_DEPTH)
		return xb_fail(errmsg, "cannot send a value nested deeper than %d",
			    XR_MAX_DEPTH);
	xb_buf_str(b, VALUE_OPEN);
	switch (v->type) {
	case XR_NIL:
		xb_buf_str(b, "<nil/>");
		break;
	case XR_STRING:
	case XR_DATETIME:
	case XR_BASE64: {
		const char *tag = xr_type_name(v->type);

		xb_buf_str(b, "<");
		xb_buf_str(b, tag);
		xb_buf_str(b, ">");
		if (buf_text(b, v->str ? v->str : "", "a string", errmsg))
			return -1;
		xb_buf_str(b, "</");
		xb_buf_str(b, tag);
		xb_buf_str(b, ">");
		break;
	}
	case XR_INT:
		snprintf(num, sizeof(num), v->num >= INT32_MIN &&
			 v->num <= INT32_MAX ? "<int>%lld</int>" :
			 "<i8>%lld</i8>", v->num);
		xb_buf_str(b, num);
		break;
	case XR_BOOL:
		xb_buf_str(b, v->num ? "<boolean>1</boolean>" :
			"<boolean>0</boolean>");
		break;
	case XR_DOUBLE:
		if (!isfinite(v->dbl))
			return xb_fail(errmsg, "cannot send a double that is not "
				    "finite");
		snprintf(num, sizeof(num), "<double>%.17g</double>", v->dbl);
		xb_buf_str(b, num);
		break;
	case XR_ARRAY:
		xb_buf_str(b, "<array><data>");
		for (i = 0; i < v->n; i++)
			if (encode_value(b, &v->items[i], depth + 1, errmsg))
				return -1;
		xb_buf_str(b, "</data></array>");
		break;
	case XR_STRUCT:
		xb_buf_str(b, "<struct>");
		for (i = 0; i < v->n; i++) {
			xb_buf_str(b, "<member><name>");
			if (buf_text(b, v->names[i], "a member name", errmsg))
				return -1;
			xb_buf_str(b, "</name>");
			if (encode_value(b, &v->items[i], depth + 1, errmsg))
				return -1;
			xb_buf_str(b, "</member>");
		}
		xb_buf_str(b, "</struct>");
		break;
	default:
		return xb_fail(errmsg, "cannot send a value of unknown type %d",
			    (int)v->type);
	}
	xb_buf_str(b, VALUE_CLOSE);
	return 0;
}

int xr_encode_call(const char *method, const struct xr_value *params,
		   size_t nparams, char **out, size_t *outlen, char **errmsg)
{
	struct xb_buf b = { 0 };
	size_t i;
	int ret = -1;

	xb_buf_str(&b, CALL_HEAD);
	if (buf_text(&b, method, "a method name", errmsg))
		goto out;
	xb_buf_str(&b, CALL_PARAMS);
	for (i = 0; i < nparams; i++) {
		xb_buf_str(&b, PARAM_OPEN);
		if (encode_value(&b, &params[i], 0, errmsg))
			goto out;
		xb_buf_str(&b, PARAM_CLOSE);
	}
	xb_buf_str(&b, CALL_TAIL);
	if (b.oom) {
		xb_fail(errmsg, "out of memory encoding %s", method);
		goto out;
	}
	*out = b.p;
	*outlen = b.len;
	b.p = NULL;
	ret = 0;
out:
	free(b.p);
	return ret;
}

size_t xr_call_size(const char *method, const char *const *strings,
		    size_t n)
{
	/* a param as encode_value() writes a string: <param><value>
	 * <string>TEXT</string></value></param> */
	size_t param = LIT_LEN(PARAM_OPEN) + LIT_LEN(VALUE_OPEN) +
		       LIT_LEN("<>") + LIT_LEN("</>") +
		       2 * strlen(xr_type_name(XR_STRING)) +
		       LIT_LEN(VALUE_CLOSE) + LIT_LEN(PARAM_CLOSE);
	size_t len = LIT_LEN(CALL_HEAD) + LIT_LEN(CALL_PARAMS) +
		     LIT_LEN(CALL_TAIL), i;

	len = size_add(len, text_size(method));
	for (i = 0; i < n; i++)
		len = size_add(len, size_add(param, text_size(strings[i] ?
							      strings[i] :
							      "")));
	return len;
}

/* ---- decoding ----
 *
 * A streaming (SAX) decoder: no document tree is built, so a reply costs
 * about its values' size in memory, not ten times the XML's. Each open
 * element is a frame on a bounded stack; a <value> frame owns the value it
 * builds and hands it to its parent when it closes. The first error stops
 * the parser. */

enum frame_kind {
	F_ROOT,                      /* <methodResponse> */
	F_PARAMS,
	F_PARAM,
	F_FAULT,
	F_VALUE,
	F_LEAF,                      /* <string>, <int>, ... */
	F_ARRAY,
	F_DATA,
	F_STRUCT,
	F_MEMBER,
	F_NAME,
};

struct frame {
	enum frame_kind kind;
	const char *tag;             /* the element's name (parser's dict) */
	unsigned children;           /* child elements seen */
	int depth;                   /* VALUE: arrays and structs around it */
	bool typed;                  /* VALUE: has its type element */
	size_t cap;                  /* VALUE: room in v.items (and v.names) */
	struct xr_value v;           /* VALUE: the value; MEMBER: its value */
	char *name;                  /* MEMBER: its name */
	bool has_name, has_value;    /* MEMBER */
	bool dropped;                /* MEMBER: its value was not kept */
};

/* methodResponse params param value + (array data value | struct member
 * value) per level + a leaf */
#define MAX_FRAMES (4 + 3 * (XR_MAX_DEPTH + 1) + 2)

/* The stack of a get_all_records reply: methodResponse params param
 * value(0) struct member("Value") value(1) struct member(REF) value(2:
 * the record) struct member(FIELD) value(3) ... */
#define REC_VALUE_MEMBER  5          /* member "Value" */
#define REC_REF_MEMBER    8          /* member REF: a record */
#define REC_FIELD_MEMBER  11         /* member FIELD of a record */

/* xapi's unescaped member names are repaired as the bytes stream in:
 * where we are, and what is held back until it is known. */
enum repair_state { R_OUT, R_CDATA, R_COMMENT, R_NAME };
#define REPAIR_HOLD 32               /* longest reference kept as one */

struct decoder {
	xmlParserCtxtPtr ctxt;
	struct frame stack[MAX_FRAMES];
	int top;                     /* frames in use */
	struct xb_buf text;             /* text of the innermost leaf or value */
	size_t values, max_values;
	size_t kept, max_kept;       /* bytes held in the value being built */
	bool saw_dtd, is_fault, have_result;
	struct xr_value result;      /* the param's value, or the fault's */
	char *err;
	/* streaming */
	const struct xr_sink *sink;  /* records handed over one by one */
	int discard;                 /* frames from this one up are dropped;
				      * 0: none */
	bool sink_failed;            /* the sink refused a record */
	size_t fed;                  /* bytes fed */
	struct xb_buf out;           /* repaired bytes not yet parsed */
	enum repair_state rs;
	char match[16];              /* R_OUT: a tag being recognised */
	size_t nmatch;
	int run;                     /* R_CDATA, R_COMMENT: ']' or '-' seen */
	char hold[REPAIR_HOLD + 8];  /* R_NAME: "</name" or "&ref" so far */
	size_t nhold;
};

static int derr(struct decoder *d, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Records the first error ("malformed reply (line N): ...") and stops. */
static int derr(struct decoder *d, const char *fmt, ...)
{
	va_list ap;
	char *msg = NULL;
	int line = d->ctxt ? xb_xml.SAX2GetLineNumber(d->ctxt) : 0;

	if (d->err)
		return -1;
	va_start(ap, fmt);
	msg = xb_vstrf(fmt, ap);
	va_end(ap);
	if (line > 0)
		xb_fail(&d->err, "malformed reply (line %d): %s", line,
		     msg ? msg : "out of memory");
	else
		xb_fail(&d->err, "malformed reply: %s",
		     msg ? msg : "out of memory");
	if (!d->err)
		d->err = strdup("malformed reply");
	free(msg);
	if (d->ctxt)
		xb_xml.StopParser(d->ctxt);
	return -1;
}

/* Whether the frames up to the top are inside the records of a
 * get_all_records reply handed to a sink. */
static bool in_records(const struct decoder *d)
{
	const struct frame *s = d->stack;

	return d->sink && d->top > REC_REF_MEMBER &&
	       s[3].kind == F_VALUE && s[3].v.type == XR_STRUCT &&
	       s[REC_VALUE_MEMBER].kind == F_MEMBER &&
	       s[REC_VALUE_MEMBER].name &&
	       !strcmp(s[REC_VALUE_MEMBER].name, "Value") &&
	       s[6].kind == F_VALUE && s[6].v.type == XR_STRUCT;
}

static bool discarding(const struct decoder *d)
{
	return d->discard && d->top - 1 >= d->discard;
}

/* " in record \"REF\", field \"F\"" when inside a record, else "". */
static const char *location(const struct decoder *d, char *buf, size_t size)
{
	char ref[XR_CLIP_SIZE], field[XR_CLIP_SIZE];
	const struct frame *s = d->stack;

	buf[0] = '\0';
	if (!in_records(d) || !s[REC_REF_MEMBER].name)
		return buf;
	xr_clip(ref, s[REC_REF_MEMBER].name, 80);
	if (d->top > REC_FIELD_MEMBER && s[REC_FIELD_MEMBER].kind == F_MEMBER &&
	    s[REC_FIELD_MEMBER].name)
		snprintf(buf, size, " in record \"%s\", field \"%s\"", ref,
			 xr_clip(field, s[REC_FIELD_MEMBER].name, 40));
	else
		snprintf(buf, size, " in record \"%s\"", ref);
	return buf;
}

/* Counts bytes held by the value being built (a record with a sink). */
static int keep(struct decoder *d, size_t n)
{
	char where[2 * XR_CLIP_SIZE + 40];

	d->kept += n;
	if (d->kept <= d->max_kept)
		return 0;
	return derr(d, "more than %zu bytes of values%s%s", d->max_kept,
		    d->sink ? " in one record" : "",
		    location(d, where, sizeof(where)));
}

static bool blank(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\n' && s[i] != '\r')
			return false;
	return true;
}

/* Leading and trailing XML whitespace removed, in place. */
static char *trim(char *s)
{
	char *end;

	while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
		s++;
	end = s + strlen(s);
	while (end > s && (end[-1] == ' ' || end[-1] == '\t' ||
			   end[-1] == '\n' || end[-1] == '\r'))
		*--end = '\0';
	return s;
}

/* A copy of the collected text; the buffer is emptied and kept. */
static char *take_text(struct decoder *d)
{
	char *s;

	if (d->text.oom) {
		derr(d, "out of memory");
		return NULL;
	}
	if (keep(d, d->text.len + 1))
		return NULL;
	s = strndup(d->text.p ? d->text.p : "", d->text.len);
	if (!s)
		derr(d, "out of memory");
	d->text.len = 0;
	return s;
}

static void drop_text(struct decoder *d)
{
	d->text.len = 0;
}

static int parse_int(struct decoder *d, const char *tag, const char *text,
		     long long min, long long max, long long *out)
{
	const char *p = text;
	char *end;
	long long v;

	if (*p == '+' || *p == '-')
		p++;
	if (*p < '0' || *p > '9')
		return derr(d, "<%s> holds \"%.40s\", not an integer", tag,
			    text);
	errno = 0;
	v = strtoll(text, &end, 10);
	if (*end)
		return derr(d, "<%s> holds \"%.40s\", not an integer", tag,
			    text);
	if (errno == ERANGE || v < min || v > max)
		return derr(d, "<%s> %.40s is out of range", tag, text);
	*out = v;
	return 0;
}

static int is_base64_char(int c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	       (c >= '0' && c <= '9') || c == '+' || c == '/';
}

/* Checks base64 text and drops its whitespace, in place. */
static int check_base64(struct decoder *d, char *s)
{
	size_t in, out = 0, pad = 0;

	for (in = 0; s[in]; in++) {
		char c = s[in];

		if (c == ' ' || c == '\t' || c == '\n' || c == '\r')
			continue;
		if (c == '=')
			pad++;
		else if (!is_base64_char((unsigned char)c) || pad)
			return derr(d, "<base64> holds a character outside "
				    "base64");
		s[out++] = c;
	}
	s[out] = '\0';
	if (out % 4 || pad > 2)
		return derr(d, "<base64> has a length that is not a multiple "
			    "of 4 or too much padding");
	return 0;
}

static int check_datetime(struct decoder *d, const char *s)
{
	size_t i, n = strlen(s);

	if (n == 0 || n > 64)
		return derr(d, "<dateTime.iso8601> of %zu characters", n);
	for (i = 0; i < n; i++)
		if (!strchr("0123456789-:.+TZ", s[i]))
			return derr(d, "<dateTime.iso8601> holds \"%.40s\"", s);
	return 0;
}

static bool is_leaf_type(const char *tag)
{
	static const char *const leaves[] = {
		"string", "int", "i4", "i8", "boolean", "double",
		"dateTime.iso8601", "base64", "nil",
	};
	size_t i;

	for (i = 0; i < sizeof(leaves) / sizeof(leaves[0]); i++)
		if (!strcmp(tag, leaves[i]))
			return true;
	return false;
}

/* The text of a closed leaf element into v. */
static int convert_leaf(struct decoder *d, const char *tag, char *text,
			struct xr_value *v)
{
	char *t;
	int ret = -1;

	if (!strcmp(tag, "string")) {
		v->type = XR_STRING;
		v->str = text;
		return 0;
	}
	t = trim(text);
	if (!strcmp(tag, "int") || !strcmp(tag, "i8")) {
		if (parse_int(d, tag, t, LLONG_MIN, LLONG_MAX, &v->num))
			goto out;
		v->type = XR_INT;
	} else if (!strcmp(tag, "i4")) {
		if (parse_int(d, tag, t, INT32_MIN, INT32_MAX, &v->num))
			goto out;
		v->type = XR_INT;
	} else if (!strcmp(tag, "boolean")) {
		if (strcmp(t, "0") && strcmp(t, "1")) {
			derr(d, "<boolean> holds \"%.40s\", not 0 or 1", t);
			goto out;
		}
		v->type = XR_BOOL;
		v->num = t[0] == '1';
	} else if (!strcmp(tag, "double")) {
		char *end;

		errno = 0;
		v->dbl = strtod(t, &end);
		if (!*t || *end || errno == ERANGE || !isfinite(v->dbl)) {
			derr(d, "<double> holds \"%.40s\", not a finite number",
			     t);
			goto out;
		}
		v->type = XR_DOUBLE;
	} else if (!strcmp(tag, "dateTime.iso8601") || !strcmp(tag,
								"base64")) {
		if (tag[0] == 'd' ? check_datetime(d, t) : check_base64(d, t))
			goto out;
		memmove(text, t, strlen(t) + 1);
		v->type = tag[0] == 'd' ? XR_DATETIME : XR_BASE64;
		v->str = text;
		return 0;
	} else {                     /* nil */
		if (*t) {
			derr(d, "<nil> with content");
			goto out;
		}
		v->type = XR_NIL;
	}
	ret = 0;
out:
	free(text);
	return ret;
}

static struct frame *push(struct decoder *d, enum frame_kind kind,
			  const char *tag)
{
	struct frame *f;

	if (d->top >= MAX_FRAMES) {
		derr(d, "elements nested too deeply");
		return NULL;
	}
	f = &d->stack[d->top++];
	memset(f, 0, sizeof(*f));
	f->kind = kind;
	f->tag = tag;
	return f;
}

static void frame_free(struct frame *f)
{
	xr_value_free(&f->v);
	free(f->name);
	f->name = NULL;
}

/* Room for one more element in the array or struct of VALUE frame f. */
static int grow(struct decoder *d, struct frame *f)
{
	size_t cap;
	struct xr_value *items;
	char **names;

	if (f->v.n < f->cap)
		return 0;
	cap = f->cap ? f->cap * 2 : 8;
	if (cap > SIZE_MAX / sizeof(*items))
		return derr(d, "out of memory");
	items = realloc(f->v.items, cap * sizeof(*items));
	if (!items)
		return derr(d, "out of memory");
	f->v.items = items;
	if (f->v.type == XR_STRUCT) {
		names = realloc(f->v.names, cap * sizeof(*names));
		if (!names)
			return derr(d, "out of memory");
		f->v.names = names;
	}
	f->cap = cap;
	return 0;
}

static int expect(struct decoder *d, const struct frame *parent,
		  const char *tag, const char *want)
{
	if (strcmp(tag, want))
		return derr(d, "<%s> where <%s> was expected in <%s>", tag,
			    want, parent->tag);
	if (parent->children > 1)
		return derr(d, "unexpected <%s> after <%s> in <%s>", tag, want,
			    parent->tag);
	return 0;
}

static int start_value(struct decoder *d, const char *tag, int depth)
{
	struct frame *f;

	char where[2 * XR_CLIP_SIZE + 40];

	if (++d->values > d->max_values)
		return derr(d, "more than %zu values%s", d->max_values,
			    location(d, where, sizeof(where)));
	if (!discarding(d) && keep(d, sizeof(struct xr_value)))
		return -1;
	f = push(d, F_VALUE, tag);
	if (!f)
		return -1;
	f->depth = depth;
	drop_text(d);
	/* a field of a record the sink does not want: checked as XML-RPC,
	 * not kept */
	if (!d->discard && d->top - 1 == REC_FIELD_MEMBER + 1 &&
	    in_records(d) && d->sink->want &&
	    d->stack[REC_FIELD_MEMBER].kind == F_MEMBER &&
	    d->stack[REC_FIELD_MEMBER].name &&
	    !d->sink->want(d->sink->ctx, d->stack[REC_FIELD_MEMBER].name))
		d->discard = d->top - 1;
	return 0;
}

/* A type element inside a <value>. */
static int start_typed(struct decoder *d, struct frame *value,
		       const char *tag)
{
	if (value->children > 1)
		return derr(d, "<value> with two types: <%s> after another",
			    tag);
	if (!blank(d->text.p ? d->text.p : "", d->text.len))
		return derr(d, "unexpected text in <value> around <%s>", tag);
	drop_text(d);
	value->typed = true;
	if (!strcmp(tag, "array") || !strcmp(tag, "struct")) {
		if (value->depth >= XR_MAX_DEPTH)
			return derr(d, "values nested deeper than %d",
				    XR_MAX_DEPTH);
		value->v.type = tag[0] == 'a' ? XR_ARRAY : XR_STRUCT;
		return push(d, tag[0] == 'a' ? F_ARRAY : F_STRUCT, tag) ?
			0 : -1;
	}
	if (!is_leaf_type(tag))
		return derr(d, "unknown value type <%.40s>", tag);
	return push(d, F_LEAF, tag) ? 0 : -1;
}

static void on_start(void *ctx, const xmlChar *localname,
		     const xmlChar *prefix, const xmlChar *uri,
		     int nb_namespaces, const xmlChar **namespaces,
		     int nb_attributes, int nb_defaulted,
		     const xmlChar **attributes)
{
	struct decoder *d = ctx;
	const char *tag = (const char *)localname;
	struct frame *parent;

	if (d->err)
		return;
	if (uri || prefix) {
		derr(d, "unexpected namespaced <%s%s%s>",
		     prefix ? (const char *)prefix : "", prefix ? ":" : "",
		     tag);
		return;
	}
	if (d->top == 0) {
		if (strcmp(tag, "methodResponse"))
			xb_fail(&d->err, "reply is not XML-RPC: root element "
			     "<%.40s>, not <methodResponse>", tag);
		if (d->err)
			xb_xml.StopParser(d->ctxt);
		else
			push(d, F_ROOT, tag);
		return;
	}
	parent = &d->stack[d->top - 1];
	parent->children++;
	switch (parent->kind) {
	case F_ROOT:
		if (parent->children > 1) {
			derr(d, "unexpected <%s> after <%s> in <%s>", tag,
			     d->is_fault ? "fault" : "params", parent->tag);
		} else if (!strcmp(tag, "fault")) {
			d->is_fault = true;
			push(d, F_FAULT, tag);
		} else if (!expect(d, parent, tag, "params")) {
			push(d, F_PARAMS, tag);
		}
		return;
	case F_PARAMS:
		if (!expect(d, parent, tag, "param"))
			push(d, F_PARAM, tag);
		return;
	case F_PARAM:
	case F_FAULT:
		if (!expect(d, parent, tag, "value"))
			start_value(d, tag, 0);
		return;
	case F_VALUE:
		start_typed(d, parent, tag);
		return;
	case F_ARRAY:
		if (!expect(d, parent, tag, "data"))
			push(d, F_DATA, tag);
		return;
	case F_DATA:
		if (strcmp(tag, "value"))
			derr(d, "<%s> where <value> was expected in <data>",
			     tag);
		else
			start_value(d, tag, d->stack[d->top - 3].depth + 1);
		return;
	case F_STRUCT:
		if (strcmp(tag, "member"))
			derr(d, "<%s> where <member> was expected in <struct>",
			     tag);
		else
			push(d, F_MEMBER, tag);
		return;
	case F_MEMBER:
		if (parent->children == 1 && strcmp(tag, "name"))
			derr(d, "<member> without <name> first");
		else if (parent->children == 1 && push(d, F_NAME, tag))
			drop_text(d);
		else if (parent->children == 2 && strcmp(tag, "value"))
			derr(d, "<member> without <value> after <name>");
		else if (parent->children == 2)
			start_value(d, tag, d->stack[d->top - 3].depth + 1);
		else if (parent->children > 2)
			derr(d, "unexpected <%s> in <member>", tag);
		return;
	case F_LEAF:
	case F_NAME:
		derr(d, "unexpected <%s> in <%s>", tag, parent->tag);
		return;
	}
}

/* A finished value of the VALUE frame on top, handed to its parent. */
static int deliver(struct decoder *d, struct frame *f)
{
	struct frame *parent = &d->stack[d->top - 2];
	struct frame *owner;

	switch (parent->kind) {
	case F_PARAM:
	case F_FAULT:
		d->result = f->v;
		d->have_result = true;
		break;
	case F_DATA:                 /* value in data in array in value */
		owner = &d->stack[d->top - 4];
		if (grow(d, owner))
			return -1;
		owner->v.items[owner->v.n++] = f->v;
		break;
	case F_MEMBER:
		parent->v = f->v;
		parent->has_value = true;
		break;
	default:
		return derr(d, "<value> in <%s>", parent->tag);
	}
	memset(&f->v, 0, sizeof(f->v));
	return 0;
}

static int cmp_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int check_duplicates(struct decoder *d, const struct xr_value *v)
{
	char **sorted;
	size_t i;
	int ret = 0;

	if (v->n < 2)
		return 0;
	sorted = malloc(v->n * sizeof(*sorted));
	if (!sorted)
		return derr(d, "out of memory");
	memcpy(sorted, v->names, v->n * sizeof(*sorted));
	qsort(sorted, v->n, sizeof(*sorted), cmp_name);
	for (i = 1; i < v->n; i++)
		if (!strcmp(sorted[i - 1], sorted[i])) {
			char name[XR_CLIP_SIZE];

			ret = derr(d, "duplicate struct member \"%s\"",
				   xr_clip(name, sorted[i], 80));
			break;
		}
	free(sorted);
	return ret;
}

/* A record ends: the sink takes it; the reply keeps its name only (for
 * the duplicate check), and the next record starts from nothing. */
static int hand_over(struct decoder *d, struct frame *member)
{
	char *err = NULL;

	if (d->sink->record(d->sink->ctx, member->name, &member->v, &err)) {
		d->sink_failed = true;
		d->err = err ? err : strdup("the reader refused a record");
		if (!d->err)
			d->err = strdup("out of memory");
		xb_xml.StopParser(d->ctxt);
		return -1;
	}
	xr_value_free(&member->v);
	d->values = d->stack[REC_REF_MEMBER - 2].v.n + REC_REF_MEMBER;
	d->kept = 0;
	return 0;
}

static void on_end(void *ctx, const xmlChar *localname,
		   const xmlChar *prefix, const xmlChar *uri)
{
	struct decoder *d = ctx;
	struct frame *f, *owner;
	char *text;

	if (d->err || d->top == 0)
		return;
	f = &d->stack[d->top - 1];
	if (discarding(d)) {
		drop_text(d);
		owner = &d->stack[d->top - 2];
		if (f->kind == F_NAME)
			owner->has_name = true;
		if (f->kind == F_VALUE && owner->kind == F_MEMBER) {
			owner->has_value = true;
			owner->dropped = d->top - 1 == d->discard;
		}
		if (f->kind == F_MEMBER && !f->has_value)
			derr(d, "<member> without <value> after <name>");
		if (d->top - 1 == d->discard)
			d->discard = 0;
		if (d->err)
			return;
		frame_free(f);
		d->top--;
		return;
	}
	switch (f->kind) {
	case F_ROOT:
		if (!f->children)
			derr(d, "<methodResponse> without <params>");
		break;
	case F_PARAMS:
	case F_PARAM:
	case F_FAULT:
	case F_ARRAY:
		if (!f->children)
			derr(d, "<%s> without <%s>", f->tag,
			     f->kind == F_PARAMS ? "param" :
			     f->kind == F_ARRAY ? "data" : "value");
		break;
	case F_LEAF:
		text = take_text(d);
		if (text)
			convert_leaf(d, f->tag, text, &d->stack[d->top - 2].v);
		break;
	case F_NAME:
		d->stack[d->top - 2].name = take_text(d);
		d->stack[d->top - 2].has_name = true;
		break;
	case F_VALUE:
		if (!f->typed) {     /* no type element: a string */
			text = take_text(d);
			if (!text)
				break;
			f->v.type = XR_STRING;
			f->v.str = text;
		} else if (f->v.type == XR_STRUCT) {
			check_duplicates(d, &f->v);
		}
		if (!d->err)
			deliver(d, f);
		break;
	case F_MEMBER:
		if (!f->has_value) {
			derr(d, "<member> without <value> after <name>");
			break;
		}
		if (f->dropped)
			break;
		owner = &d->stack[d->top - 3];   /* member in struct in value */
		if (d->top - 1 == REC_REF_MEMBER && in_records(d) &&
		    hand_over(d, f))
			break;
		if (grow(d, owner))
			break;
		owner->v.names[owner->v.n] = f->name;
		owner->v.items[owner->v.n++] = f->v;
		f->name = NULL;
		memset(&f->v, 0, sizeof(f->v));
		break;
	case F_DATA:
	case F_STRUCT:
		break;
	}
	if (d->err)
		return;
	frame_free(f);
	d->top--;
}

/* Text of a leaf, a name or an untyped value: kept unless discarded,
 * up to XR_MAX_STRING bytes. */
static void add_text(struct decoder *d, const char *ch, size_t len)
{
	char where[2 * XR_CLIP_SIZE + 40];

	if (discarding(d))
		return;
	if (d->text.len + len > XR_MAX_STRING) {
		derr(d, "a %s of more than %u bytes%s",
		     d->stack[d->top - 1].kind == F_NAME ? "member name" :
		     "string", XR_MAX_STRING, location(d, where, sizeof(where)));
		return;
	}
	xb_buf_add(&d->text, ch, len);
}

static void on_text(void *ctx, const xmlChar *ch, int len)
{
	struct decoder *d = ctx;
	struct frame *f;

	if (d->err || d->top == 0 || len <= 0)
		return;
	f = &d->stack[d->top - 1];
	switch (f->kind) {
	case F_LEAF:
	case F_NAME:
		add_text(d, (const char *)ch, (size_t)len);
		return;
	case F_VALUE:
		if (!f->typed) {
			add_text(d, (const char *)ch, (size_t)len);
			return;
		}
		if (!blank((const char *)ch, (size_t)len))
			derr(d, "unexpected text in <value> around <%s>",
			     xr_type_name(f->v.type));
		return;
	default:
		if (!blank((const char *)ch, (size_t)len))
			derr(d, "unexpected text in <%s>", f->tag);
		return;
	}
}

/* Stops the parse at <!DOCTYPE: XML-RPC has no DTD, and refusing it
 * refuses entity declarations (billion laughs, external entities). */
static void refuse_dtd(void *ctx, const xmlChar *name, const xmlChar *eid,
		       const xmlChar *sid)
{
	struct decoder *d = ctx;

	d->saw_dtd = true;
	xb_xml.StopParser(d->ctxt);
}

static void refuse_reference(void *ctx, const xmlChar *name)
{
	struct decoder *d = ctx;

	derr(d, "an entity reference &%.40s;", (const char *)name);
}

/* libxml2 reports some errors (encoding conversion) on its global channel
 * even with XML_PARSE_NOERROR; they are in wellFormed and lastError too. */
static void quiet(void *ctx, const char *msg, ...)
{
}

static int check_fault(struct decoder *d, char **errmsg)
{
	const struct xr_value *code, *string;
	const struct xr_value *v = &d->result;

	code = xr_struct_get(v, "faultCode");
	string = xr_struct_get(v, "faultString");
	if (v->type != XR_STRUCT || !code || code->type != XR_INT ||
	    !string || string->type != XR_STRING)
		return xb_fail(errmsg, "malformed reply: <fault> is not a struct "
			    "of faultCode (int) and faultString (string)");
	char clip[XR_CLIP_SIZE];

	return xb_fail(errmsg, "XML-RPC fault %lld: %s", code->num,
		    xr_clip(clip, string->str, XR_CLIP_SIZE - 8));
}

/* xapi writes struct member names (map keys) without escaping them, so a
 * key holding '&' or '<' would make the whole reply malformed. Inside
 * <name>...</name> (outside CDATA and comments) such characters are
 * escaped here, unless the '&' starts a well-formed reference (a server
 * that does escape). NULL: nothing to repair, or out of memory (*oom). */
static bool is_reference(const char *s, size_t n)
{
	static const char *const named[] = { "amp;", "lt;", "gt;", "quot;",
					     "apos;" };
	size_t i, k;

	if (n > 1 && s[1] == '#') {
		bool hex = n > 2 && s[2] == 'x';

		for (i = hex ? 3 : 2, k = 0; i < n; i++, k++) {
			if (s[i] == ';')
				return k > 0;
			if (!(hex ? strchr("0123456789abcdefABCDEF", s[i]) :
			      strchr("0123456789", s[i])) || !s[i])
				return false;
		}
		return false;
	}
	for (i = 0; i < sizeof(named) / sizeof(named[0]); i++)
		if (n > strlen(named[i]) &&
		    !strncmp(s + 1, named[i], strlen(named[i])))
			return true;
	return false;
}

/* ---- streaming: bytes in as they arrive, names repaired on the way ---- */

struct xr_stream {
	struct decoder d;
	xmlSAXHandler sax;
};

#define PARSE_CHUNK (64u << 10)      /* bytes handed to libxml2 at once */

static bool stopped(const struct decoder *d)
{
	return d->err || d->saw_dtd ||
	       (d->ctxt && (!d->ctxt->wellFormed ||
			    d->ctxt->instate == XML_PARSER_EOF));
}

/* Parses the repaired bytes held in d->out (all of them when final). */
static int parse_out(struct xr_stream *st, bool final)
{
	struct decoder *d = &st->d;
	char *why = NULL;
	size_t off = 0, n;

	if (d->out.oom)
		return derr(d, "out of memory");
	if (!d->ctxt) {
		/* the first bytes tell libxml2 the encoding */
		if (!final && d->out.len < 4)
			return 0;
		off = d->out.len < 4 ? d->out.len : 4;
		if (xb_netlibs_load(&why)) {
			if (d->err)
				free(why);
			else
				d->err = why ? why : strdup("out of memory");
			return -1;
		}
		xb_xml.InitParser();
		d->ctxt = xb_xml.CreatePushParserCtxt(&st->sax, d,
						      d->out.p ? d->out.p : "",
						      (int)off, NULL);
		if (!d->ctxt)
			return derr(d, "out of memory");
		/* never XML_PARSE_NOENT, DTDLOAD or XINCLUDE */
		xb_xml.CtxtUseOptions(d->ctxt, XML_PARSE_NONET |
				      XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	}
	/* per thread in libxml2; no one else in xenbake uses it, so there
	   is nothing to restore */
	xb_xml.SetGenericErrorFunc(NULL, quiet);
	do {
		n = d->out.len - off < PARSE_CHUNK ? d->out.len - off :
		    PARSE_CHUNK;
		xb_xml.ParseChunk(d->ctxt, d->out.p ? d->out.p + off : "",
				  (int)n, final && off + n == d->out.len);
		off += n;
	} while (off < d->out.len && !stopped(d));
	d->out.len = 0;
	return stopped(d) ? -1 : 0;
}

static int emit(struct xr_stream *st, const char *p, size_t n)
{
	xb_buf_add(&st->d.out, p, n);
	if (st->d.out.len >= PARSE_CHUNK)
		return parse_out(st, false);
	return 0;
}

/* A held "&..." inside a name: kept if a reference, else its '&'
 * escaped. */
static int settle_reference(struct xr_stream *st)
{
	struct decoder *d = &st->d;
	size_t n = d->nhold;

	d->nhold = 0;
	if (is_reference(d->hold, n))
		return emit(st, d->hold, n);
	return emit(st, "&amp;", 5) || emit(st, d->hold + 1, n - 1) ? -1 : 0;
}

static bool starts(const char *s, size_t n, const char *tag)
{
	return n <= strlen(tag) && !memcmp(s, tag, n);
}

/* Runs the repair over len bytes: verbatim except '<' and '&' inside
 * <name>...</name> outside CDATA and comments, as xapi's unescaped map
 * keys need (see is_reference). State carries over between calls. */
static int repair_feed(struct xr_stream *st, const char *data, size_t len)
{
	static const char close_name[] = "</name>";
	struct decoder *d = &st->d;
	const char *p = data, *end = data + len, *run = data, *lt;
	char c;

	while (p < end && !stopped(d)) {
		c = *p;
		switch (d->rs) {
		case R_OUT:
			if (!d->nmatch) {
				lt = memchr(p, '<', (size_t)(end - p));
				if (!lt) {
					p = end;
					break;
				}
				d->match[d->nmatch++] = '<';
				p = lt + 1;
				break;
			}
			d->match[d->nmatch++] = c;
			p++;
			if (d->nmatch == 9 &&
			    !memcmp(d->match, "<![CDATA[", 9)) {
				d->rs = R_CDATA;
			} else if (d->nmatch == 4 &&
				   !memcmp(d->match, "<!--", 4)) {
				d->rs = R_COMMENT;
			} else if (d->nmatch == 6 &&
				   !memcmp(d->match, "<name>", 6)) {
				d->rs = R_NAME;
			} else if (starts(d->match, d->nmatch, "<![CDATA[") ||
				   starts(d->match, d->nmatch, "<!--") ||
				   starts(d->match, d->nmatch, "<name>")) {
				break;
			} else {
				d->nmatch = 0;
				if (c == '<')
					d->match[d->nmatch++] = '<';
				break;
			}
			d->nmatch = 0;
			d->run = 0;
			break;
		case R_CDATA:
		case R_COMMENT:
			if (c == (d->rs == R_CDATA ? ']' : '-'))
				d->run = d->run < 2 ? d->run + 1 : 2;
			else if (c == '>' && d->run == 2)
				d->rs = R_OUT;
			else
				d->run = 0;
			p++;
			break;
		case R_NAME:
			if (!d->nhold) {
				if (c == '<' || c == '&') {
					if (emit(st, run, (size_t)(p - run)))
						return -1;
					d->hold[d->nhold++] = c;
					run = p + 1;
				}
				p++;
				break;
			}
			if (d->hold[0] == '<') {
				if (c == close_name[d->nhold]) {
					d->hold[d->nhold++] = c;
					run = ++p;
					if (d->nhold == 7) {
						d->nhold = 0;
						d->rs = R_OUT;
						if (emit(st, close_name, 7))
							return -1;
					}
					break;
				}
				/* not the end of the name: an unescaped '<' */
				if (emit(st, "&lt;", 4) ||
				    emit(st, d->hold + 1, d->nhold - 1))
					return -1;
				d->nhold = 0;
				run = p;      /* c is looked at again */
				break;
			}
			if (c == ';' || ((c == '#' || (c >= '0' && c <= '9') ||
					  (c >= 'a' && c <= 'z') ||
					  (c >= 'A' && c <= 'Z')) &&
					 d->nhold < REPAIR_HOLD)) {
				d->hold[d->nhold++] = c;
				run = ++p;
				if (c == ';' && settle_reference(st))
					return -1;
				break;
			}
			if (settle_reference(st))
				return -1;
			run = p;              /* c is looked at again */
			break;
		}
	}
	if (stopped(d))
		return -1;
	return emit(st, run, (size_t)(p - run));
}

struct xr_stream *xr_stream_new(const struct xr_sink *sink,
				size_t max_values)
{
	struct xr_stream *st = calloc(1, sizeof(*st));
	xmlSAXHandler *sax;

	if (!st)
		return NULL;
	st->d.max_values = max_values;
	st->d.max_kept = sink ? XR_MAX_RECORD : XR_MAX_KEPT;
	st->d.sink = sink;
	/* our handlers only: no tree, no DTD, no entity but XML's five */
	sax = &st->sax;
	sax->initialized = XML_SAX2_MAGIC;
	sax->startElementNs = on_start;
	sax->endElementNs = on_end;
	sax->characters = on_text;
	sax->cdataBlock = on_text;
	sax->ignorableWhitespace = on_text;
	sax->internalSubset = refuse_dtd;
	sax->externalSubset = refuse_dtd;
	sax->reference = refuse_reference;
	return st;
}

int xr_stream_feed(struct xr_stream *st, const char *data, size_t len)
{
	if (stopped(&st->d))
		return -1;
	st->d.fed += len;
	return len ? repair_feed(st, data, len) : 0;
}

bool xr_stream_sink_failed(const struct xr_stream *st)
{
	return st && st->d.sink_failed;
}

void xr_stream_free(struct xr_stream *st)
{
	struct decoder *d;
	int i;

	if (!st)
		return;
	d = &st->d;
	for (i = 0; i < d->top; i++)
		frame_free(&d->stack[i]);
	xr_value_free(&d->result);
	free(d->text.p);
	free(d->out.p);
	free(d->err);
	if (d->ctxt) {
		xb_xml.FreeDoc(d->ctxt->myDoc);
		d->ctxt->myDoc = NULL;
		xb_xml.FreeParserCtxt(d->ctxt);
	}
	free(st);
}

int xr_stream_value(struct xr_stream *st, struct xr_value *out,
		    char **errmsg)
{
	struct decoder *d = &st->d;

	memset(out, 0, sizeof(*out));
	*errmsg = NULL;
	if (!d->fed)
		return xb_fail(errmsg, "empty reply");
	if (!stopped(d)) {
		if (d->nhold && d->hold[0] == '&')
			settle_reference(st);
		else if (d->nhold)
			emit(st, d->hold, d->nhold);
		d->nhold = 0;
		if (!stopped(d))
			parse_out(st, true);
	}
	if (d->saw_dtd)
		return xb_fail(errmsg, "malformed reply: a <!DOCTYPE> (refused: "
			       "XML-RPC has none, and it could declare "
			       "entities)");
	if (d->err) {
		*errmsg = d->err;
		d->err = NULL;
		return -1;
	}
	if (!d->ctxt || !d->ctxt->wellFormed) {
		const xmlError *e = d->ctxt ? xb_xml.CtxtGetLastError(d->ctxt) :
				    NULL;
		char *msg = e && e->message ? strdup(e->message) : NULL;

		xb_fail(errmsg, "reply is not well-formed XML (line %d): %s",
			e ? e->line : 0, msg ? trim(msg) : "parse error");
		free(msg);
		return -1;
	}
	if (!d->have_result || d->top)
		return xb_fail(errmsg, "malformed reply: incomplete");
	if (d->is_fault)
		return check_fault(d, errmsg);
	*out = d->result;
	memset(&d->result, 0, sizeof(d->result));
	return 0;
}

int xr_decode_response(const char *body, size_t len, struct xr_value *out,
		       char **errmsg)
{
	return xr_decode_response_capped(body, len, XR_MAX_VALUES, out, errmsg);
}

int xr_decode_response_capped(const char *body, size_t len,
			      size_t max_values, struct xr_value *out,
			      char **errmsg)
{
	struct xr_stream *st = xr_stream_new(NULL, max_values);
	int ret;

	memset(out, 0, sizeof(*out));
	*errmsg = NULL;
	if (!st)
		return xb_fail(errmsg, "cannot parse the reply: out of memory");
	xr_stream_feed(st, body, len);
	ret = xr_stream_value(st, out, errmsg);
	xr_stream_free(st);
	return ret;
}

void xr_reply_free(struct xr_reply *r)
{
	size_t i;

	if (!r)
		return;
	xr_value_free(&r->value);
	free(r->code);
	for (i = 0; i < r->nparams; i++)
		free(r->params[i]);
	free(r->params);
	memset(r, 0, sizeof(*r));
}

/* xr_struct_get for a struct we own and take members out of. */
static struct xr_value *member(struct xr_value *v, const char *name)
{
	size_t i;

	for (i = 0; v->type == XR_STRUCT && i < v->n; i++)
		if (!strcmp(v->names[i], name))
			return &v->items[i];
	return NULL;
}

/* A XenAPI reply's value (taken from *from) into *r. */
static int unwrap(struct xr_value *from, struct xr_reply *r, char **errmsg)
{
	struct xr_value v = *from;
	struct xr_value *status, *value, *desc;
	char clip[XR_CLIP_SIZE];
	size_t i;
	int ret = -1;

	memset(from, 0, sizeof(*from));
	if (v.type != XR_STRUCT) {
		xb_fail(errmsg, "malformed XenAPI reply: %s, not a struct with "
		     "Status", xr_type_phrase(v.type));
		goto out;
	}
	status = member(&v, "Status");
	if (!status || status->type != XR_STRING) {
		xb_fail(errmsg, "malformed XenAPI reply: %s", status ?
		     "Status is not a string" : "no Status member");
		goto out;
	}
	if (!strcmp(status->str, "Success")) {
		value = member(&v, "Value");
		if (!value) {
			xb_fail(errmsg, "malformed XenAPI reply: Success without "
			     "Value");
			goto out;
		}
		r->value = *value;            /* moved out of v */
		memset(value, 0, sizeof(*value));
		ret = 0;
		goto out;
	}
	if (strcmp(status->str, "Failure")) {
		xb_fail(errmsg, "malformed XenAPI reply: Status \"%s\", not "
		     "Success or Failure", xr_clip(clip, status->str, 40));
		goto out;
	}
	desc = member(&v, "ErrorDescription");
	if (!desc || desc->type != XR_ARRAY || desc->n == 0) {
		xb_fail(errmsg, "malformed XenAPI reply: Failure without %s",
		     desc ? "a non-empty ErrorDescription array" :
		     "ErrorDescription");
		goto out;
	}
	for (i = 0; i < desc->n; i++)
		if (desc->items[i].type != XR_STRING) {
			xb_fail(errmsg, "malformed XenAPI reply: ErrorDescription"
			     "[%zu] is %s, not a string", i,
			     xr_type_phrase(desc->items[i].type));
			goto out;
		}
	if (!desc->items[0].str[0]) {
		xb_fail(errmsg, "malformed XenAPI reply: empty error code");
		goto out;
	}
	r->failed = true;
	r->nparams = desc->n - 1;
	r->params = calloc(desc->n, sizeof(*r->params));
	if (!r->params) {
		xb_fail(errmsg, "out of memory");
		goto out;
	}
	r->code = desc->items[0].str;         /* moved out of v */
	desc->items[0].str = NULL;
	for (i = 1; i < desc->n; i++) {
		r->params[i - 1] = desc->items[i].str;
		desc->items[i].str = NULL;
	}
	ret = 0;
out:
	if (ret)
		xr_reply_free(r);
	xr_value_free(&v);
	return ret;
}

int xr_decode_reply(const char *body, size_t len, struct xr_reply *r,
		    char **errmsg)
{
	struct xr_value v = { 0 };

	memset(r, 0, sizeof(*r));
	if (xr_decode_response(body, len, &v, errmsg))
		return -1;
	return unwrap(&v, r, errmsg);
}

int xr_stream_reply(struct xr_stream *st, struct xr_reply *r,
		    char **errmsg)
{
	struct xr_value v = { 0 };

	memset(r, 0, sizeof(*r));
	if (xr_stream_value(st, &v, errmsg))
		return -1;
	return unwrap(&v, r, errmsg);
}
