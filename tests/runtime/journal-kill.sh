#!/bin/sh
# SPDX-License-Identifier: MIT
# kill -9 between XenAPI writes, at every write: the next apply finds the
# journal and rolls the cut-off apply back (an apply of another blob) or
# finishes it (an apply of the same blob); plan and check in between only
# say it is there and write nothing (issue 12: read-only commands never
# write, and only apply, under the lock, acts on a journal). Either way the
# host, read back through Debian's XenAPI client and xenstore-ls, is
# exactly as before the apply or exactly as the config asks; never between.
# Then: a key someone added since stays and does not stop the recovery of
# its map, a key someone changed since is left alone (and named), a kill
# in the middle of a recovery is recovered too.
. "$(dirname "$0")/../runtime/lib.sh"
need_xapi
HOOKED=$top_builddir/tests/runtime/xenbake-hooks
[ -x "$HOOKED" ] || skip "no tests/runtime/xenbake-hooks"
sandbox_up "$(fixture)"
JOURNAL=$XENBAKE_STATE_DIR/journal

# A and B set the same keys (different values) and name the SR each its
# way, so applying either gives one state whatever was there before.
compile a <<'XB'
vm "web-01" { vm-data "role" = "frontend"; vm-data "net/ip" = "10.0.0.5"; other-config "owner" = "ops"; }
vm "db-01" { vm-data "role" = "db"; other-config "owner" = "dba"; }
sr "Disks" { name-label "Local storage"; other-config "tier" = "gold"; }
network "Storage network" { other-config "vlan" = "10"; }
pif "eth1" { other-config "mtu" = "9000"; }
XB
compile b <<'XB'
vm "web-01" { vm-data "role" = "backend"; vm-data "net/ip" = "10.0.0.6"; other-config "owner" = "dev"; }
vm "db-01" { vm-data "role" = "replica"; other-config "owner" = "ops"; }
sr "Local storage" { name-label "Disks"; other-config "tier" = "silver"; }
network "Storage network" { other-config "vlan" = "20"; }
pif "eth1" { other-config "mtu" = "1500"; }
XB

# a running VM's xenstore_data is xapi's copy of its live tree (read
# below), which follows it asynchronously: left out
state_xapi() {
	xapi_py <<'PYEOF'
for cls in ("VM", "SR", "network", "PIF"):
    for r in sorted(getattr(api, cls).get_all_records().values(),
                    key=lambda r: r["uuid"]):
        live = r.get("power_state") in ("Running", "Paused")
        print(cls, r["uuid"], r.get("name_label"),
              "live" if live else sorted(r.get("xenstore_data", {}).items()),
              sorted(r["other_config"].items()))
PYEOF
}
state() {
	state_xapi
	for d in 5 6 7; do
		xenstore-ls -f /local/domain/$d/vm-data 2>/dev/null || true
	done
}

"$XENBAKE" apply "$DIR/b.xbb" >/dev/null 2>&1 || fail "apply b"
state >"$DIR/B"
"$XENBAKE" apply "$DIR/a.xbb" >/dev/null 2>&1 || fail "apply a"
state >"$DIR/A"
[ ! -e "$JOURNAL" ] || fail "a journal stays after a successful apply"
cmp -s "$DIR/A" "$DIR/B" && fail "a and b give the same state"
N=$("$XENBAKE" plan --json "$DIR/b.xbb" | "$PY" -c \
	'import json, sys; print(len(json.load(sys.stdin)["xapi_calls"]))')
[ "$N" -ge 6 ] || fail "only $N XenAPI writes planned"

same() {   # same WANT: the host now is exactly state WANT
	state >"$DIR/now"
	diff -u "$DIR/$1" "$DIR/now" >&2 || fail "$2: the host is not as $1"
}

# kill B's apply at POINT (0: journal written, no write yet; N: every
# XenAPI write made; commit: the xenstore transaction too)
cut_off() {
	rc=0
	# (in a subshell, whose stderr takes the shell's "Killed")
	(XENBAKE_TEST_HOOK_AFTER_WRITE=$1 "$HOOKED" apply "$DIR/b.xbb" \
		>"$DIR/out" 2>"$DIR/err") 2>>"$DIR/killed" || rc=$?
	expect_eq "exit status killed at $1" $rc 137
	[ -s "$JOURNAL" ] || fail "no journal after a kill at $1"
}

