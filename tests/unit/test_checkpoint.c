/*
 * test_checkpoint.c — checkpoints in the store: schema version 4 and the
 * migration from 1, each plan's SQL and each checkpoint's model and
 * ruleset versions (stored, pruned, read back, peeked at), write and load
 * round trips that continue a run
 * exactly (also taken, then committed later), a checkpoint after every
 * event, pruning and epochs, refusals (another pipeline, another plan,
 * damaged rows), operators that share a fingerprint, allocation failures.
 * I/O faults, crashes and power cuts are test_checkpoint_fault.c's.
 */
#include "tests/unit/ckpt_test.h"

/* ---- schema ---- */

static const char v1_schema[] =
    "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
    "INSERT INTO meta VALUES ('schema_version', '1');"
    "CREATE TABLE models (name TEXT NOT NULL, version INTEGER NOT NULL, type TEXT NOT NULL,"
    " path TEXT NOT NULL, sha256 TEXT NOT NULL, size INTEGER NOT NULL, input_schema TEXT,"
    " output_schema TEXT, loaded_at INTEGER NOT NULL, active INTEGER NOT NULL DEFAULT 0,"
    " shadow_of TEXT, PRIMARY KEY (name, version));"
    "CREATE TABLE rulesets (ruleset TEXT NOT NULL, version INTEGER NOT NULL,"
    " default_action TEXT NOT NULL, changed_by TEXT, changed_at INTEGER NOT NULL, source TEXT,"
    " active INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (ruleset, version));"
    "CREATE TABLE rules (ruleset TEXT NOT NULL, version INTEGER NOT NULL, rule_id TEXT NOT NULL,"
    " priority INTEGER NOT NULL, condition TEXT NOT NULL, action TEXT NOT NULL,"
    " mode TEXT NOT NULL CHECK (mode IN ('active', 'shadow')), enabled INTEGER NOT NULL,"
    " changed_by TEXT, changed_at INTEGER NOT NULL, PRIMARY KEY (ruleset, version, rule_id));"
    "INSERT INTO models VALUES ('m', 1, 'linear', 'm.json', 'ab', 3, NULL, NULL, 7, 1, NULL);";

static int count_model(const vg_model_rec *rec, void *arg)
{
    (*(int *)arg)++;
    CHECK_STR(rec->name, "m");
    CHECK_INT(rec->loaded_at, 7);
    return 0;
}

static void test_schema(void)
{
    const char *p = path_in_dir("new.db");
    vg_store *st = store_open(p);
    CHECK_INT(vg_store_schema_version(st), 4);
    CHECK_STR(vg_store_path(st), p);
    vg_store_close(st);
    CHECK_STR(raw_sql(p, "SELECT value FROM meta WHERE key = 'schema_version'"), "4");
    CHECK_STR(raw_sql(p, "SELECT group_concat(name, ' ') FROM (SELECT name FROM sqlite_master"
                         " WHERE type = 'table' AND name LIKE 'checkpoint%' ORDER BY name)"),
              "checkpoint_epochs checkpoint_offsets checkpoint_ops checkpoint_plans "
              "checkpoint_registry checkpoint_sinks checkpoints");

    /* a store of schema 1 is migrated in place: its models stay */
    const char *old = path_in_dir("v1.db");
    sqlite3 *db;
    CHECK(sqlite3_open(old, &db) == SQLITE_OK);
    CHECK(sqlite3_exec(db, v1_schema, NULL, NULL, NULL) == SQLITE_OK);
    sqlite3_close(db);
    st = store_open(old);
    CHECK_INT(vg_store_schema_version(st), 4);
    int nmodels = 0;
    vg_error err;
    vg_error_clear(&err);
    CHECK_INT(vg_store_model_list(st, count_model, &nmodels, &err), 0);
    CHECK_INT(nmodels, 1);
    vg_store_close(st);
    CHECK_STR(raw_sql(old, "SELECT value FROM meta WHERE key = 'schema_version'"), "4");
    CHECK_STR(raw_sql(old, "SELECT COUNT(*) FROM checkpoints"), "0");
    CHECK_STR(raw_sql(old, "PRAGMA integrity_check"), "ok");
}

/* ---- writing and loading ---- */

