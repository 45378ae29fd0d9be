/*
 * bind_expr.c — binding expressions: names to slots, types by Flink's
 * rules, implicit casts made explicit, calls typed by the function table.
 *
 * Type rules (docs/sql.md has them for users):
 *   - arithmetic on numbers widens INT -> BIGINT -> DOUBLE to the common
 *     type and computes in it; TIMESTAMP +/- INTERVAL is a TIMESTAMP,
 *     INTERVAL +/- INTERVAL and INTERVAL * or / an integer are INTERVALs;
 *   - || joins STRINGs; comparisons, IN, BETWEEN and simple CASE compare
 *     values of a common type (numbers widened; otherwise equal types);
 *   - AND, OR, NOT, WHERE and CASE WHEN take BOOLEANs;
 *   - a NULL literal takes the type its place needs;
 *   - an ARRAY is not compared (=, IN, BETWEEN, simple CASE) with anything:
 *     its elements are (a[1] > 0.5).
 * Every error points at the construct that is wrong: an operator's token
 * for operator type errors, the identifier for unknown names.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "engine/cast.h"
#include "engine/suggest.h"
#include "sql/binder_int.h"
#include "sql/parser.h"
#include "udf/func.h"

/* ---- errors ---- */

void *vg_bind_fail(bind_ctx *c, vg_errcode code, vg_span sp, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    vg_error_at(c->err, code, c->src, sp, "%s", msg);
    return NULL;
}

void *vg_bind_fail_from(bind_ctx *c, const vg_error *cerr, vg_span sp)
{
    if (cerr->code == VG_ERR_NOMEM)
        vg_error_set(c->err, VG_ERR_NOMEM, "%s", cerr->msg);
    else
        vg_error_at(c->err, cerr->code, c->src, sp, "%s", cerr->msg);
    return NULL;
}

static void *bind_nomem(bind_ctx *c)
{
    vg_error_set(c->err, VG_ERR_NOMEM, "out of memory");
    return NULL;
}

/* r, or the constructor's error at sp when r is NULL. */
static vg_expr *built(bind_ctx *c, vg_expr *r, const vg_error *cerr, vg_span sp)
{
    return r ? r : vg_bind_fail_from(c, cerr, sp);
}

#define CERR(name)                                                                                 \
    vg_error name;                                                                                 \
    vg_error_clear(&name)

/* ---- names ---- */

const char *vg_bind_suggest(const vg_schema *schema, const char *name, char *buf, size_t n)
{
    const char *best = NULL;
    unsigned best_d = 3;
    /* A suggestion must keep something of the name ('x' is not a typo of
     * 'id'); a name that differs only in case always gets one. */
    for (uint32_t i = 0; schema && i < schema->ncols; i++) {
        const char *cand = schema->cols[i].name;
        unsigned d = strcasecmp(name, cand) == 0 ? 0 : vg_suggest_distance(name, cand);
        if (d < best_d && (d == 0 || d < strlen(name))) {
            best = schema->cols[i].name;
            best_d = d;
        }
    }
    if (!best)
        return "";
    snprintf(buf, n, " (did you mean '%s'?)", best);
    return buf;
}

int vg_bind_find_column(bind_ctx *c, const char *qualifier, const char *name, vg_span sp)
{
    const bind_scope *s = c->scope;
    const vg_schema *schema = s ? s->schema : NULL;
    char hint[160];
    int found = -1, count = 0;
    for (uint32_t i = 0; schema && i < schema->ncols; i++) {
        if (strcmp(schema->cols[i].name, name) == 0) {
            if (count++ == 0)
                found = (int)i;
        }
    }
    if (count > 1) {
        vg_bind_fail(c, VG_ERR_NAME, sp, "column reference '%s' is ambiguous", name);
        return -1;
    }
    if (count == 0) {
        vg_bind_fail(c, VG_ERR_NAME, sp, "unknown column '%s%s%s'%s", qualifier ? qualifier : "",
                     qualifier ? "." : "", name, vg_bind_suggest(schema, name, hint, sizeof hint));
        return -1;
    }
    return found;
}

