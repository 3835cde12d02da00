/* SPDX-License-Identifier: MIT */
/* parse.c - runs the scanner and the parser over the main file and, depth
 * first, over every file it includes; the scanner's location keeping. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "grammar/parse.h"
#include "grammar/parser.h"
#include "grammar/lexer.h"
#include "lib/readall.h"

#define MAX_INCLUDE_DEPTH 32
#define MAX_SOURCE_SIZE (1UL << 30)

/* ---- the scanner's helpers ---------------------------------------------- */

void xbc_scan_newlines(struct xbc_scan *s, const char *text, size_t len)
{
	const char *end = text + len, *nl;

	while ((nl = memchr(text, '\n', (size_t)(end - text)))) {
		s->line++;
		text = nl + 1;
		s->line_start = text;
	}
}

char *xbc_scan_text(struct xbc_scan *s, const char *text, size_t len)
{
	return xbc_arena_strndup(s->c, text, len);
}

char *xbc_scan_string(struct xbc_scan *s, const char *text, size_t len)
{
	uint32_t h = 2166136261u;
	size_t i, at;
	char *p;

	if (len > XBC_SCAN_SHARE_MAX)
		return xbc_scan_text(s, text, len);
	for (i = 0; i < len; i++)
		h = (h ^ (unsigned char)text[i]) * 16777619u;
	at = h % XBC_SCAN_RECENT;
	if (s->recent[at].text && s->recent[at].len == len &&
	    !memcmp(s->recent[at].text, text, len))
		return s->recent[at].text;
	p = xbc_scan_text(s, text, len);
	if (p) {
		s->recent[at].text = p;
		s->recent[at].len = len;
	}
	return p;
}

#define LOOP_BIT(d) ((d) >= 1 && (d) <= 64 ? 1ULL << ((d) - 1) : 0)

bool xbc_scan_item_level(const struct xbc_scan *s)
{
	return s->depth == 0 || (s->loop_braces & LOOP_BIT(s->depth));
}

bool xbc_scan_kind(struct xbc_scan *s, int tok)
{
	if (tok == FOR && !s->skip_to)
		s->in_for_head = true;
	if (tok == '{' || tok == ';' || tok == '}') {
		if (tok == '{' && s->in_for_head)
			s->loop_braces |= LOOP_BIT(s->depth + 1);
		s->in_for_head = false;
	}
	if (tok == '{' && s->depth++ == 0)
		s->open_loc = s->last_loc.start;
	if (tok == '}' && s->depth > 0) {
		s->loop_braces &= ~LOOP_BIT(s->depth);
		s->depth--;
	}
	if (s->skip_to) {
		if (tok && !(tok == ';' && s->depth == s->skip_to - 1) &&
		    !(tok == '}' && s->depth <= s->skip_to - 1))
			return false;
		s->skip_to = 0;
	}
	s->prev_tok = s->last_tok;
	s->last_tok = tok;
	return true;
}

bool xbc_scan_unclosed(struct xbc_scan *s, const struct xbc_span *span,
		       const char *text)
{
	const struct xbc_loc *loc = &span->start;
	struct xbc *c = s->c;
	struct xbc_diag *d;

	if (xbc_scan_item_level(s) || s->skip_to ||
	    (s->last_tok != ';' && s->last_tok != '{'))
		return false;
	if (c->cur_block && c->cur_block->selector.raw)
		d = xbc_report(c, CHECK_SYNTAX, loc, "'%s' inside the block of "
			       "%s \"%s\": that block's closing '}' is missing",
			       text, xb_class_keyword(c->cur_block->cls),
			       c->cur_block->selector.raw);
	else
		d = xbc_report(c, CHECK_SYNTAX, loc, "'%s' inside a block: "
			       "that block's closing '}' is missing", text);
	if (c->cur_block)
		xbc_note(c, d, &c->cur_block->loc, "the block starts here");
	else
		xbc_note(c, d, &s->open_loc, "the block opens here");
	xbc_hint(c, d, "close the block with '}' before '%s'", text);
	/* the word is read again, after the '}' this returns (a word holds
	   no newline: the position needs no going back) */
	s->last_name = NULL;
	s->loop_braces &= ~LOOP_BIT(s->depth);
	s->depth--;
	s->prev_tok = s->last_tok;
	s->last_tok = '}';
	return true;
}

