/* SPDX-License-Identifier: MIT */
/* cmd-status.c - `xenbake status`: the last receipt, and whether the
 * blobs are still the ones it names; see cli.h. */
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
#include "lib/sha256.h"
#include "lib/trust.h"
#include "runtime/apply.h"
#include "runtime/cli.h"
#include "runtime/secrets.h"
#include "runtime/clock.h"
#include "runtime/desired.h"
#include "runtime/dump.h"
#include "runtime/hostlock.h"
#include "runtime/json.h"
#include "runtime/lockdown.h"
#include "runtime/log.h"
#include "runtime/plan.h"
#include "runtime/receipt.h"
#include "runtime/statedir.h"
#include "runtime/xapi.h"
#include "runtime/xenstore.h"

/* ---- status ----------------------------------------------------------------- */

/* A string of the receipt, within a line: receipts hold foreign strings
 * (names, keys and errors from the host), so control bytes are written as
 * \xNN and a long one is cut (log.h), as on stderr. */
static void put_text(FILE *f, const char *s)
{
	xb_put_text(f, s);
}

/* A name: as is when it is one plain word, else quoted; cut either way. */
static void put_short_name(FILE *f, const char *s)
{
	size_t n = strlen(s);
	char *cut;

	if (n <= XB_MESSAGE_MAX) {
		put_name(f, s);
		return;
	}
	cut = strndup(s, XB_MESSAGE_MAX);
	if (cut) {
		put_quoted(f, cut);
		fputs("...", f);
	} else {
		fputs("(too long)", f);
	}
	free(cut);
}

static void put_short_quoted(FILE *f, const char *s)
{
	size_t n = strlen(s);
	char *cut;

	if (n <= XB_MESSAGE_MAX) {
		put_quoted(f, s);
		return;
	}
	cut = strndup(s, XB_MESSAGE_MAX);
	if (cut) {
		put_quoted(f, cut);
		fprintf(f, "... (%zu bytes)", n);
	} else {
		fputs("(too long)", f);
	}
	free(cut);
}

static void put_receipt_change(FILE *f, const struct xb_json *c)
{
	const char *op = xb_json_str(c, "op", "?"), *old, *new;
	const char *field = xb_json_str(c, "field", ""),
		   *key = xb_json_str(c, "key", ""),
		   *src = xb_json_str(c, "source", NULL),
		   *outcome = xb_json_str(c, "outcome", "?"),
		   *owner = xb_json_str(c, "owner", XB_OWNER_DEFAULT);
	bool book = xb_json_bool(c, "bookkeeping", false),
	     once = xb_json_bool(c, "once", false);

	/* as the plan: the owner default goes without saying */
	if (!strcmp(owner, XB_OWNER_DEFAULT))
		owner = NULL;

	fputs("  ", f);
	put_text(f, outcome);
	fprintf(f, "%*s%c ", strlen(outcome) < 13 ?
		(int)(14 - strlen(outcome)) : 1, "",
		!strcmp(op, "add") ? '+' : !strcmp(op, "change") ? '~' : '-');
	put_text(f, xb_json_str(c, "class", "?"));
	fputc(' ', f);
	put_short_name(f, xb_json_str(c, "object", "?"));
	fputc(' ', f);
	if (!strcmp(xb_json_str(c, "where", ""), "xenstore")) {
		fprintf(f, "[domain %.0f] ", xb_json_num(c, "domid", -1));
		put_text(f, book ? "managed-keys record" : key);
	} else if (!strcmp(field, "name_label")) {
		fputs("name_label", f);
	} else {
		put_text(f, field);
		fputc('[', f);
		put_text(f, key);
		fputc(']', f);
	}
	old = xb_json_str(c, "old", NULL);
	new = xb_json_str(c, "new", NULL);
	if (book) {
		fputs(": (the record of managed keys)", f);
	} else {
		fputs(": ", f);
		if (old)
			put_short_quoted(f, old);
		if (old && new)
			fputs(" -> ", f);
		if (new)
			put_short_quoted(f, new);
	}
	if (src || owner)
		fputs("  (", f);
	if (src)
		put_text(f, src);
	if (src && once)
		fputs("; once: only while absent", f);
	if (owner) {
		fputs(src ? "; owner " : "owner ", f);
		put_text(f, owner);
	}
	if (src || owner)
		fputc(')', f);
	fputc('\n', f);
}

