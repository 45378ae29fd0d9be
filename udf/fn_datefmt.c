/*
 * fn_datefmt.c — timestamps to and from text with Java date patterns:
 * DATE_FORMAT, TO_TIMESTAMP and UNIX_TIMESTAMP.
 *
 * A pattern ("yyyy-MM-dd'T'HH:mm:ss.SSS") is compiled into a short list of
 * items: a field letter with its repeat count, or a run of literal text.
 * A constant pattern is compiled once by prepare into the call's state; a
 * pattern that comes from the data is compiled per row into a stack array
 * (no allocation) and an invalid one gives NULL.
 *
 * Parsing has two modes, after the two Java classes Flink uses: strict, as
 * java.time's DateTimeFormatter (TO_TIMESTAMP: fixed field widths, the whole
 * text must match), and lenient, as SimpleDateFormat (UNIX_TIMESTAMP, and
 * DATE_FORMAT of a string: any number of digits, trailing text ignored,
 * 'S' counts milliseconds). All times are UTC.
 */
#include <stdio.h>
#include <strings.h>

#include "udf/fn_int.h"

#define PAT_MAX_ITEMS 64

typedef enum pat_kind {
    P_LIT, P_YEAR, P_MONTH, P_DAY, P_HOUR, P_HOUR12, P_HOUR24, P_HOUR11, P_MINUTE,
    P_SECOND, P_FRACTION, P_AMPM, P_WEEKDAY, P_DAYOFYEAR,
} pat_kind;

/* Pattern letters: what each means and how many repeats it accepts. */
static const struct {
    char letter;
    uint8_t kind;      /* pat_kind */
    uint8_t max_count; /* more repeats are an error */
    uint8_t max_width; /* most digits read when the width is free */
} letters[] = {
    {'y', P_YEAR, 9, 9},      {'M', P_MONTH, 5, 2},    {'d', P_DAY, 2, 2},
    {'H', P_HOUR, 2, 2},      {'h', P_HOUR12, 2, 2},   {'k', P_HOUR24, 2, 2},
    {'K', P_HOUR11, 2, 2},    {'m', P_MINUTE, 2, 2},   {'s', P_SECOND, 2, 2},
    {'S', P_FRACTION, 9, 9},  {'a', P_AMPM, 1, 0},     {'E', P_WEEKDAY, 5, 0},
    {'D', P_DAYOFYEAR, 3, 3},
};

typedef struct pat_item {
    uint8_t kind;  /* pat_kind */
    uint8_t count; /* repeats of the letter */
    uint8_t width; /* max_width of the letter */
    uint16_t off;  /* P_LIT: the text is pattern.text[off, off + len) */
    uint16_t len;
} pat_item;

typedef struct pattern {
    const char *text; /* the pattern as written (literals point into it) */
    uint32_t n;       /* items used */
    pat_item items[PAT_MAX_ITEMS];
} pattern;

static const char *const month_names[12] = {"January", "February", "March",     "April",
                                            "May",     "June",     "July",      "August",
                                            "September", "October", "November", "December"};
static const char *const day_names[7] = {"Sunday",   "Monday", "Tuesday", "Wednesday",
                                         "Thursday", "Friday", "Saturday"};

