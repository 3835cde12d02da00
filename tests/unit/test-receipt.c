/* SPDX-License-Identifier: MIT */
/* test-receipt.c - the JSON reader `status` uses, and receipts read back
 * through it: every byte a host may hold in a value survives as valid JSON,
 * and the newest receipts are kept; receipts and the journal are streamed
 * to their files (sink.h), never built whole in memory. */
#include <check.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runtime/json.h"
#include "runtime/log.h"
#include "lib/sha256.h"
#include "runtime/receipt.h"
#include "runtime/sink.h"
#include "tests/unit/check-main.h"

#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#else
#define RUNNING_ON_VALGRIND 0
#endif

static int parse(const char *text, struct xb_json *j, char **err)
{
	return xb_json_parse(text, strlen(text), j, err);
}

START_TEST(reads_every_kind_of_value)
{
	struct xb_json j;
	const struct xb_json *a;
	char *err = NULL;

	ck_assert_int_eq(parse(" {\"s\": \"a\\\"b\\\\c\\n\\u00e9\\ud83d\\ude00\", \"n\": -12.5e1,"
			       " \"t\": true, \"f\": false, \"z\": null, \"a\": [1, [], {}],"
			       " \"m\": [0, -0, 0.25, 1E+2, 3e-1], \"u\": \"caf\xc3\xa9\"} ",
			       &j, &err), 0);
	ck_assert_ptr_null(err);
	ck_assert_str_eq(xb_json_str(&j, "s", NULL), "a\"b\\c\n\xc3\xa9\xf0\x9f\x98\x80");
	ck_assert(xb_json_num(&j, "n", 0) == -125.0);
	ck_assert(xb_json_bool(&j, "t", false));
	ck_assert(!xb_json_bool(&j, "f", true));
	ck_assert_int_eq(xb_json_get(&j, "z")->type, XB_JSON_NULL);
	a = xb_json_get(&j, "a");
	ck_assert_int_eq(a->type, XB_JSON_ARRAY);
	ck_assert_uint_eq(a->n, 3);
	ck_assert_int_eq(a->items[1].type, XB_JSON_ARRAY);
	ck_assert_int_eq(a->items[2].type, XB_JSON_OBJECT);
	a = xb_json_get(&j, "m");
	ck_assert_uint_eq(a->n, 5);
	ck_assert(a->items[2].number == 0.25 && a->items[3].number == 100.0);
	ck_assert_str_eq(xb_json_str(&j, "u", NULL), "caf\xc3\xa9");
	/* absent or of another type: the default */
	ck_assert_str_eq(xb_json_str(&j, "n", "def"), "def");
	ck_assert_ptr_null(xb_json_get(&j, "nope"));
	xb_json_free(&j);
}
END_TEST

START_TEST(refuses_what_is_not_json)
{
	static const char *bad[] = {
		"", "{", "[1,]", "{\"a\" 1}", "{\"a\":1,}", "\"abc", "tru",
		"\"\\x\"", "\"\\ud800\"", "\"\\udc00x\"", "\"\\u0000\"",
		"\"a\tb\"", "1 2", "{1:2}", "nul", "-", "\"\\u12\"",
		/* numbers strtod reads and JSON has not */
		"-inf", "-nan", "0x10", "-0x1p3", "01", "1.", "1.e5", "1e",
		"1e+", "-.5", "1e999",
		/* JSON text is UTF-8 */
		"\"\xff\"", "\"a\xc3\"", "\"\xed\xa0\x80\"", "\"\xc0\xaf\"",
	};
	char deep[2 * XB_JSON_MAX_DEPTH + 3];
	struct xb_json j;
	char *err;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err = NULL;
		ck_assert_msg(parse(bad[i], &j, &err) == -1, "accepted %s", bad[i]);
		ck_assert_ptr_nonnull(err);
		free(err);
		xb_json_free(&j);
	}
	memset(deep, '[', XB_JSON_MAX_DEPTH + 1);
	memset(deep + XB_JSON_MAX_DEPTH + 1, ']', XB_JSON_MAX_DEPTH + 1);
	deep[2 * XB_JSON_MAX_DEPTH + 2] = '\0';
	err = NULL;
	ck_assert_int_eq(parse(deep, &j, &err), -1);
	ck_assert_ptr_nonnull(strstr(err, "nested too deeply"));
	free(err);
	xb_json_free(&j);
	/* a NUL inside the text is no JSON either */
	err = NULL;
	ck_assert_int_eq(xb_json_parse("\"a\0b\"", 5, &j, &err), -1);
	free(err);
	xb_json_free(&j);
	/* errors name the line */
	err = NULL;
	ck_assert_int_eq(parse("{\n\"a\":\n}", &j, &err), -1);
	ck_assert_str_eq(err, "line 3: unexpected character");
	free(err);
	xb_json_free(&j);
}
END_TEST

