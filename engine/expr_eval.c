/*
 * expr_eval.c — the evaluators of compiled expressions.
 *
 * One small function per operator and operand representation (INT adds in
 * 32 bits, BIGINT in 64, ...), chosen when the node is built, so that a
 * kernel does its arithmetic and nothing else. Every kernel is strict in
 * the SQL sense unless its operator is not (AND, OR, IS, IN, CASE).
 *
 * Outcomes that Flink turns into a job failure are defined values here,
 * because a stream must never stop for one row (docs/sql.md says so):
 *   - INT arithmetic wraps around in 32 bits, BIGINT in 64 (two's
 *     complement), as Java's int and long do;
 *   - integer division truncates toward zero; x / 0 and x % 0 are NULL for
 *     every numeric type (Flink throws for integers and gives Infinity or
 *     NaN for DOUBLE; vigil's JSON output has no Infinity either);
 *   - MIN / -1 wraps to MIN, MIN % -1 is 0.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "engine/expr_int.h"

/* ---- shared ---- */

vg_repr vg_expr_repr(vg_type t)
{
    switch (t) {
    case VG_T_INT:
        return VG_REPR_I32;
    case VG_T_DOUBLE:
        return VG_REPR_F64;
    case VG_T_STRING:
        return VG_REPR_STR;
    default:
        return VG_REPR_I64;
    }
}

static int str_cmp(const vg_value *a, const vg_value *b)
{
    uint32_t n = a->len < b->len ? a->len : b->len;
    int c = n ? memcmp(a->u.s, b->u.s, n) : 0;
    if (c != 0)
        return c < 0 ? -1 : 1;
    return a->len < b->len ? -1 : a->len > b->len;
}

int vg_expr_cmp(vg_repr r, const vg_value *a, const vg_value *b)
{
    switch (r) {
    case VG_REPR_F64:
        return vg_value_cmp(VG_T_DOUBLE, a, b);
    case VG_REPR_STR:
        return str_cmp(a, b);
    default:
        return a->u.i < b->u.i ? -1 : a->u.i > b->u.i;
    }
}

void vg_expr_oom(vg_eval_ctx *ctx, vg_value *out)
{
    *out = vg_null();
    if (ctx->err)
        vg_error_set(ctx->err, VG_ERR_NOMEM, "out of memory");
}

void vg_expr_eval(const vg_expr *e, const vg_value *row, vg_eval_ctx *ctx, vg_value *out)
{
    vg_expr_arg(e, row, ctx, out);
}

bool vg_expr_is_true(const vg_expr *e, const vg_value *row, vg_eval_ctx *ctx)
{
    vg_value v;
    vg_expr_arg(e, row, ctx, &v);
    return !v.null && v.u.i != 0;
}

VG_EXPR_EVAL_DECL(vg_expr_eval_const)
{
    (void)row;
    (void)ctx;
    *out = e->u.value;
}

VG_EXPR_EVAL_DECL(vg_expr_eval_column)
{
    (void)ctx;
    *out = row[e->u.slot];
}

/* ---- binary operators ---- */

/* Both operands, or a NULL result when either is NULL. */
#define BINARY(name, body)                                                                         \
    static VG_EXPR_EVAL_DECL(name)                                                                 \
    {                                                                                              \
        vg_value a, b;                                                                             \
        vg_expr_arg(e->args[0], row, ctx, &a);                                                     \
        if (!a.null)                                                                               \
            vg_expr_arg(e->args[1], row, ctx, &b);                                                 \
        if (a.null || b.null) {                                                                    \
            *out = vg_null();                                                                      \
            return;                                                                                \
        }                                                                                          \
        body;                                                                                      \
    }

#define U32(v) ((uint32_t)(v).u.i)
#define U64(v) ((uint64_t)(v).u.i)

