/* SPDX-License-Identifier: MIT */
/* parser.y - the grammar of xenbake.xb(5). Thin: every action is one call
 * into a builder (grammar/ast.c). Pure and reentrant: no globals. */
%define api.pure full
%define api.location.type {struct xbc_loc}
%define parse.error verbose
%locations
%expect 0
%param {yyscan_t scanner}
%parse-param {struct xbc *c}

%code requires {
#include <stdbool.h>
#include "grammar/parse.h"
#ifndef YY_TYPEDEF_YY_SCANNER_T
#define YY_TYPEDEF_YY_SCANNER_T
typedef void *yyscan_t;
#endif
/* bison's default, plus the file name */
#define YYLLOC_DEFAULT(cur, rhs, n) do {					\
	if (n) {							\
		(cur).file = YYRHSLOC(rhs, 1).file;			\
		(cur).first_line = YYRHSLOC(rhs, 1).first_line;		\
		(cur).first_column = YYRHSLOC(rhs, 1).first_column;	\
		(cur).last_line = YYRHSLOC(rhs, n).last_line;		\
		(cur).last_column = YYRHSLOC(rhs, n).last_column;	\
	} else {							\
		(cur).file = YYRHSLOC(rhs, 0).file;			\
		(cur).first_line = (cur).last_line = YYRHSLOC(rhs, 0).last_line; \
		(cur).first_column = (cur).last_column = YYRHSLOC(rhs, 0).last_column; \
	}								\
} while (0)
}

%code {
int yylex(YYSTYPE *lval, YYLTYPE *lloc, yyscan_t scanner);

static void yyerror(YYLTYPE *loc, yyscan_t scanner, struct xbc *c,
		    const char *msg)
{
	xbc_parse_error(c, scanner, loc, msg);
}
}

%union {
	struct xbc_tok tok;
	struct xbc_sel sel;
	enum xb_class cls;
	bool flag;
}

%token <tok> STRING "string" IDENT "name"
%token LET "let" INCLUDE "include"
%token VM "vm" SR "sr" NETWORK "network" PIF "pif"
%token UUID "uuid" HOST "host" OPTIONAL "optional"
%token VM_DATA "vm-data" XENSTORE_DATA "xenstore-data"
%token OTHER_CONFIG "other-config" HIDE "hide-from-xencenter"
%token NAME_LABEL "name-label" I18N_KEY "i18n-key"
/* pool-shaped selectors: `pif "D" vlan T` (vlan is a word only there) */
%token VLAN "vlan"
%token <tok> NUMBER "number"

%type <sel> selector host
%type <cls> class
%type <flag> optional
%type <tok> i18n_key
%type <sel> vlan

%destructor { free($$.text); } <tok>
%destructor { free($$.tok.text); } <sel>

%%

file:	  %empty
	| file item
	;

item:	  LET IDENT '=' STRING ';'	{ xbc_build_let(c, &$2, &@2, &$4, &@4); }
	| INCLUDE STRING ';'		{ xbc_build_include(c, &$2, &@2, &@1); }
	| block
	| error ';'			{ yyerrok; }
	| error '}'			{ yyerrok; xbc_build_block_end(c); }
	;

block:	  head '{' stmts '}'		{ xbc_build_block_end(c); }
	| head '{' stmts error '}'	{ yyerrok; xbc_build_block_end(c); }
	;

head:	  class selector host optional	{ xbc_build_block(c, $1, &@1, &$2, &$3, $4); }
	| vlan_head
	;

/* pif "D" vlan T [host "H"] [optional] */
vlan_head: class selector vlan host optional
		{ xbc_build_block(c, $1, &@1, &$2, &$4, $5);
		  xbc_build_vlan(c, &$3.tok, &$3.loc); }
	;

vlan:	  VLAN NUMBER			{ $$ = (struct xbc_sel){ $2, false, @2 }; }
	;

class:	  VM				{ $$ = XB_CLASS_VM; }
	| SR				{ $$ = XB_CLASS_SR; }
	| NETWORK			{ $$ = XB_CLASS_NETWORK; }
	| PIF				{ $$ = XB_CLASS_PIF; }
	;

selector: STRING			{ $$ = (struct xbc_sel){ $1, false, @1 }; }
	| UUID STRING			{ $$ = (struct xbc_sel){ $2, true, @2 }; }
	;

host:	  %empty			{ $$ = (struct xbc_sel){ { NULL }, false, @$ }; }
	| HOST STRING			{ $$ = (struct xbc_sel){ $2, false, @2 }; }
	;

optional: %empty			{ $$ = false; }
	| OPTIONAL			{ $$ = true; }
	;

stmts:	  %empty
	| stmts stmt
	;

stmt:	  VM_DATA STRING '=' STRING ';'
		{ xbc_build_stmt(c, STMT_VM_DATA, &@1, &$2, &@2, &$4, &@4); }
	| XENSTORE_DATA STRING '=' STRING ';'
		{ xbc_build_stmt(c, STMT_XENSTORE_DATA, &@1, &$2, &@2, &$4, &@4); }
	| OTHER_CONFIG STRING '=' STRING ';'
		{ xbc_build_stmt(c, STMT_OTHER_CONFIG, &@1, &$2, &@2, &$4, &@4); }
	| HIDE ';'
		{ xbc_build_stmt(c, STMT_HIDE, &@1, NULL, NULL, NULL, NULL); }
	| NAME_LABEL STRING ';'
		{ xbc_build_stmt(c, STMT_NAME_LABEL, &@1, NULL, NULL, &$2, &@2); }
	| I18N_KEY i18n_key ';'
		{ xbc_build_stmt(c, STMT_I18N_KEY, &@1, NULL, NULL, &$2, &@2); }
	| error ';'			{ yyerrok; }
	;

i18n_key: IDENT
	| STRING
	;
