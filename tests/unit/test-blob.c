/* SPDX-License-Identifier: MIT */
/* test-blob.c - the blob reader against blobs built by hand, one malformed
 * blob per error path, each asserting the exact error code. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "lib/blob.h"
#include "lib/glob.h"
#include "lib/identity.h"
#include "tests/blob/handblob.h"
#include "tests/unit/check-main.h"

static struct hb hb;
static struct xbb view;

static int open_hb(void)
{
	return xbb_open(&view, hb.buf, hb.len);
}

/* hb_sample()'s layout: 5 objects, 6 entries */
static void sample(void)
{
	hb_sample(&hb);
	ck_assert_int_eq(open_hb(), XBB_OK);
}

static uint32_t sect_off(enum xbb_section s)
{
	return hb_get32(&hb, hb_section_at(s));
}

static uint32_t sect_size(enum xbb_section s)
{
	return hb_get32(&hb, hb_section_at(s) + 4);
}

static void set_sect(enum xbb_section s, uint32_t off, uint32_t size)
{
	hb_set32(&hb, hb_section_at(s), off);
	hb_set32(&hb, hb_section_at(s) + 4, size);
	hb_rehash(&hb);
}

/* poke a u32 and fix the hash: the test is about what the u32 means */
static void poke(size_t off, uint32_t v)
{
	hb_set32(&hb, off, v);
	hb_rehash(&hb);
}

/* ---- valid blobs ---------------------------------------------------- */

START_TEST(sample_opens_with_its_values)
{
	struct xbb_object o;
	struct xbb_entry e;

	sample();
	ck_assert_uint_eq(view.nobjects, 5);
	ck_assert_uint_eq(view.nentries, 6);
	ck_assert_uint_eq(view.size, hb.len);

	xbb_object(&view, 0, &o);
	ck_assert_int_eq(o.cls, XB_CLASS_VM);
	ck_assert_uint_eq(o.flags, 0);
	ck_assert_str_eq(o.selector, "web-01");
	ck_assert_str_eq(o.host, "");
	ck_assert_uint_eq(o.first, 0);
	ck_assert_uint_eq(o.count, 2);
	ck_assert_str_eq(o.pos.file, "site.xb");
	ck_assert_uint_eq(o.pos.line, 3);
	ck_assert_uint_eq(o.pos.column, 1);

	xbb_entry(&view, 0, &e);
	ck_assert_int_eq(e.field, XB_FIELD_XENSTORE_DATA);
	ck_assert_str_eq(e.key, "vm-data/role");
	ck_assert_str_eq(e.value, "frontend");
	ck_assert_uint_eq(e.pos.line, 4);
	ck_assert_uint_eq(e.pos.column, 5);

	xbb_object(&view, 1, &o);
	ck_assert_uint_eq(o.flags, XB_OBJ_BY_UUID | XB_OBJ_OPTIONAL);
	ck_assert_uint_eq(o.first, 2);
	ck_assert_uint_eq(o.count, 0);
	ck_assert_str_eq(o.pos.file, "vms.xb");

	xbb_object(&view, 4, &o);
	ck_assert_int_eq(o.cls, XB_CLASS_PIF);
	ck_assert_str_eq(o.selector, "eth1");
	ck_assert_str_eq(o.host, "xs-02");
	ck_assert_uint_eq(o.first, 5);
	xbb_entry(&view, 5, &e);
	ck_assert_int_eq(e.field, XB_FIELD_OTHER_CONFIG);
	ck_assert_str_eq(e.key, "HideFromXenCenter");
	ck_assert_str_eq(e.value, "true");
	ck_assert_uint_eq(e.pos.line, 10);
	ck_assert_uint_eq(e.pos.column, 29);

	ck_assert_ptr_eq(xbb_sha256(&view), hb.buf + XBB_OFF_SHA256);
}
END_TEST

START_TEST(minimal_blob_opens)
{
	struct xbb_object o;
	struct xbb_entry e;

	hb_init(&hb);
	hb_object(&hb, XB_CLASS_SR, 0, "Local storage", "",
		  hb_pos(&hb, "a.xb", 1, 1));
	hb_entry(&hb, XB_FIELD_NAME_LABEL, "", "Disks",
		 hb_pos(&hb, "a.xb", 1, 20));
	hb_finish(&hb);
	ck_assert_int_eq(open_hb(), XBB_OK);
	ck_assert_uint_eq(view.nobjects, 1);
	ck_assert_uint_eq(view.nentries, 1);
	ck_assert_uint_eq(view.npositions, 2);
	xbb_object(&view, 0, &o);
	ck_assert_int_eq(o.cls, XB_CLASS_SR);
	ck_assert_str_eq(o.selector, "Local storage");
	xbb_entry(&view, 0, &e);
	ck_assert_int_eq(e.field, XB_FIELD_NAME_LABEL);
	ck_assert_str_eq(e.key, "");
	ck_assert_str_eq(e.value, "Disks");
	ck_assert_str_eq(e.pos.file, "a.xb");
	ck_assert_uint_eq(e.pos.column, 20);
}
END_TEST

START_TEST(empty_blob_opens)
{
	hb_init(&hb);
	hb_finish(&hb);
	ck_assert_int_eq(open_hb(), XBB_OK);
	ck_assert_uint_eq(view.nobjects, 0);
	ck_assert_uint_eq(view.nentries, 0);
	ck_assert_uint_eq(view.npositions, 0);
}
END_TEST

START_TEST(larger_header_and_newer_version_open)
{
	hb_init(&hb);
	hb.header_size = XBB_HEADER_SIZE + 32;   /* a future header */
	hb_object(&hb, XB_CLASS_VM, 0, "a", "", hb_pos(&hb, "a.xb", 1, 1));
	hb_finish(&hb);
	hb_set32(&hb, XBB_OFF_VERSION, XBB_VERSION + 1);  /* still readable */
	hb_rehash(&hb);
	ck_assert_int_eq(open_hb(), XBB_OK);
	ck_assert_uint_eq(view.nobjects, 1);
}
END_TEST

START_TEST(valid_utf8_and_shared_tails_open)
{
	uint32_t p, tail;

	hb_init(&hb);
	p = hb_pos(&hb, "a.xb", 1, 1);
	hb_object(&hb, XB_CLASS_VM, 0,
		  "caf\xc3\xa9 \xe2\x82\xac \xf0\x9d\x84\x9e", "", p);
	hb_entry(&hb, XB_FIELD_XENSTORE_DATA, "vm-data/role", "x", p);
	hb_finish(&hb);
	/* point the value at "role", the tail of "vm-data/role" */
	tail = hb_get32(&hb, hb_entry_at(&hb, 0) + 4) + 8;
	poke(hb_entry_at(&hb, 0) + 8, tail);
	ck_assert_int_eq(open_hb(), XBB_OK);
	{
		struct xbb_entry e;

		xbb_entry(&view, 0, &e);
		ck_assert_str_eq(e.value, "role");
	}
}
END_TEST

START_TEST(same_name_by_uuid_and_pif_hosts_are_distinct)
{
	uint32_t p;

	hb_init(&hb);
	p = hb_pos(&hb, "a.xb", 1, 1);
	hb_object(&hb, XB_CLASS_VM, 0, "x", "", p);
	hb_object(&hb, XB_CLASS_VM, XB_OBJ_BY_UUID, "x", "", p);
	hb_object(&hb, XB_CLASS_PIF, 0, "eth1", "", p);
	hb_object(&hb, XB_CLASS_PIF, 0, "eth1", "xs-01", p);
	hb_object(&hb, XB_CLASS_PIF, 0, "eth1", "xs-02", p);
	hb_finish(&hb);
	ck_assert_int_eq(open_hb(), XBB_OK);
}
END_TEST

/* ---- header --------------------------------------------------------- */