void xbc_scan_habit(struct xbc_scan *s, const struct xbc_loc *loc,
		    const char *text, size_t len)
{
	struct xbc *c = s->c;
	struct xbc_diag *d;

	if (s->skip_to)
		return;
	if (text[0] == '\'') {
		d = xbc_report(c, CHECK_SYNTAX, loc, "single quotes: strings "
			       "are written in double quotes");
		xbc_hint(c, d, "write \"%.*s\"", (int)(len > 2 ? len - 2 : 0),
			 text + 1);
	} else if (text[0] == ',') {
		d = xbc_report(c, CHECK_SYNTAX, loc, "a ',': statements end "
			       "with ';', and nothing separates or follows "
			       "them");
		xbc_hint(c, d, "write ';' here (or remove the ',')");
	} else if (text[0] == ':') {
		d = xbc_report(c, CHECK_SYNTAX, loc, "a ':' where '=' gives "
			       "a key its value");
		xbc_hint(c, d, "write KEY = \"VALUE\";");
	} else {
		d = xbc_report(c, CHECK_SYNTAX, loc, "a bare number: every "
			       "value is a string");
		xbc_hint(c, d, "write \"%.*s\" (in double quotes)", (int)len,
			 text);
	}
}

/* Every word of the language, for "did you mean" */
static const char *const keywords[] = {
	"let", "include", "vm", "sr", "network", "pif", "uuid", "host",
	"optional", "vm-data", "xenstore-data", "other-config",
	"hide-from-xencenter", "name-label", "i18n-key", "for", "in",
	"template", "use", "file", "match", "pool", "name-description",
	"tag", "secret", "sealed",
};

/* what may start a top-level item, and a statement */
static const char *const top_words[] = {
	"vm", "sr", "network", "pif", "host", "pool", "let", "include", "for",
	"template",
};
static const char *const stmt_words[] = {
	"vm-data", "xenstore-data", "other-config", "hide-from-xencenter",
	"name-label", "i18n-key", "use", "name-description", "tag",
};

/* XenAPI classes xenbake does not configure */
static const char *const other_classes[] = {
	"vif", "vbd", "vdi", "pbd", "bond", "vlan", "tunnel", "sm", "pgpu",
	"vgpu", "gpu_group", "vtpm", "vusb", "pusb", "pci", "vm_appliance",
	"vmss", "task", "console", "crashdump", "message", "secret", "user",
	"role", "subject", "cluster", "certificate", "repository", "blob",
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static bool word_in(const char *word, const char *const *words, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strcasecmp(word, words[i]))
			return true;
	return false;
}

/* A syntax error about the name word (the lookahead) where an item or
 * a statement starts, or a word of version 2: reported, and true (the
 * rest of the item is then skipped: the parser cannot read it). */
static bool name_error(struct xbc *c, struct xbc_scan *s,
		       const struct xbc_loc *loc, const char *msg,
		       const char *word)
{
	bool top = xbc_scan_item_level(s) &&
		   (s->prev_tok == 0 || s->prev_tok == ';' ||
		    s->prev_tok == '}' || (s->depth && s->prev_tok == '{'));
	bool stmt = !xbc_scan_item_level(s) &&
		    (s->prev_tok == ';' || s->prev_tok == '{');
	const char *near;
	struct xbc_diag *d;

	if (!strcmp(word, "vlan") && s->depth == 0 && s->prev_tok == STRING) {
		/* the lexer makes it a word only after pif "D" */
		d = xbc_report(c, CHECK_SYNTAX, loc, "vlan after a selector "
			       "that is not pif \"DEVICE\": only a PIF is "
			       "chosen by VLAN");
		xbc_hint(c, d, "write pif \"DEVICE\" vlan TAG [host \"HOST\"]");
		return true;
	}
	if (!strcmp(word, "owner") && stmt) {
		/* the lexer makes it a word only where an item starts */
		d = xbc_report(c, CHECK_SYNTAX, loc, "owner inside a block: "
			       "the owner is the whole configuration's");
		xbc_hint(c, d, "write owner \"NAME\"; once, at the top level");
		return true;
	}
	if (top && word_in(word, other_classes, COUNT(other_classes))) {
		d = xbc_report(c, CHECK_SYNTAX, loc, "'%s' is not a class "
			       "xenbake configures: it knows vm, sr, network, "
			       "pif, host and pool", word);
		return true;
	}
	if (top || stmt) {
		d = xbc_report(c, CHECK_SYNTAX, loc, "unexpected name '%s' "
			       "where %s starts", word, top ? "a top-level item" :
			       "a statement");
		near = top ? xbc_nearest(word, top_words, COUNT(top_words)) :
			xbc_nearest(word, stmt_words, COUNT(stmt_words));
		if (near) {
			xbc_hint(c, d, "did you mean '%s'?", near);
		} else if (top) {
			xbc_hint(c, d, "a top-level item is vm, sr, network, "
				 "pif or host \"NAME\" { ... }, pool { ... }, "
				 "let or include");
		} else {
			xbc_hint(c, d, "the statements are vm-data, "
				 "xenstore-data, other-config, "
				 "hide-from-xencenter, name-label, i18n-key, "
				 "name-description and tag");
		}
		return true;
	}
	return false;
}

