#!/bin/sh
# SPDX-License-Identifier: MIT
# tests/hostile/receipts.sh - hostile receipts and journals in the state
# directory: foreign strings (names, keys, errors, blob paths) holding an
# ESC sequence and a megabyte each. `status` (and `status --all`) shows
# them escaped (\xNN) and cut, never a control byte, in a few KB; a sealed
# journal naming a 1 MB object with an ESC sequence is recovered by apply
# with the name escaped and cut in its note. The writer's side (a receipt
# written with such names) is tests/unit/test-receipt.
. "$(dirname "$0")/../runtime/lib.sh"
need_xapi
sandbox_up "$(fixture)"
STATE=$XENBAKE_STATE_DIR
mkdir -p "$STATE/receipts"
chmod 700 "$STATE"

# no byte below 0x20 but newline, none 0x7f, and at most MAX bytes
clean() {   # clean WHAT FILE MAX
	"$PY" - "$2" "$3" <<'PYEOF' || { head -c 3000 "$2"; echo; fail "$1"; }
import sys
b = open(sys.argv[1], "rb").read()
bad = [c for c in b if (c < 0x20 and c != 0x0a) or c == 0x7f]
assert not bad, "control bytes %r" % bad[:5]
assert len(b) <= int(sys.argv[2]), "%d bytes" % len(b)
PYEOF
}

# 1. a receipt of foreign strings, valid JSON: status decodes \u001b to
# ESC and must escape it again
"$PY" - "$STATE/last-receipt.json" <<'PYEOF'
import json, sys
evil = "\x1b]0;owned\x07\x1b[2J" + "N" * (1 << 20)
r = {"format": 1, "command": "apply", "version": "0", "pid": 1,
     "time": "2026-01-01T00:00:00.000000Z" + evil, "seconds": 1,
     "result": "error" + evil, "error": evil,
     "blobs": [{"path": "/etc/xenbake/" + evil, "sha256": evil}],
     "identity": evil, "xapi": None, "xenstore": False, "verified": False,
     "changes": [{"op": "add", "where": "xapi", "class": "vm" + evil,
                  "object": evil, "uuid": evil, "domid": None,
                  "field": "other_config" + evil, "key": evil,
                  "old": evil, "new": evil, "source": evil,
                  "bookkeeping": False, "outcome": "applied" + evil}],
     "summary": {"add": 1, "change": 0, "remove": 0},
     "xapi_calls": {"count": 1, "writes": [evil]},
     "xenstore_requests": None, "xenstore_guests": []}
open(sys.argv[1], "w").write(json.dumps(r))
PYEOF
cp "$STATE/last-receipt.json" "$STATE/receipts/20260101T000000.000000Z.json"
rc=0; "$XENBAKE" status >"$DIR/out" 2>&1 || rc=$?
expect_eq "status of a hostile receipt (the host not checked)" $rc 1
grep -q '\\x1b\]0;owned\\x07\\x1b\[2JNNN' "$DIR/out" ||
	{ head -c 3000 "$DIR/out"; fail "status: the ESC sequence is not shown escaped"; }
clean "status of a hostile receipt" "$DIR/out" 131072
rc=0; "$XENBAKE" status --all >"$DIR/out" 2>&1 || rc=$?
clean "status --all of a hostile receipt" "$DIR/out" 131072
rm -f "$STATE/last-receipt.json" "$STATE/receipts/"*

# 2. a sealed journal whose object name is an ESC sequence and 1 MB
# (the reader's bound per string), with a key the host holds a third
# value of: apply names it in its note, escaped and cut
"$PY" - "$STATE/journal" <<'PYEOF'
import hashlib, sys
def s(b):
    return b"%d:%s" % (len(b), b)
evil = b"\x1b]0;owned\x07" + b"J" * 1000000
body = b"xenbake-journal 1\ntime 1764650000\n"
body += b"owner 999999 " + s(b"not-this-boot") + b"\n"
body += b"blobs 1\nblob " + b"ab" * 32 + b"\n"
body += b"writes 1\n"
body += b"write VM other_config " + s(b"5e1f0000-0000-4000-8000-000000000005") + \
    b" " + s(evil) + b" " + s(b"site.xb:1:1\x1b[2J") + b"\n"
body += b"old 1\nkv " + s(b"a") + b" " + s(b"1") + b"\n"
body += b"new 1\nkv " + s(b"a") + b" " + s(b"2") + b"\n"
body += b"end " + hashlib.sha256(body).hexdigest().encode() + b"\n"
open(sys.argv[1], "wb").write(body)
PYEOF
chmod 600 "$STATE/journal"
# the host holds a third value: someone else's since, left alone and named
xapi_py <<'PYEOF' || fail "setting a foreign value"
api.VM.add_to_other_config(
    api.VM.get_by_uuid("5e1f0000-0000-4000-8000-000000000005"), "a", "3")
PYEOF
compile site <<'XB'
vm "db-01" { other-config "owner" = "dba"; }
XB
rc=0; "$XENBAKE" plan "$DIR/site.xbb" >"$DIR/out" 2>&1 || rc=$?
clean "plan beside a hostile journal" "$DIR/out" 65536
[ -e "$STATE/journal" ] || fail "plan acted on the journal"
rc=0; "$XENBAKE" apply "$DIR/site.xbb" >"$DIR/out" 2>&1 || rc=$?
expect_eq "apply after a hostile journal" $rc 0
grep -q 'left alone, changed since by someone else: vm .*\\x1b\]0;owned\\x07JJJ' "$DIR/out" ||
	{ head -c 3000 "$DIR/out"; fail "the recovery note does not name the object escaped"; }
clean "apply recovering a hostile journal" "$DIR/out" 65536
[ ! -e "$STATE/journal" ] || fail "the journal stays"
echo PASS