START_TEST(truncated_at_0_4_95)
{
	sample();
	ck_assert_int_eq(xbb_open(&view, NULL, 0), XBB_ERR_TRUNCATED);
	ck_assert_int_eq(xbb_open(&view, hb.buf, 0), XBB_ERR_TRUNCATED);
	ck_assert_int_eq(xbb_open(&view, hb.buf, 4), XBB_ERR_TRUNCATED);
	ck_assert_int_eq(xbb_open(&view, hb.buf, 95), XBB_ERR_TRUNCATED);
}
END_TEST

START_TEST(truncated_after_header)
{
	sample();
	ck_assert_int_eq(xbb_open(&view, hb.buf, 96), XBB_ERR_TRUNCATED);
	ck_assert_int_eq(xbb_open(&view, hb.buf, hb.len - 1),
			 XBB_ERR_TRUNCATED);
}
END_TEST

START_TEST(wrong_magic)
{
	sample();
	hb.buf[3] = 'C';
	hb_rehash(&hb);
	ck_assert_int_eq(open_hb(), XBB_ERR_MAGIC);
}
END_TEST

START_TEST(newer_last_comp)
{
	sample();
	hb_set32(&hb, XBB_OFF_VERSION, XBB_VERSION + 1);
	poke(XBB_OFF_LAST_COMP, XBB_VERSION + 1);
	ck_assert_int_eq(open_hb(), XBB_ERR_VERSION);
}
END_TEST

START_TEST(inconsistent_versions)
{
	sample();
	poke(XBB_OFF_LAST_COMP, 0);
	ck_assert_int_eq(open_hb(), XBB_ERR_HEADER);
	sample();
	poke(XBB_OFF_VERSION, 0);                 /* version < last_comp */
	ck_assert_int_eq(open_hb(), XBB_ERR_HEADER);
}
END_TEST

START_TEST(total_size_bigger_than_buffer)
{
	sample();
	poke(XBB_OFF_TOTAL_SIZE, (uint32_t)hb.len + 4);
	ck_assert_int_eq(open_hb(), XBB_ERR_TRUNCATED);
}
END_TEST

START_TEST(total_size_smaller_than_buffer)
{
	sample();
	poke(XBB_OFF_TOTAL_SIZE, (uint32_t)hb.len - 4);
	ck_assert_int_eq(open_hb(), XBB_ERR_SIZE);
	sample();
	ck_assert_int_eq(xbb_open(&view, hb.buf, hb.len + 1), XBB_ERR_SIZE);
}
END_TEST

START_TEST(total_size_over_maximum)
{
	sample();
	poke(XBB_OFF_TOTAL_SIZE, XBB_MAX_SIZE + 4);
	ck_assert_int_eq(open_hb(), XBB_ERR_SIZE);
	poke(XBB_OFF_TOTAL_SIZE, UINT32_MAX);
	ck_assert_int_eq(open_hb(), XBB_ERR_SIZE);
}
END_TEST

START_TEST(bad_hash)
{
	sample();
	hb.buf[XBB_OFF_SHA256 + 7] ^= 0x10;
	ck_assert_int_eq(open_hb(), XBB_ERR_HASH);
	sample();
	hb.buf[hb.len - 1] ^= 0x01;               /* content, hash kept */
	ck_assert_int_eq(open_hb(), XBB_ERR_HASH);
}
END_TEST

START_TEST(header_size_too_small_or_too_big)
{
	sample();
	poke(XBB_OFF_HEADER_SIZE, XBB_HEADER_SIZE - 4);
	ck_assert_int_eq(open_hb(), XBB_ERR_HEADER);
	poke(XBB_OFF_HEADER_SIZE, (uint32_t)hb.len + 4);
	ck_assert_int_eq(open_hb(), XBB_ERR_HEADER);
}
END_TEST

START_TEST(flags_set)
{
	sample();
	poke(XBB_OFF_FLAGS, 1);
	ck_assert_int_eq(open_hb(), XBB_ERR_HEADER);
	poke(XBB_OFF_FLAGS, 0x80000000u);
	ck_assert_int_eq(open_hb(), XBB_ERR_HEADER);
}
END_TEST

START_TEST(reserved_section_set)
{
	sample();
	poke(hb_section_at(XBB_SECT_RESERVED) + 4, 4);
	ck_assert_int_eq(open_hb(), XBB_ERR_HEADER);
	sample();
	poke(hb_section_at(XBB_SECT_RESERVED), XBB_HEADER_SIZE);
	ck_assert_int_eq(open_hb(), XBB_ERR_HEADER);
}
END_TEST

/* ---- sections ------------------------------------------------------- */

START_TEST(section_out_of_range)
{
	uint32_t off, size;

	sample();
	off = sect_off(XBB_SECT_POSITIONS);
	size = sect_size(XBB_SECT_POSITIONS);
	set_sect(XBB_SECT_POSITIONS, off + XBB_POS_SIZE, size);  /* past end */
	ck_assert_int_eq(open_hb(), XBB_ERR_SECTION);
	set_sect(XBB_SECT_POSITIONS, (uint32_t)hb.len + 4, 0);   /* beyond */
	ck_assert_int_eq(open_hb(), XBB_ERR_SECTION);
}
END_TEST

START_TEST(section_end_overflows_u32)
{
	uint32_t off;

	sample();
	off = sect_off(XBB_SECT_STRINGS);
	set_sect(XBB_SECT_STRINGS, off, UINT32_MAX - off + 5); /* wraps: 4 */
	ck_assert_int_eq(open_hb(), XBB_ERR_SECTION);
	sample();
	set_sect(XBB_SECT_OBJECTS, 0xffffffe0u, 64);
	ck_assert_int_eq(open_hb(), XBB_ERR_SECTION);
}
END_TEST

START_TEST(section_misaligned)
{
	sample();
	set_sect(XBB_SECT_STRINGS, sect_off(XBB_SECT_STRINGS) + 1,
		 sect_size(XBB_SECT_STRINGS) - 1);
	ck_assert_int_eq(open_hb(), XBB_ERR_SECTION);
}
END_TEST

START_TEST(section_size_not_a_multiple)
{
	sample();
	set_sect(XBB_SECT_ENTRIES, sect_off(XBB_SECT_ENTRIES),
		 sect_size(XBB_SECT_ENTRIES) - 4);
	ck_assert_int_eq(open_hb(), XBB_ERR_SECTION);
	sample();
	set_sect(XBB_SECT_POSITIONS, sect_off(XBB_SECT_POSITIONS),
		 sect_size(XBB_SECT_POSITIONS) - 4);
	ck_assert_int_eq(open_hb(), XBB_ERR_SECTION);
}
END_TEST

START_TEST(sections_overlapping)
{
	sample();
	/* the entries start inside the objects */
	set_sect(XBB_SECT_ENTRIES, sect_off(XBB_SECT_OBJECTS) + 16,
		 sect_size(XBB_SECT_ENTRIES));
	ck_assert_int_eq(open_hb(), XBB_ERR_SECTION);
	sample();
	set_sect(XBB_SECT_POSITIONS, sect_off(XBB_SECT_STRINGS), 12);
	ck_assert_int_eq(open_hb(), XBB_ERR_SECTION);
}
END_TEST

START_TEST(section_inside_header)
{
	sample();
	set_sect(XBB_SECT_STRINGS, XBB_HEADER_SIZE - 4,
		 sect_size(XBB_SECT_STRINGS));
	ck_assert_int_eq(open_hb(), XBB_ERR_SECTION);
	sample();
	set_sect(XBB_SECT_OBJECTS, 0, 0);          /* empty, still placed */
	ck_assert_int_eq(open_hb(), XBB_ERR_SECTION);
}
END_TEST

/* ---- strings -------------------------------------------------------- */

