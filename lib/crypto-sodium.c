/* SPDX-License-Identifier: MIT */
/* crypto-sodium.c - crypto.h with libsodium. */
#include <sodium.h>

#include "lib/crypto.h"
#include "lib/errmsg.h"

const char *xb_crypto_backend(void)
{
	return "sodium";
}

int xb_crypto_init(char **errmsg)
{
	return sodium_init() < 0 ? xb_fail(errmsg, "libsodium failed to start") : 0;
}

void xb_crypto_wipe(void *p, size_t n)
{
	sodium_memzero(p, n);
}

int xb_crypto_random(void *buf, size_t n)
{
	randombytes_buf(buf, n);
	return 0;
}

int xb_ed25519_public(const uint8_t seed[XB_ED25519_SEED_SIZE],
		      uint8_t pk[XB_ED25519_PUBLIC_SIZE])
{
	unsigned char sk[crypto_sign_SECRETKEYBYTES];
	int ret = crypto_sign_seed_keypair(pk, sk, seed) ? -1 : 0;

	sodium_memzero(sk, sizeof(sk));
	return ret;
}

int xb_ed25519_sign(const uint8_t seed[XB_ED25519_SEED_SIZE], const void *m,
		    size_t n, uint8_t sig[XB_ED25519_SIG_SIZE])
{
	/* libsodium signs with seed || pk, the pk derived here from the seed */
	unsigned char pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES];
	int ret = -1;

	if (crypto_sign_seed_keypair(pk, sk, seed) ||
	    crypto_sign_detached(sig, NULL, m, n, sk))
		goto out;
	ret = 0;
out:
	sodium_memzero(sk, sizeof(sk));
	return ret;
}

int xb_ed25519_verify(const uint8_t pk[XB_ED25519_PUBLIC_SIZE], const void *m,
		      size_t n, const uint8_t sig[XB_ED25519_SIG_SIZE])
{
	return crypto_sign_verify_detached(sig, m, n, pk) ? -1 : 0;
}

int xb_x25519_public(const uint8_t sk[XB_X25519_SIZE],
		     uint8_t pk[XB_X25519_SIZE])
{
	return crypto_scalarmult_base(pk, sk) ? -1 : 0;
}

int xb_x25519(const uint8_t sk[XB_X25519_SIZE], const uint8_t pk[XB_X25519_SIZE],
	      uint8_t shared[XB_X25519_SIZE])
{
	/* libsodium refuses an all-zero result itself */
	if (crypto_scalarmult(shared, sk, pk)) {
		sodium_memzero(shared, XB_X25519_SIZE);
		return -1;
	}
	return 0;
}

int xb_aead_seal(const uint8_t key[XB_AEAD_KEY_SIZE],
		 const uint8_t nonce[XB_AEAD_NONCE_SIZE], const void *ad,
		 size_t adn, const void *in, size_t n, uint8_t *out)
{
	if (n > crypto_aead_chacha20poly1305_ietf_MESSAGEBYTES_MAX)
		return -1;
	return crypto_aead_chacha20poly1305_ietf_encrypt_detached(out,
		out + n, NULL, in, n, ad, adn, NULL, nonce, key) ? -1 : 0;
}

int xb_aead_open(const uint8_t key[XB_AEAD_KEY_SIZE],
		 const uint8_t nonce[XB_AEAD_NONCE_SIZE], const void *ad,
		 size_t adn, const void *in, size_t n, uint8_t *out)
{
	const unsigned char *c = in;

	if (n < XB_AEAD_TAG_SIZE)
		return -1;
	if (crypto_aead_chacha20poly1305_ietf_decrypt_detached(out, NULL, c,
			n - XB_AEAD_TAG_SIZE, c + n - XB_AEAD_TAG_SIZE, ad, adn,
			nonce, key)) {
		sodium_memzero(out, n - XB_AEAD_TAG_SIZE);
		return -1;
	}
	return 0;
}
