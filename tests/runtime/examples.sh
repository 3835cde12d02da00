#!/bin/sh
# SPDX-License-Identifier: MIT
# Every example (examples/NAME/ with NAME.xb or site.xb, and host.json)
# through the simulator and the real xenstored: plan shows pending changes,
# apply, check matches, a second apply writes nothing at all, then one
# value edited (in the dumped source) is applied as exactly that change.
. "$(dirname "$0")/../runtime/lib.sh"
need_xapi
found=0
for ex in "$top_srcdir"/examples/*/; do
	[ -f "$ex/host.json" ] || continue
	name=$(basename "$ex")
	src=$ex/$name.xb
	[ -f "$src" ] || src=$ex/site.xb
	[ -f "$src" ] || continue
	found=$((found + 1))
	"$XENBAKEC" -o "$DIR/$name.xbb" "$src" || fail "$name: does not compile"
	"$SANDBOX/down" "$DIR/sb" >/dev/null 2>&1 || true
	sandbox_up "$ex/host.json"

	rc=0; "$XENBAKE" plan "$DIR/$name.xbb" >"$DIR/plan" 2>&1 || rc=$?
	[ $rc -eq 2 ] || { cat "$DIR/plan"; fail "$name: plan exit $rc, want 2"; }
	"$XENBAKE" apply "$DIR/$name.xbb" >"$DIR/out" 2>&1 ||
		{ cat "$DIR/out"; fail "$name: apply"; }
	"$XENBAKE" check "$DIR/$name.xbb" >"$DIR/out" 2>&1 ||
		{ cat "$DIR/out"; fail "$name: check after apply"; }

	trace_mark
	"$XENBAKE" apply -v "$DIR/$name.xbb" >"$DIR/out" 2>"$DIR/err" ||
		fail "$name: second apply"
	expect_eq "$name: second apply" "$(cat "$DIR/out")" "No changes."
	grep -q 'xenstore: 0 transactions, [0-9]* reads, 0 writes' "$DIR/err" ||
		{ cat "$DIR/err"; fail "$name: second apply wrote to xenstore"; }
	for op in TRANSACTION_START WRITE RM SET_PERMS MKDIR; do
		expect_eq "$name: second apply $op" "$(trace_count $op)" 0
	done

	# edit one value of the canonical source: the first vm-data (else
	# other-config) whose block selects something on this host
	"$XENBAKE" dump "$DIR/$name.xbb" >"$DIR/dump.xb"
	i=0
	while :; do
		"$PY" - "$DIR/dump.xb" "$DIR/edit.xb" $i <<'PYEOF' ||
import re, sys
text = open(sys.argv[1]).read()
want = int(sys.argv[3])
hits = [m for kind in ("vm-data", "other-config") for m in
        re.finditer(r'^(\s*%s "[^"]*" = ")([^"\\]*)(";)' % kind, text, re.M)]
if want >= len(hits):
    sys.exit(1)
m = hits[want]
open(sys.argv[2], "w").write(text[:m.end(2)] + "-edited" + text[m.end(2):])
PYEOF
			fail "$name: no edit that changes the host"
		"$XENBAKEC" -o "$DIR/edit.xbb" "$DIR/edit.xb" ||
			fail "$name: edited source"
		rc=0; "$XENBAKE" plan "$DIR/edit.xbb" >"$DIR/plan" 2>&1 || rc=$?
		[ $rc -ne 0 ] && break
		i=$((i + 1))
	done
	[ $rc -eq 2 ] || { cat "$DIR/plan"; fail "$name: edit plan exit $rc"; }
	grep -q '^Plan: 0 to add, [12] to change, 0 to remove\.$' "$DIR/plan" ||
		{ cat "$DIR/plan"; fail "$name: the edit is not one change"; }
	"$XENBAKE" apply "$DIR/edit.xbb" >"$DIR/out" 2>&1 ||
		{ cat "$DIR/out"; fail "$name: apply of the edit"; }
	# one call, or (a running VM's vm-data: live only) the transaction
	grep -Eq '\((1 XenAPI write, |0 XenAPI writes, 1 xenstore transaction)' "$DIR/out" ||
		{ cat "$DIR/out"; fail "$name: the edit took more than one call"; }
	"$XENBAKE" check "$DIR/edit.xbb" >/dev/null 2>&1 ||
		fail "$name: check after the edit"
	echo "$name: ok"
done
[ $found -gt 0 ] || skip "no examples/*/host.json yet"
echo PASS