static void print_receipt(FILE *f, const struct xb_json *j)
{
	const struct xb_json *blobs = xb_json_get(j, "blobs"),
			     *changes = xb_json_get(j, "changes"),
			     *calls = xb_json_get(j, "xapi_calls"),
			     *xs = xb_json_get(j, "xenstore_requests"),
			     *sum = xb_json_get(j, "summary"), *writes,
			     *lost;
	const char *err = xb_json_str(j, "error", NULL);
	size_t i;

	fputs("Last apply: ", f);
	put_text(f, xb_json_str(j, "time", "?"));
	fputs(", ", f);
	put_text(f, xb_json_str(j, "result", "?"));
	fprintf(f, " (pid %.0f, %.2f s)\n", xb_json_num(j, "pid", 0),
		xb_json_num(j, "seconds", 0));
	if (err) {
		fputs("  error: ", f);
		xb_put_message(f, err);
	}
	for (i = 0; blobs && blobs->type == XB_JSON_ARRAY && i < blobs->n; i++) {
		fputs("  blob ", f);
		put_text(f, xb_json_str(&blobs->items[i], "path", "?"));
		fputs("\n       sha256 ", f);
		xb_put_message(f, xb_json_str(&blobs->items[i], "sha256",
					      "(not verified)"));
		/* whose record its keys went to (receipts before owners
		 * do not say) */
		if (xb_json_str(&blobs->items[i], "owner", NULL)) {
			fputs("       owner ", f);
			xb_put_message(f, xb_json_str(&blobs->items[i],
						      "owner", ""));
		}
	}
	if (xb_json_str(j, "identity", NULL)) {
		fputs("  config identity ", f);
		xb_put_message(f, xb_json_str(j, "identity", ""));
	}
	fprintf(f, "Changes: %.0f added, %.0f changed, %.0f removed%s\n",
		xb_json_num(sum, "add", 0), xb_json_num(sum, "change", 0),
		xb_json_num(sum, "remove", 0),
		xb_json_bool(j, "verified", false) ?
		" (outcomes checked on the host after the failure)" : "");
	for (i = 0; changes && changes->type == XB_JSON_ARRAY &&
		    i < changes->n; i++)
		put_receipt_change(f, &changes->items[i]);
	if (xb_json_str(j, "xapi", NULL)) {
		writes = xb_json_get(calls, "writes");
		fputs("XenAPI at ", f);
		put_text(f, xb_json_str(j, "xapi", ""));
		fprintf(f, ": %.0f call%s", xb_json_num(calls, "count", 0),
			xb_json_num(calls, "count", 0) == 1 ? "" : "s");
		for (i = 0; writes && writes->type == XB_JSON_ARRAY &&
			    i < writes->n; i++) {
			fputs(i ? ", " : "; writes: ", f);
			put_text(f, writes->items[i].string ?
				 writes->items[i].string : "?");
		}
		fputc('\n', f);
	}
	if (xs && xs->type == XB_JSON_OBJECT)
		fprintf(f, "xenstore: %.0f transaction%s, %.0f reads, %.0f writes, %.0f removes, %.0f mkdirs, %.0f set-perms\n",
			xb_json_num(xs, "transactions", 0),
			xb_json_num(xs, "transactions", 0) == 1 ? "" : "s",
			xb_json_num(xs, "reads", 0), xb_json_num(xs, "writes", 0),
			xb_json_num(xs, "removes", 0),
			xb_json_num(xs, "mkdirs", 0),
			xb_json_num(xs, "set_perms", 0));
	lost = xb_json_get(j, "xenstore_guests_not_written");
	for (i = 0; lost && lost->type == XB_JSON_ARRAY && i < lost->n; i++)
		fprintf(f, "%s%.0f%s", i ? ", " : "xenstore: vm-data not written for domain ",
			lost->items[i].type == XB_JSON_NUMBER ?
			lost->items[i].number : -1, i + 1 == lost->n ? "\n" : "");
}

