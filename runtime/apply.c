/* SPDX-License-Identifier: MIT */
/* apply.c - a plan carried out all or nothing: see apply.h. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/errmsg.h"
#include "runtime/apply.h"
#include "runtime/journal.h"
#include "runtime/xapi.h"
#include "runtime/xenstore.h"
#include "runtime/xmlrpc.h"

/* Test builds (-DXB_TEST_HOOKS): XENBAKE_TEST_HOOK_AFTER_WRITE=N kills
 * xenbake with SIGKILL once the journal is on disk and N XenAPI writes
 * (maps) are made (0: before the first), or "commit": after the xenstore
 * commit, before the journal goes; XENBAKE_TEST_HOOK_AFTER_CALL=N after
 * the Nth call of the writes (a map cut off midway, between a changed
 * value's remove_from_ and add_to_ even); XENBAKE_TEST_HOOK_RECOVERY_WRITE=N
 * after the Nth write of a recovery. So a test can cut an apply off at
 * every point. */
#ifdef XB_TEST_HOOKS
static void test_kill(const char *env, const char *point)
{
	const char *want = getenv(env);

	if (want && !strcmp(want, point)) {
		fflush(NULL);
		raise(SIGKILL);
	}
}

static void test_kill_at(const char *env, size_t n)
{
	char point[32];

	snprintf(point, sizeof(point), "%zu", n);
	test_kill(env, point);
}

static atomic_size_t test_calls;   /* write calls, for HOOK_CALL */

static void test_kill_call(void)
{
	test_kill_at("XENBAKE_TEST_HOOK_AFTER_CALL",
		     atomic_fetch_add(&test_calls, 1) + 1);
}
#else
static void test_kill_call(void)
{
}

static void test_kill(const char *env, const char *point)
{
}

static void test_kill_at(const char *env, size_t n)
{
}
#endif
#define HOOK_WRITE "XENBAKE_TEST_HOOK_AFTER_WRITE"
#define HOOK_RECOVERY "XENBAKE_TEST_HOOK_RECOVERY_WRITE"

/* How often add_to_ is tried when someone else keeps taking the key: the
 * same config applied from several hosts of a pool at once races on every
 * key. */
#define PUT_TRIES 8

static bool is_duplicate(struct xapi *x)
{
	const struct xapi_fault *f = xapi_fault(x);

	return f && f->code && !strcmp(f->code, "MAP_DUPLICATE_KEY");
}

/* One key of a map from value was to value (NULL: absent): remove_from_,
 * add_to_, or both for a changed value, as XenAPI has no call that sets
 * one key. A key someone else added meanwhile under that name makes
 * add_to_ fail MAP_DUPLICATE_KEY: the key is read, and if it does not
 * hold the value yet (another host applying the same config may have put
 * it), it is replaced, as the config names it. *touched: a call went
 * through, or may have (no reply). */
static int put_key(struct xapi *x, const struct xb_object *ob,
		   enum xb_field field, const char *key, const char *was,
		   const char *value, bool *touched)
{
	char *now = NULL;
	bool same;
	int tries;

	if (was || !value) {
		if (xapi_map_remove(x, ob->cls, ob->ref, field, key))
			goto failed;
		*touched = true;
		test_kill_call();
		if (!value)
			return 0;
	}
	for (tries = 0; tries < PUT_TRIES; tries++) {
		if (!xapi_map_add(x, ob->cls, ob->ref, field, key, value)) {
			*touched = true;
			test_kill_call();
			return 0;
		}
		if (!is_duplicate(x) || tries + 1 == PUT_TRIES ||
		    xapi_map_value(x, ob->cls, ob->ref, field, key, &now))
			goto failed;
		same = now && !strcmp(now, value);
		free(now);
		now = NULL;
		if (same)
			return 0;
		if (xapi_map_remove(x, ob->cls, ob->ref, field, key))
			goto failed;
		*touched = true;
	}
failed:
	if (!xapi_fault(x))
		*touched = true;    /* no reply: the call may have run */
	return -1;
}

/* One call that went through (0), or failed (-1); *touched when it ran
 * or may have (no reply) */
static int called(struct xapi *x, int r, bool *touched)
{
	if (!r || !xapi_fault(x))
		*touched = true;
	return r ? -1 : 0;
}

/* Makes field go from map from to map to, key by key: only the keys the
 * two differ on are sent, so a key another client writes between xenbake's
 * read and this write stays, as no whole-map set_ computed from the read
 * could promise (a lost update). A VM's tags, a set, go tag by tag too
 * (add_tags, remove_tags); name_label and name_description are one set_
 * each. *touched: the object may have changed (see put_key). */