static char *tmpdir(void)
{
	char *d = strdup("/tmp/test-receipt.XXXXXX");

	ck_assert_ptr_nonnull(mkdtemp(d));
	return d;
}

static void rm_rf(const char *dir)
{
	char *cmd;

	ck_assert_int_ge(asprintf(&cmd, "rm -rf '%s'", dir), 0);
	ck_assert_int_eq(system(cmd), 0);
	free(cmd);
}

/* A receipt of one change whose old value holds bytes that are no UTF-8
 * and control characters, as xenstore allows. */
START_TEST(receipt_round_trips_any_bytes)
{
	static char old_value[] = "a\xff\x01\"\\\xc3\xa9\xed\xa0\x80z";
	static char object[] = "web-01", uuid[] = "u-1", key[] = "vm-data/role",
		    new_value[] = "frontend", source[] = "site.xb:1:15",
		    owner[] = "team-a";
	struct xb_change c = {
		.op = XB_CHANGE_MODIFY, .where = XB_WHERE_XENSTORE,
		.cls = XB_CLASS_VM, .object = object, .uuid = uuid,
		.domid = 5, .field = XB_FIELD_XENSTORE_DATA,
		.key = key, .old_value = old_value,
		.new_value = new_value, .source = source, .owner = owner,
		.once = true,
	};
	struct xb_plan p = { .changes = &c, .nchanges = 1 };
	enum xb_outcome out = XB_OUTCOME_UNDONE;
	unsigned char sum[32] = { 0xab, 0x01 };
	struct xb_receipt_blob blob = { "/etc/xenbake/a \"b\".xbb", sum,
					"team-a" };
	struct xb_receipt r = {
		.time = { 1700000000, 123456000 }, .result = "error",
		.error = "it\nfailed", .blobs = &blob, .nblobs = 1,
		.xapi = NULL, .xenstore = true, .plan = &p, .outcomes = &out,
		.verified = true, .xapi_calls = 0,
	};
	char *dir = tmpdir(), *err = NULL, *path = NULL, *text = NULL;
	const struct xb_json *ch, *b;
	struct xb_json j;
	size_t len;

	ck_assert_int_eq(xb_receipt_write(dir, &r, &path, &err), 0);
	ck_assert_ptr_nonnull(strstr(path, "/receipts/20231114T221320.123456Z.json"));
	ck_assert_int_eq(xb_receipt_read_last(dir, &text, &len, &err), 0);
	ck_assert_int_eq(xb_json_parse(text, len, &j, &err), 0);
	ck_assert_str_eq(xb_json_str(&j, "time", ""), "2023-11-14T22:13:20.123456Z");
	ck_assert_str_eq(xb_json_str(&j, "result", ""), "error");
	ck_assert_str_eq(xb_json_str(&j, "error", ""), "it\nfailed");
	ck_assert_int_eq(xb_json_get(&j, "xapi")->type, XB_JSON_NULL);
	b = &xb_json_get(&j, "blobs")->items[0];
	ck_assert_str_eq(xb_json_str(b, "path", ""), "/etc/xenbake/a \"b\".xbb");
	ck_assert_str_eq(xb_json_str(b, "sha256", ""),
			 "ab01000000000000000000000000000000000000000000000000000000000000");
	ck_assert_str_eq(xb_json_str(b, "owner", ""), "team-a");
	ch = &xb_json_get(&j, "changes")->items[0];
	ck_assert_str_eq(xb_json_str(ch, "owner", ""), "team-a");
	ck_assert(xb_json_bool(ch, "once", false));
	/* valid UTF-8 kept; each other byte as the code point of its value */
	ck_assert_str_eq(xb_json_str(ch, "old", ""),
			 "a\xc3\xbf\x01\"\\\xc3\xa9\xc3\xad\xc2\xa0\xc2\x80z");
	ck_assert_str_eq(xb_json_str(ch, "outcome", ""), "undone");
	ck_assert(xb_json_num(ch, "domid", -1) == 5);
	ck_assert_int_eq(xb_json_get(&j, "xenstore_requests")->type, XB_JSON_NULL);
	xb_json_free(&j);
	free(text);
	free(path);
	rm_rf(dir);
	free(dir);
}
END_TEST

