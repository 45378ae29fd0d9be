/*
 * bind_window.c — window table-valued functions in FROM:
 *
 *   TABLE(TUMBLE(TABLE t, DESCRIPTOR(ts), size [, offset]))
 *   TABLE(HOP(TABLE t, DESCRIPTOR(ts), slide, size [, offset]))
 *   TABLE(CUMULATE(TABLE t, DESCRIPTOR(ts), step, size [, offset]))
 *   TABLE(SESSION(TABLE t [PARTITION BY k, ...], DESCRIPTOR(ts), gap))
 *
 * Each becomes a bare VG_REL_WINDOW: t's columns, then window_start,
 * window_end and window_time (TIMESTAMP(3)). The rules are Flink's
 * (docs/window-aggregates.md): DESCRIPTOR names t's event-time attribute;
 * the intervals are constant and positive; CUMULATE's size is a multiple
 * of its step; PARTITION BY belongs to SESSION. TUMBLE's offset must be
 * smaller than its size in absolute value, and HOP's size a multiple of its
 * slide, only when aggregated (Flink's slicing assigners need it; its bare
 * TVF takes any offset; bind_wgroup.c checks).
 * Interval arguments are at most 2^52 ms, so window arithmetic at run time
 * cannot overflow.
 *
 * After the TVF, window_time is the time attribute (t's own event-time
 * column becomes a plain TIMESTAMP, as in Flink), so windows can cascade.
 * Flink's group windows (bind_gwindow.c) build their window relation and
 * check their intervals with the same functions.
 */
#include <string.h>
#include <strings.h>

#include "sql/binder_int.h"

/* Largest interval argument, in milliseconds (about 142,000 years). */
#define MAX_INTERVAL ((int64_t)1 << 52)

/* One window TVF: its arguments after DESCRIPTOR. */
typedef struct tvf_def {
    const char *name; /* upper case */
    vg_window_kind kind;
    uint32_t nreq;       /* required interval arguments */
    bool has_offset;     /* an optional offset may follow them */
    const char *args[3]; /* what each argument is, for errors */
    const char *usage;   /* "a size and an optional offset" */
} tvf_def;

/* clang-format off */
static const tvf_def tvfs[] = {
    {"TUMBLE", VG_WINDOW_TUMBLE, 1, true, {"size", "offset"}, "a size and an optional offset"},
    {"HOP", VG_WINDOW_HOP, 2, true, {"slide", "size", "offset"},
     "a slide, a size and an optional offset"},
    {"CUMULATE", VG_WINDOW_CUMULATE, 2, true, {"step", "size", "offset"},
     "a step, a size and an optional offset"},
    {"SESSION", VG_WINDOW_SESSION, 1, false, {"gap"}, "a gap"},
};
/* clang-format on */

static const char *const window_cols[3] = {"window_start", "window_end", "window_time"};

#define FAIL(...) (vg_bind_fail(__VA_ARGS__), -1)

/* ---- the time attribute ---- */

int32_t vg_bind_projected_slot(const vg_rel *project, int32_t slot)
{
    for (uint32_t i = 0; slot >= 0 && i < project->schema.ncols; i++)
        if (vg_expr_column_slot(project->u.project.exprs[i]) == slot)
            return (int32_t)i;
    return -1;
}

int32_t vg_bind_window_time_col(const vg_rel *r)
{
    switch (r->kind) {
    case VG_REL_SOURCE:
        return r->u.source.time_col;
    case VG_REL_WINDOW:
        return r->u.window.grouped ? 2 : (int32_t)r->input->schema.ncols + 2;
    case VG_REL_OVER:
        return vg_bind_window_time_col(r->input); /* the input's columns stay in place */
    case VG_REL_MATCH:
        return r->u.match.time_col; /* ALL ROWS' ORDER BY column, or MATCH_ROWTIME() */
    case VG_REL_PROJECT:
        return vg_bind_projected_slot(r, vg_bind_window_time_col(r->input));
    default:
        return -1;
    }
}

/* ---- arguments ---- */

static const tvf_def *find_tvf(const char *name)
{
    for (size_t i = 0; i < sizeof tvfs / sizeof tvfs[0]; i++)
        if (strcasecmp(name, tvfs[i].name) == 0)
            return &tvfs[i];
    return NULL;
}

