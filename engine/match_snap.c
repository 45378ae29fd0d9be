/*
 * match_snap.c — the MATCH_RECOGNIZE operator's state as bytes (snapshot,
 * restore) and as rows (iterate).
 *
 * A snapshot holds a header with the node's shape (so that restore refuses
 * the bytes of another MATCH_RECOGNIZE), the arrival counter, the next
 * partition number and the input's watermark, then every partition: its encoded key (source
 * partition and PARTITION BY columns), its TTL stamp, creation number,
 * match counter, the position of its oldest row held and those rows (event
 * time, arrival number, values as keymap.h encodes them), then its
 * matcher's run (vg_nfa_snapshot, length first). Last come the rows still
 * waiting for the watermark, each with its partition's creation number.
 * The pending and timer heaps are rebuilt from these. Numbers are in host
 * byte order.
 *
 * iterate visits one row per partition (lookup the one of a key, in a
 * source partition): the PARTITION BY columns, then
 *   rows     BIGINT  rows held (waiting for the watermark, or kept for the
 *                    matcher and for navigation)
 *   threads  BIGINT  the matcher's live threads (open partial matches)
 *   matches  BIGINT  matches found so far (the last MATCH_NUMBER)
 *   bytes    BIGINT  memory the partition holds: its entry, rows, ring and
 *                    matcher run (vg_nfa_bytes)
 */
#include <stdlib.h>
#include <string.h>

#include "engine/match_int.h"

#define SNAP_MAGIC 0x3243524du /* "MRC2" */

static int put_u32(vg_buf *b, uint32_t v) { return vg_buf_append(b, &v, 4); }
static int put_u64(vg_buf *b, uint64_t v) { return vg_buf_append(b, &v, 8); }

static int put_row(vg_buf *b, const vg_schema *in, const mr_row *r)
{
    int rc = put_u64(b, (uint64_t)r->ts) | put_u64(b, r->seq);
    const vg_value *v = mr_values(r);
    for (uint32_t i = 0; i < in->ncols && !rc; i++)
        rc |= vg_keymap_put_value(b, in->cols[i].type, &v[i]);
    return rc;
}

/* The node's shape, as both ends must agree on it. */
static int put_shape(const mr_state *st, vg_buf *b)
{
    const vg_plan_match *m = st->m;
    return put_u32(b, SNAP_MAGIC) | put_u32(b, st->in->ncols) | put_u32(b, m->nkeys) |
           put_u32(b, m->nvars) | put_u32(b, m->nnavs) | put_u32(b, m->nmeasures) |
           put_u32(b, (uint32_t)m->rows) | put_u32(b, (uint32_t)m->skip) |
           put_u64(b, (uint64_t)m->within) | put_u64(b, (uint64_t)m->max_prev) |
           put_u64(b, (uint64_t)m->max_next);
}

typedef struct snap_arg {
    const mr_state *st;
    vg_buf *out;
    vg_error *err;
} snap_arg;

static int put_part(void *arg, vg_keymap_entry *e)
{
    snap_arg *a = arg;
    const mr_state *st = a->st;
    vg_buf *b = a->out;
    const mr_part *p = mr_part_of(e);
    int rc = put_u32(b, e->len) | vg_buf_append(b, gm_key(&st->map, e), e->len) |
             put_u64(b, (uint64_t)gm_stamp_of(e)->stamp) | put_u64(b, p->id) |
             put_u64(b, p->matches) | put_u64(b, p->base) | put_u32(b, p->rows.n);
    for (uint32_t i = 0; i < p->rows.n && !rc; i++)
        rc |= put_row(b, st->in, mr_row_at(p, p->base + i));
    size_t at = b->len;
    if (rc || put_u32(b, 0) < 0 || vg_nfa_snapshot(p->run, b, a->err) < 0)
        return -1;
    uint32_t len = (uint32_t)(b->len - at - 4);
    memcpy(b->p + at, &len, 4);
    return 0;
}

