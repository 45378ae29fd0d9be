/*
 * test_match_order.c — MATCH_RECOGNIZE's further ORDER BY keys (ORDER BY
 * ts, key [DESC], ...) in a real DAG planned from SQL: the rows of one event
 * time, released together by the watermark, reach the matcher sorted by the
 * keys (engine/match_order.c) across partitions, ties in arrival order,
 * NULLs first ASC and last DESC, expression keys over columns ONE ROW PER
 * MATCH keeps for them alone; rows of different times stay in time order;
 * snapshot and restore after every event, every truncation refused, every
 * allocation failing in turn; EXPLAIN and the plan's fingerprint show the
 * keys. The golden cases (tests/sql/match/order_*.test) cover the SQL.
 */
#include "engine/match_int.h"
#include "sql/fingerprint.h"
#include "tests/unit/op_test.h"

#define MR(ORDER, BODY)                                                                            \
    "SELECT * FROM s MATCH_RECOGNIZE (PARTITION BY k ORDER BY " ORDER "\n" BODY ");\n"

/* Every row, four to a match, in the order the matcher took them. */
#define ALL4 "  MEASURES ARRAY_AGG(x) AS xs\n  PATTERN (A{4})\n  DEFINE A AS true\n"

static const char *xs(const char *k, const char *list)
{
    return vg_arena_printf(arena, "{\"k\":\"%s\",\"xs\":\"[%s]\"}\n", k, list);
}

/* Rows of one time by x DESC; an earlier time first whatever it arrived as;
 * nothing before the watermark passes the time. */
static void test_sorted_at_release(void)
{
    run r;
    CHECK(opened(&r, MR("ts, x DESC", ALL4)));
    push(&r, "a", 1, 10);
    push(&r, "a", 3, 10);
    push(&r, "a", 2, 10);
    push(&r, "a", 9, 5);
    vg_dag_watermark(r.dag, 9);
    CHECK_STR(out(&r), "");
    vg_dag_watermark(r.dag, 10);
    CHECK_STR(out(&r), xs("a", "9,3,2,1"));
    run_close(&r);
}

/* Equal keys keep arrival order; the order is over all partitions. */
static void test_ties_and_partitions(void)
{
    run r;
    CHECK(opened(&r, MR("ts, x", ALL4)));
    push(&r, "b", 2, 10);
    push(&r, "a", 2, 10); /* ties with b's: after it, and with a's next 2 */
    push(&r, "a", 2, 10);
    push(&r, "a", 1, 10);
    push(&r, "b", 1, 10);
    push(&r, "b", 0, 10);
    push(&r, "a", 0, 10);
    push(&r, "b", 3, 10);
    vg_dag_watermark(r.dag, VG_WM_MAX);
    CHECK_STR(out(&r), cat(xs("a", "0,1,2,2"), xs("b", "0,1,2,3")));
    run_close(&r);
}

/* NULL keys: first ASC, last DESC. */
static void test_nulls(void)
{
    static const char *const orders[2] = {"ts, k, x", "ts, x DESC"};
    for (int desc = 0; desc < 2; desc++) {
        run r;
        const char *sql = vg_arena_printf(arena,
                                          "SELECT * FROM s MATCH_RECOGNIZE (PARTITION BY k "
                                          "ORDER BY %s\n  MEASURES ARRAY_AGG(x) AS xs\n"
                                          "  PATTERN (A{3})\n  DEFINE A AS true\n);\n",
                                          orders[desc]);
        CHECK(opened(&r, sql));
        push(&r, "a", 5, 10);
        vg_value nul[3] = {vg_str("a", 1), vg_null(), vg_int(10)};
        vg_dag_push(r.dag, 0, nul);
        push(&r, "a", 7, 10);
        vg_dag_watermark(r.dag, VG_WM_MAX);
        CHECK_STR(out(&r), desc ? xs("a", "7,5,null") : xs("a", "null,5,7"));
        run_close(&r);
    }
}

/* An expression key (distance from 4, nearest first) over a column only
 * it reads: ONE ROW PER MATCH keeps that column. */
static void test_expression_key(void)
{
    run r;
    CHECK(opened(&r, MR("ts, ABS(x - 4)", "  MEASURES FIRST(A.ts) AS t\n  PATTERN (A B C)\n"
                                          "  DEFINE A AS true, B AS true, C AS true\n")));
    push(&r, "a", 1, 10);
    push(&r, "a", 6, 10);
    push(&r, "a", 4, 10);
    vg_dag_watermark(r.dag, VG_WM_MAX);
    CHECK_STR(out(&r), "{\"k\":\"a\",\"t\":\"1970-01-01T00:00:00.010Z\"}\n");
    run_close(&r);
    CHECK(opened(&r, MR("ts, ABS(x - 4)", ALL4)));
    push(&r, "a", 1, 10);
    push(&r, "a", 6, 10);
    push(&r, "a", 4, 10);
    push(&r, "a", 3, 10);
    vg_dag_watermark(r.dag, VG_WM_MAX);
    CHECK_STR(out(&r), xs("a", "4,3,6,1"));
    run_close(&r);
}

/* ---- state ---- */

static const ev events[] = {
    {"a", 3, 1000}, {"b", 1, 1000},  {"a", 1, 1000}, {"a", 2, 1000}, {"b", 5, 1200},
    {"b", 2, 1000}, {"a", 4, 2000},  {"a", 4, 2000}, {"c", 1, 2500}, {"a", 0, 2000},
    {"b", 9, 3000}, {NULL, 1, 3000}, {"c", 7, 2500}, {"a", 8, 3000}, {"b", 0, 3000},
    {"c", 2, 3500}, {"a", 6, 4000},  {"b", 1, 4000}, {"c", 3, 4000}, {"a", 5, 4000},
};
#define NEVENTS (sizeof events / sizeof events[0])