START_TEST(keeps_the_newest_receipts)
{
	struct xb_receipt r = { .result = "no changes" };
	char *dir = tmpdir(), *err = NULL, *sub;
	struct dirent *de;
	size_t n = 0;
	bool first_kept = false;
	DIR *d;
	int i;

	for (i = 0; i < XB_RECEIPTS_KEPT + 5; i++) {
		r.time.tv_sec = 1700000000 + i;
		ck_assert_int_eq(xb_receipt_write(dir, &r, NULL, &err), 0);
	}
	ck_assert_int_ge(asprintf(&sub, "%s/receipts", dir), 0);
	d = opendir(sub);
	ck_assert_ptr_nonnull(d);
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		n++;
		/* the first five went: 1700000005 is the oldest left */
		first_kept |= !strcmp(de->d_name, "20231114T221325.000000Z.json");
		ck_assert_str_ge(de->d_name, "20231114T221325.000000Z.json");
	}
	closedir(d);
	ck_assert_uint_eq(n, XB_RECEIPTS_KEPT);
	ck_assert(first_kept);
	free(sub);
	rm_rf(dir);
	free(dir);
}
END_TEST

/* Foreign bytes in a message (a guest's ESC sequence) are escaped, and a
 * huge one is cut: stderr and the log never carry them as they are. */
START_TEST(messages_are_escaped_and_cut)
{
	char *buf = NULL, *huge = malloc(1 << 20);
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	ck_assert_ptr_nonnull(f);
	ck_assert_ptr_nonnull(huge);
	xb_put_message(f, "guest \033[2J\177 name");
	memset(huge, 'x', (1 << 20) - 1);
	huge[(1 << 20) - 1] = '\0';
	xb_put_message(f, huge);
	fclose(f);
	ck_assert_ptr_nonnull(strstr(buf, "guest \\x1b[2J\\x7f name\n"));
	ck_assert_ptr_null(strchr(buf, '\033'));
	ck_assert_uint_le(len, 2 * XB_MESSAGE_MAX);
	ck_assert_ptr_nonnull(strstr(buf, "xxx...\n"));
	free(buf);
	free(huge);
}
END_TEST

/* Names and messages from the host reach a receipt escaped and cut: a
 * 1 MB VM name holding an ESC sequence and a 1 MB error make a receipt of
 * a few KB, valid JSON, with no control byte in it. */
START_TEST(foreign_names_are_escaped_and_capped)
{
	char *huge = malloc(1 << 20), *dir = tmpdir(), *err = NULL;
	char *text = NULL;
	static char uuid[] = "u-1", key[] = "vm-data/role", v[] = "x";
	struct xb_change c = {
		.op = XB_CHANGE_ADD, .where = XB_WHERE_XENSTORE,
		.cls = XB_CLASS_VM, .uuid = uuid, .domid = 5,
		.field = XB_FIELD_XENSTORE_DATA, .key = key, .new_value = v,
		.source = v,
	};
	struct xb_plan p = { .changes = &c, .nchanges = 1 };
	enum xb_outcome out = XB_OUTCOME_UNDONE;
	struct xb_receipt r = {
		.time = { 1700000000, 0 }, .result = "error",
		.xenstore = true, .plan = &p, .outcomes = &out,
	};
	struct xb_json j;
	size_t len, i;

	ck_assert_ptr_nonnull(huge);
	memset(huge, 'n', (1 << 20) - 1);
	memcpy(huge, "\033]0;owned\007", 10);
	huge[(1 << 20) - 1] = '\0';
	c.object = huge;
	r.error = huge;
	ck_assert_int_eq(xb_receipt_write(dir, &r, NULL, &err), 0);
	ck_assert_int_eq(xb_receipt_read_last(dir, &text, &len, &err), 0);
	ck_assert_uint_lt(len, 4 * XB_MESSAGE_MAX);
	for (i = 0; i < len; i++)
		ck_assert_int_ge((unsigned char)text[i], text[i] == '\n' ? '\n' : 0x20);
	ck_assert_ptr_nonnull(strstr(text, "\\u001b]0;owned\\u0007nnn"));
	ck_assert_int_eq(xb_json_parse(text, len, &j, &err), 0);
	ck_assert_uint_eq(strlen(xb_json_str(&j, "error", "")),
			  XB_MESSAGE_MAX + 3);
	xb_json_free(&j);
	free(text);
	rm_rf(dir);
	free(dir);
	free(huge);
}
END_TEST

