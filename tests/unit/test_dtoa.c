/*
 * test_dtoa.c — engine/dtoa: a double's text against its definition, the
 * first of printf's %.15g, %.16g, %.17g that strtod reads back (for a
 * subnormal the first %.Ng from N = 1), with ".0" after an integer; every
 * text reads back to the same bits; integers against printf.
 *
 * The random part draws DTOA_TEST_COUNT (default 100000) values of each
 * of 11 kinds; DTOA_TEST_COUNT=10000000 checks 110 million.
 */
#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/dtoa.h"
#include "engine/value.h"
#include "tests/unit/check.h"

/* The definition, with printf and strtod. */
static void reference(double d, char *buf)
{
    if (!isfinite(d)) {
        strcpy(buf, "null");
        return;
    }
    int p = d != 0 && fabs(d) < DBL_MIN ? 1 : 15;
    for (; p <= 17; p++) {
        snprintf(buf, 40, "%.*g", p, d);
        if (strtod(buf, NULL) == d)
            break;
    }
    if (!strpbrk(buf, ".eni"))
        strcat(buf, ".0");
}

static const char *text(double d)
{
    static char buf[VG_DTOA_ROOM + 8];
    int n = vg_dtoa_double(d, buf);
    return (size_t)n == strlen(buf) ? buf : "bad length";
}

/* 0 when d's text is the reference's and reads back to d's bits (NaN and
 * infinities: "null"); else 1, and the first few are printed. */
static int differs(double d)
{
    static int shown;
    char want[48], got[VG_DTOA_ROOM + 8];
    reference(d, want);
    int n = vg_dtoa_double(d, got);
    bool same = strcmp(want, got) == 0 && (size_t)n == strlen(got);
    if (same && isfinite(d)) {
        double back = strtod(got, NULL);
        same = memcmp(&back, &d, sizeof d) == 0 ||
               (d == 0 && back == 0 && signbit(d) == signbit(back));
    }
    if (!same && shown++ < 10)
        fprintf(stderr, "  %a: got \"%s\", want \"%s\"\n", d, got, want);
    return !same;
}

static uint64_t rng = 0x9E3779B97F4A7C15ull;

