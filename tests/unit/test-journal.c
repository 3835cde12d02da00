/* SPDX-License-Identifier: MIT */
/* test-journal.c - the apply journal: what is written reads back the same,
 * and a journal that is damaged, cut short or hand-made wrong is refused
 * with a message, never half read. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/sha256.h"
#include "runtime/journal.h"
#include "tests/unit/check-main.h"

/* Two writes: a VM's xenstore_data with a multi-line value, an SR's name. */
static void sample(struct xb_journal *j)
{
	memset(j, 0, sizeof(*j));
	j->time = 1764650000;
	j->pid = 4242;
	j->boot_id = strdup("0f3c1e5a-0000-4000-8000-00000000b007");
	j->nblobs = 2;
	j->blobs = calloc(2, sizeof(*j->blobs));
	ck_assert_ptr_nonnull(j->blobs);
	memset(j->blobs[0], 0xab, XB_JOURNAL_SHA256_SIZE);
	memset(j->blobs[1], 0x01, XB_JOURNAL_SHA256_SIZE);
	j->nwrites = 2;
	j->writes = calloc(2, sizeof(*j->writes));
	ck_assert_ptr_nonnull(j->writes);
	j->writes[0] = (struct xb_journal_write){
		.cls = XB_CLASS_VM, .field = XB_FIELD_XENSTORE_DATA,
		.uuid = strdup("5e1f0000-0000-4000-8000-000000000005"),
		.object = strdup("web 01"), .source = strdup("site.xb:3:5"),
	};
	ck_assert_int_eq(xb_map_set(&j->writes[0].old_map, "vm-data/x", "1 2"), 0);
	ck_assert_int_eq(xb_map_set(&j->writes[0].new_map, "vm-data/x", "1 2"), 0);
	ck_assert_int_eq(xb_map_set(&j->writes[0].new_map, "xenbake-managed",
				    "a\nb:c\n\n12:"), 0);
	j->writes[1] = (struct xb_journal_write){
		.cls = XB_CLASS_SR, .field = XB_FIELD_NAME_LABEL,
		.uuid = strdup("5b000000-0000-4000-8000-000000000001"),
		.object = strdup("Local storage"), .source = strdup(""),
	};
	ck_assert_int_eq(xb_map_set(&j->writes[1].old_map, "", "Local storage"), 0);
	ck_assert_int_eq(xb_map_set(&j->writes[1].new_map, "", "Disks"), 0);
}

static void format(const struct xb_journal *j, char **buf, size_t *len)
{
	char *err = NULL;

	ck_assert_int_eq(xb_journal_format(j, buf, len, &err), 0);
	ck_assert_ptr_null(err);
}

/* The last line again, for bytes changed by a test on purpose. */
static void reseal(char *buf, size_t *len)
{
	static const char digits[] = "0123456789abcdef";
	unsigned char h[XB_JOURNAL_SHA256_SIZE];
	char *end = buf + *len - (4 + 2 * XB_JOURNAL_SHA256_SIZE + 1);
	size_t i;

	xb_sha256(h, buf, (size_t)(end - buf));
	memcpy(end, "end ", 4);
	for (i = 0; i < sizeof(h); i++) {
		end[4 + 2 * i] = digits[h[i] >> 4];
		end[5 + 2 * i] = digits[h[i] & 15];
	}
	end[4 + 2 * sizeof(h)] = '\n';
}

/* buf with the text before "end" replaced by body, then sealed. */
static char *sealed(const char *body, size_t *len)
{
	size_t n = strlen(body);
	char *buf = malloc(n + 4 + 2 * XB_JOURNAL_SHA256_SIZE + 1 + 1);

	ck_assert_ptr_nonnull(buf);
	memcpy(buf, body, n);
	*len = n + 4 + 2 * XB_JOURNAL_SHA256_SIZE + 1;
	reseal(buf, len);
	buf[*len] = '\0';
	return buf;
}

