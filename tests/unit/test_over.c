/*
 * test_over.c — OVER aggregates end to end: SQL planned into a DAG, rows
 * pushed and the emitted rows compared exactly.
 *
 * Frames at their exact boundaries (Flink's RANGE lower bound is
 * inclusive), peers, out-of-order rows, FILTER, DISTINCT, several windows
 * and keys, NULL keys, late rows and eviction, plans and EXPLAIN, iterate,
 * and snapshot/restore equality. A randomised test checks every emitted
 * value against a brute-force reference (the frame recomputed from all
 * rows seen so far) with out-of-order rows, late rows and a moving
 * watermark. Last, the speed of 5 windows x 4 aggregates is measured and
 * printed (not asserted).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/dag.h"
#include "engine/op_over.h"
#include "sql/parser.h"
#include "sql/plan.h"
#include "tests/unit/check.h"

#define NOV INT64_MIN /* "NULL" for the row helpers */

static vg_arena *arena;

static const char stream_sql[] =
    "CREATE STREAM s (k STRING, k2 BIGINT, v BIGINT, tag STRING, ts TIMESTAMP(3),\n"
    "  WATERMARK FOR ts AS ts - INTERVAL '1' SECOND);\n";

/* Parse and plan stream_sql + text; NULL with *err set on failure. */
static vg_plan *plan_of(const char *text, vg_error *err)
{
    vg_source *src = vg_arena_alloc(arena, sizeof *src);
    src->name = "p.sql";
    src->text = vg_arena_printf(arena, "%s%s", stream_sql, text);
    src->len = (uint32_t)strlen(src->text);
    vg_ast_stmt *stmts;
    uint32_t n;
    vg_error_clear(err);
    if (vg_parse(src, arena, &stmts, &n, err) < 0)
        return NULL;
    vg_plan *p = NULL;
    if (vg_plan_build(stmts, n, &p, err) < 0)
        return NULL;
    return p;
}

/* A plan and a running DAG over it; out collects what stdout received. */
typedef struct run {
    vg_plan *plan;
    vg_dag *dag;
    uint64_t late;
} run;

static void on_late(void *arg, const vg_op *op, const vg_value *row, int64_t ts)
{
    (void)op;
    (void)row;
    (void)ts;
    ((run *)arg)->late++;
}

static int open_dag(run *r)
{
    vg_error err;
    vg_error_clear(&err);
    r->dag = vg_dag_open(r->plan, &err);
    if (!r->dag) {
        fprintf(stderr, "open: %s\n", err.msg);
        return -1;
    }
    vg_dag_on_late(r->dag, on_late, r);
    return 0;
}

static int start(run *r, const char *sql)
{
    vg_error err;
    memset(r, 0, sizeof *r);
    r->plan = plan_of(sql, &err);
    if (!r->plan) {
        fprintf(stderr, "plan: %s at %u:%u\n", err.msg, err.line, err.col);
        return -1;
    }
    return open_dag(r);
}

static void stop(run *r)
{
    vg_dag_close(r->dag);
    vg_plan_free(r->plan);
    memset(r, 0, sizeof *r);
}

static void push(run *r, const char *k, int64_t k2, int64_t v, const char *tag, int64_t ts)
{
    vg_value row[5];
    row[0] = k ? vg_str(k, (uint32_t)strlen(k)) : vg_null();
    row[1] = k2 == NOV ? vg_null() : vg_int(k2);
    row[2] = v == NOV ? vg_null() : vg_int(v);
    row[3] = tag ? vg_str(tag, (uint32_t)strlen(tag)) : vg_null();
    row[4] = vg_int(ts);
    vg_dag_push(r->dag, 0, row);
}

/* What the sink received since the last call, in the arena. */
static const char *output(run *r)
{
    vg_channel *ch = vg_dag_channel(r->dag, 0);
    const char *s = vg_arena_strndup(arena, ch->buf.len ? ch->buf.p : "", ch->buf.len);
    vg_buf_clear(&ch->buf);
    vg_dag_end_batch(r->dag);
    return s;
}

/* The i-th OVER operator of the DAG. */
static vg_op *over_op(run *r, uint32_t i)
{
    for (uint32_t id = 0; id < r->plan->nnodes; id++)
        if (r->plan->nodes[id]->kind == VG_PLAN_OVER && i-- == 0)
            return vg_dag_op(r->dag, id);
    return NULL;
}

static uint32_t count_over_nodes(const vg_plan *p)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < p->nnodes; i++)
        n += p->nodes[i]->kind == VG_PLAN_OVER;
    return n;
}

/* ---- frames ---- */

static void test_range_boundary(void)
{
    run r;
    if (start(&r, "SELECT v, COUNT(*) OVER w AS n, SUM(v) OVER w AS s FROM s WINDOW w AS "
                  "(PARTITION BY k ORDER BY ts RANGE BETWEEN INTERVAL '10' SECOND PRECEDING "
                  "AND CURRENT ROW);") < 0) {
        CHECK(0);
        return;
    }
    push(&r, "a", 0, 1, NULL, 100000);
    push(&r, "a", 0, 2, NULL, 110000); /* exactly 10 s later: the first row is in */
    push(&r, "a", 0, 4, NULL, 110001); /* 10.001 s after the first: it is out */
    push(&r, "a", 0, 8, NULL, 120001); /* exactly 10 s after the third: 110001 in */
    push(&r, "a", 0, 16, NULL, 130002);
    CHECK_STR(output(&r), "{\"v\":1,\"n\":1,\"s\":1}\n"
                          "{\"v\":2,\"n\":2,\"s\":3}\n"
                          "{\"v\":4,\"n\":2,\"s\":6}\n"
                          "{\"v\":8,\"n\":2,\"s\":12}\n"
                          "{\"v\":16,\"n\":1,\"s\":16}\n");
    stop(&r);
}

static void test_range_zero(void)
{
    run r;
    if (start(&r, "SELECT v, COUNT(*) OVER (ORDER BY ts RANGE BETWEEN INTERVAL '0' SECOND "
                  "PRECEDING AND CURRENT ROW) AS n FROM s;") < 0) {
        CHECK(0);
        return;
    }
    push(&r, "a", 0, 1, NULL, 1000);
    push(&r, "b", 0, 2, NULL, 1000); /* a peer: in, the one before it too */
    push(&r, "a", 0, 3, NULL, 1001);
    CHECK_STR(output(&r), "{\"v\":1,\"n\":1}\n{\"v\":2,\"n\":2}\n{\"v\":3,\"n\":1}\n");
    stop(&r);
}

static void test_rows_boundary(void)
{
    run r;
    if (start(&r, "SELECT v, COUNT(*) OVER w AS n, SUM(v) OVER w AS s, MIN(v) OVER w AS lo "
                  "FROM s WINDOW w AS (PARTITION BY k ORDER BY ts ROWS BETWEEN 2 PRECEDING "
                  "AND CURRENT ROW);") < 0) {
        CHECK(0);
        return;
    }
    push(&r, "a", 0, 5, NULL, 1000);
    push(&r, "a", 0, 3, NULL, 2000);
    push(&r, "a", 0, 7, NULL, 3000);
    push(&r, "a", 0, 9, NULL, 3000000); /* far later: still the 2 rows before */
    push(&r, "a", 0, 1, NULL, 3000001);
    CHECK_STR(output(&r), "{\"v\":5,\"n\":1,\"s\":5,\"lo\":5}\n"
                          "{\"v\":3,\"n\":2,\"s\":8,\"lo\":3}\n"
                          "{\"v\":7,\"n\":3,\"s\":15,\"lo\":3}\n"
                          "{\"v\":9,\"n\":3,\"s\":19,\"lo\":3}\n"
                          "{\"v\":1,\"n\":3,\"s\":17,\"lo\":1}\n");
    stop(&r);
}

