/*
 * test_json.c — the event decoder (json_in) and the row / dead-letter
 * encoder (json_out): every decoding rule with its exact reason, string
 * escapes both ways, the kcat envelope, round trips, allocation failures.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "engine/json_in.h"
#include "engine/json_out.h"
#include "tests/unit/check.h"

enum { C_ID, C_N, C_AMOUNT, C_NAME, C_OK, C_TS, C_IV, NCOLS };

static vg_column cols[NCOLS] = {
    {"id", VG_T_BIGINT}, {"n", VG_T_INT},        {"amount", VG_T_DOUBLE}, {"name", VG_T_STRING},
    {"ok", VG_T_BOOL},   {"ts", VG_T_TIMESTAMP}, {"iv", VG_T_INTERVAL},
};
static vg_schema schema = {NCOLS, cols};

static vg_decoder *dec;
static vg_arena *scratch;
static vg_value row[NCOLS];
static char reason[256];
static const char *last_line;
static vg_buf rt_buf; /* roundtrip's output */

/* Decode line; returns the result code. */
static int decode(const char *line)
{
    last_line = line;
    vg_arena_reset(scratch);
    return vg_decoder_decode(dec, line, strlen(line), row, scratch, reason, sizeof reason);
}

/* Decode line expecting rejection; returns the reason ("(accepted)" if not). */
static const char *why(const char *line)
{
    return decode(line) == VG_DECODE_BAD ? reason : "(accepted)";
}

/* Column c's string value as a C string ("(null)" for NULL). */
static const char *sval(int c)
{
    static char buf[512];
    if (row[c].null)
        return "(null)";
    snprintf(buf, sizeof buf, "%.*s", (int)row[c].len, row[c].u.s);
    return buf;
}

/* Decode then encode line; the encoded row without its newline. */
static const char *roundtrip(const char *line)
{
    vg_buf_clear(&rt_buf);
    if (decode(line) != VG_DECODE_OK)
        return reason;
    if (vg_json_write_row(&rt_buf, &schema, row) != 0)
        return "(write failed)";
    rt_buf.p[rt_buf.len - 1] = 0;
    return rt_buf.p;
}

static void test_basic(void)
{
    CHECK_INT(decode("{\"id\":42,\"n\":-7,\"amount\":12.5,\"name\":\"bob\",\"ok\":true,"
                     "\"ts\":\"2024-05-01T12:00:00.123Z\",\"iv\":60000}"),
              VG_DECODE_OK);
    CHECK_INT(row[C_ID].u.i, 42);
    CHECK_INT(row[C_N].u.i, -7);
    CHECK(row[C_AMOUNT].u.d == 12.5);
    CHECK_STR(sval(C_NAME), "bob");
    CHECK_INT(row[C_OK].u.i, 1);
    CHECK_INT(row[C_TS].u.i, 1714564800123LL);
    CHECK_INT(row[C_IV].u.i, 60000);
    for (int i = 0; i < NCOLS; i++)
        CHECK_INT(row[i].null, 0);
    /* strings without escapes point into the line */
    CHECK(row[C_NAME].u.s > last_line && row[C_NAME].u.s < last_line + strlen(last_line));
    CHECK_INT(vg_decoder_last_envelope(dec, NULL, NULL), 0);
}

static void test_keys(void)
{
    CHECK_INT(decode(" \t{ \"name\" : \"x\" ,\r\n \"id\":1 } \n"), VG_DECODE_OK);
    CHECK_INT(row[C_ID].u.i, 1);
    CHECK_STR(sval(C_NAME), "x");
    CHECK_INT(row[C_AMOUNT].null, 1);
    CHECK_INT(row[C_TS].null, 1);
    CHECK_INT(decode("{}"), VG_DECODE_OK);
    CHECK_INT(row[C_ID].null, 1);
    CHECK_INT(decode("{\"id\":1,\"id\":2}"), VG_DECODE_OK);
    CHECK_INT(row[C_ID].u.i, 2);
    CHECK_INT(decode("{\"ID\":1,\"Name\":\"x\"}"), VG_DECODE_OK);
    CHECK_INT(row[C_ID].null, 1);
    CHECK_INT(decode("{\"extra\":{\"a\":[1,2,{\"b\":null}],\"c\":\"\\u00e9\"},\"id\":3,"
                     "\"more\":[true,false,-1.5e-3,\"s\"]}"),
              VG_DECODE_OK);
    CHECK_INT(row[C_ID].u.i, 3);
    CHECK_INT(decode("{\"\\u0069d\":5}"), VG_DECODE_OK);
    CHECK_INT(row[C_ID].u.i, 5);
    CHECK_INT(decode("{\"id\":null,\"name\":null,\"ts\":null,\"ok\":null}"), VG_DECODE_OK);
    CHECK_INT(row[C_ID].null + row[C_NAME].null + row[C_TS].null + row[C_OK].null, 4);
}

