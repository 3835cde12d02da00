/* SPDX-License-Identifier: MIT */
/* netlibs.c - loading libcurl and libxml2 on first use (netlibs.h). */
#include "config.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/netlibs.h"

struct xb_curl xb_curl;
struct xb_xml xb_xml;

/* one symbol to find: where it goes in a table */
struct want {
	const char *name;
	size_t offset;
};

#define CURL_WANT(f) { "curl_" #f, offsetof(struct xb_curl, f) }
static const struct want curl_wants[] = {
	CURL_WANT(global_init), CURL_WANT(global_cleanup),
	CURL_WANT(easy_init), CURL_WANT(easy_cleanup),
	CURL_WANT(easy_setopt), CURL_WANT(easy_perform),
	CURL_WANT(easy_getinfo), CURL_WANT(easy_strerror),
	CURL_WANT(slist_append), CURL_WANT(slist_free_all),
};

#define XML_WANT(f) { "xml" #f, offsetof(struct xb_xml, f) }
static const struct want xml_wants[] = {
	XML_WANT(InitParser), XML_WANT(CreatePushParserCtxt),
	XML_WANT(CtxtUseOptions), XML_WANT(SetGenericErrorFunc),
	XML_WANT(ParseChunk), XML_WANT(StopParser),
	XML_WANT(CtxtGetLastError), XML_WANT(FreeDoc),
	XML_WANT(FreeParserCtxt), XML_WANT(SAX2GetLineNumber),
};

/* every member of a table has its entry: one forgotten would stay NULL */
#define COUNT(a) (sizeof(a) / sizeof((a)[0]))
_Static_assert(COUNT(curl_wants) ==
	       sizeof(struct xb_curl) / sizeof(void (*)(void)),
	       "a member of struct xb_curl not in curl_wants");
_Static_assert(COUNT(xml_wants) ==
	       sizeof(struct xb_xml) / sizeof(void (*)(void)),
	       "a member of struct xb_xml not in xml_wants");

/* the first call's failure, for every call ("" when both loaded) */
static char load_error[512];
static pthread_once_t once = PTHREAD_ONCE_INIT;

/* Opens the library named soname and fills table from it. 0, or -1 with
 * load_error set. */
static int load(const char *soname, void *table, const struct want *wants,
		size_t n)
{
	void *lib = dlopen(soname, RTLD_NOW | RTLD_LOCAL);
	size_t i;

	if (!lib) {
		snprintf(load_error, sizeof(load_error),
			 "cannot load %s, which XenAPI needs: %s", soname,
			 dlerror());
		return -1;
	}
	for (i = 0; i < n; i++) {
		void *f = dlsym(lib, wants[i].name);

		if (!f) {
			snprintf(load_error, sizeof(load_error),
				 "%s has no %s: it is older than xenbake needs",
				 soname, wants[i].name);
			dlclose(lib);
			return -1;
		}
		/* POSIX: a function's address from dlsym is usable as one */
		memcpy((char *)table + wants[i].offset, &f, sizeof(f));
	}
	return 0;                    /* kept for the life of the process */
}

static void load_both(void)
{
	if (!load(XB_CURL_SONAME, &xb_curl, curl_wants, COUNT(curl_wants)))
		load(XB_XML2_SONAME, &xb_xml, xml_wants, COUNT(xml_wants));
}

int xb_netlibs_load(char **errmsg)
{
	pthread_once(&once, load_both);
	if (!load_error[0])
		return 0;
	*errmsg = strdup(load_error);
	return -1;
}
