/*
 * binder_int.h — what binder.c (catalog, statements, SELECT), bind_expr.c
 * (expressions), bind_over.c (OVER aggregates), bind_window.c and
 * bind_wgroup.c (window TVFs), bind_gwindow.c (Flink's group windows),
 * bind_group.c (updating GROUP BY, DISTINCT),
 * bind_rank.c (deduplication, Top-N), bind_match.c (MATCH_RECOGNIZE) and
 * bind_agg.c (what the aggregate binders have in common) share.
 */
#ifndef VG_BINDER_INT_H
#define VG_BINDER_INT_H

#include "sql/binder.h"
#include "udf/agg.h"

/* One catalog entry: a stream or a view. */
typedef struct bind_entry {
    const char *name;
    vg_rel *rel; /* kind VG_REL_SOURCE for a stream */
} bind_entry;

struct vg_binder {
    vg_expr_pool *pool;
    vg_arena *arena;     /* the pool's */
    bind_entry *entries; /* declaration order */
    uint32_t nentries, cap;
    vg_plan_model **models; /* CREATE MODEL, in declaration order (bind_model.c) */
    uint32_t nmodels, mcap;
    vg_plan_ruleset **rulesets; /* CREATE RULESET, likewise */
    uint32_t nrulesets, rcap;
};

/* The columns an expression may name: the FROM item's. */
typedef struct bind_scope {
    const char *alias;       /* the qualifier that names the item; NULL: none */
    const vg_schema *schema; /* its columns; slot = index */
} bind_scope;

/* Where an expression is being bound. */
typedef struct bind_ctx {
    vg_binder *b;
    const vg_source *src;    /* what spans point into */
    const bind_scope *scope; /* NULL: no columns */
    vg_error *err;
} bind_ctx;

