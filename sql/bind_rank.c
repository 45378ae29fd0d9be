/*
 * bind_rank.c — ROW_NUMBER() in Flink's deduplication and Top-N form:
 *
 *   SELECT [rn,] ... FROM (
 *     SELECT ..., ROW_NUMBER() OVER (PARTITION BY k ORDER BY col [ASC|DESC], ...) AS rn
 *     FROM t [WHERE ...]
 *   ) [AS alias] WHERE rn = 1 | rn <= N | rn < N [AND other conditions]
 *
 * The pattern is recognised on the syntax tree (binder.c asks
 * vg_bind_rank_wanted of every SELECT whose FROM item is a subquery) and the
 * subquery becomes, bottom up:
 *
 *   [PROJECT: the subquery's WHERE over t]  ->  RANK  ->  PROJECT: its select list
 *
 * which is the outer SELECT's FROM item; the outer WHERE loses its bound
 * on rn (the RANK applies it) and binds as usual, as does everything else
 * of the outer SELECT (its select list, GROUP BY, DISTINCT ...).
 *
 * As Flink's planner does (StreamPhysicalDeduplicateRule): rn = 1, ORDER BY
 * the event-time column alone, and rn not used by the outer SELECT is a
 * deduplication, ASC keeping the first row (insert-only, emitted when the
 * watermark passes it) and DESC the last row (updating); anything else is a
 * Top-N (AppendOnlyTopNFunction), which outputs the row number only when
 * the outer SELECT uses it. NULLs sort first ASC and last DESC (Flink's
 * NullCollation.LOW). A rank offset (rn > M, rn >= M, rn = M > 1: Flink's
 * rank range) stays in the outer WHERE as a filter on rn after ranking,
 * which is what Flink emits (AbstractTopNFunction.isInRankRange); outside a
 * window Top-N it needs rn selected. RANK and DENSE_RANK and Top-N over an
 * updating input are refused with the form that is supported.
 *
 * When PARTITION BY holds window_start and window_end of a window TVF or
 * window aggregate input, it is Flink's window Top-N or window
 * deduplication (engine/rank_window.c): insert-only, each window's rows
 * emitted when the watermark passes its end, planned as the VG_RANK_WINDOW_
 * modes with time_col the event-time column it orders by when it orders by
 * one (window_time or a bare TVF's DESCRIPTOR column), else the rows' event
 * time, and wend the window_end column. A PARTITION BY without both stays
 * the updating Top-N.
 */
#include <string.h>
#include <strings.h>

#include "sql/binder_int.h"

#define FAIL(...) (vg_bind_fail(__VA_ARGS__), -1)

#define TOPN_FORM                                                                                  \
    "SELECT ... FROM (SELECT ..., ROW_NUMBER() OVER (PARTITION BY ... ORDER BY ...) AS rn FROM "   \
    "t) WHERE rn <= N"

static bool is_row_number(const vg_ast *e)
{
    return e->kind == VG_AST_CALL && strcasecmp(e->u.call.name.name, "ROW_NUMBER") == 0;
}

/* ---- finding ROW_NUMBER ---- */

/* The first ROW_NUMBER call in e (NULL: none). */
static const vg_ast *first_rn(const vg_ast *e) { return vg_bind_find(e, is_row_number); }

static const vg_ast *first_rn_in_list(const vg_ast_list *l)
{
    const vg_ast *e = NULL;
    for (uint32_t i = 0; i < l->n && !e; i++)
        e = first_rn(l->items[i]);
    return e;
}

bool vg_bind_rank_wanted(const vg_ast *q)
{
    const vg_ast *f = q->u.select.from;
    if (!f || f->kind != VG_AST_SUBQUERY)
        return false;
    const vg_ast *sq = f->u.subquery.query;
    for (uint32_t i = 0; i < sq->u.select.nitems; i++)
        if (first_rn(sq->u.select.items[i].expr))
            return true;
    return false;
}

