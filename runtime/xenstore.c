/* SPDX-License-Identifier: MIT */
/* xenstore.c - the xenstore backend above the wire: the guests of this
 * host and their vm-data as read for planning, the managed record in
 * xenstore, and the apply of one transaction; see xenstore.h. */
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/errmsg.h"
#include "runtime/managed.h"
#include "runtime/xenstore-wire.h"

/* ---- the managed record ------------------------------------------------- */

/* The record's node: by VM uuid, which survives a reboot. */
static char *record_path(const struct xb_guest *g)
{
	char *s = NULL;
	int r;

	if (g->vm_uuid && g->vm_uuid[0])
		r = asprintf(&s, "%s/%s", XB_XS_MANAGED_ROOT, g->vm_uuid);
	else
		r = asprintf(&s, "%s/domain-%d", XB_XS_MANAGED_ROOT, g->domid);
	return r < 0 ? NULL : s;
}

/* One record being read: its node, what it held so far, its chunks. */
struct record {
	char *path;                  /* NULL: none to read */
	struct xb_map *managed;
	unsigned chunks;
	bool more;
};

/* Reads the records of rec[0..n) (those with a path), all at once, one
 * round trip per chunk. An absent record is empty. 0 or -errno, with
 * *failed the record that failed. */
static int read_records(struct xb_xs *xs, uint32_t tx, struct record *rec,
			size_t n, size_t *failed)
{
	struct xs_batch b = { 0 };
	size_t *idx = calloc(n ? n : 1, sizeof(*idx)), i;
	bool pending = true;
	unsigned round;
	int r = 0;

	if (!idx)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		rec[i].chunks = 0;
		rec[i].more = rec[i].path != NULL;
	}
	for (round = 0; !r && pending && round < 1000; round++) {
		pending = false;
		for (i = 0; i < n; i++) {
			idx[i] = XS_NONE;
			if (!rec[i].more)
				continue;
			idx[i] = round ?
				 xs_add(&b, XS_READ, NULL, 0, "%s/%u", rec[i].path,
				     round) :
				 xs_add(&b, XS_READ, NULL, 0, "%s", rec[i].path);
		}
		r = xs_run(xs, &b, tx);
		for (i = 0; !r && i < n; i++) {
			char *value;
			size_t len;
			int e;

			if (idx[i] == XS_NONE)
				continue;
			rec[i].more = false;
			value = b.r[idx[i]].reply;
			e = b.r[idx[i]].err == ENOENT ? 0 : b.r[idx[i]].err;
			if (e) {
				*failed = i;
				r = -e;
				break;
			}
			if (!value)
				continue;
			rec[i].chunks++;
			len = strlen(value);
			rec[i].more = (len >= 2 && !strcmp(value + len - 2, "\n+")) ||
				      !strcmp(value, "+");
			if (rec[i].more) {
				value[len > 2 ? len - 2 : 0] = '\0';
				pending = true;
			}
			r = xb_managed_parse(value, XB_MANAGED_XS_PREFIX,
					     rec[i].managed);
			if (r)
				*failed = i;
		}
		xs_batch_reset(&b);
	}
	xs_batch_free(&b);
	free(idx);
	return r;
}

/* Queues text as a record in chunks of whole lines, and the removal of
 * the chunks the old record had beyond the new one's. */
static void add_record(struct xs_batch *b, const char *path, const char *text,
		       unsigned old_chunks, bool set_perms)
{
	const char *p = text;
	unsigned i = 0;

	do {
		size_t len = strlen(p), take = len;
		bool more = false;
		char *chunk = NULL;

		if (len > XB_XS_CHUNK) {
			take = XB_XS_CHUNK;
			while (take && p[take] != '\n')
				take--;
			if (!take)                  /* one huge line */
				take = XB_XS_CHUNK;
			more = true;
		}
		if (asprintf(&chunk, "%.*s%s", (int)take, p,
			     more ? "\n+" : "") < 0) {
			b->oom = true;
			return;
		}
		if (i)
			xs_add(b, XS_WRITE, chunk, strlen(chunk), "%s/%u", path, i);
		else
			xs_add(b, XS_WRITE, chunk, strlen(chunk), "%s", path);
		free(chunk);
		if (!i && !old_chunks && set_perms)
			xs_add_perms(b, 0, path);
		p += take;
		if (*p == '\n')
			p++;
		i++;
	} while (*p);
	for (; i < old_chunks; i++)
		xs_add(b, XS_RM, NULL, 0, "%s/%u", path, i);
}

/* ---- reading ------------------------------------------------------------- */

static int cmp_guest(const void *a, const void *b)
{
	const struct xb_guest *x = a, *y = b;

	return (x->domid > y->domid) - (x->domid < y->domid);
}

