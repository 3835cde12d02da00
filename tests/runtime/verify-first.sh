#!/bin/sh
# SPDX-License-Identifier: MIT
# A damaged blob, or one without a good signature when one is required,
# is refused before any request to xenstore: not one connection shows up
# in the daemon's trace.
. "$(dirname "$0")/../runtime/lib.sh"
sandbox_up "$(fixture)"
compile site <<'XB'
vm "web-01" { vm-data "role" = "frontend"; }
XB
cp "$DIR/site.xbb" "$DIR/bad.xbb"
size=$(wc -c <"$DIR/bad.xbb")
printf 'Z' | dd of="$DIR/bad.xbb" bs=1 seek=$((size - 3)) conv=notrunc 2>/dev/null
trace_mark
for cmd in plan apply check; do
	rc=0; "$XENBAKE" $cmd --no-xapi "$DIR/bad.xbb" >/dev/null 2>"$DIR/err" || rc=$?
	expect_eq "$cmd exit on a damaged blob" $rc 1
	grep -q 'not a valid blob' "$DIR/err" || { cat "$DIR/err"; fail "message"; }
done
# --require-signature: none, and another key's (xenbakec's files, read
# by the runtime through the same lib/crypto.h backend or the other one)
"$XENBAKEC" --gen-key "$DIR/k" 2>/dev/null && "$XENBAKEC" --gen-key "$DIR/other" 2>/dev/null ||
	fail "--gen-key"
rc=0; "$XENBAKE" plan --no-xapi --require-signature "$DIR/k.pub" "$DIR/site.xbb" \
	>/dev/null 2>"$DIR/err" || rc=$?
expect_eq "plan exit on an unsigned blob" $rc 1
grep -q 'unsigned blob refused' "$DIR/err" || { cat "$DIR/err"; fail "unsigned message"; }
"$XENBAKEC" --sign "$DIR/other.key" -o "$DIR/site.xbb" "$DIR/site.xb" || fail "--sign"
rc=0; "$XENBAKE" plan --no-xapi --require-signature "$DIR/k.pub" "$DIR/site.xbb" \
	>/dev/null 2>"$DIR/err" || rc=$?
expect_eq "plan exit on another key's signature" $rc 1
grep -q 'bad signature' "$DIR/err" || { cat "$DIR/err"; fail "bad signature message"; }
tail -n +"$(($(cat "$DIR/trace.mark") + 1))" "$DIR/sb/trace" |
	grep -q 'CREATE connection' && fail "xenbake talked to xenstored"
rc=0; "$XENBAKE" apply --no-xapi "$DIR/missing.xbb" 2>/dev/null || rc=$?
expect_eq "missing blob" $rc 1
expect_eq "untouched" "$(xs_get /local/domain/5/vm-data/role)" "<absent>"
# the right key's signature: on to the host
"$XENBAKEC" --sign "$DIR/k.key" -o "$DIR/site.xbb" "$DIR/site.xb" || fail "--sign"
rc=0; "$XENBAKE" plan --no-xapi --require-signature "$DIR/k.pub" "$DIR/site.xbb" \
	>/dev/null 2>"$DIR/err" || rc=$?
expect_eq "plan exit on a good signature (pending)" $rc 2
echo PASS
