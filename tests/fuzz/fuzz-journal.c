/* SPDX-License-Identifier: MIT */
/* fuzz-journal.c - libFuzzer harness for the apply journal's reader: any
 * input is refused with a message or parses, and then it is canonical:
 * formatting what was read gives back the very same bytes.
 *
 * With -DFUZZ_SKIP_HASH the harness seals a copy of the input with the
 * right SHA-256 first, so that mutations reach the checks past it. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef FUZZ_SKIP_HASH
#include "lib/sha256.h"
#endif

#include "runtime/journal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define END_LINE (4 + 2 * XB_JOURNAL_SHA256_SIZE + 1)     /* "end HEX\n" */

#ifdef FUZZ_SKIP_HASH
static void seal(char *p, size_t size)
{
	static const char digits[] = "0123456789abcdef";
	unsigned char h[XB_JOURNAL_SHA256_SIZE];
	char *end;
	size_t i;

	if (size < END_LINE)
		return;
	end = p + size - END_LINE;
	xb_sha256(h, p, (size_t)(end - p));
	memcpy(end, "end ", 4);
	for (i = 0; i < sizeof(h); i++) {
		end[4 + 2 * i] = digits[h[i] >> 4];
		end[5 + 2 * i] = digits[h[i] & 15];
	}
	end[END_LINE - 1] = '\n';
}
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct xb_journal j;
	char *copy, *err = NULL, *out = NULL;
	size_t len = 0;

	copy = malloc(size ? size : 1);
	if (!copy)
		return 0;
	memcpy(copy, data, size);
#ifdef FUZZ_SKIP_HASH
	seal(copy, size);
#endif
	if (xb_journal_parse(copy, size, &j, &err) == 0) {
		if (xb_journal_format(&j, &out, &len, &err) ||
		    len != size || memcmp(out, copy, size))
			abort();            /* read is not what is written */
	} else if (!err) {
		abort();                    /* refused without a word */
	}
	free(out);
	free(err);
	xb_journal_free(&j);
	free(copy);
	return 0;
}