static void test_round_trip(void)
{
    const char *p = path_in_dir("rt.db");
    vg_store *st = store_open(p);
    run r;
    CHECK(opened(&r, pipeline_sql));
    vg_error err;
    vg_error_clear(&err);
    vg_checkpoints *c = vg_checkpoint_open(st, "pay", r.plan, &err);
    CHECK(c != NULL);
    if (!c || !st)
        return;
    feed(&r, 0, 23);
    vg_checkpoint_stats stats;
    CHECK_INT(write_at(c, &r, 23, &stats, &err), 0);
    CHECK_INT(stats.id, 1);
    CHECK_INT(stats.epoch, 1);
    CHECK_INT(stats.nops, 4); /* source, over, window, group */
    CHECK_INT(stats.pruned, 0);
    CHECK_INT(stats.total_us, stats.snapshot_us + stats.commit_us);
    CHECK_STR(raw_sql(p, "SELECT SUM(length(state)) FROM checkpoint_ops"),
              vg_arena_printf(arena, "%llu", (unsigned long long)stats.bytes));
    CHECK_STR(raw_sql(p, "SELECT pipeline || ' ' || epoch || ' ' || plan_fp || ' ' || created_at"
                         " || ' ' || bytes || ' ' || late_rows FROM checkpoints"),
              vg_arena_printf(arena, "pay 1 %s 5000 %llu 5", vg_checkpoint_plan_fp(c),
                              (unsigned long long)stats.bytes));
    CHECK_STR(raw_sql(p, "SELECT group_concat(kind || ':' || seq || ':' || wm, ' ') FROM"
                         " (SELECT * FROM checkpoint_ops ORDER BY kind)"),
              "group:0:22000 over:0:22000 source:0:22000 window:0:22000");
    CHECK_STR(raw_sql(p, "SELECT group_concat(sink || '=' || ifnull(position, '-') || '/' ||"
                         " ifnull(rows, '-'), ' ') FROM (SELECT * FROM checkpoint_sinks"
                         " ORDER BY sink)"),
              "dead_letter=dl/- feats=pos23/20 mins=-/10 totals=-/41");
    CHECK_STR(raw_sql(p, "SELECT source || ' ' || topic || ' ' || partition || ' ' || next_offset"
                         " FROM checkpoint_offsets"),
              "s t 0 23");

    /* a fresh DAG loaded from it goes on as the first one would */
    run fresh;
    CHECK(opened(&fresh, pipeline_sql));
    vg_store_ckpt info;
    CHECK_INT(vg_checkpoint_load(c, fresh.dag, arena, &info, &err), 0);
    CHECK_INT(info.id, 1);
    CHECK_INT(info.epoch, 1);
    CHECK_INT(info.created_at, 5000);
    CHECK_INT(info.late_rows, 5); /* OVER: events 6, 13, 20; TUMBLE: 6, 13 */
    CHECK_INT(info.nops, 4);
    CHECK_INT(info.noffsets, 1);
    CHECK_STR(info.offsets[0].topic, "t");
    CHECK_INT(info.offsets[0].next_offset, 23);
    CHECK_INT(info.nsinks, 4);
    CHECK_STR(info.sinks[0].sink, "dead_letter");
    CHECK_INT(info.sinks[0].rows, -1);
    CHECK_STR(info.sinks[1].position, "pos23");
    CHECK(info.sinks[2].position == NULL);
    for (uint32_t i = 0; i < vg_dag_nchannels(r.dag); i++)
        CHECK_INT(vg_dag_channel(fresh.dag, i)->rows, vg_dag_channel(r.dag, i)->rows);
    for (uint32_t i = 0; i < r.plan->nnodes; i++)
        CHECK_INT(vg_dag_op(fresh.dag, i)->wm, vg_dag_op(r.dag, i)->wm);
    CHECK_STR(feed(&fresh, 23, NEV), ref.out + ref.len_at[23]);
    CHECK_INT(vg_dag_late_rows(fresh.dag), ref.late);
    run_close(&fresh);
    vg_checkpoint_close(c);
    run_close(&r);
    vg_store_close(st);
    vg_checkpoint_close(NULL);
}

/* Taken, then committed after the pipeline went on: the checkpoint is of
 * the moment it was taken. */
