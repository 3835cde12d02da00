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
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "config.h"
#include "runtime/apply.h"
#include "runtime/blob.h"
#include "runtime/desired.h"
#include "runtime/dump.h"
#include "runtime/hostlock.h"
#include "runtime/json.h"
#include "runtime/log.h"
#include "runtime/plan.h"
#include "runtime/receipt.h"
#include "runtime/trust.h"
#include "runtime/xapi.h"
#include "runtime/xenstore.h"

enum { EXIT_OK = 0, EXIT_ERROR = 1, EXIT_PENDING = 2 };

enum command { CMD_DUMP, CMD_PLAN, CMD_APPLY, CMD_CHECK, CMD_STATUS };

#define DEFAULT_STATE_DIR "/var/lib/xenbake"
#define STATE_DIR_ENV "XENBAKE_STATE_DIR"
/* xapi creates it when it has finished starting (xapi-init-complete) */
#define XAPI_COOKIE "/var/run/xapi_init_complete.cookie"
#define XAPI_COOKIE_ENV "XENBAKE_XAPI_COOKIE"

struct options {
	enum command cmd;
	const char *blob_path;
	const char *xapi;
	const char *password_file;
	const char *state_dir;
	const char *signature_key;
	bool no_xapi, no_xenstore, json, verbose, no_syslog;
	bool xapi_given;             /* --xapi on the command line */
	double wait;
	double start;                /* monotonic: --wait counts from here */
};

struct loaded {
	char *path;
	void *buf;
	size_t len;
	struct xbb blob;
	bool ok;                     /* verified */
	unsigned char sha256[XBB_SHA256_SIZE];   /* of the file, as sha256sum */
};

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
"  --no-xapi             xenstore only: VMs are the guests running here\n"
"  --no-xenstore         XenAPI only: leave the running guests' xenstore alone\n"
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
	       OPT_NO_SYSLOG };
	static const struct option longopts[] = {
		{ "xapi", required_argument, NULL, OPT_XAPI },
		{ "password-file", required_argument, NULL, OPT_PASSWORD },
		{ "no-xapi", no_argument, NULL, OPT_NO_XAPI },
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
		case OPT_NO_XAPI: o->no_xapi = true; break;
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
}

/* ---- loading ---------------------------------------------------------- */

static int load_one(const char *path, const struct options *o,
		    struct loaded *l)
{
	char *err = NULL;
	struct stat st;
	int fd = -1, r = -1, e;

	l->path = strdup(path);
	if (!l->path) {
		fprintf(stderr, "xenbake: out of memory\n");
		return -1;
	}
	/* O_NONBLOCK: opening a FIFO must not hang before fstat refuses it */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		fprintf(stderr, "xenbake: cannot open %s: %s\n", path,
			strerror(errno));
		goto out;
	}
	if (fstat(fd, &st)) {
		fprintf(stderr, "xenbake: %s: %s\n", path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		fprintf(stderr, "xenbake: %s: not a regular file (a blob is the file xenbakec writes); nothing was changed\n",
			path);
		goto out;
	}
	if (xb_trust_blob_file(fd, path, &err) ||
	    xbb_load_fd(fd, path, &l->buf, &l->len, &err))
		goto fail;
	if (o->signature_key) {
		unsigned char pk[XB_PUBLIC_KEY_SIZE];

		if (xb_key_read_public(o->signature_key, pk, &err) ||
		    xb_sig_verify(path, l->buf, l->len, pk, &err))
			goto fail;
	}
	e = xbb_open(&l->blob, l->buf, l->len);
	if (e) {
		fprintf(stderr, "xenbake: %s: not a valid blob: %s (recompile it with xenbakec)\n",
			path, xbb_strerror(e));
		goto out;
	}
	crypto_hash_sha256(l->sha256, l->buf, l->len);
	l->ok = true;
	r = 0;
	goto out;
fail:
	fprintf(stderr, "xenbake: %s\n", err ? err : "cannot load the blob");
out:
	free(err);
	if (fd >= 0)
		close(fd);
	return r;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void free_names(char **names, size_t n)
{
	size_t i;

	for (i = 0; names && i < n; i++)
		free(names[i]);
	free(names);
}

/* path, or every *.xbb of the directory path, in name order. */
static int list_blobs(const char *path, char ***out, size_t *n)
{
	struct stat st;
	char **names = NULL, **grown;
	size_t nnames = 0;
	DIR *dir = NULL;
	struct dirent *de;
	int r = -1;

	*out = NULL;
	*n = 0;
	if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
		dir = opendir(path);
		if (!dir) {
			fprintf(stderr, "xenbake: cannot read %s: %s\n", path,
				strerror(errno));
			return -1;
		}
		while ((de = readdir(dir))) {
			size_t len = strlen(de->d_name);

			if (len < 5 || strcmp(de->d_name + len - 4, ".xbb") ||
			    de->d_name[0] == '.')
				continue;
			grown = realloc(names, (nnames + 1) * sizeof(*names));
			if (!grown)
				goto nomem;
			names = grown;
			if (asprintf(&names[nnames], "%s/%s", path,
				     de->d_name) < 0)
				goto nomem;
			nnames++;
		}
		if (!nnames) {
			fprintf(stderr, "xenbake: no *.xbb blob in %s\n", path);
			goto out;
		}
		qsort(names, nnames, sizeof(*names), cmp_str);
	} else {
		names = calloc(1, sizeof(*names));
		if (!names || !(names[0] = strdup(path)))
			goto nomem;
		nnames = 1;
	}
	*out = names;
	*n = nnames;
	names = NULL;
	r = 0;
	goto out;
nomem:
	fprintf(stderr, "xenbake: out of memory\n");
out:
	if (dir)
		closedir(dir);
	free_names(names, nnames);
	return r;
}

