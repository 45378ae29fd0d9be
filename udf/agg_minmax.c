/*
 * agg_minmax.c — the aggregates that pick a row's value: MIN and MAX (an
 * ordered multiset with counts, O(log n)), FIRST_VALUE and LAST_VALUE
 * (the rows in add order, O(1) amortised).
 *
 * FIRST_VALUE/LAST_VALUE keep a ring of entries, one per added row, oldest
 * first; a retracted row's entry is marked dead and dead entries are
 * trimmed from both ends, so the first and last live entries are the
 * results. To find the oldest row of a given value in O(1), a hash map
 * holds per value the ends of a chain through that value's live entries,
 * oldest to newest, and owns the value's string copy (entries point to it).
 * When dead entries outnumber live ones the ring is compacted in place; when
 * it is full it grows; both rebuild the chains from the ring's order.
 *
 * When rows leave in the order they came (call->fifo), all four keep a
 * deque instead: the rows that can still become the result, oldest first,
 * each with its add number. An add first drops from the back the rows it
 * makes hopeless (for MIN the ones not smaller than it; for LAST_VALUE all;
 * for FIRST_VALUE none); a retract drops the front row if it is the oldest
 * row of the set. The result is the front row.
 */
#include <string.h>

#include "engine/alloc.h"
#include "udf/agg_int.h"
#include "udf/multiset.h"

#define FL_MAX_CAP (1u << 30) /* most entries of a ring */

/* The entries of vg_agg_minmax_table, in its order. */
enum { K_FIRST, K_LAST, K_MAX, K_MIN };

static int kind_of(const vg_agg_call *c) { return (int)(c->agg - vg_agg_minmax_table); }

/* ---- the deque of a fifo call ---- */

typedef struct fq_ent {
    uint64_t key; /* agg_key_of the value; a STRING: an owned block, a uint32_t
                     length then the bytes */
    uint64_t seq; /* the row's add number */
} fq_ent;

typedef struct fq_state {
    fq_ent *ring;       /* cap entries, front at head; NULL while the set is empty */
    uint32_t cap;       /* a power of two, or 0 */
    uint32_t head;      /* ring index of the front */
    uint32_t count;     /* entries */
    uint32_t unused;    /* padding */
    uint64_t added;     /* rows added: the next add number */
    uint64_t retracted; /* rows retracted: the add number of the oldest row */
} fq_state;

static fq_ent *fq_at(const fq_state *q, uint32_t i)
{
    return &q->ring[(q->head + i) & (q->cap - 1)];
}

static vg_value fq_value(vg_type t, const fq_ent *e)
{
    if (t != VG_T_STRING)
        return agg_key_value(t, e->key, 0);
    const char *block = (const char *)(uintptr_t)e->key;
    uint32_t len;
    memcpy(&len, block, sizeof len);
    return vg_str(block + sizeof len, len);
}

static void fq_drop(vg_type t, fq_ent *e)
{
    if (t == VG_T_STRING)
        vg_free((void *)(uintptr_t)e->key);
}

static void fq_clear(const vg_agg_call *c, fq_state *q)
{
    for (uint32_t i = 0; i < q->count; i++)
        fq_drop(c->argt[0], fq_at(q, i));
    vg_free(q->ring);
    memset(q, 0, sizeof *q);
}

/* Whether a row of value v added after e makes e hopeless. */
static bool fq_dominates(const vg_agg_call *c, const fq_ent *e, const vg_value *v)
{
    int kind = kind_of(c);
    if (kind == K_FIRST || kind == K_LAST)
        return kind == K_LAST;
    vg_value ev = fq_value(c->argt[0], e);
    int cmp = vg_value_cmp(c->argt[0], &ev, v);
    return kind == K_MIN ? cmp >= 0 : cmp <= 0;
}

