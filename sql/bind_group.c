/*
 * bind_group.c — updating aggregates: GROUP BY without a window, HAVING,
 * an aggregate without GROUP BY, and SELECT DISTINCT (Flink's GroupAggregate).
 *
 *   SELECT k, COUNT(*) AS n, SUM(x) FILTER (WHERE ok) / COUNT(*) AS avg_ok
 *   FROM t [WHERE ...] GROUP BY k [, expression ...] [HAVING ...]
 *
 * becomes, bottom up:
 *
 *   [PROJECT: WHERE, t's columns, then one column per GROUP BY expression]
 *     ->  GROUP: the keys, then one column per distinct aggregate call
 *     ->  PROJECT: the select list, with HAVING as its filter
 *
 * The GROUP relation is an updating table: its operator (engine/op_group.c)
 * emits Flink's changelog on every input row (+I for a new key, -U/+U for a
 * change, -D when a key's last row is retracted). HAVING is the filter of
 * the projection above it, so it filters that changelog message by message,
 * as Flink's Calc does: a group that stops satisfying HAVING shows its -U
 * and no +U. Without GROUP BY (but with aggregates or HAVING) the keys are
 * empty: one group, Flink's global aggregate.
 *
 * The select list and HAVING are bound over the GROUP relation by the
 * ordinary expression binder, each aggregate call and each GROUP BY
 * expression replaced by a hidden column that stands for it (as in
 * bind_wgroup.c; hidden names are not valid UTF-8, so no SQL can name one).
 * A GROUP BY expression is recognised in the select list by structure
 * (columns compared by the slot they name), as Calcite does. Any other
 * column used outside an aggregate must be a GROUP BY column.
 *
 * SELECT DISTINCT a, b is Flink's GROUP BY a, b without aggregates: a GROUP
 * relation over the bound select list, keyed by all of its columns.
 */
#include <string.h>
#include <strings.h>

#include "sql/binder_int.h"
#include "udf/agg.h"

#define FAIL(...) (vg_bind_fail(__VA_ARGS__), -1)

static int nomem(bind_ctx *c) { return vg_error_set(c->err, VG_ERR_NOMEM, "out of memory"); }

/* ---- walking expressions ---- */

int vg_bind_each_child(const vg_ast *e, vg_bind_child_fn fn, void *arg)
{
    vg_ast *const *one[4] = {NULL, NULL, NULL, NULL};
    const vg_ast_list *lists[2] = {NULL, NULL};
    switch (e->kind) {
    case VG_AST_UNARY:
        one[0] = &e->u.unary.arg;
        break;
    case VG_AST_BINARY:
        one[0] = &e->u.binary.left;
        one[1] = &e->u.binary.right;
        break;
    case VG_AST_IS:
        one[0] = &e->u.is.arg;
        break;
    case VG_AST_IN:
        one[0] = &e->u.in.arg;
        lists[0] = &e->u.in.list;
        break;
    case VG_AST_BETWEEN:
        one[0] = &e->u.between.arg;
        one[1] = &e->u.between.lo;
        one[2] = &e->u.between.hi;
        break;
    case VG_AST_LIKE:
        one[0] = &e->u.like.arg;
        one[1] = &e->u.like.pattern;
        one[2] = &e->u.like.escape;
        break;
    case VG_AST_CASE:
        one[0] = &e->u.kase.operand;
        one[1] = &e->u.kase.else_;
        lists[0] = &e->u.kase.whens;
        lists[1] = &e->u.kase.thens;
        break;
    case VG_AST_CAST:
        one[0] = &e->u.cast.arg;
        break;
    case VG_AST_CALL:
        lists[0] = &e->u.call.args;
        one[0] = &e->u.call.filter;
        break;
    default:
        break;
    }
    for (int i = 0; i < 4; i++)
        if (one[i] && *one[i]) {
            int rc = fn(arg, one[i]);
            if (rc)
                return rc;
        }
    for (int l = 0; l < 2; l++)
        for (uint32_t i = 0; lists[l] && i < lists[l]->n; i++) {
            int rc = fn(arg, &lists[l]->items[i]);
            if (rc)
                return rc;
        }
    return 0;
}

static const vg_agg *aggregate_of(const vg_ast *e)
{
    return e->kind == VG_AST_CALL ? vg_agg_lookup(e->u.call.name.name) : NULL;
}

/* What scan finds in an expression: aggregate calls without OVER, and
 * calls with OVER. */
typedef struct scan_arg {
    bool agg, over;
} scan_arg;

static int scan_fn(void *arg, vg_ast *const *slot)
{
    scan_arg *s = arg;
    const vg_ast *e = *slot;
    if (e->kind == VG_AST_CALL) {
        s->over |= e->u.call.over != NULL;
        s->agg |= !e->u.call.over && aggregate_of(e);
    }
    return vg_bind_each_child(e, scan_fn, arg);
}

