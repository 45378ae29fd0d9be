/*
 * group_int.h — what the updating operators share: the keyed state map
 * (a keymap.h table) with its TTL (group_map.c), and the state of the
 * GROUP BY operator (op_group.c, group_snap.c). The rank operator
 * (op_rank.c, rank_snap.c) keeps its keys in the same map.
 *
 * Keys are encoded, hashed and kept by keymap.h (the partition, then the
 * key columns as bytes); rows kept in state (a Top-N's rows) are encoded
 * the same way in snapshots and copied into one block of their own in
 * memory.
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
#include "engine/keymap.h"
#include "engine/op.h"
#include "udf/agg.h"

/* ---- rows as bytes (each value as keymap.h encodes it) ---- */

/* A copy of row (s->ncols values) in one block the caller frees with
 * vg_free; its strings point into the block. NULL when out of memory. */
vg_value *gm_row_copy(const vg_schema *s, const vg_value *row);
/* Append row's values to b. 0 or -1 (out of memory). */
int gm_row_put(vg_buf *b, const vg_schema *s, const vg_value *row);

/* A row written by gm_row_put, as a gm_row_copy block; NULL when the
 * bytes are bad (r->bad set) or out of memory (r->bad clear). */
vg_value *gm_row_get(vg_keymap_reader *r, const vg_schema *s);

/* ---- the map: a keymap.h table whose entries carry a TTL stamp ---- */

/* The first bytes of every entry's payload; the operator's payload
 * follows at GM_STAMP. */
typedef struct gm_stamp {
    int64_t stamp;   /* event time of the key's newest row (VG_WM_MIN: none yet) */
    uint32_t ttl_at; /* its index in the TTL heap, VG_KEYMAP_NONE when not in it */
} gm_stamp;

#define GM_STAMP ((sizeof(gm_stamp) + 15) & ~(size_t)15)

typedef struct gm_map {
    vg_keymap keys;     /* key bytes to entries */
    vg_keymap_heap ttl; /* with a TTL: entries by stamp, least first */
} gm_map;

static inline gm_stamp *gm_stamp_of(const vg_keymap_entry *e) { return vg_keymap_payload(e); }

static inline void *gm_payload(const vg_keymap_entry *e)
{
    return (char *)vg_keymap_payload(e) + GM_STAMP;
}

static inline const char *gm_key(const gm_map *m, const vg_keymap_entry *e)
{
    return vg_keymap_key(&m->keys, e);
}

/* An empty map whose entries hold payload bytes (rounded up to 16). */
void gm_init(gm_map *m, size_t payload);
/* A new entry for key bytes p[0..len) (not in the map yet), payload
 * zeroed, no stamp. NULL when out of memory (nothing changed). */
vg_keymap_entry *gm_add(gm_map *m, const char *p, uint32_t len);
/* Take e out of the map (and the TTL heap) and free it; its payload must
 * hold nothing to free any more. */
void gm_remove(gm_map *m, vg_keymap_entry *e);
/* A row of event time ts touched e: its stamp becomes the later of the
 * two; with_ttl keeps e in the TTL heap. 0 or -1 (out of memory: e's
 * stamp is set, e is not in the heap). */
int gm_touch(gm_map *m, vg_keymap_entry *e, int64_t ts, bool with_ttl);
/* The entry whose stamp is older than wm - ttl, the oldest first; NULL
 * when none is. Entries stamped before any watermark (VG_WM_MIN) count
 * from wm. The caller frees what it returns (gm_remove) before the next
 * call. */
vg_keymap_entry *gm_expired(gm_map *m, int64_t wm, int64_t ttl);
/* Remove every entry, calling destroy on each first (may be NULL). */
void gm_clear(gm_map *m, void (*destroy)(void *arg, vg_keymap_entry *e), void *arg);

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

static inline char *grp_states(const vg_keymap_entry *e) { return (char *)gm_payload(e); }

/* A new entry for key p[0..len): count 0, aggregate states initialised.
 * NULL when out of memory. */
vg_keymap_entry *grp_entry_new(grp_state *st, const char *p, uint32_t len);
/* Destroy e's aggregate states and remove it. */
void grp_entry_free(grp_state *st, vg_keymap_entry *e);
/* Fill out with e's row: the key columns, then the aggregates' values
 * (strings point into e's key and states). */
void grp_row(const grp_state *st, const vg_keymap_entry *e, vg_value *out);

int grp_snapshot(vg_op *op, vg_buf *out, vg_error *err);
int grp_restore(vg_op *op, const void *p, size_t n, vg_error *err);
int grp_iterate(vg_op *op, vg_op_visit_fn fn, void *arg);
int grp_lookup(vg_op *op, int32_t partition, const vg_value *key, vg_op_visit_fn fn, void *arg);

#endif
