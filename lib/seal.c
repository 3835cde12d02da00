/* SPDX-License-Identifier: MIT */
/* seal.c - sealing and opening secret values (see seal.h), with X25519
 * and ChaCha20-Poly1305 from lib/crypto.h. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/base64.h"
#include "lib/crypto.h"
#include "lib/errmsg.h"
#include "lib/hex.h"
#include "lib/seal.h"
#include "lib/sha256.h"

#define LABEL_X25519 "xenbake-x25519-v1"
#define LABEL_EPHEMERAL "xenbake-seal-ephemeral-v1"
#define LABEL_KEY "xenbake-seal-key-v1"
#define MAGIC "XBSL"

static void put32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
	p[2] = (unsigned char)(v >> 16);
	p[3] = (unsigned char)(v >> 24);
}

static uint32_t get32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 |
	       (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

int xb_seal_keypair(const unsigned char sk[XB_SECRET_KEY_SIZE],
		    unsigned char x_sk[XB_SEAL_KEY_SIZE],
		    unsigned char x_pk[XB_SEAL_KEY_SIZE])
{
	struct xb_sha256 h;

	/* the secret key is seed || pk (trust.h): the seed alone */
	xb_sha256_init(&h);
	xb_sha256_update(&h, LABEL_X25519, strlen(LABEL_X25519));
	xb_sha256_update(&h, sk, XB_ED25519_SEED_SIZE);
	xb_sha256_final(&h, x_sk);
	xb_crypto_wipe(&h, sizeof(h));
	return xb_x25519_public(x_sk, x_pk);
}

static void key_id(const unsigned char pk[XB_SEAL_KEY_SIZE],
		   unsigned char id[XB_SEAL_ID_SIZE])
{
	unsigned char d[XB_SHA256_SIZE];

	xb_sha256(d, pk, XB_SEAL_KEY_SIZE);
	memcpy(id, d, XB_SEAL_ID_SIZE);
}

void xb_seal_key_id(const unsigned char x_pk[XB_SEAL_KEY_SIZE],
		    char hex[2 * XB_SEAL_ID_SIZE + 1])
{
	unsigned char id[XB_SEAL_ID_SIZE];

	key_id(x_pk, id);
	xb_hex(hex, id, sizeof(id));
}

/* key = SHA-256(label || shared || eph_pk || pk); -1 for a shared secret
 * of all zeros (a low-order point) */
static int box_key(const unsigned char scalar[XB_SEAL_KEY_SIZE],
		   const unsigned char point[XB_SEAL_KEY_SIZE],
		   const unsigned char eph_pk[XB_SEAL_KEY_SIZE],
		   const unsigned char pk[XB_SEAL_KEY_SIZE],
		   unsigned char key[XB_SHA256_SIZE])
{
	unsigned char shared[XB_SEAL_KEY_SIZE];
	struct xb_sha256 h;
	int ret = -1;

	if (xb_x25519(scalar, point, shared))
		goto out;
	xb_sha256_init(&h);
	xb_sha256_update(&h, LABEL_KEY, strlen(LABEL_KEY));
	xb_sha256_update(&h, shared, sizeof(shared));
	xb_sha256_update(&h, eph_pk, XB_SEAL_KEY_SIZE);
	xb_sha256_update(&h, pk, XB_SEAL_KEY_SIZE);
	xb_sha256_final(&h, key);
	xb_crypto_wipe(&h, sizeof(h));
	ret = 0;
out:
	xb_crypto_wipe(shared, sizeof(shared));
	return ret;
}

struct recipient {
	unsigned char id[XB_SEAL_ID_SIZE];
	const unsigned char *pk;
};

static int by_id(const void *a, const void *b)
{
	return memcmp(((const struct recipient *)a)->id,
		      ((const struct recipient *)b)->id, XB_SEAL_ID_SIZE);
}