/* Append a row of value v and add number seq. 0 or -1 (unchanged). */
static int fq_push(const vg_agg_call *c, fq_state *q, const vg_value *v, uint64_t seq)
{
    vg_type t = c->argt[0];
    if (q->count == q->cap) {
        uint32_t cap = q->cap ? q->cap * 2 : 4;
        fq_ent *ring = q->cap >= FL_MAX_CAP ? NULL : vg_malloc(VG_MEM_STATE, cap * sizeof *ring);
        if (!ring)
            return -1;
        for (uint32_t i = 0; i < q->count; i++)
            ring[i] = *fq_at(q, i);
        vg_free(q->ring);
        q->ring = ring;
        q->cap = cap;
        q->head = 0;
    }
    uint64_t key = agg_key_of(t, v);
    if (t == VG_T_STRING) {
        char *block = vg_malloc(VG_MEM_STATE, sizeof v->len + v->len);
        if (!block)
            return -1;
        memcpy(block, &v->len, sizeof v->len);
        if (v->len)
            memcpy(block + sizeof v->len, v->u.s, v->len);
        key = (uint64_t)(uintptr_t)block;
    }
    while (q->count && fq_dominates(c, fq_at(q, q->count - 1), v))
        fq_drop(t, fq_at(q, --q->count));
    *fq_at(q, q->count++) = (fq_ent){key, seq};
    return 0;
}

static int fq_add(const vg_agg_call *c, fq_state *q, const vg_value *v)
{
    if (fq_push(c, q, v, q->added) < 0)
        return -1;
    q->added++;
    return 0;
}

/* The oldest row leaves, whatever its value. */
static int fq_retract(const vg_agg_call *c, fq_state *q)
{
    if (q->added == q->retracted)
        return 0; /* empty: nothing to take back */
    if (q->count && fq_at(q, 0)->seq == q->retracted) {
        fq_drop(c->argt[0], fq_at(q, 0));
        q->head = (q->head + 1) & (q->cap - 1);
        q->count--;
    }
    if (++q->retracted == q->added)
        fq_clear(c, q); /* empty: free the ring, restart the numbers */
    return 0;
}

/* other's rows, as if added after q's. */
static int fq_merge(const vg_agg_call *c, fq_state *q, const fq_state *o)
{
    for (uint32_t i = 0; i < o->count; i++) {
        const fq_ent *e = fq_at(o, i);
        vg_value v = fq_value(c->argt[0], e);
        if (fq_push(c, q, &v, q->added + (e->seq - o->retracted)) < 0)
            return -1;
    }
    q->added += o->added - o->retracted;
    return 0;
}

static void fq_result(const vg_agg_call *c, const fq_state *q, vg_value *out)
{
    *out = q->count ? fq_value(c->argt[0], fq_at(q, 0)) : vg_null();
}

/* Rows in the set, entries, then each entry's place among the rows (0 the
 * oldest) and value. */
static int fq_snapshot(const vg_agg_call *c, const fq_state *q, vg_buf *out)
{
    if (agg_put_u64(out, q->added - q->retracted) < 0 || agg_put_u32(out, q->count) < 0)
        return -1;
    for (uint32_t i = 0; i < q->count; i++) {
        const fq_ent *e = fq_at(q, i);
        vg_value v = fq_value(c->argt[0], e);
        if (agg_put_u64(out, e->seq - q->retracted) < 0 || agg_put_value(out, c->argt[0], &v) < 0)
            return -1;
    }
    return 0;
}

/* Places must rise, stay below the row count and end with the newest row. */
static int fq_restore(const vg_agg_call *c, fq_state *q, const char **p, const char *end)
{
    uint64_t rows, place, prev = 0;
    uint32_t n;
    if (agg_get_u64(p, end, &rows) < 0 || rows > (uint64_t)1 << 61 || agg_get_u32(p, end, &n) < 0 ||
        (rows > 0) != (n > 0))
        return -1;
    for (uint32_t i = 0; i < n; i++) {
        vg_value v;
        uint32_t before = q->count;
        if (agg_get_u64(p, end, &place) < 0 || place >= rows || (i > 0 && place <= prev) ||
            (i == n - 1 && place != rows - 1) || agg_get_value(p, end, c->argt[0], &v) < 0 ||
            fq_push(c, q, &v, place) < 0 || q->count != before + 1)
            return -1; /* q->count shrank: the entries were not a deque of this kind */
        prev = place;
    }
    q->added = rows;
    return 0;
}

