/* SPDX-License-Identifier: MIT */
/* parser.y - the grammar of xenbake.xb(5). Thin: every action is one call
 * into a builder (grammar/ast.c). Pure and reentrant: no globals. */
%define api.pure full
%define api.location.type {struct xbc_span}
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
		(cur).start = YYRHSLOC(rhs, 1).start;			\
		(cur).last_line = YYRHSLOC(rhs, n).last_line;		\
		(cur).last_column = YYRHSLOC(rhs, n).last_column;	\
	} else {							\
		(cur).start.file = YYRHSLOC(rhs, 0).start.file;		\
		(cur).start.first_line = (cur).last_line = YYRHSLOC(rhs, 0).last_line; \
		(cur).start.first_column = (cur).last_column = YYRHSLOC(rhs, 0).last_column; \
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
	struct xbc_val val;
}

%token <tok> STRING "string" IDENT "name"
%token LET "let" INCLUDE "include"
%token VM "vm" SR "sr" NETWORK "network" PIF "pif"
%token UUID "uuid" HOST "host" OPTIONAL "optional" MATCH "match"
%token VM_DATA "vm-data" XENSTORE_DATA "xenstore-data"
%token OTHER_CONFIG "other-config" HIDE "hide-from-xencenter"
%token NAME_LABEL "name-label" I18N_KEY "i18n-key"
/* language version 2: hosts, the pool, descriptions, VM tags */
%token POOL "pool" NAME_DESCRIPTION "name-description" TAG "tag"
/* pool-shaped selectors: `pif "D" vlan T` (vlan is a word only there) */
%token VLAN "vlan"
%token <tok> NUMBER "number"
%token FOR "for" IN "in" TEMPLATE "template" USE "use" FILE_KW "file"
%token <tok> RANGE "range"
/* a key written only while absent (a word only after a value) */
%token ONCE "once"
/* secret values (words only after '=') */
%token SECRET_KW "secret" SEALED_KW "sealed"
%token OWNER "owner"

%type <sel> selector host
%type <cls> class
%type <flag> optional once
%type <tok> i18n_key
%type <tok> vlan
%type <val> value

/* token texts live in the compilation's arena: nothing to free */

%%

file:	  %empty
	| file item
	;

item:	  common_item
	| error ';'			{ yyerrok; }
	| error '}'			{ yyerrok; xbc_build_block_end(c); }
	;

/* what may stand at the top level and in a for's body; the builders
 * report what the body refuses (for-body) and a use out of a block */
common_item:
	  LET IDENT '=' STRING ';'	{ xbc_build_let(c, &$2, &@2.start, &$4, &@4.start); }
	| INCLUDE STRING ';'		{ xbc_build_include(c, &$2, &@2.start, &@1.start); }
	| block
	| for_loop
	| template_def
	| USE IDENT ';'			{ xbc_build_use_outside(c, &$2, &@1.start); }
	| OWNER STRING ';'		{ xbc_build_owner(c, &$2, &@2.start, &@1.start); }
	;

/* ---- language version 2: for, template ---- */

for_loop: for_open for_body '}'	{ xbc_build_for_end(c); }
	| for_open for_body error '}'	{ yyerrok; xbc_build_for_end(c); }
	;

for_open: for_head '{'			{ xbc_build_for_open(c); }
	;

for_head: for_start IN RANGE		{ xbc_build_for_range(c, &$3, &@3.start); }
	| for_start IN for_list
	;

for_start: FOR IDENT			{ xbc_build_for(c, &@1.start, &$2, &@2.start); }
	;

for_list: STRING			{ xbc_build_for_item(c, &$1, &@1.start); }
	| for_list ',' STRING		{ xbc_build_for_item(c, &$3, &@3.start); }
	;

for_body: %empty
	| for_body common_item
	| for_body error ';'		{ yyerrok; }
	;

template_def: template_head '{' stmts '}'	{ xbc_build_template_end(c); }
	| template_head '{' stmts error '}'	{ yyerrok; xbc_build_template_end(c); }
	;

template_head: TEMPLATE IDENT		{ xbc_build_template(c, &$2, &@2.start, &@1.start); }
	;

block:	  head '{' stmts '}'		{ xbc_build_block_end(c); }
	| head '{' stmts error '}'	{ yyerrok; xbc_build_block_end(c); }
	;

