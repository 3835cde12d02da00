/* SPDX-License-Identifier: MIT */
/* readall.c - see readall.h. */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "lib/readall.h"

const char *xb_read_all(int fd, void *buf, size_t n)
{
	size_t done = 0;
	ssize_t got;
	char more;

	/* the n bytes, then one read more, which must find the file's end */
	for (;;) {
		got = done < n ? read(fd, (char *)buf + done, n - done) :
				 read(fd, &more, 1);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0 || done == n)
			break;
		done += (size_t)got;
	}
	if (got < 0)
		return strerror(errno);
	return done == n && got == 0 ? NULL : "the file changed while read";
}
