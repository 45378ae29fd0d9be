/*
 * agg_basic.c — the invertible aggregates: COUNT, SUM, AVG, and the
 * variance family (STDDEV_POP, STDDEV_SAMP, VAR_POP, VAR_SAMP, VARIANCE).
 * Each add and retract is O(1) and allocates nothing.
 *
 * Result types follow Flink: SUM, AVG and the variance family give their
 * argument's type (Flink's findSumAggType / findAvgAggType). Integer sums
 * wrap like Java arithmetic: SUM(INT) in 32 bits, SUM(BIGINT) in 64; an
 * integer AVG is that sum divided by the count, truncated toward zero (Flink
 * rewrites AVG(x) into SUM(x) / COUNT(x)).
 *
 * DOUBLE sums are compensated (Neumaier), so that retracting what was added
 * gives back the sum of what remains to within an ulp or so; infinities and
 * NaNs are counted apart rather than summed, so that retracting them is
 * exact too. The variance family keeps compensated sums of x - k and
 * (x - k)^2 for a shift k (the first value, moved to the mean whenever the
 * mean drifts far from it), and computes in DOUBLE. Of integers it keeps
 * exact sums and computes as Flink does, in integer arithmetic (see
 * ivar_result): VAR_POP of 0 and 4 is 4, never 3.
 */
#include <float.h>
#include <math.h>
#include <string.h>

#include "udf/agg_int.h"

/* ---- shared pieces ---- */

/* Neumaier's compensated sum: *s + *c is the running sum. */
static void comp_add(double *s, double *c, double x) { agg_comp_add(s, c, x); }

static double comp_value(double s, double c) { return isfinite(s) ? s + c : s; }

static bool is_double(const vg_agg_call *c) { return c->argt[0] == VG_T_DOUBLE; }

/* A count from a snapshot: at most 2^61, so that no later sum of counts
 * can overflow, whatever the bytes said. */
static int restore_i64(const char **p, const char *end, int64_t *out)
{
    uint64_t v;
    if (agg_get_u64(p, end, &v) < 0 || v > (uint64_t)1 << 61)
        return -1;
    *out = (int64_t)v;
    return 0;
}

/* ---- COUNT ---- */

typedef agg_count count_state; /* (agg_int.h: the OVER frame loop steps it too) */

static int count_check(vg_agg_bind *b)
{
    b->ret = VG_T_BIGINT;
    return 0;
}

static size_t count_size(const vg_agg_call *c)
{
    (void)c;
    return sizeof(count_state);
}

static void count_init(const vg_agg_call *c, void *st)
{
    (void)c;
    ((count_state *)st)->n = 0;
}

static int count_add(const vg_agg_call *c, void *st, const vg_value *args)
{
    (void)c, (void)args;
    ((count_state *)st)->n++;
    return 0;
}

static int count_retract(const vg_agg_call *c, void *st, const vg_value *args)
{
    (void)c, (void)args;
    ((count_state *)st)->n--;
    return 0;
}

static int count_merge(const vg_agg_call *c, void *st, const void *other)
{
    (void)c;
    ((count_state *)st)->n += ((const count_state *)other)->n;
    return 0;
}

static void count_result(const vg_agg_call *c, const void *st, vg_value *out)
{
    (void)c;
    *out = vg_int(((const count_state *)st)->n);
}

/* Bytes: u64 rows. */
static int count_snapshot(const vg_agg_call *c, const void *st, vg_buf *out)
{
    (void)c;
    return agg_put_u64(out, (uint64_t)((const count_state *)st)->n);
}

static int count_restore(const vg_agg_call *c, void *st, const char **p, const char *end)
{
    (void)c;
    return restore_i64(p, end, &((count_state *)st)->n);
}

/* ---- SUM and AVG: an integer or a compensated DOUBLE sum, and a count ---- */

typedef struct isum_state {
    int64_t n;    /* rows */
    uint64_t sum; /* two's complement sum, wrapping */
} isum_state;

typedef agg_dsum dsum_state; /* (agg_int.h: the OVER frame loop steps it too) */

