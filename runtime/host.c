/* SPDX-License-Identifier: MIT */
/* host.c - the host as it is, read through open connections, and the
 * plan to make it match the blobs; see cli.h. */
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

/* ---- reading and planning --------------------------------------------------- */

/* Without XenAPI, guests' names are read only if a block needs them. */
static bool selects_by_name(const struct xb_desired *d)
{
	size_t i;

	for (i = 0; i < d->nobjects; i++)
		if (d->objects[i].cls == XB_CLASS_VM &&
		    !(d->objects[i].flags & XB_OBJ_BY_UUID))
			return true;
	return false;
}

/* A read of xenstore failed. The reader cannot know what else this run
 * did; here, before any write, nothing was changed. Returns -1. */
static int read_failed(char **err)
{
	char *why = xb_strf("%s; nothing was changed",
			    *err ? *err : "out of memory");

	if (why) {
		free(*err);
		*err = why;
	}
	return -1;
}

/* SRs are told apart by host only through their PBDs, one more call: made
 * when a block names an SR's host, or names an SR (or its new name) that
 * several SRs have. */
static bool needs_pbds(const struct xb_desired *d, const struct xb_actual *a)
{
	size_t i, j, k;

	for (i = 0; i < d->nobjects; i++) {
		const struct xb_desired_object *o = &d->objects[i];

		if (o->cls != XB_CLASS_SR || (o->flags & XB_OBJ_BY_UUID))
			continue;
		if (o->host && o->host[0])
			return true;
		for (k = 0; k <= o->nentries; k++) {
			const char *name = k ? o->entries[k - 1].value :
					   o->selector;
			size_t n = 0;

			if (k && o->entries[k - 1].field != XB_FIELD_NAME_LABEL)
				continue;
			for (j = 0; j < a->nobjects && n < 2; j++)
				if (a->objects[j].cls == XB_CLASS_SR &&
				    !strcmp(a->objects[j].name_label, name))
					n++;
			if (n > 1)
				return true;
		}
	}
	return false;
}

/* The host as it is (through open connections), and the plan to make it
 * match d. 0; -1: reading failed (*err); 1: the plan failed, *planned says
 * how (xb_plan_make's -1: plan->errors, or -ENOMEM). */
int read_and_plan(const struct options *o, const struct xb_desired *d,
			 struct xapi *x, struct xb_xs *xs,
			 const struct xb_apply_options *recover,
			 struct xb_actual *actual, struct xb_plan *plan,
			 int *planned, char **err)
{
	struct xb_plan_options popt = {
		.use_xapi = !o->no_xapi, .use_xenstore = !o->no_xenstore,
	};
	struct xb_plan first = { 0 };
	int r;

	*planned = 0;
	if (x && xapi_read_state(x, actual)) {
		*err = strdup(xapi_errmsg(x));
		return -1;
	}
	/* a journal left by an apply that was cut off: undone or finished
	 * before anything else is read (xenstore last, so it sees the result) */
	if (x && recover) {
		char *note = NULL;

		if (xb_apply_recover(x, actual, recover, o->cmd == CMD_APPLY,
				     &note, err))
			return -1;
		if (note) {
			fprintf(stderr, "xenbake: %s\n", note);
			xb_log(LOG_WARNING, "%s", note);
		}
		free(note);
	}
	if (x && needs_pbds(d, actual) && xapi_read_pbds(x, actual)) {
		*err = xb_strf("reading PBDs: %s", xapi_errmsg(x));
		return -1;
	}
	if (xs && xb_xs_read_guests(xs, actual, o->no_xapi,
				    o->no_xapi && selects_by_name(d), err))
		return read_failed(err);
	/* a first pass tells which guests' keys to read */
	if (xs) {
		struct xb_guest_plans gps;

		popt.every_guest = true;
		r = xb_plan_make(d, actual, &popt, &first);
		gps = xb_plan_guests(&first);
		if (r == 0 && xb_xs_read_vm_data(xs, actual, &gps, err)) {
			xb_plan_free(&first);
			return read_failed(err);
		}
		xb_plan_free(&first);
		popt.every_guest = false;
	}
	*planned = xb_plan_make(d, actual, &popt, plan);
	return *planned ? 1 : 0;
}
