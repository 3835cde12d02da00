/* SPDX-License-Identifier: MIT */
/* xenstore.c - the xenstore backend: see xenstore.h. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <xenstore.h>
#include <xenstore_lib.h>

#include "lib/errmsg.h"
#include "runtime/clock.h"
#include "runtime/managed.h"
#include "runtime/xenstore.h"

#define XS_DEVICE "/dev/xen/xenbus"  /* libxenstore's other way in */
#define NONE SIZE_MAX                /* no request index */

struct xb_xs {
	int fd;
	bool is_socket;
	int broken;                  /* errno that ended the connection */
	bool unsent;                 /* run() failed before all was sent */
	uint32_t next_id;
	struct xb_xs_stats st;
	size_t inlen;
	char in[65536];              /* replies read, not yet parsed */
};

/* One request of a batch and, once the batch ran, its reply. */
struct req {
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
struct batch {
	struct req *r;
	size_t n, cap;
	bool oom;
};

/* ---- the wire protocol -------------------------------------------------- */

/* How long run() waits for xenstored to read or answer before the
 * connection is given up (a stopped xenstored must not hang xenbake). */
static int reply_timeout_ms = XB_XS_REPLY_TIMEOUT * 1000;

void xb_xs_set_reply_timeout(double seconds)
{
	reply_timeout_ms = seconds < 1 ? 1000 : seconds > 86400 ? 86400000 :
			   (int)(seconds * 1000);
}

static void batch_reset(struct batch *b)
{
	size_t i;

	for (i = 0; i < b->n; i++) {
		free(b->r[i].body);
		free(b->r[i].reply);
	}
	b->n = 0;
	b->oom = false;
}

static void batch_free(struct batch *b)
{
	batch_reset(b);
	free(b->r);
	memset(b, 0, sizeof(*b));
}

/* Queues a request whose payload is the path, a NUL, then dlen bytes of
 * data; its index in b. On failure b->oom makes the run fail. */
static size_t add(struct batch *b, uint32_t type, const char *data,
		  size_t dlen, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

static size_t add(struct batch *b, uint32_t type, const char *data,
		  size_t dlen, const char *fmt, ...)
{
	struct req *q;
	char *path = NULL;
	va_list ap;
	int plen;

	if (b->oom)
		return 0;
	if (b->n == b->cap) {
		size_t cap = b->cap ? 2 * b->cap : 64;
		struct req *grown = realloc(b->r, cap * sizeof(*grown));

		if (!grown)
			goto nomem;
		b->r = grown;
		b->cap = cap;
	}
	va_start(ap, fmt);
	plen = vasprintf(&path, fmt, ap);
	va_end(ap);
	if (plen < 0)
		goto nomem;
	q = &b->r[b->n];
	memset(q, 0, sizeof(*q));
	q->type = type;
	q->len = (unsigned int)plen + 1 + (unsigned int)dlen;
	q->body = malloc(q->len);
	if (!q->body) {
		free(path);
		goto nomem;
	}
	memcpy(q->body, path, (size_t)plen + 1);
	if (dlen)
		memcpy(q->body + plen + 1, data, dlen);
	free(path);
	return b->n++;
nomem:
	b->oom = true;
	return 0;
}

static const char *req_path(const struct req *q)
{
	return q->body;
}

static int errno_of(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(xsd_errors) / sizeof(xsd_errors[0]); i++)
		if (!strcmp(xsd_errors[i].errstring, name))
			return xsd_errors[i].errnum;
	return EIO;
}

/* What xenstored answered, for messages: "EIO (Input/output error)". */
static const char *err_name(int err, char *buf, size_t size)
{
	const char *name = NULL;
	size_t i;

	for (i = 0; i < sizeof(xsd_errors) / sizeof(xsd_errors[0]); i++)
		if (xsd_errors[i].errnum == err)
			name = xsd_errors[i].errstring;
	if (name)
		snprintf(buf, size, "%s (%s)", name, strerror(err));
	else
		snprintf(buf, size, "%s", strerror(err));
	return buf;
}

/* Parses the complete replies in xs->in into b from b->r[*got] on. */
static int take_replies(struct xb_xs *xs, struct batch *b, size_t *got)
{
	size_t p = 0;
	int r = 0;

	while (xs->inlen - p >= sizeof(struct xsd_sockmsg)) {
		struct xsd_sockmsg h;
		const char *body = xs->in + p + sizeof(h);
		struct req *q;

		memcpy(&h, xs->in + p, sizeof(h));
		if (h.len > XENSTORE_PAYLOAD_MAX) {
			r = -EPROTO;
			break;
		}
		if (xs->inlen - p < sizeof(h) + h.len)
			break;
		p += sizeof(h) + h.len;
		if (h.type == XS_WATCH_EVENT)
			continue;           /* we set none; never ours */
		if (*got >= b->n || h.req_id != b->r[*got].id) {
			r = -EPROTO;
			break;
		}
		q = &b->r[(*got)++];
		if (h.type != XS_ERROR && h.type != q->type) {
			r = -EPROTO;        /* an answer to another question */
			break;
		}
		if (h.type == XS_ERROR) {
			char name[32];
			size_t n = h.len < sizeof(name) - 1 ? h.len :
				   sizeof(name) - 1;

			memcpy(name, body, n);
			name[n] = '\0';
			q->err = errno_of(name);
			continue;
		}
		q->reply = malloc((size_t)h.len + 1);
		if (!q->reply) {
			r = -ENOMEM;
			break;
		}
		memcpy(q->reply, body, h.len);
		q->reply[h.len] = '\0';
		q->rlen = h.len;
	}
	memmove(xs->in, xs->in + p, xs->inlen - p);
	xs->inlen -= p;
	return r;
}

static void count(struct xb_xs *xs, uint32_t type)
{
	switch (type) {
	case XS_READ:
	case XS_DIRECTORY:
	case XS_GET_PERMS:
		xs->st.reads++;
		break;
	case XS_WRITE:
		xs->st.writes++;
		break;
	case XS_RM:
		xs->st.removes++;
		break;
	case XS_MKDIR:
		xs->st.mkdirs++;
		break;
	case XS_SET_PERMS:
		xs->st.perms++;
		break;
	case XS_TRANSACTION_START:
		xs->st.attempts++;
		break;
	}
}

/* Sends every request of b (in transaction tx, 0: none) and collects
 * every reply, reading while it writes so that neither side's buffer
 * fills up. 0 when each request has its answer (which may be an error),
 * or -errno when the connection failed: it is then unusable. */
static int run(struct xb_xs *xs, struct batch *b, uint32_t tx)
{
	size_t total = 0, off = 0, got = 0, i;
	char *out, *o;
	int r = 0;

	xs->unsent = true;           /* until it is */
	if (b->oom)
		return -ENOMEM;
	if (xs->broken)
		return -xs->broken;
	for (i = 0; i < b->n; i++) {
		if (b->r[i].len > XENSTORE_PAYLOAD_MAX)
			return -E2BIG;
		total += sizeof(struct xsd_sockmsg) + b->r[i].len;
	}
	out = o = malloc(total ? total : 1);
	if (!out)
		return -ENOMEM;
	for (i = 0; i < b->n; i++) {
		struct req *q = &b->r[i];
		struct xsd_sockmsg h = {
			.type = q->type, .req_id = ++xs->next_id,
			.tx_id = tx, .len = q->len,
		};

		q->id = h.req_id;
		count(xs, q->type);
		memcpy(o, &h, sizeof(h));
		memcpy(o + sizeof(h), q->body, q->len);
		o += sizeof(h) + q->len;
	}
	while (got < b->n) {
		struct pollfd pfd = {
			.fd = xs->fd,
			.events = POLLIN | (off < total ? POLLOUT : 0),
		};
		ssize_t n;

		int ready = poll(&pfd, 1, reply_timeout_ms);

		if (ready < 0) {
			if (errno == EINTR)
				continue;
			r = -errno;
			break;
		}
		if (ready == 0) {
			r = -ETIMEDOUT;     /* nothing moved for that long */
			break;
		}
		if (off < total && (pfd.revents & POLLOUT)) {
			n = xs->is_socket ?
			    send(xs->fd, out + off, total - off, MSG_NOSIGNAL) :
			    write(xs->fd, out + off, total - off);
			if (n < 0 && errno != EAGAIN && errno != EINTR) {
				r = -errno;
				break;
			}
			if (n > 0)
				off += (size_t)n;
		}
		if (pfd.revents & (POLLIN | POLLHUP | POLLERR)) {
			n = read(xs->fd, xs->in + xs->inlen,
				 sizeof(xs->in) - xs->inlen);
			if (n == 0) {
				r = -ECONNRESET;    /* xenstored went away */
				break;
			}
			if (n < 0 && errno != EAGAIN && errno != EINTR) {
				r = -errno;
				break;
			}
			if (n > 0) {
				xs->inlen += (size_t)n;
				r = take_replies(xs, b, &got);
				if (r)
					break;
			}
		}
	}
	free(out);
	xs->unsent = r && off < total;
	if (r)                       /* replies may be out of step now */
		xs->broken = -r;
	return r;
}

/* The first request of b that failed other than with ENOENT (NONE if
 * none), skipping those that may fail with ENOENT when enoent_ok. */
static size_t first_failed(const struct batch *b, bool enoent_ok)
{
	size_t i;

	for (i = 0; i < b->n; i++)
		if (b->r[i].err && !(enoent_ok && b->r[i].err == ENOENT))
			return i;
	return NONE;
}

static const char *doing(uint32_t type)
{
	switch (type) {
	case XS_READ:
		return "reading";
	case XS_DIRECTORY:
		return "listing";
	case XS_GET_PERMS:
		return "reading the permissions of";
	case XS_WRITE:
		return "writing";
	case XS_RM:
		return "removing";
	case XS_MKDIR:
		return "creating";
	case XS_SET_PERMS:
		return "setting the permissions of";
	case XS_TRANSACTION_START:
		return "starting a transaction";
	}
	return "requesting";
}

/* owner dom0; domid (if > 0) may read; everyone else nothing */
static int perms_string(char *buf, size_t size, int domid)
{
	int n = domid > 0 ? snprintf(buf, size, "n0%cr%d", '\0', domid) :
		snprintf(buf, size, "n0");

	return n + 1;                /* with the final NUL */
}

static size_t add_perms(struct batch *b, int domid, const char *path)
{
	char perms[32];
	int n = perms_string(perms, sizeof(perms), domid);

	return add(b, XS_SET_PERMS, perms, (size_t)n, "%s", path);
}

/* A GET_PERMS reply: exactly ours (see perms_string)? */
static bool perms_ours(const struct req *q, int domid)
{
	char perms[32];
	int n = perms_string(perms, sizeof(perms), domid);

	return q->reply && q->rlen == (unsigned int)n &&
	       !memcmp(q->reply, perms, (size_t)n);
}

/* ---- connection --------------------------------------------------------- */

/* libxenstore's choice: its socket (XENSTORED_PATH overrides it), else
 * the xenbus device (or XENSTORED_PATH when it is no socket). */
static int connect_xenstored(bool *is_socket)
{
	const char *sock = xs_daemon_socket(), *dev = getenv("XENSTORED_PATH");
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st;
	int fd, err;

	*is_socket = true;
	if (sock && strlen(sock) < sizeof(sa.sun_path)) {
		strcpy(sa.sun_path, sock);
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
			    0);
		if (fd < 0)
			return -1;
		if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
			return fd;
		err = errno;
		close(fd);
		errno = err;
	} else {
		errno = ENAMETOOLONG;
	}
	if (!dev)
		dev = XS_DEVICE;
	if (stat(dev, &st) < 0 || S_ISSOCK(st.st_mode))
		return -1;                  /* errno: the socket's */
	*is_socket = false;
	return open(dev, O_RDWR | O_CLOEXEC | O_NONBLOCK);
}

