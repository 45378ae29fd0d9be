/*
 * op_over.c — OVER aggregates: per-event features over a sliding frame.
 *
 * Each arriving row is emitted at once (DESIGN.md: no waiting for the
 * watermark) with its columns and, for each aggregate, the value over the
 * row's frame among the rows of its partition seen so far:
 *
 *   RANGE p     rows with t - p <= ts <= t (Flink's bound: a row exactly p
 *               older is in; Flink retracts a row when t - ts > p)
 *   ROWS p      the row and the p rows before it in (ts, arrival) order
 *   UNBOUNDED   every row with ts <= t
 *
 * Rows of equal time (peers) that arrive later are not in an earlier
 * peer's frame: unlike Flink, which waits for the watermark and gives all
 * peers one value, vigil answers on arrival (docs/windows.md).
 *
 * In order (the common case) the cost per row is O(1) amortised: the row is
 * appended to its partition's buffer and added to the running state of
 * each aggregate, and the rows that left the frame are retracted from its
 * front (MIN/MAX pay the aggregate library's O(log n)). A row older than
 * its partition's newest (but not behind the watermark) is inserted in
 * order, so later frames see it, and its own frame is aggregated afresh:
 * that frame reaches back at most as far as the lateness the watermark
 * allows. Rows behind the watermark are late: reported (vg_op_late), not
 * emitted.
 *
 * FIRST_VALUE and LAST_VALUE depend on the order of the rows, which an
 * out-of-order row breaks for a running state (their states order rows by
 * when they were added). So their results are read from the buffer, which
 * is in order: the first (last) row of the frame that counts, O(1) unless
 * rows with a NULL argument or a false FILTER are in the way. Their running
 * state only holds the rows an UNBOUNDED frame evicted (in order), for when
 * the buffer has no row that counts.
 *
 * Rows that no future frame can contain are evicted when the watermark
 * advances: RANGE, rows with ts < wm - p; ROWS, all but the newest p rows
 * with ts < wm; UNBOUNDED, rows with ts < wm (they stay folded into the
 * running state). A partition evicts on its own arrivals, and a sweep
 * visits a bounded share of the partitions at each watermark (in
 * proportion to the rows pushed since the last one), so idle partitions
 * give back their buffers too.
 */
#include <string.h>
#include <strings.h>

#include "engine/over_int.h"

static int nomem(vg_error *err) { return vg_error_set(err, VG_ERR_NOMEM, "out of memory"); }

/* ---- frames ---- */

static int64_t preceding(const over_state *st) { return st->node->u.over.preceding; }

static bool is_rows(const over_state *st) { return st->node->u.over.frame == VG_FRAME_ROWS; }

/* t - p, saturating at the bottom of time. */
static int64_t minus(int64_t t, int64_t p) { return t < INT64_MIN + p ? INT64_MIN : t - p; }

static void add_rec(over_state *st, char *states, const uint64_t *rec, const over_agg *a,
                    vg_error *err)
{
    vg_value args[VG_AGG_MAXARGS];
    if (a->scan || !over_rec_counts(st, rec, a))
        return;
    over_rec_args(st, rec, a, args);
    if (vg_agg_add(a->call, states + a->off, args) < 0)
        nomem(err);
}

static void retract_rec(over_state *st, char *states, const uint64_t *rec, const over_agg *a,
                        vg_error *err)
{
    vg_value args[VG_AGG_MAXARGS];
    if (a->scan || !over_rec_counts(st, rec, a))
        return;
    over_rec_args(st, rec, a, args);
    if (vg_agg_retract(a->call, states + a->off, args) < 0)
        nomem(err);
}

static void add_all(over_state *st, char *states, const uint64_t *rec, vg_error *err)
{
    for (uint32_t i = 0; i < st->naggs; i++)
        add_rec(st, states, rec, &st->aggs[i], err);
}

static void retract_all(over_state *st, char *states, const uint64_t *rec, vg_error *err)
{
    for (uint32_t i = 0; i < st->naggs; i++)
        retract_rec(st, states, rec, &st->aggs[i], err);
}

