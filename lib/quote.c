/* SPDX-License-Identifier: MIT */
/* quote.c - see quote.h. */
#include <stdio.h>
#include <string.h>

#include "lib/quote.h"
#include "lib/utf8.h"

void xb_put_quoted(FILE *f, const char *s, enum xb_quote how)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s), len;

	fputc('"', f);
	for (; n; p += len, n -= len) {
		/* a run of plain ASCII goes out in one write */
		for (len = 0; len < n && p[len] >= 0x20 && p[len] < 0x7f &&
		     p[len] != '"' && p[len] != '\\'; len++)
			;
		if (len) {
			fwrite(p, 1, len, f);
			continue;
		}
		len = 1;
		switch (*p) {
		case '"': fputs("\\\"", f); continue;
		case '\\': fputs("\\\\", f); continue;
		case '\n': fputs("\\n", f); continue;
		case '\t': fputs("\\t", f); continue;
		case '\r': fputs("\\r", f); continue;
		}
		if (*p < 0x20 || *p == 0x7f) {
			fprintf(f, "\\u%04x", *p);
			continue;
		}
		len = xb_utf8_len(p, n, NULL);
		if (len) {
			fwrite(p, 1, len, f);
			continue;
		}
		len = 1;
		if (how == XB_QUOTE_JSON)
			fprintf(f, "\\u%04x", *p);
		else
			fprintf(f, "\\x%02x", *p);
	}
	fputc('"', f);
}

size_t xb_uint_text(char *p, unsigned v)
{
	char t[10];
	size_t n = 0, i;

	do
		t[n++] = (char)('0' + v % 10);
	while (v /= 10);
	for (i = 0; i < n; i++)
		p[i] = t[n - 1 - i];
	return n;
}