BINARY(add_i32, *out = vg_int((int32_t)(U32(a) + U32(b))))
BINARY(sub_i32, *out = vg_int((int32_t)(U32(a) - U32(b))))
BINARY(mul_i32, *out = vg_int((int32_t)(U32(a) * U32(b))))
BINARY(div_i32, *out = b.u.i ? vg_int((int32_t)(a.u.i / b.u.i)) : vg_null())
BINARY(mod_i32, *out = b.u.i ? vg_int(a.u.i % b.u.i) : vg_null())
BINARY(add_i64, *out = vg_int((int64_t)(U64(a) + U64(b))))
BINARY(sub_i64, *out = vg_int((int64_t)(U64(a) - U64(b))))
BINARY(mul_i64, *out = vg_int((int64_t)(U64(a) * U64(b))))
BINARY(div_i64, *out = !b.u.i        ? vg_null()
                       : b.u.i == -1 ? vg_int((int64_t)(0 - U64(a)))
                                     : vg_int(a.u.i / b.u.i))
BINARY(mod_i64, *out = !b.u.i ? vg_null() : b.u.i == -1 ? vg_int(0) : vg_int(a.u.i % b.u.i))
BINARY(add_f64, *out = vg_double(a.u.d + b.u.d))
BINARY(sub_f64, *out = vg_double(a.u.d - b.u.d))
BINARY(mul_f64, *out = vg_double(a.u.d * b.u.d))
BINARY(div_f64, *out = b.u.d != 0 ? vg_double(a.u.d / b.u.d) : vg_null())
BINARY(mod_f64, *out = b.u.d != 0 ? vg_double(fmod(a.u.d, b.u.d)) : vg_null())

static const char empty_text[1] = "";

BINARY(concat_str, {
    uint32_t n = a.len + b.len;
    char *p = n ? vg_arena_alloc(ctx->scratch, n) : (char *)empty_text;
    if (!p) {
        vg_expr_oom(ctx, out);
        return;
    }
    if (a.len)
        memcpy(p, a.u.s, a.len);
    if (b.len)
        memcpy(p + a.len, b.u.s, b.len);
    *out = vg_str(p, n);
})

/* Equality of strings needs no ordering. */
static bool str_eq(const vg_value *a, const vg_value *b)
{
    return a->len == b->len && (a->len == 0 || memcmp(a->u.s, b->u.s, a->len) == 0);
}

BINARY(eq_i64, *out = vg_bool(a.u.i == b.u.i))
BINARY(ne_i64, *out = vg_bool(a.u.i != b.u.i))
BINARY(lt_i64, *out = vg_bool(a.u.i < b.u.i))
BINARY(le_i64, *out = vg_bool(a.u.i <= b.u.i))
BINARY(gt_i64, *out = vg_bool(a.u.i > b.u.i))
BINARY(ge_i64, *out = vg_bool(a.u.i >= b.u.i))
BINARY(eq_f64, *out = vg_bool(a.u.d == b.u.d))
BINARY(ne_f64, *out = vg_bool(a.u.d != b.u.d))
BINARY(lt_f64, *out = vg_bool(a.u.d < b.u.d))
BINARY(le_f64, *out = vg_bool(a.u.d <= b.u.d))
BINARY(gt_f64, *out = vg_bool(a.u.d > b.u.d))
BINARY(ge_f64, *out = vg_bool(a.u.d >= b.u.d))
BINARY(eq_str, *out = vg_bool(str_eq(&a, &b)))
BINARY(ne_str, *out = vg_bool(!str_eq(&a, &b)))
BINARY(lt_str, *out = vg_bool(str_cmp(&a, &b) < 0))
BINARY(le_str, *out = vg_bool(str_cmp(&a, &b) <= 0))
BINARY(gt_str, *out = vg_bool(str_cmp(&a, &b) > 0))
BINARY(ge_str, *out = vg_bool(str_cmp(&a, &b) >= 0))

/* A column compared with a non-NULL constant, the shape of most WHERE
 * and rule conditions: both operands are read in place, without the leaf
 * dispatch of vg_expr_arg. */
#define CMP_CONST(name, test)                                                                      \
    static VG_EXPR_EVAL_DECL(name)                                                                 \
    {                                                                                              \
        (void)ctx;                                                                                 \
        const vg_value *a = &row[e->args[0]->u.slot], *b = &e->args[1]->u.value;                   \
        *out = a->null ? vg_null() : vg_bool(test);                                                \
    }

