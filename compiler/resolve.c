/* SPDX-License-Identifier: MIT */
/* resolve.c - strings as written -> their bytes: escapes, ${constants}
 * and $$ (read by strlit.c), then UTF-8 and the characters XML can carry
 * (xml-char). Errors point at the byte that causes them. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "compiler/compiler.h"
#include "lib/readall.h"

#define FROM_CONSTANT SIZE_MAX  /* an output byte that came from a ${} */

/* What constants may expand to in one string (every string together:
 * XBC_MAX_CONSTANT_BYTES). Doubling lets would otherwise ask for 2^N
 * bytes. */
#define MAX_EXPANSION (1UL << 20)

/* file "PATH": the largest file read as a value */
#define MAX_FILE_VALUE (1UL << 20)
/* templates that use templates: how deep */
#define MAX_TEMPLATE_DEPTH 64

/* A string being decoded: in small while it fits, as most do */
struct out {
	char *buf;                   /* small, or malloc'd */
	size_t len, cap;
	char small[128];
};

static void out_init(struct out *o)
{
	o->buf = o->small;
	o->len = 0;
	o->cap = sizeof(o->small);
	o->buf[0] = '\0';
}

static void out_free(struct out *o)
{
	if (o->buf != o->small)
		free(o->buf);
}

static int put(struct xbc *c, struct out *o, const char *bytes, size_t n)
{
	if (o->len + n + 1 > o->cap) {
		size_t cap = o->cap;
		char *b;

		while (cap < o->len + n + 1)
			cap *= 2;
		b = o->buf == o->small ? malloc(cap) : realloc(o->buf, cap);
		if (!b) {
			c->out_of_memory = c->stop = true;
			return -1;
		}
		if (o->buf == o->small)
			memcpy(b, o->small, o->len + 1);
		o->buf = b;
		o->cap = cap;
	}
	memcpy(o->buf + o->len, bytes, n);
	o->len += n;
	o->buf[o->len] = '\0';
	return 0;
}

static int let_cmp(const void *a, const void *b)
{
	return strcmp((*(struct xbc_let *const *)a)->name,
		      (*(struct xbc_let *const *)b)->name);
}

struct constants {
	struct xbc_let **sorted;
	const char **names;
	size_t n;
	size_t expanded;             /* bytes made by ${} so far, in all */
	bool over;                   /* the total was exceeded (said once) */
	const struct xbc_env *env;   /* the for variables in scope */
};

