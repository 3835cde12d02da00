/* SPDX-License-Identifier: MIT */
/* dump.c - a verified blob back to canonical source: the lowering of
 * model.h undone, statements in the blob's (canonical) entry order, each
 * block and statement preceded by a position line (see dump.h) so that
 * recompiling the output gives the same blob, positions included. */
#include <stdbool.h>
#include <string.h>

#include "lib/hex.h"
#include "lib/identity.h"
#include "runtime/dump.h"

/* Writes s as a string literal the compiler reads back to the same bytes. */
void xb_dump_string(const char *s, FILE *out)
{
	const unsigned char *p;

	fputc('"', out);
	for (p = (const unsigned char *)s; *p; p++) {
		switch (*p) {
		case '\\':
			fputs("\\\\", out);
			break;
		case '"':
			fputs("\\\"", out);
			break;
		case '\n':
			fputs("\\n", out);
			break;
		case '\t':
			fputs("\\t", out);
			break;
		case '$':
			fputs("$$", out);   /* not an interpolation */
			break;
		default:
			if (*p < 0x20 || *p == 0x7f)
				fprintf(out, "\\x%02x", *p);
			else
				fputc(*p, out);   /* valid UTF-8 */
		}
	}
	fputc('"', out);
}

static void put_pos(const struct xbb_pos *pos, const char *indent, FILE *out)
{
	fprintf(out, "%s#@ ", indent);
	xb_dump_string(pos->file, out);
	fprintf(out, " %u:%u\n", pos->line, pos->column);
}

/* A bare word the lexer reads as an identifier: i18n keys such as
 * local-storage are written without quotes when they are one. */
static bool plain_identifier(const char *s)
{
	const char *p;

	if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
	      *s == '_'))
		return false;
	for (p = s + 1; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '_' || *p == '-'))
			return false;
	return true;
}

/* What the compiler writes as i18n-original-value-name_label for an SR
 * with an i18n key: its name_label entry, else the selector's name; NULL
 * when there is neither (a uuid selector without name-label). */
static const char *derived_i18n_name(const struct xbb *blob,
				     const struct xbb_object *obj,
				     bool *has_i18n_key)
{
	const char *name = NULL;
	struct xbb_entry e;
	uint32_t i;

	*has_i18n_key = false;
	for (i = obj->first; i < obj->first + obj->count; i++) {
		xbb_entry(blob, i, &e);
		if (e.field == XB_FIELD_NAME_LABEL)
			name = e.value;
		else if (e.field == XB_FIELD_OTHER_CONFIG &&
			 !strcmp(e.key, XB_KEY_I18N))
			*has_i18n_key = true;
	}
	if (!name && !(obj->flags & XB_OBJ_SELECT))
		name = obj->selector;
	return name;
}

/* A secret's value is its sealed form, which compiles back unchanged */
static void put_key_value(const char *keyword, const char *key,
			  const char *value, uint32_t flags, FILE *out)
{
	bool once = flags & XB_ENTRY_ONCE;

	fprintf(out, "    %s ", keyword);
	xb_dump_string(key, out);
	fputs(flags & XB_ENTRY_SECRET ? " = sealed " : " = ", out);
	xb_dump_string(value, out);
	fputs(once ? " once;\n" : ";\n", out);
}

