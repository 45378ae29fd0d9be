/*
 * test_binder_gwindow.c — Flink's group window syntax (GROUP BY TUMBLE(ts,
 * size), TUMBLE_START, ...; sql/bind_gwindow.c): the plan, EXPLAIN text and
 * fingerprints equal the window TVF form's; the relation it binds to
 * (spec, time column, keys, output names and types); TUMBLE_ROWTIME is a
 * time attribute and TUMBLE_END is not; every error with its exact text,
 * line and column; allocation failures give a clean out of memory.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/alloc.h"
#include "engine/expr.h"
#include "sql/binder.h"
#include "sql/fingerprint.h"
#include "sql/parser.h"
#include "sql/plan.h"
#include "tests/unit/check.h"

/* Every test statement follows this, so it starts on line 3, column 1. */
static const char prelude[] =
    "CREATE STREAM p (card STRING, merchant STRING, amount DOUBLE, ts TIMESTAMP(3),\n"
    "  t2 TIMESTAMP(3), WATERMARK FOR ts AS ts - INTERVAL '5' SECOND);\n";

/* A plan of prelude + sql, or NULL with *err set; its arena in *arena. */
static vg_plan *plan_of(const char *sql, vg_arena **arena, vg_error *err)
{
    vg_arena *a = vg_arena_new(VG_MEM_SQL, 4096);
    char *text = a ? vg_arena_printf(a, "%s%s", prelude, sql) : NULL;
    vg_source *src = a ? vg_arena_alloc(a, sizeof *src) : NULL;
    vg_ast_stmt *stmts;
    uint32_t n;
    vg_plan *p = NULL;
    vg_error_clear(err);
    *arena = a;
    if (!text || !src)
        return NULL;
    *src = (vg_source){"t.sql", text, (uint32_t)strlen(text)};
    if (vg_parse(src, a, &stmts, &n, err) == 0)
        vg_plan_build(stmts, n, &p, err);
    return p;
}

/* EXPLAIN of p as text, malloc'd (the caller frees it). */
static char *explain(const vg_plan *p)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        return NULL;
    vg_plan_explain(p, VG_EXPLAIN_TEXT, f);
    fclose(f);
    return buf;
}

/* ---- the same plan as the TVF form ---- */

typedef struct pair {
    const char *legacy; /* the group window form */
    const char *tvf;    /* the window TVF form of the same query */
} pair;

static const pair pairs[] = {
    {"SELECT card, TUMBLE_START(ts, INTERVAL '1' MINUTE) AS window_start,\n"
     "  TUMBLE_END(ts, INTERVAL '1' MINUTE) AS window_end, SUM(amount) AS total\n"
     "FROM p GROUP BY TUMBLE(ts, INTERVAL '1' MINUTE), card HAVING COUNT(*) > 1",
     "SELECT card, window_start, window_end, SUM(amount) AS total\n"
     "FROM TABLE(TUMBLE(TABLE p, DESCRIPTOR(ts), INTERVAL '1' MINUTE))\n"
     "GROUP BY window_start, window_end, card HAVING COUNT(*) > 1"},
    {"SELECT merchant, HOP_ROWTIME(ts, INTERVAL '1' MINUTE, INTERVAL '5' MINUTE) AS window_time,\n"
     "  MAX(amount) AS top FROM p WHERE amount > 0\n"
     "GROUP BY HOP(ts, INTERVAL '1' MINUTE, INTERVAL '5' MINUTE), merchant",
     "SELECT merchant, window_time, MAX(amount) AS top\n"
     "FROM TABLE(HOP(TABLE p, DESCRIPTOR(ts), INTERVAL '1' MINUTE, INTERVAL '5' MINUTE))\n"
     "WHERE amount > 0 GROUP BY window_start, window_end, window_time, merchant"},
    {"SELECT card, merchant, SESSION_END(ts, INTERVAL '30' SECOND) AS window_end, COUNT(*) AS n\n"
     "FROM p GROUP BY card, SESSION(ts, INTERVAL '30' SECOND), merchant",
     "SELECT card, merchant, window_end, COUNT(*) AS n FROM TABLE(SESSION(TABLE p\n"
     "  PARTITION BY (card, merchant), DESCRIPTOR(ts), INTERVAL '30' SECOND))\n"
     "GROUP BY card, window_start, window_end, merchant"},
};

