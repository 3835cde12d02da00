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

/* The order of changes by what they write (where, field, class, key, then
 * the guest or the object): 0 exactly when both write the same thing. */
static int target_cmp(const struct xb_change *a, const struct xb_change *b)
{
	int r;

	if (a->where != b->where)
		return a->where < b->where ? -1 : 1;
	if (a->field != b->field)
		return a->field < b->field ? -1 : 1;
	if (a->cls != b->cls)
		return a->cls < b->cls ? -1 : 1;
	if ((r = strcmp(a->key, b->key)))
		return r;
	if (a->where == XB_WHERE_XENSTORE)
		return a->domid < b->domid ? -1 : a->domid > b->domid;
	return strcmp(a->uuid, b->uuid);
}

static int target_ptr_cmp(const void *a, const void *b)
{
	return target_cmp(*(const struct xb_change *const *)a,
			  *(const struct xb_change *const *)b);
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
	const struct xb_change **pending = NULL;
	char *err = NULL;
	int planned;
	size_t i, j;
	bool ok = false;

	if (read_and_plan(o, d, x, xs, NULL, &again, &now_plan, &planned, &err))
		goto out;
	/* sorted once, then looked up: comparing every change with every
	 * other took many minutes at 100,000 changes */
	pending = calloc(now_plan.nchanges + 1, sizeof(*pending));
	if (!pending)
		goto out;
	for (j = 0; j < now_plan.nchanges; j++)
		pending[j] = &now_plan.changes[j];
	qsort(pending, now_plan.nchanges, sizeof(*pending), target_ptr_cmp);
	for (i = 0; i < p->nchanges; i++) {
		const struct xb_change *c = &p->changes[i];

		if (!bsearch(&c, pending, now_plan.nchanges, sizeof(*pending),
			     target_ptr_cmp))
			out[i] = XB_OUTCOME_APPLIED;
		else if (out[i] == XB_OUTCOME_UNKNOWN)   /* still to do */
			out[i] = XB_OUTCOME_UNDONE;
	}
	ok = true;
out:
	free(pending);
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
		if (a->blobs[i].ok)
			rb[i].owner = a->blobs[i].blob.owner &&
				      *a->blobs[i].blob.owner ?
				      a->blobs[i].blob.owner :
				      XB_OWNER_DEFAULT;
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
		.identity = a->identity,
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

/* ---- the command ------------------------------------------------------------ */

/* Some guests kept conflicting and were given up, every other change
 * was made (xb_apply's XB_APPLY_PARTIAL): said on stdout and stderr, in
 * the log, the receipt ("partial", the guests not written) and --json.
 * 3, or 1 when no receipt could be written either. */
static int apply_partial(const struct options *o, struct session *s,
			 struct apply_run *ar, const char *err)
{
	const struct xb_plan *plan = &s->plan;
	size_t i, applied = 0;
	char *msg = NULL;
	int rc = EXIT_PARTIAL;

	for (i = 0; i < plan->nchanges; i++)
		applied += ar->outcomes[i] == XB_OUTCOME_APPLIED;
	xb_log(LOG_ERR, "apply %s partly done: %s", o->blob_path,
	       err ? err : "some guests were not written");
	log_outcomes(plan, ar->outcomes, false);
	ar->error = err ? err : "some guests were not written";
	if (o->json) {
		msg = strdup(ar->error);
		print_json("apply", "partial", s->identity, plan, &s->actual,
			   msg ? &msg : NULL, msg ? 1 : 0);
		free(msg);
	} else {
		printf("Partly applied: %zu of %zu changes made; the vm-data of the guests named on stderr was not written.\n",
		       applied, plan->nchanges);
	}
	fprintf(stderr, "xenbake: apply: ");
	xb_put_message(stderr, ar->error);
	if (save_receipt(o, ar, "partial"))
		rc = EXIT_ERROR;
	ar->error = NULL;
	return rc;
}

/* The plan made so, all or nothing. 0; 1 when it was, but its receipt
 * could not be written (said on stderr); EXIT_PARTIAL when guests that
 * kept conflicting were given up (said); or -1 with *err (the host as
 * before, or the receipt says what remains: ar->outcomes). */
static int apply_plan(const struct options *o, struct session *s,
		      struct apply_run *ar, char **err)
{
	struct xb_plan *plan = &s->plan;
	struct xb_apply_report rep;
	sigset_t stop_signals, old_mask;
	size_t add, mod, rem;
	int r;

	xb_plan_count(plan, false, &add, &mod, &rem);
	ar->outcomes = calloc(plan->nchanges + 1, sizeof(*ar->outcomes));
	if (!ar->outcomes) {
		*err = strdup("out of memory");
		return -1;
	}
	ar->plan = plan;        /* every change not attempted, yet */
	ar->actual = &s->actual;
	if (xb_plan_empty(plan)) {
		if (o->json)
			print_json("apply", "no changes", s->identity, plan,
				   &s->actual,
				   NULL, 0);
		else
			printf("No changes.\n");
		xb_log(LOG_INFO, "apply %s: no changes", o->blob_path);
		return save_receipt(o, ar, "no changes") ? 1 : 0;
	}
	if (!o->json)
		print_plan(stdout, plan, use_colour(stdout));
	fflush(stdout);
	xb_log(LOG_INFO, "apply %s: %zu to add, %zu to change, %zu to remove",
	       o->blob_path, add, mod, rem);
	/* all or nothing: a Ctrl-C or a stop request between the XenAPI
	 * writes and the commit would leave half of it, so such signals wait
	 * until apply has finished or undone */
	sigemptyset(&stop_signals);
	sigaddset(&stop_signals, SIGINT);
	sigaddset(&stop_signals, SIGTERM);
	sigaddset(&stop_signals, SIGHUP);
	sigprocmask(SIG_BLOCK, &stop_signals, &old_mask);
	r = xb_apply(s->x, s->xs, &s->actual, plan, &s->aopt, &rep,
		     ar->outcomes, err);
	if (r)
		ar->verified = verify_outcomes(o, &s->desired, s->x, s->xs,
					       plan, ar->outcomes);
	sigprocmask(SIG_SETMASK, &old_mask, NULL);
	if (r == XB_APPLY_PARTIAL)
		return apply_partial(o, s, ar, *err);
	if (r) {
		xb_log(LOG_ERR, "apply %s failed: %s", o->blob_path,
		       *err ? *err : "failed");
		log_outcomes(plan, ar->outcomes, true);
		ar->error = *err ? *err : "failed";
		save_receipt(o, ar, "error");
		ar->error = NULL;
		return -1;
	}
	log_outcomes(plan, ar->outcomes, false);
	if (o->json)
		print_json("apply", "applied", s->identity, plan, &s->actual,
			   NULL, 0);
	else
		printf("Applied: %zu added, %zu changed, %zu removed (%zu XenAPI write%s, %s).\n",
		       add, mod, rem, rep.xapi_writes,
		       rep.xapi_writes == 1 ? "" : "s",
		       plan->nguests ? "1 xenstore transaction" :
		       "no xenstore transaction");
	if (save_receipt(o, ar, "applied")) {
		fprintf(stderr, "xenbake: apply: the changes above were made, but no receipt records them\n");
		return 1;
	}
	return 0;
}

int cmd_apply(const struct options *o)
{
	struct session s = { 0 };
	struct apply_run ar = { 0 };
	char *err = NULL;
	size_t i;
	int rc = EXIT_ERROR, r, lock;

	/* one apply at a time, from before the host is read to its receipt */
	xb_log_open(!o->no_syslog);
	lock = take_lock(o, &err);
	if (lock < 0) {
		/* not this run's apply: no receipt, the holder writes its own */
		fprintf(stderr, "xenbake: apply: %s\n", err);
		xb_log(LOG_ERR, "apply %s: %s", o->blob_path, err);
		if (o->json)
			print_json("apply", "error", NULL, NULL, &s.actual, &err,
				   1);
		goto out;
	}
	clock_gettime(CLOCK_REALTIME, &ar.time);

	r = session_plan(o, &s, &err);
	ar.blobs = s.blobs;
	ar.nblobs = s.nblobs;
	ar.xs = s.xs;
	ar.x = s.x;
	ar.identity = s.identified ? s.identity : NULL;
	if (r == SESSION_NOT_LOADED) {
		ar.error = "a blob failed verification";
		xb_log(LOG_ERR, "apply %s: a blob failed verification: nothing was changed",
		       o->blob_path);
		save_receipt(o, &ar, "error");
		session_not_loaded(o, &s);
		goto out;
	}
	if (r == SESSION_PLAN_FAILED) {
		if (o->json)
			print_json("apply", "error", s.identity, &s.plan,
				   &s.actual,
				   s.plan.errors, s.plan.nerrors);
		for (i = 0; i < s.plan.nerrors; i++)
			xb_log(LOG_ERR, "apply: %s", s.plan.errors[i]);
		ar.error = s.plan.nerrors ? s.plan.errors[0] : "out of memory";
		save_receipt(o, &ar, "error");
		goto out;
	}
	if (r) {
		xb_log(LOG_ERR, "apply %s failed: %s: nothing was changed",
		       o->blob_path, err ? err : "failed");
		ar.error = err ? err : "failed";
		save_receipt(o, &ar, "error");
		session_fail(o, &s, err);
		goto out;
	}
	r = apply_plan(o, &s, &ar, &err);
	if (r == EXIT_PARTIAL) {    /* said so */
		rc = EXIT_PARTIAL;
		goto out;
	}
	if (r > 0)                  /* applied, but no receipt: said so */
		goto out;
	if (r < 0) {
		if (!ar.outcomes) {     /* before any write */
			ar.error = err ? err : "failed";
			xb_log(LOG_ERR, "apply %s failed: %s: nothing was changed",
			       o->blob_path, ar.error);
			save_receipt(o, &ar, "error");
		}
		session_fail(o, &s, err);
		goto out;
	}
	rc = EXIT_OK;
out:
	session_end(o, &s);
	free(err);
	free(ar.outcomes);
	xb_lock_release(lock);
	xb_log_close();
	return rc;
}