/* Events from..to, the watermark after each one second behind it. */
static const char *feed(run *r, size_t from, size_t to)
{
    for (size_t i = from; i < to; i++) {
        push(r, events[i].k, events[i].x, events[i].ts);
        vg_dag_watermark(r->dag, events[i].ts - 1000);
    }
    if (to == NEVENTS)
        vg_dag_watermark(r->dag, VG_WM_MAX);
    return out(r);
}

static const char *const state_sqls[] = {
    MR("ts, x DESC", "  MEASURES ARRAY_AGG(x) AS xs, MATCH_NUMBER() AS n\n"
                     "  PATTERN (A B+) DEFINE A AS true, B AS x < PREV(x)\n"),
    MR("ts, x, k", "  MEASURES CLASSIFIER() AS c, NEXT(x) AS nx\n  ALL ROWS PER MATCH\n"
                   "  PATTERN (A B?) DEFINE A AS x % 2 = 0, B AS x > PREV(x)\n"),
};
#define NSQLS (sizeof state_sqls / sizeof state_sqls[0])

/* The uninterrupted run of the first query: the rows of 1000 go as a 3, b
 * 2, a 2, a 1, b 1; b's match ends at its row of 1200 (released first), a's
 * at its first row of 2000; those go as 4, 4, 0 (the two 4s, tied, in
 * arrival order: the first fails as A B+, the second starts [4,0]). */
static void test_feed(void)
{
    run r;
    CHECK(opened(&r, state_sqls[0]));
    const char *got = feed(&r, 0, NEVENTS);
    CHECK_STR(got, "{\"k\":\"b\",\"xs\":\"[2,1]\",\"n\":1}\n"
                   "{\"k\":\"a\",\"xs\":\"[3,2,1]\",\"n\":1}\n"
                   "{\"k\":\"a\",\"xs\":\"[4,0]\",\"n\":2}\n"
                   "{\"k\":\"c\",\"xs\":\"[7,1]\",\"n\":1}\n"
                   "{\"k\":\"b\",\"xs\":\"[9,0]\",\"n\":2}\n"
                   "{\"k\":\"a\",\"xs\":\"[8,6,5]\",\"n\":3}\n");
    CHECK_STR(r.late, "");
    run_close(&r);
}

/* Snapshot and restore after every event; every truncation refused;
 * every allocation failing in turn. */
static void test_state(void)
{
    for (size_t q = 0; q < NSQLS; q++) {
        check_restarts(state_sqls[q], 0, feed, NEVENTS);
        run a;
        CHECK(opened(&a, state_sqls[q]));
        feed(&a, 0, NEVENTS / 2);
        vg_buf snap = op_snapshot(&a, VG_PLAN_MATCH);
        run_close(&a);
        check_truncations(state_sqls[q], VG_PLAN_MATCH, &snap);
        vg_buf_free(&snap);
        check_alloc_failures(state_sqls[q], feed, NEVENTS);
    }
}

/* ---- plan ---- */

static void test_explain(void)
{
    CHECK_STR(
        explain_of(MR("ts, x DESC, LOWER(k), ts", "  MEASURES A.x AS ax\n  ALL ROWS PER MATCH\n"
                                                  "  PATTERN (A)\n  DEFINE A AS true\n")),
        "sink stdout  [k STRING, ts TIMESTAMP(3), x BIGINT, ax BIGINT]\n"
        "  match  partition by k  order by ts, x DESC, LOWER(k), ts  pattern (A)  "
        "all rows per match  skip past last row  measures [ax := A.x]\n"
        "    source s  [k STRING, x BIGINT, ts TIMESTAMP(3)]  watermark ts\n");
}

/* The MATCH_RECOGNIZE node's fingerprint. */
static vg_fp match_fp(const char *order)
{
    run r;
    vg_error err;
    vg_fp fp = 0;
    const char *sql = vg_arena_printf(
        arena, "SELECT * FROM s MATCH_RECOGNIZE (PARTITION BY k ORDER BY %s\n" ALL4 ");\n", order);
    CHECK(plan_ttl(&r, source_of(sql), 0, &err) == 0);
    for (uint32_t i = 0; i < r.plan->nnodes; i++)
        if (r.plan->nodes[i]->kind == VG_PLAN_MATCH)
            CHECK(vg_plan_node_fingerprint(r.plan->nodes[i], &fp, &err) == 0);
    vg_plan_free(r.plan);
    return fp;
}

/* A changed ORDER BY is a changed operator (a reload rebuilds it); the
 * same SQL gives the same fingerprint. */
static void test_fingerprint(void)
{
    const char *orders[] = {"ts", "ts, x", "ts, x DESC", "ts, x, k", "ts, k, x", "ts, x + 1"};
    enum { N = sizeof orders / sizeof orders[0] };
    vg_fp fps[N];
    for (int i = 0; i < N; i++)
        fps[i] = match_fp(orders[i]);
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++)
            CHECK((fps[i] == fps[j]) == (i == j));
    CHECK(match_fp("ts, x DESC") == fps[2]);
}

int main(void)
{
    arena = vg_arena_new(VG_MEM_OTHER, 1 << 16);
    RUN(test_sorted_at_release);
    RUN(test_ties_and_partitions);
    RUN(test_nulls);
    RUN(test_expression_key);
    RUN(test_feed);
    RUN(test_state);
    RUN(test_explain);
    RUN(test_fingerprint);
    vg_arena_free(arena);
    return CHECK_DONE();
}
