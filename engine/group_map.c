/*
 * group_map.c — keyed state for the updating operators: keys and rows as
 * bytes, a chained hash map of entries with an operator payload each, the
 * binary heap that keeps entries in order (TTL, firing), and the TTL sweep
 * (see group_int.h).
 */
#include <string.h>

#include "engine/group_int.h"

/* ---- keys and rows as bytes ---- */

/* Append one value of type t (NULL flag, then its bytes). */
static int put_value(vg_buf *b, vg_type t, const vg_value *v)
{
    if (vg_buf_putc(b, v->null ? 0 : 1) < 0)
        return -1;
    if (v->null)
        return 0;
    if (t == VG_T_STRING)
        return vg_buf_append(b, &v->len, 4) < 0 || vg_buf_append(b, v->u.s, v->len) < 0 ? -1 : 0;
    vg_value w = *v;
    if (t == VG_T_DOUBLE && w.u.d == 0)
        w.u.d = 0.0; /* -0.0 and 0.0 are one key */
    return vg_buf_append(b, &w.u.i, 8);
}

/* Read one value of type t from p (valid bytes); returns the next byte. */
static const char *get_value(const char *p, vg_type t, vg_value *v)
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

/* The bytes of one value of type t at p, or 0 when they run past end. */
static size_t value_size(const char *p, const char *end, vg_type t)
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

int gm_key_encode(vg_buf *b, int32_t partition, const vg_schema *in, const uint32_t *keys,
                  uint32_t nkeys, const vg_value *row)
{
    vg_buf_clear(b);
    if (vg_buf_append(b, &partition, sizeof partition) < 0)
        return -1;
    for (uint32_t i = 0; i < nkeys; i++)
        if (put_value(b, in->cols[keys[i]].type, &row[keys[i]]) < 0)
            return -1;
    return 0;
}

void gm_key_decode(const char *p, const vg_schema *in, const uint32_t *keys, uint32_t nkeys,
                   vg_value *out)
{
    p += sizeof(int32_t); /* the partition */
    for (uint32_t i = 0; i < nkeys; i++)
        p = get_value(p, in->cols[keys[i]].type, &out[i]);
}

bool gm_key_valid(const char *p, uint32_t len, const vg_schema *in, const uint32_t *keys,
                  uint32_t nkeys)
{
    const char *end = p + len;
    if (len < sizeof(int32_t))
        return false;
    p += sizeof(int32_t);
    for (uint32_t i = 0; i < nkeys; i++) {
        size_t n = value_size(p, end, in->cols[keys[i]].type);
        if (!n)
            return false;
        p += n;
    }
    return p == end;
}

vg_value *gm_row_copy(const vg_schema *s, const vg_value *row)
{
    size_t size = s->ncols * sizeof(vg_value);
    for (uint32_t i = 0; i < s->ncols; i++)
        if (s->cols[i].type == VG_T_STRING && !row[i].null)
            size += row[i].len;
    vg_value *v = vg_malloc(VG_MEM_STATE, size ? size : 1);
    if (!v)
        return NULL;
    char *p = (char *)(v + s->ncols);
    for (uint32_t i = 0; i < s->ncols; i++) {
        v[i] = row[i];
        if (s->cols[i].type == VG_T_STRING && !row[i].null) {
            if (row[i].len)
                memcpy(p, row[i].u.s, row[i].len);
            v[i].u.s = p;
            p += row[i].len;
        }
    }
    return v;
}

int gm_row_put(vg_buf *b, const vg_schema *s, const vg_value *row)
{
    for (uint32_t i = 0; i < s->ncols; i++)
        if (put_value(b, s->cols[i].type, &row[i]) < 0)
            return -1;
    return 0;
}

void gm_get(gm_reader *r, void *out, size_t n)
{
    if (r->bad || (size_t)(r->end - r->p) < n) {
        r->bad = true;
        memset(out, 0, n);
        return;
    }
    memcpy(out, r->p, n);
    r->p += n;
}

