/*
 * test_group.c — the updating GROUP BY operator (engine/op_group.c): the
 * changelog of Flink's GroupAggFunction (+I, -U/+U, nothing for an equal
 * result, -D when the last row is retracted, retractions of unknown keys
 * ignored), retracting input kinds pushed directly, state per source
 * partition, state TTL on event time (exact rows before and after expiry,
 * the boundary, keys without an event-time column), snapshot and restore
 * in the middle of a stream (also of expired-key stamps), refusing other
 * state, iterate, EXPLAIN, and allocation failures. Operators run in a
 * real DAG planned from SQL.
 */
#include "engine/group_int.h"
#include "tests/unit/op_test.h"

#define COUNT_SUM "SELECT k, COUNT(*) AS n, SUM(x) AS s FROM s GROUP BY k;\n"

/* ---- the changelog ---- */

static void test_changelog(void)
{
    run r;
    CHECK(opened(&r, COUNT_SUM));
    push(&r, "a", 1, 1);
    CHECK_STR(out(&r), "{\"op\":\"+I\",\"k\":\"a\",\"n\":1,\"s\":1}\n");
    push(&r, "a", 2, 2);
    CHECK_STR(out(&r), "{\"op\":\"-U\",\"k\":\"a\",\"n\":1,\"s\":1}\n"
                       "{\"op\":\"+U\",\"k\":\"a\",\"n\":2,\"s\":3}\n");
    push(&r, NULL, 4, 3);
    CHECK_STR(out(&r), "{\"op\":\"+I\",\"k\":null,\"n\":1,\"s\":4}\n");
    vg_dag_watermark(r.dag, VG_WM_MAX); /* nothing waits for the watermark */
    CHECK_STR(out(&r), "");
    CHECK(vg_dag_error(r.dag) == NULL);
    run_close(&r);
}

/* A row that leaves the result equal emits nothing (no TTL). */
static void test_equal_result(void)
{
    run r;
    CHECK(opened(&r, "SELECT k, MAX(x) AS m FROM s GROUP BY k;\n"));
    push(&r, "a", 5, 1);
    push(&r, "a", 3, 2);
    push(&r, "a", 5, 3);
    CHECK_STR(out(&r), "{\"op\":\"+I\",\"k\":\"a\",\"m\":5}\n");
    push(&r, "a", 6, 4);
    CHECK_STR(out(&r),
              "{\"op\":\"-U\",\"k\":\"a\",\"m\":5}\n{\"op\":\"+U\",\"k\":\"a\",\"m\":6}\n");
    run_close(&r);
}

/* Input kinds straight into the operator: +U accumulates, -U and -D
 * retract, a retraction of an unknown key is ignored, and the last row
 * retracted deletes the key, which then starts afresh. */
static void test_retractions(void)
{
    run r;
    CHECK(opened(&r, "SELECT k, COUNT(*) AS n, MIN(x) AS lo FROM s GROUP BY k;\n"));
    vg_op *g = op_of(&r, VG_PLAN_GROUP);
    vg_value a1[3] = {vg_str("a", 1), vg_int(1), vg_int(1)};
    vg_value a5[3] = {vg_str("a", 1), vg_int(5), vg_int(2)};
    vg_value b1[3] = {vg_str("b", 1), vg_int(1), vg_int(3)};
    g->kind->push(g, 0, b1, VG_ROW_DELETE);
    g->kind->push(g, 0, b1, VG_ROW_UPDATE_BEFORE);
    CHECK_STR(out(&r), "");
    g->kind->push(g, 0, a1, VG_ROW_UPDATE_AFTER);
    g->kind->push(g, 0, a5, VG_ROW_INSERT);
    CHECK_STR(out(&r), "{\"op\":\"+I\",\"k\":\"a\",\"n\":1,\"lo\":1}\n"
                       "{\"op\":\"-U\",\"k\":\"a\",\"n\":1,\"lo\":1}\n"
                       "{\"op\":\"+U\",\"k\":\"a\",\"n\":2,\"lo\":1}\n");
    g->kind->push(g, 0, a1, VG_ROW_UPDATE_BEFORE);
    CHECK_STR(out(&r), "{\"op\":\"-U\",\"k\":\"a\",\"n\":2,\"lo\":1}\n"
                       "{\"op\":\"+U\",\"k\":\"a\",\"n\":1,\"lo\":5}\n");
    g->kind->push(g, 0, a5, VG_ROW_DELETE);
    CHECK_STR(out(&r), "{\"op\":\"-D\",\"k\":\"a\",\"n\":1,\"lo\":5}\n");
    g->kind->push(g, 0, a5, VG_ROW_DELETE); /* gone: ignored */
    g->kind->push(g, 0, a5, VG_ROW_INSERT);
    CHECK_STR(out(&r), "{\"op\":\"+I\",\"k\":\"a\",\"n\":1,\"lo\":5}\n");
    CHECK(vg_dag_error(r.dag) == NULL);
    run_close(&r);
}

