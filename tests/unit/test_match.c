/*
 * test_match.c — the MATCH_RECOGNIZE operator (engine/op_match.c,
 * match_nav.c, match_snap.c) in a real DAG planned from SQL: rows wait for
 * the watermark and reach the matcher in (event time, arrival) order, late
 * rows, WITHIN timeouts fired exactly when the watermark passes the
 * deadline, rows held back for NEXT, memory that does not grow with a
 * partition's length, iterate, state TTL, snapshot and restore after every
 * event (for each rows-per-match mode, with timeouts, lookahead and a
 * DEFINE that reads the path), every truncation of a snapshot refused, the
 * state of another MATCH_RECOGNIZE refused, and every allocation failing in
 * turn; and a randomized differential test of DEFINE conditions that read
 * the path, evaluated from the paths' keys (match_key.c, threads merged by
 * key) against the same pipeline evaluating them over the paths (threads
 * merged only when their paths are equal, which tests/unit/test_nfa.c
 * checks against its reference matcher). The golden cases
 * (tests/sql/match) cover the pattern semantics; EXPLAIN of CLASSIFIER() and
 * MATCH_NUMBER() inside arguments is checked here.
 */
#include "engine/match_int.h"
#include "tests/unit/op_test.h"

static vg_op *match_op(run *r) { return op_of(r, VG_PLAN_MATCH); }

#define MR(BODY) "SELECT * FROM s MATCH_RECOGNIZE (PARTITION BY k ORDER BY ts\n" BODY ");\n"

/* ONE ROW PER MATCH, WITHIN with EMIT TIMEOUTS. */
#define Q_ONE                                                                                      \
    MR("  MEASURES FIRST(A.x) AS fa, COUNT(B.*) AS nb, MATCH_NUMBER() AS mn, TIMED_OUT() AS t\n"  \
       "  PATTERN (A B+ C) WITHIN INTERVAL '5' SECOND EMIT TIMEOUTS\n"                            \
       "  DEFINE A AS x = 1, B AS x = 2, C AS x = 3\n")

/* ALL ROWS WITH UNMATCHED ROWS, PREV and NEXT (rows held back), aggregates. */
#define Q_ALL                                                                                      \
    MR("  MEASURES CLASSIFIER() AS cls, PREV(x) AS px, NEXT(x) AS nx, FINAL COUNT(*) AS fc,\n"     \
       "    MIN(B.x) AS mb, ARRAY_AGG(x) AS arr\n"                                                 \
       "  ALL ROWS PER MATCH WITH UNMATCHED ROWS\n"                                                \
       "  PATTERN (A B+)\n"                                                                        \
       "  DEFINE A AS x = 1, B AS x > PREV(x)\n")

/* A DEFINE that reads the path, skip to a variable. */
#define Q_PATH                                                                                     \
    MR("  MEASURES SUM(A.x) AS sa, LAST(B.ts) AS tb\n"                                             \
       "  AFTER MATCH SKIP TO LAST A\n"                                                            \
       "  PATTERN (A+ B)\n"                                                                        \
       "  DEFINE A AS SUM(A.x) <= 5, B AS NEXT(x) IS NULL OR x >= 3\n")

/* MATCH_ROWTIME(): the output's event time; the watermark forwarded waits
 * for the matches still undecided. */
#define Q_RT                                                                                       \
    MR("  MEASURES MATCH_ROWTIME() AS mt, COUNT(*) AS n\n"                                        \
       "  PATTERN (A B C?)\n"                                                                      \
       "  DEFINE A AS x = 1, B AS x = 2, C AS x = 3\n")

/* TO NEXT ROW over (A|B)* C: attempts follow earlier ones (nfa_share.c). */
#define Q_SHARE                                                                                    \
    MR("  MEASURES COUNT(*) AS n, COUNT(A.*) AS na\n"                                              \
       "  AFTER MATCH SKIP TO NEXT ROW\n"                                                          \
       "  PATTERN ((A | B)* C)\n"                                                                 \
       "  DEFINE A AS x <= 2, B AS x >= 2, C AS x = 3\n")

