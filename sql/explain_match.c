/*
 * explain_match.c — EXPLAIN of a MATCH_RECOGNIZE node: its keys, order,
 * pattern (as SQL writes it, parenthesised only where the grouping needs
 * it), modes, SUBSETs, DEFINE conditions and measures (MATCH_ROWTIME()
 * as written: it is the output's event time).
 *
 * DEFINE and MEASURES are expressions over the input's columns then the
 * navigation values (sql/plan.h): each navigation value is written as SQL
 * writes it (PREV(LAST(A.price, 1), 2), v.x for LAST(v.x), COUNT(A.*)),
 * its argument's columns qualified by its variable. vg_expr_to_sql prints
 * the columns as placeholders, which are then replaced by those texts.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/expr.h"
#include "sql/explain_int.h"

/* Build a text apart from the part being built: sub_begin sets the part
 * aside, sub_end gives the text made since and brings the part back. */
static void sub_begin(ex *x, vg_buf *saved)
{
    *saved = x->buf;
    vg_buf_init(&x->buf, VG_MEM_SQL);
}

static const char *sub_end(ex *x, vg_buf *saved)
{
    const char *s = vg_explain_take(x);
    vg_buf_free(&x->buf);
    x->buf = *saved;
    return s;
}

static bool ident_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '$';
}

#define SLOT_MARK "__vgslot"

/* The text of e over n columns, column i written as cols[i] (SQL text as
 * is): columns are printed as placeholders, then replaced. */
static const char *expr_with(ex *x, const vg_expr *e, uint32_t n, const char *const *cols)
{
    const char **names = vg_arena_alloc(x->a, (n ? n : 1) * sizeof *names);
    for (uint32_t i = 0; names && i < n; i++)
        if (!(names[i] = vg_arena_printf(x->a, SLOT_MARK "%u__", i)))
            names = NULL;
    const char *t = names ? vg_expr_to_sql(e, names, x->a) : NULL;
    if (!t) {
        x->rc = -1;
        return "?";
    }
    vg_buf saved;
    sub_begin(x, &saved);
    size_t mlen = strlen(SLOT_MARK);
    for (const char *p = t; *p;) {
        char *end;
        unsigned long i = 0;
        if (strncmp(p, SLOT_MARK, mlen) == 0 && (p == t || !ident_char(p[-1])) &&
            (i = strtoul(p + mlen, &end, 10), end[0] == '_' && end[1] == '_') &&
            !ident_char(end[2]) && i < n) {
            vg_explain_put(x, cols[i]);
            p = end + 2;
            continue;
        }
        x->rc |= vg_buf_putc(&x->buf, *p++);
    }
    return sub_end(x, &saved);
}

/* How a set of variables is named: a variable, or the subset of exactly them. */
static void put_vars(ex *x, const vg_plan_match *m, vg_mr_vars vars)
{
    for (uint32_t i = 0; i < m->nvars; i++)
        if (vars == (vg_mr_vars)1 << i) {
            vg_explain_put_name(x, m->vars[i]);
            return;
        }
    for (uint32_t i = 0; i < m->nsubsets; i++)
        if (vars == m->subset_vars[i]) {
            vg_explain_put_name(x, m->subset_names[i]);
            return;
        }
    vg_explain_put(x, "?");
}

/* The text of expression e of navigation v, over the input row: its
 * columns qualified by v's variable (unless v is universal), then the two
 * hidden slots an argument may read, CLASSIFIER([v]) and MATCH_NUMBER(). */
static const char *nav_expr(ex *x, const vg_plan_node *n, const vg_mr_nav *v, const vg_expr *e)
{
    const vg_schema *in = &n->inputs[0]->schema;
    const char **cols = vg_arena_alloc(x->a, (in->ncols + 2) * sizeof *cols);
    if (!cols) {
        x->rc = -1;
        return "?";
    }
    for (uint32_t i = 0; i < in->ncols + 1; i++) {
        vg_buf saved;
        sub_begin(x, &saved);
        bool cls = i == in->ncols;
        vg_explain_put(x, cls ? "CLASSIFIER(" : "");
        if (!v->universal) {
            put_vars(x, n->u.match, v->vars);
            vg_explain_put(x, cls ? "" : ".");
        }
        if (cls)
            vg_explain_put(x, ")");
        else
            vg_explain_put_name(x, in->cols[i].name);
        cols[i] = sub_end(x, &saved);
    }
    cols[in->ncols + 1] = "MATCH_NUMBER()";
    return expr_with(x, e, in->ncols + 2, cols);
}

