/*
 * agg_test.h — what the aggregate tests share: a seeded random generator,
 * and a bound aggregate call with its state and one-line operations on it.
 * Included by tests/unit/test_agg*.c only.
 */
#ifndef VG_AGG_TEST_H
#define VG_AGG_TEST_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "udf/agg.h"

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;

static inline uint64_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static inline uint32_t rnd_below(uint32_t n) { return (uint32_t)(rnd() % n); }

/* ---- a bound call and its state ---- */

typedef struct agg_t {
    vg_agg_call call; /* the bound call */
    uint64_t st[32];  /* its state (8-aligned, 256 bytes) */
} agg_t;

static inline int bind_fifo(const char *name, vg_type t, int nargs, bool distinct, bool fifo,
                            vg_agg_call *call, vg_agg_bind *b)
{
    const vg_agg *a = vg_agg_lookup(name);
    memset(b, 0, sizeof *b);
    b->nargs = (uint32_t)nargs;
    b->argt[0] = b->argt[1] = t;
    b->distinct = distinct;
    b->fifo = fifo;
    return a ? vg_agg_bind_call(a, b, call) : -1;
}

static inline int bind(const char *name, vg_type t, int nargs, bool distinct, vg_agg_call *call,
                       vg_agg_bind *b)
{
    return bind_fifo(name, t, nargs, distinct, false, call, b);
}

/* A new empty state of name(t) (COUNT(*) when t is VG_T_NULL and name COUNT);
 * fifo: rows will leave in the order they came. */
static inline void agg_new_fifo(agg_t *g, const char *name, vg_type t, bool distinct, bool fifo)
{
    vg_agg_bind b;
    int star = t == VG_T_NULL && strcmp(name, "COUNT") == 0;
    if (bind_fifo(name, t, star ? 0 : 1, distinct, fifo, &g->call, &b) != 0) {
        fprintf(stderr, "bind %s: %s\n", name, b.msg);
        abort();
    }
    if (g->call.state_size > sizeof g->st)
        abort();
    vg_agg_init(&g->call, g->st);
}

static inline void agg_new(agg_t *g, const char *name, vg_type t, bool distinct)
{
    agg_new_fifo(g, name, t, distinct, false);
}

static inline int add(agg_t *g, vg_value v) { return vg_agg_add(&g->call, g->st, &v); }
static inline int retract(agg_t *g, vg_value v) { return vg_agg_retract(&g->call, g->st, &v); }
static inline void destroy(agg_t *g) { vg_agg_destroy(&g->call, g->st); }

static inline vg_value result(const agg_t *g)
{
    vg_value v;
    vg_agg_result(&g->call, g->st, &v);
    return v;
}

static inline int64_t result_i(const agg_t *g) { return result(g).u.i; }
static inline double result_d(const agg_t *g) { return result(g).u.d; }
static inline bool result_null(const agg_t *g) { return result(g).null != 0; }

static inline bool result_is_str(const agg_t *g, const char *s)
{
    vg_value v = result(g);
    return !v.null && v.len == strlen(s) && memcmp(v.u.s, s, v.len) == 0;
}

static inline vg_value S(const char *s) { return vg_str(s, (uint32_t)strlen(s)); }

#endif