static void test_key_order(void)
{
    /* the decoder guesses each key from the previous event's order; any
     * order, and unknown keys anywhere, must still land in the right column */
    const char *lines[] = {
        "{\"id\":1,\"n\":2,\"name\":\"a\"}",
        "{\"name\":\"b\",\"id\":3,\"n\":4}",
        "{\"x\":0,\"id\":5,\"y\":{},\"n\":6,\"name\":\"c\"}",
        "{\"id\":7,\"n\":8,\"name\":\"d\"}",
        "{\"id\":9,\"id\":10,\"n\":11,\"name\":\"e\"}",
        "{\"n\":12,\"name\":\"f\"}",
    };
    const long want[][2] = {{1, 2}, {3, 4}, {5, 6}, {7, 8}, {10, 11}, {-1, 12}};
    const char *names = "abcdef";
    for (int round = 0; round < 2; round++) {
        for (int i = 0; i < 6; i++) {
            CHECK_INT(decode(lines[i]), VG_DECODE_OK);
            CHECK_INT(row[C_ID].null ? -1 : row[C_ID].u.i, want[i][0]);
            CHECK_INT(row[C_N].u.i, want[i][1]);
            CHECK(row[C_NAME].len == 1 && row[C_NAME].u.s[0] == names[i]);
        }
    }
}

static void test_syntax_errors(void)
{
    CHECK_STR(why("[1,2]"), "expected a JSON object");
    CHECK_STR(why("\"x\""), "expected a JSON object");
    CHECK_STR(why(""), "expected a JSON object");
    CHECK_STR(why("   "), "expected a JSON object");
    CHECK_STR(why("{\"id\":1} x"), "invalid JSON at byte 9: unexpected text after the object");
    CHECK_STR(why("{\"id\":1}{}"), "invalid JSON at byte 8: unexpected text after the object");
    CHECK_STR(why("{\"id\":1,}"), "invalid JSON at byte 8: expected a key");
    CHECK_STR(why("{,}"), "invalid JSON at byte 1: expected a key");
    CHECK_STR(why("{id:1}"), "invalid JSON at byte 1: expected a key");
    CHECK_STR(why("{\"id\" 1}"), "invalid JSON at byte 6: expected ':'");
    CHECK_STR(why("{\"id\":1 \"n\":2}"), "invalid JSON at byte 8: expected ',' or '}'");
    CHECK_STR(why("{\"id\":1"), "invalid JSON at byte 7: expected ',' or '}'");
    CHECK_STR(why("{\"id\":}"), "invalid JSON at byte 6: expected a value");
    CHECK_STR(why("{\"id\":"), "invalid JSON at byte 6: expected a value");
    CHECK_STR(why("{\"id\":tru}"), "invalid JSON at byte 6: invalid literal");
    CHECK_STR(why("{\"x\":nul}"), "invalid JSON at byte 5: invalid literal");
    CHECK_STR(why("{\"id\":01}"), "invalid JSON at byte 6: invalid number");
    CHECK_STR(why("{\"id\":-}"), "invalid JSON at byte 6: invalid number");
    CHECK_STR(why("{\"amount\":1.}"), "invalid JSON at byte 10: invalid number");
    CHECK_STR(why("{\"x\":1e+}"), "invalid JSON at byte 5: invalid number");
    CHECK_STR(why("{\"x\":+1}"), "invalid JSON at byte 5: expected a value");
    CHECK_STR(why("{\"x\":.5}"), "invalid JSON at byte 5: expected a value");
    CHECK_STR(why("{\"x\":[1,]}"), "invalid JSON at byte 8: expected a value");
    CHECK_STR(why("{\"x\":[1 2]}"), "invalid JSON at byte 8: expected ',' or ']'");
    CHECK_STR(why("{\"x\":{\"a\" 1}}"), "invalid JSON at byte 10: expected ':'");
    CHECK_STR(why("{\"x\":{\"a\":1]}"), "invalid JSON at byte 11: expected ',' or '}'");
    CHECK_STR(why("{\"name\":\"abc"), "invalid JSON at byte 12: unterminated string");
    CHECK_STR(why("{\"name\":\"abc\\"), "invalid JSON at byte 13: unterminated string");
    CHECK_STR(why("{\"name\":\"a\tb\"}"), "invalid JSON at byte 10: control character in string");
    CHECK_STR(why("{\"na\nme\":1}"), "invalid JSON at byte 4: control character in string");
    CHECK_STR(why("{\"name\":\"a\\xb\"}"), "invalid JSON at byte 10: invalid escape");
    CHECK_STR(why("{\"name\":\"\\ud800\"}"), "invalid JSON at byte 9: invalid \\u escape");
    CHECK_STR(why("{\"name\":\"\\udc00x\"}"), "invalid JSON at byte 9: invalid \\u escape");
    CHECK_STR(why("{\"name\":\"\\ud800\\u0041\"}"), "invalid JSON at byte 9: invalid \\u escape");
    CHECK_STR(why("{\"name\":\"\\u12G4\"}"), "invalid JSON at byte 9: invalid \\u escape");
    CHECK_STR(why("{\"name\":\"\\u12\"}"), "invalid JSON at byte 9: invalid \\u escape");
}

