/*
 * rank_snap.c — the rank operator's state as bytes (snapshot, restore) and
 * as rows (iterate).
 *
 * A snapshot holds a header with the node's layout (so that restore
 * refuses the bytes of another rank), the arrival counter, then every
 * key: its encoded bytes (partition and PARTITION BY columns), its stamp
 * (TTL), whether it emitted (first-row), its pending row with its time
 * and arrival number (first-row), and its kept rows in rank order (each
 * row's values as group_map.c writes them). A window rank's snapshot
 * (rank_window.c) has its own magic, and each key its firing time and
 * first arrival number after the flags. The firing and TTL heaps are
 * rebuilt from the keys. Numbers are in host byte order.
 *
 * iterate visits, per key, each row of its current result: the PARTITION
 * BY columns, then the row as the operator outputs it (node->schema: the
 * input row, then rn when the node outputs it, the rank of the row). A
 * first-row key whose row still waits for the watermark has no row yet.
 */
#include <string.h>

#include "engine/rank_int.h"

#define SNAP_MAGIC     0x314b4e52u /* "RNK1" */
#define SNAP_MAGIC_WIN 0x574b4e52u /* "RNKW": a window rank */

static int put_u32(vg_buf *b, uint32_t v) { return vg_buf_append(b, &v, 4); }

typedef struct snap_arg {
    const rk_state *st;
    vg_buf *out;
} snap_arg;

static int put_entry(void *arg, vg_keymap_entry *e)
{
    snap_arg *a = arg;
    const rk_state *st = a->st;
    vg_buf *b = a->out;
    const rk_key *k = rk_of(e);
    char flags[2] = {k->emitted, k->pending != NULL};
    int rc = put_u32(b, e->len) | vg_buf_append(b, gm_key(&st->map, e), e->len) |
             vg_buf_append(b, &gm_stamp_of(e)->stamp, 8) | vg_buf_append(b, flags, 2);
    if (st->win && !rc)
        rc |= vg_buf_append(b, &k->pending_ts, 8) | vg_buf_append(b, &k->pending_seq, 8);
    if (k->pending && !rc)
        rc |= vg_buf_append(b, &k->pending_ts, 8) | vg_buf_append(b, &k->pending_seq, 8) |
              gm_row_put(b, st->in, k->pending);
    rc |= put_u32(b, k->n);
    for (uint32_t i = 0; i < k->n && !rc; i++)
        rc |= gm_row_put(b, st->in, k->rows[i]);
    return rc;
}

static int put_header(const rk_state *st, vg_buf *b)
{
    const vg_plan_node *n = st->node;
    int64_t limit = n->u.rank.limit;
    uint32_t magic = st->win ? SNAP_MAGIC_WIN : SNAP_MAGIC;
    return put_u32(b, magic) | put_u32(b, (uint32_t)n->u.rank.mode) | put_u32(b, n->u.rank.nkeys) |
           put_u32(b, st->in->ncols) | vg_buf_append(b, &limit, 8) | put_u32(b, n->u.rank.with_rn) |
           vg_buf_append(b, &st->seq, 8) | put_u32(b, st->map.keys.n);
}

int rk_snapshot(vg_op *op, vg_buf *out, vg_error *err)
{
    const rk_state *st = op->state;
    size_t mark = out->len;
    snap_arg a = {st, out};
    if (put_header(st, out) || vg_keymap_each(&st->map.keys, put_entry, &a)) {
        out->len = mark;
        return vg_error_set(err, VG_ERR_NOMEM, "out of memory");
    }
    return 0;
}

/* ---- restore ---- */

static bool header_ok(const rk_state *st, vg_keymap_reader *r)
{
    const vg_plan_node *n = st->node;
    int64_t limit;
    uint32_t magic = st->win ? SNAP_MAGIC_WIN : SNAP_MAGIC;
    bool ok = vg_keymap_read_u32(r) == magic && vg_keymap_read_u32(r) == (uint32_t)n->u.rank.mode &&
              vg_keymap_read_u32(r) == n->u.rank.nkeys && vg_keymap_read_u32(r) == st->in->ncols;
    vg_keymap_read(r, &limit, 8);
    return ok && limit == n->u.rank.limit && vg_keymap_read_u32(r) == (uint32_t)n->u.rank.with_rn &&
           !r->bad;
}

