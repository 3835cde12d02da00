# tests/compiler.mk (included from the top-level Makefile.am)
