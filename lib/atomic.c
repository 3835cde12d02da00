/* atomic.c - see atomic.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

int xb_write_atomic(const char *dir, const char *name, const char *tmpname,
		    const void *data, size_t len, unsigned flags,
		    char **errmsg)
{
	const char *p = data;
	char *path = NULL, *tmp = NULL;
	bool remove_tmp = false;
	size_t off = 0;
	int fd = -1, r = -1;

	if (asprintf(&path, "%s/%s", dir, name) < 0 ||
	    (tmpname ? asprintf(&tmp, "%s/%s", dir, tmpname) :
		       asprintf(&tmp, "%s/.%s.XXXXXX", dir, name)) < 0) {
		path = tmp = NULL;
		xb_fail(errmsg, "out of memory");
		goto out;
	}
	if (tmpname) {
		/* a name of our own: whatever holds it goes on failure */
		remove_tmp = true;
		fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW |
			  O_CLOEXEC, 0600);
	} else {
		fd = mkstemp(tmp);
		remove_tmp = fd >= 0;
	}
	if (fd < 0) {
		xb_fail(errmsg, "cannot create %s: %s", tmp, strerror(errno));
		goto out;
	}
	while (off < len) {
		ssize_t n = write(fd, p + off, len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			xb_fail(errmsg, "cannot write %s: %s", tmp,
				strerror(errno));
			goto out;
		}
		off += (size_t)n;
	}
	if ((flags & XB_ATOMIC_SYNC) && fsync(fd)) {
		xb_fail(errmsg, "cannot sync %s: %s", tmp, strerror(errno));
		goto out;
	}
	if (close(fd)) {
		fd = -1;
		xb_fail(errmsg, "cannot write %s: %s", tmp, strerror(errno));
		goto out;
	}
	fd = -1;
	if (rename(tmp, path)) {
		xb_fail(errmsg, "cannot rename %s to %s: %s", tmp, path,
			strerror(errno));
		goto out;
	}
	remove_tmp = false;
	r = flags & XB_ATOMIC_SYNC ? xb_sync_dir(dir, errmsg) : 0;
out:
	if (fd >= 0)
		close(fd);
	if (remove_tmp)
		unlink(tmp);
	free(path);
	free(tmp);
	return r;
}

int xb_write_atomic_at(int dfd, const char *dir, const char *name,
		       const char *tmpname, const void *data, size_t len,
		       unsigned flags, char **errmsg)
{
	const char *p = data;
	char *tmp = NULL;
	bool remove_tmp = false;
	size_t off = 0;
	int fd = -1, r = -1, tries;

	if (tmpname) {
		tmp = strdup(tmpname);
		if (!tmp) {
			xb_fail(errmsg, "out of memory");
			goto out;
		}
		/* a name of our own: whatever holds it goes on failure */
		remove_tmp = true;
		fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_TRUNC |
			    O_NOFOLLOW | O_CLOEXEC, 0600);
	} else {
		for (tries = 0; fd < 0 && tries < 100; tries++) {
			free(tmp);
			if (asprintf(&tmp, ".%s.%ld.%d", name, (long)getpid(),
				     rand()) < 0) {
				tmp = NULL;
				xb_fail(errmsg, "out of memory");
				goto out;
			}
			fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL |
				    O_NOFOLLOW | O_CLOEXEC, 0600);
			if (fd < 0 && errno != EEXIST)
				break;
		}
		remove_tmp = fd >= 0;
	}
	if (fd < 0) {
		xb_fail(errmsg, "cannot create %s/%s: %s", dir, tmp,
			strerror(errno));
		goto out;
	}
	while (off < len) {
		ssize_t n = write(fd, p + off, len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			xb_fail(errmsg, "cannot write %s/%s: %s", dir, tmp,
				strerror(errno));
			goto out;
		}
		off += (size_t)n;
	}
	if ((flags & XB_ATOMIC_SYNC) && fsync(fd)) {
		xb_fail(errmsg, "cannot sync %s/%s: %s", dir, tmp,
			strerror(errno));
		goto out;
	}
	if (close(fd)) {
		fd = -1;
		xb_fail(errmsg, "cannot write %s/%s: %s", dir, tmp,
			strerror(errno));
		goto out;
	}
	fd = -1;
	if (renameat(dfd, tmp, dfd, name)) {
		xb_fail(errmsg, "cannot rename %s/%s to %s/%s: %s", dir, tmp,
			dir, name, strerror(errno));
		goto out;
	}
	remove_tmp = false;
	if ((flags & XB_ATOMIC_SYNC) && fsync(dfd))
		xb_fail(errmsg, "cannot sync the directory %s: %s", dir,
			strerror(errno));
	else
		r = 0;
out:
	if (fd >= 0)
		close(fd);
	if (remove_tmp)
		unlinkat(dfd, tmp, 0);
	free(tmp);
	return r;
}
