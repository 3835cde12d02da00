#!/bin/sh
# SPDX-License-Identifier: MIT
# The Debian packages (debian/): built with dpkg-buildpackage from a clean
# copy of the tree, their fields and contents checked, then installed with
# dpkg into an empty root, where the files must land (programs, manual
# pages, the unit with the right ExecStart, enabled by its maintainer
# script) and the installed programs must compile and dump an example
# exactly as the build tree's do, and compile, plan, apply and report
# status against the sandbox host (tests/package/lib.sh). lintian, when
# installed, has nothing to say (overrides, each with its reason, in
# debian/*.lintian-overrides). Purging must leave nothing behind.
# Builds the whole project once more, so it runs only when asked:
#   XENBAKE_TEST_PACKAGE=1 make check TESTS=tests/package/deb.sh
set -eu
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$(pwd)}"
fail() { echo "FAIL: $*" >&2; exit 1; }
skip() { echo "SKIP: $*" >&2; exit 77; }

[ "${XENBAKE_TEST_PACKAGE:-}" = 1 ] || skip "set XENBAKE_TEST_PACKAGE=1 to build the packages"
command -v dpkg-buildpackage >/dev/null || skip "dpkg-dev not installed"
command -v dh >/dev/null || skip "debhelper not installed"
# dpkg wants ldconfig and start-stop-daemon on PATH, even for --root
PATH=$PATH:/usr/sbin:/sbin
# the build below is a make of its own, not part of this one
unset MAKEFLAGS MFLAGS MAKELEVEL MAKEOVERRIDES GNUMAKEFLAGS
. "$top_srcdir/tests/package/lib.sh"

W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
VERSION=$(sed -n '1s/^xenbake (\([^)]*\)).*/\1/p' "$top_srcdir/debian/changelog")
ARCH=$(dpkg --print-architecture)
[ -n "$VERSION" ] || fail "no version in debian/changelog"
UPSTREAM=${VERSION%-*}
grep -q "^AC_INIT(\[xenbake\], \[$UPSTREAM\]" "$top_srcdir/configure.ac" ||
	fail "debian/changelog's $VERSION is not configure.ac's version"

# -- a clean copy: the committed tree with any edits to tracked files (git),
# or the source tree minus build directories (an unpacked dist tarball)
SRC=$W/xenbake-$UPSTREAM
mkdir "$SRC"
# (a dist tree unpacked inside a checkout, as distcheck's is, is not one)
toplevel=$(git -C "$top_srcdir" rev-parse --show-toplevel 2>/dev/null) || toplevel=
if [ -n "$toplevel" ] && [ "$toplevel" = "$(cd "$top_srcdir" && pwd -P)" ]; then
	rev=$(git -C "$top_srcdir" stash create 2>/dev/null) || rev=
	git -C "$top_srcdir" archive -o "$W/src.tar" "${rev:-HEAD}" || fail "git archive"
	tar -x -C "$SRC" -f "$W/src.tar"
else
	tar -C "$top_srcdir" --exclude=./_build --exclude=./build --exclude=./build-asan \
		--exclude=./autom4te.cache -cf - . | tar -x -C "$SRC"
	# make distcheck's tree is read-only
	chmod -R u+w "$SRC"
fi
[ -x "$SRC/debian/rules" ] || fail "debian/rules missing or not executable in the copy"

# -- build: binary packages only, unsigned; the suite is not run (rules)
(cd "$SRC" && DEB_BUILD_OPTIONS="parallel=$(nproc 2>/dev/null || echo 2)" \
	dpkg-buildpackage -us -uc -b) >"$W/build.log" 2>&1 ||
	{ tail -n 40 "$W/build.log" >&2; fail "dpkg-buildpackage failed"; }
# dh skips the empty override without a word; had it run, it would say so
! grep -q 'dh_auto_test' "$W/build.log" && [ ! -e "$SRC/test-suite.log" ] ||
	fail "the package build ran the test suite"
C=$W/xenbakec_${VERSION}_$ARCH.deb
R=$W/xenbake_${VERSION}_$ARCH.deb
[ -f "$C" ] && [ -f "$R" ] || { ls "$W" >&2; fail "not the two packages"; }

