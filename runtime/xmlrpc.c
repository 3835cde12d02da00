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
#include <libxml/tree.h>

#include "runtime/xmlrpc.h"

static int fail(char **errmsg, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int fail(char **errmsg, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (vasprintf(errmsg, fmt, ap) < 0)
		*errmsg = NULL;
	va_end(ap);
	return -1;
}

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
				*why = c ? "a control character XML cannot carry"
					 : "a NUL byte";
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
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
			*why = "invalid UTF-8 (overlong, surrogate or too large)";
			*offset = i;
			return false;
		}
		if (cp == 0xfffe || cp == 0xffff) {
			*why = "a non-character XML cannot carry (U+FFFE/U+FFFF)";
			*offset = i;
			return false;
		}
		i += more + 1;
	}
	return true;
}

struct buf {
	char *p;
	size_t len, cap;
	bool oom;
};

static void buf_add(struct buf *b, const char *s, size_t n)
{
	size_t cap;
	char *p;

	if (b->oom)
		return;
	if (n > SIZE_MAX - b->len - 1) {
		b->oom = true;
		return;
	}
	if (b->len + n + 1 > b->cap) {
		cap = b->cap ? b->cap : 256;
		while (cap < b->len + n + 1)
			cap = cap > SIZE_MAX / 2 ? b->len + n + 1 : cap * 2;
		p = realloc(b->p, cap);
		if (!p) {
			b->oom = true;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void buf_str(struct buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

/* Escapes &, <, > and CR (which an XML parser would turn into LF). */
static int buf_text(struct buf *b, const char *s, const char *what,
		    char **errmsg)
{
	size_t len = strlen(s), i, start = 0, offset;
	const char *why, *rep;

	if (!xr_xml_safe(s, len, &why, &offset))
		return fail(errmsg, "cannot send %s: %s at byte %zu", what, why,
			    offset);
	for (i = 0; i < len; i++) {
		switch (s[i]) {
		case '&': rep = "&amp;"; break;
		case '<': rep = "&lt;"; break;
		case '>': rep = "&gt;"; break;
		case '\r': rep = "&#13;"; break;
		default: continue;
		}
		buf_add(b, s + start, i - start);
		buf_str(b, rep);
		start = i + 1;
	}
	buf_add(b, s + start, len - start);
	return 0;
}

static int encode_value(struct buf *b, const struct xr_value *v, int depth,
			char **errmsg)
{
	char num[64];
	size_t i;

	if (depth > XR_MAX_DEPTH)
		return fail(errmsg, "cannot send a value nested deeper than %d",
			    XR_MAX_DEPTH);
	buf_str(b, "<value>");
	switch (v->type) {
	case XR_NIL:
		buf_str(b, "<nil/>");
		break;
	case XR_STRING:
	case XR_DATETIME:
	case XR_BASE64: {
		const char *tag = xr_type_name(v->type);

		buf_str(b, "<");
		buf_str(b, tag);
		buf_str(b, ">");
		if (buf_text(b, v->str ? v->str : "", "a string", errmsg))
			return -1;
		buf_str(b, "</");
		buf_str(b, tag);
		buf_str(b, ">");
		break;
	}
	case XR_INT:
		snprintf(num, sizeof(num), v->num >= INT32_MIN &&
			 v->num <= INT32_MAX ? "<int>%lld</int>" :
			 "<i8>%lld</i8>", v->num);
		buf_str(b, num);
		break;
	case XR_BOOL:
		buf_str(b, v->num ? "<boolean>1</boolean>" :
			"<boolean>0</boolean>");
		break;
	case XR_DOUBLE:
		if (!isfinite(v->dbl))
			return fail(errmsg, "cannot send a double that is not "
				    "finite");
		snprintf(num, sizeof(num), "<double>%.17g</double>", v->dbl);
		buf_str(b, num);
		break;
	case XR_ARRAY:
		buf_str(b, "<array><data>");
		for (i = 0; i < v->n; i++)
			if (encode_value(b, &v->items[i], depth + 1, errmsg))
				return -1;
		buf_str(b, "</data></array>");
		break;
	case XR_STRUCT:
		buf_str(b, "<struct>");
		for (i = 0; i < v->n; i++) {
			buf_str(b, "<member><name>");
			if (buf_text(b, v->names[i], "a member name", errmsg))
				return -1;
			buf_str(b, "</name>");
			if (encode_value(b, &v->items[i], depth + 1, errmsg))
				return -1;
			buf_str(b, "</member>");
		}
		buf_str(b, "</struct>");
		break;
	default:
		return fail(errmsg, "cannot send a value of unknown type %d",
			    (int)v->type);
	}
	buf_str(b, "</value>");
	return 0;
}

int xr_encode_call(const char *method, const struct xr_value *params,
		   size_t nparams, char **out, size_t *outlen, char **errmsg)
{
	struct buf b = { 0 };
	size_t i;
	int ret = -1;

	buf_str(&b, "<?xml version=\"1.0\"?>\n<methodCall><methodName>");
	if (buf_text(&b, method, "a method name", errmsg))
		goto out;
	buf_str(&b, "</methodName><params>");
	for (i = 0; i < nparams; i++) {
		buf_str(&b, "<param>");
		if (encode_value(&b, &params[i], 0, errmsg))
			goto out;
		buf_str(&b, "</param>");
	}
	buf_str(&b, "</params></methodCall>\n");
	if (b.oom) {
		fail(errmsg, "out of memory encoding %s", method);
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

/* ---- decoding ---- */

struct decoder {
	size_t values, max_values;
	char **errmsg;
};

static int derr(struct decoder *d, const xmlNode *node, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* "reply line N: ..." */
static int derr(struct decoder *d, const xmlNode *node, const char *fmt, ...)
{
	va_list ap;
	char *msg = NULL;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	if (node && node->line > 0)
		fail(d->errmsg, "malformed reply (line %ld): %s",
		     xmlGetLineNo(node), msg ? msg : "?");
	else
		fail(d->errmsg, "malformed reply: %s", msg ? msg : "?");
	free(msg);
	return -1;
}

static bool is_blank(const xmlChar *s)
{
	for (; s && *s; s++)
		if (*s != ' ' && *s != '\t' && *s != '\n' && *s != '\r')
			return false;
	return true;
}

static bool is_named(const xmlNode *n, const char *name)
{
	return n->type == XML_ELEMENT_NODE && !n->ns &&
	       !strcmp((const char *)n->name, name);
}

/* The next element among n and its following siblings, skipping comments,
 * processing instructions and blank text; other text is an error. */
static int next_element(struct decoder *d, const xmlNode *parent,
			const xmlNode *n, const xmlNode **out)
{
	for (; n; n = n->next) {
		switch (n->type) {
		case XML_ELEMENT_NODE:
			*out = n;
			return 0;
		case XML_COMMENT_NODE:
		case XML_PI_NODE:
			continue;
		case XML_TEXT_NODE:
			if (is_blank(n->content))
				continue;
			return derr(d, parent, "unexpected text in <%s>",
				    parent->name);
		default:
			return derr(d, parent, "unexpected node type %d in <%s>",
				    (int)n->type, parent->name);
		}
	}
	*out = NULL;
	return 0;
}

/* The one child element of parent, which must be called name. */
static int only_child(struct decoder *d, const xmlNode *parent,
		      const char *name, const xmlNode **out)
{
	const xmlNode *child, *extra;

	if (next_element(d, parent, parent->children, &child))
		return -1;
	if (!child)
		return derr(d, parent, "<%s> without <%s>", parent->name, name);
	if (!is_named(child, name))
		return derr(d, child, "<%s> where <%s> was expected in <%s>",
			    child->name, name, parent->name);
	if (next_element(d, parent, child->next, &extra))
		return -1;
	if (extra)
		return derr(d, extra, "unexpected <%s> after <%s> in <%s>",
			    extra->name, name, parent->name);
	*out = child;
	return 0;
}

/* The text of a leaf element (text and CDATA; no child elements). */
static int leaf_text(struct decoder *d, const xmlNode *el, char **out)
{
	struct buf b = { 0 };
	const xmlNode *n;

	buf_add(&b, "", 0);
	for (n = el->children; n; n = n->next) {
		switch (n->type) {
		case XML_TEXT_NODE:
		case XML_CDATA_SECTION_NODE:
			buf_str(&b, (const char *)n->content);
			break;
		case XML_COMMENT_NODE:
		case XML_PI_NODE:
			break;
		case XML_ELEMENT_NODE:
			free(b.p);
			return derr(d, n, "unexpected <%s> in <%s>", n->name,
				    el->name);
		default:
			free(b.p);
			return derr(d, n, "unexpected node type %d in <%s>",
				    (int)n->type, el->name);
		}
	}
	if (b.oom) {
		free(b.p);
		return derr(d, el, "out of memory");
	}
	*out = b.p;
	return 0;
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

static int parse_int(struct decoder *d, const xmlNode *el, const char *text,
		     long long min, long long max, long long *out)
{
	const char *p = text;
	char *end;
	long long v;

	if (*p == '+' || *p == '-')
		p++;
	if (*p < '0' || *p > '9')
		return derr(d, el, "<%s> holds \"%.40s\", not an integer",
			    el->name, text);
	errno = 0;
	v = strtoll(text, &end, 10);
	if (*end)
		return derr(d, el, "<%s> holds \"%.40s\", not an integer",
			    el->name, text);
	if (errno == ERANGE || v < min || v > max)
		return derr(d, el, "<%s> %.40s is out of range", el->name,
			    text);
	*out = v;
	return 0;
}

static int is_base64_char(int c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	       (c >= '0' && c <= '9') || c == '+' || c == '/';
}

/* Checks base64 text and drops its whitespace, in place. */
static int check_base64(struct decoder *d, const xmlNode *el, char *s)
{
	size_t in, out = 0, pad = 0;

	for (in = 0; s[in]; in++) {
		char c = s[in];

		if (c == ' ' || c == '\t' || c == '\n' || c == '\r')
			continue;
		if (c == '=') {
			pad++;
		} else if (!is_base64_char((unsigned char)c) || pad) {
			return derr(d, el, "<base64> holds a character outside "
				    "base64");
		}
		s[out++] = c;
	}
	s[out] = '\0';
	if (out % 4 || pad > 2)
		return derr(d, el, "<base64> has a length that is not a "
			    "multiple of 4 or too much padding");
	return 0;
}

static int check_datetime(struct decoder *d, const xmlNode *el, char *s)
{
	size_t i, n = strlen(s);

	if (n == 0 || n > 64)
		return derr(d, el, "<dateTime.iso8601> of %zu characters", n);
	for (i = 0; i < n; i++)
		if (!strchr("0123456789-:.+TZ", s[i]))
			return derr(d, el, "<dateTime.iso8601> holds \"%.40s\"",
				    s);
	return 0;
}

static int parse_value(struct decoder *d, const xmlNode *valnode,
		       struct xr_value *out, int depth);

static int parse_array(struct decoder *d, const xmlNode *el,
		       struct xr_value *out, int depth)
{
	const xmlNode *data, *n;
	size_t count = 0, i = 0;

	if (only_child(d, el, "data", &data))
		return -1;
	for (n = data->children; ; n = n->next) {
		if (next_element(d, data, n, &n))
			return -1;
		if (!n)
			break;
		if (!is_named(n, "value"))
			return derr(d, n, "<%s> where <value> was expected in "
				    "<data>", n->name);
		count++;
	}
	out->type = XR_ARRAY;
	if (!count)
		return 0;
	out->items = calloc(count, sizeof(*out->items));
	if (!out->items)
		return derr(d, el, "out of memory for %zu array elements",
			    count);
	for (n = data->children; ; n = n->next) {
		if (next_element(d, data, n, &n))
			return -1;
		if (!n)
			break;
		out->n = i + 1;
		if (parse_value(d, n, &out->items[i], depth + 1))
			return -1;
		i++;
	}
	return 0;
}

static int cmp_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* One <member>: exactly one <name> and one <value>, in that order. */
static int parse_member(struct decoder *d, const xmlNode *member,
			char **name, struct xr_value *value, int depth)
{
	const xmlNode *name_el, *value_el, *extra;

	if (next_element(d, member, member->children, &name_el))
		return -1;
	if (!name_el || !is_named(name_el, "name"))
		return derr(d, member, "<member> without <name> first");
	if (next_element(d, member, name_el->next, &value_el))
		return -1;
	if (!value_el || !is_named(value_el, "value"))
		return derr(d, member, "<member> without <value> after <name>");
	if (next_element(d, member, value_el->next, &extra))
		return -1;
	if (extra)
		return derr(d, extra, "unexpected <%s> in <member>",
			    extra->name);
	if (leaf_text(d, name_el, name))
		return -1;
	return parse_value(d, value_el, value, depth);
}

static int parse_struct(struct decoder *d, const xmlNode *el,
			struct xr_value *out, int depth)
{
	const xmlNode *n;
	size_t count = 0, i = 0;
	char **sorted = NULL;
	int ret = -1;

	for (n = el->children; ; n = n->next) {
		if (next_element(d, el, n, &n))
			return -1;
		if (!n)
			break;
		if (!is_named(n, "member"))
			return derr(d, n, "<%s> where <member> was expected in "
				    "<struct>", n->name);
		count++;
	}
	out->type = XR_STRUCT;
	if (!count)
		return 0;
	out->items = calloc(count, sizeof(*out->items));
	out->names = calloc(count, sizeof(*out->names));
	sorted = calloc(count, sizeof(*sorted));
	if (!out->items || !out->names || !sorted) {
		derr(d, el, "out of memory for %zu struct members", count);
		goto out;
	}
	for (n = el->children; ; n = n->next) {
		if (next_element(d, el, n, &n))
			goto out;
		if (!n)
			break;
		out->n = i + 1;
		if (parse_member(d, n, &out->names[i], &out->items[i],
				 depth + 1))
			goto out;
		i++;
	}
	/* duplicates: sort a copy of the names, compare neighbours */
	memcpy(sorted, out->names, count * sizeof(*sorted));
	qsort(sorted, count, sizeof(*sorted), cmp_name);
	for (i = 1; i < count; i++)
		if (!strcmp(sorted[i - 1], sorted[i])) {
			derr(d, el, "duplicate struct member \"%.80s\"",
			     sorted[i]);
			goto out;
		}
	ret = 0;
out:
	free(sorted);
	return ret;
}

static int parse_typed(struct decoder *d, const xmlNode *el,
		       struct xr_value *out, int depth)
{
	const char *name = (const char *)el->name;
	char *text = NULL, *t;
	int ret = -1;

	if (el->ns)
		return derr(d, el, "unexpected namespaced <%s> in <value>",
			    name);
	if (!strcmp(name, "array") || !strcmp(name, "struct")) {
		if (depth >= XR_MAX_DEPTH)
			return derr(d, el, "values nested deeper than %d",
				    XR_MAX_DEPTH);
		return name[0] == 'a' ? parse_array(d, el, out, depth) :
			parse_struct(d, el, out, depth);
	}
	if (leaf_text(d, el, &text))
		return -1;
	if (!strcmp(name, "string")) {
		out->type = XR_STRING;
		out->str = text;
		return 0;
	}
	t = trim(text);
	if (!strcmp(name, "int") || !strcmp(name, "i8")) {
		if (parse_int(d, el, t, LLONG_MIN, LLONG_MAX, &out->num))
			goto out;
		out->type = XR_INT;
	} else if (!strcmp(name, "i4")) {
		if (parse_int(d, el, t, INT32_MIN, INT32_MAX, &out->num))
			goto out;
		out->type = XR_INT;
	} else if (!strcmp(name, "boolean")) {
		if (strcmp(t, "0") && strcmp(t, "1")) {
			derr(d, el, "<boolean> holds \"%.40s\", not 0 or 1", t);
			goto out;
		}
		out->type = XR_BOOL;
		out->num = t[0] == '1';
	} else if (!strcmp(name, "double")) {
		char *end;

		errno = 0;
		out->dbl = strtod(t, &end);
		if (!*t || *end || errno == ERANGE || !isfinite(out->dbl)) {
			derr(d, el, "<double> holds \"%.40s\", not a finite "
			     "number", t);
			goto out;
		}
		out->type = XR_DOUBLE;
	} else if (!strcmp(name, "dateTime.iso8601")) {
		if (check_datetime(d, el, t))
			goto out;
		out->type = XR_DATETIME;
		out->str = strdup(t);
	} else if (!strcmp(name, "base64")) {
		if (check_base64(d, el, text))
			goto out;
		out->type = XR_BASE64;
		out->str = text;
		text = NULL;
	} else if (!strcmp(name, "nil")) {
		if (*t) {
			derr(d, el, "<nil> with content");
			goto out;
		}
		out->type = XR_NIL;
	} else {
		derr(d, el, "unknown value type <%.40s>", name);
		goto out;
	}
	if (out->type == XR_DATETIME && !out->str) {
		derr(d, el, "out of memory");
		goto out;
	}
	ret = 0;
out:
	free(text);
	return ret;
}

static int parse_value(struct decoder *d, const xmlNode *valnode,
		       struct xr_value *out, int depth)
{
	const xmlNode *typed, *extra, *n;

	memset(out, 0, sizeof(*out));
	if (++d->values > d->max_values)
		return derr(d, valnode, "more than %zu values", d->max_values);
	/* a <value> with no type element is a string: all its text */
	for (n = valnode->children; n; n = n->next)
		if (n->type == XML_ELEMENT_NODE)
			break;
	if (!n) {
		if (leaf_text(d, valnode, &out->str))
			return -1;
		out->type = XR_STRING;
		return 0;
	}
	if (next_element(d, valnode, valnode->children, &typed))
		return -1;
	if (next_element(d, valnode, typed->next, &extra))
		return -1;
	if (extra)
		return derr(d, extra, "<value> with two types, <%s> and <%s>",
			    typed->name, extra->name);
	return parse_typed(d, typed, out, depth);
}

/* Stops the parse at <!DOCTYPE: XML-RPC has no DTD, and refusing it
 * refuses entity declarations (billion laughs, external entities). */
static void refuse_dtd(void *ctx, const xmlChar *name, const xmlChar *eid,
		       const xmlChar *sid)
{
	xmlParserCtxtPtr ctxt = ctx;

	*(bool *)ctxt->_private = true;
	xmlStopParser(ctxt);
}

static int parse_fault(struct decoder *d, const xmlNode *fault)
{
	const xmlNode *valnode;
	struct xr_value v = { 0 };
	const struct xr_value *code, *string;
	int ret = -1;

	if (only_child(d, fault, "value", &valnode) ||
	    parse_value(d, valnode, &v, 0))
		goto out;
	code = xr_struct_get(&v, "faultCode");
	string = xr_struct_get(&v, "faultString");
	if (v.type != XR_STRUCT || !code || code->type != XR_INT || !string ||
	    string->type != XR_STRING) {
		derr(d, fault, "<fault> is not a struct of faultCode (int) "
		     "and faultString (string)");
		goto out;
	}
	fail(d->errmsg, "XML-RPC fault %lld: %.200s", code->num, string->str);
out:
	xr_value_free(&v);
	return ret;
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
	struct decoder d = { .errmsg = errmsg, .max_values = max_values };
	xmlParserCtxtPtr ctxt = NULL;
	xmlDocPtr doc = NULL;
	const xmlNode *root, *child, *param, *valnode;
	bool saw_dtd = false;
	int ret = -1;

	memset(out, 0, sizeof(*out));
	if (len == 0) {
		fail(errmsg, "empty reply");
		goto out;
	}
	if (len > XR_MAX_REPLY) {
		fail(errmsg, "reply of %zu bytes is over the %u-byte limit",
		     len, XR_MAX_REPLY);
		goto out;
	}
	xmlInitParser();
	ctxt = xmlCreateMemoryParserCtxt(body, (int)len);
	if (!ctxt) {
		fail(errmsg, "cannot parse the reply: out of memory");
		goto out;
	}
	ctxt->_private = &saw_dtd;
	ctxt->sax->internalSubset = refuse_dtd;
	ctxt->sax->externalSubset = refuse_dtd;
	/* never XML_PARSE_NOENT, DTDLOAD or XINCLUDE */
	xmlCtxtUseOptions(ctxt, XML_PARSE_NONET | XML_PARSE_NOERROR |
			  XML_PARSE_NOWARNING);
	xmlParseDocument(ctxt);
	doc = ctxt->myDoc;
	ctxt->myDoc = NULL;
	if (saw_dtd) {
		fail(errmsg, "malformed reply: a <!DOCTYPE> (refused: XML-RPC "
		     "has none, and it could declare entities)");
		goto out;
	}
	if (!ctxt->wellFormed || !doc) {
		const xmlError *e = xmlCtxtGetLastError(ctxt);
		char *msg = e && e->message ? strdup(e->message) : NULL;

		fail(errmsg, "reply is not well-formed XML (line %d): %s",
		     e ? e->line : 0, msg ? trim(msg) : "parse error");
		free(msg);
		goto out;
	}
	if (doc->intSubset || doc->extSubset) {
		fail(errmsg, "malformed reply: a DTD (refused)");
		goto out;
	}
	root = xmlDocGetRootElement(doc);
	if (!root || !is_named(root, "methodResponse")) {
		fail(errmsg, "reply is not XML-RPC: root element <%.40s>, not "
		     "<methodResponse>", root ? (const char *)root->name : "");
		goto out;
	}
	if (next_element(&d, root, root->children, &child))
		goto out;
	if (child && is_named(child, "fault")) {
		const xmlNode *extra;

		if (next_element(&d, root, child->next, &extra))
			goto out;
		if (extra) {
			derr(&d, extra, "unexpected <%s> after <fault>",
			     extra->name);
			goto out;
		}
		parse_fault(&d, child);
		goto out;
	}
	if (only_child(&d, root, "params", &child) ||
	    only_child(&d, child, "param", &param) ||
	    only_child(&d, param, "value", &valnode))
		goto out;
	if (parse_value(&d, valnode, out, 0)) {
		xr_value_free(out);
		goto out;
	}
	ret = 0;
out:
	xmlFreeDoc(doc);
	if (ctxt)
		xmlFreeParserCtxt(ctxt);
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

int xr_decode_reply(const char *body, size_t len, struct xr_reply *r,
		    char **errmsg)
{
	struct xr_value v = { 0 };
	struct xr_value *status, *value, *desc;
	size_t i;
	int ret = -1;

	memset(r, 0, sizeof(*r));
	if (xr_decode_response(body, len, &v, errmsg))
		return -1;
	if (v.type != XR_STRUCT) {
		fail(errmsg, "malformed XenAPI reply: %s, not a struct with "
		     "Status", xr_type_phrase(v.type));
		goto out;
	}
	status = member(&v, "Status");
	if (!status || status->type != XR_STRING) {
		fail(errmsg, "malformed XenAPI reply: %s", status ?
		     "Status is not a string" : "no Status member");
		goto out;
	}
	if (!strcmp(status->str, "Success")) {
		value = member(&v, "Value");
		if (!value) {
			fail(errmsg, "malformed XenAPI reply: Success without "
			     "Value");
			goto out;
		}
		r->value = *value;            /* moved out of v */
		memset(value, 0, sizeof(*value));
		ret = 0;
		goto out;
	}
	if (strcmp(status->str, "Failure")) {
		fail(errmsg, "malformed XenAPI reply: Status \"%.40s\", not "
		     "Success or Failure", status->str);
		goto out;
	}
	desc = member(&v, "ErrorDescription");
	if (!desc || desc->type != XR_ARRAY || desc->n == 0) {
		fail(errmsg, "malformed XenAPI reply: Failure without %s",
		     desc ? "a non-empty ErrorDescription array" :
		     "ErrorDescription");
		goto out;
	}
	for (i = 0; i < desc->n; i++)
		if (desc->items[i].type != XR_STRING) {
			fail(errmsg, "malformed XenAPI reply: ErrorDescription"
			     "[%zu] is %s, not a string", i,
			     xr_type_phrase(desc->items[i].type));
			goto out;
		}
	if (!desc->items[0].str[0]) {
		fail(errmsg, "malformed XenAPI reply: empty error code");
		goto out;
	}
	r->failed = true;
	r->nparams = desc->n - 1;
	r->params = calloc(desc->n, sizeof(*r->params));
	if (!r->params) {
		fail(errmsg, "out of memory");
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
