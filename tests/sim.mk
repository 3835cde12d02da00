# tests/sim.mk (included from the top-level Makefile.am)
# The sandbox's XenAPI simulator (tests/sandbox/xapisim.py) against real,
# unmodified clients: Debian's XenAPI.py and Xen Orchestra's npm xen-api
# (installed with `npm ci --prefix tests/sim`, else that test is skipped),
# the wire rules with a raw HTTP client, the fault switches, and a
# two-host pool (HOST_IS_SLAVE, a member's socket forwarding to the master,
# emergency mode), and a generated 3-host pool shaped like a real one.
SIM_TESTS = \
	tests/sim/xenapi-py.sh \
	tests/sim/npm-xen-api.sh \
	tests/sim/wire.sh \
	tests/sim/faults.sh \
	tests/sim/pool.sh \
	tests/sim/realistic.sh \
	tests/sim/costmodel.sh
TESTS += $(SIM_TESTS)
EXTRA_DIST += $(SIM_TESTS) tests/sandbox/xapisim.py \
	tests/sim/lib.sh tests/sim/simlib.py tests/sim/fixture.json \
	tests/sim/xenapi-py.py tests/sim/npm-xen-api.mjs \
	tests/sim/wire.py tests/sim/faults.py tests/sim/pool.py \
	tests/sim/pool.json tests/sim/npm-follow.mjs \
	tests/sim/package.json tests/sim/package-lock.json \
	tests/sim/realistic.py tests/sim/pool3.json tests/sandbox/gen-pool.py \
	tests/sim/costmodel.py