static void expect_refused(const char *buf, size_t len, const char *why)
{
	struct xb_journal j;
	char *err = NULL;

	ck_assert_int_eq(xb_journal_parse(buf, len, &j, &err), -1);
	ck_assert_ptr_nonnull(err);
	ck_assert_msg(strstr(err, why), "message \"%s\" lacks \"%s\"", err, why);
	xb_journal_free(&j);
	ck_assert_uint_eq(j.nwrites, 0);
	free(err);
}

START_TEST(round_trip)
{
	struct xb_journal j, back;
	char *buf, *err = NULL;
	size_t len, i;

	sample(&j);
	format(&j, &buf, &len);
	ck_assert_int_eq(xb_journal_parse(buf, len, &back, &err), 0);
	ck_assert_int_eq(back.time, j.time);
	ck_assert_int_eq(back.pid, 4242);
	ck_assert_str_eq(back.boot_id, j.boot_id);
	ck_assert(!xb_journal_owner_alive(&back));     /* another boot */
	ck_assert_uint_eq(back.nblobs, 2);
	ck_assert_int_eq(memcmp(back.blobs, j.blobs, 2 * XB_JOURNAL_SHA256_SIZE), 0);
	ck_assert_uint_eq(back.nwrites, 2);
	for (i = 0; i < 2; i++) {
		ck_assert_int_eq(back.writes[i].cls, j.writes[i].cls);
		ck_assert_int_eq(back.writes[i].field, j.writes[i].field);
		ck_assert_str_eq(back.writes[i].uuid, j.writes[i].uuid);
		ck_assert_str_eq(back.writes[i].object, j.writes[i].object);
		ck_assert_str_eq(back.writes[i].source, j.writes[i].source);
		ck_assert(xb_map_equal(&back.writes[i].old_map, &j.writes[i].old_map));
		ck_assert(xb_map_equal(&back.writes[i].new_map, &j.writes[i].new_map));
	}
	xb_journal_free(&back);
	xb_journal_free(&j);
	free(buf);
}
END_TEST

/* Every prefix of a good journal is refused: a torn write never reads as
 * a shorter plan. */
START_TEST(every_truncation_is_refused)
{
	struct xb_journal j, back;
	char *buf, *err;
	size_t len, n;

	sample(&j);
	format(&j, &buf, &len);
	for (n = 0; n < len; n++) {
		err = NULL;
		ck_assert_msg(xb_journal_parse(buf, n, &back, &err) == -1,
			      "a journal cut at %zu bytes was read", n);
		ck_assert_ptr_nonnull(err);
		free(err);
		xb_journal_free(&back);
	}
	xb_journal_free(&j);
	free(buf);
}
END_TEST

/* Every single flipped byte is caught (by the checksum, or by the parser
 * where the flip hits the checksum itself). */
START_TEST(every_flipped_byte_is_refused)
{
	struct xb_journal j, back;
	char *buf, *err;
	size_t len, n;

	sample(&j);
	format(&j, &buf, &len);
	for (n = 0; n < len; n++) {
		buf[n] ^= 0x20;
		err = NULL;
		ck_assert_msg(xb_journal_parse(buf, len, &back, &err) == -1,
			      "byte %zu flipped was read", n);
		free(err);
		xb_journal_free(&back);
		buf[n] ^= 0x20;
	}
	xb_journal_free(&j);
	free(buf);
}
END_TEST

/* Hand-made journals with a right checksum but a wrong body: the parser
 * checks every field on its own. */
