/* SPDX-License-Identifier: MIT */
/* test-xmlrpc.c - the XML-RPC encoder and the reply decoder, including a
 * table of hostile replies that must each give a clear error. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "runtime/xmlrpc.h"
#include "tests/unit/check-main.h"

#define BARE_RESPONSE(v) "<methodResponse><params><param>" v \
	"</param></params></methodResponse>"
#define RESPONSE(v) "<?xml version=\"1.0\"?>" BARE_RESPONSE(v)
#define XENAPI(members) RESPONSE("<value><struct>" members "</struct></value>")
#define MEMBER(n, v) "<member><name>" n "</name><value>" v "</value></member>"

/* ---- helpers ---- */

static char *encode_one(const struct xr_value *v, char **err)
{
	char *out = NULL;
	size_t len = 0;

	*err = NULL;
	if (xr_encode_call("m", v, 1, &out, &len, err))
		return NULL;
	ck_assert_uint_eq(strlen(out), len);
	return out;
}

static void decode_ok(const char *body, struct xr_value *v)
{
	char *err = NULL;

	ck_assert_msg(xr_decode_response(body, strlen(body), v, &err) == 0,
		      "%s: %s", body, err);
}

/* ---- encoding ---- */

START_TEST(call_has_method_and_params)
{
	struct xr_value p[2] = { { 0 } };
	char *out = NULL, *err = NULL;
	size_t len;

	ck_assert_int_eq(xr_set_string(&p[0], "OpaqueRef:1"), 0);
	xr_set_struct(&p[1]);
	ck_assert_int_eq(xr_struct_add_string(&p[1], "vm-data/a", "1"), 0);
	ck_assert_int_eq(xr_encode_call("VM.set_xenstore_data", p, 2, &out,
					&len, &err), 0);
	ck_assert_str_eq(out, "<?xml version=\"1.0\"?>\n<methodCall>"
		"<methodName>VM.set_xenstore_data</methodName><params>"
		"<param><value><string>OpaqueRef:1</string></value></param>"
		"<param><value><struct><member><name>vm-data/a</name>"
		"<value><string>1</string></value></member></struct></value>"
		"</param></params></methodCall>\n");
	free(out);
	xr_value_free(&p[0]);
	xr_value_free(&p[1]);
}
END_TEST

START_TEST(strings_are_escaped)
{
	struct xr_value v = { 0 };
	char *out, *err;

	ck_assert_int_eq(xr_set_string(&v, "a<b>&c\r\n\t\"'"), 0);
	out = encode_one(&v, &err);
	ck_assert_msg(out, "%s", err);
	ck_assert_ptr_nonnull(strstr(out, "<string>a&lt;b&gt;&amp;c&#13;\n\t"
				     "\"'</string>"));
	free(out);
	xr_value_free(&v);
}
END_TEST

START_TEST(member_names_are_escaped)
{
	struct xr_value v = { 0 };
	char *out, *err;

	xr_set_struct(&v);
	ck_assert_int_eq(xr_struct_add_string(&v, "k&<", "v"), 0);
	out = encode_one(&v, &err);
	ck_assert_msg(out, "%s", err);
	ck_assert_ptr_nonnull(strstr(out, "<name>k&amp;&lt;</name>"));
	free(out);
	xr_value_free(&v);
}
END_TEST

START_TEST(escaped_strings_come_back_unchanged)
{
	static const char *const samples[] = {
		"a<b>&c", "line\r\nbreak", "tab\there", "]]>", "caf\xc3\xa9",
		"\xe2\x82\xac \xf0\x9f\x98\x80", "  spaced  ", "",
	};
	size_t i;

	for (i = 0; i < sizeof(samples) / sizeof(samples[0]); i++) {
		struct xr_value v = { 0 }, back = { 0 };
		char *out, *err, *body, *start, *end;

		ck_assert_int_eq(xr_set_string(&v, samples[i]), 0);
		out = encode_one(&v, &err);
		ck_assert_msg(out, "%s", err);
		/* the <value> of the call, put into a reply */
		start = strstr(out, "<value>");
		end = strstr(out, "</param>");
		ck_assert(start && end);
		ck_assert_int_ge(asprintf(&body, RESPONSE("%.*s"),
					  (int)(end - start), start), 0);
		decode_ok(body, &back);
		ck_assert_int_eq(back.type, XR_STRING);
		ck_assert_str_eq(back.str, samples[i]);
		free(body);
		free(out);
		xr_value_free(&v);
		xr_value_free(&back);
	}
}
END_TEST

START_TEST(strings_xml_cannot_carry_are_refused)
{
	static const struct {
		const char *s, *why;
	} bad[] = {
		{ "\xff", "invalid UTF-8" },
		{ "ab\xc3", "truncated UTF-8" },
		{ "\xc0\xaf", "invalid UTF-8" },          /* overlong '/' */
		{ "\xe0\x80\xaf", "overlong" },
		{ "\xed\xa0\x80", "surrogate" },
		{ "\xf4\x90\x80\x80", "too large" },
		{ "\xe2\x28\xa1", "invalid UTF-8" },
		{ "a\x01" "b", "control character" },
		{ "esc\x1b[0m", "control character" },
		{ "\x7f-is-fine-but\x1f", "control character" },
		{ "\xef\xbf\xbe", "U+FFFE" },
		{ "\xef\xbf\xbf", "U+FFFF" },
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct xr_value v = { 0 };
		char *out, *err;

		ck_assert_int_eq(xr_set_string(&v, bad[i].s), 0);
		out = encode_one(&v, &err);
		ck_assert_msg(!out, "accepted bad string #%zu", i);
		ck_assert_msg(err && strstr(err, bad[i].why) &&
			      strstr(err, "cannot send"),
			      "#%zu: %s", i, err);
		free(err);
		xr_value_free(&v);
	}
}
END_TEST

