/*
 * test_rank_window.c — the rank operator as Flink's window Top-N and
 * window deduplication (engine/rank_window.c): which rank nodes are window
 * ranks (the VG_RANK_WINDOW_ modes), rows held until the watermark passes the
 * window's end then emitted insert-only in rank order (with and without
 * the row number, ties in arrival order, keys beside the window columns,
 * HOP rows in several windows), first and last row per window with equal
 * times, over a window aggregate, late rows, the state dropped once
 * emitted, snapshot and restore in the middle of a stream, refusing other
 * state, iterate, EXPLAIN, and allocation failures. Operators run in a
 * real DAG planned from SQL.
 */
#include "engine/rank_int.h"
#include "tests/unit/op_test.h"

static vg_op *rank_op(run *r) { return op_of(r, VG_PLAN_RANK); }

#define TUMBLE100 "TABLE(TUMBLE(TABLE s, DESCRIPTOR(ts), INTERVAL '100' MILLISECOND))"
#define HOP                                                                                        \
    "TABLE(HOP(TABLE s, DESCRIPTOR(ts), INTERVAL '50' MILLISECOND, INTERVAL '100' MILLISECOND))"

#define WRANKED(KEYS, ORDER, SELECT, FROM, BOUND)                                                  \
    "SELECT " SELECT " FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY " KEYS " ORDER BY " ORDER   \
    ") AS rn FROM " FROM ") WHERE " BOUND ";\n"

#define W_TOP2_RN                                                                                  \
    WRANKED("window_start, window_end, k", "x DESC", "k, x, window_start, rn", TUMBLE100, "rn <= 2")
#define W_TOP3  WRANKED("window_end, window_start", "x", "k, x, window_end", TUMBLE100, "rn < 4")
#define W_FIRST WRANKED("window_start, window_end, k", "ts", "k, x", TUMBLE100, "rn = 1")
#define W_LAST  WRANKED("window_start, window_end, k", "ts DESC", "k, x", TUMBLE100, "rn = 1")
#define W_AGG                                                                                      \
    WRANKED("window_start, window_end", "n DESC", "k, n, rn",                                      \
            "(SELECT window_start, window_end, k, COUNT(*) AS n FROM " HOP                         \
            " GROUP BY window_start, window_end, k)",                                              \
            "rn <= 1")

/* ---- which ranks are window ranks ---- */

static void test_modes(void)
{
    static const struct {
        const char *sql;
        vg_rank_mode mode;
        bool updating;
    } cases[] = {
        {W_TOP2_RN, VG_RANK_WINDOW_TOP_N, false},
        {W_TOP3, VG_RANK_WINDOW_TOP_N, false},
        {W_FIRST, VG_RANK_WINDOW_FIRST_ROW, false},
        {W_LAST, VG_RANK_WINDOW_LAST_ROW, false},
        {WRANKED("window_start, window_end", "window_time DESC", "k", TUMBLE100, "rn = 1"),
         VG_RANK_WINDOW_LAST_ROW, false},
        {WRANKED("window_start, window_end", "ts DESC", "k, rn", TUMBLE100, "rn = 1"),
         VG_RANK_WINDOW_TOP_N, false}, /* rn selected: a Top-1 */
        {WRANKED("window_start, window_end", "x", "k", TUMBLE100, "rn = 1"), VG_RANK_WINDOW_TOP_N,
         false},
        {W_AGG, VG_RANK_WINDOW_TOP_N, false},
        /* without window_end: the updating Top-N */
        {WRANKED("window_start", "x", "k", TUMBLE100, "rn <= 2"), VG_RANK_TOP_N, true},
        {WRANKED("window_start, window_end", "x", "k",
                 "(SELECT k, x, ts, ts AS window_start, ts AS window_end FROM s)", "rn <= 2"),
         VG_RANK_TOP_N, true}, /* columns named so, not a window's */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        run r;
        CHECK(opened(&r, cases[i].sql));
        vg_op *op = rank_op(&r);
        int32_t wend = op->node->u.rank.wend;
        CHECK_INT(op->node->u.rank.mode, cases[i].mode);
        CHECK_INT(op->node->updating, cases[i].updating);
        if (cases[i].mode != VG_RANK_TOP_N)
            CHECK_STR(op->node->inputs[0]->schema.cols[wend].name, "window_end");
        else
            CHECK_INT(wend, -1);
        run_close(&r);
    }
}

/* ---- Top-N ---- */