START_TEST(wrong_bodies_are_refused)
{
	static const struct { const char *body, *why; } cases[] = {
		{ "xenbake-journal 2\ntime 1\nowner 1 0:\nblobs 0\nwrites 0\n", "version 2" },
		{ "not-a-journal 1\n", "not a xenbake journal" },
		{ "xenbake-journal 01\ntime 1\nowner 1 0:\nblobs 0\nwrites 0\n", "leading zero" },
		{ "xenbake-journal 1\ntime 99999999999999999999999\nblobs 0\nwrites 0\n",
		  "out of range" },
		{ "xenbake-journal 1\ntime 1\nowner 1 0:\nblobs 1000000\nwrites 0\n",
		  "larger than the file" },
		{ "xenbake-journal 1\ntime 1\nowner 1 0:\nblobs 1\nblob "
		  "ABABABABABABABABABABABABABABABABABABABABABABABABABABABABABABABAB"
		  "\nwrites 0\n", "lowercase hex" },
		{ "xenbake-journal 1\ntime 1\nowner 1 0:\nblobs 0\nwrites 18446744073709551615\n",
		  "larger than the file" },
		{ "xenbake-journal 1\ntime 1\nowner 1 0:\nblobs 0\nwrites 99999999999999999999\n",
		  "out of range" },
		{ "xenbake-journal 1\ntime 1\nowner 1 0:\nblobs 0\nwrites 1\n"
		  "write VM name_label 1:u 1:o 0:\nold 0\nnew 0\n                  \n",
		  "a field that class has not" },
		{ "xenbake-journal 1\ntime 1\nowner 1 0:\nblobs 0\nwrites 1\n"
		  "write HOST other_config 1:u 1:o 0:\nold 0\nnew 0\n                 \n",
		  "unknown class" },
		{ "xenbake-journal 1\ntime 1\nowner 1 0:\nblobs 0\nwrites 1\n"
		  "write VM other_config 999:u 1:o 0:\nold 0\nnew 0\n                \n",
		  "past the end" },
		{ "xenbake-journal 1\ntime 1\nowner 1 0:\nblobs 0\nwrites 1\n"
		  "write VM other_config 99999999:u 1:o 0:\nold 0\nnew 0\n            \n",
		  "out of range" },
		{ "xenbake-journal 1\ntime 1\nowner 1 0:\nblobs 0\nwrites 1\n"
		  "write VM other_config 0: 1:o 0:\nold 0\nnew 0\n                    \n",
		  "no uuid" },
		{ "xenbake-journal 1\ntime 1\nowner 1 0:\nblobs 0\nwrites 1\n"
		  "write VM other_config 1:u 1:o 0:\nold 2\nkv 1:b 0:\nkv 1:a 0:\nnew 0\n",
		  "out of order" },
		{ "xenbake-journal 1\ntime 1\nowner 1 0:\nblobs 0\nwrites 1\n"
		  "write VM other_config 1:u 1:o 0:\nold 2\nkv 1:a 0:\nkv 1:a 0:\nnew 0\n",
		  "out of order or repeated" },
		{ "xenbake-journal 1\ntime 1\nowner 1 0:\nblobs 0\nwrites 1\n"
		  "write SR name_label 1:u 1:o 0:\nold 0\nnew 0\n                    \n",
		  "name_label" },
		{ "xenbake-journal 1\ntime 1\nowner 1 0:\nblobs 0\nwrites 1\n"
		  "write network tags 1:u 1:o 0:\nold 0\nnew 0\n                    \n",
		  "a field that class has not" },
		{ "xenbake-journal 1\ntime 1\nowner 1 0:\nblobs 0\nwrites 1\n"
		  "write PIF name_description 1:u 1:o 0:\nold 0\nnew 0\n              \n",
		  "a field that class has not" },
		{ "xenbake-journal 1\ntime 1\nowner 1 0:\nblobs 0\nwrites 1\n"
		  "write VM name_description 1:u 1:o 0:\nold 0\nnew 0\n               \n",
		  "name_description" },
		{ "xenbake-journal 1\ntime 1\nowner 1 0:\nblobs 0\nwrites 0\nextra\n",
		  "more after the last write" },
		{ "xenbake-journal 1\ntime 1\nowner 1 0:\nblobs 0\nwrites 0", "cut short" },
	};
	size_t i, len;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *buf = sealed(cases[i].body, &len);

		expect_refused(buf, len, cases[i].why);
		free(buf);
	}
}
END_TEST

