/*
 * bind_match.c — MATCH_RECOGNIZE: from its syntax tree to the vg_plan_match
 * that sql/plan.h documents, over the relation of its input.
 *
 * The pattern's variables are numbered in order of first appearance (at
 * most 64); SUBSET names and AFTER MATCH SKIP TO targets resolve to sets of
 * them. A DEFINE condition or a measure is bound in two steps: its
 * navigation values are found and each becomes an entry of the node's navs
 * (bind_match_nav.c), the expression rewritten so that each reads column
 * input.ncols + its index and, in DEFINE, each plain or self-qualified
 * column reads the current row's column; then the rewritten expression is
 * bound over that layout (the input's columns, then one hidden column per
 * navigation value). PARTITION BY names input columns; ORDER BY must start
 * with the input's event-time column, ascending, as in Flink; further ORDER
 * BY keys (any expression of the input row) order rows of equal time.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "sql/bind_match_int.h"

#define FAIL(...) (vg_bind_fail(__VA_ARGS__), -1)

/* The most terms a pattern may unroll into (quantifiers repeated, PERMUTE
 * expanded into its orders), as the matcher's compiler limits its program. */
#define MAX_PATTERN_TERMS 100000

/* ---- variables ---- */

static int64_t find_name(const char *const *names, uint32_t n, const char *name)
{
    for (uint32_t i = 0; i < n; i++)
        if (strcmp(names[i], name) == 0)
            return i;
    return -1;
}

int vg_bind_mr_vars(bind_mr *r, const vg_ident *q, vg_mr_vars *out)
{
    const vg_plan_match *m = r->m;
    int64_t i = find_name(m->vars, m->nvars, q->name);
    if (i >= 0) {
        *out = (vg_mr_vars)1 << i;
        return 0;
    }
    if ((i = find_name(m->subset_names, m->nsubsets, q->name)) >= 0) {
        *out = m->subset_vars[i];
        return 0;
    }
    return FAIL(r->c, VG_ERR_NAME, q->span, "unknown pattern variable '%s'", q->name);
}

/* The index of primary variable v, added when new. */
static int64_t var_add(bind_mr *r, const vg_ident *v)
{
    vg_plan_match *m = r->m;
    int64_t i = find_name(m->vars, m->nvars, v->name);
    if (i >= 0)
        return i;
    if (m->nvars == VG_MR_MAXVARS)
        return FAIL(r->c, VG_ERR_SEMANTIC, v->span, "a pattern can have at most %d variables",
                    VG_MR_MAXVARS);
    m->vars[m->nvars] = v->name;
    return m->nvars++;
}

/* ---- the pattern ---- */

/* The pattern with its variables numbered (added to r->m->vars as met). */
static const vg_plan_pattern *plan_pattern(bind_mr *r, const vg_ast_pattern *a)
{
    vg_arena *ar = r->c->b->arena;
    vg_plan_pattern *n = vg_arena_calloc(ar, sizeof *n);
    const vg_plan_pattern **kids = vg_arena_calloc(ar, (a->nkids ? a->nkids : 1) * sizeof *kids);
    if (!n || !kids) {
        vg_bind_nomem(r->c);
        return NULL;
    }
    n->kind = a->kind;
    n->min = a->min;
    n->max = a->max;
    n->reluctant = a->reluctant;
    n->span = a->span;
    n->nkids = a->nkids;
    n->kids = kids;
    if (a->kind == VG_PAT_VAR) {
        int64_t v = var_add(r, &a->var);
        if (v < 0)
            return NULL;
        n->var = (uint32_t)v;
    }
    for (uint32_t i = 0; i < a->nkids; i++)
        if (!(kids[i] = plan_pattern(r, a->kids[i])))
            return NULL;
    return n;
}

static uint64_t sat_mul(uint64_t a, uint64_t b)
{
    return a && b > (MAX_PATTERN_TERMS + 1) / a ? MAX_PATTERN_TERMS + 1 : a * b;
}

