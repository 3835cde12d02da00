/* cmd-plan.c - the commands that only read: dump, plan and check; see
 * cli.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/hex.h"
#include "runtime/cli.h"
#include "runtime/dump.h"

int cmd_dump(const struct options *o)
{
	struct loaded *blobs = NULL;
	size_t nblobs = 0;
	int rc = EXIT_ERROR;

	if (load_blobs(o, &blobs, &nblobs))
		goto out;
	if (nblobs != 1) {
		fprintf(stderr, "xenbake: dump takes one blob, not a directory of %zu\n",
			nblobs);
		goto out;
	}
	if (xb_dump(&blobs[0].blob, stdout) || fflush(stdout)) {
		fprintf(stderr, "xenbake: writing the source: %s\n",
			strerror(errno));
		goto out;
	}
	rc = EXIT_OK;
out:
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
	if (r == SESSION_NOT_LOADED)
		goto out;
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
