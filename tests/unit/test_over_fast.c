/*
 * test_over_fast.c — the OVER frame loop's own steps of COUNT, and of SUM
 * and AVG of a DOUBLE (over_agg.fast, udf/agg_int.h: stepped, initialised
 * and read in line instead of through the aggregate table), against the
 * aggregate library's own functions.
 *
 * Each case runs one query twice over the same rows: once as opened, and
 * once with every aggregate's fast kind set to AGG_FAST_NONE (so every step,
 * result and state goes through vg_agg_* and the entries' functions). The
 * two outputs must be the same bytes. The rows carry what the quick steps
 * leave to the library: NaN, infinities of both signs, NULLs, sums that
 * overflow a double (held scaled) and come back when retracted, -0.0, and
 * frames that empty (AVG and SUM of no rows are NULL); with ROWS and RANGE
 * frames, FILTER, rows out of order, late rows and a moving watermark that
 * evicts, over several keys. It also checks that the fast kinds are set
 * where they apply and only there, and a few exact values.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/dag.h"
#include "engine/op_over.h"
#include "engine/over_int.h"
#include "sql/parser.h"
#include "sql/plan.h"
#include "tests/unit/check.h"
#include "udf/agg_int.h"

static vg_arena *arena;

static const char stream_sql[] = "CREATE STREAM s (k STRING, v DOUBLE, n BIGINT, ts TIMESTAMP(3),\n"
                                 "  WATERMARK FOR ts AS ts - INTERVAL '1' SECOND);\n";

/* The plan of stream_sql + text; NULL (reported) on failure. */
static vg_plan *plan_of(const char *text)
{
    vg_error err;
    vg_source *src = vg_arena_alloc(arena, sizeof *src);
    src->name = "p.sql";
    src->text = vg_arena_printf(arena, "%s%s", stream_sql, text);
    src->len = (uint32_t)strlen(src->text);
    vg_ast_stmt *stmts;
    uint32_t n;
    vg_plan *p = NULL;
    vg_error_clear(&err);
    if (vg_parse(src, arena, &stmts, &n, &err) < 0 || vg_plan_build(stmts, n, &p, &err) < 0) {
        fprintf(stderr, "plan: %s at %u:%u\n", err.msg, err.line, err.col);
        return NULL;
    }
    return p;
}

/* The OVER operators' states of d (plan p), in plan order; their number. */
static uint32_t over_states(const vg_plan *p, vg_dag *d, over_state **out, uint32_t max)
{
    uint32_t n = 0;
    for (uint32_t id = 0; id < p->nnodes && n < max; id++)
        if (p->nodes[id]->kind == VG_PLAN_OVER)
            out[n++] = vg_dag_op(d, id)->state;
    return n;
}

/* One row of the random log. */
typedef struct row_t {
    int key;    /* 0..2 */
    double v;   /* NAN here with null set: NULL */
    bool null;  /* v is NULL */
    int64_t ts; /* event time */
    int64_t wm; /* the watermark to advance to before it, or 0 */
} row_t;

/* What the sink received over rows [0, n) of log, with the fast steps on
 * or off; in the arena. */
static const char *run_log(const char *sql, const row_t *log, int n, bool fast)
{
    static const char *keys[3] = {"a", "bb", "a-much-longer-key"};
    vg_plan *p = plan_of(sql);
    vg_error err;
    vg_error_clear(&err);
    vg_dag *d = p ? vg_dag_open(p, &err) : NULL;
    if (!d) {
        fprintf(stderr, "open: %s\n", err.msg);
        vg_plan_free(p);
        return "";
    }
    over_state *sts[8];
    uint32_t nst = over_states(p, d, sts, 8);
    for (uint32_t i = 0; i < nst && !fast; i++)
        for (uint32_t a = 0; a < sts[i]->naggs; a++)
            sts[i]->aggs[a].fast = AGG_FAST_NONE;
    vg_buf all;
    vg_buf_init(&all, VG_MEM_IO);
    for (int i = 0; i < n; i++) {
        const row_t *r = &log[i];
        if (r->wm)
            vg_dag_watermark(d, r->wm);
        vg_value row[4] = {vg_str(keys[r->key], (uint32_t)strlen(keys[r->key])),
                           r->null ? vg_null() : vg_double(r->v), vg_int(i), vg_int(r->ts)};
        vg_dag_push(d, 0, row);
        vg_channel *ch = vg_dag_channel(d, 0);
        vg_buf_append(&all, ch->buf.p ? ch->buf.p : "", ch->buf.len);
        vg_buf_clear(&ch->buf);
        vg_dag_end_batch(d);
    }
    const char *s = vg_arena_strndup(arena, all.len ? all.p : "", all.len);
    vg_buf_free(&all);
    vg_dag_close(d);
    vg_plan_free(p);
    return s;
}

