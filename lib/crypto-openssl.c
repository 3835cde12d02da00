/* SPDX-License-Identifier: MIT */
/* crypto-openssl.c - crypto.h with OpenSSL's EVP interface (>= 1.1.1: the
 * first with raw Ed25519 and X25519 keys). */
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "lib/crypto.h"
#include "lib/errmsg.h"

/* EVP counts in int: longer inputs go through in pieces of this size */
#define CHUNK_MAX (1u << 30)

const char *xb_crypto_backend(void)
{
	return "openssl";
}

int xb_crypto_init(char **errmsg)
{
	/* OpenSSL >= 1.1 starts itself; a library without Ed25519 (a
	 * restricted build) is found here rather than at the first key */
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, NULL);

	if (!ctx)
		return xb_fail(errmsg, "OpenSSL has no Ed25519");
	EVP_PKEY_CTX_free(ctx);
	return 0;
}

void xb_crypto_wipe(void *p, size_t n)
{
	OPENSSL_cleanse(p, n);
}

int xb_crypto_random(void *buf, size_t n)
{
	unsigned char *p = buf;

	while (n) {
		size_t k = n < CHUNK_MAX ? n : CHUNK_MAX;

		if (RAND_bytes(p, (int)k) != 1)
			return -1;
		p += k;
		n -= k;
	}
	return 0;
}

/* The public half of the raw private key of the given type */
static int raw_public(int type, const uint8_t sk[32], uint8_t pk[32])
{
	EVP_PKEY *key = EVP_PKEY_new_raw_private_key(type, NULL, sk, 32);
	size_t len = 32;
	int ret = -1;

	if (!key)
		return -1;
	if (EVP_PKEY_get_raw_public_key(key, pk, &len) != 1 || len != 32)
		goto out;
	ret = 0;
out:
	EVP_PKEY_free(key);
	return ret;
}

int xb_ed25519_public(const uint8_t seed[XB_ED25519_SEED_SIZE],
		      uint8_t pk[XB_ED25519_PUBLIC_SIZE])
{
	return raw_public(EVP_PKEY_ED25519, seed, pk);
}

int xb_ed25519_sign(const uint8_t seed[XB_ED25519_SEED_SIZE], const void *m,
		    size_t n, uint8_t sig[XB_ED25519_SIG_SIZE])
{
	EVP_PKEY *key = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL,
						     seed, XB_ED25519_SEED_SIZE);
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	size_t len = XB_ED25519_SIG_SIZE;
	int ret = -1;

	/* Ed25519 hashes the message twice: EVP takes it in one piece only */
	if (!key || !ctx || EVP_DigestSignInit(ctx, NULL, NULL, NULL, key) != 1 ||
	    EVP_DigestSign(ctx, sig, &len, m ? m : (const void *)"", n) != 1 ||
	    len != XB_ED25519_SIG_SIZE)
		goto out;
	ret = 0;
out:
	EVP_MD_CTX_free(ctx);
	EVP_PKEY_free(key);
	return ret;
}

int xb_ed25519_verify(const uint8_t pk[XB_ED25519_PUBLIC_SIZE], const void *m,
		      size_t n, const uint8_t sig[XB_ED25519_SIG_SIZE])
{
	EVP_PKEY *key = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL,
						    pk, XB_ED25519_PUBLIC_SIZE);
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	int ret = -1;

	if (!key || !ctx || EVP_DigestVerifyInit(ctx, NULL, NULL, NULL, key) != 1 ||
	    EVP_DigestVerify(ctx, sig, XB_ED25519_SIG_SIZE,
			     m ? m : (const void *)"", n) != 1)
		goto out;
	ret = 0;
out:
	EVP_MD_CTX_free(ctx);
	EVP_PKEY_free(key);
	return ret;
}

int xb_x25519_public(const uint8_t sk[XB_X25519_SIZE],
		     uint8_t pk[XB_X25519_SIZE])
{
	return raw_public(EVP_PKEY_X25519, sk, pk);
}

