# SPDX-License-Identifier: MIT
# runtime/xapi.mk (included from the top-level Makefile.am)
# The XenAPI client: XML-RPC over libcurl, replies parsed by libxml2.
runtime_libxbruntime_a_SOURCES += runtime/xapi.c runtime/xapi.h \
	runtime/xmlrpc.c runtime/xmlrpc.h
