/* SPDX-License-Identifier: MIT */
/* xmlrpc.h - XML-RPC values, the request encoder and the reply decoder the
 * XenAPI client speaks. Replies are untrusted: the decoder checks every
 * type, caps nesting and counts, never loads a DTD, never fetches or expands
 * an entity, and says what was wrong.
 *
 * XenAPI wraps every result in a struct: {Status: "Success", Value: v} or
 * {Status: "Failure", ErrorDescription: [code, params...]};
 * xr_decode_reply() unwraps it into a value or a fault. */
#ifndef XENBAKE_XMLRPC_H
#define XENBAKE_XMLRPC_H

#include <stdbool.h>
#include <stddef.h>

enum xr_type {
	XR_NIL = 0,
	XR_STRING,
	XR_INT,
	XR_BOOL,
	XR_DOUBLE,
	XR_DATETIME,                 /* dateTime.iso8601, kept as its text */
	XR_BASE64,                   /* kept as its (checked) base64 text */
	XR_ARRAY,
	XR_STRUCT,
};

struct xr_value {
	enum xr_type type;
	char *str;                   /* STRING, DATETIME, BASE64 */
	long long num;               /* INT; BOOL as 0 or 1 */
	double dbl;                  /* DOUBLE */
	struct xr_value *items;      /* ARRAY elements, STRUCT member values */
	char **names;                /* STRUCT member names, unique */
	size_t n;                    /* ARRAY, STRUCT: how many */
};

/* Limits on replies; a reply over one is refused with a message. */
#define XR_MAX_DEPTH   64            /* nested arrays and structs */
#define XR_MAX_VALUES  (4u << 20)    /* values in one reply */
/* No cap on a reply's bytes: replies are decoded as they arrive and
 * never held whole. What is kept is bounded instead: one string or member
 * name (a name_label, an other_config key or value, a xenstore_data
 * value...) up to XR_MAX_STRING bytes; a value decoded whole (any reply
 * but get_all_records read through a sink) up to XR_MAX_KEPT bytes of
 * strings and values; one record handed to a sink up to XR_MAX_RECORD.
 * So a get_all_records read through a sink costs a record at a time plus
 * what the sink keeps of each, whatever the reply's size. */
#define XR_MAX_STRING  (4u << 20)
#define XR_MAX_RECORD  (16u << 20)
#define XR_MAX_KEPT    (256u << 20)

/* A foreign string for a message: at most max bytes (and XR_CLIP_SIZE - 8)
 * of s, cut at a character, controls and backslashes as \xNN, "..." when
 * cut. Returns out. */
#define XR_CLIP_SIZE   128
const char *xr_clip(char out[XR_CLIP_SIZE], const char *s, size_t max);

/* Values owned by the caller. A zeroed struct xr_value is nil. */
void xr_value_free(struct xr_value *v);    /* frees contents, leaves nil */
const char *xr_type_name(enum xr_type type);     /* "int" */
const char *xr_type_phrase(enum xr_type type);   /* "an int" */

/* Builders for requests. They copy their arguments; 0 or -1 (ENOMEM). */
int xr_set_string(struct xr_value *v, const char *s);
void xr_set_struct(struct xr_value *v);   /* an empty struct */
int xr_struct_add_string(struct xr_value *v, const char *name, const char *s);

/* The member called name of a struct, or NULL. */
const struct xr_value *xr_struct_get(const struct xr_value *v,
				     const char *name);

/* Whether XML can carry s unchanged: valid UTF-8 (no overlongs or
 * surrogates) with no control character but tab, LF and CR, and no
 * U+FFFE/U+FFFF. On false, *why says what and where (static text and a
 * byte offset). */
bool xr_xml_safe(const char *s, size_t len, const char **why, size_t *offset);

/* Encodes <methodCall> for method(params[0..n)). 0 and a malloc'd,
 * NUL-terminated *out of *outlen bytes, or -1 and *errmsg (malloc'd),
 * e.g. for a string XML cannot carry. */
int xr_encode_call(const char *method, const struct xr_value *params,
		   size_t nparams, char **out, size_t *outlen, char **errmsg);

/* The bytes xr_encode_call() makes of method(strings[0..n)), each param
 * a string, counted without building the call: a request's size before
 * it is made. A string XML cannot carry is counted as it is (the encoder
 * refuses it: check with xr_xml_safe); NULL as "", as the encoder takes
 * a string value without text. SIZE_MAX when it does not fit. */
size_t xr_call_size(const char *method, const char *const *strings,
		    size_t n);

/* A decoded XenAPI reply. */
struct xr_reply {
	bool failed;                 /* Status was "Failure" */
	struct xr_value value;       /* Success: Value (nil if absent) */
	char *code;                  /* Failure: ErrorDescription[0] */
	char **params;               /* Failure: the rest */
	size_t nparams;
};

void xr_reply_free(struct xr_reply *r);

/* Decodes a <methodResponse> of len bytes. Returns 0 with r filled (check
 * r->failed), or -1 with *errmsg (malloc'd) and r left empty: malformed
 * XML, a DTD, a wrong shape or type, a limit exceeded, or an XML-RPC
 * <fault> (message "XML-RPC fault CODE: STRING"). */
int xr_decode_reply(const char *body, size_t len, struct xr_reply *r,
		    char **errmsg);

/* Decodes a <methodResponse> without the XenAPI unwrapping (for tests and
 * other servers). Same rules and errors as xr_decode_reply. */
int xr_decode_response(const char *body, size_t len, struct xr_value *out,
		       char **errmsg);
/* The same with another cap on the number of values (tests). */
int xr_decode_response_capped(const char *body, size_t len,
			      size_t max_values, struct xr_value *out,
			      char **errmsg);

/* Streaming decoding: bytes fed as they arrive, then the value or the
 * XenAPI reply, with the same checks and errors as xr_decode_*.
 *
 * With a sink, the records of a get_all_records reply (the members of the
 * struct in Value) go to sink->record one by one as each ends, holding
 * only the fields sink->want accepts (all when NULL; the others are
 * checked as XML-RPC and dropped); the reply's Value is then a struct of
 * ref -> nil. record() may take what it wants out of rec; non-zero stops
 * the decoding, with *errmsg (malloc'd, or NULL) as the error. */
struct xr_sink {
	bool (*want)(void *ctx, const char *field);
	int (*record)(void *ctx, const char *ref, struct xr_value *rec,
		      char **errmsg);
	void *ctx;
};

struct xr_stream;

/* NULL: out of memory. sink may be NULL. */
struct xr_stream *xr_stream_new(const struct xr_sink *sink,
				size_t max_values);
/* 0, or -1 once the reply is known to be refused (stop reading; the
 * error comes from xr_stream_value/xr_stream_reply). */
int xr_stream_feed(struct xr_stream *st, const char *data, size_t len);
/* After the last byte: as xr_decode_response / xr_decode_reply. */
int xr_stream_value(struct xr_stream *st, struct xr_value *out,
		    char **errmsg);
int xr_stream_reply(struct xr_stream *st, struct xr_reply *r,
		    char **errmsg);
/* Whether the error was the sink's. */
bool xr_stream_sink_failed(const struct xr_stream *st);
void xr_stream_free(struct xr_stream *st);

#endif
