#!/bin/sh
# SPDX-License-Identifier: MIT
# The journal is untrusted input: damaged, cut short, emptied or replaced,
# it stops apply with exit 1 and a message naming it (plan and check only
# note it, never act on it), and nothing is written to the host; put back
# whole, it is rolled back by the next apply. And:
# a journal that cannot be written stops apply before the first write; a
# write that fails names its source position and leaves no journal.
. "$(dirname "$0")/../runtime/lib.sh"
need_xapi
HOOKED=$top_builddir/tests/runtime/xenbake-hooks
[ -x "$HOOKED" ] || skip "no tests/runtime/xenbake-hooks"
sandbox_up "$(fixture)"
JOURNAL=$XENBAKE_STATE_DIR/journal
compile a <<'XB'
vm "web-01" { vm-data "role" = "frontend"; other-config "owner" = "ops"; }
vm "db-01" { other-config "owner" = "dba"; }
network "Storage network" { other-config "vlan" = "10"; }
XB
compile b <<'XB'
vm "web-01" { vm-data "role" = "backend"; other-config "owner" = "dev"; }
vm "db-01" { other-config "owner" = "ops"; }
network "Storage network" { other-config "vlan" = "20"; }
XB
state() {
	"$PY" "$SANDBOX/show-state.py" "$XENBAKE_XAPI"
	xenstore-ls -f /local/domain/5/vm-data 2>/dev/null || true
}
"$XENBAKE" apply "$DIR/a.xbb" >/dev/null 2>&1 || fail "apply a"
state >"$DIR/A"

rc=0
(XENBAKE_TEST_HOOK_AFTER_WRITE=2 "$HOOKED" apply "$DIR/b.xbb" \
	>/dev/null 2>&1) 2>/dev/null || rc=$?
expect_eq "apply killed after 2 writes" $rc 137
cp "$JOURNAL" "$DIR/journal.good"
state >"$DIR/half"
cmp -s "$DIR/A" "$DIR/half" && fail "the cut-off apply wrote nothing"

# corrupt NAME: replace the journal with a damaged copy (python reads
# journal.good, writes the journal)
corrupt() {
	"$PY" - "$DIR/journal.good" "$JOURNAL" "$1" <<'PYEOF'
import sys
good = open(sys.argv[1], "rb").read()
how = sys.argv[3]
if how == "flip":
    bad = good[:60] + bytes([good[60] ^ 1]) + good[61:]
elif how == "truncated":
    bad = good[:len(good) // 2]
elif how == "empty":
    bad = b""
elif how == "garbage":
    bad = b"\x00\xff" * 1000
elif how == "no-end":
    bad = good[:good.rindex(b"end ")]
open(sys.argv[2], "wb").write(bad)
PYEOF
}

tried=0
for how in flip truncated empty garbage no-end; do
	for cmd in plan check apply; do
		corrupt $how
		sim_reset
		rc=0
		"$XENBAKE" $cmd "$DIR/a.xbb" >"$DIR/out" 2>"$DIR/err" || rc=$?
		if [ $cmd = apply ]; then
			expect_eq "$cmd with a $how journal (rc)" $rc 1
			grep -q "xenbake: $cmd: .*/journal is corrupt: .*nothing was changed" "$DIR/err" ||
				{ cat "$DIR/err" >&2; fail "$cmd with a $how journal: no clear message"; }
		else
			# read-only: the host as it is, the journal named
			expect_eq "$cmd with a $how journal (rc)" $rc 2
			grep -q "note: .*/journal: an apply was cut off" "$DIR/err" ||
				{ cat "$DIR/err" >&2; fail "$cmd with a $how journal: no note"; }
		fi
		expect_eq "XenAPI writes with a $how journal" "$(sim_writes)" 0
		[ -e "$JOURNAL" ] || fail "$cmd removed a $how journal"
		tried=$((tried + 1))
	done
done
state >"$DIR/now"
diff -u "$DIR/half" "$DIR/now" || fail "a corrupt journal changed the host"
# not a file at all
rm -f "$JOURNAL"
mkdir "$JOURNAL"
rc=0
"$XENBAKE" apply "$DIR/a.xbb" >/dev/null 2>"$DIR/err" || rc=$?
expect_eq "apply with a directory for a journal" $rc 1
grep -q "not a regular file" "$DIR/err" || { cat "$DIR/err" >&2; fail "no word of the directory"; }
rmdir "$JOURNAL"
echo "journal-corrupt: $((tried + 1)) corrupt journals refused, none wrote"

# put back whole: rolled back
cp "$DIR/journal.good" "$JOURNAL"
"$XENBAKE" apply "$DIR/a.xbb" >/dev/null 2>"$DIR/err" ||
	{ cat "$DIR/err" >&2; fail "apply with the journal put back"; }
grep -q "recovery: rolled back" "$DIR/err" || { cat "$DIR/err" >&2; fail "no rollback"; }
state >"$DIR/now"
diff -u "$DIR/A" "$DIR/now" || fail "not rolled back"

# a journal that cannot be written (its temporary name taken by a
# directory; the lock beside it still works): apply stops before the
# first write
sim_reset
rc=0
mkdir -p "$DIR/nojournal/journal.tmp"
XENBAKE_STATE_DIR=$DIR/nojournal "$XENBAKE" apply "$DIR/b.xbb" >/dev/null 2>"$DIR/err" || rc=$?
expect_eq "apply with no room for a journal" $rc 1
grep -q "cannot write the journal: .*nothing was changed, the host is as it was" "$DIR/err" ||
	{ cat "$DIR/err" >&2; fail "no word of the journal"; }
expect_eq "XenAPI writes without a journal" "$(sim_writes)" 0

# a write that fails: named with its source position, all set back, no
# journal left
sim_fault 'fail:network.add_to_other_config#+1:INTERNAL_ERROR:injected'
rc=0
"$XENBAKE" apply "$DIR/b.xbb" >/dev/null 2>"$DIR/err" || rc=$?
expect_eq "apply with a failing write" $rc 1
grep -q "network \"Storage network\" other_config (.*b.xb:3:29): network.add_to_other_config: INTERNAL_ERROR.*set back: nothing was changed, the host is as it was" "$DIR/err" ||
	{ cat "$DIR/err" >&2; fail "the failing write is not named with its source"; }
[ ! -e "$JOURNAL" ] || fail "a journal stays after a full undo"
state >"$DIR/now"
diff -u "$DIR/A" "$DIR/now" || fail "the failed apply changed the host"

# the xenstore transaction fails (a writer before every commit): the
# message names the guest and its source, everything is set back, no
# journal stays
rc=0
XENBAKE_TEST_HOOK_BEFORE_COMMIT='xenstore-write /local/domain/5/vm-data/role intruder-$XENBAKE_TEST_ATTEMPT' \
	"$HOOKED" apply "$DIR/b.xbb" >/dev/null 2>"$DIR/err" || rc=$?
expect_eq "apply with a conflicting writer" $rc 1
grep -q "xenstore: .*(the transaction for vm web-01 (domain 5), from .*b.xb:1:15).*set back: nothing was changed, the host is as it was" "$DIR/err" ||
	{ cat "$DIR/err" >&2; fail "the failed transaction is not named with its source"; }
[ ! -e "$JOURNAL" ] || fail "a journal stays after the transaction was undone"
echo PASS
