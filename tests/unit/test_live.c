/*
 * test_live.c — live state in SQL (engine/live.h): each stateful kind's
 * table with its exact rows, names and catalog, key lookups proven by
 * counting iterate and lookup calls (one per source partition, IN lists,
 * joins, values a lookup cannot take), every refusal of the hardened
 * connection with its exact message (writes, ATTACH, PRAGMA, transactions,
 * extensions, SQLite's own tables), the time, memory, row and size
 * limits, errors positioned in the query, and allocation failures.
 * Operators run in a real DAG planned from SQL (tests/unit/op_test.h).
 */
#include "engine/clock.h"
#include "engine/live.h"
#include "tests/unit/op_test.h"

#define VIEWS                                                                                      \
    "CREATE VIEW counts AS SELECT k, COUNT(*) AS n, SUM(x) AS total FROM s GROUP BY k;\n"          \
    "CREATE VIEW feats AS SELECT k, x, COUNT(*) OVER w AS n1m, MAX(x) OVER w AS max1m\n"           \
    "  FROM s WINDOW w AS (PARTITION BY k ORDER BY ts\n"                                           \
    "                      RANGE BETWEEN INTERVAL '1' MINUTE PRECEDING AND CURRENT ROW);\n"        \
    "CREATE VIEW top2 AS SELECT k, x, ts FROM (\n"                                                 \
    "  SELECT *, ROW_NUMBER() OVER (PARTITION BY k ORDER BY x DESC) AS rn FROM s) WHERE rn <= "    \
    "2;\n"                                                                                         \
    "SELECT * FROM counts;\n"                                                                      \
    "INSERT INTO o SELECT * FROM feats;\n"                                                         \
    "INSERT INTO t SELECT * FROM top2;\n"                                                          \
    "INSERT INTO w SELECT window_start, k, COUNT(*) AS c\n"                                        \
    "  FROM TABLE(TUMBLE(TABLE s, DESCRIPTOR(ts), INTERVAL '1' MINUTE))\n"                         \
    "  GROUP BY window_start, window_end, k;\n"

/* A run of VIEWS with a few events: a three times (the last a minute
 * later), b once, a NULL key once. */
static bool open_views(run *r)
{
    if (!opened(r, VIEWS))
        return false;
    push(r, "a", 1, 1000);
    push(r, "b", 2, 2000);
    push(r, "a", 3, 3000);
    push(r, "a", 5, 62000);
    push(r, NULL, 7, 4000);
    vg_dag_end_batch(r->dag);
    return true;
}

static vg_live *live_of(run *r, uint32_t parts)
{
    vg_error err;
    vg_error_clear(&err);
    vg_live *l = vg_live_open(r->plan, &err);
    if (!l) {
        fprintf(stderr, "vg_live_open: %s\n", err.msg);
        return NULL;
    }
    vg_live_attach(l, r->dag, parts);
    return l;
}

/* The result of sql under lim (NULL: defaults), or "error L:C: message"
 * ("error: message" without a position). */
static const char *q_lim(vg_live *l, const char *sql, const vg_live_limits *lim)
{
    vg_buf b;
    vg_error err;
    vg_buf_init(&b, VG_MEM_OTHER);
    vg_error_clear(&err);
    const char *s;
    if (vg_live_query(l, sql, strlen(sql), lim, &b, &err) == 0)
        s = vg_arena_strndup(arena, b.len ? b.p : "", b.len);
    else if (err.has_pos)
        s = vg_arena_printf(arena, "error %u:%u: %s", err.line, err.col, err.msg);
    else
        s = vg_arena_printf(arena, "error: %s", err.msg);
    vg_buf_free(&b);
    return s;
}

static const char *q(vg_live *l, const char *sql) { return q_lim(l, sql, NULL); }

