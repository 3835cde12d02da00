/* SPDX-License-Identifier: MIT */
/* ast.c - the builders the grammar's actions call, and the tree's cleanup.
 * Nodes and token texts live in the compilation's arenas (arena.c): a
 * builder that drops a text just forgets it, and the tree is freed at
 * once by xbc_release_tree or xbc_free. */
#include <stdlib.h>
#include <string.h>

#include "grammar/parse.h"

static void take(struct xbc_str *s, struct xbc_tok *tok,
		 const struct xbc_loc *loc)
{
	s->raw = tok ? tok->text : NULL;
	if (s->raw && tok->plain)
		s->value = s->raw;   /* resolve has nothing to do (decode) */
	if (tok)
		tok->text = NULL;
	if (loc) {
		s->line = loc->first_line;
		s->column = loc->first_column;
	}
}

/* let, include, template in a for's body: refused (for-body) */
static bool in_for_body(struct xbc *c, const struct xbc_loc *loc,
			const char *what, const char *fix)
{
	struct xbc_diag *d;

	if (!c->cur_for)
		return false;
	d = xbc_report(c, CHECK_FOR_BODY, loc, "%s inside a for: a for's body "
		       "holds blocks and for only", what);
	xbc_note(c, d, &c->cur_for->loc, "the for starts here");
	xbc_hint(c, d, "%s", fix);
	return true;
}

void xbc_build_let(struct xbc *c, struct xbc_tok *name,
		   const struct xbc_loc *name_loc, struct xbc_tok *value,
		   const struct xbc_loc *value_loc)
{
	struct xbc_let *let;

	if (in_for_body(c, name_loc, "let", "define the constant before the "
			"for; ${VARIABLE} of the for is a constant in its "
			"body"))
		return;
	let = xbc_new(c, sizeof(*let));
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
	struct xbc_include *inc;

	if (in_for_body(c, loc, "include", "include the file before the for"))
		return;
	inc = xbc_new(c, sizeof(*inc));
	if (!inc)
		return;
	take(&inc->path, path, path_loc);
	inc->loc = *loc;
	*c->include_tail = inc;
	c->include_tail = &inc->next;
}

void xbc_build_owner(struct xbc *c, struct xbc_tok *name,
		     const struct xbc_loc *name_loc,
		     const struct xbc_loc *loc)
{
	struct xbc_diag *d;

	if (in_for_body(c, loc, "owner", "name the owner once, at the top "
			"level; it owns every block of the configuration"))
		goto out;
	if (c->owner) {
		d = xbc_report(c, CHECK_OWNER, loc, "a second owner \"%s\": a "
			       "configuration has one owner, \"%s\"",
			       name->text, c->owner);
		xbc_note(c, d, &c->owner_loc, "the first owner is named here");
		xbc_hint(c, d, "remove one; a blob of another owner is "
			 "compiled from its own configuration");
		goto out;
	}
	if (!xb_owner_valid(name->text)) {
		d = xbc_report(c, CHECK_OWNER, name_loc, "owner name \"%s\" is "
			       "not a word of 1 to %d letters, digits, '.', "
			       "'_' or '-'", name->text, XB_OWNER_MAX);
		xbc_hint(c, d, "a name such as \"team-a\": it becomes part of "
			 "a key on every object (%s:NAME)", XB_KEY_MANAGED);
		goto out;
	}
	c->owner_loc = *loc;
	c->owner = name->text;
out:
	name->text = NULL;
}

/* The parser is done with the open block of the top-level list: lowered
 * now, its nodes then kept for the next block, or left in the list */
static void close_block(struct xbc *c)
{
	struct xbc_block *b;
	struct xbc_stmt *s, *next;

	if (!c->open_link)
		return;
	b = *c->open_link;
	if (b && c->block_tail == &b->next && xbc_lower_parsed(c)) {
		*c->open_link = NULL;
		c->block_tail = c->open_link;
		for (s = b->stmts; s; s = next) {
			next = s->next;
			s->next = c->spare_stmts;
			c->spare_stmts = s;
		}
		c->spare_block = b;
	}
	c->open_link = NULL;
}

