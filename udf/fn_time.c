/*
 * fn_time.c — timestamp arithmetic: EXTRACT and the field functions (YEAR,
 * HOUR, ...), FLOOR/CEIL(ts TO unit), TIMESTAMPADD, TIMESTAMPDIFF and
 * TO_TIMESTAMP_LTZ, with the calendar they share with fn_datefmt.c.
 *
 * A TIMESTAMP is milliseconds since 1970-01-01 00:00:00 UTC; the calendar is
 * the proleptic Gregorian one computed with days-from-civil arithmetic, so
 * every value of int64 has a date and no time zone database is involved.
 * The unit of a call is a constant, so check picks the evaluator for it
 * from a table indexed by unit: no unit is looked at per row.
 */
#include <strings.h>

#include "udf/fn_int.h"

/* ---- calendar ---- */

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

int64_t fn_days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = floor_div(y, 400), yoe = y - era * 400;
    int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    return era * 146097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
    z += 719468;
    int64_t era = floor_div(z, 146097), doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100), mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

int fn_days_in_month(int64_t y, int m)
{
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 && leap ? 29 : days[m - 1];
}

/* a mod b in [0, b) for b > 0. */
static int64_t floor_mod(int64_t a, int64_t b)
{
    int64_t r = a % b;
    return r < 0 ? r + b : r;
}

void fn_ts_split(int64_t ms, fn_tm *tm)
{
    int64_t t = floor_mod(ms, FN_MS_PER_DAY);
    tm->days = ms / FN_MS_PER_DAY - (ms % FN_MS_PER_DAY < 0);
    civil_from_days(tm->days, &tm->year, &tm->month, &tm->day);
    tm->hour = (int)(t / FN_MS_PER_HOUR);
    tm->minute = (int)(t / FN_MS_PER_MINUTE % 60);
    tm->second = (int)(t / FN_MS_PER_SECOND % 60);
    tm->ms = (int)(t % 1000);
}

bool fn_ts_join(int64_t year, int month, int day, int64_t ms_of_day, int64_t *out)
{
    if (year < -300000000 || year > 300000000)
        return false;
    int64_t days = fn_days_from_civil(year, month, day), ms;
    return !__builtin_mul_overflow(days, FN_MS_PER_DAY, &ms) &&
           !__builtin_add_overflow(ms, ms_of_day, out);
}

/* ---- units ---- */

static const char *const unit_names[FN_U_COUNT] = {
    "MILLISECOND", "SECOND", "MINUTE", "HOUR", "DAY",  "WEEK",
    "MONTH",       "QUARTER", "YEAR",  "DOW",  "DOY",  "EPOCH",
};

/* Length of a unit of fixed length, in ms (0 for months and up). */
static const int64_t unit_ms[FN_U_COUNT] = {
    [FN_U_MILLISECOND] = 1, [FN_U_SECOND] = FN_MS_PER_SECOND, [FN_U_MINUTE] = FN_MS_PER_MINUTE,
    [FN_U_HOUR] = FN_MS_PER_HOUR, [FN_U_DAY] = FN_MS_PER_DAY, [FN_U_WEEK] = 7 * FN_MS_PER_DAY,
};

/* Months in a unit of months. */
static const int unit_months[FN_U_COUNT] = {[FN_U_MONTH] = 1, [FN_U_QUARTER] = 3, [FN_U_YEAR] = 12};

int fn_unit_arg(vg_fn_bind *b, uint32_t i, unsigned allowed)
{
    const vg_value *v = fn_const_arg(b, i);
    if (!v || v->null)
        return fn_fail(b, (int)i, "the unit of %s must be a constant time unit", b->fname);
    for (int u = 0; u < FN_U_COUNT; u++)
        if (strlen(unit_names[u]) == v->len && strncasecmp(unit_names[u], v->u.s, v->len) == 0 &&
            (allowed & FN_UNIT_BIT(u)))
            return u;
    return fn_fail(b, (int)i, "function %s does not support the unit %.*s", b->fname,
                   (int)(v->len > 40 ? 40 : v->len), v->u.s);
}

#define BITS_DAYTIME                                                                          \
    (FN_UNIT_BIT(FN_U_SECOND) | FN_UNIT_BIT(FN_U_MINUTE) | FN_UNIT_BIT(FN_U_HOUR) |           \
     FN_UNIT_BIT(FN_U_DAY) | FN_UNIT_BIT(FN_U_WEEK))
