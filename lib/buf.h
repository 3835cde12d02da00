/* SPDX-License-Identifier: MIT */
/* buf.h - a growable, always NUL-terminated byte buffer. Running out of
 * memory is sticky: later appends do nothing and oom stays set, so a
 * writer checks once at the end. */
#ifndef XENBAKE_BUF_H
#define XENBAKE_BUF_H

#include <stdbool.h>
#include <stddef.h>

struct xb_buf {
	char *p;                     /* NULL until the first append */
	size_t len, cap;
	bool oom;
};

void xb_buf_add(struct xb_buf *b, const char *s, size_t n);
void xb_buf_str(struct xb_buf *b, const char *s);

#endif