static void test_take_commit(void)
{
    const char *p = path_in_dir("take.db");
    vg_store *st = store_open(p);
    run r;
    CHECK(opened(&r, pipeline_sql));
    vg_error err;
    vg_error_clear(&err);
    vg_checkpoints *c = st ? vg_checkpoint_open(st, "pay", r.plan, &err) : NULL;
    if (!c)
        return;
    feed(&r, 0, 23);
    vg_checkpoint_snap *snap = take_at(c, &r, 23, &err);
    CHECK(snap != NULL);
    if (!snap)
        return;
    uint64_t bytes = vg_checkpoint_snap_bytes(snap);
    feed(&r, 23, 35);
    vg_checkpoint_stats stats;
    CHECK_INT(vg_checkpoint_commit(c, snap, &stats, &err), 0);
    CHECK_INT(stats.bytes, bytes);
    CHECK_INT(stats.epoch, 1);
    vg_checkpoint_snap_free(snap);
    vg_checkpoint_snap_free(NULL);
    int64_t epoch = 0;
    CHECK_INT(resume_from(p, &epoch, &err), 1);
    CHECK_INT(epoch, 1);
    vg_checkpoint_close(c);
    run_close(&r);
    vg_store_close(st);
}

/* A checkpoint after every event, loaded into a fresh DAG each time: the
 * rest of the run is always the uninterrupted run's rest. Three kept. */
static void test_every_point(void)
{
    const char *p = path_in_dir("every.db");
    vg_store *st = store_open(p);
    run r;
    CHECK(opened(&r, pipeline_sql));
    vg_error err;
    vg_error_clear(&err);
    vg_checkpoints *c = st ? vg_checkpoint_open(st, "pay", r.plan, &err) : NULL;
    if (!c)
        return;
    int ok = 0;
    for (int at = 0; at <= NEV; at++) {
        if (at)
            feed(&r, at - 1, at);
        vg_checkpoint_stats stats;
        CHECK_INT(write_at(c, &r, at, &stats, &err), 0);
        CHECK_INT(stats.pruned, at >= 3);
        int64_t epoch = 0;
        ok += resume_from(p, &epoch, &err) == 1 && epoch == at + 1;
    }
    CHECK_INT(ok, NEV + 1);
    CHECK_STR(raw_sql(p, "SELECT group_concat(epoch, ' ') FROM checkpoints"), "39 40 41");
    CHECK_STR(raw_sql(p, "SELECT COUNT(DISTINCT checkpoint_id) || ' ' || MIN(checkpoint_id)"
                         " FROM checkpoint_ops"),
              "3 39");
    CHECK_STR(raw_sql(p, "SELECT COUNT(*) FROM checkpoint_offsets"), "3");
    CHECK_STR(raw_sql(p, "SELECT COUNT(*) FROM checkpoint_sinks"), "12");
    vg_checkpoint_close(c);
    run_close(&r);
    vg_store_close(st);
}

typedef struct listed {
    int n;
    char lines[8][96];
} listed;

static int list_one(const vg_store_ckpt *c, void *arg)
{
    listed *l = arg;
    if (l->n < 8)
        snprintf(l->lines[l->n++], sizeof l->lines[0], "%lld %s %lld ops %u offsets %u sinks %u",
                 (long long)c->id, c->pipeline, (long long)c->epoch, c->nops, c->noffsets,
                 c->nsinks);
    return 0;
}

