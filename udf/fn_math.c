/*
 * fn_math.c — numeric functions.
 *
 * Functions of one number keep its type (ABS, SIGN, ROUND, TRUNCATE, FLOOR,
 * CEIL): check picks an evaluator per argument type, so an INT result is
 * range-checked as an INT (it is held sign-extended in .i like a BIGINT) and
 * overflow gives NULL instead of wrapping. Everything else computes in
 * DOUBLE with the C library, whose domain errors are IEEE values (NaN,
 * -Infinity), as Java's Math gives them to Flink.
 *
 * ROUND and TRUNCATE of a DOUBLE work on its shortest decimal text, as
 * Flink's BigDecimal.valueOf(x).setScale(...) does, so ROUND(2.675, 2) is
 * 2.68 (binary arithmetic would give 2.67). FLOOR(ts TO unit) and CEIL(ts
 * TO unit) share the FLOOR and CEIL entries; their checks are in fn_time.c.
 */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "udf/fn_int.h"

/* Evaluators of a function of one number, by the argument's type. */
typedef struct num_evals {
    vg_fn_eval_fn i32, i64, dbl;
} num_evals;

/* Type a call whose result has the type of argument 0 (a number). */
static int pick_num(vg_fn_bind *b, const num_evals *e)
{
    if (fn_arg_number(b, 0) < 0)
        return -1;
    vg_type t = b->argt[0];
    b->ret = t;
    b->eval = t == VG_T_INT ? e->i32 : t == VG_T_BIGINT ? e->i64 : e->dbl;
    return 0;
}

/* out = v as an integer of 32 bits (i32) or 64, NULL when it does not fit. */
static void set_int(vg_value *out, bool i32, bool ok, int64_t v)
{
    *out = ok && (!i32 || (v >= INT32_MIN && v <= INT32_MAX)) ? vg_int(v) : vg_null();
}

/* ---- ABS, SIGN ---- */

static void abs_i(const vg_value *a, vg_value *out, bool i32)
{
    int64_t x = a[0].u.i;
    set_int(out, i32, x != INT64_MIN, x == INT64_MIN ? 0 : x < 0 ? -x : x);
}

static void ev_abs_i32(vg_fn_ctx *c, const vg_value *a, uint32_t n, vg_value *out)
{
    (void)c, (void)n;
    abs_i(a, out, true);
}

static void ev_abs_i64(vg_fn_ctx *c, const vg_value *a, uint32_t n, vg_value *out)
{
    (void)c, (void)n;
    abs_i(a, out, false);
}

static void ev_abs_d(vg_fn_ctx *c, const vg_value *a, uint32_t n, vg_value *out)
{
    (void)c, (void)n;
    *out = vg_double(fabs(a[0].u.d));
}

static const num_evals abs_evals = {ev_abs_i32, ev_abs_i64, ev_abs_d};

static int ck_abs(vg_fn_bind *b)
{
    return pick_num(b, &abs_evals);
}

static void ev_sign_i(vg_fn_ctx *c, const vg_value *a, uint32_t n, vg_value *out)
{
    (void)c, (void)n;
    *out = vg_int((a[0].u.i > 0) - (a[0].u.i < 0));
}

/* Java's Math.signum: NaN and signed zeros come back unchanged. */
static void ev_sign_d(vg_fn_ctx *c, const vg_value *a, uint32_t n, vg_value *out)
{
    (void)c, (void)n;
    double x = a[0].u.d;
    *out = vg_double(x > 0 ? 1.0 : x < 0 ? -1.0 : x);
}

static const num_evals sign_evals = {ev_sign_i, ev_sign_i, ev_sign_d};

static int ck_sign(vg_fn_bind *b)
{
    return pick_num(b, &sign_evals);
}

/* ---- FLOOR, CEIL (numeric forms) ---- */

static void ev_same(vg_fn_ctx *c, const vg_value *a, uint32_t n, vg_value *out)
{
    (void)c, (void)n;
    *out = a[0];
}

static void ev_floor_d(vg_fn_ctx *c, const vg_value *a, uint32_t n, vg_value *out)
{
    (void)c, (void)n;
    *out = vg_double(floor(a[0].u.d));
}

static void ev_ceil_d(vg_fn_ctx *c, const vg_value *a, uint32_t n, vg_value *out)
{
    (void)c, (void)n;
    *out = vg_double(ceil(a[0].u.d));
}

