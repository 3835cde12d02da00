/* apply.c - a plan carried out all or nothing: see apply.h. */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/apply.h"
#include "runtime/xapi.h"
#include "runtime/xenstore.h"

static char *fmt(const char *f, ...) __attribute__((format(printf, 1, 2)));

static char *fmt(const char *f, ...)
{
	va_list ap;
	char *s = NULL;

	va_start(ap, f);
	if (vasprintf(&s, f, ap) < 0)
		s = NULL;
	va_end(ap);
	return s;
}

static int write_one(struct xapi *x, const struct xb_object *ob,
		     const struct xb_map_write *w, const struct xb_map *map)
{
	if (w->field == XB_FIELD_NAME_LABEL)
		return xapi_set_name_label(x, ob->cls, ob->ref,
					   xb_map_get(map, "") ?
					   xb_map_get(map, "") : "");
	return xapi_set_map(x, ob->cls, ob->ref, w->field, map);
}

/* Sets the writes marked done back to the maps read, newest first. 0, or
 * -1 with *failed naming the calls that could not be undone. */
static int restore(struct xapi *x, const struct xb_actual *a,
		   const struct xb_plan *p, const bool *done, char **failed)
{
	size_t n = p->nwrites;
	int r = 0;

	while (n--) {
		const struct xb_map_write *w = &p->writes[n];
		const struct xb_object *ob = &a->objects[w->object];

		if (!done[n])
			continue;
		if (write_one(x, ob, w, &w->old_map)) {
			char *more = fmt("%s%s%s (%s)", *failed ? *failed : "",
					 *failed ? "; " : "",
					 xapi_errmsg(x), ob->uuid);

			free(*failed);
			*failed = more;
			r = -1;
		}
	}
	return r;
}

/* The writes go out over a few connections at once: each is one call on
 * one object, independent of the others, and at boot the cost is the
 * round trips. A failure stops the taking of new writes; the caller then
 * sets back every write that was done. */
#define XAPI_WRITERS 4          /* connections writing at once */
#define WRITES_PER_WRITER 16    /* fewer writes than this: fewer writers */

struct writers {
	const struct xb_actual *a;
	const struct xb_plan *p;
	atomic_size_t next;          /* the next write to take */
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

		if (write_one(me->conn, &all->a->objects[w->object], w,
			      &w->new_map)) {
			pthread_mutex_lock(&all->lock);
			if (!all->error)
				all->error = strdup(xapi_errmsg(me->conn));
			pthread_mutex_unlock(&all->lock);
			/* no reply at all (the connection dropped): the call
			 * may have run, so it is set back with the others */
			if (!xapi_fault(me->conn))
				all->done[i] = true;
			atomic_store(&all->stop, true);
			break;
		}
		all->done[i] = true;
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

		if (w->field != XB_FIELD_NAME_LABEL)
			continue;
		if (!read) {
			if (xapi_read_pbds(x, a)) {
				*errmsg = fmt("reading PBDs: %s",
					      xapi_errmsg(x));
				return -1;
			}
			read = true;
		}
		ob = &a->objects[w->object];
		if (!ob->pbds_plugged) {
			*errmsg = fmt("sr \"%s\" (%s) cannot be renamed to \"%s\": no PBD is plugged (xapi refuses with SR_HAS_NO_PBDS); nothing was changed",
				      ob->name_label, ob->uuid,
				      xb_map_get(&w->new_map, ""));
			return -1;
		}
	}
	return 0;
}

int xb_apply(struct xapi *x, struct xb_xs *xs, struct xb_actual *a,
	     const struct xb_plan *p, struct xb_apply_report *report,
	     char **errmsg)
{
	char *undo_failed = NULL, *xs_err = NULL, *why = NULL;
	bool *done = NULL;
	size_t i;
	int r = -1;

	memset(report, 0, sizeof(*report));
	*errmsg = NULL;
	if (p->nwrites && !x) {
		*errmsg = fmt("the plan needs XenAPI but no XenAPI connection is open");
		return -1;
	}
	if (p->nguests && !xs) {
		*errmsg = fmt("the plan needs xenstore but no xenstore connection is open");
		return -1;
	}
	if (p->nwrites && check_renames(x, a, p, errmsg))
		return -1;
	done = calloc(p->nwrites + 1, sizeof(*done));
	if (!done) {
		*errmsg = fmt("out of memory");
		return -1;
	}

	if (p->nwrites && write_all(x, a, p, done, &why)) {
		for (i = 0; i < p->nwrites; i++)
			report->xapi_writes += done[i];
		if (restore(x, a, p, done, &undo_failed))
			*errmsg = fmt("%s; restoring the %zu map(s) already written FAILED: %s: the host is left partly changed",
				      why ? why : "XenAPI call failed",
				      report->xapi_writes, undo_failed);
		else
			*errmsg = fmt("%s; the %zu map(s) already written were set back: nothing was changed",
				      why ? why : "XenAPI call failed",
				      report->xapi_writes);
		report->xapi_writes = 0;
		goto out;
	}
	report->xapi_writes = p->nwrites;

	if (p->nguests &&
	    xb_xs_apply(xs, a, p, &report->xenstore_changed, &xs_err)) {
		if (!p->nwrites)
			*errmsg = fmt("%s", xs_err ? xs_err : "xenstore failed");
		else if (restore(x, a, p, done, &undo_failed))
			*errmsg = fmt("%s; restoring the XenAPI maps FAILED: %s: the host is left partly changed",
				      xs_err ? xs_err : "xenstore failed",
				      undo_failed);
		else
			*errmsg = fmt("%s; the %zu XenAPI map(s) written were set back: nothing was changed",
				      xs_err ? xs_err : "xenstore failed",
				      p->nwrites);
		report->xapi_writes = 0;
		goto out;
	}
	r = 0;
out:
	free(undo_failed);
	free(xs_err);
	free(why);
	free(done);
	return r;
}