CMP_CONST(eqc_i64, a->u.i == b->u.i)
CMP_CONST(nec_i64, a->u.i != b->u.i)
CMP_CONST(ltc_i64, a->u.i < b->u.i)
CMP_CONST(lec_i64, a->u.i <= b->u.i)
CMP_CONST(gtc_i64, a->u.i > b->u.i)
CMP_CONST(gec_i64, a->u.i >= b->u.i)
CMP_CONST(eqc_f64, a->u.d == b->u.d)
CMP_CONST(nec_f64, a->u.d != b->u.d)
CMP_CONST(ltc_f64, a->u.d < b->u.d)
CMP_CONST(lec_f64, a->u.d <= b->u.d)
CMP_CONST(gtc_f64, a->u.d > b->u.d)
CMP_CONST(gec_f64, a->u.d >= b->u.d)
CMP_CONST(eqc_str, str_eq(a, b))
CMP_CONST(nec_str, !str_eq(a, b))
CMP_CONST(ltc_str, str_cmp(a, b) < 0)
CMP_CONST(lec_str, str_cmp(a, b) <= 0)
CMP_CONST(gtc_str, str_cmp(a, b) > 0)
CMP_CONST(gec_str, str_cmp(a, b) >= 0)

/* [op - VG_XOP_EQ][repr]: I32, I64, F64, STR. */
static const vg_expr_eval_fn compare_const_fns[VG_XOP_GE - VG_XOP_EQ + 1][4] = {
    {eqc_i64, eqc_i64, eqc_f64, eqc_str}, {nec_i64, nec_i64, nec_f64, nec_str},
    {ltc_i64, ltc_i64, ltc_f64, ltc_str}, {lec_i64, lec_i64, lec_f64, lec_str},
    {gtc_i64, gtc_i64, gtc_f64, gtc_str}, {gec_i64, gec_i64, gec_f64, gec_str},
};

vg_expr_eval_fn vg_expr_compare_const_fn(vg_expr_op op, vg_repr r)
{
    return op >= VG_XOP_EQ && op <= VG_XOP_GE ? compare_const_fns[op - VG_XOP_EQ][r] : NULL;
}

/* Three-valued AND: FALSE wins over NULL. */
static VG_EXPR_EVAL_DECL(and_bool)
{
    vg_value a, b;
    vg_expr_arg(e->args[0], row, ctx, &a);
    if (!a.null && !a.u.i) {
        *out = vg_bool(false);
        return;
    }
    vg_expr_arg(e->args[1], row, ctx, &b);
    if (!b.null && !b.u.i)
        *out = vg_bool(false);
    else
        *out = a.null || b.null ? vg_null() : vg_bool(true);
}

/* Three-valued OR: TRUE wins over NULL. */
static VG_EXPR_EVAL_DECL(or_bool)
{
    vg_value a, b;
    vg_expr_arg(e->args[0], row, ctx, &a);
    if (!a.null && a.u.i) {
        *out = vg_bool(true);
        return;
    }
    vg_expr_arg(e->args[1], row, ctx, &b);
    if (!b.null && b.u.i)
        *out = vg_bool(true);
    else
        *out = a.null || b.null ? vg_null() : vg_bool(false);
}

/* [op][repr]: I32, I64, F64, STR. */
static const vg_expr_eval_fn binary_fns[VG_XOP_OR + 1][4] = {
    [VG_XOP_ADD] = {add_i32, add_i64, add_f64, NULL},
    [VG_XOP_SUB] = {sub_i32, sub_i64, sub_f64, NULL},
    [VG_XOP_MUL] = {mul_i32, mul_i64, mul_f64, NULL},
    [VG_XOP_DIV] = {div_i32, div_i64, div_f64, NULL},
    [VG_XOP_MOD] = {mod_i32, mod_i64, mod_f64, NULL},
    [VG_XOP_CONCAT] = {NULL, NULL, NULL, concat_str},
    [VG_XOP_EQ] = {eq_i64, eq_i64, eq_f64, eq_str},
    [VG_XOP_NE] = {ne_i64, ne_i64, ne_f64, ne_str},
    [VG_XOP_LT] = {lt_i64, lt_i64, lt_f64, lt_str},
    [VG_XOP_LE] = {le_i64, le_i64, le_f64, le_str},
    [VG_XOP_GT] = {gt_i64, gt_i64, gt_f64, gt_str},
    [VG_XOP_GE] = {ge_i64, ge_i64, ge_f64, ge_str},
    [VG_XOP_AND] = {and_bool, and_bool, and_bool, and_bool},
    [VG_XOP_OR] = {or_bool, or_bool, or_bool, or_bool},
};

