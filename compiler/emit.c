/* SPDX-License-Identifier: MIT */
/* emit.c - lowered objects -> blob bytes, exactly as lib/blob.h lays
 * them out: strings stored once, positions stored once, everything in the
 * canonical order, the SHA-256 last. Same objects, same bytes.
 *
 * The blob is never held whole: a first pass numbers the strings (each
 * borrowed from the tree, not copied) and the positions, which sizes
 * every section; the header, then the sections, are then streamed to the
 * output through a small buffer while the SHA-256 runs over them. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/blob.h"
#include "lib/sha256.h"
#include "compiler/compiler.h"

/* An open-addressing set of strings (or positions). A slot holds the
 * number its key was given on first insertion, plus one (0: empty), in
 * its low id_bits bits, and bits of the key's hash above them, which a
 * probe compares before it looks at the key. Four bytes a slot: a
 * million keys cost a few megabytes. */
struct table {
	uint32_t *slots;
	size_t size, n;              /* slots; keys in them */
	unsigned id_bits;            /* enough for the most keys, + 1 */
};

/* The strings section, by reference: each distinct string is borrowed
 * from the tree (which outlives the emit) and numbered in order of first
 * use; the records keep the numbers. The section itself is only ever
 * written, never held: as each string is written, its address gives way
 * to its offset, which the records then take. */
struct strings {
	struct table t;
	union {
		const char *s;       /* string i, until it is written */
		uint32_t off;        /* then its offset in the section */
	} *v;
	size_t n, cap;
	size_t len;                  /* of the section so far */
	uint32_t *file_id;           /* by file number (c->entry_files):
				        its string's, + 1; 0: not yet */
};

struct position {
	uint32_t file;               /* number, in c->entry_files */
	uint32_t line, column;
};

/* Positions that may repeat, deduped by a table; n distinct ones in v,
 * sized for one a record */
struct positions {
	struct table t;
	struct position *v;          /* in order of first use */
	size_t n;
	const struct xbc_names *files;
	uint32_t last_file;          /* + 1, and the hash of its name */
	uint64_t last_hash;
};

#define MIX 0x9e3779b97f4a7c15ULL

/* A hash of len bytes at s, eight at a time: the strings are short and
 * many, and a byte-wise hash costs a multiply a byte. Only the table's
 * layout depends on it, never the blob. */
static uint64_t hash_bytes(const char *s, size_t len)
{
	uint64_t h = (uint64_t)len * MIX, w = 0;

	if (len >= 8) {
		for (; len > 8; s += 8, len -= 8) {
			memcpy(&w, s, 8);
			h = (h ^ w) * MIX;
			h ^= h >> 29;
		}
		memcpy(&w, s + len - 8, 8);     /* the last 8, overlapping */
	} else {
		for (; len; len--)
			w = w << 8 | (unsigned char)*s++;
	}
	/* a multiply carries a bit only upwards: fold the high bits down
	   (a string's last bytes are w's high ones), as MurmurHash3 ends */
	h = (h ^ w) * MIX;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	return h ^ h >> 33;     /* the table keeps the low 32 bits */
}

static uint64_t hash_str(const char *s)
{
	return hash_bytes(s, strlen(s));
}

/* The slot where a key of hash h starts probing: h * size / 2^32 (the
 * hash's low 32 bits), which spreads keys over a table of any size:
 * sized to what it will hold, not rounded up to a power of two (up to
 * twice that, every byte of it touched). */
static size_t table_home(const struct table *t, uint64_t h)
{
	return (size_t)(((uint64_t)(uint32_t)h * t->size) >> 32);
}

static size_t table_next(const struct table *t, size_t i)
{
	return i + 1 == t->size ? 0 : i + 1;
}

static uint32_t table_id_mask(const struct table *t)
{
	return (uint32_t)((1ULL << t->id_bits) - 1);
}

/* The bits of a key's slot that come from its hash h (its high half) */
static uint32_t table_tag(const struct table *t, uint64_t h)
{
	return (uint32_t)(h >> 32) & ~table_id_mask(t);
}

