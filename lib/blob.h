/* SPDX-License-Identifier: MIT */
/* blob.h - the xenbake blob (*.xbb): the one definition of its byte layout,
 * and the bounds-checked reader. The compiler includes this file to write
 * blobs; the runtime reads them. Nothing here depends on the compiler.
 *
 * Layout. Every integer is a fixed-width little-endian u32; every section
 * starts on a 4-byte boundary; records are fixed-size; no packed structs.
 *
 *   off  size  header (XBB_HEADER_SIZE bytes)
 *     0     4  magic        "XBAK"
 *     4     4  version      format version of this blob (XBB_VERSION)
 *     8     4  last_comp    oldest reader version that can read it
 *    12     4  total_size   size of the whole blob in bytes
 *    16     4  header_size  XBB_HEADER_SIZE (readers accept larger, for growth)
 *    20     4  flags        0 (reserved)
 *    24    32  sha256       SHA-256 of the whole blob with these 32 bytes zero
 *    56     8  strings      offset, size: NUL-terminated UTF-8 strings;
 *                           offset 0 of the section is the empty string;
 *                           each string is stored once
 *    64     8  objects      offset, size: XBB_OBJECT_SIZE records
 *    72     8  entries      offset, size: XBB_ENTRY_SIZE records
 *    80     8  positions    offset, size: XBB_POS_SIZE records
 *    88     4  owner        string: the blob's owner (format 3), 0 ("")
 *                           when it has none (the owner "default")
 *    92     4  reserved     0
 *
 *   object (XBB_OBJECT_SIZE): one selected object, its blocks merged
 *     0 class     enum xb_class
 *     4 flags     XB_OBJ_* bits
 *     8 selector  string: name, uuid, or PIF device
 *    12 host      string: PIF or SR host name, "" for none (SR: format 2)
 *    16 first     index of the object's first entry
 *    20 count     number of entries (contiguous, may be 0)
 *    24 pos       position of the object's first block
 *    28 vlan      XB_OBJ_VLAN set (format 2): the VLAN tag, 0..4094;
 *                 else 0
 *
 *   entry (XBB_ENTRY_SIZE): one lowered field value (see model.h)
 *     0 field     enum xb_field, or'ed with XB_ENTRY_* flags (format 3:
 *                 XB_ENTRY_ONCE, XB_ENTRY_SECRET on xenstore_data and
 *                 other_config)
 *     4 key       string ("" for name_label)
 *     8 value     string; with XB_ENTRY_SECRET a sealed bundle in base64
 *                 (lib/seal.h), never the plaintext
 *    12 pos       position of the statement that set it
 *
 *   position (XBB_POS_SIZE): a source location
 *     0 file      string: path relative to the main source's directory
 *     4 line      1-based
 *     8 column    1-based, in bytes
 *
 * Canonical order (what makes the same source give the same bytes):
 * objects sorted by (class, XB_OBJ_BY_UUID bit, selector, host,
 * XB_OBJ_VLAN bit, vlan) with
 * byte-wise strcmp, no two equal (blocks selecting one object are merged;
 * the merged object is optional only if every block was); an object's entries sorted by (field, key), no two with
 * the same (field, key); entries of object i directly follow those of
 * object i-1 (object 0 starts at entry 0, the last ends at the last entry);
 * strings in the order of first use when walking objects, then entries,
 * then positions, in record order and field order. The reader checks the
 * order of objects and entries; it does not check the string order.
 * Positions, for the same reason (`dump` then recompiling must give the same
 * bytes), are numbered from the records alone: each distinct (file, line,
 * column) stored once, in the order of first use walking objects, then
 * entries. `dump` writes each position as a `#@ "FILE" LINE:COL` line
 * before its block or statement (dump.h); the compiler must honour those
 * lines for the round trip to give the same bytes.
 *
 * Further rules the reader enforces (xbb_open):
 * - every section, even an empty one, has a 4-aligned offset with
 *   header_size <= offset and offset + size <= total_size; sections do not
 *   overlap; the gaps between them are not read;
 * - the reserved word 0 (so is the owner word below format 3; from 3 it
 *   is a string that is a valid owner name, model.h), flags 0,
 *   1 <= last_comp <= version;
 * - the strings section is not empty, starts and ends with a NUL byte, and
 *   is valid UTF-8 throughout; a string reference is an offset into it that
 *   does not point into the middle of a UTF-8 sequence (so a reference may
 *   share the tail of a longer string);
 * - host is "" except on PIFs and (last_comp >= 2) SRs; XB_OBJ_VLAN only on
 *   PIFs selected by name, with last_comp >= 2; name_label entries only on
 *   SRs, with key ""; with last_comp >= 3 only: XB_OBJ_MATCH (not with
 *   XB_OBJ_BY_UUID or XB_OBJ_VLAN), host and pool objects (the pool's
 *   selector "", neither by uuid nor by pattern), name_description
 *   entries (key "") on VMs, SRs and networks, tags entries on VMs (key
 *   the tag, not ""; value ""), XB_ENTRY_ONCE and XB_ENTRY_SECRET on
 *   xenstore_data and other_config entries (no other entry flag), a
 *   secret's value a well-formed sealed bundle (xb_seal_check);
 *   xenstore_data entries only on VMs; line and column >= 1.
 */
