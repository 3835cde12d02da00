/* SPDX-License-Identifier: MIT */
/* blob.c - the bounds-checked blob reader (see blob.h for the layout and the
 * order of the checks). xbb_open() checks everything once; afterwards the
 * accessors read records without checks of their own. */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "lib/blob.h"
#include "lib/seal.h"
#include "lib/errmsg.h"
#include "lib/sha256.h"
#include "lib/utf8.h"

static const uint32_t record_size[XBB_SECT_COUNT] = {
	[XBB_SECT_STRINGS] = 1,
	[XBB_SECT_OBJECTS] = XBB_OBJECT_SIZE,
	[XBB_SECT_ENTRIES] = XBB_ENTRY_SIZE,
	[XBB_SECT_POSITIONS] = XBB_POS_SIZE,
	[XBB_SECT_RESERVED] = 1,
};

const char *xbb_strerror(int err)
{
	switch (err) {
	case XBB_OK:
		return "no error";
	case XBB_ERR_TRUNCATED:
		return "blob is truncated (shorter than its header or its "
		       "recorded size)";
	case XBB_ERR_MAGIC:
		return "not a xenbake blob (bad magic)";
	case XBB_ERR_VERSION:
		return "blob needs a newer xenbake (format version too new)";
	case XBB_ERR_SIZE:
		return "blob size does not match its header, or exceeds the "
		       "maximum size";
	case XBB_ERR_HASH:
		return "blob is corrupted (SHA-256 mismatch)";
	case XBB_ERR_HEADER:
		return "blob header is malformed (header size, flags, "
		       "versions or reserved fields)";
	case XBB_ERR_SECTION:
		return "blob section is out of bounds, misaligned, overlapping "
		       "or not a whole number of records";
	case XBB_ERR_STRING:
		return "blob string is out of range, unterminated or not "
		       "valid UTF-8";
	case XBB_ERR_RECORD:
		return "blob record has a bad class, field, flag, index or "
		       "position";
	case XBB_ERR_ORDER:
		return "blob records are out of canonical order or duplicated";
	}
	return "unknown blob error";
}

static bool utf8_valid(const unsigned char *s, size_t n)
{
	size_t i = 0, len;

	while (i < n) {
		if (s[i] < 0x80) {      /* most of a blob: no call a byte */
			i++;
			continue;
		}
		len = xb_utf8_len(s + i, n - i, NULL);
		if (!len)
			return false;
		i += len;
	}
	return true;
}

static const unsigned char *sect(const struct xbb *blob, enum xbb_section s)
{
	return blob->base + blob->sect_off[s];
}

static const unsigned char *record(const struct xbb *blob, enum xbb_section s,
				   uint32_t i)
{
	return sect(blob, s) + (size_t)i * record_size[s];
}

static const char *string_at(const struct xbb *blob, uint32_t ref)
{
	return (const char *)sect(blob, XBB_SECT_STRINGS) + ref;
}

/* A reference must land inside the strings section and at the start of a
 * UTF-8 sequence; the section was checked to be valid UTF-8 ending with a
 * NUL, so the string it names is then terminated and valid. */
static int check_string(const struct xbb *blob, uint32_t ref)
{
	const unsigned char *strings = sect(blob, XBB_SECT_STRINGS);

	if (ref >= blob->sect_size[XBB_SECT_STRINGS])
		return XBB_ERR_STRING;
	if ((strings[ref] & 0xc0) == 0x80)
		return XBB_ERR_STRING;
	return XBB_OK;
}

static int check_header(const unsigned char *p, size_t len)
{
	uint32_t version, last_comp, total, header_size;
	const unsigned char *reserved;

	if (len < XBB_HEADER_SIZE)
		return XBB_ERR_TRUNCATED;
	if (memcmp(p + XBB_OFF_MAGIC, XBB_MAGIC, 4))
		return XBB_ERR_MAGIC;
	version = xbb_get32(p + XBB_OFF_VERSION);
	last_comp = xbb_get32(p + XBB_OFF_LAST_COMP);
	if (last_comp > XBB_VERSION)
		return XBB_ERR_VERSION;
	header_size = xbb_get32(p + XBB_OFF_HEADER_SIZE);
	reserved = p + XBB_OFF_SECTIONS + 8 * XBB_SECT_RESERVED;
	if (last_comp == 0 || version < last_comp ||
	    header_size < XBB_HEADER_SIZE ||
	    xbb_get32(p + XBB_OFF_FLAGS) != 0 ||
	    (last_comp < 3 && xbb_get32(reserved) != 0) ||
	    xbb_get32(reserved + 4) != 0)
		return XBB_ERR_HEADER;
	total = xbb_get32(p + XBB_OFF_TOTAL_SIZE);
	if (total > XBB_MAX_SIZE)
		return XBB_ERR_SIZE;
	if (total > len)
		return XBB_ERR_TRUNCATED;
	if (total < len)
		return XBB_ERR_SIZE;
	if (header_size > total)
		return XBB_ERR_HEADER;
	return XBB_OK;
}