int vg_bind_window_interval(bind_ctx *c, const char *fn, const vg_ast *e, const char *what,
                            bool positive, int64_t *ms)
{
    bind_ctx k = *c;
    k.scope = NULL; /* an interval argument names no column */
    vg_expr *x = vg_bind_expr(&k, e);
    if (!x)
        return -1;
    vg_type t = vg_expr_type(x);
    const vg_value *v = vg_expr_const_value(x);
    if (t != VG_T_INTERVAL && t != VG_T_NULL)
        return FAIL(c, VG_ERR_TYPE, e->span, "the %s of %s must be an INTERVAL, got %s", what, fn,
                    vg_type_name(t));
    if (!v)
        return FAIL(c, VG_ERR_SEMANTIC, e->span, "the %s of %s must be a constant", what, fn);
    if (v->null)
        return FAIL(c, VG_ERR_SEMANTIC, e->span, "the %s of %s must not be NULL", what, fn);
    if (v->u.i <= -MAX_INTERVAL || v->u.i >= MAX_INTERVAL)
        return FAIL(c, VG_ERR_SEMANTIC, e->span, "the %s of %s is too large", what, fn);
    if (positive && v->u.i <= 0)
        return FAIL(c, VG_ERR_SEMANTIC, e->span, "the %s of %s must be positive, got %lld ms", what,
                    fn, (long long)v->u.i);
    *ms = v->u.i;
    return 0;
}

/* The intervals after DESCRIPTOR, checked as Flink checks them. */
static int bind_spec(bind_ctx *c, const tvf_def *d, const vg_ast *f, vg_window_spec *s)
{
    const vg_ast_list *args = &f->u.tablefn.args;
    uint32_t n = args->n;
    if (n < d->nreq || n > d->nreq + d->has_offset)
        return FAIL(c, VG_ERR_SEMANTIC,
                    n > d->nreq ? args->items[d->nreq + d->has_offset]->span : f->u.tablefn.fn.span,
                    "%s takes %s after DESCRIPTOR, got %u argument%s", d->name, d->usage, n,
                    n == 1 ? "" : "s");
    int64_t v[3] = {0, 0, 0};
    for (uint32_t i = 0; i < n; i++)
        if (vg_bind_window_interval(c, d->name, args->items[i], d->args[i], i < d->nreq, &v[i]) < 0)
            return -1;
    memset(s, 0, sizeof *s);
    s->kind = d->kind;
    s->size = d->nreq == 2 ? v[1] : v[0];
    s->step = d->kind == VG_WINDOW_SESSION ? 0 : v[0]; /* TUMBLE: the size */
    s->offset = n > d->nreq ? v[d->nreq] : 0;
    if (d->kind == VG_WINDOW_CUMULATE && s->size % s->step != 0)
        return FAIL(c, VG_ERR_SEMANTIC, args->items[1]->span,
                    "the size of CUMULATE must be an integral multiple of its step, got size %lld "
                    "ms and step %lld ms",
                    (long long)s->size, (long long)s->step);
    return 0;
}

/* ---- the table and its columns ---- */

static vg_rel *find_table(bind_ctx *c, const vg_ident *t)
{
    for (uint32_t i = 0; i < c->b->nentries; i++)
        if (strcmp(c->b->entries[i].name, t->name) == 0)
            return c->b->entries[i].rel;
    return vg_bind_fail(c, VG_ERR_NAME, t->span, "unknown stream or view '%s'", t->name);
}

const char *vg_bind_window_time_hint(const vg_rel *r)
{
    while (r->kind == VG_REL_PROJECT || r->kind == VG_REL_OVER)
        r = r->input;
    return r->kind == VG_REL_MATCH ? "a MATCH_RECOGNIZE gives its output one with MATCH_ROWTIME() "
                                     "AS name in MEASURES"
                                   : "declare one with WATERMARK FOR";
}

/* DESCRIPTOR(col): t's event-time attribute, as a slot of t. */
static int bind_descriptor(bind_ctx *c, const tvf_def *d, const vg_ast *f, const vg_rel *in)
{
    const vg_ident *col = &f->u.tablefn.descriptor;
    const char *table = f->u.tablefn.table.name;
    int slot = vg_bind_find_column(c, NULL, col->name, col->span);
    if (slot < 0)
        return -1;
    int32_t t = vg_bind_window_time_col(in);
    if (t < 0)
        return FAIL(c, VG_ERR_SEMANTIC, col->span,
                    "%s needs an event-time column, and '%s' has none (%s)", d->name, table,
                    vg_bind_window_time_hint(in));
    if (slot != t)
        return FAIL(c, VG_ERR_SEMANTIC, col->span,
                    "DESCRIPTOR must name the event-time column of '%s', which is '%s'", table,
                    in->schema.cols[t].name);
    return slot;
}

