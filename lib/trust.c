/* SPDX-License-Identifier: MIT */
/* trust.c - blob file ownership, ed25519 keys and detached signatures. */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "lib/atomic.h"
#include "lib/crypto.h"
#include "lib/errmsg.h"
#include "lib/hex.h"
#include "lib/seal.h"
#include "lib/trust.h"

#define PUBLIC_TAG "xenbake-ed25519-public-key"
#define SECRET_TAG "xenbake-ed25519-secret-key"
#define SEAL_PUBLIC_TAG "xenbake-x25519-public-key"
#define SIG_TAG    "xenbake-ed25519-signature"
#define LINE_MAX_BYTES 512


int xb_trust_blob_file(int fd, const char *path, char **errmsg)
{
	struct stat st;

	if (fstat(fd, &st))
		return xb_fail(errmsg, "%s: %s", path, strerror(errno));
	if (geteuid() != 0)
		return 0;     /* only root's runs are at stake */
	if (st.st_uid != 0)
		return xb_fail(errmsg, "%s: refusing a blob owned by uid %u, not "
			    "root: whoever owns it decides what root applies "
			    "(chown root %s)", path, (unsigned)st.st_uid, path);
	if (st.st_mode & (S_IWGRP | S_IWOTH))
		return xb_fail(errmsg, "%s: refusing a blob writable by %s "
			    "(chmod go-w %s)", path,
			    st.st_mode & S_IWOTH ? "others" : "its group", path);
	return 0;
}

/* Reads a file "TAG HEX" into bin[size]: its first line, or with
 * second, the line after it (a .pub's sealing key, seal.h). Lines after
 * the one read are left to other readers. */
static int read_tagged_line(const char *path, const char *tag,
			    unsigned char *bin, size_t size, bool second,
			    bool private, char **errmsg)
{
	char line[LINE_MAX_BYTES + 2];
	FILE *f = NULL;
	size_t taglen = strlen(tag), n;
	const char *hex, *end = NULL;
	char *start;
	struct stat st;
	int fd = -1, ret = -1;

	/* O_NONBLOCK: a FIFO must not hang the open; fstat refuses it */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0 || fstat(fd, &st)) {
		xb_fail(errmsg, "%s: %s", path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		xb_fail(errmsg, "%s: not a regular file", path);
		goto out;
	}
	/* a key others may read is no secret; one others may write, not
	 * this host's */
	if (private && (st.st_uid != geteuid() || (st.st_mode & 077))) {
		xb_fail(errmsg, "%s: refused: a host key must be owned by %s "
			"and neither readable nor writable by group or others "
			"(chown; chmod 600)", path,
			geteuid() ? "the user running xenbake" : "root");
		goto out;
	}
	f = fdopen(fd, "r");
	if (!f) {
		xb_fail(errmsg, "%s: %s", path, strerror(errno));
		goto out;
	}
	fd = -1;
	n = fread(line, 1, sizeof(line) - 1, f);
	line[n] = '\0';
	start = line;
	if (second && n <= LINE_MAX_BYTES) {
		start = strchr(line, '\n');
		start = start ? start + 1 : line + n;
		if (strncmp(start, tag, taglen) || start[taglen] != ' ') {
			xb_fail(errmsg, "%s: no line \"%s HEX\": a public key "
				"from before secrets; write it again from its "
				"key (xenbakec --public-from NAME.key > "
				"NAME.pub), or make a new pair (xenbakec "
				"--gen-key NAME)", path, tag);
			goto out;
		}
	}
	if (n > LINE_MAX_BYTES || strncmp(start, tag, taglen) ||
	    start[taglen] != ' ') {
		xb_fail(errmsg, "%s: not a %s file (expected one line \"%s HEX\")",
		     path, tag, tag);
		goto out;
	}
	hex = start + taglen + 1;
	if (xb_unhex(bin, size, hex, &end) || (*end && *end != '\n')) {
		xb_fail(errmsg, "%s: malformed %s: expected %zu hex bytes", path,
		     tag, size);
		goto out;
	}
	ret = 0;
out:
	if (f)
		fclose(f);
	if (fd >= 0)
		close(fd);
	xb_crypto_wipe(line, sizeof(line));
	return ret;
}