/* The pending row of a first-row key. */
static int restore_pending(rk_state *st, vg_keymap_entry *e, vg_keymap_reader *r)
{
    rk_key *k = rk_of(e);
    vg_keymap_read(r, &k->pending_ts, 8);
    vg_keymap_read(r, &k->pending_seq, 8);
    if (r->bad || !(k->pending = gm_row_get(r, st->in)))
        return -1;
    return rk_fire_push(st, e);
}

static int restore_rows(rk_state *st, rk_key *k, vg_keymap_reader *r)
{
    uint32_t n = vg_keymap_read_u32(r);
    bool top = st->node->u.rank.mode == VG_RANK_TOP_N || st->win;
    int64_t most = top ? st->node->u.rank.limit : 1;
    if (r->bad || n > most)
        return -1;
    for (uint32_t i = 0; i < n; i++) {
        vg_value *row = rk_reserve(k) < 0 ? NULL : gm_row_get(r, st->in);
        if (!row)
            return -1;
        k->rows[k->n++] = row;
    }
    return 0;
}

static int restore_entry(vg_op *op, rk_state *st, vg_keymap_reader *r)
{
    uint32_t len = vg_keymap_read_u32(r);
    const vg_plan_node *n = st->node;
    if (r->bad || (size_t)(r->end - r->p) < len ||
        !vg_keymap_valid(r->p, len, st->in, n->u.rank.keys, n->u.rank.nkeys) ||
        vg_keymap_find(&st->map.keys, r->p, len))
        return -1;
    vg_keymap_entry *e = rk_entry_new(st, r->p, len);
    if (!e)
        return -1;
    r->p += len;
    rk_key *k = rk_of(e);
    int64_t stamp;
    char flags[2];
    vg_keymap_read(r, &stamp, 8);
    vg_keymap_read(r, flags, 2);
    k->emitted = flags[0] != 0;
    if (st->win) {
        vg_keymap_read(r, &k->pending_ts, 8);
        vg_keymap_read(r, &k->pending_seq, 8);
        if (r->bad || flags[1] || rk_fire_push(st, e) < 0)
            return -1;
    }
    if (r->bad || (flags[1] && restore_pending(st, e, r) < 0) || restore_rows(st, k, r) < 0)
        return -1; /* what was restored of the entry stays; close frees it */
    return gm_touch(&st->map, e, stamp, op->ttl_ms > 0 && !st->win);
}

int rk_restore(vg_op *op, const void *p, size_t n, vg_error *err)
{
    rk_state *st = op->state;
    vg_keymap_reader r = {p, (const char *)p + n, false};
    if (!header_ok(st, &r))
        return vg_error_set(err, VG_ERR_RUNTIME, "the rank state is of another rank");
    vg_keymap_read(&r, &st->seq, 8);
    uint32_t nentries = vg_keymap_read_u32(&r);
    for (uint32_t i = 0; i < nentries && !r.bad; i++)
        if (restore_entry(op, st, &r) < 0)
            return vg_error_set(err, VG_ERR_RUNTIME, "the rank state is damaged");
    if (r.bad || r.p != r.end)
        return vg_error_set(err, VG_ERR_RUNTIME, "the rank state is damaged");
    return 0;
}

/* ---- iterate ---- */

typedef struct iter_arg {
    rk_state *st;
    vg_op_visit_fn fn;
    void *arg;
} iter_arg;

static int visit(void *arg, vg_keymap_entry *e)
{
    iter_arg *a = arg;
    rk_state *st = a->st;
    const vg_plan_node *n = st->node;
    const rk_key *k = rk_of(e);
    uint32_t nk = n->u.rank.nkeys;
    vg_keymap_decode(gm_key(&st->map, e), st->in, n->u.rank.keys, nk, st->iter);
    for (uint32_t i = 0; i < k->n; i++) {
        const vg_value *row = rk_out_row(st, k->rows[i], i + 1);
        memcpy(st->iter + nk, row, n->schema.ncols * sizeof *row);
        int rc = a->fn(a->arg, st->iter);
        if (rc)
            return rc;
    }
    return 0;
}

int rk_iterate(vg_op *op, vg_op_visit_fn fn, void *arg)
{
    iter_arg a = {op->state, fn, arg};
    return vg_keymap_each(&a.st->map.keys, visit, &a);
}
