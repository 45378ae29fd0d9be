/*
 * binder.c — the catalog, statements, and SELECT blocks.
 *
 * A SELECT becomes a PROJECT relation over its FROM item: WHERE is its
 * filter, the select list (with * expanded) its expressions. Output names
 * follow Flink: the alias, else the column's name for a plain column
 * reference, else EXPR$n with n the 0-based position in the expanded
 * select list. A select list with OVER aggregates reads a chain of OVER
 * relations instead (bind_over.c), GROUP BY over a window TVF a window
 * aggregate (bind_wgroup.c), as does Flink's GROUP BY TUMBLE(ts, ...) group
 * window form (bind_gwindow.c), any other GROUP BY, HAVING or aggregate without
 * OVER an updating GROUP relation (bind_group.c), SELECT DISTINCT a GROUP
 * relation over the rest (bind_group.c), a FROM subquery that ranks
 * with ROW_NUMBER a deduplication or Top-N (bind_rank.c), and a FROM item
 * with MATCH_RECOGNIZE a MATCH relation over it (bind_match.c). Clauses that later
 * issues implement (joins, ...) are refused here with "... is not supported
 * yet" at the clause, so that each slots in as a new relation kind.
 */
#include <stdio.h>
#include <string.h>

#include "sql/binder_int.h"

static int nomem(vg_error *err) { return vg_error_set(err, VG_ERR_NOMEM, "out of memory"); }

/* ---- the catalog ---- */

vg_binder *vg_binder_new(vg_expr_pool *pool)
{
    vg_arena *a = vg_expr_pool_arena(pool);
    vg_binder *b = vg_arena_calloc(a, sizeof *b);
    if (b) {
        b->pool = pool;
        b->arena = a;
    }
    return b;
}

static bind_entry *find_entry(const vg_binder *b, const char *name)
{
    for (uint32_t i = 0; i < b->nentries; i++)
        if (strcmp(b->entries[i].name, name) == 0)
            return &b->entries[i];
    return NULL;
}

const vg_rel *vg_binder_find(const vg_binder *b, const char *name)
{
    const bind_entry *e = find_entry(b, name);
    return e ? e->rel : NULL;
}

static int add_entry(vg_binder *b, const char *name, vg_rel *rel, vg_error *err)
{
    if (b->nentries == b->cap) {
        uint32_t cap = b->cap ? b->cap * 2 : 16;
        bind_entry *ne = vg_arena_alloc(b->arena, cap * sizeof *ne);
        if (!ne)
            return nomem(err);
        if (b->nentries)
            memcpy(ne, b->entries, b->nentries * sizeof *ne);
        b->entries = ne;
        b->cap = cap;
    }
    b->entries[b->nentries].name = name;
    b->entries[b->nentries].rel = rel;
    b->nentries++;
    return 0;
}

/* ---- helpers ---- */

vg_rel *vg_bind_rel_new(bind_ctx *c, vg_rel_kind kind, const char *name, vg_span span,
                        uint32_t ncols)
{
    vg_rel *r = vg_arena_calloc(c->b->arena, sizeof *r);
    vg_column *cols = vg_arena_calloc(c->b->arena, (ncols ? ncols : 1) * sizeof *cols);
    if (!r || !cols) {
        nomem(c->err);
        return NULL;
    }
    r->kind = kind;
    r->name = name;
    r->src = c->src;
    r->span = span;
    r->schema.cols = cols;
    r->schema.ncols = ncols;
    return r;
}

/* Refuse a clause of a later issue. */
static int unsupported(bind_ctx *c, vg_span sp, const char *what)
{
    vg_bind_fail(c, VG_ERR_SEMANTIC, sp, "%s is not supported yet", what);
    return -1;
}

/* The clauses of a SELECT that this issue does not implement. */
static int check_supported(bind_ctx *c, const vg_ast *q)
{
    /* DISTINCT: vg_bind_distinct; GROUP BY and HAVING: vg_bind_window_select */
    if (q->u.select.order_by.n)
        return unsupported(c, q->u.select.order_span, "ORDER BY");
    if (q->u.select.limit)
        return unsupported(c, q->u.select.limit_span, "LIMIT");
    return 0;
}

/* ---- SELECT ---- */

static vg_rel *bind_select(bind_ctx *c, const vg_ast *q, bool unique_names);

