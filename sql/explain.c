/*
 * explain.c — the plan as text (vigil explain, GET /plan) and as graphviz.
 *
 * Text is a tree per sink, the sink first and each node's input indented
 * two spaces below it:
 *
 *   sink stdout  [payment_id STRING, amount DOUBLE]
 *     project high_value  filter (amount >= 500.0)  [payment_id := payment_id, ...]
 *       source payments  [payment_id STRING, ...]  watermark (ts - INTERVAL '5' SECOND)
 *
 * An OVER node shows its keys, then each window of those keys: its frame and
 * its aggregates (the columns it appends):
 *
 *   over  partition by card_id  order by ts
 *     range between INTERVAL '1' HOUR preceding and current row  [n := COUNT(*), ...]
 *     range between INTERVAL '1' DAY preceding and current row  [n24 := COUNT(*), ...]
 *
 * (on one line, two spaces apart). A window node shows its TVF, its grouping and its
 * aggregates (bare: the columns it appends):
 *
 *   window  tumble(ts, size INTERVAL '1' MINUTE)  group by window_start, window_end,
 *     merchant_id  [n := COUNT(*), total := SUM(amount)]
 *
 * (on one line). An updating GROUP BY shows its keys ("global" without)
 * and aggregates, a rank its window, what it keeps and whether it outputs
 * the row number:
 *
 *   group  by card_id  [n := COUNT(*), total := SUM(amount)]
 *   rank  partition by card_id  order by ts DESC  keep last row
 *   rank  partition by merchant  order by amount DESC, ts  top 3, row number
 *
 * A MATCH_RECOGNIZE shows its keys, order, pattern and modes, then its
 * DEFINE conditions and measures, navigation values written as SQL writes
 * them (v.x is LAST(v.x)):
 *
 *   match  partition by card_id  order by ts  pattern (F{3,} S)  within INTERVAL '10'
 *     MINUTE  one row per match  skip past last row  define [F := (status = 'failed'),
 *     S := (status = 'captured')]  measures [first_fail := FIRST(F.ts), fails := COUNT(F.*)]
 *
 * (on one line). A node read by several others (a shared view or stream) is printed in
 * full the first time and as "-> project high_value (see above)" after.
 * Nodes no sink reads follow, as trees of their own. Both formats are
 * compared verbatim by tests: keep them stable.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "engine/buf.h"
#include "engine/expr.h"
#include "sql/explain_int.h"

static const char *const kind_names[] = {[VG_PLAN_SOURCE] = "source",
                                         [VG_PLAN_PROJECT] = "project",
                                         [VG_PLAN_SINK] = "sink",
                                         [VG_PLAN_OVER] = "over",
                                         [VG_PLAN_WINDOW] = "window",
                                         [VG_PLAN_GROUP] = "group",
                                         [VG_PLAN_RANK] = "rank",
                                         [VG_PLAN_PREDICT] = "predict",
                                         [VG_PLAN_RULES] = "rules",
                                         [VG_PLAN_MATCH] = "match"};

static void put(ex *x, const char *s) { x->rc |= vg_buf_puts(&x->buf, s); }

/* A name as SQL would write it: as is when plain, else back-quoted. */
static void put_name(ex *x, const char *name)
{
    if (vg_expr_ident_plain(name)) {
        put(x, name);
        return;
    }
    put(x, "`");
    for (const char *c = name; *c; c++)
        x->rc |= *c == '`' ? vg_buf_puts(&x->buf, "``") : vg_buf_putc(&x->buf, *c);
    put(x, "`");
}

/* The part built so far, copied into the arena; the buffer is emptied. */
static const char *take(ex *x)
{
    const char *s = vg_arena_strndup(x->a, x->buf.len ? x->buf.p : "", x->buf.len);
    vg_buf_clear(&x->buf);
    if (!s)
        x->rc = -1;
    return s ? s : "?";
}

/* An expression's text over the columns of s. */
static const char *expr_text(ex *x, const vg_expr *e, const vg_schema *s)
{
    const char **names = vg_arena_alloc(x->a, (s->ncols ? s->ncols : 1) * sizeof *names);
    for (uint32_t i = 0; names && i < s->ncols; i++)
        names[i] = s->cols[i].name;
    const char *t = names ? vg_expr_to_sql(e, names, x->a) : NULL;
    if (!t)
        x->rc = -1;
    return t ? t : "?";
}

