#!/bin/sh
# SPDX-License-Identifier: MIT
# Guest isolation: as unprivileged guests on their own rings (xsguest.py),
# guest 5 reads and writes its own vm-data (it stays the guest's: xenbake
# never takes it away), and guest 6 can neither read nor write guest 5's.
# A vm-data someone else made (here the guest itself) is left as it is,
# and each node xenbake creates in it inherits its permissions.
. "$(dirname "$0")/../runtime/lib.sh"
sandbox_up "$(fixture)"
compile site <<'XB'
vm "web-01" { vm-data "secret/token" = "s3cr3t"; }
vm "db-01" { vm-data "role" = "db"; }
XB
"$XENBAKE" apply --no-xapi "$DIR/site.xbb" >/dev/null 2>&1 || fail "apply failed"
PYTHONPATH=$top_srcdir/tests/sandbox "$PY" - <<'PYEOF' || fail "isolation"
import errno
from xsguest import Guest, XsError
g5, g6 = Guest.introduce(5), Guest.introduce(6)
assert g5.read("/local/domain/5/vm-data/secret/token").rstrip(b"\0") == b"s3cr3t"
assert g6.read("/local/domain/6/vm-data/role").rstrip(b"\0") == b"db"
for who, path in ((g6, "/local/domain/5/vm-data/secret/token"),
                  (g6, "/local/domain/5/vm-data/secret"),
                  (g6, "/local/domain/5/vm-data")):
    try:
        who.read(path)
        raise SystemExit("guest 6 read " + path)
    except XsError as e:
        assert e.errno == errno.EACCES, e
try:
    g6.write("/local/domain/5/vm-data/secret/token", b"theirs")
    raise SystemExit("guest 6 changed guest 5's vm-data")
except XsError as e:
    assert e.errno == errno.EACCES, e
# its own: the guest may report back through it
g5.write("/local/domain/5/vm-data/secret/token", b"mine")
g5.write("/local/domain/5/vm-data/reported", b"ok")
PYEOF
expect_eq "token" "$(xs_get /local/domain/5/vm-data/secret/token)" mine
expect_eq "perms of vm-data" "$(xs_perms /local/domain/5/vm-data)" n5

xenstore-write /local/domain/7/vm-data/mine guest
xenstore-chmod /local/domain/7/vm-data n7
xenstore-chmod /local/domain/7/vm-data/mine n7
compile theirs <<'XB'
vm "app-01" { vm-data "x/y/z" = "1"; vm-data "w" = "2"; vm-data "mine" = "ours"; }
XB
"$XENBAKE" apply --no-xapi "$DIR/theirs.xbb" >/dev/null 2>&1 || fail "apply theirs"
expect_eq "their vm-data" "$(xs_perms /local/domain/7/vm-data)" n7
for node in x x/y x/y/z w mine; do
	expect_eq "perms of $node" "$(xs_perms /local/domain/7/vm-data/$node)" "n7"
done
expect_eq "x/y/z" "$(xs_get /local/domain/7/vm-data/x/y/z)" 1
"$XENBAKE" plan --no-xapi "$DIR/theirs.xbb" >/dev/null 2>&1 ||
	fail "theirs not idempotent"
echo PASS
