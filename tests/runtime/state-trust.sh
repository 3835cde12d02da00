#!/bin/sh
# SPDX-License-Identifier: MIT
# Only the signed blob and root decide what root writes (issue 12 point 1):
# a state directory, journal, lock or receipt that is not owned by the user
# xenbake runs as, is writable by group or others, or is reached through a
# symlink is refused with a clear message before any request to the host.
# plan, check and status write nothing, anywhere, even with a journal left.
# And (point 7): receipts hold absolute blob paths, a receipt that cannot
# be written makes apply exit 1 and status say the last one is missing.
. "$(dirname "$0")/../runtime/lib.sh"
need_xapi
HOOKED=$top_builddir/tests/runtime/xenbake-hooks
[ -x "$HOOKED" ] || skip "no tests/runtime/xenbake-hooks"
[ "$(id -u)" = 0 ] || skip "needs root to chown to nobody"
sandbox_up "$(fixture)"
S=$XENBAKE_STATE_DIR
NOBODY=$(id -u nobody)
compile a <<'XB'
vm "web-01" { vm-data "role" = "frontend"; other-config "owner" = "ops"; }
sr "Disks" { name-label "Local storage"; }
XB
compile b <<'XB'
vm "web-01" { vm-data "role" = "backend"; other-config "owner" = "dev"; }
sr "Local storage" { name-label "Disks"; }
XB
state() {
	"$PY" "$SANDBOX/show-state.py" "$XENBAKE_XAPI"
	xenstore-ls -f /local/domain/5/vm-data 2>/dev/null || true
}
# every file under a directory, with owner, mode, size and mtime
tree() { find "$1" -printf '%p %U %m %s %T@ %l\n' 2>/dev/null | sort; }

"$XENBAKE" apply "$DIR/a.xbb" >/dev/null 2>&1 || fail "apply a"
state >"$DIR/A"

# a real journal: b's apply killed after every XenAPI write (old = a's
# maps); then b applied whole, so rolling it back would write
rc=0
(XENBAKE_TEST_HOOK_AFTER_WRITE=2 "$HOOKED" apply "$DIR/b.xbb" \
	>/dev/null 2>&1) 2>/dev/null || rc=$?
expect_eq "apply killed" $rc 137
mv "$S/journal" "$DIR/journal.b"
"$XENBAKE" apply "$DIR/b.xbb" >/dev/null 2>&1 || fail "apply b"
state >"$DIR/B"

# plant STATEDIR: a copy of the journal in a fresh directory
plant() {
	rm -rf "$1"
	mkdir -m 0700 "$1"
	cp "$DIR/journal.b" "$1/journal"
	chmod 0600 "$1/journal"
}
# refused WHAT STATEDIR PATTERN: apply, plan and check with STATEDIR all
# write nothing; apply exits 1 with PATTERN on stderr
refused() {
	for cmd in apply plan check; do
		sim_reset
		tree "$2" >"$DIR/tree.before"
		rc=0
		"$XENBAKE" $cmd --state-dir "$2" "$DIR/a.xbb" >"$DIR/out" 2>"$DIR/err" || rc=$?
		if [ $cmd = apply ]; then
			expect_eq "apply with $1 (rc)" $rc 1
			grep -q "$3" "$DIR/err" ||
				{ cat "$DIR/err" >&2; fail "apply with $1: no clear refusal"; }
		fi
		expect_eq "XenAPI writes by $cmd with $1" "$(sim_writes)" 0
		same B "$cmd with $1"
		tree "$2" >"$DIR/tree.after"
		# apply, in a directory it trusts, may leave its lock and an
		# error receipt; the journal stays as it was
		if [ $cmd = apply ]; then
			grep /journal "$DIR/tree.before" >"$DIR/tree.before.j" || true
			grep /journal "$DIR/tree.after" >"$DIR/tree.after.j" || true
			diff -u "$DIR/tree.before.j" "$DIR/tree.after.j" >&2 ||
				fail "apply with $1 changed the journal"
		else
			diff -u "$DIR/tree.before" "$DIR/tree.after" >&2 ||
				fail "$cmd with $1 changed the state directory"
		fi
	done
	echo "refused: $1"
}
same() {
	state >"$DIR/now"
	diff -u "$DIR/$1" "$DIR/now" >&2 || fail "$2: the host changed"
}

