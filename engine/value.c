/*
 * value.c — SQL types, their names and implicit casts, and the text forms of
 * timestamps and doubles that every output path shares.
 *
 * Timestamps are converted with days-from-civil arithmetic (proleptic
 * Gregorian calendar, UTC) rather than timegm/mktime: no locale, no time
 * zone database, no range limits of time_t, and the same answer everywhere.
 */
#include "engine/value.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MS_PER_DAY 86400000LL

/* ---- types ---- */

static const char *const type_names[VG_T_NTYPES] = {
    [VG_T_NULL] = "NULL",
    [VG_T_BOOL] = "BOOLEAN",
    [VG_T_INT] = "INT",
    [VG_T_BIGINT] = "BIGINT",
    [VG_T_DOUBLE] = "DOUBLE",
    [VG_T_STRING] = "STRING",
    [VG_T_TIMESTAMP] = "TIMESTAMP(3)",
    [VG_T_INTERVAL] = "INTERVAL",
};

const char *vg_type_name(vg_type t) { return (unsigned)t < VG_T_NTYPES ? type_names[t] : "?"; }

/* SQL spellings of types without a parenthesised argument. */
static const struct {
    const char *name;
    vg_type type;
} type_spellings[] = {
    {"VARCHAR", VG_T_STRING},      {"STRING", VG_T_STRING}, {"TEXT", VG_T_STRING},
    {"INTEGER", VG_T_INT},         {"INT", VG_T_INT},       {"BIGINT", VG_T_BIGINT},
    {"DOUBLE", VG_T_DOUBLE},       {"FLOAT", VG_T_DOUBLE},  {"BOOLEAN", VG_T_BOOL},
    {"TIMESTAMP", VG_T_TIMESTAMP},
};

/* Case-insensitive equality of s[0..n) with the upper-case word w. */
static bool word_eq(const char *s, size_t n, const char *w)
{
    size_t i = 0;
    for (; i < n && w[i]; i++) {
        char c = s[i];
        if (c >= 'a' && c <= 'z')
            c = (char)(c - 'a' + 'A');
        if (c != w[i])
            return false;
    }
    return i == n && w[i] == 0;
}

/* Parse "( digits )" with optional blanks; the number goes to *num. */
static bool paren_number(const char *s, size_t n, long *num)
{
    size_t i = 0;
    while (i < n && s[i] == ' ')
        i++;
    if (i == n || s[i++] != '(')
        return false;
    while (i < n && s[i] == ' ')
        i++;
    long v = 0;
    size_t start = i;
    while (i < n && s[i] >= '0' && s[i] <= '9' && v < 1000000000L)
        v = v * 10 + (s[i++] - '0');
    if (i == start)
        return false;
    while (i < n && s[i] == ' ')
        i++;
    if (i == n || s[i++] != ')')
        return false;
    *num = v;
    return i == n;
}

vg_type vg_type_from_name(const char *s, size_t n)
{
    size_t w = 0;
    while (w < n && s[w] != '(' && s[w] != ' ')
        w++;
    for (size_t i = 0; i < sizeof type_spellings / sizeof type_spellings[0]; i++) {
        if (!word_eq(s, w, type_spellings[i].name))
            continue;
        vg_type t = type_spellings[i].type;
        if (w == n)
            return t;
        long num;
        if (!paren_number(s + w, n - w, &num))
            return VG_T_NULL;
        if (t == VG_T_STRING && word_eq(s, w, "VARCHAR") && num > 0)
            return t;
        if (t == VG_T_TIMESTAMP && num == 3)
            return t;
        return VG_T_NULL;
    }
    return VG_T_NULL;
}

bool vg_type_is_numeric(vg_type t) { return t == VG_T_INT || t == VG_T_BIGINT || t == VG_T_DOUBLE; }

bool vg_type_common(vg_type a, vg_type b, vg_type *out)
{
    if (a == b || b == VG_T_NULL) {
        *out = a;
        return true;
    }
    if (a == VG_T_NULL) {
        *out = b;
        return true;
    }
    if (!vg_type_is_numeric(a) || !vg_type_is_numeric(b))
        return false;
    *out = (a == VG_T_DOUBLE || b == VG_T_DOUBLE) ? VG_T_DOUBLE : VG_T_BIGINT;
    return true;
}

int vg_schema_find(const vg_schema *s, const char *name)
{
    for (uint32_t i = 0; i < s->ncols; i++)
        if (strcmp(s->cols[i].name, name) == 0)
            return (int)i;
    return -1;
}

/* ---- timestamps ---- */

