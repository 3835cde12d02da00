/* fuzz-parse.c - libFuzzer harness: the whole compiler (scanner, parser,
 * resolve, checks, emit) over arbitrary bytes as one source file, and the
 * diagnostics printed both ways (to /dev/null). Any include refers to
 * files that do not exist: an include error. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "compiler/compiler.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static FILE *sink;
	struct xbc c;
	unsigned char *blob = NULL;
	size_t len;

	if (!sink)
		sink = fopen("/dev/null", "w");
	xbc_init(&c);
	if (!xbc_parse_buffer(&c, "fuzz.xb", (const char *)data, size) &&
	    xbc_compile(&c) && !xbc_emit(&c, &blob, &len))
		free(blob);
	if (sink) {
		xbc_print_diags(&c, false, false, sink);
		xbc_print_diags(&c, true, false, sink);
	}
	xbc_free(&c);
	return 0;
}
