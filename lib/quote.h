/* SPDX-License-Identifier: MIT */
/* quote.h - the one way both programs quote a string for JSON and for
 * people: JSON's escapes, valid UTF-8 copied as it is, and one policy for
 * the bytes that are not UTF-8. */
#ifndef XENBAKE_QUOTE_H
#define XENBAKE_QUOTE_H

#include <stdio.h>

/* How xb_put_quoted writes a byte that is not part of valid UTF-8 (host
 * values are any bytes a guest wrote):
 * JSON     as \u00XX, the code point of the same number, so the output
 *          stays valid JSON (RFC 8259 text is UTF-8) and the byte can be
 *          recovered;
 * DISPLAY  as \xXX, so a terminal shows it and no reader mistakes it for
 *          a character. */
enum xb_quote { XB_QUOTE_JSON, XB_QUOTE_DISPLAY };

/* s between double quotes, with JSON's escapes for '"', '\\', control
 * characters and DEL; valid UTF-8 is copied as it is. */
void xb_put_quoted(FILE *f, const char *s, enum xb_quote how);

/* Writes v in decimal at p (at most 10 bytes, no NUL); its length. For
 * numbers printed once a key, where printf's parsing would cost more
 * than the rest of the line. */
size_t xb_uint_text(char *p, unsigned v);

#endif
