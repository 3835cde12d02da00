/* SPDX-License-Identifier: MIT */
/* cmd-diff.c - `xenbake diff OLD NEW`: what applying NEW instead of OLD
 * would change in the configuration, object by object and key by key, read
 * from the blobs alone (no host). Positions, comments and layout are not
 * part of it: two blobs with the same configuration identity are the same.
 * A .xb source is compiled first by xenbakec, into a private directory:
 * the host's xenbake does not hold the compiler, a reviewer's machine has
 * both. See cli.h. */
#include <errno.h>
#include <limits.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/hex.h"
#include "lib/identity.h"
#include "runtime/cli.h"

/* One object (ent NULL: its own line, for the optional flag) or one of
 * its entries, from any of the blobs. */
struct item {
	const struct xb_desired_object *obj;
	const struct xb_desired_entry *ent;     /* NULL: the object itself */
};

struct side {
	struct loaded *blobs;
	size_t nblobs;
	struct xb_desired d;
	struct item *items;
	size_t nitems;
	unsigned char identity[XB_IDENTITY_SIZE];
};

static int cmp_obj(const struct xb_desired_object *a,
		   const struct xb_desired_object *b)
{
	int c;

	if (a->cls != b->cls)
		return a->cls < b->cls ? -1 : 1;
	/* by name, then by uuid, then by pattern, as blobs order them */
	if ((a->flags & XB_OBJ_SELECT) != (b->flags & XB_OBJ_SELECT))
		return (a->flags & XB_OBJ_SELECT) > (b->flags & XB_OBJ_SELECT) ?
		       1 : -1;
	c = strcmp(a->selector, b->selector);
	return c ? c : strcmp(a->host, b->host);
}

static int cmp_item(const struct item *a, const struct item *b)
{
	int c = cmp_obj(a->obj, b->obj);

	if (c)
		return c;
	if (!a->ent || !b->ent)
		return !a->ent ? (b->ent ? -1 : 0) : 1;
	if (a->ent->field != b->ent->field)
		return a->ent->field < b->ent->field ? -1 : 1;
	return strcmp(a->ent->key, b->ent->key);
}

static int cmp_item_q(const void *a, const void *b)
{
	return cmp_item(a, b);
}

/* Loads o's blobs from path, with every object and entry as items, sorted;
 * the same object in two blobs counts once. 0, or -1 (printed). */
static int load_side(const struct options *o, const char *path,
		     struct side *s)
{
	struct options one = *o;
	struct xbb *views = NULL;
	size_t i, j, n = 0, k;
	int r = -1;

	one.blob_path = path;
	if (load_blobs(&one, &s->blobs, &s->nblobs))
		return -1;
	views = calloc(s->nblobs + 1, sizeof(*views));
	if (!views)
		goto oom;
	for (i = 0; i < s->nblobs; i++) {
		views[i] = s->blobs[i].blob;
		if (xb_desired_add_blob(&s->d, &s->blobs[i].blob))
			goto oom;
	}
	xb_identity(views, s->nblobs, s->identity);
	for (i = 0; i < s->d.nobjects; i++)
		n += 1 + s->d.objects[i].nentries;
	s->items = calloc(n + 1, sizeof(*s->items));
	if (!s->items)
		goto oom;
	for (i = 0; i < s->d.nobjects; i++) {
		s->items[s->nitems++].obj = &s->d.objects[i];
		for (j = 0; j < s->d.objects[i].nentries; j++) {
			s->items[s->nitems].obj = &s->d.objects[i];
			s->items[s->nitems++].ent = &s->d.objects[i].entries[j];
		}
	}
	qsort(s->items, s->nitems, sizeof(*s->items), cmp_item_q);
	/* one object named by two blobs: its first block stands for it */
	for (i = k = 0; i < s->nitems; i++)
		if (!k || s->items[i].ent || cmp_item(&s->items[k - 1],
						      &s->items[i]))
			s->items[k++] = s->items[i];
	s->nitems = k;
	r = 0;
	goto out;
oom:
	fprintf(stderr, "xenbake: out of memory\n");
out:
	free(views);
	return r;
}

