/*
 * keymap.h — keyed operator state, shared by the window (op_window.c),
 * GROUP BY (op_group.c) and rank (op_rank.c) operators: keys as bytes, a
 * growable hash table from key bytes to an operator's payload, and the
 * binary heap the operators order their state with (firing, TTL).
 *
 * A key is the source partition of the row (4 bytes: state is kept per
 * source partition, DESIGN.md "Scale-out") then, column by column, a NULL
 * flag byte (0 NULL, 1 a value) and for a value either 8 bytes (INT,
 * BIGINT, BOOLEAN, TIMESTAMP, INTERVAL, DOUBLE with -0.0 made 0.0 so that
 * equal numbers are one key) or a 4-byte length and the bytes of a STRING.
 * Equal keys have equal bytes, so the table hashes and compares the bytes
 * as they are; decoding gives the key columns back for output. The same
 * value encoding serves operators that write whole rows into snapshots.
 * Numbers are in host byte order: the bytes move between runs of one
 * build, not between machines.
 *
 * An entry of the table is one block: the header, the operator's payload
 * (zeroed when the entry is made, 16-byte aligned), then the key bytes.
 * The table only grows (doubling its buckets when it holds as many keys
 * as buckets); a failed growth leaves it more loaded, never broken.
 */
#ifndef VG_KEYMAP_H
#define VG_KEYMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/buf.h"
#include "engine/value.h"

/* ---- values and keys as bytes ---- */

/* Append value v of type t (its NULL flag, then its bytes) to b. 0 or -1
 * (out of memory: b keeps what it had plus maybe a part of v). */
int vg_keymap_put_value(vg_buf *b, vg_type t, const vg_value *v);
/* Read a value of type t written by vg_keymap_put_value at p (bytes known
 * to be valid) into *v, a string pointing into p. Returns the next byte. */
const char *vg_keymap_get_value(const char *p, vg_type t, vg_value *v);
/* The bytes of the value of type t at p, or 0 when they are not a value
 * (a bad flag) or run past end. */
size_t vg_keymap_value_size(const char *p, const char *end, vg_type t);

/* Clear b and encode into it the key of row: partition, then the columns
 * keys[0..nkeys) of row, whose columns are in's. 0 or -1 (out of memory). */
int vg_keymap_encode(vg_buf *b, int32_t partition, const vg_schema *in, const uint32_t *keys,
                     uint32_t nkeys, const vg_value *row);
/* The key columns back from valid key bytes p into out[0..nkeys); strings
 * point into p. */
void vg_keymap_decode(const char *p, const vg_schema *in, const uint32_t *keys, uint32_t nkeys,
                      vg_value *out);
/* The source partition of valid key bytes p. */
int32_t vg_keymap_partition(const char *p);
/* Whether p[0..len) is exactly a key vg_keymap_encode could have written
 * for these columns (restore checks snapshot bytes with it). */
bool vg_keymap_valid(const char *p, uint32_t len, const vg_schema *in, const uint32_t *keys,
                     uint32_t nkeys);
/* The hash of bytes p[0..n): FNV-1a with a final mix, so that its low bits
 * (the bucket) depend on every byte. */
uint32_t vg_keymap_hash(const char *p, uint32_t n);

/* A cursor over snapshot bytes; bad turns true at the first short read. */
typedef struct vg_keymap_reader {
    const char *p, *end; /* the bytes not read yet */
    bool bad;            /* a read ran past end: every later read gives zeros */
} vg_keymap_reader;

/* The next n bytes into out (zeros, and r->bad set, when fewer are left). */
void vg_keymap_read(vg_keymap_reader *r, void *out, size_t n);
uint32_t vg_keymap_read_u32(vg_keymap_reader *r);

/* ---- the table ---- */

/* The header of an entry; the payload follows at VG_KEYMAP_HDR, then the
 * key bytes. */
typedef struct vg_keymap_entry {
    struct vg_keymap_entry *next; /* in its hash bucket */
    uint32_t hash;                /* of the key bytes (vg_keymap_hash) */
    uint32_t len;                 /* bytes of the key */
} vg_keymap_entry;

