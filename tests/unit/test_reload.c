/*
 * test_reload.c — reload (engine/reload.h): the state plan of each kind of
 * change, and the values after the swap.
 *
 * Each test runs plan A over the first events of a log, reloads to plan B
 * between batches, and runs B over the rest. Where B's operators keep or
 * rebuild their state, the rows after the swap must be exactly those of B
 * run over the whole log from the start: a window that gains an aggregate
 * computes it from the rows it holds, one that changes size within them
 * too, and an operator downstream of a change that reads the same rows
 * goes on as it was. The state plan is checked line by line, the JSON
 * once, refusals (no confirmation, a plan that does not compile, a new
 * stream) with their exact messages, and every allocation of a reload made
 * to fail in turn changes nothing.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/dag.h"
#include "engine/op_source.h"
#include "engine/pipeline.h"
#include "engine/reload.h"
#include "tests/unit/check.h"

static vg_arena *arena;
static char dir[64];

/* ---- files ---- */

static const char stream_sql[] =
    "CREATE STREAM s (k STRING, x BIGINT, ts TIMESTAMP(3), WATERMARK FOR ts AS ts);\n";

/* dir/name holding the stream and sql; its path. */
static const char *sql_file(const char *name, const char *sql)
{
    const char *path = vg_arena_printf(arena, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    fprintf(f, "%s%s", stream_sql, sql);
    fclose(f);
    return path;
}

/* ---- an engine: a pipeline and its DAG ---- */

typedef struct eng {
    vg_pipeline *pipe; /* owns the plan that runs */
    vg_dag *dag;
} eng;

static bool eng_open(eng *e, const char *path)
{
    vg_error err;
    vg_error_clear(&err);
    memset(e, 0, sizeof *e);
    if ((e->pipe = vg_pipeline_load(path, &err)) &&
        (e->dag = vg_dag_open(vg_pipeline_plan(e->pipe), &err)))
        return true;
    fprintf(stderr, "%s\n", err.msg);
    vg_pipeline_free(e->pipe);
    return false;
}

static void eng_close(eng *e)
{
    vg_dag_close(e->dag);
    vg_pipeline_free(e->pipe);
}

/* Event i of the log: three keys, values with repeats, 250 ms apart. */
static void event(eng *e, uint32_t i)
{
    static const char *const keys[] = {"a", "b", "c"};
    const char *k = keys[i % 3];
    vg_value row[3] = {vg_str(k, 1), vg_int((int64_t)((i * 7) % 11) - 3),
                       vg_int(1000 + 250 * (int64_t)i)};
    vg_dag_push(e->dag, 0, row);
}

/* Events [from, to), in batches of 4 (the watermark moves after each). */
static void feed(eng *e, uint32_t from, uint32_t to)
{
    for (uint32_t i = from; i < to; i++) {
        event(e, i);
        if (i % 4 == 3 || i + 1 == to) {
            vg_dag_watermark(e->dag, vg_op_source_watermark(vg_dag_source(e->dag, 0)));
            vg_dag_end_batch(e->dag);
        }
    }
}

/* What sink `name` holds (forgotten); "(none)" without such a sink. */
static const char *take(eng *e, const char *name)
{
    for (uint32_t i = 0; i < vg_dag_nchannels(e->dag); i++) {
        vg_channel *ch = vg_dag_channel(e->dag, i);
        if (strcmp(ch->name, name) != 0)
            continue;
        const char *s = vg_arena_strndup(arena, ch->buf.len ? ch->buf.p : "", ch->buf.len);
        vg_buf_clear(&ch->buf);
        return s;
    }
    return "(none)";
}

static uint64_t rows_of(eng *e, const char *name)
{
    for (uint32_t i = 0; i < vg_dag_nchannels(e->dag); i++)
        if (strcmp(vg_dag_channel(e->dag, i)->name, name) == 0)
            return vg_dag_channel(e->dag, i)->rows;
    return UINT64_MAX;
}

/* Forget what every sink holds. */
static void drain(eng *e)
{
    for (uint32_t i = 0; i < vg_dag_nchannels(e->dag); i++)
        vg_buf_clear(&vg_dag_channel(e->dag, i)->buf);
}

/* ---- reloading ---- */

static vg_reload *prepare(eng *e, const char *path, vg_error *err)
{
    vg_error_clear(err);
    vg_reload_opts o = {.running = vg_pipeline_plan(e->pipe), .path = path};
    return vg_reload_prepare(&o, err);
}

/* The state plan as text. */
static const char *plan_text(const vg_reload_report *rp)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    vg_reload_report_print(rp, "", f);
    fclose(f);
    const char *s = vg_arena_strndup(arena, buf, len);
    free(buf);
    return s;
}

