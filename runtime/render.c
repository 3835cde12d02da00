/* render.c - a change, a plan and drift as people and --json read them;
 * see cli.h. Values are quoted by lib/quote.h, JSON and text alike. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "config.h"
#include "lib/blob.h"
#include "lib/errmsg.h"
#include "lib/hex.h"
#include "lib/quote.h"
#include "lib/trust.h"
#include "runtime/apply.h"
#include "runtime/cli.h"
#include "runtime/clock.h"
#include "runtime/desired.h"
#include "runtime/dump.h"
#include "runtime/hostlock.h"
#include "runtime/json.h"
#include "runtime/log.h"
#include "runtime/plan.h"
#include "runtime/receipt.h"
#include "runtime/xapi.h"
#include "runtime/xenstore.h"

/* ---- output ----------------------------------------------------------- */

/* A value quoted for people: escapes as in JSON, a byte that is not UTF-8
 * as \xXX. */
void put_quoted(FILE *f, const char *s)
{
	xb_put_quoted(f, s, XB_QUOTE_DISPLAY);
}

/* The same for --json: the output stays valid JSON whatever the bytes. */
void put_json(FILE *f, const char *s)
{
	xb_put_quoted(f, s, XB_QUOTE_JSON);
}

void put_json_or_null(FILE *f, const char *s)
{
	if (s)
		put_json(f, s);
	else
		fputs("null", f);
}

