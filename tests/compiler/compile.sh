#!/bin/sh
# SPDX-License-Identifier: MIT
# xenbakec beyond single checks: exact diagnostics, JSON diagnostics,
# includes, options, byte-identical output (the round trip through
# `xenbake dump` is roundtrip.sh).
set -u
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$(pwd)}"
XENBAKEC=$top_builddir/xenbakec
XENBAKE=$top_builddir/xenbake
T=$top_srcdir/tests/compiler
PY=${PYTHON3:-/usr/bin/python3}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
passed=0 failed=0

ok() { passed=$((passed + 1)); }
fail() { echo "FAIL: $*"; failed=$((failed + 1)); }
check() { if eval "$2"; then ok; else fail "$1"; fi; }

# --- exact text of a diagnostic: location, message, source line, caret, hint
printf 'vm "web-01" {\n\txenstore-data "tier" = "1";\n}\n' >"$work/tab.xb"
(cd "$work" && "$XENBAKEC" --check tab.xb) 2>"$work/err"
check "exit 1 on an error" '[ $? -eq 1 ]'
printf '%s\n' \
 'tab.xb:2:16: error: xenstore-data key "tier" is outside vm-data/: XenServer drops it without a word when the VM starts [xenstore-data-prefix]' \
 '	xenstore-data "tier" = "1";' \
 '	              ^' \
 'hint: write vm-data "tier" = ..., or the key "vm-data/tier"' >"$work/want"
check "exact diagnostic text (caret under a tab-indented line)" 'cmp -s "$work/want" "$work/err"' ||
	diff "$work/want" "$work/err"

# --- several errors in one run, capped
: >"$work/many.xb"
for i in $(seq 1 30); do echo "vm \"v$i\" { xenstore-data \"x$i\" = \"1\"; }" >>"$work/many.xb"; done
"$XENBAKEC" --check "$work/many.xb" 2>"$work/err"
check "errors are capped at 20" '[ "$(grep -c "error:" "$work/err")" -eq 20 ]'
check "the cap is said" 'grep -q "too many errors" "$work/err"'