/* Days since 1970-01-01 of a proleptic Gregorian date (m 1..12, d 1..31). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;                                   /* 0..399 */
    int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1; /* 0..365 */
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;           /* 0..146096 */
    return era * 146097 + doe - 719468;
}

/* Inverse of days_from_civil. */
static void civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

static int days_in_month(int64_t y, int m)
{
    static const int mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 && leap ? 29 : mdays[m - 1];
}

/* Read exactly n decimal digits at s; -1 when one is not a digit. */
static int digits(const char *s, int n)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

/* Parse the zone suffix s[0..n): "", "Z", "+hh:mm", "-hhmm"; minutes east of UTC. */
static int parse_zone(const char *s, size_t n, int *minutes)
{
    *minutes = 0;
    if (n == 0 || (n == 1 && (s[0] == 'Z' || s[0] == 'z')))
        return 0;
    if ((s[0] != '+' && s[0] != '-') || (n != 6 && n != 5) || (n == 6 && s[3] != ':'))
        return -1;
    int hh = digits(s + 1, 2), mm = digits(s + n - 2, 2);
    if (hh < 0 || mm < 0 || hh > 23 || mm > 59)
        return -1;
    *minutes = (s[0] == '-' ? -1 : 1) * (hh * 60 + mm);
    return 0;
}

/* Parse "HH:MM:SS[.f{1,9}]" at s[0..n); the time of day in ms, the rest in *used. */
static int parse_time(const char *s, size_t n, int64_t *ms, size_t *used)
{
    /* hh:mm, then optionally :ss and a fraction (ISO-8601 lets seconds go) */
    if (n < 5 || s[2] != ':')
        return -1;
    bool has_seconds = n >= 8 && s[5] == ':';
    int hh = digits(s, 2), mi = digits(s + 3, 2), ss = has_seconds ? digits(s + 6, 2) : 0;
    if (hh < 0 || mi < 0 || ss < 0 || hh > 23 || mi > 59 || ss > 59)
        return -1;
    size_t i = has_seconds ? 8 : 5;
    int frac = 0;
    if (has_seconds && i < n && s[i] == '.') {
        size_t start = ++i;
        while (i < n && s[i] >= '0' && s[i] <= '9' && i - start < 9) {
            if (i - start < 3)
                frac = frac * 10 + (s[i] - '0');
            i++;
        }
        size_t nd = i - start;
        if (nd == 0)
            return -1;
        for (; nd < 3; nd++)
            frac *= 10;
    }
    *ms = ((hh * 60 + mi) * 60 + ss) * 1000LL + frac;
    *used = i;
    return 0;
}

int vg_ts_parse(const char *s, size_t n, int64_t *ms_out)
{
    if (n < 10 || s[4] != '-' || s[7] != '-')
        return -1;
    int y = digits(s, 4), m = digits(s + 5, 2), d = digits(s + 8, 2);
    if (y < 0 || m < 1 || m > 12 || d < 1 || d > days_in_month(y, m))
        return -1;
    int64_t ms = days_from_civil(y, m, d) * MS_PER_DAY;
    if (n == 10) {
        *ms_out = ms;
        return 0;
    }
    if (s[10] != 'T' && s[10] != 't' && s[10] != ' ')
        return -1;
    int64_t tod;
    size_t used;
    int zone;
    if (parse_time(s + 11, n - 11, &tod, &used) < 0 ||
        parse_zone(s + 11 + used, n - 11 - used, &zone) < 0)
        return -1;
    *ms_out = ms + tod - zone * 60000LL;
    return 0;
}

/* Write v (0 <= v < 10^width) as exactly width digits. */
static char *put_digits(char *p, int64_t v, int width)
{
    for (int i = width - 1; i >= 0; i--, v /= 10)
        p[i] = (char)('0' + v % 10);
    return p + width;
}

int vg_ts_format(int64_t ms, char *buf)
{
    int64_t days = ms / MS_PER_DAY, rem = ms % MS_PER_DAY;
    if (rem < 0) { /* floor division: 1969-12-31T23:59:59.999 is -1 */
        rem += MS_PER_DAY;
        days--;
    }
    int64_t y;
    int m, d;
    civil_from_days(days, &y, &m, &d);
    char *p = buf;
    if (y >= 0 && y <= 9999)
        p = put_digits(p, y, 4);
    else
        p += sprintf(p, y < 0 ? "-%04lld" : "+%lld", (long long)(y < 0 ? -y : y));
    *p++ = '-';
    p = put_digits(p, m, 2);
    *p++ = '-';
    p = put_digits(p, d, 2);
    *p++ = 'T';
    p = put_digits(p, rem / 3600000, 2);
    *p++ = ':';
    p = put_digits(p, rem / 60000 % 60, 2);
    *p++ = ':';
    p = put_digits(p, rem / 1000 % 60, 2);
    *p++ = '.';
    p = put_digits(p, rem % 1000, 3);
    *p++ = 'Z';
    *p = 0;
    return (int)(p - buf);
}

