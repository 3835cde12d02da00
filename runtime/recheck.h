/* SPDX-License-Identifier: MIT */
/* recheck.h - the compiler's checks, again, on a blob the runtime loads.
 * xbb_open proves a blob well-formed; it does not prove that xenbakec made
 * it: a blob edited and re-hashed by hand is well-formed too. So every rule
 * the compiler enforces on what reaches the host is checked once more
 * here, under the compiler's check names, and a blob breaking one is
 * refused before any I/O to the host. */
#ifndef XENBAKE_RECHECK_H
#define XENBAKE_RECHECK_H

#include "lib/blob.h"

/* 0, or -1 with *errmsg naming the first broken rule, its position and
 * check name (foreign bytes escaped, long strings cut). */
int xb_blob_recheck(const struct xbb *blob, char **errmsg);

/* The same rules on an opened secret's plaintext (len bytes, no NUL):
 * why it breaks one (never quoting it), or NULL. */
const char *xb_plain_rule(enum xb_field field, const char *plain, size_t len);

#endif
