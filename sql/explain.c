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
 * A node read by several others (a shared view or stream) is printed in
 * full the first time and as "-> project high_value (see above)" after.
 * Nodes no sink reads follow, as trees of their own. Both formats are
 * compared verbatim by tests: keep them stable.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "engine/buf.h"
#include "engine/expr.h"
#include "sql/plan.h"

/* Where node descriptions are built; rc turns -1 once an allocation fails,
 * so that EXPLAIN reports it instead of printing a partial plan. */
typedef struct ex {
    vg_buf buf;  /* the part being built */
    vg_arena *a; /* parts, names and expression texts */
    int rc;
} ex;

/* One node described as a list of parts: "KIND NAME", then details. */
#define MAX_PARTS 4

typedef struct describe {
    const char *parts[MAX_PARTS];
    int n;
} describe;

static const char *const kind_names[] = {
    [VG_PLAN_SOURCE] = "source", [VG_PLAN_PROJECT] = "project", [VG_PLAN_SINK] = "sink"};

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