static void test_rows_zero_and_short_forms(void)
{
    run r;
    if (start(&r, "SELECT v, SUM(v) OVER (ORDER BY ts ROWS 0 PRECEDING) AS cur, "
                  "SUM(v) OVER (ORDER BY ts ROWS 1 PRECEDING) AS two, "
                  "SUM(v) OVER (ORDER BY ts RANGE INTERVAL '1' SECOND PRECEDING) AS sec "
                  "FROM s;") < 0) {
        CHECK(0);
        return;
    }
    push(&r, "a", 0, 1, NULL, 1000);
    push(&r, "b", 0, 2, NULL, 1500);
    push(&r, "c", 0, 4, NULL, 2500);
    CHECK_STR(output(&r), "{\"v\":1,\"cur\":1,\"two\":1,\"sec\":1}\n"
                          "{\"v\":2,\"cur\":2,\"two\":3,\"sec\":3}\n"
                          "{\"v\":4,\"cur\":4,\"two\":6,\"sec\":6}\n");
    CHECK_INT(count_over_nodes(r.plan), 1); /* one key set (none): three frames of one node */
    stop(&r);
}

static void test_unbounded(void)
{
    run r;
    if (start(&r, "SELECT v, COUNT(*) OVER (PARTITION BY k ORDER BY ts) AS n, "
                  "SUM(v) OVER (PARTITION BY k ORDER BY ts ROWS BETWEEN UNBOUNDED PRECEDING "
                  "AND CURRENT ROW) AS s, "
                  "MAX(v) OVER (PARTITION BY k ORDER BY ts RANGE UNBOUNDED PRECEDING) AS hi "
                  "FROM s;") < 0) {
        CHECK(0);
        return;
    }
    push(&r, "a", 0, 5, NULL, 1000);
    push(&r, "b", 0, 1, NULL, 1000);
    push(&r, "a", 0, 3, NULL, 90000000);
    vg_dag_watermark(r.dag, 100000000); /* every row so far is folded */
    push(&r, "a", 0, 2, NULL, 100000000);
    CHECK_STR(output(&r), "{\"v\":5,\"n\":1,\"s\":5,\"hi\":5}\n"
                          "{\"v\":1,\"n\":1,\"s\":1,\"hi\":1}\n"
                          "{\"v\":3,\"n\":2,\"s\":8,\"hi\":5}\n"
                          "{\"v\":2,\"n\":3,\"s\":10,\"hi\":5}\n");
    vg_op_over_stats st;
    vg_op_over_stats_get(over_op(&r, 0), &st);
    CHECK_INT(st.rows, 1); /* the folded rows are gone from the buffer */
    stop(&r);
}

static void test_peers(void)
{
    run r;
    if (start(&r, "SELECT v, COUNT(*) OVER w AS n, SUM(v) OVER w AS s, "
                  "COUNT(*) OVER (PARTITION BY k ORDER BY ts ROWS 1 PRECEDING) AS r1 "
                  "FROM s WINDOW w AS (PARTITION BY k ORDER BY ts RANGE BETWEEN INTERVAL '1' "
                  "MINUTE PRECEDING AND CURRENT ROW);") < 0) {
        CHECK(0);
        return;
    }
    /* Three peers: each sees the ones that came before it, not the later ones. */
    push(&r, "a", 0, 1, NULL, 5000);
    push(&r, "a", 0, 2, NULL, 5000);
    push(&r, "a", 0, 4, NULL, 5000);
    push(&r, "a", 0, 8, NULL, 6000);
    CHECK_STR(output(&r), "{\"v\":1,\"n\":1,\"s\":1,\"r1\":1}\n"
                          "{\"v\":2,\"n\":2,\"s\":3,\"r1\":2}\n"
                          "{\"v\":4,\"n\":3,\"s\":7,\"r1\":2}\n"
                          "{\"v\":8,\"n\":4,\"s\":15,\"r1\":2}\n");
    stop(&r);
}

/* ---- out-of-order rows ---- */

static void test_out_of_order_range(void)
{
    run r;
    if (start(&r, "SELECT v, COUNT(*) OVER w AS n, SUM(v) OVER w AS s, MAX(v) OVER w AS hi, "
                  "FIRST_VALUE(v) OVER w AS f, LAST_VALUE(v) OVER w AS l FROM s "
                  "WINDOW w AS (PARTITION BY k ORDER BY ts RANGE BETWEEN INTERVAL '10' SECOND "
                  "PRECEDING AND CURRENT ROW);") < 0) {
        CHECK(0);
        return;
    }
    push(&r, "a", 0, 1, NULL, 0);
    push(&r, "a", 0, 2, NULL, 20000);
    push(&r, "a", 0, 40, NULL, 15000); /* out of order: its frame is [5000, 15000] */
    push(&r, "a", 0, 3, NULL, 10000);  /* [0, 10000]: 0 and itself */
    push(&r, "a", 0, 4, NULL, 21000);  /* [11000, 21000]: 15000, 20000, itself */
    push(&r, "a", 0, 5, NULL, 25001);  /* [15001, 25001]: 20000, 21000, itself */
    CHECK_STR(output(&r), "{\"v\":1,\"n\":1,\"s\":1,\"hi\":1,\"f\":1,\"l\":1}\n"
                          "{\"v\":2,\"n\":1,\"s\":2,\"hi\":2,\"f\":2,\"l\":2}\n"
                          "{\"v\":40,\"n\":1,\"s\":40,\"hi\":40,\"f\":40,\"l\":40}\n"
                          "{\"v\":3,\"n\":2,\"s\":4,\"hi\":3,\"f\":1,\"l\":3}\n"
                          "{\"v\":4,\"n\":3,\"s\":46,\"hi\":40,\"f\":40,\"l\":4}\n"
                          "{\"v\":5,\"n\":3,\"s\":11,\"hi\":5,\"f\":2,\"l\":5}\n");
    stop(&r);
}

static void test_out_of_order_rows(void)
{
    run r;
    if (start(&r, "SELECT v, SUM(v) OVER w AS s, FIRST_VALUE(v) OVER w AS f FROM s "
                  "WINDOW w AS (ORDER BY ts ROWS BETWEEN 1 PRECEDING AND CURRENT ROW);") < 0) {
        CHECK(0);
        return;
    }
    push(&r, "a", 0, 1, NULL, 1000);
    push(&r, "a", 0, 2, NULL, 3000);
    push(&r, "a", 0, 4, NULL, 2000); /* between them: with 1000 */
    push(&r, "a", 0, 8, NULL, 4000); /* after 3000 */
    push(&r, "a", 0, 16, NULL, 500); /* first of all: alone */
    push(&r, "a", 0, 32, NULL, 5000);
    CHECK_STR(output(&r), "{\"v\":1,\"s\":1,\"f\":1}\n"
                          "{\"v\":2,\"s\":3,\"f\":1}\n"
                          "{\"v\":4,\"s\":5,\"f\":1}\n"
                          "{\"v\":8,\"s\":10,\"f\":2}\n"
                          "{\"v\":16,\"s\":16,\"f\":16}\n"
                          "{\"v\":32,\"s\":40,\"f\":8}\n");
    stop(&r);
}

static void test_out_of_order_unbounded(void)
{
    run r;
    if (start(&r, "SELECT v, COUNT(*) OVER w AS n, FIRST_VALUE(v) OVER w AS f, "
                  "LAST_VALUE(v) OVER w AS l, MIN(v) OVER w AS lo FROM s "
                  "WINDOW w AS (PARTITION BY k ORDER BY ts);") < 0) {
        CHECK(0);
        return;
    }
    push(&r, "a", 0, 5, NULL, 5000);
    push(&r, "a", 0, 6, NULL, 20000);
    push(&r, "a", 0, 3, NULL, 1000);  /* before both: alone in its frame */
    push(&r, "a", 0, 9, NULL, 10000); /* 1000, 5000 and itself */
    push(&r, "a", 0, 7, NULL, 30000);
    CHECK_STR(output(&r), "{\"v\":5,\"n\":1,\"f\":5,\"l\":5,\"lo\":5}\n"
                          "{\"v\":6,\"n\":2,\"f\":5,\"l\":6,\"lo\":5}\n"
                          "{\"v\":3,\"n\":1,\"f\":3,\"l\":3,\"lo\":3}\n"
                          "{\"v\":9,\"n\":3,\"f\":3,\"l\":9,\"lo\":3}\n"
                          "{\"v\":7,\"n\":5,\"f\":3,\"l\":7,\"lo\":3}\n");
    stop(&r);
}