static size_t fq_heap(const vg_agg_call *c, const fq_state *q)
{
    size_t n = (size_t)q->cap * sizeof(fq_ent);
    for (uint32_t i = 0; c->argt[0] == VG_T_STRING && i < q->count; i++)
        n += sizeof(uint32_t) + fq_value(VG_T_STRING, fq_at(q, i)).len;
    return n;
}

/* ---- MIN and MAX ---- */

static int min_check(vg_agg_bind *b) { return agg_check_any(b, "MIN"); }
static int max_check(vg_agg_bind *b) { return agg_check_any(b, "MAX"); }

static size_t mset_size(const vg_agg_call *c)
{
    return c->fifo ? sizeof(fq_state) : sizeof(vg_mset);
}

static void mset_init(const vg_agg_call *c, void *st)
{
    if (c->fifo)
        memset(st, 0, sizeof(fq_state));
    else
        vg_mset_init(st, c->argt[0]);
}

static int mset_add(const vg_agg_call *c, void *st, const vg_value *args)
{
    return c->fifo ? fq_add(c, st, &args[0]) : vg_mset_add(st, &args[0], 1);
}

static int mset_retract(const vg_agg_call *c, void *st, const vg_value *args)
{
    if (c->fifo)
        return fq_retract(c, st);
    vg_mset_remove(st, &args[0], 1); /* a value never added is ignored */
    return 0;
}

static int add_visit(void *ctx, const vg_value *v, uint64_t count)
{
    return vg_mset_add(ctx, v, count);
}

static int mset_merge(const vg_agg_call *c, void *st, const void *other)
{
    return c->fifo ? fq_merge(c, st, other) : vg_mset_each(other, add_visit, st);
}

static void min_result(const vg_agg_call *c, const void *st, vg_value *out)
{
    if (c->fifo)
        fq_result(c, st, out);
    else if (!vg_mset_min(st, out))
        *out = vg_null();
}

static void max_result(const vg_agg_call *c, const void *st, vg_value *out)
{
    if (c->fifo)
        fq_result(c, st, out);
    else if (!vg_mset_max(st, out))
        *out = vg_null();
}

static void mset_destroy(const vg_agg_call *c, void *st)
{
    if (c->fifo)
        fq_clear(c, st);
    else
        vg_mset_clear(st);
}

typedef struct put_ctx {
    vg_buf *out; /* where the values go */
    vg_type t;   /* their type */
} put_ctx;

static int put_visit(void *ctx, const vg_value *v, uint64_t count)
{
    put_ctx *pc = ctx;
    return agg_put_value(pc->out, pc->t, v) < 0 || agg_put_u64(pc->out, count) < 0 ? -1 : 0;
}

/* Bytes: u32 distinct values, then each (value, u64 count), ascending. */
static int mset_snapshot(const vg_agg_call *c, const void *st, vg_buf *out)
{
    if (c->fifo)
        return fq_snapshot(c, st, out);
    const vg_mset *m = st;
    put_ctx pc = {out, c->argt[0]};
    return agg_put_u32(out, m->distinct) < 0 ? -1 : vg_mset_each(m, put_visit, &pc);
}

/* Values come in ascending order, each with a count of at least 1. */
static int mset_restore(const vg_agg_call *c, void *st, const char **p, const char *end)
{
    vg_type t = c->argt[0];
    uint32_t n;
    vg_value prev = vg_null();
    if (c->fifo)
        return fq_restore(c, st, p, end);
    if (agg_get_u32(p, end, &n) < 0)
        return -1;
    for (uint32_t i = 0; i < n; i++) {
        vg_value v;
        uint64_t count;
        if (agg_get_value(p, end, t, &v) < 0 || agg_get_u64(p, end, &count) < 0 || count == 0 ||
            (i > 0 && vg_value_cmp(t, &prev, &v) >= 0) || vg_mset_add(st, &v, count) < 0)
            return -1;
        prev = v;
    }
    return 0;
}

