/* SPDX-License-Identifier: MIT */
/* compiler.h - xenbakec's pipeline and the state of one compilation.
 *
 *   parse (grammar/)            source files -> blocks, statements, lets
 *   resolve (resolve.c)         strings: escapes, ${constants}, UTF-8
 *   lower (lower.c)             statements -> objects and fields, checked
 *                               against the table of named checks
 *   emit (emit.c)               objects -> blob bytes (lib/blob.h)
 *
 *   fmt (grammar/fmt.c)         --fmt: a source in canonical layout
 *
 * A plain block (plain strings, no use, no file or secret value, not in
 * a for; most of a big generated source) is lowered as soon as it is
 * parsed, and its nodes reused for the next one (xbc_lower_parsed):
 * only when that finds nothing to report, so that diagnostics are found
 * in the same order as when it is lowered after resolve. Entries keep
 * statement order (seq) and objects the order of their first block
 * across both paths: a block parsed before the first for or use takes
 * its seq and order when parsed, lowered then or not.
 *
 * grammar/ includes this header; nothing here includes grammar/.
 * Everything lives in one struct xbc, freed by xbc_free(): no globals. */
#ifndef XENBAKE_COMPILER_H
#define XENBAKE_COMPILER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "lib/model.h"
#include "lib/utf8.h"

/* ---- the arena (arena.c) ------------------------------------------------ */

/* The tree's nodes and strings: allocated in chunks, freed together by
 * xbc_free (never one by one). */
struct xbc_chunk;
struct xbc_arena {
	struct xbc_chunk *chunks;    /* newest first */
	char *start;                 /* the current chunk's first byte */
	char *next, *end;            /* free bytes of the current chunk */
	size_t chunk_size;           /* of the next chunk */
};

void *xbc_arena_alloc(struct xbc_arena *a, size_t size);
void xbc_arena_free(struct xbc_arena *a);
/* Everything a handed out is gone, its memory kept for what comes next:
 * the current chunk stays (zeroed again where it was used), the others
 * are freed. */
void xbc_arena_reset(struct xbc_arena *a);
/* A hint that the memory at p (malloc'd, len bytes) be backed by huge
 * pages where the system allows them: a big block filled at once, or
 * read at random, then costs one page fault and one TLB entry a 2 MB
 * instead of a 4 kB. Small blocks and failures change nothing. */
void xbc_huge_pages(void *p, size_t len);

/* ---- locations ------------------------------------------------------- */

/* Where something starts in a source; file is an interned name (struct
 * xbc_file.name), so two locations in one file compare equal by pointer.
 * The tree keeps a start only, 16 bytes: a million statements hold three
 * each, and no diagnostic shows where a token ends (the parser's ranges
 * are struct xbc_span, grammar/parse.h). */
struct xbc_loc {
	const char *file;
	int first_line, first_column;
};

struct xbc_file {
	char *name;                  /* as shown: relative to the main file's dir */
	char *path;                  /* as opened; NULL for names only (#@) */
	char *text;                  /* contents, NUL-terminated, when held
				        whole (a buffer, or the file --fmt
				        lays out); NULL if not or released */
	size_t len;
	bool on_disk;                /* read from path: its text is not held
				        past parsing, and is read back only if
				        a diagnostic shows a line of it */
	int fd;                      /* on_disk without text: path, open, for
				        the parser to read a piece at a time;
				        -1 once read */
	size_t *lines;               /* offset of each line's start, made when
				        a diagnostic is printed; NULL before */
	size_t nlines;
	struct xbc_file *next;
};

/* ---- checks and diagnostics (diag.c) ----------------------------------- */