/* About how many terms p unrolls into; anything above the limit is limit + 1. */
static uint64_t pattern_size(const vg_ast_pattern *p)
{
    uint64_t kids = 0, orders = 1;
    for (uint32_t i = 0; i < p->nkids; i++)
        kids += pattern_size(p->kids[i]) + 1;
    switch (p->kind) {
    case VG_PAT_PERMUTE:
        for (uint32_t i = 2; i <= p->nkids; i++)
            orders = sat_mul(orders, i);
        kids = sat_mul(orders, kids);
        break;
    case VG_PAT_QUANT:
        kids = sat_mul(kids, p->max != VG_PAT_UNBOUNDED ? p->max : p->min ? p->min : 1);
        break;
    default:
        break;
    }
    return kids > MAX_PATTERN_TERMS ? MAX_PATTERN_TERMS + 1 : kids + 1;
}

static const vg_ast_pattern *find_exclusion(const vg_ast_pattern *p)
{
    if (p->kind == VG_PAT_EXCLUDE)
        return p;
    for (uint32_t i = 0; i < p->nkids; i++) {
        const vg_ast_pattern *x = find_exclusion(p->kids[i]);
        if (x)
            return x;
    }
    return NULL;
}

static int bind_pattern(bind_mr *r)
{
    const vg_ast *f = r->f;
    vg_plan_match *m = r->m;
    if (!(m->vars = vg_arena_alloc(r->c->b->arena, VG_MR_MAXVARS * sizeof *m->vars)))
        return vg_bind_nomem(r->c);
    if (!(m->pattern = plan_pattern(r, f->u.match.pattern)))
        return -1;
    r->all = m->nvars == 64 ? ~(vg_mr_vars)0 : ((vg_mr_vars)1 << m->nvars) - 1;
    if (pattern_size(f->u.match.pattern) > MAX_PATTERN_TERMS)
        return FAIL(r->c, VG_ERR_SEMANTIC, f->u.match.pattern_span,
                    "the row pattern is too large: it unrolls into more than %d terms",
                    MAX_PATTERN_TERMS);
    const vg_ast_pattern *x = find_exclusion(f->u.match.pattern);
    if (x && m->rows == VG_MR_ALL_ROWS_UNMATCHED)
        return FAIL(r->c, VG_ERR_SEMANTIC, x->span,
                    "a pattern exclusion {- -} cannot be used with ALL ROWS PER MATCH WITH "
                    "UNMATCHED ROWS");
    return 0;
}

/* SUBSET s = (v, ...): names of variable sets. */
static int bind_subsets(bind_mr *r)
{
    const vg_ast *f = r->f;
    vg_plan_match *m = r->m;
    uint32_t n = f->u.match.nsubsets;
    m->subset_names = vg_arena_alloc(r->c->b->arena, (n ? n : 1) * sizeof *m->subset_names);
    m->subset_vars = vg_arena_calloc(r->c->b->arena, (n ? n : 1) * sizeof *m->subset_vars);
    if (!m->subset_names || !m->subset_vars)
        return vg_bind_nomem(r->c);
    for (uint32_t i = 0; i < n; i++) {
        const vg_ast_subset *s = &f->u.match.subsets[i];
        if (find_name(m->vars, m->nvars, s->name.name) >= 0)
            return FAIL(r->c, VG_ERR_NAME, s->name.span,
                        "subset name '%s' is already a pattern variable", s->name.name);
        if (find_name(m->subset_names, i, s->name.name) >= 0)
            return FAIL(r->c, VG_ERR_NAME, s->name.span, "subset '%s' is defined twice",
                        s->name.name);
        for (uint32_t j = 0; j < s->nvars; j++) {
            int64_t v = find_name(m->vars, m->nvars, s->vars[j].name);
            if (v < 0 && find_name(m->subset_names, i, s->vars[j].name) >= 0)
                return FAIL(r->c, VG_ERR_SEMANTIC, s->vars[j].span,
                            "a subset holds pattern variables, and '%s' is a subset",
                            s->vars[j].name);
            if (v < 0)
                return FAIL(r->c, VG_ERR_NAME, s->vars[j].span, "unknown pattern variable '%s'",
                            s->vars[j].name);
            m->subset_vars[i] |= (vg_mr_vars)1 << v;
        }
        m->subset_names[i] = s->name.name;
        m->nsubsets++;
    }
    return 0;
}

