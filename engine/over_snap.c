/*
 * over_snap.c — the OVER operator's state as bytes (snapshot, restore), as
 * rows (iterate), and as memory figures.
 *
 * A snapshot holds the watermark, then each partition: its key, its
 * buffered records (event time, flags, and the value of every argument
 * that is not NULL, strings inline) with the start of its running frame,
 * and each aggregate's running state (udf/agg.h's own bytes). A header
 * with the layout (argument types, counts) lets restore refuse the bytes of
 * a different window. Numbers are in host byte order: snapshots move
 * between runs of one build, not between machines.
 */
#include <string.h>

#include "engine/op_over.h"
#include "engine/over_int.h"

#define SNAP_MAGIC 0x3152564fu /* "OVR1" */

static int put(vg_buf *b, const void *p, size_t n) { return vg_buf_append(b, p, n); }

static int put_u32(vg_buf *b, uint32_t v) { return put(b, &v, 4); }

static int put_rec(const over_state *st, const uint64_t *rec, vg_buf *b)
{
    uint64_t flags = over_rec_flags(st, rec);
    int rc = put(b, rec, 8);
    if (st->has_flags)
        rc |= put(b, &flags, 8);
    for (uint32_t s = 0; s < st->nslots && !rc; s++) {
        if (flags >> s & 1)
            continue;
        if (st->slots[s].type == VG_T_STRING) {
            const over_str *str = (const over_str *)(uintptr_t)rec[1 + s];
            rc |= put_u32(b, str->len) | put(b, str->bytes, str->len);
        } else {
            rc |= put(b, &rec[1 + s], 8);
        }
    }
    return rc;
}

static int put_part(const over_state *st, const over_part *p, vg_buf *b)
{
    int rc = put_u32(b, p->keylen) | put(b, over_part_key(p), p->keylen) | put_u32(b, p->n) |
             put_u32(b, p->lo - p->head);
    for (uint32_t r = 0; r < p->n && !rc; r++)
        rc |= put_rec(st, over_rec(st, p, p->head + r), b);
    for (uint32_t a = 0; a < st->naggs && !rc; a++)
        rc |= vg_agg_snapshot(st->aggs[a].call, over_part_states(p) + st->aggs[a].off, b);
    return rc;
}

static int put_header(const over_state *st, vg_buf *b)
{
    int rc = put_u32(b, SNAP_MAGIC) | put_u32(b, st->nslots) | put_u32(b, st->nfilters) |
             put_u32(b, st->naggs) | put_u32(b, st->node->u.over.nkeys) | put(b, &st->wm, 8);
    for (uint32_t s = 0; s < st->nslots; s++) {
        uint8_t t = (uint8_t)st->slots[s].type;
        rc |= put(b, &t, 1);
    }
    return rc | put_u32(b, st->nparts);
}

int over_snapshot(vg_op *op, vg_buf *out, vg_error *err)
{
    const over_state *st = op->state;
    size_t mark = out->len;
    int rc = put_header(st, out);
    for (uint32_t i = 0; i < st->pcap && !rc; i++)
        if (st->parts[i])
            rc = put_part(st, st->parts[i], out);
    if (rc) {
        out->len = mark;
        return vg_error_set(err, VG_ERR_NOMEM, "out of memory");
    }
    return 0;
}

/* ---- restore ---- */

typedef struct reader {
    const char *p, *end;
} reader;

static int get(reader *r, void *out, size_t n)
{
    if ((size_t)(r->end - r->p) < n)
        return -1;
    memcpy(out, r->p, n);
    r->p += n;
    return 0;
}

/* What went wrong, when restore fails. */
typedef enum { BAD_BYTES = -1, NO_MEMORY = -2 } restore_err;

/* One record into st->rec (strings interned). */
static int get_rec(over_state *st, reader *r)
{
    uint64_t *rec = st->rec, flags = 0;
    if (get(r, rec, 8) < 0 || (st->has_flags && get(r, &flags, 8) < 0))
        return BAD_BYTES;
    if (st->has_flags)
        rec[1 + st->nslots] = flags | (st->nslots < 64 ? (1ull << st->nslots) - 1 : ~0ull); /* all NULL until read */
    for (uint32_t s = 0; s < st->nslots; s++) {
        rec[1 + s] = 0;
        if (flags >> s & 1)
            continue;
        int rc = 0;
        if (st->slots[s].type == VG_T_STRING) {
            uint32_t len;
            over_str *str = NULL;
            if (get(r, &len, 4) < 0 || (size_t)(r->end - r->p) < len)
                rc = BAD_BYTES;
            else if (!(str = over_str_get(st, r->p, len)))
                rc = NO_MEMORY;
            else
                r->p += len;
            rec[1 + s] = (uint64_t)(uintptr_t)str;
        } else if (get(r, &rec[1 + s], 8) < 0) {
            rc = BAD_BYTES;
        }
        if (rc) {
            over_rec_release(st, rec);
            return rc;
        }
        rec[1 + st->nslots] &= ~(1ull << s);
    }
    return 0;
}

