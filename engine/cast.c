/*
 * cast.c — conversions between SQL types, one small function per pair,
 * looked up in a [from][to] table (cast.h has the matrix and the rules).
 *
 * Text forms follow Flink where it has one: BOOLEAN as TRUE/FALSE, a
 * timestamp as "yyyy-MM-dd HH:mm:ss.SSS", an interval as "+d hh:mm:ss.SSS".
 * A DOUBLE is written as the shortest text that reads back to it (the JSON
 * output's form: "1.5", "3.0", "1e+21"); Java would write "1.0E21".
 * Reading text trims ASCII blanks first, as Flink does.
 */
#include "engine/cast.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- helpers ---- */

static int put_text(const char *s, size_t n, vg_value *out, vg_arena *scratch)
{
    char *p = vg_arena_strndup(scratch, s, n);
    if (!p) {
        *out = vg_null();
        return -1;
    }
    *out = vg_str(p, (uint32_t)n);
    return 0;
}

static bool is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/* The value's text without leading and trailing blanks. */
static const char *trimmed(const vg_value *in, size_t *n)
{
    const char *s = in->u.s;
    size_t len = in->len;
    while (len > 0 && is_blank(s[0])) {
        s++;
        len--;
    }
    while (len > 0 && is_blank(s[len - 1]))
        len--;
    *n = len;
    return s;
}

/* Parse an integer: [+-]digits[.digits] (a fraction is dropped, as Flink
 * does), within [lo, hi]. */
static bool parse_integer(const char *s, size_t n, int64_t lo, int64_t hi, int64_t *v)
{
    size_t i = 0;
    bool neg = false;
    if (i < n && (s[i] == '+' || s[i] == '-'))
        neg = s[i++] == '-';
    uint64_t limit = neg ? (uint64_t)0 - (uint64_t)lo : (uint64_t)hi, acc = 0;
    size_t ndigits = 0;
    for (; i < n && s[i] >= '0' && s[i] <= '9'; i++, ndigits++) {
        unsigned d = (unsigned)(s[i] - '0');
        if (acc > (limit - d) / 10)
            return false;
        acc = acc * 10 + d;
    }
    if (i < n && s[i] == '.') {
        for (i++; i < n && s[i] >= '0' && s[i] <= '9'; i++)
            ndigits++;
    }
    if (i != n || ndigits == 0)
        return false;
    *v = neg ? (int64_t)(0 - acc) : (int64_t)acc;
    return true;
}

/* ---- the conversions ---- */

static int c_ident(const vg_value *in, vg_value *out, vg_arena *scratch)
{
    (void)scratch;
    *out = *in;
    return 0;
}

static int c_to_bool(const vg_value *in, vg_value *out, vg_arena *scratch)
{
    (void)scratch;
    *out = vg_bool(in->u.i != 0);
    return 0;
}

static int c_bool_to_double(const vg_value *in, vg_value *out, vg_arena *scratch)
{
    (void)scratch;
    *out = vg_double(in->u.i ? 1.0 : 0.0);
    return 0;
}

static int c_bool_to_text(const vg_value *in, vg_value *out, vg_arena *scratch)
{
    (void)scratch;
    *out = in->u.i ? vg_str("TRUE", 4) : vg_str("FALSE", 5);
    return 0;
}

static int c_integer_to_double(const vg_value *in, vg_value *out, vg_arena *scratch)
{
    (void)scratch;
    *out = vg_double((double)in->u.i);
    return 0;
}

static int c_integer_to_text(const vg_value *in, vg_value *out, vg_arena *scratch)
{
    char buf[24];
    int n = snprintf(buf, sizeof buf, "%lld", (long long)in->u.i);
    return put_text(buf, (size_t)n, out, scratch);
}

static int c_bigint_to_int(const vg_value *in, vg_value *out, vg_arena *scratch)
{
    (void)scratch;
    *out = in->u.i >= INT32_MIN && in->u.i <= INT32_MAX ? *in : vg_null();
    return 0;
}

/* DOUBLE to an integer type: truncation toward zero, NULL out of range. */
static void double_to_integer(double d, double lo, double hi_excl, vg_value *out)
{
    if (d >= lo && d < hi_excl) /* false for NaN */
        *out = vg_int((int64_t)d);
    else
        *out = vg_null();
}