#define BITS_MONTHS (FN_UNIT_BIT(FN_U_MONTH) | FN_UNIT_BIT(FN_U_QUARTER) | FN_UNIT_BIT(FN_U_YEAR))

/* ---- EXTRACT and the field functions ---- */

/* The ISO-8601 week (weeks start on Monday; week 1 holds the year's first
 * Thursday). */
static int64_t iso_week(const fn_tm *tm)
{
    int64_t wd = floor_mod(tm->days + 3, 7); /* 0 = Monday */
    int64_t thursday = tm->days - wd + 3, y;
    int m, d;
    civil_from_days(thursday, &y, &m, &d);
    return (thursday - fn_days_from_civil(y, 1, 1)) / 7 + 1;
}

/* Day of the week, 1 = Sunday ... 7 = Saturday (1970-01-01 was a Thursday). */
static int64_t day_of_week(int64_t days)
{
    return floor_mod(days + 4, 7) + 1;
}

#define FIELD_FN(ev, expr)                                                                    \
    static void ev(vg_fn_ctx *c, const vg_value *a, uint32_t n, vg_value *out)               \
    {                                                                                         \
        (void)c;                                                                              \
        fn_tm tm;                                                                             \
        fn_ts_split(a[n - 1].u.i, &tm);                                                       \
        *out = vg_int(expr);                                                                  \
    }

FIELD_FN(ev_year, tm.year)
FIELD_FN(ev_quarter, (tm.month + 2) / 3)
FIELD_FN(ev_month, tm.month)
FIELD_FN(ev_week, iso_week(&tm))
FIELD_FN(ev_day, tm.day)
FIELD_FN(ev_hour, tm.hour)
FIELD_FN(ev_minute, tm.minute)
FIELD_FN(ev_second, tm.second)
FIELD_FN(ev_millisecond, tm.ms)
FIELD_FN(ev_dow, day_of_week(tm.days))
FIELD_FN(ev_doy, tm.days - fn_days_from_civil(tm.year, 1, 1) + 1)

/* Seconds since the epoch, truncated toward zero as Flink divides. */
static void ev_epoch(vg_fn_ctx *c, const vg_value *a, uint32_t n, vg_value *out)
{
    (void)c;
    *out = vg_int(a[n - 1].u.i / 1000);
}

static const vg_fn_eval_fn extract_evals[FN_U_COUNT] = {
    ev_millisecond, ev_second, ev_minute, ev_hour, ev_day, ev_week,
    ev_month,       ev_quarter, ev_year,  ev_dow,  ev_doy, ev_epoch,
};

static int ck_extract(vg_fn_bind *b)
{
    int u = fn_unit_arg(b, 0, (1u << FN_U_COUNT) - 1);
    if (u < 0 || fn_arg_timestamp(b, 1) < 0)
        return -1;
    b->eval = extract_evals[u];
    b->ret = VG_T_BIGINT;
    return 0;
}

/* ---- FLOOR / CEIL (ts TO unit) ---- */

static void set_ts(vg_value *out, bool ok, int64_t ms)
{
    *out = ok ? vg_int(ms) : vg_null();
}

/* Start of the unit holding ts; false when it is out of range. */
static bool unit_floor(int u, int64_t ts, int64_t *out)
{
    fn_tm tm;
    fn_ts_split(ts, &tm);
    if (u == FN_U_WEEK) /* weeks start on Sunday, as in Flink */
        return fn_ts_join(tm.year, tm.month, tm.day, 0, out) &&
               !__builtin_sub_overflow(*out, (day_of_week(tm.days) - 1) * FN_MS_PER_DAY, out);
    if (unit_ms[u])
        return !__builtin_mul_overflow(floor_div(ts, unit_ms[u]), unit_ms[u], out);
    int m = u == FN_U_MONTH ? tm.month : u == FN_U_QUARTER ? (tm.month - 1) / 3 * 3 + 1 : 1;
    return fn_ts_join(tm.year, m, 1, 0, out);
}

/* ts plus k months, the day clamped to the end of the month. */
static bool add_months(int64_t ts, int64_t k, int64_t *out)
{
    fn_tm tm;
    fn_ts_split(ts, &tm);
    int64_t total;
    if (k > INT64_MAX / 2 || k < INT64_MIN / 2 || __builtin_add_overflow(tm.year * 12, k, &total))
        return false;
    total += tm.month - 1;
    int64_t y = floor_div(total, 12);
    int m = (int)(total - y * 12) + 1, dim = fn_days_in_month(y, m);
    return fn_ts_join(y, m, tm.day < dim ? tm.day : dim, floor_mod(ts, FN_MS_PER_DAY), out);
}

