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
    VG_PLAN_MATCH,   /* MATCH_RECOGNIZE: rows matched against a row pattern per PARTITION
                        BY key, in event-time order (engine/op_match.c) */
    /* later: VG_PLAN_JOIN */
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
    /* Flink's window Top-N and window deduplication: PARTITION BY holds window_start
     * and window_end of a window TVF or window aggregate input; each window's rows
     * come out when the watermark passes its end (insert-only; engine/rank_window.c) */
    VG_RANK_WINDOW_TOP_N,     /* each window's first `limit` rows, equal rows in arrival order */
    VG_RANK_WINDOW_FIRST_ROW, /* rn = 1 by the event-time column ASC, rn not selected: the
                                 first row (equal times: the earlier) */
    VG_RANK_WINDOW_LAST_ROW,  /* the same DESC: the last row (equal times: the later) */
} vg_rank_mode;

typedef enum vg_frame_kind {
    VG_FRAME_RANGE, /* RANGE BETWEEN INTERVAL ... PRECEDING AND CURRENT ROW: by event time */
    VG_FRAME_ROWS,  /* ROWS BETWEEN n PRECEDING AND CURRENT ROW: by row count */
} vg_frame_kind;

/* ==== MATCH_RECOGNIZE ==== */

/* A row pattern term with its variables resolved: the AST's shape
 * (vg_pat_kind, sql/ast.h), var an index into vg_plan_match.vars. */
typedef struct vg_plan_pattern vg_plan_pattern;
struct vg_plan_pattern {
    vg_pat_kind kind;
    uint32_t var;           /* VAR: the primary variable's index */
    uint32_t nkids;         /* as in vg_ast_pattern */
    const vg_plan_pattern **kids;
    uint32_t min, max;      /* QUANT; max VG_PAT_UNBOUNDED for no bound */
    bool reluctant;         /* QUANT */
    vg_span span;
};

/* A set of primary variables, one bit each (bit i: vars[i]); at most 64. */
typedef uint64_t vg_mr_vars;
#define VG_MR_MAXVARS 64

/* What a navigation value is. */
typedef enum vg_mr_nav_kind {
    VG_MR_NAV_LAST,         /* LAST(v.x, k), and v.x itself (k = 0): arg at the k-th last
                               row mapped to a variable of `vars`, then moved `physical` */
    VG_MR_NAV_FIRST,        /* FIRST(v.x, k): the k-th row from the first */
    VG_MR_NAV_AGG,          /* an aggregate (COUNT, SUM, AVG, MIN, MAX, ARRAY_AGG, ...) of arg
                               over the rows mapped to a variable of `vars` */
    VG_MR_NAV_CLASSIFIER,   /* CLASSIFIER(): the variable of the row LAST/FIRST/physical
                               designate (as for LAST with arg NULL) as a STRING */
    VG_MR_NAV_MATCH_NUMBER, /* MATCH_NUMBER(): BIGINT, 1 for the first match of the partition */
    VG_MR_NAV_TIMED_OUT,    /* TIMED_OUT(): BOOLEAN, TRUE on a row of a timed-out partial
                               match (EMIT TIMEOUTS), else FALSE */
    VG_MR_NAV_ARRAY_AGG,    /* ARRAY_AGG(arg): arg's values over the rows mapped to a variable
                               of `vars`, in match order, as a STRING holding a JSON array
                               (vigil has no ARRAY type); NULLs included as null, an empty
                               set gives NULL. agg.args[0] == arg, agg.filter its FILTER,
                               agg.call zeroed (udf/agg.h has no ARRAY_AGG) */
} vg_mr_nav_kind;

/* A value a DEFINE condition or a measure reads beyond the current row's own
 * columns: its expressions read it as column input.ncols + index. Out of
 * range (no such row) gives NULL. */
typedef struct vg_mr_nav {
    vg_mr_nav_kind kind;
    vg_mr_vars vars;        /* the rows it ranges over: the variables (a SUBSET's, or
                               all of them for the universal variable) */
    bool universal;         /* vars is every variable: unqualified columns, COUNT(*) */
    bool final;             /* FINAL semantics (MEASURES only): over the whole match;
                               else RUNNING: over the rows matched up to the current one */
    int64_t logical;        /* LAST, FIRST: the offset k >= 0 */
    int64_t physical;       /* PREV(..., n): -n; NEXT(..., n): +n; 0: none. Applied to the
                               row the logical step chose (the current row when universal
                               and logical is 0) */
    vg_expr *arg;           /* LAST, FIRST, AGG: the expression, over the input row of the
                               row it is evaluated at; NULL for COUNT(*), CLASSIFIER. It may
                               read two slots past the input's columns: slot ncols is the
                               CLASSIFIER of that row, ncols + 1 the MATCH_NUMBER() */
    bool first;             /* CLASSIFIER: the row is found as FIRST finds it
                               (FIRST(CLASSIFIER(), k)); else as LAST */
    vg_plan_agg agg;        /* AGG: the aggregate call (agg.args[0] == arg, its FILTER) */
    vg_type type;           /* the value's type */
    vg_span span;           /* the call or column in the SQL */
} vg_mr_nav;

