/* SPDX-License-Identifier: MIT */
/* test-trust.c - blob ownership checks, keys and detached signatures. */
#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "lib/trust.h"
#include "tests/unit/check-main.h"

static char dir[] = "/tmp/xb-trust-XXXXXX";
static char keybase[256], blob[256];
static const char payload[] = "XBAK pretend blob bytes";

static void setup(void)
{
	char *err = NULL;
	FILE *f;

	ck_assert_ptr_nonnull(mkdtemp(strcpy(dir, "/tmp/xb-trust-XXXXXX")));
	snprintf(keybase, sizeof(keybase), "%s/site", dir);
	snprintf(blob, sizeof(blob), "%s/site.xbb", dir);
	ck_assert_msg(xb_key_generate(keybase, &err) == 0, "%s", err);
	f = fopen(blob, "w");
	ck_assert_ptr_nonnull(f);
	fwrite(payload, 1, sizeof(payload), f);
	fclose(f);
}

static void teardown(void)
{
	char cmd[300];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
}

static void load_keys(unsigned char pk[XB_PUBLIC_KEY_SIZE],
		      unsigned char sk[XB_SECRET_KEY_SIZE])
{
	char path[300], *err = NULL;

	snprintf(path, sizeof(path), "%s.pub", keybase);
	ck_assert_msg(xb_key_read_public(path, pk, &err) == 0, "%s", err);
	snprintf(path, sizeof(path), "%s.key", keybase);
	ck_assert_msg(xb_key_read_secret(path, sk, &err) == 0, "%s", err);
}

START_TEST(secret_key_is_private)
{
	char path[300];
	struct stat st;

	snprintf(path, sizeof(path), "%s.key", keybase);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0600);
}
END_TEST

START_TEST(signed_blob_verifies)
{
	unsigned char pk[XB_PUBLIC_KEY_SIZE], sk[XB_SECRET_KEY_SIZE];
	char *err = NULL;

	load_keys(pk, sk);
	ck_assert_int_eq(xb_sig_write(blob, payload, sizeof(payload), sk, &err), 0);
	ck_assert_msg(xb_sig_verify(blob, payload, sizeof(payload), pk, &err) == 0,
		      "%s", err);
}
END_TEST

START_TEST(tampered_blob_is_refused)
{
	unsigned char pk[XB_PUBLIC_KEY_SIZE], sk[XB_SECRET_KEY_SIZE];
	char copy[sizeof(payload)], *err = NULL;

	load_keys(pk, sk);
	ck_assert_int_eq(xb_sig_write(blob, payload, sizeof(payload), sk, &err), 0);
	memcpy(copy, payload, sizeof(copy));
	copy[3] ^= 1;
	ck_assert_int_eq(xb_sig_verify(blob, copy, sizeof(copy), pk, &err), -1);
	ck_assert_ptr_nonnull(strstr(err, "bad signature"));
	free(err);
}
END_TEST

START_TEST(unsigned_blob_is_refused)
{
	unsigned char pk[XB_PUBLIC_KEY_SIZE], sk[XB_SECRET_KEY_SIZE];
	char *err = NULL;

	load_keys(pk, sk);
	ck_assert_int_eq(xb_sig_verify(blob, payload, sizeof(payload), pk, &err), -1);
	ck_assert_ptr_nonnull(strstr(err, "unsigned blob refused"));
	free(err);
}
END_TEST

START_TEST(other_key_is_refused)
{
	unsigned char pk[XB_PUBLIC_KEY_SIZE], sk[XB_SECRET_KEY_SIZE];
	unsigned char pk2[XB_PUBLIC_KEY_SIZE], sk2[XB_SECRET_KEY_SIZE];
	char *err = NULL;

	load_keys(pk, sk);
	snprintf(keybase, sizeof(keybase), "%s/other", dir);
	ck_assert_int_eq(xb_key_generate(keybase, &err), 0);
	load_keys(pk2, sk2);
	ck_assert_int_eq(xb_sig_write(blob, payload, sizeof(payload), sk2, &err), 0);
	ck_assert_int_eq(xb_sig_verify(blob, payload, sizeof(payload), pk, &err), -1);
	ck_assert_ptr_nonnull(strstr(err, "bad signature"));
	free(err);
}
END_TEST

START_TEST(malformed_signature_file_is_refused)
{
	unsigned char pk[XB_PUBLIC_KEY_SIZE], sk[XB_SECRET_KEY_SIZE];
	char path[300], *err = NULL;
	FILE *f;

	load_keys(pk, sk);
	snprintf(path, sizeof(path), "%s.sig", blob);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs("xenbake-ed25519-signature 00ff\n", f);
	fclose(f);
	ck_assert_int_eq(xb_sig_verify(blob, payload, sizeof(payload), pk, &err), -1);
	ck_assert_ptr_nonnull(strstr(err, "malformed"));
	free(err);
}
END_TEST

START_TEST(public_key_is_not_a_secret_key)
{
	unsigned char sk[XB_SECRET_KEY_SIZE];
	char path[300], *err = NULL;

	snprintf(path, sizeof(path), "%s.pub", keybase);
	ck_assert_int_eq(xb_key_read_secret(path, sk, &err), -1);
	ck_assert_ptr_nonnull(strstr(err, "not a xenbake-ed25519-secret-key"));
	free(err);
}
END_TEST

/* Returns the result of xb_trust_blob_file on the blob after chmod/chown. */
static int trust_after(mode_t mode, uid_t uid)
{
	char *err = NULL;
	int fd, ret;

	ck_assert_int_eq(chmod(blob, mode), 0);
	ck_assert_int_eq(chown(blob, uid, 0), 0);
	fd = open(blob, O_RDONLY);
	ck_assert_int_ge(fd, 0);
	ret = xb_trust_blob_file(fd, blob, &err);
	close(fd);
	free(err);
	return ret;
}

START_TEST(root_refuses_blob_others_can_write)
{
	if (geteuid() != 0)
		return;   /* the rule is root's; checked where tests run as root */
	ck_assert_int_eq(trust_after(0644, 0), 0);
	ck_assert_int_eq(trust_after(0600, 0), 0);
	ck_assert_int_eq(trust_after(0664, 0), -1);
	ck_assert_int_eq(trust_after(0646, 0), -1);
	ck_assert_int_eq(trust_after(0644, 1000), -1);
}
END_TEST

Suite *test_suite(void)
{
	Suite *s = suite_create("trust");
	TCase *tc = tcase_create("signatures");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, secret_key_is_private);
	tcase_add_test(tc, signed_blob_verifies);
	tcase_add_test(tc, tampered_blob_is_refused);
	tcase_add_test(tc, unsigned_blob_is_refused);
	tcase_add_test(tc, other_key_is_refused);
	tcase_add_test(tc, malformed_signature_file_is_refused);
	tcase_add_test(tc, public_key_is_not_a_secret_key);
	suite_add_tcase(s, tc);

	tc = tcase_create("ownership");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, root_refuses_blob_others_can_write);
	suite_add_tcase(s, tc);
	return s;
}