void xbc_build_block(struct xbc *c, enum xb_class cls,
		     const struct xbc_loc *loc, struct xbc_sel *selector,
		     const struct xbc_loc *selector_loc, struct xbc_sel *host,
		     const struct xbc_loc *host_loc, bool optional)
{
	struct xbc_block *b;

	close_block(c);              /* one left open by a syntax error */
	b = c->spare_block;
	c->spare_block = NULL;
	if (b)
		memset(b, 0, sizeof(*b));
	else
		b = xbc_new(c, sizeof(*b));
	c->cur_block = b;
	if (!b)
		return;
	if (!c->cur_for)
		c->open_link = c->block_tail;
	b->cls = cls;
	b->loc = *loc;
	b->how = selector->how;
	b->optional = optional;
	take(&b->selector, &selector->tok, selector_loc);
	take(&b->host, &host->tok, host_loc);
	b->vlan = -1;
	b->stmt_tail = &b->stmts;
	*c->block_tail = b;
	c->block_tail = &b->next;
}

void xbc_build_pool(struct xbc *c, const struct xbc_loc *loc)
{
	struct xbc_sel none = { .how = SELECT_NAME };
	struct xbc_sel name = { .tok.text = xbc_arena_strndup(c, "", 0),
				.how = SELECT_NAME };

	if (!name.tok.text) {
		c->cur_block = NULL;
		return;
	}
	xbc_build_block(c, XB_CLASS_POOL, loc, &name, loc, &none, loc, false);
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
	tag->text = NULL;
	if (b) {
		b->vlan = v < 0 ? 999999999L : v;
		b->vlan_loc = *loc;
	}
}

/* ---- for ----------------------------------------------------------------- */

/* The for is a block with loop set, in the list where it stands; resolve
 * expands it in place. */
void xbc_build_for(struct xbc *c, const struct xbc_loc *loc,
		   struct xbc_tok *var, const struct xbc_loc *var_loc)
{
	struct xbc_block *b = xbc_new(c, sizeof(*b));
	struct xbc_for *f = b ? xbc_new(c, sizeof(*f)) : NULL;

	/* what the for makes is known after resolve: the blocks after it
	   are lowered then, in order */
	c->in_order = true;
	close_block(c);
	if (!f)
		return;
	f->var = var->text;
	var->text = NULL;
	f->loc = *loc;
	f->var_loc = *var_loc;
	f->body_tail = &f->body;
	b->loc = *loc;
	b->loop = f;
	b->stmt_tail = &b->stmts;
	*c->block_tail = b;
	c->block_tail = &b->next;
	c->pending_for = f;
}

/* "07..40": the bounds, and the first one's width */
void xbc_build_for_range(struct xbc *c, struct xbc_tok *range,
			 const struct xbc_loc *loc)
{
	struct xbc_for *f = c->pending_for;
	const char *p = range->text, *dots = strstr(p, "..");
	unsigned long v[2] = { 0, 0 };
	struct xbc_diag *d;
	int i;

	if (!f || !dots)
		goto out;
	f->is_range = true;
	f->width = (int)(dots - p);
	for (i = 0; i < 2; i++) {
		for (; *p >= '0' && *p <= '9'; p++) {
			if (v[i] > (XBC_MAX_FOR_VALUE - (unsigned long)(*p - '0')) / 10) {
				d = xbc_report(c, CHECK_FOR_RANGE, loc,
					       "a range bound over %lu",
					       XBC_MAX_FOR_VALUE);
				xbc_hint(c, d, "a for counts whole numbers "
					 "from 0 to %lu", XBC_MAX_FOR_VALUE);
				f->is_range = false;   /* expands to nothing */
				goto out;
			}
			v[i] = v[i] * 10 + (unsigned long)(*p - '0');
		}
		p = dots + 2;
	}
	if (f->width > 20) {
		d = xbc_report(c, CHECK_FOR_RANGE, loc, "a range bound written "
			       "with %d digits", f->width);
		xbc_hint(c, d, "zero-padding is the width of the first bound: "
			 "at most 20 digits");
		f->is_range = false;
		goto out;
	}
	if (v[0] > v[1]) {
		d = xbc_report(c, CHECK_FOR_RANGE, loc, "the range %s counts "
			       "down: a for counts up from its first bound",
			       range->text);
		xbc_hint(c, d, "write %.*s..%.*s", (int)strlen(dots + 2),
			 dots + 2, (int)(dots - range->text), range->text);
		f->is_range = false;
		goto out;
	}
	f->lo = v[0];
	f->hi = v[1];
out:
	range->text = NULL;
}

