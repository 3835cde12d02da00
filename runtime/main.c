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

#include "config.h"
#include "runtime/apply.h"
#include "runtime/blob.h"
#include "runtime/desired.h"
#include "runtime/dump.h"
#include "runtime/plan.h"
#include "runtime/trust.h"
#include "runtime/xapi.h"
#include "runtime/xenstore.h"

enum { EXIT_OK = 0, EXIT_ERROR = 1, EXIT_PENDING = 2 };

enum command { CMD_DUMP, CMD_PLAN, CMD_APPLY, CMD_CHECK, CMD_STATUS };

#define DEFAULT_STATE_DIR "/var/lib/xenbake"

struct options {
	enum command cmd;
	const char *blob_path;
	const char *xapi;
	const char *password_file;
	const char *state_dir;
	const char *signature_key;
	bool no_xapi, no_xenstore, json, verbose;
	double wait;
};

struct loaded {
	char *path;
	void *buf;
	size_t len;
	struct xbb blob;
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
"  status       the last successful apply (from --state-dir)\n"
"BLOB may be a directory: every *.xbb in it, in name order, as one config.\n"
"\n"
"Options:\n"
"  --xapi ENDPOINT       unix:PATH, http://HOST:PORT or https://HOST[:PORT]\n"
"                        (default: $XENBAKE_XAPI, else " XAPI_DEFAULT_ENDPOINT ")\n"
"  --password-file FILE  the XenAPI password (not needed on the local socket)\n"
"  --no-xapi             xenstore only: VMs are the guests running here\n"
"  --no-xenstore         XenAPI only: leave the running guests' xenstore alone\n"
"  --json                one JSON object on stdout instead of text\n"
"  --wait SECONDS        wait that long for xenstored and xapi to answer (boot)\n"
"  --state-dir DIR       apply: write DIR/last-apply after success; status:\n"
"                        read it; the journal of an apply in progress\n"
"                        (default: $XENBAKE_STATE_DIR, else " DEFAULT_STATE_DIR ")\n"
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
	       OPT_JSON, OPT_WAIT, OPT_STATE_DIR, OPT_VERSION, OPT_SIG };
	static const struct option longopts[] = {
		{ "xapi", required_argument, NULL, OPT_XAPI },
		{ "password-file", required_argument, NULL, OPT_PASSWORD },
		{ "no-xapi", no_argument, NULL, OPT_NO_XAPI },
		{ "no-xenstore", no_argument, NULL, OPT_NO_XENSTORE },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "wait", required_argument, NULL, OPT_WAIT },
		{ "state-dir", required_argument, NULL, OPT_STATE_DIR },
		{ "require-signature", required_argument, NULL, OPT_SIG },
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
	while ((c = getopt_long(argc, argv, "vh", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_XAPI: o->xapi = optarg; break;
		case OPT_PASSWORD: o->password_file = optarg; break;
		case OPT_NO_XAPI: o->no_xapi = true; break;
		case OPT_NO_XENSTORE: o->no_xenstore = true; break;
		case OPT_JSON: o->json = true; break;
		case OPT_STATE_DIR: o->state_dir = optarg; break;
		case OPT_SIG: o->signature_key = optarg; break;
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
	if (o->cmd == CMD_STATUS) {
		if (optind + 1 != argc)
			die_usage("status takes no BLOB");
		return;
	}
	if (optind + 2 != argc)
		die_usage(optind + 1 >= argc ? "%s needs a BLOB.xbb" :
			  "%s takes one BLOB", argv[optind]);
	o->blob_path = argv[optind + 1];
	if (o->no_xapi && o->no_xenstore)
		die_usage("--no-xapi and --no-xenstore leave nothing to configure");
}

/* ---- loading ---------------------------------------------------------- */

static int load_one(const char *path, const struct options *o,
		    struct loaded *l)
{
	char *err = NULL;
	int fd = -1, r = -1, e;

	l->path = strdup(path);
	if (!l->path) {
		fprintf(stderr, "xenbake: out of memory\n");
		return -1;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "xenbake: cannot open %s: %s\n", path,
			strerror(errno));
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

/* BLOB, or every *.xbb of a directory, verified. */
static int load_blobs(const struct options *o, struct loaded **out,
		      size_t *n)
{
	struct stat st;
	char **names = NULL;
	size_t nnames = 0, i;
	DIR *dir = NULL;
	struct dirent *de;
	int r = -1;

	*out = NULL;
	*n = 0;
	if (stat(o->blob_path, &st) == 0 && S_ISDIR(st.st_mode)) {
		dir = opendir(o->blob_path);
		if (!dir) {
			fprintf(stderr, "xenbake: cannot read %s: %s\n",
				o->blob_path, strerror(errno));
			return -1;
		}
		while ((de = readdir(dir))) {
			size_t len = strlen(de->d_name);
			char **grown;

			if (len < 5 || strcmp(de->d_name + len - 4, ".xbb") ||
			    de->d_name[0] == '.')
				continue;
			grown = realloc(names, (nnames + 1) * sizeof(*names));
			if (!grown)
				goto nomem;
			names = grown;
			if (asprintf(&names[nnames], "%s/%s", o->blob_path,
				     de->d_name) < 0)
				goto nomem;
			nnames++;
		}
		if (!nnames) {
			fprintf(stderr, "xenbake: no *.xbb blob in %s\n",
				o->blob_path);
			goto out;
		}
		qsort(names, nnames, sizeof(*names), cmp_str);
	} else {
		names = calloc(1, sizeof(*names));
		if (!names || !(names[0] = strdup(o->blob_path)))
			goto nomem;
		nnames = 1;
	}
	*out = calloc(nnames, sizeof(**out));
	if (!*out)
		goto nomem;
	for (i = 0; i < nnames; i++) {
		if (load_one(names[i], o, &(*out)[i])) {
			*n = i + 1;
			goto out;
		}
	}
	*n = nnames;
	r = 0;
	goto out;
nomem:
	fprintf(stderr, "xenbake: out of memory\n");
out:
	if (dir)
		closedir(dir);
	for (i = 0; i < nnames; i++)
		free(names[i]);
	free(names);
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

/* A string as a JSON / display literal, with escapes. */
static void put_quoted(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	fputc('"', f);
	for (; *p; p++) {
		switch (*p) {
		case '"': fputs("\\\"", f); break;
		case '\\': fputs("\\\\", f); break;
		case '\n': fputs("\\n", f); break;
		case '\t': fputs("\\t", f); break;
		case '\r': fputs("\\r", f); break;
		default:
			if (*p < 0x20 || *p == 0x7f)
				fprintf(f, "\\u%04x", *p);
			else
				fputc(*p, f);
		}
	}
	fputc('"', f);
}

static void put_json_or_null(FILE *f, const char *s)
{
	if (s)
		put_quoted(f, s);
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
		put_quoted(stdout, c->object);
		fputs(",\"uuid\":", stdout);
		put_quoted(stdout, c->uuid);
		if (c->domid >= 0)
			printf(",\"domid\":%d", c->domid);
		else
			fputs(",\"domid\":null", stdout);
		printf(",\"field\":\"%s\",\"key\":", xb_field_xapi(c->field));
		put_quoted(stdout, c->key);
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
		put_quoted(stdout, call);
	}
	fputs("],\"xenstore_guests\":[", stdout);
	for (i = 0; p && i < p->nguests; i++)
		printf("%s%d", i ? "," : "", p->guests[i].domid);
	fputs("],\"notes\":[", stdout);
	for (i = 0; p && i < p->nnotes; i++) {
		if (i)
			fputc(',', stdout);
		put_quoted(stdout, p->notes[i]);
	}
	fputs("],\"errors\":[", stdout);
	for (i = 0; i < nerrors; i++) {
		if (i)
			fputc(',', stdout);
		put_quoted(stdout, errors[i]);
	}
	printf("],\"summary\":{\"add\":%zu,\"change\":%zu,\"remove\":%zu}}\n",
	       add, mod, rem);
}

/* ---- the host ------------------------------------------------------------ */

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static struct xapi *connect_xapi(const struct options *o, char **err)
{
	struct xapi_options xo = {
		.endpoint = o->xapi,
		.password_file = o->password_file,
	};
	double start = now(), last = -1;
	bool tty = isatty(STDERR_FILENO), shown = false;
	struct xapi *x;

	for (;;) {
		free(*err);
		*err = NULL;
		x = xapi_connect(&xo, err);
		if (x || now() - start >= o->wait)
			break;
		if (tty && now() - last >= 1) {
			fprintf(stderr, "\rxenbake: waiting for xapi at %s (%.0f s of %.0f s)...",
				o->xapi, now() - start, o->wait);
			last = now();
			shown = true;
		}
		usleep(500000);
	}
	if (shown)
		fprintf(stderr, "\r\033[K");
	return x;
}

static void write_receipt(const struct options *o, struct loaded *l,
			  size_t n, const struct xb_plan *p)
{
	char *path = NULL, *tmp = NULL;
	size_t add, mod, rem, i, j;
	FILE *f = NULL;
	int fd, r;

	if (asprintf(&path, "%s/last-apply", o->state_dir) < 0 ||
	    asprintf(&tmp, "%s/.last-apply.XXXXXX", o->state_dir) < 0)
		goto fail;
	fd = mkstemp(tmp);
	if (fd < 0 || !(f = fdopen(fd, "w")))
		goto fail;
	xb_plan_count(p, true, &add, &mod, &rem);
	fprintf(f, "time %lld\n", (long long)time(NULL));
	for (i = 0; i < n; i++) {
		const unsigned char *h = xbb_sha256(&l[i].blob);

		fprintf(f, "blob %s sha256 ", l[i].path);
		for (j = 0; j < XBB_SHA256_SIZE; j++)
			fprintf(f, "%02x", h[j]);
		fputc('\n', f);
	}
	fprintf(f, "changes add %zu change %zu remove %zu\n", add, mod, rem);
	r = fclose(f);
	f = NULL;
	if (r || rename(tmp, path))
		goto fail;
	free(path);
	free(tmp);
	return;
fail:
	fprintf(stderr, "xenbake: warning: cannot write the receipt in %s: %s\n",
		o->state_dir, strerror(errno));
	if (f)
		fclose(f);
	if (tmp)
		unlink(tmp);
	free(path);
	free(tmp);
}

/* `status`: the receipt of the last successful apply. */
static int show_status(const struct options *o)
{
	const char *dir = o->state_dir ? o->state_dir : DEFAULT_STATE_DIR;
	char *path = NULL, line[4096];
	FILE *f;

	if (asprintf(&path, "%s/last-apply", dir) < 0)
		return EXIT_ERROR;
	f = fopen(path, "r");
	if (!f) {
		fprintf(stderr, "xenbake: status: no apply recorded in %s: %s\n",
			dir, strerror(errno));
		free(path);
		return EXIT_ERROR;
	}
	while (fgets(line, sizeof(line), f))
		fputs(line, stdout);
	fclose(f);
	free(path);
	return EXIT_OK;
}

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

static int run(const struct options *o)
{
	static const char *cmd_names[] = {
		"dump", "plan", "apply", "check", "status"
	};
	const char *cmd = cmd_names[o->cmd];
	struct loaded *blobs = NULL;
	size_t nblobs = 0, i, add, mod, rem;
	struct xb_desired desired = { 0 };
	struct xb_actual actual = { 0 };
	struct xb_plan first = { 0 }, plan = { 0 };
	struct xb_plan_options popt = {
		.use_xapi = !o->no_xapi, .use_xenstore = !o->no_xenstore,
	};
	struct xapi *x = NULL;
	struct xb_xs *xs = NULL;
	const unsigned char **shas = NULL;
	struct xb_apply_options aopt = { .state_dir = o->state_dir };
	char *err = NULL, *note = NULL;
	int rc = EXIT_ERROR, r;

	if (o->cmd == CMD_STATUS)
		return show_status(o);

	/* 1. verify everything before any I/O to the host */
	if (load_blobs(o, &blobs, &nblobs))
		goto out;
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
			fprintf(stderr, "xenbake: out of memory\n");
			goto out;
		}
	shas = calloc(nblobs + 1, sizeof(*shas));
	if (!shas) {
		fprintf(stderr, "xenbake: out of memory\n");
		goto out;
	}
	for (i = 0; i < nblobs; i++)
		shas[i] = xbb_sha256(&blobs[i].blob);
	aopt.blob_sha256 = shas;
	aopt.nblobs = nblobs;

	/* 2. the host as it is */
	if (!o->no_xenstore) {
		xs = xb_xs_open(o->wait, &err);
		if (!xs)
			goto fail;
	}
	if (!o->no_xapi) {
		x = connect_xapi(o, &err);
		if (!x)
			goto fail;
		if (xapi_read_state(x, &actual)) {
			err = strdup(xapi_errmsg(x));
			goto fail;
		}
		/* an apply cut off earlier: undone or finished first */
		if (xb_apply_recover(x, &actual, &aopt, o->cmd == CMD_APPLY,
				     &note, &err))
			goto fail;
		if (note)
			fprintf(stderr, "xenbake: %s\n", note);
	}
	if (xs && xb_xs_read_guests(xs, &actual, o->no_xapi,
				    o->no_xapi && selects_by_name(&desired),
				    &err))
		goto fail;

	/* 3. plan: a first pass tells which guests' keys to read */
	if (xs) {
		popt.every_guest = true;
		r = xb_plan_make(&desired, &actual, &popt, &first);
		if (r == 0 && xb_xs_read_vm_data(xs, &actual, &first, &err))
			goto fail;
		popt.every_guest = false;
	}
	r = xb_plan_make(&desired, &actual, &popt, &plan);
	for (i = 0; !o->json && i < plan.nnotes; i++)
		fprintf(stderr, "%s\n", plan.notes[i]);
	if (r) {
		if (r == -ENOMEM)
			fprintf(stderr, "xenbake: out of memory\n");
		for (i = 0; i < plan.nerrors; i++)
			fprintf(stderr, "%s: error: %s\n", cmd, plan.errors[i]);
		if (o->json)
			print_json(cmd, "error", &plan, &actual, plan.errors,
				   plan.nerrors);
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
		size_t drift = 0;

		for (i = 0; i < plan.nchanges; i++) {
			const struct xb_change *c = &plan.changes[i];

			if (c->bookkeeping)
				continue;
			drift++;
			if (o->json)
				continue;
			fputs("drift: ", stdout);
			put_object(stdout, c);
			fputc(' ', stdout);
			put_field(stdout, c);
			fputs(": host has ", stdout);
			if (c->old_value)
				put_quoted(stdout, c->old_value);
			else
				fputs("nothing", stdout);
			if (c->new_value) {
				fputs(", config says ", stdout);
				put_quoted(stdout, c->new_value);
				printf(" (%s)\n", c->source);
			} else {
				fputs(", which the config no longer names (xenbake set it earlier)\n",
				      stdout);
			}
		}
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

		if (xb_plan_empty(&plan)) {
			if (o->json)
				print_json(cmd, "no changes", &plan, &actual,
					   NULL, 0);
			else
				printf("No changes.\n");
			rc = EXIT_OK;
			break;
		}
		if (!o->json)
			for (i = 0; i < plan.nchanges; i++)
				print_change(stdout, &plan.changes[i]);
		fflush(stdout);
		/* all or nothing: a Ctrl-C or a stop request between the
		 * XenAPI writes and the commit would leave half of it, so
		 * such signals wait until apply has finished or undone */
		sigemptyset(&stop_signals);
		sigaddset(&stop_signals, SIGINT);
		sigaddset(&stop_signals, SIGTERM);
		sigaddset(&stop_signals, SIGHUP);
		sigprocmask(SIG_BLOCK, &stop_signals, &old_mask);
		r = xb_apply(x, xs, &actual, &plan, &aopt, &rep, &err);
		sigprocmask(SIG_SETMASK, &old_mask, NULL);
		if (r)
			goto fail;
		if (o->json)
			print_json(cmd, "applied", &plan, &actual, NULL, 0);
		else
			printf("Applied: %zu added, %zu changed, %zu removed (%zu XenAPI write%s, %s).\n",
			       add, mod, rem, rep.xapi_writes,
			       rep.xapi_writes == 1 ? "" : "s",
			       plan.nguests ? "1 xenstore transaction" :
			       "no xenstore transaction");
		if (o->state_dir)
			write_receipt(o, blobs, nblobs, &plan);
		rc = EXIT_OK;
		break;
	}
	}
	goto out;
fail:
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
	free(note);
	free(shas);
	xb_plan_free(&first);
	xb_plan_free(&plan);
	xapi_close(x);
	xb_xs_close(xs);
	xb_actual_free(&actual);
	xb_desired_free(&desired);
	free_blobs(blobs, nblobs);
	return rc;
}

int main(int argc, char **argv)
{
	struct options o;

	parse_args(argc, argv, &o);
	return run(&o);
}
