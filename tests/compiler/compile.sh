#!/bin/sh
# SPDX-License-Identifier: MIT
# xenbakec beyond single checks: exact diagnostics, JSON diagnostics,
# includes, options, byte-identical output (the round trip through
# `xenbake dump` is roundtrip.sh).
set -u
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
XENBAKEC=$top_builddir/xenbakec
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
"$XENBAKEC" --check "$work/tab.xb" 2>"$work/err"
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
assert (d[0][\"file\"], d[0][\"line\"], d[0][\"column\"]) == (\"bad-duplicate-key.xb\", 8, 5)
assert d[0][\"notes\"][0][\"line\"] == 5 and d[0][\"notes\"][0][\"message\"] == \"also defined here\"
assert set(d[0]) == {\"file\", \"line\", \"column\", \"severity\", \"check\", \"message\", \"hint\", \"notes\"}
" "$work/json"'
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
check "an include cycle: exit 1, named at the include that closes it" '[ $? -eq 1 ] && grep -q "^sub/b.xb:1:9: error: .*cycle.*\[include\]" "$work/err"'

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
"$XENBAKEC" --sign "$work/nokey.key" -o "$work/t.xbb" "$T/all-statements.xb" 2>/dev/null
check "a bad key is an error before any output" '[ $? -eq 2 ] && [ ! -e "$work/t.xbb" ]'

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
