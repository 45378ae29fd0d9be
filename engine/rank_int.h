/*
 * rank_int.h — what the rank operator's files share: op_rank.c (the three
 * modes: first-row and last-row deduplication, Top-N) and rank_snap.c
 * (snapshot, restore, iterate).
 *
 * The state is a map (group_int.h) from PARTITION BY key and source
 * partition to an rk_key: the rows the key keeps, each a copy of an input
 * row in a block of its own. A first-row deduplication also keeps the row
 * that waits for the watermark, and every key with such a row is in a
 * heap ordered by (event time, arrival), the order in which the watermark
 * emits them.
 *
 * A window rank (Flink's window Top-N and window deduplication, rank_window.c)
 * keeps, per key (window_start, window_end among its columns), its rows in
 * rank order, and every key is in the firing heap by (window_end - 1, the
 * key's first arrival): the watermark emits the key's rows and drops it.
 */
#ifndef VG_RANK_INT_H
#define VG_RANK_INT_H

#include "engine/group_int.h"

/* What one PARTITION BY key keeps (the map entry's payload). */
typedef struct rk_key {
    vg_value **rows; /* TOP_N and a window rank: its rows in rank order, at most limit;
                        LAST_ROW: the row it keeps; FIRST_ROW: its row once emitted (n is
                        0 or 1) */
    uint32_t n, cap;
    vg_value *pending;    /* FIRST_ROW: the row waiting for the watermark, or NULL */
    int64_t pending_ts;   /* its event time; a window rank: when it fires (window_end - 1) */
    uint64_t pending_seq; /* its arrival number: order among rows of one time; a window
                             rank: the key's first row's */
    uint32_t fire_at;     /* its index in the firing heap */
    bool emitted;         /* FIRST_ROW: the key's row is out; its later rows are dropped */
} rk_key;

typedef struct rk_state {
    gm_map map;
    const vg_plan_node *node; /* read-only plan node */
    const vg_schema *in;      /* the input's columns (what rows hold) */
    vg_keymap_heap fire;      /* FIRST_ROW: keys with a pending row, least (ts, seq) first */
    uint64_t seq;             /* rows pushed so far (the next row's arrival number) */
    vg_buf key;               /* scratch: the row's encoded key */
    vg_value *out;            /* scratch: an output row, the input row then rn */
    vg_value *iter;           /* scratch: an iterate row, the key columns then out */
    bool win;                 /* a window rank: the VG_RANK_WINDOW_ modes (rank_window.c) */
    int32_t wend;             /* a window rank: the input's window_end slot */
} rk_state;

/* Three-way comparison of rows a and b (of schema in) in node n's ORDER BY
 * order, NULLs least before DESC turns it round (op_rank.c). */
int rk_order_cmp(const vg_plan_node *n, const vg_schema *in, const vg_value *a,
                 const vg_value *b);
/* A window rank: row into its window's rows (late when the window fired). */
void rk_window_push(vg_op *op, rk_state *st, const vg_value *row);
/* A window rank: emit and drop the windows watermark wm has passed. */
void rk_window_fire(vg_op *op, rk_state *st, int64_t wm);

static inline rk_key *rk_of(const vg_keymap_entry *e) { return gm_payload(e); }

/* A new entry for key p[0..len), empty. NULL when out of memory. */
vg_keymap_entry *rk_entry_new(rk_state *st, const char *p, uint32_t len);
/* Free what e keeps and remove it (and from the firing heap). */
void rk_entry_free(rk_state *st, vg_keymap_entry *e);
/* Put e's pending row in the firing heap. 0 or -1 (out of memory). */
int rk_fire_push(rk_state *st, vg_keymap_entry *e);
/* Room in k's rows for one more. 0 or -1 (out of memory). */
int rk_reserve(rk_key *k);
/* st->out: row, then rank as rn when the node outputs it. */
const vg_value *rk_out_row(rk_state *st, const vg_value *row, int64_t rank);

int rk_snapshot(vg_op *op, vg_buf *out, vg_error *err);
int rk_restore(vg_op *op, const void *p, size_t n, vg_error *err);
int rk_iterate(vg_op *op, vg_op_visit_fn fn, void *arg);

#endif
