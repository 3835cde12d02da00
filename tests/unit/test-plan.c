/* SPDX-License-Identifier: MIT */
/* test-plan.c - the planner on hand-built desired and actual states: no
 * daemon, no blob. Each test states the host, the config, and the changes,
 * XenAPI calls and guest writes the planner must (and must not) ask for. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/managed.h"
#include "runtime/plan.h"
#include "tests/unit/check-main.h"

#define POS(l, c) ((struct xbb_pos){ "t.xb", (l), (c) })

/* ---- building states ---------------------------------------------------- */

/* Note: each add_* may move the arrays; use the pointer it returns before
 * the next add_*. */

static struct xb_object *add_object(struct xb_actual *a, enum xb_class cls,
				    const char *ref, const char *uuid,
				    const char *name)
{
	struct xb_object *o;

	a->objects = realloc(a->objects, (a->nobjects + 1) * sizeof(*o));
	ck_assert_ptr_nonnull(a->objects);
	o = &a->objects[a->nobjects++];
	memset(o, 0, sizeof(*o));
	o->cls = cls;
	o->ref = strdup(ref);
	o->uuid = strdup(uuid);
	o->name_label = strdup(name);
	o->domid = -1;
	o->resident_on = strdup("");
	o->device = strdup("");
	o->host = strdup("");
	o->network = strdup("");
	a->have_xapi = true;
	return o;
}

static struct xb_object *add_vm(struct xb_actual *a, const char *ref,
				const char *uuid, const char *name, int domid)
{
	struct xb_object *o = add_object(a, XB_CLASS_VM, ref, uuid, name);

	if (domid > 0) {
		o->running = true;
		o->domid = domid;
		free(o->resident_on);
		o->resident_on = strdup("OpaqueRef:host1");
	}
	return o;
}

static void add_host(struct xb_actual *a, const char *ref, const char *name)
{
	a->hosts = realloc(a->hosts, (a->nhosts + 1) * sizeof(*a->hosts));
	ck_assert_ptr_nonnull(a->hosts);
	memset(&a->hosts[a->nhosts], 0, sizeof(*a->hosts));
	a->hosts[a->nhosts].ref = strdup(ref);
	a->hosts[a->nhosts].uuid = strdup(ref);
	a->hosts[a->nhosts].name_label = strdup(name);
	a->hosts[a->nhosts].address = strdup("");
	a->nhosts++;
}

static struct xb_object *add_pif(struct xb_actual *a, const char *ref,
				 const char *device, const char *host)
{
	struct xb_object *o = add_object(a, XB_CLASS_PIF, ref, ref, "");

	free(o->device);
	o->device = strdup(device);
	free(o->host);
	o->host = strdup(host);
	o->vlan = -1;                /* physical */
	return o;
}

/* An SR whose PBDs are on these hosts (NULL-terminated). */
static struct xb_object *add_sr(struct xb_actual *a, const char *ref,
				const char *name, const char *const *hosts)
{
	struct xb_object *o = add_object(a, XB_CLASS_SR, ref, ref, name);

	for (; *hosts; hosts++) {
		o->pbd_hosts = realloc(o->pbd_hosts, (o->npbd_hosts + 1) *
				       sizeof(*o->pbd_hosts));
		ck_assert_ptr_nonnull(o->pbd_hosts);
		o->pbd_hosts[o->npbd_hosts++] = strdup(*hosts);
	}
	a->have_pbds = true;
	return o;
}

static struct xb_guest *add_guest(struct xb_actual *a, int domid,
				  const char *name, const char *uuid)
{
	struct xb_guest *g;

	a->guests = realloc(a->guests, (a->nguests + 1) * sizeof(*g));
	ck_assert_ptr_nonnull(a->guests);
	g = &a->guests[a->nguests++];
	memset(g, 0, sizeof(*g));
	g->domid = domid;
	g->name = strdup(name);
	g->vm_uuid = strdup(uuid);
	a->have_xenstore = true;
	return g;
}

static void set(struct xb_map *m, const char *k, const char *v)
{
	ck_assert_int_eq(xb_map_set(m, k, v), 0);
}

/* A desired state of up to 8 objects with up to 8 entries each. */
struct config {
	struct xb_desired d;
	struct xb_desired_object objs[8];
	struct xb_desired_entry entries[8][8];
};

static struct xb_desired_object *block(struct config *c, enum xb_class cls,
				       uint32_t flags, const char *selector,
				       const char *host, unsigned line)
{
	struct xb_desired_object *o = &c->objs[c->d.nobjects];

	ck_assert_uint_lt(c->d.nobjects, 8);
	o->cls = cls;
	o->flags = flags;
	o->selector = selector;
	o->host = host ? host : "";
	o->pos = POS(line, 1);
	o->entries = c->entries[c->d.nobjects];
	o->nentries = 0;
	c->d.objects = c->objs;
	c->d.nobjects++;
	return o;
}

static void entry(struct xb_desired_object *o, enum xb_field field,
		  const char *key, const char *value, unsigned line)
{
	ck_assert_uint_lt(o->nentries, 8);
	o->entries[o->nentries++] = (struct xb_desired_entry){
		.field = field, .key = key, .value = value,
		.pos = POS(line, 5),
	};
}

static const struct xb_plan_options XAPI_AND_XS = { true, true, false };
static const struct xb_plan_options XS_ONLY = { false, true, false };

static const struct xb_change *find_change(const struct xb_plan *p,
					   enum xb_where where,
					   const char *key)
{
	size_t i;

	for (i = 0; i < p->nchanges; i++)
		if (p->changes[i].where == where &&
		    !strcmp(p->changes[i].key, key))
			return &p->changes[i];
	return NULL;
}

static bool any_error_has(const struct xb_plan *p, const char *needle)
{
	size_t i;

	for (i = 0; i < p->nerrors; i++)
		if (strstr(p->errors[i], needle))
			return true;
	return false;
}

/* ---- tests -------------------------------------------------------------- */

START_TEST(changes_adds_and_removes_managed_keys_only)
{
	struct xb_actual a = { 0 };
	struct config c = { 0 };
	struct xb_plan p;
	struct xb_object *vm = add_vm(&a, "OpaqueRef:vm1", "u-web", "web-01", -1);
	const struct xb_change *ch;
	struct xb_desired_object *o;

	set(&vm->xenstore_data, "vm-data/role", "a");
	set(&vm->xenstore_data, "vm-data/old", "x");
	set(&vm->xenstore_data, "vm-data/foreign", "f");
	set(&vm->other_config, "owner", "someone");
	set(&vm->other_config, XB_KEY_MANAGED,
	    "xenstore_data:vm-data/old\nxenstore_data:vm-data/role");
	o = block(&c, XB_CLASS_VM, 0, "web-01", NULL, 1);
	entry(o, XB_FIELD_XENSTORE_DATA, "vm-data/new", "n", 2);
	entry(o, XB_FIELD_XENSTORE_DATA, "vm-data/role", "b", 3);

	ck_assert_int_eq(xb_plan_make(&c.d, &a, &XAPI_AND_XS, &p), 0);
	ch = find_change(&p, XB_WHERE_XAPI, "vm-data/role");
	ck_assert_ptr_nonnull(ch);
	ck_assert_int_eq(ch->op, XB_CHANGE_MODIFY);
	ck_assert_str_eq(ch->old_value, "a");
	ck_assert_str_eq(ch->new_value, "b");
	ck_assert_str_eq(ch->source, "t.xb:3:5");
	ch = find_change(&p, XB_WHERE_XAPI, "vm-data/new");
	ck_assert_ptr_nonnull(ch);
	ck_assert_int_eq(ch->op, XB_CHANGE_ADD);
	ch = find_change(&p, XB_WHERE_XAPI, "vm-data/old");
	ck_assert_ptr_nonnull(ch);
	ck_assert_int_eq(ch->op, XB_CHANGE_REMOVE);
	/* someone else's keys: never touched */
	ck_assert_ptr_null(find_change(&p, XB_WHERE_XAPI, "vm-data/foreign"));
	ck_assert_ptr_null(find_change(&p, XB_WHERE_XAPI, "owner"));
	/* the managed record follows, as bookkeeping */
	ch = find_change(&p, XB_WHERE_XAPI, XB_KEY_MANAGED);
	ck_assert_ptr_nonnull(ch);
	ck_assert(ch->bookkeeping);
	ck_assert_str_eq(ch->new_value, "uuid:u-web\n"
			 "xenstore_data:vm-data/new\nxenstore_data:vm-data/role");

	/* the xenstore_data write keeps the foreign key and drops "old" */
	ck_assert_uint_eq(p.nwrites, 2);
	ck_assert_int_eq(p.writes[0].field, XB_FIELD_XENSTORE_DATA);
	ck_assert_str_eq(xb_map_get(&p.writes[0].new_map, "vm-data/foreign"), "f");
	ck_assert_ptr_null(xb_map_get(&p.writes[0].new_map, "vm-data/old"));
	ck_assert_str_eq(xb_map_get(&p.writes[0].old_map, "vm-data/old"), "x");
	ck_assert_int_eq(p.writes[1].field, XB_FIELD_OTHER_CONFIG);
	ck_assert_str_eq(xb_map_get(&p.writes[1].new_map, "owner"), "someone");
	xb_plan_free(&p);
	xb_actual_free(&a);
}
END_TEST

