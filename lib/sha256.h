/* SPDX-License-Identifier: MIT */
/* sha256.h - SHA-256, the one hash of blobs, journals and configuration
 * identities. OpenSSL's implementation uses the CPU's SHA instructions
 * where it has them: about 4x libsodium's portable code, which showed as a
 * quarter of xenbakec's instructions. A state lives on the stack and
 * cannot fail. */
#ifndef XENBAKE_SHA256_H
#define XENBAKE_SHA256_H

#include <stddef.h>

#include <openssl/sha.h>

#define XB_SHA256_SIZE 32

struct xb_sha256 {
	SHA256_CTX ctx;
};

void xb_sha256_init(struct xb_sha256 *h);
void xb_sha256_update(struct xb_sha256 *h, const void *p, size_t n);
void xb_sha256_final(struct xb_sha256 *h, unsigned char out[XB_SHA256_SIZE]);

/* The hash of n bytes at p, in one call */
void xb_sha256(unsigned char out[XB_SHA256_SIZE], const void *p, size_t n);

#endif
