/* SPDX-License-Identifier: MIT */
/* state.h - the host's actual state, as the backends read it: plain values,
 * owned by struct xb_actual, freed by xb_actual_free(). The planner compares
 * it with the blob's desired state; it never does I/O itself. */
#ifndef XENBAKE_STATE_H
#define XENBAKE_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/model.h"

/* A string map, kept sorted by key (strcmp), keys unique. */
struct xb_kv {
	char *key;
	char *value;
};

struct xb_map {
	struct xb_kv *kv;
	size_t n, cap;
};

void xb_map_free(struct xb_map *m);
/* Copies key and value; replaces an existing value. 0 or -ENOMEM. */
int xb_map_set(struct xb_map *m, const char *key, const char *value);
/* A borrowing map holds the caller's strings, which must outlive it: the
 * planner's maps of what the blobs want point into the mapped blob rather
 * than copy 100,000 keys. Only xb_map_borrow writes one (never
 * xb_map_set, _del or _free: they free strings); xb_map_release frees it.
 * 0 or -ENOMEM. */
int xb_map_borrow(struct xb_map *m, const char *key, const char *value);
void xb_map_release(struct xb_map *m);
/* Room for n more entries without growing (a map of known size). */
int xb_map_reserve(struct xb_map *m, size_t n);
const char *xb_map_get(const struct xb_map *m, const char *key); /* NULL: absent */
void xb_map_del(struct xb_map *m, const char *key);
int xb_map_copy(struct xb_map *dst, const struct xb_map *src);
bool xb_map_equal(const struct xb_map *a, const struct xb_map *b);

/* One XenAPI object as read from the host (VM, SR, network, PIF, host
 * or the pool). */
struct xb_object {
	enum xb_class cls;
	char *ref;                   /* "OpaqueRef:..." (or "" without xapi) */
	char *uuid;
	char *name_label;            /* PIF: "" */
	char *name_description;      /* VM, SR, network; may be NULL: "" */
	struct xb_map other_config;
	struct xb_map xenstore_data; /* VM only */
	struct xb_map tags;          /* VM only: each tag -> "" */
	/* VM */
	bool is_template, is_control_domain;
	bool running;                /* Running or Paused: it has a domain */
	int domid;                   /* -1 when not running */
	char *resident_on;           /* host ref, "" when not running */
	/* SR */
	bool pbds_plugged;           /* at least one PBD plugged */
	char **pbd_hosts;            /* the host ref of each of its PBDs
				        (plugged or not), once xb_actual.
				        have_pbds */
	size_t npbd_hosts;
	/* PIF */
	long vlan;                   /* its VLAN tag; -1: physical */
	char *device;
	char *host;                  /* host ref */
	char *network;               /* network ref */
};

struct xb_host {
	char *ref, *uuid, *name_label, *address;
	struct xb_map other_config;  /* also on its XB_CLASS_HOST object */
};

/* A running guest's live xenstore data (xenstore backend). */
struct xb_guest {
	int domid;
	char *name;                  /* /local/domain/N/name, may be "" */
	char *vm_uuid;               /* from /local/domain/N/vm ("/vm/UUID"), may be "" */
	struct xb_map vm_data;       /* "vm-data/KEY" -> value, leaves only */
	struct xb_map managed;       /* keys xenbake wrote here earlier -> "" */
	/* as the xenstore backend read them (xenstore.c) */
	bool vm_data_read;           /* its keys of interest were read */
	bool has_vm_data;            /* /local/domain/N/vm-data exists */
	unsigned record_chunks;      /* nodes of its managed record */
};

struct xb_actual {
	struct xb_host *hosts;
	size_t nhosts;
	struct xb_object *objects;   /* every class, in the order read */
	size_t nobjects;
	char *this_host;             /* ref of the host we run on; NULL: unknown */
	bool have_xapi;              /* objects/hosts were read through XenAPI */
	bool have_pbds;              /* SRs' pbd_hosts read (xapi_read_pbds) */
	struct xb_guest *guests;     /* guests resident on this host */
	size_t nguests;
	bool have_xenstore;
	/* an apply without XenAPI reads the guests in the transaction its
	 * first attempt commits (xenstore.h): that transaction (0: none) and
	 * the records' directory as read in it (0 absent, 1 dom0's alone,
	 * 2 someone else's) */
	uint32_t xs_tx;
	int xs_records_root;
};

void xb_actual_free(struct xb_actual *a);

/* a's running guests by domid (a->nguests entries, sorted), to find each
 * VM's guest with xb_local_guest; the guests themselves may be in any
 * order. malloc'd; NULL when out of memory. */
struct xb_domid_index {
	int domid;
	size_t guest;                /* its position in a->guests */
};
struct xb_domid_index *xb_index_guests(const struct xb_actual *a);

/* The position in a->guests of VM object ob's guest on this host (ob
 * running here with a domid, the guest of the same domid and VM uuid),
 * or SIZE_MAX. */
size_t xb_local_guest(const struct xb_actual *a,
		      const struct xb_domid_index *by_domid,
		      const struct xb_object *ob);

#endif