/* Apply r to e and swap the new DAG in: whether it did. r is freed. */
static bool swap(eng *e, vg_reload *r)
{
    vg_error err;
    vg_error_clear(&err);
    vg_dag *d;
    if (vg_reload_apply(r, e->dag, &d, &err) < 0) {
        fprintf(stderr, "apply: %s\n", err.msg);
        vg_reload_free(r);
        return false;
    }
    vg_dag_close(e->dag);
    vg_pipeline_free(e->pipe);
    e->dag = d;
    e->pipe = vg_reload_take_pipeline(r);
    vg_reload_free(r);
    return true;
}

/* Run A over events [0, at), reload to B and run it over [at, n): the
 * state plan (*plan), and sink's rows after the swap. NULL on failure. */
static const char *reloaded(const char *a, const char *b, uint32_t at, uint32_t n, const char *sink,
                            const char **plan)
{
    eng e;
    vg_error err;
    if (!eng_open(&e, a))
        return NULL;
    feed(&e, 0, at);
    drain(&e);
    vg_reload *r = prepare(&e, b, &err);
    if (!r) {
        fprintf(stderr, "prepare: %s\n", err.msg);
        eng_close(&e);
        return NULL;
    }
    *plan = plan_text(vg_reload_report_of(r));
    const char *got = NULL;
    if (swap(&e, r)) {
        feed(&e, at, n);
        got = take(&e, sink);
    }
    eng_close(&e);
    return got;
}

/* B run from the start over [0, n): sink's rows of events [at, n). */
static const char *fresh(const char *b, uint32_t at, uint32_t n, const char *sink)
{
    eng e;
    if (!eng_open(&e, b))
        return NULL;
    feed(&e, 0, at);
    drain(&e);
    feed(&e, at, n);
    const char *got = take(&e, sink);
    eng_close(&e);
    return got;
}

/* ---- the kinds of change ---- */

#define WIN(name, range)                                                                           \
    " " name " AS (PARTITION BY k ORDER BY ts RANGE BETWEEN INTERVAL '" range "' SECOND"           \
    " PRECEDING AND CURRENT ROW)"

static const char feat_a[] =
    "CREATE VIEW f AS SELECT k, x, ts, COUNT(*) OVER w AS n, MIN(x) OVER w AS lo FROM s\n"
    "  WINDOW" WIN("w", "20") ";\n"
                              "INSERT INTO out SELECT * FROM f;\n";

/* A window gains aggregates (one a SMALL one past OVER_SMALL rows, one a
 * DISTINCT): rebuilt, and after the swap exactly B's values. */
static void test_add_feature(void)
{
    const char *a = sql_file("feat_a.sql", feat_a);
    const char *b = sql_file(
        "feat_b.sql", "CREATE VIEW f AS SELECT k, x, ts, COUNT(*) OVER w AS n, MIN(x) OVER w "
                      "AS lo, SUM(x) OVER w AS sx, MAX(x) OVER w AS hi,\n"
                      "  COUNT(DISTINCT x) OVER w AS dx FROM s WINDOW" WIN(
                          "w", "20") ";\n"
                                     "INSERT INTO out SELECT * FROM f;\n");
    const char *plan = NULL, *want = fresh(b, 200, 400, "out");
    const char *got = reloaded(a, b, 200, 400, "out", &plan);
    CHECK_STR(plan, "kept     source s\n"
                    "rebuilt  over f: computes sx, hi, dx from the rows held\n"
                    "kept     sink out\n");
    CHECK(want && strlen(want) > 1000);
    CHECK_STR(got, want);
}

/* The first of two chained windows gains an aggregate: the second reads the
 * same rows and columns, so it carries its state whole. */