START_TEST(bad_member_name_is_refused)
{
	struct xr_value v = { 0 };
	char *out, *err;

	xr_set_struct(&v);
	ck_assert_int_eq(xr_struct_add_string(&v, "k\x02", "v"), 0);
	out = encode_one(&v, &err);
	ck_assert_ptr_null(out);
	ck_assert_ptr_nonnull(strstr(err, "member name"));
	free(err);
	xr_value_free(&v);
}
END_TEST

/* xr_call_size() against the encoder's real output, for a few calls:
 * none, one and several params, escapes (each kind) in params and in the
 * method, empty strings, UTF-8, and a long value. */
START_TEST(call_size_is_the_encoded_length)
{
	static const char *const calls[][5] = {
		{ "session.logout", NULL },
		{ "VM.add_to_other_config", "OpaqueRef:1", "k", "v", NULL },
		{ "VM.add_to_xenstore_data", "OpaqueRef:x", "vm-data/a&b",
		  "<x> & \"y\" 'z' \r\n\t", NULL },
		{ "VM.add_tags", "", "", NULL },
		{ "a&<b>\r", "&&&&", "\r\r<<>>", NULL },
		{ "SR.set_name_label", "OpaqueRef:2", "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", NULL },
	};
	struct xr_value p[4] = { { 0 } };
	char *out = NULL, *err = NULL, *big;
	const char *strings[4];
	size_t i, n, len;

	for (i = 0; i < sizeof(calls) / sizeof(calls[0]); i++) {
		for (n = 0; calls[i][n + 1]; n++) {
			ck_assert_int_eq(xr_set_string(&p[n], calls[i][n + 1]), 0);
			strings[n] = calls[i][n + 1];
		}
		ck_assert_int_eq(xr_encode_call(calls[i][0], p, n, &out, &len,
						&err), 0);
		ck_assert_uint_eq(xr_call_size(calls[i][0], strings, n), len);
		free(out);
		while (n--)
			xr_value_free(&p[n]);
	}
	/* a value of 300 KiB, half of it escaped */
	big = malloc(300u << 10);
	ck_assert_ptr_nonnull(big);
	for (i = 0; i < (300u << 10) - 1; i++)
		big[i] = i % 2 ? '&' : 'a';
	big[i] = '\0';
	ck_assert_int_eq(xr_set_string(&p[0], big), 0);
	ck_assert_int_eq(xr_encode_call("m", p, 1, &out, &len, &err), 0);
	strings[0] = big;
	ck_assert_uint_eq(xr_call_size("m", strings, 1), len);
	/* NULL counts as "", as the encoder writes a string without text */
	strings[0] = NULL;
	ck_assert_uint_eq(xr_call_size("m", strings, 1) + strlen(big) +
			  ((300u << 10) - 1) / 2 * 4, len);
	free(out);
	free(big);
	xr_value_free(&p[0]);
}
END_TEST

START_TEST(xml_safe_reports_offset)
{
	const char *why = NULL;
	size_t off = 0;

	ck_assert(xr_xml_safe("ok\t\n\r", 5, &why, &off));
	ck_assert(!xr_xml_safe("abc\x05", 4, &why, &off));
	ck_assert_uint_eq(off, 3);
	ck_assert(!xr_xml_safe("a\0b", 3, &why, &off));
	ck_assert_str_eq(why, "a NUL byte");
	ck_assert_uint_eq(off, 1);
}
END_TEST

/* ---- decoding ---- */

