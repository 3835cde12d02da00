/* SPDX-License-Identifier: MIT */
/* atomic.h - a file replaced whole: written to a temporary file in the
 * same directory, renamed over the old one when complete, so a reader
 * sees the old file or the new one, never a part of either. */
#ifndef XENBAKE_ATOMIC_H
#define XENBAKE_ATOMIC_H

#include <stddef.h>

/* fsync the file before the rename and the directory after it: what
 * must survive a power cut (the journal) asks for it. */
#define XB_ATOMIC_SYNC 1u

/* A file replaced in two steps, for a writer that must look at the target again
 * between writing and renaming (xenbakec: the output may have been
 * replaced while it compiled). xb_atomic_stage writes data to a fresh
 * temporary file beside path, with mode (or 0666 less the umask when mode
 * is -1), synced when flags hold XB_ATOMIC_SYNC, and gives its name in
 * *tmp. xb_atomic_commit renames *tmp over path; xb_atomic_abandon
 * removes it. Both free *tmp and set it to NULL. 0, or -1 with *errmsg
 * naming the file and the step that failed; nothing is left behind then. */
int xb_atomic_stage(const char *path, const void *data, size_t len, int mode,
		    unsigned flags, char **tmp, char **errmsg);
int xb_atomic_commit(char **tmp, const char *path, char **errmsg);
/* xb_atomic_stage for a writer that streams: the temporary file open for
 * writing (and reading), its fd returned (-1 on failure); the caller
 * writes it, then xb_atomic_close syncs (flags) and closes it, and on
 * failure removes it. Then xb_atomic_commit, or xb_atomic_abandon. */
int xb_atomic_open(const char *path, int mode, char **tmp, char **errmsg);
int xb_atomic_close(int fd, char **tmp, unsigned flags, char **errmsg);
void xb_atomic_abandon(char **tmp);

/* Both steps at once: path replaced whole by data. */
int xb_replace_file(const char *path, const void *data, size_t len, int mode,
		    unsigned flags, char **errmsg);

/* A temporary file for DIR/NAME in the directory open as dfd (named dir
 * in messages), mode 0600, opened relative to dfd with O_NOFOLLOW:
 * tmpname, truncated if present, or a fresh ".NAME.PID.N" made with
 * O_EXCL, so no symlink planted in the directory is followed. Its fd
 * with *tmp its name (malloc'd), or -1 with *errmsg. */
int xb_atomic_create_at(int dfd, const char *dir, const char *name,
			const char *tmpname, char **tmp, char **errmsg);

/* fsync a directory, so that a rename or an unlink in it is on disk. */
int xb_sync_dir(const char *dir, char **errmsg);

#endif