/* The number of the key a slot holds (the slot must not be empty) */
static size_t table_id(const struct table *t, uint32_t slot)
{
	return (slot & table_id_mask(t)) - 1;
}

/* A table for expect keys, numbered below max_id */
static int table_init(struct table *t, size_t expect, size_t max_id)
{
	/* at most two thirds full, however many of expect are distinct */
	size_t n = expect + expect / 2 + 16;

	if (n > UINT32_MAX || max_id >= UINT32_MAX)
		return -1;
	t->slots = calloc(n, sizeof(*t->slots));
	t->size = n;
	t->n = 0;
	for (t->id_bits = 1; t->id_bits < 32 && (1ULL << t->id_bits) <= max_id + 1;
	     t->id_bits++)
		;
	if (t->slots)
		xbc_huge_pages(t->slots, n * sizeof(*t->slots));
	return t->slots ? 0 : -1;
}

/* Doubles the table when one more key would fill it over two thirds:
 * probing always ends at an empty slot. The slots keep too little of
 * the hashes to move a key: hash_of(arg, id) gives key id's again. */
static int table_reserve_one(struct table *t,
			     uint64_t (*hash_of)(const void *arg, size_t id),
			     const void *arg)
{
	struct table bigger = { NULL, 2 * t->size, t->n, t->id_bits };
	size_t i, j;

	if (3 * (t->n + 1) <= 2 * t->size)
		return 0;
	if (bigger.size > UINT32_MAX)
		return -1;
	bigger.slots = calloc(bigger.size, sizeof(*bigger.slots));
	if (!bigger.slots)
		return -1;
	for (i = 0; i < t->size; i++) {
		if (!t->slots[i])
			continue;
		for (j = table_home(&bigger, hash_of(arg, table_id(t, t->slots[i])));
		     bigger.slots[j]; j = table_next(&bigger, j))
			;
		bigger.slots[j] = t->slots[i];
	}
	free(t->slots);
	*t = bigger;
	return 0;
}

static uint64_t string_hash(const void *arg, size_t id)
{
	const struct strings *st = arg;

	return hash_str(st->v[id].s);
}

/* The number of s (len bytes, hash h), adding it on first use. */
static int64_t intern_hashed(struct strings *st, const char *s, size_t len,
			     uint64_t h)
{
	uint32_t tag = table_tag(&st->t, h), *slot;
	size_t i;

	if (table_reserve_one(&st->t, string_hash, st))
		return -1;
	i = table_home(&st->t, h);
	for (; *(slot = &st->t.slots[i]); i = table_next(&st->t, i)) {
		const char *t = st->v[table_id(&st->t, *slot)].s;

		/* strncmp: it stops at t's end, which may come first */
		if ((*slot & ~table_id_mask(&st->t)) == tag &&
		    !strncmp(t, s, len) && !t[len])
			return (int64_t)table_id(&st->t, *slot);
	}
	if (st->len + len + 1 > UINT32_MAX || st->n == st->cap)
		return -1;
	*slot = tag | (uint32_t)(st->n + 1);
	st->t.n++;
	st->v[st->n].s = s;
	st->len += len + 1;
	return (int64_t)st->n++;
}

/* The offset string id will have, before any is written: the strings
 * before it, summed. Once an emit, for the owner (the one string the
 * header names). */
static uint32_t offset_ahead(const struct strings *st, size_t id)
{
	size_t i, off = 0;

	for (i = 0; i < id; i++)
		off += strlen(st->v[i].s) + 1;
	return (uint32_t)off;
}

static int64_t intern(struct strings *st, const char *s)
{
	size_t len = strlen(s);

	return intern_hashed(st, s, len, hash_bytes(s, len));
}

