/* SPDX-License-Identifier: MIT */
/* managed.h - the record of the keys xenbake manages, and its one owner:
 * the planner and the xenstore backend read and write it only through
 * these. An entry names a field and a key, "FIELD:KEY", the field as
 * XenAPI names it ("xenstore_data:vm-data/role", "other_config:owner"),
 * or a VM tag xenbake added ("tags:gpu": one it did not add is not
 * recorded, so never removed).
 * With XenAPI the record is the object's other_config["xenbake-managed"]
 * (model.h); without, a guest's node under XB_XS_MANAGED_ROOT (xenstore.h)
 * holds its xenstore_data entries less the prefix they all share,
 * XB_MANAGED_XS_PREFIX. */
#ifndef XENBAKE_MANAGED_H
#define XENBAKE_MANAGED_H

#include "lib/model.h"
#include "runtime/state.h"

/* What every entry of a record in xenstore starts with, left out there. */
#define XB_MANAGED_XS_PREFIX "xenstore_data:" XB_VM_DATA_PREFIX

/* "FIELD:KEY", malloc'd; NULL when out of memory. */
char *xb_managed_name(enum xb_field field, const char *key);

/* The KEY of an entry that names field, else NULL. */
const char *xb_managed_key(const char *entry, enum xb_field field);

/* Parse lines into "FIELD:KEY" -> "", each line with prefix put before it
 * (XB_MANAGED_XS_PREFIX for the record in xenstore; XenAPI's keeps every
 * name whole: ""), and format such a map back: the names that start with
 * prefix, without it (sorted lines, '\n' separated, no final newline).
 * Lines that name no field, or an empty key, are dropped. */
int xb_managed_parse(const char *text, const char *prefix,
		     struct xb_map *out);
char *xb_managed_format(const struct xb_map *managed, const char *prefix);

#endif