#ifndef XENBAKE_BLOB_H
#define XENBAKE_BLOB_H

#include <stddef.h>
#include <stdint.h>

#include "lib/model.h"

#define XBB_MAGIC            "XBAK"
/* Format 2 adds `sr "N" host "H"` (a host on an SR) and `pif "D" vlan T`
 * (XB_OBJ_VLAN, the tag in the object's last word). A writer stamps the
 * lowest format that holds what the blob uses (version = last_comp): a blob
 * without these is a format-1 blob, byte for byte as before, that older
 * readers still read; one with them is refused by readers of format 1
 * (XBB_ERR_VERSION) instead of being misread. */
/* Format 3 adds `host "N"` and `pool` blocks (XB_CLASS_HOST, _POOL), the
 * fields name_description and tags, and `match "GLOB"` selectors
 * (XB_OBJ_MATCH), `once` keys (XB_ENTRY_ONCE), secret values
 * (XB_ENTRY_SECRET) and the owner word; the
 * same rule: only a blob that uses them is stamped 3. The owner's string
 * is stored last, after the positions' files, so that the strings of a
 * blob without one are as before. */
#define XBB_VERSION          3u
#define XBB_LAST_COMP        1u            /* what a format-1 blob says */
#define XBB_HEADER_SIZE      96u
#define XBB_OBJECT_SIZE      32u
#define XBB_ENTRY_SIZE       16u
#define XBB_POS_SIZE         12u
#define XBB_SHA256_SIZE      32u
#define XBB_MAX_SIZE         (1u << 30)    /* readers refuse bigger blobs */

/* header field offsets */
#define XBB_OFF_MAGIC        0u
#define XBB_OFF_VERSION      4u
#define XBB_OFF_LAST_COMP    8u
#define XBB_OFF_TOTAL_SIZE   12u
#define XBB_OFF_HEADER_SIZE  16u
#define XBB_OFF_FLAGS        20u
#define XBB_OFF_SHA256       24u
#define XBB_OFF_SECTIONS     56u           /* then XBB_SECT_COUNT (off, size) */

enum xbb_section {
	XBB_SECT_STRINGS,
	XBB_SECT_OBJECTS,
	XBB_SECT_ENTRIES,
	XBB_SECT_POSITIONS,
	XBB_SECT_RESERVED,
	XBB_SECT_COUNT
};

static inline uint32_t xbb_get32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 |
	       (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline void xbb_put32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
	p[2] = (unsigned char)(v >> 16);
	p[3] = (unsigned char)(v >> 24);
}

/* ---- reader ---------------------------------------------------------- */

