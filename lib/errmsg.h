/* SPDX-License-Identifier: MIT */
/* errmsg.h - the error convention of both programs' libraries: a function
 * that fails sets *errmsg to a malloc'd message (or NULL when even that
 * fails) and returns -1. */
#ifndef XENBAKE_ERRMSG_H
#define XENBAKE_ERRMSG_H

#include <stdarg.h>

/* Sets *errmsg to the formatted message; returns -1. */
int xb_fail(char **errmsg, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* As xb_fail, but keeps the first message: does nothing when errmsg is
 * NULL or *errmsg is set already. Returns -1. */
int xb_fail_first(char **errmsg, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* The formatted text, malloc'd; NULL when out of memory. */
char *xb_strf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
char *xb_vstrf(const char *fmt, va_list ap)
	__attribute__((format(printf, 1, 0)));

#endif