/* Strings on their way to intern, in order, in two steps ahead of their
 * turn: a string's bytes are asked from memory when it joins the queue,
 * AHEAD strings later it is hashed and its slot asked for, AHEAD strings
 * later again it is looked up. The strings (spread over the tree) and
 * the table (far bigger than the caches) each cost a cache miss a new
 * string: this way the misses overlap instead of waiting in turn. The
 * order of insertion, and so every number and offset, is that of intern
 * one by one. */
#define AHEAD 16
#define SEEN 64

struct queue {
	struct {
		const char *s;
		size_t len;
		uint64_t hash;
		uint32_t *id;        /* where its number goes */
	} v[2 * AHEAD];
	size_t head, n;              /* the oldest; how many */
	size_t nhashed;              /* the oldest ones hashed */
	bool failed;
	/* strings interned lately, by address: an object without a host
	   has the literal "", and a value written alike in many places is
	   often one string (the scanner shares short ones) */
	struct {
		const char *s;
		uint32_t id;
	} seen[SEEN];
};

static size_t seen_index(const char *s)
{
	return ((uintptr_t)s >> 4 ^ (uintptr_t)s >> 10) % SEEN;
}

static void queue_hash(struct strings *st, struct queue *q)
{
	size_t i = (q->head + q->nhashed++) % (2 * AHEAD);

	q->v[i].len = strlen(q->v[i].s);
	q->v[i].hash = hash_bytes(q->v[i].s, q->v[i].len);
	__builtin_prefetch(&st->t.slots[table_home(&st->t, q->v[i].hash)]);
}

static void queue_pop(struct strings *st, struct queue *q)
{
	int64_t v;

	if (!q->nhashed)
		queue_hash(st, q);
	v = intern_hashed(st, q->v[q->head].s, q->v[q->head].len,
			  q->v[q->head].hash);
	if (v < 0) {
		q->failed = true;
	} else {
		*q->v[q->head].id = (uint32_t)v;
		q->seen[seen_index(q->v[q->head].s)].s = q->v[q->head].s;
		q->seen[seen_index(q->v[q->head].s)].id = (uint32_t)v;
	}
	q->head = (q->head + 1) % (2 * AHEAD);
	q->n--;
	q->nhashed--;
}

static void queue_push(struct strings *st, struct queue *q, const char *s,
		       uint32_t *id)
{
	size_t i = seen_index(s);

	if (q->seen[i].s == s) {
		*id = q->seen[i].id;    /* interned already: its number */
		return;
	}
	if (q->n == 2 * AHEAD)
		queue_pop(st, q);
	i = (q->head + q->n++) % (2 * AHEAD);
	q->v[i].s = s;
	q->v[i].id = id;
	__builtin_prefetch(s);
	if (q->n - q->nhashed > AHEAD)
		queue_hash(st, q);
}

static int queue_drain(struct strings *st, struct queue *q)
{
	while (q->n)
		queue_pop(st, q);
	return q->failed ? -1 : 0;
}

/* The number of the string of file number f (c->entry_files): interned
 * at its first use, as every other string. */
static int64_t file_string(struct strings *st, const struct xbc *c,
			   uint32_t f)
{
	int64_t v;

	if (st->file_id[f])
		return st->file_id[f] - 1;
	if ((v = intern(st, c->entry_files.v[f])) < 0)
		return -1;
	st->file_id[f] = (uint32_t)v + 1;
	return v;
}

/* Files a and b (numbers in files) have one name: a blob's position
 * names its file */
static bool same_file(const struct xbc_names *files, uint32_t a, uint32_t b)
{
	return a == b || !strcmp(files->v[a], files->v[b]);
}

static uint64_t position_hash_in(uint64_t file_hash, uint32_t line,
				 uint32_t column)
{
	uint64_t h = (file_hash ^ line) * MIX;

	h = (h ^ column) * MIX;
	return h ^ h >> 32;
}

static uint64_t position_hash(const void *arg, size_t id)
{
	const struct positions *ps = arg;
	const struct position *p = &ps->v[id];

	return position_hash_in(hash_str(ps->files->v[p->file]), p->line,
				p->column);
}

/* The number of the place (file number, line, column), adding it on
 * first use; two files of one name give one place. */
