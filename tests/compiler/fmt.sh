#!/bin/sh
# SPDX-License-Identifier: MIT
# fmt.sh - xenbakec --fmt: each tests/compiler/fmt/NAME.in.xb formats to
# NAME.out.xb, which is canonical (--check 0) while the input is not
# (--check 1); formatting is idempotent on every source of the tree; it
# never changes meaning (the dumps of the two blobs agree but for
# position lines, and a dump, reindented, formats back to the very bytes
# and blob); in place it is atomic, keeps the mode and a link, and leaves a
# canonical file alone; a syntax error writes nothing.
# shellcheck disable=SC2015   # "A && ok || fail": ok never fails
set -u
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$(pwd)}"
XENBAKEC=$top_builddir/xenbakec
XENBAKE=$top_builddir/xenbake
T=$top_srcdir/tests/compiler
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
passed=0 failed=0

ok() { passed=$((passed + 1)); }
fail() { echo "FAIL: $*"; failed=$((failed + 1)); }

# meaning SRC FORMATTED [options]: both compile to blobs whose dumps agree
# once the position lines (and the header naming the blob's hash) are gone
meaning() {
	a=$1 b=$2; shift 2
	"$XENBAKEC" "$@" -o "$work/m1.xbb" "$a" 2>/dev/null || return 2
	"$XENBAKEC" "$@" -o "$work/m2.xbb" "$b" || return 1
	"$XENBAKE" dump "$work/m1.xbb" | grep -v '^ *#' >"$work/m1.dump" || return 1
	"$XENBAKE" dump "$work/m2.xbb" | grep -v '^ *#' >"$work/m2.dump" || return 1
	[ -s "$work/m1.dump" ] && cmp -s "$work/m1.dump" "$work/m2.dump"
}
have_dump=false
[ -x "$XENBAKE" ] && have_dump=true

# ---- golden pairs -------------------------------------------------------
pairs=0
for in in "$T"/fmt/*.in.xb; do
	n=$(basename "$in" .in.xb)
	out=$T/fmt/$n.out.xb
	pairs=$((pairs + 1))
	if "$XENBAKEC" --fmt -o - "$in" >"$work/$n.xb" &&
	   cmp -s "$work/$n.xb" "$out"; then
		ok
	else
		fail "$n.in.xb does not format to $n.out.xb:"
		diff "$out" "$work/$n.xb" | head -20
	fi
	rc=0; "$XENBAKEC" --fmt --check "$out" 2>"$work/err" || rc=$?
	[ $rc -eq 0 ] && [ ! -s "$work/err" ] && ok || fail "$n.out.xb not canonical ($rc)"
	rc=0; "$XENBAKEC" --fmt --check "$in" 2>"$work/err" || rc=$?
	if [ $rc -eq 1 ] && grep -q "$n.in.xb: not in canonical layout" "$work/err" &&
	   grep -q "^$in:[0-9]*: -" "$work/err" && grep -q "^$in:[0-9]*: +" "$work/err"; then
		ok
	else
		fail "--check $n.in.xb: status $rc, said: $(cat "$work/err")"
	fi
	if $have_dump; then
		rc=0; meaning "$in" "$out" || rc=$?
		case $rc in
		0) ok ;;
		1) fail "$n: the formatted file means something else" ;;
		esac        # 2: the input does not compile (meant to show a case)
	fi
done
[ "$pairs" -ge 4 ] || fail "only $pairs golden pairs"

# ---- idempotence, and the same meaning, over every source ----------------
srcs=0
for src in "$top_srcdir"/examples/*/*.xb "$top_srcdir"/examples/*/*/*.xb \
	   "$T"/*.xb "$T"/inc/*/*.xb "$T"/bad/*.xb "$T"/fmt/*.xb; do
	[ -f "$src" ] || continue
	srcs=$((srcs + 1))
	rc=0; "$XENBAKEC" --fmt -o - "$src" >"$work/once.xb" 2>"$work/err" || rc=$?
	if [ $rc -ne 0 ]; then
		# only a file with a syntax error may be refused
		grep -q '\[syntax\]' "$work/err" && [ ! -s "$work/once.xb" ] &&
			[ "$(basename "$src")" = bad-syntax.xb ] && ok ||
			fail "--fmt $src: status $rc: $(head -3 "$work/err")"
		continue
	fi
	cp "$work/once.xb" "$work/once-copy.xb"
	"$XENBAKEC" --fmt -o - "$work/once.xb" >"$work/twice.xb" &&
		cmp -s "$work/once.xb" "$work/twice.xb" && ok ||
		fail "--fmt is not idempotent on $src"
done
[ "$srcs" -ge 20 ] || fail "only $srcs sources"

# the meaning of whole trees: every file of a copy formatted in place, the
# main file compiled against its formatted includes
if $have_dump; then
	tree() {   # NAME DIR MAIN [options]
		n=$1 dir=$2 main=$3; shift 3
		rm -rf "$work/tree"; cp -r "$dir" "$work/tree"
		find "$work/tree" -name '*.xb' ! -name 'bad-*' -exec "$XENBAKEC" --fmt {} + ||
			{ fail "$n: --fmt of the tree"; return; }
		(cd "$dir" && "$XENBAKEC" "$@" -o "$work/t1.xbb" "$main") || { fail "$n: compile"; return; }
		(cd "$work/tree" && "$XENBAKEC" "$@" -o "$work/t2.xbb" "$main") || { fail "$n: compile formatted"; return; }
		"$XENBAKE" dump "$work/t1.xbb" | grep -v '^ *#' >"$work/t1.dump"
		"$XENBAKE" dump "$work/t2.xbb" | grep -v '^ *#' >"$work/t2.dump"
		cmp -s "$work/t1.dump" "$work/t2.dump" && ok || fail "$n: formatting changed the meaning"
	}
	tree all-statements "$T" all-statements.xb -I inc/lib
	for ex in "$top_srcdir"/examples/*/; do
		name=$(basename "$ex")
		main=$name.xb
		[ -f "$ex/$main" ] || main=site.xb
		tree "ex-$name" "$ex" "$main"
	done

	# a dump is canonical; reindented and respaced, it formats back to
	# the same bytes, and so to the very blob (its #@ lines hold positions)
	"$XENBAKEC" -I "$T/inc/lib" -o "$work/d.xbb" "$T/all-statements.xb"
	"$XENBAKE" dump "$work/d.xbb" >"$work/d.xb"
	"$XENBAKEC" --fmt --check "$work/d.xb" && ok || fail "a dump is not canonical"
	sed -e 's/^ *//' -e 's/ = /=/' -e 's/ {$/{/' "$work/d.xb" >"$work/d-messy.xb"
	cmp -s "$work/d.xb" "$work/d-messy.xb" && fail "sed did not mess the dump up"
	"$XENBAKEC" --fmt -o - "$work/d-messy.xb" | cmp -s - "$work/d.xb" && ok ||
		fail "a messed up dump does not format back to the dump"
	"$XENBAKEC" --fmt "$work/d-messy.xb" &&
		"$XENBAKEC" -o "$work/d2.xbb" "$work/d-messy.xb" &&
		cmp -s "$work/d.xbb" "$work/d2.xbb" && ok ||
		fail "the formatted dump compiles to another blob"
