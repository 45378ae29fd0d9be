/*
 * bind_agg.c — the aggregate-binding machinery that OVER (bind_over.c),
 * GROUP BY over a window TVF (bind_wgroup.c), GROUP BY without a window
 * (bind_group.c) and ROW_NUMBER (bind_rank.c) share:
 *
 *   - walking an expression's children, and finding the first node of a
 *     kind (an aggregate call, a call with OVER, ...);
 *   - a list of aggregate calls: each call bound once (arguments, implicit
 *     casts, FILTER), identical calls (same text) sharing one column;
 *   - rewriting an expression so that each call, or each grouped
 *     expression, becomes a reference to the hidden column that stands for
 *     it: hidden names start with bytes that are never valid UTF-8, so no
 *     SQL text can name one, and differ from every name in at least three
 *     bytes, so no "did you mean" suggestion shows one;
 *   - a grouped SELECT's select list and HAVING over its grouped relation
 *     (the aggregates found, every other column checked to be grouped, the
 *     items bound as a projection);
 *   - WHERE as a BOOLEAN, and a projection that passes its input through.
 *
 * What differs between the callers (which nested calls an argument may
 * hold, which columns are grouped, the wording of an error) comes in as a
 * callback or in a bind_grouped_ops table.
 */
#include <string.h>

#include "sql/binder_int.h"

#define FAIL(...) (vg_bind_fail(__VA_ARGS__), -1)

int vg_bind_nomem(bind_ctx *c) { return vg_error_set(c->err, VG_ERR_NOMEM, "out of memory"); }

void *vg_bind_grow(bind_ctx *c, void *arr, uint32_t n, uint32_t *cap, size_t sz)
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

const vg_agg *vg_bind_aggregate_of(const vg_ast *e)
{
    return e->kind == VG_AST_CALL ? vg_agg_lookup(e->u.call.name.name) : NULL;
}

/* What vg_bind_find walks with. */
typedef struct find_arg {
    vg_bind_pred_fn pred;
    const vg_ast *found;
} find_arg;

static int find_fn(void *arg, vg_ast *const *slot)
{
    find_arg *f = arg;
    return (f->found = vg_bind_find(*slot, f->pred)) != NULL;
}

const vg_ast *vg_bind_find(const vg_ast *e, vg_bind_pred_fn pred)
{
    if (!e)
        return NULL;
    if (pred(e))
        return e;
    find_arg f = {pred, NULL};
    vg_bind_each_child(e, find_fn, &f);
    return f.found;
}

bool vg_bind_is_agg_or_over(const vg_ast *e)
{
    return e->kind == VG_AST_CALL && (vg_bind_aggregate_of(e) || e->u.call.over);
}

bool vg_bind_is_over(const vg_ast *e) { return e->kind == VG_AST_CALL && e->u.call.over; }

int vg_bind_no_aggregates(bind_ctx *c, const vg_ast *e, const char *clause)
{
    const vg_ast *a = vg_bind_find(e, vg_bind_is_agg_or_over);
    if (!a)
        return 0;
    return FAIL(c, VG_ERR_SEMANTIC, a->span, "aggregate functions are not allowed in %s", clause);
}

/* ---- binding one aggregate call ---- */

vg_expr *vg_bind_cast_to(bind_ctx *c, vg_expr *x, vg_type t, vg_span sp)
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

/* The checker of the arguments and FILTER of a call, and its argument. */
typedef struct part_check {
    vg_bind_part_fn fn;
    void *arg;
} part_check;

/* An argument or FILTER of an aggregate: checked, then bound. */
static vg_expr *bind_part(bind_ctx *c, const part_check *pc, const vg_ast *e)
{
    return pc->fn(pc->arg, e) < 0 ? NULL : vg_bind_expr(c, e);
}

