# SPDX-License-Identifier: MIT
# runtime/trust.mk: blob ownership and signatures
runtime_libxbruntime_a_SOURCES += runtime/trust.c runtime/trust.h

check_PROGRAMS += tests/unit/test-trust
TESTS += tests/unit/test-trust
tests_unit_test_trust_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_test_trust_LDADD = $(RUNTIME_LIBS) $(CHECK_LIBS)
