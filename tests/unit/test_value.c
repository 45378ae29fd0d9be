/*
 * test_value.c — types, implicit casts, timestamp and double text forms,
 * value comparison.
 */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "engine/value.h"
#include "tests/unit/check.h"

static void test_type_names(void)
{
    CHECK_STR(vg_type_name(VG_T_NULL), "NULL");
    CHECK_STR(vg_type_name(VG_T_BOOL), "BOOLEAN");
    CHECK_STR(vg_type_name(VG_T_INT), "INT");
    CHECK_STR(vg_type_name(VG_T_BIGINT), "BIGINT");
    CHECK_STR(vg_type_name(VG_T_DOUBLE), "DOUBLE");
    CHECK_STR(vg_type_name(VG_T_STRING), "STRING");
    CHECK_STR(vg_type_name(VG_T_TIMESTAMP), "TIMESTAMP(3)");
    CHECK_STR(vg_type_name(VG_T_INTERVAL), "INTERVAL");
    CHECK_STR(vg_type_name(VG_T_ARRAY), "ARRAY<DOUBLE>");
    CHECK_STR(vg_type_name(VG_T_NTYPES), "?");
}

#define FROM(s) vg_type_from_name(s, strlen(s))

static void test_type_from_name(void)
{
    CHECK_INT(FROM("VARCHAR"), VG_T_STRING);
    CHECK_INT(FROM("varchar(255)"), VG_T_STRING);
    CHECK_INT(FROM("VARCHAR (10)"), VG_T_STRING);
    CHECK_INT(FROM("STRING"), VG_T_STRING);
    CHECK_INT(FROM("Text"), VG_T_STRING);
    CHECK_INT(FROM("INTEGER"), VG_T_INT);
    CHECK_INT(FROM("int"), VG_T_INT);
    CHECK_INT(FROM("BIGINT"), VG_T_BIGINT);
    CHECK_INT(FROM("double"), VG_T_DOUBLE);
    CHECK_INT(FROM("FLOAT"), VG_T_DOUBLE);
    CHECK_INT(FROM("BOOLEAN"), VG_T_BOOL);
    CHECK_INT(FROM("TIMESTAMP"), VG_T_TIMESTAMP);
    CHECK_INT(FROM("timestamp(3)"), VG_T_TIMESTAMP);
    CHECK_INT(FROM("TIMESTAMP(6)"), VG_T_NULL);
    CHECK_INT(FROM("VARCHAR(0)"), VG_T_NULL);
    CHECK_INT(FROM("VARCHAR("), VG_T_NULL);
    CHECK_INT(FROM("INT(3)"), VG_T_NULL);
    CHECK_INT(FROM("BIGINTEGER"), VG_T_NULL);
    CHECK_INT(FROM("BIG"), VG_T_NULL);
    CHECK_INT(FROM(""), VG_T_NULL);
    CHECK_INT(vg_type_from_name("INTEGERX", 7), VG_T_INT);
    CHECK_INT(FROM("ARRAY<DOUBLE>"), VG_T_ARRAY);
    CHECK_INT(FROM("array< double >"), VG_T_ARRAY);
    CHECK_INT(FROM("ARRAY<FLOAT>"), VG_T_ARRAY);
    CHECK_INT(FROM("DOUBLE ARRAY"), VG_T_ARRAY);
    CHECK_INT(FROM("ARRAY<INT>"), VG_T_NULL);
    CHECK_INT(FROM("ARRAY<ARRAY<DOUBLE>>"), VG_T_NULL);
    CHECK_INT(FROM("ARRAY<>"), VG_T_NULL);
    CHECK_INT(FROM("ARRAY<DOUBLE"), VG_T_NULL);
    CHECK_INT(FROM("ARRAY"), VG_T_NULL);
    CHECK_INT(FROM("STRING ARRAY"), VG_T_NULL);
    /* an array is compared with nothing: no common type, not numeric */
    vg_type t = VG_T_NULL;
    CHECK(!vg_type_is_numeric(VG_T_ARRAY));
    CHECK(!vg_type_common(VG_T_ARRAY, VG_T_DOUBLE, &t));
    CHECK(vg_type_common(VG_T_ARRAY, VG_T_NULL, &t) && t == VG_T_ARRAY);
}