/* ---- FILTER, DISTINCT, keys ---- */

static void test_filter_distinct(void)
{
    run r;
    if (start(&r, "SELECT v, COUNT(*) FILTER (WHERE tag = 'f') OVER w AS fails, "
                  "SUM(v) FILTER (WHERE tag = 'f') OVER w AS fail_sum, COUNT(v) OVER w AS nv, "
                  "COUNT(DISTINCT tag) OVER w AS tags, SUM(DISTINCT v) OVER w AS dsum, "
                  "COUNT(*) FILTER (WHERE TRUE) OVER w AS n FROM s "
                  "WINDOW w AS (PARTITION BY k ORDER BY ts ROWS 2 PRECEDING);") < 0) {
        CHECK(0);
        return;
    }
    push(&r, "a", 0, 1, "f", 1000);
    push(&r, "a", 0, 1, NULL, 2000); /* NULL tag: the filter is not TRUE */
    push(&r, "a", 0, NOV, "f", 3000);
    push(&r, "a", 0, 2, "ok", 4000); /* the first row leaves the frame */
    push(&r, "a", 0, 2, "ok", 5000);
    CHECK_STR(output(&r),
              "{\"v\":1,\"fails\":1,\"fail_sum\":1,\"nv\":1,\"tags\":1,\"dsum\":1,\"n\":1}\n"
              "{\"v\":1,\"fails\":1,\"fail_sum\":1,\"nv\":2,\"tags\":1,\"dsum\":1,\"n\":2}\n"
              "{\"v\":null,\"fails\":2,\"fail_sum\":1,\"nv\":2,\"tags\":1,\"dsum\":1,\"n\":3}\n"
              "{\"v\":2,\"fails\":1,\"fail_sum\":null,\"nv\":2,\"tags\":2,\"dsum\":3,\"n\":3}\n"
              "{\"v\":2,\"fails\":1,\"fail_sum\":null,\"nv\":2,\"tags\":2,\"dsum\":2,\"n\":3}\n");
    CHECK_INT(count_over_nodes(r.plan), 1);
    stop(&r);
}

static void test_keys_and_windows(void)
{
    run r;
    if (start(&r, "SELECT k, k2, COUNT(*) OVER (PARTITION BY k ORDER BY ts) AS by_k, "
                  "COUNT(*) OVER (PARTITION BY k2 ORDER BY ts) AS by_k2, "
                  "COUNT(*) OVER (PARTITION BY k, k2 ORDER BY ts) AS by_both, "
                  "COUNT(*) OVER (ORDER BY ts) AS total FROM s;") < 0) {
        CHECK(0);
        return;
    }
    push(&r, "a", 1, 0, NULL, 1000);
    push(&r, NULL, 1, 0, NULL, 1001);
    push(&r, "a", NOV, 0, NULL, 1002);
    push(&r, NULL, NOV, 0, NULL, 1003); /* NULL keys group like any value */
    push(&r, "a", 1, 0, NULL, 1004);
    push(&r, NULL, 1, 0, NULL, 1005);
    CHECK_STR(output(&r),
              "{\"k\":\"a\",\"k2\":1,\"by_k\":1,\"by_k2\":1,\"by_both\":1,\"total\":1}\n"
              "{\"k\":null,\"k2\":1,\"by_k\":1,\"by_k2\":2,\"by_both\":1,\"total\":2}\n"
              "{\"k\":\"a\",\"k2\":null,\"by_k\":2,\"by_k2\":1,\"by_both\":1,\"total\":3}\n"
              "{\"k\":null,\"k2\":null,\"by_k\":2,\"by_k2\":2,\"by_both\":1,\"total\":4}\n"
              "{\"k\":\"a\",\"k2\":1,\"by_k\":3,\"by_k2\":3,\"by_both\":2,\"total\":5}\n"
              "{\"k\":null,\"k2\":1,\"by_k\":3,\"by_k2\":4,\"by_both\":2,\"total\":6}\n");
    CHECK_INT(count_over_nodes(r.plan), 4);
    vg_op_over_stats st; /* (k, k2): four keys, NULLs included */
    vg_op_over_stats_get(over_op(&r, 2), &st);
    CHECK_INT(st.partitions, 4);
    stop(&r);
}

static void test_expressions_and_where(void)
{
    run r;
    if (start(&r, "SELECT v, SUM(v) OVER w * 10 / COUNT(*) OVER w AS avg10, "
                  "COALESCE(MAX(tag) OVER w, '-') AS top, "
                  "CAST(COUNT(*) OVER w AS STRING) || '/' || k AS label FROM s "
                  "WHERE v > 0 WINDOW w AS (PARTITION BY k ORDER BY ts);") < 0) {
        CHECK(0);
        return;
    }
    push(&r, "a", 0, 4, NULL, 1000);
    push(&r, "a", 0, -1, "z", 2000); /* filtered out before the window */
    push(&r, "a", 0, 8, "b", 3000);
    CHECK_STR(output(&r), "{\"v\":4,\"avg10\":40,\"top\":\"-\",\"label\":\"1/a\"}\n"
                          "{\"v\":8,\"avg10\":60,\"top\":\"b\",\"label\":\"2/a\"}\n");
    stop(&r);
}

/* ---- late rows, eviction, memory ---- */

static void test_late_and_eviction(void)
{
    run r;
    if (start(&r, "SELECT v, COUNT(*) OVER w AS n FROM s WINDOW w AS (PARTITION BY k ORDER BY "
                  "ts RANGE BETWEEN INTERVAL '10' SECOND PRECEDING AND CURRENT ROW);") < 0) {
        CHECK(0);
        return;
    }
    for (int i = 0; i < 100; i++)
        push(&r, i % 2 ? "a" : "b", 0, i, "x", 1000 * i);
    vg_op *op = over_op(&r, 0);
    vg_op_over_stats st;
    vg_op_over_stats_get(op, &st);
    CHECK_INT(st.partitions, 2);
    CHECK_INT(st.rows, 100); /* no watermark yet: everything may still be needed */
    /* A partition evicts on its own rows; the sweep leaves alone the ones
     * that had a row less than the longest RANGE (10 s) ago. */
    vg_dag_watermark(r.dag, 99000);
    vg_op_over_stats_get(op, &st);
    CHECK_INT(st.rows, 100);
    output(&r);
    push(&r, "a", 0, 1, "x", 98999); /* behind the watermark: late */
    CHECK_INT(r.late, 1);
    CHECK_STR(output(&r), "");
    push(&r, "a", 0, 1, "x", 99000); /* at the watermark: not late */
    CHECK_STR(output(&r), "{\"v\":1,\"n\":7}\n"); /* a's 89000, 91000, ..., 99000 */
    CHECK_INT(r.late, 1);
    vg_op_over_stats_get(op, &st);
    CHECK_INT(st.rows, 57); /* a's 7 (1000 .. 87000 evicted on its row), b's 50 */
    /* Both idle for longer than 10 s: their rows go, and the partitions with
     * them (an empty RANGE partition is as a new one). */
    vg_dag_watermark(r.dag, 1000000);
    vg_op_over_stats_get(op, &st);
    CHECK_INT(st.rows, 0);
    CHECK_INT(st.partitions, 0);
    push(&r, "b", 0, 1, "x", 1000000);
    CHECK_STR(output(&r), "{\"v\":1,\"n\":1}\n");
    stop(&r);
}

