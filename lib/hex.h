/* SPDX-License-Identifier: MIT */
/* hex.h - bytes as lowercase hexadecimal, as every hash is shown. */
#ifndef XENBAKE_HEX_H
#define XENBAKE_HEX_H

#include <stddef.h>
#include <stdio.h>

/* Writes 2 * n digits and a NUL to out (2 * n + 1 bytes). */
void xb_hex(char *out, const unsigned char *bytes, size_t n);

/* Writes 2 * n digits to f. */
void xb_hex_put(FILE *f, const unsigned char *bytes, size_t n);

/* Reads n bytes from the first 2 * n digits of hex (either case) and
 * points *end after them: 0, or -1 when fewer digits come first. */
int xb_unhex(unsigned char *out, size_t n, const char *hex, const char **end);

#endif
