/* SPDX-License-Identifier: MIT */
/* xenstore-wire.c - the wire and batch layer: see xenstore-wire.h. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <xenstore.h>
#include <xenstore_lib.h>

#include "lib/errmsg.h"
#include "runtime/xenstore-wire.h"

#define XS_DEVICE "/dev/xen/xenbus"  /* libxenstore's other way in */

struct xb_xs {
	int fd;
	bool is_socket;
	int broken;                  /* errno that ended the connection */
	bool unsent;                 /* xs_run() failed before all was sent */
	uint32_t next_id;
	struct xb_xs_stats st;
	size_t inlen;
	char in[65536];              /* replies read, not yet parsed */
};

/* ---- the wire protocol -------------------------------------------------- */

void xs_batch_reset(struct xs_batch *b)
{
	size_t i;

	for (i = 0; i < b->n; i++) {
		free(b->r[i].body);
		free(b->r[i].reply);
	}
	b->n = 0;
	b->oom = false;
}

/* How long run() waits for xenstored to read or answer before the
 * connection is given up (a stopped xenstored must not hang xenbake). */
static int reply_timeout_ms = XB_XS_REPLY_TIMEOUT * 1000;

void xb_xs_set_reply_timeout(double seconds)
{
	reply_timeout_ms = seconds < 1 ? 1000 : seconds > 86400 ? 86400000 :
			   (int)(seconds * 1000);
}

void xs_batch_free(struct xs_batch *b)
{
	xs_batch_reset(b);
	free(b->r);
	memset(b, 0, sizeof(*b));
}

