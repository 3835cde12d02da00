/* SPDX-License-Identifier: MIT */
/* main.c - `xenbake`: the command line, and the command it names (dump,
 * plan, check: cmd-plan.c; apply: cmd-apply.c; status: cmd-status.c).
 *
 * Every blob is verified (owner, signature when required, then xbb_open:
 * header, hash, every record) before any request to xapi or xenstore. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "lib/blob.h"
#include "runtime/cli.h"
#include "runtime/secrets.h"
#include "runtime/clock.h"
#include "runtime/xapi.h"

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
"  status [BLOB] the last apply's receipt (and the last successful one),\n"
"               and whether the host still matches its blobs (or BLOB)\n"
"                                             exit 0: matches, 2: drift,  1: error\n"
"  diff OLD NEW  what NEW changes against OLD, per object and key, from the\n"
"               blobs alone (no host)         exit 0: same,    2: differ, 1: error\n"
"               (a .xb source is compiled first, by xenbakec)\n"
"  export       the host's (or pool's) objects and keys as canonical .xb\n"
"               source on stdout, to adopt a host configured by hand\n"
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
"                        running and paused guests' vm-data is not applied\n"
"                        (a note names them; see xenbake(8))\n"
"  --json                one JSON object on stdout instead of text\n"
"  --wait SECONDS        wait that long for xenstored, for xapi (its start-up\n"
"                        cookie on the local socket, then a login) and for\n"
"                        another apply's lock (boot)\n"
"  --state-dir DIR       the lock, receipts and the journal of an apply in\n"
"                        progress (default: $" STATE_DIR_ENV ", else\n"
"                        " DEFAULT_STATE_DIR ")\n"
"  --no-syslog           log to stderr only, not to the system log too\n"
"  --all                 status: every receipt kept, oldest first\n"
"  --class vm,sr,network,pif  export: only these classes\n"
"  --name GLOB           export: only objects whose name (a PIF: device)\n"
"                        matches, or with this uuid (repeatable)\n"
"  --prefix KEY          export: only keys that start with KEY (as XenAPI\n"
"                        names them: vm-data/app/, owner)\n"
"  --managed             export: only the keys xenbake's record names\n"
"  -I DIR                diff of a .xb source: xenbakec's include directory\n"
"                        (repeatable)\n"
"  --require-signature KEY.pub  refuse BLOB unless BLOB.sig verifies with KEY\n"
"  --host-key FILE       the key that opens the blob's secrets (default\n"
"                        " XB_DEFAULT_HOST_KEY "; owner only)\n"
"  -v, --verbose         say how many requests were made\n"
"  -h, --help            this text;  --version  the version\n"
"\n"
"Examples:\n"
"  xenbakec site.xb && xenbake plan site.xbb     # what would change?\n"
"  xenbake apply site.xbb                        # do it; a second run does nothing\n"
"  xenbake check site.xbb || echo drift          # exit 2 names each drifted key\n"
"  xenbake plan site.xbb --json | jq .summary\n"
"  xenbake apply --no-xapi site.xbb              # only the running guests' vm-data\n"
"  xenbake export --class vm > site.xb           # adopt: start from the host\n"
"  xenbake diff old.xbb new.xbb                  # review a change\n"
"  xenbake diff site.xbb site.xb                 # ... the edit not yet compiled\n"
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
	       OPT_IGNORE_RUNNING_XAPI, OPT_ALL, OPT_CLASS, OPT_NAME,
	       OPT_PREFIX, OPT_MANAGED, OPT_HOST_KEY };
	static const struct option longopts[] = {
		{ "xapi", required_argument, NULL, OPT_XAPI },
		{ "password-file", required_argument, NULL, OPT_PASSWORD },
		{ "no-xapi", no_argument, NULL, OPT_NO_XAPI },
		{ "no-xenstore", no_argument, NULL, OPT_NO_XENSTORE },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "wait", required_argument, NULL, OPT_WAIT },
		{ "state-dir", required_argument, NULL, OPT_STATE_DIR },
		{ "require-signature", required_argument, NULL, OPT_SIG },
		{ "host-key", required_argument, NULL, OPT_HOST_KEY },
		{ "no-syslog", no_argument, NULL, OPT_NO_SYSLOG },
		{ "xapi-ca", required_argument, NULL, OPT_XAPI_CA },
		{ "xapi-fingerprint", required_argument, NULL,
		  OPT_XAPI_FINGERPRINT },
		{ "ignore-running-xapi", no_argument, NULL,
		  OPT_IGNORE_RUNNING_XAPI },
		{ "all", no_argument, NULL, OPT_ALL },
		{ "class", required_argument, NULL, OPT_CLASS },
		{ "name", required_argument, NULL, OPT_NAME },
		{ "prefix", required_argument, NULL, OPT_PREFIX },
		{ "managed", no_argument, NULL, OPT_MANAGED },
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
	while ((c = getopt_long(argc, argv, "vhI:", longopts, NULL)) != -1) {
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
		case OPT_HOST_KEY: o->host_key = optarg; break;
		case OPT_NO_SYSLOG: o->no_syslog = true; break;
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
		case OPT_IGNORE_RUNNING_XAPI: o->ignore_running_xapi = true; break;
		case OPT_ALL: o->all = true; break;
		case OPT_CLASS: o->export_classes = optarg; break;
		case OPT_NAME:
			if (o->nexport_names == sizeof(o->export_names) /
			    sizeof(o->export_names[0]))
				die_usage("--name: at most 16");
			o->export_names[o->nexport_names++] = optarg;
			break;
		case OPT_PREFIX: o->export_prefix = optarg; break;
		case OPT_MANAGED: o->export_managed = true; break;
		case OPT_WAIT:
			errno = 0;
			o->wait = strtod(optarg, &end);
			if (errno || *end || end == optarg || o->wait < 0 ||
			    o->wait > 86400)
				die_usage("--wait takes seconds (0 to 86400), not '%s'",
					  optarg);
			break;
		case 'I':
			if (o->ninclude_dirs == sizeof(o->include_dirs) /
			    sizeof(o->include_dirs[0]))
				die_usage("-I: at most 16");
			o->include_dirs[o->ninclude_dirs++] = optarg;
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
	else if (!strcmp(argv[optind], "diff"))
		o->cmd = CMD_DIFF;
	else if (!strcmp(argv[optind], "export"))
		o->cmd = CMD_EXPORT;
	else
		die_usage("unknown command '%s' (dump, plan, apply, check, status, diff, export)",
			  argv[optind]);
	if ((o->cmd == CMD_STATUS || o->cmd == CMD_EXPORT) &&
	    optind + 1 == argc)
		;       /* the receipt's blobs; export reads the host */
	else if (o->cmd == CMD_EXPORT)
		die_usage("export takes no BLOB: it writes source on stdout");
	else if (o->cmd == CMD_DIFF && optind + 3 != argc)
		die_usage("diff takes two blobs: OLD NEW");
	else if (o->cmd == CMD_DIFF)
		o->blob_path = argv[optind + 1], o->new_path = argv[optind + 2];
	else if (optind + 2 != argc)
		die_usage(optind + 1 >= argc ? "%s needs a BLOB.xbb" :
			  "%s takes one BLOB", argv[optind]);
	else
		o->blob_path = argv[optind + 1];
	if (o->no_xapi && o->no_xenstore)
		die_usage("--no-xapi and --no-xenstore leave nothing to configure");
	if (o->ignore_running_xapi && !o->no_xapi)
		die_usage("--ignore-running-xapi goes with --no-xapi");
	if (o->all && o->cmd != CMD_STATUS)
		die_usage("--all is for status");
	if (o->cmd != CMD_EXPORT && (o->export_classes || o->nexport_names ||
				     o->export_prefix || o->export_managed))
		die_usage("--class, --name, --prefix and --managed are for export");
	if (o->ninclude_dirs && o->cmd != CMD_DIFF)
		die_usage("-I is for diff (of a .xb source)");
	if (o->cmd == CMD_EXPORT && o->no_xapi)
		die_usage("export reads the host through XenAPI: not with --no-xapi");
}

/* ---- the commands ----------------------------------------------------------- */

const char *command_name(enum command cmd)
{
	static const char *names[] = {
		"dump", "plan", "apply", "check", "status", "diff",
		"export"
	};

	return names[cmd];
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
	switch (o.cmd) {
	case CMD_DUMP: return cmd_dump(&o);
	case CMD_PLAN:
	case CMD_CHECK: return cmd_plan(&o);
	case CMD_APPLY: return cmd_apply(&o);
	case CMD_STATUS: return show_status(&o);
	case CMD_DIFF: return cmd_diff(&o);
	case CMD_EXPORT: return cmd_export(&o);
	}
	return EXIT_ERROR;
}