/* Scans and lookups made by sql. */
static const char *calls(vg_live *l, const char *sql)
{
    vg_live_counts before, after;
    vg_live_counts_get(l, &before);
    const char *res = q(l, sql);
    vg_live_counts_get(l, &after);
    return vg_arena_printf(arena, "%llu scans, %llu lookups%s",
                           (unsigned long long)(after.scans - before.scans),
                           (unsigned long long)(after.lookups - before.lookups),
                           strncmp(res, "error", 5) == 0 ? res : "");
}

/* ---- the tables ---- */

static void test_catalog(void)
{
    run r;
    CHECK(open_views(&r));
    vg_live *l = live_of(&r, 1);
    CHECK_STR(q(l, "SELECT name, kind, node, view, key_columns, lookup, columns FROM vigil_tables"),
              "{\"columns\":[\"name\",\"kind\",\"node\",\"view\",\"key_columns\",\"lookup\","
              "\"columns\"],\"rows\":["
              "[\"counts\",\"group\",1,\"counts\",\"k\",true,\"k,n,total\"],"
              "[\"feats\",\"over\",3,\"feats\",\"k\",true,\"k,n1m,max1m,source_partition\"],"
              "[\"top2\",\"rank\",5,\"top2\",\"k\",false,\"k,x,ts\"],"
              "[\"window_10\",\"window\",10,null,\"k\",false,"
              "\"window_start,window_end,window_time,k,c\"]]}");
    CHECK_STR(vg_live_table_of(l, 3), "feats");
    CHECK(vg_live_table_of(l, 0) == NULL); /* the source */
    vg_live_close(l);
    run_close(&r);
}

static void test_group_table(void)
{
    run r;
    CHECK(open_views(&r));
    vg_live *l = live_of(&r, 1);
    CHECK_STR(q(l, "SELECT * FROM counts ORDER BY k"),
              "{\"columns\":[\"k\",\"n\",\"total\"],\"rows\":"
              "[[null,1,7],[\"a\",3,9],[\"b\",1,2]]}");
    CHECK_STR(q(l, "SELECT n FROM counts WHERE k = 'a'"), "{\"columns\":[\"n\"],\"rows\":[[3]]}");
    CHECK_STR(q(l, "SELECT * FROM counts WHERE k IS NULL"),
              "{\"columns\":[\"k\",\"n\",\"total\"],\"rows\":[[null,1,7]]}");
    vg_live_close(l);
    run_close(&r);
}

/* OVER: each key's aggregates over the frame of its newest row; the
 * source partition is a hidden column. */
static void test_over_table(void)
{
    run r;
    CHECK(open_views(&r));
    vg_live *l = live_of(&r, 1);
    CHECK_STR(q(l, "SELECT * FROM feats ORDER BY k"),
              "{\"columns\":[\"k\",\"n1m\",\"max1m\"],\"rows\":"
              "[[null,1,7],[\"a\",2,5],[\"b\",1,2]]}");
    CHECK_STR(q(l, "SELECT source_partition, k, n1m FROM feats WHERE k = 'b'"),
              "{\"columns\":[\"source_partition\",\"k\",\"n1m\"],\"rows\":[[0,\"b\",1]]}");
    /* the watermark evicts rows older than it less a minute: b's only row,
     * and a's first; a key left without rows is gone */
    vg_dag_watermark(r.dag, 62500);
    vg_dag_end_batch(r.dag);
    CHECK_STR(q(l, "SELECT k, n1m, max1m FROM feats ORDER BY k"),
              "{\"columns\":[\"k\",\"n1m\",\"max1m\"],\"rows\":[[null,1,7],[\"a\",2,5]]}");
    vg_live_close(l);
    run_close(&r);
}