static int bind_args(bind_ctx *c, const part_check *pc, const vg_ast *e, const vg_agg *a,
                     vg_agg_bind *b, vg_expr **args)
{
    uint32_t n = e->u.call.args.n;
    b->nargs = n;
    b->distinct = e->u.call.distinct;
    if (n == 1 && e->u.call.args.items[0]->kind == VG_AST_STAR) {
        if (!a->count_star)
            return FAIL(c, VG_ERR_SEMANTIC, e->u.call.args.items[0]->span,
                        "'*' is only allowed in COUNT(*)");
        b->nargs = 0;
        return 0;
    }
    for (uint32_t i = 0; i < n && i < VG_AGG_MAXARGS; i++) {
        const vg_ast *x = e->u.call.args.items[i];
        if (x->kind == VG_AST_STAR)
            return FAIL(c, VG_ERR_SEMANTIC, x->span, "'*' is only allowed in COUNT(*)");
        if (!(args[i] = bind_part(c, pc, x)))
            return -1;
        b->argt[i] = vg_expr_type(args[i]);
        if (b->argt[i] == VG_T_ARRAY) /* its state would hold the value (bind_state.c) */
            return FAIL(c, VG_ERR_TYPE, x->span,
                        "aggregate function %s cannot take ARRAY<DOUBLE>: aggregate its "
                        "elements (a[1])", e->u.call.name.name);
    }
    return 0;
}

static int bind_filter(bind_ctx *c, const part_check *pc, const vg_ast *f, vg_expr **out)
{
    *out = NULL;
    if (!f)
        return 0;
    vg_expr *x = bind_part(c, pc, f);
    if (!x)
        return -1;
    vg_type t = vg_expr_type(x);
    if (t != VG_T_BOOL && t != VG_T_NULL)
        return FAIL(c, VG_ERR_TYPE, f->span, "FILTER expects a BOOLEAN condition, got %s",
                    vg_type_name(t));
    if (vg_bind_is_true(x))
        return 0; /* FILTER (WHERE TRUE) filters nothing */
    *out = vg_bind_cast_to(c, x, VG_T_BOOL, f->span);
    return *out ? 0 : -1;
}

static int bind_call(bind_ctx *c, const part_check *pc, const vg_ast *e, const vg_agg *a,
                     vg_plan_agg *pa)
{
    vg_agg_bind b;
    memset(&b, 0, sizeof b);
    memset(pa, 0, sizeof *pa);
    pa->span = e->span;
    if (bind_args(c, pc, e, a, &b, pa->args) < 0)
        return -1;
    if (vg_agg_bind_call(a, &b, &pa->call) < 0)
        return FAIL(c, VG_ERR_TYPE, arg_span(e, b.bad_arg), "%s", b.msg);
    for (uint32_t i = 0; i < pa->call.nargs; i++)
        if (!(pa->args[i] = vg_bind_cast_to(c, pa->args[i], pa->call.argt[i], arg_span(e, (int)i))))
            return -1;
    return bind_filter(c, pc, e->u.call.filter, &pa->filter);
}

/* The text of a call (name, DISTINCT, arguments, FILTER as written; not
 * OVER), to share identical calls. */
static const char *signature(bind_ctx *c, const vg_ast *e)
{
    const char *text = c->src->text;
    const vg_ast *f = e->u.call.filter;
    const vg_ast_list *args = &e->u.call.args;
    uint32_t from = e->u.call.name.span.off;
    uint32_t end = args->n ? args->items[args->n - 1]->span.off + args->items[args->n - 1]->span.len
                           : e->u.call.name.span.off + e->u.call.name.span.len;
    return vg_arena_printf(c->b->arena, "%s|%d|%.*s|%.*s", e->u.call.name.name, e->u.call.distinct,
                           (int)(end - from), text + from, f ? (int)f->span.len : 0,
                           f ? text + f->span.off : "");
}

int vg_bind_aggs_add(bind_ctx *c, bind_aggs *s, const vg_ast *e, const vg_agg *a, const char *alias,
                     vg_bind_part_fn check, void *arg)
{
    const char *sig = signature(c, e);
    s->calls = sig ? vg_bind_grow(c, s->calls, s->ncalls, &s->ccap, sizeof *s->calls) : NULL;
    if (!s->calls)
        return vg_bind_nomem(c);
    bind_agg_call *r = &s->calls[s->ncalls++];
    r->call = e;
    for (uint32_t i = 0; i < s->naggs; i++)
        if (strcmp(s->aggs[i].sig, sig) == 0) {
            r->index = i;
            return 0;
        }
    if (!(s->aggs = vg_bind_grow(c, s->aggs, s->naggs, &s->acap, sizeof *s->aggs)))
        return vg_bind_nomem(c);
    bind_agg_col *col = &s->aggs[s->naggs];
    part_check pc = {check, arg};
    r->index = s->naggs;
    if (bind_call(c, &pc, e, a, &col->agg) < 0)
        return -1;
    col->sig = sig;
    col->name = alias ? alias : vg_arena_printf(c->b->arena, "%s%u", s->prefix, s->naggs);
    if (!col->name)
        return vg_bind_nomem(c);
    s->naggs++;
    return 0;
}