START_TEST(one_map_write_per_object_and_field)
{
	struct xb_actual a = { 0 };
	struct config c = { 0 };
	struct xb_plan p;
	struct xb_desired_object *o;
	size_t add, mod, rem, i, j;

	add_vm(&a, "OpaqueRef:vm1", "u-web", "web-01", -1);
	o = block(&c, XB_CLASS_VM, 0, "web-01", NULL, 1);
	entry(o, XB_FIELD_XENSTORE_DATA, "vm-data/a", "1", 2);
	entry(o, XB_FIELD_XENSTORE_DATA, "vm-data/b", "2", 3);
	entry(o, XB_FIELD_XENSTORE_DATA, "vm-data/c", "3", 4);
	entry(o, XB_FIELD_OTHER_CONFIG, "HideFromXenCenter", "true", 5);
	entry(o, XB_FIELD_OTHER_CONFIG, "owner", "ops", 6);

	ck_assert_int_eq(xb_plan_make(&c.d, &a, &XAPI_AND_XS, &p), 0);
	ck_assert_uint_eq(p.nwrites, 2);       /* not 5: one per map */
	ck_assert_uint_eq(p.writes[0].new_map.n, 3);
	ck_assert_uint_eq(p.writes[1].new_map.n, 3);   /* 2 keys + record */
	/* each write carries its own changes: the range apply's messages
	 * and journal take the object's name and source position from */
	for (i = 0; i < p.nwrites; i++) {
		const struct xb_map_write *w = &p.writes[i];

		ck_assert_uint_ge(w->nchanges, 2);
		ck_assert_uint_le(w->first_change + w->nchanges, p.nchanges);
		for (j = w->first_change; j < w->first_change + w->nchanges; j++) {
			ck_assert_int_eq(p.changes[j].field, w->field);
			ck_assert_str_eq(p.changes[j].uuid, "u-web");
		}
	}
	ck_assert_uint_eq(p.writes[0].nchanges + p.writes[1].nchanges,
			  p.nchanges);
	xb_plan_count(&p, false, &add, &mod, &rem);
	ck_assert_uint_eq(add, 5);
	ck_assert_uint_eq(mod + rem, 0);
	xb_plan_free(&p);
	xb_actual_free(&a);
}
END_TEST

START_TEST(nothing_to_do_is_an_empty_plan)
{
	struct xb_actual a = { 0 };
	struct config c = { 0 };
	struct xb_plan p;
	struct xb_object *vm = add_vm(&a, "OpaqueRef:vm1", "u-web", "web-01", 5);
	struct xb_guest *g = add_guest(&a, 5, "web-01", "u-web");
	struct xb_desired_object *o;

	set(&vm->xenstore_data, "vm-data/role", "a");
	set(&vm->other_config, "owner", "ops");
	set(&vm->other_config, XB_KEY_MANAGED,
	    "uuid:u-web\nother_config:owner\nxenstore_data:vm-data/role");
	set(&g->vm_data, "vm-data/role", "a");
	o = block(&c, XB_CLASS_VM, 0, "web-01", NULL, 1);
	entry(o, XB_FIELD_XENSTORE_DATA, "vm-data/role", "a", 2);
	entry(o, XB_FIELD_OTHER_CONFIG, "owner", "ops", 3);

	ck_assert_int_eq(xb_plan_make(&c.d, &a, &XAPI_AND_XS, &p), 0);
	ck_assert(xb_plan_empty(&p));
	ck_assert_uint_eq(p.nchanges, 0);
	xb_plan_free(&p);
	xb_actual_free(&a);
}
END_TEST

START_TEST(local_running_guest_gets_live_writes)
{
	struct xb_actual a = { 0 };
	struct config c = { 0 };
	struct xb_plan p;
	struct xb_object *vm;
	struct xb_guest *g;
	struct xb_desired_object *o;
	const struct xb_change *ch;

	add_vm(&a, "OpaqueRef:vm2", "u-db", "db-01", 6);
	vm = add_vm(&a, "OpaqueRef:vm1", "u-web", "web-01", 5);
	set(&vm->xenstore_data, "vm-data/role", "a");
	set(&vm->other_config, XB_KEY_MANAGED,
	    "xenstore_data:vm-data/gone\nxenstore_data:vm-data/role");
	g = add_guest(&a, 5, "web-01", "u-web");
	set(&g->vm_data, "vm-data/role", "a");
	set(&g->vm_data, "vm-data/gone", "g");
	set(&g->vm_data, "vm-data/mine", "guest wrote it");
	/* domain 6 here runs another VM: db-01 runs on another host */
	add_guest(&a, 6, "db-01", "u-other");
	o = block(&c, XB_CLASS_VM, 0, "web-01", NULL, 1);
	entry(o, XB_FIELD_XENSTORE_DATA, "vm-data/role", "b", 2);
	o = block(&c, XB_CLASS_VM, 0, "db-01", NULL, 3);
	entry(o, XB_FIELD_XENSTORE_DATA, "vm-data/role", "db", 4);

	ck_assert_int_eq(xb_plan_make(&c.d, &a, &XAPI_AND_XS, &p), 0);
	ck_assert_uint_eq(p.nguests, 1);
	ck_assert_int_eq(p.guests[0].domid, 5);
	ck_assert_str_eq(xb_map_get(&p.guests[0].desired, "vm-data/role"), "b");
	ch = find_change(&p, XB_WHERE_XENSTORE, "vm-data/role");
	ck_assert_ptr_nonnull(ch);
	ck_assert_int_eq(ch->domid, 5);
	ck_assert_int_eq(ch->op, XB_CHANGE_MODIFY);
	ch = find_change(&p, XB_WHERE_XENSTORE, "vm-data/gone");
	ck_assert_ptr_nonnull(ch);
	ck_assert_int_eq(ch->op, XB_CHANGE_REMOVE);
	ck_assert_ptr_null(find_change(&p, XB_WHERE_XENSTORE, "vm-data/mine"));
	/* a running VM's vm-data is written live only, never with
	 * set_xenstore_data: the records are the XenAPI writes (db-01's
	 * too, the same on every host); db-01 runs on another host: its
	 * vm-data is not applied here, and that is said */
	ck_assert_uint_eq(p.nwrites, 2);
	ck_assert_int_eq(p.writes[0].field, XB_FIELD_OTHER_CONFIG);
	ck_assert_int_eq(p.writes[1].field, XB_FIELD_OTHER_CONFIG);
	ck_assert_ptr_null(find_change(&p, XB_WHERE_XAPI, "vm-data/role"));
	ck_assert_uint_eq(p.nnotes, 1);
	ck_assert_ptr_nonnull(strstr(p.notes[0], "db-01 is running on another host"));
	ck_assert_ptr_nonnull(strstr(p.notes[0], "t.xb:4:"));
	xb_plan_free(&p);

	/* --no-xenstore: XenAPI only */
	{
		struct xb_plan_options no_xs = { true, false, false };

		ck_assert_int_eq(xb_plan_make(&c.d, &a, &no_xs, &p), 0);
		ck_assert_uint_eq(p.nguests, 0);
		ck_assert_ptr_null(find_change(&p, XB_WHERE_XENSTORE,
					       "vm-data/role"));
		xb_plan_free(&p);
	}
	xb_actual_free(&a);
}
END_TEST

START_TEST(optional_block_that_matches_nothing_is_skipped)
{
	struct xb_actual a = { 0 };
	struct config c = { 0 };
	struct xb_plan p;
	struct xb_desired_object *o;

	add_vm(&a, "OpaqueRef:vm1", "u-web", "web-01", -1);
	o = block(&c, XB_CLASS_VM, XB_OBJ_OPTIONAL, "maybe-there", NULL, 7);
	entry(o, XB_FIELD_XENSTORE_DATA, "vm-data/x", "1", 8);

	ck_assert_int_eq(xb_plan_make(&c.d, &a, &XAPI_AND_XS, &p), 0);
	ck_assert(xb_plan_empty(&p));
	ck_assert_uint_eq(p.nnotes, 1);
	ck_assert_ptr_nonnull(strstr(p.notes[0], "t.xb:7:1"));
	ck_assert_ptr_nonnull(strstr(p.notes[0], "skipped"));
	xb_plan_free(&p);
	xb_actual_free(&a);
}
END_TEST

START_TEST(selector_matching_nothing_is_an_error_at_its_position)
{
	struct xb_actual a = { 0 };
	struct config c = { 0 };
	struct xb_plan p;
	struct xb_desired_object *o;

	add_vm(&a, "OpaqueRef:vm1", "u-web", "web-01", -1);
	/* a template and dom0 are never selected by name */
	add_vm(&a, "OpaqueRef:t", "u-t", "golden", -1)->is_template = true;
	add_vm(&a, "OpaqueRef:d0", "u-d0", "Control domain", 0)
		->is_control_domain = true;
	o = block(&c, XB_CLASS_VM, 0, "missing", NULL, 12);
	entry(o, XB_FIELD_XENSTORE_DATA, "vm-data/x", "1", 13);
	block(&c, XB_CLASS_VM, 0, "golden", NULL, 14);
	block(&c, XB_CLASS_VM, 0, "Control domain", NULL, 15);

	ck_assert_int_eq(xb_plan_make(&c.d, &a, &XAPI_AND_XS, &p), -1);
	ck_assert_uint_eq(p.nerrors, 3);
	ck_assert(any_error_has(&p, "t.xb:12:1: vm \"missing\""));
	ck_assert(any_error_has(&p, "t.xb:14:1"));
	ck_assert(any_error_has(&p, "t.xb:15:1"));
	ck_assert_uint_eq(p.nwrites, 0);
	xb_plan_free(&p);
	xb_actual_free(&a);
}
END_TEST

