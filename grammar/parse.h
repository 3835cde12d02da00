/* SPDX-License-Identifier: MIT */
/* parse.h - what the scanner and the parser share with the parse driver
 * (parse.c) and the builders (ast.c): the scanner's state, the token
 * values, and the builders the grammar's actions call. Only grammar/
 * includes it; the rest of the compiler sees the tree through
 * compiler/compiler.h. */
#ifndef XENBAKE_PARSE_H
#define XENBAKE_PARSE_H

#include <stdbool.h>
#include <stddef.h>

#include "compiler/compiler.h"

/* A token's or a rule's range: bison's location type. The end is for the
 * parser (a missing ';' is said after the token before) and --fmt (blank
 * lines); the tree keeps start only. */
struct xbc_span {
	struct xbc_loc start;
	int last_line, last_column;
};

/* A token's text, in the compilation's strings (struct xbc.kept): a
 * builder keeps the pointer or drops it, never frees it. */
struct xbc_tok {
	char *text;
	bool plain;                  /* a string of printable ASCII without
				        '\\' or '$': its value is its text */
};

/* A selector: a name, `uuid "..."`, `match "GLOB"` or `tag "TAG"`. Its
 * place is the rule's location (the string's), not a member: bison copies
 * a value for every token and rule, so values stay small. */
struct xbc_sel {
	struct xbc_tok tok;
	enum xbc_select how;
};

/* A value: a string, file "PATH", secret "PATH" (is_file too) or
 * sealed "BASE64"; at the rule's location, as a selector */
struct xbc_val {
	struct xbc_tok tok;
	bool is_file;
	bool is_secret, is_sealed;
};

#define XBC_SCAN_RECENT 64
#define XBC_SCAN_SHARE_MAX 32

/* The scanner's state (flex's extra data). */
struct xbc_scan {
	struct xbc *c;
	const char *file;            /* interned name of the file scanned */
	int line;                    /* of the next byte */
	const char *line_start;      /* that line's first byte, in the buffer
				        scanned (tokens are read in place):
				        a column is a difference */
	bool have_override;          /* a "#@ FILE L:C" line was seen */
	const char *last_name;       /* the text of the last token if it was
				        a name (borrowed: the parser owns it),
				        for "did you mean" on a syntax error */
	struct xbc_loc override;
	int depth;                   /* of braces, as scanned */
	unsigned long long loop_braces;   /* bit d: the brace at depth d + 1
				        is a for's, whose body holds items */
	bool in_for_head;            /* between for and its '{' */
	int skip_to;                 /* > 0: skipping to the ';' or '}' that
				        ends the item at depth skip_to - 1 */
	struct xbc_loc open_loc;     /* of the last '{' at depth 0 */
	int last_tok, prev_tok;      /* the last two tokens, 0 before */
	struct xbc_span last_loc, prev_loc;  /* and where they are */
	/* Set by the formatter: every comment, "#@" lines too (then not
	   obeyed), is passed here, in order with the tokens; NULL: skipped. */
	void (*comment)(struct xbc_scan *s, const char *text, size_t len,
			const struct xbc_span *loc);
	void *comment_arg;
	/* the last short plain string copied for each hash, and its length
	   (xbc_scan_string) */
	struct {
		char *text;
		size_t len;
	} recent[XBC_SCAN_RECENT];
	/* the file read a piece at a time (parse.c); NULL: one buffer */
	struct xbc_stream *stream;
};

/* Lexer helpers (parse.c) */
/* Where the token text[0..len) is (YY_USER_ACTION: for every match, so
 * inline and cheap). Only blanks hold newlines (xbc_scan_newlines): a
 * string or a comment ends at the end of its line. */
static inline void xbc_scan_step(struct xbc_scan *s, struct xbc_span *loc,
				 const char *text, size_t len)
{
	int column = (int)(text - s->line_start) + 1;

	loc->start.file = s->file;
	loc->start.first_line = loc->last_line = s->line;
	loc->start.first_column = column;
	loc->last_column = column + (int)len;
}
/* Blanks text[0..len): counts their newlines. */
void xbc_scan_newlines(struct xbc_scan *s, const char *text, size_t len);
/* At the end of a piece of a streamed file: true when the scanner has
 * been given the next one (scanner is flex's yyscan_t) */
bool xbc_scan_next_piece(struct xbc_scan *s, void *scanner);
/* Every token the parser may get: a "#@" line's position, and the last
 * two tokens' places (inline: it runs for every token) */
static inline void xbc_scan_token(struct xbc_scan *s, struct xbc_span *loc)
{
	if (s->have_override) {
		loc->start = s->override;
		s->have_override = false;
	}
	if (!s->skip_to) {
		s->prev_loc = s->last_loc;
		s->last_loc = *loc;
	}
}
/* Called with each token the scanner reads (after xbc_scan_token): false
 * when it is skipped, after an error that skips the rest of an item. */
