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
 * one 64-bit division; text is put together with stores of whole words
 * that are never read back ("text out" below), and a row's repeated values
 * (a frame of one row has the same sum, maximum and average) come from a
 * small memo of the last texts.
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

/* ---- text out ----
 *
 * A text is put together with stores of whole words at overlapping
 * offsets (a later store overwrites the padding an earlier one left), and
 * never read back: a load of bytes that several narrower stores have just
 * written waits until they reach the cache (store forwarding fails), which
 * costs more than making the text. So each store goes to two places at
 * once, the caller's buffer and the memo's copy (vg_dtoa_double), or to the
 * same place twice. */

/* Where a text goes: a and b get the same bytes. */
typedef struct dst {
    char *a; /* the caller's buffer */
    char *b; /* the memo's copy, or a again */
} dst;

static inline void st8(dst o, size_t at, uint64_t w)
{
    memcpy(o.a + at, &w, 8);
    memcpy(o.b + at, &w, 8);
}

static inline void st4(dst o, size_t at, uint32_t w)
{
    memcpy(o.a + at, &w, 4);
    memcpy(o.b + at, &w, 4);
}

static inline void st1(dst o, size_t at, char c)
{
    o.a[at] = c;
    o.b[at] = c;
}

/* The 20 digits of u (zeros in front) as digits8 words w[1..3) and, in
 * w[0], the first four of them; u < 10^8 fills w[2] alone. */
static inline void digits_of(uint64_t u, uint64_t w[3])
{
    if (u < 100000000) {
        w[0] = w[1] = 0x3030303030303030ull;
        w[2] = digits8((uint32_t)u);
        return;
    }
    uint64_t hi = u / 100000000;
    w[0] = digits8((uint32_t)(hi / 100000000)); /* < 10^4: u < 2^64 */
    w[1] = digits8((uint32_t)(hi % 100000000));
    w[2] = digits8((uint32_t)(u - hi * 100000000));
}

/* The last n (1 <= n <= 20) of the digits w at o + at, in one store per
 * word; bytes up to o + at + max(n, 8) may be written. */
static inline void put_last(dst o, size_t at, const uint64_t w[3], int n)
{
    if (n <= 8) {
        st8(o, at, w[2] >> (8 * (8 - n))); /* (little-endian: the first digit is the low byte) */
    } else if (n <= 16) {
        st8(o, at, w[1] >> (8 * (16 - n)));
        st8(o, at + (size_t)n - 8, w[2]);
    } else {
        st8(o, at, w[0] >> (8 * (24 - n)));
        st8(o, at + (size_t)n - 16, w[1]);
        st8(o, at + (size_t)n - 8, w[2]);
    }
}