static void test_type_common(void)
{
    vg_type t = VG_T_NTYPES;
    CHECK(vg_type_is_numeric(VG_T_INT) && vg_type_is_numeric(VG_T_BIGINT));
    CHECK(vg_type_is_numeric(VG_T_DOUBLE));
    CHECK(!vg_type_is_numeric(VG_T_STRING) && !vg_type_is_numeric(VG_T_TIMESTAMP));
    CHECK(!vg_type_is_numeric(VG_T_BOOL) && !vg_type_is_numeric(VG_T_NULL));
    CHECK(vg_type_common(VG_T_INT, VG_T_BIGINT, &t) && t == VG_T_BIGINT);
    CHECK(vg_type_common(VG_T_BIGINT, VG_T_INT, &t) && t == VG_T_BIGINT);
    CHECK(vg_type_common(VG_T_INT, VG_T_DOUBLE, &t) && t == VG_T_DOUBLE);
    CHECK(vg_type_common(VG_T_DOUBLE, VG_T_BIGINT, &t) && t == VG_T_DOUBLE);
    CHECK(vg_type_common(VG_T_NULL, VG_T_STRING, &t) && t == VG_T_STRING);
    CHECK(vg_type_common(VG_T_TIMESTAMP, VG_T_NULL, &t) && t == VG_T_TIMESTAMP);
    CHECK(vg_type_common(VG_T_NULL, VG_T_NULL, &t) && t == VG_T_NULL);
    CHECK(vg_type_common(VG_T_STRING, VG_T_STRING, &t) && t == VG_T_STRING);
    CHECK(!vg_type_common(VG_T_STRING, VG_T_BIGINT, &t));
    CHECK(!vg_type_common(VG_T_BOOL, VG_T_INT, &t));
    CHECK(!vg_type_common(VG_T_TIMESTAMP, VG_T_BIGINT, &t));
}

static void test_schema_find(void)
{
    vg_column cols[] = {{"amount", VG_T_DOUBLE}, {"Card_ID", VG_T_STRING}};
    vg_schema s = {2, cols};
    CHECK_INT(vg_schema_find(&s, "amount"), 0);
    CHECK_INT(vg_schema_find(&s, "Card_ID"), 1);
    CHECK_INT(vg_schema_find(&s, "card_id"), -1);
    CHECK_INT(vg_schema_find(&s, "amoun"), -1);
}

/* Parse s, expecting success; returns the milliseconds (or a sentinel). */
static int64_t ts(const char *s)
{
    int64_t ms = INT64_MIN;
    if (vg_ts_parse(s, strlen(s), &ms) != 0)
        return -999999;
    return ms;
}

static int ts_bad(const char *s)
{
    int64_t ms = 0;
    return vg_ts_parse(s, strlen(s), &ms) == -1;
}

static void test_ts_parse(void)
{
    CHECK_INT(ts("1970-01-01T00:00:00Z"), 0);
    CHECK_INT(ts("1970-01-01"), 0);
    CHECK_INT(ts("2024-05-01T12:00:00.123Z"), 1714564800123LL);
    CHECK_INT(ts("2024-05-01 12:00:00"), 1714564800000LL);
    CHECK_INT(ts("2024-05-01t12:00:00z"), 1714564800000LL);
    CHECK_INT(ts("2024-05-01T12:00:00+02:00"), 1714557600000LL);
    CHECK_INT(ts("2024-05-01T12:00:00+0200"), 1714557600000LL);
    CHECK_INT(ts("2024-05-01T12:00:00-05:30"), 1714584600000LL);
    CHECK_INT(ts("2024-05-01"), 1714521600000LL);
    CHECK_INT(ts("2024-05-01T12:00:00.1Z"), 1714564800100LL);
    CHECK_INT(ts("2024-05-01T12:00:00.12"), 1714564800120LL);
    CHECK_INT(ts("2024-05-01T12:00:00.123456789Z"), 1714564800123LL);
    CHECK_INT(ts("1969-12-31T23:59:59.999Z"), -1);
    CHECK_INT(ts("1900-01-01T00:00:00Z"), -2208988800000LL);
    CHECK_INT(ts("2024-02-29T00:00:00Z"), 1709164800000LL);
    CHECK_INT(ts("2000-02-29"), 951782400000LL);
    CHECK_INT(ts("9999-12-31T23:59:59.999Z"), 253402300799999LL);
    CHECK_INT(ts("0000-01-01T00:00:00Z"), -62167219200000LL);
    CHECK(ts_bad("2024-13-01"));
    CHECK(ts_bad("2024-00-10"));
    CHECK(ts_bad("2023-02-29"));
    CHECK(ts_bad("1900-02-29"));
    CHECK(ts_bad("2024-04-31"));
    CHECK(ts_bad("2024-05-01T24:00:00Z"));
    CHECK(ts_bad("2024-05-01T12:60:00Z"));
    CHECK(ts_bad("2024-05-01T12:00:60Z"));
    /* ISO-8601 (and Flink's ISO_LOCAL_TIME) may leave the seconds out */
    CHECK_INT(ts("2024-05-01T12:00Z"), 1714564800000LL);
    CHECK_INT(ts("2024-05-01T12:00"), 1714564800000LL);
    CHECK_INT(ts("2024-05-01T12:00+02:00"), 1714557600000LL);
    CHECK(ts_bad("2024-05-01T12:00.5Z"));
    CHECK(ts_bad("2024-05-01T12Z"));
    CHECK(ts_bad("2024-05-01T12:00:00."));
    CHECK(ts_bad("2024-05-01T12:00:00.1234567890Z"));
    CHECK(ts_bad("2024-05-01T12:00:00+2:00"));
    CHECK(ts_bad("2024-05-01T12:00:00+24:00"));
    CHECK(ts_bad("2024-05-01T12:00:00 Z"));
    CHECK(ts_bad("2024-05-01T12:00:00ZZ"));
    CHECK(ts_bad("2024-5-01"));
    CHECK(ts_bad("24-05-01"));
    CHECK(ts_bad("2024/05/01"));
    CHECK(ts_bad("2024-05-01X12:00:00"));
    CHECK(ts_bad(""));
    CHECK(ts_bad("abc"));
}

