/* SPDX-License-Identifier: MIT */
/* hint.c - plan-time errors as helpful as the compiler's: the source line
 * with a caret, and for a name that selects nothing the nearest name the
 * host really has (another case, a trailing space, a slip of a letter or
 * two) instead of the advice to mark the block optional, which would hide
 * the typo. See cli.h. */
#include <ctype.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/errmsg.h"
#include "runtime/cli.h"

#define OPTIONAL_ADVICE " (mark the block optional to skip it when absent)"

/* Edit distance, with a cap: beyond it, the exact value does not matter. */
static size_t distance(const char *a, const char *b, size_t cap)
{
	size_t la = strlen(a), lb = strlen(b), i, j, best;
	size_t *row, d = cap + 1;

	if ((la > lb ? la - lb : lb - la) > cap || lb > 4096)
		return cap + 1;
	row = malloc((lb + 1) * sizeof(*row));
	if (!row)
		return cap + 1;
	for (j = 0; j <= lb; j++)
		row[j] = j;
	for (i = 1; i <= la; i++) {
		size_t diag = row[0];

		row[0] = i;
		best = row[0];
		for (j = 1; j <= lb; j++) {
			size_t up = row[j], v;

			v = diag + (tolower((unsigned char)a[i - 1]) !=
				    tolower((unsigned char)b[j - 1]));
			if (up + 1 < v)
				v = up + 1;
			if (row[j - 1] + 1 < v)
				v = row[j - 1] + 1;
			diag = up;
			row[j] = v;
			if (v < best)
				best = v;
		}
		if (best > cap)
			goto out;
	}
	d = row[lb];
out:
	free(row);
	return d;
}

/* Equal but for case and the spaces around it. */
static bool nearly_equal(const char *a, const char *b)
{
	size_t la, lb;

	while (isspace((unsigned char)*a))
		a++;
	while (isspace((unsigned char)*b))
		b++;
	la = strlen(a);
	lb = strlen(b);
	while (la && isspace((unsigned char)a[la - 1]))
		la--;
	while (lb && isspace((unsigned char)b[lb - 1]))
		lb--;
	return la == lb && !strncasecmp(a, b, la);
}

/* The name the host has that want most likely meant; NULL: none near. */
static const char *nearest_name(const struct xb_actual *a,
				const struct xb_desired_object *d)
{
	const char *best = NULL;
	size_t best_d = strlen(d->selector) / 3 + 1, i;

	if (best_d > 3)
		best_d = 3;
	for (i = 0; i < a->nobjects; i++) {
		const struct xb_object *ob = &a->objects[i];
		const char *name = ob->cls == XB_CLASS_PIF ? ob->device :
				   ob->name_label;
		size_t dd;

		if (ob->cls != d->cls || !name || (ob->cls == XB_CLASS_VM &&
		    (ob->is_template || ob->is_control_domain)))
			continue;
		if (nearly_equal(name, d->selector))
			return name;
		dd = distance(name, d->selector, best_d);
		if (dd < best_d || (dd == best_d && !best && dd <= 2)) {
			best = name;
			best_d = dd;
		}
	}
	for (i = 0; d->cls == XB_CLASS_VM && !a->have_xapi &&
		    i < a->nguests; i++) {
		const char *name = a->guests[i].name;

		if (!name || !*name)
			continue;
		if (nearly_equal(name, d->selector))
			return name;
		if (distance(name, d->selector, best_d) < best_d ||
		    (!best && distance(name, d->selector, 2) <= 2))
			best = name;
	}
	return best;
}

/* The desired object whose block error e is about: e starts with its
 * position. */
static const struct xb_desired_object *
error_object(const struct xb_desired *d, const char *e)
{
	char pos[XB_POS_BUF];
	size_t i, n;

	for (i = 0; i < d->nobjects; i++) {
		xb_pos_format(&d->objects[i].pos, pos, sizeof(pos));
		n = strlen(pos);
		if (!strncmp(e, pos, n) && e[n] == ':')
			return &d->objects[i];
	}
	return NULL;
}

void improve_plan_errors(struct session *s)
{
	size_t i;

	for (i = 0; i < s->plan.nerrors; i++) {
		const struct xb_desired_object *d =
			error_object(&s->desired, s->plan.errors[i]);
		const char *near, *advice;
		char *better;
		size_t keep;

		if (!d || (d->flags & XB_OBJ_SELECT) ||
		    !(strstr(s->plan.errors[i], ": no ") ||
		      strstr(s->plan.errors[i], ": no running guest")))
			continue;
		near = nearest_name(&s->actual, d);
		if (!near || !strcmp(near, d->selector))
			continue;
		/* a near name: the advice to mark the block optional
		 * would hide the typo */
		advice = strstr(s->plan.errors[i], OPTIONAL_ADVICE);
		keep = advice ? (size_t)(advice - s->plan.errors[i]) :
			strlen(s->plan.errors[i]);
		better = xb_strf("%.*s; did you mean \"%s\"?", (int)keep,
				 s->plan.errors[i], near);
		if (better) {
			free(s->plan.errors[i]);
			s->plan.errors[i] = better;
		}
	}
}

/* FILE as the blob names it: relative to the entry source's folder, which
 * is where the blob usually is, else to the current directory. */
static FILE *open_source(const char *file, const char *blob_path)
{
	char *copy = strdup(blob_path), *path = NULL;
	FILE *f = NULL;

	if (file[0] != '/' && copy) {
		path = xb_strf("%s/%s", dirname(copy), file);
		if (path)
			f = fopen(path, "r");
	}
	if (!f)
		f = fopen(file, "r");
	free(path);
	free(copy);
	return f;
}

void print_source_excerpt(FILE *out, const struct session *s, const char *e,
			  const char *blob_path)
{
	const struct xb_desired_object *d = error_object(&s->desired, e);
	char line[4096];
	unsigned n = 0, col;
	FILE *f;
	size_t i;

	if (!d)
		return;
	f = open_source(d->pos.file, blob_path);
	if (!f) {
		fprintf(out, "  (the source %s is not here: see %s:%u:%u)\n",
			d->pos.file, d->pos.file, d->pos.line, d->pos.column);
		return;
	}
	while (fgets(line, sizeof(line), f) && ++n < d->pos.line)
		;
	fclose(f);
	if (n != d->pos.line) {
		fprintf(out, "  (%s has no line %u: it changed since it was compiled)\n",
			d->pos.file, d->pos.line);
		return;
	}
	line[strcspn(line, "\n")] = '\0';
	/* the line as it is, but never a control byte to the terminal */
	fputs("    ", out);
	for (i = 0; line[i]; i++)
		fputc((unsigned char)line[i] < 0x20 && line[i] != '\t' ?
		      '?' : line[i] == 0x7f ? '?' : line[i], out);
	fputs("\n    ", out);
	for (col = 1; col < d->pos.column && line[col - 1]; col++)
		fputc(line[col - 1] == '\t' ? '\t' : ' ', out);
	fputs("^\n", out);
}
