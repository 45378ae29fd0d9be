/*
 * alloc.c — counting allocator with failure injection, and arenas.
 *
 * Each block carries a 16-byte header with its size and tag so that vg_free
 * can take the bytes off the right counter. Counters are relaxed atomics:
 * they are metrics, not synchronisation.
 */
#include "engine/alloc.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct block_header {
    size_t size;   /* bytes requested */
    size_t tag;    /* vg_mem_tag */
} block_header;

static _Atomic size_t mem_in_use[VG_MEM_NTAGS];
static _Atomic uint64_t alloc_calls;
static _Atomic uint64_t fail_at;     /* call number that fails; 0 = never */
static _Atomic int fail_sticky;
static _Atomic int fail_happened;

/* Decide whether this call is an injected failure. */
static int should_fail(void)
{
    uint64_t n = atomic_fetch_add_explicit(&alloc_calls, 1, memory_order_relaxed) + 1;
    uint64_t at = atomic_load_explicit(&fail_at, memory_order_relaxed);
    if (at == 0 || n < at)
        return 0;
    if (n == at || atomic_load_explicit(&fail_sticky, memory_order_relaxed)) {
        atomic_store_explicit(&fail_happened, 1, memory_order_relaxed);
        return 1;
    }
    return 0;
}

void *vg_malloc(vg_mem_tag tag, size_t n)
{
    if (should_fail() || n > SIZE_MAX - sizeof(block_header))
        return NULL;
    block_header *h = malloc(sizeof *h + n);
    if (!h)
        return NULL;
    h->size = n;
    h->tag = tag;
    atomic_fetch_add_explicit(&mem_in_use[tag], n, memory_order_relaxed);
    return h + 1;
}

void *vg_calloc(vg_mem_tag tag, size_t count, size_t n)
{
    if (n && count > SIZE_MAX / n)
        return NULL;
    void *p = vg_malloc(tag, count * n);
    if (p)
        memset(p, 0, count * n);
    return p;
}

void *vg_realloc(vg_mem_tag tag, void *p, size_t n)
{
    if (!p)
        return vg_malloc(tag, n);
    if (should_fail() || n > SIZE_MAX - sizeof(block_header))
        return NULL;
    block_header *old = (block_header *)p - 1;
    size_t old_size = old->size;
    size_t old_tag = old->tag;
    block_header *h = realloc(old, sizeof *h + n);
    if (!h)
        return NULL;
    atomic_fetch_sub_explicit(&mem_in_use[old_tag], old_size, memory_order_relaxed);
    atomic_fetch_add_explicit(&mem_in_use[tag], n, memory_order_relaxed);
    h->size = n;
    h->tag = tag;
    return h + 1;
}

void vg_free(void *p)
{
    if (!p)
        return;
    block_header *h = (block_header *)p - 1;
    atomic_fetch_sub_explicit(&mem_in_use[h->tag], h->size, memory_order_relaxed);
    free(h);
}

char *vg_strndup(vg_mem_tag tag, const char *s, size_t n)
{
    char *d = vg_malloc(tag, n + 1);
    if (!d)
        return NULL;
    memcpy(d, s, n);
    d[n] = 0;
    return d;
}

char *vg_strdup(vg_mem_tag tag, const char *s) { return vg_strndup(tag, s, strlen(s)); }

size_t vg_mem_in_use(vg_mem_tag tag) { return atomic_load(&mem_in_use[tag]); }

uint64_t vg_alloc_calls(void) { return atomic_load(&alloc_calls); }

void vg_alloc_fail_at(uint64_t n, int sticky)
{
    atomic_store(&fail_happened, 0);
    atomic_store(&fail_sticky, sticky);
    atomic_store(&fail_at, n ? atomic_load(&alloc_calls) + n : 0);
}

int vg_alloc_failed(void) { return atomic_load(&fail_happened); }

/* ---- arenas ---- */

typedef struct arena_chunk {
    struct arena_chunk *next; /* older chunk */
    size_t size;              /* usable bytes in data */
    size_t used;
    _Alignas(16) unsigned char data[];
} arena_chunk;

struct vg_arena {
    vg_mem_tag tag;
    size_t chunk_size;  /* default size of a new chunk */
    arena_chunk *head;  /* current chunk; older ones follow */
    size_t total_used;  /* bytes handed out since reset */
};

static arena_chunk *chunk_new(vg_arena *a, size_t min)
{
    size_t size = a->chunk_size > min ? a->chunk_size : min;
    arena_chunk *c = vg_malloc(a->tag, sizeof *c + size);
    if (!c)
        return NULL;
    c->next = NULL;
    c->size = size;
    c->used = 0;
    return c;
}

vg_arena *vg_arena_new(vg_mem_tag tag, size_t chunk_size)
{
    vg_arena *a = vg_malloc(tag, sizeof *a);
    if (!a)
        return NULL;
    a->tag = tag;
    a->chunk_size = chunk_size ? chunk_size : 4096;
    a->head = NULL;
    a->total_used = 0;
    return a;
}

void *vg_arena_alloc(vg_arena *a, size_t n)
{
    n = (n + 7) & ~(size_t)7;
    if (!n)
        n = 8;
    arena_chunk *c = a->head;
    if (!c || c->size - c->used < n) {
        arena_chunk *nc = chunk_new(a, n);
        if (!nc)
            return NULL;
        nc->next = c;
        a->head = nc;
        c = nc;
    }
    void *p = c->data + c->used;
    c->used += n;
    a->total_used += n;
    return p;
}

void *vg_arena_calloc(vg_arena *a, size_t n)
{
    void *p = vg_arena_alloc(a, n);
    if (p)
        memset(p, 0, n);
    return p;
}

char *vg_arena_strndup(vg_arena *a, const char *s, size_t n)
{
    char *d = vg_arena_alloc(a, n + 1);
    if (!d)
        return NULL;
    memcpy(d, s, n);
    d[n] = 0;
    return d;
}

char *vg_arena_printf(vg_arena *a, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return NULL;
    char *d = vg_arena_alloc(a, (size_t)n + 1);
    if (!d)
        return NULL;
    va_start(ap, fmt);
    vsnprintf(d, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return d;
}

void vg_arena_reset(vg_arena *a)
{
    arena_chunk *c = a->head;
    if (!c)
        return;
    /* keep the oldest chunk of the default size, free the rest */
    arena_chunk *keep = NULL;
    while (c) {
        arena_chunk *next = c->next;
        if (!keep && c->size == a->chunk_size && !next) {
            keep = c;
        } else {
            vg_free(c);
        }
        c = next;
    }
    if (keep)
        keep->used = 0;
    a->head = keep;
    a->total_used = 0;
}

size_t vg_arena_used(const vg_arena *a) { return a->total_used; }

void vg_arena_free(vg_arena *a)
{
    if (!a)
        return;
    arena_chunk *c = a->head;
    while (c) {
        arena_chunk *next = c->next;
        vg_free(c);
        c = next;
    }
    vg_free(a);
}