int xb_x25519(const uint8_t sk[XB_X25519_SIZE], const uint8_t pk[XB_X25519_SIZE],
	      uint8_t shared[XB_X25519_SIZE])
{
	static const uint8_t zeros[XB_X25519_SIZE];
	EVP_PKEY *mine = EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, NULL,
						      sk, XB_X25519_SIZE);
	EVP_PKEY *peer = EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, NULL,
						     pk, XB_X25519_SIZE);
	EVP_PKEY_CTX *ctx = mine ? EVP_PKEY_CTX_new(mine, NULL) : NULL;
	size_t len = XB_X25519_SIZE;
	int ret = -1;

	/* OpenSSL refuses an all-zero result too; checked here as well, so
	 * the refusal does not depend on the version */
	if (!peer || !ctx || EVP_PKEY_derive_init(ctx) != 1 ||
	    EVP_PKEY_derive_set_peer(ctx, peer) != 1 ||
	    EVP_PKEY_derive(ctx, shared, &len) != 1 || len != XB_X25519_SIZE ||
	    !CRYPTO_memcmp(shared, zeros, XB_X25519_SIZE))
		goto out;
	ret = 0;
out:
	if (ret)
		OPENSSL_cleanse(shared, XB_X25519_SIZE);
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(peer);
	EVP_PKEY_free(mine);
	return ret;
}

/* Feeds n bytes at in through ctx (to out, or as associated data when
 * out is NULL) */
static int update(EVP_CIPHER_CTX *ctx, int enc, uint8_t *out,
		  const void *in, size_t n)
{
	const unsigned char *p = in;
	int len;

	while (n) {
		size_t k = n < CHUNK_MAX ? n : CHUNK_MAX;

		if ((enc ? EVP_EncryptUpdate(ctx, out, &len, p, (int)k)
			 : EVP_DecryptUpdate(ctx, out, &len, p, (int)k)) != 1)
			return -1;
		if (out) {
			if ((size_t)len != k)
				return -1;
			out += k;
		}
		p += k;
		n -= k;
	}
	return 0;
}

/* A context for ChaCha20-Poly1305 with key and nonce set */
static EVP_CIPHER_CTX *aead_start(int enc, const uint8_t *key,
				  const uint8_t *nonce)
{
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();

	if (!ctx)
		return NULL;
	if (EVP_CipherInit_ex(ctx, EVP_chacha20_poly1305(), NULL, NULL, NULL,
			      enc) != 1 ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_IVLEN,
				XB_AEAD_NONCE_SIZE, NULL) != 1 ||
	    EVP_CipherInit_ex(ctx, NULL, NULL, key, nonce, enc) != 1) {
		EVP_CIPHER_CTX_free(ctx);
		return NULL;
	}
	return ctx;
}

int xb_aead_seal(const uint8_t key[XB_AEAD_KEY_SIZE],
		 const uint8_t nonce[XB_AEAD_NONCE_SIZE], const void *ad,
		 size_t adn, const void *in, size_t n, uint8_t *out)
{
	EVP_CIPHER_CTX *ctx = aead_start(1, key, nonce);
	int len, ret = -1;

	if (!ctx || update(ctx, 1, NULL, ad, adn) ||
	    update(ctx, 1, out, in, n) ||
	    EVP_EncryptFinal_ex(ctx, out + n, &len) != 1 || len != 0 ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, XB_AEAD_TAG_SIZE,
				out + n) != 1)
		goto out;
	ret = 0;
out:
	EVP_CIPHER_CTX_free(ctx);
	return ret;
}

int xb_aead_open(const uint8_t key[XB_AEAD_KEY_SIZE],
		 const uint8_t nonce[XB_AEAD_NONCE_SIZE], const void *ad,
		 size_t adn, const void *in, size_t n, uint8_t *out)
{
	const unsigned char *c = in;
	unsigned char tag[XB_AEAD_TAG_SIZE];
	EVP_CIPHER_CTX *ctx = NULL;
	size_t clen;
	int len, ret = -1;

	if (n < XB_AEAD_TAG_SIZE)
		return -1;
	clen = n - XB_AEAD_TAG_SIZE;
	/* a copy: the tag is set through a non-const pointer */
	memcpy(tag, c + clen, sizeof(tag));
	ctx = aead_start(0, key, nonce);
	if (!ctx || update(ctx, 0, NULL, ad, adn) ||
	    update(ctx, 0, out, c, clen) ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, XB_AEAD_TAG_SIZE,
				tag) != 1 ||
	    EVP_DecryptFinal_ex(ctx, out + clen, &len) != 1 || len != 0)
		goto out;
	ret = 0;
out:
	if (ret)
		OPENSSL_cleanse(out, clen);
	EVP_CIPHER_CTX_free(ctx);
	return ret;
}
