/* SPDX-License-Identifier: MIT */
/* sink.h - a file of the state directory written as a stream, for what
 * is too big to build in memory first (a receipt, the journal): a stdio
 * stream whose bytes go to one or two temporary files in checked
 * directories (statedir.h), counted, and hashed when asked. Past max bytes
 * nothing more is written but the count goes on, so that the caller can
 * refuse with the size the file would have had. Then xb_sink_commit
 * renames each temporary file over its name, or xb_sink_abandon removes
 * them: a reader sees the old file or the new one, never a part.
 *
 *   xb_sink_init, xb_sink_add (once per file), xb_sink_open, write to
 *   s->f, xb_sink_close, then xb_sink_commit or xb_sink_abandon. */
#ifndef XENBAKE_SINK_H
#define XENBAKE_SINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "lib/sha256.h"

#define XB_SINK_FILES 2
/* s->f's buffer: a 100 MB receipt is a few thousand write calls, a 3 MB
 * one a hundred */
#define XB_SINK_BUFFER (1u << 16)

struct xb_sink_file {
	int dfd;                     /* the checked directory (not owned) */
	const char *dir;             /* its name in messages */
	const char *name;            /* the file it becomes */
	char *tmp;                   /* the temporary file's name in dfd */
	int fd;
};

struct xb_sink {
	FILE *f;                     /* what the caller writes to */
	char *buf;                   /* f's buffer */
	size_t len;                  /* bytes written to f, counted past max */
	size_t max;
	bool hashing;
	struct xb_sha256 sha;        /* the bytes so far, when hashing */
	int err;                     /* errno of the first failed write */
	struct xb_sink_file files[XB_SINK_FILES];
	size_t nfiles;
};

void xb_sink_init(struct xb_sink *s, size_t max, bool hashing);
/* Creates the temporary file for DIR/NAME in the checked directory dfd
 * (named dir in messages): tmpname, replaced if present, or a fresh
 * .NAME.PID.N when NULL; opened relative to dfd with O_NOFOLLOW, mode
 * 0600. 0, or -1 with *errmsg. */
int xb_sink_add(struct xb_sink *s, int dfd, const char *dir,
		const char *name, const char *tmpname, char **errmsg);
/* s->f, buffered. 0, or -1 with *errmsg. */
int xb_sink_open(struct xb_sink *s, char **errmsg);
/* Flushes and closes s->f: s->len and s->sha then hold every byte. 0, or
 * -1 with *errmsg when a write failed. */
int xb_sink_close(struct xb_sink *s, char **errmsg);
/* Syncs each file when flags hold XB_ATOMIC_SYNC (lib/atomic.h), then
 * renames each over its name in the order added (and syncs the
 * directory). 0, or -1 with *errmsg: the files not yet renamed are
 * removed then (xb_sink_abandon), those renamed stay. Only after xb_sink_close, and only when
 * s->len <= s->max. */
int xb_sink_commit(struct xb_sink *s, unsigned flags, char **errmsg);
/* Closes what is open and removes every temporary file: for any failure,
 * and for xb_sink_commit's. Safe to call twice. */
void xb_sink_abandon(struct xb_sink *s);

#endif