/* Retract the records at the front of the running frame that the frame of
 * a row at time t (p's newest) no longer holds. */
static void shrink_frame(over_state *st, over_part *p, int64_t t, vg_error *err)
{
    int64_t pre = preceding(st);
    uint32_t end = p->head + p->n;
    if (pre < 0)
        return;
    if (is_rows(st)) {
        while ((int64_t)(end - p->lo) > pre + 1)
            retract_all(st, over_part_states(p), over_rec(st, p, p->lo++), err);
        return;
    }
    int64_t low = minus(t, pre);
    while (p->lo < end && over_rec_ts(over_rec(st, p, p->lo)) < low)
        retract_all(st, over_part_states(p), over_rec(st, p, p->lo++), err);
}

/* Whether p's oldest record can go: no frame of a row at or after the
 * watermark can hold it. */
static bool evictable(const over_state *st, const over_part *p)
{
    int64_t pre = preceding(st), ts = p->head_ts;
    if (pre < 0)
        return ts < st->wm;
    if (!is_rows(st))
        return ts < minus(st->wm, pre);
    return (int64_t)p->n > pre && ts < st->wm &&
           over_rec_ts(over_rec(st, p, p->head + (uint32_t)pre)) < st->wm;
}

/* An UNBOUNDED frame's evicted record, into the states of FIRST_VALUE and
 * LAST_VALUE (the others hold it already). */
static void fold(over_state *st, over_part *p, const uint64_t *rec, vg_error *err)
{
    vg_value args[VG_AGG_MAXARGS];
    for (uint32_t i = 0; i < st->naggs; i++) {
        const over_agg *a = &st->aggs[i];
        if (!a->scan || !over_rec_counts(st, rec, a))
            continue;
        over_rec_args(st, rec, a, args);
        if (vg_agg_add(a->call, over_part_states(p) + a->off, args) < 0)
            nomem(err);
    }
}

static void evict(over_state *st, over_part *p, vg_error *err)
{
    if (p->swept_wm == st->wm)
        return; /* nothing has changed since the last time */
    p->swept_wm = st->wm;
    while (p->n && evictable(st, p)) {
        const uint64_t *rec = over_rec(st, p, p->head);
        if (preceding(st) < 0) {
            fold(st, p, rec, err);
        } else if (p->head >= p->lo) { /* still in the running frame */
            retract_all(st, over_part_states(p), rec, err);
            p->lo++;
        }
        over_rec_release(st, rec);
        p->head++;
        p->n--;
        if (p->lo < p->head)
            p->lo = p->head; /* UNBOUNDED: lo follows head */
        if (p->n)
            p->head_ts = over_rec_ts(over_rec(st, p, p->head));
    }
    if (!p->n)
        p->head = p->lo = 0;
}

/* ---- arrival ---- */

/* The value of FIRST_VALUE (a->scan > 0) or LAST_VALUE over the records
 * [from, j]: the first (last) that counts; false when none does. */
static bool scan_frame(const over_state *st, const over_part *p, const over_agg *a, uint32_t from,
                       uint32_t j, vg_value *out)
{
    if (!p->n || j < from)
        return false;
    for (uint32_t k = 0; k <= j - from; k++) {
        const uint64_t *rec = over_rec(st, p, a->scan > 0 ? from + k : j - k);
        if (!over_rec_counts(st, rec, a))
            continue;
        over_rec_args(st, rec, a, out);
        if (!out->null)
            return true;
    }
    return false;
}

void over_result(const over_state *st, const over_part *p, const over_agg *a, const char *states,
                 uint32_t from, uint32_t j, vg_value *out)
{
    if (!a->scan) {
        vg_agg_result(a->call, states + a->off, out);
        return;
    }
    /* an UNBOUNDED frame's evicted rows come before the buffer's */
    if (a->scan > 0 && preceding(st) < 0) {
        vg_agg_result(a->call, over_part_states(p) + a->off, out);
        if (!out->null)
            return;
    }
    if (scan_frame(st, p, a, from, j, out))
        return;
    if (preceding(st) < 0)
        vg_agg_result(a->call, over_part_states(p) + a->off, out);
    else
        *out = vg_null();
}