int vg_bind_rank_misplaced(bind_ctx *c, const vg_ast *q)
{
    const vg_ast *e = NULL;
    for (uint32_t i = 0; i < q->u.select.nitems && !e; i++)
        e = first_rn(q->u.select.items[i].expr);
    if (!e)
        e = first_rn(q->u.select.where);
    if (!e)
        e = first_rn(q->u.select.having);
    if (!e)
        e = first_rn_in_list(&q->u.select.group_by);
    if (!e)
        return 0;
    return FAIL(
        c, VG_ERR_SEMANTIC, e->u.call.name.span,
        "ROW_NUMBER() is only supported in Flink's deduplication and Top-N form: " TOPN_FORM);
}

/* ---- the pattern ---- */

typedef struct rank {
    bind_ctx *c;         /* c->scope: the subquery's FROM item */
    const vg_ast *q;     /* the outer SELECT */
    const vg_ast *sq;    /* the subquery */
    const vg_ast *rn;    /* the ROW_NUMBER call */
    const char *rn_name; /* its alias */
    const char *alias;   /* the subquery's alias, or NULL */
    vg_rel *in;          /* the subquery's FROM item */
    uint32_t nkeys, norder;
    uint32_t *keys, *order; /* slots in `in` */
    bool *desc;
    int64_t limit;      /* from the outer WHERE; 0 until found */
    const vg_ast *rest; /* the outer WHERE without the bound, or NULL */
    const vg_ast *lower; /* its rank offsets (rn > M, rn >= M, rn = M > 1), or NULL */
    bool with_rn;       /* the outer SELECT uses rn */
} rank;

/* The subquery's clauses: a plain SELECT with one ROW_NUMBER item. */
static int check_subquery(rank *r)
{
    bind_ctx *c = r->c;
    const vg_ast *sq = r->sq;
    if (!sq->u.select.from)
        return FAIL(c, VG_ERR_SEMANTIC, sq->span, "SELECT without FROM is not supported yet");
    if (sq->u.select.distinct)
        return FAIL(c, VG_ERR_SEMANTIC, sq->u.select.distinct_span,
                    "SELECT DISTINCT cannot be used beside ROW_NUMBER(): rank in an outer SELECT");
    if (sq->u.select.group_by.n || sq->u.select.having)
        return FAIL(c, VG_ERR_SEMANTIC,
                    sq->u.select.group_by.n ? sq->u.select.group_span : sq->u.select.having_span,
                    "GROUP BY cannot be used beside ROW_NUMBER(): group in a subquery and rank "
                    "its rows: " TOPN_FORM);
    if (sq->u.select.nwindows)
        return FAIL(c, VG_ERR_SEMANTIC, sq->u.select.window_span,
                    "a WINDOW clause cannot be used beside ROW_NUMBER()");
    if (sq->u.select.order_by.n)
        return FAIL(c, VG_ERR_SEMANTIC, sq->u.select.order_span, "ORDER BY is not supported yet");
    if (sq->u.select.limit)
        return FAIL(c, VG_ERR_SEMANTIC, sq->u.select.limit_span, "LIMIT is not supported yet");
    for (uint32_t i = 0; i < sq->u.select.nitems; i++) {
        const vg_ast_select_item *it = &sq->u.select.items[i];
        const vg_ast *e = first_rn(it->expr);
        if (!e)
            continue;
        if (e != it->expr || r->rn)
            return FAIL(c, VG_ERR_SEMANTIC, e->u.call.name.span,
                        "ROW_NUMBER() must be a select item of its own, once: " TOPN_FORM);
        if (!it->alias.name)
            return FAIL(
                c, VG_ERR_SEMANTIC, e->span,
                "ROW_NUMBER() needs an alias (ROW_NUMBER() OVER (...) AS rn) that the outer "
                "WHERE bounds");
        r->rn = e;
        r->rn_name = it->alias.name;
    }
    return 0;
}