else
	echo "SKIP: the meaning checks (no $XENBAKE)"
fi

# ---- in place ------------------------------------------------------------
mkdir "$work/ip"
cp "$T/fmt/layout.in.xb" "$work/ip/a.xb"
chmod 0640 "$work/ip/a.xb"
"$XENBAKEC" --fmt "$work/ip/a.xb" && cmp -s "$work/ip/a.xb" "$T/fmt/layout.out.xb" && ok ||
	fail "in place: not the formatted text"
[ "$(stat -c %a "$work/ip/a.xb")" = 640 ] && ok || fail "in place: mode $(stat -c %a "$work/ip/a.xb")"
[ "$(ls "$work/ip")" = a.xb ] && ok || fail "in place: left behind $(ls "$work/ip")"
# canonical already: not written at all
touch -d 2001-01-01 "$work/ip/a.xb"
"$XENBAKEC" --fmt "$work/ip/a.xb" && [ "$(stat -c %Y "$work/ip/a.xb")" = "$(date -d 2001-01-01 +%s)" ] && ok ||
	fail "a canonical file was rewritten"
# through a symbolic link: the link stays, its target is formatted
cp "$T/fmt/layout.in.xb" "$work/ip/target.xb"
ln -s target.xb "$work/ip/link.xb"
"$XENBAKEC" --fmt "$work/ip/link.xb" && [ -L "$work/ip/link.xb" ] &&
	cmp -s "$work/ip/target.xb" "$T/fmt/layout.out.xb" && ok || fail "a link was replaced"
# -o FILE: the source stays as it is
"$XENBAKEC" --fmt -o "$work/ip/o.xb" "$T/fmt/layout.in.xb" && cmp -s "$work/ip/o.xb" "$T/fmt/layout.out.xb" &&
	ok || fail "-o FILE"

# ---- --check: several files, statuses, nothing written -------------------
cp "$T/fmt/comments.in.xb" "$work/ip/messy.xb"
cp "$T/fmt/comments.out.xb" "$work/ip/clean.xb"
cp "$work/ip/messy.xb" "$work/ip/messy.orig"
rc=0; "$XENBAKEC" --fmt --check "$work/ip/clean.xb" "$work/ip/messy.xb" >"$work/out" 2>"$work/err" || rc=$?
[ $rc -eq 1 ] && ok || fail "--check with one messy file: status $rc"
grep -q "messy.xb: not in canonical layout" "$work/err" && ! grep -q "clean.xb" "$work/err" && ok ||
	fail "--check named the wrong files: $(cat "$work/err")"
grep -q "^$work/ip/messy.xb:1: -#!no shebang, just a comment with trailing blanks   \$" "$work/err" && ok ||
	fail "--check shows no first difference: $(cat "$work/err")"