/* Language version 2's writes: VM tags (a set: tag -> ""),
 * name_description, the pool's and a host's other_config. */
START_TEST(v2_writes_parse)
{
	static const char body[] =
		"xenbake-journal 1\ntime 1\nowner 1 0:\nblobs 0\nwrites 3\n"
		"write VM tags 1:u 1:o 0:\nold 0\nnew 1\nkv 3:gpu 0:\n"
		"write VM name_description 1:u 1:o 0:\nold 1\nkv 0: 0:\n"
		"new 1\nkv 0: 3:Web\n"
		"write pool other_config 1:p 0: 0:\nold 0\nnew 1\n"
		"kv 4:site 5:ams-3\n";
	struct xb_journal j;
	char *buf, *err = NULL;
	size_t len;

	buf = sealed(body, &len);
	ck_assert_int_eq(xb_journal_parse(buf, len, &j, &err), 0);
	ck_assert_uint_eq(j.nwrites, 3);
	ck_assert_int_eq(j.writes[0].field, XB_FIELD_TAGS);
	ck_assert_ptr_nonnull(xb_map_get(&j.writes[0].new_map, "gpu"));
	ck_assert_int_eq(j.writes[1].field, XB_FIELD_NAME_DESCRIPTION);
	ck_assert_int_eq(j.writes[2].cls, XB_CLASS_POOL);
	xb_journal_free(&j);
	free(buf);
}
END_TEST

START_TEST(nul_in_a_string_is_refused)
{
	static const char body[] = "xenbake-journal 1\ntime 1\nowner 1 0:\nblobs 0\nwrites 1\n"
		"write VM other_config 3:u\0u 1:o 0:\nold 0\nnew 0\n";
	char *buf = malloc(sizeof(body) + 80);
	size_t len = sizeof(body) - 1 + 4 + 2 * XB_JOURNAL_SHA256_SIZE + 1;

	ck_assert_ptr_nonnull(buf);
	memcpy(buf, body, sizeof(body) - 1);
	reseal(buf, &len);
	expect_refused(buf, len, "NUL");
	free(buf);
}
END_TEST

START_TEST(checksum_names_the_damage)
{
	struct xb_journal j;
	char *buf;
	size_t len;

	sample(&j);
	format(&j, &buf, &len);
	buf[40] = buf[40] == 'x' ? 'y' : 'x';
	expect_refused(buf, len, "checksum does not match");
	expect_refused(buf, len - 1, "cut short");
	expect_refused("", 0, "cut short");
	xb_journal_free(&j);
	free(buf);
}
END_TEST

/* The file: written, read back, removed; none is "not found"; garbage on
 * disk is an error naming the file. */
