/*
 * expr.c — building compiled expressions: the constructors the binder
 * calls, constant folding, and the release of prepared function state.
 *
 * Each constructor picks the node's evaluator from the operand
 * representation (expr_eval.c) and then folds: a strict node with a NULL
 * constant operand becomes a NULL constant, and a node whose operands are
 * all constant (and that calls nothing nondeterministic) is evaluated once,
 * here, with the pool's arena as scratch so its strings live with the plan.
 */
#include <string.h>

#include "engine/expr_int.h"

static void *oom(vg_error *err)
{
    vg_error_set(err, VG_ERR_NOMEM, "out of memory");
    return NULL;
}

/* ---- the pool ---- */

vg_expr_pool *vg_expr_pool_new(vg_arena *a)
{
    vg_expr_pool *p = vg_arena_calloc(a, sizeof *p);
    if (p)
        p->arena = a;
    return p;
}

vg_arena *vg_expr_pool_arena(const vg_expr_pool *p) { return p->arena; }

static void release_call(vg_expr *e)
{
    if (e->u.call.state && e->u.call.fn->release)
        e->u.call.fn->release(e->u.call.state);
    e->u.call.state = NULL;
}

void vg_expr_pool_release(vg_expr_pool *p)
{
    if (!p)
        return;
    for (vg_expr *e = p->prepared; e; e = e->u.call.next)
        release_call(e);
}

void vg_expr_release(vg_expr *e)
{
    if (!e)
        return;
    if (e->kind == VG_XK_CALL)
        release_call(e);
    for (uint32_t i = 0; i < e->nargs; i++)
        vg_expr_release(e->args[i]);
}

/* ---- accessors ---- */

vg_type vg_expr_type(const vg_expr *e) { return e->type; }

bool vg_expr_is_const(const vg_expr *e) { return e->kind == VG_XK_CONST; }

const vg_value *vg_expr_const_value(const vg_expr *e)
{
    return e->kind == VG_XK_CONST ? &e->u.value : NULL;
}

int32_t vg_expr_column_slot(const vg_expr *e)
{
    return e->kind == VG_XK_COLUMN ? (int32_t)e->u.slot : -1;
}

/* ---- nodes ---- */

static vg_expr *node_new(vg_expr_pool *p, vg_expr_kind kind, vg_type type, uint32_t nargs,
                         vg_error *err)
{
    vg_expr *e = vg_arena_calloc(p->arena, sizeof *e);
    vg_expr **args = nargs ? vg_arena_alloc(p->arena, nargs * sizeof *args) : NULL;
    if (!e || (nargs && !args))
        return oom(err);
    e->kind = (uint8_t)kind;
    e->type = type;
    e->nargs = nargs;
    e->args = args;
    return e;
}

vg_expr *vg_expr_new_const(vg_expr_pool *p, vg_type t, const vg_value *v, vg_error *err)
{
    vg_expr *e = node_new(p, VG_XK_CONST, t, 0, err);
    if (!e)
        return NULL;
    e->eval = vg_expr_eval_const;
    e->repr = (uint8_t)vg_expr_repr(t);
    e->u.value = v->null ? vg_null() : *v;
    if (!v->null && t == VG_T_STRING && v->len) {
        char *s = vg_arena_strndup(p->arena, v->u.s, v->len);
        if (!s)
            return oom(err);
        e->u.value.u.s = s;
    }
    if (!v->null && t == VG_T_ARRAY) {
        double *d = vg_array_new(p->arena, v->len, &e->u.value);
        if (!d)
            return oom(err);
        memcpy(d, v->u.a, vg_array_bytes(v->len));
    }
    return e;
}

/* Whether an operand of type t may be compared: ARRAYs may not (the binder
 * refuses them first; this keeps a pointer from being compared). */
static bool comparable(vg_type t, vg_error *err)
{
    if (t != VG_T_ARRAY)
        return true;
    vg_error_set(err, VG_ERR_TYPE, "cannot compare ARRAY<DOUBLE> values");
    return false;
}

vg_expr *vg_expr_new_column(vg_expr_pool *p, uint32_t slot, vg_type t, vg_error *err)
{
    vg_expr *e = node_new(p, VG_XK_COLUMN, t, 0, err);
    if (!e)
        return NULL;
    e->eval = vg_expr_eval_column;
    e->repr = (uint8_t)vg_expr_repr(t);
    e->u.slot = slot;
    return e;
}

/* Fold e when it can be: nstrict leading operands make it NULL when one of
 * them is a NULL constant; all-constant operands make it a constant. */
