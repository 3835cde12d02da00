/* SPDX-License-Identifier: MIT */
/* buf.c - see buf.h. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"

void xb_buf_add(struct xb_buf *b, const char *s, size_t n)
{
	size_t cap;
	char *p;

	if (b->oom)
		return;
	if (n > SIZE_MAX - b->len - 1) {
		b->oom = true;
		return;
	}
	if (b->len + n + 1 > b->cap) {
		cap = b->cap ? b->cap : 256;
		while (cap < b->len + n + 1)
			cap = cap > SIZE_MAX / 2 ? b->len + n + 1 : cap * 2;
		p = realloc(b->p, cap);
		if (!p) {
			b->oom = true;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

void xb_buf_str(struct xb_buf *b, const char *s)
{
	xb_buf_add(b, s, strlen(s));
}
