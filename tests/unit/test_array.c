/*
 * test_array.c — ARRAY<DOUBLE> values end to end below the SQL tests: the
 * value layout, JSON output (one value and writer rows), CAST to STRING,
 * and expressions bound from SQL text over a row with an ARRAY column
 * (element access, CARDINALITY, the constructor, constants, EXPLAIN text,
 * the errors with their positions), plus allocation failures.
 */
#include <math.h>
#include <string.h>

#include "engine/buf.h"
#include "engine/cast.h"
#include "engine/expr.h"
#include "engine/json_out.h"
#include "sql/binder.h"
#include "sql/parser.h"
#include "tests/unit/check.h"

static vg_arena *arena, *scratch;

/* An array of n values in scratch; NAN stands for a NULL element. */
static vg_value arr(const double *v, uint32_t n)
{
    vg_value out;
    double *d = vg_array_new(scratch, n, &out);
    for (uint32_t i = 0; d && i < n; i++) {
        ((uint8_t *)(d + n))[i] = isnan(v[i]) != 0;
        d[i] = isnan(v[i]) ? 0 : v[i];
    }
    return out;
}

static void test_layout(void)
{
    const double v[3] = {0.5, NAN, -2};
    vg_value a = arr(v, 3);
    CHECK(!a.null && a.len == 3);
    CHECK_INT(vg_array_bytes(3), 27);
    CHECK(vg_array_elems(&a)[0] == 0.5 && vg_array_elems(&a)[2] == -2);
    CHECK(!vg_array_nulls(&a)[0] && vg_array_nulls(&a)[1] && !vg_array_nulls(&a)[2]);
    CHECK((uintptr_t)vg_array_elems(&a) % 8 == 0);
    vg_value e = arr(v, 0);
    CHECK(!e.null && e.len == 0);

    /* comparison, for tests and tools: elementwise, NULL first, shorter first */
    const double w[3] = {0.5, 1, -2}, x[2] = {0.5, NAN};
    vg_value b = arr(w, 3), c = arr(x, 2);
    CHECK_INT(vg_value_cmp(VG_T_ARRAY, &a, &a), 0);
    CHECK_INT(vg_value_cmp(VG_T_ARRAY, &a, &b), -1);
    CHECK_INT(vg_value_cmp(VG_T_ARRAY, &b, &a), 1);
    CHECK_INT(vg_value_cmp(VG_T_ARRAY, &c, &a), -1);
    CHECK(vg_value_same(VG_T_ARRAY, &a, &a) && !vg_value_same(VG_T_ARRAY, &a, &b));
    vg_value n = vg_null();
    CHECK(vg_value_same(VG_T_ARRAY, &n, &n) && !vg_value_same(VG_T_ARRAY, &n, &a));

    vg_alloc_fail_at(1, 1);
    vg_arena *small = vg_arena_new(VG_MEM_EXPR, 64);
    vg_value f = vg_int(7);
    CHECK(small == NULL);
    CHECK(vg_array_new(scratch, 100000, &f) == NULL && f.null);
    vg_alloc_fail_at(0, 0);
}

/* JSON text of one value of type t. */
static const char *json(vg_type t, vg_value v)
{
    static char out[4096];
    vg_buf b;
    vg_buf_init(&b, VG_MEM_IO);
    int rc = vg_json_write_value(&b, t, &v);
    snprintf(out, sizeof out, "%s", rc == 0 ? (b.len ? (vg_buf_putc(&b, 0), b.p) : "") : "ERR");
    vg_buf_free(&b);
    return out;
}

static void test_json(void)
{
    const double v[5] = {0.1, 1, NAN, 1e21, -0.0};
    CHECK_STR(json(VG_T_ARRAY, arr(v, 5)), "[0.1,1.0,null,1e+21,-0.0]");
    CHECK_STR(json(VG_T_ARRAY, arr(v, 1)), "[0.1]");
    CHECK_STR(json(VG_T_ARRAY, arr(v, 0)), "[]");
    CHECK_STR(json(VG_T_ARRAY, vg_null()), "null");
    /* the same text as a DOUBLE column's */
    CHECK_STR(json(VG_T_DOUBLE, vg_double(0.1)), "0.1");
    const double inf[2] = {INFINITY, 1.0 / 3};
    CHECK_STR(json(VG_T_ARRAY, arr(inf, 2)), "[null,0.3333333333333333]");

    /* a writer row: an ARRAY between strings, the room computed per row */
    vg_column cols[3] = {{"id", VG_T_STRING}, {"probs", VG_T_ARRAY}, {"n", VG_T_INT}};
    vg_schema s = {3, cols};
    vg_json_writer *w = vg_json_writer_new(&s);
    CHECK(w != NULL);
    double big[200];
    for (int i = 0; i < 200; i++)
        big[i] = 1.0 / 3 + i;
    vg_value row[3] = {vg_str("x\"y", 3), arr(big, 200), vg_int(3)};
    vg_buf b;
    vg_buf_init(&b, VG_MEM_IO);
    CHECK_INT(vg_json_writer_row(w, &b, row), 0);
    CHECK(b.len > 200 * 17 && b.p[b.len - 1] == '\n');
    CHECK(memcmp(b.p, "{\"id\":\"x\\\"y\",\"probs\":[0.3333333333333333,1.3333333333333333,", 58) ==
          0);
    vg_buf_clear(&b);
    row[1] = vg_null();
    CHECK_INT(vg_json_writer_row(w, &b, row), 0);
    CHECK_INT(vg_json_write_row(&b, &s, row), 0);
    CHECK_INT(vg_buf_putc(&b, 0), 0);
    CHECK_STR(b.p, "{\"id\":\"x\\\"y\",\"probs\":null,\"n\":3}\n"
                   "{\"id\":\"x\\\"y\",\"probs\":null,\"n\":3}\n");
    vg_buf_free(&b);
    vg_json_writer_free(w);
}

