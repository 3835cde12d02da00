/* SPDX-License-Identifier: MIT */
/* lower.c - statements -> the fields of objects (lib/model.h), checked
 * on the way: blocks that select one object are merged, keys and values
 * checked against what XenServer really keeps, and the objects put in the
 * canonical order the blob stores. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compiler/compiler.h"
#include "lib/glob.h"
#include "lib/seal.h"

static const char *const i18n_keys[] = XB_I18N_KEYS;
#define N_I18N_KEYS (sizeof(i18n_keys) / sizeof(i18n_keys[0]))

static const char *const statement_names[] = {
	[STMT_VM_DATA] = "vm-data",
	[STMT_XENSTORE_DATA] = "xenstore-data",
	[STMT_OTHER_CONFIG] = "other-config",
	[STMT_HIDE] = "hide-from-xencenter",
	[STMT_NAME_LABEL] = "name-label",
	[STMT_I18N_KEY] = "i18n-key",
	[STMT_USE] = "use",
	[STMT_NAME_DESCRIPTION] = "name-description",
	[STMT_TAG] = "tag",
};

/* ---- objects, found by what selects them ---------------------------------- */

uint32_t xbc_select_hash(enum xb_class cls, enum xbc_select how,
			 const char *selector, const char *host, long vlan)
{
	uint64_t h = 0xcbf29ce484222325ULL ^ (uint64_t)(cls * 4 + how);

	h = xbc_hash_text(xbc_hash_text(h, selector), host);
	h = (h ^ (uint64_t)(vlan + 1)) * 0x100000001b3ULL;
	return (uint32_t)(h ^ h >> 32);   /* a multiply's high bits down */
}

static size_t index_next(const struct xbc *c, size_t i)
{
	return (i + 1) & (c->index_size - 1);
}

/* Room for n more objects: the array, and an index at most half full
 * (objects are found while blocks are parsed, and again after resolve).
 * Growing the index reads only the index: a slot's hash places it. */
static int room_for_objects(struct xbc *c, size_t n)
{
	struct xbc_object **objects;
	struct xbc_object_slot *index, *old = c->object_index;
	size_t need = c->nobjects + n, size = c->index_size ? c->index_size : 16;
	size_t i, j, old_size = c->index_size;

	if (need <= c->objects_cap && 2 * need <= c->index_size)
		return 0;
	if (need > c->objects_cap) {
		objects = realloc(c->objects, (need + 1) * sizeof(*objects));
		if (!objects)
			goto oom;
		c->objects = objects;
		c->objects_cap = need;
	}
	while (size < 2 * need)
		size *= 2;
	if (size == c->index_size)
		return 0;
	if (size > (size_t)UINT32_MAX + 1 ||
	    !(index = calloc(size, sizeof(*index))))
		goto oom;
	c->object_index = index;
	c->index_size = size;
	for (i = 0; i < old_size; i++) {
		if (!old[i].id)
			continue;
		for (j = old[i].hash & (size - 1); index[j].id; j = index_next(c, j))
			;
		index[j] = old[i];
	}
	free(old);
	return 0;
oom:
	c->out_of_memory = c->stop = true;
	return -1;
}

/* What lowering a block changed, undone when it was lowered as parsed
 * and something in it is to be reported */
struct undo {
	struct xbc_object *o;
	bool created, optional;
	size_t nentries, slot;
};

/* Whether index slot i holds the object b selects (host: b's, resolved);
 * the object itself is read only when the slot's hash is b's (h) */
static bool slot_selects(const struct xbc *c, size_t i, uint32_t h,
			 const struct xbc_block *b, const char *host)
{
	const struct xbc_object *o;

	if (c->object_index[i].hash != h)
		return false;
	o = c->objects[c->object_index[i].id - 1];
	return o->cls == b->cls && o->how == b->how &&
	       !strcmp(o->selector, b->selector.value) &&
	       !strcmp(o->host, host) && o->vlan == b->vlan;
}

/* The object b selects, made if new; order is b's: the object keeps its
 * first block's order and place. */
static struct xbc_object *find_object(struct xbc *c, const struct xbc_block *b,
				      const char *host, uint32_t order,
				      struct undo *u)
{
	const char *sel = b->selector.value;
	uint32_t h = xbc_select_hash(b->cls, b->how, sel, host, b->vlan);
	size_t i;
	struct xbc_object *o;
	int64_t file;

	if (c->nobjects == c->objects_cap &&
	    room_for_objects(c, c->objects_cap ? c->objects_cap : 16))
		return NULL;
	if ((file = xbc_names_number(&c->entry_files, b->loc.file)) < 0) {
		c->out_of_memory = c->stop = true;
		return NULL;
	}
	for (i = h & (c->index_size - 1);
	     c->object_index[i].id && !slot_selects(c, i, h, b, host);
	     i = index_next(c, i))
		;
	if (c->object_index[i].id) {
		o = c->objects[c->object_index[i].id - 1];
		*u = (struct undo){ o, false, o->optional, o->nentries, i };
		o->optional = o->optional && b->optional;
		if (order < o->order) {
			/* a block lowered after resolve, written before
			   the block lowered as parsed that made o */
			o->order = order;
			o->file = (uint32_t)file;
			o->line = b->loc.first_line;
			o->column = b->loc.first_column;
		}
		return o;
	}
	o = xbc_new_kept(c, sizeof(*o));
	if (!o)
		return NULL;
	o->cls = b->cls;
	o->how = b->how;
	o->optional = b->optional;
	o->shares_places = false;
	o->order = order;
	o->selector = sel;
	o->host = host;
	o->vlan = (int32_t)b->vlan;      /* -1 or a tag: check_vlan */
	o->file = (uint32_t)file;
	o->line = b->loc.first_line;
	o->column = b->loc.first_column;
	c->objects[c->nobjects++] = o;   /* in the arena */
	c->object_index[i] = (struct xbc_object_slot){ h, (uint32_t)c->nobjects };
	*u = (struct undo){ o, true, false, 0, i };
	return o;
}