static int read_tagged(const char *path, const char *tag, unsigned char *bin,
		       size_t size, char **errmsg)
{
	return read_tagged_line(path, tag, bin, size, false, false, errmsg);
}

/* "TAG HEX\n", with tag2 then "TAG2 HEX2\n" of bin2[size]: malloc'd,
 * NUL-terminated, *len bytes before the NUL; NULL when out of memory */
static char *format_tagged(const char *tag, const unsigned char *bin,
			   size_t size, const char *tag2,
			   const unsigned char *bin2, size_t *out_len)
{
	size_t taglen = strlen(tag), len = taglen + 1 + size * 2 + 1;
	size_t len2 = tag2 ? strlen(tag2) + 1 + size * 2 + 1 : 0;
	char *line = malloc(len + len2 + 1);

	if (!line)
		return NULL;
	memcpy(line, tag, taglen);
	line[taglen] = ' ';
	xb_hex(line + taglen + 1, bin, size);
	line[len - 1] = '\n';
	if (tag2) {
		memcpy(line + len, tag2, strlen(tag2));
		line[len + strlen(tag2)] = ' ';
		xb_hex(line + len + strlen(tag2) + 1, bin2, size);
		line[len + len2 - 1] = '\n';
	}
	line[len + len2] = '\0';
	*out_len = len + len2;
	return line;
}

/* Writes format_tagged's text to path, replaced whole, with the given
 * mode. */
static int write_tagged(const char *path, const char *tag,
			const unsigned char *bin, size_t size, const char *tag2,
			const unsigned char *bin2, mode_t mode, char **errmsg)
{
	size_t len;
	char *line = format_tagged(tag, bin, size, tag2, bin2, &len);
	int ret;

	if (!line)
		return xb_fail(errmsg, "out of memory");
	ret = xb_replace_file(path, line, len, (int)mode, XB_ATOMIC_SYNC,
			      errmsg);
	xb_crypto_wipe(line, len + 1);
	free(line);
	return ret;
}

int xb_key_generate(const char *basename, char **errmsg)
{
	unsigned char pk[XB_PUBLIC_KEY_SIZE], sk[XB_SECRET_KEY_SIZE];
	unsigned char x_sk[XB_SEAL_KEY_SIZE], x_pk[XB_SEAL_KEY_SIZE];
	char *pub = NULL, *sec = NULL;
	int ret = -1;

	if (xb_crypto_init(errmsg))
		return -1;
	if (asprintf(&pub, "%s.pub", basename) < 0) {
		pub = NULL;
		goto oom;
	}
	if (asprintf(&sec, "%s.key", basename) < 0) {
		sec = NULL;
		goto oom;
	}
	/* the .key file holds seed || public key, as libsodium lays it out */
	if (xb_crypto_random(sk, XB_ED25519_SEED_SIZE) ||
	    xb_ed25519_public(sk, pk) || xb_seal_keypair(sk, x_sk, x_pk)) {
		xb_fail(errmsg, "no key: the random source or %s failed",
			xb_crypto_backend());
		goto out;
	}
	memcpy(sk + XB_ED25519_SEED_SIZE, pk, sizeof(pk));
	if (write_tagged(sec, SECRET_TAG, sk, sizeof(sk), NULL, NULL, 0600,
			 errmsg) ||
	    write_tagged(pub, PUBLIC_TAG, pk, sizeof(pk), SEAL_PUBLIC_TAG,
			 x_pk, 0644, errmsg))
		goto out;
	ret = 0;
	goto out;
oom:
	xb_fail(errmsg, "out of memory");
out:
	xb_crypto_wipe(sk, sizeof(sk));
	xb_crypto_wipe(x_sk, sizeof(x_sk));
	free(pub);
	free(sec);
	return ret;
}

int xb_key_read_public(const char *path, unsigned char pk[XB_PUBLIC_KEY_SIZE],
		       char **errmsg)
{
	return read_tagged(path, PUBLIC_TAG, pk, XB_PUBLIC_KEY_SIZE, errmsg);
}

int xb_key_read_seal_public(const char *path,
			    unsigned char pk[XB_SEAL_KEY_SIZE], char **errmsg)
{
	return read_tagged_line(path, SEAL_PUBLIC_TAG, pk, XB_SEAL_KEY_SIZE,
				true, false, errmsg);
}