static void test_top_rn(void)
{
    run r;
    CHECK(opened(&r, W_TOP2_RN));
    push(&r, "a", 5, 10);
    push(&r, "a", 9, 20);
    push(&r, "b", 1, 30);
    push(&r, "a", 7, 40);
    push(&r, "a", 9, 50); /* equal to the first: after it, pushes 7 out */
    vg_dag_watermark(r.dag, 98);
    CHECK_STR(out(&r), ""); /* nothing before the window's end */
    push(&r, "a", 100, 120);
    vg_dag_watermark(r.dag, 99); /* [0, 100) fires at 99 */
    CHECK_STR(out(&r),
              "{\"k\":\"a\",\"x\":9,\"window_start\":\"1970-01-01T00:00:00.000Z\",\"rn\":1}\n"
              "{\"k\":\"a\",\"x\":9,\"window_start\":\"1970-01-01T00:00:00.000Z\",\"rn\":2}\n"
              "{\"k\":\"b\",\"x\":1,\"window_start\":\"1970-01-01T00:00:00.000Z\",\"rn\":1}\n");
    CHECK_INT(((rk_state *)rank_op(&r)->state)->map.keys.n, 1); /* [0, 100) dropped */
    vg_dag_watermark(r.dag, VG_WM_MAX);
    CHECK_STR(out(&r),
              "{\"k\":\"a\",\"x\":100,\"window_start\":\"1970-01-01T00:00:00.100Z\",\"rn\":1}\n");
    CHECK_INT(((rk_state *)rank_op(&r)->state)->map.keys.n, 0);
    run_close(&r);
}

/* N larger than the window's rows; NULLs first ASC; ties in arrival order. */
static void test_top_few_rows(void)
{
    run r;
    CHECK(opened(&r, W_TOP3));
    push(&r, "a", 5, 10);
    push(&r, "b", 5, 20);
    vg_dag_watermark(r.dag, VG_WM_MAX);
    CHECK_STR(out(&r), "{\"k\":\"a\",\"x\":5,\"window_end\":\"1970-01-01T00:00:00.100Z\"}\n"
                       "{\"k\":\"b\",\"x\":5,\"window_end\":\"1970-01-01T00:00:00.100Z\"}\n");
    run_close(&r);
}

/* HOP: a row in two windows, each ranked on its own; windows come out in
 * order of their end. */
static void test_hop(void)
{
    run r;
    CHECK(opened(
        &r, WRANKED("window_start, window_end", "x DESC", "x, window_end, rn", HOP, "rn <= 1")));
    push(&r, "a", 1, 10);  /* [-50, 50), [0, 100) */
    push(&r, "a", 3, 60);  /* [0, 100), [50, 150) */
    push(&r, "a", 2, 120); /* [50, 150), [100, 200) */
    vg_dag_watermark(r.dag, VG_WM_MAX);
    CHECK_STR(out(&r), "{\"x\":1,\"window_end\":\"1970-01-01T00:00:00.050Z\",\"rn\":1}\n"
                       "{\"x\":3,\"window_end\":\"1970-01-01T00:00:00.100Z\",\"rn\":1}\n"
                       "{\"x\":3,\"window_end\":\"1970-01-01T00:00:00.150Z\",\"rn\":1}\n"
                       "{\"x\":2,\"window_end\":\"1970-01-01T00:00:00.200Z\",\"rn\":1}\n");
    run_close(&r);
}

/* ---- deduplication ---- */

static void test_first_last(void)
{
    static const char *const want[2] = {
        "{\"k\":\"a\",\"x\":2}\n{\"k\":\"b\",\"x\":5}\n",
        "{\"k\":\"a\",\"x\":4}\n{\"k\":\"b\",\"x\":6}\n",
    };
    for (int last = 0; last <= 1; last++) {
        run r;
        CHECK(opened(&r, last ? W_LAST : W_FIRST));
        push(&r, "a", 1, 30);
        push(&r, "a", 2, 20); /* earlier: first row */
        push(&r, "a", 3, 40);
        push(&r, "b", 5, 50);
        push(&r, "a", 4, 40); /* equal to the last: the later row wins */
        push(&r, "b", 6, 50);
        push(&r, "a", 7, 20); /* equal to the first: the earlier row stays */
        vg_dag_watermark(r.dag, VG_WM_MAX);
        CHECK_STR(out(&r), want[last]);
        run_close(&r);
    }
}

/* Over a window aggregate (HOP): the rows come at the window's end, the
 * rank's at the same watermark. */
