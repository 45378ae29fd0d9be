/*
 * bind_over.c — OVER aggregates: windows, aggregate calls, and the
 * relations that compute them.
 *
 * A SELECT whose list calls aggregates with OVER becomes, bottom up:
 *
 *   [PROJECT: WHERE]  ->  OVER (keys 1)  ->  OVER (keys 2) ...  ->  PROJECT: select list
 *
 * WHERE filters rows before any window sees them (a projection that passes
 * every column through); then one OVER relation per PARTITION BY key set,
 * holding one frame per distinct window of those keys (identical inline
 * specs and references to one named window are one window), so that the
 * windows of one key share its partitions' lookup and buffered rows at run
 * time; each relation appends one column per aggregate to the row it
 * received, frame after frame; then the select list, bound over the input's
 * columns plus the aggregate columns.
 *
 * The select list is bound by the ordinary expression binder (bind_expr.c):
 * each aggregate call in it is replaced, in a copy of the expression, by a
 * reference to a hidden column that stands for the call's result. Hidden
 * names start with bytes that are never valid UTF-8 (so no SQL text can
 * name one) and differ from every name in at least three bytes (so no
 * "did you mean" suggestion ever shows one). Errors keep pointing at the
 * SQL as written: a replaced call keeps its span.
 *
 * Windows follow Flink: ORDER BY exactly one column, ascending, the input's
 * event-time attribute; frames RANGE BETWEEN INTERVAL ... PRECEDING or ROWS
 * BETWEEN n PRECEDING (or UNBOUNDED PRECEDING) AND CURRENT ROW, the short
 * forms, and no frame meaning RANGE UNBOUNDED PRECEDING. Beyond Flink, one
 * SELECT may use many windows with different partition keys.
 */
#include <string.h>
#include <strings.h>

#include "engine/expr.h"
#include "sql/binder_int.h"
#include "udf/agg.h"
#include "udf/func.h"

/* A window after validation, in the plan's terms. */
typedef struct win {
    uint32_t nkeys;
    uint32_t *keys;    /* PARTITION BY slots of the input */
    int32_t order_col; /* the event-time column */
    vg_frame_kind frame;
    int64_t preceding; /* ms (RANGE) or rows (ROWS); -1 UNBOUNDED */
} win;

/* A WINDOW clause entry, validated when first referenced. */
typedef struct named_win {
    const vg_ast_window *ast;
    bool done; /* w holds the validated window */
    win w;
} named_win;

/* The aggregates of one distinct window: one frame of its key set's OVER
 * relation. */
typedef struct group {
    win w;
    bind_aggs aggs; /* its aggregates and the calls of the select list they compute */
    uint32_t first; /* slot of the first aggregate column in the final row */
} group;

struct bind_over {
    bind_ctx *c;      /* c->scope: the input's columns */
    const vg_ast *q;  /* the SELECT */
    int32_t time_col; /* the input's event-time column, or -1 */
    bool from_match;  /* the input is a MATCH_RECOGNIZE's output (through projections): its
                         event time is MATCH_ROWTIME() */
    named_win *named; /* q's WINDOW clause */
    group *groups;
    uint32_t ngroups, gcap;
    vg_schema scope_schema; /* the input's columns, then the hidden ones */
    bind_scope scope;       /* what the select list is bound in */
};

/* Set a positioned error and give -1: `return FAIL(c, code, span, fmt, ...)`. */
#define FAIL(...) (vg_bind_fail(__VA_ARGS__), -1)

/* ---- what a SELECT needs ---- */

/* An aggregate call, or a call with OVER or FILTER: what this file binds
 * (or explains why not). */
static bool is_over_call(const vg_ast *e)
{
    return vg_bind_is_agg_or_over(e) || (e->kind == VG_AST_CALL && e->u.call.filter);
}

bool vg_bind_over_wanted(const vg_ast *q)
{
    if (q->u.select.nwindows)
        return true;
    for (uint32_t i = 0; i < q->u.select.nitems; i++)
        if (vg_bind_find(q->u.select.items[i].expr, is_over_call))
            return true;
    return false;
}

/* ---- windows ---- */

static int order_error(bind_over *ov, vg_span sp)
{
    bind_ctx *c = ov->c;
    if (ov->time_col < 0)
        return FAIL(c, VG_ERR_SEMANTIC, sp,
                    "OVER windows must be ordered by an event-time column, and the input has "
                    "none (%s)",
                    ov->from_match ? "a MATCH_RECOGNIZE gives its output one with "
                                     "MATCH_ROWTIME() AS name in MEASURES"
                                   : "declare one with WATERMARK FOR");
    return FAIL(c, VG_ERR_SEMANTIC, sp,
                "OVER windows must be ordered by the event-time column '%s'",
                c->scope->schema->cols[ov->time_col].name);
}

