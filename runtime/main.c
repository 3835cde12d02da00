/* SPDX-License-Identifier: MIT */
/* main.c - `xenbake`: dump, plan, apply or check a blob on this host.
 *
 * Every blob is verified (owner, signature when required, then xbb_open:
 * header, hash, every record) before any request to xapi or xenstore. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
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
#include "runtime/journal.h"
#include "runtime/json.h"
#include "runtime/lockdown.h"
#include "runtime/log.h"
#include "runtime/plan.h"
#include "runtime/receipt.h"
#include "runtime/statedir.h"
#include "runtime/xapi.h"
#include "runtime/xenstore.h"

static const char usage_text[] =
"Usage: xenbake COMMAND BLOB [OPTIONS]\n"
"Apply a compiled xenbake configuration (BLOB.xbb, made by xenbakec) to this\n"
"XenServer / XCP-ng host: the vm-data of VMs (VM.xenstore_data and, for the\n"
"guests running here, their xenstore), other-config keys, SR names.\n"
"\n"
"Commands:\n"
"  dump  BLOB   print the blob as canonical source\n"
"  plan  BLOB   show what apply would change   exit 0: nothing, 2: changes, 1: error\n"
"  apply BLOB   make it so, all or nothing     exit 0: done,    1: error (host as before)\n"
"  check BLOB   compare the host with BLOB     exit 0: matches, 2: drift,  1: error\n"
"  status [BLOB] the last apply's receipt, and whether the host still\n"
"               matches its blobs (or BLOB)   exit 0: matches, 2: drift,  1: error\n"
"BLOB may be a directory: every *.xbb in it, in name order, as one config.\n"
"\n"
"Options:\n"
"  --xapi ENDPOINT       unix:PATH, http://HOST:PORT or https://HOST[:PORT]\n"
"                        (default: $XENBAKE_XAPI, else " XAPI_DEFAULT_ENDPOINT ")\n"
"  --password-file FILE  the XenAPI password (not needed on the local socket)\n"
"  --xapi-ca FILE        https: trust the CA certificates (PEM) in FILE\n"
"                        (default: $XENBAKE_CA_FILE, else the system's)\n"
"  --xapi-fingerprint SHA256  https: trust the server certificate with this\n"
"                        SHA-256 fingerprint (hex, colons allowed; as\n"
"                        `openssl x509 -noout -fingerprint -sha256`), whatever\n"
"                        its issuer and name; with --xapi-ca both must hold\n"
"  --no-xapi             xenstore only: VMs are the guests running here; refused\n"
"                        while xapi answers on its local socket (it would copy\n"
"                        the keys into VM.xenstore_data for good)\n"
"  --ignore-running-xapi with --no-xapi: go on even though xapi answers\n"
"  --no-xenstore         XenAPI only: no xenstore connection of xenbake's own;\n"
"                        xapi still pushes VM.xenstore_data writes into a\n"
"                        running guest's vm-data (see xenbake(8))\n"
"  --json                one JSON object on stdout instead of text\n"
"  --wait SECONDS        wait that long for xenstored, for xapi (its start-up\n"
"                        cookie on the local socket, then a login) and for\n"
"                        another apply's lock (boot)\n"
"  --state-dir DIR       the lock, receipts and the journal of an apply in\n"
"                        progress (default: $" STATE_DIR_ENV ", else\n"
"                        " DEFAULT_STATE_DIR ")\n"
"  --no-syslog           log to stderr only, not to the system log too\n"
"  --require-signature KEY.pub  refuse BLOB unless BLOB.sig verifies with KEY\n"
"  -v, --verbose         say how many requests were made\n"
"  -h, --help            this text;  --version  the version\n"
"\n"
"Examples:\n"
"  xenbakec site.xb && xenbake plan site.xbb     # what would change?\n"
"  xenbake apply site.xbb                        # do it; a second run does nothing\n"
"  xenbake check site.xbb || echo drift          # exit 2 names each drifted key\n"
"  xenbake plan site.xbb --json | jq .summary\n"
"  xenbake apply --no-xapi site.xbb              # only the running guests' vm-data\n"
"  xenbake apply --wait 300 /etc/xenbake         # at boot, every /etc/xenbake/*.xbb\n"
"  xenbake plan --xapi https://pool-master --password-file /root/pw site.xbb\n"
"  XENSTORED_PATH=/run/xenstored/socket xenbake check --no-xapi site.xbb\n";

static void die_usage(const char *fmt, ...)
	__attribute__((format(printf, 1, 2), noreturn));

static void die_usage(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "xenbake: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry 'xenbake --help'.\n");
	exit(EXIT_ERROR);
}

static void parse_args(int argc, char **argv, struct options *o)
{
	enum { OPT_XAPI = 256, OPT_PASSWORD, OPT_NO_XAPI, OPT_NO_XENSTORE,
	       OPT_JSON, OPT_WAIT, OPT_STATE_DIR, OPT_VERSION, OPT_SIG,
	       OPT_NO_SYSLOG, OPT_XAPI_CA, OPT_XAPI_FINGERPRINT,
	       OPT_IGNORE_RUNNING_XAPI };
	static const struct option longopts[] = {
		{ "xapi", required_argument, NULL, OPT_XAPI },
		{ "password-file", required_argument, NULL, OPT_PASSWORD },
		{ "xapi-ca", required_argument, NULL, OPT_XAPI_CA },
		{ "xapi-fingerprint", required_argument, NULL,
		  OPT_XAPI_FINGERPRINT },
		{ "no-xapi", no_argument, NULL, OPT_NO_XAPI },
		{ "ignore-running-xapi", no_argument, NULL,
		  OPT_IGNORE_RUNNING_XAPI },
		{ "no-xenstore", no_argument, NULL, OPT_NO_XENSTORE },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "wait", required_argument, NULL, OPT_WAIT },
		{ "state-dir", required_argument, NULL, OPT_STATE_DIR },
		{ "require-signature", required_argument, NULL, OPT_SIG },
		{ "no-syslog", no_argument, NULL, OPT_NO_SYSLOG },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, OPT_VERSION },
		{ NULL, 0, NULL, 0 }
	};
	const char *env = getenv("XENBAKE_XAPI");
	char *end;
	int c;

	memset(o, 0, sizeof(*o));
	o->xapi = env && *env ? env : XAPI_DEFAULT_ENDPOINT;
	env = getenv(STATE_DIR_ENV);
	o->state_dir = env && *env ? env : DEFAULT_STATE_DIR;
	while ((c = getopt_long(argc, argv, "vh", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_XAPI:
			o->xapi = optarg;
			o->xapi_given = true;
			break;
		case OPT_PASSWORD: o->password_file = optarg; break;
		case OPT_XAPI_CA: o->xapi_ca = optarg; break;
		case OPT_XAPI_FINGERPRINT: {
			unsigned char fp[32];

			if (xapi_parse_fingerprint(optarg, fp))
				die_usage("--xapi-fingerprint takes the 64 hex "
					  "digits of a SHA-256 (colons allowed), "
					  "not '%s'", optarg);
			o->xapi_fingerprint = optarg;
			break;
		}
		case OPT_NO_XAPI: o->no_xapi = true; break;
		case OPT_IGNORE_RUNNING_XAPI: o->ignore_running_xapi = true; break;
		case OPT_NO_XENSTORE: o->no_xenstore = true; break;
		case OPT_JSON: o->json = true; break;
		case OPT_STATE_DIR: o->state_dir = optarg; break;
		case OPT_SIG: o->signature_key = optarg; break;
		case OPT_NO_SYSLOG: o->no_syslog = true; break;
		case OPT_WAIT:
			errno = 0;
			o->wait = strtod(optarg, &end);
			if (errno || *end || end == optarg || o->wait < 0 ||
			    o->wait > 86400)
				die_usage("--wait takes seconds (0 to 86400), not '%s'",
					  optarg);
			break;
		case 'v': o->verbose = true; break;
		case 'h':
			fputs(usage_text, stdout);
			exit(EXIT_OK);
		case OPT_VERSION:
			printf("xenbake %s (blob format %u)\n", PACKAGE_VERSION,
			       XBB_VERSION);
			exit(EXIT_OK);
		default:
			die_usage("unknown option");
		}
	}
	if (!o->state_dir) {
		env = getenv("XENBAKE_STATE_DIR");
		o->state_dir = env && *env ? env : DEFAULT_STATE_DIR;
	}
	if (optind >= argc)
		die_usage("a command is needed: dump, plan, apply or check");
	if (!strcmp(argv[optind], "dump"))
		o->cmd = CMD_DUMP;
	else if (!strcmp(argv[optind], "plan"))
		o->cmd = CMD_PLAN;
	else if (!strcmp(argv[optind], "apply"))
		o->cmd = CMD_APPLY;
	else if (!strcmp(argv[optind], "check"))
		o->cmd = CMD_CHECK;
	else if (!strcmp(argv[optind], "status"))
		o->cmd = CMD_STATUS;
	else
		die_usage("unknown command '%s' (dump, plan, apply, check, status)",
			  argv[optind]);
	if (o->cmd == CMD_STATUS && optind + 1 == argc)
		;       /* the blobs the receipt names */
	else if (optind + 2 != argc)
		die_usage(optind + 1 >= argc ? "%s needs a BLOB.xbb" :
			  "%s takes one BLOB", argv[optind]);
	else
		o->blob_path = argv[optind + 1];
	if (o->no_xapi && o->no_xenstore)
		die_usage("--no-xapi and --no-xenstore leave nothing to configure");
	if (o->ignore_running_xapi && !o->no_xapi)
		die_usage("--ignore-running-xapi goes with --no-xapi");
}

