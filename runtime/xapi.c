/* SPDX-License-Identifier: MIT */
/* xapi.c - the XenAPI client: XML-RPC over libcurl on one kept-alive
 * connection, replies decoded by xmlrpc.c, records converted into state.h.
 *
 * Every reply is untrusted: a record of the wrong shape is an error naming
 * the call, the object and the field, never a crash and never a silent
 * skip. The password is read from a file only, and never printed. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include <curl/curl.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "lib/errmsg.h"
#include "lib/hex.h"
#include "runtime/netlibs.h"
#include "runtime/xapi.h"
#include "runtime/xmlrpc.h"

/* glibc < 2.25 (EL7's 2.17) has no explicit_bzero; the crypto library's
 * wipe does the same (configure checks) */
#ifndef HAVE_EXPLICIT_BZERO
#include "lib/crypto.h"
#define explicit_bzero(p, n) xb_crypto_wipe((p), (n))
#endif

#define DEFAULT_TIMEOUT_MS  30000L
#define DEFAULT_USER        "root"
#define ORIGINATOR          "xenbake"
#define API_VERSION         "2.0"
#define PASSWORD_FILE_MAX   4096
#define MAX_ARGS            3
#define SESSION_REF_LEN     46         /* xapi's: "OpaqueRef:" and a uuid */
#define TOO_BIG "%s: a request of %zu bytes is over the %u bytes XenAPI accepts"
#define LOGOUT_TIMEOUT_MS   5000L

/* The reply being read: decoded as its bytes arrive, never held. */
struct reply_in {
	struct xr_stream *st;
	CURL *curl;
	bool refused;                /* the decoder stopped: stop reading */
};

struct xapi {
	CURL *curl;
	struct curl_slist *headers;
	char curl_err[CURL_ERROR_SIZE];
	char *endpoint;              /* as the user gave it, or the master's */
	char *scheme;                /* "unix", "http", "https" */
	char *port;                  /* "" for the scheme's default */
	char *url;
	char *unix_path;
	char *user;
	char *password;
	char *ca_file;
	bool insecure;
	bool pinned;                 /* fingerprint holds the pin */
	unsigned char fingerprint[32];
	bool pin_mismatch;           /* the last handshake met another cert */
	unsigned char seen[32];      /* ... whose SHA-256 this is */
	long timeout_ms;
	bool redirected;             /* followed HOST_IS_SLAVE once */
	char *session;               /* NULL: logged out */
	struct xapi *parent;         /* a clone: the session is the parent's */
	unsigned long calls;
	char *errmsg;
	struct xapi_fault fault;
	struct reply_in reply;
	const struct xr_sink *sink;  /* for the next rpc's records */
};

/* ---- errors ---- */

static int set_err(struct xapi *x, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int set_err(struct xapi *x, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	msg = xb_vstrf(fmt, ap);
	va_end(ap);
	free(x->errmsg);
	x->errmsg = msg;
	return -1;
}

static void fault_clear(struct xapi_fault *f)
{
	size_t i;

	free(f->code);
	for (i = 0; i < f->nparams; i++)
		free(f->params[i]);
	free(f->params);
	memset(f, 0, sizeof(*f));
}

static void clear_errors(struct xapi *x)
{
	free(x->errmsg);
	x->errmsg = NULL;
	fault_clear(&x->fault);
}

/* Takes the fault out of r; sets "METHOD: CODE [P1, P2]". */
static int set_fault(struct xapi *x, const char *method, struct xr_reply *r)
{
	size_t i, len = strlen(method) + strlen(r->code) + 8;
	char *msg;

	for (i = 0; i < r->nparams; i++)
		len += strlen(r->params[i]) + 2;
	msg = malloc(len);
	if (msg) {
		char *p = msg + sprintf(msg, "%s: %s", method, r->code);

		for (i = 0; i < r->nparams; i++)
			p += sprintf(p, "%s%s", i ? ", " : " [", r->params[i]);
		if (r->nparams)
			strcpy(p, "]");
	}
	free(x->errmsg);
	x->errmsg = msg;
	fault_clear(&x->fault);
	x->fault.code = r->code;
	x->fault.params = r->params;
	x->fault.nparams = r->nparams;
	r->code = NULL;
	r->params = NULL;
	r->nparams = 0;
	return -1;
}

/* ---- endpoint and transport ---- */

static bool host_chars_ok(const char *host, size_t len)
{
	size_t i;

	if (len == 0 || len > 253)
		return false;
	if (host[0] == '[')             /* [v6] */
		return len > 2 && host[len - 1] == ']' &&
		       strspn(host + 1, "0123456789abcdefABCDEF:.") == len - 2;
	for (i = 0; i < len; i++)
		if (!strchr("abcdefghijklmnopqrstuvwxyz"
			    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_",
			    host[i]))
			return false;
	return true;
}

/* Sets x->scheme, port, url, unix_path from an endpoint. */
static int parse_endpoint(struct xapi *x, const char *endpoint)
{
	const char *rest, *colon, *end;
	size_t hostlen;
	char *host = NULL;
	bool https;

	free(x->scheme);
	free(x->port);
	free(x->url);
	free(x->unix_path);
	x->scheme = x->port = x->url = x->unix_path = NULL;
	if (!strncmp(endpoint, "unix:", 5)) {
		if (!endpoint[5])
			return set_err(x, "bad endpoint %s: no socket path",
				       endpoint);
		x->scheme = strdup("unix");
		x->port = strdup("");
		x->unix_path = strdup(endpoint + 5);
		x->url = strdup("http://localhost/");
		goto check;
	}
	https = !strncmp(endpoint, "https://", 8);
	if (!https && strncmp(endpoint, "http://", 7))
		return set_err(x, "bad endpoint %s: expected unix:PATH, "
			       "http://HOST:PORT or https://HOST[:PORT]",
			       endpoint);
	rest = endpoint + (https ? 8 : 7);
	end = rest + strlen(rest);
	if (end > rest && end[-1] == '/')
		end--;
	if (rest[0] == '[') {
		const char *close = memchr(rest, ']', (size_t)(end - rest));

		colon = close && close + 1 < end && close[1] == ':' ?
			close + 1 : NULL;
		hostlen = close ? (size_t)(close + 1 - rest) : 0;
	} else {
		colon = memchr(rest, ':', (size_t)(end - rest));
		hostlen = (size_t)((colon ? colon : end) - rest);
	}
	if (!host_chars_ok(rest, hostlen))
		return set_err(x, "bad endpoint %s: not a host name or address",
			       endpoint);
	if (colon) {
		size_t plen = (size_t)(end - colon - 1);
		char digits[8];
		long port;

		if (plen == 0 || plen > 5 ||
		    strspn(colon + 1, "0123456789") < plen)
			return set_err(x, "bad endpoint %s: bad port",
				       endpoint);
		memcpy(digits, colon + 1, plen);
		digits[plen] = '\0';
		port = strtol(digits, NULL, 10);
		if (port < 1 || port > 65535)
			return set_err(x, "bad endpoint %s: bad port",
				       endpoint);
		x->port = strdup(digits);
	} else if (rest + hostlen != end) {
		return set_err(x, "bad endpoint %s: unexpected text after the "
			       "host", endpoint);
	} else {
		x->port = strdup("");
	}
	host = strndup(rest, hostlen);
	x->scheme = strdup(https ? "https" : "http");
	if (host && x->port && asprintf(&x->url, "%s://%s%s%s/", x->scheme,
					host, x->port[0] ? ":" : "",
					x->port) < 0)
		x->url = NULL;
	free(host);
check:
	if (!x->scheme || !x->port || !x->url ||
	    (!strcmp(x->scheme, "unix") && !x->unix_path))
		return set_err(x, "out of memory");
	return 0;
}

static size_t on_body(char *data, size_t size, size_t nmemb, void *userdata)
{
	struct reply_in *r = userdata;
	long status = 0;
	size_t n;

	if (nmemb && size > SIZE_MAX / nmemb)
		return 0;
	n = size * nmemb;
	/* an error page is not XML-RPC: its status says what went wrong */
	xb_curl.easy_getinfo(r->curl, CURLINFO_RESPONSE_CODE, &status);
	if (status != 200)
		return n;
	if (xr_stream_feed(r->st, data, n)) {
		r->refused = true;
		return 0;
	}
	return n;
}

/* ---- certificate pin ----
 * The fingerprint is checked inside the TLS handshake, by OpenSSL's verify
 * callback on the server's own certificate (depth 0): a wrong certificate
 * ends the handshake before the first byte of a request (the password
 * included) is sent. It is the SHA-256 of the certificate (DER), what
 * `openssl x509 -fingerprint -sha256` and xe's known-hosts show, not
 * libcurl's public-key pin. */

int xapi_parse_fingerprint(const char *text, unsigned char out[32])
{
	size_t n = 0;
	const char *p = text;
	int hi, lo;

	while (*p && n < 32) {
		if (n && *p == ':' && p[1])
			p++;
		hi = OPENSSL_hexchar2int((unsigned char)p[0]);
		lo = p[0] ? OPENSSL_hexchar2int((unsigned char)p[1]) : -1;
		if (hi < 0 || lo < 0)
			return -1;
		out[n++] = (unsigned char)(hi << 4 | lo);
		p += 2;
	}
	return n == 32 && !*p ? 0 : -1;
}

static int pin_index(void)
{
	static int index = -2;       /* -2: not asked yet */

	/* one value for the process, first taken by transport_init */
	if (index == -2)
		index = SSL_get_ex_new_index(0, NULL, NULL, NULL, NULL);
	return index;
}

static int pin_verify(int preverify_ok, X509_STORE_CTX *store)
{
	SSL *ssl = X509_STORE_CTX_get_ex_data(store,
			SSL_get_ex_data_X509_STORE_CTX_idx());
	SSL_CTX *ctx = ssl ? SSL_get_SSL_CTX(ssl) : NULL;
	struct xapi *x = ctx ? SSL_CTX_get_ex_data(ctx, pin_index()) : NULL;
	X509 *cert = X509_STORE_CTX_get_current_cert(store);
	unsigned int len = 0;

	if (!x || !cert)
		return 0;
	if (X509_STORE_CTX_get_error_depth(store) > 0)
		/* the chain counts only when a CA file was given */
		return x->ca_file ? preverify_ok : 1;
	if (!X509_digest(cert, EVP_sha256(), x->seen, &len) || len != 32)
		return 0;
	if (memcmp(x->seen, x->fingerprint, 32)) {
		x->pin_mismatch = true;
		return 0;
	}
	return x->ca_file ? preverify_ok : 1;
}

static CURLcode pin_ssl_ctx(CURL *c, void *sslctx, void *data)
{
	SSL_CTX *ctx = sslctx;

	(void)c;
	if (pin_index() < 0 || !SSL_CTX_set_ex_data(ctx, pin_index(), data))
		return CURLE_SSL_CERTPROBLEM;
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, pin_verify);
	return CURLE_OK;
}