/* AFTER MATCH SKIP, and WITHIN. */
static int bind_modes(bind_mr *r)
{
    const vg_ast *f = r->f;
    vg_plan_match *m = r->m;
    m->skip = f->u.match.skip;
    if (f->u.match.skip_var.name && vg_bind_mr_vars(r, &f->u.match.skip_var, &m->skip_vars) < 0)
        return -1;
    m->emit_timeouts = f->u.match.emit_timeouts;
    const vg_ast *w = f->u.match.within;
    if (!w)
        return 0;
    bind_ctx k = *r->c;
    k.scope = NULL;
    vg_expr *x = vg_bind_expr(&k, w);
    const vg_value *v = x ? vg_expr_const_value(x) : NULL;
    if (!x)
        return -1;
    if (vg_expr_type(x) != VG_T_INTERVAL || !v || v->null || v->u.i <= 0)
        return FAIL(r->c, VG_ERR_SEMANTIC, w->span, "WITHIN must be a positive INTERVAL");
    m->within = v->u.i;
    return 0;
}

static int bind_defines(bind_mr *r)
{
    const vg_ast *f = r->f;
    vg_plan_match *m = r->m;
    bool seen[VG_MR_MAXVARS] = {false};
    if (!(m->defines = vg_arena_calloc(r->c->b->arena, m->nvars * sizeof *m->defines)))
        return vg_bind_nomem(r->c);
    r->define = true;
    for (uint32_t i = 0; i < f->u.match.ndefines; i++) {
        const vg_ast_define *d = &f->u.match.defines[i];
        int64_t v = find_name(m->vars, m->nvars, d->var.name);
        if (v < 0)
            return FAIL(r->c, VG_ERR_NAME, d->var.span,
                        "pattern variable '%s' in DEFINE does not appear in PATTERN", d->var.name);
        if (seen[v])
            return FAIL(r->c, VG_ERR_NAME, d->var.span, "pattern variable '%s' is defined twice",
                        d->var.name);
        seen[v] = true;
        r->var = (uint32_t)v;
        const vg_ast *e = vg_bind_mr_rewrite(r, d->cond);
        vg_expr *x = e ? vg_bind_condition(&r->lay_ctx, e, "DEFINE") : NULL;
        if (!x)
            return -1;
        if (!vg_bind_is_true(x) &&
            !(m->defines[v] = vg_bind_cast_to(&r->lay_ctx, x, VG_T_BOOL, d->cond->span)))
            return -1;
    }
    r->define = false;
    return 0;
}

static int bind_measures(bind_mr *r)
{
    const vg_ast *f = r->f;
    vg_plan_match *m = r->m;
    uint32_t n = f->u.match.nmeasures;
    if (!(m->measures = vg_arena_alloc(r->c->b->arena, (n ? n : 1) * sizeof *m->measures)))
        return vg_bind_nomem(r->c);
    for (uint32_t i = 0; i < n; i++) {
        r->measure = f->u.match.measures[i].expr;
        const vg_ast *e = vg_bind_mr_rewrite(r, r->measure);
        if (!e || !(m->measures[i] = vg_bind_expr(&r->lay_ctx, e)))
            return -1;
        m->nmeasures++;
    }
    return 0;
}

/* ---- PARTITION BY, ORDER BY, the output ---- */

