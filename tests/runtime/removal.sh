#!/bin/sh
# SPDX-License-Identifier: MIT
# A key dropped from the config is removed; a key someone else wrote, in
# the same directory, stays. A guest the config no longer names loses the
# keys its managed record lists, and only those.
. "$(dirname "$0")/../runtime/lib.sh"
sandbox_up "$(fixture)"
compile v1 <<'XB'
vm "web-01" { vm-data "role" = "frontend"; vm-data "old" = "x"; vm-data "tmp/a/b" = "1"; }
vm "db-01" { vm-data "role" = "db"; }
XB
compile v2 <<'XB'
vm "web-01" { vm-data "role" = "frontend"; }
XB
"$XENBAKE" apply --no-xapi "$DIR/v1.xbb" >/dev/null 2>&1 || fail "apply v1"
xenstore-write /local/domain/5/vm-data/foreign theirs
xenstore-write /local/domain/6/vm-data/foreign theirs

rc=0
"$XENBAKE" plan --no-xapi "$DIR/v2.xbb" >"$DIR/plan" 2>&1 || rc=$?
expect_eq "plan exit" $rc 2
# the lines of one object: from its head to the next one
object_lines() { sed -n "/^vm $1 /,/^[^ ]/p" "$DIR/plan"; }
object_lines web-01 | grep -q '^    - \[domain 5\] vm-data/old: "x"  (no longer in the config)$' ||
	{ cat "$DIR/plan"; fail "plan does not remove old"; }
object_lines db-01 | grep -q '^    - \[domain 6\] vm-data/role: "db"' ||
	{ cat "$DIR/plan"; fail "plan does not remove db-01's role"; }
grep -q foreign "$DIR/plan" && fail "plan touches a foreign key"

trace_mark
"$XENBAKE" apply --no-xapi "$DIR/v2.xbb" >/dev/null 2>&1 || fail "apply v2"
expect_eq "transactions" "$(trace_count TRANSACTION_START)" 1
expect_eq "old" "$(xs_get /local/domain/5/vm-data/old)" "<absent>"
# and the directories it leaves empty
expect_eq "tmp" "$(xs_get /local/domain/5/vm-data/tmp)" "<absent>"
expect_eq "role" "$(xs_get /local/domain/5/vm-data/role)" frontend
expect_eq "foreign 5" "$(xs_get /local/domain/5/vm-data/foreign)" theirs
expect_eq "db role" "$(xs_get /local/domain/6/vm-data/role)" "<absent>"
expect_eq "foreign 6" "$(xs_get /local/domain/6/vm-data/foreign)" theirs
"$XENBAKE" plan --no-xapi "$DIR/v2.xbb" >/dev/null 2>&1 || fail "v2 not idempotent"
# the record is dom0's alone
expect_eq "record perms" \
	"$(xs_perms /tool/xenbake/managed/5e1f0000-0000-4000-8000-000000000005)" n0

# a managed record too long for one node (chunks), then shortened
"$PY" -c '
for n in (200, 50):
    with open("'"$DIR"'/many%d.xb" % n, "w") as f:
        f.write("vm \"app-01\" {\n")
        for i in range(n):
            f.write("    vm-data \"a-rather-long-key-name/number-%03d\" = \"%d\";\n" % (i, i))
        f.write("}\n")
'
"$XENBAKEC" -o "$DIR/many200.xbb" "$DIR/many200.xb" || fail "many200"
"$XENBAKEC" -o "$DIR/many50.xbb" "$DIR/many50.xb" || fail "many50"
"$XENBAKE" apply --no-xapi "$DIR/many200.xbb" >/dev/null 2>&1 || fail "apply many200"
rec=/tool/xenbake/managed/5e1f0000-0000-4000-8000-000000000007
[ "$(xs_get $rec/2)" != "<absent>" ] || fail "a 200-key record should take chunks"
"$XENBAKE" plan --no-xapi "$DIR/many200.xbb" >/dev/null 2>&1 ||
	fail "many200 not idempotent"
"$XENBAKE" apply --no-xapi "$DIR/many50.xbb" >"$DIR/out" 2>&1 || fail "apply many50"
grep -q "150 removed" "$DIR/out" || { tail -3 "$DIR/out"; fail "150 keys to remove"; }
expect_eq "key 49" "$(xs_get /local/domain/7/vm-data/a-rather-long-key-name/number-049)" 49
expect_eq "key 50" "$(xs_get /local/domain/7/vm-data/a-rather-long-key-name/number-050)" "<absent>"
expect_eq "stale chunk" "$(xs_get $rec/2)" "<absent>"
"$XENBAKE" plan --no-xapi "$DIR/many50.xbb" >/dev/null 2>&1 || fail "many50 not idempotent"
# paths longer than the 256 bytes a request is first given room for: a
# nested key written then removed (with its directories), a once key
# re-read inside the transaction
long=$("$PY" -c 'print("/".join(["d%02d-" % i + "x" * 36 for i in range(8)]))')
once=$("$PY" -c 'print("o" * 300)')
cat >"$DIR/long1.xb" <<XB
vm "web-01" { vm-data "role" = "frontend"; vm-data "$long/leaf" = "deep"; vm-data "$once" = "first" once; }
XB
cat >"$DIR/long2.xb" <<XB
vm "web-01" { vm-data "role" = "frontend"; vm-data "$once" = "second" once; }
XB
"$XENBAKEC" -o "$DIR/long1.xbb" "$DIR/long1.xb" || fail "long1"
"$XENBAKEC" -o "$DIR/long2.xbb" "$DIR/long2.xb" || fail "long2"
"$XENBAKE" apply --no-xapi "$DIR/long1.xbb" >/dev/null 2>&1 || fail "apply long1"
expect_eq "long key" "$(xs_get "/local/domain/5/vm-data/$long/leaf")" deep
expect_eq "long once" "$(xs_get "/local/domain/5/vm-data/$once")" first
"$XENBAKE" apply --no-xapi "$DIR/long2.xbb" >/dev/null 2>&1 || fail "apply long2"
expect_eq "long key gone" "$(xs_get "/local/domain/5/vm-data/$long/leaf")" "<absent>"
expect_eq "its directories" "$(xs_get /local/domain/5/vm-data/d00-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx)" "<absent>"
expect_eq "long once kept" "$(xs_get "/local/domain/5/vm-data/$once")" first
"$XENBAKE" plan --no-xapi "$DIR/long2.xbb" >/dev/null 2>&1 || fail "long2 not idempotent"
echo PASS
