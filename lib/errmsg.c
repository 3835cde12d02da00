/* SPDX-License-Identifier: MIT */
/* errmsg.c - see errmsg.h. */
#include <stdarg.h>
#include <stdio.h>

#include "lib/errmsg.h"

char *xb_vstrf(const char *fmt, va_list ap)
{
	char *s;

	if (vasprintf(&s, fmt, ap) < 0)
		return NULL;
	return s;
}

char *xb_strf(const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	s = xb_vstrf(fmt, ap);
	va_end(ap);
	return s;
}

int xb_fail(char **errmsg, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	*errmsg = xb_vstrf(fmt, ap);
	va_end(ap);
	return -1;
}

int xb_fail_first(char **errmsg, const char *fmt, ...)
{
	va_list ap;

	if (!errmsg || *errmsg)
		return -1;
	va_start(ap, fmt);
	*errmsg = xb_vstrf(fmt, ap);
	va_end(ap);
	return -1;
}