static int bind_partition(bind_over *ov, const vg_ast_window *a, win *w)
{
    bind_ctx *c = ov->c;
    w->nkeys = a->partition_by.n;
    w->keys = vg_arena_alloc(c->b->arena, (w->nkeys ? w->nkeys : 1) * sizeof *w->keys);
    if (!w->keys)
        return vg_bind_nomem(c);
    for (uint32_t i = 0; i < w->nkeys; i++) {
        const vg_ast *k = a->partition_by.items[i];
        if (k->kind != VG_AST_COLUMN)
            return FAIL(c, VG_ERR_SEMANTIC, k->span, "PARTITION BY expects a column");
        vg_expr *x = vg_bind_expr(c, k);
        if (!x)
            return -1;
        w->keys[i] = (uint32_t)vg_expr_column_slot(x);
    }
    return 0;
}

static int bind_order(bind_over *ov, const vg_ast_window *a, win *w)
{
    bind_ctx *c = ov->c;
    if (a->order_by.n == 0)
        return order_error(ov, a->span);
    if (a->order_by.n > 1)
        return FAIL(c, VG_ERR_SEMANTIC, a->order_by.items[1]->span,
                    "OVER windows must be ordered by one column only");
    const vg_ast *o = a->order_by.items[0];
    if (o->kind != VG_AST_COLUMN)
        return order_error(ov, o->span);
    vg_expr *x = vg_bind_expr(c, o);
    if (!x)
        return -1;
    if (ov->time_col < 0 || vg_expr_column_slot(x) != ov->time_col)
        return order_error(ov, o->span);
    if (a->order_desc && a->order_desc[0])
        return FAIL(c, VG_ERR_SEMANTIC, a->order_span,
                    "OVER windows must be ordered ascending by event time");
    w->order_col = ov->time_col;
    return 0;
}

#define NOT_CONSTANT "a frame bound must be a constant: an integer for ROWS, an INTERVAL for RANGE"

static bool is_column(const vg_ast *e) { return e->kind == VG_AST_COLUMN; }

/* The PRECEDING bound: a constant INTERVAL for RANGE, a constant row count
 * for ROWS, never negative. */
static int bind_bound(bind_over *ov, const vg_ast_window *a, win *w)
{
    bind_ctx k = *ov->c;
    k.scope = NULL; /* a bound names no column */
    const vg_ast *b = a->frame_start;
    if (vg_bind_find(b, is_column))
        return FAIL(&k, VG_ERR_SEMANTIC, b->span, "%s", NOT_CONSTANT);
    vg_expr *x = vg_bind_expr(&k, b);
    if (!x)
        return -1;
    vg_type t = vg_expr_type(x);
    const vg_value *v = vg_expr_const_value(x);
    if (w->frame == VG_FRAME_RANGE && t != VG_T_INTERVAL)
        return FAIL(&k, VG_ERR_TYPE, b->span,
                    "a RANGE frame over event time needs an INTERVAL bound, e.g. INTERVAL '1' "
                    "HOUR PRECEDING; got %s",
                    vg_type_name(t));
    if (w->frame == VG_FRAME_ROWS && t != VG_T_INT && t != VG_T_BIGINT)
        return FAIL(&k, VG_ERR_TYPE, b->span, "a ROWS frame needs a row count, got %s",
                    vg_type_name(t));
    if (!v)
        return FAIL(&k, VG_ERR_SEMANTIC, b->span, "%s", NOT_CONSTANT);
    if (v->null || v->u.i < 0)
        return FAIL(&k, VG_ERR_SEMANTIC, b->span, "a frame bound must not be %s",
                    v->null ? "NULL" : "negative");
    w->preceding = v->u.i;
    return 0;
}

static int validate_window(bind_over *ov, const vg_ast_window *a, win *w)
{
    memset(w, 0, sizeof *w);
    if (bind_partition(ov, a, w) < 0 || bind_order(ov, a, w) < 0)
        return -1;
    w->frame = a->frame_kind == 1 ? VG_FRAME_ROWS : VG_FRAME_RANGE;
    w->preceding = -1;
    if (a->frame_kind && !a->end_current_row)
        return FAIL(ov->c, VG_ERR_SEMANTIC, a->end_span,
                    "OVER window frames must end at CURRENT ROW");
    if (a->frame_kind && a->frame_start)
        return bind_bound(ov, a, w);
    return 0;
}

