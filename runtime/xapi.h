/* SPDX-License-Identifier: MIT */
/* xapi.h - a XenAPI client: XML-RPC over libcurl (unix socket, http, https)
 * with replies parsed by libxml2, and the few calls xenbake makes.
 *
 * Cost model: reading the whole state is one get_all_records per class;
 * writing is one add_to_<field> or remove_from_<field> per changed key
 * (both for a changed value), one set_name_label per name. Every call made
 * through a handle (login and logout included) is counted. */
#ifndef XENBAKE_XAPI_H
#define XENBAKE_XAPI_H

#include <stdbool.h>
#include <stddef.h>

#include "lib/model.h"
#include "runtime/state.h"

#define XAPI_DEFAULT_ENDPOINT "unix:/var/lib/xcp/xapi"
/* bytes: xapi answers a longer request with HTTP 500 (XENAPI-FACTS), so
 * none is sent */
#define XAPI_REQUEST_MAX (300u << 10)

struct xapi_options {
	const char *endpoint;        /* unix:PATH | http://HOST:PORT | https://HOST[:PORT] */
	const char *user;            /* NULL: "root" */
	const char *password_file;   /* NULL: empty password (fine on the unix socket) */
	bool insecure;               /* https without certificate checks (tests only) */
	long timeout_ms;             /* per call; 0: 30 s */
	const char *ca_file;         /* https: CA bundle (PEM) to verify the
				      * server with; NULL: $XENBAKE_CA_FILE,
				      * else the system's */
	const char *fingerprint;     /* https: the SHA-256 of the server's
				      * certificate (64 hex digits, colons
				      * allowed): that certificate is trusted
				      * whatever its issuer and name; with a
				      * CA file, both must hold */
};

/* Parses a certificate fingerprint: 64 hex digits, in pairs separated by
 * ':' or not, any case. 0, or -1 when it is not one. */
int xapi_parse_fingerprint(const char *text, unsigned char out[32]);

/* A XenAPI failure: ErrorDescription = [code, params...]. */
struct xapi_fault {
	char *code;                  /* e.g. "MAP_DUPLICATE_KEY"; NULL: not a XenAPI fault */
	char **params;
	size_t nparams;
};

/* Errors: functions return 0 or -1; then xapi_errmsg() says what failed
 * ("VM.set_other_config: HANDLE_INVALID [VM, OpaqueRef:x]", "cannot connect
 * to unix:/var/lib/xcp/xapi: ..."), and xapi_fault() gives the XenAPI fault
 * if the server sent one. */
struct xapi;

/* Connects and logs in (session.login_with_password). On HOST_IS_SLAVE
 * reconnects to the master it names. NULL on failure, with *errmsg set to a
 * malloc'd message the caller frees. */
struct xapi *xapi_connect(const struct xapi_options *opt, char **errmsg);
/* Logs out and frees; NULL is fine. Call on every exit path. */
void xapi_close(struct xapi *x);
/* Another connection on x's session, for calls made in parallel from one
 * thread per clone. Closing a clone adds its calls to x's count and does
 * not log out (unless it had to log in again). Clone and close from the
 * thread that owns x. NULL on failure, with *errmsg malloc'd. */
struct xapi *xapi_clone(struct xapi *x, char **errmsg);

const char *xapi_errmsg(const struct xapi *x);
const struct xapi_fault *xapi_fault(const struct xapi *x);   /* NULL: none */
unsigned long xapi_calls(const struct xapi *x);               /* calls made */

/* Reads hosts, VMs, SRs, networks and PIFs: one get_all_records each.
 * Fills a->hosts, a->objects and sets a->have_xapi. */
int xapi_read_state(struct xapi *x, struct xb_actual *a);
/* One PBD.get_all_records: sets pbds_plugged and pbd_hosts on the SRs in
 * a, and a->have_pbds. Only needed before renaming an SR, or to select SRs
 * by host (several SRs of one name, or `sr "N" host "H"`). */
int xapi_read_pbds(struct xapi *x, struct xb_actual *a);

/* CLASS.set_FIELD(ref, map): replaces the whole map in one call, and so
 * deletes any key another client added since the map was read: xenbake
 * writes key by key (xapi_map_add, xapi_map_remove) instead. */
int xapi_set_map(struct xapi *x, enum xb_class cls, const char *ref,
		 enum xb_field field, const struct xb_map *map);
/* CLASS.add_to_FIELD(ref, key, value): fails with MAP_DUPLICATE_KEY when
 * the key is there, even with that value. CLASS.remove_from_FIELD(ref,
 * key): a missing key is no error. One key each: what others write in the
 * same map meanwhile stays, as no whole-map set_ computed from an earlier
 * read can promise. */
int xapi_map_add(struct xapi *x, enum xb_class cls, const char *ref,
		 enum xb_field field, const char *key, const char *value);
int xapi_map_remove(struct xapi *x, enum xb_class cls, const char *ref,
		    enum xb_field field, const char *key);
/* CLASS.get_FIELD(ref): the value of key in the map (*value malloc'd),
 * or *value NULL when the key is not there. */
int xapi_map_value(struct xapi *x, enum xb_class cls, const char *ref,
		   enum xb_field field, const char *key, char **value);
/* VM.add_tags(ref, tag), or VM.remove_tags(ref, tag) when !add: one tag,
 * so that tags others set meanwhile stay (a set: neither fails for a tag
 * already there, or not). */
int xapi_tag(struct xapi *x, const char *ref, const char *tag, bool add);
/* CLASS.set_name_description(ref, text): VM, SR, network. */
int xapi_set_name_description(struct xapi *x, enum xb_class cls,
			      const char *ref, const char *description);
/* CLASS.set_name_label(ref, name). */
int xapi_set_name_label(struct xapi *x, enum xb_class cls, const char *ref,
			const char *name);

/* Whether the request for METHOD(session, args[0..nargs)), each arg a
 * string, is within XAPI_REQUEST_MAX, the session counted as xapi's: for
 * the writes of a plan, checked before the first is made. Its size is
 * counted, not encoded (xr_call_size). 0, or -1 and *why (malloc'd)
 * saying so, in the words of the call's own refusal. */
int xapi_check_size(const char *method, const char *const *args,
		    size_t nargs, char **why);

#endif