/* Emit the input row with the results over the frame [from, j] of p, the
 * other aggregates' results taken from the state block `states`. */
static void emit(vg_op *op, over_state *st, const vg_value *row, const over_part *p,
                 const char *states, uint32_t from, uint32_t j)
{
    memcpy(st->out, row, st->nin * sizeof *row);
    for (uint32_t i = 0; i < st->naggs; i++)
        over_result(st, p, &st->aggs[i], states, from, j, &st->out[st->nin + i]);
    vg_op_emit(op, st->out, VG_ROW_INSERT);
}

/* A row at or after its partition's newest. */
static void arrive_in_order(vg_op *op, over_state *st, over_part *p, const vg_value *row)
{
    vg_error *err = op->env->eval.err;
    uint64_t *rec = over_rec(st, p, p->head + p->n);
    memcpy(rec, st->rec, st->rec_size);
    if (!p->n++)
        p->head_ts = over_rec_ts(rec);
    add_all(st, over_part_states(p), rec, err);
    shrink_frame(st, p, over_rec_ts(rec), err);
    emit(op, st, row, p, over_part_states(p), preceding(st) < 0 ? p->head : p->lo,
         p->head + p->n - 1);
}

/* The index of the first record of p later than t (binary search). */
static uint32_t after(const over_state *st, const over_part *p, int64_t t)
{
    uint32_t lo = p->head, hi = p->head + p->n;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (over_rec_ts(over_rec(st, p, mid)) <= t)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* The first record of the frame of the record at j. */
static uint32_t frame_start(const over_state *st, const over_part *p, uint32_t j)
{
    int64_t pre = preceding(st);
    if (is_rows(st))
        return (int64_t)(j - p->head) > pre ? j - (uint32_t)pre : p->head;
    int64_t low = minus(over_rec_ts(over_rec(st, p, j)), pre);
    uint32_t lo = p->head, hi = j;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (over_rec_ts(over_rec(st, p, mid)) < low)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* Emit the row at j (not the newest) with its frame aggregated afresh. */
static void emit_afresh(vg_op *op, over_state *st, over_part *p, uint32_t j, const vg_value *row)
{
    vg_error *err = op->env->eval.err;
    uint32_t from = frame_start(st, p, j);
    for (uint32_t i = 0; i < st->naggs; i++)
        vg_agg_init(st->aggs[i].call, st->tmp + st->aggs[i].off);
    for (uint32_t r = from; r <= j; r++)
        add_all(st, st->tmp, over_rec(st, p, r), err);
    emit(op, st, row, p, st->tmp, from, j);
    for (uint32_t i = 0; i < st->naggs; i++)
        vg_agg_destroy(st->aggs[i].call, st->tmp + st->aggs[i].off);
}

/* A row older than its partition's newest: insert it in order. */
static void arrive_out_of_order(vg_op *op, over_state *st, over_part *p, const vg_value *row)
{
    vg_error *err = op->env->eval.err;
    uint32_t j = after(st, p, over_rec_ts(st->rec)), end = p->head + p->n;
    memmove(over_rec(st, p, j + 1), over_rec(st, p, j), (size_t)(end - j) * st->rec_size);
    memcpy(over_rec(st, p, j), st->rec, st->rec_size);
    p->n++;
    end++;
    if (j == p->head)
        p->head_ts = over_rec_ts(st->rec);
    char *states = over_part_states(p);
    if (preceding(st) < 0) {
        /* the running state less the rows after this one is its frame */
        for (uint32_t r = j + 1; r < end; r++)
            retract_all(st, states, over_rec(st, p, r), err);
        add_all(st, states, over_rec(st, p, j), err);
        emit(op, st, row, p, states, p->head, j);
        for (uint32_t r = j + 1; r < end; r++)
            add_all(st, states, over_rec(st, p, r), err);
        return;
    }
    emit_afresh(op, st, p, j, row);
    if (j < p->lo) { /* before the running frame: it only moves it */
        p->lo++;
        return;
    }
    add_all(st, states, over_rec(st, p, j), err);
    shrink_frame(st, p, over_rec_ts(over_rec(st, p, end - 1)), err);
}

static void over_push(vg_op *op, uint32_t port, const vg_value *row, vg_row_kind kind)
{
    (void)port;
    over_state *st = op->state;
    vg_eval_ctx *ctx = &op->env->eval;
    const vg_value *tv = &row[st->node->u.over.order_col];
    if (kind != VG_ROW_INSERT) {
        vg_error_set(ctx->err, VG_ERR_RUNTIME, "OVER aggregates need an append-only input");
        return;
    }
    if (tv->null || tv->u.i < st->wm) {
        vg_op_late(op, row, tv->null ? VG_WM_MIN : tv->u.i);
        return;
    }
    if (over_key_encode(st, row) < 0) {
        nomem(ctx->err);
        return;
    }
    const char *key = st->key.len ? st->key.p : "";
    uint32_t klen = (uint32_t)st->key.len;
    uint64_t h = over_hash(key, klen);
    over_part *p = over_map_find(st, key, klen, h);
    if (!p && !(p = over_map_add(st, key, klen, h))) {
        nomem(ctx->err);
        return;
    }
    evict(st, p, ctx->err);
    if (over_part_reserve(st, p, 1) < 0 || over_rec_build(st, row, tv->u.i, ctx) < 0) {
        nomem(ctx->err);
        return;
    }
    st->since_sweep++;
    if (!p->n || tv->u.i >= over_rec_ts(over_rec(st, p, p->head + p->n - 1)))
        arrive_in_order(op, st, p, row);
    else
        arrive_out_of_order(op, st, p, row);
}

/* ---- watermarks ---- */

/* Evict from a share of the partitions: twice as many map slots as rows
 * arrived since the last sweep, so that a full pass costs O(1) per row. */
static void sweep(over_state *st, vg_error *err)
{
    uint64_t budget = 2 * st->since_sweep + 16;
    st->since_sweep = 0;
    if (budget > st->pcap)
        budget = st->pcap;
    for (; budget; budget--) {
        over_part *p = st->parts[st->sweep_at];
        st->sweep_at = (st->sweep_at + 1) & (st->pcap - 1);
        if (p) {
            evict(st, p, err);
            over_part_drop_buf(st, p);
        }
    }
}

static void over_watermark(vg_op *op, int64_t wm)
{
    over_state *st = op->state;
    if (wm > st->wm) {
        st->wm = wm;
        if (wm != VG_WM_MAX) /* at the end of input, nothing is left to make room for */
            sweep(st, op->env->eval.err);
    }
    vg_op_emit_watermark(op, wm);
}

/* ---- open and close ---- */

/* Whether two argument expressions compute the same value. */
static bool same_expr(const vg_expr *a, const vg_expr *b, vg_arena *scratch)
{
    if (a == b)
        return true;
    if (vg_expr_type(a) != vg_expr_type(b))
        return false;
    int32_t sa = vg_expr_column_slot(a), sb = vg_expr_column_slot(b);
    if (sa >= 0 || sb >= 0)
        return sa == sb;
    const char *ta = vg_expr_to_sql(a, NULL, scratch), *tb = vg_expr_to_sql(b, NULL, scratch);
    return ta && tb && strcmp(ta, tb) == 0;
}

/* The slot of argument expression x, added when new. */
static uint32_t slot_of(over_state *st, const vg_expr *x, vg_arena *scratch)
{
    for (uint32_t i = 0; i < st->nslots; i++)
        if (same_expr(st->slots[i].expr, x, scratch))
            return i;
    over_slot *s = &st->slots[st->nslots];
    s->expr = x;
    s->col = vg_expr_column_slot(x);
    s->type = vg_expr_type(x);
    return st->nslots++;
}

static int32_t filter_of(over_state *st, const vg_expr *f, vg_arena *scratch)
{
    if (!f)
        return -1;
    for (uint32_t i = 0; i < st->nfilters; i++)
        if (same_expr(st->filters[i], f, scratch))
            return (int32_t)i;
    st->filters[st->nfilters] = f;
    return (int32_t)st->nfilters++;
}

/* Slots, filters and state offsets of the node's aggregates. */
static int layout(over_state *st, vg_error *err)
{
    const vg_plan_node *n = st->node;
    uint32_t na = n->u.over.naggs;
    vg_arena *scratch = vg_arena_new(VG_MEM_STATE, 4096);
    st->slots = vg_calloc(VG_MEM_STATE, na * VG_AGG_MAXARGS + 1, sizeof *st->slots);
    st->filters = vg_calloc(VG_MEM_STATE, na + 1, sizeof *st->filters);
    st->aggs = vg_calloc(VG_MEM_STATE, na + 1, sizeof *st->aggs);
    if (!scratch || !st->slots || !st->filters || !st->aggs) {
        vg_arena_free(scratch);
        return nomem(err);
    }
    for (uint32_t i = 0; i < na; i++) {
        const vg_plan_agg *pa = &n->u.over.aggs[i];
        over_agg *a = &st->aggs[i];
        a->call = &pa->call;
        for (uint32_t k = 0; k < pa->call.nargs; k++)
            a->slot[k] = slot_of(st, pa->args[k], scratch);
        a->filter = filter_of(st, pa->filter, scratch);
        a->off = st->states_size;
        a->scan = strcasecmp(pa->call.agg->name, "FIRST_VALUE") == 0  ? 1
                  : strcasecmp(pa->call.agg->name, "LAST_VALUE") == 0 ? -1
                                                                       : 0;
        st->states_size += (pa->call.state_size + 15) & ~(size_t)15;
    }
    vg_arena_free(scratch);
    st->naggs = na;
    for (uint32_t i = 0; i < na; i++)
        if (st->aggs[i].filter >= 0)
            st->aggs[i].filter += (int32_t)st->nslots;
    if (st->nslots + st->nfilters > 64)
        return vg_error_set(err, VG_ERR_RUNTIME,
                            "one window holds at most 64 distinct aggregate arguments and "
                            "FILTER conditions, got %u",
                            st->nslots + st->nfilters);
    st->has_flags = st->nslots + st->nfilters > 0;
    st->rec_size = 8 * (1 + st->nslots + (st->has_flags ? 1 : 0));
    return 0;
}

static void over_close(vg_op *op)
{
    over_state *st = op->state;
    if (!st)
        return;
    if (st->parts)
        over_map_free(st);
    vg_buf_free(&st->key);
    vg_free(st->slots);
    vg_free(st->filters);
    vg_free(st->aggs);
    vg_free(st->rec);
    vg_free(st->out);
    vg_free(st->tmp);
    vg_free(st);
    op->state = NULL;
}

static int over_open(vg_op *op, vg_error *err)
{
    over_state *st = vg_calloc(VG_MEM_STATE, 1, sizeof *st);
    if (!st)
        return nomem(err);
    op->state = st;
    st->node = op->node;
    st->nin = op->node->inputs[0]->schema.ncols;
    st->wm = VG_WM_MIN;
    vg_buf_init(&st->key, VG_MEM_STATE);
    if (layout(st, err) < 0) {
        over_close(op);
        return -1;
    }
    st->pcap = 16;
    st->parts = vg_calloc(VG_MEM_STATE, st->pcap, sizeof *st->parts);
    st->rec = vg_malloc(VG_MEM_STATE, st->rec_size);
    st->out = vg_calloc(VG_MEM_STATE, st->nin + st->naggs + 1, sizeof *st->out);
    st->tmp = vg_malloc(VG_MEM_STATE, st->states_size + 16);
    if (!st->parts || !st->rec || !st->out || !st->tmp) {
        over_close(op);
        return nomem(err);
    }
    return 0;
}

const vg_op_kind vg_op_over_kind = {
    .name = "over",
    .open = over_open,
    .push = over_push,
    .watermark = over_watermark,
    .snapshot = over_snapshot,
    .restore = over_restore,
    .iterate = over_iterate,
    .close = over_close,
};