int mr_snapshot(vg_op *op, vg_buf *out, vg_error *err)
{
    const mr_state *st = op->state;
    size_t mark = out->len;
    snap_arg a = {st, out, err};
    int rc = put_shape(st, out) | put_u64(out, st->seq) | put_u64(out, st->next_id) |
             put_u64(out, (uint64_t)st->in_wm) | put_u32(out, st->map.keys.n);
    if (!rc)
        rc = vg_keymap_each(&st->map.keys, put_part, &a);
    rc |= put_u32(out, st->sorted.n + st->pending.n);
    for (uint32_t i = 0; i < st->sorted.n + st->pending.n && !rc; i++) {
        const mr_row *r = i < st->sorted.n ? mr_ring_at(&st->sorted, i)
                                           : st->pending.items[i - st->sorted.n];
        rc |= put_u64(out, mr_part_of(r->part)->id) | put_row(out, st->in, r);
    }
    if (rc) {
        out->len = mark;
        return vg_error_set(err, VG_ERR_NOMEM, "out of memory");
    }
    return 0;
}

/* ---- restore ---- */

static uint64_t read_u64(vg_keymap_reader *r)
{
    uint64_t v;
    vg_keymap_read(r, &v, 8);
    return v;
}

/* A row written by put_row, as a block of its own; NULL when the bytes are
 * bad (r->bad set) or out of memory. */
static mr_row *get_row(vg_keymap_reader *r, mr_state *st)
{
    const vg_schema *in = st->in;
    int64_t ts = (int64_t)read_u64(r);
    uint64_t seq = read_u64(r);
    const char *p = r->p;
    vg_value *v = vg_malloc(VG_MEM_STATE, (in->ncols + 1) * sizeof *v);
    for (uint32_t i = 0; i < in->ncols && !r->bad && v; i++) {
        size_t n = vg_keymap_value_size(p, r->end, in->cols[i].type);
        r->bad |= n == 0;
        if (n)
            p = vg_keymap_get_value(p, in->cols[i].type, &v[i]);
    }
    mr_row *row = v && !r->bad ? mr_row_copy(st, &st->copy_all, v) : NULL;
    vg_free(v);
    if (row) {
        row->ts = ts;
        row->seq = seq;
        r->p = p;
    }
    return row;
}

/* Whether the node's shape in the bytes is this one's. */
static bool shape_ok(const mr_state *st, vg_keymap_reader *r)
{
    vg_buf b;
    vg_buf_init(&b, VG_MEM_STATE);
    bool ok = put_shape(st, &b) == 0 && (size_t)(r->end - r->p) >= b.len &&
              memcmp(r->p, b.p, b.len) == 0;
    if (ok)
        r->p += b.len;
    vg_buf_free(&b);
    return ok;
}

/* The matcher's run of a partition: its length, then its bytes. */
static vg_nfa_run *get_run(mr_state *st, vg_keymap_reader *r, vg_error *err)
{
    uint32_t len = vg_keymap_read_u32(r);
    if (r->bad || (size_t)(r->end - r->p) < len) {
        r->bad = true;
        return NULL;
    }
    size_t used = 0;
    vg_error e2;
    vg_error_clear(&e2);
    vg_nfa_run *run = vg_nfa_restore(st->nfa, &st->opts, r->p, len, &used, &e2);
    if (run && used != len) {
        vg_nfa_run_free(run);
        run = NULL;
    }
    if (!run && e2.code == VG_ERR_NOMEM)
        vg_error_set(err, VG_ERR_NOMEM, "out of memory");
    r->p += len;
    return run;
}

/* Whether the run's positions fit the rows the partition holds. */
static bool positions_ok(const mr_part *p)
{
    uint64_t next = vg_nfa_next_pos(p->run), oldest = vg_nfa_oldest(p->run);
    return p->base <= oldest && oldest <= next && next <= p->base + p->rows.n;
}

