/*
 * agg.h — the table of aggregate functions, and incremental aggregate state.
 *
 * An aggregate is computed incrementally over a changing set of rows: rows
 * are added (a new event in an OVER frame or a window), retracted (an event
 * leaving a sliding frame, a -U/-D row of a changelog), and the result read
 * at any time. Every operator that aggregates (OVER, window, GROUP BY) uses
 * this one interface, so an aggregate is written once.
 *
 * State is a fixed-size block of state_size bytes that the operator owns
 * (usually inside its per-key state) plus, for some aggregates, memory the
 * aggregate allocates itself (the ordered multiset of MIN/MAX, the value
 * counts of DISTINCT, copies of strings): destroy frees it. Strings handed
 * to add/retract are borrowed; an aggregate that keeps one copies it.
 *
 * Costs: COUNT, SUM, AVG, STDDEV/VAR are O(1) per add and retract; MIN and
 * MAX O(log n) (an ordered multiset with counts); DISTINCT O(1) expected (a
 * hash of value counts in front of the aggregate); FIRST_VALUE/LAST_VALUE
 * O(1) amortised (the rows in add order, and per value a chain of its rows).
 *
 * FIRST_VALUE/LAST_VALUE order rows by when they were added: each add gets
 * the next number of a counter kept in the state. A retract removes the
 * oldest added row whose value equals the retracted one (as Flink's
 * FIRST_VALUE with retraction does). For a sliding frame, where rows leave
 * in the order they came, that is exactly the row that left.
 *
 * When the operator promises that (vg_agg_bind.fifo), MIN, MAX, FIRST_VALUE
 * and LAST_VALUE keep instead a deque of the rows that can still become the
 * result (for MIN, each row with no smaller newer one), O(1) amortised per
 * add and retract; a retract then takes the oldest row whatever its value.
 *
 * A state block is 8-byte aligned (state_size is a multiple of 8) and holds
 * no pointer into itself: it may be moved with memcpy. Snapshot bytes are
 * read back by the same call (types, DISTINCT, fifo).
 *
 * State can be written to bytes and read back (snapshot/restore), for
 * checkpoints and for moving state between plans on reload.
 */
#ifndef VG_AGG_H
#define VG_AGG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "engine/alloc.h"
#include "engine/buf.h"
#include "engine/value.h"

#define VG_AGG_MAXARGS 2

/* What a check function is given and fills in. */
typedef struct vg_agg_bind {
    uint32_t nargs;               /* 0 for COUNT(*) */
    vg_type argt[VG_AGG_MAXARGS]; /* in: argument types; out: types to cast them to */
    bool distinct;                /* in: f(DISTINCT x) */
    bool fifo;                    /* in: rows will be retracted in the order they were
                                     added (a sliding OVER frame); lets MIN, MAX,
                                     FIRST_VALUE, LAST_VALUE keep a deque, O(1) */
    vg_type ret;                  /* out: result type */
    int bad_arg;                  /* out on error: argument to blame, -1 = the call */
    char msg[256];                /* out on error, e.g. "SUM expects a numeric argument,
                                     got STRING" */
} vg_agg_bind;

typedef struct vg_agg vg_agg;

/* A bound aggregate call, as the operators hold it (in the plan). */
typedef struct vg_agg_call {
    const vg_agg *agg;            /* the table entry */
    uint32_t nargs;               /* arguments after binding (0 for COUNT(*)) */
    vg_type argt[VG_AGG_MAXARGS]; /* their types (after casts) */
    vg_type ret;                  /* result type */
    bool distinct;                /* duplicates of the argument count once */
    bool fifo;                    /* retracts come in add order (bind's fifo, unless
                                     DISTINCT, which reorders what the aggregate sees) */
    size_t state_size;            /* bytes of state for this call (DISTINCT included) */
} vg_agg_call;