static void test_depth(void)
{
    /* the event object is level 1, so 63 more levels are fine and 64 are not */
    char line[400];
    strcpy(line, "{\"x\":");
    for (int i = 0; i < 63; i++)
        strcat(line, "[");
    for (int i = 0; i < 63; i++)
        strcat(line, "]");
    strcat(line, ",\"id\":9}");
    CHECK_INT(decode(line), VG_DECODE_OK);
    CHECK_INT(row[C_ID].u.i, 9);
    strcpy(line, "{\"x\":");
    for (int i = 0; i < 64; i++)
        strcat(line, i % 2 ? "[" : "{\"k\":");
    CHECK_STR(why(line), "invalid JSON at byte 196: nesting deeper than 64 levels");
}

static void test_utf8(void)
{
    CHECK_INT(decode("{\"name\":\"h\xc3\xa9llo \xe2\x82\xac \xf0\x9f\x98\x80\"}"), VG_DECODE_OK);
    CHECK_STR(sval(C_NAME), "h\xc3\xa9llo \xe2\x82\xac \xf0\x9f\x98\x80");
    CHECK_STR(why("{\"name\":\"ab\xff\"}"), "invalid UTF-8 at byte 11");
    CHECK_STR(why("{\"name\":\"\xc0\x80\"}"), "invalid UTF-8 at byte 9");
    CHECK_STR(why("{\"name\":\"\xed\xa0\x80\"}"), "invalid UTF-8 at byte 9");
    CHECK_STR(why("{\"name\":\"\xf4\x90\x80\x80\"}"), "invalid UTF-8 at byte 9");
    CHECK_STR(why("{\"x\":1}\xe2\x82"), "invalid UTF-8 at byte 7");
    CHECK_STR(why("{\"\xe9\":1}"), "invalid UTF-8 at byte 2");
    CHECK_STR(why("{\"id\":1,\"abcdefghijklmnopqrstuvwxyz\":\"0123456789\x80\"}"),
              "invalid UTF-8 at byte 48");
    CHECK_INT(vg_utf8_check("abc\xc3\xa9", 5), 5);
    CHECK_INT(vg_utf8_check("abc\xc3", 4), 3);
    CHECK_INT(vg_utf8_seq_len((const unsigned char *)"\xf0\x9f\x98\x80", 4), 4);
    CHECK_INT(vg_utf8_seq_len((const unsigned char *)"\xf0\x9f\x98\x80", 3), 0);
    CHECK_INT(vg_utf8_seq_len((const unsigned char *)"\xe0\x9f\x80", 3), 0);
}

static void test_escapes(void)
{
    CHECK_INT(decode("{\"name\":\"q\\\" b\\\\ s\\/ \\b\\f\\n\\r\\t\"}"), VG_DECODE_OK);
    CHECK_STR(sval(C_NAME), "q\" b\\ s/ \b\f\n\r\t");
    CHECK_INT(decode("{\"name\":\"\\u00e9\\u20AC\\ud83d\\ude00\\u0041\"}"), VG_DECODE_OK);
    CHECK_STR(sval(C_NAME), "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"
                            "A");
    CHECK_INT(decode("{\"name\":\"a\\u0000b\"}"), VG_DECODE_OK);
    CHECK_INT(row[C_NAME].len, 3);
    CHECK(memcmp(row[C_NAME].u.s, "a\0b", 3) == 0);
    CHECK_INT(decode("{\"name\":\"\"}"), VG_DECODE_OK);
    CHECK_INT(row[C_NAME].len, 0);
    CHECK_INT(row[C_NAME].null, 0);
}

