/*
 * binder.h — names and types: from syntax trees to bound relations.
 *
 * The binder reads statements in order and keeps a catalog of what they
 * declare: streams (schema, watermark) and views (their bound relation).
 * Sinks are not declared: any name INSERT INTO uses that is not a stream or
 * view is a sink. Each statement becomes a tree of bound relations (vg_rel)
 * whose expressions are compiled (engine/expr.h): columns resolved to
 * slots of the relation's input, every implicit cast explicit, constants
 * folded. The planner (sql/plan.c) turns the relations into plan nodes; a
 * view used by several statements is one vg_rel, so one plan node.
 *
 * Names are case-sensitive, as in Flink; function names are not. The
 * first error stops binding, with its position in the statement's source.
 * Everything the binder makes lives in the pool's arena.
 */
#ifndef VG_BINDER_H
#define VG_BINDER_H

#include <stdint.h>

#include "engine/error.h"
#include "engine/expr.h"
#include "engine/value.h"
#include "sql/ast.h"
#include "sql/plan.h"

typedef enum vg_rel_kind {
    VG_REL_SOURCE,  /* a declared stream */
    VG_REL_PROJECT, /* filter (WHERE) then projection (SELECT list) of its input */
    VG_REL_OVER,    /* OVER aggregates of one window: the input row, then one column
                       per aggregate (sql/bind_over.c) */
    VG_REL_WINDOW,  /* a window TVF: bare, the input row once per window with
                       window_start, window_end, window_time appended; grouped (its
                       GROUP BY), window_start, window_end, window_time, the keys, then
                       one column per aggregate (sql/bind_window.c) */
    VG_REL_GROUP,   /* GROUP BY without a window, SELECT DISTINCT, an aggregate without
                       GROUP BY: the keys, then one column per aggregate; an updating
                       table (sql/bind_group.c) */
    VG_REL_RANK,    /* ROW_NUMBER() deduplication and Top-N: the input row [then the row
                       number] (sql/bind_rank.c) */
    VG_REL_PREDICT, /* ML_PREDICT: the input row, then the model's outputs
                       (sql/bind_model.c) */
    VG_REL_RULES,   /* APPLY_RULES: the input row, then the decision columns
                       (sql/bind_model.c) */
    VG_REL_MATCH,   /* MATCH_RECOGNIZE: the columns sql/plan.h's vg_plan_match lays out
                       (sql/bind_match.c) */
    /* later: joins */
} vg_rel_kind;

typedef struct vg_rel vg_rel;