/* ---- doubles ---- */

/* printf d with precision prec into buf; true when it reads back exactly. */
static bool format_exact(double d, int prec, char *buf, int *len)
{
    *len = snprintf(buf, 32, "%.*g", prec, d);
    return strtod(buf, NULL) == d;
}

/* The decimal digits of u, at least min of them (zeros in front), written
 * backwards ending just before end, two at a time. Returns how many. */
static int put_digits_back(uint64_t u, int min, char *end)
{
    static const char pairs[201] = "00010203040506070809101112131415161718192021222324252627282930"
                                   "31323334353637383940414243444546474849505152535455565758596061"
                                   "62636465666768697071727374757677787980818283848586878889909192"
                                   "93949596979899";
    char *p = end;
    while (u >= 100) {
        p -= 2;
        memcpy(p, pairs + 2 * (u % 100), 2);
        u /= 100;
    }
    if (u >= 10) {
        p -= 2;
        memcpy(p, pairs + 2 * u, 2);
    } else {
        *--p = (char)('0' + u);
    }
    while (end - p < min)
        *--p = '0';
    return (int)(end - p);
}

/* format_fixed's text of m / 10^k (its digits with a point before the last
 * k, at least one after it and one before), written backwards into place. */
static int put_scaled(bool neg, uint64_t u, int k, char *buf)
{
    int nd = 1;
    for (uint64_t x = u; x >= 10; x /= 10)
        nd++;
    int frac = k ? k : 1, whole = nd > k ? nd - k : 1, len = neg + whole + 1 + frac;
    char *p = buf + len;
    *p = 0;
    if (!k)
        *--p = '0';
    for (int i = 0; i < k; i++, u /= 10)
        *--p = (char)('0' + u % 10);
    *--p = '.';
    put_digits_back(u, whole, p);
    if (neg)
        buf[0] = '-';
    return len;
}

/* format_fixed for 0 <= k <= 3 in one step, when |d| * 1000 < 2^50: if
 * d = m / 10^k for some such k, then m * 10^(3 - k) is |d| * 1000 rounded
 * (|d| is within half an ulp of m / 10^k, and 1000 times that is far below
 * one half), and its division by 1000 is the same correctly rounded
 * quotient; conversely a quotient that equals d gives its smallest k once
 * its zeros are dropped. -1 when it cannot tell (a larger |d|). */
static int format_fixed3(double d, char *buf)
{
    double a = fabs(d), t = a * 1000;
    if (!(a >= 1e-4 && t < 0x1p50))
        return a >= 1e-4 && a < 1e15 ? -1 : 0;
    double m = (t + 0x1p52) - 0x1p52; /* nearbyint(t) */
    if (m / 1000 != a)
        return 0;
    uint64_t u = (uint64_t)m;
    int k = 3;
    for (; k > 0 && u % 10 == 0; k--)
        u /= 10;
    return put_scaled(d < 0, u, k, buf);
}

/* The common case without printf: 1e-4 <= |d| < 1e15 (where %g writes no
 * exponent) and d = m / 10^k for an integer m < 2^53. The smallest such k
 * gives the shortest text; m / 10^k is one correctly rounded division, so
 * equality means strtod reads the text back as d. Returns 0 if not so.
 * Looks at from <= k <= to only (0 and 19 for every k): m grows with k, so
 * once it passes 2^53 no later k can do. */
static int format_fixed(double d, char *buf, int from, int to)
{
    double a = fabs(d), p10 = 1;
    if (!(a >= 1e-4 && a < 1e15))
        return 0;
    for (int k = 0; k < from; k++)
        p10 *= 10;
    for (int k = from; k <= to; k++, p10 *= 10) {
        double t = a * p10, m = t >= 0x1p52 ? t : (t + 0x1p52) - 0x1p52; /* nearbyint(t) */
        if (m >= 9007199254740992.0)
            return 0;
        /* m / p10 == a puts t within a few ulps of m: the cheap test first */
        if (fabs(t - m) > m * 0x1p-48 || m / p10 != a)
            continue;
        return put_scaled(d < 0, (uint64_t)m, k, buf);
    }
    return 0;
}

typedef unsigned __int128 u128;

#define P10_19 10000000000000000000u