static void test_chain(void)
{
    const char *a = sql_file(
        "chain_a.sql",
        "CREATE VIEW f AS SELECT k, x, ts, COUNT(*) OVER w AS n,\n"
        "  MAX(x) OVER w AS hi, SUM(x) OVER v AS sv FROM s\n"
        "  WINDOW" WIN("w", "5") ", v AS (PARTITION BY x ORDER BY ts RANGE "
                                 "BETWEEN INTERVAL '30' SECOND PRECEDING AND CURRENT ROW);\n"
                                 "INSERT INTO out SELECT * FROM f;\n");
    const char *b = sql_file(
        "chain_b.sql",
        "CREATE VIEW f AS SELECT k, x, ts, COUNT(*) OVER w AS n,\n"
        "  MAX(x) OVER w AS hi, AVG(x) OVER w AS ax, SUM(x) OVER v AS sv FROM s\n"
        "  WINDOW" WIN("w", "5") ", v AS (PARTITION BY x ORDER BY ts RANGE "
                                 "BETWEEN INTERVAL '30' SECOND PRECEDING AND CURRENT ROW);\n"
                                 "INSERT INTO out SELECT * FROM f;\n");
    const char *plan = NULL, *want = fresh(b, 120, 300, "out");
    CHECK_STR(reloaded(a, b, 120, 300, "out", &plan), want);
    CHECK_STR(plan, "kept     source s\n"
                    "rebuilt  over f_by_k: computes ax from the rows held\n"
                    "rebuilt  over f_by_x: carries every aggregate as it was (its input changed "
                    "shape)\n"
                    "kept     sink out\n");
}

/* A window shrinks within the rows held (rebuilt, exact), or grows past
 * them (empty: the rows it would need are gone). */
static void test_window_size(void)
{
    const char *a = sql_file("size_a.sql", feat_a);
    const char *b = sql_file(
        "size_b.sql", "CREATE VIEW f AS SELECT k, x, ts, COUNT(*) OVER w AS n, MIN(x) OVER w "
                      "AS lo FROM s\n  WINDOW" WIN("w", "12") ";\n"
                                                              "INSERT INTO out SELECT * FROM f;\n");
    const char *plan = NULL, *want = fresh(b, 160, 320, "out");
    CHECK_STR(reloaded(a, b, 160, 320, "out", &plan), want);
    CHECK_STR(plan, "kept     source s\n"
                    "rebuilt  over f: computes n, lo from the rows held; 2 aggregates dropped\n"
                    "kept     sink out\n");
    const char *c =
        sql_file("size_c.sql", "CREATE VIEW f AS SELECT k, x, ts, COUNT(*) OVER w AS n FROM s\n"
                               "  WINDOW" WIN("w", "60") ";\n"
                                                         "INSERT INTO out SELECT * FROM f;\n");
    CHECK(reloaded(a, c, 160, 320, "out", &plan) != NULL);
    CHECK_STR(plan, "kept     source s\n"
                    "empty    over f: n over RANGE 1m needs more rows than the running window "
                    "holds (the rows of RANGE 20s)\n"
                    "dropped  over f: replaced by a new definition, which starts empty\n"
                    "kept     sink out\n");
}

static const char group_a[] =
    "CREATE VIEW pos AS SELECT * FROM s WHERE x > 0;\n"
    "INSERT INTO totals SELECT k, COUNT(*) AS c, SUM(x) AS t FROM pos GROUP BY k;\n"
    "CREATE VIEW f AS SELECT k, x, ts, COUNT(*) OVER w AS n FROM s WINDOW" WIN(
        "w", "5") ";\n"
                  "INSERT INTO out SELECT * FROM f;\n";

/* A filter changes: the GROUP BY after it starts empty (its state is
 * dropped), the window beside it is kept and goes on exactly. */
static void test_filter(void)
{
    const char *a = sql_file("filter_a.sql", group_a);
    const char *b =
        sql_file("filter_b.sql", "CREATE VIEW pos AS SELECT * FROM s WHERE x > 2;\n"
                                 "INSERT INTO totals SELECT k, COUNT(*) AS c, SUM(x) AS t FROM pos "
                                 "GROUP BY k;\n"
                                 "CREATE VIEW f AS SELECT k, x, ts, COUNT(*) OVER w AS n FROM s "
                                 "WINDOW" WIN("w", "5") ";\n"
                                                        "INSERT INTO out SELECT * FROM f;\n");
    const char *plan = NULL, *want = fresh(b, 100, 200, "out");
    CHECK_STR(reloaded(a, b, 100, 200, "out", &plan), want);
    CHECK_STR(plan, "kept     source s\n"
                    "empty    group group_2 (totals): its input changed\n"
                    "kept     over f\n"
                    "dropped  group group_2 (totals): replaced by a new definition, which starts "
                    "empty\n"
                    "kept     sink totals\n"
                    "kept     sink out\n");
    /* the group starts empty: its first change after the swap counts 1 */
    CHECK_STR(reloaded(a, b, 100, 104, "totals", &plan),
              "{\"op\":\"+I\",\"k\":\"b\",\"c\":1,\"t\":4}\n"
              "{\"op\":\"+I\",\"k\":\"a\",\"c\":1,\"t\":7}\n"
              "{\"op\":\"-U\",\"k\":\"b\",\"c\":1,\"t\":4}\n"
              "{\"op\":\"+U\",\"k\":\"b\",\"c\":2,\"t\":7}\n");
}

