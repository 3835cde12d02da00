#!/bin/sh
# SPDX-License-Identifier: MIT
# tests/fuzz/run.sh [SECONDS] - builds each libFuzzer harness with clang
# (ASan + UBSan) and fuzzes it for SECONDS (default 60), starting from its
# seeds. A crash fails the run after the other harnesses had their turn:
# its input is printed and kept as fuzz-crashes/NAME-* in the build
# directory; once fixed it goes into tests/fuzz/regress-NAME/, which
# `make check` replays. Run from a build directory (`make fuzz`), which
# has the generated grammar.
set -eu
seconds=${1:-60}
src=$(cd "$(dirname "$0")/../.." && pwd)
build=$(pwd)
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
CC=${FUZZ_CC:-clang}
flags="-g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
 -D_GNU_SOURCE -DOPENSSL_API_COMPAT=0x10100000L -I$src -I$build"
xml="$(pkg-config --cflags libxml-2.0)"
curl="$(pkg-config --cflags libcurl)"
# lib/ hashes and signs with libcrypto (the OpenSSL backend of crypto.h)
crypto="$(pkg-config --cflags --libs libcrypto)"

# every harness links all of lib/, as both programs do, with one backend
lib=$(ls "$src"/lib/*.c | grep -v '/lib/crypto-sodium\.c$')
# shellcheck disable=SC2086
$CC $flags -Wno-unused-function -o "$out/fuzz-parse" "$src/tests/fuzz/fuzz-parse.c" \
	"$src"/compiler/diag.c "$src"/compiler/resolve.c "$src"/compiler/lower.c \
	"$src"/compiler/emit.c "$src"/compiler/names.c "$src"/compiler/strlit.c \
	"$src"/compiler/arena.c \
	"$src"/grammar/ast.c \
	"$src"/grammar/parse.c "$src"/grammar/fmt.c \
	"$build"/grammar/parser.c "$build"/grammar/lexer.c $lib $crypto
# shellcheck disable=SC2086
$CC $flags -DFUZZ_SKIP_HASH -o "$out/fuzz-blob" "$src/tests/fuzz/fuzz-blob.c" \
	"$src"/runtime/dump.c "$src"/runtime/recheck.c $lib $crypto
# shellcheck disable=SC2086
$CC $flags -DFUZZ_SKIP_HASH -o "$out/fuzz-journal" "$src/tests/fuzz/fuzz-journal.c" \
	"$src"/runtime/journal.c "$src"/runtime/state.c \
	"$src"/runtime/statedir.c "$src"/runtime/sink.c $lib $crypto
# shellcheck disable=SC2086
$CC $flags -o "$out/fuzz-json" "$src/tests/fuzz/fuzz-json.c" \
	"$src"/runtime/json.c $lib $crypto
# shellcheck disable=SC2086
# libxml2 is loaded on first use (runtime/netlibs.c), by its soname
$CC $flags -o "$out/fuzz-xmlrpc" "$src/tests/fuzz/fuzz-xmlrpc.c" \
	"$src"/runtime/xmlrpc.c "$src"/runtime/netlibs.c $lib $xml $curl \
	$crypto -lm -ldl -lpthread

total=0 crashed=
for h in parse blob xmlrpc journal json; do
	mkdir -p "$out/corpus-$h"
	cp "$src/tests/fuzz/corpus-$h"/* "$out/corpus-$h/"
	echo "fuzzing $h for ${seconds}s"
	"$out/fuzz-$h" -max_total_time="$seconds" -print_final_stats=1 \
		-artifact_prefix="$out/$h-" "$out/corpus-$h" 2>"$out/$h.log" || {
		tail -n 40 "$out/$h.log"
		for f in "$out/$h"-crash-* "$out/$h"-leak-* "$out/$h"-timeout-* \
			"$out/$h"-oom-*; do
			[ -e "$f" ] || continue
			mkdir -p "$build/fuzz-crashes"
			keep=$build/fuzz-crashes/$(basename "$f")
			cp "$f" "$keep"
			echo "crashing input, kept as $keep (add it to tests/fuzz/regress-$h/ once fixed):"
			od -c "$f" | head -20
		done
		crashed="$crashed $h"
		continue
	}
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$out/$h.log")
	echo "  $h: ${runs:-?} runs, no crash"
	total=$((total + ${runs:-0}))
done
[ -z "$crashed" ] || { echo "fuzzing: a crash in:$crashed"; exit 1; }
echo "fuzzing: $total runs in all, no crash"