/* The window of an OVER clause: its own spec, or the named one. */
static int resolve_window(bind_over *ov, const vg_ast_window *a, const win **out)
{
    if (!a->is_ref) {
        win *w = vg_arena_alloc(ov->c->b->arena, sizeof *w);
        if (!w)
            return vg_bind_nomem(ov->c);
        *out = w;
        return validate_window(ov, a, w);
    }
    for (uint32_t i = 0; i < ov->q->u.select.nwindows; i++) {
        named_win *n = &ov->named[i];
        if (strcmp(n->ast->name.name, a->name.name) != 0)
            continue;
        if (!n->done && validate_window(ov, n->ast, &n->w) < 0)
            return -1;
        n->done = true;
        *out = &n->w;
        return 0;
    }
    return FAIL(ov->c, VG_ERR_NAME, a->span, "unknown window '%s'", a->name.name);
}

/* The WINDOW clause: names unique; every entry valid, used or not (after
 * the select list, so errors come in the order of the text). */
static int check_named(bind_over *ov)
{
    uint32_t n = ov->q->u.select.nwindows;
    ov->named = vg_arena_calloc(ov->c->b->arena, (n ? n : 1) * sizeof *ov->named);
    if (!ov->named)
        return vg_bind_nomem(ov->c);
    for (uint32_t i = 0; i < n; i++) {
        const vg_ast_window *w = ov->q->u.select.windows[i];
        ov->named[i].ast = w;
        for (uint32_t j = 0; j < i; j++)
            if (strcmp(ov->named[j].ast->name.name, w->name.name) == 0)
                return FAIL(ov->c, VG_ERR_NAME, w->name.span, "window '%s' is defined twice",
                            w->name.name);
    }
    return 0;
}

static int validate_unused(bind_over *ov)
{
    for (uint32_t i = 0; i < ov->q->u.select.nwindows; i++) {
        named_win *n = &ov->named[i];
        if (!n->done && validate_window(ov, n->ast, &n->w) < 0)
            return -1;
        n->done = true;
    }
    return 0;
}

static bool same_window(const win *a, const win *b)
{
    if (a->nkeys != b->nkeys || a->order_col != b->order_col || a->frame != b->frame ||
        a->preceding != b->preceding)
        return false;
    return a->nkeys == 0 || memcmp(a->keys, b->keys, a->nkeys * sizeof *a->keys) == 0;
}

/* The group of window w, made when it is the first of its kind. */
static group *group_for(bind_over *ov, const win *w, uint32_t *gi)
{
    for (uint32_t i = 0; i < ov->ngroups; i++)
        if (same_window(&ov->groups[i].w, w)) {
            *gi = i;
            return &ov->groups[i];
        }
    ov->groups = vg_bind_grow(ov->c, ov->groups, ov->ngroups, &ov->gcap, sizeof *ov->groups);
    if (!ov->groups) {
        vg_bind_nomem(ov->c);
        return NULL;
    }
    group *g = &ov->groups[ov->ngroups];
    memset(g, 0, sizeof *g);
    g->w = *w;
    if (!(g->aggs.prefix = vg_arena_printf(ov->c->b->arena, "w%u$o", ov->ngroups))) {
        vg_bind_nomem(ov->c);
        return NULL;
    }
    *gi = ov->ngroups++;
    return g;
}

/* ---- aggregate calls ---- */

/* An aggregate nested in an argument or FILTER of another
 * (vg_bind_part_fn). */
static int check_not_nested(void *arg, const vg_ast *e)
{
    bind_over *ov = arg;
    const vg_ast *inner = vg_bind_find(e, vg_bind_is_agg_or_over);
    if (!inner)
        return 0;
    return FAIL(ov->c, VG_ERR_SEMANTIC, inner->span, "aggregate functions cannot be nested");
}

/* Add aggregate call e (an OVER call of the select list) to its window's
 * group; alias names its column when the call is a whole select item. */
static int add_call(bind_over *ov, const vg_ast *e, const vg_agg *a, const char *alias)
{
    const win *w = NULL;
    uint32_t gi;
    group *g;
    if (resolve_window(ov, e->u.call.over, &w) < 0 || !(g = group_for(ov, w, &gi)))
        return -1;
    return vg_bind_aggs_add(ov->c, &g->aggs, e, a, alias, check_not_nested, ov);
}

