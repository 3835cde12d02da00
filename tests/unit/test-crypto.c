/* SPDX-License-Identifier: MIT */
/* test-crypto.c - lib/crypto.h against the RFCs' own vectors (Ed25519: RFC
 * 8032 7.1, X25519: RFC 7748 5.2 and 6.1, ChaCha20-Poly1305: RFC 8439
 * 2.8.2), and trust's key and signature files on top of it. Every backend
 * runs this same file: equal answers to the vectors are what makes a key,
 * a signature or a sealed value of one backend good for the other. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/crypto.h"
#include "lib/hex.h"
#include "lib/trust.h"
#include "tests/unit/check-main.h"

/* Decodes the vector's hex into out (n bytes exactly) */
static void unhex(uint8_t *out, size_t n, const char *hex)
{
	const char *end;

	ck_assert_uint_eq(strlen(hex), 2 * n);
	ck_assert_int_eq(xb_unhex(out, n, hex, &end), 0);
	ck_assert_int_eq(*end, '\0');
}

static void init(void)
{
	char *err = NULL;

	ck_assert_msg(xb_crypto_init(&err) == 0, "%s", err);
}

/* RFC 8032 7.1, TESTs 1 to 3 */
static const struct {
	const char *seed, *pk, *msg, *sig;
} ed[] = {
	{ "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
	  "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
	  "",
	  "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155"
	  "5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b" },
	{ "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
	  "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
	  "72",
	  "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da"
	  "085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00" },
	{ "c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
	  "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025",
	  "af82",
	  "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac"
	  "18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a" },
};

START_TEST(ed25519_rfc8032)
{
	uint8_t seed[32], pk[32], want_pk[32], sig[64], want_sig[64], msg[2];
	size_t n = strlen(ed[_i].msg) / 2;

	init();
	unhex(seed, sizeof(seed), ed[_i].seed);
	unhex(want_pk, sizeof(want_pk), ed[_i].pk);
	unhex(msg, n, ed[_i].msg);
	unhex(want_sig, sizeof(want_sig), ed[_i].sig);

	ck_assert_int_eq(xb_ed25519_public(seed, pk), 0);
	ck_assert_mem_eq(pk, want_pk, sizeof(pk));
	ck_assert_int_eq(xb_ed25519_sign(seed, msg, n, sig), 0);
	ck_assert_mem_eq(sig, want_sig, sizeof(sig));
	ck_assert_int_eq(xb_ed25519_verify(pk, msg, n, sig), 0);

	/* one flipped bit anywhere: in R, in S, in the key, in the message */
	sig[0] ^= 1;
	ck_assert_int_eq(xb_ed25519_verify(pk, msg, n, sig), -1);
	sig[0] ^= 1;
	sig[40] ^= 0x10;
	ck_assert_int_eq(xb_ed25519_verify(pk, msg, n, sig), -1);
	sig[40] ^= 0x10;
	pk[5] ^= 2;
	ck_assert_int_eq(xb_ed25519_verify(pk, msg, n, sig), -1);
	pk[5] ^= 2;
	if (n) {
		msg[n - 1] ^= 0x80;
		ck_assert_int_eq(xb_ed25519_verify(pk, msg, n, sig), -1);
		msg[n - 1] ^= 0x80;
	}
	ck_assert_int_eq(xb_ed25519_verify(pk, msg, n, sig), 0);
}
END_TEST

/* RFC 7748 5.2: scalar, u-coordinate, result */
static const struct {
	const char *k, *u, *out;
} x[] = {
	{ "a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4",
	  "e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c",
	  "c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552" },
	{ "4b66e9d4d1b4673c5ad22691957d6af5c11b6421e0ea01d42ca4169e7918ba0d",
	  "e5210f12786811d3f4b7959d0538ae2c31dbe7106fc03c3efc4cd549c715a493",
	  "95cbde9476e8907d7aade45cb4b873f88b595a68799fa152e6f8f7647aac7957" },
};

