#!/bin/sh
# SPDX-License-Identifier: MIT
# Many XenAPI writes go out over several connections at once. All or
# nothing still holds: a write that fails midway (the 150th add_to_ call,
# while other connections are writing) leaves the whole database as it
# was; without the fault every write lands, counted once, and a second
# apply makes none.
. "$(dirname "$0")/../runtime/lib.sh"
need_xapi
"$PY" "$top_srcdir/bench/gen-fixture.py" 200 halted >"$DIR/host.json"
sandbox_up "$DIR/host.json"
"$PY" "$top_srcdir/bench/gen-source.py" 200 3 "$DIR/site.xb" "$DIR/unused.dts"
"$XENBAKEC" -o "$DIR/site.xbb" "$DIR/site.xb" || fail "xenbakec"

state() {
	"$PY" -c 'import json, sys, urllib.request
s = json.load(urllib.request.urlopen(sys.argv[1] + "/sim/state"))
print(json.dumps([(v["name_label"], v["xenstore_data"], v["other_config"])
                  for v in sorted(s["vms"], key=lambda v: v["uuid"])], sort_keys=True))' "$XENBAKE_XAPI"
}
state >"$DIR/before"

sim_reset
sim_fault 'fail:VM.add_to_other_config#150:INTERNAL_ERROR:injected'
rc=0
"$XENBAKE" apply "$DIR/site.xbb" >"$DIR/out" 2>"$DIR/err" || rc=$?
expect_eq "exit status with a failing write" $rc 1
grep -q 'INTERNAL_ERROR' "$DIR/err" || { cat "$DIR/err"; fail "the failure is not named"; }
grep -q 'set back: nothing was changed' "$DIR/err" || { cat "$DIR/err"; fail "no word of the restore"; }
state >"$DIR/after"
cmp -s "$DIR/before" "$DIR/after" || fail "the database changed although the apply failed"

want=$(plan_calls "$DIR/site.xbb")
sim_reset
"$XENBAKE" apply "$DIR/site.xbb" >"$DIR/out" 2>"$DIR/err" || { cat "$DIR/err"; fail "apply"; }
expect_eq "writes of a full apply (one per changed key)" "$(sim_writes)" "$want"
grep -q '(400 XenAPI writes' "$DIR/out" || { cat "$DIR/out"; fail "not 400 maps written"; }
sim_reset
"$XENBAKE" apply "$DIR/site.xbb" >"$DIR/out" 2>"$DIR/err" || fail "second apply"
expect_eq "writes of a second apply" "$(sim_writes)" 0
echo PASS
