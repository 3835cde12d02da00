/* SPDX-License-Identifier: MIT */
/* journal.c - the apply journal: its format and its durable file (see
 * journal.h). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/atomic.h"
#include "lib/errmsg.h"
#include "lib/hex.h"
#include "lib/sha256.h"
#include "runtime/journal.h"
#include "runtime/sink.h"
#include "runtime/statedir.h"

#define MAGIC "xenbake-journal"
#define END_LINE_SIZE (4 + 2 * XB_JOURNAL_SHA256_SIZE + 1)   /* "end HEX\n" */

void xb_journal_free(struct xb_journal *j)
{
	size_t i;

	for (i = 0; j->writes && i < j->nwrites; i++) {
		free(j->writes[i].uuid);
		free(j->writes[i].object);
		free(j->writes[i].source);
		xb_map_free(&j->writes[i].old_map);
		xb_map_free(&j->writes[i].new_map);
	}
	free(j->writes);
	free(j->blobs);
	free(j->boot_id);
	memset(j, 0, sizeof(*j));
}

/* ---- writing ------------------------------------------------------------ */

static void put_string(FILE *f, const char *s)
{
	size_t n = strlen(s);

	fprintf(f, "%zu:", n);
	fwrite(s, 1, n, f);
}

static void put_map(FILE *f, const char *tag, const struct xb_map *m)
{
	size_t i;

	fprintf(f, "%s %zu\n", tag, m->n);
	for (i = 0; i < m->n; i++) {
		fputs("kv ", f);
		put_string(f, m->kv[i].key);
		fputc(' ', f);
		put_string(f, m->kv[i].value);
		fputc('\n', f);
	}
}

/* Every byte before the "end" line. */
static void put_body(FILE *f, const struct xb_journal *j)
{
	char hex[2 * XB_JOURNAL_SHA256_SIZE + 1];
	size_t i;

	fprintf(f, "%s %d\ntime %lld\nowner %d ", MAGIC, XB_JOURNAL_VERSION,
		j->time, j->pid);
	put_string(f, j->boot_id ? j->boot_id : "");
	fprintf(f, "\nblobs %zu\n", j->nblobs);
	for (i = 0; i < j->nblobs; i++) {
		xb_hex(hex, j->blobs[i], XB_JOURNAL_SHA256_SIZE);
		fprintf(f, "blob %s\n", hex);
	}
	fprintf(f, "writes %zu\n", j->nwrites);
	for (i = 0; i < j->nwrites; i++) {
		const struct xb_journal_write *w = &j->writes[i];

		fprintf(f, "write %s %s ", xb_class_xapi(w->cls),
			xb_field_xapi(w->field));
		put_string(f, w->uuid);
		fputc(' ', f);
		put_string(f, w->object);
		fputc(' ', f);
		put_string(f, w->source);
		fputc('\n', f);
		put_map(f, "old", &w->old_map);
		put_map(f, "new", &w->new_map);
	}
}

static void put_end(FILE *f, const unsigned char h[XB_JOURNAL_SHA256_SIZE])
{
	char hex[2 * XB_JOURNAL_SHA256_SIZE + 1];

	xb_hex(hex, h, XB_JOURNAL_SHA256_SIZE);
	fprintf(f, "end %s\n", hex);
}

int xb_journal_format(const struct xb_journal *j, char **buf, size_t *len,
		      char **errmsg)
{
	unsigned char h[XB_JOURNAL_SHA256_SIZE];
	FILE *f;

	*buf = NULL;
	*len = 0;
	f = open_memstream(buf, len);
	if (!f)
		return xb_fail(errmsg, "out of memory");
	put_body(f, j);
	if (fflush(f) || ferror(f)) {
		fclose(f);
		free(*buf);
		*buf = NULL;
		return xb_fail(errmsg, "out of memory");
	}
	xb_sha256(h, *buf, *len);
	put_end(f, h);
	if (fclose(f)) {
		free(*buf);
		*buf = NULL;
		return xb_fail(errmsg, "out of memory");
	}
	return 0;
}

/* ---- reading (untrusted) ------------------------------------------------- */

struct cursor {
	const char *p, *end;
	unsigned line;
	char **errmsg;
};