/* The next name of a DIRECTORY reply after s (NULL: first), NULL at end. */
int xb_xs_read_guests(struct xb_xs *xs, struct xb_actual *a,
		      bool managed_records, bool read_names, char **errmsg)
{
	struct xs_batch b = { 0 }, list = { 0 };
	struct record *rec = NULL;
	size_t ndoms = 0, i, *vm = NULL, failed = 0, perms = XS_NONE;
	const char *s;
	char ename[128];
	int r = -1, e;

	/* the domains and the records, then each domain's vm and name;
	 * in an apply's transaction, also whether the records' directory
	 * is dom0's alone, which its first attempt goes by */
	xs_add(&list, XS_DIRECTORY, NULL, 0, "/local/domain");
	if (managed_records)
		xs_add(&list, XS_DIRECTORY, NULL, 0, XB_XS_MANAGED_ROOT);
	if (managed_records && a->xs_tx)
		perms = xs_add(&list, XS_GET_PERMS, NULL, 0, XB_XS_MANAGED_ROOT);
	if (xs_run_reads(xs, &list, a->xs_tx, "reading the guests", errmsg))
		goto out;
	if (perms != XS_NONE)
		a->xs_records_root = list.r[perms].err ? 0 :
				     xs_perms_ours(&list.r[perms], 0) ? 1 : 2;
	for (s = xs_next_name(&list.r[0], NULL); s; s = xs_next_name(&list.r[0], s))
		ndoms++;
	free(a->guests);
	a->guests = calloc(ndoms ? ndoms : 1, sizeof(*a->guests));
	a->nguests = 0;
	vm = calloc(ndoms ? ndoms : 1, sizeof(*vm));
	rec = calloc(ndoms ? ndoms : 1, sizeof(*rec));
	if (!a->guests || !vm || !rec)
		goto nomem;
	for (s = xs_next_name(&list.r[0], NULL); s; s = xs_next_name(&list.r[0], s)) {
		struct xb_guest *g = &a->guests[a->nguests];
		char *end;
		long domid;

		errno = 0;
		domid = strtol(s, &end, 10);
		if (errno || *end || end == s || domid <= 0 || domid > INT_MAX)
			continue;
		g->domid = (int)domid;
		vm[a->nguests++] = xs_add(&b, XS_READ, NULL, 0,
				       "/local/domain/%ld/vm", domid);
		if (read_names)
			xs_add(&b, XS_READ, NULL, 0, "/local/domain/%ld/name",
			    domid);
	}
	/* a guest without a vm or name node has none */
	if (xs_run_reads(xs, &b, a->xs_tx, "reading the guests", errmsg))
		goto out;
	for (i = 0; i < a->nguests; i++) {
		struct xb_guest *g = &a->guests[i];
		const char *v = b.r[vm[i]].reply;
		const char *name = read_names ? b.r[vm[i] + 1].reply : NULL;

		g->name = strdup(name ? name : "");
		g->vm_uuid = strdup(v && !strncmp(v, "/vm/", 4) ? v + 4 : "");
		if (!g->name || !g->vm_uuid)
			goto nomem;
		if (managed_records && list.r[1].reply) {
			char *rp = record_path(g);

			if (!rp)
				goto nomem;
			if (xs_listed(&list.r[1],
				   rp + strlen(XB_XS_MANAGED_ROOT) + 1)) {
				rec[i].path = rp;
				rec[i].managed = &g->managed;
			} else {
				free(rp);
			}
		}
	}
	e = read_records(xs, a->xs_tx, rec, a->nguests, &failed);
	for (i = 0; i < a->nguests; i++)
		a->guests[i].record_chunks = rec[i].chunks;
	if (e == -ENOMEM)
		goto nomem;
	if (e) {
		xb_fail_first(errmsg, "xenstore: cannot read the managed record of domain %d: %s",
			a->guests[failed].domid,
			xs_err_name(-e, ename, sizeof(ename)));
		goto out;
	}
	qsort(a->guests, a->nguests, sizeof(*a->guests), cmp_guest);
	a->have_xenstore = true;
	r = 0;
	goto out;
nomem:
	xb_fail_first(errmsg, "out of memory");
out:
	for (i = 0; rec && i < ndoms; i++)
		free(rec[i].path);
	free(rec);
	free(vm);
	xs_batch_free(&b);
	xs_batch_free(&list);
	return r;
}

/* Whether key ("vm-data/a/b") may exist, by the listing of vm-data (dir):
 * its first name is listed, or the listing was too long to have (E2BIG:
 * then every key is read). */
static bool may_exist(const struct xs_req *dir, const char *key)
{
	size_t plen = strlen(XB_VM_DATA_PREFIX), len;
	const char *name, *s;

	if (dir->err || strncmp(key, XB_VM_DATA_PREFIX, plen))
		return true;
	name = key + plen;
	len = strcspn(name, "/");
	for (s = xs_next_name(dir, NULL); s; s = xs_next_name(dir, s))
		if (strlen(s) == len && !memcmp(s, name, len))
			return true;
	return false;
}

/* The xenstore_data keys a guest plan wants or manages (from either
 * record form) that may be in its vm-data by the listing dir, into keys. */
static int keys_of_interest(const struct xb_guest_plan *gp,
			    const struct xb_map *managed,
			    const struct xs_req *dir, struct xb_map *keys)
{
	size_t i;
	int r = 0;

	for (i = 0; !r && i < gp->desired.n; i++)
		if (may_exist(dir, gp->desired.kv[i].key))
			r = xb_map_set(keys, gp->desired.kv[i].key, "");
	for (i = 0; !r && i < managed->n; i++) {
		const char *key = xb_managed_key(managed->kv[i].key,
						 XB_FIELD_XENSTORE_DATA);

		if (key && !strncmp(key, XB_VM_DATA_PREFIX,
				    strlen(XB_VM_DATA_PREFIX)) &&
		    may_exist(dir, key))
			r = xb_map_set(keys, key, "");
	}
	return r;
}