/* Records the loop iteration and the use the entry of seq comes from:
 * the last run grows when the entry follows it with the same context.
 * Runs are made in the order of their seqs, which ctx_of searches by: an
 * entry takes the next seq as it is made, but for a block placed when
 * parsed (xbc_lower_parsed), whose seqs were kept before any for or use
 * was parsed; it has no context, and is lowered before the first block
 * that has one. */
static int set_ctx(struct xbc *c, size_t seq)
{
	struct xbc_ctx_run *last = c->nctx_runs ?
				   &c->ctx_runs[c->nctx_runs - 1] : NULL;

	if (last && last->ctx.env == c->cur_env &&
	    last->ctx.use == c->cur_use && last->first + last->n == seq) {
		last->n++;
		return 0;
	}
	if (c->nctx_runs == c->ctx_runs_cap) {
		size_t cap = c->ctx_runs_cap ? 2 * c->ctx_runs_cap : 256;
		struct xbc_ctx_run *p = cap <= SIZE_MAX / sizeof(*p) ?
			realloc(c->ctx_runs, cap * sizeof(*p)) : NULL;

		if (!p) {
			c->out_of_memory = c->stop = true;
			return -1;
		}
		c->ctx_runs = p;
		c->ctx_runs_cap = cap;
	}
	c->ctx_runs[c->nctx_runs++] = (struct xbc_ctx_run){
		(uint32_t)seq, 1, { c->cur_env, c->cur_use } };
	return 0;
}

static struct xbc_entry_ctx ctx_of(const struct xbc *c,
				   const struct xbc_entry *e)
{
	struct xbc_entry_ctx none = { NULL, NULL };
	size_t lo = 0, hi = c->nctx_runs, mid;

	/* the last run that starts at or before e */
	while (hi - lo > 1) {
		mid = lo + (hi - lo) / 2;
		if (c->ctx_runs[mid].first <= e->seq)
			lo = mid;
		else
			hi = mid;
	}
	if (lo < c->nctx_runs && c->ctx_runs[lo].first <= e->seq &&
	    e->seq - c->ctx_runs[lo].first < c->ctx_runs[lo].n)
		return c->ctx_runs[lo].ctx;
	return none;
}

/* Room for cap entries in o: in the arena, the old array left there (an
 * object grows past the room reserved for its blocks only when a block
 * merges into it or a template adds to it). */
static int grow_entries(struct xbc *c, struct xbc_object *o, size_t cap)
{
	struct xbc_entry *p;

	if (cap > XBC_MAX_ENTRIES || cap > SIZE_MAX / sizeof(*p) ||
	    !(p = xbc_arena_alloc(&c->kept, cap * sizeof(*p)))) {
		c->out_of_memory = c->stop = true;
		return -1;
	}
	if (o->nentries)
		memcpy(p, o->entries, o->nentries * sizeof(*p));
	o->entries = p;
	o->cap = (uint32_t)cap;
	return 0;
}

static struct xbc_entry *add_entry(struct xbc *c, struct xbc_object *o,
				   enum xb_field field, const char *key,
				   const char *value, const struct xbc_loc *loc)
{
	struct xbc_entry *e;
	int64_t k = xbc_names_number(&c->keys, key),
		f = xbc_names_number(&c->entry_files, loc->file);

	if (k < 0 || f < 0 || c->seq >= XBC_MAX_ENTRIES ||
	    c->cur_depth > (int)XBC_MAX_DEPTH) {
		c->out_of_memory = c->stop = true;
		return NULL;
	}
	if (o->nentries == o->cap &&
	    grow_entries(c, o, o->cap ? 2 * (size_t)o->cap : 4))
		return NULL;
	e = &o->entries[o->nentries++];
	e->field = field;
	e->once = false;
	e->secret = false;
	e->shares_place = false;
	e->key = (uint32_t)k;
	e->file = (uint32_t)f;
	e->value = value;
	e->line = loc->first_line;
	e->column = loc->first_column;
	e->seq = (uint32_t)c->seq++;
	e->depth = (unsigned)c->cur_depth;
	if ((c->cur_env || c->cur_use || c->ctx_runs) && set_ctx(c, e->seq))
		return NULL;
	return e;
}

/* Room for one entry per statement of b: exact for an object's first
 * block, so that a million entries do not cost twice their size; at
 * least doubled for a block merged into it, so that many of them do not
 * leave an array each behind. */
static int reserve_entries(struct xbc *c, struct xbc_object *o,
			   const struct xbc_block *b)
{
	const struct xbc_stmt *s;
	size_t n = 0;

	for (s = b->stmts; s; s = s->next)
		n++;
	if (!n || o->nentries + n <= o->cap)
		return 0;
	if (o->cap && o->nentries + n < 2 * (size_t)o->cap)
		n = 2 * (size_t)o->cap - o->nentries;
	return grow_entries(c, o, o->nentries + n);
}

/* ---- the checks of one statement ------------------------------------------ */

static bool key_char(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	       (ch >= '0' && ch <= '9') || ch == '_' || ch == '@' || ch == '-';
}

/* The offset of the first bad byte of a vm-data key, or -1 if it is good:
 * segments of [A-Za-z0-9_@-] joined by single slashes. */
static long bad_key_offset(const char *key)
{
	size_t i;

	for (i = 0; key[i]; i++) {
		if (key[i] == '/') {
			if (i == 0 || key[i - 1] == '/' || !key[i + 1])
				return (long)i;
		} else if (!key_char(key[i])) {
			return (long)i;
		}
	}
	return i ? -1 : 0;
}

