#!/bin/sh
# SPDX-License-Identifier: MIT
# Every tracked source file names its licence in its first lines
# (scripts/spdx --check). Needs the git checkout: a dist tarball has no
# list of tracked files, so there it skips.
set -eu
: "${top_srcdir:?}"
skip() { echo "SKIP: $*" >&2; exit 77; }
command -v git >/dev/null || skip "git not installed"
toplevel=$(git -C "$top_srcdir" rev-parse --show-toplevel 2>/dev/null) || skip "not a git checkout"
[ "$toplevel" = "$(cd "$top_srcdir" && pwd -P)" ] || skip "not a git checkout of its own"
cd "$top_srcdir"
out=$("$PYTHON3" scripts/spdx --check) || { echo "$out" >&2; echo "FAIL: run scripts/spdx" >&2; exit 1; }
echo PASS
