/* SPDX-License-Identifier: MIT */
/* desired.h - what the blob asks for: the objects it selects and the field
 * values it sets, each with the source position that set it, so run-time
 * errors point at the source ("site.xb:12:5"). Strings point into the
 * verified blob (or, in tests, at literals): the blob must outlive it. */
#ifndef XENBAKE_DESIRED_H
#define XENBAKE_DESIRED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/blob.h"
#include "lib/model.h"

struct xb_desired_entry {
	enum xb_field field;
	uint32_t flags;              /* XB_ENTRY_ONCE, XB_ENTRY_SECRET;
					beside field: no padding (40 bytes,
					not 48) */
	const char *key;             /* "" for name_label */
	const char *value;
	struct xbb_pos pos;
};

struct xb_desired_object {
	enum xb_class cls;
	uint32_t flags;              /* XB_OBJ_* */
	const char *selector;        /* name, uuid or PIF device */
	const char *host;            /* PIF or SR host name, "" for none */
	const char *owner;           /* the blob's owner; NULL or "": the
				        owner "default" */
	uint32_t vlan;               /* PIF with XB_OBJ_VLAN: the tag */
	struct xbb_pos pos;
	struct xb_desired_entry *entries;
	size_t nentries;
};

struct xb_desired {
	struct xb_desired_object *objects;
	size_t nobjects;
	const char **owners;         /* of the blobs added, each once ("" is
				        the owner default), even of a blob
				        with no objects: its keys go */
	size_t nowners;
	char **secrets;              /* opened secrets' plaintexts, the
				        values of their entries; wiped when
				        freed (secrets.h) */
	size_t nsecrets;
	/* the entries of each blob added, one malloc'd array a blob (its
	 * objects point into it) */
	struct xb_desired_entry **blocks;
	size_t nblocks;
};

/* Builds the desired state of a verified blob; appends to d, so several
 * blobs can be merged into one state. 0 or -ENOMEM. */
int xb_desired_add_blob(struct xb_desired *d, const struct xbb *blob);
void xb_desired_free(struct xb_desired *d);

/* "FILE:LINE:COL" into buf (always terminated); returns buf. */
char *xb_pos_format(const struct xbb_pos *pos, char *buf, size_t size);
#define XB_POS_BUF 256

/* "vm \"web-01\"", "pif \"eth1\" host \"xs-02\"", "vm uuid \"...\"" */
char *xb_desired_label(const struct xb_desired_object *o, char *buf,
		       size_t size);

#endif
