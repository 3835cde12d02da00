/* SPDX-License-Identifier: MIT */
/* load.c - reading and verifying the blobs a command names: a file, or
 * every *.xbb of a directory in name order; see cli.h. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "lib/blob.h"
#include "lib/errmsg.h"
#include "lib/hex.h"
#include "lib/quote.h"
#include "lib/trust.h"
#include "runtime/apply.h"
#include "runtime/cli.h"
#include "runtime/clock.h"
#include "runtime/desired.h"
#include "runtime/dump.h"
#include "runtime/hostlock.h"
#include "runtime/json.h"
#include "runtime/recheck.h"
#include "runtime/log.h"
#include "runtime/plan.h"
#include "runtime/receipt.h"
#include "runtime/xapi.h"
#include "runtime/xenstore.h"

/* ---- loading ---------------------------------------------------------- */

static int load_one(const char *path, const struct options *o,
		    struct loaded *l)
{
	char *err = NULL;
	struct stat st;
	int fd = -1, r = -1, e;

	l->path = strdup(path);
	if (!l->path) {
		fprintf(stderr, "xenbake: out of memory\n");
		return -1;
	}
	/* O_NONBLOCK: opening a FIFO must not hang before fstat refuses it */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		fprintf(stderr, "xenbake: cannot open %s: %s\n", path,
			strerror(errno));
		goto out;
	}
	if (fstat(fd, &st)) {
		fprintf(stderr, "xenbake: %s: %s\n", path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		fprintf(stderr, "xenbake: %s: not a regular file (a blob is the file xenbakec writes); nothing was changed\n",
			path);
		goto out;
	}
	if (xb_trust_blob_file(fd, path, &err) ||
	    xbb_map_fd(fd, path, &l->buf, &l->len, &err))
		goto fail;
	if (o->signature_key) {
		unsigned char pk[XB_PUBLIC_KEY_SIZE];

		if (xb_key_read_public(o->signature_key, pk, &err) ||
		    xb_sig_verify(path, l->buf, l->len, pk, &err))
			goto fail;
	}
	e = xbb_open(&l->blob, l->buf, l->len);
	if (e) {
		fprintf(stderr, "xenbake: %s: not a valid blob: %s (recompile it with xenbakec)\n",
			path, xbb_strerror(e));
		goto out;
	}
	if (xb_blob_recheck(&l->blob, &err)) {
		fprintf(stderr, "xenbake: %s: refused: %s: xenbakec refuses this, so the blob was not made by it as it is (recompile it); nothing was changed\n",
			path, err ? err : "out of memory");
		goto out;
	}
	/* the hash xbb_open verified names the blob: no second pass */
	memcpy(l->sha256, xbb_sha256(&l->blob), XBB_SHA256_SIZE);
	l->ok = true;
	r = 0;
	goto out;
fail:
	fprintf(stderr, "xenbake: %s\n", err ? err : "cannot load the blob");
out:
	free(err);
	if (fd >= 0)
		close(fd);
	return r;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void free_names(char **names, size_t n)
{
	size_t i;

	for (i = 0; names && i < n; i++)
		free(names[i]);
	free(names);
}

char *absolute_path(const char *path)
{
	char *cwd, *abs;

	if (path[0] == '/')
		return strdup(path);
	cwd = getcwd(NULL, 0);
	if (!cwd)
		return strdup(path);
	abs = xb_strf("%s/%s", cwd, strncmp(path, "./", 2) ? path : path + 2);
	free(cwd);
	return abs;
}

/* path, or every *.xbb of the directory path, in name order. */
static int list_blobs(const char *path, char ***out, size_t *n)
{
	struct stat st;
	char **names = NULL, **grown;
	size_t nnames = 0;
	DIR *dir = NULL;
	struct dirent *de;
	int r = -1;

	*out = NULL;
	*n = 0;
	if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
		dir = opendir(path);
		if (!dir) {
			fprintf(stderr, "xenbake: cannot read %s: %s\n", path,
				strerror(errno));
			return -1;
		}
		while ((de = readdir(dir))) {
			size_t len = strlen(de->d_name);

			if (len < 5 || strcmp(de->d_name + len - 4, ".xbb") ||
			    de->d_name[0] == '.')
				continue;
			grown = realloc(names, (nnames + 1) * sizeof(*names));
			if (!grown)
				goto nomem;
			names = grown;
			if (asprintf(&names[nnames], "%s/%s", path,
				     de->d_name) < 0)
				goto nomem;
			nnames++;
		}
		if (!nnames) {
			fprintf(stderr, "xenbake: no *.xbb blob in %s\n", path);
			goto out;
		}
		qsort(names, nnames, sizeof(*names), cmp_str);
	} else {
		names = calloc(1, sizeof(*names));
		if (!names || !(names[0] = strdup(path)))
			goto nomem;
		nnames = 1;
	}
	*out = names;
	*n = nnames;
	names = NULL;
	r = 0;
	goto out;
nomem:
	fprintf(stderr, "xenbake: out of memory\n");
out:
	if (dir)
		closedir(dir);
	free_names(names, nnames);
	return r;
}

/* Each of names, verified. *n counts the ones tried, the failed one
 * included (its blob is zeroed). */
int load_list(const struct options *o, char **names, size_t nnames,
	      struct loaded **out, size_t *n)
{
	size_t i;

	*n = 0;
	*out = calloc(nnames ? nnames : 1, sizeof(**out));
	if (!*out) {
		fprintf(stderr, "xenbake: out of memory\n");
		return -1;
	}
	for (i = 0; i < nnames; i++) {
		*n = i + 1;
		if (load_one(names[i], o, &(*out)[i]))
			return -1;
	}
	return 0;
}

/* BLOB, or every *.xbb of a directory, verified. */
int load_blobs(const struct options *o, struct loaded **out,
		      size_t *n)
{
	char **names;
	size_t nnames;
	int r;

	*out = NULL;
	*n = 0;
	if (list_blobs(o->blob_path, &names, &nnames))
		return -1;
	r = load_list(o, names, nnames, out, n);
	free_names(names, nnames);
	return r;
}

void free_blobs(struct loaded *l, size_t n)
{
	size_t i;

	for (i = 0; l && i < n; i++) {
		free(l[i].path);
		xbb_unmap(l[i].buf, l[i].len);
	}
	free(l);
}