static void test_same_plan(void)
{
    for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++) {
        vg_arena *a, *b;
        vg_error err;
        vg_plan *pa = plan_of(pairs[i].legacy, &a, &err);
        CHECK_STR(pa ? "" : err.msg, "");
        vg_plan *pb = plan_of(pairs[i].tvf, &b, &err);
        CHECK_STR(pb ? "" : err.msg, "");
        if (!pa || !pb) {
            vg_plan_free(pa), vg_plan_free(pb), vg_arena_free(a), vg_arena_free(b);
            continue;
        }
        char *ea = explain(pa), *eb = explain(pb);
        CHECK_STR(ea, eb);
        vg_fp fa = 0, fb = 1;
        CHECK_INT(vg_plan_fingerprint(pa, &fa, NULL, &err), 0);
        CHECK_INT(vg_plan_fingerprint(pb, &fb, NULL, &err), 0);
        CHECK(fa == fb);
        if (i == 0)
            CHECK_STR(ea, "sink stdout  [card STRING, window_start TIMESTAMP(3), window_end "
                          "TIMESTAMP(3), total DOUBLE]\n"
                          "  project  filter (`$agg1` > 1)  [card := card, window_start := "
                          "window_start, window_end := window_end, total := total]\n"
                          "    window  tumble(ts, size INTERVAL '1' MINUTE)  group by "
                          "window_start, window_end, card  [total := SUM(amount), `$agg1` := "
                          "COUNT(*)]\n"
                          "      source p  [card STRING, merchant STRING, amount DOUBLE, ts "
                          "TIMESTAMP(3), t2 TIMESTAMP(3)]  watermark (ts - INTERVAL '5' "
                          "SECOND)\n");
        free(ea);
        free(eb);
        vg_plan_free(pa);
        vg_plan_free(pb);
        vg_arena_free(a);
        vg_arena_free(b);
    }
}

/* ---- the bound relation ---- */

static vg_arena *arena;
static vg_binder *binder;
static vg_source sources[16];
static int nsources;

/* Bind sql's statements after the prelude (bound once); the last one's
 * relation, or NULL with *err set. */
static vg_rel *bind(const char *sql, vg_error *err)
{
    vg_source *src = &sources[nsources++];
    *src = (vg_source){"t.sql", sql, (uint32_t)strlen(sql)};
    vg_ast_stmt *stmts;
    uint32_t n;
    vg_bound_stmt bs = {0};
    vg_error_clear(err);
    if (vg_parse(src, arena, &stmts, &n, err) < 0)
        return NULL;
    for (uint32_t i = 0; i < n; i++)
        if (vg_binder_bind(binder, &stmts[i], &bs, err) < 0)
            return NULL;
    return bs.rel;
}

/* "name TYPE, ..." of r's columns, in the arena. */
static const char *schema_text(const vg_rel *r)
{
    char buf[1024];
    size_t k = 0;
    buf[0] = 0;
    for (uint32_t i = 0; r && i < r->schema.ncols; i++)
        k += (size_t)snprintf(buf + k, sizeof buf - k, "%s%s %s", i ? ", " : "",
                              r->schema.cols[i].name, vg_type_name(r->schema.cols[i].type));
    return vg_arena_strndup(arena, buf, k);
}

