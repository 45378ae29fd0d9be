/*
 * test_window.c — window TVFs: which windows a row falls in (every TVF, at
 * exact boundaries, negative times, offsets), when a window fires (the
 * watermark at end - 1, not end - 2), late rows versus rows merely behind
 * the watermark, session merging with out-of-order rows, emission order,
 * many keys, bare TVFs (a bare SESSION holds its rows until its session
 * closes), snapshot and restore in the middle of a stream, iterate, and
 * allocation failures. Operators run in a real DAG planned from SQL.
 */
#include "engine/window_int.h"
#include "tests/unit/op_test.h"

/* ---- assignment ---- */

/* The windows of ts as "[s,e) [s,e) ..." in Flink's order. */
static const char *windows_of(vg_window_kind kind, int64_t size, int64_t step, int64_t offset,
                              int64_t ts)
{
    vg_window_spec s = {kind, size, step, offset};
    char buf[512] = "";
    size_t len = 0;
    win_range w;
    for (bool ok = win_first(&s, ts, &w); ok; ok = win_next(&s, ts, &w))
        len += (size_t)snprintf(buf + len, sizeof buf - len, "%s[%lld,%lld)", len ? " " : "",
                                (long long)w.start, (long long)w.end);
    return vg_arena_strndup(arena, buf, len);
}

static void test_start_of(void)
{
    CHECK_INT(win_start_of(0, 0, 10), 0);
    CHECK_INT(win_start_of(9, 0, 10), 0);
    CHECK_INT(win_start_of(10, 0, 10), 10); /* the end belongs to the next window */
    CHECK_INT(win_start_of(-1, 0, 10), -10);
    CHECK_INT(win_start_of(-10, 0, 10), -10);
    CHECK_INT(win_start_of(-11, 0, 10), -20);
    CHECK_INT(win_start_of(3, 4, 10), -6);
    CHECK_INT(win_start_of(4, 4, 10), 4);
    /* Flink's documented example: 2021-06-30 00:00:04 in a 10 minute TUMBLE */
    const int64_t day = 1625011200000, min = 60000, ts = day + 4000;
    CHECK_INT(win_start_of(ts, -16 * min, 10 * min), day - 6 * min);
    CHECK_INT(win_start_of(ts, -6 * min, 10 * min), day - 6 * min);
    CHECK_INT(win_start_of(ts, -4 * min, 10 * min), day - 4 * min);
    CHECK_INT(win_start_of(ts, 0, 10 * min), day);
    CHECK_INT(win_start_of(ts, 4 * min, 10 * min), day - 6 * min);
    CHECK_INT(win_start_of(ts, 6 * min, 10 * min), day - 4 * min);
    CHECK_INT(win_start_of(ts, 16 * min, 10 * min), day - 4 * min);
}

