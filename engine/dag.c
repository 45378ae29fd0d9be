/*
 * dag.c — instantiating and wiring operators from a plan.
 */
#include "engine/dag.h"

#include <string.h>

struct vg_dag {
    const vg_plan *plan; /* borrowed */
    vg_op_env env;       /* shared evaluation context */
    vg_error err;        /* first run-time error */
    uint32_t nops;
    vg_op *ops;          /* indexed by plan node id */
    uint32_t nchannels;
    vg_channel *channels;
};

/* Count how many nodes read from node id, to size its edge array. */
static uint32_t count_readers(const vg_plan *p, uint32_t id)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < p->nnodes; i++)
        for (uint32_t j = 0; j < p->nodes[i]->ninputs; j++)
            if (p->nodes[i]->inputs[j]->id == id)
                n++;
    return n;
}

static int wire(vg_dag *d, vg_error *err)
{
    const vg_plan *p = d->plan;
    for (uint32_t i = 0; i < p->nnodes; i++) {
        uint32_t n = count_readers(p, i);
        if (n && !(d->ops[i].out = vg_calloc(VG_MEM_STATE, n, sizeof(vg_op_edge))))
            return vg_error_set(err, VG_ERR_NOMEM, "out of memory");
    }
    for (uint32_t i = 0; i < p->nnodes; i++) {
        const vg_plan_node *node = p->nodes[i];
        for (uint32_t j = 0; j < node->ninputs; j++) {
            vg_op *from = &d->ops[node->inputs[j]->id];
            from->out[from->nout].to = &d->ops[i];
            from->out[from->nout].port = j;
            from->nout++;
        }
    }
    return 0;
}

/* One channel per distinct sink name, in order of first appearance. */
static int make_channels(vg_dag *d, vg_error *err)
{
    const vg_plan *p = d->plan;
    d->channels = vg_calloc(VG_MEM_IO, p->nsinks ? p->nsinks : 1, sizeof(vg_channel));
    if (!d->channels)
        return vg_error_set(err, VG_ERR_NOMEM, "out of memory");
    for (uint32_t i = 0; i < p->nsinks; i++) {
        const vg_plan_node *s = p->sinks[i];
        vg_channel *ch = NULL;
        for (uint32_t c = 0; c < d->nchannels && !ch; c++)
            if (strcmp(d->channels[c].name, s->name) == 0)
                ch = &d->channels[c];
        if (!ch) {
            ch = &d->channels[d->nchannels++];
            ch->name = s->name;
            ch->is_stdout = s->u.sink.is_stdout;
            ch->schema = &s->schema;
            vg_buf_init(&ch->buf, VG_MEM_IO);
        }
        d->ops[s->id].channel = ch;
    }
    return 0;
}

vg_dag *vg_dag_open(const vg_plan *plan, vg_error *err)
{
    return vg_dag_open_with(plan, NULL, err);
}

vg_dag *vg_dag_open_with(const vg_plan *plan, struct vg_registry *registry, vg_error *err)
{
    vg_dag *d = vg_calloc(VG_MEM_STATE, 1, sizeof *d);
    if (!d) {
        vg_error_set(err, VG_ERR_NOMEM, "out of memory");
        return NULL;
    }
    d->plan = plan;
    d->env.eval.err = &d->err;
    d->env.registry = registry;
    d->env.eval.scratch = vg_arena_new(VG_MEM_EXPR, 64 * 1024);
    d->ops = vg_calloc(VG_MEM_STATE, plan->nnodes ? plan->nnodes : 1, sizeof(vg_op));
    if (!d->env.eval.scratch || !d->ops) {
        vg_error_set(err, VG_ERR_NOMEM, "out of memory");
        vg_dag_close(d);
        return NULL;
    }
    d->nops = plan->nnodes;
    for (uint32_t i = 0; i < plan->nnodes; i++) {
        vg_op *op = &d->ops[i];
        op->node = plan->nodes[i];
        op->env = &d->env;
        op->wm = VG_WM_MIN;
        op->ttl_ms = plan->nodes[i]->ttl_ms;
        op->kind = vg_op_kind_for(op->node->kind);
    }
    if (wire(d, err) < 0 || make_channels(d, err) < 0) {
        vg_dag_close(d);
        return NULL;
    }
    for (uint32_t i = 0; i < d->nops; i++) {
        vg_op *op = &d->ops[i];
        if (!op->kind) {
            vg_error_set(err, VG_ERR_RUNTIME, "no operator runs plan node %u", i);
            vg_dag_close(d);
            return NULL;
        }
        if (op->kind->open(op, err) < 0) {
            op->kind = NULL; /* not opened: do not close */
            vg_dag_close(d);
            return NULL;
        }
    }
    return d;
}