START_TEST(selector_matching_several_is_an_error_naming_them)
{
	struct xb_actual a = { 0 };
	struct config c = { 0 };
	struct xb_plan p;

	add_vm(&a, "OpaqueRef:vm1", "u-one", "web", -1);
	add_vm(&a, "OpaqueRef:vm2", "u-two", "web", -1);
	block(&c, XB_CLASS_VM, 0, "web", NULL, 3);
	ck_assert_int_eq(xb_plan_make(&c.d, &a, &XAPI_AND_XS, &p), -1);
	ck_assert_uint_eq(p.nerrors, 1);
	ck_assert(any_error_has(&p, "t.xb:3:1"));
	ck_assert(any_error_has(&p, "u-one"));
	ck_assert(any_error_has(&p, "u-two"));
	xb_plan_free(&p);

	/* by uuid, the one of them */
	memset(&c, 0, sizeof(c));
	entry(block(&c, XB_CLASS_VM, XB_OBJ_BY_UUID, "u-two", NULL, 4),
	      XB_FIELD_OTHER_CONFIG, "k", "v", 5);
	ck_assert_int_eq(xb_plan_make(&c.d, &a, &XAPI_AND_XS, &p), 0);
	ck_assert_uint_eq(p.nwrites, 1);
	ck_assert_uint_eq(p.writes[0].object, 1);
	xb_plan_free(&p);
	xb_actual_free(&a);
}
END_TEST

START_TEST(pif_vlan_and_sr_per_host)
{
	static const char *const h1[] = { "OpaqueRef:h1", NULL };
	static const char *const h2[] = { "OpaqueRef:h2", NULL };
	static const char *const both[] = { "OpaqueRef:h1", "OpaqueRef:h2",
					    NULL };
	struct xb_actual a = { 0 };
	struct config c = { 0 };
	struct xb_desired_object *o;
	struct xb_plan p;

	add_host(&a, "OpaqueRef:h1", "xs-01");
	add_host(&a, "OpaqueRef:h2", "xs-02");
	add_pif(&a, "OpaqueRef:p1", "eth1", "OpaqueRef:h1");
	add_pif(&a, "OpaqueRef:p2", "eth1", "OpaqueRef:h1")->vlan = 20;
	add_pif(&a, "OpaqueRef:p3", "eth1", "OpaqueRef:h2")->vlan = 20;
	add_sr(&a, "OpaqueRef:s1", "Local storage", h1);   /* object 3 */
	add_sr(&a, "OpaqueRef:s2", "Local storage", h2);
	add_sr(&a, "OpaqueRef:s3", "NFS", both);
	add_sr(&a, "OpaqueRef:s4", "NFS", both);

	/* pif "eth1": the physical one only */
	entry(block(&c, XB_CLASS_PIF, 0, "eth1", NULL, 1),
	      XB_FIELD_OTHER_CONFIG, "k", "v", 2);
	ck_assert_int_eq(xb_plan_make(&c.d, &a, &XAPI_AND_XS, &p), 0);
	ck_assert_uint_eq(p.nwrites, 1);
	ck_assert_uint_eq(p.writes[0].object, 0);
	xb_plan_free(&p);

	/* pif "eth1" vlan 20: one per host; with host, that host's */
	memset(&c, 0, sizeof(c));
	o = block(&c, XB_CLASS_PIF, XB_OBJ_VLAN, "eth1", NULL, 1);
	o->vlan = 20;
	entry(o, XB_FIELD_OTHER_CONFIG, "k", "v", 2);
	ck_assert_int_eq(xb_plan_make(&c.d, &a, &XAPI_AND_XS, &p), 0);
	ck_assert_uint_eq(p.nwrites, 2);
	ck_assert_uint_eq(p.writes[0].object, 1);
	ck_assert_uint_eq(p.writes[1].object, 2);
	xb_plan_free(&p);
	memset(&c, 0, sizeof(c));
	o = block(&c, XB_CLASS_PIF, XB_OBJ_VLAN, "eth1", "xs-02", 1);
	o->vlan = 20;
	entry(o, XB_FIELD_OTHER_CONFIG, "k", "v", 2);
	ck_assert_int_eq(xb_plan_make(&c.d, &a, &XAPI_AND_XS, &p), 0);
	ck_assert_uint_eq(p.nwrites, 1);
	ck_assert_uint_eq(p.writes[0].object, 2);
	xb_plan_free(&p);

	/* sr "Local storage": each host's; with host, one */
	memset(&c, 0, sizeof(c));
	entry(block(&c, XB_CLASS_SR, 0, "Local storage", NULL, 1),
	      XB_FIELD_OTHER_CONFIG, "k", "v", 2);
	ck_assert_int_eq(xb_plan_make(&c.d, &a, &XAPI_AND_XS, &p), 0);
	ck_assert_uint_eq(p.nwrites, 2);
	xb_plan_free(&p);
	memset(&c, 0, sizeof(c));
	entry(block(&c, XB_CLASS_SR, 0, "Local storage", "xs-02", 1),
	      XB_FIELD_OTHER_CONFIG, "k", "v", 2);
	ck_assert_int_eq(xb_plan_make(&c.d, &a, &XAPI_AND_XS, &p), 0);
	ck_assert_uint_eq(p.nwrites, 1);
	ck_assert_uint_eq(p.writes[0].object, 4);
	xb_plan_free(&p);

	/* two shared SRs of one name: ambiguous, by host too */
	memset(&c, 0, sizeof(c));
	entry(block(&c, XB_CLASS_SR, 0, "NFS", NULL, 1),
	      XB_FIELD_OTHER_CONFIG, "k", "v", 2);
	ck_assert_int_eq(xb_plan_make(&c.d, &a, &XAPI_AND_XS, &p), -1);
	ck_assert(any_error_has(&p, "2 SRs match"));
	xb_plan_free(&p);
	memset(&c, 0, sizeof(c));
	entry(block(&c, XB_CLASS_SR, 0, "NFS", "xs-01", 1),
	      XB_FIELD_OTHER_CONFIG, "k", "v", 2);
	ck_assert_int_eq(xb_plan_make(&c.d, &a, &XAPI_AND_XS, &p), -1);
	xb_plan_free(&p);

	/* PBDs not read: several SRs of one name are not told apart */
	a.have_pbds = false;
	memset(&c, 0, sizeof(c));
	entry(block(&c, XB_CLASS_SR, 0, "Local storage", NULL, 1),
	      XB_FIELD_OTHER_CONFIG, "k", "v", 2);
	ck_assert_int_eq(xb_plan_make(&c.d, &a, &XAPI_AND_XS, &p), -1);
	xb_plan_free(&p);
	xb_actual_free(&a);
}
END_TEST

START_TEST(pif_on_every_host_or_on_one)
{
	struct xb_actual a = { 0 };
	struct config c = { 0 };
	struct xb_plan p;

	add_host(&a, "OpaqueRef:h1", "xs-01");
	add_host(&a, "OpaqueRef:h2", "xs-02");
	add_pif(&a, "OpaqueRef:p1", "eth1", "OpaqueRef:h1");
	add_pif(&a, "OpaqueRef:p2", "eth1", "OpaqueRef:h2");
	add_pif(&a, "OpaqueRef:p3", "eth0", "OpaqueRef:h2");
	entry(block(&c, XB_CLASS_PIF, 0, "eth1", NULL, 1),
	      XB_FIELD_OTHER_CONFIG, XB_KEY_HIDE, "true", 2);
	ck_assert_int_eq(xb_plan_make(&c.d, &a, &XAPI_AND_XS, &p), 0);
	ck_assert_uint_eq(p.nwrites, 2);
	ck_assert_uint_eq(p.writes[0].object, 0);
	ck_assert_uint_eq(p.writes[1].object, 1);
	ck_assert_ptr_nonnull(strstr(p.changes[0].object, "on xs-01"));
	xb_plan_free(&p);

	memset(&c, 0, sizeof(c));
	entry(block(&c, XB_CLASS_PIF, 0, "eth1", "xs-02", 1),
	      XB_FIELD_OTHER_CONFIG, XB_KEY_HIDE, "true", 2);
	ck_assert_int_eq(xb_plan_make(&c.d, &a, &XAPI_AND_XS, &p), 0);
	ck_assert_uint_eq(p.nwrites, 1);
	ck_assert_uint_eq(p.writes[0].object, 1);
	xb_plan_free(&p);

	/* no such host */
	memset(&c, 0, sizeof(c));
	block(&c, XB_CLASS_PIF, 0, "eth1", "xs-09", 4);
	ck_assert_int_eq(xb_plan_make(&c.d, &a, &XAPI_AND_XS, &p), -1);
	ck_assert(any_error_has(&p, "t.xb:4:1"));
	ck_assert(any_error_has(&p, "xs-09"));
	xb_plan_free(&p);
	xb_actual_free(&a);
}
END_TEST

START_TEST(sr_found_by_its_old_or_its_new_name)
{
	struct xb_actual a = { 0 };
	struct config c = { 0 };
	struct xb_plan p;
	struct xb_desired_object *o;
	const struct xb_change *ch;

	add_object(&a, XB_CLASS_SR, "OpaqueRef:sr1", "u-sr", "Local storage");
	o = block(&c, XB_CLASS_SR, 0, "Local storage", NULL, 1);
	entry(o, XB_FIELD_NAME_LABEL, "", "Fast disks", 2);
	ck_assert_int_eq(xb_plan_make(&c.d, &a, &XAPI_AND_XS, &p), 0);
	ch = find_change(&p, XB_WHERE_XAPI, "");
	ck_assert_ptr_nonnull(ch);
	ck_assert_int_eq(ch->field, XB_FIELD_NAME_LABEL);
	ck_assert_str_eq(ch->new_value, "Fast disks");
	ck_assert_uint_eq(p.nwrites, 1);
	ck_assert_int_eq(p.writes[0].field, XB_FIELD_NAME_LABEL);
	xb_plan_free(&p);

	/* after the rename, the same block still finds it, with no change */
	free(a.objects[0].name_label);
	a.objects[0].name_label = strdup("Fast disks");
	ck_assert_int_eq(xb_plan_make(&c.d, &a, &XAPI_AND_XS, &p), 0);
	ck_assert(xb_plan_empty(&p));
	xb_plan_free(&p);
	xb_actual_free(&a);
}
END_TEST

