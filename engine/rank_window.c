/*
 * rank_window.c — the rank operator as Flink's window Top-N and window
 * deduplication (WindowRankOperator, RowTimeWindowDeduplicateOperator):
 * ROW_NUMBER() whose PARTITION BY holds window_start and window_end of a
 * window TVF or window aggregate input.
 *
 * Rows are not emitted on arrival. Each key (its windows' columns and the
 * other PARTITION BY columns) keeps its first `limit` rows in ORDER BY order
 * (NULLs first ASC, last DESC, as op_rank.c; equal rows in arrival order),
 * and when the watermark reaches window_end - 1 (the time the window
 * aggregate fires at) the key's rows come out, +I, in rank order with
 * their row number when it is selected, and the key is dropped. Keys due
 * at one watermark come out in order of window end, then of their first
 * row's arrival. Deduplication keeping the last row (ORDER BY the
 * event-time column DESC, rn = 1, rn not selected) keeps the later of two
 * rows of equal time, as Flink's does; keeping the first row, the earlier.
 *
 * A row whose window has fired (window_end - 1 at or behind the watermark)
 * is late: dead-lettered. The output is insert-only; the operator ignores
 * the state TTL (a window's state lives until the window ends).
 */
#include <string.h>

#include "engine/rank_int.h"

/* ---- rows ---- */

/* The index row takes among k's rows: after equal rows, or before them
 * when the later of equal rows wins (keeping the last row). */
static uint32_t rank_of(const rk_state *st, const rk_key *k, const vg_value *row)
{
    bool later_first = st->node->u.rank.mode == VG_RANK_WINDOW_LAST_ROW;
    uint32_t lo = 0, hi = k->n;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        int c = rk_order_cmp(st->node, st->in, row, k->rows[mid]);
        if (c < 0 || (c == 0 && later_first))
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo;
}

/* The row's key entry, made (and put in the firing heap) when new; NULL
 * when out of memory (error set). */
static vg_keymap_entry *window_key(vg_op *op, rk_state *st, const vg_value *row, int64_t fire_at)
{
    const vg_plan_node *n = op->node;
    if (vg_keymap_encode(&st->key, op->env->partition, st->in, n->u.rank.keys, n->u.rank.nkeys,
                         row) < 0)
        return NULL;
    vg_keymap_entry *e = vg_keymap_find(&st->map.keys, st->key.p, (uint32_t)st->key.len);
    if (e)
        return e;
    if (!(e = rk_entry_new(st, st->key.p, (uint32_t)st->key.len)))
        return NULL;
    rk_key *k = rk_of(e);
    k->pending_ts = fire_at;
    k->pending_seq = st->seq;
    if (rk_fire_push(st, e) < 0) {
        rk_entry_free(st, e);
        return NULL;
    }
    return e;
}

void rk_window_push(vg_op *op, rk_state *st, const vg_value *row)
{
    const vg_value *end = &row[st->wend];
    if (end->null || end->u.i - 1 <= op->wm) {
        int32_t t = op->node->u.rank.time_col;
        vg_op_late(op, row, t >= 0 && !row[t].null ? row[t].u.i : VG_WM_MIN);
        return;
    }
    vg_keymap_entry *e = window_key(op, st, row, end->u.i - 1);
    if (!e) {
        vg_error_set(op->env->eval.err, VG_ERR_NOMEM, "out of memory");
        return;
    }
    st->seq++;
    rk_key *k = rk_of(e);
    int64_t limit = op->node->u.rank.limit;
    uint32_t at = rank_of(st, k, row);
    if (at >= limit)
        return; /* past the Top-N */
    bool full = k->n == limit;
    vg_value *copy = gm_row_copy(st->in, row);
    if (!copy || (!full && rk_reserve(k) < 0)) {
        vg_free(copy);
        vg_error_set(op->env->eval.err, VG_ERR_NOMEM, "out of memory");
        return;
    }
    if (full)
        vg_free(k->rows[--k->n]); /* pushed past the limit */
    memmove(&k->rows[at + 1], &k->rows[at], (k->n - at) * sizeof *k->rows);
    k->rows[at] = copy;
    k->n++;
}

void rk_window_fire(vg_op *op, rk_state *st, int64_t wm)
{
    while (st->fire.n && rk_of(st->fire.items[0])->pending_ts <= wm) {
        vg_keymap_entry *e = st->fire.items[0];
        const rk_key *k = rk_of(e);
        for (uint32_t i = 0; i < k->n; i++)
            vg_op_emit(op, rk_out_row(st, k->rows[i], i + 1), VG_ROW_INSERT);
        rk_entry_free(st, e); /* out of the heap too */
    }
}