/* A view goes: its state is dropped, its sink no longer written; without
 * confirmation the reload is refused with the list of what would be lost. */
static void test_remove_view(void)
{
    const char *a = sql_file("remove_a.sql", group_a);
    const char *b =
        sql_file("remove_b.sql", "CREATE VIEW f AS SELECT k, x, ts, COUNT(*) OVER w AS n FROM s "
                                 "WINDOW" WIN("w", "5") ";\n"
                                                        "INSERT INTO out SELECT * FROM f;\n");
    eng e;
    vg_error err;
    CHECK(eng_open(&e, a));
    feed(&e, 0, 40);
    drain(&e);
    vg_reload *r = prepare(&e, b, &err);
    CHECK(r != NULL);
    const vg_reload_report *rp = vg_reload_report_of(r);
    CHECK_STR(plan_text(rp), "kept     source s\n"
                             "kept     over f\n"
                             "dropped  group group_2 (totals): no longer in the plan\n"
                             "kept     sink out\n"
                             "dropped  sink totals: no longer written\n");
    CHECK_INT(rp->lost, 1);
    vg_reload_answer ans = {.report = NULL};
    vg_error_clear(&ans.err);
    CHECK_INT(vg_reload_decide(r, &(vg_reload_request){.confirm = false}, &ans),
              VG_RELOAD_UNCONFIRMED);
    CHECK_STR(ans.err.msg, "this reload drops the state of 1 operator (group group_2 (totals)): "
                           "confirm it to apply it");
    vg_error_clear(&ans.err);
    CHECK_INT(vg_reload_decide(r, &(vg_reload_request){.dry_run = true}, &ans), VG_RELOAD_DRY_RUN);
    CHECK_INT(vg_reload_decide(r, &(vg_reload_request){.confirm = true}, &ans), VG_RELOAD_APPLIED);
    uint64_t before = rows_of(&e, "out");
    CHECK(swap(&e, r));
    CHECK_INT(rows_of(&e, "out"), before);
    CHECK_INT(rows_of(&e, "totals"), UINT64_MAX);
    eng_close(&e);
}

/* A sink is added: it starts at 0 rows, everything else is kept. */
static void test_add_sink(void)
{
    const char *a = sql_file("sink_a.sql", group_a);
    const char *b = sql_file("sink_b.sql", vg_arena_printf(arena, "%s%s", group_a,
                                                           "INSERT INTO big SELECT k, x, ts FROM s "
                                                           "WHERE x >= 6;\n"));
    eng e;
    vg_error err;
    CHECK(eng_open(&e, a));
    feed(&e, 0, 40);
    drain(&e);
    uint64_t totals = rows_of(&e, "totals");
    vg_reload *r = prepare(&e, b, &err);
    CHECK(r != NULL);
    CHECK_STR(plan_text(vg_reload_report_of(r)), "kept     source s\n"
                                                 "kept     group group_2 (totals)\n"
                                                 "kept     over f\n"
                                                 "kept     sink totals\n"
                                                 "kept     sink out\n"
                                                 "empty    sink big: new\n");
    CHECK_INT(vg_reload_report_of(r)->lost, 0);
    CHECK(swap(&e, r));
    CHECK_INT(rows_of(&e, "totals"), totals);
    CHECK_INT(rows_of(&e, "big"), 0);
    feed(&e, 40, 48);
    CHECK_STR(take(&e, "big"), "{\"k\":\"c\",\"x\":7,\"ts\":\"1970-01-01T00:00:12.750Z\"}\n");
    eng_close(&e);
}

