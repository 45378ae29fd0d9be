/*
 * test_run_ckpt.c — exactly-once in process: the crash hook, the turn log
 * in the store (schema 3), `vigil checkpoints list|drop`, and vg_run with
 * checkpoints against an in-process dev broker: a run over a 3-partition
 * topic gives the same rows as the reference every time (--exit-at-end),
 * numbered by vigil-seq and continued after a restart; through the fault
 * VFS (faultvfs.inc) an I/O error at one checkpoint is survived, a disk
 * that stays full makes the last checkpoint fail and a disk full under a
 * turn-log write stops the run before its rows leave — each time the
 * store passes PRAGMA integrity_check, the newest checkpoint is the last
 * good one, and a restart gives exactly the reference output (offsets
 * never ahead of their state); a start after the SQL changed (a sink
 * added) recovers in the checkpoint's plan and reloads, every sink it kept
 * exactly as without the change, and when the checkpoint after that reload
 * cannot be written the run stops and the next start does it again; every
 * allocation of a run failing in turn (each failed run then recovered by
 * the next) ends in the same output.
 * The crashes of a real process are tests/fault/run-crash.sh's.
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "engine/alloc.h"
#include "engine/checkpoint_cmd.h"
#include "engine/config.h"
#include "engine/crash.h"
#include "engine/kafka.h"
#include "engine/pipeline.h"
#include "engine/run.h"
#include "engine/store.h"
#include "tests/unit/check.h"
#include "tests/unit/run_test.h"
#include "tests/unit/faultvfs.inc"

static vg_kafka_broker *broker;
static const char *boot;
static char *reference; /* the fault-free run's output, as out_text gives it */
static int64_t now_ms = 1700000000000;

static int64_t fixed_clock(void *arg) { return *(const int64_t *)arg; }

/* Run SQL on a store file directly: the first column of the first row. */
static const char *raw_sql(const char *path, const char *sql)
{
    static char out[256];
    sqlite3 *db;
    sqlite3_stmt *s;
    out[0] = 0;
    if (sqlite3_open(path, &db) != SQLITE_OK)
        return "open failed";
    if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) == SQLITE_OK) {
        if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_text(s, 0))
            snprintf(out, sizeof out, "%s", (const char *)sqlite3_column_text(s, 0));
        sqlite3_finalize(s);
    } else {
        snprintf(out, sizeof out, "error: %s", sqlite3_errmsg(db));
    }
    sqlite3_close(db);
    return out;
}

/* ---- the crash hook ---- */

/* A child that passes points "a", "b", "a", "a" with VIGIL_CRASH_POINT=env
 * (NULL: unset), telling the parent through a pipe before each: how many
 * points it passed before dying (-1: it finished). */