/* Errors are negative; xbb_strerror() names them. */
enum xbb_error {
	XBB_OK = 0,
	XBB_ERR_TRUNCATED = -1,      /* shorter than a header, or than its
				        total_size (a file cut short) */
	XBB_ERR_MAGIC = -2,          /* not a xenbake blob */
	XBB_ERR_VERSION = -3,        /* needs a newer xenbake (last_comp) */
	XBB_ERR_SIZE = -4,           /* longer than total_size, or
				        total_size > XBB_MAX_SIZE */
	XBB_ERR_HASH = -5,           /* SHA-256 mismatch: corrupted */
	XBB_ERR_HEADER = -6,         /* bad header_size, flags, reserved
				        section, or version < last_comp */
	XBB_ERR_SECTION = -7,        /* section outside the blob, misaligned,
				        overlapping the header, or not a
				        whole number of records */
	XBB_ERR_STRING = -8,         /* string offset out of range, not
				        NUL-terminated in its section, or not
				        valid UTF-8 */
	XBB_ERR_RECORD = -9,         /* bad class, field, flags or index */
	XBB_ERR_ORDER = -10,         /* records not in canonical order, or
				        duplicated */
};

const char *xbb_strerror(int err);

struct xbb_pos {
	const char *file;
	uint32_t line, column;
};

struct xbb_object {
	enum xb_class cls;
	uint32_t flags;              /* XB_OBJ_* */
	const char *selector;
	const char *host;            /* "" when none */
	uint32_t first, count;       /* entries [first, first + count) */
	struct xbb_pos pos;
	uint32_t vlan;               /* the tag when flags has XB_OBJ_VLAN */
};

struct xbb_entry {
	enum xb_field field;
	const char *key;
	const char *value;
	struct xbb_pos pos;
	uint32_t flags;              /* XB_ENTRY_* */
};

/* A verified view of a blob held in memory by the caller. */
struct xbb {
	const unsigned char *base;
	uint32_t size;
	uint32_t nobjects, nentries, npositions;
	uint32_t last_comp;          /* the oldest format that reads it */
	const char *owner;           /* "" when none: the owner "default" */
	/* private: section offsets and sizes */
	uint32_t sect_off[XBB_SECT_COUNT], sect_size[XBB_SECT_COUNT];
};

/* Checks everything once: header, hash, every section, every record and
 * every string reference. After it returns XBB_OK the accessors below
 * cannot fail for indexes below the counts. buf must stay alive and
 * unchanged while the view is used.
 *
 * The first failing check decides the error, in this fixed order:
 *  1. len < XBB_HEADER_SIZE                              TRUNCATED
 *  2. magic                                              MAGIC
 *  3. last_comp > XBB_VERSION                            VERSION
 *  4. last_comp 0 or > version, header_size < XBB_HEADER_SIZE, flags,
 *     reserved word not 0, owner word not 0 below
 *     format 3                                           HEADER
 *  5. total_size > XBB_MAX_SIZE                          SIZE
 *     total_size > len                                   TRUNCATED
 *     total_size < len                                   SIZE
 *  6. header_size > total_size                           HEADER
 *  7. SHA-256                                            HASH
 *  8. sections in header order (strings, objects, entries, positions):
 *     each one's bounds, alignment, record multiple; then overlaps SECTION
 *  9. strings section contents (NULs at both ends, UTF-8)  STRING
 * 10. objects, then entries (object by object), then positions, record by
 *     record and field by field, then the owner: RECORD for a bad value
 *     or index (or owner name), STRING for a bad string reference
 * 11. the order of objects, then of each object's entries  ORDER
 * So a flipped byte anywhere past the header gives HASH. */
int xbb_open(struct xbb *blob, const void *buf, size_t len);

void xbb_object(const struct xbb *blob, uint32_t i, struct xbb_object *out);
void xbb_entry(const struct xbb *blob, uint32_t i, struct xbb_entry *out);
const unsigned char *xbb_sha256(const struct xbb *blob);   /* 32 bytes */

/* Maps a whole regular file (at most XBB_MAX_SIZE bytes) read-only:
 * *buf, *len bytes (NULL and 0 for an empty file); xbb_unmap releases
 * it. 0, or -1 with *errmsg (malloc'd) naming the file and the reason.
 * xbb_map_fd maps an already opened fd (from offset 0), so that the file
 * checked (fstat) is the file mapped; path is only for messages; it does
 * not close fd, and the mapping outlives it. The file must not be
 * truncated while mapped (SIGBUS). */
int xbb_map_file(const char *path, const void **buf, size_t *len,
		 char **errmsg);
int xbb_map_fd(int fd, const char *path, const void **buf, size_t *len,
	       char **errmsg);
void xbb_unmap(const void *buf, size_t len);

#endif