static void test_integers(void)
{
    CHECK_INT(decode("{\"id\":9223372036854775807,\"n\":2147483647}"), VG_DECODE_OK);
    CHECK_INT(row[C_ID].u.i, INT64_MAX);
    CHECK_INT(row[C_N].u.i, INT32_MAX);
    CHECK_INT(decode("{\"id\":-9223372036854775808,\"n\":-2147483648}"), VG_DECODE_OK);
    CHECK_INT(row[C_ID].u.i, INT64_MIN);
    CHECK_INT(row[C_N].u.i, INT32_MIN);
    CHECK_STR(why("{\"id\":9223372036854775808}"),
              "value 9223372036854775808 out of range for BIGINT column 'id'");
    CHECK_STR(why("{\"id\":123456789012345678901234567890}"),
              "value 123456789012345678901234567890 out of range for BIGINT column 'id'");
    CHECK_STR(why("{\"n\":3000000000}"), "value 3000000000 out of range for INT column 'n'");
    CHECK_STR(why("{\"n\":-2147483649}"), "value -2147483649 out of range for INT column 'n'");
    CHECK_INT(decode("{\"id\":1.0,\"n\":1e3}"), VG_DECODE_OK);
    CHECK_INT(row[C_ID].u.i, 1);
    CHECK_INT(row[C_N].u.i, 1000);
    CHECK_INT(decode("{\"id\":12.50e1,\"n\":-0.0}"), VG_DECODE_OK);
    CHECK_INT(row[C_ID].u.i, 125);
    CHECK_INT(row[C_N].u.i, 0);
    CHECK_INT(decode("{\"id\":9007199254740993.0,\"n\":0e99999999999}"), VG_DECODE_OK);
    CHECK_INT(row[C_ID].u.i, 9007199254740993LL);
    CHECK_INT(row[C_N].u.i, 0);
    CHECK_STR(why("{\"id\":1.5}"), "column 'id' expects BIGINT, got number 1.5");
    CHECK_STR(why("{\"id\":12.3e-1}"), "column 'id' expects BIGINT, got number 12.3e-1");
    CHECK_STR(why("{\"id\":1e19}"), "value 1e19 out of range for BIGINT column 'id'");
    CHECK_STR(why("{\"n\":1E10}"), "value 1E10 out of range for INT column 'n'");
    CHECK_INT(decode("{\"id\":\"42\",\"n\":\"-5\"}"), VG_DECODE_OK);
    CHECK_INT(row[C_ID].u.i, 42);
    CHECK_INT(row[C_N].u.i, -5);
    CHECK_STR(why("{\"id\":\"abc\"}"), "column 'id' expects BIGINT, got string \"abc\"");
    CHECK_STR(why("{\"id\":\" 42\"}"), "column 'id' expects BIGINT, got string \" 42\"");
    CHECK_STR(why("{\"id\":\"\"}"), "column 'id' expects BIGINT, got string \"\"");
    CHECK_STR(why("{\"n\":\"3000000000\"}"), "value 3000000000 out of range for INT column 'n'");
    CHECK_STR(why("{\"id\":true}"), "column 'id' expects BIGINT, got true");
    CHECK_STR(why("{\"id\":{\"a\":1}}"), "column 'id' expects BIGINT, got object");
    CHECK_STR(why("{\"n\":[1]}"), "column 'n' expects INT, got array");
    CHECK_STR(why("{\"iv\":1.5}"), "column 'iv' expects INTERVAL, got number 1.5");
}

