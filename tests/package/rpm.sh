#!/bin/sh
# SPDX-License-Identifier: MIT
# The RPMs (xenbake.spec): built with rpmbuild -tb from make dist's tarball,
# as a vendor builds them in a dom0 build environment. Debian's rpmbuild
# has none of the EL build dependencies in its database, so the build runs
# with --nodeps against this machine's libraries. Then: fields, scriptlets,
# contents (each package exactly its files; together exactly what make
# install installs from the same tree), rpmlint when present, and an install
# with rpm --root into an empty root (--nodeps: the root holds no libc or
# libraries; --noscripts: it has no shell to run them, their text is checked
# instead), from where the installed programs compile, plan, apply and
# report status against the sandbox host.
# Builds the whole project once more, so it runs only when asked:
#   XENBAKE_TEST_PACKAGE=1 make check TESTS=tests/package/rpm.sh
set -eu
: "${top_srcdir:?}" "${top_builddir:?}"
fail() { echo "FAIL: $*" >&2; exit 1; }
skip() { echo "SKIP: $*" >&2; exit 77; }

[ "${XENBAKE_TEST_PACKAGE:-}" = 1 ] || skip "set XENBAKE_TEST_PACKAGE=1 to build the packages"
command -v rpmbuild >/dev/null || skip "rpm (rpmbuild) not installed"
unset MAKEFLAGS MFLAGS MAKELEVEL MAKEOVERRIDES GNUMAKEFLAGS
. "$top_srcdir/tests/package/lib.sh"

W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
UPSTREAM=$(sed -n 's/^AC_INIT(\[xenbake\], \[\([^]]*\)\].*/\1/p' "$top_srcdir/configure.ac")
SPEC_VERSION=$(sed -n 's/^Version: *//p' "$top_srcdir/xenbake.spec")
[ "$SPEC_VERSION" = "$UPSTREAM" ] ||
	fail "xenbake.spec's Version $SPEC_VERSION is not configure.ac's $UPSTREAM"

# -- the tarball, as make dist makes it
make -C "$top_builddir" dist-gzip >"$W/dist.log" 2>&1 ||
	{ tail -n 20 "$W/dist.log" >&2; fail "make dist"; }
TARBALL=$W/xenbake-$UPSTREAM.tar.gz
mv "$top_builddir/xenbake-$UPSTREAM.tar.gz" "$TARBALL"
tar -tzf "$TARBALL" | grep -qx "xenbake-$UPSTREAM/xenbake.spec" || fail "the tarball has no xenbake.spec"

# -- build: binary packages from the tarball's own spec; no debuginfo
# package (Debian's rpm lacks the EL tools for it); manual pages compressed
# as on EL (Debian's brp-compress needs bash); no build-id links (EL7 has
# them in the debuginfo package); --noclean keeps the built tree
TOP=$W/rpmbuild
rpmbuild -tb --nodeps --noclean --define "_topdir $TOP" \
	--define 'debug_package %{nil}' --define '_build_id_links none' \
	--define '__os_install_post bash /usr/lib/rpm/brp-compress' \
	--define "_smp_mflags -j$(nproc 2>/dev/null || echo 2)" \
	"$TARBALL" >"$W/build.log" 2>&1 ||
	{ tail -n 40 "$W/build.log" >&2; fail "rpmbuild failed"; }
R=$(ls "$TOP"/RPMS/*/xenbake-"$UPSTREAM"-1.*.rpm 2>/dev/null) || true
C=$(ls "$TOP"/RPMS/*/xenbakec-"$UPSTREAM"-1.*.rpm 2>/dev/null) || true
[ -f "$R" ] && [ -f "$C" ] || { find "$TOP/RPMS" >&2; fail "not the two packages"; }

# -- fields
q() { rpm -qp --qf "$1" "$2"; }
for p in "$R" "$C"; do
	[ "$(q '%{LICENSE}' "$p")" = MIT ] || fail "$p: License"
	[ "$(q '%{VERSION}' "$p")" = "$UPSTREAM" ] || fail "$p: Version"
	[ -n "$(q '%{SUMMARY}' "$p")" ] || fail "$p: Summary"
done
# rpm found the libraries each program links; the spec adds the two xenbake
# loads when XenAPI is first used
rpm -qp --requires "$R" >"$W/r.req"
rpm -qp --requires "$C" >"$W/c.req"
for lib in libxenstore libcurl libxml2 libcrypto libc.so; do
	grep -q "^$lib" "$W/r.req" || { cat "$W/r.req" >&2; fail "xenbake does not require $lib"; }
done
grep -q '^libcrypto' "$W/c.req" || fail "xenbakec does not require libcrypto"
# signing with OpenSSL (--with-crypto=openssl): libsodium is only in EPEL
grep -q 'libsodium' "$W/r.req" "$W/c.req" && fail "the RPMs require libsodium"
grep -q '^libcurl\|^libxenstore' "$W/c.req" && fail "xenbakec requires the runtime's libraries"
# the unit is enabled at install, disabled at removal, not restarted on upgrade
rpm -qp --scripts "$R" >"$W/r.scripts"
grep -q 'systemctl .*preset xenbake.service' "$W/r.scripts" || { cat "$W/r.scripts" >&2; fail "%post: no preset"; }
grep -q 'systemctl .*disable .*xenbake.service' "$W/r.scripts" || fail "%preun: no disable"
grep -q 'try-restart' "$W/r.scripts" && fail "the unit is restarted on upgrade"

