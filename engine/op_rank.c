/*
 * op_rank.c — ROW_NUMBER() deduplication and Top-N, with the semantics of
 * Flink's operators (no mini-batch):
 *
 * FIRST_ROW (ORDER BY the event-time column ASC, rn = 1): Flink's
 *   RowTimeDeduplicateKeepFirstRowFunction. A row older than the
 *   watermark is late (dead-lettered, where Flink drops it). Per key, the
 *   row of least event time waits (an equal time keeps the earlier row)
 *   until the watermark reaches it, then it is emitted, +I, once: the key
 *   drops every later row. Output is insert-only. Rows due at one
 *   watermark come out in order of event time, then arrival.
 *
 * LAST_ROW (ORDER BY the event-time column DESC, rn = 1): Flink's
 *   RowTimeDeduplicateFunction keeping the last row. On arrival, a row of
 *   event time at least the kept row's replaces it: +I for a key's first
 *   row, then -U of the old row and +U of the new one; an older row is
 *   dropped.
 *
 * TOP_N (anything else): Flink's AppendOnlyTopNFunction. A key keeps its
 *   first `limit` rows in ORDER BY order (NULLs first ASC, last DESC; a row
 *   equal to kept rows goes after them); a row that would rank past the
 *   limit is dropped. Without rn in the output, a row entering the Top-N
 *   emits +I, after -D of the row it pushes out when the Top-N was full.
 *   With rn, every row whose rank changes is updated in rank order: for
 *   each rank from the new row's down, -U of the row that held it then +U
 *   of the row that holds it now (the row pushed past the limit has no
 *   message of its own), and +I of the row that takes a new last rank.
 *
 * Rows are emitted on arrival except FIRST_ROW's. With a TTL (vg_op.ttl_ms)
 * a key whose newest row is older than the watermark less the TTL is
 * dropped without a message (its next row starts afresh), after the rows
 * due at that watermark are out. A row whose event-time column is NULL
 * cannot be deduplicated by time: it is late.
 *
 * A window rank (Flink's window Top-N and deduplication, the
 * VG_RANK_WINDOW_ modes) is rank_window.c's.
 */
#include <string.h>

#include "engine/rank_int.h"

static int nomem(vg_error *err) { return vg_error_set(err, VG_ERR_NOMEM, "out of memory"); }

/* ---- entries ---- */

static bool fires_before(const void *a, const void *b)
{
    const rk_key *x = rk_of(a), *y = rk_of(b);
    if (x->pending_ts != y->pending_ts)
        return x->pending_ts < y->pending_ts;
    return x->pending_seq < y->pending_seq;
}

static uint32_t *fire_at(void *e) { return &rk_of(e)->fire_at; }

vg_keymap_entry *rk_entry_new(rk_state *st, const char *p, uint32_t len)
{
    vg_keymap_entry *e = gm_add(&st->map, p, len);
    if (e)
        rk_of(e)->fire_at = VG_KEYMAP_NONE;
    return e;
}

static void destroy_key(void *arg, vg_keymap_entry *e)
{
    rk_state *st = arg;
    rk_key *k = rk_of(e);
    for (uint32_t i = 0; i < k->n; i++)
        vg_free(k->rows[i]);
    vg_free(k->rows);
    if (k->fire_at != VG_KEYMAP_NONE)
        vg_keymap_heap_remove(&st->fire, e);
    vg_free(k->pending);
}

void rk_entry_free(rk_state *st, vg_keymap_entry *e)
{
    destroy_key(st, e);
    gm_remove(&st->map, e);
}

int rk_fire_push(rk_state *st, vg_keymap_entry *e) { return vg_keymap_heap_push(&st->fire, e); }

int rk_reserve(rk_key *k)
{
    if (k->n < k->cap)
        return 0;
    uint32_t cap = k->cap ? k->cap * 2 : 2;
    vg_value **na = vg_realloc(VG_MEM_STATE, k->rows, cap * sizeof *na);
    if (!na)
        return -1;
    k->rows = na;
    k->cap = cap;
    return 0;
}

const vg_value *rk_out_row(rk_state *st, const vg_value *row, int64_t rank)
{
    if (!st->node->u.rank.with_rn)
        return row;
    memcpy(st->out, row, st->in->ncols * sizeof *row);
    st->out[st->in->ncols] = vg_int(rank);
    return st->out;
}

/* ---- open, close ---- */

static void rank_close(vg_op *op)
{
    rk_state *st = op->state;
    if (!st)
        return;
    gm_clear(&st->map, destroy_key, st);
    vg_keymap_heap_free(&st->fire);
    vg_buf_free(&st->key);
    vg_free(st->out);
    vg_free(st->iter);
    vg_free(st);
    op->state = NULL;
}