vg_expr_eval_fn vg_expr_binary_fn(vg_expr_op op, vg_repr r)
{
    return op <= VG_XOP_OR ? binary_fns[op][r] : NULL;
}

/* ---- unary operators ---- */

#define UNARY(name, body)                                                                          \
    static VG_EXPR_EVAL_DECL(name)                                                                 \
    {                                                                                              \
        vg_value a;                                                                                \
        vg_expr_arg(e->args[0], row, ctx, &a);                                                     \
        if (a.null) {                                                                              \
            *out = vg_null();                                                                      \
            return;                                                                                \
        }                                                                                          \
        body;                                                                                      \
    }

UNARY(not_bool, *out = vg_bool(!a.u.i))
UNARY(neg_i32, *out = vg_int((int32_t)(0u - U32(a))))
UNARY(neg_i64, *out = vg_int((int64_t)(0 - U64(a))))
UNARY(neg_f64, *out = vg_double(-a.u.d))

vg_expr_eval_fn vg_expr_unary_fn(vg_expr_op op, vg_repr r)
{
    static const vg_expr_eval_fn neg[4] = {neg_i32, neg_i64, neg_f64, NULL};
    if (op == VG_XOP_NOT)
        return not_bool;
    return op == VG_XOP_NEG ? neg[r] : NULL;
}

/* ---- the other node kinds ---- */

VG_EXPR_EVAL_DECL(vg_expr_eval_cast)
{
    vg_value a;
    vg_expr_arg(e->args[0], row, ctx, &a);
    if (a.null)
        *out = vg_null();
    else if (e->u.cast(&a, out, ctx->scratch) < 0)
        vg_expr_oom(ctx, out);
}

VG_EXPR_EVAL_DECL(vg_expr_eval_is)
{
    vg_value a;
    vg_expr_arg(e->args[0], row, ctx, &a);
    bool r;
    switch ((vg_expr_is)e->op) {
    case VG_IS_TRUE:
        r = !a.null && a.u.i;
        break;
    case VG_IS_FALSE:
        r = !a.null && !a.u.i;
        break;
    default: /* IS NULL, IS UNKNOWN */
        r = a.null;
        break;
    }
    *out = vg_bool(r != ((e->flags & VG_XF_NEGATED) != 0));
}

/* Three-valued truth: 0 FALSE, 1 TRUE, 2 UNKNOWN. */
enum { F = 0, T = 1, U = 2 };

static vg_value tri_value(int t, bool negated)
{
    if (t == U)
        return vg_null();
    return vg_bool((t == T) != negated);
}

VG_EXPR_EVAL_DECL(vg_expr_eval_in)
{
    vg_value x, v;
    vg_expr_arg(e->args[0], row, ctx, &x);
    if (x.null) {
        *out = vg_null();
        return;
    }
    int t = F;
    for (uint32_t i = 1; i < e->nargs && t != T; i++) {
        vg_expr_arg(e->args[i], row, ctx, &v);
        if (v.null)
            t = U;
        else if (vg_expr_cmp(e->repr, &x, &v) == 0)
            t = T;
    }
    *out = tri_value(t, e->flags & VG_XF_NEGATED);
}

VG_EXPR_EVAL_DECL(vg_expr_eval_in_set)
{
    vg_value x;
    vg_expr_arg(e->args[0], row, ctx, &x);
    if (x.null) {
        *out = vg_null();
        return;
    }
    bool found = false;
    const vg_value *set = e->u.in.set;
    if (e->u.in.sorted) {
        uint32_t lo = 0, hi = e->u.in.nset;
        while (lo < hi && !found) {
            uint32_t mid = lo + (hi - lo) / 2;
            int c = vg_expr_cmp(e->repr, &x, &set[mid]);
            found = c == 0;
            if (c < 0)
                hi = mid;
            else
                lo = mid + 1;
        }
    } else {
        for (uint32_t i = 0; i < e->u.in.nset && !found; i++)
            found = vg_expr_cmp(e->repr, &x, &set[i]) == 0;
    }
    int t = found ? T : (e->flags & VG_XF_SET_NULL) ? U : F;
    *out = tri_value(t, e->flags & VG_XF_NEGATED);
}

