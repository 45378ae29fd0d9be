/*
 * bind_match_int.h — what bind_match.c (clauses, variables, the pattern,
 * the output) and bind_match_nav.c (navigation values in DEFINE and
 * MEASURES) share: the state of one MATCH_RECOGNIZE while it is bound.
 */
#ifndef VG_BIND_MATCH_INT_H
#define VG_BIND_MATCH_INT_H

#include "sql/binder_int.h"

/* Nodes of an expression that stand for a column (vg_bind_rewrite's map). */
typedef struct bind_nodemap {
    const vg_ast **nodes; /* the nodes, */
    int64_t *slots;       /* ... and the column each stands for */
    uint32_t n, cap;      /* entries used and allocated */
} bind_nodemap;

/* The state of one MATCH_RECOGNIZE while it is bound. */
typedef struct bind_mr {
    bind_ctx *c;          /* the caller's context: errors, arena, source */
    const vg_ast *f;      /* the MATCH_RECOGNIZE node */
    vg_plan_match *m;     /* what is built */
    const vg_schema *in;  /* the input's columns */
    vg_schema in_x;       /* those, then two hidden ones a navigation's argument may read:
                             slot ncols the CLASSIFIER of the row it is evaluated at
                             (STRING), ncols + 1 MATCH_NUMBER() (BIGINT, MEASURES only) */
    bind_scope in_scope;  /* in_x, unqualified: navigation arguments */
    bind_ctx in_ctx;      /* binds over the input row */
    vg_schema layout;     /* the input's columns, then one hidden column per navigation */
    uint32_t laycap;      /* capacity of layout.cols */
    bind_scope lay_scope; /* the layout: DEFINE and MEASURES */
    bind_ctx lay_ctx;     /* binds over the layout */
    uint32_t navcap;      /* capacity of m->navs and sigs */
    const char **sigs;    /* per navigation, its signature (identical ones share) */
    vg_mr_vars all;       /* every primary variable */
    bool define;          /* binding a DEFINE condition (else a measure) */
    const vg_ast *measure; /* the measure being bound (MATCH_ROWTIME() must be all of it) */
    uint32_t var;         /* DEFINE: the variable it defines */
    bind_nodemap map;     /* the expression being bound: its navigations and columns */
} bind_mr;

/* The variables that qualifier q names (a primary variable or a subset)
 * into *out; "unknown pattern variable" otherwise. 0 or -1 (bind_match.c). */
int vg_bind_mr_vars(bind_mr *r, const vg_ident *q, vg_mr_vars *out);

/* Whether e is a call of a row pattern function (PREV, NEXT, FIRST, LAST,
 * RUNNING, FINAL, CLASSIFIER, MATCH_NUMBER, TIMED_OUT, MATCH_ROWTIME) or of
 * an aggregate, which only DEFINE and MEASURES can hold (bind_match_nav.c). */
bool vg_bind_mr_is_pattern_fn(const vg_ast *e);

/* e (a DEFINE condition when r->define, else a measure) with each of its
 * navigation values, and in DEFINE each current-row column, replaced by a
 * reference to its column of r->layout; the navigation values are added to
 * r->m->navs (identical ones shared) and to the layout. NULL with the error
 * set (bind_match_nav.c). */
const vg_ast *vg_bind_mr_rewrite(bind_mr *r, const vg_ast *e);

#endif
