/*
 * dtoa.c — numbers as decimal text (see dtoa.h): the text of a DOUBLE,
 * which is by definition the first of %.15g, %.16g, %.17g that strtod
 * reads back, and the digits of integers.
 *
 * printf and strtod would take a microsecond or so per double; a row of
 * features holds a dozen. So the text is worked out here, exactly, in
 * three ways, the cheapest that applies first:
 *
 *   - short decimals (money, averages of few of them, counts):
 *     |d| = m / 10^k for some k <= 3 (format_fixed3): one multiplication,
 *     one rounding and one division tell;
 *   - 1e-4 <= |d| < 1e15, where %g writes no exponent (format_exact):
 *     |d| = m * 2^-s exactly, so the digits printf rounds it to and whether
 *     they read back are integer arithmetic on 128 bits;
 *   - the rest (huge, tiny, subnormal, and the few values that round up
 *     to 1e15): printf and strtod themselves.
 *
 * Why the first way gives what %g would: a normal double's rounding
 * interval is narrower than the gap between decimals of 15 significant
 * digits, so at most one such decimal reads back to it; a decimal of at
 * most 15 digits that reads back is that one, and %.15g finds it (and %g
 * drops its trailing zeros). The second way is printf's rule itself:
 * round the exact value half to even at 15, 16, 17 digits, and check that
 * the result lies within the double's rounding interval (the midpoints to
 * its neighbours, included when its last bit is even, as strtod rounds).
 * tests/unit/test_dtoa.c holds all three against printf and strtod over
 * millions of doubles of every kind; tests/bench/bench_dtoa.c times them
 * against printf and strtod.
 *
 * Digits are written two at a time from a table, eight at a time from
 * one 64-bit division; text is put together in a scratch area with copies
 * of fixed sizes, and a row's repeated values (a frame of one row has the
 * same sum, maximum and average) come from a small memo of the last texts.
 */
#include "engine/dtoa.h"

#include <float.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "digits8 lays digits out for a little-endian machine"
#endif

typedef unsigned __int128 u128;

/* ---- digits ---- */

static const char pairs[201] = "00010203040506070809101112131415161718192021222324252627282930"
                               "31323334353637383940414243444546474849505152535455565758596061"
                               "62636465666768697071727374757677787980818283848586878889909192"
                               "93949596979899";

/* 10^k for 0 <= k <= 19. */
static const uint64_t pow10_u64[20] = {
    1ull,
    10ull,
    100ull,
    1000ull,
    10000ull,
    100000ull,
    1000000ull,
    10000000ull,
    100000000ull,
    1000000000ull,
    10000000000ull,
    100000000000ull,
    1000000000000ull,
    10000000000000ull,
    100000000000000ull,
    1000000000000000ull,
    10000000000000000ull,
    100000000000000000ull,
    1000000000000000000ull,
    10000000000000000000ull,
};

/* How many decimal digits u has (1 for 0): from its bit length, which
 * tells the count to within one. */
static inline int count_digits(uint64_t u)
{
    int t = (64 - __builtin_clzll(u | 1)) * 1233 >> 12; /* floor(bits * log10(2)), near enough */
    return t - ((u | 1) < pow10_u64[t]) + 1;
}

/* The 8 digits of v < 10^8 (zeros in front) as the 8 bytes of a word, in
 * memory order on a little-endian machine: v's halves of 4 digits go in
 * lanes of 32 bits, their pairs of digits in lanes of 16, the digits in
 * bytes, each split by a multiplication and a shift (a / 100 is
 * a * 5243 >> 19 for a < 10^4, and a / 10 is a * 103 >> 10 for a < 100;
 * no lane overflows into the next, and the mask drops what a shift brings
 * down from it). */
static inline uint64_t digits8(uint32_t v)
{
    uint64_t x = (v / 10000) | (uint64_t)(v % 10000) << 32;
    uint64_t q = (x * 5243 >> 19) & 0x0000007F0000007Full;
    uint64_t y = q | (x - q * 100) << 16;
    uint64_t t = (y * 103 >> 10) & 0x000F000F000F000Full;
    return (t | (y - t * 10) << 8) + 0x3030303030303030ull;
}

/* u < 10^w as exactly w digits (zeros in front; 1 <= w <= 20) at
 * p[0..w); p has room for 24 bytes, what is past w being scratch. */
static void put_digits(uint64_t u, int w, char *p)
{
    if (w <= 8) {
        uint64_t d = digits8((uint32_t)u) >> (8 * (8 - w)); /* (little-endian) */
        memcpy(p, &d, 8);
        return;
    }
    uint64_t hi = u / 100000000, d[3];
    d[0] = digits8((uint32_t)(hi / 100000000)); /* < 10^4: u < 2^64 */
    d[1] = digits8((uint32_t)(hi % 100000000));
    d[2] = digits8((uint32_t)(u - hi * 100000000));
    char t[48] = {0};
    memcpy(t, d, 24);
    memcpy(p, t + 24 - w, 24);
}