/* rank: the rows each key keeps; window: the windows not fired yet. */
static void test_rank_and_window_tables(void)
{
    run r;
    CHECK(open_views(&r));
    vg_live *l = live_of(&r, 1);
    CHECK_STR(q(l, "SELECT k, x, ts FROM top2 ORDER BY k, x DESC"),
              "{\"columns\":[\"k\",\"x\",\"ts\"],\"rows\":[[null,7,\"1970-01-01T00:00:04.000Z\"],"
              "[\"a\",5,\"1970-01-01T00:01:02.000Z\"],[\"a\",3,\"1970-01-01T00:00:03.000Z\"],"
              "[\"b\",2,\"1970-01-01T00:00:02.000Z\"]]}");
    CHECK_STR(
        q(l, "SELECT * FROM window_10 ORDER BY window_start, k"),
        "{\"columns\":[\"window_start\",\"window_end\",\"window_time\",\"k\",\"c\"],\"rows\":["
        "[\"1970-01-01T00:00:00.000Z\",\"1970-01-01T00:01:00.000Z\","
        "\"1970-01-01T00:00:59.999Z\",null,1],"
        "[\"1970-01-01T00:00:00.000Z\",\"1970-01-01T00:01:00.000Z\","
        "\"1970-01-01T00:00:59.999Z\",\"a\",2],"
        "[\"1970-01-01T00:00:00.000Z\",\"1970-01-01T00:01:00.000Z\","
        "\"1970-01-01T00:00:59.999Z\",\"b\",1],"
        "[\"1970-01-01T00:01:00.000Z\",\"1970-01-01T00:02:00.000Z\","
        "\"1970-01-01T00:01:59.999Z\",\"a\",1]]}");
    vg_dag_watermark(r.dag, 60000); /* the first minute fires */
    vg_dag_end_batch(r.dag);
    CHECK_STR(q(l, "SELECT k, c FROM window_10"),
              "{\"columns\":[\"k\",\"c\"],\"rows\":[[\"a\",1]]}");
    vg_live_close(l);
    run_close(&r);
}

/* MATCH_RECOGNIZE: per key, the rows it holds, its open partial matches
 * and the matches so far. */
static void test_match_table(void)
{
    run r;
    bool ok = opened(&r, "CREATE VIEW bursts AS SELECT * FROM s MATCH_RECOGNIZE (\n"
                         "  PARTITION BY k ORDER BY ts MEASURES COUNT(*) AS c\n"
                         "  PATTERN (A+ B) DEFINE A AS x < 10, B AS x >= 10);\n"
                         "INSERT INTO o SELECT * FROM bursts;\n");
    CHECK(ok);
    if (!ok)
        return;
    push(&r, "a", 1, 1000);
    push(&r, "a", 12, 2000);
    push(&r, "a", 2, 3000);
    push(&r, "b", 3, 4000);
    vg_dag_watermark(r.dag, 4000);
    vg_dag_end_batch(r.dag);
    vg_live *l = live_of(&r, 1);
    CHECK_STR(q(l, "SELECT name, kind, key_columns, lookup FROM vigil_tables"),
              "{\"columns\":[\"name\",\"kind\",\"key_columns\",\"lookup\"],\"rows\":"
              "[[\"bursts\",\"match\",\"k\",true]]}");
    CHECK_STR(q(l, "SELECT k, matches, threads > 0 AS open FROM bursts ORDER BY k"),
              "{\"columns\":[\"k\",\"matches\",\"open\"],\"rows\":[[\"a\",1,1],[\"b\",0,1]]}");
    CHECK_STR(calls(l, "SELECT * FROM bursts WHERE k = 'b'"), "0 scans, 1 lookups");
    CHECK_STR(q(l, "SELECT k, rows, matches FROM bursts WHERE k = 'b'"),
              "{\"columns\":[\"k\",\"rows\",\"matches\"],\"rows\":[[\"b\",1,0]]}");
    vg_live_close(l);
    run_close(&r);
}

/* Names: a view with several stateful operators, anonymous ones, column
 * names SQLite would take for one (k and K), types, and no DAG. */
