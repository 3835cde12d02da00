/* SPDX-License-Identifier: MIT */
/* cmd-apply.c - what `apply` does around xb_apply(): checks the outcomes
 * after a failure, logs them and writes the receipt; see cli.h. */
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

#include <sodium.h>

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

/* ---- apply: outcomes, receipts, the log ------------------------------------- */

static bool same_target(const struct xb_change *a, const struct xb_change *b)
{
	return a->where == b->where && a->field == b->field &&
	       a->cls == b->cls && !strcmp(a->key, b->key) &&
	       (a->where == XB_WHERE_XENSTORE ? a->domid == b->domid :
		!strcmp(a->uuid, b->uuid));
}

/* After a failure, reads the host again: a change the new plan no longer
 * needs is in place. false if the host could not be read. */
bool verify_outcomes(const struct options *o,
			    const struct xb_desired *d, struct xapi *x,
			    struct xb_xs *xs, const struct xb_plan *p,
			    enum xb_outcome *out)
{
	struct xb_actual again = { 0 };
	struct xb_plan now_plan = { 0 };
	char *err = NULL;
	int planned;
	size_t i, j;
	bool ok = false;

	if (read_and_plan(o, d, x, xs, NULL, &again, &now_plan, &planned, &err))
		goto out;
	for (i = 0; i < p->nchanges; i++) {
		for (j = 0; j < now_plan.nchanges; j++)
			if (same_target(&p->changes[i], &now_plan.changes[j]))
				break;
		if (j == now_plan.nchanges)
			out[i] = XB_OUTCOME_APPLIED;
		else if (out[i] == XB_OUTCOME_UNKNOWN)   /* still to do */
			out[i] = XB_OUTCOME_UNDONE;
	}
	ok = true;
out:
	free(err);
	xb_plan_free(&now_plan);
	xb_actual_free(&again);
	return ok;
}

/* A boot that sets thousands of keys would flood the log (journald drops
 * what a service sends past its rate limit): the first changes are named,
 * the receipt has them all. */
#define LOG_CHANGES_MAX 100

void log_outcomes(const struct xb_plan *p, const enum xb_outcome *out,
			 bool failed)
{
	const char *what = failed ? "left in place after the failure" :
			   "applied";
	size_t i, named = 0, remain = 0;

	for (i = 0; i < p->nchanges; i++) {
		char *line;

		if (out[i] != XB_OUTCOME_APPLIED)
			continue;
		remain++;
		if (p->changes[i].bookkeeping || ++named > LOG_CHANGES_MAX)
			continue;
		line = change_line(&p->changes[i]);
		xb_log(failed ? LOG_ERR : LOG_NOTICE, "%s: %s", what,
		       line ? line : "(out of memory)");
		free(line);
	}
	if (named > LOG_CHANGES_MAX)
		xb_log(failed ? LOG_ERR : LOG_NOTICE,
		       "%s: %zu more (the receipt names every one)", what,
		       named - LOG_CHANGES_MAX);
	if (failed && !remain)
		xb_log(LOG_NOTICE, "recovered: the host is as it was before the apply (%zu change%s not made or set back)",
		       p->nchanges, p->nchanges == 1 ? "" : "s");
	else if (failed)
		xb_log(LOG_CRIT, "NOT recovered: %zu of %zu changes remain on the host",
		       remain, p->nchanges);
}

int save_receipt(const struct options *o, const struct apply_run *a,
		 const char *result)
{
	struct xb_receipt_blob *rb = calloc(a->nblobs + 1, sizeof(*rb));
	char **abs = calloc(a->nblobs + 1, sizeof(*abs));
	int rc = 0;
	struct timespec end;
	struct xb_receipt r;
	char *err = NULL, *path = NULL;
	size_t i;

	if (!rb || !abs) {
		fprintf(stderr, "xenbake: error: out of memory: no receipt was written\n");
		free(rb);
		free(abs);
		return -1;
	}
	for (i = 0; i < a->nblobs; i++) {
		/* absolute, so status finds them from any directory */
		abs[i] = absolute_path(a->blobs[i].path);
		rb[i].path = abs[i] ? abs[i] : a->blobs[i].path;
		rb[i].sha256 = a->blobs[i].ok ? a->blobs[i].sha256 : NULL;
	}
	clock_gettime(CLOCK_REALTIME, &end);
	r = (struct xb_receipt){
		.time = a->time,
		.seconds = (double)(end.tv_sec - a->time.tv_sec) +
			   (double)(end.tv_nsec - a->time.tv_nsec) / 1e9,
		.result = result,
		.error = a->error,
		.blobs = rb,
		.nblobs = a->nblobs,
		.xapi = o->no_xapi ? NULL : o->xapi,
		.xenstore = !o->no_xenstore,
		.plan = a->plan,
		.actual = a->actual,
		.outcomes = a->outcomes,
		.verified = a->verified,
		.xapi_calls = a->x ? xapi_calls(a->x) : 0,
		.xs = a->xs ? xb_xs_stats(a->xs) : NULL,
	};
	if (xb_receipt_write(o->state_dir, &r, &path, &err)) {
		fprintf(stderr, "xenbake: error: no receipt was written: %s\n",
			err ? err : "out of memory");
		xb_log(LOG_ERR, "no receipt was written: %s",
		       err ? err : "out of memory");
		rc = -1;
	} else {
		xb_log(LOG_INFO, "receipt %s", path ? path : "written");
	}
	for (i = 0; i < a->nblobs; i++)
		free(abs[i]);
	free(abs);
	free(path);
	free(err);
	free(rb);
	return rc;
}