static void test_prune_and_epochs(void)
{
    vg_store *st = store_open(":memory:");
    run r;
    CHECK(opened(&r, pipeline_sql));
    vg_error err;
    vg_error_clear(&err);
    vg_checkpoints *c = st ? vg_checkpoint_open(st, "pay", r.plan, &err) : NULL;
    vg_checkpoints *other = st ? vg_checkpoint_open(st, "other", r.plan, &err) : NULL;
    if (!c || !other)
        return;
    vg_checkpoint_set_keep(c, 2);
    vg_checkpoint_set_keep(other, 0); /* at least one */
    vg_checkpoint_stats stats;
    uint32_t pruned[5];
    for (int i = 0; i < 5; i++) {
        CHECK_INT(write_at(c, &r, i, &stats, &err), 0);
        pruned[i] = stats.pruned;
    }
    CHECK_INT(pruned[0] + pruned[1], 0);
    CHECK_INT(pruned[2] + pruned[3] + pruned[4], 3);
    CHECK_INT(write_at(other, &r, 0, &stats, &err), 0);
    CHECK_INT(stats.epoch, 1);
    CHECK_INT(write_at(other, &r, 0, &stats, &err), 0);
    CHECK_INT(stats.id, 7);
    CHECK_INT(stats.pruned, 1);
    listed l = {0};
    CHECK_INT(vg_store_ckpt_list(st, NULL, list_one, &l, &err), 0);
    CHECK_INT(l.n, 3);
    CHECK_STR(l.lines[0], "7 other 2 ops 4 offsets 1 sinks 4");
    CHECK_STR(l.lines[1], "5 pay 5 ops 4 offsets 1 sinks 4");
    CHECK_STR(l.lines[2], "4 pay 4 ops 4 offsets 1 sinks 4");
    uint32_t dropped = 0;
    CHECK_INT(vg_store_ckpt_drop(st, "pay", &dropped, &err), 0);
    CHECK_INT(dropped, 2);
    /* epochs go on after a drop: output rows named by epoch stay unique */
    CHECK_INT(write_at(c, &r, 0, &stats, &err), 0);
    CHECK_INT(stats.epoch, 6);
    memset(&l, 0, sizeof l);
    CHECK_INT(vg_store_ckpt_list(st, "pay", list_one, &l, &err), 0);
    CHECK_INT(l.n, 1);
    CHECK_STR(l.lines[0], "8 pay 6 ops 4 offsets 1 sinks 4");
    CHECK_INT(vg_store_ckpt_drop(st, NULL, &dropped, &err), 0);
    CHECK_INT(dropped, 2);
    run fresh;
    CHECK(opened(&fresh, pipeline_sql));
    vg_store_ckpt info;
    CHECK_INT(vg_checkpoint_load(c, fresh.dag, arena, &info, &err), 1);
    CHECK(!vg_error_is_set(&err));
    run_close(&fresh);
    vg_checkpoint_close(c);
    vg_checkpoint_close(other);
    run_close(&r);
    vg_store_close(st);
}

/* Load into a fresh run of sql as pipeline name; the error's text ("" when it loaded). */
static const char *load_error(vg_store *st, const char *name, const char *sql)
{
    run r;
    if (!opened(&r, sql))
        return "(no run)";
    vg_error err;
    vg_error_clear(&err);
    vg_checkpoints *c = vg_checkpoint_open(st, name, r.plan, &err);
    vg_store_ckpt info;
    int rc = c ? vg_checkpoint_load(c, r.dag, arena, &info, &err) : -1;
    const char *msg = rc < 0 ? vg_arena_printf(arena, "%d %s", (int)err.code, err.msg) : "";
    vg_checkpoint_close(c);
    run_close(&r);
    return msg;
}

/* The plan fingerprint of sql, as text. */
static const char *plan_fp_of(const char *sql)
{
    run r;
    if (!opened(&r, sql))
        return "(no run)";
    vg_fp fp = 0;
    vg_error err;
    vg_plan_fingerprint(r.plan, &fp, NULL, &err);
    char hex[VG_FP_HEX];
    vg_plan_fp_format(fp, hex);
    run_close(&r);
    return vg_arena_strndup(arena, hex, 16);
}

/* ---- the plans' SQL, the versions ---- */

/* A checkpoint of plan fp (no operators) with one SQL file and versions. */
static int put_plan_ckpt(vg_store *st, const char *fp, const char *path, const char *text,
                         int64_t model_version, vg_error *err)
{
    vg_store_sql sql = {path, text};
    vg_store_version v[] = {{"ruleset", "r", 0}, {"model", "m", model_version}};
    vg_store_ckpt c = {.pipeline = "pay", .plan_fp = fp, .nsql = 1, .sql = &sql,
                       .nversions = 2, .versions = v};
    return vg_store_ckpt_put(st, &c, NULL, 0, 2, NULL, err);
}