static int transport_init(struct xapi *x)
{
	CURL *c;

	if (!x->curl) {
		x->curl = xb_curl.easy_init();
		x->headers = xb_curl.slist_append(NULL, "Content-Type: text/xml");
		if (x->headers)     /* no 100-continue round trip */
			x->headers = xb_curl.slist_append(x->headers, "Expect:");
		if (!x->curl || !x->headers)
			return set_err(x, "cannot set up libcurl");
	}
	c = x->curl;
	xb_curl.easy_setopt(c, CURLOPT_URL, x->url);
	xb_curl.easy_setopt(c, CURLOPT_UNIX_SOCKET_PATH, x->unix_path);
#if LIBCURL_VERSION_NUM >= 0x075500
	xb_curl.easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
#else
	xb_curl.easy_setopt(c, CURLOPT_PROTOCOLS,
			    CURLPROTO_HTTP | CURLPROTO_HTTPS);
#endif
	xb_curl.easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	xb_curl.easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	xb_curl.easy_setopt(c, CURLOPT_HTTPHEADER, x->headers);
	xb_curl.easy_setopt(c, CURLOPT_POST, 1L);
	xb_curl.easy_setopt(c, CURLOPT_TIMEOUT_MS, x->timeout_ms);
	xb_curl.easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, x->timeout_ms);
	xb_curl.easy_setopt(c, CURLOPT_ERRORBUFFER, x->curl_err);
	xb_curl.easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	xb_curl.easy_setopt(c, CURLOPT_WRITEDATA, &x->reply);
	xb_curl.easy_setopt(c, CURLOPT_SSL_VERIFYPEER, x->insecure ? 0L : 1L);
	xb_curl.easy_setopt(c, CURLOPT_SSL_VERIFYHOST, x->insecure ? 0L : 2L);
	if (x->ca_file)
		xb_curl.easy_setopt(c, CURLOPT_CAINFO, x->ca_file);
	if (x->pinned && strcmp(x->scheme, "unix")) {
		/* the pin alone (no CA file): the certificate is the trust,
		 * as xe's known-hosts; with a CA file both checks hold. The
		 * index is taken here, on the owner's thread, before any
		 * handshake (clones shake hands on their own threads). */
		if (pin_index() < 0)
			return set_err(x, "cannot set up the certificate pin");
		if (!x->ca_file) {
			xb_curl.easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
			xb_curl.easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
		}
		if (xb_curl.easy_setopt(c, CURLOPT_SSL_CTX_FUNCTION,
					pin_ssl_ctx) != CURLE_OK ||
		    xb_curl.easy_setopt(c, CURLOPT_SSL_CTX_DATA, x) != CURLE_OK)
			return set_err(x, "--xapi-fingerprint needs libcurl "
				       "built with OpenSSL");
	}
	return 0;
}

/* One XML-RPC round trip. 0 with *r (maybe a XenAPI failure), or -1. */
static int rpc(struct xapi *x, const char *method,
	       const struct xr_value *params, size_t nparams,
	       struct xr_reply *r)
{
	char *body = NULL, *err = NULL;
	size_t len = 0;
	long status = 0;
	CURLcode rc;
	int ret = -1;

