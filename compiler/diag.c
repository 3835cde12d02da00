/* SPDX-License-Identifier: MIT */
/* diag.c - the table of named checks, and diagnostics: recorded as they are
 * found, printed together at the end as text (source line and caret) or as
 * one JSON array. */
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "compiler/compiler.h"
#include "lib/quote.h"
#include "lib/readall.h"

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
	[CHECK_MANAGED_KEY] = { "managed-key", SEV_ERROR, true,
		"other-config \"xenbake-managed\", xenbake's own record" },
	[CHECK_UNDEFINED_CONSTANT] = { "undefined-constant", SEV_ERROR, true,
		"an unknown ${name}" },
	[CHECK_INCLUDE] = { "include", SEV_ERROR, true,
		"a missing or cyclic include" },
	[CHECK_EXPANSION] = { "expansion", SEV_ERROR, true,
		"constants that expand to over 1 MiB in a string, 256 MiB in all" },
	[CHECK_VM_DATA_PREFIX] = { "vm-data-prefix", SEV_ERROR, false,
		"a vm-data key that starts with vm-data/ (it would be doubled)" },
	[CHECK_UUID] = { "uuid", SEV_ERROR, false,
		"a uuid selector that is not a uuid (8-4-4-4-12 hex digits)" },
	[CHECK_EMPTY_NAME] = { "empty-name", SEV_ERROR, false,
		"an empty name or uuid in a selector (nothing has it)" },
	[CHECK_HIDDEN_SR] = { "hidden-sr", SEV_WARNING, false,
		"hide-from-xencenter on an sr (documented for vm, network, pif)" },
	[CHECK_TOOLS_SR_RENAME] = { "tools-sr-rename", SEV_WARNING, false,
		"renaming the xenserver-tools SR (xapi resets it at master start)" },
	[CHECK_UNUSED_CONSTANT] = { "unused-constant", SEV_WARNING, false,
		"a let that nothing uses" },
	[CHECK_FOR_BODY] = { "for-body", SEV_ERROR, true,
		"let, include, owner or template inside a for (blocks and for only)" },
	[CHECK_FOR_RANGE] = { "for-range", SEV_ERROR, true,
		"a for range that is not FIRST..LAST in ascending whole numbers" },
	[CHECK_LOOP_VARIABLE] = { "loop-variable", SEV_ERROR, true,
		"a for variable that shadows a let or an enclosing for's" },
	[CHECK_TEMPLATE] = { "template", SEV_ERROR, true,
		"an unknown or twice-defined template, or one used out of a block" },
	[CHECK_TEMPLATE_CYCLE] = { "template-cycle", SEV_ERROR, true,
		"templates that use each other in a cycle" },
	[CHECK_UNUSED_TEMPLATE] = { "unused-template", SEV_WARNING, false,
		"a template that no block uses" },
	[CHECK_FILE] = { "file", SEV_ERROR, true,
		"a file value that cannot be read, or is too large" },
	[CHECK_GLOB_IN_NAME] = { "glob-in-name", SEV_WARNING, false,
		"a plain name holding * ? or [ (did you mean match?)" },
	[CHECK_MATCH_PATTERN] = { "match-pattern", SEV_ERROR, true,
		"a match pattern with an unclosed [, or a name-label that "
		"would give every object it matches one name" },
	[CHECK_TAG] = { "tag", SEV_ERROR, true,
		"a VM tag that is empty or holds a control character" },
	[CHECK_POOL_BLOCK] = { "pool-block", SEV_ERROR, true,
		"a second pool block: there is one pool" },
	[CHECK_OWNER] = { "owner", SEV_ERROR, true,
		"a second owner, or an owner name that is not a word of "
		"[A-Za-z0-9._-]" },
	[CHECK_SECRET] = { "secret", SEV_ERROR, true,
		"a secret with no key to seal it to (--seal-to), a malformed "
		"sealed value, or a secret where no secret can be" },
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
	opt->max_expanded = XBC_MAX_EXPANDED;
	opt->max_constant_bytes = XBC_MAX_CONSTANT_BYTES;
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

/* "in for i = 07, team = red": which iteration of which loops, the
 * innermost first, at the innermost for's variable. */