static bool is_letter(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool add_item(pattern *p, pat_kind k, unsigned count, unsigned width, size_t off,
                     size_t len)
{
    if (p->n == PAT_MAX_ITEMS || off > UINT16_MAX || len > UINT16_MAX)
        return false;
    p->items[p->n++] = (pat_item){(uint8_t)k, (uint8_t)count, (uint8_t)width, (uint16_t)off,
                                  (uint16_t)len};
    return true;
}

/* Compile text[0..n) into p. On error returns false with the reason in
 * why (when why is not NULL). */
static bool pat_compile(pattern *p, const char *text, size_t n, char *why, size_t whylen)
{
    p->text = text;
    p->n = 0;
    for (size_t i = 0; i < n;) {
        char c = text[i];
        size_t j = i + 1;
        bool ok;
        if (c == '\'' && j < n && text[j] == '\'') { /* '' is a quote */
            ok = add_item(p, P_LIT, 0, 0, j, 1), j++;
        } else if (c == '\'') { /* 'quoted text', with '' inside for a quote */
            for (;;) {
                size_t e = j;
                while (e < n && text[e] != '\'')
                    e++;
                if (e == n) {
                    if (why)
                        snprintf(why, whylen, "unterminated quote in the format");
                    return false;
                }
                ok = e == j || add_item(p, P_LIT, 0, 0, j, e - j);
                j = e + 1;
                if (!ok || j >= n || text[j] != '\'')
                    break;
                ok = add_item(p, P_LIT, 0, 0, j, 1); /* '' inside quotes */
                j++;
            }
        } else if (!is_letter(c)) {
            while (j < n && !is_letter(text[j]) && text[j] != '\'')
                j++;
            ok = add_item(p, P_LIT, 0, 0, i, j - i);
        } else {
            while (j < n && text[j] == c)
                j++;
            size_t k = 0, nl = sizeof letters / sizeof letters[0];
            while (k < nl && letters[k].letter != c)
                k++;
            if (k == nl || j - i > letters[k].max_count) {
                if (why)
                    snprintf(why, whylen, k == nl ? "pattern letter '%c' is not supported"
                                                  : "too many pattern letters '%c'", c);
                return false;
            }
            ok = add_item(p, (pat_kind)letters[k].kind, (unsigned)(j - i), letters[k].max_width,
                          0, 0);
        }
        if (!ok) {
            if (why)
                snprintf(why, whylen, "the format is too long");
            return false;
        }
        i = j;
    }
    return true;
}

/* ---- formatting ---- */

static char *put_num(char *w, int64_t v, unsigned width)
{
    char tmp[24];
    uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
    int n = 0;
    do
        tmp[n++] = (char)('0' + u % 10), u /= 10;
    while (u);
    if (v < 0)
        *w++ = '-';
    for (unsigned i = (unsigned)n; i < width; i++)
        *w++ = '0';
    while (n)
        *w++ = tmp[--n];
    return w;
}

static char *put_name(char *w, const char *name, unsigned count)
{
    size_t len = count >= 5 ? 1 : count == 4 ? strlen(name) : 3;
    return fn_put(w, name, len);
}

/* Write one field of tm; w has room for 32 bytes. */
static char *put_field(char *w, const pat_item *it, const fn_tm *tm)
{
    unsigned c = it->count;
    switch ((pat_kind)it->kind) {
    case P_YEAR:
        if (c == 2)
            return put_num(w, (tm->year % 100 + 100) % 100, 2);
        if (c == 4 && tm->year > 9999)
            *w++ = '+';
        return put_num(w, tm->year, c);
    case P_MONTH:
        return c >= 3 ? put_name(w, month_names[tm->month - 1], c) : put_num(w, tm->month, c);
    case P_DAY:
        return put_num(w, tm->day, c);
    case P_HOUR:
        return put_num(w, tm->hour, c);
    case P_HOUR12:
        return put_num(w, tm->hour % 12 ? tm->hour % 12 : 12, c);
    case P_HOUR24:
        return put_num(w, tm->hour ? tm->hour : 24, c);
    case P_HOUR11:
        return put_num(w, tm->hour % 12, c);
    case P_MINUTE:
        return put_num(w, tm->minute, c);
    case P_SECOND:
        return put_num(w, tm->second, c);
    case P_FRACTION: { /* a fraction of the second, cut to c digits */
        char ms[3] = {(char)('0' + tm->ms / 100), (char)('0' + tm->ms / 10 % 10),
                      (char)('0' + tm->ms % 10)};
        for (unsigned i = 0; i < c; i++)
            *w++ = i < 3 ? ms[i] : '0';
        return w;
    }
    case P_AMPM:
        return fn_put(w, tm->hour < 12 ? "AM" : "PM", 2);
    case P_WEEKDAY: {
        int64_t dow = (tm->days + 4) % 7;
        return put_name(w, day_names[dow < 0 ? dow + 7 : dow], c);
    }
    case P_DAYOFYEAR:
        return put_num(w, tm->days - fn_days_from_civil(tm->year, 1, 1) + 1, c);
    case P_LIT:
        break;
    }
    return w;
}

static void format_ts(vg_fn_ctx *ctx, const pattern *p, int64_t ts, vg_value *out)
{
    size_t room = 0;
    for (uint32_t i = 0; i < p->n; i++)
        room += p->items[i].kind == P_LIT ? p->items[i].len : 32;
    char *o = fn_alloc(ctx, room, out), *w = o;
    if (!o)
        return;
    fn_tm tm;
    fn_ts_split(ts, &tm);
    for (uint32_t i = 0; i < p->n; i++) {
        const pat_item *it = &p->items[i];
        w = it->kind == P_LIT ? fn_put(w, p->text + it->off, it->len) : put_field(w, it, &tm);
    }
    fn_set_str(out, o, (size_t)(w - o));
}

/* ---- parsing ---- */

typedef struct parsed {
    int64_t year;
    int64_t month, day, hour, minute, second, ms, doy;
    int pm; /* -1 none, 0 AM, 1 PM */
    bool h12; /* the hour was given on a 12-hour clock */
} parsed;

static bool is_numeric_item(const pat_item *it)
{
    return it->kind != P_LIT && it->kind != P_AMPM && it->kind != P_WEEKDAY &&
           !(it->kind == P_MONTH && it->count >= 3);
}

/* Read digits at s[*i..n): between lo and hi of them. */
static bool read_num(const char *s, size_t n, size_t *i, unsigned lo, unsigned hi, int64_t *v,
                     unsigned *got)
{
    size_t k = 0;
    int64_t x = 0;
    while (*i + k < n && k < hi && s[*i + k] >= '0' && s[*i + k] <= '9')
        x = x * 10 + (s[*i + k] - '0'), k++;
    if (k < lo)
        return false;
    *i += k;
    *v = x;
    *got = (unsigned)k;
    return true;
}

/* Match one of names (their first 3 letters when !full) at s[*i..n). */
static int read_name(const char *s, size_t n, size_t *i, const char *const *names, int count,
                     bool full)
{
    for (int k = 0; k < count; k++) {
        size_t len = full ? strlen(names[k]) : 3;
        if (*i + len <= n && strncasecmp(s + *i, names[k], len) == 0) {
            *i += len;
            return k;
        }
    }
    return -1;
}

static bool parse_field(const pattern *p, uint32_t idx, const char *s, size_t n, size_t *i,
                        bool lenient, parsed *r)
{
    const pat_item *it = &p->items[idx];
    if (it->kind == P_LIT) {
        if (*i + it->len > n || memcmp(s + *i, p->text + it->off, it->len) != 0)
            return false;
        *i += it->len;
        return true;
    }
    if (it->kind == P_AMPM) {
        static const char *const ampm[2] = {"AM", "PM"};
        return (r->pm = read_name(s, n, i, ampm, 2, true)) >= 0;
    }
    if (it->kind == P_WEEKDAY)
        return read_name(s, n, i, day_names, 7, it->count == 4) >= 0;
    if (it->kind == P_MONTH && it->count >= 3) {
        int m = read_name(s, n, i, month_names, 12, it->count == 4);
        r->month = m + 1;
        return m >= 0;
    }
    /* next to another number the width is fixed by the count; otherwise
     * strict reads count digits (any from 1 for a single letter, and 4 or
     * more for yyyy) and lenient reads as many as there are */
    bool adjacent = idx + 1 < p->n && is_numeric_item(&p->items[idx + 1]);
    unsigned lo = it->count, hi = it->count, got;
    if (!adjacent && lenient)
        lo = 1, hi = it->width;
    else if (!adjacent && (it->count == 1 || (it->kind == P_YEAR && it->count >= 4)))
        hi = it->width;
    int64_t v;
    if (!read_num(s, n, i, lo, hi, &v, &got))
        return false;
    switch ((pat_kind)it->kind) {
    case P_YEAR: r->year = it->count == 2 && got == 2 ? 2000 + v : v; break;
    case P_MONTH: r->month = v; break;
    case P_DAY: r->day = v; break;
    case P_HOUR: r->hour = v; break;
    case P_HOUR12: /* 1 to 12 on a 12-hour clock */
        if (v > 12)
            return false;
        r->hour = v % 12, r->h12 = true;
        break;
    case P_HOUR24: r->hour = v == 24 ? 0 : v; break;
    case P_HOUR11: /* 0 to 11 on a 12-hour clock */
        if (v > 11)
            return false;
        r->hour = v, r->h12 = true;
        break;
    case P_MINUTE: r->minute = v; break;
    case P_SECOND: r->second = v; break;
    case P_DAYOFYEAR: r->doy = v; break;
    case P_FRACTION: /* lenient: a number of ms; strict: digits of a fraction */
        if (lenient)
            r->ms = v;
        else
            for (r->ms = v; got < 3; got++)
                r->ms *= 10;
        for (; got > 3; got--)
            r->ms /= 10;
        break;
    default: break;
    }
    return true;
}

/* Parse s with p into *ms: missing fields default to 1970-01-01 00:00:00.
 * roll: out-of-range fields roll over (Feb 30 is Mar 1) as the lenient
 * Calendar behind Flink's UNIX_TIMESTAMP does; otherwise they fail. */
static bool pat_parse(const pattern *p, const char *s, size_t n, bool lenient, bool roll,
                      int64_t *ms)
{
    parsed r = {1970, 1, 1, 0, 0, 0, 0, 0, -1, false};
    size_t i = 0;
    for (uint32_t k = 0; k < p->n; k++)
        if (!parse_field(p, k, s, n, &i, lenient, &r))
            return false;
    if (!lenient && i != n)
        return false;
    if (r.h12 && r.pm == 1)
        r.hour += 12;
    if (r.doy) { /* a day of the year gives the month and the day */
        r.month = 1;
        r.day = r.doy;
        for (int dim; r.month <= 12 && r.day > (dim = fn_days_in_month(r.year, (int)r.month));)
            r.day -= dim, r.month++;
    }
    if (roll) {
        int64_t base;
        if (r.month < 1 || r.day < 1)
            return false;
        r.year += (r.month - 1) / 12;
        r.month = (r.month - 1) % 12 + 1;
        if (!fn_ts_join(r.year, (int)r.month, 1, 0, &base))
            return false;
        *ms = base + (((r.day - 1) * 24 + r.hour) * 60 + r.minute) * 60000 + r.second * 1000 +
              r.ms;
        return true;
    }
    if (r.month < 1 || r.month > 12 || r.day < 1 ||
        r.day > fn_days_in_month(r.year, (int)r.month) || r.hour > 23 || r.minute > 59 ||
        r.second > 59 || r.ms > 999)
        return false;
    return fn_ts_join(r.year, (int)r.month, (int)r.day,
                      ((r.hour * 60 + r.minute) * 60 + r.second) * 1000 + r.ms, ms);
}

/* Digits at s[*i..n): between 1 and hi of them. */
static bool digits(const char *s, size_t n, size_t *i, unsigned hi, int64_t *v)
{
    unsigned got;
    return read_num(s, n, i, 1, hi, v, &got);
}

/* Flink's lenient default, 'yyyy-M-d[ H:m:s[.fraction]]' between spaces;
 * false when s does not hold a valid date. */
static bool read_default(const char *s, size_t n, int64_t *ms)
{
    while (n > 0 && s[n - 1] == ' ')
        n--;
    size_t i = 0;
    while (i < n && s[i] == ' ')
        i++;
    int64_t y, m, d, hh = 0, mi = 0, ss = 0, frac = 0;
    size_t y0 = i;
    if (!digits(s, n, &i, 9, &y) || i - y0 < 4 || i >= n || s[i++] != '-' ||
        !digits(s, n, &i, 2, &m) || i >= n || s[i++] != '-' || !digits(s, n, &i, 2, &d))
        return false;
    if (i < n) {
        if (s[i++] != ' ' || !digits(s, n, &i, 2, &hh) || i >= n || s[i++] != ':' ||
            !digits(s, n, &i, 2, &mi) || i >= n || s[i++] != ':' || !digits(s, n, &i, 2, &ss))
            return false;
        if (i < n && s[i] == '.') {
            size_t f0 = ++i;
            while (i < n && i - f0 < 9 && s[i] >= '0' && s[i] <= '9') {
                if (i - f0 < 3)
                    frac = frac * 10 + (s[i] - '0');
                i++;
            }
            for (size_t k = i - f0; k < 3; k++)
                frac *= 10;
        }
        if (i != n)
            return false;
    }
    if (m < 1 || m > 12 || d < 1 || d > fn_days_in_month(y, (int)m) || hh > 23 || mi > 59 ||
        ss > 59)
        return false;
    return fn_ts_join(y, (int)m, (int)d, ((hh * 60 + mi) * 60 + ss) * 1000 + frac, ms);
}

/* ---- the functions ---- */

static const char default_format[] = "yyyy-MM-dd HH:mm:ss";

/* A call's compiled formats. */
typedef struct fmt_state {
    bool constant;   /* pat holds the call's constant format */
    pattern pat;     /* the format argument, compiled */
    pattern deflt;   /* default_format, compiled */
    char text[];     /* copy of the constant format; pat's literals point here */
} fmt_state;

static void *prepare_format(vg_fn_bind *b)
{
    const vg_value *f = b->nargs == 2 ? fn_const_arg(b, 1) : NULL;
    size_t len = f && !f->null ? f->len : 0;
    fmt_state *st = vg_malloc(VG_MEM_UDF, sizeof *st + len + 1);
    if (!st) {
        b->nomem = true;
        fn_fail(b, -1, "out of memory");
        return NULL;
    }
    pat_compile(&st->deflt, default_format, sizeof default_format - 1, NULL, 0);
    st->constant = f && !f->null;
    fn_put(st->text, f ? f->u.s : NULL, len);
    st->text[len] = 0;
    char why[128];
    if (st->constant && !pat_compile(&st->pat, st->text, len, why, sizeof why)) {
        fn_fail(b, 1, "function %s: %s", b->fname, why);
        vg_free(st);
        return NULL;
    }
    return st;
}

static void release_format(void *state)
{
    vg_free(state);
}

/* The format of this row: the constant one, or args[1] compiled into tmp. */
static const pattern *row_format(vg_fn_ctx *ctx, const vg_value *args, pattern *tmp)
{
    const fmt_state *st = ctx->state;
    if (st->constant)
        return &st->pat;
    return pat_compile(tmp, args[1].u.s, args[1].len, NULL, 0) ? tmp : NULL;
}

static void ev_date_format_ts(vg_fn_ctx *ctx, const vg_value *a, uint32_t n, vg_value *out)
{
    (void)n;
    pattern tmp;
    const pattern *p = row_format(ctx, a, &tmp);
    *out = vg_null();
    if (p)
        format_ts(ctx, p, a[0].u.i, out);
}

static void ev_date_format_str(vg_fn_ctx *ctx, const vg_value *a, uint32_t n, vg_value *out)
{
    (void)n;
    pattern tmp;
    const pattern *p = row_format(ctx, a, &tmp);
    const fmt_state *st = ctx->state;
    int64_t ts;
    *out = vg_null();
    if (p && pat_parse(&st->deflt, a[0].u.s, a[0].len, true, false, &ts))
        format_ts(ctx, p, ts, out);
}

static int ck_date_format(vg_fn_bind *b)
{
    if (fn_arg_string(b, 1) < 0)
        return -1;
    if (b->argt[0] != VG_T_STRING && fn_arg_timestamp(b, 0) < 0)
        return fn_fail(b, 0, "function DATE_FORMAT expects TIMESTAMP(3) or STRING for argument "
                             "1, got %s", vg_type_name(b->argt[0]));
    b->eval = b->argt[0] == VG_T_STRING ? ev_date_format_str : ev_date_format_ts;
    b->ret = VG_T_STRING;
    return 0;
}

static void ev_to_timestamp(vg_fn_ctx *ctx, const vg_value *a, uint32_t n, vg_value *out)
{
    int64_t ts;
    bool ok;
    if (n == 1) {
        ok = read_default(a[0].u.s, a[0].len, &ts);
    } else {
        pattern tmp;
        const pattern *p = row_format(ctx, a, &tmp);
        /* like Flink, fall back to 'yyyy-M-d[ H:m:s[.f]]' when the format fails */
        ok = (p && pat_parse(p, a[0].u.s, a[0].len, false, false, &ts)) ||
             read_default(a[0].u.s, a[0].len, &ts);
    }
    *out = ok ? vg_int(ts) : vg_null();
}

/* Seconds since 1970 of a date-time text, or the smallest BIGINT when it
 * does not parse (as Flink). */
static void ev_unix_timestamp(vg_fn_ctx *ctx, const vg_value *a, uint32_t n, vg_value *out)
{
    pattern tmp;
    const fmt_state *st = ctx->state;
    const pattern *p = n == 1 ? &st->deflt : row_format(ctx, a, &tmp);
    int64_t ts;
    *out = vg_int(p && pat_parse(p, a[0].u.s, a[0].len, true, true, &ts) ? ts / 1000 : INT64_MIN);
}

FN_SIG_CHECK(ck_ss_ts, "S", VG_T_TIMESTAMP)
FN_SIG_CHECK(ck_ss_bigint, "S", VG_T_BIGINT)

#define S VG_FN_STRICT
/* clang-format off */
const vg_func vg_fn_datefmt_table[] = {
    {"DATE_FORMAT", 2, 2, S, ck_date_format, prepare_format, release_format, NULL, "time",
     "DATE_FORMAT(ts, format)",
     "ts as text in a Java date format: yyyy yy MM M MMM MMMM dd d HH H hh h kk KK mm ss SSS "
     "(fraction digits) a (AM/PM) E EEEE (weekday) D (day of year), 'quoted text', '' for a "
     "quote; any other letter is an error. ts may also be a STRING read as 'yyyy-MM-dd "
     "HH:mm:ss' (NULL when it is not). A constant format is compiled once; one from the data "
     "that is not valid gives NULL. NULL if an argument is NULL.",
     "DATE_FORMAT(TIMESTAMP '2024-05-01 08:05:09.042', 'yyyy-MM-dd''T''HH:mm:ss.SSS')",
     "'2024-05-01T08:05:09.042'"},
    {"TO_TIMESTAMP", 1, 2, S, ck_ss_ts, prepare_format, release_format, ev_to_timestamp, "time",
     "TO_TIMESTAMP(s [, format])",
     "The TIMESTAMP written in s, read as UTC with a Java date format (see DATE_FORMAT; each "
     "field of exactly its letters' width, the whole of s must match; missing fields default "
     "to 1970-01-01 00:00:00). Without a format, or when s does not match it, s is read as "
     "'yyyy-M-d[ H:m:s[.fraction]]', as Flink does. NULL when s is not a valid date-time "
     "(Feb 30 is not) or an argument is NULL.",
     "TO_TIMESTAMP('01/05/2024 14:30', 'dd/MM/yyyy HH:mm')",
     "TIMESTAMP '2024-05-01 14:30:00.000'"},
    {"UNIX_TIMESTAMP", 1, 2, S, ck_ss_bigint, prepare_format, release_format, ev_unix_timestamp,
     "time",
     "UNIX_TIMESTAMP(s [, format])",
     "Seconds since 1970-01-01 00:00:00 UTC of the date-time in s, read leniently (as Java's "
     "SimpleDateFormat) with format (default 'yyyy-MM-dd HH:mm:ss'); -9223372036854775808 "
     "when s does not parse, as in Flink. s is read as UTC. vigil is deterministic, so "
     "UNIX_TIMESTAMP() without arguments (the current time) does not exist. NULL if an "
     "argument is NULL.",
     "UNIX_TIMESTAMP('1970-01-01 08:00:01.001', 'yyyy-MM-dd HH:mm:ss.SSS')", "28801"},
};
/* clang-format on */
const size_t vg_fn_datefmt_count = sizeof vg_fn_datefmt_table / sizeof vg_fn_datefmt_table[0];