static int c_double_to_int(const vg_value *in, vg_value *out, vg_arena *scratch)
{
    (void)scratch;
    double_to_integer(trunc(in->u.d), -2147483648.0, 2147483648.0, out);
    return 0;
}

static int c_double_to_bigint(const vg_value *in, vg_value *out, vg_arena *scratch)
{
    (void)scratch;
    double_to_integer(in->u.d, -9223372036854775808.0, 9223372036854775808.0, out);
    return 0;
}

static int c_double_to_text(const vg_value *in, vg_value *out, vg_arena *scratch)
{
    double d = in->u.d;
    if (isnan(d))
        *out = vg_str("NaN", 3);
    else if (isinf(d))
        *out = d > 0 ? vg_str("Infinity", 8) : vg_str("-Infinity", 9);
    else {
        char buf[40];
        int n = vg_double_format(d, buf);
        return put_text(buf, (size_t)n, out, scratch);
    }
    return 0;
}

static int c_text_to_bool(const vg_value *in, vg_value *out, vg_arena *scratch)
{
    (void)scratch;
    static const char *const truths[] = {"true", "t", "yes", "y", "1"};
    static const char *const lies[] = {"false", "f", "no", "n", "0"};
    size_t n;
    const char *s = trimmed(in, &n);
    *out = vg_null();
    for (size_t i = 0; i < sizeof truths / sizeof truths[0]; i++) {
        if (strlen(truths[i]) == n && strncasecmp(s, truths[i], n) == 0)
            *out = vg_bool(true);
        if (strlen(lies[i]) == n && strncasecmp(s, lies[i], n) == 0)
            *out = vg_bool(false);
    }
    return 0;
}

static int c_text_to_int(const vg_value *in, vg_value *out, vg_arena *scratch)
{
    (void)scratch;
    size_t n;
    const char *s = trimmed(in, &n);
    int64_t v;
    *out = parse_integer(s, n, INT32_MIN, INT32_MAX, &v) ? vg_int(v) : vg_null();
    return 0;
}

static int c_text_to_bigint(const vg_value *in, vg_value *out, vg_arena *scratch)
{
    (void)scratch;
    size_t n;
    const char *s = trimmed(in, &n);
    int64_t v;
    *out = parse_integer(s, n, INT64_MIN, INT64_MAX, &v) ? vg_int(v) : vg_null();
    return 0;
}

static int c_text_to_double(const vg_value *in, vg_value *out, vg_arena *scratch)
{
    size_t n;
    const char *s = trimmed(in, &n);
    *out = vg_null();
    /* strtod needs a NUL-terminated copy; hexadecimal floats are not SQL. */
    if (n == 0 || memchr(s, 'x', n) || memchr(s, 'X', n))
        return 0;
    char small[64];
    char *copy = small;
    if (n >= sizeof small && !(copy = vg_arena_alloc(scratch, n + 1)))
        return -1;
    memcpy(copy, s, n);
    copy[n] = 0;
    char *end;
    double d = strtod(copy, &end);
    if (end == copy + n)
        *out = vg_double(d);
    return 0;
}

static int c_text_to_ts(const vg_value *in, vg_value *out, vg_arena *scratch)
{
    (void)scratch;
    size_t n;
    const char *s = trimmed(in, &n);
    int64_t ms;
    *out = vg_ts_parse(s, n, &ms) == 0 ? vg_int(ms) : vg_null();
    return 0;
}

static int c_ts_to_text(const vg_value *in, vg_value *out, vg_arena *scratch)
{
    char buf[40];
    int n = vg_cast_ts_text(in->u.i, buf);
    return put_text(buf, (size_t)n, out, scratch);
}

static int c_interval_to_text(const vg_value *in, vg_value *out, vg_arena *scratch)
{
    char buf[48];
    int n = vg_cast_interval_text(in->u.i, buf);
    return put_text(buf, (size_t)n, out, scratch);
}

/* "[0.1, 0.2, NULL]": each element as CAST(d AS STRING) writes it, Flink's
 * form for an array cast to STRING. */