static const char *header(ex *x, const vg_plan_node *n)
{
    put(x, kind_names[n->kind]);
    if (n->name) {
        put(x, " ");
        put_name(x, n->name);
    }
    return take(x);
}

static const char *columns(ex *x, const vg_schema *s)
{
    put(x, "[");
    for (uint32_t i = 0; i < s->ncols; i++) {
        if (i)
            put(x, ", ");
        put_name(x, s->cols[i].name);
        put(x, " ");
        put(x, vg_type_name(s->cols[i].type));
    }
    put(x, "]");
    return take(x);
}

/* A RANGE bound as an INTERVAL literal of the largest whole unit. */
static void put_interval(ex *x, int64_t ms)
{
    static const struct {
        int64_t ms;
        const char *name;
    } units[] = {{86400000, "DAY"}, {3600000, "HOUR"}, {60000, "MINUTE"}, {1000, "SECOND"}};
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
        if (ms != 0 && ms % units[i].ms == 0) {
            x->rc |= vg_buf_printf(&x->buf, "INTERVAL '%lld' %s", (long long)(ms / units[i].ms),
                                   units[i].name);
            return;
        }
    x->rc |= vg_buf_printf(&x->buf, "INTERVAL '%lld.%03lld' SECOND", (long long)(ms / 1000),
                           (long long)(ms % 1000));
}

static const char *over_window(ex *x, const vg_plan_node *n)
{
    const vg_schema *in = &n->inputs[0]->schema;
    if (n->u.over.nkeys) {
        put(x, "partition by ");
        for (uint32_t i = 0; i < n->u.over.nkeys; i++) {
            if (i)
                put(x, ", ");
            put_name(x, in->cols[n->u.over.keys[i]].name);
        }
        put(x, "  ");
    }
    put(x, "order by ");
    put_name(x, in->cols[n->u.over.order_col].name);
    return take(x);
}

static void over_frame(ex *x, const struct vg_plan_frame *f)
{
    bool rows = f->frame == VG_FRAME_ROWS;
    put(x, rows ? "rows between " : "range between ");
    if (f->preceding < 0)
        put(x, "unbounded");
    else if (rows)
        x->rc |= vg_buf_printf(&x->buf, "%lld", (long long)f->preceding);
    else
        put_interval(x, f->preceding);
    put(x, " preceding and current row");
}

/* [name := AGG([DISTINCT] args) [FILTER (WHERE cond)], ...]: node n's
 * aggregates aggs[0..naggs), whose first output column is col. */
static void put_aggs(ex *x, const vg_plan_node *n, const vg_plan_agg *aggs, uint32_t naggs,
                     uint32_t col)
{
    const vg_schema *in = &n->inputs[0]->schema;
    put(x, "[");
    for (uint32_t i = 0; i < naggs; i++) {
        const vg_plan_agg *a = &aggs[i];
        if (i)
            put(x, ", ");
        put_name(x, n->schema.cols[col + i].name);
        put(x, " := ");
        put(x, a->call.agg->name);
        put(x, a->call.distinct ? "(DISTINCT " : "(");
        if (a->call.nargs == 0)
            put(x, "*");
        for (uint32_t j = 0; j < a->call.nargs; j++) {
            if (j)
                put(x, ", ");
            put(x, expr_text(x, a->args[j], in));
        }
        put(x, ")");
        if (a->filter) {
            put(x, " FILTER (WHERE ");
            put(x, expr_text(x, a->filter, in));
            put(x, ")");
        }
    }
    put(x, "]");
}

/* The aggregates of frame f, whose first column is col. */
static void over_aggs(ex *x, const vg_plan_node *n, const struct vg_plan_frame *f, uint32_t col)
{
    put_aggs(x, n, f->aggs, f->naggs, col);
}

/* Each window of the node's keys: "FRAME  [AGGREGATES]", two spaces apart. */
static const char *over_frames(ex *x, const vg_plan_node *n)
{
    uint32_t col = n->inputs[0]->schema.ncols;
    for (uint32_t i = 0; i < n->u.over.nframes; i++) {
        const struct vg_plan_frame *f = &n->u.over.frames[i];
        if (i)
            put(x, "  ");
        over_frame(x, f);
        put(x, "  ");
        over_aggs(x, n, f, col);
        col += f->naggs;
    }
    return take(x);
}

