#!/bin/sh
# SPDX-License-Identifier: MIT
# No silent half-measures (issue 13 point 5). --no-xapi is refused while
# xapi answers on its local socket (it would copy the keys into
# VM.xenstore_data for good) unless --ignore-running-xapi says so; nothing
# is written then. --no-xenstore keeps xenbake's hands off xenstore, and
# so off a running guest's vm-data (never VM.set_xenstore_data, which
# would have xapi rewrite it as dom0's): a note says so, as the man page.
. "$(dirname "$0")/../runtime/lib.sh"
need_xapi
sandbox_up "$(fixture)"
compile site <<'XB'
vm "web-01" { vm-data "role" = "frontend"; }
XB
SOCK=unix:$DIR/sb/xapi.sock

# xapi answers on the socket: refused, before any request anywhere
trace_mark
rc=0
"$XENBAKE" apply --no-xapi --xapi "$SOCK" "$DIR/site.xbb" >"$DIR/out" \
	2>"$DIR/err" || rc=$?
expect_eq "--no-xapi beside xapi" $rc 1
grep -qF "xapi answers on $SOCK: with --no-xapi the keys written into guests' vm-data would be copied by xapi into VM.xenstore_data" "$DIR/err" ||
	{ cat "$DIR/err"; fail "the refusal does not say why"; }
grep -qF -- "--ignore-running-xapi" "$DIR/err" || fail "no way out named"
expect_eq "xenstore requests" "$(trace_count TRANSACTION_START)" 0
expect_eq "vm-data/role" "$(xs_get /local/domain/5/vm-data/role)" "<absent>"
rc=0
"$XENBAKE" plan --no-xapi --xapi "$SOCK" "$DIR/site.xbb" >/dev/null 2>&1 || rc=$?
expect_eq "plan --no-xapi beside xapi" $rc 1

# a socket nobody listens on is no xapi
"$PY" -c 'import socket, sys; s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.close()' "$DIR/dead.sock"
"$XENBAKE" plan --no-xapi --xapi "unix:$DIR/dead.sock" "$DIR/site.xbb" \
	>/dev/null 2>"$DIR/err" && fail "plan found nothing to do"
grep -q "xapi answers" "$DIR/err" && fail "a dead socket counted as xapi"

# the override, for the rare case
"$XENBAKE" apply --no-xapi --ignore-running-xapi --xapi "$SOCK" \
	"$DIR/site.xbb" >"$DIR/out" 2>"$DIR/err" ||
	{ cat "$DIR/out" "$DIR/err"; fail "apply --ignore-running-xapi"; }
expect_eq "vm-data/role (xenstore only)" \
	"$(xs_get /local/domain/5/vm-data/role)" frontend
rc=0
"$XENBAKE" plan --ignore-running-xapi "$DIR/site.xbb" >/dev/null 2>"$DIR/err" || rc=$?
expect_eq "--ignore-running-xapi alone" $rc 1
grep -qF -- "--ignore-running-xapi goes with --no-xapi" "$DIR/err" ||
	{ cat "$DIR/err"; fail "usage error"; }

# --no-xenstore: no xenstore connection, and a running guest's vm-data is
# left alone (a note names it) rather than wiped through set_xenstore_data
compile site2 <<'XB'
vm "db-01" { vm-data "role" = "db"; }
XB
trace_mark
"$XENBAKE" apply -v --no-xenstore "$DIR/site2.xbb" >"$DIR/out" 2>"$DIR/err" ||
	{ cat "$DIR/out" "$DIR/err"; fail "apply --no-xenstore"; }
grep -q 'xenstore:' "$DIR/err" && fail "--no-xenstore used xenstore"
grep -q 'note: vm db-01 is running and xenstore is not used (--no-xenstore)' "$DIR/err" ||
	{ cat "$DIR/err"; fail "no note for the running guest left alone"; }
expect_eq "db-01 live vm-data/role" "$(xs_get /local/domain/6/vm-data/role)" '<absent>'
[ "$(trace_count RM)" = 0 ] || fail "a guest's vm-data was removed"
echo "PASS"
