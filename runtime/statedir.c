/* SPDX-License-Identifier: MIT */
/* statedir.c - the checked state directory: see statedir.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/errmsg.h"
#include "runtime/statedir.h"

const char *xb_statedir_untrusted(const struct stat *st)
{
	static __thread char why[64];

	if (st->st_uid != geteuid()) {
		snprintf(why, sizeof(why), "owned by uid %lu, not %lu",
			 (unsigned long)st->st_uid, (unsigned long)geteuid());
		return why;
	}
	if (st->st_mode & (S_IWGRP | S_IWOTH))
		return "writable by group or others";
	return NULL;
}

/* A checked directory at dfd/name (dfd AT_FDCWD: a path). */
static int open_dir(int dfd, const char *shown, const char *name,
		    bool create, char **errmsg)
{
	const char *why;
	struct stat st;
	int fd, e;

	if (create && mkdirat(dfd, name, 0700) && errno != EEXIST)
		return xb_fail(errmsg, "cannot create the state directory %s: %s",
			       shown, strerror(errno));
	fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		e = errno;
		if (e == ELOOP || e == ENOTDIR)
			xb_fail(errmsg, "refusing the state directory %s: a symlink or not a directory",
				shown);
		else
			xb_fail(errmsg, "cannot open the state directory %s: %s",
				shown, strerror(e));
		errno = e;
		return -1;
	}
	if (fstat(fd, &st)) {
		e = errno;
		close(fd);
		return xb_fail(errmsg, "cannot stat the state directory %s: %s",
			       shown, strerror(e));
	}
	why = xb_statedir_untrusted(&st);
	if (why) {
		close(fd);
		xb_fail(errmsg, "refusing the state directory %s: %s (only the user xenbake runs as may decide what it writes: chown/chmod it, or --state-dir another)",
			shown, why);
		errno = EPERM;
		return -1;
	}
	return fd;
}

int xb_statedir_open(const char *dir, bool create, char **errmsg)
{
	return open_dir(AT_FDCWD, dir, dir, create, errmsg);
}

int xb_statedir_subdir(int dfd, const char *dir, const char *name,
		       bool create, char **errmsg)
{
	char *shown = xb_strf("%s/%s", dir, name);
	int fd;

	if (!shown)
		return xb_fail(errmsg, "out of memory");
	fd = open_dir(dfd, shown, name, create, errmsg);
	free(shown);
	return fd;
}

int xb_statedir_openat(int dfd, const char *dir, const char *name, int flags,
		       mode_t mode, char **errmsg)
{
	const char *why;
	struct stat st;
	int fd, e;

	fd = openat(dfd, name, flags | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC,
		    mode);
	if (fd < 0) {
		e = errno;
		if (e == ELOOP)
			xb_fail(errmsg, "refusing %s/%s: a symlink", dir, name);
		else
			xb_fail(errmsg, "cannot open %s/%s: %s", dir, name,
				strerror(e));
		errno = e;
		return -1;
	}
	if (fstat(fd, &st)) {
		e = errno;
		close(fd);
		return xb_fail(errmsg, "cannot stat %s/%s: %s", dir, name,
			       strerror(e));
	}
	why = !S_ISREG(st.st_mode) ? "not a regular file" :
	      xb_statedir_untrusted(&st);
	if (why) {
		close(fd);
		xb_fail(errmsg, "refusing %s/%s: %s", dir, name, why);
		errno = EPERM;
		return -1;
	}
	/* O_NONBLOCK was for the open (a FIFO); reads and writes block */
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK)) {
		e = errno;
		close(fd);
		return xb_fail(errmsg, "cannot use %s/%s: %s", dir, name,
			       strerror(e));
	}
	return fd;
}
