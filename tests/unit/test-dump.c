/* SPDX-License-Identifier: MIT */
/* test-dump.c - `xenbake dump` of hand-built blobs, against exact text. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/identity.h"
#include "runtime/dump.h"
#include "tests/blob/handblob.h"
#include "tests/unit/check-main.h"

static struct hb hb;

/* The first line: the configuration identity (test-identity.c tests it). */
static char *header_line(void)
{
	char *line = NULL, hex[2 * XB_IDENTITY_SIZE + 1];
	unsigned char id[XB_IDENTITY_SIZE];
	struct xbb view;
	unsigned i;

	ck_assert_int_eq(xbb_open(&view, hb.buf, hb.len), XBB_OK);
	xb_identity(&view, 1, id);
	for (i = 0; i < XB_IDENTITY_SIZE; i++)
		snprintf(hex + 2 * i, 3, "%02x", id[i]);
	ck_assert_int_ge(asprintf(&line, "# xenbake dump, config identity %s\n",
				  hex), 0);
	return line;
}

static char *dump_hb(void)
{
	struct xbb view;
	char *text = NULL;
	size_t size = 0;
	FILE *out;

	hb_finish(&hb);
	ck_assert_int_eq(xbb_open(&view, hb.buf, hb.len), XBB_OK);
	out = open_memstream(&text, &size);
	ck_assert_ptr_nonnull(out);
	ck_assert_int_eq(xb_dump(&view, out), 0);
	ck_assert_int_eq(fclose(out), 0);
	ck_assert_uint_eq(strlen(text), size);
	return text;
}

/* Finishes hb, dumps it and compares with the header line + body. */
static void expect_dump(const char *body)
{
	char *text = dump_hb(), *head = header_line();

	ck_assert_uint_ge(strlen(text), strlen(head));
	ck_assert_mem_eq(text, head, strlen(head));
	ck_assert_str_eq(text + strlen(head), body);
	free(head);
	free(text);
}

START_TEST(sample_every_class_and_selector)
{
	hb_sample(&hb);
	expect_dump(
		"\n"
		"#@ \"site.xb\" 3:1\n"
		"vm \"web-01\" {\n"
		"    #@ \"site.xb\" 4:5\n"
		"    vm-data \"role\" = \"frontend\";\n"
		"    #@ \"site.xb\" 5:5\n"
		"    other-config \"owner\" = \"ops\";\n"
		"}\n"
		"\n"
		"#@ \"vms.xb\" 1:1\n"
		"vm uuid \"6f1c2a9e-3b1d-4c55-9a57-0c1d2e3f4a5b\""
		" optional { }\n"
		"\n"
		"#@ \"site.xb\" 8:1\n"
		"sr \"Local storage\" {\n"
		"    #@ \"site.xb\" 8:22\n"
		"    i18n-key local-storage;\n"
		"}\n"
		"\n"
		"#@ \"site.xb\" 9:1\n"
		"network \"Storage network\" {\n"
		"    #@ \"site.xb\" 9:28\n"
		"    hide-from-xencenter;\n"
		"}\n"
		"\n"
		"#@ \"site.xb\" 10:1\n"
		"pif \"eth1\" host \"xs-02\" {\n"
		"    #@ \"site.xb\" 10:29\n"
		"    hide-from-xencenter;\n"
		"}\n");
}
END_TEST

START_TEST(empty_blob_is_one_comment_line)
{
	hb_init(&hb);
	expect_dump("");
}
END_TEST

START_TEST(empty_blocks)
{
	uint32_t p;

	hb_init(&hb);
	p = hb_pos(&hb, "a.xb", 1, 1);
	hb_object(&hb, XB_CLASS_NETWORK, XB_OBJ_OPTIONAL, "n", "", p);
	hb_object(&hb, XB_CLASS_PIF, 0, "eth0", "", p);
	hb_object(&hb, XB_CLASS_PIF, XB_OBJ_BY_UUID | XB_OBJ_OPTIONAL,
		  "0d3e", "h1", p);
	expect_dump(
		"\n#@ \"a.xb\" 1:1\nnetwork \"n\" optional { }\n"
		"\n#@ \"a.xb\" 1:1\npif \"eth0\" { }\n"
		"\n#@ \"a.xb\" 1:1\n"
		"pif uuid \"0d3e\" host \"h1\" optional { }\n");
}
END_TEST