void xbc_parse_error(struct xbc *c, void *scanner,
		     const struct xbc_span *span, const char *msg)
{
	const struct xbc_loc *loc = &span->start;
	struct xbc_scan *s = yyget_extra(scanner);
	struct xbc_diag *d;
	size_t before = c->ndiags;
	const char *un = s->last_name ? strstr(msg, "unexpected name") : NULL;
	const char *what, *comma, *near;
	char *named = NULL;
	struct xbc_loc end;

	if (s->last_name && name_error(c, s, loc, msg, s->last_name)) {
		s->skip_to = s->depth + 1;
		return;
	}
	if (s->last_tok == HOST && s->depth == 0 && s->prev_tok != STRING) {
		d = xbc_report(c, CHECK_SYNTAX, loc, "a host block is xenbake "
			       "language version 2, not supported yet by this "
			       "compiler version");
		xbc_hint(c, d, "this xenbakec sets other-config on vm, sr, "
			 "network and pif");
		s->skip_to = s->depth + 1;
		return;
	}
	/* "expecting ';'": said where the ';' belongs, after the token
	 * before, not at the next line's first word */
	if (strstr(msg, "expecting ';'") && s->prev_tok &&
	    (what = strstr(msg, "unexpected "))) {
		what += strlen("unexpected ");
		comma = strchr(what, ',');
		end.file = s->prev_loc.start.file;
		end.first_line = s->prev_loc.last_line;
		end.first_column = s->prev_loc.last_column;
		d = xbc_report(c, CHECK_SYNTAX, &end, "missing ';' at the end "
			       "of this statement");
		if (s->last_name)
			xbc_hint(c, d, "every statement ends with ';' ('%s' at "
				 "%d:%d cannot continue it)", s->last_name,
				 loc->first_line, loc->first_column);
		else
			xbc_hint(c, d, "every statement ends with ';' (%s%.*s%s "
				 "at %d:%d cannot continue it)",
				 *what == '\'' ? "" : "'",
				 (int)(comma ? comma - what : (long)strlen(what)),
				 what, *what == '\'' ? "" : "'",
				 loc->first_line, loc->first_column);
		return;
	}
	/* "unexpected name" -> "unexpected name 'vmdata'" */
	if (un && asprintf(&named, "%.*sunexpected name '%s'%s",
			   (int)(un - msg), msg, s->last_name,
			   un + strlen("unexpected name")) < 0)
		named = NULL;
	xbc_build_syntax_error(c, loc, named ? named : msg);
	free(named);
	if (c->ndiags == before)
		return;
	d = &c->diags[c->ndiags - 1];
	if (c->cur_block && strstr(msg, "end of file")) {
		xbc_note(c, d, &c->cur_block->loc, "the block that starts "
			 "here has no closing '}'");
		return;
	}
	if (!s->last_name)
		return;
	if ((near = xbc_nearest(s->last_name, keywords, COUNT(keywords))))
		xbc_hint(c, d, "did you mean '%s'?", near);
	else if (strstr(msg, "expecting string"))
		xbc_hint(c, d, "names and values are written in double "
			 "quotes: \"%s\"", s->last_name);
}