int xb_xs_read_vm_data(struct xb_xs *xs, struct xb_actual *a,
		       const struct xb_guest_plans *p, char **errmsg)
{
	struct xs_batch dirs = { 0 }, b = { 0 };
	struct xb_map *keys = calloc(p->nguests ? p->nguests : 1,
				     sizeof(*keys));
	size_t i, k, next;
	char ename[128];
	int r = -1, e;

	if (!keys)
		goto nomem;
	/* Each guest's vm-data listed: whether it exists (what an apply
	 * decides its creation by) and which names it holds; then only the
	 * keys that may be there are read (none in an empty vm-data, the
	 * usual state of a first apply) */
	for (i = 0; i < p->nguests; i++)
		xs_add(&dirs, XS_DIRECTORY, NULL, 0, "/local/domain/%d/vm-data",
		    a->guests[p->guests[i].guest].domid);
	e = xs_run(xs, &dirs, a->xs_tx);
	if (e == -ENOMEM || dirs.oom)
		goto nomem;
	if (e) {
		xb_fail_first(errmsg, "xenstore: reading vm-data: %s%s",
			e == -EPROTO ? "malformed reply from xenstored: " :
			"lost the connection to xenstored: ", strerror(-e));
		goto out;
	}
	for (i = 0; i < p->nguests; i++) {
		const struct xb_guest_plan *gp = &p->guests[i];
		struct xb_guest *g = &a->guests[gp->guest];

		e = dirs.r[i].err;
		if (e && e != ENOENT && e != E2BIG) {
			xb_fail_first(errmsg, "xenstore: cannot list %s: %s",
				xs_req_path(&dirs.r[i]),
				xs_err_name(e, ename, sizeof(ename)));
			goto out;
		}
		g->vm_data_read = true;
		g->has_vm_data = e != ENOENT;
		if (!g->has_vm_data)
			continue;
		if (keys_of_interest(gp, p->managed_in_xenstore ? &g->managed :
				     &gp->managed, &dirs.r[i], &keys[i]))
			goto nomem;
		for (k = 0; k < keys[i].n; k++)
			xs_add(&b, XS_READ, NULL, 0, "/local/domain/%d/%s",
			    g->domid, keys[i].kv[k].key);
	}
	if (b.n && xs_run_reads(xs, &b, a->xs_tx, "reading vm-data", errmsg))
		goto out;
	for (i = 0, next = 0; i < p->nguests; i++) {
		struct xb_guest *g = &a->guests[p->guests[i].guest];

		for (k = 0; k < keys[i].n; k++) {
			const char *v = b.r[next++].reply;

			if (v && xb_map_set(&g->vm_data, keys[i].kv[k].key, v))
				goto nomem;
		}
	}
	r = 0;
	goto out;
nomem:
	xb_fail_first(errmsg, "out of memory");
out:
	for (i = 0; keys && i < p->nguests; i++)
		xb_map_free(&keys[i]);
	free(keys);
	xs_batch_free(&dirs);
	xs_batch_free(&b);
	return r;
}

/* ---- writing ------------------------------------------------------------- */

/* What one attempt knows of one guest. */
struct gstate {
	const struct xb_guest *g;
	const struct xb_guest_plan *gp;
	size_t vm, dir;              /* requests of the first round */
	size_t parent;               /* no vm-data: its parent's permissions */
	bool dir_exists;
	char *rec_path;
	struct xb_map managed;       /* its record, as read in the attempt */
	unsigned chunks;
	struct xb_map remove;        /* managed keys the config dropped */
	size_t *want;                /* per desired key: its re-read */
	size_t *gone;                /* per key to remove: its re-read */
	bool in_pass;                /* read in this attempt's transaction */
};

static void gstate_free(struct gstate *s)
{
	free(s->rec_path);
	xb_map_free(&s->managed);
	xb_map_free(&s->remove);
	free(s->want);
	free(s->gone);
	memset(s, 0, sizeof(*s));
}

/* Whether the k-th key to remove is there: as re-read (seen), or, in the
 * transaction the guest was read in, as read then. */
static bool still_there(const struct gstate *s, const struct xs_batch *seen,
			size_t k)
{
	if (s->gone[k] != XS_NONE)
		return seen->r[s->gone[k]].reply != NULL;
	return s->in_pass && xb_map_get(&s->g->vm_data, s->remove.kv[k].key);
}

/* After removing path, removes the directories between it and vm-data
 * that it leaves empty ("vm-data/net" after "vm-data/net/ip"). */
static int remove_empty_parents(struct xb_xs *xs, uint32_t tx,
				const char *base, char *path, char **errmsg)
{
	size_t stop = strlen(base) + 1 + strlen(XB_VM_DATA_PREFIX) - 1;
	struct xs_batch b = { 0 };
	char *slash;
	int r = 0;

	while (!r && (slash = strrchr(path, '/')) &&
	       (size_t)(slash - path) > stop) {
		*slash = '\0';
		xs_add(&b, XS_DIRECTORY, NULL, 0, "%s", path);
		r = xs_run_checked(xs, &b, tx, true, errmsg);
		if (r || !b.r[0].reply || b.r[0].rlen)
			break;              /* gone, or not empty */
		xs_batch_reset(&b);
		xs_add(&b, XS_RM, NULL, 0, "%s", path);
		r = xs_run_checked(xs, &b, tx, false, errmsg);
		xs_batch_reset(&b);
	}
	xs_batch_free(&b);
	return r;
}