/* Each of names, verified. *n counts the ones tried, the failed one
 * included (its blob is zeroed). */
static int load_list(const struct options *o, char **names, size_t nnames,
		     struct loaded **out, size_t *n)
{
	size_t i;

	*n = 0;
	*out = calloc(nnames ? nnames : 1, sizeof(**out));
	if (!*out) {
		fprintf(stderr, "xenbake: out of memory\n");
		return -1;
	}
	for (i = 0; i < nnames; i++) {
		*n = i + 1;
		if (load_one(names[i], o, &(*out)[i]))
			return -1;
	}
	return 0;
}

/* BLOB, or every *.xbb of a directory, verified. */
static int load_blobs(const struct options *o, struct loaded **out,
		      size_t *n)
{
	char **names;
	size_t nnames;
	int r;

	*out = NULL;
	*n = 0;
	if (list_blobs(o->blob_path, &names, &nnames))
		return -1;
	r = load_list(o, names, nnames, out, n);
	free_names(names, nnames);
	return r;
}

static void free_blobs(struct loaded *l, size_t n)
{
	size_t i;

	for (i = 0; l && i < n; i++) {
		free(l[i].path);
		free(l[i].buf);
	}
	free(l);
}

/* ---- output ----------------------------------------------------------- */

/* A value quoted for people: escapes as in JSON, a byte that is not UTF-8
 * as \xXX. */
static void put_quoted(FILE *f, const char *s)
{
	xb_put_quoted(f, s, XB_QUOTE_DISPLAY);
}

/* The same for --json: the output stays valid JSON whatever the bytes. */
static void put_json(FILE *f, const char *s)
{
	xb_put_quoted(f, s, XB_QUOTE_JSON);
}

static void put_json_or_null(FILE *f, const char *s)
{
	if (s)
		put_json(f, s);
	else
		fputs("null", f);
}

/* A name as is when it is one plain word, else quoted. */
static void put_name(FILE *f, const char *s)
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

static void print_change(FILE *f, const struct xb_change *c)
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

static const char *op_word(enum xb_change_op op)
{
	return op == XB_CHANGE_ADD ? "add" : op == XB_CHANGE_MODIFY ?
	       "change" : "remove";
}

/*
 * --json: one object on stdout.
 * {
 *   "command": "plan" | "apply" | "check",
 *   "result": "no changes" | "changes pending" | "applied" | "matches"
 *             | "drift" | "error",
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
static void print_json(const char *command, const char *result,
		       const struct xb_plan *p, const struct xb_actual *a,
		       char **errors, size_t nerrors)
{
	size_t add = 0, mod = 0, rem = 0, i;

	if (p)
		xb_plan_count(p, false, &add, &mod, &rem);
	printf("{\"command\":\"%s\",\"result\":\"%s\",\"changes\":[",
	       command, result);
	for (i = 0; p && i < p->nchanges; i++) {
		const struct xb_change *c = &p->changes[i];

		printf("%s{\"op\":\"%s\",\"where\":\"%s\",\"class\":\"%s\",\"object\":",
		       i ? "," : "", op_word(c->op),
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

/* ---- waiting at boot ------------------------------------------------------ */

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* What a wait shows: on a terminal one line, rewritten every second; else
 * (the journal, a log file) a plain line every WAIT_LOG_EVERY seconds. */