static int get_part(vg_op *op, mr_state *st, vg_keymap_reader *r, vg_error *err)
{
    const vg_plan_match *m = st->m;
    uint32_t len = vg_keymap_read_u32(r);
    if (r->bad || (size_t)(r->end - r->p) < len ||
        !vg_keymap_valid(r->p, len, st->in, m->keys, m->nkeys) ||
        vg_keymap_find(&st->map.keys, r->p, len))
        return -1;
    vg_keymap_entry *e = mr_part_new(st, r->p, len);
    if (!e)
        return vg_error_set(err, VG_ERR_NOMEM, "out of memory");
    r->p += len;
    mr_part *p = mr_part_of(e);
    int64_t stamp = (int64_t)read_u64(r);
    p->id = read_u64(r);
    p->matches = read_u64(r);
    p->base = read_u64(r);
    uint32_t n = vg_keymap_read_u32(r);
    for (uint32_t i = 0; i < n && !r->bad; i++) {
        mr_row *row = get_row(r, st);
        if (!row || mr_ring_push(&p->rows, row) < 0) {
            mr_row_free(st, row);
            return r->bad ? -1 : vg_error_set(err, VG_ERR_NOMEM, "out of memory");
        }
    }
    vg_nfa_run_free(p->run);
    p->run = r->bad ? NULL : get_run(st, r, err);
    if (!p->run || !positions_ok(p))
        return -1; /* what was restored stays in the map; close frees it */
    if (gm_touch(&st->map, e, stamp, op->ttl_ms > 0) < 0 || mr_heaps_update(st, e) < 0)
        return vg_error_set(err, VG_ERR_NOMEM, "out of memory");
    return 0;
}

typedef struct find_arg {
    vg_keymap_entry **to; /* where the next entry goes */
} find_arg;

static int list_part(void *arg, vg_keymap_entry *e)
{
    *((find_arg *)arg)->to++ = e;
    return 0;
}

static int by_id(const void *a, const void *b)
{
    uint64_t x = mr_part_of(*(vg_keymap_entry *const *)a)->id;
    uint64_t y = mr_part_of(*(vg_keymap_entry *const *)b)->id;
    return x < y ? -1 : x > y;
}

/* The rows waiting for the watermark, each to its partition (found by
 * creation number in `parts`, sorted by it). */
static int get_pending(mr_state *st, vg_keymap_reader *r, vg_keymap_entry **parts,
                       uint32_t nparts, vg_error *err)
{
    uint32_t n = vg_keymap_read_u32(r);
    for (uint32_t i = 0; i < n && !r->bad; i++) {
        uint64_t id = read_u64(r);
        uint32_t lo = 0, hi = nparts;
        while (lo < hi) {
            uint32_t mid = lo + (hi - lo) / 2;
            if (mr_part_of(parts[mid])->id < id)
                lo = mid + 1;
            else
                hi = mid;
        }
        if (r->bad || lo == nparts || mr_part_of(parts[lo])->id != id)
            return -1;
        mr_row *row = get_row(r, st);
        if (!row)
            return r->bad ? -1 : vg_error_set(err, VG_ERR_NOMEM, "out of memory");
        row->part = parts[lo];
        if (mr_wait(st, row) < 0) {
            mr_row_free(st, row);
            return vg_error_set(err, VG_ERR_NOMEM, "out of memory");
        }
        mr_part_of(parts[lo])->npending++;
    }
    return r->bad ? -1 : 0;
}

