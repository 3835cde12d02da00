/* SPDX-License-Identifier: MIT */
/* secrets.c - opening a blob's secret values on the host (secrets.h). */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "lib/crypto.h"
#include "lib/errmsg.h"
#include "lib/seal.h"
#include "lib/utf8.h"
#include "runtime/recheck.h"
#include "runtime/secrets.h"

/* Keeps plain on d, to be wiped with it. 0 or -ENOMEM. */
static int keep(struct xb_desired *d, char *plain)
{
	char **grown = realloc(d->secrets,
			       (d->nsecrets + 1) * sizeof(*grown));

	if (!grown)
		return -ENOMEM;
	d->secrets = grown;
	d->secrets[d->nsecrets++] = plain;
	return 0;
}

static int fail_at(char **errmsg, const struct xb_desired_object *o,
		   const struct xb_desired_entry *e, const char *why)
{
	char pos[XB_POS_BUF], label[256];

	xb_pos_format(&e->pos, pos, sizeof(pos));
	xb_desired_label(o, label, sizeof(label));
	return xb_fail(errmsg, "%s: %s: %s \"%s\": cannot open the secret: "
		       "%s; nothing was changed", pos, label,
		       xb_field_xapi(e->field), e->key, why);
}

int xb_desired_open_secrets(struct xb_desired *d, const char *key_path,
			    char **errmsg)
{
	unsigned char sk[XB_SECRET_KEY_SIZE];
	unsigned char x_sk[XB_SEAL_KEY_SIZE], x_pk[XB_SEAL_KEY_SIZE];
	bool have_key = false;
	char *why = NULL, *plain = NULL;
	size_t i, j, len;
	const char *rule;
	int ret = -1;

	for (i = 0; i < d->nobjects; i++) {
		struct xb_desired_object *o = &d->objects[i];

		for (j = 0; j < o->nentries; j++) {
			struct xb_desired_entry *e = &o->entries[j];

			if (!(e->flags & XB_ENTRY_SECRET))
				continue;
			if (!have_key) {
				if (xb_key_read_host(key_path, sk, &why)) {
					xb_fail(errmsg, "the blob holds secrets "
						"and the host key cannot be "
						"read: %s (--host-key FILE: "
						"the .key whose .pub the blob "
						"was sealed to); nothing was "
						"changed", why ? why :
						"out of memory");
					goto out;
				}
				if (xb_seal_keypair(sk, x_sk, x_pk)) {
					xb_crypto_wipe(sk, sizeof(sk));
					xb_fail(errmsg, "%s: no sealing key can "
						"be made from it (%s); nothing "
						"was changed", key_path,
						xb_crypto_backend());
					goto out;
				}
				xb_crypto_wipe(sk, sizeof(sk));
				have_key = true;
			}
			if (xb_seal_open(e->value, x_sk, &plain, &len, &why)) {
				fail_at(errmsg, o, e, why ? why :
					"out of memory");
				goto out;
			}
			/* what the compiler checked before sealing, again:
			 * the bundle is foreign bytes */
			rule = xb_plain_rule(e->field, plain, len);
			if (rule) {
				fail_at(errmsg, o, e, rule);
				goto out;
			}
			if (keep(d, plain)) {
				xb_fail(errmsg, "out of memory");
				goto out;
			}
			e->value = plain;
			plain = NULL;
		}
	}
	ret = 0;
out:
	xb_crypto_wipe(x_sk, sizeof(x_sk));
	xb_seal_free(plain);
	free(why);
	return ret;
}