/* The call of a non-aggregate with OVER, or FILTER on one. */
static int not_aggregate(bind_over *ov, const vg_ast *e)
{
    static const char *const window_only[] = {"ROW_NUMBER", "RANK",  "DENSE_RANK",   "LAG",
                                              "LEAD",       "NTILE", "PERCENT_RANK", "CUME_DIST"};
    const vg_ident *name = &e->u.call.name;
    if (!e->u.call.over)
        return FAIL(ov->c, VG_ERR_SEMANTIC, e->u.call.filter->span,
                    "FILTER is only allowed on aggregate functions");
    for (size_t i = 0; i < sizeof window_only / sizeof window_only[0]; i++)
        if (strcasecmp(name->name, window_only[i]) == 0)
            return FAIL(ov->c, VG_ERR_SEMANTIC, name->span,
                        "window function '%s' is not supported yet", name->name);
    if (vg_func_lookup(name->name))
        return FAIL(ov->c, VG_ERR_SEMANTIC, name->span, "%s is not an aggregate function",
                    name->name);
    return FAIL(ov->c, VG_ERR_NAME, name->span, "unknown function '%s'", name->name);
}

typedef struct collect_arg {
    bind_over *ov;
    const char *alias; /* the select item's alias when e is the whole item */
} collect_arg;

static int collect_fn(void *arg, vg_ast *const *slot);

/* Find and bind the aggregate calls of select item expression e. */
static int collect(bind_over *ov, const vg_ast *e, const char *alias)
{
    if (e->kind == VG_AST_CALL) {
        const vg_agg *a = vg_bind_aggregate_of(e);
        if (a && !e->u.call.over)
            return FAIL(ov->c, VG_ERR_SEMANTIC, e->span,
                        "aggregate %s needs an OVER clause: a SELECT with OVER or a WINDOW "
                        "clause cannot also aggregate without one",
                        e->u.call.name.name);
        if (!a && (e->u.call.over || e->u.call.filter))
            return not_aggregate(ov, e);
        if (a)
            return add_call(ov, e, a, alias);
    }
    collect_arg ca = {ov, NULL};
    return vg_bind_each_child(e, collect_fn, &ca) ? -1 : 0;
}

static int collect_fn(void *arg, vg_ast *const *slot)
{
    collect_arg *ca = arg;
    return collect(ca->ov, *slot, ca->alias) < 0;
}

/* ---- relations ---- */

/* WHERE as a projection that passes every column through. */
static vg_rel *where_rel(bind_ctx *c, const vg_ast *q, vg_rel *in, vg_expr *filter)
{
    vg_rel *r = vg_bind_pass_rel(c, in, 0, q->span);
    if (r)
        r->u.project.filter = filter;
    return r;
}

/* Whether two windows partition alike: the same PARTITION BY columns, in
 * order, and the same ORDER BY column. */
static bool same_keys(const win *a, const win *b)
{
    return a->nkeys == b->nkeys && a->order_col == b->order_col &&
           (a->nkeys == 0 || memcmp(a->keys, b->keys, a->nkeys * sizeof *a->keys) == 0);
}

/* The columns one aggregate appends: its own at col of r, and its hidden
 * name in the select list's scope at the same slot. -1 when out of memory. */
static int agg_column(bind_over *ov, vg_rel *r, uint32_t col, const bind_agg_col *ga,
                      vg_column *hidden)
{
    r->schema.cols[col].name = ga->name;
    r->schema.cols[col].type = ga->agg.call.ret;
    hidden[col].type = ga->agg.call.ret;
    hidden[col].name = vg_bind_hidden_name(ov->c, col);
    return hidden[col].name ? 0 : vg_bind_nomem(ov->c);
}

/* The OVER relation of window group g0's key set over prev: one frame per
 * window of those keys (g0 and the later groups partitioned alike, marked
 * done), in order of first use, each appending its aggregates. */