static void test_over_aggregate(void)
{
    run r;
    CHECK(opened(&r, W_AGG));
    push(&r, "a", 0, 60);
    push(&r, "b", 0, 70);
    push(&r, "b", 0, 80);
    push(&r, "a", 0, 120);
    vg_dag_watermark(r.dag, 99); /* [0, 100): a 1, b 2 */
    CHECK_STR(out(&r), "{\"k\":\"b\",\"n\":2,\"rn\":1}\n");
    vg_dag_watermark(r.dag, VG_WM_MAX); /* [50, 150): a 2, b 2 (a's row first); [100, 200): a 1 */
    CHECK_STR(out(&r), "{\"k\":\"a\",\"n\":2,\"rn\":1}\n{\"k\":\"a\",\"n\":1,\"rn\":1}\n");
    run_close(&r);
}

/* ---- late rows ---- */

static void test_late(void)
{
    run r;
    CHECK(opened(&r, W_TOP2_RN));
    push(&r, "a", 1, 10);
    vg_dag_watermark(r.dag, 99);
    push(&r, "a", 2, 50); /* [0, 100) is out */
    push(&r, "a", 3, 100);
    vg_dag_watermark(r.dag, VG_WM_MAX);
    CHECK_STR(out(&r),
              "{\"k\":\"a\",\"x\":1,\"window_start\":\"1970-01-01T00:00:00.000Z\",\"rn\":1}\n"
              "{\"k\":\"a\",\"x\":3,\"window_start\":\"1970-01-01T00:00:00.100Z\",\"rn\":1}\n");
    CHECK_STR(r.late, "50");
    run_close(&r);
}

/* ---- state ---- */

static const ev events[] = {
    {"a", 1, 10},  {"b", 2, 20},   {"a", 3, 8},     {NULL, 4, 35},  {"c", 5, 40},
    {"a", 5, 45},  {"a", 6, 300},  {"b", 7, 310},   {"b", 7, 305},  {"d", 8, 330},
    {"a", 9, 335}, {"c", 10, 500}, {"a", 2, 350},   {"e", 11, 505}, {"b", 3, 600},
    {"b", 9, 610}, {"b", 1, 620},  {NULL, 12, 630}, {"b", 4, 610},  {"a", 1, 690},
};
#define NEVENTS (sizeof events / sizeof events[0])

static const char *const state_sqls[] = {W_TOP2_RN, W_TOP3, W_FIRST, W_LAST, W_AGG};

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
 * output (and late rows) as the uninterrupted run, for every `at`; a TTL
 * changes nothing. */
static void test_snapshot_restore(void)
{
    for (size_t q = 0; q < sizeof state_sqls / sizeof state_sqls[0]; q++)
        for (int64_t ttl = 0; ttl <= 200; ttl += 200)
            check_restarts(state_sqls[q], ttl, feed, NEVENTS);
}

/* The uninterrupted run of W_TOP2_RN over the log: what the restarts equal. */
static void test_log_output(void)
{
    run r;
    CHECK(opened(&r, "SELECT k, x, rn FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY "
                     "window_start, window_end, k ORDER BY x DESC) AS rn FROM " TUMBLE100
                     ") WHERE rn <= 2;\n"));
    CHECK_STR(feed(&r, 0, NEVENTS), "{\"k\":\"a\",\"x\":5,\"rn\":1}\n"
                                    "{\"k\":\"a\",\"x\":3,\"rn\":2}\n"
                                    "{\"k\":\"b\",\"x\":2,\"rn\":1}\n"
                                    "{\"k\":null,\"x\":4,\"rn\":1}\n"
                                    "{\"k\":\"c\",\"x\":5,\"rn\":1}\n"
                                    "{\"k\":\"a\",\"x\":9,\"rn\":1}\n"
                                    "{\"k\":\"a\",\"x\":6,\"rn\":2}\n"
                                    "{\"k\":\"b\",\"x\":7,\"rn\":1}\n"
                                    "{\"k\":\"b\",\"x\":7,\"rn\":2}\n"
                                    "{\"k\":\"d\",\"x\":8,\"rn\":1}\n"
                                    "{\"k\":\"c\",\"x\":10,\"rn\":1}\n"
                                    "{\"k\":\"e\",\"x\":11,\"rn\":1}\n"
                                    "{\"k\":\"b\",\"x\":9,\"rn\":1}\n"
                                    "{\"k\":\"b\",\"x\":4,\"rn\":2}\n"
                                    "{\"k\":null,\"x\":12,\"rn\":1}\n"
                                    "{\"k\":\"a\",\"x\":1,\"rn\":1}\n");
    CHECK_STR(r.late, "350");
    run_close(&r);
}

