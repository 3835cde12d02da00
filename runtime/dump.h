/* dump.h - a blob back to canonical source (`xenbake dump`). Compiling the
 * output gives a blob identical to the input. */
#ifndef XENBAKE_DUMP_H
#define XENBAKE_DUMP_H

#include <stdio.h>

#include "runtime/blob.h"

/* Writes canonical source for a verified blob. 0, or -1 on a write error. */
int xb_dump(const struct xbb *blob, FILE *out);

#endif