static struct xbc_let *lookup(const struct constants *k, const char *name,
			      size_t len)
{
	size_t lo = 0, hi = k->n;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int cmp = strncmp(k->sorted[mid]->name, name, len);

		if (!cmp && k->sorted[mid]->name[len])
			cmp = 1;
		if (!cmp)
			return k->sorted[mid];
		if (cmp < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static int decode(struct xbc *c, struct constants *k, struct xbc_str *s,
		  const char *file, struct xbc_let *self);
static void resolve_let(struct xbc *c, struct constants *k,
			struct xbc_let *root);

/* The for variable ${name} (len bytes) names, innermost first; NULL:
 * none, a constant then */
static const struct xbc_env *find_env(const struct constants *k,
				      const char *name, size_t len)
{
	const struct xbc_env *e;

	for (e = k->env; e; e = e->up)
		if (!strncmp(e->name, name, len) && !e->name[len])
			return e;
	return NULL;
}

/* ${name} at raw offset off. */
static int interpolate(struct xbc *c, struct constants *k,
		       struct xbc_str *s, const char *file, struct out *o,
		       size_t off, const char *name, size_t len)
{
	struct xbc_let *let;
	struct xbc_loc at = xbc_str_at(s, file);
	struct xbc_loc loc = xbc_str_loc(&at, off);
	struct xbc_diag *d;
	const struct xbc_env *e = find_env(k, name, len);
	char *word;
	size_t vlen;

	if (e) {
		if (o->len + e->len > MAX_EXPANSION) {
			xbc_report(c, CHECK_EXPANSION, &loc, "'${%s}' makes this "
				   "string longer than %lu bytes", e->name,
				   MAX_EXPANSION);
			return -1;
		}
		return put(c, o, e->value, e->len);
	}
	let = lookup(k, name, len);
	if (!let) {
		word = strndup(name, len);
		d = xbc_report(c, CHECK_UNDEFINED_CONSTANT, &loc,
			       "unknown constant '%s'", word ? word : "");
		if (word) {
			const char *near = xbc_nearest(word, k->names, k->n);

			if (near)
				xbc_hint(c, d, "did you mean '${%s}'?", near);
			else
				xbc_hint(c, d, "define it first: let %s = \"...\";",
					 word);
		}
		free(word);
		return -1;
	}
	let->used = true;
	if (let->state == LET_RESOLVING) {
		d = xbc_report(c, CHECK_UNDEFINED_CONSTANT, &loc,
			       "constant '%s' is defined in terms of itself",
			       let->name);
		xbc_note(c, d, &let->loc, "'%s' is defined here", let->name);
		return -1;
	}
	if (let->state == LET_UNRESOLVED) {
		/* a let sees other lets only, wherever it is used from */
		const struct xbc_env *saved = k->env;

		k->env = NULL;
		resolve_let(c, k, let);       /* sets value or fails */
		k->env = saved;
	}
	if (!let->value.value)
		return -1;                   /* reported where it is defined */
	vlen = strlen(let->value.value);
	if (o->len + vlen > MAX_EXPANSION) {
		d = xbc_report(c, CHECK_EXPANSION, &loc, "'${%s}' makes this "
			       "string longer than %lu bytes", let->name,
			       MAX_EXPANSION);
		xbc_hint(c, d, "constants that use each other twice or more "
			 "grow exponentially");
		return -1;
	}
	k->expanded += vlen;
	if (k->expanded > c->opt.max_constant_bytes) {
		if (!k->over) {
			d = xbc_report(c, CHECK_EXPANSION, &loc, "constants "
				       "expand to more than %zu MiB in all",
				       c->opt.max_constant_bytes >> 20);
			xbc_hint(c, d, "use large constants fewer times");
		}
		k->over = true;
		return -1;
	}
	return put(c, o, let->value.value, vlen);
}

/* Length of the UTF-8 sequence at p (of n bytes) that XML can carry, or 0:
 * invalid UTF-8, a C0 control other than tab/LF/CR, U+FFFE, U+FFFF. */
static size_t xml_char(const unsigned char *p, size_t n, const char **why)
{
	size_t len;

	if (p[0] < 0x80) {           /* most bytes: no call for them */
		if (p[0] < 0x20 && p[0] != '\t' && p[0] != '\n' &&
		    p[0] != '\r') {
			*why = "a control character";
			return 0;
		}
		return 1;
	}
	len = xb_utf8_len(p, n, why);
	if (len == 3 && p[0] == 0xef && p[1] == 0xbf &&
	    (p[2] == 0xbe || p[2] == 0xbf)) {
		*why = "a character XML cannot carry";   /* U+FFFE, U+FFFF */
		return 0;
	}
	return len;
}

/* Where the first byte of buf (len bytes) that XML cannot carry is, why
 * saying what it is; len when there is none */
static size_t xml_bad(const char *buf, size_t len, const char **why)
{
	const unsigned char *p = (const unsigned char *)buf;
	size_t i = 0, n;

	while (i < len) {
		n = xml_char(p + i, len - i, why);
		if (!n)
			return i;
		i += n;
	}
	return len;
}

/* xml-char at byte off of s's raw text, written in file */
static void report_xml(struct xbc *c, const struct xbc_str *s,
		       const char *file, size_t off, const char *why)
{
	struct xbc_loc loc = xbc_str_at(s, file);
	struct xbc_diag *d;

	loc = xbc_str_loc(&loc, off);
	d = xbc_report(c, CHECK_XML_CHAR, &loc, "%s in a string: xapi would "
		       "silently cut the string short here", why);
	xbc_hint(c, d, "strings are UTF-8 text; tab, \\n and \\r are the "
		 "only control characters allowed");
}

/* xml-char over buf (len bytes: s's raw text with nothing to decode, or
 * a file value's bytes), a bad byte placed at its offset in s */
static int check_xml(struct xbc *c, const struct xbc_str *s,
		     const char *file, const char *buf, size_t len)
{
	const char *why = NULL;
	size_t i = xml_bad(buf, len, &why);

	if (i == len)
		return 0;
	report_xml(c, s, file, i, why);
	return -1;
}

/* Where byte want of s's decoded value was written: its offset in the raw
 * text, or FROM_CONSTANT when a ${} brought it. The pieces are walked
 * again, as decode walked them, only to place an error. */
static size_t raw_offset(struct xbc *c, const struct constants *k,
			 const struct xbc_str *s, const char *file,
			 size_t want)
{
	struct xbc_loc at = xbc_str_at(s, file);
	const struct xbc_env *e;
	const struct xbc_let *let;
	struct xbc_piece p;
	size_t i, done = 0, n;

	for (i = 0; xbc_str_piece(c, s->raw, &at, i, &p) != XBC_PIECE_END &&
		    p.kind != XBC_PIECE_ERROR; i += p.len) {
		if (p.kind == XBC_PIECE_CONSTANT) {
			e = find_env(k, s->raw + i + 2, p.len - 3);
			let = e ? NULL : lookup(k, s->raw + i + 2, p.len - 3);
			n = e ? e->len : let && let->value.value ?
			    strlen(let->value.value) : 0;
		} else {
			n = p.kind == XBC_PIECE_TEXT ? p.len : 1;
		}
		if (want < done + n)
			return p.kind == XBC_PIECE_CONSTANT ? FROM_CONSTANT :
			       i + (want - done);
		done += n;
	}
	return FROM_CONSTANT;        /* not reached: want is in the value */
}

/* Decodes s, written in file; self is the let whose value s is, if any:
 * it is marked while decoded, so that a cycle of constants is seen. */
static int decode(struct xbc *c, struct constants *k, struct xbc_str *s,
		  const char *file, struct xbc_let *self)
{
	struct xbc_loc at = xbc_str_at(s, file);
	struct out o;
	struct xbc_piece p;
	const char *r = s->raw, *why = NULL;
	size_t i;
	bool plain;
	int err, ret = -1;

	out_init(&o);
	if (!r)
		return -1;
	if (s->value == r) {
		/* plain, as the scanner found (or decoded before) */
		if (self)
			self->state = LET_DONE;
		return 0;
	}
	/* one pass: its length, whether it has anything to decode, and
	   whether it is all printable ASCII (xml-char then has nothing to
	   say) */
	for (i = 0, plain = true; r[i] && r[i] != '\\' && r[i] != '$'; i++)
		plain &= (unsigned char)r[i] >= 0x20 &&
			 (unsigned char)r[i] < 0x80;
	if (!r[i]) {
		/* nothing to decode: most strings, kept as they are */
		if (self)
			self->state = LET_RESOLVING;
		ret = plain ? 0 : check_xml(c, s, file, r, i);
		if (!ret)
			s->value = s->raw;
		goto out;
	}
	if (self)
		self->state = LET_RESOLVING;
	for (i = 0; xbc_str_piece(c, r, &at, i, &p) != XBC_PIECE_END;
	     i += p.len) {
		if (p.kind == XBC_PIECE_ERROR)
			goto out;
		if (p.kind == XBC_PIECE_CONSTANT)
			err = interpolate(c, k, s, file, &o, i, r + i + 2,
					  p.len - 3);
		else if (p.kind == XBC_PIECE_TEXT)
			err = put(c, &o, r + i, p.len);
		else
			err = put(c, &o, (const char *)&p.byte, 1);
		if (err)
			goto out;
	}
	if ((i = xml_bad(o.buf, o.len, &why)) < o.len) {
		/* a byte a ${} brought was said where the constant is */
		if ((i = raw_offset(c, k, s, file, i)) != FROM_CONSTANT)
			report_xml(c, s, file, i, why);
		goto out;
	}
	/* into the arena, with the rest of the tree */
	s->value = xbc_arena_strndup(c, o.buf, o.len);
	if (!s->value)
		goto out;
	ret = 0;
out:
	if (self)
		self->state = ret ? LET_FAILED : LET_DONE;
	out_free(&o);
	return ret;
}

/* The next ${name} of raw from *off on, skipping escapes and $$; its
 * name in *name, *len. false at the end. Errors are left to decode. */
static bool next_reference(const char *raw, size_t *off, const char **name,
			   size_t *len)
{
	const char *r = raw + *off, *end;

	while (*r) {
		if (r[0] == '\\' || (r[0] == '$' && r[1] == '$')) {
			r += r[1] ? 2 : 1;
		} else if (r[0] == '$' && r[1] == '{' &&
			   (end = strchr(r + 2, '}'))) {
			*name = r + 2;
			*len = (size_t)(end - r - 2);
			*off = (size_t)(end + 1 - raw);
			return true;
		} else {
			r++;
		}
	}
	*off = (size_t)(r - raw);
	return false;
}

struct frame {
	struct xbc_let *let;
	size_t off;                  /* where to look for its next ${} */
};

/* Decodes root after every constant it uses, depth first with a stack of
 * its own: a chain of 100,000 lets must not need 100,000 C frames. A let
 * on the stack is LET_RESOLVING, so a cycle is found (and reported) by
 * interpolate when the let that closes it is decoded. */
static void resolve_let(struct xbc *c, struct constants *k,
			struct xbc_let *root)
{
	struct frame *stack = NULL, *grown;
	size_t n = 0, cap = 0, len;
	const char *name;
	struct xbc_let *dep;

	if (root->state != LET_UNRESOLVED)
		return;
	cap = 16;
	stack = malloc(cap * sizeof(*stack));
	if (!stack) {
		c->out_of_memory = c->stop = true;
		return;
	}
	stack[n++] = (struct frame){ root, 0 };
	root->state = LET_RESOLVING;
	while (n && !c->stop) {
		struct frame *top = &stack[n - 1];

		dep = NULL;
		while (top->let->value.raw &&
		       next_reference(top->let->value.raw, &top->off, &name,
				      &len)) {
			dep = lookup(k, name, len);
			if (dep && dep->state == LET_UNRESOLVED)
				break;
			dep = NULL;
		}
		if (!dep) {
			decode(c, k, &top->let->value, top->let->loc.file,
			       top->let);
			n--;
			continue;
		}
		if (n == cap) {
			grown = realloc(stack, 2 * cap * sizeof(*stack));
			if (!grown) {
				c->out_of_memory = c->stop = true;
				break;
			}
			stack = grown;
			cap *= 2;
		}
		dep->state = LET_RESOLVING;
		stack[n++] = (struct frame){ dep, 0 };
	}
	/* stopped midway: what is left on the stack stays unresolved */
	while (n)
		if (stack[--n].let->state == LET_RESOLVING)
			stack[n].let->state = LET_FAILED;
	free(stack);
}

/* ---- file "PATH" ------------------------------------------------------- */

/* The directory of the file a statement is written in */
static char *src_dir(const struct xbc *c, const struct xbc_stmt *s)
{
	const char *path = s->src && s->src->path ? s->src->path : NULL;
	const char *slash = path ? strrchr(path, '/') : NULL;

	if (!path)
		return strdup(c->main_dir ? c->main_dir : "");
	if (!slash)
		return strdup("");
	return strndup(path, slash == path ? 1 : (size_t)(slash - path));
}

/* Reads the file a value names (s->value.value, decoded as a path) into
 * s->value, checked as a string written in the source would be. Opened
 * without blocking and refused unless regular, as an include is. */
static int read_value_file(struct xbc *c, struct xbc_stmt *s)
{
	const char *rel = s->value.value;
	char *dir = src_dir(c, s), *path = NULL, *buf = NULL;
	const char *why = NULL;
	struct stat st;
	struct xbc_diag *d;
	size_t n = 0;
	int fd = -1, ret = -1;

	if (!dir)
		goto oom;
	if (!*rel) {
		why = "an empty path";
		goto bad;
	}
	if (rel[0] == '/' || !*dir)
		path = strdup(rel);
	else if (asprintf(&path, "%s/%s", dir, rel) < 0)
		path = NULL;
	if (!path)
		goto oom;
	fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st)) {
		why = strerror(errno);
		goto bad;
	}
	if (!S_ISREG(st.st_mode)) {
		why = "not a regular file";
		goto bad;
	}
	if ((unsigned long long)st.st_size > MAX_FILE_VALUE) {
		d = xbc_report(c, CHECK_FILE, XBC_AT(s, value), "file \"%s\" "
			       "is %llu bytes: a file value is at most %lu",
			       rel, (unsigned long long)st.st_size,
			       MAX_FILE_VALUE);
		xbc_hint(c, d, "a vm-data value holds at most 2048 bytes");
		goto out;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf)
		goto oom;
	n = (size_t)st.st_size;
	why = xb_read_all(fd, buf, n);
	if (why)
		goto bad;
	buf[n] = '\0';
	if (memchr(buf, '\0', n) ||
	    check_xml(c, &s->value, s->loc.file, buf, n)) {
		if (memchr(buf, '\0', n)) {
			d = xbc_report(c, CHECK_XML_CHAR, XBC_AT(s, value),
				       "file \"%s\" holds a NUL byte: xapi "
				       "would silently cut the value short",
				       rel);
			xbc_hint(c, d, "a file value is UTF-8 text");
		}
		goto out;
	}
	s->value.value = xbc_arena_strndup(c, buf, n);
	if (!s->value.value)
		goto out;
	ret = 0;
	goto out;
bad:
	d = xbc_report(c, CHECK_FILE, XBC_AT(s, value), "cannot read file "
		       "\"%s\": %s", rel, why);
	xbc_hint(c, d, "a file value's path is relative to the file that "
		 "names it");
	goto out;
oom:
	c->out_of_memory = c->stop = true;
out:
	if (ret)
		s->value.value = NULL;
	if (fd >= 0)
		close(fd);
	free(buf);
	free(path);
	free(dir);
	return ret;
}

