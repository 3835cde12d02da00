/* SPDX-License-Identifier: MIT */
/* netlibs.h - libcurl and libxml2, loaded when XenAPI is first used.
 *
 * Linked in, the two libraries and what they need (TLS, HTTP/2, SSH,
 * LDAP, Kerberos, ICU: some forty shared objects) were loaded and
 * relocated by every run, about 20 ms of a 90 ms xenstore-only apply.
 * Runs that never talk XenAPI (--no-xapi, status, --help) now never load
 * them; the others load them once, before the lock-down, when the first
 * connection is made. Each table names the functions xenbake calls, typed
 * by the library's own header. */
#ifndef XENBAKE_NETLIBS_H
#define XENBAKE_NETLIBS_H

#include <curl/curl.h>
#include <libxml/parser.h>
#include <libxml/SAX2.h>

struct xb_curl {
	__typeof__(curl_global_init) *global_init;
	__typeof__(curl_global_cleanup) *global_cleanup;
	__typeof__(curl_easy_init) *easy_init;
	__typeof__(curl_easy_cleanup) *easy_cleanup;
	__typeof__(curl_easy_setopt) *easy_setopt;
	__typeof__(curl_easy_perform) *easy_perform;
	__typeof__(curl_easy_getinfo) *easy_getinfo;
	__typeof__(curl_easy_strerror) *easy_strerror;
	__typeof__(curl_slist_append) *slist_append;
	__typeof__(curl_slist_free_all) *slist_free_all;
};

struct xb_xml {
	__typeof__(xmlInitParser) *InitParser;
	__typeof__(xmlCreatePushParserCtxt) *CreatePushParserCtxt;
	__typeof__(xmlCtxtUseOptions) *CtxtUseOptions;
	__typeof__(xmlSetGenericErrorFunc) *SetGenericErrorFunc;
	__typeof__(xmlParseChunk) *ParseChunk;
	__typeof__(xmlStopParser) *StopParser;
	__typeof__(xmlCtxtGetLastError) *CtxtGetLastError;
	__typeof__(xmlFreeDoc) *FreeDoc;
	__typeof__(xmlFreeParserCtxt) *FreeParserCtxt;
	__typeof__(xmlSAX2GetLineNumber) *SAX2GetLineNumber;
};

/* Filled by xb_netlibs_load; use only after it returned 0. */
extern struct xb_curl xb_curl;
extern struct xb_xml xb_xml;

/* Loads both libraries, once for the process (any thread; later calls
 * give the first call's result). 0, or -1 with *errmsg (malloc'd) naming
 * the library and why. */
int xb_netlibs_load(char **errmsg);

#endif
