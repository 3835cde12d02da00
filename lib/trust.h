/* SPDX-License-Identifier: MIT */
/* trust.h - whom xenbake believes: who owns the blob file, and who signed
 * it. Both are decided before any I/O to xapi or xenstore.
 *
 * Signatures are Ed25519 (lib/crypto.h: libsodium or OpenSSL, the same
 * bytes), detached: BLOB.xbb.sig holds one line
 * "xenbake-ed25519-signature HEX" over the blob's bytes. Keys are one line
 * each: "xenbake-ed25519-public-key HEX" (KEY.pub) and
 * "xenbake-ed25519-secret-key HEX" (KEY.key, mode 0600: the 32-byte seed,
 * then the public key, as libsodium lays out a secret key). KEY.pub has a
 * second line, the key secrets are sealed to (seal.h); readers of the
 * first line ignore it. */
#ifndef XENBAKE_TRUST_H
#define XENBAKE_TRUST_H

#include <stddef.h>

#define XB_SIG_SUFFIX ".sig"
#define XB_PUBLIC_KEY_SIZE 32
#define XB_SECRET_KEY_SIZE 64
#define XB_SIGNATURE_SIZE  64

/* As root, refuses a blob not owned by root or writable by group or
 * others: whoever can write it could run anything xenbake runs. fd is the
 * opened blob (checked with fstat, so the file checked is the file read).
 * 0, or -1 with *errmsg (malloc'd). */
int xb_trust_blob_file(int fd, const char *path, char **errmsg);

int xb_key_generate(const char *basename, char **errmsg);
int xb_key_read_public(const char *path, unsigned char pk[XB_PUBLIC_KEY_SIZE],
		       char **errmsg);
int xb_key_read_secret(const char *path, unsigned char sk[XB_SECRET_KEY_SIZE],
		       char **errmsg);

/* Writes BLOBPATH.sig for the bytes blob[0..len) (temp file + rename). */
int xb_sig_write(const char *blobpath, const void *blob, size_t len,
		 const unsigned char sk[XB_SECRET_KEY_SIZE], char **errmsg);
/* Checks BLOBPATH.sig against blob[0..len): a missing, malformed or wrong
 * signature is refused with a message saying which. */
int xb_sig_verify(const char *blobpath, const void *blob, size_t len,
		  const unsigned char pk[XB_PUBLIC_KEY_SIZE], char **errmsg);

#endif