/* An aggregate: NAME([DISTINCT] args | * | v.*) [FILTER (WHERE c)]. */
static void put_nav_agg(ex *x, const vg_plan_node *n, const vg_mr_nav *v)
{
    const vg_plan_agg *a = &v->agg;
    bool array = v->kind == VG_MR_NAV_ARRAY_AGG;
    uint32_t nargs = array ? 1 : a->call.nargs;
    const char *args[VG_AGG_MAXARGS], *filter = a->filter ? nav_expr(x, n, v, a->filter) : NULL;
    for (uint32_t i = 0; i < nargs; i++)
        args[i] = nav_expr(x, n, v, a->args[i]);
    vg_explain_put(x, array ? "ARRAY_AGG" : a->call.agg->name);
    vg_explain_put(x, a->call.distinct ? "(DISTINCT " : "(");
    if (nargs == 0 && !v->universal) {
        put_vars(x, n->u.match, v->vars);
        vg_explain_put(x, ".");
    }
    if (nargs == 0)
        vg_explain_put(x, "*");
    for (uint32_t i = 0; i < nargs; i++) {
        vg_explain_put(x, i ? ", " : "");
        vg_explain_put(x, args[i]);
    }
    vg_explain_put(x, ")");
    if (filter) {
        vg_explain_put(x, " FILTER (WHERE ");
        vg_explain_put(x, filter);
        vg_explain_put(x, ")");
    }
}

/* Navigation v as SQL writes it: PREV|NEXT([FINAL] LAST|FIRST(arg[, k])[, n]),
 * v.x for LAST(v.x), an aggregate, CLASSIFIER([v]), MATCH_NUMBER(), TIMED_OUT(). */
static const char *nav_text(ex *x, const vg_plan_node *n, const vg_mr_nav *v)
{
    bool logical =
        v->kind == VG_MR_NAV_LAST || v->kind == VG_MR_NAV_FIRST || v->kind == VG_MR_NAV_CLASSIFIER;
    bool first = v->kind == VG_MR_NAV_FIRST || (v->kind == VG_MR_NAV_CLASSIFIER && v->first);
    bool bare = logical && !first && !v->logical && !v->final &&
                (v->kind == VG_MR_NAV_CLASSIFIER || vg_expr_column_slot(v->arg) >= 0);
    const char *arg = v->kind == VG_MR_NAV_CLASSIFIER ? "CLASSIFIER()"
                      : v->kind == VG_MR_NAV_LAST || v->kind == VG_MR_NAV_FIRST
                          ? nav_expr(x, n, v, v->arg)
                          : NULL;
    vg_buf saved;
    sub_begin(x, &saved);
    if (v->physical)
        vg_explain_put(x, v->physical < 0 ? "PREV(" : "NEXT(");
    if (v->final)
        vg_explain_put(x, "FINAL ");
    if (logical && !bare)
        vg_explain_put(x, first ? "FIRST(" : "LAST(");
    if (v->kind == VG_MR_NAV_CLASSIFIER && !v->universal) {
        vg_explain_put(x, "CLASSIFIER(");
        put_vars(x, n->u.match, v->vars);
        vg_explain_put(x, ")");
    } else if (arg)
        vg_explain_put(x, arg);
    else if (v->kind == VG_MR_NAV_MATCH_NUMBER || v->kind == VG_MR_NAV_TIMED_OUT)
        vg_explain_put(x, v->kind == VG_MR_NAV_MATCH_NUMBER ? "MATCH_NUMBER()" : "TIMED_OUT()");
    else
        put_nav_agg(x, n, v);
    if (logical && !bare)
        x->rc |= v->logical ? vg_buf_printf(&x->buf, ", %lld)", (long long)v->logical)
                            : vg_buf_puts(&x->buf, ")");
    if (v->physical) {
        long long off = v->physical < 0 ? -v->physical : v->physical;
        x->rc |= off != 1 ? vg_buf_printf(&x->buf, ", %lld)", off) : vg_buf_puts(&x->buf, ")");
    }
    return sub_end(x, &saved);
}

/* The texts of the columns DEFINE and MEASURES read: the input's, then
 * each navigation value. */
static const char **match_cols(ex *x, const vg_plan_node *n)
{
    const vg_schema *in = &n->inputs[0]->schema;
    const vg_plan_match *m = n->u.match;
    uint32_t ncols = in->ncols + m->nnavs;
    const char **cols = vg_arena_alloc(x->a, (ncols ? ncols : 1) * sizeof *cols);
    if (!cols) {
        x->rc = -1;
        return NULL;
    }
    for (uint32_t i = 0; i < in->ncols; i++) {
        vg_buf saved;
        sub_begin(x, &saved);
        vg_explain_put_name(x, in->cols[i].name);
        cols[i] = sub_end(x, &saved);
    }
    for (uint32_t i = 0; i < m->nnavs; i++)
        cols[in->ncols + i] = nav_text(x, n, &m->navs[i]);
    return cols;
}

