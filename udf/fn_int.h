/*
 * fn_int.h — what the files of the built-in function table share.
 *
 * The table is split by category: each fn_*.c file defines the entries of
 * its functions (name-sorted) with their check, prepare and eval functions
 * and exports the sub-table; func.c joins them and does lookup and the
 * markdown. The helpers below, implemented in func.c (argument checking,
 * scratch strings, UTF-8) and fn_time.c (calendar arithmetic, time units),
 * keep each function's code down to what is particular to it.
 */
#ifndef VG_FN_INT_H
#define VG_FN_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "udf/func.h"

/* Longest string (bytes) a function builds; a longer result is NULL, so that
 * REPEAT(s, n) with n from bad data cannot exhaust memory and stop the run. */
#define FN_MAX_RESULT ((size_t)16 << 20)

#define FN_MS_PER_SECOND 1000LL
#define FN_MS_PER_MINUTE 60000LL
#define FN_MS_PER_HOUR 3600000LL
#define FN_MS_PER_DAY 86400000LL

/* ---- the sub-tables, each sorted by name ---- */

extern const vg_func vg_fn_string_table[];
extern const size_t vg_fn_string_count;
extern const vg_func vg_fn_math_table[];
extern const size_t vg_fn_math_count;
extern const vg_func vg_fn_time_table[];
extern const size_t vg_fn_time_count;
extern const vg_func vg_fn_datefmt_table[];
extern const size_t vg_fn_datefmt_count;
extern const vg_func vg_fn_regex_table[];
extern const size_t vg_fn_regex_count;
extern const vg_func vg_fn_hash_table[];
extern const size_t vg_fn_hash_count;
extern const vg_func vg_fn_cond_table[];
extern const size_t vg_fn_cond_count;
extern const vg_func vg_fn_array_table[];
extern const size_t vg_fn_array_count;

/* ---- checking calls (func.c) ---- */