enum xbc_check {
	CHECK_SYNTAX,
	CHECK_XENSTORE_DATA_PREFIX,
	CHECK_XENSTORE_KEY,
	CHECK_XENSTORE_PATH_LENGTH,
	CHECK_XENSTORE_VALUE_SIZE,
	CHECK_XML_CHAR,
	CHECK_I18N_KEY,
	CHECK_MISPLACED_STATEMENT,
	CHECK_DUPLICATE_KEY,
	CHECK_MAP_KEY,
	CHECK_MANAGED_KEY,
	CHECK_UNDEFINED_CONSTANT,
	CHECK_INCLUDE,
	CHECK_EXPANSION,
	CHECK_VM_DATA_PREFIX,
	CHECK_UUID,
	CHECK_EMPTY_NAME,
	CHECK_HIDDEN_SR,
	CHECK_TOOLS_SR_RENAME,
	CHECK_UNUSED_CONSTANT,
	/* language version 2: for, template/use, file values */
	CHECK_FOR_BODY,
	CHECK_FOR_RANGE,
	CHECK_LOOP_VARIABLE,
	CHECK_TEMPLATE,
	CHECK_TEMPLATE_CYCLE,
	CHECK_UNUSED_TEMPLATE,
	CHECK_FILE,
	CHECK_GLOB_IN_NAME,
	CHECK_MATCH_PATTERN,
	/* language version 2: tags, the pool */
	CHECK_TAG,
	CHECK_POOL_BLOCK,
	/* language version 2: owners */
	CHECK_OWNER,
	/* language version 2: secrets */
	CHECK_SECRET,
	CHECK_COUNT
};

enum xbc_severity { SEV_OFF, SEV_WARNING, SEV_ERROR };

struct xbc_check_info {
	const char *name;
	enum xbc_severity severity;  /* by default */
	bool fixed;                  /* cannot be turned off: the blob could
				        not represent what it rejects */
	const char *what;            /* one line, for --help */
};

extern const struct xbc_check_info xbc_checks[CHECK_COUNT];

#define XBC_MAX_NOTES 3
#define XBC_MAX_ERRORS 20
#define XBC_MAX_WARNINGS 50          /* shown; the others are counted */

struct xbc_diag {
	enum xbc_severity severity;
	enum xbc_check check;
	struct xbc_loc loc;
	char *message;
	char *hint;                  /* "did you mean ...", or NULL */
	int nnotes;
	struct xbc_loc note_loc[XBC_MAX_NOTES];
	char *note[XBC_MAX_NOTES];
};

/* ---- the tree the parser builds (ast.c) -------------------------------- */

/* A string as written between its quotes, escapes and ${} undecoded.
 * raw and value are in c->kept; a clone made by a for shares raw.
 * 24 bytes: its position without the file, which is the file of the node
 * holding it (a statement, block, let, include or for), and no length:
 * a value holds no NUL (xml-char refuses it), so strlen is its length. */
struct xbc_str {
	char *raw;
	char *value;                 /* decoded by resolve; NULL until then or
				        when it failed; raw itself when the
				        string has no escape and no $ */
	int line, column;            /* of the opening quote */
};

/* Where s's opening quote is, in file: the holder's loc.file */
static inline struct xbc_loc xbc_str_at(const struct xbc_str *s,
					const char *file)
{
	struct xbc_loc loc = { file, s->line, s->column };

	return loc;
}

/* Where holder->field, a string, is, as a pointer for xbc_report and
 * xbc_note (which copy it): valid until the end of the enclosing block */
#define XBC_AT(holder, field) (&(struct xbc_loc){ (holder)->loc.file, \
	(holder)->field.line, (holder)->field.column })

enum xbc_stmt_kind {
	STMT_VM_DATA,
	STMT_XENSTORE_DATA,
	STMT_OTHER_CONFIG,
	STMT_HIDE,
	STMT_NAME_LABEL,
	STMT_I18N_KEY,
	STMT_USE,                    /* use NAME;: key.raw is the name */
	STMT_NAME_DESCRIPTION,
	STMT_TAG,                    /* tag "T": value is the tag */
};

struct xbc_template;
struct xbc_for;