/* The hash is taken over the blob with its own 32 bytes as zeros, in three
 * pieces so that the blob is never copied. */
static int check_hash(const unsigned char *p, uint32_t total)
{
	static const unsigned char zeros[XBB_SHA256_SIZE];
	unsigned char digest[XBB_SHA256_SIZE];
	struct xb_sha256 st;
	const uint32_t after = XBB_OFF_SHA256 + XBB_SHA256_SIZE;

	xb_sha256_init(&st);
	xb_sha256_update(&st, p, XBB_OFF_SHA256);
	xb_sha256_update(&st, zeros, sizeof(zeros));
	xb_sha256_update(&st, p + after, total - after);
	xb_sha256_final(&st, digest);
	if (memcmp(digest, p + XBB_OFF_SHA256, XBB_SHA256_SIZE))
		return XBB_ERR_HASH;
	return XBB_OK;
}

static int check_sections(struct xbb *blob, uint32_t header_size)
{
	const unsigned char *table = blob->base + XBB_OFF_SECTIONS;
	int s, t;

	for (s = 0; s < XBB_SECT_RESERVED; s++) {
		uint32_t off = xbb_get32(table + 8 * s);
		uint32_t size = xbb_get32(table + 8 * s + 4);

		/* off <= total is known, so total - off cannot wrap */
		if (off < header_size || off > blob->size ||
		    size > blob->size - off || off % 4 != 0 ||
		    size % record_size[s] != 0)
			return XBB_ERR_SECTION;
		blob->sect_off[s] = off;
		blob->sect_size[s] = size;
	}
	blob->sect_off[XBB_SECT_RESERVED] = 0;
	blob->sect_size[XBB_SECT_RESERVED] = 0;
	for (s = 0; s < XBB_SECT_RESERVED; s++)
		for (t = s + 1; t < XBB_SECT_RESERVED; t++) {
			uint32_t a = blob->sect_off[s], b = blob->sect_off[t];
			uint32_t a_end = a + blob->sect_size[s];
			uint32_t b_end = b + blob->sect_size[t];

			/* empty sections take no room and overlap nothing */
			if (a < a_end && b < b_end && a < b_end && b < a_end)
				return XBB_ERR_SECTION;
		}
	blob->nobjects = blob->sect_size[XBB_SECT_OBJECTS] / XBB_OBJECT_SIZE;
	blob->nentries = blob->sect_size[XBB_SECT_ENTRIES] / XBB_ENTRY_SIZE;
	blob->npositions = blob->sect_size[XBB_SECT_POSITIONS] / XBB_POS_SIZE;
	return XBB_OK;
}

static int check_strings(const struct xbb *blob)
{
	const unsigned char *strings = sect(blob, XBB_SECT_STRINGS);
	uint32_t size = blob->sect_size[XBB_SECT_STRINGS];

	if (size == 0 || strings[0] != '\0' || strings[size - 1] != '\0')
		return XBB_ERR_STRING;
	if (!utf8_valid(strings, size))
		return XBB_ERR_STRING;
	return XBB_OK;
}