/* The JSON of a state plan. */
static void test_json(void)
{
    const char *a = sql_file("json_a.sql", group_a);
    const char *b =
        sql_file("json_b.sql", "CREATE VIEW f AS SELECT k, x, ts, COUNT(*) OVER w AS n FROM s "
                               "WINDOW" WIN("w", "5") ";\n"
                                                      "INSERT INTO out SELECT * FROM f;\n");
    eng e;
    vg_error err;
    CHECK(eng_open(&e, a));
    vg_reload *r = prepare(&e, b, &err);
    vg_reload_report *rp = vg_reload_take_report(r);
    vg_buf j;
    vg_buf_init(&j, VG_MEM_OTHER);
    CHECK(vg_reload_report_json(rp, &j) == 0);
    const char *s = vg_buf_cstr(&j);
    const char *ops = strstr(s, ",\"kept\":");
    vg_fp fa[16], fb[16];
    char h[3][VG_FP_HEX];
    CHECK(vg_plan_fingerprint(vg_pipeline_plan(e.pipe), NULL, fa, &err) == 0);
    CHECK(vg_plan_fingerprint(vg_reload_plan(r), NULL, fb, &err) == 0);
    vg_plan_fp_format(fb[0], h[0]);
    vg_plan_fp_format(fb[1], h[1]);
    vg_plan_fp_format(fa[2], h[2]);
    CHECK(strncmp(s, "\"path\":\"", 8) == 0);
    CHECK_STR(ops,
              vg_arena_printf(arena,
                              ",\"kept\":2,\"rebuilt\":0,\"empty\":0,\"dropped\":1,\"operators\":["
                              "{\"action\":\"kept\",\"kind\":\"source\",\"name\":\"s\",\"node\":0,"
                              "\"from\":0,\"fingerprint\":\"%s\",\"why\":\"\"},"
                              "{\"action\":\"kept\",\"kind\":\"over\",\"name\":\"f\",\"node\":1,"
                              "\"from\":4,\"fingerprint\":\"%s\",\"why\":\"\"},"
                              "{\"action\":\"dropped\",\"kind\":\"group\",\"name\":\"group_2 "
                              "(totals)\",\"node\":null,\"from\":2,\"fingerprint\":\"%s\","
                              "\"why\":\"no longer in the plan\"},"
                              "{\"action\":\"kept\",\"kind\":\"sink\",\"name\":\"out\",\"node\":3,"
                              "\"from\":null,\"fingerprint\":null,\"why\":\"\"},"
                              "{\"action\":\"dropped\",\"kind\":\"sink\",\"name\":\"totals\","
                              "\"node\":null,\"from\":3,\"fingerprint\":null,"
                              "\"why\":\"no longer written\"}]",
                              h[0], h[1], h[2]));
    vg_buf_free(&j);
    vg_reload_report_free(rp);
    vg_reload_free(r);
    eng_close(&e);
}

/* An UNBOUNDED window that gains an aggregate cannot be rebuilt; one that
 * keeps its aggregates beside a new bounded window can. */
static void test_unbounded(void)
{
    const char *a =
        sql_file("unb_a.sql", "CREATE VIEW f AS SELECT k, x, ts, SUM(x) OVER (PARTITION BY k "
                              "ORDER BY ts RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) "
                              "AS total,\n  COUNT(*) OVER w AS n FROM s WINDOW" WIN(
                                  "w", "10") ";\n"
                                             "INSERT INTO out SELECT * FROM f;\n");
    const char *b =
        sql_file("unb_b.sql", "CREATE VIEW f AS SELECT k, x, ts, SUM(x) OVER (PARTITION BY k "
                              "ORDER BY ts RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) "
                              "AS total,\n  COUNT(*) OVER w AS n, MAX(x) OVER w AS hi FROM s "
                              "WINDOW" WIN("w", "10") ";\n"
                                                      "INSERT INTO out SELECT * FROM f;\n");
    const char *plan = NULL, *want = fresh(b, 100, 200, "out");
    CHECK_STR(reloaded(a, b, 100, 200, "out", &plan), want);
    CHECK_STR(plan, "kept     source s\n"
                    "rebuilt  over f: computes hi from the rows held\n"
                    "kept     sink out\n");
    const char *c =
        sql_file("unb_c.sql",
                 "CREATE VIEW f AS SELECT k, x, ts, SUM(x) OVER u AS total, "
                 "COUNT(*) OVER u AS cnt, COUNT(*) OVER w AS n FROM s\n"
                 "  WINDOW u AS (PARTITION BY k ORDER BY ts RANGE BETWEEN UNBOUNDED "
                 "PRECEDING AND CURRENT ROW)," WIN("w", "10") ";\n"
                                                              "INSERT INTO out SELECT * FROM f;\n");
    CHECK(reloaded(a, c, 100, 200, "out", &plan) != NULL);
    CHECK_STR(plan, "kept     source s\n"
                    "empty    over f: cnt is new in an UNBOUNDED window: the rows it would count "
                    "are gone\n"
                    "dropped  over f: replaced by a new definition, which starts empty\n"
                    "kept     sink out\n");
}