/* The interned name: every location in a file points at the same string. */
static const char *intern_name(struct xbc *c, const char *name)
{
	struct xbc_file *f;

	for (f = c->files; f; f = f->next)
		if (!strcmp(f->name, name))
			return f->name;
	f = xbc_alloc(c, sizeof(*f));
	if (!f || !(f->name = xbc_strdup(c, name))) {
		free(f);
		return NULL;
	}
	f->next = c->files;
	c->files = f;
	return f->name;
}

static int parse_int(const char **p)
{
	long v = 0;

	if (**p < '0' || **p > '9')
		return -1;
	while (**p >= '0' && **p <= '9' && v < INT_MAX / 10)
		v = v * 10 + *(*p)++ - '0';
	return **p >= '0' && **p <= '9' ? -1 : (int)v;
}

/* A file name from a position line is shown in diagnostics and kept in
 * the blob: checked as any string is (xml-char), and no control
 * character at all, as a name is one line. */
static bool directive_name_ok(struct xbc *c, const char *name, size_t n,
			      const struct xbc_loc *loc)
{
	const unsigned char *p = (const unsigned char *)name;
	const char *why = NULL;
	size_t i = 0, len;
	struct xbc_diag *d;

	while (i < n) {
		if (p[i] < 0x20 || p[i] == 0x7f) {
			why = "a control character";
			break;
		}
		if (!(len = xb_utf8_len(p + i, n - i, &why)))
			break;
		i += len;
	}
	if (i == n && n)
		return true;
	d = xbc_report(c, CHECK_XML_CHAR, loc, "%s in the file name of a "
		       "position line", n ? why : "an empty name");
	xbc_hint(c, d, "a position line is #@ \"FILE\" LINE:COLUMN, FILE "
		 "UTF-8 text without control characters");
	return false;
}

/* "#@ "FILE" LINE:COL" (what `xenbake dump` writes): the next token is
 * recorded as being at FILE:LINE:COL, so that a dump recompiles to the
 * very blob it came from. */
void xbc_scan_directive(struct xbc_scan *s, const char *text, size_t len,
			const struct xbc_loc *loc)
{
	const char *p = text + 2, *end = text + len;
	char *name = NULL;
	size_t n = 0;
	int line, col;

	name = malloc(len);
	if (!name) {
		s->c->out_of_memory = s->c->stop = true;
		return;
	}
	while (p < end && *p == ' ')
		p++;
	if (p == end || *p++ != '"')
		goto bad;
	while (p < end && *p != '"') {
		if (*p == '$' && p + 1 < end && p[1] == '$') {
			name[n++] = '$';
			p += 2;
		} else if (*p != '\\') {
			name[n++] = *p++;
		} else if (p + 1 < end && strchr("\"\\", p[1])) {
			name[n++] = p[1];
			p += 2;
		} else if (p + 3 < end && p[1] == 'x') {
			char hex[3] = { p[2], p[3], 0 }, *e;
			unsigned long v = strtoul(hex, &e, 16);

			if (*e || !v)
				goto bad;
			name[n++] = (char)v;
			p += 4;
		} else {
			goto bad;
		}
	}
	if (p == end || *++p != ' ')
		goto bad;
	p++;
	name[n] = '\0';
	if ((line = parse_int(&p)) < 1 || *p++ != ':' ||
	    (col = parse_int(&p)) < 1)
		goto bad;
	while (p < end && *p == ' ')
		p++;
	if (p != end)
		goto bad;
	if (!directive_name_ok(s->c, name, n, loc))
		goto out;
	s->override.file = intern_name(s->c, name);
	s->override.first_line = line;
	s->override.first_column = col;
	s->have_override = s->override.file != NULL;
	s->c->positions_shared = true;   /* two tokens may now say one place */
out:
	free(name);
	return;
bad:
	free(name);
	xbc_report(s->c, CHECK_SYNTAX, loc, "malformed position line: "
		   "expected #@ \"FILE\" LINE:COLUMN");
}

/* ---- files -------------------------------------------------------------- */

/* Opens a source, a regular file of at most 1 GiB, for parse_text to
 * read a piece at a time; whole, with the two NULs flex wants at the end,
 * when the formatter will want its text (no_includes). Opened without
 * blocking, so that naming a FIFO is an error, not a hang. */
