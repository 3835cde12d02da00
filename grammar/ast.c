/* SPDX-License-Identifier: MIT */
/* ast.c - the builders the grammar's actions call, and the tree's cleanup.
 * Builders take ownership of token texts; nodes are linked into struct xbc
 * as they are built, so an error midway leaks nothing. */
#include <stdlib.h>
#include <string.h>

#include "grammar/parse.h"

static void take(struct xbc_str *s, struct xbc_tok *tok,
		 const struct xbc_loc *loc)
{
	s->raw = tok ? tok->text : NULL;
	if (tok)
		tok->text = NULL;
	if (loc)
		s->loc = *loc;
}

void xbc_build_let(struct xbc *c, struct xbc_tok *name,
		   const struct xbc_loc *name_loc, struct xbc_tok *value,
		   const struct xbc_loc *value_loc)
{
	struct xbc_let *let = xbc_alloc(c, sizeof(*let));

	if (!let)
		return;
	let->name = name->text;
	name->text = NULL;
	let->loc = *name_loc;
	take(&let->value, value, value_loc);
	*c->let_tail = let;
	c->let_tail = &let->next;
}

void xbc_build_include(struct xbc *c, struct xbc_tok *path,
		       const struct xbc_loc *path_loc,
		       const struct xbc_loc *loc)
{
	struct xbc_include *inc = xbc_alloc(c, sizeof(*inc));

	if (!inc)
		return;
	take(&inc->path, path, path_loc);
	inc->loc = *loc;
	*c->include_tail = inc;
	c->include_tail = &inc->next;
}

void xbc_build_block(struct xbc *c, enum xb_class cls,
		     const struct xbc_loc *loc, struct xbc_sel *selector,
		     struct xbc_sel *host, bool optional)
{
	struct xbc_block *b = xbc_alloc(c, sizeof(*b));

	c->cur_block = b;
	if (!b)
		return;
	b->cls = cls;
	b->loc = *loc;
	b->by_uuid = selector->by_uuid;
	b->optional = optional;
	take(&b->selector, &selector->tok, &selector->loc);
	take(&b->host, &host->tok, &host->loc);
	b->vlan = -1;
	b->stmt_tail = &b->stmts;
	*c->block_tail = b;
	c->block_tail = &b->next;
}

void xbc_build_vlan(struct xbc *c, struct xbc_tok *tag,
		    const struct xbc_loc *loc)
{
	struct xbc_block *b = c->cur_block;
	const char *t = tag->text;
	long v = -1;

	/* digits only (the scanner's NUMBER); the range is lower's check */
	if (t && t[0] && strspn(t, "0123456789") == strlen(t))
		v = strlen(t) <= 9 ? strtol(t, NULL, 10) : 999999999L;
	free(tag->text);
	tag->text = NULL;
	if (b) {
		b->vlan = v < 0 ? 999999999L : v;
		b->vlan_loc = *loc;
	}
}

void xbc_build_block_end(struct xbc *c)
{
	c->cur_block = NULL;
}

void xbc_build_stmt(struct xbc *c, enum xbc_stmt_kind kind,
		    const struct xbc_loc *loc, struct xbc_tok *key,
		    const struct xbc_loc *key_loc, struct xbc_tok *value,
		    const struct xbc_loc *value_loc)
{
	struct xbc_block *b = c->cur_block;
	struct xbc_stmt *s;

	if (!b || !(s = xbc_alloc(c, sizeof(*s)))) {
		if (key)
			free(key->text);
		if (value)
			free(value->text);
		return;
	}
	s->kind = kind;
	s->loc = *loc;
	take(&s->key, key, key_loc);
	take(&s->value, value, value_loc);
	*b->stmt_tail = s;
	b->stmt_tail = &s->next;
}

void xbc_build_syntax_error(struct xbc *c, const struct xbc_loc *loc,
			    const char *msg)
{
	const char *p = msg;

	/* bison says "syntax error, unexpected X": keep what follows */
	if (!strncmp(p, "syntax error, ", 14))
		p += 14;
	xbc_report(c, CHECK_SYNTAX, loc, "%s", p);
}

static void str_free(struct xbc_str *s)
{
	if (s->value != s->raw)
		free(s->value);
	free(s->raw);
}

void xbc_init(struct xbc *c)
{
	memset(c, 0, sizeof(*c));
	xbc_options_default(&c->opt);
	c->block_tail = &c->blocks;
	c->let_tail = &c->lets;
	c->include_tail = &c->includes;
}

void xbc_free(struct xbc *c)
{
	size_t i;
	int n;

	while (c->blocks) {
		struct xbc_block *b = c->blocks;

		c->blocks = b->next;
		while (b->stmts) {
			struct xbc_stmt *s = b->stmts;

			b->stmts = s->next;
			str_free(&s->key);
			str_free(&s->value);
			free(s);
		}
		str_free(&b->selector);
		str_free(&b->host);
		free(b);
	}
	while (c->lets) {
		struct xbc_let *l = c->lets;

		c->lets = l->next;
		free(l->name);
		str_free(&l->value);
		free(l);
	}
	while (c->includes) {
		struct xbc_include *inc = c->includes;

		c->includes = inc->next;
		str_free(&inc->path);
		free(inc);
	}
	while (c->files) {
		struct xbc_file *f = c->files;

		c->files = f->next;
		free(f->name);
		free(f->path);
		free(f->text);
		free(f->lines);
		free(f);
	}
	for (i = 0; i < c->nobjects; i++) {
		for (size_t e = 0; e < c->objects[i]->nentries; e++)
			free(c->objects[i]->entries[e].key_buf);
		free(c->objects[i]->entries);
		free(c->objects[i]);
	}
	free(c->objects);
	free(c->buckets);
	for (i = 0; i < c->ndiags; i++) {
		free(c->diags[i].message);
		free(c->diags[i].hint);
		for (n = 0; n < c->diags[i].nnotes; n++)
			free(c->diags[i].note[n]);
	}
	free(c->diags);
	free(c->main_dir);
	memset(c, 0, sizeof(*c));
}