/* Start of the next unit after the one starting at f. */
static bool unit_next(int u, int64_t f, int64_t *out)
{
    if (unit_ms[u])
        return !__builtin_add_overflow(f, unit_ms[u], out);
    return add_months(f, unit_months[u], out);
}

#define FLOOR_FN(ev, unit, ceil)                                                              \
    static void ev(vg_fn_ctx *c, const vg_value *a, uint32_t n, vg_value *out)               \
    {                                                                                         \
        (void)c, (void)n;                                                                     \
        int64_t f;                                                                            \
        bool ok = unit_floor(unit, a[0].u.i, &f);                                             \
        if (ok && (ceil) && f != a[0].u.i)                                                    \
            ok = unit_next(unit, f, &f);                                                      \
        set_ts(out, ok, f);                                                                   \
    }

FLOOR_FN(ev_floor_ms, FN_U_MILLISECOND, false)
FLOOR_FN(ev_floor_second, FN_U_SECOND, false)
FLOOR_FN(ev_floor_minute, FN_U_MINUTE, false)
FLOOR_FN(ev_floor_hour, FN_U_HOUR, false)
FLOOR_FN(ev_floor_day, FN_U_DAY, false)
FLOOR_FN(ev_floor_week, FN_U_WEEK, false)
FLOOR_FN(ev_floor_month, FN_U_MONTH, false)
FLOOR_FN(ev_floor_quarter, FN_U_QUARTER, false)
FLOOR_FN(ev_floor_year, FN_U_YEAR, false)
FLOOR_FN(ev_ceil_ms, FN_U_MILLISECOND, true)
FLOOR_FN(ev_ceil_second, FN_U_SECOND, true)
FLOOR_FN(ev_ceil_minute, FN_U_MINUTE, true)
FLOOR_FN(ev_ceil_hour, FN_U_HOUR, true)
FLOOR_FN(ev_ceil_day, FN_U_DAY, true)
FLOOR_FN(ev_ceil_week, FN_U_WEEK, true)
FLOOR_FN(ev_ceil_month, FN_U_MONTH, true)
FLOOR_FN(ev_ceil_quarter, FN_U_QUARTER, true)
FLOOR_FN(ev_ceil_year, FN_U_YEAR, true)

static const vg_fn_eval_fn floor_evals[FN_U_COUNT] = {
    ev_floor_ms,  ev_floor_second, ev_floor_minute,  ev_floor_hour, ev_floor_day,
    ev_floor_week, ev_floor_month, ev_floor_quarter, ev_floor_year,
};
static const vg_fn_eval_fn ceil_evals[FN_U_COUNT] = {
    ev_ceil_ms,  ev_ceil_second, ev_ceil_minute,  ev_ceil_hour, ev_ceil_day,
    ev_ceil_week, ev_ceil_month, ev_ceil_quarter, ev_ceil_year,
};

static int check_round_ts(vg_fn_bind *b, const vg_fn_eval_fn *evals)
{
    if (fn_arg_timestamp(b, 0) < 0)
        return -1;
    int u = fn_unit_arg(b, 1, FN_UNIT_BIT(FN_U_MILLISECOND) | BITS_DAYTIME | BITS_MONTHS);
    if (u < 0)
        return -1;
    b->eval = evals[u];
    b->ret = VG_T_TIMESTAMP;
    return 0;
}

int fn_time_check_floor(vg_fn_bind *b)
{
    return check_round_ts(b, floor_evals);
}

int fn_time_check_ceil(vg_fn_bind *b)
{
    return check_round_ts(b, ceil_evals);
}

/* Flink's range: 0000-01-01 00:00:00.000 to 9999-12-31 23:59:59.999. A
 * result outside it is NULL, so nothing writes a timestamp the event
 * format cannot read back. */
#define LTZ_MIN_MS (-62167219200000LL)
#define LTZ_MAX_MS 253402300799999LL

static void set_ltz(vg_value *out, bool ok, int64_t ms)
{
    set_ts(out, ok && ms >= LTZ_MIN_MS && ms <= LTZ_MAX_MS, ms);
}

/* ---- TIMESTAMPADD ---- */