static int write_field(struct xapi *x, const struct xb_object *ob,
		       enum xb_field field, const struct xb_map *from,
		       const struct xb_map *to, bool *touched)
{
	const char *one = xb_map_get(to, "") ? xb_map_get(to, "") : "";
	size_t i = 0, j = 0;

	if (field == XB_FIELD_NAME_LABEL)
		return called(x, xapi_set_name_label(x, ob->cls, ob->ref, one),
			      touched);
	if (field == XB_FIELD_NAME_DESCRIPTION)
		return called(x, xapi_set_name_description(x, ob->cls,
							   ob->ref, one),
			      touched);
	while (i < from->n || j < to->n) {        /* both sorted by key */
		int c = i >= from->n ? 1 : j >= to->n ? -1 :
			strcmp(from->kv[i].key, to->kv[j].key);
		const char *key = c <= 0 ? from->kv[i].key : to->kv[j].key;
		const char *was = c <= 0 ? from->kv[i].value : NULL;
		const char *value = c >= 0 ? to->kv[j].value : NULL;

		i += c <= 0;
		j += c >= 0;
		if (was && value && !strcmp(was, value))
			continue;
		if (field == XB_FIELD_TAGS) {
			if (called(x, xapi_tag(x, ob->ref, key, value != NULL),
				   touched))
				return -1;
			test_kill_call();
			continue;
		}
		if (put_key(x, ob, field, key, was, value, touched))
			return -1;
	}
	return 0;
}

/* The change behind write w that has a source position (a removal has
 * none), else its first: for its object's name and its source. */
static const struct xb_change *change_of(const struct xb_plan *p,
					 const struct xb_map_write *w)
{
	size_t i;

	for (i = w->first_change; i < w->first_change + w->nchanges; i++)
		if (p->changes[i].source[0])
			return &p->changes[i];
	return w->nchanges ? &p->changes[w->first_change] : NULL;
}

/* "vm \"web-01\" other_config (site.xb:3:5)", malloc'd. */
static char *describe(const char *keyword, const char *object,
		      const char *field, const char *source)
{
	return xb_strf("%s \"%s\" %s%s%s%s", keyword, object, field,
		   source[0] ? " (" : "", source, source[0] ? ")" : "");
}

static char *describe_write(const struct xb_plan *p,
			    const struct xb_actual *a,
			    const struct xb_map_write *w)
{
	const struct xb_object *ob = &a->objects[w->object];
	const struct xb_change *c = change_of(p, w);

	return describe(xb_class_keyword(ob->cls), c ? c->object : ob->uuid,
			xb_field_xapi(w->field), c ? c->source : "");
}

/* " (the transaction for vm web-01 (domain 5), from site.xb:1:15; ...)":
 * which guests a failed xenstore transaction carried, and where the config
 * asks for them. malloc'd; NULL on no memory. */
static char *xenstore_sources(const struct xb_plan *p)
{
	char *list = NULL, *more;
	size_t g, i;

	for (g = 0; g < p->nguests; g++) {
		const struct xb_guest_plan *gp = &p->guests[g];
		const char *src = "";

		for (i = 0; i < p->nchanges && !src[0]; i++)
			if (p->changes[i].where == XB_WHERE_XENSTORE &&
			    p->changes[i].domid == gp->domid)
				src = p->changes[i].source;
		more = xb_strf("%s%s%s%s%s", list ? list : "", list ? "; " : "",
			   gp->label, src[0] ? ", from " : "", src);
		free(list);
		if (!more)
			return NULL;
		list = more;
	}
	more = xb_strf(" (the transaction for %s)", list ? list : "no guest");
	free(list);
	return more;
}

/* Sets the writes marked done back to the maps read, newest first, key by
 * key as they were written (a key of a map cut off midway that was never
 * written costs a call that changes nothing). 0, or -1 with *failed naming
 * the calls that could not be undone. */
static int restore(struct xapi *x, const struct xb_actual *a,
		   const struct xb_plan *p, const bool *done, char **failed)
{
	size_t n = p->nwrites;
	int r = 0;

	while (n--) {
		const struct xb_map_write *w = &p->writes[n];
		const struct xb_object *ob = &a->objects[w->object];
		bool touched = false;

		if (!done[n])
			continue;
		if (write_field(x, ob, w->field, &w->new_map, &w->old_map,
				&touched)) {
			char *what = describe_write(p, a, w);
			char *more = xb_strf("%s%s%s: %s", *failed ? *failed : "",
					 *failed ? "; " : "",
					 what ? what : ob->uuid,
					 xapi_errmsg(x));

			free(what);

			free(*failed);
			*failed = more;
			r = -1;
		}
	}
	return r;
}