/* One recipient's record at rec: id, eph_pk, box. */
static int seal_one(const struct recipient *r, const unsigned char *header,
		    const unsigned char *plain, size_t len, unsigned char *rec)
{
	unsigned char eph_sk[XB_SHA256_SIZE], key[XB_SHA256_SIZE];
	unsigned char aad[XB_SEAL_HEADER_SIZE + XB_SEAL_ID_SIZE];
	unsigned char nonce[XB_AEAD_NONCE_SIZE] = { 0 };
	unsigned char *eph_pk = rec + XB_SEAL_ID_SIZE;
	struct xb_sha256 h;
	int ret = -1;

	memcpy(rec, r->id, XB_SEAL_ID_SIZE);
	xb_sha256_init(&h);
	xb_sha256_update(&h, LABEL_EPHEMERAL, strlen(LABEL_EPHEMERAL));
	xb_sha256_update(&h, r->pk, XB_SEAL_KEY_SIZE);
	xb_sha256_update(&h, plain, len);
	xb_sha256_final(&h, eph_sk);
	xb_crypto_wipe(&h, sizeof(h));
	if (xb_x25519_public(eph_sk, eph_pk) ||
	    box_key(eph_sk, r->pk, eph_pk, r->pk, key))
		goto out;
	memcpy(aad, header, XB_SEAL_HEADER_SIZE);
	memcpy(aad + XB_SEAL_HEADER_SIZE, r->id, XB_SEAL_ID_SIZE);
	if (xb_aead_seal(key, nonce, aad, sizeof(aad), plain, len,
			 eph_pk + XB_SEAL_KEY_SIZE))
		goto out;
	ret = 0;
out:
	xb_crypto_wipe(eph_sk, sizeof(eph_sk));
	xb_crypto_wipe(key, sizeof(key));
	return ret;
}

int xb_seal(const unsigned char (*pks)[XB_SEAL_KEY_SIZE], size_t n,
	    const void *plain, size_t len, char **text, char **errmsg)
{
	struct recipient r[XB_SEAL_MAX_RECIPIENTS];
	unsigned char *bundle = NULL;
	size_t size = 0, i, textlen;
	int ret = -1;

	*text = NULL;
	if (xb_crypto_init(errmsg))
		return -1;
	if (n < 1 || n > XB_SEAL_MAX_RECIPIENTS)
		return xb_fail(errmsg, "a secret is sealed to 1 to %u keys, "
			       "not %zu", XB_SEAL_MAX_RECIPIENTS, n);
	if (len > XB_SEAL_MAX_PLAINTEXT)
		return xb_fail(errmsg, "a secret holds at most %u bytes",
			       XB_SEAL_MAX_PLAINTEXT);
	for (i = 0; i < n; i++) {
		key_id(pks[i], r[i].id);
		r[i].pk = pks[i];
	}
	qsort(r, n, sizeof(r[0]), by_id);
	for (i = 1; i < n; i++)
		if (!memcmp(r[i - 1].id, r[i].id, XB_SEAL_ID_SIZE))
			return xb_fail(errmsg, "the same key is given twice");
	size = XB_SEAL_HEADER_SIZE + n * XB_SEAL_RECORD_SIZE(len);
	bundle = malloc(size);
	if (!bundle)
		goto oom;
	memcpy(bundle, MAGIC, 4);
	bundle[4] = XB_SEAL_VERSION;
	bundle[5] = (unsigned char)n;
	bundle[6] = bundle[7] = 0;
	put32(bundle + 8, (uint32_t)len);
	for (i = 0; i < n; i++)
		if (seal_one(&r[i], bundle, plain, len, bundle +
			     XB_SEAL_HEADER_SIZE + i * XB_SEAL_RECORD_SIZE(len))) {
			xb_fail(errmsg, "a sealing key is not a usable X25519 "
				"public key");
			goto out;
		}
	textlen = XB_BASE64_LEN(size) + 1;
	*text = malloc(textlen);
	if (!*text)
		goto oom;
	xb_base64_encode(*text, bundle, size);
	ret = 0;
	goto out;
oom:
	xb_fail(errmsg, "out of memory");
out:
	free(bundle);
	return ret;
}

