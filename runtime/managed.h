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
 * XB_MANAGED_XS_PREFIX.
 *
 * A record is the object's it was written on. xapi's VM.snapshot, clone and
 * copy copy other_config, record included, so a XenAPI record carries the
 * line "uuid:UUID" naming its object: a record whose uuid line names
 * another object (or several lines, one of them another) was inherited and
 * is not ours on this object. A record with no uuid line (written by
 * xenbake before records were bound) is trusted, except on a VM that is a
 * template (snapshots are templates too): there it may have come with the
 * copy, and is ignored. The planner's next write of a trusted record adds
 * the line. The xenstore record (--no-xapi) is a node per VM uuid already
 * and has no such line.
 *
 * A once key (written only while absent, then the guest's) is never one
 * of these entries: the config dropping it never removes it. Its entry is
 * "once:FIELD:KEY" ("once:xenstore_data:vm-data/first-boot/token"): the
 * key was written, or was present already when the config first named it
 * (so it is not ours to write: recorded as done); while the entry is
 * there the key is never written again, even when the guest deleted it.
 * Dropping the key from the config drops the entry, never the key. In
 * xenstore the entry is "once:" followed by the key less the prefix.
 *
 * A secret key (its value sealed in the blob, secrets.h) has, besides its
 * entry, the line "secret:FIELD:KEY": a key that was a secret is shown as
 * "(secret)" when the config drops it (its value is never printed), and
 * `export` leaves it out. The line names no key to manage: an older
 * xenbake drops it, and it is never counted among the record's keys.
 *
 * Owners (language version 2) fit without another format change: one
 * record per owner per object, each with its uuid line, the owner
 * "default" (and every record written before owners) under
 * other_config["xenbake-managed"], any other owner under
 * other_config["xenbake-managed:OWNER"] (xb_managed_record_key). The
 * planner reads the records of the owners it plans, and those of the
 * others only to leave their keys alone. The xenstore record (--no-xapi)
 * stays the owner default's: other owners need XenAPI. */
#ifndef XENBAKE_MANAGED_H
#define XENBAKE_MANAGED_H

#include <stdbool.h>

#include "lib/model.h"
#include "runtime/state.h"

/* What every entry of a record in xenstore starts with, left out there. */
#define XB_MANAGED_XS_PREFIX "xenstore_data:" XB_VM_DATA_PREFIX

/* "FIELD:KEY", malloc'd; NULL when out of memory. */
char *xb_managed_name(enum xb_field field, const char *key);

/* The KEY of an entry that names field, else NULL. */
const char *xb_managed_key(const char *entry, enum xb_field field);

/* What starts a once key's entry. */
#define XB_MANAGED_ONCE_LINE "once:"

/* "once:FIELD:KEY", malloc'd; NULL when out of memory. */
char *xb_managed_once_name(enum xb_field field, const char *key);

/* The KEY of a once entry ("once:FIELD:KEY") that names field, else
 * NULL. */
const char *xb_managed_once_key(const char *entry, enum xb_field field);

/* What starts the line that marks a managed key a secret. */
#define XB_MANAGED_SECRET_LINE "secret:"

/* "secret:FIELD:KEY", malloc'd; NULL when out of memory. */
char *xb_managed_secret_name(enum xb_field field, const char *key);

/* Does the parsed record managed mark key of field a secret? */
bool xb_managed_is_secret(const struct xb_map *managed, enum xb_field field,
			  const char *key);

/* Parse lines into "FIELD:KEY" -> "", each line with prefix put before it
 * (XB_MANAGED_XS_PREFIX for the record in xenstore; XenAPI's keeps every
 * name whole: ""), and format such a map back: the names that start with
 * prefix, without it (sorted lines, '\n' separated, no final newline).
 * A once (or secret) line keeps its "once:" ("secret:") before the prefix
 * (parse) or the rest (format). Lines that name no field, or an empty key, are dropped. */
int xb_managed_parse(const char *text, const char *prefix,
		     struct xb_map *out);
char *xb_managed_format(const struct xb_map *managed, const char *prefix);

/* What starts the line that binds a XenAPI record to its object. */
#define XB_MANAGED_UUID_LINE "uuid:"

enum xb_managed_whose {
	XB_MANAGED_NONE,             /* no record */
	XB_MANAGED_OWN,              /* its uuid line names this object */
	XB_MANAGED_UNBOUND,          /* no uuid line, trusted (see above) */
	XB_MANAGED_FOREIGN,          /* inherited, or unbound on a template */
};

/* Whose is ob's other_config["xenbake-managed"]? And the record under
 * another key of other_config (an owner's, below). */
enum xb_managed_whose xb_managed_whose(const struct xb_object *ob);
enum xb_managed_whose xb_managed_whose_at(const struct xb_object *ob,
					  const char *record_key);

/* ob's record when it is ob's own (OWN or UNBOUND), else NULL: what the
 * planner and export act on. A foreign record names keys that are not
 * xenbake's on ob. */
const char *xb_managed_own(const struct xb_object *ob);
const char *xb_managed_own_at(const struct xb_object *ob,
			      const char *record_key);

/* The other_config key of owner's record (NULL or "" is "default"):
 * XB_KEY_MANAGED, or XB_KEY_MANAGED ":" OWNER. malloc'd; NULL: no memory. */
char *xb_managed_record_key(const char *owner);
/* The owner whose record other_config key k is ("default" for
 * XB_KEY_MANAGED), or NULL when k is no record's key. */
const char *xb_managed_record_owner(const char *k);

/* A XenAPI record of managed ("FIELD:KEY" -> "") bound to the object
 * uuid: its uuid line first (none when uuid is ""), then the entries as
 * xb_managed_format(managed, "") puts them. malloc'd; NULL: no memory. */
char *xb_managed_record(const struct xb_map *managed, const char *uuid);

/* The entries of a record's text: its lines less empty and uuid lines. */
size_t xb_managed_count(const char *text);

#endif
