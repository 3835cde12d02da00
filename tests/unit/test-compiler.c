/* SPDX-License-Identifier: MIT */
/* test-compiler.c - the compiler's stages on sources held in memory:
 * string escapes, ${} interpolation, UTF-8 and xml-char validation, the
 * nearest-word suggestion, -W options, merging and lowering, that the
 * emitted blob is one the runtime's reader accepts, the same every time,
 * and the formatter's strings and refusals. */
#include <check.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/blob.h"
#include "compiler/compiler.h"
#include "tests/unit/check-main.h"

/* Compiles src as the main file "t.xb"; true when there is no error. */
static bool compile(struct xbc *c, const char *src)
{
	xbc_init(c);
	if (xbc_parse_buffer(c, "t.xb", src, strlen(src)))
		return false;
	return xbc_compile(c);
}

static const struct xbc_object *object(const struct xbc *c, enum xb_class cls,
				       const char *selector)
{
	size_t i;

	for (i = 0; i < c->nobjects; i++)
		if (c->objects[i]->cls == cls &&
		    !strcmp(c->objects[i]->selector, selector))
			return c->objects[i];
	return NULL;
}

/* The value of (field, key) on the object, or NULL. */
static const char *value(const struct xbc *c, enum xb_class cls,
			 const char *selector, enum xb_field field,
			 const char *key)
{
	const struct xbc_object *o = object(c, cls, selector);
	size_t i;

	for (i = 0; o && i < o->nentries; i++)
		if (o->entries[i].field == field &&
		    !strcmp(xbc_entry_key(c, &o->entries[i]), key))
			return o->entries[i].value;
	return NULL;
}

static const char *vm_data(const struct xbc *c, const char *vm,
			   const char *key)
{
	return value(c, XB_CLASS_VM, vm, XB_FIELD_XENSTORE_DATA, key);
}

/* The first diagnostic of check, or NULL. */
static const struct xbc_diag *diag(const struct xbc *c, enum xbc_check check)
{
	size_t i;

	for (i = 0; i < c->ndiags; i++)
		if (c->diags[i].check == check)
			return &c->diags[i];
	return NULL;
}

static void assert_diag_at(const struct xbc *c, enum xbc_check check,
			   int line, int column)
{
	const struct xbc_diag *d = diag(c, check);

	ck_assert_msg(d, "no %s diagnostic", xbc_checks[check].name);
	ck_assert_int_eq(d->loc.first_line, line);
	ck_assert_int_eq(d->loc.first_column, column);
}

/* ---- language version 2: for, template ---------------------------------- */

START_TEST(for_range_pads_to_the_first_bound)
{
	struct xbc c;

	ck_assert(compile(&c, "for i in 08..10 { vm \"v${i}\" { vm-data \"i\" = \"${i}\"; } }\n"
			  "for i in 8..10 { vm \"w${i}\" { vm-data \"i\" = \"${i}\"; } }\n"));
	ck_assert_uint_eq(c.nobjects, 6);
	ck_assert_str_eq(vm_data(&c, "v08", "vm-data/i"), "08");
	ck_assert_str_eq(vm_data(&c, "v10", "vm-data/i"), "10");
	ck_assert_str_eq(vm_data(&c, "w8", "vm-data/i"), "8");
	ck_assert_ptr_null(object(&c, XB_CLASS_VM, "w08"));
	xbc_free(&c);
}
END_TEST

/* What resolve hands on of the blocks a for makes: each clone's strings,
 * read while it lives (it is gone once lowered) */
static struct {
	int n;
	const char *selector[4];
	const char *value[4][5];
	const struct xbc_stmt *body;     /* the for's body, as parsed */
} seen;

static void see_block(struct xbc *c, const struct xbc_block *b)
{
	const struct xbc_stmt *s;
	int i = 0;

	(void)c;
	ck_assert_int_lt(seen.n, 4);
	seen.selector[seen.n] = b->selector.value;
	for (s = b->stmts; s && i < 5; s = s->next) {
		ck_assert_ptr_ne(s, seen.body);     /* a clone's own */
		seen.value[seen.n][i++] = s->value.value;
	}
	seen.n++;
}

/* A string of printable ASCII without '\\' or '$' is its own value from
 * the scanner on; any other waits for resolve. A for's clones share a
 * plain one and decode the others per iteration. */
START_TEST(plain_strings_are_values_when_parsed)
{
	static const char src[] =
		"for i in 1..2 { vm \"v${i}\" {\n"
		"    vm-data \"k\" = \"plain ~!#%[]\x7f\";\n"
		"    vm-data \"t\" = \"a\tb\";\n"
		"    vm-data \"e\" = \"a\\x41\";\n"
		"    vm-data \"u\" = \"caf\xc3\xa9\";\n"
		"    vm-data \"i\" = \"${i}\";\n"
		"} }\n";
	const struct xbc_stmt *s;
	struct xbc c;

	xbc_init(&c);
	ck_assert_int_eq(xbc_parse_buffer(&c, "t.xb", src, sizeof(src) - 1), 0);
	s = c.blocks->loop->body->stmts;
	ck_assert_ptr_eq(s->key.value, s->key.raw);
	ck_assert_uint_eq(strlen(s->key.value), 1);
	ck_assert_ptr_eq(s->value.value, s->value.raw);
	ck_assert_str_eq(s->value.value, "plain ~!#%[]\x7f");
	for (s = s->next; s; s = s->next)    /* a tab, an escape, UTF-8, ${} */
		ck_assert_ptr_null(s->value.value);
	memset(&seen, 0, sizeof(seen));
	seen.body = c.blocks->loop->body->stmts;
	xbc_resolve(&c, see_block);
	ck_assert_int_eq(c.nerrors, 0);
	ck_assert_int_eq(seen.n, 2);
	ck_assert_str_eq(seen.selector[1], "v2");
	/* the clone's plain value is the body's, not a copy */
	ck_assert_ptr_eq(seen.value[1][0], seen.body->value.raw);
	ck_assert_str_eq(seen.value[1][1], "a\tb");
	ck_assert_str_eq(seen.value[1][2], "aA");
	ck_assert_str_eq(seen.value[1][3], "caf\xc3\xa9");
	ck_assert_str_eq(seen.value[1][4], "2");
	ck_assert_str_eq(seen.value[0][4], "1");
	xbc_free(&c);
}
END_TEST

START_TEST(nested_for_sees_both_variables_and_lists_decode)
{
	struct xbc c;

	ck_assert(compile(&c, "let s = \"-\";\n"
			  "for t in \"r\\x65d\", \"b${s}\" {\n"
			  "    for i in 1..2 { vm \"${t}${i}\" { vm-data \"k\" = \"${t}/${i}\"; } }\n"
			  "}\n"));
	ck_assert_uint_eq(c.nobjects, 4);
	ck_assert_str_eq(vm_data(&c, "red2", "vm-data/k"), "red/2");
	ck_assert_str_eq(vm_data(&c, "b-1", "vm-data/k"), "b-/1");
	xbc_free(&c);
}
END_TEST

START_TEST(for_variable_is_unknown_outside_its_body)
{
	struct xbc c;

	ck_assert(!compile(&c, "for i in 1..2 { vm \"v${i}\" { } }\n"
			   "vm \"x\" { vm-data \"k\" = \"${i}\"; }\n"));
	assert_diag_at(&c, CHECK_UNDEFINED_CONSTANT, 2, 25);
	xbc_free(&c);
}
END_TEST

START_TEST(diagnostic_in_a_for_notes_the_iteration)
{
	struct xbc c;
	const struct xbc_diag *d;

	ck_assert(!compile(&c, "for i in 06..07 {\n"
			   "    vm \"v\" { vm-data \"k${i}\" = \"\\x01\"; }\n}\n"));
	d = diag(&c, CHECK_XML_CHAR);
	ck_assert_ptr_nonnull(d);
	ck_assert_int_eq(d->loc.first_line, 2);
	ck_assert_int_ge(d->nnotes, 1);
	ck_assert_str_eq(d->note[d->nnotes - 1], "in for i = 06");
	ck_assert_int_eq(d->note_loc[d->nnotes - 1].first_line, 1);
	ck_assert_int_eq(d->note_loc[d->nnotes - 1].first_column, 5);
	xbc_free(&c);
}
END_TEST

/* The notes of a duplicate-key name the iteration and the uses that
 * brought both values, found by seq among the runs of contexts: here one
 * run of two entries an iteration, then one a use */
