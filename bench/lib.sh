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
