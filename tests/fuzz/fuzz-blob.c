/* SPDX-License-Identifier: MIT */
/* fuzz-blob.c - libFuzzer harness for the blob reader and `dump`: any
 * input either is refused by xbb_open or opens, and then every object and
 * entry reads back within bounds, is re-checked against the compiler's
 * rules (recheck.h) and dumps without error.
 *
 * With -DFUZZ_SKIP_HASH the harness writes the right SHA-256 into a copy
 * of the input first, so that mutations reach the checks past the hash
 * (the reader itself has no way to skip a check). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef FUZZ_SKIP_HASH
#include "lib/sha256.h"
#endif

#include "lib/blob.h"
#include "runtime/dump.h"
#include "runtime/recheck.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#ifdef FUZZ_SKIP_HASH
static void fix_hash(unsigned char *p, size_t size)
{
	struct xb_sha256 st;
	static const unsigned char zeros[XBB_SHA256_SIZE];
	const size_t after = XBB_OFF_SHA256 + XBB_SHA256_SIZE;

	if (size < after)
		return;
	xb_sha256_init(&st);
	xb_sha256_update(&st, p, XBB_OFF_SHA256);
	xb_sha256_update(&st, zeros, sizeof(zeros));
	xb_sha256_update(&st, p + after, size - after);
	xb_sha256_final(&st, p + XBB_OFF_SHA256);
}
#endif

static void check_pos(const struct xbb_pos *pos)
{
	if (pos->line < 1 || pos->column < 1 || strlen(pos->file) > (1u << 30))
		abort();
}

static void walk(const struct xbb *blob)
{
	struct xbb_object o;
	struct xbb_entry e;
	uint32_t i, j;

	for (i = 0; i < blob->nobjects; i++) {
		xbb_object(blob, i, &o);
		if (o.cls < XB_CLASS_VM || o.cls > XB_CLASS_MAX ||
		    o.first > blob->nentries ||
		    o.count > blob->nentries - o.first)
			abort();
		/* strlen walks each string: ASan sees any overrun */
		if (strlen(o.selector) + strlen(o.host) > blob->size)
			abort();
		check_pos(&o.pos);
		for (j = o.first; j < o.first + o.count; j++) {
			xbb_entry(blob, j, &e);
			if (e.field < XB_FIELD_XENSTORE_DATA ||
			    e.field > XB_FIELD_MAX ||
			    strlen(e.key) + strlen(e.value) > blob->size)
				abort();
			check_pos(&e.pos);
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static FILE *null_out;
	const void *buf = data;
	unsigned char *copy = NULL;
	struct xbb blob;

#ifdef FUZZ_SKIP_HASH
	copy = malloc(size ? size : 1);
	if (!copy)
		return 0;
	memcpy(copy, data, size);
	fix_hash(copy, size);
	buf = copy;
#endif
	if (xbb_open(&blob, buf, size) == XBB_OK) {
		char *why = NULL;

		walk(&blob);
		/* the runtime's re-check of the compiler's rules: a verdict
		 * either way, and a message when it refuses */
		if (xb_blob_recheck(&blob, &why) && !why)
			abort();
		free(why);
		if (!null_out)
			null_out = fopen("/dev/null", "w");
		if (null_out && xb_dump(&blob, null_out))
			abort();
	}
	free(copy);
	return 0;
}