static void test_plans_and_versions(void)
{
    const char *p = path_in_dir("plans.db");
    vg_store *st = store_open(p);
    if (!st)
        return;
    vg_error err;
    vg_error_clear(&err);
    vg_store_ckpt info;
    CHECK_INT(vg_checkpoint_peek(st, "pay", arena, &info, &err), 1);
    CHECK_INT(put_plan_ckpt(st, "aaaaaaaaaaaaaaaa", "a.sql", "SELECT 1", 1, &err), 0);
    CHECK_INT(put_plan_ckpt(st, "aaaaaaaaaaaaaaaa", "a2.sql", "SELECT 2", 2, &err), 0);
    /* a plan's files are stored once: the first checkpoint's */
    CHECK_STR(raw_sql(p, "SELECT group_concat(path || '=' || text, ' ') FROM checkpoint_plans"),
              "a.sql=SELECT 1");
    CHECK_INT(put_plan_ckpt(st, "bbbbbbbbbbbbbbbb", "b.sql", "SELECT 3", 3, &err), 0);
    CHECK_STR(raw_sql(p, "SELECT group_concat(plan_fp, ' ') FROM checkpoint_plans"),
              "aaaaaaaaaaaaaaaa bbbbbbbbbbbbbbbb");
    CHECK_INT(vg_checkpoint_peek(st, "pay", arena, &info, &err), 0);
    CHECK_INT(info.epoch, 3);
    CHECK_STR(info.plan_fp, "bbbbbbbbbbbbbbbb");
    CHECK_INT(info.nsql, 1);
    CHECK_STR(info.sql[0].path, "b.sql");
    CHECK_STR(info.sql[0].text, "SELECT 3");
    CHECK_INT(info.nversions, 2);
    if (info.nversions == 2) { /* by kind, then name */
        CHECK_STR(vg_arena_printf(arena, "%s %s %lld, %s %s %lld", info.versions[0].kind,
                                  info.versions[0].name, (long long)info.versions[0].version,
                                  info.versions[1].kind, info.versions[1].name,
                                  (long long)info.versions[1].version),
                  "model m 3, ruleset r 0");
    }
    /* the last checkpoint of plan a is pruned: its SQL goes with it */
    CHECK_INT(put_plan_ckpt(st, "bbbbbbbbbbbbbbbb", "b.sql", "SELECT 3", 3, &err), 0);
    CHECK_STR(raw_sql(p, "SELECT group_concat(plan_fp, ' ') FROM checkpoint_plans"),
              "bbbbbbbbbbbbbbbb");
    CHECK_STR(raw_sql(p, "SELECT COUNT(*) FROM checkpoint_registry"), "4");
    /* another pipeline's checkpoint is refused as vg_checkpoint_load refuses it */
    CHECK_INT(vg_checkpoint_peek(st, "other", arena, &info, &err), -1);
    CHECK_INT(err.code, VG_ERR_CONFIG);
    CHECK(strncmp(err.msg, "store '", 7) == 0 &&
          strstr(err.msg, "holds checkpoints of pipeline 'pay' (the newest: checkpoint 4, "
                          "epoch 4), not of 'other'") != NULL);
    uint32_t dropped;
    CHECK_INT(vg_store_ckpt_drop(st, NULL, &dropped, &err), 0);
    CHECK_INT(dropped, 2);
    CHECK_STR(raw_sql(p, "SELECT COUNT(*) FROM checkpoint_plans"), "0");
    CHECK_STR(raw_sql(p, "SELECT COUNT(*) FROM checkpoint_registry"), "0");
    vg_store_close(st);
}

/* ---- refusals ---- */

static const char changed_sql[] =
    "CREATE VIEW f AS SELECT k, x, ts, COUNT(*) OVER w AS n, SUM(x) OVER w AS sx FROM s\n"
    "  WINDOW w AS (PARTITION BY k ORDER BY ts\n"
    "               RANGE BETWEEN INTERVAL '6' SECOND PRECEDING AND CURRENT ROW);\n"
    "INSERT INTO feats SELECT * FROM f;\n"
    "INSERT INTO mins SELECT window_start, window_end, k, COUNT(*) AS c, MAX(x) AS mx\n"
    "  FROM TABLE(TUMBLE(TABLE s, DESCRIPTOR(ts), INTERVAL '10' SECOND))\n"
    "  GROUP BY window_start, window_end, k;\n"
    "INSERT INTO totals SELECT k, COUNT(*) AS c, SUM(x) AS t FROM s GROUP BY k;\n";