static void decode_stmts(struct xbc *c, struct constants *k,
			 struct xbc_stmt *s)
{
	for (; s && !c->stop; s = s->next) {
		if (s->kind == STMT_USE)
			continue;
		if (s->key.raw)
			decode(c, k, &s->key, s->loc.file, NULL);
		if (s->value.raw &&
		    !decode(c, k, &s->value, s->loc.file, NULL) &&
		    s->value_is_file)
			read_value_file(c, s);
	}
}

/* ---- glob-in-name --------------------------------------------------------- */

void xbc_check_glob(struct xbc *c, const struct xbc_block *b)
{
	const char *v = b->selector.value;
	struct xbc_diag *d;

	if (b->how != SELECT_NAME || !v || !strpbrk(v, "*?["))
		return;
	d = xbc_report(c, CHECK_GLOB_IN_NAME, XBC_AT(b, selector), "the name "
		       "\"%s\" holds %s: it selects the one object named so, "
		       "not a pattern", v, strchr(v, '*') ? "'*'" :
		       strchr(v, '?') ? "'?'" : "'['");
	xbc_hint(c, d, "did you mean %s match \"%s\"?",
		 xb_class_keyword(b->cls), v);
}

/* ---- templates ------------------------------------------------------------ */

static struct xbc_template *find_template(struct xbc *c, const char *name)
{
	struct xbc_template *t;

