#!/bin/sh
# SPDX-License-Identifier: MIT
# bench/xs-busy.sh [BUILD_DIR] - xenbake's one xenstore transaction on a
# busy host: `xenbake apply --no-xapi` of 10 vm-data keys into each of 100
# guests while busy guests write under their own /local/domain/N through
# their own rings (bench/xs-writer.py, as unprivileged guests):
#   quiet    no writer
#   data     BENCH_WRITERS writers, each for a share of the guests, the
#            guest agent's kind of traffic (data/meminfo_free, data/updated)
#   vm-data  the same, but the guests report back through their vm-data
#            (vm-data/report/seq), in the tree xenbake's transaction writes
#   churn    the guests make and remove a node in their vm-data
#            (vm-data/churn): vm-data itself changes, which xenbake's
#            transaction changes too (the conflicting case)
# on Debian's C xenstored and on oxenstored (what XenServer runs), each
# run on a fresh daemon whose guests are in the boot state xenopsd leaves
# (/local/domain/N n0 rN, vm-data and data the guest's). Runs are
# interleaved (round by round: every daemon, every load) so that the
# machine's own load falls on all alike. Per daemon and load: the median
# wall time of the apply, the retry rate (transactions beyond the first,
# from xenbake -v, per apply), the most transactions one apply took, the
# applies that failed (exit 1: nothing written), those that gave up the
# guests that kept conflicting and wrote the others (partial: exit 3), and
# the keys missing after the applies that did not fail.
# Environment: BENCH_ROUNDS (5), BENCH_WRITERS (4), BENCH_GUESTS (100),
# BENCH_KEYS (10 per guest), BENCH_DAEMONS ("c ocaml"), BENCH_LOADS
# ("quiet data vm-data churn"), BENCH_RATE (guest writes a second per
# writer; 0, the default: as fast as the daemon answers, which on a small
# machine also takes CPU from the daemon and xenbake).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
B=$(cd "${1:-$top/build}" && pwd)
ROUNDS=${BENCH_ROUNDS:-5}
WRITERS=${BENCH_WRITERS:-4}
GUESTS=${BENCH_GUESTS:-100}
KEYS=${BENCH_KEYS:-10}
DAEMONS=${BENCH_DAEMONS:-c ocaml}
LOADS=${BENCH_LOADS:-quiet data vm-data churn}
RATE=${BENCH_RATE:-0}
PY=/usr/bin/python3
[ -x "$B/xenbake" ] && [ -x "$B/xenbakec" ] ||
	{ echo "bench: build first: no xenbake/xenbakec in $B" >&2; exit 2; }
W=$(mktemp -d)
work=$W
. "$top/bench/lib.sh"
WPIDS=
trap 'stop_writers; xsd_down; rm -rf "$W"' EXIT INT TERM
export XENBAKE_STATE_DIR="$W/state" XENBAKE_LOG_SOCKET="$W/log.sock"
xsd_shim

stop_writers() {
	for pid in $WPIDS; do
		kill "$pid" 2>/dev/null || true
	done
	for pid in $WPIDS; do
		wait "$pid" 2>/dev/null || true
	done
	WPIDS=
}

# the guests in the state xenopsd builds them in
make_guests() {
	d=1
	while [ $d -le "$GUESTS" ]; do
		p=/local/domain/$d
		xenstore-write $p/domid $d $p/name "vm-$(printf %03d $d)" \
			$p/vm "/vm/be0c0000-0000-4000-8000-$(printf %012d $d)"
		xenstore-chmod -r $p n0 r$d
		xenstore-write $p/vm-data "" $p/data ""
		xenstore-chmod $p/vm-data n$d
		xenstore-chmod $p/data n$d
		d=$((d + 1))
	done
}

# a fresh daemon as bench/xenstore.sh runs it (bench/lib.sh: R is where
# the guests' rings are), and its guests
up() {
	xsd_up "$1"
	make_guests
}

"$PY" - "$GUESTS" "$KEYS" >"$W/site.xb" <<'PYEOF'
import sys
n, k = (int(a) for a in sys.argv[1:])
for i in range(1, n + 1):
    print('vm "vm-%03d" {' % i)
    for j in range(k):
        print('    vm-data "k%03d" = "value-%d-%d";' % (j, i, j))
    print('}')
