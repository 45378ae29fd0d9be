/*
 * op_group.c — GROUP BY without a window, SELECT DISTINCT and aggregates
 * without GROUP BY: an updating table, with Flink's GroupAggFunction
 * semantics (no mini-batch: every input row is handled as it arrives).
 *
 * The state is a map from GROUP BY key (and source partition) to the
 * key's row count and aggregate states (udf/agg.h). An input row of kind
 * +I or +U is accumulated, -U or -D retracted; then, for its key:
 *
 *   - a first row (no state yet) emits +I of the new result;
 *   - a retraction for a key without state is ignored (its state expired,
 *     or it never came: Flink does the same);
 *   - otherwise, when the count is still above 0, -U of the result before
 *     the row then +U of the result after it, unless the two are equal
 *     and there is no TTL: then nothing (with a TTL Flink emits them all
 *     the same, so that downstream state stays fresh; so does vigil);
 *   - when the count reaches 0 (the key's last row retracted), -D of the
 *     result before the row, and the key's state goes.
 *
 * The output row is the GROUP BY columns then one column per aggregate.
 * SELECT DISTINCT is a GROUP BY of every column without aggregates: +I
 * for each new distinct row and nothing for repeats. Rows are never held
 * back: nothing waits for the watermark, so nothing is late. With a TTL
 * (vg_op.ttl_ms), a key whose newest row is older than the watermark less
 * the TTL is dropped without a message, as Flink's state TTL drops it: its
 * next row starts afresh with +I.
 *
 * Snapshot, restore and iterate are in group_snap.c; iterate gives each
 * key's output row (the GROUP BY columns, then the aggregates' values).
 */
#include <string.h>

#include "engine/group_int.h"

static int nomem(vg_error *err) { return vg_error_set(err, VG_ERR_NOMEM, "out of memory"); }

/* ---- entries ---- */

vg_keymap_entry *grp_entry_new(grp_state *st, const char *p, uint32_t len)
{
    vg_keymap_entry *e = gm_add(&st->map, p, len);
    if (!e)
        return NULL;
    for (uint32_t a = 0; a < st->naggs; a++)
        vg_agg_init(&st->node->u.group.aggs[a].call, grp_states(e) + st->offs[a]);
    return e;
}

static void destroy_states(void *arg, vg_keymap_entry *e)
{
    const grp_state *st = arg;
    for (uint32_t a = 0; a < st->naggs; a++)
        vg_agg_destroy(&st->node->u.group.aggs[a].call, grp_states(e) + st->offs[a]);
}

void grp_entry_free(grp_state *st, vg_keymap_entry *e)
{
    destroy_states(st, e);
    gm_remove(&st->map, e);
}

void grp_row(const grp_state *st, const vg_keymap_entry *e, vg_value *out)
{
    const vg_plan_node *n = st->node;
    vg_keymap_decode(gm_key(&st->map, e), st->in, n->u.group.keys, st->nkeys, out);
    for (uint32_t a = 0; a < st->naggs; a++)
        vg_agg_result(&n->u.group.aggs[a].call, grp_states(e) + st->offs[a], &out[st->nkeys + a]);
}

/* grp_row into st->prev, its strings copied (the row's add or retract may
 * free what they point to). -1 when out of memory. */
static int prev_row(grp_state *st, const vg_keymap_entry *e)
{
    grp_row(st, e, st->prev);
    uint32_t n = st->nkeys + st->naggs;
    size_t need = 0;
    for (uint32_t i = st->nkeys; i < n; i++)
        if (!st->prev[i].null && st->node->schema.cols[i].type == VG_T_STRING)
            need += st->prev[i].len;
    vg_buf_clear(&st->strs);
    if (vg_buf_reserve(&st->strs, need + 1) < 0)
        return -1;
    for (uint32_t i = st->nkeys; i < n; i++) {
        vg_value *v = &st->prev[i];
        if (v->null || st->node->schema.cols[i].type != VG_T_STRING)
            continue;
        char *at = st->strs.p + st->strs.len;
        if (v->len)
            memcpy(at, v->u.s, v->len);
        st->strs.len += v->len;
        v->u.s = at;
    }
    return 0;
}

/* Whether the aggregates of st->prev and st->out are the same values (bit
 * for bit: -0.0 is not 0.0, as its JSON is not). */
static bool unchanged(const grp_state *st)
{
    for (uint32_t i = st->nkeys; i < st->nkeys + st->naggs; i++) {
        const vg_value *a = &st->prev[i], *b = &st->out[i];
        if (a->null || b->null) {
            if (a->null != b->null)
                return false;
        } else if (st->node->schema.cols[i].type == VG_T_STRING) {
            if (a->len != b->len || (a->len && memcmp(a->u.s, b->u.s, a->len) != 0))
                return false;
        } else if (a->u.i != b->u.i) {
            return false;
        }
    }
    return true;
}

/* ---- open, close ---- */

static void group_close(vg_op *op)
{
    grp_state *st = op->state;
    if (!st)
        return;
    gm_clear(&st->map, destroy_states, st);
    vg_buf_free(&st->key);
    vg_buf_free(&st->strs);
    vg_free(st->offs);
    vg_free(st->prev);
    vg_free(st->out);
    vg_free(st->args);
    vg_free(st->counts);
    vg_free(st);
    op->state = NULL;
}