static void test_cast(void)
{
    CHECK(vg_cast_allowed(VG_T_ARRAY, VG_T_STRING));
    CHECK(vg_cast_allowed(VG_T_ARRAY, VG_T_ARRAY));
    CHECK(!vg_cast_allowed(VG_T_ARRAY, VG_T_DOUBLE) && !vg_cast_allowed(VG_T_DOUBLE, VG_T_ARRAY));
    CHECK(!vg_cast_allowed(VG_T_STRING, VG_T_ARRAY) && !vg_cast_implicit(VG_T_DOUBLE, VG_T_ARRAY));
    const double v[4] = {0.1, NAN, 3, INFINITY};
    vg_value a = arr(v, 4), out;
    CHECK_INT(vg_cast_find(VG_T_ARRAY, VG_T_STRING)(&a, &out, scratch), 0);
    CHECK(out.len == 26 && memcmp(out.u.s, "[0.1, NULL, 3.0, Infinity]", 26) == 0);
}

/* ---- expressions from SQL ---- */

static const vg_column row_cols[] = {{"probs", VG_T_ARRAY}, {"i", VG_T_INT},
                                     {"x", VG_T_DOUBLE}, {"s", VG_T_STRING}};
static const vg_schema row_schema = {4, (vg_column *)row_cols};
static vg_value row[4];

/* Bind sql over row_schema and evaluate it: its JSON text (or "error
 * L:C: message"), with the EXPLAIN text in *sql_text when not NULL. */
static const char *eval(const char *sql, const char **sql_text)
{
    static char out[600];
    vg_source src = {"t.sql", sql, (uint32_t)strlen(sql)};
    vg_error err;
    vg_error_clear(&err);
    vg_ast *ast;
    vg_expr_pool *pool = vg_expr_pool_new(arena);
    vg_binder *b = pool ? vg_binder_new(pool) : NULL;
    vg_expr *e = NULL;
    if (b && vg_parse_expr(&src, arena, &ast, &err) == 0)
        e = vg_binder_bind_expr(b, ast, &src, &row_schema, &err);
    if (!e) {
        snprintf(out, sizeof out, "error %u:%u: %s", err.line, err.col, err.msg);
        vg_expr_pool_release(pool);
        return out;
    }
    vg_eval_ctx ctx = {scratch, &err};
    vg_value v;
    vg_expr_eval(e, row, &ctx, &v);
    if (vg_expr_type(e) == VG_T_DOUBLE && !v.null) /* no allocation: see test_alloc_failures */
        vg_double_format(v.u.d, out);
    else
        snprintf(out, sizeof out, "%s", json(vg_expr_type(e), v));
    if (sql_text) {
        static const char *const names[] = {"probs", "i", "x", "s"};
        *sql_text = vg_expr_to_sql(e, names, arena);
    }
    vg_expr_pool_release(pool);
    return out;
}

