/* SPDX-License-Identifier: MIT */
/* clock.h - the one clock the runtime measures waits and timeouts with. */
#ifndef XENBAKE_CLOCK_H
#define XENBAKE_CLOCK_H

/* Seconds on the monotonic clock, from an arbitrary start. */
double xb_now(void);

#endif