static vg_expr *bind_column(bind_ctx *c, const vg_ast *e)
{
    const vg_ident *q = &e->u.column.qualifier;
    vg_span sp = e->u.column.name.span;
    if (q->name) {
        if (!c->scope || !c->scope->alias || strcmp(c->scope->alias, q->name) != 0)
            return vg_bind_fail(c, VG_ERR_NAME, q->span, "unknown table alias '%s'", q->name);
        sp = e->span;
    }
    int slot = vg_bind_find_column(c, q->name, e->u.column.name.name, sp);
    if (slot < 0)
        return NULL;
    CERR(cerr);
    vg_type t = c->scope->schema->cols[slot].type;
    return built(c, vg_expr_new_column(c->b->pool, (uint32_t)slot, t, &cerr), &cerr, e->span);
}

/* ---- literals and casts ---- */

static vg_expr *constant(bind_ctx *c, vg_type t, vg_value v, vg_span sp)
{
    CERR(cerr);
    return built(c, vg_expr_new_const(c->b->pool, t, &v, &cerr), &cerr, sp);
}

static vg_expr *bind_literal(bind_ctx *c, const vg_ast *e)
{
    int64_t i = e->u.lit.ival;
    switch (e->u.lit.kind) {
    case VG_LIT_NULL:
        return constant(c, VG_T_NULL, vg_null(), e->span);
    case VG_LIT_BOOL:
        return constant(c, VG_T_BOOL, vg_bool(i != 0), e->span);
    case VG_LIT_INTEGER: /* INT when it fits, as Flink types integer literals */
        return constant(c, i >= INT32_MIN && i <= INT32_MAX ? VG_T_INT : VG_T_BIGINT, vg_int(i),
                        e->span);
    case VG_LIT_DECIMAL:
        return constant(c, VG_T_DOUBLE, vg_double(e->u.lit.dval), e->span);
    case VG_LIT_STRING:
        return constant(c, VG_T_STRING, vg_str(e->u.lit.str ? e->u.lit.str : "", e->u.lit.len),
                        e->span);
    case VG_LIT_INTERVAL:
        return constant(c, VG_T_INTERVAL, vg_int(i), e->span);
    case VG_LIT_TIMESTAMP: {
        const char *s = e->u.lit.str ? e->u.lit.str : "";
        int64_t ms;
        if (vg_ts_parse(s, strlen(s), &ms) < 0)
            return vg_bind_fail(c, VG_ERR_SEMANTIC, e->span, "invalid TIMESTAMP literal '%s'", s);
        return constant(c, VG_T_TIMESTAMP, vg_int(ms), e->span);
    }
    }
    return vg_bind_fail(c, VG_ERR_SEMANTIC, e->span, "unknown literal");
}

/* x as type t, with an implicit cast when it is not already. */
static vg_expr *as_type(bind_ctx *c, vg_expr *x, vg_type t, vg_span sp)
{
    if (!x || vg_expr_type(x) == t || t == VG_T_NULL)
        return x;
    CERR(cerr);
    return built(c, vg_expr_new_cast(c->b->pool, x, t, false, true, &cerr), &cerr, sp);
}

static vg_expr *bind_cast(bind_ctx *c, const vg_ast *e)
{
    vg_expr *x = vg_bind_expr(c, e->u.cast.arg);
    if (!x)
        return NULL;
    vg_type from = vg_expr_type(x), to = e->u.cast.to.type;
    if (to == VG_T_NULL)
        return vg_bind_fail(c, VG_ERR_NAME, e->u.cast.to.span, "unknown type");
    if (!vg_cast_allowed(from, to))
        return vg_bind_fail(c, VG_ERR_TYPE, e->span, "cannot cast %s to %s", vg_type_name(from),
                            vg_type_name(to));
    CERR(cerr);
    return built(c, vg_expr_new_cast(c->b->pool, x, to, e->u.cast.try_, false, &cerr), &cerr,
                 e->span);
}

/* ---- operators ---- */

/* Flink compares arrays element by element; vigil does not compare them. */
#define ARRAY_CMP_MSG "cannot compare ARRAY<DOUBLE> values: compare their elements (a[1])"

static bool is_bool(vg_type t) { return t == VG_T_BOOL || t == VG_T_NULL; }
static bool is_text(vg_type t) { return t == VG_T_STRING || t == VG_T_NULL; }
static bool is_num(vg_type t) { return vg_type_is_numeric(t) || t == VG_T_NULL; }

