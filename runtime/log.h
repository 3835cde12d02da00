/* SPDX-License-Identifier: MIT */
/* log.h - what xenbake did, for the system log (the journal on a host),
 * besides what it prints on stderr.
 *
 * The messages are the syslog protocol glibc's syslog(3) speaks, facility
 * daemon, tag "xenbake[PID]", one datagram each on /dev/log, which
 * journald and every syslog daemon read. They are sent by this file rather
 * than by syslog(3) so that $XENBAKE_LOG_SOCKET can name another socket:
 * the tests bind one and read back every message. No socket listening:
 * the messages are dropped, the run goes on; a log that stops reading
 * delays the run by a few seconds at most (log.c). */
#ifndef XENBAKE_LOG_H
#define XENBAKE_LOG_H

#include <stdbool.h>
#include <syslog.h>

#define XB_LOG_SOCKET_ENV "XENBAKE_LOG_SOCKET"
#define XB_LOG_SOCKET_DEFAULT "/dev/log"

/* enabled false (--no-syslog): xb_log() does nothing. */
void xb_log_open(bool enabled);
void xb_log_close(void);
/* prio: LOG_ERR, LOG_WARNING, LOG_NOTICE, LOG_INFO. */
void xb_log(int prio, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Messages hold foreign strings (names and values from XenAPI replies,
 * xenstore, guests): on stderr and in the log, each is cut after
 * XB_MESSAGE_MAX bytes, and a control byte (ESC...) or DEL is written
 * as \xNN, so that nothing a guest wrote reaches a terminal or the log
 * as it is. xb_log() does it itself; xb_put_message() prints s so, and a
 * newline. */
#define XB_MESSAGE_MAX 4096
#include <stdio.h>
void xb_put_message(FILE *f, const char *s);
/* The same without the newline, for a foreign string within a line. */
void xb_put_text(FILE *f, const char *s);

#endif
