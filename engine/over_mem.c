/*
 * over_mem.c — the memory of an OVER operator's partition blocks.
 *
 * A large state is hundreds of thousands of partition blocks of a few
 * hundred bytes, read in random order: with 4 KB pages nearly every
 * arrival misses the TLB as well as the cache. So blocks are cut from big
 * chunks (vg_malloc'ed, doubling from OVER_CHUNK_MIN to OVER_CHUNK_MAX)
 * that the kernel is asked to back with 2 MB pages (MADV_HUGEPAGE, where
 * transparent huge pages are on "madvise"), in sizes rounded up to a
 * cache line, so that a block starts on a line. A freed block goes on a
 * free list of its size for the next block of that size; the chunks go
 * back at close, all at once. Blocks larger than OVER_BLOCK_MAX are
 * vg_malloc'ed one by one.
 *
 * Under AddressSanitizer free blocks are poisoned, so that a use after
 * free in a chunk is still caught.
 */
#include <string.h>
#include <sys/mman.h>

#include "engine/over_int.h"

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#define POISON(p, n) ASAN_POISON_MEMORY_REGION(p, n)
#define UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION(p, n)
#else
#define POISON(p, n) ((void)(p), (void)(n))
#define UNPOISON(p, n) ((void)(p), (void)(n))
#endif

/* The first chunk's size, the largest, and the least one asked for huge pages. */
#define OVER_CHUNK_MIN ((size_t)64 << 10)
#define OVER_CHUNK_MAX ((size_t)16 << 20)
#define OVER_CHUNK_HUGE ((size_t)4 << 20)

/* A chunk: the header of a vg_malloc'ed region whose rest is blocks. */
typedef struct over_chunk {
    struct over_chunk *next; /* the chunk before */
    size_t size;             /* bytes of the region, this header included */
} over_chunk;

/* The free-list index of a block of n bytes (n <= OVER_BLOCK_MAX). */
static size_t class_of(size_t n) { return (n + 63) / 64 - 1; }

/* A new chunk with room for at least n bytes after its header (64-aligned);
 * -1 when out of memory. */
static int new_chunk(over_mem *m, size_t n)
{
    size_t size = m->chunks ? m->chunks->size * 2 : OVER_CHUNK_MIN;
    if (size > OVER_CHUNK_MAX)
        size = OVER_CHUNK_MAX;
    over_chunk *c = vg_malloc(VG_MEM_STATE, size);
    if (!c)
        return -1;
    c->next = m->chunks;
    c->size = size;
    m->chunks = c;
    uintptr_t at = ((uintptr_t)(c + 1) + 63) & ~(uintptr_t)63;
    m->cur = (char *)at;
    m->left = size - (at - (uintptr_t)c);
    if (size >= OVER_CHUNK_HUGE) { /* the pages inside it (a hint: failing is harmless) */
        uintptr_t from = ((uintptr_t)c + 4095) & ~(uintptr_t)4095;
        uintptr_t to = ((uintptr_t)c + size) & ~(uintptr_t)4095;
        if (to > from)
            madvise((void *)from, to - from, MADV_HUGEPAGE);
    }
    POISON(m->cur, m->left);
    return m->left >= n ? 0 : -1;
}

void *over_block_alloc(over_mem *m, size_t n)
{
    if (n > OVER_BLOCK_MAX)
        return vg_malloc(VG_MEM_STATE, n);
    size_t c = class_of(n), size = (c + 1) * 64;
    void *p = m->free[c];
    if (p) {
        UNPOISON(p, size);
        memcpy(&m->free[c], p, sizeof p);
        return p;
    }
    if (m->left < size && new_chunk(m, size) < 0)
        return NULL;
    p = m->cur;
    m->cur += size;
    m->left -= size;
    UNPOISON(p, size);
    return p;
}

void over_block_free(over_mem *m, void *p, size_t n)
{
    if (!p)
        return;
    if (n > OVER_BLOCK_MAX) {
        vg_free(p);
        return;
    }
    size_t c = class_of(n);
    memcpy(p, &m->free[c], sizeof p);
    m->free[c] = p;
    POISON((char *)p + sizeof p, (c + 1) * 64 - sizeof p);
}

void over_mem_free(over_mem *m)
{
    for (over_chunk *c = m->chunks, *next; c; c = next) {
        next = c->next;
        UNPOISON(c + 1, c->size - sizeof *c);
        vg_free(c);
    }
    memset(m, 0, sizeof *m);
}