static void test_assign(void)
{
    CHECK_STR(windows_of(VG_WINDOW_TUMBLE, 10, 10, 0, 9), "[0,10)");
    CHECK_STR(windows_of(VG_WINDOW_TUMBLE, 10, 10, 0, 10), "[10,20)");
    CHECK_STR(windows_of(VG_WINDOW_TUMBLE, 10, 10, 0, -1), "[-10,0)");
    CHECK_STR(windows_of(VG_WINDOW_TUMBLE, 10, 10, 3, 2), "[-7,3)");
    CHECK_STR(windows_of(VG_WINDOW_TUMBLE, 10, 10, -3, 7), "[7,17)");
    /* HOP(slide 5, size 10): the latest start first */
    CHECK_STR(windows_of(VG_WINDOW_HOP, 10, 5, 0, 7), "[5,15) [0,10)");
    CHECK_STR(windows_of(VG_WINDOW_HOP, 10, 5, 0, 5), "[5,15) [0,10)");
    CHECK_STR(windows_of(VG_WINDOW_HOP, 10, 5, 0, 4), "[0,10) [-5,5)");
    CHECK_STR(windows_of(VG_WINDOW_HOP, 10, 5, 0, 10), "[10,20) [5,15)");
    CHECK_STR(windows_of(VG_WINDOW_HOP, 10, 5, 0, -1), "[-5,5) [-10,0)");
    CHECK_STR(windows_of(VG_WINDOW_HOP, 10, 5, 2, 7), "[7,17) [2,12)");
    CHECK_STR(windows_of(VG_WINDOW_HOP, 9, 3, 0, 3), "[3,12) [0,9) [-3,6)");
    /* a slide larger than the size leaves gaps */
    CHECK_STR(windows_of(VG_WINDOW_HOP, 4, 10, 0, 3), "[0,4)");
    CHECK_STR(windows_of(VG_WINDOW_HOP, 4, 10, 0, 4), "");
    CHECK_STR(windows_of(VG_WINDOW_HOP, 4, 10, 0, 9), "");
    /* CUMULATE(step 2, size 10): the smallest window first */
    CHECK_STR(windows_of(VG_WINDOW_CUMULATE, 10, 2, 0, 0), "[0,2) [0,4) [0,6) [0,8) [0,10)");
    CHECK_STR(windows_of(VG_WINDOW_CUMULATE, 10, 2, 0, 5), "[0,6) [0,8) [0,10)");
    CHECK_STR(windows_of(VG_WINDOW_CUMULATE, 10, 2, 0, 6), "[0,8) [0,10)");
    CHECK_STR(windows_of(VG_WINDOW_CUMULATE, 10, 2, 0, 9), "[0,10)");
    CHECK_STR(windows_of(VG_WINDOW_CUMULATE, 10, 2, 0, 10),
              "[10,12) [10,14) [10,16) [10,18) [10,20)");
    CHECK_STR(windows_of(VG_WINDOW_CUMULATE, 10, 2, 0, -1), "[-10,0)");
    CHECK_STR(windows_of(VG_WINDOW_CUMULATE, 10, 2, 0, -3), "[-10,-2) [-10,0)");
    CHECK_STR(windows_of(VG_WINDOW_CUMULATE, 10, 5, 1, 0), "[-9,1)");
    CHECK_STR(windows_of(VG_WINDOW_CUMULATE, 10, 5, 1, 1), "[1,6) [1,11)");
    CHECK_STR(windows_of(VG_WINDOW_SESSION, 5, 0, 0, 7), "[7,12)");
    CHECK_STR(windows_of(VG_WINDOW_SESSION, 5, 0, 0, -7), "[-7,-2)");
}

/* ---- running SQL ---- */

/* A sink row {"ws":...,"we":...,REST} with the window's bounds written as
 * the sink writes timestamps. */
static const char *R(int64_t ws, int64_t we, const char *rest)
{
    char a[40], b[40];
    vg_ts_format(ws, a);
    vg_ts_format(we, b);
    return vg_arena_printf(arena, "{\"ws\":\"%s\",\"we\":\"%s\",%s}\n", a, b, rest);
}

#define GROUPED(TVF)                                                                               \
    "SELECT window_start AS ws, window_end AS we, k, COUNT(*) AS n, SUM(x) AS s\n"                 \
    "FROM TABLE(" TVF ") GROUP BY window_start, window_end, k;\n"

/* ---- firing and lateness ---- */

static void test_fire_boundary(void)
{
    run r;
    CHECK(opened(&r, GROUPED("TUMBLE(TABLE s, DESCRIPTOR(ts), INTERVAL '0.010' SECOND)")));
    push(&r, "a", 1, 5);
    push(&r, "a", 2, 9);        /* the window's last millisecond */
    push(&r, "a", 4, 10);       /* the end: the next window */
    vg_dag_watermark(r.dag, 8); /* end - 2: not yet */
    CHECK_STR(out(&r), "");
    vg_dag_watermark(r.dag, 9); /* end - 1: fires */
    CHECK_STR(out(&r), R(0, 10, "\"k\":\"a\",\"n\":2,\"s\":3"));
    vg_dag_watermark(r.dag, 18);
    CHECK_STR(out(&r), "");
    vg_dag_watermark(r.dag, VG_WM_MAX);
    CHECK_STR(out(&r), R(10, 20, "\"k\":\"a\",\"n\":1,\"s\":4"));
    CHECK_STR(r.late, "");
    CHECK(vg_dag_error(r.dag) == NULL);
    run_close(&r);
}