/* PARTITION BY or ORDER BY columns of the window: slots of `in`. */
static int bind_cols(rank *r, const vg_ast_list *l, const char *clause, uint32_t **out)
{
    bind_ctx *c = r->c;
    *out = vg_arena_alloc(c->b->arena, (l->n ? l->n : 1) * sizeof **out);
    if (!*out)
        return vg_bind_nomem(c);
    for (uint32_t i = 0; i < l->n; i++) {
        const vg_ast *e = l->items[i];
        if (e->kind != VG_AST_COLUMN)
            return FAIL(c, VG_ERR_SEMANTIC, e->span, "%s of ROW_NUMBER() expects a column", clause);
        vg_expr *x = vg_bind_expr(c, e);
        if (!x)
            return -1;
        (*out)[i] = (uint32_t)vg_expr_column_slot(x);
        for (uint32_t j = 0; j < i; j++)
            if ((*out)[j] == (*out)[i])
                return FAIL(c, VG_ERR_SEMANTIC, e->span, "column '%s' is in %s twice",
                            e->u.column.name.name, clause);
    }
    return 0;
}

/* ROW_NUMBER() OVER (PARTITION BY ... ORDER BY ...): no arguments, an
 * inline window with ORDER BY and no frame. */
static int bind_window(rank *r)
{
    bind_ctx *c = r->c;
    const vg_ast *e = r->rn;
    const vg_ast_window *w = e->u.call.over;
    if (e->u.call.args.n || e->u.call.distinct)
        return FAIL(c, VG_ERR_SEMANTIC, e->span, "ROW_NUMBER() takes no arguments");
    if (e->u.call.filter)
        return FAIL(c, VG_ERR_SEMANTIC, e->u.call.filter->span,
                    "FILTER is only allowed on aggregate functions");
    if (!w)
        return FAIL(c, VG_ERR_SEMANTIC, e->span,
                    "ROW_NUMBER() needs OVER (PARTITION BY ... ORDER BY ...)");
    if (w->is_ref)
        return FAIL(c, VG_ERR_SEMANTIC, w->span,
                    "ROW_NUMBER() needs its window written out: OVER (PARTITION BY ... ORDER BY "
                    "...)");
    if (w->frame_kind)
        return FAIL(c, VG_ERR_SEMANTIC, w->frame_span, "ROW_NUMBER() takes no window frame");
    if (!w->order_by.n)
        return FAIL(c, VG_ERR_SEMANTIC, w->span,
                    "ROW_NUMBER() needs ORDER BY in its window: OVER (PARTITION BY ... ORDER BY "
                    "...)");
    r->nkeys = w->partition_by.n;
    r->norder = w->order_by.n;
    r->desc = vg_arena_calloc(c->b->arena, r->norder * sizeof *r->desc);
    if (!r->desc)
        return vg_bind_nomem(c);
    for (uint32_t i = 0; i < r->norder; i++)
        r->desc[i] = w->order_desc && w->order_desc[i];
    if (bind_cols(r, &w->partition_by, "PARTITION BY", &r->keys) < 0)
        return -1;
    return bind_cols(r, &w->order_by, "ORDER BY", &r->order);
}

/* ---- the bound on rn in the outer WHERE ---- */

/* Whether e is a column that names rn. */
static bool names_rn(const rank *r, const vg_ast *e)
{
    const char *q = e->u.column.qualifier.name;
    return e->kind == VG_AST_COLUMN && strcmp(e->u.column.name.name, r->rn_name) == 0 &&
           (!q || (r->alias && strcmp(q, r->alias) == 0));
}

static int uses_rn_fn(void *arg, vg_ast *const *slot);

/* Whether expression e uses rn. */
static bool uses_rn(const rank *r, const vg_ast *e)
{
    if (!e)
        return false;
    if (names_rn(r, e))
        return true;
    return vg_bind_each_child(e, uses_rn_fn, (void *)r) != 0;
}

static int uses_rn_fn(void *arg, vg_ast *const *slot) { return uses_rn(arg, *slot); }

static const vg_ast_op mirrored[] = {[VG_OP_EQ] = VG_OP_EQ,
                                     [VG_OP_LT] = VG_OP_GT,
                                     [VG_OP_LE] = VG_OP_GE,
                                     [VG_OP_GT] = VG_OP_LT,
                                     [VG_OP_GE] = VG_OP_LE};