static vg_expr *finish(vg_expr_pool *p, vg_expr *e, uint32_t nstrict, vg_error *err)
{
    bool all_const = true;
    for (uint32_t i = 0; i < e->nargs; i++) {
        const vg_expr *a = e->args[i];
        if (a->kind != VG_XK_CONST)
            all_const = false;
        else if (i < nstrict && a->u.value.null)
            return vg_expr_new_const(p, e->type, &a->u.value, err);
    }
    if (!all_const)
        return e;
    if (e->kind == VG_XK_CALL && (e->u.call.fn->flags & VG_FN_NONDETERMINISTIC))
        return e;
    vg_error ferr;
    vg_error_clear(&ferr);
    vg_eval_ctx ctx = {p->arena, &ferr};
    vg_value v;
    e->eval(e, NULL, &ctx, &v);
    if (vg_error_is_set(&ferr))
        return oom(err);
    return vg_expr_new_const(p, e->type, &v, err);
}

/* The representation operands of types a and b are compared in. */
static vg_repr operand_repr(vg_type a, vg_type b) { return vg_expr_repr(a != VG_T_NULL ? a : b); }

vg_expr *vg_expr_new_cast(vg_expr_pool *p, vg_expr *arg, vg_type to, bool try_, bool implicit,
                          vg_error *err)
{
    vg_cast_fn fn = vg_cast_find(arg->type, to);
    if (!fn) {
        vg_error_set(err, VG_ERR_TYPE, "cannot cast %s to %s", vg_type_name(arg->type),
                     vg_type_name(to));
        return NULL;
    }
    if (arg->type == to)
        return arg;
    vg_expr *e = node_new(p, VG_XK_CAST, to, 1, err);
    if (!e)
        return NULL;
    e->eval = vg_expr_eval_cast;
    e->args[0] = arg;
    e->u.cast = fn;
    e->flags = (uint8_t)((try_ ? VG_XF_TRY : 0) | (implicit ? VG_XF_IMPLICIT : 0));
    return finish(p, e, 1, err);
}

/* The SQL text of an operator, for messages and EXPLAIN. */
static const char *const op_names[] = {
    [VG_XOP_ADD] = "+",   [VG_XOP_SUB] = "-",     [VG_XOP_MUL] = "*",   [VG_XOP_DIV] = "/",
    [VG_XOP_MOD] = "%",   [VG_XOP_CONCAT] = "||", [VG_XOP_EQ] = "=",    [VG_XOP_NE] = "<>",
    [VG_XOP_LT] = "<",    [VG_XOP_LE] = "<=",     [VG_XOP_GT] = ">",    [VG_XOP_GE] = ">=",
    [VG_XOP_AND] = "AND", [VG_XOP_OR] = "OR",     [VG_XOP_NOT] = "NOT", [VG_XOP_NEG] = "-",
};

const char *vg_expr_op_name(vg_expr_op op)
{
    return (unsigned)op < sizeof op_names / sizeof op_names[0] ? op_names[op] : "?";
}

vg_expr *vg_expr_new_unary(vg_expr_pool *p, vg_expr_op op, vg_expr *arg, vg_error *err)
{
    vg_repr r = vg_expr_repr(arg->type);
    vg_expr_eval_fn fn = vg_expr_unary_fn(op, r);
    if (!fn) {
        vg_error_set(err, VG_ERR_TYPE, "cannot apply '%s' to %s", vg_expr_op_name(op),
                     vg_type_name(arg->type));
        return NULL;
    }
    vg_expr *e = node_new(p, VG_XK_UNARY, op == VG_XOP_NOT ? VG_T_BOOL : arg->type, 1, err);
    if (!e)
        return NULL;
    e->eval = fn;
    e->op = (uint8_t)op;
    e->repr = (uint8_t)r;
    e->args[0] = arg;
    return finish(p, e, 1, err);
}