static void test_doubles(void)
{
    CHECK_INT(decode("{\"amount\":0.1}"), VG_DECODE_OK);
    CHECK(row[C_AMOUNT].u.d == 0.1);
    CHECK_INT(decode("{\"amount\":-42}"), VG_DECODE_OK);
    CHECK(row[C_AMOUNT].u.d == -42.0);
    CHECK_INT(decode("{\"amount\":-0.0}"), VG_DECODE_OK);
    CHECK(row[C_AMOUNT].u.d == 0 && signbit(row[C_AMOUNT].u.d));
    CHECK_INT(decode("{\"amount\":5e-324}"), VG_DECODE_OK);
    CHECK(row[C_AMOUNT].u.d == 5e-324);
    CHECK_INT(decode("{\"amount\":1e-400}"), VG_DECODE_OK);
    CHECK(row[C_AMOUNT].u.d == 0);
    CHECK_INT(decode("{\"amount\":123456789012345678901234567890}"), VG_DECODE_OK);
    CHECK(row[C_AMOUNT].u.d == 123456789012345678901234567890.0);
    CHECK_INT(decode("{\"amount\":9007199254740993}"), VG_DECODE_OK);
    CHECK(row[C_AMOUNT].u.d == 9007199254740992.0);
    CHECK_INT(decode("{\"amount\":\"3.25\"}"), VG_DECODE_OK);
    CHECK(row[C_AMOUNT].u.d == 3.25);
    CHECK_INT(decode("{\"amount\":2.2250738585072011e-308}"), VG_DECODE_OK);
    CHECK(row[C_AMOUNT].u.d == strtod("2.2250738585072011e-308", NULL));
    CHECK_STR(why("{\"amount\":1e999}"), "value 1e999 out of range for DOUBLE column 'amount'");
    CHECK_STR(why("{\"amount\":\"abc\"}"), "column 'amount' expects DOUBLE, got string \"abc\"");
    CHECK_STR(why("{\"amount\":\"NaN\"}"), "column 'amount' expects DOUBLE, got string \"NaN\"");
    CHECK_STR(why("{\"amount\":false}"), "column 'amount' expects DOUBLE, got false");
    CHECK_STR(why("{\"amount\":\"0123456789012345678901234567890123456789xyz\"}"),
              "column 'amount' expects DOUBLE, got string "
              "\"0123456789012345678901234567890123456789\"...");
    CHECK_STR(
        why("{\"amount\":\"\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
            "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
            "\xc3\xa9\xc3\xa9x\xc3\xa9\"}"),
        "column 'amount' expects DOUBLE, got string \"\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
        "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
        "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\"...");
    /* the fast path agrees with strtod, bit for bit */
    int bad = 0;
    uint64_t x = 88172645463325252ULL;
    for (int i = 0; i < 20000; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        char line[80], num[40];
        snprintf(num, sizeof num, "%llu.%0*llu", (unsigned long long)(x % 100000000),
                 (int)(x % 9) + 1, (unsigned long long)(x >> 40) % 1000000000);
        snprintf(line, sizeof line, "{\"amount\":%s}", num);
        double want = strtod(num, NULL);
        bad += decode(line) != VG_DECODE_OK || memcmp(&row[C_AMOUNT].u.d, &want, 8) != 0;
    }
    CHECK_INT(bad, 0);
}

static void test_other_types(void)
{
    CHECK_INT(decode("{\"ok\":false}"), VG_DECODE_OK);
    CHECK_INT(row[C_OK].u.i, 0);
    CHECK_INT(decode("{\"ok\":\"true\"}"), VG_DECODE_OK);
    CHECK_INT(row[C_OK].u.i, 1);
    CHECK_STR(why("{\"ok\":1}"), "column 'ok' expects BOOLEAN, got number 1");
    CHECK_STR(why("{\"ok\":\"yes\"}"), "column 'ok' expects BOOLEAN, got string \"yes\"");
    CHECK_STR(why("{\"ok\":\"True\"}"), "column 'ok' expects BOOLEAN, got string \"True\"");
    CHECK_INT(decode("{\"name\":1.50}"), VG_DECODE_OK);
    CHECK_STR(sval(C_NAME), "1.50");
    CHECK_INT(decode("{\"name\":true}"), VG_DECODE_OK);
    CHECK_STR(sval(C_NAME), "true");
    CHECK_INT(decode("{\"name\":{\"a\": [1, 2]} }"), VG_DECODE_OK);
    CHECK_STR(sval(C_NAME), "{\"a\": [1, 2]}");
    CHECK_INT(decode("{\"name\":[]}"), VG_DECODE_OK);
    CHECK_STR(sval(C_NAME), "[]");
    CHECK_INT(decode("{\"ts\":1714564800123}"), VG_DECODE_OK);
    CHECK_INT(row[C_TS].u.i, 1714564800123LL);
    CHECK_INT(decode("{\"ts\":-1}"), VG_DECODE_OK);
    CHECK_INT(row[C_TS].u.i, -1);
    CHECK_INT(decode("{\"ts\":\"2024-05-01 14:00:00+02:00\"}"), VG_DECODE_OK);
    CHECK_INT(row[C_TS].u.i, 1714564800000LL);
    CHECK_STR(why("{\"ts\":\"2024-13-01\"}"), "column 'ts': invalid timestamp \"2024-13-01\"");
    CHECK_STR(why("{\"ts\":\"1714564800123\"}"),
              "column 'ts': invalid timestamp \"1714564800123\"");
    CHECK_INT(decode("{\"ts\":253402300799999}"), VG_DECODE_OK);
    CHECK_STR(why("{\"ts\":253402300800000}"),
              "value 253402300800000 out of range for TIMESTAMP(3) column 'ts'");
    CHECK_STR(why("{\"ts\":-62167219200001}"),
              "value -62167219200001 out of range for TIMESTAMP(3) column 'ts'");
    CHECK_STR(why("{\"ts\":1.5}"), "column 'ts' expects TIMESTAMP(3), got number 1.5");
    CHECK_STR(why("{\"ts\":true}"), "column 'ts' expects TIMESTAMP(3), got true");
    /* the first value that does not fit is the one reported */
    CHECK_STR(why("{\"ok\":2,\"id\":\"x\"}"), "column 'ok' expects BOOLEAN, got number 2");
    /* a JSON error later in the line wins over a type error */
    CHECK_STR(why("{\"ok\":2,\"id\":}"), "invalid JSON at byte 13: expected a value");
}