static void test_relation(void)
{
    vg_error err;
    vg_rel *r =
        bind("SELECT HOP_END(ts, INTERVAL '1' MINUTE, INTERVAL '3' MINUTE), merchant,\n"
             "  COUNT(*), HOP_ROWTIME(ts, INTERVAL '60' SECOND, INTERVAL '3' MINUTE) AS rt\n"
             "FROM p AS x WHERE x.amount > 1\n"
             "GROUP BY merchant, HOP(x.ts, INTERVAL '1' MINUTE, INTERVAL '3' MINUTE), card",
             &err);
    CHECK_STR(r ? "" : err.msg, "");
    if (!r)
        return;
    CHECK_STR(schema_text(r), "EXPR$0 TIMESTAMP(3), merchant STRING, EXPR$2 BIGINT, "
                              "rt TIMESTAMP(3)");
    CHECK_INT(r->kind, VG_REL_PROJECT);
    const vg_rel *w = r->input;
    CHECK_INT(w->kind, VG_REL_WINDOW);
    CHECK(w->u.window.grouped);
    CHECK_STR(schema_text(w), "window_start TIMESTAMP(3), window_end TIMESTAMP(3), "
                              "window_time TIMESTAMP(3), merchant STRING, card STRING, "
                              "$agg0 BIGINT");
    CHECK_INT(w->u.window.spec.kind, VG_WINDOW_HOP);
    CHECK_INT(w->u.window.spec.step, 60000);
    CHECK_INT(w->u.window.spec.size, 180000);
    CHECK_INT(w->u.window.spec.offset, 0);
    CHECK_INT(w->u.window.time_col, 3);
    CHECK_INT(w->u.window.nkeys, 2);
    CHECK_INT(w->u.window.keys[0], 1); /* merchant, then card: GROUP BY order */
    CHECK_INT(w->u.window.keys[1], 0);
    CHECK_INT(w->u.window.naggs, 1);
    CHECK_INT(w->input->kind, VG_REL_PROJECT); /* WHERE, below the windows */
    CHECK(w->input->u.project.filter != NULL);
    CHECK(w->input->input == vg_binder_find(binder, "p"));
    /* the select list reads window_end, merchant, the count and window_time */
    CHECK_INT(vg_expr_column_slot(r->u.project.exprs[0]), 1);
    CHECK_INT(vg_expr_column_slot(r->u.project.exprs[1]), 3);
    CHECK_INT(vg_expr_column_slot(r->u.project.exprs[2]), 5);
    CHECK_INT(vg_expr_column_slot(r->u.project.exprs[3]), 2);
    /* SESSION: its sessions are per GROUP BY key; no key, one session stream */
    r = bind("SELECT SESSION_START(ts, INTERVAL '1' HOUR) AS s FROM p "
             "GROUP BY SESSION(ts, INTERVAL '1' HOUR)",
             &err);
    CHECK_STR(r ? "" : err.msg, "");
    CHECK_INT(r ? (int)r->input->u.window.spec.kind : -1, VG_WINDOW_SESSION);
    CHECK_INT(r ? r->input->u.window.spec.size : -1, 3600000);
    CHECK_INT(r ? (int)r->input->u.window.nkeys : -1, 0);
    CHECK_STR(schema_text(r), "s TIMESTAMP(3)");
    /* TUMBLE over a subquery; lower-case names */
    r = bind("select tumble_start(t, interval '1' day) as d, sum(a) as s "
             "from (select amount as a, ts as t from p) group by tumble(t, interval '1' day)",
             &err);
    CHECK_STR(r ? "" : err.msg, "");
    CHECK_INT(r ? (int)r->input->u.window.spec.kind : -1, VG_WINDOW_TUMBLE);
    CHECK_INT(r ? r->input->u.window.spec.step : -1, 86400000);
    CHECK_INT(r ? r->input->u.window.time_col : -1, 1);
    CHECK_STR(schema_text(r), "d TIMESTAMP(3), s DOUBLE");
}

/* TUMBLE_ROWTIME is a time attribute (a window TVF or group window can
 * read it); TUMBLE_START and TUMBLE_END are plain TIMESTAMPs. */
