/* SPDX-License-Identifier: MIT */
/* managed.c - see managed.h. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/managed.h"

char *xb_managed_name(enum xb_field field, const char *key)
{
	char *s = NULL;

	if (asprintf(&s, "%s:%s", xb_field_xapi(field), key) < 0)
		return NULL;
	return s;
}

const char *xb_managed_key(const char *entry, enum xb_field field)
{
	const char *name = xb_field_xapi(field);
	size_t n = strlen(name);

	if (strncmp(entry, name, n) || entry[n] != ':')
		return NULL;
	return entry + n + 1;
}

static bool nonempty(const char *key)
{
	return key && *key;
}

int xb_managed_parse(const char *text, const char *prefix,
		     struct xb_map *out)
{
	const char *line = text;

	while (line && *line) {
		const char *end = strchr(line, '\n');
		size_t len = end ? (size_t)(end - line) : strlen(line);
		char *name = NULL;
		int r = 0;

		if (len && asprintf(&name, "%s%.*s", prefix, (int)len,
				    line) < 0)
			return -ENOMEM;
		/* a line that names no field is not ours to act on */
		if (name && (nonempty(xb_managed_key(name,
						     XB_FIELD_XENSTORE_DATA)) ||
			     nonempty(xb_managed_key(name,
						     XB_FIELD_OTHER_CONFIG)) ||
			     nonempty(xb_managed_key(name, XB_FIELD_TAGS))))
			r = xb_map_set(out, name, "");
		free(name);
		if (r)
			return r;
		line = end ? end + 1 : NULL;
	}
	return 0;
}

char *xb_managed_format(const struct xb_map *managed, const char *prefix)
{
	size_t plen = strlen(prefix), len = 1, i;
	char *out, *w;

	for (i = 0; i < managed->n; i++)
		len += strlen(managed->kv[i].key) + 1;
	out = malloc(len);
	if (!out)
		return NULL;
	w = out;
	for (i = 0; i < managed->n; i++) {
		const char *k = managed->kv[i].key;

		if (strncmp(k, prefix, plen))
			continue;
		if (w != out)
			*w++ = '\n';
		strcpy(w, k + plen);
		w += strlen(w);
	}
	*w = '\0';
	return out;
}