static const vg_expr_op op_map[] = {
    [VG_OP_ADD] = VG_XOP_ADD, [VG_OP_SUB] = VG_XOP_SUB, [VG_OP_MUL] = VG_XOP_MUL,
    [VG_OP_DIV] = VG_XOP_DIV, [VG_OP_MOD] = VG_XOP_MOD, [VG_OP_CONCAT] = VG_XOP_CONCAT,
    [VG_OP_EQ] = VG_XOP_EQ,   [VG_OP_NE] = VG_XOP_NE,   [VG_OP_LT] = VG_XOP_LT,
    [VG_OP_LE] = VG_XOP_LE,   [VG_OP_GT] = VG_XOP_GT,   [VG_OP_GE] = VG_XOP_GE,
    [VG_OP_AND] = VG_XOP_AND, [VG_OP_OR] = VG_XOP_OR,   [VG_OP_NOT] = VG_XOP_NOT,
    [VG_OP_NEG] = VG_XOP_NEG,
};

/* Date-time arithmetic: op, operand types, result, operand casts. */
static const struct {
    vg_expr_op op;
    vg_type l, r, res, lc, rc;
} time_rules[] = {
    {VG_XOP_ADD, VG_T_TIMESTAMP, VG_T_INTERVAL, VG_T_TIMESTAMP, VG_T_TIMESTAMP, VG_T_INTERVAL},
    {VG_XOP_ADD, VG_T_INTERVAL, VG_T_TIMESTAMP, VG_T_TIMESTAMP, VG_T_INTERVAL, VG_T_TIMESTAMP},
    {VG_XOP_ADD, VG_T_INTERVAL, VG_T_INTERVAL, VG_T_INTERVAL, VG_T_INTERVAL, VG_T_INTERVAL},
    {VG_XOP_SUB, VG_T_TIMESTAMP, VG_T_INTERVAL, VG_T_TIMESTAMP, VG_T_TIMESTAMP, VG_T_INTERVAL},
    {VG_XOP_SUB, VG_T_INTERVAL, VG_T_INTERVAL, VG_T_INTERVAL, VG_T_INTERVAL, VG_T_INTERVAL},
    {VG_XOP_MUL, VG_T_INTERVAL, VG_T_INT, VG_T_INTERVAL, VG_T_INTERVAL, VG_T_BIGINT},
    {VG_XOP_MUL, VG_T_INTERVAL, VG_T_BIGINT, VG_T_INTERVAL, VG_T_INTERVAL, VG_T_BIGINT},
    {VG_XOP_MUL, VG_T_INT, VG_T_INTERVAL, VG_T_INTERVAL, VG_T_BIGINT, VG_T_INTERVAL},
    {VG_XOP_MUL, VG_T_BIGINT, VG_T_INTERVAL, VG_T_INTERVAL, VG_T_BIGINT, VG_T_INTERVAL},
    {VG_XOP_DIV, VG_T_INTERVAL, VG_T_INT, VG_T_INTERVAL, VG_T_INTERVAL, VG_T_BIGINT},
    {VG_XOP_DIV, VG_T_INTERVAL, VG_T_BIGINT, VG_T_INTERVAL, VG_T_INTERVAL, VG_T_BIGINT},
};

/* Types of an arithmetic operation: the result and what each side is cast to. */
static bool arith_types(vg_expr_op op, vg_type lt, vg_type rt, vg_type ty[3])
{
    if (is_num(lt) && is_num(rt)) {
        if (!vg_type_common(lt, rt, &ty[0]))
            return false;
        ty[1] = ty[2] = ty[0];
        return true;
    }
    for (size_t i = 0; i < sizeof time_rules / sizeof time_rules[0]; i++) {
        if (time_rules[i].op == op && (lt == time_rules[i].l || lt == VG_T_NULL) &&
            (rt == time_rules[i].r || rt == VG_T_NULL)) {
            ty[0] = time_rules[i].res;
            ty[1] = time_rules[i].lc;
            ty[2] = time_rules[i].rc;
            return true;
        }
    }
    return false;
}