/* MATCH_NUMBER() in DEFINE: one attempt at a time. */
#define Q_SERIAL                                                                                   \
    MR("  MEASURES MATCH_NUMBER() AS mn, FIRST(ts) AS t0\n"                                       \
       "  AFTER MATCH SKIP TO NEXT ROW\n"                                                          \
       "  PATTERN (A+ B)\n"                                                                        \
       "  DEFINE A AS x < 3, B AS x = 3 AND MATCH_NUMBER() <= 3\n")

/* MATCH_NUMBER() inside an aggregate argument of a DEFINE (serial, read from
 * the path), FIRST with an offset reading the complete match on every row. */
#define Q_SERIAL_ARG                                                                               \
    MR("  MEASURES MATCH_NUMBER() AS mn, FIRST(x, 1) AS x1, CLASSIFIER() AS cls\n"                \
       "  ALL ROWS PER MATCH\n"                                                                   \
       "  AFTER MATCH SKIP TO NEXT ROW\n"                                                         \
       "  PATTERN (A+ B)\n"                                                                       \
       "  DEFINE A AS x < 3, B AS MAX(x + MATCH_NUMBER()) <= 4\n")

/* ---- rows and the watermark ---- */

#define Q_AB                                                                                       \
    MR("  MEASURES A.ts AS ta, B.ts AS tb\n"                                                       \
       "  PATTERN (A B)\n"                                                                         \
       "  DEFINE A AS x = 1, B AS x = 2\n")

static const char *ab(const char *k, int ta, int tb)
{
    return vg_arena_printf(arena,
                           "{\"k\":\"%s\",\"ta\":\"1970-01-01T00:00:00.%03dZ\","
                           "\"tb\":\"1970-01-01T00:00:00.%03dZ\"}\n",
                           k, ta, tb);
}

/* Rows wait for the watermark; then in event-time order (out-of-order rows
 * sorted); a row at or behind the watermark, or without a time, is late. */
static void test_watermark_order(void)
{
    run r;
    CHECK(opened(&r, Q_AB));
    push(&r, "a", 1, 10);
    push(&r, "a", 2, 20);
    CHECK_STR(out(&r), "");
    vg_dag_watermark(r.dag, 15);
    CHECK_STR(out(&r), "");
    vg_dag_watermark(r.dag, 20);
    CHECK_STR(out(&r), ab("a", 10, 20));
    push(&r, "a", 1, 20); /* at the watermark: late */
    push(&r, "a", 2, 25);
    push(&r, "a", 1, 22); /* out of order, not late */
    vg_value nul[3] = {vg_str("a", 1), vg_int(1), vg_null()};
    vg_dag_push(r.dag, 0, nul);
    vg_dag_watermark(r.dag, 24);
    CHECK_STR(out(&r), "");
    vg_dag_watermark(r.dag, 30);
    CHECK_STR(out(&r), ab("a", 22, 25));
    CHECK_STR(r.late, "20 -9223372036854775808");
    run_close(&r);
}

/* Rows of one event time go in arrival order, over all partitions. */
static void test_ties(void)
{
    run r;
    CHECK(opened(&r, Q_AB));
    push(&r, "b", 1, 10);
    push(&r, "a", 1, 10);
    push(&r, "a", 2, 10);
    push(&r, "b", 2, 10);
    push(&r, "c", 2, 10);
    push(&r, "c", 1, 10); /* B before A: no match */
    vg_dag_watermark(r.dag, VG_WM_MAX);
    CHECK_STR(out(&r), cat(ab("a", 10, 10), ab("b", 10, 10)));
    run_close(&r);
}

#define Q_TIMEOUT                                                                                  \
    MR("  MEASURES A.ts AS ta, TIMED_OUT() AS t\n"                                                 \
       "  PATTERN (A B) WITHIN INTERVAL '10' SECOND EMIT TIMEOUTS\n"                              \
       "  DEFINE A AS x = 1, B AS x = 2\n")

/* An attempt that began at t0 times out when the watermark reaches
 * t0 + 10 s - 1 ms, not before; at the end of input the others do. */
static void test_timeout_deadline(void)
{
    run r;
    CHECK(opened(&r, Q_TIMEOUT));
    push(&r, "a", 1, 1000);
    push(&r, "b", 1, 1500);
    vg_dag_watermark(r.dag, 10998);
    CHECK_STR(out(&r), "");
    vg_dag_watermark(r.dag, 10999);
    CHECK_STR(out(&r), "{\"k\":\"a\",\"ta\":\"1970-01-01T00:00:01.000Z\",\"t\":true}\n");
    vg_dag_watermark(r.dag, VG_WM_MAX);
    CHECK_STR(out(&r), "{\"k\":\"b\",\"ta\":\"1970-01-01T00:00:01.500Z\",\"t\":true}\n");
    run_close(&r);
}