int vg_dtoa_u64(uint64_t u, char *buf)
{
    if (u < 100) { /* counts, mostly */
        if (u < 10) {
            buf[0] = (char)('0' + u);
            return 1;
        }
        memcpy(buf, pairs + 2 * u, 2);
        return 2;
    }
    int n = count_digits(u);
    put_digits(u, n, buf);
    return n;
}

int vg_dtoa_i64(int64_t v, char *buf)
{
    if (v >= 0)
        return vg_dtoa_u64((uint64_t)v, buf);
    buf[0] = '-';
    return 1 + vg_dtoa_u64(0 - (uint64_t)v, buf + 1);
}

/* ---- short decimals ---- */

/* The text of m / 10^k (k <= 3, m < 2^53): its digits with a point before
 * the last k, one digit at least on either side ("0.05", "3.0"); out has
 * room for 48 bytes. */
static int put_scaled(bool neg, uint64_t m, int k, char *out)
{
    char *o = out;
    *o = '-';
    o += neg;
    int nd = count_digits(m);
    if (nd <= k)
        nd = k + 1; /* "0." in front */
    put_digits(m, nd, o);
    o += nd - k;
    uint32_t frac; /* the k digits after the point, which move up by one */
    memcpy(&frac, o, 4);
    if (!k)
        frac = '0';
    *o = '.';
    memcpy(o + 1, &frac, 4);
    o += 1 + (k ? k : 1);
    *o = 0;
    return (int)(o - out);
}

/* put_scaled of u / 1000 (u < 10^8) less its trailing zeros, from one
 * word of digits: the whole digits (one at least), the point, and the
 * three after it without the zeros at their end ("0" when all are). */
static int put_milli(bool neg, uint32_t u, char *out)
{
    int w = count_digits(u);
    if (w < 4)
        w = 4;                                       /* "0.xyz" */
    uint64_t dw = digits8(u) >> (8 * (8 - w));       /* the w digits, first in the low byte */
    uint32_t frac = (uint32_t)(dw >> (8 * (w - 3))); /* the last three */
    uint32_t z = frac ^ 0x303030;                    /* zero bytes where '0' */
    int k = z ? 3 - (__builtin_clz(z) - 8) / 8 : 0;  /* digits after the point that count */
    char *o = out;
    *o = '-';
    o += neg;
    memcpy(o, &dw, 8);
    o += w - 3;
    *o = '.';
    if (!k) {
        frac = '0';
        k = 1;
    }
    memcpy(o + 1, &frac, 4);
    o += 1 + k;
    *o = 0;
    return (int)(o - out);
}

/* |d| = m / 10^k for the least such 0 <= k <= 3, when |d| * 1000 < 2^50:
 * if there is such an m, then m * 10^(3 - k) is |d| * 1000 rounded (|d| is
 * within half an ulp of m / 10^k, and 1000 times that is far below one
 * half), and its division by 1000 is the same correctly rounded quotient;
 * conversely a quotient that equals d gives its least k once its zeros are
 * dropped. 0 when there is none, -1 when it cannot tell (|d| * 1000 >= 2^50
 * but |d| < 1e15: format_fixed then). */
static int format_fixed3(double d, char *out)
{
    double a = fabs(d), t = a * 1000;
    if (!(a >= 1e-4 && t < 0x1p50))
        return a >= 1e-4 && a < 1e15 ? -1 : 0;
    double m = (t + 0x1p52) - 0x1p52; /* nearbyint(t) */
    if (m / 1000 != a)
        return 0;
    uint64_t u = (uint64_t)(int64_t)m; /* (m < 2^50) */
    if (u < 100000000)
        return put_milli(d < 0, (uint32_t)u, out);
    int k = 3;
    for (; k > 0 && u % 10 == 0; k--)
        u /= 10;
    return put_scaled(d < 0, u, k, out);
}

/* The same for 1e-4 <= |d| < 1e15 and k <= 3, by trying each k: m / 10^k
 * is one correctly rounded division, so equality means strtod reads the
 * text back as d. 0 when no k does. */
static int format_fixed(double d, char *out)
{
    double a = fabs(d), p10 = 1;
    if (!(a >= 1e-4 && a < 1e15))
        return 0;
    for (int k = 0; k <= 3; k++, p10 *= 10) {
        double t = a * p10, m = t >= 0x1p52 ? t : (t + 0x1p52) - 0x1p52; /* nearbyint(t) */
        if (m >= 9007199254740992.0)
            return 0;
        if (m / p10 == a)
            return put_scaled(d < 0, (uint64_t)m, k, out);
    }
    return 0;
}