static void free_side(struct side *s)
{
	free(s->items);
	xb_desired_free(&s->d);
	free_blobs(s->blobs, s->nblobs);
}

extern char **environ;

static bool is_source(const char *path)
{
	size_t len = strlen(path);

	return len > 3 && !strcmp(path + len - 3, ".xb");
}

/* Which xenbakec: $XENBAKEC; else the one beside this program (a build
 * tree, or both installed in one directory); else the first on PATH. */
static void find_compiler(char *buf, size_t size)
{
	const char *env = getenv("XENBAKEC");
	ssize_t n;
	char *slash;

	if (env && *env) {
		snprintf(buf, size, "%s", env);
		return;
	}
	n = readlink("/proc/self/exe", buf, size - 1);
	if (n > 0) {
		buf[n] = '\0';
		slash = strrchr(buf, '/');
		if (slash && (size_t)(slash - buf) + sizeof("/xenbakec") <= size) {
			strcpy(slash + 1, "xenbakec");
			if (!access(buf, X_OK))
				return;
		}
	}
	snprintf(buf, size, "xenbakec");
}

/* xenbakec [-I DIR]... -o OUT SRC, its output and diagnostics on stderr
 * (stdout is the diff's, maybe JSON). 0 when it compiled. */
static int compile_source(const struct options *o, const char *src,
			  const char *out)
{
	char compiler[PATH_MAX];
	const char *args[1 + 2 * 16 + 3];
	char *argv[sizeof(args) / sizeof(args[0]) + 1] = { NULL };
	posix_spawn_file_actions_t fa;
	size_t i, n = 0;
	pid_t pid;
	int status, e, r = -1;

	find_compiler(compiler, sizeof(compiler));
	args[n++] = compiler;
	for (i = 0; i < o->ninclude_dirs; i++) {
		args[n++] = "-I";
		args[n++] = o->include_dirs[i];
	}
	args[n++] = "-o";
	args[n++] = out;
	args[n++] = src;
	/* posix_spawn takes char *const[]: copies, not casts */
	for (i = 0; i < n; i++)
		if (!(argv[i] = strdup(args[i])))
			goto oom;
	if (posix_spawn_file_actions_init(&fa))
		goto oom;
	e = posix_spawn_file_actions_adddup2(&fa, STDERR_FILENO, STDOUT_FILENO);
	if (!e)
		e = posix_spawnp(&pid, compiler, &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (e) {
		fprintf(stderr, "xenbake: diff: %s is source, and %s could not be run to compile it: %s (set XENBAKEC, or compile it first)\n",
			src, compiler, strerror(e));
		goto out;
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR) {
			fprintf(stderr, "xenbake: diff: waiting for %s: %s\n",
				compiler, strerror(errno));
			goto out;
		}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		r = 0;
	else
		fprintf(stderr, "xenbake: diff: %s did not compile (%s's diagnostics above)\n",
			src, compiler);
	goto out;
oom:
	fprintf(stderr, "xenbake: out of memory\n");
out:
	for (i = 0; i < n; i++)
		free(argv[i]);
	return r;
}

enum { ADDED, CHANGED, REMOVED };

struct counts {
	size_t objects[3], keys[3];
};

static const char *op_word(int op)
{
	return op == ADDED ? "add" : op == CHANGED ? "change" : "remove";
}

static void put_pos_json(FILE *f, const struct xbb_pos *p)
{
	char buf[XB_POS_BUF];

	put_json_or_null(f, p ? xb_pos_format(p, buf, sizeof(buf)) : NULL);
}

static void put_object_head(FILE *f, const struct options *o, int op,
			    const struct xb_desired_object *ob, bool *first)
{
	if (o->json) {
		fprintf(f, "%s{\"op\":\"%s\",\"class\":\"%s\",\"by_uuid\":%s,\"match\":%s,\"tag\":%s,\"optional\":%s,\"selector\":",
			*first ? "" : "]},", op_word(op),
			xb_class_keyword(ob->cls),
			ob->flags & XB_OBJ_BY_UUID ? "true" : "false",
			ob->flags & XB_OBJ_MATCH ? "true" : "false",
			ob->flags & XB_OBJ_TAG ? "true" : "false",
			ob->flags & XB_OBJ_OPTIONAL ? "true" : "false");
		put_json(f, ob->selector);
		fputs(",\"host\":", f);
		put_json(f, ob->host);
		fputs(",\"changes\":[", f);
	} else {
		char label[XB_POS_BUF];

		fprintf(f, "%c %s%s\n", op == ADDED ? '+' : op == CHANGED ? '~' :
			'-', xb_desired_label(ob, label, sizeof(label)),
			op != CHANGED && ob->flags & XB_OBJ_OPTIONAL ?
			" optional" : "");
	}
	*first = false;
}

/* "xenstore_data[vm-data/role]", "name_label", "(optional)" */
static void put_key_text(FILE *f, const struct item *it)
{
	if (!it->ent)
		fputs("(optional)", f);
	else if (it->ent->field == XB_FIELD_NAME_LABEL ||
		 it->ent->field == XB_FIELD_NAME_DESCRIPTION)
		fputs(xb_field_xapi(it->ent->field), f);   /* no key */
	else
		fprintf(f, "%s[%s]", xb_field_xapi(it->ent->field),
			it->ent->key);
}

static const char *optional_word(const struct item *it)
{
	return it->obj->flags & XB_OBJ_OPTIONAL ? "optional" : "required";
}

/* What a side shows: its value, "(secret)" for a sealed one (another
 * plaintext or other keys: either way a change), or the block's word */
static const char *shown(const struct item *it)
{
	if (!it->ent)
		return optional_word(it);
	return it->ent->flags & XB_ENTRY_SECRET ? XB_SECRET_SHOWN :
	       it->ent->value;
}

/* One key of an object both sides have; old or new NULL when absent. */
static void put_key(FILE *f, const struct options *o, int op,
		    const struct item *old, const struct item *new,
		    bool *first_key)
{
	const struct item *it = new ? new : old;

	if (o->json) {
		fprintf(f, "%s{\"op\":\"%s\",\"field\":", *first_key ? "" : ",",
			op_word(op));
		if (it->ent) {
			fprintf(f, "\"%s\",\"key\":", xb_field_xapi(it->ent->field));
			put_json(f, it->ent->key);
		} else {
			fputs("\"optional\",\"key\":\"\"", f);
		}
		fputs(",\"old\":", f);
		put_json_or_null(f, old ? shown(old) : NULL);
		fputs(",\"new\":", f);
		put_json_or_null(f, new ? shown(new) : NULL);
		fputs(",\"source\":", f);
		put_pos_json(f, new && new->ent ? &new->ent->pos :
			     new ? &new->obj->pos : NULL);
		fputc('}', f);
	} else {
		fprintf(f, "    %c ", op == ADDED ? '+' : op == CHANGED ? '~' :
			'-');
		put_key_text(f, it);
		fputs(": ", f);
		if (old) {
			if (old->ent && (old->ent->flags & XB_ENTRY_SECRET))
				fputs(XB_SECRET_SHOWN, f);
			else
				put_quoted(f, shown(old));
			if (old->ent && (old->ent->flags & XB_ENTRY_ONCE))
				fputs(" once", f);
			if (new)
				fputs(" -> ", f);
		}
		if (new) {
			if (new->ent && (new->ent->flags & XB_ENTRY_SECRET))
				fputs(XB_SECRET_SHOWN, f);
			else
				put_quoted(f, shown(new));
			if (new->ent && (new->ent->flags & XB_ENTRY_ONCE))
				fputs(" once", f);
		}
		if (new) {
			char buf[XB_POS_BUF];

			fprintf(f, "  (%s)", xb_pos_format(new->ent ?
				&new->ent->pos : &new->obj->pos, buf,
				sizeof(buf)));
		}
		fputc('\n', f);
	}
	*first_key = false;
}

/* Walks both sorted lists once, object by object. */
static void walk(FILE *f, const struct options *o, const struct side *a,
		 const struct side *b, struct counts *n)
{
	size_t i = 0, j = 0;
	bool first = true;

	while (i < a->nitems || j < b->nitems) {
		/* the next object, from either side (items[.].ent NULL) */
		const struct xb_desired_object *oa = i < a->nitems ?
			a->items[i].obj : NULL;
		const struct xb_desired_object *ob = j < b->nitems ?
			b->items[j].obj : NULL;
		int c = !oa ? 1 : !ob ? -1 : cmp_obj(oa, ob);
		size_t ei, ej;
		bool head = false, first_key = true;
		int op = c < 0 ? REMOVED : c > 0 ? ADDED : CHANGED;

		/* the object's items on each side: [i, ei), [j, ej) */
		for (ei = i; c <= 0 && ei < a->nitems &&
		     !cmp_obj(a->items[ei].obj, oa); ei++)
			;
		for (ej = j; c >= 0 && ej < b->nitems &&
		     !cmp_obj(b->items[ej].obj, ob); ej++)
			;
		if (c == 0 && (oa->flags & XB_OBJ_OPTIONAL) ==
		    (ob->flags & XB_OBJ_OPTIONAL))
			i++, j++;       /* the object lines are the same */
		while (i < ei || j < ej) {
			int k = i >= ei ? 1 : j >= ej ? -1 :
				cmp_item(&a->items[i], &b->items[j]);
			const struct item *x = k <= 0 ? &a->items[i] : NULL;
			const struct item *y = k >= 0 ? &b->items[j] : NULL;
			int kop = k < 0 ? REMOVED : k > 0 ? ADDED : CHANGED;

			if (k <= 0)
				i++;
			if (k >= 0)
				j++;
			if (x && y && x->ent &&
			    !strcmp(x->ent->value, y->ent->value) &&
			    x->ent->flags == y->ent->flags)
				continue;
			if (x && y && !x->ent && (x->obj->flags &
			    XB_OBJ_OPTIONAL) == (y->obj->flags & XB_OBJ_OPTIONAL))
				continue;
			/* an added or removed object's own line is its
			 * head, not a key */
			if (!(x ? x : y)->ent && op != CHANGED) {
				if (!head)
					put_object_head(f, o, op, (x ? x : y)->obj,
							&first);
				head = true;
				continue;
			}
			if (!head)
				put_object_head(f, o, op, (x ? x : y)->obj,
						&first);
			head = true;
			if ((x ? x : y)->ent)
				n->keys[kop]++;
			put_key(f, o, kop, x, y, &first_key);
		}
		if (head)
			n->objects[op]++;
	}
	if (o->json && !first)
		fputs("]}", f);
}

int cmd_diff(const struct options *o)
{
	struct side a = { 0 }, b = { 0 };
	struct counts n = { 0 };
	const char *paths[2] = { o->blob_path, o->new_path };
	size_t i, total;
	int rc = EXIT_ERROR;
	char ha[2 * XB_IDENTITY_SIZE + 1], hb[2 * XB_IDENTITY_SIZE + 1];
	char *objs_text = NULL;
	size_t objs_len = 0;
	FILE *objs = NULL;
	char tmpdir[PATH_MAX] = "", compiled[2][PATH_MAX + 16] = { "", "" };

	for (i = 0; i < 2; i++) {
		if (!is_source(paths[i]))
			continue;
		if (!*tmpdir) {
			const char *t = getenv("TMPDIR");

			snprintf(tmpdir, sizeof(tmpdir), "%s/xenbake-diff.XXXXXX",
				 t && *t ? t : "/tmp");
			if (!mkdtemp(tmpdir)) {
				fprintf(stderr, "xenbake: diff: a temporary directory in %s: %s\n",
					t && *t ? t : "/tmp", strerror(errno));
				*tmpdir = '\0';
				goto fail;
			}
		}
		snprintf(compiled[i], sizeof(compiled[i]), "%s/%s.xbb", tmpdir,
			 i ? "new" : "old");
		if (compile_source(o, paths[i], compiled[i]))
			goto fail;
	}
	if (load_side(o, *compiled[0] ? compiled[0] : paths[0], &a) ||
	    load_side(o, *compiled[1] ? compiled[1] : paths[1], &b))
		goto fail;
	xb_hex(ha, a.identity, XB_IDENTITY_SIZE);
	xb_hex(hb, b.identity, XB_IDENTITY_SIZE);
	/* JSON: the objects go to a buffer, as the result comes first */
	if (!(objs = open_memstream(&objs_text, &objs_len))) {
		fprintf(stderr, "xenbake: out of memory\n");
		goto fail;
	}
	walk(o->json ? objs : stdout, o, &a, &b, &n);
	if (fclose(objs)) {
		objs = NULL;
		fprintf(stderr, "xenbake: out of memory\n");
		goto fail;
	}
	objs = NULL;
	total = n.objects[ADDED] + n.objects[CHANGED] + n.objects[REMOVED];
	if (o->json) {
		printf("{\"command\":\"diff\",\"result\":\"%s\",\"old\":{\"path\":",
		       total ? "different" : "same");
		put_json(stdout, paths[0]);
		printf(",\"identity\":\"%s\"},\"new\":{\"path\":", ha);
		put_json(stdout, paths[1]);
		printf(",\"identity\":\"%s\"},\"objects\":[", hb);
		fwrite(objs_text, 1, objs_len, stdout);
	}
	if (o->json) {
		printf("],\"errors\":[],\"summary\":{\"objects\":{\"add\":%zu,\"change\":%zu,\"remove\":%zu},\"keys\":{\"add\":%zu,\"change\":%zu,\"remove\":%zu}}}\n",
		       n.objects[ADDED], n.objects[CHANGED], n.objects[REMOVED],
		       n.keys[ADDED], n.keys[CHANGED], n.keys[REMOVED]);
	} else if (!total && !strcmp(ha, hb)) {
		printf("No differences: the same configuration (identity %s).\n",
		       hb);
	} else if (!total) {
		/* the same objects and values, split over the blobs
		 * otherwise */
		printf("No differences in what is applied (identity %s -> %s: the blobs are split differently).\n",
		       ha, hb);
	} else {
		printf("Diff: %zu object%s added, %zu changed, %zu removed; %zu key%s added, %zu changed, %zu removed.\n",
		       n.objects[ADDED], n.objects[ADDED] == 1 ? "" : "s",
		       n.objects[CHANGED], n.objects[REMOVED], n.keys[ADDED],
		       n.keys[ADDED] == 1 ? "" : "s", n.keys[CHANGED],
		       n.keys[REMOVED]);
		printf("Config identity: %s -> %s\n", ha, hb);
	}
	rc = total ? EXIT_PENDING : EXIT_OK;
	goto out;
fail:
	if (o->json) {
		fputs("{\"command\":\"diff\",\"result\":\"error\",\"objects\":[],\"errors\":[\"the blobs could not be compared (see stderr)\"],\"summary\":null}\n",
		      stdout);
	}
out:
	if (objs)
		fclose(objs);
	free(objs_text);
	free_side(&a);
	free_side(&b);
	for (i = 0; i < 2; i++)
		if (*compiled[i])
			unlink(compiled[i]);
	if (*tmpdir)
		rmdir(tmpdir);
	return rc;
}
