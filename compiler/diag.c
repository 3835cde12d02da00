/* SPDX-License-Identifier: MIT */
/* diag.c - the table of named checks, and diagnostics: recorded as they are
 * found, printed together at the end as text (source line and caret) or as
 * one JSON array. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compiler/compiler.h"

const struct xbc_check_info xbc_checks[CHECK_COUNT] = {
	[CHECK_SYNTAX] = { "syntax", SEV_ERROR, true,
		"the source does not parse" },
	[CHECK_XENSTORE_DATA_PREFIX] = { "xenstore-data-prefix", SEV_ERROR, false,
		"an xenstore-data key outside vm-data/ (XenServer drops it)" },
	[CHECK_XENSTORE_KEY] = { "xenstore-key", SEV_ERROR, false,
		"a vm-data key that is not segments of [A-Za-z0-9_@-] joined by /" },
	[CHECK_XENSTORE_PATH_LENGTH] = { "xenstore-path-length", SEV_ERROR, false,
		"/local/domain/NNNNN/vm-data/KEY longer than 1024 bytes" },
	[CHECK_XENSTORE_VALUE_SIZE] = { "xenstore-value-size", SEV_ERROR, false,
		"a vm-data value over 2048 bytes" },
	[CHECK_XML_CHAR] = { "xml-char", SEV_ERROR, true,
		"a string that is not UTF-8 or holds a control character" },
	[CHECK_I18N_KEY] = { "i18n-key", SEV_ERROR, false,
		"an unknown i18n-key, or one on anything but an sr" },
	[CHECK_MISPLACED_STATEMENT] = { "misplaced-statement", SEV_ERROR, true,
		"a statement on a class that has no such field" },
	[CHECK_DUPLICATE_KEY] = { "duplicate-key", SEV_ERROR, true,
		"one key of one object given two different values" },
	[CHECK_MAP_KEY] = { "map-key", SEV_ERROR, true,
		"an other-config key that is empty or holds a control character" },
	[CHECK_UNDEFINED_CONSTANT] = { "undefined-constant", SEV_ERROR, true,
		"an unknown ${name}" },
	[CHECK_INCLUDE] = { "include", SEV_ERROR, true,
		"a missing or cyclic include" },
	[CHECK_HIDDEN_SR] = { "hidden-sr", SEV_WARNING, false,
		"hide-from-xencenter on an sr (documented for vm, network, pif)" },
	[CHECK_TOOLS_SR_RENAME] = { "tools-sr-rename", SEV_WARNING, false,
		"renaming the xenserver-tools SR (xapi resets it at master start)" },
	[CHECK_UNUSED_CONSTANT] = { "unused-constant", SEV_WARNING, false,
		"a let that nothing uses" },
};

void *xbc_alloc(struct xbc *c, size_t size)
{
	void *p = calloc(1, size ? size : 1);

	if (!p) {
		c->out_of_memory = true;
		c->stop = true;
	}
	return p;
}

char *xbc_strdup(struct xbc *c, const char *s)
{
	char *p = strdup(s);

	if (!p) {
		c->out_of_memory = true;
		c->stop = true;
	}
	return p;
}

void xbc_options_default(struct xbc_options *opt)
{
	int i;

	for (i = 0; i < CHECK_COUNT; i++)
		opt->severity[i] = xbc_checks[i].severity;
}

static int find_check(const char *name)
{
	int i;

	for (i = 0; i < CHECK_COUNT; i++)
		if (!strcmp(xbc_checks[i].name, name))
			return i;
	return -1;
}

int xbc_option_w(struct xbc_options *opt, const char *arg, const char **why)
{
	int i;

	if (!strcmp(arg, "error")) {
		for (i = 0; i < CHECK_COUNT; i++)
			if (opt->severity[i] == SEV_WARNING)
				opt->severity[i] = SEV_ERROR;
		return 0;
	}
	if (!strncmp(arg, "error=", 6)) {
		if ((i = find_check(arg + 6)) < 0)
			goto unknown;
		opt->severity[i] = SEV_ERROR;
		return 0;
	}
	if (!strncmp(arg, "no-", 3)) {
		if ((i = find_check(arg + 3)) < 0)
			goto unknown;
		if (xbc_checks[i].fixed) {
			*why = "this check cannot be turned off: the blob could "
			       "not hold what it rejects";
			return -1;
		}
		opt->severity[i] = SEV_OFF;
		return 0;
	}
	if ((i = find_check(arg)) < 0)
		goto unknown;
	if (opt->severity[i] == SEV_OFF)
		opt->severity[i] = xbc_checks[i].severity;
	return 0;
unknown:
	*why = "unknown check (xenbakec --help lists them)";
	return -1;
}

bool xbc_check_on(const struct xbc *c, enum xbc_check check)
{
	return c->opt.severity[check] != SEV_OFF;
}

static char *vformat(struct xbc *c, const char *fmt, va_list ap)
{
	char *s;

	if (vasprintf(&s, fmt, ap) < 0) {
		c->out_of_memory = true;
		c->stop = true;
		return NULL;
	}
	return s;
}

struct xbc_diag *xbc_report(struct xbc *c, enum xbc_check check,
			    const struct xbc_loc *loc, const char *fmt, ...)
{
	struct xbc_diag *d;
	va_list ap;

	if (!xbc_check_on(c, check) || c->stop)
		return NULL;
	if (c->ndiags == c->diags_cap) {
		size_t cap = c->diags_cap ? 2 * c->diags_cap : 16;
		struct xbc_diag *p = realloc(c->diags, cap * sizeof(*p));

		if (!p) {
			c->out_of_memory = true;
			c->stop = true;
			return NULL;
		}
		c->diags = p;
		c->diags_cap = cap;
	}
	d = &c->diags[c->ndiags++];
	memset(d, 0, sizeof(*d));
	d->severity = c->opt.severity[check];
	d->check = check;
	d->loc = *loc;
	va_start(ap, fmt);
	d->message = vformat(c, fmt, ap);
	va_end(ap);
	if (d->severity == SEV_ERROR) {
		if (++c->nerrors >= XBC_MAX_ERRORS)
			c->stop = true;
	} else {
		c->nwarnings++;
	}
	return d;
}

void xbc_note(struct xbc *c, struct xbc_diag *d, const struct xbc_loc *loc,
	      const char *fmt, ...)
{
	va_list ap;

	if (!d || d->nnotes == XBC_MAX_NOTES)
		return;
	d->note_loc[d->nnotes] = *loc;
	va_start(ap, fmt);
	d->note[d->nnotes++] = vformat(c, fmt, ap);
	va_end(ap);
}

void xbc_hint(struct xbc *c, struct xbc_diag *d, const char *fmt, ...)
{
	va_list ap;

	if (!d || d->hint)
		return;
	va_start(ap, fmt);
	d->hint = vformat(c, fmt, ap);
	va_end(ap);
}

/* ---- nearest word (Levenshtein distance) --------------------------------- */