/* Round 1 of an attempt, into b: each guest's identity and vm-data
 * permissions, whether the records' directory is dom0's alone (*root) and
 * the records it holds (b->r[*list]). */
static int first_round(struct xb_xs *xs, uint32_t tx, struct gstate *gs,
		       size_t n, const struct xb_guest_plans *p, struct xs_batch *bp,
		       int *root, size_t *list, char **errmsg)
{
	size_t i, perms = XS_NONE;
	int r;

	for (i = 0; i < n; i++) {
		gs[i].vm = XS_NONE;
		if (gs[i].gp->vm_uuid[0])
			gs[i].vm = xs_add(bp, XS_READ, NULL, 0,
				       "/local/domain/%d/vm", gs[i].g->domid);
		gs[i].dir = xs_add(bp, XS_GET_PERMS, NULL, 0,
				"/local/domain/%d/vm-data", gs[i].g->domid);
	}
	*list = XS_NONE;
	if (p->managed_in_xenstore) {
		perms = xs_add(bp, XS_GET_PERMS, NULL, 0, XB_XS_MANAGED_ROOT);
		*list = xs_add(bp, XS_DIRECTORY, NULL, 0, XB_XS_MANAGED_ROOT);
	}
	r = xs_run_checked(xs, bp, tx, true, errmsg);
	for (i = 0; !r && i < n; i++) {
		const char *v = gs[i].vm == XS_NONE ? NULL : bp->r[gs[i].vm].reply;

		if (gs[i].vm != XS_NONE &&
		    (!v || strncmp(v, "/vm/", 4) ||
		     strcmp(v + 4, gs[i].gp->vm_uuid))) {
			xb_fail_first(errmsg, "xenstore: %s: domain %d is no longer VM %s (it was shut down or replaced while xenbake ran); run xenbake again",
				gs[i].gp->label, gs[i].g->domid,
				gs[i].gp->vm_uuid);
			r = -1;
			break;
		}
		gs[i].dir_exists = !bp->r[gs[i].dir].err;
	}
	/* 0: absent; 1: dom0's alone ("n0"), records inherit it (also
	 * when there are none to keep); 2: someone else's */
	*root = 1;
	if (!r && perms != XS_NONE)
		*root = bp->r[perms].err ? 0 :
			xs_perms_ours(&bp->r[perms], 0) ? 1 : 2;
	return r;
}

/* The keys of the guest's record that the config no longer wants. */
static int to_remove(struct gstate *s, const struct xb_map *mgd)
{
	size_t i;

	for (i = 0; i < mgd->n; i++) {
		const char *key = xb_managed_key(mgd->kv[i].key,
						 XB_FIELD_XENSTORE_DATA);

		/* a once key is the guest's: never removed */
		if (!key || strncmp(key, XB_VM_DATA_PREFIX,
				    strlen(XB_VM_DATA_PREFIX)) ||
		    xb_map_get(&s->gp->desired, key) ||
		    xb_map_get(&s->gp->once, key))
			continue;
		if (xb_map_set(&s->remove, key, ""))
			return -ENOMEM;
	}
	return 0;
}

/* Round 2 (and, for a long record, more): the managed records, then the
 * nodes to change or remove as they are now, re-read inside the
 * transaction (only what the first reading found different). */
