/*
 * parser.h — SQL text to syntax trees (sql/ast.h), and a dump of them.
 *
 * The parser is a hand-written recursive-descent parser over the lexer's
 * tokens (sql/lexer.h). It builds the whole tree in the caller's arena and
 * stops at the first error, which carries the position of the offending
 * token. The grammar it accepts is described in docs/sql.md; in short:
 *
 *   stmt   := CREATE [TEMPORARY] (STREAM|TABLE) name '(' col type, ...
 *                 [, WATERMARK FOR col AS expr] ')' [WITH ('k' = 'v', ...)]
 *           | CREATE [TEMPORARY] VIEW name AS query
 *           | INSERT INTO name query
 *           | query
 *   query  := SELECT [DISTINCT|ALL] item, ... [FROM from] [WHERE e]
 *                 [GROUP BY e, ...] [HAVING e] [WINDOW w AS (spec), ...]
 *                 [ORDER BY e [ASC|DESC], ...] [LIMIT n]
 *   from   := name [[AS] a] | '(' query ')' [[AS] a]
 *           | TABLE '(' f '(' TABLE t [PARTITION BY k | (k, ...)], DESCRIPTOR '(' c ')'
 *                 [, e ...] ')' ')' [[AS] a]
 *           | from MATCH_RECOGNIZE '(' [PARTITION BY c, ...] ORDER BY c [MEASURES e AS n, ...]
 *                 [rows per match] [AFTER MATCH SKIP ...] PATTERN '(' pattern ')'
 *                 [WITHIN interval [EMIT TIMEOUTS]] [SUBSET s = (v, ...), ...]
 *                 [DEFINE v AS e, ...] ')' [[AS] a]      (docs/match_recognize.md)
 *
 * Expressions, loosest first: OR; AND; NOT; comparisons (= <> != < <= > >=,
 * IS [NOT] NULL|TRUE|FALSE|UNKNOWN, [NOT] IN, [NOT] BETWEEN [SYMMETRIC],
 * [NOT] LIKE [ESCAPE]) which do not chain; + - ||; * / %; unary - +.
 *
 * Special call syntax becomes ordinary calls, as udf/func.h describes:
 * EXTRACT(u FROM x) -> EXTRACT(u, x); FLOOR|CEIL|CEILING(x TO u) -> f(x, u);
 * TIMESTAMPADD|TIMESTAMPDIFF(u, a, b) -> f(u, a, b); SUBSTRING(s FROM a
 * [FOR n]) -> SUBSTRING(s, a [, n]); POSITION(a IN b) -> POSITION(a, b);
 * TRIM([BOTH|LEADING|TRAILING] [c] FROM s) -> TRIM(s, c, 'MODE') where a
 * missing c is ' ' and a missing mode is 'BOTH' (TRIM(s) stays one
 * argument). A unit u is a VG_AST_TIMEUNIT node. Names stay as written.
 *
 * A unary minus directly before a number is folded into the literal
 * ("-5" is the INTEGER -5; this is how -9223372036854775808 is written).
 */
#ifndef VG_PARSER_H
#define VG_PARSER_H

#include <stdint.h>

#include "engine/alloc.h"
#include "engine/error.h"
#include "sql/ast.h"

/* Deepest nesting of an expression (parentheses, unary operators, and
 * operator chains such as a + b + c count one level per operator).
 * Deeper input is an error, so no later stage can overflow its stack. */
#define VG_PARSE_MAX_DEPTH 1000

/* Parse every statement of src. Statements are separated by ';' (the last
 * one may omit it; empty statements are skipped); empty input or input of
 * only comments gives zero statements. On success returns 0 with
 * *stmts_out an array of *nstmts_out statements (NULL when zero), all in
 * arena. On failure returns -1, sets err (VG_ERR_SYNTAX for syntax, lexical
 * and literal errors; VG_ERR_NAME for an unknown type; VG_ERR_SEMANTIC for
 * a year-month interval; VG_ERR_NOMEM when allocation fails) and sets
 * *stmts_out = NULL, *nstmts_out = 0; whatever was put into the arena stays
 * there until the caller frees it. src must outlive the tree (spans and
 * vg_ast_stmt.src point into it).
 *
 * Syntax errors read "syntax error at 'TOKEN': expected WHAT" (or "syntax
 * error at end of input: expected WHAT"), and an unclosed bracket reads
 * "expected ')' to close '(' at line L, column C", positioned at the token
 * found instead. */
