/* apply.c - a plan carried out all or nothing: see apply.h. */
#include <errno.h>
#include <stdarg.h>
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

/* Sets writes [0, n) back to the maps read, newest first. 0, or -1 with
 * *failed naming the calls that could not be undone. */
static int restore(struct xapi *x, const struct xb_actual *a,
		   const struct xb_plan *p, size_t n, char **failed)
{
	int r = 0;

	while (n--) {
		const struct xb_map_write *w = &p->writes[n];
		const struct xb_object *ob = &a->objects[w->object];

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
	char *undo_failed = NULL, *xs_err = NULL;
	size_t done;
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

	for (done = 0; done < p->nwrites; done++) {
		const struct xb_map_write *w = &p->writes[done];
		const struct xb_object *ob = &a->objects[w->object];

		if (write_one(x, ob, w, &w->new_map)) {
			char *why = strdup(xapi_errmsg(x));

			if (restore(x, a, p, done, &undo_failed))
				*errmsg = fmt("%s; restoring the %zu map(s) already written FAILED: %s: the host is left partly changed",
					      why ? why : "XenAPI call failed",
					      done, undo_failed);
			else
				*errmsg = fmt("%s; the %zu map(s) already written were set back: nothing was changed",
					      why ? why : "XenAPI call failed",
					      done);
			free(why);
			goto out;
		}
		report->xapi_writes++;
	}

	if (p->nguests &&
	    xb_xs_apply(xs, a, p, &report->xenstore_changed, &xs_err)) {
		if (!done)
			*errmsg = fmt("%s", xs_err ? xs_err : "xenstore failed");
		else if (restore(x, a, p, done, &undo_failed))
			*errmsg = fmt("%s; restoring the XenAPI maps FAILED: %s: the host is left partly changed",
				      xs_err ? xs_err : "xenstore failed",
				      undo_failed);
		else
			*errmsg = fmt("%s; the %zu XenAPI map(s) written were set back: nothing was changed",
				      xs_err ? xs_err : "xenstore failed",
				      done);
		report->xapi_writes = 0;
		goto out;
	}
	r = 0;
out:
	free(undo_failed);
	free(xs_err);
	return r;
}
