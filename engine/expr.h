/*
 * expr.h — compiled scalar expressions.
 *
 * The binder turns an AST expression into a vg_expr: a typed tree whose
 * column references are slots (indexes into the input row), whose functions
 * are resolved to their table entries, whose implicit casts are explicit
 * nodes, and whose constant sub-trees are folded. Evaluation walks it with
 * no name lookups and no malloc: strings a function produces go to the
 * scratch arena of the evaluation context, reset by the runner per batch.
 *
 * A vg_expr lives in the arena of the plan that built it.
 */
#ifndef VG_EXPR_H
#define VG_EXPR_H

#include <stdbool.h>
#include <stdint.h>

#include "engine/alloc.h"
#include "engine/error.h"
#include "engine/value.h"
#include "udf/func.h"

typedef struct vg_expr vg_expr;

/* Per-thread evaluation context, owned by the operator or runner. */
typedef struct vg_eval_ctx {
    vg_arena *scratch; /* results of string functions; reset between batches */
    vg_error *err;     /* set when evaluation fails for a reason other than
                          data (scratch allocation failed); the caller checks it
                          after the batch */
} vg_eval_ctx;

/* Evaluate e over row (values in slot order) into *out. Never fails on
 * data: SQL errors in data (division by zero, bad cast) give NULL as
 * docs/sql.md documents. */
void vg_expr_eval(const vg_expr *e, const vg_value *row, vg_eval_ctx *ctx, vg_value *out);
/* True only when e evaluates to TRUE (not FALSE, not NULL): WHERE semantics. */
bool vg_expr_is_true(const vg_expr *e, const vg_value *row, vg_eval_ctx *ctx);
vg_type vg_expr_type(const vg_expr *e);
/* Nonzero when e does not depend on the row. */
bool vg_expr_is_const(const vg_expr *e);
/* SQL-like text of e for EXPLAIN, with column slots shown by name when
 * names is not NULL (names[slot]); written into a; NULL on failure. */
char *vg_expr_to_sql(const vg_expr *e, const char *const *names, vg_arena *a);
/* Whether a column name can be written in SQL text without quotes
 * (letters, digits, '_' and '$', not starting with a digit or '$');
 * EXPLAIN back-quotes the others. */
bool vg_expr_ident_plain(const char *name);
/* Release what functions prepared at plan time (compiled regexes).
 * The nodes themselves go with the plan's arena. */
void vg_expr_release(vg_expr *e);

/* ==== Building expressions (for the binder) ====
 *
 * The binder types the tree and inserts every cast itself; these
 * constructors take operands that already have the types the node needs
 * (both sides of a comparison of one type, arithmetic operands of the
 * result's representation) and choose the evaluator for them. Each one
 * folds its node into a constant when no operand depends on the row (and
 * no call is nondeterministic), and into a NULL constant when a strict
 * node gets a NULL constant operand.
 *
 * Every constructor allocates from its pool's arena and returns NULL on
 * failure with err set: VG_ERR_NOMEM "out of memory", or, for a constant
 * operand that makes no sense (a bad LIKE pattern or escape), the message
 * with code VG_ERR_SEMANTIC and no position (the binder adds it). */

/* Operators of unary and binary nodes. */
typedef enum vg_expr_op {
    VG_XOP_ADD,
    VG_XOP_SUB,
    VG_XOP_MUL,
    VG_XOP_DIV,
    VG_XOP_MOD,
    VG_XOP_CONCAT,
    VG_XOP_EQ,
    VG_XOP_NE,
    VG_XOP_LT,
    VG_XOP_LE,
    VG_XOP_GT,
    VG_XOP_GE,
    VG_XOP_AND,
    VG_XOP_OR,
    VG_XOP_NOT,
    VG_XOP_NEG,
} vg_expr_op;

/* The operator as SQL writes it ("+", "<>", "AND", "NOT", ...). */
const char *vg_expr_op_name(vg_expr_op op);

/* What x IS [NOT] ... tests (the same numbering as the AST's is.what). */
typedef enum vg_expr_is { VG_IS_NULL, VG_IS_TRUE, VG_IS_FALSE, VG_IS_UNKNOWN } vg_expr_is;

