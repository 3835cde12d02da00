/* SPDX-License-Identifier: MIT */
/* errmsg.c - see errmsg.h. */
#include <stdarg.h>
#include <stdio.h>

#include "runtime/errmsg.h"

int xb_fail(char **errmsg, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (vasprintf(errmsg, fmt, ap) < 0)
		*errmsg = NULL;
	va_end(ap);
	return -1;
}
