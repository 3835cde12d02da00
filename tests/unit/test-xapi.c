/* SPDX-License-Identifier: MIT */
/* test-xapi.c - the XenAPI client's checks that need no server: endpoints,
 * the password file, NULL handles. (Calls are tested in tests/xapi/.) */
#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "runtime/xapi.h"
#include "runtime/xmlrpc.h"
#include "tests/unit/check-main.h"

static char dir[] = "/tmp/xb-xapi-XXXXXX";
static char pwfile[300], sock[300];

static void setup(void)
{
	ck_assert_ptr_nonnull(mkdtemp(strcpy(dir, "/tmp/xb-xapi-XXXXXX")));
	snprintf(pwfile, sizeof(pwfile), "%s/pw", dir);
	snprintf(sock, sizeof(sock), "unix:%s/no.sock", dir);
}

static void teardown(void)
{
	unlink(pwfile);
	rmdir(dir);
}

static char *connect_error(const struct xapi_options *opt)
{
	char *err = NULL;
	struct xapi *x = xapi_connect(opt, &err);

	ck_assert_ptr_null(x);
	ck_assert_ptr_nonnull(err);
	return err;
}

static void write_pw(const char *text, mode_t mode)
{
	int fd = open(pwfile, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	ck_assert_int_eq(chmod(pwfile, mode), 0);
}

START_TEST(bad_endpoints_are_refused)
{
	static const char *const bad[] = {
		"", "xapi", "ftp://h", "http://", "https://:80", "http://h:",
		"http://h:0", "http://h:65536", "http://h:80x", "http://h/p",
		"http://u@h", "http://[::1", "http://h?q", "unix:",
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct xapi_options opt = { .endpoint = bad[i] };
		char *err = connect_error(&opt), want[100];

		snprintf(want, sizeof(want), "bad endpoint %s", bad[i]);
		ck_assert_msg(strstr(err, want), "%s: %s", bad[i], err);
		free(err);
	}
}
END_TEST

START_TEST(missing_socket_says_cannot_connect)
{
	struct xapi_options opt = { .endpoint = sock };
	char *err = connect_error(&opt), want[320];

	snprintf(want, sizeof(want), "cannot connect to %s", sock);
	ck_assert_msg(strstr(err, want), "%s", err);
	free(err);
}
END_TEST

START_TEST(world_readable_password_file_is_refused)
{
	struct xapi_options opt = { .endpoint = sock, .password_file = pwfile };
	char *err;

	write_pw("secret\n", 0644);
	err = connect_error(&opt);
	ck_assert_msg(strstr(err, "refused: others may read it"), "%s", err);
	ck_assert_ptr_null(strstr(err, "secret\n"));
	free(err);
	write_pw("secret\n", 0602);
	err = connect_error(&opt);
	ck_assert_msg(strstr(err, "others may write it"), "%s", err);
	free(err);
}
END_TEST

START_TEST(private_password_file_is_read)
{
	struct xapi_options opt = { .endpoint = sock, .password_file = pwfile };
	char *err;

	/* read fine: the failure is the missing socket, after reading */
	write_pw("secret\n", 0600);
	err = connect_error(&opt);
	ck_assert_msg(strstr(err, "cannot connect"), "%s", err);
	free(err);
}
END_TEST

START_TEST(password_file_must_exist_and_be_a_file)
{
	struct xapi_options opt = { .endpoint = sock, .password_file = dir };
	char *err = connect_error(&opt);

	ck_assert_msg(strstr(err, "not a regular file"), "%s", err);
	free(err);
	opt.password_file = "/nonexistent/pw";
	err = connect_error(&opt);
	ck_assert_msg(strstr(err, "No such file"), "%s", err);
	free(err);
}
END_TEST

START_TEST(overlong_password_is_refused)
{
	struct xapi_options opt = { .endpoint = sock, .password_file = pwfile };
	char *pw = malloc(5000), *err;

	memset(pw, 'p', 4999);
	pw[4999] = '\0';
	write_pw(pw, 0600);
	err = connect_error(&opt);
	ck_assert_msg(strstr(err, "first line longer than"), "%s", err);
	free(err);
	free(pw);
}
END_TEST

/* A write's request checked against XAPI_REQUEST_MAX as the encoder
 * would make it, the session counted as xapi's 46 bytes: a value that
 * makes it exactly the limit passes, a byte more (or an escape) not. */
START_TEST(request_size_is_checked_at_the_limit)
{
	static const char session[] = "OpaqueRef:00000000-0000-4000-8000-000000000000";
	const char *args[3] = { "OpaqueRef:1", "k", NULL };
	const char *call[4] = { session, "OpaqueRef:1", "k", "" };
	char *value, *why = NULL;
	size_t base = xr_call_size("VM.add_to_other_config", call, 4);

	ck_assert_uint_eq(strlen(session), 46);
	value = malloc(XAPI_REQUEST_MAX - base + 2);
	ck_assert_ptr_nonnull(value);
	memset(value, 'v', XAPI_REQUEST_MAX - base);
	value[XAPI_REQUEST_MAX - base] = '\0';
	args[2] = value;
	ck_assert_int_eq(xapi_check_size("VM.add_to_other_config", args, 3,
					 &why), 0);
	value[XAPI_REQUEST_MAX - base - 1] = '<';         /* "&lt;" */
	ck_assert_int_eq(xapi_check_size("VM.add_to_other_config", args, 3,
					 &why), -1);
	ck_assert_ptr_nonnull(strstr(why, "VM.add_to_other_config: a request of 307203 bytes is over the 307200 bytes XenAPI accepts"));
	free(why);
	why = NULL;
	value[XAPI_REQUEST_MAX - base - 1] = 'v';
	strcpy(value + XAPI_REQUEST_MAX - base, "v");
	ck_assert_int_eq(xapi_check_size("VM.add_to_other_config", args, 3,
					 &why), -1);
	ck_assert_ptr_nonnull(strstr(why, "307201 bytes"));
	free(why);
	free(value);
}
END_TEST

START_TEST(null_handle_is_harmless)
{
	struct xb_actual a = { 0 };
	struct xb_map m = { 0 };
	char set[] = "set", *value;

	xapi_close(NULL);
	ck_assert_ptr_nonnull(xapi_errmsg(NULL));
	ck_assert_ptr_null(xapi_fault(NULL));
	ck_assert_uint_eq(xapi_calls(NULL), 0);
	ck_assert_int_eq(xapi_read_state(NULL, &a), -1);
	ck_assert_int_eq(xapi_read_pbds(NULL, &a), -1);
	ck_assert_int_eq(xapi_set_map(NULL, XB_CLASS_VM, "r",
				      XB_FIELD_OTHER_CONFIG, &m), -1);
	ck_assert_int_eq(xapi_set_name_label(NULL, XB_CLASS_SR, "r", "n"), -1);
	ck_assert_int_eq(xapi_map_add(NULL, XB_CLASS_VM, "r",
				      XB_FIELD_OTHER_CONFIG, "k", "v"), -1);
	ck_assert_int_eq(xapi_map_remove(NULL, XB_CLASS_VM, "r",
					 XB_FIELD_OTHER_CONFIG, "k"), -1);
	value = set;
	ck_assert_int_eq(xapi_map_value(NULL, XB_CLASS_VM, "r",
					XB_FIELD_OTHER_CONFIG, "k", &value), -1);
	ck_assert_ptr_null(value);
}
END_TEST

Suite *test_suite(void)
{
	Suite *s = suite_create("xapi");
	TCase *tc;

	tc = tcase_create("options");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, bad_endpoints_are_refused);
	tcase_add_test(tc, request_size_is_checked_at_the_limit);
	tcase_add_test(tc, missing_socket_says_cannot_connect);
	tcase_add_test(tc, world_readable_password_file_is_refused);
	tcase_add_test(tc, private_password_file_is_read);
	tcase_add_test(tc, password_file_must_exist_and_be_a_file);
	tcase_add_test(tc, overlong_password_is_refused);
	suite_add_tcase(s, tc);

	tc = tcase_create("handles");
	tcase_add_test(tc, null_handle_is_harmless);
	suite_add_tcase(s, tc);
	return s;
}
