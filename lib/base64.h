/* SPDX-License-Identifier: MIT */
/* base64.h - RFC 4648 base64 with padding, decoded strictly: one text for
 * each byte string, so a sealed value dumped and compiled again gives the
 * same bytes. */
#ifndef XENBAKE_BASE64_H
#define XENBAKE_BASE64_H

#include <stddef.h>

/* The text's length for n bytes, without the NUL */
#define XB_BASE64_LEN(n) (((n) + 2) / 3 * 4)

/* Writes XB_BASE64_LEN(n) characters and a NUL to out. */
void xb_base64_encode(char *out, const unsigned char *in, size_t n);

/* Decodes text[0..len) into out (room for len / 4 * 3 bytes); *n the
 * bytes written. -1 unless it is canonical: a multiple of 4 characters
 * of the alphabet, '=' only as the last one or two, unused bits zero. */
int xb_base64_decode(unsigned char *out, const char *text, size_t len,
		     size_t *n);

#endif