[ ! -s "$work/out" ] && cmp -s "$work/ip/messy.xb" "$work/ip/messy.orig" && ok || fail "--check wrote something"
rc=0; "$XENBAKEC" --fmt --check "$work/ip/clean.xb" "$work/ip/a.xb" 2>"$work/err" || rc=$?
[ $rc -eq 0 ] && [ ! -s "$work/err" ] && ok || fail "--check of canonical files: status $rc"

# ---- refused: a syntax error, a position line inside a statement, usage -
printf 'vm "a" {\n    vm-data "k" = "v"\n}\n' >"$work/ip/bad.xb"
cp "$work/ip/bad.xb" "$work/ip/bad.orig"
for mode in "" "-o -" "-o $work/ip/bad-out.xb" "--check"; do
	rc=0
	# shellcheck disable=SC2086
	"$XENBAKEC" --fmt $mode "$work/ip/bad.xb" >"$work/out" 2>"$work/err" || rc=$?
	[ $rc -eq 1 ] && grep -q 'bad.xb:2:22: error: missing .;. .*\[syntax\]' "$work/err" && ok ||
		fail "--fmt $mode of a syntax error: status $rc: $(cat "$work/err")"
	[ ! -s "$work/out" ] && cmp -s "$work/ip/bad.xb" "$work/ip/bad.orig" && [ ! -e "$work/ip/bad-out.xb" ] && ok ||
		fail "--fmt $mode of a syntax error wrote something"
done
printf 'vm "a" { vm-data "k" = "a\\qb"; }\n' >"$work/ip/esc.xb"
rc=0; "$XENBAKEC" --fmt "$work/ip/esc.xb" 2>"$work/err" || rc=$?
[ $rc -eq 1 ] && grep -q "esc.xb:1:26: error: unknown escape '\\\\q'" "$work/err" && ok ||
	fail "a bad escape: status $rc: $(cat "$work/err")"
printf 'vm "a" {\n    vm-data\n    #@ "x.xb" 1:1\n    "k" = "v";\n}\n' >"$work/ip/pos.xb"
rc=0; "$XENBAKEC" --fmt "$work/ip/pos.xb" 2>"$work/err" || rc=$?
[ $rc -eq 1 ] && grep -q "pos.xb:3:5: error: a position line inside a statement" "$work/err" && ok ||
	fail "a position line inside a statement: status $rc: $(cat "$work/err")"
for args in "--fmt" "--fmt -o x.xb a.xb b.xb" "--fmt --check -o x.xb a.xb" "--fmt --sign k.key a.xb"; do
	rc=0
	# shellcheck disable=SC2086
	(cd "$work/ip" && "$XENBAKEC" $args) 2>/dev/null || rc=$?
	[ $rc -eq 2 ] && ok || fail "xenbakec $args: status $rc, not 2"
done
# a missing file is an I/O error, the worst status of several files
rc=0; "$XENBAKEC" --fmt --check "$work/ip/clean.xb" "$work/ip/missing.xb" 2>/dev/null || rc=$?
[ $rc -eq 2 ] && ok || fail "a missing file: status $rc, not 2"
# a CRLF file: LF out, the same again after
printf 'vm "a" {\r\n    vm-data "k" = "v"; # c\r\n}\r\n' >"$work/ip/crlf.xb"
"$XENBAKEC" --fmt -o - "$work/ip/crlf.xb" >"$work/out" &&
	printf 'vm "a" {\n    vm-data "k" = "v"; # c\n}\n' | cmp -s - "$work/out" && ok || fail "a CRLF file"
# a difference no one could see is named
printf 'let a = "b";' >"$work/ip/nonl.xb"
rc=0; "$XENBAKEC" --fmt --check "$work/ip/nonl.xb" 2>"$work/err" || rc=$?
[ $rc -eq 1 ] && grep -q "nonl.xb:1: the line ends differently" "$work/err" && ok ||
	fail "no newline at the end: status $rc: $(cat "$work/err")"
rc=0; "$XENBAKEC" --fmt --check "$work/ip/crlf.xb" 2>"$work/err" || rc=$?
[ $rc -eq 1 ] && grep -q "crlf.xb:1: the line ends differently" "$work/err" && ok ||
	fail "CR LF: status $rc: $(cat "$work/err")"
# an empty file, and one of comments only
: >"$work/ip/empty.xb"
"$XENBAKEC" --fmt --check "$work/ip/empty.xb" && ok || fail "an empty file is not canonical"
printf '\n\n# only\n\n\n# comments   \n\n' >"$work/ip/only.xb"
printf '# only\n\n# comments\n' >"$work/only.want"
"$XENBAKEC" --fmt -o - "$work/ip/only.xb" | cmp -s - "$work/only.want" && ok ||
	fail "a file of comments only"

# ---- the examples are in canonical layout, as a repository checked in CI --
# shellcheck disable=SC2046
"$XENBAKEC" --fmt --check $(find "$top_srcdir/examples" -name '*.xb' | sort) \
	2>"$work/err" && ok || fail "examples not canonical: $(cat "$work/err")"

echo "fmt.sh: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
