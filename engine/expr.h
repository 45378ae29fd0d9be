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
/* Release what functions prepared at plan time (compiled regexes).
 * The nodes themselves go with the plan's arena. */
void vg_expr_release(vg_expr *e);

#endif