	for (t = c->templates; t; t = t->next)
		if (!strcmp(t->name, name))
			return t;
	return NULL;
}

/* Each use names its template, or is reported */
static void link_uses(struct xbc *c, struct xbc_stmt *s,
		      const struct xbc_template *from)
{
	const char *names[64];
	struct xbc_template *t;
	struct xbc_diag *d;
	size_t n;

	for (; s && !c->stop; s = s->next) {
		if (s->kind != STMT_USE || !s->key.raw)
			continue;
		s->tmpl = find_template(c, s->key.raw);
		if (s->tmpl) {
			if (s->tmpl != from)
				s->tmpl->used = true;
			continue;
		}
		d = xbc_report(c, CHECK_TEMPLATE, XBC_AT(s, key), "unknown "
			       "template '%s'", s->key.raw);
		for (n = 0, t = c->templates; t && n < 64; t = t->next)
			names[n++] = t->name;
		if (n && xbc_nearest(s->key.raw, names, n))
			xbc_hint(c, d, "did you mean '%s'?",
				 xbc_nearest(s->key.raw, names, n));
		else
			xbc_hint(c, d, "define it at the top level: template "
				 "%s { ... }", s->key.raw);
	}
}

static void link_blocks(struct xbc *c, struct xbc_block *b)
{
	for (; b && !c->stop; b = b->next) {
		if (b->loop)
			link_blocks(c, b->loop->body);
		if (b->has_use)
			link_uses(c, b->stmts, NULL);
	}
}