static int rank_open(vg_op *op, vg_error *err)
{
    const vg_plan_node *n = op->node;
    rk_state *st = vg_calloc(VG_MEM_STATE, 1, sizeof *st);
    if (!st)
        return nomem(err);
    op->state = st;
    st->node = n;
    st->in = &n->inputs[0]->schema;
    vg_buf_init(&st->key, VG_MEM_STATE);
    st->out = vg_calloc(VG_MEM_STATE, n->schema.ncols + 1, sizeof *st->out);
    st->iter = vg_calloc(VG_MEM_STATE, n->u.rank.nkeys + n->schema.ncols + 1, sizeof *st->iter);
    if (!st->out || !st->iter) {
        rank_close(op);
        return nomem(err);
    }
    gm_init(&st->map, sizeof(rk_key));
    st->win = n->u.rank.mode >= VG_RANK_WINDOW_TOP_N;
    st->wend = n->u.rank.wend;
    st->fire.less = fires_before;
    st->fire.at = fire_at;
    return 0;
}

/* ---- deduplication ---- */

/* The row's key entry, made when new; NULL when out of memory (error set). */
static vg_keymap_entry *key_of(vg_op *op, rk_state *st, const vg_value *row)
{
    const vg_plan_node *n = op->node;
    vg_keymap_entry *e = NULL;
    if (vg_keymap_encode(&st->key, op->env->partition, st->in, n->u.rank.keys, n->u.rank.nkeys,
                         row) == 0 &&
        !(e = vg_keymap_find(&st->map.keys, st->key.p, (uint32_t)st->key.len)))
        e = rk_entry_new(st, st->key.p, (uint32_t)st->key.len);
    if (!e)
        nomem(op->env->eval.err);
    return e;
}

/* The row waits for the watermark unless its key emitted or holds an
 * earlier row. */
static void push_first(vg_op *op, rk_state *st, vg_keymap_entry *e, const vg_value *row, int64_t ts)
{
    rk_key *k = rk_of(e);
    if (k->emitted || (k->pending && k->pending_ts <= ts))
        return;
    vg_value *copy = gm_row_copy(st->in, row);
    if (!copy || (!k->pending && rk_fire_push(st, e) < 0)) {
        vg_free(copy);
        nomem(op->env->eval.err);
        return;
    }
    vg_free(k->pending);
    k->pending = copy;
    k->pending_ts = ts;
    k->pending_seq = st->seq;
    vg_keymap_heap_fix(&st->fire, e);
}

/* The row replaces the kept one unless that one is later. */
static void push_last(vg_op *op, rk_state *st, vg_keymap_entry *e, const vg_value *row, int64_t ts)
{
    rk_key *k = rk_of(e);
    int32_t t = op->node->u.rank.time_col;
    if (k->n && k->rows[0][t].u.i > ts)
        return;
    vg_value *copy = gm_row_copy(st->in, row);
    if (!copy || rk_reserve(k) < 0) {
        vg_free(copy);
        nomem(op->env->eval.err);
        return;
    }
    if (!k->n) {
        k->rows[k->n++] = copy;
        vg_op_emit(op, copy, VG_ROW_INSERT);
        return;
    }
    vg_op_emit(op, k->rows[0], VG_ROW_UPDATE_BEFORE);
    vg_op_emit(op, copy, VG_ROW_UPDATE_AFTER);
    vg_free(k->rows[0]);
    k->rows[0] = copy;
}

/* ---- Top-N ---- */

int rk_order_cmp(const vg_plan_node *n, const vg_schema *in, const vg_value *a,
                     const vg_value *b)
{
    for (uint32_t i = 0; i < n->u.rank.norder; i++) {
        uint32_t s = n->u.rank.order[i];
        int c = a[s].null || b[s].null ? (int)b[s].null - (int)a[s].null
                                       : vg_value_cmp(in->cols[s].type, &a[s], &b[s]);
        if (c)
            return n->u.rank.desc[i] ? -c : c;
    }
    return 0;
}

/* Emit the rank changes of a row entering k's Top-N at index at (0-based),
 * before it is stored: Flink's processElementWithRowNumber. */