static void test_refusals(void)
{
    const char *p = path_in_dir("refuse.db");
    prepare(p);
    vg_store *st = store_open(p);
    if (!st)
        return;
    CHECK_STR(load_error(st, "pay", pipeline_sql), "");
    CHECK_STR(load_error(st, "payments", pipeline_sql),
              vg_arena_printf(arena,
                              "6 store '%s' holds checkpoints of pipeline 'pay' (the newest: "
                              "checkpoint 1, epoch 1), not of 'payments': each pipeline needs a "
                              "store of its own (vigil checkpoints list PIPELINE shows what a "
                              "store holds)",
                              p));
    CHECK_STR(load_error(st, "pay", changed_sql),
              vg_arena_printf(arena,
                              "6 checkpoint 1 (epoch 1) of pipeline 'pay' was written by plan "
                              "%s, and this plan is %s: the SQL has changed since; run the SQL it "
                              "was written with, or drop the pipeline's checkpoints (vigil "
                              "checkpoints drop PIPELINE) to start without state",
                              plan_fp_of(pipeline_sql), plan_fp_of(changed_sql)));
    CHECK(strcmp(plan_fp_of(pipeline_sql), plan_fp_of(changed_sql)) != 0);
    vg_store_close(st);

    /* damaged checkpoints: a row too many, state an operator cannot read, a row missing */
    sqlite3 *db;
    CHECK(sqlite3_open(p, &db) == SQLITE_OK);
    st = store_open(p);
    sqlite3_exec(db,
                 "INSERT INTO checkpoint_ops VALUES (1, 'ffffffffffffffff', 0, 'x', 'y', 0, x'')",
                 NULL, NULL, NULL);
    CHECK_STR(load_error(st, "pay", pipeline_sql),
              "9 checkpoint 1 holds state for operator x 'y' (ffffffffffffffff #0), which this "
              "plan does not have");
    sqlite3_exec(db,
                 "DELETE FROM checkpoint_ops WHERE kind = 'x';"
                 "UPDATE checkpoint_ops SET state = substr(state, 1, 9) WHERE kind = 'group'",
                 NULL, NULL, NULL);
    const char *fp_group = raw_sql(p, "SELECT node_fp FROM checkpoint_ops WHERE kind = 'group'");
    CHECK_STR(load_error(st, "pay", pipeline_sql),
              vg_arena_printf(arena, "9 checkpoint 1: cannot restore operator group (%s #0): %s",
                              fp_group, "the GROUP BY state is of another GROUP BY"));
    sqlite3_exec(db, "DELETE FROM checkpoint_ops WHERE kind = 'group'", NULL, NULL, NULL);
    CHECK_STR(
        load_error(st, "pay", pipeline_sql),
        vg_arena_printf(arena, "9 checkpoint 1 has no state for operator group (%s #0)", fp_group));
    sqlite3_close(db);
    vg_store_close(st);
}

/* Two views that compute the same thing over the same input share a
 * fingerprint: their rows are told apart by seq, in plan order. */
static void test_twin_operators(void)
{
    static const char twins[] =
        "CREATE VIEW a AS SELECT k, COUNT(*) OVER w AS n FROM s\n"
        "  WINDOW w AS (PARTITION BY k ORDER BY ts ROWS BETWEEN 2 PRECEDING AND CURRENT ROW);\n"
        "CREATE VIEW b AS SELECT k, COUNT(*) OVER w AS n FROM s\n"
        "  WINDOW w AS (PARTITION BY k ORDER BY ts ROWS BETWEEN 2 PRECEDING AND CURRENT ROW);\n"
        "INSERT INTO oa SELECT * FROM a;\n"
        "INSERT INTO ob SELECT * FROM b;\n";
    const char *p = path_in_dir("twins.db");
    vg_store *st = store_open(p);
    run r, fresh;
    CHECK(opened(&r, twins) && opened(&fresh, twins));
    vg_error err;
    vg_error_clear(&err);
    vg_checkpoints *c = st ? vg_checkpoint_open(st, "twins", r.plan, &err) : NULL;
    if (!c)
        return;
    push(&r, "a", 1, 1000);
    push(&r, "a", 2, 2000);
    drain(&r);
    CHECK_INT(write_at(c, &r, 2, NULL, &err), 0);
    CHECK_STR(raw_sql(p, "SELECT group_concat(kind || seq, ' ') FROM (SELECT * FROM"
                         " checkpoint_ops WHERE kind = 'over' ORDER BY seq)"),
              "over0 over1");
    vg_store_ckpt info;
    CHECK_INT(vg_checkpoint_load(c, fresh.dag, arena, &info, &err), 0);
    push(&fresh, "a", 3, 3000);
    CHECK_STR(drain(&fresh), "oa: {\"k\":\"a\",\"n\":3}\nob: {\"k\":\"a\",\"n\":3}\n");
    vg_checkpoint_close(c);
    run_close(&r);
    run_close(&fresh);
    vg_store_close(st);
}

