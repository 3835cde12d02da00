#!/bin/sh
# SPDX-License-Identifier: MIT
# Secret values end to end: sealed by xenbakec to two host keys, opened by
# xenbake with --host-key. The guest (running: its live vm-data) and XenAPI
# (a halted VM's xenstore_data, other_config) get the plaintext; no output
# of plan, check, apply, status or dump, text or --json, no receipt or
# state file, no system log line and no stderr holds it. No key, a key
# others may read, another host's key and a tampered sealed value: exit 1
# before any write, the host as it was.
. "$(dirname "$0")/../runtime/lib.sh"
need_xapi
cat >"$DIR/host.json" <<'FXEOF'
{"hosts": [{"uuid": "0b7a0c52-0000-4000-8000-000000000001",
            "name_label": "xs-01", "address": "127.0.0.1"}],
 "vms": [{"uuid": "5e1f0000-0000-4000-8000-000000000005",
          "name_label": "web-01", "power_state": "Running", "domid": 5,
          "resident_on": "0b7a0c52-0000-4000-8000-000000000001",
          "is_a_template": false, "is_control_domain": false,
          "xenstore_data": {}, "other_config": {}},
         {"uuid": "5e1f0000-0000-4000-8000-000000000006",
          "name_label": "db-01", "power_state": "Halted",
          "is_a_template": false, "is_control_domain": false,
          "xenstore_data": {}, "other_config": {}}],
 "srs": [], "networks": [], "pifs": []}
FXEOF
sandbox_up "$DIR/host.json"

# the system log, read back here
syslog_listen "$DIR/syslog"

mkdir "$DIR/keys" "$DIR/out"
(cd "$DIR/keys" && "$XENBAKEC" --gen-key host1 && "$XENBAKEC" --gen-key host2 &&
	"$XENBAKEC" --gen-key other) 2>/dev/null || fail "--gen-key"
# the secrets: random, so that no other text can hold them by chance
PW=pw-$("$PY" -c 'import secrets; print(secrets.token_hex(16))')
TOKEN=tk-$("$PY" -c 'import secrets; print(secrets.token_hex(16))')
printf '%s' "$PW" >"$DIR/password.txt"
printf '%s\n' "$TOKEN" >"$DIR/token.txt"
cat >"$DIR/site.xb" <<'XB'
vm "web-01" {
    vm-data "admin/password" = secret "password.txt";
    vm-data "role" = "web";
    other-config "api-token" = secret "token.txt";
}
vm "db-01" {
    vm-data "admin/password" = secret "password.txt";
}
XB
"$XENBAKEC" --seal-to "$DIR/keys/host1.pub" --seal-to "$DIR/keys/host2.pub" \
	-o "$DIR/site.xbb" "$DIR/site.xb" 2>"$DIR/out/xenbakec.err" ||
	{ cat "$DIR/out/xenbakec.err"; fail "xenbakec --seal-to"; }

# "NAME" "$@": runs xenbake with the sandbox's state dir, keeping stdout,
# stderr and the exit status under out/NAME
run() {
	name=$1; shift
	rc=0
	"$XENBAKE" "$@" >"$DIR/out/$name.out" 2>"$DIR/out/$name.err" || rc=$?
	echo $rc >"$DIR/out/$name.rc"
}
state() {
	"$PY" "$SANDBOX/show-state.py" "$XENBAKE_XAPI" || fail "show-state"
	for k in admin/password role; do xs_get "/local/domain/5/vm-data/$k"; done
}

# refused before any write: nothing written, nothing called but reads
state >"$DIR/before"
sim_reset
run nokey apply "$DIR/site.xbb" --host-key "$DIR/keys/none.key"
expect_eq "no host key: exit" "$(cat "$DIR/out/nokey.rc")" 1
grep -q "the blob holds secrets and the host key cannot be read" "$DIR/out/nokey.err" ||
	{ cat "$DIR/out/nokey.err"; fail "no host key: message"; }
run default apply "$DIR/site.xbb"
expect_eq "the default host key (absent here): exit" "$(cat "$DIR/out/default.rc")" 1
grep -qF "/etc/xenbake/host.key" "$DIR/out/default.err" ||
	{ cat "$DIR/out/default.err"; fail "default host key: not named"; }
