/*
 * reload_lineage.c — where a plan's rows and columns come from, so that a
 * reload can match the operators of two plans by what they compute.
 *
 * A node's fingerprint hashes its inputs' fingerprints, so a column added
 * upstream gives every node after it a new fingerprint even when what the
 * node computes has not changed (the OVER windows of one SELECT follow each
 * other: one more aggregate in the first moves every later one's input).
 * Lineage answers the two questions a reload asks of an OVER operator on
 * their own: which rows reach it (one identity per node, `rows`), and what
 * the columns it reads are (one identity per column, `cols`), each traced
 * back to the streams:
 *
 *   source   rows: the stream's name, its event-time column and its
 *            watermark (which decides when a row is late); column i: the
 *            stream, the column's name and type. A column added to a stream
 *            leaves its rows as they were: an event that lacks it decodes
 *            as before (the column is NULL); only one that holds a value of
 *            the wrong type for it would now be dead-lettered, which the
 *            rows already counted do not undo (docs/reload.md)
 *   project  rows: its input's, with its WHERE (over column identities) when
 *            it has one; a column: its input's when it is one, else its
 *            expression over column identities
 *   over     rows: its input's (one row out per row in); the input's
 *            columns pass through; an aggregate's column: the rows, keys,
 *            order, frame and call it is computed from
 *   predict, rules   rows: its input's; the input's columns pass through,
 *            the others are the node's own
 *   others   rows and columns: the node's own (from its fingerprint)
 *
 * A column's identity is written "c<16 hex digits>", a name vg_expr_to_sql
 * writes as is: an expression's identity is then its SQL text over the
 * identities of its input's columns, and its type.
 */
#include <string.h>

#include "engine/reload_int.h"

static int nomem(vg_error *err) { return vg_error_set(err, VG_ERR_NOMEM, "out of memory"); }

char *reload_cat(vg_arena *a, const char *s, const char *t)
{
    return s && t ? vg_arena_printf(a, "%s%s", s, t) : NULL;
}

const char *reload_expr_id(const vg_expr *e, const char *const *names, vg_arena *a)
{
    if (!e)
        return "-";
    const char *sql = vg_expr_to_sql(e, names, a);
    return sql ? vg_arena_printf(a, "%s:%s", sql, vg_type_name(vg_expr_type(e))) : NULL;
}

const char *reload_agg_id(const vg_plan_agg *g, const char *const *names, vg_arena *a)
{
    char *s = vg_arena_printf(a, "%s(%s%s", g->call.agg->name, g->call.distinct ? "DISTINCT " : "",
                              g->call.nargs ? "" : "*");
    for (uint32_t k = 0; k < g->call.nargs; k++)
        s = reload_cat(a, reload_cat(a, s, k ? "," : ""), reload_expr_id(g->args[k], names, a));
    s = reload_cat(a, reload_cat(a, s, "):"), vg_type_name(g->call.ret));
    if (g->filter)
        s = reload_cat(
            a, reload_cat(a, reload_cat(a, s, " filter("), reload_expr_id(g->filter, names, a)),
            ")");
    return s;
}

/* ---- per kind ---- */

/* Where one node's lineage is worked out. */
typedef struct tracer {
    reload_lineage *l;     /* the plan's, being filled */
    const vg_plan_node *n; /* the node traced */
    const char **cols;     /* n's column identities, being filled */
    const char *const *in; /* its input's (NULL for a source) */
    vg_fp in_rows;         /* its input's rows */
} tracer;

/* The name of the identity whose text is s (NULL: out of memory, passed on). */
static const char *name_of(tracer *t, const char *s)
{
    if (!s)
        return NULL;
    char hex[VG_FP_HEX];
    vg_plan_fp_format(vg_plan_fp_hash(s, strlen(s)), hex);
    return vg_arena_printf(t->l->arena, "c%s", hex);
}

/* Columns from..ncols of n: its own, from its fingerprint. */
static int own_cols(tracer *t, uint32_t from)
{
    char hex[VG_FP_HEX];
    vg_plan_fp_format(t->l->fps[t->n->id], hex);
    for (uint32_t i = from; i < t->n->schema.ncols; i++)
        if (!(t->cols[i] = name_of(t, vg_arena_printf(t->l->arena, "node %s col %u", hex, i))))
            return -1;
    return 0;
}

static int trace_opaque(tracer *t)
{
    t->l->rows[t->n->id] = t->l->fps[t->n->id];
    return own_cols(t, 0);
}

static int trace_source(tracer *t)
{
    const vg_plan_node *n = t->n;
    vg_arena *a = t->l->arena;
    for (uint32_t i = 0; i < n->schema.ncols; i++)
        if (!(t->cols[i] = name_of(t, vg_arena_printf(a, "stream '%s' col '%s':%s", n->name,
                                                      n->schema.cols[i].name,
                                                      vg_type_name(n->schema.cols[i].type)))))
            return -1;
    int32_t tc = n->u.source.time_col;
    const char *wm = reload_expr_id(n->u.source.watermark, t->cols, a);
    const char *id = wm ? vg_arena_printf(a, "stream '%s' time %s wm %s", n->name,
                                          tc >= 0 ? t->cols[tc] : "-", wm)
                        : NULL;
    if (!id)
        return -1;
    t->l->rows[n->id] = vg_plan_fp_hash(id, strlen(id));
    return 0;
}

