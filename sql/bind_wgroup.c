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
 * each aggregate call replaced by a hidden column that stands for it (the
 * same device as bind_over.c; hidden names are not valid UTF-8, so no SQL
 * can name one).
 *
 * Flink's rules: GROUP BY must hold window_start and window_end (without
 * them Flink runs an updating GROUP BY, which vigil does not support
 * yet); window_time may be grouped too, and must be to be selected; any
 * other column the select list or HAVING uses outside an aggregate must be
 * grouped. A HOP's size must be a multiple of its slide. Where Flink's
 * meaning is unclear vigil refuses: a SESSION aggregate groups by exactly
 * its PARTITION BY columns, WHERE and aggregate arguments cannot use the
 * window columns, and GROUP BY takes columns, not expressions.
 */
#include <string.h>

#include "sql/binder_int.h"
#include "udf/agg.h"

/* One aggregate column of the window relation. */
typedef struct wagg {
    vg_plan_agg agg;
    const char *name; /* its column's name: the select item's alias, or $aggN */
    const char *sig;  /* the call's text, to share identical calls */
} wagg;

/* An aggregate call of the select list or HAVING, and its column. */
typedef struct call_ref {
    const vg_ast *call;
    uint32_t index; /* into aggs */
} call_ref;

typedef struct wgroup {
    bind_ctx *c;             /* c->scope: the TVF's columns */
    const vg_ast *q;         /* the SELECT */
    const vg_rel *tvf;       /* the bare TVF relation */
    uint32_t nin;            /* columns of the TVF's input */
    bool by_start, by_end;   /* window_start / window_end are grouped */
    bool by_time;            /* window_time is grouped */
    uint32_t nkeys;          /* the other GROUP BY columns */
    uint32_t *keys;          /* their slots in the input */
    const vg_ast **key_asts; /* their GROUP BY items */
    wagg *aggs;
    uint32_t naggs, acap;
    call_ref *calls;
    uint32_t ncalls, ccap;
    vg_schema out_schema; /* the window relation's columns, aggregates hidden */
    bind_scope out_scope; /* what the select list and HAVING bind in */
} wgroup;

#define FAIL(...) (vg_bind_fail(__VA_ARGS__), -1)

static int nomem(bind_ctx *c) { return vg_error_set(c->err, VG_ERR_NOMEM, "out of memory"); }

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

/* ---- walking expressions ---- */

typedef int (*child_fn)(void *arg, vg_ast *const *slot);

/* Call fn on the slot of each child expression of e; stops at a nonzero
 * return and gives it back. */
static int each_child(const vg_ast *e, child_fn fn, void *arg)
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

/* The first call in e that an ungrouped SELECT cannot hold over a window
 * TVF: an aggregate, OVER, or FILTER. */
static int first_special_fn(void *arg, vg_ast *const *slot);

static const vg_ast *first_special(const vg_ast *e)
{
    if (e->kind == VG_AST_CALL && (aggregate_of(e) || e->u.call.over || e->u.call.filter))
        return e;
    const vg_ast *found = NULL;
    each_child(e, first_special_fn, &found);
    return found;
}

static int first_special_fn(void *arg, vg_ast *const *slot)
{
    return (*(const vg_ast **)arg = first_special(*slot)) != NULL;
}

/* ---- columns ---- */

/* The TVF slot column e names, or -1 with the error set. */
static int resolve(wgroup *g, const vg_ast *e)
{
    bind_ctx *c = g->c;
    const vg_ident *q = &e->u.column.qualifier;
    if (q->name && (!c->scope->alias || strcmp(c->scope->alias, q->name) != 0))
        return FAIL(c, VG_ERR_NAME, q->span, "unknown table alias '%s'", q->name);
    return vg_bind_find_column(c, q->name, e->u.column.name.name,
                               q->name ? e->span : e->u.column.name.span);
}

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
        int slot = resolve(g, e);
        if (slot < 0)
            return -1;
        if ((uint32_t)slot >= g->nin)
            return FAIL(g->c, VG_ERR_SEMANTIC, e->span, "%s cannot be used %s",
                        e->u.column.name.name, where);
        return 0;
    }
    walk w = {g, where};
    return each_child(e, no_window_cols_fn, &w) ? -1 : 0;
}