/* ---- exactly, on 128 bits ---- */

/* 10^k for 0 <= k <= 21. */
static const u128 pow10_u128[22] = {
    1u,
    10u,
    100u,
    1000u,
    10000u,
    100000u,
    1000000u,
    10000000u,
    100000000u,
    1000000000u,
    10000000000u,
    100000000000u,
    1000000000000u,
    10000000000000u,
    100000000000000u,
    1000000000000000u,
    10000000000000000u,
    100000000000000000u,
    1000000000000000000u,
    10000000000000000000u,
    (u128)10000000000000000000u * 10,
    (u128)10000000000000000000u * 100,
};

/* Whether a decimal reads back (strtod, to nearest, ties to even) as the
 * double m * 2^-s, where num = m * scale is the double times 10^k * 2^s
 * and the decimal is dist away from num (in those units), below it or
 * not: it lies between the midpoints to the double's neighbours, half an
 * ulp away (scale / 2 in these units), or a quarter below a power of two,
 * whose lower neighbour is nearer. */
static bool reads_back(uint64_t m, u128 scale, u128 dist, bool below)
{
    u128 twice = m == (uint64_t)1 << 52 && below ? 4 * dist : 2 * dist;
    return twice < scale || (twice == scale && !(m & 1));
}

/* reads_back when scale < 2^64 and dist < 2^61. */
static bool reads_back64(uint64_t m, uint64_t scale, uint64_t dist, bool below)
{
    uint64_t twice = m == (uint64_t)1 << 52 && below ? 4 * dist : 2 * dist;
    return twice < scale || (twice == scale && !(m & 1));
}

/* %g's fixed notation of q * 10^(x - p + 1) (q of p digits, -4 <= x < p),
 * trailing zeros dropped, and ".0" after an integer; out has room for 48
 * bytes. */
static int put_fixed(bool neg, uint64_t q, int p, int x, char *out)
{
    char dg[32] = {0};
    put_digits(q, p, dg);
    int nd = p;
    while (nd > 1 && dg[nd - 1] == '0')
        nd--;
    char *o = out;
    *o = '-';
    o += neg;
    if (x < 0) {
        memcpy(o, "0.000000", 8); /* "0." and -x - 1 zeros (the rest is overwritten) */
        o += 1 - x;
        memcpy(o, dg, 24); /* nd of them count */
        o += nd;
    } else {
        memcpy(o, dg, 24); /* the x + 1 whole digits count */
        o += x + 1;
        *o = '.';
        if (nd > x + 1) {
            memcpy(o + 1, dg + x + 1, 16); /* the nd - x - 1 after the point count */
            o += nd - x;
        } else {
            o[1] = '0';
            o += 2;
        }
    }
    *o = 0;
    return (int)(o - out);
}

/* format_exact's loop when s <= 59, on num = q * 2^s + r (r < 2^s) split
 * once: r and the bounds stay below 2^63, and ten times num is
 * 10q + (10r >> s) whole and (10r mod 2^s) over. */
static int exact_digits64(bool neg, uint64_t m, int s, int e, uint64_t q0, uint64_t r0, char *out)
{
    const uint64_t one = (uint64_t)1 << s, half = one >> 1;
    for (int p = 15; p <= 17; p++) { /* q0 * 2^s + r0 = m * 10^(p - 1 - e) */
        uint64_t q = q0, r = r0;
        int x = e;
        bool up = r > half || (r == half && (q & 1));
        q += up;
        if (q == pow10_u64[p]) { /* rounded up to the next power of ten */
            q = pow10_u64[p - 1];
            x++;
        }
        if (x >= p)
            return 0;
        if (p == 17 || reads_back64(m, pow10_u64[p - 1 - e], up ? one - r : r, !up))
            return put_fixed(neg, q, p, x, out);
        r0 *= 10;
        q0 = q0 * 10 + (r0 >> s);
        r0 &= one - 1;
    }
    return 0;
}

/* printf's %.15g, %.16g or %.17g of d, the first that reads back, for
 * 1e-4 <= |d| < 1e15, without printf or strtod: |d| = m * 2^-s exactly (m
 * of 53 bits, 3 <= s <= 66), so |d| * 10^k, the p significant digits
 * printf rounds it to (to nearest, ties to even, as glibc does) and the
 * midpoints between d and its neighbours that decide what strtod reads back
 * all fit in 128-bit integers. 0 when %g would write an exponent (|d|
 * rounds up to 1e15 at 15 digits). */
