#!/bin/sh
# SPDX-License-Identifier: MIT
# The Vim syntax as installed: the words of a small *.xb file get the groups
# they should, and "vm-data" is one statement, not the class "vm" followed
# by "-data". Skips without vim (or with a vim built without syntax).
set -eu
: "${top_srcdir:?}"
fail() { echo "FAIL: $*" >&2; exit 1; }
skip() { echo "SKIP: $*" >&2; exit 77; }
command -v vim >/dev/null || skip "vim not installed"
vim -Nu NONE -es -c 'if !has("syntax") | cquit | endif' -c 'qall!' </dev/null ||
	skip "this vim has no syntax highlighting"

W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
cat >"$W/t.xb" <<'XB'
vm "web" {
    vm-data "a" = "b"
    name-label = "x"
}
XB
# the group at line:column for each probe, one per output line
vim -Nu NONE -i NONE -es \
	-c "set runtimepath^=$top_srcdir/contrib/vim" -c 'syntax on' \
	-c 'filetype on' -c "edit $W/t.xb" \
	-c 'let r = []' \
	-c 'for [l, c] in [[1, 1], [2, 5], [2, 8], [3, 5]] | call add(r, &filetype . " " . synIDattr(synID(l, c, 1), "name")) | endfor' \
	-c "call writefile(r, '$W/out')" -c 'qall!' </dev/null || fail "vim failed"
printf '%s\n' "xenbake xbClass" "xenbake xbStatement" "xenbake xbStatement" \
	"xenbake xbStatement" >"$W/want"
diff -u "$W/want" "$W/out" || fail "highlighting differs (filetype group per probe)"
echo PASS
