# SPDX-License-Identifier: MIT
# tests/blob.mk (included from the top-level Makefile.am)
# The blob reader and `dump`, against blobs built by hand (tests/blob/).
HANDBLOB_SOURCES = tests/blob/handblob.c tests/blob/handblob.h

check_PROGRAMS += tests/unit/test-blob tests/unit/test-dump \
	tests/blob/gen-seeds
TESTS += tests/unit/test-blob tests/unit/test-dump tests/blob/seeds.sh
EXTRA_DIST += tests/blob/seeds.sh tests/fuzz/corpus-blob

tests_unit_test_blob_SOURCES = tests/unit/test-blob.c $(HANDBLOB_SOURCES)
tests_unit_test_blob_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(SODIUM_CFLAGS)
tests_unit_test_blob_LDADD = $(RUNTIME_LIBS) $(CHECK_LIBS)

tests_unit_test_dump_SOURCES = tests/unit/test-dump.c $(HANDBLOB_SOURCES)
tests_unit_test_dump_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(SODIUM_CFLAGS)
tests_unit_test_dump_LDADD = $(RUNTIME_LIBS) $(CHECK_LIBS)

tests_blob_gen_seeds_SOURCES = tests/blob/gen-seeds.c $(HANDBLOB_SOURCES)
tests_blob_gen_seeds_CFLAGS = $(AM_CFLAGS) $(SODIUM_CFLAGS)
tests_blob_gen_seeds_LDADD = $(RUNTIME_LIBS)