static void test_rows_eviction(void)
{
    run r;
    if (start(&r, "SELECT v, SUM(v) OVER w AS s FROM s WINDOW w AS (ORDER BY ts ROWS 2 "
                  "PRECEDING);") < 0) {
        CHECK(0);
        return;
    }
    for (int i = 1; i <= 10; i++)
        push(&r, "a", 0, i, NULL, 1000 * i);
    output(&r);
    vg_dag_watermark(r.dag, 8000);
    vg_op_over_stats st;
    vg_op_over_stats_get(over_op(&r, 0), &st);
    CHECK_INT(st.rows, 10); /* evicted on the partition's next row */
    push(&r, "a", 0, 100, NULL, 8000); /* after the peer at 8000: with 7000 and 8000 */
    CHECK_STR(output(&r), "{\"v\":100,\"s\":115}\n");
    vg_op_over_stats_get(over_op(&r, 0), &st);
    CHECK_INT(st.rows, 6); /* the 2 newest before 8000 (6000, 7000), then 8000 .. 10000 */
    push(&r, "a", 0, 100, NULL, 20000);
    CHECK_STR(output(&r), "{\"v\":100,\"s\":119}\n");
    /* Idle: a sweep keeps the 2 newest rows a later row still needs. */
    vg_dag_watermark(r.dag, 30000);
    vg_op_over_stats_get(over_op(&r, 0), &st);
    CHECK_INT(st.rows, 2);
    CHECK_INT(st.partitions, 1);
    stop(&r);
}

/* ---- plans ---- */

static const char *explain(const vg_plan *p)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        return "(no stream)";
    int rc = vg_plan_explain(p, VG_EXPLAIN_TEXT, f);
    fclose(f);
    const char *s = rc == 0 ? vg_arena_strndup(arena, buf, len) : "(failed)";
    free(buf);
    return s;
}

static void test_plan_and_explain(void)
{
    vg_error err;
    vg_plan *p = plan_of("SELECT v, COUNT(*) OVER w AS n, SUM(v) OVER (PARTITION BY k ORDER BY ts "
                         "RANGE BETWEEN INTERVAL '90' SECOND PRECEDING AND CURRENT ROW) AS s, "
                         "COUNT(DISTINCT tag) FILTER (WHERE v > 1) OVER w, "
                         "COUNT(*) OVER w AS n2, "
                         "MAX(v) OVER (ORDER BY ts ROWS 3 PRECEDING) AS hi FROM s WHERE v <> 0 "
                         "WINDOW w AS (PARTITION BY k ORDER BY ts RANGE BETWEEN INTERVAL '90' "
                         "SECOND PRECEDING AND CURRENT ROW);",
                         &err);
    CHECK(p != NULL);
    if (!p)
        return;
    CHECK_INT(count_over_nodes(p), 2); /* w and the identical inline spec share a node */
    CHECK_STR(explain(p),
              "sink stdout  [v BIGINT, n BIGINT, s BIGINT, EXPR$3 BIGINT, n2 BIGINT, hi BIGINT]\n"
              "  project  [v := v, n := n, s := s, EXPR$3 := w0$o2, n2 := n, hi := hi]\n"
              "    over  order by ts  rows between 3 preceding and current row  [hi := MAX(v)]\n"
              "      over  partition by k  order by ts  range between INTERVAL '90' SECOND "
              "preceding and current row  [n := COUNT(*), s := SUM(v), w0$o2 := COUNT(DISTINCT "
              "tag) FILTER (WHERE (v > 1))]\n"
              "        project  filter (v <> 0)  [k := k, k2 := k2, v := v, tag := tag, ts := ts]\n"
              "          source s  [k STRING, k2 BIGINT, v BIGINT, tag STRING, ts TIMESTAMP(3)]  "
              "watermark (ts - INTERVAL '1' SECOND)\n");
    vg_plan_free(p);
    /* The windows of one key set are the frames of one node, in order of
     * first use, whatever the order of the select list; each frame's
     * columns follow the one before. */
    p = plan_of("SELECT MAX(v) OVER m AS hi, COUNT(*) OVER h AS n, SUM(v) OVER m AS s, "
                "COUNT(*) OVER (PARTITION BY k2 ORDER BY ts) AS n2, "
                "FIRST_VALUE(tag) OVER (PARTITION BY k ORDER BY ts ROWS 2 PRECEDING) AS f FROM s "
                "WINDOW m AS (PARTITION BY k ORDER BY ts RANGE INTERVAL '1' MINUTE PRECEDING), "
                "h AS (PARTITION BY k ORDER BY ts RANGE INTERVAL '1' HOUR PRECEDING);",
                &err);
    CHECK(p != NULL);
    if (!p)
        return;
    CHECK_INT(count_over_nodes(p), 2);
    CHECK_STR(explain(p),
              "sink stdout  [hi BIGINT, n BIGINT, s BIGINT, n2 BIGINT, f STRING]\n"
              "  project  [hi := hi, n := n, s := s, n2 := n2, f := f]\n"
              "    over  partition by k2  order by ts  range between unbounded preceding and "
              "current row  [n2 := COUNT(*)]\n"
              "      over  partition by k  order by ts  range between INTERVAL '1' MINUTE "
              "preceding and current row  [hi := MAX(v), s := SUM(v)]  range between INTERVAL "
              "'1' HOUR preceding and current row  [n := COUNT(*)]  rows between 2 preceding and "
              "current row  [f := FIRST_VALUE(tag)]\n"
              "        source s  [k STRING, k2 BIGINT, v BIGINT, tag STRING, ts TIMESTAMP(3)]  "
              "watermark (ts - INTERVAL '1' SECOND)\n");
    vg_plan_free(p);
}

static void test_view_time_attribute(void)
{
    run r;
    if (start(&r, "CREATE VIEW v1 AS SELECT k AS card, ts AS t, v FROM s WHERE v > 0;\n"
                  "SELECT card, COUNT(*) OVER (PARTITION BY card ORDER BY t) AS n FROM v1;") < 0) {
        CHECK(0);
        return;
    }
    push(&r, "a", 0, 1, NULL, 1000);
    push(&r, "a", 0, 0, NULL, 2000);
    push(&r, "a", 0, 1, NULL, 3000);
    CHECK_STR(output(&r), "{\"card\":\"a\",\"n\":1}\n{\"card\":\"a\",\"n\":2}\n");
    stop(&r);
}

/* ---- iterate, snapshot, restore ---- */

typedef struct visit {
    char text[512];
} visit;

/* [partition key n s] for each row of an iterate: the source partition,
 * the PARTITION BY column, then two aggregates. */
static int visit_row(void *arg, const vg_value *row)
{
    visit *v = arg;
    size_t n = strlen(v->text);
    snprintf(v->text + n, sizeof v->text - n, "[%lld %.*s %lld %lld]", (long long)row[0].u.i,
             row[1].null ? 4 : (int)row[1].len, row[1].null ? "null" : row[1].u.s,
             (long long)row[2].u.i, (long long)row[3].u.i);
    return 0;
}

static void test_iterate(void)
{
    run r;
    if (start(&r, "SELECT COUNT(*) OVER w AS n, SUM(v) OVER w AS s FROM s WINDOW w AS "
                  "(PARTITION BY k ORDER BY ts ROWS 1 PRECEDING);") < 0) {
        CHECK(0);
        return;
    }
    push(&r, "a", 0, 1, NULL, 1000);
    push(&r, "a", 0, 2, NULL, 2000);
    push(&r, "a", 0, 4, NULL, 3000);
    vg_op *op = over_op(&r, 0);
    visit v = {""};
    CHECK_INT(op->kind->iterate(op, visit_row, &v), 0);
    CHECK_STR(v.text, "[0 a 2 6]");
    stop(&r);
}

/* Keyed state is kept per source partition: card "a" of partition 0 and
 * of partition 1 are two partitions, with frames of their own. */