/* With MATCH_ROWTIME(), the watermark MATCH_RECOGNIZE forwards stays
 * behind the oldest row an undecided match can end at (or start at, for
 * the rows still to come), whatever the input's watermark; late rows are
 * those behind the input's. */
static void test_rowtime_watermark(void)
{
    run r;
    CHECK(opened(&r, Q_RT));
    vg_op *op = match_op(&r);
    push(&r, "a", 1, 10);
    push(&r, "a", 2, 20);
    vg_dag_watermark(r.dag, 20);
    CHECK_STR(out(&r), ""); /* A B, and C may still come */
    CHECK_INT(op->wm, 9);
    push(&r, "b", 1, 30);
    vg_dag_watermark(r.dag, 40);
    CHECK_INT(op->wm, 9);
    push(&r, "a", 7, 35); /* behind the input's watermark, not the forwarded one: late */
    CHECK_STR(r.late, "35");
    push(&r, "a", 5, 50);
    vg_dag_watermark(r.dag, 50); /* a's match is decided; b's attempt (30) is open */
    CHECK_STR(out(&r), "{\"k\":\"a\",\"mt\":\"1970-01-01T00:00:00.020Z\",\"n\":2}\n");
    CHECK_INT(op->wm, 29);
    vg_dag_watermark(r.dag, VG_WM_MAX);
    CHECK_INT(op->wm, VG_WM_MAX);
    run_close(&r);
    /* without an event-time attribute downstream, the watermark is forwarded as it comes */
    CHECK(opened(&r, Q_AB));
    push(&r, "a", 1, 10);
    vg_dag_watermark(r.dag, 40);
    CHECK_INT(match_op(&r)->wm, 40);
    run_close(&r);
}

/* An iterate visit as text: "k rows threads matches;" per partition (and
 * bytes, which must be more than the rows' own). */
typedef struct visit {
    char text[512];
    size_t len;
} visit;

static int on_part(void *arg, const vg_value *row)
{
    visit *v = arg;
    CHECK(row[4].u.i > row[1].u.i * (int64_t)(3 * sizeof(vg_value)));
    v->len += (size_t)snprintf(v->text + v->len, sizeof v->text - v->len, "%.*s %lld %lld %lld;",
                               row[0].null ? 4 : (int)row[0].len, row[0].null ? "NULL" : row[0].u.s,
                               (long long)row[1].u.i, (long long)row[2].u.i,
                               (long long)row[3].u.i);
    return 0;
}

static const char *iterate_text(run *r)
{
    visit v = {"", 0};
    vg_op *op = match_op(r);
    CHECK(op->kind->iterate(op, on_part, &v) == 0);
    return vg_arena_strndup(arena, v.text, v.len);
}

#define Q_NEXT                                                                                     \
    MR("  MEASURES COUNT(*) AS c\n"                                                                \
       "  PATTERN (A+ B)\n"                                                                        \
       "  DEFINE A AS NEXT(x) > x\n")

/* A DEFINE reading NEXT: a row reaches the matcher only once the row after
 * it is released (or the input ends). */
static void test_lookahead(void)
{
    run r;
    CHECK(opened(&r, Q_NEXT));
    push(&r, "a", 1, 10);
    push(&r, "a", 2, 20);
    vg_dag_watermark(r.dag, 10);
    CHECK_STR(iterate_text(&r), "a 2 0 0;"); /* one row released, held for its NEXT */
    vg_dag_watermark(r.dag, 20);
    CHECK_STR(iterate_text(&r), "a 2 2 0;"); /* row 10 in the matcher: A again, or B next */
    push(&r, "a", 1, 30);
    vg_dag_watermark(r.dag, 30); /* row 20 (2 > next 1: not A) is B */
    CHECK_STR(out(&r), "{\"k\":\"a\",\"c\":2}\n");
    vg_dag_watermark(r.dag, VG_WM_MAX); /* row 30: NEXT is NULL, no A */
    CHECK_STR(out(&r), "");
    run_close(&r);
}