/* The names in dir (dot files included, "." and ".." not), how many. */
static size_t count_entries(const char *dir)
{
	struct dirent *de;
	size_t n = 0;
	DIR *d = opendir(dir);

	ck_assert_ptr_nonnull(d);
	while ((de = readdir(d)))
		n += strcmp(de->d_name, ".") && strcmp(de->d_name, "..");
	closedir(d);
	return n;
}

static char *slurp(const char *dir, const char *name, size_t *len)
{
	char *path, *buf = malloc(4096);
	FILE *f;

	ck_assert_ptr_nonnull(buf);
	ck_assert_int_ge(asprintf(&path, "%s/%s", dir, name), 0);
	f = fopen(path, "r");
	ck_assert_ptr_nonnull(f);
	*len = fread(buf, 1, 4096, f);
	fclose(f);
	free(path);
	return buf;
}


/* A change's line is built in a 4 KB buffer (receipt.c): values on both
 * sides of its size, plain or with escapes, come back whole; a plain
 * name longer than XB_MESSAGE_MAX is cut as an escaped one is. */
START_TEST(long_plain_values_round_trip)
{
	static const size_t sizes[] = { 0, 1, 4093, 4094, 4095, 4096, 4097,
					10000 };
	enum { N = sizeof(sizes) / sizeof(sizes[0]) };
	char *vals[N], *name = malloc(XB_MESSAGE_MAX + 2), *dir = tmpdir();
	char *err = NULL, *text = NULL;
	static char uuid[] = "u-1", key[] = "vm-data/k", src[] = "s.xb:1:1";
	struct xb_change c[N];
	enum xb_outcome out[N];
	struct xb_plan p = { .changes = c, .nchanges = N };
	struct xb_receipt r = {
		.time = { 1700000000, 0 }, .result = "applied",
		.xenstore = true, .plan = &p, .outcomes = out,
	};
	const struct xb_json *ch;
	struct xb_json j;
	size_t len, i;

	ck_assert_ptr_nonnull(name);
	memset(name, 'v', XB_MESSAGE_MAX + 1);
	name[XB_MESSAGE_MAX + 1] = '\0';
	for (i = 0; i < N; i++) {
		vals[i] = malloc(sizes[i] + 1);
		ck_assert_ptr_nonnull(vals[i]);
		memset(vals[i], 'a' + (int)i, sizes[i]);
		vals[i][sizes[i]] = '\0';
		if (i % 2 && sizes[i])     /* an escape at the end */
			vals[i][sizes[i] - 1] = '"';
	}
	for (i = 0; i < N; i++) {
		c[i] = (struct xb_change){
			.op = XB_CHANGE_MODIFY, .where = XB_WHERE_XENSTORE,
			.cls = XB_CLASS_VM, .object = i ? uuid : name,
			.uuid = uuid, .domid = (int)i * 1000,
			.field = XB_FIELD_XENSTORE_DATA, .key = key,
			.old_value = vals[i], .new_value = vals[N - 1 - i],
			.source = src,
		};
		out[i] = XB_OUTCOME_APPLIED;
	}
	ck_assert_int_eq(xb_receipt_write(dir, &r, NULL, &err), 0);
	ck_assert_int_eq(xb_receipt_read_last(dir, &text, &len, &err), 0);
	ck_assert_int_eq(xb_json_parse(text, len, &j, &err), 0);
	ck_assert_uint_eq(xb_json_get(&j, "changes")->n, N);
	for (i = 0; i < N; i++) {
		ch = &xb_json_get(&j, "changes")->items[i];
		ck_assert_str_eq(xb_json_str(ch, "old", ""), vals[i]);
		ck_assert_str_eq(xb_json_str(ch, "new", ""), vals[N - 1 - i]);
		ck_assert_str_eq(xb_json_str(ch, "source", ""), src);
		ck_assert(xb_json_num(ch, "domid", -1) == (double)i * 1000);
		ck_assert_str_eq(xb_json_str(ch, "outcome", ""), "applied");
	}
	ch = &xb_json_get(&j, "changes")->items[0];
	ck_assert_uint_eq(strlen(xb_json_str(ch, "object", "")),
			  XB_MESSAGE_MAX + 3);
	ck_assert_str_eq(xb_json_str(ch, "object", "") + XB_MESSAGE_MAX, "...");
	ck_assert_int_eq(xb_json_get(&j, "xenstore_guests_not_written")->n, 0);
	xb_json_free(&j);
	for (i = 0; i < N; i++)
		free(vals[i]);
	free(text);
	free(name);
	rm_rf(dir);
	free(dir);
}
END_TEST
/* Within the bound: the same bytes in both files, hashed as they went,
 * and no temporary file left. Past it: counted to the end, and abandoned
 * without a trace. */
