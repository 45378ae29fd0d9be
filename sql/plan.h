/*
 * plan.h — the logical plan: what the front end hands the runtime.
 *
 * A vg_plan is a DAG of nodes in topological order (every node after its
 * inputs). Sources are the declared streams, sinks are INSERT targets and
 * standard output (for bare SELECTs); between them are operator nodes
 * compiled from views and queries. The plan is read-only at run time: the
 * runtime keeps its mutable state elsewhere, one state object per node.
 *
 * Everything in a plan lives in the plan's arena and is freed by
 * vg_plan_free.
 */
#ifndef VG_PLAN_H
#define VG_PLAN_H

#include <stdint.h>
#include <stdio.h>

#include "engine/alloc.h"
#include "engine/error.h"
#include "engine/expr.h"
#include "engine/value.h"
#include "sql/ast.h"
#include "udf/agg.h"

typedef enum vg_plan_kind {
    VG_PLAN_SOURCE,  /* a CREATE STREAM: rows come from a source binding */
    VG_PLAN_PROJECT, /* filter then projection (WHERE, SELECT list) */
    VG_PLAN_SINK,    /* INSERT INTO sink, or a bare SELECT to stdout */
    VG_PLAN_OVER,    /* OVER aggregates of one window: the input row, then one
                        column per aggregate, emitted as each row arrives */
    VG_PLAN_WINDOW,  /* a window TVF (TUMBLE, HOP, CUMULATE, SESSION): bare, the input
                        row once per window it falls in, with window_start, window_end
                        and window_time appended, on arrival; grouped, one row per
                        window and GROUP BY key when the watermark passes the window */
    VG_PLAN_GROUP,   /* GROUP BY without a window, SELECT DISTINCT, an aggregate without
                        GROUP BY: an updating table, the keys then one column per
                        aggregate, changed on arrival (engine/op_group.c) */
    VG_PLAN_RANK,    /* ROW_NUMBER() deduplication and Top-N: the input row [then the
                        row number], per PARTITION BY key (engine/op_rank.c) */
    VG_PLAN_PREDICT, /* ML_PREDICT: the input row, then the model's OUTPUT columns, then
                        its shadow model's (engine/op_predict.c) */
    VG_PLAN_RULES,   /* APPLY_RULES: the input row, then decision, rule_id, matched_rules,
                        shadow_rules, rules_version (engine/op_rules.c) */
    /* later: VG_PLAN_MATCH, VG_PLAN_JOIN */
} vg_plan_kind;

/* A CREATE MODEL: what ML_PREDICT scores with. The runtime loads the file
 * (engine/registry.h) before the DAG opens. */
typedef struct vg_plan_model {
    const char *name;
    int type;                /* vg_model_type (udf/model.h) */
    const char *path;        /* WITH 'path', resolved against the SQL file's folder */
    vg_schema input;         /* INPUT (...): the features, in order */
    vg_schema output;        /* OUTPUT (...): the scores, all DOUBLE */
    const struct vg_plan_model *shadow; /* WITH 'shadow': a model scored beside this one,
                                           its scores appended as <column>_shadow; or NULL */
    const char *version_column; /* WITH 'version_column': a BIGINT column after the scores
                                   with the version that scored the row (and <name>_shadow
                                   after the shadow's scores); or NULL */
    const vg_source *src;    /* the statement's source */
    vg_span span;            /* the statement */
    vg_span path_span;       /* the 'path' value: where a file that does not load points */
    vg_span output_span;     /* OUTPUT (...): where a model with other outputs points */
} vg_plan_model;

/* A CREATE RULESET: what APPLY_RULES decides with (engine/rules.h). */
typedef struct vg_plan_ruleset {
    const char *name;
    const char *default_action; /* WITH 'default' (the decision when no rule matches),
                                   else "allow" */
    const char *file;        /* WITH 'file': rules loaded at start, resolved against the SQL
                                file's folder; NULL: the store's active version */
    const vg_schema *input;  /* the columns of the tables it is applied to (conditions bind
                                over them); NULL while no APPLY_RULES uses it */
    const vg_source *src;    /* the statement's source */
    vg_span span;            /* the statement */
    vg_span file_span;       /* the 'file' value */
} vg_plan_ruleset;

typedef struct vg_plan_node vg_plan_node;