static void add_fixed(const vg_value *a, vg_value *out, int64_t unit)
{
    int64_t d, r = 0;
    bool ok = !__builtin_mul_overflow(a[1].u.i, unit, &d) &&
              !__builtin_add_overflow(a[2].u.i, d, &r);
    set_ltz(out, ok, r);
}

static void add_months_of(const vg_value *a, vg_value *out, int64_t months)
{
    int64_t k, r = 0;
    bool ok = !__builtin_mul_overflow(a[1].u.i, months, &k) && add_months(a[2].u.i, k, &r);
    set_ltz(out, ok, r);
}

#define ADD_FN(ev, how, amount)                                                               \
    static void ev(vg_fn_ctx *c, const vg_value *a, uint32_t n, vg_value *out)               \
    {                                                                                         \
        (void)c, (void)n;                                                                     \
        how(a, out, amount);                                                                  \
    }

ADD_FN(ev_add_second, add_fixed, FN_MS_PER_SECOND)
ADD_FN(ev_add_minute, add_fixed, FN_MS_PER_MINUTE)
ADD_FN(ev_add_hour, add_fixed, FN_MS_PER_HOUR)
ADD_FN(ev_add_day, add_fixed, FN_MS_PER_DAY)
ADD_FN(ev_add_week, add_fixed, 7 * FN_MS_PER_DAY)
ADD_FN(ev_add_month, add_months_of, 1)
ADD_FN(ev_add_quarter, add_months_of, 3)
ADD_FN(ev_add_year, add_months_of, 12)

static const vg_fn_eval_fn add_evals[FN_U_COUNT] = {
    NULL,        ev_add_second, ev_add_minute,  ev_add_hour, ev_add_day,
    ev_add_week, ev_add_month,  ev_add_quarter, ev_add_year,
};

static int ck_timestampadd(vg_fn_bind *b)
{
    int u = fn_unit_arg(b, 0, BITS_DAYTIME | BITS_MONTHS);
    if (u < 0 || fn_arg_integer(b, 1) < 0 || fn_arg_timestamp(b, 2) < 0)
        return -1;
    b->eval = add_evals[u];
    b->ret = VG_T_TIMESTAMP;
    return 0;
}

/* ---- TIMESTAMPDIFF ---- */

/* Whole months from a to b: the largest m with a + m months <= b, for
 * a <= b, and the mirror image for a > b. */
static int64_t month_diff(int64_t a, int64_t b)
{
    if (b < a)
        return -month_diff(b, a);
    fn_tm ta, tb;
    fn_ts_split(a, &ta);
    fn_ts_split(b, &tb);
    int64_t m = (tb.year - ta.year) * 12 + (tb.month - ta.month), at;
    if (m > 0 && (!add_months(a, m, &at) || at > b))
        m--;
    return m;
}

static void set_int32(vg_value *out, __int128 v)
{
    *out = v >= INT32_MIN && v <= INT32_MAX ? vg_int((int64_t)v) : vg_null();
}

static void diff_fixed(const vg_value *a, vg_value *out, int64_t unit)
{
    set_int32(out, ((__int128)a[2].u.i - a[1].u.i) / unit);
}

static void diff_months(const vg_value *a, vg_value *out, int64_t months)
{
    set_int32(out, month_diff(a[1].u.i, a[2].u.i) / months);
}

ADD_FN(ev_diff_second, diff_fixed, FN_MS_PER_SECOND)
ADD_FN(ev_diff_minute, diff_fixed, FN_MS_PER_MINUTE)
ADD_FN(ev_diff_hour, diff_fixed, FN_MS_PER_HOUR)
ADD_FN(ev_diff_day, diff_fixed, FN_MS_PER_DAY)
ADD_FN(ev_diff_week, diff_fixed, 7 * FN_MS_PER_DAY)
ADD_FN(ev_diff_month, diff_months, 1)
ADD_FN(ev_diff_quarter, diff_months, 3)
ADD_FN(ev_diff_year, diff_months, 12)

static const vg_fn_eval_fn diff_evals[FN_U_COUNT] = {
    NULL,         ev_diff_second, ev_diff_minute,  ev_diff_hour, ev_diff_day,
    ev_diff_week, ev_diff_month,  ev_diff_quarter, ev_diff_year,
};

static int ck_timestampdiff(vg_fn_bind *b)
{
    int u = fn_unit_arg(b, 0, BITS_DAYTIME | BITS_MONTHS);
    if (u < 0 || fn_arg_timestamp(b, 1) < 0 || fn_arg_timestamp(b, 2) < 0)
        return -1;
    b->eval = diff_evals[u];
    b->ret = VG_T_INT;
    return 0;
}

