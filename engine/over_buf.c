/*
 * over_buf.c — the OVER operator's memory: the map of partitions, their
 * record buffers, records, and interned strings.
 *
 * Nothing here allocates per row in steady state: a partition is allocated
 * once per key (struct, frame positions, key copy and running states in one
 * block); a buffer grows by capacity classes (about 1.5 times each) and,
 * when it empties or grows, small ones are kept on a free list per class
 * for the next partition that needs one; a string argument is copied once
 * per distinct value and shared by reference count.
 *
 * Keys are encoded to bytes: the source partition of the row (4 bytes:
 * state is kept per source partition, DESIGN.md "Scale-out"), then per
 * column a NULL byte or a present byte, then 8 bytes of value or a length
 * and the string. NULL is a key like any other and comparing keys is
 * memcmp.
 *
 * The map keeps each partition's hash in its slot, beside the partition's
 * address: a lookup reads one run of slots (one or two cache lines at most
 * 3/4 full) and then only the partition it finds, never the partitions it
 * probes past. Removal shifts the rest of a probe run back (no tombstones).
 */
#include <string.h>

#include "engine/over_int.h"
#include "udf/agg_int.h"

/* ---- hashing ---- */

/* The n < 8 bytes at s as the low bytes of a word (little-endian; the
 * rest zero), from loads of fixed sizes (a memcpy of a variable size is a
 * call). */
static inline uint64_t tail_word(const unsigned char *s, size_t n)
{
    if (n >= 4) {
        uint32_t lo, hi;
        memcpy(&lo, s, 4);
        memcpy(&hi, s + n - 4, 4); /* bytes n - 4 .. n - 1: the top n - 4 are new */
        return lo | ((uint64_t)hi >> (8 * (8 - n))) << 32;
    }
    if (!n)
        return 0;
    return (uint64_t)s[0] | (uint64_t)s[n / 2] << (8 * (n / 2)) |
           (uint64_t)s[n - 1] << (8 * (n - 1));
}

uint64_t over_hash(const void *p, size_t n)
{
    const unsigned char *s = p;
    uint64_t h = 0x243f6a8885a308d3ull ^ (uint64_t)n, w;
    for (; n >= 8; s += 8, n -= 8) {
        memcpy(&w, s, 8);
        h = (h ^ w) * 0x9e3779b97f4a7c15ull;
        h ^= h >> 29;
    }
    w = tail_word(s, n);
    h = (h ^ w) * 0x9e3779b97f4a7c15ull;
    h ^= h >> 32;
    h *= 0xd6e8feb86659fd93ull;
    return h ^ (h >> 32);
}

/* ---- keys ---- */

/* Copy n bytes from s to d: short runs in two moves of a word (or half
 * one) that overlap, not a call. */
static inline void copy_short(char *d, const char *s, uint32_t n)
{
    if (n >= 8 && n <= 16) {
        memcpy(d, s, 8);
        memcpy(d + n - 8, s + n - 8, 8);
    } else if (n >= 4 && n < 8) {
        memcpy(d, s, 4);
        memcpy(d + n - 4, s + n - 4, 4);
    } else if (n) {
        memcpy(d, s, n);
    }
}

