/*
 * value.h — SQL types and values, and their text forms.
 *
 * A vg_value is 16 bytes and never owns memory: a STRING points into the
 * input line it was decoded from, into a compiled constant, or into the
 * per-batch scratch arena. Whoever needs a string beyond the batch (state,
 * sinks) copies it.
 *
 * TIMESTAMP is TIMESTAMP(3) without time zone, held as milliseconds since
 * 1970-01-01T00:00:00 UTC. INTERVAL is a day-time interval in milliseconds.
 * INT is 32 bits wide but held in .i (always sign-extended).
 *
 * ARRAY is Flink's ARRAY<DOUBLE> (the only element type so far: what a
 * multi-class model's scores are). Like a STRING it points at bytes it does
 * not own, in the per-batch scratch arena or a plan's arena: len doubles
 * (8-byte aligned), then len bytes, one per element, nonzero for a NULL
 * element (vg_array_*). Only the expression module and the sinks read it;
 * no operator holds one in its state (the binder refuses that).
 */
#ifndef VG_VALUE_H
#define VG_VALUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum vg_type {
    VG_T_NULL = 0,  /* the type of a bare NULL literal; unifies with any type */
    VG_T_BOOL,
    VG_T_INT,
    VG_T_BIGINT,
    VG_T_DOUBLE,
    VG_T_STRING,
    VG_T_TIMESTAMP,
    VG_T_INTERVAL,
    VG_T_ARRAY, /* ARRAY<DOUBLE> */
    VG_T_NTYPES
} vg_type;

typedef struct vg_value {
    union {
        int64_t i;     /* BOOL (0/1), INT, BIGINT, TIMESTAMP (ms), INTERVAL (ms) */
        double d;      /* DOUBLE */
        const char *s; /* STRING bytes, not NUL-terminated; see len */
        const double *a; /* ARRAY: len elements, then len NULL flags (vg_array_nulls) */
    } u;
    uint32_t len; /* STRING: byte length; ARRAY: element count */
    uint8_t null; /* nonzero: SQL NULL (u and len are meaningless) */
} vg_value;

/* Constructors. vg_str borrows s. */
static inline vg_value vg_null(void) { vg_value v = {{0}, 0, 1}; return v; }
static inline vg_value vg_int(int64_t i) { vg_value v = {{0}, 0, 0}; v.u.i = i; return v; }
static inline vg_value vg_bool(bool b) { return vg_int(b ? 1 : 0); }
static inline vg_value vg_double(double d) { vg_value v = {{0}, 0, 0}; v.u.d = d; return v; }
static inline vg_value vg_str(const char *s, uint32_t len)
{
    vg_value v = {{0}, len, 0};
    v.u.s = s;
    return v;
}

/* ---- ARRAY<DOUBLE> values ---- */

/* Bytes an array of n elements takes: n doubles, then n NULL flags. */
static inline size_t vg_array_bytes(uint32_t n) { return (size_t)n * (sizeof(double) + 1); }
/* The elements of a non-NULL array value. */
static inline const double *vg_array_elems(const vg_value *v) { return v->u.a; }
/* Its NULL flags: nonzero for a NULL element. */
static inline const uint8_t *vg_array_nulls(const vg_value *v)
{
    return (const uint8_t *)(v->u.a + v->len);
}
/* A new array of n elements in arena a (engine/alloc.h), all 0.0 and none
 * NULL: *out is its value, and the elements are returned to be filled in
 * (the NULL flags follow them). NULL, and *out a NULL value, when out of
 * memory. */
struct vg_arena;
double *vg_array_new(struct vg_arena *a, uint32_t n, vg_value *out);
/* An array value over the vg_array_bytes(n) bytes at p (8-byte aligned;
 * borrowed, like vg_str's). */
static inline vg_value vg_array(const double *p, uint32_t n)
{
    vg_value v = {{0}, n, 0};
    v.u.a = p;
    return v;
}

/* A named, typed column of a row; rows are arrays of vg_value in column order. */
typedef struct vg_column {
    const char *name; /* as the user sees it in SQL and in output */
    vg_type type;
} vg_column;

typedef struct vg_schema {
    uint32_t ncols;
    vg_column *cols;
} vg_schema;

/* Index of a column by exact (case-sensitive, as in Flink) name, or -1. */
int vg_schema_find(const vg_schema *s, const char *name);

/* Upper-case SQL name of a type ("BIGINT", "TIMESTAMP(3)", "ARRAY<DOUBLE>", ...). */
const char *vg_type_name(vg_type t);
/* Parse a type name as written in SQL (case-insensitive; VARCHAR, STRING,
 * VARCHAR(n), TEXT, INTEGER, INT, BIGINT, DOUBLE, FLOAT, BOOLEAN,
 * TIMESTAMP, TIMESTAMP(3), ARRAY<DOUBLE>, DOUBLE ARRAY). Returns VG_T_NULL
 * when unknown. */
vg_type vg_type_from_name(const char *s, size_t n);
bool vg_type_is_numeric(vg_type t); /* INT, BIGINT, DOUBLE */
/* The type two operands are implicitly cast to, as Flink does: equal types
 * stay; NULL gives the other; INT with BIGINT gives BIGINT; an integer with
 * DOUBLE gives DOUBLE. Returns false when there is none (e.g. STRING with
 * BIGINT). */
bool vg_type_common(vg_type a, vg_type b, vg_type *out);

/* Parse ISO-8601 "2024-05-01T12:00:00.123Z" (also ' ' for 'T', optional
 * fraction of 1..9 digits truncated to ms, optional 'Z' or +hh:mm / -hhmm
 * offset; none means UTC; date alone means midnight). Returns 0 on
 * success, -1 when s[0..n) is not a valid timestamp. */
int vg_ts_parse(const char *s, size_t n, int64_t *ms_out);
/* Format as "YYYY-MM-DDTHH:MM:SS.sssZ" into buf (at least 32 bytes);
 * returns the length written (no NUL counted). Years outside 0..9999 are
 * written with a sign and more digits. */
int vg_ts_format(int64_t ms, char *buf);
/* Shortest decimal text that reads back (strtod) to exactly d; buf at least
 * 32 bytes; returns length. A value that prints as an integer gets ".0"
 * ("3.0") so that the DOUBLE stays visible in JSON; exponents are kept as
 * printf writes them ("1e+21"). NaN and infinities are written "null". */
int vg_double_format(double d, char *buf);

/* Three-way comparison of two non-NULL values of the same type. STRING
 * compares bytes (memcmp order, shorter first on a tie); ARRAY compares
 * element by element (a NULL element first, as DOUBLE otherwise), then the
 * shorter first. SQL has no order on arrays: this is for tests. */
int vg_value_cmp(vg_type t, const vg_value *a, const vg_value *b);
/* Equality of two values of type t where NULL equals NULL (for tests and
 * grouping, not SQL '='). */
bool vg_value_same(vg_type t, const vg_value *a, const vg_value *b);

#endif
