/* SPDX-License-Identifier: MIT */
/* state.c - the plain values of state.h: a sorted string map, freeing
 * what the backends read, and finding a VM's running guest. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/state.h"

void xb_map_free(struct xb_map *m)
{
	size_t i;

	if (!m)
		return;
	for (i = 0; i < m->n; i++) {
		free(m->kv[i].key);
		free(m->kv[i].value);
	}
	free(m->kv);
	m->kv = NULL;
	m->n = m->cap = 0;
}

/* Index of key, or of where it would go (*found false). */
static size_t map_find(const struct xb_map *m, const char *key, bool *found)
{
	size_t lo = 0, hi = m->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(m->kv[mid].key, key);

		if (c == 0) {
			*found = true;
			return mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = false;
	return lo;
}

int xb_map_reserve(struct xb_map *m, size_t n)
{
	struct xb_kv *kv;

	if (n <= m->cap - m->n)
		return 0;
	if (n > SIZE_MAX / sizeof(*kv) - m->n)
		return -ENOMEM;
	kv = realloc(m->kv, (m->n + n) * sizeof(*kv));
	if (!kv)
		return -ENOMEM;
	m->kv = kv;
	m->cap = m->n + n;
	return 0;
}

/* key and value at i, where map_find put them */
static int insert(struct xb_map *m, size_t i, char *key, char *value)
{
	if (m->n == m->cap &&
	    xb_map_reserve(m, m->cap ? m->cap : 8))
		return -ENOMEM;
	memmove(&m->kv[i + 1], &m->kv[i], (m->n - i) * sizeof(m->kv[0]));
	m->kv[i].key = key;
	m->kv[i].value = value;
	m->n++;
	return 0;
}

int xb_map_set(struct xb_map *m, const char *key, const char *value)
{
	bool found;
	size_t i = map_find(m, key, &found);
	char *k = NULL, *v = NULL;

	v = strdup(value);
	if (!v)
		return -ENOMEM;
	if (found) {
		free(m->kv[i].value);
		m->kv[i].value = v;
		return 0;
	}
	k = strdup(key);
	if (!k || insert(m, i, k, v)) {
		free(k);
		free(v);
		return -ENOMEM;
	}
	return 0;
}

/* The kv strings are not const only for the owning maps, which free them;
 * a borrowing map never writes through them. */
static char *unconst(const char *s)
{
	return (char *)(uintptr_t)s;
}

int xb_map_borrow(struct xb_map *m, const char *key, const char *value)
{
	bool found;
	size_t i = map_find(m, key, &found);

	if (found) {
		m->kv[i].value = unconst(value);
		return 0;
	}
	return insert(m, i, unconst(key), unconst(value));
}

void xb_map_release(struct xb_map *m)
{
	if (!m)
		return;
	free(m->kv);
	m->kv = NULL;
	m->n = m->cap = 0;
}

const char *xb_map_get(const struct xb_map *m, const char *key)
{
	bool found;
	size_t i = map_find(m, key, &found);

	return found ? m->kv[i].value : NULL;
}

void xb_map_del(struct xb_map *m, const char *key)
{
	bool found;
	size_t i = map_find(m, key, &found);

	if (!found)
		return;
	free(m->kv[i].key);
	free(m->kv[i].value);
	memmove(&m->kv[i], &m->kv[i + 1], (m->n - i - 1) * sizeof(m->kv[0]));
	m->n--;
}

int xb_map_copy(struct xb_map *dst, const struct xb_map *src)
{
	struct xb_map out = { 0 };
	size_t i;

	if (src->n) {
		out.kv = calloc(src->n, sizeof(*out.kv));
		if (!out.kv)
			return -ENOMEM;
		out.cap = src->n;
	}
	for (i = 0; i < src->n; i++) {
		out.kv[i].key = strdup(src->kv[i].key);
		out.kv[i].value = strdup(src->kv[i].value);
		out.n++;
		if (!out.kv[i].key || !out.kv[i].value) {
			xb_map_free(&out);
			return -ENOMEM;
		}
	}
	xb_map_free(dst);
	*dst = out;
	return 0;
}

bool xb_map_equal(const struct xb_map *a, const struct xb_map *b)
{
	size_t i;

	if (a->n != b->n)
		return false;
	for (i = 0; i < a->n; i++)
		if (strcmp(a->kv[i].key, b->kv[i].key) ||
		    strcmp(a->kv[i].value, b->kv[i].value))
			return false;
	return true;
}

static void object_free(struct xb_object *o)
{
	size_t i;

	free(o->ref);
	free(o->uuid);
	free(o->name_label);
	free(o->name_description);
	xb_map_free(&o->other_config);
	xb_map_free(&o->xenstore_data);
	xb_map_free(&o->tags);
	free(o->resident_on);
	for (i = 0; i < o->npbd_hosts; i++)
		free(o->pbd_hosts[i]);
	free(o->pbd_hosts);
	free(o->device);
	free(o->host);
	free(o->network);
}

void xb_actual_free(struct xb_actual *a)
{
	size_t i;

	if (!a)
		return;
	for (i = 0; i < a->nhosts; i++) {
		free(a->hosts[i].ref);
		free(a->hosts[i].uuid);
		free(a->hosts[i].name_label);
		free(a->hosts[i].address);
		xb_map_free(&a->hosts[i].other_config);
	}
	free(a->hosts);
	for (i = 0; i < a->nobjects; i++)
		object_free(&a->objects[i]);
	free(a->objects);
	for (i = 0; i < a->nguests; i++) {
		free(a->guests[i].name);
		free(a->guests[i].vm_uuid);
		xb_map_free(&a->guests[i].vm_data);
		xb_map_free(&a->guests[i].managed);
	}
	free(a->guests);
	free(a->this_host);
	memset(a, 0, sizeof(*a));
}

static int domid_cmp(const void *x, const void *y)
{
	const struct xb_domid_index *a = x, *b = y;

	if (a->domid != b->domid)
		return a->domid < b->domid ? -1 : 1;
	return a->guest < b->guest ? -1 : a->guest > b->guest;
}

struct xb_domid_index *xb_index_guests(const struct xb_actual *a)
{
	struct xb_domid_index *ix = calloc(a->nguests ? a->nguests : 1,
					   sizeof(*ix));
	size_t i;

	if (!ix)
		return NULL;
	for (i = 0; i < a->nguests; i++) {
		ix[i].domid = a->guests[i].domid;
		ix[i].guest = i;
	}
	qsort(ix, a->nguests, sizeof(*ix), domid_cmp);
	return ix;
}

size_t xb_local_guest(const struct xb_actual *a,
		      const struct xb_domid_index *by_domid,
		      const struct xb_object *ob)
{
	size_t lo = 0, hi = a->nguests;

	if (ob->cls != XB_CLASS_VM || !ob->running || ob->domid < 0 ||
	    !ob->uuid)
		return SIZE_MAX;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (by_domid[mid].domid < ob->domid)
			lo = mid + 1;
		else
			hi = mid;
	}
	/* a domid names one domain, but a reply may repeat it: the uuid
	   decides */
	for (; lo < a->nguests && by_domid[lo].domid == ob->domid; lo++) {
		const struct xb_guest *g = &a->guests[by_domid[lo].guest];

		if (g->vm_uuid && !strcmp(g->vm_uuid, ob->uuid))
			return by_domid[lo].guest;
	}
	return SIZE_MAX;
}
