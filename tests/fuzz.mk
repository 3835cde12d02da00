# tests/fuzz.mk (included from the top-level Makefile.am)
