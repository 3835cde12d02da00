/* SPDX-License-Identifier: MIT */
/* test-seal.c - sealing and opening secret values (lib/seal.h): the
 * round trip to several keys, determinism, the bytes of a known key and
 * plaintext (so that another backend can be shown to make the same), and
 * refusals: another key, every byte of a bundle altered, every shorter
 * length, a host key others may read, a .pub without a sealing key. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "lib/base64.h"
#include "lib/crypto.h"
#include "lib/seal.h"
#include "tests/unit/check-main.h"

static const char plain[] = "correct horse battery staple";

/* A key pair made from a seed of one repeated byte: known keys */
static void known_pair(unsigned char byte, unsigned char x_sk[32],
		       unsigned char x_pk[32])
{
	unsigned char sk[XB_SECRET_KEY_SIZE];
	char *err = NULL;

	ck_assert_msg(xb_crypto_init(&err) == 0, "%s", err);
	/* seed || public key, as a .key file holds it */
	memset(sk, byte, XB_ED25519_SEED_SIZE);
	ck_assert_int_eq(xb_ed25519_public(sk, sk + XB_ED25519_SEED_SIZE), 0);
	ck_assert_int_eq(xb_seal_keypair(sk, x_sk, x_pk), 0);
}

static char *seal_to(unsigned char (*pks)[32], size_t n, const char *text,
		     size_t len)
{
	char *out = NULL, *err = NULL;

	ck_assert_msg(xb_seal((const unsigned char (*)[32])pks, n, text, len,
			      &out, &err) == 0, "%s", err);
	return out;
}

/* RFC 4648's vectors; a text for each bytes, so nothing else decodes */
START_TEST(base64_is_canonical)
{
	static const char *const vectors[][2] = {
		{ "", "" }, { "f", "Zg==" }, { "fo", "Zm8=" }, { "foo", "Zm9v" },
		{ "foob", "Zm9vYg==" }, { "fooba", "Zm9vYmE=" },
		{ "foobar", "Zm9vYmFy" },
	};
	static const char *const refused[] = {
		"Zg", "Zg=", "Zh==", "Zm9=", "Zm8==", "Z===", "====", "Zm9v\n",
		"Zm 9", "Zg==Zg==", "Zm-v", "Zm_v", "=Zm8",
	};
	unsigned char out[16];
	char text[16];
	size_t i, n;

	for (i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
		xb_base64_encode(text, (const unsigned char *)vectors[i][0],
				 strlen(vectors[i][0]));
		ck_assert_str_eq(text, vectors[i][1]);
		ck_assert_int_eq(xb_base64_decode(out, text, strlen(text), &n),
				 0);
		ck_assert_uint_eq(n, strlen(vectors[i][0]));
		ck_assert_int_eq(memcmp(out, vectors[i][0], n), 0);
	}
	for (i = 0; i < sizeof(refused) / sizeof(refused[0]); i++)
		ck_assert_msg(xb_base64_decode(out, refused[i],
					       strlen(refused[i]), &n) == -1,
			      "\"%s\" decoded", refused[i]);
}
END_TEST

START_TEST(opens_with_each_key)
{
	unsigned char sk[3][32], pk[3][32];
	char *text, *out = NULL, *err = NULL;
	size_t len, i;

	for (i = 0; i < 3; i++)
		known_pair((unsigned char)(i + 1), sk[i], pk[i]);
	text = seal_to(pk, 2, plain, strlen(plain));
	ck_assert_int_eq(xb_seal_check(text, &err), 0);
	for (i = 0; i < 2; i++) {
		ck_assert_msg(xb_seal_open(text, sk[i], &out, &len, &err) == 0,
			      "%s", err);
		ck_assert_uint_eq(len, strlen(plain));
		ck_assert_str_eq(out, plain);
		xb_seal_free(out);
	}
	/* a third host's key: no record for it */
	ck_assert_int_eq(xb_seal_open(text, sk[2], &out, &len, &err), -1);
	ck_assert_ptr_null(out);
	ck_assert_ptr_nonnull(strstr(err, "not sealed to this host's key"));
	free(err);
	free(text);
}
END_TEST

