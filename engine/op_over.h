/*
 * op_over.h — what the runner and benchmarks ask of an OVER operator beyond
 * vg_op_kind: how much memory its state holds.
 */
#ifndef VG_OP_OVER_H
#define VG_OP_OVER_H

#include <stddef.h>
#include <stdint.h>

#include "engine/op.h"

/* Memory of one OVER operator's state. */
typedef struct vg_op_over_stats {
    uint64_t partitions; /* keys seen */
    uint64_t rows;       /* rows buffered (rows a present or future frame may hold) */
    size_t key_bytes;    /* per-key memory: the map, each partition's struct, key
                            copy and running aggregate states (with what they allocate) */
    size_t row_bytes;    /* per-row memory: row buffers (as allocated, free space
                            included), interned strings, buffers kept for reuse */
} vg_op_over_stats;

/* Fill *out for op, an operator of kind vg_op_over_kind. */
void vg_op_over_stats_get(const vg_op *op, vg_op_over_stats *out);

#endif