static uint64_t rng = 0x2545F4914F6CDD1Dull;

static uint64_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

/* A value: mostly money, sometimes a special one. */
static void rand_value(row_t *r)
{
    static const double special[] = {INFINITY, -INFINITY, NAN,    1e308,  -1e308, 1.7e308,
                                     -0.0,     0.0,       5e-324, 1e-300, 0.1};
    uint32_t x = (uint32_t)(rnd() % 100);
    r->null = x < 8;
    if (x < 30)
        r->v = special[rnd() % (sizeof special / sizeof special[0])];
    else
        r->v = (double)(rnd() % 100000) / 100;
}

/* n random rows: keys 0..2, times mostly rising (some back by up to 3 s, so
 * some are out of order and some late), the watermark moving now and then. */
static void rand_log(row_t *log, int n)
{
    int64_t t = 1000000, wm = 0;
    for (int i = 0; i < n; i++) {
        row_t *r = &log[i];
        r->key = (int)(rnd() % 3);
        rand_value(r);
        t += (int64_t)(rnd() % 700);
        r->ts = rnd() % 8 == 0 ? t - (int64_t)(rnd() % 3000) : t;
        r->wm = 0;
        if (rnd() % 10 == 0 && t - 1000 > wm)
            r->wm = wm = t - 1000;
    }
}

/* The queries: every fast kind in ROWS, RANGE and UNBOUNDED frames, with
 * and without FILTER, AVG sharing SUM's state, and COUNT(*) FILTER. */
static const char *queries[] = {
    "SELECT n, COUNT(v) OVER w AS c, SUM(v) OVER w AS s, AVG(v) OVER w AS a,\n"
    "  COUNT(*) FILTER (WHERE v > 0) OVER w AS f, SUM(v) FILTER (WHERE v < 100) OVER w AS sf\n"
    "FROM s WINDOW w AS (PARTITION BY k ORDER BY ts ROWS BETWEEN 3 PRECEDING AND CURRENT ROW);\n",
    "SELECT n, COUNT(v) OVER w AS c, SUM(v) OVER w AS s, AVG(v) OVER w AS a,\n"
    "  AVG(v) FILTER (WHERE v <> 0) OVER w AS af, COUNT(*) FILTER (WHERE v IS NULL) OVER w AS f\n"
    "FROM s WINDOW w AS (PARTITION BY k ORDER BY ts\n"
    "  RANGE BETWEEN INTERVAL '2' SECOND PRECEDING AND CURRENT ROW);\n",
    "SELECT n, SUM(v) OVER (PARTITION BY k ORDER BY ts\n"
    "    RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS su,\n"
    "  AVG(v) OVER (ORDER BY ts ROWS BETWEEN 1 PRECEDING AND CURRENT ROW) AS a1,\n"
    "  COUNT(v) OVER (PARTITION BY k ORDER BY ts\n"
    "    RANGE BETWEEN INTERVAL '500' MILLISECOND PRECEDING AND CURRENT ROW) AS c5\n"
    "FROM s;\n",
};

static void test_random_fast_equals_library(void)
{
    enum { N = 3000 };
    static row_t log[N];
    for (int round = 0; round < 4; round++) {
        rand_log(log, N);
        for (size_t q = 0; q < sizeof queries / sizeof queries[0]; q++) {
            const char *fast = run_log(queries[q], log, N, true);
            const char *slow = run_log(queries[q], log, N, false);
            CHECK(strlen(fast) > 100000); /* (rows came out) */
            CHECK_STR(fast, slow);
        }
    }
}

/* The fast kinds: set for COUNT, and for SUM and AVG of a DOUBLE without
 * DISTINCT; not for a BIGINT SUM, DISTINCT, MIN, MAX or STDDEV_POP. */
