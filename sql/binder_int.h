/*
 * binder_int.h — what binder.c (catalog, statements, SELECT) and
 * bind_expr.c (expressions) share.
 */
#ifndef VG_BINDER_INT_H
#define VG_BINDER_INT_H

#include "sql/binder.h"

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

#endif