struct vg_agg {
    const char *name;           /* upper case: COUNT, SUM, ... */
    uint8_t min_args, max_args; /* arguments taken (COUNT(*) aside) */
    bool count_star;            /* accepts COUNT(*) (nargs 0) */
    bool ignores_nulls;         /* rows whose argument is NULL are not added (all but COUNT(*)) */
    bool dup_insensitive;       /* DISTINCT cannot change the result (MIN, MAX): binding drops it */
    /* Type a call: fill b->ret, b->argt; or b->msg/bad_arg and return -1. */
    int (*check)(vg_agg_bind *b);
    /* Bytes of fixed state for a call of these types. */
    size_t (*state_size)(const vg_agg_call *c);
    /* Make st (state_size bytes) the state of an empty set. */
    void (*init)(const vg_agg_call *c, void *st);
    /* Add / retract one row's arguments (never NULL when ignores_nulls: the
     * caller skips those rows). 0, or -1 when out of memory (state
     * unchanged). retract is never called for a row that was not added. */
    int (*add)(const vg_agg_call *c, void *st, const vg_value *args);
    int (*retract)(const vg_agg_call *c, void *st, const vg_value *args);
    /* Fold other (same call) into st, as if its rows had been added (after
     * st's own rows, for FIRST/LAST_VALUE): session windows merge. other is
     * unchanged. -1 when out of memory: st is then valid (it can be read and
     * destroyed) but holds an unspecified part of other's rows. */
    int (*merge)(const vg_agg_call *c, void *st, const void *other);
    /* The current result. Strings point into the state (valid until the
     * next add/retract/destroy). An empty set gives NULL, except COUNT: 0. */
    void (*result)(const vg_agg_call *c, const void *st, vg_value *out);
    /* Free what the state allocated; st itself is the caller's. May be NULL. */
    void (*destroy)(const vg_agg_call *c, void *st);
    /* Append the state to out / read it back from *p (advancing it, at most
     * to end) into an init'ed st. 0 or -1 (out of memory, or bad bytes). */
    int (*snapshot)(const vg_agg_call *c, const void *st, vg_buf *out);
    int (*restore)(const vg_agg_call *c, void *st, const char **p, const char *end);
    /* Bytes allocated by the state beyond state_size. May be NULL (none). */
    size_t (*heap_bytes)(const vg_agg_call *c, const void *st);
    const char *synopsis; /* "COUNT(*) | COUNT([DISTINCT] x)" */
    const char *doc;      /* one or two sentences, incl. NULL handling */
};

/* Entry by name, case-insensitive; NULL when it is not an aggregate. */
const vg_agg *vg_agg_lookup(const char *name);
size_t vg_agg_count(void);
const vg_agg *vg_agg_at(size_t i);

/* Bind a call: run check (arity included, with the standard messages) and
 * fill *call (state_size covers DISTINCT's value counts). 0 or -1 with
 * b->msg set. */
int vg_agg_bind_call(const vg_agg *a, vg_agg_bind *b, vg_agg_call *call);

/* The operations operators use; they apply DISTINCT and NULL skipping, so
 * operators never special-case an aggregate. args has call->nargs values.
 * st is call->state_size bytes, 8-byte aligned, made a state by
 * vg_agg_init and freed by vg_agg_destroy. add and merge return -1 when out
 * of memory (add leaves st unchanged; merge as the entry's merge says).
 * Snapshot bytes start with a format version byte; on failure out keeps
 * its old length. Restore reads into an init'ed st and checks the bytes: on
 * -1 (bad or truncated bytes, out of memory) st is left empty, as after
 * vg_agg_init, and *p is unspecified. */
void vg_agg_init(const vg_agg_call *c, void *st);
int vg_agg_add(const vg_agg_call *c, void *st, const vg_value *args);
int vg_agg_retract(const vg_agg_call *c, void *st, const vg_value *args);
int vg_agg_merge(const vg_agg_call *c, void *st, const void *other);
void vg_agg_result(const vg_agg_call *c, const void *st, vg_value *out);
void vg_agg_destroy(const vg_agg_call *c, void *st);
int vg_agg_snapshot(const vg_agg_call *c, const void *st, vg_buf *out);
int vg_agg_restore(const vg_agg_call *c, void *st, const char **p, const char *end);
/* Bytes the state holds beyond state_size (for memory metrics). */
size_t vg_agg_heap_bytes(const vg_agg_call *c, const void *st);

/* Write the aggregate reference (a section of docs/functions.md). */
int vg_agg_write_markdown(FILE *out);

#endif