START_TEST(deterministic_in_any_key_order)
{
	unsigned char sk[2][32], pk[2][32], swapped[2][32];
	char *a, *b, *c;

	known_pair(1, sk[0], pk[0]);
	known_pair(2, sk[1], pk[1]);
	memcpy(swapped[0], pk[1], 32);
	memcpy(swapped[1], pk[0], 32);
	a = seal_to(pk, 2, plain, strlen(plain));
	b = seal_to(swapped, 2, plain, strlen(plain));
	c = seal_to(pk, 2, "another", 7);
	ck_assert_str_eq(a, b);
	ck_assert_str_ne(a, c);
	free(a);
	free(b);
	free(c);
}
END_TEST

/* The bytes of this format for a fixed key and plaintext, as computed
 * from seal.h's description by another implementation (Python's
 * cryptography package: X25519, ChaCha20Poly1305, hashlib): one on other
 * primitives must give them too. */
#define KNOWN_ANSWER "WEJTTAEBAAAHAAAA4/D8bFMfZ4Gj0aneRNJvlAyXLvsDk6mssGRy" \
		     "b1Di861hIlij9VQbBra2rkpe6Y9R3xqyaMTEkNOj1T+B9KeP"
#define KNOWN_ID "e3f0fc6c531f6781"

START_TEST(known_answer)
{
	unsigned char sk[1][32], pk[1][32];
	char *text, hex[2 * XB_SEAL_ID_SIZE + 1];

	known_pair(7, sk[0], pk[0]);
	xb_seal_key_id(pk[0], hex);
	text = seal_to(pk, 1, "xenbake", 7);
	ck_assert_uint_eq(strlen(text), 4 * ((12 + 8 + 32 + 7 + 16 + 2) / 3));
	ck_assert_str_eq(text, KNOWN_ANSWER);
	ck_assert_str_eq(hex, KNOWN_ID);
	free(text);
}
END_TEST

START_TEST(every_altered_byte_is_refused)
{
	unsigned char sk[1][32], pk[1][32], bundle[256];
	char *text, altered[512], *out = NULL, *err = NULL;
	size_t size, len, i;
	int bit;

	known_pair(1, sk[0], pk[0]);
	text = seal_to(pk, 1, "abc", 3);
	ck_assert_uint_le(strlen(text) / 4 * 3, sizeof(bundle));
	ck_assert_int_eq(xb_base64_decode(bundle, text, strlen(text), &size), 0);
	ck_assert_uint_eq(size, XB_SEAL_HEADER_SIZE + XB_SEAL_RECORD_SIZE(3));
	for (i = 0; i < size; i++)
		for (bit = 0; bit < 8; bit += 7) {
			bundle[i] ^= (unsigned char)(1u << bit);
			xb_base64_encode(altered, bundle, size);
			bundle[i] ^= (unsigned char)(1u << bit);
			ck_assert_msg(xb_seal_open(altered, sk[0], &out, &len,
						   &err) == -1,
				      "byte %zu bit %d: opened", i, bit);
			ck_assert_ptr_null(out);
			ck_assert_ptr_nonnull(err);
			free(err);
			err = NULL;
		}
	/* cut short at every length, or one byte too long */
	for (i = 0; i <= size; i++) {
		unsigned char longer[257];

		memcpy(longer, bundle, size);
		longer[size] = 0;
		xb_base64_encode(altered, longer, i < size ? i : size + 1);
		ck_assert_msg(xb_seal_check(altered, &err) == -1,
			      "length %zu: accepted", i);
		free(err);
		err = NULL;
	}
	ck_assert_int_eq(xb_seal_check("not base64!", &err), -1);
	free(err);
	free(text);
}
END_TEST

