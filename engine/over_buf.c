/*
 * over_buf.c — the OVER operator's memory: the map of partitions, their
 * record buffers, records, and interned strings.
 *
 * Nothing here allocates per row in steady state: a partition is allocated
 * once per key (struct, key copy and running states in one block); a
 * buffer grows by doubling and, when it empties, small ones are kept on a
 * free list per size for the next partition that needs one; a string
 * argument is copied once per distinct value and shared by reference
 * count. Keys are encoded to bytes (a NULL byte or a present byte, then 8
 * bytes of value or a length and the string), so NULL is a key like any
 * other and comparing keys is memcmp.
 */
#include <string.h>

#include "engine/over_int.h"

/* ---- hashing ---- */

uint64_t over_hash(const void *p, size_t n)
{
    const unsigned char *s = p;
    uint64_t h = 0x243f6a8885a308d3ull ^ (uint64_t)n, w;
    for (; n >= 8; s += 8, n -= 8) {
        memcpy(&w, s, 8);
        h = (h ^ w) * 0x9e3779b97f4a7c15ull;
        h ^= h >> 29;
    }
    w = 0;
    memcpy(&w, s, n);
    h = (h ^ w) * 0x9e3779b97f4a7c15ull;
    h ^= h >> 32;
    h *= 0xd6e8feb86659fd93ull;
    return h ^ (h >> 32);
}

/* ---- keys ---- */

int over_key_encode(over_state *st, const vg_value *row)
{
    const vg_plan_node *n = st->node;
    const vg_schema *in = &n->inputs[0]->schema;
    vg_buf *b = &st->key;
    b->len = 0;
    for (uint32_t i = 0; i < n->u.over.nkeys; i++) {
        uint32_t col = n->u.over.keys[i];
        const vg_value *v = &row[col];
        bool str = in->cols[col].type == VG_T_STRING;
        if (vg_buf_reserve(b, 1 + 8 + (str && !v->null ? v->len : 0)) < 0)
            return -1;
        char *d = b->p + b->len;
        *d++ = v->null ? 0 : 1;
        if (v->null) {
            b->len += 1;
        } else if (str) {
            memcpy(d, &v->len, 4);
            memcpy(d + 4, v->u.s, v->len);
            b->len += 5 + v->len;
        } else {
            vg_value x = *v;
            if (in->cols[col].type == VG_T_DOUBLE && x.u.d == 0)
                x.u.d = 0.0; /* -0.0 and 0.0 are one key */
            memcpy(d, &x.u.i, 8);
            b->len += 9;
        }
    }
    return 0;
}

void over_key_decode(const over_state *st, const over_part *p, vg_value *out)
{
    const vg_plan_node *n = st->node;
    const vg_schema *in = &n->inputs[0]->schema;
    const char *s = over_part_key(p);
    for (uint32_t i = 0; i < n->u.over.nkeys; i++) {
        vg_value *v = &out[i];
        memset(v, 0, sizeof *v);
        if (!*s++) {
            v->null = 1;
        } else if (in->cols[n->u.over.keys[i]].type == VG_T_STRING) {
            memcpy(&v->len, s, 4);
            v->u.s = s + 4;
            s += 4 + v->len;
        } else {
            memcpy(&v->u.i, s, 8);
            s += 8;
        }
    }
}

/* ---- the map of partitions ---- */

over_part *over_map_find(const over_state *st, const char *key, uint32_t len, uint64_t h)
{
    uint32_t mask = st->pcap - 1;
    for (uint32_t i = (uint32_t)h & mask;; i = (i + 1) & mask) {
        over_part *p = st->parts[i];
        if (!p)
            return NULL;
        if (p->hash == h && p->keylen == len && memcmp(over_part_key(p), key, len) == 0)
            return p;
    }
}

static void map_put(over_part **parts, uint32_t cap, over_part *p)
{
    uint32_t i = (uint32_t)p->hash & (cap - 1);
    while (parts[i])
        i = (i + 1) & (cap - 1);
    parts[i] = p;
}

/* Keep the map at most half full. */
static int map_grow(over_state *st)
{
    if ((uint64_t)(st->nparts + 1) * 2 <= st->pcap)
        return 0;
    uint32_t cap = st->pcap * 2;
    over_part **parts = cap ? vg_calloc(VG_MEM_STATE, cap, sizeof *parts) : NULL;
    if (!parts)
        return -1;
    for (uint32_t i = 0; i < st->pcap; i++)
        if (st->parts[i])
            map_put(parts, cap, st->parts[i]);
    vg_free(st->parts);
    st->parts = parts;
    st->pcap = cap;
    st->sweep_at = 0;
    return 0;
}

