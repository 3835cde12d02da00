#!/bin/sh
# SPDX-License-Identifier: MIT
# export (issue 15 point 1) on the realistic 3-host pool: its source
# compiles, and planned on the same pool changes no key (only the record
# of the keys it adopts); once applied, nothing at all. Names that are not
# unique ("Local storage" on every host) are selected by uuid; templates,
# snapshots and control domains are left out; the options limit it.
. "$(dirname "$0")/../runtime/lib.sh"
need_xapi
export SANDBOX_HOST=xs-01
sandbox_up "$top_srcdir/tests/sim/pool3.json"
printf 'xenroot' >"$DIR/pw"; chmod 600 "$DIR/pw"
X="--password-file $DIR/pw"

"$XENBAKE" export $X >"$DIR/pool.xb" 2>"$DIR/err" || { cat "$DIR/err"; fail "export"; }
grep -q '^vm "web-01-1" {$' "$DIR/pool.xb" || { cat "$DIR/pool.xb"; fail "VM by name"; }
grep -q '^    vm-data "role" = "web";$' "$DIR/pool.xb" || { cat "$DIR/pool.xb"; fail "vm-data"; }
grep -q '^sr uuid "[0-9a-f-]*" {   # "Local storage" is not unique$' "$DIR/pool.xb" ||
	{ cat "$DIR/pool.xb"; fail "a name on every host: by uuid"; }
grep -q 'before upgrade\|Control domain\|Debian Bookworm' "$DIR/pool.xb" &&
	fail "a snapshot, template or control domain exported"
grep -q '^# Secrets: ' "$DIR/pool.xb" || fail "no note on secrets"
"$XENBAKEC" -o "$DIR/pool.xbb" "$DIR/pool.xb" 2>"$DIR/err" ||
	{ cat "$DIR/err"; fail "the export does not compile"; }

# the round trip: no key to change, only the adoption record
rc=0; "$XENBAKE" plan --json $X "$DIR/pool.xbb" >"$DIR/plan.json" 2>"$DIR/err" || rc=$?
[ $rc -le 2 ] || { cat "$DIR/err"; fail "plan of the export: exit $rc"; }
"$PY" - "$DIR/plan.json" <<'PYEOF' || fail "plan of the export changes keys"
import json, sys
p = json.load(open(sys.argv[1]))
assert p["summary"] == {"add": 0, "change": 0, "remove": 0}, p["summary"]
assert all(c["bookkeeping"] for c in p["changes"]), \
    [c for c in p["changes"] if not c["bookkeeping"]][:3]
PYEOF
"$XENBAKE" apply $X "$DIR/pool.xbb" >"$DIR/out" 2>&1 || { cat "$DIR/out"; fail "apply"; }
# (notes on stderr: the VMs running on the other hosts are theirs)
rc=0; "$XENBAKE" plan $X "$DIR/pool.xbb" >"$DIR/plan" 2>"$DIR/err" || rc=$?
expect_eq "plan after adopting" "$rc:$(cat "$DIR/plan")" "0:No changes."

# --managed: what xenbake manages now, which is all of it
"$XENBAKE" export $X --managed >"$DIR/managed.xb" || fail "export --managed"
"$XENBAKEC" -o "$DIR/managed.xbb" "$DIR/managed.xb" || fail "compile --managed"
rc=0; "$XENBAKE" diff "$DIR/pool.xbb" "$DIR/managed.xbb" >"$DIR/diff" || rc=$?
expect_eq "export --managed after adopting: the same config" "$rc" 0

# the options limit it
"$XENBAKE" export $X --class vm --name 'web-02-*' --prefix vm-data/ >"$DIR/some.xb" ||
	fail "export with options"
expect_eq "selected objects" "$(grep -c '^[a-z]' "$DIR/some.xb")" 2
grep -q 'other-config\|^sr\|web-01' "$DIR/some.xb" && { cat "$DIR/some.xb"; fail "options not applied"; }
# plan-time errors: the source line, a caret, the host's nearest name, and
# no advice to mark the block optional when a near name exists
compile typo <<'XB'
vm "Web-01-1 " { vm-data "a" = "1"; }
vm "web-0l-2" { vm-data "a" = "1"; }
vm "nobody" { vm-data "a" = "1"; }
XB
rc=0; "$XENBAKE" plan $X "$DIR/typo.xbb" >/dev/null 2>"$DIR/err" || rc=$?
expect_eq "plan exit (typos)" $rc 1
grep -q '^plan: error: .*typo.xb:1:1: vm "Web-01-1 ": no VM has this name; did you mean "web-01-1"?$' "$DIR/err" ||
	{ cat "$DIR/err"; fail "case and trailing space"; }
grep -q 'typo.xb:2:1: vm "web-0l-2": no VM has this name; did you mean "web-01-2"?$' "$DIR/err" ||
	{ cat "$DIR/err"; fail "a slipped letter"; }
grep -q 'typo.xb:3:1: vm "nobody": no VM has this name (mark the block optional' "$DIR/err" ||
	{ cat "$DIR/err"; fail "no near name: the optional advice stays"; }
grep -q '^    vm "web-0l-2" { vm-data "a" = "1"; }$' "$DIR/err" &&
	grep -q '^    ^$' "$DIR/err" || { cat "$DIR/err"; fail "source line and caret"; }
grep -c 'did you mean' "$DIR/err" | grep -qx 2 || { cat "$DIR/err"; fail "hints"; }
mv "$DIR/typo.xb" "$DIR/typo.moved"
"$XENBAKE" plan $X "$DIR/typo.xbb" >/dev/null 2>"$DIR/err" || true
grep -q '(the source typo.xb is not here: see typo.xb:2:1)' "$DIR/err" ||
	{ cat "$DIR/err"; fail "source absent"; }

rc=0; "$XENBAKE" export --no-xapi 2>/dev/null || rc=$?
expect_eq "export --no-xapi" $rc 1
echo PASS
