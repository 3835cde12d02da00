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
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
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
#include "runtime/secrets.h"
#include "runtime/clock.h"
#include "runtime/desired.h"
#include "runtime/dump.h"
#include "runtime/hostlock.h"
#include "runtime/journal.h"
#include "runtime/json.h"
#include "runtime/lockdown.h"
#include "runtime/log.h"
#include "runtime/plan.h"
#include "runtime/receipt.h"
#include "runtime/statedir.h"
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

/* With XenAPI, a running guest's VM.xenstore_data is xapi's mirror of its
 * live vm-data tree (xenopsd watches it; xapi replaces the field on every
 * change). Copies each local guest's mirrored vm-data keys into its
 * vm_data, as if read from xenstore. 0 or -ENOMEM. */
static int mirror_vm_data(struct xb_actual *a)
{
	struct xb_domid_index *by_domid = xb_index_guests(a);
	size_t i, k, plen = strlen(XB_VM_DATA_PREFIX);
	int r = -ENOMEM;

	if (!by_domid)
		return -ENOMEM;
	for (i = 0; i < a->nobjects; i++) {
		const struct xb_object *ob = &a->objects[i];
		size_t gi = xb_local_guest(a, by_domid, ob);

		if (gi == SIZE_MAX)
			continue;
		for (k = 0; k < ob->xenstore_data.n; k++)
			if (!strncmp(ob->xenstore_data.kv[k].key,
				     XB_VM_DATA_PREFIX, plen) &&
			    xb_map_set(&a->guests[gi].vm_data,
				       ob->xenstore_data.kv[k].key,
				       ob->xenstore_data.kv[k].value))
				goto out;
	}
	r = 0;
out:
	free(by_domid);
	return r;
}

static void forget_vm_data(struct xb_actual *a)
{
	size_t i;

	for (i = 0; i < a->nguests; i++)
		xb_map_free(&a->guests[i].vm_data);
}

/* Reads the live keys of the guests a first plan queues (only those of
 * p's guests marked in live, or all when live is NULL). 0, or -1 (*err). */
static int read_live_keys(const struct xb_desired *d, struct xb_actual *actual,
			  struct xb_plan_options *popt, struct xb_xs *xs,
			  const bool *live, char **err)
{
	struct xb_plan first = { 0 };
	struct xb_guest_plan *some = NULL;
	struct xb_guest_plans gps;
	size_t i;
	int r;

	popt->every_guest = true;
	r = xb_plan_make(d, actual, popt, &first);
	popt->every_guest = false;
	gps = xb_plan_guests(&first);
	if (r == 0 && live) {
		/* shallow copies of the plans of the guests to read */
		some = calloc(gps.nguests ? gps.nguests : 1, sizeof(*some));
		if (!some) {
			xb_plan_free(&first);
			*err = strdup("out of memory");
			return -1;
		}
		for (i = 0, gps.nguests = 0; i < first.nguests; i++)
			if (live[first.guests[i].guest])
				some[gps.nguests++] = first.guests[i];
		gps.guests = some;
	}
	if (r == 0 && gps.nguests && xb_xs_read_vm_data(xs, actual, &gps, err))
		r = -1;
	else
		r = 0;
	free(some);
	xb_plan_free(&first);
	return r;
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
	bool read_every_key;
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
			/* it names objects as the journal does: escaped, cut */
			fputs("xenbake: ", stderr);
			xb_put_message(stderr, note);
			xb_log(LOG_WARNING, "%s", note);
		}
		free(note);
	}
	if (x && needs_pbds(d, actual) && xapi_read_pbds(x, actual)) {
		*err = xb_strf("reading PBDs: %s", xapi_errmsg(x));
		return -1;
	}
	/* an apply without XenAPI reads in the transaction that writes:
	 * its first attempt reads nothing again (xenstore.h) */
	if (xs && !x && o->cmd == CMD_APPLY &&
	    xb_xs_begin_pass(xs, actual, err))
		return read_failed(err);
	if (xs && xb_xs_read_guests(xs, actual, o->no_xapi,
				    o->no_xapi && selects_by_name(d), err))
		return read_failed(err);
	/* With XenAPI, a guest whose mirror (VM.xenstore_data) agrees with
	 * the config needs no read of its keys: a plan from the mirrors
	 * tells which guests differ, and only those are read live. That is
	 * for apply (the boot) and plan (what apply would do); check,
	 * status, diff and export read them all: drift must see the live
	 * tree when the mirror lags */
	read_every_key = o->cmd != CMD_APPLY && o->cmd != CMD_PLAN;
	if (xs && x && !read_every_key) {
		bool *live = NULL;
		size_t i;

		if (mirror_vm_data(actual)) {
			*err = strdup("out of memory");
			return -1;
		}
		r = xb_plan_make(d, actual, &popt, &first);
		if (r == 0 && !first.nguests) {
			*plan = first;      /* every guest agrees: no read */
			return 0;
		}
		if (r == 0)
			live = calloc(actual->nguests ? actual->nguests : 1,
				      sizeof(*live));
		for (i = 0; live && i < first.nguests; i++) {
			struct xb_guest *g = &actual->guests[first.guests[i].guest];

			live[first.guests[i].guest] = true;
			xb_map_free(&g->vm_data);
		}
		xb_plan_free(&first);
		if (!live)              /* no plan to go by: read all */
			forget_vm_data(actual);
		r = read_live_keys(d, actual, &popt, xs, live, err);
		free(live);
		if (r)
			return read_failed(err);
	} else if (xs) {
		/* a first pass tells which guests' keys to read */
		if (read_live_keys(d, actual, &popt, xs, NULL, err))
			return read_failed(err);
	}
	*planned = xb_plan_make(d, actual, &popt, plan);
	return *planned ? 1 : 0;
}