static size_t mset_heap(const vg_agg_call *c, const void *st)
{
    return c->fifo ? fq_heap(c, st) : vg_mset_heap_bytes(st);
}

/* ---- FIRST_VALUE and LAST_VALUE ---- */

#define FL_NONE UINT32_MAX       /* no newer entry of the same value */
#define FL_DEAD (UINT32_MAX - 1) /* the entry's row was retracted */

typedef struct fl_ent {
    uint64_t key;  /* agg_key_of the row's value (a STRING: the map's copy) */
    uint32_t len;  /* STRING length */
    uint32_t next; /* ring index of the next newer live entry of the same value,
                      FL_NONE, or FL_DEAD */
} fl_ent;

typedef struct fl_state {
    fl_ent *ring;   /* cap entries, oldest at head; NULL while the set is empty */
    uint32_t cap;   /* a power of two, or 0 */
    uint32_t head;  /* ring index of the oldest slot in use */
    uint32_t used;  /* slots in use from head, live and dead */
    uint32_t live;  /* rows in the set */
    agg_hmap byval; /* value -> aux: ring index of its oldest live entry, and of its
                       newest in the high 32 bits */
} fl_state;

static int first_check(vg_agg_bind *b) { return agg_check_any(b, "FIRST_VALUE"); }
static int last_check(vg_agg_bind *b) { return agg_check_any(b, "LAST_VALUE"); }

static uint32_t fl_slot(const fl_state *s, uint32_t i) { return (s->head + i) & (s->cap - 1); }

static vg_value fl_value(vg_type t, const fl_ent *e) { return agg_key_value(t, e->key, e->len); }

static size_t fl_size(const vg_agg_call *c)
{
    return c->fifo ? sizeof(fq_state) : sizeof(fl_state);
}

static void fl_init(const vg_agg_call *c, void *st) { memset(st, 0, fl_size(c)); }

static void fl_destroy(const vg_agg_call *c, void *st)
{
    if (c->fifo) {
        fq_clear(c, st);
        return;
    }
    fl_state *s = st;
    agg_hmap_clear(&s->byval, c->argt[0]);
    vg_free(s->ring);
    memset(s, 0, sizeof *s);
}

/* Rebuild every value's chain from the ring, whose entries are all live. */
static void fl_relink(fl_state *s, vg_type t)
{
    for (uint32_t i = 0; i < s->byval.cap; i++)
        s->byval.slots[i].aux = UINT64_MAX;
    for (uint32_t i = 0; i < s->used; i++) {
        uint32_t x = fl_slot(s, i);
        s->ring[x].next = FL_NONE;
        vg_value v = fl_value(t, &s->ring[x]);
        agg_hent *h = agg_hmap_find(&s->byval, t, &v);
        uint32_t newest = (uint32_t)(h->aux >> 32);
        if (newest == FL_NONE)
            h->aux = x;
        else
            s->ring[newest].next = x;
        h->aux = (h->aux & 0xFFFFFFFFu) | (uint64_t)x << 32;
    }
}

/* Drop dead entries, in place. */
static void fl_compact(fl_state *s, vg_type t)
{
    uint32_t w = 0;
    for (uint32_t i = 0; i < s->used; i++) {
        fl_ent e = s->ring[fl_slot(s, i)];
        if (e.next != FL_DEAD)
            s->ring[fl_slot(s, w++)] = e;
    }
    s->used = w;
    fl_relink(s, t);
}