uint32_t gm_get_u32(gm_reader *r)
{
    uint32_t v;
    gm_get(r, &v, 4);
    return v;
}

vg_value *gm_row_get(gm_reader *r, const vg_schema *s)
{
    const char *p = r->p;
    size_t size = s->ncols * sizeof(vg_value);
    for (uint32_t i = 0; i < s->ncols && !r->bad; i++) {
        size_t n = value_size(p, r->end, s->cols[i].type);
        r->bad |= n == 0;
        if (s->cols[i].type == VG_T_STRING && n > 1)
            size += n - 5; /* the string's bytes */
        p += n;
    }
    vg_value *v = r->bad ? NULL : vg_malloc(VG_MEM_STATE, size ? size : 1);
    if (!v)
        return NULL;
    char *str = (char *)(v + s->ncols);
    p = r->p;
    for (uint32_t i = 0; i < s->ncols; i++) {
        p = get_value(p, s->cols[i].type, &v[i]);
        if (s->cols[i].type == VG_T_STRING && !v[i].null) {
            if (v[i].len)
                memcpy(str, v[i].u.s, v[i].len);
            v[i].u.s = str;
            str += v[i].len;
        }
    }
    r->p = p;
    return v;
}

/* ---- the heap ---- */

static void heap_set(gm_heap *h, uint32_t i, gm_entry *e)
{
    h->items[i] = e;
    *h->at(e) = i;
}

static void sift_up(gm_heap *h, uint32_t i)
{
    gm_entry *e = h->items[i];
    while (i > 0) {
        uint32_t parent = (i - 1) / 2;
        if (!h->less(e, h->items[parent]))
            break;
        heap_set(h, i, h->items[parent]);
        i = parent;
    }
    heap_set(h, i, e);
}

static void sift_down(gm_heap *h, uint32_t i)
{
    gm_entry *e = h->items[i];
    for (;;) {
        uint32_t c = 2 * i + 1;
        if (c >= h->n)
            break;
        if (c + 1 < h->n && h->less(h->items[c + 1], h->items[c]))
            c++;
        if (!h->less(h->items[c], e))
            break;
        heap_set(h, i, h->items[c]);
        i = c;
    }
    heap_set(h, i, e);
}

int gm_heap_push(gm_heap *h, gm_entry *e)
{
    if (h->n == h->cap) {
        uint32_t cap = h->cap ? h->cap * 2 : 64;
        gm_entry **na = vg_realloc(VG_MEM_STATE, h->items, cap * sizeof *na);
        if (!na)
            return -1;
        h->items = na;
        h->cap = cap;
    }
    heap_set(h, h->n++, e);
    sift_up(h, h->n - 1);
    return 0;
}

void gm_heap_fix(gm_heap *h, gm_entry *e)
{
    uint32_t i = *h->at(e);
    sift_up(h, i);
    if (*h->at(e) == i)
        sift_down(h, i);
}

void gm_heap_remove(gm_heap *h, gm_entry *e)
{
    uint32_t i = *h->at(e);
    gm_entry *last = h->items[--h->n];
    *h->at(e) = GM_NONE;
    if (last == e)
        return;
    heap_set(h, i, last);
    gm_heap_fix(h, last);
}

void gm_heap_free(gm_heap *h)
{
    vg_free(h->items);
    h->items = NULL;
    h->n = h->cap = 0;
}

/* ---- the map ---- */

static bool stamp_less(const gm_entry *a, const gm_entry *b) { return a->stamp < b->stamp; }

static uint32_t *ttl_at(gm_entry *e) { return &e->ttl_at; }