static void test_names_and_types(void)
{
    run r;
    bool ok = opened(&r, "CREATE VIEW v AS SELECT k, x,\n"
                         "  COUNT(*) OVER (PARTITION BY k ORDER BY ts ROWS BETWEEN 1 PRECEDING "
                         "AND CURRENT ROW) AS n_k,\n"
                         "  COUNT(*) OVER (PARTITION BY x ORDER BY ts ROWS BETWEEN 1 PRECEDING "
                         "AND CURRENT ROW) AS n_x FROM s;\n"
                         "INSERT INTO o SELECT * FROM v;\n"
                         "SELECT k, MAX(x) AS big_x, AVG(x) AS K FROM s GROUP BY k;\n");
    CHECK(ok);
    if (!ok)
        return;
    push(&r, "a", 2, 1000);
    vg_dag_end_batch(r.dag);
    vg_live *l = live_of(&r, 1);
    CHECK_STR(q(l, "SELECT name, columns FROM vigil_tables"),
              "{\"columns\":[\"name\",\"columns\"],\"rows\":["
              "[\"v_by_k\",\"k,n_k,source_partition\"],[\"v_by_x\",\"x,n_x,source_partition\"],"
              "[\"group_5\",\"k,big_x,K_2\"]]}");
    CHECK_STR(q(l, "SELECT * FROM group_5"),
              "{\"columns\":[\"k\",\"big_x\",\"K_2\"],\"rows\":[[\"a\",2,2]]}");
    CHECK_STR(q(l, "SELECT * FROM v_by_x WHERE x = 2"),
              "{\"columns\":[\"x\",\"n_x\"],\"rows\":[[2,1]]}");
    vg_live_attach(l, NULL, 1);
    CHECK_STR(q(l, "SELECT count(*) FROM group_5"), "{\"columns\":[\"count(*)\"],\"rows\":[[0]]}");
    vg_live_close(l);
    run_close(&r);
}

/* ---- lookups ---- */

static void test_pushdown(void)
{
    run r;
    CHECK(open_views(&r));
    vg_live *l = live_of(&r, 1);
    CHECK_STR(calls(l, "SELECT * FROM counts"), "1 scans, 0 lookups");
    CHECK_STR(calls(l, "SELECT * FROM counts WHERE k = 'a'"), "0 scans, 1 lookups");
    CHECK_STR(calls(l, "SELECT * FROM feats WHERE k = 'zz'"), "0 scans, 1 lookups");
    CHECK_STR(calls(l, "SELECT * FROM feats WHERE 'a' = k AND n1m > 0"), "0 scans, 1 lookups");
    CHECK_STR(calls(l, "SELECT * FROM counts WHERE k IN ('a', 'b', 'c')"), "0 scans, 3 lookups");
    CHECK_STR(calls(l, "SELECT * FROM counts WHERE k > 'a'"), "1 scans, 0 lookups");
    CHECK_STR(calls(l, "SELECT * FROM counts WHERE k = 'a' OR k = 'b'"), "0 scans, 2 lookups");
    /* a join looks the inner side up once per outer row (not the NULL key's) */
    CHECK_STR(calls(l, "SELECT * FROM counts c JOIN feats f ON f.k = c.k"), "1 scans, 2 lookups");
    /* rank and window tables have no lookup: scan */
    CHECK_STR(calls(l, "SELECT * FROM top2 WHERE k = 'a'"), "1 scans, 0 lookups");
    /* a value the lookup cannot take scans, and SQLite decides */
    CHECK_STR(calls(l, "SELECT * FROM counts WHERE k = 1"), "1 scans, 0 lookups");
    CHECK_STR(q(l, "SELECT n FROM counts WHERE k = 1"), "{\"columns\":[\"n\"],\"rows\":[]}");
    /* = NULL never holds: nothing looked up */
    CHECK_STR(calls(l, "SELECT * FROM counts WHERE k = NULL"), "0 scans, 0 lookups");
    vg_live_close(l);
    run_close(&r);
}