#define VG_KEYMAP_HDR ((sizeof(vg_keymap_entry) + 15) & ~(size_t)15)

typedef struct vg_keymap {
    size_t payload;            /* bytes of payload per entry (a multiple of 16) */
    vg_keymap_entry **buckets; /* nbuckets chains; NULL until the first key */
    uint32_t nbuckets;         /* a power of two, or 0 */
    uint32_t n;                /* entries */
} vg_keymap;

static inline void *vg_keymap_payload(const vg_keymap_entry *e)
{
    return (char *)e + VG_KEYMAP_HDR;
}

static inline const char *vg_keymap_key(const vg_keymap *m, const vg_keymap_entry *e)
{
    return (const char *)e + VG_KEYMAP_HDR + m->payload;
}

/* An empty table whose entries hold payload bytes (rounded up to 16). It
 * allocates nothing until its first entry. */
void vg_keymap_init(vg_keymap *m, size_t payload);
/* The entry of key bytes p[0..len), or NULL. */
vg_keymap_entry *vg_keymap_find(const vg_keymap *m, const char *p, uint32_t len);
/* The entry of the key whose columns keys[0..nkeys) of `in` have the values
 * key[0..nkeys), in source partition `partition` (a live query's lookup:
 * it has the key, not a row), into *out (NULL when there is none). 0, or
 * -1 when out of memory. */
int vg_keymap_lookup(const vg_keymap *m, int32_t partition, const vg_schema *in,
                     const uint32_t *keys, uint32_t nkeys, const vg_value *key,
                     vg_keymap_entry **out);
/* A new entry for key bytes p[0..len), which must not be in the table yet,
 * its payload zeroed. The table owns it. NULL when out of memory (nothing
 * changed). */
vg_keymap_entry *vg_keymap_add(vg_keymap *m, const char *p, uint32_t len);
/* The entry of p[0..len), made (payload zeroed) when there is none; *added
 * (may be NULL) says which. NULL when out of memory (nothing changed). */
vg_keymap_entry *vg_keymap_get(vg_keymap *m, const char *p, uint32_t len, bool *added);
/* Take e out of the table and free it; what its payload owns must have
 * been freed by the caller. */
void vg_keymap_remove(vg_keymap *m, vg_keymap_entry *e);
/* Call fn on every entry, bucket by bucket, stopping at a nonzero return,
 * which it gives back. fn must not add or remove entries. */
int vg_keymap_each(const vg_keymap *m, int (*fn)(void *arg, vg_keymap_entry *e), void *arg);
/* Remove every entry, calling destroy (may be NULL) on each first, and
 * free the buckets: the table is empty, as after vg_keymap_init. */
void vg_keymap_clear(vg_keymap *m, void (*destroy)(void *arg, vg_keymap_entry *e), void *arg);

/* ---- a binary heap of the operator's items (entries, window groups) ---- */

#define VG_KEYMAP_NONE UINT32_MAX

/* The order (less) and where each item keeps its index in the heap (at)
 * are the owner's; an item out of the heap has index VG_KEYMAP_NONE once
 * removed. */
typedef struct vg_keymap_heap {
    void **items;                               /* n items, least first */
    uint32_t n, cap;                            /* items; room */
    bool (*less)(const void *a, const void *b); /* whether a comes before b */
    uint32_t *(*at)(void *item);                /* where item keeps its index */
} vg_keymap_heap;

/* Add item. 0 or -1 (out of memory: the heap is unchanged). */
int vg_keymap_heap_push(vg_keymap_heap *h, void *item);
/* Take item (in the heap) out; its index becomes VG_KEYMAP_NONE. */
void vg_keymap_heap_remove(vg_keymap_heap *h, void *item);
/* Restore the order after item's place in it changed. */
void vg_keymap_heap_fix(vg_keymap_heap *h, void *item);
/* Free the items array (the items are the owner's); the heap is empty. */
void vg_keymap_heap_free(vg_keymap_heap *h);

#endif