START_TEST(x25519_rfc7748_function)
{
	uint8_t k[32], u[32], out[32], want[32];

	init();
	unhex(k, sizeof(k), x[_i].k);
	unhex(u, sizeof(u), x[_i].u);
	unhex(want, sizeof(want), x[_i].out);
	ck_assert_int_eq(xb_x25519(k, u, out), 0);
	ck_assert_mem_eq(out, want, sizeof(out));
}
END_TEST

/* RFC 7748 6.1: Alice and Bob agree */
START_TEST(x25519_rfc7748_agreement)
{
	uint8_t a[32], b[32], apk[32], bpk[32], want[32], k1[32], k2[32];

	init();
	unhex(a, sizeof(a), "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a");
	unhex(b, sizeof(b), "5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb");
	ck_assert_int_eq(xb_x25519_public(a, apk), 0);
	ck_assert_int_eq(xb_x25519_public(b, bpk), 0);
	unhex(want, sizeof(want), "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a");
	ck_assert_mem_eq(apk, want, sizeof(want));
	unhex(want, sizeof(want), "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f");
	ck_assert_mem_eq(bpk, want, sizeof(want));
	unhex(want, sizeof(want), "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742");
	ck_assert_int_eq(xb_x25519(a, bpk, k1), 0);
	ck_assert_int_eq(xb_x25519(b, apk, k2), 0);
	ck_assert_mem_eq(k1, want, sizeof(want));
	ck_assert_mem_eq(k2, want, sizeof(want));
}
END_TEST

/* A public key of small order (u = 0, u = 1) gives the all-zero secret */
START_TEST(x25519_refuses_small_order)
{
	uint8_t a[32], u[32] = { 0 }, out[32];

	init();
	memset(a, 0x5a, sizeof(a));
	memset(out, 0xff, sizeof(out));
	ck_assert_int_eq(xb_x25519(a, u, out), -1);
	u[0] = 1;
	ck_assert_int_eq(xb_x25519(a, u, out), -1);
}
END_TEST

/* RFC 8439 2.8.2 */
static const char sunscreen[] = "Ladies and Gentlemen of the class of '99: "
	"If I could offer you only one tip for the future, sunscreen would be it.";
static const char sunscreen_sealed[] =
	"d31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d6"
	"3dbea45e8ca9671282fafb69da92728b1a71de0a9e060b2905d6a5b67ecd3b36"
	"92ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc"
	"3ff4def08e4b7a9de576d26586cec64b6116"
	"1ae10b594f09e26a7e902ecbd0600691";     /* the tag */

static void aead_inputs(uint8_t key[32], uint8_t nonce[12], uint8_t ad[12])
{
	int i;

	for (i = 0; i < 32; i++)
		key[i] = (uint8_t)(0x80 + i);
	unhex(nonce, 12, "070000004041424344454647");
	unhex(ad, 12, "50515253c0c1c2c3c4c5c6c7");
}

START_TEST(aead_rfc8439)
{
	enum { N = sizeof(sunscreen) - 1 };
	uint8_t key[32], nonce[12], ad[12], want[N + 16], out[N + 16], back[N];

	init();
	aead_inputs(key, nonce, ad);
	unhex(want, sizeof(want), sunscreen_sealed);
	ck_assert_int_eq(xb_aead_seal(key, nonce, ad, sizeof(ad), sunscreen, N,
				      out), 0);
	ck_assert_mem_eq(out, want, sizeof(want));
	ck_assert_int_eq(xb_aead_open(key, nonce, ad, sizeof(ad), out,
				      sizeof(out), back), 0);
	ck_assert_mem_eq(back, sunscreen, N);
}
END_TEST

/* A flipped bit in the ciphertext, the tag, the associated data, the
 * nonce or the key is refused, and nothing of the plaintext is left */
