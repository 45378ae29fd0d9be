/*
 * test_rank.c — the rank operator (engine/op_rank.c): first-row
 * deduplication (rows wait for the watermark, ties keep the earlier row,
 * late rows, the key's later rows dropped), last-row deduplication
 * (replacement on arrival), Top-N with and without the row number (rank
 * shifts, rows pushed out, ties, limits), state per source partition,
 * state TTL on event time for each mode (exact rows before and after
 * expiry), snapshot and restore in the middle of a stream (pending rows
 * included), refusing other state, iterate, EXPLAIN, and allocation
 * failures. Operators run in a real DAG planned from SQL.
 */
#include "engine/rank_int.h"
#include "tests/unit/op_test.h"

static vg_op *rank_op(run *r) { return op_of(r, VG_PLAN_RANK); }

#define RANKED(ORDER, SELECT, BOUND)                                                               \
    "SELECT " SELECT " FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY k ORDER BY " ORDER          \
    ") AS rn FROM s) WHERE " BOUND ";\n"

#define FIRST_ROW RANKED("ts", "k, x", "rn = 1")
#define LAST_ROW  RANKED("ts DESC", "k, x", "rn = 1")
#define TOP3_RN   RANKED("x DESC", "k, x, rn", "rn <= 3")
#define TOP2      RANKED("x DESC", "k, x", "rn <= 2")

/* ---- deduplication ---- */

static void test_modes(void)
{
    static const struct {
        const char *sql;
        vg_rank_mode mode;
        bool updating;
    } cases[] = {
        {FIRST_ROW, VG_RANK_FIRST_ROW, false},
        {LAST_ROW, VG_RANK_LAST_ROW, true},
        {TOP3_RN, VG_RANK_TOP_N, true},
        {RANKED("ts", "k, x, rn", "rn = 1"), VG_RANK_TOP_N, true}, /* rn used: no dedup */
        {RANKED("ts, x", "k, x", "rn = 1"), VG_RANK_TOP_N, true},  /* two columns */
        {RANKED("x", "k, x", "rn = 1"), VG_RANK_TOP_N, true},      /* not event time */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        run r;
        CHECK(opened(&r, cases[i].sql));
        vg_op *op = rank_op(&r);
        CHECK(op != NULL);
        CHECK_INT(op->node->u.rank.mode, cases[i].mode);
        CHECK_INT(r.plan->sinks[0]->updating, cases[i].updating);
        run_close(&r);
    }
}

static void test_first_row(void)
{
    run r;
    CHECK(opened(&r, FIRST_ROW));
    push(&r, "a", 1, 10);
    push(&r, "a", 2, 8); /* earlier: replaces */
    push(&r, "a", 3, 8); /* equal: the earlier row stays */
    push(&r, "b", 4, 9);
    vg_dag_watermark(r.dag, 7);
    CHECK_STR(out(&r), "");
    vg_dag_watermark(r.dag, 9); /* in time order: a (8), then b (9) */
    CHECK_STR(out(&r), "{\"k\":\"a\",\"x\":2}\n{\"k\":\"b\",\"x\":4}\n");
    push(&r, "a", 5, 9); /* emitted key: dropped */
    push(&r, "c", 6, 8); /* behind the watermark: late */
    push(&r, "c", 7, 9); /* at the watermark: waits for the next one */
    vg_value nul[3] = {vg_str("d", 1), vg_int(8), vg_null()};
    vg_dag_push(r.dag, 0, nul); /* no event time: late */
    CHECK_STR(out(&r), "");
    vg_dag_watermark(r.dag, 10);
    CHECK_STR(out(&r), "{\"k\":\"c\",\"x\":7}\n");
    CHECK_STR(r.late, "8 -9223372036854775808");
    vg_dag_watermark(r.dag, VG_WM_MAX);
    CHECK_STR(out(&r), "");
    run_close(&r);
}

/* Rows due at one watermark: by event time, then arrival. */
static void test_first_row_order(void)
{
    run r;
    CHECK(opened(&r, FIRST_ROW));
    push(&r, "c", 1, 5);
    push(&r, "b", 2, 3);
    push(&r, "a", 3, 5);
    push(&r, "d", 4, 3);
    vg_dag_watermark(r.dag, VG_WM_MAX);
    CHECK_STR(out(&r), "{\"k\":\"b\",\"x\":2}\n{\"k\":\"d\",\"x\":4}\n{\"k\":\"c\",\"x\":1}\n"
                       "{\"k\":\"a\",\"x\":3}\n");
    run_close(&r);
}

