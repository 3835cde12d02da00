#!/bin/sh
# SPDX-License-Identifier: MIT
# With XenAPI a running guest's VM.xenstore_data is xapi's mirror of its
# live vm-data: a guest whose mirror agrees with the config is not read
# from xenstore, so a no-op's requests do not grow with the keys (3
# guests x 2 keys and x 20 keys cost the same); an apply reads each key
# once, not again inside its transaction. A guest whose mirror
# disagrees (a hand edit xapi copied back) is read live and repaired,
# the others still not read. check and status read every guest live: a
# hand edit the mirror does not show yet (a paused VM's field set through
# XenAPI changes the database only) is drift to them, and an apply keeps
# to the mirror until it catches up (the documented trade-off).
. "$(dirname "$0")/../runtime/lib.sh"
need_xapi
fixture >/dev/null
sed -i '/"app-01"/{n;s/"Running"/"Paused"/}' "$DIR/host.json"
grep -q '"Paused"' "$DIR/host.json" || fail "no paused VM in the fixture"
sandbox_up "$DIR/host.json"

# site KEYS: every guest gets KEYS keys
site() {
	for vm in web-01 db-01 app-01; do
		echo "vm \"$vm\" {"
		i=0
		while [ $i -lt "$1" ]; do
			echo "    vm-data \"k$i\" = \"$vm-$i\";"
			i=$((i + 1))
		done
		echo "}"
	done | compile "site$1"
}
site 2
site 20

# waits until xapi's mirror of domain 5, 6, 7 holds vm-data/kN = NAME-N
mirrored() {
	for name in web-01 db-01 app-01; do
		wait_mirrored "$name" "vm-data/k$1" "$name-$1" 50
	done
}
# waits until xenstored has had no request for half a second: the
# simulator's watch has read back every change
settle() {
	last=-1 n=0
	while [ "$(wc -l <"$DIR/sb/trace")" != "$last" ]; do
		last=$(wc -l <"$DIR/sb/trace")
		n=$((n + 1)); [ $n -lt 40 ] || fail "xenstored never went quiet"
		sleep 0.5
	done
}
# requests xenbake sent since the mark (the simulator sends none while
# nothing changes: it only watches)
requests() {
	tail -n +"$(($(cat "$DIR/trace.mark") + 1))" "$DIR/sb/trace" |
		grep -c '^IN ' || true
}
key_reads() {   # key_reads DOMID: reads of that guest's vm-data keys
	tail -n +"$(($(cat "$DIR/trace.mark") + 1))" "$DIR/sb/trace" |
		grep -c "^IN .* READ (/local/domain/$1/vm-data/" || true
}
noop() {   # noop KEYS: a no-op apply, its request count in $noop_requests
	settle
	trace_mark
	"$XENBAKE" apply "$DIR/site$1.xbb" >"$DIR/out" 2>&1 ||
		{ cat "$DIR/out"; fail "no-op apply of site$1"; }
	grep -q 'No changes' "$DIR/out" || { cat "$DIR/out"; fail "site$1: not a no-op"; }
	noop_requests=$(requests)
	for d in 5 6 7; do
		expect_eq "site$1: reads of domain $d's keys" "$(key_reads $d)" 0
	done
}

"$XENBAKE" apply "$DIR/site2.xbb" >"$DIR/out" 2>&1 || { cat "$DIR/out"; fail "apply site2"; }
mirrored 1
noop 2
small=$noop_requests
settle
trace_mark
"$XENBAKE" apply "$DIR/site20.xbb" >"$DIR/out" 2>&1 || { cat "$DIR/out"; fail "apply site20"; }
# xenbake's own reads of the guests' keys (its connection: the one that
# lists / first, until its commit; the address may serve another client
# later): each key that is there once, before the transaction (the 2 a
# guest holds: the listing of its vm-data shows the 18 others absent, so
# they are not read at all), and none again inside it
expect_eq "xenbake's reads of keys, 3 guests x 2 there" "$(trace_own |
	grep -c 'READ (/local/domain/[567]/vm-data/k' || true)" 6
mirrored 19
noop 20
expect_eq "no-op requests, 20 keys a guest vs 2" "$noop_requests" "$small"
[ "$small" -le 10 ] || fail "a no-op of 3 guests sent $small requests"

# a hand edit xapi mirrored: that guest alone is read, and repaired
xenstore-write /local/domain/5/vm-data/k3 hand
wait_mirrored web-01 vm-data/k3 hand
settle
trace_mark
"$XENBAKE" apply "$DIR/site20.xbb" >"$DIR/out" 2>&1 || { cat "$DIR/out"; fail "repair"; }
expect_eq "repaired" "$(xs_get /local/domain/5/vm-data/k3)" web-01-3
[ "$(key_reads 5)" -gt 0 ] || fail "the guest whose mirror disagrees was not read"
expect_eq "reads of db-01's keys" "$(key_reads 6)" 0
expect_eq "reads of app-01's keys" "$(key_reads 7)" 0

# a hand edit the mirror does not show: check sees it, apply does not yet
xenstore-write /local/domain/7/vm-data/k4 hand
wait_mirrored app-01 vm-data/k4 hand
xapi_py <<'PYEOF' || fail "could not set the paused VM's field"
r = vm("app-01")
data = dict(r["xenstore_data"])
data["vm-data/k4"] = "app-01-4"
ref = api.VM.get_by_uuid(r["uuid"])
api.VM.set_xenstore_data(ref, data)
PYEOF
expect_eq "live edit kept" "$(xs_get /local/domain/7/vm-data/k4)" hand
rc=0
"$XENBAKE" check "$DIR/site20.xbb" >"$DIR/check" 2>&1 || rc=$?
[ $rc -ne 0 ] || { cat "$DIR/check"; fail "check missed a live edit the mirror lacks"; }
grep -q 'k4' "$DIR/check" || { cat "$DIR/check"; fail "check does not name vm-data/k4"; }
rc=0
"$XENBAKE" status >"$DIR/status" 2>&1 || rc=$?
expect_eq "status with a live edit the mirror lacks" $rc 2
grep -q 'vm-data/k4: host has "hand"' "$DIR/status" ||
	{ cat "$DIR/status"; fail "status does not name vm-data/k4"; }
"$XENBAKE" apply "$DIR/site20.xbb" >"$DIR/out" 2>&1 || { cat "$DIR/out"; fail "apply with a lagging mirror"; }
expect_eq "lagging mirror: left to the next apply" "$(xs_get /local/domain/7/vm-data/k4)" hand
echo "PASS: mirror (no-op: $small xenstore requests with 2 keys a guest and with 20)"
