/*
 * op_window.c — window table-valued functions: TUMBLE, HOP, CUMULATE and
 * SESSION, bare or aggregated by GROUP BY, with Flink's semantics.
 *
 * Windows are [start, end). TUMBLE's window of ts starts at ts - ((ts -
 * offset) mod size), a floor modulo; HOP's windows are the windows of
 * length size starting at multiples of slide (+ offset) that hold ts;
 * CUMULATE's are [s, s + step), [s, s + 2 step), ..., [s, s + size) with s
 * the start of ts's size-long window, those that hold ts; a SESSION of a
 * key starts as [ts, ts + gap) and absorbs every session of the key it
 * touches (Flink's TimeWindow.intersects: start <= other.end and end >=
 * other.start, so events exactly gap apart share a session).
 *
 * Bare (no GROUP BY): each row is emitted at once, once per window it falls
 * in (in Flink's order, win_first), with window_start, window_end and
 * window_time = window_end - 1 appended. Nothing waits, nothing is late.
 * A bare SESSION cannot know its window on arrival: its sessions are kept
 * as a grouped SESSION's are (per PARTITION BY key, merging), holding their
 * rows instead of aggregates (window_rows.c), and when a session fires its
 * rows come out in arrival order with the session's bounds; a row is late
 * as for an aggregated SESSION.
 *
 * Grouped: each row is added to the group of (window, key) of every window
 * it falls in. A window fires when the watermark reaches window_end - 1
 * (Flink's isWindowFired); its groups are emitted then, in order of
 * window_end, window_start, and first row of the group, and freed. A row
 * is late when every window it falls in has fired (for SESSION: when its
 * session, after merging, has): it is reported (vg_op_late) and not
 * added. A row behind the watermark whose window has not fired is added,
 * as in Flink. At the end of input the runner advances the watermark to
 * +infinity and every window fires.
 *
 * Sessions merge with the aggregate library's merge: the later-starting
 * sessions' states are folded into the earliest-starting one, so
 * FIRST_VALUE and LAST_VALUE see the rows of earlier sessions first.
 */
#include <string.h>

#include "engine/window_int.h"

static int nomem(vg_error *err) { return vg_error_set(err, VG_ERR_NOMEM, "out of memory"); }

/* ---- assignment ---- */

int64_t win_start_of(int64_t ts, int64_t offset, int64_t size)
{
    int64_t rem = (ts - offset) % size;
    return rem < 0 ? ts - (rem + size) : ts - rem;
}

static bool tumble_first(const vg_window_spec *s, int64_t ts, win_range *w)
{
    w->start = win_start_of(ts, s->offset, s->size);
    w->end = w->start + s->size;
    return true;
}

/* HOP: the latest window start at or before ts, then back by the slide
 * while the window still reaches ts (Flink's SlidingWindowAssigner). */
static bool hop_first(const vg_window_spec *s, int64_t ts, win_range *w)
{
    w->start = win_start_of(ts, s->offset, s->step);
    w->end = w->start + s->size;
    return w->start > ts - s->size;
}

static bool hop_next(const vg_window_spec *s, int64_t ts, win_range *w)
{
    w->start -= s->step;
    w->end = w->start + s->size;
    return w->start > ts - s->size;
}

/* CUMULATE: the first window end past ts on the step grid, then a step
 * further each time up to the full size (Flink's CumulativeWindowAssigner). */
static bool cumulate_first(const vg_window_spec *s, int64_t ts, win_range *w)
{
    w->start = win_start_of(ts, s->offset, s->size);
    w->end = win_start_of(ts, s->offset, s->step) + s->step;
    return true;
}

static bool cumulate_next(const vg_window_spec *s, int64_t ts, win_range *w)
{
    (void)ts;
    w->end += s->step;
    return w->end <= w->start + s->size;
}

static bool session_first(const vg_window_spec *s, int64_t ts, win_range *w)
{
    w->start = ts;
    w->end = ts + s->size;
    return true;
}

static bool no_next(const vg_window_spec *s, int64_t ts, win_range *w)
{
    (void)s, (void)ts, (void)w;
    return false;
}

/* Indexed by vg_window_kind. */
static const struct {
    bool (*first)(const vg_window_spec *s, int64_t ts, win_range *w);
    bool (*next)(const vg_window_spec *s, int64_t ts, win_range *w);
} assigners[] = {
    [VG_WINDOW_TUMBLE] = {tumble_first, no_next},
    [VG_WINDOW_HOP] = {hop_first, hop_next},
    [VG_WINDOW_CUMULATE] = {cumulate_first, cumulate_next},
    [VG_WINDOW_SESSION] = {session_first, no_next},
};