static void test_expressions(void)
{
    const double p[3] = {0.2, 0.3, 0.5};
    row[0] = arr(p, 3);
    row[1] = vg_int(2);
    row[2] = vg_double(0.25);
    row[3] = vg_str("a", 1);
    CHECK_STR(eval("probs", NULL), "[0.2,0.3,0.5]");
    CHECK_STR(eval("probs[1]", NULL), "0.2");
    CHECK_STR(eval("probs[3]", NULL), "0.5");
    CHECK_STR(eval("probs[4]", NULL), "null");
    CHECK_STR(eval("probs[i]", NULL), "0.3");
    CHECK_STR(eval("probs[i - 2]", NULL), "null");
    CHECK_STR(eval("probs[i - 3]", NULL), "null");
    CHECK_STR(eval("probs[CAST(NULL AS INT)]", NULL), "null");
    CHECK_STR(eval("probs[CARDINALITY(probs)]", NULL), "0.5");
    CHECK_STR(eval("-probs[1] * 2", NULL), "-0.4");
    CHECK_STR(eval("CARDINALITY(probs)", NULL), "3");
    CHECK_STR(eval("ARRAY[x, i, NULL]", NULL), "[0.25,2.0,null]");
    CHECK_STR(eval("ARRAY[x, 1][2]", NULL), "1.0");
    CHECK_STR(eval("CASE WHEN x > 0 THEN probs END", NULL), "[0.2,0.3,0.5]");
    CHECK_STR(eval("probs IS NULL", NULL), "false");
    CHECK_STR(eval("CAST(probs AS STRING)", NULL), "\"[0.2, 0.3, 0.5]\"");

    const char *text = NULL;
    eval("ARRAY[1, 2.5][i] + probs[1]", &text);
    CHECK_STR(text, "(ARRAY[1.0, 2.5][i] + probs[1])");
    eval("ARRAY[0.5, NULL]", &text);
    CHECK_STR(text, "ARRAY[0.5, NULL]");
    CHECK_STR(eval("ARRAY[0.5, NULL]", NULL), "[0.5,null]");
    eval("CARDINALITY(ARRAY[x])", &text);
    CHECK_STR(text, "CARDINALITY(ARRAY[x])");

    row[0] = vg_null();
    CHECK_STR(eval("probs[1]", NULL), "null");
    CHECK_STR(eval("CARDINALITY(probs)", NULL), "null");
    CHECK_STR(eval("probs IS NULL", NULL), "true");

    CHECK_STR(eval("probs + 1", NULL), "error 1:7: cannot apply '+' to ARRAY<DOUBLE> and INT");
    CHECK_STR(eval("probs['a']", NULL), "error 1:7: array index must be an integer, got STRING");
    CHECK_STR(eval("x[1]", NULL),
              "error 1:1: cannot access an element of DOUBLE: only an ARRAY has elements");
    CHECK_STR(eval("probs[0]", NULL),
              "error 1:7: array index must be 1 or more (elements are numbered from 1), got 0");
    CHECK_STR(eval("probs = probs", NULL),
              "error 1:7: cannot compare ARRAY<DOUBLE> values: compare their elements (a[1])");
    CHECK_STR(eval("probs IN (probs)", NULL),
              "error 1:1: cannot compare ARRAY<DOUBLE> values: compare their elements (a[1])");
    CHECK_STR(eval("x BETWEEN probs AND 1", NULL),
              "error 1:11: cannot compare ARRAY<DOUBLE> values: compare their elements (a[1])");
    CHECK_STR(eval("CASE probs WHEN probs THEN 1 END", NULL),
              "error 1:6: cannot compare ARRAY<DOUBLE> values: compare their elements (a[1])");
    CHECK_STR(eval("probs || 'a'", NULL),
              "error 1:7: cannot apply '||' to ARRAY<DOUBLE> and STRING");
    CHECK_STR(eval("probs[1", NULL), "error 1:8: expected ']' to close '[' at line 1, column 6");
    CHECK_STR(eval("ARRAY[]", NULL), "error 1:7: ARRAY[] needs at least one element");
    CHECK_STR(eval("ARRAY[s]", NULL),
              "error 1:7: ARRAY elements must be numbers (vigil has ARRAY<DOUBLE>), got STRING");
    CHECK_STR(eval("CAST(x AS ARRAY<DOUBLE>)", NULL), "error 1:1: cannot cast DOUBLE to ARRAY<DOUBLE>");
    CHECK_STR(eval("CAST(probs AS ARRAY<STRING>)", NULL),
              "error 1:21: only ARRAY<DOUBLE> is supported, not ARRAY<STRING>");
    CHECK_STR(eval("CAST(probs AS DOUBLE ARRAY)", NULL), "null");
    CHECK_STR(eval("CAST(probs AS ARRAY<DOUBLE>) IS NULL", NULL), "true");
}

/* Building and evaluating ARRAY[...] with each allocation failing in turn:
 * a clean "out of memory", no leak. */
static void test_alloc_failures(void)
{
    const double p[2] = {0.2, 0.8};
    row[0] = arr(p, 2);
    int failures = 0;
    for (uint64_t k = 1; k < 100; k++) {
        vg_arena_reset(arena);
        vg_arena_reset(scratch);
        vg_alloc_fail_at(k, 0);
        const char *got = eval("ARRAY[x, probs[2]][2] + CARDINALITY(ARRAY[1, 2])", NULL);
        int failed = vg_alloc_failed();
        vg_alloc_fail_at(0, 0);
        if (!failed) {
            CHECK_STR(got, "2.8");
            break;
        }
        failures++;
        if (strcmp(got, "2.8") != 0 && strcmp(got, "error 0:0: out of memory") != 0) {
            check_failed++;
            fprintf(stderr, "FAIL: allocation %llu: %s\n", (unsigned long long)k, got);
        }
    }
    CHECK(failures > 0);
}

int main(void)
{
    arena = vg_arena_new(VG_MEM_EXPR, 4096);
    scratch = vg_arena_new(VG_MEM_EXPR, 4096);
    RUN(test_layout);
    RUN(test_json);
    RUN(test_cast);
    RUN(test_expressions);
    RUN(test_alloc_failures);
    vg_arena_free(arena);
    vg_arena_free(scratch);
    return CHECK_DONE();
}
