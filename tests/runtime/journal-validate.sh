#!/bin/sh
# SPDX-License-Identifier: MIT
# Everything that can be checked is checked before the first write: a map
# whose set_ request would be over the 300 KiB xapi reads, planned after
# writes that would go through, stops the apply with no write at all and
# no journal, naming the object and the source position.
. "$(dirname "$0")/../runtime/lib.sh"
need_xapi
sandbox_up "$(fixture)"
JOURNAL=$XENBAKE_STATE_DIR/journal
{
	echo 'vm "web-01" { other-config "owner" = "ops"; }'
	echo 'network "Storage network" {'
	"$PY" -c 'for i in range(170): print("  other-config \"k%03d\" = \"%s\";" % (i, "v" * 2000))'
	echo '}'
} | compile big
"$PY" "$SANDBOX/show-state.py" "$XENBAKE_XAPI" >"$DIR/before"
sim_reset
rc=0
"$XENBAKE" apply "$DIR/big.xbb" >/dev/null 2>"$DIR/err" || rc=$?
expect_eq "exit status" $rc 1
grep -q 'network "Storage network" other_config (.*big.xb:3:3): network.set_other_config: a request of [0-9]* bytes is over the 307200 bytes XenAPI accepts; nothing was changed, the host is as it was' "$DIR/err" ||
	{ cat "$DIR/err" >&2; fail "the request too large is not named with its source"; }
expect_eq "XenAPI writes" "$(sim_writes)" 0
[ ! -e "$JOURNAL" ] || fail "a journal for an apply that never started"
"$PY" "$SANDBOX/show-state.py" "$XENBAKE_XAPI" >"$DIR/after"
diff -u "$DIR/before" "$DIR/after" || fail "the host changed"
echo PASS