/* One aggregate call of an aggregating node, over that node's input row. */
typedef struct vg_plan_agg {
    vg_agg_call call;                 /* the bound aggregate */
    vg_expr *args[VG_AGG_MAXARGS];    /* call.nargs argument expressions */
    vg_expr *filter;                  /* FILTER (WHERE ...), or NULL */
    vg_span span;                     /* the call in the SQL */
} vg_plan_agg;

/* The window table-valued functions. */
typedef enum vg_window_kind {
    VG_WINDOW_TUMBLE,   /* TUMBLE(TABLE t, DESCRIPTOR(ts), size [, offset]) */
    VG_WINDOW_HOP,      /* HOP(TABLE t, DESCRIPTOR(ts), slide, size [, offset]) */
    VG_WINDOW_CUMULATE, /* CUMULATE(TABLE t, DESCRIPTOR(ts), step, size [, offset]) */
    VG_WINDOW_SESSION,  /* SESSION(TABLE t [PARTITION BY k, ...], DESCRIPTOR(ts), gap) */
} vg_window_kind;

/* Which windows a row falls in, all in milliseconds. Windows are
 * [start, end): start inclusive, end exclusive. */
typedef struct vg_window_spec {
    vg_window_kind kind;
    int64_t size;   /* TUMBLE, HOP: the window's length; CUMULATE: the largest window's;
                       SESSION: the gap */
    int64_t step;   /* HOP: the slide; CUMULATE: the step; TUMBLE: == size; SESSION: 0 */
    int64_t offset; /* TUMBLE, HOP, CUMULATE: how far window starts are shifted (0: none) */
} vg_window_spec;

/* What a rank node keeps per PARTITION BY key (Flink's Deduplicate and Rank). */
typedef enum vg_rank_mode {
    VG_RANK_FIRST_ROW, /* ORDER BY the event-time column ASC, rn = 1, rn not selected: the
                          row of least event time, emitted once when the watermark passes
                          it (insert-only) */
    VG_RANK_LAST_ROW,  /* ORDER BY the event-time column DESC, rn = 1, rn not selected: the
                          row of greatest event time, replaced on arrival (updating) */
    VG_RANK_TOP_N,     /* anything else: the first `limit` rows in ORDER BY order (updating) */
} vg_rank_mode;

typedef enum vg_frame_kind {
    VG_FRAME_RANGE, /* RANGE BETWEEN INTERVAL ... PRECEDING AND CURRENT ROW: by event time */
    VG_FRAME_ROWS,  /* ROWS BETWEEN n PRECEDING AND CURRENT ROW: by row count */
} vg_frame_kind;