static void test_late(void)
{
    run r;
    CHECK(opened(&r, GROUPED("TUMBLE(TABLE s, DESCRIPTOR(ts), INTERVAL '0.010' SECOND)")));
    push(&r, "a", 1, 5);
    vg_dag_watermark(r.dag, 12);
    CHECK_STR(out(&r), R(0, 10, "\"k\":\"a\",\"n\":1,\"s\":1"));
    push(&r, "a", 10, 9);  /* its window fired: late */
    push(&r, "a", 20, 11); /* behind the watermark, its window open: added */
    push(&r, "b", 30, 10);
    vg_dag_watermark(r.dag, 19);
    CHECK_STR(out(&r), cat(R(10, 20, "\"k\":\"a\",\"n\":1,\"s\":20"),
                           R(10, 20, "\"k\":\"b\",\"n\":1,\"s\":30")));
    push(&r, "b", 40, 19);
    CHECK_STR(r.late, "9 19");
    CHECK_INT(vg_dag_late_rows(r.dag), 2);
    vg_dag_watermark(r.dag, VG_WM_MAX);
    CHECK_STR(out(&r), "");
    run_close(&r);
}

/* A HOP row whose first window fired still counts in its later ones. */
static void test_hop_partly_late(void)
{
    run r;
    CHECK(opened(&r, GROUPED("HOP(TABLE s, DESCRIPTOR(ts), INTERVAL '0.005' SECOND, "
                             "INTERVAL '0.010' SECOND)")));
    push(&r, "a", 1, 3);
    vg_dag_watermark(r.dag, 9);
    CHECK_STR(out(&r), cat(R(-5, 5, "\"k\":\"a\",\"n\":1,\"s\":1"),
                           R(0, 10, "\"k\":\"a\",\"n\":1,\"s\":1")));
    push(&r, "a", 2, 7); /* [0,10) fired, [5,15) open */
    push(&r, "a", 4, 4); /* [-5,5) and [0,10) fired: late */
    vg_dag_watermark(r.dag, VG_WM_MAX);
    CHECK_STR(out(&r), R(5, 15, "\"k\":\"a\",\"n\":1,\"s\":2"));
    CHECK_STR(r.late, "4");
    run_close(&r);
}

/* Windows in order of end, then start; keys in order of their first row. */
static void test_order(void)
{
    run r;
    CHECK(opened(&r, GROUPED("CUMULATE(TABLE s, DESCRIPTOR(ts), INTERVAL '0.002' SECOND, "
                             "INTERVAL '0.004' SECOND)")));
    push(&r, "b", 1, 3);
    push(&r, "a", 2, 1);
    push(&r, "c", 4, 2);
    push(&r, "b", 8, 0);
    vg_dag_watermark(r.dag, VG_WM_MAX);
    const char *want = R(0, 2, "\"k\":\"a\",\"n\":1,\"s\":2");
    want = cat(want, R(0, 2, "\"k\":\"b\",\"n\":1,\"s\":8"));
    want = cat(want, R(0, 4, "\"k\":\"b\",\"n\":2,\"s\":9"));
    want = cat(want, R(0, 4, "\"k\":\"a\",\"n\":1,\"s\":2"));
    want = cat(want, R(0, 4, "\"k\":\"c\",\"n\":1,\"s\":4"));
    CHECK_STR(out(&r), want);
    run_close(&r);
}

/* NULL is a key like any other, and -0.0 groups with 0.0. */
static void test_null_key(void)
{
    run r;
    CHECK(opened(&r, GROUPED("TUMBLE(TABLE s, DESCRIPTOR(ts), INTERVAL '0.010' SECOND)")));
    push(&r, NULL, 1, 1);
    push(&r, "", 2, 2);
    push(&r, NULL, 4, 3);
    vg_dag_watermark(r.dag, VG_WM_MAX);
    CHECK_STR(out(&r),
              cat(R(0, 10, "\"k\":null,\"n\":2,\"s\":5"), R(0, 10, "\"k\":\"\",\"n\":1,\"s\":2")));
    run_close(&r);
}

/* ---- sessions ---- */

#define SESSION_SQL(GAP)                                                                           \
    GROUPED("SESSION(TABLE s PARTITION BY k, DESCRIPTOR(ts), INTERVAL '" GAP "' SECOND)")