static void test_time_attribute(void)
{
    vg_error err;
    vg_rel *r = bind("CREATE VIEW per_min AS SELECT card, TUMBLE_ROWTIME(ts, INTERVAL '1' MINUTE) "
                     "AS rt, TUMBLE_END(ts, INTERVAL '1' MINUTE) AS e, COUNT(*) AS n FROM p "
                     "GROUP BY TUMBLE(ts, INTERVAL '1' MINUTE), card;\n"
                     "SELECT TUMBLE_END(rt, INTERVAL '1' HOUR) AS h, SUM(n) AS total "
                     "FROM per_min GROUP BY TUMBLE(rt, INTERVAL '1' HOUR)",
                     &err);
    CHECK_STR(r ? "" : err.msg, "");
    CHECK_INT(r ? r->input->u.window.time_col : -1, 1);
    r = bind("SELECT window_start, SUM(n) AS total FROM TABLE(TUMBLE(TABLE per_min, "
             "DESCRIPTOR(rt), INTERVAL '1' HOUR)) GROUP BY window_start, window_end",
             &err);
    CHECK_STR(r ? "" : err.msg, "");
    r = bind("SELECT COUNT(*) FROM per_min GROUP BY TUMBLE(e, INTERVAL '1' HOUR)", &err);
    CHECK(r == NULL);
    CHECK_STR(err.msg, "the time attribute of TUMBLE must be the event-time column of "
                       "'per_min', which is 'rt'");
    CHECK_INT(err.col, 46);
    r = bind("CREATE VIEW ends AS SELECT TUMBLE_END(ts, INTERVAL '1' MINUTE) AS e, COUNT(*) AS n "
             "FROM p GROUP BY TUMBLE(ts, INTERVAL '1' MINUTE);\n"
             "SELECT COUNT(*) FROM ends GROUP BY TUMBLE(e, INTERVAL '1' HOUR)",
             &err);
    CHECK(r == NULL);
    CHECK_STR(err.msg, "TUMBLE needs an event-time column, and 'ends' has none (declare one "
                       "with WATERMARK FOR)");
    CHECK_INT(err.line, 2);
    CHECK_INT(err.col, 43);
}

/* ---- errors ---- */

typedef struct err_case {
    const char *sql; /* after the prelude */
    vg_errcode code;
    uint32_t line, col;
    const char *msg;
} err_case;

