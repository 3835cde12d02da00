/* SPDX-License-Identifier: MIT */
/* log.c - messages for the system log: see log.h. */
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "runtime/log.h"

/* One process, one log: like syslog(3)'s own state, kept here. */
static int log_fd = -1;
static bool log_on, log_stalled;
static struct sockaddr_un log_addr;

/* A log daemon that reads slowly holds a message back for up to this long
 * (rather than losing it); one that does not read at all costs that once,
 * then the messages it has no room for are dropped. */
#define LOG_SEND_TIMEOUT_MS 5000

static void log_connect(void)
{
	struct timeval tv = {
		.tv_sec = LOG_SEND_TIMEOUT_MS / 1000,
		.tv_usec = LOG_SEND_TIMEOUT_MS % 1000 * 1000,
	};

	log_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (log_fd < 0)
		return;
	if (setsockopt(log_fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) ||
	    connect(log_fd, (struct sockaddr *)&log_addr, sizeof(log_addr))) {
		close(log_fd);
		log_fd = -1;
	}
}

static bool log_send(const char *msg, int len)
{
	int flags = MSG_NOSIGNAL | (log_stalled ? MSG_DONTWAIT : 0);
	ssize_t r;

	do
		r = send(log_fd, msg, len, flags);
	while (r < 0 && errno == EINTR);
	if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		log_stalled = true;
	return r >= 0;
}

void xb_log_open(bool enabled)
{
	const char *path = getenv(XB_LOG_SOCKET_ENV);

	xb_log_close();
	if (!path || !*path)
		path = XB_LOG_SOCKET_DEFAULT;
	if (!enabled || strlen(path) >= sizeof(log_addr.sun_path))
		return;
	memset(&log_addr, 0, sizeof(log_addr));
	log_addr.sun_family = AF_UNIX;
	strcpy(log_addr.sun_path, path);
	log_on = true;
	log_stalled = false;
	log_connect();
}

void xb_log_close(void)
{
	if (log_fd >= 0)
		close(log_fd);
	log_fd = -1;
	log_on = false;
}

/* s into out[size], escaped and cut as log.h says; its length. */
static size_t escape_message(char *out, size_t size, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	size_t n = 0, i, cut = size - 1 < XB_MESSAGE_MAX ? size - 1 :
			       XB_MESSAGE_MAX;

	for (i = 0; s[i]; i++) {
		unsigned char ch = (unsigned char)s[i];
		bool plain = ch >= 0x20 && ch != 0x7f;

		if (n + (plain ? 1 : 4) + 3 > cut) {
			memcpy(out + n, "...", 3);      /* 3 bytes kept for it */
			n += 3;
			break;
		}
		if (plain) {
			out[n++] = (char)ch;
		} else {
			out[n++] = '\\';
			out[n++] = 'x';
			out[n++] = hex[ch >> 4];
			out[n++] = hex[ch & 15];
		}
	}
	out[n] = '\0';
	return n;
}

void xb_put_text(FILE *f, const char *s)
{
	char out[XB_MESSAGE_MAX + 1];

	escape_message(out, sizeof(out), s);
	fputs(out, f);
}

void xb_put_message(FILE *f, const char *s)
{
	char out[XB_MESSAGE_MAX + 1];

	escape_message(out, sizeof(out), s);
	fprintf(f, "%s\n", out);
}

void xb_log(int prio, const char *fmt, ...)
{
	char msg[2048], body[2048], stamp[32];
	struct tm tm;
	time_t t;
	va_list ap;
	int head, len;

	if (!log_on)
		return;
	t = time(NULL);
	if (!localtime_r(&t, &tm) ||
	    !strftime(stamp, sizeof(stamp), "%b %e %H:%M:%S", &tm))
		stamp[0] = '\0';
	head = snprintf(msg, sizeof(msg), "<%d>%s xenbake[%ld]: ",
			LOG_DAEMON | LOG_PRI(prio), stamp, (long)getpid());
	if (head < 0 || (size_t)head >= sizeof(msg))
		return;
	va_start(ap, fmt);
	len = vsnprintf(body, sizeof(body), fmt, ap);
	va_end(ap);
	if (len < 0)
		return;
	/* long messages are cut, not lost; foreign bytes escaped */
	len = head + (int)escape_message(msg + head, sizeof(msg) - head, body);
	/* a log daemon that restarted (journald at boot) is connected to
	 * again, once per message; a full or gone log never stops a run */
	if (log_fd >= 0 && (log_send(msg, len) || log_stalled))
		return;
	if (log_fd >= 0)
		close(log_fd);
	log_connect();
	if (log_fd >= 0)
		log_send(msg, len);
}
