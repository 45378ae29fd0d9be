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
 * O(log n) with retraction.
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
    vg_type ret;                  /* out: result type */
    int bad_arg;                  /* out on error: argument to blame, -1 = the call */
    char msg[256];                /* out on error, e.g. "SUM expects a numeric argument, got STRING" */
} vg_agg_bind;

typedef struct vg_agg vg_agg;

/* A bound aggregate call, as the operators hold it (in the plan). */
typedef struct vg_agg_call {
    const vg_agg *agg;            /* the table entry */
    uint32_t nargs;               /* arguments after binding (0 for COUNT(*)) */
    vg_type argt[VG_AGG_MAXARGS]; /* their types (after casts) */
    vg_type ret;                  /* result type */
    bool distinct;                /* duplicates of the argument count once */
    size_t state_size;            /* bytes of state for this call (DISTINCT included) */
} vg_agg_call;

struct vg_agg {
    const char *name;        /* upper case: COUNT, SUM, ... */
    uint8_t min_args, max_args;
    bool count_star;         /* accepts COUNT(*) (nargs 0) */
    bool ignores_nulls;      /* rows whose argument is NULL are not added (all but COUNT(*)) */
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
    /* Fold other (same call) into st, as if its rows had been added: session
     * windows merge. -1 when out of memory. */
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
    const char *synopsis;    /* "COUNT(*) | COUNT([DISTINCT] x)" */
    const char *doc;         /* one or two sentences, incl. NULL handling */
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
 * operators never special-case an aggregate. args has call->nargs values. */
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
