/* SPDX-License-Identifier: MIT */
/* readall.c - see readall.h. */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "lib/readall.h"

const char *xb_read_all(int fd, void *buf, size_t n)
{
	size_t done = 0;
	ssize_t got = 0;

	while (done < n) {
		got = read(fd, (char *)buf + done, n - done);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			break;
		done += (size_t)got;
	}
	if (done == n)
		return NULL;
	return got < 0 ? strerror(errno) : "the file changed while read";
}