/* A further MATCH_RECOGNIZE ORDER BY key, after the event-time column: rows
 * of equal event time reach the matcher in the order of these keys, ties
 * in arrival order (Flink's secondary sort). */
typedef struct vg_mr_order {
    vg_expr *expr;          /* the key, over the input row */
    int32_t slot;           /* the input column the key is, read without evaluating expr;
                               -1: the key is another expression */
    bool desc;              /* DESC: greater values first */
    bool nulls_first;       /* NULL keys before every value, else after (vigil has no NULLS
                               FIRST/LAST clause: ASC puts them first, DESC last, as
                               Flink's default null order) */
    bool out;               /* ALL ROWS PER MATCH outputs column `slot` after the event-time
                               column: a column key that no earlier PARTITION BY or ORDER BY
                               item names */
    vg_span span;           /* the key in the SQL */
} vg_mr_order;

/* A MATCH_RECOGNIZE node. Output columns, ONE ROW PER MATCH: the PARTITION BY
 * columns, then the measures. ALL ROWS PER MATCH: the PARTITION BY columns,
 * the ORDER BY column, the further ORDER BY columns whose `out` is set, the
 * measures, then the input's other columns in order (as the SQL standard and
 * Trino lay them out). */
typedef struct vg_plan_match {
    uint32_t nkeys;         /* PARTITION BY columns (0: one partition) */
    uint32_t *keys;         /* their slots in the input row */
    int32_t order_col;      /* ORDER BY: the input's event-time column */
    uint32_t norder;        /* further ORDER BY keys after order_col (0: none) */
    vg_mr_order *order;     /* those keys, in ORDER BY order */
    uint32_t nvars;         /* primary variables, in order of first appearance in PATTERN */
    const char **vars;      /* their names */
    uint32_t nsubsets;      /* SUBSET names */
    const char **subset_names;
    vg_mr_vars *subset_vars; /* the variables of each */
    const vg_plan_pattern *pattern;
    vg_expr **defines;      /* nvars conditions over the DEFINE row (the current row's
                               columns, then the navigation values); NULL: always TRUE */
    bool defines_read_path; /* a condition reads a navigation value that depends on which
                               variables earlier rows were mapped to (LAST/FIRST or an
                               aggregate of a variable or SUBSET, CLASSIFIER of a row other
                               than the current one); PREV/NEXT of the current row,
                               universal FIRST/LAST/aggregates (every row of the attempt
                               so far) and MATCH_NUMBER do not */
    int64_t max_prev;       /* the largest physical offset backwards any navigation uses */
    int64_t max_next;       /* ... and forwards (rows a condition or measure looks ahead) */
    uint32_t nnavs;
    vg_mr_nav *navs;        /* every navigation value, DEFINE's and MEASURES' */
    uint32_t nmeasures;     /* == the measure columns of the node's schema */
    vg_expr **measures;     /* over the same layout as defines */
    vg_mr_rows rows;        /* rows per match */
    vg_mr_skip skip;        /* AFTER MATCH SKIP */
    vg_mr_vars skip_vars;   /* TO FIRST / TO LAST: the variable or subset */
    int64_t within;         /* WITHIN: milliseconds; 0: none */
    bool emit_timeouts;     /* EMIT TIMEOUTS: partial matches WITHIN ends are output */
    int32_t rowtime;        /* MATCH_ROWTIME() AS name (ONE ROW PER MATCH): the first such
                               measure, the output's event time (the event time of the
                               match's last row: FINAL LAST(order column), a navigation
                               value); -1: none */
} vg_plan_match;

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
            int32_t wend;        /* the WINDOW_ modes: the input's window_end slot; else -1 */
        } rank;
        struct {
            const vg_plan_model *model; /* the model scored */
            uint32_t *cols;      /* DESCRIPTOR(...): the input slots of its features, one
                                    per model->input column */
        } predict;
        struct {
            const vg_plan_ruleset *ruleset;
        } rules;
        const vg_plan_match *match; /* MATCH_RECOGNIZE */
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