static int check_objects(const struct xbb *blob)
{
	uint32_t i, next_entry = 0;
	int err;

	for (i = 0; i < blob->nobjects; i++) {
		const unsigned char *r = record(blob, XBB_SECT_OBJECTS, i);
		uint32_t cls = xbb_get32(r);
		uint32_t flags = xbb_get32(r + 4);
		uint32_t host = xbb_get32(r + 12);
		uint32_t first = xbb_get32(r + 16);
		uint32_t count = xbb_get32(r + 20);

		if (cls < XB_CLASS_VM || cls > XB_CLASS_MAX)
			return XBB_ERR_RECORD;
		if (flags & ~XB_OBJ_FLAGS_ALL)
			return XBB_ERR_RECORD;
		/* patterns, tags, hosts and the pool: format 3; the pool by
		 * no name at all; one way of selecting; tags on VMs only */
		if ((flags & (XB_OBJ_MATCH | XB_OBJ_TAG)) &&
		    ((flags & XB_OBJ_VLAN) || blob->last_comp < 3))
			return XBB_ERR_RECORD;
		if ((flags & XB_OBJ_SELECT) &
		    ((flags & XB_OBJ_SELECT) - 1))
			return XBB_ERR_RECORD;
		if ((flags & XB_OBJ_TAG) && cls != XB_CLASS_VM)
			return XBB_ERR_RECORD;
		if ((cls == XB_CLASS_HOST || cls == XB_CLASS_POOL) &&
		    blob->last_comp < 3)
			return XBB_ERR_RECORD;
		err = check_string(blob, xbb_get32(r + 8));
		if (err)
			return err;
		err = check_string(blob, host);
		if (err)
			return err;
		if (cls == XB_CLASS_POOL &&
		    ((flags & XB_OBJ_SELECT) ||
		     *string_at(blob, xbb_get32(r + 8)) != '\0'))
			return XBB_ERR_RECORD;
		if (cls != XB_CLASS_PIF && *string_at(blob, host) != '\0' &&
		    !(cls == XB_CLASS_SR && blob->last_comp >= 2))
			return XBB_ERR_RECORD;
		/* entries of object i directly follow those of object i-1 */
		if (first != next_entry || count > blob->nentries - first)
			return XBB_ERR_RECORD;
		next_entry = first + count;
		if (xbb_get32(r + 24) >= blob->npositions)
			return XBB_ERR_RECORD;
		if (flags & XB_OBJ_VLAN) {
			if (cls != XB_CLASS_PIF || (flags & XB_OBJ_BY_UUID) ||
			    blob->last_comp < 2 ||
			    xbb_get32(r + 28) > XB_VLAN_MAX)
				return XBB_ERR_RECORD;
		} else if (xbb_get32(r + 28) != 0) {
			return XBB_ERR_RECORD;
		}
	}
	if (next_entry != blob->nentries)
		return XBB_ERR_RECORD;
	return XBB_OK;
}

static bool field_allowed(uint32_t cls, uint32_t field,
			  uint32_t last_comp)
{
	switch (field) {
	case XB_FIELD_XENSTORE_DATA:
		return cls == XB_CLASS_VM;
	case XB_FIELD_OTHER_CONFIG:
		return true;
	case XB_FIELD_NAME_LABEL:
		return cls == XB_CLASS_SR;
	case XB_FIELD_NAME_DESCRIPTION:
		return last_comp >= 3 && (cls == XB_CLASS_VM ||
		       cls == XB_CLASS_SR || cls == XB_CLASS_NETWORK);
	case XB_FIELD_TAGS:
		return last_comp >= 3 && cls == XB_CLASS_VM;
	}
	return false;
}

static bool sealed_ok(const char *text)
{
	char *why = NULL;
	int r = xb_seal_check(text, &why);

	free(why);
	return r == 0;
}

/* Walks entries object by object (check_objects proved that this visits
 * each entry once, in record order) so each knows its object's class. */
static int check_entries(const struct xbb *blob)
{
	uint32_t i, j;
	int err;

	for (i = 0; i < blob->nobjects; i++) {
		const unsigned char *o = record(blob, XBB_SECT_OBJECTS, i);
		uint32_t cls = xbb_get32(o);
		uint32_t first = xbb_get32(o + 16), count = xbb_get32(o + 20);

		for (j = first; j < first + count; j++) {
			const unsigned char *r =
				record(blob, XBB_SECT_ENTRIES, j);
			uint32_t field = xbb_get32(r) & XB_ENTRY_FIELD_MASK;
			uint32_t eflags = xbb_get32(r) & ~XB_ENTRY_FIELD_MASK;
			uint32_t key = xbb_get32(r + 4);

			/* once, secret: a map key, format 3 */
			if ((eflags & ~XB_ENTRY_FLAGS_ALL) ||
			    (eflags && (blob->last_comp < 3 ||
					(field != XB_FIELD_XENSTORE_DATA &&
					 field != XB_FIELD_OTHER_CONFIG))))
				return XBB_ERR_RECORD;
			if (field < XB_FIELD_XENSTORE_DATA ||
			    field > XB_FIELD_MAX ||
			    !field_allowed(cls, field, blob->last_comp))
				return XBB_ERR_RECORD;
			err = check_string(blob, key);
			if (err)
				return err;
			if ((field == XB_FIELD_NAME_LABEL ||
			     field == XB_FIELD_NAME_DESCRIPTION) &&
			    *string_at(blob, key) != '\0')
				return XBB_ERR_RECORD;
			err = check_string(blob, xbb_get32(r + 8));
			if (err)
				return err;
			if ((eflags & XB_ENTRY_SECRET) &&
			    !sealed_ok(string_at(blob, xbb_get32(r + 8))))
				return XBB_ERR_RECORD;
			/* a tag is its key; the value is always "" */
			if (field == XB_FIELD_TAGS &&
			    (*string_at(blob, key) == '\0' ||
			     *string_at(blob, xbb_get32(r + 8)) != '\0'))
				return XBB_ERR_RECORD;
			if (xbb_get32(r + 12) >= blob->npositions)
				return XBB_ERR_RECORD;
		}
	}
	return XBB_OK;
}