/* A long partition keeps only the rows the open attempt and PREV need. */
static void test_memory_bounded(void)
{
    run r;
    CHECK(opened(&r, MR("  MEASURES PREV(A.x) AS p\n"
                        "  PATTERN (A B)\n"
                        "  DEFINE A AS x = 1, B AS x = 2\n")));
    size_t most = 0;
    for (int i = 0; i < 20000; i++) {
        push(&r, "a", 1 + i % 3, 10 + i);
        vg_dag_watermark(r.dag, 10 + i);
        out(&r);
        mr_part *p = mr_part_of(vg_keymap_find(&((mr_state *)match_op(&r)->state)->map.keys,
                                               "\0\0\0\0\1\1\0\0\0a", 10));
        most = p && p->rows.n > most ? p->rows.n : most;
    }
    CHECK(most > 0 && most <= 3);
    CHECK_STR(iterate_text(&r), "a 1 0 6667;"); /* the last row, for PREV */
    run_close(&r);
}

/* iterate: per partition its key, rows held, live threads, matches; lookup
 * the same for one key. */
static void test_iterate(void)
{
    run r;
    CHECK(opened(&r, Q_AB));
    push(&r, "a", 1, 10);
    push(&r, "a", 2, 20);
    push(&r, NULL, 1, 15);
    push(&r, "b", 1, 30);
    vg_dag_watermark(r.dag, 25);
    out(&r);
    CHECK_STR(iterate_text(&r), "a 0 0 1;NULL 1 1 0;b 1 0 0;"); /* in hash order */
    visit v = {"", 0};
    vg_op *op = match_op(&r);
    vg_value key = vg_str("b", 1);
    CHECK(op->kind->lookup(op, 0, &key, on_part, &v) == 0);
    key = vg_null();
    CHECK(op->kind->lookup(op, 0, &key, on_part, &v) == 0);
    key = vg_str("z", 1); /* no such partition */
    CHECK(op->kind->lookup(op, 0, &key, on_part, &v) == 0);
    key = vg_str("a", 1); /* another source partition */
    CHECK(op->kind->lookup(op, 1, &key, on_part, &v) == 0);
    CHECK_STR(v.text, "b 1 0 0;NULL 1 1 0;");
    run_close(&r);
}

/* TTL: an idle partition whose newest row is older than the watermark less
 * the TTL is dropped (MATCH_NUMBER starts again); one with an open attempt
 * is kept. */
static void test_ttl(void)
{
    run r;
    CHECK(opened_ttl(&r,
                     MR("  MEASURES MATCH_NUMBER() AS mn\n"
                        "  PATTERN (A B)\n"
                        "  DEFINE A AS x = 1, B AS x = 2\n"),
                     100));
    push(&r, "a", 1, 10);
    push(&r, "a", 2, 20);
    push(&r, "b", 1, 30);
    vg_dag_watermark(r.dag, 30);
    CHECK_STR(out(&r), "{\"k\":\"a\",\"mn\":1}\n");
    vg_dag_watermark(r.dag, 135); /* both newest rows 105 old: a dropped, b has an attempt */
    CHECK_STR(iterate_text(&r), "b 1 1 0;");
    push(&r, "a", 1, 200);
    push(&r, "a", 2, 210);
    push(&r, "b", 2, 220);
    vg_dag_watermark(r.dag, 300);
    CHECK_STR(out(&r), "{\"k\":\"a\",\"mn\":1}\n{\"k\":\"b\",\"mn\":1}\n");
    run_close(&r);
}

/* x = 1, 2, 3: the attempt at row 1 (number 1) matches, MAX(x + 1) = 4; the
 * one at row 2 (number 2) does not, MAX(x + 2) = 5; row 3 is no A. FIRST(x, 1)
 * is row 2's x on every row of the match, row 1 included (Trino's rows). */
static void test_serial_argument(void)
{
    run r;
    CHECK(opened(&r, Q_SERIAL_ARG));
    push(&r, "a", 1, 10);
    push(&r, "a", 2, 20);
    push(&r, "a", 3, 30);
    vg_dag_watermark(r.dag, VG_WM_MAX);
    const char *row = "{\"k\":\"a\",\"ts\":\"1970-01-01T00:00:00.0%dZ\",\"mn\":1,\"x1\":2,"
                      "\"cls\":\"%s\",\"x\":%d}\n";
    CHECK_STR(out(&r), cat(vg_arena_printf(arena, row, 10, "A", 1),
                           cat(vg_arena_printf(arena, row, 20, "A", 2),
                               vg_arena_printf(arena, row, 30, "B", 3))));
    run_close(&r);
}