static int open_source(const struct xbc *c, struct xbc_file *f,
		       const char **why)
{
	int fd = open(f->path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	struct stat st;
	size_t n = 0;
	int ret = -1;

	if (fd < 0) {
		*why = strerror(errno);
		return -1;
	}
	if (fstat(fd, &st)) {
		*why = strerror(errno);
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		*why = "not a regular file";
		goto out;
	}
	if ((unsigned long long)st.st_size > MAX_SOURCE_SIZE) {
		*why = "larger than 1 GiB";
		goto out;
	}
	f->on_disk = true;
	if (!c->opt.no_includes) {
		f->fd = fd;          /* parse_text reads and closes it */
		return 0;
	}
	f->text = malloc((size_t)st.st_size + 2);
	if (!f->text) {
		*why = "out of memory";
		goto out;
	}
	n = (size_t)st.st_size;
	*why = xb_read_all(fd, f->text, n);
	if (*why) {
		free(f->text);
		f->text = NULL;
		goto out;
	}
	f->len = n;
	f->text[n] = f->text[n + 1] = '\0';
	f->fd = -1;
	ret = 0;
out:
	close(fd);
	return ret;
}

/* A file given to the scanner a piece at a time, so that a big source is
 * never held whole (the texts the tree keeps are copied from the tokens).
 * A piece is whole lines: no token but blanks spans a newline, so none is
 * cut, and a piece starts a line, where columns count from. */
#define PIECE_SIZE (256u << 10)

struct xbc_stream {
	struct xbc_file *f;
	void *yybuf;                 /* flex's state of the piece scanned */
	char *buf;                   /* cap + 2 bytes */
	size_t cap, len;             /* bytes read into buf: the piece, then
				        the start of the line after it */
	size_t piece;                /* the piece's length */
	char kept[2];                /* buf[piece..piece + 2), where the
				        piece's two NULs are */
	size_t total;                /* bytes read from the file */
	bool eof;
};

/* The next piece into buf: 1, 0 at the end of the file, -1 on an error.
 * A read that fails is the disk's or the system's, not the source's: it
 * is said as an I/O error with the line the reading stopped at, and
 * stops the compile (c->read_failed). */
static int read_piece(struct xbc_scan *s, struct xbc_stream *st)
{
	const char *nl;
	char *bigger;
	ssize_t got;

	if (st->piece < st->len) {
		memcpy(st->buf + st->piece, st->kept,
		       st->len - st->piece < 2 ? st->len - st->piece : 2);
		memmove(st->buf, st->buf + st->piece, st->len - st->piece);
	}
	st->len -= st->piece;
	st->piece = 0;
	for (;;) {
		while (!st->eof && st->len < st->cap) {
			got = read(st->f->fd, st->buf + st->len, st->cap - st->len);
			if (got < 0 && errno == EINTR)
				continue;
			if (got < 0)
				goto failed;
			st->eof = got == 0;
			st->len += (size_t)got;
			st->total += (size_t)got;
			if (st->total > MAX_SOURCE_SIZE) {
				errno = EFBIG;
				goto failed;
			}
		}
		nl = st->len ? memrchr(st->buf, '\n', st->len) : NULL;
		if (nl || st->eof)
			break;
		/* a line longer than the buffer: room for all of it */
		bigger = realloc(st->buf, 2 * st->cap + 2);
		if (!bigger) {
			s->c->out_of_memory = s->c->stop = true;
			return -1;
		}
		st->buf = bigger;
		st->cap *= 2;
	}
	st->piece = st->eof ? st->len : (size_t)(nl - st->buf) + 1;
	if (!st->piece)
		return 0;
	memcpy(st->kept, st->buf + st->piece, 2);
	st->buf[st->piece] = st->buf[st->piece + 1] = '\0';
	return 1;
failed:
	fprintf(stderr, "xenbakec: %s: cannot read from line %d on: %s\n",
		st->f->path, s->line, errno == EFBIG ? "larger than 1 GiB" :
		strerror(errno));
	s->c->read_failed = s->c->stop = true;
	return -1;
}

/* The next piece to the scanner: the last one's state goes first, so
 * that flex writes nothing into the buffer as it is refilled */
bool xbc_scan_next_piece(struct xbc_scan *s, void *scanner)
{
	struct xbc_stream *st = s->stream;

	if (st->yybuf)
		yy_delete_buffer(st->yybuf, scanner);
	st->yybuf = NULL;
	if (read_piece(s, st) <= 0)
		return false;
	st->yybuf = yy_scan_buffer(st->buf, st->piece + 2, scanner);
	if (!st->yybuf) {
		s->c->out_of_memory = s->c->stop = true;
		return false;
	}
	s->line_start = st->buf;
	return true;
}

/* f to the parser: its text, or its open file a piece at a time */
static void parse_text(struct xbc *c, struct xbc_file *f)
{
	struct xbc_scan s = { .c = c, .file = f->name, .line = 1,
			      .line_start = f->text };
	struct xbc_stream st = { .f = f, .cap = PIECE_SIZE };
	yyscan_t scanner = NULL;
	YY_BUFFER_STATE buf = NULL;

	if (yylex_init_extra(&s, &scanner))
		goto oom;
	if (f->text) {
		buf = yy_scan_buffer(f->text, f->len + 2, scanner);
		if (!buf)
			goto oom;
	} else {
		st.buf = malloc(st.cap + 2);
		if (!st.buf)
			goto oom;
		s.stream = &st;
		if (!xbc_scan_next_piece(&s, scanner)) {
			if (c->stop)
				goto out;
			/* an empty file: the parser is given its end */
			st.buf[0] = st.buf[1] = '\0';
			buf = yy_scan_buffer(st.buf, 2, scanner);
			if (!buf)
				goto oom;
		}
	}
	c->cur_file = f;
	yyparse(scanner, c);
	c->cur_file = NULL;
	xbc_build_for_close_all(c);
	goto out;
oom:
	c->out_of_memory = c->stop = true;
out:
	if (buf)
		yy_delete_buffer(buf, scanner);
	if (st.yybuf)
		yy_delete_buffer(st.yybuf, scanner);
	if (scanner)
		yylex_destroy(scanner);
	free(st.buf);
	if (!f->text && f->fd >= 0) {
		close(f->fd);
		f->fd = -1;
	}
	xbc_build_file_end(c);
}

/* "a/./b/../c" -> "a/c" (leading ".." kept), in place: names are shown to
 * people and stored in blobs, so one file has one name. */
static int normalize(char *path)
{
	size_t n = 0, i, len = strlen(path);
	char **seg = malloc((len / 2 + 2) * sizeof(*seg));
	char *copy = strdup(path), *tok, *save = NULL, *out = path;
	bool abs = path[0] == '/';

	if (!seg || !copy) {
		free(seg);
		free(copy);
		return -1;
	}
	for (tok = strtok_r(copy, "/", &save); tok;
	     tok = strtok_r(NULL, "/", &save)) {
		if (!strcmp(tok, "."))
			continue;
		if (!strcmp(tok, "..") && n && strcmp(seg[n - 1], "..")) {
			n--;
			continue;
		}
		if (!strcmp(tok, "..") && abs && !n)
			continue;
		seg[n++] = tok;
	}
	if (abs)
		*out++ = '/';
	for (i = 0; i < n; i++)
		out += sprintf(out, "%s%s", i ? "/" : "", seg[i]);
	if (out == path)
		*out++ = '.';
	*out = '\0';
	free(seg);
	free(copy);
	return 0;
}

static char *dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');

	if (!slash)
		return strdup("");
	if (slash == path)
		return strdup("/");
	return strndup(path, (size_t)(slash - path));
}