#define WAIT_LOG_EVERY 10.0

struct waiting {
	const struct options *o;
	const char *what;            /* "xapi's start-up cookie FILE" */
	double since, shown;         /* monotonic; shown < 0: nothing yet */
	bool tty, line;              /* line: a \r line is on the terminal */
};

static void wait_begin(struct waiting *w, const struct options *o,
		       const char *what)
{
	*w = (struct waiting){ .o = o, .what = what, .since = now(),
			       .shown = -1, .tty = isatty(STDERR_FILENO) };
}

/* true while there is time left: the deadline is --wait after the start. */
static bool wait_tick(struct waiting *w, long holder)
{
	double t = now(), left = w->o->start + w->o->wait - t;
	char pid[48] = "";

	if (left <= 0)
		return false;
	if (holder)
		snprintf(pid, sizeof(pid), " (held by pid %ld)", holder);
	if (w->tty && (w->shown < 0 || t - w->shown >= 1)) {
		fprintf(stderr, "\r\033[Kxenbake: waiting for %s%s: %.0f s, %.0f s left...",
			w->what, pid, t - w->since, left);
		w->line = true;
		w->shown = t;
	} else if (!w->tty && (w->shown < 0 || t - w->shown >= WAIT_LOG_EVERY)) {
		fprintf(stderr, "xenbake: waiting for %s%s (%.0f s so far, %.0f s left)\n",
			w->what, pid, t - w->since, left);
		w->shown = t;
	}
	return true;
}

static void wait_end(struct waiting *w, bool ok)
{
	double waited = now() - w->since;

	if (w->line)
		fprintf(stderr, "\r\033[K");
	if (w->shown >= 0) {
		if (ok && !w->tty)
			fprintf(stderr, "xenbake: waited %.0f s for %s\n",
				waited, w->what);
		xb_log(ok ? LOG_INFO : LOG_ERR, "%s %.0f s for %s",
		       ok ? "waited" : "gave up after", waited, w->what);
	}
}

static void lock_progress(double waited, long holder, void *arg)
{
	(void)waited;
	wait_tick(arg, holder);
}

/* The apply lock in the state directory, waiting with --wait. */
static int take_lock(const struct options *o, char **err)
{
	struct waiting w;
	int fd;

	wait_begin(&w, o, "another xenbake's lock");
	fd = xb_lock_take(o->state_dir, o->wait - (now() - o->start),
			  lock_progress, &w, err);
	wait_end(&w, fd >= 0);
	return fd;
}

static int wait_xenstored(const struct options *o, struct xb_xs **xs,
			  char **err)
{
	struct waiting w;

	wait_begin(&w, o, "xenstored");
	for (;;) {
		free(*err);
		*err = NULL;
		/* one try each time (the waiting and its lines are ours, the
		 * same for every wait); any wait > 0 words the error as
		 * "gave up waiting" */
		*xs = xb_xs_open(o->wait > 0 ? 1e-9 : 0, err);
		if (*xs || !wait_tick(&w, 0))
			break;
		usleep(200000);
	}
	wait_end(&w, *xs != NULL);
	return *xs ? 0 : -1;
}

/* The cookie is on dom0 beside the local socket; a remote xapi has its own,
 * which cannot be seen from here, and a login tells enough. */
static int wait_xapi_cookie(const struct options *o, char **err)
{
	const char *cookie = getenv(XAPI_COOKIE_ENV);
	struct waiting w;
	char what[512];
	bool ok;

	if (o->wait <= 0 || strncmp(o->xapi, "unix:", 5))
		return 0;
	if (!cookie || !*cookie)
		cookie = XAPI_COOKIE;
	snprintf(what, sizeof(what), "xapi to finish starting (%s)", cookie);
	wait_begin(&w, o, what);
	while (!(ok = access(cookie, F_OK) == 0) && wait_tick(&w, 0))
		usleep(200000);
	wait_end(&w, ok);
	if (!ok && asprintf(err, "xapi has not finished starting: no %s after %.0f s (gave up waiting)",
			    cookie, now() - w.since) < 0)
		*err = NULL;
	return ok ? 0 : -1;
}