/* ---- window nodes ---- */

/* An interval argument: ", NAME INTERVAL ..." (negative ones with a sign). */
static void put_window_arg(ex *x, const char *name, int64_t ms)
{
    put(x, ", ");
    put(x, name);
    put(x, ms < 0 ? " -" : " ");
    put_interval(x, ms < 0 ? -ms : ms);
}

/* tumble(ts, size INTERVAL '1' MINUTE[, offset ...]), hop(ts, slide .., size ..),
 * cumulate(ts, step .., size ..), session(ts, gap ..) */
static const char *window_spec(ex *x, const vg_plan_node *n)
{
    static const char *const fns[] = {[VG_WINDOW_TUMBLE] = "tumble", [VG_WINDOW_HOP] = "hop",
                                      [VG_WINDOW_CUMULATE] = "cumulate",
                                      [VG_WINDOW_SESSION] = "session"};
    static const char *const steps[] = {[VG_WINDOW_HOP] = "slide", [VG_WINDOW_CUMULATE] = "step"};
    const vg_window_spec *s = &n->u.window.spec;
    put(x, fns[s->kind]);
    put(x, "(");
    put_name(x, n->inputs[0]->schema.cols[n->u.window.time_col].name);
    if (s->kind == VG_WINDOW_HOP || s->kind == VG_WINDOW_CUMULATE)
        put_window_arg(x, steps[s->kind], s->step);
    put_window_arg(x, s->kind == VG_WINDOW_SESSION ? "gap" : "size", s->size);
    if (s->offset)
        put_window_arg(x, "offset", s->offset);
    put(x, ")");
    return take(x);
}

/* Grouped: "group by window_start, window_end, KEYS"; bare: "per row". */
static const char *window_grouping(ex *x, const vg_plan_node *n)
{
    bool session = n->u.window.spec.kind == VG_WINDOW_SESSION;
    if (!n->u.window.grouped && !session) {
        put(x, "per row");
        return take(x);
    }
    /* a bare SESSION holds each session's rows until it closes */
    put(x, n->u.window.grouped ? "group by window_start, window_end" : "rows per session");
    for (uint32_t i = 0; i < n->u.window.nkeys; i++) {
        put(x, i || n->u.window.grouped ? ", " : " partition by ");
        put_name(x, n->inputs[0]->schema.cols[n->u.window.keys[i]].name);
    }
    return take(x);
}

/* Grouped: [name := AGG([DISTINCT] args) [FILTER (WHERE cond)], ...];
 * bare: the columns it appends. */
static const char *window_aggs(ex *x, const vg_plan_node *n)
{
    if (!n->u.window.grouped) {
        put(x, "[+ window_start, window_end, window_time]");
        return take(x);
    }
    put_aggs(x, n, n->u.window.aggs, n->u.window.naggs, 3 + n->u.window.nkeys);
    return take(x);
}

/* ---- group and rank nodes ---- */

/* ", "-separated names of the input columns cols[0..n). */
static void put_cols(ex *x, const vg_plan_node *node, const uint32_t *cols, uint32_t n,
                     const bool *desc)
{
    const vg_schema *in = &node->inputs[0]->schema;
    for (uint32_t i = 0; i < n; i++) {
        if (i)
            put(x, ", ");
        put_name(x, in->cols[cols[i]].name);
        if (desc && desc[i])
            put(x, " DESC");
    }
}

/* ---- what explain_match.c shares ---- */

void vg_explain_put(ex *x, const char *s) { put(x, s); }
void vg_explain_put_name(ex *x, const char *name) { put_name(x, name); }
const char *vg_explain_take(ex *x) { return take(x); }
void vg_explain_put_interval(ex *x, int64_t ms) { put_interval(x, ms); }
void vg_explain_put_cols(ex *x, const vg_plan_node *node, const uint32_t *cols, uint32_t n,
                         const bool *desc)
{
    put_cols(x, node, cols, n, desc);
}

