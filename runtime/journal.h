/* SPDX-License-Identifier: MIT */
/* journal.h - the record of an apply in progress, so that an apply cut off
 * by power loss or kill -9 is rolled back or finished by the next run.
 *
 * STATE_DIR/journal is written before the first XenAPI write (to
 * STATE_DIR/journal.tmp, fsync'd, renamed over, then the directory is
 * fsync'd) and removed once the apply has succeeded or has been undone. It
 * holds, for every XenAPI write the apply planned, the map read at the start
 * (old) and the map to write (new), and the SHA-256 of every blob applied.
 * The one xenstore transaction needs no journal: it commits whole or not at
 * all. What the next run does with a journal it finds is apply.h's business.
 *
 * Format, version 1. Lines of ASCII words; every string (uuid, names, keys,
 * values) is length-prefixed as LEN:BYTES, LEN in decimal without leading
 * zeros, so a value may hold any byte but NUL, newlines included:
 *
 *   xenbake-journal 1
 *   time SECONDS                          when the apply started (messages)
 *   owner PID BOOT                        the applying process, and (a string)
 *                                         the boot (/proc/sys/kernel/random/
 *                                         boot_id, "" if none) it ran in
 *   blobs N
 *   blob HEX                              N lines: SHA-256, in apply order
 *   writes N
 *   write CLASS FIELD UUID OBJECT SOURCE  N records of three parts each:
 *   old K                                 CLASS "VM" "SR" "network" "PIF",
 *   kv KEY VALUE                          FIELD as XenAPI names it, OBJECT
 *   new K                                 the name messages use, SOURCE the
 *   kv KEY VALUE                          config's position ("" for none);
 *                                         K kv lines each, keys sorted
 *   end HEX                               SHA-256 of every byte before "end"
 *
 * name_label is kept as a map with the one key "". The reader treats the
 * file as untrusted: every length and count is checked against what is
 * left of the file, the checksum first, then every field. */
#ifndef XENBAKE_JOURNAL_H
#define XENBAKE_JOURNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "lib/model.h"
#include "runtime/state.h"

#define XB_JOURNAL_VERSION 1
#define XB_JOURNAL_NAME "journal"
#define XB_JOURNAL_SHA256_SIZE 32
#define XB_JOURNAL_MAX (64u << 20)       /* bytes: far above 4 x 300 KiB
					    per write of any real plan */
#define XB_JOURNAL_STRING_MAX (1u << 20) /* a XenAPI request is < 300 KiB */

struct xb_journal_write {
	enum xb_class cls;
	enum xb_field field;
	char *uuid;
	char *object;                /* "web-01", "eth1 on xs-02" */
	char *source;                /* "site.xb:3:5", or "" */
	struct xb_map old_map, new_map;
};

struct xb_journal {
	long long time;
	int pid;                     /* the xenbake that wrote it */
	char *boot_id;               /* "" when unknown */
	unsigned char (*blobs)[XB_JOURNAL_SHA256_SIZE];
	size_t nblobs;
	struct xb_journal_write *writes;
	size_t nwrites;
};

void xb_journal_free(struct xb_journal *j);

/* The bytes of j (malloc'd). 0, or -1 with *errmsg. */
int xb_journal_format(const struct xb_journal *j, char **buf, size_t *len,
		      char **errmsg);
/* Parses untrusted bytes into j (to free with xb_journal_free either way).
 * 0, or -1 with *errmsg saying where and what is wrong. */
int xb_journal_parse(const char *buf, size_t len, struct xb_journal *j,
		     char **errmsg);

/* DIR/journal, durably (see above); DIR is created if missing. 0, -1
 * with *errmsg, or -2 with *errmsg when it would be over XB_JOURNAL_MAX.
 * It only reads j (its strings and maps may be borrowed), and streams the
 * file: j is never formatted whole in memory. */
int xb_journal_write(const char *dir, const struct xb_journal *j,
		     char **errmsg);
/* 0 and *found false when there is none; 0 and *found with j filled; -1
 * with *errmsg when it cannot be read or is corrupt. */
int xb_journal_read(const char *dir, struct xb_journal *j, bool *found,
		    char **errmsg);
/* This boot's id (malloc'd; "" when the kernel has none), and whether the
 * writer of j is still running: same boot, and that pid is a xenbake. */
char *xb_journal_boot_id(void);
bool xb_journal_owner_alive(const struct xb_journal *j);
/* Removes DIR/journal durably; a missing one is fine. 0 or -1. */
int xb_journal_remove(const char *dir, char **errmsg);

#endif
