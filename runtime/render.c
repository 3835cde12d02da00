/* SPDX-License-Identifier: MIT */
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
#include "runtime/managed.h"
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

/* "[domain 5] ": fputs, not fprintf, on a line printed for each of
 * 10,000 keys (fprintf's parsing was a third of printing the plan) */
static void put_domain(FILE *f, int domid)
{
	char digits[16];
	size_t n = 0;

	if (domid < 0)
		digits[n++] = '-';
	n += xb_uint_text(digits + n, domid < 0 ? 0u - (unsigned)domid :
			  (unsigned)domid);
	digits[n] = '\0';
	fputs("[domain ", f);
	fputs(digits, f);
	fputs("] ", f);
}

static void put_field(FILE *f, const struct xb_change *c)
{
	if (c->where == XB_WHERE_XENSTORE) {
		put_domain(f, c->domid);
		fputs(c->bookkeeping ? "managed-keys record" : c->key, f);
	} else if (c->field == XB_FIELD_NAME_LABEL ||
		   c->field == XB_FIELD_NAME_DESCRIPTION ||
		   c->field == XB_FIELD_TAGS) {
		fputs(xb_field_xapi(c->field), f);   /* no key to show */
	} else {
		fprintf(f, "%s[%s]", xb_field_xapi(c->field), c->key);
	}
}

static void put_value(FILE *f, const struct xb_change *c, const char *v)
{
	if (c->secret) {
		fputs(XB_SECRET_SHOWN, f);
	} else if (c->bookkeeping) {
		size_t keys = xb_managed_count(v);

		fprintf(f, "(%zu key%s)", keys, keys == 1 ? "" : "s");
	} else {
		put_quoted(f, v);
	}
}

static void put_values(FILE *f, const struct xb_change *c)
{
	if (c->field == XB_FIELD_TAGS) {        /* a tag is its key */
		put_quoted(f, c->key);
		return;
	}
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
}

/* Whose change it is, for people: NULL for the owner default, so that a
 * configuration without owners reads as it always has. */
static const char *shown_owner(const struct xb_change *c)
{
	return c->owner && strcmp(c->owner, XB_OWNER_DEFAULT) ? c->owner :
	       NULL;
}