/* How far the scale moves at a time: a running sum of finite doubles
 * that overflows (two rows of 1e308) is held scaled down, so that it comes
 * back exactly when those rows are retracted; a window that once saw
 * huge values is not Infinity (or NaN) forever after. */
#define DSUM_STEP 64

static int sum_check(vg_agg_bind *b) { return agg_check_numeric(b, "SUM"); }
static int avg_check(vg_agg_bind *b) { return agg_check_numeric(b, "AVG"); }

static size_t sum_size(const vg_agg_call *c)
{
    return is_double(c) ? sizeof(dsum_state) : sizeof(isum_state);
}

static void sum_init(const vg_agg_call *c, void *st) { memset(st, 0, sum_size(c)); }

/* Scale the running sum by 2^-by (exact: powers of two). */
static void dsum_rescale(dsum_state *s, int by)
{
    s->scale += by;
    s->s = ldexp(s->s, -by);
    s->c = ldexp(s->c, -by);
}

/* Add the finite value x * 2^xscale to the compensated sum, scaling the
 * sum down when it would overflow and back up when it fits again. */
static void dsum_add(dsum_state *s, double x, int32_t xscale)
{
    if (xscale > s->scale)
        dsum_rescale(s, xscale - s->scale);
    if (xscale != s->scale)
        x = ldexp(x, xscale - s->scale);
    if (isinf(s->s + x)) {
        dsum_rescale(s, DSUM_STEP);
        x = ldexp(x, -DSUM_STEP);
    }
    comp_add(&s->s, &s->c, x);
    while (s->scale && fabs(s->s) < ldexp(DBL_MAX, -DSUM_STEP - 1))
        dsum_rescale(s, -DSUM_STEP);
}

static void dsum_step(dsum_state *s, double x, int sign)
{
    s->n += sign;
    if (isnan(x))
        s->nan += sign;
    else if (isinf(x))
        *(x > 0 ? &s->pinf : &s->ninf) += sign;
    else
        dsum_add(s, sign * x, 0);
    if (s->n - s->pinf - s->ninf - s->nan == 0)
        s->s = s->c = 0, s->scale = 0; /* no finite value left: start exact again */
}

/* dsum_step out of line, for what dsum_step_quick leaves. */
static __attribute__((noinline)) void dsum_step_slow(dsum_state *s, double x, int sign)
{
    dsum_step(s, x, sign);
}

/* dsum_step's common case, inline (agg_int.h). */
static inline bool dsum_step_quick(dsum_state *s, double x, int sign)
{
    return agg_dsum_step_quick(s, x, sign);
}

static inline __attribute__((always_inline)) int sum_step(const vg_agg_call *c, void *st,
                                                         const vg_value *args, int sign)
{
    if (is_double(c)) {
        if (!dsum_step_quick(st, args[0].u.d, sign))
            dsum_step_slow(st, args[0].u.d, sign);
    } else {
        isum_state *s = st;
        s->n += sign;
        s->sum += sign > 0 ? (uint64_t)args[0].u.i : -(uint64_t)args[0].u.i;
    }
    return 0;
}

static int sum_add(const vg_agg_call *c, void *st, const vg_value *args)
{
    return sum_step(c, st, args, 1);
}

static int sum_retract(const vg_agg_call *c, void *st, const vg_value *args)
{
    return sum_step(c, st, args, -1);
}

static int sum_merge(const vg_agg_call *c, void *st, const void *other)
{
    if (is_double(c)) {
        dsum_state *s = st;
        const dsum_state *o = other;
        s->n += o->n;
        s->pinf += o->pinf;
        s->ninf += o->ninf;
        s->nan += o->nan;
        dsum_add(s, o->s, o->scale);
        dsum_add(s, o->c, o->scale);
    } else {
        isum_state *s = st;
        const isum_state *o = other;
        s->n += o->n;
        s->sum += o->sum;
    }
    return 0;
}

/* The DOUBLE sum: NaN beats everything, +Infinity and -Infinity make NaN. */
static inline double dsum_value(const dsum_state *s)
{
    if (!(s->nan | s->pinf | s->ninf | s->scale)) /* the common case: ldexp by 0 */
        return comp_value(s->s, s->c);
    if (s->nan || (s->pinf && s->ninf))
        return NAN;
    if (s->pinf || s->ninf)
        return s->pinf ? INFINITY : -INFINITY;
    return ldexp(comp_value(s->s, s->c), s->scale);
}

