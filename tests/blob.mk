# tests/blob.mk (included from the top-level Makefile.am)