static const num_evals floor_evals = {ev_same, ev_same, ev_floor_d};
static const num_evals ceil_evals = {ev_same, ev_same, ev_ceil_d};

static int ck_floor(vg_fn_bind *b)
{
    return b->nargs == 2 ? fn_time_check_floor(b) : pick_num(b, &floor_evals);
}

static int ck_ceil(vg_fn_bind *b)
{
    return b->nargs == 2 ? fn_time_check_ceil(b) : pick_num(b, &ceil_evals);
}

/* ---- ROUND, TRUNCATE ---- */

/* x to d decimal places, rounding half away from zero (half_up) or toward
 * zero, on the shortest decimal text that reads back as x. */
static double round_decimal(double x, int64_t d, bool half_up)
{
    if (!isfinite(x) || x == 0)
        return x == 0 ? 0.0 : x;
    char buf[40], digits[24];
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(buf, sizeof buf, "%.*e", prec - 1, x);
        if (strtod(buf, NULL) == x)
            break;
    }
    /* buf is [-]D[.DDD]e±XX: digit i stands for 10^(e10 - i) */
    const char *p = buf + (x < 0);
    int nd = 0;
    for (; *p != 'e'; p++)
        if (*p != '.')
            digits[nd++] = *p;
    int e10 = atoi(p + 1);
    if (d > 400) /* |d| > 400 passes every double's first or last digit */
        return x;
    if (d < -400)
        return 0.0;
    int k = e10 + (int)d + 1; /* digits kept */
    if (k >= nd)
        return x;
    bool up = half_up && k >= 0 && digits[k] >= '5';
    if (k < 0 || (k == 0 && !up))
        return 0.0;
    int i = k - 1;
    for (; up && i >= 0 && digits[i] == '9'; i--)
        digits[i] = '0';
    if (up && i >= 0)
        digits[i]++;
    /* the mantissa M (with a leading 1 when the carry ran off the front)
     * stands for M * 10^(e10 - k + 1) */
    char text[64];
    snprintf(text, sizeof text, "%s%s%.*se%d", x < 0 ? "-" : "", up && i < 0 ? "1" : "", k,
             digits, e10 - k + 1);
    double r = strtod(text, NULL);
    return r == 0 ? 0.0 : r;
}

/* x to d decimal places when d < 0 (an integer keeps all its places). */
static void round_int(const vg_value *a, uint32_t n, vg_value *out, bool i32, bool half_up)
{
    int64_t x = a[0].u.i, d = n == 2 ? a[1].u.i : 0;
    if (d >= 0) {
        *out = a[0];
        return;
    }
    if (d < -19) {
        *out = vg_int(0);
        return;
    }
    uint64_t p = 1, ux = x < 0 ? 0 - (uint64_t)x : (uint64_t)x;
    for (int64_t i = 0; i < -d; i++)
        p *= 10;
    uint64_t rem = ux % p, mag = ux - rem;
    bool ok = true;
    if (half_up && rem >= p - rem)
        ok = !__builtin_add_overflow(mag, p, &mag);
    ok = ok && (x < 0 ? mag <= (uint64_t)INT64_MAX + 1 : mag <= (uint64_t)INT64_MAX);
    set_int(out, i32, ok, x < 0 ? (int64_t)(0 - mag) : (int64_t)mag);
}

static void ev_round_i32(vg_fn_ctx *c, const vg_value *a, uint32_t n, vg_value *out)
{
    (void)c;
    round_int(a, n, out, true, true);
}

static void ev_round_i64(vg_fn_ctx *c, const vg_value *a, uint32_t n, vg_value *out)
{
    (void)c;
    round_int(a, n, out, false, true);
}

static void ev_round_d(vg_fn_ctx *c, const vg_value *a, uint32_t n, vg_value *out)
{
    (void)c;
    *out = vg_double(round_decimal(a[0].u.d, n == 2 ? a[1].u.i : 0, true));
}

static void ev_trunc_i32(vg_fn_ctx *c, const vg_value *a, uint32_t n, vg_value *out)
{
    (void)c;
    round_int(a, n, out, true, false);
}

static void ev_trunc_i64(vg_fn_ctx *c, const vg_value *a, uint32_t n, vg_value *out)
{
    (void)c;
    round_int(a, n, out, false, false);
}

