/*
 * match_int.h — what the MATCH_RECOGNIZE operator's files share:
 * op_match.c (open, rows and watermarks, the matcher's hooks, output rows),
 * match_nav.c (navigation values over a match: PREV/NEXT, FIRST/LAST,
 * aggregates, CLASSIFIER, MATCH_NUMBER, TIMED_OUT), match_key.c (the keys
 * of paths, from which DEFINE conditions that read the path are evaluated),
 * match_order.c (further ORDER BY keys: rows of one event time sorted) and
 * match_snap.c (snapshot, restore, iterate).
 *
 * The state is a map (group_int.h) from source partition and PARTITION BY
 * key to an mr_part: the partition's matcher run (engine/nfa.h), its rows
 * in a ring, and its match counter. A row is copied when it arrives into a
 * block of its own (an mr_row header, then the values, then the strings;
 * ONE ROW PER MATCH keeps only the columns the expressions read; blocks
 * are recycled through a small pool) and waits until the watermark passes
 * it, in (event time, arrival) order for the whole operator: rows that
 * come in order queue up, the others go to a heap (with further ORDER BY
 * keys, the rows of one event time, which the watermark releases together,
 * are sorted by those keys then arrival as they are released: the order is
 * decided at release only, so what a snapshot holds does not change with
 * the keys). It is then released to
 * its partition, taking the next position there, and pushed into the
 * matcher as soon as max_next later rows of the partition are released (a
 * DEFINE or measure that reads NEXT must find them), or at the end of
 * input. The ring keeps the rows from max_prev before the oldest row the
 * matcher can still mention (vg_nfa_oldest) to the last released row, so
 * memory grows with the open attempts, not with the partition.
 *
 * With WITHIN, every partition with an open attempt is in a second heap
 * ordered by its deadline (the event time at which its oldest attempt can
 * take no more rows) then its creation number: the watermark advances the
 * matcher of exactly the partitions whose deadline it passed.
 *
 * When the output has an event-time attribute (MATCH_ROWTIME(), or ALL
 * ROWS PER MATCH's ORDER BY column), a row it writes has the time of a row
 * the matcher could still report, at or after the oldest one it can still
 * mention: every partition with such a row is in a third heap by that
 * row's time, and the watermark forwarded stays before the least of them,
 * so that no output row is behind it (a window downstream fires only once
 * every match that can fall in it is out).
 */
#ifndef VG_MATCH_INT_H
#define VG_MATCH_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/group_int.h"
#include "engine/nfa.h"

/* The header of a held row; the row's values follow at MR_ROW_HDR. */
typedef struct mr_row mr_row;
struct mr_row {
    union {
        vg_keymap_entry *part; /* its partition's entry */
        mr_row *next_free;     /* in the block pool: the next free block of its class */
    };
    int64_t ts;   /* event time */
    uint64_t seq; /* arrival number: order among rows of one time */
    uint32_t at;  /* its index in the pending heap while it waits */
    uint32_t cls; /* its block's size class (MR_POOL_CLASS bytes each), 0: not pooled */
};

#define MR_ROW_HDR ((sizeof(mr_row) + 15) & ~(size_t)15)

static inline vg_value *mr_values(const mr_row *r) { return (vg_value *)((char *)r + MR_ROW_HDR); }

/* Row blocks are recycled, so that rows cost no malloc in the steady
 * state: a freed block of up to MR_POOL_CLASSES classes of MR_POOL_CLASS
 * bytes goes to its class's free list while the pool holds less than
 * MR_POOL_BYTES. */
#define MR_POOL_CLASS   64
#define MR_POOL_CLASSES 32
#define MR_POOL_BYTES   (256 * 1024)

typedef struct mr_pool {
    mr_row *free[MR_POOL_CLASSES + 1]; /* per class (1..MR_POOL_CLASSES): free blocks */
    size_t bytes;                      /* bytes the free blocks hold */
} mr_pool;

/* A queue of rows in a ring of slots. */
typedef struct mr_ring {
    mr_row **slot;         /* cap slots (a power of two, or 0) */
    uint32_t cap, head, n; /* the first row is in slot head; n rows */
} mr_ring;