static vg_expr *bind_binary(bind_ctx *c, const vg_ast *e)
{
    vg_expr *l = vg_bind_expr(c, e->u.binary.left);
    vg_expr *r = l ? vg_bind_expr(c, e->u.binary.right) : NULL;
    if (!r)
        return NULL;
    vg_expr_op op = op_map[e->u.binary.op];
    vg_type lt = vg_expr_type(l), rt = vg_expr_type(r), ty[3];
    bool ok;
    if (op <= VG_XOP_MOD) {
        ok = arith_types(op, lt, rt, ty);
    } else if (op == VG_XOP_CONCAT) {
        ok = is_text(lt) && is_text(rt);
        ty[0] = ty[1] = ty[2] = VG_T_STRING;
    } else if (op >= VG_XOP_EQ && op <= VG_XOP_GE) {
        if (lt == VG_T_ARRAY || rt == VG_T_ARRAY)
            return vg_bind_fail(c, VG_ERR_TYPE, e->u.binary.op_span, ARRAY_CMP_MSG);
        if (!vg_type_common(lt, rt, &ty[1]))
            return vg_bind_fail(c, VG_ERR_TYPE, e->u.binary.op_span, "cannot compare %s with %s",
                                vg_type_name(lt), vg_type_name(rt));
        ty[0] = VG_T_BOOL;
        ty[2] = ty[1];
        ok = true;
    } else {
        ok = is_bool(lt) && is_bool(rt);
        ty[0] = ty[1] = ty[2] = VG_T_BOOL;
    }
    if (!ok)
        return vg_bind_fail(c, VG_ERR_TYPE, e->u.binary.op_span, "cannot apply '%s' to %s and %s",
                            vg_expr_op_name(op), vg_type_name(lt), vg_type_name(rt));
    l = as_type(c, l, ty[1], e->u.binary.left->span);
    r = l ? as_type(c, r, ty[2], e->u.binary.right->span) : NULL;
    if (!r)
        return NULL;
    CERR(cerr);
    return built(c, vg_expr_new_binary(c->b->pool, op, ty[0], l, r, &cerr), &cerr,
                 e->u.binary.op_span);
}

static vg_expr *bind_unary(bind_ctx *c, const vg_ast *e)
{
    vg_expr *x = vg_bind_expr(c, e->u.unary.arg);
    if (!x)
        return NULL;
    vg_type t = vg_expr_type(x);
    vg_ast_op op = e->u.unary.op;
    bool ok = op == VG_OP_NOT ? is_bool(t) : is_num(t) || t == VG_T_INTERVAL;
    if (!ok)
        return vg_bind_fail(c, VG_ERR_TYPE, e->span, "cannot apply '%s' to %s",
                            op == VG_OP_NOT   ? "NOT"
                            : op == VG_OP_NEG ? "-"
                                              : "+",
                            vg_type_name(t));
    if (op == VG_OP_PLUS)
        return x;
    if (op == VG_OP_NOT && !(x = as_type(c, x, VG_T_BOOL, e->span)))
        return NULL;
    CERR(cerr);
    return built(c, vg_expr_new_unary(c->b->pool, op_map[op], x, &cerr), &cerr, e->span);
}

static vg_expr *bind_is(bind_ctx *c, const vg_ast *e)
{
    static const char *const what[] = {"NULL", "TRUE", "FALSE", "UNKNOWN"};
    vg_expr *x = vg_bind_expr(c, e->u.is.arg);
    if (!x)
        return NULL;
    int w = e->u.is.what & 3;
    if (w != 0 && !is_bool(vg_expr_type(x)))
        return vg_bind_fail(c, VG_ERR_TYPE, e->span, "cannot apply 'IS %s%s' to %s",
                            e->u.is.negated ? "NOT " : "", what[w], vg_type_name(vg_expr_type(x)));
    CERR(cerr);
    return built(c, vg_expr_new_is(c->b->pool, x, (vg_expr_is)w, e->u.is.negated, &cerr), &cerr,
                 e->span);
}

/* Bind n expressions into a new array and unify their types into *t (which
 * holds the type to start from), then cast every one to it. */
