/* SPDX-License-Identifier: MIT */
/* glob.h - the shell patterns of `match` selectors: `*` any run of
 * characters, `?` one character, `[...]` one of a set (ranges a-z, `!` or
 * `^` first to negate, `]` first to include it). Characters are bytes: a
 * name's UTF-8 is matched as written. No escapes (names hold no `\`
 * worth matching), and `/` is an ordinary character.
 *
 * One pass with a single backtrack point, the last `*`: time is at most
 * the pattern's length times the name's, whatever either holds, so a
 * hostile name cannot make the planner spin. */
#ifndef XENBAKE_GLOB_H
#define XENBAKE_GLOB_H

#include <stdbool.h>

/* Is pattern well formed (every `[` closed)? */
bool xb_glob_valid(const char *pattern);

/* Does name match pattern? A malformed pattern matches nothing. */
bool xb_glob_match(const char *pattern, const char *name);

#endif
