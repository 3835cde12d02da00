/* SPDX-License-Identifier: MIT */
/* fuzz-xmlrpc.c - libFuzzer harness over the XML-RPC reply decoder.
 *
 * Any input must give a value or an error, never a crash, a leak or
 * undefined behaviour. A decoded value must also survive a round trip:
 * the encoder accepts it (everything a reply can carry can be sent back)
 * and decoding the encoding gives the same value.
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -I. -D_GNU_SOURCE \
 *     $(pkg-config --cflags libxml-2.0) tests/fuzz/fuzz-xmlrpc.c \
 *     runtime/xmlrpc.c lib/errmsg.c $(pkg-config --libs libxml-2.0) -lm \
 *     -o fuzz-xmlrpc
 *   ./fuzz-xmlrpc -max_total_time=60 tests/fuzz/corpus-xmlrpc
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/xmlrpc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool same(const struct xr_value *a, const struct xr_value *b)
{
	size_t i;

	if (a->type != b->type || a->n != b->n)
		return false;
	switch (a->type) {
	case XR_STRING:
	case XR_DATETIME:
	case XR_BASE64:
		return !strcmp(a->str, b->str);
	case XR_INT:
	case XR_BOOL:
		return a->num == b->num;
	case XR_DOUBLE:
		return a->dbl == b->dbl;
	case XR_ARRAY:
	case XR_STRUCT:
		for (i = 0; i < a->n; i++)
			if ((a->names && strcmp(a->names[i], b->names[i])) ||
			    !same(&a->items[i], &b->items[i]))
				return false;
		return true;
	case XR_NIL:
		return true;
	}
	return false;
}

static void round_trip(const struct xr_value *v)
{
	char *call = NULL, *err = NULL, *body = NULL, *start, *end;
	struct xr_value back = { 0 };
	size_t len;

	if (xr_encode_call("m", v, 1, &call, &len, &err)) {
		fprintf(stderr, "decoded value refused by the encoder: %s\n",
			err);
		abort();
	}
	start = strstr(call, "<value>");
	end = strstr(call, "</param></params></methodCall>");
	if (!start || !end ||
	    asprintf(&body, "<methodResponse><params><param>%.*s</param>"
		     "</params></methodResponse>", (int)(end - start),
		     start) < 0)
		abort();
	if (xr_decode_response(body, strlen(body), &back, &err)) {
		fprintf(stderr, "re-encoded value not decoded: %s\n", err);
		abort();
	}
	if (!same(v, &back)) {
		fprintf(stderr, "round trip changed the value\n");
		abort();
	}
	xr_value_free(&back);
	free(body);
	free(call);
}

/* The same bytes fed in pieces of a size the input picks: the same value
 * or an error as when fed whole (the repair of names carries its state
 * across pieces). */
static void in_pieces(const uint8_t *data, size_t size,
		      const struct xr_value *whole, bool whole_ok)
{
	struct xr_stream *st = xr_stream_new(NULL, XR_MAX_VALUES);
	struct xr_value v = { 0 };
	size_t step = size ? (size_t)data[0] % 13 + 1 : 1, i;
	char *err = NULL;
	int rc;

	if (!st)
		abort();
	for (i = 0; i < size; i += step)
		if (xr_stream_feed(st, (const char *)data + i,
				   size - i < step ? size - i : step))
			break;
	rc = xr_stream_value(st, &v, &err);
	if ((rc == 0) != whole_ok || (rc == 0 && !same(whole, &v))) {
		fprintf(stderr, "fed in pieces of %zu: %s\n", step,
			rc ? err : "a value the whole did not give");
		abort();
	}
	xr_value_free(&v);
	free(err);
	xr_stream_free(st);
}

static bool want_some(void *ctx, const char *field)
{
	return !strcmp(field, "name_label") || !strcmp(field, "other_config");
}

static int take_record(void *ctx, const char *ref, struct xr_value *rec,
		       char **errmsg)
{
	size_t *n = ctx;

	if (!ref)
		abort();
	++*n;
	xr_value_free(rec);
	return 0;
}

/* Through a sink, as get_all_records is read: a reply or an error. */
static void through_sink(const uint8_t *data, size_t size)
{
	size_t n = 0;
	struct xr_sink sink = { want_some, take_record, &n };
	struct xr_stream *st = xr_stream_new(&sink, XR_MAX_VALUES);
	struct xr_reply r = { 0 };
	char *err = NULL;

	if (!st)
		abort();
	xr_stream_feed(st, (const char *)data, size);
	if (xr_stream_reply(st, &r, &err) == 0)
		xr_reply_free(&r);
	else if (!err)
		abort();
	free(err);
	xr_stream_free(st);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct xr_value v = { 0 };
	struct xr_reply r = { 0 };
	char *err = NULL;

	through_sink(data, size);
	if (xr_decode_response((const char *)data, size, &v, &err) == 0) {
		in_pieces(data, size, &v, true);
		round_trip(&v);
		xr_value_free(&v);
	} else {
		in_pieces(data, size, &v, false);
		if (!err || v.type != XR_NIL)
			abort();           /* an error always says what */
		free(err);
		err = NULL;
	}
	if (xr_decode_reply((const char *)data, size, &r, &err) == 0) {
		if (r.failed && (!r.code || (r.nparams && !r.params)))
			abort();
		xr_reply_free(&r);
	} else {
		if (!err || r.failed || r.code)
			abort();
		free(err);
	}
	return 0;
}
