# runtime/core.mk (included from the top-level Makefile.am)
