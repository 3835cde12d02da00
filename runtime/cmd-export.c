/* SPDX-License-Identifier: MIT */
/* cmd-export.c - `xenbake export`: canonical .xb from the live host (or
 * pool), so that a host configured by hand is adopted without retyping:
 * compiled and planned on the same host, the export asks for nothing but
 * the record of the keys it adopts. Objects are selected the way the
 * planner matches them: by name where the name is unique among the
 * objects a block could select, else by uuid. See cli.h. */
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/model.h"
#include "runtime/cli.h"
#include "runtime/dump.h"
#include "runtime/managed.h"
#include "runtime/xapi.h"

/* What a block can select: the planner's rule (templates, snapshots and
 * control domains are not VMs a block names). */
static bool exportable(const struct xb_object *ob)
{
	return ob->cls != XB_CLASS_VM ||
	       (!ob->is_template && !ob->is_control_domain);
}

/* The name a block would select ob by: name_label, a PIF's device. */
static const char *name_of(const struct xb_object *ob)
{
	return ob->cls == XB_CLASS_PIF ? ob->device : ob->name_label;
}

static const char *host_name(const struct xb_actual *a, const char *ref)
{
	size_t i;

	for (i = 0; ref && i < a->nhosts; i++)
		if (!strcmp(a->hosts[i].ref, ref))
			return a->hosts[i].name_label;
	return NULL;
}

/* Is ob the only exportable object of its class with its name (a PIF: on
 * its host, when the pool has more than one)? */
static bool name_unique(const struct xb_actual *a, const struct xb_object *ob)
{
	const char *name = name_of(ob);
	size_t i, same = 0;

	if (!name || !*name)
		return false;
	for (i = 0; i < a->nobjects; i++) {
		const struct xb_object *x = &a->objects[i];

		if (x->cls != ob->cls || !exportable(x) || !name_of(x) ||
		    strcmp(name_of(x), name))
			continue;
		if (ob->cls == XB_CLASS_PIF && a->nhosts > 1 &&
		    !(x->host && ob->host && !strcmp(x->host, ob->host)))
			continue;
		same++;
	}
	return same == 1;
}

static bool class_wanted(const struct options *o, enum xb_class cls)
{
	const char *p = o->export_classes, *kw = xb_class_keyword(cls);
	size_t n = strlen(kw);

	if (!p)
		return true;
	for (; *p; p += strcspn(p, ","), p += *p == ',')
		if (!strncmp(p, kw, n) && (p[n] == ',' || !p[n]))
			return true;
	return false;
}

static bool name_wanted(const struct options *o, const struct xb_object *ob)
{
	size_t i;

	if (!o->nexport_names)
		return true;
	for (i = 0; i < o->nexport_names; i++)
		if ((name_of(ob) && !fnmatch(o->export_names[i], name_of(ob), 0)) ||
		    !strcmp(o->export_names[i], ob->uuid))
			return true;
	return false;
}

/* Does ob's record (managed, parsed) name key of field as a once key? */
static bool is_once(const struct xb_map *managed, enum xb_field field,
		    const char *key)
{
	char *m = xb_managed_once_name(field, key);
	bool in = m && xb_map_get(managed, m);

	free(m);
	return in;
}

/* Is key of field one to export from ob? managed: ob's record of the keys
 * xenbake manages, parsed. */
static bool key_wanted(const struct options *o, const struct xb_map *managed,
		       enum xb_field field, const char *key)
{
	char *m;
	bool in;

	if (field == XB_FIELD_OTHER_CONFIG &&
	    (!strcmp(key, XB_KEY_MANAGED) ||
	     !strncmp(key, XB_KEY_MANAGED ":", sizeof(XB_KEY_MANAGED))))
		return false;           /* xenbake's bookkeeping, any owner's */
	if (o->export_prefix && strncmp(key, o->export_prefix,
					strlen(o->export_prefix)))
		return false;
	if (!o->export_managed)
		return true;
	m = xb_managed_name(field, key);
	in = m && xb_map_get(managed, m);
	free(m);
	return in || is_once(managed, field, key);
}

/* One object's block; 0, or -1 out of memory. Nothing when no key is
 * left to export. *secrets counts the secret keys left out. */