over_part *over_map_add(over_state *st, const char *key, uint32_t len, uint64_t h)
{
    if (map_grow(st) < 0)
        return NULL;
    over_part *p = vg_malloc(VG_MEM_STATE, OVER_PART_HDR + ((len + 15) & ~(size_t)15) +
                                               st->states_size);
    if (!p)
        return NULL;
    memset(p, 0, sizeof *p);
    p->keylen = len;
    p->hash = h;
    p->swept_wm = VG_WM_MIN;
    if (len)
        memcpy((char *)over_part_key(p), key, len);
    char *states = over_part_states(p);
    for (uint32_t i = 0; i < st->naggs; i++)
        vg_agg_init(st->aggs[i].call, states + st->aggs[i].off);
    map_put(st->parts, st->pcap, p);
    st->nparts++;
    return p;
}

/* ---- buffers ---- */

/* Free-list class of a buffer of cap records (4 << class), or -1. */
static int buf_class(uint32_t cap)
{
    for (int k = 0; k < OVER_NCLASSES; k++)
        if (cap == 4u << k)
            return k;
    return -1;
}

static char *take_buf(over_state *st, uint32_t cap)
{
    int k = buf_class(cap);
    if (k >= 0 && st->free_bufs[k]) {
        char *b = st->free_bufs[k];
        memcpy(&st->free_bufs[k], b, sizeof(char *));
        return b;
    }
    return vg_malloc(VG_MEM_STATE, (size_t)cap * st->rec_size);
}

static void give_buf(over_state *st, char *b, uint32_t cap)
{
    int k = buf_class(cap);
    if (k < 0) {
        vg_free(b);
        return;
    }
    memcpy(b, &st->free_bufs[k], sizeof(char *));
    st->free_bufs[k] = b;
}

void over_free_bufs(over_state *st)
{
    for (int k = 0; k < OVER_NCLASSES; k++) {
        while (st->free_bufs[k]) {
            char *b = st->free_bufs[k];
            memcpy(&st->free_bufs[k], b, sizeof(char *));
            vg_free(b);
        }
    }
}

int over_part_reserve(over_state *st, over_part *p, uint32_t more)
{
    uint64_t need = (uint64_t)p->n + more;
    if (p->head + need <= p->cap)
        return 0;
    if (need <= p->cap / 2) { /* half the buffer is free at its front: slide down */
        memmove(p->buf, over_rec(st, p, p->head), (size_t)p->n * st->rec_size);
        p->lo -= p->head;
        p->head = 0;
        return 0;
    }
    uint64_t cap = p->cap ? p->cap : 4;
    while (cap < need)
        cap *= 2;
    if (cap > UINT32_MAX / 2)
        return -1;
    char *b = take_buf(st, (uint32_t)cap);
    if (!b)
        return -1;
    if (p->buf) {
        memcpy(b, over_rec(st, p, p->head), (size_t)p->n * st->rec_size);
        give_buf(st, p->buf, p->cap);
    }
    p->buf = b;
    p->cap = (uint32_t)cap;
    p->lo -= p->head;
    p->head = 0;
    return 0;
}

void over_part_drop_buf(over_state *st, over_part *p)
{
    if (!p->buf || p->n)
        return;
    give_buf(st, p->buf, p->cap);
    p->buf = NULL;
    p->cap = p->head = p->lo = 0;
}

void over_map_free(over_state *st)
{
    for (uint32_t i = 0; i < st->pcap; i++) {
        over_part *p = st->parts[i];
        if (!p)
            continue;
        for (uint32_t r = 0; r < p->n; r++)
            over_rec_release(st, over_rec(st, p, p->head + r));
        for (uint32_t a = 0; a < st->naggs; a++)
            vg_agg_destroy(st->aggs[a].call, over_part_states(p) + st->aggs[a].off);
        vg_free(p->buf);
        vg_free(p);
    }
    vg_free(st->parts);
    st->parts = NULL;
    st->pcap = st->nparts = 0;
    over_free_bufs(st);
    vg_free(st->strs.buckets); /* every string went with its last record */
    memset(&st->strs, 0, sizeof st->strs);
}

/* ---- interned strings ---- */

