# tests/sim.mk (included from the top-level Makefile.am)