static int export_object(FILE *f, const struct options *o,
			 const struct xb_actual *a, const struct xb_object *ob,
			 size_t *secrets)
{
	const char *orig = xb_map_get(&ob->other_config,
				      XB_KEY_I18N_ORIG_NAME);
	const char *i18n = xb_map_get(&ob->other_config, XB_KEY_I18N);
	struct xb_map managed = { 0 };
	bool by_name = name_unique(a, ob), head = false;
	size_t i;
	int f_i;

	/* every owner's record, not an inherited one */
	for (i = 0; i < ob->other_config.n; i++) {
		const char *k = ob->other_config.kv[i].key;
		const char *rec = xb_managed_record_owner(k) ?
				  xb_managed_own_at(ob, k) : NULL;

		if (rec && xb_managed_parse(rec, "", &managed)) {
			xb_map_free(&managed);
			return -1;
		}
	}
	for (f_i = 0; f_i < 2; f_i++) {
		enum xb_field field = f_i ? XB_FIELD_OTHER_CONFIG :
					    XB_FIELD_XENSTORE_DATA;
		const struct xb_map *m = f_i ? &ob->other_config :
					       &ob->xenstore_data;

		if (field == XB_FIELD_XENSTORE_DATA && ob->cls != XB_CLASS_VM)
			continue;
		for (i = 0; i < m->n; i++) {
			struct xbb_entry e = { .field = field,
					       .key = m->kv[i].key,
					       .value = m->kv[i].value };

			/* a once key stays one: its value is the guest's */
			if (is_once(&managed, field, e.key))
				e.flags = XB_ENTRY_ONCE;

			if (!key_wanted(o, &managed, field, e.key))
				continue;
			if (!head && ob->cls == XB_CLASS_POOL) {
				fputs("\npool {\n", f);   /* by no name */
				head = true;
			}
			if (!head) {
				fprintf(f, "\n%s ", xb_class_keyword(ob->cls));
				if (by_name) {
					xb_dump_string(name_of(ob), f);
					if (ob->cls == XB_CLASS_PIF &&
					    a->nhosts > 1 &&
					    host_name(a, ob->host)) {
						fputs(" host ", f);
						xb_dump_string(host_name(a, ob->host), f);
					}
				} else {
					fputs("uuid ", f);
					xb_dump_string(ob->uuid, f);
				}
				fputs(" {", f);
				if (!by_name) {
					fputs("   # ", f);
					put_quoted(f, name_of(ob) ? name_of(ob) : "");
					fputs(" is not unique", f);
				}
				fputc('\n', f);
				/* i18n-key derives the original name from
				 * the name: by uuid, the block says it */
				if (!by_name && ob->cls == XB_CLASS_SR && i18n &&
				    key_wanted(o, &managed, XB_FIELD_OTHER_CONFIG,
					       XB_KEY_I18N)) {
					fputs("    name-label ", f);
					xb_dump_string(ob->name_label, f);
					fputs(";\n", f);
				}
				head = true;
			}
			/* a secret's value is sealed in its blob and
			 * nowhere else: never exported */
			if (xb_managed_is_secret(&managed, field, e.key)) {
				fprintf(f, "    # left out: %s ",
					xb_field_xapi(field));
				put_quoted(f, e.key);
				fputs(" is a secret (write it as secret "
				      "\"FILE\")\n", f);
				(*secrets)++;
				continue;
			}
			/* XenServer keeps only vm-data/ in a VM's
			 * xenstore_data: the language refuses the rest */
			if (field == XB_FIELD_XENSTORE_DATA &&
			    strncmp(e.key, XB_VM_DATA_PREFIX,
				    strlen(XB_VM_DATA_PREFIX))) {
				fputs("    # left out: xenstore_data ", f);
				put_quoted(f, e.key);
				fputs(" is not under vm-data/\n", f);
				continue;
			}
			/* i18n-key writes the original name itself when it
			 * is the name the block selects by */
			if (field == XB_FIELD_OTHER_CONFIG && i18n &&
			    (by_name || ob->cls == XB_CLASS_SR) &&
			    orig && !strcmp(e.key, XB_KEY_I18N_ORIG_NAME) &&
			    !strcmp(orig, name_of(ob)) &&
			    key_wanted(o, &managed, field, XB_KEY_I18N))
				continue;
			xb_dump_entry(ob->cls, &e, f);
		}
	}
	if (head)
		fputs("}\n", f);
	xb_map_free(&managed);
	return 0;
}

int cmd_export(const struct options *o)
{
	struct xb_actual actual = { 0 };
	struct xapi *x = NULL;
	char *err = NULL, *body = NULL;
	size_t i, secrets = 0, len = 0;
	FILE *f = NULL;
	int rc = EXIT_ERROR;

	if (!(x = connect_xapi(o, &err)))
		goto fail;
	if (xapi_read_state(x, &actual)) {
		err = strdup(xapi_errmsg(x));
		goto fail;
	}
	/* the blocks first, so that the first lines can say how many
	 * secrets they leave out */
	f = open_memstream(&body, &len);
	if (!f) {
		err = strdup("out of memory");
		goto fail;
	}
	for (i = 0; i < actual.nobjects; i++) {
		const struct xb_object *ob = &actual.objects[i];

		if (!exportable(ob) || !class_wanted(o, ob->cls) ||
		    !name_wanted(o, ob))
			continue;
		if (export_object(f, o, &actual, ob, &secrets)) {
			err = strdup("out of memory");
			goto fail;
		}
	}
	if (fclose(f)) {
		f = NULL;
		err = strdup("out of memory");
		goto fail;
	}
	f = NULL;
	printf("# xenbake export from %s: %zu host%s.\n", o->xapi,
	       actual.nhosts, actual.nhosts == 1 ? "" : "s");
	/* a secret key's value is the plaintext: the record of managed
	 * keys marks it (managed.h), and export leaves it out */
	if (secrets)
		printf("# Secrets: %zu left out (each marked below): their "
		       "values are sealed in the blobs that set them.\n",
		       secrets);
	else
		puts("# Secrets: none left out.");
	fwrite(body, 1, len, stdout);
	if (fflush(stdout) || ferror(stdout)) {
		err = strdup("cannot write the source");
		goto fail;
	}
	rc = EXIT_OK;
	goto out;
fail:
	fprintf(stderr, "xenbake: export: %s\n", err ? err : "failed");
out:
	if (o->verbose && x)
		fprintf(stderr, "xenbake: %lu XenAPI call%s\n", xapi_calls(x),
			xapi_calls(x) == 1 ? "" : "s");
	if (f)
		fclose(f);
	free(body);
	free(err);
	xapi_close(x);
	xb_actual_free(&actual);
	return rc;
}