vg_rel *vg_bind_from(bind_ctx *c, const vg_ast *f, const char **alias)
{
    switch (f->kind) {
    case VG_AST_TABLEREF: {
        bind_entry *e = find_entry(c->b, f->u.tableref.name.name);
        if (!e)
            return vg_bind_fail(c, VG_ERR_NAME, f->u.tableref.name.span,
                                "unknown stream or view '%s'", f->u.tableref.name.name);
        *alias = f->u.tableref.alias.name ? f->u.tableref.alias.name : e->name;
        return e->rel;
    }
    case VG_AST_SUBQUERY:
        *alias = f->u.subquery.alias.name;
        return bind_select(c, f->u.subquery.query, false);
    case VG_AST_TABLEFN:
        return vg_bind_model_tvf(f) ? vg_bind_model_from(c, f, alias)
                                    : vg_bind_tablefn(c, f, alias);
    case VG_AST_JOIN:
        unsupported(c, f->span, "JOIN");
        return NULL;
    case VG_AST_MATCH:
        return vg_bind_match(c, f, alias);
    default:
        return vg_bind_fail(c, VG_ERR_SEMANTIC, f->span, "not a FROM item");
    }
}

/* Output columns being collected for a select list. */
typedef struct outlist {
    vg_column *cols;
    vg_expr **exprs;
    vg_span *spans; /* where each came from, for duplicate-name errors */
    uint32_t n, cap;
} outlist;

static int out_add(bind_ctx *c, outlist *o, const char *name, vg_expr *x, vg_span sp)
{
    if (o->n == o->cap) {
        uint32_t cap = o->cap ? o->cap * 2 : 16;
        vg_column *cols = vg_arena_alloc(c->b->arena, cap * sizeof *cols);
        vg_expr **exprs = vg_arena_alloc(c->b->arena, cap * sizeof *exprs);
        vg_span *spans = vg_arena_alloc(c->b->arena, cap * sizeof *spans);
        if (!cols || !exprs || !spans)
            return nomem(c->err);
        if (o->n) {
            memcpy(cols, o->cols, o->n * sizeof *cols);
            memcpy(exprs, o->exprs, o->n * sizeof *exprs);
            memcpy(spans, o->spans, o->n * sizeof *spans);
        }
        o->cols = cols;
        o->exprs = exprs;
        o->spans = spans;
        o->cap = cap;
    }
    o->cols[o->n].name = name;
    o->cols[o->n].type = vg_expr_type(x);
    o->exprs[o->n] = x;
    o->spans[o->n] = sp;
    o->n++;
    return 0;
}

/* Expand * or t.* into every column of the FROM item. */
static int expand_star(bind_ctx *c, const vg_ast *star, outlist *o)
{
    const vg_ident *q = &star->u.star.qualifier;
    if (!c->scope) {
        vg_bind_fail(c, VG_ERR_SEMANTIC, star->span, "SELECT * needs a FROM clause");
        return -1;
    }
    if (q->name && (!c->scope->alias || strcmp(q->name, c->scope->alias) != 0)) {
        vg_bind_fail(c, VG_ERR_NAME, q->span, "unknown table alias '%s'", q->name);
        return -1;
    }
    const vg_schema *s = c->scope->schema;
    for (uint32_t i = 0; i < s->ncols; i++) {
        vg_error cerr;
        vg_error_clear(&cerr);
        vg_expr *x = vg_expr_new_column(c->b->pool, i, s->cols[i].type, &cerr);
        if (!x) {
            vg_bind_fail_from(c, &cerr, star->span);
            return -1;
        }
        if (out_add(c, o, s->cols[i].name, x, star->span) < 0)
            return -1;
    }
    return 0;
}

/* A select item. With OVER aggregates (ov), c's scope holds the aggregate
 * columns too and the item is bound with its calls replaced by them; star
 * expands over the FROM item's columns (star_ctx) all the same. */
static int bind_item(bind_ctx *c, bind_ctx *star_ctx, bind_over *ov, const vg_ast_select_item *it,
                     outlist *o)
{
    if (it->expr->kind == VG_AST_STAR)
        return expand_star(star_ctx, it->expr, o);
    const vg_ast *e = ov ? vg_bind_over_rewrite(ov, it->expr) : it->expr;
    vg_expr *x = e ? vg_bind_expr(c, e) : NULL;
    if (!x)
        return -1;
    const char *name = it->alias.name;
    vg_span sp = it->alias.name ? it->alias.span : it->expr->span;
    if (!name && it->expr->kind == VG_AST_COLUMN)
        name = it->expr->u.column.name.name;
    if (!name && !(name = vg_arena_printf(c->b->arena, "EXPR$%u", o->n)))
        return nomem(c->err);
    return out_add(c, o, name, x, sp);
}

