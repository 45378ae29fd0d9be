/*
 * bind_wgroup.c — GROUP BY over a window TVF (Flink's window aggregation),
 * and what a SELECT without GROUP BY may not do over one.
 *
 *   SELECT window_start, window_end, k, COUNT(*), SUM(x) FILTER (WHERE ok)
 *   FROM TABLE(TUMBLE(TABLE t, DESCRIPTOR(ts), INTERVAL '1' MINUTE))
 *   [WHERE ...] GROUP BY window_start, window_end, k [HAVING ...]
 *
 * becomes, bottom up:
 *
 *   [PROJECT: WHERE over t]  ->  WINDOW grouped  ->  PROJECT: select list, HAVING
 *
 * The grouped WINDOW relation assigns t's rows to windows itself (the bare
 * TVF is folded into it, as Flink's planner does) and outputs
 * window_start, window_end, window_time, the other GROUP BY columns (the
 * keys), then one column per distinct aggregate call. The select list and
 * HAVING are bound over those columns by the ordinary expression binder,
 * each aggregate call replaced by a hidden column that stands for it
 * (bind_agg.c, shared with bind_group.c and bind_over.c).
 *
 * Flink's group window syntax (GROUP BY TUMBLE(ts, size), k with
 * TUMBLE_START(...); bind_gwindow.c) is bound here too: bind_gwindow.c
 * makes the bare window relation, the group window call stands for
 * window_start, window_end and window_time in GROUP BY, the window
 * columns are hidden from the query's names, and each auxiliary call is
 * a grouped expression that reads one of them.
 *
 * Flink's rules: GROUP BY must hold window_start and window_end (without
 * them Flink runs an updating GROUP BY, which vigil does not support
 * yet); window_time may be grouped too, and must be to be selected; any
 * other column the select list or HAVING uses outside an aggregate must be
 * grouped. A HOP TVF's size must be a multiple of its slide (Flink's slicing
 * window aggregate needs it; its group window HOP does not). Where Flink's
 * meaning is unclear vigil refuses: a SESSION aggregate groups by exactly
 * its PARTITION BY columns, WHERE and aggregate arguments cannot use the
 * window columns, and GROUP BY takes columns, not expressions.
 */
#include <string.h>

#include "sql/binder_int.h"

typedef struct wgroup {
    bind_grouped base;       /* first: the select list's state (bind_agg.c) */
    const bind_wsource *w;   /* what is grouped: the bare TVF relation, ... */
    uint32_t nin;            /* columns of the TVF's input */
    bool by_start, by_end;   /* window_start / window_end are grouped */
    bool by_time;            /* window_time is grouped */
    uint32_t nkeys;          /* the other GROUP BY columns */
    uint32_t *keys;          /* their slots in the input */
    const vg_ast **key_asts; /* their GROUP BY items */
} wgroup;

#define FAIL(...) (vg_bind_fail(__VA_ARGS__), -1)

/* The first call in e that an ungrouped SELECT cannot hold over a window
 * TVF: an aggregate, OVER, or FILTER. */
static bool is_special(const vg_ast *e)
{
    return e->kind == VG_AST_CALL &&
           (vg_bind_aggregate_of(e) || e->u.call.over || e->u.call.filter);
}

/* ---- columns ---- */

static bool is_grouped(const wgroup *g, int slot)
{
    if ((uint32_t)slot >= g->nin)
        return (uint32_t)slot < g->nin + 2 || g->by_time;
    for (uint32_t i = 0; i < g->nkeys; i++)
        if (g->keys[i] == (uint32_t)slot)
            return true;
    return false;
}

/* What no_window_cols walks with. */
typedef struct walk {
    wgroup *g;
    const char *where; /* the place, for the error */
} walk;

static int no_window_cols_fn(void *arg, vg_ast *const *slot);

/* Refuse the window columns in e (WHERE, aggregate arguments: they are
 * evaluated on the TVF's input row, which has none). */
static int no_window_cols(wgroup *g, const vg_ast *e, const char *where)
{
    if (e->kind == VG_AST_COLUMN) {
        int slot = vg_bind_resolve_column(g->base.c, e);
        if (slot < 0)
            return -1;
        if ((uint32_t)slot >= g->nin)
            return FAIL(g->base.c, VG_ERR_SEMANTIC, e->span, "%s cannot be used %s",
                        e->u.column.name.name, where);
        return 0;
    }
    walk w = {g, where};
    return vg_bind_each_child(e, no_window_cols_fn, &w) ? -1 : 0;
}