/* ---- TO_TIMESTAMP_LTZ ---- */



static void ev_ltz_ms_i(vg_fn_ctx *c, const vg_value *a, uint32_t n, vg_value *out)
{
    (void)c, (void)n;
    set_ltz(out, true, a[0].u.i);
}

static void ev_ltz_s_i(vg_fn_ctx *c, const vg_value *a, uint32_t n, vg_value *out)
{
    (void)c, (void)n;
    int64_t ms = 0;
    bool ok = !__builtin_mul_overflow(a[0].u.i, 1000, &ms);
    set_ltz(out, ok, ms);
}

/* A DOUBLE is cut toward zero to whole milliseconds, as Java's (long) cast. */
static void ev_ltz_ms_d(vg_fn_ctx *c, const vg_value *a, uint32_t n, vg_value *out)
{
    (void)c, (void)n;
    double v = a[0].u.d;
    bool ok = v >= (double)LTZ_MIN_MS && v <= (double)LTZ_MAX_MS;
    set_ltz(out, ok, ok ? (int64_t)v : 0);
}

static void ev_ltz_s_d(vg_fn_ctx *c, const vg_value *a, uint32_t n, vg_value *out)
{
    (void)c, (void)n;
    double v = a[0].u.d * 1000;
    bool ok = v >= (double)LTZ_MIN_MS && v <= (double)LTZ_MAX_MS;
    set_ltz(out, ok, ok ? (int64_t)v : 0);
}

static int ck_to_timestamp_ltz(vg_fn_bind *b)
{
    if (fn_arg_number(b, 0) < 0)
        return -1;
    int64_t prec = 3;
    if (b->nargs == 2) {
        const vg_value *p = b->constv[1];
        bool null = p && p->null; /* the result is NULL then */
        if (!null && (!p || (b->argt[1] != VG_T_INT && b->argt[1] != VG_T_BIGINT) ||
                      (p->u.i != 0 && p->u.i != 3)))
            return fn_fail(b, 1, "the precision of TO_TIMESTAMP_LTZ must be a constant 0 or 3");
        prec = null ? 3 : p->u.i;
    }
    bool dbl = b->argt[0] == VG_T_DOUBLE;
    b->eval = prec == 3 ? (dbl ? ev_ltz_ms_d : ev_ltz_ms_i) : (dbl ? ev_ltz_s_d : ev_ltz_s_i);
    b->ret = VG_T_TIMESTAMP;
    return 0;
}

FN_SIG_CHECK(ck_ts_bigint, "T", VG_T_BIGINT)

