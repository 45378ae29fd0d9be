/*
 * test_live_params.c — live queries with parameters and the statement
 * cache (engine/live.h, vg_live_query_params): values bound exactly (every
 * type, ?N order, a parameter key still a key lookup), a wrong count or
 * type refused with its exact message, a statement compiled once and run
 * again from the cache (with other values, after a failure, after the
 * state changed), literal lookups made one parameterised statement (and
 * what is left as written: the result's column names, quoted names, too
 * many literals; errors where the query has them), the least recently used
 * dropped, the hardening and the limits the same for a cached statement,
 * and allocation failures.
 * Operators run in a real DAG planned from SQL (tests/unit/op_test.h).
 */
#include "engine/live.h"
#include "tests/unit/op_test.h"

#define VIEWS                                                                                      \
    "CREATE VIEW counts AS SELECT k, COUNT(*) AS n, SUM(x) AS total FROM s GROUP BY k;\n"          \
    "SELECT * FROM counts;\n"

#define COUNT_TO(n) "WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c LIMIT " #n ") "

/* A run of VIEWS: a three times, b once. */
static vg_live *open_counts(run *r)
{
    if (!opened(r, VIEWS))
        return NULL;
    push(r, "a", 1, 1000);
    push(r, "b", 2, 2000);
    push(r, "a", 3, 3000);
    push(r, "a", 5, 4000);
    vg_dag_end_batch(r->dag);
    vg_error err;
    vg_error_clear(&err);
    vg_live *l = vg_live_open(r->plan, &err);
    if (l)
        vg_live_attach(l, r->dag, 1);
    return l;
}

/* The result of sql with n params under lim (NULL: defaults), or "error:
 * message" (with "L:C" when positioned). */
static const char *qp_lim(vg_live *l, const char *sql, const vg_live_param *p, uint32_t n,
                          const vg_live_limits *lim)
{
    vg_buf b;
    vg_error err;
    vg_buf_init(&b, VG_MEM_OTHER);
    vg_error_clear(&err);
    const char *s;
    if (vg_live_query_params(l, sql, strlen(sql), p, n, lim, &b, &err) == 0)
        s = vg_arena_strndup(arena, b.len ? b.p : "", b.len);
    else if (err.has_pos)
        s = vg_arena_printf(arena, "error %u:%u: %s", err.line, err.col, err.msg);
    else
        s = vg_arena_printf(arena, "error: %s", err.msg);
    vg_buf_free(&b);
    return s;
}

static const char *qp(vg_live *l, const char *sql, const vg_live_param *p, uint32_t n)
{
    return qp_lim(l, sql, p, n, NULL);
}

static vg_live_param text(const char *s)
{
    return (vg_live_param){VG_T_STRING, vg_str(s, (uint32_t)strlen(s))};
}

/* "P prepares, R reuses" since before. */
static const char *compiled(vg_live *l, const vg_live_counts *before)
{
    vg_live_counts now;
    vg_live_counts_get(l, &now);
    return vg_arena_printf(arena, "%llu prepares, %llu reuses",
                           (unsigned long long)(now.prepares - before->prepares),
                           (unsigned long long)(now.reuses - before->reuses));
}

/* ---- binding ---- */