START_TEST(decodes_every_type)
{
	struct xr_value v = { 0 };
	const struct xr_value *m;

	decode_ok(RESPONSE("<value><struct>"
		MEMBER("s", "<string>a &amp; &lt;b&gt; &#x41;</string>")
		MEMBER("bare", "  untyped text  ")
		MEMBER("empty", "")
		MEMBER("cdata", "<string><![CDATA[<x>&]]></string>")
		MEMBER("i4", "<i4>-2147483648</i4>")
		MEMBER("int", "<int> 42 </int>")
		MEMBER("i8", "<i8>9223372036854775807</i8>")
		MEMBER("t", "<boolean>1</boolean>")
		MEMBER("f", "<boolean>0</boolean>")
		MEMBER("d", "<double>-1.5e3</double>")
		MEMBER("dt", "<dateTime.iso8601>20260101T10:00:00Z"
		       "</dateTime.iso8601>")
		MEMBER("b64", "<base64>aGVs\nbG8=</base64>")
		MEMBER("nil", "<nil/>")
		MEMBER("arr", "<array><data><value>x</value>"
		       "<value><int>2</int></value></data></array>")
		MEMBER("noarr", "<array><data/></array>")
		MEMBER("nested", "<struct>" MEMBER("k", "<!-- c -->v")
		       "</struct>")
		MEMBER("nostruct", "<struct/>")
		"</struct></value>"), &v);
	ck_assert_int_eq(v.type, XR_STRUCT);
	ck_assert_uint_eq(v.n, 17);
	m = xr_struct_get(&v, "s");
	ck_assert_int_eq(m->type, XR_STRING);
	ck_assert_str_eq(m->str, "a & <b> A");
	ck_assert_str_eq(xr_struct_get(&v, "bare")->str, "  untyped text  ");
	ck_assert_int_eq(xr_struct_get(&v, "empty")->type, XR_STRING);
	ck_assert_str_eq(xr_struct_get(&v, "empty")->str, "");
	ck_assert_str_eq(xr_struct_get(&v, "cdata")->str, "<x>&");
	m = xr_struct_get(&v, "i4");
	ck_assert_int_eq(m->type, XR_INT);
	ck_assert(m->num == -2147483648LL);
	ck_assert(xr_struct_get(&v, "int")->num == 42);
	ck_assert(xr_struct_get(&v, "i8")->num == 9223372036854775807LL);
	ck_assert_int_eq(xr_struct_get(&v, "t")->type, XR_BOOL);
	ck_assert(xr_struct_get(&v, "t")->num == 1);
	ck_assert(xr_struct_get(&v, "f")->num == 0);
	ck_assert_int_eq(xr_struct_get(&v, "d")->type, XR_DOUBLE);
	ck_assert(xr_struct_get(&v, "d")->dbl == -1500.0);
	ck_assert_int_eq(xr_struct_get(&v, "dt")->type, XR_DATETIME);
	ck_assert_str_eq(xr_struct_get(&v, "dt")->str, "20260101T10:00:00Z");
	ck_assert_int_eq(xr_struct_get(&v, "b64")->type, XR_BASE64);
	ck_assert_str_eq(xr_struct_get(&v, "b64")->str, "aGVsbG8=");
	ck_assert_int_eq(xr_struct_get(&v, "nil")->type, XR_NIL);
	m = xr_struct_get(&v, "arr");
	ck_assert_int_eq(m->type, XR_ARRAY);
	ck_assert_uint_eq(m->n, 2);
	ck_assert_str_eq(m->items[0].str, "x");
	ck_assert(m->items[1].num == 2);
	ck_assert_int_eq(xr_struct_get(&v, "noarr")->type, XR_ARRAY);
	ck_assert_uint_eq(xr_struct_get(&v, "noarr")->n, 0);
	m = xr_struct_get(&v, "nested");
	ck_assert_str_eq(xr_struct_get(m, "k")->str, "v");
	ck_assert_uint_eq(xr_struct_get(&v, "nostruct")->n, 0);
	ck_assert_ptr_null(xr_struct_get(&v, "absent"));
	xr_value_free(&v);
	ck_assert_int_eq(v.type, XR_NIL);
}
END_TEST

START_TEST(decodes_latin1_declared_documents)
{
	static const char body[] = "<?xml version=\"1.0\" encoding="
		"\"ISO-8859-1\"?><methodResponse><params><param><value>"
		"caf\xe9</value></param></params></methodResponse>";
	struct xr_value v = { 0 };

	decode_ok(body, &v);
	ck_assert_str_eq(v.str, "caf\xc3\xa9");
	xr_value_free(&v);
}
END_TEST

/* xapi does not escape map keys: "<name>a&b</name>" must still read. */
START_TEST(raw_member_names_are_read)
{
	struct xr_value v = { 0 };
	const struct xr_value *m;

	decode_ok(RESPONSE("<value><struct>"
		MEMBER("a&b", "1") MEMBER("x<y", "2") MEMBER("AT&amp;T", "3")
		MEMBER("&#65;&#x42;", "4") MEMBER("&bogus;", "5")
		MEMBER("&", "6") MEMBER("<i>k</i>", "7")
		MEMBER("cdata", "<string><![CDATA[<name>&</name>]]></string>")
		"<!-- <name>&</name> -->"
		"</struct></value>"), &v);
	ck_assert_uint_eq(v.n, 8);
	ck_assert_str_eq(xr_struct_get(&v, "a&b")->str, "1");
	ck_assert_str_eq(xr_struct_get(&v, "x<y")->str, "2");
	ck_assert_str_eq(xr_struct_get(&v, "AT&T")->str, "3");
	ck_assert_str_eq(xr_struct_get(&v, "AB")->str, "4");
	ck_assert_str_eq(xr_struct_get(&v, "&bogus;")->str, "5");
	ck_assert_str_eq(xr_struct_get(&v, "&")->str, "6");
	ck_assert_str_eq(xr_struct_get(&v, "<i>k</i>")->str, "7");
	m = xr_struct_get(&v, "cdata");
	ck_assert_str_eq(m->str, "<name>&</name>");
	xr_value_free(&v);
}
END_TEST

START_TEST(success_gives_value)
{
	struct xr_reply r = { 0 };
	char *err = NULL;
	const char *body = XENAPI(MEMBER("Status", "Success")
				  MEMBER("Value", "OpaqueRef:abc"));

	ck_assert_msg(xr_decode_reply(body, strlen(body), &r, &err) == 0,
		      "%s", err);
	ck_assert(!r.failed);
	ck_assert_int_eq(r.value.type, XR_STRING);
	ck_assert_str_eq(r.value.str, "OpaqueRef:abc");
	xr_reply_free(&r);
}
END_TEST

