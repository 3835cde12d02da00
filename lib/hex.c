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

static int digit_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int xb_unhex(unsigned char *out, size_t n, const char *hex, const char **end)
{
	size_t i;
	int hi, lo;

	for (i = 0; i < n; i++) {
		hi = digit_value(hex[2 * i]);
		lo = hi < 0 ? -1 : digit_value(hex[2 * i + 1]);
		if (lo < 0)
			return -1;
		out[i] = (unsigned char)(hi << 4 | lo);
	}
	*end = hex + 2 * n;
	return 0;
}