START_TEST(refuses_bad_recipients)
{
	unsigned char sk[2][32], pk[2][32];
	char *out = NULL, *err = NULL;

	known_pair(1, sk[0], pk[0]);
	memcpy(pk[1], pk[0], 32);
	ck_assert_int_eq(xb_seal((const unsigned char (*)[32])pk, 2, "x", 1,
				 &out, &err), -1);
	ck_assert_ptr_nonnull(strstr(err, "twice"));
	free(err);
	ck_assert_int_eq(xb_seal((const unsigned char (*)[32])pk, 0, "x", 1,
				 &out, &err), -1);
	free(err);
	/* the all-zero point: no shared secret */
	memset(pk[1], 0, 32);
	ck_assert_int_eq(xb_seal((const unsigned char (*)[32])&pk[1], 1, "x",
				 1, &out, &err), -1);
	ck_assert_ptr_null(out);
	free(err);
}
END_TEST

START_TEST(refuses_a_nul_in_the_plaintext)
{
	unsigned char sk[1][32], pk[1][32];
	char *text, *out = NULL, *err = NULL;
	size_t len;

	known_pair(1, sk[0], pk[0]);
	text = seal_to(pk, 1, "a\0b", 3);
	ck_assert_int_eq(xb_seal_open(text, sk[0], &out, &len, &err), -1);
	ck_assert_ptr_nonnull(strstr(err, "NUL"));
	free(err);
	free(text);
}
END_TEST

static char dir[] = "/tmp/xb-seal-XXXXXX";

START_TEST(key_files)
{
	unsigned char sk[XB_SECRET_KEY_SIZE], x_pk[32], x_sk[32], from_pub[32];
	unsigned char ed_pk[XB_PUBLIC_KEY_SIZE];
	char base[300], path[320], cmd[400], *err = NULL;
	FILE *f;

	ck_assert_ptr_nonnull(mkdtemp(strcpy(dir, "/tmp/xb-seal-XXXXXX")));
	snprintf(base, sizeof(base), "%s/host", dir);
	ck_assert_msg(xb_key_generate(base, &err) == 0, "%s", err);
	/* the .pub's second line is the sealing half of the .key */
	snprintf(path, sizeof(path), "%s.key", base);
	ck_assert_msg(xb_key_read_host(path, sk, &err) == 0, "%s", err);
	xb_seal_keypair(sk, x_sk, x_pk);
	snprintf(path, sizeof(path), "%s.pub", base);
	ck_assert_msg(xb_key_read_seal_public(path, from_pub, &err) == 0,
		      "%s", err);
	ck_assert_mem_eq(from_pub, x_pk, 32);
	/* and the signature reader still reads its first line */
	ck_assert_msg(xb_key_read_public(path, ed_pk, &err) == 0, "%s", err);
	ck_assert_mem_eq(ed_pk, sk + 32, 32);
	/* a host key others may read is refused */
	snprintf(path, sizeof(path), "%s.key", base);
	ck_assert_int_eq(chmod(path, 0640), 0);
	ck_assert_int_eq(xb_key_read_host(path, sk, &err), -1);
	ck_assert_ptr_nonnull(strstr(err, "group or others"));
	free(err);
	/* a .pub from before secrets: one line */
	snprintf(path, sizeof(path), "%s/old.pub", dir);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fprintf(f, "xenbake-ed25519-public-key %064d\n", 0);
	fclose(f);
	ck_assert_int_eq(xb_key_read_seal_public(path, from_pub, &err), -1);
	ck_assert_ptr_nonnull(strstr(err, "--gen-key"));
	free(err);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
}
END_TEST

Suite *test_suite(void)
{
	Suite *s = suite_create("seal");
	TCase *tc = tcase_create("seal");

	tcase_add_test(tc, base64_is_canonical);
	tcase_add_test(tc, opens_with_each_key);
	tcase_add_test(tc, deterministic_in_any_key_order);
	tcase_add_test(tc, known_answer);
	tcase_add_test(tc, every_altered_byte_is_refused);
	tcase_add_test(tc, refuses_bad_recipients);
	tcase_add_test(tc, refuses_a_nul_in_the_plaintext);
	tcase_add_test(tc, key_files);
	suite_add_tcase(s, tc);
	return s;
}