static size_t distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), i, j, prev, cur, up;
	size_t row[64];

	if (lb >= sizeof(row) / sizeof(row[0]) || la >= 64)
		return (size_t)-1;
	for (j = 0; j <= lb; j++)
		row[j] = j;
	for (i = 1; i <= la; i++) {
		prev = row[0];
		row[0] = i;
		for (j = 1; j <= lb; j++) {
			up = row[j];
			cur = prev + (a[i - 1] != b[j - 1]);
			if (row[j] + 1 < cur)
				cur = row[j] + 1;
			if (row[j - 1] + 1 < cur)
				cur = row[j - 1] + 1;
			row[j] = cur;
			prev = up;
		}
	}
	return row[lb];
}

const char *xbc_nearest(const char *word, const char *const *words, size_t n)
{
	const char *best = NULL;
	size_t best_d = (size_t)-1, i, d, limit;

	for (i = 0; i < n; i++) {
		d = distance(word, words[i]);
		if (d < best_d) {
			best_d = d;
			best = words[i];
		}
	}
	limit = (strlen(word) + 2) / 3; /* near: a third of it edited */
	return best_d <= limit ? best : NULL;
}

/* ---- printing -------------------------------------------------------------- */

static struct xbc_file *file_named(const struct xbc *c, const char *name)
{
	struct xbc_file *f;

	/* the very file first: two files may show the same name (one found
	 * through -I); then by name, for positions set by "#@" lines */
	for (f = c->files; f; f = f->next)
		if (f->text && f->name == name)
			return f;
	for (f = c->files; f; f = f->next)
		if (f->text && !strcmp(f->name, name))
			return f;
	return NULL;
}

/* Where each line of f starts, found once: printing many diagnostics of
 * one file stays linear. 0, or -1 when out of memory. */
static int line_index(struct xbc_file *f)
{
	size_t i, n = 1;

	if (f->lines)
		return 0;
	for (i = 0; i < f->len; i++)
		n += f->text[i] == '\n';
	f->lines = malloc(n * sizeof(*f->lines));
	if (!f->lines)
		return -1;
	f->lines[0] = 0;
	for (i = 0, n = 1; i < f->len; i++)
		if (f->text[i] == '\n')
			f->lines[n++] = i + 1;
	f->nlines = n;
	return 0;
}

/* The source line of loc and a caret under its column (tabs kept, so the
 * caret lines up). */
