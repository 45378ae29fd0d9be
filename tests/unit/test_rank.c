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
#include <stdlib.h>
#include <string.h>

#include "engine/dag.h"
#include "engine/rank_int.h"
#include "sql/parser.h"
#include "sql/plan.h"
#include "tests/unit/check.h"

static vg_arena *arena;

/* One running pipeline: its plan, DAG, and the late rows it reported. */
typedef struct run {
    vg_plan *plan;
    vg_dag *dag;
    char late[256]; /* "ts ts ..." of late rows */
} run;

static void on_late(void *arg, const vg_op *op, const vg_value *row, int64_t ts)
{
    (void)op, (void)row;
    run *r = arg;
    size_t n = strlen(r->late);
    snprintf(r->late + n, sizeof r->late - n, "%s%lld", n ? " " : "", (long long)ts);
}

/* The stream every test reads: k STRING, x BIGINT, ts; watermark = ts. */
static const char stream_sql[] =
    "CREATE STREAM s (k STRING, x BIGINT, ts TIMESTAMP(3), WATERMARK FOR ts AS ts);\n";

static int plan_of(run *r, const char *sql, vg_error *err)
{
    memset(r, 0, sizeof *r);
    vg_source *src = vg_arena_alloc(arena, sizeof *src);
    src->name = "r.sql";
    src->text = vg_arena_printf(arena, "%s%s", stream_sql, sql);
    src->len = (uint32_t)strlen(src->text);
    vg_ast_stmt *stmts;
    uint32_t n;
    vg_error_clear(err);
    if (vg_parse(src, arena, &stmts, &n, err) < 0)
        return -1;
    return vg_plan_build(stmts, n, &r->plan, err);
}

/* A DAG of r's plan, late rows recorded. */
static vg_dag *dag_open(run *r, vg_error *err)
{
    vg_dag *d = vg_dag_open(r->plan, err);
    if (d)
        vg_dag_on_late(d, on_late, r);
    return d;
}

/* The plan of sql with every node's TTL ttl_ms, and its DAG. */
static bool opened_ttl(run *r, const char *sql, int64_t ttl_ms)
{
    vg_error err;
    if (plan_of(r, sql, &err) < 0) {
        fprintf(stderr, "%s\n", err.msg);
        return false;
    }
    for (uint32_t i = 0; i < r->plan->nnodes; i++)
        r->plan->nodes[i]->ttl_ms = ttl_ms;
    if (!(r->dag = dag_open(r, &err))) {
        vg_plan_free(r->plan);
        return false;
    }
    return true;
}

static bool opened(run *r, const char *sql) { return opened_ttl(r, sql, 0); }

static void run_close(run *r)
{
    vg_dag_close(r->dag);
    vg_plan_free(r->plan);
}

static void push(run *r, const char *k, int64_t x, int64_t ts)
{
    vg_value row[3] = {k ? vg_str(k, (uint32_t)strlen(k)) : vg_null(), vg_int(x), vg_int(ts)};
    vg_dag_push(r->dag, 0, row);
}

/* What the sink holds (and forget it). */
static const char *out(run *r)
{
    vg_buf *b = &vg_dag_channel(r->dag, 0)->buf;
    const char *s = vg_arena_strndup(arena, b->len ? b->p : "", b->len);
    vg_buf_clear(b);
    return s;
}

static vg_op *rank_op(run *r)
{
    for (uint32_t i = 0; i < r->plan->nnodes; i++)
        if (r->plan->nodes[i]->kind == VG_PLAN_RANK)
            return vg_dag_op(r->dag, i);
    return NULL;
}

static const char *cat(const char *a, const char *b)
{
    return vg_arena_printf(arena, "%s%s", a, b);
}

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
    CHECK_INT(((rk_state *)rank_op(&r)->state)->map.n, 1);
    run_close(&r);
}

/* ---- state ---- */