void print_change(FILE *f, const struct xb_change *c)
{
	const char *owner = shown_owner(c), *why = NULL;

	if (c->source[0])
		why = c->source;
	else if (c->op == XB_CHANGE_REMOVE && !c->bookkeeping)
		why = "no longer in the config";
	else if (c->bookkeeping && owner)
		why = "xenbake's record";
	fprintf(f, "%c ", c->op);
	put_object(f, c);
	fputc(' ', f);
	put_field(f, c);
	fputs(": ", f);
	put_values(f, c);
	if (why)
		fprintf(f, "  (%s%s", why,
			c->once ? "; once: only while absent" : "");
	if (owner)
		fprintf(f, "%sowner %s", why ? "; " : "  (", owner);
	if (why || owner)
		fputc(')', f);
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
 *                  "class": "vm" | "sr" | "network" | "pif" | "host"
 *                           | "pool",
 *                  "object": NAME, "uuid": UUID or "",
 *                  "domid": N or null (xenstore changes: the guest),
 *                  "field": "xenstore_data" | "other_config" | "name_label"
 *                           | "name_description" | "tags",
 *                  "key": KEY ("" for name_label and name_description;
 *                         the tag for tags, whose old/new are ""),
 *                  "old": VALUE or null, "new": VALUE or null,
 *                  "source": "FILE:LINE:COL" or null,
 *                  "bookkeeping": true when only the managed-keys record,
 *                  "owner": the owner whose key or record it is,
 *                  "once": true on a once key's write (absent otherwise) } ],
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
		put_json_or_null(stdout, xb_change_shown(c, c->old_value));
		fputs(",\"new\":", stdout);
		put_json_or_null(stdout, xb_change_shown(c, c->new_value));
		fputs(",\"source\":", stdout);
		put_json_or_null(stdout, c->source[0] ? c->source : NULL);
		printf(",\"bookkeeping\":%s,\"owner\":",
		       c->bookkeeping ? "true" : "false");
		put_json(stdout, c->owner ? c->owner : XB_OWNER_DEFAULT);
		if (c->once)
			fputs(",\"once\":true", stdout);
		fputc('}', stdout);
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

		/* a once key is the guest's: never drift, not even the
		 * first write (apply makes it; the guest may consume it) */
		if (c->bookkeeping || c->once)
			continue;
		drift++;
		if (!f)
			continue;
		fputs("drift: ", f);
		put_object(f, c);
		fputc(' ', f);
		put_field(f, c);
		fputs(": host has ", f);
		if (c->old_value && c->secret)
			fputs(XB_SECRET_SHOWN, f);
		else if (c->old_value)
			put_quoted(f, c->old_value);
		else
			fputs("nothing", f);
		if (c->new_value) {
			fputs(", config says ", f);
			if (c->secret)
				fputs(XB_SECRET_SHOWN, f);
			else
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

/* ---- the plan, grouped per object ------------------------------------------- */

/* Colour only for a person at a terminal: never into a pipe or a file, and
 * not when NO_COLOR is set to anything non-empty (no-color.org) or the
 * terminal is dumb. */
bool use_colour(FILE *f)
{
	const char *no = getenv("NO_COLOR"), *term = getenv("TERM");

	return isatty(fileno(f)) && !(no && *no) &&
	       !(term && !strcmp(term, "dumb"));
}

#define SGR_BOLD  "\033[1m"
#define SGR_DIM   "\033[2m"
#define SGR_ADD   "\033[32m"
#define SGR_MOD   "\033[33m"
#define SGR_REM   "\033[31m"
#define SGR_OFF   "\033[0m"

static const char *op_colour(enum xb_change_op op)
{
	return op == XB_CHANGE_ADD ? SGR_ADD : op == XB_CHANGE_MODIFY ?
	       SGR_MOD : SGR_REM;
}

static bool same_str(const char *a, const char *b)
{
	return a == b || (a && b && !strcmp(a, b));
}

static bool same_object(const struct xb_change *a, const struct xb_change *b)
{
	return a->cls == b->cls && !strcmp(a->object, b->object) &&
	       !strcmp(a->uuid, b->uuid);
}

/* The plan's changes by object: the changes of one object, in plan order,
 * are idx[run[k].lo .. run[k].hi) for every k in that run. Grouped once by
 * sorting, a plan prints in time linear in its changes; comparing every
 * change with every other took minutes at 10,000 VMs. */
struct by_object {
	size_t *idx;                 /* change indices, object by object */
	struct { size_t lo, hi; } *run;  /* per change index */
};

struct keyed {
	const struct xb_change *c;
	size_t i;
};

static int keyed_cmp(const void *a, const void *b)
{
	const struct keyed *x = a, *y = b;
	int r;

	if (x->c->cls != y->c->cls)
		return x->c->cls < y->c->cls ? -1 : 1;
	if ((r = strcmp(x->c->object, y->c->object)) ||
	    (r = strcmp(x->c->uuid, y->c->uuid)))
		return r;
	return x->i < y->i ? -1 : x->i > y->i;
}

/* 0, or -1 (out of memory: nothing to free). */
static int group_by_object(const struct xb_plan *p, struct by_object *g)
{
	struct keyed *k = calloc(p->nchanges + 1, sizeof(*k));
	size_t i, j, lo;

	g->idx = calloc(p->nchanges + 1, sizeof(*g->idx));
	g->run = calloc(p->nchanges + 1, sizeof(*g->run));
	if (!k || !g->idx || !g->run) {
		free(k);
		free(g->idx);
		free(g->run);
		return -1;
	}
	for (i = 0; i < p->nchanges; i++)
		k[i] = (struct keyed){ &p->changes[i], i };
	qsort(k, p->nchanges, sizeof(*k), keyed_cmp);
	for (lo = 0; lo < p->nchanges; lo = i) {
		for (i = lo; i < p->nchanges && same_object(k[lo].c, k[i].c); i++)
			g->idx[i] = k[i].i;
		for (j = lo; j < i; j++) {
			g->run[k[j].i].lo = lo;
			g->run[k[j].i].hi = i;
		}
	}
	free(k);
	return 0;
}

static void by_object_free(struct by_object *g)
{
	free(g->idx);
	free(g->run);
}

/* The xenstore change that writes the same vm-data key as the XenAPI
 * change c, among those of its object not shown yet; its index or
 * (size_t)-1. */
static size_t live_twin(const struct xb_plan *p, const struct by_object *g,
			size_t c, const bool *shown)
{
	const struct xb_change *x = &p->changes[c];
	size_t k;

	if (x->where != XB_WHERE_XAPI || x->field != XB_FIELD_XENSTORE_DATA ||
	    x->bookkeeping)
		return (size_t)-1;
	for (k = g->run[c].lo; k < g->run[c].hi; k++) {
		const struct xb_change *y = &p->changes[g->idx[k]];

		if (!shown[g->idx[k]] && y->where == XB_WHERE_XENSTORE &&
		    !y->bookkeeping && !strcmp(x->key, y->key))
			return g->idx[k];
	}
	return (size_t)-1;
}

/* "    + xenstore_data[vm-data/role]: "frontend"  (site.xb:2:5; live in
 * domain 5)": one line per key, the guest's live copy as a detail; with
 * owners, "; owner team-a" after the source. */
static void put_key_line(FILE *f, const struct xb_plan *p,
			 const struct by_object *g, size_t c, bool *shown,
			 bool owners, bool colour)
{
	const struct xb_change *x = &p->changes[c];
	size_t t = live_twin(p, g, c, shown);
	const struct xb_change *live = t == (size_t)-1 ? NULL :
				       &p->changes[t];

	shown[c] = true;
	if (live)
		shown[t] = true;
	fputs("    ", f);
	if (colour)
		fputs(op_colour(x->op), f);
	fputc(x->op, f);
	fputc(' ', f);
	put_field(f, x);
	fputs(": ", f);
	put_values(f, x);
	if (colour)
		fputs(SGR_OFF SGR_DIM, f);
	fputs("  (", f);
	if (x->source[0])
		fputs(x->source, f);
	else if (x->bookkeeping)
		fputs("xenbake's record", f);
	else
		fputs("no longer in the config", f);
	if (x->once)
		fputs("; once: only while absent", f);
	if (owners)
		fprintf(f, "; owner %s", x->owner ? x->owner :
			XB_OWNER_DEFAULT);
	if (live && live->op == x->op &&
	    same_str(live->old_value, x->old_value) &&
	    same_str(live->new_value, x->new_value)) {
		fprintf(f, "; live in domain %d", live->domid);
	} else if (live) {
		fprintf(f, "; live in domain %d: ", live->domid);
		put_values(f, live);
	}
	fputc(')', f);
	if (colour)
		fputs(SGR_OFF, f);
	fputc('\n', f);
}

void print_plan(FILE *f, const struct xb_plan *p, bool colour)
{
	bool *shown = calloc(p->nchanges + 1, sizeof(*shown));
	struct by_object g;
	bool owners = false;
	size_t i, k;

	if (!shown || group_by_object(p, &g)) {
		/* still every change, one per line */
		for (i = 0; i < p->nchanges; i++)
			print_change(f, &p->changes[i]);
		free(shown);
		return;
	}
	/* every line names its owner once one is not the default: with
	 * two blobs, "default" is then one owner among others */
	for (i = 0; i < p->nchanges && !owners; i++)
		owners = shown_owner(&p->changes[i]) != NULL;
	for (i = 0; i < p->nchanges; i++) {
		const struct xb_change *c = &p->changes[i];

		if (shown[i])
			continue;
		/* the object's head, then every change of it */
		fprintf(f, "%s%s ", colour ? SGR_BOLD : "",
			xb_class_keyword(c->cls));
		put_name(f, c->object);
		if (c->uuid[0])
			fprintf(f, "%s  (%s)", colour ? SGR_OFF SGR_DIM : "",
				c->uuid);
		fprintf(f, "%s\n", colour ? SGR_OFF : "");
		for (k = g.run[i].lo; k < g.run[i].hi; k++)
			if (!shown[g.idx[k]])
				put_key_line(f, p, &g, g.idx[k], shown, owners,
					     colour);
	}
	by_object_free(&g);
	free(shown);
}

/* "  vm: 2 objects, keys: 3 to add, 1 to change, 0 to remove", per class
 * with changes; a vm-data key written to XenAPI and live counts once,
 * bookkeeping not at all. */
void print_plan_classes(FILE *f, const struct xb_plan *p)
{
	enum { NCLASS = XB_CLASS_MAX + 1 };
	size_t n[NCLASS][3] = { { 0 } }, objects[NCLASS] = { 0 }, i, k;
	struct by_object g;

	if (group_by_object(p, &g)) {
		fputs("  (out of memory counting the changes)\n", f);
		return;
	}
	for (i = 0; i < p->nchanges; i++) {
		const struct xb_change *c = &p->changes[i];
		bool first = true, first_of_object = true;

		if (c->bookkeeping || (unsigned)c->cls >= NCLASS)
			continue;
		for (k = g.run[i].lo; k < g.run[i].hi; k++) {
			const struct xb_change *o = &p->changes[g.idx[k]];

			/* a key written to XenAPI and live counts once */
			if (c->where == XB_WHERE_XENSTORE &&
			    o->where == XB_WHERE_XAPI &&
			    o->field == XB_FIELD_XENSTORE_DATA &&
			    !strcmp(c->key, o->key))
				first = false;
			if (g.idx[k] < i && !o->bookkeeping)
				first_of_object = false;
		}
		if (first)
			n[c->cls][c->op == XB_CHANGE_ADD ? 0 :
				  c->op == XB_CHANGE_MODIFY ? 1 : 2]++;
		if (first_of_object)
			objects[c->cls]++;
	}
	by_object_free(&g);
	for (i = 0; i < NCLASS; i++)
		if (objects[i])
			fprintf(f, "  %s: %zu object%s, keys: %zu to add, %zu to change, %zu to remove\n",
				xb_class_keyword((enum xb_class)i), objects[i],
				objects[i] == 1 ? "" : "s", n[i][0], n[i][1],
				n[i][2]);
}