static void ev_trunc_d(vg_fn_ctx *c, const vg_value *a, uint32_t n, vg_value *out)
{
    (void)c;
    *out = vg_double(round_decimal(a[0].u.d, n == 2 ? a[1].u.i : 0, false));
}

static const num_evals round_evals = {ev_round_i32, ev_round_i64, ev_round_d};
static const num_evals trunc_evals = {ev_trunc_i32, ev_trunc_i64, ev_trunc_d};

static int ck_round(vg_fn_bind *b)
{
    return (b->nargs == 2 && fn_arg_integer(b, 1) < 0) ? -1 : pick_num(b, &round_evals);
}

static int ck_truncate(vg_fn_bind *b)
{
    return (b->nargs == 2 && fn_arg_integer(b, 1) < 0) ? -1 : pick_num(b, &trunc_evals);
}

/* ---- MOD ---- */

/* MOD(a, b): the remainder of a / b with the sign of a (as Java's %); NULL
 * when b is 0. It has b's type, which it always fits. */
static void ev_mod(vg_fn_ctx *c, const vg_value *a, uint32_t n, vg_value *out)
{
    (void)c, (void)n;
    int64_t x = a[0].u.i, y = a[1].u.i;
    *out = y == 0 ? vg_null() : vg_int(y == -1 ? 0 : x % y);
}

static int ck_mod(vg_fn_bind *b)
{
    if (fn_arg_integer(b, 0) < 0 || fn_arg_integer(b, 1) < 0)
        return -1;
    b->ret = b->argt[1] != VG_T_NULL ? b->argt[1] : b->argt[0];
    return 0;
}

/* ---- functions of doubles ---- */

#define DOUBLE_FN1(ev, expr)                                                                  \
    static void ev(vg_fn_ctx *c, const vg_value *a, uint32_t n, vg_value *out)               \
    {                                                                                         \
        (void)c, (void)n;                                                                     \
        double x = a[0].u.d;                                                                  \
        *out = vg_double(expr);                                                               \
    }

DOUBLE_FN1(ev_acos, acos(x))
DOUBLE_FN1(ev_asin, asin(x))
DOUBLE_FN1(ev_atan, atan(x))
DOUBLE_FN1(ev_cos, cos(x))
DOUBLE_FN1(ev_cot, 1.0 / tan(x))
DOUBLE_FN1(ev_degrees, x * (180.0 / M_PI))
DOUBLE_FN1(ev_exp, exp(x))
DOUBLE_FN1(ev_ln, log(x))
DOUBLE_FN1(ev_log10, log10(x))
DOUBLE_FN1(ev_log2, log(x) / log(2.0))
DOUBLE_FN1(ev_radians, x / 180.0 * M_PI)
DOUBLE_FN1(ev_sin, sin(x))
DOUBLE_FN1(ev_sqrt, sqrt(x))
DOUBLE_FN1(ev_tan, tan(x))

static void ev_atan2(vg_fn_ctx *c, const vg_value *a, uint32_t n, vg_value *out)
{
    (void)c, (void)n;
    *out = vg_double(atan2(a[0].u.d, a[1].u.d));
}

static void ev_power(vg_fn_ctx *c, const vg_value *a, uint32_t n, vg_value *out)
{
    (void)c, (void)n;
    *out = vg_double(pow(a[0].u.d, a[1].u.d));
}

/* LOG(x) is LN(x); LOG(base, x) is LN(x) / LN(base), as Flink computes it. */
static void ev_log(vg_fn_ctx *c, const vg_value *a, uint32_t n, vg_value *out)
{
    (void)c;
    *out = vg_double(n == 1 ? log(a[0].u.d) : log(a[1].u.d) / log(a[0].u.d));
}

static void ev_pi(vg_fn_ctx *c, const vg_value *a, uint32_t n, vg_value *out)
{
    (void)c, (void)a, (void)n;
    *out = vg_double(M_PI);
}

static void ev_e(vg_fn_ctx *c, const vg_value *a, uint32_t n, vg_value *out)
{
    (void)c, (void)a, (void)n;
    *out = vg_double(M_E);
}

FN_SIG_CHECK(ck_d_d, "D", VG_T_DOUBLE)