START_TEST(two_blocks_on_one_object_merge_or_conflict)
{
	struct xb_actual a = { 0 };
	struct config c = { 0 };
	struct xb_plan p;

	add_vm(&a, "OpaqueRef:vm1", "u-web", "web-01", -1);
	entry(block(&c, XB_CLASS_VM, 0, "web-01", NULL, 1),
	      XB_FIELD_XENSTORE_DATA, "vm-data/a", "1", 2);
	entry(block(&c, XB_CLASS_VM, XB_OBJ_BY_UUID, "u-web", NULL, 3),
	      XB_FIELD_XENSTORE_DATA, "vm-data/b", "2", 4);
	ck_assert_int_eq(xb_plan_make(&c.d, &a, &XAPI_AND_XS, &p), 0);
	ck_assert_uint_eq(p.nwrites, 2);
	ck_assert_uint_eq(p.writes[0].new_map.n, 2);
	xb_plan_free(&p);

	entry(&c.objs[1], XB_FIELD_XENSTORE_DATA, "vm-data/a", "other", 5);
	ck_assert_int_eq(xb_plan_make(&c.d, &a, &XAPI_AND_XS, &p), -1);
	ck_assert(any_error_has(&p, "t.xb:5:5"));
	ck_assert(any_error_has(&p, "t.xb:2:5"));
	xb_plan_free(&p);
	xb_actual_free(&a);
}
END_TEST

START_TEST(owners_keep_apart)
{
	struct xb_actual a = { 0 };
	struct config c = { 0 };
	struct xb_plan p;
	struct xb_object *vm, *db;
	struct xb_desired_object *o;
	const struct xb_change *ch;

	add_vm(&a, "OpaqueRef:vm1", "u-web", "web-01", -1);
	add_vm(&a, "OpaqueRef:vm2", "u-db", "db-01", -1);
	vm = &a.objects[0];     /* after the realloc of the second */
	db = &a.objects[1];

	set(&vm->other_config, "b", "2");
	set(&vm->other_config, "shared", "s");
	set(&vm->other_config, "old", "o");
	set(&vm->other_config, XB_KEY_MANAGED ":team-b",
	    "uuid:u-web\nother_config:b\nother_config:shared");
	set(&vm->other_config, XB_KEY_MANAGED, "other_config:old");
	set(&db->other_config, "b", "2");
	set(&db->other_config, XB_KEY_MANAGED ":team-b",
	    "uuid:u-db\nother_config:b");
	o = block(&c, XB_CLASS_VM, 0, "web-01", NULL, 1);
	o->owner = "team-a";
	entry(o, XB_FIELD_OTHER_CONFIG, "a", "1", 2);
	entry(o, XB_FIELD_OTHER_CONFIG, "shared", "s", 3);

	ck_assert_int_eq(xb_plan_make(&c.d, &a, &XAPI_AND_XS, &p), 0);
	ch = find_change(&p, XB_WHERE_XAPI, "a");
	ck_assert_ptr_nonnull(ch);
	ck_assert_str_eq(ch->owner, "team-a");
	ch = find_change(&p, XB_WHERE_XAPI, XB_KEY_MANAGED ":team-a");
	ck_assert_ptr_nonnull(ch);
	ck_assert_str_eq(ch->owner, "team-a");
	ck_assert_str_eq(ch->new_value,
			 "uuid:u-web\nother_config:a\nother_config:shared");
	/* team-b's keys and record, and default's: not this run's */
	ck_assert_ptr_null(find_change(&p, XB_WHERE_XAPI, "b"));
	ck_assert_ptr_null(find_change(&p, XB_WHERE_XAPI, "shared"));
	ck_assert_ptr_null(find_change(&p, XB_WHERE_XAPI, "old"));
	ck_assert_ptr_null(find_change(&p, XB_WHERE_XAPI, XB_KEY_MANAGED));
	ck_assert_ptr_null(find_change(&p, XB_WHERE_XAPI,
				       XB_KEY_MANAGED ":team-b"));
	ck_assert_uint_eq(p.nwrites, 1);        /* db-01 not planned */
	xb_plan_free(&p);

	/* team-b's key to another value: an error naming team-b */
	c.entries[0][1].value = "t";
	ck_assert_int_eq(xb_plan_make(&c.d, &a, &XAPI_AND_XS, &p), -1);
	ck_assert(any_error_has(&p, "owner \"team-b\" holds it"));
	xb_plan_free(&p);
	c.entries[0][1].value = "s";

	/* two owners of one run: one value, or an error naming the other */
	o = block(&c, XB_CLASS_VM, 0, "web-01", NULL, 4);
	o->owner = "team-c";
	entry(o, XB_FIELD_OTHER_CONFIG, "a", "1", 5);
	ck_assert_int_eq(xb_plan_make(&c.d, &a, &XAPI_AND_XS, &p), 0);
	ch = find_change(&p, XB_WHERE_XAPI, XB_KEY_MANAGED ":team-c");
	ck_assert_ptr_nonnull(ch);
	ck_assert_str_eq(ch->new_value, "uuid:u-web\nother_config:a");
	xb_plan_free(&p);
	c.entries[1][0].value = "9";
	ck_assert_int_eq(xb_plan_make(&c.d, &a, &XAPI_AND_XS, &p), -1);
	ck_assert(any_error_has(&p, "by owner \"team-a\" at t.xb:2:5"));
	xb_plan_free(&p);

	/* without XenAPI: refused */
	ck_assert_int_eq(xb_plan_make(&c.d, &a, &XS_ONLY, &p), -1);
	ck_assert(any_error_has(&p, "drop --no-xapi"));
	xb_plan_free(&p);
	xb_actual_free(&a);
}
END_TEST

START_TEST(dropped_block_removes_what_xenbake_wrote)
{
	struct xb_actual a = { 0 };
	struct config c = { 0 };
	struct xb_plan p;
	struct xb_object *vm = add_vm(&a, "OpaqueRef:vm1", "u-web", "web-01", -1);

	set(&vm->other_config, "HideFromXenCenter", "true");
	set(&vm->other_config, "owner", "theirs");
	set(&vm->other_config, XB_KEY_MANAGED, "other_config:HideFromXenCenter");
	ck_assert_int_eq(xb_plan_make(&c.d, &a, &XAPI_AND_XS, &p), 0);
	ck_assert_uint_eq(p.nwrites, 1);
	ck_assert_uint_eq(p.writes[0].new_map.n, 1);
	ck_assert_str_eq(xb_map_get(&p.writes[0].new_map, "owner"), "theirs");
	xb_plan_free(&p);
	xb_actual_free(&a);
}
END_TEST

START_TEST(without_xapi_guests_are_selected_from_xenstore)
{
	struct xb_actual a = { 0 };
	struct config c = { 0 };
	struct xb_plan p;
	struct xb_guest *g;

	g = add_guest(&a, 5, "web-01", "u-web");
	set(&g->vm_data, "vm-data/keep", "foreign");
	set(&g->vm_data, "vm-data/old", "x");
	set(&g->managed, "xenstore_data:vm-data/old", "");
	add_guest(&a, 6, "db-01", "u-db");
	entry(block(&c, XB_CLASS_VM, 0, "web-01", NULL, 1),
	      XB_FIELD_XENSTORE_DATA, "vm-data/role", "web", 2);
	entry(block(&c, XB_CLASS_VM, XB_OBJ_BY_UUID, "u-db", NULL, 3),
	      XB_FIELD_XENSTORE_DATA, "vm-data/role", "db", 4);
	ck_assert_int_eq(xb_plan_make(&c.d, &a, &XS_ONLY, &p), 0);
	ck_assert(p.managed_in_xenstore);
	ck_assert_uint_eq(p.nwrites, 0);
	ck_assert_uint_eq(p.nguests, 2);
	ck_assert_int_eq(p.guests[0].domid, 5);
	ck_assert_int_eq(p.guests[1].domid, 6);
	{
		const struct xb_change *ch =
			find_change(&p, XB_WHERE_XENSTORE, "vm-data/old");

		ck_assert_ptr_nonnull(ch);
		ck_assert_int_eq(ch ? ch->op : 0, XB_CHANGE_REMOVE);
	}
	ck_assert_ptr_null(find_change(&p, XB_WHERE_XENSTORE, "vm-data/keep"));
	xb_plan_free(&p);

	/* SRs need XenAPI: an error, or a note when optional */
	block(&c, XB_CLASS_SR, 0, "Local storage", NULL, 9);
	ck_assert_int_eq(xb_plan_make(&c.d, &a, &XS_ONLY, &p), -1);
	ck_assert(any_error_has(&p, "t.xb:9:1"));
	ck_assert(any_error_has(&p, "XenAPI"));
	xb_plan_free(&p);
	c.objs[2].flags = XB_OBJ_OPTIONAL;
	ck_assert_int_eq(xb_plan_make(&c.d, &a, &XS_ONLY, &p), 0);
	ck_assert_uint_eq(p.nnotes, 1);
	xb_plan_free(&p);
	xb_actual_free(&a);
}
END_TEST

START_TEST(managed_record_round_trips)
{
	struct xb_map m = { 0 };
	char *text;

	ck_assert_int_eq(xb_managed_parse("other_config:b\n\nbogus\nxenstore_data:vm-data/a\nnope:x", "", &m), 0);
	ck_assert_uint_eq(m.n, 2);
	text = xb_managed_format(&m, "");
	ck_assert_str_eq(text, "other_config:b\nxenstore_data:vm-data/a");
	free(text);

	/* the xenstore record's form: the common prefix left out */
	ck_assert_int_eq(xb_managed_parse("net/ip\n\nrole", "xenstore_data:vm-data/", &m), 0);
	ck_assert_uint_eq(m.n, 4);
	ck_assert_ptr_nonnull(xb_map_get(&m, "xenstore_data:vm-data/net/ip"));
	text = xb_managed_format(&m, "xenstore_data:vm-data/");
	ck_assert_str_eq(text, "a\nnet/ip\nrole");
	free(text);
	xb_map_free(&m);
}
END_TEST