vg_expr *vg_expr_new_binary(vg_expr_pool *p, vg_expr_op op, vg_type type, vg_expr *l, vg_expr *r,
                            vg_error *err)
{
    vg_repr repr = op <= VG_XOP_MOD      ? vg_expr_repr(type)
                   : op == VG_XOP_CONCAT ? VG_REPR_STR
                                         : operand_repr(l->type, r->type);
    vg_expr_eval_fn fn = vg_expr_binary_fn(op, repr);
    if (!comparable(l->type, err) || !comparable(r->type, err))
        return NULL;
    if (!fn) {
        vg_error_set(err, VG_ERR_TYPE, "cannot apply '%s' to %s and %s", vg_expr_op_name(op),
                     vg_type_name(l->type), vg_type_name(r->type));
        return NULL;
    }
    vg_expr *e = node_new(p, VG_XK_BINARY, type, 2, err);
    if (!e)
        return NULL;
    e->eval = fn;
    e->op = (uint8_t)op;
    e->repr = (uint8_t)repr;
    e->args[0] = l;
    e->args[1] = r;
    bool logic = op == VG_XOP_AND || op == VG_XOP_OR;
    e = finish(p, e, logic ? 0 : 2, err);
    if (e && e->kind == VG_XK_BINARY && l->kind == VG_XK_COLUMN && r->kind == VG_XK_CONST &&
        !r->u.value.null && vg_expr_compare_const_fn(op, repr))
        e->eval = vg_expr_compare_const_fn(op, repr);
    return e;
}

vg_expr *vg_expr_new_is(vg_expr_pool *p, vg_expr *arg, vg_expr_is what, bool negated, vg_error *err)
{
    vg_expr *e = node_new(p, VG_XK_IS, VG_T_BOOL, 1, err);
    if (!e)
        return NULL;
    e->eval = vg_expr_eval_is;
    e->op = (uint8_t)what;
    e->flags = negated ? VG_XF_NEGATED : 0;
    e->args[0] = arg;
    return finish(p, e, 0, err);
}

/* Sort a small constant set (insertion sort: plan time, tens of items). */
static void sort_set(vg_value *v, uint32_t n, vg_repr r)
{
    for (uint32_t i = 1; i < n; i++) {
        vg_value x = v[i];
        uint32_t j = i;
        for (; j > 0 && vg_expr_cmp(r, &v[j - 1], &x) > 0; j--)
            v[j] = v[j - 1];
        v[j] = x;
    }
}

/* Give an IN node whose items are all constant its value set. */
static int in_make_set(vg_expr_pool *p, vg_expr *e, vg_error *err)
{
    uint32_t n = e->nargs - 1;
    vg_value *set = vg_arena_alloc(p->arena, (n ? n : 1) * sizeof *set);
    if (!set) {
        oom(err);
        return -1;
    }
    uint32_t k = 0;
    for (uint32_t i = 1; i <= n; i++) {
        const vg_value *v = &e->args[i]->u.value;
        if (v->null)
            e->flags |= VG_XF_SET_NULL;
        else
            set[k++] = *v;
    }
    e->u.in.set = set;
    e->u.in.nset = k;
    e->u.in.sorted = k >= 8;
    if (e->u.in.sorted)
        sort_set(set, k, (vg_repr)e->repr);
    e->eval = vg_expr_eval_in_set;
    return 0;
}

vg_expr *vg_expr_new_in(vg_expr_pool *p, vg_expr *arg, vg_expr *const *items, uint32_t n,
                        bool negated, vg_error *err)
{
    for (uint32_t i = 0; i < n; i++)
        if (!comparable(items[i]->type, err))
            return NULL;
    if (!comparable(arg->type, err))
        return NULL;
    vg_expr *e = node_new(p, VG_XK_IN, VG_T_BOOL, n + 1, err);
    if (!e)
        return NULL;
    e->eval = vg_expr_eval_in;
    e->flags = negated ? VG_XF_NEGATED : 0;
    e->args[0] = arg;
    vg_type t = arg->type;
    bool all_const = true;
    for (uint32_t i = 0; i < n; i++) {
        e->args[i + 1] = items[i];
        if (t == VG_T_NULL)
            t = items[i]->type;
        all_const = all_const && items[i]->kind == VG_XK_CONST;
    }
    e->repr = (uint8_t)vg_expr_repr(t);
    if (all_const && in_make_set(p, e, err) < 0)
        return NULL;
    return finish(p, e, 1, err);
}

vg_expr *vg_expr_new_between(vg_expr_pool *p, vg_expr *arg, vg_expr *lo, vg_expr *hi, bool negated,
                             bool symmetric, vg_error *err)
{
    if (!comparable(arg->type, err) || !comparable(lo->type, err) || !comparable(hi->type, err))
        return NULL;
    vg_expr *e = node_new(p, VG_XK_BETWEEN, VG_T_BOOL, 3, err);
    if (!e)
        return NULL;
    e->eval = vg_expr_eval_between;
    e->flags = (uint8_t)((negated ? VG_XF_NEGATED : 0) | (symmetric ? VG_XF_SYMMETRIC : 0));
    vg_type t = arg->type != VG_T_NULL ? arg->type : lo->type != VG_T_NULL ? lo->type : hi->type;
    e->repr = (uint8_t)vg_expr_repr(t);
    e->args[0] = arg;
    e->args[1] = lo;
    e->args[2] = hi;
    return finish(p, e, 1, err);
}