/* Set b->msg (printf-style) and b->bad_arg; returns -1. */
int fn_fail(vg_fn_bind *b, int arg, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* "function F expects WHAT, got TYPE" (or "... WHAT for argument N, got
 * TYPE" when the call has several arguments); returns -1. */
int fn_type_error(vg_fn_bind *b, uint32_t i, const char *what);

/* Accept argument i when it has the wanted type or is a NULL literal, else
 * fail with fn_type_error. fn_arg_double asks for a cast of INT and BIGINT
 * to DOUBLE; the others leave argt unchanged (INT and BIGINT are both read
 * from .i, so an integer argument needs no cast). */
int fn_arg_string(vg_fn_bind *b, uint32_t i);
int fn_arg_integer(vg_fn_bind *b, uint32_t i); /* INT or BIGINT */
int fn_arg_number(vg_fn_bind *b, uint32_t i);  /* INT, BIGINT or DOUBLE, unchanged */
int fn_arg_double(vg_fn_bind *b, uint32_t i);  /* INT, BIGINT or DOUBLE, cast to DOUBLE */
int fn_arg_timestamp(vg_fn_bind *b, uint32_t i);
int fn_arg_bool(vg_fn_bind *b, uint32_t i);
/* The value of argument i when it is a constant STRING (or a constant
 * NULL, returned as a NULL value); NULL when it is not constant. */
const vg_value *fn_const_arg(const vg_fn_bind *b, uint32_t i);
/* Check every argument against sig, one letter per argument (the last
 * letter repeats for the rest): S STRING, I integer, N number, D number cast
 * to DOUBLE, T TIMESTAMP, B BOOLEAN. Sets b->ret = ret. */
int fn_check_sig(vg_fn_bind *b, const char *sig, vg_type ret);
/* A check function that is just fn_check_sig. */
#define FN_SIG_CHECK(fname, sig, ret)                                                         \
    static int fname(vg_fn_bind *b)                                                            \
    {                                                                                          \
        return fn_check_sig(b, sig, ret);                                                      \
    }
/* Unify the types of arguments [from, nargs) with vg_type_common, set each
 * argt to the result (the binder casts) and b->ret too; fails with
 * "function F: no common type for A and B" blaming the first argument that
 * does not fit. */
int fn_common_type(vg_fn_bind *b, uint32_t from);

/* ---- building results (func.c) ---- */

/* Room in ctx->scratch for a result string of n bytes. Sets *out to NULL
 * first, so a caller that gets NULL back just returns: the result is then
 * NULL when n > FN_MAX_RESULT, and ctx->failed is set when the arena is out
 * of memory. */
char *fn_alloc(vg_fn_ctx *ctx, size_t n, vg_value *out);

static inline void fn_set_str(vg_value *out, const char *p, size_t n)
{
    *out = vg_str(p, (uint32_t)n);
}

/* Copy n bytes to w and return w + n; n may be 0 with s NULL. */
static inline char *fn_put(char *w, const char *s, size_t n)
{
    if (n)
        memcpy(w, s, n);
    return w + n;
}

/* First occurrence of needle[0..nn) in h[0..hn), nn > 0; NULL when none. */
static inline const char *fn_find(const char *h, size_t hn, const char *needle, size_t nn)
{
    return nn <= hn ? memmem(h, hn, needle, nn) : NULL;
}

/* A string growing in ctx->scratch, for results whose length is not known in
 * advance (REGEXP_REPLACE). Growing copies into a new block twice as big;
 * the old block stays in the arena until it is reset. */
typedef struct fn_buf {
    vg_fn_ctx *ctx;
    char *p;      /* bytes so far (not NUL-terminated); NULL after a failure */
    size_t len;   /* bytes used */
    size_t cap;   /* bytes available at p */
    bool toobig;  /* the result passed FN_MAX_RESULT: the call gives NULL */
} fn_buf;

/* Start with room for cap bytes; false when allocation failed. */
bool fn_buf_init(fn_buf *b, vg_fn_ctx *ctx, size_t cap);
/* Append; false when allocation failed or the result got too big. */
bool fn_buf_add(fn_buf *b, const char *s, size_t n);
/* Set out to the string built, to NULL when it got too big, or leave the
 * failure to ctx->failed. */
void fn_buf_finish(fn_buf *b, vg_value *out);

/* ---- UTF-8 (func.c) ----
 * Strings are counted in code points. Input is trusted to be UTF-8 (the
 * decoder rejects anything else); a stray continuation byte counts with
 * the code point before it, so nothing is ever split inside a sequence. */

static inline bool fn_utf8_cont(unsigned char c)
{
    return (c & 0xC0) == 0x80;
}
/* Code points in s[0..n). */
size_t fn_utf8_count(const char *s, size_t n);
/* Byte offset after skipping k code points from byte pos (at most n). */
size_t fn_utf8_skip(const char *s, size_t n, size_t pos, uint64_t k);
/* Byte offset where the last k code points of s[0..n) begin (0 when s has
 * fewer). */
size_t fn_utf8_back(const char *s, size_t n, uint64_t k);

/* ---- time (fn_time.c) ---- */

typedef enum fn_unit {
    FN_U_MILLISECOND, FN_U_SECOND, FN_U_MINUTE, FN_U_HOUR, FN_U_DAY, FN_U_WEEK,
    FN_U_MONTH, FN_U_QUARTER, FN_U_YEAR, FN_U_DOW, FN_U_DOY, FN_U_EPOCH,
    FN_U_COUNT
} fn_unit;

#define FN_UNIT_BIT(u) (1u << (u))

/* The constant unit argument i, which must be one of the units in allowed
 * (FN_UNIT_BIT mask); -1 with the message set otherwise. */
int fn_unit_arg(vg_fn_bind *b, uint32_t i, unsigned allowed);

/* A timestamp taken apart (proleptic Gregorian calendar, UTC). */
typedef struct fn_tm {
    int64_t year;
    int month, day;               /* 1-based */
    int hour, minute, second, ms; /* time of day */
    int64_t days;                 /* days since 1970-01-01 */
} fn_tm;

int64_t fn_days_from_civil(int64_t y, int m, int d);
void fn_ts_split(int64_t ms, fn_tm *tm);
/* Milliseconds of a civil date and time; false when it does not fit int64. */
bool fn_ts_join(int64_t year, int month, int day, int64_t ms_of_day, int64_t *out);
int fn_days_in_month(int64_t y, int m);
/* The FLOOR(ts, 'DAY') / CEIL(ts, 'TIME') checks of the FLOOR and CEIL
 * entries (fn_math.c) for two arguments. */
int fn_time_check_floor(vg_fn_bind *b);
int fn_time_check_ceil(vg_fn_bind *b);

#endif