# the attack of the issue: a journal written by nobody (its directory
# nobody's) made root rename the SR and write other_config
plant "$DIR/s-nobody"
chown -R nobody "$DIR/s-nobody"
refused "a state directory owned by nobody" "$DIR/s-nobody" \
	"refusing the state directory $DIR/s-nobody: owned by uid $NOBODY, not 0"
# ours, but group/other-writable
plant "$DIR/s-g"; chmod 0770 "$DIR/s-g"
refused "a group-writable state directory" "$DIR/s-g" \
	"refusing the state directory $DIR/s-g: writable by group or others"
plant "$DIR/s-o"; chmod 1777 "$DIR/s-o"
refused "a world-writable state directory" "$DIR/s-o" \
	"refusing the state directory $DIR/s-o: writable by group or others"
# a symlink to a good one
plant "$DIR/s-real"; ln -s "$DIR/s-real" "$DIR/s-link"
refused "a symlinked state directory" "$DIR/s-link" \
	"refusing the state directory $DIR/s-link: a symlink"
# a good directory, the journal nobody's, or writable by others, or a link
plant "$DIR/s-jn"; chown nobody "$DIR/s-jn/journal"
refused "a journal owned by nobody" "$DIR/s-jn" \
	"refusing $DIR/s-jn/journal: owned by uid $NOBODY"
plant "$DIR/s-jw"; chmod 0666 "$DIR/s-jw/journal"
refused "a world-writable journal" "$DIR/s-jw" \
	"refusing $DIR/s-jw/journal: writable by group or others"
plant "$DIR/s-jl"; mv "$DIR/s-jl/journal" "$DIR/elsewhere"
ln -s "$DIR/elsewhere" "$DIR/s-jl/journal"
refused "a symlinked journal" "$DIR/s-jl" "refusing $DIR/s-jl/journal: a symlink"
# the lock: nobody's, or a FIFO (opened without blocking, then refused)
mkdir -m 0700 "$DIR/s-lock"; : >"$DIR/s-lock/lock"; chown nobody "$DIR/s-lock/lock"
refused "a lock owned by nobody" "$DIR/s-lock" "refusing $DIR/s-lock/lock: owned by uid $NOBODY"
rm "$DIR/s-lock/lock"; mkfifo -m 0600 "$DIR/s-lock/lock"
refused "a FIFO for a lock" "$DIR/s-lock" "refusing $DIR/s-lock/lock: not a regular file"

# read-only commands with a good state directory and a leftover journal
# (the pool case: a member's journal, the master since applied): no
# rollback, no write, the journal left for the next apply; status too
plant "$DIR/s-left"
"$XENBAKE" apply --state-dir "$DIR/s-ok" "$DIR/b.xbb" >/dev/null 2>&1 || fail "apply b"
cp "$DIR/s-ok/last-receipt.json" "$DIR/s-left/"
for cmd in plan check status dump; do
	sim_reset
	tree "$DIR/s-left" >"$DIR/tree.before"
	arg=$DIR/a.xbb; [ $cmd = status ] && arg=
	"$XENBAKE" $cmd --state-dir "$DIR/s-left" $arg >"$DIR/out" 2>"$DIR/err" || true
	expect_eq "XenAPI writes by $cmd with a journal left" "$(sim_writes)" 0
	same B "$cmd with a journal left"
	tree "$DIR/s-left" >"$DIR/tree.after"
	diff -u "$DIR/tree.before" "$DIR/tree.after" >&2 ||
		fail "$cmd with a journal left changed the state directory"
done
grep -q "note: $DIR/s-left/journal: an apply was cut off" "$DIR/err" 2>/dev/null ||
"$XENBAKE" check --state-dir "$DIR/s-left" "$DIR/a.xbb" 2>&1 >/dev/null |
	grep -q "note: $DIR/s-left/journal: an apply was cut off" ||
	fail "check does not say a journal is there"
echo "read-only commands: nothing written"