static int format_exact(double d, char *out)
{
    double a = fabs(d);
    uint64_t bits;
    memcpy(&bits, &a, sizeof bits);
    uint64_t m = (bits & (((uint64_t)1 << 52) - 1)) | (uint64_t)1 << 52;
    int s = 1075 - (int)(bits >> 52);
    /* the decimal exponent of a, maybe one low: floor(log2(a) * log10(2)) */
    int e = (int)(((int64_t)(bits >> 52) - 1023) * 78913 >> 18);
    u128 num;
    for (;;) {
        num = (u128)m * pow10_u64[14 - e]; /* a * 10^(14 - e) * 2^s */
        u128 fl = num >> s;
        if (fl >= pow10_u64[15])
            e++;
        else if (fl < pow10_u64[14])
            e--;
        else
            break;
    }
    if (s <= 59) /* |d| >= 2^-7: the rest is 64-bit arithmetic */
        return exact_digits64(d < 0, m, s, e, (uint64_t)(num >> s),
                              (uint64_t)num & (((uint64_t)1 << s) - 1), out);
    u128 one = (u128)1 << s, half = one >> 1;
    for (int p = 15; p <= 17; p++, num *= 10) { /* num = m * 10^(p - 1 - e) = a * that * 2^s */
        uint64_t q = (uint64_t)(num >> s);
        u128 r = num & (one - 1);
        int x = e;
        bool up = r > half || (r == half && (q & 1)); /* q * 2^s is r below num, or one - r above */
        q += up;
        if (q == pow10_u64[p]) { /* rounded up to the next power of ten */
            q = pow10_u64[p - 1];
            x++;
        }
        if (x >= p)
            return 0;
        if (p == 17 || reads_back(m, pow10_u128[p - 1 - e], up ? one - r : r, !up))
            return put_fixed(d < 0, q, p, x, out);
    }
    return 0;
}

/* ---- printf ---- */

/* printf d with precision prec into out; true when it reads back exactly. */
static bool format_printf(double d, int prec, char *out, int *len)
{
    *len = snprintf(out, VG_DTOA_ROOM, "%.*g", prec, d);
    return strtod(out, NULL) == d;
}

/* The definition itself, for what the ways above leave. */
static int format_slow(double d, char *out)
{
    int len = 0;
    int prec = d != 0 && fabs(d) < DBL_MIN ? 1 : 15; /* subnormals carry fewer digits */
    while (!format_printf(d, prec, out, &len) && prec < 17)
        prec++;
    return len;
}

/* ---- the text of a double ---- */

/* d's text into out (48 bytes of room). */
static int format(double d, char *out)
{
    if (!isfinite(d)) {
        memcpy(out, "null", 5);
        return 4;
    }
    int len = format_fixed3(d, out); /* money, counts, most short decimals */
    if (len < 0)
        len = format_fixed(d, out);
    if (len > 0)
        return len;
    double a = fabs(d);
    if (a >= 1e-4 && a < 1e15 && (len = format_exact(d, out)) > 0)
        return len;
    len = format_slow(d, out);
    if (!strpbrk(out, ".eni")) { /* an integer: make it read as a DOUBLE */
        memcpy(out + len, ".0", 3);
        len += 2;
    }
    return len;
}

/* The texts of the last few doubles formatted, by their bits: a row of
 * features often holds one value several times (the sum and the maximum of
 * a frame of one row are its amount). One per thread. */
#define MEMO_SIZE 8

typedef struct memo {
    uint64_t bits;           /* the double's bits; 0 (0.0) with len 0 when unused */
    uint32_t len;            /* the text's length */
    char text[VG_DTOA_ROOM]; /* the text, NUL-terminated */
} memo;

static _Thread_local memo memos[MEMO_SIZE];

/* A double that is not in its memo slot m: formatted, and put there. */
static __attribute__((noinline)) int format_into(double d, uint64_t bits, memo *m, char *buf)
{
    char out[48] = {0};
    int len = format(d, out);
    memcpy(buf, out, VG_DTOA_ROOM);
    memcpy(m->text, out, VG_DTOA_ROOM);
    m->bits = bits;
    m->len = (uint32_t)len;
    return len;
}

int vg_dtoa_double(double d, char *buf)
{
    uint64_t bits;
    memcpy(&bits, &d, sizeof bits);
    memo *m = &memos[(bits ^ bits >> 29 ^ bits >> 47) % MEMO_SIZE];
    if (m->bits != bits || !m->len)
        return format_into(d, bits, m, buf);
    memcpy(buf, m->text, VG_DTOA_ROOM);
    return (int)m->len;
}
