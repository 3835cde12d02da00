#!/bin/sh
# SPDX-License-Identifier: MIT
# Two applies never overlap: the second fails at once naming the holder's
# pid, or with --wait waits until the lock is free. The lock is flock(2) on
# STATE/lock, so any holder counts (here util-linux's flock).
. "$(dirname "$0")/../runtime/lib.sh"
command -v flock >/dev/null || skip "no flock(1)"
sandbox_up "$(fixture)"
STATE=$DIR/new/state
compile site <<'XB'
vm "web-01" { vm-data "role" = "frontend"; }
XB

# the state directory is made 0700 when missing (its parent too is not)
mkdir "$DIR/new"
"$XENBAKE" apply --no-xapi --state-dir "$STATE" "$DIR/site.xbb" >/dev/null 2>&1 ||
	fail "apply with a new state dir"
expect_eq "state dir mode" "$(stat -c %a "$STATE")" 700
expect_eq "lock left empty" "$(wc -c <"$STATE/lock")" 0

# a holder: flock on the lock, with its pid in the file as xenbake writes it
mkfifo "$DIR/release" "$DIR/held"
flock "$STATE/lock" sh -c 'echo $$ >"$1"; echo held >"$2"; read x <"$3"' \
	sh "$STATE/lock" "$DIR/held" "$DIR/release" &
holder=$!
read x <"$DIR/held"
pid=$(cat "$STATE/lock")
xenstore-write /local/domain/5/vm-data/role backend
rc=0
"$XENBAKE" apply --no-xapi --state-dir "$STATE" "$DIR/site.xbb" >"$DIR/out" 2>&1 || rc=$?
expect_eq "apply while locked" $rc 1
grep -q "another xenbake (pid $pid) holds $STATE/lock; --wait SECONDS waits for it" "$DIR/out" ||
	{ cat "$DIR/out"; fail "the refusal does not name the holder"; }
expect_eq "nothing written while locked" "$(xs_get /local/domain/5/vm-data/role)" backend
rc=0
"$XENBAKE" apply --no-xapi --json --state-dir "$STATE" "$DIR/site.xbb" >"$DIR/out.json" 2>/dev/null || rc=$?
expect_eq "apply --json while locked" $rc 1
"$PY" -c 'import json, sys
r = json.load(open(sys.argv[1]))
assert r["result"] == "error" and "pid %s" % sys.argv[2] in r["errors"][0], r' "$DIR/out.json" "$pid" ||
	fail "apply --json while locked: no JSON error"
# the refused runs left no receipt: the holder writes its own
expect_eq "receipts while locked" "$(find "$STATE/receipts" -name '*.json' | wc -l)" 1

# on a terminal, one line rewritten in place (\r) instead of a line per 10 s
if command -v script >/dev/null; then
	script -qec "'$XENBAKE' apply --no-xapi --wait 2 --state-dir '$STATE' '$DIR/site.xbb'" \
		/dev/null >"$DIR/tty" 2>&1 </dev/null || true
	grep -q "$(printf '\r\033\\[K')xenbake: waiting for another xenbake's lock (held by pid $pid): [0-9]* s, [0-9]* s left\.\.\." "$DIR/tty" ||
		{ od -c "$DIR/tty" | head -20; fail "no progress line on a terminal"; }
	grep -q "gave up waiting for it" "$DIR/tty" || { cat "$DIR/tty"; fail "no give-up on a terminal"; }
	grep -q "so far" "$DIR/tty" && fail "plain lines on a terminal"
fi

# --wait: waits (a line says so), then goes on once the holder is done
"$XENBAKE" apply --no-xapi --wait 600 --state-dir "$STATE" "$DIR/site.xbb" \
	>"$DIR/out" 2>&1 &
waiter=$!
i=0
until grep -q "waiting for another xenbake's lock (held by pid $pid)" "$DIR/out"; do
	i=$((i + 1))
	[ $i -lt 600 ] || { cat "$DIR/out"; fail "no waiting line"; }
	sleep 0.1
done
expect_eq "nothing written while waiting" "$(xs_get /local/domain/5/vm-data/role)" backend
echo go >"$DIR/release"
wait $holder
rc=0; wait $waiter || rc=$?
expect_eq "apply after the wait" $rc 0
expect_eq "written after the wait" "$(xs_get /local/domain/5/vm-data/role)" frontend

# plan and check take no lock: they write nothing
flock "$STATE/lock" "$XENBAKE" check --no-xapi --state-dir "$STATE" "$DIR/site.xbb" \
	>/dev/null 2>&1 || fail "check under someone else's lock"
echo PASS
