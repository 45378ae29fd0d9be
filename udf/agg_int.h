/*
 * agg_int.h — what the aggregate files share: the entry tables, the check
 * helpers, the value hash map (DISTINCT's value counts, FIRST_VALUE's and
 * LAST_VALUE's per-value chains) and the snapshot byte helpers; and the
 * states of COUNT and of a DOUBLE SUM and AVG with their common steps
 * inline, for the OVER operator's frame loop (agg_fast_kind).
 *
 * Private to udf/agg*.c, and to engine/over_frame.c and over_open.c for
 * the quick steps; other operators use agg.h only.
 */
#ifndef VG_AGG_INT_H
#define VG_AGG_INT_H

#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/buf.h"
#include "engine/value.h"
#include "udf/agg.h"

/* ---- the entry tables, each sorted by name (strcmp order) ---- */

extern const vg_agg vg_agg_basic_table[]; /* agg_basic.c: COUNT, SUM, AVG, STDDEV, VAR */
extern const size_t vg_agg_basic_count;
extern const vg_agg vg_agg_minmax_table[]; /* agg_minmax.c: MIN, MAX, FIRST/LAST_VALUE */
extern const size_t vg_agg_minmax_count;

/* ---- check helpers (agg.c) ---- */

/* Set b->msg (printf style) and b->bad_arg; returns -1. */
int agg_fail(vg_agg_bind *b, int arg, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Checks of one argument, for the entries' check functions: a numeric
 * argument (result of its own type), any typed argument (result of its own
 * type), any argument including a bare NULL (result BIGINT). name is the
 * entry's name, for messages. */
int agg_check_numeric(vg_agg_bind *b, const char *name);
int agg_check_any(vg_agg_bind *b, const char *name);

/* ---- value keys ---- */

/* A value as the hash map and FIRST/LAST's entries keep it: the integer, the
 * bits of the double, or the address of an owned string copy. */
uint64_t agg_key_of(vg_type t, const vg_value *v);
vg_value agg_key_value(vg_type t, uint64_t key, uint32_t len);

/* ---- the value hash map ---- */

/* Open addressing with linear probing, no tombstones. Values equal under
 * vg_value_cmp are one key (-0.0 and 0.0, every NaN). Strings are copied. */
typedef struct agg_hent {
    uint64_t key;  /* agg_key_of the value (a STRING: the map's own copy) */
    uint64_t aux;  /* the user's: a count, or a pair of indices */
    uint32_t len;  /* STRING length */
    uint32_t hash; /* hash of the value, never 0; 0 marks an empty slot */
} agg_hent;

typedef struct agg_hmap {
    agg_hent *slots; /* cap slots; NULL while the map is empty */
    uint32_t cap;    /* a power of two, or 0 */
    uint32_t n;      /* entries */
} agg_hmap;

void agg_hmap_init(agg_hmap *h);
/* Free every entry and the table; *h is then empty. */
void agg_hmap_clear(agg_hmap *h, vg_type t);
/* The entry of v, or NULL. Valid until the next insert or remove. */
agg_hent *agg_hmap_find(const agg_hmap *h, vg_type t, const vg_value *v);
/* Add v (absent from the map) with aux 0; the new entry, or NULL when out of
 * memory (the map unchanged). */
agg_hent *agg_hmap_insert(agg_hmap *h, vg_type t, const vg_value *v);
/* Remove an entry (frees its string; the table when the map empties). */
void agg_hmap_remove(agg_hmap *h, vg_type t, agg_hent *e);
static inline vg_value agg_hent_value(vg_type t, const agg_hent *e)
{
    return agg_key_value(t, e->key, e->len);
}
size_t agg_hmap_heap_bytes(const agg_hmap *h, vg_type t);

/* ---- quick steps: COUNT, and SUM and AVG of a DOUBLE ---- */

/* The state of COUNT. */
typedef struct agg_count {
    int64_t n; /* rows */
} agg_count;

/* The state of SUM and AVG of a DOUBLE. */
typedef struct agg_dsum {
    int64_t n;          /* rows, infinite and NaN ones included */
    int32_t pinf, ninf; /* rows of +Infinity, -Infinity */
    int32_t nan;        /* rows of NaN */
    int32_t scale;      /* the sum of the finite values is (s + c) * 2^scale: 0, or
                           a multiple of agg_basic.c's DSUM_STEP while it would overflow */
    double s, c;        /* compensated sum of the finite values, scaled */
} agg_dsum;

/* Neumaier's compensated sum: *s + *c is the running sum. */
static inline void agg_comp_add(double *s, double *c, double x)
{
    double t = *s + x;
    if (fabs(*s) >= fabs(x))
        *c += (*s - t) + x;
    else
        *c += (x - t) + *s;
    *s = t;
}

/* A DOUBLE SUM's step (sign +1 adds x, -1 retracts it) in its common case:
 * an unscaled sum, and a finite value whose sum with it is finite (so no
 * infinity, NaN or rescaling is involved); false, changing nothing,
 * otherwise (the entry's add or retract does the rest). What it does is
 * exactly what the entry's step would. */
static inline bool agg_dsum_step_quick(agg_dsum *s, double x, int sign)
{
    double y = sign > 0 ? x : -x;
    if (s->scale || !isfinite(y) || !isfinite(s->s + y))
        return false;
    s->n += sign;
    agg_comp_add(&s->s, &s->c, y);
    /* (after an add a finite value is left: only a retract can empty it) */
    if (sign < 0 && s->n - s->pinf - s->ninf - s->nan == 0)
        s->s = s->c = 0; /* no finite value left: start exact again */
    return true;
}

/* A DOUBLE SUM's value in its common case (some rows, all finite, unscaled)
 * into *out; false otherwise (the entry's result function tells then). */
static inline bool agg_dsum_value_quick(const agg_dsum *s, double *out)
{
    if (s->n <= 0 || (s->nan | s->pinf | s->ninf | s->scale))
        return false;
    *out = isfinite(s->s) ? s->s + s->c : s->s;
    return true;
}

/* What a call is to the quick steps: its state is an agg_count
 * (AGG_FAST_COUNT: COUNT(*) or COUNT(x)) or an agg_dsum (SUM or AVG of a
 * DOUBLE), it has no DISTINCT, and its result is the count, the sum or the
 * sum over the count; AGG_FAST_NONE for every other call. Such a state is
 * all zeros when new (its init makes it so) and has nothing to destroy. */
enum { AGG_FAST_NONE, AGG_FAST_COUNT, AGG_FAST_DSUM, AGG_FAST_DAVG };
int agg_fast_kind(const vg_agg_call *c);

/* ---- snapshot bytes: little-endian fixed width, strings length-prefixed ---- */

int agg_put_u32(vg_buf *b, uint32_t v);
int agg_put_u64(vg_buf *b, uint64_t v);
int agg_put_f64(vg_buf *b, double v);
int agg_put_value(vg_buf *b, vg_type t, const vg_value *v);
/* Read at *p (advancing it) without passing end; -1 when the bytes run out
 * or are not a valid value of the type. A STRING points into the bytes. */
int agg_get_u32(const char **p, const char *end, uint32_t *out);
int agg_get_u64(const char **p, const char *end, uint64_t *out);
int agg_get_f64(const char **p, const char *end, double *out);
int agg_get_value(const char **p, const char *end, vg_type t, vg_value *out);

#endif