static size_t add_sat(size_t a, size_t b)
{
	return a > SIZE_MAX - b ? SIZE_MAX : a + b;
}

/* Statements a list makes once its uses are lowered, saturated at
 * SIZE_MAX: a use costs what its template makes, which visit_template set
 * before (uses cut for a cycle or depth make nothing). */
static size_t stmts_cost(const struct xbc_stmt *s)
{
	size_t n = 0;

	for (; s; s = s->next)
		n = add_sat(n, s->kind != STMT_USE ? 1 :
			       s->tmpl ? s->tmpl->size : 0);
	return n;
}

/* A cycle of uses is cut where it closes, once reported */
static void visit_template(struct xbc *c, struct xbc_template *t, int depth)
{
	struct xbc_stmt *s;
	struct xbc_diag *d;

	t->state = TMPL_VISITING;
	for (s = t->body.stmts; s && !c->stop; s = s->next) {
		if (s->kind != STMT_USE || !s->tmpl)
			continue;
		if (s->tmpl->state == TMPL_VISITING) {
			d = xbc_report(c, CHECK_TEMPLATE_CYCLE, &s->loc,
				       "template '%s' uses '%s', which %s",
				       t->name, s->tmpl->name, s->tmpl == t ?
				       "is itself" : "uses it in turn");
			xbc_note(c, d, &s->tmpl->loc, "'%s' is defined here",
				 s->tmpl->name);
			xbc_hint(c, d, "a template may use others, but never "
				 "itself, not even through another");
			s->tmpl = NULL;
		} else if (s->tmpl->state == TMPL_NEW) {
			if (depth >= MAX_TEMPLATE_DEPTH) {
				d = xbc_report(c, CHECK_TEMPLATE_CYCLE, &s->loc,
					       "templates that use templates "
					       "more than %d deep",
					       MAX_TEMPLATE_DEPTH);
				s->tmpl = NULL;
				continue;
			}
			visit_template(c, s->tmpl, depth + 1);
		}
	}
	t->size = stmts_cost(t->body.stmts);
	t->state = TMPL_OK;
}

