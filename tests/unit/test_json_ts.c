/*
 * test_json_ts.c — the fast path of vg_ts_parse (engine/value.c) for the
 * form event logs carry, "YYYY-MM-DDTHH:MM:SS.sssZ", which the JSON decoder
 * calls for every TIMESTAMP field: exact values at the edges of every
 * field, the remembered date of the timestamp before (a hit, a miss by one
 * byte of the day, an invalid date after a valid one), and, over random
 * strings of that shape, the same answer as the general parser gives for
 * the same instant written with "+00:00" (which the fast path leaves to it).
 */
#include <stdint.h>
#include <stdlib.h>

#include "engine/value.h"
#include "tests/unit/check.h"

/* vg_ts_parse of a C string: its status, and the time in *ms. */
static int parse(const char *s, int64_t *ms)
{
    *ms = -12345;
    return vg_ts_parse(s, strlen(s), ms);
}

static void test_exact_values(void)
{
    static const struct {
        const char *s;
        int64_t ms;
    } cases[] = {
        {"1970-01-01T00:00:00.000Z", 0},
        {"1970-01-01T00:00:00.001Z", 1},
        {"1969-12-31T23:59:59.999Z", -1},
        {"2024-05-01T12:00:00.123Z", 1714564800123},
        {"2024-02-29T23:59:59.999Z", 1709251199999},
        {"2000-02-29T00:00:00.000Z", 951782400000},
        {"0000-01-01T00:00:00.000Z", -62167219200000},
        {"9999-12-31T23:59:59.999Z", 253402300799999},
        {"2023-12-31T10:20:30.456Z", 1704018030456},
        {"2024-01-01T10:20:30.456Z", 1704104430456},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int64_t ms;
        CHECK_INT(parse(cases[i].s, &ms), 0);
        CHECK_INT(ms, cases[i].ms);
    }
}

static void test_invalid(void)
{
    static const char *bad[] = {
        "2023-02-29T00:00:00.000Z", /* not a leap year */
        "1900-02-29T00:00:00.000Z", /* nor this */
        "2024-04-31T00:00:00.000Z", "2024-13-01T00:00:00.000Z", "2024-00-01T00:00:00.000Z",
        "2024-01-00T00:00:00.000Z", "2024-01-32T00:00:00.000Z", "2024-01-01T24:00:00.000Z",
        "2024-01-01T23:60:00.000Z", "2024-01-01T23:59:60.000Z", "2024-01-01T23:59:59.000X",
        "2024-01-01X23:59:59.000Z", "2024-01-01T23:59:59,000Z", "2024-01-01T23:59:5a.000Z",
        "2024-01-01T23:59:59.00:Z", "2024-0/-01T00:00:00.000Z", "2024:01-01T00:00:00.000Z",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int64_t ms;
        CHECK_INT(parse(bad[i], &ms), -1);
        CHECK_INT(ms, -12345); /* untouched */
    }
}

/* The remembered date: a hit, a day that differs in its last byte, an
 * invalid date that shares the year and month, and back. */
static void test_remembered_day(void)
{
    int64_t ms;
    CHECK_INT(parse("2024-02-28T01:00:00.000Z", &ms), 0);
    CHECK_INT(ms, 1709082000000);
    CHECK_INT(parse("2024-02-28T02:00:00.500Z", &ms), 0); /* the same date */
    CHECK_INT(ms, 1709085600500);
    CHECK_INT(parse("2024-02-29T02:00:00.500Z", &ms), 0); /* the next day */
    CHECK_INT(ms, 1709172000500);
    CHECK_INT(parse("2024-02-30T02:00:00.500Z", &ms), -1);
    CHECK_INT(parse("2024-02-29T25:00:00.500Z", &ms), -1); /* a good date, a bad hour */
    CHECK_INT(parse("2024-02-29T00:00:00.000Z", &ms), 0);
    CHECK_INT(ms, 1709164800000);
    CHECK_INT(parse("2024-03-29T00:00:00.000Z", &ms), 0); /* another month, the same day */
    CHECK_INT(ms, 1711670400000);
    CHECK_INT(parse("2025-03-29T00:00:00.000Z", &ms), 0); /* another year */
    CHECK_INT(ms, 1743206400000);
    CHECK_INT(parse("2025-03-29 00:00:00.000Z", &ms), 0); /* the general parser's ' ' */
    CHECK_INT(ms, 1743206400000);
}

/* A random character: mostly a digit, sometimes anything. */
static char rand_char(unsigned *seed, char want)
{
    int r = rand_r(seed) % 100;
    if (r < 3)
        return (char)(rand_r(seed) % 256 - 128);
    if (want != '0')
        return r < 6 ? (char)('0' + rand_r(seed) % 10) : want;
    return (char)('0' + rand_r(seed) % 10);
}

/* Random strings of the fast form (each field a random pair or quartet of
 * digits, a few bytes anything, the last 'Z', 'z' or 'X'): the same answer
 * as the general parser's for the string with "+00:00" in place of "Z",
 * which the fast path leaves to it. Days, months and hours from a narrow
 * range half the time, so that many are valid, and the date repeats often
 * (the remembered one). */
static void test_random_against_general(void)
{
    static const char form[] = "0000-00-00T00:00:00.000Z";
    unsigned seed = 12345;
    int agree = 0, valid = 0, total = 200000;
    for (int i = 0; i < total; i++) {
        char s[32], g[32];
        for (int k = 0; k < 24; k++)
            s[k] = rand_char(&seed, form[k]);
        if (rand_r(&seed) % 2) { /* plausible fields */
            int mo = 1 + rand_r(&seed) % 12, d = 1 + rand_r(&seed) % 31;
            s[5] = (char)('0' + mo / 10), s[6] = (char)('0' + mo % 10);
            s[8] = (char)('0' + d / 10), s[9] = (char)('0' + d % 10);
            s[11] = (char)('0' + rand_r(&seed) % 3);
            s[14] = (char)('0' + rand_r(&seed) % 7);
            s[17] = (char)('0' + rand_r(&seed) % 7);
        }
        int z = rand_r(&seed) % 50;
        s[23] = z == 0 ? 'z' : z == 1 ? 'X' : 'Z'; /* 'z': the general parser's */
        s[24] = 0;
        memcpy(g, s, 23);
        memcpy(g + 23, "+00:00", 7);
        int64_t a = -1, b = -2;
        int ra = vg_ts_parse(s, 24, &a), rb = vg_ts_parse(g, 29, &b);
        if (s[23] == 'X')
            agree += ra == -1;
        else
            agree += ra == rb && (ra < 0 || a == b);
        valid += ra == 0;
    }
    CHECK_INT(agree, total);
    CHECK(valid > total / 10); /* the comparison covered many valid ones */
}

int main(void)
{
    RUN(test_exact_values);
    RUN(test_invalid);
    RUN(test_remembered_day);
    RUN(test_random_against_general);
    return CHECK_DONE();
}