int64_t vg_bind_aggs_find(const bind_aggs *s, const vg_ast *call)
{
    for (uint32_t i = 0; i < s->ncalls; i++)
        if (s->calls[i].call == call)
            return s->calls[i].index;
    return -1;
}

const char *vg_bind_hidden_name(bind_ctx *c, uint32_t slot)
{
    return vg_arena_printf(c->b->arena, "\xff\xff\xff%u", slot);
}

/* ---- rewriting into hidden columns ---- */

/* What the rewrite walks with. */
typedef struct rewriter {
    bind_ctx *c;
    vg_bind_slot_fn slot;   /* the hidden slot that stands for a node, or -1 */
    const void *arg;        /* slot's */
    const vg_schema *names; /* the hidden columns, by slot */
} rewriter;

static int has_hidden_fn(void *arg, vg_ast *const *slot);

static bool has_hidden(const rewriter *w, const vg_ast *e)
{
    return w->slot(w->arg, e) >= 0 || vg_bind_each_child(e, has_hidden_fn, (void *)w) != 0;
}

static int has_hidden_fn(void *arg, vg_ast *const *slot) { return has_hidden(arg, *slot); }

/* Copy list l into the arena (its items array only). */
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

static const vg_ast *rewrite(const rewriter *w, const vg_ast *e)
{
    bind_ctx *c = w->c;
    int64_t slot = w->slot(w->arg, e);
    if (slot < 0 && !has_hidden(w, e))
        return e;
    vg_ast *n = vg_arena_alloc(c->b->arena, sizeof *n);
    if (!n) {
        vg_bind_nomem(c);
        return NULL;
    }
    if (slot >= 0) { /* the node becomes its hidden column, at the node's place */
        memset(n, 0, sizeof *n);
        n->kind = VG_AST_COLUMN;
        n->span = e->span;
        n->u.column.name.name = w->names->cols[slot].name;
        n->u.column.name.span = e->span;
        return n;
    }
    *n = *e;
    if ((n->kind == VG_AST_IN && copy_list(c, &n->u.in.list) < 0) ||
        (n->kind == VG_AST_CASE &&
         (copy_list(c, &n->u.kase.whens) < 0 || copy_list(c, &n->u.kase.thens) < 0)) ||
        (n->kind == VG_AST_CALL && copy_list(c, &n->u.call.args) < 0)) {
        vg_bind_nomem(c);
        return NULL;
    }
    return vg_bind_each_child(n, rewrite_fn, (void *)w) ? NULL : n;
}

/* Children of a node copy are that copy's own: safe to replace. */
static int rewrite_fn(void *arg, vg_ast *const *slot)
{
    const vg_ast *r = rewrite(arg, *slot);
    if (!r)
        return 1;
    *(vg_ast **)slot = (vg_ast *)r;
    return 0;
}

const vg_ast *vg_bind_rewrite(bind_ctx *c, const vg_ast *e, vg_bind_slot_fn slot, const void *arg,
                              const vg_schema *names)
{
    rewriter w = {c, slot, arg, names};
    return rewrite(&w, e);
}

/* ---- WHERE and HAVING ---- */

bool vg_bind_is_true(const vg_expr *x)
{
    const vg_value *v = vg_expr_const_value(x);
    return v && !v->null && v->u.i;
}

vg_expr *vg_bind_condition(bind_ctx *c, const vg_ast *e, const char *clause)
{
    vg_expr *x = vg_bind_expr(c, e);
    if (!x)
        return NULL;
    vg_type t = vg_expr_type(x);
    if (t != VG_T_BOOL && t != VG_T_NULL)
        return vg_bind_fail(c, VG_ERR_TYPE, e->span, "%s expects a BOOLEAN expression, got %s",
                            clause, vg_type_name(t));
    return x;
}