/* x >= lo AND x <= hi, three-valued (x is not NULL). */
static int tri_within(vg_repr r, const vg_value *x, const vg_value *lo, const vg_value *hi)
{
    int ge = lo->null ? U : vg_expr_cmp(r, x, lo) >= 0;
    int le = hi->null ? U : vg_expr_cmp(r, x, hi) <= 0;
    if (ge == F || le == F)
        return F;
    return ge == U || le == U ? U : T;
}

VG_EXPR_EVAL_DECL(vg_expr_eval_between)
{
    vg_value x, lo, hi;
    vg_expr_arg(e->args[0], row, ctx, &x);
    if (x.null) {
        *out = vg_null();
        return;
    }
    vg_expr_arg(e->args[1], row, ctx, &lo);
    vg_expr_arg(e->args[2], row, ctx, &hi);
    int t = tri_within(e->repr, &x, &lo, &hi);
    if ((e->flags & VG_XF_SYMMETRIC) && t != T) {
        int t2 = tri_within(e->repr, &x, &hi, &lo);
        t = t2 == T ? T : (t == U || t2 == U) ? U : F;
    }
    *out = tri_value(t, e->flags & VG_XF_NEGATED);
}

VG_EXPR_EVAL_DECL(vg_expr_eval_like)
{
    vg_value s, p, esc;
    vg_expr_arg(e->args[0], row, ctx, &s);
    if (s.null) {
        *out = vg_null();
        return;
    }
    int m;
    if (e->u.like) {
        m = vg_like_match(e->u.like, s.u.s, s.len);
    } else {
        vg_expr_arg(e->args[1], row, ctx, &p);
        int c = VG_LIKE_NO_ESCAPE;
        if (e->nargs > 2) {
            vg_expr_arg(e->args[2], row, ctx, &esc);
            c = esc.null || esc.len != 1 ? -2 : (unsigned char)esc.u.s[0];
        }
        /* A NULL pattern or escape, or an invalid one, gives NULL. */
        m = p.null || c == -2 ? -1 : vg_like_match_text(s.u.s, s.len, p.u.s, p.len, c);
    }
    *out = m < 0 ? vg_null() : vg_bool((m == 1) != ((e->flags & VG_XF_NEGATED) != 0));
}

VG_EXPR_EVAL_DECL(vg_expr_eval_case)
{
    uint32_t i = 0, end = e->nargs - ((e->flags & VG_XF_ELSE) ? 1 : 0);
    vg_value x = vg_null(), w;
    if (e->flags & VG_XF_OPERAND)
        vg_expr_arg(e->args[i++], row, ctx, &x);
    for (; i + 1 < end; i += 2) {
        vg_expr_arg(e->args[i], row, ctx, &w);
        bool hit = (e->flags & VG_XF_OPERAND)
                       ? !x.null && !w.null && vg_expr_cmp(e->repr, &x, &w) == 0
                       : !w.null && w.u.i != 0;
        if (hit) {
            vg_expr_arg(e->args[i + 1], row, ctx, out);
            return;
        }
    }
    if (e->flags & VG_XF_ELSE)
        vg_expr_arg(e->args[e->nargs - 1], row, ctx, out);
    else
        *out = vg_null();
}

VG_EXPR_EVAL_DECL(vg_expr_eval_call)
{
    const vg_func *fn = e->u.call.fn;
    vg_value argv[VG_FN_MAXARGS];
    for (uint32_t i = 0; i < e->nargs; i++) {
        vg_expr_arg(e->args[i], row, ctx, &argv[i]);
        if (argv[i].null && (fn->flags & VG_FN_STRICT)) {
            *out = vg_null();
            return;
        }
    }
    vg_fn_ctx fc = {ctx->scratch, e->u.call.state, 0};
    e->u.call.eval(&fc, argv, e->nargs, out);
    if (fc.failed)
        vg_expr_oom(ctx, out);
}