static const vg_ast *and_of(rank *r, const vg_ast *rest, const vg_ast *e);

/* A conjunct of the outer WHERE that uses rn: rn = 1, rn <= N or rn < N, or
 * a rank offset rn > M, rn >= M, rn = M (either way round). The upper bound
 * goes into r->limit, an offset into r->lower. */
static int bound(rank *r, const vg_ast *e)
{
    bind_ctx *c = r->c;
    const char *msg = "the row number can only be bounded by rn = 1, rn <= N or rn < N "
                      "(combined with AND)";
    if (e->kind != VG_AST_BINARY || e->u.binary.op < VG_OP_EQ || e->u.binary.op > VG_OP_GE ||
        e->u.binary.op == VG_OP_NE)
        return FAIL(c, VG_ERR_SEMANTIC, e->span, "%s", msg);
    const vg_ast *col = e->u.binary.left, *lit = e->u.binary.right;
    vg_ast_op op = e->u.binary.op;
    if (!names_rn(r, col)) {
        col = e->u.binary.right, lit = e->u.binary.left;
        op = mirrored[op];
    }
    if (!names_rn(r, col) || lit->kind != VG_AST_LITERAL || lit->u.lit.kind != VG_LIT_INTEGER)
        return FAIL(c, VG_ERR_SEMANTIC, e->span, "%s", msg);
    int64_t n = lit->u.lit.ival;
    if ((op == VG_OP_GT && n < 1) || (op == VG_OP_GE && n <= 1))
        return 0; /* rn > 0, rn >= 1: every rank */
    if (op == VG_OP_GT || op == VG_OP_GE || (op == VG_OP_EQ && n != 1)) {
        /* A rank offset (Flink's rank range [M, N]) filters the ranks after
         * ranking: Flink emits only the messages of ranks in the range
         * (AbstractTopNFunction.isInRankRange), a window Top-N each window's
         * final ranks in it. */
        if (!(r->lower = and_of(r, r->lower, e)))
            return -1;
        if (op != VG_OP_EQ)
            return 0;
    }
    int64_t limit = op == VG_OP_LT ? n - 1 : n;
    if (limit < 1)
        return FAIL(c, VG_ERR_SEMANTIC, lit->span,
                    "the row number bound keeps no row: rn starts at 1");
    if (!r->limit || limit < r->limit)
        r->limit = limit;
    return 0;
}

/* rest AND e, in the binder's arena. */
static const vg_ast *and_of(rank *r, const vg_ast *rest, const vg_ast *e)
{
    if (!rest)
        return e;
    vg_ast *n = vg_arena_calloc(r->c->b->arena, sizeof *n);
    if (!n) {
        vg_bind_nomem(r->c);
        return NULL;
    }
    n->kind = VG_AST_BINARY;
    n->span.off = rest->span.off;
    n->span.len = e->span.off + e->span.len - rest->span.off;
    n->u.binary.op = VG_OP_AND;
    n->u.binary.op_span = e->span;
    n->u.binary.left = (vg_ast *)rest;
    n->u.binary.right = (vg_ast *)e;
    return n;
}

/* Split the conjuncts of e: bounds on rn into r->limit, the others into
 * r->rest. */
static int split_where(rank *r, const vg_ast *e)
{
    if (e->kind == VG_AST_BINARY && e->u.binary.op == VG_OP_AND)
        return split_where(r, e->u.binary.left) < 0 ? -1 : split_where(r, e->u.binary.right);
    if (uses_rn(r, e))
        return bound(r, e);
    return (r->rest = and_of(r, r->rest, e)) ? 0 : -1;
}

static int bind_bound(rank *r)
{
    const vg_ast *w = r->q->u.select.where;
    if (w && split_where(r, w) < 0)
        return -1;
    if (!r->limit)
        return FAIL(r->c, VG_ERR_SEMANTIC, r->rn->u.call.name.span,
                    "ROW_NUMBER() needs the outer WHERE to bound it (rn = 1, rn <= N or rn < "
                    "N): " TOPN_FORM);
    return 0;
}

