/* SPDX-License-Identifier: MIT */
/* base64.c - see base64.h. */
#include <stdint.h>

#include "lib/base64.h"

static const char alphabet[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

void xb_base64_encode(char *out, const unsigned char *in, size_t n)
{
	uint32_t v;
	size_t i;

	for (i = 0; i + 3 <= n; i += 3) {
		v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
		*out++ = alphabet[v >> 18];
		*out++ = alphabet[v >> 12 & 63];
		*out++ = alphabet[v >> 6 & 63];
		*out++ = alphabet[v & 63];
	}
	if (n - i) {
		v = (uint32_t)in[i] << 16 | (n - i == 2 ? (uint32_t)in[i + 1] << 8 : 0);
		*out++ = alphabet[v >> 18];
		*out++ = alphabet[v >> 12 & 63];
		*out++ = n - i == 2 ? alphabet[v >> 6 & 63] : '=';
		*out++ = '=';
	}
	*out = '\0';
}

static int digit(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	return c == '+' ? 62 : c == '/' ? 63 : -1;
}

int xb_base64_decode(unsigned char *out, const char *text, size_t len,
		     size_t *n)
{
	size_t i, pad = 0, k = 0;
	uint32_t v;
	int d, j;

	*n = 0;
	if (len % 4)
		return -1;
	if (len && text[len - 1] == '=')
		pad = text[len - 2] == '=' ? 2 : 1;
	for (i = 0; i < len; i += 4) {
		v = 0;
		for (j = 0; j < 4; j++) {
			/* '=' only in the last group's padded places */
			if (i + 4 == len && j >= 4 - (int)pad) {
				v <<= 6;
				continue;
			}
			d = digit(text[i + (size_t)j]);
			if (d < 0)
				return -1;
			v = v << 6 | (uint32_t)d;
		}
		/* the bits the padding leaves unused must be zero */
		if (i + 4 == len && (pad == 2 ? v & 0xffff : pad == 1 ? v & 0xff : 0))
			return -1;
		out[k++] = (unsigned char)(v >> 16);
		if (i + 4 < len || pad < 2)
			out[k++] = (unsigned char)(v >> 8);
		if (i + 4 < len || pad < 1)
			out[k++] = (unsigned char)v;
	}
	*n = k;
	return 0;
}
