# SPDX-License-Identifier: MIT
# tests/package.mk (included from the top-level Makefile.am)
# The Debian packaging in debian/: tests/package/deb.sh builds, inspects and
# installs the packages. It rebuilds the project, so it runs only with
# XENBAKE_TEST_PACKAGE=1 (scripts/test sets it) and skips otherwise.
TESTS += tests/package/deb.sh

# every source file's SPDX line (cheap; skips outside a git checkout)
TESTS += tests/package/spdx.sh
EXTRA_DIST += tests/package/spdx.sh scripts/spdx COPYING

EXTRA_DIST += tests/package/deb.sh \
	debian/changelog debian/control debian/copyright debian/rules \
	debian/source/format debian/xenbake.dirs debian/xenbake.install \
	debian/xenbakec.install
