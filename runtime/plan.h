/* SPDX-License-Identifier: MIT */
/* plan.h - desired state minus actual state = changes. Pure: no I/O, so
 * every rule is unit-tested on hand-built states.
 *
 * A plan holds three views of the same work:
 *   changes  one line per key that differs (what `plan` prints and `check`
 *            calls drift), with the source position that asked for it;
 *   writes   one per changed map of an object, the map read and the new
 *            one (apply.c sends the keys they differ on, one a call), or
 *            set_name_label;
 *   guests   per running guest resident on this host, the vm-data it should
 *            hold; the xenstore backend re-reads the guest inside its one
 *            transaction and writes only the nodes that still differ.
 *
 * Managed keys: with XenAPI, the object's other_config["xenbake-managed"]
 * (model.h) says which keys an earlier apply wrote; it is updated in the same
 * other_config write. Without XenAPI (--no-xapi) the guests' managed keys
 * come from xenstore (see xenstore.h). A managed key the config no longer
 * names is removed; any other key is never touched. Each owner has its
 * record (managed.h): the blobs planned together are their owners' (the
 * owner default when none says), a key another owner recorded is never
 * removed nor set to another value (an error naming that owner), and
 * two owners' blocks may set one key only to one value. A record is the
 * object's it was written on (managed.h): a snapshot, clone or copy that
 * inherited one is planned only when the config selects it, and then as
 * if it had no record.
 *
 * Once keys (XB_ENTRY_ONCE): written only when absent and not recorded
 * as written ("once:FIELD:KEY", managed.h); a key present when first seen
 * is recorded as done, so that the guest deleting it later never brings
 * it back. Never modified, never removed: no drift but the first write,
 * a change with once set (which check and status do not count). */
#ifndef XENBAKE_PLAN_H
#define XENBAKE_PLAN_H

#include <stdbool.h>
#include <stddef.h>

#include "runtime/desired.h"
#include "runtime/guest-plan.h"
#include "runtime/state.h"

enum xb_change_op {
	XB_CHANGE_ADD = '+',
	XB_CHANGE_MODIFY = '~',
	XB_CHANGE_REMOVE = '-',
};

enum xb_where {
	XB_WHERE_XAPI,               /* a field of a XenAPI object */
	XB_WHERE_XENSTORE,           /* a node in a running guest's xenstore */
};

struct xb_change {
	enum xb_change_op op;
	enum xb_where where;
	enum xb_class cls;
	char *object;                /* "web-01", "eth1 on xs-02" */
	char *uuid;                  /* "" when unknown */
	int domid;                   /* XB_WHERE_XENSTORE: the guest; else -1 */
	enum xb_field field;
	char *key;                   /* map key; "" for name_label */
	char *old_value, *new_value; /* NULL: absent */
	char *source;                /* "site.xb:3:5"; "" for removals */
	char *owner;                 /* whose key (or record) it is: the
				        owner that wants it, or recorded it */
	bool bookkeeping;            /* only the record of managed keys */
	bool once;                   /* a once key's write: only while
				        absent, then the guest's */
	bool secret;                 /* a secret key's: no output shows
				        old_value nor new_value */
};

/* One map's XenAPI write, from old_map (what was read, to restore) to
 * new_map: add_to_/remove_from_ per key that differs, or for name_label
 * set_name_label(ref, new_map[""]). */
struct xb_map_write {
	size_t object;               /* index in xb_actual.objects */
	enum xb_field field;
	struct xb_map old_map, new_map;
	size_t first_change, nchanges;  /* the changes it carries: a range
					   of xb_plan.changes, for messages */
};

struct xb_plan_options {
	bool use_xapi;               /* objects come from XenAPI */
	bool use_xenstore;           /* plan the live vm-data of local guests */
	bool every_guest;            /* queue every local guest the config or
				        a managed record names, even unchanged,
				        and plan no change of its vm-data:
				        tells the backend which keys to read */
};

struct xb_plan {
	struct xb_change *changes;
	size_t nchanges;
	struct xb_map_write *writes;
	size_t nwrites;
	struct xb_guest_plan *guests;
	size_t nguests;
	bool managed_in_xenstore;    /* no XenAPI: xenstore keeps the record */
	char **notes;                /* "site.xb:9:1: vm \"x\": ... skipped" */
	size_t nnotes;
	char **errors;               /* each names a source position */
	size_t nerrors;
};

/* 0: planned (possibly nothing); -1: p->errors says why (selectors that
 * match nothing or several, conflicting blocks, classes that need XenAPI);
 * -ENOMEM. p is always to be freed with xb_plan_free(). */
int xb_plan_make(const struct xb_desired *d, const struct xb_actual *a,
		 const struct xb_plan_options *opt, struct xb_plan *p);
void xb_plan_free(struct xb_plan *p);

/* The part of p the xenstore backend acts on. */
static inline struct xb_guest_plans xb_plan_guests(const struct xb_plan *p)
{
	struct xb_guest_plans g = {
		.guests = p->guests, .nguests = p->nguests,
		.managed_in_xenstore = p->managed_in_xenstore,
	};

	return g;
}

/* Counts changes by kind; bookkeeping ones only if asked. */
void xb_plan_count(const struct xb_plan *p, bool bookkeeping, size_t *add,
		   size_t *modify, size_t *remove);
/* True when applying would write something (any change at all). */
bool xb_plan_empty(const struct xb_plan *p);

/* "add", "change" or "remove": a change's op as plans, JSON and receipts
 * name it. */
const char *xb_change_op_word(enum xb_change_op op);

/* What any output shows of a change's value v: "(secret)" for a secret
 * key's (NULL stays NULL: absent) */
#define XB_SECRET_SHOWN "(secret)"
static inline const char *xb_change_shown(const struct xb_change *c,
					  const char *v)
{
	return v && c->secret ? XB_SECRET_SHOWN : v;
}

#endif
