/* SPDX-License-Identifier: MIT */
/* glob.c - see glob.h. */
#include <stddef.h>

#include "lib/glob.h"

/* The end of the set starting at p (just after its `[`): the `]` that
 * closes it, or NULL when none does. */
static const char *set_end(const char *p)
{
	if (*p == '!' || *p == '^')
		p++;
	if (*p == ']')
		p++;            /* a `]` first is a member */
	while (*p && *p != ']')
		p++;
	return *p ? p : NULL;
}

/* Is c in the set from p (after `[`) to end (its `]`)? */
static bool in_set(const char *p, const char *end, unsigned char c)
{
	bool negate = *p == '!' || *p == '^', found = false;

	if (negate)
		p++;
	for (; p < end; p++) {
		if (p + 2 < end && p[1] == '-') {
			if ((unsigned char)p[0] <= c &&
			    c <= (unsigned char)p[2])
				found = true;
			p += 2;
		} else if ((unsigned char)*p == c) {
			found = true;
		}
	}
	return found != negate;
}

bool xb_glob_valid(const char *pattern)
{
	const char *p;

	for (p = pattern; *p; p++)
		if (*p == '[') {
			p = set_end(p + 1);
			if (!p)
				return false;
		}
	return true;
}

bool xb_glob_match(const char *pattern, const char *name)
{
	const char *p = pattern, *s = name;
	const char *star = NULL, *resume = NULL;    /* the last `*` */
	const char *end;

	if (!xb_glob_valid(pattern))
		return false;
	while (*s) {
		if (*p == '*') {
			star = ++p;
			resume = s;
			continue;
		}
		if (*p == '?') {
			p++;
			s++;
			continue;
		}
		if (*p == '[') {
			end = set_end(p + 1);
			if (in_set(p + 1, end, (unsigned char)*s)) {
				p = end + 1;
				s++;
				continue;
			}
		} else if (*p && *p == *s) {
			p++;
			s++;
			continue;
		}
		if (!star)
			return false;
		/* let the last `*` take one more character, and retry */
		p = star;
		s = ++resume;
	}
	while (*p == '*')
		p++;
	return !*p;
}
