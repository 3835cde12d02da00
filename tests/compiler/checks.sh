#!/bin/sh
# SPDX-License-Identifier: MIT
# Every bad-*.xb / warn-*.xb under tests/compiler/bad/ states what must be
# reported, in lines "# expect: SEVERITY [FILE:]LINE:COL CHECK" (or "note
# LINE:COL TEXT", "hint TEXT"). For each file this asserts those
# diagnostics, the exit status, and that an error leaves an existing
# output file untouched and no temporary file behind; a warning compiles,
# and fails under -Werror, and is silent under -Wno-CHECK.
set -u
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$(pwd)}"
XENBAKEC=$top_builddir/xenbakec
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failed=0 tried=0

fail() { echo "FAIL $name: $*"; failed=$((failed + 1)); }

# run FILE [OPTIONS]: compiles into $work/out/out.xbb, which holds a
# sentinel; sets rc and leaves stderr in $work/err
run() {
	src=$1; shift
	rm -rf "$work/out"; mkdir "$work/out"
	echo sentinel >"$work/out/out.xbb"
	rc=0
	"$XENBAKEC" "$@" -o "$work/out/out.xbb" "$src" 2>"$work/err" || rc=$?
}

untouched() {
	[ "$(cat "$work/out/out.xbb")" = sentinel ] || fail "the existing output was changed"
	[ "$(ls "$work/out")" = out.xbb ] || fail "left behind: $(ls "$work/out")"
}

for src in "$top_srcdir"/tests/compiler/bad/bad-*.xb "$top_srcdir"/tests/compiler/bad/warn-*.xb; do
	name=$(basename "$src")
	tried=$((tried + 1))
	run "$src"
	[ -s "$work/err" ] || fail "nothing reported"
	errors=0 warned=
	while read -r _ _ sev loc rest; do
		case $loc in *:*:*) where=$loc ;; *) where=$name:$loc ;; esac
		case $sev in
		error|warning)
			[ "$sev" = error ] && errors=$((errors + 1))
			[ "$sev" = warning ] && warned="$warned $rest"
			grep -qF -- "$where: $sev: " "$work/err" &&
				grep -F -- "$where: $sev: " "$work/err" | grep -qF -- "[$rest]" ||
				fail "no '$where: $sev: ... [$rest]'" ;;
		note)
			grep -qF -- "$where: note: $rest" "$work/err" ||
				fail "no '$where: note: $rest'" ;;
		hint)
			grep -F "hint: " "$work/err" | grep -qF -- "$loc $rest" ||
				fail "no hint with '$loc $rest'" ;;
		esac
	done <<EOF2
$(grep '^# expect: ' "$src")
EOF2
	if [ $errors -gt 0 ]; then
		[ $rc -eq 1 ] || fail "exit status $rc, not 1"
		untouched
		# and with no output there before, none after
		rm -rf "$work/out"; mkdir "$work/out"
		"$XENBAKEC" -o "$work/out/out.xbb" "$src" 2>/dev/null
		[ $? -eq 1 ] && [ -z "$(ls "$work/out")" ] ||
			fail "an error left $(ls "$work/out") behind"
	else
		[ $rc -eq 0 ] || fail "a warning alone gave exit status $rc"
		cmp -s "$work/out/out.xbb" - <<EOF2 && fail "no blob written"
sentinel
EOF2
		run "$src" -Werror
		[ $rc -eq 1 ] || fail "-Werror gave exit status $rc, not 1"
		untouched
		for check in $warned; do
			run "$src" "-Wno-$check"
			grep -qF "[$check]" "$work/err" && fail "-Wno-$check still reports it"
			[ $rc -eq 0 ] || fail "-Wno-$check gave exit status $rc"
		done
	fi
done
echo "checks.sh: $tried files, $failed failures"
[ $failed -eq 0 ]