static int order_error(bind_mr *r, int32_t time, vg_span sp)
{
    if (time < 0)
        return FAIL(r->c, VG_ERR_SEMANTIC, sp,
                    "MATCH_RECOGNIZE must be ordered by an event-time column, and its input has "
                    "none (declare one with WATERMARK FOR)");
    return FAIL(r->c, VG_ERR_SEMANTIC, sp,
                "MATCH_RECOGNIZE must be ordered by the event-time column '%s'",
                r->in->cols[time].name);
}

/* The span of the first ORDER BY item with its DESC, from ORDER on (for one
 * item, the whole clause), which the error on a DESC first key underlines. */
static vg_span first_key_span(const bind_mr *r)
{
    const vg_ast *f = r->f;
    vg_span sp = f->u.match.order_span;
    if (f->u.match.order_by.n < 2)
        return sp;
    const char *text = r->c->src->text;
    vg_span it = f->u.match.order_by.items[0]->span;
    uint32_t end = it.off + it.len, at = end;
    while (at < r->c->src->len &&
           (text[at] == ' ' || text[at] == '\t' || text[at] == '\n' || text[at] == '\r'))
        at++;
    if (at + 4 <= r->c->src->len && strncasecmp(text + at, "DESC", 4) == 0)
        end = at + 4;
    sp.len = end - sp.off;
    return sp;
}

/* Whether a further ORDER BY key that reads column slot (-1: an
 * expression) names a column that no PARTITION BY item, nor the event time,
 * nor an earlier key names: ALL ROWS PER MATCH lays it out. */
static bool key_column_new(const vg_plan_match *m, int32_t slot)
{
    if (slot < 0 || slot == m->order_col)
        return false;
    for (uint32_t k = 0; k < m->nkeys; k++)
        if ((int32_t)m->keys[k] == slot)
            return false;
    for (uint32_t i = 0; i < m->norder; i++)
        if (m->order[i].out && m->order[i].slot == slot)
            return false;
    return true;
}

/* The ORDER BY items after the event-time column: any expression of the
 * input row (no aggregate, no pattern function) of a type with an order.
 * vigil has no NULLS FIRST / LAST: NULLs come first ASC, last DESC. */
static int bind_order_keys(bind_mr *r, bind_ctx *k)
{
    const vg_ast *f = r->f;
    vg_plan_match *m = r->m;
    const vg_ast_list *order = &f->u.match.order_by;
    if (order->n < 2)
        return 0;
    if (!(m->order = vg_arena_calloc(r->c->b->arena, (order->n - 1) * sizeof *m->order)))
        return vg_bind_nomem(r->c);
    for (uint32_t i = 1; i < order->n; i++) {
        const vg_ast *e = order->items[i];
        if (vg_bind_no_aggregates(k, e, "MATCH_RECOGNIZE ORDER BY") < 0)
            return -1;
        const vg_ast *pf = vg_bind_find(e, vg_bind_mr_is_pattern_fn);
        if (pf)
            return FAIL(
                r->c, VG_ERR_SEMANTIC, pf->span,
                "%s() cannot be used in MATCH_RECOGNIZE ORDER BY: it reads the rows of a match",
                pf->u.call.name.name);
        vg_expr *x = vg_bind_expr(k, e);
        if (!x)
            return -1;
        if (vg_expr_type(x) == VG_T_ARRAY)
            return FAIL(r->c, VG_ERR_TYPE, e->span, "cannot order by a value of type %s",
                        vg_type_name(VG_T_ARRAY));
        vg_mr_order *o = &m->order[m->norder];
        o->expr = x;
        o->slot = vg_expr_column_slot(x);
        o->desc = f->u.match.order_desc && f->u.match.order_desc[i];
        o->nulls_first = !o->desc;
        o->out = key_column_new(m, o->slot);
        o->span = e->span;
        m->norder++;
    }
    return 0;
}