PYEOF
# the simulator-free runtime needs the guests' names: --no-xapi finds
# them in xenstore (/local/domain/N/name)
"$B/xenbakec" -o "$W/site.xbb" "$W/site.xb"

ms() { date +%s%N; }
: >"$W/results"
r=1
while [ $r -le "$ROUNDS" ]; do
	for DAEMON in $DAEMONS; do
		for LOAD in $LOADS; do
			up "$DAEMON"
			if [ "$LOAD" != quiet ]; then
				w=0
				while [ $w -lt "$WRITERS" ]; do
					doms=$(seq $((w + 1)) "$WRITERS" "$GUESTS" | tr '\n' ' ')
					# shellcheck disable=SC2086
					"$PY" "$top/bench/xs-writer.py" "$R" "$LOAD" "$RATE" $doms \
						>"$W/writer.$w" 2>&1 &
					WPIDS="$WPIDS $!"
					w=$((w + 1))
				done
				sleep 1      # all writing before the apply starts
			fi
			t0=$(ms)
			rc=0
			"$B/xenbake" apply --no-xapi -v "$W/site.xbb" >/dev/null 2>"$W/err" || rc=$?
			t1=$(ms)
			stop_writers
			writes=0
			for f in "$W"/writer.*; do
				[ -e "$f" ] || continue
				n=$(tail -n 1 "$f")
				case $n in
				''|*[!0-9]*) echo "bench: a writer failed:" >&2; cat "$f" >&2; exit 1 ;;
				esac
				writes=$((writes + n))
			done
			rm -f "$W"/writer.*
			tx=$(sed -n 's/.*xenstore: \([0-9]*\) transactions*,.*/\1/p' "$W/err" | tail -n 1)
			missing=$("$PY" - "$GUESTS" "$KEYS" <<'PYEOF'
import sys
from pyxs import Client, PyXSError
n, k = (int(a) for a in sys.argv[1:])
miss = 0
with Client() as c:
    for i in range(1, n + 1):
        for j in range(k):
            try:
                v = c[("/local/domain/%d/vm-data/k%03d" % (i, j)).encode()]
                miss += v != ("value-%d-%d" % (i, j)).encode()
            except PyXSError:
                miss += 1
print(miss)
PYEOF
)
			# writes: by all writers from start (1 s before the apply) to stop
			echo "$DAEMON $LOAD $r $rc ${tx:-0} $((t1 - t0)) $missing $writes" >>"$W/results"
			[ "$rc" = 0 ] || { echo "bench: $DAEMON $LOAD round $r: apply exit $rc:" >&2; tail -n 2 "$W/err" | cut -c1-160 >&2; }
		done
	done
	r=$((r + 1))
done
xsd_down

echo "xenbake apply --no-xapi: $GUESTS guests x $KEYS vm-data keys, $WRITERS busy-guest writers (rate $RATE/s each, 0: flat out), $ROUNDS interleaved rounds"
"$PY" - "$W/results" <<'PYEOF'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1])]
print("%-7s %-8s %5s %10s %11s %8s %9s %8s %8s %12s" % (
    "daemon", "load", "runs", "median-s", "retries/ap", "max-tx", "failed",
    "partial", "missing", "guest-wr/s"))
seen = []
for d, load, *_ in rows:
    if (d, load) not in seen:
        seen.append((d, load))
for d, load in seen:
    rs = [r for r in rows if r[0] == d and r[1] == load]
    # 3: the guests that kept conflicting were given up, the others
    # written (their keys missing are counted)
    ok = [r for r in rs if r[3] in ("0", "3")]
    times = [int(r[5]) / 1e9 for r in rs]
    retries = [max(0, int(r[4]) - 1) for r in ok]
    # guest writes per second over writers' lifetime (1 s + the apply)
    rate = statistics.median(int(r[7]) / (1 + int(r[5]) / 1e9) for r in rs)
    print("%-7s %-8s %5d %10.3f %11.2f %8d %9d %8d %8d %12.0f" % (
        d, load, len(rs), statistics.median(times),
        sum(retries) / len(ok) if ok else float("nan"),
        max((int(r[4]) for r in rs), default=0),
        len(rs) - len(ok), sum(r[3] == "3" for r in rs),
        sum(int(r[6]) for r in ok), rate))
PYEOF
echo "reproduce: BENCH_RATE=$RATE BENCH_ROUNDS=$ROUNDS BENCH_LOADS=\"$LOADS\" bench/xs-busy.sh $B"