static void test_envelope(void)
{
    int32_t part = 99;
    int64_t off = 99;
    CHECK_INT(
        decode("{\"topic\":\"payments\",\"partition\":3,\"offset\":1234,\"tstype\":\"create\","
               "\"ts\":1714564800000,\"key\":\"c1\",\"payload\":"
               "\"{\\\"id\\\":7,\\\"name\\\":\\\"a\\\\\\\"b\\\"}\"}"),
        VG_DECODE_OK);
    CHECK_INT(row[C_ID].u.i, 7);
    CHECK_STR(sval(C_NAME), "a\"b");
    CHECK_INT(row[C_TS].null, 1); /* the envelope's ts is not the event's */
    CHECK_INT(vg_decoder_last_envelope(dec, &part, &off), 1);
    CHECK_INT(part, 3);
    CHECK_INT(off, 1234);
    CHECK_INT(decode("{\"payload\":{\"id\":8,\"ok\":true},\"topic\":\"t\",\"key\":null}"),
              VG_DECODE_OK);
    CHECK_INT(row[C_ID].u.i, 8);
    CHECK_INT(row[C_OK].u.i, 1);
    CHECK_INT(vg_decoder_last_envelope(dec, &part, &off), 1);
    CHECK_INT(part, -1);
    CHECK_INT(off, -1);
    /* an envelope key whose value does not fit an event column is no error */
    CHECK_INT(decode("{\"topic\":\"t\",\"ok\":\"maybe\",\"payload\":{\"ok\":false}}"),
              VG_DECODE_OK);
    CHECK_INT(row[C_OK].u.i, 0);
    CHECK_STR(why("{\"topic\":\"t\",\"payload\":null}"), "empty payload");
    CHECK_STR(why("{\"topic\":\"t\",\"payload\":\"\"}"), "empty payload");
    CHECK_STR(why("{\"topic\":\"t\",\"payload\":5}"), "expected a JSON object in payload");
    CHECK_STR(why("{\"topic\":\"t\",\"payload\":\"[1]\"}"), "expected a JSON object in payload");
    CHECK_STR(why("{\"topic\":\"t\",\"payload\":\"{\\\"id\\\" 1}\"}"),
              "invalid JSON in payload at byte 6: expected ':'");
    CHECK_STR(why("{\"topic\":\"t\",\"payload\":{\"id\":\"x\"}}"),
              "column 'id' expects BIGINT, got string \"x\"");
    CHECK_STR(why("{\"topic\":\"t\",\"payload\":{\"id\":1},\"x\":}"),
              "invalid JSON at byte 36: expected a value");
    /* payload without topic: an ordinary event with an unknown key */
    CHECK_INT(decode("{\"payload\":{\"id\":1},\"id\":2}"), VG_DECODE_OK);
    CHECK_INT(row[C_ID].u.i, 2);
    CHECK_INT(vg_decoder_last_envelope(dec, NULL, NULL), 0);
}