static int no_window_cols_fn(void *arg, vg_ast *const *slot)
{
    walk *w = arg;
    return no_window_cols(w->g, *slot, w->where) < 0;
}

/* ---- GROUP BY ---- */

static void add_key(wgroup *g, const vg_ast *item, int slot)
{
    for (uint32_t i = 0; i < g->nkeys; i++)
        if (g->keys[i] == (uint32_t)slot)
            return; /* GROUP BY k, k */
    g->keys[g->nkeys] = (uint32_t)slot;
    g->key_asts[g->nkeys++] = item;
}

/* A SESSION aggregate groups by exactly its PARTITION BY columns. */
static int check_session_keys(wgroup *g)
{
    const vg_rel *t = g->w->tvf;
    for (uint32_t i = 0; i < g->nkeys; i++) {
        bool found = false;
        for (uint32_t j = 0; j < t->u.window.nkeys; j++)
            found |= t->u.window.keys[j] == g->keys[i];
        if (!found)
            return FAIL(g->base.c, VG_ERR_SEMANTIC, g->key_asts[i]->span,
                        "a SESSION window aggregate groups by its PARTITION BY columns only, and "
                        "'%s' is not one",
                        t->input->schema.cols[g->keys[i]].name);
    }
    for (uint32_t j = 0; j < t->u.window.nkeys; j++) {
        bool found = false;
        for (uint32_t i = 0; i < g->nkeys; i++)
            found |= t->u.window.keys[j] == g->keys[i];
        if (!found)
            return FAIL(g->base.c, VG_ERR_SEMANTIC, g->base.q->u.select.group_span,
                        "GROUP BY must include '%s', a PARTITION BY column of the SESSION",
                        t->input->schema.cols[t->u.window.keys[j]].name);
    }
    return 0;
}

static int bind_group_by(wgroup *g)
{
    const vg_ast_list *l = &g->base.q->u.select.group_by;
    g->keys = vg_arena_alloc(g->base.c->b->arena, l->n * sizeof *g->keys);
    g->key_asts = vg_arena_alloc(g->base.c->b->arena, l->n * sizeof *g->key_asts);
    if (!g->keys || !g->key_asts)
        return vg_bind_nomem(g->base.c);
    for (uint32_t i = 0; i < l->n; i++) {
        const vg_ast *item = l->items[i];
        if (item == g->w->gwindow) { /* TUMBLE(ts, size): its window, window_time too */
            g->by_start = g->by_end = g->by_time = true;
            continue;
        }
        if (item->kind == VG_AST_LITERAL)
            continue; /* a constant splits no group: Flink drops it (FLINK-17553) */
        if (item->kind != VG_AST_COLUMN)
            return FAIL(g->base.c, VG_ERR_SEMANTIC, item->span,
                        "GROUP BY expects a column (grouping by an expression is not supported "
                        "yet)");
        int slot = vg_bind_resolve_column(g->base.c, item);
        if (slot < 0)
            return -1;
        g->by_start |= (uint32_t)slot == g->nin;
        g->by_end |= (uint32_t)slot == g->nin + 1;
        g->by_time |= (uint32_t)slot == g->nin + 2;
        if ((uint32_t)slot < g->nin)
            add_key(g, item, slot);
    }
    if (!g->by_start || !g->by_end)
        return FAIL(g->base.c, VG_ERR_SEMANTIC, g->base.q->u.select.group_span,
                    "GROUP BY over a window TVF must include window_start and window_end "
                    "(other grouping is not supported yet)");
    const vg_window_spec *s = &g->w->tvf->u.window.spec;
    if (s->kind == VG_WINDOW_SESSION) /* a group window's sessions are keyed by GROUP BY */
        return g->w->gwindow ? 0 : check_session_keys(g);
    if (s->kind == VG_WINDOW_TUMBLE && (s->offset >= s->size || -s->offset >= s->size))
        return FAIL(g->base.c, VG_ERR_SEMANTIC, g->w->offset_span,
                    "TUMBLE with GROUP BY needs abs(offset) < size, got size %lld ms and offset "
                    "%lld ms",
                    (long long)s->size, (long long)s->offset);
    if (s->kind == VG_WINDOW_HOP && s->size % s->step != 0 && !g->w->gwindow)
        return FAIL(g->base.c, VG_ERR_SEMANTIC, g->w->size_span,
                    "HOP with GROUP BY needs a size that is an integral multiple of its slide, "
                    "got size %lld ms and slide %lld ms",
                    (long long)s->size, (long long)s->step);
    return 0;
}

