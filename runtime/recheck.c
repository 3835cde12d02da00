/* SPDX-License-Identifier: MIT */
/* recheck.c - the compiler's rules on a loaded blob: see recheck.h. */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "lib/errmsg.h"
#include "lib/glob.h"
#include "lib/model.h"
#include "lib/utf8.h"
#include "runtime/recheck.h"

#define SHOWN_MAX 48    /* bytes of a refused string shown in a message */

/* s for a message: printable ASCII as it is, other bytes as \xNN, cut
 * after SHOWN_MAX bytes. */
static const char *shown(const char *s, char *buf, size_t size)
{
	size_t i, n = 0;

	for (i = 0; s[i] && n + 8 < size; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (i == SHOWN_MAX) {
			n += (size_t)snprintf(buf + n, size - n, "...");
			break;
		}
		if (ch >= 0x20 && ch < 0x7f && ch != '"' && ch != '\\')
			buf[n++] = (char)ch;
		else
			n += (size_t)snprintf(buf + n, size - n, "\\x%02x", ch);
	}
	buf[n] = '\0';
	return buf;
}

/* What xapi's XML cannot carry (the compiler's xml-char): a C0 control
 * but tab, LF and CR, U+FFFE, U+FFFF. UTF-8 itself xbb_open checked. */
static bool xml_ok(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	for (; *p; p++) {
		if (*p < 0x20 && *p != '\t' && *p != '\n' && *p != '\r')
			return false;
		if (p[0] == 0xef && p[1] == 0xbf &&
		    (p[2] == 0xbe || p[2] == 0xbf))
			return false;
	}
	return true;
}

static bool key_char(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	       (ch >= '0' && ch <= '9') || ch == '_' || ch == '@' || ch == '-';
}

/* Segments of [A-Za-z0-9_@-] joined by single slashes (xenstore-key). */
static bool xenstore_key_ok(const char *k)
{
	size_t i;

	if (!*k)
		return false;
	for (i = 0; k[i]; i++) {
		if (k[i] == '/') {
			if (i == 0 || k[i - 1] == '/' || !k[i + 1])
				return false;
		} else if (!key_char(k[i])) {
			return false;
		}
	}
	return true;
}

static bool uuid_ok(const char *s)
{
	size_t i;

	if (strlen(s) != 36)
		return false;
	for (i = 0; i < 36; i++) {
		bool dash = i == 8 || i == 13 || i == 18 || i == 23;

		if (dash ? s[i] != '-' : !strchr("0123456789abcdefABCDEF", s[i]))
			return false;
	}
	return true;
}

/* Why the entry breaks a rule, and the rule's name; NULL: it does not. */
static const char *entry_rule(const struct xbb_entry *e, const char **check)
{
	size_t plen = strlen(XB_VM_DATA_PREFIX);

	if (!xml_ok(e->key) || !xml_ok(e->value)) {
		*check = "xml-char";
		return "a control character or a character XML cannot carry";
	}
	switch (e->field) {
	case XB_FIELD_OTHER_CONFIG:
		*check = "map-key";
		if (!*e->key)
			return "an empty other-config key";
		if (strpbrk(e->key, "\t\n\r"))
			return "an other-config key holding a control character";
		if (!strcmp(e->key, XB_KEY_MANAGED) ||
		    !strncmp(e->key, XB_KEY_MANAGED ":",
			     sizeof(XB_KEY_MANAGED))) {
			*check = "managed-key";
			return "other-config \"" XB_KEY_MANAGED "\" is xenbake's own record of the keys it manages";
		}
		if ((e->flags & XB_ENTRY_SECRET) && !strcmp(e->key, XB_KEY_I18N)) {
			*check = "secret";
			return "a secret i18n key (the compiler refuses it)";
		}
		if ((e->flags & XB_ENTRY_ONCE) && !strcmp(e->key, XB_KEY_I18N)) {
			*check = "misplaced-statement";
			return "an i18n key written once (the compiler refuses it)";
		}
		break;
	case XB_FIELD_XENSTORE_DATA:
		if (strncmp(e->key, XB_VM_DATA_PREFIX, plen)) {
			*check = "xenstore-data-prefix";
			return "an xenstore-data key outside vm-data/";
		}
		if (!xenstore_key_ok(e->key + plen)) {
			*check = "xenstore-key";
			return "a vm-data key that is not segments of [A-Za-z0-9_@-] joined by /";
		}
		if (strlen("/local/domain/") + XB_XS_DOMID_DIGITS + 1 +
		    strlen(e->key) > XB_XS_PATH_MAX) {
			*check = "xenstore-path-length";
			return "a vm-data key too long for xenstore";
		}
		/* a secret's plaintext: xb_plain_rule, once opened */
		if (strlen(e->value) > XB_XS_VALUE_MAX &&
		    !(e->flags & XB_ENTRY_SECRET)) {
			*check = "xenstore-value-size";
			return "a vm-data value over xenstore's 2048 bytes";
		}
		break;
	case XB_FIELD_TAGS:
		*check = "tag";
		if (strpbrk(e->key, "\t\n\r"))
			return "a tag holding a control character";
		break;
	case XB_FIELD_NAME_LABEL:
	case XB_FIELD_NAME_DESCRIPTION:
		break;
	}
	return NULL;
}