static void test_session_merge(void)
{
    run r;
    CHECK(opened(&r, SESSION_SQL("0.005")));
    push(&r, "a", 1, 1);   /* [1,6) */
    push(&r, "a", 2, 10);  /* [10,15) */
    push(&r, "a", 4, 5);   /* [5,10) touches both: [1,15) */
    push(&r, "b", 8, 20);  /* [20,25) */
    push(&r, "b", 16, 25); /* exactly gap apart: one session [20,30) */
    push(&r, "b", 32, 31); /* [31,36): apart */
    vg_dag_watermark(r.dag, VG_WM_MAX);
    const char *want = R(1, 15, "\"k\":\"a\",\"n\":3,\"s\":7");
    want = cat(want, R(20, 30, "\"k\":\"b\",\"n\":2,\"s\":24"));
    want = cat(want, R(31, 36, "\"k\":\"b\",\"n\":1,\"s\":32"));
    CHECK_STR(out(&r), want);
    run_close(&r);
}

static void test_session_late(void)
{
    run r;
    CHECK(opened(&r, SESSION_SQL("0.005")));
    push(&r, "a", 1, 18); /* [18,23) */
    vg_dag_watermark(r.dag, 20);
    push(&r, "a", 2, 14); /* [14,19) alone would have fired, but it joins [18,23) */
    push(&r, "b", 4, 16); /* [16,21): its last millisecond 20 has passed: late */
    push(&r, "b", 8, 17); /* [17,22): open */
    CHECK_STR(r.late, "16");
    vg_dag_watermark(r.dag, 21);
    CHECK_STR(out(&r), R(17, 22, "\"k\":\"b\",\"n\":1,\"s\":8"));
    vg_dag_watermark(r.dag, 22);
    CHECK_STR(out(&r), R(14, 23, "\"k\":\"a\",\"n\":2,\"s\":3"));
    run_close(&r);
}

/* Sessions of one end: by start, then by first row. */
static void test_session_order(void)
{
    run r;
    CHECK(opened(&r, SESSION_SQL("0.003")));
    push(&r, "b", 1, 3); /* [3,6) */
    push(&r, "a", 2, 1); /* [1,4) */
    push(&r, "a", 4, 3); /* [1,6) */
    push(&r, "c", 8, 3); /* [3,6) */
    vg_dag_watermark(r.dag, VG_WM_MAX);
    const char *want = R(1, 6, "\"k\":\"a\",\"n\":2,\"s\":6");
    want = cat(want, R(3, 6, "\"k\":\"b\",\"n\":1,\"s\":1"));
    want = cat(want, R(3, 6, "\"k\":\"c\",\"n\":1,\"s\":8"));
    CHECK_STR(out(&r), want);
    run_close(&r);
}

/* FIRST_VALUE and LAST_VALUE after a merge: the earlier session's rows first. */
static void test_session_first_last(void)
{
    run r;
    CHECK(opened(
        &r, "SELECT k, FIRST_VALUE(x) AS f, LAST_VALUE(x) AS l, MIN(x) AS lo, MAX(x) AS hi,\n"
            "  COUNT(DISTINCT x) AS d FROM TABLE(SESSION(TABLE s PARTITION BY k,\n"
            "  DESCRIPTOR(ts), INTERVAL '0.010' SECOND)) GROUP BY window_start, window_end, k;\n"));
    push(&r, "a", 7, 30); /* [30,40) */
    push(&r, "a", 3, 0);  /* [0,10) */
    push(&r, "a", 4, 8);  /* [0,18) */
    push(&r, "a", 5, 20); /* [20,40) */
    push(&r, "a", 6, 17); /* bridges: [0,40), rows 3 4, then 7 5, then 6 */
    vg_dag_watermark(r.dag, VG_WM_MAX);
    CHECK_STR(out(&r), "{\"k\":\"a\",\"f\":3,\"l\":6,\"lo\":3,\"hi\":7,\"d\":5}\n");
    run_close(&r);
}

/* ---- many keys, bare TVFs ---- */