static struct xapi *connect_xapi(const struct options *o, char **err)
{
	struct xapi_options xo = {
		.endpoint = o->xapi,
		.password_file = o->password_file,
	};
	struct waiting w;
	char what[512];
	struct xapi *x;

	if (wait_xapi_cookie(o, err))
		return NULL;
	snprintf(what, sizeof(what), "a login to xapi at %s", o->xapi);
	wait_begin(&w, o, what);
	for (;;) {
		free(*err);
		*err = NULL;
		x = xapi_connect(&xo, err);
		if (x || !wait_tick(&w, 0))
			break;
		usleep(500000);
	}
	wait_end(&w, x != NULL);
	if (!x && o->wait > 0) {
		char *why = NULL;

		if (asprintf(&why, "%s (gave up waiting after %.0f s)",
			     *err ? *err : "cannot log in to xapi",
			     now() - w.since) >= 0) {
			free(*err);
			*err = why;
		}
	}
	return x;
}

/* ---- reading and planning --------------------------------------------------- */

/* Without XenAPI, guests' names are read only if a block needs them. */
static bool selects_by_name(const struct xb_desired *d)
{
	size_t i;

	for (i = 0; i < d->nobjects; i++)
		if (d->objects[i].cls == XB_CLASS_VM &&
		    !(d->objects[i].flags & XB_OBJ_BY_UUID))
			return true;
	return false;
}

/* The host as it is (through open connections), and the plan to make it
 * match d. 0; -1: reading failed (*err); 1: the plan failed, *planned says
 * how (xb_plan_make's -1: plan->errors, or -ENOMEM). */
static int read_and_plan(const struct options *o, const struct xb_desired *d,
			 struct xapi *x, struct xb_xs *xs,
			 const struct xb_apply_options *recover,
			 struct xb_actual *actual, struct xb_plan *plan,
			 int *planned, char **err)
{
	struct xb_plan_options popt = {
		.use_xapi = !o->no_xapi, .use_xenstore = !o->no_xenstore,
	};
	struct xb_plan first = { 0 };
	int r;

	*planned = 0;
	if (x && xapi_read_state(x, actual)) {
		*err = strdup(xapi_errmsg(x));
		return -1;
	}
	/* a journal left by an apply that was cut off: undone or finished
	 * before anything else is read (xenstore last, so it sees the result) */
	if (x && recover) {
		char *note = NULL;

		if (xb_apply_recover(x, actual, recover, o->cmd == CMD_APPLY,
				     &note, err))
			return -1;
		if (note) {
			fprintf(stderr, "xenbake: %s\n", note);
			xb_log(LOG_WARNING, "%s", note);
		}
		free(note);
	}
	if (xs && xb_xs_read_guests(xs, actual, o->no_xapi,
				    o->no_xapi && selects_by_name(d), err))
		return -1;
	/* a first pass tells which guests' keys to read */
	if (xs) {
		popt.every_guest = true;
		r = xb_plan_make(d, actual, &popt, &first);
		if (r == 0 && xb_xs_read_vm_data(xs, actual, &first, err)) {
			xb_plan_free(&first);
			return -1;
		}
		xb_plan_free(&first);
		popt.every_guest = false;
	}
	*planned = xb_plan_make(d, actual, &popt, plan);
	return *planned ? 1 : 0;
}

/* ---- output of plans and drift ---------------------------------------------- */

/* check and status: every key that differs; returns how many. */
static size_t print_drift(FILE *f, const struct xb_plan *plan)
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
static char *change_line(const struct xb_change *c)
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

/* ---- apply: outcomes, receipts, the log ------------------------------------- */

/* What the failed apply's steps were, from the requests it made (apply.h:
 * XenAPI writes first, then the one xenstore transaction, and on failure
 * the XenAPI writes made are set back). */
static void failed_outcomes(const struct xb_plan *p, bool xapi_written,
			    bool xs_tried, bool xs_unknown, enum xb_outcome *out)
{
	size_t i;

	for (i = 0; i < p->nchanges; i++) {
		if (p->changes[i].where == XB_WHERE_XENSTORE)
			out[i] = xs_unknown ? XB_OUTCOME_UNKNOWN :
				 xs_tried ? XB_OUTCOME_UNDONE :
				 XB_OUTCOME_NOT_ATTEMPTED;
		else if (xs_tried)      /* every XenAPI write had been made */
			out[i] = XB_OUTCOME_UNDONE;
		else
			out[i] = xapi_written ? XB_OUTCOME_ROLLED_BACK :
				 XB_OUTCOME_NOT_ATTEMPTED;
	}
}