int xb_key_public_text(const char *path, char **text, char **errmsg)
{
	unsigned char sk[XB_SECRET_KEY_SIZE];
	unsigned char x_sk[XB_SEAL_KEY_SIZE], x_pk[XB_SEAL_KEY_SIZE];
	size_t len;

	*text = NULL;
	if (xb_crypto_init(errmsg) || xb_key_read_secret(path, sk, errmsg))
		return -1;
	if (!xb_seal_keypair(sk, x_sk, x_pk))
		/* the .key file is seed || public key */
		*text = format_tagged(PUBLIC_TAG, sk + XB_ED25519_SEED_SIZE,
				      XB_PUBLIC_KEY_SIZE, SEAL_PUBLIC_TAG,
				      x_pk, &len);
	xb_crypto_wipe(sk, sizeof(sk));
	xb_crypto_wipe(x_sk, sizeof(x_sk));
	return *text ? 0 : xb_fail(errmsg, "out of memory");
}

int xb_key_read_host(const char *path, unsigned char sk[XB_SECRET_KEY_SIZE],
		     char **errmsg)
{
	return read_tagged_line(path, SECRET_TAG, sk, XB_SECRET_KEY_SIZE,
				false, true, errmsg);
}

int xb_key_read_secret(const char *path, unsigned char sk[XB_SECRET_KEY_SIZE],
		       char **errmsg)
{
	unsigned char pk[XB_PUBLIC_KEY_SIZE];

	if (xb_crypto_init(errmsg) ||
	    read_tagged(path, SECRET_TAG, sk, XB_SECRET_KEY_SIZE, errmsg))
		return -1;
	/* signing uses the seed only: a public half that is not the seed's
	 * would make a key whose signatures its .pub does not verify */
	if (xb_ed25519_public(sk, pk) ||
	    memcmp(pk, sk + XB_ED25519_SEED_SIZE, sizeof(pk))) {
		xb_crypto_wipe(sk, XB_SECRET_KEY_SIZE);
		return xb_fail(errmsg, "%s: damaged %s: its public half is not "
			       "its seed's", path, SECRET_TAG);
	}
	return 0;
}

int xb_sig_write(const char *blobpath, const void *blob, size_t len,
		 const unsigned char sk[XB_SECRET_KEY_SIZE], char **errmsg)
{
	unsigned char sig[XB_SIGNATURE_SIZE];
	char *path = NULL;
	int ret;

	if (xb_crypto_init(errmsg))
		return -1;
	if (xb_ed25519_sign(sk, blob, len, sig))
		return xb_fail(errmsg, "%s: signing failed (%s)", blobpath,
			       xb_crypto_backend());
	if (asprintf(&path, "%s%s", blobpath, XB_SIG_SUFFIX) < 0)
		return xb_fail(errmsg, "out of memory");
	ret = write_tagged(path, SIG_TAG, sig, sizeof(sig), NULL, NULL, 0644,
			   errmsg);
	free(path);
	return ret;
}

int xb_sig_verify(const char *blobpath, const void *blob, size_t len,
		  const unsigned char pk[XB_PUBLIC_KEY_SIZE], char **errmsg)
{
	unsigned char sig[XB_SIGNATURE_SIZE];
	char *path = NULL;
	int ret = -1;

	if (xb_crypto_init(errmsg))
		return -1;
	if (asprintf(&path, "%s%s", blobpath, XB_SIG_SUFFIX) < 0)
		return xb_fail(errmsg, "out of memory");
	if (access(path, F_OK)) {
		xb_fail(errmsg, "%s: unsigned blob refused: no %s (sign it with "
		     "xenbakec --sign KEY)", blobpath, path);
		goto out;
	}
	if (read_tagged(path, SIG_TAG, sig, sizeof(sig), errmsg))
		goto out;
	if (xb_ed25519_verify(pk, blob, len, sig)) {
		xb_fail(errmsg, "%s: bad signature: the blob was changed after "
		     "signing, or signed with another key", blobpath);
		goto out;
	}
	ret = 0;
out:
	free(path);
	return ret;
}
