/*
 * match_order.c — MATCH_RECOGNIZE's further ORDER BY keys: ORDER BY ts,
 * k1 [DESC], ... matches the rows of one event time in the order of k1,
 * ..., ties in arrival order (Flink's secondary sort).
 *
 * Rows wait for the watermark in (event time, arrival) order (op_match.c);
 * every row of one event time is due at the same watermark (a row that
 * comes after the watermark passed its time is late), so op_match.c takes
 * them out together into st->tie, in arrival order, and this file sorts
 * them: each row's keys are worked out once (a column key read, another
 * expression evaluated over the row, its strings in the evaluation's
 * scratch arena, which lives through the watermark call), then indexes
 * into tie are sorted by the keys, the index itself last, so that the sort
 * is stable. Nothing of this outlives the release: a snapshot holds the
 * waiting rows as it always did.
 */
#include <stdlib.h>

#include "engine/match_int.h"

int mr_order_reserve(mr_state *st, uint32_t n)
{
    if (n <= st->tie_cap)
        return 0;
    uint32_t cap = st->tie_cap ? st->tie_cap : 16, nk = st->m->norder;
    while (cap < n)
        cap *= 2;
    mr_row **tie = vg_realloc(VG_MEM_STATE, st->tie, cap * sizeof *tie);
    if (tie)
        st->tie = tie;
    vg_value *keys =
        tie ? vg_realloc(VG_MEM_STATE, st->tie_keys, (size_t)cap * nk * sizeof *keys) : NULL;
    if (keys)
        st->tie_keys = keys;
    uint32_t *ix = keys ? vg_realloc(VG_MEM_STATE, st->tie_ix, cap * sizeof *ix) : NULL;
    if (!ix)
        return -1;
    st->tie_ix = ix;
    st->tie_cap = cap;
    return 0;
}

void mr_order_close(mr_state *st)
{
    vg_free(st->tie);
    vg_free(st->tie_keys);
    vg_free(st->tie_ix);
    st->tie = NULL;
    st->tie_keys = NULL;
    st->tie_ix = NULL;
    st->tie_cap = 0;
}

/* The three-way order of two rows' keys a and b (norder values each). */
static int keys_cmp(const vg_plan_match *m, const vg_value *a, const vg_value *b)
{
    for (uint32_t k = 0; k < m->norder; k++) {
        const vg_mr_order *o = &m->order[k];
        int c;
        if (a[k].null || b[k].null) {
            c = (int)a[k].null - (int)b[k].null; /* NULL after every value */
            if (o->nulls_first)
                c = -c;
        } else {
            c = vg_value_cmp(vg_expr_type(o->expr), &a[k], &b[k]);
            if (o->desc)
                c = -c;
        }
        if (c)
            return c;
    }
    return 0;
}

static int tie_cmp(const void *pa, const void *pb, void *arg)
{
    const mr_state *st = arg;
    uint32_t i = *(const uint32_t *)pa, j = *(const uint32_t *)pb, nk = st->m->norder;
    int c = keys_cmp(st->m, st->tie_keys + (size_t)i * nk, st->tie_keys + (size_t)j * nk);
    return c ? c : i < j ? -1 : i > j;
}

void mr_order_sort(mr_state *st, uint32_t n)
{
    const vg_plan_match *m = st->m;
    vg_eval_ctx *ctx = &st->op->env->eval;
    for (uint32_t i = 0; i < n; i++) {
        const vg_value *row = mr_values(st->tie[i]);
        vg_value *keys = st->tie_keys + (size_t)i * m->norder;
        for (uint32_t k = 0; k < m->norder; k++) {
            const vg_mr_order *o = &m->order[k];
            if (o->slot >= 0)
                keys[k] = row[o->slot];
            else
                vg_expr_eval(o->expr, row, ctx, &keys[k]);
        }
        st->tie_ix[i] = i;
    }
    if (n > 1)
        qsort_r(st->tie_ix, n, sizeof *st->tie_ix, tie_cmp, st);
}
