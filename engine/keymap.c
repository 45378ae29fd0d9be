/*
 * keymap.c — keyed operator state: keys and values as bytes, the chained
 * hash table of entries, and the binary heap (see keymap.h).
 */
#include <string.h>

#include "engine/keymap.h"

/* ---- values and keys as bytes ---- */

int vg_keymap_put_value(vg_buf *b, vg_type t, const vg_value *v)
{
    /* One reservation for the whole value: this runs for every key of every row. */
    size_t n = v->null ? 1 : t == VG_T_STRING ? 5 + (size_t)v->len : 9;
    if (vg_buf_reserve(b, n) < 0)
        return -1;
    char *p = b->p + b->len;
    b->len += n;
    *p = v->null ? 0 : 1;
    if (v->null)
        return 0;
    if (t == VG_T_STRING) {
        memcpy(p + 1, &v->len, 4);
        if (v->len)
            memcpy(p + 5, v->u.s, v->len);
        return 0;
    }
    vg_value w = *v;
    if (t == VG_T_DOUBLE && w.u.d == 0)
        w.u.d = 0.0; /* -0.0 and 0.0 are one key */
    memcpy(p + 1, &w.u.i, 8);
    return 0;
}

const char *vg_keymap_get_value(const char *p, vg_type t, vg_value *v)
{
    memset(v, 0, sizeof *v);
    if (*p++ == 0) {
        v->null = 1;
        return p;
    }
    if (t == VG_T_STRING) {
        memcpy(&v->len, p, 4);
        v->u.s = p + 4;
        return p + 4 + v->len;
    }
    memcpy(&v->u.i, p, 8);
    return p + 8;
}

size_t vg_keymap_value_size(const char *p, const char *end, vg_type t)
{
    if (p >= end || (*p != 0 && *p != 1))
        return 0;
    if (*p == 0)
        return 1;
    uint32_t slen = 0;
    if (t == VG_T_STRING && end - p >= 5)
        memcpy(&slen, p + 1, 4);
    size_t need = 1 + (t == VG_T_STRING ? 4 + (size_t)slen : 8);
    return (size_t)(end - p) < need ? 0 : need;
}

int vg_keymap_encode(vg_buf *b, int32_t partition, const vg_schema *in, const uint32_t *keys,
                     uint32_t nkeys, const vg_value *row)
{
    vg_buf_clear(b);
    if (vg_buf_append(b, &partition, sizeof partition) < 0)
        return -1;
    for (uint32_t i = 0; i < nkeys; i++)
        if (vg_keymap_put_value(b, in->cols[keys[i]].type, &row[keys[i]]) < 0)
            return -1;
    return 0;
}

void vg_keymap_decode(const char *p, const vg_schema *in, const uint32_t *keys, uint32_t nkeys,
                      vg_value *out)
{
    p += sizeof(int32_t); /* the partition */
    for (uint32_t i = 0; i < nkeys; i++)
        p = vg_keymap_get_value(p, in->cols[keys[i]].type, &out[i]);
}

int32_t vg_keymap_partition(const char *p)
{
    int32_t partition;
    memcpy(&partition, p, sizeof partition);
    return partition;
}

bool vg_keymap_valid(const char *p, uint32_t len, const vg_schema *in, const uint32_t *keys,
                     uint32_t nkeys)
{
    const char *end = p + len;
    if (len < sizeof(int32_t))
        return false;
    p += sizeof(int32_t);
    for (uint32_t i = 0; i < nkeys; i++) {
        size_t n = vg_keymap_value_size(p, end, in->cols[keys[i]].type);
        if (!n)
            return false;
        p += n;
    }
    return p == end;
}

uint32_t vg_keymap_hash(const char *p, uint32_t n)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (uint32_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)p[i]) * 0x100000001b3ull;
    h ^= h >> 29;
    h *= 0xbf58476d1ce4e5b9ull;
    return (uint32_t)(h ^ (h >> 32));
}

void vg_keymap_read(vg_keymap_reader *r, void *out, size_t n)
{
    if (r->bad || (size_t)(r->end - r->p) < n) {
        r->bad = true;
        memset(out, 0, n);
        return;
    }
    memcpy(out, r->p, n);
    r->p += n;
}

uint32_t vg_keymap_read_u32(vg_keymap_reader *r)
{
    uint32_t v;
    vg_keymap_read(r, &v, 4);
    return v;
}

/* ---- the table ---- */

void vg_keymap_init(vg_keymap *m, size_t payload)
{
    memset(m, 0, sizeof *m);
    m->payload = (payload + 15) & ~(size_t)15;
}

static vg_keymap_entry *find(const vg_keymap *m, const char *p, uint32_t len, uint32_t h)
{
    if (!m->nbuckets)
        return NULL;
    for (vg_keymap_entry *e = m->buckets[h & (m->nbuckets - 1)]; e; e = e->next)
        if (e->hash == h && e->len == len && memcmp(vg_keymap_key(m, e), p, len) == 0)
            return e;
    return NULL;
}

vg_keymap_entry *vg_keymap_find(const vg_keymap *m, const char *p, uint32_t len)
{
    return find(m, p, len, vg_keymap_hash(p, len));
}

int vg_keymap_lookup(const vg_keymap *m, int32_t partition, const vg_schema *in,
                     const uint32_t *keys, uint32_t nkeys, const vg_value *key,
                     vg_keymap_entry **out)
{
    vg_buf b;
    vg_buf_init(&b, VG_MEM_STATE);
    int rc = vg_buf_append(&b, &partition, sizeof partition);
    for (uint32_t i = 0; i < nkeys && rc == 0; i++)
        rc = vg_keymap_put_value(&b, in->cols[keys[i]].type, &key[i]);
    *out = rc < 0 ? NULL : vg_keymap_find(m, b.p, (uint32_t)b.len);
    vg_buf_free(&b);
    return rc < 0 ? -1 : 0;
}

