/* SPDX-License-Identifier: MIT */
/* clock.c - see clock.h. */
#include <time.h>

#include "runtime/clock.h"

double xb_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}