/* One iteration of a for: ${name} = value inside the body (resolve.c) */
struct xbc_env {
	const char *name;            /* borrowed from the for */
	char *value;
	size_t len;
	const struct xbc_for *loop;
	const struct xbc_env *up;    /* the enclosing loop's iteration */
};

struct xbc_stmt {
	enum xbc_stmt_kind kind;
	bool value_is_file;          /* value: file "PATH" (value.raw the path) */
	bool once;                   /* KEY = VALUE once: only while absent */
	bool value_is_secret;        /* secret "PATH": a file value, sealed */
	bool value_is_sealed;        /* sealed "BASE64": sealed already */
	struct xbc_loc loc;          /* of its keyword */
	struct xbc_str key;          /* raw NULL when the statement has none */
	struct xbc_str value;
	union {
		const struct xbc_file *src;  /* where it is written (values) */
		struct xbc_template *tmpl;   /* STMT_USE: found by resolve */
	};
	struct xbc_stmt *next;
};

/* How a block names its objects: a name, `uuid "..."`, `match "GLOB"`,
 * `tag "TAG"` (in the order the blob sorts them) */
enum xbc_select { SELECT_NAME, SELECT_UUID, SELECT_MATCH, SELECT_TAG };

struct xbc_block {
	enum xb_class cls;
	enum xbc_select how;
	bool optional;
	bool has_use;                /* a use among stmts: only such blocks
				        are walked for uses */
	bool placed;                 /* order and seq_base were set when
				        parsed (see xbc_lower_parsed) */
	uint32_t order;              /* among blocks, as parsed or expanded */
	struct xbc_loc loc;          /* of the class keyword */
	struct xbc_str selector;
	struct xbc_str host;         /* raw NULL: no host */
	long vlan;                   /* pif vlan T: T (any size); -1 none */
	struct xbc_loc vlan_loc;
	struct xbc_stmt *stmts, **stmt_tail;
	struct xbc_for *loop;        /* not NULL: no block but a for, expanded
				        in its place by resolve */
	const struct xbc_env *env;   /* the iteration it was expanded in */
	size_t seq_base;             /* its statements' first seq, if placed */
	struct xbc_block *next;
};

/* for VAR in A..B { body } or for VAR in "s", ... { body } */
struct xbc_for {
	char *var;
	struct xbc_loc loc;          /* of the for keyword */
	struct xbc_loc var_loc;
	bool is_range;
	unsigned long lo, hi;        /* a range */
	int width;                   /* of the first bound as written */
	struct xbc_str *items;       /* a list */
	size_t nitems, items_cap;
	struct xbc_block *body, **body_tail;   /* blocks and fors */
	struct xbc_block **saved_tail;         /* while parsed */
	struct xbc_for *up;                    /* while parsed */
	bool checked;                /* the variable's name, once */
};

/* template NAME { statements } */
struct xbc_template {
	char *name;
	struct xbc_loc loc;          /* of the name */
	struct xbc_block body;       /* stmts only */
	enum { TMPL_NEW, TMPL_VISITING, TMPL_OK, TMPL_CYCLE } state;
	bool used;
	size_t size;                 /* statements one use of it makes,
	                              * saturated at SIZE_MAX; set by resolve */
	struct xbc_block *outer;     /* while parsed: the block it is in */
	struct xbc_template *next;
};

struct xbc_let {
	char *name;
	struct xbc_loc loc;          /* of the name */
	struct xbc_str value;
	enum { LET_UNRESOLVED, LET_RESOLVING, LET_DONE, LET_FAILED } state;
	bool used;
	struct xbc_let *next;
};

struct xbc_include {
	struct xbc_str path;
	struct xbc_loc loc;          /* of the include keyword */
	struct xbc_include *next;
};

/* ---- lowered objects (lower.c), what emit writes ----------------------- */

