/* SPDX-License-Identifier: MIT */
/* seal.h - secret values: sealed at compile time to one or more host keys,
 * opened on the host. The one definition of the sealed bundle's bytes.
 *
 * Keys. A host's key pair is the signing pair of `xenbakec --gen-key`
 * (trust.h); its sealing half is derived from the ed25519 seed:
 *   x_sk = SHA-256("xenbake-x25519-v1" || seed)   (X25519 clamps it)
 *   x_pk = X25519(x_sk, base)
 * NAME.pub carries x_pk on a second line "xenbake-x25519-public-key HEX".
 *
 * Sealing is deterministic, so that the same source and keys give the same
 * blob bytes (and `dump` round-trips). For each recipient pk, with
 * L = the plaintext's length:
 *   eph_sk = SHA-256("xenbake-seal-ephemeral-v1" || pk || plaintext)
 *   eph_pk = X25519(eph_sk, base)
 *   shared = X25519(eph_sk, pk)           (all-zero refused)
 *   key    = SHA-256("xenbake-seal-key-v1" || shared || eph_pk || pk)
 *   box    = ChaCha20-Poly1305-IETF(key, nonce 12 zero bytes,
 *                                   aad = header || id, plaintext)
 * The zero nonce is safe: a key is used for one plaintext only (it depends
 * on the plaintext through eph_sk). Deterministic sealing lets anyone with
 * the blob confirm a guessed plaintext: secrets must be high-entropy.
 *
 * Bundle bytes (integers little-endian):
 *   off size  header (XB_SEAL_HEADER_SIZE)
 *     0    4  magic "XBSL"
 *     4    1  version (XB_SEAL_VERSION)
 *     5    1  n, the number of recipients, 1..XB_SEAL_MAX_RECIPIENTS
 *     6    2  0 (reserved)
 *     8    4  L, the plaintext's length, 0..XB_SEAL_MAX_PLAINTEXT
 *   then n recipient records of XB_SEAL_RECORD_SIZE(L) bytes, sorted by id,
 *   no two with one id:
 *     0    8  id: the first 8 bytes of SHA-256(pk)
 *     8   32  eph_pk
 *    40 L+16  box: ciphertext and tag
 *   nothing after the last record.
 * In a blob and in source (`sealed "..."`) the bundle is standard base64
 * with padding (the blob's strings are NUL-terminated text).
 *
 * Every function returns 0, or -1 with *errmsg (malloc'd). */
#ifndef XENBAKE_SEAL_H
#define XENBAKE_SEAL_H

#include <stddef.h>

#include "lib/trust.h"

#define XB_SEAL_KEY_SIZE 32
#define XB_SEAL_ID_SIZE 8
#define XB_SEAL_VERSION 1u
#define XB_SEAL_HEADER_SIZE 12u
#define XB_SEAL_TAG_SIZE 16u
#define XB_SEAL_MAX_RECIPIENTS 16u
#define XB_SEAL_MAX_PLAINTEXT (1u << 20)
#define XB_SEAL_RECORD_SIZE(len) \
	(XB_SEAL_ID_SIZE + XB_SEAL_KEY_SIZE + (len) + XB_SEAL_TAG_SIZE)

/* The sealing pair of a signing secret key (trust.h); -1 when the
 * crypto library fails. */
int xb_seal_keypair(const unsigned char sk[XB_SECRET_KEY_SIZE],
		    unsigned char x_sk[XB_SEAL_KEY_SIZE],
		    unsigned char x_pk[XB_SEAL_KEY_SIZE]);

/* Reads the sealing public key of a NAME.pub (its second line); a .pub
 * without one is refused, saying to make the pair again. (trust.c) */
int xb_key_read_seal_public(const char *path,
			    unsigned char pk[XB_SEAL_KEY_SIZE], char **errmsg);

/* The text of NAME.pub (both lines) for the key pair of NAME.key at path:
 * for a pair made before secrets, whose .pub has one line. *text
 * malloc'd. (trust.c) */
int xb_key_public_text(const char *path, char **text, char **errmsg);

/* Reads a host's key (NAME.key) to open secrets with: refused unless the
 * file is owned by the effective user and has no group or other
 * permission. (trust.c) */
int xb_key_read_host(const char *path, unsigned char sk[XB_SECRET_KEY_SIZE],
		     char **errmsg);

/* The key id of a sealing public key, as hex (2 * XB_SEAL_ID_SIZE + 1). */
void xb_seal_key_id(const unsigned char x_pk[XB_SEAL_KEY_SIZE],
		    char hex[2 * XB_SEAL_ID_SIZE + 1]);

/* Seals plain[0..len) to the n public keys (1..XB_SEAL_MAX_RECIPIENTS,
 * distinct); *text: the base64 bundle, NUL-terminated, malloc'd. */
int xb_seal(const unsigned char (*pks)[XB_SEAL_KEY_SIZE], size_t n,
	    const void *plain, size_t len, char **text, char **errmsg);

/* Checks a base64 bundle's structure (not its boxes). */
int xb_seal_check(const char *text, char **errmsg);

/* Opens text with the sealing secret key: *plain is malloc'd,
 * NUL-terminated, *len bytes before the NUL; free it with xb_seal_free. A
 * bundle with no record for this key, or whose box does not open
 * (tampered, or another key's), is refused. */
int xb_seal_open(const char *text, const unsigned char x_sk[XB_SEAL_KEY_SIZE],
		 char **plain, size_t *len, char **errmsg);

/* Wipes and frees an opened plaintext (NULL is fine). */
void xb_seal_free(char *plain);

#endif