static vg_expr **bind_unified(bind_ctx *c, vg_ast *const *asts, uint32_t n, vg_type *t)
{
    vg_expr **xs = vg_arena_alloc(c->b->arena, (n ? n : 1) * sizeof *xs);
    if (!xs)
        return bind_nomem(c);
    for (uint32_t i = 0; i < n; i++) {
        if (!(xs[i] = vg_bind_expr(c, asts[i])))
            return NULL;
        vg_type it = vg_expr_type(xs[i]), u;
        if (it == VG_T_ARRAY)
            return vg_bind_fail(c, VG_ERR_TYPE, asts[i]->span, ARRAY_CMP_MSG);
        if (!vg_type_common(*t, it, &u))
            return vg_bind_fail(c, VG_ERR_TYPE, asts[i]->span, "cannot compare %s with %s",
                                vg_type_name(*t), vg_type_name(it));
        *t = u;
    }
    for (uint32_t i = 0; i < n; i++)
        if (!(xs[i] = as_type(c, xs[i], *t, asts[i]->span)))
            return NULL;
    return xs;
}

static vg_expr *bind_in(bind_ctx *c, const vg_ast *e)
{
    vg_expr *x = vg_bind_expr(c, e->u.in.arg);
    if (!x)
        return NULL;
    vg_type t = vg_expr_type(x);
    if (t == VG_T_ARRAY)
        return vg_bind_fail(c, VG_ERR_TYPE, e->u.in.arg->span, ARRAY_CMP_MSG);
    vg_expr **items = bind_unified(c, e->u.in.list.items, e->u.in.list.n, &t);
    if (!items || !(x = as_type(c, x, t, e->u.in.arg->span)))
        return NULL;
    CERR(cerr);
    return built(c, vg_expr_new_in(c->b->pool, x, items, e->u.in.list.n, e->u.in.negated, &cerr),
                 &cerr, e->span);
}

static vg_expr *bind_between(bind_ctx *c, const vg_ast *e)
{
    vg_ast *asts[3] = {e->u.between.arg, e->u.between.lo, e->u.between.hi};
    vg_type t = VG_T_NULL;
    vg_expr **xs = bind_unified(c, asts, 3, &t);
    if (!xs)
        return NULL;
    CERR(cerr);
    return built(c,
                 vg_expr_new_between(c->b->pool, xs[0], xs[1], xs[2], e->u.between.negated,
                                     e->u.between.symmetric, &cerr),
                 &cerr, e->span);
}

static vg_expr *bind_like(bind_ctx *c, const vg_ast *e)
{
    vg_expr *x = vg_bind_expr(c, e->u.like.arg);
    vg_expr *p = x ? vg_bind_expr(c, e->u.like.pattern) : NULL;
    vg_expr *esc = NULL;
    if (!p || (e->u.like.escape && !(esc = vg_bind_expr(c, e->u.like.escape))))
        return NULL;
    if (!is_text(vg_expr_type(x)) || !is_text(vg_expr_type(p)))
        return vg_bind_fail(c, VG_ERR_TYPE, e->span, "cannot apply 'LIKE' to %s and %s",
                            vg_type_name(vg_expr_type(x)), vg_type_name(vg_expr_type(p)));
    if (esc && !is_text(vg_expr_type(esc)))
        return vg_bind_fail(c, VG_ERR_TYPE, e->u.like.escape->span,
                            "LIKE escape must be a STRING, got %s",
                            vg_type_name(vg_expr_type(esc)));
    CERR(cerr);
    vg_expr *r = vg_expr_new_like(c->b->pool, x, p, esc, e->u.like.negated, &cerr);
    bool about_escape = strncmp(cerr.msg, "LIKE escape", 11) == 0;
    return built(c, r, &cerr, about_escape ? e->u.like.escape->span : e->u.like.pattern->span);
}

/* Bind the searched CASE conditions, each a BOOLEAN. */
static vg_expr **bind_conditions(bind_ctx *c, const vg_ast_list *l)
{
    vg_expr **xs = vg_arena_alloc(c->b->arena, (l->n ? l->n : 1) * sizeof *xs);
    if (!xs)
        return bind_nomem(c);
    for (uint32_t i = 0; i < l->n; i++) {
        const vg_ast *w = l->items[i];
        if (!(xs[i] = vg_bind_expr(c, w)))
            return NULL;
        vg_type t = vg_expr_type(xs[i]);
        if (!is_bool(t))
            return vg_bind_fail(c, VG_ERR_TYPE, w->span,
                                "CASE WHEN expects a BOOLEAN condition, got %s", vg_type_name(t));
        if (!(xs[i] = as_type(c, xs[i], VG_T_BOOL, w->span)))
            return NULL;
    }
    return xs;
}

