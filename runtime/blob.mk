# SPDX-License-Identifier: MIT
# runtime/blob.mk (included from the top-level Makefile.am)
# The blob reader, the file loader and `dump`.
runtime_libxbruntime_a_SOURCES += runtime/blob.c runtime/blob.h \
	runtime/dump.c runtime/dump.h \
	runtime/utf8.c runtime/utf8.h
