/*
 * parser_int.h — what the parser's files share: the parser state, token
 * access with lookahead, error reporting and node construction.
 *
 * parser.c holds these helpers and the statement, query and FROM grammar;
 * parse_expr.c holds expressions, literals and the special call forms;
 * parse_match.c holds MATCH_RECOGNIZE and its row patterns.
 * Parse functions return the node they built, or NULL after setting the
 * error (p->err); int-returning helpers return 0 or -1 the same way.
 */
#ifndef VG_PARSER_INT_H
#define VG_PARSER_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "engine/alloc.h"
#include "engine/error.h"
#include "sql/ast.h"
#include "sql/lexer.h"
#include "sql/parser.h"

#define VG_PARSER_LOOKAHEAD 4

typedef struct vg_parser {
    const vg_source *src;             /* the text being parsed (borrowed) */
    vg_arena *arena;                  /* where nodes go (borrowed) */
    vg_error *err;                    /* the caller's error */
    vg_lexer lx;                      /* the token source */
    vg_error lex_err;                 /* the lexer's error, reported when the parser reaches it */
    bool lex_failed;                  /* the lexer has failed: later tokens are VG_TOK_ERROR */
    vg_token la[VG_PARSER_LOOKAHEAD]; /* ring of tokens read ahead */
    uint32_t la_head;                 /* index in la of the current token */
    uint32_t la_count;                /* tokens held in la */
    uint32_t last_end;                /* end offset of the last consumed token */
    uint32_t depth;                   /* current expression nesting, see VG_PARSE_MAX_DEPTH */
} vg_parser;

/* ---- tokens (parser.c) ---- */

/* The k-th token ahead (0 = current), k < VG_PARSER_LOOKAHEAD. */
const vg_token *vg_parser_peek(vg_parser *p, uint32_t k);
/* Consume the current token. */
void vg_parser_advance(vg_parser *p);
/* Consume the current token if it is of kind; say whether it was. */
bool vg_parser_accept(vg_parser *p, vg_token_kind kind);
/* Drop the tokens read ahead and lex again from the end of the last consumed
 * token, in row pattern mode (sql/lexer.h) when pattern is set: how the
 * parser enters and leaves MATCH_RECOGNIZE's PATTERN (...). A lexer error
 * met while reading ahead is forgotten (the text is lexed again). */
void vg_parser_relex(vg_parser *p, bool pattern);
/* Consume a token of kind, or fail with "syntax error at 'X': expected WHAT". */
int vg_parser_expect(vg_parser *p, vg_token_kind kind, const char *what);
/* Consume the ')' of the '(' at span open, or fail with
 * "expected ')' to close '(' at line L, column C" at the token found. */
int vg_parser_close(vg_parser *p, vg_span open);
/* True when t can be a name: an identifier or a non-reserved keyword. */
bool vg_parser_is_name(const vg_token *t);
/* True when t is an unquoted word (identifier or keyword) spelled upper
 * (upper case), ignoring case. */
bool vg_parser_is_word(vg_parser *p, const vg_token *t, const char *upper);
/* Consume a name into *out, or fail with "expected WHAT" (what is, e.g.,
 * "a column name"); a reserved word gets a hint to quote it. */
int vg_parser_ident(vg_parser *p, vg_ident *out, const char *what);
/* Make *out the name held by token t (already consumed). */
int vg_parser_ident_from(vg_parser *p, const vg_token *t, vg_ident *out);

/* ---- errors (parser.c) ---- */

/* "syntax error at 'X': expected WHAT" at token t (or the lexer's error when
 * t is where the lexer failed). Returns -1. */
