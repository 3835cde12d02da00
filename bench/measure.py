# SPDX-License-Identifier: MIT
"""measure.py OUT CMD... - runs CMD once, its output to /dev/null, and
writes "wall_s cpu_s peak_kB" to OUT: wall time from a monotonic clock
around the child alone (no shell, no fork of a timer in the interval),
CPU time (user + system) and peak resident memory of the child from
wait4(). Exits with CMD's status. Used by bench/lib.sh's sample().
"""
import os
import sys
import time


def main():
    out, argv = sys.argv[1], sys.argv[2:]
    with open(os.devnull, "wb") as null:
        t0 = time.perf_counter()
        pid = os.fork()
        if pid == 0:
            os.dup2(null.fileno(), 1)
            try:
                os.execvp(argv[0], argv)
            finally:
                os._exit(127)
        _, status, ru = os.wait4(pid, 0)
        wall = time.perf_counter() - t0
    with open(out, "w") as f:
        f.write("%.4f %.3f %d\n" % (wall, ru.ru_utime + ru.ru_stime, ru.ru_maxrss))
    sys.exit(os.waitstatus_to_exitcode(status))


if __name__ == "__main__":
    main()
