/*
 * group_snap.c — the GROUP BY operator's state as bytes (snapshot,
 * restore) and as rows (iterate).
 *
 * A snapshot holds a header with the node's layout (so that restore
 * refuses the bytes of another GROUP BY), then every key: its encoded
 * bytes (partition and GROUP BY columns), its stamp (the newest row's
 * event time, for the TTL), its row count, and each aggregate's state
 * (udf/agg.h's own bytes). The TTL heap is rebuilt from the stamps.
 * Numbers are in host byte order: snapshots move between runs of one
 * build, not between machines.
 *
 * iterate visits each key's current row, as the operator would emit it:
 * the GROUP BY columns, then the aggregates' values (node->schema). Keys
 * of different source partitions are different rows. lookup visits the
 * row of one key of one source partition.
 */
#include <string.h>

#include "engine/group_int.h"

#define SNAP_MAGIC 0x31505247u /* "GRP1" */

static int put_u32(vg_buf *b, uint32_t v) { return vg_buf_append(b, &v, 4); }

typedef struct snap_arg {
    const grp_state *st;
    vg_buf *out;
} snap_arg;

static int put_entry(void *arg, vg_keymap_entry *e)
{
    snap_arg *a = arg;
    const grp_state *st = a->st;
    vg_buf *b = a->out;
    const grp_group *g = gm_payload(e);
    int rc = put_u32(b, e->len) | vg_buf_append(b, gm_key(&st->map, e), e->len) |
             vg_buf_append(b, &gm_stamp_of(e)->stamp, 8) | vg_buf_append(b, &g->count, 8);
    for (uint32_t i = 0; i < st->naggs && !rc; i++)
        rc |= vg_agg_snapshot(&st->node->u.group.aggs[i].call, grp_states(e) + st->offs[i], b);
    return rc;
}

int grp_snapshot(vg_op *op, vg_buf *out, vg_error *err)
{
    const grp_state *st = op->state;
    size_t mark = out->len;
    snap_arg a = {st, out};
    int rc = put_u32(out, SNAP_MAGIC) | put_u32(out, st->nkeys) | put_u32(out, st->naggs) |
             put_u32(out, st->map.keys.n);
    if (rc || vg_keymap_each(&st->map.keys, put_entry, &a)) {
        out->len = mark;
        return vg_error_set(err, VG_ERR_NOMEM, "out of memory");
    }
    return 0;
}

/* ---- restore ---- */

static int restore_entry(vg_op *op, grp_state *st, vg_keymap_reader *r)
{
    uint32_t len = vg_keymap_read_u32(r);
    if (r->bad || (size_t)(r->end - r->p) < len ||
        !vg_keymap_valid(r->p, len, st->in, st->node->u.group.keys, st->nkeys) ||
        vg_keymap_find(&st->map.keys, r->p, len))
        return -1;
    vg_keymap_entry *e = grp_entry_new(st, r->p, len);
    if (!e)
        return -1;
    r->p += len;
    int64_t stamp, count;
    vg_keymap_read(r, &stamp, 8);
    vg_keymap_read(r, &count, 8);
    ((grp_group *)gm_payload(e))->count = count;
    for (uint32_t i = 0; i < st->naggs && !r->bad; i++)
        if (vg_agg_restore(&st->node->u.group.aggs[i].call, grp_states(e) + st->offs[i], &r->p,
                           r->end) < 0)
            r->bad = true;
    /* a bad entry stays, valid and empty: close frees it */
    if (r->bad || count <= 0 || gm_touch(&st->map, e, stamp, op->ttl_ms > 0) < 0)
        return -1;
    return 0;
}

int grp_restore(vg_op *op, const void *p, size_t n, vg_error *err)
{
    grp_state *st = op->state;
    vg_keymap_reader r = {p, (const char *)p + n, false};
    if (vg_keymap_read_u32(&r) != SNAP_MAGIC || vg_keymap_read_u32(&r) != st->nkeys ||
        vg_keymap_read_u32(&r) != st->naggs)
        return vg_error_set(err, VG_ERR_RUNTIME, "the GROUP BY state is of another GROUP BY");
    uint32_t nentries = vg_keymap_read_u32(&r);
    for (uint32_t i = 0; i < nentries && !r.bad; i++)
        if (restore_entry(op, st, &r) < 0)
            return vg_error_set(err, VG_ERR_RUNTIME, "the GROUP BY state is damaged");
    if (r.bad || r.p != r.end)
        return vg_error_set(err, VG_ERR_RUNTIME, "the GROUP BY state is damaged");
    return 0;
}

/* ---- iterate ---- */

typedef struct iter_arg {
    const grp_state *st;
    vg_op_visit_fn fn;
    void *arg;
} iter_arg;

static int visit(void *arg, vg_keymap_entry *e)
{
    iter_arg *a = arg;
    grp_row(a->st, e, a->st->out);
    return a->fn(a->arg, a->st->out);
}

int grp_iterate(vg_op *op, vg_op_visit_fn fn, void *arg)
{
    iter_arg a = {op->state, fn, arg};
    return vg_keymap_each(&a.st->map.keys, visit, &a);
}

/* The row of one key (key: the GROUP BY columns in order) of source
 * partition `partition`, as grp_iterate gives it, or nothing. */
int grp_lookup(vg_op *op, int32_t partition, const vg_value *key, vg_op_visit_fn fn, void *arg)
{
    const grp_state *st = op->state;
    vg_keymap_entry *e;
    if (vg_keymap_lookup(&st->map.keys, partition, st->in, st->node->u.group.keys, st->nkeys, key,
                         &e) < 0)
        return -1;
    return e ? visit(&(iter_arg){st, fn, arg}, e) : 0;
}