run other apply "$DIR/site.xbb" --host-key "$DIR/keys/other.key"
expect_eq "another host's key: exit" "$(cat "$DIR/out/other.rc")" 1
grep -qF 'vm "db-01": xenstore_data "vm-data/admin/password": cannot open the secret: not sealed to this host' "$DIR/out/other.err" ||
	{ cat "$DIR/out/other.err"; fail "another host's key: message"; }
cp "$DIR/keys/host1.key" "$DIR/keys/open.key"
chmod 644 "$DIR/keys/open.key"
run open apply "$DIR/site.xbb" --host-key "$DIR/keys/open.key"
expect_eq "a host key others may read: exit" "$(cat "$DIR/out/open.rc")" 1
grep -qF "neither readable nor writable by group or others" "$DIR/out/open.err" ||
	{ cat "$DIR/out/open.err"; fail "open host key: message"; }
# a sealed value altered, the blob re-hashed: the box does not open
"$PY" - "$DIR/site.xbb" "$DIR/tampered.xbb" <<'PYEOF'
import base64, hashlib, re, struct, sys
b = bytes(open(sys.argv[1], "rb").read())
for m in set(re.findall(rb"WEJTTA[A-Za-z0-9+/=]+", b)):
    bundle = bytearray(base64.b64decode(m))
    n, size = bundle[5], struct.unpack("<I", bundle[8:12])[0]
    rec = 8 + 32 + size + 16
    for r in range(n):             # a byte of every recipient's box
        bundle[12 + r * rec + 45] ^= 1
    b = b.replace(m, base64.b64encode(bytes(bundle)))
b = bytearray(b)
b[24:56] = bytes(32)
b[24:56] = hashlib.sha256(b).digest()
open(sys.argv[2], "wb").write(b)
PYEOF
for cmd in plan check apply; do
	run tampered-$cmd $cmd "$DIR/tampered.xbb" --host-key "$DIR/keys/host1.key"
	expect_eq "tampered $cmd: exit" "$(cat "$DIR/out/tampered-$cmd.rc")" 1
	grep -qF "cannot open the secret" "$DIR/out/tampered-$cmd.err" ||
		{ cat "$DIR/out/tampered-$cmd.err"; fail "tampered $cmd: message"; }
done
expect_eq "XenAPI writes of the refused runs" "$(sim_writes)" 0
state >"$DIR/after"
cmp -s "$DIR/before" "$DIR/after" || { diff "$DIR/before" "$DIR/after"; fail "a refused run changed the host"; }

# the full cycle, with either host's key
K="--host-key $DIR/keys/host1.key"
run plan plan "$DIR/site.xbb" $K
expect_eq "plan: exit" "$(cat "$DIR/out/plan.rc")" 2
grep -qF '[domain 5] vm-data/admin/password: (secret)' "$DIR/out/plan.out" ||
	{ cat "$DIR/out/plan.out"; fail "plan: the running guest's secret"; }
grep -qF 'other_config[api-token]: (secret)' "$DIR/out/plan.out" ||
	{ cat "$DIR/out/plan.out"; fail "plan: the other-config secret"; }
grep -qF 'xenstore_data[vm-data/admin/password]: (secret)' "$DIR/out/plan.out" ||
	{ cat "$DIR/out/plan.out"; fail "plan: the halted VM's secret"; }
run plan-json plan --json "$DIR/site.xbb" $K
run check-before check "$DIR/site.xbb" $K
expect_eq "check before apply: exit" "$(cat "$DIR/out/check-before.rc")" 2
grep -qF 'config says (secret)' "$DIR/out/check-before.out" ||
	{ cat "$DIR/out/check-before.out"; fail "check: drift of a secret"; }
run check-json check --json "$DIR/site.xbb" $K
run apply apply -v "$DIR/site.xbb" $K
expect_eq "apply: exit" "$(cat "$DIR/out/apply.rc")" 0
run apply-json apply --json "$DIR/site.xbb" --host-key "$DIR/keys/host2.key"
expect_eq "apply again with the other host's key: exit" "$(cat "$DIR/out/apply-json.rc")" 0
run check check "$DIR/site.xbb" $K
expect_eq "check after apply: exit" "$(cat "$DIR/out/check.rc")" 0
run status status $K
expect_eq "status: exit" "$(cat "$DIR/out/status.rc")" 0
grep -q "^Host: matches the config.\$" "$DIR/out/status.out" ||
	{ cat "$DIR/out/status.out"; fail "status does not compare the secrets"; }
