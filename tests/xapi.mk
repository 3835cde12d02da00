# tests/xapi.mk (included from the top-level Makefile.am)