points=0
for k in $(seq 0 "$N") commit; do
	# a read-only command first: the journal stays, nothing is written
	cut_off "$k"
	cp "$JOURNAL" "$DIR/journal.cut"
	state >"$DIR/cut"
	case $points in
	*[02468]) cmd=check ;;
	*) cmd=plan ;;
	esac
	sim_reset
	"$XENBAKE" $cmd "$DIR/a.xbb" >"$DIR/out" 2>"$DIR/err" || true
	grep -q "note: .*/journal: an apply was cut off; the next apply undoes or finishes it" "$DIR/err" ||
		{ cat "$DIR/err" >&2; fail "$cmd after a kill at $k: no word of the journal"; }
	expect_eq "XenAPI writes by $cmd after a kill at $k" "$(sim_writes)" 0
	cmp -s "$JOURNAL" "$DIR/journal.cut" || fail "$cmd after a kill at $k touched the journal"
	same cut "$cmd after a kill at $k"
	# roll back: an apply of A (not B)
	rc=0
	"$XENBAKE" apply "$DIR/a.xbb" >"$DIR/out" 2>"$DIR/err" || rc=$?
	expect_eq "apply a after a kill at $k (rc)" $rc 0
	grep -q "recovery: rolled back an apply cut off" "$DIR/err" ||
		{ cat "$DIR/err" >&2; fail "$cmd after a kill at $k: no word of the rollback"; }
	made=$k; [ "$k" = commit ] && made=$N
	grep -q ": $made XenAPI map(s) set back as they were, $((N - made)) already so" "$DIR/err" ||
		{ cat "$DIR/err" >&2; fail "rollback at $k: not $made maps set back"; }
	[ ! -e "$JOURNAL" ] || fail "the journal stays after the rollback at $k"
	same A "rolled back at $k"

	# finish: B's apply again, same blob
	cut_off "$k"
	"$XENBAKE" apply "$DIR/b.xbb" >"$DIR/out" 2>"$DIR/err" ||
		{ cat "$DIR/err" >&2; fail "apply b after a kill at $k"; }
	grep -q "recovery: finished an apply cut off" "$DIR/err" ||
		{ cat "$DIR/err" >&2; fail "apply b after a kill at $k: no word of finishing"; }
	grep -q ": $((N - made)) XenAPI map(s) written, $made already so" "$DIR/err" ||
		{ cat "$DIR/err" >&2; fail "finishing at $k: not $((N - made)) maps written"; }
	# the journal holds the XenAPI maps; the live vm-data (never written
	# through XenAPI) is the apply's own transaction, after them
	grep -Eq "^(No changes|Applied: .*\(0 XenAPI writes, 1 xenstore transaction\))" "$DIR/out" ||
		{ cat "$DIR/out" >&2; fail "finishing at $k left the apply XenAPI writes to do"; }
	[ ! -e "$JOURNAL" ] || fail "the journal stays after finishing at $k"
	same B "finished at $k"
	"$XENBAKE" apply "$DIR/a.xbb" >/dev/null 2>&1 || fail "back to a after $k"
	same A "back to a after $k"
	points=$((points + 1))
done
echo "journal-kill: $points fault points tried ($N XenAPI writes, 0..$N and after the commit), each rolled back and finished"

# killed between two calls of one map (the first calls of b are changed
# values: remove_from_ made, add_to_ not): the next run sets back, or
# finishes, key by key
C=$(plan_calls "$DIR/b.xbb")
[ "$C" -gt "$N" ] || fail "only $C XenAPI calls for $N maps"
for c in 1 2 3 $((C - 1)); do
	for how in rollback finish; do
		rc=0
		(XENBAKE_TEST_HOOK_AFTER_CALL=$c "$HOOKED" apply "$DIR/b.xbb" \
			>/dev/null 2>&1) 2>>"$DIR/killed" || rc=$?
		expect_eq "killed after call $c" $rc 137
		[ -s "$JOURNAL" ] || fail "no journal after a kill at call $c"
		if [ $how = rollback ]; then
			"$XENBAKE" apply "$DIR/a.xbb" >/dev/null 2>"$DIR/err" ||
				{ cat "$DIR/err" >&2; fail "apply a after call $c"; }
			grep -q "recovery: rolled back .*, 0 changed since by someone else" "$DIR/err" ||
				{ cat "$DIR/err" >&2; fail "rollback after call $c"; }
			same A "rolled back after call $c"
		else
			"$XENBAKE" apply "$DIR/b.xbb" >/dev/null 2>"$DIR/err" ||
				{ cat "$DIR/err" >&2; fail "apply b after call $c"; }
			grep -q "recovery: finished .*, 0 changed since by someone else" "$DIR/err" ||
				{ cat "$DIR/err" >&2; fail "finishing after call $c"; }
			same B "finished after call $c"
			"$XENBAKE" apply "$DIR/a.xbb" >/dev/null 2>&1 ||
				fail "back to a after call $c"
		fi
	done
done

# someone adds a key to a map between the kill and the next run: the
# recovery works key by key, so their key stays beside the map set back
cut_off "$N"
xapi_py <<'PYEOF'
r = [ref for ref, v in api.VM.get_all_records().items() if v["name_label"] == "db-01"][0]
api.VM.add_to_other_config(r, "someone", "else")
PYEOF
"$XENBAKE" apply "$DIR/a.xbb" >"$DIR/out" 2>"$DIR/err" ||
	{ cat "$DIR/err" >&2; fail "apply a after a third party's key"; }
grep -q "recovery: rolled back .*: $N XenAPI map(s) set back as they were, 0 already so, 0 changed since by someone else" "$DIR/err" ||
	{ cat "$DIR/err" >&2; fail "a third party's key stopped the rollback of its map"; }
