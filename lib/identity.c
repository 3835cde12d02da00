/* SPDX-License-Identifier: MIT */
/* identity.c - see identity.h. Each string goes in with its NUL and each
 * count before its records, so no two configurations hash the same bytes. */
#include <stdint.h>
#include <string.h>

#include "lib/identity.h"
#include "lib/sha256.h"

static void put_u32(struct xb_sha256 *st, uint32_t v)
{
	unsigned char b[4];

	xbb_put32(b, v);
	xb_sha256_update(st, b, sizeof(b));
}

static void put_str(struct xb_sha256 *st, const char *s)
{
	xb_sha256_update(st, s, strlen(s) + 1);
}

void xb_identity(const struct xbb *blobs, size_t n,
		 unsigned char out[XB_IDENTITY_SIZE])
{
	static const char domain[] = "xenbake configuration identity 1";
	struct xb_sha256 st;
	struct xbb_object o;
	struct xbb_entry e;
	uint32_t i, j;
	size_t b;

	xb_sha256_init(&st);
	put_str(&st, domain);
	put_u32(&st, (uint32_t)n);
	for (b = 0; b < n; b++) {
		put_u32(&st, blobs[b].nobjects);
		for (i = 0; i < blobs[b].nobjects; i++) {
			xbb_object(&blobs[b], i, &o);
			put_u32(&st, (uint32_t)o.cls);
			put_u32(&st, o.flags);
			put_str(&st, o.selector);
			put_str(&st, o.host);
			put_u32(&st, o.count);
			for (j = o.first; j < o.first + o.count; j++) {
				xbb_entry(&blobs[b], j, &e);
				/* the flags as the blob keeps them:
				 * none leaves the bytes as they were */
				put_u32(&st, (uint32_t)e.field | e.flags);
				put_str(&st, e.key);
				put_str(&st, e.value);
			}
		}
		/* an owner changes what is recorded; none leaves the
		 * identity of a blob from before owners as it was */
		if (blobs[b].owner && *blobs[b].owner) {
			put_u32(&st, UINT32_MAX);
			put_str(&st, blobs[b].owner);
		}
	}
	xb_sha256_final(&st, out);
}