static void resolve_templates(struct xbc *c, struct constants *k)
{
	struct xbc_template *t, *u;
	struct xbc_diag *d;

	for (t = c->templates; t && !c->stop; t = t->next)
		for (u = c->templates; u != t; u = u->next)
			if (!strcmp(u->name, t->name)) {
				d = xbc_report(c, CHECK_TEMPLATE, &t->loc,
					       "template '%s' is defined twice",
					       t->name);
				xbc_note(c, d, &u->loc, "also defined here");
				xbc_hint(c, d, "rename one of them");
				t->used = true;     /* said once */
				break;
			}
	for (t = c->templates; t && !c->stop; t = t->next)
		link_uses(c, t->body.stmts, t);
	link_blocks(c, c->blocks);
	for (t = c->templates; t && !c->stop; t = t->next)
		if (t->state == TMPL_NEW)
			visit_template(c, t, 0);
	for (t = c->templates; t && !c->stop; t = t->next) {
		k->env = NULL;
		decode_stmts(c, k, t->body.stmts);
		if (!t->used && (!c->main_file ||
				 t->loc.file == c->main_file->name)) {
			d = xbc_report(c, CHECK_UNUSED_TEMPLATE, &t->loc,
				       "template '%s' is never used", t->name);
			xbc_hint(c, d, "write use %s; in a block, or remove "
				 "the template", t->name);
		}
	}
}

/* ---- for ------------------------------------------------------------------- */

/* Blocks and statements f makes, saturated at SIZE_MAX */
static size_t for_cost(const struct xbc_for *f)
{
	const struct xbc_block *b;
	size_t body = 0, n, part;

	for (b = f->body; b; b = b->next) {
		part = b->loop ? for_cost(b->loop) : 1;
		body = add_sat(body, add_sat(part, stmts_cost(b->stmts)));
	}
	n = f->is_range ? f->hi - f->lo + 1 : f->nitems;
	if (f->is_range && f->hi - f->lo + 1 == 0)
		return SIZE_MAX;
	if (body && n > SIZE_MAX / body)
		return SIZE_MAX;
	return n * body;
}

/* A string of a clone, to be decoded afresh unless it is plain (its
 * value its raw text: no ${} that an iteration changes) */
static void dup_str(struct xbc_str *to, const struct xbc_str *from)
{
	bool plain = from->raw && from->value == from->raw;

	to->line = from->line;
	to->column = from->column;
	to->value = plain ? from->value : NULL;
	to->raw = from->raw;         /* in the arena, never written: shared */
}

/* b as the iteration env makes it: a block of its own, strings decoded
 * afresh. In c->scratch, gone once lowered, unless it uses a template:
 * the notes of what a use brings in name the use, until the end. */
static struct xbc_block *clone_block(struct xbc *c, const struct xbc_block *b,
				     const struct xbc_env *env)
{
	void *(*alloc)(struct xbc *, size_t) = b->has_use ? xbc_new :
					       xbc_new_scratch;
	struct xbc_block *n = alloc(c, sizeof(*n));
	const struct xbc_stmt *s;
	struct xbc_stmt *t;

	if (!n)
		return NULL;
	n->cls = b->cls;
	n->how = b->how;
	n->optional = b->optional;
	n->has_use = b->has_use;
	n->vlan = b->vlan;
	n->vlan_loc = b->vlan_loc;
	n->loc = b->loc;
	n->env = env;
	n->stmt_tail = &n->stmts;
	dup_str(&n->selector, &b->selector);
	dup_str(&n->host, &b->host);
	for (s = b->stmts; s; s = s->next) {
		t = alloc(c, sizeof(*t));
		if (!t)
			break;
		*t = *s;
		t->next = NULL;
		*n->stmt_tail = t;
		n->stmt_tail = &t->next;
		dup_str(&t->key, &s->key);
		dup_str(&t->value, &s->value);
	}
	return n;
}