#define S VG_FN_STRICT
#define TS "TIMESTAMP '2024-02-29 13:45:30.250'"
/* clang-format off */
const vg_func vg_fn_time_table[] = {
    {"DAYOFMONTH", 1, 1, S, ck_ts_bigint, NULL, NULL, ev_day, "time",
     "DAYOFMONTH(ts)", "Day of the month, 1 to 31, as a BIGINT. NULL if ts is NULL.",
     "DAYOFMONTH(" TS ")", "29"},
    {"DAYOFWEEK", 1, 1, S, ck_ts_bigint, NULL, NULL, ev_dow, "time",
     "DAYOFWEEK(ts)", "Day of the week, 1 (Sunday) to 7 (Saturday), as a BIGINT. NULL if ts "
     "is NULL.",
     "DAYOFWEEK(" TS ")", "5"},
    {"DAYOFYEAR", 1, 1, S, ck_ts_bigint, NULL, NULL, ev_doy, "time",
     "DAYOFYEAR(ts)", "Day of the year, 1 to 366, as a BIGINT. NULL if ts is NULL.",
     "DAYOFYEAR(" TS ")", "60"},
    {"EXTRACT", 2, 2, S, ck_extract, NULL, NULL, NULL, "time",
     "EXTRACT(unit FROM ts)",
     "A field of ts as a BIGINT. unit: YEAR, QUARTER, MONTH, WEEK (ISO week, 1 to 53), DAY, "
     "HOUR, MINUTE, SECOND, MILLISECOND (0 to 999), DOW (1 = Sunday to 7), DOY, EPOCH (seconds "
     "since 1970, cut toward zero). Before 1970 the fields are the calendar's (Flink gives "
     "negative times of day). NULL if ts is NULL.",
     "EXTRACT(MILLISECOND FROM " TS ")", "250"},
    {"HOUR", 1, 1, S, ck_ts_bigint, NULL, NULL, ev_hour, "time",
     "HOUR(ts)", "Hour of the day, 0 to 23, as a BIGINT. NULL if ts is NULL.",
     "HOUR(" TS ")", "13"},
    {"MINUTE", 1, 1, S, ck_ts_bigint, NULL, NULL, ev_minute, "time",
     "MINUTE(ts)", "Minute of the hour, 0 to 59, as a BIGINT. NULL if ts is NULL.",
     "MINUTE(" TS ")", "45"},
    {"MONTH", 1, 1, S, ck_ts_bigint, NULL, NULL, ev_month, "time",
     "MONTH(ts)", "Month of the year, 1 to 12, as a BIGINT. NULL if ts is NULL.",
     "MONTH(" TS ")", "2"},
    {"QUARTER", 1, 1, S, ck_ts_bigint, NULL, NULL, ev_quarter, "time",
     "QUARTER(ts)", "Quarter of the year, 1 to 4, as a BIGINT. NULL if ts is NULL.",
     "QUARTER(" TS ")", "1"},
    {"SECOND", 1, 1, S, ck_ts_bigint, NULL, NULL, ev_second, "time",
     "SECOND(ts)", "Second of the minute, 0 to 59, as a BIGINT. NULL if ts is NULL.",
     "SECOND(" TS ")", "30"},
    {"TIMESTAMPADD", 3, 3, S, ck_timestampadd, NULL, NULL, NULL, "time",
     "TIMESTAMPADD(unit, n, ts)",
     "ts plus n units (SECOND, MINUTE, HOUR, DAY, WEEK, MONTH, QUARTER or YEAR). Adding months "
     "keeps the day of the month, cut to the month's last day (Jan 31 + 1 MONTH is Feb 29 in a "
     "leap year). NULL if an argument is NULL or the result is out of range.",
     "TIMESTAMPADD(MONTH, 1, TIMESTAMP '2024-01-31 08:00:00')",
     "TIMESTAMP '2024-02-29 08:00:00.000'"},
    {"TIMESTAMPDIFF", 3, 3, S, ck_timestampdiff, NULL, NULL, NULL, "time",
     "TIMESTAMPDIFF(unit, a, b)",
     "Whole units (SECOND, MINUTE, HOUR, DAY, WEEK, MONTH, QUARTER or YEAR) from a to b, cut "
     "toward zero, as an INT: negative when b is before a, and always minus TIMESTAMPDIFF(unit, "
     "b, a). A month counts when adding it to a (day cut to the month's end) does not pass b. "
     "NULL if an argument is NULL or the result does not fit an INT.",
     "TIMESTAMPDIFF(MONTH, TIMESTAMP '2024-01-31 00:00:00', TIMESTAMP '2024-02-29 00:00:00')",
     "1"},
    {"TO_TIMESTAMP_LTZ", 1, 2, S, ck_to_timestamp_ltz, NULL, NULL, NULL, "time",
     "TO_TIMESTAMP_LTZ(n [, precision])",
     "The TIMESTAMP n epoch milliseconds (precision 3, the default) or seconds (precision 0) "
     "after 1970-01-01 00:00:00 UTC. vigil has no local time zone: the result is the UTC "
     "TIMESTAMP(3). NULL if n is NULL or the result is outside years 0 to 9999.",
     "TO_TIMESTAMP_LTZ(1714564800123, 3)", "TIMESTAMP '2024-05-01 12:00:00.123'"},
    {"WEEK", 1, 1, S, ck_ts_bigint, NULL, NULL, ev_week, "time",
     "WEEK(ts)", "ISO-8601 week of the year, 1 to 53 (weeks start on Monday; week 1 holds the "
     "first Thursday), as a BIGINT. NULL if ts is NULL.",
     "WEEK(TIMESTAMP '2021-01-03 00:00:00')", "53"},
    {"YEAR", 1, 1, S, ck_ts_bigint, NULL, NULL, ev_year, "time",
     "YEAR(ts)", "The year, as a BIGINT. NULL if ts is NULL.",
     "YEAR(" TS ")", "2024"},
};
/* clang-format on */
const size_t vg_fn_time_count = sizeof vg_fn_time_table / sizeof vg_fn_time_table[0];
