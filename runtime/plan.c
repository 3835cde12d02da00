/* SPDX-License-Identifier: MIT */
/* plan.c - desired minus actual = changes. No I/O: see plan.h. */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/glob.h"
#include "lib/seal.h"
#include "runtime/managed.h"
#include "runtime/plan.h"

#define NO_INDEX SIZE_MAX
#define NFIELDS (XB_FIELD_MAX + 1)

/* What the config wants of one actual object (or, without XenAPI, of one
 * guest): the merged entries of every block that selected it. */
/* Its maps borrow (state.h): keys and values are the blobs' strings, or
 * the planner's own (struct strings), none copied per key. */
struct target {
	bool selected;
	struct xb_map want[NFIELDS];
	struct xb_map source[NFIELDS];      /* key -> "file:line:col" */
	struct xb_map once[NFIELDS];        /* once keys -> "" */
	struct xb_map secret[NFIELDS];      /* secret keys -> "" */
	struct xb_map holders[NFIELDS];     /* key -> the owners that set it,
					       '\n' between them */
	const struct xb_desired_object *first;
};

/* The actual objects (or guests) sorted by one of their strings, so that
 * each block finds its matches by binary search: a scan of every object per
 * block made 100,000 VMs cost 10^10 comparisons. */
struct ix_entry {
	const char *key;
	enum xb_class cls;
	size_t i;                           /* into a->objects or a->guests */
};

struct index {
	struct ix_entry *e;
	size_t n;
};

struct planner {
	const struct xb_desired *d;
	const struct xb_actual *a;
	const struct xb_plan_options *opt;
	struct xb_plan *p;
	struct target *targets;             /* per object, or per guest */
	size_t ntargets;
	struct index by_name;               /* name-label, a PIF's device */
	struct index by_uuid;
	struct xb_domid_index *by_domid;    /* for each VM's local guest */
	const char **owners;                /* planned together, each once */
	char **rec_keys;                    /* the other_config key of each
					       one's record */
	size_t nowners;
	struct strings *strings;            /* what the targets' maps borrow
					       that no blob holds */
	const struct target *cur_target;    /* of the object being planned, */
	const struct xb_map *cur_recorded;  /* its entries -> recording owner */
	/* room in p's arrays: they grow by doubling */
	size_t cap_changes, cap_writes, cap_guests, cap_notes, cap_errors;
	int oom;
};

/* Strings made while merging (a key's position, a list of owners), kept
 * for the targets' borrowing maps: packed in chunks rather than one
 * malloc each, freed together with the targets. */
#define STRINGS_CHUNK 65536

struct strings {
	struct strings *next;
	size_t used, size;
	char s[];
};

static const char *keep_str(struct planner *pl, const char *s)
{
	size_t len = strlen(s) + 1;
	struct strings *c = pl->strings;
	char *out;

	if (!c || c->size - c->used < len) {
		size_t size = len > STRINGS_CHUNK ? len : STRINGS_CHUNK;

		c = malloc(sizeof(*c) + size);
		if (!c) {
			pl->oom = -ENOMEM;
			return NULL;
		}
		c->used = 0;
		c->size = size;
		c->next = pl->strings;
		pl->strings = c;
	}
	out = c->s + c->used;
	memcpy(out, s, len);
	c->used += len;
	return out;
}

static void free_strings(struct strings *c)
{
	while (c) {
		struct strings *next = c->next;

		free(c);
		c = next;
	}
}

/* list (n used of *cap) with room for one more element: list itself, or
 * its new place; NULL (and pl->oom) when out of memory, list untouched. */
static void *reserve(struct planner *pl, void *list, size_t *cap, size_t n,
		     size_t size)
{
	void *grown;
	size_t want;

	if (list && n < *cap)
		return list;
	want = *cap ? *cap * 2 : 16;
	if (want > SIZE_MAX / size) {
		pl->oom = -ENOMEM;
		return NULL;
	}
	grown = realloc(list, want * size);
	if (!grown) {
		pl->oom = -ENOMEM;
		return NULL;
	}
	*cap = want;
	return grown;
}