bool vg_bind_group_wanted(const vg_ast *q)
{
    if (q->u.select.nwindows)
        return false;
    scan_arg s = {false, false};
    for (uint32_t i = 0; i < q->u.select.nitems; i++) {
        vg_ast *e = q->u.select.items[i].expr;
        scan_fn(&s, &e);
    }
    return s.agg && !s.over;
}

/* The first call with OVER in e, or NULL. */
static int first_over_fn(void *arg, vg_ast *const *slot);

bool vg_rel_updating(const vg_rel *r)
{
    for (; r; r = r->input) {
        if (r->kind == VG_REL_GROUP)
            return true;
        if (r->kind == VG_REL_RANK)
            return r->u.rank.mode != VG_RANK_FIRST_ROW;
        if (r->kind == VG_REL_SOURCE || r->kind == VG_REL_WINDOW)
            return false;
    }
    return false;
}

/* The GROUP or RANK relation r reads through projections and OVER, or NULL. */
static const vg_rel *keyed_below(const vg_rel *r)
{
    for (; r && (r->kind == VG_REL_PROJECT || r->kind == VG_REL_OVER); r = r->input)
        ;
    return r && (r->kind == VG_REL_GROUP || r->kind == VG_REL_RANK) ? r : NULL;
}

int vg_bind_over_keyed(bind_ctx *c, const vg_ast *q, const vg_rel *in)
{
    const vg_rel *k = keyed_below(in);
    if (!k)
        return 0;
    const vg_ast *o = NULL;
    for (uint32_t i = 0; i < q->u.select.nitems && !o; i++) {
        vg_ast *e = q->u.select.items[i].expr;
        first_over_fn(&o, &e);
    }
    vg_span sp = o                      ? o->u.call.over->span
                 : q->u.select.nwindows ? q->u.select.window_span
                                        : q->span;
    if (vg_rel_updating(in))
        return FAIL(c, VG_ERR_SEMANTIC, sp,
                    "OVER aggregates cannot read an updating table (a GROUP BY, DISTINCT or Top-N "
                    "result): they need an append-only input");
    return FAIL(c, VG_ERR_SEMANTIC, sp,
                "OVER aggregates cannot read a first-row deduplication: its rows come out when "
                "the watermark passes them, so they have no event-time column");
}

/* ---- the state of one GROUP BY ---- */

/* One GROUP BY key. */
typedef struct gkey {
    const vg_ast *ast; /* its GROUP BY item */
    int32_t col;       /* a column key: its slot in the input; -1 for an expression */
    vg_expr *x;        /* an expression key: it, over the input */
    uint32_t slot;     /* its slot in the GROUP relation's input */
} gkey;

/* One aggregate column of the GROUP relation. */
typedef struct gagg {
    vg_plan_agg agg;
    const char *name; /* its column's name: the select item's alias, or $aggN */
    const char *sig;  /* the call's text, to share identical calls */
} gagg;

/* An aggregate call of the select list or HAVING, and its column. */
typedef struct gcall {
    const vg_ast *call;
    uint32_t index; /* into aggs */
} gcall;

typedef struct grp {
    bind_ctx *c;     /* c->scope: the input's columns */
    const vg_ast *q; /* the SELECT */
    uint32_t nin;    /* columns of the input */
    gkey *keys;
    uint32_t nkeys;
    uint32_t nexpr; /* expression keys, columns nin .. of the pre-projection */
    gagg *aggs;
    uint32_t naggs, acap;
    gcall *calls;
    uint32_t ncalls, ccap;
    vg_schema out_schema; /* the GROUP relation's columns, names hidden but column keys' */
    bind_scope out_scope; /* what the select list and HAVING bind in */
} grp;

/* Grow an arena array of *cap elements of size sz to hold n + 1. */
static void *grow(bind_ctx *c, void *arr, uint32_t n, uint32_t *cap, size_t sz)
{
    if (n < *cap)
        return arr;
    uint32_t ncap = *cap ? *cap * 2 : 8;
    void *na = vg_arena_alloc(c->b->arena, ncap * sz);
    if (!na)
        return NULL;
    if (n)
        memcpy(na, arr, n * sz);
    *cap = ncap;
    return na;
}

/* The input slot column e names, or -1 with the error set. */
static int resolve(grp *g, const vg_ast *e)
{
    bind_ctx *c = g->c;
    const vg_ident *q = &e->u.column.qualifier;
    if (q->name && (!c->scope->alias || strcmp(c->scope->alias, q->name) != 0))
        return FAIL(c, VG_ERR_NAME, q->span, "unknown table alias '%s'", q->name);
    return vg_bind_find_column(c, q->name, e->u.column.name.name,
                               q->name ? e->span : e->u.column.name.span);
}