got=$(xapi_py <<'PYEOF'
print(sorted(vm("db-01")["other_config"].items()))
PYEOF
)
case $got in
*"('owner', 'dba')"*"('someone', 'else')"*) ;;   # a's value beside theirs
*) fail "db-01's other_config was clobbered: $got" ;;
esac
xapi_py <<'PYEOF'
r = [ref for ref, v in api.VM.get_all_records().items() if v["name_label"] == "db-01"][0]
api.VM.remove_from_other_config(r, "someone")
PYEOF
same A "a after the third party's key"

# someone changes a key the cut-off apply wrote: that key stays theirs
# (named), the map's other keys are rolled back
cut_off "$N"
xapi_py <<'PYEOF'
r = [ref for ref, v in api.VM.get_all_records().items() if v["name_label"] == "db-01"][0]
api.VM.remove_from_other_config(r, "owner")
api.VM.add_to_other_config(r, "owner", "them")
PYEOF
"$XENBAKE" apply "$DIR/a.xbb" >"$DIR/out" 2>"$DIR/err" || true
grep -q 'left alone, changed since by someone else: vm "db-01" other_config (.*b.xb:2:' "$DIR/err" &&
grep -q 'recovery: rolled back' "$DIR/err" ||
	{ cat "$DIR/err" >&2; fail "the third party's key is not named"; }
"$XENBAKE" apply "$DIR/a.xbb" >/dev/null 2>&1 || fail "apply a after the third party"
same A "a after the third party"

# the same when finishing: a key not yet written that someone changed
# meanwhile is not overwritten by the recovery; the apply that follows
# plans on it like on any other (its value is the config's)
cut_off 1
xapi_py <<'PYEOF'
r = api.network.get_all_records()
ref = [k for k, v in r.items() if v["name_label"] == "Storage network"][0]
api.network.remove_from_other_config(ref, "vlan")
api.network.add_to_other_config(ref, "vlan", "30")
api.network.add_to_other_config(ref, "someone", "else")
PYEOF
"$XENBAKE" apply "$DIR/b.xbb" >"$DIR/out" 2>"$DIR/err" ||
	{ cat "$DIR/err" >&2; fail "apply b after a third party"; }
grep -q 'recovery: finished .*left alone, changed since by someone else: network "Storage network" other_config (.*b.xb:4:' "$DIR/err" ||
	{ cat "$DIR/err" >&2; fail "finishing: the third party's key is not named"; }
got=$(xapi_py <<'PYEOF'
r = [v for v in api.network.get_all_records().values() if v["name_label"] == "Storage network"][0]
print(r["other_config"].get("vlan"), r["other_config"].get("someone"))
PYEOF
)
expect_eq "network after finishing beside a third party" "$got" "20 else"
xapi_py <<'PYEOF'
r = api.network.get_all_records()
ref = [k for k, v in r.items() if v["name_label"] == "Storage network"][0]
api.network.remove_from_other_config(ref, "someone")
PYEOF
same B "b after the third party"
"$XENBAKE" apply "$DIR/a.xbb" >/dev/null 2>&1 || fail "back to a after the third party"

# killed in the middle of the rollback itself: the next run carries on
cut_off "$N"
rc=0
(XENBAKE_TEST_HOOK_RECOVERY_WRITE=2 "$HOOKED" apply "$DIR/a.xbb" \
	>/dev/null 2>&1) 2>>"$DIR/killed" || rc=$?
expect_eq "apply killed mid-recovery" $rc 137
[ -s "$JOURNAL" ] || fail "the journal went with a recovery cut off"
"$XENBAKE" apply "$DIR/a.xbb" >"$DIR/out" 2>"$DIR/err" ||
	{ cat "$DIR/err" >&2; fail "apply after a recovery cut off"; }
grep -q "2 already so" "$DIR/err" || { cat "$DIR/err" >&2; fail "the second recovery redid writes"; }
same A "a recovery cut off, then recovered"

# an apply still running: a plan meanwhile leaves its journal alone and
# writes nothing (the apply waits at its commit for the file go)
XENBAKE_TEST_HOOK_BEFORE_COMMIT="touch '$DIR/at-commit'; while [ ! -e '$DIR/go' ]; do sleep 0.1; done" \
	"$HOOKED" apply "$DIR/b.xbb" >"$DIR/bg.out" 2>"$DIR/bg.err" &
bg=$!
until [ -e "$DIR/at-commit" ]; do
	kill -0 $bg 2>/dev/null || { cat "$DIR/bg.err" >&2; fail "the apply ended before its commit"; }
	sleep 0.1
done
sim_reset
rc=0
"$XENBAKE" plan "$DIR/a.xbb" >/dev/null 2>"$DIR/err" || rc=$?
expect_eq "XenAPI writes by a plan during an apply" "$(sim_writes)" 0
touch "$DIR/go"
wait $bg || { cat "$DIR/bg.err" >&2; fail "the apply in progress failed"; }
expect_eq "plan during an apply" $rc 2
grep -q "note: .*/journal: an apply was cut off" "$DIR/err" ||
	{ cat "$DIR/err" >&2; fail "plan during an apply: no word of the journal"; }
[ ! -e "$JOURNAL" ] || fail "the journal stays after the apply"
same B "the apply a plan ran beside"
echo PASS
