/* SPDX-License-Identifier: MIT */
/* json.h - a small JSON reader, for the receipts xenbake wrote itself
 * (`status`); still bounds-checked as for any file: depth, sizes, UTF-8
 * escapes, no NUL inside strings. The strings xenbake writes are quoted
 * by lib/quote.h. */
#ifndef XENBAKE_JSON_H
#define XENBAKE_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

enum xb_json_type {
	XB_JSON_NULL, XB_JSON_BOOL, XB_JSON_NUMBER, XB_JSON_STRING,
	XB_JSON_ARRAY, XB_JSON_OBJECT,
};

struct xb_json {
	enum xb_json_type type;
	bool boolean;
	double number;
	char *string;                /* STRING: NUL-terminated UTF-8 */
	struct xb_json *items;       /* ARRAY, OBJECT: n values */
	char **keys;                 /* OBJECT: n keys */
	size_t n;
};

#define XB_JSON_MAX_DEPTH 32

/* 0, or -1 with *errmsg ("line 3: expected ':'"). out is to be freed with
 * xb_json_free() either way. */
int xb_json_parse(const char *text, size_t len, struct xb_json *out,
		  char **errmsg);
void xb_json_free(struct xb_json *j);

/* An object's member; NULL when j is no object or has no such key. */
const struct xb_json *xb_json_get(const struct xb_json *j, const char *key);
/* The member as a string / number / bool, or def when absent or another
 * type. */
const char *xb_json_str(const struct xb_json *j, const char *key,
			const char *def);
double xb_json_num(const struct xb_json *j, const char *key, double def);
bool xb_json_bool(const struct xb_json *j, const char *key, bool def);

#endif