static void test_source_partitions(void)
{
    run r;
    if (start(&r, "SELECT v, COUNT(*) OVER w AS n, SUM(v) OVER w AS s FROM s WINDOW w AS "
                  "(PARTITION BY k ORDER BY ts RANGE BETWEEN INTERVAL '1' MINUTE PRECEDING AND "
                  "CURRENT ROW);") < 0) {
        CHECK(0);
        return;
    }
    static const struct {
        int32_t part;
        int64_t v, ts;
    } in[] = {{0, 1, 1000}, {1, 2, 2000}, {0, 4, 3000}, {1, 8, 4000}, {0, 16, 62000}};
    for (size_t i = 0; i < sizeof in / sizeof in[0]; i++) {
        vg_dag_set_partition(r.dag, in[i].part);
        push(&r, "a", 0, in[i].v, NULL, in[i].ts);
    }
    CHECK_STR(output(&r), "{\"v\":1,\"n\":1,\"s\":1}\n"
                          "{\"v\":2,\"n\":1,\"s\":2}\n"
                          "{\"v\":4,\"n\":2,\"s\":5}\n"
                          "{\"v\":8,\"n\":2,\"s\":10}\n"
                          "{\"v\":16,\"n\":2,\"s\":20}\n"); /* 1000 is out of its minute */
    vg_op *op = over_op(&r, 0);
    vg_op_over_stats st;
    vg_op_over_stats_get(op, &st);
    CHECK_INT(st.partitions, 2);
    visit v = {""};
    CHECK_INT(op->kind->iterate(op, visit_row, &v), 0);
    CHECK(strstr(v.text, "[0 a 2 20]") != NULL);
    CHECK(strstr(v.text, "[1 a 2 10]") != NULL);
    CHECK_INT((int)strlen(v.text), 20);
    /* each partition's bytes restore into its own partition */
    vg_buf b;
    vg_buf_init(&b, VG_MEM_OTHER);
    vg_error err;
    vg_error_clear(&err);
    CHECK_INT(op->kind->snapshot(op, &b, &err), 0);
    CHECK_INT(op->kind->restore(op, b.p, b.len, &err), 0);
    vg_buf_free(&b);
    vg_dag_set_partition(r.dag, 1);
    push(&r, "a", 0, 32, NULL, 5000);
    CHECK_STR(output(&r), "{\"v\":32,\"n\":3,\"s\":42}\n");
    stop(&r);
}

/* State TTL on event time: a partition whose newest row is older than the
 * watermark less the TTL is dropped, frames and all: even an UNBOUNDED
 * frame or a RANGE frame longer than the TTL starts again from its next
 * row. One that is exactly the TTL old is kept. */
static void test_ttl(void)
{
    run r;
    vg_error err;
    memset(&r, 0, sizeof r);
    r.plan = plan_of("SELECT k, v, COUNT(*) OVER w AS n, SUM(v) OVER w AS s, "
                     "COUNT(*) OVER (PARTITION BY k ORDER BY ts) AS total FROM s "
                     "WINDOW w AS (PARTITION BY k ORDER BY ts RANGE BETWEEN INTERVAL '1' HOUR "
                     "PRECEDING AND CURRENT ROW);",
                     &err);
    CHECK(r.plan != NULL);
    if (!r.plan)
        return;
    for (uint32_t i = 0; i < r.plan->nnodes; i++)
        if (r.plan->nodes[i]->kind == VG_PLAN_OVER)
            r.plan->nodes[i]->ttl_ms = 10000;
    if (open_dag(&r) < 0) {
        CHECK(0);
        vg_plan_free(r.plan);
        return;
    }
    CHECK_INT(count_over_nodes(r.plan), 1);
    push(&r, "a", 0, 1, NULL, 1000);
    push(&r, "b", 0, 100, NULL, 1000);
    push(&r, "a", 0, 2, NULL, 5000);
    vg_dag_watermark(r.dag, 15000); /* a's newest (5000) is exactly 10 s old: kept */
    push(&r, "a", 0, 4, NULL, 15000);
    CHECK_STR(output(&r), "{\"k\":\"a\",\"v\":1,\"n\":1,\"s\":1,\"total\":1}\n"
                          "{\"k\":\"b\",\"v\":100,\"n\":1,\"s\":100,\"total\":1}\n"
                          "{\"k\":\"a\",\"v\":2,\"n\":2,\"s\":3,\"total\":2}\n"
                          "{\"k\":\"a\",\"v\":4,\"n\":3,\"s\":7,\"total\":3}\n");
    vg_op *op = over_op(&r, 0);
    vg_op_over_stats st;
    vg_op_over_stats_get(op, &st);
    CHECK_INT(st.partitions, 1); /* b (newest 1000) expired at 15000: the sweep dropped it */
    vg_dag_watermark(r.dag, 25001); /* a's newest (15000) is now older than 25001 - 10 s */
    visit v = {""};
    CHECK_INT(op->kind->iterate(op, visit_row, &v), 0);
    CHECK_STR(v.text, ""); /* expired state is not shown */
    vg_dag_end_batch(r.dag);
    push(&r, "a", 0, 8, NULL, 25001);
    CHECK_STR(output(&r), "{\"k\":\"a\",\"v\":8,\"n\":1,\"s\":8,\"total\":1}\n");
    vg_op_over_stats_get(op, &st);
    CHECK_INT(st.partitions, 1);
    CHECK_INT(st.rows, 1);
    stop(&r);
}

/* MIN, MAX and COUNT(DISTINCT) of a bounded frame are read from the records
 * while it holds at most 16 rows, and kept in states beyond: the same
 * values on both sides of the line, when a frame crosses it both ways, with
 * NULLs, a FILTER and an out-of-order row. */
static void test_small_frames(void)
{
    run r;
    if (start(&r, "SELECT v, MIN(v) OVER w AS lo, MAX(v) OVER w AS hi, "
                  "COUNT(DISTINCT tag) OVER w AS tags, "
                  "COUNT(DISTINCT tag) FILTER (WHERE v > 10) OVER w AS big_tags FROM s "
                  "WINDOW w AS (ORDER BY ts RANGE BETWEEN INTERVAL '30' SECOND PRECEDING AND "
                  "CURRENT ROW);") < 0) {
        CHECK(0);
        return;
    }
    static const char *const t[] = {"p", "q", "r", NULL, "s"};
    vg_buf want;
    vg_buf_init(&want, VG_MEM_OTHER);
    /* 20 rows one second apart: the frame passes 16 rows at the 17th */
    int64_t lo = 0, hi = 0; /* of the values so far (the first is 0) */
    bool seen[5] = {false}, seen_big[5] = {false};
    int ntags = 0, nbig = 0;
    for (int i = 0; i < 20; i++) {
        int64_t v = i == 5 ? NOV : (i * 7) % 23;
        push(&r, "k", 0, v, t[i % 5], 1000 * (i + 1));
        if (v != NOV) {
            lo = v < lo ? v : lo;
            hi = v > hi ? v : hi;
        }
        if (t[i % 5] && !seen[i % 5])
            seen[i % 5] = true, ntags++;
        if (t[i % 5] && v != NOV && v > 10 && !seen_big[i % 5])
            seen_big[i % 5] = true, nbig++;
        vg_buf_printf(&want, "{\"v\":%s,\"lo\":%lld,\"hi\":%lld,\"tags\":%d,\"big_tags\":%d}\n",
                      v == NOV ? "null" : vg_arena_printf(arena, "%lld", (long long)v),
                      (long long)lo, (long long)hi, ntags, nbig);
    }
    CHECK_STR(output(&r), want.p);
    /* Out of order into the big frame: among 20 rows, before all but one. */
    push(&r, "k", 0, 99, "z", 1500);
    CHECK_STR(output(&r), "{\"v\":99,\"lo\":0,\"hi\":99,\"tags\":2,\"big_tags\":1}\n");
    /* At 45 s: the rows of 15 .. 20 s (6, 13, 20, 4, 11, 18; tags s p q r
     * NULL s; over 10: p q s) and itself; then an empty frame again. */
    push(&r, "k", 0, 3, "p", 45000);
    CHECK_STR(output(&r), "{\"v\":3,\"lo\":3,\"hi\":20,\"tags\":4,\"big_tags\":3}\n");
    push(&r, "k", 0, 1, "q", 200000);
    CHECK_STR(output(&r), "{\"v\":1,\"lo\":1,\"hi\":1,\"tags\":1,\"big_tags\":0}\n");
    vg_buf_free(&want);
    stop(&r);
}