static int died_after(const char *env)
{
    int fds[2];
    if (pipe(fds) < 0)
        return -2;
    pid_t pid = fork();
    if (pid == 0) {
        close(fds[0]);
        if (env)
            setenv("VIGIL_CRASH_POINT", env, 1);
        else
            unsetenv("VIGIL_CRASH_POINT");
        static const char *const points[] = {"a", "b", "a", "a"};
        for (int i = 0; i < 4; i++) {
            if (write(fds[1], "x", 1) != 1)
                _exit(3);
            vg_crash_point(points[i]);
        }
        _exit(0);
    }
    close(fds[1]);
    char buf[8];
    int passed = 0;
    ssize_t n;
    while ((n = read(fds[0], buf, sizeof buf)) > 0)
        passed += (int)n;
    close(fds[0]);
    int status;
    waitpid(pid, &status, 0);
    if (WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
        return passed - 1; /* the last point told about is the one it died at */
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? -1 : -3;
}

static void test_crash_hook(void)
{
    CHECK_INT(died_after(NULL), -1);
    CHECK_INT(died_after("a"), 0);   /* the first pass */
    CHECK_INT(died_after("a:2"), 2); /* the second pass of "a" is the third point */
    CHECK_INT(died_after("a:3"), 3);
    CHECK_INT(died_after("b:1"), 1);
    CHECK_INT(died_after("a:4"), -1); /* never reached */
    CHECK_INT(died_after("c"), -1);
    CHECK_INT(died_after("a:0"), -1); /* not a count: nothing armed */
    CHECK_INT(died_after(":2"), -1);
}

/* ---- the turn log in the store ---- */

static vg_store *store_at(const char *path)
{
    vg_error err;
    vg_error_clear(&err);
    vg_store *st = vg_store_open(path, &err);
    if (st)
        vg_store_set_clock(st, fixed_clock, &now_ms);
    else
        fprintf(stderr, "%s: %s\n", path, err.msg);
    return st;
}

static int put_turn(vg_store *st, const char *pipeline, int64_t epoch, int64_t seq, uint32_t n)
{
    vg_store_turn_run runs[3] = {{0, 2, 100 + seq, 7}, {1, 0, 5, 1}, {0, 1, INT64_MAX - 3, 9}};
    vg_store_turn t = {epoch, seq, 1000 * seq, n, runs};
    vg_error err;
    vg_error_clear(&err);
    return vg_store_turn_put(st, pipeline, &t, seq % 2 == 0, &err);
}

/* A checkpoint of pipeline with one offset (partition 2 at next, watermark wm). */
static int64_t put_ckpt(vg_store *st, const char *pipeline, int64_t next, int64_t wm)
{
    vg_store_offset off = {"s", "t", 2, next, wm};
    vg_store_sink_pos sink = {"o", "seq=3 ends=4,5", 3};
    vg_store_ckpt c = {.pipeline = pipeline,
                       .plan_fp = "00112233aabbccdd",
                       .noffsets = 1,
                       .offsets = &off,
                       .nsinks = 1,
                       .sinks = &sink};
    vg_error err;
    vg_error_clear(&err);
    return vg_store_ckpt_put(st, &c, NULL, 0, 3, NULL, &err) < 0 ? -1 : c.epoch;
}

static void test_turn_log(void)
{
    const char *p = path_in(".", "turns.db");
    vg_store *st = store_at(p);
    if (!st)
        return;
    CHECK_INT(vg_store_schema_version(st), 4);
    CHECK_INT(put_ckpt(st, "pay", 10, -5), 1);
    for (int64_t seq = 1; seq <= 3; seq++)
        CHECK_INT(put_turn(st, "pay", 1, seq, (uint32_t)seq), 0);
    CHECK_INT(put_turn(st, "other", 7, 1, 1), 0);
    CHECK_INT(put_turn(st, "pay", 1, 2, 1), -1); /* a turn logged twice */

    vg_arena *a = vg_arena_new(VG_MEM_OTHER, 1024);
    vg_store_turn *turns;
    uint32_t n;
    vg_error err;
    vg_error_clear(&err);
    CHECK_INT(vg_store_turn_list(st, "pay", 1, a, &turns, &n, &err), 0);
    CHECK_INT(n, 3);
    if (n == 3) {
        CHECK_INT(turns[2].seq, 3);
        CHECK_INT(turns[2].wm, 3000);
        CHECK_INT(turns[2].nruns, 3);
        CHECK_INT(turns[2].runs[0].partition, 2);
        CHECK_INT(turns[2].runs[0].first, 103);
        CHECK_INT(turns[2].runs[0].count, 7);
        CHECK_INT(turns[2].runs[1].source, 1);
        CHECK_INT(turns[2].runs[2].first, INT64_MAX - 3);
        CHECK_INT(turns[0].nruns, 1);
    }
    CHECK_INT(vg_store_turn_list(st, "pay", 2, a, &turns, &n, &err), 0);
    CHECK_INT(n, 0);
    int64_t count;
    CHECK_INT(vg_store_turn_count(st, NULL, &count, &err), 0);
    CHECK_INT(count, 4);

    /* the next checkpoint drops the turns of older epochs, in its transaction */
    CHECK_INT(put_ckpt(st, "pay", 20, 42), 2);
    CHECK_INT(vg_store_turn_count(st, "pay", &count, &err), 0);
    CHECK_INT(count, 0);
    CHECK_INT(vg_store_turn_count(st, "other", &count, &err), 0);
    CHECK_INT(count, 1);
    vg_store_ckpt c;
    CHECK_INT(vg_store_ckpt_get(st, 0, a, &c, NULL, NULL, &err), 0);
    CHECK_INT(c.offsets[0].max_wm, 42);
    CHECK_INT(c.offsets[0].next_offset, 20);

    /* a damaged runs blob */
    CHECK_INT(put_turn(st, "pay", 2, 1, 1), 0);
    vg_store_close(st);
    raw_sql(p, "UPDATE turn_log SET runs = x'0102' WHERE pipeline = 'pay'");
    st = store_at(p);
    CHECK_INT(vg_store_turn_list(st, "pay", 2, a, &turns, &n, &err), -1);
    char want[300];
    snprintf(want, sizeof want, "store '%s': turn 2.1 of pipeline 'pay' is damaged", p);
    CHECK_STR(err.msg, want);

    /* drop: the pipeline's checkpoints and turn log, no other's */
    uint32_t dropped = 0;
    vg_error_clear(&err);
    CHECK_INT(vg_store_ckpt_drop(st, "pay", &dropped, &err), 0);
    CHECK_INT(dropped, 2);
    CHECK_INT(vg_store_turn_count(st, NULL, &count, &err), 0);
    CHECK_INT(count, 1);
    CHECK_INT(put_ckpt(st, "pay", 30, 0), 3); /* epochs go on */
    vg_store_close(st);
    CHECK_STR(raw_sql(p, "PRAGMA integrity_check"), "ok");
    vg_arena_free(a);
}

/* The turns after a checkpoint cut while another was being written: the
 * epochs of lost cuts listed after the restored one's, by (epoch, seq);
 * a checkpoint that wants an epoch beyond the next gets it; pruning. */
static void test_turn_epochs(void)
{
    const char *p = path_in(".", "epochs.db");
    vg_store *st = store_at(p);
    if (!st)
        return;
    CHECK_INT(put_ckpt(st, "pay", 10, 0), 1);
    CHECK_INT(put_turn(st, "pay", 3, 1, 1), 0); /* logged before those of epochs 1 and 2 */
    CHECK_INT(put_turn(st, "pay", 1, 1, 1), 0);
    CHECK_INT(put_turn(st, "pay", 1, 2, 2), 0);
    CHECK_INT(put_turn(st, "pay", 2, 1, 3), 0);
    vg_arena *a = vg_arena_new(VG_MEM_OTHER, 1024);
    vg_store_turn *turns;
    uint32_t n;
    vg_error err;
    vg_error_clear(&err);
    CHECK_INT(vg_store_turn_list(st, "pay", 1, a, &turns, &n, &err), 0);
    CHECK_INT(n, 4);
    if (n == 4) {
        CHECK_INT(turns[0].epoch, 1);
        CHECK_INT(turns[1].seq, 2);
        CHECK_INT(turns[2].epoch, 2);
        CHECK_INT(turns[2].nruns, 3);
        CHECK_INT(turns[3].epoch, 3);
    }
    CHECK_INT(vg_store_turn_list(st, "pay", 2, a, &turns, &n, &err), 0);
    CHECK_INT(n, 2);
    int64_t count;
    CHECK_INT(vg_store_turn_prune(st, "pay", 2, &err), 0);
    CHECK_INT(vg_store_turn_count(st, "pay", &count, &err), 0);
    CHECK_INT(count, 2);
    /* epoch 2 was lost: the next checkpoint wants 4 (turns of 3 are logged), and gets it */
    vg_store_offset off = {"s", "t", 2, 20, 0};
    vg_store_ckpt c = {.pipeline = "pay", .plan_fp = "00112233aabbccdd", .epoch = 4,
                       .noffsets = 1, .offsets = &off};
    CHECK_INT(vg_store_ckpt_put(st, &c, NULL, 0, 3, NULL, &err), 0);
    CHECK_INT(c.epoch, 4);
    CHECK_INT(put_ckpt(st, "pay", 30, 0), 5); /* and the one after it the next */
    vg_store_close(st);
    vg_arena_free(a);
}

/* A schema-2 store's offsets read back with no watermark. */
static void test_schema_2(void)
{
    const char *p = path_in(".", "v2.db");
    vg_store *st = store_at(p);
    if (!st)
        return;
    CHECK_INT(put_ckpt(st, "pay", 10, 5), 1);
    vg_store_close(st);
    raw_sql(p, "UPDATE checkpoint_offsets SET max_wm = NULL");
    st = store_at(p);
    vg_arena *a = vg_arena_new(VG_MEM_OTHER, 1024);
    vg_store_ckpt c;
    vg_error err;
    vg_error_clear(&err);
    CHECK_INT(vg_store_ckpt_get(st, 0, a, &c, NULL, NULL, &err), 0);
    CHECK(c.offsets[0].max_wm == INT64_MIN);
    vg_store_close(st);
    vg_arena_free(a);
}

/* ---- vigil checkpoints list|drop ---- */

static const char *cmd_out(int (*fn)(const char *, const char *, FILE *, vg_error *),
                           const char *store, const char *pipeline)
{
    static char text[2048];
    FILE *f = tmpfile();
    vg_error err;
    vg_error_clear(&err);
    int rc = fn(store, pipeline, f, &err);
    rewind(f);
    size_t n = fread(text, 1, sizeof text - 1, f);
    text[n] = 0;
    fclose(f);
    if (rc < 0)
        snprintf(text, sizeof text, "error: %s", err.msg);
    return text;
}

static void test_checkpoints_cmd(void)
{
    const char *p = path_in(".", "cmd.db");
    char want[1024];
    snprintf(want, sizeof want, "no checkpoints of pipeline 'pay' (store '%s' does not exist)\n",
             p);
    CHECK_STR(cmd_out(vg_checkpoint_cmd_list, p, "pay"), want);
    CHECK(access(p, F_OK) != 0); /* not created */
    vg_store *st = store_at(p);
    if (!st)
        return;
    CHECK_INT(put_ckpt(st, "pay", 10, 0), 1);
    now_ms += 1500;
    CHECK_INT(put_ckpt(st, "pay", 25, 0), 2);
    CHECK_INT(put_turn(st, "pay", 2, 1, 2), 0);
    CHECK_INT(put_turn(st, "pay", 2, 2, 1), 0);
    vg_store_close(st);
    snprintf(want, sizeof want,
             "checkpoint 2  epoch 2  2023-11-14T22:13:21.500Z  0 bytes  s[2]=25\n"
             "checkpoint 1  epoch 1  2023-11-14T22:13:20.000Z  0 bytes  s[2]=10\n"
             "2 checkpoints of pipeline 'pay' in store '%s', 2 turns logged since the newest\n",
             p);
    CHECK_STR(cmd_out(vg_checkpoint_cmd_list, p, "pay"), want);
    snprintf(want, sizeof want, "no checkpoints of pipeline 'other' in store '%s'\n", p);
    CHECK_STR(cmd_out(vg_checkpoint_cmd_list, p, "other"), want);
    snprintf(want, sizeof want,
             "dropped 2 checkpoints and 2 logged turns of pipeline 'pay' from store '%s'\n", p);
    CHECK_STR(cmd_out(vg_checkpoint_cmd_drop, p, "pay"), want);
    snprintf(want, sizeof want, "no checkpoints of pipeline 'pay' in store '%s'\n", p);
    CHECK_STR(cmd_out(vg_checkpoint_cmd_list, p, "pay"), want);
}

/* ---- vg_run with checkpoints ---- */

#define NEV 600 /* events, over three partitions */

static const char pipeline_sql[] =
    "CREATE STREAM s (id BIGINT, k STRING, x DOUBLE, ts TIMESTAMP(3),\n"
    "  WATERMARK FOR ts AS ts - INTERVAL '2' SECOND);\n"
    "INSERT INTO feats SELECT id, k, x, COUNT(*) OVER w AS n, SUM(x) OVER w AS sx FROM s\n"
    "  WINDOW w AS (PARTITION BY k ORDER BY ts\n"
    "               RANGE BETWEEN INTERVAL '10' SECOND PRECEDING AND CURRENT ROW);\n"
    "INSERT INTO totals SELECT k, COUNT(*) AS n, SUM(x) AS t FROM s GROUP BY k;\n"
    "INSERT INTO mins SELECT window_start, window_end, k, COUNT(*) AS c\n"
    "  FROM TABLE(TUMBLE(TABLE s, DESCRIPTOR(ts), INTERVAL '5' SECOND))\n"
    "  GROUP BY window_start, window_end, k;\n";

/* The input: events i = 0..NEV-1 in partition i % 3 (a second apart within
 * it, every 50th late by 30 s), key k<i % 7>; and two malformed messages. */
static void produce_input(void)
{
    vg_error err;
    vg_error_clear(&err);
    vg_kafka_sink_opts so = {.name = "in", .bootstrap = boot, .topic = "in"};
    vg_kafka_sink *in = vg_kafka_sink_open(&so, &err);
    CHECK(in != NULL);
    if (!in)
        return;
    char v[128];
    for (int i = 0; i < NEV; i++) {
        long long ts = 1000LL * (i / 3) - (i % 50 == 49 ? 30000 : 0);
        int n = snprintf(v, sizeof v, "{\"id\":%d,\"k\":\"k%d\",\"x\":%d.5,\"ts\":%lld}", i, i % 7,
                         i % 11, ts);
        CHECK_INT(vg_kafka_sink_send_to(in, i % 3, NULL, 0, v, (size_t)n, 0, &err), 0);
        if (i == 100 || i == 400)
            CHECK_INT(vg_kafka_sink_send_to(in, i % 3, NULL, 0, "{\"id\": oops", 11, 0, &err), 0);
    }
    CHECK_INT(vg_kafka_sink_flush(in, 10000, &err), 0);
    vg_kafka_sink_close(in);
}

/* A pipeline folder `name`: topics NAME-feats (3 partitions, no key) and
 * NAME-totals (2, keyed), files mins.jsonl and dead.jsonl, its own store. */
static void write_pipeline(const char *name)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    mkdir(path, 0755);
    vg_buf reply;
    vg_buf_init(&reply, VG_MEM_OTHER);
    vg_error err;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "topic %s-feats 3", name);
    CHECK_INT(vg_kafka_broker_control(broker, cmd, &reply, &err), 0);
    snprintf(cmd, sizeof cmd, "topic %s-totals 2", name);
    CHECK_INT(vg_kafka_broker_control(broker, cmd, &reply, &err), 0);
    vg_buf_free(&reply);
    FILE *f = fopen(path_in(name, "p.sql"), "w");
    fputs(pipeline_sql, f);
    fclose(f);
    f = fopen(path_in(name, "pipeline.yaml"), "w");
    fprintf(f,
            "name: %s\nsql: p.sql\nsources:\n  s: {kafka: {topic: in, bootstrap: \"%s\"}}\n"
            "sinks:\n  feats: {kafka: {topic: %s-feats, bootstrap: \"%s\"}}\n"
            "  totals: {kafka: {topic: %s-totals, bootstrap: \"%s\"}}\n"
            "  mins: {file: mins.jsonl}\n  dead_letter: {file: dead.jsonl}\n"
            "state: {store: state.db, checkpoint_interval: 1ms}\n",
            name, boot, name, boot, name, boot);
    fclose(f);
    /* the turn log's store file made now, so that the faults counted during a run fall on
     * the checkpoints and the turns, not on the creation of its tables */
    vg_store *turns = vg_store_open(path_in(name, "state.db-turns"), &err);
    CHECK(turns != NULL);
    vg_store_close(turns);
}