vg_rel *vg_bind_pass_rel(bind_ctx *c, vg_rel *in, uint32_t extra, vg_span span)
{
    uint32_t nin = in->schema.ncols, n = nin + extra;
    vg_rel *r = vg_bind_rel_new(c, VG_REL_PROJECT, NULL, span, extra ? n : 0);
    vg_expr **exprs = r ? vg_arena_alloc(c->b->arena, (n ? n : 1) * sizeof *exprs) : NULL;
    if (!exprs) {
        vg_bind_nomem(c);
        return NULL;
    }
    for (uint32_t i = 0; i < nin; i++) {
        vg_error cerr;
        vg_error_clear(&cerr);
        if (!(exprs[i] = vg_expr_new_column(c->b->pool, i, in->schema.cols[i].type, &cerr)))
            return vg_bind_fail_from(c, &cerr, span);
    }
    if (extra)
        memcpy(r->schema.cols, in->schema.cols, nin * sizeof *r->schema.cols);
    else
        r->schema = in->schema;
    r->input = in;
    r->u.project.exprs = exprs;
    return r;
}

int vg_bind_check_unique(bind_ctx *c, const vg_column *cols, const vg_span *spans, uint32_t n)
{
    for (uint32_t i = 1; i < n; i++)
        for (uint32_t j = 0; j < i; j++)
            if (strcmp(cols[i].name, cols[j].name) == 0)
                return FAIL(c, VG_ERR_NAME, spans[i], "duplicate output column '%s'", cols[i].name);
    return 0;
}

/* ---- a grouped SELECT's select list and HAVING ---- */

static int collect_fn(void *arg, vg_ast *const *slot);

static int check_part(void *arg, const vg_ast *e)
{
    bind_grouped *g = arg;
    return g->ops->check_part(g, e);
}

/* Find and bind the aggregate calls of e (a select item or HAVING). */
static int collect(bind_grouped *g, const vg_ast *e, const char *alias)
{
    if (e->kind == VG_AST_CALL) {
        const vg_agg *a = vg_bind_aggregate_of(e);
        if (e->u.call.over)
            return FAIL(g->c, VG_ERR_SEMANTIC, e->u.call.over->span, "%s", g->ops->over_msg);
        if (!a && e->u.call.filter)
            return FAIL(g->c, VG_ERR_SEMANTIC, e->u.call.filter->span,
                        "FILTER is only allowed on aggregate functions");
        if (a)
            return vg_bind_aggs_add(g->c, &g->aggs, e, a, alias, check_part, g);
    }
    return vg_bind_each_child(e, collect_fn, g) ? -1 : 0;
}

static int collect_fn(void *arg, vg_ast *const *slot) { return collect(arg, *slot, NULL) < 0; }

int vg_bind_resolve_column(bind_ctx *c, const vg_ast *e)
{
    const vg_ident *q = &e->u.column.qualifier;
    if (q->name && (!c->scope->alias || strcmp(c->scope->alias, q->name) != 0))
        return FAIL(c, VG_ERR_NAME, q->span, "unknown table alias '%s'", q->name);
    return vg_bind_find_column(c, q->name, e->u.column.name.name,
                               q->name ? e->span : e->u.column.name.span);
}

static int check_grouped_fn(void *arg, vg_ast *const *slot);

/* Every column e uses outside its aggregate calls and grouped expressions
 * must be grouped. */
static int check_grouped(bind_grouped *g, const vg_ast *e)
{
    if (vg_bind_aggregate_of(e) || (g->ops->key_slot && g->ops->key_slot(g, e) >= 0))
        return 0;
    if (e->kind == VG_AST_COLUMN) {
        int slot = vg_bind_resolve_column(g->c, e);
        if (slot < 0)
            return -1;
        if (!g->ops->grouped_col(g, slot))
            return FAIL(g->c, VG_ERR_SEMANTIC, e->span,
                        "column '%s' is not being grouped: add it to GROUP BY or use it in an "
                        "aggregate",
                        e->u.column.name.name);
        return 0;
    }
    if (e->kind == VG_AST_STAR)
        return FAIL(g->c, VG_ERR_SEMANTIC, e->span, "%s", g->ops->star_msg);
    return vg_bind_each_child(e, check_grouped_fn, g) ? -1 : 0;
}

