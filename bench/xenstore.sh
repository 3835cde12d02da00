#!/bin/sh
# SPDX-License-Identifier: MIT
# bench/xenstore.sh [BUILD_DIR] - xenbake's xenstore apply against the
# other ways to put the same vm-data into 100 running guests:
#   per-key   a shell loop of `xenstore-write`, one process per key
#   bare      bench/xs-bare.c: libxenstore, every key in one transaction,
#             nothing else (no reads, permissions or bookkeeping)
#   raw       bench/xs-raw.c: the same writes and transaction on the wire
#             protocol, all pipelined: the daemon's own limit
#   xenbake   `xenbake apply --no-xapi` (reads, writes only what differs,
#             sets permissions, keeps its managed record, one transaction)
#   no-op     the same apply again: must send no write at all
# for 1,000 and 10,000 keys, each measurement on a fresh daemon (timings
# depend on the daemon's history), with Debian's C xenstored (the test
# sandbox's) and with oxenstored (what XenServer runs). Request counts come
# from a separate run: the C daemon's trace, oxenstored's xenbake -v.
# Targets: xenbake >= 10x faster than per-key, within 1.2x of bare, no-op
# = 0 writes. Each ratio is printed with the command that reproduces it.
# Environment: BENCH_SIZES (default "1000 10000"), BENCH_GUESTS (100),
# BENCH_REPEAT (5: the median of, in turns), BENCH_DAEMONS ("c ocaml"),
# BENCH_PERKEY_MAX (10000: above, per-key is skipped).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
B=$(cd "${1:-$top/build}" && pwd)
SIZES=${BENCH_SIZES:-1000 10000}
GUESTS=${BENCH_GUESTS:-100}
REPEAT=${BENCH_REPEAT:-5}
PERKEY_MAX=${BENCH_PERKEY_MAX:-10000}
DAEMONS=${BENCH_DAEMONS:-c ocaml}
PY=/usr/bin/python3
FIRST=1
[ -x "$B/xenbake" ] && [ -x "$B/xenbakec" ] ||
	{ echo "bench: build first: no xenbake/xenbakec in $B" >&2; exit 2; }
W=$(mktemp -d)
work=$W
. "$top/bench/lib.sh"
trap 'xsd_down; rm -rf "$W"' EXIT INT TERM
# xenbake's lock and receipts, and its log lines, stay in here
export XENBAKE_STATE_DIR="$W/state" XENBAKE_LOG_SOCKET="$W/log.sock"

${CC:-cc} -O2 -o "$W/xs-bare" "$top/bench/xs-bare.c" -lxenstore
${CC:-cc} -O2 -o "$W/xs-raw" "$top/bench/xs-raw.c" -lxenstore
xsd_shim
case " $DAEMONS " in
*" ocaml "*) [ -x "$OXENSTORED" ] || { echo "bench: no $OXENSTORED" >&2; exit 2; } ;;
esac

# the guests of the fixture, as xenopsd builds them (docs/xapi-facts.md,
# "Boot state"): /local/domain/N dom0's and readable by the guest, its
# vm-data and data there and the guest's own
make_guests() {
	d=$FIRST
	while [ $d -lt $((FIRST + GUESTS)) ]; do
		n=$((d - FIRST))
		xenstore-write /local/domain/$d/domid $d \
			/local/domain/$d/vm "/vm/be0c0000-0000-4000-8000-$(printf %012d $n)" \
			/local/domain/$d/name "vm-$(printf %03d $n)" \
			/local/domain/$d/vm-data "" /local/domain/$d/data ""
		xenstore-chmod -r /local/domain/$d n0 r$d
		xenstore-chmod /local/domain/$d/vm-data n$d
		xenstore-chmod /local/domain/$d/data n$d
		d=$((d + 1))
	done
}

up() {   # up DAEMON [trace]: a fresh daemon (bench/lib.sh) and its guests
	xsd_up "$@"
	make_guests
}

