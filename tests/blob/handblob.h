/* SPDX-License-Identifier: MIT */
/* handblob.h - blobs assembled byte by byte for the reader's tests and the
 * fuzz seeds, on purpose without the compiler's writer: the tests must not
 * share the writer's mistakes. A builder collects strings, objects, entries
 * and positions, hb_finish() lays them out (header, strings, objects,
 * entries, positions, each 4-aligned) and hashes; tests then poke any byte
 * and call hb_rehash() when the test is not about the hash. */
#ifndef XENBAKE_TESTS_HANDBLOB_H
#define XENBAKE_TESTS_HANDBLOB_H

#include <stddef.h>
#include <stdint.h>

#include "lib/blob.h"

#define HB_MAX_BYTES   16384
#define HB_MAX_STRINGS 4096
#define HB_MAX_RECORDS 128

struct hb {
	/* collected */
	unsigned char strings[HB_MAX_STRINGS];
	uint32_t strings_size;
	uint32_t objects[HB_MAX_RECORDS][XBB_OBJECT_SIZE / 4];
	uint32_t entries[HB_MAX_RECORDS][XBB_ENTRY_SIZE / 4];
	uint32_t positions[HB_MAX_RECORDS][XBB_POS_SIZE / 4];
	uint32_t nobjects, nentries, npositions;
	uint32_t header_size;        /* XBB_HEADER_SIZE, or grown */
	/* laid out by hb_finish */
	unsigned char buf[HB_MAX_BYTES];
	size_t len;
	uint32_t sect_off[XBB_SECT_COUNT];
};

void hb_init(struct hb *b);
/* The offset of s in the strings section (each string stored once). */
uint32_t hb_str(struct hb *b, const char *s);
/* Appends n raw bytes and a NUL (for malformed strings); no sharing. */
uint32_t hb_str_raw(struct hb *b, const void *bytes, size_t n);
/* The index of the position (file, line, column), each stored once. */
uint32_t hb_pos(struct hb *b, const char *file, uint32_t line,
		uint32_t column);
/* Appends an object whose entries are those appended after it. */
void hb_object(struct hb *b, enum xb_class cls, uint32_t flags,
	       const char *selector, const char *host, uint32_t pos);
void hb_entry(struct hb *b, enum xb_field field, const char *key,
	      const char *value, uint32_t pos);
/* Lays out header and sections into b->buf and hashes. */
void hb_finish(struct hb *b);
void hb_rehash(struct hb *b);

/* Byte offsets into b->buf, valid after hb_finish */
size_t hb_object_at(const struct hb *b, uint32_t i);
size_t hb_entry_at(const struct hb *b, uint32_t i);
size_t hb_position_at(const struct hb *b, uint32_t i);
size_t hb_section_at(enum xbb_section s);    /* its (offset, size) pair */
void hb_set32(struct hb *b, size_t off, uint32_t v);
uint32_t hb_get32(const struct hb *b, size_t off);

/* A small valid blob using every class, field and flag. */
void hb_sample(struct hb *b);

#endif
