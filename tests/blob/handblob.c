/* SPDX-License-Identifier: MIT */
/* handblob.c - see handblob.h. Aborts on misuse: these are test tools. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/sha256.h"
#include "tests/blob/handblob.h"

static void need(int ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "handblob: %s\n", what);
		abort();
	}
}

void hb_init(struct hb *b)
{
	memset(b, 0, sizeof(*b));
	b->strings_size = 1;          /* offset 0: the empty string */
	b->header_size = XBB_HEADER_SIZE;
}

uint32_t hb_str_raw(struct hb *b, const void *bytes, size_t n)
{
	uint32_t off = b->strings_size;

	need(n + 1 <= HB_MAX_STRINGS - b->strings_size, "strings full");
	memcpy(b->strings + off, bytes, n);
	b->strings[off + n] = '\0';
	b->strings_size += (uint32_t)n + 1;
	return off;
}

uint32_t hb_str(struct hb *b, const char *s)
{
	uint32_t off = 0;

	if (!*s)
		return 0;
	/* each string once: look for a whole earlier string equal to s */
	while (off < b->strings_size) {
		const char *here = (const char *)b->strings + off;

		if (!strcmp(here, s))
			return off;
		off += (uint32_t)strlen(here) + 1;
	}
	return hb_str_raw(b, s, strlen(s));
}

uint32_t hb_pos(struct hb *b, const char *file, uint32_t line,
		uint32_t column)
{
	uint32_t f = hb_str(b, file), i;

	for (i = 0; i < b->npositions; i++)
		if (b->positions[i][0] == f && b->positions[i][1] == line &&
		    b->positions[i][2] == column)
			return i;
	need(b->npositions < HB_MAX_RECORDS, "positions full");
	b->positions[i][0] = f;
	b->positions[i][1] = line;
	b->positions[i][2] = column;
	return b->npositions++;
}

void hb_object(struct hb *b, enum xb_class cls, uint32_t flags,
	       const char *selector, const char *host, uint32_t pos)
{
	uint32_t *o;

	need(b->nobjects < HB_MAX_RECORDS, "objects full");
	o = b->objects[b->nobjects++];
	o[0] = cls;
	o[1] = flags;
	o[2] = hb_str(b, selector);
	o[3] = hb_str(b, host);
	o[4] = b->nentries;
	o[5] = 0;
	o[6] = pos;
	o[7] = 0;
}

void hb_entry(struct hb *b, enum xb_field field, const char *key,
	      const char *value, uint32_t pos)
{
	uint32_t *e;

	need(b->nobjects > 0, "an entry needs an object");
	need(b->nentries < HB_MAX_RECORDS, "entries full");
	e = b->entries[b->nentries++];
	e[0] = field;
	e[1] = hb_str(b, key);
	e[2] = hb_str(b, value);
	e[3] = pos;
	b->objects[b->nobjects - 1][5]++;
}

size_t hb_section_at(enum xbb_section s)
{
	return XBB_OFF_SECTIONS + 8 * (size_t)s;
}

void hb_set32(struct hb *b, size_t off, uint32_t v)
{
	need(off + 4 <= sizeof(b->buf), "poke out of range");
	xbb_put32(b->buf + off, v);
}

uint32_t hb_get32(const struct hb *b, size_t off)
{
	need(off + 4 <= sizeof(b->buf), "peek out of range");
	return xbb_get32(b->buf + off);
}

static size_t place(struct hb *b, enum xbb_section s, const void *data,
		    size_t size)
{
	size_t off = (b->len + 3) & ~(size_t)3;

	need(off + size <= sizeof(b->buf), "blob too big");
	memcpy(b->buf + off, data, size);
	b->len = off + size;
	b->sect_off[s] = (uint32_t)off;
	hb_set32(b, hb_section_at(s), (uint32_t)off);
	hb_set32(b, hb_section_at(s) + 4, (uint32_t)size);
	return off;
}

static void place_words(struct hb *b, enum xbb_section s, const uint32_t *w,
			size_t nwords)
{
	unsigned char tmp[HB_MAX_RECORDS * XBB_OBJECT_SIZE];
	size_t i;

	need(nwords * 4 <= sizeof(tmp), "records too big");
	for (i = 0; i < nwords; i++)
		xbb_put32(tmp + 4 * i, w[i]);
	place(b, s, tmp, nwords * 4);
}