ms() { date +%s%N; }
secs() { echo "$1 $2" | awk '{ printf "%.4f", ($2 - $1) / 1e9 }'; }
# median of the samples, and "min-max" (lib.sh's median reads its
# samples files; these take the samples as arguments)
median_of() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 }
	END { printf "%.4f", NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
spread() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { printf "%.3f-%.3f", v[1], v[NR] }'; }
# requests xenbake sent (IN lines) after the trace had $1 lines
requests() { tail -n +"$(($1 + 1))" "$W/xs/trace" | grep -c '^IN ' || true; }
writes() { tail -n +"$(($1 + 1))" "$W/xs/trace" | grep -c '^IN .* \(WRITE\|RM\|SET_PERMS\|MKDIR\) (' || true; }

row() {
	printf '%-6s %-6s %-6s %8s %8s %8s %8s %8s %8s %7s %6s %9s %7s\n' "$@"
}
row daemon keys guests per-key bare raw xenbake no-op x-perkey x-bare x-raw \
	req/apply noop-wr
: >"$W/ratios"
for DAEMON in $DAEMONS; do
for N in $SIZES; do
	K=$((N / GUESTS))
	"$PY" - "$GUESTS" "$K" "$FIRST" >"$W/site.xb" <<'PYEOF'
import sys
n, k, first = (int(a) for a in sys.argv[1:])
for i in range(n):
    print('vm "vm-%03d" {' % i)
    for j in range(k):
        print('    vm-data "k%05d" = "value-%d-%d";' % (j, first + i, j))
    print('}')
PYEOF
	"$B/xenbakec" -o "$W/site.xbb" "$W/site.xb"
	# every path and value for one xenstore-write process (one transaction)
	"$PY" - "$GUESTS" "$K" "$FIRST" >"$W/pairs" <<'PYEOF'
import sys
n, k, first = (int(a) for a in sys.argv[1:])
for i in range(n):
    for j in range(k):
        sys.stdout.write("/local/domain/%d/vm-data/k%05d\0value-%d-%d\0"
                         % (first + i, j, first + i, j))
PYEOF

	perkey=-
	if [ "$N" -le "$PERKEY_MAX" ]; then
		up "$DAEMON"
		t0=$(ms)
		i=0
		while [ $i -lt "$GUESTS" ]; do
			j=0
			while [ $j -lt "$K" ]; do
				xenstore-write "/local/domain/$((FIRST + i))/vm-data/$(printf k%05d $j)" \
					"value-$((FIRST + i))-$j"
				j=$((j + 1))
			done
			i=$((i + 1))
		done
		perkey=$(secs "$t0" "$(ms)")
	fi

	bare_runs="" raw_runs="" xb_runs="" noop_runs="" one_runs=""
	r=0
	while [ $r -lt "$REPEAT" ]; do
		up "$DAEMON"
		t0=$(ms)
		"$W/xs-bare" "$GUESTS" "$K" "$FIRST" >/dev/null
		bare_runs="$bare_runs $(secs "$t0" "$(ms)")"
		up "$DAEMON"
		t0=$(ms)
		"$W/xs-raw" "$GUESTS" "$K" "$FIRST" >/dev/null
		raw_runs="$raw_runs $(secs "$t0" "$(ms)")"
		up "$DAEMON"
		t0=$(ms)
		xargs -0 xenstore-write <"$W/pairs"
		one_runs="$one_runs $(secs "$t0" "$(ms)")"
		up "$DAEMON"
		t0=$(ms)
		"$B/xenbake" apply --no-xapi "$W/site.xbb" >/dev/null 2>"$W/err" ||
			{ cat "$W/err" >&2; exit 1; }
		t1=$(ms)
		"$B/xenbake" apply --no-xapi "$W/site.xbb" >/dev/null 2>"$W/err" ||
			{ cat "$W/err" >&2; exit 1; }
		t2=$(ms)
		xb_runs="$xb_runs $(secs "$t0" "$t1")"
		noop_runs="$noop_runs $(secs "$t1" "$t2")"
		r=$((r + 1))
	done
	# shellcheck disable=SC2086
	bare=$(median_of $bare_runs); raw=$(median_of $raw_runs)
	xb=$(median_of $xb_runs); noop=$(median_of $noop_runs); one=$(median_of $one_runs)

	req=- noop_wr=-
	if [ "$DAEMON" = c ]; then
		up c trace
		m=$(wc -l <"$W/xs/trace")
		"$B/xenbake" apply --no-xapi "$W/site.xbb" >/dev/null 2>&1
		req=$(requests "$m")
		m=$(wc -l <"$W/xs/trace")
		"$B/xenbake" apply --no-xapi "$W/site.xbb" >/dev/null 2>&1
		noop_wr=$(writes "$m")
	else
		# no trace here: xenbake's own count (-v); a transaction is
		# two requests, connecting one
		up "$DAEMON"
		"$B/xenbake" apply --no-xapi -v "$W/site.xbb" >/dev/null 2>"$W/err"
		req=$(sed -n 's/.*xenstore: \([0-9]*\) transactions*, \([0-9]*\) reads, \([0-9]*\) writes, \([0-9]*\) removes, \([0-9]*\) mkdirs, \([0-9]*\) set-perms/\1 \2 \3 \4 \5 \6/p' "$W/err" |
			awk '{ print 2 * $1 + $2 + $3 + $4 + $5 + $6 + 1 }')
		"$B/xenbake" apply --no-xapi -v "$W/site.xbb" >/dev/null 2>"$W/err"
		noop_wr=$(sed -n 's/.* \([0-9]*\) writes, \([0-9]*\) removes, \([0-9]*\) mkdirs, \([0-9]*\) set-perms/\1 \2 \3 \4/p' "$W/err" |
			awk '{ print $1 + $2 + $3 + $4 }')
	fi

	xp=-
	[ "$perkey" = - ] || xp=$(ratio "$perkey" "$xb")
	row "$DAEMON" "$N" "$GUESTS" "$perkey" "$bare" "$raw" "$xb" "$noop" \
		"$xp" "$(ratio "$xb" "$bare")" "$(ratio "$xb" "$raw")" "$req" \
		"$noop_wr"
	again="BENCH_DAEMONS=$DAEMON BENCH_SIZES=$N sh bench/xenstore.sh $B"
	{
		[ "$perkey" = - ] || {
			echo "$DAEMON $N: xenbake is ${xp}x faster than per-key (target >= 10): $again"
			echo "$DAEMON $N: bare is $(ratio "$perkey" "$bare")x faster than per-key (the daemon's own cost): $again"
		}
		echo "$DAEMON $N: xenbake takes $(ratio "$xb" "$bare")x the time of bare (target <= 1.2): $again"
		echo "$DAEMON $N: xenbake takes $(ratio "$xb" "$raw")x the time of raw (the limit): $again"
		echo "$DAEMON $N: xenbake takes $(ratio "$xb" "$one")x the time of one xenstore-write process with all pairs ($one s, spread $(spread $one_runs)): $again"
		echo "$DAEMON $N: spread (min-max) bare $(spread $bare_runs), raw $(spread $raw_runs), xenbake $(spread $xb_runs), no-op $(spread $noop_runs)"
		echo "$DAEMON $N: xenbake sends $req requests per apply, $noop_wr writes in the no-op: $again"
	} >>"$W/ratios"
done
done
echo
cat "$W/ratios"
echo
t0=$(ms); i=0
while [ $i -lt 20 ]; do "$B/xenbake" --version >/dev/null; i=$((i + 1)); done
startup=$(echo "$t0 $(ms)" | awk '{ printf "%.4f", ($2 - $1) / 20e9 }')
echo "(wall seconds of whole processes, the median of $REPEAT runs taken in turns; x-perkey = per-key / xenbake, x-bare = xenbake / bare,"
echo " x-raw = xenbake / raw; req/apply = requests xenbake sent in its first apply; noop-wr = writes of the second)"
echo "xenbake's own start (exec + dynamic libraries, --version): $startup s"
echo "reproduce: bench/xenstore.sh $B"
