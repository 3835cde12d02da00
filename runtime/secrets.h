/* SPDX-License-Identifier: MIT */
/* secrets.h - a blob's secret values (XB_ENTRY_SECRET, lib/seal.h) opened
 * on the host, right after the blobs are loaded and before any read or
 * write of the host: no key, another host's key or an altered value is an
 * error naming the source, the object and the key, and nothing is done.
 *
 * The opened entries' values are then the plaintexts, owned by the
 * desired state and wiped when it is freed; the planner marks every change
 * of a secret key (xb_change.secret), and every output shows it as
 * "(secret)". */
#ifndef XENBAKE_SECRETS_H
#define XENBAKE_SECRETS_H

#include "runtime/desired.h"

#define XB_DEFAULT_HOST_KEY "/etc/xenbake/host.key"

/* Opens every secret of d with the key at key_path (read only when the
 * blobs hold a secret). 0, or -1 with *errmsg (malloc'd). */
int xb_desired_open_secrets(struct xb_desired *d, const char *key_path,
			    char **errmsg);

#endif