static void check_xenstore_key(struct xbc *c, const struct xbc_stmt *s,
			       const char *rest, size_t rest_off)
{
	const struct xbc_str *key = &s->key;
	long bad = bad_key_offset(rest);
	struct xbc_diag *d;
	struct xbc_loc loc = xbc_str_at(key, s->loc.file);

	if (bad < 0)
		return;
	/* point at the offending byte when the key was written plainly */
	if (!strchr(key->raw, '\\') && !strchr(key->raw, '$'))
		loc.first_column += 1 + (int)rest_off + (int)bad;
	if (!*rest) {
		d = xbc_report(c, CHECK_XENSTORE_KEY, &loc, "an empty vm-data key");
	} else if (rest[bad] == '/') {
		d = xbc_report(c, CHECK_XENSTORE_KEY, &loc, "vm-data key \"%s\" "
			       "has an empty segment (a leading, trailing or "
			       "doubled '/')", rest);
	} else {
		d = xbc_report(c, CHECK_XENSTORE_KEY, &loc, "vm-data key \"%s\" "
			       "holds '%c', not allowed in a xenstore path",
			       rest, rest[bad]);
		xbc_hint(c, d, "keys are segments of letters, digits, _ @ "
			 "and -, joined by /");
	}
	(void)d;
}

/* "vm-data/" + key, in the arena. A source sets the same few keys on
 * every VM: the copy made for a key is kept in a small cache by the key's
 * hash and handed out again, so a million statements of ten keys make ten
 * strings (the blob stores each once anyway). */
static const char *vm_data_key(struct xbc *c, const char *key)
{
	size_t plen = strlen(XB_VM_DATA_PREFIX), len = strlen(key), i;
	uint32_t h = 2166136261u;
	const char **slot;
	char *full;

	for (i = 0; i < len; i++)
		h = (h ^ (unsigned char)key[i]) * 16777619u;
	slot = &c->vm_data_keys[h % XBC_KEY_CACHE];
	if (*slot && !strcmp(*slot + plen, key))
		return *slot;
	full = xbc_arena_alloc(&c->kept, plen + len + 1);
	if (!full) {
		c->out_of_memory = c->stop = true;
		return NULL;
	}
	memcpy(full, XB_VM_DATA_PREFIX, plen);
	memcpy(full + plen, key, len + 1);
	*slot = full;
	return full;
}

/* vm-data "K" or xenstore-data "vm-data/K": the xenstore_data key */
static const char *xenstore_key(struct xbc *c, const struct xbc_stmt *s)
{
	const char *key = s->key.value;
	size_t plen = strlen(XB_VM_DATA_PREFIX), off = 0;

	if (s->kind == STMT_XENSTORE_DATA) {
		if (strncmp(key, XB_VM_DATA_PREFIX, plen)) {
			struct xbc_diag *d = xbc_report(c,
				CHECK_XENSTORE_DATA_PREFIX, XBC_AT(s, key),
				"xenstore-data key \"%s\" is outside vm-data/: "
				"XenServer drops it without a word when the VM "
				"starts", key);

			xbc_hint(c, d, "write vm-data \"%s\" = ..., or the key "
				 "\"vm-data/%s\"", key, key);
			if (d)
				return NULL;
		} else {
			off = plen;
		}
		check_xenstore_key(c, s, key + off, off);
		return key;
	}
	if (!strncmp(key, XB_VM_DATA_PREFIX, plen)) {
		struct xbc_diag *d = xbc_report(c, CHECK_VM_DATA_PREFIX,
			XBC_AT(s, key), "vm-data key \"%s\" would be stored as "
			"vm-data/%s: vm-data adds the prefix itself", key, key);

		xbc_hint(c, d, "drop the prefix: vm-data \"%s\" = ...", key + plen);
		if (d)
			return NULL;
	}
	check_xenstore_key(c, s, key, 0);
	return vm_data_key(c, key);
}

static void check_xenstore_sizes(struct xbc *c, const struct xbc_stmt *s,
				 const char *key)
{
	/* "/local/domain/" + the longest domid + "/" + key */
	size_t path = strlen("/local/domain/") + XB_XS_DOMID_DIGITS + 1 +
		      strlen(key);
	size_t len = strlen(s->value.value);
	struct xbc_diag *d;

	if (path > XB_XS_PATH_MAX) {
		d = xbc_report(c, CHECK_XENSTORE_PATH_LENGTH, XBC_AT(s, key),
			       "the guest's path /local/domain/NNNNN/%.20s... "
			       "would be %zu bytes, over xenstore's %d", key,
			       path, XB_XS_PATH_MAX);
		xbc_hint(c, d, "shorten the key by %zu bytes",
			 path - XB_XS_PATH_MAX);
	}
	/* a sealed value's plaintext was checked when it was sealed */
	if (len > XB_XS_VALUE_MAX && !s->value_is_sealed) {
		d = xbc_report(c, CHECK_XENSTORE_VALUE_SIZE,
			       XBC_AT(s, value),
			       "a vm-data value of %zu bytes, over xenstore's "
			       "%d", len, XB_XS_VALUE_MAX);
		xbc_hint(c, d, "split it over several keys");
	}
}

static bool check_map_key(struct xbc *c, const struct xbc_stmt *s)
{
	const char *k = s->key.value;
	size_t i;

	if (!*k) {
		xbc_report(c, CHECK_MAP_KEY, XBC_AT(s, key),
			   "an empty other-config key");
		return false;
	}
	for (i = 0; k[i]; i++) {
		if ((unsigned char)k[i] < 0x20) {
			xbc_report(c, CHECK_MAP_KEY, XBC_AT(s, key),
				   "an other-config key holding a control "
				   "character (xenbake lists the keys it "
				   "manages one per line)");
			return false;
		}
	}
	/* an owner's record too: xenbake-managed:OWNER */
	if (!strcmp(k, XB_KEY_MANAGED) ||
	    !strncmp(k, XB_KEY_MANAGED ":", sizeof(XB_KEY_MANAGED))) {
		struct xbc_diag *d = xbc_report(c, CHECK_MANAGED_KEY,
			XBC_AT(s, key), "other-config \"%s\" is xenbake's own "
			"record of the keys it manages", k);

		xbc_hint(c, d, "use another key");
		return false;
	}
	return true;
}

