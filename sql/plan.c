/*
 * plan.c — from bound relations to the logical plan: one node per stream,
 * view and query, one sink per INSERT and bare SELECT, in topological order.
 *
 * Statements can only read what earlier statements declared, so appending
 * nodes in statement order (inputs first) is a topological order. A view is
 * planned once, when it is declared, and every reader shares its node. An
 * anonymous projection that only passes its input's columns through (no
 * filter, the same columns in the same order) adds nothing and is left out:
 * SELECT * FROM v reads v's node directly, and a sink may rename columns
 * since its schema is its own. An OVER relation (its aggregates, window
 * and frame) becomes a VG_PLAN_OVER node as it is, a window TVF
 * relation (bare or grouped) a VG_PLAN_WINDOW node, an updating GROUP BY
 * (or DISTINCT) a VG_PLAN_GROUP node, a deduplication or Top-N a
 * VG_PLAN_RANK node and a MATCH_RECOGNIZE a VG_PLAN_MATCH node (its
 * vg_plan_match, in the plan's arena, as the binder built it).
 *
 * Every node says whether its output is updating (a changelog, not only
 * +I rows): its sink then writes each row with its "op". A sink refuses
 * an output column named "op" then, and one sink name refuses an updating
 * query beside an append-only one (its rows would not read alike).
 */
#include <stddef.h>
#include <string.h>

#include "sql/binder.h"
#include "sql/plan.h"

/* The plan and what vg_plan_free needs besides it. */
typedef struct plan_owner {
    vg_plan plan;             /* first: vg_plan_free finds the owner from the plan */
    vg_expr_pool *pool;       /* releases prepared function state */
    uint32_t cap, scap, kcap; /* capacities of nodes, sources, sinks */
    uint32_t mcap, rcap;      /* of models, rulesets */
} plan_owner;

static int nomem(vg_error *err) { return vg_error_set(err, VG_ERR_NOMEM, "out of memory"); }

/* Append p to the array *arr of *n entries and capacity *cap. */
static int push(vg_arena *a, vg_plan_node ***arr, uint32_t *n, uint32_t *cap, vg_plan_node *p)
{
    if (*n == *cap) {
        uint32_t ncap = *cap ? *cap * 2 : 16;
        vg_plan_node **na = vg_arena_alloc(a, ncap * sizeof *na);
        if (!na)
            return -1;
        if (*n)
            memcpy(na, *arr, *n * sizeof *na);
        *arr = na;
        *cap = ncap;
    }
    (*arr)[(*n)++] = p;
    return 0;
}

static vg_plan_node *node_new(plan_owner *o, vg_plan_kind kind, const vg_rel *r,
                              vg_plan_node *input, vg_error *err)
{
    vg_arena *a = o->plan.arena;
    vg_plan_node *p = vg_arena_calloc(a, sizeof *p);
    vg_plan_node **in = input ? vg_arena_alloc(a, sizeof *in) : NULL;
    if (!p || (input && !in) || push(a, &o->plan.nodes, &o->plan.nnodes, &o->cap, p) < 0) {
        nomem(err);
        return NULL;
    }
    p->id = o->plan.nnodes - 1;
    p->kind = kind;
    p->name = r->name;
    p->schema = r->schema;
    p->src = r->src;
    p->span = r->span;
    if (input) {
        in[0] = input;
        p->inputs = in;
        p->ninputs = 1;
    }
    return p;
}

/* A GROUP or RANK relation's node over in. */
static vg_plan_node *plan_keyed(plan_owner *o, const vg_rel *r, vg_plan_node *in, vg_error *err)
{
    bool group = r->kind == VG_REL_GROUP;
    vg_plan_node *p = node_new(o, group ? VG_PLAN_GROUP : VG_PLAN_RANK, r, in, err);
    if (!p)
        return NULL;
    if (group) {
        p->u.group.nkeys = r->u.group.nkeys;
        p->u.group.keys = r->u.group.keys;
        p->u.group.naggs = r->u.group.naggs;
        p->u.group.aggs = r->u.group.aggs;
        p->u.group.time_col = r->u.group.time_col;
        return p;
    }
    p->u.rank.mode = r->u.rank.mode;
    p->u.rank.nkeys = r->u.rank.nkeys;
    p->u.rank.keys = r->u.rank.keys;
    p->u.rank.norder = r->u.rank.norder;
    p->u.rank.order = r->u.rank.order;
    p->u.rank.desc = r->u.rank.desc;
    p->u.rank.limit = r->u.rank.limit;
    p->u.rank.with_rn = r->u.rank.with_rn;
    p->u.rank.time_col = r->u.rank.time_col;
    p->u.rank.wend = r->u.rank.wend;
    return p;
}