/* Whether the outer SELECT uses rn once its bound is taken out. */
static bool outer_uses_rn(const rank *r)
{
    const vg_ast *q = r->q;
    bool used = uses_rn(r, r->rest) || uses_rn(r, q->u.select.having);
    for (uint32_t i = 0; i < q->u.select.nitems; i++) {
        const vg_ast *e = q->u.select.items[i].expr;
        used |= e->kind == VG_AST_STAR || uses_rn(r, e); /* a star selects every column */
    }
    for (uint32_t i = 0; i < q->u.select.group_by.n; i++)
        used |= uses_rn(r, q->u.select.group_by.items[i]);
    for (uint32_t w = 0; w < q->u.select.nwindows; w++) {
        const vg_ast_window *win = q->u.select.windows[w];
        for (uint32_t i = 0; i < win->partition_by.n; i++)
            used |= uses_rn(r, win->partition_by.items[i]);
        for (uint32_t i = 0; i < win->order_by.n; i++)
            used |= uses_rn(r, win->order_by.items[i]);
    }
    return used;
}

/* ---- relations ---- */

/* The subquery's WHERE over `in`: a projection that passes every column
 * through, or `in` itself when there is none. */
static vg_rel *where_rel(rank *r)
{
    bind_ctx *c = r->c;
    const vg_ast *w = r->sq->u.select.where;
    if (!w)
        return r->in;
    vg_expr *x;
    if (vg_bind_no_aggregates(c, w, "WHERE") < 0 || !(x = vg_bind_condition(c, w, "WHERE")))
        return NULL;
    vg_rel *p = vg_bind_pass_rel(c, r->in, 0, r->sq->span);
    if (p)
        p->u.project.filter = x;
    return p;
}

/* The slot of window column `which` (0 window_start, 1 window_end, 2
 * window_time, 3 a bare window TVF's DESCRIPTOR column) in r's output,
 * through projections of plain columns, OVER and ranks; -1 when r does not
 * carry it. */
static int32_t window_col(const vg_rel *r, int which)
{
    switch (r->kind) {
    case VG_REL_WINDOW:
        if (which == 3)
            return r->u.window.grouped ? -1 : r->u.window.time_col;
        return r->u.window.grouped ? which : (int32_t)r->input->schema.ncols + which;
    case VG_REL_OVER:
    case VG_REL_RANK:
        return window_col(r->input, which); /* the input row comes first */
    case VG_REL_PROJECT:
        return vg_bind_projected_slot(r, window_col(r->input, which));
    default:
        return -1;
    }
}

static bool is_key(const rank *r, int32_t slot)
{
    for (uint32_t i = 0; slot >= 0 && i < r->nkeys; i++)
        if (r->keys[i] == (uint32_t)slot)
            return true;
    return false;
}

/* A window rank: PARTITION BY holds window_start and window_end of in. */
static bool is_window_rank(const rank *r)
{
    return is_key(r, window_col(r->in, 0)) && is_key(r, window_col(r->in, 1));
}

/* A window rank's time_col: the ORDER BY column when it is one of the
 * window's time attributes (window_time, the DESCRIPTOR column), else the
 * DESCRIPTOR column of a bare TVF, else window_time. */
static int32_t window_time_col(const rank *r)
{
    int32_t wt = window_col(r->in, 2), desc = window_col(r->in, 3);
    if (r->order[0] == (uint32_t)wt || (desc >= 0 && r->order[0] == (uint32_t)desc))
        return (int32_t)r->order[0];
    return desc >= 0 ? desc : wt;
}