/* A record is the object's it was written on: xapi's snapshot, clone and
 * copy carry it along in other_config. */
START_TEST(managed_record_names_its_object)
{
	struct xb_actual a = { 0 };
	struct xb_object *vm = add_vm(&a, "OpaqueRef:vm1", "u-web", "web-01", -1);
	struct xb_map m = { 0 };
	char *text;

	ck_assert_int_eq(xb_managed_whose(vm), XB_MANAGED_NONE);
	ck_assert_ptr_null(xb_managed_own(vm));
	set(&vm->other_config, XB_KEY_MANAGED, "uuid:u-web\nother_config:a");
	ck_assert_int_eq(xb_managed_whose(vm), XB_MANAGED_OWN);
	ck_assert_str_eq(xb_managed_own(vm), "uuid:u-web\nother_config:a");
	/* the uuid line names no field: the entries are the same */
	ck_assert_int_eq(xb_managed_parse(xb_managed_own(vm), "", &m), 0);
	ck_assert_uint_eq(m.n, 1);
	set(&vm->other_config, XB_KEY_MANAGED, "other_config:a\nuuid:u-web2");
	ck_assert_int_eq(xb_managed_whose(vm), XB_MANAGED_FOREIGN);
	ck_assert_ptr_null(xb_managed_own(vm));
	set(&vm->other_config, XB_KEY_MANAGED, "uuid:u-we\nother_config:a");
	ck_assert_int_eq(xb_managed_whose(vm), XB_MANAGED_FOREIGN);
	/* two lines, one of them another object's: not ours */
	set(&vm->other_config, XB_KEY_MANAGED, "uuid:u-web\nuuid:u-x\n");
	ck_assert_int_eq(xb_managed_whose(vm), XB_MANAGED_FOREIGN);
	/* no uuid line (before records were bound): trusted, except on a
	 * template or snapshot */
	set(&vm->other_config, XB_KEY_MANAGED, "other_config:a");
	ck_assert_int_eq(xb_managed_whose(vm), XB_MANAGED_UNBOUND);
	ck_assert_str_eq(xb_managed_own(vm), "other_config:a");
	vm->is_template = true;
	ck_assert_int_eq(xb_managed_whose(vm), XB_MANAGED_FOREIGN);
	set(&vm->other_config, XB_KEY_MANAGED, "uuid:u-web\nother_config:a");
	ck_assert_int_eq(xb_managed_whose(vm), XB_MANAGED_OWN);

	text = xb_managed_record(&m, "u-1");
	ck_assert_str_eq(text, "uuid:u-1\nother_config:a");
	ck_assert_uint_eq(xb_managed_count(text), 1);
	free(text);
	xb_map_free(&m);
	text = xb_managed_record(&m, "u-1");
	ck_assert_str_eq(text, "uuid:u-1");
	ck_assert_uint_eq(xb_managed_count(text), 0);
	free(text);
	xb_actual_free(&a);
}
END_TEST

/* A snapshot and a clone of a managed VM: never planned unless selected;
 * a selected clone's inherited record counts as absent, and xenbake's own
 * replaces it. A record without uuid line is trusted on the original and
 * bound on its next write. */
START_TEST(inherited_records_are_not_planned)
{
	struct xb_actual a = { 0 };
	struct config c = { 0 };
	struct xb_plan p;
	struct xb_object *vm;
	const struct xb_change *ch;
	struct xb_desired_object *o;
	const char *rec = "uuid:u-web\nother_config:owner\n"
			  "xenstore_data:vm-data/role";
	size_t i;

	vm = add_vm(&a, "OpaqueRef:vm1", "u-web", "web-01", -1);
	set(&vm->other_config, "owner", "ops");
	set(&vm->xenstore_data, "vm-data/role", "web");
	set(&vm->other_config, XB_KEY_MANAGED, rec);
	vm = add_vm(&a, "OpaqueRef:snap", "u-snap", "web-01 snap", -1);
	vm->is_template = true;
	set(&vm->other_config, "owner", "ops");
	set(&vm->xenstore_data, "vm-data/role", "web");
	set(&vm->other_config, XB_KEY_MANAGED, rec);
	vm = add_vm(&a, "OpaqueRef:clone", "u-clone", "web-02", -1);
	set(&vm->other_config, "owner", "ops");
	set(&vm->xenstore_data, "vm-data/role", "web");
	set(&vm->other_config, XB_KEY_MANAGED, rec);

	/* the config no longer names web-01's keys: only web-01 changes */
	ck_assert_int_eq(xb_plan_make(&c.d, &a, &XAPI_AND_XS, &p), 0);
	ck_assert_uint_eq(p.nnotes, 0);
	ck_assert_uint_eq(p.nwrites, 2);
	for (i = 0; i < p.nchanges; i++)
		ck_assert_str_eq(p.changes[i].uuid, "u-web");
	for (i = 0; i < p.nwrites; i++)
		ck_assert_uint_eq(p.writes[i].object, 0);
	ch = find_change(&p, XB_WHERE_XAPI, XB_KEY_MANAGED);
	ck_assert_ptr_nonnull(ch);
	ck_assert_int_eq(ch->op, XB_CHANGE_REMOVE);
	xb_plan_free(&p);

	/* the clone selected by name: its inherited keys are not ours, not
	 * removed; the record becomes its own */
	o = block(&c, XB_CLASS_VM, 0, "web-02", NULL, 1);
	entry(o, XB_FIELD_XENSTORE_DATA, "vm-data/site", "ams", 2);
	entry(o, XB_FIELD_OTHER_CONFIG, "owner", "ops", 3);
	ck_assert_int_eq(xb_plan_make(&c.d, &a, &XAPI_AND_XS, &p), 0);
	ck_assert_uint_eq(p.nnotes, 1);
	ck_assert(strstr(p.notes[0], "t.xb:1:1: note: vm web-02: the record"));
	for (i = 0; i < p.nwrites; i++) {
		const struct xb_map_write *w = &p.writes[i];

		if (w->object != 2)
			continue;
		if (w->field == XB_FIELD_XENSTORE_DATA) {
			ck_assert_str_eq(xb_map_get(&w->new_map, "vm-data/role"), "web");
			ck_assert_str_eq(xb_map_get(&w->new_map, "vm-data/site"), "ams");
		} else {
			ck_assert_str_eq(xb_map_get(&w->new_map, XB_KEY_MANAGED),
					 "uuid:u-clone\nother_config:owner\n"
					 "xenstore_data:vm-data/site");
		}
	}
	for (i = 0; i < p.nchanges; i++) {
		ck_assert_str_ne(p.changes[i].uuid, "u-snap");
		ck_assert(strcmp(p.changes[i].uuid, "u-clone") ||
			  p.changes[i].op == XB_CHANGE_ADD ||
			  p.changes[i].bookkeeping);
	}
	xb_plan_free(&p);
	xb_actual_free(&a);

	/* a record written before records were bound: trusted on the VM,
	 * bound by the write; on a snapshot, ignored */
	memset(&a, 0, sizeof(a));
	memset(&c, 0, sizeof(c));
	vm = add_vm(&a, "OpaqueRef:vm1", "u-web", "web-01", -1);
	set(&vm->other_config, "owner", "ops");
	set(&vm->other_config, "old", "x");
	set(&vm->other_config, XB_KEY_MANAGED, "other_config:old\nother_config:owner");
	vm = add_vm(&a, "OpaqueRef:snap", "u-snap", "web-01 snap", -1);
	vm->is_template = true;
	set(&vm->other_config, "old", "x");
	set(&vm->other_config, XB_KEY_MANAGED, "other_config:old");
	o = block(&c, XB_CLASS_VM, 0, "web-01", NULL, 1);
	entry(o, XB_FIELD_OTHER_CONFIG, "owner", "ops", 2);
	ck_assert_int_eq(xb_plan_make(&c.d, &a, &XAPI_AND_XS, &p), 0);
	ck_assert_uint_eq(p.nwrites, 1);
	ck_assert_uint_eq(p.writes[0].object, 0);
	ck_assert_ptr_null(xb_map_get(&p.writes[0].new_map, "old"));
	ck_assert_str_eq(xb_map_get(&p.writes[0].new_map, XB_KEY_MANAGED),
			 "uuid:u-web\nother_config:owner");
	xb_plan_free(&p);
	xb_actual_free(&a);
}
END_TEST

/* Thousands of objects, listed in no useful order: every block finds its
 * own VM (by name or by uuid) and every VM its own running guest, and a
 * template or an SR of the same name is never taken for the VM. */