/* The writes go out over a few connections at once: each is one map of
 * one object (its keys' calls in turn on one connection), independent of
 * the others, and at boot the cost is the round trips. A failure stops the
 * taking of new writes; the caller then sets back every write that was
 * done, or begun. */
#define XAPI_WRITERS 4          /* connections writing at once */
#define WRITES_PER_WRITER 16    /* fewer writes than this: fewer writers */

struct writers {
	const struct xb_actual *a;
	const struct xb_plan *p;
	atomic_size_t next;          /* the next write to take */
	atomic_size_t made;          /* writes made, for the test hook */
	atomic_bool stop;            /* a write failed: take no more */
	bool *done;                  /* per write, set by the one taking it */
	pthread_mutex_t lock;        /* guards error */
	char *error;                 /* the first failure */
};

struct writer {
	struct writers *all;
	struct xapi *conn;
	pthread_t thread;
};

static void *writer_run(void *arg)
{
	struct writer *me = arg;
	struct writers *all = me->all;
	size_t i;

	while (!atomic_load(&all->stop) &&
	       (i = atomic_fetch_add(&all->next, 1)) < all->p->nwrites) {
		const struct xb_map_write *w = &all->p->writes[i];
		bool touched = false;

		if (write_field(me->conn, &all->a->objects[w->object],
				w->field, &w->old_map, &w->new_map, &touched)) {
			char *what = describe_write(all->p, all->a, w);

			pthread_mutex_lock(&all->lock);
			if (!all->error)
				all->error = xb_strf("%s: %s", what ? what : "",
						 xapi_errmsg(me->conn));
			pthread_mutex_unlock(&all->lock);
			free(what);
			/* some of its keys' calls went through, or the
			 * last may have (no reply: the connection dropped):
			 * set back with the others */
			all->done[i] = touched;
			atomic_store(&all->stop, true);
			break;
		}
		all->done[i] = true;
		test_kill_at(HOOK_WRITE, atomic_fetch_add(&all->made, 1) + 1);
	}
	return NULL;
}

/* Every write of the plan; 0, or -1 with *why (malloc'd). done[] says
 * which were made either way. */
static int write_all(struct xapi *x, const struct xb_actual *a,
		     const struct xb_plan *p, bool *done, char **why)
{
	struct writers all = { .a = a, .p = p, .done = done };
	struct writer pool[XAPI_WRITERS];
	size_t want = p->nwrites / WRITES_PER_WRITER, n, k;
	char *err = NULL;

	if (want < 1)
		want = 1;
	if (want > XAPI_WRITERS)
		want = XAPI_WRITERS;
	atomic_init(&all.next, 0);
	atomic_init(&all.made, 0);
	atomic_init(&all.stop, false);
	pthread_mutex_init(&all.lock, NULL);
	pool[0] = (struct writer){ &all, x, 0 };
	for (n = 1; n < want; n++) {     /* fewer writers if one fails to start */
		pool[n] = (struct writer){ &all, xapi_clone(x, &err), 0 };
		free(err);
		err = NULL;
		if (!pool[n].conn)
			break;
		if (pthread_create(&pool[n].thread, NULL, writer_run, &pool[n])) {
			xapi_close(pool[n].conn);
			break;
		}
	}
	writer_run(&pool[0]);
	for (k = 1; k < n; k++) {
		pthread_join(pool[k].thread, NULL);
		xapi_close(pool[k].conn);   /* its calls count as x's */
	}
	pthread_mutex_destroy(&all.lock);
	*why = all.error;
	return all.error ? -1 : 0;
}

/* An SR is renamed only if a PBD is plugged (else xapi refuses): check
 * them all before writing anything. */
static int check_renames(struct xapi *x, struct xb_actual *a,
			 const struct xb_plan *p, char **errmsg)
{
	bool read = false;
	size_t i;

	for (i = 0; i < p->nwrites; i++) {
		const struct xb_map_write *w = &p->writes[i];
		const struct xb_object *ob;
		const struct xb_change *c;

		if (w->field != XB_FIELD_NAME_LABEL)
			continue;
		if (!read) {
			if (xapi_read_pbds(x, a)) {
				*errmsg = xb_strf("reading PBDs: %s; nothing was changed, the host is as it was",
					      xapi_errmsg(x));
				return -1;
			}
			read = true;
		}
		ob = &a->objects[w->object];
		if (!ob->pbds_plugged) {
			c = change_of(p, w);
			*errmsg = xb_strf("%s%ssr \"%s\" (%s) cannot be renamed to \"%s\": no PBD is plugged (xapi refuses with SR_HAS_NO_PBDS); nothing was changed, the host is as it was",
				      c && c->source[0] ? c->source : "",
				      c && c->source[0] ? ": " : "",
				      ob->name_label, ob->uuid,
				      xb_map_get(&w->new_map, ""));
			return -1;
		}
	}
	return 0;
}