static void test_restore_bad_bytes(void)
{
    run r;
    if (start(&r, "SELECT COUNT(*) OVER (ORDER BY ts) AS n FROM s;") < 0) {
        CHECK(0);
        return;
    }
    push(&r, "a", 0, 1, NULL, 1000);
    vg_op *op = over_op(&r, 0);
    vg_buf b;
    vg_buf_init(&b, VG_MEM_OTHER);
    vg_error err;
    vg_error_clear(&err);
    CHECK_INT(op->kind->snapshot(op, &b, &err), 0);
    vg_error_clear(&err);
    CHECK_INT(op->kind->restore(op, b.p, b.len - 1, &err), -1);
    CHECK_STR(err.msg, "cannot restore OVER state: bad snapshot bytes");
    vg_error_clear(&err);
    CHECK_INT(op->kind->restore(op, b.p, b.len, &err), 0);
    output(&r);
    push(&r, "a", 0, 1, NULL, 2000);
    CHECK_STR(output(&r), "{\"n\":2}\n");
    vg_buf_free(&b);
    stop(&r);
}

/* ---- randomised: every value against a brute-force reference ---- */

typedef struct ref_row {
    int key;      /* 0..3; 3 stands for NULL */
    int part;     /* the source partition, 0 or 1 */
    int64_t v;    /* NOV for NULL */
    int tag;      /* 0..2 */
    int64_t ts;
    uint64_t seq; /* arrival */
} ref_row;

/* A window of the randomised tests: kind 0 RANGE (pre ms), 1 ROWS (pre
 * rows), 2 UNBOUNDED. */
typedef struct ref_frame {
    int kind;
    int64_t pre;
} ref_frame;

static const char *const keys[] = {"a", "b", "c", NULL};
static const char *const tags[] = {"x", "y", "z"};

static bool same_partition(const ref_row *a, const ref_row *b)
{
    return a->key == b->key && a->part == b->part;
}

/* Whether row q of the rows seen is in the frame of row r, all of them of
 * one partition seen so far. */
static bool in_frame(const ref_row *rows, size_t n, const ref_row *r, const ref_row *q,
                     ref_frame f)
{
    bool before = q->ts < r->ts || (q->ts == r->ts && q->seq <= r->seq);
    if (!before)
        return false;
    if (f.kind == 0)
        return q->ts >= r->ts - f.pre;
    if (f.kind == 2)
        return true;
    size_t between = 0; /* rows of the partition strictly between q and r in order */
    for (size_t i = 0; i < n; i++) {
        const ref_row *x = &rows[i];
        if (!same_partition(x, r) || x == q || x == r)
            continue;
        bool after_q = x->ts > q->ts || (x->ts == q->ts && x->seq > q->seq);
        bool before_r = x->ts < r->ts || (x->ts == r->ts && x->seq < r->seq);
        between += after_q && before_r;
    }
    return (int64_t)between < f.pre;
}

/* The expected columns of frame f (suffix sfx) for row r (the last of
 * rows), appended to b: n, s, lo, hi, big, tags, f, l. */
static void expected_cols(const ref_row *rows, size_t n, const ref_row *r, ref_frame f,
                          const char *sfx, vg_buf *b)
{
    int64_t cnt = 0, sum = 0, nv = 0, mn = 0, mx = 0, big = 0, distinct = 0;
    const ref_row *first = NULL, *last = NULL;
    bool seen_tag[3] = {false, false, false};
    for (size_t i = 0; i < n; i++) {
        const ref_row *q = &rows[i];
        if (!same_partition(q, r) || (q != r && !in_frame(rows, n, r, q, f)))
            continue;
        cnt++;
        if (!seen_tag[q->tag])
            distinct++;
        seen_tag[q->tag] = true;
        if (q->v == NOV)
            continue;
        if (!first || q->ts < first->ts || (q->ts == first->ts && q->seq < first->seq))
            first = q;
        if (!last || q->ts > last->ts || (q->ts == last->ts && q->seq > last->seq))
            last = q;
        big += q->v > 50;
        mn = nv == 0 || q->v < mn ? q->v : mn;
        mx = nv == 0 || q->v > mx ? q->v : mx;
        sum += q->v;
        nv++;
    }
    char s[32], lo[32], hi[32], fv[32], lv[32];
    snprintf(s, sizeof s, nv ? "%lld" : "null", (long long)sum);
    snprintf(lo, sizeof lo, nv ? "%lld" : "null", (long long)mn);
    snprintf(hi, sizeof hi, nv ? "%lld" : "null", (long long)mx);
    snprintf(fv, sizeof fv, first ? "%lld" : "null", first ? (long long)first->v : 0LL);
    snprintf(lv, sizeof lv, last ? "%lld" : "null", last ? (long long)last->v : 0LL);
    vg_buf_printf(b,
                  ",\"n%s\":%lld,\"s%s\":%s,\"lo%s\":%s,\"hi%s\":%s,\"big%s\":%lld,"
                  "\"tags%s\":%lld,\"f%s\":%s,\"l%s\":%s",
                  sfx, (long long)cnt, sfx, s, sfx, lo, sfx, hi, sfx, (long long)big, sfx,
                  (long long)distinct, sfx, fv, sfx, lv);
}

/* The expected output line for row r (the last of rows). */
static const char *expected_line(const ref_row *rows, size_t n, const ref_row *r,
                                 const ref_frame *frames, size_t nframes)
{
    vg_buf b;
    vg_buf_init(&b, VG_MEM_OTHER);
    if (r->v == NOV)
        vg_buf_puts(&b, "{\"v\":null");
    else
        vg_buf_printf(&b, "{\"v\":%lld", (long long)r->v);
    for (size_t f = 0; f < nframes; f++)
        expected_cols(rows, n, r, frames[f], nframes > 1 ? vg_arena_printf(arena, "%zu", f) : "",
                      &b);
    vg_buf_puts(&b, "}\n");
    const char *line = vg_arena_strndup(arena, b.p, b.len);
    vg_buf_free(&b);
    return line;
}

/* The SQL of the windows: all partitioned by k, each with the eight
 * aggregates of expected_cols. */
static const char *window_sql(const ref_frame *frames, size_t nframes)
{
    vg_buf b;
    vg_buf_init(&b, VG_MEM_OTHER);
    vg_buf_puts(&b, "SELECT v");
    for (size_t f = 0; f < nframes; f++) {
        const char *x = nframes > 1 ? vg_arena_printf(arena, "%zu", f) : "";
        vg_buf_printf(&b,
                      ", COUNT(*) OVER w%zu AS n%s, SUM(v) OVER w%zu AS s%s, MIN(v) OVER w%zu AS "
                      "lo%s, MAX(v) OVER w%zu AS hi%s, COUNT(*) FILTER (WHERE v > 50) OVER w%zu "
                      "AS big%s, COUNT(DISTINCT tag) OVER w%zu AS tags%s, FIRST_VALUE(v) OVER "
                      "w%zu AS f%s, LAST_VALUE(v) OVER w%zu AS l%s",
                      f, x, f, x, f, x, f, x, f, x, f, x, f, x, f, x);
    }
    vg_buf_puts(&b, " FROM s WINDOW ");
    for (size_t f = 0; f < nframes; f++) {
        const ref_frame *w = &frames[f];
        const char *frame =
            w->kind == 0   ? vg_arena_printf(arena, "RANGE BETWEEN INTERVAL '%lld' SECOND "
                                                    "PRECEDING AND CURRENT ROW",
                                             (long long)w->pre / 1000)
            : w->kind == 1 ? vg_arena_printf(arena, "ROWS BETWEEN %lld PRECEDING AND CURRENT ROW",
                                             (long long)w->pre)
                           : "";
        vg_buf_printf(&b, "%sw%zu AS (PARTITION BY k ORDER BY ts %s)", f ? ", " : "", f, frame);
    }
    vg_buf_puts(&b, ";");
    const char *sql = vg_arena_strndup(arena, b.p, b.len);
    vg_buf_free(&b);
    return sql;
}