static int restore_parts(vg_op *op, mr_state *st, vg_keymap_reader *r, vg_error *err)
{
    uint32_t n = vg_keymap_read_u32(r);
    for (uint32_t i = 0; i < n && !r->bad; i++)
        if (get_part(op, st, r, err) < 0)
            return -1;
    if (r->bad)
        return -1;
    n = st->map.keys.n;
    vg_keymap_entry **parts = vg_malloc(VG_MEM_STATE, (n + 1) * sizeof *parts);
    if (!parts)
        return vg_error_set(err, VG_ERR_NOMEM, "out of memory");
    find_arg a = {parts};
    vg_keymap_each(&st->map.keys, list_part, &a);
    qsort(parts, n, sizeof *parts, by_id);
    int rc = 0;
    for (uint32_t i = 1; i < n && !rc; i++)
        rc = mr_part_of(parts[i - 1])->id == mr_part_of(parts[i])->id ? -1 : 0;
    if (!rc)
        rc = get_pending(st, r, parts, n, err);
    vg_free(parts);
    return rc;
}

int mr_restore(vg_op *op, const void *p, size_t n, vg_error *err)
{
    mr_state *st = op->state;
    vg_keymap_reader r = {p, (const char *)p + n, false};
    if (!shape_ok(st, &r))
        return vg_error_set(err, VG_ERR_RUNTIME,
                            "the MATCH_RECOGNIZE state is of another MATCH_RECOGNIZE");
    st->seq = read_u64(&r);
    uint64_t next_id = read_u64(&r);
    st->in_wm = (int64_t)read_u64(&r);
    vg_error e2;
    vg_error_clear(&e2);
    int rc = restore_parts(op, st, &r, &e2);
    st->next_id = next_id; /* making the partitions counted them again */
    if (rc < 0 || r.bad || r.p != r.end) {
        if (e2.code == VG_ERR_NOMEM)
            return vg_error_set(err, VG_ERR_NOMEM, "out of memory");
        return vg_error_set(err, VG_ERR_RUNTIME, "the MATCH_RECOGNIZE state is damaged");
    }
    return 0;
}

/* ---- iterate ---- */

typedef struct iter_arg {
    mr_state *st;
    vg_op_visit_fn fn;
    void *arg;
} iter_arg;

/* The bytes partition e holds. */
static int64_t part_bytes(const mr_state *st, const vg_keymap_entry *e)
{
    const mr_part *p = mr_part_of(e);
    size_t n = VG_KEYMAP_HDR + st->map.keys.payload + e->len +
               p->rows.cap * sizeof *p->rows.slot + vg_nfa_bytes(p->run);
    for (uint32_t i = 0; i < p->rows.n; i++) {
        const vg_value *v = mr_values(mr_row_at(p, p->base + i));
        n += MR_ROW_HDR + st->in->ncols * sizeof *v;
        for (uint32_t c = 0; c < st->in->ncols; c++)
            n += st->in->cols[c].type == VG_T_STRING && !v[c].null ? v[c].len : 0;
    }
    return (int64_t)n;
}

static int visit(void *arg, vg_keymap_entry *e)
{
    iter_arg *a = arg;
    mr_state *st = a->st;
    const vg_plan_match *m = st->m;
    const mr_part *p = mr_part_of(e);
    vg_value *row = st->out;
    vg_keymap_decode(gm_key(&st->map, e), st->in, m->keys, m->nkeys, row);
    row[m->nkeys] = vg_int((int64_t)p->npending + p->rows.n);
    row[m->nkeys + 1] = vg_int(vg_nfa_threads(p->run));
    row[m->nkeys + 2] = vg_int((int64_t)p->matches);
    row[m->nkeys + 3] = vg_int(part_bytes(st, e));
    return a->fn(a->arg, row);
}

int mr_iterate(vg_op *op, vg_op_visit_fn fn, void *arg)
{
    iter_arg a = {op->state, fn, arg};
    return vg_keymap_each(&a.st->map.keys, visit, &a);
}

int mr_lookup(vg_op *op, int32_t partition, const vg_value *key, vg_op_visit_fn fn, void *arg)
{
    mr_state *st = op->state;
    vg_keymap_entry *e;
    if (vg_keymap_lookup(&st->map.keys, partition, st->in, st->m->keys, st->m->nkeys, key, &e) < 0)
        return -1;
    return e ? visit(&(iter_arg){st, fn, arg}, e) : 0;
}