/* ---- state ---- */

static const ev events[] = {
    {"a", 1, 1000},  {"b", 1, 1500},  {"a", 2, 2000},  {"a", 2, 1800},  {"b", 3, 2500},
    {"a", 3, 3000},  {"c", 1, 3100},  {"b", 2, 3200},  {"a", 1, 3300},  {"a", 5, 1000},
    {"c", 2, 5000},  {"b", 3, 6000},  {NULL, 1, 6100}, {"a", 2, 15000}, {"c", 9, 16000},
    {NULL, 2, 16500}, {"b", 1, 20000}, {"a", 3, 20500}, {"c", 1, 30000}, {"b", 2, 30100},
};
#define NEVENTS (sizeof events / sizeof events[0])

/* Events from..to, the watermark after each 1.5 s behind it; the output. */
static const char *feed(run *r, size_t from, size_t to)
{
    for (size_t i = from; i < to; i++) {
        push(r, events[i].k, events[i].x, events[i].ts);
        vg_dag_watermark(r->dag, events[i].ts - 1500);
    }
    if (to == NEVENTS)
        vg_dag_watermark(r->dag, VG_WM_MAX);
    return out(r);
}

static const char *const state_sqls[] = {Q_ONE,   Q_ALL,    Q_PATH,  Q_NEXT,
                                         Q_RT,    Q_SHARE,  Q_SERIAL, Q_SERIAL_ARG};
#define NSQLS (sizeof state_sqls / sizeof state_sqls[0])

/* The uninterrupted run of Q_ONE: matches, timeouts, late rows. */
static void test_feed(void)
{
    run r;
    CHECK(opened(&r, Q_ONE));
    const char *got = feed(&r, 0, NEVENTS);
    CHECK_STR(got, "{\"k\":\"a\",\"fa\":1,\"nb\":2,\"mn\":1,\"t\":false}\n"
                   "{\"k\":\"c\",\"fa\":1,\"nb\":1,\"mn\":1,\"t\":true}\n"
                   "{\"k\":\"a\",\"fa\":1,\"nb\":0,\"mn\":2,\"t\":true}\n"
                   "{\"k\":null,\"fa\":1,\"nb\":0,\"mn\":1,\"t\":true}\n"
                   "{\"k\":\"b\",\"fa\":1,\"nb\":0,\"mn\":1,\"t\":true}\n"
                   "{\"k\":\"c\",\"fa\":1,\"nb\":0,\"mn\":2,\"t\":true}\n");
    CHECK_STR(r.late, "1000");
    run_close(&r);
}

/* Snapshot after every event, restore into a fresh DAG, finish: the same
 * output and late rows as the uninterrupted run. */
static void test_snapshot_restore(void)
{
    for (size_t q = 0; q < NSQLS; q++)
        for (int64_t ttl = 0; ttl <= 4000; ttl += 4000)
            check_restarts(state_sqls[q], ttl, feed, NEVENTS);
}

/* Restore refuses the state of another MATCH_RECOGNIZE and damaged bytes. */
static void test_restore_refuses(void)
{
    for (size_t q = 0; q < NSQLS; q++) {
        run a, b;
        vg_error err;
        CHECK(opened(&a, state_sqls[q]));
        feed(&a, 0, NEVENTS / 2);
        vg_buf snap = op_snapshot(&a, VG_PLAN_MATCH);
        run_close(&a);
        CHECK(opened(&b, state_sqls[(q + 1) % NSQLS]));
        vg_op *op = match_op(&b);
        vg_error_clear(&err);
        CHECK(op->kind->restore(op, snap.p, snap.len, &err) < 0);
        CHECK_STR(err.msg, "the MATCH_RECOGNIZE state is of another MATCH_RECOGNIZE");
        run_close(&b);
        check_truncations(state_sqls[q], VG_PLAN_MATCH, &snap);
        vg_buf_free(&snap);
    }
}