typedef struct ev {
    const char *k;
    int64_t x, ts;
} ev;

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
        for (int64_t ttl = 0; ttl <= 200; ttl += 200) {
            run whole;
            CHECK(opened_ttl(&whole, state_sqls[q], ttl));
            const char *want = feed(&whole, 0, NEVENTS);
            const char *want_late = vg_arena_strndup(arena, whole.late, strlen(whole.late));
            run_close(&whole);
            for (size_t at = 0; at <= NEVENTS; at++) {
                run a;
                vg_error err;
                CHECK(opened_ttl(&a, state_sqls[q], ttl));
                const char *got = feed(&a, 0, at);
                vg_buf snap;
                vg_buf_init(&snap, VG_MEM_STATE);
                CHECK(vg_dag_snapshot(a.dag, &snap, &err) == 0);
                vg_dag_close(a.dag);
                CHECK((a.dag = dag_open(&a, &err)) != NULL);
                CHECK(vg_dag_restore(a.dag, snap.p, snap.len, &err) == 0);
                got = cat(got, feed(&a, at, NEVENTS));
                CHECK_STR(got, want);
                CHECK_STR(a.late, want_late);
                vg_buf_free(&snap);
                run_close(&a);
            }
        }
}

static void test_restore_refuses(void)
{
    run a, b;
    vg_error err;
    CHECK(opened(&a, FIRST_ROW));
    push(&a, "a", 1, 1);
    push(&a, "b", 2, 2);
    vg_dag_watermark(a.dag, 1);
    vg_op *ra = rank_op(&a);
    vg_buf snap;
    vg_buf_init(&snap, VG_MEM_STATE);
    CHECK(ra->kind->snapshot(ra, &snap, &err) == 0);
    CHECK(opened(&b, LAST_ROW));
    vg_op *rb = rank_op(&b);
    vg_error_clear(&err);
    CHECK(rb->kind->restore(rb, snap.p, snap.len, &err) < 0);
    CHECK_STR(err.msg, "the rank state is of another rank");
    run_close(&b);
    for (size_t cut = 1; cut < snap.len; cut++) {
        CHECK(opened(&b, FIRST_ROW));
        rb = rank_op(&b);
        vg_error_clear(&err);
        CHECK(rb->kind->restore(rb, snap.p, cut, &err) < 0);
        run_close(&b);
    }
    vg_buf_free(&snap);
    run_close(&a);
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
    run r;
    CHECK(opened(&r,
                 "INSERT INTO o1 " FIRST_ROW "INSERT INTO o2 " LAST_ROW "INSERT INTO o3 " TOP3_RN
                 "INSERT INTO o4 SELECT x FROM (SELECT *, ROW_NUMBER() OVER (ORDER BY x, k DESC)\n"
                 "  AS rn FROM s) WHERE rn < 5;\n"));
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    CHECK(vg_plan_explain(r.plan, VG_EXPLAIN_TEXT, f) == 0);
    fclose(f);
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
    CHECK_STR(text, want);
    free(text);
    run_close(&r);
}

/* One run of sql over the events with a snapshot and restore after half
 * of them; its output, or NULL when something reported an error. */
static const char *run_restarted(run *r, vg_error *err)
{
    if (!(r->dag = dag_open(r, err)))
        return NULL;
    const char *got = feed(r, 0, NEVENTS / 2);
    vg_buf snap;
    vg_buf_init(&snap, VG_MEM_STATE);
    int rc = vg_dag_error(r->dag) ? -1 : vg_dag_snapshot(r->dag, &snap, err);
    vg_dag_close(r->dag);
    r->dag = rc == 0 ? dag_open(r, err) : NULL;
    if (r->dag && vg_dag_restore(r->dag, snap.p, snap.len, err) == 0)
        got = cat(got, feed(r, NEVENTS / 2, NEVENTS));
    else
        got = NULL;
    vg_buf_free(&snap);
    return got && !vg_dag_error(r->dag) ? got : NULL;
}

/* Every allocation made to fail in turn, for every mode: an error or the
 * right output, never a crash or a leak. */
static void test_alloc_failures(void)
{
    for (size_t q = 0; q < sizeof state_sqls / sizeof state_sqls[0]; q++) {
        run r;
        vg_error err;
        CHECK(opened(&r, state_sqls[q]));
        const char *want = feed(&r, 0, NEVENTS);
        run_close(&r);
        bool done = false;
        for (uint64_t n = 1; n < 20000 && !done; n++) {
            if (plan_of(&r, state_sqls[q], &err) < 0)
                break;
            vg_alloc_fail_at(n, 0);
            const char *got = run_restarted(&r, &err);
            done = !vg_alloc_failed();
            vg_alloc_fail_at(0, 0);
            CHECK(done ? got && strcmp(got, want) == 0 : !got || strcmp(got, want) == 0);
            run_close(&r);
        }
        CHECK(done);
    }
    CHECK_INT(vg_mem_in_use(VG_MEM_STATE), 0);
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
