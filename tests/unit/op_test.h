/*
 * op_test.h — what the stateful operator tests share (test_group.c,
 * test_rank.c, test_window.c): a pipeline planned from SQL over one stream
 * (k STRING, x BIGINT, ts; watermark = ts) and running in a real DAG, with
 * one-line operations on it (push a row, read and forget the sink, the
 * late rows so far, the operator of a plan node kind, EXPLAIN), and the
 * runs every stateful operator's tests make: a run restarted through
 * snapshot and restore, every truncation of a snapshot refused, and every
 * allocation failing in turn. Strings returned live in `arena`, which the
 * test's main makes and frees.
 */
#ifndef VG_OP_TEST_H
#define VG_OP_TEST_H

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/dag.h"
#include "sql/parser.h"
#include "sql/plan.h"
#include "tests/unit/check.h"

static vg_arena *arena;

/* One running pipeline: its plan, DAG, and the late rows it reported. */
typedef struct run {
    vg_plan *plan;
    vg_dag *dag;
    char late[1024]; /* "ts ts ..." of late rows */
} run;

/* An event of the stream. */
typedef struct ev {
    const char *k; /* NULL: a NULL key */
    int64_t x, ts;
} ev;

/* Push events from..to of a test's log into r the test's way (with its
 * watermarks); r's sink output. */
typedef const char *feed_fn(run *r, size_t from, size_t to);

static inline void on_late(void *arg, const vg_op *op, const vg_value *row, int64_t ts)
{
    (void)op, (void)row;
    run *r = arg;
    size_t n = strlen(r->late);
    snprintf(r->late + n, sizeof r->late - n, "%s%lld", n ? " " : "", (long long)ts);
}

/* The source text of the stream and sql, in the arena. */
static inline vg_source *source_of(const char *sql)
{
    static const char stream_sql[] =
        "CREATE STREAM s (k STRING, x BIGINT, ts TIMESTAMP(3), WATERMARK FOR ts AS ts);\n";
    vg_source *src = vg_arena_alloc(arena, sizeof *src);
    src->name = "op.sql";
    src->text = vg_arena_printf(arena, "%s%s", stream_sql, sql);
    src->len = (uint32_t)strlen(src->text);
    return src;
}

/* r's plan of src with every node's TTL ttl_ms (r zeroed first, no DAG).
 * 0 or -1 (err). */
static inline int plan_ttl(run *r, const vg_source *src, int64_t ttl_ms, vg_error *err)
{
    memset(r, 0, sizeof *r);
    vg_ast_stmt *stmts;
    uint32_t n;
    vg_error_clear(err);
    if (vg_parse(src, arena, &stmts, &n, err) < 0 || vg_plan_build(stmts, n, &r->plan, err) < 0)
        return -1;
    for (uint32_t i = 0; i < r->plan->nnodes; i++)
        r->plan->nodes[i]->ttl_ms = ttl_ms;
    return 0;
}

/* A DAG of r's plan, late rows recorded in r->late. NULL (err) on failure. */
static inline vg_dag *dag_open(run *r, vg_error *err)
{
    vg_dag *d = vg_dag_open(r->plan, err);
    if (d)
        vg_dag_on_late(d, on_late, r);
    return d;
}

/* plan_ttl and dag_open; on failure nothing is left open. 0 or -1 (err). */
static inline int run_open_ttl(run *r, const char *sql, int64_t ttl_ms, vg_error *err)
{
    if (plan_ttl(r, source_of(sql), ttl_ms, err) < 0)
        return -1;
    if (!(r->dag = dag_open(r, err))) {
        vg_plan_free(r->plan);
        return -1;
    }
    return 0;
}

static inline int run_open(run *r, const char *sql, vg_error *err)
{
    return run_open_ttl(r, sql, 0, err);
}

/* run_open_ttl with the error printed (the tests that want it call
 * run_open): whether it opened. */
static inline bool opened_ttl(run *r, const char *sql, int64_t ttl_ms)
{
    vg_error err;
    if (run_open_ttl(r, sql, ttl_ms, &err) == 0)
        return true;
    fprintf(stderr, "%s\n", err.msg);
    return false;
}

static inline bool opened(run *r, const char *sql) { return opened_ttl(r, sql, 0); }

static inline void run_close(run *r)
{
    vg_dag_close(r->dag);
    vg_plan_free(r->plan);
}

static inline void push(run *r, const char *k, int64_t x, int64_t ts)
{
    vg_value row[3] = {k ? vg_str(k, (uint32_t)strlen(k)) : vg_null(), vg_int(x), vg_int(ts)};
    vg_dag_push(r->dag, 0, row);
}

/* What the sink holds (and forget it). */
static inline const char *out(run *r)
{
    vg_buf *b = &vg_dag_channel(r->dag, 0)->buf;
    const char *s = vg_arena_strndup(arena, b->len ? b->p : "", b->len);
    vg_buf_clear(b);
    return s;
}

/* The running operator of the first plan node of kind k, or NULL. */
static inline vg_op *op_of(run *r, vg_plan_kind k)
{
    for (uint32_t i = 0; i < r->plan->nnodes; i++)
        if (r->plan->nodes[i]->kind == k)
            return vg_dag_op(r->dag, i);
    return NULL;
}