# --- JSON diagnostics: one array, same findings
"$XENBAKEC" --check --diagnostics=json "$T/bad/bad-duplicate-key.xb" >"$work/json" 2>/dev/null
check "json: exit 1" '[ $? -eq 1 ]'
check "json: findings with notes" '"$PY" -c "
import json, sys
d = json.load(open(sys.argv[1]))
assert isinstance(d, list) and len(d) == 2, d
assert d[0][\"check\"] == \"duplicate-key\" and d[0][\"severity\"] == \"error\"
assert (d[0][\"file\"], d[0][\"line\"], d[0][\"column\"]) == (sys.argv[2], 8, 5), d[0]
assert d[0][\"notes\"][0][\"line\"] == 5 and d[0][\"notes\"][0][\"message\"] == \"also defined here\"
assert set(d[0]) == {\"file\", \"line\", \"column\", \"severity\", \"check\", \"message\", \"hint\", \"notes\"}
" "$work/json" "$T/bad/bad-duplicate-key.xb"'
"$XENBAKEC" --check --diagnostics=json "$T/all-statements.xb" -I "$T/inc/lib" >"$work/json"
check "json: a clean file gives []" '"$PY" -c "import json,sys; assert json.load(open(sys.argv[1])) == []" "$work/json"'

printf 'vm "a" { vm-data "k" = "\\\303\251"; }\n' >"$work/esc.xb"
"$XENBAKEC" --check --diagnostics=json "$work/esc.xb" >"$work/json" 2>/dev/null
check "json: a non-UTF-8 byte in a message still gives valid JSON" '"$PY" -c "
import json, sys
d = json.loads(open(sys.argv[1], \"rb\").read().decode(\"utf-8\"))
assert d[0][\"check\"] == \"syntax\" and \"0xc3\" in d[0][\"message\"], d
" "$work/json"'

# --- options
"$XENBAKEC" -Wno-syntax "$T/all-statements.xb" 2>"$work/err"
check "-Wno- on a fixed check is a usage error" '[ $? -eq 2 ] && grep -q "cannot be turned off" "$work/err"'
"$XENBAKEC" -Wbogus "$T/all-statements.xb" 2>/dev/null
check "-W with an unknown check is a usage error" '[ $? -eq 2 ]'
"$XENBAKEC" -o "$work/x.xbb" "$work/does-not-exist.xb" 2>"$work/err"
check "a missing source is an I/O error (2), nothing written" '[ $? -eq 2 ] && [ ! -e "$work/x.xbb" ]'
"$XENBAKEC" --help | grep -q "xenstore-data-prefix"
check "--help lists the checks" '[ $? -eq 0 ]'
cp "$T/all-statements.xb" "$work/" && mkdir -p "$work/inc" && cp -r "$T/inc/sub" "$work/inc/"
"$XENBAKEC" -I "$T/inc/lib" "$work/all-statements.xb"
check "default output FILE.xbb" '[ -s "$work/all-statements.xbb" ]'

# --- -W: one warning made an error, or off and on again
W=$T/bad/warn-unused-constant.xb
"$XENBAKEC" --check -Werror=unused-constant "$W" 2>"$work/err"
check "-Werror=CHECK makes that warning an error (exit 1)" '[ $? -eq 1 ] && grep -q "error: .*\[unused-constant\]" "$work/err"'
"$XENBAKEC" --check -Werror=hidden-sr "$W" 2>"$work/err"
check "-Werror=OTHER leaves it a warning (exit 0)" '[ $? -eq 0 ] && grep -q "warning: .*\[unused-constant\]" "$work/err"'
"$XENBAKEC" --check -Wno-unused-constant -Wunused-constant "$W" 2>"$work/err"
check "-WCHECK after -Wno-CHECK turns it back on" '[ $? -eq 0 ] && grep -q "\[unused-constant\]" "$work/err"'
"$XENBAKEC" --check -Wno-unused-constant -Werror "$W" 2>"$work/err"
check "-Werror does not revive a check turned off" '[ $? -eq 0 ] && [ ! -s "$work/err" ]'
"$XENBAKEC" --check --diagnostics=json "$W" >"$work/json" 2>"$work/err"
check "json: a warning, exit 0, nothing else on stderr" '[ $? -eq 0 ] && [ ! -s "$work/err" ] && "$PY" -c "
import json, sys
d = json.load(open(sys.argv[1]))
assert [x[\"severity\"] for x in d] == [\"warning\"], d
assert d[0][\"check\"] == \"unused-constant\" and d[0][\"hint\"]
" "$work/json"'
for f in "$T"/bad/bad-*.xb; do
	"$XENBAKEC" --check --diagnostics=json "$f" >"$work/json" 2>/dev/null
	check "json: $(basename "$f") gives one valid array" '"$PY" -c "
import json, sys
d = json.load(open(sys.argv[1]))
assert isinstance(d, list) and d and all(x[\"severity\"] in (\"error\", \"warning\") for x in d)
assert all(isinstance(x[\"line\"], int) and x[\"line\"] >= 1 and x[\"column\"] >= 1 for x in d)
" "$work/json"'
done

# --- includes: relative, through -I, read once, names relative to the main file
"$XENBAKEC" -o "$work/a.xbb" "$T/all-statements.xb" 2>"$work/err"
check "an include found only through -I is an error without it" '[ $? -eq 1 ] && grep -q "cannot include \"shared.xb\"" "$work/err"'
"$XENBAKEC" -I "$T/inc/lib" -o "$work/a.xbb" "$T/all-statements.xb"
check "includes through -I compile" '[ $? -eq 0 ]'

# --- includes: a missing one, a cycle (named at the include), and one
# included twice is read once
mkdir -p "$work/inc2/sub"
printf 'include "sub/b.xb";\nvm "a" { vm-data "k" = "${x}"; }\n' >"$work/inc2/a.xb"
printf 'include "c.xb";\nlet x = "1";\n' >"$work/inc2/sub/b.xb"
printf 'vm "c" { vm-data "k" = "2"; }\n' >"$work/inc2/sub/c.xb"
(cd / && "$XENBAKEC" -o "$work/inc2/a.xbb" "$work/inc2/a.xb")
check "an include relative to the including file (in a subfolder)" '[ $? -eq 0 ]'
check "positions name included files relative to the main file" 'grep -q "sub/c.xb" "$work/inc2/a.xbb" && ! grep -q "$work" "$work/inc2/a.xbb"'
printf 'include "../a.xb";\nlet x = "1";\n' >"$work/inc2/sub/b.xb"
"$XENBAKEC" --check "$work/inc2/a.xb" 2>"$work/err"
check "an include cycle: exit 1, named at the include that closes it" '[ $? -eq 1 ] && grep -q "^$work/inc2/sub/b.xb:1:9: error: .*cycle.*\[include\]" "$work/err"'

# a string's position is its holder's file: the included file, not the
# one that includes it (a selector, a key, a value, a let, a for's item)
printf 'include "sub/d.xb";\nvm "a" { vm-data "k" = "v"; }\n' >"$work/inc2/strs.xb"
printf 'let y = "\\q";\nvm "c*" {\n  vm-data "bad/\\x01" = "${nope}";\n}\nfor i in "\\x01" { vm "f${i}" { } }\n' >"$work/inc2/sub/d.xb"
(cd "$work/inc2" && "$XENBAKEC" --check strs.xb) 2>"$work/err"
check "a let's string in an included file" '[ $? -eq 1 ] && grep -q "^sub/d.xb:1:10: error: .*\[syntax\]" "$work/err"'
check "a selector in an included file" 'grep -q "^sub/d.xb:2:4: warning: .*\[glob-in-name\]" "$work/err"'
check "a key in an included file" 'grep -q "^sub/d.xb:3:16: error: .*\[xml-char\]" "$work/err"'
check "a value in an included file" 'grep -q "^sub/d.xb:3:25: error: .*\[undefined-constant\]" "$work/err"'
check "a for's item in an included file" 'grep -q "^sub/d.xb:5:11: error: .*\[xml-char\]" "$work/err"'

printf 'include "%s/inc2/sub/c.xb";\n' "$work" >"$work/inc2/abs.xb"
mkdir -p "$work/inc2/deep"
mv "$work/inc2/abs.xb" "$work/inc2/deep/abs.xb"
"$XENBAKEC" -o "$work/inc2/abs.xbb" "$work/inc2/deep/abs.xb"
check "an absolute include is named relative to the main file" '[ $? -eq 0 ] && grep -q "\.\./sub/c\.xb" "$work/inc2/abs.xbb" && ! grep -q "$work" "$work/inc2/abs.xbb"'

mkfifo "$work/inc2/fifo.xb"
printf 'include "fifo.xb";\n' >"$work/inc2/fifo-user.xb"
timeout 10 "$XENBAKEC" --check "$work/inc2/fifo-user.xb" 2>"$work/err"
check "including a FIFO is an include error, not a hang" '[ $? -eq 1 ] && grep -q "not a regular file.*\[include\]" "$work/err"'

# --- the same bytes every time, from anywhere
(cd "$T" && "$XENBAKEC" -I inc/lib -o "$work/b.xbb" all-statements.xb)
check "same blob from another directory and relative paths" 'cmp -s "$work/a.xbb" "$work/b.xbb"'
"$XENBAKEC" -I "$T/inc/lib" -o "$work/c.xbb" "$T/all-statements.xb"
check "same blob twice" 'cmp -s "$work/a.xbb" "$work/c.xbb"'
check "no absolute path in the blob" '! grep -q "$top_srcdir" "$work/a.xbb"'

# --- signing
"$XENBAKEC" --gen-key "$work/k" 2>/dev/null &&
"$XENBAKEC" --sign "$work/k.key" -I "$T/inc/lib" -o "$work/s.xbb" "$T/all-statements.xb"
check "--sign writes BLOB.sig" '[ -s "$work/s.xbb.sig" ]'
# the blob is streamed to its file, then signed from there: the signature
# is over the bytes written, and --check writes neither
check "the signature verifies" \
	'"$XENBAKE" --require-signature "$work/k.pub" dump "$work/s.xbb" >/dev/null'
"$XENBAKEC" --sign "$work/k.key" --check -o "$work/u.xbb" "$T/all-statements.xb" -I "$T/inc/lib"
check "--check --sign writes nothing" '[ $? -eq 0 ] && [ ! -e "$work/u.xbb" ] && [ ! -e "$work/u.xbb.sig" ]'
"$XENBAKEC" --sign "$work/nokey.key" -o "$work/t.xbb" "$T/all-statements.xb" 2>/dev/null
check "a bad key is an error before any output" '[ $? -eq 2 ] && [ ! -e "$work/t.xbb" ]'

# --- paths in diagnostics as the user can open them: from the current
# directory, as written (editors and CI annotations open them)
mkdir -p "$work/rel/site/vms"
printf 'include "vms/web.xb";\n' >"$work/rel/site/main.xb"
printf 'vm "a" { xenstore-data "k" = "1"; }\n' >"$work/rel/site/vms/web.xb"
(cd "$work/rel" && "$XENBAKEC" --check ./site/main.xb) 2>"$work/err"
check "an included file is named from the current directory" \
	'grep -q "^site/vms/web.xb:1:24: error: .*\[xenstore-data-prefix\]" "$work/err"'
(cd "$work/rel/site/vms" && "$XENBAKEC" --check ../main.xb) 2>"$work/err"
check "... also from below the main file" \
	'grep -q "^\.\./vms/web.xb:1:24: error: " "$work/err"'
(cd "$work/rel" && "$XENBAKEC" --check --diagnostics=json site/main.xb) >"$work/json" 2>/dev/null
check "... and in JSON" '"$PY" -c "
import json, sys
assert json.load(open(sys.argv[1]))[0][\"file\"] == \"site/vms/web.xb\"
" "$work/json"'
(cd "$work/rel" && "$XENBAKEC" -o a.xbb site/main.xb 2>/dev/null ||
	"$XENBAKEC" -Wno-xenstore-data-prefix -o a.xbb site/main.xb 2>/dev/null)
check "the blob still names files from the main file's folder" \
	'grep -q "vms/web.xb" "$work/rel/a.xbb" && ! grep -q "site/vms" "$work/rel/a.xbb"'

# --- JSON diagnostics sorted by file, line, column (found in another
# order: constants are resolved before blocks are lowered)
printf 'vm "a" { xenstore-data "k" = "1"; }\nvm "b" { vm-data "k" = "${nope}"; }\ninclude "z.xb";\n' >"$work/rel/sort.xb"
printf 'vm "c" { vm-data "k" = "${nope}"; }\n' >"$work/rel/z.xb"
(cd "$work/rel" && "$XENBAKEC" --check --diagnostics=json sort.xb) >"$work/json" 2>/dev/null
check "json: sorted by file, line and column" '"$PY" -c "
import json, sys
d = [(x[\"file\"], x[\"line\"], x[\"column\"]) for x in json.load(open(sys.argv[1]))]
assert d == sorted(d) and len(d) == 3, d
" "$work/json"'

# --- a constants file shared by several entry points: its lets are not
# unused-constant in the one that does not use them all
mkdir -p "$work/shared"
printf 'let site = "par-1";\nlet dns = "10.0.0.53";\n' >"$work/shared/common.xb"
printf 'include "common.xb";\nvm "a" { vm-data "site" = "${site}"; }\n' >"$work/shared/a.xb"
printf 'include "common.xb";\nvm "b" { vm-data "dns" = "${dns}"; }\n' >"$work/shared/b.xb"
printf 'include "common.xb";\nlet mine = "x";\nvm "c" { vm-data "dns" = "${dns}"; }\n' >"$work/shared/c.xb"
"$XENBAKEC" --check -Werror "$work/shared/a.xb" 2>"$work/err" &&
	"$XENBAKEC" --check -Werror "$work/shared/b.xb" 2>>"$work/err"
check "a shared constants file: -Werror passes on each entry point" '[ $? -eq 0 ] && [ ! -s "$work/err" ]'
"$XENBAKEC" --check -Werror "$work/shared/c.xb" 2>"$work/err"
check "an unused let of the main file is still reported" \
	'[ $? -eq 1 ] && grep -q "c.xb:2:5: error: constant .mine. is never used" "$work/err" && ! grep -q "site" "$work/err"'

# --- the README's CI line, on the GitOps example
ci=$(sed -n 's/^`\(xenbakec --fmt --check .*-Werror site.xb\)`$/\1/p' "$top_srcdir/README.md")
check "README: the CI line is found" '[ -n "$ci" ]'
(cd "$top_srcdir/examples/gitops" && PATH=$(cd "$top_builddir" && pwd):$PATH &&
	eval "$(echo "$ci" | sed "s/git ls-files '\*.xb'/find . -name '*.xb'/")") 2>"$work/err"
check "README: the CI line passes on examples/gitops" '[ $? -eq 0 ] && [ ! -s "$work/err" ]'

# --- bash completion: -Wno- offers exactly the checks that can be
# turned off, -W every check
if command -v bash >/dev/null 2>&1; then
	complete_w() {
		bash -c '
			_init_completion() { cur=${COMP_WORDS[COMP_CWORD]}; prev=${COMP_WORDS[COMP_CWORD-1]}; }
			_filedir() { :; }
			complete() { :; }
			. "$1"
			COMP_WORDS=(xenbakec "$2"); COMP_CWORD=1
			_xenbakec
			printf "%s\n" "${COMPREPLY[@]}" | sort' _ "$top_srcdir/contrib/bash-completion/xenbake" "$1"
	}
	"$XENBAKEC" --help | awk '/^Checks/ { on = 1; next } on && /^  [a-z]/ { print $1, $2 }' >"$work/table"
	awk '$2 != "error*" { print "-Wno-" $1 }' "$work/table" | sort >"$work/want"
	complete_w -Wno- >"$work/got"
	check "completion: -Wno- offers the checks that can be turned off" 'cmp -s "$work/want" "$work/got"' ||
		diff "$work/want" "$work/got"
	awk '{ print "-W" $1 }' "$work/table" | sort >"$work/want"
	complete_w -W | grep -v -e '^-Werror$' -e '^-Wno-$' >"$work/got"
	check "completion: -W offers every check" 'cmp -s "$work/want" "$work/got"' ||
		diff "$work/want" "$work/got"
fi

# --- --gen-key keeps an existing key unless --force
cp "$work/k.key" "$work/k.key.old"
cp "$work/k.pub" "$work/k.pub.old"
"$XENBAKEC" --gen-key "$work/k" 2>"$work/err"
check "--gen-key onto an existing key: exit 2, said" \
	'[ $? -eq 2 ] && grep -q "k.key exists; not replaced.*--force" "$work/err"'
check "--gen-key onto an existing key: both files kept" \
	'cmp -s "$work/k.key" "$work/k.key.old" && cmp -s "$work/k.pub" "$work/k.pub.old"'
rm "$work/k.key"
"$XENBAKEC" --gen-key "$work/k" 2>/dev/null
check "--gen-key onto an existing .pub alone: exit 2, kept" \
	'[ $? -eq 2 ] && [ ! -e "$work/k.key" ] && cmp -s "$work/k.pub" "$work/k.pub.old"'
cp "$work/k.key.old" "$work/k.key"
"$XENBAKEC" --gen-key "$work/k" --force 2>/dev/null
check "--gen-key --force replaces the pair" \
	'[ $? -eq 0 ] && ! cmp -s "$work/k.key" "$work/k.key.old" && ! cmp -s "$work/k.pub" "$work/k.pub.old"'
ln -s "$work/k.key.old" "$work/l.key"
"$XENBAKEC" --gen-key "$work/l" --force 2>/dev/null
check "--gen-key --force onto a symbolic link: exit 2, target kept" \
	'[ $? -eq 2 ] && [ -L "$work/l.key" ] && [ ! -e "$work/l.pub" ] && cmp -s "$work/k.key.old" "$work/l.key"'
"$XENBAKEC" --force -o "$work/f.xbb" "$T/all-statements.xb" -I "$T/inc/lib" 2>/dev/null
check "--force without --gen-key: exit 2" '[ $? -eq 2 ] && [ ! -e "$work/f.xbb" ]'

# --- -o never replaces its own source, an include, a link or a device
mkdir "$work/o"
printf 'include "inc.xb";\nvm "a" { vm-data "k" = "1"; }\n' >"$work/o/src.xb"
printf 'vm "b" { vm-data "k" = "1"; }\n' >"$work/o/inc.xb"
cp "$work/o/src.xb" "$work/o/src.orig"
cp "$work/o/inc.xb" "$work/o/inc.orig"
unchanged() { cmp -s "$work/o/src.xb" "$work/o/src.orig" && cmp -s "$work/o/inc.xb" "$work/o/inc.orig" &&
	[ "$(ls "$work/o" | grep -c XXXX)" -eq 0 ] && [ "$(ls "$work/o" | grep -c "\.xb\.")" -eq 0 ]; }
"$XENBAKEC" -o "$work/o/src.xb" "$work/o/src.xb" 2>"$work/err"
check "-o onto the source: exit 2, said, nothing written" \
	'[ $? -eq 2 ] && grep -q "is the source" "$work/err" && unchanged'
(cd "$work/o" && "$XENBAKEC" -o ./inc.xb src.xb) 2>"$work/err"
check "-o onto an included file: exit 2, said, nothing written" \
	'[ $? -eq 2 ] && grep -q "an included file" "$work/err" && unchanged'
ln "$work/o/src.xb" "$work/o/hard.xbb"
"$XENBAKEC" -o "$work/o/hard.xbb" "$work/o/src.xb" 2>/dev/null
check "-o onto a hard link to the source: exit 2" '[ $? -eq 2 ] && unchanged'
rm "$work/o/hard.xbb"
ln -s src.xb "$work/o/link.xbb"
"$XENBAKEC" -o "$work/o/link.xbb" "$work/o/src.xb" 2>"$work/err"
check "-o onto a symbolic link: exit 2, said, the link kept" \
	'[ $? -eq 2 ] && grep -q "symbolic link" "$work/err" && [ -L "$work/o/link.xbb" ] && unchanged'
ln -s nowhere "$work/o/dangling.xbb"
"$XENBAKEC" -o "$work/o/dangling.xbb" "$work/o/src.xb" 2>/dev/null
check "-o onto a dangling symbolic link: exit 2" '[ $? -eq 2 ] && [ -L "$work/o/dangling.xbb" ]'
mkfifo "$work/o/fifo.xbb"
"$XENBAKEC" -o "$work/o/fifo.xbb" "$work/o/src.xb" 2>"$work/err"
check "-o onto a FIFO: exit 2, said, the FIFO kept" \
	'[ $? -eq 2 ] && grep -q "not a regular file" "$work/err" && [ -p "$work/o/fifo.xbb" ]'
"$XENBAKEC" -o /dev/null "$work/o/src.xb" 2>"$work/err"
check "-o onto a device: exit 2, said" '[ $? -eq 2 ] && grep -q "not a regular file" "$work/err" && [ -c /dev/null ]'
ln -s nowhere "$work/o/out.xbb.sig"
"$XENBAKEC" --sign "$work/k.key" -o "$work/o/out.xbb" "$work/o/src.xb" 2>/dev/null
check "--sign onto a symbolic link: exit 2, no blob" '[ $? -eq 2 ] && [ ! -e "$work/o/out.xbb" ] && [ -L "$work/o/out.xbb.sig" ]'
"$XENBAKEC" --check -o "$work/o/src.xb" "$work/o/src.xb" 2>/dev/null
check "--check with -o onto the source writes nothing and passes" '[ $? -eq 0 ] && unchanged'
"$XENBAKEC" -o "$work/o/new.xbb" "$work/o/src.xb"
check "-o onto a new file still works" '[ $? -eq 0 ] && [ -s "$work/o/new.xbb" ]'
"$XENBAKEC" -o "$work/o/new.xbb" "$work/o/src.xb"
check "-o onto an old blob still works" '[ $? -eq 0 ] && [ -s "$work/o/new.xbb" ]'

# --- vlan is a word only after pif "DEVICE": elsewhere a clear error, and
# a name anywhere else; blob format 2 only for the pool-shaped selectors
printf 'vm "x" vlan 3 { vm-data "a" = "b"; }\n' >"$work/vlan.xb"
"$XENBAKEC" --check "$work/vlan.xb" 2>"$work/err"
check "vlan after a vm: exit 1" '[ $? -eq 1 ]'
check "vlan after a vm: said plainly" 'grep -q "1:8: error: vlan after a selector that is not pif \"DEVICE\": only a PIF is chosen by VLAN \[syntax\]" "$work/err"'
printf 'let vlan = "v";\nvm "x" { vm-data "vlan" = "${vlan}"; }\n' >"$work/vlan.xb"
"$XENBAKEC" -o "$work/vlan1.xbb" "$work/vlan.xb"
check "vlan as a name compiles" '[ $? -eq 0 ]'
check "a blob without pool selectors is format 1" '[ "$(od -An -tu4 -j4 -N8 "$work/vlan1.xbb" | tr -s " ")" = " 1 1" ]'
printf 'pif "eth1" vlan 7 { hide-from-xencenter; }\n' >"$work/vlan.xb"
"$XENBAKEC" -o "$work/vlan2.xbb" "$work/vlan.xb"
check "a blob with pif vlan is format 2" '[ "$(od -An -tu4 -j4 -N8 "$work/vlan2.xbb" | tr -s " ")" = " 2 2" ]'
# format 3 only for a host or pool block, a name-description or a tag
"$XENBAKEC" -o "$work/v3.xbb" "$T/fields-v2.xb"
check "a blob with the new fields and objects is format 3" '[ "$(od -An -tu4 -j4 -N8 "$work/v3.xbb" | tr -s " ")" = " 3 3" ]'
for stmt in 'pool { }' 'host "h" { }' 'vm "x" { tag "t"; }' 'network "n" { name-description "d"; }'; do
	printf 'pif "eth1" vlan 7 { hide-from-xencenter; }\n%s\n' "$stmt" >"$work/v3.xb"
	"$XENBAKEC" -o "$work/v3.xbb" "$work/v3.xb"
	check "format 3 for: $stmt" '[ "$(od -An -tu4 -j4 -N8 "$work/v3.xbb" | tr -s " ")" = " 3 3" ]'
done
# a once key too; the same keys without once stay format 1
printf 'vm "x" { vm-data "t" = "1" once; }\n' >"$work/once.xb"
"$XENBAKEC" -o "$work/once.xbb" "$work/once.xb"
check "format 3 for a once key" '[ "$(od -An -tu4 -j4 -N8 "$work/once.xbb" | tr -s " ")" = " 3 3" ]'
check "the once flag sits above the field in the entry word" '[ "$(od -An -tu4 -j$(od -An -tu4 -j72 -N4 "$work/once.xbb") -N4 "$work/once.xbb" | tr -d " ")" = 65537 ]'
printf 'vm "x" { vm-data "t" = "1"; other-config "once" = "once"; }\n' >"$work/once.xb"
"$XENBAKEC" -o "$work/once.xbb" "$work/once.xb"
check "without once: format 1" '[ $? -eq 0 ] && [ "$(od -An -tu4 -j4 -N8 "$work/once.xbb" | tr -s " ")" = " 1 1" ]'
printf 'sr "s" { i18n-key ebs; }\n' >"$work/ebs.xb"
"$XENBAKEC" -o "$work/ebs.xbb" "$work/ebs.xb"
check "i18n-key ebs compiles, in a format-1 blob" '[ $? -eq 0 ] && [ "$(od -An -tu4 -j4 -N8 "$work/ebs.xbb" | tr -s " ")" = " 1 1" ]'

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