START_TEST(duplicate_notes_name_iterations_and_uses)
{
	struct xbc c;
	const struct xbc_diag *d;
	size_t i;
	int n, uses = 0, iterations = 0, iteration_notes = 0;

	ck_assert(!compile(&c, "template u { vm-data \"x\" = \"u\"; }\n"
			   "template w { vm-data \"x\" = \"w\"; }\n"
			   "for i in 1..4 { vm \"v\" { vm-data \"k\" = \"${i}\"; "
			   "vm-data \"m\" = \"${i}\"; } }\n"
			   "vm \"p\" { use u; }\n"
			   "vm \"p\" { use w; }\n"));
	for (i = 0; i < c.ndiags; i++) {
		d = &c.diags[i];
		ck_assert_int_eq(d->check, CHECK_DUPLICATE_KEY);
		for (n = 0; n < d->nnotes; n++) {
			if (!strcmp(d->note[n], "from the template used here")) {
				ck_assert_int_eq(d->note_loc[n].first_column, 10);
				uses |= 1 << (d->note_loc[n].first_line - 4);
			} else if (!strncmp(d->note[n], "in for i = ", 11)) {
				iterations |= 1 << (d->note[n][11] - '0');
				iteration_notes++;
			}
		}
	}
	ck_assert_int_eq(uses, 3);           /* lines 4 and 5 */
	ck_assert_int_eq(iterations, 1 << 2 | 1 << 3 | 1 << 4);
	ck_assert_int_eq(iteration_notes, 6);   /* "k" and "m", 2..4 each */
	xbc_free(&c);
}
END_TEST

START_TEST(for_over_the_limit_makes_nothing)
{
	struct xbc c;

	ck_assert(!compile(&c, "for i in 1..300000000 { vm \"v${i}\" { vm-data \"a\" = \"1\"; } }\n"));
	assert_diag_at(&c, CHECK_EXPANSION, 1, 1);
	ck_assert_uint_eq(c.nobjects, 0);
	ck_assert_uint_eq(c.expanded, 0);
	ck_assert_ptr_nonnull(c.blocks->loop);  /* the for alone */
	ck_assert_ptr_null(c.blocks->next);
	xbc_free(&c);
}
END_TEST

START_TEST(block_overrides_template_and_templates_nest)
{
	struct xbc c;

	ck_assert(compile(&c, "template a { vm-data \"x\" = \"a\"; vm-data \"y\" = \"a\"; vm-data \"z\" = \"a\"; }\n"
			  "template b { use a; vm-data \"y\" = \"b\"; }\n"
			  "vm \"v\" { use b; vm-data \"z\" = \"v\"; }\n"));
	ck_assert_str_eq(vm_data(&c, "v", "vm-data/x"), "a");
	ck_assert_str_eq(vm_data(&c, "v", "vm-data/y"), "b");
	ck_assert_str_eq(vm_data(&c, "v", "vm-data/z"), "v");
	xbc_free(&c);
	ck_assert(!compile(&c, "template a { vm-data \"x\" = \"1\"; }\n"
			   "template b { vm-data \"x\" = \"2\"; }\n"
			   "vm \"v\" { use a; use b; }\n"));
	ck_assert_ptr_nonnull(diag(&c, CHECK_DUPLICATE_KEY));
	xbc_free(&c);
}
END_TEST

START_TEST(template_cycle_is_cut_and_reported)
{
	struct xbc c;

	ck_assert(!compile(&c, "template a { use b; vm-data \"x\" = \"1\"; }\n"
			   "template b { use a; }\nvm \"v\" { use a; }\n"));
	assert_diag_at(&c, CHECK_TEMPLATE_CYCLE, 2, 14);
	xbc_free(&c);
}
END_TEST

/* ---- escapes ------------------------------------------------------------ */

START_TEST(string_pieces_as_written)
{
	/* ab, \x41, $$, ${k}, \n, cd, then the end */
	static const char raw[] = "ab\\x41$$${k}\\ncd";
	static const struct { enum xbc_piece_kind kind; size_t off, len;
			      unsigned char byte; } want[] = {
		{ XBC_PIECE_TEXT, 0, 2, 0 },
		{ XBC_PIECE_BYTE, 2, 4, 'A' },
		{ XBC_PIECE_BYTE, 6, 2, '$' },
		{ XBC_PIECE_CONSTANT, 8, 4, 0 },
		{ XBC_PIECE_BYTE, 12, 2, '\n' },
		{ XBC_PIECE_TEXT, 14, 2, 0 },
		{ XBC_PIECE_END, 16, 1, 0 },
	};
	struct xbc_loc quote = { "t.xb", 3, 10 };
	struct xbc_piece p;
	struct xbc c;
	size_t i, off = 0;

	xbc_init(&c);
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		ck_assert_int_eq(xbc_str_piece(&c, raw, &quote, off, &p),
				 want[i].kind);
		ck_assert_int_eq(p.kind, want[i].kind);
		ck_assert_uint_eq(p.off, want[i].off);
		ck_assert_uint_eq(p.len, want[i].len);
		if (p.kind == XBC_PIECE_BYTE)
			ck_assert_uint_eq(p.byte, want[i].byte);
		off += p.len;
	}
	ck_assert_int_eq(c.ndiags, 0);

	/* an error is reported at its byte: the quote's column + 1 + off */
	ck_assert_int_eq(xbc_str_piece(&c, "ab\\q", &quote, 2, &p),
			 XBC_PIECE_ERROR);
	ck_assert_int_eq(c.ndiags, 1);
	ck_assert_str_eq(c.diags[0].message, "unknown escape '\\q'");
	ck_assert_int_eq(c.diags[0].loc.first_line, 3);
	ck_assert_int_eq(c.diags[0].loc.first_column, 13);
	xbc_free(&c);
}
END_TEST

START_TEST(utf8_len_follows_rfc_3629)
{
	static const struct { const char *p; size_t n, len; const char *why; }
	cases[] = {
		{ "a", 1, 1, NULL },
		{ "\xc3\xa9", 2, 2, NULL },
		{ "\xe2\x82\xac", 3, 3, NULL },
		{ "\xef\xbf\xbf", 3, 3, NULL },   /* UTF-8; XML's refusal */
		{ "\xf4\x8f\xbf\xbf", 4, 4, NULL },
		{ "\xc0\x80", 2, 0, "a byte that is not UTF-8" },
		{ "\x80", 1, 0, "a byte that is not UTF-8" },
		{ "\xe2\x82", 2, 0, "a truncated UTF-8 sequence" },
		{ "\xe2\x41\x41", 3, 0, "a truncated UTF-8 sequence" },
		{ "\xe0\x80\x80", 3, 0,
		  "an overlong or out-of-range UTF-8 sequence" },
		{ "\xf4\x90\x80\x80", 4, 0,
		  "an overlong or out-of-range UTF-8 sequence" },
		{ "\xed\xa0\x80", 3, 0, "a UTF-16 surrogate encoded in UTF-8" },
	};
	const unsigned char *p;
	const char *why;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		p = (const unsigned char *)cases[i].p;
		why = NULL;
		ck_assert_uint_eq(xb_utf8_len(p, cases[i].n, &why),
				  cases[i].len);
		ck_assert_uint_eq(xb_utf8_len(p, cases[i].n, NULL),
				  cases[i].len);
		if (cases[i].why)
			ck_assert_str_eq(why, cases[i].why);
		else
			ck_assert_ptr_null(why);
	}
}
END_TEST


START_TEST(escapes_decode_to_their_bytes)
{
	struct xbc c;

	ck_assert(compile(&c, "vm \"v\" { vm-data \"k\" = "
			  "\"q\\\" b\\\\ n\\n t\\t x\\x41\\x7e\"; }"));
	ck_assert_str_eq(vm_data(&c, "v", "vm-data/k"),
			 "q\" b\\ n\n t\t xA~");
	xbc_free(&c);
}
END_TEST

START_TEST(unknown_escape_is_a_syntax_error_at_the_backslash)
{
	struct xbc c;

	/*                          col 24: the opening quote, 28: '\' */
	ck_assert(!compile(&c, "vm \"v\" { vm-data \"k\" = \"abc\\q\"; }"));
	assert_diag_at(&c, CHECK_SYNTAX, 1, 28);
	xbc_free(&c);
}
END_TEST

START_TEST(short_hex_escape_is_an_error)
{
	struct xbc c;

	ck_assert(!compile(&c, "vm \"v\" { vm-data \"k\" = \"\\x4\"; }"));
	ck_assert_ptr_nonnull(diag(&c, CHECK_SYNTAX));
	xbc_free(&c);
}
END_TEST

/* ---- interpolation ---------------------------------------------------------- */

START_TEST(constants_interpolate_through_each_other)
{
	struct xbc c;

	ck_assert(compile(&c, "vm \"${site}-db\" { vm-data \"k\" = "
			  "\"${full}$$HOME\"; }\n"
			  "let full = \"${site}/x\";\nlet site = \"lab\";\n"));
	ck_assert_str_eq(vm_data(&c, "lab-db", "vm-data/k"), "lab/x$HOME");
	ck_assert_int_eq(c.nwarnings, 0);
	xbc_free(&c);
}
END_TEST

START_TEST(unknown_constant_suggests_the_nearest)
{
	struct xbc c;
	const struct xbc_diag *d;

	ck_assert(!compile(&c, "let site = \"a\";\n"
			   "vm \"v\" { vm-data \"k\" = \"x${stie}\"; }"));
	assert_diag_at(&c, CHECK_UNDEFINED_CONSTANT, 2, 26);
	d = diag(&c, CHECK_UNDEFINED_CONSTANT);
	ck_assert_ptr_nonnull(d->hint);
	ck_assert_str_eq(d->hint, "did you mean '${site}'?");
	xbc_free(&c);
}
END_TEST