void xb_dump_entry(enum xb_class cls, const struct xbb_entry *e, FILE *out)
{
	const size_t prefix = strlen(XB_VM_DATA_PREFIX);
	bool plain = !(e->flags & (XB_ENTRY_ONCE | XB_ENTRY_SECRET));

	switch (e->field) {
	case XB_FIELD_XENSTORE_DATA:
		if (!strncmp(e->key, XB_VM_DATA_PREFIX, prefix) &&
		    e->key[prefix] != '\0')
			put_key_value("vm-data", e->key + prefix, e->value,
				      e->flags, out);
		else
			put_key_value("xenstore-data", e->key, e->value,
				      e->flags, out);
		return;
	case XB_FIELD_NAME_LABEL:
	case XB_FIELD_NAME_DESCRIPTION:
		fprintf(out, "    %s ", e->field == XB_FIELD_NAME_LABEL ?
			"name-label" : "name-description");
		xb_dump_string(e->value, out);
		fputs(";\n", out);
		return;
	case XB_FIELD_TAGS:
		fputs("    tag ", out);
		xb_dump_string(e->key, out);
		fputs(";\n", out);
		return;
	case XB_FIELD_OTHER_CONFIG:
		break;
	}
	/* hide-from-xencenter is refused on a host or the pool */
	/* a once or secret key is written as it was: only that form takes
	 * once or a secret */
	if (plain && !strcmp(e->key, XB_KEY_HIDE) &&
	    !strcmp(e->value, "true") &&
	    cls != XB_CLASS_HOST && cls != XB_CLASS_POOL) {
		fputs("    hide-from-xencenter;\n", out);
	} else if (plain && !strcmp(e->key, XB_KEY_I18N) &&
		   cls == XB_CLASS_SR &&
		   plain_identifier(e->value)) {
		fprintf(out, "    i18n-key %s;\n", e->value);
	} else {
		put_key_value("other-config", e->key, e->value, e->flags, out);
	}
}

static void put_object(const struct xbb *blob, const struct xbb_object *obj,
		       FILE *out)
{
	const char *derived = NULL;
	bool has_i18n_key = false;
	struct xbb_entry e;
	uint32_t i;

	if (obj->cls == XB_CLASS_SR)
		derived = derived_i18n_name(blob, obj, &has_i18n_key);

	fputc('\n', out);
	put_pos(&obj->pos, "", out);
	fputs(xb_class_keyword(obj->cls), out);
	if (obj->flags & XB_OBJ_BY_UUID)
		fputs(" uuid", out);
	else if (obj->flags & XB_OBJ_MATCH)
		fputs(" match", out);
	else if (obj->flags & XB_OBJ_TAG)
		fputs(" tag", out);
	if (obj->cls != XB_CLASS_POOL) {       /* the pool has no name */
		fputc(' ', out);
		xb_dump_string(obj->selector, out);
	}
	if (obj->flags & XB_OBJ_VLAN)
		fprintf(out, " vlan %u", (unsigned)obj->vlan);
	if (obj->host[0]) {
		fputs(" host ", out);
		xb_dump_string(obj->host, out);
	}
	if (obj->flags & XB_OBJ_OPTIONAL)
		fputs(" optional", out);
	if (!obj->count) {
		fputs(" { }\n", out);
		return;
	}
	fputs(" {\n", out);
	for (i = obj->first; i < obj->first + obj->count; i++) {
		xbb_entry(blob, i, &e);
		/* the i18n-key statement writes this one itself */
		if (has_i18n_key && derived &&
		    e.field == XB_FIELD_OTHER_CONFIG &&
		    !strcmp(e.key, XB_KEY_I18N_ORIG_NAME) &&
		    !strcmp(e.value, derived))
			continue;
		put_pos(&e.pos, "    ", out);
		xb_dump_entry(obj->cls, &e, out);
	}
	fputs("}\n", out);
}

int xb_dump(const struct xbb *blob, FILE *out)
{
	unsigned char id[XB_IDENTITY_SIZE];
	struct xbb_object obj;
	uint32_t i;

	/* the identity, not a hash of bytes: `xenbake diff` and `status`
	 * show the same one */
	xb_identity(blob, 1, id);
	fputs("# xenbake dump, config identity ", out);
	xb_hex_put(out, id, XB_IDENTITY_SIZE);
	fputc('\n', out);
	if (blob->owner && *blob->owner) {
		fputs("owner ", out);
		xb_dump_string(blob->owner, out);
		fputs(";\n", out);
	}
	for (i = 0; i < blob->nobjects; i++) {
		xbb_object(blob, i, &obj);
		put_object(blob, &obj, out);
	}
	if (fflush(out) || ferror(out))
		return -1;
	return 0;
}