static int read_round(struct xb_xs *xs, uint32_t tx, struct gstate *gs,
		      size_t n, const struct xb_guest_plans *p,
		      const struct xs_req *listing, struct xs_batch *b,
		      char **errmsg)
{
	struct record *rec = NULL;
	size_t i, k, failed = 0;
	int r = 0, e;

	if (p->managed_in_xenstore) {
		rec = calloc(n ? n : 1, sizeof(*rec));
		if (!rec)
			goto nomem;
		for (i = 0; i < n; i++) {
			gs[i].rec_path = record_path(gs[i].g);
			if (!gs[i].rec_path)
				goto nomem;
			if (!listing || !listing->reply ||
			    !xs_listed(listing, gs[i].rec_path +
				    strlen(XB_XS_MANAGED_ROOT) + 1))
				continue;   /* none: nothing to read */
			rec[i].path = gs[i].rec_path;
			rec[i].managed = &gs[i].managed;
		}
		e = read_records(xs, tx, rec, n, &failed);
		for (i = 0; i < n; i++)
			gs[i].chunks = rec[i].chunks;
		if (e == -ENOMEM)
			goto nomem;
		if (e == -EAGAIN) {
			r = -EAGAIN;
			goto out;
		}
		if (e) {
			xb_fail_first(errmsg, "xenstore: reading %s: %s",
				gs[failed].rec_path, strerror(-e));
			r = -1;
			goto out;
		}
	}
	for (i = 0; i < n; i++) {
		struct gstate *s = &gs[i];
		const struct xb_map *want = &s->gp->desired;

		if (to_remove(s, p->managed_in_xenstore ? &s->managed :
			      &s->gp->managed))
			goto nomem;
		s->want = malloc((want->n ? want->n : 1) * sizeof(*s->want));
		s->gone = malloc((s->remove.n ? s->remove.n : 1) *
				 sizeof(*s->gone));
		if (!s->want || !s->gone)
			goto nomem;
		for (k = 0; k < want->n; k++) {
			const char *seen = xb_map_get(&s->g->vm_data,
						      want->kv[k].key);

			/* equal when read: not touched (only what differs
			 * is written); no vm-data: nothing to re-read. A
			 * key that differed is written without a second
			 * read: whatever it holds now, it gets the config's
			 * value (and a writer since the transaction began
			 * makes it conflict). Only a once key is re-read:
			 * the guest may have written it meanwhile, and
			 * then it is the guest's */
			s->want[k] = XS_NONE;
			if ((seen && !strcmp(seen, want->kv[k].value)) ||
			    !s->dir_exists ||
			    !xb_map_get(&s->gp->once, want->kv[k].key))
				continue;
			s->want[k] = xs_add(b, XS_READ, NULL, 0,
					 "/local/domain/%d/%s", s->g->domid,
					 want->kv[k].key);
		}
		/* no vm-data: a write makes it, with the permissions of
		 * its parent; are those already the guest's own? */
		s->parent = s->dir_exists ? XS_NONE :
			    xs_add(b, XS_GET_PERMS, NULL, 0, "/local/domain/%d",
				   s->g->domid);
		for (k = 0; k < s->remove.n; k++)
			s->gone[k] = s->dir_exists ?
				     xs_add(b, XS_READ, NULL, 0,
					 "/local/domain/%d/%s", s->g->domid,
					 s->remove.kv[k].key) : XS_NONE;
	}
	r = xs_run_checked(xs, b, tx, true, errmsg);
	goto out;
nomem:
	xb_fail_first(errmsg, "out of memory");
	r = -1;
out:
	free(rec);
	return r;
}

/* In place of first_round and read_round, for the first attempt of an
 * apply that read the guests in this same transaction (a->xs_tx): what
 * they would re-read is what was read in it, the guests' identity
 * included. One round, and only for the guests without vm-data that get
 * a key: their parent's permissions (are they the guest's own, which the
 * vm-data the first write makes inherits?). */
static int pass_round(struct xb_xs *xs, uint32_t tx, const struct xb_actual *a,
		      struct gstate *gs, size_t n, struct xs_batch *b,
		      int *root, char **errmsg)
{
	size_t i, k;

	for (i = 0; i < n; i++) {
		struct gstate *s = &gs[i];

		s->in_pass = true;
		s->dir_exists = s->g->has_vm_data;
		s->chunks = s->g->record_chunks;
		s->rec_path = record_path(s->g);
		s->want = malloc((s->gp->desired.n ? s->gp->desired.n : 1) *
				 sizeof(*s->want));
		if (!s->rec_path || !s->want ||
		    xb_map_copy(&s->managed, &s->g->managed) ||
		    to_remove(s, &s->managed))
			goto nomem;
		s->gone = malloc((s->remove.n ? s->remove.n : 1) *
				 sizeof(*s->gone));
		if (!s->gone)
			goto nomem;
		for (k = 0; k < s->gp->desired.n; k++)
			s->want[k] = XS_NONE;
		for (k = 0; k < s->remove.n; k++)
			s->gone[k] = XS_NONE;
		/* without vm-data, every key wanted is written */
		s->parent = s->dir_exists || !s->gp->desired.n ? XS_NONE :
			    xs_add(b, XS_GET_PERMS, NULL, 0, "/local/domain/%d",
				   s->g->domid);
	}
	*root = a->xs_records_root;
	return b->n ? xs_run_checked(xs, b, tx, true, errmsg) : 0;
nomem:
	xb_fail_first(errmsg, "out of memory");
	return -1;
}

/* Adds to rec the record line that names (name()) each vm-data key of
 * keys, with an empty value. 0 or -ENOMEM. */
static int record_names(struct xb_map *rec, const struct xb_map *keys,
			char *(*name)(enum xb_field, const char *))
{
	size_t k;
	char *m;
	int r;

	for (k = 0; k < keys->n; k++) {
		m = name(XB_FIELD_XENSTORE_DATA, keys->kv[k].key);
		if (!m)
			return -ENOMEM;
		r = xb_map_set(rec, m, "");
		free(m);
		if (r)
			return r;
	}
	return 0;
}