START_TEST(strings_are_escaped)
{
	uint32_t p;

	hb_init(&hb);
	p = hb_pos(&hb, "dir/$x \"q\".xb", 2, 3);
	hb_object(&hb, XB_CLASS_VM, 0, "we\"b\\01", "", p);
	hb_entry(&hb, XB_FIELD_XENSTORE_DATA, "vm-data/k",
		 "a\nb\tc\x01" "d\x7f", p);
	hb_entry(&hb, XB_FIELD_OTHER_CONFIG, "cost", "$5 ${x} $$", p);
	hb_entry(&hb, XB_FIELD_OTHER_CONFIG, "r\r", "caf\xc3\xa9 \xe2\x82\xac",
		 p);
	expect_dump(
		"\n"
		"#@ \"dir/$$x \\\"q\\\".xb\" 2:3\n"
		"vm \"we\\\"b\\\\01\" {\n"
		"    #@ \"dir/$$x \\\"q\\\".xb\" 2:3\n"
		"    vm-data \"k\" = \"a\\nb\\tc\\x01d\\x7f\";\n"
		"    #@ \"dir/$$x \\\"q\\\".xb\" 2:3\n"
		"    other-config \"cost\" = \"$$5 $${x} $$$$\";\n"
		"    #@ \"dir/$$x \\\"q\\\".xb\" 2:3\n"
		"    other-config \"r\\x0d\" = \"caf\xc3\xa9 \xe2\x82\xac\";\n"
		"}\n");
}
END_TEST

START_TEST(xenstore_data_outside_vm_data)
{
	uint32_t p;

	hb_init(&hb);
	p = hb_pos(&hb, "a.xb", 1, 1);
	hb_object(&hb, XB_CLASS_VM, 0, "v", "", p);
	hb_entry(&hb, XB_FIELD_XENSTORE_DATA, "tier", "1", p);
	hb_entry(&hb, XB_FIELD_XENSTORE_DATA, "vm-data/", "2", p);
	hb_entry(&hb, XB_FIELD_XENSTORE_DATA, "vm-data/net/ip", "10.0.0.5", p);
	hb_entry(&hb, XB_FIELD_XENSTORE_DATA, "vm-datax", "3", p);
	expect_dump(
		"\n#@ \"a.xb\" 1:1\nvm \"v\" {\n"
		"    #@ \"a.xb\" 1:1\n    xenstore-data \"tier\" = \"1\";\n"
		"    #@ \"a.xb\" 1:1\n    xenstore-data \"vm-data/\" = \"2\";\n"
		"    #@ \"a.xb\" 1:1\n    vm-data \"net/ip\" = \"10.0.0.5\";\n"
		"    #@ \"a.xb\" 1:1\n    xenstore-data \"vm-datax\" = \"3\";\n"
		"}\n");
}
END_TEST

START_TEST(hide_only_when_true)
{
	uint32_t p;

	hb_init(&hb);
	p = hb_pos(&hb, "a.xb", 1, 1);
	hb_object(&hb, XB_CLASS_VM, 0, "v", "", p);
	hb_entry(&hb, XB_FIELD_OTHER_CONFIG, "HideFromXenCenter", "false", p);
	hb_object(&hb, XB_CLASS_SR, 0, "s", "", p);
	hb_entry(&hb, XB_FIELD_OTHER_CONFIG, "HideFromXenCenter", "true", p);
	expect_dump(
		"\n#@ \"a.xb\" 1:1\nvm \"v\" {\n"
		"    #@ \"a.xb\" 1:1\n"
		"    other-config \"HideFromXenCenter\" = \"false\";\n"
		"}\n"
		"\n#@ \"a.xb\" 1:1\nsr \"s\" {\n"
		"    #@ \"a.xb\" 1:1\n    hide-from-xencenter;\n"
		"}\n");
}
END_TEST

