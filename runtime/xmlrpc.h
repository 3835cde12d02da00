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
/* Bytes in one reply. The largest reply is VM.get_all_records: about 3 kB
 * a VM as the simulator words it and several kB for a real xapi, so 256 MiB
 * holds some 50,000 real VMs, beyond any pool xapi runs (64 MiB stopped at
 * about 10,000). It is here so that an endpoint gone wrong cannot make
 * xenbake take all of dom0's memory: the body is held whole (its buffer
 * grows by doubling) and the values decoded from it take about 3.2 bytes
 * per reply byte (VM records measured), so 256 MiB costs at most about
 * 1.3 GiB, and only while that one reply is read. */
#define XR_MAX_REPLY   (256u << 20)

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

#endif