bool xbc_scan_kind(struct xbc_scan *s, int tok);
/* A word that starts a top-level item, at loc: true (and reported) when
 * it stands where a statement of a block would, so that the block's '}'
 * must be missing; the word is then read again. */
bool xbc_scan_unclosed(struct xbc_scan *s, const struct xbc_span *loc,
		       const char *text);
/* Single quotes, a bare number, ',' or ':': a specific error. */
void xbc_scan_habit(struct xbc_scan *s, const struct xbc_loc *loc,
		    const char *text, size_t len);
void xbc_scan_directive(struct xbc_scan *s, const char *text, size_t len,
			const struct xbc_loc *loc);
char *xbc_scan_text(struct xbc_scan *s, const char *text, size_t len);
/* The same for a plain string (nothing to decode): a short one written
 * before in the file, as the same keys are in every block, is shared
 * (the tree's strings are only read) instead of copied again. */
char *xbc_scan_string(struct xbc_scan *s, const char *text, size_t len);

/* Builders (ast.c): the token texts they are given live in the arena. */
void xbc_build_let(struct xbc *c, struct xbc_tok *name,
		   const struct xbc_loc *name_loc, struct xbc_tok *value,
		   const struct xbc_loc *value_loc);
void xbc_build_include(struct xbc *c, struct xbc_tok *path,
		       const struct xbc_loc *path_loc,
		       const struct xbc_loc *loc);
/* owner "NAME": at most once, not in a for's body */
void xbc_build_owner(struct xbc *c, struct xbc_tok *name,
		     const struct xbc_loc *name_loc,
		     const struct xbc_loc *loc);
void xbc_build_block(struct xbc *c, enum xb_class cls,
		     const struct xbc_loc *loc, struct xbc_sel *selector,
		     const struct xbc_loc *selector_loc, struct xbc_sel *host,
		     const struct xbc_loc *host_loc, bool optional);
/* pool { ... }: the one pool, selected by no name */
void xbc_build_pool(struct xbc *c, const struct xbc_loc *loc);
void xbc_build_block_end(struct xbc *c);
/* The end of a file's text: a block left open is done with */
void xbc_build_file_end(struct xbc *c);
/* `vlan T` of the block just built (T: the scanner's digits). */
void xbc_build_vlan(struct xbc *c, struct xbc_tok *tag,
		    const struct xbc_loc *loc);
void xbc_build_stmt(struct xbc *c, enum xbc_stmt_kind kind,
		    const struct xbc_loc *loc, struct xbc_tok *key,
		    const struct xbc_loc *key_loc, struct xbc_tok *value,
		    const struct xbc_loc *value_loc);
/* A statement with a value that may be file "PATH" */
void xbc_build_stmt_value(struct xbc *c, enum xbc_stmt_kind kind,
			  const struct xbc_loc *loc, struct xbc_tok *key,
			  const struct xbc_loc *key_loc, struct xbc_val *value,
			  const struct xbc_loc *value_loc, bool once);
/* for: the head (the for is put in the list of blocks here, then the
 * range or each item), '{' (what follows goes into its body), '}' */
void xbc_build_for(struct xbc *c, const struct xbc_loc *loc,
		   struct xbc_tok *var, const struct xbc_loc *var_loc);
void xbc_build_for_range(struct xbc *c, struct xbc_tok *range,
			 const struct xbc_loc *loc);
void xbc_build_for_item(struct xbc *c, struct xbc_tok *item,
			const struct xbc_loc *loc);
void xbc_build_for_open(struct xbc *c);
void xbc_build_for_end(struct xbc *c);
/* Closes every for left open (the end of a file with a syntax error) */
void xbc_build_for_close_all(struct xbc *c);
void xbc_build_template(struct xbc *c, struct xbc_tok *name,
			const struct xbc_loc *name_loc,
			const struct xbc_loc *loc);
void xbc_build_template_end(struct xbc *c);
void xbc_build_use_outside(struct xbc *c, struct xbc_tok *name,
			   const struct xbc_loc *loc);
/* true at a place where a top-level item may start: depth 0, or in a
 * for's body */
bool xbc_scan_item_level(const struct xbc_scan *s);
void xbc_build_syntax_error(struct xbc *c, const struct xbc_loc *loc,
			    const char *msg);
/* A syntax error the parser found with the scanner's last token at hand:
 * a misspelt keyword gets a suggestion. scanner is a yyscan_t. */
void xbc_parse_error(struct xbc *c, void *scanner, const struct xbc_span *loc,
		     const char *msg);

#endif
