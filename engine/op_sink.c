/*
 * op_sink.c — a sink: encodes each row as a JSON line into its channel.
 *
 * Encoding happens here (it is per-row work on the hot path), through a
 * writer that holds the escaped column names; writing the
 * bytes is the runner's job, between batches. Only insert rows exist
 * until updating operators arrive; their changelog encoding is decided in
 * docs/sql.md when they do.
 */
#include "engine/json_out.h"
#include "engine/op.h"

static int sink_open(vg_op *op, vg_error *err)
{
    /* the writer escapes the column names once, not per row */
    op->state = vg_json_writer_new(&op->node->schema);
    if (!op->state)
        return vg_error_set(err, VG_ERR_NOMEM, "out of memory");
    return 0;
}

static void sink_push(vg_op *op, uint32_t port, const vg_value *row, vg_row_kind kind)
{
    (void)port;
    (void)kind;
    vg_channel *ch = op->channel;
    if (vg_json_writer_row(op->state, &ch->buf, row) < 0) {
        vg_error_set(op->env->eval.err, VG_ERR_NOMEM, "out of memory encoding a row for sink '%s'",
                     ch->name);
        return;
    }
    ch->rows++;
}

static void sink_close(vg_op *op)
{
    vg_json_writer_free(op->state);
    op->state = NULL;
}

const vg_op_kind vg_op_sink_kind = {
    .name = "sink",
    .open = sink_open,
    .push = sink_push,
    .close = sink_close,
};