START_TEST(aead_refuses_any_change)
{
	enum { N = sizeof(sunscreen) - 1 };
	uint8_t key[32], nonce[12], ad[12], sealed[N + 16], back[N];
	uint8_t *flip[] = { &sealed[0], &sealed[N - 1], &sealed[N + 15], &ad[11],
			    &nonce[0], &key[31] };
	const uint8_t zeros[N] = { 0 };
	size_t i;

	init();
	aead_inputs(key, nonce, ad);
	unhex(sealed, sizeof(sealed), sunscreen_sealed);
	for (i = 0; i < sizeof(flip) / sizeof(flip[0]); i++) {
		*flip[i] ^= 4;
		memset(back, 'x', sizeof(back));
		ck_assert_int_eq(xb_aead_open(key, nonce, ad, sizeof(ad), sealed,
					      sizeof(sealed), back), -1);
		ck_assert_mem_eq(back, zeros, sizeof(back));
		*flip[i] ^= 4;
	}
	/* shorter than a tag */
	ck_assert_int_eq(xb_aead_open(key, nonce, ad, sizeof(ad), sealed, 15,
				      back), -1);
	ck_assert_int_eq(xb_aead_open(key, nonce, ad, sizeof(ad), sealed,
				      sizeof(sealed), back), 0);
}
END_TEST

/* Nothing to hide and no associated data: a tag alone, still checked */
START_TEST(aead_empty)
{
	uint8_t key[32], nonce[12], ad[12], tag[16], none[1];

	init();
	aead_inputs(key, nonce, ad);
	ck_assert_int_eq(xb_aead_seal(key, nonce, NULL, 0, NULL, 0, tag), 0);
	ck_assert_int_eq(xb_aead_open(key, nonce, NULL, 0, tag, sizeof(tag),
				      none), 0);
	ck_assert_int_eq(xb_aead_open(key, nonce, ad, sizeof(ad), tag,
				      sizeof(tag), none), -1);
}
END_TEST

START_TEST(random_and_wipe)
{
	uint8_t a[32], b[32];
	const uint8_t zeros[32] = { 0 };

	init();
	ck_assert_int_eq(xb_crypto_random(a, sizeof(a)), 0);
	ck_assert_int_eq(xb_crypto_random(b, sizeof(b)), 0);
	ck_assert_mem_ne(a, b, sizeof(a));
	ck_assert_mem_ne(a, zeros, sizeof(a));
	xb_crypto_wipe(a, sizeof(a));
	ck_assert_mem_eq(a, zeros, sizeof(a));
}
END_TEST

/* trust.c on top: files, in the formats every build reads and writes */
static char dir[] = "/tmp/xb-crypto-XXXXXX";

static void setup(void)
{
	ck_assert_ptr_nonnull(mkdtemp(strcpy(dir, "/tmp/xb-crypto-XXXXXX")));
}

static void teardown(void)
{
	char cmd[300];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
}

static void put(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	ck_assert_ptr_nonnull(f);
	ck_assert_int_ge(fputs(text, f), 0);
	ck_assert_int_eq(fclose(f), 0);
}

static void get(const char *path, char *text, size_t size)
{
	FILE *f = fopen(path, "r");
	size_t n;

	ck_assert_ptr_nonnull(f);
	n = fread(text, 1, size - 1, f);
	text[n] = '\0';
	fclose(f);
}

/* RFC 8032's TEST 2 key as a .key file (seed || public key): the .sig
 * written is the RFC's signature, byte for byte */
START_TEST(trust_files_rfc8032)
{
	unsigned char sk[XB_SECRET_KEY_SIZE], pk[XB_PUBLIC_KEY_SIZE];
	char key[300], pub[300], blob[300], sig[300], text[256], want[256];
	char *err = NULL;

	snprintf(key, sizeof(key), "%s/rfc.key", dir);
	snprintf(pub, sizeof(pub), "%s/rfc.pub", dir);
	snprintf(blob, sizeof(blob), "%s/b.xbb", dir);
	snprintf(sig, sizeof(sig), "%s/b.xbb.sig", dir);
	snprintf(text, sizeof(text), "xenbake-ed25519-secret-key %s%s\n",
		 ed[1].seed, ed[1].pk);
	put(key, text);
	snprintf(text, sizeof(text), "xenbake-ed25519-public-key %s\n", ed[1].pk);
	put(pub, text);

	ck_assert_msg(xb_key_read_secret(key, sk, &err) == 0, "%s", err);
	ck_assert_msg(xb_key_read_public(pub, pk, &err) == 0, "%s", err);
	ck_assert_msg(xb_sig_write(blob, "\x72", 1, sk, &err) == 0, "%s", err);
	get(sig, text, sizeof(text));
	snprintf(want, sizeof(want), "xenbake-ed25519-signature %s\n", ed[1].sig);
	ck_assert_str_eq(text, want);
	ck_assert_msg(xb_sig_verify(blob, "\x72", 1, pk, &err) == 0, "%s", err);
	ck_assert_int_eq(xb_sig_verify(blob, "\x73", 1, pk, &err), -1);
	ck_assert_ptr_nonnull(strstr(err, "bad signature"));
	free(err);
}
END_TEST