START_TEST(constant_defined_by_itself_is_an_error)
{
	struct xbc c;

	ck_assert(!compile(&c, "let a = \"${b}\";\nlet b = \"${a}\";\n"
			   "vm \"v\" { vm-data \"k\" = \"${a}\"; }"));
	ck_assert_ptr_nonnull(diag(&c, CHECK_UNDEFINED_CONSTANT));
	xbc_free(&c);
}
END_TEST

START_TEST(lone_dollar_and_unclosed_brace_are_errors)
{
	struct xbc c;

	ck_assert(!compile(&c, "vm \"v\" { vm-data \"k\" = \"5$\"; }"));
	ck_assert_ptr_nonnull(diag(&c, CHECK_SYNTAX));
	xbc_free(&c);
	ck_assert(!compile(&c, "vm \"v\" { vm-data \"k\" = \"${open\"; }"));
	ck_assert_ptr_nonnull(diag(&c, CHECK_SYNTAX));
	xbc_free(&c);
}
END_TEST

START_TEST(unused_constant_warns_only)
{
	struct xbc c;

	ck_assert(compile(&c, "let spare = \"x\";\nvm \"v\" { }"));
	assert_diag_at(&c, CHECK_UNUSED_CONSTANT, 1, 5);
	ck_assert_int_eq(c.nerrors, 0);
	xbc_free(&c);
}
END_TEST

/* ---- UTF-8 and xml-char --------------------------------------------------- */

START_TEST(valid_utf8_and_tab_lf_cr_pass)
{
	struct xbc c;

	ck_assert(compile(&c, "vm \"v\" { vm-data \"k\" = "
			  "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x8d\x9e\\t\\n\\x0d\"; }"));
	ck_assert_str_eq(vm_data(&c, "v", "vm-data/k"),
			 "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x8d\x9e\t\n\r");
	xbc_free(&c);
}
END_TEST

START_TEST(bad_utf8_points_at_the_byte)
{
	static const char *const bad[] = {
		"\xff",                 /* never UTF-8 */
		"\xc0\xaf",             /* overlong */
		"\xe0\x80\xaf",         /* overlong */
		"\xed\xa0\x80",         /* a surrogate */
		"\xf4\x90\x80\x80",     /* past U+10FFFF */
		"\xc3",                 /* cut short */
		"\xef\xbf\xbe",         /* U+FFFE */
	};
	char src[128];
	struct xbc c;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		/* "ab" then the bad bytes: the opening quote is column 24 */
		snprintf(src, sizeof(src),
			 "vm \"v\" { vm-data \"k\" = \"ab%s\"; }", bad[i]);
		ck_assert_msg(!compile(&c, src), "case %zu compiled", i);
		assert_diag_at(&c, CHECK_XML_CHAR, 1, 27);
		xbc_free(&c);
	}
}
END_TEST

START_TEST(control_character_from_an_escape_is_xml_char)
{
	struct xbc c;

	ck_assert(!compile(&c, "vm \"v\" { other-config \"k\" = \"a\\x01\"; }"));
	assert_diag_at(&c, CHECK_XML_CHAR, 1, 31);
	xbc_free(&c);
	ck_assert(!compile(&c, "vm \"v\" { vm-data \"k\" = \"\\x00\"; }"));
	ck_assert_ptr_nonnull(diag(&c, CHECK_XML_CHAR));
	xbc_free(&c);
}
END_TEST

/* A bad byte after a ${} is placed where it is written: the decoded
 * value is walked back through the constants and loop variables before
 * it (a constant of 3 bytes, a variable of 2 twice, an escape) */
START_TEST(bad_byte_after_constants_is_placed_where_written)
{
	struct xbc c;

	ck_assert(!compile(&c, "let x = \"abc\";\n"
			   "vm \"v\" { vm-data \"k\" = \"${x}d\xff\"; }"));
	assert_diag_at(&c, CHECK_XML_CHAR, 2, 30);
	ck_assert_int_eq(c.nerrors, 1);
	xbc_free(&c);
	ck_assert(!compile(&c, "for i in 10..10 { vm \"v${i}\" { "
			   "vm-data \"k\" = \"${i}${i}\\x01\"; } }"));
	assert_diag_at(&c, CHECK_XML_CHAR, 1, 55);
	ck_assert_int_eq(c.nerrors, 1);
	xbc_free(&c);
}
END_TEST

START_TEST(bad_byte_inside_a_constant_is_reported_at_the_let)
{
	struct xbc c;

	ck_assert(!compile(&c, "let x = \"\\x02\";\n"
			   "vm \"v\" { vm-data \"k\" = \"${x}\"; }"));
	assert_diag_at(&c, CHECK_XML_CHAR, 1, 10);
	ck_assert_int_eq(c.nerrors, 1);
	xbc_free(&c);
}
END_TEST

/* ---- nearest word ------------------------------------------------------------ */

START_TEST(nearest_word_by_edit_distance)
{
	static const char *const keys[] = XB_I18N_KEYS;
	const size_t n = sizeof(keys) / sizeof(keys[0]);

	ck_assert_str_eq(xbc_nearest("local-storag", keys, n), "local-storage");
	ck_assert_str_eq(xbc_nearest("lokal-storage", keys, n), "local-storage");
	ck_assert_str_eq(xbc_nearest("xenserver-tool", keys, n),
			 "xenserver-tools");
	ck_assert_str_eq(xbc_nearest("local-hotplug-dsk", keys, n),
			 "local-hotplug-disk");
	ck_assert_ptr_null(xbc_nearest("banana", keys, n));
	ck_assert_ptr_null(xbc_nearest("x", keys, 0));
}
END_TEST

/* ---- -W options -------------------------------------------------------------- */

START_TEST(w_options_switch_checks)
{
	struct xbc_options opt;
	const char *why = NULL;

	xbc_options_default(&opt);
	ck_assert_int_eq(opt.severity[CHECK_HIDDEN_SR], SEV_WARNING);
	ck_assert_int_eq(xbc_option_w(&opt, "no-hidden-sr", &why), 0);
	ck_assert_int_eq(opt.severity[CHECK_HIDDEN_SR], SEV_OFF);
	ck_assert_int_eq(xbc_option_w(&opt, "hidden-sr", &why), 0);
	ck_assert_int_eq(opt.severity[CHECK_HIDDEN_SR], SEV_WARNING);
	ck_assert_int_eq(xbc_option_w(&opt, "error=unused-constant", &why), 0);
	ck_assert_int_eq(opt.severity[CHECK_UNUSED_CONSTANT], SEV_ERROR);
	ck_assert_int_eq(opt.severity[CHECK_HIDDEN_SR], SEV_WARNING);
	ck_assert_int_eq(xbc_option_w(&opt, "error", &why), 0);
	ck_assert_int_eq(opt.severity[CHECK_HIDDEN_SR], SEV_ERROR);
	ck_assert_int_eq(xbc_option_w(&opt, "no-xenstore-key", &why), 0);
	ck_assert_int_eq(opt.severity[CHECK_XENSTORE_KEY], SEV_OFF);
}
END_TEST

START_TEST(w_refuses_what_the_blob_cannot_hold)
{
	static const char *const fixed[] = {
		"no-syntax", "no-include", "no-undefined-constant",
		"no-duplicate-key", "no-misplaced-statement",
	};
	struct xbc_options opt;
	const char *why;
	size_t i;

	xbc_options_default(&opt);
	for (i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++) {
		why = NULL;
		ck_assert_int_eq(xbc_option_w(&opt, fixed[i], &why), -1);
		ck_assert_ptr_nonnull(why);
	}
	ck_assert_int_eq(xbc_option_w(&opt, "no-such-check", &why), -1);
	ck_assert_int_eq(xbc_option_w(&opt, "error=nope", &why), -1);
}
END_TEST

/* ---- lowering ------------------------------------------------------------------- */

START_TEST(blocks_selecting_one_object_merge)
{
	struct xbc c;
	const struct xbc_object *o;

	ck_assert(compile(&c, "vm \"a\" optional { vm-data \"x\" = \"1\"; }\n"
			  "vm \"a\" { vm-data \"y\" = \"2\"; vm-data \"x\" = \"1\"; }\n"
			  "vm \"b\" optional { }\nvm \"b\" optional { }\n"));
	ck_assert_uint_eq(c.nobjects, 2);
	o = object(&c, XB_CLASS_VM, "a");
	ck_assert_ptr_nonnull(o);
	ck_assert_uint_eq(o->nentries, 2);
	ck_assert(!o->optional);
	o = object(&c, XB_CLASS_VM, "b");
	ck_assert_ptr_nonnull(o);
	ck_assert(o->optional);
	xbc_free(&c);
}
END_TEST

struct named_hash {
	uint32_t hash, n;
};

static int named_hash_cmp(const void *a, const void *b)
{
	const struct named_hash *x = a, *y = b;

	if (x->hash != y->hash)
		return x->hash < y->hash ? -1 : 1;
	return (x->n > y->n) - (x->n < y->n);
}

/* Two VM names whose selector hashes agree, as the objects' index keeps
 * them: a birthday search (about 19 pairs expected among 400,000) */