START_TEST(sink_writes_both_files_or_none)
{
	unsigned char want[XB_SHA256_SIZE], got[XB_SHA256_SIZE];
	char *dir = tmpdir(), *err = NULL, *a, *b;
	struct xb_sink s;
	size_t alen, blen, i;
	int dfd = open(dir, O_RDONLY | O_DIRECTORY);

	ck_assert_int_ge(dfd, 0);
	xb_sink_init(&s, 100, true);
	ck_assert_int_eq(xb_sink_add(&s, dfd, dir, "one", NULL, &err), 0);
	ck_assert_int_eq(xb_sink_add(&s, dfd, dir, "two", "two.tmp", &err), 0);
	ck_assert_int_eq(xb_sink_open(&s, &err), 0);
	fputs("0123456789", s.f);
	fprintf(s.f, "%d lines\n", 42);
	ck_assert_int_eq(xb_sink_close(&s, &err), 0);
	ck_assert_uint_eq(s.len, 19);
	xb_sha256_final(&s.sha, got);
	xb_sha256(want, "012345678942 lines\n", 19);
	ck_assert_mem_eq(got, want, sizeof(want));
	ck_assert_int_eq(xb_sink_commit(&s, 0, &err), 0);
	xb_sink_abandon(&s);         /* after a commit: nothing to remove */
	a = slurp(dir, "one", &alen);
	b = slurp(dir, "two", &blen);
	ck_assert_uint_eq(alen, 19);
	ck_assert_uint_eq(blen, 19);
	ck_assert_mem_eq(a, "012345678942 lines\n", 19);
	ck_assert_mem_eq(b, a, 19);
	ck_assert_uint_eq(count_entries(dir), 2);
	free(a);
	free(b);

	xb_sink_init(&s, 100, false);
	ck_assert_int_eq(xb_sink_add(&s, dfd, dir, "one", NULL, &err), 0);
	ck_assert_int_eq(xb_sink_add(&s, dfd, dir, "two", "two.tmp", &err), 0);
	ck_assert_int_eq(xb_sink_open(&s, &err), 0);
	for (i = 0; i < 1000; i++)
		fputc('x', s.f);
	ck_assert_int_eq(xb_sink_close(&s, &err), 0);
	ck_assert_uint_eq(s.len, 1000);
	xb_sink_abandon(&s);
	ck_assert_uint_eq(count_entries(dir), 2);
	a = slurp(dir, "one", &alen);   /* the old file, untouched */
	ck_assert_uint_eq(alen, 19);
	free(a);
	close(dfd);
	rm_rf(dir);
	free(dir);
}
END_TEST

/* A receipt over the old 64 MiB reading cap (the 20,000 VMs x 10
 * keys made 72.5 MB that status refused) is written and read back whole
 * by what status uses: the one bound, XB_RECEIPT_MAX, holds both ways.
 * 1,100 changes of 64 KiB values make it without 200,000 objects. */
#define BIG_CHANGES 1100
#define BIG_VALUE (64u << 10)


/* The stream's buffer is the sink's (XB_SINK_BUFFER), not stdio's 8 KB:
 * nothing reaches the files before it is full, then the bytes are whole. */