START_TEST(failure_gives_code_and_params)
{
	struct xr_reply r = { 0 };
	char *err = NULL;
	const char *body = XENAPI(MEMBER("Status", "Failure")
		MEMBER("ErrorDescription", "<array><data>"
		       "<value>HANDLE_INVALID</value><value>VM</value>"
		       "<value><string>OpaqueRef:x</string></value>"
		       "</data></array>"));

	ck_assert_msg(xr_decode_reply(body, strlen(body), &r, &err) == 0,
		      "%s", err);
	ck_assert(r.failed);
	ck_assert_str_eq(r.code, "HANDLE_INVALID");
	ck_assert_uint_eq(r.nparams, 2);
	ck_assert_str_eq(r.params[0], "VM");
	ck_assert_str_eq(r.params[1], "OpaqueRef:x");
	xr_reply_free(&r);

	body = XENAPI(MEMBER("Status", "Failure") MEMBER("ErrorDescription",
		"<array><data><value>SESSION_INVALID</value></data></array>"));
	ck_assert_int_eq(xr_decode_reply(body, strlen(body), &r, &err), 0);
	ck_assert(r.failed);
	ck_assert_str_eq(r.code, "SESSION_INVALID");
	ck_assert_uint_eq(r.nparams, 0);
	xr_reply_free(&r);
}
END_TEST

START_TEST(xmlrpc_fault_is_an_error)
{
	struct xr_reply r = { 0 };
	char *err = NULL;
	const char *body = "<methodResponse><fault><value><struct>"
		MEMBER("faultCode", "<int>4</int>")
		MEMBER("faultString", "<string>Too many parameters</string>")
		"</struct></value></fault></methodResponse>";

	ck_assert_int_eq(xr_decode_reply(body, strlen(body), &r, &err), -1);
	ck_assert_str_eq(err, "XML-RPC fault 4: Too many parameters");
	ck_assert(!r.failed);
	free(err);
}
END_TEST

START_TEST(value_count_is_capped)
{
	struct xr_value v = { 0 };
	char *err = NULL;
	const char *body = RESPONSE("<value><array><data><value>1</value>"
		"<value>2</value><value>3</value></data></array></value>");

	ck_assert_int_eq(xr_decode_response_capped(body, strlen(body), 4, &v,
						   &err), 0);
	xr_value_free(&v);
	ck_assert_int_eq(xr_decode_response_capped(body, strlen(body), 3, &v,
						   &err), -1);
	ck_assert_ptr_nonnull(strstr(err, "more than 3 values"));
	ck_assert_int_eq(v.type, XR_NIL);
	free(err);
}
END_TEST

/* ---- hostile replies ---- */

static char *nested(int depth)
{
	struct { char *p; size_t len; } b = { NULL, 0 };
	FILE *f = open_memstream(&b.p, &b.len);
	int i;

	ck_assert_ptr_nonnull(f);
	fputs("<methodResponse><params><param>", f);
	for (i = 0; i < depth; i++)
		fputs("<value><array><data>", f);
	fputs("<value>x</value>", f);
	for (i = 0; i < depth; i++)
		fputs("</data></array></value>", f);
	fputs("</param></params></methodResponse>", f);
	fclose(f);
	return b.p;
}

