/* SPDX-License-Identifier: MIT */
/* desired.c - the blob's objects and entries as the planner's input. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>

#include "lib/quote.h"
#include "lib/seal.h"
#include "runtime/desired.h"

/* Takes the pages of a large new array in one call, not a page fault a
 * page, huge pages where the kernel gives them on request: every entry is
 * written right away, and faults and TLB misses cost most under a
 * hypervisor (dom0). Best effort: an older kernel faults as usual. */
static void prefault(void *p, size_t len)
{
#ifdef MADV_POPULATE_WRITE
	uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
	uintptr_t start = ((uintptr_t)p + page - 1) & ~(page - 1);
	uintptr_t end = ((uintptr_t)p + len) & ~(page - 1);

	if (page && end > start) {
		(void)madvise((void *)start, end - start, MADV_HUGEPAGE);
		(void)madvise((void *)start, end - start, MADV_POPULATE_WRITE);
	}
#else
	(void)p;
	(void)len;
#endif
}

int xb_desired_add_blob(struct xb_desired *d, const struct xbb *blob)
{
	struct xb_desired_object *objs;
	struct xb_desired_entry *all = NULL, **blocks;
	const char *owner = blob->owner ? blob->owner : "", **owners;
	uint32_t i;

	for (i = 0; i < d->nowners && strcmp(d->owners[i], owner); i++)
		;
	if (i == d->nowners) {
		owners = realloc(d->owners, (d->nowners + 1) * sizeof(*owners));
		if (!owners)
			return -ENOMEM;
		d->owners = owners;
		d->owners[d->nowners++] = owner;
	}
	if (!blob->nobjects)
		return 0;
	if (blob->nobjects > SIZE_MAX / sizeof(*objs) - d->nobjects)
		return -ENOMEM;
	objs = realloc(d->objects, (d->nobjects + blob->nobjects) *
		       sizeof(*objs));
	if (!objs)
		return -ENOMEM;
	d->objects = objs;
	/* one array for all of the blob's entries, not one an object: at
	 * 100k VMs that is 100k allocations less */
	blocks = realloc(d->blocks, (d->nblocks + 1) * sizeof(*blocks));
	if (!blocks)
		return -ENOMEM;
	d->blocks = blocks;
	if (blob->nentries) {
		all = malloc((size_t)blob->nentries * sizeof(*all));
		if (!all)
			return -ENOMEM;
		d->blocks[d->nblocks++] = all;
		prefault(all, (size_t)blob->nentries * sizeof(*all));
	}
	for (i = 0; i < blob->nentries; i++) {
		struct xbb_entry be;

		xbb_entry(blob, i, &be);
		all[i].field = be.field;
		all[i].flags = be.flags;
		all[i].key = be.key;
		all[i].value = be.value;
		all[i].pos = be.pos;
	}
	for (i = 0; i < blob->nobjects; i++) {
		struct xb_desired_object *o = &d->objects[d->nobjects];
		struct xbb_object bo;

		xbb_object(blob, i, &bo);
		o->cls = bo.cls;
		o->flags = bo.flags;
		o->selector = bo.selector;
		o->host = bo.host;
		o->owner = blob->owner;
		o->vlan = bo.vlan;
		o->pos = bo.pos;
		/* xbb_open: an object's entries lie in [first, first + count) */
		o->entries = bo.count ? all + bo.first : NULL;
		o->nentries = bo.count;
		d->nobjects++;
	}
	return 0;
}

void xb_desired_free(struct xb_desired *d)
{
	size_t i;

	if (!d)
		return;
	for (i = 0; i < d->nblocks; i++)
		free(d->blocks[i]);
	free(d->blocks);
	free(d->objects);
	free(d->owners);
	for (i = 0; i < d->nsecrets; i++)
		xb_seal_free(d->secrets[i]);
	free(d->secrets);
	memset(d, 0, sizeof(*d));
}

/* As snprintf(buf, size, "%s:%u:%u"), without its cost: a plan formats
 * one position per key */
char *xb_pos_format(const struct xbb_pos *pos, char *buf, size_t size)
{
	char nums[40];
	size_t n = 0, len, take;

	if (!size)
		return buf;
	if (!pos->file || !pos->file[0]) {
		snprintf(buf, size, "<blob>");
		return buf;
	}
	nums[n++] = ':';
	n += xb_uint_text(nums + n, pos->line);
	nums[n++] = ':';
	n += xb_uint_text(nums + n, pos->column);
	len = strlen(pos->file);
	take = len < size - 1 ? len : size - 1;
	memcpy(buf, pos->file, take);
	len = take;
	take = n < size - 1 - len ? n : size - 1 - len;
	memcpy(buf + len, nums, take);
	buf[len + take] = '\0';
	return buf;
}

char *xb_desired_label(const struct xb_desired_object *o, char *buf,
		       size_t size)
{
	const char *kw = xb_class_keyword(o->cls);
	char vlan[16] = "";

	if (o->flags & XB_OBJ_VLAN)
		snprintf(vlan, sizeof(vlan), " vlan %u", (unsigned)o->vlan);
	if (o->cls == XB_CLASS_POOL)
		snprintf(buf, size, "pool");    /* by no name */
	else if (o->flags & XB_OBJ_BY_UUID)
		snprintf(buf, size, "%s uuid \"%s\"", kw, o->selector);
	else if (o->flags & XB_OBJ_TAG)
		snprintf(buf, size, "%s tag \"%s\"", kw, o->selector);
	else if (o->flags & XB_OBJ_MATCH)
		snprintf(buf, size, "%s match \"%s\"%s%s%s", kw, o->selector,
			 o->host && o->host[0] ? " host \"" : "",
			 o->host && o->host[0] ? o->host : "",
			 o->host && o->host[0] ? "\"" : "");
	else if (o->host && o->host[0])
		snprintf(buf, size, "%s \"%s\"%s host \"%s\"", kw, o->selector,
			 vlan, o->host);
	else
		snprintf(buf, size, "%s \"%s\"%s", kw, o->selector, vlan);
	return buf;
}