static int get_part(over_state *st, reader *r)
{
    uint32_t keylen, n, lo;
    if (get(r, &keylen, 4) < 0 || (size_t)(r->end - r->p) < keylen)
        return BAD_BYTES;
    const char *key = r->p;
    r->p += keylen;
    uint64_t h = over_hash(key, keylen);
    if (get(r, &n, 4) < 0 || get(r, &lo, 4) < 0 || lo > n || over_map_find(st, key, keylen, h))
        return BAD_BYTES;
    over_part *p = over_map_add(st, key, keylen, h);
    if (!p || (n && over_part_reserve(st, p, n) < 0))
        return NO_MEMORY;
    for (uint32_t i = 0; i < n; i++) {
        int rc = get_rec(st, r);
        if (rc)
            return rc;
        memcpy(over_rec(st, p, p->n++), st->rec, st->rec_size);
    }
    p->lo = lo;
    p->head_ts = n ? over_rec_ts(over_rec(st, p, 0)) : 0;
    for (uint32_t a = 0; a < st->naggs; a++) {
        const over_agg *ag = &st->aggs[a];
        if (vg_agg_restore(ag->call, over_part_states(p) + ag->off, &r->p, r->end) < 0)
            return BAD_BYTES;
    }
    return 0;
}

static int get_header(over_state *st, reader *r, uint32_t *nparts)
{
    uint32_t magic, nslots, nfilters, naggs, nkeys;
    if (get(r, &magic, 4) < 0 || get(r, &nslots, 4) < 0 || get(r, &nfilters, 4) < 0 ||
        get(r, &naggs, 4) < 0 || get(r, &nkeys, 4) < 0 || get(r, &st->wm, 8) < 0)
        return BAD_BYTES;
    if (magic != SNAP_MAGIC || nslots != st->nslots || nfilters != st->nfilters ||
        naggs != st->naggs || nkeys != st->node->u.over.nkeys)
        return BAD_BYTES;
    for (uint32_t s = 0; s < nslots; s++) {
        uint8_t t;
        if (get(r, &t, 1) < 0 || t != (uint8_t)st->slots[s].type)
            return BAD_BYTES;
    }
    return get(r, nparts, 4) < 0 ? BAD_BYTES : 0;
}

/* Empty the state: no partition, no watermark. 0 or -1 (out of memory). */
static int reset(over_state *st)
{
    over_map_free(st);
    st->wm = VG_WM_MIN;
    st->sweep_at = 0;
    st->since_sweep = 0;
    st->pcap = 16;
    st->parts = vg_calloc(VG_MEM_STATE, st->pcap, sizeof *st->parts);
    return st->parts ? 0 : -1;
}

int over_restore(vg_op *op, const void *bytes, size_t n, vg_error *err)
{
    over_state *st = op->state;
    if (reset(st) < 0)
        return vg_error_set(err, VG_ERR_NOMEM, "out of memory");
    reader r = {bytes, (const char *)bytes + n};
    uint32_t nparts;
    int rc = get_header(st, &r, &nparts);
    for (uint32_t i = 0; i < nparts && !rc; i++)
        rc = get_part(st, &r);
    if (!rc && r.p != r.end)
        rc = BAD_BYTES;
    if (!rc)
        return 0;
    if (reset(st) < 0 || rc == NO_MEMORY)
        return vg_error_set(err, VG_ERR_NOMEM, "out of memory");
    return vg_error_set(err, VG_ERR_RUNTIME, "cannot restore OVER state: bad snapshot bytes");
}

/* ---- iterate ---- */

int over_iterate(vg_op *op, vg_op_visit_fn fn, void *arg)
{
    const over_state *st = op->state;
    uint32_t nk = st->node->u.over.nkeys;
    vg_value *row = vg_calloc(VG_MEM_STATE, nk + st->naggs + 1, sizeof *row);
    if (!row)
        return -1;
    int rc = 0;
    for (uint32_t i = 0; i < st->pcap && !rc; i++) {
        const over_part *p = st->parts[i];
        if (!p)
            continue;
        over_key_decode(st, p, row);
        uint32_t from = st->node->u.over.preceding < 0 ? p->head : p->lo;
        for (uint32_t a = 0; a < st->naggs; a++)
            over_result(st, p, &st->aggs[a], over_part_states(p), from, p->head + p->n - 1,
                        &row[nk + a]);
        rc = fn(arg, row);
    }
    vg_free(row);
    return rc;
}

/* ---- memory ---- */

void vg_op_over_stats_get(const vg_op *op, vg_op_over_stats *out)
{
    const over_state *st = op->state;
    memset(out, 0, sizeof *out);
    out->partitions = st->nparts;
    out->key_bytes = st->pcap * sizeof *st->parts;
    for (uint32_t i = 0; i < st->pcap; i++) {
        const over_part *p = st->parts[i];
        if (!p)
            continue;
        out->rows += p->n;
        out->key_bytes += OVER_PART_HDR + ((p->keylen + 15) & ~(size_t)15) + st->states_size;
        for (uint32_t a = 0; a < st->naggs; a++)
            out->key_bytes += vg_agg_heap_bytes(st->aggs[a].call,
                                                over_part_states(p) + st->aggs[a].off);
        out->row_bytes += (size_t)p->cap * st->rec_size;
    }
    out->row_bytes += st->strs.nbuckets * sizeof *st->strs.buckets;
    for (uint32_t b = 0; b < st->strs.nbuckets; b++)
        for (const over_str *s = st->strs.buckets[b]; s; s = s->next)
            out->row_bytes += sizeof *s + s->len;
    for (int k = 0; k < OVER_NCLASSES; k++) {
        const char *b = st->free_bufs[k];
        while (b) {
            out->row_bytes += ((size_t)4 << k) * st->rec_size;
            memcpy(&b, b, sizeof b);
        }
    }
}