# -- contents: each package its own, together exactly make install's.
# Manual pages are compressed by EL's rpmbuild, not by Debian's: named
# without .gz here
files() { rpm -qlp "$1" | sed 's|\(/man[0-9]/.*\)\.gz$|\1|' | sort; }
files "$R" >"$W/r.files"
files "$C" >"$W/c.files"
for f in /usr/sbin/xenbake /usr/share/man/man8/xenbake.8 \
	/usr/lib/systemd/system/xenbake.service /etc/xenbake /var/lib/xenbake \
	/usr/share/xenbake/schema/plan.schema.json \
	/usr/share/xenbake/schema/receipt.schema.json \
	/usr/share/bash-completion/completions/xenbake; do
	grep -qx "$f" "$W/r.files" || fail "xenbake lacks $f"
done
for f in /usr/bin/xenbakec /usr/share/man/man1/xenbakec.1 \
	/usr/share/man/man5/xenbake.xb.5 \
	/usr/share/xenbake/schema/diagnostics.schema.json \
	/usr/share/vim/vimfiles/syntax/xenbake.vim \
	/usr/share/vim/vimfiles/ftdetect/xenbake.vim \
	/usr/share/emacs/site-lisp/xenbake-mode.el \
	/usr/share/emacs/site-lisp/site-start.d/xenbake-mode-init.el \
	/usr/share/bash-completion/completions/xenbakec; do
	grep -qx "$f" "$W/c.files" || fail "xenbakec lacks $f"
done
grep -q 'COPYING$' "$W/r.files" && grep -q 'COPYING$' "$W/c.files" || fail "no licence file"
rpm -qp --qf '[%{FILEMODES:perms} %{FILENAMES}\n]' "$R" | grep -qx 'drwx------ /var/lib/xenbake' ||
	fail "/var/lib/xenbake is not 0700 in the package"
# what make install puts in a root, from the tree rpmbuild built (same
# configure): every file and link in one of the packages
B=$(ls -d "$TOP"/BUILD/xenbake-"$UPSTREAM")
make -C "$B" install DESTDIR="$W/inst" >"$W/install.log" 2>&1 ||
	{ tail -n 20 "$W/install.log" >&2; fail "make install"; }
(cd "$W/inst" && find . ! -type d | sed 's|^\.||' | sort) >"$W/made"
sort -u "$W/r.files" "$W/c.files" >"$W/packaged"
missing=$(comm -23 "$W/made" "$W/packaged")
[ -z "$missing" ] || fail "make install installs, no package holds: $missing"
# the other way: a packaged file make install does not make, besides the
# licence, the preset, and the directories
extra=$(comm -13 "$W/made" "$W/packaged" | grep -v 'COPYING$\|\.preset$\|^/usr/share/licenses/' |
	while read -r f; do [ -d "$W/inst$f" ] || echo "$f"; done)
[ -z "$extra" ] || fail "packaged but not from make install: $extra"
[ "$(stat -c %a "$W/inst/var/lib/xenbake")" = 700 ] || fail "make install: /var/lib/xenbake not 0700"

# -- rpmlint, when installed: every warning is one explained in rpmlintrc
if command -v rpmlint >/dev/null; then
	rpmlint -c "$top_srcdir/tests/package/rpmlint.toml" -r "$top_srcdir/tests/package/rpmlintrc" "$R" "$C" >"$W/rpmlint.out" 2>&1 ||
		{ cat "$W/rpmlint.out" >&2; fail "rpmlint"; }
	grep -q ' 0 errors, 0 warnings' "$W/rpmlint.out" || { cat "$W/rpmlint.out" >&2; fail "rpmlint warnings"; }
fi

# -- install into an empty root and run from there
ROOT=$W/root
rpm --root "$ROOT" --initdb
rpm --root "$ROOT" -i --nodeps --noscripts "$R" "$C" >"$W/rpm-i.log" 2>&1 ||
	{ cat "$W/rpm-i.log" >&2; fail "rpm -i into the root"; }
rpm --root "$ROOT" -q xenbake xenbakec >/dev/null || fail "not installed in the root"
rpm --root "$ROOT" -V --nodeps xenbake xenbakec || fail "rpm -V: installed files differ from the packages"
[ "$(stat -c %a "$ROOT/var/lib/xenbake")" = 700 ] || fail "installed /var/lib/xenbake not 0700"
exec_start=$(sed -n 's/^ExecStart=\([^ ]*\) .*/\1/p' "$ROOT/usr/lib/systemd/system/xenbake.service")
[ "$exec_start" = /usr/sbin/xenbake ] || fail "ExecStart runs '$exec_start'"
"$ROOT/usr/sbin/xenbake" --version | grep -q "^xenbake $UPSTREAM" || fail "installed --version"
installed_run "$ROOT" "$W"

rpm --root "$ROOT" -e --nodeps --noscripts xenbake xenbakec || fail "rpm -e"
[ ! -e "$ROOT/usr/sbin/xenbake" ] && [ ! -e "$ROOT/usr/bin/xenbakec" ] || fail "files left after rpm -e"
echo PASS