/* ---- a session: the blobs, the host and the plan ---------------------------- */

/* A journal left by a cut-off apply: plan, check and status leave it to
 * the next apply (under the lock) and only say so. */
static void note_journal(const struct options *o)
{
	char *why = NULL;
	int dfd = xb_statedir_open(o->state_dir, false, &why);
	struct stat st;

	if (dfd < 0) {
		if (errno != ENOENT)
			fprintf(stderr, "xenbake: note: %s\n", why);
	} else if (!fstatat(dfd, XB_JOURNAL_NAME, &st, AT_SYMLINK_NOFOLLOW)) {
		fprintf(stderr, "xenbake: note: %s/%s: an apply was cut off; the next apply undoes or finishes it, this run reads the host as it is\n",
			o->state_dir, XB_JOURNAL_NAME);
	}
	if (dfd >= 0)
		close(dfd);
	free(why);
}

/* --no-xapi beside a running xapi is a half-measure: xapi copies what a
 * guest's vm-data holds into VM.xenstore_data, where no later run without
 * XenAPI sees or removes it. "Answers" = its local socket (--xapi when that
 * is unix:PATH, else the default) accepts a connection; no call is made.
 * -1 with *err when it does. */
static int xapi_runs_here(const struct options *o, char **err)
{
	const char *endpoint = strncmp(o->xapi, "unix:", 5) ?
			       XAPI_DEFAULT_ENDPOINT : o->xapi;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd, r;

	if (strlen(endpoint + 5) >= sizeof(sa.sun_path))
		return 0;            /* not a socket anything listens on */
	strcpy(sa.sun_path, endpoint + 5);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return 0;
	r = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
	close(fd);
	if (r)
		return 0;
	*err = xb_strf("xapi answers on %s: with --no-xapi the keys written "
		       "into guests' vm-data would be copied by xapi into "
		       "VM.xenstore_data, where nothing removes them later; "
		       "drop --no-xapi, or add --ignore-running-xapi if "
		       "that is what you want", endpoint);
	return -1;
}


/* The configuration identity of the loaded blobs. 0, or -1 (no memory). */
static int session_identity(struct session *s)
{
	struct xbb *views = calloc(s->nblobs + 1, sizeof(*views));
	size_t i;

	if (!views)
		return -1;
	for (i = 0; i < s->nblobs; i++)
		views[i] = s->blobs[i].blob;
	xb_identity(views, s->nblobs, s->identity);
	s->identified = true;
	free(views);
	return 0;
}