run status-json status --json $K
run dump dump "$DIR/site.xbb"
grep -q '= sealed "WEJTTA' "$DIR/out/dump.out" || { cat "$DIR/out/dump.out"; fail "dump: no sealed value"; }

# the host holds the plaintexts
expect_eq "running guest" "$(xs_get /local/domain/5/vm-data/admin/password)" "$PW"
PW="$PW" TOKEN="$TOKEN" xapi_py <<'PYEOF' || fail "XenAPI values"
import os
w, d = vm("web-01"), vm("db-01")
assert w["other_config"]["api-token"] == os.environ["TOKEN"] + "\n", w
assert d["xenstore_data"]["vm-data/admin/password"] == os.environ["PW"], d
PYEOF

# drift of a secret: check names the key, never either value
xenstore-write /local/domain/5/vm-data/admin/password "guest-$PW"
run check-drift check "$DIR/site.xbb" $K
expect_eq "check of a changed secret: exit" "$(cat "$DIR/out/check-drift.rc")" 2
grep -qF 'vm-data/admin/password: host has (secret), config says (secret)' "$DIR/out/check-drift.out" ||
	{ cat "$DIR/out/check-drift.out"; fail "check: secret drift"; }
run plan-drift plan --json "$DIR/site.xbb" $K
run apply-drift apply "$DIR/site.xbb" $K
expect_eq "apply over a changed secret: exit" "$(cat "$DIR/out/apply-drift.rc")" 0
expect_eq "running guest again" "$(xs_get /local/domain/5/vm-data/admin/password)" "$PW"

# the record marks the secret keys: export leaves them out
xapi_py <<'PYEOF' || fail "the record of secret keys"
w, d = vm("web-01"), vm("db-01")
assert w["other_config"]["xenbake-managed"].split("\n") == [
    "uuid:" + w["uuid"], "other_config:api-token",
    "secret:other_config:api-token",
    "secret:xenstore_data:vm-data/admin/password",
    "xenstore_data:vm-data/admin/password",
    "xenstore_data:vm-data/role"], w["other_config"]
assert d["other_config"]["xenbake-managed"].split("\n") == [
    "uuid:" + d["uuid"], "secret:xenstore_data:vm-data/admin/password",
    "xenstore_data:vm-data/admin/password"], d["other_config"]
PYEOF
run export export
expect_eq "export: exit" "$(cat "$DIR/out/export.rc")" 0
grep -q '^# Secrets: 3 left out' "$DIR/out/export.out" ||
	{ cat "$DIR/out/export.out"; fail "export: the secrets note"; }
expect_eq "export: keys left out" "$(grep -c '# left out: .* is a secret' "$DIR/out/export.out")" 3
grep -qF 'vm-data "role" = "web";' "$DIR/out/export.out" ||
	{ cat "$DIR/out/export.out"; fail "export: the plain key"; }

# the config drops the secrets: their removal shows no value either
cat >"$DIR/plain.xb" <<'XB'
vm "web-01" {
    vm-data "role" = "web";
}
XB
"$XENBAKEC" -o "$DIR/plain.xbb" "$DIR/plain.xb" || fail "plain.xb"
run drop-plan plan "$DIR/plain.xbb"
expect_eq "plan dropping the secrets: exit" "$(cat "$DIR/out/drop-plan.rc")" 2
grep -qF -- '- [domain 5] vm-data/admin/password: (secret)  (no longer in the config)' "$DIR/out/drop-plan.out" ||
	{ cat "$DIR/out/drop-plan.out"; fail "plan: removal of a secret"; }
expect_eq "removals shown as (secret)" "$(grep -c '^ *- .*: (secret)  (no longer' "$DIR/out/drop-plan.out")" 3
run drop-json plan --json "$DIR/plain.xbb"
run drop-apply apply "$DIR/plain.xbb"
expect_eq "apply dropping the secrets: exit" "$(cat "$DIR/out/drop-apply.rc")" 0
expect_eq "the secret is gone from the guest" "$(xs_get /local/domain/5/vm-data/admin/password)" "<absent>"
run drop-status status
run drop-check check "$DIR/plain.xbb"
expect_eq "check after dropping: exit" "$(cat "$DIR/out/drop-check.rc")" 0