static uint64_t next(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static double from_bits(uint64_t b)
{
    double d;
    memcpy(&d, &b, sizeof d);
    return d;
}

/* 10^i - 1 (0 <= i < 20): i nines. */
static uint64_t pow10_u64_minus1(int i)
{
    uint64_t p = 1;
    while (i-- > 0)
        p *= 10;
    return p - 1;
}

static void test_cases(void)
{
    CHECK_STR(text(0.0), "0.0");
    CHECK_STR(text(-0.0), "-0.0");
    CHECK_STR(text(3), "3.0");
    CHECK_STR(text(-2.5), "-2.5");
    CHECK_STR(text(0.1), "0.1");
    CHECK_STR(text(0.1 + 0.2), "0.30000000000000004");
    CHECK_STR(text(1.0 / 3), "0.3333333333333333");
    CHECK_STR(text(2.0 / 3), "0.6666666666666666");
    CHECK_STR(text(123.45), "123.45");
    CHECK_STR(text(0.0001), "0.0001");
    CHECK_STR(text(0.00011), "0.00011");
    CHECK_STR(text(0.00009), "9e-05");
    CHECK_STR(text(1e-7), "1e-07");
    CHECK_STR(text(999999999999999.0), "999999999999999.0");
    CHECK_STR(text(999999999999999.9), "999999999999999.9");
    CHECK_STR(text(100000000000000.0), "100000000000000.0");
    CHECK_STR(text(1e15), "1e+15");
    CHECK_STR(text(1e21), "1e+21");
    CHECK_STR(text(123456789012345680.0), "1.2345678901234568e+17");
    CHECK_STR(text(9007199254740992.0), "9007199254740992.0");
    CHECK_STR(text(9007199254740993.0), "9007199254740992.0");
    CHECK_STR(text(9007199254740994.0), "9007199254740994.0");
    CHECK_STR(text(5e-324), "5e-324");
    CHECK_STR(text(-5e-324), "-5e-324");
    CHECK_STR(text(DBL_MIN), "2.2250738585072014e-308");
    CHECK_STR(text(DBL_MAX), "1.7976931348623157e+308");
    CHECK_STR(text(-DBL_MAX), "-1.7976931348623157e+308");
    CHECK_STR(text(NAN), "null");
    CHECK_STR(text(INFINITY), "null");
    CHECK_STR(text(-INFINITY), "null");
    /* vg_double_format is this */
    char buf[VG_DTOA_ROOM];
    CHECK_INT(vg_double_format(0.5, buf), 3);
    CHECK_STR(buf, "0.5");
}

/* Kinds of doubles near and far from every way through the formatter. */
static void test_edges(void)
{
    int bad = 0, n = 0;
    for (int e = -1074; e <= 1023; e++) { /* every power of two and its neighbours */
        double x = ldexp(1.0, e);
        double xs[4] = {x, nextafter(x, 0), nextafter(x, INFINITY), -x};
        for (int i = 0; i < 4; i++, n++)
            bad += differs(xs[i]);
    }
    for (int e = -325; e <= 308; e++) { /* every power of ten and its neighbours */
        double x = pow(10, e);
        double xs[5] = {x, nextafter(x, 0), nextafter(x, INFINITY), 5 * x, 9.999999999999999 * x};
        for (int i = 0; i < 5; i++, n++)
            bad += differs(xs[i]);
    }
    for (uint64_t m = 0; m < 200000; m++, n += 3) { /* integers, and near 2^53 */
        bad += differs((double)m);
        bad += differs((double)((1ull << 53) - 100000 + m));
        bad += differs((double)m * 1e10);
    }
    for (int i = 0; i < 20000; i++, n += 4) { /* subnormals, the largest finite */
        bad += differs(from_bits(next() % 0x0010000000000000ull));
        bad += differs(from_bits(i + 1));
        bad += differs(from_bits(0x7fefffffffffffffull - (uint64_t)i));
        bad += differs(from_bits(0x0010000000000000ull + (uint64_t)i));
    }
    CHECK_INT(n, 2098 * 4 + 634 * 5 + 200000 * 3 + 20000 * 4);
    CHECK_INT(bad, 0);
}

static void test_random(void)
{
    const char *env = getenv("DTOA_TEST_COUNT");
    long count = env ? atol(env) : 100000;
    long bad = 0, n = 0;
    for (long i = 0; i < count; i++) {
        double sum = 0;
        int k = 1 + (int)(next() % 30);
        for (int j = 0; j < k; j++)
            sum += (double)(next() % 100000) / 100.0; /* a frame of payments */
        double u = (double)(next() >> 11) * 0x1p-53;
        double xs[11] = {
            from_bits(next()),                                /* any bits */
            (double)(int64_t)(next() % 100000000) / 100.0,    /* money */
            (double)(int64_t)(next() % 10000000000ull) / 1e6, /* six decimals */
            sum,                                              /* their sums */
            sum / k,                                          /* averages */
            u * pow(10, (int)(next() % 24) - 6),              /* 1e-6 .. 1e18 */
            -u * pow(10, (int)(next() % 24) - 6),
            ldexp((double)(next() >> 11), (int)(next() % 140) - 100), /* 2^-100 .. 2^92 */
            (double)(next() >> (next() % 64)),                        /* integers */
            (double)(next() % 1000000) / 1000.0 + 1e12,               /* where k <= 3 ends */
            nextafter((double)(next() % 100000) / 100.0, (next() & 1) ? 0 : INFINITY),
        };
        for (int j = 0; j < 11; j++, n++)
            bad += differs(xs[j]);
    }
    CHECK(n == 11 * count);
    CHECK_INT(bad, 0);
}

static void test_integers(void)
{
    char got[VG_DTOA_ROOM + 8], want[32];
    int bad = 0;
    const int64_t edges[] = {0,
                             1,
                             -1,
                             9,
                             10,
                             99,
                             100,
                             12345678,
                             99999999,
                             100000000,
                             INT64_MAX,
                             INT64_MIN,
                             INT64_MIN + 1,
                             1000000000000000000LL};
    for (size_t i = 0; i < sizeof edges / sizeof *edges; i++) {
        int n = vg_dtoa_i64(edges[i], got);
        got[n] = 0;
        snprintf(want, sizeof want, "%" PRId64, edges[i]);
        bad += strcmp(got, want) != 0;
    }
    for (uint64_t p = 1, k = 0; k < 20; k++, p *= 10) {
        uint64_t us[3] = {p - 1, p, p + 1};
        for (int j = 0; j < 3; j++) {
            int n = vg_dtoa_u64(us[j], got);
            got[n] = 0;
            snprintf(want, sizeof want, "%" PRIu64, us[j]);
            bad += strcmp(got, want) != 0;
        }
    }
    for (int i = 0; i < 1000000; i++) {
        uint64_t u = next() >> (next() % 64);
        int n = vg_dtoa_u64(u, got);
        got[n] = 0;
        snprintf(want, sizeof want, "%" PRIu64, u);
        bad += strcmp(got, want) != 0;
        int64_t v = (int64_t)next() >> (next() % 64);
        n = vg_dtoa_i64(v, got);
        got[n] = 0;
        snprintf(want, sizeof want, "%" PRId64, v);
        bad += strcmp(got, want) != 0;
    }
    CHECK_INT(bad, 0);
    CHECK_INT(vg_dtoa_u64(UINT64_MAX, got), 20);
    CHECK_INT(vg_dtoa_i64(INT64_MIN, got), 20);
}

/* No function writes past VG_DTOA_ROOM bytes, whichever way a value takes
 * (a canary after the room stays), and memo hits give the same text. */
static void test_room(void)
{
    static const double values[] = {0.0,
                                    -0.0,
                                    5.0,
                                    -3.25,
                                    0.05,
                                    1234.5,
                                    -99999.999,
                                    0.0001,
                                    -0.00012345678901234567,
                                    123456789012.345,
                                    -987654321098765.4,
                                    999999999999999.9,
                                    1e15,
                                    -1e16,
                                    1e21,
                                    1e-7,
                                    140.84666666666666,
                                    -1220.1299999999999,
                                    0.1 + 0.2,
                                    5e-324,
                                    -2.2250738585072014e-308,
                                    1.7976931348623157e308,
                                    0.30000000000000004,
                                    NAN,
                                    -INFINITY,
                                    4503599627370495.5};
    unsigned char buf[VG_DTOA_ROOM + 16];
    int bad = 0;
    for (int pass = 0; pass < 2; pass++) { /* the second pass finds them in the memo */
        for (size_t i = 0; i < sizeof values / sizeof values[0]; i++) {
            char want[48];
            reference(values[i], want);
            memset(buf, 0xA5, sizeof buf);
            int n = vg_dtoa_double(values[i], (char *)buf);
            for (size_t k = VG_DTOA_ROOM; k < sizeof buf; k++)
                bad += buf[k] != 0xA5;
            bad += (size_t)n != strlen(want) || strcmp((char *)buf, want) != 0;
        }
    }
    for (int i = 0; i < 64; i++) {
        uint64_t u = i < 20 ? pow10_u64_minus1(i) : next();
        memset(buf, 0xA5, sizeof buf);
        int n = vg_dtoa_i64(-(int64_t)(u >> 1), (char *)buf);
        for (size_t k = VG_DTOA_ROOM; k < sizeof buf; k++)
            bad += buf[k] != 0xA5;
        char want[32];
        bad += n != snprintf(want, sizeof want, "%" PRId64, -(int64_t)(u >> 1)) ||
               memcmp(buf, want, (size_t)n) != 0;
    }
    CHECK_INT(bad, 0);
}

int main(void)
{
    RUN(test_cases);
    RUN(test_edges);
    RUN(test_random);
    RUN(test_integers);
    RUN(test_room);
    return CHECK_DONE();
}
