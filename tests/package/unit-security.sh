#!/bin/sh
# SPDX-License-Identifier: MIT
# The systemd unit's exposure, as `systemd-analyze security` scores it
# offline (systemd 250 or later): 3.0 or below ("OK"), and every
# hardening directive the unit relies on present. Skips where the tool
# or its --offline mode is missing.
set -eu
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$(pwd)}"
fail() { echo "FAIL: $*" >&2; exit 1; }
skip() { echo "SKIP: $*" >&2; exit 77; }

command -v systemd-analyze >/dev/null || skip "no systemd-analyze"
DIR=$(mktemp -d)
trap 'rm -rf "$DIR"' EXIT
# the unit as installed, under its own name (the score names it)
sed -e 's|@sbindir[@]|/usr/sbin|g' "$top_srcdir/contrib/systemd/xenbake.service.in" \
	>"$DIR/xenbake.service"
systemd-analyze security --offline=yes --no-pager "$DIR/xenbake.service" \
	>"$DIR/out" 2>"$DIR/err" || {
	grep -q -- '--offline' "$DIR/err" && skip "systemd-analyze has no --offline"
	cat "$DIR/out" "$DIR/err"; fail "systemd-analyze security failed"
}
score=$(sed -n 's/.*Overall exposure level for xenbake.service: \([0-9.]*\).*/\1/p' "$DIR/out")
[ -n "$score" ] || { cat "$DIR/out"; fail "no overall exposure level"; }
echo "exposure: $score"
awk -v s="$score" 'BEGIN { exit !(s <= 3.0) }' ||
	{ grep '✗' "$DIR/out"; fail "exposure $score, want 3.0 or below"; }
for d in NoNewPrivileges=yes ProtectSystem=strict StateDirectory=xenbake \
	 ProtectHome=yes PrivateTmp=yes CapabilityBoundingSet= UMask=0077 \
	 LockPersonality=yes MemoryDenyWriteExecute=yes SystemCallArchitectures=native; do
	grep -qx "$d" "$DIR/xenbake.service" || fail "the unit lacks $d"
done
grep -q '^SystemCallFilter=@system-service' "$DIR/xenbake.service" ||
	fail "the unit has no SystemCallFilter"
grep -qx 'RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6' "$DIR/xenbake.service" ||
	fail "RestrictAddressFamilies is not the three families xenbake uses"