struct xb_xs *xb_xs_open(bool *answered, char **errmsg)
{
	struct xb_xs *xs = calloc(1, sizeof(*xs));
	struct batch b = { 0 };
	int err = 0;

	*answered = false;           /* a reply came, or a bad one */
	if (!xs) {
		xb_fail_first(errmsg, "out of memory");
		return NULL;
	}
	xs->fd = connect_xenstored(&xs->is_socket);
	if (xs->fd >= 0) {
		int r;

		add(&b, XS_DIRECTORY, NULL, 0, "/");
		r = run(xs, &b, 0);
		err = r ? -r : b.r[0].err;
		*answered = (!r && err) || r == -EPROTO;
		batch_free(&b);
		if (err) {
			close(xs->fd);
			xs->fd = -1;
		}
	} else {
		err = errno;
	}
	memset(&xs->st, 0, sizeof(xs->st));
	if (xs->fd < 0 && *answered) {
		const char *sock = getenv("XENSTORED_PATH");
		char name[128];

		/* it runs and answers: not a question of reaching it */
		if (err == EPROTO)
			xb_fail_first(errmsg, "xenstored%s%s sent a malformed reply to the first request (listing /)",
				sock ? " at " : "", sock ? sock : "");
		else
			xb_fail_first(errmsg, "xenstored%s%s answered the first request (listing /) with %s",
				sock ? " at " : "", sock ? sock : "",
				err_name(err, name, sizeof(name)));
		free(xs);
		return NULL;
	}
	if (xs->fd < 0) {
		const char *sock = getenv("XENSTORED_PATH");

		xb_fail_first(errmsg, "cannot reach xenstored%s%s: %s",
			sock ? " at " : "", sock ? sock : "",
			strerror(err ? err : EIO));
		free(xs);
		return NULL;
	}
	return xs;
}