/* WHERE: a BOOLEAN; NULL when it is the constant TRUE (no filter). */
static int bind_where(bind_ctx *c, const vg_ast *w, vg_expr **out)
{
    *out = NULL;
    if (!w)
        return 0;
    vg_expr *x;
    if (vg_bind_no_aggregates(c, w, "WHERE") < 0 || !(x = vg_bind_condition(c, w, "WHERE")))
        return -1;
    if (!vg_bind_is_true(x))
        *out = x;
    return 0;
}

/* SELECT q without its DISTINCT. */
static vg_rel *bind_query(bind_ctx *c, const vg_ast *q, bool unique_names)
{
    if (check_supported(c, q) < 0 || vg_bind_rank_misplaced(c, q) < 0)
        return NULL;
    if (!q->u.select.from)
        return vg_bind_fail(c, VG_ERR_SEMANTIC, q->span,
                            "SELECT without FROM is not supported yet");
    const char *alias = NULL;
    vg_rel *in = vg_bind_rank_wanted(q) ? vg_bind_rank_from(c, q, &alias, &q)
                                        : vg_bind_from(c, q->u.select.from, &alias);
    if (!in)
        return NULL;
    if (vg_bind_window_wanted(q))
        return vg_bind_window_select(c, q, in, alias, unique_names);
    if (vg_bind_window_check(c, q, in) < 0)
        return NULL;
    if (vg_bind_group_wanted(q))
        return vg_bind_group_select(c, q, in, alias, unique_names);
    bind_scope scope = {alias, &in->schema};
    bind_ctx inner = *c;
    inner.scope = &scope;
    vg_expr *filter;
    if (bind_where(&inner, q->u.select.where, &filter) < 0)
        return NULL;
    bind_over *ov = NULL;
    bind_ctx items = inner;
    if (vg_bind_over_wanted(q)) {
        if (vg_bind_over_keyed(c, q, in) < 0 || !(in = vg_bind_over(&inner, q, in, filter, &ov)))
            return NULL;
        filter = NULL; /* applied below the windows */
        items.scope = vg_bind_over_scope(ov);
    }
    outlist o = {0};
    for (uint32_t i = 0; i < q->u.select.nitems; i++)
        if (bind_item(&items, &inner, ov, &q->u.select.items[i], &o) < 0)
            return NULL;
    if (unique_names && vg_bind_check_unique(c, o.cols, o.spans, o.n) < 0)
        return NULL;
    vg_rel *r = vg_bind_rel_new(c, VG_REL_PROJECT, NULL, q->span, 0);
    if (!r)
        return NULL;
    r->input = in;
    r->schema.cols = o.cols;
    r->schema.ncols = o.n;
    r->u.project.filter = filter;
    r->u.project.exprs = o.exprs;
    return r;
}

static vg_rel *bind_select(bind_ctx *c, const vg_ast *q, bool unique_names)
{
    vg_rel *r = bind_query(c, q, unique_names);
    return r && q->u.select.distinct ? vg_bind_distinct(c, q, r) : r;
}

/* A statement's query: bound, then refused when a stateful operator would
 * hold an ARRAY (bind_state.c). */
static vg_rel *bind_statement_query(bind_ctx *c, const vg_ast *q)
{
    vg_rel *r = bind_select(c, q, true);
    return r && vg_bind_check_held(c, r) < 0 ? NULL : r;
}

/* ---- statements ---- */

static int check_new_name(bind_ctx *c, const vg_ident *name)
{
    if (find_entry(c->b, name->name)) {
        vg_bind_fail(c, VG_ERR_NAME, name->span, "'%s' is already defined", name->name);
        return -1;
    }
    return 0;
}

/* WATERMARK FOR col AS expr of a stream whose rel r has its columns. */
static int bind_watermark(bind_ctx *c, const vg_ast *st, vg_rel *r)
{
    const vg_ident *wc = &st->u.create_stream.wm_column;
    r->u.source.time_col = -1;
    if (!wc->name)
        return 0;
    bind_scope scope = {st->u.create_stream.name.name, &r->schema};
    bind_ctx inner = *c;
    inner.scope = &scope;
    int slot = vg_bind_find_column(&inner, NULL, wc->name, wc->span);
    if (slot < 0)
        return -1;
    vg_type t = r->schema.cols[slot].type;
    if (t != VG_T_TIMESTAMP) {
        vg_bind_fail(c, VG_ERR_TYPE, wc->span,
                     "WATERMARK FOR column '%s' must be TIMESTAMP(3), got %s", wc->name,
                     vg_type_name(t));
        return -1;
    }
    r->u.source.time_col = slot;
    const vg_ast *we = st->u.create_stream.wm_expr;
    if (!we)
        return 0;
    vg_expr *x = vg_bind_expr(&inner, we);
    if (!x)
        return -1;
    if (vg_expr_type(x) != VG_T_TIMESTAMP) {
        vg_bind_fail(c, VG_ERR_TYPE, we->span, "WATERMARK expression must be TIMESTAMP(3), got %s",
                     vg_type_name(vg_expr_type(x)));
        return -1;
    }
    r->u.source.watermark = x;
    return 0;
}