/* What xapi would refuse only once some maps are written: a string XML
 * cannot carry, a request over the bytes xapi reads (XAPI_REQUEST_MAX).
 * Checked for every call a write makes, and those that set it back (a
 * restore must go through): one key each, add_to_ the longest. */
static int check_request(const struct xb_object *ob, enum xb_field field,
			 const char *key, const char *value, char **why)
{
	const char *args[3] = { ob->ref, key, value }, *bad;
	char method[64];
	size_t off, n = 3;

	if (field == XB_FIELD_NAME_LABEL)
		snprintf(method, sizeof(method), "%s.set_name_label",
			 xb_class_xapi(ob->cls));
	else if (field == XB_FIELD_NAME_DESCRIPTION)
		snprintf(method, sizeof(method), "%s.set_name_description",
			 xb_class_xapi(ob->cls));
	else if (field == XB_FIELD_TAGS)
		snprintf(method, sizeof(method), "%s.add_tags",
			 xb_class_xapi(ob->cls));
	else
		snprintf(method, sizeof(method), "%s.add_to_%s",
			 xb_class_xapi(ob->cls), xb_field_xapi(field));
	if (!xr_xml_safe(key, strlen(key), &bad, &off) ||
	    !xr_xml_safe(value, strlen(value), &bad, &off)) {
		*why = xb_strf("%s: key \"%.80s\": %s at byte %zu",
			       method, key, bad, off);
		return -1;
	}
	/* a tag is its key; a name or description, the value */
	if (field == XB_FIELD_NAME_LABEL ||
	    field == XB_FIELD_NAME_DESCRIPTION || field == XB_FIELD_TAGS) {
		n = 2;
		args[1] = field == XB_FIELD_TAGS ? key : value;
	}
	return xapi_check_size(method, args, n, why);
}

/* Every key the two maps of w differ on, with either value. */
static int check_write(const struct xb_object *ob,
		       const struct xb_map_write *w, char **why)
{
	const struct xb_map *side[2] = { &w->new_map, &w->old_map };
	size_t s, i;

	for (s = 0; s < 2; s++)
		for (i = 0; i < side[s]->n; i++) {
			const struct xb_kv *kv = &side[s]->kv[i];
			const char *other = xb_map_get(side[!s], kv->key);

			if (other && !strcmp(other, kv->value))
				continue;
			if (check_request(ob, w->field, kv->key, kv->value,
					  why))
				return -1;
		}
	return 0;
}

static int check_writes(const struct xb_actual *a, const struct xb_plan *p,
			char **errmsg)
{
	size_t i;

	for (i = 0; i < p->nwrites; i++) {
		const struct xb_map_write *w = &p->writes[i];
		const struct xb_object *ob = &a->objects[w->object];
		char *why = NULL, *what;

		if (!check_write(ob, w, &why))
			continue;
		what = describe_write(p, a, w);
		*errmsg = xb_strf("%s: %s; nothing was changed, the host is as it was",
			      what ? what : ob->uuid, why ? why : "out of memory");
		free(what);
		free(why);
		return -1;
	}
	return 0;
}

/* The plan's writes, old and new, in the journal before the first one.
 * The journal borrows the plan's strings and maps (xb_journal_write only
 * reads them): a copy would double what the plan holds. */
static int journal_start(const struct xb_apply_options *opt,
			 const struct xb_actual *a, const struct xb_plan *p,
			 char **errmsg)
{
	static char no_source[] = "";
	struct xb_journal j = {
		.time = (long long)time(NULL), .pid = (int)getpid(),
		.boot_id = xb_journal_boot_id(),
	};
	char *why = NULL;
	size_t i;
	int r = -1, jr;

	if (!j.boot_id)
		goto nomem;

	j.blobs = calloc(opt->nblobs + 1, sizeof(*j.blobs));
	j.writes = calloc(p->nwrites + 1, sizeof(*j.writes));
	if (!j.blobs || !j.writes)
		goto nomem;
	for (i = 0; i < opt->nblobs; i++)
		memcpy(j.blobs[i], opt->blob_sha256[i], XB_JOURNAL_SHA256_SIZE);
	j.nblobs = opt->nblobs;
	for (i = 0; i < p->nwrites; i++) {
		const struct xb_map_write *w = &p->writes[i];
		const struct xb_object *ob = &a->objects[w->object];
		const struct xb_change *c = change_of(p, w);
		struct xb_journal_write *jw = &j.writes[j.nwrites++];

		jw->cls = ob->cls;
		jw->field = w->field;
		jw->uuid = ob->uuid;
		jw->object = c ? c->object : ob->uuid;
		jw->source = c ? c->source : no_source;
		jw->old_map = w->old_map;
		jw->new_map = w->new_map;
	}
	jr = xb_journal_write(opt->state_dir, &j, &why);
	if (jr) {
		/* another directory helps a journal that cannot be written,
		   not one too big */
		*errmsg = xb_strf("cannot write the journal: %s; nothing was changed, the host is as it was%s",
			      why ? why : "out of memory",
			      jr == -2 ? "" : " (--state-dir picks another directory)");
		goto out;
	}
	r = 0;
	goto out;
nomem:
	*errmsg = xb_strf("out of memory; nothing was changed");
out:
	free(why);
	/* only what is the journal's own: the rest is the plan's */
	free(j.writes);
	free(j.blobs);
	free(j.boot_id);
	return r;
}

