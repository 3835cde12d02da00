# tests/compiler.mk: xenbakec, from the outside
TESTS += tests/compiler/checks.sh tests/compiler/compile.sh
EXTRA_DIST += tests/compiler/checks.sh tests/compiler/compile.sh \
	tests/compiler/all-statements.xb tests/compiler/bad tests/compiler/inc \
	examples