/* ---- allocation failures ---- */

static void test_alloc_failures(void)
{
    const char *p = path_in_dir("alloc.db");
    vg_store *st = store_open(p);
    run r;
    CHECK(opened(&r, pipeline_sql));
    feed(&r, 0, 25);
    size_t before = mem_total();
    int nomem = 0, ok = 0;
    vg_error err;
    for (uint64_t k = 1; k < 200 && !ok; k++) {
        vg_error_clear(&err);
        vg_alloc_fail_at(k, 0);
        vg_checkpoints *c = vg_checkpoint_open(st, "pay", r.plan, &err);
        vg_alloc_fail_at(0, 0);
        ok = c != NULL;
        nomem += !c && err.code == VG_ERR_NOMEM && strcmp(err.msg, "out of memory") == 0;
        vg_checkpoint_close(c);
        CHECK_INT(mem_total(), before);
    }
    CHECK_INT(ok, 1);
    CHECK(nomem >= 5);

    vg_error_clear(&err);
    vg_checkpoints *c = vg_checkpoint_open(st, "pay", r.plan, &err);
    if (!c)
        return;
    before = mem_total();
    int failed = 0, tries = 0;
    ok = 0;
    for (uint64_t k = 1; k < 2000 && !ok; k++) {
        vg_error_clear(&err);
        vg_alloc_fail_at(k, 1);
        int rc = write_at(c, &r, 25, NULL, &err);
        vg_alloc_fail_at(0, 0);
        tries++;
        ok = rc == 0;
        failed += rc < 0 && err.code == VG_ERR_NOMEM;
        CHECK_INT(mem_total(), before);
    }
    CHECK_INT(ok, 1);
    CHECK_INT(failed, tries - 1);
    CHECK(failed >= 5);
    CHECK_STR(raw_sql(p, "SELECT COUNT(*) || ' ' || MAX(epoch) FROM checkpoints"), "1 1");

    /* loading: out of memory, or (the operators' restore cannot tell a failed allocation
     * from damaged bytes) an operator that cannot restore; never a crash or a leak */
    ok = failed = tries = 0;
    for (uint64_t k = 1; k < 2000 && !ok; k++) {
        run fresh;
        if (!opened(&fresh, pipeline_sql))
            break;
        vg_error_clear(&err);
        vg_store_ckpt info;
        vg_arena *a = vg_arena_new(VG_MEM_OTHER, 256);
        vg_alloc_fail_at(k, 1);
        int rc = a ? vg_checkpoint_load(c, fresh.dag, a, &info, &err) : -1;
        vg_alloc_fail_at(0, 0);
        tries++;
        if (rc == 0) {
            ok = 1;
            CHECK_STR(feed(&fresh, 25, NEV), ref.out + ref.len_at[25]);
        } else {
            failed += err.code == VG_ERR_NOMEM ||
                      (err.code == VG_ERR_RUNTIME && strstr(err.msg, ": cannot restore operator "));
        }
        vg_arena_free(a);
        run_close(&fresh);
    }
    CHECK_INT(ok, 1);
    CHECK_INT(failed, tries - 1);
    CHECK(failed >= 20);
    vg_checkpoint_close(c);
    run_close(&r);
    vg_store_close(st);
}

int main(void)
{
    if (ckpt_setup() < 0)
        return 1;
    RUN(test_schema);
    RUN(test_round_trip);
    RUN(test_take_commit);
    RUN(test_every_point);
    RUN(test_prune_and_epochs);
    RUN(test_plans_and_versions);
    RUN(test_refusals);
    RUN(test_twin_operators);
    RUN(test_alloc_failures);
    ckpt_teardown();
    return CHECK_DONE();
}