/* Run the pipeline `name` until it has read max events (0: to the end of
 * its input); its reloads compile its pipeline.yaml. */
static int run_pipeline_n(const char *name, uint64_t max, vg_run_metrics *m, vg_error *err)
{
    vg_error_clear(err);
    vg_config *cfg = NULL;
    const char *path = path_in(name, "pipeline.yaml");
    vg_pipeline *p = vg_pipeline_load(path, err);
    if (!p || vg_config_load(path, &cfg, err) < 0) {
        vg_pipeline_free(p);
        memset(m, 0, sizeof *m);
        return -1;
    }
    vg_run_opts o = {.stop_fd = -1,
                     .exit_at_end = true,
                     .batch_size = 25,
                     .commit_interval_ms = 1,
                     .max_events = max,
                     .pipeline_path = path};
    int rc = vg_run(vg_pipeline_plan(p), cfg, &o, m, err);
    vg_config_free(cfg);
    vg_pipeline_free(p);
    return rc;
}

/* Run the pipeline `name` to the end of its input. */
static int run_pipeline(const char *name, vg_run_metrics *m, vg_error *err)
{
    return run_pipeline_n(name, 0, m, err);
}

/* Everything the pipeline `name` wrote: each topic from the beginning, each
 * partition in order, then the files (malloc'd). */
