/*
 * reload.h — changing a running pipeline's SQL without a restart
 * (DESIGN.md, "Control plane: change without restart"; docs/reload.md).
 *
 * A reload has two steps, so that whoever asks can see what it would do
 * before anything changes:
 *
 *   prepare  compiles the pipeline's files anew (plan B) beside the running
 *            plan (A), as `vigil check` would, and works out the state plan
 *            (vg_reload_report): for every stateful operator of B, whether
 *              kept     it takes the state of an operator of A with the same
 *                       fingerprint (sql/fingerprint.h), untouched;
 *              rebuilt  it makes its state from an operator of A whose state
 *                       serves its new definition: an OVER operator over the
 *                       same rows with the same PARTITION BY whose windows
 *                       gain or lose aggregates, or change size within the
 *                       rows it holds, computes the new aggregates from the
 *                       held rows at once and carries the others as they
 *                       were (engine/over_reload.c); a stream whose columns
 *                       changed carries its watermarks;
 *              empty    it starts with no state (new, or its state cannot
 *                       be carried: the reason is given);
 *            for every stateful operator of A whose state goes nowhere,
 *            `dropped`; and for every sink, whether it goes on (its row
 *            count too), is new, or is no longer written. Nothing running
 *            is touched. A plan that does not compile, or that adds or
 *            removes a stream, is an error with its file, line and column.
 *   apply    opens a DAG of B and carries into it the state the state plan
 *            says, the watermarks, the late-row count, and the row count and
 *            unwritten rows of every sink that goes on. The running DAG is
 *            only read (but for the channels' unwritten rows, moved last):
 *            on any failure it runs on unchanged. The caller swaps the new
 *            DAG in between batches and closes the old one.
 *
 * Operators are matched by what they compute, not by their place: for an
 * OVER operator that is not kept, the rows it sees and the columns it reads
 * are traced back to the streams (engine/reload_lineage.c), so that a
 * window keeps its state when a column is added upstream of it or an
 * aggregate is added beside it.
 *
 * A reload that drops state (report->lost > 0) can be required to be
 * confirmed: the runners' reload service (below) refuses one without
 * confirmation, listing what would be lost.
 *
 * Threads: prepare and apply run on the runner's thread, between batches
 * (apply reads the running operators' state).
 */
#ifndef VG_RELOAD_H
#define VG_RELOAD_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "engine/alloc.h"
#include "engine/buf.h"
#include "engine/dag.h"
#include "engine/error.h"
#include "sql/fingerprint.h"
#include "sql/plan.h"

/* What happens to one operator's state. */
typedef enum vg_reload_action {
    VG_RELOAD_KEPT,    /* B's operator takes the state of A's with its fingerprint */
    VG_RELOAD_REBUILT, /* B's operator makes its state from one of A's */
    VG_RELOAD_EMPTY,   /* B's operator starts with no state; a sink: a new sink */
    VG_RELOAD_DROPPED, /* A's operator's state is not carried anywhere; a sink: no longer
                          written */
} vg_reload_action;

#define VG_RELOAD_NACTIONS 4

/* "kept", "rebuilt", "empty", "dropped". */
const char *vg_reload_action_name(vg_reload_action a);

/* One line of the state plan. */
typedef struct vg_reload_entry {
    vg_reload_action action; /* what happens to its state */
    bool stateful;           /* an operator with state; false: a sink (its output channel) */
    const char *kind;        /* the operator kind: "source", "over", "group", ..., "sink" */
    const char *name;        /* the stream, view or sink; a view's operators that are not its
                                last are named as live tables are (velocity_by_card_id);
                                anonymous ones <kind>_<node id> */
    int32_t node;            /* its plan node id in B; -1 for a dropped one */
    int32_t from;            /* the node id in A whose state it takes (kept, rebuilt), whose
                                state is dropped (dropped), or that it replaces (empty); -1 */
    char fp[VG_FP_HEX];      /* its fingerprint (a dropped one's in A); "" for sinks */
    const char *why;         /* one line saying what is rebuilt, why it is empty, why it is
                                dropped; "" when there is nothing to say (kept) */
} vg_reload_entry;

/* The state plan of a reload. Everything is in its arena: it outlives both
 * plans. */
typedef struct vg_reload_report {
    const char *path;                    /* the pipeline compiled */
    char running_fp[VG_FP_HEX];          /* A's plan fingerprint */
    char plan_fp[VG_FP_HEX];             /* B's */
    uint32_t n;                          /* entries */
    vg_reload_entry *entries;            /* B's stateful operators in plan order, then A's dropped
                                            ones in A's order, then the sinks (B's, then A's gone) */
    uint32_t counts[VG_RELOAD_NACTIONS]; /* stateful operators per action */
    uint32_t lost;                       /* == counts[VG_RELOAD_DROPPED]: what needs confirmation */
    vg_arena *arena;                     /* holds all of it, the report too */
} vg_reload_report;

void vg_reload_report_free(vg_reload_report *rp);
/* Text, one line per entry, each starting with prefix:
 *   PREFIXkept     source payments
 *   PREFIXrebuilt  over velocity_by_card_id: computes card_avg_10m from the rows held
 *   PREFIXempty    group merchant_totals: new
 *   PREFIXdropped  over old_features: no longer in the plan
 *   PREFIXkept     sink card_velocity
 * 0, or -1 on a write error. */
int vg_reload_report_print(const vg_reload_report *rp, const char *prefix, FILE *out);
/* One line: "5 kept, 1 rebuilt, 0 empty, 0 dropped" into out (of cap bytes). */
void vg_reload_report_counts(const vg_reload_report *rp, char *out, size_t cap);
/* Append the state plan as a JSON object's members (no braces):
 *   "path":"...","plan":"<B fp>","running_plan":"<A fp>","kept":5,"rebuilt":1,
 *   "empty":0,"dropped":0,"operators":[{"action":"rebuilt","kind":"over",
 *   "name":"velocity_by_card_id","node":4,"from":3,"fingerprint":"...","why":"..."},...]
 * (node and from null when -1). 0, or -1 when out of memory. */