START_TEST(sink_writes_in_big_pieces)
{
	char *dir = tmpdir(), *err = NULL, *a;
	struct xb_sink s;
	struct stat st;
	size_t alen, i, n = XB_SINK_BUFFER - 100;
	ssize_t got;
	int dfd = open(dir, O_RDONLY | O_DIRECTORY), fd;

	ck_assert_int_ge(dfd, 0);
	xb_sink_init(&s, XB_SINK_BUFFER * 2, false);
	ck_assert_int_eq(xb_sink_add(&s, dfd, dir, "one", NULL, &err), 0);
	ck_assert_int_eq(xb_sink_open(&s, &err), 0);
	for (i = 0; i < n; i++)
		fputc('a' + (int)(i % 26), s.f);
	ck_assert_int_eq(fstat(s.files[0].fd, &st), 0);
	ck_assert_int_eq(st.st_size, 0);
	ck_assert_int_eq(xb_sink_close(&s, &err), 0);
	ck_assert_int_eq(fstat(s.files[0].fd, &st), 0);
	ck_assert_int_eq(st.st_size, (off_t)n);
	ck_assert_int_eq(xb_sink_commit(&s, 0, &err), 0);
	a = malloc(n + 1);
	ck_assert_ptr_nonnull(a);
	fd = openat(dfd, "one", O_RDONLY);
	ck_assert_int_ge(fd, 0);
	for (alen = 0; (got = read(fd, a + alen, n + 1 - alen)) > 0;)
		alen += (size_t)got;
	close(fd);
	ck_assert_uint_eq(alen, n);
	for (i = 0; i < n; i++)
		ck_assert_int_eq(a[i], 'a' + (int)(i % 26));
	free(a);
	close(dfd);
	rm_rf(dir);
	free(dir);
}
END_TEST
/* n changes adding vm-data/key-NNNNN = value to one guest, applied */
static void many_changes(struct xb_change *c, enum xb_outcome *out,
			 char (*keys)[32], size_t n, char *value)
{
	static char object[] = "vm-00001", uuid[] = "u-1", src[] = "big.xb:1:1";
	size_t i;

	memset(value, 'v', BIG_VALUE);
	value[BIG_VALUE] = '\0';
	for (i = 0; i < n; i++) {
		snprintf(keys[i], sizeof(keys[i]), "vm-data/key-%05zu", i);
		c[i] = (struct xb_change){
			.op = XB_CHANGE_ADD, .where = XB_WHERE_XENSTORE,
			.cls = XB_CLASS_VM, .object = object, .uuid = uuid,
			.domid = 5, .field = XB_FIELD_XENSTORE_DATA,
			.key = keys[i], .new_value = value, .source = src,
		};
		out[i] = XB_OUTCOME_APPLIED;
	}
}

START_TEST(status_reads_a_receipt_over_64_mib)
{
	struct xb_change *c = calloc(BIG_CHANGES, sizeof(*c));
	enum xb_outcome *out = calloc(BIG_CHANGES, sizeof(*out));
	char *value = malloc(BIG_VALUE + 1), *dir = tmpdir(), *err = NULL;
	char *text = NULL, (*keys)[32] = calloc(BIG_CHANGES, sizeof(*keys));
	struct xb_plan p = { .changes = c, .nchanges = BIG_CHANGES };
	struct xb_receipt r = {
		.time = { 1700000000, 0 }, .result = "applied",
		.xenstore = true, .plan = &p, .outcomes = out,
	};
	const struct xb_json *ch;
	struct xb_json j;
	size_t len;

	ck_assert_ptr_nonnull(c);
	ck_assert_ptr_nonnull(out);
	ck_assert_ptr_nonnull(value);
	ck_assert_ptr_nonnull(keys);
	many_changes(c, out, keys, BIG_CHANGES, value);
	ck_assert_int_eq(xb_receipt_write(dir, &r, NULL, &err), 0);
	ck_assert_int_eq(xb_receipt_read_last(dir, &text, &len, &err), 0);
	ck_assert_uint_gt(len, 64u << 20);
	ck_assert_uint_le(len, XB_RECEIPT_MAX);
	ck_assert_int_eq(xb_json_parse(text, len, &j, &err), 0);
	ch = xb_json_get(&j, "changes");
	ck_assert_uint_eq(ch->n, BIG_CHANGES);
	ck_assert_str_eq(xb_json_str(&ch->items[BIG_CHANGES - 1], "key", ""),
			 keys[BIG_CHANGES - 1]);
	ck_assert_uint_eq(strlen(xb_json_str(&ch->items[BIG_CHANGES - 1],
					     "new", "")), BIG_VALUE);
	xb_json_free(&j);
	free(text);
	rm_rf(dir);
	free(dir);
	free(keys);
	free(value);
	free(out);
	free(c);
}
END_TEST