void xb_xs_close(struct xb_xs *xs)
{
	if (!xs)
		return;
	if (xs->fd >= 0)
		close(xs->fd);
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
	struct batch b = { 0 };
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
			idx[i] = NONE;
			if (!rec[i].more)
				continue;
			idx[i] = round ?
				 add(&b, XS_READ, NULL, 0, "%s/%u", rec[i].path,
				     round) :
				 add(&b, XS_READ, NULL, 0, "%s", rec[i].path);
		}
		r = run(xs, &b, tx);
		for (i = 0; !r && i < n; i++) {
			char *value;
			size_t len;
			int e;

			if (idx[i] == NONE)
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
		batch_reset(&b);
	}
	batch_free(&b);
	free(idx);
	return r;
}

/* Queues text as a record in chunks of whole lines, and the removal of
 * the chunks the old record had beyond the new one's. */
static void add_record(struct batch *b, const char *path, const char *text,
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
			add(b, XS_WRITE, chunk, strlen(chunk), "%s/%u", path, i);
		else
			add(b, XS_WRITE, chunk, strlen(chunk), "%s", path);
		free(chunk);
		if (!i && !old_chunks && set_perms)
			add_perms(b, 0, path);
		p += take;
		if (*p == '\n')
			p++;
		i++;
	} while (*p);
	for (; i < old_chunks; i++)
		add(b, XS_RM, NULL, 0, "%s/%u", path, i);
}

