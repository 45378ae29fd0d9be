/*
 * window_state.c — the window operator's keyed state: GROUP BY keys in a
 * chained hash map, each with its live groups (one per window), and the
 * heap that orders every live group by when and in which order it fires.
 *
 * A key is encoded as bytes: the source partition of the row (4 bytes:
 * state is kept per source partition, DESIGN.md "Scale-out"), then column
 * by column: a NULL flag byte, then for
 * a value 8 bytes (INT, BIGINT, BOOLEAN, TIMESTAMP, INTERVAL, DOUBLE with
 * -0.0 made 0.0 so that equal numbers group together) or a 4-byte length
 * and the bytes of a STRING. Equal keys have equal bytes, so the bytes are
 * hashed and compared as they are, and decoded back for output.
 */
#include <string.h>

#include "engine/window_int.h"

/* ---- keys ---- */

int win_key_encode(win_state *st, const vg_value *row)
{
    const vg_plan_node *n = st->node;
    vg_buf *b = &st->key;
    vg_buf_clear(b);
    int32_t partition = st->env->partition;
    if (vg_buf_append(b, &partition, sizeof partition) < 0)
        return -1;
    for (uint32_t i = 0; i < n->u.window.nkeys; i++) {
        uint32_t slot = n->u.window.keys[i];
        const vg_value *v = &row[slot];
        char flag = v->null ? 0 : 1;
        if (vg_buf_putc(b, flag) < 0)
            return -1;
        if (v->null)
            continue;
        if (st->in->cols[slot].type == VG_T_STRING) {
            if (vg_buf_append(b, &v->len, 4) < 0 || vg_buf_append(b, v->u.s, v->len) < 0)
                return -1;
        } else {
            vg_value w = *v;
            if (st->in->cols[slot].type == VG_T_DOUBLE && w.u.d == 0)
                w.u.d = 0.0; /* -0.0 and 0.0 are one group */
            if (vg_buf_append(b, &w.u.i, 8) < 0)
                return -1;
        }
    }
    return 0;
}

void win_key_decode(const win_state *st, const win_key *k, vg_value *out)
{
    const vg_plan_node *n = st->node;
    const char *p = k->bytes + sizeof(int32_t); /* after the partition */
    for (uint32_t i = 0; i < n->u.window.nkeys; i++) {
        uint32_t slot = n->u.window.keys[i];
        vg_value *v = &out[i];
        memset(v, 0, sizeof *v);
        if (*p++ == 0) {
            v->null = 1;
            continue;
        }
        if (st->in->cols[slot].type == VG_T_STRING) {
            memcpy(&v->len, p, 4);
            v->u.s = p + 4;
            p += 4 + v->len;
        } else {
            memcpy(&v->u.i, p, 8);
            p += 8;
        }
    }
}

/* FNV-1a, then a final mix so that the low bits (the bucket) depend on
 * every byte. */
static uint64_t hash_bytes(const char *p, uint32_t n)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (uint32_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)p[i]) * 0x100000001b3ull;
    h ^= h >> 29;
    h *= 0xbf58476d1ce4e5b9ull;
    return h ^ (h >> 32);
}

/* Double the buckets (or make the first 16). -1 when out of memory: the
 * map stays as it was, only more loaded. */
static int grow_buckets(win_state *st)
{
    uint32_t n = st->nbuckets ? st->nbuckets * 2 : 16;
    win_key **nb = vg_calloc(VG_MEM_STATE, n, sizeof *nb);
    if (!nb)
        return -1;
    for (uint32_t i = 0; i < st->nbuckets; i++) {
        win_key *k = st->buckets[i], *next;
        for (; k; k = next) {
            next = k->next;
            k->next = nb[k->hash & (n - 1)];
            nb[k->hash & (n - 1)] = k;
        }
    }
    vg_free(st->buckets);
    st->buckets = nb;
    st->nbuckets = n;
    return 0;
}

win_key *win_key_get(win_state *st, const char *p, uint32_t len)
{
    uint64_t h = hash_bytes(p, len);
    if (st->nbuckets) {
        for (win_key *k = st->buckets[h & (st->nbuckets - 1)]; k; k = k->next)
            if (k->hash == h && k->len == len && (!len || memcmp(k->bytes, p, len) == 0))
                return k;
    }
    if (st->nkeys >= st->nbuckets && grow_buckets(st) < 0 && st->nbuckets == 0)
        return NULL; /* a failed growth is harmless unless there is no map yet */
    win_key *k = vg_malloc(VG_MEM_STATE, sizeof *k + len);
    if (!k)
        return NULL;
    memset(k, 0, sizeof *k);
    k->hash = h;
    k->len = len;
    if (len)
        memcpy(k->bytes, p, len);
    win_key **b = &st->buckets[h & (st->nbuckets - 1)];
    k->next = *b;
    *b = k;
    st->nkeys++;
    return k;
}

void win_key_release(win_state *st, win_key *k)
{
    if (k->ngroups)
        return;
    win_key **pp = &st->buckets[k->hash & (st->nbuckets - 1)];
    while (*pp != k)
        pp = &(*pp)->next;
    *pp = k->next;
    st->nkeys--;
    vg_free(k->groups);
    vg_free(k);
}

win_group *win_key_find(const win_key *k, int64_t start, int64_t end)
{
    for (uint32_t i = 0; i < k->ngroups; i++)
        if (k->groups[i]->start == start && k->groups[i]->end == end)
            return k->groups[i];
    return NULL;
}