static const err_case err_cases[] = {
    {"SELECT COUNT(*) FROM p GROUP BY SESSION(ts, INTERVAL '1' MINUTE), "
     "HOP(ts, INTERVAL '1' MINUTE, INTERVAL '2' MINUTE)",
     VG_ERR_SEMANTIC, 3, 67, "GROUP BY can hold only one group window function"},
    {"SELECT COUNT(*) FROM p GROUP BY TUMBLE(t2, INTERVAL '1' MINUTE)", VG_ERR_SEMANTIC, 3, 40,
     "the time attribute of TUMBLE must be the event-time column of 'p', which is 'ts'"},
    {"SELECT COUNT(*) FROM p AS q GROUP BY TUMBLE(CAST(ts AS TIMESTAMP), INTERVAL '1' MINUTE)",
     VG_ERR_SEMANTIC, 3, 45,
     "the time attribute of TUMBLE must be the event-time column of 'q', which is 'ts'"},
    {"SELECT COUNT(*) FROM (SELECT card FROM p) GROUP BY TUMBLE(ts, INTERVAL '1' MINUTE)",
     VG_ERR_SEMANTIC, 3, 59,
     "TUMBLE needs an event-time column, and its input has none (declare one with WATERMARK "
     "FOR)"},
    {"SELECT COUNT(*) FROM p GROUP BY TUMBLE(tss, INTERVAL '1' MINUTE)", VG_ERR_NAME, 3, 40,
     "unknown column 'tss' (did you mean 'ts'?)"},
    {"SELECT COUNT(*) FROM p GROUP BY SESSION(ts)", VG_ERR_SEMANTIC, 3, 33,
     "SESSION in GROUP BY takes a time attribute and a gap, got 1 argument"},
    {"SELECT COUNT(*) FROM p GROUP BY TUMBLE(ts, INTERVAL '1' MINUTE, INTERVAL '1' SECOND)",
     VG_ERR_SEMANTIC, 3, 65,
     "TUMBLE in GROUP BY takes a time attribute and a size, got 3 arguments"},
    {"SELECT COUNT(*) FROM p GROUP BY TUMBLE(ts, INTERVAL '1' MINUTE) OVER (ORDER BY ts)",
     VG_ERR_SEMANTIC, 3, 33, "TUMBLE in GROUP BY takes no DISTINCT, FILTER or OVER"},
    {"SELECT COUNT(*) FROM p GROUP BY HOP(ts, INTERVAL '1' MINUTE, amount)", VG_ERR_NAME, 3, 62,
     "unknown column 'amount'"},
    {"SELECT COUNT(*) FROM p GROUP BY HOP(ts, INTERVAL '-1' MINUTE, INTERVAL '1' HOUR)",
     VG_ERR_SEMANTIC, 3, 41, "the slide of HOP must be positive, got -60000 ms"},
    {"SELECT COUNT(*) FROM p GROUP BY TUMBLE(ts, NULL)", VG_ERR_SEMANTIC, 3, 44,
     "the size of TUMBLE must not be NULL"},
    {"SELECT TUMBLE_START(ts, INTERVAL '1' MINUTE, INTERVAL '1' MINUTE) FROM p "
     "GROUP BY TUMBLE(ts, INTERVAL '1' MINUTE)",
     VG_ERR_SEMANTIC, 3, 8,
     "TUMBLE_START must have the same arguments as TUMBLE(ts, INTERVAL '1' MINUTE) in GROUP BY"},
    {"SELECT TUMBLE_START(ts, 1) FROM p GROUP BY TUMBLE(ts, INTERVAL '1' MINUTE)", VG_ERR_TYPE, 3,
     25, "the size of TUMBLE_START must be an INTERVAL, got INT"},
    {"SELECT TUMBLE_START(ts + INTERVAL '1' SECOND, INTERVAL '1' MINUTE) FROM p "
     "GROUP BY TUMBLE(ts, INTERVAL '1' MINUTE)",
     VG_ERR_SEMANTIC, 3, 21,
     "TUMBLE_START must have the same arguments as TUMBLE(ts, INTERVAL '1' MINUTE) in GROUP BY"},
    {"SELECT HOP_END(ts, INTERVAL '5' MINUTE, INTERVAL '1' MINUTE) FROM p "
     "GROUP BY HOP(ts, INTERVAL '1' MINUTE, INTERVAL '5' MINUTE)",
     VG_ERR_SEMANTIC, 3, 20,
     "HOP_END must have the same arguments as HOP(ts, INTERVAL '1' MINUTE, INTERVAL '5' MINUTE) "
     "in GROUP BY"},
    {"SELECT Tumble_End(ts, INTERVAL '1' MINUTE) FROM p GROUP BY SESSION(ts, INTERVAL '1' MINUTE)",
     VG_ERR_SEMANTIC, 3, 8,
     "Tumble_End needs a matching TUMBLE(...) in GROUP BY, which groups by SESSION(ts, INTERVAL "
     "'1' MINUTE)"},
    {"SELECT TUMBLE_END(ts, INTERVAL '1' MINUTE) FILTER (WHERE amount > 0) FROM p "
     "GROUP BY TUMBLE(ts, INTERVAL '1' MINUTE)",
     VG_ERR_SEMANTIC, 3, 58, "FILTER is only allowed on aggregate functions"},
    {"SELECT TUMBLE_END(DISTINCT ts, INTERVAL '1' MINUTE) FROM p "
     "GROUP BY TUMBLE(ts, INTERVAL '1' MINUTE)",
     VG_ERR_SEMANTIC, 3, 8,
     "TUMBLE_END must have the same arguments as TUMBLE(ts, INTERVAL '1' MINUTE) in GROUP BY"},
    {"SELECT SESSION_PROCTIME(ts, INTERVAL '1' MINUTE) FROM p", VG_ERR_SEMANTIC, 3, 8,
     "SESSION_PROCTIME is not supported: vigil has no processing time (SESSION_ROWTIME is the "
     "window's event time)"},
    {"SELECT card FROM p GROUP BY card HAVING MAX(ts) < HOP_END(ts, INTERVAL '1' MINUTE, "
     "INTERVAL '2' MINUTE)",
     VG_ERR_SEMANTIC, 3, 51, "HOP_END needs a matching HOP(...) in GROUP BY"},
    {"SELECT card FROM p WHERE TUMBLE_END(ts, INTERVAL '1' MINUTE) > ts", VG_ERR_SEMANTIC, 3, 26,
     "TUMBLE_END is only allowed in the select list and HAVING, not in WHERE"},
    {"SELECT card FROM p GROUP BY card, TUMBLE_END(ts, INTERVAL '1' MINUTE)", VG_ERR_SEMANTIC, 3,
     35, "TUMBLE_END is only allowed in the select list and HAVING, not in GROUP BY"},
    {"SELECT COUNT(*) FILTER (WHERE ts < TUMBLE_END(ts, INTERVAL '1' MINUTE)) FROM p "
     "GROUP BY TUMBLE(ts, INTERVAL '1' MINUTE)",
     VG_ERR_SEMANTIC, 3, 36, "TUMBLE_END cannot be used inside an aggregate"},
    {"SELECT COUNT(*) FROM p GROUP BY TUMBLE(ts, INTERVAL '1' MINUTE), "
     "UPPER(TUMBLE_END(ts, INTERVAL '1' MINUTE))",
     VG_ERR_SEMANTIC, 3, 72,
     "TUMBLE_END is only allowed in the select list and HAVING, not in GROUP BY"},
    {"SELECT COUNT(*) FROM p GROUP BY card HAVING HOP(ts, INTERVAL '1' MINUTE, INTERVAL '1' HOUR) "
     "IS NULL",
     VG_ERR_SEMANTIC, 3, 45,
     "HOP is a group window function: it can only be an item of GROUP BY (HOP_START and HOP_END "
     "select its window)"},
    {"SELECT COUNT(*) FROM p GROUP BY card, CAST(SESSION(ts, INTERVAL '1' HOUR) AS STRING)",
     VG_ERR_SEMANTIC, 3, 44,
     "SESSION is a group window function: it can only be an item of GROUP BY (SESSION_START and "
     "SESSION_END select its window)"},
    {"SELECT COUNT(*) FROM p GROUP BY TUMBLE(SESSION(ts, INTERVAL '1' HOUR), INTERVAL '1' HOUR)",
     VG_ERR_SEMANTIC, 3, 40,
     "SESSION is a group window function: it can only be an item of GROUP BY (SESSION_START and "
     "SESSION_END select its window)"},
    {"SELECT window_end FROM p GROUP BY SESSION(ts, INTERVAL '1' HOUR)", VG_ERR_NAME, 3, 8,
     "unknown column 'window_end' (a query grouped by SESSION(...) reads its window with "
     "SESSION_END(...))"},
    {"SELECT COUNT(*) FROM p GROUP BY TUMBLE(ts, INTERVAL '1' MINUTE), window_time", VG_ERR_NAME, 3,
     66,
     "unknown column 'window_time' (a query grouped by TUMBLE(...) reads its window with "
     "TUMBLE_ROWTIME(...))"},
    {"SELECT COUNT(*) FROM (SELECT card AS window_start, ts FROM p) "
     "GROUP BY TUMBLE(ts, INTERVAL '1' MINUTE), window_start",
     VG_ERR_NAME, 3, 105,
     "cannot group by 'window_start' beside TUMBLE(...), whose window aggregate has a column of "
     "that name (rename it in a view or subquery)"},
    {"SELECT window_start, COUNT(*) FROM (SELECT card AS window_start, ts FROM p) "
     "GROUP BY TUMBLE(ts, INTERVAL '1' MINUTE)",
     VG_ERR_SEMANTIC, 3, 8,
     "column 'window_start' is not being grouped: add it to GROUP BY or use it in an aggregate"},
    {"SELECT COUNT(*) FROM p GROUP BY TUMBLE(ts, INTERVAL '1' MINUTE), UPPER(card)",
     VG_ERR_SEMANTIC, 3, 66,
     "GROUP BY expects a column (grouping by an expression is not supported yet)"},
    {"SELECT card, COUNT(*) AS n, card AS n FROM p GROUP BY TUMBLE(ts, INTERVAL '1' MINUTE), card",
     VG_ERR_NAME, 3, 37, "duplicate output column 'n'"},
    {"SELECT COUNT(*) FROM TABLE(SESSION(TABLE p PARTITION BY card, DESCRIPTOR(ts), "
     "INTERVAL '1' MINUTE)) GROUP BY SESSION(ts, INTERVAL '1' MINUTE)",
     VG_ERR_SEMANTIC, 3, 110,
     "SESSION in GROUP BY cannot be used over a window TVF (group by its window_start, "
     "window_end instead)"},
    {"SELECT COUNT(*) FROM (SELECT DISTINCT card, ts FROM p) "
     "GROUP BY TUMBLE(ts, INTERVAL '1' MINUTE)",
     VG_ERR_SEMANTIC, 3, 65,
     "TUMBLE cannot group its input, which is an updating table (group windows need an "
     "append-only input)"},
};

