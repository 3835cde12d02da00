/* SPDX-License-Identifier: MIT */
/* fuzz-json.c - libFuzzer harness for the JSON reader `xenbake status`
 * reads receipts with: any input is refused with a message or parses;
 * what parses, written back out with xenbake's own string writer (the one
 * plans and receipts use), parses again to the very same tree. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/quote.h"
#include "runtime/json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void put(FILE *f, const struct xb_json *j)
{
	size_t i;

	switch (j->type) {
	case XB_JSON_NULL: fputs("null", f); break;
	case XB_JSON_BOOL: fputs(j->boolean ? "true" : "false", f); break;
	case XB_JSON_NUMBER: fprintf(f, "%.17g", j->number); break;
	case XB_JSON_STRING: xb_put_quoted(f, j->string, XB_QUOTE_JSON); break;
	case XB_JSON_ARRAY:
	case XB_JSON_OBJECT:
		fputc(j->type == XB_JSON_ARRAY ? '[' : '{', f);
		for (i = 0; i < j->n; i++) {
			if (i)
				fputc(',', f);
			if (j->type == XB_JSON_OBJECT) {
				xb_put_quoted(f, j->keys[i], XB_QUOTE_JSON);
				fputc(':', f);
			}
			put(f, &j->items[i]);
		}
		fputc(j->type == XB_JSON_ARRAY ? ']' : '}', f);
		break;
	}
}

static int same(const struct xb_json *a, const struct xb_json *b)
{
	size_t i;

	if (a->type != b->type || a->n != b->n)
		return 0;
	switch (a->type) {
	case XB_JSON_NULL: return 1;
	case XB_JSON_BOOL: return a->boolean == b->boolean;
	case XB_JSON_NUMBER:    /* %.17g round-trips every finite double */
		return a->number == b->number ||
		       (a->number != a->number && b->number != b->number);
	case XB_JSON_STRING: return !strcmp(a->string, b->string);
	case XB_JSON_ARRAY:
	case XB_JSON_OBJECT:
		for (i = 0; i < a->n; i++)
			if ((a->keys && strcmp(a->keys[i], b->keys[i])) ||
			    !same(&a->items[i], &b->items[i]))
				return 0;
		return 1;
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct xb_json j, again;
	char *err = NULL, *text = NULL;
	size_t len = 0;
	FILE *f;

	if (xb_json_parse((const char *)data, size, &j, &err)) {
		if (!err)
			abort();            /* refused without a word */
		free(err);
		xb_json_free(&j);
		return 0;
	}
	f = open_memstream(&text, &len);
	if (!f)
		abort();
	put(f, &j);
	if (fclose(f))
		abort();
	if (xb_json_parse(text, len, &again, &err) || !same(&j, &again))
		abort();                    /* written is not what was read */
	free(err);
	xb_json_free(&again);
	xb_json_free(&j);
	free(text);
	return 0;
}
