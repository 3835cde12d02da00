/* SPDX-License-Identifier: MIT */
/* xenstore-wire.h - the wire and batch layer of the xenstore backend:
 * requests encoded as <xen/io/xs_wire.h> says, sent in batches (every
 * request of a batch written before the first reply is awaited: xenstored
 * answers a connection's requests in order), their replies, and the
 * transaction primitives. It knows nothing of guests, plans or records;
 * xenstore.c builds on it (see xenstore.h for the connection itself). */
#ifndef XENBAKE_XENSTORE_WIRE_H
#define XENBAKE_XENSTORE_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <xenstore.h>

#include "runtime/xenstore.h"

#define XS_NONE SIZE_MAX             /* no request index */

/* One request of a batch and, once the batch ran, its reply. */
struct xs_req {
	uint32_t type, id;
	char *body;                  /* "PATH\0" then the data */
	unsigned int len;
	char *reply;                 /* NUL-terminated; NULL if err */
	unsigned int rlen;
	int err;                     /* 0, or the errno xenstored answered */
};

/* Requests sent together: all are written before the first reply is
 * awaited, so a batch costs the daemon's work, not one round trip per
 * request. xenstored answers a connection's requests in order. */
struct xs_batch {
	struct xs_req *r;
	size_t n, cap;
	bool oom;
};

void xs_batch_reset(struct xs_batch *b);
void xs_batch_free(struct xs_batch *b);

/* Queues a request whose payload is the path, a NUL, then dlen bytes of
 * data; its index in b. On failure b->oom makes the run fail. */
size_t xs_add(struct xs_batch *b, uint32_t type, const char *data,
	      size_t dlen, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
/* Queues SET_PERMS of path: owner dom0, domid (if > 0) may read. */
size_t xs_add_perms(struct xs_batch *b, int domid, const char *path);

/* Sends every request of b (in transaction tx, 0: none) and collects
 * every reply. 0 when each request has its answer (which may be an
 * error), or -errno when the connection failed: it is then unusable. */
int xs_run(struct xb_xs *xs, struct xs_batch *b, uint32_t tx);
/* As xs_run, in tx (0: none; an apply reads in the transaction it
 * commits), for what ("reading the guests"): 0 when each read has its
 * answer, ENOENT included; else -1, *errmsg. */
int xs_run_reads(struct xb_xs *xs, struct xs_batch *b, uint32_t tx,
		 const char *what, char **errmsg);
/* As xs_run in tx: 0, -EAGAIN, or -1 with *errmsg naming the first node
 * that failed (ENOENT allowed when enoent_ok). */
int xs_run_checked(struct xb_xs *xs, struct xs_batch *b, uint32_t tx,
		   bool enoent_ok, char **errmsg);

/* The first request of b that failed other than with ENOENT (XS_NONE if
 * none), skipping those that may fail with ENOENT when enoent_ok. */
size_t xs_first_failed(const struct xs_batch *b, bool enoent_ok);
const char *xs_req_path(const struct xs_req *q);
/* What xenstored answered, for messages: "EIO (Input/output error)". */
const char *xs_err_name(int err, char *buf, size_t size);
/* A GET_PERMS reply: exactly owner dom0, domid (if > 0) may read? */
bool xs_perms_ours(const struct xs_req *q, int domid);
/* The next name of a DIRECTORY reply after s (NULL: first), NULL at end;
 * whether it lists name. */
const char *xs_next_name(const struct xs_req *q, const char *s);
bool xs_listed(const struct xs_req *q, const char *name);

/* Starts a transaction: 0 with *tx, or -1 with *errmsg. */
int xs_tx_start(struct xb_xs *xs, uint32_t *tx, char **errmsg);
/* Commits (commit) or aborts tx. Commit: 0, -EAGAIN (a concurrent writer
 * won), -1 with *errmsg (nothing written), or XB_XS_UNKNOWN with *errmsg
 * (the connection went during the commit). An abort always returns 0. */
int xs_tx_end(struct xb_xs *xs, uint32_t tx, bool commit, char **errmsg);

#endif