void vg_dag_close(vg_dag *d)
{
    if (!d)
        return;
    for (uint32_t i = 0; i < d->nops; i++) {
        vg_op *op = &d->ops[i];
        if (op->kind && op->kind->close)
            op->kind->close(op);
        vg_free(op->out);
    }
    for (uint32_t c = 0; c < d->nchannels; c++)
        vg_buf_free(&d->channels[c].buf);
    vg_free(d->channels);
    vg_free(d->ops);
    vg_arena_free(d->env.eval.scratch);
    vg_free(d);
}

vg_op *vg_dag_source(vg_dag *d, uint32_t i) { return &d->ops[d->plan->sources[i]->id]; }

vg_op *vg_dag_op(vg_dag *d, uint32_t id) { return &d->ops[id]; }

const vg_plan *vg_dag_plan(const vg_dag *d) { return d->plan; }

void vg_dag_push(vg_dag *d, uint32_t source, const vg_value *row)
{
    vg_op *op = vg_dag_source(d, source);
    op->rows_in++;
    op->kind->push(op, 0, row, VG_ROW_INSERT);
}

/* The source forwards each row unchanged (op_source.c) after noting its
 * watermark: when the operator after it takes batches, the source does its
 * bookkeeping row by row with its edges unhooked, and the batch goes on
 * whole. */
void vg_dag_push_batch(vg_dag *d, uint32_t source, const vg_op_batch *b)
{
    vg_op *op = vg_dag_source(d, source);
    bool whole = op->kind == &vg_op_source_kind && op->nout == 1 && op->out[0].to->kind->push_batch;
    uint32_t nout = op->nout;
    if (whole)
        op->nout = 0;
    op->rows_in += b->n;
    for (uint32_t i = 0; i < b->n; i++) {
        d->env.partition = b->parts[i];
        op->kind->push(op, 0, b->rows + (size_t)i * b->width, VG_ROW_INSERT);
    }
    op->nout = nout;
    if (whole)
        vg_op_push_batch(op->out[0].to, op->out[0].port, b);
}

void vg_dag_set_partition(vg_dag *d, int32_t partition) { d->env.partition = partition; }

void vg_dag_watermark(vg_dag *d, int64_t wm)
{
    for (uint32_t i = 0; i < d->plan->nsources; i++)
        vg_op_emit_watermark(vg_dag_source(d, i), wm);
}

void vg_dag_on_late(vg_dag *d, vg_op_late_fn fn, void *arg)
{
    d->env.late = fn;
    d->env.late_arg = arg;
}

uint64_t vg_dag_late_rows(const vg_dag *d) { return d->env.late_rows; }

void vg_dag_add_late_rows(vg_dag *d, uint64_t n) { d->env.late_rows += n; }

vg_arena *vg_dag_scratch(vg_dag *d) { return d->env.eval.scratch; }

void vg_dag_end_batch(vg_dag *d) { vg_arena_reset(d->env.eval.scratch); }

const vg_error *vg_dag_error(const vg_dag *d) { return vg_error_is_set(&d->err) ? &d->err : NULL; }

/* Snapshot layout: "VGDAG1", the node count, then per node: its id, its
 * kind's name length and name, its watermark, and the length and bytes of
 * its state (0 for stateless kinds). Little-endian, fixed width. */