/* An integer of type t from a 64-bit two's complement value, wrapping. */
static vg_value int_of_type(vg_type t, uint64_t v)
{
    return vg_int(t == VG_T_INT ? (int64_t)(int32_t)(uint32_t)v : (int64_t)v);
}

static void sum_result(const vg_agg_call *c, const void *st, vg_value *out)
{
    const int64_t n = *(const int64_t *)st;
    if (n <= 0)
        *out = vg_null();
    else if (is_double(c))
        *out = vg_double(dsum_value(st));
    else
        *out = int_of_type(c->ret, ((const isum_state *)st)->sum);
}

static void avg_result(const vg_agg_call *c, const void *st, vg_value *out)
{
    const int64_t n = *(const int64_t *)st;
    if (n <= 0) {
        *out = vg_null();
    } else if (is_double(c)) {
        *out = vg_double(dsum_value(st) / (double)n);
    } else {
        /* Flink's AVG(x) is CAST(SUM(x) / COUNT(x)), SUM(x) of x's type: an INT
         * sum wraps in 32 bits before the division, which truncates. */
        int64_t sum = int_of_type(c->ret, ((const isum_state *)st)->sum).u.i;
        *out = int_of_type(c->ret, (uint64_t)(sum / n));
    }
}

int agg_fast_kind(const vg_agg_call *c)
{
    if (c->distinct)
        return AGG_FAST_NONE;
    if (c->agg->add == count_add && c->agg->result == count_result)
        return AGG_FAST_COUNT;
    if (c->agg->add != sum_add || !is_double(c) || c->ret != VG_T_DOUBLE)
        return AGG_FAST_NONE;
    if (c->agg->result == sum_result)
        return AGG_FAST_DSUM;
    return c->agg->result == avg_result ? AGG_FAST_DAVG : AGG_FAST_NONE;
}

/* Bytes: integers u64 rows, u64 sum; DOUBLE u64 rows, u32 +Infinity, -Infinity
 * and NaN rows, f64 sum, f64 compensation, u32 scale. */
static int sum_snapshot(const vg_agg_call *c, const void *st, vg_buf *out)
{
    if (!is_double(c)) {
        const isum_state *s = st;
        return agg_put_u64(out, (uint64_t)s->n) < 0 || agg_put_u64(out, s->sum) < 0 ? -1 : 0;
    }
    const dsum_state *s = st;
    if (agg_put_u64(out, (uint64_t)s->n) < 0 || agg_put_u32(out, (uint32_t)s->pinf) < 0 ||
        agg_put_u32(out, (uint32_t)s->ninf) < 0 || agg_put_u32(out, (uint32_t)s->nan) < 0)
        return -1;
    return agg_put_f64(out, s->s) < 0 || agg_put_f64(out, s->c) < 0 ||
                   agg_put_u32(out, (uint32_t)s->scale) < 0
               ? -1
               : 0;
}

static int sum_restore(const vg_agg_call *c, void *st, const char **p, const char *end)
{
    if (!is_double(c)) {
        isum_state *s = st;
        return restore_i64(p, end, &s->n) < 0 || agg_get_u64(p, end, &s->sum) < 0 ? -1 : 0;
    }
    dsum_state *s = st;
    uint32_t cnt[3];
    if (restore_i64(p, end, &s->n) < 0)
        return -1;
    for (int i = 0; i < 3; i++)
        if (agg_get_u32(p, end, &cnt[i]) < 0 || cnt[i] > INT32_MAX / 4)
            return -1;
    if ((int64_t)cnt[0] + cnt[1] + cnt[2] > s->n)
        return -1;
    s->pinf = (int32_t)cnt[0];
    s->ninf = (int32_t)cnt[1];
    s->nan = (int32_t)cnt[2];
    uint32_t scale;
    if (agg_get_f64(p, end, &s->s) < 0 || agg_get_f64(p, end, &s->c) < 0 ||
        agg_get_u32(p, end, &scale) < 0 || scale % DSUM_STEP || scale > 64 * DSUM_STEP)
        return -1;
    s->scale = (int32_t)scale;
    return 0;
}