/* The apply is over, done or undone: the journal goes. A journal that
 * stays is only re-examined by the next run, so this is a warning. */
static void journal_end(const struct xb_apply_options *opt)
{
	char *why = NULL;

	if (!opt->state_dir || xb_journal_remove(opt->state_dir, &why) == 0)
		return;
	fprintf(stderr, "xenbake: warning: %s (the next run finds it and checks every map it names)\n",
		why ? why : "cannot remove the journal");
	free(why);
}

/* Each change's outcome, from the step that failed: XenAPI writes come
 * first, then the one xenstore transaction; when either fails, the XenAPI
 * writes made are set back. */
static void set_outcomes(const struct xb_plan *p, bool xapi_sent,
			 bool xs_started, bool xs_unknown, enum xb_outcome *out)
{
	size_t i;

	for (i = 0; out && i < p->nchanges; i++) {
		if (p->changes[i].where == XB_WHERE_XENSTORE)
			out[i] = xs_unknown ? XB_OUTCOME_UNKNOWN :
				 xs_started ? XB_OUTCOME_UNDONE :
				 XB_OUTCOME_NOT_ATTEMPTED;
		else if (xs_started)    /* every XenAPI write had been made */
			out[i] = XB_OUTCOME_UNDONE;
		else
			out[i] = xapi_sent ? XB_OUTCOME_ROLLED_BACK :
				 XB_OUTCOME_NOT_ATTEMPTED;
	}
}

/* Some guests' vm-data was written, others' not (they kept conflicting):
 * all or nothing per guest. The XenAPI maps of a VM whose guest was not
 * written are set back (with XenAPI its record of managed keys is one of
 * them); every other write stays. Outcomes per change; *errmsg says which
 * guests were not written. XB_APPLY_PARTIAL, or -1 when a map could not
 * be set back (*errmsg says so; the journal must stay). */
static int partial(struct xapi *x, const struct xb_actual *a,
		   const struct xb_plan *p, const enum xb_xs_guest *guests,
		   const char *xs_err, const bool *done,
		   enum xb_outcome *outcomes, char **errmsg)
{
	bool *back = calloc(p->nwrites + 1, sizeof(*back));
	char *undo_failed = NULL;
	size_t i, g, nback = 0;
	int r = XB_APPLY_PARTIAL;

	if (!back) {
		*errmsg = xb_strf("%s; out of memory: the XenAPI maps of those guests' VMs stay written",
			      xs_err ? xs_err : "xenstore failed");
		return -1;
	}
	for (i = 0; i < p->nwrites; i++) {
		const struct xb_object *ob = &a->objects[p->writes[i].object];

		for (g = 0; done[i] && ob->cls == XB_CLASS_VM &&
			    g < p->nguests; g++)
			if (guests[g] != XB_XS_GUEST_WRITTEN &&
			    p->guests[g].vm_uuid[0] &&
			    !strcmp(p->guests[g].vm_uuid, ob->uuid))
				back[i] = true;
		nback += back[i];
	}
	if (nback && restore(x, a, p, back, &undo_failed)) {
		*errmsg = xb_strf("%s; restoring the XenAPI maps of their VMs FAILED: %s; the journal stays, and the next run sets back what it can",
			      xs_err ? xs_err : "xenstore failed", undo_failed);
		r = -1;
	} else {
		*errmsg = xb_strf("%s%s", xs_err ? xs_err : "xenstore failed",
			      nback ? "; the XenAPI maps of their VMs were set back" : "");
	}
	for (i = 0; outcomes && i < p->nchanges; i++) {
		const struct xb_change *c = &p->changes[i];

		outcomes[i] = XB_OUTCOME_APPLIED;
		if (c->where == XB_WHERE_XENSTORE) {
			for (g = 0; g < p->nguests; g++)
				if (p->guests[g].domid == c->domid)
					break;
			if (g < p->nguests &&
			    guests[g] == XB_XS_GUEST_UNKNOWN)
				outcomes[i] = XB_OUTCOME_UNKNOWN;
			else if (g < p->nguests &&
				 guests[g] != XB_XS_GUEST_WRITTEN)
				outcomes[i] = XB_OUTCOME_UNDONE;
			continue;
		}
		for (g = 0; g < p->nwrites; g++)
			if (back[g] && i >= p->writes[g].first_change &&
			    i < p->writes[g].first_change + p->writes[g].nchanges)
				outcomes[i] = r < 0 ? XB_OUTCOME_UNKNOWN :
					      XB_OUTCOME_UNDONE;
	}
	free(undo_failed);
	free(back);
	return r;
}