static const char *fmt_ts(int64_t ms)
{
    static char buf[32];
    int n = vg_ts_format(ms, buf);
    return (size_t)n == strlen(buf) ? buf : "bad length";
}

static void test_ts_format(void)
{
    CHECK_STR(fmt_ts(0), "1970-01-01T00:00:00.000Z");
    CHECK_STR(fmt_ts(1714564800123LL), "2024-05-01T12:00:00.123Z");
    CHECK_STR(fmt_ts(-1), "1969-12-31T23:59:59.999Z");
    CHECK_STR(fmt_ts(-86400000LL), "1969-12-31T00:00:00.000Z");
    CHECK_STR(fmt_ts(-86400001LL), "1969-12-30T23:59:59.999Z");
    CHECK_STR(fmt_ts(1709164800000LL), "2024-02-29T00:00:00.000Z");
    CHECK_STR(fmt_ts(253402300799999LL), "9999-12-31T23:59:59.999Z");
    CHECK_STR(fmt_ts(253402300800000LL), "+10000-01-01T00:00:00.000Z");
    CHECK_STR(fmt_ts(-62167219200000LL), "0000-01-01T00:00:00.000Z");
    CHECK_STR(fmt_ts(-62167219200001LL), "-0001-12-31T23:59:59.999Z");
    CHECK_STR(fmt_ts(INT64_MAX), "+292278994-08-17T07:12:55.807Z");
    CHECK_STR(fmt_ts(INT64_MIN), "-292275055-05-16T16:47:04.192Z");
    /* every day of 1968..2032 survives format -> parse */
    int bad = 0;
    for (int64_t day = -730; day < 23000; day++) {
        char buf[32];
        int64_t ms = day * 86400000LL + 45296789, back = 0;
        int n = vg_ts_format(ms, buf);
        if (vg_ts_parse(buf, (size_t)n, &back) != 0 || back != ms)
            bad++;
    }
    CHECK_INT(bad, 0);
}

static const char *fmt_d(double d)
{
    static char buf[32];
    int n = vg_double_format(d, buf);
    return (size_t)n == strlen(buf) ? buf : "bad length";
}

static void test_double_format(void)
{
    CHECK_STR(fmt_d(0.1), "0.1");
    CHECK_STR(fmt_d(3), "3.0");
    CHECK_STR(fmt_d(0), "0.0");
    CHECK_STR(fmt_d(-0.0), "-0.0");
    CHECK_STR(fmt_d(-2.5), "-2.5");
    CHECK_STR(fmt_d(123.45), "123.45");
    CHECK_STR(fmt_d(0.1 + 0.2), "0.30000000000000004");
    CHECK_STR(fmt_d(1e21), "1e+21");
    CHECK_STR(fmt_d(1e15), "1e+15");
    CHECK_STR(fmt_d(100000000000000.0), "100000000000000.0");
    CHECK_STR(fmt_d(5e-324), "5e-324");
    CHECK_STR(fmt_d(-5e-324), "-5e-324");
    CHECK_STR(fmt_d(DBL_MIN), "2.2250738585072014e-308");
    CHECK_STR(fmt_d(DBL_MAX), "1.7976931348623157e+308");
    CHECK_STR(fmt_d(123456789012345680.0), "1.2345678901234568e+17");
    CHECK_STR(fmt_d(1.0 / 3), "0.3333333333333333");
    CHECK_STR(fmt_d(2.0 / 3), "0.6666666666666666");
    CHECK_STR(fmt_d(1e-7), "1e-07");
    CHECK_STR(fmt_d(NAN), "null");
    CHECK_STR(fmt_d(INFINITY), "null");
    CHECK_STR(fmt_d(-INFINITY), "null");
    /* shortest text reads back to the same bits for pseudo-random doubles */
    uint64_t x = 88172645463325252ULL;
    int bad = 0;
    for (int i = 0; i < 20000; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        double d;
        memcpy(&d, &x, sizeof d);
        if (isnan(d) || isinf(d))
            continue;
        char buf[32];
        vg_double_format(d, buf);
        if (memcmp(&(double){strtod(buf, NULL)}, &d, sizeof d) != 0)
            bad++;
    }
    CHECK_INT(bad, 0);
}