/* Compile the pattern of a LIKE node whose pattern and escape are constant. */
static int like_compile(vg_expr_pool *p, vg_expr *e, vg_error *err)
{
    const vg_value *pat = vg_expr_const_value(e->args[1]);
    const vg_value *esc = e->nargs > 2 ? vg_expr_const_value(e->args[2]) : NULL;
    if (!pat || pat->null || (e->nargs > 2 && (!esc || esc->null)))
        return 0;
    int c = VG_LIKE_NO_ESCAPE;
    if (esc) {
        if (esc->len != 1) {
            vg_error_set(err, VG_ERR_SEMANTIC, "LIKE escape must be a single character, got '%.*s'",
                         (int)(esc->len > 50 ? 50 : esc->len), esc->u.s);
            return -1;
        }
        c = (unsigned char)esc->u.s[0];
    }
    char msg[200];
    e->u.like = vg_like_compile(pat->len ? pat->u.s : "", pat->len, c, p->arena, msg, sizeof msg);
    if (e->u.like)
        return 0;
    if (msg[0])
        vg_error_set(err, VG_ERR_SEMANTIC, "%s", msg);
    else
        oom(err);
    return -1;
}

vg_expr *vg_expr_new_like(vg_expr_pool *p, vg_expr *arg, vg_expr *pattern, vg_expr *escape,
                          bool negated, vg_error *err)
{
    vg_expr *e = node_new(p, VG_XK_LIKE, VG_T_BOOL, escape ? 3 : 2, err);
    if (!e)
        return NULL;
    e->eval = vg_expr_eval_like;
    e->flags = negated ? VG_XF_NEGATED : 0;
    e->args[0] = arg;
    e->args[1] = pattern;
    if (escape)
        e->args[2] = escape;
    if (like_compile(p, e, err) < 0)
        return NULL;
    return finish(p, e, e->nargs, err);
}

vg_expr *vg_expr_new_case(vg_expr_pool *p, vg_type type, vg_expr *operand, vg_expr *const *whens,
                          vg_expr *const *thens, uint32_t n, vg_expr *else_, vg_error *err)
{
    uint32_t nargs = (operand ? 1 : 0) + 2 * n + (else_ ? 1 : 0), k = 0;
    if (operand && !comparable(operand->type, err))
        return NULL;
    vg_expr *e = node_new(p, VG_XK_CASE, type, nargs, err);
    if (!e)
        return NULL;
    e->eval = vg_expr_eval_case;
    e->flags = (uint8_t)((operand ? VG_XF_OPERAND : 0) | (else_ ? VG_XF_ELSE : 0));
    vg_type ct = operand ? operand->type : VG_T_BOOL;
    if (operand)
        e->args[k++] = operand;
    for (uint32_t i = 0; i < n; i++) {
        e->args[k++] = whens[i];
        e->args[k++] = thens[i];
        if (ct == VG_T_NULL)
            ct = whens[i]->type;
    }
    if (else_)
        e->args[k++] = else_;
    e->repr = (uint8_t)vg_expr_repr(ct);
    return finish(p, e, 0, err);
}

vg_expr *vg_expr_new_call(vg_expr_pool *p, const vg_func *fn, const vg_fn_bind *b,
                          vg_expr *const *args, void *state, vg_error *err)
{
    uint32_t n = b->nargs;
    vg_expr *e = n <= VG_FN_MAXARGS && b->eval ? node_new(p, VG_XK_CALL, b->ret, n, err) : NULL;
    if (!e) {
        if (state && fn->release)
            fn->release(state);
        if (n > VG_FN_MAXARGS || !b->eval)
            vg_error_set(err, VG_ERR_SEMANTIC, "function %s cannot be called with these arguments",
                         fn->name);
        return NULL;
    }
    e->eval = vg_expr_eval_call;
    e->u.call.fn = fn;
    e->u.call.eval = b->eval;
    e->u.call.state = state;
    if (state) {
        e->u.call.next = p->prepared;
        p->prepared = e;
    }
    for (uint32_t i = 0; i < n; i++)
        e->args[i] = args[i];
    return finish(p, e, (fn->flags & VG_FN_STRICT) ? n : 0, err);
}
