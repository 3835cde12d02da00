# SPDX-License-Identifier: MIT
# tests/runtime.mk (included from the top-level Makefile.am)
# The runtime: the planner without a daemon (tests/unit/test-plan), and
# `xenbake` against the sandbox host (tests/runtime/*.sh).
check_PROGRAMS += tests/unit/test-plan tests/unit/test-state \
	tests/unit/test-receipt tests/unit/test-journal
TESTS += tests/unit/test-plan tests/unit/test-state tests/unit/test-receipt \
	tests/unit/test-journal
tests_unit_test_plan_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_test_plan_LDADD = $(RUNTIME_LIBS) $(CHECK_LIBS)
tests_unit_test_state_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_test_state_LDADD = $(RUNTIME_LIBS) $(CHECK_LIBS)
tests_unit_test_receipt_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_test_receipt_LDADD = $(RUNTIME_LIBS) $(CHECK_LIBS)
tests_unit_test_journal_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_test_journal_LDADD = $(RUNTIME_LIBS) $(CHECK_LIBS)

# xenbake built with test hooks (-DXB_TEST_HOOKS): runs
# $XENBAKE_TEST_HOOK_BEFORE_COMMIT just before each xenstore commit, so a
# test can write a conflicting node or kill xenstored at that moment, and
# kills itself at $XENBAKE_TEST_HOOK_AFTER_WRITE (apply.c). The installed
# xenbake has no hook.
check_PROGRAMS += tests/runtime/xenbake-hooks
tests_runtime_xenbake_hooks_SOURCES = runtime/main.c runtime/xenstore.c \
	runtime/apply.c
tests_runtime_xenbake_hooks_CPPFLAGS = $(AM_CPPFLAGS) -DXB_TEST_HOOKS
tests_runtime_xenbake_hooks_CFLAGS = $(AM_CFLAGS) $(XENSTORE_CFLAGS) $(SODIUM_CFLAGS)
tests_runtime_xenbake_hooks_LDADD = $(RUNTIME_LIBS)

RUNTIME_SANDBOX_TESTS = \
	tests/runtime/apply-no-xapi.sh \
	tests/runtime/conflict.sh \
	tests/runtime/isolation.sh \
	tests/runtime/killed.sh \
	tests/runtime/journal-kill.sh \
	tests/runtime/journal-corrupt.sh \
	tests/runtime/journal-validate.sh \
	tests/runtime/journal-parallel.sh \
	tests/runtime/removal.sh \
	tests/runtime/plan-check.sh \
	tests/runtime/verify-first.sh \
	tests/runtime/boot.sh \
	tests/runtime/lock.sh \
	tests/runtime/receipt.sh \
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
	schema/receipt.schema.json tests/runtime/snapshot.py \
	tests/runtime/pool4.json tests/runtime/fault-points.py

# Hostile inputs to both programs and the host's replies, each refused
# with a clear message and nothing written (tests/hostile/hostile.sh).
TESTS += tests/hostile/hostile.sh
EXTRA_DIST += tests/hostile/hostile.sh tests/hostile/xs-proxy.py