static int check_positions(const struct xbb *blob)
{
	uint32_t i;
	int err;

	for (i = 0; i < blob->npositions; i++) {
		const unsigned char *r = record(blob, XBB_SECT_POSITIONS, i);

		err = check_string(blob, xbb_get32(r));
		if (err)
			return err;
		if (xbb_get32(r + 4) < 1 || xbb_get32(r + 8) < 1)
			return XBB_ERR_RECORD;
	}
	return XBB_OK;
}

/* The owner word (the reserved section's offset, format 3): "" or a name
 * the runtime may put in a record's key. */
static int check_owner(struct xbb *blob)
{
	uint32_t ref = xbb_get32(blob->base + XBB_OFF_SECTIONS +
				 8 * XBB_SECT_RESERVED);
	int err;

	err = check_string(blob, ref);
	if (err)
		return err;
	blob->owner = string_at(blob, ref);
	if (*blob->owner != '\0' && !xb_owner_valid(blob->owner))
		return XBB_ERR_RECORD;
	return XBB_OK;
}

static int cmp_u32(uint32_t a, uint32_t b)
{
	return a < b ? -1 : a > b;
}

/* <0, 0, >0 as object a sorts before, with, after object b */
static int cmp_objects(const struct xbb *blob, const unsigned char *a,
		       const unsigned char *b)
{
	int c;

	c = cmp_u32(xbb_get32(a), xbb_get32(b));
	if (c)
		return c;
	/* by name, then by uuid, then by pattern */
	c = cmp_u32(xbb_get32(a + 4) & XB_OBJ_SELECT,
		    xbb_get32(b + 4) & XB_OBJ_SELECT);
	if (c)
		return c;
	c = strcmp(string_at(blob, xbb_get32(a + 8)),
		   string_at(blob, xbb_get32(b + 8)));
	if (c)
		return c;
	c = strcmp(string_at(blob, xbb_get32(a + 12)),
		   string_at(blob, xbb_get32(b + 12)));
	if (c)
		return c;
	c = cmp_u32(xbb_get32(a + 4) & XB_OBJ_VLAN,
		    xbb_get32(b + 4) & XB_OBJ_VLAN);
	return c ? c : cmp_u32(xbb_get32(a + 28), xbb_get32(b + 28));
}

static int cmp_entries(const struct xbb *blob, const unsigned char *a,
		       const unsigned char *b)
{
	int c;

	/* by field alone: flags do not make a key another one */
	c = cmp_u32(xbb_get32(a) & XB_ENTRY_FIELD_MASK,
		    xbb_get32(b) & XB_ENTRY_FIELD_MASK);
	if (c)
		return c;
	return strcmp(string_at(blob, xbb_get32(a + 4)),
		      string_at(blob, xbb_get32(b + 4)));
}

static int check_order(const struct xbb *blob)
{
	uint32_t i, j;

	for (i = 1; i < blob->nobjects; i++)
		if (cmp_objects(blob, record(blob, XBB_SECT_OBJECTS, i - 1),
				record(blob, XBB_SECT_OBJECTS, i)) >= 0)
			return XBB_ERR_ORDER;
	for (i = 0; i < blob->nobjects; i++) {
		const unsigned char *o = record(blob, XBB_SECT_OBJECTS, i);
		uint32_t first = xbb_get32(o + 16), count = xbb_get32(o + 20);

		for (j = first + 1; j < first + count; j++) {
			const unsigned char *prev, *cur;

			prev = record(blob, XBB_SECT_ENTRIES, j - 1);
			cur = record(blob, XBB_SECT_ENTRIES, j);
			if (cmp_entries(blob, prev, cur) >= 0)
				return XBB_ERR_ORDER;
		}
	}
	return XBB_OK;
}