static void test_last_row(void)
{
    run r;
    CHECK(opened(&r, LAST_ROW));
    push(&r, "a", 1, 10);
    push(&r, "a", 2, 9);  /* earlier: dropped */
    push(&r, "a", 3, 10); /* equal: replaces */
    vg_dag_watermark(r.dag, 50);
    push(&r, "a", 4, 11); /* behind the watermark: still replaces (no lateness) */
    CHECK_STR(out(&r),
              "{\"op\":\"+I\",\"k\":\"a\",\"x\":1}\n"
              "{\"op\":\"-U\",\"k\":\"a\",\"x\":1}\n{\"op\":\"+U\",\"k\":\"a\",\"x\":3}\n"
              "{\"op\":\"-U\",\"k\":\"a\",\"x\":3}\n{\"op\":\"+U\",\"k\":\"a\",\"x\":4}\n");
    CHECK_STR(r.late, "");
    run_close(&r);
}

/* ---- Top-N ---- */

static void test_top_rn(void)
{
    run r;
    CHECK(opened(&r, TOP3_RN));
    push(&r, "a", 5, 1);
    push(&r, "a", 9, 2); /* rank 1 of 2: one shift, then a new last rank */
    CHECK_STR(out(&r), "{\"op\":\"+I\",\"k\":\"a\",\"x\":5,\"rn\":1}\n"
                       "{\"op\":\"-U\",\"k\":\"a\",\"x\":5,\"rn\":1}\n"
                       "{\"op\":\"+U\",\"k\":\"a\",\"x\":9,\"rn\":1}\n"
                       "{\"op\":\"+I\",\"k\":\"a\",\"x\":5,\"rn\":2}\n");
    push(&r, "a", 7, 3); /* rank 2 of 3 */
    CHECK_STR(out(&r), "{\"op\":\"-U\",\"k\":\"a\",\"x\":5,\"rn\":2}\n"
                       "{\"op\":\"+U\",\"k\":\"a\",\"x\":7,\"rn\":2}\n"
                       "{\"op\":\"+I\",\"k\":\"a\",\"x\":5,\"rn\":3}\n");
    push(&r, "a", 8, 4); /* rank 2, full: 5 goes without a message of its own */
    CHECK_STR(out(&r), "{\"op\":\"-U\",\"k\":\"a\",\"x\":7,\"rn\":2}\n"
                       "{\"op\":\"+U\",\"k\":\"a\",\"x\":8,\"rn\":2}\n"
                       "{\"op\":\"-U\",\"k\":\"a\",\"x\":5,\"rn\":3}\n"
                       "{\"op\":\"+U\",\"k\":\"a\",\"x\":7,\"rn\":3}\n");
    push(&r, "a", 7, 5); /* ties the last: past the Top-3 */
    push(&r, "a", 1, 6);
    CHECK_STR(out(&r), "");
    run_close(&r);
}

static void test_top_without_rn(void)
{
    run r;
    CHECK(opened(&r, TOP2));
    push(&r, "a", 5, 1);
    push(&r, "a", 9, 2);
    push(&r, "a", 7, 3);
    push(&r, "a", 7, 4);
    push(&r, "a", 10, 5);
    CHECK_STR(out(&r),
              "{\"op\":\"+I\",\"k\":\"a\",\"x\":5}\n{\"op\":\"+I\",\"k\":\"a\",\"x\":9}\n"
              "{\"op\":\"-D\",\"k\":\"a\",\"x\":5}\n{\"op\":\"+I\",\"k\":\"a\",\"x\":7}\n"
              "{\"op\":\"-D\",\"k\":\"a\",\"x\":7}\n{\"op\":\"+I\",\"k\":\"a\",\"x\":10}\n");
    run_close(&r);
}

static void test_partitions(void)
{
    run r;
    CHECK(opened(&r, LAST_ROW));
    vg_dag_set_partition(r.dag, 1);
    push(&r, "a", 1, 1);
    vg_dag_set_partition(r.dag, 2);
    push(&r, "a", 2, 2);
    CHECK_STR(out(&r),
              "{\"op\":\"+I\",\"k\":\"a\",\"x\":1}\n{\"op\":\"+I\",\"k\":\"a\",\"x\":2}\n");
    run_close(&r);
}

