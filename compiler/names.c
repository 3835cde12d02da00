/* SPDX-License-Identifier: MIT */
/* names.c - numbers for strings. An entry keeps a 32-bit number for its
 * key and one for its file instead of two pointers: 32 bytes instead of
 * 40, 8 MB fewer for a million entries. Keys are numbered by their text,
 * so that one key is one number; files by their address, as diagnostics
 * tell apart two files that have one name. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "compiler/compiler.h"

uint64_t xbc_hash_text(uint64_t h, const char *s)
{
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
	return (h ^ 0xff) * 0x100000001b3ULL;   /* end marker */
}

static uint32_t hash_of(const struct xbc_names *t, const char *s)
{
	uint64_t h;

	if (t->by_address)
		return (uint32_t)(((uintptr_t)s * 0x9e3779b97f4a7c15ULL) >> 32);
	h = xbc_hash_text(0xcbf29ce484222325ULL, s);
	return (uint32_t)(h ^ h >> 32);
}

static bool same(const struct xbc_names *t, const char *a, const char *b)
{
	return a == b || (!t->by_address && !strcmp(a, b));
}

static size_t home(const struct xbc_names *t, uint32_t h)
{
	return (size_t)(((uint64_t)h * t->size) >> 32);
}

/* Room for one more string, the table at most half full: twice the
 * slots, each string placed again by its hash */
static int reserve_one(struct xbc_names *t)
{
	size_t size = t->size ? 2 * t->size : 16, i, j;
	uint32_t *slots;
	const char **v;

	if (2 * (t->n + 1) <= t->size)
		return 0;
	if (size > UINT32_MAX ||
	    !(v = realloc(t->v, size / 2 * sizeof(*v))))
		return -1;
	t->v = v;
	if (!(slots = calloc(size, sizeof(*slots))))
		return -1;
	free(t->slots);
	t->slots = slots;
	t->size = size;
	for (i = 0; i < t->n; i++) {
		for (j = home(t, hash_of(t, t->v[i])); t->slots[j];
		     j = j + 1 == t->size ? 0 : j + 1)
			;
		t->slots[j] = (uint32_t)i + 1;
	}
	return 0;
}

int64_t xbc_names_number(struct xbc_names *t, const char *s)
{
	size_t at = ((uintptr_t)s >> 3 ^ (uintptr_t)s >> 11) % XBC_NAMES_RECENT, i;

	/* most strings come back at the address they came at last */
	if (t->recent[at].s == s)
		return t->recent[at].number;
	if (reserve_one(t))
		return -1;
	for (i = home(t, hash_of(t, s)); t->slots[i];
	     i = i + 1 == t->size ? 0 : i + 1)
		if (same(t, t->v[t->slots[i] - 1], s))
			break;
	if (!t->slots[i]) {
		t->v[t->n] = s;
		t->slots[i] = (uint32_t)++t->n;
	}
	t->recent[at].s = s;
	t->recent[at].number = t->slots[i] - 1;
	return t->slots[i] - 1;
}

void xbc_names_free(struct xbc_names *t)
{
	bool by_address = t->by_address;

	free(t->v);
	free(t->slots);
	memset(t, 0, sizeof(*t));
	t->by_address = by_address;
}
