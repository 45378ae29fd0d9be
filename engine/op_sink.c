/*
 * op_sink.c — a sink: encodes each row as a JSON line into its channel.
 *
 * Encoding happens here (it is per-row work on the hot path), through a
 * writer that holds the escaped column names; writing the bytes is the
 * runner's job, between batches.
 *
 * An append-only query's rows are written as they are. An updating
 * query's (plan node `updating`: GROUP BY, DISTINCT, deduplication keeping
 * the last row, Top-N) are a changelog, and each row is written with its
 * kind first, as Flink names them (docs/updating.md):
 *
 *   {"op":"+I","card_id":"c1","n":1}    insert
 *   {"op":"-U","card_id":"c1","n":1}    the row before an update
 *   {"op":"+U","card_id":"c1","n":2}    the row after it
 *   {"op":"-D","card_id":"c1","n":2}    delete
 *
 * The planner refuses a column named "op" in an updating query.
 */
#include <string.h>

#include "engine/json_out.h"
#include "engine/op.h"

/* Indexed by vg_row_kind. */
static const char *const kind_names[] = {[VG_ROW_INSERT] = "+I",
                                         [VG_ROW_UPDATE_BEFORE] = "-U",
                                         [VG_ROW_UPDATE_AFTER] = "+U",
                                         [VG_ROW_DELETE] = "-D"};

typedef struct sink_state {
    vg_json_writer *w; /* for the node's columns, "op" first when updating */
    vg_value *row;     /* updating: "op" then the row, node->schema.ncols + 1 values */
} sink_state;

static void sink_close(vg_op *op)
{
    sink_state *st = op->state;
    if (!st)
        return;
    vg_json_writer_free(st->w);
    vg_free(st->row);
    vg_free(st);
    op->state = NULL;
}

/* The writer of an updating sink: an "op" column, then the node's. */
static vg_json_writer *changelog_writer(const vg_schema *s)
{
    vg_column *cols = vg_malloc(VG_MEM_IO, (s->ncols + 1) * sizeof *cols);
    if (!cols)
        return NULL;
    cols[0].name = "op";
    cols[0].type = VG_T_STRING;
    memcpy(cols + 1, s->cols, s->ncols * sizeof *cols);
    vg_schema with_op = {s->ncols + 1, cols};
    vg_json_writer *w = vg_json_writer_new(&with_op); /* copies what it needs */
    vg_free(cols);
    return w;
}

static int sink_open(vg_op *op, vg_error *err)
{
    const vg_plan_node *n = op->node;
    sink_state *st = vg_calloc(VG_MEM_IO, 1, sizeof *st);
    op->state = st;
    if (st && n->updating) {
        st->row = vg_calloc(VG_MEM_IO, n->schema.ncols + 1, sizeof *st->row);
        st->w = st->row ? changelog_writer(&n->schema) : NULL;
    } else if (st) {
        /* the writer escapes the column names once, not per row */
        st->w = vg_json_writer_new(&n->schema);
    }
    if (!st || !st->w) {
        sink_close(op);
        return vg_error_set(err, VG_ERR_NOMEM, "out of memory");
    }
    return 0;
}

static void sink_push(vg_op *op, uint32_t port, const vg_value *row, vg_row_kind kind)
{
    (void)port;
    sink_state *st = op->state;
    vg_channel *ch = op->channel;
    if (st->row) {
        st->row[0] = vg_str(kind_names[kind], 2);
        memcpy(st->row + 1, row, op->node->schema.ncols * sizeof *row);
        row = st->row;
    }
    if (vg_json_writer_row(st->w, &ch->buf, row) < 0) {
        vg_error_set(op->env->eval.err, VG_ERR_NOMEM, "out of memory encoding a row for sink '%s'",
                     ch->name);
        return;
    }
    ch->rows++;
}

const vg_op_kind vg_op_sink_kind = {
    .name = "sink",
    .open = sink_open,
    .push = sink_push,
    .close = sink_close,
};