/* ---- the commands ----------------------------------------------------------- */

/* A journal left by a cut-off apply: plan, check and status leave it to
 * the next apply (under the lock) and only say so. */
static void note_journal(const struct options *o)
{
	char *why = NULL;
	int dfd = xb_statedir_open(o->state_dir, false, &why);
	struct stat st;

	if (dfd < 0) {
		if (errno != ENOENT)
			fprintf(stderr, "xenbake: note: %s\n", why);
	} else if (!fstatat(dfd, XB_JOURNAL_NAME, &st, AT_SYMLINK_NOFOLLOW)) {
		fprintf(stderr, "xenbake: note: %s/%s: an apply was cut off; the next apply undoes or finishes it, this run reads the host as it is\n",
			o->state_dir, XB_JOURNAL_NAME);
	}
	if (dfd >= 0)
		close(dfd);
	free(why);
}

/* --no-xapi beside a running xapi is a half-measure: xapi copies what a
 * guest's vm-data holds into VM.xenstore_data, where no later run without
 * XenAPI sees or removes it. "Answers" = its local socket (--xapi when that
 * is unix:PATH, else the default) accepts a connection; no call is made.
 * -1 with *err when it does. */
static int xapi_runs_here(const struct options *o, char **err)
{
	const char *endpoint = strncmp(o->xapi, "unix:", 5) ?
			       XAPI_DEFAULT_ENDPOINT : o->xapi;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd, r;

	if (strlen(endpoint + 5) >= sizeof(sa.sun_path))
		return 0;            /* not a socket anything listens on */
	strcpy(sa.sun_path, endpoint + 5);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return 0;
	r = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
	close(fd);
	if (r)
		return 0;
	*err = xb_strf("xapi answers on %s: with --no-xapi the keys written "
		       "into guests' vm-data would be copied by xapi into "
		       "VM.xenstore_data, where nothing removes them later; "
		       "drop --no-xapi, or add --ignore-running-xapi if "
		       "that is what you want", endpoint);
	return -1;
}