static void colliding_names(char *a, char *b, size_t size)
{
	enum { N = 400000 };
	struct named_hash *v = calloc(N, sizeof(*v));
	char name[32];
	uint32_t i;

	ck_assert_ptr_nonnull(v);
	for (i = 0; i < N; i++) {
		snprintf(name, sizeof(name), "vm-%u", i);
		v[i] = (struct named_hash){
			xbc_select_hash(XB_CLASS_VM, SELECT_NAME, name, "", -1), i };
	}
	qsort(v, N, sizeof(*v), named_hash_cmp);
	for (i = 1; i < N && v[i].hash != v[i - 1].hash; i++)
		;
	ck_assert_uint_lt(i, N);
	snprintf(a, size, "vm-%u", v[i - 1].n);
	snprintf(b, size, "vm-%u", v[i].n);
	free(v);
}

/* Selectors that share the index's hash are still two objects, each
 * found again past the other's slot */
START_TEST(objects_with_one_hash_stay_apart)
{
	char a[32], b[32], src[512];
	struct xbc c;

	colliding_names(a, b, sizeof(a));
	snprintf(src, sizeof(src),
		 "vm \"%s\" { vm-data \"x\" = \"1\"; }\n"
		 "vm \"%s\" { vm-data \"x\" = \"2\"; }\n"
		 "vm \"%s\" { vm-data \"y\" = \"3\"; }\n"
		 "vm \"%s\" { vm-data \"y\" = \"4\"; }\n", a, b, a, b);
	ck_assert(compile(&c, src));
	ck_assert_uint_eq(c.nobjects, 2);
	ck_assert_str_eq(vm_data(&c, a, "vm-data/x"), "1");
	ck_assert_str_eq(vm_data(&c, a, "vm-data/y"), "3");
	ck_assert_str_eq(vm_data(&c, b, "vm-data/x"), "2");
	ck_assert_str_eq(vm_data(&c, b, "vm-data/y"), "4");
	xbc_free(&c);
}
END_TEST

/* Plain blocks are lowered while parsed: the tree keeps none of them,
 * the objects are there before resolve, and reused nodes come zeroed */
START_TEST(plain_blocks_are_lowered_as_parsed)
{
	static const char src[] =
		"vm \"a\" { vm-data \"x\" = \"1\" once; tag \"t\"; }\n"
		"vm \"b\" optional { vm-data \"y\" = \"2\"; }\n"
		"vm \"a\" { other-config \"z\" = \"3\"; }\n";
	struct xbc c;
	const struct xbc_object *o;

	xbc_init(&c);
	ck_assert_int_eq(xbc_parse_buffer(&c, "t.xb", src, sizeof(src) - 1), 0);
	ck_assert_ptr_null(c.blocks);
	ck_assert_uint_eq(c.nobjects, 2);
	ck_assert(xbc_compile(&c));
	o = object(&c, XB_CLASS_VM, "a");
	ck_assert_ptr_nonnull(o);
	ck_assert_uint_eq(o->nentries, 3);
	ck_assert_int_eq(o->line, 1);
	ck_assert(o->entries[0].once);
	ck_assert_str_eq(vm_data(&c, "b", "vm-data/y"), "2");
	o = object(&c, XB_CLASS_VM, "b");
	ck_assert_ptr_nonnull(o);
	ck_assert(o->optional);
	ck_assert(!o->entries[0].once);
	xbc_free(&c);
}
END_TEST

/* A block lowered after resolve (a ${}) written before a plain one that
 * sets the same key: the later statement is the duplicate, and the
 * object is placed at its first block, as if all were lowered late */
START_TEST(blocks_lowered_late_keep_source_order)
{
	struct xbc c;

	ck_assert(!compile(&c, "let v = \"1\";\n"
			   "vm \"${v}\" { vm-data \"k\" = \"${v}\"; }\n"
			   "vm \"1\" { vm-data \"k\" = \"2\"; }\n"));
	ck_assert_uint_eq(c.ndiags, 1);
	ck_assert_int_eq(c.diags[0].check, CHECK_DUPLICATE_KEY);
	ck_assert_int_eq(c.diags[0].loc.first_line, 3);
	ck_assert_int_eq(c.diags[0].nnotes, 1);
	ck_assert_int_eq(c.diags[0].note_loc[0].first_line, 2);
	xbc_free(&c);

	ck_assert(compile(&c, "let v = \"1\";\n"
			  "vm \"${v}\" { }\n"
			  "vm \"1\" { vm-data \"k\" = \"2\"; }\n"));
	ck_assert_uint_eq(c.nobjects, 1);
	ck_assert_int_eq(c.objects[0]->line, 2);
	xbc_free(&c);
}
END_TEST

/* A plain block with a finding goes back to the later path: what it
 * made is undone (no second object, no entry twice), and the finding
 * is reported once */
START_TEST(plain_block_with_a_finding_is_undone)
{
	struct xbc c;
	const struct xbc_object *o;

	ck_assert(compile(&c, "sr \"x\" { hide-from-xencenter; }\n"
			  "sr \"x\" { other-config \"o\" = \"1\"; }\n"
			  "sr \"x\" optional { hide-from-xencenter; }\n"));
	ck_assert_uint_eq(c.nobjects, 1);
	ck_assert_uint_eq(c.nwarnings, 2);
	ck_assert_uint_eq(c.ndiags, 2);
	ck_assert_int_eq(c.diags[0].loc.first_line, 1);
	ck_assert_int_eq(c.diags[1].loc.first_line, 3);
	o = object(&c, XB_CLASS_SR, "x");
	ck_assert_ptr_nonnull(o);
	ck_assert_uint_eq(o->nentries, 2);
	ck_assert(!o->optional);
	xbc_free(&c);
}
END_TEST

/* A statement reported is dropped: lowered as parsed (where the report
 * is not recorded yet) its entry is made, then undone, on a new object
 * and on one made before */
START_TEST(plain_block_undone_leaves_no_entry)
{
	static const char src[] =
		"vm \"new\" { xenstore-data \"other/k\" = \"1\"; }\n"
		"vm \"old\" { vm-data \"a\" = \"1\"; }\n"
		"vm \"old\" { xenstore-data \"other/k\" = \"1\"; }\n";
	struct xbc c;
	const struct xbc_object *o;

	xbc_init(&c);
	c.opt.severity[CHECK_XENSTORE_DATA_PREFIX] = SEV_WARNING;
	ck_assert_int_eq(xbc_parse_buffer(&c, "t.xb", src, sizeof(src) - 1), 0);
	ck_assert(xbc_compile(&c));
	ck_assert_uint_eq(c.nwarnings, 2);
	ck_assert_uint_eq(c.nobjects, 2);
	o = object(&c, XB_CLASS_VM, "new");
	ck_assert_ptr_nonnull(o);
	ck_assert_uint_eq(o->nentries, 0);
	o = object(&c, XB_CLASS_VM, "old");
	ck_assert_ptr_nonnull(o);
	ck_assert_uint_eq(o->nentries, 1);
	xbc_free(&c);
}
END_TEST

START_TEST(i18n_key_derives_the_original_name)
{
	struct xbc c;

	ck_assert(compile(&c, "sr \"Local storage\" { i18n-key local-storage; }\n"
			  "sr \"Old\" { name-label \"New\"; "
			  "other-config \"i18n-key\" = \"local-hotplug-cd\"; }\n"));
	ck_assert_str_eq(value(&c, XB_CLASS_SR, "Local storage",
			       XB_FIELD_OTHER_CONFIG, XB_KEY_I18N_ORIG_NAME),
			 "Local storage");
	ck_assert_str_eq(value(&c, XB_CLASS_SR, "Old", XB_FIELD_OTHER_CONFIG,
			       XB_KEY_I18N), "local-hotplug-cd");
	ck_assert_str_eq(value(&c, XB_CLASS_SR, "Old", XB_FIELD_OTHER_CONFIG,
			       XB_KEY_I18N_ORIG_NAME), "New");
	ck_assert_str_eq(value(&c, XB_CLASS_SR, "Old", XB_FIELD_NAME_LABEL, ""),
			 "New");
	xbc_free(&c);
}
END_TEST

START_TEST(i18n_key_on_sr_by_uuid_without_name_is_an_error)
{
	struct xbc c;

	ck_assert(!compile(&c, "sr uuid \"6f1c2a9e-3b1d-4c55-9a57-0c1d2e3f4a5b\""
			   " { i18n-key local-storage; }"));
	ck_assert_ptr_nonnull(diag(&c, CHECK_I18N_KEY));
	xbc_free(&c);
	ck_assert(compile(&c, "sr uuid \"6f1c2a9e-3b1d-4c55-9a57-0c1d2e3f4a5b\""
			  " { i18n-key local-storage; name-label \"L\"; }"));
	xbc_free(&c);
}
END_TEST

