#!/bin/sh
# SPDX-License-Identifier: MIT
# tests/hostile/hostile.sh - hostile inputs, each refused with a clear
# message (asserted) and, where a host is involved, nothing written to it
# (xenstore compared node by node, the simulator's XenAPI calls counted):
#   sources   huge strings and files, a chain of 1,000 includes, invalid
#             UTF-8, NUL bytes                                 (xenbakec)
#   blobs     every truncation and every flipped byte of a real blob,
#             trailing bytes, empty, sparse 3 GiB, a device, a FIFO
#                                                              (xenbake)
#   XenAPI    replies that are not XML, HTML, over 256 MiB, HTTP 500, a
#             DOCTYPE, entities, deep nesting, records of the wrong type
#   xenstored errors, huge or mistyped replies, a dropped connection on
#             each kind of request (tests/hostile/xs-proxy.py)
# Ends with "hostile inputs: N tried, N refused cleanly".
. "$(dirname "$0")/../runtime/lib.sh"
need_xapi
PROXY=$top_srcdir/tests/hostile/xs-proxy.py
tried=0
CANNED_PIDS=
PROXY_PID=
trap 'for p in $CANNED_PIDS $PROXY_PID; do kill "$p" 2>/dev/null || true; done
	"$SANDBOX/down" "$DIR/sb"; rm -rf "$DIR"' EXIT

# expect_refused WHAT RC ERRFILE TEXT: exit status $want_rc (1 unless
# said) and TEXT in ERRFILE
want_rc=1
expect_refused() {
	[ "$2" -eq "$want_rc" ] ||
		{ head -c 2000 "$3" >&2; fail "$1: exit status $2, want $want_rc"; }
	grep -qF -- "$4" "$3" ||
		{ head -c 2000 "$3" >&2; echo >&2; fail "$1: no message '$4'"; }
	tried=$((tried + 1))
}

# ---- sources --------------------------------------------------------------
mkdir "$DIR/src"
# source NAME TEXT: writes $DIR/src/NAME.xb with printf-style escapes
# shellcheck disable=SC2059  # the text is a printf format, for its escapes
source_file() { printf "$2" >"$DIR/src/$1.xb"; }

refuse_source() {    # refuse_source NAME EXPECTED-MESSAGE
	rc=0
	"$XENBAKEC" -o "$DIR/src/$1.xbb" "$DIR/src/$1.xb" >/dev/null 2>"$DIR/err" || rc=$?
	expect_refused "source $1" $rc "$DIR/err" "$2"
	[ ! -e "$DIR/src/$1.xbb" ] || fail "source $1: a blob was written"
}

"$PY" - "$DIR/src" <<'PYEOF'
import sys
d = sys.argv[1]
open(d + "/huge-value.xb", "w").write(
    'vm "web-01" { vm-data "k" = "%s"; }\n' % ("x" * (20 << 20)))
open(d + "/huge-key.xb", "w").write(
    'vm "web-01" { vm-data "%s" = "v"; }\n' % ("k" * (1 << 20)))
for i in range(1000):
    with open(d + "/chain-%04d.xb" % i, "w") as f:
        f.write('include "chain-%04d.xb";\n' % (i + 1) if i < 999 else
                'vm "web-01" { vm-data "k" = "v"; }\n')
PYEOF
refuse_source huge-value "a vm-data value of 20971520 bytes, over xenstore's 2048"
refuse_source huge-key "would be 1048604 bytes, over xenstore's 1024 [xenstore-path-length]"
refuse_source chain-0000 "includes nested deeper than 32"
truncate -s 3G "$DIR/src/sparse.xb"
want_rc=2    # xenbakec: an I/O error, not an error in the source
refuse_source sparse "larger than 1 GiB"
want_rc=1
for bad in 'c3 28' 'ff' '80' 'c0 af' 'ed a0 80' 'f4 90 80 80' 'ef bf be' 'e2 82'; do
	name=utf8-$(echo "$bad" | tr ' ' '-')
	printf 'vm "web-01" { vm-data "k" = "a' >"$DIR/src/$name.xb"
	for b in $bad; do printf "\\$(printf %o 0x$b)" >>"$DIR/src/$name.xb"; done
	printf 'b"; }\n' >>"$DIR/src/$name.xb"
	refuse_source "$name" "in a string: xapi would silently cut the string short here"
