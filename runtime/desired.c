/* SPDX-License-Identifier: MIT */
/* desired.c - the blob's objects and entries as the planner's input. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/seal.h"
#include "runtime/desired.h"

int xb_desired_add_blob(struct xb_desired *d, const struct xbb *blob)
{
	struct xb_desired_object *objs;
	const char *owner = blob->owner ? blob->owner : "", **owners;
	uint32_t i, j;

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
	d->owned = true;
	for (i = 0; i < blob->nobjects; i++) {
		struct xb_desired_object *o = &d->objects[d->nobjects];
		struct xb_desired_entry *entries = NULL;
		struct xbb_object bo;

		xbb_object(blob, i, &bo);
		if (bo.count) {
			entries = calloc(bo.count, sizeof(*entries));
			if (!entries)
				return -ENOMEM;
		}
		for (j = 0; j < bo.count; j++) {
			struct xbb_entry be;

			xbb_entry(blob, bo.first + j, &be);
			entries[j].field = be.field;
			entries[j].flags = be.flags;
			entries[j].key = be.key;
			entries[j].value = be.value;
			entries[j].pos = be.pos;
		}
		o->cls = bo.cls;
		o->flags = bo.flags;
		o->selector = bo.selector;
		o->host = bo.host;
		o->owner = blob->owner;
		o->vlan = bo.vlan;
		o->pos = bo.pos;
		o->entries = entries;
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
	if (d->owned)
		for (i = 0; i < d->nobjects; i++)
			free(d->objects[i].entries);
	free(d->objects);
	free(d->owners);
	for (i = 0; i < d->nsecrets; i++)
		xb_seal_free(d->secrets[i]);
	free(d->secrets);
	memset(d, 0, sizeof(*d));
}

char *xb_pos_format(const struct xbb_pos *pos, char *buf, size_t size)
{
	if (!pos->file || !pos->file[0])
		snprintf(buf, size, "<blob>");
	else
		snprintf(buf, size, "%s:%u:%u", pos->file, pos->line,
			 pos->column);
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
