/* SPDX-License-Identifier: MIT */
/* utf8.c - see utf8.h. */
#include <stdint.h>

#include "lib/utf8.h"

size_t xb_utf8_len(const unsigned char *s, size_t n, const char **why)
{
	const char *ignored;
	uint32_t cp;
	size_t len, i;

	if (!why)
		why = &ignored;
	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		len = 2;
		cp = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		len = 3;
		cp = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		len = 4;
		cp = s[0] & 0x07;
	} else {
		/* a continuation byte, 0xc0/0xc1 or > 0xf4 */
		*why = "a byte that is not UTF-8";
		return 0;
	}
	if (len > n) {
		*why = "a truncated UTF-8 sequence";
		return 0;
	}
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80) {
			*why = "a truncated UTF-8 sequence";
			return 0;
		}
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
	    cp > 0x10ffff) {
		*why = "an overlong or out-of-range UTF-8 sequence";
		return 0;
	}
	if (cp >= 0xd800 && cp <= 0xdfff) {
		*why = "a UTF-16 surrogate encoded in UTF-8";
		return 0;
	}
	return len;
}
