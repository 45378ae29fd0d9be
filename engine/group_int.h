/*
 * group_int.h — what the updating operators share: the keyed state map and
 * its TTL (group_map.c), and the state of the GROUP BY operator (op_group.c,
 * group_snap.c). The rank operator (op_rank.c, rank_snap.c) keeps its keys
 * in the same map.
 *
 * A key is the source partition of the row (4 bytes: state is kept per
 * source partition, DESIGN.md "Scale-out") then, column by column, a NULL
 * flag byte and either 8 bytes (INT, BIGINT, BOOLEAN, TIMESTAMP, INTERVAL,
 * DOUBLE with -0.0 made 0.0 so that equal numbers group together) or a
 * 4-byte length and the bytes of a STRING. Equal keys have equal bytes, so
 * the bytes are hashed and compared as they are, and decoded for output.
 * Rows kept in state (a Top-N's rows) are encoded the same way in
 * snapshots and copied into one block of their own in memory.
 *
 * Every entry carries a stamp: the event time of the newest row of its
 * key (the row's event-time column; the operator's watermark when the
 * input has none). With a TTL, entries are also in a heap ordered by
 * stamp, and the watermark drops those whose stamp is older than the
 * watermark less the TTL (op.h, vg_op.ttl_ms), as Flink's state TTL does
 * in processing time: the key starts afresh with its next row.
 */
#ifndef VG_GROUP_INT_H
#define VG_GROUP_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/buf.h"
#include "engine/op.h"
#include "udf/agg.h"

/* ---- keys and rows as bytes ---- */

/* Encode the partition and the key columns keys[0..nkeys) of row (whose
 * columns are `in`'s) into b, which is cleared first. 0 or -1 (out of
 * memory). */
int gm_key_encode(vg_buf *b, int32_t partition, const vg_schema *in, const uint32_t *keys,
                  uint32_t nkeys, const vg_value *row);
/* The key columns back from key bytes p (strings point into p). */
void gm_key_decode(const char *p, const vg_schema *in, const uint32_t *keys, uint32_t nkeys,
                   vg_value *out);
/* Whether p[0..len) is a key gm_key_encode could have written. */
bool gm_key_valid(const char *p, uint32_t len, const vg_schema *in, const uint32_t *keys,
                  uint32_t nkeys);

/* A copy of row (s->ncols values) in one block the caller frees with
 * vg_free; its strings point into the block. NULL when out of memory. */
vg_value *gm_row_copy(const vg_schema *s, const vg_value *row);
/* Append row's values to b. 0 or -1 (out of memory). */
int gm_row_put(vg_buf *b, const vg_schema *s, const vg_value *row);

/* A cursor over snapshot bytes; bad turns true at the first short read. */
typedef struct gm_reader {
    const char *p, *end;
    bool bad;
} gm_reader;

void gm_get(gm_reader *r, void *out, size_t n);
uint32_t gm_get_u32(gm_reader *r);
/* A row written by gm_row_put, as a gm_row_copy block; NULL when the
 * bytes are bad (r->bad set) or out of memory (r->bad clear). */
vg_value *gm_row_get(gm_reader *r, const vg_schema *s);

/* ---- the map ---- */

#define GM_NONE UINT32_MAX

/* One key's entry; the operator's payload follows at GM_HDR, then the key
 * bytes. */
typedef struct gm_entry {
    struct gm_entry *next; /* in its hash bucket */
    uint64_t hash;         /* of the key bytes */
    int64_t stamp;         /* event time of the key's newest row (VG_WM_MIN: none yet) */
    uint32_t ttl_at;       /* its index in the TTL heap, GM_NONE when not in it */
    uint32_t len;          /* bytes of the key */
} gm_entry;

#define GM_HDR ((sizeof(gm_entry) + 15) & ~(size_t)15)

/* A binary heap of entries; where each entry's index is kept is up to the
 * heap's owner (at), as is the order (less). */
typedef struct gm_heap {
    gm_entry **items;
    uint32_t n, cap;
    bool (*less)(const gm_entry *a, const gm_entry *b);
    uint32_t *(*at)(gm_entry *e);
} gm_heap;