/* ---- reading ------------------------------------------------------------- */

static int cmp_guest(const void *a, const void *b)
{
	const struct xb_guest *x = a, *y = b;

	return (x->domid > y->domid) - (x->domid < y->domid);
}

/* The next name of a DIRECTORY reply after s (NULL: first), NULL at end. */
static const char *next_name(const struct req *q, const char *s)
{
	s = s ? s + strlen(s) + 1 : q->reply;
	return s && s < q->reply + q->rlen ? s : NULL;
}

static bool listed(const struct req *q, const char *name)
{
	const char *s;

	for (s = next_name(q, NULL); s; s = next_name(q, s))
		if (!strcmp(s, name))
			return true;
	return false;
}

/* Runs a batch of reads outside any transaction, for what ("reading the
 * guests"). 0 when each has its answer, ENOENT (absent) included; else -1
 * with *errmsg naming the node or the connection: taking a failed read
 * for an absent node would misname the guest. */
static int run_reads(struct xb_xs *xs, struct batch *b, const char *what,
		     char **errmsg)
{
	char ename[128];
	size_t bad;
	int e = run(xs, b, 0);

	if (e == -ENOMEM) {
		xb_fail_first(errmsg, "out of memory");
		return -1;
	}
	if (e) {
		xb_fail_first(errmsg, "xenstore: %s: %s%s", what,
			e == -EPROTO ? "malformed reply from xenstored: " :
			"lost the connection to xenstored: ", strerror(-e));
		return -1;
	}
	bad = first_failed(b, true);
	if (bad != NONE) {
		xb_fail_first(errmsg, "xenstore: cannot %s %s: %s",
			b->r[bad].type == XS_DIRECTORY ? "list" : "read",
			req_path(&b->r[bad]),
			err_name(b->r[bad].err, ename, sizeof(ename)));
		return -1;
	}
	return 0;
}

int xb_xs_read_guests(struct xb_xs *xs, struct xb_actual *a,
		      bool managed_records, bool read_names, char **errmsg)
{
	struct batch b = { 0 }, list = { 0 };
	struct record *rec = NULL;
	size_t ndoms = 0, i, *vm = NULL, failed = 0;
	const char *s;
	char ename[128];
	int r = -1, e;

	/* the domains and the records, then each domain's vm and name */
	add(&list, XS_DIRECTORY, NULL, 0, "/local/domain");
	if (managed_records)
		add(&list, XS_DIRECTORY, NULL, 0, XB_XS_MANAGED_ROOT);
	if (run_reads(xs, &list, "reading the guests", errmsg))
		goto out;
	for (s = next_name(&list.r[0], NULL); s; s = next_name(&list.r[0], s))
		ndoms++;
	free(a->guests);
	a->guests = calloc(ndoms ? ndoms : 1, sizeof(*a->guests));
	a->nguests = 0;
	vm = calloc(ndoms ? ndoms : 1, sizeof(*vm));
	rec = calloc(ndoms ? ndoms : 1, sizeof(*rec));
	if (!a->guests || !vm || !rec)
		goto nomem;
	for (s = next_name(&list.r[0], NULL); s; s = next_name(&list.r[0], s)) {
		struct xb_guest *g = &a->guests[a->nguests];
		char *end;
		long domid;

		errno = 0;
		domid = strtol(s, &end, 10);
		if (errno || *end || end == s || domid <= 0 || domid > INT_MAX)
			continue;
		g->domid = (int)domid;
		vm[a->nguests++] = add(&b, XS_READ, NULL, 0,
				       "/local/domain/%ld/vm", domid);
		if (read_names)
			add(&b, XS_READ, NULL, 0, "/local/domain/%ld/name",
			    domid);
	}
	/* a guest without a vm or name node has none */
	if (run_reads(xs, &b, "reading the guests", errmsg))
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
			if (listed(&list.r[1],
				   rp + strlen(XB_XS_MANAGED_ROOT) + 1)) {
				rec[i].path = rp;
				rec[i].managed = &g->managed;
			} else {
				free(rp);
			}
		}
	}
	e = read_records(xs, 0, rec, a->nguests, &failed);
	if (e == -ENOMEM)
		goto nomem;
	if (e) {
		xb_fail_first(errmsg, "xenstore: cannot read the managed record of domain %d: %s",
			a->guests[failed].domid,
			err_name(-e, ename, sizeof(ename)));
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
	batch_free(&b);
	batch_free(&list);
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
		const char *key = xb_managed_key(managed->kv[i].key,
						 XB_FIELD_XENSTORE_DATA);

		if (key && !strncmp(key, XB_VM_DATA_PREFIX,
				    strlen(XB_VM_DATA_PREFIX)))
			r = xb_map_set(keys, key, "");
	}
	return r;
}

