/* SPDX-License-Identifier: MIT */
/* identity.h - a configuration's identity: a SHA-256 over what applying it
 * does (each object's class, flags, selector and host, each entry's field,
 * key and value, in the blobs' canonical order), not over source positions
 * or the file's bytes. A comment-only or layout-only edit keeps it; any
 * change to what would be applied changes it. It is shown as "config
 * identity", apart from a file's SHA-256. */
#ifndef XENBAKE_IDENTITY_H
#define XENBAKE_IDENTITY_H

#include <stddef.h>

#include "lib/blob.h"

#define XB_IDENTITY_SIZE 32

/* The identity of the configuration made of blobs[0..n) (verified), in
 * that order: for one blob, that blob's. */
void xb_identity(const struct xbb *blobs, size_t n,
		 unsigned char out[XB_IDENTITY_SIZE]);

#endif
