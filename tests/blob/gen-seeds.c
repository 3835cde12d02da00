/* SPDX-License-Identifier: MIT */
/* gen-seeds.c - writes the fuzz seeds for fuzz-blob into DIR: valid blobs
 * built by hand (tests/blob/handblob.h), each checked to open.
 *   gen-seeds DIR
 * tests/blob/seeds.sh checks that the committed seeds are what this writes. */
#include <stdio.h>
#include <stdlib.h>

#include "tests/blob/handblob.h"

static struct hb hb;

static int write_seed(const char *dir, const char *name)
{
	struct xbb view;
	char path[4096];
	FILE *f;
	int err;

	err = xbb_open(&view, hb.buf, hb.len);
	if (err) {
		fprintf(stderr, "gen-seeds: %s: %s\n", name, xbb_strerror(err));
		return -1;
	}
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	if (!f || fwrite(hb.buf, 1, hb.len, f) != hb.len) {
		perror(path);
		if (f)
			fclose(f);
		return -1;
	}
	if (fclose(f)) {
		perror(path);
		return -1;
	}
	return 0;
}

static void build_empty(void)
{
	hb_init(&hb);
	hb_finish(&hb);
}

static void build_renamed_sr(void)
{
	uint32_t p;

	hb_init(&hb);
	hb.header_size = XBB_HEADER_SIZE + 16;
	p = hb_pos(&hb, "storage.xb", 2, 1);
	hb_object(&hb, XB_CLASS_SR, 0, "Local storage", "", p);
	p = hb_pos(&hb, "storage.xb", 3, 5);
	hb_entry(&hb, XB_FIELD_OTHER_CONFIG, "i18n-key", "local-storage", p);
	hb_entry(&hb, XB_FIELD_OTHER_CONFIG, "i18n-original-value-name_label",
		 "Disks", p);
	hb_entry(&hb, XB_FIELD_NAME_LABEL, "", "Disks",
		 hb_pos(&hb, "storage.xb", 4, 5));
	hb_object(&hb, XB_CLASS_SR, XB_OBJ_BY_UUID | XB_OBJ_OPTIONAL,
		  "0d3e8a7c-52f4-4b8e-9d0a-1c2b3a4d5e6f", "",
		  hb_pos(&hb, "storage.xb", 6, 1));
	hb_entry(&hb, XB_FIELD_OTHER_CONFIG, "HideFromXenCenter", "true",
		 hb_pos(&hb, "storage.xb", 6, 60));
	hb_finish(&hb);
}

static void build_escapes(void)
{
	uint32_t p;

	hb_init(&hb);
	p = hb_pos(&hb, "inc/odd $name.xb", 7, 9);
	hb_object(&hb, XB_CLASS_VM, 0, "caf\xc3\xa9 \"quoted\" \\", "", p);
	hb_entry(&hb, XB_FIELD_XENSTORE_DATA, "tier", "x\x01y", p);
	hb_entry(&hb, XB_FIELD_XENSTORE_DATA, "vm-data/net/ip", "a\tb\nc", p);
	hb_entry(&hb, XB_FIELD_OTHER_CONFIG, "price",
		 "$5 ${x} \xf0\x9f\x8d\x9e", p);
	hb_object(&hb, XB_CLASS_PIF, 0, "eth0", "", p);
	hb_object(&hb, XB_CLASS_PIF, 0, "eth0", "xs-01", p);
	hb_entry(&hb, XB_FIELD_OTHER_CONFIG, "owner", "net\x7fops", p);
	hb_finish(&hb);
}

/* Format 3: a once key, a secret (a sealed bundle, lib/seal.h) */
static void build_secret(void)
{
	uint32_t p;

	hb_init(&hb);
	p = hb_pos(&hb, "secret.xb", 2, 5);
	hb_object(&hb, XB_CLASS_VM, 0, "web-01", "", p);
	hb_entry(&hb, XB_FIELD_XENSTORE_DATA, "vm-data/admin/password",
		 "WEJTTAEBAAAHAAAA4/D8bFMfZ4Gj0aneRNJvlAyXLvsDk6mssGRyb1Di8"
		 "61hIlij9VQbBra2rkpe6Y9R3xqyaMTEkNOj1T+B9KeP", p);
	hb_entry(&hb, XB_FIELD_XENSTORE_DATA, "vm-data/token", "t-1", p);
	hb_finish(&hb);
	hb_set32(&hb, XBB_OFF_VERSION, 3);
	hb_set32(&hb, XBB_OFF_LAST_COMP, 3);
	hb_set32(&hb, hb_entry_at(&hb, 0),
		 XB_FIELD_XENSTORE_DATA | XB_ENTRY_SECRET);
	hb_set32(&hb, hb_entry_at(&hb, 1),
		 XB_FIELD_XENSTORE_DATA | XB_ENTRY_ONCE);
	hb_rehash(&hb);
}

int main(int argc, char **argv)
{
	int ret = 0;

	if (argc != 2) {
		fprintf(stderr, "usage: %s DIR\n", argv[0]);
		return 2;
	}
	hb_sample(&hb);
	ret |= write_seed(argv[1], "sample.xbb");
	build_empty();
	ret |= write_seed(argv[1], "empty.xbb");
	build_renamed_sr();
	ret |= write_seed(argv[1], "renamed-sr.xbb");
	build_escapes();
	ret |= write_seed(argv[1], "escapes.xbb");
	build_secret();
	ret |= write_seed(argv[1], "secret.xbb");
	return ret ? EXIT_FAILURE : EXIT_SUCCESS;
}
