/*
 * op_source.c — the entry of a stream into the DAG.
 *
 * It forwards each decoded row and keeps the stream's watermark candidate
 * per source partition (DESIGN.md: "per source partition; min across
 * partitions"): for each partition seen, the largest value of the
 * WATERMARK expression over its rows. The stream's watermark is the
 * smallest of them, so one partition that lags holds event time back for
 * the whole stream, as in Flink and Kafka Streams. The runner reads it
 * (vg_op_source_watermark), combines streams as their minimum, and
 * advances the DAG. A partition that stops sending holds the watermark
 * where it is until its input ends (idle partitions are the Kafka runner's
 * business: it can declare one idle after a timeout).
 */
#include <string.h>

#include "engine/op.h"
#include "engine/op_source.h"

/* One partition's watermark candidate. */
typedef struct source_part {
    int32_t partition; /* the source partition */
    int64_t max_wm;    /* largest watermark expression value of its rows */
} source_part;

typedef struct source_state {
    source_part *parts; /* partitions seen, in order of first sight */
    uint32_t nparts;
    uint32_t cap;
    uint32_t last;      /* the index of the partition of the previous row */
} source_state;

static int nomem(vg_error *err) { return vg_error_set(err, VG_ERR_NOMEM, "out of memory"); }

static int source_open(vg_op *op, vg_error *err)
{
    source_state *st = vg_calloc(VG_MEM_STATE, 1, sizeof *st);
    if (!st)
        return nomem(err);
    op->state = st;
    return 0;
}

/* The entry of partition, added (with no watermark yet) when new; NULL
 * when out of memory. Rows of one partition come in runs, so the previous
 * row's entry is tried first. */
static source_part *part_of(source_state *st, int32_t partition)
{
    if (st->last < st->nparts && st->parts[st->last].partition == partition)
        return &st->parts[st->last];
    for (uint32_t i = 0; i < st->nparts; i++)
        if (st->parts[i].partition == partition) {
            st->last = i;
            return &st->parts[i];
        }
    if (st->nparts == st->cap) {
        uint32_t cap = st->cap ? st->cap * 2 : 4;
        source_part *grown = vg_realloc(VG_MEM_STATE, st->parts, cap * sizeof *grown);
        if (!grown)
            return NULL;
        st->parts = grown;
        st->cap = cap;
    }
    st->last = st->nparts;
    st->parts[st->nparts] = (source_part){partition, VG_WM_MIN};
    return &st->parts[st->nparts++];
}

static void source_push(vg_op *op, uint32_t port, const vg_value *row, vg_row_kind kind)
{
    (void)port;
    const vg_expr *wm = op->node->u.source.watermark;
    if (wm) {
        source_part *sp = part_of(op->state, op->env->partition);
        if (!sp) {
            nomem(op->env->eval.err);
            return;
        }
        vg_value v;
        vg_expr_eval(wm, row, &op->env->eval, &v);
        if (!v.null && v.u.i > sp->max_wm)
            sp->max_wm = v.u.i;
    }
    vg_op_emit(op, row, kind);
}

/* Snapshot: the partition count, then (partition, watermark) pairs. */
static int source_snapshot(vg_op *op, vg_buf *out, vg_error *err)
{
    const source_state *st = op->state;
    if (vg_buf_append(out, &st->nparts, sizeof st->nparts) < 0)
        return nomem(err);
    for (uint32_t i = 0; i < st->nparts; i++)
        if (vg_buf_append(out, &st->parts[i].partition, sizeof(int32_t)) < 0 ||
            vg_buf_append(out, &st->parts[i].max_wm, sizeof(int64_t)) < 0)
            return nomem(err);
    return 0;
}

static int source_restore(vg_op *op, const void *p, size_t n, vg_error *err)
{
    source_state *st = op->state;
    const char *b = p;
    uint32_t count;
    if (n < sizeof count)
        return vg_error_set(err, VG_ERR_RUNTIME, "bad source state");
    memcpy(&count, b, sizeof count);
    if (n != sizeof count + (size_t)count * 12)
        return vg_error_set(err, VG_ERR_RUNTIME, "bad source state");
    b += sizeof count;
    for (uint32_t i = 0; i < count; i++, b += 12) {
        int32_t partition;
        memcpy(&partition, b, 4);
        source_part *sp = part_of(st, partition);
        if (!sp)
            return nomem(err);
        memcpy(&sp->max_wm, b + 4, 8);
    }
    return 0;
}

static void source_close(vg_op *op)
{
    source_state *st = op->state;
    if (st)
        vg_free(st->parts);
    vg_free(st);
    op->state = NULL;
}

int64_t vg_op_source_watermark(const vg_op *op)
{
    const source_state *st = op->state;
    if (!st->nparts)
        return VG_WM_MIN;
    int64_t wm = VG_WM_MAX;
    for (uint32_t i = 0; i < st->nparts; i++)
        if (st->parts[i].max_wm < wm)
            wm = st->parts[i].max_wm;
    return wm;
}

const vg_op_kind vg_op_source_kind = {
    .name = "source",
    .open = source_open,
    .push = source_push,
    .snapshot = source_snapshot,
    .restore = source_restore,
    .close = source_close,
};