START_TEST(many_objects_each_block_finds_its_own)
{
	enum { N = 3000 };
	struct xb_actual a = { 0 };
	struct xb_desired d = { 0 };
	struct xb_desired_object *objs = calloc(N, sizeof(*objs));
	struct xb_desired_entry *ents = calloc(2 * N, sizeof(*ents));
	char (*names)[16] = calloc(N, sizeof(*names));
	char (*uuids)[16] = calloc(N, sizeof(*uuids));
	char (*values)[16] = calloc(N, sizeof(*values));
	struct xb_plan p;
	size_t i;

	ck_assert(objs && ents && names && uuids && values);
	add_host(&a, "OpaqueRef:host1", "xs-01");
	for (i = 0; i < N; i++) {
		size_t k = (i * 1237) % N;       /* a permutation of 0..N-1 */
		char ref[32];

		snprintf(names[k], sizeof(names[k]), "vm-%04zu", k);
		snprintf(uuids[k], sizeof(uuids[k]), "u-%04zu", k);
		snprintf(values[k], sizeof(values[k]), "%zu", k);
		snprintf(ref, sizeof(ref), "OpaqueRef:vm%zu", k);
		add_vm(&a, ref, uuids[k], names[k], (int)k + 1);
	}
	/* the guests in the reverse order of the VMs */
	for (i = N; i-- > 0;)
		add_guest(&a, a.objects[i].domid,
			  a.objects[i].name_label, a.objects[i].uuid);
	add_object(&a, XB_CLASS_VM, "OpaqueRef:tmpl", "u-tmpl", "vm-0005")
		->is_template = true;
	add_object(&a, XB_CLASS_SR, "OpaqueRef:sr", "u-sr", "vm-0007");

	for (i = 0; i < N; i++) {
		struct xb_desired_object *o = &objs[i];

		o->cls = XB_CLASS_VM;
		o->flags = i % 2 ? XB_OBJ_BY_UUID : 0;
		o->selector = i % 2 ? uuids[i] : names[i];
		o->host = "";
		o->pos = POS((unsigned)i + 1, 1);
		o->entries = &ents[2 * i];
		o->nentries = 2;
		ents[2 * i] = (struct xb_desired_entry){
			.field = XB_FIELD_XENSTORE_DATA, .key = "vm-data/n",
			.value = values[i], .pos = POS((unsigned)i + 1, 5) };
		ents[2 * i + 1] = (struct xb_desired_entry){
			.field = XB_FIELD_OTHER_CONFIG, .key = "n",
			.value = values[i], .pos = POS((unsigned)i + 1, 9) };
	}
	d.objects = objs;
	d.nobjects = N;
	ck_assert_int_eq(xb_plan_make(&d, &a, &XAPI_AND_XS, &p), 0);
	ck_assert_uint_eq(p.nerrors, 0);
	/* running here: vm-data is written live, other_config by XenAPI */
	ck_assert_uint_eq(p.nwrites, N);
	for (i = 0; i < p.nwrites; i++) {
		const struct xb_object *ob = &a.objects[p.writes[i].object];
		const char *want = xb_map_get(&p.writes[i].new_map, "n");

		ck_assert_int_eq(p.writes[i].field, XB_FIELD_OTHER_CONFIG);

		ck_assert_int_eq(ob->cls, XB_CLASS_VM);
		ck_assert(!ob->is_template);
		ck_assert_ptr_nonnull(want);
		ck_assert_uint_eq(strtoul(want, NULL, 10),
				  strtoul(ob->name_label + 3, NULL, 10));
	}
	ck_assert_uint_eq(p.nguests, N);
	for (i = 0; i < p.nguests; i++) {
		const struct xb_guest *g = &a.guests[p.guests[i].guest];

		ck_assert_int_eq(g->domid, p.guests[i].domid);
		ck_assert_str_eq(g->vm_uuid, p.guests[i].vm_uuid);
		ck_assert_uint_eq(strtoul(xb_map_get(&p.guests[i].desired,
						     "vm-data/n"), NULL, 10),
				  strtoul(g->name + 3, NULL, 10));
	}
	xb_plan_free(&p);
	xb_actual_free(&a);
	free(objs);
	free(ents);
	free(names);
	free(uuids);
	free(values);
}
END_TEST

/* A tag xenbake did not add is never recorded, so never removed; one it
 * added goes once the config drops it. One write of the set. */
START_TEST(tags_only_those_xenbake_added_are_removed)
{
	struct xb_actual a = { 0 };
	struct config c = { 0 };
	struct xb_plan p;
	struct xb_object *vm = add_vm(&a, "OpaqueRef:vm1", "u-web", "web-01", -1);
	struct xb_desired_object *o;
	const struct xb_change *ch;
	const char *rec;
	size_t i, tag_writes = 0;

	set(&vm->tags, "by-hand", "");
	set(&vm->tags, "old", "");           /* xenbake's, dropped since */
	set(&vm->tags, "kept-by-hand", "");  /* someone else's, dropped */
	set(&vm->other_config, XB_KEY_MANAGED, "tags:old");
	o = block(&c, XB_CLASS_VM, 0, "web-01", NULL, 1);
	entry(o, XB_FIELD_TAGS, "by-hand", "", 2);
	entry(o, XB_FIELD_TAGS, "new", "", 3);
	entry(o, XB_FIELD_NAME_DESCRIPTION, "", "Web", 4);
	ck_assert_int_eq(xb_plan_make(&c.d, &a, &XAPI_AND_XS, &p), 0);
	for (i = 0; i < p.nwrites; i++) {
		if (p.writes[i].field != XB_FIELD_TAGS)
			continue;
		tag_writes++;
		ck_assert_uint_eq(p.writes[i].new_map.n, 3);
		ck_assert_ptr_nonnull(xb_map_get(&p.writes[i].new_map, "by-hand"));
		ck_assert_ptr_nonnull(xb_map_get(&p.writes[i].new_map, "new"));
		ck_assert_ptr_nonnull(xb_map_get(&p.writes[i].new_map,
						 "kept-by-hand"));
		ck_assert_ptr_null(xb_map_get(&p.writes[i].new_map, "old"));
	}
	ck_assert_uint_eq(tag_writes, 1);
	ck_assert_ptr_nonnull(find_change(&p, XB_WHERE_XAPI, "new"));
	ch = find_change(&p, XB_WHERE_XAPI, "old");
	ck_assert_ptr_nonnull(ch);
	ck_assert_int_eq(ch ? ch->op : 0, XB_CHANGE_REMOVE);
	ck_assert_ptr_null(find_change(&p, XB_WHERE_XAPI, "by-hand"));
	/* the record names the tag xenbake adds, not the one it found */
	rec = xb_map_get(&p.writes[0].new_map, XB_KEY_MANAGED);
	ck_assert_int_eq(p.writes[0].field, XB_FIELD_OTHER_CONFIG);
	ck_assert_str_eq(rec, "uuid:u-web\ntags:new");
	xb_plan_free(&p);
	xb_actual_free(&a);
}
END_TEST

/* Without XenAPI a VM's tags and description cannot be written: a note
 * each, and no change; a pool block is an error (XenAPI's alone). */
START_TEST(without_xapi_tags_and_descriptions_are_notes)
{
	struct xb_actual a = { 0 };
	struct config c = { 0 };
	struct xb_plan p;
	struct xb_desired_object *o;
	size_t i, tag_notes = 0, desc_notes = 0;

	add_guest(&a, 5, "web-01", "u-web");
	o = block(&c, XB_CLASS_VM, 0, "web-01", NULL, 1);
	entry(o, XB_FIELD_NAME_DESCRIPTION, "", "Web", 2);
	entry(o, XB_FIELD_TAGS, "gpu", "", 3);
	ck_assert_int_eq(xb_plan_make(&c.d, &a, &XS_ONLY, &p), 0);
	ck_assert_uint_eq(p.nchanges, 0);
	for (i = 0; i < p.nnotes; i++) {
		tag_notes += strstr(p.notes[i], "t.xb:3:5") &&
			     strstr(p.notes[i], "tag is kept by XenAPI");
		desc_notes += strstr(p.notes[i], "t.xb:2:5") &&
			      strstr(p.notes[i], "name-description is kept");
	}
	ck_assert_uint_eq(tag_notes, 1);
	ck_assert_uint_eq(desc_notes, 1);
	xb_plan_free(&p);
	block(&c, XB_CLASS_POOL, 0, "", NULL, 9);
	ck_assert_int_eq(xb_plan_make(&c.d, &a, &XS_ONLY, &p), -1);
	ck_assert(any_error_has(&p, "pools can only be configured through XenAPI"));
	xb_plan_free(&p);
	xb_actual_free(&a);
}
END_TEST

/* host "N" and pool blocks select their objects; name_description is a
 * string field, one write. */
START_TEST(host_pool_and_name_description)
{
	struct xb_actual a = { 0 };
	struct config c = { 0 };
	struct xb_plan p;
	struct xb_object *net;
	struct xb_desired_object *o;
	size_t i;
	bool host_w = false, pool_w = false, desc_w = false;

	add_object(&a, XB_CLASS_HOST, "OpaqueRef:h1", "u-h1", "xs-01");
	add_object(&a, XB_CLASS_HOST, "OpaqueRef:h2", "u-h2", "xs-02");
	add_object(&a, XB_CLASS_POOL, "OpaqueRef:p", "u-pool", "");
	net = add_object(&a, XB_CLASS_NETWORK, "OpaqueRef:n", "u-n", "lan");
	net->name_description = strdup("old");
	o = block(&c, XB_CLASS_HOST, 0, "xs-02", NULL, 1);
	entry(o, XB_FIELD_OTHER_CONFIG, "rack", "r12", 2);
	o = block(&c, XB_CLASS_POOL, 0, "", NULL, 3);
	entry(o, XB_FIELD_OTHER_CONFIG, "site", "ams-3", 4);
	o = block(&c, XB_CLASS_NETWORK, 0, "lan", NULL, 5);
	entry(o, XB_FIELD_NAME_DESCRIPTION, "", "LAN", 6);
	ck_assert_int_eq(xb_plan_make(&c.d, &a, &XAPI_AND_XS, &p), 0);
	for (i = 0; i < p.nwrites; i++) {
		const struct xb_object *ob = &a.objects[p.writes[i].object];

		ck_assert_str_ne(ob->uuid, "u-h1");
		if (!strcmp(ob->uuid, "u-h2"))
			host_w = xb_map_get(&p.writes[i].new_map, "rack") != NULL;
		if (!strcmp(ob->uuid, "u-pool"))
			pool_w = xb_map_get(&p.writes[i].new_map, "site") != NULL;
		if (!strcmp(ob->uuid, "u-n")) {
			ck_assert_int_eq(p.writes[i].field,
					 XB_FIELD_NAME_DESCRIPTION);
			ck_assert_ptr_nonnull(xb_map_get(&p.writes[i].old_map, ""));
			desc_w = xb_map_get(&p.writes[i].new_map, "") &&
				 !strcmp(xb_map_get(&p.writes[i].new_map, ""),
					 "LAN");
		}
	}
	ck_assert(host_w && pool_w && desc_w);
	ck_assert_uint_eq(p.nwrites, 3);
	xb_plan_free(&p);
	xb_actual_free(&a);
}
END_TEST

