/* SPDX-License-Identifier: MIT */
/* parse.h - what the scanner and the parser share with the compiler: the
 * scanner's state, the token values, and the builders the grammar's
 * actions call. Only grammar/ and parse.c include it. */
#ifndef XENBAKE_PARSE_H
#define XENBAKE_PARSE_H

#include <stdbool.h>
#include <stddef.h>

#include "compiler/compiler.h"

/* A token's text, malloc'd (freed by the parser's %destructor unless a
 * builder takes it). */
struct xbc_tok {
	char *text;
};

/* A selector: a name, or `uuid "..."` */
struct xbc_sel {
	struct xbc_tok tok;
	bool by_uuid;
	struct xbc_loc loc;
};

/* The scanner's state (flex's extra data). */
struct xbc_scan {
	struct xbc *c;
	const char *file;            /* interned name of the file scanned */
	int line, column;            /* of the next byte */
	bool have_override;          /* a "#@ FILE L:C" line was seen */
	const char *last_name;       /* the text of the last token if it was
				        a name (borrowed: the parser owns it),
				        for "did you mean" on a syntax error */
	struct xbc_loc override;
	/* Set by the formatter: every comment, "#@" lines too (then not
	   obeyed), is passed here, in order with the tokens; NULL: skipped. */
	void (*comment)(struct xbc_scan *s, const char *text, size_t len,
			const struct xbc_loc *loc);
	void *comment_arg;
};

/* Lexer helpers (parse.c) */
void xbc_scan_step(struct xbc_scan *s, struct xbc_loc *loc, const char *text,
		   size_t len);
void xbc_scan_token(struct xbc_scan *s, struct xbc_loc *loc);
void xbc_scan_directive(struct xbc_scan *s, const char *text, size_t len,
			const struct xbc_loc *loc);
char *xbc_scan_text(struct xbc_scan *s, const char *text, size_t len);

/* Builders (ast.c): each takes ownership of the token texts it is given. */
void xbc_build_let(struct xbc *c, struct xbc_tok *name,
		   const struct xbc_loc *name_loc, struct xbc_tok *value,
		   const struct xbc_loc *value_loc);
void xbc_build_include(struct xbc *c, struct xbc_tok *path,
		       const struct xbc_loc *path_loc,
		       const struct xbc_loc *loc);
void xbc_build_block(struct xbc *c, enum xb_class cls,
		     const struct xbc_loc *loc, struct xbc_sel *selector,
		     struct xbc_sel *host, bool optional);
void xbc_build_block_end(struct xbc *c);
void xbc_build_stmt(struct xbc *c, enum xbc_stmt_kind kind,
		    const struct xbc_loc *loc, struct xbc_tok *key,
		    const struct xbc_loc *key_loc, struct xbc_tok *value,
		    const struct xbc_loc *value_loc);
void xbc_build_syntax_error(struct xbc *c, const struct xbc_loc *loc,
			    const char *msg);
/* A syntax error the parser found with the scanner's last token at hand:
 * a misspelt keyword gets a suggestion. scanner is a yyscan_t. */
void xbc_parse_error(struct xbc *c, void *scanner, const struct xbc_loc *loc,
		     const char *msg);

#endif