/* Snapshot every OVER operator, close the DAG, open a fresh one, restore. */
static int restart(run *r)
{
    uint32_t n = count_over_nodes(r->plan);
    vg_buf bufs[8];
    vg_error err;
    vg_error_clear(&err);
    int rc = 0;
    for (uint32_t i = 0; i < n && i < 8; i++) {
        vg_buf_init(&bufs[i], VG_MEM_OTHER);
        vg_op *op = over_op(r, i);
        rc |= op->kind->snapshot(op, &bufs[i], &err);
    }
    vg_dag_close(r->dag);
    rc |= open_dag(r);
    for (uint32_t i = 0; i < n && i < 8; i++) {
        vg_op *op = over_op(r, i);
        if (!rc)
            rc |= op->kind->restore(op, bufs[i].p, bufs[i].len, &err);
        vg_buf_free(&bufs[i]);
    }
    if (rc)
        fprintf(stderr, "restart: %s\n", err.msg);
    return rc;
}

/* Replay a random log through the windows and check every line; with
 * parts 2, rows come from two source partitions; with restart_at > 0,
 * restart from a snapshot after that many rows. Returns the whole output
 * (in the arena). */
static const char *random_run(unsigned seed, const ref_frame *frames, size_t nframes, int parts,
                              size_t nrows, size_t restart_at, size_t *mismatches)
{
    run r;
    if (start(&r, window_sql(frames, nframes)) < 0)
        return NULL;
    ref_row *rows = calloc(nrows, sizeof *rows);
    size_t n = 0;
    int64_t maxts = 0, wm = VG_WM_MIN;
    vg_buf all;
    vg_buf_init(&all, VG_MEM_OTHER);
    srand(seed);
    for (size_t i = 0; i < nrows; i++) {
        ref_row x = {rand() % 4, rand() % parts, rand() % 8 ? rand() % 100 : NOV, rand() % 3, 0, i};
        /* mostly in order, some out of order (a few late), some peers */
        int64_t step = rand() % 5 == 0 ? 0 : rand() % 3000;
        x.ts = rand() % 6 == 0 ? maxts - rand() % 4000 : maxts + step;
        if (x.ts > maxts)
            maxts = x.ts;
        vg_dag_set_partition(r.dag, x.part);
        push(&r, keys[x.key], 0, x.v, tags[x.tag], x.ts);
        const char *got = output(&r);
        vg_buf_puts(&all, got);
        if (x.ts < wm) {
            *mismatches += got[0] != 0;
        } else {
            rows[n++] = x;
            const char *want = expected_line(rows, n, &rows[n - 1], frames, nframes);
            if (strcmp(got, want) != 0) {
                if (*mismatches < 5)
                    fprintf(stderr, "row %zu (ts %lld): got %s want %s", i, (long long)x.ts, got,
                            want);
                ++*mismatches;
            }
        }
        if (i % 7 == 6) { /* the watermark trails the newest time by 2 s */
            wm = maxts - 2000;
            vg_dag_watermark(r.dag, wm);
        }
        if (restart_at && i + 1 == restart_at && restart(&r) < 0)
            ++*mismatches;
    }
    const char *s = vg_arena_strndup(arena, all.p ? all.p : "", all.len);
    vg_buf_free(&all);
    free(rows);
    stop(&r);
    return s;
}

static void test_random_against_reference(void)
{
    static const ref_frame frames[] = {{0, 5000}, {0, 0},  {0, 60000}, {1, 3},
                                       {1, 0},    {1, 20}, {2, -1}};
    for (size_t f = 0; f < sizeof frames / sizeof frames[0]; f++) {
        size_t bad = 0, bad2 = 0;
        const char *a = random_run(7 + (unsigned)f, &frames[f], 1, 1, 1500, 0, &bad);
        CHECK_INT(bad, 0);
        /* the same log, restarted from snapshots in the middle: the same output */
        const char *b = random_run(7 + (unsigned)f, &frames[f], 1, 1, 1500, 777, &bad2);
        CHECK_INT(bad2, 0);
        CHECK(a && b && strcmp(a, b) == 0);
    }
}

/* Every kind of frame in one node, sharing the buffer of each key; rows from
 * two source partitions (each its own partition of each key); frames of more
 * and fewer than OVER_SMALL rows; a restart in the middle. */
static void test_random_frames_together(void)
{
    static const ref_frame frames[] = {{0, 5000}, {1, 3}, {2, -1}, {0, 60000}, {1, 20}, {0, 0}};
    size_t nf = sizeof frames / sizeof frames[0];
    for (unsigned seed = 1; seed <= 2; seed++) {
        size_t bad = 0, bad2 = 0;
        const char *a = random_run(seed, frames, nf, 2, 2000, 0, &bad);
        CHECK_INT(bad, 0);
        const char *b = random_run(seed, frames, nf, 2, 2000, 1001, &bad2);
        CHECK_INT(bad2, 0);
        CHECK(a && b && strcmp(a, b) == 0);
    }
    run r;
    if (start(&r, window_sql(frames, nf)) == 0) {
        CHECK_INT(count_over_nodes(r.plan), 1);
        stop(&r);
    }
}

/* ---- batches ---- */

/* Push a random log (strings inline and interned, out-of-order and late
 * rows, two source partitions, a moving watermark) into a DAG of sql, row
 * by row (batch 0) or in batches of 1 to 150 rows (vg_dag_push_batch);
 * the output, with the late count after it (in the arena). */
static const char *batch_run(const char *sql, unsigned seed, int batch)
{
    static const char *const vals[] = {"a", "bb", "a-string-longer-than-8", "z", "another-long-one"};
    enum { NROWS = 3000, MAXB = 150, W = 5 };
    static vg_value rows[MAXB * W];
    static int32_t parts[MAXB];
    run r;
    if (start(&r, sql) < 0)
        return NULL;
    vg_buf all;
    vg_buf_init(&all, VG_MEM_OTHER);
    srand(seed);
    int64_t maxts = 0;
    uint32_t n = 0, want = 1, lcg = seed; /* batch sizes: not from rand(), which makes the log */
    for (int i = 0; i < NROWS; i++) {
        int64_t ts = rand() % 6 == 0 ? maxts - rand() % 4000 : maxts + rand() % 2000;
        maxts = ts > maxts ? ts : maxts;
        const char *tag = vals[rand() % 5];
        vg_value *row = &rows[n * W];
        row[0] = vg_str(keys[rand() % 3], 1);
        row[1] = rand() % 9 ? vg_int(rand() % 5) : vg_null();
        row[2] = rand() % 8 ? vg_int(rand() % 100) : vg_null();
        row[3] = vg_str(tag, (uint32_t)strlen(tag));
        row[4] = vg_int(ts);
        parts[n++] = rand() % 2;
        if (!batch) {
            vg_dag_set_partition(r.dag, parts[0]);
            vg_dag_push(r.dag, 0, rows);
            n = 0;
        } else if (n == want || i == NROWS - 1) {
            vg_op_batch b = {n, W, rows, parts};
            vg_dag_push_batch(r.dag, 0, &b);
            n = 0;
            lcg = lcg * 1103515245u + 12345u;
            want = 1 + (lcg >> 16) % MAXB;
        }
        if (i % 200 == 199) { /* between batches in both runs */
            if (batch && n) {
                vg_op_batch b = {n, W, rows, parts};
                vg_dag_push_batch(r.dag, 0, &b);
                n = 0;
            }
            vg_dag_watermark(r.dag, maxts - 2500);
            vg_buf_puts(&all, output(&r));
        }
    }
    vg_buf_puts(&all, output(&r));
    vg_buf_printf(&all, "late %llu\n", (unsigned long long)r.late);
    const char *s = vg_arena_strndup(arena, all.p, all.len);
    vg_buf_free(&all);
    stop(&r);
    return s;
}