	if (xr_encode_call(method, params, nparams, &body, &len, &err)) {
		set_err(x, "%s: %s", method, err ? err : "cannot encode");
		goto out;
	}
	if (len > XAPI_REQUEST_MAX) {
		set_err(x, TOO_BIG, method, len, XAPI_REQUEST_MAX);
		goto out;
	}
	xr_stream_free(x->reply.st);
	x->reply.st = xr_stream_new(x->sink, XR_MAX_VALUES);
	x->reply.curl = x->curl;
	x->reply.refused = false;
	x->pin_mismatch = false;
	if (!x->reply.st) {
		set_err(x, "out of memory");
		goto out;
	}
	x->curl_err[0] = '\0';
	xb_curl.easy_setopt(x->curl, CURLOPT_POSTFIELDS, body);
	xb_curl.easy_setopt(x->curl, CURLOPT_POSTFIELDSIZE_LARGE,
			    (curl_off_t)len);
	x->calls++;
	rc = xb_curl.easy_perform(x->curl);
	if (rc == CURLE_WRITE_ERROR && x->reply.refused)
		rc = CURLE_OK;       /* the decoder says why below */
	if (rc == CURLE_OPERATION_TIMEDOUT) {
		set_err(x, "%s: no reply from %s within %ld ms", method,
			x->endpoint, x->timeout_ms);
		goto out;
	}
	if (rc == CURLE_COULDNT_CONNECT || rc == CURLE_COULDNT_RESOLVE_HOST) {
		set_err(x, "cannot connect to %s: %s", x->endpoint,
			x->curl_err[0] ? x->curl_err : xb_curl.easy_strerror(rc));
		goto out;
	}
	if (rc != CURLE_OK && x->pin_mismatch) {
		char want[65], got[65];

		xb_hex(want, x->fingerprint, 32);
		xb_hex(got, x->seen, 32);
		set_err(x, "%s: %s: the server's certificate has SHA-256 "
			"fingerprint %s, not the pinned %s (--xapi-fingerprint):"
			" nothing was sent", method, x->endpoint, got, want);
		goto out;
	}
	if (rc != CURLE_OK) {
		set_err(x, "%s: %s: %s", method, x->endpoint,
			x->curl_err[0] ? x->curl_err : xb_curl.easy_strerror(rc));
		goto out;
	}
	xb_curl.easy_getinfo(x->curl, CURLINFO_RESPONSE_CODE, &status);
	if (status != 200) {
		set_err(x, "%s: HTTP status %ld from %s", method, status,
			x->endpoint);
		goto out;
	}
	if (xr_stream_reply(x->reply.st, r, &err)) {
		/* a record the reader refused: its message is set */
		if (!xr_stream_sink_failed(x->reply.st))
			set_err(x, "%s: %s", method, err ? err : "bad reply");
		goto out;
	}
	ret = 0;
out:
	xr_stream_free(x->reply.st);   /* the parser's buffers go now */
	x->reply.st = NULL;
	free(err);
	free(body);
	return ret;
}

/* ---- session ---- */

static int switch_to_master(struct xapi *x, const char *master)
{
	char *endpoint = NULL;
	const char *open = "", *close = "";

	if (!strcmp(x->scheme, "unix"))
		return set_err(x, "%s says it is a pool member (HOST_IS_SLAVE "
			       "[%s]) on its local socket", x->endpoint,
			       master);
	if (strchr(master, ':')) {
		open = "[";
		close = "]";
	}
	if (!host_chars_ok(master, strlen(master)) && !(open[0] &&
	    strspn(master, "0123456789abcdefABCDEF:.") == strlen(master)))
		return set_err(x, "%s: HOST_IS_SLAVE names a master \"%.80s\" "
			       "that is not a host name or address",
			       x->endpoint, master);
	if (asprintf(&endpoint, "%s://%s%s%s%s%s", x->scheme, open, master,
		     close, x->port[0] ? ":" : "", x->port) < 0)
		return set_err(x, "out of memory");
	free(x->endpoint);
	x->endpoint = endpoint;
	x->redirected = true;
	/* a new host: a new connection */
	if (parse_endpoint(x, endpoint) || transport_init(x))
		return -1;
	return 0;
}

static int login(struct xapi *x)
{
	static char api_version[] = API_VERSION, originator[] = ORIGINATOR;
	const char *method = "session.login_with_password";
	struct xr_value params[4] = { 0 };
	struct xr_reply r = { 0 };
	int ret = -1;

	free(x->session);
	x->session = NULL;
	params[0].type = params[1].type = XR_STRING;
	params[2].type = params[3].type = XR_STRING;
	params[0].str = x->user;
	params[1].str = x->password;
	params[2].str = api_version;
	params[3].str = originator;
	for (;;) {
		if (rpc(x, method, params, 4, &r))
			goto out;
		if (r.failed && !strcmp(r.code, "HOST_IS_SLAVE") &&
		    r.nparams >= 1 && !x->redirected) {
			if (switch_to_master(x, r.params[0]))
				goto out;
			xr_reply_free(&r);
			continue;
		}
		break;
	}
	if (r.failed) {
		set_fault(x, method, &r);
		goto out;
	}
	if (r.value.type != XR_STRING || !r.value.str[0]) {
		set_err(x, "%s: the session is %s, not a reference", method,
			r.value.type == XR_STRING ? "an empty string" :
			xr_type_phrase(r.value.type));
		goto out;
	}
	x->session = r.value.str;
	r.value.str = NULL;
	x->parent = NULL;          /* a clone that logged in owns its session */
	ret = 0;
out:
	xr_reply_free(&r);
	return ret;
}

int xapi_check_size(const char *method, const char *const *args,
		    size_t nargs, char **why)
{
	const char *params[MAX_ARGS + 1];
	char session[SESSION_REF_LEN + 1];
	size_t len;

	if (nargs > MAX_ARGS) {
		*why = xb_strf("%s: too many arguments", method);
		return -1;
	}
	memset(session, 'x', SESSION_REF_LEN);
	session[SESSION_REF_LEN] = '\0';
	params[0] = session;
	memcpy(params + 1, args, nargs * sizeof(*args));
	len = xr_call_size(method, params, nargs + 1);
	if (len <= XAPI_REQUEST_MAX)
		return 0;
	*why = xb_strf(TOO_BIG, method, len, XAPI_REQUEST_MAX);
	return -1;
}

/* METHOD(session, args...): result moved into *result. On SESSION_INVALID
 * logs in again, once, and retries. */
static int call(struct xapi *x, const char *method,
		const struct xr_value *args, size_t nargs,
		struct xr_value *result)
{
	struct xr_value params[MAX_ARGS + 1];
	struct xr_reply r = { 0 };
	bool retried = false;
	size_t i;
	int ret = -1;