head:	  class selector host optional
		{ xbc_build_block(c, $1, &@1.start, &$2, &@2.start, &$3,
				  &@3.start, $4); }
	| vlan_head
	| HOST selector optional
		{ struct xbc_sel none = { .how = SELECT_NAME };
		  xbc_build_block(c, XB_CLASS_HOST, &@1.start, &$2, &@2.start,
				  &none, &@1.start, $3); }
	| POOL
		{ xbc_build_pool(c, &@1.start); }
	;

/* pif "D" vlan T [host "H"] [optional] */
vlan_head: class selector vlan host optional
		{ xbc_build_block(c, $1, &@1.start, &$2, &@2.start, &$4,
				  &@4.start, $5);
		  xbc_build_vlan(c, &$3, &@3.start); }
	;

vlan:	  VLAN NUMBER			{ $$ = $2; @$ = @2; }
	;

class:	  VM				{ $$ = XB_CLASS_VM; }
	| SR				{ $$ = XB_CLASS_SR; }
	| NETWORK			{ $$ = XB_CLASS_NETWORK; }
	| PIF				{ $$ = XB_CLASS_PIF; }
	;

/* a selector, a host and a value are where their string is (@$ = @2) */
selector: STRING			{ $$ = (struct xbc_sel){ $1, SELECT_NAME }; }
	| UUID STRING			{ $$ = (struct xbc_sel){ $2, SELECT_UUID }; @$ = @2; }
	| MATCH STRING			{ $$ = (struct xbc_sel){ $2, SELECT_MATCH }; @$ = @2; }
	| TAG STRING			{ $$ = (struct xbc_sel){ $2, SELECT_TAG }; @$ = @2; }
	;

host:	  %empty			{ $$ = (struct xbc_sel){ .how = SELECT_NAME }; }
	| HOST STRING			{ $$ = (struct xbc_sel){ $2, SELECT_NAME }; @$ = @2; }
	;

optional: %empty			{ $$ = false; }
	| OPTIONAL			{ $$ = true; }
	;

once:	  %empty			{ $$ = false; }
	| ONCE				{ $$ = true; }
	;

stmts:	  %empty
	| stmts stmt
	;

stmt:	  VM_DATA STRING '=' value once ';'
		{ xbc_build_stmt_value(c, STMT_VM_DATA, &@1.start, &$2, &@2.start, &$4, &@4.start, $5); }
	| XENSTORE_DATA STRING '=' value once ';'
		{ xbc_build_stmt_value(c, STMT_XENSTORE_DATA, &@1.start, &$2, &@2.start, &$4, &@4.start, $5); }
	| OTHER_CONFIG STRING '=' value once ';'
		{ xbc_build_stmt_value(c, STMT_OTHER_CONFIG, &@1.start, &$2, &@2.start, &$4, &@4.start, $5); }
	| HIDE ';'
		{ xbc_build_stmt(c, STMT_HIDE, &@1.start, NULL, NULL, NULL, NULL); }
	| NAME_LABEL value ';'
		{ xbc_build_stmt_value(c, STMT_NAME_LABEL, &@1.start, NULL, NULL, &$2, &@2.start, false); }
	| USE IDENT ';'
		{ xbc_build_stmt(c, STMT_USE, &@1.start, &$2, &@2.start, NULL, NULL); }
	| template_def
	| I18N_KEY i18n_key ';'
		{ xbc_build_stmt(c, STMT_I18N_KEY, &@1.start, NULL, NULL, &$2, &@2.start); }
	| NAME_DESCRIPTION value ';'
		{ xbc_build_stmt_value(c, STMT_NAME_DESCRIPTION, &@1.start, NULL, NULL, &$2, &@2.start, false); }
	| TAG STRING ';'
		{ xbc_build_stmt(c, STMT_TAG, &@1.start, NULL, NULL, &$2, &@2.start); }
	| error ';'			{ yyerrok; }
	;

value:	  STRING			{ $$ = (struct xbc_val){ $1, false }; }
	| FILE_KW STRING		{ $$ = (struct xbc_val){ $2, true }; @$ = @2; }
	| SECRET_KW STRING
		{ $$ = (struct xbc_val){ $2, true, .is_secret = true }; @$ = @2; }
	| SEALED_KW STRING
		{ $$ = (struct xbc_val){ $2, false, .is_sealed = true }; @$ = @2; }
	;

i18n_key: IDENT
	| STRING
	;