/* 10^k for 0 <= k <= 21, as 128-bit integers. */
static const u128 pow10_u128[22] = {
    1u, 10u, 100u, 1000u, 10000u, 100000u, 1000000u, 10000000u, 100000000u, 1000000000u,
    10000000000u, 100000000000u, 1000000000000u, 10000000000000u, 100000000000000u,
    1000000000000000u, 10000000000000000u, 100000000000000000u, 1000000000000000000u,
    P10_19, (u128)P10_19 * 10, (u128)P10_19 * 100,
};

/* Whether q * 10^(x - p + 1) reads back (strtod, to nearest, ties to
 * even) as m * 2^-s: it lies between the midpoints to the neighbours. */
static bool reads_back(uint64_t m, int s, int p, uint64_t q, int x)
{
    u128 scale = pow10_u128[p - 1 - x];
    u128 v = (u128)q << (s + 2);
    u128 below = (u128)(4 * m - (m == (uint64_t)1 << 52 ? 1 : 2)) * scale;
    u128 above = (u128)(4 * m + 2) * scale;
    if (v == below || v == above)
        return !(m & 1);
    return below < v && v < above;
}

/* %g's fixed notation of q * 10^(x - p + 1), trailing zeros dropped. */
static int put_fixed(bool neg, uint64_t q, int p, int x, char *buf)
{
    char digits[24];
    put_digits_back(q, p, digits + p);
    int nd = p;
    while (nd > 1 && digits[nd - 1] == '0')
        nd--;
    char *o = buf;
    if (neg)
        *o++ = '-';
    if (x < 0) {
        *o++ = '0';
        *o++ = '.';
        for (int i = 0; i < -x - 1; i++)
            *o++ = '0';
        memcpy(o, digits, (size_t)nd);
        o += nd;
    } else {
        memcpy(o, digits, (size_t)x + 1);
        o += x + 1;
        if (nd > x + 1) {
            *o++ = '.';
            memcpy(o, digits + x + 1, (size_t)(nd - x - 1));
            o += nd - x - 1;
        }
    }
    *o = 0;
    return (int)(o - buf);
}

/* The printf path of vg_double_format for 1e-4 <= |d| < 1e15, exactly and
 * without printf or strtod: the first of %.15g, %.16g, %.17g that reads
 * back. |d| = m * 2^-s exactly (m of 53 bits, 3 <= s <= 66), so |d| * 10^k,
 * the p significant digits printf rounds it to (to nearest, ties to even,
 * as glibc does) and the midpoints between d and its neighbours that
 * decide what strtod reads back all fit in 128-bit integers. 0 when d is
 * outside that range, or when %g would write an exponent.
 *
 * *sure is set when format_fixed (tried first in vg_double_format) would
 * write the same text or fail, so that it need not be tried. When d is not
 * a power of two its rounding interval is symmetric, so a decimal of n
 * digits reads back only if the nearest n-digit one does; then:
 *   17 digits: no decimal of 16 digits or fewer reads back, and every text
 *     format_fixed can write is one: it fails;
 *   15 digits: the one 15-digit decimal in the interval is the shortest
 *     text; format_fixed finds it where it first can, its m < 2^50 rounded
 *     without error;
 *   16 digits: format_fixed finds nothing shorter, and where it first can
 *     its m is the nearest 16-digit one, unless |d| * 10^k lies so near a
 *     half that the rounding of the product may move m (or m is near
 *     2^53, where it gives up): then it is tried. */
static int format_exact_fast(double d, char *buf, bool *sure)
{
    *sure = false;
    double a = fabs(d);
    if (!(a >= 1e-4 && a < 1e15))
        return 0;
    uint64_t bits;
    memcpy(&bits, &a, sizeof bits);
    uint64_t m = (bits & (((uint64_t)1 << 52) - 1)) | (uint64_t)1 << 52;
    int s = 1075 - (int)(bits >> 52);
    /* the decimal exponent of a, maybe one off: floor(log2(a) * log10(2)) */
    int e = (int)(((int64_t)(bits >> 52) - 1023) * 78913 >> 18);
    u128 num;
    for (;;) {
        num = (u128)m * pow10_u128[14 - e]; /* a * 10^(14 - e) * 2^s */
        u128 fl = num >> s;
        if (fl >= pow10_u128[15])
            e++;
        else if (fl < pow10_u128[14])
            e--;
        else
            break;
    }
    u128 half = (u128)1 << (s - 1), mask = ((u128)1 << s) - 1;
    for (int p = 15; p <= 17; p++, num *= 10) { /* num = a * 10^(p - 1 - e) * 2^s */
        uint64_t q = (uint64_t)(num >> s);
        u128 r = num & mask;
        int x = e;
        if (r > half || (r == half && (q & 1)))
            q++;
        if (q == (uint64_t)pow10_u128[p]) { /* rounded up to the next power of ten */
            q = (uint64_t)pow10_u128[p - 1];
            x++;
        }
        if (x >= p)
            return 0;
        if (p == 17 || reads_back(m, s, p, q, x)) {
            u128 quarter = (u128)1 << (s - 2);
            bool near_half = r > half - quarter && r < half + quarter;
            *sure = m != (uint64_t)1 << 52 &&
                    (p != 16 || (!near_half && q < ((uint64_t)1 << 53) - 2));
            return put_fixed(d < 0, q, p, x, buf);
        }
    }
    return 0;
}