/* 32 bytes: a million of them is what a million statements cost. */
struct xbc_entry {
	uint32_t key;                /* numbered in c->keys: xbc_entry_key */
	uint32_t file;               /* numbered in c->entry_files: the
				        statement's place is a copy (with
				        line and column), so that the tree's
				        nodes can go before the emit;
				        xbc_entry_loc */
	const char *value;
	int line, column;
	uint32_t seq;                /* statement order, to sort stably;
				        its context in c->ctx_runs */
	unsigned field : 8;          /* enum xb_field */
	bool once : 1;               /* XB_ENTRY_ONCE */
	bool secret : 1;             /* XB_ENTRY_SECRET: value is sealed */
	bool shares_place : 1;       /* made at another entry's place (the
				        name an i18n-key derives): emit gives
				        it that entry's position */
	unsigned depth : 21;         /* 0: written in the block; n: from a
				        template used n uses deep, which one
				        written nearer the block overrides */
};

/* The most entries and the deepest use an entry can record: more
 * stops the compile as out of memory (XBC_MAX_EXPANDED keeps uses far
 * below the depth; the blob could not hold that many entries). */
#define XBC_MAX_ENTRIES UINT32_MAX
#define XBC_MAX_DEPTH ((1u << 21) - 1)

/* Where an entry came from, for the notes of a duplicate-key */
struct xbc_entry_ctx {
	const struct xbc_env *env;
	const struct xbc_stmt *use;  /* the use that brought it, or NULL */
};

/* The entries of seqs first .. first + n - 1 share one context: kept
 * beside the entries, and only once a for or a template made some, so
 * that a source without them pays nothing for it. A block a for makes
 * is one run, not one a statement. */
struct xbc_ctx_run {
	uint32_t first, n;
	struct xbc_entry_ctx ctx;
};

struct xbc_object {
	enum xb_class cls;
	enum xbc_select how;
	bool optional;
	bool shares_places;          /* an entry has shares_place */
	uint32_t order;              /* of the first block selecting it */
	const char *selector;
	const char *host;            /* "" for none */
	int32_t vlan;                /* -1: none (a physical PIF) */
	uint32_t file;               /* its first block's place, as an
				        entry's: xbc_object_loc */
	int line, column;
	uint32_t nentries, cap;      /* at most XBC_MAX_ENTRIES */
	struct xbc_entry *entries;
};

/* A slot of the objects' index (lower.c): 32 bits of its object's
 * select hash, which also place it, and the object's number */
struct xbc_object_slot {
	uint32_t hash;
	uint32_t id;                 /* in c->objects, + 1; 0: empty */
};
/* The 32 bits of a selector's hash that the index keeps (host: "" for
 * none; vlan: -1 for none) */
uint32_t xbc_select_hash(enum xb_class cls, enum xbc_select how,
			 const char *selector, const char *host, long vlan);

/* ---- one compilation ----------------------------------------------------- */

struct xbc_options {
	const char **include_dirs;   /* -I, in order */
	size_t ninclude_dirs;
	enum xbc_severity severity[CHECK_COUNT];
	bool no_includes;            /* read the main file only, and keep
				        its tree whole (--fmt reads it) */
	/* bounds, lower for fuzzing */
	size_t max_expanded;         /* XBC_MAX_EXPANDED */
	size_t max_constant_bytes;   /* XBC_MAX_CONSTANT_BYTES */
	/* the keys secrets are sealed to (--seal-to, lib/seal.h) */
	const unsigned char (*seal_to)[32];
	size_t nseal_to;
};

#define XBC_KEY_CACHE 64

/* Numbers for strings, 0, 1, ... in order of first use (names.c): by
 * text, or by address (by_address, set before the first). The strings
 * are borrowed, and must neither change nor go while the table lives:
 * a string asked again at its address is answered by the address. */
#define XBC_NAMES_RECENT 16

struct xbc_names {
	const char **v;              /* string i, borrowed */
	uint32_t *slots;             /* i + 1 by hash; 0: empty */
	size_t n, size;
	bool by_address;
	struct {                     /* strings numbered lately, by address */
		const char *s;
		uint32_t number;
	} recent[XBC_NAMES_RECENT];
};