bool win_first(const vg_window_spec *s, int64_t ts, win_range *w)
{
    return assigners[s->kind].first(s, ts, w);
}

bool win_next(const vg_window_spec *s, int64_t ts, win_range *w)
{
    return assigners[s->kind].next(s, ts, w);
}

/* ---- open, close ---- */

static void window_close(vg_op *op)
{
    win_state *st = op->state;
    if (!st)
        return;
    win_state_clear(st);
    vg_buf_free(&st->key);
    vg_free(st->offs);
    vg_free(st->out);
    vg_free(st->args);
    vg_free(st->counts);
    vg_free(st);
    op->state = NULL;
}

static int window_open(vg_op *op, vg_error *err)
{
    const vg_plan_node *n = op->node;
    win_state *st = vg_calloc(VG_MEM_STATE, 1, sizeof *st);
    if (!st)
        return nomem(err);
    op->state = st;
    st->node = n;
    st->in = &n->inputs[0]->schema;
    st->env = op->env;
    st->naggs = n->u.window.grouped ? n->u.window.naggs : 0;
    st->rows = !n->u.window.grouped && n->u.window.spec.kind == VG_WINDOW_SESSION;
    vg_buf_init(&st->key, VG_MEM_STATE);
    win_state_init(st);
    uint32_t na = st->naggs ? st->naggs : 1;
    st->offs = vg_calloc(VG_MEM_STATE, na, sizeof *st->offs);
    st->out = vg_calloc(VG_MEM_STATE, n->schema.ncols + 1, sizeof *st->out);
    st->args = vg_calloc(VG_MEM_STATE, na * VG_AGG_MAXARGS, sizeof *st->args);
    st->counts = vg_calloc(VG_MEM_STATE, na, sizeof *st->counts);
    if (!st->offs || !st->out || !st->args || !st->counts) {
        window_close(op);
        return nomem(err);
    }
    for (uint32_t a = 0; a < st->naggs; a++) {
        st->offs[a] = st->states_size;
        st->states_size += n->u.window.aggs[a].call.state_size;
    }
    if (st->rows)
        st->states_size = sizeof(win_rows);
    return 0;
}

/* ---- bare: every row once per window, on arrival ---- */

static void push_bare(vg_op *op, win_state *st, const vg_value *row, int64_t ts)
{
    uint32_t nin = st->in->ncols;
    win_range w;
    memcpy(st->out, row, nin * sizeof *row);
    for (bool ok = win_first(&op->node->u.window.spec, ts, &w); ok;
         ok = win_next(&op->node->u.window.spec, ts, &w)) {
        st->out[nin] = vg_int(w.start);
        st->out[nin + 1] = vg_int(w.end);
        st->out[nin + 2] = vg_int(w.end - 1);
        vg_op_emit(op, st->out, VG_ROW_INSERT);
    }
}

/* ---- grouped ---- */

/* Evaluate the row's aggregate arguments and FILTERs, once for all its
 * windows. */
static void eval_args(vg_op *op, win_state *st, const vg_value *row)
{
    vg_eval_ctx *ctx = &op->env->eval;
    for (uint32_t a = 0; a < st->naggs; a++) {
        const vg_plan_agg *pa = &op->node->u.window.aggs[a];
        st->counts[a] = !pa->filter || vg_expr_is_true(pa->filter, row, ctx);
        for (uint32_t i = 0; st->counts[a] && i < pa->call.nargs; i++)
            vg_expr_eval(pa->args[i], row, ctx, &st->args[a * VG_AGG_MAXARGS + i]);
    }
}

/* Add the row (its evaluated arguments) to group g. */
static void add_row(vg_op *op, win_state *st, win_group *g)
{
    for (uint32_t a = 0; a < st->naggs; a++) {
        if (!st->counts[a])
            continue;
        const vg_agg_call *c = &op->node->u.window.aggs[a].call;
        if (vg_agg_add(c, win_group_states(g) + st->offs[a], &st->args[a * VG_AGG_MAXARGS]) < 0)
            nomem(op->env->eval.err);
    }
}

/* TUMBLE, HOP, CUMULATE: into every window of ts that has not fired; late
 * when every one has. */
static void push_aligned(vg_op *op, win_state *st, vg_keymap_entry *k, const vg_value *row,
                         int64_t ts)
{
    const vg_window_spec *spec = &op->node->u.window.spec;
    bool any = false, open = false;
    win_range w;
    for (bool ok = win_first(spec, ts, &w); ok; ok = win_next(spec, ts, &w)) {
        any = true;
        if (win_fired(w.end, op->wm))
            continue;
        open = true;
        win_group *g = win_key_find(k, w.start, w.end);
        if (!g && !(g = win_group_new(st, k, w.start, w.end, st->seq))) {
            nomem(op->env->eval.err);
            break;
        }
        add_row(op, st, g);
    }
    win_key_release(st, k);
    if (any && !open)
        vg_op_late(op, row, ts);
}