#define ROWS(name, n)                                                                              \
    " " name " AS (PARTITION BY k ORDER BY ts ROWS BETWEEN " n " PRECEDING AND CURRENT ROW)"

/* ROWS windows and STRING values (short ones held inline in a record, long
 * ones interned): a ROWS window shrinks within the rows held and gains a
 * FIRST_VALUE and a COUNT(DISTINCT) of a string (rebuilt, exact); one that
 * grows past them starts empty. */
static void test_rows_strings(void)
{
    const char *a = sql_file(
        "rows_a.sql",
        "CREATE VIEW f AS SELECT k, x, ts, COUNT(*) OVER r AS n,\n"
        "  SUM(x) OVER r AS sx, MAX(k || '-a-long-suffix') OVER r AS hs,\n"
        "  MIN(k) OVER r AS lk FROM s WINDOW" ROWS("r", "6") ";\n"
                                                             "INSERT INTO out SELECT * FROM f;\n");
    const char *b =
        sql_file("rows_b.sql",
                 "CREATE VIEW f AS SELECT k, x, ts, COUNT(*) OVER r AS n,\n"
                 "  SUM(x) OVER r AS sx, FIRST_VALUE(k || '-a-long-suffix') OVER r AS fs,\n"
                 "  COUNT(DISTINCT k || '-a-long-suffix') OVER q AS dk,\n"
                 "  LAST_VALUE(k) OVER q AS lk FROM s\n"
                 "  WINDOW" ROWS("r", "4") "," ROWS("q", "6") ";\n"
                                                              "INSERT INTO out SELECT * FROM f;\n");
    const char *plan = NULL, *want = fresh(b, 90, 200, "out");
    CHECK_STR(reloaded(a, b, 90, 200, "out", &plan), want);
    CHECK_STR(plan, "kept     source s\n"
                    "rebuilt  over f: computes n, sx, fs, dk, lk from the rows held; 4 "
                    "aggregates dropped\n"
                    "kept     sink out\n");
    CHECK(want && strstr(want, "\"fs\":\"a-a-long-suffix\"") != NULL);
    const char *c =
        sql_file("rows_c.sql", "CREATE VIEW f AS SELECT k, x, ts, COUNT(*) OVER r AS n FROM s "
                               "WINDOW" ROWS("r", "9") ";\n"
                                                       "INSERT INTO out SELECT * FROM f;\n");
    CHECK(reloaded(a, c, 90, 200, "out", &plan) != NULL);
    CHECK_STR(plan, "kept     source s\n"
                    "empty    over f: n over ROWS 9 needs more rows than the running window holds "
                    "(the rows of ROWS 6)\n"
                    "dropped  over f: replaced by a new definition, which starts empty\n"
                    "kept     sink out\n");
}

/* A plan that does not compile changes nothing: the error with its
 * position, and A goes on as if nothing had been asked. So does one that
 * adds a stream. */
