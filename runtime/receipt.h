/* SPDX-License-Identifier: MIT */
/* receipt.h - what one apply did, kept in the state directory:
 *   DIR/receipts/YYYYMMDDTHHMMSS.uuuuuuZ.json   one per apply, the newest
 *                                               XB_RECEIPTS_KEPT kept
 *   DIR/last-receipt.json                       a copy of the newest
 * each written to a temporary file and renamed, so a reader never sees half
 * of one. The shape is schema/receipt.schema.json.
 *
 * Per change, "outcome" says what became of it:
 *   applied        the host holds the new value
 *   undone         it was written, then set back (XenAPI) or its xenstore
 *                  transaction aborted: the host holds the old value
 *   rolled-back    its XenAPI step failed part way: the writes made were set
 *                  back, so the host holds the old value, whether or not
 *                  this one had been written
 *   not-attempted  apply stopped before this step
 * After a failure the host is read again (when it still answers): a change
 * found in place there is "applied" whatever the step, and "verified" is
 * true. */
#ifndef XENBAKE_RECEIPT_H
#define XENBAKE_RECEIPT_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "runtime/apply.h"
#include "runtime/plan.h"
#include "runtime/state.h"
#include "runtime/xenstore.h"

#define XB_RECEIPT_FORMAT 1
#define XB_RECEIPTS_KEPT 50
#define XB_RECEIPT_LAST "last-receipt.json"
#define XB_RECEIPT_DIR "receipts"
/* bytes: the one bound on a receipt, enforced when writing (a receipt
 * over it is not written, and apply says so) and when reading; 20,000
 * VMs x 10 keys make about 75 MB */
#define XB_RECEIPT_MAX (256u << 20)

struct xb_receipt_blob {
	const char *path;
	const unsigned char *sha256;   /* the blob's own, verified
					  (XBB_SHA256_SIZE bytes: blob.h);
					  NULL: it failed verification */
	const char *owner;             /* the owner its keys are recorded
					  under; NULL: unknown (it failed
					  verification) */
};

struct xb_receipt {
	struct timespec time;          /* CLOCK_REALTIME at the start */
	double seconds;                /* how long the run took */
	const char *result;            /* "applied", "no changes", "partial"
					  (guests given up: xenstore.h),
					  "error" */
	const char *error;             /* NULL unless result is "error" or
					  "partial" */
	const struct xb_receipt_blob *blobs;
	size_t nblobs;
	const char *xapi;              /* the endpoint; NULL: --no-xapi */
	bool xenstore;                 /* false: --no-xenstore */
	const struct xb_plan *plan;    /* NULL: failed before planning */
	const struct xb_actual *actual;
	const enum xb_outcome *outcomes;   /* per plan change */
	bool verified;                 /* outcomes checked on the host */
	unsigned long xapi_calls;      /* every XenAPI call, login included */
	const struct xb_xs_stats *xs;  /* NULL without xenstore */
	const unsigned char *identity; /* the configuration's (lib/identity.h);
					  NULL: a blob failed to load */
};

const char *xb_outcome_word(enum xb_outcome o);

/* Writes the receipt (see above) and prunes old ones. 0, or -1 with
 * *errmsg; *written (if not NULL) gets the receipt's path, malloc'd. When
 * it cannot be written (a full disk, over XB_RECEIPT_MAX), the previous
 * DIR/last-receipt.json is removed, so that status says the last receipt
 * is missing instead of comparing the host with an older apply. */
int xb_receipt_write(const char *dir, const struct xb_receipt *r,
		     char **written, char **errmsg);

/* Reads DIR/last-receipt.json: its text (malloc'd, *len bytes). 0, -1
 * with *errmsg; errno ENOENT when there is none. */
int xb_receipt_read_last(const char *dir, char **text, size_t *len,
			 char **errmsg);
/* The same for the receipt at path. */
int xb_receipt_read(const char *path, char **text, size_t *len,
		    char **errmsg);
/* The paths of the receipts kept in DIR/receipts, oldest first (malloc'd,
 * free with xb_receipt_names_free). 0, or -1 with *errmsg. */
int xb_receipt_list(const char *dir, char ***paths, size_t *n,
		    char **errmsg);
void xb_receipt_names_free(char **names, size_t n);

#endif