size_t xs_add(struct xs_batch *b, uint32_t type, const char *data,
		  size_t dlen, const char *fmt, ...)
{
	struct xs_req *q;
	char *path = NULL;
	va_list ap;
	int plen;

	if (b->oom)
		return 0;
	if (b->n == b->cap) {
		size_t cap = b->cap ? 2 * b->cap : 64;
		struct xs_req *grown = realloc(b->r, cap * sizeof(*grown));

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

const char *xs_req_path(const struct xs_req *q)
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
const char *xs_err_name(int err, char *buf, size_t size)
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
static int take_replies(struct xb_xs *xs, struct xs_batch *b, size_t *got)
{
	size_t p = 0;
	int r = 0;

	while (xs->inlen - p >= sizeof(struct xsd_sockmsg)) {
		struct xsd_sockmsg h;
		const char *body = xs->in + p + sizeof(h);
		struct xs_req *q;

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
int xs_run(struct xb_xs *xs, struct xs_batch *b, uint32_t tx)
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
		struct xs_req *q = &b->r[i];
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

/* The first request of b that failed other than with ENOENT (XS_NONE if
 * none), skipping those that may fail with ENOENT when enoent_ok. */
size_t xs_first_failed(const struct xs_batch *b, bool enoent_ok)
{
	size_t i;

	for (i = 0; i < b->n; i++)
		if (b->r[i].err && !(enoent_ok && b->r[i].err == ENOENT))
			return i;
	return XS_NONE;
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

size_t xs_add_perms(struct xs_batch *b, int domid, const char *path)
{
	char perms[32];
	int n = perms_string(perms, sizeof(perms), domid);

	return xs_add(b, XS_SET_PERMS, perms, (size_t)n, "%s", path);
}

/* A GET_PERMS reply: exactly ours (see perms_string)? */
bool xs_perms_ours(const struct xs_req *q, int domid)
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
	struct xs_batch b = { 0 };
	int err = 0;

	*answered = false;           /* a reply came, or a bad one */
	if (!xs) {
		xb_fail_first(errmsg, "out of memory");
		return NULL;
	}
	xs->fd = connect_xenstored(&xs->is_socket);
	if (xs->fd >= 0) {
		int r;

		xs_add(&b, XS_DIRECTORY, NULL, 0, "/");
		r = xs_run(xs, &b, 0);
		err = r ? -r : b.r[0].err;
		*answered = (!r && err) || r == -EPROTO;
		xs_batch_free(&b);
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
				xs_err_name(err, name, sizeof(name)));
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

/* The next name of a DIRECTORY reply after s (NULL: first), NULL at end. */
const char *xs_next_name(const struct xs_req *q, const char *s)
{
	s = s ? s + strlen(s) + 1 : q->reply;
	return s && s < q->reply + q->rlen ? s : NULL;
}

bool xs_listed(const struct xs_req *q, const char *name)
{
	const char *s;

	for (s = xs_next_name(q, NULL); s; s = xs_next_name(q, s))
		if (!strcmp(s, name))
			return true;
	return false;
}

/* Runs a batch of reads outside any transaction, for what ("reading the
 * guests"). 0 when each has its answer, ENOENT (absent) included; else -1
 * with *errmsg naming the node or the connection: taking a failed read
 * for an absent node would misname the guest. */
int xs_run_reads(struct xb_xs *xs, struct xs_batch *b, uint32_t tx,
		 const char *what, char **errmsg)
{
	char ename[128];
	size_t bad;
	int e = xs_run(xs, b, tx);

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
	bad = xs_first_failed(b, true);
	if (bad != XS_NONE) {
		xb_fail_first(errmsg, "xenstore: cannot %s %s: %s",
			b->r[bad].type == XS_DIRECTORY ? "list" :
			b->r[bad].type == XS_GET_PERMS ?
			"read the permissions of" : "read",
			xs_req_path(&b->r[bad]),
			xs_err_name(b->r[bad].err, ename, sizeof(ename)));
		return -1;
	}
	return 0;
}

/* Runs b in tx; 0, or -EAGAIN, or -1 with *errmsg naming the first node
 * that failed (ENOENT allowed when enoent_ok). */
int xs_run_checked(struct xb_xs *xs, struct xs_batch *b, uint32_t tx,
		       bool enoent_ok, char **errmsg)
{
	int e = xs_run(xs, b, tx);
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
	bad = xs_first_failed(b, enoent_ok);
	if (bad == XS_NONE)
		return 0;
	/* A node someone else removed after this transaction read it is a
	 * conflict: inside a transaction, C xenstored answers its remove
	 * EAGAIN when the node is a child of one the transaction read, but
	 * EIO ("Can't find child") when it is deeper. oxenstored, which
	 * works on a snapshot, conflicts at the commit instead. */
	if (b->r[bad].err == EAGAIN ||
	    (tx && b->r[bad].type == XS_RM && b->r[bad].err == EIO))
		return -EAGAIN;
	xb_fail_first(errmsg, "xenstore: %s%s%s: %s", doing(b->r[bad].type),
		*xs_req_path(&b->r[bad]) ? " " : "", xs_req_path(&b->r[bad]),
		strerror(b->r[bad].err));
	return -1;
}

/* ---- transactions -------------------------------------------------------- */

int xs_tx_start(struct xb_xs *xs, uint32_t *tx, char **errmsg)
{
	struct xs_batch b = { 0 };
	unsigned long id;
	char *end = NULL;
	int r;

	xs_add(&b, XS_TRANSACTION_START, NULL, 0, "%s", "");
	r = xs_run_checked(xs, &b, 0, false, errmsg);
	if (r == 0) {
		errno = 0;
		id = strtoul(b.r[0].reply ? b.r[0].reply : "", &end, 10);
		if (errno || !end || *end || !id || id > UINT32_MAX) {
			xb_fail_first(errmsg, "xenstore: cannot start a transaction: bad reply from xenstored");
			r = -1;
		}
		*tx = (uint32_t)id;
	} else if (r == -EAGAIN) {
		r = -1;                     /* no transaction to redo */
		xb_fail_first(errmsg, "xenstore: cannot start a transaction: %s",
			strerror(EAGAIN));
	}
	xs_batch_free(&b);
	return r;
}

int xs_tx_end(struct xb_xs *xs, uint32_t tx, bool commit, char **errmsg)
{
	struct xs_batch b = { 0 };
	int r = 0;

	xs_add(&b, XS_TRANSACTION_END, NULL, 0, "%s", commit ? "T" : "F");
	if (commit) {
		int e = xs_run(xs, &b, tx);

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
		(void)xs_run(xs, &b, tx);  /* abort: its failure changes nothing */
	}
	xs_batch_free(&b);
	return r;
}