done
source_file nul-string 'vm "web-01" { vm-data "k" = "a\000b"; }\n'
refuse_source nul-string "a NUL byte in a string"
source_file nul-name 'vm "web\000-01" { vm-data "k" = "v"; }\n'
refuse_source nul-name "a NUL byte in a string"
source_file nul-outside 'vm "web-01" {\000 vm-data "k" = "v"; }\n'
refuse_source nul-outside "a stray character"
source_file high-byte 'vm "web-01" \351 { vm-data "k" = "v"; }\n'
refuse_source high-byte "a non-ASCII byte outside a string"
source_file escape-nul 'vm "web-01" { vm-data "k" = "a\\x00b"; }\n'
refuse_source escape-nul "a control character in a string"
source_file unterminated 'vm "web-01" { vm-data "k" = "abc'
refuse_source unterminated "unterminated string"
sources=$tried

# ---- the host -------------------------------------------------------------
# issue 13 point 4: the old sandbox's guests have no vm-data, so that
# xenbake creates it (the MKDIR refusal below); at the real boot state
# every running guest has one
sandbox_up "$(fixture legacy)"
compile site <<'XB'
vm "web-01" { vm-data "role" = "frontend"; vm-data "tier" = "1";
              other-config "owner" = "ops"; }
vm "db-01" { vm-data "role" = "db"; }
sr "Local storage" { i18n-key local-storage; }
XB
compile xs <<'XB'
vm "web-01" { vm-data "role" = "frontend"; vm-data "tier" = "1"; }
vm "db-01" { vm-data "role" = "db"; }
XB
REAL_XS=$XENSTORED_PATH

# every node under /local/domain and /tool with its value and permissions
xs_tree() {
	XENSTORED_PATH=$REAL_XS "$PY" - "$REAL_XS" <<'PYEOF'
import sys
from pyxs import Client
def walk(c, path):
    print(path.decode(), repr(c.read(path)), c.get_perms(path))
    for child in sorted(c.list(path)):
        walk(c, path.rstrip(b"/") + b"/" + child)
with Client(unix_socket_path=sys.argv[1]) as c:
    for top in (b"/local/domain", b"/tool"):
        if c.exists(top):
            walk(c, top)
PYEOF
}
sim_calls() {
	"$PY" -c 'import json, sys, urllib.request
print(json.load(urllib.request.urlopen(sys.argv[1] + "/sim/calls"))["count"])' "$XENBAKE_XAPI"
}
xs_tree >"$DIR/tree.before"
sim_reset

# ---- blobs ----------------------------------------------------------------
mkdir "$DIR/blobs"
"$PY" - "$DIR/site.xbb" "$DIR/blobs" <<'PYEOF'
import sys
blob = open(sys.argv[1], "rb").read()
d = sys.argv[2]
for n in range(len(blob)):
    open("%s/trunc-%05d.xbb" % (d, n), "wb").write(blob[:n])
    flipped = bytearray(blob)
    flipped[n] ^= 0xff
    open("%s/flip-%05d.xbb" % (d, n), "wb").write(bytes(flipped))