/* Every allocation made to fail in turn: an error or the right output,
 * never a crash or a leak. */
static void test_alloc_failures(void)
{
    for (size_t q = 0; q < NSQLS; q++)
        check_alloc_failures(state_sqls[q], feed, NEVENTS);
}

/* ---- time and memory that stay polynomial ---- */

/* (A|B)* C, C counting the A rows: threads merge by their paths' keys, the
 * count. x = 3 rows are A and B, 2 only B, 4 may be C. Partition "x" is
 * the 18-row case that took seconds when only equal paths merged; "y" has
 * 2,000 rows, every seventh only B, and C rows at 1,500 and 1,990: the
 * match ends at the first (too few A rows follow it for the second). */
static void test_path_key_polynomial(void)
{
    run r;
    CHECK(opened(&r, MR("  MEASURES COUNT(*) AS c, COUNT(A.*) AS na\n"
                        "  PATTERN ((A | B)* C)\n"
                        "  DEFINE A AS x IN (1, 3), B AS x IN (2, 3),\n"
                        "         C AS x = 4 AND COUNT(A.*) > 1000\n")));
    for (int i = 0; i < 18; i++)
        push(&r, "x", 3, i);
    int na = 0;
    for (int i = 0; i < 2000; i++) {
        int x = i == 1500 || i == 1990 ? 4 : i % 7 == 6 ? 2 : 3;
        na += i < 1500 && x == 3;
        push(&r, "y", x, 100 + i);
    }
    vg_dag_watermark(r.dag, VG_WM_MAX);
    CHECK_STR(out(&r), vg_arena_printf(arena, "{\"k\":\"y\",\"c\":1501,\"na\":%d}\n", na));
    CHECK_INT(na, 1286);
    run_close(&r);
}

/* (A|B)* C with TO NEXT ROW over 3,000 rows of no C: every row's attempt
 * stays open, and follows the first; then 200 rows and a C give 201
 * matches at once. */
static void test_next_row_linear(void)
{
    run r;
    CHECK(opened(&r, MR("  MEASURES COUNT(*) AS c\n"
                        "  AFTER MATCH SKIP TO NEXT ROW\n"
                        "  PATTERN ((A | B)* C)\n"
                        "  DEFINE A AS x IN (1, 3), B AS x IN (2, 3), C AS x = 4\n")));
    for (int i = 0; i < 3000; i++)
        push(&r, "x", i % 3 ? 3 : 1, i);
    for (int i = 0; i < 200; i++)
        push(&r, "y", 3, 5000 + i);
    push(&r, "y", 4, 5200);
    vg_dag_watermark(r.dag, VG_WM_MAX);
    const char *got = out(&r);
    uint32_t lines = 0;
    for (const char *c = got; *c; c++)
        lines += *c == '\n';
    CHECK_INT(lines, 201);
    const char *first = "{\"k\":\"y\",\"c\":201}\n{\"k\":\"y\",\"c\":200}\n";
    CHECK(strncmp(got, first, strlen(first)) == 0);
    run_close(&r);
}

/* ---- keys against paths ---- */

static uint64_t seed = 0x2545f4914f6cdd1du;

static uint32_t rnd(uint32_t n)
{
    seed ^= seed << 13;
    seed ^= seed >> 7;
    seed ^= seed << 17;
    return (uint32_t)(seed % n);
}

static const char *const patterns[] = {
    "(A | B)* C",        "A+ B* C",           "(A B?)+ C?",       "A (B | C)* A",
    "PERMUTE(A, B) C*",  "(A | B | C){2,5}",  "A+? B (C | A)",    "(A | B)+ C? $",
    "^ A* B+ C*",        "A {- B* -} C",      "(A B | A C)+",     "((A | B) C?)* B",
};

/* Conditions that read the path, the attempt's rows, or only the row (%d:
 * a number from 0 to 4). */