/* Make room for one more entry. 0 or -1 (the state unchanged). */
static int fl_reserve(fl_state *s, vg_type t)
{
    if (s->used < s->cap)
        return 0;
    if (s->cap && s->used - s->live >= s->cap / 2) {
        fl_compact(s, t);
        return 0;
    }
    uint32_t cap = s->cap ? s->cap * 2 : 4, w = 0;
    fl_ent *ring = s->cap >= FL_MAX_CAP ? NULL : vg_malloc(VG_MEM_STATE, cap * sizeof *ring);
    if (!ring)
        return -1;
    for (uint32_t i = 0; i < s->used; i++) {
        fl_ent *e = &s->ring[fl_slot(s, i)];
        if (e->next != FL_DEAD)
            ring[w++] = *e;
    }
    vg_free(s->ring);
    s->ring = ring;
    s->cap = cap;
    s->head = 0;
    s->used = w;
    fl_relink(s, t);
    return 0;
}

static int fl_add(const vg_agg_call *c, void *st, const vg_value *args)
{
    fl_state *s = st;
    vg_type t = c->argt[0];
    if (c->fifo)
        return fq_add(c, st, &args[0]);
    if (fl_reserve(s, t) < 0)
        return -1;
    agg_hent *h = agg_hmap_find(&s->byval, t, &args[0]);
    bool fresh = !h;
    if (fresh && !(h = agg_hmap_insert(&s->byval, t, &args[0]))) {
        if (!s->live) /* leave an empty state as it was: nothing allocated */
            fl_destroy(c, st);
        return -1;
    }
    uint32_t x = fl_slot(s, s->used);
    fl_ent *e = &s->ring[x];
    e->key = t == VG_T_STRING ? h->key : agg_key_of(t, &args[0]);
    e->len = h->len;
    e->next = FL_NONE;
    if (fresh)
        h->aux = x;
    else
        s->ring[h->aux >> 32].next = x;
    h->aux = (h->aux & 0xFFFFFFFFu) | (uint64_t)x << 32;
    s->used++;
    s->live++;
    return 0;
}

/* Retract the oldest live row whose value equals args[0]. */
static int fl_retract(const vg_agg_call *c, void *st, const vg_value *args)
{
    fl_state *s = st;
    vg_type t = c->argt[0];
    if (c->fifo)
        return fq_retract(c, st);
    agg_hent *h = agg_hmap_find(&s->byval, t, &args[0]);
    if (!h)
        return 0; /* never added */
    fl_ent *e = &s->ring[(uint32_t)h->aux];
    uint32_t next = e->next;
    e->next = FL_DEAD;
    if (next == FL_NONE)
        agg_hmap_remove(&s->byval, t, h);
    else
        h->aux = (h->aux & ~(uint64_t)0xFFFFFFFFu) | next;
    if (--s->live == 0) {
        fl_destroy(c, st);
        return 0;
    }
    while (s->ring[s->head].next == FL_DEAD) {
        s->head = (s->head + 1) & (s->cap - 1);
        s->used--;
    }
    while (s->ring[fl_slot(s, s->used - 1)].next == FL_DEAD)
        s->used--;
    if (s->used >= 32 && s->used - s->live > s->live)
        fl_compact(s, t);
    return 0;
}

static int fl_merge(const vg_agg_call *c, void *st, const void *other)
{
    const fl_state *o = other;
    if (c->fifo)
        return fq_merge(c, st, other);
    for (uint32_t i = 0; i < o->used; i++) {
        const fl_ent *e = &o->ring[fl_slot(o, i)];
        if (e->next == FL_DEAD)
            continue;
        vg_value v = fl_value(c->argt[0], e);
        if (fl_add(c, st, &v) < 0)
            return -1;
    }
    return 0;
}

static void first_result(const vg_agg_call *c, const void *st, vg_value *out)
{
    const fl_state *s = st;
    if (c->fifo)
        fq_result(c, st, out);
    else
        *out = s->live ? fl_value(c->argt[0], &s->ring[s->head]) : vg_null();
}

static void last_result(const vg_agg_call *c, const void *st, vg_value *out)
{
    const fl_state *s = st;
    if (c->fifo)
        fq_result(c, st, out);
    else
        *out = s->live ? fl_value(c->argt[0], &s->ring[fl_slot(s, s->used - 1)]) : vg_null();
}

