/*
 * window_snap.c — the window operator's state as bytes (snapshot, restore)
 * and as rows (iterate).
 *
 * A snapshot of a grouped node holds a header with the node's layout (so
 * that restore refuses the bytes of another window), the row counter, and
 * every key: its encoded bytes and its live groups, each with its window,
 * the number of its first row, and each aggregate's state (udf/agg.h's own
 * bytes), or for a bare SESSION its rows (window_rows.c). The firing heap
 * is rebuilt from the groups. Another bare node has no state and writes
 * nothing. Numbers are in host byte order: snapshots move
 * between runs of one build, not between machines.
 */
#include <string.h>

#include "engine/window_int.h"

#define SNAP_MAGIC 0x314e4957u /* "WIN1" */

static int put(vg_buf *b, const void *p, size_t n) { return vg_buf_append(b, p, n); }

static int put_u32(vg_buf *b, uint32_t v) { return put(b, &v, 4); }

static int put_group(const win_state *st, const win_group *g, vg_buf *b)
{
    int rc = put(b, &g->start, 8) | put(b, &g->end, 8) | put(b, &g->seq, 8);
    if (st->rows && !rc)
        rc |= win_rows_put(st, g, b);
    for (uint32_t a = 0; a < st->naggs && !rc; a++)
        rc |=
            vg_agg_snapshot(&st->node->u.window.aggs[a].call, win_group_states(g) + st->offs[a], b);
    return rc;
}

static int put_header(const win_state *st, vg_buf *b)
{
    const vg_plan_node *n = st->node;
    return put_u32(b, SNAP_MAGIC) | put_u32(b, (uint32_t)n->u.window.spec.kind) |
           put_u32(b, n->u.window.nkeys) | put_u32(b, st->naggs) | put(b, &st->seq, 8) |
           put_u32(b, st->keys.n);
}

typedef struct snap_arg {
    const win_state *st;
    vg_buf *out;
} snap_arg;

static int put_key(void *arg, vg_keymap_entry *e)
{
    const win_state *st = ((snap_arg *)arg)->st;
    vg_buf *out = ((snap_arg *)arg)->out;
    const win_key *wk = win_key_of(e);
    int rc = put_u32(out, e->len) | put(out, vg_keymap_key(&st->keys, e), e->len) |
             put_u32(out, wk->ngroups);
    for (uint32_t g = 0; g < wk->ngroups && !rc; g++)
        rc |= put_group(st, wk->groups[g], out);
    return rc;
}

int win_snapshot(vg_op *op, vg_buf *out, vg_error *err)
{
    const win_state *st = op->state;
    if (!op->node->u.window.grouped && !st->rows)
        return 0;
    size_t mark = out->len;
    snap_arg a = {st, out};
    if (put_header(st, out) || vg_keymap_each(&st->keys, put_key, &a)) {
        out->len = mark;
        return vg_error_set(err, VG_ERR_NOMEM, "out of memory");
    }
    return 0;
}

/* ---- restore ---- */

static int restore_group(win_state *st, vg_keymap_entry *k, vg_keymap_reader *r)
{
    int64_t start, end;
    uint64_t seq;
    vg_keymap_read(r, &start, 8);
    vg_keymap_read(r, &end, 8);
    vg_keymap_read(r, &seq, 8);
    if (r->bad || start >= end)
        return -1;
    win_group *g = win_group_new(st, k, start, end, seq);
    if (!g || (st->rows && win_rows_get(st, g, r) < 0))
        return -1; /* g stays, valid: close frees it */
    for (uint32_t a = 0; a < st->naggs; a++)
        if (vg_agg_restore(&st->node->u.window.aggs[a].call, win_group_states(g) + st->offs[a],
                           &r->p, r->end) < 0)
            return -1; /* g stays, valid and empty: close frees it */
    return 0;
}

static int restore_key(win_state *st, vg_keymap_reader *r)
{
    uint32_t len = vg_keymap_read_u32(r);
    const vg_plan_node *node = st->node;
    if (r->bad || (size_t)(r->end - r->p) < len ||
        !vg_keymap_valid(r->p, len, st->in, node->u.window.keys, node->u.window.nkeys))
        return -1;
    vg_keymap_entry *k = win_key_get(st, r->p, len);
    r->p += len;
    uint32_t n = vg_keymap_read_u32(r);
    if (!k || r->bad || n == 0 || win_key_of(k)->ngroups) {
        if (k)
            win_key_release(st, k);
        return -1;
    }
    for (uint32_t g = 0; g < n; g++)
        if (restore_group(st, k, r) < 0) {
            win_key_release(st, k);
            return -1;
        }
    return 0;
}

int win_restore(vg_op *op, const void *p, size_t n, vg_error *err)
{
    win_state *st = op->state;
    vg_keymap_reader r = {p, (const char *)p + n, false};
    const vg_plan_node *node = op->node;
    if ((!node->u.window.grouped && !st->rows) || vg_keymap_read_u32(&r) != SNAP_MAGIC ||
        vg_keymap_read_u32(&r) != (uint32_t)node->u.window.spec.kind ||
        vg_keymap_read_u32(&r) != node->u.window.nkeys || vg_keymap_read_u32(&r) != st->naggs)
        return vg_error_set(err, VG_ERR_RUNTIME, "the window state is of another window");
    vg_keymap_read(&r, &st->seq, 8);
    uint32_t nkeys = vg_keymap_read_u32(&r);
    for (uint32_t i = 0; i < nkeys && !r.bad; i++)
        if (restore_key(st, &r) < 0)
            return vg_error_set(err, VG_ERR_RUNTIME, "the window state is damaged");
    if (r.bad || r.p != r.end)
        return vg_error_set(err, VG_ERR_RUNTIME, "the window state is damaged");
    return 0;
}

/* ---- iterate ---- */

int win_iterate(vg_op *op, vg_op_visit_fn fn, void *arg)
{
    win_state *st = op->state;
    for (uint32_t i = 0; i < st->heap.n; i++) {
        if (st->rows) {
            int rc = win_rows_visit(st, st->heap.items[i], fn, arg);
            if (rc)
                return rc;
            continue;
        }
        win_group_row(st, st->heap.items[i]);
        int rc = fn(arg, st->out);
        if (rc)
            return rc;
    }
    return 0;
}
