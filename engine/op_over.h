/*
 * op_over.h — what the runner and benchmarks ask of an OVER operator beyond
 * vg_op_kind: how much memory its state holds.
 */
#ifndef VG_OP_OVER_H
#define VG_OP_OVER_H

#include <stddef.h>
#include <stdint.h>

#include "engine/op.h"

/* Memory of one OVER operator's state (figures of all its windows, which
 * share one partition per key and one buffer of rows per partition). */
typedef struct vg_op_over_stats {
    uint64_t partitions; /* partitions held: keys (per source partition) with state */
    uint64_t rows;       /* rows buffered: rows a present or future frame may hold, and
                            rows a partition lets go of on its next row (op_over.c) */
    size_t key_bytes;    /* per-key memory: the map, each partition's header, frame
                            positions, key copy and running aggregate states (with what
                            they allocate) */
    size_t row_bytes;    /* per-row memory: the room for rows in the partitions (as
                            allocated, free room included) and interned strings */
} vg_op_over_stats;

/* Fill *out for op, an operator of kind vg_op_over_kind. */
void vg_op_over_stats_get(const vg_op *op, vg_op_over_stats *out);

#endif