int xb_apply(struct xapi *x, struct xb_xs *xs, struct xb_actual *a,
	     const struct xb_plan *p, const struct xb_apply_options *opt,
	     struct xb_apply_report *report, enum xb_outcome *outcomes,
	     char **errmsg)
{
	static const struct xb_apply_options no_journal = { 0 };
	char *undo_failed = NULL, *xs_err = NULL, *why = NULL;
	bool *done = NULL, journaled = false;
	bool xapi_sent = false, xs_started = false;
	unsigned long calls;
	unsigned tries;
	struct xb_guest_plans gps;
	enum xb_xs_guest *guests = NULL;
	size_t i;
	int r = -1, xr = 0;

	memset(report, 0, sizeof(*report));
	*errmsg = NULL;
	if (!opt)
		opt = &no_journal;
	if (p->nwrites && !x) {
		*errmsg = xb_strf("the plan needs XenAPI but no XenAPI connection is open");
		goto out;
	}
	if (p->nguests && !xs) {
		*errmsg = xb_strf("the plan needs xenstore but no xenstore connection is open");
		goto out;
	}
	/* everything that can be checked before the first write */
	if (p->nwrites && (check_renames(x, a, p, errmsg) ||
			   check_writes(a, p, errmsg)))
		goto out;
	done = calloc(p->nwrites + 1, sizeof(*done));
	if (!done) {
		*errmsg = xb_strf("out of memory");
		goto out;
	}
	if (p->nwrites && opt->state_dir) {
		if (journal_start(opt, a, p, errmsg))
			goto out;
		journaled = true;
	}
	test_kill(HOOK_WRITE, "0");

	calls = x ? xapi_calls(x) : 0;
	if (p->nwrites && write_all(x, a, p, done, &why)) {
		xapi_sent = xapi_calls(x) > calls;
		for (i = 0; i < p->nwrites; i++)
			report->xapi_writes += done[i];
		if (restore(x, a, p, done, &undo_failed)) {
			*errmsg = xb_strf("%s; restoring the %zu map(s) already written FAILED: %s: the host is left partly changed%s",
				      why ? why : "XenAPI call failed",
				      report->xapi_writes, undo_failed,
				      journaled ? "; the journal stays, and the next run sets back what it can" : "");
			journaled = false;
		} else {
			*errmsg = xb_strf("%s; the %zu map(s) already written were set back: nothing was changed, the host is as it was",
				      why ? why : "XenAPI call failed",
				      report->xapi_writes);
		}
		report->xapi_writes = 0;
		goto out;
	}
	report->xapi_writes = p->nwrites;

	/* the transaction the guests were read in is this apply's first */
	tries = xs ? xb_xs_stats(xs)->attempts - (a->xs_tx ? 1 : 0) : 0;
	gps = xb_plan_guests(p);
	if (p->nguests) {
		guests = calloc(p->nguests, sizeof(*guests));
		xr = guests ? xb_xs_apply(xs, a, &gps, guests,
					  &report->xenstore_changed, &xs_err) :
		     -1;
		if (!guests)
			xs_err = xb_strf("out of memory");
	}
	if (xr == XB_XS_PARTIAL) {
		r = partial(x, a, p, guests, xs_err, done, outcomes, errmsg);
		if (r < 0) {
			journaled = false;  /* stays: the next run sets back */
			r = XB_APPLY_PARTIAL;
		}
		goto out;
	}
	if (xr) {
		char *where = xenstore_sources(p);

		xs_started = xb_xs_stats(xs)->attempts > tries;

		/* A commit whose answer was lost may or may not have landed;
		 * the XenAPI maps are set back all the same: they are what
		 * lasts (xapi rebuilds a guest's xenstore from them when it
		 * starts), and the next run, seeing the live data either way,
		 * finishes the job. */
		report->xenstore_unknown = xr == XB_XS_UNKNOWN;
		if (!p->nwrites) {
			*errmsg = xb_strf("%s%s%s", xs_err ? xs_err : "xenstore failed",
				      where ? where : "",
				      xr == XB_XS_UNKNOWN ? "" :
				      "; the host is as it was");
		} else if (restore(x, a, p, done, &undo_failed)) {
			*errmsg = xb_strf("%s%s; restoring the XenAPI maps FAILED: %s: the host is left partly changed%s",
				      xs_err ? xs_err : "xenstore failed",
				      where ? where : "", undo_failed,
				      journaled ? "; the journal stays, and the next run sets back what it can" : "");
			journaled = false;
		} else {
			*errmsg = xb_strf("%s%s; the %zu XenAPI map(s) written were set back%s",
				      xs_err ? xs_err : "xenstore failed",
				      where ? where : "", p->nwrites,
				      xr == XB_XS_UNKNOWN ? "" :
				      ": nothing was changed, the host is as it was");
		}
		free(where);
		report->xapi_writes = 0;
		goto out;
	}
	test_kill(HOOK_WRITE, "commit");
	for (i = 0; outcomes && i < p->nchanges; i++)
		outcomes[i] = XB_OUTCOME_APPLIED;
	r = 0;
out:
	if (r < 0)
		set_outcomes(p, xapi_sent, xs_started,
			     report->xenstore_unknown, outcomes);
	if (journaled)
		journal_end(opt);
	free(guests);
	free(undo_failed);
	free(xs_err);
	free(why);
	free(done);
	return r;
}