/* The same key in two source partitions is two groups. */
static void test_partitions(void)
{
    run r;
    CHECK(opened(&r, COUNT_SUM));
    vg_dag_set_partition(r.dag, 0);
    push(&r, "a", 1, 1);
    vg_dag_set_partition(r.dag, 3);
    push(&r, "a", 2, 2);
    vg_dag_set_partition(r.dag, 0);
    push(&r, "a", 4, 3);
    CHECK_STR(out(&r), "{\"op\":\"+I\",\"k\":\"a\",\"n\":1,\"s\":1}\n"
                       "{\"op\":\"+I\",\"k\":\"a\",\"n\":1,\"s\":2}\n"
                       "{\"op\":\"-U\",\"k\":\"a\",\"n\":1,\"s\":1}\n"
                       "{\"op\":\"+U\",\"k\":\"a\",\"n\":2,\"s\":5}\n");
    CHECK_INT(((grp_state *)op_of(&r, VG_PLAN_GROUP)->state)->map.keys.n, 2);
    run_close(&r);
}

/* ---- TTL ---- */

/* A key whose newest row is older than the watermark less the TTL is
 * dropped without a message; its next row is +I again. The newest row
 * counts, not the last to arrive. Exactly TTL old is not expired. */
static void test_ttl(void)
{
    run r;
    CHECK(opened_ttl(&r, COUNT_SUM, 100));
    push(&r, "a", 1, 1000);
    push(&r, "b", 2, 1050);
    push(&r, "a", 4, 900); /* a's newest row stays 1000 */
    CHECK_STR(out(&r), "{\"op\":\"+I\",\"k\":\"a\",\"n\":1,\"s\":1}\n"
                       "{\"op\":\"+I\",\"k\":\"b\",\"n\":1,\"s\":2}\n"
                       "{\"op\":\"-U\",\"k\":\"a\",\"n\":1,\"s\":1}\n"
                       "{\"op\":\"+U\",\"k\":\"a\",\"n\":2,\"s\":5}\n");
    grp_state *st = op_of(&r, VG_PLAN_GROUP)->state;
    vg_dag_watermark(r.dag, 1100); /* a: 1000 = 1100 - 100, not older */
    CHECK_INT(st->map.keys.n, 2);
    vg_dag_watermark(r.dag, 1101);
    CHECK_INT(st->map.keys.n, 1);
    CHECK_STR(out(&r), "");
    push(&r, "a", 8, 1102);
    push(&r, "b", 16, 1103);
    CHECK_STR(out(&r), "{\"op\":\"+I\",\"k\":\"a\",\"n\":1,\"s\":8}\n"
                       "{\"op\":\"-U\",\"k\":\"b\",\"n\":1,\"s\":2}\n"
                       "{\"op\":\"+U\",\"k\":\"b\",\"n\":2,\"s\":18}\n");
    vg_dag_watermark(r.dag, VG_WM_MAX);
    CHECK_INT(st->map.keys.n, 0);
    run_close(&r);
}

/* With a TTL, an equal result is emitted all the same (Flink's rule: the
 * downstream state must stay fresh). */
static void test_ttl_equal_result(void)
{
    run r;
    CHECK(opened_ttl(&r, "SELECT DISTINCT k FROM s;\n", 1000));
    push(&r, "a", 1, 1);
    push(&r, "a", 2, 2);
    CHECK_STR(out(&r), "{\"op\":\"+I\",\"k\":\"a\"}\n{\"op\":\"-U\",\"k\":\"a\"}\n"
                       "{\"op\":\"+U\",\"k\":\"a\"}\n");
    run_close(&r);
}

/* Without an event-time column the key is stamped with the watermark when
 * its row came; a row before any watermark counts from the first one. */
static void test_ttl_without_time(void)
{
    run r;
    CHECK(opened_ttl(&r, "SELECT k, COUNT(*) AS n FROM (SELECT k FROM s) GROUP BY k;\n", 50));
    grp_state *st = op_of(&r, VG_PLAN_GROUP)->state;
    CHECK_INT(op_of(&r, VG_PLAN_GROUP)->node->u.group.time_col, -1);
    push(&r, "a", 1, 5000);       /* no watermark yet */
    vg_dag_watermark(r.dag, 200); /* a counts from 200 */
    push(&r, "b", 1, 0);          /* stamped 200 */
    vg_dag_watermark(r.dag, 250);
    CHECK_INT(st->map.keys.n, 2);
    vg_dag_watermark(r.dag, 251);
    CHECK_INT(st->map.keys.n, 0);
    CHECK_STR(out(&r),
              "{\"op\":\"+I\",\"k\":\"a\",\"n\":1}\n{\"op\":\"+I\",\"k\":\"b\",\"n\":1}\n");
    run_close(&r);
}

/* ---- state ---- */

static const ev events[] = {
    {"a", 1, 10},  {"b", 2, 20},  {"a", 3, 30},  {NULL, 4, 35}, {"c", 5, 40},   {"a", 6, 300},
    {"b", 7, 310}, {"b", 7, 320}, {"d", 8, 330}, {"a", 9, 335}, {"c", 10, 500}, {"e", 11, 505},
};
#define NEVENTS (sizeof events / sizeof events[0])

