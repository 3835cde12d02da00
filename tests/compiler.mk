# SPDX-License-Identifier: MIT
# tests/compiler.mk: xenbakec, from the outside (shell tests over bad-*.xb,
# golden diagnostics, options, includes, determinism, the round trip,
# --fmt) and from the inside (Check unit tests of its stages).
TESTS += tests/compiler/checks.sh tests/compiler/compile.sh \
	tests/compiler/golden.sh tests/compiler/roundtrip.sh \
	tests/compiler/manual.sh tests/compiler/fmt.sh tests/unit/test-compiler
check_PROGRAMS += tests/unit/test-compiler
tests_unit_test_compiler_SOURCES = tests/unit/test-compiler.c
tests_unit_test_compiler_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(SODIUM_CFLAGS)
tests_unit_test_compiler_LDADD = $(COMPILER_LIBS) $(CHECK_LIBS)
EXTRA_DIST += tests/compiler/checks.sh tests/compiler/compile.sh \
	tests/compiler/golden.sh tests/compiler/golden.test \
	tests/compiler/roundtrip.sh tests/compiler/manual.sh tests/compiler/fmt.sh \
	tests/compiler/all-statements.xb tests/compiler/bad tests/compiler/inc examples
# the golden pairs of fmt.sh, by name: the directory would be a target
# that make's built-in rule makes from fmt.sh
EXTRA_DIST += tests/compiler/fmt/comments.in.xb \
	tests/compiler/fmt/comments.out.xb \
	tests/compiler/fmt/i18n.in.xb \
	tests/compiler/fmt/i18n.out.xb \
	tests/compiler/fmt/includes.in.xb \
	tests/compiler/fmt/includes.out.xb \
	tests/compiler/fmt/layout.in.xb \
	tests/compiler/fmt/layout.out.xb \
	tests/compiler/fmt/strings.in.xb \
	tests/compiler/fmt/strings.out.xb