static void once_entry(struct xb_desired_object *o, enum xb_field field,
		       const char *key, const char *value, unsigned line)
{
	entry(o, field, key, value, line);
	o->entries[o->nentries - 1].flags = XB_ENTRY_ONCE;
}

static void secret_entry(struct xb_desired_object *o, enum xb_field field,
			 const char *key, const char *value, unsigned line)
{
	entry(o, field, key, value, line);
	o->entries[o->nentries - 1].flags = XB_ENTRY_SECRET;
}

/* Secret keys (opened already: the planner sees plaintexts): planned as
 * any key, each change marked secret, the record marks them; when the
 * config drops one, its removal is marked too, through the record. The
 * same without XenAPI, the record in xenstore. */
START_TEST(secret_keys_are_marked)
{
	struct xb_actual a = { 0 };
	struct config c = { 0 };
	struct xb_plan p;
	struct xb_object *vm = add_vm(&a, "OpaqueRef:vm1", "u-web", "web-01", 5);
	struct xb_guest *g = add_guest(&a, 5, "web-01", "u-web");
	const struct xb_change *ch;
	struct xb_desired_object *o;
	char *text;

	set(&g->vm_data, "vm-data/pw", "old plaintext");
	o = block(&c, XB_CLASS_VM, 0, "web-01", NULL, 1);
	secret_entry(o, XB_FIELD_XENSTORE_DATA, "vm-data/pw", "s3cret", 2);
	secret_entry(o, XB_FIELD_OTHER_CONFIG, "token", "t0ken", 3);
	entry(o, XB_FIELD_OTHER_CONFIG, "plain", "p", 4);

	ck_assert_int_eq(xb_plan_make(&c.d, &a, &XAPI_AND_XS, &p), 0);
	ch = find_change(&p, XB_WHERE_XENSTORE, "vm-data/pw");
	ck_assert_ptr_nonnull(ch);
	ck_assert_int_eq(ch->op, XB_CHANGE_MODIFY);
	ck_assert(ch->secret);
	ck_assert_str_eq(xb_change_shown(ch, ch->old_value), "(secret)");
	ck_assert_str_eq(xb_change_shown(ch, ch->new_value), "(secret)");
	ck_assert_str_eq(ch->new_value, "s3cret");  /* written as it is */
	ch = find_change(&p, XB_WHERE_XAPI, "token");
	ck_assert_ptr_nonnull(ch);
	ck_assert(ch->secret);
	ch = find_change(&p, XB_WHERE_XAPI, "plain");
	ck_assert_ptr_nonnull(ch);
	ck_assert(!ch->secret);
	ck_assert_str_eq(xb_change_shown(ch, ch->new_value), "p");
	ch = find_change(&p, XB_WHERE_XAPI, XB_KEY_MANAGED);
	ck_assert_ptr_nonnull(ch);
	ck_assert(!ch->secret);
	ck_assert_str_eq(ch->new_value, "uuid:u-web\n"
			 "other_config:plain\nother_config:token\n"
			 "secret:other_config:token\n"
			 "secret:xenstore_data:vm-data/pw\n"
			 "xenstore_data:vm-data/pw");
	ck_assert_uint_eq(xb_managed_count(ch->new_value), 3);
	xb_plan_free(&p);

	/* applied; then the config drops the secrets */
	set(&g->vm_data, "vm-data/pw", "s3cret");
	set(&vm->other_config, "token", "t0ken");
	set(&vm->other_config, "plain", "p");
	set(&vm->other_config, XB_KEY_MANAGED, "uuid:u-web\n"
	    "other_config:plain\nother_config:token\n"
	    "secret:other_config:token\n"
	    "secret:xenstore_data:vm-data/pw\nxenstore_data:vm-data/pw");
	ck_assert_int_eq(xb_plan_make(&c.d, &a, &XAPI_AND_XS, &p), 0);
	ck_assert(xb_plan_empty(&p));
	xb_plan_free(&p);
	o->nentries = 0;
	entry(o, XB_FIELD_OTHER_CONFIG, "plain", "p", 4);
	ck_assert_int_eq(xb_plan_make(&c.d, &a, &XAPI_AND_XS, &p), 0);
	ch = find_change(&p, XB_WHERE_XENSTORE, "vm-data/pw");
	ck_assert_ptr_nonnull(ch);
	ck_assert_int_eq(ch->op, XB_CHANGE_REMOVE);
	ck_assert(ch->secret);
	ch = find_change(&p, XB_WHERE_XAPI, "token");
	ck_assert_ptr_nonnull(ch);
	ck_assert_int_eq(ch->op, XB_CHANGE_REMOVE);
	ck_assert(ch->secret);
	ch = find_change(&p, XB_WHERE_XAPI, XB_KEY_MANAGED);
	ck_assert_ptr_nonnull(ch);
	ck_assert_str_eq(ch->new_value, "uuid:u-web\nother_config:plain");
	xb_plan_free(&p);

	/* without XenAPI: the guest's record in xenstore */
	o->nentries = 0;
	secret_entry(o, XB_FIELD_XENSTORE_DATA, "vm-data/pw", "s3cret", 2);
	ck_assert_int_eq(xb_managed_parse("secret:pw\npw\nold",
					  XB_MANAGED_XS_PREFIX, &g->managed), 0);
	ck_assert(xb_managed_is_secret(&g->managed, XB_FIELD_XENSTORE_DATA,
				       "vm-data/pw"));
	text = xb_managed_format(&g->managed, XB_MANAGED_XS_PREFIX);
	ck_assert_str_eq(text, "secret:pw\nold\npw");
	free(text);
	set(&g->vm_data, "vm-data/pw", "changed by the guest");
	set(&g->vm_data, "vm-data/old", "x");
	ck_assert_int_eq(xb_plan_make(&c.d, &a, &XS_ONLY, &p), 0);
	ch = find_change(&p, XB_WHERE_XENSTORE, "vm-data/pw");
	ck_assert_ptr_nonnull(ch);
	ck_assert(ch->secret);
	ch = find_change(&p, XB_WHERE_XENSTORE, "vm-data/old");
	ck_assert_ptr_nonnull(ch);
	ck_assert(!ch->secret);
	ch = find_change(&p, XB_WHERE_XENSTORE, XB_KEY_MANAGED);
	ck_assert_ptr_nonnull(ch);
	ck_assert_str_eq(ch->new_value, "secret:xenstore_data:vm-data/pw\n"
			 "xenstore_data:vm-data/pw");
	ck_assert_uint_eq(p.nguests, 1);
	ck_assert_ptr_nonnull(xb_map_get(&p.guests[0].secret, "vm-data/pw"));
	xb_plan_free(&p);
	xb_actual_free(&a);
}
END_TEST

/* A halted VM's once keys through XenAPI: absent -> written and recorded;
 * present -> untouched, recorded as done; recorded and deleted by the
 * guest -> nothing; dropped from the config -> the record line goes, the
 * key stays. */