static void test_roundtrip(void)
{
    CHECK_STR(roundtrip("{\"ts\":\"2024-05-01T14:00:00.5+02:00\",\"amount\":0.30000000000000004,"
                        "\"id\":-1,\"name\":\"\\u00e9\\n\\u0001\",\"ok\":false,\"n\":0,\"iv\":5}"),
              "{\"id\":-1,\"n\":0,\"amount\":0.30000000000000004,\"name\":\"\xc3\xa9\\n\\u0001\","
              "\"ok\":false,\"ts\":\"2024-05-01T12:00:00.500Z\",\"iv\":5}");
    CHECK_STR(roundtrip("{\"amount\":100,\"name\":{\"k\":\"v\\\"\"}}"),
              "{\"id\":null,\"n\":null,\"amount\":100.0,\"name\":\"{\\\"k\\\":\\\"v\\\\\\\"\\\"}\","
              "\"ok\":null,\"ts\":null,\"iv\":null}");
    CHECK_STR(roundtrip("{\"amount\":1e21,\"ts\":-1}"),
              "{\"id\":null,\"n\":null,\"amount\":1e+21,\"name\":null,\"ok\":null,"
              "\"ts\":\"1969-12-31T23:59:59.999Z\",\"iv\":null}");
}

static const char *buf_text(vg_buf *b)
{
    const char *s = vg_buf_cstr(b);
    return s ? s : "(no memory)";
}

static void test_encoder(void)
{
    vg_column c2[] = {{"s", VG_T_STRING},    {"q\"k", VG_T_BIGINT}, {"d", VG_T_DOUBLE},
                      {"t", VG_T_TIMESTAMP}, {"b", VG_T_BOOL},      {"i", VG_T_INTERVAL}};
    vg_schema s2 = {6, c2};
    vg_value r[6] = {vg_str("a\"\\\x01\x1f\x7f\t\r\b\f/\xc3\xa9\xff\xe2\x82", 16),
                     vg_int(INT64_MIN),
                     vg_double(NAN),
                     vg_int(0),
                     vg_bool(true),
                     vg_int(-5)};
    const char *want = "{\"s\":\"a\\\"\\\\\\u0001\\u001f\x7f\\t\\r\\b\\f/\xc3\xa9\xef\xbf\xbd"
                       "\xef\xbf\xbd\xef\xbf\xbd\",\"q\\\"k\":-9223372036854775808,\"d\":null,"
                       "\"t\":\"1970-01-01T00:00:00.000Z\",\"b\":true,\"i\":-5}\n";
    vg_buf b;
    vg_buf_init(&b, VG_MEM_OTHER);
    CHECK_INT(vg_json_write_row(&b, &s2, r), 0);
    CHECK_STR(buf_text(&b), want);
    vg_buf_clear(&b);
    vg_json_writer *w = vg_json_writer_new(&s2);
    CHECK(w != NULL);
    CHECK_INT(vg_json_writer_row(w, &b, r), 0);
    CHECK_STR(buf_text(&b), want);
    /* a long string crosses the 16-byte scanning steps */
    char longs[100];
    memset(longs, 'x', sizeof longs);
    longs[37] = '"';
    longs[70] = '\n';
    vg_buf_clear(&b);
    CHECK_INT(vg_json_write_string(&b, longs, sizeof longs), 0);
    CHECK_INT(b.len, 104);
    CHECK(memcmp(b.p + 37, "x\\\"", 3) == 0 && memcmp(b.p + 71, "x\\n", 3) == 0);
    vg_schema empty = {0, NULL};
    vg_buf_clear(&b);
    CHECK_INT(vg_json_write_row(&b, &empty, r), 0);
    CHECK_STR(buf_text(&b), "{}\n");
    vg_json_writer_free(w);
    vg_buf_free(&b);
}