START_TEST(strings_not_starting_with_nul)
{
	sample();
	hb.buf[sect_off(XBB_SECT_STRINGS)] = 'x';
	hb_rehash(&hb);
	ck_assert_int_eq(open_hb(), XBB_ERR_STRING);
}
END_TEST

START_TEST(strings_not_ending_with_nul)
{
	sample();
	hb.buf[sect_off(XBB_SECT_STRINGS) + sect_size(XBB_SECT_STRINGS) - 1] =
		'x';
	hb_rehash(&hb);
	ck_assert_int_eq(open_hb(), XBB_ERR_STRING);
}
END_TEST

START_TEST(strings_empty)
{
	sample();
	set_sect(XBB_SECT_STRINGS, sect_off(XBB_SECT_STRINGS), 0);
	ck_assert_int_eq(open_hb(), XBB_ERR_STRING);
}
END_TEST

START_TEST(string_offset_out_of_range)
{
	uint32_t size;

	sample();
	size = sect_size(XBB_SECT_STRINGS);
	poke(hb_object_at(&hb, 0) + 8, size);           /* selector */
	ck_assert_int_eq(open_hb(), XBB_ERR_STRING);
	sample();
	poke(hb_object_at(&hb, 2) + 12, UINT32_MAX);    /* host */
	ck_assert_int_eq(open_hb(), XBB_ERR_STRING);
	sample();
	poke(hb_entry_at(&hb, 1) + 4, size + 100);      /* key */
	ck_assert_int_eq(open_hb(), XBB_ERR_STRING);
	sample();
	poke(hb_entry_at(&hb, 1) + 8, size);            /* value */
	ck_assert_int_eq(open_hb(), XBB_ERR_STRING);
	sample();
	poke(hb_position_at(&hb, 0), size);             /* file */
	ck_assert_int_eq(open_hb(), XBB_ERR_STRING);
}
END_TEST

START_TEST(string_offset_inside_utf8_sequence)
{
	uint32_t s;

	hb_init(&hb);
	hb_object(&hb, XB_CLASS_VM, 0, "\xc3\xa9t\xc3\xa9", "",
		  hb_pos(&hb, "a.xb", 1, 1));
	hb_finish(&hb);
	ck_assert_int_eq(open_hb(), XBB_OK);
	s = hb_get32(&hb, hb_object_at(&hb, 0) + 8);
	poke(hb_object_at(&hb, 0) + 8, s + 1);          /* a continuation */
	ck_assert_int_eq(open_hb(), XBB_ERR_STRING);
}
END_TEST

static int open_with_raw_value(const char *bytes, size_t n)
{
	uint32_t p, v;

	hb_init(&hb);
	p = hb_pos(&hb, "a.xb", 1, 1);
	hb_object(&hb, XB_CLASS_VM, 0, "a", "", p);
	hb_entry(&hb, XB_FIELD_OTHER_CONFIG, "k", "placeholder", p);
	v = hb_str_raw(&hb, bytes, n);
	hb.entries[0][2] = v;
	hb_finish(&hb);
	return open_hb();
}