/* The slow, obviously right text for a normal double: the first of %.15g,
 * %.16g, %.17g that reads back. */
static void reference_format(double d, char *buf)
{
    for (int p = 15; p <= 17; p++) {
        snprintf(buf, 32, "%.*g", p, d);
        if (strtod(buf, NULL) == d)
            break;
    }
    if (!strpbrk(buf, ".eni"))
        strcat(buf, ".0");
}

static void test_double_format_reference(void)
{
    char want[40], got[40];
    int bad = 0;
    uint64_t x = 2463534242ULL;
    for (int i = -200000; i < 200000; i += 7) {
        double ds[4] = {i / 100.0, i / 1000.0, i * 1.1, i / 3.0};
        for (int j = 0; j < 4; j++) {
            reference_format(ds[j], want);
            vg_double_format(ds[j], got);
            bad += strcmp(want, got) != 0;
        }
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        double r = (double)(x % 100000000000ULL) / 1e4 - 5e6; /* four decimals */
        reference_format(r, want);
        vg_double_format(r, got);
        bad += strcmp(want, got) != 0;
    }
    CHECK_INT(bad, 0);
    CHECK_STR(fmt_d(0.0001), "0.0001");
    CHECK_STR(fmt_d(0.00011), "0.00011");
    CHECK_STR(fmt_d(0.00009), "9e-05");
    CHECK_STR(fmt_d(999999999999999.0), "999999999999999.0");
    CHECK_STR(fmt_d(0.05), "0.05");
    CHECK_STR(fmt_d(-1234.5), "-1234.5");
    CHECK_STR(fmt_d(9007199254740993.0), "9007199254740992.0");
}

static void test_value_cmp(void)
{
    vg_value a = vg_int(3), b = vg_int(5), n = vg_null(), n2 = vg_null();
    CHECK_INT(vg_value_cmp(VG_T_BIGINT, &a, &b), -1);
    CHECK_INT(vg_value_cmp(VG_T_BIGINT, &b, &a), 1);
    CHECK_INT(vg_value_cmp(VG_T_BIGINT, &a, &a), 0);
    vg_value m = vg_int(INT64_MIN), M = vg_int(INT64_MAX);
    CHECK_INT(vg_value_cmp(VG_T_TIMESTAMP, &m, &M), -1);
    vg_value d1 = vg_double(-0.0), d2 = vg_double(0.0), dn = vg_double(NAN), dn2 = vg_double(NAN);
    vg_value dinf = vg_double(INFINITY);
    CHECK_INT(vg_value_cmp(VG_T_DOUBLE, &d1, &d2), 0);
    CHECK_INT(vg_value_cmp(VG_T_DOUBLE, &dn, &dinf), 1);
    CHECK_INT(vg_value_cmp(VG_T_DOUBLE, &dinf, &dn), -1);
    CHECK_INT(vg_value_cmp(VG_T_DOUBLE, &dn, &dn2), 0);
    CHECK(vg_value_same(VG_T_DOUBLE, &dn, &dn2));
    vg_value s1 = vg_str("abc", 3), s2 = vg_str("abd", 3), s3 = vg_str("ab", 2);
    vg_value s4 = vg_str("\xc3\xa9", 2), s5 = vg_str("", 0);
    CHECK_INT(vg_value_cmp(VG_T_STRING, &s1, &s2), -1);
    CHECK_INT(vg_value_cmp(VG_T_STRING, &s3, &s1), -1);
    CHECK_INT(vg_value_cmp(VG_T_STRING, &s1, &s3), 1);
    CHECK_INT(vg_value_cmp(VG_T_STRING, &s4, &s1), 1);
    CHECK_INT(vg_value_cmp(VG_T_STRING, &s5, &s5), 0);
    CHECK(vg_value_same(VG_T_BIGINT, &n, &n2));
    CHECK(!vg_value_same(VG_T_BIGINT, &n, &a));
    CHECK(!vg_value_same(VG_T_BIGINT, &a, &n));
    CHECK(vg_value_same(VG_T_STRING, &s1, &(vg_value){{.s = "abc"}, 3, 0}));
    CHECK(!vg_value_same(VG_T_STRING, &s1, &s3));
}

int main(void)
{
    RUN(test_type_names);
    RUN(test_type_from_name);
    RUN(test_type_common);
    RUN(test_schema_find);
    RUN(test_ts_parse);
    RUN(test_ts_format);
    RUN(test_double_format);
    RUN(test_double_format_reference);
    RUN(test_value_cmp);
    return CHECK_DONE();
}
