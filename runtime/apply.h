/* SPDX-License-Identifier: MIT */
/* apply.h - carries out a plan, all or nothing.
 *
 * Order: validate everything that can be checked before writing (SRs to
 * rename have a plugged PBD); then the XenAPI writes, a map at a time, key
 * by key (add_to_, remove_from_, both for a changed value: a key someone
 * else writes meanwhile stays); then the one xenstore transaction for the
 * live vm-data of this host's running guests. If a XenAPI call fails, the
 * maps already written are set back to what was read (newest first); if the
 * xenstore transaction fails it is aborted (nothing of it remains) and every
 * XenAPI map is set back too. So a failure leaves the host as it was. The
 * one exception: guests that kept conflicting with other xenstore writers,
 * even each in its own transaction (xenstore.h), are given up alone, all
 * or nothing per guest: their VMs' XenAPI maps are set back, every other
 * change stays (XB_APPLY_PARTIAL).
 *
 * Crashes: before the first XenAPI write the plan's writes (old and new
 * maps) go to a journal in the state directory (journal.h), removed once
 * the apply succeeded or was undone; if restoring fails it stays. The next
 * run calls xb_apply_recover() before it plans:
 *   finish    when it is an apply of the very blobs the journal names (same
 *             SHA-256s, same order): every key of a journaled map that
 *             still holds the old value (or none, cut off between a changed
 *             value's two calls) gets the new one;
 *   roll back otherwise (another blob): every key of a journaled map
 *             that still holds what that apply wrote gets the old value
 *             back, newest map first.
 * A key holding neither (someone changed it since) is left alone and its
 * map named; keys the journal does not name are never touched. Then the
 * journal goes, and the run plans on the state re-read. */
#ifndef XENBAKE_APPLY_H
#define XENBAKE_APPLY_H

#include <stdbool.h>
#include <stddef.h>

#include "runtime/plan.h"
#include "runtime/state.h"

struct xapi;
struct xb_xs;

struct xb_apply_options {
	const char *state_dir;       /* the journal's directory; NULL: none */
	const unsigned char *const *blob_sha256;  /* nblobs, 32 bytes each */
	size_t nblobs;
};

/* What became of one change of the plan, as the apply that tried it
 * knows it (written, not written, or unknown). */
enum xb_outcome {
	XB_OUTCOME_APPLIED,          /* written and in place */
	XB_OUTCOME_UNDONE,           /* written, then set back */
	XB_OUTCOME_ROLLED_BACK,      /* its XenAPI writes were set back */
	XB_OUTCOME_NOT_ATTEMPTED,    /* never sent */
	XB_OUTCOME_UNKNOWN,          /* its commit's answer was lost */
};

struct xb_apply_report {
	size_t xapi_writes;          /* set_* calls that succeeded */
	bool xenstore_changed;       /* the transaction wrote something */
	bool xenstore_unknown;       /* the commit went out and its answer was
					lost: committed or not, nobody knows */
};

/* x may be NULL without XenAPI, xs NULL without xenstore. a is updated
 * (PBDs are read when an SR is renamed). outcomes (p->nchanges entries,
 * or NULL) gets what became of each change. 0, or -1 with *errmsg
 * (malloc'd), which also says whether restoring worked, or
 * XB_APPLY_PARTIAL with *errmsg: some running guests kept conflicting
 * with other writers and were given up (xenstore.h), every other change
 * was made; all or nothing per guest: the XenAPI maps of a given-up
 * guest's VM were set back (outcomes say which changes stayed). */
#define XB_APPLY_PARTIAL 1
int xb_apply(struct xapi *x, struct xb_xs *xs, struct xb_actual *a,
	     const struct xb_plan *p, const struct xb_apply_options *opt,
	     struct xb_apply_report *report, enum xb_outcome *outcomes,
	     char **errmsg);

/* A journal left in opt->state_dir by a cut-off apply: finished if may_finish
 * (the command is apply) and it names the same blobs, else rolled back (see
 * above). a holds what XenAPI read; it is read again if anything was
 * written. 0 (with *note, malloc'd, saying what was done, NULL when there
 * was no journal), or -1 with *errmsg: the journal is corrupt (nothing was
 * written) or a write failed (the journal stays for the next run). */
int xb_apply_recover(struct xapi *x, struct xb_actual *a,
		     const struct xb_apply_options *opt, bool may_finish,
		     char **note, char **errmsg);

#endif