static void note_iteration(struct xbc *c, struct xbc_diag *d,
			   const struct xbc_env *env)
{
	char buf[256];
	size_t n = 0;
	const struct xbc_env *e;
	int k;

	for (e = env; e && n < sizeof(buf) - 1; e = e->up) {
		k = snprintf(buf + n, sizeof(buf) - n, "%s%s = %s%.*s%s",
			     e == env ? "" : ", ", e->name,
			     e->loop->is_range ? "" : "\"",
			     e->len > 40 ? 40 : (int)e->len, e->value,
			     e->loop->is_range ? "" : e->len > 40 ? "...\"" : "\"");
		if (k < 0)
			break;
		n += (size_t)k;
	}
	if (n >= sizeof(buf))
		n = sizeof(buf) - 1;
	buf[n] = '\0';
	xbc_note(c, d, &env->loop->var_loc, "in for %s", buf);
}

struct xbc_diag *xbc_report(struct xbc *c, enum xbc_check check,
			    const struct xbc_loc *loc, const char *fmt, ...)
{
	struct xbc_diag *d;
	va_list ap;

	if (!xbc_check_on(c, check) || c->stop)
		return NULL;
	if (c->probing) {
		/* a block lowered as parsed: it goes back to the later path,
		   which finds this again, in order */
		c->probe_failed = true;
		return NULL;
	}
	/* warnings past the cap are counted, not kept: a file of 200,000
	 * unused lets must not make 200,000 diagnostics */
	if (c->opt.severity[check] == SEV_WARNING &&
	    ++c->nwarnings > XBC_MAX_WARNINGS)
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
	if (d->severity == SEV_ERROR && ++c->nerrors >= XBC_MAX_ERRORS)
		c->stop = true;
	if (c->cur_use)
		xbc_note(c, d, &c->cur_use->loc, "from the template used here");
	if (c->cur_env)
		note_iteration(c, d, c->cur_env);
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
	if (!name)           /* a position nothing set: no line to show */
		return NULL;
	for (f = c->files; f; f = f->next)
		if ((f->text || f->on_disk) && f->name == name)
			return f;
	for (f = c->files; f; f = f->next)
		if ((f->text || f->on_disk) && !strcmp(f->name, name))
			return f;
	return NULL;
}

void xbc_release_sources(struct xbc *c)
{
	struct xbc_file *f;

	for (f = c->files; f; f = f->next) {
		if (!f->on_disk)
			continue;    /* a buffer: nothing to read it back from */
		free(f->text);
		f->text = NULL;
		f->len = 0;
	}
}

/* f's text, read back from its path if it was released: 0, or -1 when
 * that fails (the line is then not shown, as when the file is gone). */
