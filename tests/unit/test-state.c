/* SPDX-License-Identifier: MIT */
/* test-state.c - the sorted string map every state is made of, and
 * finding a VM's running guest. */
#include <check.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/state.h"
#include "tests/unit/check-main.h"

START_TEST(keys_stay_sorted_and_unique)
{
	struct xb_map m = { 0 };
	static const char *keys[] = { "m", "a", "z", "b", "y", "a", "m" };
	size_t i;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		ck_assert_int_eq(xb_map_set(&m, keys[i], keys[i]), 0);
	ck_assert_uint_eq(m.n, 5);
	for (i = 1; i < m.n; i++)
		ck_assert_int_lt(strcmp(m.kv[i - 1].key, m.kv[i].key), 0);
	xb_map_free(&m);
	ck_assert_uint_eq(m.n, 0);
	ck_assert_ptr_null(m.kv);
}
END_TEST

START_TEST(set_replaces_get_finds_del_removes)
{
	struct xb_map m = { 0 };

	ck_assert_ptr_null(xb_map_get(&m, "k"));
	ck_assert_int_eq(xb_map_set(&m, "k", "1"), 0);
	ck_assert_int_eq(xb_map_set(&m, "k", "2"), 0);
	ck_assert_str_eq(xb_map_get(&m, "k"), "2");
	ck_assert_int_eq(xb_map_set(&m, "", "empty key"), 0);
	ck_assert_str_eq(xb_map_get(&m, ""), "empty key");
	xb_map_del(&m, "absent");
	ck_assert_uint_eq(m.n, 2);
	xb_map_del(&m, "k");
	ck_assert_ptr_null(xb_map_get(&m, "k"));
	ck_assert_uint_eq(m.n, 1);
	xb_map_free(&m);
}
END_TEST

START_TEST(copy_is_deep_and_equal)
{
	struct xb_map a = { 0 }, b = { 0 };
	char key[16];
	int i;

	for (i = 0; i < 100; i++) {
		snprintf(key, sizeof(key), "k%03d", i);
		ck_assert_int_eq(xb_map_set(&a, key, key), 0);
	}
	ck_assert_int_eq(xb_map_set(&b, "old", "replaced by the copy"), 0);
	ck_assert_int_eq(xb_map_copy(&b, &a), 0);
	ck_assert(xb_map_equal(&a, &b));
	ck_assert_ptr_null(xb_map_get(&b, "old"));
	ck_assert_ptr_ne(a.kv[0].key, b.kv[0].key);
	ck_assert_int_eq(xb_map_set(&b, "k050", "changed"), 0);
	ck_assert(!xb_map_equal(&a, &b));
	ck_assert_str_eq(xb_map_get(&a, "k050"), "k050");
	xb_map_del(&b, "k050");
	ck_assert(!xb_map_equal(&a, &b));
	xb_map_free(&a);
	xb_map_free(&b);
}
END_TEST

START_TEST(freeing_leaves_an_empty_state)
{
	struct xb_actual a = { 0 };
	struct xb_map m = { 0 };

	/* a state with something in it: freed, it is empty and can be
	 * freed again (cleanup paths free what may be freed already) */
	a.objects = calloc(1, sizeof(*a.objects));
	ck_assert_ptr_nonnull(a.objects);
	a.nobjects = 1;
	a.objects[0].uuid = strdup("u");
	ck_assert_int_eq(xb_map_set(&a.objects[0].other_config, "k", "v"), 0);
	a.this_host = strdup("OpaqueRef:h");
	a.have_xapi = true;
	xb_actual_free(&a);
	ck_assert_ptr_null(a.objects);
	ck_assert_uint_eq(a.nobjects, 0);
	ck_assert_ptr_null(a.this_host);
	ck_assert(!a.have_xapi);
	xb_actual_free(&a);
	xb_actual_free(NULL);

	ck_assert_int_eq(xb_map_set(&m, "k", "v"), 0);
	xb_map_free(&m);
	ck_assert_ptr_null(m.kv);
	ck_assert_uint_eq(m.n, 0);
	/* and a freed map is an empty one, ready for use */
	ck_assert_ptr_null(xb_map_get(&m, "k"));
	ck_assert_int_eq(xb_map_set(&m, "k", "w"), 0);
	ck_assert_str_eq(xb_map_get(&m, "k"), "w");
	xb_map_free(&m);
	xb_map_free(NULL);
}
END_TEST

START_TEST(borrowing_keeps_the_callers_strings)
{
	struct xb_map m = { 0 }, copy = { 0 };
	const char *keys[] = { "m", "a", "z", "a" };
	const char *vals[] = { "1", "2", "3", "4" };
	size_t i;

	for (i = 0; i < 4; i++)
		ck_assert_int_eq(xb_map_borrow(&m, keys[i], vals[i]), 0);
	ck_assert_uint_eq(m.n, 3);
	for (i = 1; i < m.n; i++)
		ck_assert_int_lt(strcmp(m.kv[i - 1].key, m.kv[i].key), 0);
	/* the very strings given, the later value replacing the first */
	ck_assert_ptr_eq(m.kv[0].key, keys[1]);
	ck_assert_ptr_eq(xb_map_get(&m, "a"), vals[3]);
	ck_assert_ptr_eq(xb_map_get(&m, "z"), vals[2]);
	/* a copy owns its strings */
	ck_assert_int_eq(xb_map_copy(&copy, &m), 0);
	ck_assert(xb_map_equal(&m, &copy));
	ck_assert_ptr_ne(copy.kv[0].key, keys[1]);
	xb_map_free(&copy);
	xb_map_release(&m);
	ck_assert_uint_eq(m.n, 0);
	ck_assert_uint_eq(m.cap, 0);
	ck_assert_ptr_null(m.kv);
}
END_TEST