/* The variable of f is checked once: no let and no enclosing for's
 * variable has its name (${i} would then mean two things). */
static bool check_variable(struct xbc *c, struct constants *k,
			   struct xbc_for *f, const struct xbc_env *up)
{
	const struct xbc_env *e;
	struct xbc_let *let;
	struct xbc_diag *d;

	if (f->checked)
		return true;
	f->checked = true;
	for (e = up; e; e = e->up)
		if (!strcmp(e->name, f->var)) {
			d = xbc_report(c, CHECK_LOOP_VARIABLE, &f->var_loc,
				       "'%s' is already the variable of an "
				       "enclosing for", f->var);
			xbc_note(c, d, &e->loop->var_loc, "the enclosing for's "
				 "'%s'", f->var);
			xbc_hint(c, d, "give this for another variable");
			return false;
		}
	let = lookup(k, f->var, strlen(f->var));
	if (let) {
		d = xbc_report(c, CHECK_LOOP_VARIABLE, &f->var_loc, "'%s' is "
			       "a constant already: ${%s} would mean two things",
			       f->var, f->var);
		xbc_note(c, d, &let->loc, "the constant is defined here");
		xbc_hint(c, d, "give the for another variable");
		return false;
	}
	return true;
}

/* One iteration's value: a number, padded; or an item, decoded in the
 * scope around the for */
static struct xbc_env *make_env(struct xbc *c, struct constants *k,
				struct xbc_for *f, const struct xbc_env *up,
				size_t i)
{
	struct xbc_env *e = xbc_new(c, sizeof(*e));
	struct xbc_str item;
	char num[32];

	if (!e)
		return NULL;
	e->name = f->var;
	e->loop = f;
	e->up = up;
	if (f->is_range) {
		snprintf(num, sizeof(num), "%0*lu", f->width, f->lo + i);
		e->value = xbc_arena_strndup(c, num, strlen(num));
	} else {
		item = f->items[i];
		item.value = NULL;
		k->env = up;
		c->cur_env = up;
		if (decode(c, k, &item, f->loc.file, NULL))
			return NULL;
		e->value = item.value;   /* in the arena, raw or decoded */
	}
	if (!e->value)
		return NULL;
	e->len = strlen(e->value);
	return e;
}

/* b, decoded in the scope of its iteration, to next */
static void resolve_block(struct xbc *c, struct constants *k,
			  struct xbc_block *b, xbc_block_fn *next)
{
	k->env = b->env;
	c->cur_env = b->env;
	if (!decode(c, k, &b->selector, b->loc.file, NULL))
		xbc_check_glob(c, b);
	if (b->host.raw)
		decode(c, k, &b->host, b->loc.file, NULL);
	decode_stmts(c, k, b->stmts);
	if (!c->stop)
		next(c, b);
}

/* Each block f makes, one at a time, to next: made, resolved and
 * lowered, then gone (c->scratch) before the next is made */
static void expand_for(struct xbc *c, struct constants *k,
		       struct xbc_for *f, const struct xbc_env *up,
		       xbc_block_fn *next)
{
	size_t n = f->is_range ? f->hi - f->lo + 1 : f->nitems, i;
	const struct xbc_block *b;
	struct xbc_block *made;
	struct xbc_env *env;

	if (!check_variable(c, k, f, up))
		return;
	if (f->is_range && !f->hi && !f->lo && !f->width)
		return;                 /* a bad range: reported */
	if (!for_cost(f))
		return;                 /* an empty body: no iteration to walk */
	for (i = 0; i < n && !c->stop; i++) {
		env = make_env(c, k, f, up, i);
		if (!env)
			continue;
		for (b = f->body; b && !c->stop; b = b->next) {
			if (b->loop) {
				expand_for(c, k, b->loop, env, next);
				continue;
			}
			made = clone_block(c, b, env);
			if (!made)
				return;
			resolve_block(c, k, made, next);
			xbc_arena_reset(&c->scratch);
		}
	}
}