static const struct hostile {
	const char *name, *body, *expect;
	bool xenapi;               /* decode with the XenAPI unwrapping */
} hostile[] = {
	{ "malformed XML", "<methodResponse><params><param>"
	  "<value></param></params></methodResponse>", "not well-formed", false },
	{ "truncated", "<?xml version=\"1.0\"?><methodResponse><params>"
	  "<param><value><struct><member><name>Status</name>",
	  "not well-formed", false },
	{ "wrong root", "<methodCall><methodName>x</methodName>"
	  "</methodCall>", "root element <methodCall>", false },
	{ "not XML at all", "Internal Server Error\n", "not well-formed", false },
	{ "HTML error page", "<!DOCTYPE html><html><head><title>500"
	  "</title></head><body><h1>Error<br></h1></body></html>",
	  "DOCTYPE", false },
	{ "XHTML error page", "<html><body><h1>502 Bad Gateway</h1></body>"
	  "</html>", "root element <html>", false },
	{ "billion laughs", "<?xml version=\"1.0\"?>\n<!DOCTYPE lolz [\n"
	  " <!ENTITY lol \"lol\">\n"
	  " <!ENTITY lol1 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">\n"
	  " <!ENTITY lol2 \"&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;\">\n"
	  " <!ENTITY lol3 \"&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;\">\n"
	  " <!ENTITY lol4 \"&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;\">\n"
	  " <!ENTITY lol5 \"&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;\">\n"
	  " <!ENTITY lol6 \"&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;\">\n"
	  " <!ENTITY lol7 \"&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;\">\n"
	  " <!ENTITY lol8 \"&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;\">\n"
	  " <!ENTITY lol9 \"&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;\">\n"
	  "]>\n" BARE_RESPONSE("<value>&lol9;</value>"), "DOCTYPE", false },
	{ "external entity (file)", "<?xml version=\"1.0\"?>\n"
	  "<!DOCTYPE methodResponse [<!ENTITY secret SYSTEM "
	  "\"file:///etc/passwd\">]>\n<methodResponse><params><param>"
	  "<value>&secret;</value></param></params></methodResponse>",
	  "DOCTYPE", false },
	{ "external entity (http)", "<!DOCTYPE methodResponse [<!ENTITY e "
	  "SYSTEM \"http://127.0.0.1:9/x\">]><methodResponse><params>"
	  "<param><value>&e;</value></param></params></methodResponse>",
	  "DOCTYPE", false },
	{ "external DTD", "<!DOCTYPE methodResponse SYSTEM "
	  "\"http://127.0.0.1:9/x.dtd\"><methodResponse><params><param>"
	  "<value>x</value></param></params></methodResponse>", "DOCTYPE", false },
	{ "parameter entity", "<!DOCTYPE m [<!ENTITY % p SYSTEM "
	  "\"file:///etc/passwd\"> %p;]><methodResponse/>", "DOCTYPE", false },
	{ "undeclared entity", RESPONSE("<value>&nbsp;</value>"),
	  "not well-formed", false },
	{ "XInclude", RESPONSE("<value><xi:include xmlns:xi=\"http://www.w3.org"
	  "/2001/XInclude\" href=\"/etc/passwd\" parse=\"text\"/></value>"),
	  "namespaced", false },
	{ "empty methodResponse", "<methodResponse/>", "without <params>", false },
	{ "two params", "<methodResponse><params><param><value>a</value>"
	  "</param><param><value>b</value></param></params>"
	  "</methodResponse>", "unexpected <param>", false },
	{ "text in params", "<methodResponse><params>junk<param><value>a"
	  "</value></param></params></methodResponse>", "unexpected text", false },
	{ "two types in a value", RESPONSE("<value><int>1</int><string>x"
	  "</string></value>"), "two types", false },
	{ "text around a type", RESPONSE("<value>x<int>1</int></value>"),
	  "unexpected text", false },
	{ "unknown type", RESPONSE("<value><float>1</float></value>"),
	  "unknown value type <float>", false },
	{ "i4 overflow", RESPONSE("<value><i4>2147483648</i4></value>"),
	  "out of range", false },
	{ "int overflow", RESPONSE("<value><int>99999999999999999999</int>"
	  "</value>"), "out of range", false },
	{ "int not a number", RESPONSE("<value><int>12a</int></value>"),
	  "not an integer", false },
	{ "empty int", RESPONSE("<value><int/></value>"), "not an integer", false },
	{ "boolean 2", RESPONSE("<value><boolean>2</boolean></value>"),
	  "not 0 or 1", false },
	{ "boolean true", RESPONSE("<value><boolean>true</boolean></value>"),
	  "not 0 or 1", false },
	{ "double nan", RESPONSE("<value><double>nan</double></value>"),
	  "not a finite number", false },
	{ "double overflow", RESPONSE("<value><double>1e999</double>"
	  "</value>"), "not a finite number", false },
	{ "bad base64", RESPONSE("<value><base64>a*b=</base64></value>"),
	  "outside base64", false },
	{ "base64 length", RESPONSE("<value><base64>abc</base64></value>"),
	  "multiple of 4", false },
	{ "bad dateTime", RESPONSE("<value><dateTime.iso8601>tomorrow"
	  "</dateTime.iso8601></value>"), "dateTime", false },
	{ "nil with content", RESPONSE("<value><nil>x</nil></value>"),
	  "<nil> with content", false },
	{ "element in a string", RESPONSE("<value><string>a<b/></string>"
	  "</value>"), "unexpected <b> in <string>", false },
	{ "array without data", RESPONSE("<value><array><value>1</value>"
	  "</array></value>"), "where <data> was expected", false },
	{ "junk in data", RESPONSE("<value><array><data><int>1</int></data>"
	  "</array></value>"), "where <value> was expected", false },
	{ "member without name", RESPONSE("<value><struct><member><value>1"
	  "</value></member></struct></value>"), "without <name>", false },
	{ "member without value", RESPONSE("<value><struct><member><name>a"
	  "</name></member></struct></value>"), "without <value>", false },
	{ "member with two values", RESPONSE("<value><struct><member><name>a"
	  "</name><value>1</value><value>2</value></member></struct>"
	  "</value>"), "unexpected <value> in <member>", false },
	{ "unclosed name", RESPONSE("<value><struct><member><name>a"
	  "</member></struct></value>"), "not well-formed", false },
	{ "duplicate members", RESPONSE("<value><struct>" MEMBER("a", "1")
	  MEMBER("b", "2") MEMBER("a", "3") "</struct></value>"),
	  "duplicate struct member \"a\"", false },
	{ "NUL byte", "<methodResponse>\0</methodResponse>",
	  "not well-formed", false },
	{ "wrong encoding", "<?xml version=\"1.0\" encoding=\"UTF-16\"?>"
	  "<methodResponse/>", "not well-formed", false },
	{ "invalid UTF-8", RESPONSE("<value>\xff\xfe</value>"),
	  "not well-formed", false },
	{ "control character reference", RESPONSE("<value>&#1;</value>"),
	  "not well-formed", false },
	{ "malformed fault", "<methodResponse><fault><value>oops</value>"
	  "</fault></methodResponse>", "<fault> is not a struct", false },
	{ "fault with a string code", "<methodResponse><fault><value><struct>"
	  MEMBER("faultCode", "x") MEMBER("faultString", "y")
	  "</struct></value></fault></methodResponse>",
	  "<fault> is not a struct", false },
	{ "fault and params", "<methodResponse><fault><value><struct>"
	  MEMBER("faultCode", "<int>1</int>") MEMBER("faultString", "y")
	  "</struct></value></fault><params/></methodResponse>",
	  "unexpected <params> after <fault>", false },
	/* the XenAPI layer */
	{ "int where struct expected", RESPONSE("<value><int>1</int></value>"),
	  "an int, not a struct with Status", true },
	{ "struct without Status", XENAPI(MEMBER("Value", "x")),
	  "no Status member", true },
	{ "Status not a string", XENAPI(MEMBER("Status", "<int>0</int>")),
	  "Status is not a string", true },
	{ "Status unknown", XENAPI(MEMBER("Status", "Maybe")),
	  "Status \"Maybe\"", true },
	{ "Success without Value", XENAPI(MEMBER("Status", "Success")),
	  "Success without Value", true },
	{ "Failure without ErrorDescription", XENAPI(MEMBER("Status",
	  "Failure")), "Failure without ErrorDescription", true },
	{ "ErrorDescription a string", XENAPI(MEMBER("Status", "Failure")
	  MEMBER("ErrorDescription", "HANDLE_INVALID")),
	  "non-empty ErrorDescription array", true },
	{ "ErrorDescription empty", XENAPI(MEMBER("Status", "Failure")
	  MEMBER("ErrorDescription", "<array><data/></array>")),
	  "non-empty ErrorDescription array", true },
	{ "ErrorDescription with an int", XENAPI(MEMBER("Status", "Failure")
	  MEMBER("ErrorDescription", "<array><data><value>X</value><value>"
	  "<int>1</int></value></data></array>")),
	  "ErrorDescription[1] is an int, not a string", true },
	{ "ErrorDescription with a struct code", XENAPI(MEMBER("Status",
	  "Failure") MEMBER("ErrorDescription", "<array><data><value>"
	  "<struct/></value></data></array>")),
	  "ErrorDescription[0] is a struct", true },
	{ "empty error code", XENAPI(MEMBER("Status", "Failure")
	  MEMBER("ErrorDescription", "<array><data><value></value></data>"
	  "</array>")), "empty error code", true },
	{ "duplicate Status", XENAPI(MEMBER("Status", "Success")
	  MEMBER("Value", "x") MEMBER("Status", "Failure")),
	  "duplicate struct member \"Status\"", true },
};

