/* SPDX-License-Identifier: MIT */
/* resolve.c - strings as written -> their bytes: escapes, ${constants}
 * and $$ (read by strlit.c), then UTF-8 and the characters XML can carry
 * (xml-char). Errors point at the byte that causes them. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "compiler/compiler.h"

#define FROM_CONSTANT SIZE_MAX  /* an output byte that came from a ${} */

/* What constants may expand to: one string, and every string of the
 * compilation together. Doubling lets would otherwise ask for 2^N bytes. */
#define MAX_EXPANSION (1UL << 20)
#define MAX_EXPANSION_TOTAL (256UL << 20)

struct out {
	char *buf;
	size_t *from;                /* for each byte: offset in raw */
	size_t len, cap;
};

/* from: the raw offset of bytes[0], the others following it; or
 * FROM_CONSTANT for them all. */
static int put(struct xbc *c, struct out *o, const char *bytes, size_t n,
	       size_t from)
{
	size_t i;

	if (o->len + n + 1 > o->cap) {
		size_t cap = o->cap ? o->cap : 32;
		char *b;
		size_t *f;

		while (cap < o->len + n + 1)
			cap *= 2;
		b = realloc(o->buf, cap);
		if (b)
			o->buf = b;
		f = realloc(o->from, cap * sizeof(*f));
		if (f)
			o->from = f;
		if (!b || !f) {
			c->out_of_memory = c->stop = true;
			return -1;
		}
		o->cap = cap;
	}
	memcpy(o->buf + o->len, bytes, n);
	for (i = 0; i < n; i++)
		o->from[o->len + i] = from == FROM_CONSTANT ? from : from + i;
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
		  struct xbc_let *self);
static void resolve_let(struct xbc *c, struct constants *k,
			struct xbc_let *root);

/* ${name} at raw offset off. */
static int interpolate(struct xbc *c, struct constants *k,
		       struct xbc_str *s, struct out *o, size_t off,
		       const char *name, size_t len)
{
	struct xbc_let *let = lookup(k, name, len);
	struct xbc_loc loc = xbc_str_loc(&s->loc, off);
	struct xbc_diag *d;
	char *word;

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
	if (let->state == LET_UNRESOLVED)
		resolve_let(c, k, let);       /* sets value or fails */
	if (!let->value.value)
		return -1;                   /* reported where it is defined */
	if (o->len + let->value.len > MAX_EXPANSION) {
		d = xbc_report(c, CHECK_EXPANSION, &loc, "'${%s}' makes this "
			       "string longer than %lu bytes", let->name,
			       MAX_EXPANSION);
		xbc_hint(c, d, "constants that use each other twice or more "
			 "grow exponentially");
		return -1;
	}
	k->expanded += let->value.len;
	if (k->expanded > MAX_EXPANSION_TOTAL) {
		if (!k->over) {
			d = xbc_report(c, CHECK_EXPANSION, &loc, "constants "
				       "expand to more than %lu MiB in all",
				       MAX_EXPANSION_TOTAL >> 20);
			xbc_hint(c, d, "use large constants fewer times");
		}
		k->over = true;
		return -1;
	}
	return put(c, o, let->value.value, let->value.len, FROM_CONSTANT);
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

/* xml-char over the decoded bytes (from: the raw offset of each, NULL when
 * they are the raw bytes); a bad byte that came from a constant was
 * reported where the constant is defined. */
static int check_xml(struct xbc *c, struct xbc_str *s, const char *buf,
		     size_t len, const size_t *from)
{
	const unsigned char *p = (const unsigned char *)buf;
	const char *why = NULL;
	size_t i = 0, n;

	while (i < len) {
		n = xml_char(p + i, len - i, &why);
		if (!n) {
			struct xbc_loc loc;
			struct xbc_diag *d;
			size_t raw_off = from ? from[i] : i;

			if (raw_off == FROM_CONSTANT)
				return -1;
			loc = xbc_str_loc(&s->loc, raw_off);
			d = xbc_report(c, CHECK_XML_CHAR, &loc,
				       "%s in a string: xapi would silently cut "
				       "the string short here", why);
			xbc_hint(c, d, "strings are UTF-8 text; tab, \\n and "
				 "\\r are the only control characters allowed");
			return -1;
		}
		i += n;
	}
	return 0;
}

/* Decodes s; self is the let whose value s is, if any: it is marked while
 * decoded, so that a cycle of constants is seen. */
static int decode(struct xbc *c, struct constants *k, struct xbc_str *s,
		  struct xbc_let *self)
{
	struct out o = { 0 };
	struct xbc_piece p;
	const char *r = s->raw;
	size_t i;
	int err, ret = -1;

	if (!r)
		return -1;
	if (!strpbrk(r, "\\$")) {
		/* nothing to decode: most strings, kept as they are */
		if (self)
			self->state = LET_RESOLVING;
		ret = check_xml(c, s, r, strlen(r), NULL);
		if (!ret) {
			s->value = s->raw;
			s->len = strlen(r);
		}
		goto out;
	}
	if (self)
		self->state = LET_RESOLVING;
	if (put(c, &o, "", 0, 0))
		goto out;
	for (i = 0; xbc_str_piece(c, r, &s->loc, i, &p) != XBC_PIECE_END;
	     i += p.len) {
		if (p.kind == XBC_PIECE_ERROR)
			goto out;
		if (p.kind == XBC_PIECE_CONSTANT)
			err = interpolate(c, k, s, &o, i, r + i + 2, p.len - 3);
		else if (p.kind == XBC_PIECE_TEXT)
			err = put(c, &o, r + i, p.len, i);
		else
			err = put(c, &o, (const char *)&p.byte, 1, i);
		if (err)
			goto out;
	}
	if (check_xml(c, s, o.buf, o.len, o.from))
		goto out;
	s->value = o.buf;
	s->len = o.len;
	o.buf = NULL;
	ret = 0;
out:
	if (self)
		self->state = ret ? LET_FAILED : LET_DONE;
	free(o.buf);
	free(o.from);
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
			decode(c, k, &top->let->value, top->let);
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

void xbc_resolve(struct xbc *c)
{
	struct constants k = { 0 };
	struct xbc_block *b;
	struct xbc_stmt *s;
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
	for (b = c->blocks; b && !c->stop; b = b->next) {
		decode(c, &k, &b->selector, NULL);
		if (b->host.raw)
			decode(c, &k, &b->host, NULL);
		for (s = b->stmts; s && !c->stop; s = s->next) {
			if (s->key.raw)
				decode(c, &k, &s->key, NULL);
			if (s->value.raw)
				decode(c, &k, &s->value, NULL);
		}
	}
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