/* ---- the select list and HAVING (bind_agg.c binds them) ---- */

/* Arguments and FILTER of an aggregate hold no aggregate and no window
 * column. */
static int check_part(bind_grouped *b, const vg_ast *e)
{
    const vg_ast *inner = vg_bind_find(e, is_special);
    if (inner && vg_bind_aggregate_of(inner))
        return FAIL(b->c, VG_ERR_SEMANTIC, inner->span, "aggregate functions cannot be nested");
    return no_window_cols((wgroup *)b, e, "inside an aggregate");
}

static bool grouped_col(const bind_grouped *b, int slot)
{
    return is_grouped((const wgroup *)b, slot);
}

/* A group window's auxiliary call (TUMBLE_START, ...): its window column. */
static int64_t aux_slot(const bind_grouped *b, const vg_ast *e)
{
    (void)b;
    return vg_bind_gwindow_aux_col(e);
}

static const bind_grouped_ops wgroup_ops = {
    "OVER is not supported in a query with GROUP BY yet",
    "SELECT * cannot be used with GROUP BY: list the grouped columns and aggregates",
    check_part,
    NULL,
    grouped_col,
};

/* The same for Flink's group window syntax. */
static const bind_grouped_ops gwindow_ops = {
    "OVER is not supported in a query with GROUP BY yet",
    "SELECT * cannot be used with GROUP BY: list the grouped columns and aggregates",
    check_part,
    aux_slot,
    grouped_col,
};

/* ---- relations ---- */

/* WHERE over the TVF's input: no aggregates, no window columns (there are
 * none yet); a projection that passes every column through, or `in`
 * itself when there is no WHERE or it is the constant TRUE. */
static vg_rel *where_rel(wgroup *g, vg_rel *in)
{
    bind_ctx *c = g->base.c;
    const vg_ast *w = g->base.q->u.select.where;
    if (!w)
        return in;
    vg_expr *x;
    if (vg_bind_no_aggregates(c, w, "WHERE") < 0 ||
        no_window_cols(g, w, "in WHERE with GROUP BY yet (filter the groups with HAVING)") < 0 ||
        !(x = vg_bind_condition(c, w, "WHERE")))
        return NULL;
    if (vg_bind_is_true(x))
        return in;
    vg_rel *r = vg_bind_pass_rel(c, in, 0, g->base.q->span);
    if (r)
        r->u.project.filter = x;
    return r;
}

/* The grouped window relation over base, and the scope of the select list. */
static vg_rel *group_rel(wgroup *g, vg_rel *base)
{
    bind_ctx *c = g->base.c;
    const bind_aggs *s = &g->base.aggs;
    uint32_t n = 3 + g->nkeys + s->naggs;
    vg_rel *r = vg_bind_rel_new(c, VG_REL_WINDOW, NULL, g->base.q->span, n);
    vg_column *hidden = r ? vg_arena_alloc(c->b->arena, n * sizeof *hidden) : NULL;
    vg_plan_agg *aggs = hidden ? vg_arena_alloc(c->b->arena, (s->naggs + 1) * sizeof *aggs) : NULL;
    if (!aggs) {
        vg_bind_nomem(c);
        return NULL;
    }
    memcpy(r->schema.cols, &g->w->tvf->schema.cols[g->nin], 3 * sizeof *r->schema.cols);
    for (uint32_t i = 0; i < g->nkeys; i++)
        r->schema.cols[3 + i] = base->schema.cols[g->keys[i]];
    for (uint32_t i = 0; i < s->naggs; i++) {
        vg_column *col = &r->schema.cols[3 + g->nkeys + i];
        aggs[i] = s->aggs[i].agg;
        col->name = s->aggs[i].name;
        col->type = aggs[i].call.ret;
    }
    memcpy(hidden, r->schema.cols, n * sizeof *hidden);
    for (uint32_t i = 0; i < n; i++) {
        bool key = i >= 3 && i < 3 + g->nkeys;
        if (key || (i < 3 && !g->w->gwindow))
            continue; /* a group window's columns are hidden: only TUMBLE_START, ... name them */
        if (!(hidden[i].name = vg_bind_hidden_name(c, i))) {
            vg_bind_nomem(c);
            return NULL;
        }
    }
    r->input = base;
    r->u.window = g->w->tvf->u.window;
    r->u.window.grouped = true;
    r->u.window.nkeys = g->nkeys;
    r->u.window.keys = g->keys;
    r->u.window.naggs = s->naggs;
    r->u.window.aggs = aggs;
    g->base.first_agg = 3 + g->nkeys;
    g->base.out_schema.ncols = n;
    g->base.out_schema.cols = hidden;
    g->base.out_scope.alias = c->scope->alias;
    g->base.out_scope.schema = &g->base.out_schema;
    return r;
}

