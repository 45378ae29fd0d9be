/*
 * window_int.h — what the window operator's files share: op_window.c (the
 * operator: which windows a row falls in, adding rows, firing, bare TVFs),
 * window_state.c (groups and the firing heap), window_rows.c (the rows a
 * bare SESSION holds until its session closes) and window_snap.c
 * (snapshot, restore, iterate).
 *
 * The state of a grouped window node is a keymap.h table from GROUP BY key
 * (with the source partition) to a win_key, which holds the key's live
 * groups: one per window the key has rows in (for SESSION, its open
 * sessions, sorted by start, never overlapping). A group holds its
 * window's bounds, the arrival number of its first row, and one aggregate
 * state per aggregate (udf/agg.h). Every live group is also in a binary
 * heap (keymap.h's) ordered by (end, start, first row): the watermark pops
 * the groups whose window has fired in exactly the order they are
 * emitted. A group is freed as soon as it is emitted, and a key as soon
 * as it has no group left.
 *
 * Event times are bounded (|ts| < 2^62, interval arguments < 2^52, both
 * checked before use), so no window arithmetic can overflow.
 */
#ifndef VG_WINDOW_INT_H
#define VG_WINDOW_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/buf.h"
#include "engine/keymap.h"
#include "engine/op.h"
#include "udf/agg.h"

/* Event times the operator can assign to windows: |ts| < 2^62. */
#define WIN_TS_LIMIT ((int64_t)1 << 62)

/* One window, [start, end). */
typedef struct win_range {
    int64_t start; /* inclusive */
    int64_t end;   /* exclusive */
} win_range;

/* ---- assignment (op_window.c) ---- */

/* Flink's TimeWindow.getWindowStartWithOffset: the start of the window of
 * length size, aligned to offset, that holds ts (a floor modulo, right for
 * negative times too). */
int64_t win_start_of(int64_t ts, int64_t offset, int64_t size);
/* The windows that hold ts, in Flink's order: TUMBLE its one window; HOP
 * the latest start first; CUMULATE the smallest first; SESSION [ts, ts +
 * gap). win_first fills *w with the first and win_next replaces it with the
 * next; both return false when there is none (a HOP whose slide is larger
 * than its size leaves gaps). ts must be within WIN_TS_LIMIT. */
bool win_first(const vg_window_spec *s, int64_t ts, win_range *w);
bool win_next(const vg_window_spec *s, int64_t ts, win_range *w);

/* Whether a window that ends at end has fired at watermark wm: Flink fires
 * a window once the watermark reaches its last millisecond, end - 1. */
static inline bool win_fired(int64_t end, int64_t wm) { return end - 1 <= wm; }

/* ---- state (window_state.c) ---- */

/* The rows of one key in one window. The aggregate states follow the
 * struct, at WIN_GROUP_HDR. */
typedef struct win_group {
    int64_t start, end;   /* the window */
    uint64_t seq;         /* arrival number of its first row (for SESSION, the
                             smallest of the sessions merged into it) */
    uint32_t at;          /* its index in the firing heap */
    union {
        vg_keymap_entry *key;  /* the key it belongs to */
        struct win_group *next_free; /* in the pool: the next free block */
    };
} win_group;

/* Freed group blocks wait in a pool for the next group (most windows
 * open and fire all the time), up to this many. */
#define WIN_POOL 1024

#define WIN_GROUP_HDR ((sizeof(win_group) + 15) & ~(size_t)15)

static inline char *win_group_states(const win_group *g) { return (char *)g + WIN_GROUP_HDR; }

/* One GROUP BY key's live groups: the payload of its keymap.h entry. */
#define WIN_KEY_INLINE 2

typedef struct win_key {
    uint32_t ngroups;   /* live groups */
    uint32_t cap;       /* room in groups */
    win_group **groups; /* SESSION: sorted by start; else in creation order: inl while
                           WIN_KEY_INLINE are enough, else allocated */
    win_group *inl[WIN_KEY_INLINE]; /* the first groups (no allocation for most keys) */
} win_key;

static inline win_key *win_key_of(const vg_keymap_entry *e) { return vg_keymap_payload(e); }