static void test_errors(void)
{
    for (size_t i = 0; i < sizeof err_cases / sizeof err_cases[0]; i++) {
        const err_case *ec = &err_cases[i];
        vg_arena *a;
        vg_error err;
        check_current = ec->sql;
        vg_plan *p = plan_of(ec->sql, &a, &err);
        CHECK(p == NULL);
        CHECK_INT(err.code, ec->code);
        CHECK_INT(err.line, ec->line);
        CHECK_INT(err.col, ec->col);
        CHECK_STR(err.msg, ec->msg);
        vg_plan_free(p);
        vg_arena_free(a);
    }
    check_current = "test_errors";
}

/* Bind stmts in a fresh binder whose arena has tiny chunks (so that
 * nearly every allocation of the binder is a call that can fail), with
 * the kth allocation and all after it failing. 0, or -1 with *err set. */
static int bind_failing(const vg_ast_stmt *stmts, uint32_t n, uint64_t k, vg_error *err)
{
    vg_arena *a = vg_arena_new(VG_MEM_SQL, 64);
    vg_expr_pool *pool = a ? vg_expr_pool_new(a) : NULL;
    vg_binder *b = pool ? vg_binder_new(pool) : NULL;
    int rc = b ? 0 : -1;
    vg_alloc_fail_at(k, 1);
    for (uint32_t i = 0; rc == 0 && i < n; i++) {
        vg_bound_stmt bs;
        rc = vg_binder_bind(b, &stmts[i], &bs, err);
    }
    vg_alloc_fail_at(0, 0);
    if (pool)
        vg_expr_pool_release(pool);
    vg_arena_free(a);
    return rc;
}