/* Whether projection r passes its input's columns through unchanged (names
 * aside when names_free). */
static bool is_identity(const vg_rel *r, bool names_free)
{
    const vg_schema *in = &r->input->schema;
    if (r->kind != VG_REL_PROJECT || r->name || r->u.project.filter || r->schema.ncols != in->ncols)
        return false;
    for (uint32_t i = 0; i < r->schema.ncols; i++) {
        if (vg_expr_column_slot(r->u.project.exprs[i]) != (int32_t)i)
            return false;
        if (!names_free && strcmp(r->schema.cols[i].name, in->cols[i].name) != 0)
            return false;
    }
    return true;
}

static vg_plan_node *plan_rel(plan_owner *o, vg_rel *r, vg_error *err)
{
    if (r->planned)
        return r->planned;
    vg_plan_node *p;
    if (r->kind == VG_REL_SOURCE) {
        if (!(p = node_new(o, VG_PLAN_SOURCE, r, NULL, err)))
            return NULL;
        p->u.source.time_col = r->u.source.time_col;
        p->u.source.watermark = r->u.source.watermark;
        if (push(o->plan.arena, &o->plan.sources, &o->plan.nsources, &o->scap, p) < 0) {
            nomem(err);
            return NULL;
        }
    } else {
        vg_plan_node *in = plan_rel(o, r->input, err);
        if (!in)
            return NULL;
        if (is_identity(r, false)) {
            r->planned = in;
            return in;
        }
        if (r->kind == VG_REL_WINDOW) {
            if (!(p = node_new(o, VG_PLAN_WINDOW, r, in, err)))
                return NULL;
            p->u.window.spec = r->u.window.spec;
            p->u.window.time_col = r->u.window.time_col;
            p->u.window.grouped = r->u.window.grouped;
            p->u.window.nkeys = r->u.window.nkeys;
            p->u.window.keys = r->u.window.keys;
            p->u.window.naggs = r->u.window.naggs;
            p->u.window.aggs = r->u.window.aggs;
        } else if (r->kind == VG_REL_GROUP || r->kind == VG_REL_RANK) {
            if (!(p = plan_keyed(o, r, in, err)))
                return NULL;
        } else if (r->kind == VG_REL_PREDICT) {
            if (!(p = node_new(o, VG_PLAN_PREDICT, r, in, err)))
                return NULL;
            p->u.predict.model = r->u.predict.model;
            p->u.predict.cols = r->u.predict.cols;
        } else if (r->kind == VG_REL_RULES) {
            if (!(p = node_new(o, VG_PLAN_RULES, r, in, err)))
                return NULL;
            p->u.rules.ruleset = r->u.rules.ruleset;
        } else if (r->kind == VG_REL_MATCH) {
            if (!(p = node_new(o, VG_PLAN_MATCH, r, in, err)))
                return NULL;
            p->u.match = r->u.match.match;
        } else if (r->kind == VG_REL_OVER) {
            if (!(p = node_new(o, VG_PLAN_OVER, r, in, err)))
                return NULL;
            p->u.over = r->u.over;
        } else {
            if (!(p = node_new(o, VG_PLAN_PROJECT, r, in, err)))
                return NULL;
            p->u.project.filter = r->u.project.filter;
            p->u.project.nexprs = r->schema.ncols;
            p->u.project.exprs = r->u.project.exprs;
        }
        p->updating = vg_rel_updating(r);
    }
    r->planned = p;
    return p;
}

/* Where the select item that makes output column `name` of INSERT or
 * query statement st is: its alias, the column it names, or the star that
 * brings it; the statement when none is found. */
static vg_span column_span(const vg_ast *st, const char *name)
{
    const vg_ast *q = st->kind == VG_AST_INSERT ? st->u.insert.query : st->u.query.query;
    const vg_ast_select_item *star = NULL;
    for (uint32_t i = 0; i < q->u.select.nitems; i++) {
        const vg_ast_select_item *it = &q->u.select.items[i];
        const vg_ast *e = it->expr;
        if (it->alias.name && strcmp(it->alias.name, name) == 0)
            return it->alias.span;
        if (!it->alias.name && e->kind == VG_AST_COLUMN && strcmp(e->u.column.name.name, name) == 0)
            return e->span;
        if (e->kind == VG_AST_STAR && !star)
            star = it;
    }
    return star ? star->expr->span : st->span;
}

/* An updating sink writes "op" first: no column may be named so. One sink
 * name takes updating or append-only queries, not both. */