static char *out_text(const char *name)
{
    vg_buf b;
    vg_buf_init(&b, VG_MEM_OTHER);
    static const char *const sinks[] = {"feats", "totals"};
    for (int i = 0; i < 2; i++) {
        char topic[128];
        snprintf(topic, sizeof topic, "%s-%s", name, sinks[i]);
        topic_text(&b, boot, topic, 3, sinks[i]);
    }
    char *mins = slurp(path_in(name, "mins.jsonl")), *dead = slurp(path_in(name, "dead.jsonl"));
    vg_buf_printf(&b, "== mins\n%s== dead\n%s", mins, dead);
    free(mins);
    free(dead);
    char *s = strndup(b.p, b.len);
    vg_buf_free(&b);
    return s;
}

/* The output of `name` is the reference's. */
static void check_output(const char *name)
{
    char *got = out_text(name);
    CHECK(strcmp(got, reference) == 0);
    if (strcmp(got, reference) != 0)
        fprintf(stderr, "%s: %zu bytes of output, want %zu\n", name, strlen(got),
                strlen(reference));
    free(got);
}

static void test_reference(void)
{
    produce_input();
    write_pipeline("ref");
    vg_run_metrics m;
    vg_error err;
    CHECK_INT(run_pipeline("ref", &m, &err), 0);
    CHECK_INT(m.sources[0].events_read, NEV + 2);
    CHECK_INT(m.sources[0].partitions, 3);
    CHECK_INT(m.sources[0].events_dead, 2);
    CHECK(m.checkpoints >= 10); /* the first, one after nearly every turn, the last */
    if (m.checkpoints < 10)
        fprintf(stderr, "reference: %llu checkpoints\n", (unsigned long long)m.checkpoints);
    CHECK_INT(m.checkpoint_failures, 0);
    CHECK_INT(m.restored_epoch, 0);
    vg_run_metrics_free(&m);
    reference = out_text("ref");
    /* every row of feats numbered 1..NEV-ish once; totals keyed on two partitions */
    CHECK(strstr(reference, "\n2 1 {\"id\":0,") == NULL); /* seq 1 goes to partition 0 */
    const char *head = "== feats\n0 1 {\"id\":0,\"k\":\"k0\",";
    CHECK(strncmp(reference, head, strlen(head)) == 0);
    CHECK(strstr(reference, "== totals\n0 ") != NULL && strstr(reference, "\n1 ") != NULL);
    CHECK(strstr(reference, "late: event time") != NULL); /* late rows dead-lettered */
    CHECK(strstr(reference, "\"reason\":\"invalid JSON") != NULL);

    /* the same input again, from the checkpoint: nothing new, nothing written */
    CHECK_INT(run_pipeline("ref", &m, &err), 0);
    CHECK_INT(m.sources[0].events_read, 0);
    CHECK(m.restored_epoch > 0);
    CHECK_INT(m.recovered_turns, 0);
    CHECK_INT(m.checkpoints, 0);
    vg_run_metrics_free(&m);
    check_output("ref");

    /* another run of the same pipeline over the same input gives the same rows */
    write_pipeline("again");
    CHECK_INT(run_pipeline("again", &m, &err), 0);
    vg_run_metrics_free(&m);
    char *again = out_text("again");
    CHECK(strcmp(again, reference) == 0);
    free(again);
}