static char *join(const char *dir, const char *name)
{
	char *p;

	if (!*dir || name[0] == '/')
		return strdup(name);
	if (asprintf(&p, "%s/%s", dir, name) < 0)
		return NULL;
	return p;
}

/* The name of an included file given by an absolute path: relative to the
 * main file's directory, so that no blob holds a path of the machine it
 * was compiled on. NULL when either cannot be resolved. */
static char *name_from_main(const struct xbc *c, const char *path)
{
	char *base = realpath(c->main_dir && *c->main_dir ? c->main_dir : ".",
			      NULL);
	char *target = realpath(path, NULL), *name = NULL, *p;
	size_t common = 0, i, ups = 0;

	if (!base || !target)
		goto out;
	/* the longest common prefix that ends at a component boundary */
	for (i = 0; base[i] && base[i] == target[i]; i++)
		if (base[i] == '/')
			common = i;
	if (!base[i] && (target[i] == '/' || !target[i]))
		common = i;
	for (i = common; base[i]; i++)
		if (base[i] == '/')
			ups++;
	name = malloc(3 * ups + strlen(target) + 2);
	if (!name)
		goto out;
	p = name;
	for (i = 0; i < ups; i++)
		p = stpcpy(p, "../");
	strcpy(p, target[common] == '/' ? target + common + 1 : target + common);
out:
	free(base);
	free(target);
	return name;
}