/* Allocation failures anywhere in binding group windows give a clean out
 * of memory; with enough allocations binding reaches the last statement's
 * error. */
static void test_alloc_failures(void)
{
    const char *sql = "CREATE VIEW v AS SELECT card, HOP_ROWTIME(ts, INTERVAL '1' MINUTE, "
                      "INTERVAL '2' MINUTE) AS rt, HOP_START(ts, INTERVAL '1' MINUTE, "
                      "INTERVAL '2' MINUTE) AS s, COUNT(*) AS n FROM p WHERE amount > 0 "
                      "GROUP BY HOP(ts, INTERVAL '1' MINUTE, INTERVAL '2' MINUTE), card "
                      "HAVING SUM(amount) > 1;\n"
                      "SELECT SESSION_END(rt, INTERVAL '1' HOUR), MAX(n) FROM v "
                      "GROUP BY SESSION(rt, INTERVAL '1' HOUR);\n"
                      "SELECT TUMBLE_START(ts, INTERVAL '1' DAY) FROM p "
                      "GROUP BY TUMBLE(ts, INTERVAL '1' HOUR)";
    vg_arena *a = vg_arena_new(VG_MEM_SQL, 4096);
    char *text = vg_arena_printf(a, "%s%s", prelude, sql);
    vg_source src = {"t.sql", text, (uint32_t)strlen(text)};
    vg_ast_stmt *stmts;
    uint32_t n;
    vg_error err;
    vg_error_clear(&err);
    CHECK_INT(vg_parse(&src, a, &stmts, &n, &err), 0);
    int nomem = 0, done = 0;
    for (uint64_t k = 1; k < 5000 && !done; k++) {
        vg_error_clear(&err);
        CHECK_INT(bind_failing(stmts, n, k, &err), -1);
        if (err.code == VG_ERR_NOMEM) {
            nomem++;
            continue;
        }
        CHECK_STR(err.msg, "TUMBLE_START must have the same arguments as TUMBLE(ts, INTERVAL "
                           "'1' HOUR) in GROUP BY");
        done = 1;
    }
    CHECK(nomem > 100);
    CHECK_INT(done, 1);
    vg_arena_free(a);
}

int main(void)
{
    RUN(test_same_plan);
    arena = vg_arena_new(VG_MEM_SQL, 4096);
    vg_expr_pool *pool = vg_expr_pool_new(arena);
    binder = vg_binder_new(pool);
    vg_error err;
    CHECK(bind(prelude, &err) != NULL);
    RUN(test_relation);
    RUN(test_time_attribute);
    RUN(test_errors);
    RUN(test_alloc_failures);
    vg_expr_pool_release(pool);
    vg_arena_free(arena);
    return CHECK_DONE();
}