int over_key_append(const over_state *st, vg_buf *b, int32_t partition, const vg_value *row)
{
    const vg_plan_node *n = st->node;
    const vg_column *cols = n->inputs[0]->schema.cols;
    const uint32_t *keys = n->u.over.keys, nkeys = n->u.over.nkeys;
    const vg_value *v1 = nkeys == 1 ? &row[keys[0]] : NULL;
    if (v1 && !v1->null && v1->len <= 16 && cols[keys[0]].type == VG_T_STRING &&
        b->cap - b->len > 32) { /* the common key, one short string: what the loops below do */
        char *d = b->p + b->len;
        memcpy(d, &partition, sizeof partition);
        d[4] = 1;
        memcpy(d + 5, &v1->len, 4);
        copy_short(d + 9, v1->u.s, v1->len);
        b->len += 9 + v1->len;
        return 0;
    }
    size_t need = sizeof partition;
    for (uint32_t i = 0; i < nkeys; i++) {
        const vg_value *v = &row[keys[i]];
        need += 1 + 8 + (cols[keys[i]].type == VG_T_STRING && !v->null ? v->len : 0);
    }
    if (b->cap - b->len <= need && vg_buf_reserve(b, need) < 0)
        return -1;
    char *d = b->p + b->len;
    memcpy(d, &partition, sizeof partition);
    d += sizeof partition;
    for (uint32_t i = 0; i < nkeys; i++) {
        const vg_value *v = &row[keys[i]];
        vg_type t = cols[keys[i]].type;
        *d++ = v->null ? 0 : 1;
        if (v->null)
            continue;
        if (t == VG_T_STRING) {
            memcpy(d, &v->len, 4);
            copy_short(d + 4, v->u.s, v->len);
            d += 4 + v->len;
        } else {
            vg_value x = *v;
            if (t == VG_T_DOUBLE && x.u.d == 0)
                x.u.d = 0.0; /* -0.0 and 0.0 are one key */
            memcpy(d, &x.u.i, 8);
            d += 8;
        }
    }
    b->len = (size_t)(d - b->p);
    return 0;
}

int over_key_encode(over_state *st, int32_t partition, const vg_value *row)
{
    st->key.len = 0;
    return over_key_append(st, &st->key, partition, row);
}

