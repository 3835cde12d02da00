/* SPDX-License-Identifier: MIT */
/* sha256.c - see sha256.h. OpenSSL's SHA256_* calls fail only when given
 * NULL, which these never pass: their results are not errors to handle. */
#include "lib/sha256.h"

void xb_sha256_init(struct xb_sha256 *h)
{
	SHA256_Init(&h->ctx);
}

void xb_sha256_update(struct xb_sha256 *h, const void *p, size_t n)
{
	SHA256_Update(&h->ctx, p, n);
}

void xb_sha256_final(struct xb_sha256 *h, unsigned char out[XB_SHA256_SIZE])
{
	SHA256_Final(out, &h->ctx);
}

void xb_sha256(unsigned char out[XB_SHA256_SIZE], const void *p, size_t n)
{
	struct xb_sha256 h;

	xb_sha256_init(&h);
	xb_sha256_update(&h, p, n);
	xb_sha256_final(&h, out);
}
