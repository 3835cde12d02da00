/* SPDX-License-Identifier: MIT */
/* arena.c - the memory of one compilation's tree: bump allocation in
 * large chunks, freed as a whole by xbc_free. A source of a million
 * statements makes millions of small nodes and strings that all live
 * until the end; one malloc per chunk instead of one per node saves the
 * allocator's time and its per-block overhead. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "compiler/compiler.h"

/* Chunks grow from the first size to the last, four times bigger each
 * time, so that a small compilation (a fuzz input, a unit test) stays
 * small and a big one soon gets chunks big enough for huge pages. */
#define CHUNK_FIRST (16UL << 10)
#define CHUNK_LAST (8UL << 20)
/* Nodes hold pointers and integers, nothing wider: 8 aligns them, where
 * malloc's 16 would pad a statement of 104 bytes to 112. */
#define ALIGN 8UL
#define HUGE_PAGE (2UL << 20)

void xbc_huge_pages(void *p, size_t len)
{
	uintptr_t from = ((uintptr_t)p + HUGE_PAGE - 1) & ~(HUGE_PAGE - 1);
	uintptr_t to = ((uintptr_t)p + len) & ~(HUGE_PAGE - 1);

	if (len >= 2 * HUGE_PAGE && to > from)
		(void)madvise((void *)from, to - from, MADV_HUGEPAGE);
}

struct xbc_chunk {
	struct xbc_chunk *next;
	/* the bytes follow, aligned */
};

#define HEADER ((sizeof(struct xbc_chunk) + ALIGN - 1) & ~(ALIGN - 1))

static char *bytes_of(struct xbc_chunk *ch)
{
	return (char *)ch + HEADER;
}

static void *chunk_new(struct xbc_arena *a, size_t bytes)
{
	struct xbc_chunk *ch;

	/* calloc: fresh pages come zeroed from the system, so calloc costs
	   nothing more for them, and no node needs zeroing again (a bump
	   allocator hands out each byte once) */
	if (bytes > SIZE_MAX - HEADER || !(ch = calloc(1, HEADER + bytes)))
		return NULL;
	xbc_huge_pages(ch, HEADER + bytes);
	ch->next = a->chunks;
	a->chunks = ch;
	return bytes_of(ch);
}

/* size bytes at a multiple of align (1 or ALIGN) */
static void *take(struct xbc_arena *a, size_t size, size_t align)
{
	size_t skip = (size_t)(-(uintptr_t)a->next & (align - 1)), bytes;
	char *p;

	if (!size)
		size = 1;            /* a pointer of its own, never NULL */
	if (a->next && skip <= (size_t)(a->end - a->next) &&
	    size <= (size_t)(a->end - a->next) - skip) {
		p = a->next + skip;
		a->next = p + size;
		return p;
	}
	/* one big for the chunks made now gets a chunk of its own; the
	   current one stays in use (the new chunk goes first on the list,
	   which only frees) */
	bytes = a->chunk_size ? a->chunk_size : CHUNK_FIRST;
	if (size > bytes / 4)
		return chunk_new(a, size);
	if (bytes < CHUNK_LAST)
		a->chunk_size = 4 * bytes < CHUNK_LAST ? 4 * bytes : CHUNK_LAST;
	p = chunk_new(a, bytes);
	if (!p)
		return NULL;
	a->start = p;
	a->next = p + size;
	a->end = p + bytes;
	return p;
}

void *xbc_arena_alloc(struct xbc_arena *a, size_t size)
{
	return take(a, size, ALIGN);
}

void xbc_arena_reset(struct xbc_arena *a)
{
	struct xbc_chunk **link = &a->chunks, *ch;

	while ((ch = *link)) {
		if (bytes_of(ch) == a->start) {
			link = &ch->next;
			continue;
		}
		*link = ch->next;
		free(ch);
	}
	if (a->start) {
		/* nodes come zeroed: what was handed out is zeroed again
		   (the rest still is) */
		memset(a->start, 0, (size_t)(a->next - a->start));
		a->next = a->start;
	}
}

void xbc_arena_free(struct xbc_arena *a)
{
	while (a->chunks) {
		struct xbc_chunk *ch = a->chunks;

		a->chunks = ch->next;
		free(ch);
	}
	memset(a, 0, sizeof(*a));
}

static void *new_in(struct xbc *c, struct xbc_arena *a, size_t size)
{
	void *p = xbc_arena_alloc(a, size);

	if (!p) {
		c->out_of_memory = true;
		c->stop = true;
	}
	return p;                    /* zero already: chunk_new */
}

void *xbc_new(struct xbc *c, size_t size)
{
	return new_in(c, &c->arena, size);
}

void *xbc_new_kept(struct xbc *c, size_t size)
{
	return new_in(c, &c->kept, size);
}

void *xbc_new_scratch(struct xbc *c, size_t size)
{
	return new_in(c, &c->scratch, size);
}

/* Strings are not aligned: a million keys and values of a few bytes
 * each would otherwise take 16 bytes or more apiece. */
char *xbc_arena_strndup(struct xbc *c, const char *s, size_t len)
{
	char *p = len < SIZE_MAX ? take(&c->kept, len + 1, 1) : NULL;

	if (!p) {
		c->out_of_memory = true;
		c->stop = true;
		return NULL;
	}
	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}