/* Queues one guest's changes into w. */
static int queue_guest(struct xb_xs *xs, uint32_t tx, struct gstate *s,
		       const struct xs_batch *seen, const struct xb_guest_plans *p,
		       int *root, struct xs_batch *w, size_t *removed,
		       bool *changed, char **errmsg)
{
	const struct xb_map *want = &s->gp->desired;
	struct xb_map desired_rec = { 0 };
	char base[64], *path = NULL, *text = NULL;
	int domid = s->g->domid, r = 0;
	size_t k;

	snprintf(base, sizeof(base), "/local/domain/%d", domid);
	for (k = 0; k < want->n; k++) {
		const char *key = want->kv[k].key, *value = NULL;
		const char *seen_first = xb_map_get(&s->g->vm_data, key);

		bool once = xb_map_get(&s->gp->once, key);

		if (seen_first && (once || !strcmp(seen_first,
						   want->kv[k].value)))
			continue;
		if (s->want[k] != XS_NONE)
			value = seen->r[s->want[k]].reply;
		/* a once key the guest wrote meanwhile is its own */
		if (value && (once || !strcmp(value, want->kv[k].value)))
			continue;
		if (!s->dir_exists) {
			/* the guest's own, as xenopsd makes it when it
			 * builds the domain: what is created below inherits
			 * that, so the guest may still write its vm-data.
			 * Made and set only when inheriting from its parent
			 * would not give it that */
			char dir[80], owner[24];
			int n;

			snprintf(dir, sizeof(dir), "%s/vm-data", base);
			n = snprintf(owner, sizeof(owner), "n%d", domid);
			if (s->parent == XS_NONE ||
			    !seen->r[s->parent].reply ||
			    seen->r[s->parent].rlen != (unsigned int)n + 1 ||
			    memcmp(seen->r[s->parent].reply, owner,
				   (size_t)n + 1)) {
				xs_add(w, XS_MKDIR, NULL, 0, "%s", dir);
				xs_add(w, XS_SET_PERMS, owner, (size_t)n + 1,
				       "%s", dir);
			}
			s->dir_exists = true;
		}
		/* no permissions set: a node dom0 creates inherits its
		 * parent's (the vm-data tree's owner stays who it was) */
		xs_add(w, XS_WRITE, want->kv[k].value,
		       strlen(want->kv[k].value), "%s/%s", base, key);
		*changed = true;
	}
	for (k = 0; k < s->remove.n; k++) {
		if (!still_there(s, seen, k))
			continue;
		xs_add(w, XS_RM, NULL, 0, "%s/%s", base, s->remove.kv[k].key);
		if (strchr(s->remove.kv[k].key + strlen(XB_VM_DATA_PREFIX),
			   '/'))
			(*removed)++;       /* may leave empty parents */
		*changed = true;
	}
	if (!p->managed_in_xenstore)
		goto out;
	for (k = 0; k < want->n; k++) {
		char *m;

		if (xb_map_get(&s->gp->once, want->kv[k].key))
			continue;       /* below */
		m = xb_managed_name(XB_FIELD_XENSTORE_DATA, want->kv[k].key);
		if (!m)
			goto nomem;
		r = xb_map_set(&desired_rec, m, "");
		free(m);
		if (r)
			goto nomem;
	}
	if (record_names(&desired_rec, &s->gp->once, xb_managed_once_name) ||
	    record_names(&desired_rec, &s->gp->secret,
			 xb_managed_secret_name))
		goto nomem;
	if (xb_map_equal(&s->managed, &desired_rec))
		goto out;
	if (!desired_rec.n) {
		xs_add(w, XS_RM, NULL, 0, "%s", s->rec_path);
	} else {
		if (!*root) {
			xs_add(w, XS_MKDIR, NULL, 0, XB_XS_MANAGED_ROOT);
			xs_add_perms(w, 0, "/tool/xenbake");
			xs_add_perms(w, 0, XB_XS_MANAGED_ROOT);
			*root = 1;
		}
		text = xb_managed_format(&desired_rec, XB_MANAGED_XS_PREFIX);
		if (!text)
			goto nomem;
		add_record(w, s->rec_path, text, s->chunks, *root != 1);
	}
	*changed = true;
	goto out;
nomem:
	xb_fail_first(errmsg, "out of memory");
	r = -1;
out:
	free(path);
	free(text);
	xb_map_free(&desired_rec);
	return r;
}

#ifdef XB_TEST_HOOKS
static void test_hook(const char *env, unsigned attempt,
		      const struct xb_guest_plans *p)
{
	const char *cmd = getenv(env);
	char n[16], *doms = NULL, *more;
	size_t i;

	if (!cmd || !*cmd)
		return;
	snprintf(n, sizeof(n), "%u", attempt);
	setenv("XENBAKE_TEST_ATTEMPT", n, 1);
	/* the guests this transaction carries: " 5 7 " */
	for (i = 0; i < p->nguests; i++) {
		more = xb_strf("%s %d", doms ? doms : "", p->guests[i].domid);
		free(doms);
		doms = more;
	}
	more = xb_strf("%s ", doms ? doms : "");
	free(doms);
	doms = more;
	if (doms)
		setenv("XENBAKE_TEST_DOMIDS", doms, 1);
	free(doms);
	if (system(cmd) != 0)
		fprintf(stderr, "xenbake: test hook failed: %s\n", cmd);
}
#else
static void test_hook(const char *env, unsigned attempt,
		      const struct xb_guest_plans *p)
{
}
#endif

/* One attempt, in its own transaction, or in pass_tx (not 0) when the
 * guests were read in that one: 0 (committed), -EAGAIN (a concurrent
 * writer won: redo it all), or -1 with *errmsg (aborted: nothing
 * written). pass_tx ends here whatever happens. */