void over_key_decode(const over_state *st, const over_part *p, int32_t *partition, vg_value *out)
{
    const vg_plan_node *n = st->node;
    const vg_schema *in = &n->inputs[0]->schema;
    const char *s = over_part_key(st, p);
    memcpy(partition, s, sizeof *partition);
    s += sizeof *partition;
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

/* Whether the n bytes at a and b are equal, a word at a time. */
static inline bool key_eq(const char *a, const char *b, uint32_t n)
{
    uint64_t x, y;
    uint32_t u, v;
    if (n >= 8) {
        for (uint32_t i = 0; i + 8 <= n; i += 8) {
            memcpy(&x, a + i, 8);
            memcpy(&y, b + i, 8);
            if (x != y)
                return false;
        }
        memcpy(&x, a + n - 8, 8); /* the last 8, maybe again in part */
        memcpy(&y, b + n - 8, 8);
        return x == y;
    }
    if (n >= 4) {
        memcpy(&u, a, 4);
        memcpy(&v, b, 4);
        if (u != v)
            return false;
        memcpy(&u, a + n - 4, 4);
        memcpy(&v, b + n - 4, 4);
        return u == v;
    }
    return memcmp(a, b, n) == 0;
}

int64_t over_map_seek(const over_state *st, const char *key, uint32_t len, uint64_t h)
{
    uint32_t mask = st->mcap - 1;
    for (uint32_t i = (uint32_t)h & mask;; i = (i + 1) & mask) {
        const over_ent *e = &st->map[i];
        if (!e->p)
            return -1;
        if (e->hash == (uint32_t)h && e->p->keylen == len &&
            key_eq(over_part_key(st, e->p), key, len))
            return i;
    }
}

int64_t over_map_find(const over_state *st, const char *key, uint32_t len, uint64_t h)
{
    uint32_t mask = st->mcap - 1;
    for (uint32_t i = (uint32_t)h & mask;; i = (i + 1) & mask) {
        const over_ent *e = &st->map[i];
        if (!e->p)
            return -1;
        if (e->hash != (uint32_t)h)
            continue;
        over_warm(e); /* the whole block at once, not line after line as it is read */
        if (e->p->keylen == len && key_eq(over_part_key(st, e->p), key, len))
            return i;
    }
}

/* Put e's partition in a free slot of map; its slot. */
static uint32_t map_put(over_ent *map, uint32_t cap, const over_ent *e)
{
    uint32_t i = (uint32_t)e->hash & (cap - 1);
    while (map[i].p)
        i = (i + 1) & (cap - 1);
    map[i] = *e;
    return i;
}

/* Keep the map at most 3/4 full. */
static int map_grow(over_state *st)
{
    if ((uint64_t)(st->nparts + 1) * 4 <= (uint64_t)st->mcap * 3)
        return 0;
    uint32_t cap = st->mcap * 2;
    over_ent *map = cap ? vg_calloc(VG_MEM_STATE, cap, sizeof *map) : NULL;
    if (!map)
        return -1;
    for (uint32_t i = 0; i < st->mcap; i++)
        if (st->map[i].p)
            map_put(map, cap, &st->map[i]);
    vg_free(st->map);
    st->map = map;
    st->mcap = cap;
    st->sweep_at = 0;
    return 0;
}

/* A partition's new states. Those of COUNT, SUM and AVG of a DOUBLE
 * (over_agg.fast) are zeros, as their init makes them, and hold nothing
 * to destroy. */
static void init_states(const over_state *st, char *states)
{
    for (uint32_t i = 0; i < st->naggs; i++) {
        const over_agg *a = &st->aggs[i];
        if (!a->has_state)
            continue;
        if (a->fast == AGG_FAST_COUNT)
            memset(states + a->off, 0, sizeof(agg_count));
        else if (a->fast != AGG_FAST_NONE)
            memset(states + a->off, 0, sizeof(agg_dsum));
        else
            vg_agg_init(a->call, states + a->off);
    }
}

static void destroy_states(const over_state *st, char *states)
{
    for (uint32_t i = 0; i < st->naggs; i++)
        if (st->aggs[i].has_state && st->aggs[i].fast == AGG_FAST_NONE)
            vg_agg_destroy(st->aggs[i].call, states + st->aggs[i].off);
}

/* Bytes of a partition block before its records, with a key of len bytes. */
static size_t block_front(const over_state *st, uint32_t len)
{
    return st->key_off + ((len + 7) & ~(size_t)7) + st->states_size;
}

/* Bytes of a partition block with a key of len bytes and room for cap records. */
static size_t block_size(const over_state *st, uint32_t len, uint32_t cap)
{
    return block_front(st, len) + (size_t)cap * st->rec_size + OVER_REC_PAD;
}

int64_t over_map_add(over_state *st, const char *key, uint32_t len, uint64_t h)
{
    if (map_grow(st) < 0)
        return -1;
    uint32_t cap = over_class_cap(0);
    over_part *p = over_block_alloc(&st->mem, block_size(st, len, cap));
    if (!p)
        return -1;
    memset(p, 0, st->key_off);
    p->keylen = len;
    p->rec_off = (uint32_t)block_front(st, len);
    p->cap = cap;
    p->newest = INT64_MIN;
    p->swept_wm = VG_WM_MIN;
    if (len)
        memcpy((char *)over_part_key(st, p), key, len);
    init_states(st, over_part_states(st, p));
    st->nparts++;
    over_ent e = {(uint32_t)h, over_warm_mask(st, p), p, INT64_MAX};
    return map_put(st->map, st->mcap, &e);
}

/* Release p's records. */
static void drop_records(over_state *st, over_part *p)
{
    for (uint32_t r = 0; r < p->n && st->strs.n; r++)
        over_rec_release(st, over_rec(st, p, p->head + r));
    p->n = p->head = 0;
}

/* Release what p holds and give back its block; with `chunks_go`, only a
 * block that is not cut from a chunk (over_mem_free frees the others). */
static void free_part(over_state *st, over_part *p, bool chunks_go)
{
    size_t size = block_size(st, p->keylen, p->cap);
    drop_records(st, p);
    destroy_states(st, over_part_states(st, p));
    if (!chunks_go || size > OVER_BLOCK_MAX)
        over_block_free(&st->mem, p, size);
}

void over_part_reset(over_state *st, over_part *p)
{
    drop_records(st, p);
    char *states = over_part_states(st, p);
    destroy_states(st, states);
    init_states(st, states);
    memset(p->pos, 0, st->nframes * sizeof *p->pos);
    p->newest = INT64_MIN;
    p->big = 0;
}

void over_map_remove(over_state *st, uint32_t i)
{
    uint32_t mask = st->mcap - 1, j = i;
    free_part(st, st->map[i].p, false);
    /* Backward shift: pull later entries of the probe run into the hole. */
    for (;;) {
        j = (j + 1) & mask;
        if (!st->map[j].p)
            break;
        uint32_t k = (uint32_t)st->map[j].hash & mask;
        bool stays = i <= j ? (i < k && k <= j) : (i < k || k <= j);
        if (stays)
            continue;
        st->map[i] = st->map[j];
        i = j;
    }
    memset(&st->map[i], 0, sizeof st->map[i]);
    st->nparts--;
}

void over_map_free(over_state *st)
{
    for (uint32_t i = 0; i < st->mcap; i++) {
        if (i + 8 < st->mcap && st->map[i + 8].p)
            __builtin_prefetch(st->map[i + 8].p); /* partitions are cold by now */
        if (st->map[i].p)
            free_part(st, st->map[i].p, true); /* (the chunks go below) */
    }
    over_mem_free(&st->mem);
    vg_free(st->map);
    st->map = NULL;
    st->mcap = st->nparts = 0;
    vg_free(st->strs.buckets); /* every string went with its last record */
    memset(&st->strs, 0, sizeof st->strs);
}

/* ---- room for records ---- */

/* Move the records of p to the front of its room (indices shift down by p->head). */
static void slide(over_state *st, over_part *p)
{
    uint32_t d = p->head;
    memmove(over_rec(st, p, 0), over_rec(st, p, p->head), (size_t)p->n * st->rec_size);
    for (uint32_t f = 0; f < st->nframes; f++) {
        p->pos[f].head -= d;
        p->pos[f].lo -= d;
    }
    p->head = 0;
}

/* Move e's partition to a block with room for cap (>= n) records. */
static int move_part(over_state *st, over_ent *e, uint32_t cap)
{
    over_part *p = e->p, *q = over_block_alloc(&st->mem, block_size(st, p->keylen, cap));
    if (!q)
        return -1;
    memcpy(q, p, p->rec_off);
    memcpy(over_rec(st, q, 0), over_rec(st, p, p->head), (size_t)p->n * st->rec_size);
    for (uint32_t f = 0; f < st->nframes; f++) {
        q->pos[f].head -= p->head;
        q->pos[f].lo -= p->head;
    }
    q->head = 0;
    q->cap = cap;
    over_block_free(&st->mem, p, block_size(st, p->keylen, p->cap));
    e->p = q;
    e->warm = over_warm_mask(st, q);
    return 0;
}

/* The least capacity class of at least need records; 0 when there is none. */
static uint32_t cap_for(uint64_t need)
{
    for (uint32_t c = 0; c < 58; c++)
        if (over_class_cap(c) >= need)
            return over_class_cap(c);
    return 0;
}

int over_part_reserve(over_state *st, over_ent *e, uint32_t more)
{
    over_part *p = e->p;
    uint64_t need = (uint64_t)p->n + more;
    if (p->head + need <= p->cap)
        return 0;
    if (need <= p->cap - p->cap / 4) { /* a quarter is free at the front: slide down */
        slide(st, p);
        return 0;
    }
    uint32_t cap = cap_for(need);
    return cap ? move_part(st, e, cap) : -1;
}

void over_part_shrink(over_state *st, over_ent *e)
{
    over_part *p = e->p;
    uint32_t cap = cap_for(2 * (uint64_t)p->n);
    if (p->n <= p->cap / 4 && cap < p->cap)
        move_part(st, e, cap); /* (failing, it stays as it is) */
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
    if (len)
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

/* The interned string of STRING slot `slot` of rec, or NULL when it is
 * NULL or inline. */
static over_str *str_at(const over_state *st, const char *rec, uint32_t slot)
{
    uint64_t flags = over_rec_flags(st, rec);
    if (flags >> slot & 1 || flags >> st->slots[slot].inl & 1)
        return NULL;
    return (over_str *)(uintptr_t)over_rec_word(rec, slot);
}

void over_rec_set_flags(const over_state *st, char *rec, uint64_t flags)
{
    char *f = rec + 8 + 8 * (size_t)st->nslots;
    uint8_t b1 = (uint8_t)flags;
    uint16_t b2 = (uint16_t)flags;
    uint32_t b4 = (uint32_t)flags;
    switch (st->flag_bytes) {
    case 1:
        memcpy(f, &b1, 1);
        break;
    case 2:
        memcpy(f, &b2, 2);
        break;
    case 4:
        memcpy(f, &b4, 4);
        break;
    case 8:
        memcpy(f, &flags, 8);
        break;
    default:
        break;
    }
}

/* Release the strings of slots [0, upto) of rec. */
static void release_slots(over_state *st, const char *rec, uint32_t upto)
{
    for (uint32_t s = 0; s < upto; s++) {
        over_str *str = st->slots[s].type == VG_T_STRING ? str_at(st, rec, s) : NULL;
        if (str)
            over_str_put(st, str);
    }
}

void over_rec_release(over_state *st, const char *rec)
{
    if (st->strs.n) /* (no record holds an interned string when there is none) */
        release_slots(st, rec, st->nslots);
}

static void put_word(char *rec, uint32_t slot, uint64_t w)
{
    memcpy(rec + 8 + 8 * (size_t)slot, &w, 8);
}

/* Whether s[0..len) is held inline (up to 8 bytes, zero-padded, not ending
 * in a zero byte, so that its length reads back): its word into *w. */
static inline bool inline_string(const char *s, uint32_t len, uint64_t *w)
{
    if (len > 8 || (len && s[len - 1] == 0))
        return false;
    *w = 0;
    copy_short((char *)w, s, len);
    return true;
}

int over_rec_put_string(over_state *st, char *rec, uint32_t slot, const char *s, uint32_t len,
                        uint64_t *flags)
{
    uint64_t w = 0;
    if (inline_string(s, len, &w)) {
        *flags |= 1ull << st->slots[slot].inl;
    } else {
        over_str *str = over_str_get(st, s, len);
        if (!str)
            return -1;
        w = (uint64_t)(uintptr_t)str;
    }
    put_word(rec, slot, w);
    return 0;
}

int over_rec_build(over_state *st, const vg_value *row, int64_t t, vg_eval_ctx *ctx)
{
    char *r = st->rec;
    uint64_t flags = 0;
    memcpy(r, &t, 8);
    for (uint32_t i = 0; i < st->nslots; i++) {
        const over_slot *s = &st->slots[i];
        vg_value v;
        uint64_t w;
        if (s->col >= 0)
            v = row[s->col];
        else
            vg_expr_eval(s->expr, row, ctx, &v);
        if (v.null) {
            flags |= 1ull << i;
            put_word(r, i, 0);
        } else if (s->type != VG_T_STRING) {
            put_word(r, i, (uint64_t)v.u.i);
        } else if (inline_string(v.u.s, v.len, &w)) { /* (over_rec_put_string's common case) */
            put_word(r, i, w);
            flags |= 1ull << s->inl;
        } else if (over_rec_put_string(st, r, i, v.u.s, v.len, &flags) < 0) {
            over_rec_set_flags(st, r, flags);
            release_slots(st, r, i);
            return -1;
        }
    }
    for (uint32_t f = 0; f < st->nfilters; f++)
        if (vg_expr_is_true(st->filters[f], row, ctx))
            flags |= 1ull << (st->nslots + f);
    over_rec_set_flags(st, r, flags);
    return 0;
}