#define S VG_FN_STRICT
#define IEEE " Out of domain: NaN or an infinity (IEEE)."
/* clang-format off */
const vg_func vg_fn_math_table[] = {
    {"ABS", 1, 1, S, ck_abs, NULL, NULL, NULL, "math",
     "ABS(x)",
     "Absolute value of x, of x's type. NULL if x is NULL, or when it does not fit the type "
     "(ABS of the smallest BIGINT; Flink wraps around).",
     "ABS(-12.5)", "12.5"},
    {"ACOS", 1, 1, S, ck_d_d, NULL, NULL, ev_acos, "math",
     "ACOS(x)", "Arc cosine of x, in radians, as a DOUBLE." IEEE " NULL if x is NULL.",
     "ACOS(1)", "0.0"},
    {"ASIN", 1, 1, S, ck_d_d, NULL, NULL, ev_asin, "math",
     "ASIN(x)", "Arc sine of x, in radians, as a DOUBLE." IEEE " NULL if x is NULL.",
     "ASIN(0)", "0.0"},
    {"ATAN", 1, 1, S, ck_d_d, NULL, NULL, ev_atan, "math",
     "ATAN(x)", "Arc tangent of x, in radians, as a DOUBLE. NULL if x is NULL.",
     "ATAN(0)", "0.0"},
    {"ATAN2", 2, 2, S, ck_d_d, NULL, NULL, ev_atan2, "math",
     "ATAN2(y, x)",
     "Angle (radians) of the point (x, y) from the x axis, as a DOUBLE. NULL if an argument "
     "is NULL.",
     "ATAN2(1, 1)", "0.7853981633974483"},
    {"CEIL", 1, 2, S, ck_ceil, NULL, NULL, NULL, "math",
     "CEIL(x) / CEIL(ts TO unit)",
     "The smallest integral value >= x, of x's type (a DOUBLE stays a DOUBLE). CEIL(ts TO "
     "unit) rounds a timestamp up to a unit: SECOND, MINUTE, HOUR, DAY, WEEK (weeks start on "
     "Sunday, as in Flink), MONTH, QUARTER or YEAR. NULL if an argument is NULL.",
     "CEIL(-2.5)", "-2.0"},
    {"CEILING", 1, 2, S, ck_ceil, NULL, NULL, NULL, "math",
     "CEILING(x) / CEILING(ts TO unit)", "Same as CEIL.",
     "CEILING(TIMESTAMP '2024-05-01 10:00:00.001' TO HOUR)",
     "TIMESTAMP '2024-05-01 11:00:00.000'"},
    {"COS", 1, 1, S, ck_d_d, NULL, NULL, ev_cos, "math",
     "COS(x)", "Cosine of x (radians), as a DOUBLE. NULL if x is NULL.",
     "COS(0)", "1.0"},
    {"COT", 1, 1, S, ck_d_d, NULL, NULL, ev_cot, "math",
     "COT(x)", "Cotangent of x (radians), as a DOUBLE; COT(0) is Infinity. NULL if x is NULL.",
     "COT(0.7853981633974483)", "1.0000000000000002"},
    {"DEGREES", 1, 1, S, ck_d_d, NULL, NULL, ev_degrees, "math",
     "DEGREES(x)", "x radians in degrees, as a DOUBLE. NULL if x is NULL.",
     "DEGREES(3.141592653589793)", "180.0"},
    {"E", 0, 0, 0, ck_d_d, NULL, NULL, ev_e, "math",
     "E()", "Euler's number e, the base of natural logarithms, as a DOUBLE.",
     "E()", "2.718281828459045"},
    {"EXP", 1, 1, S, ck_d_d, NULL, NULL, ev_exp, "math",
     "EXP(x)", "e raised to the power x, as a DOUBLE. NULL if x is NULL.",
     "EXP(0)", "1.0"},
    {"FLOOR", 1, 2, S, ck_floor, NULL, NULL, NULL, "math",
     "FLOOR(x) / FLOOR(ts TO unit)",
     "The largest integral value <= x, of x's type (a DOUBLE stays a DOUBLE). FLOOR(ts TO "
     "unit) rounds a timestamp down to a unit: SECOND, MINUTE, HOUR, DAY, WEEK (weeks start "
     "on Sunday, as in Flink), MONTH, QUARTER or YEAR. NULL if an argument is NULL.",
     "FLOOR(TIMESTAMP '2024-05-01 10:59:59.999' TO HOUR)",
     "TIMESTAMP '2024-05-01 10:00:00.000'"},
    {"LN", 1, 1, S, ck_d_d, NULL, NULL, ev_ln, "math",
     "LN(x)", "Natural logarithm of x, as a DOUBLE; LN(0) is -Infinity, LN of a negative "
     "number NaN. NULL if x is NULL.",
     "LN(1)", "0.0"},
    {"LOG", 1, 2, S, ck_d_d, NULL, NULL, ev_log, "math",
     "LOG(x) / LOG(base, x)",
     "Natural logarithm of x, or its logarithm to base, computed as LN(x) / LN(base) like "
     "Flink, as a DOUBLE." IEEE " NULL if an argument is NULL.",
     "LOG(2, 1024)", "10.0"},
    {"LOG10", 1, 1, S, ck_d_d, NULL, NULL, ev_log10, "math",
     "LOG10(x)", "Base-10 logarithm of x, as a DOUBLE." IEEE " NULL if x is NULL.",
     "LOG10(1000)", "3.0"},
    {"LOG2", 1, 1, S, ck_d_d, NULL, NULL, ev_log2, "math",
     "LOG2(x)", "Base-2 logarithm of x (LN(x) / LN(2), as Flink), as a DOUBLE." IEEE
     " NULL if x is NULL.",
     "LOG2(8)", "3.0"},
    {"MOD", 2, 2, S, ck_mod, NULL, NULL, ev_mod, "math",
     "MOD(a, b)",
     "Remainder of the integer division a / b, negative only when a is negative; it has b's "
     "type. NULL when b is 0 (Flink fails the job) or an argument is NULL. Integers only.",
     "MOD(-7, 3)", "-1"},
    {"PI", 0, 0, 0, ck_d_d, NULL, NULL, ev_pi, "math",
     "PI()", "The DOUBLE closest to pi.",
     "PI()", "3.141592653589793"},
    {"POW", 2, 2, S, ck_d_d, NULL, NULL, ev_power, "math",
     "POW(x, y)", "Same as POWER.",
     "POW(2, -1)", "0.5"},
    {"POWER", 2, 2, S, ck_d_d, NULL, NULL, ev_power, "math",
     "POWER(x, y)", "x raised to the power y, as a DOUBLE." IEEE " NULL if an argument is NULL.",
     "POWER(2, 10)", "1024.0"},
    {"RADIANS", 1, 1, S, ck_d_d, NULL, NULL, ev_radians, "math",
     "RADIANS(x)", "x degrees in radians, as a DOUBLE. NULL if x is NULL.",
     "RADIANS(180)", "3.141592653589793"},
    {"ROUND", 1, 2, S, ck_round, NULL, NULL, NULL, "math",
     "ROUND(x [, d])",
     "x rounded to d decimal places (default 0; a negative d rounds left of the point), halves "
     "away from zero (HALF_UP), keeping x's type. A DOUBLE is rounded as the decimal it prints "
     "as, like Flink. NULL if an argument is NULL or an integer result overflows.",
     "ROUND(2.675, 2)", "2.68"},
    {"SIGN", 1, 1, S, ck_sign, NULL, NULL, NULL, "math",
     "SIGN(x)", "-1, 0 or 1 as x is negative, zero or positive, of x's type. NULL if x is NULL.",
     "SIGN(-8)", "-1"},
    {"SIN", 1, 1, S, ck_d_d, NULL, NULL, ev_sin, "math",
     "SIN(x)", "Sine of x (radians), as a DOUBLE. NULL if x is NULL.",
     "SIN(0)", "0.0"},
    {"SQRT", 1, 1, S, ck_d_d, NULL, NULL, ev_sqrt, "math",
     "SQRT(x)", "Square root of x, as a DOUBLE; NaN for a negative x. NULL if x is NULL.",
     "SQRT(2.25)", "1.5"},
    {"TAN", 1, 1, S, ck_d_d, NULL, NULL, ev_tan, "math",
     "TAN(x)", "Tangent of x (radians), as a DOUBLE. NULL if x is NULL.",
     "TAN(0)", "0.0"},
    {"TRUNCATE", 1, 2, S, ck_truncate, NULL, NULL, NULL, "math",
     "TRUNCATE(x [, d])",
     "x cut (toward zero) to d decimal places (default 0; a negative d cuts left of the "
     "point), keeping x's type. NULL if an argument is NULL.",
     "TRUNCATE(42.324, 2)", "42.32"},
};
/* clang-format on */
const size_t vg_fn_math_count = sizeof vg_fn_math_table / sizeof vg_fn_math_table[0];
