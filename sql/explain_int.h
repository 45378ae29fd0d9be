/*
 * explain_int.h — what explain.c (the text and graphviz forms, every node
 * kind but one) and explain_match.c (MATCH_RECOGNIZE nodes) share: the
 * buffer node descriptions are built in and the helpers that write to it.
 */
#ifndef VG_EXPLAIN_INT_H
#define VG_EXPLAIN_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "engine/buf.h"
#include "sql/plan.h"

/* Where node descriptions are built; rc turns -1 once an allocation fails,
 * so that EXPLAIN reports it instead of printing a partial plan. */
typedef struct ex {
    vg_buf buf;  /* the part being built */
    vg_arena *a; /* parts, names and expression texts */
    int rc;      /* 0, or -1 once an allocation failed */
} ex;

/* One node described as a list of parts: "KIND NAME", then details. */
#define MAX_PARTS 10

typedef struct describe {
    const char *parts[MAX_PARTS]; /* in the arena of the ex that built them */
    int n;                        /* parts used */
} describe;

/* Append s; a name as SQL writes it (back-quoted unless plain); an
 * interval as an INTERVAL literal of its largest whole unit; the names of
 * the input columns cols[0..n) of node, ", "-separated, " DESC" after those
 * desc flags. */
void vg_explain_put(ex *x, const char *s);
void vg_explain_put_name(ex *x, const char *name);
void vg_explain_put_interval(ex *x, int64_t ms);
void vg_explain_put_cols(ex *x, const vg_plan_node *node, const uint32_t *cols, uint32_t n,
                         const bool *desc);
/* The text built so far, copied into x->a (owned by it); the buffer is emptied. */
const char *vg_explain_take(ex *x);

/* The parts of a MATCH_RECOGNIZE node after its header (explain_match.c). */
void vg_explain_match(ex *x, const vg_plan_node *n, describe *d);

#endif
