/*
 * over_snap.c — the OVER operator's state as bytes (snapshot, restore), as
 * rows (iterate, and one key's row: lookup), and as memory figures.
 *
 * A snapshot holds a header with the layout (argument types, counts, each
 * frame), which lets restore refuse the bytes of a different node, and the
 * watermark; then each live partition (not expired by its TTL): its key
 * (the source partition first), the event time of its newest row, which
 * frames keep their small aggregates in states (over_frame.c), where each
 * frame stands among its records, the records (event time, NULL and FILTER
 * flags, and the value of every argument that is not NULL, strings
 * inline), and each aggregate state (udf/agg.h's own bytes). Numbers are in
 * host byte order: snapshots move between runs of one build, not between
 * machines.
 */
#include <string.h>

#include "engine/op_over.h"
#include "engine/over_int.h"

#define SNAP_MAGIC 0x3252564fu /* "OVR2" */

static int put(vg_buf *b, const void *p, size_t n) { return vg_buf_append(b, p, n); }

static int put_u32(vg_buf *b, uint32_t v) { return put(b, &v, 4); }

/* A record: event time, flags (NULL and FILTER bits only), then each
 * value that is not NULL (a STRING as u32 length and bytes). */
static int put_rec(const over_state *st, const char *rec, vg_buf *b)
{
    uint64_t flags = over_rec_flags(st, rec), bits = st->nslots + st->nfilters;
    uint64_t kept = flags & (bits < 64 ? (1ull << bits) - 1 : ~0ull);
    int rc = put(b, rec, 8) | put(b, &kept, 8);
    for (uint32_t s = 0; s < st->nslots && !rc; s++) {
        if (flags >> s & 1)
            continue;
        uint64_t w = over_rec_word(rec, s);
        if (st->slots[s].type != VG_T_STRING) {
            rc |= put(b, &w, 8);
            continue;
        }
        vg_value v = over_rec_inline(rec, s);
        if (!(flags >> st->slots[s].inl & 1)) {
            const over_str *str = (const over_str *)(uintptr_t)w;
            v = vg_str(str->bytes, str->len);
        }
        rc |= put_u32(b, v.len) | put(b, v.u.s, v.len);
    }
    return rc;
}

static int put_part(const over_state *st, const over_part *p, vg_buf *b)
{
    int rc = put_u32(b, p->keylen) | put(b, over_part_key(st, p), p->keylen) |
             put(b, &p->newest, 8) | put_u32(b, p->big) | put_u32(b, p->n);
    for (uint32_t f = 0; f < st->nframes; f++)
        rc |= put_u32(b, p->pos[f].head - p->head) | put_u32(b, p->pos[f].lo - p->head);
    for (uint32_t r = 0; r < p->n && !rc; r++)
        rc |= put_rec(st, over_rec(st, p, p->head + r), b);
    const char *states = over_part_states(st, p);
    for (uint32_t a = 0; a < st->naggs && !rc; a++)
        if (st->aggs[a].has_state)
            rc |= vg_agg_snapshot(st->aggs[a].call, states + st->aggs[a].off, b);
    return rc;
}

static uint32_t live_parts(const over_state *st)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < st->mcap; i++)
        n += st->map[i].p && !over_expired(st, st->map[i].p);
    return n;
}

static int put_header(const over_state *st, vg_buf *b)
{
    int rc = put_u32(b, SNAP_MAGIC) | put_u32(b, st->nslots) | put_u32(b, st->nfilters) |
             put_u32(b, st->naggs) | put_u32(b, st->nframes) | put_u32(b, st->node->u.over.nkeys) |
             put(b, &st->wm, 8);
    for (uint32_t s = 0; s < st->nslots; s++) {
        uint8_t t = (uint8_t)st->slots[s].type;
        rc |= put(b, &t, 1);
    }
    for (uint32_t f = 0; f < st->nframes; f++) {
        uint8_t rows = st->frames[f].rows;
        rc |= put(b, &rows, 1) | put(b, &st->frames[f].pre, 8);
    }
    return rc | put_u32(b, live_parts(st));
}