/* Over XB_RECEIPT_MAX (4,200 changes of 64 KiB values, 275 MB): refused
 * with the size it would have had, no temporary file left behind, and
 * the previous last receipt removed so that status does not report an
 * older apply as the last one. */
#define OVER_CHANGES 4200

START_TEST(receipt_over_the_bound_is_refused_and_removed)
{
	struct xb_change *c = calloc(OVER_CHANGES, sizeof(*c));
	enum xb_outcome *out = calloc(OVER_CHANGES, sizeof(*out));
	char *value = malloc(BIG_VALUE + 1), *dir = tmpdir(), *err = NULL;
	char *sub, *last, (*keys)[32] = calloc(OVER_CHANGES, sizeof(*keys));
	struct xb_plan p = { .changes = c, .nchanges = OVER_CHANGES };
	struct xb_receipt small = { .time = { 1700000000, 0 },
				    .result = "no changes" };
	struct xb_receipt r = {
		.time = { 1700000001, 0 }, .result = "applied",
		.xenstore = true, .plan = &p, .outcomes = out,
	};
	unsigned long long would = 0;

	ck_assert_ptr_nonnull(c);
	ck_assert_ptr_nonnull(out);
	ck_assert_ptr_nonnull(value);
	ck_assert_ptr_nonnull(keys);
	many_changes(c, out, keys, OVER_CHANGES, value);
	ck_assert_int_eq(xb_receipt_write(dir, &small, NULL, &err), 0);
	ck_assert_int_ge(asprintf(&sub, "%s/receipts", dir), 0);
	ck_assert_int_ge(asprintf(&last, "%s/last-receipt.json", dir), 0);
	ck_assert_int_eq(access(last, F_OK), 0);

	ck_assert_int_eq(xb_receipt_write(dir, &r, NULL, &err), -1);
	ck_assert_ptr_nonnull(err);
	ck_assert_int_eq(sscanf(err, "the receipt would be %llu bytes", &would),
			 1);
	ck_assert_uint_gt(would, (unsigned long long)OVER_CHANGES * BIG_VALUE);
	ck_assert_ptr_nonnull(strstr(err, "over the 268435456 bytes status reads back"));
	ck_assert_int_eq(access(last, F_OK), -1);
	ck_assert_uint_eq(count_entries(dir), 1);     /* receipts/ alone */
	ck_assert_uint_eq(count_entries(sub), 1);     /* the small one */
	free(err);
	free(sub);
	free(last);
	rm_rf(dir);
	free(dir);
	free(keys);
	free(value);
	free(out);
	free(c);
}
END_TEST

Suite *test_suite(void)
{
	Suite *s = suite_create("receipt");
	TCase *tc;

	tc = tcase_create("json");
	tcase_add_test(tc, reads_every_kind_of_value);
	tcase_add_test(tc, refuses_what_is_not_json);
	suite_add_tcase(s, tc);
	tc = tcase_create("receipt");
	tcase_add_test(tc, receipt_round_trips_any_bytes);
	tcase_add_test(tc, keeps_the_newest_receipts);
	tcase_add_test(tc, messages_are_escaped_and_cut);
	tcase_add_test(tc, foreign_names_are_escaped_and_capped);
	tcase_add_test(tc, long_plain_values_round_trip);
	tcase_add_test(tc, sink_writes_both_files_or_none);
	tcase_add_test(tc, sink_writes_in_big_pieces);
	suite_add_tcase(s, tc);
	/* 72 MB written and parsed: 3 s of CPU, 30 under valgrind, which
	 * the small receipts above already take through the same code */
	if (!RUNNING_ON_VALGRIND) {
		tc = tcase_create("big");
		tcase_set_timeout(tc, 300);
		tcase_add_test(tc, status_reads_a_receipt_over_64_mib);
		tcase_add_test(tc, receipt_over_the_bound_is_refused_and_removed);
		suite_add_tcase(s, tc);
	}
	return s;
}
