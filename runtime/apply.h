/* apply.h - carries out a plan, all or nothing.
 *
 * Order: validate everything that can be checked before writing (SRs to
 * rename have a plugged PBD); then the XenAPI writes, one set_* call per
 * changed map, in plan order; then the one xenstore transaction for the
 * live vm-data of this host's running guests. If a XenAPI call fails, the
 * maps already written are set back to what was read (newest first); if the
 * xenstore transaction fails it is aborted (nothing of it remains) and every
 * XenAPI map is set back too. So a failure leaves the host as it was. */
#ifndef XENBAKE_APPLY_H
#define XENBAKE_APPLY_H

#include <stdbool.h>
#include <stddef.h>

#include "runtime/plan.h"
#include "runtime/state.h"

struct xapi;
struct xb_xs;

struct xb_apply_report {
	size_t xapi_writes;          /* set_* calls that succeeded */
	bool xenstore_changed;       /* the transaction wrote something */
};

/* x may be NULL without XenAPI, xs NULL without xenstore. a is updated
 * (PBDs are read when an SR is renamed). 0, or -1 with *errmsg (malloc'd),
 * which also says whether restoring worked. */
int xb_apply(struct xapi *x, struct xb_xs *xs, struct xb_actual *a,
	     const struct xb_plan *p, struct xb_apply_report *report,
	     char **errmsg);

#endif