static const char state_sql[] =
    "SELECT k, COUNT(*) AS n, SUM(x) AS s, COUNT(DISTINCT x) AS d, MIN(x) AS lo,\n"
    "  LAST_VALUE(x) AS l, CONCAT_WS('-', k, 'x') AS kk FROM s GROUP BY k, CONCAT_WS('-', k, "
    "'x');\n";

/* Events from..to, with the watermark after each; the output. */
static const char *feed(run *r, size_t from, size_t to)
{
    for (size_t i = from; i < to; i++) {
        push(r, events[i].k, events[i].x, events[i].ts);
        vg_dag_watermark(r->dag, events[i].ts);
    }
    return out(r);
}

/* Snapshot after `at` events, restore into a fresh DAG, finish: the
 * output equals the uninterrupted run's, for every `at`. With a TTL, keys
 * expire on the way (a, b, NULL by 320 + ...), so stamps must survive. */
static void test_snapshot_restore(void)
{
    check_restarts(state_sql, 0, feed, NEVENTS);
    check_restarts(state_sql, 100, feed, NEVENTS);
}

/* Restore refuses the state of another GROUP BY and damaged bytes. */
static void test_restore_refuses(void)
{
    run a, b;
    vg_error err;
    CHECK(opened(&a, COUNT_SUM));
    push(&a, "a", 1, 1);
    vg_buf snap = op_snapshot(&a, VG_PLAN_GROUP);
    run_close(&a);
    CHECK(opened(&b, "SELECT k, COUNT(*) AS n FROM s GROUP BY k;\n"));
    vg_op *gb = op_of(&b, VG_PLAN_GROUP);
    vg_error_clear(&err);
    CHECK(gb->kind->restore(gb, snap.p, snap.len, &err) < 0);
    CHECK_STR(err.msg, "the GROUP BY state is of another GROUP BY");
    run_close(&b);
    check_truncations(COUNT_SUM, VG_PLAN_GROUP, &snap);
    vg_buf_free(&snap);
}

typedef struct visit {
    char text[512];
    size_t len;
} visit;

static int on_row(void *arg, const vg_value *row)
{
    visit *v = arg;
    v->len += (size_t)snprintf(v->text + v->len, sizeof v->text - v->len, "%.*s=%lld/%lld ",
                               row[0].null ? 4 : (int)row[0].len, row[0].null ? "null" : row[0].u.s,
                               (long long)row[1].u.i, (long long)row[2].u.i);
    return 0;
}

/* iterate: each key's row, the GROUP BY columns then the aggregates. */
static void test_iterate(void)
{
    run r;
    CHECK(opened(&r, COUNT_SUM));
    push(&r, "a", 1, 1);
    push(&r, "a", 2, 2);
    vg_op *g = op_of(&r, VG_PLAN_GROUP);
    visit v = {"", 0};
    CHECK(g->kind->iterate(g, on_row, &v) == 0);
    CHECK_STR(v.text, "a=2/3 ");
    run_close(&r);
}

static void test_explain(void)
{
    const char *src = "source s  [k STRING, x BIGINT, ts TIMESTAMP(3)]  watermark ts\n";
    const char *want =
        cat("sink stdout  [k STRING, n BIGINT, s BIGINT]\n"
            "  group  by k  [n := COUNT(*) FILTER (WHERE (x > 1)), s := SUM(DISTINCT x)]\n    ",
            src);
    want = cat(want, "sink stdout  [k STRING]\n  group  by k  []\n    project  [k := k]\n"
                     "      -> source s (see above)\n");
    want = cat(want, "sink stdout  [n BIGINT]\n  group  global  [n := COUNT(*)]\n"
                     "    -> source s (see above)\n");
    CHECK_STR(explain_of("SELECT k, COUNT(*) FILTER (WHERE x > 1) AS n, SUM(DISTINCT x) AS s\n"
                         "FROM s GROUP BY k;\nSELECT DISTINCT k FROM s;\n"
                         "SELECT COUNT(*) AS n FROM s;\n"),
              want);
}

/* Every allocation of planning, open, rows, snapshot and restore made to
 * fail in turn. */
static void test_alloc_failures(void) { check_alloc_failures(state_sql, feed, NEVENTS); }

int main(void)
{
    arena = vg_arena_new(VG_MEM_OTHER, 1 << 16);
    RUN(test_changelog);
    RUN(test_equal_result);
    RUN(test_retractions);
    RUN(test_partitions);
    RUN(test_ttl);
    RUN(test_ttl_equal_result);
    RUN(test_ttl_without_time);
    RUN(test_snapshot_restore);
    RUN(test_restore_refuses);
    RUN(test_iterate);
    RUN(test_explain);
    RUN(test_alloc_failures);
    vg_arena_free(arena);
    return CHECK_DONE();
}