static int trace_project(tracer *t)
{
    const vg_plan_node *n = t->n;
    vg_arena *a = t->l->arena;
    t->l->rows[n->id] = t->in_rows;
    if (n->u.project.filter) {
        char hex[VG_FP_HEX];
        vg_plan_fp_format(t->in_rows, hex);
        const char *cond = reload_expr_id(n->u.project.filter, t->in, a);
        const char *s = cond ? vg_arena_printf(a, "rows %s where %s", hex, cond) : NULL;
        if (!s)
            return -1;
        t->l->rows[n->id] = vg_plan_fp_hash(s, strlen(s));
    }
    for (uint32_t i = 0; i < n->u.project.nexprs; i++) {
        const vg_expr *e = n->u.project.exprs[i];
        int32_t slot = vg_expr_column_slot(e);
        const char *id = slot >= 0 ? NULL : reload_expr_id(e, t->in, a);
        t->cols[i] = slot >= 0 ? t->in[slot] : name_of(t, reload_cat(a, "expr ", id));
        if (!t->cols[i])
            return -1;
    }
    return 0;
}

/* The input's columns pass through: the first ncols of the input's. */
static void pass_through(tracer *t)
{
    uint32_t nin = t->n->inputs[0]->schema.ncols;
    for (uint32_t i = 0; i < nin && i < t->n->schema.ncols; i++)
        t->cols[i] = t->in[i];
    t->l->rows[t->n->id] = t->in_rows;
}

static int trace_over(tracer *t)
{
    const vg_plan_node *n = t->n;
    const struct vg_plan_over *o = &n->u.over;
    vg_arena *a = t->l->arena;
    uint32_t nin = n->inputs[0]->schema.ncols, col = nin;
    pass_through(t);
    char hex[VG_FP_HEX];
    vg_plan_fp_format(t->in_rows, hex);
    char *head = vg_arena_printf(a, "over rows %s keys(", hex);
    for (uint32_t k = 0; k < o->nkeys; k++)
        head = reload_cat(a, reload_cat(a, head, k ? "," : ""), t->in[o->keys[k]]);
    head = reload_cat(a, reload_cat(a, head, ") order "), t->in[o->order_col]);
    for (uint32_t f = 0; f < o->nframes && head; f++) {
        const struct vg_plan_frame *fr = &o->frames[f];
        for (uint32_t g = 0; g < fr->naggs; g++, col++) {
            const char *agg = reload_agg_id(&fr->aggs[g], t->in, a);
            const char *id = agg ? vg_arena_printf(a, "%s %s %lld %s", head,
                                                   fr->frame == VG_FRAME_ROWS ? "rows" : "range",
                                                   (long long)fr->preceding, agg)
                                 : NULL;
            if (!(t->cols[col] = name_of(t, id)))
                return -1;
        }
    }
    return head ? 0 : -1;
}

/* ML_PREDICT and APPLY_RULES: the input row, then columns of their own. */
static int trace_appending(tracer *t)
{
    pass_through(t);
    return own_cols(t, t->n->inputs[0]->schema.ncols);
}

typedef int trace_fn(tracer *t);

/* Indexed by vg_plan_kind; NULL: trace_opaque. */
static trace_fn *const tracers[] = {
    [VG_PLAN_SOURCE] = trace_source,   [VG_PLAN_PROJECT] = trace_project,
    [VG_PLAN_OVER] = trace_over,       [VG_PLAN_PREDICT] = trace_appending,
    [VG_PLAN_RULES] = trace_appending,
};

static int trace(reload_lineage *l, const vg_plan_node *n)
{
    tracer t = {.l = l, .n = n};
    t.cols = vg_arena_calloc(l->arena, (n->schema.ncols + 1) * sizeof *t.cols);
    if (n->ninputs) {
        t.in = l->cols[n->inputs[0]->id];
        t.in_rows = l->rows[n->inputs[0]->id];
    }
    size_t k = (size_t)n->kind;
    trace_fn *fn = k < sizeof tracers / sizeof tracers[0] && tracers[k] ? tracers[k] : trace_opaque;
    if (n->kind != VG_PLAN_SOURCE && !n->ninputs)
        fn = trace_opaque; /* (defensive: every other kind has an input) */
    int rc = t.cols ? fn(&t) : -1;
    l->cols[n->id] = t.cols;
    return rc;
}

int reload_lineage_open(reload_lineage *l, const vg_plan *p, vg_error *err)
{
    memset(l, 0, sizeof *l);
    l->plan = p;
    l->arena = vg_arena_new(VG_MEM_SQL, 16384);
    if (!l->arena)
        return nomem(err);
    size_t n = p->nnodes ? p->nnodes : 1;
    l->fps = vg_arena_calloc(l->arena, n * sizeof *l->fps);
    l->rows = vg_arena_calloc(l->arena, n * sizeof *l->rows);
    l->cols = vg_arena_calloc(l->arena, n * sizeof *l->cols);
    if (!l->fps || !l->rows || !l->cols)
        return nomem(err);
    if (vg_plan_fingerprint(p, NULL, l->fps, err) < 0)
        return -1;
    int rc = 0;
    for (uint32_t i = 0; i < p->nnodes && rc == 0; i++)
        rc = trace(l, p->nodes[i]);
    return rc < 0 ? nomem(err) : 0;
}

void reload_lineage_close(reload_lineage *l)
{
    vg_arena_free(l->arena);
    memset(l, 0, sizeof *l);
}