/* ---- TTL ---- */

static void test_ttl(void)
{
    run r;
    /* last row: a's state goes at 1101; its next row is +I again */
    CHECK(opened_ttl(&r, LAST_ROW, 100));
    push(&r, "a", 1, 1000);
    vg_dag_watermark(r.dag, 1100);
    push(&r, "a", 2, 1001);
    vg_dag_watermark(r.dag, 1102); /* newest row 1001: gone */
    push(&r, "a", 3, 990);
    CHECK_STR(out(&r), "{\"op\":\"+I\",\"k\":\"a\",\"x\":1}\n"
                       "{\"op\":\"-U\",\"k\":\"a\",\"x\":1}\n{\"op\":\"+U\",\"k\":\"a\",\"x\":2}\n"
                       "{\"op\":\"+I\",\"k\":\"a\",\"x\":3}\n");
    run_close(&r);
    /* first row: an emitted key forgets, so a new row is emitted again */
    CHECK(opened_ttl(&r, FIRST_ROW, 100));
    push(&r, "a", 1, 1000);
    vg_dag_watermark(r.dag, 1000);
    push(&r, "a", 2, 1050); /* dropped, but newest */
    vg_dag_watermark(r.dag, 1150);
    push(&r, "a", 3, 1160); /* still dropped */
    vg_dag_watermark(r.dag, 1261);
    push(&r, "a", 4, 1300);
    vg_dag_watermark(r.dag, 1300);
    CHECK_STR(out(&r), "{\"k\":\"a\",\"x\":1}\n{\"k\":\"a\",\"x\":4}\n");
    run_close(&r);
    /* Top-N: a new Top-N after expiry */
    CHECK(opened_ttl(&r, TOP3_RN, 100));
    push(&r, "a", 5, 1000);
    vg_dag_watermark(r.dag, 1101);
    push(&r, "a", 1, 1200);
    CHECK_STR(out(&r), "{\"op\":\"+I\",\"k\":\"a\",\"x\":5,\"rn\":1}\n"
                       "{\"op\":\"+I\",\"k\":\"a\",\"x\":1,\"rn\":1}\n");
    CHECK_INT(((rk_state *)rank_op(&r)->state)->map.keys.n, 1);
    run_close(&r);
}

/* ---- state ---- */

static const ev events[] = {
    {"a", 1, 10},  {"b", 2, 20},  {"a", 3, 8},   {NULL, 4, 35},   {"c", 5, 40},   {"a", 6, 300},
    {"b", 7, 310}, {"b", 7, 305}, {"d", 8, 330}, {"a", 9, 335},   {"c", 10, 500}, {"e", 11, 505},
    {"b", 3, 600}, {"b", 9, 610}, {"b", 1, 620}, {NULL, 12, 630},
};
#define NEVENTS (sizeof events / sizeof events[0])

static const char *const state_sqls[] = {
    FIRST_ROW,
    LAST_ROW,
    TOP3_RN,
    TOP2,
    "SELECT x FROM (SELECT *, ROW_NUMBER() OVER (ORDER BY x, k DESC) AS rn FROM s) WHERE rn <= "
    "4;\n",
};

/* Events from..to, the watermark after each trailing by 15; the output. */
static const char *feed(run *r, size_t from, size_t to)
{
    for (size_t i = from; i < to; i++) {
        push(r, events[i].k, events[i].x, events[i].ts);
        vg_dag_watermark(r->dag, events[i].ts - 15);
    }
    if (to == NEVENTS)
        vg_dag_watermark(r->dag, VG_WM_MAX);
    return out(r);
}

/* Snapshot after `at` events, restore into a fresh DAG, finish: the same
 * output (and late rows) as the uninterrupted run, for every `at`. */
static void test_snapshot_restore(void)
{
    for (size_t q = 0; q < sizeof state_sqls / sizeof state_sqls[0]; q++)
        for (int64_t ttl = 0; ttl <= 200; ttl += 200)
            check_restarts(state_sqls[q], ttl, feed, NEVENTS);
}

