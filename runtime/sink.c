/* SPDX-License-Identifier: MIT */
/* sink.c - a state-directory file written as a stream: see sink.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/atomic.h"
#include "lib/errmsg.h"
#include "runtime/sink.h"

void xb_sink_init(struct xb_sink *s, size_t max, bool hashing)
{
	size_t i;

	memset(s, 0, sizeof(*s));
	s->max = max;
	s->hashing = hashing;
	if (hashing)
		xb_sha256_init(&s->sha);
	for (i = 0; i < XB_SINK_FILES; i++)
		s->files[i].fd = -1;
}

int xb_sink_add(struct xb_sink *s, int dfd, const char *dir,
		const char *name, const char *tmpname, char **errmsg)
{
	struct xb_sink_file *sf = &s->files[s->nfiles];

	if (s->nfiles == XB_SINK_FILES)
		return xb_fail(errmsg, "too many files for one stream");
	sf->dfd = dfd;
	sf->dir = dir;
	sf->name = name;
	sf->fd = xb_atomic_create_at(dfd, dir, name, tmpname, &sf->tmp,
				     errmsg);
	if (sf->fd < 0)
		return -1;
	s->nfiles++;
	return 0;
}

/* stdio's write: every byte counted (and hashed), written while within
 * max and no write has failed; never an error to stdio, so that the count
 * goes on to the end (xb_sink_close reports s->err). */
static ssize_t sink_write(void *cookie, const char *buf, size_t n)
{
	struct xb_sink *s = cookie;
	size_t i, off;

	if (s->hashing)
		xb_sha256_update(&s->sha, buf, n);
	s->len += n;
	if (s->err || s->len > s->max)
		return (ssize_t)n;
	for (i = 0; i < s->nfiles; i++) {
		for (off = 0; off < n;) {
			ssize_t w = write(s->files[i].fd, buf + off, n - off);

			if (w < 0 && errno == EINTR)
				continue;
			if (w < 0) {
				s->err = errno;
				return (ssize_t)n;
			}
			off += (size_t)w;
		}
	}
	return (ssize_t)n;
}

int xb_sink_open(struct xb_sink *s, char **errmsg)
{
	cookie_io_functions_t io = { .write = sink_write };

	/* given to setvbuf, not only its size: glibc takes the size only
	 * with a buffer, and alone would use BUFSIZ (8 KB) */
	s->buf = malloc(XB_SINK_BUFFER);
	s->f = s->buf ? fopencookie(s, "w", io) : NULL;
	if (!s->f || setvbuf(s->f, s->buf, _IOFBF, XB_SINK_BUFFER)) {
		if (s->f)
			fclose(s->f);
		s->f = NULL;
		free(s->buf);
		s->buf = NULL;
		return xb_fail(errmsg, "out of memory");
	}
	return 0;
}

int xb_sink_close(struct xb_sink *s, char **errmsg)
{
	int bad = fclose(s->f);

	s->f = NULL;
	free(s->buf);
	s->buf = NULL;
	if (s->err)
		return xb_fail(errmsg, "cannot write %s/%s: %s",
			       s->files[0].dir, s->files[0].tmp,
			       strerror(s->err));
	if (bad)
		return xb_fail(errmsg, "out of memory");
	return 0;
}

int xb_sink_commit(struct xb_sink *s, unsigned flags, char **errmsg)
{
	size_t i;

	for (i = 0; i < s->nfiles; i++) {
		struct xb_sink_file *sf = &s->files[i];
		int e = 0;

		if ((flags & XB_ATOMIC_SYNC) && fsync(sf->fd))
			e = errno;
		if (close(sf->fd) && !e)
			e = errno;
		sf->fd = -1;
		if (e) {
			xb_fail(errmsg, "cannot write %s/%s: %s", sf->dir,
				sf->tmp, strerror(e));
			goto fail;
		}
	}
	for (i = 0; i < s->nfiles; i++) {
		struct xb_sink_file *sf = &s->files[i];

		if (renameat(sf->dfd, sf->tmp, sf->dfd, sf->name)) {
			xb_fail(errmsg, "cannot rename %s/%s to %s/%s: %s",
				sf->dir, sf->tmp, sf->dir, sf->name,
				strerror(errno));
			goto fail;
		}
		free(sf->tmp);
		sf->tmp = NULL;
		if ((flags & XB_ATOMIC_SYNC) && fsync(sf->dfd)) {
			xb_fail(errmsg, "cannot sync the directory %s: %s",
				sf->dir, strerror(errno));
			goto fail;
		}
	}
	return 0;
fail:
	xb_sink_abandon(s);
	return -1;
}

void xb_sink_abandon(struct xb_sink *s)
{
	size_t i;

	if (s->f)
		fclose(s->f);
	s->f = NULL;
	free(s->buf);
	s->buf = NULL;
	for (i = 0; i < s->nfiles; i++) {
		struct xb_sink_file *sf = &s->files[i];

		if (sf->fd >= 0)
			close(sf->fd);
		sf->fd = -1;
		if (sf->tmp)
			unlinkat(sf->dfd, sf->tmp, 0);
		free(sf->tmp);
		sf->tmp = NULL;
	}
}