static int bad(struct cursor *c, const char *what)
{
	return xb_fail(c->errmsg, "line %u: %s", c->line, what);
}

static int expect_char(struct cursor *c, char ch, const char *what)
{
	if (c->p >= c->end || *c->p != ch)
		return bad(c, what);
	c->p++;
	if (ch == '\n')
		c->line++;
	return 0;
}

/* The word tag, then a space. */
static int expect_tag(struct cursor *c, const char *tag)
{
	size_t n = strlen(tag);

	if ((size_t)(c->end - c->p) <= n || memcmp(c->p, tag, n) ||
	    c->p[n] != ' ')
		return xb_fail(c->errmsg, "line %u: \"%s\" expected", c->line,
			       tag);
	c->p += n + 1;
	return 0;
}

/* Decimal, no sign, no leading zero, at most max. */
static int read_uint(struct cursor *c, unsigned long long max,
		     unsigned long long *v)
{
	unsigned long long n = 0;
	const char *start = c->p;

	while (c->p < c->end && *c->p >= '0' && *c->p <= '9') {
		unsigned d = (unsigned)(*c->p - '0');

		if (n > (max - d) / 10)
			return bad(c, "number out of range");
		n = n * 10 + d;
		c->p++;
	}
	if (c->p == start)
		return bad(c, "number expected");
	if (*start == '0' && c->p - start > 1)
		return bad(c, "number with a leading zero");
	*v = n;
	return 0;
}

/* LEN:BYTES, no NUL in BYTES. */
static int read_string(struct cursor *c, char **out)
{
	unsigned long long n;
	const char *s;
	size_t i;

	if (read_uint(c, XB_JOURNAL_STRING_MAX, &n) ||
	    expect_char(c, ':', "':' expected after a string's length"))
		return -1;
	if (n > (unsigned long long)(c->end - c->p))
		return bad(c, "a string runs past the end of the file");
	s = c->p;
	for (i = 0; i < n; i++) {
		if (!s[i])
			return bad(c, "a string holds a NUL byte");
		c->line += s[i] == '\n';
	}
	*out = strndup(s, (size_t)n);
	if (!*out)
		return xb_fail(c->errmsg, "out of memory");
	c->p += n;
	return 0;
}

static int hex_digit(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	return -1;
}