/* ---- entry points ---- */

bool vg_bind_window_wanted(const vg_ast *q) { return q->u.select.group_by.n || q->u.select.having; }

vg_rel *vg_bind_wgroup(bind_ctx *c, const vg_ast *q, const bind_wsource *w, bool unique_names)
{
    bind_scope scope = {w->alias, w->names};
    bind_ctx inner = *c;
    inner.scope = &scope;
    wgroup g = {.base = {.ops = w->gwindow ? &gwindow_ops : &wgroup_ops,
                         .c = &inner,
                         .q = q,
                         .aggs = {.prefix = "$agg"}},
                .w = w,
                .nin = w->tvf->input->schema.ncols};
    if (bind_group_by(&g) < 0)
        return NULL;
    vg_rel *base = where_rel(&g, w->tvf->input);
    if (!base || vg_bind_grouped_items(&g.base) < 0)
        return NULL;
    vg_rel *grouped = group_rel(&g, base);
    return grouped ? vg_bind_grouped_select(&g.base, grouped, unique_names) : NULL;
}

vg_rel *vg_bind_window_select(bind_ctx *c, const vg_ast *q, vg_rel *in, const char *alias,
                              bool unique_names)
{
    if (vg_bind_gwindow_wanted(q))
        return vg_bind_gwindow_select(c, q, in, alias, unique_names); /* bind_gwindow.c */
    if (vg_bind_gwindow_misplaced(c, q) < 0)
        return NULL;
    const vg_ast *f = q->u.select.from;
    if (in->kind != VG_REL_WINDOW || in->u.window.grouped || f->kind != VG_AST_TABLEFN)
        return vg_bind_group_select(c, q, in, alias, unique_names); /* bind_group.c */
    if (!q->u.select.group_by.n)
        return vg_bind_fail(c, VG_ERR_SEMANTIC, q->u.select.having_span,
                            "HAVING is not supported yet");
    const vg_ast_list *args = &f->u.tablefn.args;
    vg_window_kind kind = in->u.window.spec.kind;
    bind_wsource w = {.tvf = in, .alias = alias, .names = &in->schema};
    if (kind == VG_WINDOW_HOP)
        w.size_span = args->items[1]->span; /* HOP(TABLE t, DESCRIPTOR(ts), slide, size) */
    if (kind == VG_WINDOW_TUMBLE && args->n > 1)
        w.offset_span = args->items[1]->span; /* TUMBLE(..., size, offset) */
    return vg_bind_wgroup(c, q, &w, unique_names);
}

int vg_bind_window_check(bind_ctx *c, const vg_ast *q, const vg_rel *in)
{
    if (vg_bind_gwindow_misplaced(c, q) < 0)
        return -1;
    if (in->kind != VG_REL_WINDOW)
        return 0; /* OVER over what a window TVF made orders by its window_time */
    if (q->u.select.nwindows)
        return FAIL(c, VG_ERR_SEMANTIC, q->u.select.window_span,
                    "OVER windows over a window TVF are not supported yet");
    for (uint32_t i = 0; i < q->u.select.nitems; i++) {
        const vg_ast *e = vg_bind_find(q->u.select.items[i].expr, is_special);
        if (!e)
            continue;
        if (e->u.call.over)
            return FAIL(c, VG_ERR_SEMANTIC, e->u.call.over->span,
                        "OVER windows over a window TVF are not supported yet");
        if (!vg_bind_aggregate_of(e))
            return FAIL(c, VG_ERR_SEMANTIC, e->u.call.filter->span,
                        "FILTER is only allowed on aggregate functions");
        return FAIL(c, VG_ERR_SEMANTIC, e->span,
                    "aggregate %s over a window TVF needs GROUP BY window_start, window_end",
                    e->u.call.name.name);
    }
    return 0;
}