START_TEST(reserve_makes_room_once)
{
	struct xb_map m = { 0 };
	struct xb_kv *kv;
	char key[16];
	int i;

	ck_assert_int_eq(xb_map_reserve(&m, 10), 0);
	ck_assert_uint_eq(m.cap, 10);
	kv = m.kv;
	for (i = 0; i < 10; i++) {
		snprintf(key, sizeof(key), "k%02d", 9 - i);
		ck_assert_int_eq(xb_map_set(&m, key, key), 0);
	}
	ck_assert_ptr_eq(m.kv, kv);          /* never grown */
	ck_assert_uint_eq(m.cap, 10);
	ck_assert_int_eq(xb_map_reserve(&m, 0), 0);
	ck_assert_uint_eq(m.cap, 10);
	ck_assert_int_eq(xb_map_reserve(&m, 5), 0);
	ck_assert_uint_eq(m.cap, 15);
	ck_assert_int_eq(xb_map_set(&m, "k10", "x"), 0);
	ck_assert_str_eq(xb_map_get(&m, "k00"), "k00");
	ck_assert_str_eq(xb_map_get(&m, "k10"), "x");
	ck_assert_int_eq(xb_map_reserve(&m, SIZE_MAX), -ENOMEM);
	xb_map_free(&m);
}
END_TEST

/* Guests in no particular order, one domid repeated by a stale reply:
 * each running VM finds its own guest by domid and uuid, and nothing
 * else finds one. */
START_TEST(each_running_vm_finds_its_guest)
{
	char u2[] = "u2", u3[] = "u3", u5[] = "u5", u7[] = "u7",
	     other[] = "other";
	struct xb_guest guests[] = {
		{ .domid = 7, .vm_uuid = u7 },
		{ .domid = 2, .vm_uuid = u2 },
		{ .domid = 7, .vm_uuid = other },
		{ .domid = 5, .vm_uuid = NULL },
		{ .domid = 3, .vm_uuid = u3 },
	};
	struct xb_actual a = { .guests = guests, .nguests = 5 };
	struct xb_object vm = { .cls = XB_CLASS_VM, .running = true };
	struct xb_domid_index *ix = xb_index_guests(&a);
	size_t i;

	ck_assert_ptr_nonnull(ix);
	for (i = 1; i < a.nguests; i++)
		ck_assert_int_le(ix[i - 1].domid, ix[i].domid);
	vm.domid = 7, vm.uuid = other;
	ck_assert_uint_eq(xb_local_guest(&a, ix, &vm), 2);
	vm.uuid = u7;
	ck_assert_uint_eq(xb_local_guest(&a, ix, &vm), 0);
	vm.domid = 2, vm.uuid = u2;
	ck_assert_uint_eq(xb_local_guest(&a, ix, &vm), 1);
	vm.domid = 3, vm.uuid = u3;
	ck_assert_uint_eq(xb_local_guest(&a, ix, &vm), 4);
	vm.uuid = u2;                       /* a domid of another VM's */
	ck_assert_uint_eq(xb_local_guest(&a, ix, &vm), SIZE_MAX);
	vm.domid = 5, vm.uuid = u5;         /* a guest of no known VM */
	ck_assert_uint_eq(xb_local_guest(&a, ix, &vm), SIZE_MAX);
	vm.domid = 9;                         /* no such domain */
	ck_assert_uint_eq(xb_local_guest(&a, ix, &vm), SIZE_MAX);
	vm.domid = 2, vm.uuid = u2, vm.running = false;
	ck_assert_uint_eq(xb_local_guest(&a, ix, &vm), SIZE_MAX);
	vm.running = true, vm.cls = XB_CLASS_SR;
	ck_assert_uint_eq(xb_local_guest(&a, ix, &vm), SIZE_MAX);
	free(ix);

	a.nguests = 0;                        /* no guests: still an index */
	ix = xb_index_guests(&a);
	ck_assert_ptr_nonnull(ix);
	vm.cls = XB_CLASS_VM;
	ck_assert_uint_eq(xb_local_guest(&a, ix, &vm), SIZE_MAX);
	free(ix);
}
END_TEST

Suite *test_suite(void)
{
	Suite *s = suite_create("state");
	TCase *tc;

	tc = tcase_create("sorted-unique");
	tcase_add_test(tc, keys_stay_sorted_and_unique);
	suite_add_tcase(s, tc);
	tc = tcase_create("set-get-del");
	tcase_add_test(tc, set_replaces_get_finds_del_removes);
	suite_add_tcase(s, tc);
	tc = tcase_create("copy-equal");
	tcase_add_test(tc, copy_is_deep_and_equal);
	suite_add_tcase(s, tc);
	tc = tcase_create("borrow-reserve");
	tcase_add_test(tc, borrowing_keeps_the_callers_strings);
	tcase_add_test(tc, reserve_makes_room_once);
	suite_add_tcase(s, tc);
	tc = tcase_create("free");
	tcase_add_test(tc, freeing_leaves_an_empty_state);
	suite_add_tcase(s, tc);
	tc = tcase_create("local-guest");
	tcase_add_test(tc, each_running_vm_finds_its_guest);
	suite_add_tcase(s, tc);
	return s;
}