int gm_heap_push(gm_heap *h, gm_entry *e); /* 0 or -1 (out of memory) */
void gm_heap_remove(gm_heap *h, gm_entry *e);
void gm_heap_fix(gm_heap *h, gm_entry *e); /* after e's order changed */
void gm_heap_free(gm_heap *h);

typedef struct gm_map {
    size_t payload;     /* bytes of payload per entry (a multiple of 16) */
    gm_entry **buckets; /* nbuckets chains; NULL until the first key */
    uint32_t nbuckets;  /* a power of two, or 0 */
    uint32_t n;         /* entries */
    gm_heap ttl;        /* with a TTL: entries by stamp, least first */
} gm_map;

static inline void *gm_payload(const gm_entry *e) { return (char *)e + GM_HDR; }

static inline const char *gm_key(const gm_map *m, const gm_entry *e)
{
    return (const char *)e + GM_HDR + m->payload;
}

/* An empty map whose entries hold payload bytes (rounded up to 16). */
void gm_init(gm_map *m, size_t payload);
/* The entry of key bytes p[0..len), or NULL. */
gm_entry *gm_find(const gm_map *m, const char *p, uint32_t len);
/* A new entry for key bytes p[0..len) (not in the map yet), payload
 * zeroed, no stamp. NULL when out of memory (nothing changed). */
gm_entry *gm_add(gm_map *m, const char *p, uint32_t len);
/* Take e out of the map (and the TTL heap) and free it; its payload must
 * hold nothing to free any more. */
void gm_remove(gm_map *m, gm_entry *e);
/* A row of event time ts touched e: its stamp becomes the later of the
 * two; with_ttl keeps e in the TTL heap. 0 or -1 (out of memory: e's
 * stamp is set, e is not in the heap). */
int gm_touch(gm_map *m, gm_entry *e, int64_t ts, bool with_ttl);
/* The entry whose stamp is older than wm - ttl, the oldest first; NULL
 * when none is. Entries stamped before any watermark (VG_WM_MIN) count
 * from wm. The caller frees what it returns (gm_remove) before the next
 * call. */
gm_entry *gm_expired(gm_map *m, int64_t wm, int64_t ttl);
/* Call fn on every entry, stopping at a nonzero return, which it gives
 * back. fn must not add or remove entries. */
int gm_each(const gm_map *m, int (*fn)(void *arg, gm_entry *e), void *arg);
/* Remove every entry, calling destroy on each first (may be NULL). */
void gm_clear(gm_map *m, void (*destroy)(void *arg, gm_entry *e), void *arg);

/* ---- the GROUP BY operator (op_group.c, group_snap.c) ---- */

/* An entry's payload: its row count, then the aggregate states (at offs). */
typedef struct grp_group {
    int64_t count; /* rows accumulated less rows retracted; the key goes at 0 */
} grp_group;

typedef struct grp_state {
    gm_map map;
    const vg_plan_node *node; /* read-only plan node */
    const vg_schema *in;      /* the input's columns */
    uint32_t nkeys, naggs;
    size_t *offs;         /* naggs offsets of the aggregate states in the payload */
    vg_buf key;           /* scratch: the row's encoded key */
    vg_value *prev, *out; /* scratch: the key's row before and after a change */
    vg_buf strs;          /* scratch: copies of prev's strings */
    vg_value *args;       /* scratch: the row's arguments, VG_AGG_MAXARGS per aggregate */
    bool *counts;         /* scratch: per aggregate, the row passed its FILTER */
} grp_state;

static inline char *grp_states(const gm_entry *e) { return (char *)gm_payload(e); }

/* A new entry for key p[0..len): count 0, aggregate states initialised.
 * NULL when out of memory. */
gm_entry *grp_entry_new(grp_state *st, const char *p, uint32_t len);
/* Destroy e's aggregate states and remove it. */
void grp_entry_free(grp_state *st, gm_entry *e);
/* Fill out with e's row: the key columns, then the aggregates' values
 * (strings point into e's key and states). */
void grp_row(const grp_state *st, const gm_entry *e, vg_value *out);

int grp_snapshot(vg_op *op, vg_buf *out, vg_error *err);
int grp_restore(vg_op *op, const void *p, size_t n, vg_error *err);
int grp_iterate(vg_op *op, vg_op_visit_fn fn, void *arg);

#endif
