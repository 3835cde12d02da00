# SPDX-License-Identifier: MIT
# bench/lib.sh - sourced by the benchmarks. Every figure they print is the
# median of BENCH_RUNS samples (default 5) with its spread (min-max), the
# samples of xenbake and of its peer taken in turns, so that a slow moment
# of the machine falls on both rather than on one. Never a best case.
# The sourcing script sets $work (a scratch directory) first and lives
# in bench/.
BENCH_RUNS=${BENCH_RUNS:-5}
BENCH_SRC=$(cd "$(dirname "$0")/.." && pwd)

# sample NAME CMD...: runs CMD once (bench/measure.py: a monotonic clock
# around the child alone, its CPU time and peak memory from wait4) and
# appends one line "wall_s cpu_s peak_kB" to $work/NAME.samples. Exit
# status 2 is taken (plan's "changes pending"); any other failure stops
# the benchmark.
sample() {
	name=$1
	shift
	rc=0
	"${PYTHON3:-/usr/bin/python3}" "$BENCH_SRC/bench/measure.py" "$work/time" "$@" \
		2>"$work/err" || rc=$?
	[ $rc -eq 0 ] || [ $rc -eq 2 ] ||
		{ echo "bench: $name failed ($*):" >&2; cat "$work/err" >&2; exit 1; }
	cat "$work/time" >>"$work/$name.samples"
}

# add_sample NAME WALL_S: a sample timed by the script itself (several
# processes, or a daemon's work), no CPU or memory figure
add_sample() { echo "$2 - -" >>"$work/$1.samples"; }

# stat NAME COLUMN: "median min max n" of one column (1 wall, 2 cpu, 3 peak kB)
stat() {
	awk -v c="$2" '$c != "-" { print $c }' "$work/$1.samples" | sort -g |
		awk '{ v[NR] = $1 }
		END { if (!NR) { print "- - - 0"; exit }
			m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
			print m, v[1], v[NR], NR }'
}

# median NAME COLUMN: the median alone
median() { stat "$1" "$2" | cut -d' ' -f1; }

# seconds NAME: "0.142 s (0.139-0.150)", wall time median and spread
seconds() {
	stat "$1" 1 | awk '{ printf "%.3f s (%.3f-%.3f)", $1, $2, $3 }'
}

# megabytes NAME: the median peak resident memory in MB
megabytes() { stat "$1" 3 | awk '$1 != "-" { printf "%d", $1 / 1024 }'; }

# ratio A B: A / B to two places ("-" when B is zero or missing)
ratio() {
	echo "$1 $2" | awk '$1 != "-" && $2 != "-" && $2 > 0 { printf "%.2f", $1 / $2; ok = 1 }
		END { if (!ok) printf "-" }'
}

# now: wall clock seconds, for add_sample
now() { date +%s.%N; }
since() { echo "$1 $(now)" | awk '{ printf "%.4f", $2 - $1 }'; }

# ---- the sandbox host: XenAPI simulator and xenstored ----------------------
# For bench/xapi.sh, vmdata.sh and xapi-noop.sh: tests/sandbox/up in
# $work/sb, its environment (XENBAKE_XAPI, XENSTORED_PATH) in the shell.

# sim_up FIXTURE [LATENCY_MS [WRITE_MS [REALISTIC]]]: a fresh sandbox (any
# earlier one stopped), the simulator with LATENCY_MS added to every call,
# WRITE_MS per database write and xapi's record sizes when REALISTIC is 1
# (xapisim.py; each 0 when not given), its call count at zero
sim_up() {
	sim_down
	XAPISIM_LATENCY_MS=${2:-0} XAPISIM_WRITE_COST_MS=${3:-0} \
		XAPISIM_REALISTIC=${4:-0} \
		"$BENCH_SRC/tests/sandbox/up" "$1" "$work/sb" 2>/dev/null
	. "$work/sb/env"
	[ "${2:-0}" = 0 ] || sim /sim/latency "$2" >/dev/null
	sim /sim/reset-calls "" >/dev/null
}

# sim_down: stops it (nothing when none is up), for the script's EXIT trap
sim_down() { "$BENCH_SRC/tests/sandbox/down" "$work/sb" 2>/dev/null || true; }