/* A name as is when it is one plain word, else quoted. */
void put_name(FILE *f, const char *s)
{
	const char *p;

	for (p = s; *p; p++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-@", *p))
			break;
	if (*p || !*s)
		put_quoted(f, s);
	else
		fputs(s, f);
}

/* "vm web-01", "sr \"Local storage\"" */
static void put_object(FILE *f, const struct xb_change *c)
{
	fprintf(f, "%s ", xb_class_keyword(c->cls));
	put_name(f, c->object);
}

static void put_field(FILE *f, const struct xb_change *c)
{
	if (c->where == XB_WHERE_XENSTORE) {
		if (c->bookkeeping)
			fprintf(f, "[domain %d] managed-keys record",
				c->domid);
		else
			fprintf(f, "[domain %d] %s", c->domid, c->key);
	} else if (c->field == XB_FIELD_NAME_LABEL) {
		fputs("name_label", f);
	} else {
		fprintf(f, "%s[%s]", xb_field_xapi(c->field), c->key);
	}
}

static void put_value(FILE *f, const struct xb_change *c, const char *v)
{
	if (c->bookkeeping) {
		size_t lines = 1;
		const char *p;

		for (p = v; *p; p++)
			lines += *p == '\n';
		fprintf(f, "(%zu key%s)", lines, lines == 1 ? "" : "s");
	} else {
		put_quoted(f, v);
	}
}

void print_change(FILE *f, const struct xb_change *c)
{
	fprintf(f, "%c ", c->op);
	put_object(f, c);
	fputc(' ', f);
	put_field(f, c);
	fputs(": ", f);
	switch (c->op) {
	case XB_CHANGE_ADD:
		put_value(f, c, c->new_value);
		break;
	case XB_CHANGE_MODIFY:
		put_value(f, c, c->old_value);
		fputs(" -> ", f);
		put_value(f, c, c->new_value);
		break;
	case XB_CHANGE_REMOVE:
		put_value(f, c, c->old_value);
		break;
	}
	if (c->source[0])
		fprintf(f, "  (%s)", c->source);
	else if (c->op == XB_CHANGE_REMOVE && !c->bookkeeping)
		fputs("  (no longer in the config)", f);
	fputc('\n', f);
}

/*
 * --json: one object on stdout.
 * {
 *   "command": "plan" | "apply" | "check",
 *   "result": "no changes" | "changes pending" | "applied" | "matches"
 *             | "drift" | "error",
 *   "identity": the configuration identity (lib/identity.h), hex, or null
 *               when the blobs could not be loaded,
 *   "changes": [ { "op": "add" | "change" | "remove",
 *                  "where": "xapi" | "xenstore",
 *                  "class": "vm" | "sr" | "network" | "pif",
 *                  "object": NAME, "uuid": UUID or "",
 *                  "domid": N or null (xenstore changes: the guest),
 *                  "field": "xenstore_data" | "other_config" | "name_label",
 *                  "key": KEY ("" for name_label),
 *                  "old": VALUE or null, "new": VALUE or null,
 *                  "source": "FILE:LINE:COL" or null,
 *                  "bookkeeping": true when only the managed-keys record } ],
 *   "xapi_calls": [ "VM.set_other_config UUID", ... ]   one per changed map,
 *   "xenstore_guests": [ DOMID, ... ]   guests in the one transaction,
 *   "notes": [ TEXT, ... ], "errors": [ TEXT, ... ],
 *   "summary": { "add": N, "change": N, "remove": N }
 * }
 */
void print_json(const char *command, const char *result,
		const unsigned char *identity, const struct xb_plan *p, const struct xb_actual *a,
		       char **errors, size_t nerrors)
{
	size_t add = 0, mod = 0, rem = 0, i;

	if (p)
		xb_plan_count(p, false, &add, &mod, &rem);
	printf("{\"command\":\"%s\",\"result\":\"%s\",\"identity\":",
	       command, result);
	if (identity) {
		putchar('"');
		xb_hex_put(stdout, identity, XB_IDENTITY_SIZE);
		putchar('"');
	} else {
		fputs("null", stdout);
	}
	fputs(",\"changes\":[", stdout);
	for (i = 0; p && i < p->nchanges; i++) {
		const struct xb_change *c = &p->changes[i];

		printf("%s{\"op\":\"%s\",\"where\":\"%s\",\"class\":\"%s\",\"object\":",
		       i ? "," : "", xb_change_op_word(c->op),
		       c->where == XB_WHERE_XAPI ? "xapi" : "xenstore",
		       xb_class_keyword(c->cls));
		put_json(stdout, c->object);
		fputs(",\"uuid\":", stdout);
		put_json(stdout, c->uuid);
		if (c->domid >= 0)
			printf(",\"domid\":%d", c->domid);
		else
			fputs(",\"domid\":null", stdout);
		printf(",\"field\":\"%s\",\"key\":", xb_field_xapi(c->field));
		put_json(stdout, c->key);
		fputs(",\"old\":", stdout);
		put_json_or_null(stdout, c->old_value);
		fputs(",\"new\":", stdout);
		put_json_or_null(stdout, c->new_value);
		fputs(",\"source\":", stdout);
		put_json_or_null(stdout, c->source[0] ? c->source : NULL);
		printf(",\"bookkeeping\":%s}", c->bookkeeping ? "true" : "false");
	}
	fputs("],\"xapi_calls\":[", stdout);
	for (i = 0; p && i < p->nwrites; i++) {
		const struct xb_object *ob = &a->objects[p->writes[i].object];
		char call[256];

		snprintf(call, sizeof(call), "%s.set_%s %s",
			 xb_class_xapi(ob->cls),
			 xb_field_xapi(p->writes[i].field), ob->uuid);
		if (i)
			fputc(',', stdout);
		put_json(stdout, call);
	}
	fputs("],\"xenstore_guests\":[", stdout);
	for (i = 0; p && i < p->nguests; i++)
		printf("%s%d", i ? "," : "", p->guests[i].domid);
	fputs("],\"notes\":[", stdout);
	for (i = 0; p && i < p->nnotes; i++) {
		if (i)
			fputc(',', stdout);
		put_json(stdout, p->notes[i]);
	}
	fputs("],\"errors\":[", stdout);
	for (i = 0; i < nerrors; i++) {
		if (i)
			fputc(',', stdout);
		put_json(stdout, errors[i]);
	}
	printf("],\"summary\":{\"add\":%zu,\"change\":%zu,\"remove\":%zu}}\n",
	       add, mod, rem);
}

/* ---- output of plans and drift ---------------------------------------------- */

/* check and status: every key that differs; returns how many. */
size_t print_drift(FILE *f, const struct xb_plan *plan)
{
	size_t drift = 0, i;

	for (i = 0; i < plan->nchanges; i++) {
		const struct xb_change *c = &plan->changes[i];

		if (c->bookkeeping)
			continue;
		drift++;
		if (!f)
			continue;
		fputs("drift: ", f);
		put_object(f, c);
		fputc(' ', f);
		put_field(f, c);
		fputs(": host has ", f);
		if (c->old_value)
			put_quoted(f, c->old_value);
		else
			fputs("nothing", f);
		if (c->new_value) {
			fputs(", config says ", f);
			put_quoted(f, c->new_value);
			fprintf(f, " (%s)\n", c->source);
		} else {
			fputs(", which the config no longer names (xenbake set it earlier)\n",
			      f);
		}
	}
	return drift;
}

/* A change as the one line `plan` prints, for the system log. */
char *change_line(const struct xb_change *c)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	print_change(f, c);
	if (fclose(f)) {
		free(buf);
		return NULL;
	}
	if (len && buf[len - 1] == '\n')
		buf[len - 1] = '\0';
	return buf;
}
