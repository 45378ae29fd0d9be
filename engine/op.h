/*
 * op.h — the operator interface.
 *
 * An operator is a read-only plan node plus separate mutable state, behind
 * one table of entry points (vg_op_kind): open, push a row, advance the
 * watermark, flush at end of input, snapshot / restore / iterate its state,
 * close. Operators are push-based: a source pushes a row into its operator,
 * which emits rows to the operators downstream with vg_op_emit. Operators
 * never do I/O; sinks hand encoded bytes to the runner, which writes them.
 *
 * Rows are arrays of vg_value in the node's schema order, borrowed for the
 * duration of the call. Each row carries a changelog kind (Flink's +I, -U,
 * +U, -D): append-only streams only ever carry VG_ROW_INSERT.
 *
 * One kind per file: op_source.c, op_project.c, op_sink.c, ...
 */
#ifndef VG_OP_H
#define VG_OP_H

#include <stdint.h>

#include "engine/buf.h"
#include "engine/error.h"
#include "engine/expr.h"
#include "engine/value.h"
#include "sql/plan.h"

typedef enum vg_row_kind {
    VG_ROW_INSERT,        /* +I */
    VG_ROW_UPDATE_BEFORE, /* -U */
    VG_ROW_UPDATE_AFTER,  /* +U */
    VG_ROW_DELETE,        /* -D */
} vg_row_kind;

/* Event-time bounds: no watermark yet, and end of input. */
#define VG_WM_MIN INT64_MIN
#define VG_WM_MAX INT64_MAX

typedef struct vg_op vg_op;

/* Called for each key of an operator's state by iterate; row is the key
 * columns then the current values, in the schema that iterate documents. */
typedef int (*vg_op_visit_fn)(void *arg, const vg_value *row);

/* A run of inserted rows (VG_ROW_INSERT) of one input, in arrival order,
 * borrowed for the duration of the call. Pushing a batch is pushing its
 * rows one after the other, each with its source partition; a kind that
 * takes batches whole can work across rows (prefetch the state of the
 * rows ahead). */
typedef struct vg_op_batch {
    uint32_t n;            /* rows */
    uint32_t width;        /* values per row: row i is rows + i * width */
    const vg_value *rows;  /* n * width values */
    const int32_t *parts;  /* the source partition of each row (vg_op_env.partition) */
} vg_op_batch;

typedef struct vg_op_kind {
    const char *name; /* "source", "project", "sink", ... */
    /* Allocate op->state for op->node; 0 or -1 with err set. */
    int (*open)(vg_op *op, vg_error *err);
    /* Take one row (in the input's schema) from input port `port`. */
    void (*push)(vg_op *op, uint32_t port, const vg_value *row, vg_row_kind kind);
    /* Take a batch of rows from input port `port`, as push would one after
     * the other. NULL: vg_op_push_batch pushes them one by one. */
    void (*push_batch)(vg_op *op, uint32_t port, const vg_op_batch *b);
    /* Event time has advanced to wm on every input: fire what is due, then
     * forward the watermark (vg_op_emit_watermark). NULL: just forward. */
    void (*watermark)(vg_op *op, int64_t wm);
    /* Serialise state into out / rebuild it from bytes. NULL: stateless. */
    int (*snapshot)(vg_op *op, vg_buf *out, vg_error *err);
    int (*restore)(vg_op *op, const void *p, size_t n, vg_error *err);
    /* Visit each entry of state. NULL: stateless. */
    int (*iterate)(vg_op *op, vg_op_visit_fn fn, void *arg);
    /* Free op->state. */
    void (*close)(vg_op *op);
    /* Visit the entry of one key of state in source partition `partition`, as iterate
     * would visit it (fn gets the same row), or nothing when there is none: key holds
     * the values of the kind's key columns (its PARTITION BY or GROUP BY columns, in
     * order, each of its column's type). For live queries (engine/live.h), which find
     * a key without a scan. Returns fn's nonzero result, -1 when out of memory, else 0.
     * NULL: no lookup (live queries scan with iterate). */
    int (*lookup)(vg_op *op, int32_t partition, const vg_value *key, vg_op_visit_fn fn,
                  void *arg);
} vg_op_kind;

/* Receives rows that came too late for an operator (see vg_op_late). */
typedef void (*vg_op_late_fn)(void *arg, const vg_op *op, const vg_value *row, int64_t ts);

/* Shared by all operators of one running DAG. */
typedef struct vg_op_env {
    vg_eval_ctx eval;      /* scratch arena (reset per batch) and run-time error */
    vg_op_late_fn late;    /* the runner's handler for late rows; NULL: count only */
    void *late_arg;        /* its argument */
    uint64_t late_rows;    /* late rows reported by all operators */
    int32_t partition;     /* the source partition of the row being pushed (the kcat
                              envelope's, else 0). Keyed operators keep their state per
                              source partition: the partition is part of every state key,
                              so that a partition's state can move on its own
                              (DESIGN.md, "Scale-out") */
    struct vg_registry *registry; /* the models and rulesets ML_PREDICT and APPLY_RULES read
                                     (engine/registry.h); NULL when the plan has none */
} vg_op_env;

