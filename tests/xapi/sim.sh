#!/bin/sh
# The XenAPI client against the sandbox's simulator: login over TCP and
# over the unix socket, read_state gives the fixture's objects in exactly
# 5 calls (plus login), set_map and set_name_label round trip, faults come
# with code and params, and the session is logged out at exit.
. "$top_srcdir/tests/xapi/lib.sh"
[ -e "$top_srcdir/tests/sandbox/xapisim.py" ] || { echo "no simulator yet: skipped"; exit 77; }

FIXTURE=$top_srcdir/tests/xapi/fixture.json
SB=$T/sandbox
trap '"$top_srcdir/tests/sandbox/down" "$SB" >/dev/null 2>&1 || true; cleanup' EXIT
"$top_srcdir/tests/sandbox/up" "$FIXTURE" "$SB" 2>"$T/up.log" || { cat "$T/up.log" >&2; fail "sandbox did not start"; }
. "$SB/env"
[ -n "$XENBAKE_XAPI" ] || fail "the sandbox has no XenAPI endpoint"

# ref_of FILE CLASS UUID: the ref the simulator gave that object
ref_of() {
	sed -n "s/^$2 \([^ ]*\) uuid=$3 .*/\1/p" "$1"
}

probe tcp state
expect_rc 0
has "$T/tcp.stdout" "calls 6"
has "$T/tcp.stdout" "uuid=11111111-1111-4111-8111-111111111111 name=xs-01 address=127.0.0.1"
has "$T/tcp.stdout" "uuid=6f1c2a9e-3b1d-4c55-9a57-0c1d2e3f4a5b name=web-01 running=1 domid=5"
has "$T/tcp.stdout" "uuid=7a2b3c4d-0000-4000-8000-000000000002 name=db-01 running=0 domid=-1 resident_on= template=0 control=0"
has "$T/tcp.stdout" "  xenstore_data vm-data/role=frontend"
has "$T/tcp.stdout" "  other_config owner=ops"
has "$T/tcp.stdout" "uuid=9c000000-0000-4000-8000-000000000004 name=Local storage"
has "$T/tcp.stdout" "uuid=ad000000-0000-4000-8000-000000000006 name=Storage network"
has "$T/tcp.stdout" "device=eth1"
HOST=$(sed -n 's/^host \([^ ]*\) uuid=11111111-1111-4111-8111-111111111111 .*/\1/p' "$T/tcp.stdout")
VM=$(ref_of "$T/tcp.stdout" vm 6f1c2a9e-3b1d-4c55-9a57-0c1d2e3f4a5b)
SR=$(ref_of "$T/tcp.stdout" sr 9c000000-0000-4000-8000-000000000004)
SR_DETACHED=$(ref_of "$T/tcp.stdout" sr 9c000000-0000-4000-8000-000000000005)
NET=$(ref_of "$T/tcp.stdout" network ad000000-0000-4000-8000-000000000006)
[ -n "$HOST" ] && [ -n "$VM" ] && [ -n "$SR" ] && [ -n "$SR_DETACHED" ] && [ -n "$NET" ] ||
	fail "refs not found in the state"
has "$T/tcp.stdout" "running=1 domid=5 resident_on=$HOST "
has "$T/tcp.stdout" "device=eth1 host=$HOST network=$NET"

# the unix socket
probe unix -e "unix:$SB/xapi.sock" state
expect_rc 0
has "$T/unix.stdout" "name=web-01 running=1 domid=5"
has "$T/unix.stdout" "calls 6"

# PBDs: plugged as the fixture says
probe pbds pbds
expect_rc 0
has "$T/pbds.stdout" "sr $SR uuid=9c000000-0000-4000-8000-000000000004 name=Local storage pbds_plugged=1"
has "$T/pbds.stdout" "sr $SR_DETACHED uuid=9c000000-0000-4000-8000-000000000005 name=Detached NFS pbds_plugged=0"
has "$T/pbds.stdout" "calls 7"

# set_map and set_name_label round trip, in one session
probe write set-map vm "$VM" xenstore_data 'vm-data/role=back<end>&' vm-data/x=1 \
	+ set-map vm "$VM" other_config owner=dev 'note=caf&#233;' \
	+ set-map network "$NET" other_config HideFromXenCenter=true \
	+ set-name sr "$SR" "Local storage (renamed)" + state
expect_rc 0
has "$T/write.stdout" "  xenstore_data vm-data/role=back<end>&"
has "$T/write.stdout" "  xenstore_data vm-data/x=1"
has "$T/write.stdout" "  other_config note=caf&#233;"
has "$T/write.stdout" "  other_config owner=dev"
has "$T/write.stdout" "  other_config HideFromXenCenter=true"
has "$T/write.stdout" "sr $SR uuid=9c000000-0000-4000-8000-000000000004 name=Local storage (renamed)"
has "$T/write.stdout" "calls 10"             # login, 4 writes, 5 reads
# the whole map was replaced
probe after state
lacks "$T/after.stdout" "vm-data/role=frontend"

# faults with code and params
probe handle set-map vm OpaqueRef:no-such-vm other_config a=b
expect_rc 1
has "$T/handle.stderr" "error: VM.set_other_config: HANDLE_INVALID [VM, OpaqueRef:no-such-vm]"
has "$T/handle.stderr" "fault: HANDLE_INVALID VM OpaqueRef:no-such-vm"
probe nopbd set-name sr "$SR_DETACHED" "New name"
expect_rc 1
has "$T/nopbd.stderr" "error: SR.set_name_label: SR_HAS_NO_PBDS [$SR_DETACHED]"
echo "sim: ok"