/* PARTITION BY and ORDER BY: columns of the input, which in_alias may
 * qualify; ORDER BY first the event-time column, ascending, then any
 * further keys. */
static int bind_keys(bind_mr *r, const vg_rel *in, const char *in_alias)
{
    const vg_ast *f = r->f;
    vg_plan_match *m = r->m;
    bind_scope scope = {in_alias, r->in};
    bind_ctx k = *r->c;
    k.scope = &scope;
    const vg_ast_list *keys = &f->u.match.partition_by, *order = &f->u.match.order_by;
    if (!(m->keys = vg_arena_alloc(r->c->b->arena, (keys->n ? keys->n : 1) * sizeof *m->keys)))
        return vg_bind_nomem(r->c);
    for (uint32_t i = 0; i < keys->n; i++) {
        const vg_ast *e = keys->items[i];
        if (e->kind != VG_AST_COLUMN)
            return FAIL(r->c, VG_ERR_SEMANTIC, e->span, "PARTITION BY expects a column");
        int slot = vg_bind_resolve_column(&k, e);
        if (slot < 0)
            return -1;
        m->keys[m->nkeys++] = (uint32_t)slot;
    }
    int32_t time = vg_bind_window_time_col(in);
    if (order->n == 0)
        return order_error(r, time, f->u.match.keyword_span);
    const vg_ast *o = order->items[0];
    if (o->kind != VG_AST_COLUMN)
        return order_error(r, time, o->span);
    int slot = vg_bind_resolve_column(&k, o);
    if (slot < 0)
        return -1;
    if (slot != time)
        return order_error(r, time, o->span);
    if (f->u.match.order_desc && f->u.match.order_desc[0])
        return FAIL(r->c, VG_ERR_SEMANTIC, first_key_span(r),
                    "MATCH_RECOGNIZE must be ordered ascending by event time");
    m->order_col = time;
    return bind_order_keys(r, &k);
}

/* Output columns being laid out. */
typedef struct outcols {
    vg_column *cols;
    vg_span *spans; /* where each comes from, for duplicate-name errors */
    uint32_t n;
} outcols;

static void out_add(outcols *o, const vg_column *col, vg_span sp)
{
    o->cols[o->n] = *col;
    o->spans[o->n++] = sp;
}

/* Whether input column i is a PARTITION BY or ORDER BY column laid out
 * before the measures. */
static bool laid_out(const vg_plan_match *m, uint32_t i)
{
    for (uint32_t k = 0; k < m->nkeys; k++)
        if (m->keys[k] == i)
            return true;
    for (uint32_t k = 0; k < m->norder; k++)
        if (m->order[k].out && m->order[k].slot == (int32_t)i)
            return true;
    return (int32_t)i == m->order_col;
}

/* The MATCH relation's columns, as sql/plan.h lays them out. */
static vg_rel *bind_output(bind_mr *r, vg_rel *in)
{
    const vg_ast *f = r->f;
    vg_plan_match *m = r->m;
    bool all = m->rows != VG_MR_ONE_ROW;
    uint32_t nin = r->in->ncols, n = m->nkeys + m->nmeasures + (all ? nin - m->nkeys : 0);
    outcols o = {vg_arena_alloc(r->c->b->arena, (n ? n : 1) * sizeof *o.cols),
                 vg_arena_alloc(r->c->b->arena, (n ? n : 1) * sizeof *o.spans), 0};
    vg_rel *rel = vg_bind_rel_new(r->c, VG_REL_MATCH, NULL, f->span, 0);
    if (!o.cols || !o.spans || !rel) {
        vg_bind_nomem(r->c);
        return NULL;
    }
    for (uint32_t i = 0; i < m->nkeys; i++)
        out_add(&o, &r->in->cols[m->keys[i]], f->u.match.partition_by.items[i]->span);
    if (all)
        out_add(&o, &r->in->cols[m->order_col], f->u.match.order_by.items[0]->span);
    for (uint32_t i = 0; all && i < m->norder; i++)
        if (m->order[i].out)
            out_add(&o, &r->in->cols[m->order[i].slot], m->order[i].span);
    for (uint32_t i = 0; i < m->nmeasures; i++) {
        vg_column col = {f->u.match.measures[i].alias.name, vg_expr_type(m->measures[i])};
        out_add(&o, &col, f->u.match.measures[i].alias.span);
    }
    for (uint32_t i = 0; all && i < nin; i++)
        if (!laid_out(m, i))
            out_add(&o, &r->in->cols[i], f->u.match.input->span);
    if (vg_bind_check_unique(r->c, o.cols, o.spans, o.n) < 0)
        return NULL;
    rel->input = in;
    rel->schema.cols = o.cols;
    rel->schema.ncols = o.n;
    rel->u.match.match = m;
    rel->u.match.time_col = all ? (int32_t)m->nkeys
                                : m->rowtime >= 0 ? (int32_t)m->nkeys + m->rowtime : -1;
    return rel;
}

