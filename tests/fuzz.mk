# SPDX-License-Identifier: MIT
# tests/fuzz.mk: the libFuzzer harnesses. Every build replays their seeds
# and past crashes (tests/fuzz/replay.c stands in for libFuzzer), so a
# harness cannot rot; `make fuzz` fuzzes each for FUZZ_SECONDS with clang.
check_PROGRAMS += tests/fuzz/replay-parse tests/fuzz/replay-blob \
	tests/fuzz/replay-xmlrpc tests/fuzz/replay-journal tests/fuzz/replay-json
TESTS += tests/fuzz/replay.sh
EXTRA_DIST += tests/fuzz/replay.sh tests/fuzz/run.sh \
	tests/fuzz/corpus-parse tests/fuzz/corpus-blob tests/fuzz/corpus-xmlrpc \
	tests/fuzz/corpus-journal tests/fuzz/regress-journal \
	tests/fuzz/corpus-json tests/fuzz/regress-json \
	tests/fuzz/regress-parse tests/fuzz/regress-xmlrpc

tests_fuzz_replay_parse_SOURCES = tests/fuzz/replay.c tests/fuzz/fuzz-parse.c
tests_fuzz_replay_parse_LDADD = $(COMPILER_LIBS)
tests_fuzz_replay_blob_SOURCES = tests/fuzz/replay.c tests/fuzz/fuzz-blob.c
tests_fuzz_replay_blob_LDADD = $(RUNTIME_LIBS)
tests_fuzz_replay_xmlrpc_SOURCES = tests/fuzz/replay.c tests/fuzz/fuzz-xmlrpc.c
tests_fuzz_replay_xmlrpc_CFLAGS = $(AM_CFLAGS) $(XML2_CFLAGS)
tests_fuzz_replay_xmlrpc_LDADD = $(RUNTIME_LIBS) -lm
tests_fuzz_replay_journal_SOURCES = tests/fuzz/replay.c tests/fuzz/fuzz-journal.c
tests_fuzz_replay_journal_LDADD = $(RUNTIME_LIBS)
tests_fuzz_replay_json_SOURCES = tests/fuzz/replay.c tests/fuzz/fuzz-json.c
tests_fuzz_replay_json_LDADD = $(RUNTIME_LIBS)

FUZZ_SECONDS = 60
fuzz: all
	$(SHELL) $(srcdir)/tests/fuzz/run.sh $(FUZZ_SECONDS)
.PHONY: fuzz