struct include_frame {
	char *real;                  /* realpath of the file being parsed */
	struct include_frame *up;
};

struct parsed {
	char *real;
	struct parsed *next;
};

static int parse_one(struct xbc *c, struct xbc_file *f,
		     struct include_frame *up, int depth,
		     struct parsed **done);

static bool already(struct parsed *done, const char *real)
{
	for (; done; done = done->next)
		if (!strcmp(done->real, real))
			return true;
	return false;
}

/* Opens the file an include names: next to the including file, then in
 * each -I directory. */
static struct xbc_file *open_include(struct xbc *c, const struct xbc_file *from,
				     const struct xbc_include *inc,
				     const char **why)
{
	struct xbc_file *f = xbc_alloc(c, sizeof(*f));
	char *from_dir = NULL, *from_name_dir = NULL;
	const char *rel = inc->path.value;
	size_t i;

	if (!f)
		return NULL;
	from_dir = dir_of(from->path);
	from_name_dir = dir_of(from->name);
	f->path = from_dir ? join(from_dir, rel) : NULL;
	if (f->path && access(f->path, F_OK) == 0 && rel[0] != '/') {
		f->name = join(from_name_dir ? from_name_dir : "", rel);
	} else if (rel[0] == '/') {
		f->name = name_from_main(c, rel);
		if (!f->name)
			f->name = strdup(rel);   /* missing: only named in an error */
	} else {
		for (i = 0; i < c->opt.ninclude_dirs; i++) {
			free(f->path);
			f->path = join(c->opt.include_dirs[i], rel);
			if (f->path && access(f->path, F_OK) == 0)
				break;
		}
		if (i == c->opt.ninclude_dirs) {
			free(f->path);
			f->path = from_dir ? join(from_dir, rel) : NULL;
		}
		f->name = strdup(rel);
	}
	free(from_dir);
	free(from_name_dir);
	if (!f->path || !f->name) {
		c->out_of_memory = c->stop = true;
		goto fail;
	}
	if (normalize(f->name)) {
		c->out_of_memory = c->stop = true;
		goto fail;
	}
	if (open_source(c, f, why))
		goto fail;
	return f;
fail:
	free(f->path);
	free(f->name);
	free(f);
	return NULL;
}

static int decode_include_path(struct xbc *c, struct xbc_include *inc)
{
	const char *r = inc->path.raw;
	struct xbc_diag *d;

	if (!r)
		return -1;
	if (strchr(r, '\\') || strchr(r, '$') || !*r) {
		d = xbc_report(c, CHECK_INCLUDE, XBC_AT(inc, path),
			       *r ? "an include path is written plainly: no "
			       "escapes, no ${constants}" : "an empty include path");
		(void)d;
		return -1;
	}
	inc->path.value = inc->path.raw;
	return inc->path.value ? 0 : -1;
}

static void process_includes(struct xbc *c, struct xbc_file *from,
			     struct xbc_include *list,
			     struct include_frame *frame, int depth,
			     struct parsed **done)
{
	struct xbc_include *inc;
	struct include_frame *fr;
	struct xbc_file *f;
	const char *why = NULL;
	char *real;