static int group_open(vg_op *op, vg_error *err)
{
    const vg_plan_node *n = op->node;
    grp_state *st = vg_calloc(VG_MEM_STATE, 1, sizeof *st);
    if (!st)
        return nomem(err);
    op->state = st;
    st->node = n;
    st->in = &n->inputs[0]->schema;
    st->nkeys = n->u.group.nkeys;
    st->naggs = n->u.group.naggs;
    vg_buf_init(&st->key, VG_MEM_STATE);
    vg_buf_init(&st->strs, VG_MEM_STATE);
    uint32_t na = st->naggs ? st->naggs : 1, ncols = n->schema.ncols + 1;
    st->offs = vg_calloc(VG_MEM_STATE, na, sizeof *st->offs);
    st->prev = vg_calloc(VG_MEM_STATE, ncols, sizeof *st->prev);
    st->out = vg_calloc(VG_MEM_STATE, ncols, sizeof *st->out);
    st->args = vg_calloc(VG_MEM_STATE, na * VG_AGG_MAXARGS, sizeof *st->args);
    st->counts = vg_calloc(VG_MEM_STATE, na, sizeof *st->counts);
    if (!st->offs || !st->prev || !st->out || !st->args || !st->counts) {
        group_close(op);
        return nomem(err);
    }
    size_t size = sizeof(grp_group);
    for (uint32_t a = 0; a < st->naggs; a++) {
        st->offs[a] = size;
        size += n->u.group.aggs[a].call.state_size;
    }
    gm_init(&st->map, size);
    return 0;
}

/* ---- rows ---- */

/* Evaluate the row's aggregate arguments and FILTERs. */
static void eval_args(vg_op *op, grp_state *st, const vg_value *row)
{
    vg_eval_ctx *ctx = &op->env->eval;
    for (uint32_t a = 0; a < st->naggs; a++) {
        const vg_plan_agg *pa = &op->node->u.group.aggs[a];
        st->counts[a] = !pa->filter || vg_expr_is_true(pa->filter, row, ctx);
        for (uint32_t i = 0; st->counts[a] && i < pa->call.nargs; i++)
            vg_expr_eval(pa->args[i], row, ctx, &st->args[a * VG_AGG_MAXARGS + i]);
    }
}

/* Accumulate (acc) or retract the row's arguments into e. */
static void apply(vg_op *op, grp_state *st, vg_keymap_entry *e, bool acc)
{
    for (uint32_t a = 0; a < st->naggs; a++) {
        if (!st->counts[a])
            continue;
        const vg_agg_call *c = &op->node->u.group.aggs[a].call;
        char *s = grp_states(e) + st->offs[a];
        const vg_value *args = &st->args[a * VG_AGG_MAXARGS];
        if ((acc ? vg_agg_add(c, s, args) : vg_agg_retract(c, s, args)) < 0)
            nomem(op->env->eval.err);
    }
    ((grp_group *)gm_payload(e))->count += acc ? 1 : -1;
}

/* The row's event time for the TTL: its event-time column, else the
 * watermark. */
static int64_t row_time(const vg_op *op, const vg_value *row)
{
    int32_t t = op->node->u.group.time_col;
    return t >= 0 && !row[t].null ? row[t].u.i : op->wm;
}

static void group_push(vg_op *op, uint32_t port, const vg_value *row, vg_row_kind kind)
{
    (void)port;
    grp_state *st = op->state;
    bool acc = kind == VG_ROW_INSERT || kind == VG_ROW_UPDATE_AFTER;
    if (vg_keymap_encode(&st->key, op->env->partition, st->in, op->node->u.group.keys, st->nkeys,
                         row) < 0) {
        nomem(op->env->eval.err);
        return;
    }
    vg_keymap_entry *e = vg_keymap_find(&st->map.keys, st->key.p, (uint32_t)st->key.len);
    bool first = e == NULL;
    if (first && !acc)
        return; /* a retraction of a key without state */
    if (first ? !(e = grp_entry_new(st, st->key.p, (uint32_t)st->key.len)) : prev_row(st, e) < 0) {
        nomem(op->env->eval.err);
        return;
    }
    eval_args(op, st, row);
    apply(op, st, e, acc);
    if (gm_touch(&st->map, e, row_time(op, row), op->ttl_ms > 0) < 0)
        nomem(op->env->eval.err);
    if (((grp_group *)gm_payload(e))->count <= 0) {
        vg_op_emit(op, st->prev, VG_ROW_DELETE); /* never the first row: it accumulates */
        grp_entry_free(st, e);
        return;
    }
    grp_row(st, e, st->out);
    if (first) {
        vg_op_emit(op, st->out, VG_ROW_INSERT);
    } else if (op->ttl_ms > 0 || !unchanged(st)) {
        vg_op_emit(op, st->prev, VG_ROW_UPDATE_BEFORE);
        vg_op_emit(op, st->out, VG_ROW_UPDATE_AFTER);
    }
}

/* Nothing waits for event time; expired keys go. */
static void group_watermark(vg_op *op, int64_t wm)
{
    grp_state *st = op->state;
    if (wm <= op->wm)
        return;
    if (op->ttl_ms > 0)
        for (vg_keymap_entry *e; (e = gm_expired(&st->map, wm, op->ttl_ms));)
            grp_entry_free(st, e);
    vg_op_emit_watermark(op, wm);
}

const vg_op_kind vg_op_group_kind = {
    .name = "group",
    .open = group_open,
    .push = group_push,
    .watermark = group_watermark,
    .snapshot = grp_snapshot,
    .restore = grp_restore,
    .iterate = grp_iterate,
    .close = group_close,
    .lookup = grp_lookup,
};
