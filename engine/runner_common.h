/*
 * runner_common.h — what the runners (replay over files, run over Kafka)
 * share: the dead letter of a row that an operator found too late, and the
 * registry of models and rulesets a run opens for itself.
 */
#ifndef VG_RUNNER_COMMON_H
#define VG_RUNNER_COMMON_H

#include <stdbool.h>
#include <stdint.h>

#include "engine/op.h"

/* A vg_op_late_fn (vg_dag_on_late) whose arg is a vg_buf: appends
 *   {"source":"<operator>","reason":"late: event time T is behind the
 *    watermark W","row":{...}}
 * and a newline, the row as the operator's input decoded it (the event it
 * came from is long gone). Out of memory is latched in the DAG's run-time
 * error (op->env->eval.err) and the buffer is left as it was. */
void vg_runner_late_row(void *arg, const vg_op *op, const vg_value *row, int64_t ts);

/* The registry a run scores and decides with: `given` (the caller's,
 * borrowed) when not NULL, else, when the plan has models or rulesets, a
 * new one with all of them loaded (from the store at store_path; NULL: one
 * in memory), which *owned says the caller frees; else NULL. 0, or -1 with
 * err set (*out may then need freeing when *owned). */
struct vg_registry;
int vg_runner_open_registry(const vg_plan *plan, struct vg_registry *given,
                            const char *store_path, struct vg_registry **out, bool *owned,
                            vg_error *err);

#endif
