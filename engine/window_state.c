/*
 * window_state.c — the window operator's keyed state: GROUP BY keys in a
 * keymap.h table (the key bytes as keymap.h encodes them: the source
 * partition, then the key columns), each with its live groups (one per
 * window), and the keymap.h heap that orders every live group by when and
 * in which order it fires. Windows open and fire all the time, so freed
 * group blocks wait in a small pool for the next group, and a key's first
 * groups are listed in the key itself: a steady stream allocates nothing.
 */
#include <string.h>

#include "engine/window_int.h"

/* ---- keys ---- */

/* The firing order: (end, start, seq), least first. */
static bool fires_before(const void *x, const void *y)
{
    const win_group *a = x, *b = y;
    if (a->end != b->end)
        return a->end < b->end;
    if (a->start != b->start)
        return a->start < b->start;
    return a->seq < b->seq;
}

static uint32_t *heap_at(void *g) { return &((win_group *)g)->at; }

void win_state_init(win_state *st)
{
    vg_keymap_init(&st->keys, sizeof(win_key));
    memset(&st->heap, 0, sizeof st->heap);
    st->heap.less = fires_before;
    st->heap.at = heap_at;
    st->pool = NULL;
    st->npool = 0;
}

/* wk's groups array, when it is allocated (not the inline one). */
static void free_group_array(win_key *wk)
{
    if (wk->groups != wk->inl)
        vg_free(wk->groups);
}

int win_key_encode(win_state *st, const vg_value *row)
{
    const vg_plan_node *n = st->node;
    return vg_keymap_encode(&st->key, st->env->partition, st->in, n->u.window.keys,
                            n->u.window.nkeys, row);
}

vg_keymap_entry *win_key_get(win_state *st, const char *p, uint32_t len)
{
    return vg_keymap_get(&st->keys, p, len, NULL);
}

void win_key_release(win_state *st, vg_keymap_entry *k)
{
    win_key *wk = win_key_of(k);
    if (wk->ngroups)
        return;
    free_group_array(wk);
    vg_keymap_remove(&st->keys, k);
}

win_group *win_key_find(const vg_keymap_entry *k, int64_t start, int64_t end)
{
    const win_key *wk = win_key_of(k);
    for (uint32_t i = 0; i < wk->ngroups; i++)
        if (wk->groups[i]->start == start && wk->groups[i]->end == end)
            return wk->groups[i];
    return NULL;
}

/* ---- groups ---- */

/* Room for one more group in wk's groups. 0 or -1. */
static int reserve_groups(win_key *wk)
{
    if (wk->ngroups < wk->cap)
        return 0;
    if (!wk->cap) {
        wk->groups = wk->inl;
        wk->cap = WIN_KEY_INLINE;
        return 0;
    }
    uint32_t cap = wk->cap * 2;
    win_group **na = vg_malloc(VG_MEM_STATE, cap * sizeof *na);
    if (!na)
        return -1;
    memcpy(na, wk->groups, wk->ngroups * sizeof *na);
    free_group_array(wk);
    wk->groups = na;
    wk->cap = cap;
    return 0;
}

/* A group block: a pooled one, else a new one. NULL when out of memory. */
static win_group *group_alloc(win_state *st)
{
    win_group *g = st->pool;
    if (!g)
        return vg_malloc(VG_MEM_STATE, WIN_GROUP_HDR + st->states_size);
    st->pool = g->next_free;
    st->npool--;
    return g;
}

/* Give a group block back: to the pool while it holds less than WIN_POOL. */
static void group_release(win_state *st, win_group *g)
{
    if (st->npool >= WIN_POOL) {
        vg_free(g);
        return;
    }
    g->next_free = st->pool;
    st->pool = g;
    st->npool++;
}

/* Where a new group goes in wk's groups: for SESSION, after the sessions
 * that start before it; else at the end. */
static uint32_t insert_at(const win_state *st, const win_key *wk, int64_t start)
{
    uint32_t i = wk->ngroups;
    if (st->node->u.window.spec.kind == VG_WINDOW_SESSION)
        while (i > 0 && wk->groups[i - 1]->start > start)
            i--;
    return i;
}

win_group *win_group_new(win_state *st, vg_keymap_entry *k, int64_t start, int64_t end,
                         uint64_t seq)
{
    win_key *wk = win_key_of(k);
    if (reserve_groups(wk) < 0)
        return NULL;
    win_group *g = group_alloc(st);
    if (!g)
        return NULL;
    g->start = start;
    g->end = end;
    g->seq = seq;
    g->key = k;
    if (vg_keymap_heap_push(&st->heap, g) < 0) {
        group_release(st, g);
        return NULL;
    }
    for (uint32_t a = 0; a < st->naggs; a++)
        vg_agg_init(&st->node->u.window.aggs[a].call, win_group_states(g) + st->offs[a]);
    if (st->rows)
        *win_rows_of(g) = (win_rows){0};
    uint32_t i = insert_at(st, wk, start);
    memmove(&wk->groups[i + 1], &wk->groups[i], (wk->ngroups - i) * sizeof *wk->groups);
    wk->groups[i] = g;
    wk->ngroups++;
    return g;
}

void win_group_free(win_state *st, win_group *g)
{
    win_key *wk = win_key_of(g->key);
    uint32_t i = 0;
    while (wk->groups[i] != g)
        i++;
    memmove(&wk->groups[i], &wk->groups[i + 1], (wk->ngroups - i - 1) * sizeof *wk->groups);
    wk->ngroups--;
    vg_keymap_heap_remove(&st->heap, g);
    for (uint32_t a = 0; a < st->naggs; a++)
        vg_agg_destroy(&st->node->u.window.aggs[a].call, win_group_states(g) + st->offs[a]);
    if (st->rows)
        win_rows_free(g);
    vg_keymap_entry *k = g->key;
    group_release(st, g);
    win_key_release(st, k);
}

static void free_groups(void *arg, vg_keymap_entry *k)
{
    (void)arg;
    free_group_array(win_key_of(k));
}

void win_state_clear(win_state *st)
{
    while (st->heap.n)
        win_group_free(st, st->heap.items[st->heap.n - 1]);
    /* keys made for rows that added no group are released at once, so
     * none should be left; the buckets go */
    vg_keymap_clear(&st->keys, free_groups, NULL);
    vg_keymap_heap_free(&st->heap);
    while (st->pool) {
        win_group *g = st->pool;
        st->pool = g->next_free;
        vg_free(g);
    }
    st->npool = 0;
}

void win_group_row(win_state *st, const win_group *g)
{
    const vg_plan_node *n = st->node;
    vg_value *out = st->out;
    out[0] = vg_int(g->start);
    out[1] = vg_int(g->end);
    out[2] = vg_int(g->end - 1);
    vg_keymap_decode(vg_keymap_key(&st->keys, g->key), st->in, n->u.window.keys, n->u.window.nkeys,
                     out + 3);
    vg_value *res = out + 3 + n->u.window.nkeys;
    for (uint32_t a = 0; a < st->naggs; a++)
        vg_agg_result(&n->u.window.aggs[a].call, win_group_states(g) + st->offs[a], &res[a]);
}