int vg_parse(const vg_source *src, vg_arena *arena, vg_ast_stmt **stmts_out, uint32_t *nstmts_out,
             vg_error *err);

/* Parse src as one lone expression (a rule's condition), the whole text:
 * anything after it is a syntax error. On success returns 0 with *out in
 * arena; on failure -1 with *out NULL and err set as vg_parse sets it. */
int vg_parse_expr(const vg_source *src, vg_arena *arena, vg_ast **out, vg_error *err);

/* ---- S-expression dump (sql/ast_dump.c) ---- */

/* A compact, stable, one-line S-expression of node and everything below it,
 * for tests and debugging. Owned by arena a; NULL when allocation fails.
 *
 * Names print as written; a quoted name prints in double quotes ("my col").
 * Strings print in single quotes with ' doubled, \ as \\ and control bytes
 * as \xNN. Absent optional parts are left out.
 *
 *   literals     null  true  false  (int 42)  (dec 1.5e3)  (str 'it''s')
 *                (interval MS)  (timestamp '2024-05-01 12:00:00')
 *   names        (col a)  (col t.a)  *  t.*  (unit HOUR)
 *   operators    (not x) (neg x) (pos x)  (+ a b) (- a b) (* a b) (/ a b)
 *                (% a b) (|| a b) (= a b) (<> a b) (< a b) (<= a b) (> a b)
 *                (>= a b) (and a b) (or a b)
 *   predicates   (is x null|true|false|unknown)  (is-not x ...)
 *                (in x e ...)  (not-in x e ...)
 *                (between x lo hi)  (not-between ...)  (between-symmetric ...)
 *                (not-between-symmetric ...)  (like x p [esc])  (not-like ...)
 *   case         (case [operand] (when c r) ... [(else e)])
 *   cast         (cast x TYPE)  (try-cast x TYPE)    TYPE: BOOLEAN INT BIGINT
 *                DOUBLE STRING TIMESTAMP
 *   call         (call NAME [distinct] arg ... [(filter e)] [(over w)])
 *                where w is a window name or a (window ...) spec
 *   window       (window [name] [(partition e ...)] [(order o ...)]
 *                  [(rows|range START END)])
 *                o: e | (desc e); START: unbounded-preceding | (preceding e);
 *                END: current-row | unbounded-following | (following e)
 *   select       (select [distinct] (items i ...) [(from f)] [(where e)]
 *                  [(group-by e ...)] [(having e)] [(windows (window ...) ...)]
 *                  [(order-by o ...)] [(limit e)])     i: e | (as e alias)
 *   from items   (table t [(alias a)])  (subquery (select ...) [(alias a)])
 *                (tablefn F (table t) [(partition e ...)] (descriptor c) arg ...
 *                  [(alias a)])
 *                (match INPUT [(partition ..)] [(order ..)] [(measures (as e n) ..)]
 *                  [(rows one|all|all-omit-empty|all-with-unmatched)]
 *                  [(skip past-last-row|to-next-row|(to-first v)|(to-last v))]
 *                  (pattern P) [(within e [emit-timeouts])] [(subsets (s v ..) ..)]
 *                  [(define (v e) ..)] [(alias a)])
 *   patterns     v  (seq P ..)  (alt P ..)  (permute P ..)  (exclude P)
 *                (greedy|reluctant MIN MAX|inf P)  ^  $  ()
 *   statements   (create-stream s (columns (c TYPE) ...) [(watermark c e)]
 *                  [(with ('k' 'v') ...)])
 *                (create-view v (select ...))  (insert s (select ...))
 *                (query (select ...))
 *
 * Example: SELECT amount, LOWER(status) s FROM payments WHERE amount > 100
 *   (query (select (items (col amount) (as (call LOWER (col status)) s))
 *     (from (table payments)) (where (> (col amount) (int 100)))))
 * (on one line). */
char *vg_ast_to_sexpr(const vg_ast *node, vg_arena *a);

/* The same for a window spec on its own. */
char *vg_ast_window_to_sexpr(const vg_ast_window *w, vg_arena *a);

/* The keyword of time unit u, upper case and singular ("QUARTER"); static. */
const char *vg_time_unit_name(vg_time_unit u);

#endif
