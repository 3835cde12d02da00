/* atomic.h - a file replaced whole: written to a temporary file in the
 * same directory, renamed over the old one when complete, so a reader
 * sees the old file or the new one, never a part of either. */
#ifndef XENBAKE_ATOMIC_H
#define XENBAKE_ATOMIC_H

#include <stddef.h>

/* fsync the file before the rename and the directory after it: what
 * must survive a power cut (the journal) asks for it. */
#define XB_ATOMIC_SYNC 1u

/* Writes DIR/NAME (mode 0600) through DIR/TMPNAME, or through a fresh
 * DIR/.NAME.XXXXXX when tmpname is NULL. 0, or -1 with *errmsg naming the
 * file and the step that failed; the temporary file is removed then. */
int xb_write_atomic(const char *dir, const char *name, const char *tmpname,
		    const void *data, size_t len, unsigned flags,
		    char **errmsg);

/* As xb_write_atomic, in the directory open as dfd (named dir in
 * messages): the files are opened relative to it with O_NOFOLLOW, a
 * temporary name with O_EXCL, so no symlink planted in the directory is
 * followed. */
int xb_write_atomic_at(int dfd, const char *dir, const char *name,
		       const char *tmpname, const void *data, size_t len,
		       unsigned flags, char **errmsg);

/* fsync a directory, so that a rename or an unlink in it is on disk. */
int xb_sync_dir(const char *dir, char **errmsg);

#endif
