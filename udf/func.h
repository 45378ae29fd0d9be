/*
 * func.h — the table of built-in scalar functions.
 *
 * Each function is one table entry: its name, arity, a check that types a
 * call at plan time (and names the casts its arguments need), an optional
 * prepare step that compiles constant arguments once per plan (a regular
 * expression, a date format), the evaluator, and its documentation, from
 * which docs/functions.md is generated (`vigil functions --markdown`).
 *
 * Special syntax is turned into ordinary calls by the parser:
 *   EXTRACT(unit FROM x)          -> EXTRACT('UNIT', x)
 *   FLOOR(x TO unit), CEIL(...)   -> FLOOR(x, 'UNIT'), CEIL(x, 'UNIT')
 *   TIMESTAMPADD(unit, n, ts)     -> TIMESTAMPADD('UNIT', n, ts)
 *   TIMESTAMPDIFF(unit, a, b)     -> TIMESTAMPDIFF('UNIT', a, b)
 *   SUBSTRING(s FROM a [FOR n])   -> SUBSTRING(s, a [, n])
 *   TRIM([BOTH|LEADING|TRAILING] [c] FROM s) -> TRIM(s, c, 'BOTH'|...)
 *   POSITION(a IN b)              -> POSITION(a, b)
 * A time unit reaches check/prepare as a constant STRING argument holding
 * the upper-case unit name ("HOUR").
 */
#ifndef VG_FUNC_H
#define VG_FUNC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "engine/alloc.h"
#include "engine/value.h"

#define VG_FN_MAXARGS 16

/* What a check function is given and fills in. */
typedef struct vg_fn_bind {
    uint32_t nargs;
    vg_type argt[VG_FN_MAXARGS];           /* in: argument types (VG_T_NULL for a NULL
                                              literal); out: the types the binder must
                                              cast each argument to before the call */
    const vg_value *constv[VG_FN_MAXARGS]; /* in: value of each constant argument
                                              (already folded), NULL if not constant */
    vg_type ret;                           /* out: result type */
    int bad_arg;                           /* out on error: argument to blame, -1 = the call */
    char msg[256];                         /* out on error: e.g. "LOWER expects a STRING
                                              argument, got BIGINT" */
} vg_fn_bind;

/* Given evaluation of a call. args are of the types check asked for. */
typedef struct vg_fn_ctx {
    vg_arena *scratch; /* for result strings; reset between batches */
    void *state;       /* what prepare returned, or NULL */
    int failed;        /* set by eval when scratch allocation failed */
} vg_fn_ctx;

/* Type a call: fill b->ret and b->argt (casts), or set b->msg/b->bad_arg and
 * return -1. */
typedef int (*vg_fn_check_fn)(vg_fn_bind *b);
/* Compile constant arguments once per plan. Returns state (owned by the
 * plan, freed with release) or NULL with b->msg/b->bad_arg set on error.
 * Only called when the entry has a prepare function. */
typedef void *(*vg_fn_prepare_fn)(vg_fn_bind *b);
typedef void (*vg_fn_release_fn)(void *state);
/* Compute the result. Must not allocate except from ctx->scratch. */
typedef void (*vg_fn_eval_fn)(vg_fn_ctx *ctx, const vg_value *args, uint32_t nargs,
                              vg_value *out);

enum {
    VG_FN_STRICT = 1,        /* NULL in any argument gives NULL; eval not called */
    VG_FN_NONDETERMINISTIC = 2, /* never constant-folded */
};

typedef struct vg_func {
    const char *name;       /* upper case */
    uint8_t min_args, max_args; /* max_args 255 = variadic */
    uint8_t flags;
    vg_fn_check_fn check;
    vg_fn_prepare_fn prepare; /* may be NULL */
    vg_fn_release_fn release; /* may be NULL */
    vg_fn_eval_fn eval;
    const char *category;   /* "string", "math", "time", "regex", "hash", "conditional" */
    const char *synopsis;   /* "SUBSTRING(s FROM start [FOR length])" */
    const char *doc;        /* one or two sentences, incl. NULL behaviour */
    const char *example;    /* "SUBSTRING('hello' FROM 2 FOR 3)" */
    const char *example_result; /* "'ell'" */
} vg_func;

/* Entry by name, case-insensitive; NULL when there is none. */
const vg_func *vg_func_lookup(const char *name);
size_t vg_func_count(void);
const vg_func *vg_func_at(size_t i);
/* Write docs/functions.md text (generated from the table) to out. */
int vg_func_write_markdown(FILE *out);

#endif