/* One receipt as one line of the history: "2026-12-05T08:30:00.123456Z
 * applied  +3 ~1 -0  config 1a2b3c4d5e6f". */
static void put_history_line(FILE *f, const char *lead,
			     const struct xb_json *j)
{
	const struct xb_json *sum = xb_json_get(j, "summary");
	const char *id = xb_json_str(j, "identity", NULL),
		   *err = xb_json_str(j, "error", NULL);

	char idbuf[13];

	snprintf(idbuf, sizeof(idbuf), "%s", id ? id : "(unknown)");
	fputs(lead, f);
	put_text(f, xb_json_str(j, "time", "?"));
	fputs("  ", f);
	put_text(f, xb_json_str(j, "result", "?"));
	fprintf(f, "%*s +%.0f ~%.0f -%.0f  config ",
		strlen(xb_json_str(j, "result", "?")) < 10 ?
		(int)(10 - strlen(xb_json_str(j, "result", "?"))) : 0, "",
		xb_json_num(sum, "add", 0), xb_json_num(sum, "change", 0),
		xb_json_num(sum, "remove", 0));
	put_text(f, idbuf);
	if (err) {
		fputs("  error: ", f);
		put_text(f, err);
	}
	fputc('\n', f);
}

static bool succeeded(const struct xb_json *j)
{
	const char *r = xb_json_str(j, "result", "");

	return !strcmp(r, "applied") || !strcmp(r, "no changes");
}

/* The receipts kept, oldest first: with --all, each as a line (or, with
 * --json, the whole object), and after the last one, the last
 * successful apply when the last one failed. -1: none could be listed. */
static int print_history(const struct options *o, const struct xb_json *last)
{
	char **paths = NULL, *err = NULL, *text = NULL;
	size_t n = 0, i, len, shown = 0;
	struct xb_json *all = NULL;
	ssize_t good = -1;
	int rc = -1;

	if (xb_receipt_list(o->state_dir, &paths, &n, &err)) {
		fprintf(stderr, "xenbake: status: %s\n", err);
		goto out;
	}
	all = calloc(n + 1, sizeof(*all));
	if (!all)
		goto out;
	if (o->all)
		printf(o->json ? "{\"command\":\"status\",\"receipts\":[" :
		       "History (%zu receipt%s kept, oldest first):\n", n,
		       n == 1 ? "" : "s");
	for (i = 0; i < n; i++) {
		free(err);
		err = NULL;
		if (xb_receipt_read(paths[i], &text, &len, &err) ||
		    xb_json_parse(text, len, &all[i], &err) ||
		    all[i].type != XB_JSON_OBJECT) {
			/* one unreadable receipt does not hide the others */
			fprintf(stderr, "xenbake: status: %s: %s\n", paths[i],
				err ? err : "not a JSON object");
			free(text);
			text = NULL;
			continue;
		}
		if (succeeded(&all[i]))
			good = (ssize_t)i;
		if (o->all && o->json)
			printf("%s%.*s", shown++ ? "," : "", (int)len, text);
		else if (o->all)
			put_history_line(stdout, "  ", &all[i]);
		free(text);
		text = NULL;
	}
	if (o->all && o->json)
		printf("]}\n");
	if (!o->json && last && !succeeded(last)) {
		if (good < 0) {
			printf("Last successful apply: none among the %zu receipt%s kept\n",
			       n, n == 1 ? "" : "s");
		} else {
			put_history_line(stdout, "Last successful apply: ",
					 &all[good]);
		}
	}
	rc = 0;
out:
	for (i = 0; all && i < n; i++)
		xb_json_free(&all[i]);
	free(all);
	free(err);
	xb_receipt_names_free(paths, n);
	return rc;
}

/* The blobs to check the host against: BLOB, else those of the receipt. */
static int status_blobs(const struct options *o, const struct xb_json *j,
			struct loaded **l, size_t *n)
{
	const struct xb_json *blobs = xb_json_get(j, "blobs");
	char **names = NULL;
	size_t i, nnames = 0;
	int r;

