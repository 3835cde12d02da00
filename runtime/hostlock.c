/* SPDX-License-Identifier: MIT */
/* hostlock.c - one apply at a time: see hostlock.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lib/errmsg.h"
#include "runtime/clock.h"
#include "runtime/hostlock.h"
#include "runtime/statedir.h"

/* The pid the holder wrote; 0 when it has not yet (or wrote nonsense). */
static long holder_pid(int fd)
{
	char buf[32];
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
	char *end;
	long pid;

	if (n <= 0)
		return 0;
	buf[n] = '\0';
	pid = strtol(buf, &end, 10);
	return end != buf && (*end == '\n' || !*end) && pid > 0 ? pid : 0;
}

int xb_lock_take(const char *dir, double wait, xb_lock_wait_fn *progress,
		 void *arg, char **errmsg)
{
	double start = xb_now();
	char *path = NULL, pid[32];
	int dfd, fd = -1, n;

	*errmsg = NULL;
	if (asprintf(&path, "%s/%s", dir, XB_LOCK_FILE) < 0) {
		xb_fail(errmsg, "out of memory");
		return -1;
	}
	dfd = xb_statedir_open(dir, true, errmsg);
	if (dfd < 0)
		goto fail;
	fd = xb_statedir_openat(dfd, dir, XB_LOCK_FILE, O_RDWR | O_CREAT,
				0600, errmsg);
	close(dfd);
	if (fd < 0)
		goto fail;
	while (flock(fd, LOCK_EX | LOCK_NB)) {
		if (errno == EINTR)
			continue;
		if (errno != EWOULDBLOCK) {
			xb_fail(errmsg, "cannot lock %s: %s", path,
				strerror(errno));
			goto fail;
		}
		if (xb_now() - start >= wait) {
			long holder = holder_pid(fd);

			if (holder)
				xb_fail(errmsg, "another xenbake (pid %ld) holds %s%s",
					holder, path, wait > 0 ?
					": gave up waiting for it" :
					"; --wait SECONDS waits for it");
			else
				xb_fail(errmsg, "another xenbake holds %s%s", path,
					wait > 0 ? ": gave up waiting for it" :
					"; --wait SECONDS waits for it");
			goto fail;
		}
		if (progress)
			progress(xb_now() - start, holder_pid(fd), arg);
		usleep(200000);
	}
	n = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) || pwrite(fd, pid, n, 0) != n) {
		xb_fail(errmsg, "cannot write %s: %s", path, strerror(errno));
		goto fail;
	}
	free(path);
	return fd;
fail:
	if (fd >= 0)
		close(fd);
	free(path);
	return -1;
}

void xb_lock_release(int fd)
{
	if (fd < 0)
		return;
	/* no stale pid for the next run to name; the lock goes with close */
	(void)!ftruncate(fd, 0);
	close(fd);
}