/* The RANK relation over base: in's columns [, rn]. */
static vg_rel *rank_rel(rank *r, vg_rel *base)
{
    uint32_t nin = r->in->schema.ncols;
    vg_rel *k = vg_bind_rel_new(r->c, VG_REL_RANK, NULL, r->sq->span, nin + r->with_rn);
    if (!k)
        return NULL;
    memcpy(k->schema.cols, r->in->schema.cols, nin * sizeof *k->schema.cols);
    if (r->with_rn) {
        k->schema.cols[nin].name = r->rn_name;
        k->schema.cols[nin].type = VG_T_BIGINT;
    }
    int32_t t = vg_bind_window_time_col(r->in);
    bool dedup =
        r->limit == 1 && !r->with_rn && r->norder == 1 && t >= 0 && r->order[0] == (uint32_t)t;
    k->input = base;
    k->u.rank.mode = !dedup ? VG_RANK_TOP_N : r->desc[0] ? VG_RANK_LAST_ROW : VG_RANK_FIRST_ROW;
    k->u.rank.nkeys = r->nkeys;
    k->u.rank.keys = r->keys;
    k->u.rank.norder = r->norder;
    k->u.rank.order = r->order;
    k->u.rank.desc = r->desc;
    k->u.rank.limit = r->limit;
    k->u.rank.with_rn = r->with_rn;
    k->u.rank.time_col = t;
    k->u.rank.wend = -1;
    if (is_window_rank(r)) {
        t = k->u.rank.time_col = window_time_col(r);
        dedup = r->limit == 1 && !r->with_rn && r->norder == 1 && t >= 0 &&
                r->order[0] == (uint32_t)t;
        k->u.rank.mode = !dedup     ? VG_RANK_WINDOW_TOP_N
                         : r->desc[0] ? VG_RANK_WINDOW_LAST_ROW
                                      : VG_RANK_WINDOW_FIRST_ROW;
        k->u.rank.wend = window_col(r->in, 1);
    }
    return k;
}

/* Output columns of the subquery's select list. */
typedef struct outlist {
    vg_column *cols;
    vg_expr **exprs;
    uint32_t n, cap;
} outlist;

static int out_add(rank *r, outlist *o, const char *name, vg_expr *x)
{
    bind_ctx *c = r->c;
    if (o->n == o->cap) {
        uint32_t cap = o->cap ? o->cap * 2 : 16;
        vg_column *cols = vg_arena_alloc(c->b->arena, cap * sizeof *cols);
        vg_expr **exprs = vg_arena_alloc(c->b->arena, cap * sizeof *exprs);
        if (!cols || !exprs)
            return vg_bind_nomem(c);
        if (o->n) {
            memcpy(cols, o->cols, o->n * sizeof *cols);
            memcpy(exprs, o->exprs, o->n * sizeof *exprs);
        }
        o->cols = cols;
        o->exprs = exprs;
        o->cap = cap;
    }
    o->cols[o->n].name = name;
    o->cols[o->n].type = vg_expr_type(x);
    o->exprs[o->n++] = x;
    return 0;
}

static vg_expr *column(rank *r, uint32_t slot, vg_type t, vg_span sp)
{
    vg_error cerr;
    vg_error_clear(&cerr);
    vg_expr *x = vg_expr_new_column(r->c->b->pool, slot, t, &cerr);
    return x ? x : vg_bind_fail_from(r->c, &cerr, sp);
}

static int expand_star(rank *r, const vg_ast *star, outlist *o, uint32_t *pos)
{
    const vg_ident *q = &star->u.star.qualifier;
    const bind_scope *s = r->c->scope;
    if (q->name && (!s->alias || strcmp(q->name, s->alias) != 0))
        return FAIL(r->c, VG_ERR_NAME, q->span, "unknown table alias '%s'", q->name);
    for (uint32_t i = 0; i < s->schema->ncols; i++, (*pos)++) {
        vg_expr *x = column(r, i, s->schema->cols[i].type, star->span);
        if (!x || out_add(r, o, s->schema->cols[i].name, x) < 0)
            return -1;
    }
    return 0;
}

/* A select item of the subquery other than ROW_NUMBER: over in's columns,
 * which keep their slots in the RANK relation. */