static int no_window_cols_fn(void *arg, vg_ast *const *slot)
{
    walk *w = arg;
    return no_window_cols(w->g, *slot, w->where) < 0;
}

static int check_grouped_fn(void *arg, vg_ast *const *slot);

/* Every column e uses outside its aggregate calls must be grouped. */
static int check_grouped(wgroup *g, const vg_ast *e)
{
    if (aggregate_of(e))
        return 0;
    if (e->kind == VG_AST_COLUMN) {
        int slot = resolve(g, e);
        if (slot < 0)
            return -1;
        if (!is_grouped(g, slot))
            return FAIL(g->c, VG_ERR_SEMANTIC, e->span,
                        "column '%s' is not being grouped: add it to GROUP BY or use it in an "
                        "aggregate",
                        e->u.column.name.name);
        return 0;
    }
    if (e->kind == VG_AST_STAR)
        return FAIL(g->c, VG_ERR_SEMANTIC, e->span,
                    "SELECT * cannot be used with GROUP BY: list the grouped columns and "
                    "aggregates");
    return each_child(e, check_grouped_fn, g) ? -1 : 0;
}

static int check_grouped_fn(void *arg, vg_ast *const *slot)
{
    return check_grouped(arg, *slot) < 0;
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
    const vg_rel *t = g->tvf;
    for (uint32_t i = 0; i < g->nkeys; i++) {
        bool found = false;
        for (uint32_t j = 0; j < t->u.window.nkeys; j++)
            found |= t->u.window.keys[j] == g->keys[i];
        if (!found)
            return FAIL(g->c, VG_ERR_SEMANTIC, g->key_asts[i]->span,
                        "a SESSION window aggregate groups by its PARTITION BY columns only, and "
                        "'%s' is not one",
                        t->input->schema.cols[g->keys[i]].name);
    }
    for (uint32_t j = 0; j < t->u.window.nkeys; j++) {
        bool found = false;
        for (uint32_t i = 0; i < g->nkeys; i++)
            found |= t->u.window.keys[j] == g->keys[i];
        if (!found)
            return FAIL(g->c, VG_ERR_SEMANTIC, g->q->u.select.group_span,
                        "GROUP BY must include '%s', a PARTITION BY column of the SESSION",
                        t->input->schema.cols[t->u.window.keys[j]].name);
    }
    return 0;
}

static int bind_group_by(wgroup *g)
{
    const vg_ast_list *l = &g->q->u.select.group_by;
    g->keys = vg_arena_alloc(g->c->b->arena, l->n * sizeof *g->keys);
    g->key_asts = vg_arena_alloc(g->c->b->arena, l->n * sizeof *g->key_asts);
    if (!g->keys || !g->key_asts)
        return nomem(g->c);
    for (uint32_t i = 0; i < l->n; i++) {
        const vg_ast *item = l->items[i];
        if (item->kind != VG_AST_COLUMN)
            return FAIL(g->c, VG_ERR_SEMANTIC, item->span,
                        "GROUP BY expects a column (grouping by an expression is not supported "
                        "yet)");
        int slot = resolve(g, item);
        if (slot < 0)
            return -1;
        g->by_start |= (uint32_t)slot == g->nin;
        g->by_end |= (uint32_t)slot == g->nin + 1;
        g->by_time |= (uint32_t)slot == g->nin + 2;
        if ((uint32_t)slot < g->nin)
            add_key(g, item, slot);
    }
    if (!g->by_start || !g->by_end)
        return FAIL(g->c, VG_ERR_SEMANTIC, g->q->u.select.group_span,
                    "GROUP BY over a window TVF must include window_start and window_end "
                    "(other grouping is not supported yet)");
    const vg_window_spec *s = &g->tvf->u.window.spec;
    if (s->kind == VG_WINDOW_SESSION)
        return check_session_keys(g);
    if (s->kind == VG_WINDOW_HOP && s->size % s->step != 0)
        return FAIL(g->c, VG_ERR_SEMANTIC, g->q->u.select.from->u.tablefn.args.items[1]->span,
                    "HOP with GROUP BY needs a size that is an integral multiple of its slide, "
                    "got size %lld ms and slide %lld ms",
                    (long long)s->size, (long long)s->step);
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

/* Arguments and FILTER of an aggregate hold no aggregate and no window
 * column. */
static int check_agg_part(wgroup *g, const vg_ast *e)
{
    const vg_ast *inner = first_special(e);
    if (inner && aggregate_of(inner))
        return FAIL(g->c, VG_ERR_SEMANTIC, inner->span, "aggregate functions cannot be nested");
    return no_window_cols(g, e, "inside an aggregate");
}

static int bind_agg_args(wgroup *g, const vg_ast *e, const vg_agg *a, vg_agg_bind *b,
                         vg_expr **args)
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
        if (check_agg_part(g, x) < 0 || !(args[i] = vg_bind_expr(g->c, x)))
            return -1;
        b->argt[i] = vg_expr_type(args[i]);
    }
    return 0;
}