struct vg_rel {
    vg_rel_kind kind;
    const char *name;     /* stream or view name; NULL for a query or subquery */
    vg_schema schema;     /* output columns, in order */
    vg_rel *input;        /* PROJECT, OVER, WINDOW: the relation it reads */
    const vg_source *src; /* the statement's source text */
    vg_span span;         /* the statement or subquery it was bound from */
    union {
        struct {
            int32_t time_col;          /* WATERMARK FOR column's slot, -1 when none */
            vg_expr *watermark;        /* over the stream's row, or NULL */
            const vg_ast_option *opts; /* WITH options, kept as written */
            uint32_t nopts;
        } source;
        struct {
            vg_expr *filter; /* WHERE over the input row, or NULL (constant TRUE) */
            vg_expr **exprs; /* schema.ncols expressions over the input row */
        } project;
        struct vg_plan_over over; /* OVER: every window of one PARTITION BY key set
                                     (sql/plan.h) */
        struct {
            vg_window_spec spec; /* the TVF and its intervals */
            int32_t time_col;    /* DESCRIPTOR(ts): the input's event-time column */
            bool grouped;        /* a GROUP BY window_start, window_end, ... over the TVF */
            uint32_t nkeys;      /* grouped: the other GROUP BY columns; bare SESSION: its
                                    PARTITION BY columns */
            uint32_t *keys;      /* their slots in the input row */
            uint32_t naggs;      /* grouped: == schema.ncols - 3 - nkeys */
            vg_plan_agg *aggs;   /* the aggregates, over the input row */
        } window;
        struct {
            uint32_t nkeys;      /* GROUP BY columns (0: one group) */
            uint32_t *keys;      /* their slots in the input row */
            uint32_t naggs;      /* == schema.ncols - nkeys */
            vg_plan_agg *aggs;   /* the aggregates, over the input row */
            int32_t time_col;    /* the input's event-time column, or -1 */
        } group;
        struct {
            vg_rank_mode mode;   /* deduplication (first or last row) or Top-N */
            uint32_t nkeys;      /* PARTITION BY columns (0: one partition) */
            uint32_t *keys;      /* their slots in the input row */
            uint32_t norder;     /* ORDER BY columns */
            uint32_t *order;     /* their slots in the input row */
            bool *desc;          /* per ORDER BY column */
            int64_t limit;       /* N of rn <= N */
            bool with_rn;        /* the row number is output column input.ncols */
            int32_t time_col;    /* the input's event-time column, or -1 */
            int32_t wend;        /* the WINDOW_ modes: window_end's slot in the input, or -1 */
        } rank;
        struct {
            const vg_plan_model *model; /* the CREATE MODEL */
            uint32_t *cols;      /* the DESCRIPTOR columns' slots in the input row */
        } predict;
        struct {
            const vg_plan_ruleset *ruleset; /* the CREATE RULESET */
        } rules;
        struct {
            const vg_plan_match *match; /* the node's definition (sql/plan.h) */
            int32_t time_col;           /* the output's event-time attribute: ALL ROWS PER
                                           MATCH, the ORDER BY column; ONE ROW, -1 (none) */
        } match;
    } u;
    void *planned; /* the planner's node for this relation (NULL until planned) */
};

typedef enum vg_bound_kind {
    VG_BOUND_STREAM, /* CREATE STREAM: rel is the source */
    VG_BOUND_VIEW,   /* CREATE VIEW: rel is the view's (named) relation */
    VG_BOUND_INSERT, /* INSERT INTO name: rel is the query */
    VG_BOUND_QUERY,  /* a bare SELECT: rel is the query, written to stdout */
    VG_BOUND_MODEL,  /* CREATE MODEL: model is set, rel NULL */
    VG_BOUND_RULESET, /* CREATE RULESET: ruleset is set, rel NULL */
} vg_bound_kind;

/* One bound statement. */
typedef struct vg_bound_stmt {
    vg_bound_kind kind;
    const char *name; /* stream, view or sink name; "stdout" for a bare SELECT */
    int is_stdout;    /* a bare SELECT, or INSERT INTO stdout */
    vg_rel *rel;
    vg_plan_model *model;     /* VG_BOUND_MODEL */
    vg_plan_ruleset *ruleset; /* VG_BOUND_RULESET */
} vg_bound_stmt;

typedef struct vg_binder vg_binder;

/* A binder with an empty catalog, allocated in (and building into) the
 * pool's arena; it is freed with that arena. NULL when out of memory. */
vg_binder *vg_binder_new(vg_expr_pool *pool);
/* Bind one statement (after the ones bound before it) and add what it
 * declares to the catalog. Returns 0 with *out filled, or -1 with err set
 * (VG_ERR_NAME, VG_ERR_TYPE, VG_ERR_SEMANTIC at a position in stmt->src,
 * or VG_ERR_NOMEM); the catalog is unchanged then. */
int vg_binder_bind(vg_binder *b, const vg_ast_stmt *stmt, vg_bound_stmt *out, vg_error *err);
/* Whether r is an updating table (a changelog with -U, +U or -D rows):
 * a GROUP, a RANK other than first-row deduplication, or what reads one
 * through projections. */
bool vg_rel_updating(const vg_rel *r);
/* The stream or view of that exact name, or NULL. */
const vg_rel *vg_binder_find(const vg_binder *b, const char *name);
/* Bind a lone expression over the columns of schema (unqualified names
 * only), as for a rule's condition. Returns the expression, or NULL with
 * err set. */
vg_expr *vg_binder_bind_expr(vg_binder *b, const vg_ast *e, const vg_source *src,
                             const vg_schema *schema, vg_error *err);

#endif