static int attempt_once(struct xb_xs *xs, const struct xb_actual *a,
			const struct xb_guest_plans *p, unsigned attempt,
			uint32_t pass_tx, bool *changed, char **errmsg)
{
	struct gstate *gs = calloc(p->nguests, sizeof(*gs));
	struct xs_batch first = { 0 }, seen = { 0 }, w = { 0 };
	size_t i, k, list, removed = 0;
	uint32_t tx = 0;
	int r, root;

	if (!gs) {
		xb_fail_first(errmsg, "out of memory");
		if (pass_tx)
			(void)xs_tx_end(xs, pass_tx, false, errmsg);
		return -1;
	}
	tx = pass_tx;
	r = tx ? 0 : xs_tx_start(xs, &tx, errmsg);
	if (r) {
		free(gs);
		return r;
	}

	for (i = 0; i < p->nguests; i++) {
		gs[i].gp = &p->guests[i];
		gs[i].g = &a->guests[p->guests[i].guest];
	}
	if (pass_tx) {
		r = pass_round(xs, tx, a, gs, p->nguests, &seen, &root, errmsg);
	} else {
		r = first_round(xs, tx, gs, p->nguests, p, &first, &root,
				&list, errmsg);
		if (!r)
			r = read_round(xs, tx, gs, p->nguests, p,
				       list == XS_NONE ? NULL : &first.r[list],
				       &seen, errmsg);
	}
	for (i = 0; !r && i < p->nguests; i++)
		r = queue_guest(xs, tx, &gs[i], &seen, p, &root, &w,
				&removed, changed, errmsg);
	if (!r)
		test_hook(XB_XS_TEST_HOOK_WRITES_ENV, attempt, p);
	if (!r)
		r = xs_run_checked(xs, &w, tx, false, errmsg);
	/* what removals left empty */
	for (i = 0; !r && removed && i < p->nguests; i++) {
		char base[64];

		snprintf(base, sizeof(base), "/local/domain/%d",
			 gs[i].g->domid);
		for (k = 0; !r && k < gs[i].remove.n; k++) {
			char *path = NULL;

			if (!still_there(&gs[i], &seen, k) ||
			    !strchr(gs[i].remove.kv[k].key +
				    strlen(XB_VM_DATA_PREFIX), '/'))
				continue;
			if (asprintf(&path, "%s/%s", base,
				     gs[i].remove.kv[k].key) < 0) {
				xb_fail_first(errmsg, "out of memory");
				r = -1;
				break;
			}
			r = remove_empty_parents(xs, tx, base, path, errmsg);
			free(path);
		}
	}
	for (i = 0; i < p->nguests; i++)
		gstate_free(&gs[i]);
	free(gs);
	xs_batch_free(&first);
	xs_batch_free(&seen);
	xs_batch_free(&w);

	if (r == 0)
		test_hook(XB_XS_TEST_HOOK_ENV, attempt, p);
	if (r == 0)
		r = xs_tx_end(xs, tx, true, errmsg);
	else
		(void)xs_tx_end(xs, tx, false, errmsg);
	return r;
}

/* Backs off before attempt+1 of a set: 10 ms, doubled per attempt, plus
 * as much again at random. */
static void back_off(unsigned attempt, unsigned *seed)
{
	unsigned base_ms = 10u << (attempt - 1);

	usleep((base_ms + (unsigned)rand_r(seed) % base_ms) * 1000u);
}

/* Guests [lo, hi) of p in one transaction, up to tries attempts (*attempt
 * counts every attempt of the apply), the first in pass_tx if not 0 (see
 * attempt_once). 0, -EAGAIN (a concurrent writer won every time), or what
 * attempt_once returned. */
static int try_set(struct xb_xs *xs, const struct xb_actual *a,
		   const struct xb_guest_plans *p, size_t lo, size_t hi,
		   unsigned tries, uint32_t pass_tx, unsigned *attempt,
		   unsigned *seed, bool *changed, char **errmsg)
{
	struct xb_guest_plans set = {
		.guests = p->guests + lo, .nguests = hi - lo,
		.managed_in_xenstore = p->managed_in_xenstore,
	};
	unsigned k;
	int r = -EAGAIN;

	for (k = 1; k <= tries; k++) {
		bool set_changed = false;

		r = attempt_once(xs, a, &set, ++*attempt,
				 k == 1 ? pass_tx : 0, &set_changed, errmsg);
		if (r == 0)
			*changed = *changed || set_changed;
		if (r != -EAGAIN)
			return r;
		if (k < tries)
			back_off(k, seed);
	}
	return -EAGAIN;
}

/* "vm web-01 (domain 5), vm db-01 (domain 7)": the guests given up. */
static char *conflicted_list(const struct xb_guest_plans *p,
			     const enum xb_xs_guest *res)
{
	char *list = NULL, *more;
	size_t i, named = 0, left = 0;

	for (i = 0; i < p->nguests; i++) {
		if (res[i] != XB_XS_GUEST_CONFLICTED)
			continue;
		if (++named > 20) {
			left++;
			continue;
		}
		more = xb_strf("%s%s%s", list ? list : "", list ? ", " : "",
			       p->guests[i].label);
		free(list);
		if (!more)
			return NULL;
		list = more;
	}
	if (left) {
		more = xb_strf("%s and %zu more", list ? list : "", left);
		free(list);
		list = more;
	}
	return list;
}

/* Whether the guests of p were all read in a->xs_tx, so that its first
 * attempt can go by those reads. */
static bool pass_covers(const struct xb_actual *a,
			const struct xb_guest_plans *p)
{
	size_t i;

	if (!a->xs_tx || !p->managed_in_xenstore || !p->nguests)
		return false;
	for (i = 0; i < p->nguests; i++)
		if (!a->guests[p->guests[i].guest].vm_data_read)
			return false;
	return true;
}