/* The body of a table entry: "NUL byte" has its NUL counted. */
static size_t body_len(const struct hostile *h)
{
	return strcmp(h->name, "NUL byte") ? strlen(h->body) :
		strlen(h->body) + 1 + strlen(h->body + strlen(h->body) + 1);
}

static void expect_refused(const char *name, const char *body, size_t len,
			   bool xenapi, const char *expect)
{
	struct xr_value v = { 0 };
	struct xr_reply r = { 0 };
	char *err = NULL;
	int ret;

	if (xenapi)
		ret = xr_decode_reply(body, len, &r, &err);
	else
		ret = xr_decode_response(body, len, &v, &err);
	ck_assert_msg(ret == -1, "%s: accepted", name);
	ck_assert_msg(err, "%s: no message", name);
	ck_assert_msg(strstr(err, expect), "%s: \"%s\" does not say \"%s\"",
		      name, err, expect);
	ck_assert_int_eq(v.type, XR_NIL);
	ck_assert(!r.failed && !r.code);
	free(err);
}

/* The table only grows: an entry lost in an edit is a hostile reply no
 * longer tried, so its size is checked, and its names are distinct so
 * that a failure names one entry. */
#define HOSTILE_REPLIES 58

START_TEST(hostile_table_is_whole)
{
	size_t n = sizeof(hostile) / sizeof(hostile[0]), i, j;

	ck_assert_uint_ge(n, HOSTILE_REPLIES);
	for (i = 0; i < n; i++)
		for (j = i + 1; j < n; j++)
			ck_assert_msg(strcmp(hostile[i].name, hostile[j].name),
				      "two entries named \"%s\"",
				      hostile[i].name);
}
END_TEST

START_TEST(hostile_reply_is_refused)
{
	const struct hostile *h = &hostile[_i];

	expect_refused(h->name, h->body, body_len(h), h->xenapi, h->expect);
	if (!h->xenapi)            /* and through the XenAPI layer too */
		expect_refused(h->name, h->body, body_len(h), true, h->expect);
}
END_TEST

START_TEST(empty_body_is_refused)
{
	expect_refused("empty body", "", 0, true, "empty reply");
}
END_TEST

START_TEST(deep_nesting_is_refused)
{
	static const int depths[] = { 65, 100, 300, 10000 };
	size_t i;
	char *body;

	body = nested(63);               /* the limit itself is fine */
	{
		struct xr_value v = { 0 };

		decode_ok(body, &v);
		xr_value_free(&v);
	}
	free(body);
	for (i = 0; i < sizeof(depths) / sizeof(depths[0]); i++) {
		body = nested(depths[i]);
		expect_refused("deeply nested", body, strlen(body), false,
			       depths[i] * 3 > 250 ? "reply" :
			       "nested deeper");
		free(body);
	}
}
END_TEST

