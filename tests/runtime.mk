# tests/runtime.mk (included from the top-level Makefile.am)
# The runtime: the planner without a daemon (tests/unit/test-plan), and
# `xenbake` against the sandbox host (tests/runtime/*.sh).
check_PROGRAMS += tests/unit/test-plan
TESTS += tests/unit/test-plan
tests_unit_test_plan_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_test_plan_LDADD = $(RUNTIME_LIBS) $(CHECK_LIBS)