# receipts: a symlinked receipts directory is not followed, and pruning
# never deletes at its target; a symlinked last-receipt.json is not read
mkdir -m 0700 "$DIR/s-rl" "$DIR/victim"
for i in $(seq 10 70); do echo keep >"$DIR/victim/200001${i}T000000.000000Z.json"; done
ln -s "$DIR/victim" "$DIR/s-rl/receipts"
rc=0
"$XENBAKE" apply --state-dir "$DIR/s-rl" "$DIR/a.xbb" >/dev/null 2>"$DIR/err" || rc=$?
expect_eq "apply with a symlinked receipts directory (rc)" $rc 1
grep -q "no receipt was written: refusing the state directory $DIR/s-rl/receipts: a symlink" "$DIR/err" ||
	{ cat "$DIR/err" >&2; fail "no word of the receipts symlink"; }
expect_eq "files left at the receipts symlink's target" "$(ls "$DIR/victim" | wc -l)" 61
echo "secret" >"$DIR/secret"; chmod 0600 "$DIR/secret"
mkdir -m 0700 "$DIR/s-ll"; ln -s "$DIR/secret" "$DIR/s-ll/last-receipt.json"
rc=0
"$XENBAKE" status --json --state-dir "$DIR/s-ll" >"$DIR/out" 2>"$DIR/err" || rc=$?
expect_eq "status with a symlinked last receipt (rc)" $rc 1
grep -q "secret" "$DIR/out" "$DIR/err" && fail "status printed the symlink's target"
grep -q "refusing $DIR/s-ll/last-receipt.json: a symlink" "$DIR/err" ||
	{ cat "$DIR/err" >&2; fail "no word of the last-receipt symlink"; }
echo "receipt symlinks: not followed"

# receipts store absolute blob paths, whatever the command line said
(cd "$DIR" && "$XENBAKE" apply --state-dir "$DIR/s-abs" a.xbb >/dev/null 2>&1) ||
	fail "apply with a relative path"
"$PY" -c 'import json, sys
p = json.load(open(sys.argv[1]))["blobs"][0]["path"]
assert p == sys.argv[2], p' "$DIR/s-abs/last-receipt.json" "$DIR/a.xbb" ||
	fail "the receipt's blob path is not absolute"
(cd / && "$XENBAKE" status --state-dir "$DIR/s-abs" >"$DIR/out" 2>&1) ||
	{ cat "$DIR/out" >&2; fail "status from another directory"; }
grep -q "not part of the last apply" "$DIR/out" && fail "status lost the blob"

# a receipt that cannot be written (a file size limit: EFBIG, as a full
# disk gives ENOSPC): apply exits 1 saying so, and status says the last
# receipt is missing instead of comparing the host with an older apply
# (xenstore only: no journal, the receipt is the one big write)
compile c <<'XB'
vm "db-01" { vm-data "role" = "c"; vm-data "x" = "1"; vm-data "y" = "2"; }
XB
compile d <<'XB'
vm "db-01" { vm-data "role" = "d"; vm-data "x" = "3"; vm-data "y" = "4"; }
XB
"$XENBAKE" apply --no-xapi --state-dir "$DIR/s-full" "$DIR/c.xbb" >/dev/null 2>&1 ||
	fail "apply c (s-full)"
rc=0
sh -c 'ulimit -f 1; exec "$@"' sh "$XENBAKE" apply --no-xapi --state-dir "$DIR/s-full" \
	"$DIR/d.xbb" >"$DIR/out" 2>"$DIR/err" || rc=$?
expect_eq "apply without room for its receipt (rc)" $rc 1
grep -q "no receipt was written: cannot write .*File too large" "$DIR/err" &&
grep -q "the changes above were made, but no receipt records them" "$DIR/err" ||
	{ cat "$DIR/err" >&2; fail "apply did not say its receipt is missing"; }
[ ! -e "$DIR/s-full/last-receipt.json" ] || fail "an older last receipt stays"
rc=0
"$XENBAKE" status --state-dir "$DIR/s-full" >"$DIR/out" 2>"$DIR/err" || rc=$?
expect_eq "status after a lost receipt (rc)" $rc 1
grep -q "the last receipt is missing" "$DIR/err" ||
	{ cat "$DIR/err" >&2; fail "status does not say the last receipt is missing"; }
grep -q "drifted" "$DIR/out" && fail "status reported drift against an older apply"
echo PASS
