/* SPDX-License-Identifier: MIT */
/* fuzz-parse.c - libFuzzer harness: the whole compiler (scanner, parser,
 * resolve, checks, emit) over arbitrary bytes as one source file, and the
 * diagnostics printed both ways (to /dev/null). Any include refers to
 * files that do not exist: an include error.
 *
 * Then the formatter's properties: the canonical layout of a file that
 * parses parses, is its own canonical layout, and compiles to the same
 * objects (positions aside) or fails as the original does. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compiler/compiler.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Bounds on what fors, templates and constants make, far below
 * xenbakec's: the paths that check them are the same, and inputs that
 * reach them stay fast enough to fuzz. */
#define FUZZ_MAX_EXPANDED 20000
#define FUZZ_MAX_CONSTANT_BYTES (2UL << 20)

static void fuzz_init(struct xbc *c)
{
	xbc_init(c);
	c->opt.max_expanded = FUZZ_MAX_EXPANDED;
	c->opt.max_constant_bytes = FUZZ_MAX_CONSTANT_BYTES;
}

/* text in canonical layout (malloc'd), or NULL if it does not parse */
static char *format(const char *text, size_t size, size_t *len)
{
	struct xbc c;
	char *out = NULL;

	fuzz_init(&c);
	c.opt.no_includes = true;
	if (xbc_parse_buffer(&c, "fuzz.xb", text, size) || c.nerrors ||
	    xbc_format(&c, &out, len))
		out = NULL;
	xbc_free(&c);
	return out;
}

static bool same_str(const char *a, const char *b)
{
	return (!a && !b) || (a && b && !strcmp(a, b));
}

/* What two compilations mean, positions aside: their objects. */
static bool same_objects(const struct xbc *a, const struct xbc *b)
{
	const struct xbc_object *x, *y;
	size_t i, j;

	if (a->nobjects != b->nobjects)
		return false;
	for (i = 0; i < a->nobjects; i++) {
		x = a->objects[i];
		y = b->objects[i];
		if (x->cls != y->cls || x->how != y->how ||
		    x->optional != y->optional || x->nentries != y->nentries ||
		    !same_str(x->selector, y->selector) ||
		    !same_str(x->host, y->host))
			return false;
		for (j = 0; j < x->nentries; j++)
			if (x->entries[j].field != y->entries[j].field ||
			    !same_str(xbc_entry_key(a, &x->entries[j]),
				      xbc_entry_key(b, &y->entries[j])) ||
			    !same_str(x->entries[j].value, y->entries[j].value))
				return false;
	}
	return true;
}

static void check_format(const uint8_t *data, size_t size)
{
	struct xbc a, b;
	char *once, *twice = NULL;
	size_t len1 = 0, len2 = 0;
	bool ok_a, ok_b;

	once = format((const char *)data, size, &len1);
	if (!once)
		return;
	twice = format(once, len1, &len2);
	if (!twice || len1 != len2 || memcmp(once, twice, len1))
		abort();        /* not parseable, or not idempotent */
	fuzz_init(&a);
	fuzz_init(&b);
	ok_a = !xbc_parse_buffer(&a, "fuzz.xb", (const char *)data, size) &&
	       xbc_compile(&a);
	ok_b = !xbc_parse_buffer(&b, "fuzz.xb", once, len1) && xbc_compile(&b);
	if (!a.out_of_memory && !b.out_of_memory &&
	    (ok_a != ok_b || (ok_a && !same_objects(&a, &b))))
		abort();        /* the formatter changed the meaning */
	xbc_free(&a);
	xbc_free(&b);
	free(once);
	free(twice);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static FILE *sink;
	struct xbc c;
	unsigned char *blob = NULL;
	size_t len;

	if (!sink)
		sink = fopen("/dev/null", "w");
	fuzz_init(&c);
	/* as xenbakec does: the tree is released before the emit */
	if (!xbc_parse_buffer(&c, "fuzz.xb", (const char *)data, size) &&
	    xbc_compile(&c)) {
		xbc_release_tree(&c);
		if (!xbc_emit(&c, &blob, &len))
			free(blob);
	}
	if (sink) {
		xbc_print_diags(&c, false, false, sink);
		xbc_print_diags(&c, true, false, sink);
	}
	xbc_free(&c);
	check_format(data, size);
	return 0;
}