	for (inc = list; inc && !c->stop; inc = inc->next) {
		if (decode_include_path(c, inc))
			continue;
		f = open_include(c, from, inc, &why);
		if (!f) {
			struct xbc_diag *d = xbc_report(c, CHECK_INCLUDE,
				XBC_AT(inc, path), "cannot include \"%s\": %s",
				inc->path.value, why ? why : "error");

			if (c->opt.ninclude_dirs == 0)
				xbc_hint(c, d, "paths are relative to the "
					 "including file; -I DIR adds a place "
					 "to look");
			continue;
		}
		real = realpath(f->path, NULL);
		if (!real) {
			xbc_report(c, CHECK_INCLUDE, XBC_AT(inc, path),
				   "cannot include \"%s\": %s", inc->path.value,
				   strerror(errno));
			goto drop;
		}
		for (fr = frame; fr; fr = fr->up)
			if (!strcmp(fr->real, real))
				break;
		if (fr) {
			struct xbc_diag *d = xbc_report(c, CHECK_INCLUDE,
				XBC_AT(inc, path), "an include cycle: \"%s\" "
				"is already being read", inc->path.value);

			xbc_hint(c, d, "move what both files need into a third "
				 "file that both include");
			free(real);
			goto drop;
		}
		if (already(*done, real)) {   /* included once already */
			free(real);
			goto drop;
		}
		if (depth >= MAX_INCLUDE_DEPTH) {
			xbc_report(c, CHECK_INCLUDE, XBC_AT(inc, path),
				   "includes nested deeper than %d",
				   MAX_INCLUDE_DEPTH);
			free(real);
			goto drop;
		}
		f->next = c->files;
		c->files = f;
		{
			struct include_frame me = { real, frame };

			parse_one(c, f, &me, depth + 1, done);
		}
		continue;
drop:
		if (!f->text)
			close(f->fd);
		free(f->path);
		free(f->name);
		free(f->text);
		free(f);
	}
}

static int parse_one(struct xbc *c, struct xbc_file *f,
		     struct include_frame *frame, int depth,
		     struct parsed **done)
{
	struct xbc_include *mine;
	struct parsed *p = xbc_alloc(c, sizeof(*p));

	if (!p) {
		free(frame->real);
		return -1;
	}
	p->real = frame->real;         /* the list owns it from here */
	p->next = *done;
	*done = p;

	c->includes = NULL;
	c->include_tail = &c->includes;
	parse_text(c, f);
	mine = c->includes;            /* this file's includes, in order */
	c->includes = NULL;
	c->include_tail = &c->includes;
	if (!c->opt.no_includes)
		process_includes(c, f, mine, frame, depth, done);
	return 0;                      /* mine is in the arena */
}

static void free_parsed(struct parsed *p)
{
	while (p) {
		struct parsed *next = p->next;

		free(p->real);
		free(p);
		p = next;
	}
}

static int parse_main(struct xbc *c, struct xbc_file *f)
{
	struct parsed *done = NULL;
	struct include_frame top = { NULL, NULL };
	int ret;

	f->next = c->files;
	c->files = f;
	c->main_file = f;
	top.real = f->path ? realpath(f->path, NULL) : NULL;
	if (!top.real)
		top.real = xbc_strdup(c, f->name);
	if (!top.real)
		return -1;
	ret = parse_one(c, f, &top, 0, &done);
	free_parsed(done);
	return ret;
}

int xbc_parse_file(struct xbc *c, const char *path)
{
	struct xbc_file *f = xbc_alloc(c, sizeof(*f));
	const char *base = strrchr(path, '/'), *why = NULL;

	if (!f)
		return -1;
	f->path = xbc_strdup(c, path);
	f->name = xbc_strdup(c, base ? base + 1 : path);
	c->main_dir = dir_of(path);
	if (!f->path || !f->name || !c->main_dir || open_source(c, f, &why)) {
		if (why)
			fprintf(stderr, "xenbakec: %s: %s\n", path, why);
		free(f->path);
		free(f->name);
		free(f);
		return -1;
	}
	return parse_main(c, f) || c->read_failed ? -1 : 0;
}

int xbc_parse_buffer(struct xbc *c, const char *name, const char *text,
		     size_t len)
{
	struct xbc_file *f = xbc_alloc(c, sizeof(*f));

	if (!f)
		return -1;
	f->name = xbc_strdup(c, name);
	f->path = xbc_strdup(c, name);
	f->text = malloc(len + 2);
	if (!f->name || !f->path || !f->text) {
		free(f->name);
		free(f->path);
		free(f->text);
		free(f);
		c->out_of_memory = true;
		return -1;
	}
	memcpy(f->text, text, len);
	f->text[len] = f->text[len + 1] = '\0';
	f->len = len;
	return parse_main(c, f);
}
