/* SPDX-License-Identifier: MIT */
/* managed.c - see managed.h. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/managed.h"

/* "FIELD:KEY": one per managed key a plan makes, so no asprintf */
char *xb_managed_name(enum xb_field field, const char *key)
{
	const char *name = xb_field_xapi(field);
	size_t n = strlen(name), k = strlen(key);
	char *s = malloc(n + 1 + k + 1);

	if (!s)
		return NULL;
	memcpy(s, name, n);
	s[n] = ':';
	memcpy(s + n + 1, key, k + 1);
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

char *xb_managed_once_name(enum xb_field field, const char *key)
{
	char *s = NULL;

	if (asprintf(&s, "%s%s:%s", XB_MANAGED_ONCE_LINE, xb_field_xapi(field),
		     key) < 0)
		return NULL;
	return s;
}

const char *xb_managed_once_key(const char *entry, enum xb_field field)
{
	size_t n = strlen(XB_MANAGED_ONCE_LINE);

	if (strncmp(entry, XB_MANAGED_ONCE_LINE, n))
		return NULL;
	return xb_managed_key(entry + n, field);
}

char *xb_managed_secret_name(enum xb_field field, const char *key)
{
	char *s = NULL;

	if (asprintf(&s, "%s%s:%s", XB_MANAGED_SECRET_LINE,
		     xb_field_xapi(field), key) < 0)
		return NULL;
	return s;
}

bool xb_managed_is_secret(const struct xb_map *managed, enum xb_field field,
			  const char *key)
{
	char *m;
	bool in;

	if (!managed || !managed->n)
		return false;
	m = xb_managed_secret_name(field, key);
	in = m && xb_map_get(managed, m);
	free(m);
	return in;
}

/* The length of the "once:" or "secret:" a line or name starts with, or 0 */
static size_t tag_len(const char *s, size_t len)
{
	size_t o = strlen(XB_MANAGED_ONCE_LINE);
	size_t t = strlen(XB_MANAGED_SECRET_LINE);

	if (len > o && !strncmp(s, XB_MANAGED_ONCE_LINE, o))
		return o;
	if (len > t && !strncmp(s, XB_MANAGED_SECRET_LINE, t))
		return t;
	return 0;
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
		size_t olen = tag_len(line, len);
		bool once = olen > 0;      /* or secret: a tagged line */
		char *name = NULL;
		int r = 0;

		if (once && asprintf(&name, "%.*s%s%.*s", (int)olen, line,
				     prefix, (int)(len - olen),
				     line + olen) < 0)
			return -ENOMEM;
		if (!once && len && asprintf(&name, "%s%.*s", prefix,
					     (int)len, line) < 0)
			return -ENOMEM;
		/* a line that names no field is not ours to act on */
		if (name && once &&
		    (nonempty(xb_managed_key(name + olen,
					     XB_FIELD_XENSTORE_DATA)) ||
		     nonempty(xb_managed_key(name + olen,
					     XB_FIELD_OTHER_CONFIG))))
			r = xb_map_set(out, name, "");
		else if (name && !once &&
			 (nonempty(xb_managed_key(name,
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
	size_t plen = strlen(prefix), olen;
	size_t len = 1, i;
	char *out, *w;

	for (i = 0; i < managed->n; i++)
		len += strlen(managed->kv[i].key) + 1;
	out = malloc(len);
	if (!out)
		return NULL;
	w = out;
	for (i = 0; i < managed->n; i++) {
		const char *k = managed->kv[i].key;

		olen = tag_len(k, strlen(k));
		if (strncmp(k + olen, prefix, plen))
			continue;
		if (w != out)
			*w++ = '\n';
		memcpy(w, k, olen);
		w += olen;
		strcpy(w, k + olen + plen);
		w += strlen(w);
	}
	*w = '\0';
	return out;
}

/* Does the line at line (len bytes) bind the record to another object
 * than uuid? (Only uuid lines bind.) */
static bool binds_elsewhere(const char *line, size_t len, const char *uuid)
{
	size_t tag = strlen(XB_MANAGED_UUID_LINE);

	return len - tag != strlen(uuid) ||
	       strncmp(line + tag, uuid, len - tag);
}

static bool is_uuid_line(const char *line, size_t len)
{
	size_t tag = strlen(XB_MANAGED_UUID_LINE);

	return len >= tag && !strncmp(line, XB_MANAGED_UUID_LINE, tag);
}

enum xb_managed_whose xb_managed_whose(const struct xb_object *ob)
{
	return xb_managed_whose_at(ob, XB_KEY_MANAGED);
}

enum xb_managed_whose xb_managed_whose_at(const struct xb_object *ob,
					  const char *record_key)
{
	const char *line = xb_map_get(&ob->other_config, record_key);
	bool bound = false;

	if (!line)
		return XB_MANAGED_NONE;
	while (*line) {
		size_t len = strcspn(line, "\n");

		if (is_uuid_line(line, len)) {
			if (!ob->uuid || binds_elsewhere(line, len, ob->uuid))
				return XB_MANAGED_FOREIGN;
			bound = true;
		}
		line += len;
		line += *line == '\n';
	}
	if (bound)
		return XB_MANAGED_OWN;
	/* written before records named their object: on a snapshot or
	 * template it may have come with the copy */
	if (ob->cls == XB_CLASS_VM && ob->is_template)
		return XB_MANAGED_FOREIGN;
	return XB_MANAGED_UNBOUND;
}

const char *xb_managed_own(const struct xb_object *ob)
{
	return xb_managed_own_at(ob, XB_KEY_MANAGED);
}

const char *xb_managed_own_at(const struct xb_object *ob,
			      const char *record_key)
{
	switch (xb_managed_whose_at(ob, record_key)) {
	case XB_MANAGED_OWN:
	case XB_MANAGED_UNBOUND:
		return xb_map_get(&ob->other_config, record_key);
	case XB_MANAGED_NONE:
	case XB_MANAGED_FOREIGN:
		break;
	}
	return NULL;
}

char *xb_managed_record(const struct xb_map *managed, const char *uuid)
{
	char *entries = xb_managed_format(managed, ""), *out = NULL;

	if (!entries)
		return NULL;
	if (!uuid || !*uuid)
		return entries;
	if (asprintf(&out, "%s%s%s%s", XB_MANAGED_UUID_LINE, uuid,
		     *entries ? "\n" : "", entries) < 0)
		out = NULL;
	free(entries);
	return out;
}

size_t xb_managed_count(const char *text)
{
	size_t n = 0;

	while (text && *text) {
		size_t len = strcspn(text, "\n");

		if (len && !is_uuid_line(text, len) &&
		    strncmp(text, XB_MANAGED_SECRET_LINE,
			    strlen(XB_MANAGED_SECRET_LINE)))
			n++;
		text += len;
		text += *text == '\n';
	}
	return n;
}

char *xb_managed_record_key(const char *owner)
{
	char *k = NULL;

	if (!owner || !*owner || !strcmp(owner, XB_OWNER_DEFAULT))
		return strdup(XB_KEY_MANAGED);
	if (asprintf(&k, "%s:%s", XB_KEY_MANAGED, owner) < 0)
		return NULL;
	return k;
}

const char *xb_managed_record_owner(const char *k)
{
	size_t n = strlen(XB_KEY_MANAGED);

	if (strncmp(k, XB_KEY_MANAGED, n))
		return NULL;
	if (!k[n])
		return XB_OWNER_DEFAULT;
	if (k[n] == ':' && xb_owner_valid(k + n + 1))
		return k + n + 1;
	return NULL;
}