/* The bundle's bytes, its structure checked: *bundle malloc'd */
static int decode(const char *text, unsigned char **bundle, size_t *size,
		  char **errmsg)
{
	size_t textlen = strlen(text), cap = textlen / 4 * 3, len, n, i;
	unsigned char *b;
	const unsigned char *rec;

	*bundle = NULL;
	b = malloc(cap ? cap : 1);
	if (!b)
		return xb_fail(errmsg, "out of memory");
	if (xb_base64_decode(b, text, textlen, size)) {
		xb_fail(errmsg, "a sealed value is not base64");
		goto bad;
	}
	if (*size < XB_SEAL_HEADER_SIZE || memcmp(b, MAGIC, 4)) {
		xb_fail(errmsg, "not a sealed value (no XBSL header)");
		goto bad;
	}
	if (b[4] != XB_SEAL_VERSION) {
		xb_fail(errmsg, "a sealed value of version %u (this xenbake "
			"knows %u)", b[4], XB_SEAL_VERSION);
		goto bad;
	}
	n = b[5];
	len = get32(b + 8);
	if (n < 1 || n > XB_SEAL_MAX_RECIPIENTS || b[6] || b[7] ||
	    len > XB_SEAL_MAX_PLAINTEXT ||
	    *size != XB_SEAL_HEADER_SIZE + n * XB_SEAL_RECORD_SIZE(len)) {
		xb_fail(errmsg, "a sealed value with a malformed header or "
			"length");
		goto bad;
	}
	for (i = 1; i < n; i++) {
		rec = b + XB_SEAL_HEADER_SIZE + i * XB_SEAL_RECORD_SIZE(len);
		if (memcmp(rec - XB_SEAL_RECORD_SIZE(len), rec,
			   XB_SEAL_ID_SIZE) >= 0) {
			xb_fail(errmsg, "a sealed value's keys are not sorted "
				"nor distinct");
			goto bad;
		}
	}
	*bundle = b;
	return 0;
bad:
	free(b);
	return -1;
}

int xb_seal_check(const char *text, char **errmsg)
{
	unsigned char *b;
	size_t size;

	if (decode(text, &b, &size, errmsg))
		return -1;
	free(b);
	return 0;
}

int xb_seal_open(const char *text, const unsigned char x_sk[XB_SEAL_KEY_SIZE],
		 char **plain, size_t *len, char **errmsg)
{
	unsigned char pk[XB_SEAL_KEY_SIZE], id[XB_SEAL_ID_SIZE];
	unsigned char key[XB_SHA256_SIZE];
	unsigned char aad[XB_SEAL_HEADER_SIZE + XB_SEAL_ID_SIZE];
	unsigned char nonce[XB_AEAD_NONCE_SIZE] = { 0 };
	unsigned char *b = NULL, *rec = NULL, *out = NULL;
	size_t size, n, i, l;
	char hex[2 * XB_SEAL_ID_SIZE + 1];
	int ret = -1;

	*plain = NULL;
	*len = 0;
	if (xb_crypto_init(errmsg) || decode(text, &b, &size, errmsg))
		return -1;
	n = b[5];
	l = get32(b + 8);
	if (xb_x25519_public(x_sk, pk)) {
		xb_fail(errmsg, "this host's key has no usable sealing half");
		goto out;
	}
	key_id(pk, id);
	for (i = 0; i < n && !rec; i++) {
		unsigned char *r = b + XB_SEAL_HEADER_SIZE +
				   i * XB_SEAL_RECORD_SIZE(l);

		if (!memcmp(r, id, XB_SEAL_ID_SIZE))
			rec = r;
	}
	if (!rec) {
		xb_hex(hex, id, sizeof(id));
		xb_fail(errmsg, "not sealed to this host's key (id %s)", hex);
		goto out;
	}
	out = malloc(l + 1);
	if (!out) {
		xb_fail(errmsg, "out of memory");
		goto out;
	}
	memcpy(aad, b, XB_SEAL_HEADER_SIZE);
	memcpy(aad + XB_SEAL_HEADER_SIZE, id, XB_SEAL_ID_SIZE);
	if (box_key(x_sk, rec + XB_SEAL_ID_SIZE, rec + XB_SEAL_ID_SIZE, pk,
		    key) ||
	    xb_aead_open(key, nonce, aad, sizeof(aad),
			 rec + XB_SEAL_ID_SIZE + XB_SEAL_KEY_SIZE,
			 l + XB_SEAL_TAG_SIZE, out)) {
		xb_fail(errmsg, "the sealed value does not open with this "
			"host's key: it was altered");
		goto out;
	}
	/* a secret is text: xb_seal_free wipes up to the NUL */
	if (memchr(out, '\0', l)) {
		xb_fail(errmsg, "the secret holds a NUL byte");
		goto out;
	}
	out[l] = '\0';
	*plain = (char *)out;
	*len = l;
	out = NULL;
	ret = 0;
out:
	xb_crypto_wipe(key, sizeof(key));
	if (out) {
		xb_crypto_wipe(out, l + 1);
		free(out);
	}
	free(b);
	return ret;
}

void xb_seal_free(char *plain)
{
	if (!plain)
		return;
	xb_crypto_wipe(plain, strlen(plain));
	free(plain);
}