/* The count of operations of kinds a fault-free run of `name` makes. */
static uint64_t count_ops(const char *name, unsigned kinds)
{
    write_pipeline(name);
    vg_run_metrics m;
    vg_error err;
    fv_count_from_now(kinds);
    CHECK_INT(run_pipeline(name, &m, &err), 0);
    uint64_t n = fv_count();
    fv_disarm();
    vg_run_metrics_free(&m);
    return n;
}

/* After a failure: a sound store whose newest checkpoint is epoch `epoch`
 * (or later); a restart gives the reference output. */
static void recovers(const char *name, int64_t epoch)
{
    const char *db = path_in(name, "state.db");
    CHECK_STR(raw_sql(db, "PRAGMA integrity_check"), "ok");
    CHECK(atoll(raw_sql(db, "SELECT MAX(epoch) FROM checkpoints")) >= epoch);
    vg_run_metrics m;
    vg_error err;
    CHECK_INT(run_pipeline(name, &m, &err), 0);
    CHECK(m.restored_epoch >= epoch);
    vg_run_metrics_free(&m);
    check_output(name);
}

static void test_io_error_once(void)
{
    uint64_t syncs = count_ops("io-count", FV_SYNC);
    CHECK(syncs >= 10);
    write_pipeline("io-once");
    fv_arm(FV_SYNC, syncs / 2, FV_IOERR, 0);
    vg_run_metrics m;
    vg_error err;
    int rc = run_pipeline("io-once", &m, &err);
    int fired = fv.fired;
    fv_disarm();
    CHECK(fired);
    CHECK_INT(rc, 0);
    if (rc != 0)
        fprintf(stderr, "io-once: %s\n", err.msg);
    CHECK_INT(m.checkpoint_failures, 1); /* the checkpoint after it did its work */
    vg_run_metrics_free(&m);
    CHECK_STR(raw_sql(path_in("io-once", "state.db"), "PRAGMA integrity_check"), "ok");
    check_output("io-once");
}