void gm_init(gm_map *m, size_t payload)
{
    memset(m, 0, sizeof *m);
    m->payload = (payload + 15) & ~(size_t)15;
    m->ttl.less = stamp_less;
    m->ttl.at = ttl_at;
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

gm_entry *gm_find(const gm_map *m, const char *p, uint32_t len)
{
    if (!m->nbuckets)
        return NULL;
    uint64_t h = hash_bytes(p, len);
    for (gm_entry *e = m->buckets[h & (m->nbuckets - 1)]; e; e = e->next)
        if (e->hash == h && e->len == len && memcmp(gm_key(m, e), p, len) == 0)
            return e;
    return NULL;
}

/* Double the buckets (or make the first 16). -1 when out of memory: the
 * map stays as it was, only more loaded. */
static int grow_buckets(gm_map *m)
{
    uint32_t n = m->nbuckets ? m->nbuckets * 2 : 16;
    gm_entry **nb = vg_calloc(VG_MEM_STATE, n, sizeof *nb);
    if (!nb)
        return -1;
    for (uint32_t i = 0; i < m->nbuckets; i++) {
        gm_entry *e = m->buckets[i], *next;
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

gm_entry *gm_add(gm_map *m, const char *p, uint32_t len)
{
    if (m->n >= m->nbuckets && grow_buckets(m) < 0 && m->nbuckets == 0)
        return NULL; /* a failed growth is harmless unless there is no map yet */
    gm_entry *e = vg_malloc(VG_MEM_STATE, GM_HDR + m->payload + len);
    if (!e)
        return NULL;
    memset(e, 0, GM_HDR + m->payload);
    e->hash = hash_bytes(p, len);
    e->len = len;
    e->stamp = VG_WM_MIN;
    e->ttl_at = GM_NONE;
    if (len)
        memcpy((char *)gm_key(m, e), p, len);
    gm_entry **b = &m->buckets[e->hash & (m->nbuckets - 1)];
    e->next = *b;
    *b = e;
    m->n++;
    return e;
}

void gm_remove(gm_map *m, gm_entry *e)
{
    gm_entry **pp = &m->buckets[e->hash & (m->nbuckets - 1)];
    while (*pp != e)
        pp = &(*pp)->next;
    *pp = e->next;
    if (e->ttl_at != GM_NONE)
        gm_heap_remove(&m->ttl, e);
    m->n--;
    vg_free(e);
}

int gm_touch(gm_map *m, gm_entry *e, int64_t ts, bool with_ttl)
{
    if (ts > e->stamp)
        e->stamp = ts;
    if (e->ttl_at != GM_NONE)
        gm_heap_fix(&m->ttl, e);
    else if (with_ttl)
        return gm_heap_push(&m->ttl, e);
    return 0;
}

/* Whether stamp is older than wm - ttl, without overflow. */
static bool expired(int64_t stamp, int64_t wm, int64_t ttl)
{
    return stamp < wm && (uint64_t)wm - (uint64_t)stamp > (uint64_t)ttl;
}

gm_entry *gm_expired(gm_map *m, int64_t wm, int64_t ttl)
{
    while (m->ttl.n) {
        gm_entry *e = m->ttl.items[0];
        if (e->stamp != VG_WM_MIN)
            return expired(e->stamp, wm, ttl) ? e : NULL;
        e->stamp = wm; /* no row time and no watermark when it came: count from now */
        gm_heap_fix(&m->ttl, e);
    }
    return NULL;
}

int gm_each(const gm_map *m, int (*fn)(void *arg, gm_entry *e), void *arg)
{
    for (uint32_t i = 0; i < m->nbuckets; i++)
        for (gm_entry *e = m->buckets[i]; e; e = e->next) {
            int rc = fn(arg, e);
            if (rc)
                return rc;
        }
    return 0;
}

void gm_clear(gm_map *m, void (*destroy)(void *arg, gm_entry *e), void *arg)
{
    for (uint32_t i = 0; i < m->nbuckets; i++) {
        gm_entry *e = m->buckets[i], *next;
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
    gm_heap_free(&m->ttl);
}