/* s's number, given on first use; -1: out of memory */
int64_t xbc_names_number(struct xbc_names *t, const char *s);
void xbc_names_free(struct xbc_names *t);
/* FNV-1a of s's bytes, going on from h (0xcbf29ce484222325 to start),
 * then an end marker, so that strings hashed one after another (a
 * selector, then a host) hash apart from their concatenation */
uint64_t xbc_hash_text(uint64_t h, const char *s);

struct xbc {
	struct xbc_options opt;
	struct xbc_arena arena;      /* the tree's nodes: freed after
				        lowering (xbc_release_tree) */
	struct xbc_arena kept;       /* what the emit reads: token texts,
				        decoded strings, lowered objects,
				        their entries and keys */
	struct xbc_arena scratch;    /* a block a for made, from its clone
				        until it is lowered (reset then) */
	char *main_dir;              /* directory of the main file */

	struct xbc_file *files;
	struct xbc_file *main_file;  /* on files too; NULL until parsed */
	struct xbc_block *blocks, **block_tail;
	struct xbc_block *cur_block; /* while its statements are parsed */
	struct xbc_let *lets, **let_tail;
	struct xbc_include *includes, **include_tail;   /* of the file parsed */
	struct xbc_for *cur_for;     /* innermost for being parsed */
	struct xbc_for *pending_for; /* its head being parsed */
	struct xbc_stmt *last_stmt;  /* the statement built last */
	/* lowering blocks as parsed (xbc_lower_parsed) */
	struct xbc_block **open_link;        /* where the open block of the
				        top-level list is linked; NULL: none */
	bool in_order;               /* a for, a use, or a template in a
				        block was parsed: every block from
				        here is lowered after resolve */
	bool probing;                /* xbc_report records nothing ... */
	bool probe_failed;           /* ... but says it would have */
	struct xbc_stmt *spare_stmts;        /* nodes of lowered blocks, */
	struct xbc_block *spare_block;       /* reused by the parser */
	size_t norder;               /* the next block's order (a uint32_t:
				        more blocks stop as out of memory) */
	struct xbc_template *templates, **template_tail;
	char *owner;                 /* owner "NAME", NULL: none (the owner
				        default); a valid name (model.h) */
	struct xbc_loc owner_loc;
	const struct xbc_file *cur_file;     /* being parsed */
	size_t expanded;             /* blocks and statements made by for
	                              * and use */
	/* context for diagnostics: a note names the iteration and the use */
	const struct xbc_env *cur_env;
	const struct xbc_stmt *cur_use;
	int cur_depth;               /* of uses, while lowering */
	struct xbc_loc first_pool;   /* the first pool block lowered;
				        file NULL: none yet */

	struct xbc_diag *diags;
	size_t ndiags, diags_cap;
	int nerrors, nwarnings;
	bool stop;                   /* too many errors: wind down */
	bool out_of_memory;
	bool read_failed;            /* a source failed partway through its
				        reading: said on stderr, an I/O
				        error (exit 2), not the source's */

	struct xbc_object **objects; /* sorted, after lowering */
	size_t nobjects, objects_cap;
	struct xbc_object_slot *object_index;   /* by selector, while
				        lowering: open addressing */
	size_t index_size;           /* slots, a power of two */
	size_t seq;
	struct xbc_ctx_run *ctx_runs;        /* in the order made; NULL:
				        none needed (lower.c: ctx_of) */
	size_t nctx_runs, ctx_runs_cap;
	bool positions_shared;       /* a "#@" line: emit must dedupe
				        positions (so must a for or a use,
				        see expanded; an entry made at
				        another's place is marked instead,
				        shares_place) */
	const char *vm_data_keys[XBC_KEY_CACHE];   /* lower.c: "vm-data/K"
				        made last for each hash of K */
	struct xbc_names keys;       /* of the entries, by text */
	struct xbc_names entry_files;        /* of the objects and entries,
				        by address */
};