static void test_disk_stays_full(void)
{
    uint64_t syncs = count_ops("full-count", FV_SYNC);
    write_pipeline("full");
    fv_arm(FV_SYNC, syncs / 2, FV_FULL, 1);
    vg_run_metrics m;
    vg_error err;
    int rc = run_pipeline("full", &m, &err);
    fv_disarm();
    CHECK_INT(rc, -1); /* every checkpoint from the middle on failed, the last one too */
    CHECK(m.checkpoint_failures >= 2);
    CHECK(err.retriable);
    char want[300];
    snprintf(want, sizeof want, "store '%s': database or disk is full",
             path_in("full", "state.db"));
    CHECK_STR(err.msg, want);
    int64_t last_good = m.epoch;
    CHECK(last_good > 1);
    vg_run_metrics_free(&m);
    recovers("full", last_good);
}

static void test_turn_log_full(void)
{
    uint64_t writes = count_ops("log-count", FV_WRITE);
    write_pipeline("log-full");
    fv_arm(FV_WRITE, writes / 3, FV_FULL, 1);
    vg_run_metrics m;
    vg_error err;
    int rc = run_pipeline("log-full", &m, &err);
    fv_disarm();
    CHECK_INT(rc, -1);
    CHECK_INT(err.code, VG_ERR_RUNTIME);
    CHECK(strncmp(err.msg, "cannot log turn ", 16) == 0);
    CHECK(strstr(err.msg, ", so its rows are not written: store '") != NULL);
    CHECK(strstr(err.msg, "database or disk is full (a restart resumes from the last "
                          "checkpoint)") != NULL);
    int64_t last_good = m.epoch;
    vg_run_metrics_free(&m);
    recovers("log-full", last_good);
}

