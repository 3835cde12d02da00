/* SPDX-License-Identifier: MIT */
/* xenstore.h - the xenstore backend: reads the running guests of this
 * host and writes their vm-data in ONE transaction.
 *
 * Requests are pipelined: each step sends all the requests it can (every
 * guest's, all of them independent) before it reads the first reply, so
 * an apply costs xenstored's own work per request and a handful of round
 * trips, not one round trip per request (as libxenstore's xs_* calls,
 * which wait for each answer, would). The client speaks the wire protocol
 * of <xen/io/xs_wire.h> on the socket libxenstore names (xs_daemon_socket():
 * XENSTORED_PATH overrides it), or on the xenbus device when there is no
 * socket, as libxenstore does.
 *
 * Reading is in two steps, so that only the nodes that matter are read:
 * xb_xs_read_guests() finds every guest (/local/domain/N: vm, name) and,
 * without XenAPI, its managed record; xb_xs_read_vm_data() then lists,
 * for the guests a first plan queued, each one's vm-data and reads the
 * keys the config or the managed record names that may be there.
 *
 * Writing: xb_xs_apply() writes all guests in one transaction: each key
 * the reading found different (a once key only if absent), the removal
 * of managed keys the config dropped, the records, then commits. An
 * apply without XenAPI reads in that very transaction
 * (xb_xs_begin_pass() before the reads): its first attempt goes by those
 * reads and reads nothing again. Any later attempt, and every attempt
 * when the reads were made outside it (with XenAPI), starts its own
 * transaction and first re-reads inside it what decides what to write
 * (each guest's /vm, whether its vm-data exists, its managed record, the
 * once keys to write and the nodes to remove). EAGAIN (a concurrent
 * writer) retries the whole transaction, up to XB_XS_ATTEMPTS attempts in
 * all with exponential backoff and jitter; any other failure aborts it,
 * so nothing partial remains. A plan with no guests commits nothing: the
 * reads' transaction, if any, is aborted.
 *
 * One guest cannot block the others: a guest that keeps changing its
 * vm-data (rewriting a key the config sets, making and removing nodes in
 * it) makes every transaction that holds it conflict. When the shared
 * transaction has conflicted XB_XS_ATTEMPTS times, the guests are split in
 * halves, each half tried in its own transaction (XB_XS_SPLIT_ATTEMPTS
 * attempts), a half that still conflicts split again, until a guest that
 * conflicts alone is given up: every other guest is written, all or
 * nothing per guest (a guest's keys are never written in part). With k
 * such guests among n that costs about 2k log2(n) transactions more; with
 * every guest conflicting, 2n - 1 sets at most.
 *
 * Node permissions: a guest's vm-data is its own (xenopsd makes it "nN"
 * when it builds the domain: the guest reads and writes it, and reports
 * back through it), and xenbake never changes that: it sets no
 * permissions under vm-data, so each node it creates inherits its
 * parent's (xenstored copies the parent's permissions to a node dom0
 * creates). Only a missing vm-data is created, and made the guest's, as
 * xenopsd would: with a mkdir and its permissions when its parent's are
 * not already the guest's own ("nN"), else by the first key's write,
 * which gives it the parent's. Nothing outside /local/domain/N/vm-data of the guest is
 * written (and, without XenAPI, xenbake's own record below).
 *
 * With XenAPI the live tree is the only write for a running or paused
 * guest: xapi copies vm-data back into VM.xenstore_data whenever it
 * changes, so no VM.set_xenstore_data (which wipes the tree and rewrites
 * it as dom0's) is needed (plan.h).
 *
 * The managed record without XenAPI: XB_XS_MANAGED_ROOT/<vm-uuid> (or
 * "domain-N" for a guest with no /vm), readable by dom0 only, lists the
 * vm-data keys xenbake wrote, one per line, without the "vm-data/" prefix
 * (short, so that 100 keys fit one node). A record longer than
 * XB_XS_CHUNK continues in children "1", "2", ...; a chunk that continues
 * ends with the line "+". With XenAPI the record is the VM's
 * other_config["xenbake-managed"] instead (model.h). */
#ifndef XENBAKE_XENSTORE_H
#define XENBAKE_XENSTORE_H

#include <stdbool.h>

#include "runtime/guest-plan.h"
#include "runtime/state.h"