static int push_str(struct planner *pl, char ***list, size_t *n,
		    size_t *cap, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

static int push_str(struct planner *pl, char ***list, size_t *n,
		    size_t *cap, const char *fmt, ...)
{
	va_list ap;
	char *s = NULL, **grown;
	int r;

	va_start(ap, fmt);
	r = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (r < 0)
		goto nomem;
	grown = reserve(pl, *list, cap, *n, sizeof(**list));
	if (!grown)
		goto nomem;
	grown[(*n)++] = s;
	*list = grown;
	return 0;
nomem:
	free(s);
	pl->oom = -ENOMEM;
	return -ENOMEM;
}

#define plan_error(pl, ...) \
	push_str(pl, &(pl)->p->errors, &(pl)->p->nerrors, &(pl)->cap_errors, \
		 __VA_ARGS__)
#define plan_note(pl, ...) \
	push_str(pl, &(pl)->p->notes, &(pl)->p->nnotes, &(pl)->cap_notes, \
		 __VA_ARGS__)

static char *dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

/* ---- owners ------------------------------------------------------------- */

static const char *owner_of(const struct xb_desired_object *o)
{
	return o->owner && *o->owner ? o->owner : XB_OWNER_DEFAULT;
}

/* Is owner a line of list (owners, '\n' between them)? */
static bool holds(const char *list, const char *owner)
{
	size_t n = strlen(owner);

	while (list && *list) {
		size_t len = strcspn(list, "\n");

		if (len == n && !strncmp(list, owner, n))
			return true;
		list += len;
		list += *list == '\n';
	}
	return false;
}

/* The first owner of list, into buf */
static const char *first_holder(const char *list, char *buf, size_t size)
{
	snprintf(buf, size, "%.*s", (int)strcspn(list ? list : "", "\n"),
		 list ? list : "");
	return buf;
}

static size_t owner_index(const struct planner *pl, const char *owner)
{
	size_t i;

	for (i = 0; i < pl->nowners; i++)
		if (!strcmp(pl->owners[i], owner))
			return i;
	return NO_INDEX;
}

/* Does one of the owners planned here have its own record on ob? */
static bool own_record_any(const struct planner *pl,
			   const struct xb_object *ob)
{
	size_t i;

	for (i = 0; i < pl->nowners; i++)
		if (xb_managed_own_at(ob, pl->rec_keys[i]))
			return 1;
	return 0;
}

/* The owners planned together: every blob's, or (a desired state built
 * by hand) its objects', else the owner default. */
static int collect_owners(struct planner *pl)
{
	const struct xb_desired *d = pl->d;
	size_t i, n = d->nowners + d->nobjects + 1;

	pl->owners = calloc(n, sizeof(*pl->owners));
	if (!pl->owners)
		return pl->oom = -ENOMEM;
	for (i = 0; i < n - 1; i++) {
		const char *o = i < d->nowners ?
			(*d->owners[i] ? d->owners[i] : XB_OWNER_DEFAULT) :
			owner_of(&d->objects[i - d->nowners]);

		if (owner_index(pl, o) == NO_INDEX)
			pl->owners[pl->nowners++] = o;
	}
	if (!pl->nowners)
		pl->owners[pl->nowners++] = XB_OWNER_DEFAULT;
	pl->rec_keys = calloc(pl->nowners, sizeof(*pl->rec_keys));
	if (!pl->rec_keys)
		return pl->oom = -ENOMEM;
	for (i = 0; i < pl->nowners; i++)
		if (!(pl->rec_keys[i] = xb_managed_record_key(pl->owners[i])))
			return pl->oom = -ENOMEM;
	return 0;
}

/* ---- selection ---------------------------------------------------------- */

static const struct xb_desired_entry *
find_entry(const struct xb_desired_object *o, enum xb_field field)
{
	size_t i;

	for (i = 0; i < o->nentries; i++)
		if (o->entries[i].field == field)
			return &o->entries[i];
	return NULL;
}

static bool is_selectable_vm(const struct xb_object *ob)
{
	return !ob->is_template && !ob->is_control_domain;
}

static const char *host_name(const struct xb_actual *a, const char *ref)
{
	size_t i;

	for (i = 0; ref && i < a->nhosts; i++)
		if (!strcmp(a->hosts[i].ref, ref))
			return a->hosts[i].name_label;
	return "?";
}

/* Has SR ob a PBD on the host host_ref? */
static bool sr_on_host(const struct xb_object *ob, const char *host_ref)
{
	size_t i;

	for (i = 0; i < ob->npbd_hosts; i++)
		if (!strcmp(ob->pbd_hosts[i], host_ref))
			return true;
	return false;
}

/* Several SRs of one name are one block's when each is local to its own
 * host: one PBD each, no two on the same host (the installer's "Local
 * storage" of every host of a pool). Shared SRs (a PBD on every host) of
 * one name stay ambiguous. */
static bool srs_per_host(const struct xb_actual *a, const size_t *idx,
			 size_t n)
{
	size_t i, j;

	if (!a->have_pbds)
		return false;
	for (i = 0; i < n; i++) {
		const struct xb_object *ob = &a->objects[idx[i]];

		if (ob->npbd_hosts != 1)
			return false;
		for (j = 0; j < i; j++)
			if (!strcmp(a->objects[idx[j]].pbd_hosts[0],
				    ob->pbd_hosts[0]))
				return false;
	}
	return true;
}

/* Does actual object i match the selector (by name: with this name)? */
static bool object_matches(const struct xb_actual *a, size_t i,
			   const struct xb_desired_object *o, const char *name,
			   const char *host_ref)
{
	const struct xb_object *ob = &a->objects[i];

	if (ob->cls != o->cls)
		return false;
	if (o->flags & XB_OBJ_BY_UUID)
		return ob->uuid && !strcmp(ob->uuid, o->selector);
	switch (o->cls) {
	case XB_CLASS_VM:
		return is_selectable_vm(ob) && ob->name_label &&
		       !strcmp(ob->name_label, name);
	case XB_CLASS_SR:
		if (!ob->name_label || strcmp(ob->name_label, name))
			return false;
		return !host_ref || sr_on_host(ob, host_ref);
	case XB_CLASS_NETWORK:
	case XB_CLASS_HOST:
		return ob->name_label && !strcmp(ob->name_label, name);
	case XB_CLASS_POOL:
		return true;            /* the one there is */
	case XB_CLASS_PIF:
		if (!ob->device || strcmp(ob->device, name))
			return false;
		/* pif "D": the physical one; pif "D" vlan T: that VLAN's */
		if (ob->vlan != ((o->flags & XB_OBJ_VLAN) ? (long)o->vlan : -1))
			return false;
		return !host_ref || (ob->host && !strcmp(ob->host, host_ref));
	}
	return false;
}

static int ix_cmp(const void *x, const void *y)
{
	const struct ix_entry *a = x, *b = y;
	int c;

	if (a->cls != b->cls)
		return a->cls < b->cls ? -1 : 1;
	c = strcmp(a->key, b->key);
	if (c)
		return c;
	return a->i < b->i ? -1 : a->i > b->i;
}

static void ix_add(struct index *ix, const char *key, enum xb_class cls,
		   size_t i, bool guest)
{
	if (!key || (guest && !key[0]))
		return;                 /* a guest's "" name selects nothing */
	ix->e[ix->n].key = key;
	ix->e[ix->n].cls = cls;
	ix->e[ix->n].i = i;
	ix->n++;
}

/* The indexes of what the blocks select: the objects with XenAPI, the
 * running guests without. */
static int build_indexes(struct planner *pl)
{
	const struct xb_actual *a = pl->a;
	size_t n = pl->opt->use_xapi ? a->nobjects : a->nguests, i;

	pl->by_name.e = calloc(n ? n : 1, sizeof(*pl->by_name.e));
	pl->by_uuid.e = calloc(n ? n : 1, sizeof(*pl->by_uuid.e));
	pl->by_domid = xb_index_guests(a);
	if (!pl->by_name.e || !pl->by_uuid.e || !pl->by_domid)
		return pl->oom = -ENOMEM;
	for (i = 0; i < n; i++) {
		if (pl->opt->use_xapi) {
			const struct xb_object *ob = &a->objects[i];

			ix_add(&pl->by_name, ob->cls == XB_CLASS_PIF ?
			       ob->device : ob->name_label, ob->cls, i, false);
			ix_add(&pl->by_uuid, ob->uuid, ob->cls, i, false);
		} else {
			ix_add(&pl->by_name, a->guests[i].name,
			       XB_CLASS_VM, i, true);
			ix_add(&pl->by_uuid, a->guests[i].vm_uuid,
			       XB_CLASS_VM, i, true);
		}
	}
	qsort(pl->by_name.e, pl->by_name.n, sizeof(*pl->by_name.e), ix_cmp);
	qsort(pl->by_uuid.e, pl->by_uuid.n, sizeof(*pl->by_uuid.e), ix_cmp);
	return 0;
}

/* The first entry of ix with this class and key, or ix->n. */
static size_t ix_first(const struct index *ix, enum xb_class cls,
		       const char *key)
{
	struct ix_entry probe = { .key = key, .cls = cls, .i = 0 };
	size_t lo = 0, hi = ix->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (ix_cmp(&ix->e[mid], &probe) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static int cmp_size(const void *x, const void *y)
{
	size_t a = *(const size_t *)x, b = *(const size_t *)y;

	return a < b ? -1 : a > b;
}

/* The objects of o's class whose name (a PIF's device) its pattern
 * matches: a walk over the class in the name index, each name tried
 * against the pattern in time bounded by the two lengths (lib/glob.h). */
static size_t match_pattern(struct planner *pl,
			    const struct xb_desired_object *o,
			    const char *host_ref, size_t **idx)
{
	const struct index *ix = &pl->by_name;
	enum xb_class cls = pl->opt->use_xapi ? o->cls : XB_CLASS_VM;
	size_t first = ix_first(ix, cls, ""), end = first, n = 0, k;

	while (end < ix->n && ix->e[end].cls == cls)
		end++;
	*idx = malloc((end > first ? end - first : 1) * sizeof(**idx));
	if (!*idx) {
		pl->oom = -ENOMEM;
		return 0;
	}
	for (k = first; k < end; k++) {
		size_t i = ix->e[k].i;

		if (xb_glob_match(o->selector, ix->e[k].key) &&
		    (!pl->opt->use_xapi ||
		     object_matches(pl->a, i, o, ix->e[k].key, host_ref)))
			(*idx)[n++] = i;
	}
	qsort(*idx, n, sizeof(**idx), cmp_size);
	return n;
}

/* The VMs that carry o's tag (never a template, snapshot or control
 * domain), in the order of the actual state */
static size_t match_tag(struct planner *pl, const struct xb_desired_object *o,
			size_t **idx)
{
	const struct xb_actual *a = pl->a;
	size_t n = 0, i;

	*idx = malloc((a->nobjects ? a->nobjects : 1) * sizeof(**idx));
	if (!*idx) {
		pl->oom = -ENOMEM;
		return 0;
	}
	for (i = 0; i < a->nobjects; i++)
		if (a->objects[i].cls == XB_CLASS_VM &&
		    is_selectable_vm(&a->objects[i]) &&
		    xb_map_get(&a->objects[i].tags, o->selector))
			(*idx)[n++] = i;
	return n;
}

/* The matches of o (by name: with this name), in the order of the actual
 * state, as a malloc'd array in *idx; returns their count, or 0 with *idx
 * NULL and pl->oom set when out of memory. */
static size_t match(struct planner *pl, const struct xb_desired_object *o,
		    const char *name, const char *host_ref, size_t **idx)
{
	const struct index *ix = (o->flags & XB_OBJ_BY_UUID) ? &pl->by_uuid :
				 &pl->by_name;
	const char *key = (o->flags & XB_OBJ_BY_UUID) ? o->selector : name;
	enum xb_class cls = pl->opt->use_xapi ? o->cls : XB_CLASS_VM;
	size_t first, end, n = 0, k;

	if (o->flags & XB_OBJ_MATCH)
		return match_pattern(pl, o, host_ref, idx);
	if (o->flags & XB_OBJ_TAG)
		return match_tag(pl, o, idx);
	if (cls == XB_CLASS_POOL) {     /* by no name: every pool record */
		*idx = malloc((pl->a->nobjects ? pl->a->nobjects : 1) *
			      sizeof(**idx));
		if (!*idx) {
			pl->oom = -ENOMEM;
			return 0;
		}
		for (k = 0; k < pl->a->nobjects; k++)
			if (pl->a->objects[k].cls == XB_CLASS_POOL)
				(*idx)[n++] = k;
		return n;
	}
	first = ix_first(ix, cls, key);
	end = first;
	while (end < ix->n && ix->e[end].cls == cls &&
	       !strcmp(ix->e[end].key, key))
		end++;
	*idx = malloc((end > first ? end - first : 1) * sizeof(**idx));
	if (!*idx) {
		pl->oom = -ENOMEM;
		return 0;
	}
	for (k = first; k < end; k++) {
		size_t i = ix->e[k].i;

		if (!pl->opt->use_xapi ||
		    object_matches(pl->a, i, o, name, host_ref))
			(*idx)[n++] = i;
	}
	return n;
}

/* Adds the entries of o to target t; a key set twice to different values
 * by two blocks that select the same object is an error naming both. */
static int merge_into(struct planner *pl, struct target *t,
		      const struct xb_desired_object *o, const char *label)
{
	const char *owner = owner_of(o);
	size_t i;

	if (!t->first)
		t->first = o;
	t->selected = true;
	for (i = 0; i < o->nentries; i++) {
		const struct xb_desired_entry *e = &o->entries[i];
		char pos[XB_POS_BUF];
		const char *have, *by, *src, *shown_have, *shown_new;
		int r;

		if (e->field < 1 || e->field > XB_FIELD_MAX)
			continue;
		xb_pos_format(&e->pos, pos, sizeof(pos));
		if (e->field == XB_FIELD_OTHER_CONFIG &&
		    xb_managed_record_owner(e->key)) {
			plan_error(pl, "%s: %s: other-config \"%s\" is xenbake's own record of the keys it manages; use another key",
				   pos, label, XB_KEY_MANAGED);
			continue;
		}
		have = xb_map_get(&t->want[e->field], e->key);
		by = xb_map_get(&t->holders[e->field], e->key);
		/* a secret's value is never in a message */
		shown_have = have && xb_map_get(&t->secret[e->field], e->key) ?
			     "(secret)" : have;
		shown_new = e->flags & XB_ENTRY_SECRET ? "(secret)" : e->value;
		if (have && strcmp(have, e->value) && !holds(by, owner)) {
			char other[XB_OWNER_MAX + 1];

			plan_error(pl, "%s: %s: %s \"%s\" is set to \"%s\" by owner \"%s\" here and to \"%s\" by owner \"%s\" at %s: two owners may hold one key only with one value",
				   pos, label, xb_field_xapi(e->field), e->key,
				   shown_new, owner, shown_have,
				   first_holder(by, other, sizeof(other)),
				   xb_map_get(&t->source[e->field], e->key));
			continue;
		}
		if (have && !strcmp(have, e->value) &&
		    !xb_map_get(&t->once[e->field], e->key) !=
		    !(e->flags & XB_ENTRY_ONCE)) {
			bool once = e->flags & XB_ENTRY_ONCE;

			plan_error(pl, "%s: %s: %s \"%s\" is written %s here and %s at %s, and both blocks select the same object",
				   pos, label, xb_field_xapi(e->field), e->key,
				   once ? "once" : "always",
				   once ? "always" : "once",
				   xb_map_get(&t->source[e->field], e->key));
			continue;
		}
		if (have && strcmp(have, e->value)) {
			plan_error(pl, "%s: %s: %s \"%s\" is set to \"%s\" here and to \"%s\" at %s, and both blocks select the same object",
				   pos, label, xb_field_xapi(e->field), e->key,
				   shown_new, shown_have,
				   xb_map_get(&t->source[e->field], e->key));
			continue;
		}
		if (have && holds(by, owner))
			continue;
		if (have) {     /* the same value: both owners hold it */
			char *list = NULL;
			const char *kept;

			if (asprintf(&list, "%s\n%s", by, owner) < 0)
				return pl->oom = -ENOMEM;
			kept = keep_str(pl, list);
			free(list);
			if (!kept)
				return pl->oom;
			r = xb_map_borrow(&t->holders[e->field], e->key, kept);
			if (r)
				return pl->oom = r;
			continue;
		}
		/* a map's first key: room for the field's keys of this block
		 * at once (entries are sorted by field), not by doubling */
		if (!t->want[e->field].cap) {
			size_t k = i;

			while (k < o->nentries && o->entries[k].field == e->field)
				k++;
			if (xb_map_reserve(&t->want[e->field], k - i) ||
			    xb_map_reserve(&t->source[e->field], k - i) ||
			    xb_map_reserve(&t->holders[e->field], k - i))
				return pl->oom = -ENOMEM;
		}
		src = keep_str(pl, pos);
		if (!src)
			return pl->oom;
		/* the key, value and owner are the blob's: borrowed */
		r = xb_map_borrow(&t->want[e->field], e->key, e->value);
		if (!r)
			r = xb_map_borrow(&t->source[e->field], e->key, src);
		if (!r && (e->flags & XB_ENTRY_ONCE))
			r = xb_map_borrow(&t->once[e->field], e->key, "");
		if (!r && (e->flags & XB_ENTRY_SECRET))
			r = xb_map_borrow(&t->secret[e->field], e->key, "");
		if (!r)
			r = xb_map_borrow(&t->holders[e->field], e->key, owner);
		if (r)
			return pl->oom = r;
	}
	return 0;
}

static const char *kind_plural(enum xb_class cls)
{
	switch (cls) {
	case XB_CLASS_VM: return "VMs";
	case XB_CLASS_SR: return "SRs";
	case XB_CLASS_NETWORK: return "networks";
	case XB_CLASS_PIF: return "PIFs";
	case XB_CLASS_HOST: return "hosts";
	case XB_CLASS_POOL: return "pools";
	}
	return "objects";
}

/* A pattern's block says what it selected: the first names, then how
 * many more (names are foreign: the note is escaped when shown). */
#define MATCHES_NAMED 8

static int note_matches(struct planner *pl, const struct xb_desired_object *o,
			const size_t *idx, size_t n, const char *pos,
			const char *label)
{
	char names[512] = "";
	size_t used = 0, i;
	int w;

	for (i = 0; i < n && i < MATCHES_NAMED; i++) {
		const char *name = pl->opt->use_xapi ?
			(o->cls == XB_CLASS_PIF ? pl->a->objects[idx[i]].device :
			 pl->a->objects[idx[i]].name_label) :
			pl->a->guests[idx[i]].name;
		const char *host = o->cls == XB_CLASS_PIF ?
			host_name(pl->a, pl->a->objects[idx[i]].host) : NULL;

		w = snprintf(names + used, sizeof(names) - used,
			     "%s\"%s\"%s%s", i ? ", " : "", name ? name : "",
			     host ? " on " : "", host ? host : "");
		if (w < 0 || (size_t)w >= sizeof(names) - used)
			break;
		used += (size_t)w;
	}
	if (n > i)
		return plan_note(pl, "%s: note: %s matches %zu %s: %s and %zu more",
				 pos, label, n, kind_plural(o->cls), names,
				 n - i);
	return plan_note(pl, "%s: note: %s matches %zu %s: %s", pos, label, n,
			 n == 1 ? xb_class_xapi(o->cls) : kind_plural(o->cls),
			 names);
}

/* Resolves one desired object against the actual state. */
static int select_object(struct planner *pl, const struct xb_desired_object *o)
{
	const struct xb_actual *a = pl->a;
	bool optional = o->flags & XB_OBJ_OPTIONAL;
	bool by_uuid = o->flags & XB_OBJ_BY_UUID;
	bool by_pattern = o->flags & XB_OBJ_MATCH;
	bool by_tag = o->flags & XB_OBJ_TAG;
	bool many_ok = by_pattern || by_tag ||
		       (o->cls == XB_CLASS_PIF && !by_uuid &&
			!(o->host && o->host[0]));
	char pos[XB_POS_BUF], label[512];
	const char *host_ref = NULL;
	size_t *idx = NULL, n = 0, i;
	int r = 0;

	xb_pos_format(&o->pos, pos, sizeof(pos));
	xb_desired_label(o, label, sizeof(label));

	if (!pl->opt->use_xapi && (o->cls != XB_CLASS_VM || by_tag)) {
		if (optional)
			return plan_note(pl, "%s: note: %s is optional and needs XenAPI: skipped (--no-xapi)",
					 pos, label);
		if (by_tag)
			return plan_error(pl, "%s: %s: a VM's tags are known only through XenAPI; drop --no-xapi (or mark the block optional)",
					  pos, label);
		return plan_error(pl, "%s: %s: %s can only be configured through XenAPI; drop --no-xapi (or mark the block optional)",
				  pos, label, kind_plural(o->cls));
	}

	if (!pl->opt->use_xapi) {
		n = match(pl, o, o->selector, NULL, &idx);
	} else {
		if ((o->cls == XB_CLASS_PIF || o->cls == XB_CLASS_SR) &&
		    !by_uuid && o->host && o->host[0]) {
			size_t nh = 0;

			for (i = 0; i < a->nhosts; i++)
				if (!strcmp(a->hosts[i].name_label, o->host)) {
					host_ref = a->hosts[i].ref;
					nh++;
				}
			if (nh != 1) {
				if (!nh && optional)
					r = plan_note(pl, "%s: note: %s is optional and no host is named \"%s\": skipped",
						      pos, label, o->host);
				else
					r = plan_error(pl, "%s: %s: %s host is named \"%s\"",
						       pos, label,
						       nh ? "more than one" : "no",
						       o->host);
				goto out;
			}
		}
		n = match(pl, o, o->selector, host_ref, &idx);
		if (!n && !pl->oom && o->cls == XB_CLASS_SR && !by_uuid &&
		    !by_pattern && !by_tag) {
			/* renamed by an earlier apply: look for the new name */
			const struct xb_desired_entry *nl =
				find_entry(o, XB_FIELD_NAME_LABEL);

			if (nl) {
				free(idx);
				n = match(pl, o, nl->value, host_ref, &idx);
			}
		}
	}
	if (pl->oom) {
		r = pl->oom;
		goto out;
	}

	if (!n) {
		if (optional)
			r = plan_note(pl, "%s: note: %s is optional and matches nothing: skipped",
				      pos, label);
		else if (!pl->opt->use_xapi)
			r = plan_error(pl, "%s: %s: no running guest on this host %s (without XenAPI only running guests can be selected)",
				       pos, label, by_uuid ? "has this uuid" :
				       by_pattern ? "has a name this pattern matches" :
				       "has this name");
		else
			r = plan_error(pl, "%s: %s: no %s %s (mark the block optional to skip it when absent)",
				       pos, label,
				       o->cls == XB_CLASS_VM ? "VM" :
				       o->cls == XB_CLASS_SR ? "SR" :
				       o->cls == XB_CLASS_PIF ? "PIF" :
				       o->cls == XB_CLASS_HOST ? "host" :
				       o->cls == XB_CLASS_POOL ? "pool" : "network",
				       o->cls == XB_CLASS_POOL ? "is there" :
				       by_uuid ? "has this uuid" :
				       by_tag ? "carries this tag" :
				       by_pattern && o->cls == XB_CLASS_PIF ?
				       "has a device this pattern matches" :
				       by_pattern ? "has a name this pattern matches" :
				       o->cls == XB_CLASS_PIF ? "has this device" :
				       "has this name");
		goto out;
	}
	if (by_pattern || by_tag) {
		r = note_matches(pl, o, idx, n, pos, label);
		if (r)
			goto out;
	}
	if (n > 1 && o->cls == XB_CLASS_SR && !by_uuid && !host_ref &&
	    srs_per_host(a, idx, n))
		many_ok = true;
	if (n > 1 && !many_ok) {
		char uuids[512] = "";
		size_t used = 0;

		for (i = 0; i < n && used < sizeof(uuids) - 1; i++) {
			const char *u = pl->opt->use_xapi ?
				a->objects[idx[i]].uuid :
				a->guests[idx[i]].vm_uuid;
			int w;

			if (!pl->opt->use_xapi && (!u || !u[0])) {
				w = snprintf(uuids + used, sizeof(uuids) - used,
					     "%sdomain %d", i ? ", " : "",
					     a->guests[idx[i]].domid);
			} else {
				w = snprintf(uuids + used, sizeof(uuids) - used,
					     "%s%s", i ? ", " : "", u ? u : "?");
			}
			if (w < 0)
				break;
			used += (size_t)w;
		}
		r = plan_error(pl, "%s: %s: %zu %s match (%s); select one by %s",
			       pos, label, n, kind_plural(o->cls), uuids,
			       o->cls == XB_CLASS_SR && !host_ref ?
			       "host (sr \"NAME\" host \"HOST\") or by uuid" :
			       "uuid");
		goto out;
	}
	for (i = 0; i < n; i++) {
		r = merge_into(pl, &pl->targets[idx[i]], o, label);
		if (r)
			goto out;
	}
out:
	free(idx);
	return r;
}

/* ---- changes ------------------------------------------------------------ */

/* Whose change it is: a record's owner; the owner that wants the key set
 * (the first of several); for a removal, the owner that recorded it. */
static const char *change_owner(const struct planner *pl,
				enum xb_field field, const char *key,
				bool sets, bool bookkeeping, char *buf,
				size_t size)
{
	const char *o;
	char *m;

	if (bookkeeping && (o = xb_managed_record_owner(key)))
		return o;
	if (sets && pl->cur_target &&
	    (o = xb_map_get(&pl->cur_target->holders[field], key)))
		return first_holder(o, buf, size);
	if (!sets && pl->cur_recorded &&
	    (m = xb_managed_name(field, key))) {
		o = xb_map_get(pl->cur_recorded, m);
		free(m);
		if (o)
			return first_holder(o, buf, size);
	}
	return pl->nowners == 1 ? pl->owners[0] : XB_OWNER_DEFAULT;
}

static int add_change(struct planner *pl, enum xb_change_op op,
		      enum xb_where where, enum xb_class cls,
		      const char *object, const char *uuid, int domid,
		      enum xb_field field, const char *key,
		      const char *old_value, const char *new_value,
		      const char *source, bool bookkeeping)
{
	struct xb_plan *p = pl->p;
	struct xb_change *grown, *c;
	char owner[XB_OWNER_MAX + 1];

	grown = reserve(pl, p->changes, &pl->cap_changes, p->nchanges,
			sizeof(*grown));
	if (!grown)
		return pl->oom;
	p->changes = grown;
	c = &p->changes[p->nchanges];
	memset(c, 0, sizeof(*c));
	c->op = op;
	c->where = where;
	c->cls = cls;
	c->domid = domid;
	c->field = field;
	c->bookkeeping = bookkeeping;
	c->object = strdup(object);
	c->uuid = strdup(uuid ? uuid : "");
	c->key = strdup(key);
	c->old_value = dup_or_null(old_value);
	c->new_value = dup_or_null(new_value);
	c->source = strdup(source ? source : "");
	c->owner = strdup(change_owner(pl, field, key, new_value != NULL,
				       bookkeeping, owner, sizeof(owner)));
	p->nchanges++;
	if (!c->object || !c->uuid || !c->key || !c->source || !c->owner ||
	    (old_value && !c->old_value) || (new_value && !c->new_value))
		return pl->oom = -ENOMEM;
	return 0;
}

/* Every key whose value differs between before and after, as changes. */
static int diff_maps(struct planner *pl, enum xb_where where,
		     enum xb_class cls, const char *object, const char *uuid,
		     int domid, enum xb_field field,
		     const struct xb_map *before, const struct xb_map *after,
		     const struct xb_map *source)
{
	size_t i = 0, j = 0;
	int r = 0;

	while (!r && (i < before->n || j < after->n)) {
		int c = i >= before->n ? 1 : j >= after->n ? -1 :
			strcmp(before->kv[i].key, after->kv[j].key);
		const char *key = c <= 0 ? before->kv[i].key : after->kv[j].key;
		bool book = field == XB_FIELD_OTHER_CONFIG &&
			    xb_managed_record_owner(key) &&
			    where == XB_WHERE_XAPI;
		const char *src = source ? xb_map_get(source, key) : NULL;

		if (c < 0) {
			r = add_change(pl, XB_CHANGE_REMOVE, where, cls, object,
				       uuid, domid, field, key,
				       before->kv[i].value, NULL, NULL, book);
			i++;
		} else if (c > 0) {
			r = add_change(pl, XB_CHANGE_ADD, where, cls, object,
				       uuid, domid, field, key, NULL,
				       after->kv[j].value, src, book);
			j++;
		} else {
			if (strcmp(before->kv[i].value, after->kv[j].value))
				r = add_change(pl, XB_CHANGE_MODIFY, where,
					       cls, object, uuid, domid, field,
					       key, before->kv[i].value,
					       after->kv[j].value, src, book);
			i++;
			j++;
		}
	}
	return r;
}

/* The changes since first that write a once key of field: marked, for
 * the plan to say so and check not to call them drift. */
static void mark_once(struct planner *pl, size_t first, enum xb_field field,
		      const struct xb_map *once)
{
	size_t i;

	for (i = first; once && i < pl->p->nchanges; i++) {
		struct xb_change *c = &pl->p->changes[i];

		if (!c->bookkeeping && c->field == field &&
		    xb_map_get(once, c->key))
			c->once = true;
	}
}

/* The changes since first to a secret key of field, or to one the record
 * managed marks as having been one (the config dropped it): marked, so
 * that no output shows their values, old or new */
static void mark_secret(struct planner *pl, size_t first, enum xb_field field,
			const struct xb_map *secret,
			const struct xb_map *managed)
{
	size_t i;

	for (i = first; i < pl->p->nchanges; i++) {
		struct xb_change *c = &pl->p->changes[i];

		if (!c->bookkeeping && c->field == field &&
		    ((secret && xb_map_get(secret, c->key)) ||
		     xb_managed_is_secret(managed, field, c->key)))
			c->secret = true;
	}
}

/* A secret key's record line, with its holders (new_managed maps) */
static int record_secret(struct xb_map *new_managed, enum xb_field field,
			 const char *key)
{
	char *m = xb_managed_secret_name(field, key);
	int r = m ? xb_map_set(new_managed, m, "") : -ENOMEM;

	free(m);
	return r;
}

/* Is once key of field recorded in managed as written (or found)? */
static bool once_recorded(const struct xb_map *managed, enum xb_field field,
			  const char *key, int *r)
{
	char *m = xb_managed_once_name(field, key);
	bool yes = m && xb_map_get(managed, m);

	if (!m)
		*r = -ENOMEM;
	free(m);
	return yes;
}

/* The write of one map, carrying the changes planned since first_change. */
static int add_write(struct planner *pl, size_t object, enum xb_field field,
		     const struct xb_map *old_map, struct xb_map *new_map,
		     size_t first_change)
{
	struct xb_plan *p = pl->p;
	struct xb_map_write *grown, *w;

	grown = reserve(pl, p->writes, &pl->cap_writes, p->nwrites,
			sizeof(*grown));
	if (!grown)
		return pl->oom;
	p->writes = grown;
	w = &p->writes[p->nwrites++];
	memset(w, 0, sizeof(*w));
	w->object = object;
	w->field = field;
	w->first_change = first_change;
	w->nchanges = p->nchanges - first_change;
	w->new_map = *new_map;          /* moved */
	memset(new_map, 0, sizeof(*new_map));
	if (xb_map_copy(&w->old_map, old_map))
		return pl->oom = -ENOMEM;
	return 0;
}

/* A display name: "web-01", "eth1 on xs-02". */
static char *object_name(const struct xb_actual *a, const struct xb_object *ob)
{
	char *s = NULL;

	if (ob->cls == XB_CLASS_PIF) {
		if (asprintf(&s, "%s on %s", ob->device ? ob->device : "?",
			     host_name(a, ob->host)) < 0)
			return NULL;
		return s;
	}
	return strdup(ob->name_label && ob->name_label[0] ? ob->name_label :
		      ob->uuid ? ob->uuid : "?");
}

/* The live vm-data of one local guest: compare, and queue the guest. */
static int plan_guest(struct planner *pl, size_t gi, const char *object,
		      const struct target *t, const struct xb_map *managed)
{
	const struct xb_guest *g = &pl->a->guests[gi];
	const struct xb_map *want = t ? &t->want[XB_FIELD_XENSTORE_DATA] : NULL;
	const struct xb_map *src =
		t ? &t->source[XB_FIELD_XENSTORE_DATA] : NULL;
	const struct xb_map *once = t ? &t->once[XB_FIELD_XENSTORE_DATA] : NULL;
	const struct xb_map *secret =
		t ? &t->secret[XB_FIELD_XENSTORE_DATA] : NULL;
	struct xb_map desired = { 0 }, after = { 0 }, new_managed = { 0 };
	struct xb_map settled = { 0 }, secrets = { 0 };
	struct xb_guest_plan *grown, *gp;
	size_t before_changes = pl->p->nchanges, first_change, i;
	bool managed_differs = false;
	/* a pass that only names the keys to read (every_guest) needs the
	 * desired keys, not the guest afterwards nor its new record: two
	 * copies of every key fewer */
	bool whole = !pl->opt->every_guest;
	int r;

	/* the desired vm-data, and the guest as it should be afterwards */
	r = whole ? xb_map_copy(&after, &g->vm_data) : 0;
	for (i = 0; !r && want && i < want->n; i++) {
		const char *k = want->kv[i].key;

		if (strncmp(k, XB_VM_DATA_PREFIX, strlen(XB_VM_DATA_PREFIX)))
			continue;       /* never reaches a running guest */
		if (xb_map_get(secret, k) &&
		    ((whole && (r = record_secret(&new_managed,
						  XB_FIELD_XENSTORE_DATA,
						  k))) ||
		     (r = xb_map_set(&secrets, k, ""))))
			break;
		if (xb_map_get(once, k)) {
			/* written, or found: the guest's; else written now */
			bool done = once_recorded(managed,
						  XB_FIELD_XENSTORE_DATA, k,
						  &r) ||
				    xb_map_get(&g->vm_data, k);
			char *m = whole ?
				  xb_managed_once_name(XB_FIELD_XENSTORE_DATA,
						       k) : NULL;

			if (!r && whole)
				r = m ? xb_map_set(&new_managed, m, "") :
				    -ENOMEM;
			free(m);
			if (!r)
				r = xb_map_set(&settled, k, "");
			if (r || done)
				continue;
			r = xb_map_set(&desired, k, want->kv[i].value);
			if (!r && whole)
				r = xb_map_set(&after, k, want->kv[i].value);
			continue;
		}
		r = xb_map_set(&desired, k, want->kv[i].value);
		if (!r && whole)
			r = xb_map_set(&after, k, want->kv[i].value);
		if (!r && whole) {
			char *m = xb_managed_name(XB_FIELD_XENSTORE_DATA, k);

			r = m ? xb_map_set(&new_managed, m, "") : -ENOMEM;
			free(m);
		}
	}
	for (i = 0; !r && whole && i < managed->n; i++) {
		const char *key = xb_managed_key(managed->kv[i].key,
						 XB_FIELD_XENSTORE_DATA);

		/* a once key is never removed, even one managed before */
		if (key && !xb_map_get(&desired, key) &&
		    !xb_map_get(&settled, key))
			xb_map_del(&after, key);
	}
	if (r)
		goto out;
	/* a pass that only names the keys to read: no changes made */
	if (pl->opt->every_guest)
		goto queue;
	first_change = pl->p->nchanges;
	r = diff_maps(pl, XB_WHERE_XENSTORE, XB_CLASS_VM, object,
		      g->vm_uuid, g->domid, XB_FIELD_XENSTORE_DATA,
		      &g->vm_data, &after, src);
	if (r)
		goto out;
	mark_once(pl, first_change, XB_FIELD_XENSTORE_DATA, once);
	mark_secret(pl, first_change, XB_FIELD_XENSTORE_DATA, secret, managed);
	if (pl->p->managed_in_xenstore &&
	    !xb_map_equal(managed, &new_managed)) {
		char *before_s = xb_managed_format(managed, "");
		char *after_s = xb_managed_format(&new_managed, "");

		if (before_s && after_s)
			r = add_change(pl, !managed->n ? XB_CHANGE_ADD :
				       !new_managed.n ? XB_CHANGE_REMOVE :
				       XB_CHANGE_MODIFY, XB_WHERE_XENSTORE,
				       XB_CLASS_VM, object, g->vm_uuid,
				       g->domid, XB_FIELD_OTHER_CONFIG,
				       XB_KEY_MANAGED,
				       managed->n ? before_s : NULL,
				       new_managed.n ? after_s : NULL, NULL,
				       true);
		else
			r = pl->oom = -ENOMEM;
		free(before_s);
		free(after_s);
		managed_differs = true;
		if (r)
			goto out;
	}
	if (pl->p->nchanges == before_changes && !managed_differs)
		goto out;
queue:
	grown = reserve(pl, pl->p->guests, &pl->cap_guests, pl->p->nguests,
			sizeof(*grown));
	if (!grown) {
		r = pl->oom;
		goto out;
	}
	pl->p->guests = grown;
	gp = &grown[pl->p->nguests++];
	memset(gp, 0, sizeof(*gp));
	gp->guest = gi;
	gp->domid = g->domid;
	gp->desired = desired;
	memset(&desired, 0, sizeof(desired));
	gp->once = settled;
	memset(&settled, 0, sizeof(settled));
	gp->secret = secrets;
	memset(&secrets, 0, sizeof(secrets));
	gp->vm_uuid = strdup(g->vm_uuid ? g->vm_uuid : "");
	if (asprintf(&gp->label, "vm %s (domain %d)", object, g->domid) < 0)
		gp->label = NULL;
	if (!gp->vm_uuid || !gp->label || xb_map_copy(&gp->managed, managed))
		r = pl->oom = -ENOMEM;
out:
	xb_map_free(&desired);
	xb_map_free(&settled);
	xb_map_free(&secrets);
	xb_map_free(&after);
	xb_map_free(&new_managed);
	return r;
}

/* A string field (name_description) from have to want: one change, one
 * write of the map "" -> value. */
static int plan_string(struct planner *pl, size_t oi, const char *object,
		       enum xb_field field, const char *have,
		       const char *want, const char *src)
{
	const struct xb_object *ob = &pl->a->objects[oi];
	struct xb_map before_m = { 0 }, after_m = { 0 };
	size_t first = pl->p->nchanges;
	int r;

	r = xb_map_set(&before_m, "", have);
	if (!r)
		r = xb_map_set(&after_m, "", want);
	if (!r)
		r = add_change(pl, XB_CHANGE_MODIFY, XB_WHERE_XAPI, ob->cls,
			       object, ob->uuid, -1, field, "", have, want,
			       src, false);
	if (!r)
		r = add_write(pl, oi, field, &before_m, &after_m, first);
	xb_map_free(&before_m);
	xb_map_free(&after_m);
	return r;
}

/* Entry m in the new record of each owner of holders (a list) */
static int set_holders(struct planner *pl, struct xb_map *records,
		       const char *m, const char *holders)
{
	while (holders && *holders) {
		size_t len = strcspn(holders, "\n"), k;
		char name[XB_OWNER_MAX + 1];
		int r;

		snprintf(name, sizeof(name), "%.*s", (int)len, holders);
		k = owner_index(pl, name);
		if (k != NO_INDEX && (r = xb_map_set(&records[k], m, "")))
			return r;
		holders += len;
		holders += *holders == '\n';
	}
	return 0;
}

/* One XenAPI object: one write per changed map, then its live guest. */
static int plan_object(struct planner *pl, size_t oi)
{
	const struct xb_object *ob = &pl->a->objects[oi];
	const struct target *t = &pl->targets[oi];
	struct xb_map managed = { 0 }, after = { 0 };
	struct xb_map tags_after = { 0 }, write_once[2] = { { 0 } };
	struct xb_map recorded = { 0 };     /* entry -> owners planned here */
	struct xb_map others = { 0 };       /* entry -> an owner not planned */
	struct xb_map *new_managed = NULL;  /* per owner planned */
	static const enum xb_field map_fields[] = {
		XB_FIELD_XENSTORE_DATA, XB_FIELD_OTHER_CONFIG
	};
	char *const *rec_key = pl->rec_keys;
	char *object = object_name(pl->a, ob), *text = NULL;
	size_t f, i, k, gi, first;
	bool live_here, foreign = false;
	int r = 0;

	if (!object)
		return pl->oom = -ENOMEM;
	new_managed = calloc(pl->nowners, sizeof(*new_managed));
	if (!new_managed)
		goto oom;
	/* the records of the owners planned here; an inherited record
	 * counts as absent: its keys are not ours */
	for (k = 0; k < pl->nowners; k++) {
		const char *rec;
		struct xb_map one = { 0 };

		if (xb_managed_whose_at(ob, rec_key[k]) == XB_MANAGED_FOREIGN)
			foreign = true;
		rec = xb_managed_own_at(ob, rec_key[k]);
		if (rec && (r = xb_managed_parse(rec, "", &one)))
			goto oom;
		for (i = 0; !r && i < one.n; i++) {
			const char *by = xb_map_get(&recorded, one.kv[i].key);
			char *list = NULL;

			if (by && asprintf(&list, "%s\n%s", by,
					   pl->owners[k]) < 0)
				r = -ENOMEM;
			if (!r)
				r = xb_map_set(&recorded, one.kv[i].key,
					       list ? list : pl->owners[k]);
			if (!r)
				r = xb_map_set(&managed, one.kv[i].key, "");
			free(list);
		}
		xb_map_free(&one);
		if (r)
			goto oom;
	}
	/* the records of other owners: their keys are never ours to
	 * remove or to set to another value */
	for (i = 0; i < ob->other_config.n; i++) {
		const char *key = ob->other_config.kv[i].key;
		const char *who = xb_managed_record_owner(key);
		const char *rec;
		struct xb_map one = { 0 };

		if (!who || owner_index(pl, who) != NO_INDEX ||
		    !(rec = xb_managed_own_at(ob, key)))
			continue;
		if ((r = xb_managed_parse(rec, "", &one)))
			goto oom;
		for (k = 0; !r && k < one.n; k++)
			if (!xb_map_get(&others, one.kv[k].key))
				r = xb_map_set(&others, one.kv[k].key, who);
		xb_map_free(&one);
		if (r)
			goto oom;
	}
	pl->cur_target = t;
	pl->cur_recorded = &recorded;
	if (t->first && foreign) {
		char pos[XB_POS_BUF];

		xb_pos_format(&t->first->pos, pos, sizeof(pos));
		r = plan_note(pl, "%s: note: %s %s: the record of managed keys it carries is not its own (a snapshot, clone or copy inherits its VM's): the keys it names are not xenbake's here, and xenbake's own replaces it once it writes keys there",
			      pos, xb_class_keyword(ob->cls), object);
		if (r)
			goto out;
	}

	/* A running or paused VM's vm-data is its guest's own: it is written
	 * in the live tree only (plan_guest), and xapi copies that back into
	 * VM.xenstore_data; never with set_xenstore_data, which wipes the
	 * tree and makes it dom0's. Not here (another host's guest, or
	 * --no-xenstore): left to xenbake on its host; the record still
	 * names what the config manages, so that every host of a pool
	 * plans the same record. */
	gi = xb_local_guest(pl->a, pl->by_domid, ob);
	live_here = pl->opt->use_xenstore && gi != NO_INDEX;
	if (ob->cls == XB_CLASS_VM && ob->running && !live_here &&
	    t->want[XB_FIELD_XENSTORE_DATA].n &&
	    (r = plan_note(pl, "%s: note: vm %s is running %s: its vm-data is the guest's, written only in its live tree, so not applied here",
			   xb_map_get(&t->source[XB_FIELD_XENSTORE_DATA],
				      t->want[XB_FIELD_XENSTORE_DATA].kv[0].key),
			   object, pl->opt->use_xenstore ?
			   "on another host (apply there)" :
			   "and xenstore is not used (--no-xenstore)")))
		goto out;

	/* the new managed records: every map key the config names, in the
	 * record of each owner that sets it (a once key as written, or
	 * found, once it is or is about to be); another owner's key may be
	 * set only to the value it has */
	for (f = 0; f < 2; f++) {
		enum xb_field field = map_fields[f];
		const struct xb_map *want = &t->want[field];
		const struct xb_map *before = field == XB_FIELD_XENSTORE_DATA ?
			&ob->xenstore_data : &ob->other_config;
		/* where the key lives: a running VM's vm-data in its guest,
		 * known only here */
		const struct xb_map *live =
			field == XB_FIELD_OTHER_CONFIG ? &ob->other_config :
			!ob->running ? &ob->xenstore_data :
			live_here ? &pl->a->guests[gi].vm_data : NULL;

		for (i = 0; i < want->n; i++) {
			const char *key = want->kv[i].key;
			bool once = xb_map_get(&t->once[field], key);
			bool secret = xb_map_get(&t->secret[field], key);
			const char *have = xb_map_get(before, key);
			const char *who;
			char *m;

			if (once && !once_recorded(&managed, field, key, &r)) {
				if (r)
					goto oom;
				if (!live)
					continue;       /* not known here */
				if (!xb_map_get(live, key) &&
				    (r = xb_map_set(&write_once[f], key, "")))
					goto oom;
			}
			m = once ? xb_managed_once_name(field, key) :
			    xb_managed_name(field, key);
			who = m ? xb_map_get(&others, m) : NULL;
			if (who && have && !once &&
			    strcmp(have, want->kv[i].value)) {
				char mine[XB_OWNER_MAX + 1];

				plan_error(pl, "%s: %s %s: %s \"%s\" is set to \"%s\" by owner \"%s\", but owner \"%s\" holds it with the value \"%s\": another owner's key is never rewritten; agree on one value, or leave the key to one owner",
					   xb_map_get(&t->source[field], key),
					   xb_class_keyword(ob->cls), object,
					   xb_field_xapi(field), key,
					   secret ? "(secret)" : want->kv[i].value,
					   first_holder(xb_map_get(&t->holders[field], key),
							mine, sizeof(mine)),
					   who, secret ? "(secret)" : have);
			}
			r = m ? set_holders(pl, new_managed, m,
					    xb_map_get(&t->holders[field],
						       key)) : -ENOMEM;
			free(m);
			if (!r && secret) {
				m = xb_managed_secret_name(field, key);
				r = m ? set_holders(pl, new_managed, m,
						    xb_map_get(&t->holders[field],
							       key)) : -ENOMEM;
				free(m);
			}
			if (r)
				goto oom;
		}
	}
	/* what is left to remove: keys only the owners planned here hold */
	for (i = 0; i < others.n; i++)
		xb_map_del(&managed, others.kv[i].key);

	/* tags: the config's are added; one is recorded, and so removed
	 * once the config drops it, only if xenbake added it */
	if (ob->cls == XB_CLASS_VM) {
		const struct xb_map *want = &t->want[XB_FIELD_TAGS];

		if ((r = xb_map_copy(&tags_after, &ob->tags)))
			goto oom;
		for (i = 0; i < want->n; i++) {
			const char *tag = want->kv[i].key;
			char *m = xb_managed_name(XB_FIELD_TAGS, tag);

			if (!m)
				goto oom;
			if (!xb_map_get(&ob->tags, tag) ||
			    xb_map_get(&recorded, m) || xb_map_get(&others, m))
				r = set_holders(pl, new_managed, m,
						xb_map_get(&t->holders[XB_FIELD_TAGS],
							   tag));
			free(m);
			if (r || (r = xb_map_set(&tags_after, tag, "")))
				goto oom;
		}
		for (i = 0; i < managed.n; i++) {
			const char *tag = xb_managed_key(managed.kv[i].key,
							 XB_FIELD_TAGS);

			if (tag && !xb_map_get(want, tag))
				xb_map_del(&tags_after, tag);
		}
	} else if (t->want[XB_FIELD_TAGS].n) {
		plan_error(pl, "%s: %s %s: tags are set on VMs only",
			   xb_map_get(&t->source[XB_FIELD_TAGS],
				      t->want[XB_FIELD_TAGS].kv[0].key),
			   xb_class_keyword(ob->cls), object);
	}

	for (f = 0; f < 2; f++) {
		enum xb_field field = map_fields[f];
		const struct xb_map *before = field == XB_FIELD_XENSTORE_DATA ?
			&ob->xenstore_data : &ob->other_config;
		const struct xb_map *want = &t->want[field];

		if (field == XB_FIELD_XENSTORE_DATA && ob->cls != XB_CLASS_VM) {
			if (want->n)
				plan_error(pl, "%s: %s %s: xenstore data is for VMs only",
					   xb_map_get(&t->source[field],
						      want->kv[0].key),
					   xb_class_keyword(ob->cls), object);
			continue;
		}
		if (field == XB_FIELD_XENSTORE_DATA && ob->running)
			continue;       /* the live tree's: see above */
		if ((r = xb_map_copy(&after, before)))
			goto oom;
		for (i = 0; i < want->n; i++) {
			/* a once key: only the one to write now */
			if (xb_map_get(&t->once[field], want->kv[i].key) &&
			    !xb_map_get(&write_once[f], want->kv[i].key))
				continue;
			if ((r = xb_map_set(&after, want->kv[i].key,
					    want->kv[i].value)))
				goto oom;
		}
		for (i = 0; i < managed.n; i++) {
			const char *ent = managed.kv[i].key;
			size_t flen = strlen(xb_field_xapi(field));

			if (strncmp(ent, xb_field_xapi(field), flen) ||
			    ent[flen] != ':')
				continue;
			if (!xb_map_get(want, ent + flen + 1))
				xb_map_del(&after, ent + flen + 1);
		}
		for (k = 0; field == XB_FIELD_OTHER_CONFIG &&
			    k < pl->nowners; k++) {
			free(text);
			text = xb_managed_record(&new_managed[k], ob->uuid);
			if (!text)
				goto oom;
			/* ours replaces an inherited one; with nothing to
			 * record, an inherited one stays as it came */
			if (new_managed[k].n)
				r = xb_map_set(&after, rec_key[k], text);
			else if (xb_managed_own_at(ob, rec_key[k]))
				xb_map_del(&after, rec_key[k]);
			if (r)
				goto oom;
		}
		if (xb_map_equal(before, &after))
			continue;
		first = pl->p->nchanges;
		r = diff_maps(pl, XB_WHERE_XAPI, ob->cls, object, ob->uuid, -1,
			      field, before, &after, &t->source[field]);
		mark_once(pl, first, field, &t->once[field]);
		mark_secret(pl, first, field, &t->secret[field], &managed);
		if (!r)
			r = add_write(pl, oi, field, before, &after, first);
		if (r)
			goto oom;
	}

	/* name_label: SRs only */
	if (t->want[XB_FIELD_NAME_LABEL].n) {
		const char *want = xb_map_get(&t->want[XB_FIELD_NAME_LABEL], "");
		const char *src = xb_map_get(&t->source[XB_FIELD_NAME_LABEL], "");

		if (ob->cls != XB_CLASS_SR) {
			plan_error(pl, "%s: %s %s: name-label is set on SRs only",
				   src, xb_class_keyword(ob->cls), object);
		} else if (want && strcmp(want, ob->name_label)) {
			struct xb_map before_m = { 0 }, after_m = { 0 };

			first = pl->p->nchanges;
			r = xb_map_set(&before_m, "", ob->name_label);
			if (!r)
				r = xb_map_set(&after_m, "", want);
			if (!r)
				r = add_change(pl, XB_CHANGE_MODIFY,
					       XB_WHERE_XAPI, ob->cls, object,
					       ob->uuid, -1,
					       XB_FIELD_NAME_LABEL, "",
					       ob->name_label, want, src,
					       false);
			if (!r)
				r = add_write(pl, oi, XB_FIELD_NAME_LABEL,
					      &before_m, &after_m, first);
			xb_map_free(&before_m);
			xb_map_free(&after_m);
			if (r)
				goto oom;
		}
	}

	/* name_description: VMs, SRs, networks */
	if (t->want[XB_FIELD_NAME_DESCRIPTION].n) {
		const char *want = xb_map_get(&t->want[XB_FIELD_NAME_DESCRIPTION],
					      "");
		const char *src = xb_map_get(
			&t->source[XB_FIELD_NAME_DESCRIPTION], "");
		const char *have = ob->name_description ?
				   ob->name_description : "";

		if (ob->cls != XB_CLASS_VM && ob->cls != XB_CLASS_SR &&
		    ob->cls != XB_CLASS_NETWORK) {
			plan_error(pl, "%s: %s %s: name-description is set on VMs, SRs and networks only",
				   src, xb_class_keyword(ob->cls), object);
		} else if (want && strcmp(want, have) &&
			   (r = plan_string(pl, oi, object,
					    XB_FIELD_NAME_DESCRIPTION, have,
					    want, src))) {
			goto oom;
		}
	}

	/* tags: one write, applied tag by tag (VM.add_tags, remove_tags) */
	if (ob->cls == XB_CLASS_VM && !xb_map_equal(&ob->tags, &tags_after)) {
		first = pl->p->nchanges;
		r = diff_maps(pl, XB_WHERE_XAPI, ob->cls, object, ob->uuid, -1,
			      XB_FIELD_TAGS, &ob->tags, &tags_after,
			      &t->source[XB_FIELD_TAGS]);
		if (!r)
			r = add_write(pl, oi, XB_FIELD_TAGS, &ob->tags,
				      &tags_after, first);
		if (r)
			goto oom;
	}

	if (live_here)
		r = plan_guest(pl, gi, object, t, &managed);
	goto out;
oom:
	r = pl->oom = -ENOMEM;
out:
	xb_map_free(&write_once[0]);
	xb_map_free(&write_once[1]);
	pl->cur_target = NULL;
	pl->cur_recorded = NULL;
	xb_map_free(&tags_after);
	xb_map_free(&managed);
	xb_map_free(&recorded);
	xb_map_free(&others);
	for (k = 0; new_managed && k < pl->nowners; k++)
		xb_map_free(&new_managed[k]);
	free(new_managed);
	xb_map_free(&after);
	free(text);
	free(object);
	return r;
}

/* Without XenAPI: one running guest, by its xenstore name. */
static int plan_guest_only(struct planner *pl, size_t gi)
{
	const struct xb_guest *g = &pl->a->guests[gi];
	const struct target *t = &pl->targets[gi];
	char *object = NULL;
	size_t i;
	int r;

	for (i = 0; t->selected && i < t->want[XB_FIELD_OTHER_CONFIG].n; i++) {
		const char *k = t->want[XB_FIELD_OTHER_CONFIG].kv[i].key;

		r = plan_note(pl, "%s: note: vm %s: other-config \"%s\" is kept by XenAPI: not applied (--no-xapi)",
			      xb_map_get(&t->source[XB_FIELD_OTHER_CONFIG], k),
			      g->name && g->name[0] ? g->name : "?", k);
		if (r)
			return r;
	}
	/* tags and the description: XenAPI's alone too */
	for (i = XB_FIELD_NAME_DESCRIPTION; t->selected && i <= XB_FIELD_TAGS;
	     i++) {
		if (!t->want[i].n)
			continue;
		r = plan_note(pl, "%s: note: vm %s: %s is kept by XenAPI: not applied (--no-xapi)",
			      xb_map_get(&t->source[i], t->want[i].kv[0].key),
			      g->name && g->name[0] ? g->name : "?",
			      i == XB_FIELD_TAGS ? "tag" : "name-description");
		if (r)
			return r;
	}
	if (g->name && g->name[0])
		object = strdup(g->name);
	else if (asprintf(&object, "domain %d", g->domid) < 0)
		object = NULL;
	if (!object)
		return pl->oom = -ENOMEM;
	r = plan_guest(pl, gi, object, t->selected ? t : NULL, &g->managed);
	free(object);
	return r;
}

int xb_plan_make(const struct xb_desired *d, const struct xb_actual *a,
		 const struct xb_plan_options *opt, struct xb_plan *p)
{
	struct planner pl = { .d = d, .a = a, .opt = opt, .p = p };
	size_t i, f;
	int r = 0;

	memset(p, 0, sizeof(*p));
	p->managed_in_xenstore = !opt->use_xapi;
	pl.ntargets = opt->use_xapi ? a->nobjects : a->nguests;
	pl.targets = calloc(pl.ntargets ? pl.ntargets : 1,
			    sizeof(*pl.targets));
	if (!pl.targets)
		return -ENOMEM;
	if (!opt->use_xapi && !opt->use_xenstore) {
		plan_error(&pl, "nothing to configure: both --no-xapi and --no-xenstore were given");
		goto out;
	}
	if (build_indexes(&pl) || collect_owners(&pl))
		goto out;
	/* without XenAPI the one record is a guest's node in xenstore */
	for (i = 0; !opt->use_xapi && i < pl.nowners; i++) {
		if (!strcmp(pl.owners[i], XB_OWNER_DEFAULT))
			continue;
		plan_error(&pl, "owner \"%s\": the records of owners other than \"%s\" are kept in other_config, which only XenAPI reaches; drop --no-xapi",
			   pl.owners[i], XB_OWNER_DEFAULT);
		goto out;
	}

	for (i = 0; i < d->nobjects && !pl.oom; i++)
		select_object(&pl, &d->objects[i]);
	if (pl.oom || p->nerrors)
		goto out;

	/* objects the config selects, and those an earlier apply managed:
	 * not a snapshot, clone or copy that inherited the record */
	for (i = 0; i < pl.ntargets && !pl.oom; i++) {
		if (opt->use_xapi) {
			const struct xb_object *ob = &a->objects[i];

			if (!pl.targets[i].selected &&
			    !own_record_any(&pl, ob))
				continue;
			plan_object(&pl, i);
		} else {
			if (!pl.targets[i].selected &&
			    !a->guests[i].managed.n)
				continue;
			plan_guest_only(&pl, i);
		}
	}
out:
	for (i = 0; i < pl.ntargets; i++)
		for (f = 0; f < NFIELDS; f++) {
			xb_map_release(&pl.targets[i].want[f]);
			xb_map_release(&pl.targets[i].source[f]);
			xb_map_release(&pl.targets[i].once[f]);
			xb_map_release(&pl.targets[i].secret[f]);
			xb_map_release(&pl.targets[i].holders[f]);
		}
	free(pl.targets);
	free_strings(pl.strings);
	for (i = 0; pl.rec_keys && i < pl.nowners; i++)
		free(pl.rec_keys[i]);
	free(pl.rec_keys);
	free(pl.owners);
	free(pl.by_name.e);
	free(pl.by_uuid.e);
	free(pl.by_domid);
	if (pl.oom)
		r = pl.oom;
	else if (p->nerrors)
		r = -1;
	return r;
}

void xb_plan_free(struct xb_plan *p)
{
	size_t i;

	if (!p)
		return;
	for (i = 0; i < p->nchanges; i++) {
		struct xb_change *c = &p->changes[i];

		free(c->object);
		free(c->uuid);
		free(c->key);
		if (c->secret) {        /* plaintexts: wiped */
			xb_seal_free(c->old_value);
			xb_seal_free(c->new_value);
		} else {
			free(c->old_value);
			free(c->new_value);
		}
		free(c->source);
		free(c->owner);
	}
	free(p->changes);
	for (i = 0; i < p->nwrites; i++) {
		xb_map_free(&p->writes[i].old_map);
		xb_map_free(&p->writes[i].new_map);
	}
	free(p->writes);
	for (i = 0; i < p->nguests; i++) {
		free(p->guests[i].vm_uuid);
		free(p->guests[i].label);
		xb_map_free(&p->guests[i].desired);
		xb_map_free(&p->guests[i].managed);
		xb_map_free(&p->guests[i].once);
		xb_map_free(&p->guests[i].secret);
	}
	free(p->guests);
	for (i = 0; i < p->nnotes; i++)
		free(p->notes[i]);
	free(p->notes);
	for (i = 0; i < p->nerrors; i++)
		free(p->errors[i]);
	free(p->errors);
	memset(p, 0, sizeof(*p));
}

void xb_plan_count(const struct xb_plan *p, bool bookkeeping, size_t *add,
		   size_t *modify, size_t *remove)
{
	size_t i;

	*add = *modify = *remove = 0;
	for (i = 0; i < p->nchanges; i++) {
		if (p->changes[i].bookkeeping && !bookkeeping)
			continue;
		switch (p->changes[i].op) {
		case XB_CHANGE_ADD: (*add)++; break;
		case XB_CHANGE_MODIFY: (*modify)++; break;
		case XB_CHANGE_REMOVE: (*remove)++; break;
		}
	}
}

const char *xb_change_op_word(enum xb_change_op op)
{
	return op == XB_CHANGE_ADD ? "add" : op == XB_CHANGE_MODIFY ?
	       "change" : "remove";
}

bool xb_plan_empty(const struct xb_plan *p)
{
	return !p->nchanges && !p->nwrites && !p->nguests;
}