START_TEST(invalid_utf8_strings)
{
	static const struct {
		const char *bytes;
		size_t n;
	} bad[] = {
		{ "\xc0\xaf", 2 },            /* overlong '/' */
		{ "\xc1\xbf", 2 },            /* overlong */
		{ "\xe0\x80\xaf", 3 },        /* overlong, 3 bytes */
		{ "\xf0\x80\x80\xaf", 4 },    /* overlong, 4 bytes */
		{ "\xed\xa0\x80", 3 },        /* U+D800, a surrogate */
		{ "\xed\xbf\xbf", 3 },        /* U+DFFF */
		{ "\xf4\x90\x80\x80", 4 },    /* U+110000 */
		{ "\xf5\x80\x80\x80", 4 },
		{ "\xff", 1 },
		{ "\x80", 1 },                /* a lone continuation */
		{ "a\xe2\x82", 3 },           /* cut short before the NUL */
		{ "\xe2\x82x", 3 },           /* cut short by an ASCII byte */
		{ "\xf0\x9f\x98", 3 },
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(open_with_raw_value(bad[i].bytes, bad[i].n) ==
			      XBB_ERR_STRING, "bad UTF-8 #%zu accepted", i);
	/* the edges that are valid */
	ck_assert_int_eq(open_with_raw_value("\xf4\x8f\xbf\xbf", 4), XBB_OK);
	ck_assert_int_eq(open_with_raw_value("\xee\x80\x80", 3), XBB_OK);
	ck_assert_int_eq(open_with_raw_value("\xc2\x80", 2), XBB_OK);
	ck_assert_int_eq(open_with_raw_value("\xe0\xa0\x80", 3), XBB_OK);
	ck_assert_int_eq(open_with_raw_value("\xf0\x90\x80\x80", 4), XBB_OK);
}
END_TEST

/* ---- records -------------------------------------------------------- */

START_TEST(bad_class)
{
	sample();
	poke(hb_object_at(&hb, 0), 0);
	ck_assert_int_eq(open_hb(), XBB_ERR_RECORD);
	sample();
	poke(hb_object_at(&hb, 4), XB_CLASS_MAX + 1);
	ck_assert_int_eq(open_hb(), XBB_ERR_RECORD);
}
END_TEST

START_TEST(bad_field)
{
	sample();
	poke(hb_entry_at(&hb, 1), 0);
	ck_assert_int_eq(open_hb(), XBB_ERR_RECORD);
	sample();
	poke(hb_entry_at(&hb, 1), XB_FIELD_MAX + 1);
	ck_assert_int_eq(open_hb(), XBB_ERR_RECORD);
}
END_TEST

START_TEST(unknown_flag_bit)
{
	sample();
	poke(hb_object_at(&hb, 0) + 4, 0x8);
	ck_assert_int_eq(open_hb(), XBB_ERR_RECORD);
	sample();
	poke(hb_object_at(&hb, 0) + 4, 0x80000000u | XB_OBJ_OPTIONAL);
	ck_assert_int_eq(open_hb(), XBB_ERR_RECORD);
}
END_TEST

START_TEST(object_reserved_set)
{
	sample();
	poke(hb_object_at(&hb, 3) + 28, 1);
	ck_assert_int_eq(open_hb(), XBB_ERR_RECORD);
}
END_TEST

START_TEST(host_on_a_vm)
{
	uint32_t p;

	hb_init(&hb);
	p = hb_pos(&hb, "a.xb", 1, 1);
	hb_object(&hb, XB_CLASS_VM, 0, "web", "xs-01", p);
	hb_finish(&hb);
	ck_assert_int_eq(open_hb(), XBB_ERR_RECORD);
}
END_TEST

/* Format 2: an SR's host and a PIF's VLAN, only in blobs that say they
 * need format 2 (last_comp 2); a format-1 blob holding them is refused. */
static void format2(uint32_t last_comp, uint32_t vlan)
{
	uint32_t p;

	hb_init(&hb);
	p = hb_pos(&hb, "a.xb", 1, 1);
	hb_object(&hb, XB_CLASS_SR, 0, "Local storage", "xs-02", p);
	hb_object(&hb, XB_CLASS_PIF, 0, "eth1", "", p);
	hb_object(&hb, XB_CLASS_PIF, XB_OBJ_VLAN, "eth1", "", p);
	hb_object(&hb, XB_CLASS_PIF, XB_OBJ_VLAN, "eth1", "xs-02", p);
	hb_finish(&hb);
	hb_set32(&hb, hb_object_at(&hb, 2) + 28, vlan);
	hb_set32(&hb, hb_object_at(&hb, 3) + 28, 20);
	hb_set32(&hb, XBB_OFF_VERSION, 2);
	hb_set32(&hb, XBB_OFF_LAST_COMP, last_comp);
	hb_rehash(&hb);
}

START_TEST(format2_sr_host_and_pif_vlan)
{
	struct xbb_object o;

	format2(2, 30);
	ck_assert_int_eq(open_hb(), XBB_OK);
	xbb_object(&view, 0, &o);
	ck_assert_str_eq(o.host, "xs-02");
	xbb_object(&view, 1, &o);
	ck_assert_uint_eq(o.flags & XB_OBJ_VLAN, 0);
	xbb_object(&view, 2, &o);
	ck_assert_uint_eq(o.vlan, 30);
	ck_assert_str_eq(o.host, "");
	xbb_object(&view, 3, &o);
	ck_assert_uint_eq(o.vlan, 20);
	ck_assert_str_eq(o.host, "xs-02");
	format2(2, 0);                      /* tag 0 is a tag */
	ck_assert_int_eq(open_hb(), XBB_OK);
	format2(1, 30);                     /* format 1 has neither */
	ck_assert_int_eq(open_hb(), XBB_ERR_RECORD);
	format2(2, XB_VLAN_MAX + 1);
	ck_assert_int_eq(open_hb(), XBB_ERR_RECORD);
	format2(XBB_VERSION + 1, 30);       /* a newer format: not readable */
	ck_assert_int_eq(open_hb(), XBB_ERR_VERSION);
	/* order: the VLAN PIF before the physical one of the same device */
	format2(2, 30);
	poke(hb_object_at(&hb, 1) + 4, XB_OBJ_VLAN);
	poke(hb_object_at(&hb, 1) + 28, 31);
	ck_assert_int_eq(open_hb(), XBB_ERR_ORDER);
	/* VLAN on an SR, or with a uuid */
	format2(2, 30);
	poke(hb_object_at(&hb, 0) + 4, XB_OBJ_VLAN);
	ck_assert_int_eq(open_hb(), XBB_ERR_RECORD);
	format2(2, 30);
	poke(hb_object_at(&hb, 2) + 4, XB_OBJ_VLAN | XB_OBJ_BY_UUID);
	ck_assert_int_eq(open_hb(), XBB_ERR_RECORD);
}
END_TEST

/* Format 3: host and pool objects, name_description and tags entries,
 * only in blobs that say they need format 3. */
static void format3(uint32_t last_comp, const char *pool_name,
		    const char *tag, const char *tag_value)
{
	uint32_t p;

	hb_init(&hb);
	p = hb_pos(&hb, "a.xb", 1, 1);
	hb_object(&hb, XB_CLASS_VM, 0, "web-01", "", p);
	hb_entry(&hb, XB_FIELD_NAME_DESCRIPTION, "", "Web", p);
	hb_entry(&hb, XB_FIELD_TAGS, tag, tag_value, p);
	hb_object(&hb, XB_CLASS_NETWORK, 0, "lan", "", p);
	hb_entry(&hb, XB_FIELD_NAME_DESCRIPTION, "", "LAN", p);
	hb_object(&hb, XB_CLASS_HOST, 0, "xs-01", "", p);
	hb_entry(&hb, XB_FIELD_OTHER_CONFIG, "rack", "r12", p);
	hb_object(&hb, XB_CLASS_POOL, 0, pool_name, "", p);
	hb_entry(&hb, XB_FIELD_OTHER_CONFIG, "site", "ams-3", p);
	hb_finish(&hb);
	hb_set32(&hb, XBB_OFF_VERSION, 3);
	hb_set32(&hb, XBB_OFF_LAST_COMP, last_comp);
	hb_rehash(&hb);
}

START_TEST(format3_hosts_pool_descriptions_tags)
{
	struct xbb_object o;
	struct xbb_entry e;

	format3(3, "", "gpu", "");
	ck_assert_int_eq(open_hb(), XBB_OK);
	xbb_object(&view, 3, &o);
	ck_assert_int_eq(o.cls, XB_CLASS_POOL);
	ck_assert_str_eq(o.selector, "");
	xbb_entry(&view, 1, &e);
	ck_assert_int_eq(e.field, XB_FIELD_TAGS);
	ck_assert_str_eq(e.key, "gpu");
	/* format 2 has none of these */
	format3(2, "", "gpu", "");
	ck_assert_int_eq(open_hb(), XBB_ERR_RECORD);
	/* the pool has no name; a tag is its key, its value "" */
	format3(3, "lab", "gpu", "");
	ck_assert_int_eq(open_hb(), XBB_ERR_RECORD);
	format3(3, "", "", "");
	ck_assert_int_eq(open_hb(), XBB_ERR_RECORD);
	format3(3, "", "gpu", "yes");
	ck_assert_int_eq(open_hb(), XBB_ERR_RECORD);
	/* the pool by uuid; name_description with a key; tags on a network */
	format3(3, "", "gpu", "");
	poke(hb_object_at(&hb, 3) + 4, XB_OBJ_BY_UUID);
	ck_assert_int_eq(open_hb(), XBB_ERR_RECORD);
	format3(3, "", "gpu", "");
	poke(hb_entry_at(&hb, 2) + 4, hb_get32(&hb, hb_entry_at(&hb, 1) + 4));
	ck_assert_int_eq(open_hb(), XBB_ERR_RECORD);
	format3(3, "", "gpu", "");
	poke(hb_entry_at(&hb, 2), XB_FIELD_TAGS);
	ck_assert_int_eq(open_hb(), XBB_ERR_RECORD);
	/* a host's other_config is all a host block sets */
	format3(3, "", "gpu", "");
	poke(hb_entry_at(&hb, 3), XB_FIELD_NAME_DESCRIPTION);
	ck_assert_int_eq(open_hb(), XBB_ERR_RECORD);
}
END_TEST

/* once keys: XB_ENTRY_ONCE above the field, on xenstore_data and
 * other_config entries of a format-3 blob only; no other flag */
START_TEST(format3_once_entries)
{
	struct xbb_entry e;

	format3(3, "", "gpu", "");
	poke(hb_entry_at(&hb, 3), XB_FIELD_OTHER_CONFIG | XB_ENTRY_ONCE);
	ck_assert_int_eq(open_hb(), XBB_OK);
	xbb_entry(&view, 3, &e);
	ck_assert_int_eq(e.field, XB_FIELD_OTHER_CONFIG);
	ck_assert_uint_eq(e.flags, XB_ENTRY_ONCE);
	xbb_entry(&view, 4, &e);
	ck_assert_uint_eq(e.flags, 0);
	/* format 2 does not know it */
	format3(2, "", "gpu", "");
	poke(XBB_OFF_VERSION, 2);
	poke(hb_entry_at(&hb, 3), XB_FIELD_OTHER_CONFIG | XB_ENTRY_ONCE);
	ck_assert_int_eq(open_hb(), XBB_ERR_RECORD);
	/* not on a description nor a tag; no unknown flag */
	format3(3, "", "gpu", "");
	poke(hb_entry_at(&hb, 0), XB_FIELD_NAME_DESCRIPTION | XB_ENTRY_ONCE);
	ck_assert_int_eq(open_hb(), XBB_ERR_RECORD);
	format3(3, "", "gpu", "");
	poke(hb_entry_at(&hb, 1), XB_FIELD_TAGS | XB_ENTRY_ONCE);
	ck_assert_int_eq(open_hb(), XBB_ERR_RECORD);
	format3(3, "", "gpu", "");
	poke(hb_entry_at(&hb, 3), XB_FIELD_OTHER_CONFIG | 0x40000u);
	ck_assert_int_eq(open_hb(), XBB_ERR_RECORD);
}
END_TEST

/* A sealed bundle (lib/seal.h) of one recipient and 7 bytes */
#define SEALED "WEJTTAEBAAAHAAAA4/D8bFMfZ4Gj0aneRNJvlAyXLvsDk6mssGRyb1Di8" \
	       "61hIlij9VQbBra2rkpe6Y9R3xqyaMTEkNOj1T+B9KeP"

static void format3_secret(uint32_t last_comp, enum xb_field field,
			   const char *value)
{
	uint32_t p;

	hb_init(&hb);
	p = hb_pos(&hb, "a.xb", 1, 1);
	hb_object(&hb, XB_CLASS_VM, 0, "web-01", "", p);
	hb_entry(&hb, field, field == XB_FIELD_XENSTORE_DATA ? "vm-data/pw" :
		 "", value, p);
	hb_finish(&hb);
	hb_set32(&hb, XBB_OFF_VERSION, 3);
	hb_set32(&hb, XBB_OFF_LAST_COMP, last_comp);
	hb_rehash(&hb);
	poke(hb_entry_at(&hb, 0), field | XB_ENTRY_SECRET);
}

/* secrets: XB_ENTRY_SECRET on map entries of a format-3 blob, whose
 * value is a well-formed sealed bundle */
START_TEST(format3_secret_entries)
{
	struct xbb_entry e;

	format3_secret(3, XB_FIELD_XENSTORE_DATA, SEALED);
	ck_assert_int_eq(open_hb(), XBB_OK);
	xbb_entry(&view, 0, &e);
	ck_assert_int_eq(e.field, XB_FIELD_XENSTORE_DATA);
	ck_assert_uint_eq(e.flags, XB_ENTRY_SECRET);
	ck_assert_str_eq(e.value, SEALED);
	format3_secret(2, XB_FIELD_XENSTORE_DATA, SEALED);
	ck_assert_int_eq(open_hb(), XBB_ERR_RECORD);
	format3_secret(3, XB_FIELD_NAME_DESCRIPTION, SEALED);
	ck_assert_int_eq(open_hb(), XBB_ERR_RECORD);
	/* a value that is not a sealed bundle, or one cut short */
	format3_secret(3, XB_FIELD_XENSTORE_DATA, "plain text");
	ck_assert_int_eq(open_hb(), XBB_ERR_RECORD);
	format3_secret(3, XB_FIELD_XENSTORE_DATA, "WEJTTAEBAAAHAAAA");
	ck_assert_int_eq(open_hb(), XBB_ERR_RECORD);
}
END_TEST

/* one key once and not once is still one key twice */
START_TEST(once_does_not_make_another_key)
{
	uint32_t p;

	hb_init(&hb);
	p = hb_pos(&hb, "a.xb", 1, 1);
	hb_object(&hb, XB_CLASS_VM, 0, "web-01", "", p);
	hb_entry(&hb, XB_FIELD_XENSTORE_DATA, "vm-data/t", "1", p);
	hb_entry(&hb, XB_FIELD_XENSTORE_DATA, "vm-data/t", "1", p);
	hb_finish(&hb);
	hb_set32(&hb, XBB_OFF_VERSION, 3);
	hb_set32(&hb, XBB_OFF_LAST_COMP, 3);
	hb_rehash(&hb);
	poke(hb_entry_at(&hb, 1), XB_FIELD_XENSTORE_DATA | XB_ENTRY_ONCE);
	ck_assert_int_eq(open_hb(), XBB_ERR_ORDER);
}
END_TEST

/* The owner word (format 3): a valid name, or 0 for none */
static void owned(uint32_t last_comp, const char *owner)
{
	uint32_t p, name;

	hb_init(&hb);
	p = hb_pos(&hb, "a.xb", 1, 1);
	hb_object(&hb, XB_CLASS_VM, 0, "web-01", "", p);
	hb_entry(&hb, XB_FIELD_OTHER_CONFIG, "k", "v", p);
	name = hb_str(&hb, owner);
	hb_finish(&hb);
	hb_set32(&hb, XBB_OFF_VERSION, 3);
	hb_set32(&hb, XBB_OFF_LAST_COMP, last_comp);
	hb_set32(&hb, hb_section_at(XBB_SECT_RESERVED), name);
	hb_rehash(&hb);
}

START_TEST(format3_owner)
{
	owned(3, "team-a");
	ck_assert_int_eq(open_hb(), XBB_OK);
	ck_assert_str_eq(view.owner, "team-a");
	sample();
	ck_assert_str_eq(view.owner, "");
	/* below format 3 the word is reserved */
	owned(2, "team-a");
	ck_assert_int_eq(open_hb(), XBB_ERR_HEADER);
	/* a name the runtime could not put in a key */
	owned(3, "team a");
	ck_assert_int_eq(open_hb(), XBB_ERR_RECORD);
	owned(3, "team-a");
	poke(hb_section_at(XBB_SECT_RESERVED), 0x7fffff);
	ck_assert_int_eq(open_hb(), XBB_ERR_STRING);
	owned(3, "team-a");
	poke(hb_section_at(XBB_SECT_RESERVED) + 4, 1);
	ck_assert_int_eq(open_hb(), XBB_ERR_HEADER);
}
END_TEST

START_TEST(entry_range_gap)
{
	sample();
	/* object 2 (the SR) owns entries 2 and 3: start it one later */
	poke(hb_object_at(&hb, 2) + 16, 3);
	poke(hb_object_at(&hb, 2) + 20, 1);
	ck_assert_int_eq(open_hb(), XBB_ERR_RECORD);
}
END_TEST

START_TEST(entry_range_overlap)
{
	sample();
	poke(hb_object_at(&hb, 2) + 16, 1);
	ck_assert_int_eq(open_hb(), XBB_ERR_RECORD);
}
END_TEST

START_TEST(entry_range_out_of_range)
{
	sample();
	poke(hb_object_at(&hb, 4) + 20, 2);         /* past the last entry */
	ck_assert_int_eq(open_hb(), XBB_ERR_RECORD);
	sample();
	poke(hb_object_at(&hb, 4) + 20, UINT32_MAX);  /* first + count wraps */
	ck_assert_int_eq(open_hb(), XBB_ERR_RECORD);
	sample();
	poke(hb_object_at(&hb, 4) + 20, 0);         /* entry 5 owned by none */
	ck_assert_int_eq(open_hb(), XBB_ERR_RECORD);
}
END_TEST

START_TEST(entries_without_objects)
{
	sample();
	set_sect(XBB_SECT_OBJECTS, sect_off(XBB_SECT_OBJECTS), 0);
	ck_assert_int_eq(open_hb(), XBB_ERR_RECORD);
}
END_TEST

START_TEST(position_index_out_of_range)
{
	sample();
	poke(hb_object_at(&hb, 1) + 24, hb.npositions);
	ck_assert_int_eq(open_hb(), XBB_ERR_RECORD);
	sample();
	poke(hb_entry_at(&hb, 5) + 12, UINT32_MAX);
	ck_assert_int_eq(open_hb(), XBB_ERR_RECORD);
}
END_TEST

START_TEST(line_or_column_zero)
{
	sample();
	poke(hb_position_at(&hb, 2) + 4, 0);
	ck_assert_int_eq(open_hb(), XBB_ERR_RECORD);
	sample();
	poke(hb_position_at(&hb, 2) + 8, 0);
	ck_assert_int_eq(open_hb(), XBB_ERR_RECORD);
}
END_TEST

START_TEST(name_label_on_a_vm)
{
	uint32_t p;

	hb_init(&hb);
	p = hb_pos(&hb, "a.xb", 1, 1);
	hb_object(&hb, XB_CLASS_VM, 0, "web", "", p);
	hb_entry(&hb, XB_FIELD_NAME_LABEL, "", "new", p);
	hb_finish(&hb);
	ck_assert_int_eq(open_hb(), XBB_ERR_RECORD);
}
END_TEST

START_TEST(name_label_with_a_key)
{
	uint32_t p;

	hb_init(&hb);
	p = hb_pos(&hb, "a.xb", 1, 1);
	hb_object(&hb, XB_CLASS_SR, 0, "sr", "", p);
	hb_entry(&hb, XB_FIELD_NAME_LABEL, "k", "new", p);
	hb_finish(&hb);
	ck_assert_int_eq(open_hb(), XBB_ERR_RECORD);
}
END_TEST

START_TEST(xenstore_data_on_an_sr)
{
	uint32_t p;

	hb_init(&hb);
	p = hb_pos(&hb, "a.xb", 1, 1);
	hb_object(&hb, XB_CLASS_SR, 0, "sr", "", p);
	hb_entry(&hb, XB_FIELD_XENSTORE_DATA, "vm-data/x", "1", p);
	hb_finish(&hb);
	ck_assert_int_eq(open_hb(), XBB_ERR_RECORD);
}
END_TEST

/* ---- order ---------------------------------------------------------- */

static int open_objects(enum xb_class c1, uint32_t f1, const char *s1,
			const char *h1, enum xb_class c2, uint32_t f2,
			const char *s2, const char *h2)
{
	uint32_t p;

	hb_init(&hb);
	p = hb_pos(&hb, "a.xb", 1, 1);
	hb_object(&hb, c1, f1, s1, h1, p);
	hb_object(&hb, c2, f2, s2, h2, p);
	hb_finish(&hb);
	return open_hb();
}

START_TEST(objects_out_of_order)
{
	ck_assert_int_eq(open_objects(XB_CLASS_SR, 0, "a", "",
				      XB_CLASS_VM, 0, "b", ""), XBB_ERR_ORDER);
	ck_assert_int_eq(open_objects(XB_CLASS_VM, XB_OBJ_BY_UUID, "a", "",
				      XB_CLASS_VM, 0, "b", ""), XBB_ERR_ORDER);
	ck_assert_int_eq(open_objects(XB_CLASS_VM, 0, "b", "",
				      XB_CLASS_VM, 0, "a", ""), XBB_ERR_ORDER);
	ck_assert_int_eq(open_objects(XB_CLASS_PIF, 0, "eth1", "xs-02",
				      XB_CLASS_PIF, 0, "eth1", "xs-01"),
			 XBB_ERR_ORDER);
	/* byte-wise: "B" (0x42) sorts before "a" (0x61) */
	ck_assert_int_eq(open_objects(XB_CLASS_VM, 0, "a", "",
				      XB_CLASS_VM, 0, "B", ""), XBB_ERR_ORDER);
	ck_assert_int_eq(open_objects(XB_CLASS_VM, 0, "B", "",
				      XB_CLASS_VM, 0, "a", ""), XBB_OK);
}
END_TEST

START_TEST(duplicate_objects)
{
	ck_assert_int_eq(open_objects(XB_CLASS_VM, 0, "a", "",
				      XB_CLASS_VM, 0, "a", ""), XBB_ERR_ORDER);
	/* optional is not part of the identity */
	ck_assert_int_eq(open_objects(XB_CLASS_VM, 0, "a", "",
				      XB_CLASS_VM, XB_OBJ_OPTIONAL, "a", ""),
			 XBB_ERR_ORDER);
	ck_assert_int_eq(open_objects(XB_CLASS_PIF, 0, "eth1", "h",
				      XB_CLASS_PIF, 0, "eth1", "h"),
			 XBB_ERR_ORDER);
}
END_TEST

static int open_entries(enum xb_field f1, const char *k1,
			enum xb_field f2, const char *k2)
{
	uint32_t p;

	hb_init(&hb);
	p = hb_pos(&hb, "a.xb", 1, 1);
	hb_object(&hb, XB_CLASS_VM, 0, "a", "", p);
	hb_entry(&hb, f1, k1, "1", p);
	hb_entry(&hb, f2, k2, "2", p);
	hb_object(&hb, XB_CLASS_VM, 0, "b", "", p);
	hb_entry(&hb, f2, k2, "2", p);     /* may repeat in another object */
	hb_finish(&hb);
	return open_hb();
}

START_TEST(entries_out_of_order)
{
	ck_assert_int_eq(open_entries(XB_FIELD_OTHER_CONFIG, "b",
				      XB_FIELD_OTHER_CONFIG, "a"),
			 XBB_ERR_ORDER);
	ck_assert_int_eq(open_entries(XB_FIELD_OTHER_CONFIG, "a",
				      XB_FIELD_XENSTORE_DATA, "vm-data/a"),
			 XBB_ERR_ORDER);
	ck_assert_int_eq(open_entries(XB_FIELD_XENSTORE_DATA, "vm-data/z",
				      XB_FIELD_OTHER_CONFIG, "a"), XBB_OK);
}
END_TEST

START_TEST(duplicate_entries)
{
	ck_assert_int_eq(open_entries(XB_FIELD_OTHER_CONFIG, "a",
				      XB_FIELD_OTHER_CONFIG, "a"),
			 XBB_ERR_ORDER);
}
END_TEST

/* ---- every corruption is refused ------------------------------------ */

START_TEST(every_byte_flip_is_refused)
{
	unsigned char copy[HB_MAX_BYTES];
	static const unsigned char masks[] = { 0x01, 0x80, 0xff };
	size_t i, m;

	sample();
	for (i = 0; i < hb.len; i++)
		for (m = 0; m < sizeof(masks); m++) {
			memcpy(copy, hb.buf, hb.len);
			copy[i] ^= masks[m];
			ck_assert_msg(xbb_open(&view, copy, hb.len) != XBB_OK,
				      "flip 0x%02x at %zu accepted",
				      masks[m], i);
		}
}
END_TEST

START_TEST(every_truncation_is_refused)
{
	unsigned char *copy;
	size_t n;

	sample();
	for (n = 0; n < hb.len; n++) {
		/* an exact-size copy, so a read past n is a real overrun */
		copy = malloc(n ? n : 1);
		ck_assert_ptr_nonnull(copy);
		memcpy(copy, hb.buf, n);
		ck_assert_msg(xbb_open(&view, copy, n) == XBB_ERR_TRUNCATED,
			      "truncation at %zu not refused as such", n);
		free(copy);
	}
}
END_TEST

START_TEST(failed_open_leaves_no_view)
{
	sample();
	hb.buf[hb.len - 1] ^= 1;
	ck_assert_int_eq(open_hb(), XBB_ERR_HASH);
	ck_assert_ptr_null(view.base);
	ck_assert_uint_eq(view.nobjects, 0);
}
END_TEST

/* Several faults at once: the documented order of checks decides. */
START_TEST(errors_come_in_documented_order)
{
	sample();
	hb_set32(&hb, XBB_OFF_FLAGS, 1);
	hb.buf[hb.len - 1] ^= 1;                          /* and bad hash */
	ck_assert_int_eq(open_hb(), XBB_ERR_HEADER);

	sample();
	hb_set32(&hb, XBB_OFF_LAST_COMP, XBB_VERSION + 1);
	hb_set32(&hb, XBB_OFF_FLAGS, 1);
	ck_assert_int_eq(open_hb(), XBB_ERR_VERSION);

	sample();
	hb_set32(&hb, XBB_OFF_HEADER_SIZE, 8);
	hb_set32(&hb, XBB_OFF_TOTAL_SIZE, XBB_MAX_SIZE + 4);
	ck_assert_int_eq(open_hb(), XBB_ERR_HEADER);

	sample();
	hb_set32(&hb, XBB_OFF_TOTAL_SIZE, (uint32_t)hb.len - 4);
	ck_assert_int_eq(open_hb(), XBB_ERR_SIZE);         /* hash is stale */

	sample();
	hb_set32(&hb, hb_section_at(XBB_SECT_OBJECTS), 97);
	ck_assert_int_eq(open_hb(), XBB_ERR_HASH);         /* before sections */

	sample();
	hb_set32(&hb, hb_object_at(&hb, 0), 0);            /* bad class */
	set_sect(XBB_SECT_ENTRIES, sect_off(XBB_SECT_ENTRIES) + 2,
		 sect_size(XBB_SECT_ENTRIES));
	ck_assert_int_eq(open_hb(), XBB_ERR_SECTION);

	sample();
	hb.buf[sect_off(XBB_SECT_STRINGS)] = 'x';          /* strings first */
	hb_set32(&hb, hb_object_at(&hb, 0), 0);
	hb_rehash(&hb);
	ck_assert_int_eq(open_hb(), XBB_ERR_STRING);

	sample();
	hb_set32(&hb, hb_object_at(&hb, 0) + 8, UINT32_MAX); /* object 0 */
	poke(hb_object_at(&hb, 1), 0);                        /* object 1 */
	ck_assert_int_eq(open_hb(), XBB_ERR_STRING);

	sample();
	hb_set32(&hb, hb_entry_at(&hb, 0) + 8, UINT32_MAX);  /* an entry */
	poke(hb_position_at(&hb, 0) + 4, 0);                  /* a position */
	ck_assert_int_eq(open_hb(), XBB_ERR_STRING);

	sample();
	hb_set32(&hb, hb_position_at(&hb, 0) + 4, 0);        /* records... */
	poke(hb_object_at(&hb, 2), XB_CLASS_VM);        /* ...then order */
	ck_assert_int_eq(open_hb(), XBB_ERR_RECORD);
}
END_TEST

START_TEST(every_error_has_its_message)
{
	int err, other;

	for (err = XBB_OK; err >= XBB_ERR_ORDER; err--) {
		ck_assert_str_ne(xbb_strerror(err), "unknown blob error");
		for (other = XBB_OK; other > err; other--)
			ck_assert_str_ne(xbb_strerror(err),
					 xbb_strerror(other));
	}
	ck_assert_str_eq(xbb_strerror(-1000), "unknown blob error");
	ck_assert_str_eq(xbb_strerror(1), "unknown blob error");
}
END_TEST

/* ---- loading files -------------------------------------------------- */

static char dir[64];

static void make_dir(void)
{
	strcpy(dir, "/tmp/xb-blob-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void remove_dir(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
}

START_TEST(map_file_maps_whole_file)
{
	char path[128], *err = NULL;
	const void *buf = NULL;
	size_t len = 0;
	FILE *f;

	sample();
	snprintf(path, sizeof(path), "%s/site.xbb", dir);
	f = fopen(path, "wb");
	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(hb.buf, 1, hb.len, f), hb.len);
	ck_assert_int_eq(fclose(f), 0);
	ck_assert_msg(xbb_map_file(path, &buf, &len, &err) == 0, "%s", err);
	ck_assert_uint_eq(len, hb.len);
	ck_assert_mem_eq(buf, hb.buf, len);
	ck_assert_int_eq(xbb_open(&view, buf, len), XBB_OK);
	/* the view's strings and hash are the mapped bytes, not a copy */
	ck_assert_ptr_eq(xbb_sha256(&view),
			 (const unsigned char *)buf + XBB_OFF_SHA256);
	xbb_unmap(buf, len);
}
END_TEST

START_TEST(map_fd_maps_from_the_start_and_outlives_the_fd)
{
	char path[128], *err = NULL;
	const void *buf = NULL;
	size_t len = 0;
	int fd;

	snprintf(path, sizeof(path), "%s/offset.xbb", dir);
	fd = open(path, O_RDWR | O_CREAT | O_EXCL, 0644);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, "skipXBAK", 8), 8);
	ck_assert_int_eq(lseek(fd, 4, SEEK_SET), 4);
	ck_assert_msg(xbb_map_fd(fd, path, &buf, &len, &err) == 0, "%s", err);
	ck_assert_int_ne(fcntl(fd, F_GETFD), -1);           /* left open */
	close(fd);
	ck_assert_uint_eq(len, 8);
	ck_assert_mem_eq(buf, "skipXBAK", 8);
	xbb_unmap(buf, len);
}
END_TEST