static void test_bound(void)
{
    run r;
    vg_live *l = open_counts(&r);
    CHECK(l != NULL);
    const char *sql = "SELECT n, total FROM counts WHERE k = ?";
    vg_live_param a = text("a"), b = text("b"), zz = text("zz");
    CHECK_STR(qp(l, sql, &a, 1), "{\"columns\":[\"n\",\"total\"],\"rows\":[[3,9]]}");
    CHECK_STR(qp(l, sql, &b, 1), "{\"columns\":[\"n\",\"total\"],\"rows\":[[1,2]]}");
    CHECK_STR(qp(l, sql, &zz, 1), "{\"columns\":[\"n\",\"total\"],\"rows\":[]}");
    vg_live_param null = {VG_T_NULL, vg_null()};
    CHECK_STR(qp(l, sql, &null, 1), "{\"columns\":[\"n\",\"total\"],\"rows\":[]}");
    /* a parameter on the key is still a key lookup, not a scan */
    vg_live_counts before, after;
    vg_live_counts_get(l, &before);
    CHECK_STR(qp(l, sql, &a, 1), "{\"columns\":[\"n\",\"total\"],\"rows\":[[3,9]]}");
    vg_live_counts_get(l, &after);
    CHECK_INT(after.lookups - before.lookups, 1);
    CHECK_INT(after.scans - before.scans, 0);
    /* every type, and ?N in any order */
    vg_live_param all[5] = {
        {VG_T_BIGINT, vg_int(-41)}, {VG_T_DOUBLE, vg_double(0.5)}, {VG_T_BOOL, vg_bool(true)},
        text("it's \"x\""),         {VG_T_NULL, vg_null()},
    };
    CHECK_STR(qp(l, "SELECT ?1 - 1 AS i, ?2 AS d, ?3 AS b, ?4 AS s, ?5 IS NULL AS n", all, 5),
              "{\"columns\":[\"i\",\"d\",\"b\",\"s\",\"n\"],"
              "\"rows\":[[-42,0.5,1,\"it's \\\"x\\\"\",1]]}");
    vg_live_param two[2] = {text("x"), text("y")};
    CHECK_STR(qp(l, "SELECT ?2 AS p, ?1 AS q", two, 2),
              "{\"columns\":[\"p\",\"q\"],\"rows\":[[\"y\",\"x\"]]}");
    /* a value is a value: what looks like SQL in it is not run */
    vg_live_param inj = text("a' OR '1' = '1");
    CHECK_STR(qp(l, sql, &inj, 1), "{\"columns\":[\"n\",\"total\"],\"rows\":[]}");
    /* a string that holds a NUL byte is bound whole (and matches no key) */
    vg_live_param nul = {VG_T_STRING, vg_str("a\0b", 3)};
    CHECK_STR(qp(l, "SELECT length(CAST(? AS BLOB)) AS n", &nul, 1),
              "{\"columns\":[\"n\"],\"rows\":[[3]]}");
    vg_live_close(l);
    run_close(&r);
}

static void test_wrong_parameters(void)
{
    run r;
    vg_live *l = open_counts(&r);
    CHECK(l != NULL);
    vg_live_param p[3] = {text("a"), text("b"), text("c")};
    CHECK_STR(qp(l, "SELECT n FROM counts WHERE k = ?", NULL, 0),
              "error: the query has 1 parameter but none were given");
    CHECK_STR(qp(l, "SELECT 1", p, 1), "error: the query has 0 parameters but 1 was given");
    CHECK_STR(qp(l, "SELECT ?, ?", p, 3), "error: the query has 2 parameters but 3 were given");
    CHECK_STR(qp(l, "SELECT ?3", p, 2), "error: the query has 3 parameters but 2 were given");
    vg_live_param ts = {VG_T_TIMESTAMP, vg_int(0)};
    CHECK_STR(qp(l, "SELECT ?", &ts, 1), "error: parameter 1 has a type a query cannot take");
    static char big[1000002];
    memset(big, 'x', sizeof big - 1);
    vg_live_param long_one[2] = {text("a"), text(big)};
    CHECK_STR(qp(l, "SELECT ?, length(?)", long_one, 2),
              "error: parameter 2 is longer than the limit of 1000000 bytes");
    /* the error's class: a wrong request (400), not a refusal */
    vg_buf b;
    vg_error err;
    vg_buf_init(&b, VG_MEM_OTHER);
    vg_error_clear(&err);
    CHECK_INT(vg_live_query_params(l, "SELECT ?", 8, NULL, 0, NULL, &b, &err), -1);
    CHECK_INT(err.code, VG_ERR_USAGE);
    CHECK_INT(b.len, 0);
    vg_buf_free(&b);
    /* still read-only, parameters or not */
    CHECK_STR(qp(l, "DELETE FROM counts WHERE k = ?", p, 1),
              "error: live queries are read-only: table counts may not be modified");
    CHECK_STR(qp(l, "SELECT ?; SELECT ?", p, 1), "error 1:11: one statement per query");
    vg_live_close(l);
    run_close(&r);
}

/* ---- the cache ---- */

