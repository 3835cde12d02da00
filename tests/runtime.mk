# tests/runtime.mk (included from the top-level Makefile.am)
