/* fuzz-parse.c - libFuzzer harness: the whole compiler (scanner, parser,
 * resolve, checks, emit) over arbitrary bytes as one source file. Any
 * include refers to files that do not exist: an include error. */
#include <stdint.h>
#include <stdlib.h>

#include "compiler/compiler.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct xbc c;
	unsigned char *blob = NULL;
	size_t len;

	xbc_init(&c);
	if (!xbc_parse_buffer(&c, "fuzz.xb", (const char *)data, size) &&
	    xbc_compile(&c) && !xbc_emit(&c, &blob, &len))
		free(blob);
	xbc_free(&c);
	return 0;
}