/* Restore refuses the state of another rank (a window rank's and a plain
 * one's differ) and damaged bytes. */
static void test_restore_refuses(void)
{
    run a, b;
    vg_error err;
    CHECK(opened(&a, W_FIRST));
    push(&a, "a", 1, 1);
    push(&a, "b", 2, 150);
    vg_dag_watermark(a.dag, 99); /* a's window out, b's waiting */
    vg_buf snap = op_snapshot(&a, VG_PLAN_RANK);
    run_close(&a);
    CHECK(opened(&b, "SELECT k, x FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY k ORDER BY ts) "
                     "AS rn FROM s) WHERE rn = 1;\n"));
    vg_op *rb = rank_op(&b);
    vg_error_clear(&err);
    CHECK(rb->kind->restore(rb, snap.p, snap.len, &err) < 0);
    CHECK_STR(err.msg, "the rank state is of another rank");
    run_close(&b);
    check_truncations(W_FIRST, VG_PLAN_RANK, &snap);
    vg_buf_free(&snap);
}

typedef struct visit {
    char text[512];
    size_t len;
} visit;

/* "k,x,rn " per row: the 3 keys, then the input's 6 columns, then rn. */
static int on_row(void *arg, const vg_value *row)
{
    visit *v = arg;
    v->len +=
        (size_t)snprintf(v->text + v->len, sizeof v->text - v->len, "%.*s,%lld,%lld ",
                         (int)row[2].len, row[2].u.s, (long long)row[4].u.i, (long long)row[9].u.i);
    return 0;
}

/* iterate: per key, its windows' rows so far in rank order. */
static void test_iterate(void)
{
    run r;
    CHECK(opened(&r, W_TOP2_RN));
    push(&r, "a", 5, 1);
    push(&r, "a", 9, 2);
    push(&r, "a", 1, 3);
    vg_op *op = rank_op(&r);
    visit v = {"", 0};
    CHECK(op->kind->iterate(op, on_row, &v) == 0);
    CHECK_STR(v.text, "a,9,1 a,5,2 ");
    run_close(&r);
}

static void test_explain(void)
{
    const char *want =
        "sink o1  [k STRING, x BIGINT]\n"
        "  project  [k := k, x := x]\n"
        "    rank  partition by window_start, window_end, k  order by ts  window keep first row\n"
        "      window  tumble(ts, size INTERVAL '0.100' SECOND)  per row  [+ window_start, "
        "window_end, window_time]\n"
        "        source s  [k STRING, x BIGINT, ts TIMESTAMP(3)]  watermark ts\n"
        "sink o2  [k STRING, x BIGINT]\n"
        "  project  [k := k, x := x]\n"
        "    rank  partition by window_start, window_end, k  order by ts DESC  window keep last "
        "row\n"
        "      window  tumble(ts, size INTERVAL '0.100' SECOND)  per row  [+ window_start, "
        "window_end, window_time]\n"
        "        -> source s (see above)\n"
        "sink o3  [k STRING, x BIGINT, window_start TIMESTAMP(3), rn BIGINT]\n"
        "  project  [k := k, x := x, window_start := window_start, rn := rn]\n"
        "    rank  partition by window_start, window_end, k  order by x DESC  window top 2, row "
        "number\n"
        "      window  tumble(ts, size INTERVAL '0.100' SECOND)  per row  [+ window_start, "
        "window_end, window_time]\n"
        "        -> source s (see above)\n";
    CHECK_STR(
        explain_of("INSERT INTO o1 " W_FIRST "INSERT INTO o2 " W_LAST "INSERT INTO o3 " W_TOP2_RN),
        want);
}

/* Every allocation made to fail in turn, for every kind: an error or the
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
    RUN(test_top_rn);
    RUN(test_top_few_rows);
    RUN(test_hop);
    RUN(test_first_last);
    RUN(test_over_aggregate);
    RUN(test_late);
    RUN(test_snapshot_restore);
    RUN(test_log_output);
    RUN(test_restore_refuses);
    RUN(test_iterate);
    RUN(test_explain);
    RUN(test_alloc_failures);
    vg_arena_free(arena);
    return CHECK_DONE();
}