void xbc_build_for_item(struct xbc *c, struct xbc_tok *item,
			const struct xbc_loc *loc)
{
	struct xbc_for *f = c->pending_for;

	if (f && f->nitems == f->items_cap) {
		size_t cap = f->items_cap ? 2 * f->items_cap : 4;
		struct xbc_str *v = realloc(f->items, cap * sizeof(*v));

		if (!v) {
			c->out_of_memory = c->stop = true;
			f = NULL;
		} else {
			f->items = v;
			f->items_cap = cap;
		}
	}
	if (!f) {
		item->text = NULL;
		return;
	}
	memset(&f->items[f->nitems], 0, sizeof(f->items[0]));
	take(&f->items[f->nitems++], item, loc);
}

void xbc_build_for_open(struct xbc *c)
{
	struct xbc_for *f = c->pending_for;

	c->pending_for = NULL;
	if (!f)
		return;
	f->saved_tail = c->block_tail;
	f->up = c->cur_for;
	c->cur_for = f;
	c->block_tail = &f->body;
}

void xbc_build_for_end(struct xbc *c)
{
	struct xbc_for *f = c->cur_for;

	c->cur_block = NULL;
	if (!f)
		return;
	f->body_tail = c->block_tail;
	c->block_tail = f->saved_tail;
	c->cur_for = f->up;
	f->saved_tail = NULL;
	f->up = NULL;
}

void xbc_build_for_close_all(struct xbc *c)
{
	while (c->cur_for)
		xbc_build_for_end(c);
	c->pending_for = NULL;
}

/* ---- template ------------------------------------------------------------ */

void xbc_build_template(struct xbc *c, struct xbc_tok *name,
			const struct xbc_loc *name_loc,
			const struct xbc_loc *loc)
{
	struct xbc_template *t;
	struct xbc_diag *d;

	if (c->cur_block) {
		/* the block gets statements again after the template's end:
		   it and the blocks after it are lowered after resolve */
		c->in_order = true;
		d = xbc_report(c, CHECK_TEMPLATE, loc, "a template inside a "
			       "block: templates are defined at the top level");
		xbc_hint(c, d, "move template %s { ... } out of the block, and "
			 "write use %s; in it", name->text, name->text);
	} else {
		in_for_body(c, loc, "template", "define the template before "
			    "the for, and write use NAME; in the blocks of "
			    "its body");
	}
	t = xbc_new(c, sizeof(*t));
	if (!t) {
		name->text = NULL;
		return;
	}
	t->name = name->text;
	name->text = NULL;
	t->loc = *name_loc;
	t->body.loc = *loc;
	t->body.stmt_tail = &t->body.stmts;
	t->outer = c->cur_block;
	*c->template_tail = t;
	c->template_tail = &t->next;
	c->cur_block = &t->body;
}

void xbc_build_template_end(struct xbc *c)
{
	struct xbc_template *t;

	/* the innermost template open is the last one made */
	for (t = c->templates; t && t->next; t = t->next)
		;
	c->cur_block = t && c->cur_block == &t->body ? t->outer : NULL;
}

void xbc_build_use_outside(struct xbc *c, struct xbc_tok *name,
			   const struct xbc_loc *loc)
{
	struct xbc_diag *d = xbc_report(c, CHECK_TEMPLATE, loc, "use %s; "
		"outside a block: a template's statements go into a block",
		name->text);

	xbc_hint(c, d, "write use %s; inside vm \"NAME\" { ... }", name->text);
	name->text = NULL;
}

void xbc_build_block_end(struct xbc *c)
{
	/* not a template's body, closed by a syntax error's recovery */
	if (c->open_link && *c->open_link == c->cur_block)
		close_block(c);
	c->cur_block = NULL;
}

void xbc_build_file_end(struct xbc *c)
{
	close_block(c);
	c->cur_block = NULL;
}