START_TEST(i18n_name_from_name_label)
{
	uint32_t p, q;

	hb_init(&hb);
	p = hb_pos(&hb, "a.xb", 4, 1);
	q = hb_pos(&hb, "a.xb", 5, 5);
	hb_object(&hb, XB_CLASS_SR, 0, "Local storage", "", p);
	hb_entry(&hb, XB_FIELD_OTHER_CONFIG, "i18n-key", "local-storage", q);
	hb_entry(&hb, XB_FIELD_OTHER_CONFIG, "i18n-original-value-name_label",
		 "Disks", q);
	hb_entry(&hb, XB_FIELD_NAME_LABEL, "", "Disks",
		 hb_pos(&hb, "a.xb", 6, 5));
	expect_dump(
		"\n#@ \"a.xb\" 4:1\nsr \"Local storage\" {\n"
		"    #@ \"a.xb\" 5:5\n    i18n-key local-storage;\n"
		"    #@ \"a.xb\" 6:5\n    name-label \"Disks\";\n"
		"}\n");
}
END_TEST

START_TEST(i18n_name_that_is_not_derived)
{
	uint32_t p;

	hb_init(&hb);
	p = hb_pos(&hb, "a.xb", 1, 1);
	/* differs from the name_label */
	hb_object(&hb, XB_CLASS_SR, 0, "a", "", p);
	hb_entry(&hb, XB_FIELD_OTHER_CONFIG, "i18n-key", "local-storage", p);
	hb_entry(&hb, XB_FIELD_OTHER_CONFIG, "i18n-original-value-name_label",
		 "a", p);
	hb_entry(&hb, XB_FIELD_NAME_LABEL, "", "b", p);
	/* differs from the selector */
	hb_object(&hb, XB_CLASS_SR, 0, "c", "", p);
	hb_entry(&hb, XB_FIELD_OTHER_CONFIG, "i18n-key", "local-storage", p);
	hb_entry(&hb, XB_FIELD_OTHER_CONFIG, "i18n-original-value-name_label",
		 "d", p);
	/* by uuid, no name_label: nothing to derive from */
	hb_object(&hb, XB_CLASS_SR, XB_OBJ_BY_UUID, "e", "", p);
	hb_entry(&hb, XB_FIELD_OTHER_CONFIG, "i18n-key", "local-storage", p);
	hb_entry(&hb, XB_FIELD_OTHER_CONFIG, "i18n-original-value-name_label",
		 "e", p);
	/* no i18n-key: nothing derived */
	hb_object(&hb, XB_CLASS_SR, XB_OBJ_BY_UUID, "f", "", p);
	hb_entry(&hb, XB_FIELD_OTHER_CONFIG, "i18n-original-value-name_label",
		 "f", p);
	hb_object(&hb, XB_CLASS_SR, XB_OBJ_BY_UUID, "g", "", p);
	hb_entry(&hb, XB_FIELD_OTHER_CONFIG, "i18n-original-value-name_label",
		 "x", p);
	hb_entry(&hb, XB_FIELD_NAME_LABEL, "", "x", p);
	expect_dump(
		"\n#@ \"a.xb\" 1:1\nsr \"a\" {\n"
		"    #@ \"a.xb\" 1:1\n    i18n-key local-storage;\n"
		"    #@ \"a.xb\" 1:1\n"
		"    other-config \"i18n-original-value-name_label\" = \"a\";\n"
		"    #@ \"a.xb\" 1:1\n    name-label \"b\";\n"
		"}\n"
		"\n#@ \"a.xb\" 1:1\nsr \"c\" {\n"
		"    #@ \"a.xb\" 1:1\n    i18n-key local-storage;\n"
		"    #@ \"a.xb\" 1:1\n"
		"    other-config \"i18n-original-value-name_label\" = \"d\";\n"
		"}\n"
		"\n#@ \"a.xb\" 1:1\nsr uuid \"e\" {\n"
		"    #@ \"a.xb\" 1:1\n    i18n-key local-storage;\n"
		"    #@ \"a.xb\" 1:1\n"
		"    other-config \"i18n-original-value-name_label\" = \"e\";\n"
		"}\n"
		"\n#@ \"a.xb\" 1:1\nsr uuid \"f\" {\n"
		"    #@ \"a.xb\" 1:1\n"
		"    other-config \"i18n-original-value-name_label\" = \"f\";\n"
		"}\n"
		"\n#@ \"a.xb\" 1:1\nsr uuid \"g\" {\n"
		"    #@ \"a.xb\" 1:1\n"
		"    other-config \"i18n-original-value-name_label\" = \"x\";\n"
		"    #@ \"a.xb\" 1:1\n    name-label \"x\";\n"
		"}\n");
}
END_TEST

