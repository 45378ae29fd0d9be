/*
 * reload_int.h — what the reload's files share: reload.c (prepare: the
 * pairing of the two plans' operators; apply: the carrying of state),
 * reload_lineage.c (where each node's rows and columns come from),
 * reload_report.c (the state plan: building, text, JSON) and over_reload.c
 * (an OVER operator's state rebuilt from a running one's).
 */
#ifndef VG_RELOAD_INT_H
#define VG_RELOAD_INT_H

#include "engine/reload.h"

/* ---- lineage (reload_lineage.c) ---- */

/* Where the rows and columns of every node of a plan come from. */
typedef struct reload_lineage {
    const vg_plan *plan; /* borrowed */
    vg_fp *fps;          /* every node's fingerprint, by node id */
    vg_fp *rows;         /* the identity of every node's rows: which events reach it, in
                            which order, one row each */
    const char ***cols;  /* every node's output columns: the identity of what each one is,
                            as a name "c<16 hex digits>" (by node id, then column) */
    vg_arena *arena;     /* everything above */
} reload_lineage;

/* Trace plan p. 0, or -1 with err set (VG_ERR_NOMEM); close it either way. */
int reload_lineage_open(reload_lineage *l, const vg_plan *p, vg_error *err);
void reload_lineage_close(reload_lineage *l);

/* The column identities of node n's (first) input. */
static inline const char *const *reload_in_cols(const reload_lineage *l, const vg_plan_node *n)
{
    return l->cols[n->inputs[0]->id];
}

/* The identity of expression e over columns named names: its SQL over
 * them, ':', its type; "-" for NULL. In a; NULL when out of memory. */
const char *reload_expr_id(const vg_expr *e, const char *const *names, vg_arena *a);
/* The identity of an aggregate call: "SUM(DISTINCT <arg>,...):RET filter(<cond>)". */
const char *reload_agg_id(const vg_plan_agg *g, const char *const *names, vg_arena *a);
/* s then t in a, NULL when either is NULL or out of memory. */
char *reload_cat(vg_arena *a, const char *s, const char *t);

/* ---- the state plan (reload_report.c) ---- */

/* A new, empty state plan for path; NULL when out of memory. */
vg_reload_report *reload_report_new(const char *path);
/* Append an entry (strings copied into the report's arena): 0, or -1 when
 * out of memory. fp may be NULL (a sink). */
int reload_report_add(vg_reload_report *rp, vg_reload_action action, bool stateful,
                      const char *kind, const char *name, int32_t node, int32_t from,
                      const char *fp, const char *why);

/* "10m", "1h", "1d", "90s", "1500ms": an interval of ms for messages, in a. */
const char *reload_duration(vg_arena *a, int64_t ms);
/* "RANGE 10m", "ROWS 5", "UNBOUNDED", in a. */
const char *reload_frame_text(vg_arena *a, bool rows, int64_t preceding);

/* ---- OVER (over_reload.c) ---- */

/* Whether the OVER node `to` (of plan B) can make its state from the
 * running OVER node `from` (of plan A), whose inputs carry the same rows
 * (the caller checks that); from_cols and to_cols name their inputs'
 * columns by lineage. 1 with *why what is rebuilt ("computes card_avg_10m
 * from the rows held"), 0 with *why the reason it cannot ("its PARTITION BY
 * changed"), -1 when out of memory; *why is in a. */
int over_reload_check(const vg_plan_node *from, const vg_plan_node *to,
                      const char *const *from_cols, const char *const *to_cols, vg_arena *a,
                      const char **why);
/* Build the state of `to`, a freshly opened OVER operator, from the state
 * of `from` (which is only read), for nodes over_reload_check accepted. 0,
 * or -1 with err set (VG_ERR_NOMEM; VG_ERR_RUNTIME when the two do not
 * fit): `to` then holds part of the state and is closed by the caller. */
int over_reload_carry(vg_op *from, vg_op *to, const char *const *from_cols,
                      const char *const *to_cols, vg_error *err);

#endif
