/* SPDX-License-Identifier: MIT */
/* cmd-plan.c - the commands that only read: dump, plan and check; see
 * cli.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/errmsg.h"
#include "lib/hex.h"
#include "lib/identity.h"
#include "runtime/cli.h"
#include "runtime/dump.h"

static void put_pos_json(const struct xbb_pos *pos)
{
	char buf[XB_POS_BUF];

	put_json(stdout, xb_pos_format(pos, buf, sizeof(buf)));
}

/*
 * dump --json: the blob as data, one object.
 * { "command": "dump", "result": "ok" | "error", "identity": HEX or null,
 *   "owner": NAME ("default" when the blob names none) or null (error),
 *   "objects": [ { "class", "selector", "by_uuid", "match", "tag", "optional", "host",
 *                  "source", "entries": [ { "field", "key", "value",
 *                  "source" } ] } ],
 *   "errors": [ TEXT ] }
 */
static void dump_json(const struct xbb *blob, const char *error)
{
	unsigned char id[XB_IDENTITY_SIZE];
	struct xbb_object ob;
	struct xbb_entry e;
	uint32_t i, k;

	printf("{\"command\":\"dump\",\"result\":\"%s\",\"identity\":",
	       blob ? "ok" : "error");
	if (blob) {
		xb_identity(blob, 1, id);
		putchar('"');
		xb_hex_put(stdout, id, sizeof(id));
		putchar('"');
	} else {
		fputs("null", stdout);
	}
	fputs(",\"owner\":", stdout);
	if (blob)
		put_json(stdout, *blob->owner ? blob->owner : XB_OWNER_DEFAULT);
	else
		fputs("null", stdout);
	fputs(",\"objects\":[", stdout);
	for (i = 0; blob && i < blob->nobjects; i++) {
		xbb_object(blob, i, &ob);
		printf("%s{\"class\":\"%s\",\"selector\":", i ? "," : "",
		       xb_class_keyword(ob.cls));
		put_json(stdout, ob.selector);
		printf(",\"by_uuid\":%s,\"match\":%s,\"tag\":%s,\"optional\":%s,\"host\":",
		       ob.flags & XB_OBJ_BY_UUID ? "true" : "false",
		       ob.flags & XB_OBJ_MATCH ? "true" : "false",
		       ob.flags & XB_OBJ_TAG ? "true" : "false",
		       ob.flags & XB_OBJ_OPTIONAL ? "true" : "false");
		put_json(stdout, ob.host);
		fputs(",\"source\":", stdout);
		put_pos_json(&ob.pos);
		fputs(",\"entries\":[", stdout);
		for (k = ob.first; k < ob.first + ob.count; k++) {
			xbb_entry(blob, k, &e);
			printf("%s{\"field\":\"%s\",\"key\":",
			       k > ob.first ? "," : "", xb_field_xapi(e.field));
			put_json(stdout, e.key);
			fputs(",\"value\":", stdout);
			put_json(stdout, e.value);
			fputs(",\"source\":", stdout);
			put_pos_json(&e.pos);
			putchar('}');
		}
		fputs("]}", stdout);
	}
	fputs("],\"errors\":[", stdout);
	if (error)
		put_json(stdout, error);
	fputs("]}\n", stdout);
}

int cmd_dump(const struct options *o)
{
	struct loaded *blobs = NULL;
	size_t nblobs = 0;
	char *msg = NULL;
	int rc = EXIT_ERROR;

	if (load_blobs(o, &blobs, &nblobs)) {
		msg = xb_strf("%s: the blob could not be loaded or failed verification (the reason is on stderr)",
			      o->blob_path);
		goto out;
	}
	if (nblobs != 1) {
		fprintf(stderr, "xenbake: dump takes one blob, not a directory of %zu\n",
			nblobs);
		msg = xb_strf("dump takes one blob, not a directory of %zu",
			      nblobs);
		goto out;
	}
	if (o->json) {
		dump_json(&blobs[0].blob, NULL);
		rc = fflush(stdout) ? EXIT_ERROR : EXIT_OK;
		goto out;
	}
	if (xb_dump(&blobs[0].blob, stdout) || fflush(stdout)) {
		fprintf(stderr, "xenbake: writing the source: %s\n",
			strerror(errno));
		goto out;
	}
	rc = EXIT_OK;
out:
	if (o->json && rc != EXIT_OK && msg)
		dump_json(NULL, msg);
	free(msg);
	free_blobs(blobs, nblobs);
	return rc;
}

static int plan(const struct options *o, const struct session *s)
{
	const struct xb_plan *p = &s->plan;
	size_t add, mod, rem;

	xb_plan_count(p, false, &add, &mod, &rem);
	if (o->json) {
		print_json("plan", xb_plan_empty(p) ? "no changes" :
			   "changes pending", s->identity, p, &s->actual, NULL, 0);
	} else {
		print_plan(stdout, p, use_colour(stdout));
		if (xb_plan_empty(p)) {
			printf("No changes.\n");
		} else {
			printf("Plan: %zu to add, %zu to change, %zu to remove.\n",
			       add, mod, rem);
			print_plan_classes(stdout, p);
			fputs("Config identity: ", stdout);
			xb_hex_put(stdout, s->identity, XB_IDENTITY_SIZE);
			putchar('\n');
		}
	}
	return xb_plan_empty(p) ? EXIT_OK : EXIT_PENDING;
}

static int check(const struct options *o, const struct session *s)
{
	size_t drift = print_drift(o->json ? NULL : stdout, &s->plan);

	if (o->json)
		print_json("check", drift ? "drift" : "matches", s->identity,
			   &s->plan,
			   &s->actual, NULL, 0);
	else if (drift)
		printf("Drift: %zu key%s differ%s from %s.\n", drift,
		       drift == 1 ? "" : "s", drift == 1 ? "s" : "",
		       o->blob_path);
	else
		printf("No drift: the host matches %s.\n", o->blob_path);
	return drift ? EXIT_PENDING : EXIT_OK;
}

/* plan and check */
int cmd_plan(const struct options *o)
{
	struct session s = { 0 };
	char *err = NULL;
	int rc = EXIT_ERROR, r;

	r = session_plan(o, &s, &err);
	if (r == SESSION_NOT_LOADED) {
		session_not_loaded(o, &s);
		goto out;
	}
	if (r == SESSION_PLAN_FAILED) {
		if (o->json)
			print_json(command_name(o->cmd), "error", s.identity,
				   &s.plan,
				   &s.actual, s.plan.errors, s.plan.nerrors);
		goto out;
	}
	if (r) {
		session_fail(o, &s, err);
		goto out;
	}
	rc = o->cmd == CMD_CHECK ? check(o, &s) : plan(o, &s);
out:
	session_end(o, &s);
	free(err);
	return rc;
}