/* The texts of the last few doubles formatted, by their bits: a row of
 * features often holds one value several times (the sum and the maximum of
 * a frame of one row are its amount). One per thread. */
#define FORMAT_CACHE 8

typedef struct format_memo {
    uint64_t bits; /* the double's bits; 0 (0.0) with len 0 when unused */
    int len;
    char text[28];
} format_memo;

static _Thread_local format_memo format_cache[FORMAT_CACHE];

static int format_uncached(double d, char *buf);

int vg_double_format(double d, char *buf)
{
    uint64_t bits;
    memcpy(&bits, &d, sizeof bits);
    format_memo *m = &format_cache[(bits ^ bits >> 29 ^ bits >> 47) % FORMAT_CACHE];
    if (m->bits == bits && m->len) {
        memcpy(buf, m->text, sizeof m->text);
        return m->len;
    }
    int len = format_uncached(d, buf);
    if (len < (int)sizeof m->text) {
        m->bits = bits;
        m->len = len;
        memcpy(m->text, buf, (size_t)len + 1);
    }
    return len;
}

static int format_uncached(double d, char *buf)
{
    if (!isfinite(d)) {
        memcpy(buf, "null", 5);
        return 4;
    }
    int len = format_fixed3(d, buf); /* money, counts, most short decimals */
    if (len < 0)
        len = format_fixed(d, buf, 0, 3);
    if (len > 0)
        return len;
    char exact[32];
    bool sure;
    int elen = format_exact_fast(d, exact, &sure);
    if (!sure && (len = format_fixed(d, buf, 4, 19)) > 0)
        return len;
    if (elen > 0) {
        /* as the printf path below would have written it */
        memcpy(buf, exact, (size_t)elen + 1);
        len = elen;
        if (memchr(buf, '.', (size_t)len)) /* (put_fixed writes no exponent) */
            return len;
    } else if (d != 0 && fabs(d) < DBL_MIN) {
        /* Subnormals carry fewer digits: search up from 1 for the shortest. */
        for (int prec = 1; prec <= 17 && !format_exact(d, prec, buf, &len); prec++)
            ;
    } else if (!format_exact(d, 15, buf, &len) && !format_exact(d, 16, buf, &len)) {
        /* A normal double has at most one 15-digit decimal in its rounding
         * interval, so a %.15g that reads back is the shortest text. */
        format_exact(d, 17, buf, &len);
    }
    if (!strpbrk(buf, ".eni")) {
        memcpy(buf + len, ".0", 3);
        len += 2;
    }
    return len;
}

/* ---- comparison ---- */

/* Total order on doubles for sorting and grouping: -0.0 equals 0.0, NaN
 * equals NaN and sorts after every number (as Java's Double.compare). */
static int double_cmp(double a, double b)
{
    if (a < b)
        return -1;
    if (a > b)
        return 1;
    if (a == b)
        return 0;
    return isnan(a) ? (isnan(b) ? 0 : 1) : -1;
}

int vg_value_cmp(vg_type t, const vg_value *a, const vg_value *b)
{
    switch (t) {
    case VG_T_DOUBLE:
        return double_cmp(a->u.d, b->u.d);
    case VG_T_STRING: {
        uint32_t n = a->len < b->len ? a->len : b->len;
        int c = n ? memcmp(a->u.s, b->u.s, n) : 0;
        if (c != 0)
            return c < 0 ? -1 : 1;
        return a->len < b->len ? -1 : a->len > b->len;
    }
    case VG_T_NULL:
        return 0;
    default:
        return a->u.i < b->u.i ? -1 : a->u.i > b->u.i;
    }
}

bool vg_value_same(vg_type t, const vg_value *a, const vg_value *b)
{
    if (a->null || b->null)
        return a->null && b->null;
    return vg_value_cmp(t, a, b) == 0;
}