START_TEST(xenstore_path_length_limit_is_exact)
{
	/* "/local/domain/" 14 + 5 digits + "/" = 20; "vm-data/" 8: a key of
	 * 996 bytes makes 1024, one more is too long */
	char *src = malloc(2200), *p;
	struct xbc c;
	int len;

	ck_assert_ptr_nonnull(src);
	for (len = 996; len <= 997; len++) {
		p = src + sprintf(src, "vm \"v\" { vm-data \"");
		memset(p, 'k', (size_t)len);
		strcpy(p + len, "\" = \"1\"; }");
		ck_assert_int_eq(compile(&c, src), len == 996);
		ck_assert_int_eq(diag(&c, CHECK_XENSTORE_PATH_LENGTH) != NULL,
				 len == 997);
		xbc_free(&c);
	}
	free(src);
}
END_TEST

/* The blob of src, malloc'd, *len bytes; fails the test if src does not
 * compile. With table, its positions are numbered through the table, as
 * when a "#@" line could give two tokens one place. */
static unsigned char *blob_via(const char *src, bool table, size_t *len)
{
	unsigned char *out = NULL;
	struct xbc c;

	ck_assert(compile(&c, src));
	c.positions_shared = c.positions_shared || table;
	ck_assert_int_eq(xbc_emit(&c, &out, len), 0);
	xbc_free(&c);
	return out;
}

static unsigned char *blob_of(const char *src, size_t *len)
{
	return blob_via(src, false, len);
}

/* ---- emit ------------------------------------------------------------------------ */

START_TEST(blob_is_readable_and_the_same_every_time)
{
	static const char src[] =
		"let s = \"lab\";\n"
		"vm \"web\" { vm-data \"role\" = \"${s}\"; hide-from-xencenter; }\n"
		"pif \"eth1\" host \"h1\" { hide-from-xencenter; }\n"
		"network \"n\" { other-config \"owner\" = \"lab\"; }\n"
		"sr \"Local storage\" { i18n-key local-storage; }\n";
	unsigned char *a = NULL, *b = NULL;
	size_t alen = 0, blen = 0;
	struct xbb blob;
	struct xbb_object o;

	a = blob_of(src, &alen);
	b = blob_of(src, &blen);
	ck_assert_uint_eq(alen, blen);
	ck_assert(!memcmp(a, b, alen));
	ck_assert_int_eq(xbb_open(&blob, a, alen), XBB_OK);
	ck_assert_uint_eq(blob.nobjects, 4);
	ck_assert_uint_eq(blob.nentries, 6);
	xbb_object(&blob, 0, &o);   /* vm first, then sr, network, pif */
	ck_assert_int_eq(o.cls, XB_CLASS_VM);
	ck_assert_str_eq(o.pos.file, "t.xb");
	ck_assert_uint_eq(o.pos.line, 2);
	xbb_object(&blob, 3, &o);
	ck_assert_int_eq(o.cls, XB_CLASS_PIF);
	ck_assert_str_eq(o.host, "h1");
	free(a);
	free(b);
}
END_TEST

/* The emit reads no node of the tree: released after lowering, the tree
 * leaves the blob as it was, on both ways of storing positions (one a
 * record, and deduped after a for and a use) */
START_TEST(blob_after_the_tree_is_released_is_the_same)
{
	static const char *const srcs[] = {
		"vm \"a\" { vm-data \"k\" = \"1\"; other-config \"o\" = \"x\"; }\n"
		"sr \"Local storage\" { i18n-key local-storage; }\n",
		"let s = \"lab\";\n"
		"template t { vm-data \"role\" = \"${s}\"; tag \"gpu\"; }\n"
		"for i in 1..3 { vm \"v${i}\" { use t; vm-data \"i\" = \"${i}\"; } }\n"
		"vm \"v2\" { other-config \"k\" = \"v\" once; }\n",
	};
	unsigned char *a = NULL, *b = NULL;
	size_t alen = 0, blen = 0, i;
	struct xbc c;

	for (i = 0; i < sizeof(srcs) / sizeof(srcs[0]); i++) {
		ck_assert(compile(&c, srcs[i]));
		ck_assert_int_eq(xbc_emit(&c, &a, &alen), 0);
		xbc_free(&c);
		ck_assert(compile(&c, srcs[i]));
		xbc_release_tree(&c);
		ck_assert_ptr_null(c.blocks);
		ck_assert_ptr_null(c.arena.chunks);
		ck_assert_int_eq(xbc_emit(&c, &b, &blen), 0);
		xbc_free(&c);
		ck_assert_uint_eq(alen, blen);
		ck_assert(!memcmp(a, b, alen));
		free(a);
		free(b);
	}
}
END_TEST

/* A source read from disk is never held whole (the parser reads it a
 * piece at a time); a diagnostic reads its line back from the file */
START_TEST(diagnostic_reads_a_released_source_back)
{
	static const char src[] = "vm \"a\" {\n    vm-data \"bad key\" = \"1\";\n}\n";
	char dir[] = "/tmp/xb-compiler-XXXXXX", path[64], *text = NULL;
	size_t size = 0;
	struct xbc c;
	FILE *f, *out;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/t.xb", dir);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(fputs(src, f) >= 0, 1);
	ck_assert_int_eq(fclose(f), 0);
	xbc_init(&c);
	ck_assert_int_eq(xbc_parse_file(&c, path), 0);
	ck_assert_ptr_null(c.main_file->text);
	ck_assert_int_eq(c.main_file->fd, -1);     /* read, and closed */
	ck_assert(!xbc_compile(&c));
	out = open_memstream(&text, &size);
	ck_assert_ptr_nonnull(out);
	xbc_print_diags(&c, false, false, out);
	ck_assert_int_eq(fclose(out), 0);
	ck_assert_ptr_nonnull(strstr(text, "t.xb:2:17: error: "));
	ck_assert_ptr_nonnull(strstr(text, "\n    vm-data \"bad key\" = \"1\";\n"
					   "                ^\n"));
	free(text);
	xbc_free(&c);
	ck_assert_int_eq(unlink(path), 0);
	ck_assert_int_eq(rmdir(dir), 0);
}
END_TEST

/* The blob streamed to a file (through a buffer far smaller than it,
 * one value longer than that buffer) is byte for byte the blob made in
 * memory; --check's emit writes nothing; a failing write is an error. */
START_TEST(blob_streamed_to_a_file_is_the_blob_in_memory)
{
	size_t big = 300 * 1000, n = 40000, len = 0, i, off = 0;
	char *src = malloc(n * 64 + big + 64);
	unsigned char *mem = NULL, *file;
	struct xbb blob;
	struct xbc c;
	FILE *tmp = tmpfile();
	int full;

	ck_assert_ptr_nonnull(src);
	ck_assert_ptr_nonnull(tmp);
	off += (size_t)sprintf(src + off, "vm \"big\" { other-config \"k\" = \"");
	memset(src + off, 'x', big);
	off += big;
	off += (size_t)sprintf(src + off, "\"; }\n");
	for (i = 0; i < n; i++)
		off += (size_t)sprintf(src + off, "vm \"v%zu\" { vm-data "
				       "\"k%zu\" = \"%zu\"; }\n", i, i % 7, i);
	ck_assert(compile(&c, src));
	ck_assert_int_eq(xbc_emit(&c, &mem, &len), 0);
	ck_assert_int_eq(xbb_open(&blob, mem, len), XBB_OK);
	ck_assert_uint_eq(blob.nobjects, n + 1);
	ck_assert_int_eq(xbc_emit_fd(&c, fileno(tmp), "tmp"), 0);
	ck_assert_int_eq(xbc_emit_fd(&c, -1, NULL), 0);
	full = open("/dev/full", O_WRONLY);
	if (full >= 0) {
		ck_assert_int_eq(xbc_emit_fd(&c, full, "/dev/full"), -1);
		close(full);
	}
	xbc_free(&c);
	ck_assert_int_eq(fseek(tmp, 0, SEEK_END), 0);
	ck_assert_int_eq(ftell(tmp), (long)len);
	rewind(tmp);
	file = malloc(len);
	ck_assert_ptr_nonnull(file);
	ck_assert_uint_eq(fread(file, 1, len, tmp), len);
	ck_assert(!memcmp(mem, file, len));
	fclose(tmp);
	free(file);
	free(mem);
	free(src);
}
END_TEST

/* emit numbers positions by record when none can repeat, and through a
 * table otherwise (a "#@" line may give two tokens one place): the two
 * ways give the same bytes, and the table stores a repeated one once */