/* Bind a THEN or ELSE branch and fold its type into *rt. */
static vg_expr *bind_branch(bind_ctx *c, const vg_ast *a, vg_type *rt)
{
    vg_expr *x = vg_bind_expr(c, a);
    if (!x)
        return NULL;
    vg_type prev = *rt, bt = vg_expr_type(x);
    if (!vg_type_common(prev, bt, rt))
        return vg_bind_fail(c, VG_ERR_TYPE, a->span,
                            "CASE branches have incompatible types %s and %s", vg_type_name(prev),
                            vg_type_name(bt));
    return x;
}

static vg_expr *bind_case(bind_ctx *c, const vg_ast *e)
{
    uint32_t n = e->u.kase.whens.n;
    vg_expr *operand = NULL, *else_ = NULL, **whens;
    if (e->u.kase.operand) {
        if (!(operand = vg_bind_expr(c, e->u.kase.operand)))
            return NULL;
        vg_type wt = vg_expr_type(operand);
        if (wt == VG_T_ARRAY)
            return vg_bind_fail(c, VG_ERR_TYPE, e->u.kase.operand->span, ARRAY_CMP_MSG);
        whens = bind_unified(c, e->u.kase.whens.items, n, &wt);
        if (!whens || !(operand = as_type(c, operand, wt, e->u.kase.operand->span)))
            return NULL;
    } else if (!(whens = bind_conditions(c, &e->u.kase.whens))) {
        return NULL;
    }
    vg_expr **thens = vg_arena_alloc(c->b->arena, (n ? n : 1) * sizeof *thens);
    if (!thens)
        return bind_nomem(c);
    vg_type rt = VG_T_NULL;
    for (uint32_t i = 0; i < n; i++)
        if (!(thens[i] = bind_branch(c, e->u.kase.thens.items[i], &rt)))
            return NULL;
    if (e->u.kase.else_ && !(else_ = bind_branch(c, e->u.kase.else_, &rt)))
        return NULL;
    for (uint32_t i = 0; i < n; i++)
        if (!(thens[i] = as_type(c, thens[i], rt, e->u.kase.thens.items[i]->span)))
            return NULL;
    if (else_ && !(else_ = as_type(c, else_, rt, e->u.kase.else_->span)))
        return NULL;
    CERR(cerr);
    return built(c, vg_expr_new_case(c->b->pool, rt, operand, whens, thens, n, else_, &cerr), &cerr,
                 e->span);
}

/* ---- calls ---- */

/* Aggregate and window functions: known names, not callable yet. */
static const char *const aggregate_names[] = {
    "APPROX_COUNT_DISTINCT",
    "AVG",
    "COLLECT",
    "COUNT",
    "CUME_DIST",
    "DENSE_RANK",
    "FIRST_VALUE",
    "LAG",
    "LAST_VALUE",
    "LEAD",
    "LISTAGG",
    "MAX",
    "MIN",
    "NTILE",
    "PERCENT_RANK",
    "RANK",
    "ROW_NUMBER",
    "STDDEV_POP",
    "STDDEV_SAMP",
    "SUM",
    "VAR_POP",
    "VAR_SAMP",
};

static bool is_aggregate(const char *name)
{
    for (size_t i = 0; i < sizeof aggregate_names / sizeof aggregate_names[0]; i++)
        if (strcasecmp(name, aggregate_names[i]) == 0)
            return true;
    return false;
}

static vg_expr *bind_arg(bind_ctx *c, const vg_ast *a)
{
    if (a->kind == VG_AST_TIMEUNIT) {
        const char *u = vg_time_unit_name(a->u.timeunit.unit);
        return constant(c, VG_T_STRING, vg_str(u, (uint32_t)strlen(u)), a->span);
    }
    if (a->kind == VG_AST_STAR)
        return vg_bind_fail(c, VG_ERR_SEMANTIC, a->span, "'*' is only allowed in COUNT(*)");
    return vg_bind_expr(c, a);
}

