/* SPDX-License-Identifier: MIT */
/* dump.h - a blob back to canonical source (`xenbake dump`). Compiling the
 * output gives a blob identical to the input.
 *
 * The blob records where each block and statement came from, and those
 * positions are part of its bytes, so the output carries them: before each
 * block and each statement, a line
 *     #@ "FILE" LINE:COLUMN
 * (a comment to any reader; FILE is a string literal with the usual
 * escapes, $$ for $). A compiler honouring it records FILE:LINE:COLUMN,
 * instead of the real location, as the position of the next token (the
 * block's class keyword, the statement's keyword). The derived entry of an
 * `i18n-key` statement (i18n-original-value-name_label) is not printed and
 * so takes that statement's position. */
#ifndef XENBAKE_DUMP_H
#define XENBAKE_DUMP_H

#include <stdio.h>

#include "lib/blob.h"

/* Writes canonical source for a verified blob. 0, or -1 on a write error. */
int xb_dump(const struct xbb *blob, FILE *out);

/* One string literal, and one entry as the statement that sets it (the
 * lowering undone), as dump writes them; for `xenbake export`. */
void xb_dump_string(const char *s, FILE *out);
void xb_dump_entry(enum xb_class cls, const struct xbb_entry *e, FILE *out);

#endif