/* ---- the variance family ---- */

/* Of DOUBLE arguments: compensated sums around a shift k. */
typedef struct dvar_state {
    int64_t n;     /* rows */
    int64_t nbad;  /* rows of Infinity or NaN (they make the result NaN) */
    double k;      /* the shift */
    double s1, c1; /* compensated sum of x - k over the finite rows */
    double s2, c2; /* compensated sum of (x - k)^2 */
    double r1, r2; /* plain sums of x and x^2 over the finite rows, as Flink keeps them */
} dvar_state;

/* Of integer arguments: exact sums, 128 bits wide (kept as two 64-bit halves,
 * the state being only 8-byte aligned). Sums of squares wrap modulo 2^128,
 * which retraction undoes exactly; mag says whether the true sum fits. */
typedef struct ivar_state {
    int64_t n;      /* rows */
    uint64_t s1[2]; /* sum of x, two's complement (low, high) */
    uint64_t s2[2]; /* sum of x^2 modulo 2^128 (low, high) */
    double mag;     /* sum of x^2 in DOUBLE, roughly */
} ivar_state;

typedef unsigned __int128 u128;
typedef __int128 i128;

static u128 get128(const uint64_t w[2]) { return (u128)w[1] << 64 | w[0]; }

static void put128(uint64_t w[2], u128 v)
{
    w[0] = (uint64_t)v;
    w[1] = (uint64_t)(v >> 64);
}

static int var_check(vg_agg_bind *b, const char *name) { return agg_check_numeric(b, name); }
static int stddev_pop_check(vg_agg_bind *b) { return var_check(b, "STDDEV_POP"); }
static int stddev_samp_check(vg_agg_bind *b) { return var_check(b, "STDDEV_SAMP"); }
static int var_pop_check(vg_agg_bind *b) { return var_check(b, "VAR_POP"); }
static int var_samp_check(vg_agg_bind *b) { return var_check(b, "VAR_SAMP"); }
static int variance_check(vg_agg_bind *b) { return var_check(b, "VARIANCE"); }

static size_t var_size(const vg_agg_call *c)
{
    return is_double(c) ? sizeof(dvar_state) : sizeof(ivar_state);
}

static void var_init(const vg_agg_call *c, void *st) { memset(st, 0, var_size(c)); }

/* Move k to the mean when the mean has drifted far from it (more than four
 * standard deviations), so that the sums never cancel badly. */
static void dvar_recenter(dvar_state *s)
{
    int64_t m = s->n - s->nbad;
    if (m < 2)
        return;
    double S1 = s->s1 + s->c1, S2 = s->s2 + s->c2;
    double delta = S1 / (double)m, m2 = S2 - S1 * S1 / (double)m;
    if (delta == 0 || !(S1 * delta > 16 * m2) || !isfinite(delta))
        return;
    double knew = s->k + delta, sh = knew - s->k;
    s->s1 = S1 - (double)m * sh;
    s->s2 = S2 - 2 * sh * S1 + (double)m * sh * sh;
    s->c1 = s->c2 = 0;
    s->k = knew;
}

static void dvar_step(dvar_state *s, double x, int sign)
{
    s->n += sign;
    if (!isfinite(x)) {
        s->nbad += sign;
        return;
    }
    int64_t m = s->n - s->nbad;
    if (m <= 0 || (sign > 0 && m == 1)) { /* empty, or the first value: start exact */
        s->k = m == 1 ? x : 0;
        s->s1 = s->c1 = s->s2 = s->c2 = 0;
        s->r1 = m == 1 ? x : 0;
        s->r2 = m == 1 ? x * x : 0;
        return;
    }
    s->r1 += sign * x;
    s->r2 += sign * (x * x);
    double d = x - s->k;
    comp_add(&s->s1, &s->c1, sign * d);
    comp_add(&s->s2, &s->c2, sign * (d * d));
    dvar_recenter(s);
}