/* A .key whose public half is not its seed's is refused, not used */
START_TEST(trust_damaged_key)
{
	unsigned char sk[XB_SECRET_KEY_SIZE];
	char key[300], text[256], *err = NULL;

	snprintf(key, sizeof(key), "%s/bad.key", dir);
	snprintf(text, sizeof(text), "xenbake-ed25519-secret-key %s%s\n",
		 ed[1].seed, ed[2].pk);
	put(key, text);
	ck_assert_int_eq(xb_key_read_secret(key, sk, &err), -1);
	ck_assert_ptr_nonnull(strstr(err, "damaged"));
	free(err);
}
END_TEST

/* A generated key: seed || public key in .key, the same public key in
 * .pub, and its signatures verify */
START_TEST(trust_round_trip)
{
	unsigned char sk[XB_SECRET_KEY_SIZE], pk[XB_PUBLIC_KEY_SIZE], pk2[32];
	char base[300], path[310], blob[300], *err = NULL;
	static const char payload[] = "XBAK any bytes";

	snprintf(base, sizeof(base), "%s/site", dir);
	snprintf(blob, sizeof(blob), "%s/site.xbb", dir);
	ck_assert_msg(xb_key_generate(base, &err) == 0, "%s", err);
	snprintf(path, sizeof(path), "%s.key", base);
	ck_assert_msg(xb_key_read_secret(path, sk, &err) == 0, "%s", err);
	snprintf(path, sizeof(path), "%s.pub", base);
	ck_assert_msg(xb_key_read_public(path, pk, &err) == 0, "%s", err);
	ck_assert_int_eq(xb_ed25519_public(sk, pk2), 0);
	ck_assert_mem_eq(pk2, pk, sizeof(pk));
	ck_assert_mem_eq(sk + 32, pk, sizeof(pk));
	ck_assert_msg(xb_sig_write(blob, payload, sizeof(payload), sk, &err) == 0,
		      "%s", err);
	ck_assert_msg(xb_sig_verify(blob, payload, sizeof(payload), pk, &err) == 0,
		      "%s", err);
}
END_TEST

Suite *test_suite(void)
{
	static char name[32];
	Suite *s;
	TCase *tc;

	snprintf(name, sizeof(name), "crypto-%s", xb_crypto_backend());
	s = suite_create(name);
	tc = tcase_create("vectors");
	tcase_add_loop_test(tc, ed25519_rfc8032, 0, sizeof(ed) / sizeof(ed[0]));
	tcase_add_loop_test(tc, x25519_rfc7748_function, 0, sizeof(x) / sizeof(x[0]));
	tcase_add_test(tc, x25519_rfc7748_agreement);
	tcase_add_test(tc, x25519_refuses_small_order);
	tcase_add_test(tc, aead_rfc8439);
	tcase_add_test(tc, aead_refuses_any_change);
	tcase_add_test(tc, aead_empty);
	tcase_add_test(tc, random_and_wipe);
	suite_add_tcase(s, tc);

	tc = tcase_create("trust");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, trust_files_rfc8032);
	tcase_add_test(tc, trust_damaged_key);
	tcase_add_test(tc, trust_round_trip);
	suite_add_tcase(s, tc);
	return s;
}
