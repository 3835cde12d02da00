#!/bin/sh
# SPDX-License-Identifier: MIT
# tests/hostile/xs-leak.sh - xenstored gone as a transaction starts (its
# connection closed on TRANSACTION_START, tests/hostile/xs-proxy.py): the
# apply fails cleanly and, under valgrind, frees everything (the request
# array of the start was leaked, 2,560 bytes; issue 12).
. "$(dirname "$0")/../runtime/lib.sh"
# valgrind cannot run an ASan build, which checks its own leaks
# (LeakSanitizer makes the exit status 23)
VALGRIND="valgrind -q --leak-check=full --errors-for-leak-kinds=definite --error-exitcode=99"
if ldd "$XENBAKE" 2>/dev/null | grep -q libasan; then
	VALGRIND=
else
	command -v valgrind >/dev/null || skip "no valgrind"
fi
PROXY=$top_srcdir/tests/hostile/xs-proxy.py
PROXY_PID=
trap '[ -z "$PROXY_PID" ] || kill "$PROXY_PID" 2>/dev/null || true
	"$SANDBOX/down" "$DIR/sb"; rm -rf "$DIR"' EXIT
sandbox_up "$(fixture)"
compile xs <<'XB'
vm "web-01" { vm-data "role" = "frontend"; }
XB
"$PY" "$PROXY" "$DIR/proxy" "$XENSTORED_PATH" TRANSACTION_START close 2>"$DIR/proxy.log" &
PROXY_PID=$!
i=0
until [ -S "$DIR/proxy" ]; do
	i=$((i + 1))
	[ $i -lt 100 ] || { cat "$DIR/proxy.log" >&2; fail "xs-proxy did not start"; }
	sleep 0.1
done
rc=0
XENSTORED_PATH=$DIR/proxy $VALGRIND "$XENBAKE" apply --no-xapi --no-syslog "$DIR/xs.xbb" \
	>/dev/null 2>"$DIR/err" || rc=$?
kill "$PROXY_PID"; wait "$PROXY_PID" 2>/dev/null || true; PROXY_PID=
expect_eq "apply with xenstored gone at the transaction's start (rc; 99: valgrind, 23: LeakSanitizer)" $rc 1
grep -q "lost the connection to xenstored: Connection reset by peer; nothing was written" "$DIR/err" ||
	{ cat "$DIR/err" >&2; fail "no clear message"; }
grep -q "definitely lost" "$DIR/err" && { cat "$DIR/err" >&2; fail "a leak"; }
echo PASS