static vg_rel *bind_stream(bind_ctx *c, const vg_ast *st)
{
    const vg_ident *name = &st->u.create_stream.name;
    uint32_t n = st->u.create_stream.ncols;
    if (check_new_name(c, name) < 0)
        return NULL;
    vg_rel *r = vg_bind_rel_new(c, VG_REL_SOURCE, name->name, st->span, n);
    if (!r)
        return NULL;
    for (uint32_t i = 0; i < n; i++) {
        const vg_ast_column_def *cd = &st->u.create_stream.cols[i];
        for (uint32_t j = 0; j < i; j++)
            if (strcmp(cd->name.name, r->schema.cols[j].name) == 0)
                return vg_bind_fail(c, VG_ERR_NAME, cd->name.span,
                                    "duplicate column '%s' in stream '%s'", cd->name.name,
                                    name->name);
        if (cd->type.type == VG_T_NULL)
            return vg_bind_fail(c, VG_ERR_NAME, cd->type.span, "unknown type");
        r->schema.cols[i].name = cd->name.name;
        r->schema.cols[i].type = cd->type.type;
    }
    if (bind_watermark(c, st, r) < 0)
        return NULL;
    r->u.source.opts = st->u.create_stream.opts;
    r->u.source.nopts = st->u.create_stream.nopts;
    return r;
}

/* INSERT INTO name: a sink, so not a stream or view. */
static int check_sink(bind_ctx *c, const vg_ident *sink)
{
    const bind_entry *e = find_entry(c->b, sink->name);
    if (!e)
        return 0;
    vg_bind_fail(c, VG_ERR_SEMANTIC, sink->span, "cannot insert into %s '%s'",
                 e->rel->kind == VG_REL_SOURCE ? "stream" : "view", sink->name);
    return -1;
}

int vg_binder_bind(vg_binder *b, const vg_ast_stmt *stmt, vg_bound_stmt *out, vg_error *err)
{
    const vg_ast *st = stmt->node;
    bind_ctx c = {b, stmt->src, NULL, err};
    memset(out, 0, sizeof *out);
    switch (st->kind) {
    case VG_AST_CREATE_STREAM:
        out->kind = VG_BOUND_STREAM;
        out->name = st->u.create_stream.name.name;
        if (!(out->rel = bind_stream(&c, st)))
            return -1;
        return add_entry(b, out->name, out->rel, err);
    case VG_AST_CREATE_VIEW:
        out->kind = VG_BOUND_VIEW;
        out->name = st->u.create_view.name.name;
        if (check_new_name(&c, &st->u.create_view.name) < 0 ||
            !(out->rel = bind_statement_query(&c, st->u.create_view.query)))
            return -1;
        out->rel->name = out->name;
        out->rel->span = st->span;
        return add_entry(b, out->name, out->rel, err);
    case VG_AST_INSERT:
        out->kind = VG_BOUND_INSERT;
        out->name = st->u.insert.sink.name;
        out->is_stdout = strcmp(out->name, "stdout") == 0;
        if (check_sink(&c, &st->u.insert.sink) < 0 ||
            !(out->rel = bind_statement_query(&c, st->u.insert.query)))
            return -1;
        return 0;
    case VG_AST_QUERY:
        out->kind = VG_BOUND_QUERY;
        out->name = "stdout";
        out->is_stdout = 1;
        return (out->rel = bind_statement_query(&c, st->u.query.query)) ? 0 : -1;
    case VG_AST_CREATE_MODEL:
    case VG_AST_CREATE_RULESET:
        return vg_bind_create_model(&c, st, out);
    default:
        vg_bind_fail(&c, VG_ERR_SEMANTIC, st->span, "not a statement");
        return -1;
    }
}

vg_expr *vg_binder_bind_expr(vg_binder *b, const vg_ast *e, const vg_source *src,
                             const vg_schema *schema, vg_error *err)
{
    bind_scope scope = {NULL, schema};
    bind_ctx c = {b, src, &scope, err};
    return vg_bind_expr(&c, e);
}