/* ---- recovery --------------------------------------------------------- */

static bool same_value(const char *a, const char *b)
{
	return a ? b && !strcmp(a, b) : !b;
}

/* The keys of a journaled write (those from and to differ on), against the
 * map cur now: already as in to; still to write: as in from, or absent
 * where from and to both have it (cut off between a changed value's
 * remove_from_ and its add_to_) - into now (their values in cur) and want
 * (in to); else someone else's since, left alone (*foreign). */
static int pending_keys(const struct xb_map *cur, const struct xb_map *from,
			const struct xb_map *to, struct xb_map *now,
			struct xb_map *want, size_t *pending, size_t *foreign)
{
	const struct xb_map *side[2] = { from, to };
	size_t s, i;

	*pending = *foreign = 0;
	for (s = 0; s < 2; s++) {
		for (i = 0; i < side[s]->n; i++) {
			const char *k = side[s]->kv[i].key;
			const char *f = xb_map_get(from, k), *t = xb_map_get(to, k);
			const char *c = xb_map_get(cur, k);

			if ((s == 1 && f) || same_value(f, t) ||
			    same_value(c, t))
				continue;   /* seen, untouched, or done */
			if (!same_value(c, f) && !(!c && f && t)) {
				(*foreign)++;
				continue;
			}
			(*pending)++;
			if ((c && xb_map_set(now, k, c)) ||
			    (t && xb_map_set(want, k, t)))
				return -ENOMEM;
		}
	}
	return 0;
}

static struct xb_object *find_object(struct xb_actual *a, enum xb_class cls,
				     const char *uuid)
{
	size_t i;

	for (i = 0; i < a->nobjects; i++)
		if (a->objects[i].cls == cls && !strcmp(a->objects[i].uuid, uuid))
			return &a->objects[i];
	return NULL;
}

static bool same_blobs(const struct xb_journal *j,
		       const struct xb_apply_options *opt)
{
	size_t i;

	if (j->nblobs != opt->nblobs)
		return false;
	for (i = 0; i < j->nblobs; i++)
		if (memcmp(j->blobs[i], opt->blob_sha256[i],
			   XB_JOURNAL_SHA256_SIZE))
			return false;
	return true;
}

/* Appends "; " and s to *list (s is freed). */
static int add_to_list(char **list, char *s)
{
	char *more;

	if (!s)
		return -1;
	more = xb_strf("%s%s%s", *list ? *list : "", *list ? "; " : "", s);
	free(s);
	if (!more)
		return -1;
	free(*list);
	*list = more;
	return 0;
}

