/*
 * expr_int.h — the inside of compiled expressions, shared by the files of
 * the expression module only: expr.c (constructors, folding, release),
 * expr_eval.c (the evaluators), expr_sql.c (text for EXPLAIN).
 *
 * A vg_expr is a tree node with a pointer to the evaluator chosen for its
 * operator and operand representation when it was built, so evaluation is
 * one indirect call per inner node and no decisions about types. Leaves
 * (constants, columns) are read in place by their parents without a call.
 */
#ifndef VG_EXPR_INT_H
#define VG_EXPR_INT_H

#include "engine/cast.h"
#include "engine/expr.h"
#include "engine/like.h"
#include "udf/func.h"

typedef void (*vg_expr_eval_fn)(const vg_expr *e, const vg_value *row, vg_eval_ctx *ctx,
                                vg_value *out);

typedef enum vg_expr_kind {
    VG_XK_CONST,   /* u.value */
    VG_XK_COLUMN,  /* u.slot */
    VG_XK_CAST,    /* args[0]; u.cast */
    VG_XK_UNARY,   /* op; args[0] */
    VG_XK_BINARY,  /* op; args[0], args[1] */
    VG_XK_IS,      /* op = vg_expr_is; args[0] */
    VG_XK_IN,      /* args[0] IN (args[1..]); u.in when every item is constant */
    VG_XK_BETWEEN, /* args[0] BETWEEN args[1] AND args[2] */
    VG_XK_LIKE,    /* args[0] LIKE args[1] [ESCAPE args[2]]; u.like when constant */
    VG_XK_CASE,    /* [operand] (when, then)... [else]: see the F_ flags */
    VG_XK_CALL,    /* u.call over args */
} vg_expr_kind;

/* Node flags. */
enum {
    VG_XF_NEGATED = 1,   /* NOT IN, NOT BETWEEN, NOT LIKE, IS NOT */
    VG_XF_SYMMETRIC = 2, /* BETWEEN SYMMETRIC */
    VG_XF_TRY = 4,       /* TRY_CAST */
    VG_XF_IMPLICIT = 8,  /* a cast the binder inserted */
    VG_XF_OPERAND = 16,  /* CASE: args[0] is the operand of a simple CASE */
    VG_XF_ELSE = 32,     /* CASE: the last arg is the ELSE branch */
    VG_XF_SET_NULL = 64, /* IN: a constant item is NULL */
};

/* How a type's values are held and compared. */
typedef enum vg_repr { VG_REPR_I32, VG_REPR_I64, VG_REPR_F64, VG_REPR_STR } vg_repr;

struct vg_expr {
    vg_expr_eval_fn eval; /* evaluator of this node */
    vg_expr **args;       /* operands (layout by kind, above) */
    uint32_t nargs;
    vg_type type;  /* result type */
    uint8_t kind;  /* vg_expr_kind */
    uint8_t op;    /* vg_expr_op, or vg_expr_is */
    uint8_t flags; /* VG_XF_* */
    uint8_t repr;  /* vg_repr the evaluator works in (operands of comparisons) */
    union {
        vg_value value;  /* CONST */
        uint32_t slot;   /* COLUMN */
        vg_cast_fn cast; /* CAST */
        struct {
            vg_value *set; /* the non-NULL constant items; sorted when sorted != 0 */
            uint32_t nset;
            uint32_t sorted;
        } in;
        const vg_like *like; /* LIKE with a constant pattern, or NULL */
        struct {
            const vg_func *fn;
            vg_fn_eval_fn eval; /* the evaluator check chose */
            void *state;        /* from fn->prepare, or NULL */
            vg_expr *next;      /* next call of the pool holding state */
        } call;
    } u;
};

struct vg_expr_pool {
    vg_arena *arena;   /* borrowed: where nodes live */
    vg_expr *prepared; /* calls holding prepared state, newest first */
};

/* Value of operand a: leaves are read in place, inner nodes evaluated. */
static inline void vg_expr_arg(const vg_expr *a, const vg_value *row, vg_eval_ctx *ctx,
                               vg_value *out)
{
    if (a->kind == VG_XK_COLUMN)
        *out = row[a->u.slot];
    else if (a->kind == VG_XK_CONST)
        *out = a->u.value;
    else
        a->eval(a, row, ctx, out);
}

vg_repr vg_expr_repr(vg_type t);
/* Three-way comparison of two non-NULL values held in representation r. */
int vg_expr_cmp(vg_repr r, const vg_value *a, const vg_value *b);
/* Mark an out-of-memory during evaluation: *out NULL, ctx->err set. */
void vg_expr_oom(vg_eval_ctx *ctx, vg_value *out);

/* Evaluators (expr_eval.c), chosen by the constructors. NULL when the
 * operator has none for the representation. */
vg_expr_eval_fn vg_expr_binary_fn(vg_expr_op op, vg_repr r);
vg_expr_eval_fn vg_expr_unary_fn(vg_expr_op op, vg_repr r);
/* The evaluator of column `op` non-NULL constant, for a comparison in
 * representation r; NULL for other operators. */
vg_expr_eval_fn vg_expr_compare_const_fn(vg_expr_op op, vg_repr r);
#define VG_EXPR_EVAL_DECL(name)                                                                    \
    void name(const vg_expr *e, const vg_value *row, vg_eval_ctx *ctx, vg_value *out)
VG_EXPR_EVAL_DECL(vg_expr_eval_const);
VG_EXPR_EVAL_DECL(vg_expr_eval_column);
VG_EXPR_EVAL_DECL(vg_expr_eval_cast);
VG_EXPR_EVAL_DECL(vg_expr_eval_is);
VG_EXPR_EVAL_DECL(vg_expr_eval_in);     /* items evaluated per row */
VG_EXPR_EVAL_DECL(vg_expr_eval_in_set); /* every item constant: u.in */
VG_EXPR_EVAL_DECL(vg_expr_eval_between);
VG_EXPR_EVAL_DECL(vg_expr_eval_like);
VG_EXPR_EVAL_DECL(vg_expr_eval_case);
VG_EXPR_EVAL_DECL(vg_expr_eval_call);

#endif