# sim GET|POST PATH [BODY]: the simulator's test controls
sim() {
	"${PYTHON3:-/usr/bin/python3}" -c 'import sys, urllib.request as u
r = u.Request(sys.argv[1] + sys.argv[2], data=sys.argv[3].encode() if len(sys.argv) > 3 else None)
print(u.urlopen(r).read().decode())' "$XENBAKE_XAPI" "$@"
}

# calls: the XenAPI calls the simulator counted since its last reset
calls() {
	sim /sim/calls | "${PYTHON3:-/usr/bin/python3}" -c \
		'import json, sys; print(json.load(sys.stdin)["count"])'
}

# ---- a xenstore daemon alone ----------------------------------------------
# For bench/xenstore.sh and xs-busy.sh: Debian's C xenstored as
# tests/sandbox/up runs it, or oxenstored (what XenServer runs), on the
# shim of tests/sandbox that fakes the hypervisor, with no XenAPI
# simulator beside it (it watches xenstore and would share the CPU and the
# trace). XENSTORED_BIN and OXENSTORED pick the daemons.
XENSTORED=${XENSTORED_BIN:-/usr/lib/xen-4.17/bin/xenstored}
OXENSTORED=${OXENSTORED:-/usr/lib/xen-4.17/bin/oxenstored}

# xsd_shim: builds the shim into $work, once before the first xsd_up
xsd_shim() {
	${CC:-cc} -shared -fPIC -O2 -o "$work/libxsshim.so" \
		"$BENCH_SRC/tests/sandbox/xsshim.c" -ldl
}

# xsd_down: stops the daemon xsd_up started, if any
xsd_down() {
	for pidf in "$work"/xs/*.pid; do
		[ -s "$pidf" ] || continue
		pid=$(cat "$pidf")
		kill "$pid" 2>/dev/null || true
		i=0
		while kill -0 "$pid" 2>/dev/null; do
			i=$((i + 1))
			[ $i -lt 50 ] || kill -9 "$pid" 2>/dev/null || true
			sleep 0.1
		done
		rm -f "$pidf"
	done
}

# xsd_up c|ocaml [trace]: a fresh daemon (the one before stopped) in
# R=$work/xs, where the guests' rings are too, its socket exported as
# XENSTORED_PATH, answering; no guest made yet. "trace" (the C daemon)
# writes every request to $work/xs/trace.
xsd_up() {
	xsd_down
	R=$work/xs
	rm -rf "$R"; mkdir -p "$R"
	if [ "$1" = ocaml ]; then
		[ -x "$OXENSTORED" ] || { echo "bench: no $OXENSTORED" >&2; exit 2; }
		# in a private mount namespace where $R is /run, so its
		# compiled-in /run/xenstored/socket is $R/xenstored/socket
		cp "$work/libxsshim.so" "$R/"
		printf 1 >"$R/xsd_port"
		truncate -s 4096 "$R/xsd_kva"
		cat >"$R/oxenstored.conf" <<CONFEOF
pid-file = /run/oxenstored.pid
xenstored-kva = /run/xsd_kva
xenstored-port = /run/xsd_port
xenstored-log-file = /run/oxenstored.log
access-log-file = /run/access.log
persistent = false
CONFEOF
		LD_PRELOAD=$R/libxsshim.so XSSHIM_RINGDIR=/run setsid unshare -m sh -c \
			"mount -n --make-rprivate / && mount -n --bind '$R' /run &&
			 exec '$OXENSTORED' --no-fork --config-file /run/oxenstored.conf" \
			</dev/null >"$R/stdout.log" 2>&1 &
		export XENSTORED_PATH="$R/xenstored/socket"
	else
		trace=
		[ "${2:-}" = trace ] && trace="-T $R/trace"
		# shellcheck disable=SC2086
		env LD_PRELOAD="$work/libxsshim.so" XSSHIM_RINGDIR="$R" \
			XENSTORED_RUNDIR="$R" XENSTORED_PATH="$R/socket" \
			setsid "$XENSTORED" -N -F "$R/xenstored.pid" $trace \
			</dev/null >"$R/stdout.log" 2>&1 &
		export XENSTORED_PATH="$R/socket"
	fi
	i=0
	until [ -S "$XENSTORED_PATH" ] && timeout 2 xenstore-exists /tool 2>/dev/null; do
		i=$((i + 1))
		[ $i -lt 100 ] || { cat "$R/stdout.log" >&2; echo "bench: the $1 xenstore daemon did not start" >&2; exit 1; }
		sleep 0.1
	done
}