/* The i-th row of q (i < q->n). */
static inline mr_row *mr_ring_at(const mr_ring *q, uint32_t i)
{
    return q->slot[(q->head + i) & (q->cap - 1)];
}

/* Take q's first row out (q->n > 0). */
static inline mr_row *mr_ring_shift(mr_ring *q)
{
    mr_row *r = q->slot[q->head];
    q->head = (q->head + 1) & (q->cap - 1);
    q->n--;
    return r;
}

/* One partition (the map entry's payload). Positions count the partition's
 * released rows from 0; rows holds positions base .. base + rows.n - 1;
 * those from vg_nfa_next_pos(run) on are released but not pushed yet. */
typedef struct mr_part {
    vg_nfa_run *run;  /* the matcher's state */
    uint64_t id;      /* creation number: the order of finishing and of equal deadlines */
    mr_ring rows;     /* the rows held, the row at position base first */
    uint64_t base;    /* the position of the oldest row held */
    uint64_t matches; /* matches reported so far (MATCH_NUMBER of the last) */
    uint32_t npending; /* rows waiting for the watermark */
    uint32_t timer_at; /* its index in the timer heap, VG_KEYMAP_NONE when not in it */
    int64_t deadline;  /* WITHIN: the event time its oldest open attempt ends at */
    uint32_t hold_at;  /* its index in the holds heap, VG_KEYMAP_NONE when not in it */
    int64_t hold;      /* the event time of the oldest row it may still write (or report
                          as the last row of a match) */
} mr_part;

/* How a row is copied into a block: its values as they are, then the
 * bytes of its non-NULL strings among str, and NULL in the columns of
 * drop. */
typedef struct mr_copy {
    uint32_t ncols;          /* the input's columns */
    uint32_t nstr, ndrop;
    uint32_t *str;           /* the STRING columns kept */
    uint32_t *drop;          /* the columns not kept */
} mr_copy;

/* Which navigation values one expression reads (indexes into m->navs). */
typedef struct mr_uses {
    uint32_t n;
    uint32_t *navs;
} mr_uses;

/* A component of a path's key (match_key.c): what one navigation value of
 * the DEFINE conditions keeps of the path. */
typedef struct mr_kcomp {
    uint8_t kind;  /* match_key.c's mr_kkind */
    uint32_t nav;  /* the navigation value's index in the node's navs */
    uint32_t cap;  /* rows or values it keeps at most (match_key.c) */
} mr_kcomp;