static bool same_target(const struct xb_change *a, const struct xb_change *b)
{
	return a->where == b->where && a->field == b->field &&
	       a->cls == b->cls && !strcmp(a->key, b->key) &&
	       (a->where == XB_WHERE_XENSTORE ? a->domid == b->domid :
		!strcmp(a->uuid, b->uuid));
}

/* After a failure, reads the host again: a change the new plan no longer
 * needs is in place. false if the host could not be read. */
static bool verify_outcomes(const struct options *o,
			    const struct xb_desired *d, struct xapi *x,
			    struct xb_xs *xs, const struct xb_plan *p,
			    enum xb_outcome *out)
{
	struct xb_actual again = { 0 };
	struct xb_plan now_plan = { 0 };
	char *err = NULL;
	int planned;
	size_t i, j;
	bool ok = false;

	if (read_and_plan(o, d, x, xs, NULL, &again, &now_plan, &planned, &err))
		goto out;
	for (i = 0; i < p->nchanges; i++) {
		for (j = 0; j < now_plan.nchanges; j++)
			if (same_target(&p->changes[i], &now_plan.changes[j]))
				break;
		if (j == now_plan.nchanges)
			out[i] = XB_OUTCOME_APPLIED;
		else if (out[i] == XB_OUTCOME_UNKNOWN)   /* still to do */
			out[i] = XB_OUTCOME_UNDONE;
	}
	ok = true;
out:
	free(err);
	xb_plan_free(&now_plan);
	xb_actual_free(&again);
	return ok;
}

/* A boot that sets thousands of keys would flood the log (journald drops
 * what a service sends past its rate limit): the first changes are named,
 * the receipt has them all. */
#define LOG_CHANGES_MAX 100

static void log_outcomes(const struct xb_plan *p, const enum xb_outcome *out,
			 bool failed)
{
	const char *what = failed ? "left in place after the failure" :
			   "applied";
	size_t i, named = 0, remain = 0;

	for (i = 0; i < p->nchanges; i++) {
		char *line;

		if (out[i] != XB_OUTCOME_APPLIED)
			continue;
		remain++;
		if (p->changes[i].bookkeeping || ++named > LOG_CHANGES_MAX)
			continue;
		line = change_line(&p->changes[i]);
		xb_log(failed ? LOG_ERR : LOG_NOTICE, "%s: %s", what,
		       line ? line : "(out of memory)");
		free(line);
	}
	if (named > LOG_CHANGES_MAX)
		xb_log(failed ? LOG_ERR : LOG_NOTICE,
		       "%s: %zu more (the receipt names every one)", what,
		       named - LOG_CHANGES_MAX);
	if (failed && !remain)
		xb_log(LOG_NOTICE, "recovered: the host is as it was before the apply (%zu change%s not made or set back)",
		       p->nchanges, p->nchanges == 1 ? "" : "s");
	else if (failed)
		xb_log(LOG_CRIT, "NOT recovered: %zu of %zu changes remain on the host",
		       remain, p->nchanges);
}

struct apply_run {
	struct timespec time;
	struct loaded *blobs;
	size_t nblobs;
	const struct xb_plan *plan;  /* NULL: failed before planning */
	const struct xb_actual *actual;
	enum xb_outcome *outcomes;
	bool verified;
	struct xapi *x;
	struct xb_xs *xs;
	const char *error;
};