static int check_sink(plan_owner *o, const vg_plan_node *p, const vg_ast_stmt *st, vg_error *err)
{
    if (p->updating && vg_schema_find(&p->schema, "op") >= 0)
        return vg_error_at(err, VG_ERR_SEMANTIC, st->src, column_span(st->node, "op"),
                           "an updating query cannot have a column named 'op': its sink writes "
                           "each change as {\"op\":\"+I\", ...} (rename the column)");
    for (uint32_t i = 0; i < o->plan.nsinks; i++) {
        const vg_plan_node *s = o->plan.sinks[i];
        if (strcmp(s->name, p->name) != 0 || s->updating == p->updating)
            continue;
        const vg_ast *n = st->node;
        vg_span sp = n->kind == VG_AST_INSERT ? n->u.insert.sink.span : n->span;
        return vg_error_at(err, VG_ERR_SEMANTIC, st->src, sp,
                           "'%s' already receives an %s query, and this one is %s: a sink's rows "
                           "carry \"op\" only when all its queries are updating",
                           p->name, s->updating ? "updating" : "append-only",
                           p->updating ? "updating" : "append-only");
    }
    return 0;
}

/* A sink for an INSERT or bare SELECT whose query is r. */
static int plan_sink(plan_owner *o, const vg_bound_stmt *bs, const vg_ast_stmt *st, vg_error *err)
{
    vg_rel *r = bs->rel;
    vg_plan_node *in = is_identity(r, true) ? plan_rel(o, r->input, err) : plan_rel(o, r, err);
    if (!in)
        return -1;
    vg_rel as_sink = *r;
    as_sink.name = bs->name;
    as_sink.src = st->src;
    as_sink.span = st->node->span;
    vg_plan_node *p = node_new(o, VG_PLAN_SINK, &as_sink, in, err);
    if (!p)
        return -1;
    p->u.sink.is_stdout = bs->is_stdout;
    p->updating = in->updating;
    if (check_sink(o, p, st, err) < 0)
        return -1;
    if (push(o->plan.arena, &o->plan.sinks, &o->plan.nsinks, &o->kcap, p) < 0)
        return nomem(err);
    return 0;
}

static int plan_stmt(plan_owner *o, vg_binder *b, const vg_ast_stmt *st, vg_error *err)
{
    vg_bound_stmt bs;
    if (vg_binder_bind(b, st, &bs, err) < 0)
        return -1;
    uint32_t first = o->plan.nnodes;
    switch (bs.kind) {
    case VG_BOUND_STREAM:
        return plan_rel(o, bs.rel, err) ? 0 : -1;
    case VG_BOUND_MODEL:
        return push(o->plan.arena, (vg_plan_node ***)&o->plan.models, &o->plan.nmodels, &o->mcap,
                    (vg_plan_node *)bs.model) < 0 ? nomem(err) : 0;
    case VG_BOUND_RULESET:
        return push(o->plan.arena, (vg_plan_node ***)&o->plan.rulesets, &o->plan.nrulesets,
                    &o->rcap, (vg_plan_node *)bs.ruleset) < 0 ? nomem(err) : 0;
    case VG_BOUND_VIEW:
        if (!plan_rel(o, bs.rel, err))
            return -1;
        /* the view's node and the operators planned for it belong to it */
        for (uint32_t i = first; i < o->plan.nnodes; i++)
            o->plan.nodes[i]->view = bs.rel->name;
        return 0;
    default:
        return plan_sink(o, &bs, st, err);
    }
}

int vg_plan_build(const vg_ast_stmt *stmts, uint32_t nstmts, vg_plan **out, vg_error *err)
{
    *out = NULL;
    vg_arena *a = vg_arena_new(VG_MEM_SQL, 16384);
    plan_owner *o = a ? vg_arena_calloc(a, sizeof *o) : NULL;
    vg_expr_pool *pool = o ? vg_expr_pool_new(a) : NULL;
    vg_binder *b = pool ? vg_binder_new(pool) : NULL;
    if (!b) {
        vg_arena_free(a);
        return nomem(err);
    }
    o->plan.arena = a;
    o->pool = pool;
    for (uint32_t i = 0; i < nstmts; i++) {
        if (plan_stmt(o, b, &stmts[i], err) < 0) {
            vg_plan_free(&o->plan);
            return -1;
        }
    }
    *out = &o->plan;
    return 0;
}

void vg_plan_free(vg_plan *p)
{
    if (!p)
        return;
    plan_owner *o = (plan_owner *)((char *)p - offsetof(plan_owner, plan));
    vg_expr_pool_release(o->pool);
    vg_arena_free(p->arena);
}