static void print_source(const struct xbc *c, const struct xbc_loc *loc,
			 FILE *out)
{
	struct xbc_file *f = file_named(c, loc->file);
	const char *p, *end;
	int col;

	if (!f || loc->first_line < 1 || line_index(f) ||
	    (size_t)loc->first_line > f->nlines)
		return;
	p = f->text + f->lines[loc->first_line - 1];
	end = memchr(p, '\n', f->len - (size_t)(p - f->text));
	if (!end)
		end = f->text + f->len;
	fprintf(out, "%.*s\n", (int)(end - p), p);
	for (col = 1; col < loc->first_column && p + col - 1 < end; col++)
		fputc(p[col - 1] == '\t' ? '\t' : ' ', out);
	fputs("^\n", out);
}

static const char *severity_name(enum xbc_severity s)
{
	return s == SEV_ERROR ? "error" : "warning";
}

static void print_text(const struct xbc *c, bool color, FILE *out)
{
	const char *bold = color ? "\033[1m" : "", *reset = color ? "\033[0m" : "";
	size_t i;
	int n;

	for (i = 0; i < c->ndiags; i++) {
		const struct xbc_diag *d = &c->diags[i];
		const char *sev_color = !color ? "" :
			d->severity == SEV_ERROR ? "\033[1;31m" : "\033[1;35m";

		fprintf(out, "%s%s:%d:%d:%s %s%s:%s %s [%s]\n", bold,
			d->loc.file, d->loc.first_line, d->loc.first_column,
			reset, sev_color, severity_name(d->severity), reset,
			d->message ? d->message : "", xbc_checks[d->check].name);
		print_source(c, &d->loc, out);
		if (d->hint)
			fprintf(out, "%shint:%s %s\n", bold, reset, d->hint);
		for (n = 0; n < d->nnotes; n++) {
			fprintf(out, "%s%s:%d:%d:%s note: %s\n", bold,
				d->note_loc[n].file, d->note_loc[n].first_line,
				d->note_loc[n].first_column, reset,
				d->note[n] ? d->note[n] : "");
			print_source(c, &d->note_loc[n], out);
		}
	}
	if (c->stop && c->nerrors >= XBC_MAX_ERRORS)
		fprintf(out, "xenbakec: too many errors (%d), stopping\n",
			c->nerrors);
}

/* A JSON string; a byte that is not UTF-8 (a file name or an unknown
 * escape can hold one) becomes U+FFFD, so the array stays valid JSON. */
static void json_string(const char *s, FILE *out)
{
	const unsigned char *p = (const unsigned char *)(s ? s : "");
	size_t n = strlen((const char *)p), len;

	fputc('"', out);
	while (*p) {
		len = 1;
		if (*p == '"' || *p == '\\')
			fprintf(out, "\\%c", *p);
		else if (*p == '\n')
			fputs("\\n", out);
		else if (*p == '\t')
			fputs("\\t", out);
		else if (*p < 0x20 || *p == 0x7f)
			fprintf(out, "\\u%04x", *p);
		else if (!(len = xbc_utf8_len(p, n, NULL)))
			fputs("\\ufffd", out), len = 1;
		else
			fwrite(p, 1, len, out);
		p += len;
		n -= len;
	}
	fputc('"', out);
}

static void json_loc(const struct xbc_loc *loc, FILE *out)
{
	fputs("\"file\":", out);
	json_string(loc->file, out);
	fprintf(out, ",\"line\":%d,\"column\":%d", loc->first_line,
		loc->first_column);
}

static void print_json(const struct xbc *c, FILE *out)
{
	size_t i;
	int n;

	fputc('[', out);
	for (i = 0; i < c->ndiags; i++) {
		const struct xbc_diag *d = &c->diags[i];

		fputs(i ? ",\n{" : "\n{", out);
		json_loc(&d->loc, out);
		fprintf(out, ",\"severity\":\"%s\",\"check\":\"%s\",\"message\":",
			severity_name(d->severity), xbc_checks[d->check].name);
		json_string(d->message, out);
		fputs(",\"hint\":", out);
		if (d->hint)
			json_string(d->hint, out);
		else
			fputs("null", out);
		fputs(",\"notes\":[", out);
		for (n = 0; n < d->nnotes; n++) {
			fputs(n ? ",{" : "{", out);
			json_loc(&d->note_loc[n], out);
			fputs(",\"message\":", out);
			json_string(d->note[n], out);
			fputc('}', out);
		}
		fputs("]}", out);
	}
	fputs(c->ndiags ? "\n]\n" : "]\n", out);
}

void xbc_print_diags(const struct xbc *c, bool json, bool color, FILE *out)
{
	if (json)
		print_json(c, out);
	else
		print_text(c, color, out);
}