/* ---- the whole ---- */

static int init(bind_mr *r, bind_ctx *c, const vg_ast *f, const vg_rel *in)
{
    memset(r, 0, sizeof *r);
    r->c = c;
    r->f = f;
    r->in = &in->schema;
    uint32_t nin = r->in->ncols;
    r->in_x.ncols = nin + 2;
    r->in_x.cols = vg_arena_alloc(c->b->arena, (nin + 2) * sizeof *r->in_x.cols);
    if (!r->in_x.cols)
        return vg_bind_nomem(c);
    memcpy(r->in_x.cols, r->in->cols, nin * sizeof *r->in_x.cols);
    r->in_x.cols[nin] = (vg_column){vg_bind_hidden_name(c, nin), VG_T_STRING};
    r->in_x.cols[nin + 1] = (vg_column){vg_bind_hidden_name(c, nin + 1), VG_T_BIGINT};
    if (!r->in_x.cols[nin].name || !r->in_x.cols[nin + 1].name)
        return vg_bind_nomem(c);
    r->in_scope.schema = &r->in_x;
    r->in_ctx = *c;
    r->in_ctx.scope = &r->in_scope;
    r->laycap = r->in->ncols + 8;
    r->layout.ncols = r->in->ncols;
    r->layout.cols = vg_arena_alloc(c->b->arena, r->laycap * sizeof *r->layout.cols);
    r->lay_scope.schema = &r->layout;
    r->lay_ctx = *c;
    r->lay_ctx.scope = &r->lay_scope;
    r->m = vg_arena_calloc(c->b->arena, sizeof *r->m);
    if (!r->layout.cols || !r->m)
        return vg_bind_nomem(c);
    memcpy(r->layout.cols, r->in->cols, r->in->ncols * sizeof *r->layout.cols);
    r->m->rows = f->u.match.rows;
    r->m->rowtime = -1;
    return 0;
}

vg_rel *vg_bind_match(bind_ctx *c, const vg_ast *f, const char **alias)
{
    const char *in_alias = NULL;
    vg_rel *in = vg_bind_from(c, f->u.match.input, &in_alias);
    if (!in)
        return NULL;
    if (vg_rel_updating(in))
        return vg_bind_fail(c, VG_ERR_SEMANTIC, f->u.match.input->span,
                            "MATCH_RECOGNIZE cannot read an updating table (a GROUP BY, "
                            "DISTINCT or Top-N result): it needs an append-only input");
    bind_mr r;
    if (init(&r, c, f, in) < 0 || bind_keys(&r, in, in_alias) < 0 || bind_pattern(&r) < 0 ||
        bind_subsets(&r) < 0 || bind_modes(&r) < 0 || bind_defines(&r) < 0 || bind_measures(&r) < 0)
        return NULL;
    *alias = f->u.match.alias.name;
    return bind_output(&r, in);
}
