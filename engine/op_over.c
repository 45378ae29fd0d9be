/*
 * op_over.c — OVER aggregates: per-event features over sliding frames.
 *
 * An OVER node holds every window of one PARTITION BY key set. Each
 * arriving row is emitted at once (DESIGN.md: no waiting for the
 * watermark) with its columns and, for each aggregate of each window, the
 * value over the row's frame among the rows of its partition seen so far:
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
 * The windows of one key share the lookup of the row's partition and its
 * buffer of records (over_int.h); each frame keeps its own place in the
 * buffer and its own running aggregate states, and runs exactly as if it
 * were alone: every frame sees the same adds and retracts, in the same
 * order, as a node of its own would.
 *
 * In order (the common case) the cost per row is O(1) amortised: the row is
 * appended to its partition's buffer and added to each frame's running
 * states, and the rows that left a frame are retracted from its front.
 * COUNT(*) of a bounded frame is the number of records in it; an aggregate
 * that would make the same adds and retracts as an earlier one of its frame
 * (SUM and AVG of one argument) reads that one's state; MIN, MAX and
 * COUNT(DISTINCT x) of a bounded frame read its records while it holds at
 * most OVER_SMALL of them, and keep O(1) states beyond (over_frame.c); in an
 * UNBOUNDED frame MIN and MAX pay the aggregate library's O(log n). A row
 * older than its partition's newest (but not behind the watermark) is
 * inserted in order, so later frames see it; its own frame is aggregated
 * afresh (a bounded frame's rows are read again: O(frame) for such a row),
 * and an UNBOUNDED frame takes back the rows after it (as many as arrived
 * out of order before it). Rows behind the watermark are late: reported
 * (vg_op_late), not emitted.
 *
 * FIRST_VALUE and LAST_VALUE depend on the order of the rows, which an
 * out-of-order row breaks for a running state (their states order rows by
 * when they were added). So their results are read from the buffer, which
 * is in order: the first (last) row of the frame that counts, O(1) unless
 * rows with a NULL argument or a false FILTER are in the way. Their running
 * state only exists in an UNBOUNDED frame, and only holds the rows it
 * evicted (in order), for when the buffer has no row that counts.
 *
 * Rows that no future frame can contain are evicted as the watermark
 * advances, frame by frame: RANGE, rows with ts < wm - p; ROWS, all but the
 * newest p rows with ts < wm; UNBOUNDED, rows with ts < wm (they stay
 * folded into the running state). A record leaves the buffer once every
 * frame has evicted it. A partition evicts when a row arrives in it, before
 * taking the row (so that its states see the same adds and retracts in the
 * same order whenever the watermark moved); a sweep visits a bounded share
 * of the map at each watermark (in proportion to the rows pushed since the
 * last one) and evicts from the partitions that have had no row for the
 * longest RANGE of their frames, so that idle partitions give their rows
 * back too. It removes partitions whose buffer is empty (with no UNBOUNDED
 * frame: their state equals a new one's) or whose state TTL has passed. An
 * arrival in a partition whose TTL has passed starts it afresh first, so
 * that the sweep's pace never shows in the results.
 *
 * Memory is the cost that matters for a large state: a row's way to its
 * partition is a chain of loads from far memory (map slot, then partition
 * block), so the operators of one SELECT warm each other's caches ("warming
 * the caches" below), and everything a row needs of its partition is in
 * one block (over_int.h).
 */
#include <string.h>

#include "engine/over_int.h"

static void nomem(vg_error *err) { vg_error_set(err, VG_ERR_NOMEM, "out of memory"); }

/* ---- arrival ---- */