const char *xb_plain_rule(enum xb_field field, const char *plain, size_t len)
{
	const unsigned char *p = (const unsigned char *)plain;
	size_t i = 0, n;

	while (i < len) {
		n = xb_utf8_len(p + i, len - i, NULL);
		if (!n)
			return "it is not UTF-8 text";
		i += n;
	}
	if (!xml_ok(plain))
		return "it holds a control character or a character XML "
		       "cannot carry";
	if (field == XB_FIELD_XENSTORE_DATA && len > XB_XS_VALUE_MAX)
		return "it is over xenstore's 2048 bytes";
	return NULL;
}

/* "FILE:LINE:COL", the file escaped: it is foreign bytes too. */
static const char *pos_shown(const struct xbb_pos *p, char *buf, size_t size)
{
	char file[4 * SHOWN_MAX + 16];

	if (!p->file[0])
		snprintf(buf, size, "<blob>");
	else
		snprintf(buf, size, "%s:%u:%u",
			 shown(p->file, file, sizeof(file)), p->line,
			 p->column);
	return buf;
}

/* A position's file name, checked once: a blob stores each string once,
 * so the positions of one file share the pointer last. */
static bool file_ok(const char *file, const char **last)
{
	if (file == *last)
		return true;
	if (!xml_ok(file))
		return false;
	*last = file;
	return true;
}

int xb_blob_recheck(const struct xbb *blob, char **errmsg)
{
	char pos[4 * SHOWN_MAX + 64], a[4 * SHOWN_MAX + 16], b[4 * SHOWN_MAX + 16];
	const char *why = NULL, *check = NULL, *file = NULL;
	struct xbb_object o;
	struct xbb_entry e;
	uint32_t i, j;

	for (i = 0; i < blob->nobjects; i++) {
		xbb_object(blob, i, &o);
		if (!file_ok(o.pos.file, &file)) {
			why = "a position's file name holding a control character";
			check = "xml-char";
		} else if (!xml_ok(o.selector) || !xml_ok(o.host)) {
			why = "a selector holding a control character";
			check = "xml-char";
		} else if (!*o.selector && o.cls != XB_CLASS_POOL) {
			why = "an empty name or uuid in a selector";
			check = "empty-name";
		} else if ((o.flags & XB_OBJ_BY_UUID) && !uuid_ok(o.selector)) {
			why = "a uuid selector that is not a uuid";
			check = "uuid";
		} else if ((o.flags & XB_OBJ_MATCH) &&
			   !xb_glob_valid(o.selector)) {
			why = "a match pattern with a [ that no ] closes";
			check = "match-pattern";
		}
		if (why)
			return xb_fail(errmsg, "%s: %s \"%s\": %s [%s]",
				       pos_shown(&o.pos, pos, sizeof(pos)),
				       xb_class_keyword(o.cls),
				       shown(o.selector, a, sizeof(a)), why,
				       check);
		for (j = o.first; j < o.first + o.count; j++) {
			xbb_entry(blob, j, &e);
			why = file_ok(e.pos.file, &file) ?
			      entry_rule(&e, &check) :
			      (check = "xml-char",
			       "a position's file name holding a control character");
			if (!why && e.field == XB_FIELD_NAME_LABEL &&
			    (o.flags & XB_OBJ_MATCH)) {
				why = "one name for every object a pattern matches";
				check = "match-pattern";
			}
			if (why)
				return xb_fail(errmsg, "%s: %s \"%s\": %s \"%s\": %s [%s]",
					       pos_shown(&e.pos, pos, sizeof(pos)),
					       xb_class_keyword(o.cls),
					       shown(o.selector, a, sizeof(a)),
					       xb_field_xapi(e.field),
					       shown(e.key, b, sizeof(b)), why,
					       check);
		}
	}
	return 0;
}
