/* SPDX-License-Identifier: MIT */
/* utf8.h - UTF-8 as both programs check it: in the compiler's source
 * strings, in blobs' strings, in the JSON the runtime reads (receipts) and
 * in the host values it quotes. */
#ifndef XENBAKE_UTF8_H
#define XENBAKE_UTF8_H

#include <stddef.h>

/* Length of the valid UTF-8 sequence at s[0..n) (n >= 1), or 0 if there
 * is none: overlong forms, surrogates, code points above U+10FFFF and
 * sequences cut short are all refused. If why is not NULL, a refusal sets
 * *why to a phrase naming what was wrong ("a truncated UTF-8 sequence"). */
size_t xb_utf8_len(const unsigned char *s, size_t n, const char **why);

#endif