int xb_apply_recover(struct xapi *x, struct xb_actual *a,
		     const struct xb_apply_options *opt, bool may_finish,
		     char **note, char **errmsg)
{
	struct xb_journal j = { 0 };
	struct xb_map cur_label = { 0 }, now = { 0 }, want = { 0 };
	char *why = NULL, *others = NULL, when[64];
	const char *verb, *reason;
	size_t k, written = 0, already = 0, nothers = 0, pend, foreign;
	bool found, finish;
	struct tm tm;
	time_t t;
	int r = -1;

	*note = NULL;
	*errmsg = NULL;
	if (!opt->state_dir)
		return 0;
	if (xb_journal_read(opt->state_dir, &j, &found, &why)) {
		*errmsg = xb_strf("%s; nothing was changed, the host is as it was: an apply cut off by power loss or kill -9 leaves its journal, and this one cannot be used: put the host right by hand (xenbake plan shows it), then remove the journal",
			      why ? why : "cannot read the journal");
		free(why);
		return -1;
	}
	if (!found)
		return 0;
	if (xb_journal_owner_alive(&j)) {
		*errmsg = xb_strf("an apply is in progress (xenbake, pid %d; its journal is in %s): nothing was changed; run again once it has finished",
			      j.pid, opt->state_dir);
		goto out;
	}
	finish = may_finish && same_blobs(&j, opt);
	verb = finish ? "finished" : "rolled back";
	reason = finish ? "this run applies the same blobs" :
		 may_finish ? "this run applies other blobs" :
		 "plan and check never finish an apply";
	t = (time_t)j.time;
	if (!gmtime_r(&t, &tm) ||
	    !strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", &tm))
		snprintf(when, sizeof(when), "time %lld", j.time);

	for (k = 0; k < j.nwrites; k++) {
		/* finish in plan order; roll back newest first */
		const struct xb_journal_write *w =
			&j.writes[finish ? k : j.nwrites - 1 - k];
		const struct xb_map *from = finish ? &w->old_map : &w->new_map;
		const struct xb_map *to = finish ? &w->new_map : &w->old_map;
		struct xb_object *ob = find_object(a, w->cls, w->uuid);
		const struct xb_map *cur = NULL;

		if (ob && (w->field == XB_FIELD_NAME_LABEL ||
			   w->field == XB_FIELD_NAME_DESCRIPTION)) {
			xb_map_free(&cur_label);
			if (xb_map_set(&cur_label, "",
				       w->field == XB_FIELD_NAME_LABEL ?
				       ob->name_label : ob->name_description ?
				       ob->name_description : ""))
				goto nomem;
			cur = &cur_label;
		} else if (ob && w->field == XB_FIELD_TAGS) {
			cur = &ob->tags;
		} else if (ob) {
			cur = w->field == XB_FIELD_XENSTORE_DATA ?
			      &ob->xenstore_data : &ob->other_config;
		}
		pend = foreign = 0;
		xb_map_free(&now);
		xb_map_free(&want);
		if (cur && pending_keys(cur, from, to, &now, &want, &pend,
					&foreign))
			goto nomem;
		if (cur && !pend && !foreign) {
			already++;
		} else if (cur && pend) {
			bool touched = false;

			if (write_field(x, ob, w->field, &now, &want,
					&touched)) {
				char *what = describe(xb_class_keyword(w->cls),
						      w->object,
						      xb_field_xapi(w->field),
						      w->source);

				*errmsg = xb_strf("recovery: %s the apply cut off on %s failed at %s: %s; %zu map(s) were written before it; the journal stays in %s and the next run carries on from there",
					      finish ? "finishing" : "rolling back",
					      when, what ? what : w->uuid,
					      xapi_errmsg(x), written,
					      opt->state_dir);
				free(what);
				goto out;
			}
			written++;
			test_kill_at(HOOK_RECOVERY, written);
		}
		if (!cur || foreign) {
			/* someone else's since: theirs to keep */
			nothers++;
			if (add_to_list(&others,
					describe(xb_class_keyword(w->cls),
						 w->object,
						 xb_field_xapi(w->field),
						 w->source)))
				goto nomem;
			if (!ob && add_to_list(&others, xb_strf("(%s is gone)",
							    w->uuid)))
				goto nomem;
		}
	}
	if (xb_journal_remove(opt->state_dir, &why)) {
		*errmsg = xb_strf("recovery: %s the apply cut off on %s, but %s: remove the journal by hand",
			      verb, when, why ? why : "cannot remove the journal");
		goto out;
	}
	if (written) {
		struct xb_actual fresh = { 0 };

		if (xapi_read_state(x, &fresh)) {
			*errmsg = xb_strf("recovery: %s the apply cut off on %s, then reading the host again failed: %s",
				      verb, when, xapi_errmsg(x));
			xb_actual_free(&fresh);
			goto out;
		}
		xb_actual_free(a);
		*a = fresh;
	}
	*note = xb_strf("recovery: %s an apply cut off on %s (%s; its journal was in %s): %zu XenAPI map(s) %s, %zu already so%s%zu%s%s",
		    verb, when, reason, opt->state_dir, written,
		    finish ? "written" : "set back as they were", already,
		    ", ", nothers,
		    nothers ? " left alone, changed since by someone else: " :
		    " changed since by someone else",
		    nothers ? others : "");
	r = 0;
	goto out;
nomem:
	*errmsg = xb_strf("out of memory");
out:
	free(why);
	free(others);
	xb_map_free(&cur_label);
	xb_map_free(&now);
	xb_map_free(&want);
	xb_journal_free(&j);
	return r;
}