typedef struct mr_state {
    gm_map map;
    vg_op *op;                /* the operator (hooks reach its env through it) */
    const vg_plan_match *m;   /* the node's MATCH_RECOGNIZE: read-only */
    const vg_schema *in;      /* the input's columns */
    vg_nfa *nfa;              /* the compiled pattern */
    vg_nfa_opts opts;         /* what every partition's run is made with */
    vg_nfa_hooks hooks;       /* match_nav.c's hooks, arg this state */
    mr_ring sorted;           /* rows waiting for the watermark that came in (ts, seq)
                                 order: each at or after the one before it */
    vg_keymap_heap pending;   /* the other waiting rows, least (ts, seq) first */
    vg_keymap_heap timers;    /* WITHIN: partitions by (deadline, id) */
    vg_keymap_heap holds;     /* hold_wm: partitions by (hold, id) */
    bool hold_wm;             /* the output has an event-time attribute: the watermark
                                 forwarded stays behind every output row still to come */
    int64_t in_wm;            /* the input's watermark (op->wm is the one forwarded) */
    uint64_t seq;             /* rows that arrived so far (the next one's number) */
    uint64_t next_id;         /* the next partition's creation number */
    vg_buf key;               /* scratch: a row's encoded key */
    mr_pool pool;             /* free row blocks */

    /* what the expressions read (computed at open) */
    mr_uses *define_uses;     /* per variable: the navigation values its DEFINE reads */
    mr_uses *define_row;      /* ... those read at the row, not from the path's key */
    mr_kcomp *kcomp;          /* the components of a path's key (match_key.c), one per
                                 navigation value of the DEFINEs that reads the path */
    uint32_t nkcomp;
    uint32_t *koff;           /* per component: its offset in the key being made */
    vg_buf kbuf[3];           /* scratch: keys worked out from a path */
    mr_uses running, final;   /* the measures' navigation values: RUNNING ones (per output
                                 row of ALL ROWS) and FINAL ones (once per match) */
    mr_copy copy;             /* how arriving rows are copied: ONE ROW PER MATCH keeps only
                                 the columns the expressions read */
    mr_copy copy_all;         /* every column (rows read back from a snapshot) */
    uint32_t *rest;           /* ALL ROWS: the input columns after the measures */
    uint32_t nrest;
    uint32_t *shown;          /* ALL ROWS: the ORDER BY columns after the PARTITION BY ones:
                                 the event-time column, then each further key's with `out` */
    uint32_t nshown;          /* ... their number, where the measures start after the keys */

    /* further ORDER BY keys (m->norder > 0): the rows of one event time, all due
       at once, are sorted by them as they are released (op_match.c) */
    mr_row **tie;             /* the rows of one event time, in arrival order */
    vg_value *tie_keys;       /* their keys: norder values per row, in the order of tie */
    uint32_t *tie_ix;         /* the sort: indexes into tie */
    uint32_t tie_cap;         /* rows each of the three has room for */

    /* scratch for evaluation */
    vg_value *row;            /* ncols + nnavs: a DEFINE or measure row */
    vg_value *out;            /* an output row */
    void *agg;                /* an aggregate's state (the largest state_size) */
    uint64_t *posv;           /* positions of the rows an aggregate or FIRST reads */
    uint32_t *varv;           /* ... and their variables (posv_cap of each) */
    uint32_t posv_cap;
    uint8_t *xarg;            /* per navigation value: MR_XARG_* bits, what of the two
                                 hidden slots past the input's columns its argument (or
                                 an aggregate's arguments and filter) reads */
    vg_value *xrow;           /* ncols + 2: an input row with those slots set */
    const vg_nfa_step **steps; /* a match's rows, oldest first */
    uint32_t steps_cap;
    vg_buf json;              /* ARRAY_AGG's text being built */
    vg_keymap_entry **due;    /* partitions whose deadline the watermark passed */
    uint32_t due_cap;

    /* the call in progress */
    vg_keymap_entry *cur;     /* the partition the matcher works on */
} mr_state;

static inline mr_part *mr_part_of(const vg_keymap_entry *e) { return gm_payload(e); }

/* The row at position pos of p, or NULL when p does not hold it (before the
 * rows kept, or not released yet). */
static inline mr_row *mr_row_at(const mr_part *p, uint64_t pos)
{
    if (pos < p->base || pos - p->base >= p->rows.n)
        return NULL;
    return mr_ring_at(&p->rows, (uint32_t)(pos - p->base));
}

/* ---- op_match.c ---- */

/* A copy of row (the input's columns) in a block of its own (from st's
 * pool) as c says, header zeroed; NULL when out of memory. */
mr_row *mr_row_copy(mr_state *st, const mr_copy *c, const vg_value *row);
/* Give r's block back (to the pool, or to the allocator). r may be NULL. */
void mr_row_free(mr_state *st, mr_row *r);
/* A new partition entry for key p[0..len) with a fresh run; NULL when out
 * of memory (nothing changed). */
vg_keymap_entry *mr_part_new(mr_state *st, const char *p, uint32_t len);
/* Append row to q. 0 or -1 (out of memory: the row is still the caller's). */
int mr_ring_push(mr_ring *q, mr_row *row);
/* Put row (its ts and seq set) with the rows waiting for the watermark. 0
 * or -1 (out of memory: the row is still the caller's). */
int mr_wait(mr_state *st, mr_row *row);
/* Put e in the timer and holds heaps, or take it out, as its open attempts
 * and the rows it holds say. 0 or -1 (out of memory). */
int mr_heaps_update(mr_state *st, vg_keymap_entry *e);

/* ---- match_nav.c ---- */

