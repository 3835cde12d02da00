/* SPDX-License-Identifier: MIT */
/* xapi-probe.c - makes the XenAPI client callable from shell tests.
 *
 *   xapi-probe [-e ENDPOINT] [-u USER] [-p PASSWORD_FILE] [-k] [-c CA_FILE]
 *              [-f SHA256]
 *              [-t TIMEOUT_MS] COMMAND [ARGS] [+ COMMAND [ARGS]]...
 *
 * Commands run in order on one connection:
 *   state                        xapi_read_state, printed one line a thing
 *   pbds                         xapi_read_state + xapi_read_pbds
 *   set-map CLASS REF FIELD K=V...   xapi_set_map (CLASS: vm sr network pif)
 *   set-name CLASS REF NAME      xapi_set_name_label
 *   calls                        prints "calls N"
 * Then "calls N" (the calls made before logout) and xapi_close. On an
 * error: "error: MESSAGE" and, for a XenAPI fault, "fault: CODE P..." on
 * stderr, exit 1. ENDPOINT defaults to $XENBAKE_XAPI. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "runtime/xapi.h"

static int class_of(const char *s, enum xb_class *cls)
{
	int c;

	for (c = XB_CLASS_VM; c <= XB_CLASS_MAX; c++)
		if (!strcmp(s, xb_class_keyword(c)) ||
		    !strcmp(s, xb_class_xapi(c))) {
			*cls = c;
			return 0;
		}
	fprintf(stderr, "xapi-probe: unknown class %s\n", s);
	return -1;
}

static int field_of(const char *s, enum xb_field *field)
{
	int f;

	for (f = XB_FIELD_XENSTORE_DATA; f <= XB_FIELD_MAX; f++)
		if (!strcmp(s, xb_field_xapi(f))) {
			*field = f;
			return 0;
		}
	fprintf(stderr, "xapi-probe: unknown field %s\n", s);
	return -1;
}

static void print_map(const char *name, const struct xb_map *m)
{
	size_t i;

	for (i = 0; i < m->n; i++)
		printf("  %s %s=%s\n", name, m->kv[i].key, m->kv[i].value);
}

static void print_state(const struct xb_actual *a)
{
	size_t i;

	for (i = 0; i < a->nhosts; i++)
		printf("host %s uuid=%s name=%s address=%s\n", a->hosts[i].ref,
		       a->hosts[i].uuid, a->hosts[i].name_label,
		       a->hosts[i].address);
	for (i = 0; i < a->nobjects; i++) {
		const struct xb_object *o = &a->objects[i];

		if (o->cls == XB_CLASS_HOST)
			continue;       /* each is a host line above */
		printf("%s %s uuid=%s name=%s", xb_class_keyword(o->cls),
		       o->ref, o->uuid, o->name_label);
		switch (o->cls) {
		case XB_CLASS_VM:
			printf(" running=%d domid=%d resident_on=%s "
			       "template=%d control=%d", o->running, o->domid,
			       o->resident_on, o->is_template,
			       o->is_control_domain);
			break;
		case XB_CLASS_SR:
			printf(" pbds_plugged=%d", o->pbds_plugged);
			break;
		case XB_CLASS_PIF:
			printf(" device=%s host=%s network=%s", o->device,
			       o->host, o->network);
			break;
		case XB_CLASS_NETWORK:
		case XB_CLASS_HOST:
		case XB_CLASS_POOL:
			break;
		}
		printf("\n");
		print_map("other_config", &o->other_config);
		print_map("xenstore_data", &o->xenstore_data);
	}
}

static void report(struct xapi *x)
{
	const struct xapi_fault *f = xapi_fault(x);
	size_t i;

	fprintf(stderr, "error: %s\n", xapi_errmsg(x));
	if (!f)
		return;
	fprintf(stderr, "fault: %s", f->code);
	for (i = 0; i < f->nparams; i++)
		fprintf(stderr, " %s", f->params[i]);
	fprintf(stderr, "\n");
}

/* Runs argv[0..argc): one command. */
static int run(struct xapi *x, int argc, char **argv)
{
	struct xb_actual a = { 0 };
	struct xb_map map = { 0 };
	enum xb_class cls;
	enum xb_field field;
	int i, ret = -1;

	if (!strcmp(argv[0], "state") || !strcmp(argv[0], "pbds")) {
		if (xapi_read_state(x, &a) ||
		    (argv[0][0] == 'p' && xapi_read_pbds(x, &a))) {
			report(x);
			goto out;
		}
		print_state(&a);
	} else if (!strcmp(argv[0], "set-map") && argc >= 4) {
		if (class_of(argv[1], &cls) || field_of(argv[3], &field))
			goto out;
		for (i = 4; i < argc; i++) {
			char *eq = strchr(argv[i], '=');

			if (!eq) {
				fprintf(stderr, "xapi-probe: %s: not K=V\n",
					argv[i]);
				goto out;
			}
			*eq = '\0';
			if (xb_map_set(&map, argv[i], eq + 1))
				goto out;
		}
		if (xapi_set_map(x, cls, argv[2], field, &map)) {
			report(x);
			goto out;
		}
	} else if (!strcmp(argv[0], "set-name") && argc == 4) {
		if (class_of(argv[1], &cls))
			goto out;
		if (xapi_set_name_label(x, cls, argv[2], argv[3])) {
			report(x);
			goto out;
		}
	} else if (!strcmp(argv[0], "calls") && argc == 1) {
		printf("calls %lu\n", xapi_calls(x));
	} else {
		fprintf(stderr, "xapi-probe: bad command %s (%d arguments)\n",
			argv[0], argc - 1);
		goto out;
	}
	ret = 0;
out:
	xb_map_free(&map);
	xb_actual_free(&a);
	return ret;
}

int main(int argc, char **argv)
{
	struct xapi_options opt = { 0 };
	struct xapi *x = NULL;
	char *err = NULL;
	int c, start, ret = 1;

	opt.endpoint = getenv("XENBAKE_XAPI");
	if (opt.endpoint && !opt.endpoint[0])
		opt.endpoint = NULL;
	while ((c = getopt(argc, argv, "+e:u:p:kc:f:t:")) != -1) {
		switch (c) {
		case 'e': opt.endpoint = optarg; break;
		case 'u': opt.user = optarg; break;
		case 'p': opt.password_file = optarg; break;
		case 'k': opt.insecure = true; break;
		case 'c': opt.ca_file = optarg; break;
		case 'f': opt.fingerprint = optarg; break;
		case 't': opt.timeout_ms = atol(optarg); break;
		default:
			fprintf(stderr, "usage: xapi-probe [-e ENDPOINT] "
				"[-u USER] [-p PASSWORD_FILE] [-k] [-c CA] [-f SHA256] "
				"[-t MS] COMMAND [ARGS] [+ COMMAND ...]\n");
			return 2;
		}
	}
	x = xapi_connect(&opt, &err);
	if (!x) {
		fprintf(stderr, "error: %s\n", err);
		free(err);
		return 1;
	}
	for (start = optind; start < argc; ) {
		int end = start;

		while (end < argc && strcmp(argv[end], "+"))
			end++;
		if (end == start || run(x, end - start, argv + start))
			goto out;
		start = end + 1;
	}
	ret = 0;
out:
	printf("calls %lu\n", xapi_calls(x));
	xapi_close(x);
	return ret;
}
