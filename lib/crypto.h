/* SPDX-License-Identifier: MIT */
/* crypto.h - the few primitives signing (trust.c) and sealing need, from
 * one of two libraries chosen by configure --with-crypto: libsodium
 * (crypto-sodium.c) or OpenSSL >= 1.1.1 (crypto-openssl.c), which an
 * EL7-based control domain has in its base repositories. Both compute the
 * same functions (Ed25519 as RFC 8032, X25519 as RFC 7748,
 * ChaCha20-Poly1305 as RFC 8439), so keys, signatures and sealed bytes do
 * not depend on the backend. Each returns 0, or -1 on failure. */
#ifndef XENBAKE_CRYPTO_H
#define XENBAKE_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

#define XB_ED25519_SEED_SIZE 32
#define XB_ED25519_PUBLIC_SIZE 32
#define XB_ED25519_SIG_SIZE 64
#define XB_X25519_SIZE 32
#define XB_AEAD_KEY_SIZE 32
#define XB_AEAD_NONCE_SIZE 12
#define XB_AEAD_TAG_SIZE 16

/* "sodium" or "openssl": which backend this build uses */
const char *xb_crypto_backend(void);

/* Before any other call; *errmsg (malloc'd) when the library cannot start */
int xb_crypto_init(char **errmsg);

/* Clears n bytes in a way the compiler does not remove */
void xb_crypto_wipe(void *p, size_t n);

/* n bytes from the system's cryptographic random source */
int xb_crypto_random(void *buf, size_t n);

/* Ed25519 from the 32-byte seed (RFC 8032's private key) */
int xb_ed25519_public(const uint8_t seed[XB_ED25519_SEED_SIZE],
		      uint8_t pk[XB_ED25519_PUBLIC_SIZE]);
int xb_ed25519_sign(const uint8_t seed[XB_ED25519_SEED_SIZE], const void *m,
		    size_t n, uint8_t sig[XB_ED25519_SIG_SIZE]);
/* 0 when sig is pk's signature of m[0..n), else -1 */
int xb_ed25519_verify(const uint8_t pk[XB_ED25519_PUBLIC_SIZE], const void *m,
		      size_t n, const uint8_t sig[XB_ED25519_SIG_SIZE]);

int xb_x25519_public(const uint8_t sk[XB_X25519_SIZE],
		     uint8_t pk[XB_X25519_SIZE]);
/* -1 also when the shared secret is all zeros (pk of small order) */
int xb_x25519(const uint8_t sk[XB_X25519_SIZE], const uint8_t pk[XB_X25519_SIZE],
	      uint8_t shared[XB_X25519_SIZE]);

/* ChaCha20-Poly1305 (IETF: 96-bit nonce). Seal writes n + 16 bytes to out:
 * the ciphertext, then the tag. */
int xb_aead_seal(const uint8_t key[XB_AEAD_KEY_SIZE],
		 const uint8_t nonce[XB_AEAD_NONCE_SIZE], const void *ad,
		 size_t adn, const void *in, size_t n, uint8_t *out);
/* Opens n bytes (ciphertext, then the 16-byte tag) into n - 16 bytes at
 * out; -1 when n < 16 or the tag is wrong (out is then cleared) */
int xb_aead_open(const uint8_t key[XB_AEAD_KEY_SIZE],
		 const uint8_t nonce[XB_AEAD_NONCE_SIZE], const void *ad,
		 size_t adn, const void *in, size_t n, uint8_t *out);

#endif