static void ivar_step(ivar_state *s, int64_t x, int sign)
{
    u128 x1 = (u128)(i128)x, x2 = (u128)((i128)x * x);
    s->n += sign;
    put128(s->s1, sign > 0 ? get128(s->s1) + x1 : get128(s->s1) - x1);
    put128(s->s2, sign > 0 ? get128(s->s2) + x2 : get128(s->s2) - x2);
    s->mag += sign * ((double)x * (double)x);
    if (s->n == 0)
        memset(s, 0, sizeof *s);
}

static int var_step(const vg_agg_call *c, void *st, const vg_value *args, int sign)
{
    if (is_double(c))
        dvar_step(st, args[0].u.d, sign);
    else
        ivar_step(st, args[0].u.i, sign);
    return 0;
}

static int var_add(const vg_agg_call *c, void *st, const vg_value *args)
{
    return var_step(c, st, args, 1);
}

static int var_retract(const vg_agg_call *c, void *st, const vg_value *args)
{
    return var_step(c, st, args, -1);
}

static void dvar_merge(dvar_state *s, const dvar_state *o)
{
    int64_t m = s->n - s->nbad, om = o->n - o->nbad;
    if (om > 0 && m <= 0) {
        s->k = o->k;
        s->s1 = o->s1, s->c1 = o->c1, s->s2 = o->s2, s->c2 = o->c2;
        s->r1 = o->r1, s->r2 = o->r2;
    } else if (om > 0) {
        s->r1 += o->r1;
        s->r2 += o->r2;
        double sh = o->k - s->k, O1 = o->s1 + o->c1, O2 = o->s2 + o->c2;
        comp_add(&s->s1, &s->c1, O1 + (double)om * sh);
        comp_add(&s->s2, &s->c2, O2 + 2 * sh * O1 + (double)om * sh * sh);
    }
    s->n += o->n;
    s->nbad += o->nbad;
    dvar_recenter(s);
}

static int var_merge(const vg_agg_call *c, void *st, const void *other)
{
    if (is_double(c)) {
        dvar_merge(st, other);
        return 0;
    }
    ivar_state *s = st;
    const ivar_state *o = other;
    s->n += o->n;
    put128(s->s1, get128(s->s1) + get128(o->s1));
    put128(s->s2, get128(s->s2) + get128(o->s2));
    s->mag += o->mag;
    return 0;
}

/* An integer of type t, saturating like Java's cast. */
static vg_value int_saturate(vg_type t, u128 v)
{
    u128 hi = t == VG_T_INT ? INT32_MAX : INT64_MAX;
    return vg_int((int64_t)(v > hi ? hi : v));
}

/* v truncated toward zero into an integer type, saturating like Java's cast. */
static vg_value int_trunc(vg_type t, double v)
{
    if (isnan(v))
        return vg_null();
    return v <= 0         ? vg_int(0)
           : v >= 0x1p126 ? int_saturate(t, (u128)1 << 126)
                          : int_saturate(t, (u128)v);
}

static u128 isqrt128(u128 q)
{
    u128 r = (u128)sqrtl((long double)q);
    while (r > 0 && r * r > q)
        r--;
    while ((r + 1) * (r + 1) <= q)
        r++;
    return r;
}

/* The population (den = m) or sample (den = m - 1) variance of integers, as
 * Flink computes it: Calcite rewrites VAR_POP(x) into (SUM(x * x) - SUM(x) *
 * SUM(x) / COUNT(x)) / COUNT(x) in x's integer type (AggregateReduceFunctions
 * Rule, and AvgVarianceConvertlet for OVER), each division truncating, and
 * STDDEV_POP into POWER(that, 0.5) cast back: so VAR_SAMP of 1 and 2 is
 * (5 - 9 / 2) / 1 = 1, not 0. Exact while S1^2 fits (mag: S2 did not wrap),
 * else computed in DOUBLE. */
static vg_value ivar_result(const vg_agg_call *c, const ivar_state *s, bool samp, bool root)
{
    i128 S1 = (i128)get128(s->s1);
    u128 m = (u128)s->n, S2 = get128(s->s2), a1 = S1 < 0 ? -(u128)S1 : (u128)S1;
    u128 den = samp ? m - 1 : m;
    if (s->mag < 0x1p124 && a1 < (u128)1 << 63 && S2 >= a1 * a1 / m) {
        u128 q = (S2 - a1 * a1 / m) / den;
        return int_saturate(c->ret, root ? isqrt128(q) : q);
    }
    double S2d = s->mag < 0x1p124 ? (double)S2 : s->mag, S1d = (double)S1, md = (double)m;
    double var = (S2d - floor(S1d * S1d / md)) / (double)den;
    return int_trunc(c->ret, root ? sqrt(var) : var);
}

