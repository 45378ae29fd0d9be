/*
 * runner_common.h — what the runners (replay over files, run over Kafka)
 * share: the dead letter of a row that an operator found too late.
 */
#ifndef VG_RUNNER_COMMON_H
#define VG_RUNNER_COMMON_H

#include <stdint.h>

#include "engine/op.h"

/* A vg_op_late_fn (vg_dag_on_late) whose arg is a vg_buf: appends
 *   {"source":"<operator>","reason":"late: event time T is behind the
 *    watermark W","row":{...}}
 * and a newline, the row as the operator's input decoded it (the event it
 * came from is long gone). Out of memory is latched in the DAG's run-time
 * error (op->env->eval.err) and the buffer is left as it was. */
void vg_runner_late_row(void *arg, const vg_op *op, const vg_value *row, int64_t ts);

#endif
