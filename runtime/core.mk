# SPDX-License-Identifier: MIT
# runtime/core.mk (included from the top-level Makefile.am)
# The runtime's core: desired state, planner, xenstore backend, apply, and
# the `xenbake` command itself.
runtime_libxbruntime_a_SOURCES += runtime/state.c runtime/state.h \
	runtime/desired.c runtime/desired.h \
	runtime/plan.c runtime/plan.h \
	runtime/xenstore.c runtime/xenstore.h \
	runtime/apply.c runtime/apply.h \
	runtime/journal.c runtime/journal.h \
	runtime/hostlock.c runtime/hostlock.h \
	runtime/log.c runtime/log.h \
	runtime/json.c runtime/json.h \
	runtime/receipt.c runtime/receipt.h

sbin_PROGRAMS += xenbake
xenbake_SOURCES = runtime/main.c
xenbake_CFLAGS = $(AM_CFLAGS) $(XENSTORE_CFLAGS) $(SODIUM_CFLAGS)
xenbake_LDADD = $(RUNTIME_LIBS)
dist_man_MANS += man/xenbake.8