/* The live rows' values, oldest first. */
static int fl_snapshot(const vg_agg_call *c, const void *st, vg_buf *out)
{
    const fl_state *s = st;
    if (c->fifo)
        return fq_snapshot(c, st, out);
    if (agg_put_u32(out, s->live) < 0)
        return -1;
    for (uint32_t i = 0; i < s->used; i++) {
        const fl_ent *e = &s->ring[fl_slot(s, i)];
        if (e->next == FL_DEAD)
            continue;
        vg_value v = fl_value(c->argt[0], e);
        if (agg_put_value(out, c->argt[0], &v) < 0)
            return -1;
    }
    return 0;
}

static int fl_restore(const vg_agg_call *c, void *st, const char **p, const char *end)
{
    uint32_t n;
    if (c->fifo)
        return fq_restore(c, st, p, end);
    if (agg_get_u32(p, end, &n) < 0)
        return -1;
    for (uint32_t i = 0; i < n; i++) {
        vg_value v;
        if (agg_get_value(p, end, c->argt[0], &v) < 0 || fl_add(c, st, &v) < 0)
            return -1;
    }
    return 0;
}

static size_t fl_heap(const vg_agg_call *c, const void *st)
{
    const fl_state *s = st;
    if (c->fifo)
        return fq_heap(c, st);
    return (size_t)s->cap * sizeof(fl_ent) + agg_hmap_heap_bytes(&s->byval, c->argt[0]);
}

/* ---- the table ---- */

#define ONE_ARG .min_args = 1, .max_args = 1, .ignores_nulls = true
#define MSET_OPS                                                                                   \
    .state_size = mset_size, .init = mset_init, .add = mset_add, .retract = mset_retract,          \
    .merge = mset_merge, .destroy = mset_destroy, .snapshot = mset_snapshot,                       \
    .restore = mset_restore, .heap_bytes = mset_heap, .dup_insensitive = true
#define FL_OPS                                                                                     \
    .state_size = fl_size, .init = fl_init, .add = fl_add, .retract = fl_retract,                  \
    .merge = fl_merge, .destroy = fl_destroy, .snapshot = fl_snapshot, .restore = fl_restore,      \
    .heap_bytes = fl_heap

const vg_agg vg_agg_minmax_table[] = {
    {.name = "FIRST_VALUE",
     ONE_ARG,
     FL_OPS,
     .check = first_check,
     .result = first_result,
     .synopsis = "FIRST_VALUE(x)",
     .doc = "The value of x in the earliest added row where x is not NULL (NULLs are "
            "skipped, as in Flink), of x's type; NULL over no such row. When a row leaves, "
            "the oldest row with an equal value leaves."},
    {.name = "LAST_VALUE",
     ONE_ARG,
     FL_OPS,
     .check = last_check,
     .result = last_result,
     .synopsis = "LAST_VALUE(x)",
     .doc = "The value of x in the latest added row where x is not NULL (NULLs are "
            "skipped, as in Flink), of x's type; NULL over no such row."},
    {.name = "MAX",
     ONE_ARG,
     MSET_OPS,
     .check = max_check,
     .result = max_result,
     .synopsis = "MAX(x)",
     .doc = "The greatest non-NULL value of x (any type: numbers, STRING by bytes, "
            "BOOLEAN with FALSE < TRUE, TIMESTAMP, INTERVAL), of x's type; NULL over no "
            "values. A DOUBLE NaN is greater than every number."},
    {.name = "MIN",
     ONE_ARG,
     MSET_OPS,
     .check = min_check,
     .result = min_result,
     .synopsis = "MIN(x)",
     .doc = "The least non-NULL value of x (any type, ordered as for MAX), of x's type; NULL "
            "over no values."},
};
const size_t vg_agg_minmax_count = sizeof vg_agg_minmax_table / sizeof vg_agg_minmax_table[0];