open(d + "/trailing.xbb", "wb").write(blob + b"\0")
open(d + "/twice.xbb", "wb").write(blob + blob)
PYEOF
chmod go-w "$DIR"/blobs/*
trace_mark
for f in "$DIR"/blobs/${HOSTILE_BLOBS:-*}.xbb; do
	rc=0; "$XENBAKE" apply "$f" >/dev/null 2>"$DIR/err" || rc=$?
	expect_refused "$(basename "$f")" $rc "$DIR/err" "not a valid blob: "
done
truncate -s 3G "$DIR/sparse.xbb"
rc=0; "$XENBAKE" apply "$DIR/sparse.xbb" >/dev/null 2>"$DIR/err" || rc=$?
expect_refused "3 GiB blob" $rc "$DIR/err" "too big for a blob (3221225472 bytes, at most 1073741824)"
rc=0; "$XENBAKE" apply /dev/null >/dev/null 2>"$DIR/err" || rc=$?
expect_refused "a device as blob" $rc "$DIR/err" "/dev/null: not a regular file"
# a FIFO: opening one for reading waits for a writer, so it must not be
# opened that way (timeout only turns a hang into a failure)
mkfifo "$DIR/fifo.xbb"
rc=0; timeout 300 "$XENBAKE" apply "$DIR/fifo.xbb" >/dev/null 2>"$DIR/err" || rc=$?
expect_refused "a FIFO as blob" $rc "$DIR/err" "$DIR/fifo.xbb: not a regular file (a blob is the file xenbakec writes); nothing was changed"
tail -n +"$(($(cat "$DIR/trace.mark") + 1))" "$DIR/sb/trace" |
	grep -q 'CREATE connection' && fail "a damaged blob reached xenstored"
expect_eq "XenAPI calls for damaged blobs" "$(sim_calls)" 0
blobs=$((tried - sources))

# ---- XenAPI ---------------------------------------------------------------
REPLIES=$top_srcdir/tests/xapi/canned-replies.json
CORPUS=$top_srcdir/tests/fuzz/corpus-xmlrpc
canned() {   # canned NAME ARGS...: canned-xapi.py on a free port
	cn=$1
	shift
	"$PY" "$top_srcdir/tests/xapi/canned-xapi.py" --port-file "$DIR/$cn.port" \
		--log "$DIR/$cn.log" "$@" >"$DIR/$cn.out" 2>&1 &
	CANNED_PIDS="$CANNED_PIDS $!"
	i=0
	until [ -s "$DIR/$cn.port" ]; do
		i=$((i + 1))
		[ $i -lt 100 ] || { cat "$DIR/$cn.out" >&2; fail "canned server $cn did not start"; }
		sleep 0.1
	done
	: >>"$DIR/$cn.log"
}
# refuse_xapi NAME EXPECTED CANNED-ARGS...: apply against it is refused,
# with no write call
refuse_xapi() {
	name=$1 want=$2
	shift 2
	canned "$name" "$@"
	rc=0
	"$XENBAKE" apply --no-xenstore --xapi "http://127.0.0.1:$(cat "$DIR/$name.port")" \
		"$DIR/site.xbb" >/dev/null 2>"$DIR/err" || rc=$?
	expect_refused "XenAPI $name" $rc "$DIR/err" "$want"
	! grep -E '\.(set_|add_to_|remove_from_)' "$DIR/$name.log" ||
		fail "XenAPI $name: a write was sent"
}
# mutated NAME EXPECTED PYTHON: the canned replies, r changed by PYTHON
mutated() {
	"$PY" - "$REPLIES" "$DIR/$1.json" "$3" <<'PYEOF'
import json, sys
r = json.load(open(sys.argv[1]))
exec(sys.argv[3])
json.dump(r, open(sys.argv[2], "w"))
PYEOF
	refuse_xapi "$1" "$2" --replies "$DIR/$1.json"
}
refuse_xapi garbage "host.get_all_records: reply is not well-formed XML" --mode garbage
refuse_xapi html "host.get_all_records: malformed reply: a <!DOCTYPE>" --mode html
# no cap on a reply's bytes: 256 MiB are read as they come, never held
refuse_xapi huge "host.get_all_records: reply is not well-formed XML" --mode huge
refuse_xapi huge-chunked "host.get_all_records: reply is not well-formed XML" --mode huge-chunked
refuse_xapi status500 "host.get_all_records: HTTP status 500" --mode status500
raw() {   # raw FILE: a Python string literal of the file
	"$PY" -c 'import sys; print(repr(open(sys.argv[1]).read()))' "$1"
}
mutated laughs "VM.get_all_records: malformed reply: a <!DOCTYPE> (refused" \
	"r['VM.get_all_records'] = {'raw': $(raw "$CORPUS/billion-laughs.xml")}"
mutated entity "VM.get_all_records: malformed reply: a <!DOCTYPE> (refused" \
	"r['VM.get_all_records'] = {'raw': $(raw "$CORPUS/external-entity.xml")}"
# a record's 8 MiB name: refused by the per-string bound, and the error
# shows a clipped start of it, not the whole
mutated bigname "VM.get_all_records: malformed reply (line 1): a member name of more than 4194304 bytes" \
	"r['VM.get_all_records'] = {'raw': '<methodResponse><params><param><value><struct><member><name>Status</name><value>Success</value></member><member><name>Value</name><value><struct><member><name>OpaqueRef:' + 'x' * (8 << 20) + '</name><value><struct/></value></member></struct></value></member></struct></value></param></params></methodResponse>'}"
[ "$(wc -c <"$DIR/err")" -lt 1000 ] || fail "XenAPI bigname: $(wc -c <"$DIR/err") bytes of error"
mutated deep "VM.get_all_records: malformed reply (line 1): values nested deeper than 64" \
	"r['VM.get_all_records'] = {'raw': '<methodResponse><params><param>' + '<value><array><data>' * 100000 + '</data></array></value>' * 100000 + '</param></params></methodResponse>'}"
mutated control "VM.get_all_records: reply is not well-formed XML (line 1): PCDATA invalid Char value 1" \
	"r['VM.get_all_records'] = {'raw': '<methodResponse><params><param><value>a\\x01b</value></param></params></methodResponse>'}"
VM='r["VM.get_all_records"]["OpaqueRef:vm-web"]'
mutated vmall "VM.get_all_records: an array, not a struct of records" \
	"r['VM.get_all_records'] = []"
mutated vmrec "VM.get_all_records: record OpaqueRef:vm-web is a string, not a struct" \
	"$VM = 'x'"
mutated domid 'field domid is "five", not a number' "${VM}['domid'] = 'five'"
mutated domidbig "domid 99999999999 is out of range" "${VM}['domid'] = '99999999999'"
mutated xsdata "field xenstore_data is an array, not a struct" \
	"${VM}['xenstore_data'] = ['vm-data/a']"
mutated ocvalue 'field other_config: key "n" is an int, not a string' \
	"${VM}['other_config']['n'] = 3"
mutated nouuid "VM.get_all_records: record OpaqueRef:vm-web has no field uuid" \
	"del ${VM}['uuid']"
mutated srname "field name_label is nil, not a string" \
	"r['SR.get_all_records']['OpaqueRef:sr-local']['name_label'] = None"
mutated status 'VM.get_all_records: malformed XenAPI reply: Status "Maybe", not Success or Failure' \
	"r['VM.get_all_records'] = {'raw': '<methodResponse><params><param><value><struct><member><name>Status</name><value>Maybe</value></member></struct></value></param></params></methodResponse>'}"
mutated fault "VM.get_all_records: malformed XenAPI reply: Failure without a non-empty ErrorDescription array" \
	"r['VM.get_all_records'] = {'fault': []}"
mutated nomethod "PIF.get_all_records: MESSAGE_METHOD_UNKNOWN" \
	"del r['PIF.get_all_records']"
xapi=$((tried - sources - blobs))

# ---- xenstored ------------------------------------------------------------
# refuse_xs TYPE ACTION EXPECTED: apply --no-xapi through the proxy
refuse_xs() {
	rm -f "$DIR/proxy"
	"$PY" "$PROXY" "$DIR/proxy" "$REAL_XS" "$1" "$2" 2>"$DIR/proxy.log" &
	PROXY_PID=$!
	i=0
	until [ -S "$DIR/proxy" ]; do
		i=$((i + 1))
		[ $i -lt 100 ] || { cat "$DIR/proxy.log" >&2; fail "xs-proxy did not start"; }
		sleep 0.1
	done
	rc=0
	XENSTORED_PATH=$DIR/proxy "$XENBAKE" apply --no-xapi "$DIR/xs.xbb" \
		>/dev/null 2>"$DIR/err" || rc=$?
	kill "$PROXY_PID"
	wait "$PROXY_PID" 2>/dev/null || true
	PROXY_PID=
	expect_refused "xenstored $1 $2" $rc "$DIR/err" "$3"
}
# at start-up: what it answered, not "cannot reach"
refuse_xs DIRECTORY error:EACCES "xenstored at $DIR/proxy answered the first request (listing /) with EACCES (Permission denied)"
refuse_xs DIRECTORY huge "xenstored at $DIR/proxy sent a malformed reply to the first request (listing /)"
refuse_xs DIRECTORY wrongtype "xenstored at $DIR/proxy sent a malformed reply to the first request (listing /)"
# the first: of the records' directory, read in the apply's transaction
refuse_xs GET_PERMS error:EACCES "xenstore: cannot read the permissions of /tool/xenbake/managed: EACCES (Permission denied); nothing was changed"
refuse_xs TRANSACTION_START error:ENOSPC "xenstore: starting a transaction: No space left on device"
refuse_xs TRANSACTION_START close "xenstore: lost the connection to xenstored: Connection reset by peer; nothing was written"
# vm-data is made (and set the guest's) only when its parent is not the
# guest's own already: here dom0's, as xenopsd leaves it
xenstore-chmod /local/domain/5 n0 r5
refuse_xs MKDIR error:EACCES "xenstore: creating /local/domain/5/vm-data: Permission denied"
refuse_xs SET_PERMS error:EPERM "xenstore: setting the permissions of /local/domain/5/vm-data: Operation not permitted"
xenstore-chmod /local/domain/5 n5
refuse_xs WRITE error:EACCES "xenstore: writing /local/domain/5/vm-data/role: Permission denied"
refuse_xs WRITE error:E2BIG "xenstore: writing /local/domain/5/vm-data/role: Argument list too long"
refuse_xs WRITE error:ENOSPC "xenstore: writing /local/domain/5/vm-data/role: No space left on device"
refuse_xs WRITE huge "xenstore: lost the connection to xenstored: Protocol error; nothing was written"
refuse_xs WRITE wrongtype "xenstore: lost the connection to xenstored: Protocol error; nothing was written"
refuse_xs WRITE close "xenstore: lost the connection to xenstored: Connection reset by peer; nothing was written"
refuse_xs TRANSACTION_END error:EAGAIN "the transactions conflicted with other writers every time, even with each guest alone (2 attempts each): vm web-01 (domain 5), vm db-01 (domain 6); gave up, nothing was written"
refuse_xs TRANSACTION_END error:EINVAL "the transaction could not be committed: Invalid argument; nothing was written"
# the commit request went out and no answer came: it may have been made
refuse_xs TRANSACTION_END close "xenstore: lost the connection to xenstored while committing the transaction (Connection reset by peer): whether it was committed is unknown; the next run, or \`xenbake check\`, will tell"
grep -q "the host is as it was" "$DIR/err" && fail "TRANSACTION_END close: claims the host is as it was"
# and its receipt says so of every xenstore change, not "undone"
"$PY" -c 'import json, sys
r = json.load(open(sys.argv[1]))
got = {c["outcome"] for c in r["changes"] if c["where"] == "xenstore"}
sys.exit(0 if r["result"] == "error" and got == {"unknown"} else 1)' \
	"$XENBAKE_STATE_DIR/last-receipt.json" ||
	fail "TRANSACTION_END close: the receipt does not call the commit unknown: $(cat "$XENBAKE_STATE_DIR/last-receipt.json")"
# a failed read of a guest's name is an error naming the node, not a
# guest without a name
refuse_xs READ error:EIO "xenstore: cannot read /local/domain/5/vm: EIO (Input/output error); nothing was changed"
refuse_xs READ huge "xenstore: reading the guests: malformed reply from xenstored: Protocol error; nothing was changed"
refuse_xs READ close "xenstore: reading the guests: lost the connection to xenstored: Connection reset by peer; nothing was changed"
xenstored=$((tried - sources - blobs - xapi))

# nothing of it reached the host
xs_tree >"$DIR/tree.after"
cmp -s "$DIR/tree.before" "$DIR/tree.after" ||
	{ diff "$DIR/tree.before" "$DIR/tree.after" >&2; fail "xenstore changed"; }
expect_eq "simulator writes" "$(sim_writes)" 0
expect_eq "web-01 role" "$(xs_get /local/domain/5/vm-data/role)" "<absent>"

echo "sources $sources, blobs $blobs, XenAPI replies $xapi, xenstored replies $xenstored"
echo "hostile inputs: $tried tried, $tried refused cleanly"