/* Bind e to a compiled expression, or NULL with c->err set. */
vg_expr *vg_bind_expr(bind_ctx *c, const vg_ast *e);
/* Set a positioned error; returns NULL for `return bind_fail(...)`. */
void *vg_bind_fail(bind_ctx *c, vg_errcode code, vg_span sp, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Report an error a constructor left in cerr: out of memory as is, any
 * other at sp. Returns NULL. */
void *vg_bind_fail_from(bind_ctx *c, const vg_error *cerr, vg_span sp);
/* The column of the scope named name, as "unknown column" / "ambiguous"
 * errors at sp when there is not exactly one. -1 on error. */
int vg_bind_find_column(bind_ctx *c, const char *qualifier, const char *name, vg_span sp);
/* " (did you mean 'x'?)" for the column of schema closest to name (edit
 * distance at most 2), or "" ; in buf of n bytes. */
const char *vg_bind_suggest(const vg_schema *schema, const char *name, char *buf, size_t n);

/* A new relation with ncols zeroed columns, in the binder's arena; NULL
 * with c->err set when out of memory. */
vg_rel *vg_bind_rel_new(bind_ctx *c, vg_rel_kind kind, const char *name, vg_span span,
                        uint32_t ncols);
/* The relation of FROM item f (a stream or view, a subquery, a window TVF)
 * and, in *alias, the name that qualifies its columns (NULL: none). NULL
 * with c->err set. */
vg_rel *vg_bind_from(bind_ctx *c, const vg_ast *f, const char **alias);

/* ---- what the aggregate binders share (bind_agg.c) ---- */

/* "out of memory" in c->err; returns -1. */
int vg_bind_nomem(bind_ctx *c);
/* Grow an arena array of *cap elements of size sz to hold n + 1: arr
 * itself, or a larger copy in the binder's arena; NULL when out of memory
 * (no error set). */
void *vg_bind_grow(bind_ctx *c, void *arr, uint32_t n, uint32_t *cap, size_t sz);

/* Calls fn on the slot of each child expression of e (operands, arguments,
 * FILTER; not OVER specs); stops at a nonzero return and gives it back. */
typedef int (*vg_bind_child_fn)(void *arg, vg_ast *const *slot);
int vg_bind_each_child(const vg_ast *e, vg_bind_child_fn fn, void *arg);
/* The aggregate that call e names, or NULL (e not a call, or not of one). */
const vg_agg *vg_bind_aggregate_of(const vg_ast *e);
/* The first node of e (e itself, then its children depth first) for
 * which pred holds; NULL when none or e is NULL. */
typedef bool (*vg_bind_pred_fn)(const vg_ast *e);
const vg_ast *vg_bind_find(const vg_ast *e, vg_bind_pred_fn pred);
/* Predicates for vg_bind_find: an aggregate call or a call with OVER; a
 * call with OVER. */
bool vg_bind_is_agg_or_over(const vg_ast *e);
bool vg_bind_is_over(const vg_ast *e);

/* x as type t, with an implicit cast when it is not already; NULL with
 * c->err set (at sp) on error. */
vg_expr *vg_bind_cast_to(bind_ctx *c, vg_expr *x, vg_type t, vg_span sp);

/* One aggregate column: a distinct call of the query. */
typedef struct bind_agg_col {
    vg_plan_agg agg;
    const char *name; /* its column's name: the select item's alias, or prefix + N */
    const char *sig;  /* the call's text, to share identical calls */
} bind_agg_col;

/* An aggregate call of the query and the column that computes it. */
typedef struct bind_agg_call {
    const vg_ast *call;
    uint32_t index; /* into aggs */
} bind_agg_call;

/* The aggregate calls of a query (or of one OVER window), in order of
 * first appearance; all arrays in the binder's arena. */
typedef struct bind_aggs {
    const char *prefix; /* the name of an unaliased column: prefix, then its index */
    bind_agg_col *aggs;
    uint32_t naggs, acap;
    bind_agg_call *calls;
    uint32_t ncalls, ccap;
} bind_aggs;

/* Checks an argument or FILTER of an aggregate call before it is bound
 * (no nested aggregate, ...): 0, or -1 with the error set. */
typedef int (*vg_bind_part_fn)(void *arg, const vg_ast *part);
/* Add aggregate call e (of aggregate a) to s: bound (check on each
 * argument and FILTER first, then implicit casts; FILTER (WHERE TRUE)
 * dropped) unless an identical call is there already, whose column it
 * shares; alias names the column when e is a whole select item. 0, or -1
 * with c->err set. */
int vg_bind_aggs_add(bind_ctx *c, bind_aggs *s, const vg_ast *e, const vg_agg *a,
                     const char *alias, vg_bind_part_fn check, void *arg);
/* The index of the column of call e in s, or -1 when e is not one of its
 * calls. */
int64_t vg_bind_aggs_find(const bind_aggs *s, const vg_ast *call);
/* The hidden name of column slot (never valid UTF-8, so no SQL names it),
 * in the binder's arena; NULL when out of memory (no error set). */
const char *vg_bind_hidden_name(bind_ctx *c, uint32_t slot);

/* The hidden slot that stands for node e, or -1. */
typedef int64_t (*vg_bind_slot_fn)(const void *arg, const vg_ast *e);
/* e with each node that slot maps to a column replaced by a reference to
 * that column (named by names), at the node's span: e itself when there is
 * none, else a copy in the binder's arena. NULL with c->err set when out
 * of memory. */
const vg_ast *vg_bind_rewrite(bind_ctx *c, const vg_ast *e, vg_bind_slot_fn slot, const void *arg,
                              const vg_schema *names);

/* Whether x is the constant TRUE. */
bool vg_bind_is_true(const vg_expr *x);
/* e (WHERE or HAVING, named by clause) bound in c as a BOOLEAN: "CLAUSE
 * expects a BOOLEAN expression" otherwise. NULL with c->err set. */
vg_expr *vg_bind_condition(bind_ctx *c, const vg_ast *e, const char *clause);
/* A projection over `in` that passes its columns through at their slots,
 * then `extra` columns whose names, types and expressions the caller sets;
 * no filter. NULL with c->err set. */
vg_rel *vg_bind_pass_rel(bind_ctx *c, vg_rel *in, uint32_t extra, vg_span span);
/* "duplicate output column" at spans[i] for the first of n columns whose
 * name an earlier one has. 0 or -1. */
int vg_bind_check_unique(bind_ctx *c, const vg_column *cols, const vg_span *spans, uint32_t n);
/* The slot of c->scope that column reference e names, or -1 with the error
 * set ("unknown table alias", "unknown column", "ambiguous"). */
int vg_bind_resolve_column(bind_ctx *c, const vg_ast *e);

/* A grouped SELECT (GROUP BY, HAVING or aggregates without OVER) while its
 * select list and HAVING are bound over its grouped relation. Embedded
 * first in the binder's own state, which the ops' callbacks cast it to. */
typedef struct bind_grouped bind_grouped;

/* What differs between grouped SELECTs. */
typedef struct bind_grouped_ops {
    const char *over_msg; /* the error for OVER in the select list or HAVING */
    const char *star_msg; /* the error for SELECT * */
    /* Check an argument or FILTER of an aggregate (vg_bind_part_fn). */
    int (*check_part)(bind_grouped *g, const vg_ast *e);
    /* The hidden slot of a grouped expression (not a column), or -1; NULL
     * when only columns are grouped. */
    int64_t (*key_slot)(const bind_grouped *g, const vg_ast *e);
    /* Whether column slot of the input is grouped. */
    bool (*grouped_col)(const bind_grouped *g, int slot);
} bind_grouped_ops;

struct bind_grouped {
    const bind_grouped_ops *ops;
    bind_ctx *c;          /* c->scope: the input's columns */
    const vg_ast *q;      /* the SELECT */
    bind_aggs aggs;       /* its aggregate calls */
    uint32_t first_agg;   /* slot of the first aggregate column in the grouped relation */
    vg_schema out_schema; /* the grouped relation's columns as the select list sees them */
    bind_scope out_scope; /* what the select list and HAVING bind in */
};

/* Find and bind the aggregate calls of g's select list and HAVING, then
 * check that every other column they use is grouped. 0 or -1. */
int vg_bind_grouped_items(bind_grouped *g);
/* The select list, with HAVING as its filter, bound over `grouped` (whose
 * columns g->out_scope names): a projection, output names unique when
 * unique_names. NULL with g->c->err set. */
vg_rel *vg_bind_grouped_select(bind_grouped *g, vg_rel *grouped, bool unique_names);

/* ---- OVER aggregates (bind_over.c) ---- */

/* The OVER aggregates of one SELECT, while its select list is bound. */
typedef struct bind_over bind_over;

/* Whether SELECT q needs bind_over.c: its list calls an aggregate, or uses
 * OVER or FILTER, or it has a WINDOW clause. */
bool vg_bind_over_wanted(const vg_ast *q);
/* An error at the first aggregate call in e (NULL: none), for clauses that
 * cannot hold one: "aggregate functions are not allowed in CLAUSE". 0 or -1. */
int vg_bind_no_aggregates(bind_ctx *c, const vg_ast *e, const char *clause);
/* Bind q's windows and aggregate calls over `in` (c->scope holds in's
 * columns), WHERE being `filter` (NULL: none). Returns the relation the
 * select list reads: WHERE as a projection, then one OVER relation per
 * distinct window. *out then says how to bind the select list; NULL with
 * c->err set on error. */
vg_rel *vg_bind_over(bind_ctx *c, const vg_ast *q, vg_rel *in, vg_expr *filter, bind_over **out);
/* The scope select items bind in: the input's columns (same slots), then
 * the aggregate columns under hidden names. Owned by ov. */
const bind_scope *vg_bind_over_scope(const bind_over *ov);
/* Select item expression e with each of its aggregate calls replaced by a
 * reference to the call's column (e itself when it has none). NULL with
 * the error set when out of memory. The copy lives in the binder's arena. */
const vg_ast *vg_bind_over_rewrite(bind_over *ov, const vg_ast *e);

/* ---- window TVFs and their GROUP BY (bind_window.c) ---- */

/* FROM TABLE(TUMBLE | HOP | CUMULATE | SESSION(TABLE t, DESCRIPTOR(ts),
 * ...)): the bare TVF relation (VG_REL_WINDOW, not grouped) over stream or
 * view t; *alias is the FROM item's alias (NULL: none). NULL with c->err
 * set. */
vg_rel *vg_bind_tablefn(bind_ctx *c, const vg_ast *f, const char **alias);
/* Whether vg_bind_window_select binds SELECT q: it has GROUP BY or HAVING. */
bool vg_bind_window_wanted(const vg_ast *q);
/* Bind SELECT q with GROUP BY (or HAVING) over its FROM item `in`, whose
 * columns alias qualifies: a grouped VG_REL_WINDOW over a window TVF, then
 * the select list and HAVING as a projection, which is returned (output
 * names unique when unique_names). NULL with c->err set; GROUP BY over
 * anything but a window TVF is "not supported yet". */
vg_rel *vg_bind_window_select(bind_ctx *c, const vg_ast *q, vg_rel *in, const char *alias,
                              bool unique_names);
/* Refuse what a SELECT without GROUP BY cannot do over its FROM item `in`
 * when that is a bare window TVF (SESSION, aggregates, OVER). 0 or -1 with
 * c->err set. */
int vg_bind_window_check(bind_ctx *c, const vg_ast *q, const vg_rel *in);
/* The event-time attribute of r, or -1: a stream's WATERMARK FOR column,
 * a window TVF's window_time, passed through unchanged by projections and
 * OVER. What OVER windows are ordered by. */
int32_t vg_bind_window_time_col(const vg_rel *r);
/* The output slot of projection `project` that is a plain copy of its
 * input's slot `slot`, or -1 (none, or slot -1). */
int32_t vg_bind_projected_slot(const vg_rel *project, int32_t slot);

/* An interval argument e of window function fn (what: its role, for
 * errors: "size"): a constant, non-NULL INTERVAL under 2^52 ms in absolute
 * value, positive when `positive`, in milliseconds in *ms. 0, or -1 with
 * c->err set. */
int vg_bind_window_interval(bind_ctx *c, const char *fn, const vg_ast *e, const char *what,
                            bool positive, int64_t *ms);
/* A bare window relation over `in` at span (its spec, time column and keys
 * zero, for the caller to set): in's columns, then window_start,
 * window_end and window_time. NULL with c->err set. */
vg_rel *vg_bind_window_rel(bind_ctx *c, vg_rel *in, vg_span span);
/* How r, which has no event-time attribute, could have one: "declare one
 * with WATERMARK FOR", or MATCH_ROWTIME() for a MATCH_RECOGNIZE output. */
const char *vg_bind_window_time_hint(const vg_rel *r);

/* What a window aggregate groups (bind_wgroup.c): a bare window relation,
 * from a window TVF or from Flink's group window syntax (bind_gwindow.c). */
typedef struct bind_wsource {
    vg_rel *tvf;            /* the bare VG_REL_WINDOW relation */
    const char *alias;      /* the qualifier of its columns (NULL: none) */
    const vg_schema *names; /* tvf's columns as the query names them (same slots) */
    const vg_ast *gwindow;  /* the GROUP BY item that is a group window function
                               (TUMBLE(ts, size), ...), grouped as window_start,
                               window_end and window_time; NULL for a window TVF */
    vg_span size_span;      /* HOP's size argument, for its error (len 0: none) */
    vg_span offset_span;    /* TUMBLE's offset argument, likewise */
} bind_wsource;

/* Bind SELECT q with GROUP BY over w: a grouped VG_REL_WINDOW, then the
 * select list and HAVING as a projection, which is returned (output names
 * unique when unique_names). A group window's auxiliary calls must have
 * been checked (vg_bind_gwindow_select). NULL with c->err set. */
vg_rel *vg_bind_wgroup(bind_ctx *c, const vg_ast *q, const bind_wsource *w, bool unique_names);

/* ---- Flink's group window syntax (bind_gwindow.c) ---- */

/* Whether an item of q's GROUP BY is a group window function:
 * TUMBLE(ts, size), HOP(ts, slide, size) or SESSION(ts, gap). */
bool vg_bind_gwindow_wanted(const vg_ast *q);
/* Bind SELECT q (vg_bind_gwindow_wanted) over its FROM item `in`, whose
 * columns alias qualifies, as the window aggregate of the window TVF its
 * group window stands for (vg_bind_wgroup), auxiliary calls (TUMBLE_START,
 * ...) reading its window columns. NULL with c->err set. */
vg_rel *vg_bind_gwindow_select(bind_ctx *c, const vg_ast *q, vg_rel *in, const char *alias,
                               bool unique_names);
/* Refuse, in a q whose GROUP BY has no group window, an auxiliary call
 * (TUMBLE_START, ...) or a group window function anywhere. 0 or -1. */
int vg_bind_gwindow_misplaced(bind_ctx *c, const vg_ast *q);
/* The column of the grouped window relation that checked auxiliary call e
 * stands for: 0 window_start (X_START), 1 window_end (X_END), 2
 * window_time (X_ROWTIME); -1 when e is no auxiliary call. */
int64_t vg_bind_gwindow_aux_col(const vg_ast *e);

/* ---- updating aggregates: GROUP BY without a window, DISTINCT (bind_group.c) ---- */

/* Whether SELECT q (no GROUP BY, no HAVING) is an aggregate without GROUP
 * BY, Flink's global aggregate: its list calls an aggregate and has no
 * OVER, and q has no WINDOW clause. */
bool vg_bind_group_wanted(const vg_ast *q);
/* Bind SELECT q with GROUP BY, or HAVING, or aggregates and no GROUP BY,
 * over its FROM item `in` (not a window TVF; alias qualifies its
 * columns): [a projection for WHERE and GROUP BY expressions,] a GROUP
 * relation, then the select list and HAVING as a projection, which is
 * returned (output names unique when unique_names). NULL with c->err set. */
vg_rel *vg_bind_group_select(bind_ctx *c, const vg_ast *q, vg_rel *in, const char *alias,
                             bool unique_names);
/* Refuse OVER aggregates of q over `in` when `in` is (or reads through
 * projections) a GROUP or RANK relation: an updating table, or a first-row
 * deduplication, whose rows come out behind the watermark. 0 or -1. */
int vg_bind_over_keyed(bind_ctx *c, const vg_ast *q, const vg_rel *in);
/* SELECT DISTINCT: a GROUP relation over r (q's bound relation) keyed by
 * all of r's columns, with no aggregate. NULL with c->err set. */
vg_rel *vg_bind_distinct(bind_ctx *c, const vg_ast *q, vg_rel *r);

/* ---- ROW_NUMBER: deduplication and Top-N (bind_rank.c) ---- */

/* Whether q is Flink's Top-N form, to be bound by vg_bind_rank_from: its
 * FROM item is a subquery whose select list calls ROW_NUMBER. */
bool vg_bind_rank_wanted(const vg_ast *q);
/* The FROM item of q (vg_bind_rank_wanted): the subquery with its rows
 * ranked and limited by the bound on the row number that q's WHERE puts;
 * *alias qualifies its columns, and *rest is q with that bound taken out
 * of its WHERE (a copy in the binder's arena, or q). NULL with c->err set. */
vg_rel *vg_bind_rank_from(bind_ctx *c, const vg_ast *q, const char **alias, const vg_ast **rest);
/* Refuse ROW_NUMBER anywhere in q's own clauses (the Top-N form binds its
 * subquery itself): a positioned error naming the supported form. 0 or -1. */
int vg_bind_rank_misplaced(bind_ctx *c, const vg_ast *q);

/* ---- MATCH_RECOGNIZE (bind_match.c) ---- */

/* FROM item f, a VG_AST_MATCH: its input's relation, then the MATCH relation
 * over it; *alias is f's alias (NULL: none), which qualifies its columns.
 * NULL with c->err set. */
vg_rel *vg_bind_match(bind_ctx *c, const vg_ast *f, const char **alias);

/* ---- what state may hold (bind_state.c) ---- */

/* Refuse an ARRAY column in the input or output of a stateful relation
 * (OVER, WINDOW, GROUP, RANK, MATCH) of r or of what r reads: "ARRAY
 * column 'probs' cannot be held in state by OVER; ...", at the relation's
 * first aggregate call or its query. 0, or -1 with c->err set. */
int vg_bind_check_held(bind_ctx *c, const vg_rel *r);

/* ---- models and rules (bind_model.c) ---- */

/* CREATE MODEL and CREATE RULESET: out->model or out->ruleset, added to the
 * catalog. -1 with c->err set. */
int vg_bind_create_model(bind_ctx *c, const vg_ast *st, vg_bound_stmt *out);
/* Whether FROM item f is ML_PREDICT or APPLY_RULES. */
bool vg_bind_model_tvf(const vg_ast *f);
/* Its relation, or NULL with c->err set. */
vg_rel *vg_bind_model_from(bind_ctx *c, const vg_ast *f, const char **alias);

#endif
