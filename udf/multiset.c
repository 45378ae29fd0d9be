/*
 * multiset.c — the ordered multiset of MIN and MAX: a treap in a node pool.
 *
 * Nodes are addressed by index + 1 (0 is "no node") so that growing the
 * pool with realloc never invalidates a link. Free slots are chained
 * through their left link. A node's priority is a hash of its slot index:
 * fixed while the node lives, independent of the keys, and deterministic,
 * so the same operations always build the same tree.
 *
 * Recursion depth is the tree height, O(log n) expected.
 */
#include "udf/multiset.h"

#include <string.h>

#include "engine/alloc.h"

struct vg_mset_node {
    union {
        int64_t i;  /* BOOL, INT, BIGINT, TIMESTAMP, INTERVAL */
        double d;   /* DOUBLE */
        char *s;    /* STRING: the set's own copy */
    } k;            /* the value */
    uint64_t count; /* occurrences, > 0 */
    uint32_t len;   /* STRING length */
    uint32_t left;  /* smaller values (index + 1); the free chain for unused slots */
    uint32_t right; /* greater values */
    uint32_t prio;  /* heap order: a parent's priority is >= its children's */
};

#define NODE(m, x) (&(m)->nodes[(x)-1])
#define MAX_CAP    (UINT32_MAX / 2)

static uint32_t prio_of(uint32_t slot)
{
    uint32_t h = slot * 0x9E3779B1u;
    h ^= h >> 15;
    h *= 0x85EBCA77u;
    h ^= h >> 13;
    return h;
}

static vg_value key_of(const vg_mset *m, const vg_mset_node *n)
{
    if (m->type == VG_T_STRING)
        return vg_str(n->k.s, n->len);
    if (m->type == VG_T_DOUBLE)
        return vg_double(n->k.d);
    return vg_int(n->k.i);
}

static int cmp_key(const vg_mset *m, const vg_value *v, const vg_mset_node *n)
{
    if (m->type != VG_T_STRING && m->type != VG_T_DOUBLE)
        return v->u.i < n->k.i ? -1 : v->u.i > n->k.i;
    vg_value k = key_of(m, n);
    return vg_value_cmp((vg_type)m->type, v, &k);
}

void vg_mset_init(vg_mset *m, vg_type t)
{
    memset(m, 0, sizeof *m);
    m->type = (uint8_t)t;
}

static void free_strings(vg_mset *m, uint32_t x)
{
    if (!x)
        return;
    free_strings(m, NODE(m, x)->left);
    free_strings(m, NODE(m, x)->right);
    vg_free(NODE(m, x)->k.s);
}

void vg_mset_clear(vg_mset *m)
{
    if (m->type == VG_T_STRING)
        free_strings(m, m->root);
    vg_free(m->nodes);
    vg_mset_init(m, (vg_type)m->type);
}

/* ---- the pool ---- */

/* Make sure a free slot exists. 0 or -1 (the set unchanged). */
static int pool_reserve(vg_mset *m)
{
    if (m->free)
        return 0;
    uint32_t cap = m->cap ? m->cap * 2 : 4;
    if (m->cap >= MAX_CAP)
        return -1;
    vg_mset_node *nodes = vg_realloc(VG_MEM_STATE, m->nodes, (size_t)cap * sizeof *nodes);
    if (!nodes)
        return -1;
    m->nodes = nodes;
    for (uint32_t x = cap; x > m->cap; x--) {
        NODE(m, x)->left = m->free;
        m->free = x;
    }
    m->cap = cap;
    return 0;
}

static void pool_release(vg_mset *m, uint32_t x)
{
    if (m->type == VG_T_STRING)
        vg_free(NODE(m, x)->k.s);
    NODE(m, x)->left = m->free;
    m->free = x;
    m->distinct--;
}

/* ---- treap ---- */

static uint32_t rot_right(vg_mset *m, uint32_t x)
{
    uint32_t l = NODE(m, x)->left;
    NODE(m, x)->left = NODE(m, l)->right;
    NODE(m, l)->right = x;
    return l;
}

static uint32_t rot_left(vg_mset *m, uint32_t x)
{
    uint32_t r = NODE(m, x)->right;
    NODE(m, x)->right = NODE(m, r)->left;
    NODE(m, r)->left = x;
    return r;
}

/* What an insert or remove down the tree carries and reports. */
typedef struct walk {
    const vg_value *v; /* the value */
    uint64_t n;        /* occurrences to add or remove */
    int rc;            /* 0, or -1: out of memory (insert), too few held (remove) */
} walk;

/* Take a pool slot (one is free) for a new node of w's value. 0 when the
 * string copy cannot be made. */
static uint32_t new_node(vg_mset *m, walk *w)
{
    char *copy = NULL;
    if (m->type == VG_T_STRING) {
        copy = vg_malloc(VG_MEM_STATE, w->v->len ? w->v->len : 1);
        if (!copy) {
            w->rc = -1;
            return 0;
        }
        if (w->v->len)
            memcpy(copy, w->v->u.s, w->v->len);
    }
    uint32_t x = m->free;
    vg_mset_node *node = NODE(m, x);
    m->free = node->left;
    node->k.i = 0;
    if (copy)
        node->k.s = copy;
    else if (m->type == VG_T_DOUBLE)
        node->k.d = w->v->u.d;
    else
        node->k.i = w->v->u.i;
    node->len = copy ? w->v->len : 0;
    node->count = w->n;
    node->left = node->right = 0;
    node->prio = prio_of(x);
    m->distinct++;
    return x;
}