/* A tag is a line of xenbake's record ("tags:NAME"): one line, not empty */
static bool check_tag(struct xbc *c, const struct xbc_stmt *s)
{
	const char *t = s->value.value;
	struct xbc_diag *d;
	size_t i;

	if (!*t) {
		d = xbc_report(c, CHECK_TAG, XBC_AT(s, value), "an empty tag");
		xbc_hint(c, d, "write the tag between the quotes, or drop the "
			 "statement");
		return false;
	}
	for (i = 0; t[i]; i++) {
		if ((unsigned char)t[i] < 0x20) {
			d = xbc_report(c, CHECK_TAG, XBC_AT(s, value), "a tag "
				       "holding a control character (xenbake "
				       "records the tags it added one per "
				       "line)");
			xbc_hint(c, d, "a tag is one line of text");
			return false;
		}
	}
	return true;
}

static const char *article(enum xb_class cls)
{
	return cls == XB_CLASS_SR ? "an" : "a";   /* "an sr" */
}

/* Which classes have the field a statement sets. */
static bool allowed(enum xbc_stmt_kind kind, enum xb_class cls)
{
	switch (kind) {
	case STMT_VM_DATA:
	case STMT_XENSTORE_DATA:
		return cls == XB_CLASS_VM;
	case STMT_NAME_LABEL:
		return cls == XB_CLASS_SR;
	case STMT_NAME_DESCRIPTION:
		return cls == XB_CLASS_VM || cls == XB_CLASS_SR ||
		       cls == XB_CLASS_NETWORK;
	case STMT_TAG:
		return cls == XB_CLASS_VM;
	case STMT_HIDE:                 /* XenCenter hides no host or pool */
		return cls != XB_CLASS_HOST && cls != XB_CLASS_POOL;
	case STMT_OTHER_CONFIG:
	case STMT_I18N_KEY:
	case STMT_USE:
		return true;
	}
	return false;
}

static void i18n_key(struct xbc *c, struct xbc_object *o,
		     const struct xbc_stmt *s)
{
	const struct xbc_str *id = &s->value;
	struct xbc_diag *d;
	size_t i;

	if (o->cls != XB_CLASS_SR) {
		d = xbc_report(c, CHECK_I18N_KEY, &s->loc, "i18n-key in %s %s "
			       "block: XenCenter localises the names of SRs "
			       "only", article(o->cls), xb_class_keyword(o->cls));
		if (d)
			return;
	} else {
		for (i = 0; i < N_I18N_KEYS; i++)
			if (!strcmp(id->value, i18n_keys[i]))
				break;
		if (i == N_I18N_KEYS) {
			const char *near = xbc_nearest(id->value, i18n_keys,
						       N_I18N_KEYS);

			d = xbc_report(c, CHECK_I18N_KEY, XBC_AT(s, value),
				       "unknown i18n-key '%s': XenCenter knows "
				       "ebs, local-hotplug-cd, local-hotplug-disk, "
				       "local-storage and xenserver-tools",
				       id->value);
			if (near)
				xbc_hint(c, d, "did you mean '%s'?", near);
			if (d)
				return;
		}
	}
	add_entry(c, o, XB_FIELD_OTHER_CONFIG, XB_KEY_I18N, id->value, &s->loc);
}

static void lower_stmt(struct xbc *c, struct xbc_object *o,
		       const struct xbc_stmt *s);

/* A secret's plaintext, checked like any value, is sealed to the
 * --seal-to keys; a sealed value is kept as written, its structure
 * checked. Deterministic (seal.h): the same plaintext and keys give the
 * same text, so a duplicate-key compares them as values. */
static void seal_entry(struct xbc *c, const struct xbc_stmt *s,
		       struct xbc_entry *e)
{
	struct xbc_diag *d;
	char *err = NULL, *sealed = NULL;

	if (!e || (!s->value_is_secret && !s->value_is_sealed))
		return;
	e->secret = true;
	if (s->value_is_sealed) {
		if (xb_seal_check(s->value.value, &err)) {
			d = xbc_report(c, CHECK_SECRET, XBC_AT(s, value), "%s",
				       err ? err : "out of memory");
			xbc_hint(c, d, "a sealed value is what xenbake dump "
				 "writes; write secret \"FILE\" to seal a "
				 "file anew");
		}
		goto out;
	}
	if (!c->opt.nseal_to) {
		d = xbc_report(c, CHECK_SECRET, &s->loc, "a secret value and "
			       "no key to seal it to");
		xbc_hint(c, d, "xenbakec --seal-to HOST.pub (from xenbakec "
			 "--gen-key HOST), once for each host that opens it");
		goto out;
	}
	if (xb_seal(c->opt.seal_to, c->opt.nseal_to, s->value.value,
		    strlen(s->value.value), &sealed, &err)) {
		d = xbc_report(c, CHECK_SECRET, XBC_AT(s, value), "cannot seal "
			       "the secret: %s", err ? err : "out of memory");
		goto out;
	}
	/* the sealed text lives with the tree, as every other value; out
	 * of memory (which stops the compile) must not leave the plaintext */
	e->value = xbc_arena_strndup(c, sealed, strlen(sealed));
	if (!e->value)
		e->value = "";
out:
	free(sealed);
	free(err);
}

/* The statements of the template a use names, one level deeper: a
 * statement nearer the block overrides one from further in. Cycles were
 * cut by resolve, so this ends. */
static void lower_use(struct xbc *c, struct xbc_object *o,
		      const struct xbc_stmt *use)
{
	const struct xbc_stmt *s;
	const struct xbc_stmt *saved_use = c->cur_use;

	if (!use->tmpl)
		return;                 /* unknown, or a cycle: reported */
	if (!c->cur_use)
		c->cur_use = use;       /* notes name the use in the block */
	c->cur_depth++;
	for (s = use->tmpl->body.stmts; s && !c->stop; s = s->next)
		lower_stmt(c, o, s);
	c->cur_depth--;
	c->cur_use = saved_use;
}