static int64_t position(struct positions *ps, struct position at)
{
	uint64_t h;
	uint32_t tag, *slot;
	size_t i;

	if (at.file + 1 != ps->last_file) {
		ps->last_file = at.file + 1;
		ps->last_hash = hash_str(ps->files->v[at.file]);
	}
	h = position_hash_in(ps->last_hash, at.line, at.column);
	tag = table_tag(&ps->t, h);
	if (table_reserve_one(&ps->t, position_hash, ps))
		return -1;
	i = table_home(&ps->t, h);
	for (; *(slot = &ps->t.slots[i]); i = table_next(&ps->t, i)) {
		const struct position *p = &ps->v[table_id(&ps->t, *slot)];

		if ((*slot & ~table_id_mask(&ps->t)) == tag &&
		    p->line == at.line && p->column == at.column &&
		    same_file(ps->files, p->file, at.file))
			return (int64_t)table_id(&ps->t, *slot);
	}
	*slot = tag | (uint32_t)(ps->n + 1);
	ps->t.n++;
	ps->v[ps->n++] = at;
	return (int64_t)ps->n - 1;
}

/* True when no two records can have one position but the entries marked
 * shares_place (place_of), so that positions are numbered record by
 * record (objects, then entries) and no table is needed: an object's is
 * its first block's class keyword, an entry's its statement's keyword,
 * each a token of its own. Not so when a for or a use cloned statements,
 * a "#@" line placed a token (c->positions_shared), or two files have one
 * name. */
static bool positions_distinct(const struct xbc *c)
{
	const struct xbc_file *f, *g;

	if (c->expanded || c->positions_shared)
		return false;
	for (f = c->files; f; f = f->next)
		for (g = f->next; g; g = g->next)
			if (!strcmp(f->name, g->name))
				return false;
	return true;
}

static bool same_place(const struct xbc *c, const struct xbc_entry *a,
		       const struct xbc_entry *b)
{
	return a->line == b->line && a->column == b->column &&
	       same_file(&c->entry_files, a->file, b->file);
}

/* Where positions are otherwise distinct: the first entry of o whose
 * place entry j shares, j itself when none does. Only an entry marked
 * shares_place shares, with an entry of its own object that sorts
 * before it (i18n-original-value-name_label, made at its i18n-key's
 * place), so a position is numbered at its first use, as the table
 * numbers it. Linear: an object has one entry so marked. */
static size_t place_of(const struct xbc *c, const struct xbc_object *o,
		       size_t j)
{
	size_t i;

	if (!o->shares_places || !o->entries[j].shares_place)
		return j;
	for (i = 0; i < j; i++)
		if (same_place(c, &o->entries[i], &o->entries[j]))
			return i;
	return j;
}

static size_t align4(size_t n)
{
	return (n + 3) & ~(size_t)3;
}

/* An owner other than "default" (which is no owner: the same blob). */
static bool has_owner(const struct xbc *c)
{
	return c->owner && strcmp(c->owner, XB_OWNER_DEFAULT) != 0;
}

/* The lowest blob format that holds c: 3 for a host or the pool, a
 * name_description, tags, a once key or an owner; 2 for an SR's host or a
 * PIF's VLAN; else 1,
 * so that a blob without them is what it always was. */
static uint32_t format_needed(const struct xbc *c)
{
	uint32_t need = XBB_LAST_COMP;
	size_t i, j;

	if (has_owner(c))
		return 3;
	for (i = 0; i < c->nobjects; i++) {
		const struct xbc_object *o = c->objects[i];

		if (o->how == SELECT_MATCH || o->how == SELECT_TAG ||
		    o->cls == XB_CLASS_HOST || o->cls == XB_CLASS_POOL)
			return 3;
		for (j = 0; j < o->nentries; j++)
			if (o->entries[j].field == XB_FIELD_NAME_DESCRIPTION ||
			    o->entries[j].field == XB_FIELD_TAGS ||
			    o->entries[j].once || o->entries[j].secret)
				return 3;
		if (o->vlan >= 0 || (o->cls == XB_CLASS_SR && o->host[0]))
			need = 2;
	}
	return need;
}

