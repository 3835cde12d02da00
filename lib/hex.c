/* SPDX-License-Identifier: MIT */
/* hex.c - see hex.h. */
#include "lib/hex.h"

static const char digits[] = "0123456789abcdef";

void xb_hex(char *out, const unsigned char *bytes, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = digits[bytes[i] >> 4];
		out[2 * i + 1] = digits[bytes[i] & 0xf];
	}
	out[2 * n] = '\0';
}

void xb_hex_put(FILE *f, const unsigned char *bytes, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		fputc(digits[bytes[i] >> 4], f);
		fputc(digits[bytes[i] & 0xf], f);
	}
}