START_TEST(i18n_key_that_is_not_an_identifier)
{
	uint32_t p;

	hb_init(&hb);
	p = hb_pos(&hb, "a.xb", 1, 1);
	hb_object(&hb, XB_CLASS_VM, 0, "v", "", p);   /* not an SR */
	hb_entry(&hb, XB_FIELD_OTHER_CONFIG, "i18n-key", "local-storage", p);
	hb_entry(&hb, XB_FIELD_OTHER_CONFIG, "i18n-original-value-name_label",
		 "v", p);
	hb_object(&hb, XB_CLASS_SR, 0, "s", "", p);
	hb_entry(&hb, XB_FIELD_OTHER_CONFIG, "i18n-key", "local storage", p);
	hb_entry(&hb, XB_FIELD_OTHER_CONFIG, "i18n-original-value-name_label",
		 "s", p);
	hb_object(&hb, XB_CLASS_SR, 0, "t", "", p);
	hb_entry(&hb, XB_FIELD_OTHER_CONFIG, "i18n-key", "9lives", p);
	hb_object(&hb, XB_CLASS_SR, 0, "u", "", p);
	hb_entry(&hb, XB_FIELD_OTHER_CONFIG, "i18n-key", "", p);
	expect_dump(
		"\n#@ \"a.xb\" 1:1\nvm \"v\" {\n"
		"    #@ \"a.xb\" 1:1\n"
		"    other-config \"i18n-key\" = \"local-storage\";\n"
		"    #@ \"a.xb\" 1:1\n"
		"    other-config \"i18n-original-value-name_label\" = \"v\";\n"
		"}\n"
		"\n#@ \"a.xb\" 1:1\nsr \"s\" {\n"
		"    #@ \"a.xb\" 1:1\n"
		"    other-config \"i18n-key\" = \"local storage\";\n"
		"}\n"
		"\n#@ \"a.xb\" 1:1\nsr \"t\" {\n"
		"    #@ \"a.xb\" 1:1\n"
		"    other-config \"i18n-key\" = \"9lives\";\n"
		"}\n"
		"\n#@ \"a.xb\" 1:1\nsr \"u\" {\n"
		"    #@ \"a.xb\" 1:1\n"
		"    other-config \"i18n-key\" = \"\";\n"
		"}\n");
}
END_TEST

START_TEST(write_error_is_reported)
{
	struct xbb view;
	FILE *full;

	hb_sample(&hb);
	ck_assert_int_eq(xbb_open(&view, hb.buf, hb.len), XBB_OK);
	full = fopen("/dev/full", "w");
	if (!full)
		return;         /* no /dev/full here: nothing to assert */
	ck_assert_int_eq(xb_dump(&view, full), -1);
	fclose(full);
}
END_TEST

Suite *test_suite(void)
{
	Suite *s = suite_create("dump");
	TCase *tc;

	tc = tcase_create("blocks and selectors");
	tcase_add_test(tc, sample_every_class_and_selector);
	tcase_add_test(tc, empty_blob_is_one_comment_line);
	tcase_add_test(tc, empty_blocks);
	suite_add_tcase(s, tc);

	tc = tcase_create("statements undo the lowering");
	tcase_add_test(tc, xenstore_data_outside_vm_data);
	tcase_add_test(tc, hide_only_when_true);
	tcase_add_test(tc, i18n_name_from_name_label);
	tcase_add_test(tc, i18n_name_that_is_not_derived);
	tcase_add_test(tc, i18n_key_that_is_not_an_identifier);
	suite_add_tcase(s, tc);

	tc = tcase_create("strings read back the same");
	tcase_add_test(tc, strings_are_escaped);
	suite_add_tcase(s, tc);

	tc = tcase_create("write errors are reported");
	tcase_add_test(tc, write_error_is_reported);
	suite_add_tcase(s, tc);
	return s;
}