START_TEST(file_round_trip)
{
	char dir[] = "/tmp/test-journal-XXXXXX", *sub, *path, *err = NULL;
	char *want, *got;
	struct xb_journal j, back;
	bool found = true;
	size_t want_len, got_len;
	FILE *f;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	ck_assert_int_ge(asprintf(&sub, "%s/state", dir), 0);
	ck_assert_int_ge(asprintf(&path, "%s/journal", sub), 0);
	ck_assert_int_eq(xb_journal_read(sub, &back, &found, &err), 0);
	ck_assert(!found);
	sample(&j);
	ck_assert_int_eq(xb_journal_write(sub, &j, &err), 0);  /* makes sub */
	/* streamed to the file, the same bytes as formatted in memory */
	ck_assert_int_eq(xb_journal_format(&j, &want, &want_len, &err), 0);
	got = malloc(want_len + 1);
	ck_assert_ptr_nonnull(got);
	f = fopen(path, "r");
	ck_assert_ptr_nonnull(f);
	got_len = fread(got, 1, want_len + 1, f);
	fclose(f);
	ck_assert_uint_eq(got_len, want_len);
	ck_assert_mem_eq(got, want, want_len);
	free(want);
	free(got);
	ck_assert_int_eq(xb_journal_read(sub, &back, &found, &err), 0);
	ck_assert(found);
	ck_assert_uint_eq(back.nwrites, 2);
	ck_assert_str_eq(back.writes[1].object, "Local storage");
	xb_journal_free(&back);

	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs("xenbake-journal 1\ngarbage\n", f);
	fclose(f);
	ck_assert_int_eq(xb_journal_read(sub, &back, &found, &err), -1);
	ck_assert(found);
	ck_assert_ptr_nonnull(strstr(err, path));
	ck_assert_ptr_nonnull(strstr(err, "corrupt"));
	free(err);
	err = NULL;

	ck_assert_int_eq(xb_journal_remove(sub, &err), 0);
	ck_assert_int_eq(xb_journal_remove(sub, &err), 0);   /* none: fine */
	ck_assert_int_eq(access(path, F_OK), -1);
	ck_assert_int_eq(mkdir(path, 0700), 0);               /* not a file */
	ck_assert_int_eq(xb_journal_read(sub, &back, &found, &err), -1);
	free(err);
	rmdir(path);
	rmdir(sub);
	rmdir(dir);
	xb_journal_free(&j);
	free(sub);
	free(path);
}
END_TEST

/* The 82 MB journal of the issue (200 VMs with 200 KB values): over
 * what the reader takes, so refused before the first XenAPI write, and
 * the part streamed to journal.tmp removed, instead of written and then
 * refused as corrupt after a kill. */
START_TEST(journal_over_the_bound_is_never_written)
{
	char dir[] = "/tmp/test-journal-XXXXXX", *path, *err = NULL, key[32];
	struct xb_journal j;
	struct xb_map *m;
	char *big = malloc(XB_JOURNAL_STRING_MAX + 1);
	size_t i;

	ck_assert_ptr_nonnull(big);
	memset(big, 'v', XB_JOURNAL_STRING_MAX);
	big[XB_JOURNAL_STRING_MAX] = '\0';
	ck_assert_ptr_nonnull(mkdtemp(dir));
	ck_assert_int_ge(asprintf(&path, "%s/journal", dir), 0);
	sample(&j);
	m = &j.writes[0].new_map;
	for (i = 0; i <= XB_JOURNAL_MAX / XB_JOURNAL_STRING_MAX; i++) {
		snprintf(key, sizeof(key), "vm-data/k%zu", i);
		ck_assert_int_eq(xb_map_set(m, key, big), 0);
	}
	/* -2: too big, which another directory would not help */
	ck_assert_int_eq(xb_journal_write(dir, &j, &err), -2);
	ck_assert_ptr_nonnull(strstr(err, "over the"));
	ck_assert_ptr_nonnull(strstr(err, "in parts"));
	ck_assert_int_eq(access(path, F_OK), -1);
	free(err);
	xb_journal_free(&j);
	free(big);
	free(path);
	ck_assert_int_eq(rmdir(dir), 0);   /* no journal.tmp left either */
}
END_TEST

Suite *test_suite(void)
{
	Suite *s = suite_create("journal");
	TCase *tc = tcase_create("journal");

	tcase_add_test(tc, round_trip);
	tcase_add_test(tc, every_truncation_is_refused);
	tcase_add_test(tc, every_flipped_byte_is_refused);
	tcase_add_test(tc, wrong_bodies_are_refused);
	tcase_add_test(tc, nul_in_a_string_is_refused);
	tcase_add_test(tc, v2_writes_parse);
	tcase_add_test(tc, checksum_names_the_damage);
	tcase_add_test(tc, file_round_trip);
	tcase_add_test(tc, journal_over_the_bound_is_never_written);
	suite_add_tcase(s, tc);
	return s;
}