/* a then b; NULL when either is (an allocation of the test's own failed). */
static inline const char *cat(const char *a, const char *b)
{
    return a && b ? vg_arena_printf(arena, "%s%s", a, b) : NULL;
}

/* EXPLAIN (text) of sql's plan, or the error that stopped it. */
static inline const char *explain_of(const char *sql)
{
    run r;
    vg_error err;
    if (run_open(&r, sql, &err) < 0)
        return vg_arena_printf(arena, "%s", err.msg);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    int rc = vg_plan_explain(r.plan, VG_EXPLAIN_TEXT, f);
    fclose(f);
    const char *s = rc == 0 ? vg_arena_strndup(arena, buf, len) : "(failed)";
    free(buf);
    run_close(&r);
    return s;
}

/* ---- state ---- */

/* r's plan (plan_ttl, no DAG yet) run over events 0..n by feed, with a
 * snapshot after event `at` and a restore into a fresh DAG, late rows
 * recorded throughout. r->dag is left open (or NULL). The output, or NULL
 * when anything failed or reported an error. */
static inline const char *run_restarted(run *r, feed_fn *feed, size_t at, size_t n, vg_error *err)
{
    if (!(r->dag = dag_open(r, err)))
        return NULL;
    const char *got = feed(r, 0, at);
    vg_buf snap;
    vg_buf_init(&snap, VG_MEM_STATE);
    int rc = vg_dag_error(r->dag) ? -1 : vg_dag_snapshot(r->dag, &snap, err);
    vg_dag_close(r->dag);
    r->dag = rc == 0 ? dag_open(r, err) : NULL;
    if (r->dag && vg_dag_restore(r->dag, snap.p, snap.len, err) == 0)
        got = cat(got, feed(r, at, n));
    else
        got = NULL;
    vg_buf_free(&snap);
    return got && !vg_dag_error(r->dag) ? got : NULL;
}

/* For every `at` from 0 to n: sql (with every node's TTL ttl_ms) run with
 * a snapshot and restore after event `at` gives the uninterrupted run's
 * output and late rows. */
static inline void check_restarts(const char *sql, int64_t ttl_ms, feed_fn *feed, size_t n)
{
    run r;
    CHECK(opened_ttl(&r, sql, ttl_ms));
    const char *want = feed(&r, 0, n);
    const char *want_late = vg_arena_strndup(arena, r.late, strlen(r.late));
    run_close(&r);
    for (size_t at = 0; at <= n; at++) {
        vg_error err;
        CHECK(plan_ttl(&r, source_of(sql), ttl_ms, &err) == 0);
        CHECK_STR(run_restarted(&r, feed, at, n, &err), want);
        CHECK_STR(r.late, want_late);
        run_close(&r);
    }
}

/* The state of r's operator of kind k as its own snapshot bytes (a
 * buffer the caller frees). */
static inline vg_buf op_snapshot(run *r, vg_plan_kind k)
{
    vg_error err;
    vg_buf snap;
    vg_buf_init(&snap, VG_MEM_STATE);
    vg_op *op = op_of(r, k);
    CHECK(op && op->kind->snapshot(op, &snap, &err) == 0);
    return snap;
}

/* Every truncation of snap (0 to len - 1 bytes) is refused, with an
 * error, by the operator of kind k in a fresh run of sql. */
static inline void check_truncations(const char *sql, vg_plan_kind k, const vg_buf *snap)
{
    int refused = 0;
    for (size_t cut = 0; cut < snap->len; cut++) {
        run r;
        vg_error err;
        CHECK(opened(&r, sql));
        vg_op *op = op_of(&r, k);
        vg_error_clear(&err);
        refused += op->kind->restore(op, snap->p, cut, &err) < 0 && err.code == VG_ERR_RUNTIME;
        run_close(&r);
    }
    CHECK_INT(refused, snap->len);
}

/* Every allocation of planning, opening, rows, snapshot and restore (after
 * half the events) made to fail in turn: an error, or (a failure the
 * operator can live with, such as a hash table that stays small) the
 * uninterrupted run's output; never a crash or a leak. */
static inline void check_alloc_failures(const char *sql, feed_fn *feed, size_t n)
{
    run r;
    CHECK(opened(&r, sql));
    const char *want = feed(&r, 0, n);
    run_close(&r);
    const vg_source *src = source_of(sql);
    bool done = false;
    for (uint64_t fail = 1; fail < 50000 && !done; fail++) {
        vg_error err;
        vg_alloc_fail_at(fail, 0);
        if (plan_ttl(&r, src, 0, &err) < 0) {
            vg_alloc_fail_at(0, 0);
            CHECK_INT(err.code, VG_ERR_NOMEM);
            continue;
        }
        const char *got = run_restarted(&r, feed, n / 2, n, &err);
        done = !vg_alloc_failed();
        vg_alloc_fail_at(0, 0);
        CHECK(done ? got && strcmp(got, want) == 0 : !got || strcmp(got, want) == 0);
        if (getenv("DEBUG_ALLOC") && got && strcmp(got, want) != 0)
            fprintf(stderr, "fail=%llu\n%s---\n%s", (unsigned long long)fail, got, want);
        run_close(&r);
    }
    CHECK(done);
    CHECK_INT(vg_mem_in_use(VG_MEM_STATE), 0);
}

#endif
