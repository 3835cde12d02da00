#!/bin/sh
# SPDX-License-Identifier: MIT
# The XenAPI client's transport against a canned server: calls and their
# count, one kept-alive connection, the unix socket, the password file,
# and clear errors for HTTP failures, HTML, garbage, oversized and slow
# replies, refused connections and bad endpoints.
. "$(dirname "$0")/lib.sh"

canned ok --replies "$REPLIES" --unix "$T/xapi.sock"
URL=http://127.0.0.1:$(port ok)

# read_state: login + 5 get_all_records, one connection, then logout
probe state -e "$URL" state
expect_rc 0
has "$T/state.stdout" "host OpaqueRef:host-1 uuid=11111111-1111-1111-1111-111111111111 name=xs-01 address=192.0.2.1"
has "$T/state.stdout" "vm OpaqueRef:vm-web uuid=6f1c2a9e-3b1d-4c55-9a57-0c1d2e3f4a5b name=web-01 running=1 domid=5 resident_on=OpaqueRef:host-1 template=0 control=0"
has "$T/state.stdout" "  xenstore_data vm-data/net/ip=10.0.0.5"
has "$T/state.stdout" "  other_config HideFromXenCenter=true"
has "$T/state.stdout" "vm OpaqueRef:vm-db uuid=7a2b3c4d-0000-4000-8000-000000000002 name=db-01 running=0 domid=-1 resident_on= template=0"
has "$T/state.stdout" "name=Control domain on host: xs-01 running=1 domid=0 resident_on=OpaqueRef:host-1 template=0 control=1"
has "$T/state.stdout" "name=Debian Bookworm 12 running=0 domid=-1 resident_on= template=1 control=0"
has "$T/state.stdout" "sr OpaqueRef:sr-nfs uuid=9c000000-0000-4000-8000-000000000005 name=NFS & <friends> pbds_plugged=0"
has "$T/state.stdout" "network OpaqueRef:net-1 uuid=ad000000-0000-4000-8000-000000000006 name=Storage network"
has "$T/state.stdout" "pif OpaqueRef:pif-2 uuid=be000000-0000-4000-8000-000000000008 name= device=eth1 host=OpaqueRef:host-2 network=OpaqueRef:net-1"
[ "$(grep -c '^host ' "$T/state.stdout")" = 2 ] || fail "not 2 hosts"
[ "$(grep -c '^vm ' "$T/state.stdout")" = 4 ] || fail "not 4 VMs"
[ "$(grep -c '^pif ' "$T/state.stdout")" = 2 ] || fail "not 2 PIFs"
has "$T/state.stdout" "calls 7"
[ "$(count "$T/ok.log" '^connect$')" = 1 ] || fail "not one kept-alive connection: $(count "$T/ok.log" '^connect$')"
has "$T/ok.log" 'session.login_with_password ["root", "", "2.0", "xenbake"]'
for cls in host VM SR network PIF pool; do
	[ "$(count "$T/ok.log" "^$cls.get_all_records \[\"OpaqueRef:session-1\"\]$")" = 1 ] ||
		fail "$cls.get_all_records not called exactly once"
done
has "$T/ok.log" 'session.logout ["OpaqueRef:session-1"]'
[ "$(grep -vc '^connect$' "$T/ok.log")" = 8 ] || fail "not 8 calls on the wire"
lacks "$T/ok.log" bad-content-type

# pbds: one more call; plugged only where a PBD is attached
probe pbds -e "$URL" pbds
expect_rc 0
has "$T/pbds.stdout" "sr OpaqueRef:sr-local uuid=9c000000-0000-4000-8000-000000000004 name=Local storage pbds_plugged=1"
has "$T/pbds.stdout" "name=NFS & <friends> pbds_plugged=0"
has "$T/pbds.stdout" "calls 8"

# the unix socket (no password needed)
: >"$T/ok.log"
probe unix -e "unix:$T/xapi.sock" state
expect_rc 0
has "$T/unix.stdout" "name=web-01 running=1 domid=5"
has "$T/unix.stdout" "calls 7"
has "$T/ok.log" 'session.logout ["OpaqueRef:session-'

# XENBAKE_XAPI is the default endpoint
XENBAKE_XAPI=$URL probe env calls
expect_rc 0
has "$T/env.stdout" "calls 1"

# writes: one call each, the map in one struct
: >"$T/ok.log"
probe write -e "$URL" set-map vm OpaqueRef:vm-web xenstore_data 'vm-data/role=back<end>&' vm-data/x=1 \
	+ set-map network OpaqueRef:net-1 other_config HideFromXenCenter=true
expect_rc 0
has "$T/write.stdout" "calls 3"
has "$T/ok.log" 'VM.set_xenstore_data ["OpaqueRef:session-'
has "$T/ok.log" '", "OpaqueRef:vm-web", {"vm-data/role": "back<end>&", "vm-data/x": "1"}]'
has "$T/ok.log" '"OpaqueRef:net-1", {"HideFromXenCenter": "true"}]'

# faults: code and params
probe fault -e "$URL" set-map vm OpaqueRef:x other_config a=b
expect_rc 1
has "$T/fault.stderr" "error: VM.set_other_config: HANDLE_INVALID [VM, OpaqueRef:x]"
has "$T/fault.stderr" "fault: HANDLE_INVALID VM OpaqueRef:x"
probe nopbd -e "$URL" set-name sr OpaqueRef:sr-nfs "NFS"
expect_rc 1
has "$T/nopbd.stderr" "error: SR.set_name_label: SR_HAS_NO_PBDS [OpaqueRef:sr-nfs]"

# strings XML cannot carry are refused before sending, naming the key
: >"$T/ok.log"
probe ctl -e "$URL" set-map vm OpaqueRef:vm-web xenstore_data "vm-data/k=$(printf 'a\033b')"
expect_rc 1
has "$T/ctl.stderr" 'VM.set_xenstore_data(OpaqueRef:vm-web): value of key "vm-data/k": a control character XML cannot carry at byte 1'
lacks "$T/ok.log" set_xenstore_data
probe badutf -e "$URL" set-name sr OpaqueRef:sr-nfs "$(printf 'caf\351!')"
expect_rc 1
has "$T/badutf.stderr" "SR.set_name_label(OpaqueRef:sr-nfs): name: invalid UTF-8 at byte 3"

# the password: first line of a file others cannot read, newline stripped
printf 's3cret\nsecond line\n' >"$T/pw"
chmod 600 "$T/pw"
: >"$T/ok.log"
probe pw -e "$URL" -u admin -p "$T/pw" calls
expect_rc 0
has "$T/ok.log" 'session.login_with_password ["admin", "s3cret", "2.0", "xenbake"]'
printf 'crlf\r\n' >"$T/pw"
probe pw -e "$URL" -p "$T/pw" calls
has "$T/ok.log" '["root", "crlf", "2.0", "xenbake"]'
chmod 644 "$T/pw"
probe pwopen -e "$URL" -p "$T/pw" calls
expect_rc 1
has "$T/pwopen.stderr" "password file $T/pw: refused: others may read it"
probe pwmissing -e "$URL" -p "$T/nonexistent" calls
expect_rc 1
has "$T/pwmissing.stderr" "password file $T/nonexistent: No such file or directory"

# xapi writes map keys unescaped: a key with & or < is still read
"$PY" - "$REPLIES" "$T/raw.json" <<'PYEOF'
import json, sys
r = json.load(open(sys.argv[1]))
r["VM.get_all_records"]["OpaqueRef:vm-web"]["other_config"]["XenCenter.CustomFields.Owner & <Dept>"] = "a&b"
json.dump(r, open(sys.argv[2], "w"))
PYEOF
canned raw --replies "$T/raw.json" --raw-names
probe raw -e "http://127.0.0.1:$(port raw)" state
expect_rc 0
has "$T/raw.stdout" "  other_config XenCenter.CustomFields.Owner & <Dept>=a&b"

# HTTP errors, HTML, garbage, oversized and slow replies
canned s500 --mode status500
probe s500 -e "http://127.0.0.1:$(port s500)" state
expect_rc 1
has "$T/s500.stderr" "error: host.get_all_records: HTTP status 500 from http://127.0.0.1:$(port s500)"
canned html --mode html
probe html -e "http://127.0.0.1:$(port html)" state
expect_rc 1
has "$T/html.stderr" "host.get_all_records: malformed reply: a <!DOCTYPE>"
canned garbage --mode garbage
probe garbage -e "http://127.0.0.1:$(port garbage)" state
expect_rc 1
has "$T/garbage.stderr" "host.get_all_records: reply is not well-formed XML"
canned huge --mode huge
probe huge -e "http://127.0.0.1:$(port huge)" state
expect_rc 1
# no cap on a reply's bytes: 256 MiB of blanks are read as they come,
# never held, and refused for what they are
has "$T/huge.stderr" "host.get_all_records: reply is not well-formed XML"
canned chunked --mode huge-chunked
probe chunked -e "http://127.0.0.1:$(port chunked)" state
expect_rc 1
has "$T/chunked.stderr" "host.get_all_records: reply is not well-formed XML"
canned slow --mode slow
start=$(date +%s)
probe slow -e "http://127.0.0.1:$(port slow)" -t 500 state
expect_rc 1
[ $(( $(date +%s) - start )) -lt 3 ] || fail "the timeout did not cut the call short"
has "$T/slow.stderr" "host.get_all_records: no reply from http://127.0.0.1:$(port slow) within 500 ms"

# nothing listening; bad endpoints
probe refused -e "unix:$T/nothing.sock" state
expect_rc 1
has "$T/refused.stderr" "error: cannot connect to unix:$T/nothing.sock"
for bad in "ftp://x" "http://" "http://host:0" "http://host:99999" \
	"http://h/path" "https://a b" "unix:" "http://user@host:80"; do
	probe bad -e "$bad" state
	expect_rc 1
	has "$T/bad.stderr" "error: bad endpoint $bad"
done
echo "transport: ok"