/* ---- the firing heap ---- */

static bool fires_before(const win_group *a, const win_group *b)
{
    if (a->end != b->end)
        return a->end < b->end;
    if (a->start != b->start)
        return a->start < b->start;
    return a->seq < b->seq;
}

static void heap_set(win_state *st, uint32_t i, win_group *g)
{
    st->heap[i] = g;
    g->at = i;
}

static void sift_up(win_state *st, uint32_t i)
{
    win_group *g = st->heap[i];
    while (i > 0) {
        uint32_t parent = (i - 1) / 2;
        if (!fires_before(g, st->heap[parent]))
            break;
        heap_set(st, i, st->heap[parent]);
        i = parent;
    }
    heap_set(st, i, g);
}

static void sift_down(win_state *st, uint32_t i)
{
    win_group *g = st->heap[i];
    for (;;) {
        uint32_t c = 2 * i + 1;
        if (c >= st->nheap)
            break;
        if (c + 1 < st->nheap && fires_before(st->heap[c + 1], st->heap[c]))
            c++;
        if (!fires_before(st->heap[c], g))
            break;
        heap_set(st, i, st->heap[c]);
        i = c;
    }
    heap_set(st, i, g);
}

void win_heap_fix(win_state *st, win_group *g)
{
    uint32_t i = g->at;
    sift_up(st, i);
    if (g->at == i)
        sift_down(st, i);
}

static void heap_remove(win_state *st, win_group *g)
{
    uint32_t i = g->at;
    win_group *last = st->heap[--st->nheap];
    if (last == g)
        return;
    heap_set(st, i, last);
    win_heap_fix(st, last);
}

/* Room for one more group in k's groups / in the heap. 0 or -1. */
static int reserve_groups(win_key *k)
{
    if (k->ngroups < k->cap)
        return 0;
    uint32_t cap = k->cap ? k->cap * 2 : 2;
    win_group **na = vg_realloc(VG_MEM_STATE, k->groups, cap * sizeof *na);
    if (!na)
        return -1;
    k->groups = na;
    k->cap = cap;
    return 0;
}

static int reserve_heap(win_state *st)
{
    if (st->nheap < st->heapcap)
        return 0;
    uint32_t cap = st->heapcap ? st->heapcap * 2 : 64;
    win_group **na = vg_realloc(VG_MEM_STATE, st->heap, cap * sizeof *na);
    if (!na)
        return -1;
    st->heap = na;
    st->heapcap = cap;
    return 0;
}

/* ---- groups ---- */

/* Where a new group goes in k's groups: for SESSION, after the sessions
 * that start before it; else at the end. */
static uint32_t insert_at(const win_state *st, const win_key *k, int64_t start)
{
    uint32_t i = k->ngroups;
    if (st->node->u.window.spec.kind == VG_WINDOW_SESSION)
        while (i > 0 && k->groups[i - 1]->start > start)
            i--;
    return i;
}

win_group *win_group_new(win_state *st, win_key *k, int64_t start, int64_t end, uint64_t seq)
{
    if (reserve_groups(k) < 0 || reserve_heap(st) < 0)
        return NULL;
    win_group *g = vg_malloc(VG_MEM_STATE, WIN_GROUP_HDR + st->states_size);
    if (!g)
        return NULL;
    g->start = start;
    g->end = end;
    g->seq = seq;
    g->key = k;
    for (uint32_t a = 0; a < st->naggs; a++)
        vg_agg_init(&st->node->u.window.aggs[a].call, win_group_states(g) + st->offs[a]);
    uint32_t i = insert_at(st, k, start);
    memmove(&k->groups[i + 1], &k->groups[i], (k->ngroups - i) * sizeof *k->groups);
    k->groups[i] = g;
    k->ngroups++;
    heap_set(st, st->nheap++, g);
    sift_up(st, g->at);
    return g;
}

void win_group_free(win_state *st, win_group *g)
{
    win_key *k = g->key;
    uint32_t i = 0;
    while (k->groups[i] != g)
        i++;
    memmove(&k->groups[i], &k->groups[i + 1], (k->ngroups - i - 1) * sizeof *k->groups);
    k->ngroups--;
    heap_remove(st, g);
    for (uint32_t a = 0; a < st->naggs; a++)
        vg_agg_destroy(&st->node->u.window.aggs[a].call, win_group_states(g) + st->offs[a]);
    vg_free(g);
    win_key_release(st, k);
}

void win_state_clear(win_state *st)
{
    while (st->nheap)
        win_group_free(st, st->heap[st->nheap - 1]);
    /* keys made for rows that added no group are released at once, so
     * none is left; the buckets go */
    vg_free(st->buckets);
    st->buckets = NULL;
    st->nbuckets = 0;
    vg_free(st->heap);
    st->heap = NULL;
    st->heapcap = 0;
}

void win_group_row(win_state *st, const win_group *g)
{
    const vg_plan_node *n = st->node;
    vg_value *out = st->out;
    out[0] = vg_int(g->start);
    out[1] = vg_int(g->end);
    out[2] = vg_int(g->end - 1);
    win_key_decode(st, g->key, out + 3);
    vg_value *res = out + 3 + n->u.window.nkeys;
    for (uint32_t a = 0; a < st->naggs; a++)
        vg_agg_result(&n->u.window.aggs[a].call, win_group_states(g) + st->offs[a], &res[a]);
}