int xb_xs_begin_pass(struct xb_xs *xs, struct xb_actual *a, char **errmsg)
{
	return xs_tx_start(xs, &a->xs_tx, errmsg);
}

void xb_xs_end_pass(struct xb_xs *xs, struct xb_actual *a)
{
	char *err = NULL;

	if (xs && a->xs_tx)
		(void)xs_tx_end(xs, a->xs_tx, false, &err);
	a->xs_tx = 0;
	free(err);
}

int xb_xs_apply(struct xb_xs *xs, struct xb_actual *a,
		const struct xb_guest_plans *p, enum xb_xs_guest *res,
		bool *changed, char **errmsg)
{
	unsigned seed = (unsigned)getpid() ^ (unsigned)time(NULL);
	unsigned attempt = 0;
	size_t (*todo)[2] = NULL, ntodo = 0, i, written = 0, given_up = 0;
	uint32_t pass_tx = 0;
	char *list;
	int r;

	*changed = false;
	for (i = 0; i < p->nguests; i++)
		res[i] = XB_XS_GUEST_NOT_WRITTEN;
	/* the reads' transaction: its first attempt, or nothing to commit */
	if (pass_covers(a, p)) {
		pass_tx = a->xs_tx;
		a->xs_tx = 0;
	}
	xb_xs_end_pass(xs, a);
	if (!p->nguests)
		return 0;                   /* nothing to do: no transaction */
	/* all guests in one transaction, the usual case */
	r = try_set(xs, a, p, 0, p->nguests, XB_XS_ATTEMPTS, pass_tx,
		    &attempt, &seed, changed, errmsg);
	if (r == 0) {
		for (i = 0; i < p->nguests; i++)
			res[i] = XB_XS_GUEST_WRITTEN;
		return 0;
	}
	if (r == XB_XS_UNKNOWN)
		for (i = 0; i < p->nguests; i++)
			res[i] = XB_XS_GUEST_UNKNOWN;
	if (r != -EAGAIN)
		return r;
	if (p->nguests == 1) {
		res[0] = XB_XS_GUEST_CONFLICTED;
		xb_fail_first(errmsg, "xenstore: the transaction conflicted with other writers %d times; gave up, nothing was written",
			XB_XS_ATTEMPTS);
		return -1;
	}
	/* A guest that keeps changing its vm-data would make every
	 * transaction that holds it conflict: the set is split in halves,
	 * each tried apart, until the guests that still conflict are
	 * alone; those are given up, every other guest is written. At most
	 * 2n - 1 sets, taken depth first (a stack of ranges). */
	todo = calloc(2 * p->nguests, sizeof(*todo));
	if (!todo) {
		xb_fail_first(errmsg, "out of memory");
		return -1;
	}
	todo[ntodo][0] = p->nguests / 2;
	todo[ntodo++][1] = p->nguests;
	todo[ntodo][0] = 0;
	todo[ntodo++][1] = p->nguests / 2;
	r = 0;
	while (ntodo) {
		size_t lo = todo[ntodo - 1][0], hi = todo[--ntodo][1];

		r = try_set(xs, a, p, lo, hi, XB_XS_SPLIT_ATTEMPTS, 0,
			    &attempt, &seed, changed, errmsg);
		if (r == 0) {
			for (i = lo; i < hi; i++)
				res[i] = XB_XS_GUEST_WRITTEN;
			written += hi - lo;
			continue;
		}
		if (r == XB_XS_UNKNOWN)
			for (i = lo; i < hi; i++)
				res[i] = XB_XS_GUEST_UNKNOWN;
		if (r != -EAGAIN)
			break;              /* failed: stop there */
		r = 0;
		if (hi - lo == 1) {
			res[lo] = XB_XS_GUEST_CONFLICTED;
			given_up++;
			continue;
		}
		todo[ntodo][0] = lo + (hi - lo) / 2;
		todo[ntodo++][1] = hi;
		todo[ntodo][0] = lo;
		todo[ntodo++][1] = lo + (hi - lo) / 2;
	}
	free(todo);
	if (r && !written)
		return r;                   /* its message says what */
	if (r) {
		char *why = *errmsg;

		*errmsg = xb_strf("%s (after the vm-data of %zu guest%s had been written apart: those keep it)",
			      why ? why : "xenstore failed", written,
			      written == 1 ? "" : "s");
		free(why);
		return XB_XS_PARTIAL;
	}
	if (!given_up)
		return 0;                   /* apart, every guest committed */
	list = conflicted_list(p, res);
	if (!written) {
		xb_fail_first(errmsg, "xenstore: the transactions conflicted with other writers every time, even with each guest alone (%d attempts each): %s; gave up, nothing was written",
			XB_XS_SPLIT_ATTEMPTS, list ? list : "every guest");
		free(list);
		return -1;
	}
	xb_fail_first(errmsg, "xenstore: %zu guest%s kept conflicting with other writers, even alone (%d attempts in its own transaction): %s: %s vm-data was not written; the %zu other guest%s got theirs",
		given_up, given_up == 1 ? "" : "s", XB_XS_SPLIT_ATTEMPTS,
		list ? list : "(out of memory)",
		given_up == 1 ? "its" : "their", written,
		written == 1 ? "" : "s");
	free(list);
	return XB_XS_PARTIAL;
}