/* The input slot column e names, or -1 (no error) when it names none. */
static int peek(const grp *g, const vg_ast *e)
{
    const bind_scope *s = g->c->scope;
    const char *q = e->u.column.qualifier.name;
    if (q && (!s->alias || strcmp(s->alias, q) != 0))
        return -1;
    int found = -1;
    for (uint32_t i = 0; i < s->schema->ncols; i++)
        if (strcmp(s->schema->cols[i].name, e->u.column.name.name) == 0) {
            if (found >= 0)
                return -1;
            found = (int)i;
        }
    return found;
}

/* ---- expressions of the same structure ---- */

static bool same(const grp *g, const vg_ast *a, const vg_ast *b);

static bool same_opt(const grp *g, const vg_ast *a, const vg_ast *b)
{
    return (!a && !b) || (a && b && same(g, a, b));
}

static bool same_list(const grp *g, const vg_ast_list *a, const vg_ast_list *b)
{
    if (a->n != b->n)
        return false;
    for (uint32_t i = 0; i < a->n; i++)
        if (!same(g, a->items[i], b->items[i]))
            return false;
    return true;
}

static bool same_literal(const vg_ast *a, const vg_ast *b)
{
    return a->u.lit.kind == b->u.lit.kind && a->u.lit.ival == b->u.lit.ival &&
           memcmp(&a->u.lit.dval, &b->u.lit.dval, sizeof a->u.lit.dval) == 0 &&
           a->u.lit.len == b->u.lit.len &&
           (!a->u.lit.len || memcmp(a->u.lit.str, b->u.lit.str, a->u.lit.len) == 0);
}

static bool same_call(const grp *g, const vg_ast *a, const vg_ast *b)
{
    return strcasecmp(a->u.call.name.name, b->u.call.name.name) == 0 &&
           a->u.call.distinct == b->u.call.distinct && !a->u.call.over && !b->u.call.over &&
           same_list(g, &a->u.call.args, &b->u.call.args) &&
           same_opt(g, a->u.call.filter, b->u.call.filter);
}

/* Whether a and b are the same expression: same structure, columns naming
 * the same input slot. */
static bool same(const grp *g, const vg_ast *a, const vg_ast *b)
{
    if (a->kind != b->kind)
        return false;
    switch (a->kind) {
    case VG_AST_LITERAL:
        return same_literal(a, b);
    case VG_AST_COLUMN: {
        int sa = peek(g, a);
        return sa >= 0 && sa == peek(g, b);
    }
    case VG_AST_UNARY:
        return a->u.unary.op == b->u.unary.op && same(g, a->u.unary.arg, b->u.unary.arg);
    case VG_AST_BINARY:
        return a->u.binary.op == b->u.binary.op && same(g, a->u.binary.left, b->u.binary.left) &&
               same(g, a->u.binary.right, b->u.binary.right);
    case VG_AST_IS:
        return a->u.is.what == b->u.is.what && a->u.is.negated == b->u.is.negated &&
               same(g, a->u.is.arg, b->u.is.arg);
    case VG_AST_IN:
        return a->u.in.negated == b->u.in.negated && same(g, a->u.in.arg, b->u.in.arg) &&
               same_list(g, &a->u.in.list, &b->u.in.list);
    case VG_AST_BETWEEN:
        return a->u.between.negated == b->u.between.negated &&
               a->u.between.symmetric == b->u.between.symmetric &&
               same(g, a->u.between.arg, b->u.between.arg) &&
               same(g, a->u.between.lo, b->u.between.lo) &&
               same(g, a->u.between.hi, b->u.between.hi);
    case VG_AST_LIKE:
        return a->u.like.negated == b->u.like.negated && same(g, a->u.like.arg, b->u.like.arg) &&
               same(g, a->u.like.pattern, b->u.like.pattern) &&
               same_opt(g, a->u.like.escape, b->u.like.escape);
    case VG_AST_CASE:
        return same_opt(g, a->u.kase.operand, b->u.kase.operand) &&
               same_list(g, &a->u.kase.whens, &b->u.kase.whens) &&
               same_list(g, &a->u.kase.thens, &b->u.kase.thens) &&
               same_opt(g, a->u.kase.else_, b->u.kase.else_);
    case VG_AST_CAST:
        return a->u.cast.to.type == b->u.cast.to.type && a->u.cast.try_ == b->u.cast.try_ &&
               same(g, a->u.cast.arg, b->u.cast.arg);
    case VG_AST_CALL:
        return same_call(g, a, b);
    case VG_AST_TIMEUNIT:
        return a->u.timeunit.unit == b->u.timeunit.unit;
    default:
        return false;
    }
}

/* The expression key e is, or NULL. */
static const gkey *expr_key(const grp *g, const vg_ast *e)
{
    for (uint32_t i = 0; i < g->nkeys; i++)
        if (g->keys[i].col < 0 && same(g, g->keys[i].ast, e))
            return &g->keys[i];
    return NULL;
}

/* ---- GROUP BY ---- */

static const vg_ast *first_over(const vg_ast *e)
{
    if (e->kind == VG_AST_CALL && e->u.call.over)
        return e;
    const vg_ast *found = NULL;
    vg_bind_each_child(e, first_over_fn, &found);
    return found;
}

static int first_over_fn(void *arg, vg_ast *const *slot)
{
    return (*(const vg_ast **)arg = first_over(*slot)) != NULL;
}

/* A GROUP BY item that is not a column: bound over the input. */
static int bind_expr_key(grp *g, const vg_ast *item, gkey *k)
{
    const vg_ast *o = first_over(item);
    if (o)
        return FAIL(g->c, VG_ERR_SEMANTIC, o->u.call.over->span, "OVER is not allowed in GROUP BY");
    if (vg_bind_no_aggregates(g->c, item, "GROUP BY") < 0 || !(k->x = vg_bind_expr(g->c, item)))
        return -1;
    k->col = -1;
    k->slot = g->nin + g->nexpr++;
    return 0;
}

static int bind_keys(grp *g)
{
    const vg_ast_list *l = &g->q->u.select.group_by;
    g->keys = vg_arena_alloc(g->c->b->arena, (l->n ? l->n : 1) * sizeof *g->keys);
    if (!g->keys)
        return nomem(g->c);
    for (uint32_t i = 0; i < l->n; i++) {
        const vg_ast *item = l->items[i];
        gkey *k = &g->keys[g->nkeys];
        memset(k, 0, sizeof *k);
        k->ast = item;
        bool dup = false;
        if (item->kind == VG_AST_COLUMN) {
            int slot = resolve(g, item);
            if (slot < 0)
                return -1;
            k->col = slot;
            k->slot = (uint32_t)slot;
            for (uint32_t j = 0; j < g->nkeys; j++)
                dup |= g->keys[j].col == slot; /* GROUP BY k, k */
        } else {
            if (expr_key(g, item))
                continue; /* GROUP BY f(k), f(k) */
            if (bind_expr_key(g, item, k) < 0)
                return -1;
        }
        if (!dup)
            g->nkeys++;
    }
    return 0;
}

/* ---- aggregate calls ---- */

/* x as type t, with an implicit cast when it is not already. */
static vg_expr *cast_to(bind_ctx *c, vg_expr *x, vg_type t, vg_span sp)
{
    if (vg_expr_type(x) == t || t == VG_T_NULL)
        return x;
    vg_error cerr;
    vg_error_clear(&cerr);
    vg_expr *r = vg_expr_new_cast(c->b->pool, x, t, false, true, &cerr);
    return r ? r : vg_bind_fail_from(c, &cerr, sp);
}

static vg_span arg_span(const vg_ast *e, int i)
{
    return i >= 0 && (uint32_t)i < e->u.call.args.n ? e->u.call.args.items[i]->span : e->span;
}

/* The first aggregate call or call with OVER in e, or NULL. */
static int first_special_fn(void *arg, vg_ast *const *slot);

static const vg_ast *first_special(const vg_ast *e)
{
    if (e->kind == VG_AST_CALL && (aggregate_of(e) || e->u.call.over))
        return e;
    const vg_ast *found = NULL;
    vg_bind_each_child(e, first_special_fn, &found);
    return found;
}

static int first_special_fn(void *arg, vg_ast *const *slot)
{
    return (*(const vg_ast **)arg = first_special(*slot)) != NULL;
}

/* An argument or FILTER of an aggregate: no aggregate, no OVER, bound over
 * the input. */
static vg_expr *bind_agg_part(grp *g, const vg_ast *e)
{
    const vg_ast *inner = first_special(e);
    if (inner && inner->u.call.over)
        return vg_bind_fail(g->c, VG_ERR_SEMANTIC, inner->u.call.over->span,
                            "OVER is not supported in a query with GROUP BY");
    if (inner)
        return vg_bind_fail(g->c, VG_ERR_SEMANTIC, inner->span,
                            "aggregate functions cannot be nested");
    return vg_bind_expr(g->c, e);
}

static int bind_agg_args(grp *g, const vg_ast *e, const vg_agg *a, vg_agg_bind *b, vg_expr **args)
{
    uint32_t n = e->u.call.args.n;
    b->nargs = n;
    b->distinct = e->u.call.distinct;
    if (n == 1 && e->u.call.args.items[0]->kind == VG_AST_STAR) {
        if (!a->count_star)
            return FAIL(g->c, VG_ERR_SEMANTIC, e->u.call.args.items[0]->span,
                        "'*' is only allowed in COUNT(*)");
        b->nargs = 0;
        return 0;
    }
    for (uint32_t i = 0; i < n && i < VG_AGG_MAXARGS; i++) {
        const vg_ast *x = e->u.call.args.items[i];
        if (x->kind == VG_AST_STAR)
            return FAIL(g->c, VG_ERR_SEMANTIC, x->span, "'*' is only allowed in COUNT(*)");
        if (!(args[i] = bind_agg_part(g, x)))
            return -1;
        b->argt[i] = vg_expr_type(args[i]);
    }
    return 0;
}

static int bind_filter(grp *g, const vg_ast *f, vg_expr **out)
{
    *out = NULL;
    if (!f)
        return 0;
    vg_expr *x = bind_agg_part(g, f);
    if (!x)
        return -1;
    vg_type t = vg_expr_type(x);
    if (t != VG_T_BOOL && t != VG_T_NULL)
        return FAIL(g->c, VG_ERR_TYPE, f->span, "FILTER expects a BOOLEAN condition, got %s",
                    vg_type_name(t));
    const vg_value *v = vg_expr_const_value(x);
    if (v && !v->null && v->u.i)
        return 0; /* FILTER (WHERE TRUE) filters nothing */
    *out = cast_to(g->c, x, VG_T_BOOL, f->span);
    return *out ? 0 : -1;
}

static int bind_agg(grp *g, const vg_ast *e, const vg_agg *a, vg_plan_agg *pa)
{
    vg_agg_bind b;
    memset(&b, 0, sizeof b);
    memset(pa, 0, sizeof *pa);
    pa->span = e->span;
    if (bind_agg_args(g, e, a, &b, pa->args) < 0)
        return -1;
    if (vg_agg_bind_call(a, &b, &pa->call) < 0)
        return FAIL(g->c, VG_ERR_TYPE, arg_span(e, b.bad_arg), "%s", b.msg);
    for (uint32_t i = 0; i < pa->call.nargs; i++)
        if (!(pa->args[i] = cast_to(g->c, pa->args[i], pa->call.argt[i], arg_span(e, (int)i))))
            return -1;
    return bind_filter(g, e->u.call.filter, &pa->filter);
}

/* The text of a call (name, DISTINCT, arguments, FILTER as written), to
 * share identical calls. */
static const char *signature(grp *g, const vg_ast *e)
{
    const char *text = g->c->src->text;
    const vg_ast *f = e->u.call.filter;
    const vg_ast_list *args = &e->u.call.args;
    uint32_t from = e->u.call.name.span.off;
    uint32_t end = args->n ? args->items[args->n - 1]->span.off + args->items[args->n - 1]->span.len
                           : e->u.call.name.span.off + e->u.call.name.span.len;
    return vg_arena_printf(g->c->b->arena, "%s|%d|%.*s|%.*s", e->u.call.name.name,
                           e->u.call.distinct, (int)(end - from), text + from,
                           f ? (int)f->span.len : 0, f ? text + f->span.off : "");
}

/* Aggregate call e, the whole select item aliased `alias` (or NULL). */
static int add_call(grp *g, const vg_ast *e, const vg_agg *a, const char *alias)
{
    bind_ctx *c = g->c;
    const char *sig = signature(g, e);
    g->calls = sig ? grow(c, g->calls, g->ncalls, &g->ccap, sizeof *g->calls) : NULL;
    if (!g->calls)
        return nomem(c);
    gcall *r = &g->calls[g->ncalls++];
    r->call = e;
    for (uint32_t i = 0; i < g->naggs; i++)
        if (strcmp(g->aggs[i].sig, sig) == 0) {
            r->index = i;
            return 0;
        }
    if (!(g->aggs = grow(c, g->aggs, g->naggs, &g->acap, sizeof *g->aggs)))
        return nomem(c);
    gagg *w = &g->aggs[g->naggs];
    r->index = g->naggs;
    if (bind_agg(g, e, a, &w->agg) < 0)
        return -1;
    w->sig = sig;
    w->name = alias ? alias : vg_arena_printf(c->b->arena, "$agg%u", g->naggs);
    if (!w->name)
        return nomem(c);
    g->naggs++;
    return 0;
}

static int collect_fn(void *arg, vg_ast *const *slot);

/* Find and bind the aggregate calls of e (a select item or HAVING). */
static int collect(grp *g, const vg_ast *e, const char *alias)
{
    if (e->kind == VG_AST_CALL) {
        const vg_agg *a = aggregate_of(e);
        if (e->u.call.over)
            return FAIL(g->c, VG_ERR_SEMANTIC, e->u.call.over->span,
                        "OVER is not supported in a query with GROUP BY");
        if (!a && e->u.call.filter)
            return FAIL(g->c, VG_ERR_SEMANTIC, e->u.call.filter->span,
                        "FILTER is only allowed on aggregate functions");
        if (a)
            return add_call(g, e, a, alias);
    }
    return vg_bind_each_child(e, collect_fn, g) ? -1 : 0;
}

static int collect_fn(void *arg, vg_ast *const *slot) { return collect(arg, *slot, NULL) < 0; }

/* ---- every column outside an aggregate is grouped ---- */

static int check_grouped_fn(void *arg, vg_ast *const *slot);

static int check_grouped(grp *g, const vg_ast *e)
{
    if (aggregate_of(e) || expr_key(g, e))
        return 0;
    if (e->kind == VG_AST_COLUMN) {
        int slot = resolve(g, e);
        if (slot < 0)
            return -1;
        for (uint32_t i = 0; i < g->nkeys; i++)
            if (g->keys[i].col == slot)
                return 0;
        return FAIL(g->c, VG_ERR_SEMANTIC, e->span,
                    "column '%s' is not being grouped: add it to GROUP BY or use it in an "
                    "aggregate",
                    e->u.column.name.name);
    }
    if (e->kind == VG_AST_STAR)
        return FAIL(g->c, VG_ERR_SEMANTIC, e->span,
                    "SELECT * cannot be used with GROUP BY or aggregates: list the grouped "
                    "columns and aggregates");
    return vg_bind_each_child(e, check_grouped_fn, g) ? -1 : 0;
}

static int check_grouped_fn(void *arg, vg_ast *const *slot)
{
    return check_grouped(arg, *slot) < 0;
}

/* The aggregates of the select list and HAVING, then their grouping. */
static int check_items(grp *g)
{
    const vg_ast *q = g->q;
    for (uint32_t i = 0; i < q->u.select.nitems; i++) {
        const vg_ast_select_item *it = &q->u.select.items[i];
        if (it->expr->kind != VG_AST_STAR && collect(g, it->expr, it->alias.name) < 0)
            return -1;
    }
    if (q->u.select.having && collect(g, q->u.select.having, NULL) < 0)
        return -1;
    for (uint32_t i = 0; i < q->u.select.nitems; i++)
        if (check_grouped(g, q->u.select.items[i].expr) < 0)
            return -1;
    return q->u.select.having ? check_grouped(g, q->u.select.having) : 0;
}

/* ---- rewriting calls and key expressions into hidden columns ---- */

/* The GROUP relation's column that stands for e (an aggregate call of the
 * query, or a GROUP BY expression), or -1. */
static int64_t hidden_slot(const grp *g, const vg_ast *e)
{
    for (uint32_t i = 0; i < g->ncalls; i++)
        if (g->calls[i].call == e)
            return g->nkeys + g->calls[i].index;
    const gkey *k = e->kind == VG_AST_COLUMN ? NULL : expr_key(g, e);
    return k ? k - g->keys : -1;
}

static int has_hidden_fn(void *arg, vg_ast *const *slot);

static bool has_hidden(const grp *g, const vg_ast *e)
{
    return hidden_slot(g, e) >= 0 || vg_bind_each_child(e, has_hidden_fn, (void *)g) != 0;
}

static int has_hidden_fn(void *arg, vg_ast *const *slot) { return has_hidden(arg, *slot); }

static int copy_list(bind_ctx *c, vg_ast_list *l)
{
    if (!l->n)
        return 0;
    vg_ast **items = vg_arena_alloc(c->b->arena, l->n * sizeof *items);
    if (!items)
        return -1;
    memcpy(items, l->items, l->n * sizeof *items);
    l->items = items;
    return 0;
}

static int rewrite_fn(void *arg, vg_ast *const *slot);

/* e with each aggregate call and GROUP BY expression replaced by its
 * hidden column (e itself when it has none); copies live in the binder's
 * arena. NULL when out of memory. */
static const vg_ast *rewrite(grp *g, const vg_ast *e)
{
    bind_ctx *c = g->c;
    int64_t slot = hidden_slot(g, e);
    if (slot < 0 && !has_hidden(g, e))
        return e;
    vg_ast *n = vg_arena_alloc(c->b->arena, sizeof *n);
    if (!n) {
        nomem(c);
        return NULL;
    }
    if (slot >= 0) {
        memset(n, 0, sizeof *n);
        n->kind = VG_AST_COLUMN;
        n->span = e->span;
        n->u.column.name.name = g->out_schema.cols[slot].name;
        n->u.column.name.span = e->span;
        return n;
    }
    *n = *e;
    if ((n->kind == VG_AST_IN && copy_list(c, &n->u.in.list) < 0) ||
        (n->kind == VG_AST_CASE &&
         (copy_list(c, &n->u.kase.whens) < 0 || copy_list(c, &n->u.kase.thens) < 0)) ||
        (n->kind == VG_AST_CALL && copy_list(c, &n->u.call.args) < 0)) {
        nomem(c);
        return NULL;
    }
    return vg_bind_each_child(n, rewrite_fn, g) ? NULL : n;
}

static int rewrite_fn(void *arg, vg_ast *const *slot)
{
    const vg_ast *r = rewrite(arg, *slot);
    if (!r)
        return 1;
    *(vg_ast **)slot = (vg_ast *)r;
    return 0;
}

/* ---- relations ---- */

/* WHERE as a BOOLEAN over the input, NULL in *out when there is none or it
 * is the constant TRUE. */
static int bind_where(grp *g, vg_expr **out)
{
    bind_ctx *c = g->c;
    const vg_ast *w = g->q->u.select.where;
    *out = NULL;
    if (!w)
        return 0;
    const vg_ast *o = first_over(w);
    if (o)
        return FAIL(c, VG_ERR_SEMANTIC, o->u.call.over->span, "OVER is not allowed in WHERE");
    if (vg_bind_no_aggregates(c, w, "WHERE") < 0)
        return -1;
    vg_expr *x = vg_bind_expr(c, w);
    if (!x)
        return -1;
    vg_type t = vg_expr_type(x);
    if (t != VG_T_BOOL && t != VG_T_NULL)
        return FAIL(c, VG_ERR_TYPE, w->span, "WHERE expects a BOOLEAN expression, got %s",
                    vg_type_name(t));
    const vg_value *v = vg_expr_const_value(x);
    if (!(v && !v->null && v->u.i))
        *out = x;
    return 0;
}

/* What the GROUP relation reads: `in` itself, or a projection that
 * applies WHERE and appends the GROUP BY expressions to in's columns. */
static vg_rel *base_rel(grp *g, vg_rel *in, vg_expr *filter)
{
    bind_ctx *c = g->c;
    if (!filter && !g->nexpr)
        return in;
    uint32_t n = g->nin + g->nexpr;
    vg_rel *r = vg_bind_rel_new(c, VG_REL_PROJECT, NULL, g->q->span, n);
    vg_expr **exprs = r ? vg_arena_alloc(c->b->arena, n * sizeof *exprs) : NULL;
    if (!exprs) {
        nomem(c);
        return NULL;
    }
    for (uint32_t i = 0; i < g->nin; i++) {
        vg_error cerr;
        vg_error_clear(&cerr);
        r->schema.cols[i] = in->schema.cols[i];
        if (!(exprs[i] = vg_expr_new_column(c->b->pool, i, in->schema.cols[i].type, &cerr)))
            return vg_bind_fail_from(c, &cerr, g->q->span);
    }
    for (uint32_t i = 0; i < g->nkeys; i++) {
        const gkey *k = &g->keys[i];
        if (k->col >= 0)
            continue;
        exprs[k->slot] = k->x;
        r->schema.cols[k->slot].type = vg_expr_type(k->x);
        if (!(r->schema.cols[k->slot].name = vg_arena_printf(c->b->arena, "$key%u", i))) {
            nomem(c);
            return NULL;
        }
    }
    r->input = in;
    r->u.project.filter = filter;
    r->u.project.exprs = exprs;
    return r;
}

/* The name of column i of the GROUP relation as the select list sees it:
 * a column key's own, hidden otherwise. */
static const char *hidden_name(grp *g, uint32_t i, const vg_column *col)
{
    if (i < g->nkeys && g->keys[i].col >= 0)
        return col->name;
    return vg_arena_printf(g->c->b->arena, "\xff\xff\xff%u", i);
}

/* The GROUP relation over base, and the scope of the select list. */
static vg_rel *group_rel(grp *g, vg_rel *base)
{
    bind_ctx *c = g->c;
    uint32_t n = g->nkeys + g->naggs;
    vg_rel *r = vg_bind_rel_new(c, VG_REL_GROUP, NULL, g->q->span, n);
    vg_column *hidden = r ? vg_arena_alloc(c->b->arena, (n ? n : 1) * sizeof *hidden) : NULL;
    uint32_t *keys = hidden ? vg_arena_alloc(c->b->arena, (g->nkeys + 1) * sizeof *keys) : NULL;
    vg_plan_agg *aggs = keys ? vg_arena_alloc(c->b->arena, (g->naggs + 1) * sizeof *aggs) : NULL;
    if (!aggs) {
        nomem(c);
        return NULL;
    }
    for (uint32_t i = 0; i < g->nkeys; i++) {
        keys[i] = g->keys[i].slot;
        r->schema.cols[i] = base->schema.cols[keys[i]];
    }
    for (uint32_t i = 0; i < g->naggs; i++) {
        aggs[i] = g->aggs[i].agg;
        r->schema.cols[g->nkeys + i].name = g->aggs[i].name;
        r->schema.cols[g->nkeys + i].type = aggs[i].call.ret;
    }
    for (uint32_t i = 0; i < n; i++) {
        hidden[i].type = r->schema.cols[i].type;
        if (!(hidden[i].name = hidden_name(g, i, &r->schema.cols[i]))) {
            nomem(c);
            return NULL;
        }
    }
    r->input = base;
    r->u.group.nkeys = g->nkeys;
    r->u.group.keys = keys;
    r->u.group.naggs = g->naggs;
    r->u.group.aggs = aggs;
    r->u.group.time_col = vg_bind_window_time_col(base);
    g->out_schema.ncols = n;
    g->out_schema.cols = hidden;
    g->out_scope.alias = c->scope->alias;
    g->out_scope.schema = &g->out_schema;
    return r;
}

/* Output columns of the select list. */
typedef struct outlist {
    vg_column *cols;
    vg_expr **exprs;
    vg_span *spans; /* where each came from, for duplicate-name errors */
    uint32_t n;
} outlist;

/* A select item, bound over the GROUP relation; named as binder.c names
 * them: the alias, the column's name, else EXPR$n. */
static int bind_item(grp *g, bind_ctx *items, const vg_ast_select_item *it, outlist *o)
{
    const vg_ast *e = rewrite(g, it->expr);
    vg_expr *x = e ? vg_bind_expr(items, e) : NULL;
    if (!x)
        return -1;
    const char *name = it->alias.name;
    if (!name && it->expr->kind == VG_AST_COLUMN)
        name = it->expr->u.column.name.name;
    if (!name && !(name = vg_arena_printf(g->c->b->arena, "EXPR$%u", o->n)))
        return nomem(g->c);
    o->cols[o->n].name = name;
    o->cols[o->n].type = vg_expr_type(x);
    o->exprs[o->n] = x;
    o->spans[o->n++] = it->alias.name ? it->alias.span : it->expr->span;
    return 0;
}

static int check_unique(bind_ctx *c, const outlist *o)
{
    for (uint32_t i = 1; i < o->n; i++)
        for (uint32_t j = 0; j < i; j++)
            if (strcmp(o->cols[i].name, o->cols[j].name) == 0)
                return FAIL(c, VG_ERR_NAME, o->spans[i], "duplicate output column '%s'",
                            o->cols[i].name);
    return 0;
}

/* HAVING over the GROUP relation: a BOOLEAN; NULL in *out when TRUE. */
static int bind_having(grp *g, bind_ctx *items, vg_expr **out)
{
    const vg_ast *h = g->q->u.select.having;
    *out = NULL;
    if (!h)
        return 0;
    const vg_ast *e = rewrite(g, h);
    vg_expr *x = e ? vg_bind_expr(items, e) : NULL;
    if (!x)
        return -1;
    vg_type t = vg_expr_type(x);
    if (t != VG_T_BOOL && t != VG_T_NULL)
        return FAIL(g->c, VG_ERR_TYPE, h->span, "HAVING expects a BOOLEAN expression, got %s",
                    vg_type_name(t));
    const vg_value *v = vg_expr_const_value(x);
    if (!(v && !v->null && v->u.i))
        *out = x;
    return 0;
}

static vg_rel *select_rel(grp *g, vg_rel *grouped, bool unique_names)
{
    bind_ctx *c = g->c, items = *g->c;
    items.scope = &g->out_scope;
    uint32_t n = g->q->u.select.nitems;
    outlist o = {vg_arena_alloc(c->b->arena, n * sizeof *o.cols),
                 vg_arena_alloc(c->b->arena, n * sizeof *o.exprs),
                 vg_arena_alloc(c->b->arena, n * sizeof *o.spans), 0};
    vg_rel *r = vg_bind_rel_new(c, VG_REL_PROJECT, NULL, g->q->span, 0);
    if (!o.cols || !o.exprs || !o.spans || !r) {
        nomem(c);
        return NULL;
    }
    for (uint32_t i = 0; i < n; i++)
        if (bind_item(g, &items, &g->q->u.select.items[i], &o) < 0)
            return NULL;
    if ((unique_names && check_unique(c, &o) < 0) ||
        bind_having(g, &items, &r->u.project.filter) < 0)
        return NULL;
    r->input = grouped;
    r->schema.cols = o.cols;
    r->schema.ncols = o.n;
    r->u.project.exprs = o.exprs;
    return r;
}

/* ---- entry points ---- */

vg_rel *vg_bind_group_select(bind_ctx *c, const vg_ast *q, vg_rel *in, const char *alias,
                             bool unique_names)
{
    bind_scope scope = {alias, &in->schema};
    bind_ctx inner = *c;
    inner.scope = &scope;
    grp g = {.c = &inner, .q = q, .nin = in->schema.ncols};
    vg_expr *filter;
    if (bind_keys(&g) < 0 || bind_where(&g, &filter) < 0 || check_items(&g) < 0)
        return NULL;
    vg_rel *base = base_rel(&g, in, filter);
    vg_rel *grouped = base ? group_rel(&g, base) : NULL;
    return grouped ? select_rel(&g, grouped, unique_names) : NULL;
}

vg_rel *vg_bind_distinct(bind_ctx *c, const vg_ast *q, vg_rel *r)
{
    uint32_t n = r->schema.ncols;
    vg_rel *d = vg_bind_rel_new(c, VG_REL_GROUP, NULL, q->span, 0);
    uint32_t *keys = d ? vg_arena_alloc(c->b->arena, (n ? n : 1) * sizeof *keys) : NULL;
    if (!keys) {
        nomem(c);
        return NULL;
    }
    for (uint32_t i = 0; i < n; i++)
        keys[i] = i;
    d->schema = r->schema;
    d->input = r;
    d->u.group.nkeys = n;
    d->u.group.keys = keys;
    d->u.group.time_col = vg_bind_window_time_col(r);
    return d;
}