/* The output of a run stopped after NEV / 3 events and started again (its
 * turns are cut where the stop cut them, not as the reference's). */
static char *split_reference;

/* Stop `name` after NEV / 3 events; with edit, then add a sink (a GROUP BY
 * of its own) to the SQL and pipeline.yaml: the next start recovers in the
 * checkpoint's plan and reloads. */
static void run_then_edit(const char *name, bool edit)
{
    write_pipeline(name);
    vg_run_metrics m;
    vg_error err;
    CHECK_INT(run_pipeline_n(name, NEV / 3, &m, &err), 0);
    CHECK_INT(m.reloads, 0);
    vg_run_metrics_free(&m);
    if (!edit)
        return;
    FILE *f = fopen(path_in(name, "p.sql"), "a");
    fputs("INSERT INTO extra SELECT k, MAX(x) AS mx FROM s GROUP BY k;\n", f);
    fclose(f);
    char *yaml = slurp(path_in(name, "pipeline.yaml"));
    char *mins = strstr(yaml, "  mins: {file: mins.jsonl}\n");
    f = fopen(path_in(name, "pipeline.yaml"), "w");
    fprintf(f, "%.*s  extra: {file: extra.jsonl}\n%s", (int)(mins - yaml), yaml, mins);
    fclose(f);
    free(yaml);
}

/* A restart after the SQL changed: recovered, reloaded, and every sink the
 * edit kept has exactly the reference output. */
static void test_restart_after_edit(void)
{
    vg_run_metrics m;
    vg_error err;
    run_then_edit("split", false);
    CHECK_INT(run_pipeline("split", &m, &err), 0);
    vg_run_metrics_free(&m);
    split_reference = out_text("split");
    run_then_edit("edit", true);
    CHECK_INT(run_pipeline("edit", &m, &err), 0);
    CHECK_INT(m.reloads, 1);
    CHECK(m.restored_epoch > 0);
    vg_run_metrics_free(&m);
    char *got = out_text("edit");
    CHECK(strcmp(got, split_reference) == 0);
    free(got);
    char *extra = slurp(path_in("edit", "extra.jsonl"));
    CHECK(strstr(extra, "{\"op\":\"+I\",\"k\":\"k0\",\"mx\":") != NULL);
    free(extra);
    CHECK_STR(raw_sql(path_in("edit", "state.db"),
                      "SELECT COUNT(DISTINCT plan_fp) FROM checkpoint_plans"),
              "1"); /* the first plan's SQL went with its last checkpoint */
}

/* The checkpoint after the reload at the start fails: the run stops (no turn
 * may be logged under the old plan's epoch), and the next start recovers. */
static void test_reload_checkpoint_fails(void)
{
    run_then_edit("edit-full", true);
    fv_arm(FV_SYNC, 1, FV_FULL, 1);
    vg_run_metrics m;
    vg_error err;
    int rc = run_pipeline("edit-full", &m, &err);
    fv_disarm();
    CHECK_INT(rc, -1);
    CHECK_INT(err.code, VG_ERR_IO);
    char want[400];
    snprintf(want, sizeof want,
             "the change is made, but the checkpoint after it failed, so no turn can be logged: "
             "store '%s': database or disk is full (a restart recovers from the checkpoint "
             "before it and makes the change again)",
             path_in("edit-full", "state.db"));
    CHECK_STR(err.msg, want);
    CHECK_INT(m.sources[0].events_read, 0);
    vg_run_metrics_free(&m);
    CHECK_STR(raw_sql(path_in("edit-full", "state.db"), "PRAGMA integrity_check"), "ok");
    CHECK_INT(run_pipeline("edit-full", &m, &err), 0);
    CHECK_INT(m.reloads, 1);
    vg_run_metrics_free(&m);
    char *got = out_text("edit-full");
    CHECK(split_reference && strcmp(got, split_reference) == 0);
    free(got);
}