START_TEST(positions_by_record_and_by_table_agree)
{
	static const char plain[] =
		"vm \"a\" {\n    vm-data \"k\" = \"v\";\n}\n"
		"vm \"b\" {\n    vm-data \"k\" = \"w\";\n    hide-from-xencenter;\n}\n";
	/* the same tokens, each placed by a "#@" line where it is above */
	static const char placed[] =
		"#@ \"t.xb\" 1:1\nvm \"a\" {\n#@ \"t.xb\" 2:5\n    vm-data \"k\" = \"v\";\n}\n"
		"#@ \"t.xb\" 4:1\nvm \"b\" {\n#@ \"t.xb\" 5:5\n    vm-data \"k\" = \"w\";\n"
		"#@ \"t.xb\" 6:5\n    hide-from-xencenter;\n}\n";
	/* two statements placed at one position */
	static const char twice[] =
		"vm \"a\" {\n#@ \"t.xb\" 9:9\n    vm-data \"k\" = \"v\";\n"
		"#@ \"t.xb\" 9:9\n    vm-data \"l\" = \"v\";\n}\n";
	unsigned char *a, *b;
	size_t alen = 0, blen = 0;
	struct xbb blob;
	struct xbb_entry e;

	a = blob_of(plain, &alen);
	b = blob_of(placed, &blen);
	ck_assert_uint_eq(alen, blen);
	ck_assert(!memcmp(a, b, alen));
	ck_assert_int_eq(xbb_open(&blob, a, alen), XBB_OK);
	ck_assert_uint_eq(blob.npositions, 5);
	free(a);
	free(b);

	a = blob_of(twice, &alen);
	ck_assert_int_eq(xbb_open(&blob, a, alen), XBB_OK);
	ck_assert_uint_eq(blob.nentries, 2);
	ck_assert_uint_eq(blob.npositions, 2);   /* the vm's, and 9:9 once */
	xbb_entry(&blob, 1, &e);
	ck_assert_uint_eq(e.pos.line, 9);
	ck_assert_uint_eq(e.pos.column, 9);
	free(a);
}
END_TEST

/* The name an i18n-key derives (i18n-original-value-name_label) is made
 * at the i18n-key's place: numbered by record, it takes that entry's
 * position, as the table gives it, and the next entries go on from
 * there; no table is needed for it */
START_TEST(derived_entry_shares_its_place_by_record_as_by_table)
{
	static const char src[] =
		"sr \"Local storage\" {\n    other-config \"a\" = \"1\";\n"
		"    i18n-key local-storage;\n    other-config \"z\" = \"2\";\n}\n"
		"sr \"B\" { name-label \"Bee\"; i18n-key ebs; }\n"
		"vm \"v\" { vm-data \"k\" = \"1\"; }\n";
	unsigned char *a = NULL, *b = NULL;
	size_t alen = 0, blen = 0, i, n, key = 0, orig = 0;
	struct xbb blob;
	struct xbb_entry e, f;
	struct xbc c;

	ck_assert(compile(&c, src));
	ck_assert(!c.positions_shared);      /* numbered by record */
	xbc_free(&c);
	a = blob_of(src, &alen);
	b = blob_via(src, true, &blen);
	ck_assert_uint_eq(alen, blen);
	ck_assert(!memcmp(a, b, alen));

	ck_assert_int_eq(xbb_open(&blob, a, alen), XBB_OK);
	/* 3 objects and 8 entries, two of them derived names: 9 places */
	ck_assert_uint_eq(blob.nobjects, 3);
	ck_assert_uint_eq(blob.nentries, 8);
	ck_assert_uint_eq(blob.npositions, 9);
	for (i = 0, n = 0; i < blob.nentries; i++) {
		xbb_entry(&blob, i, &e);
		if (!strcmp(e.key, "i18n-key") && e.pos.line == 3) {
			key = i;
			n++;
		}
		if (!strcmp(e.key, "i18n-original-value-name_label") &&
		    e.pos.line == 3) {
			orig = i;
			n++;
		}
	}
	ck_assert_uint_eq(n, 2);
	xbb_entry(&blob, key, &e);
	xbb_entry(&blob, orig, &f);
	ck_assert_uint_eq(e.pos.column, 5);
	ck_assert_uint_eq(f.pos.column, 5);
	free(a);
	free(b);
}
END_TEST

/* Nearly every key and value distinct: the strings outgrow the table
 * sized for a string a record, which doubles, keeping too little of
 * each hash to move it; a string met again after that is still found,
 * and stored once (its two entries point at one place in the blob) */
START_TEST(strings_outgrow_their_table_and_are_stored_once)
{
	enum { N = 300, M = 10 };   /* "b" repeats the first M of "a" */
	char *src = NULL, *p;
	unsigned char *a = NULL;
	size_t alen = 0, i, size = 2 * (N * 48 + 32);
	struct xbb blob;
	struct xbb_entry e, f;
	int v;

	p = src = malloc(size);
	ck_assert_ptr_nonnull(src);
	for (v = 0; v < 2; v++) {
		p += sprintf(p, "vm \"%c\" {\n", "ab"[v]);
		for (i = 0; i < (v ? M : N); i++)
			p += sprintf(p, "vm-data \"k%03zu\" = \"value %zu\";\n", i, i);
		p += sprintf(p, "}\n");
	}
	ck_assert_uint_lt((size_t)(p - src), size);
	a = blob_of(src, &alen);
	ck_assert_int_eq(xbb_open(&blob, a, alen), XBB_OK);
	ck_assert_uint_eq(blob.nentries, N + M);
	for (i = 0; i < M; i++) {
		xbb_entry(&blob, (uint32_t)i, &e);
		xbb_entry(&blob, (uint32_t)(N + i), &f);
		ck_assert_str_eq(e.value, f.value);
		ck_assert_ptr_eq(e.key, f.key);
		ck_assert_ptr_eq(e.value, f.value);
	}
	free(a);
	free(src);
}
END_TEST

/* Numbers for strings, in order of first use: by text for keys (two
 * copies of one key are one number), by address for files (two files
 * may have one name); still the same after the table grew many times */
START_TEST(names_number_by_text_or_by_address)
{
	enum { N = 1000 };
	struct xbc_names keys = { 0 }, files = { .by_address = true };
	char one[] = "k", two[] = "k", *s[N], *copy[N];
	size_t i;

	ck_assert_int_eq(xbc_names_number(&keys, one), 0);
	ck_assert_int_eq(xbc_names_number(&keys, two), 0);
	ck_assert_int_eq(xbc_names_number(&files, one), 0);
	ck_assert_int_eq(xbc_names_number(&files, two), 1);
	for (i = 0; i < N; i++) {
		ck_assert_int_ne(asprintf(&s[i], "key %zu", i), -1);
		ck_assert_int_eq(xbc_names_number(&keys, s[i]), (int64_t)i + 1);
	}
	for (i = 0; i < N; i++) {     /* each at an address of its own:
					 a numbered string never changes */
		ck_assert_ptr_nonnull(copy[i] = strdup(s[i]));
		ck_assert_int_eq(xbc_names_number(&keys, copy[i]), (int64_t)i + 1);
		ck_assert_ptr_eq(keys.v[i + 1], s[i]);
	}
	ck_assert_uint_eq(keys.n, N + 1);
	for (i = 0; i < N; i++) {
		free(s[i]);
		free(copy[i]);
	}
	xbc_names_free(&keys);
	xbc_names_free(&files);
	ck_assert(files.by_address);
}
END_TEST

/* Objects written out of order come out in the blob's order: class,
 * selection, selector (bytes as unsigned, a prefix first), host, VLAN */
START_TEST(objects_sorted_from_any_order)
{
	static const char src[] =
		"vm \"web-server-2\" { hide-from-xencenter; }\n"
		"pif \"eth0\" host \"h2\" { hide-from-xencenter; }\n"
		"vm \"web-server-10\" { hide-from-xencenter; }\n"
		"vm \"\xc3\xa9t\xc3\xa9\" { hide-from-xencenter; }\n"
		"vm \"web\" { hide-from-xencenter; }\n"
		"network \"n\" { hide-from-xencenter; }\n"
		"vm uuid \"6f1c2a9e-3b1d-4c55-9a57-0c1d2e3f4a5b\" { hide-from-xencenter; }\n"
		"pif \"eth0\" vlan 5 { hide-from-xencenter; }\n"
		"vm \"web-server-1\" { hide-from-xencenter; }\n"
		"pif \"eth0\" host \"h1\" { hide-from-xencenter; }\n"
		"vm \"web-serv\" { hide-from-xencenter; }\n"
		"pif \"eth0\" { hide-from-xencenter; }\n"
		"vm \"a\" { hide-from-xencenter; }\n";
	static const char *const want[] = {
		"a", "web", "web-serv", "web-server-1", "web-server-10",
		"web-server-2", "\xc3\xa9t\xc3\xa9",
		"6f1c2a9e-3b1d-4c55-9a57-0c1d2e3f4a5b", "n",
		"eth0", "eth0", "eth0", "eth0",
	};
	static const char *const pif_hosts[] = { "", "", "h1", "h2" };
	struct xbc c;
	size_t i;

	ck_assert(compile(&c, src));
	ck_assert_uint_eq(c.nobjects, sizeof(want) / sizeof(want[0]));
	for (i = 0; i < c.nobjects; i++)
		ck_assert_str_eq(c.objects[i]->selector, want[i]);
	ck_assert_int_eq(c.objects[6]->how, SELECT_NAME);
	ck_assert_int_eq(c.objects[7]->how, SELECT_UUID);
	for (i = 0; i < 4; i++) {
		ck_assert_int_eq(c.objects[9 + i]->cls, XB_CLASS_PIF);
		ck_assert_str_eq(c.objects[9 + i]->host, pif_hosts[i]);
	}
	ck_assert_int_eq(c.objects[9]->vlan, -1);   /* no VLAN first */
	ck_assert_int_eq(c.objects[10]->vlan, 5);
	xbc_free(&c);
}
END_TEST