static int file_text(struct xbc_file *f)
{
	struct stat st;
	char *text = NULL;
	size_t n;
	int fd = -1, ret = -1;

	if (f->text)
		return 0;
	if (!f->on_disk || !f->path)
		return -1;
	fd = open(f->path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	/* at most what the parser reads (1 GiB): it may have changed since */
	if (fd < 0 || fstat(fd, &st) || !S_ISREG(st.st_mode) ||
	    (unsigned long long)st.st_size > (1UL << 30))
		goto out;
	n = (size_t)st.st_size;
	if (!(text = malloc(n + 2)) || xb_read_all(fd, text, n))
		goto out;
	text[n] = text[n + 1] = '\0';
	f->text = text;
	f->len = n;
	text = NULL;
	ret = 0;
out:
	free(text);
	if (fd >= 0)
		close(fd);
	return ret;
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

/* What a terminal may be shown of a source line or a message: a control
 * byte, a byte that is not UTF-8 or a C1 control (U+0080..U+009F, which
 * some terminals obey) as \xHH; the width it takes in *width. Returns
 * how many bytes of p (n > 0 left) it stands for. */
static size_t show_char(const unsigned char *p, size_t n, bool keep_tab,
			FILE *out, int *width)
{
	char esc[8];
	size_t len = 1;

	*width = 1;
	esc[0] = '\0';
	if (p[0] == '\t' && keep_tab) {
		esc[0] = '\t';
		esc[1] = '\0';
	} else if (p[0] == '\t' || p[0] == '\n' || p[0] == '\r') {
		snprintf(esc, sizeof(esc), "\\%c",
			 p[0] == '\t' ? 't' : p[0] == '\n' ? 'n' : 'r');
	} else if (p[0] < 0x20 || p[0] == 0x7f) {
		snprintf(esc, sizeof(esc), "\\x%02x", p[0]);
	} else if (p[0] >= 0x80 && (!(len = xb_utf8_len(p, n, NULL)) ||
				    (p[0] == 0xc2 && p[1] < 0xa0))) {
		snprintf(esc, sizeof(esc), "\\x%02x", p[0]);
		len = 1;
	}
	if (esc[0] && esc[0] != '\t')
		*width = (int)strlen(esc);
	if (out && esc[0])
		fputs(esc, out);
	else if (out)
		fwrite(p, 1, len, out);
	return len;
}

/* A message, hint or file name: one line, nothing a terminal obeys. */
static void put_text(const char *s, FILE *out)
{
	const unsigned char *p = (const unsigned char *)(s ? s : "");
	size_t n = strlen((const char *)p);
	int width;

	while (n) {
		size_t len = show_char(p, n, false, out, &width);

		p += len;
		n -= len;
	}
}

#define WINDOW_BEFORE 60             /* bytes of a long line left of the caret */
#define WINDOW_WIDTH 120             /* bytes shown of a long line */

/* The source line of loc and a caret under its column (tabs kept, so the
 * caret lines up); a long line is cut to a window around the column,
 * marked with "...". */
static void print_source(const struct xbc *c, const struct xbc_loc *loc,
			 FILE *out)
{
	struct xbc_file *f = file_named(c, loc->file);
	const unsigned char *p, *end, *from, *to, *q, *caret;
	size_t n;
	int width;

	if (!f || loc->first_line < 1 || file_text(f) || line_index(f) ||
	    (size_t)loc->first_line > f->nlines)
		return;
	p = (const unsigned char *)f->text + f->lines[loc->first_line - 1];
	end = memchr(p, '\n', f->len - (size_t)((const char *)p - f->text));
	if (!end)
		end = (const unsigned char *)f->text + f->len;
	if (end > p && end[-1] == '\r')
		end--;               /* a CR LF file */
	n = (size_t)(end - p);
	caret = loc->first_column < 1 ? p :
		(size_t)loc->first_column - 1 > n ? end :
		p + loc->first_column - 1;
	from = p;
	to = end;
	if (n > WINDOW_WIDTH) {
		if ((size_t)(caret - p) > WINDOW_BEFORE)
			from = caret - WINDOW_BEFORE;
		if ((size_t)(end - from) > WINDOW_WIDTH)
			to = from + WINDOW_WIDTH;
		else
			from = end - WINDOW_WIDTH;
		/* whole UTF-8 sequences only */
		while (from > p && from < end && (*from & 0xc0) == 0x80)
			from++;
		while (to < end && to > from && (*to & 0xc0) == 0x80)
			to--;
	}
	if (from > p)
		fputs("...", out);
	for (q = from; q < to;)
		q += show_char(q, (size_t)(to - q), true, out, &width);
	fputs(to < end ? "...\n" : "\n", out);
	if (from > p)
		fputs("   ", out);
	for (q = from; q < caret && q < to;) {
		size_t len = show_char(q, (size_t)(to - q), true, NULL, &width);

		if (*q == '\t')
			fputc('\t', out);
		else
			fprintf(out, "%*s", width, "");
		q += len;
	}
	fputs("^\n", out);
}

static const char *severity_name(enum xbc_severity s)
{
	return s == SEV_ERROR ? "error" : "warning";
}

/* A file's name as the user can open it: the path it was read by (from
 * the current directory, as written), tidied; a name only known from a
 * position line as it is. malloc'd, or NULL when out of memory. */
static char *shown_name(const struct xbc *c, const char *name)
{
	const struct xbc_file *f;
	char *s, *w;
	const char *r;

	for (f = c->files; f; f = f->next)
		if (f->name == name)
			break;
	r = f && f->path && (f->text || f->on_disk) ? f->path :
	    name ? name : "";
	s = malloc(strlen(r) + 1);
	if (!s)
		return NULL;
	/* drop "./" segments and doubled slashes: "./a//./b" -> "a/b" */
	for (w = s; *r;) {
		if ((r[0] == '.' && r[1] == '/' && (w == s || w[-1] == '/')) ||
		    (r[0] == '/' && w > s && w[-1] == '/')) {
			r += r[0] == '.' ? 2 : 1;
			continue;
		}
		*w++ = *r++;
	}
	*w = '\0';
	return s;
}

static void print_loc(const struct xbc *c, const struct xbc_loc *loc,
		      FILE *out)
{
	char *name = shown_name(c, loc->file);

	put_text(name ? name : loc->file, out);
	fprintf(out, ":%d:%d:", loc->first_line, loc->first_column);
	free(name);
}

/* One diagnostic, made whole in memory and written at once: stderr has
 * no buffer, and a byte per write(2) made one error on a long line take
 * most of a minute. */
static void print_one(const struct xbc *c, const struct xbc_diag *d,
		      bool color, FILE *out)
{
	const char *bold = color ? "\033[1m" : "", *reset = color ? "\033[0m" : "";
	const char *sev_color = !color ? "" :
		d->severity == SEV_ERROR ? "\033[1;31m" : "\033[1;35m";
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);
	int n;

	if (!m)
		m = out;             /* no memory: slowly, but said */
	fputs(bold, m);
	print_loc(c, &d->loc, m);
	fprintf(m, "%s %s%s:%s ", reset, sev_color, severity_name(d->severity),
		reset);
	put_text(d->message, m);
	fprintf(m, " [%s]\n", xbc_checks[d->check].name);
	print_source(c, &d->loc, m);
	if (d->hint) {
		fprintf(m, "%shint:%s ", bold, reset);
		put_text(d->hint, m);
		fputc('\n', m);
	}
	for (n = 0; n < d->nnotes; n++) {
		fputs(bold, m);
		print_loc(c, &d->note_loc[n], m);
		fprintf(m, "%s note: ", reset);
		put_text(d->note[n], m);
		fputc('\n', m);
		print_source(c, &d->note_loc[n], m);
	}
	if (m != out) {
		if (fclose(m) == 0)
			fwrite(buf, 1, len, out);
		free(buf);
	}
	fflush(out);
}

static void print_text(const struct xbc *c, bool color, FILE *out)
{
	size_t i;

	for (i = 0; i < c->ndiags; i++)
		print_one(c, &c->diags[i], color, out);
	if (c->stop && c->nerrors >= XBC_MAX_ERRORS)
		fprintf(out, "xenbakec: too many errors (%d), stopping\n",
			c->nerrors);
	if (c->nwarnings > XBC_MAX_WARNINGS)
		fprintf(out, "xenbakec: %d more warnings not shown (the first "
			"%d are)\n", c->nwarnings - XBC_MAX_WARNINGS,
			XBC_MAX_WARNINGS);
}

/* A JSON string, quoted as every JSON both programs write (lib/quote.h):
 * a byte that is not UTF-8 (a file name or an unknown escape can hold one)
 * becomes \u00XX, so the array stays valid JSON. */
static void json_string(const char *s, FILE *out)
{
	xb_put_quoted(out, s ? s : "", XB_QUOTE_JSON);
}

static void json_loc(const struct xbc *c, const struct xbc_loc *loc,
		     FILE *out)
{
	char *name = shown_name(c, loc->file);

	fputs("\"file\":", out);
	json_string(name ? name : loc->file, out);
	fprintf(out, ",\"line\":%d,\"column\":%d", loc->first_line,
		loc->first_column);
	free(name);
}

struct sorted_diag {
	const struct xbc_diag *d;
	char *file;                  /* as shown */
	size_t seq;                  /* as found: ties keep their order */
};

static int sorted_cmp(const void *pa, const void *pb)
{
	const struct sorted_diag *a = pa, *b = pb;
	int cmp = strcmp(a->file, b->file);

	if (cmp)
		return cmp;
	if (a->d->loc.first_line != b->d->loc.first_line)
		return a->d->loc.first_line < b->d->loc.first_line ? -1 : 1;
	if (a->d->loc.first_column != b->d->loc.first_column)
		return a->d->loc.first_column < b->d->loc.first_column ? -1 : 1;
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

/* The array, sorted by file, line and column, so that two runs (and
 * two versions) list the findings alike. Out of memory: as found. */
static void print_json(const struct xbc *c, FILE *out)
{
	struct sorted_diag *v = calloc(c->ndiags + 1, sizeof(*v));
	size_t i;
	int n;

	for (i = 0; v && i < c->ndiags; i++) {
		v[i].d = &c->diags[i];
		v[i].seq = i;
		if (!(v[i].file = shown_name(c, c->diags[i].loc.file)))
			break;
	}
	if (v && i == c->ndiags)
		qsort(v, c->ndiags, sizeof(*v), sorted_cmp);
	fputc('[', out);
	for (i = 0; i < c->ndiags; i++) {
		const struct xbc_diag *d = v && v[i].d ? v[i].d : &c->diags[i];

		fputs(i ? ",\n{" : "\n{", out);
		json_loc(c, &d->loc, out);
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
			json_loc(c, &d->note_loc[n], out);
			fputs(",\"message\":", out);
			json_string(d->note[n], out);
			fputc('}', out);
		}
		fputs("]}", out);
	}
	fputs(c->ndiags ? "\n]\n" : "]\n", out);
	for (i = 0; v && i < c->ndiags; i++)
		free(v[i].file);
	free(v);
}

void xbc_print_diags(const struct xbc *c, bool json, bool color, FILE *out)
{
	if (json)
		print_json(c, out);
	else
		print_text(c, color, out);
}