static void test_cache_reuse(void)
{
    run r;
    vg_live *l = open_counts(&r);
    CHECK(l != NULL);
    vg_live_counts c0;
    vg_live_counts_get(l, &c0);
    const char *sql = "SELECT n FROM counts WHERE k = ?";
    vg_live_param a = text("a"), b = text("b");
    CHECK_STR(qp(l, sql, &a, 1), "{\"columns\":[\"n\"],\"rows\":[[3]]}");
    CHECK_STR(qp(l, sql, &b, 1), "{\"columns\":[\"n\"],\"rows\":[[1]]}");
    CHECK_STR(qp(l, sql, &a, 1), "{\"columns\":[\"n\"],\"rows\":[[3]]}");
    CHECK_STR(compiled(l, &c0), "1 prepares, 2 reuses");
    /* a literal lookup is the same statement (its literal a parameter);
     * another text is another statement */
    vg_live_counts_get(l, &c0);
    CHECK_STR(qp(l, "SELECT n FROM counts WHERE k = 'a'", NULL, 0),
              "{\"columns\":[\"n\"],\"rows\":[[3]]}");
    CHECK_STR(qp(l, "SELECT n FROM counts WHERE k = 'b'", NULL, 0),
              "{\"columns\":[\"n\"],\"rows\":[[1]]}");
    CHECK_STR(qp(l, "SELECT n FROM counts WHERE k = 'a' ", NULL, 0),
              "{\"columns\":[\"n\"],\"rows\":[[3]]}");
    CHECK_STR(qp(l, "SELECT n FROM counts WHERE k = 'a' ", NULL, 0),
              "{\"columns\":[\"n\"],\"rows\":[[3]]}");
    CHECK_STR(compiled(l, &c0), "1 prepares, 3 reuses");
    /* a cached statement reads the state as it is now */
    push(&r, "a", 10, 5000);
    vg_dag_end_batch(r.dag);
    CHECK_STR(qp(l, sql, &a, 1), "{\"columns\":[\"n\"],\"rows\":[[4]]}");
    /* a query that does not compile is not kept; its error comes each time */
    vg_live_counts_get(l, &c0);
    CHECK_STR(qp(l, "SELECT * FORM counts", NULL, 0), "error 1:10: near \"FORM\": syntax error");
    CHECK_STR(qp(l, "SELECT * FORM counts", NULL, 0), "error 1:10: near \"FORM\": syntax error");
    CHECK_STR(qp(l, "ATTACH ':memory:' AS x", NULL, 0),
              "error: live queries are read-only: ATTACH is not allowed");
    CHECK_STR(qp(l, "ATTACH ':memory:' AS x", NULL, 0),
              "error: live queries are read-only: ATTACH is not allowed");
    CHECK_STR(compiled(l, &c0), "4 prepares, 0 reuses");
    /* a wrong count after a cached compile: the statement stays right */
    vg_live_counts_get(l, &c0);
    CHECK_STR(qp(l, sql, NULL, 0), "error: the query has 1 parameter but none were given");
    CHECK_STR(qp(l, sql, &b, 1), "{\"columns\":[\"n\"],\"rows\":[[1]]}");
    CHECK_STR(compiled(l, &c0), "0 prepares, 2 reuses");
    vg_live_close(l);
    run_close(&r);
}

/* Literal lookups: the string literals of the top-level WHERE clause (and
 * after it) become parameters of one cached statement; nothing else does,
 * and nothing a result shows changes. */
