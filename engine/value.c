/*
 * value.c — SQL types, their names and implicit casts, and the text forms of
 * timestamps and doubles that every output path shares.
 *
 * Timestamps are converted with days-from-civil arithmetic (proleptic
 * Gregorian calendar, UTC) rather than timegm/mktime: no locale, no time
 * zone database, no range limits of time_t, and the same answer everywhere.
 * A double's text is engine/dtoa.c's.
 */
#include "engine/value.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "engine/alloc.h"
#include "engine/dtoa.h"

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
    [VG_T_ARRAY] = "ARRAY<DOUBLE>",
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

/* "ARRAY<DOUBLE>" (blanks allowed around the element type) or "DOUBLE ARRAY",
 * whose element type spells DOUBLE. */
static bool array_name(const char *s, size_t n)
{
    size_t i = 0, j = n;
    if (n > 6 && word_eq(s, 5, "ARRAY") && s[5] == '<' && s[n - 1] == '>') {
        i = 6;
        j = n - 1;
    } else if (n > 6 && word_eq(s + n - 5, 5, "ARRAY") && s[n - 6] == ' ') {
        j = n - 6;
    } else {
        return false;
    }
    while (i < j && s[i] == ' ')
        i++;
    while (j > i && s[j - 1] == ' ')
        j--;
    return i < j && s[i] != '(' && vg_type_from_name(s + i, j - i) == VG_T_DOUBLE;
}

vg_type vg_type_from_name(const char *s, size_t n)
{
    if (array_name(s, n))
        return VG_T_ARRAY;
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

/* The 8 bytes at s, for comparing with a pattern: the masked bytes of
 * `want` are digits where it has '0' (each of '0'..'9') and equal to it
 * elsewhere (the bytes of the mask are 0xF0 at digits, 0xFF elsewhere). */
static bool shape_at(const char *s, const char want[8], const char mask[8])
{
    uint64_t w, p, m, six = 0x0606060606060606ull;
    memcpy(&w, s, 8);
    memcpy(&p, want, 8);
    memcpy(&m, mask, 8);
    /* a byte 0x30..0x3F plus 6 stays in 0x3_ only for 0x30..0x39 (no carry leaves it) */
    return (w & m) == (p & m) && ((w + (six & ~m)) & m) == (p & m);
}

/* The digit at s. */
static inline int dig(const char *s) { return *s & 15; }

/* The date of the last timestamp ts_parse_common read, one per thread:
 * events come in time order, so most have the date of the one before. */
typedef struct ts_day {
    uint64_t ymd; /* its bytes "YYYY-MM-" */
    uint16_t dd;  /* and "DD" */
    bool set;     /* ymd, dd and ms hold a valid date */
    int64_t ms;   /* its midnight, in ms since the epoch */
} ts_day;

static _Thread_local ts_day last_day;

/* Midnight of the valid date "YYYY-MM-DD" at s (its shape checked) into
 * *ms; false when the month or day is out of range. From last_day when it
 * is that date, else worked out and kept there. */
static inline bool ts_day_of(const char *s, int64_t *ms)
{
    uint64_t ymd;
    uint16_t dd;
    memcpy(&ymd, s, 8);
    memcpy(&dd, s + 8, 2);
    if (last_day.set && ymd == last_day.ymd && dd == last_day.dd) {
        *ms = last_day.ms;
        return true;
    }
    int y = dig(s) * 1000 + dig(s + 1) * 100 + dig(s + 2) * 10 + dig(s + 3);
    int m = dig(s + 5) * 10 + dig(s + 6), d = dig(s + 8) * 10 + dig(s + 9);
    if (m < 1 || m > 12 || d < 1 || d > days_in_month(y, m))
        return false;
    *ms = days_from_civil(y, m, d) * MS_PER_DAY;
    last_day = (ts_day){ymd, dd, true, *ms};
    return true;
}

/* "YYYY-MM-DDTHH:MM:SS.sssZ" (n == 24), the form events mostly carry,
 * without the general parser's steps (and its date from last_day, when
 * the one before had the same); false (nothing set) when s is not in
 * exactly that form or the date or time is out of range: the general
 * parser then decides, and where this one answers, it answers the same. */
static bool ts_parse_common(const char *s, size_t n, int64_t *ms_out)
{
    static const char want[24] = "0000-00-00T00:00:00.000Z";
    static const char mask[24] = {
        '\xF0', '\xF0', '\xF0', '\xF0', '\xFF', '\xF0', '\xF0', '\xFF',
        '\xF0', '\xF0', '\xFF', '\xF0', '\xF0', '\xFF', '\xF0', '\xF0',
        '\xFF', '\xF0', '\xF0', '\xFF', '\xF0', '\xF0', '\xF0', '\xFF',
    };
    if (n != 24 || !shape_at(s, want, mask) || !shape_at(s + 8, want + 8, mask + 8) ||
        !shape_at(s + 16, want + 16, mask + 16))
        return false;
    int hh = dig(s + 11) * 10 + dig(s + 12), mi = dig(s + 14) * 10 + dig(s + 15);
    int ss = dig(s + 17) * 10 + dig(s + 18);
    int frac = dig(s + 20) * 100 + dig(s + 21) * 10 + dig(s + 22);
    int64_t day;
    if (hh > 23 || mi > 59 || ss > 59 || !ts_day_of(s, &day))
        return false;
    *ms_out = day + ((hh * 60 + mi) * 60 + ss) * 1000LL + frac;
    return true;
}

int vg_ts_parse(const char *s, size_t n, int64_t *ms_out)
{
    if (ts_parse_common(s, n, ms_out))
        return 0;
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

int vg_double_format(double d, char *buf) { return vg_dtoa_double(d, buf); }

/* ---- arrays ---- */

double *vg_array_new(vg_arena *a, uint32_t n, vg_value *out)
{
    size_t bytes = vg_array_bytes(n);
    double *d = vg_arena_alloc(a, bytes ? bytes : 1);
    if (!d) {
        *out = vg_null();
        return NULL;
    }
    memset(d, 0, bytes);
    *out = vg_array(d, n);
    return d;
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

static int array_cmp(const vg_value *a, const vg_value *b)
{
    const double *x = vg_array_elems(a), *y = vg_array_elems(b);
    const uint8_t *xn = vg_array_nulls(a), *yn = vg_array_nulls(b);
    for (uint32_t i = 0; i < a->len && i < b->len; i++) {
        int c = xn[i] || yn[i] ? (yn[i] != 0) - (xn[i] != 0) : double_cmp(x[i], y[i]);
        if (c != 0)
            return c;
    }
    return a->len < b->len ? -1 : a->len > b->len;
}

int vg_value_cmp(vg_type t, const vg_value *a, const vg_value *b)
{
    switch (t) {
    case VG_T_ARRAY:
        return array_cmp(a, b);
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