static int check_grouped_fn(void *arg, vg_ast *const *slot)
{
    return check_grouped(arg, *slot) < 0;
}

int vg_bind_grouped_items(bind_grouped *g)
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

/* The grouped relation's column that stands for e (an aggregate call of
 * the query, or a grouped expression), or -1. */
static int64_t hidden_slot(const void *arg, const vg_ast *e)
{
    const bind_grouped *g = arg;
    int64_t i = vg_bind_aggs_find(&g->aggs, e);
    if (i >= 0)
        return g->first_agg + i;
    return g->ops->key_slot ? g->ops->key_slot(g, e) : -1;
}

static const vg_ast *rewrite_grouped(bind_grouped *g, const vg_ast *e)
{
    return vg_bind_rewrite(g->c, e, hidden_slot, g, &g->out_schema);
}

/* Output columns of the select list. */
typedef struct outlist {
    vg_column *cols;
    vg_expr **exprs;
    vg_span *spans; /* where each came from, for duplicate-name errors */
    uint32_t n;
} outlist;

/* A select item, bound over the grouped relation; named as binder.c names
 * them: the alias, the column's name, else EXPR$n. */
static int bind_item(bind_grouped *g, bind_ctx *items, const vg_ast_select_item *it, outlist *o)
{
    const vg_ast *e = rewrite_grouped(g, it->expr);
    vg_expr *x = e ? vg_bind_expr(items, e) : NULL;
    if (!x)
        return -1;
    const char *name = it->alias.name;
    if (!name && it->expr->kind == VG_AST_COLUMN)
        name = it->expr->u.column.name.name;
    if (!name && !(name = vg_arena_printf(g->c->b->arena, "EXPR$%u", o->n)))
        return vg_bind_nomem(g->c);
    o->cols[o->n].name = name;
    o->cols[o->n].type = vg_expr_type(x);
    o->exprs[o->n] = x;
    o->spans[o->n++] = it->alias.name ? it->alias.span : it->expr->span;
    return 0;
}

/* HAVING over the grouped relation: a BOOLEAN; NULL in *out when TRUE. */
static int bind_having(bind_grouped *g, bind_ctx *items, vg_expr **out)
{
    const vg_ast *h = g->q->u.select.having;
    *out = NULL;
    if (!h)
        return 0;
    const vg_ast *e = rewrite_grouped(g, h);
    vg_expr *x = e ? vg_bind_condition(items, e, "HAVING") : NULL;
    if (!x)
        return -1;
    if (!vg_bind_is_true(x))
        *out = x;
    return 0;
}

vg_rel *vg_bind_grouped_select(bind_grouped *g, vg_rel *grouped, bool unique_names)
{
    bind_ctx *c = g->c, items = *g->c;
    items.scope = &g->out_scope;
    uint32_t n = g->q->u.select.nitems;
    outlist o = {vg_arena_alloc(c->b->arena, n * sizeof *o.cols),
                 vg_arena_alloc(c->b->arena, n * sizeof *o.exprs),
                 vg_arena_alloc(c->b->arena, n * sizeof *o.spans), 0};
    vg_rel *r = vg_bind_rel_new(c, VG_REL_PROJECT, NULL, g->q->span, 0);
    if (!o.cols || !o.exprs || !o.spans || !r) {
        vg_bind_nomem(c);
        return NULL;
    }
    for (uint32_t i = 0; i < n; i++)
        if (bind_item(g, &items, &g->q->u.select.items[i], &o) < 0)
            return NULL;
    if ((unique_names && vg_bind_check_unique(c, o.cols, o.spans, o.n) < 0) ||
        bind_having(g, &items, &r->u.project.filter) < 0)
        return NULL;
    r->input = grouped;
    r->schema.cols = o.cols;
    r->schema.ncols = o.n;
    r->u.project.exprs = o.exprs;
    return r;
}