START_TEST(map_file_empty)
{
	char path[128], *err = NULL;
	const void *buf = (const void *)1;
	size_t len = 1;
	int fd;

	snprintf(path, sizeof(path), "%s/empty.xbb", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644);
	ck_assert_int_ge(fd, 0);
	close(fd);
	ck_assert_msg(xbb_map_file(path, &buf, &len, &err) == 0, "%s", err);
	ck_assert_ptr_null(buf);
	ck_assert_uint_eq(len, 0);
	ck_assert_int_eq(xbb_open(&view, buf, len), XBB_ERR_TRUNCATED);
	xbb_unmap(buf, len);
}
END_TEST

static void assert_map_fails(const char *path, const char *why)
{
	char *err = NULL;
	const void *buf = (const void *)1;
	size_t len = 1;

	ck_assert_int_eq(xbb_map_file(path, &buf, &len, &err), -1);
	ck_assert_ptr_null(buf);
	ck_assert_uint_eq(len, 0);
	ck_assert_ptr_nonnull(err);
	ck_assert_msg(strstr(err, path) && strstr(err, why),
		      "message '%s' lacks '%s' or '%s'", err, path, why);
	free(err);
}

START_TEST(map_file_refuses_missing_and_special_files)
{
	char path[128];

	snprintf(path, sizeof(path), "%s/missing.xbb", dir);
	assert_map_fails(path, strerror(ENOENT));
	assert_map_fails(dir, "not a regular file");
	assert_map_fails("/dev/null", "not a regular file");
	snprintf(path, sizeof(path), "%s/fifo", dir);
	ck_assert_int_eq(mkfifo(path, 0600), 0);
	assert_map_fails(path, "not a regular file");   /* and no hang */
}
END_TEST