# -- fields
field() { dpkg-deb -f "$1" "$2"; }
for deb in "$C" "$R"; do
	name=$(basename "$deb" | cut -d_ -f1)
	[ "$(field "$deb" Package)" = "$name" ] || fail "$deb: Package"
	[ "$(field "$deb" Version)" = "$VERSION" ] || fail "$name: Version"
	[ "$(field "$deb" Architecture)" = "$ARCH" ] || fail "$name: Architecture"
	[ -n "$(field "$deb" Maintainer)" ] || fail "$name: no Maintainer"
	[ "$(field "$deb" Section)" = admin ] || fail "$name: Section"
	dpkg-deb -I "$deb" >"$W/$name.info"
	grep -q '^ Description: .\{10,\}' "$W/$name.info" || fail "$name: no Description"
	grep -q '^ [^ ]*: .*\${' "$W/$name.info" && fail "$name: an unsubstituted variable"
	# Installed-Size is in KiB: a stripped binary, far from empty or huge
	size=$(field "$deb" Installed-Size)
	[ "$size" -gt 20 ] && [ "$size" -lt 20000 ] || fail "$name: Installed-Size $size"
done
# ${shlibs:Depends}: the libraries each program links, found by dpkg-shlibdeps;
# xenbake's control adds the two it loads when XenAPI is first used
dep_c=$(field "$C" Depends) dep_r=$(field "$R" Depends)
for lib in libc6 libsodium; do
	echo "$dep_c" | grep -q "$lib" || fail "xenbakec Depends lacks $lib: $dep_c"
done
for lib in libc6 libcurl libxml2 libsodium libxenstore; do
	echo "$dep_r" | grep -q "$lib" || fail "xenbake Depends lacks $lib: $dep_r"
done
echo "$dep_c" | grep -q 'libcurl\|libxenstore' &&
	fail "xenbakec depends on the runtime's libraries: $dep_c"

# -- contents: each package exactly its own files
files() { dpkg-deb -c "$1" | awk '{ print $6 }' | sed 's|^\./|/|; s|/$||' | sort; }
files "$C" >"$W/c.files"
files "$R" >"$W/r.files"
for f in /usr/bin/xenbakec /usr/share/man/man1/xenbakec.1.gz \
	/usr/share/man/man5/xenbake.xb.5.gz \
	/usr/share/xenbake/schema/diagnostics.schema.json \
	/usr/share/vim/vimfiles/syntax/xenbake.vim \
	/usr/share/vim/vimfiles/ftdetect/xenbake.vim \
	/usr/share/emacs/site-lisp/xenbake-mode.el \
	/etc/emacs/site-start.d/50xenbake-mode.el \
	/usr/share/bash-completion/completions/xenbakec \
	/usr/share/doc/xenbakec/copyright; do
	grep -qx "$f" "$W/c.files" || fail "xenbakec lacks $f"
done
for f in /usr/sbin/xenbake /usr/share/man/man8/xenbake.8.gz \
	/lib/systemd/system/xenbake.service /etc/xenbake /var/lib/xenbake \
	/usr/share/xenbake/schema/plan.schema.json \
	/usr/share/xenbake/schema/receipt.schema.json \
	/usr/share/bash-completion/completions/xenbake \
	/usr/share/doc/xenbake/copyright; do
	grep -qx "$f" "$W/r.files" || fail "xenbake lacks $f"
done
dpkg-deb -c "$R" | grep -q '^drwx------ root/root .* \./var/lib/xenbake/$' ||
	{ dpkg-deb -c "$R" | grep var/lib >&2; fail "/var/lib/xenbake is not 0700 in the package"; }
grep -q 'sbin/xenbake$\|man8\|systemd\|plan.schema\|receipt.schema' "$W/c.files" &&
	fail "the compiler package holds runtime files"
grep -q 'bin/xenbakec$\|man1\|man5\|vim\|emacs\|diagnostics.schema' "$W/r.files" &&
	fail "the runtime package holds compiler files"
# the same path in both would make them conflict; directories may be shared
dpkg-deb -c "$C" | awk '/^d/ { print $6 }' | sed 's|^\./|/|; s|/$||' | sort >"$W/c.dirs"
comm -12 "$W/c.files" "$W/r.files" | comm -23 - "$W/c.dirs" >"$W/both"
[ ! -s "$W/both" ] || { cat "$W/both" >&2; fail "both packages ship these files"; }

# -- lintian, when installed: silent (debian/*.lintian-overrides say why
# for what it accepts)
if command -v lintian >/dev/null; then
	as_root=
	[ "$(id -u)" -ne 0 ] || as_root=--allow-root
	lintian $as_root --fail-on warning,error "$C" "$R" >"$W/lintian.out" 2>&1 ||
		{ cat "$W/lintian.out" >&2; fail "lintian"; }
	[ ! -s "$W/lintian.out" ] || { cat "$W/lintian.out" >&2; fail "lintian has findings"; }
fi