/* Of DOUBLEs: Flink's formula, (sum x^2 - (sum x)^2 / m) / m (or m - 1), on
 * the plain sums, whose rounding it then shares to the last digit; when that
 * has lost more than 1e-9 of the value to cancellation (values far from zero
 * or nearly equal), the same formula on the shifted compensated sums. */
static vg_value dvar_result(const dvar_state *s, bool samp, bool root)
{
    if (s->nbad)
        return vg_double(NAN);
    int64_t m = s->n;
    double den = (double)(samp ? m - 1 : m);
    double S1 = s->s1 + s->c1, S2 = s->s2 + s->c2;
    double m2 = S2 - S1 * S1 / (double)m, var = (m2 > 0 ? m2 : 0) / den;
    double flink = (s->r2 - s->r1 * s->r1 / (double)m) / den;
    if (fabs(flink - var) <= 1e-9 * var)
        var = flink;
    return vg_double(root ? sqrt(var) : var);
}

static void var_result(const vg_agg_call *c, const void *st, vg_value *out, bool samp, bool root)
{
    const int64_t n = *(const int64_t *)st;
    if (n <= 0 || (samp && n == 1))
        *out = vg_null();
    else if (is_double(c))
        *out = dvar_result(st, samp, root);
    else
        *out = ivar_result(c, st, samp, root);
}

static void stddev_pop_result(const vg_agg_call *c, const void *st, vg_value *out)
{
    var_result(c, st, out, false, true);
}

static void stddev_samp_result(const vg_agg_call *c, const void *st, vg_value *out)
{
    var_result(c, st, out, true, true);
}

static void var_pop_result(const vg_agg_call *c, const void *st, vg_value *out)
{
    var_result(c, st, out, false, false);
}

static void var_samp_result(const vg_agg_call *c, const void *st, vg_value *out)
{
    var_result(c, st, out, true, false);
}

/* Bytes: DOUBLE u64 rows, u64 non-finite rows, f64 k, s1, c1, s2, c2, r1, r2;
 * integers u64 rows, u64 x4 the two sums' halves, f64 mag. */
static int var_snapshot(const vg_agg_call *c, const void *st, vg_buf *out)
{
    uint64_t w[6];
    double d[7];
    int nw = 0, nd = 0;
    if (is_double(c)) {
        const dvar_state *s = st;
        w[nw++] = (uint64_t)s->n, w[nw++] = (uint64_t)s->nbad;
        d[nd++] = s->k, d[nd++] = s->s1, d[nd++] = s->c1, d[nd++] = s->s2, d[nd++] = s->c2;
        d[nd++] = s->r1, d[nd++] = s->r2;
    } else {
        const ivar_state *s = st;
        w[nw++] = (uint64_t)s->n;
        w[nw++] = s->s1[0], w[nw++] = s->s1[1], w[nw++] = s->s2[0], w[nw++] = s->s2[1];
        d[nd++] = s->mag;
    }
    for (int i = 0; i < nw; i++)
        if (agg_put_u64(out, w[i]) < 0)
            return -1;
    for (int i = 0; i < nd; i++)
        if (agg_put_f64(out, d[i]) < 0)
            return -1;
    return 0;
}

static int var_restore(const vg_agg_call *c, void *st, const char **p, const char *end)
{
    if (is_double(c)) {
        dvar_state *s = st;
        if (restore_i64(p, end, &s->n) < 0 || restore_i64(p, end, &s->nbad) < 0 || s->nbad > s->n)
            return -1;
        double *d[7] = {&s->k, &s->s1, &s->c1, &s->s2, &s->c2, &s->r1, &s->r2};
        for (int i = 0; i < 7; i++)
            if (agg_get_f64(p, end, d[i]) < 0)
                return -1;
        return 0;
    }
    ivar_state *s = st;
    uint64_t *w[4] = {&s->s1[0], &s->s1[1], &s->s2[0], &s->s2[1]};
    if (restore_i64(p, end, &s->n) < 0)
        return -1;
    for (int i = 0; i < 4; i++)
        if (agg_get_u64(p, end, w[i]) < 0)
            return -1;
    return agg_get_f64(p, end, &s->mag);
}