static const char snapshot_magic[] = "VGDAG1";

static int put_u64(vg_buf *b, uint64_t v)
{
    unsigned char x[8];
    for (int i = 0; i < 8; i++)
        x[i] = (unsigned char)(v >> (8 * i));
    return vg_buf_append(b, x, 8);
}

static int get_u64(const unsigned char **p, const unsigned char *end, uint64_t *v)
{
    if (end - *p < 8)
        return -1;
    *v = 0;
    for (int i = 0; i < 8; i++)
        *v |= (uint64_t)(*p)[i] << (8 * i);
    *p += 8;
    return 0;
}

int vg_dag_snapshot(vg_dag *d, vg_buf *out, vg_error *err)
{
    if (vg_buf_append(out, snapshot_magic, sizeof snapshot_magic) < 0 || put_u64(out, d->nops) < 0)
        return vg_error_set(err, VG_ERR_NOMEM, "out of memory");
    for (uint32_t i = 0; i < d->nops; i++) {
        vg_op *op = &d->ops[i];
        size_t namelen = strlen(op->kind->name);
        if (put_u64(out, i) < 0 || put_u64(out, namelen) < 0 ||
            vg_buf_append(out, op->kind->name, namelen) < 0 || put_u64(out, (uint64_t)op->wm) < 0)
            return vg_error_set(err, VG_ERR_NOMEM, "out of memory");
        size_t at = out->len;
        if (put_u64(out, 0) < 0)
            return vg_error_set(err, VG_ERR_NOMEM, "out of memory");
        if (op->kind->snapshot && op->kind->snapshot(op, out, err) < 0)
            return -1;
        uint64_t n = out->len - at - 8;
        for (int k = 0; k < 8; k++)
            out->p[at + k] = (char)(n >> (8 * k));
    }
    return 0;
}

int vg_dag_restore(vg_dag *d, const void *bytes, size_t n, vg_error *err)
{
    const unsigned char *p = bytes, *end = p + n;
    uint64_t nops = 0, id = 0, namelen = 0, wm = 0, len = 0;
    if (n < sizeof snapshot_magic || memcmp(p, snapshot_magic, sizeof snapshot_magic) != 0)
        return vg_error_set(err, VG_ERR_RUNTIME, "not a vigil state snapshot");
    p += sizeof snapshot_magic;
    if (get_u64(&p, end, &nops) < 0 || nops != d->nops)
        return vg_error_set(err, VG_ERR_RUNTIME, "the snapshot is of another plan (%llu operators, "
                            "this plan has %u)", (unsigned long long)nops, d->nops);
    for (uint32_t i = 0; i < d->nops; i++) {
        vg_op *op = &d->ops[i];
        if (get_u64(&p, end, &id) < 0 || id != i || get_u64(&p, end, &namelen) < 0 ||
            namelen != strlen(op->kind->name) || (uint64_t)(end - p) < namelen ||
            memcmp(p, op->kind->name, namelen) != 0)
            return vg_error_set(err, VG_ERR_RUNTIME, "the snapshot is of another plan "
                                "(operator %u is not a %s)", i, op->kind->name);
        p += namelen;
        if (get_u64(&p, end, &wm) < 0 || get_u64(&p, end, &len) < 0 ||
            (uint64_t)(end - p) < len)
            return vg_error_set(err, VG_ERR_RUNTIME, "the snapshot is truncated");
        op->wm = (int64_t)wm;
        if (len && (!op->kind->restore || op->kind->restore(op, p, len, err) < 0))
            return vg_error_set(err, VG_ERR_RUNTIME, "cannot restore operator %u (%s)", i,
                                op->kind->name);
        p += len;
    }
    if (p != end)
        return vg_error_set(err, VG_ERR_RUNTIME, "the snapshot has %zu bytes too many",
                            (size_t)(end - p));
    return 0;
}

uint32_t vg_dag_nchannels(const vg_dag *d) { return d->nchannels; }

vg_channel *vg_dag_channel(vg_dag *d, uint32_t i) { return &d->channels[i]; }