int session_plan(const struct options *o, struct session *s, char **err)
{
	size_t i;
	int r;

	s->aopt.state_dir = o->state_dir;
	/* 1. verify everything before any I/O to the host */
	if (load_blobs(o, &s->blobs, &s->nblobs))
		return SESSION_NOT_LOADED;
	for (i = 0; i < s->nblobs; i++)
		if (xb_desired_add_blob(&s->desired, &s->blobs[i].blob)) {
			*err = strdup("out of memory");
			return -1;
		}
	if (xb_desired_open_secrets(&s->desired, o->host_key ? o->host_key :
				    XB_DEFAULT_HOST_KEY, err))
		return -1;
	s->shas = calloc(s->nblobs + 1, sizeof(*s->shas));
	if (!s->shas) {
		*err = strdup("out of memory");
		return -1;
	}
	for (i = 0; i < s->nblobs; i++)
		s->shas[i] = xbb_sha256(&s->blobs[i].blob);
	s->aopt.blob_sha256 = s->shas;
	s->aopt.nblobs = s->nblobs;
	if (session_identity(s)) {
		*err = strdup("out of memory");
		return -1;
	}

	/* 2. the host as it is (an apply cut off earlier undone or
	 * finished first), 3. the plan */
	if (o->no_xapi && !o->ignore_running_xapi && xapi_runs_here(o, err))
		return -1;
	if (!o->no_xenstore && wait_xenstored(o, &s->xs, err))
		return -1;
	if (!o->no_xapi && !(s->x = connect_xapi(o, err)))
		return -1;
	/* everything this run needs is open: lose the right to more */
	if (xb_lockdown(err))
		return -1;
	/* only apply, under the lock, acts on a journal: a read-only
	 * command reads the host as it is and says one is there */
	if (o->cmd != CMD_APPLY)
		note_journal(o);
	r = read_and_plan(o, &s->desired, s->x, s->xs,
			  o->cmd == CMD_APPLY ? &s->aopt : NULL, &s->actual,
			  &s->plan, &s->planned, err);
	if (r < 0)
		return -1;
	for (i = 0; !o->json && i < s->plan.nnotes; i++)
		xb_put_message(stderr, s->plan.notes[i]);
	if (r) {
		if (s->planned == -ENOMEM)
			fprintf(stderr, "xenbake: out of memory\n");
		improve_plan_errors(s);
		for (i = 0; i < s->plan.nerrors; i++) {
			fprintf(stderr, "%s: error: ", command_name(o->cmd));
			xb_put_message(stderr, s->plan.errors[i]);
			print_source_excerpt(stderr, s, s->plan.errors[i],
					     s->nblobs ? s->blobs[0].path :
					     o->blob_path);
		}
		return SESSION_PLAN_FAILED;
	}
	return 0;
}

void session_fail(const struct options *o, const struct session *s,
		  char *err)
{
	fprintf(stderr, "xenbake: %s: ", command_name(o->cmd));
	xb_put_message(stderr, err ? err : "failed");
	if (o->json) {
		static char failed[] = "failed";
		char *errs[1] = { err ? err : failed };

		print_json(command_name(o->cmd), "error",
			   s->identified ? s->identity : NULL,
			   s->plan.nchanges ? &s->plan : NULL, &s->actual,
			   errs, 1);
	}
}

void session_not_loaded(const struct options *o, const struct session *s)
{
	char *msg;

	if (!o->json)
		return;
	msg = xb_strf("%s: the blob could not be loaded or failed verification (the reason is on stderr)",
		      o->blob_path);
	print_json(command_name(o->cmd), "error", NULL, NULL, &s->actual,
		   msg ? &msg : NULL, msg ? 1 : 0);
	free(msg);
}

void session_end(const struct options *o, struct session *s)
{
	if (o->verbose) {
		if (s->x)
			fprintf(stderr, "xenbake: %lu XenAPI call%s\n",
				xapi_calls(s->x),
				xapi_calls(s->x) == 1 ? "" : "s");
		if (s->xs) {
			const struct xb_xs_stats *st = xb_xs_stats(s->xs);

			fprintf(stderr, "xenbake: xenstore: %u transaction%s, %lu reads, %lu writes, %lu removes, %lu mkdirs, %lu set-perms\n",
				st->attempts, st->attempts == 1 ? "" : "s",
				st->reads, st->writes, st->removes, st->mkdirs,
				st->perms);
		}
	}
	free(s->shas);
	xb_plan_free(&s->plan);
	xapi_close(s->x);
	xb_xs_end_pass(s->xs, &s->actual);   /* an apply that wrote nothing */
	xb_xs_close(s->xs);
	xb_actual_free(&s->actual);
	xb_desired_free(&s->desired);
	free_blobs(s->blobs, s->nblobs);
	memset(s, 0, sizeof(*s));
}
