/* SPDX-License-Identifier: MIT */
/* model.h - what xenbake configures: the classes it selects and the fields
 * it writes. The one vocabulary shared by the compiler (which lowers source
 * statements into these fields) and the runtime (which applies them).
 *
 * Lowering of source statements (done by the compiler, undone by `dump`):
 *   vm-data "K" = V            xenstore_data["vm-data/K"] = V          (vm)
 *   xenstore-data "K" = V      xenstore_data[K] = V, K starts vm-data/ (vm)
 *   other-config "K" = V       other_config[K] = V                     (all)
 *   hide-from-xencenter        other_config["HideFromXenCenter"]="true"(all; warns on sr)
 *   name-label "N"             name_label = N                          (sr)
 *   name-description "D"       name_description = D                    (vm, sr, network)
 *   tag "T"                    tags ∋ T, key T, value ""               (vm)
 *   i18n-key ID                other_config["i18n-key"] = ID, and
 *                              other_config["i18n-original-value-name_label"]
 *                                = N of the block's name-label if it has one,
 *                                  else the selector's name           (sr)
 *   An `other-config "i18n-key"` is the same statement as `i18n-key`.
 *   STATEMENT once             the entry with XB_ENTRY_ONCE: written only
 *                              while the key is absent (vm-data,
 *                              xenstore-data, other-config)
 *   STATEMENT = secret "F"     the entry with XB_ENTRY_SECRET: the value is
 *                              F's bytes sealed (lib/seal.h); `dump` writes
 *                              it as sealed "BASE64" (vm-data,
 *                              xenstore-data, other-config)
 *
 * Selection (resolved by the runtime against the host's state):
 *   vm "N"          the one VM, not a template nor a control domain, named N
 *   sr "N"          the one SR named N, or, when several are, each of them if
 *                   every one is local to a different host (one PBD each,
 *                   on distinct hosts: the installer's SRs of a pool); if
 *                   the block renames it (name-label M) and no SR is named
 *                   N, the one(s) named M (already renamed)
 *   sr "N" host "H" the one SR named N with a PBD on the host named H
 *   network "N"     the one network named N
 *   pif "D"         every physical PIF (VLAN -1) whose device is D, on every
 *                   host (at least one)
 *   pif "D" host "H"  the one physical PIF with device D on the host H
 *   pif "D" vlan T [host "H"]  the VLAN T PIF(s) on device D (on host H)
 *   host "N"        the one host named N (blob format 3)
 *   pool            the pool (the one there is; selector ""; format 3)
 *   CLASS uuid "U"  the one object of that class with that uuid
 *   A selector that matches nothing (or several, where one is meant) is an
 *   error, unless the block is `optional`: then it is skipped with a note.
 *
 * What xenbake wrote is recorded on each object it manages, so that a key the
 * config no longer names is removed while keys set by others are kept, from
 * any host of a pool: other_config["xenbake-managed"] lists the managed keys,
 * one per line, as "FIELD:KEY" (e.g. "xenstore_data:vm-data/role"), and the
 * VM tags it added as "tags:NAME": a tag it did not add is never removed.
 * A once key is not among them (it is never removed): the line
 * "once:FIELD:KEY" says it was written, or found present, and is the
 * guest's from then on (runtime/managed.h).
 */
#ifndef XENBAKE_MODEL_H
#define XENBAKE_MODEL_H

enum xb_class {
	XB_CLASS_VM = 1,
	XB_CLASS_SR = 2,
	XB_CLASS_NETWORK = 3,
	XB_CLASS_PIF = 4,
	XB_CLASS_HOST = 5,              /* blob format 3 */
	XB_CLASS_POOL = 6,              /* blob format 3; selector "" */
};
#define XB_CLASS_MAX XB_CLASS_POOL

enum xb_field {
	XB_FIELD_XENSTORE_DATA = 1,     /* map, VM only */
	XB_FIELD_OTHER_CONFIG = 2,      /* map */
	XB_FIELD_NAME_LABEL = 3,        /* string, SR only; key is "" */
	XB_FIELD_NAME_DESCRIPTION = 4,  /* string, VM, SR, network; key is "";
					   blob format 3 */
	XB_FIELD_TAGS = 5,              /* set, VM only: key the tag, value "";
					   blob format 3 */
};
#define XB_FIELD_MAX XB_FIELD_TAGS

/* object flags */
#define XB_OBJ_OPTIONAL 0x1u        /* skip with a note when nothing matches */
#define XB_OBJ_BY_UUID  0x2u        /* selector is a uuid, not a name */
#define XB_OBJ_VLAN     0x4u        /* pif: the VLAN PIF of the object's vlan
				       tag (blob format 2); else physical */
#define XB_OBJ_MATCH    0x8u        /* selector is a shell pattern on the
				       name (lib/glob.h; blob format 3) */
#define XB_OBJ_TAG      0x10u       /* vm: selector is a tag the VMs carry
				       (blob format 3) */
#define XB_OBJ_SELECT   (XB_OBJ_BY_UUID | XB_OBJ_MATCH | XB_OBJ_TAG)
				    /* how it selects; none: by name */
#define XB_OBJ_FLAGS_ALL (XB_OBJ_OPTIONAL | XB_OBJ_BY_UUID | XB_OBJ_VLAN | \
			  XB_OBJ_MATCH | XB_OBJ_TAG)
/* entry flags: kept with the field in a blob entry's first word, above
 * XB_ENTRY_FIELD_MASK (blob format 3) */
#define XB_ENTRY_ONCE   0x10000u    /* written only while absent; then the
				       guest's (map fields only) */
#define XB_ENTRY_SECRET 0x20000u    /* the value is a sealed bundle
				       (lib/seal.h, base64), opened on the
				       host (map fields only) */
#define XB_ENTRY_FIELD_MASK 0xffffu
#define XB_ENTRY_FLAGS_ALL (XB_ENTRY_ONCE | XB_ENTRY_SECRET)
#define XB_VLAN_MAX     4094u       /* the highest tag VLAN.create takes */

#define XB_KEY_HIDE            "HideFromXenCenter"
#define XB_KEY_I18N            "i18n-key"
#define XB_KEY_I18N_ORIG_NAME  "i18n-original-value-name_label"
#define XB_KEY_MANAGED         "xenbake-managed"
#define XB_VM_DATA_PREFIX      "vm-data/"

/* Owners (`owner "NAME";`, blob format 3): a blob's keys are recorded
 * under its owner; no owner is the owner "default", whose record is
 * other_config[XB_KEY_MANAGED], another's XB_KEY_MANAGED ":" NAME. A name
 * is 1..XB_OWNER_MAX bytes of [A-Za-z0-9._-]. */
#define XB_OWNER_DEFAULT       "default"
#define XB_OWNER_MAX           64
int xb_owner_valid(const char *name);

/* The i18n keys XenCenter knows, sorted. */
#define XB_I18N_KEYS { "ebs", "local-hotplug-cd", "local-hotplug-disk", \
		       "local-storage", "xenserver-tools" }

/* xenstore limits of XenServer's oxenstored, as guests see them */
#define XB_XS_PATH_MAX   1024       /* "/local/domain/NNNNN/vm-data/KEY" */
#define XB_XS_VALUE_MAX  2048
#define XB_XS_DOMID_DIGITS 5        /* the longest domid the path check assumes */

/* Names: the source keyword ("vm") and the XenAPI class ("VM"). */
const char *xb_class_keyword(enum xb_class cls);
const char *xb_class_xapi(enum xb_class cls);
/* The XenAPI field name ("xenstore_data"). */
const char *xb_field_xapi(enum xb_field field);

#endif
