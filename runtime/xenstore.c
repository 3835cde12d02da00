/* xenstore.c - the xenstore backend: see xenstore.h. */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <xenstore.h>

#include "runtime/xenstore.h"

struct xb_xs {
	struct xs_handle *h;
	struct xb_xs_stats st;
};

static void set_err(char **errmsg, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void set_err(char **errmsg, const char *fmt, ...)
{
	va_list ap;

	if (!errmsg || *errmsg)
		return;
	va_start(ap, fmt);
	if (vasprintf(errmsg, fmt, ap) < 0)
		*errmsg = NULL;
	va_end(ap);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- counted requests --------------------------------------------------- */

/* The value of path, NUL-terminated; NULL with errno (ENOENT: absent). */
static char *xs_get(struct xb_xs *xs, xs_transaction_t t, const char *path)
{
	unsigned int len;

	xs->st.reads++;
	return xs_read(xs->h, t, path, &len);
}

static bool xs_put(struct xb_xs *xs, xs_transaction_t t, const char *path,
		   const char *value)
{
	xs->st.writes++;
	return xs_write(xs->h, t, path, value, strlen(value));
}

static bool xs_del(struct xb_xs *xs, xs_transaction_t t, const char *path)
{
	xs->st.removes++;
	return xs_rm(xs->h, t, path);
}

static bool xs_dir(struct xb_xs *xs, xs_transaction_t t, const char *path)
{
	xs->st.mkdirs++;
	return xs_mkdir(xs->h, t, path);
}

/* owner dom0; domid (if > 0) may read; everyone else nothing */
static bool xs_perms(struct xb_xs *xs, xs_transaction_t t, const char *path,
		     int domid)
{
	struct xs_permissions perms[2] = {
		{ .id = 0, .perms = XS_PERM_NONE },
		{ .id = (unsigned int)domid, .perms = XS_PERM_READ },
	};

	xs->st.perms++;
	return xs_set_permissions(xs->h, t, path, perms, domid > 0 ? 2 : 1);
}

/* 1: path exists with exactly our permissions; 0: exists with others;
 * -ENOENT; -errno */
static int xs_perms_ours(struct xb_xs *xs, xs_transaction_t t,
			 const char *path, int domid)
{
	struct xs_permissions *perms;
	unsigned int n;
	int ours;

	xs->st.reads++;
	perms = xs_get_permissions(xs->h, t, path, &n);
	if (!perms)
		return errno ? -errno : -EIO;
	ours = n == 2 && perms[0].id == 0 && perms[0].perms == XS_PERM_NONE &&
	       perms[1].id == (unsigned int)domid &&
	       perms[1].perms == XS_PERM_READ;
	free(perms);
	return ours;
}

/* ---- connection --------------------------------------------------------- */

struct xb_xs *xb_xs_open(double wait, char **errmsg)
{
	struct xb_xs *xs = calloc(1, sizeof(*xs));
	double start = now(), last = -1;
	bool tty = isatty(STDERR_FILENO), shown = false;
	int err = 0;

	if (!xs) {
		set_err(errmsg, "out of memory");
		return NULL;
	}
	for (;;) {
		xs->h = xs_open(0);
		if (xs->h) {
			unsigned int n;
			char **top = xs_directory(xs->h, XBT_NULL, "/", &n);

			if (top) {
				free(top);
				break;
			}
			err = errno;
			xs_close(xs->h);
			xs->h = NULL;
		} else {
			err = errno;
		}
		if (now() - start >= wait)
			break;
		if (tty && now() - last >= 1) {
			fprintf(stderr, "\rxenbake: waiting for xenstored (%.0f s of %.0f s)...",
				now() - start, wait);
			last = now();
			shown = true;
		}
		usleep(200000);
	}
	if (shown)
		fprintf(stderr, "\r\033[K");
	if (!xs->h) {
		const char *sock = getenv("XENSTORED_PATH");

		set_err(errmsg, "cannot reach xenstored%s%s%s: %s%s",
			sock ? " at " : "", sock ? sock : "", "",
			strerror(err ? err : EIO),
			wait > 0 ? " (gave up waiting)" :
			" (is it running? --wait SECONDS waits for it)");
		free(xs);
		return NULL;
	}
	return xs;
}

void xb_xs_close(struct xb_xs *xs)
{
	if (!xs)
		return;
	if (xs->h)
		xs_close(xs->h);
	free(xs);
}

const struct xb_xs_stats *xb_xs_stats(const struct xb_xs *xs)
{
	return &xs->st;
}

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

/* A record's text: "KEY" lines for "xenstore_data:vm-data/KEY" entries. */
#define RECORD_PREFIX "xenstore_data:" XB_VM_DATA_PREFIX

/* Reads a record and its continuations into *managed; *chunks counts the
 * nodes. An absent record is empty. 0 or -errno. */
static int read_record(struct xb_xs *xs, xs_transaction_t t,
		       const char *path, struct xb_map *managed,
		       unsigned *chunks)
{
	unsigned i;
	int r = 0;

	*chunks = 0;
	for (i = 0; i < 1000; i++) {
		char *node = NULL, *value;
		size_t len;
		bool more;

		if (i && asprintf(&node, "%s/%u", path, i) < 0)
			return -ENOMEM;
		value = xs_get(xs, t, i ? node : path);
		free(node);
		if (!value)
			return errno == ENOENT ? 0 : -errno;
		(*chunks)++;
		len = strlen(value);
		more = (len >= 2 && !strcmp(value + len - 2, "\n+")) ||
		       !strcmp(value, "+");
		if (more)
			value[len > 2 ? len - 2 : 0] = '\0';
		r = xb_managed_parse(value, RECORD_PREFIX, managed);
		free(value);
		if (r || !more)
			return r;
	}
	return 0;
}

/* Writes text as a record in chunks of whole lines, removing chunks the
 * old record had beyond the new one's. */
static int write_record(struct xb_xs *xs, xs_transaction_t t,
			const char *path, const char *text,
			unsigned old_chunks, bool set_perms)
{
	const char *p = text;
	unsigned i = 0;
	int r = 0;

	do {
		size_t len = strlen(p), take = len;
		char *node = NULL, *chunk = NULL;
		bool more = false;

		if (len > XB_XS_CHUNK) {
			take = XB_XS_CHUNK;
			while (take && p[take] != '\n')
				take--;
			if (!take)                  /* one huge line */
				take = XB_XS_CHUNK;
			more = true;
		}
		if (asprintf(&chunk, "%.*s%s", (int)take, p,
			     more ? "\n+" : "") < 0 ||
		    (i && asprintf(&node, "%s/%u", path, i) < 0)) {
			free(chunk);
			return -ENOMEM;
		}
		if (!xs_put(xs, t, i ? node : path, chunk))
			r = -errno;
		if (!r && !i && !old_chunks && set_perms &&
		    !xs_perms(xs, t, path, 0))
			r = -errno;
		free(chunk);
		free(node);
		if (r)
			return r;
		p += take;
		if (*p == '\n')
			p++;
		i++;
	} while (*p);
	for (; i < old_chunks; i++) {
		char *node = NULL;

		if (asprintf(&node, "%s/%u", path, i) < 0)
			return -ENOMEM;
		if (!xs_del(xs, t, node))
			r = -errno;
		free(node);
		if (r)
			return r;
	}
	return 0;
}

/* The records that exist, as listed inside a transaction. */
struct records {
	bool listed, exists, ours;   /* ours: dom0 only, records inherit it */
	char **names;
	unsigned int n;
};

static int list_records(struct xb_xs *xs, xs_transaction_t t,
			struct records *root)
{
	struct xs_permissions *perms;
	unsigned int n;

	root->listed = true;
	xs->st.reads++;
	perms = xs_get_permissions(xs->h, t, XB_XS_MANAGED_ROOT, &n);
	if (!perms)
		return errno == ENOENT ? 0 : -errno;
	root->exists = true;
	/* dom0's alone ("n0"): records made under it inherit that */
	root->ours = n == 1 && perms[0].id == 0 &&
		     perms[0].perms == XS_PERM_NONE;
	free(perms);
	xs->st.reads++;
	root->names = xs_directory(xs->h, t, XB_XS_MANAGED_ROOT, &root->n);
	if (!root->names)
		return errno == ENOENT ? 0 : -errno;
	return 0;
}

static bool has_record(const struct records *root, const char *path)
{
	const char *name = path + strlen(XB_XS_MANAGED_ROOT) + 1;
	unsigned int i;

	for (i = 0; i < root->n; i++)
		if (!strcmp(root->names[i], name))
			return true;
	return false;
}

static void free_records(struct records *root)
{
	free(root->names);
	memset(root, 0, sizeof(*root));
}

/* ---- reading ------------------------------------------------------------- */

static int cmp_guest(const void *a, const void *b)
{
	const struct xb_guest *x = a, *y = b;

	return (x->domid > y->domid) - (x->domid < y->domid);
}

int xb_xs_read_guests(struct xb_xs *xs, struct xb_actual *a,
		      bool managed_records, bool read_names, char **errmsg)
{
	char **doms = NULL, **records = NULL;
	unsigned int ndoms = 0, nrecords = 0, i, j;
	int r = -1;

	xs->st.reads++;
	doms = xs_directory(xs->h, XBT_NULL, "/local/domain", &ndoms);
	if (!doms && errno != ENOENT) {
		set_err(errmsg, "xenstore: cannot list /local/domain: %s",
			strerror(errno));
		goto out;
	}
	if (managed_records) {
		xs->st.reads++;
		records = xs_directory(xs->h, XBT_NULL, XB_XS_MANAGED_ROOT,
				       &nrecords);
		if (!records && errno != ENOENT) {
			set_err(errmsg, "xenstore: cannot list %s: %s",
				XB_XS_MANAGED_ROOT, strerror(errno));
			goto out;
		}
	}
	free(a->guests);
	a->guests = calloc(ndoms ? ndoms : 1, sizeof(*a->guests));
	a->nguests = 0;
	if (!a->guests)
		goto nomem;
	for (i = 0; i < ndoms; i++) {
		struct xb_guest *g = &a->guests[a->nguests];
		char *end, path[64], *vm, *name;
		long domid;

		errno = 0;
		domid = strtol(doms[i], &end, 10);
		if (errno || *end || end == doms[i] || domid <= 0 ||
		    domid > INT_MAX)
			continue;
		snprintf(path, sizeof(path), "/local/domain/%ld/vm", domid);
		vm = xs_get(xs, XBT_NULL, path);
		name = NULL;
		if (read_names) {
			snprintf(path, sizeof(path), "/local/domain/%ld/name",
				 domid);
			name = xs_get(xs, XBT_NULL, path);
		}
		g->domid = (int)domid;
		g->name = name ? name : strdup("");
		g->vm_uuid = strdup(vm && !strncmp(vm, "/vm/", 4) ? vm + 4 : "");
		free(vm);
		a->nguests++;
		if (!g->name || !g->vm_uuid)
			goto nomem;
		for (j = 0; j < nrecords; j++) {
			char *rp = record_path(g);
			unsigned chunks;
			int e;

			if (!rp)
				goto nomem;
			if (strcmp(rp + strlen(XB_XS_MANAGED_ROOT) + 1,
				   records[j])) {
				free(rp);
				continue;
			}
			e = read_record(xs, XBT_NULL, rp, &g->managed, &chunks);
			free(rp);
			if (e) {
				set_err(errmsg, "xenstore: cannot read the managed record of domain %d: %s",
					g->domid, strerror(-e));
				goto out;
			}
			break;
		}
	}
	qsort(a->guests, a->nguests, sizeof(*a->guests), cmp_guest);
	a->have_xenstore = true;
	r = 0;
	goto out;
nomem:
	set_err(errmsg, "out of memory");
out:
	free(doms);
	free(records);
	return r;
}

/* The xenstore_data keys a guest plan wants or manages (from either
 * record form) into keys. */
static int keys_of_interest(const struct xb_guest_plan *gp,
			    const struct xb_map *managed, struct xb_map *keys)
{
	size_t i;
	int r = 0;

	for (i = 0; !r && i < gp->desired.n; i++)
		r = xb_map_set(keys, gp->desired.kv[i].key, "");
	for (i = 0; !r && i < managed->n; i++) {
		const char *k = managed->kv[i].key;

		if (!strncmp(k, "xenstore_data:", 14) &&
		    !strncmp(k + 14, XB_VM_DATA_PREFIX,
			     strlen(XB_VM_DATA_PREFIX)))
			r = xb_map_set(keys, k + 14, "");
	}
	return r;
}

int xb_xs_read_vm_data(struct xb_xs *xs, struct xb_actual *a,
		       const struct xb_plan *p, char **errmsg)
{
	size_t i, k;

	for (i = 0; i < p->nguests; i++) {
		const struct xb_guest_plan *gp = &p->guests[i];
		struct xb_guest *g = &a->guests[gp->guest];
		struct xb_map keys = { 0 };
		char path[64], *dir;

		snprintf(path, sizeof(path), "/local/domain/%d/vm-data",
			 g->domid);
		dir = xs_get(xs, XBT_NULL, path);
		if (!dir) {
			if (errno == ENOENT)
				continue;
			set_err(errmsg, "xenstore: cannot read %s: %s", path,
				strerror(errno));
			return -1;
		}
		free(dir);
		if (keys_of_interest(gp, p->managed_in_xenstore ? &g->managed :
				     &gp->managed, &keys))
			goto nomem;
		for (k = 0; k < keys.n; k++) {
			char *node = NULL, *value;
			int r;

			if (asprintf(&node, "/local/domain/%d/%s", g->domid,
				     keys.kv[k].key) < 0) {
				xb_map_free(&keys);
				goto nomem;
			}
			value = xs_get(xs, XBT_NULL, node);
			if (!value && errno != ENOENT) {
				set_err(errmsg, "xenstore: cannot read %s: %s",
					node, strerror(errno));
				free(node);
				xb_map_free(&keys);
				return -1;
			}
			free(node);
			r = value ? xb_map_set(&g->vm_data, keys.kv[k].key,
					       value) : 0;
			free(value);
			if (r) {
				xb_map_free(&keys);
				goto nomem;
			}
		}
		xb_map_free(&keys);
	}
	return 0;
nomem:
	set_err(errmsg, "out of memory");
	return -1;
}

/* ---- writing ------------------------------------------------------------- */

/* Creates the directory of the managed records, dom0's alone. */
static int make_record_root(struct xb_xs *xs, xs_transaction_t t,
			    struct records *root)
{
	if (!xs_dir(xs, t, XB_XS_MANAGED_ROOT) ||
	    !xs_perms(xs, t, "/tool/xenbake", 0) ||
	    !xs_perms(xs, t, XB_XS_MANAGED_ROOT, 0))
		return -1;
	root->exists = root->ours = true;
	return 0;
}

/* After removing path, removes the directories between it and vm-data
 * that it leaves empty ("vm-data/net" after "vm-data/net/ip"). */
static int remove_empty_parents(struct xb_xs *xs, xs_transaction_t t,
				const char *base, char *path)
{
	size_t stop = strlen(base) + 1 + strlen(XB_VM_DATA_PREFIX) - 1;
	char *slash;
	int r = 0;

	while ((slash = strrchr(path, '/')) && (size_t)(slash - path) > stop) {
		char **children;
		unsigned int n;

		*slash = '\0';
		xs->st.reads++;
		children = xs_directory(xs->h, t, path, &n);
		if (!children) {
			r = errno == ENOENT ? 0 : -errno;
			break;
		}
		free(children);
		if (n)
			break;
		if (!xs_del(xs, t, path)) {
			r = -errno;
			break;
		}
	}
	return r;
}

/* One attempt's work for one guest. 0, -EAGAIN, or -1 with *errmsg. */
static int apply_guest(struct xb_xs *xs, xs_transaction_t t,
		       const struct xb_actual *a, const struct xb_plan *p,
		       const struct xb_guest_plan *gp, struct records *root,
		       bool *changed, char **errmsg)
{
	const struct xb_guest *g = &a->guests[gp->guest];
	struct xb_map managed = { 0 }, remove = { 0 }, desired_rec = { 0 };
	char base[64], *path = NULL, *value = NULL, *rec_path = NULL;
	char *new_text = NULL;
	const struct xb_map *mgd = &gp->managed;
	unsigned chunks = 0;
	bool dir_exists, dir_ours, had_dir;
	size_t i;
	int r = 0, e;

#define FAIL(what, node) do { \
		r = errno == EAGAIN ? -EAGAIN : -1; \
		if (r == -1) \
			set_err(errmsg, "xenstore: %s %s: %s", what, node, \
				strerror(errno)); \
		goto out; \
	} while (0)

	snprintf(base, sizeof(base), "/local/domain/%d", g->domid);

	/* still the same VM in this domain? */
	if (gp->vm_uuid[0]) {
		if (asprintf(&path, "%s/vm", base) < 0)
			goto nomem;
		value = xs_get(xs, t, path);
		if (!value && errno != ENOENT)
			FAIL("reading", path);
		if (!value || strncmp(value, "/vm/", 4) ||
		    strcmp(value + 4, gp->vm_uuid)) {
			set_err(errmsg, "xenstore: %s: domain %d is no longer VM %s (it was shut down or replaced while xenbake ran); run xenbake again",
				gp->label, g->domid, gp->vm_uuid);
			r = -1;
			goto out;
		}
		free(value);
		value = NULL;
		free(path);
		path = NULL;
	}

	/* the managed record, re-read inside the transaction (only if the
	 * listing of records, also made inside it, has one) */
	if (p->managed_in_xenstore) {
		rec_path = record_path(g);
		if (!rec_path)
			goto nomem;
		if (!root->listed) {
			e = list_records(xs, t, root);
			if (e) {
				errno = -e;
				FAIL("listing", XB_XS_MANAGED_ROOT);
			}
		}
		if (has_record(root, rec_path)) {
			e = read_record(xs, t, rec_path, &managed, &chunks);
			if (e) {
				errno = -e;
				FAIL("reading", rec_path);
			}
		}
		mgd = &managed;
	}
	for (i = 0; i < mgd->n; i++) {
		const char *k = mgd->kv[i].key;

		if (strncmp(k, "xenstore_data:", 14) ||
		    strncmp(k + 14, XB_VM_DATA_PREFIX,
			    strlen(XB_VM_DATA_PREFIX)) ||
		    xb_map_get(&gp->desired, k + 14))
			continue;
		if (xb_map_set(&remove, k + 14, ""))
			goto nomem;
	}

	if (asprintf(&path, "%s/vm-data", base) < 0)
		goto nomem;
	e = xs_perms_ours(xs, t, path, g->domid);
	if (e < 0 && e != -ENOENT) {
		errno = -e;
		FAIL("reading the permissions of", path);
	}
	dir_exists = had_dir = e >= 0;
	dir_ours = e == 1;
	free(path);
	path = NULL;

	for (i = 0; i < gp->desired.n; i++) {
		const char *key = gp->desired.kv[i].key;
		const char *want = gp->desired.kv[i].value;
		const char *seen = xb_map_get(&g->vm_data, key);
		bool is_new;

		/* equal when read: not touched (only what differs is
		 * written) */
		if (seen && !strcmp(seen, want))
			continue;
		if (asprintf(&path, "%s/%s", base, key) < 0)
			goto nomem;
		value = NULL;
		if (had_dir) {          /* else: we made it, it holds nothing */
			value = xs_get(xs, t, path);
			if (!value && errno != ENOENT)
				FAIL("reading", path);
		}
		if (value && !strcmp(value, want))
			goto next;
		is_new = !value;
		if (!dir_exists) {
			char *dir = NULL;

			if (asprintf(&dir, "%s/vm-data", base) < 0)
				goto nomem;
			if (!xs_dir(xs, t, dir) ||
			    !xs_perms(xs, t, dir, g->domid)) {
				path = (free(path), dir);
				FAIL("creating", path);
			}
			free(dir);
			dir_exists = dir_ours = true;
		}
		if (is_new && !dir_ours) {
			/* nothing to inherit from: create each missing
			 * directory with our permissions, then the node */
			char *slash = path + strlen(base) + 1 +
				      strlen(XB_VM_DATA_PREFIX);

			while ((slash = strchr(slash, '/'))) {
				*slash = '\0';
				e = xs_perms_ours(xs, t, path, g->domid);
				if (e == -ENOENT &&
				    (!xs_dir(xs, t, path) ||
				     !xs_perms(xs, t, path, g->domid)))
					FAIL("creating", path);
				if (e < 0 && e != -ENOENT) {
					errno = -e;
					FAIL("reading the permissions of",
					     path);
				}
				*slash++ = '/';
			}
		}
		if (!xs_put(xs, t, path, want))
			FAIL("writing", path);
		/* under a directory that is not ours, a node might not be
		 * either (a guest could change it): make the ones we write
		 * ours */
		if (!dir_ours && !xs_perms(xs, t, path, g->domid))
			FAIL("setting the permissions of", path);
		*changed = true;
next:
		free(value);
		value = NULL;
		free(path);
		path = NULL;
	}

	for (i = 0; dir_exists && i < remove.n; i++) {
		if (asprintf(&path, "%s/%s", base, remove.kv[i].key) < 0)
			goto nomem;
		value = xs_get(xs, t, path);
		if (!value && errno != ENOENT)
			FAIL("reading", path);
		if (value) {
			if (!xs_del(xs, t, path))
				FAIL("removing", path);
			*changed = true;
			e = remove_empty_parents(xs, t, base, path);
			if (e) {
				errno = -e;
				FAIL("tidying after", path);
			}
		}
		free(value);
		value = NULL;
		free(path);
		path = NULL;
	}

	if (p->managed_in_xenstore) {
		for (i = 0; i < gp->desired.n; i++) {
			char *m = NULL;

			if (asprintf(&m, "xenstore_data:%s",
				     gp->desired.kv[i].key) < 0)
				goto nomem;
			e = xb_map_set(&desired_rec, m, "");
			free(m);
			if (e)
				goto nomem;
		}
		if (!xb_map_equal(&managed, &desired_rec)) {
			if (!desired_rec.n) {
				if (!xs_del(xs, t, rec_path))
					FAIL("removing", rec_path);
			} else {
				if (!root->exists &&
				    make_record_root(xs, t, root))
					FAIL("creating", XB_XS_MANAGED_ROOT);
				new_text = xb_managed_format(&desired_rec,
							     RECORD_PREFIX);
				if (!new_text)
					goto nomem;
				e = write_record(xs, t, rec_path, new_text,
						 chunks, !root->ours);
				if (e) {
					errno = -e;
					FAIL("writing", rec_path);
				}
			}
			*changed = true;
		}
	}
	goto out;
nomem:
	set_err(errmsg, "out of memory");
	r = -1;
out:
#undef FAIL
	free(path);
	free(value);
	free(rec_path);
	free(new_text);
	xb_map_free(&managed);
	xb_map_free(&remove);
	xb_map_free(&desired_rec);
	return r;
}

#ifdef XB_TEST_HOOKS
static void test_hook(unsigned attempt)
{
	const char *cmd = getenv(XB_XS_TEST_HOOK_ENV);
	char n[16];

	if (!cmd || !*cmd)
		return;
	snprintf(n, sizeof(n), "%u", attempt);
	setenv("XENBAKE_TEST_ATTEMPT", n, 1);
	if (system(cmd) != 0)
		fprintf(stderr, "xenbake: test hook failed: %s\n", cmd);
}
#else
static void test_hook(unsigned attempt)
{
}
#endif

int xb_xs_apply(struct xb_xs *xs, const struct xb_actual *a,
		const struct xb_plan *p, bool *changed, char **errmsg)
{
	unsigned attempt;
	unsigned seed = (unsigned)getpid() ^ (unsigned)time(NULL);

	*changed = false;
	if (!p->nguests)
		return 0;                   /* nothing to do: no transaction */
	for (attempt = 1; attempt <= XB_XS_ATTEMPTS; attempt++) {
		struct records root = { 0 };
		xs_transaction_t t;
		size_t i;
		int r = 0;

		*changed = false;
		xs->st.attempts++;
		t = xs_transaction_start(xs->h);
		if (t == XBT_NULL) {
			set_err(errmsg, "xenstore: cannot start a transaction: %s",
				strerror(errno));
			return -1;
		}
		for (i = 0; !r && i < p->nguests; i++)
			r = apply_guest(xs, t, a, p, &p->guests[i],
					&root, changed, errmsg);
		free_records(&root);
		if (r == 0) {
			test_hook(attempt);
			if (xs_transaction_end(xs->h, t, false))
				return 0;
			if (errno != EAGAIN) {
				set_err(errmsg, "xenstore: the transaction could not be committed: %s; nothing was written",
					strerror(errno));
				return -1;
			}
		} else {
			int saved = errno;

			xs_transaction_end(xs->h, t, true);
			if (r != -EAGAIN) {
				errno = saved;
				return -1;
			}
		}
		/* a concurrent writer won: back off, then redo it all */
		if (attempt < XB_XS_ATTEMPTS) {
			unsigned base_ms = 10u << (attempt - 1);

			usleep((base_ms + (unsigned)rand_r(&seed) % base_ms) *
			       1000u);
		}
	}
	set_err(errmsg, "xenstore: the transaction conflicted with other writers %d times; gave up, nothing was written",
		XB_XS_ATTEMPTS);
	return -1;
}