struct vg_plan_node {
    uint32_t id;          /* index in vg_plan.nodes */
    vg_plan_kind kind;
    const char *name;     /* stream, view or sink name; "stdout" for bare SELECTs;
                             NULL for an anonymous operator */
    vg_schema schema;     /* output columns (a sink: the columns it writes) */
    uint32_t ninputs;
    vg_plan_node **inputs;
    const vg_source *src; /* the statement this node came from */
    vg_span span;         /* ... and where in it */
    const char *view;     /* the CREATE VIEW this node was planned for (its own node
                             and the operators inside it), or NULL */
    int64_t ttl_ms;       /* state TTL of a stateful node (pipeline.yaml state.ttl, or
                             its view's own); 0: never. Set after planning, before a
                             DAG opens (vg_op.ttl_ms) */
    bool updating;        /* its output is a changelog with -U, +U or -D rows (a GROUP,
                             a RANK but the first row's, what reads one); else every
                             row is +I. A sink writes "op" when it is set */
    union {
        struct {
            int32_t time_col;   /* WATERMARK FOR column's slot, -1 when none */
            vg_expr *watermark; /* watermark expression over the row, or NULL */
        } source;
        struct {
            vg_expr *filter;    /* WHERE, or NULL */
            uint32_t nexprs;    /* == schema.ncols */
            vg_expr **exprs;    /* one per output column, over the input row */
        } project;
        struct {
            int is_stdout;      /* a bare SELECT */
        } sink;
        struct vg_plan_over {    /* (sql/binder.h's OVER relation holds the same) */
            uint32_t nkeys;      /* PARTITION BY columns (0: one partition) */
            uint32_t *keys;      /* their slots in the input row */
            int32_t order_col;   /* ORDER BY: the input's event-time column */
            uint32_t nframes;    /* the windows of these keys, >= 1: one frame each */
            struct vg_plan_frame {
                vg_frame_kind frame; /* RANGE or ROWS */
                int64_t preceding;   /* RANGE: milliseconds; ROWS: rows; -1: UNBOUNDED */
                uint32_t naggs;      /* its aggregates, */
                vg_plan_agg *aggs;   /* the next naggs output columns */
            } *frames;
            uint32_t naggs;      /* of every frame: == schema.ncols - the input's ncols;
                                    output columns input.ncols .., frame after frame */
        } over;                  /* OVER aggregates: every window of one PARTITION BY key
                                    set, appending one column per aggregate */
        struct {
            vg_window_spec spec; /* the TVF and its intervals */
            int32_t time_col;    /* DESCRIPTOR(ts): the input's event-time column */
            bool grouped;        /* GROUP BY window_start, window_end, keys: output is
                                    window_start, window_end, window_time, the keys, then
                                    one column per aggregate; else (bare) the input row,
                                    then window_start, window_end, window_time */
            uint32_t nkeys;      /* grouped: the other GROUP BY columns (for SESSION, its
                                    PARTITION BY columns); 0 for one group per window */
            uint32_t *keys;      /* their slots in the input row */
            uint32_t naggs;      /* grouped: the aggregates, output columns 3 + nkeys .. */
            vg_plan_agg *aggs;
        } window;
        struct {
            uint32_t nkeys;      /* GROUP BY columns (0: one group) */
            uint32_t *keys;      /* their slots in the input row */
            uint32_t naggs;      /* the aggregates, output columns nkeys .. */
            vg_plan_agg *aggs;
            int32_t time_col;    /* the input's event-time column (TTL), or -1 */
        } group;
        struct {
            vg_rank_mode mode;
            uint32_t nkeys;      /* PARTITION BY columns (0: one partition) */
            uint32_t *keys;      /* their slots in the input row */
            uint32_t norder;     /* ORDER BY columns, at least one */
            uint32_t *order;     /* their slots in the input row */
            bool *desc;          /* per ORDER BY column: DESC (NULLs last) or ASC
                                    (NULLs first), as Flink's default null order */
            int64_t limit;       /* the N of rn <= N (1 for deduplication) */
            bool with_rn;        /* the row number is selected: output column
                                    input.ncols (BIGINT) */
            int32_t time_col;    /* the input's event-time column, or -1 (TOP_N
                                    without one: TTL by the watermark) */
        } rank;
        struct {
            const vg_plan_model *model; /* the model scored */
            uint32_t *cols;      /* DESCRIPTOR(...): the input slots of its features, one
                                    per model->input column */
        } predict;
        struct {
            const vg_plan_ruleset *ruleset;
        } rules;
    } u;
};

typedef struct vg_plan {
    vg_arena *arena;       /* owns every node, name and expression */
    uint32_t nnodes;
    vg_plan_node **nodes;  /* topological order */
    uint32_t nsources;
    vg_plan_node **sources; /* the VG_PLAN_SOURCE nodes, in declaration order */
    uint32_t nsinks;
    vg_plan_node **sinks;   /* the VG_PLAN_SINK nodes, in statement order; two
                               INSERTs into one sink are two nodes of one name */
    uint32_t nmodels;
    vg_plan_model **models; /* every CREATE MODEL, in statement order */
    uint32_t nrulesets;
    vg_plan_ruleset **rulesets; /* every CREATE RULESET, in statement order */
} vg_plan;

/* Bind and plan the statements (in order; later statements see earlier
 * streams and views). On success *out is a new plan the caller frees with
 * vg_plan_free. On failure returns -1, *out is NULL and err holds the first
 * error with its position. */
int vg_plan_build(const vg_ast_stmt *stmts, uint32_t nstmts, vg_plan **out, vg_error *err);
void vg_plan_free(vg_plan *p);

typedef enum vg_explain_format { VG_EXPLAIN_TEXT, VG_EXPLAIN_DOT } vg_explain_format;
/* Write the operator DAG to out. Returns 0, or -1 on a write error. */
int vg_plan_explain(const vg_plan *p, vg_explain_format fmt, FILE *out);

#endif