/* The run with checkpoints written in the background while the turns go on
 * (as vigil run does; the other runs here wait for each one): the same rows
 * as the reference, and after a stop mid-way with checkpoints in flight, a
 * restart gives the rows of a run stopped there. */
static void test_async(void)
{
    unsetenv("VIGIL_CKPT_WAIT");
    vg_run_metrics m;
    vg_error err;
    write_pipeline("async");
    CHECK_INT(run_pipeline("async", &m, &err), 0);
    CHECK(m.checkpoints >= 2);
    CHECK_INT(m.checkpoint_failures, 0);
    vg_run_metrics_free(&m);
    check_output("async");
    write_pipeline("async-split");
    CHECK_INT(run_pipeline_n("async-split", NEV / 3, &m, &err), 0);
    vg_run_metrics_free(&m);
    CHECK_INT(run_pipeline("async-split", &m, &err), 0);
    CHECK(m.restored_epoch > 0);
    vg_run_metrics_free(&m);
    char *got = out_text("async-split");
    CHECK(split_reference && strcmp(got, split_reference) == 0);
    free(got);
    setenv("VIGIL_CKPT_WAIT", "1", 1);
}

/* Every allocation of a checkpointed run fails in turn (a sample of them):
 * a clean error, nothing leaked, and the next run recovers from what the
 * failed one left; the output at the end is the reference's. */
static void test_alloc_failures(void)
{
    write_pipeline("alloc");
    size_t base = mem_total();
    int bad = 0, runs = 0;
    bool done = false;
    for (uint64_t n = 1; !done && runs < 150; n += 1 + n / 10, runs++) {
        vg_run_metrics m;
        vg_error err;
        vg_alloc_fail_at(n, 0);
        int rc = run_pipeline("alloc", &m, &err);
        bool failed = vg_alloc_failed();
        vg_alloc_fail_at(0, 0);
        vg_run_metrics_free(&m);
        done = !failed;
        if (rc < 0 && err.code != VG_ERR_NOMEM) {
            fprintf(stderr, "allocation %llu: %s\n", (unsigned long long)n, err.msg);
            bad++;
        }
        bad += mem_total() != base;
    }
    CHECK_INT(bad, 0);
    CHECK(done);
    CHECK(runs > 30);
    fprintf(stderr, "alloc: %d runs\n", runs);
    vg_run_metrics m;
    vg_error err;
    CHECK_INT(run_pipeline("alloc", &m, &err), 0);
    vg_run_metrics_free(&m);
    check_output("alloc");
}

int main(void)
{
    snprintf(dir, sizeof dir, "/tmp/vg_runckpt_XXXXXX");
    if (!mkdtemp(dir) || fv_install() < 0)
        return 1;
    /* each checkpoint waited for: the same run makes the same store operations in the same
     * order, so that the Nth can be made to fail (test_async runs without) */
    setenv("VIGIL_CKPT_WAIT", "1", 1);
    RUN(test_crash_hook);
    RUN(test_turn_log);
    RUN(test_turn_epochs);
    RUN(test_schema_2);
    RUN(test_checkpoints_cmd);
    vg_kafka_topic_spec t = {"in", 3};
    vg_kafka_broker_opts bo = {.port = 0, .brokers = 1, .ntopics = 1, .topics = &t};
    vg_error err;
    vg_error_clear(&err);
    broker = vg_kafka_broker_start(&bo, &err);
    CHECK(broker != NULL);
    if (broker) {
        boot = vg_kafka_broker_bootstraps(broker);
        RUN(test_reference);
        if (reference) {
            RUN(test_io_error_once);
            RUN(test_disk_stays_full);
            RUN(test_turn_log_full);
            RUN(test_restart_after_edit);
            RUN(test_reload_checkpoint_fails);
            RUN(test_async);
            RUN(test_alloc_failures);
        }
        vg_kafka_broker_stop(broker);
    }
    free(reference);
    free(split_reference);
    fv_reset();
    (void)fv_powercut; /* the power cut is test_checkpoint_fault.c's */
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
    return CHECK_DONE();
}