static int bind_item(rank *r, const vg_ast_select_item *it, outlist *o, uint32_t pos)
{
    const vg_ast *e = it->expr;
    if (vg_bind_no_aggregates(r->c, e, "a SELECT with ROW_NUMBER()") < 0)
        return -1;
    vg_expr *x = vg_bind_expr(r->c, e);
    if (!x)
        return -1;
    const char *name = it->alias.name;
    if (!name && e->kind == VG_AST_COLUMN)
        name = e->u.column.name.name;
    if (!name && !(name = vg_arena_printf(r->c->b->arena, "EXPR$%u", pos)))
        return vg_bind_nomem(r->c);
    return out_add(r, o, name, x);
}

/* The subquery's select list over the RANK relation (rn only when used). */
static vg_rel *select_rel(rank *r, vg_rel *ranked)
{
    outlist o = {0};
    uint32_t pos = 0;
    for (uint32_t i = 0; i < r->sq->u.select.nitems; i++) {
        const vg_ast_select_item *it = &r->sq->u.select.items[i];
        if (it->expr->kind == VG_AST_STAR) {
            if (expand_star(r, it->expr, &o, &pos) < 0)
                return NULL;
            continue;
        }
        if (it->expr == r->rn) {
            vg_expr *x =
                r->with_rn ? column(r, r->in->schema.ncols, VG_T_BIGINT, it->expr->span) : NULL;
            if (r->with_rn && (!x || out_add(r, &o, r->rn_name, x) < 0))
                return NULL;
        } else if (bind_item(r, it, &o, pos) < 0) {
            return NULL;
        }
        pos++;
    }
    vg_rel *p = vg_bind_rel_new(r->c, VG_REL_PROJECT, NULL, r->sq->span, 0);
    if (!p)
        return NULL;
    p->input = ranked;
    p->schema.cols = o.cols;
    p->schema.ncols = o.n;
    p->u.project.exprs = o.exprs;
    return p;
}

/* Refuse what Top-N cannot rank: an updating table. */
static int check_input(rank *r)
{
    vg_span sp = r->sq->u.select.from->span;
    if (vg_rel_updating(r->in))
        return FAIL(r->c, VG_ERR_SEMANTIC, sp,
                    "ROW_NUMBER() cannot rank an updating table (a GROUP BY, DISTINCT or Top-N "
                    "result): deduplication and Top-N need an append-only input");
    return 0;
}

vg_rel *vg_bind_rank_from(bind_ctx *c, const vg_ast *q, const char **alias, const vg_ast **rest)
{
    const vg_ast *f = q->u.select.from;
    rank r = {.c = c, .q = q, .sq = f->u.subquery.query, .alias = f->u.subquery.alias.name};
    if (check_subquery(&r) < 0)
        return NULL;
    const char *in_alias = NULL;
    if (!(r.in = vg_bind_from(c, r.sq->u.select.from, &in_alias)) || check_input(&r) < 0)
        return NULL;
    bind_scope scope = {in_alias, &r.in->schema};
    bind_ctx inner = *c;
    inner.scope = &scope;
    r.c = &inner;
    if (bind_window(&r) < 0 || bind_bound(&r) < 0)
        return NULL;
    r.with_rn = outer_uses_rn(&r);
    if (r.lower && !r.with_rn && !is_window_rank(&r))
        return vg_bind_fail(&inner, VG_ERR_SEMANTIC, r.lower->span,
                            "a rank offset (rn > M, rn = M with M > 1) needs the row number "
                            "selected, except in a window Top-N");
    if (r.lower && !(r.rest = and_of(&r, r.rest, r.lower)))
        return NULL;
    r.with_rn |= r.lower != NULL;
    vg_rel *base = where_rel(&r);
    vg_rel *ranked = base ? rank_rel(&r, base) : NULL;
    vg_rel *sel = ranked ? select_rel(&r, ranked) : NULL;
    if (!sel)
        return NULL;
    vg_ast *nq = vg_arena_alloc(c->b->arena, sizeof *nq);
    if (!nq) {
        vg_bind_nomem(c);
        return NULL;
    }
    *nq = *q;
    nq->u.select.where = (vg_ast *)r.rest;
    *rest = nq;
    *alias = r.alias;
    return sel;
}