static const char *const conds[] = {
    "COUNT(A.*) >= %d",         "SUM(B.x) < %d",           "LAST(A.x) = x",
    "LAST(B.x, 1) < x",         "FIRST(A.x) = x",          "MIN(A.x) >= %d",
    "MAX(C.x) <= %d",           "AVG(A.x) > %d",           "PREV(LAST(A.x)) = %d",
    "PREV(CLASSIFIER()) = 'A'", "FIRST(CLASSIFIER()) = 'B'", "COUNT(*) <= %d",
    "FIRST(x) = x",             "LAST(x, 2) > %d",         "ARRAY_AGG(A.x) = '[1,2]'",
    "COUNT(DISTINCT B.x) > 1",  "x = %d",                  "x > PREV(x)",
    "MATCH_NUMBER() > %d",      "SUM(x) < %d",             "LAST_VALUE(A.x) = %d",
    "FIRST_VALUE(B.x) = %d",    "NEXT(LAST(A.x)) = %d",    "LAST(U.x) = %d",
    "COUNT(U.*) > %d",          "CLASSIFIER() = 'A'",      "LAST(CLASSIFIER(), 1) = 'C'",
    "FIRST(A.x, 1) <= x",       "NEXT(FIRST(CLASSIFIER(), 1)) = 'B'",
    "SUM(A.x) FILTER (WHERE A.x > 1) < %d",
    "CLASSIFIER(U) = 'C'",      "PREV(CLASSIFIER(U)) = 'B'", "FIRST(CLASSIFIER(U), 1) = 'A'",
    "NEXT(LAST(CLASSIFIER(U), 1)) = 'B'", "PREV(CLASSIFIER(B), 2) = 'A'",
    "LAST(CLASSIFIER() || 'x', 1) = 'Ax'", "COUNT(CLASSIFIER(U)) > %d",
    "MAX(LOWER(CLASSIFIER())) = 'b'",
};

static const char *const rows_modes[] = {"ONE ROW PER MATCH", "ALL ROWS PER MATCH",
                                         "ALL ROWS PER MATCH WITH UNMATCHED ROWS",
                                         "ALL ROWS PER MATCH OMIT EMPTY MATCHES"};
static const char *const skips[] = {"PAST LAST ROW", "TO NEXT ROW", "TO FIRST B", "TO LAST A"};

static const char *random_cond(void)
{
    const char *c = vg_arena_printf(arena, conds[rnd(sizeof conds / sizeof conds[0])], rnd(5));
    if (rnd(3))
        return c;
    const char *d = vg_arena_printf(arena, conds[rnd(sizeof conds / sizeof conds[0])], rnd(5));
    return vg_arena_printf(arena, "%s %s %s", c, rnd(2) ? "AND" : "OR", d);
}

static const char *random_query(void)
{
    const char *pat = patterns[rnd(sizeof patterns / sizeof patterns[0])];
    uint32_t rows = rnd(4);
    if (rows == 2 && strstr(pat, "{-"))
        rows = 1; /* exclusion cannot go with unmatched rows */
    bool within = rnd(3) == 0;
    const char *def = "";
    for (char v = 'A'; v <= 'C'; v++)
        if (rnd(5))
            def = vg_arena_printf(arena, "%s%s%c AS %s", def, *def ? ", " : "", v, random_cond());
    return vg_arena_printf(
        arena,
        MR("  MEASURES CLASSIFIER() AS cl, COUNT(A.*) AS na, ARRAY_AGG(x) AS xs, "
           "MATCH_NUMBER() AS mn, FIRST(B.x) AS fb, CLASSIFIER(U) AS cu, "
           "NEXT(CLASSIFIER()) AS nc, ARRAY_AGG(CLASSIFIER() || k) AS cx, "
           "FIRST(x * MATCH_NUMBER()) AS xm%s\n"
           "  %s AFTER MATCH SKIP %s\n  PATTERN (%s)%s\n  SUBSET U = (A, C)\n%s%s\n"),
        within ? ", TIMED_OUT() AS t" : "", rows_modes[rows], skips[rnd(4)], pat,
        within ? " WITHIN INTERVAL '4' SECOND EMIT TIMEOUTS" : "", *def ? "  DEFINE " : "", def);
}

#define DIFF_EVENTS 24

/* The output of sql over the events, keys on or off. NULL when it did not
 * plan (a combination the binder refuses). */
