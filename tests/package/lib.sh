# SPDX-License-Identifier: MIT
# tests/package/lib.sh - sourced by deb.sh and rpm.sh:
#   installed_run ROOT WORK   the xenbakec and xenbake installed under ROOT
#                             compile, plan, apply and report status against
#                             a sandbox host (xenstored + XenAPI simulator)
#                             started in WORK/sb and stopped after
# Needs fail() from the caller.

installed_run() {
	ir_root=$1 ir_w=$2
	ir_xbc=$ir_root/usr/bin/xenbakec ir_xb=$ir_root/usr/sbin/xenbake
	[ -x "$ir_xbc" ] && [ -x "$ir_xb" ] || fail "installed programs missing in $ir_root"
	# one running guest, known to XenAPI and in xenstore
	cat >"$ir_w/host.json" <<'JSON'
{"hosts": [{"uuid": "0b7a0c52-0000-4000-8000-000000000001",
            "name_label": "xs-01", "address": "127.0.0.1"}],
 "vms": [{"uuid": "5e1f0000-0000-4000-8000-000000000005",
          "name_label": "web-01", "power_state": "Running", "domid": 5,
          "resident_on": "0b7a0c52-0000-4000-8000-000000000001",
          "is_a_template": false, "is_control_domain": false,
          "xenstore_data": {}, "other_config": {}}],
 "srs": [], "networks": [], "pifs": []}
JSON
	cat >"$ir_w/site.xb" <<'XB'
vm "web-01" {
    vm-data "role" = "frontend";
    other-config "owner" = "installed-test";
}
XB
	"$top_srcdir/tests/sandbox/up" "$ir_w/host.json" "$ir_w/sb" 2>"$ir_w/up.log" ||
		{ cat "$ir_w/up.log" >&2; fail "sandbox did not start"; }
	# shellcheck disable=SC1091
	ir_rc=0
	(
		. "$ir_w/sb/env"
		set -e
		"$ir_xbc" -o "$ir_w/site.xbb" "$ir_w/site.xb" || fail "installed xenbakec"
		rc=0; "$ir_xb" plan "$ir_w/site.xbb" >"$ir_w/plan.out" 2>&1 || rc=$?
		[ $rc -eq 2 ] || { cat "$ir_w/plan.out" >&2; fail "plan: exit $rc, want 2 (changes)"; }
		grep -q 'role' "$ir_w/plan.out" || { cat "$ir_w/plan.out" >&2; fail "plan does not name the key"; }
		"$ir_xb" apply "$ir_w/site.xbb" >"$ir_w/apply.out" 2>&1 ||
			{ cat "$ir_w/apply.out" >&2; fail "installed xenbake apply"; }
		grep -q '^Applied:' "$ir_w/apply.out" || { cat "$ir_w/apply.out" >&2; fail "apply summary"; }
		got=$(xenstore-read /local/domain/5/vm-data/role) || fail "xenstore-read"
		[ "$got" = frontend ] || fail "vm-data/role is '$got' after apply"
		"$ir_xb" status "$ir_w/site.xbb" >"$ir_w/status.out" 2>&1 ||
			{ cat "$ir_w/status.out" >&2; fail "status after apply: not 0 (matches)"; }
		"$ir_xb" plan "$ir_w/site.xbb" >"$ir_w/plan2.out" 2>&1 ||
			{ cat "$ir_w/plan2.out" >&2; fail "plan after apply: changes left"; }
	) || ir_rc=$?
	"$top_srcdir/tests/sandbox/down" "$ir_w/sb" || true
	[ $ir_rc -eq 0 ] || exit "$ir_rc"
}