/* Fold session `from` into session `into` (which starts no later), free
 * it, and widen `into` to cover it. */
static void merge_session(vg_op *op, win_state *st, win_group *into, win_group *from)
{
    if (st->rows && win_rows_merge(into, from) < 0)
        nomem(op->env->eval.err); /* from's rows go with it */
    for (uint32_t a = 0; a < st->naggs; a++) {
        const vg_agg_call *c = &op->node->u.window.aggs[a].call;
        if (vg_agg_merge(c, win_group_states(into) + st->offs[a],
                         win_group_states(from) + st->offs[a]) < 0)
            nomem(op->env->eval.err);
    }
    int64_t end = from->end;
    uint64_t seq = from->seq;
    win_group_free(st, from); /* the heap stays in order: `into` is unchanged so far */
    if (end > into->end)
        into->end = end;
    if (seq < into->seq)
        into->seq = seq;
    win_heap_fix(st, into);
}

/* SESSION: [ts, ts + gap) absorbs every session of the key it touches. */
static void push_session(vg_op *op, win_state *st, vg_keymap_entry *k, const vg_value *row,
                         int64_t ts)
{
    int64_t lo = ts, hi = ts + op->node->u.window.spec.size;
    win_key *wk = win_key_of(k);
    win_group *into = NULL;
    for (uint32_t i = 0; i < wk->ngroups;) {
        win_group *g = wk->groups[i];
        if (!(g->start <= hi && g->end >= lo)) {
            i++;
        } else if (!into) {
            into = g;
            i++;
        } else {
            merge_session(op, st, into, g); /* removes g: i is the next one now */
        }
    }
    if (into) {
        if (lo < into->start)
            into->start = lo;
        if (hi > into->end)
            into->end = hi;
        win_heap_fix(st, into);
    } else if (win_fired(hi, op->wm)) {
        win_key_release(st, k);
        vg_op_late(op, row, ts);
        return;
    } else if (!(into = win_group_new(st, k, lo, hi, st->seq))) {
        win_key_release(st, k);
        nomem(op->env->eval.err);
        return;
    }
    if (st->rows && win_rows_add(st, into, row, st->seq) < 0)
        nomem(op->env->eval.err);
    add_row(op, st, into);
}

static void push_grouped(vg_op *op, win_state *st, const vg_value *row, int64_t ts)
{
    eval_args(op, st, row);
    vg_keymap_entry *k =
        win_key_encode(st, row) < 0 ? NULL : win_key_get(st, st->key.p, (uint32_t)st->key.len);
    if (!k) {
        nomem(op->env->eval.err);
        return;
    }
    if (op->node->u.window.spec.kind == VG_WINDOW_SESSION)
        push_session(op, st, k, row, ts);
    else
        push_aligned(op, st, k, row, ts);
    st->seq++;
}

static void window_push(vg_op *op, uint32_t port, const vg_value *row, vg_row_kind kind)
{
    (void)port, (void)kind; /* window TVFs read append-only inputs */
    win_state *st = op->state;
    const vg_value *t = &row[op->node->u.window.time_col];
    if (t->null || t->u.i <= -WIN_TS_LIMIT || t->u.i >= WIN_TS_LIMIT) {
        /* no window can hold it; never dropped silently */
        vg_op_late(op, row, t->null ? VG_WM_MIN : t->u.i);
        return;
    }
    if (op->node->u.window.grouped || st->rows)
        push_grouped(op, st, row, t->u.i);
    else
        push_bare(op, st, row, t->u.i);
}

/* ---- firing ---- */

static void window_watermark(vg_op *op, int64_t wm)
{
    win_state *st = op->state;
    if (wm <= op->wm)
        return;
    for (win_group *g; (g = win_heap_top(st)) && win_fired(g->end, wm);) {
        if (st->rows) {
            win_rows_emit(op, st, g);
        } else {
            win_group_row(st, g);
            vg_op_emit(op, st->out, VG_ROW_INSERT);
        }
        win_group_free(st, g);
    }
    vg_op_emit_watermark(op, wm);
}

const vg_op_kind vg_op_window_kind = {
    .name = "window",
    .open = window_open,
    .push = window_push,
    .watermark = window_watermark,
    .snapshot = win_snapshot,
    .restore = win_restore,
    .iterate = win_iterate,
    .close = window_close,
};