/* A row at or after its partition's newest (its record in st->rec). */
static void arrive_in_order(over_state *st, over_part *p, int64_t t, vg_error *err)
{
    char *rec = over_rec(st, p, p->head + p->n);
    over_rec_copy(rec, st->rec, st->rec_size);
    p->n++;
    over_arrive(st, p, rec, t, err);
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

/* The first record of frame fi's frame of the record at j. */
static uint32_t frame_start(const over_state *st, const over_part *p, uint32_t fi, uint32_t j)
{
    const over_frame *f = &st->frames[fi];
    uint32_t head = p->pos[fi].head;
    if (f->rows)
        return (int64_t)(j - head) > f->pre ? j - (uint32_t)f->pre : head;
    int64_t low = over_minus(over_rec_ts(over_rec(st, p, j)), f->pre);
    uint32_t lo = head, hi = j;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (over_rec_ts(over_rec(st, p, mid)) < low)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* A row older than its partition's newest, inserted in order at j: the
 * results of frame fi over the row's frame. A bounded frame aggregates it
 * afresh into st->tmp (destroyed by after_out_of_order), then takes the row
 * into its running frame (its SMALL aggregates' deques, if it has them,
 * start again: the row comes out of order); an UNBOUNDED frame's running
 * state less the rows after j is its frame (they are added back by
 * after_out_of_order). */
static void frame_out_of_order(over_state *st, over_part *p, uint32_t fi, uint32_t j, vg_error *err)
{
    over_frame *f = &st->frames[fi];
    over_pos *ps = &p->pos[fi];
    uint32_t end = p->head + p->n;
    char *states = over_part_states(st, p);
    if (f->pre < 0) {
        for (uint32_t r = j + 1; r < end; r++)
            over_step(st, f, states, over_rec(st, p, r), false, false, err);
        over_step(st, f, states, over_rec(st, p, j), true, false, err);
        over_results(st, p, fi, states, ps->head, j + 1, false);
        return;
    }
    uint32_t from = frame_start(st, p, fi, j);
    f->tmp_small = j + 1 - from > OVER_SMALL && f->has_small;
    over_frame_states(st, f, st->tmp, true, OVER_STATE);
    if (f->tmp_small)
        over_frame_states(st, f, st->tmp, true, OVER_SMALL);
    for (uint32_t r = from; r <= j; r++)
        over_step(st, f, st->tmp, over_rec(st, p, r), true, f->tmp_small, err);
    over_results(st, p, fi, st->tmp, from, j + 1, f->tmp_small);
    if (j < ps->lo) { /* before the running frame: it only moves it */
        ps->lo++;
        return;
    }
    if (over_big(p, fi)) {
        over_frame_states(st, f, states, false, OVER_SMALL);
        over_frame_states(st, f, states, true, OVER_SMALL);
        p->big &= ~(1u << fi);
    }
    over_step(st, f, states, over_rec(st, p, j), true, false, err);
    over_shrink(st, p, fi, over_rec_ts(over_rec(st, p, end - 1)), err);
    over_size_changed(st, p, fi, err);
}

static void after_out_of_order(over_state *st, over_part *p, uint32_t j, vg_error *err)
{
    uint32_t end = p->head + p->n;
    for (uint32_t fi = 0; fi < st->nframes; fi++) {
        const over_frame *f = &st->frames[fi];
        if (f->pre >= 0) {
            over_frame_states(st, f, st->tmp, false, OVER_STATE);
            if (f->tmp_small)
                over_frame_states(st, f, st->tmp, false, OVER_SMALL);
            continue;
        }
        for (uint32_t r = j + 1; r < end; r++)
            over_step(st, f, over_part_states(st, p), over_rec(st, p, r), true, false, err);
    }
}

/* Insert the row (its record in st->rec, event time t) in order. Every
 * frame's head is at or before the place: the records a frame evicted
 * are older than the watermark, and the row is not. Returns its index. */
static uint32_t insert(over_state *st, over_part *p, int64_t t)
{
    uint32_t j = after(st, p, t), end = p->head + p->n;
    memmove(over_rec(st, p, j + 1), over_rec(st, p, j), (size_t)(end - j) * st->rec_size);
    memcpy(over_rec(st, p, j), st->rec, st->rec_size);
    p->n++;
    for (uint32_t fi = 0; fi < st->nframes; fi++)
        if (p->pos[fi].head == j)
            p->pos[fi].head_ts = t;
    return j;
}

/* The sweep's due for a partition that has just had a row: no later than
 * over_due (a sweep that comes early finds nothing, and works it out),
 * without looking at its frames. */
static int64_t arrival_due(const over_state *st, const over_part *p)
{
    int64_t due = over_plus(over_plus(p->newest, st->grace), 1);
    if (st->ttl && over_plus(over_plus(p->newest, st->ttl), 1) < due)
        due = over_plus(over_plus(p->newest, st->ttl), 1);
    return due;
}

/* ---- warming the caches ----
 *
 * The partitions of a large state are far from the processor's caches, and
 * a row's way to its partition is a chain of loads each of which waits for
 * the one before: the map slot, then the partition. The OVER operators of
 * one SELECT (one per PARTITION BY key set) follow each other, each reading
 * its keys from the columns the first one received. So the first one starts
 * every later one's loads for the row before doing its own work, and the
 * waits overlap instead of adding up: the map slots first, then, once its
 * own lookup is done (and theirs have arrived), their partitions. The later
 * operators find the lines in the cache. Warming only reads. */

/* The OVER operators op's rows go to next, one after the other, whose keys
 * are columns of op's input row (the same slots). */
static void find_chain(vg_op *op, over_state *st)
{
    st->chain_known = true;
    for (vg_op *x = op; x->nout == 1 && st->nnext < OVER_MAX_NEXT;) {
        x = x->out[0].to;
        if (x->kind != &vg_op_over_kind || !x->state)
            return;
        over_state *xs = x->state;
        for (uint32_t k = 0; k < xs->node->u.over.nkeys; k++)
            if (xs->node->u.over.keys[k] >= st->nin)
                return;
        xs->warmed = true;
        st->next[st->nnext++] = xs;
    }
}

/* Encode and hash xs's key of the row (xs uses them when the row reaches
 * it: the row it receives next is this one) and start loading its slot. */
static void warm_slot(over_state *xs, const vg_value *row)
{
    if (over_key_encode(xs, xs->env->partition, row) < 0)
        return;
    xs->pf_hash = over_hash(xs->key.p, xs->key.len);
    xs->pf_ready = true;
    __builtin_prefetch(&xs->map[xs->pf_hash & (xs->mcap - 1)]);
}

static void warm_partition(const over_state *xs)
{
    uint32_t mask = xs->mcap - 1;
    for (uint32_t i = (uint32_t)xs->pf_hash & mask, k = 0; k < 4; i = (i + 1) & mask, k++) {
        const over_ent *e = &xs->map[i];
        if (!e->p)
            return;
        if (e->hash == (uint32_t)xs->pf_hash) {
            over_warm(e);
            return;
        }
    }
}

/* Copy the STRING results of the row in st->out into the scratch arena:
 * they may point into records or states that a later row of the batch
 * moves or frees before the batch goes on. -1 when out of memory. */
static int keep_strings(over_state *st, vg_eval_ctx *ctx)
{
    vg_value *out = st->out + st->nin;
    for (uint32_t i = 0; i < st->naggs; i++) {
        if (st->aggs[i].call->ret != VG_T_STRING || out[i].null || !out[i].len)
            continue;
        char *c = vg_arena_alloc(ctx->scratch, out[i].len);
        if (!c)
            return -1;
        memcpy(c, out[i].u.s, out[i].len);
        out[i].u.s = c;
    }
    return 0;
}

/* A row not late, at event time t, of key key[0..klen) (hash h): its
 * features into st->out. Emitted at once, or with `batch` left in st->out
 * for the caller to emit (true when it is to be emitted). */
static bool arrive(vg_op *op, const vg_value *row, int64_t t, const char *key, uint32_t klen,
                   uint64_t h, bool batch)
{
    over_state *st = op->state;
    vg_eval_ctx *ctx = &op->env->eval;
    /* Start the loads of the row's map slot (and the next operators'), then
     * do the work that needs no partition while they come. */
    if (!batch) {
        __builtin_prefetch(&st->map[h & (st->mcap - 1)]);
        for (uint32_t i = 0; i < st->nnext && !st->warmed; i++)
            warm_slot(st->next[i], row);
    }
    if (over_rec_build(st, row, t, ctx) < 0) {
        nomem(ctx->err);
        return false;
    }
    memcpy(st->out, row, st->nin * sizeof *row);
    /* (in a batch the partition's lines were asked for rows ago: push_run) */
    int64_t slot = batch ? over_map_seek(st, key, klen, h) : over_map_find(st, key, klen, h);
    if (slot < 0)
        slot = over_map_add(st, key, klen, h);
    over_ent *e = slot >= 0 ? &st->map[slot] : NULL;
    for (uint32_t i = 0; i < st->nnext && !st->warmed && !batch; i++)
        warm_partition(st->next[i]);
    if (e && over_expired(st, e->p))
        over_part_reset(st, e->p);
    if (e)
        over_evict(st, e->p, ctx->err);
    if (!e || over_part_room(st, e, 1) < 0) {
        if (e)
            e->due = over_due(st, e->p);
        over_rec_release(st, st->rec);
        nomem(ctx->err);
        return false;
    }
    over_part *p = e->p;
    st->since_sweep++;
    if (!p->n || t >= over_rec_ts(over_rec(st, p, p->head + p->n - 1))) {
        arrive_in_order(st, p, t, ctx->err);
        if (t > p->newest)
            p->newest = t;
        e->due = arrival_due(st, p);
        e->warm = over_warm_mask(st, p);
        if (batch)
            return !st->bstr || keep_strings(st, ctx) == 0 || (nomem(ctx->err), false);
        vg_op_emit(op, st->out, VG_ROW_INSERT);
        return true;
    }
    uint32_t j = insert(st, p, t);
    for (uint32_t fi = 0; fi < st->nframes; fi++)
        frame_out_of_order(st, p, fi, j, ctx->err);
    e->due = over_due(st, p);
    e->warm = over_warm_mask(st, p);
    bool kept = true;
    if (batch && st->bstr && keep_strings(st, ctx) < 0) {
        nomem(ctx->err);
        kept = false;
    }
    if (!batch)
        vg_op_emit(op, st->out, VG_ROW_INSERT);
    after_out_of_order(st, p, j, ctx->err);
    return kept;
}

/* Whether row is late (reported so), or has no event time. */
static bool late(vg_op *op, const vg_value *row)
{
    over_state *st = op->state;
    const vg_value *tv = &row[st->node->u.over.order_col];
    if (tv->null || tv->u.i < st->wm) {
        vg_op_late(op, row, tv->null ? VG_WM_MIN : tv->u.i);
        return true;
    }
    return false;
}

static void over_push(vg_op *op, uint32_t port, const vg_value *row, vg_row_kind kind)
{
    (void)port;
    over_state *st = op->state;
    vg_eval_ctx *ctx = &op->env->eval;
    if (kind != VG_ROW_INSERT) {
        vg_error_set(ctx->err, VG_ERR_RUNTIME, "OVER aggregates need an append-only input");
        return;
    }
    if (late(op, row))
        return;
    if (!st->chain_known)
        find_chain(op, st);
    uint64_t h = st->pf_hash;
    if (!st->pf_ready) {
        if (over_key_encode(st, st->env->partition, row) < 0) {
            nomem(ctx->err);
            return;
        }
        h = over_hash(st->key.p, st->key.len);
    }
    st->pf_ready = false;
    arrive(op, row, row[st->node->u.over.order_col].u.i, st->key.p, (uint32_t)st->key.len, h,
           false);
}

/* ---- batches ----
 *
 * A batch's rows are taken OVER_BATCH at a time: their keys are encoded
 * and hashed first (no memory far away is read), then, while row i is
 * worked on, the map slot of row i + BATCH_SLOT_AHEAD and the partition of
 * row i + BATCH_PART_AHEAD (found by its hash alone: a slot of another
 * partition with the same hash only costs a wasted load) are loaded, so
 * that a row finds both in the cache. The rows go on as one batch. */

#define BATCH_SLOT_AHEAD 8
#define BATCH_PART_AHEAD 4

/* Start loading the map slots a lookup of hash h reads: its own slot's
 * line and the next (a probe goes on past its slot, and a slot may
 * straddle two lines). */
static inline void warm_slots(const over_state *st, uint64_t h)
{
    const char *slot = (const char *)&st->map[h & (st->mcap - 1)];
    __builtin_prefetch(slot);
    __builtin_prefetch(slot + 64);
}

/* Start loading the partition whose hash is h (its map slot loaded). */
static void warm_hash(const over_state *st, uint64_t h)
{
    uint32_t mask = st->mcap - 1;
    for (uint32_t i = (uint32_t)h & mask, k = 0; k < 4; i = (i + 1) & mask, k++) {
        const over_ent *e = &st->map[i];
        if (!e->p)
            return;
        if (e->hash == (uint32_t)h) {
            over_warm(e);
            return;
        }
    }
}

/* Encode and hash the keys of rows [0, n) of b (from row `from`); rows
 * late or with no time get no key (bklen UINT32_MAX). -1 when out of memory. */
static int batch_keys(over_state *st, const vg_op_batch *b, uint32_t from, uint32_t n)
{
    const int32_t tcol = st->node->u.over.order_col;
    vg_buf_clear(&st->bkeys);
    for (uint32_t i = 0; i < n; i++) {
        const vg_value *row = b->rows + (size_t)(from + i) * b->width;
        st->bklen[i] = UINT32_MAX;
        if (row[tcol].null || row[tcol].u.i < st->wm)
            continue;
        size_t at = st->bkeys.len;
        if (over_key_append(st, &st->bkeys, b->parts[from + i], row) < 0)
            return -1;
        st->bkoff[i] = (uint32_t)at;
        st->bklen[i] = (uint32_t)(st->bkeys.len - at);
        st->bhash[i] = over_hash(st->bkeys.p + at, st->bklen[i]);
    }
    return 0;
}

/* Rows [from, from + n) of b (n <= OVER_BATCH). */
static void push_run(vg_op *op, const vg_op_batch *b, uint32_t from, uint32_t n)
{
    over_state *st = op->state;
    vg_eval_ctx *ctx = &op->env->eval;
    uint32_t w = st->nin + st->naggs, nout = 0;
    if (batch_keys(st, b, from, n) < 0) {
        nomem(ctx->err);
        return;
    }
    vg_value *saved = st->out;
    for (uint32_t i = 0; i < BATCH_SLOT_AHEAD && i < n; i++)
        if (st->bklen[i] != UINT32_MAX)
            warm_slots(st, st->bhash[i]);
    for (uint32_t i = 0; i < BATCH_PART_AHEAD && i < n; i++) /* the first rows' partitions */
        if (st->bklen[i] != UINT32_MAX)
            warm_hash(st, st->bhash[i]);
    for (uint32_t i = 0; i < n; i++) {
        const vg_value *row = b->rows + (size_t)(from + i) * b->width;
        uint32_t s = i + BATCH_SLOT_AHEAD, q = i + BATCH_PART_AHEAD;
        if (s < n && st->bklen[s] != UINT32_MAX)
            warm_slots(st, st->bhash[s]);
        if (q < n && st->bklen[q] != UINT32_MAX)
            warm_hash(st, st->bhash[q]);
        if (st->bklen[i] == UINT32_MAX) {
            late(op, row);
            continue;
        }
        st->out = st->bout + (size_t)nout * w;
        if (arrive(op, row, row[st->node->u.over.order_col].u.i, st->bkeys.p + st->bkoff[i],
                   st->bklen[i], st->bhash[i], true))
            st->bparts[nout++] = b->parts[from + i];
    }
    st->out = saved;
    vg_op_batch ob = {nout, w, st->bout, st->bparts};
    if (nout)
        vg_op_emit_batch(op, &ob);
}

static void over_push_batch(vg_op *op, uint32_t port, const vg_op_batch *b)
{
    (void)port;
    over_state *st = op->state;
    st->pf_ready = false;
    for (uint32_t from = 0; from < b->n; from += OVER_BATCH)
        push_run(op, b, from, b->n - from < OVER_BATCH ? b->n - from : OVER_BATCH);
}

/* ---- watermarks ---- */

/* Visit a share of the map: two slots per row arrived since the last
 * sweep, so that a full pass costs O(1) per row, and evict from the
 * partitions due (the others are not read). Partitions left empty (when no
 * frame is UNBOUNDED) or expired go; a partition that keeps rows only gives
 * back the records no frame holds (each frame's running state lets go of
 * the rest on the partition's next row). */
static void sweep(over_state *st, vg_error *err)
{
    uint64_t budget = 2 * st->since_sweep + 64;
    st->since_sweep = 0;
    if (budget > st->mcap)
        budget = st->mcap;
    for (; budget; budget--) {
        uint32_t i = st->sweep_at;
        over_ent *e = &st->map[i];
        if (e->p && e->due <= st->wm) {
            over_evict(st, e->p, err);
            if (over_expired(st, e->p) || (!e->p->n && !st->unbounded)) {
                over_map_remove(st, i);
                continue; /* a later entry may have moved into slot i */
            }
            over_part_shrink(st, e);
            e->due = over_due(st, e->p);
            e->warm = over_warm_mask(st, e->p);
        }
        st->sweep_at = (i + 1) & (st->mcap - 1);
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

const vg_op_kind vg_op_over_kind = {
    .name = "over",
    .open = over_open,
    .push = over_push,
    .push_batch = over_push_batch,
    .watermark = over_watermark,
    .snapshot = over_snapshot,
    .restore = over_restore,
    .iterate = over_iterate,
    .close = over_close,
    .lookup = over_lookup,
};