static void test_literals(void)
{
    run r;
    vg_live *l = open_counts(&r);
    CHECK(l != NULL);
    vg_live_counts c0, c1;
    vg_live_counts_get(l, &c0);
    CHECK_STR(qp(l, "SELECT k, n FROM counts WHERE k = 'a'", NULL, 0),
              "{\"columns\":[\"k\",\"n\"],\"rows\":[[\"a\",3]]}");
    CHECK_STR(qp(l, "SELECT k, n FROM counts WHERE k = 'b'", NULL, 0),
              "{\"columns\":[\"k\",\"n\"],\"rows\":[[\"b\",1]]}");
    CHECK_STR(qp(l, "SELECT k, n FROM counts WHERE k = 'zz'", NULL, 0),
              "{\"columns\":[\"k\",\"n\"],\"rows\":[]}");
    CHECK_STR(compiled(l, &c0), "1 prepares, 2 reuses");
    vg_live_counts_get(l, &c1); /* still key lookups */
    CHECK_INT(c1.lookups - c0.lookups, 3);
    CHECK_INT(c1.scans - c0.scans, 0);
    /* literals before the WHERE name the result's columns: left alone */
    CHECK_STR(qp(l, "SELECT 'x', n FROM counts WHERE k = 'a'", NULL, 0),
              "{\"columns\":[\"'x'\",\"n\"],\"rows\":[[\"x\",3]]}");
    CHECK_STR(qp(l,
                 "SELECT (SELECT 'y' WHERE 1) AS s, n FROM counts WHERE k IN ('a', 'b') "
                 "ORDER BY 'z', n",
                 NULL, 0),
              "{\"columns\":[\"s\",\"n\"],\"rows\":[[\"y\",1],[\"y\",3]]}");
    /* quotes inside, blobs, comments and numbers */
    CHECK_STR(qp(l,
                 "SELECT 1 AS one WHERE 'it''s' = 'it' || '''s' AND x'61' = CAST('a' AS BLOB)"
                 " -- 'not this'\n /* nor 'this' */ ORDER BY 1",
                 NULL, 0),
              "{\"columns\":[\"one\"],\"rows\":[[1]]}");
    CHECK_STR(qp(l, "SELECT 1 AS one WHERE '' = ''", NULL, 0),
              "{\"columns\":[\"one\"],\"rows\":[[1]]}");
    /* a quoted name where SQLite wants a name: run as written */
    vg_live_counts_get(l, &c0);
    CHECK_STR(
        qp(l, "SELECT n FROM counts WHERE k IN (SELECT k FROM 'counts' WHERE k = 'a')", NULL, 0),
        "{\"columns\":[\"n\"],\"rows\":[[3]]}");
    CHECK_STR(compiled(l, &c0), "2 prepares, 0 reuses");
    /* errors are those of the query as written, where it was written */
    CHECK_STR(qp(l, "SELECT n FROM counts WHERE k = 'a' AND nope = 'b'", NULL, 0),
              "error 1:40: no such column: nope");
    CHECK_STR(qp(l, "SELECT n FROM counts WHERE k = 'a", NULL, 0),
              "error 1:32: unrecognized token: \"'a\"");
    CHECK_STR(qp(l, "DELETE FROM counts WHERE k = 'a'", NULL, 0),
              "error: live queries are read-only: table counts may not be modified");
    /* more literals than parameters may be: run as written */
    const char *many = "SELECT count(*) AS c FROM counts WHERE k IN "
                       "('a','b','c','d','e','f','g','h','i','j','k','l','m','n','o','p','q')";
    CHECK_STR(qp(l, many, NULL, 0), "{\"columns\":[\"c\"],\"rows\":[[2]]}");
    vg_live_close(l);
    run_close(&r);
}

/* A cached statement stopped by a limit runs again, under the limits of
 * its new run. */
static void test_cache_limits(void)
{
    run r;
    vg_live *l = open_counts(&r);
    CHECK(l != NULL);
    vg_live_counts c0;
    vg_live_counts_get(l, &c0);
    const char *rows = COUNT_TO(5) "SELECT i FROM c WHERE i <= ?";
    vg_live_param five = {VG_T_BIGINT, vg_int(5)}, three = {VG_T_BIGINT, vg_int(3)};
    CHECK_STR(qp_lim(l, rows, &five, 1, &(vg_live_limits){.max_rows = 4}),
              "error: query stopped: more than 4 rows (the row limit); narrow it with WHERE or "
              "LIMIT");
    CHECK_STR(qp_lim(l, rows, &three, 1, &(vg_live_limits){.max_rows = 4}),
              "{\"columns\":[\"i\"],\"rows\":[[1],[2],[3]]}");
    CHECK_STR(qp(l, rows, &five, 1), "{\"columns\":[\"i\"],\"rows\":[[1],[2],[3],[4],[5]]}");
    const char *slow = COUNT_TO(1000000000) "SELECT count(*) FROM c";
    CHECK_STR(qp_lim(l, slow, NULL, 0, &(vg_live_limits){.time_ms = 20}),
              "error: query stopped: it ran longer than the time limit of 20 ms");
    CHECK_STR(qp_lim(l, slow, NULL, 0, &(vg_live_limits){.time_ms = 20}),
              "error: query stopped: it ran longer than the time limit of 20 ms");
    /* the rows a cached statement copies count against its run's memory limit */
    const char *one = "SELECT * FROM counts WHERE k = ?";
    vg_live_param a = {VG_T_STRING, vg_str("a", 1)};
    const char *want = "{\"columns\":[\"k\",\"n\",\"total\"],\"rows\":[[\"a\",3,9]]}";
    CHECK_STR(qp(l, one, &a, 1), want);
    CHECK_STR(qp_lim(l, one, &a, 1, &(vg_live_limits){.heap_bytes = 10}),
              "error: query stopped: it needed more than the memory limit of 10 bytes");
    CHECK_STR(qp(l, one, &a, 1), want);
    CHECK_STR(compiled(l, &c0), "3 prepares, 5 reuses");
    vg_live_close(l);
    run_close(&r);
}