static const char *diff_run(const char *sql, const ev *evs, size_t n, bool keys)
{
    run r;
    vg_error err;
    if (run_open(&r, sql, &err) < 0)
        return NULL;
    mr_state *st = match_op(&r)->state;
    if (!keys)
        st->opts.path_key = NULL; /* the runs are made later, with these options */
    for (size_t i = 0; i < n; i++) {
        push(&r, evs[i].k, evs[i].x, evs[i].ts);
        if (rnd(3) == 0)
            vg_dag_watermark(r.dag, evs[i].ts - 1000 * (int64_t)rnd(3));
    }
    vg_dag_watermark(r.dag, VG_WM_MAX);
    const char *got = vg_dag_error(r.dag) ? "(error)" : out(&r);
    run_close(&r);
    return got;
}

static void test_keys_against_paths(void)
{
    /* MATCH_CASES and MATCH_SEED run other cases (when hunting for a bug) */
    uint32_t cases = getenv("MATCH_CASES") ? (uint32_t)atoi(getenv("MATCH_CASES")) : 1500;
    if (getenv("MATCH_SEED"))
        seed = strtoull(getenv("MATCH_SEED"), NULL, 10) | 1;
    uint32_t usable = 0, failures = 0, keyed = 0;
    for (uint32_t c = 0; c < cases; c++) {
        ev evs[DIFF_EVENTS];
        size_t n = 4 + rnd(DIFF_EVENTS - 3);
        int64_t ts = 1000;
        for (size_t i = 0; i < n; i++) {
            ts += 1000 * (int64_t)rnd(3);
            evs[i] = (ev){rnd(2) ? "p" : "q", 1 + (int64_t)rnd(3), ts};
        }
        const char *sql = random_query();
        uint64_t keep = seed;
        const char *want = diff_run(sql, evs, n, false);
        seed = keep; /* the same watermarks */
        const char *got = diff_run(sql, evs, n, true);
        if (!want)
            continue;
        usable++;
        run r;
        vg_error err;
        if (run_open(&r, sql, &err) == 0) {
            keyed += ((mr_state *)match_op(&r)->state)->nkcomp > 0;
            run_close(&r);
        }
        if (!got || strcmp(got, want)) {
            if (failures++ < 3)
                fprintf(stderr, "keys differ:\n%s\n  got  %s\n  want %s\n", sql, got, want);
        }
    }
    CHECK_INT(failures, 0);
    CHECK(usable > cases * 9 / 10);
    CHECK(keyed > usable / 2);
}

/* EXPLAIN names what an argument reads of the hidden slots: CLASSIFIER([v])
 * and MATCH_NUMBER() inside navigation and aggregate arguments. */
static void test_explain_classifier_args(void)
{
    CHECK_STR(explain_of(MR("  MEASURES ARRAY_AGG(CLASSIFIER()) AS c, FIRST(x + MATCH_NUMBER()) AS f,\n"
                            "    LAST(CLASSIFIER(U) || U.k) AS l, CLASSIFIER(U) AS u\n"
                            "  PATTERN (A B+)\n  SUBSET U = (A, B)\n"
                            "  DEFINE B AS PREV(CLASSIFIER() || 'y') <> 'Zy'\n")),
              "sink stdout  [k STRING, c STRING, f BIGINT, l STRING, u STRING]\n"
              "  match  partition by k  order by ts  pattern (A B+)  one row per match  "
              "skip past last row  subset U = (A, B)  "
              "define [B := (PREV(LAST((CLASSIFIER() || 'y'))) <> 'Zy')]  "
              "measures [c := ARRAY_AGG(CLASSIFIER()), f := FIRST((x + MATCH_NUMBER())), "
              "l := LAST((CLASSIFIER(U) || U.k)), u := CLASSIFIER(U)]\n"
              "    source s  [k STRING, x BIGINT, ts TIMESTAMP(3)]  watermark ts\n");
}

int main(void)
{
    arena = vg_arena_new(VG_MEM_OTHER, 1 << 16);
    RUN(test_watermark_order);
    RUN(test_ties);
    RUN(test_timeout_deadline);
    RUN(test_rowtime_watermark);
    RUN(test_lookahead);
    RUN(test_memory_bounded);
    RUN(test_iterate);
    RUN(test_ttl);
    RUN(test_serial_argument);
    RUN(test_feed);
    RUN(test_snapshot_restore);
    RUN(test_restore_refuses);
    RUN(test_alloc_failures);
    RUN(test_path_key_polynomial);
    RUN(test_next_row_linear);
    RUN(test_keys_against_paths);
    RUN(test_explain_classifier_args);
    vg_arena_free(arena);
    return CHECK_DONE();
}
