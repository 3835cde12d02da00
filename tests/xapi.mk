# SPDX-License-Identifier: MIT
# tests/xapi.mk (included from the top-level Makefile.am)
# The XenAPI client: XML-RPC unit tests, and tests against the simulator
# and a canned-reply server through xapi-probe.
check_PROGRAMS += tests/unit/test-xmlrpc tests/unit/test-xapi \
	tests/xapi/xapi-probe
TESTS += tests/unit/test-xmlrpc tests/unit/test-xapi
tests_unit_test_xmlrpc_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(XML2_CFLAGS)
tests_unit_test_xmlrpc_LDADD = $(RUNTIME_LIBS) $(CHECK_LIBS) -lm

tests_unit_test_xapi_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_test_xapi_LDADD = $(RUNTIME_LIBS) $(CHECK_LIBS) -lm

tests_xapi_xapi_probe_SOURCES = tests/xapi/xapi-probe.c
tests_xapi_xapi_probe_CFLAGS = $(AM_CFLAGS)
tests_xapi_xapi_probe_LDADD = $(RUNTIME_LIBS) -lm

XAPI_SHELL_TESTS = tests/xapi/transport.sh tests/xapi/shapes.sh \
	tests/xapi/pool.sh tests/xapi/tls.sh tests/xapi/sim.sh \
	tests/xapi/sim-pool.sh
TESTS += $(XAPI_SHELL_TESTS)
EXTRA_DIST += $(XAPI_SHELL_TESTS) tests/xapi/lib.sh tests/xapi/canned-xapi.py \
	tests/xapi/canned-replies.json tests/xapi/fixture.json \
	tests/xapi/pool-fixture.json