static void emit_with_rn(vg_op *op, rk_state *st, const rk_key *k, uint32_t at, const vg_value *row)
{
    int64_t limit = op->node->u.rank.limit;
    const vg_value *cur = row;
    uint32_t r = at;
    for (; r < k->n && r < limit; r++) {
        vg_op_emit(op, rk_out_row(st, k->rows[r], r + 1), VG_ROW_UPDATE_BEFORE);
        vg_op_emit(op, rk_out_row(st, cur, r + 1), VG_ROW_UPDATE_AFTER);
        cur = k->rows[r];
    }
    if (r < limit)
        vg_op_emit(op, rk_out_row(st, cur, r + 1), VG_ROW_INSERT);
}

static void push_top(vg_op *op, rk_state *st, vg_keymap_entry *e, const vg_value *row)
{
    const vg_plan_node *n = op->node;
    rk_key *k = rk_of(e);
    uint32_t lo = 0, hi = k->n; /* the first row that orders after row */
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (rk_order_cmp(n, st->in, row, k->rows[mid]) < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    if (lo >= n->u.rank.limit)
        return; /* past the Top-N */
    bool full = k->n == n->u.rank.limit;
    vg_value *copy = gm_row_copy(st->in, row);
    if (!copy || (!full && rk_reserve(k) < 0)) {
        vg_free(copy);
        nomem(op->env->eval.err);
        return;
    }
    vg_value *out = full ? k->rows[k->n - 1] : NULL; /* pushed past the limit */
    if (n->u.rank.with_rn) {
        emit_with_rn(op, st, k, lo, copy);
    } else {
        if (out)
            vg_op_emit(op, out, VG_ROW_DELETE);
        vg_op_emit(op, copy, VG_ROW_INSERT);
    }
    uint32_t stay = full ? k->n - 1 : k->n;
    memmove(&k->rows[lo + 1], &k->rows[lo], (stay - lo) * sizeof *k->rows);
    k->rows[lo] = copy;
    k->n = stay + 1;
    vg_free(out);
}

/* ---- rows and watermarks ---- */

static void rank_push(vg_op *op, uint32_t port, const vg_value *row, vg_row_kind kind)
{
    (void)port, (void)kind; /* the binder gives ranks append-only input */
    rk_state *st = op->state;
    if (st->win) {
        rk_window_push(op, st, row);
        return;
    }
    vg_rank_mode mode = op->node->u.rank.mode;
    int32_t t = op->node->u.rank.time_col;
    int64_t ts = t >= 0 && !row[t].null ? row[t].u.i : op->wm;
    if (mode != VG_RANK_TOP_N && (row[t].null || (mode == VG_RANK_FIRST_ROW && ts < op->wm))) {
        vg_op_late(op, row, row[t].null ? VG_WM_MIN : ts);
        return;
    }
    vg_keymap_entry *e = key_of(op, st, row);
    if (!e)
        return;
    if (mode == VG_RANK_FIRST_ROW)
        push_first(op, st, e, row, ts);
    else if (mode == VG_RANK_LAST_ROW)
        push_last(op, st, e, row, ts);
    else
        push_top(op, st, e, row);
    st->seq++;
    if (gm_touch(&st->map, e, ts, op->ttl_ms > 0) < 0)
        nomem(op->env->eval.err);
}

/* FIRST_ROW: emit the rows the watermark has reached. */
static void fire(vg_op *op, rk_state *st, int64_t wm)
{
    while (st->fire.n && rk_of(st->fire.items[0])->pending_ts <= wm) {
        vg_keymap_entry *e = st->fire.items[0];
        rk_key *k = rk_of(e);
        vg_keymap_heap_remove(&st->fire, e);
        vg_op_emit(op, k->pending, VG_ROW_INSERT);
        k->emitted = true;
        if (rk_reserve(k) < 0) {
            vg_free(k->pending); /* emitted all the same; only iterate misses it */
            nomem(op->env->eval.err);
        } else {
            k->rows[k->n++] = k->pending;
        }
        k->pending = NULL;
    }
}

static void rank_watermark(vg_op *op, int64_t wm)
{
    rk_state *st = op->state;
    if (wm <= op->wm)
        return;
    if (st->win)
        rk_window_fire(op, st, wm);
    else
        fire(op, st, wm);
    if (op->ttl_ms > 0 && !st->win)
        for (vg_keymap_entry *e; (e = gm_expired(&st->map, wm, op->ttl_ms));)
            rk_entry_free(st, e);
    vg_op_emit_watermark(op, wm);
}

const vg_op_kind vg_op_rank_kind = {
    .name = "rank",
    .open = rank_open,
    .push = rank_push,
    .watermark = rank_watermark,
    .snapshot = rk_snapshot,
    .restore = rk_restore,
    .iterate = rk_iterate,
    .close = rank_close,
};