	if (o->blob_path)
		return load_blobs(o, l, n);
	if (!blobs || blobs->type != XB_JSON_ARRAY || !blobs->n) {
		fprintf(stderr, "xenbake: status: the receipt names no blob; name one\n");
		return -1;
	}
	names = calloc(blobs->n, sizeof(*names));
	if (!names)
		return -1;
	for (i = 0; i < blobs->n; i++) {
		const char *p = xb_json_str(&blobs->items[i], "path", NULL);

		if (!p || !(names[nnames++] = strdup(p))) {
			fprintf(stderr, "xenbake: status: a blob of the receipt has no path\n");
			free_names(names, nnames);
			return -1;
		}
	}
	r = load_list(o, names, nnames, l, n);
	free_names(names, nnames);
	return r;
}

/* Receipts name a blob by its own verified hash (blob.h); older ones by
 * the file's, as sha256sum prints it: the same blob under either is not
 * a changed blob. Hashed only on a mismatch. */
static bool file_sum_is(const struct loaded *l, const char *hex)
{
	unsigned char sum[XBB_SHA256_SIZE];
	char sum_hex[2 * XBB_SHA256_SIZE + 1];

	if (!l->ok)
		return false;
	xb_sha256(sum, l->buf, l->len);
	xb_hex(sum_hex, sum, XBB_SHA256_SIZE);
	return !strcmp(sum_hex, hex);
}

/* A note for each blob that is not the one the receipt recorded. */
static void note_changed_blobs(FILE *f, const struct xb_json *j,
			       const struct loaded *l, size_t n)
{
	const struct xb_json *blobs = xb_json_get(j, "blobs");
	char now_hex[2 * XBB_SHA256_SIZE + 1];
	size_t i, k;

	for (i = 0; i < n; i++) {
		char *abs = absolute_path(l[i].path);
		const char *was = NULL, *now = abs ? abs : l[i].path;

		xb_hex(now_hex, l[i].sha256, XBB_SHA256_SIZE);
		/* receipts name blobs by absolute path (older ones as
		 * given) */
		for (k = 0; blobs && blobs->type == XB_JSON_ARRAY &&
			    k < blobs->n; k++)
			if (!strcmp(xb_json_str(&blobs->items[k], "path", ""),
				    now) ||
			    !strcmp(xb_json_str(&blobs->items[k], "path", ""),
				    l[i].path))
				was = xb_json_str(&blobs->items[k], "sha256",
						  NULL);
		if (!was)
			fprintf(f, "note: %s was not part of the last apply\n",
				l[i].path);
		else if (strcmp(was, now_hex) && !file_sum_is(&l[i], was))
			fprintf(f, "note: %s has changed since the last apply (sha256 now %s)\n",
				l[i].path, now_hex);
		free(abs);
	}
}

/* Whether DIR/receipts holds a receipt (read-only, no symlink followed). */
static bool older_receipts(const char *dir)
{
	char *why = NULL;
	int dfd = xb_statedir_open(dir, false, &why), sfd = -1;
	bool any = false;
	struct dirent *de;
	DIR *d = NULL;

	if (dfd >= 0)
		sfd = xb_statedir_subdir(dfd, dir, XB_RECEIPT_DIR, false, &why);
	if (sfd >= 0 && (d = fdopendir(sfd)))
		while (!any && (de = readdir(d)))
			any = strlen(de->d_name) > 5 && de->d_name[0] != '.' &&
			      !strcmp(de->d_name + strlen(de->d_name) - 5,
				      ".json");
	if (d)
		closedir(d);
	else if (sfd >= 0)
		close(sfd);
	if (dfd >= 0)
		close(dfd);
	free(why);
	return any;
}

/* --json when there is no receipt to print: still one object. */
static void json_error(const struct options *o, const char *err)
{
	if (!o->json)
		return;
	fputs("{\"command\":\"status\",\"result\":\"error\",\"errors\":[", stdout);
	put_json(stdout, err ? err : "failed");
	fputs("]}\n", stdout);
}