static void test_dead_letter(void)
{
    vg_buf b;
    vg_buf_init(&b, VG_MEM_OTHER);
    CHECK_INT(vg_json_write_dead_letter(&b, "payments", 3, "invalid JSON at byte 5: expected ':'",
                                        "{\"id\" 1}\xff", 9),
              0);
    CHECK_STR(buf_text(&b),
              "{\"source\":\"payments\",\"line\":3,\"reason\":\"invalid JSON at byte 5:"
              " expected ':'\",\"raw\":\"{\\\"id\\\" 1}\xef\xbf\xbd\"}\n");
    size_t n = VG_DEAD_LETTER_RAW_MAX + 10;
    char *raw = malloc(n);
    memset(raw, 'a', n);
    raw[VG_DEAD_LETTER_RAW_MAX - 1] = '\xc3'; /* a character across the cut */
    raw[VG_DEAD_LETTER_RAW_MAX] = '\xa9';
    vg_buf_clear(&b);
    CHECK_INT(vg_json_write_dead_letter(&b, "s", 18446744073709551615ULL, "r", raw, n), 0);
    const char *out = buf_text(&b);
    CHECK(strncmp(out,
                  "{\"source\":\"s\",\"line\":18446744073709551615,\"reason\":\"r\",\"raw\":\"",
                  62) == 0);
    CHECK_INT(b.len, 62 + VG_DEAD_LETTER_RAW_MAX - 1 + 1 + 21 + 2);
    CHECK_STR(out + b.len - 27, "aaa\",\"raw_truncated\":true}\n");
    vg_buf_clear(&b);
    CHECK_INT(vg_json_write_dead_letter(&b, "s", 1, "r", raw, VG_DEAD_LETTER_RAW_MAX - 1), 0);
    CHECK(strstr(buf_text(&b), "truncated") == NULL);
    free(raw);
    vg_buf_free(&b);
}

static void test_alloc_failures(void)
{
    /* every allocation of vg_decoder_new and vg_json_writer_new may fail */
    int ok = 1;
    for (uint64_t k = 1; k <= 3; k++) {
        vg_alloc_fail_at(k, 0);
        vg_decoder *d = vg_decoder_new(&schema);
        ok &= (d == NULL) == (vg_alloc_failed() != 0);
        vg_decoder_free(d);
    }
    for (uint64_t k = 1; k <= 12; k++) {
        vg_alloc_fail_at(k, 0);
        vg_json_writer *w = vg_json_writer_new(&schema);
        ok &= (w == NULL) == (vg_alloc_failed() != 0);
        vg_json_writer_free(w);
    }
    vg_alloc_fail_at(0, 0);
    CHECK(ok);
    /* an escaped string needs the scratch arena */
    vg_arena *a = vg_arena_new(VG_MEM_OTHER, 64);
    const char *line = "{\"name\":\"a\\nb\"}";
    vg_alloc_fail_at(1, 1);
    CHECK_INT(vg_decoder_decode(dec, line, strlen(line), row, a, reason, sizeof reason),
              VG_DECODE_NOMEM);
    CHECK_STR(reason, "out of memory");
    vg_alloc_fail_at(0, 0);
    CHECK_INT(vg_decoder_decode(dec, line, strlen(line), row, a, reason, sizeof reason),
              VG_DECODE_OK);
    vg_arena_free(a);
    /* a failed append leaves the buffer as it was */
    vg_buf b;
    vg_buf_init(&b, VG_MEM_OTHER);
    vg_buf_puts(&b, "kept");
    char big[600];
    memset(big, 'z', sizeof big);
    vg_value r[NCOLS] = {vg_int(1), vg_int(2), vg_double(3), vg_str(big, sizeof big)};
    for (int i = 4; i < NCOLS; i++)
        r[i] = vg_null();
    vg_alloc_fail_at(1, 1);
    CHECK_INT(vg_json_write_row(&b, &schema, r), -1);
    CHECK_INT(vg_json_write_dead_letter(&b, "s", 1, "r", big, sizeof big), -1);
    vg_alloc_fail_at(0, 0);
    CHECK_INT(b.len, 4);
    CHECK_STR(buf_text(&b), "kept");
    vg_buf_free(&b);
}

int main(void)
{
    vg_buf_init(&rt_buf, VG_MEM_OTHER);
    dec = vg_decoder_new(&schema);
    scratch = vg_arena_new(VG_MEM_OTHER, 4096);
    if (!dec || !scratch)
        return 1;
    RUN(test_basic);
    RUN(test_keys);
    RUN(test_key_order);
    RUN(test_syntax_errors);
    RUN(test_depth);
    RUN(test_utf8);
    RUN(test_escapes);
    RUN(test_integers);
    RUN(test_doubles);
    RUN(test_other_types);
    RUN(test_envelope);
    RUN(test_roundtrip);
    RUN(test_encoder);
    RUN(test_dead_letter);
    RUN(test_alloc_failures);
    vg_buf_free(&rt_buf);
    vg_decoder_free(dec);
    vg_arena_free(scratch);
    check_current = "main";
    CHECK_INT(vg_mem_in_use(VG_MEM_IO) + vg_mem_in_use(VG_MEM_OTHER), 0); /* nothing leaked */
    return CHECK_DONE();
}
