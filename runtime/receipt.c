/* SPDX-License-Identifier: MIT */
/* receipt.c - the record of each apply: see receipt.h. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "lib/blob.h"
#include "lib/identity.h"
#include "lib/errmsg.h"
#include "lib/hex.h"
#include "lib/quote.h"
#include "runtime/json.h"
#include "runtime/log.h"
#include "runtime/receipt.h"
#include "runtime/sink.h"
#include "runtime/statedir.h"

const char *xb_outcome_word(enum xb_outcome o)
{
	switch (o) {
	case XB_OUTCOME_APPLIED: return "applied";
	case XB_OUTCOME_UNDONE: return "undone";
	case XB_OUTCOME_ROLLED_BACK: return "rolled-back";
	case XB_OUTCOME_UNKNOWN: return "unknown";
	case XB_OUTCOME_NOT_ATTEMPTED: break;
	}
	return "not-attempted";
}

/* A JSON string: host values may be any bytes (see xb_put_quoted). */
static void put_str(FILE *f, const char *s)
{
	xb_put_quoted(f, s, XB_QUOTE_JSON);
}

/* A name or message from the host (an object's name, its uuid, an
 * error): cut after XB_MESSAGE_MAX bytes, so that a 250 MB name in a reply
 * does not become a 250 MB receipt. Keys and values are kept whole: they
 * are what the receipt records, bounded by XB_RECEIPT_MAX. */
static void put_capped(FILE *f, const char *s)
{
	size_t n = strlen(s);
	char *cut;

	if (n <= XB_MESSAGE_MAX) {
		put_str(f, s);
		return;
	}
	cut = malloc(XB_MESSAGE_MAX + 4);
	if (!cut) {
		put_str(f, "(too long)");
		return;
	}
	memcpy(cut, s, XB_MESSAGE_MAX);
	memcpy(cut + XB_MESSAGE_MAX, "...", 4);
	put_str(f, cut);
	free(cut);
}

static void put_str_or_null(FILE *f, const char *s)
{
	if (s)
		put_str(f, s);
	else
		fputs("null", f);
}

/* A change's line, built here and given to stdio in pieces of a few KB:
 * twenty stdio calls a change were half the instructions of a
 * 10,000-change receipt. What needs escapes or is too long goes through
 * stdio (xb_put_quoted) after what was built. */
struct line {
	FILE *f;
	size_t len;
	char buf[4096];
};

static void line_flush(struct line *l)
{
	if (l->len)
		fwrite(l->buf, 1, l->len, l->f);
	l->len = 0;
}

/* room for n more bytes, if a line can hold them at all */
static bool line_room(struct line *l, size_t n)
{
	if (n > sizeof(l->buf) - l->len)
		line_flush(l);
	return n <= sizeof(l->buf);
}

static void line_put(struct line *l, const char *s)
{
	size_t n = strlen(s);

	if (!line_room(l, n)) {
		fwrite(s, 1, n, l->f);
		return;
	}
	memcpy(l->buf + l->len, s, n);
	l->len += n;
}

/* What put_str (or put_capped) writes: built here when s is printable
 * ASCII without '"' or '\\' (names, uuids, keys and most values), which
 * xb_put_quoted copies as it is, and shorter than XB_MESSAGE_MAX. */
static void line_quoted(struct line *l, const char *s, bool capped)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n;

	for (n = 0; n < sizeof(l->buf) - 2 && p[n] >= 0x20 && p[n] < 0x7f &&
	     p[n] != '"' && p[n] != '\\'; n++)
		;
	if (p[n] || n > XB_MESSAGE_MAX) {
		line_flush(l);
		if (capped)
			put_capped(l->f, s);
		else
			put_str(l->f, s);
		return;
	}
	line_room(l, n + 2);
	l->buf[l->len++] = '"';
	memcpy(l->buf + l->len, s, n);
	l->len += n;
	l->buf[l->len++] = '"';
}

static void line_quoted_or_null(struct line *l, const char *s)
{
	if (s)
		line_quoted(l, s, false);
	else
		line_put(l, "null");
}