static void lower_stmt(struct xbc *c, struct xbc_object *o,
		       const struct xbc_stmt *s)
{
	struct xbc_entry *e;
	const char *key;

	if (s->kind == STMT_USE) {
		lower_use(c, o, s);
		return;
	}
	if ((s->key.raw && !s->key.value) || (s->value.raw && !s->value.value))
		return;         /* the string was wrong: already reported */
	if (!allowed(s->kind, o->cls)) {
		struct xbc_diag *d = xbc_report(c, CHECK_MISPLACED_STATEMENT,
			&s->loc, "%s in %s %s block: %s %s",
			statement_names[s->kind], article(o->cls),
			xb_class_keyword(o->cls), xb_class_xapi(o->cls),
			s->kind == STMT_HIDE ? "is never hidden by XenCenter" :
			"has no such field");

		if (s->kind == STMT_NAME_LABEL)
			xbc_hint(c, d, "xenbake renames SRs only; the block's "
				 "selector names the object");
		else if (s->kind == STMT_NAME_DESCRIPTION)
			xbc_hint(c, d, "name-description is for VMs, SRs and "
				 "networks");
		else if (s->kind == STMT_TAG)
			xbc_hint(c, d, "tag is for VMs; other-config works on "
				 "every class");
		else if (s->kind == STMT_HIDE)
			xbc_hint(c, d, "XenCenter hides VMs, SRs, networks and "
				 "PIFs only");
		else if (s->kind == STMT_VM_DATA || s->kind == STMT_XENSTORE_DATA)
			xbc_hint(c, d, "vm-data is for VMs; other-config "
				 "works on every class");
		return;
	}
	if ((s->kind == STMT_NAME_LABEL || s->kind == STMT_NAME_DESCRIPTION) &&
	    (s->value_is_secret || s->value_is_sealed)) {
		struct xbc_diag *d = xbc_report(c, CHECK_SECRET, &s->loc,
			"%s cannot be secret: XenAPI shows names and "
			"descriptions to every user", statement_names[s->kind]);

		xbc_hint(c, d, "a secret is a value of vm-data, "
			 "xenstore-data or other-config");
		return;
	}
	switch (s->kind) {
	case STMT_VM_DATA:
	case STMT_XENSTORE_DATA:
		key = xenstore_key(c, s);
		if (!key)
			return;
		check_xenstore_sizes(c, s, key);
		e = add_entry(c, o, XB_FIELD_XENSTORE_DATA, key, s->value.value,
			      &s->loc);
		if (e)
			e->once = s->once;
		if (e) {
			e->once = s->once;
			seal_entry(c, s, e);
		}
		break;
	case STMT_OTHER_CONFIG:
		if (!check_map_key(c, s))
			return;
		if (!strcmp(s->key.value, XB_KEY_I18N)) {  /* the same statement */
			if (s->value_is_secret || s->value_is_sealed) {
				struct xbc_diag *d = xbc_report(c,
					CHECK_SECRET, &s->loc, "other-config "
					"\"%s\" = secret: XenCenter reads the "
					"i18n key in the clear", XB_KEY_I18N);

				xbc_hint(c, d, "write the key as a string");
				return;
			}
			if (s->once) {
				struct xbc_diag *d = xbc_report(c,
					CHECK_MISPLACED_STATEMENT, &s->loc,
					"other-config \"%s\" once: the i18n key "
					"and the name it keeps go together",
					XB_KEY_I18N);

				xbc_hint(c, d, "drop once: i18n-key is always "
					 "kept as configured");
				return;
			}
			i18n_key(c, o, s);
			return;
		}
		e = add_entry(c, o, XB_FIELD_OTHER_CONFIG, s->key.value,
			      s->value.value, &s->loc);
		if (e)
			e->once = s->once;
		seal_entry(c, s, e);
		break;
	case STMT_HIDE:
		if (o->cls == XB_CLASS_SR) {
			struct xbc_diag *d = xbc_report(c, CHECK_HIDDEN_SR,
				&s->loc, "hide-from-xencenter on an sr: "
				"XenCenter documents it for VMs, networks "
				"and PIFs only");

			xbc_hint(c, d, "-Wno-hidden-sr if you mean it");
		}
		add_entry(c, o, XB_FIELD_OTHER_CONFIG, XB_KEY_HIDE, "true",
			  &s->loc);
		break;
	case STMT_NAME_LABEL:
		add_entry(c, o, XB_FIELD_NAME_LABEL, "", s->value.value,
			  &s->loc);
		break;
	case STMT_I18N_KEY:
		i18n_key(c, o, s);
		break;
	case STMT_NAME_DESCRIPTION:
		add_entry(c, o, XB_FIELD_NAME_DESCRIPTION, "", s->value.value,
			  &s->loc);
		break;
	case STMT_TAG:
		if (check_tag(c, s))
			add_entry(c, o, XB_FIELD_TAGS, s->value.value, "",
				  &s->loc);
		break;
	case STMT_USE:
		break;
	}
}

/* ---- selectors ------------------------------------------------------------- */

/* 8-4-4-4-12 hexadecimal digits, as xapi makes them */
static bool is_uuid(const char *s)
{
	size_t i;

	for (i = 0; i < 36; i++) {
		bool dash = i == 8 || i == 13 || i == 18 || i == 23;

		if (dash ? s[i] != '-' : !((s[i] >= '0' && s[i] <= '9') ||
					   (s[i] >= 'a' && s[i] <= 'f') ||
					   (s[i] >= 'A' && s[i] <= 'F')))
			return false;
	}
	return !s[36];
}

/* A selector nothing can match: an empty name, a uuid that is not one.
 * true when the block may be lowered. */