static void save_receipt(const struct options *o, const struct apply_run *a,
			 const char *result)
{
	struct xb_receipt_blob *rb = calloc(a->nblobs + 1, sizeof(*rb));
	struct timespec end;
	struct xb_receipt r;
	char *err = NULL, *path = NULL;
	size_t i;

	if (!rb) {
		fprintf(stderr, "xenbake: warning: out of memory: no receipt\n");
		return;
	}
	for (i = 0; i < a->nblobs; i++) {
		rb[i].path = a->blobs[i].path;
		rb[i].sha256 = a->blobs[i].ok ? a->blobs[i].sha256 : NULL;
	}
	clock_gettime(CLOCK_REALTIME, &end);
	r = (struct xb_receipt){
		.time = a->time,
		.seconds = (double)(end.tv_sec - a->time.tv_sec) +
			   (double)(end.tv_nsec - a->time.tv_nsec) / 1e9,
		.result = result,
		.error = a->error,
		.blobs = rb,
		.nblobs = a->nblobs,
		.xapi = o->no_xapi ? NULL : o->xapi,
		.xenstore = !o->no_xenstore,
		.plan = a->plan,
		.actual = a->actual,
		.outcomes = a->outcomes,
		.verified = a->verified,
		.xapi_calls = a->x ? xapi_calls(a->x) : 0,
		.xs = a->xs ? xb_xs_stats(a->xs) : NULL,
	};
	if (xb_receipt_write(o->state_dir, &r, &path, &err)) {
		fprintf(stderr, "xenbake: warning: no receipt: %s\n", err);
		xb_log(LOG_WARNING, "no receipt: %s", err);
	} else {
		xb_log(LOG_INFO, "receipt %s", path ? path : "written");
	}
	free(path);
	free(err);
	free(rb);
}

/* ---- status ----------------------------------------------------------------- */

static void put_receipt_change(FILE *f, const struct xb_json *c)
{
	const char *op = xb_json_str(c, "op", "?"), *old, *new;
	const char *field = xb_json_str(c, "field", ""),
		   *key = xb_json_str(c, "key", ""),
		   *src = xb_json_str(c, "source", NULL);
	bool book = xb_json_bool(c, "bookkeeping", false);

	fprintf(f, "  %-13s %c %s ", xb_json_str(c, "outcome", "?"),
		!strcmp(op, "add") ? '+' : !strcmp(op, "change") ? '~' : '-',
		xb_json_str(c, "class", "?"));
	put_name(f, xb_json_str(c, "object", "?"));
	fputc(' ', f);
	if (!strcmp(xb_json_str(c, "where", ""), "xenstore"))
		fprintf(f, "[domain %.0f] %s", xb_json_num(c, "domid", -1),
			book ? "managed-keys record" : key);
	else if (!strcmp(field, "name_label"))
		fputs("name_label", f);
	else
		fprintf(f, "%s[%s]", field, key);
	old = xb_json_str(c, "old", NULL);
	new = xb_json_str(c, "new", NULL);
	if (book) {
		fputs(": (the record of managed keys)", f);
	} else {
		fputs(": ", f);
		if (old)
			put_quoted(f, old);
		if (old && new)
			fputs(" -> ", f);
		if (new)
			put_quoted(f, new);
	}
	if (src)
		fprintf(f, "  (%s)", src);
	fputc('\n', f);
}