/* v in decimal */
static void line_uint(struct line *l, unsigned v)
{
	line_room(l, 10);
	l->len += xb_uint_text(l->buf + l->len, v);
}

static void put_changes(FILE *f, const struct xb_receipt *r)
{
	const struct xb_plan *p = r->plan;
	struct line l = { .f = f };
	size_t i;

	line_put(&l, ",\n \"changes\": [");
	for (i = 0; p && i < p->nchanges; i++) {
		const struct xb_change *c = &p->changes[i];

		line_put(&l, i ? ",\n  {\"op\": \"" : "\n  {\"op\": \"");
		line_put(&l, xb_change_op_word(c->op));
		line_put(&l, c->where == XB_WHERE_XAPI ?
			 "\", \"where\": \"xapi" : "\", \"where\": \"xenstore");
		line_put(&l, "\", \"class\": \"");
		line_put(&l, xb_class_keyword(c->cls));
		line_put(&l, "\", \"object\": ");
		line_quoted(&l, c->object, true);
		line_put(&l, ", \"uuid\": ");
		line_quoted(&l, c->uuid, true);
		if (c->domid >= 0) {
			line_put(&l, ", \"domid\": ");
			line_uint(&l, (unsigned)c->domid);
		} else {
			line_put(&l, ", \"domid\": null");
		}
		line_put(&l, ", \"field\": \"");
		line_put(&l, xb_field_xapi(c->field));
		line_put(&l, "\", \"key\": ");
		line_quoted(&l, c->key, false);
		line_put(&l, ", \"old\": ");
		line_quoted_or_null(&l, xb_change_shown(c, c->old_value));
		line_put(&l, ", \"new\": ");
		line_quoted_or_null(&l, xb_change_shown(c, c->new_value));
		line_put(&l, ", \"source\": ");
		line_quoted_or_null(&l, c->source[0] ? c->source : NULL);
		line_put(&l, ", \"owner\": ");
		line_quoted_or_null(&l, c->owner ? c->owner : XB_OWNER_DEFAULT);
		if (c->once)
			line_put(&l, ", \"once\": true");
		line_put(&l, c->bookkeeping ?
			 ", \"bookkeeping\": true, \"outcome\": \"" :
			 ", \"bookkeeping\": false, \"outcome\": \"");
		line_put(&l, xb_outcome_word(r->outcomes[i]));
		line_put(&l, "\"}");
	}
	line_put(&l, p && p->nchanges ? "\n ]" : "]");
	line_flush(&l);
}

#define EVERY_GUEST (-1)

/* Whether every xenstore change of guest domid (or of EVERY_GUEST) is in
 * place. */
static bool guest_written(const struct xb_receipt *r, int domid)
{
	const struct xb_plan *p = r->plan;
	size_t i;

	for (i = 0; i < p->nchanges; i++)
		if (p->changes[i].where == XB_WHERE_XENSTORE &&
		    (domid == EVERY_GUEST || p->changes[i].domid == domid) &&
		    r->outcomes[i] != XB_OUTCOME_APPLIED)
			return false;
	return true;
}