static bool check_selector(struct xbc *c, const struct xbc_block *b)
{
	struct xbc_diag *d;

	if (b->cls == XB_CLASS_POOL)
		return true;            /* selected by no name */
	if (b->how == SELECT_TAG && b->cls != XB_CLASS_VM) {
		d = xbc_report(c, CHECK_MISPLACED_STATEMENT, &b->loc,
			       "%s %s selected by tag: only VMs carry tags",
			       article(b->cls), xb_class_keyword(b->cls));
		xbc_hint(c, d, "select it by name, uuid or match");
		if (d)
			return false;
	}
	if (!*b->selector.value) {
		d = xbc_report(c, CHECK_EMPTY_NAME, XBC_AT(b, selector),
			       "%s %s with an empty %s: no object is selected "
			       "by it", article(b->cls), xb_class_keyword(b->cls),
			       b->how == SELECT_UUID ? "uuid" :
			       b->how == SELECT_MATCH ? "pattern" :
			       b->how == SELECT_TAG ? "tag" : "name");
		xbc_hint(c, d, "write the object's %s between the quotes",
			 b->how == SELECT_UUID ? "uuid" :
			 b->how == SELECT_MATCH ? "name pattern (\"web-*\")" :
			 b->how == SELECT_TAG ? "tag (\"gpu\")" :
			 b->cls == XB_CLASS_PIF ? "device (eth1)" : "name_label");
		if (d)
			return false;
	} else if (b->how == SELECT_MATCH &&
		   !xb_glob_valid(b->selector.value)) {
		d = xbc_report(c, CHECK_MATCH_PATTERN, XBC_AT(b, selector),
			       "\"%s\": a [ that no ] closes: the pattern "
			       "matches nothing", b->selector.value);
		xbc_hint(c, d, "close the set ([0-9]), or write [[] for a "
			 "plain [");
		if (d)
			return false;
	} else if (b->how == SELECT_UUID && !is_uuid(b->selector.value)) {
		d = xbc_report(c, CHECK_UUID, XBC_AT(b, selector),
			       "\"%s\" is not a uuid: xapi's are 8-4-4-4-12 "
			       "hexadecimal digits", b->selector.value);
		xbc_hint(c, d, "xe %s-list params=uuid lists them; to select "
			 "by name, drop the word uuid",
			 b->cls == XB_CLASS_SR ? "sr" : b->cls == XB_CLASS_PIF ?
			 "pif" : b->cls == XB_CLASS_NETWORK ? "network" : "vm");
		if (d)
			return false;
	}
	if (b->host.raw && b->host.value && !*b->host.value) {
		d = xbc_report(c, CHECK_EMPTY_NAME, XBC_AT(b, host),
			       "an empty host name: no host is selected by it");
		xbc_hint(c, d, "write the host's name_label, or drop host");
		if (d)
			return false;
	}
	return true;
}

/* ---- after merging ----------------------------------------------------------- */

/* The first entry of field and key in statement order: before merging,
 * the entries of a block lowered after resolve follow those of blocks
 * lowered as parsed that are written after it. */
static const struct xbc_entry *find_entry(const struct xbc *c,
					  const struct xbc_object *o,
					  enum xb_field field, const char *key)
{
	const struct xbc_entry *first = NULL;
	size_t i;

	for (i = 0; i < o->nentries; i++)
		if (o->entries[i].field == field &&
		    !strcmp(xbc_entry_key(c, &o->entries[i]), key) &&
		    (!first || o->entries[i].seq < first->seq))
			first = &o->entries[i];
	return first;
}

/* i18n-key also sets i18n-original-value-name_label: the name XenCenter
 * compares the SR's name with before it shows the localised one. */
static void derive_i18n(struct xbc *c, struct xbc_object *o)
{
	const struct xbc_entry *key, *name;
	struct xbc_entry *e;
	struct xbc_loc loc, name_loc;   /* copies: add_entry moves entries */
	const char *orig;

	if (o->cls != XB_CLASS_SR ||
	    !(key = find_entry(c, o, XB_FIELD_OTHER_CONFIG, XB_KEY_I18N)))
		return;
	loc = xbc_entry_loc(c, key);
	name = find_entry(c, o, XB_FIELD_NAME_LABEL, "");
	if (name && !strcmp(key->value, "xenserver-tools")) {
		struct xbc_diag *d;

		name_loc = xbc_entry_loc(c, name);
		d = xbc_report(c, CHECK_TOOLS_SR_RENAME,
			&name_loc, "renaming the xenserver-tools SR: xapi "
			"resets its name at every start of the pool master");

		xbc_note(c, d, &loc, "i18n-key xenserver-tools is set here");
	}
	if (name) {
		orig = name->value;
	} else if (o->how == SELECT_NAME) {
		orig = o->selector;
	} else {
		bool match = o->how == SELECT_MATCH;
		struct xbc_diag *d = xbc_report(c, CHECK_I18N_KEY, &loc,
			"i18n-key on %s: %s, and XenCenter localises only "
			"while i18n-original-value-name_label equals it",
			match ? "SRs selected by match" :
			"an SR selected by uuid",
			match ? "each has its own name" :
			"its name is not known here");

		xbc_hint(c, d, match ? "write a block per SR, by name" :
			 "select the SR by name, or add name-label");
		return;
	}
	e = add_entry(c, o, XB_FIELD_OTHER_CONFIG, XB_KEY_I18N_ORIG_NAME,
		      orig, &loc);
	if (e)                          /* loc is the i18n-key's too */
		e->shares_place = o->shares_places = true;
}