# without XenAPI: the record in xenstore marks the secret, the second
# apply has nothing to do, dropping it hides the old value too
cat >"$DIR/xs.xb" <<'XB'
vm "web-01" {
    vm-data "admin/password" = secret "password.txt";
}
XB
"$XENBAKEC" --seal-to "$DIR/keys/host1.pub" -o "$DIR/xs.xbb" "$DIR/xs.xb" || fail "xs.xb"
run xs-apply apply --no-xapi "$DIR/xs.xbb" $K
expect_eq "apply --no-xapi: exit" "$(cat "$DIR/out/xs-apply.rc")" 0
expect_eq "--no-xapi: the guest's value" "$(xs_get /local/domain/5/vm-data/admin/password)" "$PW"
xs_get /tool/xenbake/managed/5e1f0000-0000-4000-8000-000000000005 >"$DIR/out/xs-record"
grep -qx 'secret:admin/password' "$DIR/out/xs-record" ||
	{ cat "$DIR/out/xs-record"; fail "--no-xapi: the record marks no secret"; }
run xs-plan plan --no-xapi "$DIR/xs.xbb" $K
expect_eq "plan --no-xapi after apply: exit" "$(cat "$DIR/out/xs-plan.rc")" 0
run xs-drop plan --no-xapi "$DIR/plain.xbb"
grep -qF -- '- [domain 5] vm-data/admin/password: (secret)' "$DIR/out/xs-drop.out" ||
	{ cat "$DIR/out/xs-drop.out"; fail "--no-xapi: removal of a secret"; }

# every output, the receipts and state files, the log: no plaintext
"$PY" -c 'import socket, sys; s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); s.sendto(b"marker", sys.argv[1])' "$XENBAKE_LOG_SOCKET"
i=0
until grep -q marker "$DIR/syslog" 2>/dev/null; do
	i=$((i + 1)); [ $i -lt 600 ] || fail "the marker did not arrive"; sleep 0.1
done
grep -q "applied: " "$DIR/syslog" || { cat "$DIR/syslog"; fail "nothing applied in the log"; }
grep -qF '(secret)' "$DIR/syslog" || { cat "$DIR/syslog"; fail "the log does not show (secret)"; }
ls "$DIR/sb/state" | grep -q . || fail "no state files to look in"
for secret in "$PW" "$TOKEN"; do
	if grep -rlF -e "$secret" "$DIR/out" "$DIR/sb/state" "$DIR/syslog" \
		"$DIR/site.xbb" "$DIR/tampered.xbb"; then
		fail "a plaintext secret appears in the files above"
	fi
done
# and they were looked at: each command's output exists
for f in plan plan-json check-before check-json apply apply-json check status status-json dump check-drift plan-drift apply-drift export drop-plan drop-json drop-apply drop-status xs-apply xs-drop; do
	[ -s "$DIR/out/$f.out" ] || [ -s "$DIR/out/$f.err" ] || fail "no output of $f"
done
if "$PY" -c 'import jsonschema' 2>/dev/null; then
	for f in plan-json plan-drift drop-json; do
		"$PY" "$top_srcdir/tests/schema/check-json.py" \
			"$top_srcdir/schema/plan.schema.json" "$DIR/out/$f.out" ||
			fail "$f does not match plan.schema.json"
	done
fi

# reproducible: the same source and keys, the same bytes; the dump
# compiles back to them without a key
"$XENBAKEC" --seal-to "$DIR/keys/host2.pub" --seal-to "$DIR/keys/host1.pub" \
	-o "$DIR/again.xbb" "$DIR/site.xb" || fail "xenbakec again"
cmp -s "$DIR/site.xbb" "$DIR/again.xbb" || fail "sealing is not deterministic"
(cd / && "$XENBAKEC" -o "$DIR/dumped.xbb" "$DIR/out/dump.out") || fail "the dump does not compile"
cmp -s "$DIR/site.xbb" "$DIR/dumped.xbb" || fail "dump round trip"
echo "secret.sh: ok"