/* ---- the table ---- */

#define ONE_ARG .min_args = 1, .max_args = 1, .ignores_nulls = true
#define SUM_OPS                                                                                    \
    .state_size = sum_size, .init = sum_init, .add = sum_add, .retract = sum_retract,              \
    .merge = sum_merge, .snapshot = sum_snapshot, .restore = sum_restore
#define VAR_OPS                                                                                    \
    .state_size = var_size, .init = var_init, .add = var_add, .retract = var_retract,              \
    .merge = var_merge, .snapshot = var_snapshot, .restore = var_restore

const vg_agg vg_agg_basic_table[] = {
    {.name = "AVG",
     ONE_ARG,
     SUM_OPS,
     .check = avg_check,
     .result = avg_result,
     .synopsis = "AVG([DISTINCT] x)",
     .doc = "The mean of the non-NULL values of x, of x's type: of an INT or BIGINT the "
            "integer sum divided by the count, truncated toward zero (as in Flink); NULL "
            "over no values."},
    {.name = "COUNT",
     ONE_ARG,
     .count_star = true,
     .check = count_check,
     .state_size = count_size,
     .init = count_init,
     .add = count_add,
     .retract = count_retract,
     .merge = count_merge,
     .result = count_result,
     .snapshot = count_snapshot,
     .restore = count_restore,
     .synopsis = "COUNT(*) | COUNT([DISTINCT] x)",
     .doc = "BIGINT: COUNT(*) counts rows, COUNT(x) the rows where x is not NULL; 0 over "
            "no rows."},
    {.name = "STDDEV_POP",
     ONE_ARG,
     VAR_OPS,
     .check = stddev_pop_check,
     .result = stddev_pop_result,
     .synopsis = "STDDEV_POP([DISTINCT] x)",
     .doc = "The population standard deviation of the non-NULL values of x, of x's type "
            "(an integer result is truncated toward zero); NULL over no values."},
    {.name = "STDDEV_SAMP",
     ONE_ARG,
     VAR_OPS,
     .check = stddev_samp_check,
     .result = stddev_samp_result,
     .synopsis = "STDDEV_SAMP([DISTINCT] x)",
     .doc = "The sample standard deviation of the non-NULL values of x, of x's type (an "
            "integer result is truncated toward zero); NULL over fewer than two values."},
    {.name = "SUM",
     ONE_ARG,
     SUM_OPS,
     .check = sum_check,
     .result = sum_result,
     .synopsis = "SUM([DISTINCT] x)",
     .doc = "The sum of the non-NULL values of x, of x's type: as in Flink an INT sum is an "
            "INT and wraps on overflow like INT arithmetic; NULL over no values."},
    {.name = "VARIANCE",
     ONE_ARG,
     VAR_OPS,
     .check = variance_check,
     .result = var_samp_result,
     .synopsis = "VARIANCE([DISTINCT] x)",
     .doc = "The same as VAR_SAMP(x)."},
    {.name = "VAR_POP",
     ONE_ARG,
     VAR_OPS,
     .check = var_pop_check,
     .result = var_pop_result,
     .synopsis = "VAR_POP([DISTINCT] x)",
     .doc = "The population variance of the non-NULL values of x, of x's type (an integer "
            "result is truncated toward zero); NULL over no values."},
    {.name = "VAR_SAMP",
     ONE_ARG,
     VAR_OPS,
     .check = var_samp_check,
     .result = var_samp_result,
     .synopsis = "VAR_SAMP([DISTINCT] x)",
     .doc = "The sample variance of the non-NULL values of x, of x's type (an integer "
            "result is truncated toward zero); NULL over fewer than two values."},
};
const size_t vg_agg_basic_count = sizeof vg_agg_basic_table / sizeof vg_agg_basic_table[0];