/* A string or member name over XR_MAX_STRING is refused, and the error
 * shows a clipped, escaped start of it, not the whole. */
START_TEST(huge_string_is_refused)
{
	static const char head[] = "<methodResponse><params><param><value>"
		"<struct><member><name>\xc2\x9b" "31m";
	size_t len = sizeof(head) - 1 + XR_MAX_STRING + 64;
	char *body = malloc(len + 1), *err = NULL;
	struct xr_value v = { 0 };

	ck_assert_ptr_nonnull(body);
	memcpy(body, head, sizeof(head) - 1);
	memset(body + sizeof(head) - 1, 'n', len - (sizeof(head) - 1));
	body[len] = '\0';
	ck_assert_int_eq(xr_decode_response(body, len, &v, &err), -1);
	ck_assert_msg(strstr(err, "a member name of more than"), "%s", err);
	ck_assert_uint_lt(strlen(err), 300);
	free(err);
	free(body);
}
END_TEST

struct counter {
	size_t records, names;
	bool bad;
};

static bool want_name(void *ctx, const char *field)
{
	return !strcmp(field, "name_label");
}

static int count_record(void *ctx, const char *ref, struct xr_value *rec,
			char **errmsg)
{
	struct counter *c = ctx;
	const struct xr_value *name = xr_struct_get(rec, "name_label");

	c->records++;
	if (rec->type != XR_STRUCT || rec->n != 1 || !name ||
	    name->type != XR_STRING || strncmp(ref, "OpaqueRef:", 10))
		c->bad = true;
	c->names++;
	return 0;
}

static long peak_kb(void)
{
	char line[256];
	long kb = -1;
	FILE *f = fopen("/proc/self/status", "r");

	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, "VmHWM:", 6))
			kb = atol(line + 6);
	if (f)
		fclose(f);
	return kb;
}

/* Under valgrind or a sanitizer memory is not the program's own: the
 * streamed reply is smaller there and its RSS is not judged. */
#if defined(__SANITIZE_ADDRESS__)
#define UNDER_SANITIZER 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_SANITIZER 1
#endif
#endif
#ifndef UNDER_SANITIZER
#define UNDER_SANITIZER 0
#endif

static bool measured_rss(void)
{
	const char *pre = getenv("LD_PRELOAD");

	return !UNDER_SANITIZER && !(pre && strstr(pre, "vgpreload"));
}

/* A 250 MB get_all_records reply (some 25,000 real VM records), fed in
 * 16 kB pieces as curl hands them over, through a sink keeping one field:
 * decoded record by record, the peak RSS grows by a few MB, not by the
 * reply's size (documented in xmlrpc.h; the bound here is 32 MB). */
START_TEST(streamed_reply_stays_small)
{
	static const char head[] = "<methodResponse><params><param><value>"
		"<struct><member><name>Status</name><value>Success</value>"
		"</member><member><name>Value</name><value><struct>";
	static const char tail[] = "</struct></value></member></struct>"
		"</value></param></params></methodResponse>";
	struct counter c = { 0 };
	struct xr_sink sink = { want_name, count_record, &c };
	struct xr_stream *st = xr_stream_new(&sink, XR_MAX_VALUES);
	struct xr_reply r = { 0 };
	char rec[10240], pad[9000], *err = NULL;
	size_t fed = 0, n, i, k;
	size_t total = measured_rss() ? 250u << 20 : 25u << 20;
	long before = peak_kb();

	ck_assert_ptr_nonnull(st);
	memset(pad, 'x', sizeof(pad) - 1);
	pad[sizeof(pad) - 1] = '\0';
	ck_assert_int_eq(xr_stream_feed(st, head, sizeof(head) - 1), 0);
	for (i = 0; fed < total; i++) {
		n = (size_t)snprintf(rec, sizeof(rec), "<member><name>"
			"OpaqueRef:%08zx</name><value><struct><member><name>"
			"name_label</name><value>vm-%zu</value></member>"
			"<member><name>last_booted_record</name><value>%s"
			"</value></member><member><name>VIFs</name><value>"
			"<array><data><value>a</value></data></array></value>"
			"</member></struct></value></member>", i, i, pad);
		for (k = 0; k < n; k += 16384)
			ck_assert_int_eq(xr_stream_feed(st, rec + k,
				n - k < 16384 ? n - k : 16384), 0);
		fed += n;
	}
	ck_assert_int_eq(xr_stream_feed(st, tail, sizeof(tail) - 1), 0);
	ck_assert_msg(xr_stream_reply(st, &r, &err) == 0, "%s", err);
	ck_assert(!c.bad);
	ck_assert_uint_eq(c.records, i);
	ck_assert_int_eq(r.value.type, XR_STRUCT);
	ck_assert_uint_eq(r.value.n, i);            /* the refs only */
	xr_reply_free(&r);
	xr_stream_free(st);
	if (before > 0 && measured_rss())
		ck_assert_msg(peak_kb() - before < 32 * 1024,
			      "peak RSS grew by %ld kB", peak_kb() - before);
}
END_TEST

/* xapi's unescaped names are repaired even when a piece ends inside
 * "<name>", "</name>" or a reference. */