/* Add w's occurrences under t, in one walk down; returns t's new root. */
static uint32_t insert(vg_mset *m, uint32_t t, walk *w)
{
    if (!t)
        return new_node(m, w);
    int c = cmp_key(m, w->v, NODE(m, t));
    if (c == 0) {
        NODE(m, t)->count += w->n;
    } else if (c < 0) {
        uint32_t l = insert(m, NODE(m, t)->left, w);
        NODE(m, t)->left = l;
        if (l && NODE(m, l)->prio > NODE(m, t)->prio)
            t = rot_right(m, t);
    } else {
        uint32_t r = insert(m, NODE(m, t)->right, w);
        NODE(m, t)->right = r;
        if (r && NODE(m, r)->prio > NODE(m, t)->prio)
            t = rot_left(m, t);
    }
    return t;
}

/* Join two treaps, every key of a below every key of b. */
static uint32_t join(vg_mset *m, uint32_t a, uint32_t b)
{
    if (!a)
        return b;
    if (!b)
        return a;
    if (NODE(m, a)->prio > NODE(m, b)->prio) {
        NODE(m, a)->right = join(m, NODE(m, a)->right, b);
        return a;
    }
    NODE(m, b)->left = join(m, a, NODE(m, b)->left);
    return b;
}

/* Take w's occurrences from under t, in one walk down; returns t's new root.
 * A node whose count drops to 0 is unlinked and its slot freed. */
static uint32_t remove_walk(vg_mset *m, uint32_t t, walk *w)
{
    if (!t) {
        w->rc = -1;
        return 0;
    }
    vg_mset_node *node = NODE(m, t);
    int c = cmp_key(m, w->v, node);
    if (c < 0) {
        node->left = remove_walk(m, node->left, w);
    } else if (c > 0) {
        node->right = remove_walk(m, node->right, w);
    } else if (node->count < w->n) {
        w->rc = -1;
    } else if ((node->count -= w->n) == 0) {
        uint32_t r = join(m, node->left, node->right);
        pool_release(m, t);
        return r;
    }
    return t;
}

static uint32_t find(const vg_mset *m, const vg_value *v)
{
    uint32_t x = m->root;
    while (x) {
        int c = cmp_key(m, v, NODE(m, x));
        if (c == 0)
            return x;
        x = c < 0 ? NODE(m, x)->left : NODE(m, x)->right;
    }
    return 0;
}

/* ---- the public operations ---- */

int vg_mset_add(vg_mset *m, const vg_value *v, uint64_t n)
{
    /* A slot first, so that the walk down cannot fail but for a string copy. */
    if (pool_reserve(m) < 0) {
        uint32_t x = find(m, v);
        if (!x)
            return -1;
        NODE(m, x)->count += n; /* no new node needed after all */
        return 0;
    }
    walk w = {v, n, 0};
    m->root = insert(m, m->root, &w);
    if (m->distinct == 0) /* a failed first insert: give the pool back */
        vg_mset_clear(m);
    return w.rc;
}

int vg_mset_remove(vg_mset *m, const vg_value *v, uint64_t n)
{
    walk w = {v, n, 0};
    m->root = remove_walk(m, m->root, &w);
    if (!m->distinct) /* empty: give the pool back */
        vg_mset_clear(m);
    return w.rc;
}

uint64_t vg_mset_count(const vg_mset *m, const vg_value *v)
{
    uint32_t x = find(m, v);
    return x ? NODE(m, x)->count : 0;
}

bool vg_mset_min(const vg_mset *m, vg_value *out)
{
    uint32_t x = m->root;
    if (!x)
        return false;
    while (NODE(m, x)->left)
        x = NODE(m, x)->left;
    *out = key_of(m, NODE(m, x));
    return true;
}

bool vg_mset_max(const vg_mset *m, vg_value *out)
{
    uint32_t x = m->root;
    if (!x)
        return false;
    while (NODE(m, x)->right)
        x = NODE(m, x)->right;
    *out = key_of(m, NODE(m, x));
    return true;
}

static int each(const vg_mset *m, uint32_t x, vg_mset_visit_fn fn, void *ctx)
{
    if (!x)
        return 0;
    const vg_mset_node *node = NODE(m, x);
    int rc = each(m, node->left, fn, ctx);
    if (rc)
        return rc;
    vg_value k = key_of(m, node);
    rc = fn(ctx, &k, node->count);
    return rc ? rc : each(m, node->right, fn, ctx);
}

int vg_mset_each(const vg_mset *m, vg_mset_visit_fn fn, void *ctx)
{
    return each(m, m->root, fn, ctx);
}

static int add_string_bytes(void *ctx, const vg_value *v, uint64_t count)
{
    (void)count;
    *(size_t *)ctx += v->len ? v->len : 1;
    return 0;
}

size_t vg_mset_heap_bytes(const vg_mset *m)
{
    size_t n = (size_t)m->cap * sizeof(vg_mset_node);
    if (m->type == VG_T_STRING)
        vg_mset_each(m, add_string_bytes, &n);
    return n;
}
