/*
 * agg_int.h — what the aggregate files share: the entry tables, the check
 * helpers, the value hash map (DISTINCT's value counts, FIRST_VALUE's and
 * LAST_VALUE's per-value chains) and the snapshot byte helpers.
 *
 * Private to udf/agg*.c; operators use agg.h only.
 */
#ifndef VG_AGG_INT_H
#define VG_AGG_INT_H

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
