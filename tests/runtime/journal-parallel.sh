#!/bin/sh
# SPDX-License-Identifier: MIT
# kill -9 while four connections write at once (100 maps): the writes
# made by then are not a prefix of the plan, yet the next run still rolls
# them all back or finishes them all, from the journal.
. "$(dirname "$0")/../runtime/lib.sh"
need_xapi
HOOKED=$top_builddir/tests/runtime/xenbake-hooks
[ -x "$HOOKED" ] || skip "no tests/runtime/xenbake-hooks"
"$PY" "$top_srcdir/bench/gen-fixture.py" 100 halted >"$DIR/host.json"
sandbox_up "$DIR/host.json"
JOURNAL=$XENBAKE_STATE_DIR/journal      # the sandbox host's own
"$PY" "$top_srcdir/bench/gen-source.py" 100 3 "$DIR/a.xb" "$DIR/unused.dts"
sed 's/"value-/"other-/' "$DIR/a.xb" >"$DIR/b.xb"
"$XENBAKEC" -o "$DIR/a.xbb" "$DIR/a.xb" && "$XENBAKEC" -o "$DIR/b.xbb" "$DIR/b.xb" ||
	fail "xenbakec"

state() {
	"$PY" -c 'import json, sys, urllib.request
s = json.load(urllib.request.urlopen(sys.argv[1] + "/sim/state"))
print(json.dumps([(v["name_label"], v["xenstore_data"], v["other_config"])
                  for v in sorted(s["vms"], key=lambda v: v["uuid"])], sort_keys=True))' "$XENBAKE_XAPI"
}
"$XENBAKE" apply "$DIR/b.xbb" >/dev/null 2>&1 || fail "apply b"
state >"$DIR/B"
"$XENBAKE" apply "$DIR/a.xbb" >/dev/null 2>&1 || fail "apply a"
state >"$DIR/A"
# 100 maps (the unit of the writers, the journal and the kill hook), of
# 3 changed values each: 600 calls, remove_from_ and add_to_ a key
N=$("$XENBAKE" plan --json "$DIR/b.xbb" | "$PY" -c \
	'import json, sys; print(len(json.load(sys.stdin)["xapi_calls"]))')
expect_eq "maps from a to b" "$N" 100
want=$(plan_calls "$DIR/b.xbb")
expect_eq "calls from a to b" "$want" 600
sim_reset
"$XENBAKE" apply "$DIR/b.xbb" >/dev/null 2>&1 || fail "apply b"
expect_eq "writes from a to b" "$(sim_writes)" "$want"
"$XENBAKE" apply "$DIR/a.xbb" >/dev/null 2>&1 || fail "apply a"

points=0
for k in 1 17 50 83 99 commit; do
	for how in rollback finish; do
		rc=0
		(XENBAKE_TEST_HOOK_AFTER_WRITE=$k "$HOOKED" apply "$DIR/b.xbb" \
			>/dev/null 2>&1) 2>/dev/null || rc=$?
		expect_eq "killed at $k" $rc 137
		[ -s "$JOURNAL" ] || fail "no journal after a kill at $k"
		state >"$DIR/cut"
		cmp -s "$DIR/cut" "$DIR/A" && fail "nothing written by a kill at $k"
		if [ $how = rollback ]; then
			"$XENBAKE" apply "$DIR/a.xbb" >/dev/null 2>"$DIR/err" ||
				{ cat "$DIR/err" >&2; fail "apply a after a kill at $k"; }
			want=A
		else
			"$XENBAKE" apply "$DIR/b.xbb" >"$DIR/out" 2>"$DIR/err" ||
				{ cat "$DIR/err" >&2; fail "apply b after a kill at $k"; }
			grep -q "^No changes" "$DIR/out" || fail "finishing at $k left work"
			want=B
		fi
		grep -q "recovery: .*, 0 changed since by someone else" "$DIR/err" ||
			{ cat "$DIR/err" >&2; fail "$how at $k: no word of the recovery"; }
		state >"$DIR/now"
		cmp -s "$DIR/now" "$DIR/$want" || fail "$how at $k: the host is not as $want"
		[ ! -e "$JOURNAL" ] || fail "the journal stays after $how at $k"
		[ $want = A ] || "$XENBAKE" apply "$DIR/a.xbb" >/dev/null 2>&1 ||
			fail "back to a after $k"
		points=$((points + 1))
	done
done
echo "journal-parallel: $points fault points tried over 4 connections"
echo PASS
