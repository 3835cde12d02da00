# tests/runtime.mk (included from the top-level Makefile.am)
# The runtime: the planner without a daemon (tests/unit/test-plan), and
# `xenbake` against the sandbox host (tests/runtime/*.sh).
check_PROGRAMS += tests/unit/test-plan tests/unit/test-state
TESTS += tests/unit/test-plan tests/unit/test-state
tests_unit_test_plan_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_test_plan_LDADD = $(RUNTIME_LIBS) $(CHECK_LIBS)
tests_unit_test_state_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_test_state_LDADD = $(RUNTIME_LIBS) $(CHECK_LIBS)

# xenbake built with test hooks (-DXB_TEST_HOOKS): runs
# $XENBAKE_TEST_HOOK_BEFORE_COMMIT just before each xenstore commit, so a
# test can write a conflicting node or kill xenstored at that moment. The
# installed xenbake has no hook.
check_PROGRAMS += tests/runtime/xenbake-hooks
tests_runtime_xenbake_hooks_SOURCES = runtime/main.c runtime/xenstore.c
tests_runtime_xenbake_hooks_CPPFLAGS = $(AM_CPPFLAGS) -DXB_TEST_HOOKS
tests_runtime_xenbake_hooks_CFLAGS = $(AM_CFLAGS) $(XENSTORE_CFLAGS)
tests_runtime_xenbake_hooks_LDADD = $(RUNTIME_LIBS)

RUNTIME_SANDBOX_TESTS = \
	tests/runtime/apply-no-xapi.sh \
	tests/runtime/conflict.sh \
	tests/runtime/isolation.sh \
	tests/runtime/killed.sh \
	tests/runtime/removal.sh \
	tests/runtime/plan-check.sh \
	tests/runtime/verify-first.sh \
	tests/runtime/boot.sh \
	tests/runtime/xapi-apply.sh \
	tests/runtime/xapi-restore.sh \
	tests/runtime/xapi-fault.sh \
	tests/runtime/xapi-options.sh \
	tests/runtime/xapi-sr.sh \
	tests/runtime/xapi-parallel.sh \
	tests/runtime/examples.sh \
	tests/runtime/pool4.sh \
	tests/runtime/fault-points.sh
TESTS += $(RUNTIME_SANDBOX_TESTS)
EXTRA_DIST += $(RUNTIME_SANDBOX_TESTS) tests/runtime/lib.sh \
	tests/runtime/snapshot.py tests/runtime/pool4.json \
	tests/runtime/fault-points.py
