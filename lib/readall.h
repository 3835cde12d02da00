/* SPDX-License-Identifier: MIT */
/* readall.h - reading a file whose size fstat gave, whole. */
#ifndef XENBAKE_READALL_H
#define XENBAKE_READALL_H

#include <stddef.h>

/* Reads exactly n bytes from fd into buf (reads cut short by signals are
 * resumed), and finds the file's end right after them. NULL when all n
 * came and nothing more; else why not: the error, or "the file changed
 * while read" when it ended sooner or went on (a file grown since fstat,
 * or one that says it is smaller than it is, as /proc's do) (static
 * strings). */
const char *xb_read_all(int fd, void *buf, size_t n);

#endif