/* State per source partition: a key of two partitions is two rows, each
 * partition probed once, or only the one asked for. */
static void test_partitions(void)
{
    run r;
    CHECK(open_views(&r));
    vg_dag_set_partition(r.dag, 2);
    push(&r, "a", 10, 5000);
    vg_dag_end_batch(r.dag);
    vg_live *l = live_of(&r, 3);
    CHECK_STR(q(l, "SELECT source_partition, k, n1m, max1m FROM feats WHERE k = 'a' "
                   "ORDER BY source_partition"),
              "{\"columns\":[\"source_partition\",\"k\",\"n1m\",\"max1m\"],\"rows\":"
              "[[0,\"a\",2,5],[2,\"a\",1,10]]}");
    CHECK_STR(calls(l, "SELECT * FROM feats WHERE k = 'a'"), "0 scans, 3 lookups");
    CHECK_STR(calls(l, "SELECT * FROM counts WHERE k = 'a'"), "0 scans, 3 lookups");
    CHECK_STR(q(l, "SELECT n, total FROM counts WHERE k = 'a' ORDER BY n"),
              "{\"columns\":[\"n\",\"total\"],\"rows\":[[1,10],[3,9]]}");
    /* a lookup finds what a scan finds */
    CHECK_STR(q(l, "SELECT source_partition, * FROM feats WHERE k = 'a' ORDER BY 1"),
              q(l, "SELECT source_partition, * FROM feats WHERE k || '' = 'a' ORDER BY 1"));
    CHECK_STR(q(l, "SELECT * FROM counts WHERE k IN ('a', 'b') ORDER BY 1, 2"),
              q(l, "SELECT * FROM counts WHERE k || '' IN ('a', 'b') ORDER BY 1, 2"));
    CHECK_STR(calls(l, "SELECT * FROM feats WHERE k = 'a' AND source_partition = 2"),
              "0 scans, 1 lookups");
    CHECK_STR(q(l, "SELECT max1m FROM feats WHERE source_partition = 2"),
              "{\"columns\":[\"max1m\"],\"rows\":[[10]]}");
    vg_live_close(l);
    run_close(&r);
}

/* ---- refusals and limits ---- */

static void test_refusals(void)
{
    run r;
    CHECK(open_views(&r));
    vg_live *l = live_of(&r, 1);
    CHECK_STR(q(l, "INSERT INTO counts VALUES ('x', 1, 2)"),
              "error: live queries are read-only: INSERT is not allowed");
    CHECK_STR(q(l, "DELETE FROM counts"),
              "error: live queries are read-only: table counts may not be modified");
    CHECK_STR(q(l, "UPDATE counts SET n = 0"),
              "error: live queries are read-only: table counts may not be modified");
    CHECK_STR(q(l, "ATTACH DATABASE '/tmp/x.db' AS x"),
              "error: live queries are read-only: ATTACH is not allowed");
    CHECK_STR(q(l, "PRAGMA user_version = 7"),
              "error: live queries are read-only: PRAGMA is not allowed");
    CHECK_STR(q(l, "PRAGMA table_info(counts)"),
              "error: live queries are read-only: PRAGMA is not allowed");
    CHECK_STR(q(l, "CREATE TABLE t (x)"),
              "error: live queries are read-only: changing the schema is not allowed");
    CHECK_STR(q(l, "BEGIN"), "error: live queries are read-only: a transaction is not allowed");
    CHECK_STR(q(l, "SELECT load_extension('/tmp/evil.so')"),
              "error 1:8: function load_extension() is not allowed in live queries");
    CHECK_STR(q(l, "SELECT * FROM dbstat"), "error: table 'dbstat' is not a live table");
    CHECK_STR(q(l, "SELECT * FROM pragma_function_list"),
              "error: only the live tables can be read (vigil_tables lists them)");
    CHECK_STR(q(l, "SELECT count(*) FROM sqlite_master"),
              "{\"columns\":[\"count(*)\"],\"rows\":[[0]]}");
    /* SQLite's own table-valued functions that are harmless stay */
    CHECK_STR(q(l, "SELECT value FROM json_each('[1,2]')"),
              "{\"columns\":[\"value\"],\"rows\":[[1],[2]]}");
    vg_live_close(l);
    run_close(&r);
}