int show_status(struct options *o)
{
	char *text = NULL, *err = NULL;
	struct xb_json j = { 0 };
	struct loaded *blobs = NULL;
	size_t len, nblobs = 0, i, drift;
	struct xb_desired desired = { 0 };
	struct xb_actual actual = { 0 };
	struct xb_plan plan = { 0 };
	struct xapi *x = NULL;
	struct xb_xs *xs = NULL;
	FILE *out = o->json ? stderr : stdout;
	int rc = EXIT_ERROR, planned;

	if (xb_receipt_read_last(o->state_dir, &text, &len, &err)) {
		if (errno == ENOENT && older_receipts(o->state_dir))
			fprintf(stderr, "xenbake: status: the last receipt is missing: %s/%s is gone while %s/%s holds older ones, so the last apply could not write its receipt (see the system log); not comparing the host with an older apply\n",
				o->state_dir, XB_RECEIPT_LAST, o->state_dir,
				XB_RECEIPT_DIR);
		else
			fprintf(stderr, "xenbake: status: %s\n", err);
		json_error(o, err);
		goto out;
	}
	if (xb_json_parse(text, len, &j, &err) ||
	    j.type != XB_JSON_OBJECT) {
		fprintf(stderr, "xenbake: status: %s/%s: %s\n", o->state_dir,
			XB_RECEIPT_LAST, err ? err : "not a JSON object");
		json_error(o, err ? err : "the last receipt is not a JSON object");
		goto out;
	}
	/* --json: the receipt as it is, or with --all every one, in one
	 * object either way */
	if (o->json && !o->all)
		fwrite(text, 1, len, stdout);
	else if (!o->json)
		print_receipt(stdout, &j);
	if ((o->all || !o->json) && print_history(o, &j) && o->all) {
		json_error(o, "the receipts kept could not be listed");
		goto out;
	}
	fflush(stdout);

	/* the host now, in the receipt's way unless told otherwise */
	if (!o->blob_path) {
		if (!xb_json_str(&j, "xapi", NULL))
			o->no_xapi = true;
		else if (!o->xapi_given)
			o->xapi = xb_json_str(&j, "xapi", o->xapi);
		if (!xb_json_bool(&j, "xenstore", true))
			o->no_xenstore = true;
	}
	if (o->no_xapi && o->no_xenstore) {
		fprintf(out, "Host: not checked: the receipt used neither XenAPI nor xenstore\n");
		goto out;
	}
	if (status_blobs(o, &j, &blobs, &nblobs))
		goto out;
	note_changed_blobs(out, &j, blobs, nblobs);
	for (i = 0; i < nblobs; i++)
		if (xb_desired_add_blob(&desired, &blobs[i].blob)) {
			fprintf(stderr, "xenbake: out of memory\n");
			goto out;
		}
	if (xb_desired_open_secrets(&desired, o->host_key ? o->host_key :
				    XB_DEFAULT_HOST_KEY, &err)) {
		fprintf(out, "Host: not checked: %s\n", err);
		goto out;
	}
	/* the receipts are read, the blobs loaded: once the connections
	 * are open, status loses the right to more, as plan and apply do */
	if ((!o->no_xenstore && wait_xenstored(o, &xs, &err)) ||
	    (!o->no_xapi && !(x = connect_xapi(o, &err))) ||
	    xb_lockdown(&err) ||
	    read_and_plan(o, &desired, x, xs, NULL, &actual, &plan, &planned,
			  &err) < 0) {
		fprintf(out, "Host: not checked: %s\n", err ? err : "unreachable");
		goto out;
	}
	if (planned) {
		for (i = 0; i < plan.nerrors; i++)
			fprintf(stderr, "status: error: %s\n", plan.errors[i]);
		fprintf(out, "Host: not checked: the plan has errors\n");
		goto out;
	}
	drift = print_drift(out, &plan);
	if (drift)
		fprintf(out, "Host: %zu key%s drifted from the config.\n", drift,
			drift == 1 ? " has" : "s have");
	else
		fprintf(out, "Host: matches the config.\n");
	rc = drift ? EXIT_PENDING : EXIT_OK;
out:
	free(err);
	free(text);
	xb_json_free(&j);
	xb_plan_free(&plan);
	xapi_close(x);
	xb_xs_close(xs);
	xb_actual_free(&actual);
	xb_desired_free(&desired);
	free_blobs(blobs, nblobs);
	return rc;
}
