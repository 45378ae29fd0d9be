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
 *
 * How the binder uses an entry f for a call:
 *   1. fill a vg_fn_bind (nargs, argt, constv) and call vg_func_check(f, &b):
 *      it checks the argument count, then runs f->check, which sets b.ret,
 *      the casts in b.argt and the evaluator in b.eval;
 *   2. if f->prepare is set, call it once with the same bind; keep the state
 *      and call f->release(state) when the plan is freed;
 *   3. at run time, for STRICT entries, a NULL argument gives NULL without
 *      a call; otherwise call b.eval (never f->eval directly: the evaluator
 *      may depend on the argument types).
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

/* Given evaluation of a call. args are of the types check asked for. */
typedef struct vg_fn_ctx {
    vg_arena *scratch; /* for result strings; reset between batches */
    void *state;       /* what prepare returned, or NULL */
    int failed;        /* set by eval when scratch allocation failed */
} vg_fn_ctx;

/* Compute the result. Must not allocate except from ctx->scratch. */
typedef void (*vg_fn_eval_fn)(vg_fn_ctx *ctx, const vg_value *args, uint32_t nargs,
                              vg_value *out);

/* What a check function is given and fills in. */
typedef struct vg_fn_bind {
    uint32_t nargs;
    vg_type argt[VG_FN_MAXARGS];           /* in: argument types (VG_T_NULL for a NULL
                                              literal); out: the types the binder must
                                              cast each argument to before the call */
    const vg_value *constv[VG_FN_MAXARGS]; /* in: value of each constant argument
                                              (already folded), NULL if not constant */
    const char *fname;                     /* in: the entry's name, for messages (set
                                              by vg_func_check) */
    vg_type ret;                           /* out: result type */
    vg_fn_eval_fn eval;                    /* out: the evaluator of this call; preset to
                                              the entry's eval by vg_func_check and
                                              replaced by check when it depends on the
                                              argument types or on a constant unit
                                              (ABS of BIGINT vs DOUBLE, EXTRACT of
                                              YEAR vs HOUR) */
    int bad_arg;                           /* out on error: argument to blame (0-based),
                                              -1 = the call */
    bool nomem;                            /* out on error: prepare ran out of memory
                                              (msg is then "out of memory") */
    char msg[256];                         /* out on error: e.g. "function LOWER expects
                                              STRING, got BIGINT" */
} vg_fn_bind;

/* Type a call: fill b->ret, b->argt (casts) and, if needed, b->eval, or set
 * b->msg/b->bad_arg and return -1. Called through vg_func_check only. */
typedef int (*vg_fn_check_fn)(vg_fn_bind *b);
/* Compile constant arguments once per plan. Returns state (owned by the
 * plan, freed with release) or NULL with b->msg/b->bad_arg set on error
 * (b->nomem when allocation failed). Only called when the entry has a
 * prepare function, after a successful check with the same bind. */
typedef void *(*vg_fn_prepare_fn)(vg_fn_bind *b);
typedef void (*vg_fn_release_fn)(void *state);

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
    vg_fn_eval_fn eval;     /* default evaluator (vg_func_check copies it to b->eval);
                               NULL when check always picks one */
    const char *category;   /* "string", "math", "time", "regex", "hash", "conditional",
                               "collection" */
    const char *synopsis;   /* "SUBSTRING(s FROM start [FOR length])" */
    const char *doc;        /* one or two sentences, incl. NULL behaviour */
    const char *example;    /* "SUBSTRING('hello' FROM 2 FOR 3)" */
    const char *example_result; /* "'ell'" */
} vg_func;

/* Entry by name, case-insensitive; NULL when there is none. */
const vg_func *vg_func_lookup(const char *name);
/* The same search in any table of n entries of size bytes, sorted by an
 * upper-case name that is each entry's first member (vg_func, vg_agg): the
 * entry named name, case-insensitive, or NULL. */
const void *vg_func_find_name(const void *entries, size_t n, size_t size, const char *name);
size_t vg_func_count(void);
/* Entries in documentation order (by category, then name); i < count. */
const vg_func *vg_func_at(size_t i);
/* Type a call to f (see the top of this file). Checks b->nargs against f's
 * arity ("function SUBSTRING takes 2 or 3 arguments, got 1", bad_arg -1),
 * sets b->fname and b->eval = f->eval, then runs f->check. Returns 0, or -1
 * with b->msg and b->bad_arg set. Allocates nothing. */
int vg_func_check(const vg_func *f, vg_fn_bind *b);
/* Write docs/functions.md text (generated from the table) to out. Returns
 * 0, or -1 when writing failed. */
int vg_func_write_markdown(FILE *out);

#endif