static inline const char *xbc_entry_key(const struct xbc *c,
					const struct xbc_entry *e)
{
	return c->keys.v[e->key];
}

static inline struct xbc_loc xbc_entry_loc(const struct xbc *c,
					   const struct xbc_entry *e)
{
	return (struct xbc_loc){ c->entry_files.v[e->file], e->line, e->column };
}

static inline struct xbc_loc xbc_object_loc(const struct xbc *c,
					    const struct xbc_object *o)
{
	return (struct xbc_loc){ c->entry_files.v[o->file], o->line, o->column };
}

/* The largest number a for counts to, and how many blocks and statements
 * all fors and uses of templates may make together: a for over tens of
 * millions, or templates that each use the next twice, are an error, not
 * an exhausted memory. A million VMs of ten keys each (11 million) fit:
 * a for's blocks are made one at a time, and what they leave, their
 * entries, costs what the same VMs written out cost, under 1 GB. */
#define XBC_MAX_FOR_VALUE 999999999999UL
#define XBC_MAX_EXPANDED (12UL * 1000 * 1000)
/* What every ${} of a compilation may expand to together */
#define XBC_MAX_CONSTANT_BYTES (256UL << 20)

void xbc_init(struct xbc *c);
/* Frees a list of blocks, fors among them */
void xbc_blocks_free(struct xbc_block *b);
/* Frees the tree (blocks, statements, lets, templates, ...) once it is
 * lowered: the emit reads the objects and the strings only, and the tree
 * is most of the memory at its peak. The diagnostics stay. */
void xbc_release_tree(struct xbc *c);
void xbc_free(struct xbc *c);
/* Sets the default severity of every check; options may change them. */
void xbc_options_default(struct xbc_options *opt);
/* -W arguments: "CHECK", "no-CHECK", "error", "error=CHECK". 0, or -1 with
 * a message in *why (static). */
int xbc_option_w(struct xbc_options *opt, const char *arg, const char **why);

/* Reports a finding of check (nothing if the check is off). Returns the
 * diagnostic, to add notes or a hint, or NULL. */