/* A quantifier: * + ? {n} {n,} {,m} {n,m}, then ? when reluctant. */
static void put_quantifier(ex *x, const vg_plan_pattern *p)
{
    bool unb = p->max == VG_PAT_UNBOUNDED;
    if (unb && p->min <= 1)
        vg_explain_put(x, p->min ? "+" : "*");
    else if (p->min == 0 && p->max == 1)
        vg_explain_put(x, "?");
    else if (p->min == p->max)
        x->rc |= vg_buf_printf(&x->buf, "{%u}", p->min);
    else if (unb)
        x->rc |= vg_buf_printf(&x->buf, "{%u,}", p->min);
    else if (p->min == 0)
        x->rc |= vg_buf_printf(&x->buf, "{,%u}", p->max);
    else
        x->rc |= vg_buf_printf(&x->buf, "{%u,%u}", p->min, p->max);
    if (p->reluctant)
        vg_explain_put(x, "?");
}

/* Pattern p inside a term of kind `in` (-1: at the top): parenthesised where
 * the grouping would be lost otherwise. */
static void put_pattern(ex *x, const vg_plan_match *m, const vg_plan_pattern *p, int in)
{
    static const char *const seps[] = {
        [VG_PAT_SEQ] = " ", [VG_PAT_ALT] = " | ", [VG_PAT_PERMUTE] = ", "};
    vg_pat_kind k = p->kind;
    bool paren =
        (in == VG_PAT_QUANT && (k == VG_PAT_SEQ || k == VG_PAT_ALT || k == VG_PAT_QUANT)) ||
        (in == VG_PAT_SEQ && (k == VG_PAT_SEQ || k == VG_PAT_ALT)) ||
        (in == VG_PAT_ALT && k == VG_PAT_ALT);
    vg_explain_put(x, paren ? "(" : "");
    switch (k) {
    case VG_PAT_VAR:
        vg_explain_put_name(x, m->vars[p->var]);
        break;
    case VG_PAT_START:
    case VG_PAT_END:
    case VG_PAT_EMPTY:
        vg_explain_put(x, k == VG_PAT_START ? "^" : k == VG_PAT_END ? "$" : "()");
        break;
    case VG_PAT_QUANT:
        put_pattern(x, m, p->kids[0], k);
        put_quantifier(x, p);
        break;
    case VG_PAT_EXCLUDE:
        vg_explain_put(x, "{- ");
        put_pattern(x, m, p->kids[0], -1);
        vg_explain_put(x, " -}");
        break;
    default:
        vg_explain_put(x, k == VG_PAT_PERMUTE ? "PERMUTE(" : "");
        for (uint32_t i = 0; i < p->nkids; i++) {
            vg_explain_put(x, i ? seps[k] : "");
            put_pattern(x, m, p->kids[i], k == VG_PAT_PERMUTE ? -1 : (int)k);
        }
        vg_explain_put(x, k == VG_PAT_PERMUTE ? ")" : "");
        break;
    }
    vg_explain_put(x, paren ? ")" : "");
}

/* rows per match, after match skip, within. */
static void match_modes(ex *x, const vg_plan_match *m, describe *d)
{
    static const char *const rows[] = {
        [VG_MR_ONE_ROW] = "one row per match",
        [VG_MR_ALL_ROWS] = "all rows per match",
        [VG_MR_ALL_ROWS_OMIT_EMPTY] = "all rows per match omit empty matches",
        [VG_MR_ALL_ROWS_UNMATCHED] = "all rows per match with unmatched rows"};
    static const char *const skips[] = {[VG_MR_SKIP_PAST_LAST] = "skip past last row",
                                        [VG_MR_SKIP_TO_NEXT] = "skip to next row",
                                        [VG_MR_SKIP_TO_FIRST] = "skip to first ",
                                        [VG_MR_SKIP_TO_LAST] = "skip to last "};
    if (m->within) {
        vg_explain_put(x, "within ");
        vg_explain_put_interval(x, m->within);
        vg_explain_put(x, m->emit_timeouts ? " emit timeouts" : "");
        d->parts[d->n++] = vg_explain_take(x);
    }
    vg_explain_put(x, rows[m->rows]);
    d->parts[d->n++] = vg_explain_take(x);
    vg_explain_put(x, skips[m->skip]);
    if (m->skip == VG_MR_SKIP_TO_FIRST || m->skip == VG_MR_SKIP_TO_LAST)
        put_vars(x, m, m->skip_vars);
    d->parts[d->n++] = vg_explain_take(x);
}

