/* SPDX-License-Identifier: MIT */
/* errmsg.h - the runtime's error convention: a function that fails sets
 * *errmsg to a malloc'd message (or NULL when even that fails) and
 * returns -1. */
#ifndef XENBAKE_ERRMSG_H
#define XENBAKE_ERRMSG_H

/* Sets *errmsg to the formatted message; returns -1. */
int xb_fail(char **errmsg, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif
