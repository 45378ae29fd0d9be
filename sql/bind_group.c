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
 * expression replaced by a hidden column that stands for it (bind_agg.c,
 * shared with bind_wgroup.c and bind_over.c).
 * A GROUP BY expression is recognised in the select list by structure
 * (columns compared by the slot they name), as Calcite does. Any other
 * column used outside an aggregate must be a GROUP BY column.
 *
 * SELECT DISTINCT a, b is Flink's GROUP BY a, b without aggregates: a GROUP
 * relation over the bound select list, keyed by all of its columns. Over a
 * window TVF, with window_start and window_end among the columns, that
 * GROUP BY is a window aggregate (bind_wgroup.c), as in Flink.
 */
#include <string.h>
#include <strings.h>

#include "sql/binder_int.h"

#define FAIL(...) (vg_bind_fail(__VA_ARGS__), -1)

/* ---- what a SELECT needs ---- */

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
        s->agg |= !e->u.call.over && vg_bind_aggregate_of(e);
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

bool vg_rel_updating(const vg_rel *r)
{
    for (; r; r = r->input) {
        if (r->kind == VG_REL_GROUP)
            return true;
        if (r->kind == VG_REL_RANK)
            return r->u.rank.mode == VG_RANK_LAST_ROW || r->u.rank.mode == VG_RANK_TOP_N;
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
    for (uint32_t i = 0; i < q->u.select.nitems && !o; i++)
        o = vg_bind_find(q->u.select.items[i].expr, vg_bind_is_over);
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

typedef struct grp {
    bind_grouped base; /* first: the select list's state (bind_agg.c) */
    uint32_t nin;      /* columns of the input */
    gkey *keys;
    uint32_t nkeys;
    uint32_t nexpr; /* expression keys, columns nin .. of the pre-projection */
} grp;

/* The input slot column e names, or -1 (no error) when it names none. */
static int peek(const grp *g, const vg_ast *e)
{
    const bind_scope *s = g->base.c->scope;
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

/* A GROUP BY item that is not a column: bound over the input. */
static int bind_expr_key(grp *g, const vg_ast *item, gkey *k)
{
    const vg_ast *o = vg_bind_find(item, vg_bind_is_over);
    if (o)
        return FAIL(g->base.c, VG_ERR_SEMANTIC, o->u.call.over->span,
                    "OVER is not allowed in GROUP BY");
    if (vg_bind_no_aggregates(g->base.c, item, "GROUP BY") < 0 ||
        !(k->x = vg_bind_expr(g->base.c, item)))
        return -1;
    k->col = -1;
    k->slot = g->nin + g->nexpr++;
    return 0;
}

static int bind_keys(grp *g)
{
    const vg_ast_list *l = &g->base.q->u.select.group_by;
    g->keys = vg_arena_alloc(g->base.c->b->arena, (l->n ? l->n : 1) * sizeof *g->keys);
    if (!g->keys)
        return vg_bind_nomem(g->base.c);
    for (uint32_t i = 0; i < l->n; i++) {
        const vg_ast *item = l->items[i];
        gkey *k = &g->keys[g->nkeys];
        memset(k, 0, sizeof *k);
        k->ast = item;
        bool dup = false;
        if (item->kind == VG_AST_COLUMN) {
            int slot = vg_bind_resolve_column(g->base.c, item);
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

/* ---- the select list and HAVING (bind_agg.c binds them) ---- */

/* An argument or FILTER of an aggregate: no aggregate, no OVER. */
static int check_part(bind_grouped *b, const vg_ast *e)
{
    const vg_ast *inner = vg_bind_find(e, vg_bind_is_agg_or_over);
    if (inner && inner->u.call.over)
        return FAIL(b->c, VG_ERR_SEMANTIC, inner->u.call.over->span,
                    "OVER is not supported in a query with GROUP BY");
    if (inner)
        return FAIL(b->c, VG_ERR_SEMANTIC, inner->span, "aggregate functions cannot be nested");
    return 0;
}

/* The GROUP relation's column of GROUP BY expression e, or -1. */
static int64_t key_slot(const bind_grouped *b, const vg_ast *e)
{
    const grp *g = (const grp *)b;
    const gkey *k = e->kind == VG_AST_COLUMN ? NULL : expr_key(g, e);
    return k ? k - g->keys : -1;
}

static bool grouped_col(const bind_grouped *b, int slot)
{
    const grp *g = (const grp *)b;
    for (uint32_t i = 0; i < g->nkeys; i++)
        if (g->keys[i].col == slot)
            return true;
    return false;
}

static const bind_grouped_ops group_ops = {
    "OVER is not supported in a query with GROUP BY",
    "SELECT * cannot be used with GROUP BY or aggregates: list the grouped columns and "
    "aggregates",
    check_part,
    key_slot,
    grouped_col,
};

/* ---- relations ---- */

/* WHERE as a BOOLEAN over the input, NULL in *out when there is none or it
 * is the constant TRUE. */
static int bind_where(grp *g, vg_expr **out)
{
    bind_ctx *c = g->base.c;
    const vg_ast *w = g->base.q->u.select.where;
    *out = NULL;
    if (!w)
        return 0;
    const vg_ast *o = vg_bind_find(w, vg_bind_is_over);
    if (o)
        return FAIL(c, VG_ERR_SEMANTIC, o->u.call.over->span, "OVER is not allowed in WHERE");
    vg_expr *x;
    if (vg_bind_no_aggregates(c, w, "WHERE") < 0 || !(x = vg_bind_condition(c, w, "WHERE")))
        return -1;
    if (!vg_bind_is_true(x))
        *out = x;
    return 0;
}

/* What the GROUP relation reads: `in` itself, or a projection that
 * applies WHERE and appends the GROUP BY expressions to in's columns. */
static vg_rel *base_rel(grp *g, vg_rel *in, vg_expr *filter)
{
    bind_ctx *c = g->base.c;
    if (!filter && !g->nexpr)
        return in;
    vg_rel *r = vg_bind_pass_rel(c, in, g->nexpr, g->base.q->span);
    if (!r)
        return NULL;
    for (uint32_t i = 0; i < g->nkeys; i++) {
        const gkey *k = &g->keys[i];
        if (k->col >= 0)
            continue;
        r->u.project.exprs[k->slot] = k->x;
        r->schema.cols[k->slot].type = vg_expr_type(k->x);
        if (!(r->schema.cols[k->slot].name = vg_arena_printf(c->b->arena, "$key%u", i))) {
            vg_bind_nomem(c);
            return NULL;
        }
    }
    r->u.project.filter = filter;
    return r;
}

/* The name of column i of the GROUP relation as the select list sees it:
 * a column key's own, hidden otherwise. */
static const char *hidden_name(grp *g, uint32_t i, const vg_column *col)
{
    if (i < g->nkeys && g->keys[i].col >= 0)
        return col->name;
    return vg_bind_hidden_name(g->base.c, i);
}

/* The GROUP relation over base, and the scope of the select list. */
static vg_rel *group_rel(grp *g, vg_rel *base)
{
    bind_ctx *c = g->base.c;
    const bind_aggs *s = &g->base.aggs;
    uint32_t n = g->nkeys + s->naggs;
    vg_rel *r = vg_bind_rel_new(c, VG_REL_GROUP, NULL, g->base.q->span, n);
    vg_column *hidden = r ? vg_arena_alloc(c->b->arena, (n ? n : 1) * sizeof *hidden) : NULL;
    uint32_t *keys = hidden ? vg_arena_alloc(c->b->arena, (g->nkeys + 1) * sizeof *keys) : NULL;
    vg_plan_agg *aggs = keys ? vg_arena_alloc(c->b->arena, (s->naggs + 1) * sizeof *aggs) : NULL;
    if (!aggs) {
        vg_bind_nomem(c);
        return NULL;
    }
    for (uint32_t i = 0; i < g->nkeys; i++) {
        keys[i] = g->keys[i].slot;
        r->schema.cols[i] = base->schema.cols[keys[i]];
    }
    for (uint32_t i = 0; i < s->naggs; i++) {
        aggs[i] = s->aggs[i].agg;
        r->schema.cols[g->nkeys + i].name = s->aggs[i].name;
        r->schema.cols[g->nkeys + i].type = aggs[i].call.ret;
    }
    for (uint32_t i = 0; i < n; i++) {
        hidden[i].type = r->schema.cols[i].type;
        if (!(hidden[i].name = hidden_name(g, i, &r->schema.cols[i]))) {
            vg_bind_nomem(c);
            return NULL;
        }
    }
    r->input = base;
    r->u.group.nkeys = g->nkeys;
    r->u.group.keys = keys;
    r->u.group.naggs = s->naggs;
    r->u.group.aggs = aggs;
    r->u.group.time_col = vg_bind_window_time_col(base);
    g->base.first_agg = g->nkeys;
    g->base.out_schema.ncols = n;
    g->base.out_schema.cols = hidden;
    g->base.out_scope.alias = c->scope->alias;
    g->base.out_scope.schema = &g->base.out_schema;
    return r;
}

/* ---- entry points ---- */

vg_rel *vg_bind_group_select(bind_ctx *c, const vg_ast *q, vg_rel *in, const char *alias,
                             bool unique_names)
{
    bind_scope scope = {alias, &in->schema};
    bind_ctx inner = *c;
    inner.scope = &scope;
    grp g = {.base = {.ops = &group_ops, .c = &inner, .q = q, .aggs = {.prefix = "$agg"}},
             .nin = in->schema.ncols};
    vg_expr *filter;
    if (bind_keys(&g) < 0 || bind_where(&g, &filter) < 0 || vg_bind_grouped_items(&g.base) < 0)
        return NULL;
    vg_rel *base = base_rel(&g, in, filter);
    vg_rel *grouped = base ? group_rel(&g, base) : NULL;
    return grouped ? vg_bind_grouped_select(&g.base, grouped, unique_names) : NULL;
}

/* A reference to a column a window TVF adds (vg_bind_find predicate). */
static bool is_window_col(const vg_ast *e)
{
    if (e->kind != VG_AST_COLUMN)
        return false;
    const char *name = e->u.column.name.name;
    return strcmp(name, "window_start") == 0 || strcmp(name, "window_end") == 0 ||
           strcmp(name, "window_time") == 0;
}

/* Whether SELECT DISTINCT q, bound as r, is Flink's window aggregate: over a
 * bare window TVF, a select list of plain columns naming window_start and
 * window_end, no WHERE on the window columns. Flink groups by the select
 * list, and a grouping that holds both window columns is a window
 * aggregate: one insert-only row per window and distinct row, when the
 * window fires. */
static bool window_distinct(const vg_ast *q, const vg_rel *r)
{
    const vg_ast *f = q->u.select.from;
    if (!f || f->kind != VG_AST_TABLEFN || q->u.select.group_by.n || q->u.select.having ||
        r->kind != VG_REL_PROJECT || !r->input || r->input->kind != VG_REL_WINDOW ||
        r->input->u.window.grouped)
        return false;
    bool start = false, end = false;
    for (uint32_t i = 0; i < q->u.select.nitems; i++) {
        const vg_ast *e = q->u.select.items[i].expr;
        if (e->kind != VG_AST_COLUMN)
            return false;
        start |= strcmp(e->u.column.name.name, "window_start") == 0;
        end |= strcmp(e->u.column.name.name, "window_end") == 0;
    }
    return start && end && !vg_bind_find(q->u.select.where, is_window_col);
}

/* SELECT DISTINCT cols FROM TABLE(TVF) as SELECT cols ... GROUP BY cols. */
static vg_rel *bind_window_distinct(bind_ctx *c, const vg_ast *q)
{
    uint32_t n = q->u.select.nitems;
    vg_ast *g = vg_arena_alloc(c->b->arena, sizeof *g);
    vg_ast **keys = g ? vg_arena_alloc(c->b->arena, n * sizeof *keys) : NULL;
    if (!keys) {
        vg_bind_nomem(c);
        return NULL;
    }
    *g = *q;
    for (uint32_t i = 0; i < n; i++)
        keys[i] = q->u.select.items[i].expr;
    g->u.select.distinct = false;
    g->u.select.group_by.n = n;
    g->u.select.group_by.items = keys;
    g->u.select.group_span = q->u.select.distinct_span;
    const char *alias = NULL;
    vg_rel *in = vg_bind_from(c, q->u.select.from, &alias);
    return in ? vg_bind_window_select(c, g, in, alias, false) : NULL;
}

vg_rel *vg_bind_distinct(bind_ctx *c, const vg_ast *q, vg_rel *r)
{
    if (window_distinct(q, r))
        return bind_window_distinct(c, q);
    uint32_t n = r->schema.ncols;
    vg_rel *d = vg_bind_rel_new(c, VG_REL_GROUP, NULL, q->span, 0);
    uint32_t *keys = d ? vg_arena_alloc(c->b->arena, (n ? n : 1) * sizeof *keys) : NULL;
    if (!keys) {
        vg_bind_nomem(c);
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