void xbc_build_stmt(struct xbc *c, enum xbc_stmt_kind kind,
		    const struct xbc_loc *loc, struct xbc_tok *key,
		    const struct xbc_loc *key_loc, struct xbc_tok *value,
		    const struct xbc_loc *value_loc)
{
	struct xbc_block *b = c->cur_block;
	struct xbc_stmt *s;

	if (!b)
		return;
	s = c->spare_stmts;
	if (s) {
		c->spare_stmts = s->next;
		memset(s, 0, sizeof(*s));
	} else if (!(s = xbc_new(c, sizeof(*s)))) {
		return;
	}
	s->kind = kind;
	b->has_use |= kind == STMT_USE;
	s->loc = *loc;
	s->src = c->cur_file;
	take(&s->key, key, key_loc);
	take(&s->value, value, value_loc);
	*b->stmt_tail = s;
	b->stmt_tail = &s->next;
	c->last_stmt = s;
}

void xbc_build_stmt_value(struct xbc *c, enum xbc_stmt_kind kind,
			  const struct xbc_loc *loc, struct xbc_tok *key,
			  const struct xbc_loc *key_loc, struct xbc_val *value,
			  const struct xbc_loc *value_loc, bool once)
{
	c->last_stmt = NULL;
	xbc_build_stmt(c, kind, loc, key, key_loc, &value->tok, value_loc);
	if (c->last_stmt) {
		c->last_stmt->value_is_file = value->is_file;
		c->last_stmt->value_is_secret = value->is_secret;
		c->last_stmt->value_is_sealed = value->is_sealed;
		c->last_stmt->once = once;
	}
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

/* A list of blocks and fors (a for's body holds the same): the nodes
 * are in the arena, a for's list of items is not. */
void xbc_blocks_free(struct xbc_block *b)
{
	for (; b; b = b->next) {
		if (b->loop) {
			xbc_blocks_free(b->loop->body);
			free(b->loop->items);
		}
	}
}

void xbc_release_tree(struct xbc *c)
{
	xbc_blocks_free(c->blocks);
	xbc_arena_free(&c->arena);
	xbc_arena_free(&c->scratch);
	free(c->ctx_runs);           /* loops and uses: the tree's */
	c->ctx_runs = NULL;
	c->nctx_runs = c->ctx_runs_cap = 0;
	c->blocks = c->cur_block = NULL;
	c->block_tail = &c->blocks;
	c->lets = NULL;
	c->let_tail = &c->lets;
	c->includes = NULL;
	c->include_tail = &c->includes;
	c->templates = NULL;
	c->template_tail = &c->templates;
	c->cur_for = c->pending_for = NULL;
	c->last_stmt = NULL;
	c->open_link = NULL;
	c->spare_stmts = NULL;
	c->spare_block = NULL;
	c->cur_env = NULL;
	c->cur_use = NULL;
}

void xbc_init(struct xbc *c)
{
	memset(c, 0, sizeof(*c));
	xbc_options_default(&c->opt);
	c->block_tail = &c->blocks;
	c->let_tail = &c->lets;
	c->include_tail = &c->includes;
	c->template_tail = &c->templates;
	c->entry_files.by_address = true;
}

void xbc_free(struct xbc *c)
{
	size_t i;
	int n;

	xbc_blocks_free(c->blocks);
	c->blocks = NULL;
	/* templates, envs, lets, includes: all in the arena */
	while (c->files) {
		struct xbc_file *f = c->files;

		c->files = f->next;
		free(f->name);
		free(f->path);
		free(f->text);
		free(f->lines);
		free(f);
	}
	free(c->objects);                  /* each and its entries: arena */
	free(c->object_index);
	free(c->ctx_runs);
	xbc_names_free(&c->keys);
	xbc_names_free(&c->entry_files);
	for (i = 0; i < c->ndiags; i++) {
		free(c->diags[i].message);
		free(c->diags[i].hint);
		for (n = 0; n < c->diags[i].nnotes; n++)
			free(c->diags[i].note[n]);
	}
	free(c->diags);
	free(c->main_dir);
	xbc_arena_free(&c->arena);
	xbc_arena_free(&c->kept);
	xbc_arena_free(&c->scratch);
	memset(c, 0, sizeof(*c));
}
