/*
 * test_project.c — filter and projection (engine/op_project.c) in a real
 * DAG planned from SQL: a view whose SELECT list is its input's columns in
 * order (the row passed on as it is), with and without a WHERE; views that
 * reorder, rename or compute a column of the same count (copied or
 * evaluated, not passed on); bare columns beside computed ones; NULLs.
 */
#include "tests/unit/op_test.h"

/* The sink's rows after pushing (k, x, ts) rows a1, NULL 2, b3, c0 into sql's pipeline. */
static const char *rows_of(const char *sql)
{
    run r;
    if (!opened(&r, sql))
        return "not opened";
    push(&r, "a", 1, 10);
    push(&r, NULL, 2, 11);
    push(&r, "b", 3, 12);
    push(&r, "c", 0, 13);
    const char *s = out(&r);
    run_close(&r);
    return s;
}

static void test_identity_view(void)
{
    CHECK_STR(rows_of("CREATE VIEW v AS SELECT k, x, ts FROM s;\n"
                      "SELECT x, k FROM v;\n"),
              "{\"x\":1,\"k\":\"a\"}\n{\"x\":2,\"k\":null}\n{\"x\":3,\"k\":\"b\"}\n"
              "{\"x\":0,\"k\":\"c\"}\n");
    CHECK_STR(rows_of("CREATE VIEW v AS SELECT * FROM s WHERE x >= 2;\n"
                      "SELECT * FROM v;\n"),
              "{\"k\":null,\"x\":2,\"ts\":\"1970-01-01T00:00:00.011Z\"}\n"
              "{\"k\":\"b\",\"x\":3,\"ts\":\"1970-01-01T00:00:00.012Z\"}\n");
}

static void test_not_identity(void)
{
    /* reordered */
    CHECK_STR(rows_of("CREATE VIEW v AS SELECT x, k, ts FROM s;\n"
                      "SELECT * FROM v WHERE x < 2;\n"),
              "{\"x\":1,\"k\":\"a\",\"ts\":\"1970-01-01T00:00:00.010Z\"}\n"
              "{\"x\":0,\"k\":\"c\",\"ts\":\"1970-01-01T00:00:00.013Z\"}\n");
    /* renamed: the same values under new names */
    CHECK_STR(rows_of("CREATE VIEW v AS SELECT k AS key, x AS n, ts FROM s;\n"
                      "SELECT key, n FROM v WHERE n = 3;\n"),
              "{\"key\":\"b\",\"n\":3}\n");
    /* one column computed, the count the same */
    CHECK_STR(rows_of("CREATE VIEW v AS SELECT k, x + 10 AS x, ts FROM s;\n"
                      "SELECT k, x FROM v WHERE x > 11;\n"),
              "{\"k\":null,\"x\":12}\n{\"k\":\"b\",\"x\":13}\n");
    /* one column twice */
    CHECK_STR(rows_of("CREATE VIEW v AS SELECT k, x, x AS y FROM s;\n"
                      "SELECT * FROM v WHERE x = 0;\n"),
              "{\"k\":\"c\",\"x\":0,\"y\":0}\n");
}

static void test_columns_and_expressions(void)
{
    CHECK_STR(rows_of("SELECT ts, UPPER(k) AS u, x, x * x AS sq, k FROM s WHERE x <> 1;\n"),
              "{\"ts\":\"1970-01-01T00:00:00.011Z\",\"u\":null,\"x\":2,\"sq\":4,\"k\":null}\n"
              "{\"ts\":\"1970-01-01T00:00:00.012Z\",\"u\":\"B\",\"x\":3,\"sq\":9,\"k\":\"b\"}\n"
              "{\"ts\":\"1970-01-01T00:00:00.013Z\",\"u\":\"C\",\"x\":0,\"sq\":0,\"k\":\"c\"}\n");
    CHECK_STR(rows_of("SELECT 7 AS seven, k FROM s WHERE k = 'a';\n"),
              "{\"seven\":7,\"k\":\"a\"}\n");
}

int main(void)
{
    arena = vg_arena_new(VG_MEM_OTHER, 1 << 16);
    RUN(test_identity_view);
    RUN(test_not_identity);
    RUN(test_columns_and_expressions);
    vg_arena_free(arena);
    return CHECK_DONE();
}