/* subset U = (A, B), ...; define [A := cond, ...]; measures [name := e, ...]. */
static void match_exprs(ex *x, const vg_plan_node *n, describe *d)
{
    const vg_plan_match *m = n->u.match;
    const char **cols = match_cols(x, n);
    uint32_t ncols = n->inputs[0]->schema.ncols + m->nnavs, first = 0;
    for (uint32_t i = 0; i < m->nsubsets; i++) {
        vg_explain_put(x, i ? ", " : "subset ");
        vg_explain_put_name(x, m->subset_names[i]);
        vg_explain_put(x, " = (");
        for (uint32_t v = 0, k = 0; v < m->nvars; v++)
            if (m->subset_vars[i] >> v & 1) {
                vg_explain_put(x, k++ ? ", " : "");
                vg_explain_put_name(x, m->vars[v]);
            }
        vg_explain_put(x, ")");
    }
    if (m->nsubsets)
        d->parts[d->n++] = vg_explain_take(x);
    for (uint32_t v = 0; cols && v < m->nvars; v++) {
        if (!m->defines[v])
            continue;
        const char *t = expr_with(x, m->defines[v], ncols, cols);
        vg_explain_put(x, first++ ? ", " : "define [");
        vg_explain_put_name(x, m->vars[v]);
        vg_explain_put(x, " := ");
        vg_explain_put(x, t);
    }
    if (first) {
        vg_explain_put(x, "]");
        d->parts[d->n++] = vg_explain_take(x);
    }
    uint32_t col = m->nkeys;
    if (m->rows != VG_MR_ONE_ROW) {
        col++;
        for (uint32_t i = 0; i < m->norder; i++)
            col += m->order[i].out;
    }
    for (uint32_t i = 0; cols && i < m->nmeasures; i++) {
        const char *t = (int32_t)i == m->rowtime ? "MATCH_ROWTIME()"
                                                 : expr_with(x, m->measures[i], ncols, cols);
        vg_explain_put(x, i ? ", " : "measures [");
        vg_explain_put_name(x, n->schema.cols[col + i].name);
        vg_explain_put(x, " := ");
        vg_explain_put(x, t);
    }
    if (m->nmeasures) {
        vg_explain_put(x, "]");
        d->parts[d->n++] = vg_explain_take(x);
    }
}

/* order by ts[, key [DESC], ...]: the event-time column, then the further
 * keys over the input's columns. */
static void match_order(ex *x, const vg_plan_node *n, describe *d)
{
    const vg_plan_match *m = n->u.match;
    const vg_schema *in = &n->inputs[0]->schema;
    const char **cols = m->norder ? vg_arena_alloc(x->a, in->ncols * sizeof *cols) : NULL;
    for (uint32_t i = 0; cols && i < in->ncols; i++) {
        vg_buf saved;
        sub_begin(x, &saved);
        vg_explain_put_name(x, in->cols[i].name);
        cols[i] = sub_end(x, &saved);
    }
    if (m->norder && !cols)
        x->rc = -1;
    vg_explain_put(x, "order by ");
    vg_explain_put_name(x, in->cols[m->order_col].name);
    for (uint32_t i = 0; cols && i < m->norder; i++) {
        const char *t = expr_with(x, m->order[i].expr, in->ncols, cols);
        vg_explain_put(x, ", ");
        vg_explain_put(x, t);
        vg_explain_put(x, m->order[i].desc ? " DESC" : "");
    }
    d->parts[d->n++] = vg_explain_take(x);
}

/* [partition by k]  order by ts[, ...]  pattern (...)  [within ...]  rows  skip  [subset ...]
 * [define [...]]  [measures [...]] */
void vg_explain_match(ex *x, const vg_plan_node *n, describe *d)
{
    const vg_plan_match *m = n->u.match;
    if (m->nkeys) {
        vg_explain_put(x, "partition by ");
        vg_explain_put_cols(x, n, m->keys, m->nkeys, NULL);
        d->parts[d->n++] = vg_explain_take(x);
    }
    match_order(x, n, d);
    bool empty = m->pattern->kind == VG_PAT_EMPTY;
    vg_explain_put(x, empty ? "pattern " : "pattern (");
    put_pattern(x, m, m->pattern, -1);
    vg_explain_put(x, empty ? "" : ")");
    d->parts[d->n++] = vg_explain_take(x);
    match_modes(x, m, d);
    match_exprs(x, n, d);
}