int xb_xs_read_vm_data(struct xb_xs *xs, struct xb_actual *a,
		       const struct xb_plan *p, char **errmsg)
{
	struct batch dirs = { 0 }, b = { 0 };
	struct xb_map *keys = calloc(p->nguests ? p->nguests : 1,
				     sizeof(*keys));
	size_t i, k, *first = calloc(p->nguests ? p->nguests : 1,
				     sizeof(*first));
	int r = -1;

	if (!keys || !first)
		goto nomem;
	/* which guests have a vm-data at all, then the keys of those */
	for (i = 0; i < p->nguests; i++)
		add(&dirs, XS_READ, NULL, 0, "/local/domain/%d/vm-data",
		    a->guests[p->guests[i].guest].domid);
	if (run_reads(xs, &dirs, "reading vm-data", errmsg))
		goto out;
	for (i = 0; i < p->nguests; i++) {
		const struct xb_guest_plan *gp = &p->guests[i];
		struct xb_guest *g = &a->guests[gp->guest];

		first[i] = b.n;
		if (dirs.r[i].err == ENOENT)
			continue;
		if (keys_of_interest(gp, p->managed_in_xenstore ? &g->managed :
				     &gp->managed, &keys[i]))
			goto nomem;
		for (k = 0; k < keys[i].n; k++)
			add(&b, XS_READ, NULL, 0, "/local/domain/%d/%s",
			    g->domid, keys[i].kv[k].key);
	}
	if (run_reads(xs, &b, "reading vm-data", errmsg))
		goto out;
	for (i = 0; i < p->nguests; i++) {
		struct xb_guest *g = &a->guests[p->guests[i].guest];

		for (k = 0; k < keys[i].n; k++) {
			const char *v = b.r[first[i] + k].reply;

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
	free(first);
	batch_free(&dirs);
	batch_free(&b);
	return r;
}

/* ---- writing ------------------------------------------------------------- */

/* What one attempt knows of one guest. */
struct gstate {
	const struct xb_guest *g;
	const struct xb_guest_plan *gp;
	size_t vm, dir;              /* requests of the first round */
	bool dir_exists, dir_ours;
	char *rec_path;
	struct xb_map managed;       /* its record, as read in the attempt */
	unsigned chunks;
	struct xb_map remove;        /* managed keys the config dropped */
	size_t *want;                /* per desired key: its re-read */
	size_t *gone;                /* per key to remove: its re-read */
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

/* Runs b in tx; 0, or -EAGAIN, or -1 with *errmsg naming the first node
 * that failed (ENOENT allowed when enoent_ok). */
static int run_checked(struct xb_xs *xs, struct batch *b, uint32_t tx,
		       bool enoent_ok, char **errmsg)
{
	int e = run(xs, b, tx);
	size_t bad;

	if (e == -ENOMEM) {
		xb_fail_first(errmsg, "out of memory");
		return -1;
	}
	if (e == -E2BIG) {
		xb_fail_first(errmsg, "xenstore: a request is longer than xenstored takes (%d bytes); nothing was written",
			XENSTORE_PAYLOAD_MAX);
		return -1;
	}
	if (e) {
		xb_fail_first(errmsg, "xenstore: lost the connection to xenstored: %s; nothing was written",
			strerror(-e));
		return -1;
	}
	bad = first_failed(b, enoent_ok);
	if (bad == NONE)
		return 0;
	if (b->r[bad].err == EAGAIN)
		return -EAGAIN;
	xb_fail_first(errmsg, "xenstore: %s%s%s: %s", doing(b->r[bad].type),
		*req_path(&b->r[bad]) ? " " : "", req_path(&b->r[bad]),
		strerror(b->r[bad].err));
	return -1;
}

/* Under a vm-data that is not ours, creates each missing directory above
 * path with our permissions, one level at a time (rare: someone else made
 * vm-data). */
static int make_parents(struct xb_xs *xs, uint32_t tx, const char *base,
			char *path, int domid, char **errmsg)
{
	struct batch b = { 0 };
	char *slash = path + strlen(base) + 1 + strlen(XB_VM_DATA_PREFIX);
	int r = 0;

	while (!r && (slash = strchr(slash, '/'))) {
		*slash = '\0';
		add(&b, XS_GET_PERMS, NULL, 0, "%s", path);
		r = run_checked(xs, &b, tx, true, errmsg);
		if (!r && b.r[0].err == ENOENT) {
			batch_reset(&b);
			add(&b, XS_MKDIR, NULL, 0, "%s", path);
			add_perms(&b, domid, path);
			r = run_checked(xs, &b, tx, false, errmsg);
		}
		batch_reset(&b);
		*slash++ = '/';
	}
	batch_free(&b);
	return r;
}

/* After removing path, removes the directories between it and vm-data
 * that it leaves empty ("vm-data/net" after "vm-data/net/ip"). */
static int remove_empty_parents(struct xb_xs *xs, uint32_t tx,
				const char *base, char *path, char **errmsg)
{
	size_t stop = strlen(base) + 1 + strlen(XB_VM_DATA_PREFIX) - 1;
	struct batch b = { 0 };
	char *slash;
	int r = 0;

	while (!r && (slash = strrchr(path, '/')) &&
	       (size_t)(slash - path) > stop) {
		*slash = '\0';
		add(&b, XS_DIRECTORY, NULL, 0, "%s", path);
		r = run_checked(xs, &b, tx, true, errmsg);
		if (r || !b.r[0].reply || b.r[0].rlen)
			break;              /* gone, or not empty */
		batch_reset(&b);
		add(&b, XS_RM, NULL, 0, "%s", path);
		r = run_checked(xs, &b, tx, false, errmsg);
		batch_reset(&b);
	}
	batch_free(&b);
	return r;
}

/* Round 1 of an attempt, into b: each guest's identity and vm-data
 * permissions, whether the records' directory is dom0's alone (*root) and
 * the records it holds (b->r[*list]). */
static int first_round(struct xb_xs *xs, uint32_t tx, struct gstate *gs,
		       size_t n, const struct xb_plan *p, struct batch *bp,
		       int *root, size_t *list, char **errmsg)
{
	size_t i, perms = NONE;
	int r;

	for (i = 0; i < n; i++) {
		gs[i].vm = NONE;
		if (gs[i].gp->vm_uuid[0])
			gs[i].vm = add(bp, XS_READ, NULL, 0,
				       "/local/domain/%d/vm", gs[i].g->domid);
		gs[i].dir = add(bp, XS_GET_PERMS, NULL, 0,
				"/local/domain/%d/vm-data", gs[i].g->domid);
	}
	*list = NONE;
	if (p->managed_in_xenstore) {
		perms = add(bp, XS_GET_PERMS, NULL, 0, XB_XS_MANAGED_ROOT);
		*list = add(bp, XS_DIRECTORY, NULL, 0, XB_XS_MANAGED_ROOT);
	}
	r = run_checked(xs, bp, tx, true, errmsg);
	for (i = 0; !r && i < n; i++) {
		const char *v = gs[i].vm == NONE ? NULL : bp->r[gs[i].vm].reply;

		if (gs[i].vm != NONE &&
		    (!v || strncmp(v, "/vm/", 4) ||
		     strcmp(v + 4, gs[i].gp->vm_uuid))) {
			xb_fail_first(errmsg, "xenstore: %s: domain %d is no longer VM %s (it was shut down or replaced while xenbake ran); run xenbake again",
				gs[i].gp->label, gs[i].g->domid,
				gs[i].gp->vm_uuid);
			r = -1;
			break;
		}
		gs[i].dir_exists = !bp->r[gs[i].dir].err;
		gs[i].dir_ours = perms_ours(&bp->r[gs[i].dir], gs[i].g->domid);
	}
	/* 0: absent; 1: dom0's alone ("n0"), records inherit it (also
	 * when there are none to keep); 2: someone else's */
	*root = 1;
	if (!r && perms != NONE)
		*root = bp->r[perms].err ? 0 :
			perms_ours(&bp->r[perms], 0) ? 1 : 2;
	return r;
}

/* The keys of the guest's record that the config no longer wants. */
static int to_remove(struct gstate *s, const struct xb_map *mgd)
{
	size_t i;

	for (i = 0; i < mgd->n; i++) {
		const char *key = xb_managed_key(mgd->kv[i].key,
						 XB_FIELD_XENSTORE_DATA);

		if (!key || strncmp(key, XB_VM_DATA_PREFIX,
				    strlen(XB_VM_DATA_PREFIX)) ||
		    xb_map_get(&s->gp->desired, key))
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
		      size_t n, const struct xb_plan *p,
		      const struct req *listing, struct batch *b,
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
			    !listed(listing, gs[i].rec_path +
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
			 * is written); no vm-data: nothing to re-read */
			s->want[k] = NONE;
			if ((seen && !strcmp(seen, want->kv[k].value)) ||
			    !s->dir_exists)
				continue;
			s->want[k] = add(b, XS_READ, NULL, 0,
					 "/local/domain/%d/%s", s->g->domid,
					 want->kv[k].key);
		}
		for (k = 0; k < s->remove.n; k++)
			s->gone[k] = s->dir_exists ?
				     add(b, XS_READ, NULL, 0,
					 "/local/domain/%d/%s", s->g->domid,
					 s->remove.kv[k].key) : NONE;
	}
	r = run_checked(xs, b, tx, true, errmsg);
	goto out;
nomem:
	xb_fail_first(errmsg, "out of memory");
	r = -1;
out:
	free(rec);
	return r;
}

/* Queues one guest's changes into w. */
static int queue_guest(struct xb_xs *xs, uint32_t tx, struct gstate *s,
		       const struct batch *seen, const struct xb_plan *p,
		       int *root, struct batch *w, size_t *removed,
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

		if (seen_first && !strcmp(seen_first, want->kv[k].value))
			continue;
		if (s->want[k] != NONE)
			value = seen->r[s->want[k]].reply;
		if (value && !strcmp(value, want->kv[k].value))
			continue;
		if (!s->dir_exists) {
			/* made ours, so that what is created below it
			 * inherits dom0's ownership and the guest's read */
			char dir[80];

			snprintf(dir, sizeof(dir), "%s/vm-data", base);
			add(w, XS_MKDIR, NULL, 0, "%s", dir);
			add_perms(w, domid, dir);
			s->dir_exists = s->dir_ours = true;
		}
		if (!value && !s->dir_ours) {
			/* nothing to inherit from: make each missing
			 * directory ours first */
			if (asprintf(&path, "%s/%s", base, key) < 0)
				goto nomem;
			r = make_parents(xs, tx, base, path, domid, errmsg);
			free(path);
			path = NULL;
			if (r)
				goto out;
		}
		add(w, XS_WRITE, want->kv[k].value, strlen(want->kv[k].value),
		    "%s/%s", base, key);
		/* under a directory that is not ours, a node might not be
		 * either (a guest could change it): make the ones we write
		 * ours */
		if (!s->dir_ours) {
			if (asprintf(&path, "%s/%s", base, key) < 0)
				goto nomem;
			add_perms(w, domid, path);
			free(path);
			path = NULL;
		}
		*changed = true;
	}
	for (k = 0; k < s->remove.n; k++) {
		if (s->gone[k] == NONE || !seen->r[s->gone[k]].reply)
			continue;
		add(w, XS_RM, NULL, 0, "%s/%s", base, s->remove.kv[k].key);
		if (strchr(s->remove.kv[k].key + strlen(XB_VM_DATA_PREFIX),
			   '/'))
			(*removed)++;       /* may leave empty parents */
		*changed = true;
	}
	if (!p->managed_in_xenstore)
		goto out;
	for (k = 0; k < want->n; k++) {
		char *m = xb_managed_name(XB_FIELD_XENSTORE_DATA,
					  want->kv[k].key);

		if (!m)
			goto nomem;
		r = xb_map_set(&desired_rec, m, "");
		free(m);
		if (r)
			goto nomem;
	}
	if (xb_map_equal(&s->managed, &desired_rec))
		goto out;
	if (!desired_rec.n) {
		add(w, XS_RM, NULL, 0, "%s", s->rec_path);
	} else {
		if (!*root) {
			add(w, XS_MKDIR, NULL, 0, XB_XS_MANAGED_ROOT);
			add_perms(w, 0, "/tool/xenbake");
			add_perms(w, 0, XB_XS_MANAGED_ROOT);
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

/* One attempt: 0 (committed), -EAGAIN (a concurrent writer won: redo it
 * all), or -1 with *errmsg (aborted: nothing written). */
static int attempt_once(struct xb_xs *xs, const struct xb_actual *a,
			const struct xb_plan *p, unsigned attempt,
			bool *changed, char **errmsg)
{
	struct gstate *gs = calloc(p->nguests, sizeof(*gs));
	struct batch b = { 0 }, first = { 0 }, seen = { 0 }, w = { 0 };
	size_t i, k, list, removed = 0;
	char *end = NULL;
	uint32_t tx = 0;
	int r, root;
	unsigned long id;

	if (!gs) {
		xb_fail_first(errmsg, "out of memory");
		return -1;
	}
	add(&b, XS_TRANSACTION_START, NULL, 0, "%s", "");
	r = run_checked(xs, &b, 0, false, errmsg);
	if (r == 0) {
		errno = 0;
		id = strtoul(b.r[0].reply ? b.r[0].reply : "", &end, 10);
		if (errno || !end || *end || !id || id > UINT32_MAX) {
			xb_fail_first(errmsg, "xenstore: cannot start a transaction: bad reply from xenstored");
			r = -1;
		}
		tx = (uint32_t)id;
	} else if (r == -EAGAIN) {
		r = -1;                     /* no transaction to redo */
		xb_fail_first(errmsg, "xenstore: cannot start a transaction: %s",
			strerror(EAGAIN));
	}
	batch_reset(&b);
	if (r) {
		batch_free(&b);     /* reset keeps the array for reuse */
		free(gs);
		return r;
	}

	for (i = 0; i < p->nguests; i++) {
		gs[i].gp = &p->guests[i];
		gs[i].g = &a->guests[p->guests[i].guest];
	}
	r = first_round(xs, tx, gs, p->nguests, p, &first, &root, &list,
			errmsg);
	if (!r)
		r = read_round(xs, tx, gs, p->nguests, p,
			       list == NONE ? NULL : &first.r[list], &seen,
			       errmsg);
	for (i = 0; !r && i < p->nguests; i++)
		r = queue_guest(xs, tx, &gs[i], &seen, p, &root, &w,
				&removed, changed, errmsg);
	if (!r)
		r = run_checked(xs, &w, tx, false, errmsg);
	/* what removals left empty */
	for (i = 0; !r && removed && i < p->nguests; i++) {
		char base[64];

		snprintf(base, sizeof(base), "/local/domain/%d",
			 gs[i].g->domid);
		for (k = 0; !r && k < gs[i].remove.n; k++) {
			char *path = NULL;

			if (gs[i].gone[k] == NONE ||
			    !seen.r[gs[i].gone[k]].reply ||
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
	batch_free(&first);
	batch_free(&seen);
	batch_free(&w);

	if (r == 0)
		test_hook(attempt);
	add(&b, XS_TRANSACTION_END, NULL, 0, "%s", r ? "F" : "T");
	if (r == 0) {
		int e = run(xs, &b, tx);

		if (e == -ENOMEM) {
			xb_fail_first(errmsg, "out of memory");
			r = -1;
		} else if (e && xs->unsent) {
			/* xenstored never had the whole request, and the
			 * transaction ends with the connection */
			r = -1;
			xb_fail_first(errmsg, "xenstore: lost the connection to xenstored before the commit was sent: %s; nothing was written",
				strerror(-e));
		} else if (e) {
			/* the request reached xenstored, which may have
			 * committed before the connection went */
			r = XB_XS_UNKNOWN;
			xb_fail_first(errmsg, "xenstore: lost the connection to xenstored while committing the transaction (%s): whether it was committed is unknown; the next run, or `xenbake check`, will tell",
				strerror(-e));
		} else if (b.r[0].err) {
			r = b.r[0].err == EAGAIN ? -EAGAIN : -1;
			if (r == -1)
				xb_fail_first(errmsg, "xenstore: the transaction could not be committed: %s; nothing was written",
					strerror(b.r[0].err));
		}
	} else {
		(void)run(xs, &b, tx);  /* abort: its failure changes nothing */
	}
	batch_free(&b);
	return r;
}

int xb_xs_apply(struct xb_xs *xs, const struct xb_actual *a,
		const struct xb_plan *p, bool *changed, char **errmsg)
{
	unsigned attempt;
	unsigned seed = (unsigned)getpid() ^ (unsigned)time(NULL);

	*changed = false;
	if (!p->nguests)
		return 0;                   /* nothing to do: no transaction */
	for (attempt = 1; attempt <= XB_XS_ATTEMPTS; attempt++) {
		int r;

		*changed = false;
		r = attempt_once(xs, a, p, attempt, changed, errmsg);
		if (r != -EAGAIN)
			return r;
		/* a concurrent writer won: back off, then redo it all */
		if (attempt < XB_XS_ATTEMPTS) {
			unsigned base_ms = 10u << (attempt - 1);

			usleep((base_ms + (unsigned)rand_r(&seed) % base_ms) *
			       1000u);
		}
	}
	xb_fail_first(errmsg, "xenstore: the transaction conflicted with other writers %d times; gave up, nothing was written",
		XB_XS_ATTEMPTS);
	return -1;
}
