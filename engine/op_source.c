/*
 * op_source.c — the entry of a stream into the DAG.
 *
 * It forwards each decoded row and keeps the stream's watermark candidate:
 * the largest value of the WATERMARK expression seen so far. The runner
 * reads it (vg_op_source_watermark), combines sources and partitions as
 * their minimum, and advances the DAG.
 */
#include <string.h>

#include "engine/op.h"
#include "engine/op_source.h"

typedef struct source_state {
    int64_t max_wm; /* largest watermark expression value seen; VG_WM_MIN at first */
} source_state;

static int source_open(vg_op *op, vg_error *err)
{
    source_state *st = vg_malloc(VG_MEM_STATE, sizeof *st);
    if (!st)
        return vg_error_set(err, VG_ERR_NOMEM, "out of memory");
    st->max_wm = VG_WM_MIN;
    op->state = st;
    return 0;
}

static void source_push(vg_op *op, uint32_t port, const vg_value *row, vg_row_kind kind)
{
    (void)port;
    const vg_expr *wm = op->node->u.source.watermark;
    if (wm) {
        source_state *st = op->state;
        vg_value v;
        vg_expr_eval(wm, row, &op->env->eval, &v);
        if (!v.null && v.u.i > st->max_wm)
            st->max_wm = v.u.i;
    }
    vg_op_emit(op, row, kind);
}

static int source_snapshot(vg_op *op, vg_buf *out, vg_error *err)
{
    const source_state *st = op->state;
    if (vg_buf_append(out, &st->max_wm, sizeof st->max_wm) < 0)
        return vg_error_set(err, VG_ERR_NOMEM, "out of memory");
    return 0;
}

static int source_restore(vg_op *op, const void *p, size_t n, vg_error *err)
{
    source_state *st = op->state;
    if (n != sizeof st->max_wm)
        return vg_error_set(err, VG_ERR_RUNTIME, "bad source state");
    memcpy(&st->max_wm, p, n);
    return 0;
}

static void source_close(vg_op *op)
{
    vg_free(op->state);
    op->state = NULL;
}

int64_t vg_op_source_watermark(const vg_op *op)
{
    const source_state *st = op->state;
    return st->max_wm;
}

const vg_op_kind vg_op_source_kind = {
    .name = "source",
    .open = source_open,
    .push = source_push,
    .snapshot = source_snapshot,
    .restore = source_restore,
    .close = source_close,
};