START_TEST(once_keys_on_a_halted_vm)
{
	struct xb_actual a = { 0 };
	struct config c = { 0 };
	struct xb_plan p;
	struct xb_object *vm = add_vm(&a, "OpaqueRef:vm1", "u-web", "web-01", -1);
	const struct xb_change *ch;
	struct xb_desired_object *o;

	set(&vm->xenstore_data, "vm-data/seen", "the guest's");
	set(&vm->other_config, "stamp", "changed by someone");
	set(&vm->other_config, XB_KEY_MANAGED,
	    "uuid:u-web\nonce:xenstore_data:vm-data/used\n"
	    "once:other_config:stamp");
	o = block(&c, XB_CLASS_VM, 0, "web-01", NULL, 1);
	once_entry(o, XB_FIELD_XENSTORE_DATA, "vm-data/token", "t-1", 2);
	once_entry(o, XB_FIELD_XENSTORE_DATA, "vm-data/seen", "mine", 3);
	once_entry(o, XB_FIELD_XENSTORE_DATA, "vm-data/used", "u", 4);
	once_entry(o, XB_FIELD_OTHER_CONFIG, "stamp", "s", 5);

	ck_assert_int_eq(xb_plan_make(&c.d, &a, &XAPI_AND_XS, &p), 0);
	/* absent and never written: written, marked once */
	ch = find_change(&p, XB_WHERE_XAPI, "vm-data/token");
	ck_assert_ptr_nonnull(ch);
	ck_assert_int_eq(ch->op, XB_CHANGE_ADD);
	ck_assert_str_eq(ch->new_value, "t-1");
	ck_assert(ch->once);
	/* present: the guest's, no change */
	ck_assert_ptr_null(find_change(&p, XB_WHERE_XAPI, "vm-data/seen"));
	/* recorded, then deleted by the guest: not written again */
	ck_assert_ptr_null(find_change(&p, XB_WHERE_XAPI, "vm-data/used"));
	/* recorded, changed by someone: never rewritten */
	ck_assert_ptr_null(find_change(&p, XB_WHERE_XAPI, "stamp"));
	ch = find_change(&p, XB_WHERE_XAPI, XB_KEY_MANAGED);
	ck_assert_ptr_nonnull(ch);
	ck_assert(ch->bookkeeping);
	ck_assert(!ch->once);
	ck_assert_str_eq(ch->new_value, "uuid:u-web\n"
			 "once:other_config:stamp\n"
			 "once:xenstore_data:vm-data/seen\n"
			 "once:xenstore_data:vm-data/token\n"
			 "once:xenstore_data:vm-data/used");
	xb_plan_free(&p);

	/* after that apply: nothing to do, however the guest changed it */
	set(&vm->xenstore_data, "vm-data/token", "consumed");
	set(&vm->other_config, XB_KEY_MANAGED,
	    "uuid:u-web\nonce:other_config:stamp\n"
	    "once:xenstore_data:vm-data/seen\n"
	    "once:xenstore_data:vm-data/token\n"
	    "once:xenstore_data:vm-data/used");
	ck_assert_int_eq(xb_plan_make(&c.d, &a, &XAPI_AND_XS, &p), 0);
	ck_assert(xb_plan_empty(&p));
	xb_plan_free(&p);
	xb_map_del(&vm->xenstore_data, "vm-data/token");
	ck_assert_int_eq(xb_plan_make(&c.d, &a, &XAPI_AND_XS, &p), 0);
	ck_assert(xb_plan_empty(&p));
	xb_plan_free(&p);

	/* dropped from the config: the line goes, the keys stay */
	o->nentries = 1;
	ck_assert_int_eq(xb_plan_make(&c.d, &a, &XAPI_AND_XS, &p), 0);
	ck_assert_ptr_null(find_change(&p, XB_WHERE_XAPI, "vm-data/seen"));
	ck_assert_ptr_null(find_change(&p, XB_WHERE_XAPI, "stamp"));
	ch = find_change(&p, XB_WHERE_XAPI, XB_KEY_MANAGED);
	ck_assert_ptr_nonnull(ch);
	ck_assert_str_eq(ch->new_value, "uuid:u-web\n"
			 "once:xenstore_data:vm-data/token");
	ck_assert_str_eq(xb_map_get(&p.writes[0].new_map, "stamp"),
			 "changed by someone");
	xb_plan_free(&p);
	xb_actual_free(&a);
}
END_TEST

/* A running guest's once key: written live while absent; the guest's own
 * value kept; a key the config managed before and now wants once is no
 * longer removed. */
START_TEST(once_keys_on_a_running_guest)
{
	struct xb_actual a = { 0 };
	struct config c = { 0 };
	struct xb_plan p;
	struct xb_object *vm = add_vm(&a, "OpaqueRef:vm1", "u-web", "web-01", 5);
	struct xb_guest *g = add_guest(&a, 5, "web-01", "u-web");
	const struct xb_change *ch;
	struct xb_desired_object *o;

	set(&vm->other_config, XB_KEY_MANAGED,
	    "uuid:u-web\nxenstore_data:vm-data/was-managed");
	set(&g->vm_data, "vm-data/was-managed", "w");
	o = block(&c, XB_CLASS_VM, 0, "web-01", NULL, 1);
	once_entry(o, XB_FIELD_XENSTORE_DATA, "vm-data/token", "t-1", 2);
	once_entry(o, XB_FIELD_XENSTORE_DATA, "vm-data/was-managed", "x", 3);

	ck_assert_int_eq(xb_plan_make(&c.d, &a, &XAPI_AND_XS, &p), 0);
	ch = find_change(&p, XB_WHERE_XENSTORE, "vm-data/token");
	ck_assert_ptr_nonnull(ch);
	ck_assert_int_eq(ch->op, XB_CHANGE_ADD);
	ck_assert(ch->once);
	ck_assert_ptr_null(find_change(&p, XB_WHERE_XENSTORE,
				       "vm-data/was-managed"));
	ck_assert_uint_eq(p.nguests, 1);
	ck_assert_str_eq(xb_map_get(&p.guests[0].desired, "vm-data/token"),
			 "t-1");
	ck_assert_ptr_null(xb_map_get(&p.guests[0].desired,
				      "vm-data/was-managed"));
	ck_assert_ptr_nonnull(xb_map_get(&p.guests[0].once, "vm-data/token"));
	ck_assert_ptr_nonnull(xb_map_get(&p.guests[0].once,
					 "vm-data/was-managed"));
	ch = find_change(&p, XB_WHERE_XAPI, XB_KEY_MANAGED);
	ck_assert_ptr_nonnull(ch);
	ck_assert_str_eq(ch->new_value, "uuid:u-web\n"
			 "once:xenstore_data:vm-data/token\n"
			 "once:xenstore_data:vm-data/was-managed");
	xb_plan_free(&p);

	/* without XenAPI the record is the guest's node in xenstore */
	ck_assert_int_eq(xb_managed_parse("once:token\nrole", XB_MANAGED_XS_PREFIX,
					  &g->managed), 0);
	ck_assert_ptr_nonnull(xb_map_get(&g->managed,
					 "once:xenstore_data:vm-data/token"));
	{
		char *text = xb_managed_format(&g->managed,
					       XB_MANAGED_XS_PREFIX);

		ck_assert_str_eq(text, "once:token\nrole");
		free(text);
	}
	ck_assert_int_eq(xb_plan_make(&c.d, &a, &XS_ONLY, &p), 0);
	ck_assert_ptr_null(find_change(&p, XB_WHERE_XENSTORE, "vm-data/token"));
	ch = find_change(&p, XB_WHERE_XENSTORE, XB_KEY_MANAGED);
	ck_assert_ptr_nonnull(ch);
	ck_assert_str_eq(ch->new_value, "once:xenstore_data:vm-data/token\n"
			 "once:xenstore_data:vm-data/was-managed");
	xb_plan_free(&p);
	xb_actual_free(&a);
}
END_TEST

START_TEST(once_and_always_on_one_key_conflict)
{
	struct xb_actual a = { 0 };
	struct config c = { 0 };
	struct xb_plan p;
	struct xb_desired_object *o;

	add_vm(&a, "OpaqueRef:vm1", "u-web", "web-01", -1);
	o = block(&c, XB_CLASS_VM, 0, "web-01", NULL, 1);
	once_entry(o, XB_FIELD_XENSTORE_DATA, "vm-data/token", "t-1", 2);
	o = block(&c, XB_CLASS_VM, XB_OBJ_MATCH, "web-*", NULL, 3);
	entry(o, XB_FIELD_XENSTORE_DATA, "vm-data/token", "t-1", 4);
	ck_assert_int_eq(xb_plan_make(&c.d, &a, &XAPI_AND_XS, &p), -1);
	ck_assert(any_error_has(&p, "xenstore_data \"vm-data/token\" is written always here and once at t.xb:2:5"));
	xb_plan_free(&p);
	xb_actual_free(&a);
}
END_TEST

/* the positions every change carries, as snprintf would write them */
START_TEST(positions_format_as_snprintf)
{
	struct xbb_pos pos = { "site.xb", 4294967295u, 0 }, none = { "", 3, 5 };
	char buf[64], want[64];
	size_t size;

	ck_assert_str_eq(xb_pos_format(&pos, buf, sizeof(buf)),
			 "site.xb:4294967295:0");
	ck_assert_str_eq(xb_pos_format(&none, buf, sizeof(buf)), "<blob>");
	pos.line = 12;
	pos.column = 345;
	for (size = 1; size <= 20; size++) {
		snprintf(want, size, "%s:%u:%u", pos.file, pos.line,
			 pos.column);
		memset(buf, 'x', sizeof(buf));
		ck_assert_str_eq(xb_pos_format(&pos, buf, size), want);
	}
}
END_TEST

Suite *test_suite(void)
{
	Suite *s = suite_create("plan");
	struct { const char *name; const TTest *test; } cases[] = {
		{ "changes", changes_adds_and_removes_managed_keys_only },
		{ "one-write-per-map", one_map_write_per_object_and_field },
		{ "no-op", nothing_to_do_is_an_empty_plan },
		{ "live-guests", local_running_guest_gets_live_writes },
		{ "optional", optional_block_that_matches_nothing_is_skipped },
		{ "select-none", selector_matching_nothing_is_an_error_at_its_position },
		{ "select-several", selector_matching_several_is_an_error_naming_them },
		{ "many-objects", many_objects_each_block_finds_its_own },
		{ "pif-hosts", pif_on_every_host_or_on_one },
		{ "pif-vlan-sr-hosts", pif_vlan_and_sr_per_host },
		{ "sr-rename", sr_found_by_its_old_or_its_new_name },
		{ "merge", two_blocks_on_one_object_merge_or_conflict },
		{ "dropped-block", dropped_block_removes_what_xenbake_wrote },
		{ "owners", owners_keep_apart },
		{ "no-xapi", without_xapi_guests_are_selected_from_xenstore },
		{ "managed-record", managed_record_round_trips },
		{ "record-identity", managed_record_names_its_object },
		{ "inherited-records", inherited_records_are_not_planned },
		{ "tags", tags_only_those_xenbake_added_are_removed },
		{ "host-pool-description", host_pool_and_name_description },
		{ "no-xapi-tags", without_xapi_tags_and_descriptions_are_notes },
		{ "once-halted", once_keys_on_a_halted_vm },
		{ "once-running", once_keys_on_a_running_guest },
		{ "once-conflict", once_and_always_on_one_key_conflict },
		{ "secret", secret_keys_are_marked },
		{ "positions", positions_format_as_snprintf },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		TCase *tc = tcase_create(cases[i].name);

		tcase_add_test(tc, cases[i].test);
		suite_add_tcase(s, tc);
	}
	return s;
}