static int bind_filter(wgroup *g, const vg_ast *f, vg_expr **out)
{
    *out = NULL;
    if (!f)
        return 0;
    vg_expr *x;
    if (check_agg_part(g, f) < 0 || !(x = vg_bind_expr(g->c, f)))
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

static int bind_agg(wgroup *g, const vg_ast *e, const vg_agg *a, vg_plan_agg *pa)
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
static const char *signature(wgroup *g, const vg_ast *e)
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
static int add_call(wgroup *g, const vg_ast *e, const vg_agg *a, const char *alias)
{
    bind_ctx *c = g->c;
    const char *sig = signature(g, e);
    g->calls = sig ? grow(c, g->calls, g->ncalls, &g->ccap, sizeof *g->calls) : NULL;
    if (!g->calls)
        return nomem(c);
    call_ref *r = &g->calls[g->ncalls++];
    r->call = e;
    for (uint32_t i = 0; i < g->naggs; i++)
        if (strcmp(g->aggs[i].sig, sig) == 0) {
            r->index = i;
            return 0;
        }
    if (!(g->aggs = grow(c, g->aggs, g->naggs, &g->acap, sizeof *g->aggs)))
        return nomem(c);
    wagg *w = &g->aggs[g->naggs];
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
static int collect(wgroup *g, const vg_ast *e, const char *alias)
{
    if (e->kind == VG_AST_CALL) {
        const vg_agg *a = aggregate_of(e);
        if (e->u.call.over)
            return FAIL(g->c, VG_ERR_SEMANTIC, e->u.call.over->span,
                        "OVER is not supported in a query with GROUP BY yet");
        if (!a && e->u.call.filter)
            return FAIL(g->c, VG_ERR_SEMANTIC, e->u.call.filter->span,
                        "FILTER is only allowed on aggregate functions");
        if (a)
            return add_call(g, e, a, alias);
    }
    return each_child(e, collect_fn, g) ? -1 : 0;
}

static int collect_fn(void *arg, vg_ast *const *slot) { return collect(arg, *slot, NULL) < 0; }

/* ---- rewriting calls into hidden columns ---- */

/* The window relation's column of aggregate call e, or -1. */
static int64_t call_slot(const wgroup *g, const vg_ast *e)
{
    for (uint32_t i = 0; i < g->ncalls; i++)
        if (g->calls[i].call == e)
            return 3 + g->nkeys + g->calls[i].index;
    return -1;
}

static int has_call_fn(void *arg, vg_ast *const *slot);

static bool has_call(const wgroup *g, const vg_ast *e)
{
    return call_slot(g, e) >= 0 || each_child(e, has_call_fn, (void *)g) != 0;
}

static int has_call_fn(void *arg, vg_ast *const *slot) { return has_call(arg, *slot); }

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

/* e with each aggregate call replaced by its hidden column (e itself when
 * it has none); copies live in the binder's arena. NULL when out of memory. */
static const vg_ast *rewrite(wgroup *g, const vg_ast *e)
{
    bind_ctx *c = g->c;
    int64_t slot = call_slot(g, e);
    if (slot < 0 && !has_call(g, e))
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
    return each_child(n, rewrite_fn, g) ? NULL : n;
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

/* WHERE over the TVF's input: no aggregates, no window columns (there are
 * none yet); a projection that passes every column through, or `in`
 * itself when there is no WHERE or it is the constant TRUE. */
static vg_rel *where_rel(wgroup *g, vg_rel *in)
{
    bind_ctx *c = g->c;
    const vg_ast *w = g->q->u.select.where;
    if (!w)
        return in;
    if (vg_bind_no_aggregates(c, w, "WHERE") < 0 ||
        no_window_cols(g, w, "in WHERE with GROUP BY yet (filter the groups with HAVING)") < 0)
        return NULL;
    vg_expr *x = vg_bind_expr(c, w);
    if (!x)
        return NULL;
    vg_type t = vg_expr_type(x);
    if (t != VG_T_BOOL && t != VG_T_NULL)
        return vg_bind_fail(c, VG_ERR_TYPE, w->span, "WHERE expects a BOOLEAN expression, got %s",
                            vg_type_name(t));
    const vg_value *v = vg_expr_const_value(x);
    if (v && !v->null && v->u.i)
        return in;
    uint32_t n = in->schema.ncols;
    vg_rel *r = vg_bind_rel_new(c, VG_REL_PROJECT, NULL, g->q->span, 0);
    vg_expr **exprs = r ? vg_arena_alloc(c->b->arena, (n ? n : 1) * sizeof *exprs) : NULL;
    if (!exprs) {
        nomem(c);
        return NULL;
    }
    for (uint32_t i = 0; i < n; i++) {
        vg_error cerr;
        vg_error_clear(&cerr);
        if (!(exprs[i] = vg_expr_new_column(c->b->pool, i, in->schema.cols[i].type, &cerr)))
            return vg_bind_fail_from(c, &cerr, w->span);
    }
    r->input = in;
    r->schema = in->schema;
    r->u.project.filter = x;
    r->u.project.exprs = exprs;
    return r;
}

/* The grouped window relation over base, and the scope of the select list. */
static vg_rel *group_rel(wgroup *g, vg_rel *base)
{
    bind_ctx *c = g->c;
    uint32_t n = 3 + g->nkeys + g->naggs;
    vg_rel *r = vg_bind_rel_new(c, VG_REL_WINDOW, NULL, g->q->span, n);
    vg_column *hidden = r ? vg_arena_alloc(c->b->arena, n * sizeof *hidden) : NULL;
    vg_plan_agg *aggs = hidden ? vg_arena_alloc(c->b->arena, (g->naggs + 1) * sizeof *aggs) : NULL;
    if (!aggs) {
        nomem(c);
        return NULL;
    }
    memcpy(r->schema.cols, &g->tvf->schema.cols[g->nin], 3 * sizeof *r->schema.cols);
    for (uint32_t i = 0; i < g->nkeys; i++)
        r->schema.cols[3 + i] = base->schema.cols[g->keys[i]];
    for (uint32_t i = 0; i < g->naggs; i++) {
        vg_column *col = &r->schema.cols[3 + g->nkeys + i];
        aggs[i] = g->aggs[i].agg;
        col->name = g->aggs[i].name;
        col->type = aggs[i].call.ret;
    }
    memcpy(hidden, r->schema.cols, n * sizeof *hidden);
    for (uint32_t i = 3 + g->nkeys; i < n; i++)
        if (!(hidden[i].name = vg_arena_printf(c->b->arena, "\xff\xff\xff%u", i))) {
            nomem(c);
            return NULL;
        }
    r->input = base;
    r->u.window = g->tvf->u.window;
    r->u.window.grouped = true;
    r->u.window.nkeys = g->nkeys;
    r->u.window.keys = g->keys;
    r->u.window.naggs = g->naggs;
    r->u.window.aggs = aggs;
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

/* A select item, bound over the window relation; named as binder.c names
 * them: the alias, the column's name, else EXPR$n. */
static int bind_item(wgroup *g, bind_ctx *items, const vg_ast_select_item *it, outlist *o)
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

/* HAVING over the window relation: a BOOLEAN; NULL in *out when TRUE. */
static int bind_having(wgroup *g, bind_ctx *items, vg_expr **out)
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

/* The aggregates of the select list and HAVING, then their grouping. */
static int check_items(wgroup *g)
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

static vg_rel *select_rel(wgroup *g, vg_rel *grouped, bool unique_names)
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

bool vg_bind_window_wanted(const vg_ast *q) { return q->u.select.group_by.n || q->u.select.having; }

vg_rel *vg_bind_window_select(bind_ctx *c, const vg_ast *q, vg_rel *in, const char *alias,
                              bool unique_names)
{
    if (in->kind != VG_REL_WINDOW || in->u.window.grouped)
        return vg_bind_group_select(c, q, in, alias, unique_names); /* bind_group.c */
    if (!q->u.select.group_by.n)
        return vg_bind_fail(c, VG_ERR_SEMANTIC, q->u.select.having_span,
                            "HAVING is not supported yet");
    bind_scope scope = {alias, &in->schema};
    bind_ctx inner = *c;
    inner.scope = &scope;
    wgroup g = {.c = &inner, .q = q, .tvf = in, .nin = in->input->schema.ncols};
    if (bind_group_by(&g) < 0)
        return NULL;
    vg_rel *base = where_rel(&g, in->input);
    if (!base || check_items(&g) < 0)
        return NULL;
    vg_rel *grouped = group_rel(&g, base);
    return grouped ? select_rel(&g, grouped, unique_names) : NULL;
}

/* Whether r is a window relation or reads one. */
static bool reads_window(const vg_rel *r)
{
    for (; r && r->kind != VG_REL_SOURCE; r = r->input)
        if (r->kind == VG_REL_WINDOW)
            return true;
    return false;
}

/* OVER aggregates over what a window TVF made. bind_over.c finds the
 * event-time column with vg_bind_time_col, which does not know window
 * relations yet: refused until it defers to vg_bind_window_time_col. */
static int check_over_of_window(bind_ctx *c, const vg_ast *q, const vg_rel *in)
{
    if (!reads_window(in) || !vg_bind_over_wanted(q))
        return 0;
    for (uint32_t i = 0; i < q->u.select.nitems; i++) {
        const vg_ast *e = first_special(q->u.select.items[i].expr);
        if (e && e->u.call.over)
            return FAIL(c, VG_ERR_SEMANTIC, e->u.call.over->span,
                        "OVER windows over the result of a window TVF are not supported yet");
    }
    return FAIL(c, VG_ERR_SEMANTIC, q->span,
                "OVER windows over the result of a window TVF are not supported yet");
}

int vg_bind_window_check(bind_ctx *c, const vg_ast *q, const vg_rel *in)
{
    if (in->kind != VG_REL_WINDOW)
        return check_over_of_window(c, q, in);
    const vg_ast *f = q->u.select.from;
    if (in->u.window.spec.kind == VG_WINDOW_SESSION)
        return FAIL(c, VG_ERR_SEMANTIC, f->u.tablefn.fn.span,
                    "SESSION windows need GROUP BY window_start, window_end (a SESSION without "
                    "aggregation is not supported)");
    if (q->u.select.nwindows)
        return FAIL(c, VG_ERR_SEMANTIC, q->u.select.window_span,
                    "OVER windows over a window TVF are not supported yet");
    for (uint32_t i = 0; i < q->u.select.nitems; i++) {
        const vg_ast *e = first_special(q->u.select.items[i].expr);
        if (!e)
            continue;
        if (e->u.call.over)
            return FAIL(c, VG_ERR_SEMANTIC, e->u.call.over->span,
                        "OVER windows over a window TVF are not supported yet");
        if (!aggregate_of(e))
            return FAIL(c, VG_ERR_SEMANTIC, e->u.call.filter->span,
                        "FILTER is only allowed on aggregate functions");
        return FAIL(c, VG_ERR_SEMANTIC, e->span,
                    "aggregate %s over a window TVF needs GROUP BY window_start, window_end",
                    e->u.call.name.name);
    }
    return 0;
}