static int entry_cmp(const void *pa, const void *pb, void *arg)
{
	const struct xbc_entry *a = pa, *b = pb;
	const struct xbc *c = arg;
	int cmp;

	if (a->field != b->field)
		return a->field < b->field ? -1 : 1;
	if (a->key != b->key &&     /* numbered by text: one key, one number */
	    (cmp = strcmp(xbc_entry_key(c, a), xbc_entry_key(c, b))))
		return cmp;
	if (a->depth != b->depth)
		return a->depth < b->depth ? -1 : 1;
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

/* qsort, but first a look whether base is in order already: sources
 * are mostly written in order (objects by name, keys by name), and one
 * pass of comparisons is cheaper than glibc's merge sort, which copies
 * the whole array into a temporary. */
static void sort(void *base, size_t n, size_t size,
		 int (*cmp)(const void *, const void *, void *), void *arg)
{
	const char *p = base;
	size_t i;

	for (i = 1; i < n; i++)
		if (cmp(p + (i - 1) * size, p + i * size, arg) > 0)
			break;
	if (i < n)
		qsort_r(base, n, size, cmp, arg);
}

/* A value as a diagnostic may show it: never a secret's */
static const char *shown(const struct xbc_entry *e)
{
	return e->secret ? "(secret)" : e->value;
}

static const char *field_words(const struct xbc_entry *e)
{
	return xb_field_xapi(e->field);
}

/* Sorts an object's entries; one key given one value twice is merged, two
 * different values are an error naming both places. */
static void merge_entries(struct xbc *c, struct xbc_object *o)
{
	size_t i, out = 0;

	if (!o->nentries)
		return;         /* an empty block: entries may be NULL */
	sort(o->entries, o->nentries, sizeof(*o->entries), entry_cmp, c);
	for (i = 0; i < o->nentries; i++) {
		struct xbc_entry *e = &o->entries[i];
		struct xbc_entry *kept = out ? &o->entries[out - 1] : NULL;

		if (kept && kept->field == e->field && kept->key == e->key) {
			/* kept is written nearer the block: it overrides */
			if (kept->depth == e->depth &&
			    (strcmp(kept->value, e->value) ||
			     kept->once != e->once ||
			     kept->secret != e->secret)) {
				struct xbc_diag *d;
				struct xbc_entry_ctx ec = ctx_of(c, e);
				struct xbc_entry_ctx kc = ctx_of(c, kept);
				struct xbc_loc e_loc = xbc_entry_loc(c, e),
					       kept_loc = xbc_entry_loc(c, kept);

				c->cur_env = ec.env;
				c->cur_use = ec.use;
				if (e->field == XB_FIELD_NAME_LABEL ||
				    e->field == XB_FIELD_NAME_DESCRIPTION)
					d = xbc_report(c, CHECK_DUPLICATE_KEY,
						&e_loc, "%s of %s \"%s\" "
						"set to \"%s\" and, elsewhere, to "
						"\"%s\"", e->field ==
						XB_FIELD_NAME_LABEL ? "name-label" :
						"name-description",
						xb_class_keyword(o->cls),
						o->selector, shown(e), shown(kept));
				else
					d = xbc_report(c, CHECK_DUPLICATE_KEY,
						&e_loc, "%s \"%s\" of %s \"%s\" "
						"set to \"%s\"%s and, elsewhere, to "
						"\"%s\"%s", field_words(e),
						xbc_entry_key(c, e),
						xb_class_keyword(o->cls),
						o->selector, shown(e),
						e->once ? " once" : "", shown(kept),
						kept->once ? " once" : "");
				xbc_note(c, d, &kept_loc, "also defined here");
				if (kc.use && kc.use != ec.use)
					xbc_note(c, d, &kc.use->loc,
						 "from the template used here");
				c->cur_env = NULL;
				c->cur_use = NULL;
			}
			continue;
		}
		o->entries[out++] = *e;
	}
	o->nentries = out;
}

/* A match selects several objects: one name-label would give them all
 * the same name */
static void check_match_rename(struct xbc *c, const struct xbc_object *o)
{
	const struct xbc_entry *name = find_entry(c, o, XB_FIELD_NAME_LABEL, "");
	struct xbc_diag *d;
	struct xbc_loc loc;

	if (o->how != SELECT_MATCH || !name)
		return;
	loc = xbc_entry_loc(c, name);
	d = xbc_report(c, CHECK_MATCH_PATTERN, &loc,
		       "name-label in a match block: every %s the pattern "
		       "matches would get this one name",
		       xb_class_xapi(o->cls));
	xbc_hint(c, d, "rename each in a block of its own, by name");
}

static int object_cmp(const void *pa, const void *pb, void *arg)
{
	const struct xbc_object *a = *(struct xbc_object *const *)pa;
	const struct xbc_object *b = *(struct xbc_object *const *)pb;
	int cmp;

	(void)arg;
	if (a->cls != b->cls)
		return a->cls < b->cls ? -1 : 1;
	if (a->how != b->how)           /* as the blob orders them */
		return a->how < b->how ? -1 : 1;
	cmp = strcmp(a->selector, b->selector);
	if (!cmp)
		cmp = strcmp(a->host, b->host);
	if (!cmp && a->vlan != b->vlan)     /* -1 (none) first */
		cmp = a->vlan < b->vlan ? -1 : 1;
	return cmp;
}

/* vlan T: a pif chosen by device only (the parser allows it on any
 * class's head, for a clearer message than a syntax error). */
static bool check_vlan(struct xbc *c, const struct xbc_block *b)
{
	struct xbc_diag *d;

	if (b->cls != XB_CLASS_PIF) {
		d = xbc_report(c, CHECK_MISPLACED_STATEMENT, &b->vlan_loc,
			       "vlan in %s %s block: only a pif has a VLAN",
			       article(b->cls), xb_class_keyword(b->cls));
		xbc_hint(c, d, "select the VLAN's PIF: pif \"DEVICE\" vlan "
			 "%ld", b->vlan);
		return false;
	}
	if (b->vlan > (long)XB_VLAN_MAX) {
		d = xbc_report(c, CHECK_SYNTAX, &b->vlan_loc, "vlan %ld: a "
			       "VLAN tag is 0 to %u", b->vlan, XB_VLAN_MAX);
		xbc_hint(c, d, "write the tag as xe pif-list shows it (VLAN)");
		return false;
	}
	return true;
}

/* There is one pool: one pool block says all of it. first: where the
 * first pool block is (file NULL: none yet). */
static bool check_pool(struct xbc *c, const struct xbc_block *b,
		       struct xbc_loc *first)
{
	struct xbc_diag *d;

	if (b->cls != XB_CLASS_POOL)
		return true;
	if (!first->file) {
		*first = b->loc;
		return true;
	}
	d = xbc_report(c, CHECK_POOL_BLOCK, &b->loc, "a second pool block: "
		       "there is one pool");
	xbc_note(c, d, first, "the first pool block");
	xbc_hint(c, d, "write these statements in the first pool block");
	return false;
}

static int order_cmp(const void *pa, const void *pb, void *arg)
{
	const struct xbc_object *a = *(struct xbc_object *const *)pa;
	const struct xbc_object *b = *(struct xbc_object *const *)pb;

	(void)arg;
	return a->order < b->order ? -1 : a->order > b->order;
}

/* b's statements into the object it selects, order its place among
 * blocks; pool where the first pool block is (check_pool). 0, or -1 out
 * of memory. */
static int lower_block(struct xbc *c, const struct xbc_block *b,
		       uint32_t order, struct xbc_loc *pool, struct undo *u)
{
	const struct xbc_stmt *s;
	struct xbc_object *o;
	const char *host = "";

	c->cur_env = b->env;
	if (!b->selector.value || (b->host.raw && !b->host.value))
		return 0;       /* reported when decoded */
	if (!check_selector(c, b) || !check_pool(c, b, pool))
		return 0;
	if (b->vlan >= 0 && !check_vlan(c, b))
		return 0;
	if (b->host.raw) {
		if (b->cls != XB_CLASS_PIF && b->cls != XB_CLASS_SR) {
			struct xbc_diag *d = xbc_report(c,
				CHECK_MISPLACED_STATEMENT, XBC_AT(b, host),
				"host in %s %s block: only a pif or an sr is "
				"chosen by host", article(b->cls),
				xb_class_keyword(b->cls));

			xbc_hint(c, d, "a %s is selected by name or uuid "
				 "alone", xb_class_keyword(b->cls));
			return 0;
		}
		if (b->how == SELECT_UUID) {
			struct xbc_diag *d = xbc_report(c,
				CHECK_MISPLACED_STATEMENT, XBC_AT(b, host),
				"host with a uuid selector: a uuid already "
				"names one %s", xb_class_xapi(b->cls));

			xbc_hint(c, d, "write %s \"%s\" host \"%s\", or drop "
				 "host", xb_class_keyword(b->cls),
				 b->cls == XB_CLASS_PIF ? "DEVICE" : "NAME",
				 b->host.value);
			return 0;
		}
		host = b->host.value;
	}
	o = find_object(c, b, host, order, u);
	if (!o || reserve_entries(c, o, b))
		return -1;
	for (s = b->stmts; s && !c->stop; s = s->next)
		lower_stmt(c, o, s);
	return 0;
}

/* What resolve and lower would do with b, if they need nothing that is
 * not parsed yet (constants, templates, files) and b is not a pool
 * block (one pool block is compared with the others). */
static bool plain_block(const struct xbc *c, const struct xbc_block *b)
{
	const struct xbc_stmt *s;

	if (c->opt.no_includes || c->stop || b->cls == XB_CLASS_POOL ||
	    b->selector.value != b->selector.raw || !b->selector.raw ||
	    (b->host.raw && b->host.value != b->host.raw))
		return false;
	for (s = b->stmts; s; s = s->next)
		if (s->kind == STMT_USE || s->value_is_file ||
		    s->value_is_secret || s->value_is_sealed ||
		    s->key.value != s->key.raw ||
		    s->value.value != s->value.raw)
			return false;
	return true;
}

/* The next block's order; more blocks than a uint32_t counts (a source
 * far bigger than memory) stop the compile */
static uint32_t next_order(struct xbc *c)
{
	if (c->norder >= UINT32_MAX) {
		c->out_of_memory = c->stop = true;
		return UINT32_MAX;
	}
	return (uint32_t)c->norder++;
}

bool xbc_lower_parsed(struct xbc *c)
{
	struct xbc_block *b = *c->open_link;
	struct xbc_loc no_pool = { NULL, 0, 0 };
	size_t seq = c->seq, nobjects = c->nobjects, n = 0;
	const struct xbc_stmt *s;
	struct undo u = { NULL, false, false, 0, 0 };
	int r;

	if (c->in_order || !b)
		return false;
	if (b->has_use) {
		/* its entries are counted when its templates are known:
		   every block after it takes its seq after it */
		c->in_order = true;
		return false;
	}
	if (plain_block(c, b) && c->norder < UINT32_MAX) {
		c->probing = true;
		c->probe_failed = false;
		xbc_check_glob(c, b);
		r = lower_block(c, b, (uint32_t)c->norder, &no_pool, &u);
		c->probing = false;
		c->cur_env = NULL;
		if (r)
			return false;   /* out of memory: stopped */
		if (!c->probe_failed) {
			c->norder++;
			return true;
		}
		/* undone: the later path reports it where the old order
		   has it */
		c->seq = seq;
		if (u.o && u.created) {
			/* the last made: no probe since passed its slot */
			c->object_index[u.slot].id = 0;
			c->nobjects = nobjects;
		} else if (u.o) {
			u.o->nentries = u.nentries;
			u.o->optional = u.optional;
		}
	}
	/* lowered after resolve, in its place: one seq per statement
	   (a statement makes one entry at most) */
	for (s = b->stmts; s; s = s->next)
		n++;
	b->placed = true;
	b->order = next_order(c);
	b->seq_base = c->seq;
	c->seq += n;
	return false;
}

void xbc_lower_block(struct xbc *c, const struct xbc_block *b)
{
	size_t seq = c->seq;
	struct undo u;

	if (c->stop)
		return;
	/* a block placed when parsed takes the seqs kept for it */
	if (b->placed)
		c->seq = b->seq_base;
	/* out of memory stops the compile (c->stop): nothing to return */
	lower_block(c, b, b->placed ? b->order : next_order(c),
		    &c->first_pool, &u);
	if (b->placed)
		c->seq = seq;
}

void xbc_lower_end(struct xbc *c)
{
	size_t i;

	c->cur_env = NULL;
	/* every object is found: its index goes before the emit's tables
	   come (peak memory) */
	free(c->object_index);
	c->object_index = NULL;
	c->index_size = 0;
	/* in the order of their first blocks, as found by a lowering
	   after resolve: the diagnostics below are found in that order */
	sort(c->objects, c->nobjects, sizeof(*c->objects), order_cmp, NULL);
	for (i = 0; i < c->nobjects && !c->stop; i++) {
		check_match_rename(c, c->objects[i]);
		derive_i18n(c, c->objects[i]);
		merge_entries(c, c->objects[i]);
	}
	sort(c->objects, c->nobjects, sizeof(*c->objects), object_cmp, NULL);
}

bool xbc_compile(struct xbc *c)
{
	xbc_release_sources(c);
	if (!c->stop)
		xbc_resolve(c, xbc_lower_block);
	if (!c->stop)
		xbc_lower_end(c);
	return !c->nerrors && !c->out_of_memory;
}