START_TEST(repair_across_pieces)
{
	static const char body[] = "<methodResponse><params><param><value>"
		"<struct><member><name>a & <b>&amp;&#65;</name><value>x"
		"</value></member></struct></value></param></params>"
		"</methodResponse>";
	size_t len = sizeof(body) - 1, i;

	for (i = 1; i < len; i++) {
		struct xr_stream *st = xr_stream_new(NULL, XR_MAX_VALUES);
		struct xr_value v = { 0 };
		char *err = NULL;

		ck_assert_ptr_nonnull(st);
		xr_stream_feed(st, body, i);
		xr_stream_feed(st, body + i, len - i);
		ck_assert_msg(xr_stream_value(st, &v, &err) == 0, "%zu: %s", i,
			      err);
		ck_assert_str_eq(v.names[0], "a & <b>&A");
		xr_value_free(&v);
		xr_stream_free(st);
	}
}
END_TEST

/* 65 MiB of VM records is a pool of about 20,000 VMs: it is read, not
 * refused (64 MiB used to be the limit). */
START_TEST(large_pool_reply_is_read)
{
	static const char head[] = "<methodResponse><params><param><value><array><data>";
	static const char tail[] = "</data></array></value></param></params></methodResponse>";
	size_t rec = 1024, n = (65u << 20) / rec + 1, i;
	size_t len = sizeof(head) - 1 + n * (rec + 15) + sizeof(tail) - 1;
	char *body = malloc(len + 1), *p = body, *err = NULL;
	struct xr_value v = { 0 };

	ck_assert_ptr_nonnull(body);
	ck_assert_uint_gt(len, 64u << 20);
	ck_assert_uint_le(len, XR_MAX_KEPT);
	p += sprintf(p, "%s", head);
	for (i = 0; i < n; i++) {
		p += sprintf(p, "<value>");
		memset(p, 'x', rec);
		p += rec;
		p += sprintf(p, "</value>");
	}
	p += sprintf(p, "%s", tail);
	ck_assert_uint_eq((size_t)(p - body), len);
	ck_assert_msg(xr_decode_response(body, len, &v, &err) == 0, "%s", err);
	ck_assert_int_eq(v.type, XR_ARRAY);
	ck_assert_uint_eq(v.n, n);
	ck_assert_uint_eq(strlen(v.items[n - 1].str), rec);
	xr_value_free(&v);
	free(body);
}
END_TEST

START_TEST(entities_are_not_expanded_nor_fetched)
{
	char dir[] = "/tmp/xb-xmlrpc-XXXXXX", path[64], *body = NULL, *err;
	struct xr_value v = { 0 };
	FILE *f;
	clock_t start = clock();

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/secret", dir);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs("TOPSECRET", f);
	fclose(f);
	ck_assert_int_ge(asprintf(&body, "<!DOCTYPE methodResponse [<!ENTITY s "
				  "SYSTEM \"file://%s\">]><methodResponse>"
				  "<params><param><value>&s;</value></param>"
				  "</params></methodResponse>", path), 0);
	ck_assert_int_eq(xr_decode_response(body, strlen(body), &v, &err), -1);
	ck_assert_ptr_null(strstr(err, "TOPSECRET"));
	ck_assert_ptr_nonnull(strstr(err, "DOCTYPE"));
	ck_assert_int_eq(v.type, XR_NIL);
	/* refused at once, nothing read */
	ck_assert_int_lt((clock() - start) / (CLOCKS_PER_SEC / 1000), 1000);
	free(err);
	free(body);
	unlink(path);
	rmdir(dir);
}
END_TEST

Suite *test_suite(void)
{
	Suite *s = suite_create("xmlrpc");
	TCase *tc;

	tc = tcase_create("encode");
	tcase_add_test(tc, call_has_method_and_params);
	tcase_add_test(tc, strings_are_escaped);
	tcase_add_test(tc, member_names_are_escaped);
	tcase_add_test(tc, escaped_strings_come_back_unchanged);
	tcase_add_test(tc, strings_xml_cannot_carry_are_refused);
	tcase_add_test(tc, bad_member_name_is_refused);
	tcase_add_test(tc, xml_safe_reports_offset);
	tcase_add_test(tc, call_size_is_the_encoded_length);
	suite_add_tcase(s, tc);

	tc = tcase_create("decode");
	tcase_add_test(tc, decodes_every_type);
	tcase_add_test(tc, decodes_latin1_declared_documents);
	tcase_add_test(tc, raw_member_names_are_read);
	tcase_add_test(tc, success_gives_value);
	tcase_add_test(tc, failure_gives_code_and_params);
	tcase_add_test(tc, xmlrpc_fault_is_an_error);
	tcase_add_test(tc, value_count_is_capped);
	suite_add_tcase(s, tc);

	tc = tcase_create("hostile");
	tcase_add_test(tc, hostile_table_is_whole);
	tcase_add_loop_test(tc, hostile_reply_is_refused, 0,
			    sizeof(hostile) / sizeof(hostile[0]));
	tcase_add_test(tc, empty_body_is_refused);
	tcase_add_test(tc, deep_nesting_is_refused);
	tcase_add_test(tc, huge_string_is_refused);
	tcase_add_test(tc, streamed_reply_stays_small);
	tcase_add_test(tc, repair_across_pieces);
	tcase_add_test(tc, large_pool_reply_is_read);
	tcase_add_test(tc, entities_are_not_expanded_nor_fetched);
	suite_add_tcase(s, tc);
	return s;
}