/* Where the blob goes, as it is made: to a file through a small buffer,
 * or into one buffer of its exact size (its size is known before its
 * first byte), or nowhere (--check). The SHA-256 runs over the bytes as
 * they pass, its own 32 bytes zero; they are put in place at the end. */
enum sink_kind { SINK_FD, SINK_MEMORY, SINK_NONE };

#define SINK_CHUNK (256u << 10)

struct sink {
	enum sink_kind kind;
	int fd;
	const char *name;            /* of fd, for messages */
	unsigned char *buf;          /* SINK_MEMORY: the whole blob */
	size_t len, cap;             /* bytes in buf; its size */
	size_t done;                 /* bytes passed on before buf's */
	struct xb_sha256 sha;
	bool failed;                 /* said why */
};

static int sink_flush(struct sink *k)
{
	size_t off = 0;

	if (k->kind == SINK_MEMORY || k->failed)
		return k->failed ? -1 : 0;
	if (k->kind == SINK_FD) {
		xb_sha256_update(&k->sha, k->buf, k->len);
		while (off < k->len) {
			ssize_t n = write(k->fd, k->buf + off, k->len - off);

			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0) {
				fprintf(stderr, "xenbakec: cannot write %s: %s\n",
					k->name, strerror(errno));
				k->failed = true;
				return -1;
			}
			off += (size_t)n;
		}
	}
	k->done += k->len;
	k->len = 0;
	return 0;
}

/* Room for n (at most SINK_CHUNK) more bytes; NULL once writing failed */
static unsigned char *sink_room(struct sink *k, size_t n)
{
	unsigned char *p;

	if (k->len + n > k->cap && (k->kind == SINK_MEMORY || sink_flush(k)))
		return NULL;
	p = k->buf + k->len;
	k->len += n;
	return p;
}

static int sink_put(struct sink *k, const void *data, size_t n)
{
	const unsigned char *p = data;

	while (n) {
		size_t part = n < SINK_CHUNK ? n : SINK_CHUNK;
		unsigned char *q = sink_room(k, part);

		if (!q)
			return -1;
		memcpy(q, p, part);
		p += part;
		n -= part;
	}
	return 0;
}

/* The hash, in place: the header was written with it zero */
static int sink_finish(struct sink *k)
{
	unsigned char hash[XB_SHA256_SIZE];

	if (k->kind == SINK_MEMORY) {
		xb_sha256(k->buf + XBB_OFF_SHA256, k->buf, k->len);
		return 0;
	}
	if (sink_flush(k))
		return -1;
	if (k->kind == SINK_NONE)
		return 0;
	xb_sha256_final(&k->sha, hash);
	if (pwrite(k->fd, hash, sizeof(hash), XBB_OFF_SHA256) !=
	    (ssize_t)sizeof(hash)) {
		fprintf(stderr, "xenbakec: cannot write %s: %s\n", k->name,
			strerror(errno));
		return -1;
	}
	return 0;
}

/* A position, its file's string written already */
static void put_position(struct sink *k, const struct strings *st,
			 uint32_t file, uint32_t line, uint32_t column)
{
	unsigned char *p = sink_room(k, XBB_POS_SIZE);

	if (!p)
		return;
	xbb_put32(p + 0, st->v[st->file_id[file] - 1].off);
	xbb_put32(p + 4, line);
	xbb_put32(p + 8, column);
}

/* A key not yet met in the emit's walk (a string's number is below
 * maxstr, which table_init keeps below UINT32_MAX) */
#define KEY_NEW UINT32_MAX

/* The blob of c into k (whose kind is set; the rest zero). Two passes:
 * the first numbers every string and position, which sizes every
 * section; the second writes the header, then the sections in order. */