int xbb_open(struct xbb *blob, const void *buf, size_t len)
{
	struct xbb view = { 0 };
	const unsigned char *p = buf;
	int err;

	memset(blob, 0, sizeof(*blob));
	if (!p && len)
		return XBB_ERR_TRUNCATED;
	err = check_header(p, len);
	if (err)
		return err;
	view.base = p;
	view.size = (uint32_t)len;
	view.last_comp = xbb_get32(p + XBB_OFF_LAST_COMP);
	err = check_hash(p, view.size);
	if (err)
		return err;
	err = check_sections(&view, xbb_get32(p + XBB_OFF_HEADER_SIZE));
	if (!err)
		err = check_strings(&view);
	if (!err)
		err = check_objects(&view);
	if (!err)
		err = check_entries(&view);
	if (!err)
		err = check_positions(&view);
	if (!err)
		err = check_owner(&view);
	if (!err)
		err = check_order(&view);
	if (err)
		return err;
	*blob = view;
	return XBB_OK;
}

static void read_pos(const struct xbb *blob, uint32_t i, struct xbb_pos *out)
{
	const unsigned char *r = record(blob, XBB_SECT_POSITIONS, i);

	out->file = string_at(blob, xbb_get32(r));
	out->line = xbb_get32(r + 4);
	out->column = xbb_get32(r + 8);
}

void xbb_object(const struct xbb *blob, uint32_t i, struct xbb_object *out)
{
	const unsigned char *r = record(blob, XBB_SECT_OBJECTS, i);

	out->cls = (enum xb_class)xbb_get32(r);
	out->flags = xbb_get32(r + 4);
	out->selector = string_at(blob, xbb_get32(r + 8));
	out->host = string_at(blob, xbb_get32(r + 12));
	out->first = xbb_get32(r + 16);
	out->count = xbb_get32(r + 20);
	read_pos(blob, xbb_get32(r + 24), &out->pos);
	out->vlan = out->flags & XB_OBJ_VLAN ? xbb_get32(r + 28) : 0;
}

void xbb_entry(const struct xbb *blob, uint32_t i, struct xbb_entry *out)
{
	const unsigned char *r = record(blob, XBB_SECT_ENTRIES, i);

	out->field = (enum xb_field)(xbb_get32(r) & XB_ENTRY_FIELD_MASK);
	out->flags = xbb_get32(r) & ~XB_ENTRY_FIELD_MASK;
	out->key = string_at(blob, xbb_get32(r + 4));
	out->value = string_at(blob, xbb_get32(r + 8));
	read_pos(blob, xbb_get32(r + 12), &out->pos);
}

const unsigned char *xbb_sha256(const struct xbb *blob)
{
	return blob->base + XBB_OFF_SHA256;
}

/* ---- mapping a file ---------------------------------------------------- */

/* Mapped, not read: the blob is verified and then used where it lies, with
 * no copy, and the hash xbb_open checks is the one hash taken over its
 * bytes. A mapping sees the file, not a snapshot of it: the trust rules
 * (trust.h) leave a blob to root, and xenbakec replaces one by rename,
 * never in place, so the mapped inode does not change under the runtime. */
int xbb_map_fd(int fd, const char *path, const void **buf, size_t *len,
	       char **errmsg)
{
	struct stat st;
	void *map;

	*buf = NULL;
	*len = 0;
	*errmsg = NULL;
	if (fstat(fd, &st))
		return xb_fail(errmsg, "%s: %s", path, strerror(errno));
	if (!S_ISREG(st.st_mode))
		return xb_fail(errmsg, "%s: not a regular file", path);
	if (st.st_size < 0 || (uintmax_t)st.st_size > XBB_MAX_SIZE)
		return xb_fail(errmsg, "%s: too big for a blob (%jd bytes, at "
			       "most %u)", path, (intmax_t)st.st_size,
			       XBB_MAX_SIZE);
	/* an empty file maps to nothing (mmap refuses length 0); xbb_open
	 * calls it truncated */
	if (st.st_size == 0)
		return 0;
	/* MAP_POPULATE: every byte is read right away (the hash), so take
	 * the pages in one call rather than a fault each */
	map = mmap(NULL, (size_t)st.st_size, PROT_READ,
		   MAP_PRIVATE | MAP_POPULATE, fd, 0);
	if (map == MAP_FAILED)
		return xb_fail(errmsg, "%s: %s", path, strerror(errno));
	*buf = map;
	*len = (size_t)st.st_size;
	return 0;
}

int xbb_map_file(const char *path, const void **buf, size_t *len,
		 char **errmsg)
{
	int fd, ret;

	*buf = NULL;
	*len = 0;
	*errmsg = NULL;
	/* O_NONBLOCK: opening a FIFO must not hang before fstat refuses it */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return xb_fail(errmsg, "%s: %s", path, strerror(errno));
	ret = xbb_map_fd(fd, path, buf, len, errmsg);
	close(fd);
	return ret;
}

void xbb_unmap(const void *buf, size_t len)
{
	if (buf && len)
		munmap((void *)(uintptr_t)buf, len);
}
