/* SPDX-License-Identifier: MIT */
/* statedir.h - the state directory (lock, journal, receipts) is trusted
 * only as far as its owner: root decides what root writes, so a journal,
 * lock or receipt is used only when the directory and the file are owned
 * by the user xenbake runs as (root in production) and not writable by
 * group or others, and only when reached without following a symlink:
 * the directory is opened with O_NOFOLLOW and checked with fstat, and
 * every file in it is opened relative to that checked descriptor, with
 * O_NOFOLLOW, and checked again with fstat. Anything else is refused with
 * a message saying what is wrong, before any I/O to the host. */
#ifndef XENBAKE_STATEDIR_H
#define XENBAKE_STATEDIR_H

#include <stdbool.h>
#include <sys/stat.h>

/* DIR as a checked directory descriptor (O_DIRECTORY, O_CLOEXEC). create:
 * made 0700 when missing. -1 with *errmsg, errno ENOENT when it is missing
 * and not to be created. */
int xb_statedir_open(const char *dir, bool create, char **errmsg);

/* DIR/NAME for a subdirectory of the state directory (receipts): as
 * xb_statedir_open, relative to the checked dfd. */
int xb_statedir_subdir(int dfd, const char *dir, const char *name,
		       bool create, char **errmsg);

/* NAME in the checked directory dfd (named dir in messages), opened with
 * flags | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC (mode when O_CREAT), then
 * checked: a regular file, owned by us, not writable by group or others.
 * -1 with *errmsg; errno ENOENT when it is missing (without O_CREAT). */
int xb_statedir_openat(int dfd, const char *dir, const char *name, int flags,
		       mode_t mode, char **errmsg);

/* Why st is not ours to trust (NULL: it is): "owned by uid N", ... */
const char *xb_statedir_untrusted(const struct stat *st);

#endif