# -- install into an empty root, maintainer scripts included: dpkg runs
# them outside the root (there is no shell in it) with DPKG_ROOT set,
# which deb-systemd-helper honours
ROOT=$W/root
# postrm's daemon-reload is for the host's systemd: here it must reach no one
mkdir "$W/bin"
printf '#!/bin/sh\necho "$*" >>"%s/systemctl.calls"\n' "$W" >"$W/bin/systemctl"
chmod +x "$W/bin/systemctl"
PATH=$W/bin:$PATH
mkdir -p "$ROOT/var/lib/dpkg/info" "$ROOT/var/lib/dpkg/updates" \
	"$ROOT/var/lib/dpkg/triggers"
: >"$ROOT/var/lib/dpkg/status"
AS_ROOT=
[ "$(id -u)" -eq 0 ] || { command -v fakeroot >/dev/null && AS_ROOT=fakeroot; }
dpkg_root() {
	$AS_ROOT dpkg --root="$ROOT" --log=/dev/null --force-depends \
		--force-not-root --force-script-chrootless "$@"
}
dpkg_root -i "$R" "$C" >"$W/install.log" 2>&1 ||
	{ cat "$W/install.log" >&2; fail "dpkg -i into the root"; }
for p in xenbake xenbakec; do
	dpkg-query --admindir="$ROOT/var/lib/dpkg" -W -f='${Status}' "$p" |
		grep -qx 'install ok installed' || fail "$p is not installed in the root"
done
[ -x "$ROOT/usr/sbin/xenbake" ] || fail "no /usr/sbin/xenbake"
[ -x "$ROOT/usr/bin/xenbakec" ] || fail "no /usr/bin/xenbakec"
[ -d "$ROOT/etc/xenbake" ] && [ -d "$ROOT/var/lib/xenbake" ] || fail "no /etc/xenbake or /var/lib/xenbake"
zcat "$ROOT/usr/share/man/man8/xenbake.8.gz" | grep -q '^\.TH XENBAKE 8' ||
	fail "xenbake(8) is not the manual page"
zcat "$ROOT/usr/share/man/man8/xenbake.8.gz" | grep -q 'schema/plan\.schema\.json' ||
	fail "xenbake(8) does not point at the schema"
unit=$ROOT/lib/systemd/system/xenbake.service
exec_start=$(sed -n 's/^ExecStart=\([^ ]*\) .*/\1/p' "$unit")
[ "$exec_start" = /usr/sbin/xenbake ] || fail "ExecStart runs '$exec_start'"
[ -x "$ROOT$exec_start" ] || fail "ExecStart's $exec_start is not in the package"
grep -q '@[a-z]*@' "$unit" && fail "the unit has unsubstituted @variables@"
# postinst enabled the unit (in the root: nothing on this host)
wants=$ROOT/etc/systemd/system/multi-user.target.wants/xenbake.service
[ "$(readlink "$wants")" = /lib/systemd/system/xenbake.service ] ||
	{ cat "$W/install.log" >&2; fail "the unit was not enabled in the root"; }

# -- the installed programs: same blob, same dump as the build tree's
ex=$top_srcdir/examples/lab/lab.xb
"$top_builddir/xenbakec" -o "$W/built.xbb" "$ex" || fail "build tree's xenbakec"
"$ROOT/usr/bin/xenbakec" -o "$W/installed.xbb" "$ex" || fail "installed xenbakec"
cmp "$W/built.xbb" "$W/installed.xbb" || fail "the installed compiler's blob differs"
"$top_builddir/xenbake" dump "$W/built.xbb" >"$W/built.dump" || fail "build tree's dump"
"$ROOT/usr/sbin/xenbake" dump "$W/built.xbb" >"$W/installed.dump" || fail "installed dump"
[ -s "$W/built.dump" ] || fail "empty dump"
diff -u "$W/built.dump" "$W/installed.dump" || fail "the installed runtime dumps differently"
"$ROOT/usr/sbin/xenbake" --version | grep -q "^xenbake $UPSTREAM" || fail "installed --version"
[ "$(stat -c %a "$ROOT/var/lib/xenbake")" = 700 ] || fail "installed /var/lib/xenbake not 0700"
# compile, plan, apply, status against the sandbox, from the root
mkdir "$W/run"
installed_run "$ROOT" "$W/run"

# -- purge: the files and the enablement go, the root is as it was
dpkg_root -P xenbake xenbakec >"$W/purge.log" 2>&1 ||
	{ cat "$W/purge.log" >&2; fail "dpkg -P"; }
[ ! -e "$ROOT/usr/sbin/xenbake" ] && [ ! -e "$ROOT/usr/bin/xenbakec" ] ||
	fail "files left after purge"
[ ! -e "$wants" ] && [ ! -L "$wants" ] || fail "the unit is still enabled after purge"
echo PASS