/* "by k1, k2" or "global"; then [name := AGG([DISTINCT] args) [FILTER (WHERE c)], ...]. */
static void describe_group(ex *x, const vg_plan_node *n, describe *d)
{
    put(x, n->u.group.nkeys ? "by " : "global");
    put_cols(x, n, n->u.group.keys, n->u.group.nkeys, NULL);
    d->parts[d->n++] = take(x);
    put_aggs(x, n, n->u.group.aggs, n->u.group.naggs, n->u.group.nkeys);
    d->parts[d->n++] = take(x);
}

/* [partition by k]  order by c [DESC], ...  keep first row | keep last row | top N[, row number];
 * a window rank (engine/rank_window.c) says "window keep first row", "window top N" ... */
static void describe_rank(ex *x, const vg_plan_node *n, describe *d)
{
    static const char *const kept[] = {[VG_RANK_FIRST_ROW] = "keep first row",
                                       [VG_RANK_LAST_ROW] = "keep last row",
                                       [VG_RANK_WINDOW_FIRST_ROW] = "window keep first row",
                                       [VG_RANK_WINDOW_LAST_ROW] = "window keep last row"};
    vg_rank_mode mode = n->u.rank.mode;
    if (n->u.rank.nkeys) {
        put(x, "partition by ");
        put_cols(x, n, n->u.rank.keys, n->u.rank.nkeys, NULL);
        d->parts[d->n++] = take(x);
    }
    put(x, "order by ");
    put_cols(x, n, n->u.rank.order, n->u.rank.norder, n->u.rank.desc);
    d->parts[d->n++] = take(x);
    if (mode == VG_RANK_TOP_N || mode == VG_RANK_WINDOW_TOP_N)
        x->rc |= vg_buf_printf(&x->buf, "%stop %lld%s", mode == VG_RANK_TOP_N ? "" : "window ",
                               (long long)n->u.rank.limit, n->u.rank.with_rn ? ", row number" : "");
    else
        put(x, kept[mode]);
    d->parts[d->n++] = take(x);
}

/* ML_PREDICT: "model m(a, b) shadow s", then the output columns. */
static void describe_predict(ex *x, const vg_plan_node *n, describe *d)
{
    const vg_plan_model *m = n->u.predict.model;
    const vg_schema *in = &n->inputs[0]->schema;
    put(x, "model ");
    put_name(x, m->name);
    put(x, "(");
    for (uint32_t i = 0; i < m->input.ncols; i++) {
        if (i)
            put(x, ", ");
        put_name(x, in->cols[n->u.predict.cols[i]].name);
    }
    put(x, ")");
    if (m->shadow) {
        put(x, " shadow ");
        put_name(x, m->shadow->name);
    }
    d->parts[d->n++] = take(x);
    d->parts[d->n++] = columns(x, &n->schema);
}

static void describe_node(ex *x, const vg_plan_node *n, describe *d)
{
    d->n = 0;
    d->parts[d->n++] = header(x, n);
    if (n->kind == VG_PLAN_SOURCE) {
        d->parts[d->n++] = columns(x, &n->schema);
        if (n->u.source.watermark) {
            put(x, "watermark ");
            put(x, expr_text(x, n->u.source.watermark, &n->schema));
            d->parts[d->n++] = take(x);
        }
    } else if (n->kind == VG_PLAN_PROJECT) {
        const vg_schema *in = &n->inputs[0]->schema;
        if (n->u.project.filter) {
            put(x, "filter ");
            put(x, expr_text(x, n->u.project.filter, in));
            d->parts[d->n++] = take(x);
        }
        put(x, "[");
        for (uint32_t i = 0; i < n->u.project.nexprs; i++) {
            if (i)
                put(x, ", ");
            put_name(x, n->schema.cols[i].name);
            put(x, " := ");
            put(x, expr_text(x, n->u.project.exprs[i], in));
        }
        put(x, "]");
        d->parts[d->n++] = take(x);
    } else if (n->kind == VG_PLAN_OVER) {
        d->parts[d->n++] = over_window(x, n);
        d->parts[d->n++] = over_frames(x, n);
    } else if (n->kind == VG_PLAN_WINDOW) {
        d->parts[d->n++] = window_spec(x, n);
        d->parts[d->n++] = window_grouping(x, n);
        d->parts[d->n++] = window_aggs(x, n);
    } else if (n->kind == VG_PLAN_GROUP) {
        describe_group(x, n, d);
    } else if (n->kind == VG_PLAN_RANK) {
        describe_rank(x, n, d);
    } else if (n->kind == VG_PLAN_PREDICT) {
        describe_predict(x, n, d);
    } else if (n->kind == VG_PLAN_MATCH) {
        vg_explain_match(x, n, d);
    } else if (n->kind == VG_PLAN_RULES) {
        put(x, "ruleset ");
        put_name(x, n->u.rules.ruleset->name);
        d->parts[d->n++] = take(x);
        d->parts[d->n++] = columns(x, &n->schema);
    } else {
        d->parts[d->n++] = columns(x, &n->schema);
    }
}