/* The span of call argument i (or of the call when i < 0). */
static vg_span arg_span(const vg_ast *e, int i)
{
    return i >= 0 && (uint32_t)i < e->u.call.args.n ? e->u.call.args.items[i]->span : e->span;
}

static vg_expr *bind_call(bind_ctx *c, const vg_ast *e)
{
    const vg_ident *name = &e->u.call.name;
    if (e->u.call.over)
        return vg_bind_fail(c, VG_ERR_SEMANTIC, e->u.call.over->span, "OVER is not supported yet");
    if (e->u.call.filter)
        return vg_bind_fail(c, VG_ERR_SEMANTIC, e->u.call.filter->span,
                            "FILTER is not supported yet");
    const vg_func *fn = vg_func_lookup(name->name);
    if (!fn && is_aggregate(name->name))
        return vg_bind_fail(c, VG_ERR_SEMANTIC, name->span,
                            "aggregate function '%s' is not supported yet", name->name);
    if (!fn)
        return vg_bind_fail(c, VG_ERR_NAME, name->span, "unknown function '%s'", name->name);
    if (e->u.call.distinct)
        return vg_bind_fail(c, VG_ERR_SEMANTIC, e->span,
                            "DISTINCT in a function call is not supported yet");
    uint32_t n = e->u.call.args.n;
    vg_expr *args[VG_FN_MAXARGS];
    vg_fn_bind b;
    memset(&b, 0, sizeof b);
    b.nargs = n;
    for (uint32_t i = 0; i < n && i < VG_FN_MAXARGS; i++) {
        if (!(args[i] = bind_arg(c, e->u.call.args.items[i])))
            return NULL;
        b.argt[i] = vg_expr_type(args[i]);
        b.constv[i] = vg_expr_const_value(args[i]);
    }
    if (vg_func_check(fn, &b) < 0)
        return vg_bind_fail(c, VG_ERR_TYPE, arg_span(e, b.bad_arg), "%s", b.msg);
    for (uint32_t i = 0; i < n; i++) {
        if (!(args[i] = as_type(c, args[i], b.argt[i], arg_span(e, (int)i))))
            return NULL;
        b.argt[i] = vg_expr_type(args[i]);
        b.constv[i] = vg_expr_const_value(args[i]);
    }
    void *state = NULL;
    if (fn->prepare && !(state = fn->prepare(&b)) && (b.nomem || b.msg[0])) {
        if (b.nomem)
            return bind_nomem(c);
        return vg_bind_fail(c, VG_ERR_SEMANTIC, arg_span(e, b.bad_arg), "%s", b.msg);
    }
    CERR(cerr);
    return built(c, vg_expr_new_call(c->b->pool, fn, &b, args, state, &cerr), &cerr, e->span);
}

/* ---- dispatch ---- */

vg_expr *vg_bind_expr(bind_ctx *c, const vg_ast *e)
{
    switch (e->kind) {
    case VG_AST_LITERAL:
        return bind_literal(c, e);
    case VG_AST_COLUMN:
        return bind_column(c, e);
    case VG_AST_UNARY:
        return bind_unary(c, e);
    case VG_AST_BINARY:
        return bind_binary(c, e);
    case VG_AST_IS:
        return bind_is(c, e);
    case VG_AST_IN:
        return bind_in(c, e);
    case VG_AST_BETWEEN:
        return bind_between(c, e);
    case VG_AST_LIKE:
        return bind_like(c, e);
    case VG_AST_CASE:
        return bind_case(c, e);
    case VG_AST_CAST:
        return bind_cast(c, e);
    case VG_AST_CALL:
        return bind_call(c, e);
    case VG_AST_STAR:
        return vg_bind_fail(c, VG_ERR_SEMANTIC, e->span, "'*' is not allowed here");
    case VG_AST_TIMEUNIT:
        return vg_bind_fail(c, VG_ERR_SEMANTIC, e->span, "a time unit is not allowed here");
    default:
        return vg_bind_fail(c, VG_ERR_SEMANTIC, e->span,
                            "subqueries in expressions are not supported");
    }
}