/* The output of one sink name. Every sink operator of that name (two
 * INSERTs into one sink) appends its encoded rows here, in arrival order;
 * the runner drains the buffer to the sink's binding between batches. */
typedef struct vg_channel {
    const char *name; /* the sink's name; owned by the plan */
    int is_stdout;    /* bare SELECTs */
    const vg_schema *schema; /* of the first sink node of this name */
    vg_buf buf;       /* encoded JSON lines not yet written */
    uint64_t rows;    /* rows encoded so far */
} vg_channel;

/* Where an operator's output goes: an operator and the input port of it. */
typedef struct vg_op_edge {
    vg_op *to;
    uint32_t port;
} vg_op_edge;

struct vg_op {
    const vg_op_kind *kind;
    const vg_plan_node *node; /* read-only plan node; owned by the plan */
    vg_op_env *env;           /* shared run-time context; owned by the DAG */
    void *state;              /* the kind's mutable state; owned by the op */
    vg_channel *channel;      /* sinks: where rows go; owned by the DAG */
    uint32_t nout;            /* downstream edges */
    vg_op_edge *out;
    int64_t wm;               /* last watermark forwarded */
    int64_t ttl_ms;           /* state TTL: a key whose newest row is older than the
                                 watermark less ttl_ms is dropped (event time);
                                 0: never. From pipeline.yaml (state.ttl, or the
                                 view's own), set before open */
    uint64_t rows_in;         /* rows pushed into this operator */
    uint64_t rows_out;        /* rows it emitted */
};

/* Send a row to every downstream operator. */
static inline void vg_op_emit(vg_op *op, const vg_value *row, vg_row_kind kind)
{
    op->rows_out++;
    for (uint32_t i = 0; i < op->nout; i++) {
        vg_op *to = op->out[i].to;
        to->rows_in++;
        to->kind->push(to, op->out[i].port, row, kind);
    }
}

/* Push batch b into input port `port` of op: whole when its kind takes
 * batches, else row by row (setting each row's source partition). */
static inline void vg_op_push_batch(vg_op *op, uint32_t port, const vg_op_batch *b)
{
    op->rows_in += b->n;
    if (op->kind->push_batch) {
        op->kind->push_batch(op, port, b);
        return;
    }
    for (uint32_t i = 0; i < b->n; i++) {
        op->env->partition = b->parts[i];
        op->kind->push(op, port, b->rows + (size_t)i * b->width, VG_ROW_INSERT);
    }
}

/* Send a batch of inserted rows downstream. With more than one downstream
 * operator, row by row (each row to every operator before the next row),
 * so that their outputs interleave as with vg_op_emit. */
static inline void vg_op_emit_batch(vg_op *op, const vg_op_batch *b)
{
    if (op->nout == 1) {
        op->rows_out += b->n;
        vg_op_push_batch(op->out[0].to, op->out[0].port, b);
        return;
    }
    for (uint32_t i = 0; i < b->n; i++) {
        op->env->partition = b->parts[i];
        vg_op_emit(op, b->rows + (size_t)i * b->width, VG_ROW_INSERT);
    }
}

/* An operator received a row whose event time ts is too late for its
 * semantics (each kind decides: an OVER window, rows older than its
 * watermark; a window aggregate, rows whose windows have all fired). The
 * row is not dropped silently: it goes to the dead-letter sink with reason
 * "late", and is counted. */
void vg_op_late(vg_op *op, const vg_value *row, int64_t ts);

/* Forward a watermark downstream (each operator combines its inputs). */
void vg_op_emit_watermark(vg_op *op, int64_t wm);

/* The kinds, one per file. */
extern const vg_op_kind vg_op_source_kind;
extern const vg_op_kind vg_op_project_kind;
extern const vg_op_kind vg_op_sink_kind;
extern const vg_op_kind vg_op_over_kind; /* op_over.c */
extern const vg_op_kind vg_op_window_kind; /* op_window.c */
extern const vg_op_kind vg_op_group_kind; /* op_group.c */
extern const vg_op_kind vg_op_rank_kind; /* op_rank.c */
extern const vg_op_kind vg_op_predict_kind; /* op_predict.c */
extern const vg_op_kind vg_op_rules_kind; /* op_rules.c */
extern const vg_op_kind vg_op_match_kind; /* op_match.c */

/* The operator kind that runs a plan node kind; NULL when there is none. */
const vg_op_kind *vg_op_kind_for(vg_plan_kind k);

#endif