/* Rows pushed in batches give what they give pushed one by one: through
 * three OVER operators of different keys in a row (each takes the batch
 * whole), with STRING results that point into records and interned
 * strings a later row of the batch may move or free, and through a source
 * that feeds two queries (row by row, interleaved as before). The batch
 * size varies across OVER_BATCH. */
static void test_batches(void)
{
    static const char *const sqls[] = {
        "SELECT k, k2, v, tag,\n"
        "  LAST_VALUE(tag) OVER (PARTITION BY k ORDER BY ts RANGE BETWEEN INTERVAL '3' SECOND"
        " PRECEDING AND CURRENT ROW) AS lk,\n"
        "  MAX(tag) OVER (PARTITION BY k ORDER BY ts ROWS BETWEEN 20 PRECEDING AND CURRENT ROW) AS"
        " mk,\n"
        "  FIRST_VALUE(tag) OVER (PARTITION BY k2 ORDER BY ts ROWS BETWEEN 2 PRECEDING AND CURRENT"
        " ROW) AS f2,\n"
        "  COUNT(DISTINCT tag) OVER (PARTITION BY k2 ORDER BY ts RANGE BETWEEN INTERVAL '10' SECOND"
        " PRECEDING AND CURRENT ROW) AS d2,\n"
        "  SUM(v) OVER (PARTITION BY tag ORDER BY ts RANGE BETWEEN INTERVAL '5' SECOND PRECEDING"
        " AND CURRENT ROW) AS st,\n"
        "  MIN(tag) OVER (PARTITION BY tag, k ORDER BY ts RANGE UNBOUNDED PRECEDING) AS mt\n"
        "FROM s;\n",
        "SELECT k, COUNT(*) OVER (PARTITION BY k ORDER BY ts ROWS BETWEEN 3 PRECEDING AND"
        " CURRENT ROW) AS n FROM s;\n"
        "SELECT tag, LAST_VALUE(tag) OVER (PARTITION BY k2 ORDER BY ts RANGE BETWEEN INTERVAL"
        " '2' SECOND PRECEDING AND CURRENT ROW) AS l FROM s WHERE v > 20;\n",
    };
    for (size_t q = 0; q < sizeof sqls / sizeof sqls[0]; q++) {
        for (unsigned seed = 1; seed <= 3; seed++) {
            const char *one = batch_run(sqls[q], seed, 0), *many = batch_run(sqls[q], seed, 1);
            CHECK(one && many && strlen(one) > 1000);
            CHECK(one && many && strcmp(one, many) == 0);
        }
    }
}

/* ---- speed (printed, not asserted) ---- */

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void test_speed(void)
{
#if defined(__SANITIZE_ADDRESS__)
    const size_t nev = 100000;
#else
    const size_t nev = 1000000;
#endif
    run r;
    if (start(&r, "SELECT v,\n"
                  " COUNT(*) OVER m1 AS a1, SUM(v) OVER m1 AS a2, MAX(v) OVER m1 AS a3,"
                  " COUNT(*) FILTER (WHERE tag = 'f') OVER m1 AS a4,\n"
                  " COUNT(*) OVER h1 AS b1, SUM(v) OVER h1 AS b2, MAX(v) OVER h1 AS b3,"
                  " COUNT(DISTINCT tag) OVER h1 AS b4,\n"
                  " COUNT(*) OVER d1 AS c1, SUM(v) OVER d1 AS c2, MIN(v) OVER d1 AS c3,"
                  " AVG(v) OVER d1 AS c4,\n"
                  " COUNT(*) OVER dev AS d1, SUM(v) OVER dev AS d2, MAX(v) OVER dev AS d3,"
                  " COUNT(DISTINCT k) OVER dev AS d4,\n"
                  " COUNT(*) OVER mer AS e1, SUM(v) OVER mer AS e2, MAX(v) OVER mer AS e3,"
                  " COUNT(*) FILTER (WHERE tag = 'f') OVER mer AS e4\n"
                  "FROM s WINDOW\n"
                  " m1 AS (PARTITION BY k ORDER BY ts RANGE INTERVAL '1' MINUTE PRECEDING),\n"
                  " h1 AS (PARTITION BY k ORDER BY ts RANGE INTERVAL '1' HOUR PRECEDING),\n"
                  " d1 AS (PARTITION BY k ORDER BY ts RANGE INTERVAL '24' HOUR PRECEDING),\n"
                  " dev AS (PARTITION BY k2 ORDER BY ts RANGE INTERVAL '1' HOUR PRECEDING),\n"
                  " mer AS (PARTITION BY tag ORDER BY ts ROWS 100 PRECEDING);") < 0) {
        CHECK(0);
        return;
    }
    char cards[1000][16];
    for (int i = 0; i < 1000; i++)
        snprintf(cards[i], sizeof cards[i], "c%d", i);
    static const char *const merchants[] = {"m0", "m1", "m2", "m3", "m4", "m5", "m6", "f"};
    uint64_t x = 88172645463325252ull;
    double t0 = now_s();
    for (size_t i = 0; i < nev; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        int64_t ts = 1714550400000 + (int64_t)i * 100; /* 10 events per second */
        push(&r, cards[x % 1000], (int64_t)(x >> 20) % 3000, (int64_t)(x >> 40) % 1000,
             merchants[(x >> 8) % 8], ts);
        if (i % 1024 == 1023) {
            vg_buf_clear(&vg_dag_channel(r.dag, 0)->buf);
            vg_dag_end_batch(r.dag);
            vg_dag_watermark(r.dag, ts - 5000);
        }
    }
    double secs = now_s() - t0;
    CHECK(vg_dag_error(r.dag) == NULL);
    uint64_t rows = 0, parts = 0;
    size_t kb = 0, rb = 0;
    for (uint32_t i = 0; i < count_over_nodes(r.plan); i++) {
        vg_op_over_stats st;
        vg_op_over_stats_get(over_op(&r, i), &st);
        rows += st.rows;
        parts += st.partitions;
        kb += st.key_bytes;
        rb += st.row_bytes;
    }
    printf("speed: 5 windows x 4 aggregates, %zu in-order events (JSON encoding included): "
           "%.0f events/s; %llu keys, %.0f bytes/key; %llu buffered rows, %.1f bytes/row\n",
           nev, (double)nev / secs, (unsigned long long)parts, parts ? (double)kb / parts : 0.0,
           (unsigned long long)rows, rows ? (double)rb / rows : 0.0);
    stop(&r);
}

int main(void)
{
    arena = vg_arena_new(VG_MEM_OTHER, 1 << 16);
    RUN(test_range_boundary);
    RUN(test_range_zero);
    RUN(test_rows_boundary);
    RUN(test_rows_zero_and_short_forms);
    RUN(test_unbounded);
    RUN(test_peers);
    RUN(test_out_of_order_range);
    RUN(test_out_of_order_rows);
    RUN(test_out_of_order_unbounded);
    RUN(test_filter_distinct);
    RUN(test_keys_and_windows);
    RUN(test_expressions_and_where);
    RUN(test_late_and_eviction);
    RUN(test_rows_eviction);
    RUN(test_plan_and_explain);
    RUN(test_view_time_attribute);
    RUN(test_iterate);
    RUN(test_source_partitions);
    RUN(test_ttl);
    RUN(test_small_frames);
    RUN(test_restore_bad_bytes);
    RUN(test_random_against_reference);
    RUN(test_random_frames_together);
    RUN(test_batches);
    RUN(test_speed);
    vg_arena_free(arena);
    for (int t = 0; t < VG_MEM_NTAGS; t++)
        CHECK_INT(vg_mem_in_use((vg_mem_tag)t), 0);
    return CHECK_DONE();
}