START_TEST(map_file_refuses_too_big)
{
	char path[128];
	int fd;

	snprintf(path, sizeof(path), "%s/big.xbb", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644);
	ck_assert_int_ge(fd, 0);
	/* sparse: no disk used */
	ck_assert_int_eq(ftruncate(fd, (off_t)XBB_MAX_SIZE + 1), 0);
	close(fd);
	assert_map_fails(path, "too big");
}
END_TEST

/* ---- the configuration identity (lib/identity.h) --------------------------- */

/* One VM with one key, built with the given positions, flags and value;
 * its identity in id. */
static void identity_of(const char *file, uint32_t line, uint32_t flags,
			const char *value, unsigned char id[XB_IDENTITY_SIZE])
{
	uint32_t p;

	hb_init(&hb);
	p = hb_pos(&hb, file, line, 1);
	hb_object(&hb, XB_CLASS_VM, flags, "web-01", "", p);
	hb_entry(&hb, XB_FIELD_XENSTORE_DATA, "vm-data/role", value,
		 hb_pos(&hb, file, line + 1, 5));
	hb_finish(&hb);
	ck_assert_int_eq(open_hb(), XBB_OK);
	xb_identity(&view, 1, id);
}

START_TEST(identity_ignores_positions_not_values)
{
	unsigned char a[XB_IDENTITY_SIZE], b[XB_IDENTITY_SIZE];
	unsigned char sha_a[XBB_SHA256_SIZE];

	identity_of("a.xb", 1, 0, "frontend", a);
	memcpy(sha_a, xbb_sha256(&view), sizeof(sha_a));
	identity_of("other/b.xb", 40, 0, "frontend", b);
	/* other bytes, same configuration */
	ck_assert_mem_ne(sha_a, xbb_sha256(&view), sizeof(sha_a));
	ck_assert_mem_eq(a, b, sizeof(a));
	identity_of("a.xb", 1, 0, "backend", b);
	ck_assert_mem_ne(a, b, sizeof(a));
	identity_of("a.xb", 1, XB_OBJ_OPTIONAL, "frontend", b);
	ck_assert_mem_ne(a, b, sizeof(a));
}
END_TEST

