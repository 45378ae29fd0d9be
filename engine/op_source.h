/*
 * op_source.h — what the runner asks of a source operator beyond vg_op_kind.
 */
#ifndef VG_OP_SOURCE_H
#define VG_OP_SOURCE_H

#include "engine/op.h"

/* The stream's watermark candidate: over the source partitions seen, the
 * smallest of each partition's largest watermark-expression value
 * (VG_WM_MIN when no row yet, or when the stream declares no watermark). */
int64_t vg_op_source_watermark(const vg_op *op);

#endif