static void test_many_keys(void)
{
    run r;
    CHECK(opened(&r,
                 "SELECT COUNT(*) AS n, SUM(x) AS s FROM TABLE(TUMBLE(TABLE s, DESCRIPTOR(ts),\n"
                 "  INTERVAL '1' SECOND)) GROUP BY window_start, window_end, k;\n"));
    char k[16];
    for (int i = 0; i < 3000; i++) {
        snprintf(k, sizeof k, "k%d", i % 1000);
        push(&r, k, i, i % 2000); /* key j: rows j and 2000 + j at ts j, row 1000 + j */
    }
    const char *want = "";
    for (int j = 0; j < 1000; j++)
        want = vg_arena_printf(arena, "%s{\"n\":2,\"s\":%d}\n", want, 2000 + 2 * j);
    vg_dag_watermark(r.dag, 999);
    CHECK_STR(out(&r), want);
    want = "";
    for (int j = 0; j < 1000; j++)
        want = vg_arena_printf(arena, "%s{\"n\":1,\"s\":%d}\n", want, 1000 + j);
    vg_dag_watermark(r.dag, VG_WM_MAX);
    CHECK_STR(out(&r), want);
    run_close(&r);
}

static void test_bare(void)
{
    run r;
    CHECK(opened(&r, "SELECT window_start AS ws, window_end AS we, x FROM TABLE(HOP(TABLE s,\n"
                     "  DESCRIPTOR(ts), INTERVAL '0.005' SECOND, INTERVAL '0.010' SECOND));\n"));
    push(&r, "a", 1, 7); /* the latest window first, as Flink's HOP */
    CHECK_STR(out(&r), cat(R(5, 15, "\"x\":1"), R(0, 10, "\"x\":1")));
    vg_dag_watermark(r.dag, 100);
    push(&r, "a", 2, 3); /* emitted on arrival: nothing is late */
    CHECK_STR(out(&r), cat(R(0, 10, "\"x\":2"), R(-5, 5, "\"x\":2")));
    CHECK_STR(r.late, "");
    run_close(&r);
}

/* A bare SESSION: rows wait for their session to close, then come out in
 * arrival order with its bounds (Flink's session window TVF). */
#define BARE_SESSION_SQL(GAP)                                                                      \
    "SELECT window_start AS ws, window_end AS we, k, x FROM TABLE(SESSION(TABLE s\n"               \
    "  PARTITION BY k, DESCRIPTOR(ts), INTERVAL '" GAP "' SECOND));\n"

static void test_bare_session(void)
{
    run r;
    CHECK(opened(&r, BARE_SESSION_SQL("0.005")));
    push(&r, "a", 1, 1);  /* [1,6) */
    push(&r, "a", 2, 10); /* [10,15) */
    push(&r, "b", 3, 2);  /* b: [2,7) */
    push(&r, "a", 4, 5);  /* bridges a's two: [1,15) */
    CHECK_STR(out(&r), ""); /* nothing before a session closes */
    vg_dag_watermark(r.dag, 6);
    CHECK_STR(out(&r), R(2, 7, "\"k\":\"b\",\"x\":3"));
    push(&r, "b", 5, 1); /* [1,6) has ended and touches no open session: late */
    CHECK_STR(r.late, "1");
    vg_dag_watermark(r.dag, 14);
    const char *want = cat(R(1, 15, "\"k\":\"a\",\"x\":1"), R(1, 15, "\"k\":\"a\",\"x\":2"));
    CHECK_STR(out(&r), cat(want, R(1, 15, "\"k\":\"a\",\"x\":4")));
    run_close(&r);
}

static int count_bare(void *arg, const vg_value *row)
{
    int64_t *sum = arg;
    *sum += row[1].u.i * 1000 + row[4].u.i; /* the node's row: k, x, ts, ws, we, wt */
    return 0;
}

/* Iterate visits the rows a bare SESSION holds, with their session's bounds. */
static void test_bare_session_iterate(void)
{
    run r;
    CHECK(opened(&r, BARE_SESSION_SQL("0.005")));
    push(&r, "a", 1, 1);
    push(&r, "a", 2, 3);
    push(&r, "b", 4, 20);
    vg_op *op = op_of(&r, VG_PLAN_WINDOW);
    int64_t sum = 0;
    CHECK(op && op->kind->iterate(op, count_bare, &sum) == 0);
    CHECK_INT(sum, 1000 + 8 + 2000 + 8 + 4000 + 25);
    run_close(&r);
}