static void test_errors(void)
{
    run r;
    CHECK(open_views(&r));
    vg_live *l = live_of(&r, 1);
    CHECK_STR(q(l, "SELECT * FORM counts"), "error 1:10: near \"FORM\": syntax error");
    CHECK_STR(q(l, "SELECT k,\n  nope\nFROM counts"), "error 2:3: no such column: nope");
    CHECK_STR(q(l, "SELECT * FROM nope"), "error: no such table: nope");
    CHECK_STR(q(l, "SELECT 1; SELECT 2"), "error 1:11: one statement per query");
    CHECK_STR(q(l, "SELECT * FROM counts WHERE"), "error 1:27: incomplete input");
    CHECK_STR(q(l, "SELECT 1; -- a comment\n"), "{\"columns\":[\"1\"],\"rows\":[[1]]}");
    CHECK_STR(q(l, "  -- nothing\n"), "error: empty query");
    CHECK_STR(q_lim(l, "SELECT 1", &(vg_live_limits){.max_sql_bytes = 5}),
              "error: query too long: 8 bytes (the limit is 5)");
    vg_buf b;
    vg_error err;
    vg_buf_init(&b, VG_MEM_OTHER);
    vg_error_clear(&err);
    CHECK_INT(vg_live_query(l, "SELECT 1\0; DROP", 15, NULL, &b, &err), -1);
    CHECK_STR(err.msg, "the query holds a NUL byte");
    CHECK_INT(b.len, 0);
    vg_buf_free(&b);
    CHECK_STR(q(l, "SELECT x'00ff', 1.5, 1e308 * 10, NULL, 'a\"b', 2 > 1"),
              "{\"columns\":[\"x'00ff'\",\"1.5\",\"1e308 * 10\",\"NULL\",\"'a\\\"b'\",\"2 > 1\"],"
              "\"rows\":[[\"00ff\",1.5,null,null,\"a\\\"b\",1]]}");
    vg_live_close(l);
    run_close(&r);
}

#define COUNT_TO(n) "WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c LIMIT " #n ") "

static void test_limits(void)
{
    run r;
    CHECK(open_views(&r));
    vg_live *l = live_of(&r, 1);
    CHECK_STR(
        q_lim(l, COUNT_TO(1000000000) "SELECT count(*) FROM c", &(vg_live_limits){.time_ms = 30}),
        "error: query stopped: it ran longer than the time limit of 30 ms");
    CHECK_STR(q_lim(l, COUNT_TO(2000000) "SELECT count(*) FROM (SELECT DISTINCT i FROM c)",
                    &(vg_live_limits){.time_ms = 10000, .heap_bytes = 1 << 20}),
              "error: query stopped: it needed more than the memory limit of 1048576 bytes");
    CHECK_STR(q_lim(l, COUNT_TO(5) "SELECT i FROM c", &(vg_live_limits){.max_rows = 4}),
              "error: query stopped: more than 4 rows (the row limit); narrow it with WHERE or "
              "LIMIT");
    CHECK_STR(q_lim(l, COUNT_TO(4) "SELECT i FROM c", &(vg_live_limits){.max_rows = 4}),
              "{\"columns\":[\"i\"],\"rows\":[[1],[2],[3],[4]]}");
    CHECK_STR(q_lim(l, COUNT_TO(100) "SELECT i FROM c", &(vg_live_limits){.max_result_bytes = 64}),
              "error: query stopped: the result is larger than 64 bytes");
    /* the rows a table copies count against the memory limit too */
    CHECK_STR(q_lim(l, "SELECT * FROM counts", &(vg_live_limits){.heap_bytes = 100}),
              "error: query stopped: it needed more than the memory limit of 100 bytes");
    /* and the limits are lifted again afterwards */
    CHECK_STR(q_lim(l, COUNT_TO(100000) "SELECT count(*) FROM (SELECT DISTINCT i FROM c)",
                    &(vg_live_limits){.time_ms = 60000}),
              "{\"columns\":[\"count(*)\"],\"rows\":[[100000]]}");
    vg_live_close(l);
    run_close(&r);
}