static int run(struct options *o)
{
	static const char *cmd_names[] = {
		"dump", "plan", "apply", "check", "status"
	};
	const char *cmd = cmd_names[o->cmd];
	struct loaded *blobs = NULL;
	size_t nblobs = 0, i, add, mod, rem;
	struct xb_desired desired = { 0 };
	struct xb_actual actual = { 0 };
	struct xb_plan plan = { 0 };
	struct apply_run ar = { 0 };
	struct xapi *x = NULL;
	struct xb_xs *xs = NULL;
	const unsigned char **shas = NULL;
	struct xb_apply_options aopt = { .state_dir = o->state_dir };
	char *err = NULL;
	int rc = EXIT_ERROR, r, lock = -1, planned = 0;
	bool applying = o->cmd == CMD_APPLY;

	if (o->cmd == CMD_STATUS)
		return show_status(o);

	/* one apply at a time, from before the host is read to its receipt */
	if (applying) {
		xb_log_open(!o->no_syslog);
		lock = take_lock(o, &err);
		if (lock < 0) {
			/* not this run's apply: no receipt, the holder
			 * writes its own */
			fprintf(stderr, "xenbake: apply: %s\n", err);
			xb_log(LOG_ERR, "apply %s: %s", o->blob_path, err);
			if (o->json)
				print_json(cmd, "error", NULL, &actual, &err, 1);
			goto out;
		}
		clock_gettime(CLOCK_REALTIME, &ar.time);
	}

	/* 1. verify everything before any I/O to the host */
	r = load_blobs(o, &blobs, &nblobs);
	ar.blobs = blobs;
	ar.nblobs = nblobs;
	if (r) {
		if (applying) {
			ar.error = "a blob failed verification";
			xb_log(LOG_ERR, "apply %s: a blob failed verification: nothing was changed",
			       o->blob_path);
			save_receipt(o, &ar, "error");
		}
		goto out;
	}
	if (o->cmd == CMD_DUMP) {
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
		goto out;
	}
	for (i = 0; i < nblobs; i++)
		if (xb_desired_add_blob(&desired, &blobs[i].blob)) {
			err = strdup("out of memory");
			goto fail;
		}
	shas = calloc(nblobs + 1, sizeof(*shas));
	if (!shas) {
		err = strdup("out of memory");
		goto fail;
	}
	for (i = 0; i < nblobs; i++)
		shas[i] = xbb_sha256(&blobs[i].blob);
	aopt.blob_sha256 = shas;
	aopt.nblobs = nblobs;

	/* 2. the host as it is (an apply cut off earlier undone or
	 * finished first), 3. the plan */
	if (o->no_xapi && !o->ignore_running_xapi && xapi_runs_here(o, &err))
		goto fail;
	if (!o->no_xenstore && wait_xenstored(o, &xs, &err))
		goto fail;
	ar.xs = xs;
	if (!o->no_xapi && !(x = connect_xapi(o, &err)))
		goto fail;
	ar.x = x;
	/* everything this run needs is open: lose the right to more */
	if (xb_lockdown(&err))
		goto fail;
	/* only apply, under the lock, acts on a journal: a read-only
	 * command reads the host as it is and says one is there */
	if (!applying)
		note_journal(o);
	r = read_and_plan(o, &desired, x, xs, applying ? &aopt : NULL,
			  &actual, &plan, &planned, &err);
	if (r < 0)
		goto fail;
	for (i = 0; !o->json && i < plan.nnotes; i++)
		xb_put_message(stderr, plan.notes[i]);
	if (r) {
		if (planned == -ENOMEM)
			fprintf(stderr, "xenbake: out of memory\n");
		for (i = 0; i < plan.nerrors; i++) {
			fprintf(stderr, "%s: error: ", cmd);
			xb_put_message(stderr, plan.errors[i]);
		}
		if (o->json)
			print_json(cmd, "error", &plan, &actual, plan.errors,
				   plan.nerrors);
		if (applying) {
			for (i = 0; i < plan.nerrors; i++)
				xb_log(LOG_ERR, "apply: %s", plan.errors[i]);
			ar.error = plan.nerrors ? plan.errors[0] :
				   "out of memory";
			save_receipt(o, &ar, "error");
		}
		goto out;
	}
	xb_plan_count(&plan, false, &add, &mod, &rem);

	/* 4. the command */
	switch (o->cmd) {
	case CMD_DUMP:
	case CMD_STATUS:
		break;
	case CMD_PLAN:
		if (o->json) {
			print_json(cmd, xb_plan_empty(&plan) ? "no changes" :
				   "changes pending", &plan, &actual, NULL, 0);
		} else {
			for (i = 0; i < plan.nchanges; i++)
				print_change(stdout, &plan.changes[i]);
			if (xb_plan_empty(&plan))
				printf("No changes.\n");
			else
				printf("Plan: %zu to add, %zu to change, %zu to remove.\n",
				       add, mod, rem);
		}
		rc = xb_plan_empty(&plan) ? EXIT_OK : EXIT_PENDING;
		break;
	case CMD_CHECK: {
		size_t drift = print_drift(o->json ? NULL : stdout, &plan);

		if (o->json)
			print_json(cmd, drift ? "drift" : "matches", &plan,
				   &actual, NULL, 0);
		else if (drift)
			printf("Drift: %zu key%s differ%s from %s.\n", drift,
			       drift == 1 ? "" : "s", drift == 1 ? "s" : "",
			       o->blob_path);
		else
			printf("No drift: the host matches %s.\n",
			       o->blob_path);
		rc = drift ? EXIT_PENDING : EXIT_OK;
		break;
	}
	case CMD_APPLY: {
		struct xb_apply_report rep;
		sigset_t stop_signals, old_mask;

		ar.outcomes = calloc(plan.nchanges + 1, sizeof(*ar.outcomes));
		if (!ar.outcomes) {
			err = strdup("out of memory");
			goto fail;
		}
		ar.plan = &plan;        /* every change not attempted, yet */
		ar.actual = &actual;
		if (xb_plan_empty(&plan)) {
			if (o->json)
				print_json(cmd, "no changes", &plan, &actual,
					   NULL, 0);
			else
				printf("No changes.\n");
			xb_log(LOG_INFO, "apply %s: no changes", o->blob_path);
			rc = save_receipt(o, &ar, "no changes") ? EXIT_ERROR :
			     EXIT_OK;
			break;
		}
		if (!o->json)
			for (i = 0; i < plan.nchanges; i++)
				print_change(stdout, &plan.changes[i]);
		fflush(stdout);
		xb_log(LOG_INFO, "apply %s: %zu to add, %zu to change, %zu to remove",
		       o->blob_path, add, mod, rem);
		/* all or nothing: a Ctrl-C or a stop request between the
		 * XenAPI writes and the commit would leave half of it, so
		 * such signals wait until apply has finished or undone */
		sigemptyset(&stop_signals);
		sigaddset(&stop_signals, SIGINT);
		sigaddset(&stop_signals, SIGTERM);
		sigaddset(&stop_signals, SIGHUP);
		sigprocmask(SIG_BLOCK, &stop_signals, &old_mask);
		r = xb_apply(x, xs, &actual, &plan, &aopt, &rep, ar.outcomes,
			     &err);
		if (r)
			ar.verified = verify_outcomes(o, &desired, x, xs,
						      &plan, ar.outcomes);
		sigprocmask(SIG_SETMASK, &old_mask, NULL);
		if (r) {
			xb_log(LOG_ERR, "apply %s failed: %s", o->blob_path,
			       err ? err : "failed");
			log_outcomes(&plan, ar.outcomes, true);
			ar.error = err ? err : "failed";
			save_receipt(o, &ar, "error");
			ar.error = NULL;
			goto fail_reported;
		}
		log_outcomes(&plan, ar.outcomes, false);
		if (o->json)
			print_json(cmd, "applied", &plan, &actual, NULL, 0);
		else
			printf("Applied: %zu added, %zu changed, %zu removed (%zu XenAPI write%s, %s).\n",
			       add, mod, rem, rep.xapi_writes,
			       rep.xapi_writes == 1 ? "" : "s",
			       plan.nguests ? "1 xenstore transaction" :
			       "no xenstore transaction");
		if (save_receipt(o, &ar, "applied")) {
			fprintf(stderr, "xenbake: apply: the changes above were made, but no receipt records them\n");
			rc = EXIT_ERROR;
			break;
		}
		rc = EXIT_OK;
		break;
	}
	}
	goto out;
fail:
	if (applying) {
		xb_log(LOG_ERR, "apply %s failed: %s: nothing was changed",
		       o->blob_path, err ? err : "failed");
		ar.error = err ? err : "failed";
		save_receipt(o, &ar, "error");
	}
fail_reported:
	fprintf(stderr, "xenbake: %s: ", cmd);
	xb_put_message(stderr, err ? err : "failed");
	if (o->json) {
		static char failed[] = "failed";
		char *errs[1] = { err ? err : failed };

		print_json(cmd, "error", plan.nchanges ? &plan : NULL,
			   &actual, errs, 1);
	}
	rc = EXIT_ERROR;
out:
	if (o->verbose) {
		if (x)
			fprintf(stderr, "xenbake: %lu XenAPI call%s\n",
				xapi_calls(x), xapi_calls(x) == 1 ? "" : "s");
		if (xs) {
			const struct xb_xs_stats *st = xb_xs_stats(xs);

			fprintf(stderr, "xenbake: xenstore: %u transaction%s, %lu reads, %lu writes, %lu removes, %lu mkdirs, %lu set-perms\n",
				st->attempts, st->attempts == 1 ? "" : "s",
				st->reads, st->writes, st->removes, st->mkdirs,
				st->perms);
		}
	}
	free(err);
	free(ar.outcomes);
	free(shas);
	xb_plan_free(&plan);
	xapi_close(x);
	xb_xs_close(xs);
	xb_actual_free(&actual);
	xb_desired_free(&desired);
	free_blobs(blobs, nblobs);
	xb_lock_release(lock);
	xb_log_close();
	return rc;
}

int main(int argc, char **argv)
{
	struct options o;

	/* `xenbake apply | head -1` must not kill an apply half-way: a
	 * closed stdout is a write error, not a signal; a file size limit
	 * (a full quota) likewise, so the receipt says it was not written */
	signal(SIGPIPE, SIG_IGN);
	signal(SIGXFSZ, SIG_IGN);
	parse_args(argc, argv, &o);
	o.start = xb_now();
	return run(&o);
}