/* ---- text ---- */

typedef struct text_ctx {
    ex *x;
    FILE *out;
    bool *printed; /* per node id */
} text_ctx;

static void text_tree(text_ctx *t, const vg_plan_node *n, int depth)
{
    fprintf(t->out, "%*s", 2 * depth, "");
    if (t->printed[n->id]) {
        const char *h = header(t->x, n);
        if (n->name)
            fprintf(t->out, "-> %s (see above)\n", h);
        else
            fprintf(t->out, "-> %s #%u (see above)\n", h, n->id);
        return;
    }
    t->printed[n->id] = true;
    describe d;
    describe_node(t->x, n, &d);
    for (int i = 0; i < d.n; i++)
        fprintf(t->out, "%s%s", i ? "  " : "", d.parts[i]);
    fputc('\n', t->out);
    for (uint32_t i = 0; i < n->ninputs; i++)
        text_tree(t, n->inputs[i], depth + 1);
}

static void explain_text(ex *x, const vg_plan *p, FILE *out)
{
    text_ctx t = {x, out, vg_arena_calloc(x->a, (p->nnodes + 1) * sizeof(bool))};
    bool *consumed = vg_arena_calloc(x->a, (p->nnodes + 1) * sizeof(bool));
    if (!t.printed || !consumed) {
        x->rc = -1;
        return;
    }
    for (uint32_t i = 0; i < p->nnodes; i++)
        for (uint32_t j = 0; j < p->nodes[i]->ninputs; j++)
            consumed[p->nodes[i]->inputs[j]->id] = true;
    for (uint32_t i = 0; i < p->nsinks; i++)
        text_tree(&t, p->sinks[i], 0);
    for (uint32_t i = 0; i < p->nnodes; i++)
        if (!t.printed[i] && !consumed[i])
            text_tree(&t, p->nodes[i], 0);
}

/* ---- graphviz ---- */

static void dot_escaped(FILE *out, const char *s)
{
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            fputc('\\', out);
        fputc(*s, out);
    }
}

static void explain_dot(ex *x, const vg_plan *p, FILE *out)
{
    fputs("digraph vigil {\n  rankdir=BT;\n  node [shape=box, fontname=\"monospace\"];\n", out);
    for (uint32_t i = 0; i < p->nnodes; i++) {
        describe d;
        describe_node(x, p->nodes[i], &d);
        fprintf(out, "  n%u [label=\"", i);
        for (int k = 0; k < d.n; k++) {
            dot_escaped(out, d.parts[k]);
            fputs("\\l", out);
        }
        fputs("\"];\n", out);
    }
    for (uint32_t i = 0; i < p->nnodes; i++)
        for (uint32_t j = 0; j < p->nodes[i]->ninputs; j++)
            fprintf(out, "  n%u -> n%u;\n", p->nodes[i]->inputs[j]->id, i);
    fputs("}\n", out);
}

int vg_plan_explain(const vg_plan *p, vg_explain_format fmt, FILE *out)
{
    ex x = {.a = vg_arena_new(VG_MEM_SQL, 8192)};
    if (!x.a)
        return -1;
    vg_buf_init(&x.buf, VG_MEM_SQL);
    if (fmt == VG_EXPLAIN_DOT)
        explain_dot(&x, p, out);
    else
        explain_text(&x, p, out);
    vg_buf_free(&x.buf);
    vg_arena_free(x.a);
    return x.rc < 0 || ferror(out) ? -1 : 0;
}