static void test_kinds(void)
{
    vg_plan *p = plan_of("SELECT COUNT(*) FILTER (WHERE v > 0) OVER w, COUNT(v) OVER w,\n"
                         "  SUM(v) OVER w, AVG(v) OVER w, SUM(n) OVER w, AVG(n) OVER w,\n"
                         "  COUNT(DISTINCT v) OVER w, SUM(DISTINCT v) OVER w, MAX(v) OVER w,\n"
                         "  STDDEV_POP(v) OVER w\n"
                         "FROM s WINDOW w AS (PARTITION BY k ORDER BY ts\n"
                         "  ROWS BETWEEN 2 PRECEDING AND CURRENT ROW);\n");
    vg_error err;
    vg_error_clear(&err);
    vg_dag *d = p ? vg_dag_open(p, &err) : NULL;
    CHECK(d != NULL);
    if (!d) {
        vg_plan_free(p);
        return;
    }
    over_state *st;
    CHECK_INT(over_states(p, d, &st, 1), 1);
    static const int want[] = {AGG_FAST_COUNT, AGG_FAST_COUNT, AGG_FAST_DSUM, AGG_FAST_DAVG,
                               AGG_FAST_NONE,  AGG_FAST_NONE,  AGG_FAST_NONE, AGG_FAST_NONE,
                               AGG_FAST_NONE,  AGG_FAST_NONE};
    CHECK_INT(st->naggs, 10);
    for (uint32_t i = 0; i < st->naggs && i < 10; i++)
        CHECK_INT(st->aggs[i].fast, want[i]);
    vg_dag_close(d);
    vg_plan_free(p);
}

/* Exact values through the fast steps: an overflowing sum held scaled and
 * back, infinities, NaN, and a frame that empties of values. */
static void test_exact_values(void)
{
    static const row_t log[] = {
        {0, 1e308, false, 1000, 0},    {0, 1e308, false, 1001, 0}, /* 2e308: scaled, Infinity */
        {0, 1.5, false, 1002, 0},      {0, 0.25, false, 1003, 0},  /* 1e308s gone */
        {0, INFINITY, false, 1004, 0}, {0, -INFINITY, false, 1005, 0}, {0, 2.0, false, 1006, 0},
        {0, 0, true, 1007, 0},         {0, 0, true, 1008, 0},          {0, 0, true, 1009, 0},
        {0, NAN, false, 1010, 0},      {0, 0.1, false, 1011, 0},
    };
    const char *got = run_log("SELECT n, COUNT(v) OVER w AS c, SUM(v) OVER w AS s,\n"
                              "  AVG(v) OVER w AS a FROM s WINDOW w AS (PARTITION BY k\n"
                              "  ORDER BY ts ROWS BETWEEN 2 PRECEDING AND CURRENT ROW);\n",
                              log, (int)(sizeof log / sizeof log[0]), true);
    CHECK_STR(got, "{\"n\":0,\"c\":1,\"s\":1e+308,\"a\":1e+308}\n"
                   "{\"n\":1,\"c\":2,\"s\":null,\"a\":null}\n"
                   "{\"n\":2,\"c\":3,\"s\":null,\"a\":null}\n"
                   "{\"n\":3,\"c\":3,\"s\":1e+308,\"a\":3.333333333333333e+307}\n"
                   "{\"n\":4,\"c\":3,\"s\":null,\"a\":null}\n"
                   "{\"n\":5,\"c\":3,\"s\":null,\"a\":null}\n"
                   "{\"n\":6,\"c\":3,\"s\":null,\"a\":null}\n"
                   "{\"n\":7,\"c\":2,\"s\":null,\"a\":null}\n"
                   "{\"n\":8,\"c\":1,\"s\":2.0,\"a\":2.0}\n"
                   "{\"n\":9,\"c\":0,\"s\":null,\"a\":null}\n"
                   "{\"n\":10,\"c\":1,\"s\":null,\"a\":null}\n"
                   "{\"n\":11,\"c\":2,\"s\":null,\"a\":null}\n");
}

int main(void)
{
    arena = vg_arena_new(VG_MEM_OTHER, 1 << 16);
    RUN(test_kinds);
    RUN(test_exact_values);
    RUN(test_random_fast_equals_library);
    vg_arena_free(arena);
    return CHECK_DONE();
}