/* At most VG_LIVE_CACHE statements: the least recently used goes first. */
static void test_cache_eviction(void)
{
    run r;
    vg_live *l = open_counts(&r);
    CHECK(l != NULL);
    char sql[64];
    for (int i = 0; i <= VG_LIVE_CACHE; i++) { /* one more than fits */
        snprintf(sql, sizeof sql, "SELECT %d AS i", i);
        qp(l, sql, NULL, 0);
    }
    vg_live_counts c0;
    vg_live_counts_get(l, &c0);
    snprintf(sql, sizeof sql, "SELECT %d AS i", VG_LIVE_CACHE);
    CHECK_STR(qp(l, sql, NULL, 0),
              vg_arena_printf(arena, "{\"columns\":[\"i\"],\"rows\":[[%d]]}", VG_LIVE_CACHE));
    CHECK_STR(qp(l, "SELECT 1 AS i", NULL, 0), "{\"columns\":[\"i\"],\"rows\":[[1]]}");
    CHECK_STR(compiled(l, &c0), "0 prepares, 2 reuses");
    /* SELECT 0 was the least recently used: dropped when the last one came */
    CHECK_STR(qp(l, "SELECT 0 AS i", NULL, 0), "{\"columns\":[\"i\"],\"rows\":[[0]]}");
    CHECK_STR(compiled(l, &c0), "1 prepares, 2 reuses");
    /* a statement too large for the cache (over VG_LIVE_CACHE_BYTES / 8) runs, and is not kept */
    size_t n = 600000;
    char *big = vg_malloc(VG_MEM_OTHER, n + 64);
    memcpy(big, "SELECT length('", 15);
    memset(big + 15, 'x', n);
    strcpy(big + 15 + n, "') AS n");
    vg_live_limits lim = {.max_sql_bytes = 700000};
    vg_live_counts_get(l, &c0);
    CHECK_STR(qp_lim(l, big, NULL, 0, &lim), "{\"columns\":[\"n\"],\"rows\":[[600000]]}");
    CHECK_STR(qp_lim(l, big, NULL, 0, &lim), "{\"columns\":[\"n\"],\"rows\":[[600000]]}");
    CHECK_STR(compiled(l, &c0), "2 prepares, 0 reuses");
    vg_free(big);
    vg_live_close(l);
    run_close(&r);
}

/* Every allocation of a parameterised query, compiled and then cached,
 * made to fail in turn: the right answer or "out of memory"; never a crash
 * or a leak. */
static void test_alloc_failures(void)
{
    run r;
    vg_live *l = open_counts(&r);
    CHECK(l != NULL);
    const char *sql = "SELECT k, n, total FROM counts WHERE k = ?";
    vg_live_param a = text("a");
    const char *want = qp(l, sql, &a, 1);
    CHECK_STR(want, "{\"columns\":[\"k\",\"n\",\"total\"],\"rows\":[[\"a\",3,9]]}");
    vg_live_close(l);
    size_t before = vg_mem_in_use(VG_MEM_OTHER);
    bool done = false;
    int wrong = 0;
    for (uint64_t fail = 1; fail < 10000 && !done; fail++) {
        vg_error err;
        vg_error_clear(&err);
        vg_alloc_fail_at(fail, 0);
        vg_live *lf = vg_live_open(r.plan, &err);
        const char *got[2] = {"error: out of memory", "error: out of memory"};
        if (lf) {
            vg_live_attach(lf, r.dag, 1);
            got[0] = qp(lf, sql, &a, 1); /* compiled */
            got[1] = qp(lf, sql, &a, 1); /* cached, when the first ran */
        }
        done = !vg_alloc_failed();
        vg_alloc_fail_at(0, 0);
        for (int i = 0; i < 2; i++) {
            bool bad = lf ? strcmp(got[i], want) != 0 && strcmp(got[i], "error: out of memory") != 0
                          : err.code != VG_ERR_NOMEM;
            if (bad)
                fprintf(stderr, "fail at %llu: %s\n", (unsigned long long)fail,
                        lf ? got[i] : err.msg);
            wrong += bad;
        }
        vg_live_close(lf);
    }
    CHECK(done);
    CHECK_INT(wrong, 0);
    CHECK_INT(vg_mem_in_use(VG_MEM_OTHER), before);
    run_close(&r);
}

int main(void)
{
    arena = vg_arena_new(VG_MEM_OTHER, 0);
    RUN(test_bound);
    RUN(test_wrong_parameters);
    RUN(test_cache_reuse);
    RUN(test_literals);
    RUN(test_cache_limits);
    RUN(test_cache_eviction);
    RUN(test_alloc_failures);
    vg_arena_free(arena);
    return CHECK_DONE();
}
