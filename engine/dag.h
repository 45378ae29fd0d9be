/*
 * dag.h — a running operator DAG: one operator per plan node, wired as the
 * plan says, with one output channel per sink name.
 *
 * The DAG owns its operators, their state, the channels and the scratch
 * arena that expression evaluation uses; it borrows the plan, which must
 * outlive it. It does no I/O: the runner pushes decoded rows into sources,
 * advances the watermark, and drains the channels.
 */
#ifndef VG_DAG_H
#define VG_DAG_H

#include <stdint.h>

#include "engine/error.h"
#include "engine/op.h"
#include "sql/plan.h"

typedef struct vg_dag vg_dag;

/* Open an operator for every node of plan. NULL with err set on failure. */
vg_dag *vg_dag_open(const vg_plan *plan, vg_error *err);
/* The same, for a plan with models or rulesets: registry holds them
 * (borrowed; it outlives the DAG). */
struct vg_registry;
vg_dag *vg_dag_open_with(const vg_plan *plan, struct vg_registry *registry, vg_error *err);
void vg_dag_close(vg_dag *d);

/* The operator of plan->sources[i]. */
vg_op *vg_dag_source(vg_dag *d, uint32_t i);
/* Push one row of source i. Errors that are not about the row (out of
 * memory) are latched in vg_dag_error. */
void vg_dag_push(vg_dag *d, uint32_t source, const vg_value *row);
/* Push a batch of rows of source i (each with its source partition, which
 * vg_dag_set_partition is left at the last row's): the same as pushing them
 * one by one, but operators that take batches get them whole. */
void vg_dag_push_batch(vg_dag *d, uint32_t source, const vg_op_batch *b);
/* The source partition of the rows pushed from now on (the kcat envelope's
 * partition; 0 when the log has none). Sources track a watermark per
 * partition, and keyed operators keep their state per partition. */
void vg_dag_set_partition(vg_dag *d, int32_t partition);
/* Advance event time to wm everywhere (monotonic; smaller values are ignored). */
void vg_dag_watermark(vg_dag *d, int64_t wm);
/* End of a batch: frees expression temporaries. Rows already encoded in the
 * channels stay until drained. */
void vg_dag_end_batch(vg_dag *d);
/* The per-batch scratch arena (decoded strings may live there too). */
vg_arena *vg_dag_scratch(vg_dag *d);
/* Where operators send late rows (vg_op_late); arg is handed back. */
void vg_dag_on_late(vg_dag *d, vg_op_late_fn fn, void *arg);
/* Late rows reported so far; add carries a count over a restore. */
uint64_t vg_dag_late_rows(const vg_dag *d);
void vg_dag_add_late_rows(vg_dag *d, uint64_t n);
/* The first run-time error, or NULL. */
const vg_error *vg_dag_error(const vg_dag *d);

/* Write the state of every operator (its watermark, and the bytes of its
 * kind's snapshot for stateful kinds) to out. Call between batches. */
int vg_dag_snapshot(vg_dag *d, vg_buf *out, vg_error *err);
/* Restore a snapshot of a DAG of the same plan into d, freshly opened.
 * -1 with err set when the bytes do not belong to this plan or are
 * damaged; d must then be closed. */
int vg_dag_restore(vg_dag *d, const void *p, size_t n, vg_error *err);

uint32_t vg_dag_nchannels(const vg_dag *d);
vg_channel *vg_dag_channel(vg_dag *d, uint32_t i);
/* The operator of plan node id. */
vg_op *vg_dag_op(vg_dag *d, uint32_t id);
/* The plan d runs (borrowed from whoever opened d). A reload (engine/reload.h)
 * swaps in a DAG of another plan: the admin API follows it through this. */
const vg_plan *vg_dag_plan(const vg_dag *d);

#endif