/* ---- state ---- */

/* Every kind of window, over a stream with disorder and late rows. */
static const char *const state_sqls[] = {
    GROUPED("TUMBLE(TABLE s, DESCRIPTOR(ts), INTERVAL '0.010' SECOND)"),
    GROUPED("HOP(TABLE s, DESCRIPTOR(ts), INTERVAL '0.005' SECOND, INTERVAL '0.015' SECOND)"),
    GROUPED("CUMULATE(TABLE s, DESCRIPTOR(ts), INTERVAL '0.004' SECOND, INTERVAL '0.012' SECOND)"),
    SESSION_SQL("0.004"),
    "SELECT k, window_start AS ws, FIRST_VALUE(k) AS f, COUNT(DISTINCT x) AS d, MAX(k) AS m\n"
    "FROM TABLE(SESSION(TABLE s PARTITION BY k, DESCRIPTOR(ts), INTERVAL '0.003' SECOND))\n"
    "GROUP BY window_start, window_end, k;\n",
    BARE_SESSION_SQL("0.004"),
};

static const ev events[] = {
    {"a", 1, 1},   {"b", 2, 3},   {"a", 3, 2},   {"c", 4, 9},   {"a", 5, 12},  {"b", 6, 6},
    {"b", 7, 14},  {"c", 8, 11},  {"a", 9, 10},  {"a", 10, 25}, {"c", 11, 4},  {"b", 12, 22},
    {"a", 13, 31}, {"b", 14, 30}, {"c", 15, 27}, {"a", 16, 40}, {"b", 17, 36}, {"a", 18, 33},
};
#define NEVENTS (sizeof events / sizeof events[0])

/* Events from..to, the watermark at ts - 3 after each and at +infinity
 * after the last; the output. */
static const char *feed(run *r, size_t from, size_t to)
{
    for (size_t i = from; i < to; i++) {
        push(r, events[i].k, events[i].x, events[i].ts);
        vg_dag_watermark(r->dag, events[i].ts - 3);
    }
    if (to == NEVENTS)
        vg_dag_watermark(r->dag, VG_WM_MAX);
    return out(r);
}

static void test_snapshot_restore(void)
{
    for (size_t q = 0; q < sizeof state_sqls / sizeof state_sqls[0]; q++) {
        run r;
        CHECK(opened(&r, state_sqls[q]));
        CHECK(strlen(feed(&r, 0, NEVENTS)) > 100 && r.late[0]); /* rows fire, some are late */
        run_close(&r);
        check_restarts(state_sqls[q], 0, feed, NEVENTS);
    }
}

/* Every truncation of a window's state is refused, cleanly. */
static void test_restore_damaged(void)
{
    run r;
    CHECK(opened(&r, SESSION_SQL("0.004")));
    push(&r, "a", 1, 1);
    push(&r, "b", 2, 2);
    vg_buf snap = op_snapshot(&r, VG_PLAN_WINDOW);
    run_close(&r);
    check_truncations(SESSION_SQL("0.004"), VG_PLAN_WINDOW, &snap);
    vg_buf_free(&snap);
    CHECK(opened(&r, BARE_SESSION_SQL("0.004")));
    push(&r, "a", 1, 1);
    push(&r, "a", 2, 2);
    push(&r, "b", 3, 2);
    snap = op_snapshot(&r, VG_PLAN_WINDOW);
    run_close(&r);
    check_truncations(BARE_SESSION_SQL("0.004"), VG_PLAN_WINDOW, &snap);
    vg_buf_free(&snap);
}

static int count_row(void *arg, const vg_value *row)
{
    int64_t *sum = arg;
    *sum += row[4].u.i * 1000 + row[0].u.i; /* n * 1000 + window_start */
    return 0;
}

static void test_iterate(void)
{
    run r;
    CHECK(opened(&r, GROUPED("TUMBLE(TABLE s, DESCRIPTOR(ts), INTERVAL '0.010' SECOND)")));
    push(&r, "a", 1, 1);
    push(&r, "a", 1, 2);
    push(&r, "b", 1, 15);
    vg_op *op = op_of(&r, VG_PLAN_WINDOW);
    int64_t sum = 0;
    CHECK(op && op->kind->iterate(op, count_row, &sum) == 0);
    CHECK_INT(sum, 2 * 1000 + 0 + 1 * 1000 + 10);
    run_close(&r);
}