void hb_finish(struct hb *b)
{
	memset(b->buf, 0, sizeof(b->buf));
	need(b->header_size >= 4 * 24 && b->header_size < 1024,
	     "odd header size");
	b->len = b->header_size;
	memcpy(b->buf + XBB_OFF_MAGIC, XBB_MAGIC, 4);
	hb_set32(b, XBB_OFF_VERSION, XBB_LAST_COMP);   /* a format-1 blob */
	hb_set32(b, XBB_OFF_LAST_COMP, XBB_LAST_COMP);
	hb_set32(b, XBB_OFF_HEADER_SIZE, b->header_size);
	hb_set32(b, XBB_OFF_FLAGS, 0);
	place(b, XBB_SECT_STRINGS, b->strings, b->strings_size);
	place_words(b, XBB_SECT_OBJECTS, &b->objects[0][0],
		    b->nobjects * XBB_OBJECT_SIZE / 4);
	place_words(b, XBB_SECT_ENTRIES, &b->entries[0][0],
		    b->nentries * XBB_ENTRY_SIZE / 4);
	place_words(b, XBB_SECT_POSITIONS, &b->positions[0][0],
		    b->npositions * XBB_POS_SIZE / 4);
	hb_set32(b, XBB_OFF_TOTAL_SIZE, (uint32_t)b->len);
	hb_rehash(b);
}

void hb_rehash(struct hb *b)
{
	unsigned char copy[HB_MAX_BYTES];
	size_t len = b->len;

	need(len >= XBB_OFF_SHA256 + XBB_SHA256_SIZE, "too short to hash");
	memcpy(copy, b->buf, len);
	memset(copy + XBB_OFF_SHA256, 0, XBB_SHA256_SIZE);
	xb_sha256(b->buf + XBB_OFF_SHA256, copy, len);
}

size_t hb_object_at(const struct hb *b, uint32_t i)
{
	return b->sect_off[XBB_SECT_OBJECTS] + (size_t)i * XBB_OBJECT_SIZE;
}

size_t hb_entry_at(const struct hb *b, uint32_t i)
{
	return b->sect_off[XBB_SECT_ENTRIES] + (size_t)i * XBB_ENTRY_SIZE;
}

size_t hb_position_at(const struct hb *b, uint32_t i)
{
	return b->sect_off[XBB_SECT_POSITIONS] + (size_t)i * XBB_POS_SIZE;
}

void hb_sample(struct hb *b)
{
	uint32_t p;

	hb_init(b);
	/* objects sorted by (class, by-uuid, selector, host) */
	p = hb_pos(b, "site.xb", 3, 1);
	hb_object(b, XB_CLASS_VM, 0, "web-01", "", p);
	hb_entry(b, XB_FIELD_XENSTORE_DATA, "vm-data/role", "frontend",
		 hb_pos(b, "site.xb", 4, 5));
	hb_entry(b, XB_FIELD_OTHER_CONFIG, "owner", "ops",
		 hb_pos(b, "site.xb", 5, 5));
	hb_object(b, XB_CLASS_VM, XB_OBJ_BY_UUID | XB_OBJ_OPTIONAL,
		  "6f1c2a9e-3b1d-4c55-9a57-0c1d2e3f4a5b", "",
		  hb_pos(b, "vms.xb", 1, 1));
	p = hb_pos(b, "site.xb", 8, 1);
	hb_object(b, XB_CLASS_SR, 0, "Local storage", "", p);
	p = hb_pos(b, "site.xb", 8, 22);
	hb_entry(b, XB_FIELD_OTHER_CONFIG, "i18n-key", "local-storage", p);
	hb_entry(b, XB_FIELD_OTHER_CONFIG, "i18n-original-value-name_label",
		 "Local storage", p);
	hb_object(b, XB_CLASS_NETWORK, 0, "Storage network", "",
		  hb_pos(b, "site.xb", 9, 1));
	hb_entry(b, XB_FIELD_OTHER_CONFIG, "HideFromXenCenter", "true",
		 hb_pos(b, "site.xb", 9, 28));
	hb_object(b, XB_CLASS_PIF, 0, "eth1", "xs-02",
		  hb_pos(b, "site.xb", 10, 1));
	hb_entry(b, XB_FIELD_OTHER_CONFIG, "HideFromXenCenter", "true",
		 hb_pos(b, "site.xb", 10, 29));
	hb_finish(b);
}