static void put_body(FILE *f, const struct xb_receipt *r)
{
	const struct xb_plan *p = r->plan;
	size_t add = 0, mod = 0, rem = 0, i, n;
	struct tm tm;
	char stamp[32];
	bool some_not_written;

	gmtime_r(&r->time.tv_sec, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
	fprintf(f, "{\"format\": %d, \"command\": \"apply\", \"version\": \"%s\",\n",
		XB_RECEIPT_FORMAT, PACKAGE_VERSION);
	fprintf(f, " \"time\": \"%s.%06ldZ\", \"seconds\": %.3f, \"pid\": %ld,\n",
		stamp, r->time.tv_nsec / 1000, r->seconds, (long)getpid());
	fprintf(f, " \"result\": \"%s\", \"error\": ", r->result);
	if (r->error)
		put_capped(f, r->error);
	else
		fputs("null", f);
	fputs(",\n \"blobs\": [", f);
	for (i = 0; i < r->nblobs; i++) {
		fprintf(f, "%s\n  {\"path\": ", i ? "," : "");
		put_str(f, r->blobs[i].path);
		fputs(", \"sha256\": ", f);
		if (r->blobs[i].sha256) {
			fputc('"', f);
			xb_hex_put(f, r->blobs[i].sha256, XBB_SHA256_SIZE);
			fputc('"', f);
		} else {
			fputs("null", f);
		}
		if (r->blobs[i].owner) {
			fputs(", \"owner\": ", f);
			put_str(f, r->blobs[i].owner);
		}
		fputc('}', f);
	}
	fputs(r->nblobs ? "\n ],\n \"identity\": " : "],\n \"identity\": ", f);
	if (r->identity) {
		fputc('"', f);
		xb_hex_put(f, r->identity, XB_IDENTITY_SIZE);
		fputc('"', f);
	} else {
		fputs("null", f);
	}
	fputs(", \"xapi\": ", f);
	put_str_or_null(f, r->xapi);
	fprintf(f, ", \"xenstore\": %s, \"verified\": %s",
		r->xenstore ? "true" : "false", r->verified ? "true" : "false");
	put_changes(f, r);
	if (p)
		xb_plan_count(p, false, &add, &mod, &rem);
	fprintf(f, ",\n \"summary\": {\"add\": %zu, \"change\": %zu, \"remove\": %zu},\n",
		add, mod, rem);
	fprintf(f, " \"xapi_calls\": {\"count\": %lu, \"writes\": [",
		r->xapi_calls);
	for (i = 0; p && r->actual && i < p->nwrites; i++) {
		const struct xb_object *ob = &r->actual->objects[p->writes[i].object];
		char call[256];

		snprintf(call, sizeof(call), "%s.set_%s %s",
			 xb_class_xapi(ob->cls),
			 xb_field_xapi(p->writes[i].field), ob->uuid);
		if (i)
			fputs(", ", f);
		put_str(f, call);
	}
	fputs("]},\n \"xenstore_requests\": ", f);
	if (r->xs)
		fprintf(f, "{\"transactions\": %u, \"reads\": %lu, \"writes\": %lu, \"removes\": %lu, \"mkdirs\": %lu, \"set_perms\": %lu}",
			r->xs->attempts, r->xs->reads, r->xs->writes,
			r->xs->removes, r->xs->mkdirs, r->xs->perms);
	else
		fputs("null", f);
	fputs(",\n \"xenstore_guests\": [", f);
	for (i = 0; p && i < p->nguests; i++)
		fprintf(f, "%s%d", i ? ", " : "", p->guests[i].domid);
	fputs("],\n \"xenstore_guests_not_written\": [", f);
	/* each guest looked up only when some xenstore change is not in
	 * place: guests times changes was 1,000,000 steps at 10,000 keys */
	some_not_written = p && r->outcomes &&
			   !guest_written(r, EVERY_GUEST);
	for (i = 0, n = 0; some_not_written && i < p->nguests; i++)
		if (!guest_written(r, p->guests[i].domid))
			fprintf(f, "%s%d", n++ ? ", " : "", p->guests[i].domid);
	fputs("]}\n", f);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void xb_receipt_names_free(char **names, size_t n)
{
	size_t i;

	for (i = 0; names && i < n; i++)
		free(names[i]);
	free(names);
}

/* The receipts' file names in the checked directory dfd, oldest first
 * (the names sort by time); regular files only. 0, or -1 with errno
 * (ENOMEM: *out holds what was listed). */
static int list_names(int dfd, char ***out, size_t *count)
{
	char **names = NULL, **grown;
	size_t n = 0;
	struct dirent *de;
	int fd = dup(dfd), r = 0;
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;

	*out = NULL;
	*count = 0;
	if (!d) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	while ((de = readdir(d))) {
		size_t len = strlen(de->d_name);

		if (de->d_name[0] == '.' || len < 6 ||
		    strcmp(de->d_name + len - 5, ".json") ||
		    de->d_type != DT_REG)
			continue;
		grown = realloc(names, (n + 1) * sizeof(*names));
		if (!grown || !(grown[n] = strdup(de->d_name))) {
			names = grown ? grown : names;
			errno = ENOMEM;
			r = -1;
			break;
		}
		names = grown;
		n++;
	}
	closedir(d);
	if (names)
		qsort(names, n, sizeof(*names), cmp_str);
	*out = names;
	*count = n;
	return r;
}

int xb_receipt_list(const char *dir, char ***paths, size_t *n,
		    char **errmsg)
{
	char *sub = NULL, **names = NULL;
	size_t count = 0, i;
	int dfd = -1, sfd = -1, rc = -1;

	*paths = NULL;
	*n = 0;
	*errmsg = NULL;
	if (asprintf(&sub, "%s/%s", dir, XB_RECEIPT_DIR) < 0)
		return xb_fail(errmsg, "out of memory");
	/* read-only, and through the checked directory only */
	dfd = xb_statedir_open(dir, false, errmsg);
	if (dfd >= 0)
		sfd = xb_statedir_subdir(dfd, dir, XB_RECEIPT_DIR, false,
					 errmsg);
	if (sfd < 0)
		goto out;
	if (list_names(sfd, &names, &count)) {
		xb_fail(errmsg, "cannot list %s: %s", sub, strerror(errno));
		goto out;
	}
	/* the same names, made paths */
	for (i = 0; i < count; i++) {
		char *path;

		if (asprintf(&path, "%s/%s", sub, names[i]) < 0) {
			xb_fail(errmsg, "out of memory");
			goto out;
		}
		free(names[i]);
		names[i] = path;
	}
	*paths = names;
	*n = count;
	names = NULL;
	rc = 0;
out:
	xb_receipt_names_free(names, count);
	if (sfd >= 0)
		close(sfd);
	if (dfd >= 0)
		close(dfd);
	free(sub);
	return rc;
}

/* Keeps the newest XB_RECEIPTS_KEPT receipts. Only in the checked
 * directory dfd: unlinkat never follows a symlink, and the directory was
 * opened without following one. */
static void prune(int dfd)
{
	char **names = NULL;
	size_t n = 0, i;

	if (list_names(dfd, &names, &n) && !names)
		return;
	for (i = 0; n > XB_RECEIPTS_KEPT && i < n - XB_RECEIPTS_KEPT; i++)
		unlinkat(dfd, names[i], 0);
	xb_receipt_names_free(names, n);
}

/* Streamed to DIR/receipts/NAME and DIR/last-receipt.json at once, never
 * whole in memory (about 350 bytes a change). Not synced: a receipt is a
 * record, not what makes apply safe (the journal is, and it is synced);
 * two fsyncs would double the cost of a no-op apply at boot. After a power
 * loss the newest receipt may be missing or empty, which status
 * reports. */
int xb_receipt_write(const char *dir, const struct xb_receipt *r,
		     char **written, char **errmsg)
{
	struct xb_sink s;
	char *sub = NULL, name[64], stamp[32];
	struct tm tm;
	int dfd = -1, sfd = -1, rc = -1;

	*errmsg = NULL;
	if (written)
		*written = NULL;
	xb_sink_init(&s, XB_RECEIPT_MAX, false);
	if (asprintf(&sub, "%s/%s", dir, XB_RECEIPT_DIR) < 0)
		return xb_fail(errmsg, "out of memory");
	dfd = xb_statedir_open(dir, true, errmsg);
	if (dfd < 0)
		goto out;
	gmtime_r(&r->time.tv_sec, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%S", &tm);
	snprintf(name, sizeof(name), "%s.%06ldZ.json", stamp,
		 r->time.tv_nsec / 1000);
	sfd = xb_statedir_subdir(dfd, dir, XB_RECEIPT_DIR, true, errmsg);
	if (sfd < 0 || xb_sink_add(&s, sfd, sub, name, NULL, errmsg) ||
	    xb_sink_add(&s, dfd, dir, XB_RECEIPT_LAST, NULL, errmsg) ||
	    xb_sink_open(&s, errmsg))
		goto fail;
	put_body(s.f, r);
	if (xb_sink_close(&s, errmsg))
		goto fail;
	/* what status cannot read back is no receipt: refused whole */
	if (s.len > XB_RECEIPT_MAX) {
		xb_fail(errmsg, "the receipt would be %zu bytes, over the %u bytes status reads back",
			s.len, XB_RECEIPT_MAX);
		goto fail;
	}
	if (xb_sink_commit(&s, 0, errmsg))
		goto fail;
	prune(sfd);
	if (written && asprintf(written, "%s/%s", sub, name) < 0)
		*written = NULL;
	rc = 0;
	goto out;
fail:
	/* an older last receipt would tell status of the wrong apply:
	 * without it, status says the last one is missing */
	xb_sink_abandon(&s);
	unlinkat(dfd, XB_RECEIPT_LAST, 0);
out:
	if (sfd >= 0)
		close(sfd);
	if (dfd >= 0)
		close(dfd);
	free(sub);
	return rc;
}

/* A receipt from the open fd (path in messages), closed after: at most
 * XB_RECEIPT_MAX bytes, the bound the writer keeps. */
static int read_receipt(int fd, const char *path, char **text, size_t *len,
			char **errmsg)
{
	char *buf = NULL, *grown;
	size_t n = 0, cap = 0;
	ssize_t got;

	for (;;) {
		if (n == cap) {
			/* no receipt xenbake writes is bigger (checked when
			 * writing) */
			if (cap > XB_RECEIPT_MAX) {
				xb_fail(errmsg, "%s: too big for a receipt", path);
				goto fail;
			}
			cap = cap ? cap * 2 : 16384;
			if (cap > XB_RECEIPT_MAX)
				cap = XB_RECEIPT_MAX + 1;
			grown = realloc(buf, cap);
			if (!grown) {
				xb_fail(errmsg, "out of memory");
				goto fail;
			}
			buf = grown;
		}
		got = read(fd, buf + n, cap - n);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			xb_fail(errmsg, "cannot read %s: %s", path,
				strerror(errno));
			goto fail;
		}
		if (!got)
			break;
		n += got;
	}
	close(fd);
	*text = buf;
	*len = n;
	return 0;
fail:
	close(fd);
	free(buf);
	errno = EIO;
	return -1;
}

int xb_receipt_read_last(const char *dir, char **text, size_t *len,
			 char **errmsg)
{
	char *path = NULL, *why = NULL;
	int dfd, fd, e, r = -1;

	*text = NULL;
	*len = 0;
	*errmsg = NULL;
	if (asprintf(&path, "%s/%s", dir, XB_RECEIPT_LAST) < 0)
		return xb_fail(errmsg, "out of memory");
	dfd = xb_statedir_open(dir, false, &why);
	fd = dfd < 0 ? -1 : xb_statedir_openat(dfd, dir, XB_RECEIPT_LAST,
						O_RDONLY, 0, &why);
	e = errno;
	if (dfd >= 0)
		close(dfd);
	if (fd < 0) {
		if (e == ENOENT)
			xb_fail(errmsg, "no apply recorded in %s: %s", dir,
				strerror(e));
		else
			xb_fail(errmsg, "%s", why ? why : "out of memory");
	} else {
		r = read_receipt(fd, path, text, len, errmsg);
		e = errno;
	}
	free(why);
	free(path);
	errno = e;
	return r;
}

int xb_receipt_read(const char *path, char **text, size_t *len,
		    char **errmsg)
{
	struct stat st;
	int fd, e;

	*text = NULL;
	*len = 0;
	*errmsg = NULL;
	/* a name xb_receipt_list gave: no symlink followed, no FIFO waited on */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK |
		  O_NOFOLLOW);
	if (fd < 0 || fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		e = fd < 0 ? errno : EINVAL;
		if (fd >= 0)
			close(fd);
		xb_fail(errmsg, "cannot open %s: %s", path,
			e == EINVAL ? "not a regular file" : strerror(e));
		errno = e;
		return -1;
	}
	return read_receipt(fd, path, text, len, errmsg);
}