int vg_reload_report_json(const vg_reload_report *rp, vg_buf *out);
/* Write into out (cap bytes) the refusal of a reload that drops state:
 * "this reload drops the state of 2 operators (over old_features, group
 * totals): confirm it to apply it". */
void vg_reload_lost_message(const vg_reload_report *rp, char *out, size_t cap);

/* ---- prepare, apply ---- */

typedef struct vg_reload vg_reload;

typedef struct vg_reload_opts {
    const vg_plan *running; /* plan A (borrowed; it outlives the reload) */
    const char *path;       /* the pipeline to compile: a .sql file (all settings at their
                               defaults), a pipeline.yaml, or a folder holding one */
    const char *store_path; /* the metadata store B's models and rulesets load from and
                               record versions in (state.store); NULL: one in memory */
} vg_reload_opts;

/* Compile o->path beside o->running and work out the state plan. The
 * reload (vg_reload_free) or NULL with err set: the first error of the SQL
 * or pipeline.yaml with its position, as vigil check gives it; a model or
 * rules file that does not load; VG_ERR_SEMANTIC "a reload cannot add a
 * stream: 'x' is new (restart the pipeline to read it)" (at the CREATE
 * STREAM), VG_ERR_SEMANTIC "a reload cannot remove a stream: 'x' is no
 * longer declared (restart the pipeline)"; VG_ERR_NOMEM. */
vg_reload *vg_reload_prepare(const vg_reload_opts *o, vg_error *err);
void vg_reload_free(vg_reload *r);

/* The state plan (owned by r). */
const vg_reload_report *vg_reload_report_of(const vg_reload *r);
/* The state plan, now the caller's (vg_reload_report_free); r has none after. */
vg_reload_report *vg_reload_take_report(vg_reload *r);
/* Plan B and its settings (pipeline.yaml, or the defaults of a .sql file),
 * owned by r until vg_reload_take_pipeline. */
const vg_plan *vg_reload_plan(const vg_reload *r);
const struct vg_config *vg_reload_config(const vg_reload *r);

/* Open a DAG of plan B with the state of `running` (a DAG of plan A) carried
 * as the state plan says, and put it in *out (the caller's: vg_dag_close).
 * Call between batches, after the channels are written: a sink that goes on
 * takes its channel's unwritten rows and row count, and the late-row count
 * goes over. The caller hooks the new DAG's late rows (vg_dag_on_late),
 * swaps it in, and closes `running`. -1 with err set, `running` unchanged
 * and *out NULL: VG_ERR_USAGE when `running` is not a DAG of plan A or has
 * unwritten rows for a sink B does not have; a kind's snapshot or restore
 * error; VG_ERR_NOMEM. */
int vg_reload_apply(vg_reload *r, vg_dag *running, vg_dag **out, vg_error *err);

/* What B's DAG needs to live after r is freed, now the caller's: the
 * pipeline that owns plan B (vg_pipeline_free after closing the DAG), and
 * the registry of B's models and rulesets (vg_registry_free; NULL when B
 * has none). */
struct vg_pipeline *vg_reload_take_pipeline(vg_reload *r);
struct vg_registry *vg_reload_take_registry(vg_reload *r);
/* B's registry while r holds it (NULL: none). */
struct vg_registry *vg_reload_registry(const vg_reload *r);

/* ---- the reload service of a runner (POST /reload, a control message) ---- */

/* What is asked. */
typedef struct vg_reload_request {
    bool dry_run; /* only the state plan: change nothing */
    bool confirm; /* apply it even when it drops state */
} vg_reload_request;

typedef enum vg_reload_status {
    VG_RELOAD_APPLIED,     /* the new plan runs */
    VG_RELOAD_DRY_RUN,     /* the state plan, nothing changed */
    VG_RELOAD_UNCONFIRMED, /* it would drop state and was not confirmed: nothing changed */
    VG_RELOAD_FAILED,      /* err says why; nothing changed */
} vg_reload_status;

/* What the runner answers. */
typedef struct vg_reload_answer {
    vg_reload_status status;  /* what happened */
    vg_reload_report *report; /* owned; NULL when it failed before a state plan */
    vg_error err;             /* FAILED */
} vg_reload_answer;

void vg_reload_answer_free(vg_reload_answer *ans);

/* Log ans, a reload of path asked for `why` ("at event 300", "on POST
 * /reload ..."), on f (NULL: nothing): one line with its outcome and counts,
 * then its error or its state plan (vg_reload_report_print). */
void vg_reload_log(FILE *f, const char *why, const char *path, const vg_reload_answer *ans);

/* A runner's reload: answer rq into ans (zeroed by the caller). Called on
 * the runner's thread between batches. */
typedef void (*vg_reload_service)(void *arg, const vg_reload_request *rq, vg_reload_answer *ans);
/* Whether the runner stands between batches now (a reload waits until it
 * does). */
typedef bool (*vg_reload_ready)(void *arg);

/* Decide a request against a prepared reload: VG_RELOAD_DRY_RUN for a dry
 * run, VG_RELOAD_UNCONFIRMED (with ans->err holding the message of
 * vg_reload_lost_message, VG_ERR_USAGE) when it drops state and is not
 * confirmed, else VG_RELOAD_APPLIED: the runner applies it. Sets
 * ans->status. */
vg_reload_status vg_reload_decide(const vg_reload *r, const vg_reload_request *rq,
                                  vg_reload_answer *ans);

#endif