static void test_errors(void)
{
    const char *a = sql_file("err_a.sql", group_a);
    const char *b = sql_file("err_b.sql", "CREATE VIEW f AS SELECT k, xx FROM s;\n");
    const char *c = sql_file("err_c.sql", "CREATE STREAM t (k STRING, ts TIMESTAMP(3));\n"
                                          "INSERT INTO out SELECT k FROM t;\n");
    eng e, ref;
    vg_error err;
    CHECK(eng_open(&e, a) && eng_open(&ref, a));
    feed(&e, 0, 60);
    feed(&ref, 0, 60);
    CHECK(prepare(&e, b, &err) == NULL);
    CHECK_STR(err.msg, "unknown column 'xx' (did you mean 'x'?)");
    CHECK_INT(err.line, 2);
    CHECK_INT(err.col, 28);
    CHECK_STR(err.source_line, "CREATE VIEW f AS SELECT k, xx FROM s;");
    CHECK(strstr(err.file, "err_b.sql") != NULL);
    CHECK(prepare(&e, c, &err) == NULL);
    CHECK_STR(err.msg, "a reload cannot add a stream: 't' is new (restart the pipeline to read "
                       "it)");
    CHECK_INT(err.line, 2);
    CHECK(prepare(&e, "/nonexistent/x.sql", &err) == NULL);
    feed(&e, 60, 120);
    feed(&ref, 60, 120);
    CHECK_STR(take(&e, "out"), take(&ref, "out"));
    CHECK_STR(take(&e, "totals"), take(&ref, "totals"));
    eng_close(&e);
    eng_close(&ref);
}

/* Every allocation of a reload (prepare and apply) made to fail in turn: a
 * clean error and A unchanged, or a reload that worked; never a crash or a
 * leak (the sanitizers watch). */
static void test_alloc_failures(void)
{
    const char *a = sql_file(
        "fail_a.sql",
        "CREATE VIEW pos AS SELECT * FROM s WHERE x > 0;\n"
        "INSERT INTO totals SELECT k, COUNT(*) AS c, SUM(x) AS t FROM pos "
        "GROUP BY k;\n"
        "CREATE VIEW f AS SELECT k, x, ts, COUNT(*) OVER w AS n, "
        "SUM(x) OVER w AS sx FROM s WINDOW" WIN("w", "5") ";\n"
                                                          "INSERT INTO out SELECT * FROM f;\n");
    const char *b =
        sql_file("fail_b.sql", "CREATE VIEW pos AS SELECT * FROM s WHERE x > 0;\n"
                               "INSERT INTO totals SELECT k, COUNT(*) AS c, SUM(x) AS t FROM pos "
                               "GROUP BY k;\n"
                               "CREATE VIEW f AS SELECT k, x, ts, COUNT(*) OVER w AS n, "
                               "SUM(x) OVER w AS sx, MAX(x) OVER w AS hi FROM s WINDOW" WIN(
                                   "w", "5") ";\n"
                                             "INSERT INTO out SELECT * FROM f;\n");
    const char *want_a = fresh(a, 60, 80, "out"), *want_b = fresh(b, 60, 80, "out");
    int failed = 0, worked = 0, wrong = 0;
    bool done = false;
    for (uint64_t n = 1; n < 20000 && !done; n++) {
        eng e;
        vg_error err;
        if (!eng_open(&e, a))
            break;
        feed(&e, 0, 60);
        drain(&e);
        vg_alloc_fail_at(n, 0);
        vg_reload *r = prepare(&e, b, &err);
        vg_dag *d = NULL;
        bool ok = r && vg_reload_apply(r, e.dag, &d, &err) == 0;
        done = !vg_alloc_failed();
        vg_alloc_fail_at(0, 0);
        if (ok) {
            vg_dag_close(e.dag);
            vg_pipeline_free(e.pipe);
            e.dag = d;
            e.pipe = vg_reload_take_pipeline(r);
        }
        vg_reload_free(r);
        feed(&e, 60, 80);
        const char *got = take(&e, "out");
        if (strcmp(got, ok ? want_b : want_a) != 0) {
            wrong++;
            fprintf(stderr, "alloc %llu ok %d: %.300s\n", (unsigned long long)n, ok, got);
        }
        failed += !ok;
        worked += ok;
        eng_close(&e);
    }
    CHECK(done);
    CHECK(failed > 100);
    CHECK(worked >= 1);
    CHECK_INT(wrong, 0);
}

int main(void)
{
    arena = vg_arena_new(VG_MEM_OTHER, 1 << 16);
    snprintf(dir, sizeof dir, "/tmp/test_reload.XXXXXX");
    if (!mkdtemp(dir))
        return 1;
    RUN(test_add_feature);
    RUN(test_chain);
    RUN(test_window_size);
    RUN(test_filter);
    RUN(test_remove_view);
    RUN(test_add_sink);
    RUN(test_json);
    RUN(test_unbounded);
    RUN(test_rows_strings);
    RUN(test_errors);
    RUN(test_alloc_failures);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "cannot remove %s\n", dir);
    vg_arena_free(arena);
    return CHECK_DONE();
}