	clear_errors(x);
	if (nargs > MAX_ARGS)
		return set_err(x, "%s: too many arguments", method);
	if (!x->session && login(x))
		return -1;
	for (;;) {
		memset(params, 0, sizeof(params));
		params[0].type = XR_STRING;
		params[0].str = x->session;
		for (i = 0; i < nargs; i++)
			params[i + 1] = args[i];      /* shallow, read only */
		if (rpc(x, method, params, nargs + 1, &r))
			goto out;
		if (r.failed && !strcmp(r.code, "SESSION_INVALID") &&
		    !retried) {
			retried = true;
			xr_reply_free(&r);
			if (login(x))
				goto out;
			continue;
		}
		break;
	}
	if (r.failed) {
		set_fault(x, method, &r);
		goto out;
	}
	if (result) {
		*result = r.value;
		memset(&r.value, 0, sizeof(r.value));
	}
	ret = 0;
out:
	xr_reply_free(&r);
	return ret;
}

/* Whether path is a regular file, found without blocking on a FIFO. */
static bool regular_file(const char *path)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	bool ok = fd >= 0 && !fstat(fd, &st) && S_ISREG(st.st_mode);

	if (fd >= 0)
		close(fd);
	return ok;
}

/* First line of the file; refuses a file others may read or write. */
static int read_password(struct xapi *x, const char *path)
{
	char buf[PASSWORD_FILE_MAX + 1];
	struct stat st;
	ssize_t n;
	size_t len = 0;
	int fd = -1, ret = -1;

	/* O_NONBLOCK: a FIFO must not hang the open; fstat refuses it */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		set_err(x, "password file %s: %s", path, strerror(errno));
		goto out;
	}
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		set_err(x, "password file %s: not a regular file", path);
		goto out;
	}
	if (st.st_mode & (S_IROTH | S_IWOTH)) {
		set_err(x, "password file %s: refused: others may %s it "
			"(chmod o-rw %s)", path,
			st.st_mode & S_IROTH ? "read" : "write", path);
		goto out;
	}
	while (len < sizeof(buf) - 1) {
		n = read(fd, buf + len, sizeof(buf) - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			set_err(x, "password file %s: %s", path,
				strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	len = strcspn(buf, "\n");
	if (len == PASSWORD_FILE_MAX) {
		set_err(x, "password file %s: first line longer than %d bytes",
			path, PASSWORD_FILE_MAX - 1);
		goto out;
	}
	if (len && buf[len - 1] == '\r')
		len--;
	buf[len] = '\0';
	x->password = strdup(buf);
	if (!x->password) {
		set_err(x, "out of memory");
		goto out;
	}
	ret = 0;
out:
	explicit_bzero(buf, sizeof(buf));
	if (fd >= 0)
		close(fd);
	return ret;
}

static void free_handle(struct xapi *x)
{
	if (x->curl)
		xb_curl.easy_cleanup(x->curl);
	xb_curl.slist_free_all(x->headers);
	if (x->password) {
		explicit_bzero(x->password, strlen(x->password));
		free(x->password);
	}
	free(x->endpoint);
	free(x->scheme);
	free(x->port);
	free(x->url);
	free(x->unix_path);
	free(x->user);
	free(x->ca_file);
	free(x->session);
	free(x->errmsg);
	fault_clear(&x->fault);
	xr_stream_free(x->reply.st);
	free(x);
	xb_curl.global_cleanup();
}

/* An empty handle; free_handle() undoes it. */
static struct xapi *new_handle(char **errmsg)
{
	struct xapi *x;

	*errmsg = NULL;
	if (xb_netlibs_load(errmsg))
		return NULL;
	if (xb_curl.global_init(CURL_GLOBAL_DEFAULT)) {
		*errmsg = strdup("cannot initialise libcurl");
		return NULL;
	}
	x = calloc(1, sizeof(*x));
	if (!x) {
		xb_curl.global_cleanup();
		*errmsg = strdup("out of memory");
	}
	return x;
}

struct xapi *xapi_connect(const struct xapi_options *opt, char **errmsg)
{
	static const struct xapi_options defaults = { 0 };
	struct xapi *x = NULL;
	const char *endpoint, *ca;

	if (!opt)
		opt = &defaults;
	x = new_handle(errmsg);
	if (!x)
		return NULL;
	endpoint = opt->endpoint ? opt->endpoint : XAPI_DEFAULT_ENDPOINT;
	ca = opt->ca_file ? opt->ca_file : getenv("XENBAKE_CA_FILE");
	if (ca && !ca[0])
		ca = NULL;
	x->timeout_ms = opt->timeout_ms > 0 ? opt->timeout_ms :
			DEFAULT_TIMEOUT_MS;
	x->insecure = opt->insecure;
	if (opt->fingerprint) {
		if (xapi_parse_fingerprint(opt->fingerprint, x->fingerprint)) {
			set_err(x, "bad certificate fingerprint '%s': expected "
				"the 64 hex digits of its SHA-256 (colons "
				"allowed)", opt->fingerprint);
			goto fail;
		}
		x->pinned = true;
	}
	x->endpoint = strdup(endpoint);
	x->user = strdup(opt->user ? opt->user : DEFAULT_USER);
	if (ca)
		x->ca_file = strdup(ca);
	if (!x->endpoint || !x->user || (ca && !x->ca_file)) {
		set_err(x, "out of memory");
		goto fail;
	}
	if (ca && !regular_file(ca)) {
		/* curl would open a FIFO and wait for a writer forever */
		set_err(x, "CA file %s: not a regular file", ca);
		goto fail;
	}
	if (opt->password_file) {
		if (read_password(x, opt->password_file))
			goto fail;
	} else {
		x->password = strdup("");
		if (!x->password) {
			set_err(x, "out of memory");
			goto fail;
		}
	}
	if (parse_endpoint(x, endpoint) || transport_init(x) || login(x))
		goto fail;
	return x;
fail:
	*errmsg = x->errmsg;
	x->errmsg = NULL;
	if (!*errmsg)
		*errmsg = strdup("cannot connect to XenAPI");
	free_handle(x);
	return NULL;
}

static char *dup_or_null(const char *s, bool *oom)
{
	char *d = s ? strdup(s) : NULL;

	if (s && !d)
		*oom = true;
	return d;
}

struct xapi *xapi_clone(struct xapi *x, char **errmsg)
{
	struct xapi *c;
	bool oom = false;

	c = new_handle(errmsg);
	if (!c)
		return NULL;
	c->parent = x;
	c->timeout_ms = x->timeout_ms;
	c->insecure = x->insecure;
	c->pinned = x->pinned;
	memcpy(c->fingerprint, x->fingerprint, sizeof(c->fingerprint));
	c->redirected = x->redirected;
	c->endpoint = dup_or_null(x->endpoint, &oom);
	c->scheme = dup_or_null(x->scheme, &oom);
	c->port = dup_or_null(x->port, &oom);
	c->url = dup_or_null(x->url, &oom);
	c->unix_path = dup_or_null(x->unix_path, &oom);
	c->user = dup_or_null(x->user, &oom);
	c->password = dup_or_null(x->password, &oom);
	c->ca_file = dup_or_null(x->ca_file, &oom);
	c->session = dup_or_null(x->session, &oom);
	if (oom || transport_init(c)) {
		*errmsg = strdup(oom ? "out of memory" : xapi_errmsg(c));
		free_handle(c);
		return NULL;
	}
	return c;
}

void xapi_close(struct xapi *x)
{
	struct xr_value params[1] = { 0 };
	struct xr_reply r = { 0 };

	if (!x)
		return;
	if (x->parent) {             /* a clone: the parent logs out */
		x->parent->calls += x->calls;
		free(x->session);
		x->session = NULL;
	}
	if (x->session) {
		/* best effort, and quick: a session left behind expires on
		 * its own, and an exit should not wait a full timeout */
		long t = x->timeout_ms < LOGOUT_TIMEOUT_MS ? x->timeout_ms :
			 LOGOUT_TIMEOUT_MS;

		xb_curl.easy_setopt(x->curl, CURLOPT_TIMEOUT_MS, t);
		params[0].type = XR_STRING;
		params[0].str = x->session;
		if (rpc(x, "session.logout", params, 1, &r) == 0)
			xr_reply_free(&r);
		free(x->session);
		x->session = NULL;
	}
	free_handle(x);
}

const char *xapi_errmsg(const struct xapi *x)
{
	if (!x)
		return "no XenAPI connection";
	return x->errmsg ? x->errmsg : "no error";
}

const struct xapi_fault *xapi_fault(const struct xapi *x)
{
	return x && x->fault.code ? &x->fault : NULL;
}

unsigned long xapi_calls(const struct xapi *x)
{
	return x ? x->calls : 0;
}

/* ---- records ---- */

/* Where a field came from, for messages. */
struct where {
	struct xapi *x;
	const char *method;
	const char *ref;
};

static const struct xr_value *field_of(const struct where *w,
				       const struct xr_value *rec,
				       const char *field, enum xr_type type)
{
	const struct xr_value *v = xr_struct_get(rec, field);

	if (!v) {
		set_err(w->x, "%s: record %s has no field %s", w->method,
			w->ref, field);
		return NULL;
	}
	if (v->type != type) {
		set_err(w->x, "%s: record %s: field %s is %s, not %s",
			w->method, w->ref, field, xr_type_phrase(v->type),
			xr_type_phrase(type));
		return NULL;
	}
	return v;
}

static int get_string(const struct where *w, const struct xr_value *rec,
		      const char *field, char **out)
{
	const struct xr_value *v = field_of(w, rec, field, XR_STRING);

	if (!v)
		return -1;
	free(*out);
	*out = strdup(v->str);
	return *out ? 0 : set_err(w->x, "out of memory");
}

static int get_bool(const struct where *w, const struct xr_value *rec,
		    const char *field, bool *out)
{
	const struct xr_value *v = field_of(w, rec, field, XR_BOOL);

	if (!v)
		return -1;
	*out = v->num != 0;
	return 0;
}

static int get_map(const struct where *w, const struct xr_value *rec,
		   const char *field, struct xb_map *out)
{
	const struct xr_value *v = field_of(w, rec, field, XR_STRUCT);
	size_t i;

	if (!v)
		return -1;
	/* sized once: doubling left a third of 10k VMs' maps unused */
	if (xb_map_reserve(out, v->n))
		return set_err(w->x, "out of memory");
	for (i = 0; i < v->n; i++) {
		char clip[XR_CLIP_SIZE];

		if (v->items[i].type != XR_STRING)
			return set_err(w->x, "%s: record %s: field %s: key "
				       "\"%s\" is %s, not a string",
				       w->method, w->ref, field,
				       xr_clip(clip, v->names[i], 80),
				       xr_type_phrase(v->items[i].type));
		if (xb_map_set(out, v->names[i], v->items[i].str))
			return set_err(w->x, "out of memory");
	}
	return 0;
}

/* A set of strings (VM.tags) as a map of each -> "" */
static int get_set(const struct where *w, const struct xr_value *rec,
		   const char *field, struct xb_map *out)
{
	const struct xr_value *v = field_of(w, rec, field, XR_ARRAY);
	size_t i;

	if (!v)
		return -1;
	for (i = 0; i < v->n; i++) {
		if (v->items[i].type != XR_STRING)
			return set_err(w->x, "%s: record %s: field %s: item "
				       "%zu is %s, not a string", w->method,
				       w->ref, field, i,
				       xr_type_phrase(v->items[i].type));
		if (xb_map_set(out, v->items[i].str, ""))
			return set_err(w->x, "out of memory");
	}
	return 0;
}

/* xapi sends int fields as strings ("5"); a plain int is fine too. */
static int get_domid(const struct where *w, const struct xr_value *rec,
		     int *out)
{
	const struct xr_value *v = xr_struct_get(rec, "domid");
	char clip[XR_CLIP_SIZE];
	long long n;
	char *end;

	if (!v)
		return set_err(w->x, "%s: record %s has no field domid",
			       w->method, w->ref);
	if (v->type == XR_INT) {
		n = v->num;
	} else if (v->type == XR_STRING && v->str[0]) {
		errno = 0;
		n = strtoll(v->str, &end, 10);
		if (*end || errno)
			return set_err(w->x, "%s: record %s: field domid is "
				       "\"%s\", not a number", w->method,
				       w->ref, xr_clip(clip, v->str, 40));
	} else {
		return set_err(w->x, "%s: record %s: field domid is %s, not "
			       "a number", w->method, w->ref,
			       v->type == XR_STRING ? "an empty string" :
			       xr_type_phrase(v->type));
	}
	if (n < -1 || n > 65535)
		return set_err(w->x, "%s: record %s: domid %lld is out of "
			       "range", w->method, w->ref, n);
	*out = (int)n;
	return 0;
}

/* PIF.VLAN: -1 (physical) or a tag, sent as a string like every int. */
static int get_vlan(const struct where *w, const struct xr_value *rec,
		    long *out)
{
	const struct xr_value *v = xr_struct_get(rec, "VLAN");
	long long n = 0;
	char *end = NULL;

	if (!v)
		return set_err(w->x, "%s: record %s has no field VLAN",
			       w->method, w->ref);
	if (v->type == XR_INT) {
		n = v->num;
	} else if (v->type == XR_STRING && v->str[0]) {
		errno = 0;
		n = strtoll(v->str, &end, 10);
		if (*end || errno)
			n = LLONG_MIN;
	} else {
		n = LLONG_MIN;
	}
	if (n < -1 || n > (long long)XB_VLAN_MAX)
		return set_err(w->x, "%s: record %s: field VLAN is not -1 or "
			       "a tag 0..%u", w->method, w->ref, XB_VLAN_MAX);
	*out = (long)n;
	return 0;
}

/* Every string of an object set, so no consumer meets a NULL. */
static int object_init(struct xapi *x, struct xb_object *o,
		       enum xb_class cls, const char *ref)
{
	memset(o, 0, sizeof(*o));
	o->cls = cls;
	o->domid = -1;
	o->vlan = -1;
	o->ref = strdup(ref);
	o->uuid = strdup("");
	o->name_label = strdup("");
	o->name_description = strdup("");
	o->resident_on = strdup("");
	o->device = strdup("");
	o->host = strdup("");
	o->network = strdup("");
	if (!o->ref || !o->uuid || !o->name_label || !o->name_description ||
	    !o->resident_on ||
	    !o->device || !o->host || !o->network)
		return set_err(x, "out of memory");
	return 0;
}

static int convert_object(const struct where *w, enum xb_class cls,
			  const struct xr_value *rec, struct xb_object *o)
{
	const struct xr_value *power;

	if (get_string(w, rec, "uuid", &o->uuid) ||
	    get_map(w, rec, "other_config", &o->other_config))
		return -1;
	switch (cls) {
	case XB_CLASS_VM:
		power = field_of(w, rec, "power_state", XR_STRING);
		if (!power ||
		    get_string(w, rec, "name_label", &o->name_label) ||
		    get_domid(w, rec, &o->domid) ||
		    get_string(w, rec, "resident_on", &o->resident_on) ||
		    get_bool(w, rec, "is_a_template", &o->is_template) ||
		    get_bool(w, rec, "is_control_domain",
			     &o->is_control_domain) ||
		    get_map(w, rec, "xenstore_data", &o->xenstore_data) ||
		    get_string(w, rec, "name_description",
			       &o->name_description) ||
		    get_set(w, rec, "tags", &o->tags))
			return -1;
		/* a paused VM keeps its domain and its live vm-data */
		o->running = !strcmp(power->str, "Running") ||
			     !strcmp(power->str, "Paused");
		if (!o->running)
			o->domid = -1;
		if (!strcmp(o->resident_on, "OpaqueRef:NULL"))
			o->resident_on[0] = '\0';
		return 0;
	case XB_CLASS_SR:
	case XB_CLASS_NETWORK:
		return get_string(w, rec, "name_label", &o->name_label) ||
		       get_string(w, rec, "name_description",
				  &o->name_description) ? -1 : 0;
	case XB_CLASS_HOST:
	case XB_CLASS_POOL:
		return get_string(w, rec, "name_label", &o->name_label);
	case XB_CLASS_PIF:
		return get_string(w, rec, "device", &o->device) ||
		       get_vlan(w, rec, &o->vlan) ||
		       get_string(w, rec, "host", &o->host) ||
		       get_string(w, rec, "network", &o->network) ? -1 : 0;
	}
	return set_err(w->x, "%s: unknown class %d", w->method, (int)cls);
}

/* CLASS.get_all_records, read record by record: each goes to the
 * reader as it is decoded, with only the fields it uses. */
enum reader_kind { READ_HOSTS, READ_OBJECTS, READ_PBDS };

struct reader {
	struct xapi *x;
	char method[64];
	enum reader_kind kind;
	enum xb_class cls;
	const char *const *fields;   /* NULL-terminated */
	struct xb_actual *a;
	size_t cap;                  /* room in a->objects or a->hosts */
	bool *plugged;               /* PBDs: per a->objects */
};

static const char *const host_fields[] = {
	"uuid", "name_label", "address", "other_config", NULL };
static const char *const vm_fields[] = {
	"uuid", "other_config", "power_state", "name_label", "domid",
	"resident_on", "is_a_template", "is_control_domain", "xenstore_data",
	"name_description", "tags", NULL };
static const char *const named_fields[] = {      /* SR, network */
	"uuid", "other_config", "name_label", "name_description", NULL };
static const char *const pool_fields[] = {
	"uuid", "other_config", "name_label", NULL };
static const char *const pif_fields[] = {
	"uuid", "other_config", "device", "host", "network", "VLAN", NULL };
static const char *const pbd_fields[] = {
	"SR", "host", "currently_attached", NULL };

static bool reader_wants(void *ctx, const char *field)
{
	const struct reader *rd = ctx;
	size_t i;

	for (i = 0; rd->fields[i]; i++)
		if (!strcmp(rd->fields[i], field))
			return true;
	return false;
}

static int grow_array(struct reader *rd, void **p, size_t n, size_t size)
{
	size_t cap;
	void *q;

	if (n < rd->cap)
		return 0;
	cap = rd->cap ? rd->cap * 2 : 64;
	if (cap > SIZE_MAX / size / 2)
		return set_err(rd->x, "%s: too many records", rd->method);
	q = realloc(*p, cap * size);
	if (!q)
		return set_err(rd->x, "out of memory");
	*p = q;
	rd->cap = cap;
	return 0;
}

static int read_host(struct reader *rd, const struct where *w,
		     const char *ref, const struct xr_value *rec)
{
	struct xb_actual *a = rd->a;
	struct xb_host *h;

	if (grow_array(rd, (void **)&a->hosts, a->nhosts + 1,
		       sizeof(*a->hosts)))
		return -1;
	h = &a->hosts[a->nhosts++];
	memset(h, 0, sizeof(*h));
	h->ref = strdup(ref);
	if (!h->ref)
		return set_err(rd->x, "out of memory");
	return get_string(w, rec, "uuid", &h->uuid) ||
	       get_string(w, rec, "name_label", &h->name_label) ||
	       get_string(w, rec, "address", &h->address) ||
	       get_map(w, rec, "other_config", &h->other_config) ? -1 : 0;
}

static int read_object(struct reader *rd, const struct where *w,
		       const char *ref, const struct xr_value *rec)
{
	struct xb_actual *a = rd->a;
	struct xb_object *o;

	if (grow_array(rd, (void **)&a->objects, a->nobjects + 1,
		       sizeof(*a->objects)))
		return -1;
	o = &a->objects[a->nobjects++];   /* counted first: freed on error */
	if (object_init(rd->x, o, rd->cls, ref))
		return -1;
	return convert_object(w, rd->cls, rec, o);
}

static int add_pbd_host(struct xb_object *o, const char *host);

/* A PBD: the host its SR is on (pool-shaped selectors), and whether it is
 * plugged (SR.set_name_label needs one). */
static int read_pbd(struct reader *rd, const struct where *w,
		    const struct xr_value *rec)
{
	const struct xr_value *sr = field_of(w, rec, "SR", XR_STRING);
	const struct xr_value *host = field_of(w, rec, "host", XR_STRING);
	bool attached;
	size_t j;

	if (!sr || !host || get_bool(w, rec, "currently_attached", &attached))
		return -1;
	/* a PBD of an SR not in a (created since) changes nothing */
	for (j = 0; j < rd->a->nobjects; j++) {
		struct xb_object *o = &rd->a->objects[j];

		if (o->cls != XB_CLASS_SR || strcmp(o->ref, sr->str))
			continue;
		if (add_pbd_host(o, host->str))
			return set_err(rd->x, "out of memory");
		if (attached)
			rd->plugged[j] = true;
	}
	return 0;
}

static int reader_record(void *ctx, const char *ref, struct xr_value *rec,
			 char **errmsg)
{
	struct reader *rd = ctx;
	char clip[XR_CLIP_SIZE];
	struct where w = { rd->x, rd->method, xr_clip(clip, ref, 80) };

	*errmsg = NULL;
	if (rec->type != XR_STRUCT)
		return set_err(rd->x, "%s: record %s is %s, not a struct",
			       rd->method, w.ref, xr_type_phrase(rec->type));
	switch (rd->kind) {
	case READ_HOSTS:
		return read_host(rd, &w, ref, rec);
	case READ_OBJECTS:
		return read_object(rd, &w, ref, rec);
	case READ_PBDS:
		return read_pbd(rd, &w, rec);
	}
	return -1;
}

static int get_all_records(struct reader *rd, const char *cls)
{
	struct xr_sink sink = { reader_wants, reader_record, rd };
	struct xr_value recs = { 0 };
	struct xapi *x = rd->x;
	int ret = -1;

	snprintf(rd->method, sizeof(rd->method), "%s.get_all_records", cls);
	x->sink = &sink;
	ret = call(x, rd->method, NULL, 0, &recs);
	x->sink = NULL;
	if (ret)
		goto out;
	if (recs.type != XR_STRUCT)
		ret = set_err(x, "%s: %s, not a struct of records", rd->method,
			      xr_type_phrase(recs.type));
out:
	xr_value_free(&recs);
	return ret;
}

static int read_hosts(struct xapi *x, struct xb_actual *tmp)
{
	struct reader rd = { .x = x, .kind = READ_HOSTS,
			     .fields = host_fields, .a = tmp };

	return get_all_records(&rd, "host");
}

static int read_class(struct xapi *x, enum xb_class cls,
		      struct xb_actual *tmp, size_t *cap)
{
	struct reader rd = { .x = x, .kind = READ_OBJECTS, .cls = cls,
			     .a = tmp, .cap = *cap };
	int ret;

	rd.fields = cls == XB_CLASS_VM ? vm_fields :
		    cls == XB_CLASS_PIF ? pif_fields :
		    cls == XB_CLASS_POOL ? pool_fields : named_fields;
	ret = get_all_records(&rd, xb_class_xapi(cls));
	*cap = rd.cap;
	return ret;
}

/* Each host read is also an object of its class: `host "N"` blocks
 * configure it as any other (its other_config). */
static int add_host_objects(struct xapi *x, struct xb_actual *tmp,
			    size_t *cap)
{
	size_t i, n = tmp->nobjects + tmp->nhosts;
	struct xb_object *o;

	if (n > *cap) {
		o = realloc(tmp->objects, n * sizeof(*o));
		if (!o)
			return set_err(x, "out of memory");
		tmp->objects = o;
		*cap = n;
	}
	for (i = 0; i < tmp->nhosts; i++) {
		const struct xb_host *h = &tmp->hosts[i];

		o = &tmp->objects[tmp->nobjects++];
		if (object_init(x, o, XB_CLASS_HOST, h->ref))
			return -1;
		free(o->uuid);
		free(o->name_label);
		o->uuid = strdup(h->uuid ? h->uuid : "");
		o->name_label = strdup(h->name_label ? h->name_label : "");
		if (!o->uuid || !o->name_label ||
		    xb_map_copy(&o->other_config, &h->other_config))
			return set_err(x, "out of memory");
	}
	return 0;
}

int xapi_read_state(struct xapi *x, struct xb_actual *a)
{
	static const enum xb_class classes[] = {
		XB_CLASS_VM, XB_CLASS_SR, XB_CLASS_NETWORK, XB_CLASS_PIF,
		XB_CLASS_POOL,
	};
	struct xb_actual tmp = { 0 }, old = { 0 };
	size_t i, cap = 0;
	int ret = -1;

	if (!x)
		return -1;
	clear_errors(x);
	if (read_hosts(x, &tmp))
		goto out;
	for (i = 0; i < sizeof(classes) / sizeof(classes[0]); i++)
		if (read_class(x, classes[i], &tmp, &cap))
			goto out;
	if (add_host_objects(x, &tmp, &cap))
		goto out;
	/* all read: replace what a held from XenAPI, keep the rest */
	old.hosts = a->hosts;
	old.nhosts = a->nhosts;
	old.objects = a->objects;
	old.nobjects = a->nobjects;
	a->hosts = tmp.hosts;
	a->nhosts = tmp.nhosts;
	a->objects = tmp.objects;
	a->nobjects = tmp.nobjects;
	a->have_xapi = true;
	memset(&tmp, 0, sizeof(tmp));
	ret = 0;
out:
	xb_actual_free(&old);
	xb_actual_free(&tmp);
	return ret;
}

static void drop_pbd_hosts(struct xb_object *o)
{
	size_t i;

	for (i = 0; i < o->npbd_hosts; i++)
		free(o->pbd_hosts[i]);
	free(o->pbd_hosts);
	o->pbd_hosts = NULL;
	o->npbd_hosts = 0;
}

static int add_pbd_host(struct xb_object *o, const char *host)
{
	char **v, *h;

	if (o->npbd_hosts >= SIZE_MAX / sizeof(*v) - 1)
		return -1;
	v = realloc(o->pbd_hosts, (o->npbd_hosts + 1) * sizeof(*v));
	if (!v)
		return -1;
	o->pbd_hosts = v;
	h = strdup(host);
	if (!h)
		return -1;
	v[o->npbd_hosts++] = h;
	return 0;
}

int xapi_read_pbds(struct xapi *x, struct xb_actual *a)
{
	struct reader rd = { .x = x, .kind = READ_PBDS, .fields = pbd_fields,
			     .a = a };
	size_t j;
	int ret = -1;

	if (!x)
		return -1;
	clear_errors(x);
	rd.plugged = calloc(a->nobjects + 1, sizeof(*rd.plugged));
	if (!rd.plugged) {
		set_err(x, "out of memory");
		goto out;
	}
	for (j = 0; j < a->nobjects; j++)       /* read again: from scratch */
		drop_pbd_hosts(&a->objects[j]);
	if (get_all_records(&rd, "PBD"))
		goto out;
	for (j = 0; j < a->nobjects; j++)
		if (a->objects[j].cls == XB_CLASS_SR)
			a->objects[j].pbds_plugged = rd.plugged[j];
	a->have_pbds = true;
	ret = 0;
out:
	free(rd.plugged);
	return ret;
}

/* ---- writes ---- */

static int check_ref(struct xapi *x, const char *method, const char *ref)
{
	const char *why;
	size_t off;

	if (!ref || !ref[0])
		return set_err(x, "%s: no object reference", method);
	if (!xr_xml_safe(ref, strlen(ref), &why, &off))
		return set_err(x, "%s: reference: %s at byte %zu", method,
			       why, off);
	return 0;
}

/* The start of a call on a map field: "CLASS.VERBFIELD" into method (verb
 * "set_", "get_", "add_to_", "remove_from_"), x's errors cleared, and 0;
 * or -1, with the error set, when field is no map of cls or ref is no
 * reference. */
static int map_call(struct xapi *x, enum xb_class cls, enum xb_field field,
		    const char *verb, const char *ref, char *method,
		    size_t size)
{
	if (!x)
		return -1;
	clear_errors(x);
	snprintf(method, size, "%s.%s%s", xb_class_xapi(cls), verb,
		 xb_field_xapi(field));
	if (cls < XB_CLASS_VM || cls > XB_CLASS_MAX ||
	    (field != XB_FIELD_OTHER_CONFIG &&
	     !(field == XB_FIELD_XENSTORE_DATA && cls == XB_CLASS_VM)))
		return set_err(x, "%s: not a map field of that class", method);
	return check_ref(x, method, ref) ? -1 : 0;
}

int xapi_set_map(struct xapi *x, enum xb_class cls, const char *ref,
		 enum xb_field field, const struct xb_map *map)
{
	struct xr_value args[2] = { { 0 } };
	char method[64];
	const char *why;
	size_t i, off;
	int ret = -1;

	if (map_call(x, cls, field, "set_", ref, method, sizeof(method)))
		return -1;
	if (xr_set_string(&args[0], ref))
		return set_err(x, "out of memory");
	xr_set_struct(&args[1]);
	for (i = 0; i < map->n; i++) {
		const struct xb_kv *kv = &map->kv[i];

		if (!xr_xml_safe(kv->key, strlen(kv->key), &why, &off)) {
			set_err(x, "%s(%s): key \"%.80s\": %s at byte %zu",
				method, ref, kv->key, why, off);
			goto out;
		}
		if (!xr_xml_safe(kv->value, strlen(kv->value), &why, &off)) {
			set_err(x, "%s(%s): value of key \"%.80s\": %s at "
				"byte %zu", method, ref, kv->key, why, off);
			goto out;
		}
		if (xr_struct_add_string(&args[1], kv->key, kv->value)) {
			set_err(x, "out of memory");
			goto out;
		}
	}
	ret = call(x, method, args, 2, NULL);
out:
	xr_value_free(&args[0]);
	xr_value_free(&args[1]);
	return ret;
}

/* CLASS.set_FIELD(ref, string) */
static int set_string(struct xapi *x, enum xb_class cls, const char *ref,
		      const char *field, const char *what, const char *value)
{
	struct xr_value args[2] = { { 0 } };
	char method[64];
	const char *why;
	size_t off;
	int ret = -1;

	if (!x)
		return -1;
	clear_errors(x);
	snprintf(method, sizeof(method), "%s.set_%s", xb_class_xapi(cls),
		 field);
	if (cls < XB_CLASS_VM || cls > XB_CLASS_MAX)
		return set_err(x, "%s: unknown class %d", method, (int)cls);
	if (check_ref(x, method, ref))
		return -1;
	if (!xr_xml_safe(value, strlen(value), &why, &off))
		return set_err(x, "%s(%s): %s: %s at byte %zu", method, ref,
			       what, why, off);
	if (xr_set_string(&args[0], ref) || xr_set_string(&args[1], value))
		set_err(x, "out of memory");
	else
		ret = call(x, method, args, 2, NULL);
	xr_value_free(&args[0]);
	xr_value_free(&args[1]);
	return ret;
}

int xapi_set_name_label(struct xapi *x, enum xb_class cls, const char *ref,
			const char *name)
{
	return set_string(x, cls, ref, "name_label", "name", name);
}

int xapi_set_name_description(struct xapi *x, enum xb_class cls,
			      const char *ref, const char *description)
{
	if (cls != XB_CLASS_VM && cls != XB_CLASS_SR &&
	    cls != XB_CLASS_NETWORK)
		return set_err(x, "%s.set_name_description: not set by xenbake",
			       xb_class_xapi(cls));
	return set_string(x, cls, ref, "name_description", "description",
			  description);
}

int xapi_tag(struct xapi *x, const char *ref, const char *tag, bool add)
{
	const char *method = add ? "VM.add_tags" : "VM.remove_tags";
	struct xr_value args[2] = { { 0 } };
	const char *why;
	size_t off;
	int ret = -1;

	if (!x)
		return -1;
	clear_errors(x);
	if (check_ref(x, method, ref))
		return -1;
	if (!xr_xml_safe(tag, strlen(tag), &why, &off))
		return set_err(x, "%s(%s): tag \"%.80s\": %s at byte %zu",
			       method, ref, tag, why, off);
	if (xr_set_string(&args[0], ref) || xr_set_string(&args[1], tag))
		set_err(x, "out of memory");
	else
		ret = call(x, method, args, 2, NULL);
	xr_value_free(&args[0]);
	xr_value_free(&args[1]);
	return ret;
}

/* CLASS.add_to_FIELD(ref, key, value), or remove_from_FIELD(ref, key)
 * when value is NULL: one key, so that keys others write meanwhile stay. */
static int map_key_call(struct xapi *x, enum xb_class cls, const char *ref,
			enum xb_field field, const char *key,
			const char *value)
{
	struct xr_value args[3] = { { 0 } };
	char method[64];
	const char *why;
	size_t off;
	int ret = -1, n = value ? 3 : 2;

	if (map_call(x, cls, field, value ? "add_to_" : "remove_from_", ref,
		     method, sizeof(method)))
		return -1;
	if (!xr_xml_safe(key, strlen(key), &why, &off))
		return set_err(x, "%s(%s): key \"%.80s\": %s at byte %zu",
			       method, ref, key, why, off);
	if (value && !xr_xml_safe(value, strlen(value), &why, &off))
		return set_err(x, "%s(%s): value of key \"%.80s\": %s at byte %zu",
			       method, ref, key, why, off);
	if (xr_set_string(&args[0], ref) || xr_set_string(&args[1], key) ||
	    (value && xr_set_string(&args[2], value)))
		set_err(x, "out of memory");
	else
		ret = call(x, method, args, (size_t)n, NULL);
	xr_value_free(&args[0]);
	xr_value_free(&args[1]);
	xr_value_free(&args[2]);
	return ret;
}

int xapi_map_add(struct xapi *x, enum xb_class cls, const char *ref,
		 enum xb_field field, const char *key, const char *value)
{
	return map_key_call(x, cls, ref, field, key, value ? value : "");
}

int xapi_map_remove(struct xapi *x, enum xb_class cls, const char *ref,
		    enum xb_field field, const char *key)
{
	return map_key_call(x, cls, ref, field, key, NULL);
}

int xapi_map_value(struct xapi *x, enum xb_class cls, const char *ref,
		   enum xb_field field, const char *key, char **value)
{
	struct xr_value arg = { 0 }, map = { 0 };
	char method[64];
	size_t i;
	int ret = -1;

	*value = NULL;
	if (map_call(x, cls, field, "get_", ref, method, sizeof(method)))
		return -1;
	if (xr_set_string(&arg, ref))
		return set_err(x, "out of memory");
	if (call(x, method, &arg, 1, &map))
		goto out;
	if (map.type != XR_STRUCT) {
		set_err(x, "%s(%s): the reply is %s, not a map", method, ref,
			xr_type_phrase(map.type));
		goto out;
	}
	ret = 0;
	for (i = 0; i < map.n; i++) {
		if (strcmp(map.names[i], key))
			continue;
		if (map.items[i].type != XR_STRING) {
			ret = set_err(x, "%s(%s): key \"%.80s\" is %s, not a string",
				      method, ref, key,
				      xr_type_phrase(map.items[i].type));
		} else if (!(*value = strdup(map.items[i].str))) {
			ret = set_err(x, "out of memory");
		}
		break;
	}
out:
	xr_value_free(&arg);
	xr_value_free(&map);
	return ret;
}
