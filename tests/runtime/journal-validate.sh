#!/bin/sh
# SPDX-License-Identifier: MIT
# Everything that can be checked is checked before the first write: a key
# whose add_to_ request would be over the 300 KiB xapi reads, planned after
# writes that would go through, stops the apply with no write at all and
# no journal, naming the object and the source position. (Keys go one a
# call: 170 keys of 2,000 bytes, over 300 KiB as one map, go through.)
. "$(dirname "$0")/../runtime/lib.sh"
need_xapi
sandbox_up "$(fixture)"
JOURNAL=$XENBAKE_STATE_DIR/journal
{
	echo 'vm "web-01" { other-config "owner" = "ops"; }'
	echo 'network "Storage network" {'
	echo "  other-config \"huge\" = \"$("$PY" -c 'print("v" * 310000)')\";"
	"$PY" -c 'for i in range(170): print("  other-config \"k%03d\" = \"%s\";" % (i, "v" * 2000))'
	echo '}'
} | compile big
"$PY" "$SANDBOX/show-state.py" "$XENBAKE_XAPI" >"$DIR/before"
sim_reset
rc=0
"$XENBAKE" apply "$DIR/big.xbb" >/dev/null 2>"$DIR/err" || rc=$?
expect_eq "exit status" $rc 1
grep -q 'network "Storage network" other_config (.*big.xb:3:3): network.add_to_other_config: a request of [0-9]* bytes is over the 307200 bytes XenAPI accepts; nothing was changed, the host is as it was' "$DIR/err" ||
	{ cat "$DIR/err" >&2; fail "the request too large is not named with its source"; }
expect_eq "XenAPI writes" "$(sim_writes)" 0
[ ! -e "$JOURNAL" ] || fail "a journal for an apply that never started"
"$PY" "$SANDBOX/show-state.py" "$XENBAKE_XAPI" >"$DIR/after"
diff -u "$DIR/before" "$DIR/after" || fail "the host changed"

# without the huge key: 170 keys, one call each, all written
{
	echo 'network "Storage network" {'
	"$PY" -c 'for i in range(170): print("  other-config \"k%03d\" = \"%s\";" % (i, "v" * 2000))'
	echo '}'
} | compile many
sim_reset
"$XENBAKE" apply "$DIR/many.xbb" >/dev/null 2>"$DIR/err" ||
	{ cat "$DIR/err" >&2; fail "170 keys of 2,000 bytes"; }
expect_eq "XenAPI writes of 170 keys and the record" "$(sim_writes)" 171
echo PASS
