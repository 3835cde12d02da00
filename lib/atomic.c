/* SPDX-License-Identifier: MIT */
/* atomic.c - see atomic.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/atomic.h"
#include "lib/errmsg.h"

int xb_sync_dir(const char *dir, char **errmsg)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0 || fsync(fd)) {
		int e = errno;

		if (fd >= 0)
			close(fd);
		return xb_fail(errmsg, "cannot sync the directory %s: %s", dir,
			       strerror(e));
	}
	close(fd);
	return 0;
}

/* data to fd (named tmp in messages), synced if asked, and fd closed:
 * the part of every writer here that must not differ. */
static int write_close(int fd, const char *tmp, const void *data, size_t len,
		       unsigned flags, char **errmsg)
{
	const char *p = data;
	size_t off = 0;

	while (off < len) {
		ssize_t n = write(fd, p + off, len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			xb_fail(errmsg, "cannot write %s: %s", tmp,
				strerror(errno));
			goto fail;
		}
		off += (size_t)n;
	}
	if ((flags & XB_ATOMIC_SYNC) && fsync(fd)) {
		xb_fail(errmsg, "cannot sync %s: %s", tmp, strerror(errno));
		goto fail;
	}
	if (close(fd))
		return xb_fail(errmsg, "cannot write %s: %s", tmp,
			       strerror(errno));
	return 0;
fail:
	close(fd);
	return -1;
}

int xb_atomic_open(const char *path, int mode, char **tmp, char **errmsg)
{
	mode_t mask;
	int fd;

	if (asprintf(tmp, "%s.XXXXXX", path) < 0) {
		*tmp = NULL;
		return xb_fail(errmsg, "out of memory");
	}
	fd = mkstemp(*tmp);
	if (fd < 0) {
		xb_fail(errmsg, "cannot create a file beside %s: %s", path,
			strerror(errno));
		free(*tmp);
		*tmp = NULL;
		return -1;
	}
	if (mode < 0) {
		mask = umask(0);
		umask(mask);
		mode = (int)(0666 & ~mask);
	}
	if (fchmod(fd, (mode_t)mode)) {
		xb_fail(errmsg, "cannot set the mode of %s: %s", *tmp,
			strerror(errno));
		close(fd);
		xb_atomic_abandon(tmp);
		return -1;
	}
	return fd;
}

int xb_atomic_close(int fd, char **tmp, unsigned flags, char **errmsg)
{
	if (write_close(fd, *tmp, NULL, 0, flags, errmsg)) {
		xb_atomic_abandon(tmp);
		return -1;
	}
	return 0;
}

int xb_atomic_stage(const char *path, const void *data, size_t len, int mode,
		    unsigned flags, char **tmp, char **errmsg)
{
	int fd = xb_atomic_open(path, mode, tmp, errmsg);

	if (fd < 0)
		return -1;
	if (write_close(fd, *tmp, data, len, flags, errmsg)) {
		xb_atomic_abandon(tmp);
		return -1;
	}
	return 0;
}

int xb_atomic_commit(char **tmp, const char *path, char **errmsg)
{
	if (rename(*tmp, path)) {
		xb_fail(errmsg, "cannot rename %s to %s: %s", *tmp, path,
			strerror(errno));
		xb_atomic_abandon(tmp);
		return -1;
	}
	free(*tmp);
	*tmp = NULL;
	return 0;
}

void xb_atomic_abandon(char **tmp)
{
	if (*tmp)
		unlink(*tmp);
	free(*tmp);
	*tmp = NULL;
}

int xb_replace_file(const char *path, const void *data, size_t len, int mode,
		    unsigned flags, char **errmsg)
{
	char *tmp = NULL;

	if (xb_atomic_stage(path, data, len, mode, flags, &tmp, errmsg))
		return -1;
	return xb_atomic_commit(&tmp, path, errmsg);
}

int xb_atomic_create_at(int dfd, const char *dir, const char *name,
			const char *tmpname, char **tmp, char **errmsg)
{
	int fd = -1, tries;

	*tmp = NULL;
	if (tmpname) {
		*tmp = strdup(tmpname);
		if (!*tmp)
			return xb_fail(errmsg, "out of memory");
		fd = openat(dfd, *tmp, O_WRONLY | O_CREAT | O_TRUNC |
			    O_NOFOLLOW | O_CLOEXEC, 0600);
	} else {
		for (tries = 0; fd < 0 && tries < 100; tries++) {
			free(*tmp);
			if (asprintf(tmp, ".%s.%ld.%d", name, (long)getpid(),
				     rand()) < 0) {
				*tmp = NULL;
				return xb_fail(errmsg, "out of memory");
			}
			fd = openat(dfd, *tmp, O_WRONLY | O_CREAT | O_EXCL |
				    O_NOFOLLOW | O_CLOEXEC, 0600);
			if (fd < 0 && errno != EEXIST)
				break;
		}
	}
	if (fd < 0) {
		xb_fail(errmsg, "cannot create %s/%s: %s", dir, *tmp,
			strerror(errno));
		free(*tmp);
		*tmp = NULL;
	}
	return fd;
}
