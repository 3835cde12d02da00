#!/bin/sh
# SPDX-License-Identifier: MIT
# tests/hostile/rehashed.sh - a blob changed by hand and re-hashed is
# well-formed (xbb_open accepts it) but not what xenbakec makes: the
# runtime re-checks the compiler's rules when it loads a blob and refuses
# it, naming the check, before any request to the host (issue 12 point 3).
. "$(dirname "$0")/../runtime/lib.sh"
need_xapi
sandbox_up "$(fixture)"
tried=0
compile good <<'XB'
vm "web-01" {
  vm-data "ZZZZ" = "VVVV";
  other-config "QQQQ" = "1";
  other-config "xenbake-managex" = "2";
}
XB
"$XENBAKE" plan "$DIR/good.xbb" >/dev/null 2>&1 || [ $? = 2 ] || fail "plan good"

# rehash NAME FROM TO: good.xbb with the bytes FROM (python bytes literal)
# replaced by TO, the SHA-256 in the header made right again
rehash() {
	"$PY" - "$DIR/good.xbb" "$DIR/$1.xbb" "$2" "$3" <<'PYEOF'
import ast, hashlib, sys
b = bytearray(open(sys.argv[1], "rb").read())
old, new = ast.literal_eval(sys.argv[3]), ast.literal_eval(sys.argv[4])
assert len(old) == len(new) and b.count(old) == 1, (old, b.count(old))
i = b.index(old)
b[i:i + len(old)] = new
b[24:56] = bytes(32)
b[24:56] = hashlib.sha256(b).digest()
open(sys.argv[2], "wb").write(b)
PYEOF
}

# refused NAME CHECK TEXT: plan, check and apply all refuse NAME.xbb with
# TEXT and [CHECK], and make no XenAPI call at all
refused() {
	for cmd in plan check apply; do
		sim_reset
		rc=0
		"$XENBAKE" $cmd "$DIR/$1.xbb" >"$DIR/out" 2>"$DIR/err" || rc=$?
		expect_eq "$cmd $1 (rc)" $rc 1
		grep -qF "refused: " "$DIR/err" && grep -qF "$3" "$DIR/err" &&
		grep -qF "[$2]" "$DIR/err" ||
			{ cat "$DIR/err" >&2; fail "$cmd $1: no clear refusal"; }
		grep -q "$(printf '\033')" "$DIR/err" && fail "$cmd $1: an ESC byte reached stderr"
		calls=$("$PY" -c 'import json, sys, urllib.request
print(json.load(urllib.request.urlopen(sys.argv[1] + "/sim/calls"))["count"])' "$XENBAKE_XAPI")
		expect_eq "XenAPI calls for $cmd $1" "$calls" 0
	done
	tried=$((tried + 1))
}

rehash empty-key "b'\\0QQQQ\\0'" "b'\\0\\0QQQ\\0'"
refused empty-key map-key 'other_config "": an empty other-config key'
rehash outside "b'vm-data/ZZZZ'" "b'vmXdata/ZZZZ'"
refused outside xenstore-data-prefix 'xenstore_data "vmXdata/ZZZZ": an xenstore-data key outside vm-data/'
rehash dotdot "b'vm-data/ZZZZ'" "b'vm-data/../Z'"
refused dotdot xenstore-key 'xenstore_data "vm-data/../Z": a vm-data key that is not segments'
rehash esc-value "b'VVVV'" "b'\\x1b[2J'"
refused esc-value xml-char 'a control character'
rehash esc-key "b'\\0QQQQ\\0'" "b'\\0Q\\x1bQQ\\0'"
refused esc-key xml-char 'other_config "Q\x1bQQ": a control character'
rehash managed "b'xenbake-managex'" "b'xenbake-managed'"
refused managed managed-key 'other_config "xenbake-managed": other-config "xenbake-managed" is xenbake'"'"'s own record'
rehash esc-name "b'web-01'" "b'web\\x1b01'"
refused esc-name xml-char 'vm "web\x1b01": a selector holding a control character'
# a position's file name: each is checked, not only the first one seen
compile good <<'XB'
vm "web-01" {
  vm-data "ZZZZ" = "VVVV";
#@ "part.xb" 7:3
  other-config "QQQQ" = "1";
}
XB
"$XENBAKE" plan "$DIR/good.xbb" >/dev/null 2>&1 || [ $? = 2 ] || fail "plan good, two files"
rehash esc-file "b'part.xb'" "b'pa\x1bt.xb'"
refused esc-file xml-char "a position's file name holding a control character"
echo "rehashed blobs: $tried tried, $tried refused"
echo PASS