/* Two blobs are not their concatenation's strings run together. */
START_TEST(identity_of_two_blobs_is_ordered)
{
	unsigned char ab[XB_IDENTITY_SIZE], ba[XB_IDENTITY_SIZE];
	unsigned char one[XB_IDENTITY_SIZE];
	static struct hb hb2;
	struct xbb two[2];
	uint32_t p;

	identity_of("a.xb", 1, 0, "frontend", one);
	two[0] = view;
	hb_init(&hb2);
	p = hb_pos(&hb2, "b.xb", 1, 1);
	hb_object(&hb2, XB_CLASS_SR, 0, "Local storage", "", p);
	hb_finish(&hb2);
	ck_assert_int_eq(xbb_open(&two[1], hb2.buf, hb2.len), XBB_OK);
	xb_identity(two, 2, ab);
	ck_assert_mem_ne(ab, one, sizeof(ab));
	view = two[0];
	two[0] = two[1];
	two[1] = view;
	xb_identity(two, 2, ba);
	ck_assert_mem_ne(ab, ba, sizeof(ab));
}
END_TEST

/* ---- match patterns (lib/glob.h) ---------------------------------------- */

START_TEST(glob_matches_as_the_shell_does)
{
	static const struct { const char *pat, *name; bool want; } cases[] = {
		{ "lab-*", "lab-01", true },
		{ "lab-*", "lab-", true },
		{ "lab-*", "lab", false },
		{ "*", "", true },
		{ "", "", true },
		{ "", "x", false },
		{ "web-0[12]-?", "web-02-1", true },
		{ "web-0[12]-?", "web-03-1", false },
		{ "web-0[12]-?", "web-01-10", false },
		{ "web-0[!12]-?", "web-03-1", true },
		{ "web-0[^12]-?", "web-01-1", false },
		{ "[]x]", "]", true },
		{ "[a-c]*", "b-side", true },
		{ "[a-c]*", "d-side", false },
		{ "*a*b", "xaxxb", true },
		{ "*a*b", "xaxxbx", false },
		{ "a/*", "a/b/c", true },           /* no special / */
		{ "lab-[0-9", "lab-[0-9", false },  /* malformed: nothing */
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		ck_assert_msg(xb_glob_match(cases[i].pat, cases[i].name) ==
			      cases[i].want, "\"%s\" ~ \"%s\": want %d",
			      cases[i].pat, cases[i].name, cases[i].want);
	ck_assert(xb_glob_valid("[]]"));
	ck_assert(!xb_glob_valid("a["));
	ck_assert(!xb_glob_valid("[!]"));
}
END_TEST

/* A hostile name cannot make a pattern of many stars spin: one
 * backtrack point, so about len(pattern) x len(name) steps. */
START_TEST(glob_is_bounded_on_hostile_names)
{
	static char name[1 << 16];
	const char *pat = "*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b";

	memset(name, 'a', sizeof(name) - 1);
	ck_assert(!xb_glob_match(pat, name));
}
END_TEST

Suite *test_suite(void)
{
	Suite *s = suite_create("blob");
	TCase *tc;

	tc = tcase_create("valid blobs open");
	tcase_add_test(tc, sample_opens_with_its_values);
	tcase_add_test(tc, minimal_blob_opens);
	tcase_add_test(tc, empty_blob_opens);
	tcase_add_test(tc, larger_header_and_newer_version_open);
	tcase_add_test(tc, valid_utf8_and_shared_tails_open);
	tcase_add_test(tc, same_name_by_uuid_and_pif_hosts_are_distinct);
	suite_add_tcase(s, tc);

	tc = tcase_create("configuration identity");
	tcase_add_test(tc, identity_ignores_positions_not_values);
	tcase_add_test(tc, identity_of_two_blobs_is_ordered);
	suite_add_tcase(s, tc);

	tc = tcase_create("bad headers are refused");
	tcase_add_test(tc, truncated_at_0_4_95);
	tcase_add_test(tc, truncated_after_header);
	tcase_add_test(tc, wrong_magic);
	tcase_add_test(tc, newer_last_comp);
	tcase_add_test(tc, inconsistent_versions);
	tcase_add_test(tc, total_size_bigger_than_buffer);
	tcase_add_test(tc, total_size_smaller_than_buffer);
	tcase_add_test(tc, total_size_over_maximum);
	tcase_add_test(tc, bad_hash);
	tcase_add_test(tc, header_size_too_small_or_too_big);
	tcase_add_test(tc, flags_set);
	tcase_add_test(tc, reserved_section_set);
	tcase_add_test(tc, format3_owner);
	suite_add_tcase(s, tc);

	tc = tcase_create("bad sections are refused");
	tcase_add_test(tc, section_out_of_range);
	tcase_add_test(tc, section_end_overflows_u32);
	tcase_add_test(tc, section_misaligned);
	tcase_add_test(tc, section_size_not_a_multiple);
	tcase_add_test(tc, sections_overlapping);
	tcase_add_test(tc, section_inside_header);
	suite_add_tcase(s, tc);

	tc = tcase_create("bad strings are refused");
	tcase_add_test(tc, strings_not_starting_with_nul);
	tcase_add_test(tc, strings_not_ending_with_nul);
	tcase_add_test(tc, strings_empty);
	tcase_add_test(tc, string_offset_out_of_range);
	tcase_add_test(tc, string_offset_inside_utf8_sequence);
	tcase_add_test(tc, invalid_utf8_strings);
	suite_add_tcase(s, tc);

	tc = tcase_create("bad records are refused");
	tcase_add_test(tc, bad_class);
	tcase_add_test(tc, bad_field);
	tcase_add_test(tc, unknown_flag_bit);
	tcase_add_test(tc, object_reserved_set);
	tcase_add_test(tc, host_on_a_vm);
	tcase_add_test(tc, format2_sr_host_and_pif_vlan);
	tcase_add_test(tc, format3_hosts_pool_descriptions_tags);
	tcase_add_test(tc, format3_once_entries);
	tcase_add_test(tc, format3_secret_entries);
	tcase_add_test(tc, once_does_not_make_another_key);
	tcase_add_test(tc, entry_range_gap);
	tcase_add_test(tc, entry_range_overlap);
	tcase_add_test(tc, entry_range_out_of_range);
	tcase_add_test(tc, entries_without_objects);
	tcase_add_test(tc, position_index_out_of_range);
	tcase_add_test(tc, line_or_column_zero);
	tcase_add_test(tc, name_label_on_a_vm);
	tcase_add_test(tc, name_label_with_a_key);
	tcase_add_test(tc, xenstore_data_on_an_sr);
	suite_add_tcase(s, tc);

	tc = tcase_create("records out of canonical order are refused");
	tcase_add_test(tc, objects_out_of_order);
	tcase_add_test(tc, duplicate_objects);
	tcase_add_test(tc, entries_out_of_order);
	tcase_add_test(tc, duplicate_entries);
	suite_add_tcase(s, tc);

	tc = tcase_create("any corruption is refused");
	tcase_add_test(tc, every_byte_flip_is_refused);
	tcase_add_test(tc, every_truncation_is_refused);
	tcase_add_test(tc, failed_open_leaves_no_view);
	tcase_add_test(tc, errors_come_in_documented_order);
	tcase_add_test(tc, every_error_has_its_message);
	suite_add_tcase(s, tc);

	tc = tcase_create("files load whole or not at all");
	tcase_add_checked_fixture(tc, make_dir, remove_dir);
	tcase_add_test(tc, map_file_maps_whole_file);
	tcase_add_test(tc, map_file_empty);
	tcase_add_test(tc, map_fd_maps_from_the_start_and_outlives_the_fd);
	tcase_add_test(tc, map_file_refuses_missing_and_special_files);
	tcase_add_test(tc, map_file_refuses_too_big);
	suite_add_tcase(s, tc);

	tc = tcase_create("match patterns");
	tcase_add_test(tc, glob_matches_as_the_shell_does);
	tcase_add_test(tc, glob_is_bounded_on_hostile_names);
	suite_add_tcase(s, tc);
	return s;
}