struct xbc_diag *xbc_report(struct xbc *c, enum xbc_check check,
			    const struct xbc_loc *loc, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
void xbc_note(struct xbc *c, struct xbc_diag *d, const struct xbc_loc *loc,
	      const char *fmt, ...) __attribute__((format(printf, 4, 5)));
void xbc_hint(struct xbc *c, struct xbc_diag *d, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
bool xbc_check_on(const struct xbc *c, enum xbc_check check);
/* Frees the text of every source read from disk: past parsing only a
 * diagnostic needs it, and reads the line back then (as gcc does), so the
 * tree and the blob's tables do not share the peak with the source. */
void xbc_release_sources(struct xbc *c);
/* Prints every diagnostic to out: text (with source line and caret) or
 * one JSON array. */
void xbc_print_diags(const struct xbc *c, bool json, bool color, FILE *out);
/* The nearest of words[0..n) to word, if near enough; else NULL. */
const char *xbc_nearest(const char *word, const char *const *words, size_t n);

/* malloc that records failure in c (checked once, at the end of a stage) */
void *xbc_alloc(struct xbc *c, size_t size);
char *xbc_strdup(struct xbc *c, const char *s);
/* The same in c's arenas (zeroed; a NUL-terminated copy): never freed
 * alone. xbc_new's nodes are the tree's, gone at xbc_release_tree;
 * strings and xbc_new_kept's blocks stay until xbc_free; xbc_new_scratch's
 * until the block they belong to is lowered. */
void *xbc_new(struct xbc *c, size_t size);
void *xbc_new_kept(struct xbc *c, size_t size);
void *xbc_new_scratch(struct xbc *c, size_t size);   /* in c->scratch */
char *xbc_arena_strndup(struct xbc *c, const char *s, size_t len);

/* ---- string literals (strlit.c) ---------------------------------------- */

/* The location of byte off of a string's raw text, whose opening quote is
 * at quote (strings are one line). */
struct xbc_loc xbc_str_loc(const struct xbc_loc *quote, size_t off);

enum xbc_piece_kind {
	XBC_PIECE_END,               /* raw's NUL */
	XBC_PIECE_TEXT,              /* bytes that stand for themselves: no
				        '\\' and no '$' */
	XBC_PIECE_BYTE,              /* an escape, or $$ */
	XBC_PIECE_CONSTANT,          /* ${name}: name at off + 2, len - 3 long */
	XBC_PIECE_ERROR,             /* malformed, reported at off */
};

struct xbc_piece {
	enum xbc_piece_kind kind;
	size_t off, len;             /* as written: raw[off..off + len) */
	unsigned char byte;          /* XBC_PIECE_BYTE: the value's byte */
};

/* The piece of raw (a string as written, quote the location of its
 * opening quote) that starts at off, in *p; returns p->kind. The next
 * piece starts at off + p->len. The one reader of escapes, $$ and ${}:
 * resolve and fmt both walk strings with it. */
enum xbc_piece_kind xbc_str_piece(struct xbc *c, const char *raw,
				  const struct xbc_loc *quote, size_t off,
				  struct xbc_piece *p);

/* ---- stages ------------------------------------------------------------ */

/* Parses path (the main file) and everything it includes. -1 when the
 * main file cannot be opened, or a source fails partway through its
 * reading (c->read_failed): said on stderr. */
int xbc_parse_file(struct xbc *c, const char *path);
/* Parses an in-memory buffer as the main file named name (fuzzing, tests);
 * includes are resolved like those of a file in the current directory. */
int xbc_parse_buffer(struct xbc *c, const char *name, const char *text,
		     size_t len);
/* What takes each block resolve has made ready: lowering, one at a time */
typedef void xbc_block_fn(struct xbc *c, const struct xbc_block *b);
/* Resolves constants, templates and files, and hands every block still
 * in c->blocks, decoded, to next, in order. A for's blocks are made one at
 * a time, each gone once next has it (c->scratch): a for of a million
 * iterations never holds more than one of them. */
void xbc_resolve(struct xbc *c, xbc_block_fn *next);
/* glob-in-name on a block's decoded selector (resolve.c) */
void xbc_check_glob(struct xbc *c, const struct xbc_block *b);
/* The parser is done with the block at *c->open_link: lowered now if it
 * is plain and nothing in it is reported (true: its nodes may be reused;
 * the caller unlinks it), else left for xbc_lower_block with its order and
 * seq fixed while no for or use came before it. */
bool xbc_lower_parsed(struct xbc *c);
/* b's statements into the objects (xbc_resolve's next); then, once every
 * block is lowered, the checks of whole objects and their order. */
void xbc_lower_block(struct xbc *c, const struct xbc_block *b);
void xbc_lower_end(struct xbc *c);
/* The blob, in memory (malloc'd). 0, or -1 when out of memory or too big
 * (said on stderr). */
int xbc_emit(struct xbc *c, unsigned char **blob, size_t *len);
/* The blob, written to fd (empty, at its offset 0; named name in
 * messages) and never held whole; fd -1: nowhere, for the errors only
 * (--check). 0, or -1 said why on stderr: out of memory, too big, or a
 * write that failed. */
int xbc_emit_fd(struct xbc *c, int fd, const char *name);

/* Whole pipeline after parsing; true when there is no error. */
bool xbc_compile(struct xbc *c);

/* The main file, parsed without errors (opt.no_includes is enough), in
 * canonical layout (fmt.c): *out malloc'd, *len bytes. 0; -1 when a
 * string has a bad escape (reported) or out of memory (c->out_of_memory). */
int xbc_format(struct xbc *c, char **out, size_t *len);

#endif