/* A scan of many keys stops at the time limit inside the operator. */
static void test_scan_time_limit(void)
{
    run r;
    CHECK(opened(&r, "SELECT k, COUNT(*) AS n FROM s GROUP BY k;\n"));
    char k[16];
    for (int i = 0; i < 200000; i++) {
        snprintf(k, sizeof k, "k%d", i);
        push(&r, k, i, i);
    }
    vg_dag_end_batch(r.dag);
    vg_buf_clear(&vg_dag_channel(r.dag, 0)->buf);
    vg_live *l = live_of(&r, 1);
    int64_t now = 0;
    vg_clock_set_manual(&now); /* time stands still: no deadline passes */
    CHECK_STR(q_lim(l, "SELECT count(*) FROM group_1", &(vg_live_limits){.time_ms = 1}),
              "{\"columns\":[\"count(*)\"],\"rows\":[[200000]]}");
    vg_clock_set_manual(NULL);
    CHECK_STR(q_lim(l, "SELECT max(n) FROM group_1", &(vg_live_limits){.time_ms = 1}),
              "error: query stopped: it ran longer than the time limit of 1 ms");
    CHECK_STR(q(l, "SELECT n FROM group_1 WHERE k = 'k199999'"),
              "{\"columns\":[\"n\"],\"rows\":[[1]]}");
    vg_live_close(l);
    run_close(&r);
}

/* Every allocation of opening and querying made to fail in turn: an
 * error "out of memory", or the right answer; never a crash or a leak. */
static void test_alloc_failures(void)
{
    run r;
    CHECK(open_views(&r));
    const char *sql = "SELECT c.k, c.n, f.n1m FROM counts c JOIN feats f ON f.k = c.k "
                      "WHERE c.k = 'a'";
    vg_live *l = live_of(&r, 1);
    const char *want = q(l, sql);
    vg_live_close(l);
    size_t before = vg_mem_in_use(VG_MEM_OTHER);
    bool done = false;
    int wrong = 0;
    for (uint64_t fail = 1; fail < 10000 && !done; fail++) {
        vg_error err;
        vg_error_clear(&err);
        vg_alloc_fail_at(fail, 0);
        vg_live *lf = vg_live_open(r.plan, &err);
        const char *got = lf ? (vg_live_attach(lf, r.dag, 1), q(lf, sql)) : "error: out of memory";
        done = !vg_alloc_failed();
        vg_alloc_fail_at(0, 0);
        bool bad = lf ? strcmp(got, want) != 0 && strcmp(got, "error: out of memory") != 0
                      : err.code != VG_ERR_NOMEM;
        if (bad)
            fprintf(stderr, "fail at %llu: %s\n", (unsigned long long)fail, lf ? got : err.msg);
        wrong += bad;
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
    RUN(test_catalog);
    RUN(test_group_table);
    RUN(test_over_table);
    RUN(test_rank_and_window_tables);
    RUN(test_match_table);
    RUN(test_names_and_types);
    RUN(test_pushdown);
    RUN(test_partitions);
    RUN(test_refusals);
    RUN(test_errors);
    RUN(test_limits);
    RUN(test_scan_time_limit);
    RUN(test_alloc_failures);
    vg_arena_free(arena);
    return CHECK_DONE();
}