/* Double the buckets (or make the first 16). -1 when out of memory: the
 * table stays as it was, only more loaded. */
static int grow_buckets(vg_keymap *m)
{
    uint32_t n = m->nbuckets ? m->nbuckets * 2 : 16;
    vg_keymap_entry **nb = vg_calloc(VG_MEM_STATE, n, sizeof *nb);
    if (!nb)
        return -1;
    for (uint32_t i = 0; i < m->nbuckets; i++) {
        vg_keymap_entry *e = m->buckets[i], *next;
        for (; e; e = next) {
            next = e->next;
            e->next = nb[e->hash & (n - 1)];
            nb[e->hash & (n - 1)] = e;
        }
    }
    vg_free(m->buckets);
    m->buckets = nb;
    m->nbuckets = n;
    return 0;
}

static vg_keymap_entry *add(vg_keymap *m, const char *p, uint32_t len, uint32_t h)
{
    if (m->n >= m->nbuckets && grow_buckets(m) < 0 && m->nbuckets == 0)
        return NULL; /* a failed growth is harmless unless there is no table yet */
    vg_keymap_entry *e = vg_malloc(VG_MEM_STATE, VG_KEYMAP_HDR + m->payload + len);
    if (!e)
        return NULL;
    memset(e, 0, VG_KEYMAP_HDR + m->payload);
    e->hash = h;
    e->len = len;
    if (len)
        memcpy((char *)vg_keymap_key(m, e), p, len);
    vg_keymap_entry **b = &m->buckets[h & (m->nbuckets - 1)];
    e->next = *b;
    *b = e;
    m->n++;
    return e;
}

vg_keymap_entry *vg_keymap_add(vg_keymap *m, const char *p, uint32_t len)
{
    return add(m, p, len, vg_keymap_hash(p, len));
}

vg_keymap_entry *vg_keymap_get(vg_keymap *m, const char *p, uint32_t len, bool *added)
{
    uint32_t h = vg_keymap_hash(p, len);
    vg_keymap_entry *e = find(m, p, len, h);
    if (added)
        *added = e == NULL;
    return e ? e : add(m, p, len, h);
}

void vg_keymap_remove(vg_keymap *m, vg_keymap_entry *e)
{
    vg_keymap_entry **pp = &m->buckets[e->hash & (m->nbuckets - 1)];
    while (*pp != e)
        pp = &(*pp)->next;
    *pp = e->next;
    m->n--;
    vg_free(e);
}

int vg_keymap_each(const vg_keymap *m, int (*fn)(void *arg, vg_keymap_entry *e), void *arg)
{
    for (uint32_t i = 0; i < m->nbuckets; i++)
        for (vg_keymap_entry *e = m->buckets[i]; e; e = e->next) {
            int rc = fn(arg, e);
            if (rc)
                return rc;
        }
    return 0;
}

void vg_keymap_clear(vg_keymap *m, void (*destroy)(void *arg, vg_keymap_entry *e), void *arg)
{
    for (uint32_t i = 0; i < m->nbuckets; i++) {
        vg_keymap_entry *e = m->buckets[i], *next;
        for (; e; e = next) {
            next = e->next;
            if (destroy)
                destroy(arg, e);
            vg_free(e);
        }
    }
    vg_free(m->buckets);
    m->buckets = NULL;
    m->nbuckets = m->n = 0;
}

/* ---- the heap ---- */

static void heap_set(vg_keymap_heap *h, uint32_t i, void *item)
{
    h->items[i] = item;
    *h->at(item) = i;
}

static void sift_up(vg_keymap_heap *h, uint32_t i)
{
    void *item = h->items[i];
    while (i > 0) {
        uint32_t parent = (i - 1) / 2;
        if (!h->less(item, h->items[parent]))
            break;
        heap_set(h, i, h->items[parent]);
        i = parent;
    }
    heap_set(h, i, item);
}

static void sift_down(vg_keymap_heap *h, uint32_t i)
{
    void *item = h->items[i];
    for (;;) {
        uint32_t c = 2 * i + 1;
        if (c >= h->n)
            break;
        if (c + 1 < h->n && h->less(h->items[c + 1], h->items[c]))
            c++;
        if (!h->less(h->items[c], item))
            break;
        heap_set(h, i, h->items[c]);
        i = c;
    }
    heap_set(h, i, item);
}

int vg_keymap_heap_push(vg_keymap_heap *h, void *item)
{
    if (h->n == h->cap) {
        uint32_t cap = h->cap ? h->cap * 2 : 64;
        void **na = vg_realloc(VG_MEM_STATE, h->items, cap * sizeof *na);
        if (!na)
            return -1;
        h->items = na;
        h->cap = cap;
    }
    heap_set(h, h->n++, item);
    sift_up(h, h->n - 1);
    return 0;
}

void vg_keymap_heap_fix(vg_keymap_heap *h, void *item)
{
    uint32_t i = *h->at(item);
    sift_up(h, i);
    if (*h->at(item) == i)
        sift_down(h, i);
}

void vg_keymap_heap_remove(vg_keymap_heap *h, void *item)
{
    uint32_t i = *h->at(item);
    void *last = h->items[--h->n];
    *h->at(item) = VG_KEYMAP_NONE;
    if (last == item)
        return;
    heap_set(h, i, last);
    vg_keymap_heap_fix(h, last);
}

void vg_keymap_heap_free(vg_keymap_heap *h)
{
    vg_free(h->items);
    h->items = NULL;
    h->n = h->cap = 0;
}