int vg_parser_syntax(vg_parser *p, const vg_token *t, const char *what);
/* An error with a message of one's own at span sp. Returns -1. */
int vg_parser_fail(vg_parser *p, vg_errcode code, vg_span sp, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Out of memory. Returns -1. */
int vg_parser_nomem(vg_parser *p);
/* A syntax error with a message of one's own at token t (or the lexer's
 * error when t is where the lexer failed). Returns -1. */
int vg_parser_fail_token(vg_parser *p, const vg_token *t, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* s[0..len) for a message: at most 40 bytes (then "..."), control bytes as
 * \xNN; buf should hold 64 bytes. */
void vg_parser_text(const char *s, uint32_t len, char *buf, size_t size);
/* The same for the source text of token t. */
void vg_parser_token_text(vg_parser *p, const vg_token *t, char *buf, size_t size);
/* One nesting level more (fails past VG_PARSE_MAX_DEPTH); leave undoes it. */
int vg_parser_enter(vg_parser *p);
void vg_parser_leave(vg_parser *p, uint32_t levels);

/* ---- nodes (parser.c) ---- */

/* A zeroed node of kind whose span starts at start; NULL after nomem. */
vg_ast *vg_parser_node(vg_parser *p, vg_ast_kind kind, uint32_t start);
/* The span from start to the end of the last consumed token. */
vg_span vg_parser_span_from(vg_parser *p, uint32_t start);
/* Set node's span to end at the last consumed token; returns node. */
vg_ast *vg_parser_finish(vg_parser *p, vg_ast *node);
/* Append x to list (cap is the list's capacity, 0 at first). */
int vg_parser_push(vg_parser *p, vg_ast_list *list, uint32_t *cap, vg_ast *x);
/* Make room for one more element in an arena array of n elements of size
 * elem; returns the (possibly moved) array, or NULL after nomem. */
void *vg_parser_grow(vg_parser *p, void *array, uint32_t n, uint32_t *cap, size_t elem);
/* Append a flag to an arena bool array (for DESC flags). */
int vg_parser_push_flag(vg_parser *p, bool **flags, uint32_t n, uint32_t *cap, bool flag);

/* ---- grammar (parser.c) ---- */

/* A SELECT query block, at SELECT. */
vg_ast *vg_parser_select(vg_parser *p);
/* A window spec at '(' (OVER (...) or WINDOW w AS (...)). */
vg_ast_window *vg_parser_window_spec(vg_parser *p);
/* A type name (column definitions, CAST). */
int vg_parser_type(vg_parser *p, vg_ast_type *out);
/* A FROM item's [[AS] alias] into *alias (name NULL when none). */
int vg_parser_from_alias(vg_parser *p, vg_ident *alias);
/* ORDER BY items (after ORDER BY) into list and their DESC flags. */
int vg_parser_order_by(vg_parser *p, vg_ast_list *list, bool **desc);

/* WITH ('key' = 'value', ...), after WITH: appended to *opts, *n of them. */
int vg_parser_options(vg_parser *p, vg_ast_option **opts, uint32_t *n);

/* ---- models and rules (parse_model.c) ---- */

/* CREATE [TEMPORARY] MODEL ... or RULESET ..., at MODEL or RULESET; start is CREATE's. */
vg_ast *vg_parser_create_model(vg_parser *p, uint32_t start);
/* Whether table function fn (as written) takes model or rules arguments. */
bool vg_parser_model_tvf(const char *fn);
/* ML_PREDICT's ", MODEL m, DESCRIPTOR(c, ...)" or APPLY_RULES's ", RULESET r", after
 * TABLE t, into n. */
int vg_parser_model_args(vg_parser *p, vg_ast *n);

/* ---- MATCH_RECOGNIZE (parse_match.c) ---- */

/* input MATCH_RECOGNIZE ( ... ) [[AS] alias], at MATCH_RECOGNIZE; input is the FROM
 * item before it (a stream or view name, or a subquery). */
vg_ast *vg_parser_match(vg_parser *p, vg_ast *input);
/* True at RUNNING or FINAL before a call (RUNNING LAST(A.x), FINAL COUNT(*)). */
bool vg_parser_at_semantics(vg_parser *p);
/* That prefix and its call, as the one-argument call RUNNING(call) or FINAL(call),
 * the name as written. */
vg_ast *vg_parser_semantics(vg_parser *p);

/* ---- expressions (parse_expr.c) ---- */

/* A whole expression. */
vg_ast *vg_parser_expr(vg_parser *p);
/* An expression without comparisons or logic (BETWEEN bounds, frame bounds). */
vg_ast *vg_parser_additive(vg_parser *p);
/* True at '*' or 'name . *' (select items, call arguments). */
bool vg_parser_at_star(vg_parser *p);
/* The VG_AST_STAR node there. */
vg_ast *vg_parser_star(vg_parser *p);
/* A single operand: literal, name, call, CASE, parenthesised expression. */
vg_ast *vg_parser_primary(vg_parser *p);
/* A comma-separated list of expressions into list, which must be empty. */
int vg_parser_expr_list(vg_parser *p, vg_ast_list *list);

#endif