#define XB_XS_MANAGED_ROOT "/tool/xenbake/managed"
#define XB_XS_ATTEMPTS 4             /* of the shared transaction */
#define XB_XS_SPLIT_ATTEMPTS 2       /* of each set once it is split */
#define XB_XS_CHUNK 1536             /* bytes of record per node: below
					 oxenstored's 2048-byte value limit */

/* Test builds (-DXB_TEST_HOOKS) run the shell command in this variable just
 * before each commit, with XENBAKE_TEST_ATTEMPT set to the attempt number:
 * the tests use it to write a conflicting node or to kill xenstored. The
 * second runs after an attempt's reads, before its writes are sent: a
 * guest changing what was read (a node removed) before xenbake writes. */
#define XB_XS_TEST_HOOK_ENV "XENBAKE_TEST_HOOK_BEFORE_COMMIT"
#define XB_XS_TEST_HOOK_WRITES_ENV "XENBAKE_TEST_HOOK_BEFORE_WRITES"

struct xb_xs;

/* The requests one apply made, for -v, tests and benchmarks. */
struct xb_xs_stats {
	unsigned attempts;           /* transactions started */
	unsigned long reads, writes, removes, perms, mkdirs;
};

/* Connects (see above; XENSTORED_PATH picks the socket) and lists / once,
 * so that a daemon that does not answer is found now. NULL with *errmsg
 * set, and *answered true when xenstored ran but refused or garbled that
 * first request (so waiting for it to start is no cure). The caller does
 * any waiting. */
struct xb_xs *xb_xs_open(bool *answered, char **errmsg);
/* Every request waits at most this long (seconds) with nothing read or
 * written before the connection is given up with ETIMEDOUT: a stopped
 * xenstored fails the run instead of hanging it. XB_XS_REPLY_TIMEOUT
 * until set. */
#define XB_XS_REPLY_TIMEOUT 30
void xb_xs_set_reply_timeout(double seconds);
void xb_xs_close(struct xb_xs *xs);
const struct xb_xs_stats *xb_xs_stats(const struct xb_xs *xs);

/* Starts the transaction the reads that follow are made in (a->xs_tx),
 * for an apply: xb_xs_apply() commits it as its first attempt. 0, or -1
 * with *errmsg. Read-only commands never start one. */
int xb_xs_begin_pass(struct xb_xs *xs, struct xb_actual *a, char **errmsg);
/* Aborts a->xs_tx if still open (an apply that ends before it writes). */
void xb_xs_end_pass(struct xb_xs *xs, struct xb_actual *a);

/* Fills a->guests (every domain but 0: domid and vm; name only with
 * read_names) and sets a->have_xenstore. With managed_records, also reads
 * each guest's managed record. In a->xs_tx if open. */
int xb_xs_read_guests(struct xb_xs *xs, struct xb_actual *a,
		      bool managed_records, bool read_names, char **errmsg);
/* For each guest p queued, reads the keys p wants or manages into
 * a->guests[].vm_data (in a->xs_tx if open), and whether it has a
 * vm-data. */
int xb_xs_read_vm_data(struct xb_xs *xs, struct xb_actual *a,
		       const struct xb_guest_plans *p, char **errmsg);
/* What became of each guest of an apply. */
enum xb_xs_guest {
	XB_XS_GUEST_NOT_WRITTEN,     /* its transaction never committed */
	XB_XS_GUEST_WRITTEN,         /* committed */
	XB_XS_GUEST_UNKNOWN,         /* the commit's answer was lost */
	XB_XS_GUEST_CONFLICTED,      /* conflicted even alone: given up */
};

/* Applies p->guests in one transaction, or apart after conflicts (see
 * above); res (p->nguests entries) gets each guest's fate. 0: every guest
 * written; -1 with *errmsg: no guest written; XB_XS_UNKNOWN with *errmsg:
 * the connection went during a commit (xenstored may have committed it or
 * not) and no other guest was written; XB_XS_PARTIAL with *errmsg: some
 * guests written, the others not (res says which). *changed says whether
 * any node changed. a->xs_tx is ended here (committed or aborted). */
#define XB_XS_UNKNOWN (-2)
#define XB_XS_PARTIAL (-3)
int xb_xs_apply(struct xb_xs *xs, struct xb_actual *a,
		const struct xb_guest_plans *p, enum xb_xs_guest *res,
		bool *changed, char **errmsg);

#endif
