#!/bin/sh
# Guest isolation: as unprivileged guests on their own rings (xsguest.py),
# guest 5 reads its vm-data but cannot change it, and guest 6 cannot read
# guest 5's.
. "$top_srcdir/tests/runtime/lib.sh"
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
    g5.write("/local/domain/5/vm-data/secret/token", b"mine")
    raise SystemExit("guest 5 changed its vm-data")
except XsError as e:
    assert e.errno == errno.EACCES, e
PYEOF
expect_eq "token" "$(xs_get /local/domain/5/vm-data/secret/token)" s3cr3t
echo PASS
