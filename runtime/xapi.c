/* xapi.c - the XenAPI client (placeholder until the real one lands: every
 * call fails with "not implemented yet"). */
#include <stdlib.h>
#include <string.h>

#include "runtime/xapi.h"

struct xapi {
	char *errmsg;
	unsigned long calls;
};

static int not_yet(struct xapi *x)
{
	(void)x;
	return -1;
}

struct xapi *xapi_connect(const struct xapi_options *opt, char **errmsg)
{
	(void)opt;
	if (errmsg)
		*errmsg = strdup("XenAPI client: not implemented yet");
	return NULL;
}

void xapi_close(struct xapi *x)
{
	if (!x)
		return;
	free(x->errmsg);
	free(x);
}

const char *xapi_errmsg(const struct xapi *x)
{
	return x && x->errmsg ? x->errmsg : "not implemented yet";
}

const struct xapi_fault *xapi_fault(const struct xapi *x)
{
	(void)x;
	return NULL;
}

unsigned long xapi_calls(const struct xapi *x)
{
	return x ? x->calls : 0;
}

int xapi_read_state(struct xapi *x, struct xb_actual *a)
{
	(void)a;
	return not_yet(x);
}

int xapi_read_pbds(struct xapi *x, struct xb_actual *a)
{
	(void)a;
	return not_yet(x);
}

int xapi_set_map(struct xapi *x, enum xb_class cls, const char *ref,
		 enum xb_field field, const struct xb_map *map)
{
	(void)cls; (void)ref; (void)field; (void)map;
	return not_yet(x);
}

int xapi_set_name_label(struct xapi *x, enum xb_class cls, const char *ref,
			const char *name)
{
	(void)cls; (void)ref; (void)name;
	return not_yet(x);
}