/* The header names the owner by its offset, found before any string
 * is written: right when the owner is a string met earlier (a selector,
 * a key, a value) and when it is new */
START_TEST(owner_offset_right_when_met_before_or_new)
{
	static const char *const srcs[] = {
		"owner \"web\";\nvm \"web\" { vm-data \"a\" = \"1\"; }\n",
		"owner \"k\";\nvm \"web\" { other-config \"k\" = \"1\"; }\n",
		"owner \"v\";\nvm \"web\" { vm-data \"a\" = \"v\"; vm-data \"b\" = \"w\"; }\n",
		"owner \"team\";\nvm \"web\" { vm-data \"a\" = \"1\"; }\n",
	};
	static const char *const want[] = { "web", "k", "v", "team" };
	unsigned char *a;
	size_t alen, i;
	struct xbb blob;

	for (i = 0; i < sizeof(srcs) / sizeof(srcs[0]); i++) {
		a = blob_of(srcs[i], &alen);
		ck_assert_int_eq(xbb_open(&blob, a, alen), XBB_OK);
		ck_assert_str_eq(blob.owner, want[i]);
		free(a);
	}
}
END_TEST

/* The arena hands out aligned blocks that keep their bytes, small ones
 * from shared chunks, big ones (bigger than the chunks) alone */
START_TEST(arena_blocks_keep_their_bytes)
{
	static const size_t sizes[] = { 0, 1, 15, 16, 17, 4000, 5000, 3,
					100000, 40, 3 << 20, 7, 64 };
	struct xbc_arena a = { 0 };
	unsigned char *p[2][sizeof(sizes) / sizeof(sizes[0])];
	size_t i, j, r;

	for (r = 0; r < 2; r++) {
		for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
			p[r][i] = xbc_arena_alloc(&a, sizes[i]);
			ck_assert_ptr_nonnull(p[r][i]);
			ck_assert_uint_eq((uintptr_t)p[r][i] % 8, 0);
			memset(p[r][i], (int)(r * 16 + i + 1), sizes[i]);
		}
	}
	for (r = 0; r < 2; r++) {
		for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
			for (j = 0; j < sizes[i] &&
				    p[r][i][j] == r * 16 + i + 1; j++)
				;
			ck_assert_uint_eq(j, sizes[i]);
		}
	}
	xbc_arena_free(&a);
	ck_assert_ptr_null(a.chunks);
}
END_TEST

/* Strings take their bytes and no padding; a node after them is still
 * aligned, and neither overwrites the other */
START_TEST(arena_strings_packed)
{
	static const char text[] = "key-00value-1-2x";
	struct xbc c;
	char *s[40];
	unsigned char *node[40];
	size_t i;

	xbc_init(&c);
	for (i = 0; i < 40; i++) {
		s[i] = xbc_arena_strndup(&c, text, i % 17);
		node[i] = xbc_new(&c, 24);
		ck_assert_ptr_nonnull(s[i]);
		ck_assert_ptr_nonnull(node[i]);
		ck_assert_uint_eq((uintptr_t)node[i] % 8, 0);
		memset(node[i], 0xa5, 24);
	}
	for (i = 0; i < 40; i++) {
		ck_assert_uint_eq(strlen(s[i]), i % 17);
		ck_assert(!memcmp(s[i], text, i % 17));
		ck_assert_uint_eq(node[i][0], 0xa5);
		ck_assert_uint_eq(node[i][23], 0xa5);
	}
	/* two strings in a row share a chunk: the second right after the
	   first's NUL */
	s[0] = xbc_arena_strndup(&c, "abc", 3);
	s[1] = xbc_arena_strndup(&c, "de", 2);
	ck_assert_ptr_eq(s[1], s[0] + 4);
	xbc_free(&c);
}
END_TEST

/* A short plain string written again is the same string of the tree,
 * shared, not copied; a long one, or one with an escape, is its own */
START_TEST(repeated_plain_strings_are_shared)
{
	static const char src[] =
		"vm \"a\" { vm-data \"k\" = \"1\"; other-config \"k\" = \"x\\x41\"; "
		"name-description \"0123456789012345678901234567890123\"; }\n"
		"vm \"b\" { vm-data \"k\" = \"2\"; other-config \"k\" = \"x\\x41\"; "
		"name-description \"0123456789012345678901234567890123\"; }\n";
	const struct xbc_stmt *a, *b;
	struct xbc c;

	xbc_init(&c);
	ck_assert_int_eq(xbc_parse_buffer(&c, "t.xb", src, sizeof(src) - 1), 0);
	a = c.blocks->stmts;
	b = c.blocks->next->stmts;
	ck_assert_ptr_eq(a->key.raw, b->key.raw);
	ck_assert_ptr_ne(a->value.raw, b->value.raw);
	ck_assert_ptr_ne(a->next->value.raw, b->next->value.raw);
	ck_assert_ptr_ne(a->next->next->value.raw, b->next->next->value.raw);
	ck_assert_str_eq(a->next->next->value.raw, b->next->next->value.raw);
	xbc_resolve(&c, xbc_lower_block);
	ck_assert_int_eq(c.nerrors, 0);
	ck_assert_str_eq(a->next->value.value, "xA");
	xbc_free(&c);
}
END_TEST

/* A shared string is one of the same length: "a" is not taken for a
 * longer string that starts with it and was kept in the same slot (of
 * 500 such strings, one lands in a's slot but for odds of 1 in 2,500;
 * here "a484" does) */
START_TEST(shared_string_is_not_a_longer_one)
{
	char *src = malloc(16384), *p = src;
	struct xbc c;
	int i;

	ck_assert_ptr_nonnull(src);
	p += sprintf(p, "vm \"v\" {\n");
	for (i = 0; i < 500; i++)
		p += sprintf(p, " tag \"a%d\";", i);
	sprintf(p, "\n vm-data \"z\" = \"a\";\n}\n");
	ck_assert(compile(&c, src));
	ck_assert_str_eq(vm_data(&c, "v", "vm-data/z"), "a");
	xbc_free(&c);
	free(src);
}
END_TEST

/* A million statements cost a million of these: their size is kept */
START_TEST(tree_nodes_small)
{
	ck_assert_uint_le(sizeof(struct xbc_str), 24);
	ck_assert_uint_le(sizeof(struct xbc_stmt), 88);
	ck_assert_uint_le(sizeof(struct xbc_entry), 32);
	ck_assert_uint_le(sizeof(struct xbc_object), 64);
}
END_TEST

/* A node comes zeroed wherever it falls: after strings, in a later
 * chunk, or alone in a chunk of its own (bigger than a chunk's share) */
START_TEST(arena_nodes_zeroed)
{
	static const size_t sizes[] = { 24, 120, 3000, 40, 5 << 20, 16 };
	struct xbc c;
	unsigned char *node;
	size_t i, r, j;

	xbc_init(&c);
	for (r = 0; r < 300; r++) {
		for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
			if (sizes[i] > 4096 && r % 100)
				continue;
			ck_assert_ptr_nonnull(xbc_arena_strndup(&c, "xxxxxxx",
								 r % 8));
			node = xbc_new(&c, sizes[i]);
			ck_assert_ptr_nonnull(node);
			for (j = 0; j < sizes[i] && !node[j]; j++)
				;
			ck_assert_uint_eq(j, sizes[i]);
			memset(node, 0xa5, sizes[i]);
		}
	}
	xbc_free(&c);
}
END_TEST

/* A reset arena hands out its current chunk again, zeroed where it was
 * used; a node too big for the chunk, taken between, is freed */
START_TEST(arena_reset_reuses_the_chunk_zeroed)
{
	struct xbc c;
	unsigned char *first, *big, *again;
	size_t j;

	xbc_init(&c);
	first = xbc_new_scratch(&c, 200);
	ck_assert_ptr_nonnull(first);
	memset(first, 0xa5, 200);
	big = xbc_new_scratch(&c, 1 << 20);    /* a chunk of its own */
	ck_assert_ptr_nonnull(big);
	xbc_arena_reset(&c.scratch);
	again = xbc_new_scratch(&c, 300);
	ck_assert_ptr_eq(again, first);
	for (j = 0; j < 300 && !again[j]; j++)
		;
	ck_assert_uint_eq(j, 300);
	xbc_free(&c);                   /* valgrind: nothing lost */
}
END_TEST

/* A for's blocks are made one at a time: 2,000 iterations of a block of
 * ten statements (about 2 MB made in all) fit in the first 16 kB chunk
 * of the scratch arena, over and over */
