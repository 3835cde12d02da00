/* SPDX-License-Identifier: MIT */
/* guest-plan.h - the part of a plan (plan.h) the xenstore backend acts
 * on: per running guest of this host, the vm-data it should hold. Its own
 * header so that xenstore.h needs nothing else of the planner. */
#ifndef XENBAKE_GUEST_PLAN_H
#define XENBAKE_GUEST_PLAN_H

#include <stdbool.h>
#include <stddef.h>

#include "runtime/state.h"

/* A running guest on this host whose vm-data differs. */
struct xb_guest_plan {
	size_t guest;                /* index in xb_actual.guests */
	int domid;
	char *vm_uuid;               /* "" when unknown */
	char *label;                 /* for messages: "vm web-01 (domain 5)" */
	struct xb_map desired;       /* "vm-data/KEY" -> value, the whole set */
	struct xb_map managed;       /* keys written earlier (from XenAPI) */
	struct xb_map once;          /* "vm-data/KEY" -> "": the config's once
				        keys recorded as done, the ones in
				        desired included: those are written
				        only if still absent, never removed */
	struct xb_map secret;        /* "vm-data/KEY" -> "": the config's
				        secret keys (their record lines) */
};

/* The guests of one plan. */
struct xb_guest_plans {
	const struct xb_guest_plan *guests;
	size_t nguests;
	bool managed_in_xenstore;    /* no XenAPI: xenstore keeps the record */
};

#endif