/* Restore refuses the state of another rank and damaged bytes. */
static void test_restore_refuses(void)
{
    run a, b;
    vg_error err;
    CHECK(opened(&a, FIRST_ROW));
    push(&a, "a", 1, 1);
    push(&a, "b", 2, 2);
    vg_dag_watermark(a.dag, 1); /* a's row out, b's waiting */
    vg_buf snap = op_snapshot(&a, VG_PLAN_RANK);
    run_close(&a);
    CHECK(opened(&b, LAST_ROW));
    vg_op *rb = rank_op(&b);
    vg_error_clear(&err);
    CHECK(rb->kind->restore(rb, snap.p, snap.len, &err) < 0);
    CHECK_STR(err.msg, "the rank state is of another rank");
    run_close(&b);
    check_truncations(FIRST_ROW, VG_PLAN_RANK, &snap);
    vg_buf_free(&snap);
}

typedef struct visit {
    char text[512];
    size_t len;
} visit;

/* "key|k,x,rn " per row (rn when there are 4 columns). */
static int on_row(void *arg, const vg_value *row)
{
    visit *v = arg;
    v->len += (size_t)snprintf(v->text + v->len, sizeof v->text - v->len, "%.*s|%.*s,%lld,%lld ",
                               (int)row[0].len, row[0].u.s, (int)row[1].len, row[1].u.s,
                               (long long)row[2].u.i, (long long)row[4].u.i);
    return 0;
}

/* iterate: per key, the PARTITION BY columns then each output row. */
static void test_iterate(void)
{
    run r;
    CHECK(opened(&r, "SELECT * FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY k ORDER BY x DESC)\n"
                     "  AS rn FROM s) WHERE rn <= 2;\n"));
    push(&r, "a", 5, 1);
    push(&r, "a", 9, 2);
    push(&r, "a", 1, 3);
    vg_op *op = rank_op(&r);
    visit v = {"", 0};
    CHECK(op->kind->iterate(op, on_row, &v) == 0);
    CHECK_STR(v.text, "a|a,9,1 a|a,5,2 ");
    run_close(&r);
}

static void test_explain(void)
{
    const char *want = "sink o1  [k STRING, x BIGINT]\n"
                       "  project  [k := k, x := x]\n"
                       "    rank  partition by k  order by ts  keep first row\n"
                       "      source s  [k STRING, x BIGINT, ts TIMESTAMP(3)]  watermark ts\n"
                       "sink o2  [k STRING, x BIGINT]\n"
                       "  project  [k := k, x := x]\n"
                       "    rank  partition by k  order by ts DESC  keep last row\n"
                       "      -> source s (see above)\n"
                       "sink o3  [k STRING, x BIGINT, rn BIGINT]\n"
                       "  project  [k := k, x := x, rn := rn]\n"
                       "    rank  partition by k  order by x DESC  top 3, row number\n"
                       "      -> source s (see above)\n"
                       "sink o4  [x BIGINT]\n"
                       "  project  [x := x]\n"
                       "    rank  order by x, k DESC  top 4\n"
                       "      -> source s (see above)\n";
    CHECK_STR(explain_of("INSERT INTO o1 " FIRST_ROW "INSERT INTO o2 " LAST_ROW
                         "INSERT INTO o3 " TOP3_RN
                         "INSERT INTO o4 SELECT x FROM (SELECT *, ROW_NUMBER() OVER (ORDER BY x, "
                         "k DESC)\n  AS rn FROM s) WHERE rn < 5;\n"),
              want);
}

/* Every allocation made to fail in turn, for every mode: an error or the
 * right output, never a crash or a leak. */
static void test_alloc_failures(void)
{
    for (size_t q = 0; q < sizeof state_sqls / sizeof state_sqls[0]; q++)
        check_alloc_failures(state_sqls[q], feed, NEVENTS);
}

int main(void)
{
    arena = vg_arena_new(VG_MEM_OTHER, 1 << 16);
    RUN(test_modes);
    RUN(test_first_row);
    RUN(test_first_row_order);
    RUN(test_last_row);
    RUN(test_top_rn);
    RUN(test_top_without_rn);
    RUN(test_partitions);
    RUN(test_ttl);
    RUN(test_snapshot_restore);
    RUN(test_restore_refuses);
    RUN(test_iterate);
    RUN(test_explain);
    RUN(test_alloc_failures);
    vg_arena_free(arena);
    return CHECK_DONE();
}