int over_snapshot(vg_op *op, vg_buf *out, vg_error *err)
{
    const over_state *st = op->state;
    size_t mark = out->len;
    int rc = put_header(st, out);
    for (uint32_t i = 0; i < st->mcap && !rc; i++)
        if (st->map[i].p && !over_expired(st, st->map[i].p))
            rc = put_part(st, st->map[i].p, out);
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

/* One value of slot s of a record into st->rec, setting its bits in
 * *flags: 0 or a restore_err. */
static int get_slot(over_state *st, reader *r, uint32_t s, uint64_t *flags)
{
    char *rec = st->rec;
    if (st->slots[s].type != VG_T_STRING) {
        if (get(r, rec + 8 + 8 * (size_t)s, 8) < 0)
            return BAD_BYTES;
        *flags &= ~(1ull << s);
        return 0;
    }
    uint32_t len;
    uint64_t f = *flags & ~(1ull << s);
    if (get(r, &len, 4) < 0 || (size_t)(r->end - r->p) < len)
        return BAD_BYTES;
    if (over_rec_put_string(st, rec, s, r->p, len, &f) < 0)
        return NO_MEMORY;
    r->p += len;
    *flags = f;
    return 0;
}

/* One record into st->rec (long strings interned). */
static int get_rec(over_state *st, reader *r)
{
    char *rec = st->rec;
    uint32_t bits = st->nslots + st->nfilters;
    uint64_t in, nulls = st->nslots < 64 ? (1ull << st->nslots) - 1 : ~0ull;
    if (get(r, rec, 8) < 0 || get(r, &in, 8) < 0 || (bits < 64 && in >> bits))
        return BAD_BYTES;
    uint64_t flags = in | nulls; /* all NULL until read */
    for (uint32_t s = 0; s < st->nslots; s++) {
        over_rec_set_flags(st, rec, flags);
        int rc = in >> s & 1 ? 0 : get_slot(st, r, s, &flags);
        if (rc) {
            over_rec_release(st, rec);
            return rc;
        }
    }
    over_rec_set_flags(st, rec, flags);
    return 0;
}

/* Whether key[0..len) is a key this node encodes. */
static bool key_valid(const over_state *st, const char *p, uint32_t len)
{
    const vg_plan_node *n = st->node;
    const vg_schema *in = &n->inputs[0]->schema;
    const char *end = p + len;
    if (len < sizeof(int32_t))
        return false;
    p += sizeof(int32_t); /* the source partition */
    for (uint32_t i = 0; i < n->u.over.nkeys; i++) {
        if (p >= end || (*p != 0 && *p != 1))
            return false;
        if (!*p++)
            continue;
        uint32_t slen = 0;
        bool str = in->cols[n->u.over.keys[i]].type == VG_T_STRING;
        if (str && (size_t)(end - p) >= 4)
            memcpy(&slen, p, 4);
        size_t need = str ? 4 + (size_t)slen : 8;
        if ((size_t)(end - p) < need)
            return false;
        p += need;
    }
    return p == end;
}

/* Where each frame stands, relative to the first record; at least one frame
 * starts at it. */
static int get_positions(over_state *st, reader *r, over_part *p, uint32_t n)
{
    uint32_t least = n;
    for (uint32_t f = 0; f < st->nframes; f++) {
        uint32_t head, lo;
        if (get(r, &head, 4) < 0 || get(r, &lo, 4) < 0 || head > lo || lo > n)
            return BAD_BYTES;
        p->pos[f].head = head;
        p->pos[f].lo = lo;
        if (head < least)
            least = head;
    }
    return n && least != 0 ? BAD_BYTES : 0;
}

static int get_part(over_state *st, reader *r)
{
    uint32_t keylen, n;
    int64_t newest;
    if (get(r, &keylen, 4) < 0 || (size_t)(r->end - r->p) < keylen || !key_valid(st, r->p, keylen))
        return BAD_BYTES;
    const char *key = r->p;
    r->p += keylen;
    uint64_t h = over_hash(key, keylen);
    uint32_t big;
    if (get(r, &newest, 8) < 0 || get(r, &big, 4) < 0 || get(r, &n, 4) < 0 ||
        n > (size_t)(r->end - r->p) / 16 || over_map_find(st, key, keylen, h) >= 0)
        return BAD_BYTES; /* (a record takes at least 16 bytes) */
    int64_t slot = over_map_add(st, key, keylen, h);
    if (slot < 0 || over_part_reserve(st, &st->map[slot], n) < 0)
        return NO_MEMORY;
    over_part *p = st->map[slot].p;
    p->newest = newest;
    p->big = big;
    int rc = get_positions(st, r, p, n);
    for (uint32_t i = 0; i < n && !rc; i++) {
        if (!(rc = get_rec(st, r)))
            memcpy(over_rec(st, p, p->n++), st->rec, st->rec_size);
    }
    for (uint32_t f = 0; f < st->nframes && !rc; f++)
        if (p->pos[f].head < n)
            p->pos[f].head_ts = over_rec_ts(over_rec(st, p, p->pos[f].head));
    char *states = over_part_states(st, p);
    for (uint32_t a = 0; a < st->naggs && !rc; a++) {
        const over_agg *ag = &st->aggs[a];
        if (ag->has_state && vg_agg_restore(ag->call, states + ag->off, &r->p, r->end) < 0)
            rc = BAD_BYTES;
    }
    st->map[slot].due = over_due(st, p);
    return rc;
}

static int get_header(over_state *st, reader *r, uint32_t *nparts)
{
    uint32_t magic, nslots, nfilters, naggs, nframes, nkeys;
    if (get(r, &magic, 4) < 0 || get(r, &nslots, 4) < 0 || get(r, &nfilters, 4) < 0 ||
        get(r, &naggs, 4) < 0 || get(r, &nframes, 4) < 0 || get(r, &nkeys, 4) < 0 ||
        get(r, &st->wm, 8) < 0)
        return BAD_BYTES;
    if (magic != SNAP_MAGIC || nslots != st->nslots || nfilters != st->nfilters ||
        naggs != st->naggs || nframes != st->nframes || nkeys != st->node->u.over.nkeys)
        return BAD_BYTES;
    for (uint32_t s = 0; s < nslots; s++) {
        uint8_t t;
        if (get(r, &t, 1) < 0 || t != (uint8_t)st->slots[s].type)
            return BAD_BYTES;
    }
    for (uint32_t f = 0; f < nframes; f++) {
        uint8_t rows;
        int64_t pre;
        if (get(r, &rows, 1) < 0 || get(r, &pre, 8) < 0 || rows != st->frames[f].rows ||
            pre != st->frames[f].pre)
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
    st->mcap = 16;
    st->map = vg_calloc(VG_MEM_STATE, st->mcap, sizeof *st->map);
    return st->map ? 0 : -1;
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

/* ---- iterate, lookup ---- */

/* The row of the partition at map slot i (over_iterate's), handed to fn:
 * what is left of it at the watermark. row has room for it. */
static int visit_part(vg_op *op, uint32_t i, vg_value *row, vg_op_visit_fn fn, void *arg)
{
    over_state *st = op->state;
    uint32_t nk = st->node->u.over.nkeys;
    over_part *p = st->map[i].p;
    over_evict(st, p, op->env->eval.err); /* what is left at the watermark */
    st->map[i].due = over_due(st, p);
    int32_t partition;
    over_key_decode(st, p, &partition, row + 1);
    row[0] = vg_int(partition);
    const char *states = over_part_states(st, p);
    for (uint32_t fi = 0; fi < st->nframes; fi++) {
        const over_frame *f = &st->frames[fi];
        uint32_t from = over_frame_from(f, p, fi);
        for (uint32_t a = f->first; a < f->first + f->naggs; a++)
            over_result(st, p, f, &st->aggs[a], states, from, p->head + p->n, over_big(p, fi),
                        &row[1 + nk + a]);
    }
    return fn(arg, row);
}

/* Each live partition as a row: its source partition (INT), its PARTITION
 * BY columns, then the current value of every aggregate of every frame, in
 * output order (each frame's over the frame of its newest row, less the
 * rows the watermark has evicted). */
int over_iterate(vg_op *op, vg_op_visit_fn fn, void *arg)
{
    over_state *st = op->state;
    vg_value *row = vg_calloc(VG_MEM_STATE, 1 + st->node->u.over.nkeys + st->naggs, sizeof *row);
    if (!row)
        return -1;
    int rc = 0;
    for (uint32_t i = 0; i < st->mcap && !rc; i++)
        if (st->map[i].p && !over_expired(st, st->map[i].p))
            rc = visit_part(op, i, row, fn, arg);
    vg_free(row);
    return rc;
}

/* The row of one PARTITION BY key (key: its columns in order) of source
 * partition `partition`, as over_iterate gives it, or nothing. The key is
 * encoded in a buffer of its own: st->key may hold the next row's key
 * (warm_slot). */
int over_lookup(vg_op *op, int32_t partition, const vg_value *key, vg_op_visit_fn fn, void *arg)
{
    over_state *st = op->state;
    uint32_t nk = st->node->u.over.nkeys;
    vg_value *in = vg_calloc(VG_MEM_STATE, st->nin + 1 + nk + st->naggs, sizeof *in);
    if (!in)
        return -1;
    for (uint32_t k = 0; k < nk; k++)
        in[st->node->u.over.keys[k]] = key[k];
    vg_buf saved = st->key;
    vg_buf_init(&st->key, VG_MEM_STATE);
    int rc = over_key_encode(st, partition, in) < 0 ? -1 : 0;
    if (!rc) {
        int64_t i = over_map_find(st, st->key.p, (uint32_t)st->key.len,
                                  over_hash(st->key.p, st->key.len));
        if (i >= 0 && !over_expired(st, st->map[i].p))
            rc = visit_part(op, (uint32_t)i, in + st->nin, fn, arg);
    }
    vg_buf_free(&st->key);
    st->key = saved;
    vg_free(in);
    return rc;
}

/* ---- memory ---- */

void vg_op_over_stats_get(const vg_op *op, vg_op_over_stats *out)
{
    const over_state *st = op->state;
    memset(out, 0, sizeof *out);
    out->partitions = st->nparts;
    out->key_bytes = st->mcap * sizeof *st->map;
    for (uint32_t i = 0; i < st->mcap; i++) {
        const over_part *p = st->map[i].p;
        if (!p)
            continue;
        out->rows += p->n;
        out->key_bytes += p->rec_off;
        const char *states = over_part_states(st, p);
        for (uint32_t a = 0; a < st->naggs; a++)
            if (st->aggs[a].has_state)
                out->key_bytes += vg_agg_heap_bytes(st->aggs[a].call, states + st->aggs[a].off);
        out->row_bytes += (size_t)p->cap * st->rec_size;
    }
    out->row_bytes += st->strs.nbuckets * sizeof *st->strs.buckets;
    for (uint32_t b = 0; b < st->strs.nbuckets; b++)
        for (const over_str *s = st->strs.buckets[b]; s; s = s->next)
            out->row_bytes += sizeof *s + s->len;
}