/* SESSION's PARTITION BY columns, as slots of t. */
static int bind_partition(bind_ctx *c, const tvf_def *d, const vg_ast *f, uint32_t **keys)
{
    const vg_ast_list *l = &f->u.tablefn.partition_by;
    if (l->n && d->kind != VG_WINDOW_SESSION)
        return FAIL(c, VG_ERR_SEMANTIC, l->items[0]->span,
                    "PARTITION BY is only allowed in SESSION, not in %s", d->name);
    *keys = vg_arena_alloc(c->b->arena, (l->n ? l->n : 1) * sizeof **keys);
    if (!*keys)
        return vg_error_set(c->err, VG_ERR_NOMEM, "out of memory");
    for (uint32_t i = 0; i < l->n; i++) {
        const vg_ast *k = l->items[i];
        if (k->kind != VG_AST_COLUMN)
            return FAIL(c, VG_ERR_SEMANTIC, k->span, "PARTITION BY expects a column");
        vg_expr *x = vg_bind_expr(c, k);
        if (!x)
            return -1;
        (*keys)[i] = (uint32_t)vg_expr_column_slot(x);
        for (uint32_t j = 0; j < i; j++)
            if ((*keys)[j] == (*keys)[i])
                return FAIL(c, VG_ERR_SEMANTIC, k->span, "column '%s' is in PARTITION BY twice",
                            k->u.column.name.name);
    }
    return 0;
}

vg_rel *vg_bind_window_rel(bind_ctx *c, vg_rel *in, vg_span span)
{
    uint32_t n = in->schema.ncols;
    vg_rel *r = vg_bind_rel_new(c, VG_REL_WINDOW, NULL, span, n + 3);
    if (!r)
        return NULL;
    memcpy(r->schema.cols, in->schema.cols, n * sizeof *r->schema.cols);
    for (int w = 0; w < 3; w++) {
        r->schema.cols[n + w].name = window_cols[w];
        r->schema.cols[n + w].type = VG_T_TIMESTAMP;
    }
    r->input = in;
    return r;
}

/* t's columns, then the three window columns, which t must not have. */
static vg_rel *window_rel(bind_ctx *c, const tvf_def *d, const vg_ast *f, vg_rel *in)
{
    for (uint32_t i = 0; i < in->schema.ncols; i++)
        for (int w = 0; w < 3; w++)
            if (strcmp(in->schema.cols[i].name, window_cols[w]) == 0)
                return vg_bind_fail(c, VG_ERR_NAME, f->u.tablefn.table.span,
                                    "'%s' already has a column named '%s', which %s adds",
                                    f->u.tablefn.table.name, window_cols[w], d->name);
    return vg_bind_window_rel(c, in, f->span);
}

vg_rel *vg_bind_tablefn(bind_ctx *c, const vg_ast *f, const char **alias)
{
    const vg_ident *fn = &f->u.tablefn.fn;
    const tvf_def *d = find_tvf(fn->name);
    if (!d)
        return vg_bind_fail(c, VG_ERR_NAME, fn->span,
                            "unknown window function '%s' (TUMBLE, HOP, CUMULATE and SESSION are)",
                            fn->name);
    vg_rel *in = find_table(c, &f->u.tablefn.table);
    if (!in)
        return NULL;
    if (vg_rel_updating(in))
        return vg_bind_fail(c, VG_ERR_SEMANTIC, f->u.tablefn.table.span,
                            "%s cannot read '%s', which is an updating table (window TVFs need "
                            "an append-only input)",
                            d->name, f->u.tablefn.table.name);
    bind_scope scope = {f->u.tablefn.table.name, &in->schema};
    bind_ctx k = *c;
    k.scope = &scope;
    vg_window_spec spec;
    uint32_t *keys = NULL;
    if (bind_partition(&k, d, f, &keys) < 0)
        return NULL;
    int slot = bind_descriptor(&k, d, f, in);
    if (slot < 0 || bind_spec(c, d, f, &spec) < 0)
        return NULL;
    vg_rel *r = window_rel(c, d, f, in);
    if (!r)
        return NULL;
    r->u.window.spec = spec;
    r->u.window.time_col = slot;
    r->u.window.nkeys = f->u.tablefn.partition_by.n;
    r->u.window.keys = keys;
    *alias = f->u.tablefn.alias.name;
    return r;
}