static vg_rel *key_set_rel(bind_over *ov, vg_rel *prev, uint32_t g0, bool *done, vg_column *hidden)
{
    bind_ctx *c = ov->c;
    const win *w = &ov->groups[g0].w;
    uint32_t n = prev->schema.ncols, nframes = 0, naggs = 0;
    for (uint32_t g = g0; g < ov->ngroups; g++)
        if (same_keys(&ov->groups[g].w, w)) {
            nframes++;
            naggs += ov->groups[g].aggs.naggs;
        }
    vg_rel *r = vg_bind_rel_new(c, VG_REL_OVER, NULL, ov->q->span, n + naggs);
    struct vg_plan_frame *frames =
        r ? vg_arena_calloc(c->b->arena, nframes * sizeof *frames) : NULL;
    if (!frames) {
        vg_bind_nomem(c);
        return NULL;
    }
    memcpy(r->schema.cols, prev->schema.cols, n * sizeof *r->schema.cols);
    uint32_t col = n, f = 0;
    for (uint32_t g = g0; g < ov->ngroups; g++) {
        group *gr = &ov->groups[g];
        if (!same_keys(&gr->w, w))
            continue;
        done[g] = true;
        gr->first = col;
        frames[f].frame = gr->w.frame;
        frames[f].preceding = gr->w.preceding;
        frames[f].naggs = gr->aggs.naggs;
        frames[f].aggs = vg_arena_alloc(c->b->arena, (gr->aggs.naggs ? gr->aggs.naggs : 1) *
                                                         sizeof *frames[f].aggs);
        if (!frames[f].aggs) {
            vg_bind_nomem(c);
            return NULL;
        }
        for (uint32_t i = 0; i < gr->aggs.naggs; i++, col++) {
            frames[f].aggs[i] = gr->aggs.aggs[i].agg;
            if (agg_column(ov, r, col, &gr->aggs.aggs[i], hidden) < 0)
                return NULL;
        }
        f++;
    }
    r->input = prev;
    r->u.over.nkeys = w->nkeys;
    r->u.over.keys = w->keys;
    r->u.over.order_col = w->order_col;
    r->u.over.nframes = nframes;
    r->u.over.frames = frames;
    r->u.over.naggs = naggs;
    return r;
}

/* One OVER relation per PARTITION BY key set, chained over base; and the
 * scope the select list binds in. */
static vg_rel *over_rels(bind_over *ov, vg_rel *base)
{
    bind_ctx *c = ov->c;
    uint32_t nbase = base->schema.ncols, total = nbase;
    for (uint32_t g = 0; g < ov->ngroups; g++)
        total += ov->groups[g].aggs.naggs;
    vg_column *hidden = vg_arena_alloc(c->b->arena, (total ? total : 1) * sizeof *hidden);
    bool *done = vg_arena_calloc(c->b->arena, ov->ngroups + 1);
    if (!hidden || !done) {
        vg_bind_nomem(c);
        return NULL;
    }
    memcpy(hidden, base->schema.cols, nbase * sizeof *hidden);
    vg_rel *prev = base;
    for (uint32_t g = 0; g < ov->ngroups; g++)
        if (!done[g] && !(prev = key_set_rel(ov, prev, g, done, hidden)))
            return NULL;
    ov->scope_schema.ncols = total;
    ov->scope_schema.cols = hidden;
    ov->scope.schema = &ov->scope_schema;
    return prev;
}

vg_rel *vg_bind_over(bind_ctx *c, const vg_ast *q, vg_rel *in, vg_expr *filter, bind_over **out)
{
    *out = NULL;
    bind_over *ov = vg_arena_calloc(c->b->arena, sizeof *ov);
    if (!ov) {
        vg_bind_nomem(c);
        return NULL;
    }
    ov->c = c;
    ov->q = q;
    ov->time_col = vg_bind_window_time_col(in); /* bind_window.c */
    const vg_rel *r = in;
    while (r->kind == VG_REL_PROJECT || r->kind == VG_REL_OVER)
        r = r->input;
    ov->from_match = r->kind == VG_REL_MATCH;
    ov->scope.alias = c->scope->alias;
    if (check_named(ov) < 0)
        return NULL;
    for (uint32_t i = 0; i < q->u.select.nitems; i++) {
        const vg_ast_select_item *it = &q->u.select.items[i];
        if (collect(ov, it->expr, it->alias.name) < 0)
            return NULL;
    }
    if (validate_unused(ov) < 0)
        return NULL;
    vg_rel *base = filter ? where_rel(c, q, in, filter) : in;
    vg_rel *top = base ? over_rels(ov, base) : NULL;
    if (top)
        *out = ov;
    return top;
}

const bind_scope *vg_bind_over_scope(const bind_over *ov) { return &ov->scope; }

/* ---- rewriting the select list ---- */

/* The final slot of aggregate call e, or -1 when e is not one
 * (vg_bind_slot_fn). */
static int64_t call_slot(const void *arg, const vg_ast *e)
{
    const bind_over *ov = arg;
    for (uint32_t g = 0; g < ov->ngroups; g++) {
        int64_t i = vg_bind_aggs_find(&ov->groups[g].aggs, e);
        if (i >= 0)
            return ov->groups[g].first + i;
    }
    return -1;
}

const vg_ast *vg_bind_over_rewrite(bind_over *ov, const vg_ast *e)
{
    return vg_bind_rewrite(ov->c, e, call_slot, ov, &ov->scope_schema);
}
