# SPDX-License-Identifier: MIT
# tests/package.mk (included from the top-level Makefile.am)
# The Debian packaging in debian/: tests/package/deb.sh builds, inspects and
# installs the packages. It rebuilds the project, so it runs only with
# XENBAKE_TEST_PACKAGE=1 (scripts/test sets it) and skips otherwise.
TESTS += tests/package/deb.sh

# every source file's SPDX line (cheap; skips outside a git checkout), and
# the Vim syntax as a vim loads it
TESTS += tests/package/spdx.sh tests/package/editors.sh
EXTRA_DIST += tests/package/spdx.sh scripts/spdx COPYING tests/package/editors.sh

# The RPMs (xenbake.spec): tests/package/rpm.sh, gated as deb.sh is
TESTS += tests/package/rpm.sh
EXTRA_DIST += tests/package/rpm.sh tests/package/lib.sh tests/package/rpmlintrc \
	tests/package/rpmlint.toml xenbake.spec

# what the tarball lacked for make distcheck and for a user of it
EXTRA_DIST += tests/sandbox/show-state.py scripts/bootstrap scripts/test \
	scripts/demo

EXTRA_DIST += tests/package/deb.sh \
	debian/changelog debian/control debian/copyright debian/rules \
	debian/source/format debian/xenbake.dirs debian/xenbake.install \
	debian/xenbakec.install debian/xenbake.lintian-overrides \
	debian/xenbakec.lintian-overrides