static int emit(struct xbc *c, struct sink *k)
{
	struct strings st = { 0 };
	struct positions ps = { 0 };
	struct queue q = { 0 };
	size_t nentries = 0, npos, i, j, e, total = 0, maxstr, len;
	size_t off_str, off_obj, off_ent, off_pos;
	uint32_t *obj_str = NULL, *ent_str = NULL, *key_str = NULL;
	uint32_t *obj_pos = NULL, *ent_pos = NULL;
	uint32_t owner_str = 0, format = format_needed(c), next;
	unsigned char hdr[XBB_HEADER_SIZE] = { 0 };
	static const unsigned char zero[4];
	unsigned char *p;
	bool distinct = positions_distinct(c);
	int64_t v;
	int ret = -1;

	for (i = 0; i < c->nobjects; i++)
		nentries += c->objects[i]->nentries;
	npos = c->nobjects + nentries;
	obj_str = malloc((2 * c->nobjects + 1) * sizeof(*obj_str));
	ent_str = malloc((nentries + 1) * sizeof(*ent_str));     /* values */
	key_str = malloc((c->keys.n + 1) * sizeof(*key_str));   /* by number */
	if (!distinct) {
		obj_pos = malloc((c->nobjects + 1) * sizeof(*obj_pos));
		ent_pos = malloc((nentries + 1) * sizeof(*ent_pos));
		ps.v = malloc((npos + 1) * sizeof(*ps.v));
		if (!obj_pos || !ent_pos || !ps.v || table_init(&ps.t, npos, npos))
			goto out;
	}
	/* every string counted as if it were new: the lists never grow,
	   and the part the duplicates would have taken is never touched */
	maxstr = 2 + 2 * npos + c->entry_files.n;
	st.v = malloc(maxstr * sizeof(*st.v));
	st.cap = maxstr;
	st.file_id = calloc(c->entry_files.n + 1, sizeof(*st.file_id));
	ps.files = &c->entry_files;
	/* a string a record, about: an object's selector and an entry's
	   value are mostly new, hosts and keys mostly repeat; with a margin
	   (more distinct strings double the table, once) */
	if (!obj_str || !ent_str || !key_str || !st.v || !st.file_id ||
	    table_init(&st.t, npos + npos / 8, maxstr))
		goto out;
	xbc_huge_pages(st.v, maxstr * sizeof(*st.v));
	for (i = 0; i < c->keys.n; i++)
		key_str[i] = KEY_NEW;
	if (intern(&st, "") != 0)
		goto out;

	/* strings in order of first use: objects, entries, then positions */
	for (i = 0; i < c->nobjects; i++) {
		queue_push(&st, &q, c->objects[i]->selector, &obj_str[2 * i]);
		queue_push(&st, &q, c->objects[i]->host, &obj_str[2 * i + 1]);
	}
	for (i = 0, e = 0; i < c->nobjects; i++) {
		for (j = 0; j < c->objects[i]->nentries; j++, e++) {
			const struct xbc_entry *en = &c->objects[i]->entries[j];

			/* a key once, at its first use: the queue puts its
			   number in key_str; until then any but KEY_NEW */
			if (key_str[en->key] == KEY_NEW) {
				key_str[en->key] = 0;
				queue_push(&st, &q, xbc_entry_key(c, en),
					   &key_str[en->key]);
			}
			queue_push(&st, &q, en->value, &ent_str[e]);
		}
	}
	if (queue_drain(&st, &q))
		goto out;
	if (distinct) {
		/* a position a record, in record order, but an entry's
		   that shares a place: only the files' strings to add */
		npos = 0;
		for (i = 0; i < c->nobjects; i++, npos++)
			if (file_string(&st, c, c->objects[i]->file) < 0)
				goto out;
		for (i = 0; i < c->nobjects; i++) {
			for (j = 0; j < c->objects[i]->nentries; j++) {
				if (place_of(c, c->objects[i], j) != j)
					continue;
				if (file_string(&st, c, c->objects[i]->entries[j].file) < 0)
					goto out;
				npos++;
			}
		}
	} else {
		for (i = 0; i < c->nobjects; i++) {
			const struct xbc_object *o = c->objects[i];
			struct position at = { o->file, (uint32_t)o->line,
					       (uint32_t)o->column };

			if ((v = position(&ps, at)) < 0)
				goto out;
			obj_pos[i] = (uint32_t)v;
		}
		for (i = 0, e = 0; i < c->nobjects; i++) {
			for (j = 0; j < c->objects[i]->nentries; j++, e++) {
				const struct xbc_entry *en = &c->objects[i]->entries[j];
				struct position at = { en->file, (uint32_t)en->line,
						       (uint32_t)en->column };

				if ((v = position(&ps, at)) < 0)
					goto out;
				ent_pos[e] = (uint32_t)v;
			}
		}
		npos = ps.n;
		for (i = 0; i < ps.n; i++)
			if (file_string(&st, c, ps.v[i].file) < 0)
				goto out;
	}
	/* last, so that a blob without one has the strings it always had */
	if (has_owner(c)) {
		if ((v = intern(&st, c->owner)) < 0)
			goto out;
		owner_str = offset_ahead(&st, (size_t)v);
	}

	off_str = XBB_HEADER_SIZE;
	off_obj = align4(off_str + st.len);
	off_ent = off_obj + c->nobjects * XBB_OBJECT_SIZE;
	off_pos = off_ent + nentries * XBB_ENTRY_SIZE;
	total = off_pos + npos * XBB_POS_SIZE;
	if (total > XBB_MAX_SIZE) {
		fprintf(stderr, "xenbakec: the blob would be %zu bytes, over the "
			"%u a reader accepts\n", total, XBB_MAX_SIZE);
		goto out;
	}
	k->cap = k->kind == SINK_MEMORY ? total : SINK_CHUNK;
	if (!(k->buf = malloc(k->cap)))
		goto out;
	xb_sha256_init(&k->sha);

	memcpy(hdr + XBB_OFF_MAGIC, XBB_MAGIC, 4);
	xbb_put32(hdr + XBB_OFF_VERSION, format);
	xbb_put32(hdr + XBB_OFF_LAST_COMP, format);
	xbb_put32(hdr + XBB_OFF_TOTAL_SIZE, (uint32_t)total);
	xbb_put32(hdr + XBB_OFF_HEADER_SIZE, XBB_HEADER_SIZE);
	p = hdr + XBB_OFF_SECTIONS;
	xbb_put32(p + 0, (uint32_t)off_str);
	xbb_put32(p + 4, (uint32_t)st.len);
	xbb_put32(p + 8, (uint32_t)off_obj);
	xbb_put32(p + 12, (uint32_t)(c->nobjects * XBB_OBJECT_SIZE));
	xbb_put32(p + 16, (uint32_t)off_ent);
	xbb_put32(p + 20, (uint32_t)(nentries * XBB_ENTRY_SIZE));
	xbb_put32(p + 24, (uint32_t)off_pos);
	xbb_put32(p + 28, (uint32_t)(npos * XBB_POS_SIZE));
	xbb_put32(p + 32, owner_str);   /* then the reserved word, 0 */
	sink_put(k, hdr, sizeof(hdr));

	for (i = 0, len = 0; i < st.n; i++) {
		const char *s = st.v[i].s;
		size_t n = strlen(s) + 1;

		sink_put(k, s, n);
		st.v[i].off = (uint32_t)len;    /* the records' from here */
		len += n;
	}
	sink_put(k, zero, off_obj - off_str - st.len);   /* to align4 */

	for (i = 0, e = 0; i < c->nobjects; i++) {
		const struct xbc_object *o = c->objects[i];

		if (!(p = sink_room(k, XBB_OBJECT_SIZE)))
			break;
		xbb_put32(p + 0, (uint32_t)o->cls);
		xbb_put32(p + 4, (o->optional ? XB_OBJ_OPTIONAL : 0) |
				 (o->how == SELECT_UUID ? XB_OBJ_BY_UUID : 0) |
				 (o->how == SELECT_MATCH ? XB_OBJ_MATCH : 0) |
				 (o->how == SELECT_TAG ? XB_OBJ_TAG : 0) |
				 (o->vlan >= 0 ? XB_OBJ_VLAN : 0));
		xbb_put32(p + 8, st.v[obj_str[2 * i]].off);
		xbb_put32(p + 12, st.v[obj_str[2 * i + 1]].off);
		xbb_put32(p + 16, (uint32_t)e);
		xbb_put32(p + 20, (uint32_t)o->nentries);
		xbb_put32(p + 24, distinct ? (uint32_t)i : obj_pos[i]);
		xbb_put32(p + 28, o->vlan >= 0 ? (uint32_t)o->vlan : 0);
		e += o->nentries;
	}
	next = (uint32_t)c->nobjects;        /* the distinct numbering */
	for (i = 0, e = 0; i < c->nobjects && !k->failed; i++) {
		const struct xbc_object *o = c->objects[i];
		uint32_t *num = NULL;        /* o's entries' positions, when
					        one shares another's */

		if (distinct && o->shares_places &&
		    !(num = malloc(o->nentries * sizeof(*num))))
			goto out;
		for (j = 0; j < o->nentries; j++, e++) {
			size_t at = distinct ? place_of(c, o, j) : j;
			uint32_t pos = !distinct ? ent_pos[e] :
				       at == j ? next++ : num[at];

			if (num)
				num[j] = pos;
			if (!(p = sink_room(k, XBB_ENTRY_SIZE)))
				break;
			xbb_put32(p + 0, (uint32_t)o->entries[j].field |
					 (o->entries[j].once ? XB_ENTRY_ONCE : 0) |
					 (o->entries[j].secret ? XB_ENTRY_SECRET : 0));
			xbb_put32(p + 4, st.v[key_str[o->entries[j].key]].off);
			xbb_put32(p + 8, st.v[ent_str[e]].off);
			xbb_put32(p + 12, pos);
		}
		free(num);
	}
	if (distinct) {
		for (i = 0; i < c->nobjects; i++) {
			const struct xbc_object *o = c->objects[i];

			put_position(k, &st, o->file,
				     (uint32_t)o->line, (uint32_t)o->column);
		}
		for (i = 0; i < c->nobjects; i++) {
			for (j = 0; j < c->objects[i]->nentries; j++) {
				const struct xbc_entry *en = &c->objects[i]->entries[j];

				if (place_of(c, c->objects[i], j) != j)
					continue;
				put_position(k, &st, en->file,
					     (uint32_t)en->line, (uint32_t)en->column);
			}
		}
	} else {
		for (i = 0; i < ps.n; i++)
			put_position(k, &st, ps.v[i].file, ps.v[i].line,
				     ps.v[i].column);
	}
	if (k->failed || sink_finish(k))
		goto out;
	ret = 0;
out:
	if (ret && !k->failed && total <= XBB_MAX_SIZE)
		fprintf(stderr, "xenbakec: out of memory writing the blob\n");
	if (ret || k->kind != SINK_MEMORY) {
		free(k->buf);
		k->buf = NULL;
	}
	free(st.v);
	free(st.file_id);
	free(st.t.slots);
	free(ps.v);
	free(ps.t.slots);
	free(obj_str);
	free(ent_str);
	free(key_str);
	free(obj_pos);
	free(ent_pos);
	return ret;
}

int xbc_emit(struct xbc *c, unsigned char **blob, size_t *len)
{
	struct sink k = { .kind = SINK_MEMORY, .fd = -1 };

	if (emit(c, &k))
		return -1;
	*blob = k.buf;
	*len = k.len;
	return 0;
}

int xbc_emit_fd(struct xbc *c, int fd, const char *name)
{
	struct sink k = { .kind = fd < 0 ? SINK_NONE : SINK_FD, .fd = fd,
			  .name = name };

	return emit(c, &k);
}
