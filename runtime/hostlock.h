/* SPDX-License-Identifier: MIT */
/* hostlock.h - one apply at a time on a host: flock(2) on DIR/lock.
 *
 * The lock is held from before the host is read until the receipt is
 * written, so two runs never interleave their reads and writes (a boot-time
 * apply and an admin's, say). The kernel drops it when the process dies,
 * however it dies: no stale lock to clean up. The holder writes its pid in
 * the file, so that a refused run can name it. */
#ifndef XENBAKE_HOSTLOCK_H
#define XENBAKE_HOSTLOCK_H

#define XB_LOCK_FILE "lock"

/* Called about every 200 ms while waiting for the lock, with the seconds
 * waited and the holder's pid (0: unknown). */
typedef void xb_lock_wait_fn(double waited, long holder, void *arg);

/* Creates dir (0700) if missing, then takes DIR/lock; waits up to wait
 * seconds if another run holds it. The lock's fd (close it to release),
 * or -1 with *errmsg naming the holder's pid. */
int xb_lock_take(const char *dir, double wait, xb_lock_wait_fn *progress,
		 void *arg, char **errmsg);
void xb_lock_release(int fd);

#endif