static int c_array_to_text(const vg_value *in, vg_value *out, vg_arena *scratch)
{
    size_t cap = 2 + (size_t)in->len * 42, n = 0;
    char *p = vg_arena_alloc(scratch, cap);
    if (!p) {
        *out = vg_null();
        return -1;
    }
    const double *d = vg_array_elems(in);
    const uint8_t *nulls = vg_array_nulls(in);
    p[n++] = '[';
    for (uint32_t i = 0; i < in->len; i++) {
        if (i) {
            p[n++] = ',';
            p[n++] = ' ';
        }
        vg_value e = vg_double(d[i]), t;
        if (nulls[i])
            t = vg_str("NULL", 4);
        else if (c_double_to_text(&e, &t, scratch) < 0)
            return *out = vg_null(), -1;
        memcpy(p + n, t.u.s, t.len);
        n += t.len;
    }
    p[n++] = ']';
    *out = vg_str(p, (uint32_t)n);
    return 0;
}

/* ---- the table ---- */

enum {
    B = VG_T_BOOL,
    I = VG_T_INT,
    L = VG_T_BIGINT,
    D = VG_T_DOUBLE,
    S = VG_T_STRING,
    T = VG_T_TIMESTAMP,
    V = VG_T_INTERVAL,
    A = VG_T_ARRAY
};

static const vg_cast_fn cast_table[VG_T_NTYPES][VG_T_NTYPES] = {
    [B] =
        {[B] = c_ident, [I] = c_ident, [L] = c_ident, [D] = c_bool_to_double, [S] = c_bool_to_text},
    [I] = {[B] = c_to_bool,
           [I] = c_ident,
           [L] = c_ident,
           [D] = c_integer_to_double,
           [S] = c_integer_to_text},
    [L] = {[B] = c_to_bool,
           [I] = c_bigint_to_int,
           [L] = c_ident,
           [D] = c_integer_to_double,
           [S] = c_integer_to_text,
           [V] = c_ident},
    [D] = {[I] = c_double_to_int, [L] = c_double_to_bigint, [D] = c_ident, [S] = c_double_to_text},
    [S] = {[B] = c_text_to_bool,
           [I] = c_text_to_int,
           [L] = c_text_to_bigint,
           [D] = c_text_to_double,
           [S] = c_ident,
           [T] = c_text_to_ts},
    [T] = {[S] = c_ts_to_text, [T] = c_ident},
    [V] = {[L] = c_ident, [S] = c_interval_to_text, [V] = c_ident},
    [A] = {[S] = c_array_to_text, [A] = c_ident},
};

vg_cast_fn vg_cast_find(vg_type from, vg_type to)
{
    if ((unsigned)from >= VG_T_NTYPES || (unsigned)to >= VG_T_NTYPES)
        return NULL;
    if (from == VG_T_NULL)
        return c_ident;
    return cast_table[from][to];
}

bool vg_cast_allowed(vg_type from, vg_type to) { return vg_cast_find(from, to) != NULL; }

bool vg_cast_implicit(vg_type from, vg_type to)
{
    if (from == to || from == VG_T_NULL)
        return true;
    return (from == VG_T_INT && (to == VG_T_BIGINT || to == VG_T_DOUBLE)) ||
           (from == VG_T_BIGINT && to == VG_T_DOUBLE);
}

int vg_cast_ts_text(int64_t ms, char *buf)
{
    /* vg_ts_format writes "yyyy-MM-ddTHH:mm:ss.SSSZ": swap the T, drop the Z. */
    int n = vg_ts_format(ms, buf);
    char *t = strchr(buf, 'T');
    if (t)
        *t = ' ';
    if (n > 0 && buf[n - 1] == 'Z')
        buf[--n] = 0;
    return n;
}

int vg_cast_interval_text(int64_t ms, char *buf)
{
    uint64_t a = ms < 0 ? (uint64_t)0 - (uint64_t)ms : (uint64_t)ms;
    return sprintf(buf, "%c%llu %02u:%02u:%02u.%03u", ms < 0 ? '-' : '+',
                   (unsigned long long)(a / 86400000), (unsigned)(a / 3600000 % 24),
                   (unsigned)(a / 60000 % 60), (unsigned)(a / 1000 % 60), (unsigned)(a % 1000));
}