/* Every allocation of planning, opening, rows, snapshot and restore made
 * to fail in turn: a clean error, no leak. */
static void test_alloc_failures(void)
{
    check_alloc_failures(SESSION_SQL("0.004"), feed, NEVENTS);
    check_alloc_failures(BARE_SESSION_SQL("0.004"), feed, NEVENTS);
}

/* ---- EXPLAIN ---- */

static void test_explain(void)
{
    const char *src = "source s  [k STRING, x BIGINT, ts TIMESTAMP(3)]  watermark ts\n";
    CHECK_STR(explain_of("SELECT k, window_end, SUM(x) FILTER (WHERE x > 1) AS big\n"
                         "FROM TABLE(HOP(TABLE s, DESCRIPTOR(ts), INTERVAL '5' MINUTE,\n"
                         "  INTERVAL '1' HOUR, INTERVAL '-1.5' SECOND))\n"
                         "GROUP BY window_start, window_end, k HAVING COUNT(*) > 2;\n"),
              cat("sink stdout  [k STRING, window_end TIMESTAMP(3), big BIGINT]\n"
                  "  project  filter (`$agg1` > 2)  [k := k, window_end := window_end, "
                  "big := big]\n"
                  "    window  hop(ts, slide INTERVAL '5' MINUTE, size INTERVAL '1' HOUR, "
                  "offset -INTERVAL '1.500' SECOND)  group by window_start, window_end, k  "
                  "[big := SUM(x) FILTER (WHERE (x > 1)), `$agg1` := COUNT(*)]\n      ",
                  src));
    CHECK_STR(explain_of("SELECT * FROM TABLE(SESSION(TABLE s PARTITION BY k, DESCRIPTOR(ts),\n"
                         "  INTERVAL '1' DAY)) GROUP BY window_start, window_end, k;\n"),
              "SELECT * cannot be used with GROUP BY: list the grouped columns and aggregates");
    CHECK_STR(explain_of("SELECT * FROM TABLE(CUMULATE(TABLE s, DESCRIPTOR(ts), INTERVAL '1' HOUR,"
                         " INTERVAL '1' DAY));\n"),
              cat("sink stdout  [k STRING, x BIGINT, ts TIMESTAMP(3), window_start TIMESTAMP(3), "
                  "window_end TIMESTAMP(3), window_time TIMESTAMP(3)]\n"
                  "  window  cumulate(ts, step INTERVAL '1' HOUR, size INTERVAL '1' DAY)  per row  "
                  "[+ window_start, window_end, window_time]\n    ",
                  src));
    /* a bare SESSION holds each session's rows, per PARTITION BY key */
    CHECK_STR(explain_of("SELECT * FROM TABLE(SESSION(TABLE s PARTITION BY k, DESCRIPTOR(ts),\n"
                         "  INTERVAL '1' DAY));\n"),
              cat("sink stdout  [k STRING, x BIGINT, ts TIMESTAMP(3), window_start TIMESTAMP(3), "
                  "window_end TIMESTAMP(3), window_time TIMESTAMP(3)]\n"
                  "  window  session(ts, gap INTERVAL '1' DAY)  rows per session partition by k  "
                  "[+ window_start, window_end, window_time]\n    ",
                  src));
}

int main(void)
{
    arena = vg_arena_new(VG_MEM_OTHER, 1 << 16);
    RUN(test_start_of);
    RUN(test_assign);
    RUN(test_fire_boundary);
    RUN(test_late);
    RUN(test_hop_partly_late);
    RUN(test_order);
    RUN(test_null_key);
    RUN(test_session_merge);
    RUN(test_session_late);
    RUN(test_session_order);
    RUN(test_session_first_last);
    RUN(test_many_keys);
    RUN(test_bare);
    RUN(test_bare_session);
    RUN(test_bare_session_iterate);
    RUN(test_snapshot_restore);
    RUN(test_restore_damaged);
    RUN(test_iterate);
    RUN(test_explain);
    RUN(test_alloc_failures);
    vg_arena_free(arena);
    return CHECK_DONE();
}