static void print_receipt(FILE *f, const struct xb_json *j)
{
	const struct xb_json *blobs = xb_json_get(j, "blobs"),
			     *changes = xb_json_get(j, "changes"),
			     *calls = xb_json_get(j, "xapi_calls"),
			     *xs = xb_json_get(j, "xenstore_requests"),
			     *sum = xb_json_get(j, "summary"), *writes;
	const char *err = xb_json_str(j, "error", NULL);
	size_t i;

	fprintf(f, "Last apply: %s, %s (pid %.0f, %.2f s)\n",
		xb_json_str(j, "time", "?"), xb_json_str(j, "result", "?"),
		xb_json_num(j, "pid", 0), xb_json_num(j, "seconds", 0));
	if (err)
		fprintf(f, "  error: %s\n", err);
	for (i = 0; blobs && blobs->type == XB_JSON_ARRAY && i < blobs->n; i++)
		fprintf(f, "  blob %s\n       sha256 %s\n",
			xb_json_str(&blobs->items[i], "path", "?"),
			xb_json_str(&blobs->items[i], "sha256",
				    "(not verified)"));
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
		fprintf(f, "XenAPI at %s: %.0f call%s", xb_json_str(j, "xapi", ""),
			xb_json_num(calls, "count", 0),
			xb_json_num(calls, "count", 0) == 1 ? "" : "s");
		for (i = 0; writes && writes->type == XB_JSON_ARRAY &&
			    i < writes->n; i++)
			fprintf(f, "%s%s", i ? ", " : "; writes: ",
				writes->items[i].string ?
				writes->items[i].string : "?");
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

static void hex(const unsigned char *h, char *out)
{
	size_t i;

	for (i = 0; i < XBB_SHA256_SIZE; i++)
		sprintf(out + 2 * i, "%02x", h[i]);
}

/* A note for each blob that is not the one the receipt recorded. */
static void note_changed_blobs(FILE *f, const struct xb_json *j,
			       const struct loaded *l, size_t n)
{
	const struct xb_json *blobs = xb_json_get(j, "blobs");
	char now_hex[2 * XBB_SHA256_SIZE + 1];
	size_t i, k;

	for (i = 0; i < n; i++) {
		const char *was = NULL;

		hex(l[i].sha256, now_hex);
		for (k = 0; blobs && blobs->type == XB_JSON_ARRAY &&
			    k < blobs->n; k++)
			if (!strcmp(xb_json_str(&blobs->items[k], "path", ""),
				    l[i].path))
				was = xb_json_str(&blobs->items[k], "sha256",
						  NULL);
		if (!was)
			fprintf(f, "note: %s was not part of the last apply\n",
				l[i].path);
		else if (strcmp(was, now_hex))
			fprintf(f, "note: %s has changed since the last apply (sha256 now %s)\n",
				l[i].path, now_hex);
	}
}

static int show_status(struct options *o)
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
		fprintf(stderr, "xenbake: status: %s\n", err);
		goto out;
	}
	if (xb_json_parse(text, len, &j, &err) ||
	    j.type != XB_JSON_OBJECT) {
		fprintf(stderr, "xenbake: status: %s/%s: %s\n", o->state_dir,
			XB_RECEIPT_LAST, err ? err : "not a JSON object");
		goto out;
	}
	if (o->json)
		fwrite(text, 1, len, stdout);
	else
		print_receipt(stdout, &j);
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
	if ((!o->no_xenstore && wait_xenstored(o, &xs, &err)) ||
	    (!o->no_xapi && !(x = connect_xapi(o, &err))) ||
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

/* ---- the commands ----------------------------------------------------------- */

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
	if (!o->no_xenstore && wait_xenstored(o, &xs, &err))
		goto fail;
	ar.xs = xs;
	if (!o->no_xapi && !(x = connect_xapi(o, &err)))
		goto fail;
	ar.x = x;
	r = read_and_plan(o, &desired, x, xs, &aopt, &actual, &plan, &planned,
			  &err);
	if (r < 0)
		goto fail;
	for (i = 0; !o->json && i < plan.nnotes; i++)
		fprintf(stderr, "%s\n", plan.notes[i]);
	if (r) {
		if (planned == -ENOMEM)
			fprintf(stderr, "xenbake: out of memory\n");
		for (i = 0; i < plan.nerrors; i++)
			fprintf(stderr, "%s: error: %s\n", cmd, plan.errors[i]);
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
		unsigned long calls0 = x ? xapi_calls(x) : 0;
		unsigned tries0 = xs ? xb_xs_stats(xs)->attempts : 0;
		bool renames = false;

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
			save_receipt(o, &ar, "no changes");
			rc = EXIT_OK;
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
		r = xb_apply(x, xs, &actual, &plan, &aopt, &rep, &err);
		if (r) {
			/* a rename first reads the PBDs: one call, no write */
			for (i = 0; i < plan.nwrites; i++)
				renames |= plan.writes[i].field ==
					   XB_FIELD_NAME_LABEL;
			failed_outcomes(&plan, x && xapi_calls(x) > calls0 + renames,
					xs && xb_xs_stats(xs)->attempts > tries0,
					rep.xenstore_unknown, ar.outcomes);
			ar.verified = verify_outcomes(o, &desired, x, xs,
						      &plan, ar.outcomes);
		}
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
		for (i = 0; i < plan.nchanges; i++)
			ar.outcomes[i] = XB_OUTCOME_APPLIED;
		log_outcomes(&plan, ar.outcomes, false);
		if (o->json)
			print_json(cmd, "applied", &plan, &actual, NULL, 0);
		else
			printf("Applied: %zu added, %zu changed, %zu removed (%zu XenAPI write%s, %s).\n",
			       add, mod, rem, rep.xapi_writes,
			       rep.xapi_writes == 1 ? "" : "s",
			       plan.nguests ? "1 xenstore transaction" :
			       "no xenstore transaction");
		save_receipt(o, &ar, "applied");
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
	fprintf(stderr, "xenbake: %s: %s\n", cmd, err ? err : "failed");
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

	parse_args(argc, argv, &o);
	o.start = now();
	return run(&o);
}