/* The uses of a block written out count against the same bound as fors:
 * templates that each use the next twice double with every level. A use
 * over the bound is reported and cut, as a cycle is. */
static void charge_uses(struct xbc *c, struct xbc_block *b)
{
	struct xbc_stmt *s;
	struct xbc_diag *d;

	if (!b->has_use)
		return;
	for (s = b->stmts; s && !c->stop; s = s->next) {
		if (s->kind != STMT_USE || !s->tmpl)
			continue;
		if (s->tmpl->size <= c->opt.max_expanded - c->expanded) {
			c->expanded += s->tmpl->size;
			continue;
		}
		d = xbc_report(c, CHECK_EXPANSION, &s->loc,
			       "template '%s' makes %s%zu statements: all fors "
			       "and templates together may make %zu",
			       s->tmpl->name, s->tmpl->size == SIZE_MAX ?
			       "over " : "", s->tmpl->size,
			       c->opt.max_expanded);
		xbc_hint(c, d, "templates that use one another more than "
			 "once multiply: is a use repeated by mistake?");
		s->tmpl = NULL;
	}
}

/* A for of the list: checked against the bound on what all fors and
 * uses make, then expanded */
static void resolve_for(struct xbc *c, struct constants *k,
			const struct xbc_block *b, xbc_block_fn *next)
{
	size_t cost = for_cost(b->loop);
	struct xbc_diag *d;

	if (cost > c->opt.max_expanded - c->expanded) {
		d = xbc_report(c, CHECK_EXPANSION, &b->loop->loc,
			       "this for makes %s%zu blocks and statements: "
			       "all fors and templates together may make %zu",
			       cost == SIZE_MAX ? "over " : "", cost,
			       c->opt.max_expanded);
		xbc_hint(c, d, "a range of millions is likely a typo in a "
			 "bound");
		return;
	}
	c->expanded += cost;
	expand_for(c, k, b->loop, NULL, next);
}

void xbc_resolve(struct xbc *c, xbc_block_fn *next)
{
	struct constants k = { 0 };
	struct xbc_block *b;
	struct xbc_let *l;
	size_t i;

	for (l = c->lets; l; l = l->next)
		k.n++;
	k.sorted = calloc(k.n + 1, sizeof(*k.sorted));
	k.names = calloc(k.n + 1, sizeof(*k.names));
	if (!k.sorted || !k.names) {
		c->out_of_memory = c->stop = true;
		goto out;
	}
	for (i = 0, l = c->lets; l; l = l->next)
		k.sorted[i++] = l;
	qsort(k.sorted, k.n, sizeof(*k.sorted), let_cmp);
	for (i = 0; i + 1 < k.n && !c->stop; i++) {
		if (!strcmp(k.sorted[i]->name, k.sorted[i + 1]->name)) {
			/* report the later one, by source order */
			struct xbc_let *a = k.sorted[i], *later = k.sorted[i + 1];
			struct xbc_diag *d;

			for (l = c->lets; l && l != a && l != later; l = l->next)
				;
			if (l == later) {
				later = a;
				a = k.sorted[i + 1];
			}
			d = xbc_report(c, CHECK_DUPLICATE_KEY, &later->loc,
				       "constant '%s' is defined twice",
				       later->name);
			xbc_note(c, d, &a->loc, "also defined here");
		}
	}
	for (i = 0; i < k.n; i++)
		k.names[i] = k.sorted[i]->name;

	for (l = c->lets; l && !c->stop; l = l->next)
		resolve_let(c, &k, l);
	resolve_templates(c, &k);
	for (b = c->blocks; b && !c->stop; b = b->next) {
		if (b->loop) {
			resolve_for(c, &k, b, next);
		} else {
			charge_uses(c, b);
			resolve_block(c, &k, b, next);
		}
	}
	k.env = NULL;
	c->cur_env = NULL;
	for (l = c->lets; l && !c->stop; l = l->next) {
		/* a let of an included file is shared: another entry point
		 * that includes the file may be the one that uses it */
		if (!l->used && (!c->main_file ||
				 l->loc.file == c->main_file->name)) {
			struct xbc_diag *d = xbc_report(c, CHECK_UNUSED_CONSTANT,
				&l->loc, "constant '%s' is never used", l->name);

			xbc_hint(c, d, "use it as ${%s}, or remove the let",
				 l->name);
		}
	}
out:
	free(k.sorted);
	free(k.names);
}