static int read_hex(struct cursor *c, unsigned char *out, size_t n)
{
	size_t i;

	if ((size_t)(c->end - c->p) < 2 * n)
		return bad(c, "a SHA-256 is cut short");
	for (i = 0; i < n; i++) {
		int hi = hex_digit(c->p[2 * i]), lo = hex_digit(c->p[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return bad(c, "a SHA-256 must be 64 lowercase hex digits");
		out[i] = (unsigned char)(hi << 4 | lo);
	}
	c->p += 2 * n;
	return 0;
}

/* "TAG N\n", N at most what the rest of the file could hold at min_size
 * bytes per item. */
static int read_count(struct cursor *c, const char *tag, size_t min_size,
		      size_t *n)
{
	unsigned long long v;

	if (expect_tag(c, tag) || read_uint(c, SIZE_MAX, &v) ||
	    expect_char(c, '\n', "end of line expected after a count"))
		return -1;
	if (v > (unsigned long long)(c->end - c->p) / min_size)
		return bad(c, "a count larger than the file could hold");
	*n = (size_t)v;
	return 0;
}

static int read_map(struct cursor *c, const char *tag, struct xb_map *m)
{
	char *key = NULL, *value = NULL;
	size_t n, i;
	int r = -1;

	if (read_count(c, tag, sizeof("kv 0: 0:\n") - 1, &n))
		return -1;
	for (i = 0; i < n; i++) {
		if (expect_tag(c, "kv") || read_string(c, &key) ||
		    expect_char(c, ' ', "' ' expected between key and value") ||
		    read_string(c, &value) ||
		    expect_char(c, '\n', "end of line expected after a value"))
			goto out;
		if (m->n && strcmp(m->kv[m->n - 1].key, key) >= 0) {
			bad(c, "keys out of order or repeated");
			goto out;
		}
		if (xb_map_set(m, key, value)) {
			xb_fail(c->errmsg, "out of memory");
			goto out;
		}
		free(key);
		free(value);
		key = value = NULL;
	}
	r = 0;
out:
	free(key);
	free(value);
	return r;
}

static int read_name(struct cursor *c, const char **names, int max, int *v)
{
	int i;

	for (i = 1; i <= max; i++) {
		size_t n = strlen(names[i]);

		if ((size_t)(c->end - c->p) > n && !memcmp(c->p, names[i], n) &&
		    c->p[n] == ' ') {
			c->p += n + 1;
			*v = i;
			return 0;
		}
	}
	return bad(c, "unknown class or field");
}

static int read_write(struct cursor *c, struct xb_journal_write *w)
{
	const char *classes[XB_CLASS_MAX + 1], *fields[XB_FIELD_MAX + 1];
	int cls, field, i;

	for (i = 1; i <= XB_CLASS_MAX; i++)
		classes[i] = xb_class_xapi((enum xb_class)i);
	for (i = 1; i <= XB_FIELD_MAX; i++)
		fields[i] = xb_field_xapi((enum xb_field)i);
	if (expect_tag(c, "write") ||
	    read_name(c, classes, XB_CLASS_MAX, &cls) ||
	    read_name(c, fields, XB_FIELD_MAX, &field))
		return -1;
	w->cls = (enum xb_class)cls;
	w->field = (enum xb_field)field;
	if ((w->field == XB_FIELD_XENSTORE_DATA && w->cls != XB_CLASS_VM) ||
	    (w->field == XB_FIELD_NAME_LABEL && w->cls != XB_CLASS_SR) ||
	    (w->field == XB_FIELD_TAGS && w->cls != XB_CLASS_VM) ||
	    (w->field == XB_FIELD_NAME_DESCRIPTION &&
	     w->cls != XB_CLASS_VM && w->cls != XB_CLASS_SR &&
	     w->cls != XB_CLASS_NETWORK))
		return bad(c, "a field that class has not");
	if (read_string(c, &w->uuid) ||
	    expect_char(c, ' ', "' ' expected after the uuid") ||
	    read_string(c, &w->object) ||
	    expect_char(c, ' ', "' ' expected after the object") ||
	    read_string(c, &w->source) ||
	    expect_char(c, '\n', "end of line expected after a write") ||
	    read_map(c, "old", &w->old_map) || read_map(c, "new", &w->new_map))
		return -1;
	if (!w->uuid[0])
		return bad(c, "a write with no uuid");
	if ((w->field == XB_FIELD_NAME_LABEL ||
	     w->field == XB_FIELD_NAME_DESCRIPTION) &&
	    (w->old_map.n != 1 || w->new_map.n != 1 ||
	     w->old_map.kv[0].key[0] || w->new_map.kv[0].key[0]))
		return bad(c, "a name_label or name_description must be one value with the key \"\"");
	return 0;
}

int xb_journal_parse(const char *buf, size_t len, struct xb_journal *j,
		     char **errmsg)
{
	struct cursor c = { buf, buf, 1, errmsg };
	unsigned char want[XB_JOURNAL_SHA256_SIZE], got[XB_JOURNAL_SHA256_SIZE];
	unsigned long long v;
	size_t i;

	memset(j, 0, sizeof(*j));
	*errmsg = NULL;
	/* the checksum first: a torn or flipped file fails here */
	if (len < END_LINE_SIZE || buf[len - 1] != '\n' ||
	    memcmp(buf + len - END_LINE_SIZE, "end ", 4) ||
	    (len > END_LINE_SIZE && buf[len - END_LINE_SIZE - 1] != '\n'))
		return xb_fail(errmsg, "no \"end\" line at the end: cut short");
	c.p = buf + len - END_LINE_SIZE + 4;
	c.end = buf + len - 1;
	if (read_hex(&c, want, sizeof(want)))
		return -1;
	xb_sha256(got, buf, len - END_LINE_SIZE);
	if (memcmp(want, got, sizeof(got)))
		return xb_fail(errmsg, "the checksum does not match: the file was changed or damaged");

	c.p = buf;
	c.end = buf + len - END_LINE_SIZE;
	c.line = 1;
	if ((size_t)(c.end - c.p) <= strlen(MAGIC) ||
	    memcmp(c.p, MAGIC " ", strlen(MAGIC) + 1))
		return xb_fail(errmsg, "not a xenbake journal");
	c.p += strlen(MAGIC) + 1;
	if (read_uint(&c, INT_MAX, &v) ||
	    expect_char(&c, '\n', "end of line expected after the version"))
		return -1;
	if (v != XB_JOURNAL_VERSION)
		return xb_fail(errmsg, "version %llu, this xenbake reads version %d",
			       v, XB_JOURNAL_VERSION);
	if (expect_tag(&c, "time") || read_uint(&c, LLONG_MAX, &v) ||
	    expect_char(&c, '\n', "end of line expected after the time"))
		return -1;
	j->time = (long long)v;
	if (expect_tag(&c, "owner") || read_uint(&c, INT_MAX, &v) ||
	    expect_char(&c, ' ', "' ' expected after the pid") ||
	    read_string(&c, &j->boot_id) ||
	    expect_char(&c, '\n', "end of line expected after the owner"))
		return -1;
	j->pid = (int)v;
	if (read_count(&c, "blobs", 5 + 2 * XB_JOURNAL_SHA256_SIZE + 1,
		       &j->nblobs))
		return -1;
	j->blobs = calloc(j->nblobs + 1, sizeof(*j->blobs));
	if (!j->blobs)
		return xb_fail(errmsg, "out of memory");
	for (i = 0; i < j->nblobs; i++)
		if (expect_tag(&c, "blob") ||
		    read_hex(&c, j->blobs[i], XB_JOURNAL_SHA256_SIZE) ||
		    expect_char(&c, '\n', "end of line expected after a blob"))
			return -1;
	/* the shortest write: "write PIF other_config 1:u 0: 0:\n"
	 * "old 0\nnew 0\n" */
	if (read_count(&c, "writes", 40, &j->nwrites))
		return -1;
	j->writes = calloc(j->nwrites + 1, sizeof(*j->writes));
	if (!j->writes)
		return xb_fail(errmsg, "out of memory");
	for (i = 0; i < j->nwrites; i++)
		if (read_write(&c, &j->writes[i]))
			return -1;
	if (c.p != c.end)
		return bad(&c, "more after the last write");
	return 0;
}

/* ---- the file ------------------------------------------------------------ */

/* The first line of a small /proc file, without its newline; "" if none. */
static char *proc_line(const char *path)
{
	char buf[256];
	FILE *f = fopen(path, "re");
	size_t n = 0;

	if (f) {
		if (fgets(buf, sizeof(buf), f))
			n = strcspn(buf, "\n");
		fclose(f);
	}
	buf[n] = '\0';
	return strdup(buf);
}

char *xb_journal_boot_id(void)
{
	return proc_line("/proc/sys/kernel/random/boot_id");
}

bool xb_journal_owner_alive(const struct xb_journal *j)
{
	char *boot = xb_journal_boot_id(), *comm = NULL, path[64];
	bool alive = false;

	/* another boot's pid means nothing; a reused pid is not a xenbake */
	if (boot && boot[0] && j->boot_id && !strcmp(boot, j->boot_id) &&
	    j->pid > 0 && j->pid != getpid()) {
		snprintf(path, sizeof(path), "/proc/%d/comm", j->pid);
		comm = proc_line(path);
		alive = comm && !strncmp(comm, "xenbake", 7);
	}
	free(boot);
	free(comm);
	return alive;
}

/* Streamed to the file, hashed as it goes: the plan's maps are not
 * formatted in memory first. */
int xb_journal_write(const char *dir, const struct xb_journal *j,
		     char **errmsg)
{
	unsigned char h[XB_JOURNAL_SHA256_SIZE];
	struct xb_sink s;
	int dfd, r = -1;

	xb_sink_init(&s, XB_JOURNAL_MAX, true);
	dfd = xb_statedir_open(dir, true, errmsg);
	if (dfd < 0)
		return -1;
	if (xb_sink_add(&s, dfd, dir, XB_JOURNAL_NAME, XB_JOURNAL_NAME ".tmp",
			errmsg) ||
	    xb_sink_open(&s, errmsg))
		goto out;
	put_body(s.f, j);
	if (fflush(s.f)) {
		xb_fail(errmsg, "out of memory");
		goto out;
	}
	xb_sha256_final(&s.sha, h);
	s.hashing = false;           /* the end line is not hashed */
	put_end(s.f, h);
	if (xb_sink_close(&s, errmsg))
		goto out;
	/* what cannot be read back cannot recover anything: refused here,
	 * before the first XenAPI write */
	if (s.len > XB_JOURNAL_MAX) {
		xb_fail(errmsg, "the journal would be %zu bytes, over the %u bytes xenbake reads back: the plan's maps are too big to journal; apply the configuration in parts (blobs with different owners, each applied by its own run)",
			s.len, XB_JOURNAL_MAX);
		r = -2;
		goto out;
	}
	r = xb_sink_commit(&s, XB_ATOMIC_SYNC, errmsg);
out:
	if (r)
		xb_sink_abandon(&s);
	close(dfd);
	return r;
}

int xb_journal_read(const char *dir, struct xb_journal *j, bool *found,
		    char **errmsg)
{
	char *path = NULL, *buf = NULL, *why = NULL;
	struct stat st;
	size_t off = 0;
	int dfd = -1, fd = -1, r = -1;

	memset(j, 0, sizeof(*j));
	*found = false;
	if (asprintf(&path, "%s/" XB_JOURNAL_NAME, dir) < 0)
		return xb_fail(errmsg, "out of memory");
	dfd = xb_statedir_open(dir, false, &why);
	if (dfd < 0 && errno == ENOENT) {
		r = 0;
		goto out;
	}
	if (dfd < 0) {
		*found = true;
		xb_fail(errmsg, "%s", why ? why : "out of memory");
		goto out;
	}
	fd = xb_statedir_openat(dfd, dir, XB_JOURNAL_NAME, O_RDONLY, 0, &why);
	if (fd < 0 && errno == ENOENT) {
		r = 0;
		goto out;
	}
	*found = true;
	if (fd < 0) {
		xb_fail(errmsg, "%s", why ? why : "out of memory");
		goto out;
	}
	if (fstat(fd, &st)) {
		xb_fail(errmsg, "cannot read %s: %s", path, strerror(errno));
		goto out;
	}
	if (st.st_size > (off_t)XB_JOURNAL_MAX) {
		xb_fail(errmsg, "%s is corrupt: %s", path,
			"larger than any journal xenbake writes");
		goto out;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf) {
		xb_fail(errmsg, "out of memory");
		goto out;
	}
	while (off < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + off, (size_t)st.st_size - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			xb_fail(errmsg, "cannot read %s: %s", path,
				strerror(errno));
			goto out;
		}
		if (n == 0)
			break;              /* shrank under us: the parse says */
		off += (size_t)n;
	}
	if (xb_journal_parse(buf, off, j, &why)) {
		xb_fail(errmsg, "%s is corrupt: %s", path,
			why ? why : "out of memory");
		xb_journal_free(j);
		goto out;
	}
	r = 0;
out:
	if (fd >= 0)
		close(fd);
	if (dfd >= 0)
		close(dfd);
	free(why);
	free(buf);
	free(path);
	return r;
}

int xb_journal_remove(const char *dir, char **errmsg)
{
	char *why = NULL;
	int dfd = xb_statedir_open(dir, false, &why), r = 0;

	if (dfd < 0) {
		r = errno == ENOENT ? 0 : xb_fail(errmsg, "%s",
						  why ? why : "out of memory");
		free(why);
		return r;
	}
	if (unlinkat(dfd, XB_JOURNAL_NAME, 0) && errno != ENOENT)
		r = xb_fail(errmsg, "cannot remove %s/%s: %s", dir,
			    XB_JOURNAL_NAME, strerror(errno));
	else if (fsync(dfd))
		r = xb_fail(errmsg, "cannot sync the directory %s: %s", dir,
			    strerror(errno));
	close(dfd);
	return r;
}