static int strs_grow(over_strs *t)
{
    uint32_t cap = t->nbuckets ? t->nbuckets * 2 : 64;
    over_str **b = vg_calloc(VG_MEM_STATE, cap, sizeof *b);
    if (!b)
        return -1;
    for (uint32_t i = 0; i < t->nbuckets; i++) {
        for (over_str *s = t->buckets[i], *next; s; s = next) {
            next = s->next;
            s->next = b[s->hash & (cap - 1)];
            b[s->hash & (cap - 1)] = s;
        }
    }
    vg_free(t->buckets);
    t->buckets = b;
    t->nbuckets = cap;
    return 0;
}

over_str *over_str_get(over_state *st, const char *s, uint32_t len)
{
    over_strs *t = &st->strs;
    if (t->n >= t->nbuckets && strs_grow(t) < 0 && !t->nbuckets)
        return NULL; /* (a failed growth of a table in use only makes chains longer) */
    uint64_t h = over_hash(s, len);
    over_str **b = &t->buckets[h & (t->nbuckets - 1)];
    for (over_str *e = *b; e; e = e->next) {
        if (e->hash == h && e->len == len && memcmp(e->bytes, s, len) == 0) {
            e->refs++;
            return e;
        }
    }
    over_str *e = vg_malloc(VG_MEM_STATE, sizeof *e + len);
    if (!e)
        return NULL;
    e->hash = h;
    e->refs = 1;
    e->len = len;
    memcpy(e->bytes, s, len);
    e->next = *b;
    *b = e;
    t->n++;
    return e;
}

void over_str_put(over_state *st, over_str *s)
{
    if (--s->refs)
        return;
    over_strs *t = &st->strs;
    over_str **b = &t->buckets[s->hash & (t->nbuckets - 1)];
    while (*b != s)
        b = &(*b)->next;
    *b = s->next;
    t->n--;
    vg_free(s);
}

/* ---- records ---- */

static bool is_null(const over_state *st, const uint64_t *rec, uint32_t slot)
{
    return over_rec_flags(st, rec) >> slot & 1;
}

static over_str *str_at(const uint64_t *rec, uint32_t slot)
{
    return (over_str *)(uintptr_t)rec[1 + slot];
}

void over_rec_args(const over_state *st, const uint64_t *rec, const over_agg *a, vg_value *args)
{
    for (uint32_t k = 0; k < a->call->nargs; k++) {
        uint32_t s = a->slot[k];
        if (is_null(st, rec, s)) {
            args[k] = vg_null();
        } else if (st->slots[s].type == VG_T_STRING) {
            const over_str *str = str_at(rec, s);
            args[k] = vg_str(str->bytes, str->len);
        } else {
            args[k] = vg_int((int64_t)rec[1 + s]); /* the bits of any 8-byte value */
        }
    }
}

/* Release the strings of slots [0, upto) of rec. */
static void release_slots(over_state *st, const uint64_t *rec, uint32_t upto)
{
    for (uint32_t s = 0; s < upto; s++)
        if (st->slots[s].type == VG_T_STRING && !is_null(st, rec, s))
            over_str_put(st, str_at(rec, s));
}

void over_rec_release(over_state *st, const uint64_t *rec)
{
    release_slots(st, rec, st->nslots);
}

int over_rec_build(over_state *st, const vg_value *row, int64_t t, vg_eval_ctx *ctx)
{
    uint64_t *r = st->rec, flags = 0;
    r[0] = (uint64_t)t;
    for (uint32_t i = 0; i < st->nslots; i++) {
        const over_slot *s = &st->slots[i];
        vg_value v;
        if (s->col >= 0)
            v = row[s->col];
        else
            vg_expr_eval(s->expr, row, ctx, &v);
        r[1 + i] = 0;
        if (v.null) {
            flags |= 1ull << i;
        } else if (s->type == VG_T_STRING) {
            over_str *str = over_str_get(st, v.u.s, v.len);
            if (!str) {
                if (st->has_flags)
                    r[1 + st->nslots] = flags;
                release_slots(st, r, i);
                return -1;
            }
            r[1 + i] = (uint64_t)(uintptr_t)str;
        } else {
            r[1 + i] = (uint64_t)v.u.i;
        }
    }
    for (uint32_t f = 0; f < st->nfilters; f++)
        if (vg_expr_is_true(st->filters[f], row, ctx))
            flags |= 1ull << (st->nslots + f);
    if (st->has_flags)
        r[1 + st->nslots] = flags;
    return 0;
}