/* The mutable state of one window node. */
typedef struct win_state {
    const vg_plan_node *node; /* read-only plan node */
    const vg_schema *in;      /* the input's columns */
    const vg_op_env *env;     /* the DAG's: the source partition of the row pushed */
    bool rows;                /* a bare SESSION: groups hold their rows (win_rows), no
                                 aggregates */
    uint32_t naggs;           /* aggregates per group */
    size_t *offs;             /* naggs offsets of the aggregate states in a group */
    size_t states_size;       /* bytes of all aggregate states of a group */
    vg_keymap keys;           /* encoded GROUP BY key to its win_key */
    vg_keymap_heap heap;      /* every live group, least (end, start, seq) first */
    uint64_t seq;             /* rows pushed so far (the next row's number) */
    win_group *pool;          /* free group blocks (WIN_GROUP_HDR + states_size bytes) */
    uint32_t npool;           /* how many */
    /* scratch, reused for every row */
    vg_buf key;     /* the row's encoded key */
    vg_value *out;  /* the output row, node->schema.ncols values */
    vg_value *args; /* the row's aggregate arguments, VG_AGG_MAXARGS per aggregate */
    bool *counts;   /* per aggregate: the row passed its FILTER */
} win_state;

/* Set up st's key table and heap (allocates nothing). */
void win_state_init(win_state *st);
/* Encode the GROUP BY columns of row into st->key. 0 or -1 (out of memory). */
int win_key_encode(win_state *st, const vg_value *row);
/* The key of encoded bytes p[0..len), made (with no group) when new. NULL
 * when out of memory. */
vg_keymap_entry *win_key_get(win_state *st, const char *p, uint32_t len);
/* Free k when it holds no group. */
void win_key_release(win_state *st, vg_keymap_entry *k);
/* k's group of window [start, end), or NULL. */
win_group *win_key_find(const vg_keymap_entry *k, int64_t start, int64_t end);
/* A new empty group of k for [start, end) whose first row is number seq:
 * its aggregate states initialised, in k's groups and in the heap. NULL
 * when out of memory (nothing changed). */
win_group *win_group_new(win_state *st, vg_keymap_entry *k, int64_t start, int64_t end,
                         uint64_t seq);
/* Take g out of its key and the heap, free its states and g; its key goes
 * too when it has no group left. */
void win_group_free(win_state *st, win_group *g);
/* Restore the heap order after g's bounds or seq changed. */
static inline void win_heap_fix(win_state *st, win_group *g) { vg_keymap_heap_fix(&st->heap, g); }
/* The group that fires first, or NULL when there is none. */
static inline win_group *win_heap_top(const win_state *st)
{
    return st->heap.n ? st->heap.items[0] : NULL;
}
/* Free every key and group. */
void win_state_clear(win_state *st);

/* Fill st->out with g's output row: window_start, window_end, window_time,
 * the key columns, the aggregates' current values (strings point into g's
 * key and states). */
void win_group_row(win_state *st, const win_group *g);

/* ---- a bare SESSION's rows (window_rows.c) ---- */

/* One row a bare SESSION holds: its arrival number and a gm_row_copy block. */
typedef struct win_row {
    uint64_t seq;   /* arrival number: rows come out in arrival order */
    vg_value *row;  /* the input row, owned */
} win_row;

/* The state of a bare SESSION's group (at win_group_states): its rows in
 * arrival order. All zero is an empty session. */
typedef struct win_rows {
    win_row *v;   /* n rows, room for cap */
    uint32_t n, cap;
} win_rows;

static inline win_rows *win_rows_of(const win_group *g) { return (win_rows *)win_group_states(g); }

/* Keep a copy of row (number seq) in g. 0 or -1 (out of memory, g unchanged). */
int win_rows_add(win_state *st, win_group *g, const vg_value *row, uint64_t seq);
/* Move from's rows into into's, in arrival order. 0 or -1 (out of memory:
 * both unchanged). */
int win_rows_merge(win_group *into, win_group *from);
/* Free g's rows (g's win_rows is all zero after). */
void win_rows_free(win_group *g);
/* Emit g's rows (vg_op_emit, insert), each followed by g's window_start,
 * window_end and window_time; st->out is the scratch row. */
void win_rows_emit(vg_op *op, win_state *st, const win_group *g);
/* Visit g's rows as win_rows_emit outputs them; fn's first non-zero. */
int win_rows_visit(win_state *st, const win_group *g, vg_op_visit_fn fn, void *arg);
/* Append g's rows to b (count, then arrival number and values of each).
 * 0 or -1 (out of memory). */
int win_rows_put(const win_state *st, const win_group *g, vg_buf *b);
/* Read rows written by win_rows_put into g (empty). 0, or -1 (bad bytes or
 * out of memory; g keeps what was read, valid). */
int win_rows_get(win_state *st, win_group *g, vg_keymap_reader *r);

/* ---- snapshot, restore, iterate (window_snap.c) ---- */

int win_snapshot(vg_op *op, vg_buf *out, vg_error *err);
int win_restore(vg_op *op, const void *p, size_t n, vg_error *err);
int win_iterate(vg_op *op, vg_op_visit_fn fn, void *arg);

#endif
