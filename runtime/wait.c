/* SPDX-License-Identifier: MIT */
/* wait.c - waiting at boot, with --wait: for the apply lock, xenstored,
 * xapi's start-up cookie and a login; one progress line, one give-up
 * wording. See cli.h. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "lib/blob.h"
#include "lib/errmsg.h"
#include "lib/hex.h"
#include "lib/quote.h"
#include "lib/trust.h"
#include "runtime/apply.h"
#include "runtime/cli.h"
#include "runtime/clock.h"
#include "runtime/desired.h"
#include "runtime/dump.h"
#include "runtime/hostlock.h"
#include "runtime/json.h"
#include "runtime/log.h"
#include "runtime/plan.h"
#include "runtime/receipt.h"
#include "runtime/xapi.h"
#include "runtime/xenstore.h"

/* ---- waiting at boot ------------------------------------------------------ */

/* What a wait shows: on a terminal one line, rewritten every second; else
 * (the journal, a log file) a plain line every WAIT_LOG_EVERY seconds. */
#define WAIT_LOG_EVERY 10.0

struct waiting {
	const struct options *o;
	const char *what;            /* "xapi's start-up cookie FILE" */
	double since, shown;         /* monotonic; shown < 0: nothing yet */
	bool tty, line;              /* line: a \r line is on the terminal */
};

static void wait_begin(struct waiting *w, const struct options *o,
		       const char *what)
{
	*w = (struct waiting){ .o = o, .what = what, .since = xb_now(),
			       .shown = -1, .tty = isatty(STDERR_FILENO) };
}

/* true while there is time left: the deadline is --wait after the start. */
static bool wait_tick(struct waiting *w, long holder)
{
	double t = xb_now(), left = w->o->start + w->o->wait - t;
	char pid[48] = "";

	if (left <= 0)
		return false;
	if (holder)
		snprintf(pid, sizeof(pid), " (held by pid %ld)", holder);
	if (w->tty && (w->shown < 0 || t - w->shown >= 1)) {
		fprintf(stderr, "\r\033[Kxenbake: waiting for %s%s: %.0f s, %.0f s left...",
			w->what, pid, t - w->since, left);
		w->line = true;
		w->shown = t;
	} else if (!w->tty && (w->shown < 0 || t - w->shown >= WAIT_LOG_EVERY)) {
		fprintf(stderr, "xenbake: waiting for %s%s (%.0f s so far, %.0f s left)\n",
			w->what, pid, t - w->since, left);
		w->shown = t;
	}
	return true;
}

static void wait_end(struct waiting *w, bool ok)
{
	double waited = xb_now() - w->since;

	if (w->line)
		fprintf(stderr, "\r\033[K");
	if (w->shown >= 0) {
		if (ok && !w->tty)
			fprintf(stderr, "xenbake: waited %.0f s for %s\n",
				waited, w->what);
		xb_log(ok ? LOG_INFO : LOG_ERR, "%s %.0f s for %s",
		       ok ? "waited" : "gave up after", waited, w->what);
	}
}

static void lock_progress(double waited, long holder, void *arg)
{
	(void)waited;
	wait_tick(arg, holder);
}

/* The apply lock in the state directory, waiting with --wait. */
int take_lock(const struct options *o, char **err)
{
	struct waiting w;
	int fd;

	wait_begin(&w, o, "another xenbake's lock");
	fd = xb_lock_take(o->state_dir, o->wait - (xb_now() - o->start),
			  lock_progress, &w, err);
	wait_end(&w, fd >= 0);
	return fd;
}

int wait_xenstored(const struct options *o, struct xb_xs **xs,
			  char **err)
{
	struct waiting w;
	bool answered = false;
	char *why;

	/* each request waits for its reply as long as --wait (at least 1 s),
	 * or XB_XS_REPLY_TIMEOUT without it */
	xb_xs_set_reply_timeout(o->wait > 0 ? o->wait : XB_XS_REPLY_TIMEOUT);
	wait_begin(&w, o, "xenstored");
	for (;;) {
		free(*err);
		*err = NULL;
		*xs = xb_xs_open(&answered, err);
		if (*xs || !wait_tick(&w, 0))
			break;
		usleep(200000);
	}
	wait_end(&w, *xs != NULL);
	if (*xs)
		return 0;
	if (*err && (o->wait > 0 || !answered)) {
		why = xb_strf("%s%s", *err, o->wait > 0 ? " (gave up waiting)" :
			      " (is it running? --wait SECONDS waits for it)");
		if (why) {
			free(*err);
			*err = why;
		}
	}
	return -1;
}

/* The cookie is on dom0 beside the local socket; a remote xapi has its own,
 * which cannot be seen from here, and a login tells enough. */
static int wait_xapi_cookie(const struct options *o, char **err)
{
	const char *cookie = getenv(XAPI_COOKIE_ENV);
	struct waiting w;
	char what[512];
	bool ok;

	if (o->wait <= 0 || strncmp(o->xapi, "unix:", 5))
		return 0;
	if (!cookie || !*cookie)
		cookie = XAPI_COOKIE;
	snprintf(what, sizeof(what), "xapi to finish starting (%s)", cookie);
	wait_begin(&w, o, what);
	while (!(ok = access(cookie, F_OK) == 0) && wait_tick(&w, 0))
		usleep(200000);
	wait_end(&w, ok);
	if (!ok && asprintf(err, "xapi has not finished starting: no %s after %.0f s (gave up waiting)",
			    cookie, xb_now() - w.since) < 0)
		*err = NULL;
	return ok ? 0 : -1;
}

struct xapi *connect_xapi(const struct options *o, char **err)
{
	struct xapi_options xo = {
		.endpoint = o->xapi,
		.password_file = o->password_file,
		.ca_file = o->xapi_ca,
		.fingerprint = o->xapi_fingerprint,
	};
	struct waiting w;
	char what[512];
	struct xapi *x;

	if (wait_xapi_cookie(o, err))
		return NULL;
	snprintf(what, sizeof(what), "a login to xapi at %s", o->xapi);
	wait_begin(&w, o, what);
	for (;;) {
		free(*err);
		*err = NULL;
		x = xapi_connect(&xo, err);
		if (x || !wait_tick(&w, 0))
			break;
		usleep(500000);
	}
	wait_end(&w, x != NULL);
	if (!x && o->wait > 0) {
		char *why = NULL;

		if (asprintf(&why, "%s (gave up waiting after %.0f s)",
			     *err ? *err : "cannot log in to xapi",
			     xb_now() - w.since) >= 0) {
			free(*err);
			*err = why;
		}
	}
	return x;
}