/* Where a plan's expressions are built: its arena, and the list of calls
 * that hold prepared function state (compiled regexes) to release. */
typedef struct vg_expr_pool vg_expr_pool;

/* A pool allocating from a (borrowed; it must outlive the pool, which lives
 * in it). NULL when out of memory. */
vg_expr_pool *vg_expr_pool_new(vg_arena *a);
vg_arena *vg_expr_pool_arena(const vg_expr_pool *p);
/* Release the prepared state of every call built in the pool (idempotent).
 * Call before freeing the arena. */
void vg_expr_pool_release(vg_expr_pool *p);

/* A constant of type t (v->null for NULL); a string is copied. */
vg_expr *vg_expr_new_const(vg_expr_pool *p, vg_type t, const vg_value *v, vg_error *err);
/* The value of slot in the input row. */
vg_expr *vg_expr_new_column(vg_expr_pool *p, uint32_t slot, vg_type t, vg_error *err);
/* CAST(arg AS to) / TRY_CAST; implicit marks a cast the binder inserted.
 * A pair vg_cast_allowed refuses is a VG_ERR_TYPE error. */
vg_expr *vg_expr_new_cast(vg_expr_pool *p, vg_expr *arg, vg_type to, bool try_, bool implicit,
                          vg_error *err);
/* NOT x (BOOLEAN), -x (INT, BIGINT, DOUBLE, INTERVAL; integers wrap). */
vg_expr *vg_expr_new_unary(vg_expr_pool *p, vg_expr_op op, vg_expr *arg, vg_error *err);
/* l op r with result type `type`. Arithmetic runs in the representation of
 * `type` (INT wraps in 32 bits, BIGINT/TIMESTAMP/INTERVAL in 64, DOUBLE);
 * comparisons compare operands of one type; AND/OR take BOOLEANs; CONCAT
 * STRINGs. Division and modulo by zero give NULL. */
vg_expr *vg_expr_new_binary(vg_expr_pool *p, vg_expr_op op, vg_type type, vg_expr *l, vg_expr *r,
                            vg_error *err);
vg_expr *vg_expr_new_is(vg_expr_pool *p, vg_expr *arg, vg_expr_is what, bool negated,
                        vg_error *err);
/* arg [NOT] IN (items); all of arg's type. SQL's NULL rules. */
vg_expr *vg_expr_new_in(vg_expr_pool *p, vg_expr *arg, vg_expr *const *items, uint32_t n,
                        bool negated, vg_error *err);
/* arg [NOT] BETWEEN [SYMMETRIC] lo AND hi; all of one type. */
vg_expr *vg_expr_new_between(vg_expr_pool *p, vg_expr *arg, vg_expr *lo, vg_expr *hi, bool negated,
                             bool symmetric, vg_error *err);
/* arg [NOT] LIKE pattern [ESCAPE escape]; STRINGs; escape may be NULL. A
 * constant pattern is compiled here. */
vg_expr *vg_expr_new_like(vg_expr_pool *p, vg_expr *arg, vg_expr *pattern, vg_expr *escape,
                          bool negated, vg_error *err);
/* CASE [operand] WHEN whens[i] THEN thens[i] ... [ELSE else_] END. With an
 * operand, whens are values of the operand's type; without, BOOLEANs.
 * thens and else_ (may be NULL) are of `type`. */
vg_expr *vg_expr_new_case(vg_expr_pool *p, vg_type type, vg_expr *operand, vg_expr *const *whens,
                          vg_expr *const *thens, uint32_t n, vg_expr *else_, vg_error *err);
/* A call of function table entry fn as typed by vg_func_check into b
 * (b->nargs arguments, result b->ret, evaluator b->eval), over args already
 * cast to b->argt. Takes state (what fn->prepare returned, may be NULL):
 * the pool releases it, and so does this function when it fails. */
vg_expr *vg_expr_new_call(vg_expr_pool *p, const vg_func *fn, const vg_fn_bind *b,
                          vg_expr *const *args, void *state, vg_error *err);

/* The value of a constant expression, or NULL when e is not constant. */
const vg_value *vg_expr_const_value(const vg_expr *e);
/* The slot of a plain column reference, or -1. */
int32_t vg_expr_column_slot(const vg_expr *e);

#endif
