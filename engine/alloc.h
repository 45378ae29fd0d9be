/*
 * alloc.h — the one allocation wrapper, and arenas.
 *
 * Every allocation in vigil goes through vg_malloc/vg_realloc/vg_free so that
 * bytes are counted per subsystem (exported as metrics) and so that tests can
 * make the Nth allocation fail (vg_alloc_fail_at) and check that every caller
 * turns the failure into a clean error without crashing or leaking.
 *
 * Arenas give memory a lifetime: one per compiled pipeline (AST, bound tree,
 * plan), and a scratch arena per batch for expression temporaries that is
 * reset, not freed, between batches. Arena memory is never freed piecemeal.
 */
#ifndef VG_ALLOC_H
#define VG_ALLOC_H

#include <stddef.h>
#include <stdint.h>

/* Subsystem tags; byte counts are kept per tag. */
typedef enum vg_mem_tag {
    VG_MEM_SQL,   /* tokens, AST, bound trees, plans */
    VG_MEM_EXPR,  /* compiled expressions and their scratch */
    VG_MEM_STATE, /* operator state */
    VG_MEM_IO,    /* sources, sinks, buffers */
    VG_MEM_UDF,   /* function state (compiled regexes, ...) */
    VG_MEM_OTHER,
    VG_MEM_NTAGS
} vg_mem_tag;

/* Returns NULL on failure (real or injected); never aborts. */
void *vg_malloc(vg_mem_tag tag, size_t n);
void *vg_calloc(vg_mem_tag tag, size_t count, size_t n);
/* On failure returns NULL and leaves p untouched (still owned by caller). */
void *vg_realloc(vg_mem_tag tag, void *p, size_t n);
void vg_free(void *p);
/* Copy of s (NUL-terminated) owned by the caller; NULL on failure. */
char *vg_strndup(vg_mem_tag tag, const char *s, size_t n);
char *vg_strdup(vg_mem_tag tag, const char *s);

/* Bytes currently allocated under tag. */
size_t vg_mem_in_use(vg_mem_tag tag);
/* Number of allocation calls made so far (successful or not). */
uint64_t vg_alloc_calls(void);
/* Make the nth allocation call from now (1 = the next one) fail, and every
 * one after it if sticky is nonzero; n = 0 turns injection off. */
void vg_alloc_fail_at(uint64_t n, int sticky);
/* Nonzero once an injected failure has been returned since the last
 * vg_alloc_fail_at call. */
int vg_alloc_failed(void);

/* ---- arenas ---- */

typedef struct vg_arena vg_arena;

/* New arena whose chunks are counted under tag; NULL on failure. */
vg_arena *vg_arena_new(vg_mem_tag tag, size_t chunk_size);
/* 8-byte aligned memory valid until reset/free; NULL on failure. */
void *vg_arena_alloc(vg_arena *a, size_t n);
void *vg_arena_calloc(vg_arena *a, size_t n);
/* NUL-terminated copy of s[0..n) in the arena; NULL on failure. */
char *vg_arena_strndup(vg_arena *a, const char *s, size_t n);
/* printf into the arena; NULL on failure. */
char *vg_arena_printf(vg_arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Forget all allocations, keep the first chunk for reuse. */
void vg_arena_reset(vg_arena *a);
/* Bytes handed out since the last reset. */
size_t vg_arena_used(const vg_arena *a);
void vg_arena_free(vg_arena *a);

#endif
