/*
 * multiset.h — an ordered multiset of SQL values with counts, for MIN and
 * MAX with retraction.
 *
 * A treap (a binary search tree kept balanced by random priorities) whose
 * nodes live in one pool array addressed by 32-bit indices: one allocation
 * per set rather than one per node, 32 bytes a node. Insert, remove, min
 * and max take O(log n) expected time in the number of distinct values.
 * Values of one type are ordered by vg_value_cmp; equal values share a node
 * and a count. The set owns copies of its strings.
 *
 * The handle is small and lives inside an aggregate's state; the set
 * allocates nothing until the first value arrives and frees its pool when
 * it becomes empty again, so an idle key costs only the handle.
 */
#ifndef VG_MULTISET_H
#define VG_MULTISET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/value.h"

typedef struct vg_mset_node vg_mset_node;

typedef struct vg_mset {
    vg_mset_node *nodes; /* node pool (owned); NULL while the set is empty */
    uint32_t root;       /* index + 1 of the root node; 0 when empty */
    uint32_t free;       /* index + 1 of the first unused pool slot (chained); 0 = none */
    uint32_t cap;        /* slots in the pool */
    uint32_t distinct;   /* distinct values held */
    uint8_t type;        /* vg_type of every value */
} vg_mset;

/* Make *m an empty set of values of type t. Allocates nothing. */
void vg_mset_init(vg_mset *m, vg_type t);
/* Free everything the set holds; *m is then empty (same type). */
void vg_mset_clear(vg_mset *m);

/* Add n (> 0) occurrences of v (not NULL, of the set's type; a string is
 * copied). 0, or -1 when out of memory: the set is then unchanged. */
int vg_mset_add(vg_mset *m, const vg_value *v, uint64_t n);
/* Remove n (> 0) occurrences of v. 0, or -1 when the set holds fewer than n
 * of v: the set is then unchanged. Never allocates. */
int vg_mset_remove(vg_mset *m, const vg_value *v, uint64_t n);
/* Occurrences of v in the set. */
uint64_t vg_mset_count(const vg_mset *m, const vg_value *v);

/* The least / greatest value into *out (a string points into the set, valid
 * until the next change); false when the set is empty. */
bool vg_mset_min(const vg_mset *m, vg_value *out);
bool vg_mset_max(const vg_mset *m, vg_value *out);

/* Call fn on each distinct value in ascending order with its count; stops at
 * the first nonzero return and returns it, else 0. fn must not change m. */
typedef int (*vg_mset_visit_fn)(void *ctx, const vg_value *v, uint64_t count);
int vg_mset_each(const vg_mset *m, vg_mset_visit_fn fn, void *ctx);

/* Bytes allocated by the set (pool and string copies). */
size_t vg_mset_heap_bytes(const vg_mset *m);

#endif