/* How many '0' digits the digits w end with (q > 0: fewer than 20). */
static inline int trailing_zeros(const uint64_t w[3])
{
    const uint64_t zeros = 0x3030303030303030ull;
    for (int i = 2, k = 0; i >= 0; i--, k += 8)
        if (w[i] != zeros) /* the last digit is the high byte */
            return k + __builtin_clzll(w[i] ^ zeros) / 8;
    return 24;
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
    if (n <= 8) {
        uint64_t d = digits8((uint32_t)u) >> (8 * (8 - n));
        memcpy(buf, &d, 8);
        return n;
    }
    uint64_t w[3];
    digits_of(u, w);
    put_last((dst){buf, buf}, 0, w, n);
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
 * the last k, one digit at least on either side ("0.05", "3.0"), at o
 * (writing at most 28 bytes); its length. */
static __attribute__((noinline)) int put_scaled(dst o, bool neg, uint64_t m, int k)
{
    uint64_t w[3];
    digits_of(m, w);
    int nd = count_digits(m);
    if (nd <= k)
        nd = k + 1; /* "0." in front */
    size_t at = neg;
    st1(o, 0, '-');
    put_last(o, at, w, nd);
    at += (size_t)(nd - k); /* the whole digits */
    if (!k) {
        st4(o, at, '.' | '0' << 8);
        at += 2;
    } else {
        st1(o, at, '.');
        put_last(o, at + 1, w, k); /* the k after the point, again */
        at += 1 + (size_t)k;
    }
    st1(o, at, 0);
    return (int)at;
}

/* put_scaled of u / 1000 (u < 10^8) less its trailing zeros, from one
 * word of digits: the whole digits (one at least), the point, and the
 * three after it without the zeros at their end ("0" when all are). */
static int put_milli(dst o, bool neg, uint32_t u)
{
    int w = count_digits(u);
    if (w < 4)
        w = 4;                                       /* "0.xyz" */
    uint64_t dw = digits8(u) >> (8 * (8 - w));       /* the w digits, first in the low byte */
    uint32_t frac = (uint32_t)(dw >> (8 * (w - 3))); /* the last three, and a zero byte */
    uint32_t z = frac ^ 0x303030;                    /* zero bytes where '0' */
    int k = z ? 3 - (__builtin_clz(z) - 8) / 8 : 0;  /* digits after the point that count */
    size_t at = neg;
    st1(o, 0, '-');
    st8(o, at, dw);
    at += (size_t)w - 3;
    if (!k) {
        frac = '0';
        k = 1;
    }
    st1(o, at, '.');
    st4(o, at + 1, frac);
    at += 1 + (size_t)k;
    st1(o, at, 0);
    return (int)at;
}

/* |d| = m / 10^k for the least such 0 <= k <= 3, when |d| * 1000 < 2^50:
 * if there is such an m, then m * 10^(3 - k) is |d| * 1000 rounded (|d| is
 * within half an ulp of m / 10^k, and 1000 times that is far below one
 * half), and its division by 1000 is the same correctly rounded quotient;
 * conversely a quotient that equals d gives its least k once its zeros are
 * dropped. 0 when there is none, -1 when it cannot tell (|d| * 1000 >= 2^50
 * but |d| < 1e15: format_fixed then). */
static int format_fixed3(double d, dst out)
{
    double a = fabs(d), t = a * 1000;
    if (!(a >= 1e-4 && t < 0x1p50))
        return a >= 1e-4 && a < 1e15 ? -1 : 0;
    double m = (t + 0x1p52) - 0x1p52; /* nearbyint(t) */
    if (m / 1000 != a)
        return 0;
    uint64_t u = (uint64_t)(int64_t)m; /* (m < 2^50) */
    if (u < 100000000)
        return put_milli(out, d < 0, (uint32_t)u);
    int k = 3;
    for (; k > 0 && u % 10 == 0; k--)
        u /= 10;
    return put_scaled(out, d < 0, u, k);
}

/* The same for 1e-4 <= |d| < 1e15 and k <= 3, by trying each k: m / 10^k
 * is one correctly rounded division, so equality means strtod reads the
 * text back as d. 0 when no k does. */
static int format_fixed(double d, dst out)
{
    double a = fabs(d), p10 = 1;
    if (!(a >= 1e-4 && a < 1e15))
        return 0;
    for (int k = 0; k <= 3; k++, p10 *= 10) {
        double t = a * p10, m = t >= 0x1p52 ? t : (t + 0x1p52) - 0x1p52; /* nearbyint(t) */
        if (m >= 9007199254740992.0)
            return 0;
        if (m / p10 == a)
            return put_scaled(out, d < 0, (uint64_t)m, k);
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

/* %g's fixed notation of q * 10^(x - p + 1) (q > 0 of p digits, -4 <= x <
 * p <= 17), trailing zeros dropped, and ".0" after an integer, at o
 * (writing at most 28 bytes); its length. */
static int put_fixed(dst o, bool neg, uint64_t q, int p, int x)
{
    uint64_t w[3];
    digits_of(q, w);
    int nd = p - trailing_zeros(w); /* the digits that count */
    size_t at = neg;
    st1(o, 0, '-');
    if (x < 0) {
        st8(o, at, 0x3030303030302e30ull); /* "0.000000": "0." and -x - 1 zeros */
        at += (size_t)(1 - x);
        put_last(o, at, w, p); /* nd of them count */
        at += (size_t)nd;
    } else {
        put_last(o, at, w, p); /* the x + 1 whole digits count */
        at += (size_t)x + 1;
        if (nd > x + 1) {
            st1(o, at, '.');
            put_last(o, at + 1, w, p - x - 1); /* the nd - x - 1 after the point count */
            at += (size_t)(nd - x);
        } else {
            st4(o, at, '.' | '0' << 8);
            at += 2;
        }
    }
    st1(o, at, 0);
    return (int)at;
}

/* format_exact's loop when s <= 59, on num = q * 2^s + r (r < 2^s) split
 * once: r and the bounds stay below 2^63, and ten times num is
 * 10q + (10r >> s) whole and (10r mod 2^s) over. */
static int exact_digits64(dst out, bool neg, uint64_t m, int s, int e, uint64_t q0, uint64_t r0)
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
            return put_fixed(out, neg, q, p, x);
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
static int format_exact(double d, dst out)
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
        return exact_digits64(out, d < 0, m, s, e, (uint64_t)(num >> s),
                              (uint64_t)num & (((uint64_t)1 << s) - 1));
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
            return put_fixed(out, d < 0, q, p, x);
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

/* The definition itself, for what the ways above leave: into out (48 bytes
 * of room), with ".0" after an integer. */
static int format_slow(double d, char *out)
{
    int len = 0;
    int prec = d != 0 && fabs(d) < DBL_MIN ? 1 : 15; /* subnormals carry fewer digits */
    while (!format_printf(d, prec, out, &len) && prec < 17)
        prec++;
    if (!strpbrk(out, ".eni")) { /* an integer: make it read as a DOUBLE */
        memcpy(out + len, ".0", 3);
        len += 2;
    }
    return len;
}

/* ---- the text of a double ---- */

/* format's ways after format_fixed3 (len is what it gave: 0 or -1), out
 * of line: the common case keeps few registers. */
static __attribute__((noinline)) int format_rest(double d, dst o, int len)
{
    if (len < 0)
        len = format_fixed(d, o);
    if (len > 0)
        return len;
    double a = fabs(d);
    if (a >= 1e-4 && a < 1e15 && (len = format_exact(d, o)) > 0)
        return len;
    char out[48] = {0};
    len = format_slow(d, out);
    memcpy(o.a, out, VG_DTOA_ROOM);
    memcpy(o.b, out, VG_DTOA_ROOM);
    return len;
}

/* d's text at o (VG_DTOA_ROOM bytes of room); its length. */
static inline int format(double d, dst o)
{
    if (!isfinite(d)) {
        st8(o, 0, 0x6c6c756e); /* "null" */
        return 4;
    }
    int len = format_fixed3(d, o); /* money, counts, most short decimals */
    return len > 0 ? len : format_rest(d, o, len);
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
    int len = format(d, (dst){buf, m->text});
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