START_TEST(for_clones_live_one_at_a_time)
{
	static const char src[] =
		"for i in 1..2000 { vm \"v${i}\" {\n"
		"    vm-data \"a\" = \"${i}\"; vm-data \"b\" = \"${i}\";\n"
		"    vm-data \"c\" = \"${i}\"; vm-data \"d\" = \"${i}\";\n"
		"    vm-data \"e\" = \"${i}\"; vm-data \"f\" = \"${i}\";\n"
		"    vm-data \"g\" = \"${i}\"; vm-data \"h\" = \"${i}\";\n"
		"    vm-data \"i\" = \"${i}\"; vm-data \"j\" = \"x\";\n"
		"} }\n";
	struct xbc c;

	ck_assert(compile(&c, src));
	ck_assert_uint_eq(c.nobjects, 2000);
	ck_assert_str_eq(vm_data(&c, "v1999", "vm-data/i"), "1999");
	ck_assert_ptr_nonnull(c.scratch.start);
	ck_assert_uint_le((size_t)(c.scratch.end - c.scratch.start), 16 << 10);
	xbc_free(&c);
}
END_TEST

/* src (len bytes) formatted, as the main file "t.xb" read alone; NULL
 * when refused, c then holding the diagnostics (xbc_free it). */
static char *format(struct xbc *c, const char *src, size_t len)
{
	char *out = NULL;
	size_t n;

	xbc_init(c);
	c->opt.no_includes = true;
	if (xbc_parse_buffer(c, "t.xb", src, len) || c->nerrors ||
	    xbc_format(c, &out, &n))
		return NULL;
	ck_assert_uint_eq(strlen(out), n);
	return out;
}

static void assert_formats(const char *src, const char *want)
{
	struct xbc c;
	char *got = format(&c, src, strlen(src));

	ck_assert_ptr_nonnull(got);
	ck_assert_str_eq(got, want);
	free(got);
	xbc_free(&c);
}

START_TEST(fmt_writes_utf8_raw_and_anything_else_escaped)
{
	/* a 4-byte sequence, then overlong, surrogate, past U+10FFFF, cut */
	assert_formats("vm \"v\" { vm-data \"k\" = \"\\xf0\\x9f\\x8d\\x9e "
		       "\\xc0\\x80 \\xed\\xa0\\x80 \\xf4\\x90\\x80\\x80 \\xe2\\x82\"; }",
		       "vm \"v\" {\n    vm-data \"k\" = \"\xf0\x9f\x8d\x9e "
		       "\\xc0\\x80 \\xed\\xa0\\x80 \\xf4\\x90\\x80\\x80 \\xe2\\x82\";\n}\n");
}
END_TEST

START_TEST(fmt_refuses_the_strings_resolve_refuses_where_it_does)
{
	static const char *const bad[] = {
		"a\\qb", "5$", "${open", "${}", "\\x4g", "\\\x01",
	};
	struct xbc c, f;
	const struct xbc_diag *want, *got;
	char src[128], *out;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(src, sizeof(src), "let k = \"x\";\nvm \"v\" { "
			 "vm-data \"k\" = \"%s\"; }\n", bad[i]);
		ck_assert(!compile(&c, src));
		want = diag(&c, CHECK_SYNTAX);
		ck_assert_ptr_nonnull(want);
		out = format(&f, src, strlen(src));
		ck_assert_msg(!out, "formatted %s", bad[i]);
		got = diag(&f, CHECK_SYNTAX);
		ck_assert_ptr_nonnull(got);
		ck_assert_str_eq(got->message, want->message);
		ck_assert_int_eq(got->loc.first_line, want->loc.first_line);
		ck_assert_int_eq(got->loc.first_column, want->loc.first_column);
		xbc_free(&c);
		xbc_free(&f);
	}
}
END_TEST

START_TEST(fmt_keeps_a_nul_in_a_comment_and_reads_no_include)
{
	static const char src[] = "include \"nowhere.xb\"; # a\0b\n";
	struct xbc c;
	char *out = NULL;
	size_t n = 0;

	xbc_init(&c);
	c.opt.no_includes = true;
	ck_assert_int_eq(xbc_parse_buffer(&c, "t.xb", src, sizeof(src) - 1), 0);
	ck_assert_int_eq(c.ndiags, 0);
	ck_assert_int_eq(xbc_format(&c, &out, &n), 0);
	ck_assert_uint_eq(n, sizeof(src) - 1);
	ck_assert(!memcmp(out, src, n));
	free(out);
	xbc_free(&c);
}
END_TEST

Suite *test_suite(void)
{
	Suite *s = suite_create("compiler");
	TCase *tc;

	tc = tcase_create("escapes");
	tcase_add_test(tc, string_pieces_as_written);
	tcase_add_test(tc, escapes_decode_to_their_bytes);
	tcase_add_test(tc, unknown_escape_is_a_syntax_error_at_the_backslash);
	tcase_add_test(tc, short_hex_escape_is_an_error);
	suite_add_tcase(s, tc);

	tc = tcase_create("interpolation");
	tcase_add_test(tc, constants_interpolate_through_each_other);
	tcase_add_test(tc, unknown_constant_suggests_the_nearest);
	tcase_add_test(tc, constant_defined_by_itself_is_an_error);
	tcase_add_test(tc, lone_dollar_and_unclosed_brace_are_errors);
	tcase_add_test(tc, unused_constant_warns_only);
	suite_add_tcase(s, tc);

	tc = tcase_create("utf8");
	tcase_add_test(tc, utf8_len_follows_rfc_3629);
	tcase_add_test(tc, valid_utf8_and_tab_lf_cr_pass);
	tcase_add_test(tc, bad_utf8_points_at_the_byte);
	tcase_add_test(tc, control_character_from_an_escape_is_xml_char);
	tcase_add_test(tc, bad_byte_inside_a_constant_is_reported_at_the_let);
	tcase_add_test(tc, bad_byte_after_constants_is_placed_where_written);
	suite_add_tcase(s, tc);

	tc = tcase_create("suggestions");
	tcase_add_test(tc, nearest_word_by_edit_distance);
	suite_add_tcase(s, tc);

	tc = tcase_create("options");
	tcase_add_test(tc, w_options_switch_checks);
	tcase_add_test(tc, w_refuses_what_the_blob_cannot_hold);
	suite_add_tcase(s, tc);

	tc = tcase_create("lowering");
	tcase_add_test(tc, blocks_selecting_one_object_merge);
	tcase_add_test(tc, objects_with_one_hash_stay_apart);
	tcase_add_test(tc, plain_blocks_are_lowered_as_parsed);
	tcase_add_test(tc, blocks_lowered_late_keep_source_order);
	tcase_add_test(tc, plain_block_with_a_finding_is_undone);
	tcase_add_test(tc, plain_block_undone_leaves_no_entry);
	tcase_add_test(tc, i18n_key_derives_the_original_name);
	tcase_add_test(tc, i18n_key_on_sr_by_uuid_without_name_is_an_error);
	tcase_add_test(tc, xenstore_path_length_limit_is_exact);
	suite_add_tcase(s, tc);

	tc = tcase_create("v2");
	tcase_add_test(tc, for_range_pads_to_the_first_bound);
	tcase_add_test(tc, plain_strings_are_values_when_parsed);
	tcase_add_test(tc, nested_for_sees_both_variables_and_lists_decode);
	tcase_add_test(tc, for_variable_is_unknown_outside_its_body);
	tcase_add_test(tc, diagnostic_in_a_for_notes_the_iteration);
	tcase_add_test(tc, for_over_the_limit_makes_nothing);
	tcase_add_test(tc, duplicate_notes_name_iterations_and_uses);
	tcase_add_test(tc, block_overrides_template_and_templates_nest);
	tcase_add_test(tc, template_cycle_is_cut_and_reported);
	suite_add_tcase(s, tc);

	tc = tcase_create("emit");
	tcase_add_test(tc, blob_is_readable_and_the_same_every_time);
	tcase_add_test(tc, positions_by_record_and_by_table_agree);
	tcase_add_test(tc, derived_entry_shares_its_place_by_record_as_by_table);
	tcase_add_test(tc, strings_outgrow_their_table_and_are_stored_once);
	tcase_add_test(tc, names_number_by_text_or_by_address);
	tcase_add_test(tc, objects_sorted_from_any_order);
	tcase_add_test(tc, owner_offset_right_when_met_before_or_new);
	tcase_add_test(tc, blob_streamed_to_a_file_is_the_blob_in_memory);
	tcase_add_test(tc, arena_blocks_keep_their_bytes);
	tcase_add_test(tc, arena_nodes_zeroed);
	tcase_add_test(tc, arena_reset_reuses_the_chunk_zeroed);
	tcase_add_test(tc, for_clones_live_one_at_a_time);
	tcase_add_test(tc, tree_nodes_small);
	tcase_add_test(tc, repeated_plain_strings_are_shared);
	tcase_add_test(tc, shared_string_is_not_a_longer_one);
	tcase_add_test(tc, blob_after_the_tree_is_released_is_the_same);
	tcase_add_test(tc, diagnostic_reads_a_released_source_back);
	tcase_add_test(tc, arena_strings_packed);
	suite_add_tcase(s, tc);

	tc = tcase_create("fmt");
	tcase_add_test(tc, fmt_writes_utf8_raw_and_anything_else_escaped);
	tcase_add_test(tc, fmt_refuses_the_strings_resolve_refuses_where_it_does);
	tcase_add_test(tc, fmt_keeps_a_nul_in_a_comment_and_reads_no_include);
	suite_add_tcase(s, tc);
	return s;
}