/* A navigation value's argument may read two slots past the input's
 * columns (sql/bind_match_int.h, in_x): the CLASSIFIER of the row it is
 * evaluated at, and MATCH_NUMBER(). */
enum {
    MR_XARG_CLASSIFIER = 1,   /* slot ncols */
    MR_XARG_NUMBER = 2,       /* slot ncols + 1 */
};
/* st->xarg for st's navigation values. 0 or -1 (out of memory). */
int mr_xarg_open(mr_state *st);

/* The matcher's hooks for st: DEFINE conditions, and matches, unmatched
 * rows and timeouts written as output rows. */
vg_nfa_hooks mr_hooks(mr_state *st);

/* Where navigation values are evaluated: the newest row of the match as
 * far as it goes (a step list, newest first; NULL for an empty match),
 * and the match's number and whether it timed out. */
typedef struct mr_at {
    const vg_nfa_step *head;
    uint64_t number;
    bool timed_out;
    const vg_nfa_step *whole; /* MEASURES: the whole match (its last step), whose rows
                                 after head CLASSIFIER can still name; NULL: DEFINE, where
                                 no row after the current one is mapped yet */
} mr_at;

/* Room for n steps in st->steps. 0 or -1 (err set). */
int mr_steps_reserve(mr_state *st, uint32_t n);
/* Compute the navigation values `uses` lists into row[ncols + index], over
 * partition p's rows, at `at`. 0 or -1 (out of memory, err set). */
int mr_navs_eval(mr_state *st, const mr_part *p, const mr_uses *uses, const mr_at *at,
                 vg_value *row, vg_error *err);
/* The navigation values e reads, into *u (allocated; mr_uses_free). 0 or
 * -1 (out of memory). */
int mr_uses_of(const vg_expr *e, uint32_t ncols, uint32_t nnavs, mr_uses *u);
/* Mark in seen[0..n) the slots below n that e (may be NULL) reads. 0 or -1
 * (out of memory). */
int mr_slots_of(const vg_expr *e, uint32_t n, bool *seen);
void mr_uses_free(mr_uses *u);

/* ---- match_key.c ---- */

/* The key's components, and which navigation values each DEFINE reads at
 * the row; sets st->opts' read_path, path_key (keys when a DEFINE reads the
 * path or the attempt's rows) and serial (a DEFINE reads MATCH_NUMBER).
 * After find_uses. 0 or -1 (out of memory). */
int mr_keys_open(mr_state *st);
void mr_keys_close(mr_state *st);
/* vg_nfa_opts.path_key: arg is the state; the partition is st->cur. */
int mr_path_key(void *arg, const vg_nfa_step *path, vg_buf *out);
/* The define hook with keys (engine/nfa.h): appends the key of path taking
 * row pos as var to next, evaluates var's DEFINE from it. 1, 0, -1 (err
 * set). */
int mr_define_keyed(mr_state *st, uint32_t var, uint64_t pos, const vg_nfa_step *path,
                    const void *key, uint32_t key_len, vg_buf *next);

/* ---- match_order.c ---- */

/* Room for n rows in st->tie, tie_keys and tie_ix. 0 or -1 (out of memory:
 * what they held is kept). */
int mr_order_reserve(mr_state *st, uint32_t n);
/* The order in which the n rows of st->tie (of one event time, in arrival
 * order) are released, into st->tie_ix[0..n): by the further ORDER BY
 * keys, ties in arrival order. Never fails (keys evaluate as expressions
 * do, strings in the evaluation's scratch arena). */
void mr_order_sort(mr_state *st, uint32_t n);
void mr_order_close(mr_state *st);

/* ---- match_snap.c ---- */

int mr_snapshot(vg_op *op, vg_buf *out, vg_error *err);
int mr_restore(vg_op *op, const void *p, size_t n, vg_error *err);
int mr_iterate(vg_op *op, vg_op_visit_fn fn, void *arg);
/* The iterate row of the partition of key (the PARTITION BY values, in
 * order) in source partition `partition`, or nothing; fn's result, -1 when
 * out of memory, else 0. */
int mr_lookup(vg_op *op, int32_t partition, const vg_value *key, vg_op_visit_fn fn, void *arg);

#endif
