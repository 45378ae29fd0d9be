/*
 * test_run_restart.c — `vigil run` restarting itself after a Kafka
 * failure (opts.max_restarts), in process against an in-process dev broker
 * whose fault control pushes the errors: a transactional producer's fatal
 * error mid-run (EndTxn answered INVALID_TXN_STATE) is cured by one
 * restart, announced by one line, and the output is the fault-free run's
 * row for row; an aborted transaction likewise; max_restarts 0 keeps the
 * old way (the run fails, a later start recovers); failures that go on
 * exhaust the restarts and the last error is returned; a fenced producer
 * is never restarted ("another instance ... is running"); without a store
 * nothing is restarted; a stop while waiting to restart stops at once; no
 * restart leaks. The same through a real process
 * and kill -9 is tests/fault/run-crash.sh's (scenario txn-fatal).
 */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/alloc.h"
#include "engine/config.h"
#include "engine/kafka.h"
#include "engine/metrics.h"
#include "engine/pipeline.h"
#include "engine/run.h"
#include "tests/unit/check.h"
#include "tests/unit/run_test.h"

#define NEV 240 /* events, over two partitions */

static vg_kafka_broker *broker;
static const char *boot;
static char *reference; /* the fault-free run's output (out_text) */

static const char pipeline_sql[] =
    "CREATE STREAM s (id BIGINT, k STRING, x DOUBLE, ts TIMESTAMP(3),\n"
    "  WATERMARK FOR ts AS ts - INTERVAL '2' SECOND);\n"
    "INSERT INTO rows_out SELECT id, k, x FROM s;\n"
    "INSERT INTO totals SELECT k, COUNT(*) AS n, SUM(x) AS t FROM s GROUP BY k;\n";

/* Run one fault-control command; its answer ("ok", or the error). */
static const char *control(const char *line)
{
    static char out[600];
    vg_buf reply;
    vg_buf_init(&reply, VG_MEM_OTHER);
    vg_error err;
    vg_error_clear(&err);
    if (vg_kafka_broker_control(broker, line, &reply, &err) < 0)
        snprintf(out, sizeof out, "error: %s", err.msg);
    else
        snprintf(out, sizeof out, "%.*s", (int)reply.len, reply.p ? reply.p : "");
    vg_buf_free(&reply);
    return out;
}

/* The input: events i = 0..NEV-1 in partition i % 2, key k<i % 5>. */
static void produce_input(void)
{
    vg_error err;
    vg_error_clear(&err);
    CHECK_STR(control("topic in 2"), "ok");
    vg_kafka_sink_opts so = {.name = "in", .bootstrap = boot, .topic = "in"};
    vg_kafka_sink *in = vg_kafka_sink_open(&so, &err);
    CHECK(in != NULL);
    if (!in)
        return;
    char v[128];
    for (int i = 0; i < NEV; i++) {
        int n = snprintf(v, sizeof v, "{\"id\":%d,\"k\":\"k%d\",\"x\":%d.5,\"ts\":%lld}", i, i % 5,
                         i % 11, 1000LL * (i / 2));
        CHECK_INT(vg_kafka_sink_send_to(in, i % 2, NULL, 0, v, (size_t)n, 0, &err), 0);
    }
    CHECK_INT(vg_kafka_sink_flush(in, 10000, &err), 0);
    vg_kafka_sink_close(in);
}

/* A pipeline folder `name` writing topics NAME-rows (2 partitions) and
 * NAME-totals (keyed, 2), with a store unless `store` is false. */
static void write_pipeline(const char *name, bool store)
{
    char path[256], cmd[128];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    mkdir(path, 0755);
    snprintf(cmd, sizeof cmd, "topic %s-rows 2", name);
    CHECK_STR(control(cmd), "ok");
    snprintf(cmd, sizeof cmd, "topic %s-totals 2", name);
    CHECK_STR(control(cmd), "ok");
    FILE *f = fopen(path_in(name, "p.sql"), "w");
    fputs(pipeline_sql, f);
    fclose(f);
    f = fopen(path_in(name, "pipeline.yaml"), "w");
    fprintf(f,
            "name: %s\nsql: p.sql\nsources:\n  s: {kafka: {topic: in, bootstrap: \"%s\"}}\n"
            "sinks:\n  rows_out: {kafka: {topic: %s-rows, bootstrap: \"%s\"}}\n"
            "  totals: {kafka: {topic: %s-totals, bootstrap: \"%s\"}}\n"
            "  dead_letter: {file: dead.jsonl}\n%s",
            name, boot, name, boot, name, boot,
            store ? "state: {store: state.db, checkpoint_interval: 1ms}\n" : "");
    fclose(f);
}

/* What a run printed on its log. */
typedef struct run_log {
    char *text; /* (malloc'd) */
} run_log;

/* Run pipeline `name` to the end of its input with max_restarts; its log
 * lines in *log (free log->text), written as they come to NAME/run.log.
 * stop_fd: opts.stop_fd (-1: none). */
/* The run's log stream: lines go to a file; when stop_fd >= 0, the line
 * that announces a restart also writes the stop byte, so the stop is there
 * before the run starts its wait (no watcher, no polling). */
typedef struct log_sink {
    FILE *file;  /* where the lines go */
    int stop_fd; /* the write end of the run's stop descriptor, or -1 */
    bool sent;   /* the stop byte was written */
} log_sink;

static ssize_t log_write(void *cookie, const char *buf, size_t n)
{
    log_sink *s = cookie;
    static const char restart[] = "vigil: restarting from checkpoint ";
    if (s->stop_fd >= 0 && !s->sent && memmem(buf, n, restart, sizeof restart - 1))
        s->sent = write(s->stop_fd, "x", 1) == 1;
    return (ssize_t)fwrite(buf, 1, n, s->file);
}

/* Run `name` with stop descriptor stop_fd (-1: none); with sink->stop_fd
 * set, stopped as soon as it announces a restart. */
static int run_stoppable(const char *name, uint32_t max_restarts, int stop_fd, log_sink *sink,
                         vg_run_metrics *m, run_log *log, vg_error *err)
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
    sink->file = fopen(path_in(name, "run.log"), "w");
    FILE *f = sink->file ? fopencookie(sink, "w", (cookie_io_functions_t){.write = log_write})
                         : NULL;
    if (f)
        setvbuf(f, NULL, _IOLBF, 0); /* a whole line per write */
    vg_run_opts o = {.stop_fd = stop_fd,
                     .exit_at_end = true,
                     .batch_size = 20,
                     .commit_interval_ms = 1,
                     .pipeline_path = path,
                     .log = f,
                     .log_level = 3,
                     .max_restarts = max_restarts};
    int rc = vg_run(vg_pipeline_plan(p), cfg, &o, m, err);
    if (f)
        fclose(f);
    if (sink->file)
        fclose(sink->file);
    log->text = slurp(path_in(name, "run.log"));
    vg_config_free(cfg);
    vg_pipeline_free(p);
    return rc;
}

static int run_pipeline(const char *name, uint32_t max_restarts, vg_run_metrics *m, run_log *log,
                        vg_error *err)
{
    log_sink sink = {.stop_fd = -1};
    return run_stoppable(name, max_restarts, -1, &sink, m, log, err);
}

/* How many lines of log start with prefix. */
static int lines_starting(const run_log *log, const char *prefix)
{
    int n = 0;
    for (const char *l = log->text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : "")
        n += strncmp(l, prefix, strlen(prefix)) == 0;
    return n;
}

/* The first line of log that starts with prefix, without its newline. */
static const char *line_starting(const run_log *log, const char *prefix)
{
    static char out[1024];
    const char *l = log->text ? strstr(log->text, prefix) : NULL;
    if (!l)
        return "(none)";
    size_t n = strcspn(l, "\n");
    snprintf(out, sizeof out, "%.*s", (int)(n < sizeof out ? n : sizeof out - 1), l);
    return out;
}

/* Both topics of `name`, every partition from its beginning (malloc'd). */
static char *out_text(const char *name)
{
    vg_buf b;
    vg_buf_init(&b, VG_MEM_OTHER);
    static const char *const sinks[] = {"rows", "totals"};
    for (int i = 0; i < 2; i++) {
        char topic[128];
        snprintf(topic, sizeof topic, "%s-%s", name, sinks[i]);
        topic_text(&b, boot, topic, 2, sinks[i]);
    }
    char *s = strndup(b.p, b.len);
    vg_buf_free(&b);
    return s;
}

/* The output of `name` is the reference's, row for row. */
static void check_output(const char *name)
{
    char *got = out_text(name);
    CHECK(strcmp(got, reference) == 0);
    if (strcmp(got, reference) != 0)
        fprintf(stderr, "%s: %zu bytes of output, want %zu\n%s\n", name, strlen(got),
                strlen(reference), got);
    free(got);
}

static void test_reference(void)
{
    produce_input();
    write_pipeline("ref", true);
    vg_run_metrics m;
    vg_error err;
    run_log log = {0};
    size_t before = mem_total();
    CHECK_INT(run_pipeline("ref", 5, &m, &log, &err), 0);
    CHECK_INT(m.sources[0].events_read, NEV);
    CHECK_INT(m.restarts, 0);
    CHECK(m.checkpoints >= 3); /* the first, some while it runs (one at a time), the last */
    if (m.checkpoints < 3)
        fprintf(stderr, "reference: %llu checkpoints\n", (unsigned long long)m.checkpoints);
    CHECK_INT(lines_starting(&log, "vigil: restarting"), 0);
    vg_run_metrics_free(&m);
    CHECK_INT(mem_total(), before);
    free(log.text);
    reference = out_text("ref");
    CHECK(strncmp(reference, "== rows\n0 1 {\"id\":0,\"k\":\"k0\",\"x\":0.5}\n", 38) == 0);
    CHECK(strstr(reference, "== totals\n") != NULL);
}

/* A run of `name` in which the commit of its first transaction that holds
 * rows gets `error`: restarted once, the reference output. */
static void cured_by_one_restart(const char *name, const char *error, const char *why)
{
    write_pipeline(name, true);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "errors EndTxn 1 %s", error);
    CHECK_STR(control(cmd), "ok");
    vg_run_metrics m;
    vg_error err;
    run_log log = {0};
    size_t before = mem_total();
    int rc = run_pipeline(name, 3, &m, &log, &err);
    CHECK_INT(rc, 0);
    if (rc != 0)
        fprintf(stderr, "%s: %s\n%s", name, err.msg, log.text);
    CHECK_INT(m.restarts, 1);
    CHECK(m.restored_epoch >= 1); /* the restart resumed from a checkpoint of the first run */
    CHECK_INT(lines_starting(&log, "vigil: restarting from checkpoint "), 1);
    char want[512];
    snprintf(want, sizeof want,
             "vigil: restarting from checkpoint %lld (attempt 1 of 3) after: "
             "sinks of pipeline '%s': %s",
             (long long)m.restored_epoch, name, why);
    CHECK_STR(line_starting(&log, "vigil: restarting"), want);
    vg_run_metrics_free(&m);
    CHECK_INT(mem_total(), before);
    free(log.text);
    check_output(name);
}

static void test_fatal_error_restarts(void)
{
    cured_by_one_restart("fatal", "INVALID_TXN_STATE",
                         "cannot commit a transaction: Failed to end transaction: Broker: Producer "
                         "attempted a transactional operation in an invalid state");
}

static void test_aborted_transaction_restarts(void)
{
    cured_by_one_restart("aborted", "INVALID_PRODUCER_ID_MAPPING",
                         "the broker aborted the transaction since the last checkpoint; a restart "
                         "writes its rows again");
}

static void test_no_restarts(void)
{
    write_pipeline("norestart", true);
    CHECK_STR(control("errors EndTxn 1 INVALID_TXN_STATE"), "ok");
    vg_run_metrics m;
    vg_error err;
    run_log log = {0};
    CHECK_INT(run_pipeline("norestart", 0, &m, &log, &err), -1);
    CHECK_INT(err.code, VG_ERR_IO);
    CHECK_STR(err.msg, "sinks of pipeline 'norestart': cannot commit a transaction: Failed to end "
                       "transaction: Broker: Producer attempted a transactional operation in an "
                       "invalid state");
    CHECK_INT(m.restarts, 0);
    CHECK_INT(lines_starting(&log, "vigil: restarting"), 0);
    vg_run_metrics_free(&m);
    free(log.text);
    /* the next start recovers, as before */
    log = (run_log){0};
    CHECK_INT(run_pipeline("norestart", 0, &m, &log, &err), 0);
    CHECK(m.restored_epoch >= 1);
    vg_run_metrics_free(&m);
    free(log.text);
    check_output("norestart");
}

static void test_restarts_run_out(void)
{
    write_pipeline("runout", true);
    CHECK_STR(control("errors EndTxn 40 INVALID_TXN_STATE"), "ok");
    vg_run_metrics m;
    vg_error err;
    run_log log = {0};
    size_t before = mem_total();
    CHECK_INT(run_pipeline("runout", 2, &m, &log, &err), -1);
    CHECK_STR(control("clear EndTxn"), "ok");
    CHECK_STR(err.msg, "sinks of pipeline 'runout': cannot commit a transaction: Failed to end "
                       "transaction: Broker: Producer attempted a transactional operation in an "
                       "invalid state");
    CHECK_INT(m.restarts, 2);
    CHECK_INT(lines_starting(&log, "vigil: restarting from checkpoint "), 2);
    CHECK(strstr(log.text, "(attempt 1 of 2) after: ") != NULL);
    CHECK(strstr(log.text, "(attempt 2 of 2) after: ") != NULL);
    CHECK_STR(line_starting(&log, "vigil: not restarting"),
              "vigil: not restarting: 2 restarts in a row did not get a checkpoint written");
    vg_run_metrics_free(&m);
    CHECK_INT(mem_total(), before);
    free(log.text);
    /* the store is sound: a start after the broker recovered gives the reference output */
    log = (run_log){0};
    CHECK_INT(run_pipeline("runout", 2, &m, &log, &err), 0);
    CHECK_INT(m.restarts, 0);
    vg_run_metrics_free(&m);
    free(log.text);
    check_output("runout");
}

static void test_fenced_not_restarted(void)
{
    write_pipeline("fenced", true);
    CHECK_STR(control("errors EndTxn 1 PRODUCER_FENCED"), "ok");
    vg_run_metrics m;
    vg_error err;
    run_log log = {0};
    CHECK_INT(run_pipeline("fenced", 5, &m, &log, &err), -1);
    CHECK_INT(err.code, VG_ERR_IO);
    CHECK_STR(err.msg, "another instance of pipeline 'fenced' is running: a producer with the same "
                       "transactional.id fenced this one, so this run stops and does not restart "
                       "(sinks of pipeline 'fenced': cannot commit a transaction: Failed to end "
                       "transaction: Local: This instance has been fenced by a newer instance)");
    CHECK_INT(m.restarts, 0);
    CHECK_INT(lines_starting(&log, "vigil: restarting"), 0);
    vg_run_metrics_free(&m);
    free(log.text);
}

static void test_no_store_not_restarted(void)
{
    write_pipeline("nostore", false);
    CHECK_STR(control("errors Produce 30 INVALID_REQUIRED_ACKS"), "ok");
    vg_run_metrics m;
    vg_error err;
    run_log log = {0};
    CHECK_INT(run_pipeline("nostore", 5, &m, &log, &err), -1);
    CHECK_STR(control("clear Produce"), "ok");
    CHECK_INT(err.code, VG_ERR_IO);
    CHECK(strstr(err.msg, "delivery to topic 'nostore-") != NULL);
    if (!strstr(err.msg, "delivery to topic 'nostore-"))
        fprintf(stderr, "nostore: %s\n", err.msg);
    CHECK_INT(vg_kafka_fault_of(&err), VG_KAFKA_FAULT_CLIENT); /* curable, but no state */
    CHECK_INT(m.restarts, 0);
    CHECK_INT(lines_starting(&log, "vigil: restarting"), 0);
    vg_run_metrics_free(&m);
    free(log.text);
}

static void test_stop_while_waiting(void)
{
    write_pipeline("stopwait", true);
    CHECK_STR(control("errors EndTxn 1 INVALID_TXN_STATE"), "ok");
    int fds[2];
    CHECK_INT(pipe(fds), 0);
    vg_run_metrics m;
    vg_error err;
    run_log log = {0};
    log_sink sink = {.stop_fd = fds[1]};
    int rc = run_stoppable("stopwait", 5, fds[0], &sink, &m, &log, &err);
    CHECK(sink.sent);
    CHECK_INT(rc, -1);
    CHECK_STR(err.msg, "sinks of pipeline 'stopwait': cannot commit a transaction: Failed to end "
                       "transaction: Broker: Producer attempted a transactional operation in an "
                       "invalid state");
    CHECK_INT(lines_starting(&log, "vigil: restarting from checkpoint "), 1);
    CHECK_INT(lines_starting(&log, "vigil: stopped while waiting to restart"), 1);
    CHECK_INT(m.restarts, 0); /* the wait was cut short: no restart made */
    vg_run_metrics_free(&m);
    free(log.text);
    close(fds[0]);
    close(fds[1]);
    /* nothing is lost: the next start recovers */
    log = (run_log){0};
    CHECK_INT(run_pipeline("stopwait", 5, &m, &log, &err), 0);
    CHECK_INT(m.restarts, 0);
    vg_run_metrics_free(&m);
    free(log.text);
    check_output("stopwait");
}

/* The admin API's /metrics counts the restarts. */
static void test_metrics_line(void)
{
    vg_metrics m;
    vg_metrics_init(&m);
    m.restarts = 2;
    vg_buf out;
    vg_buf_init(&out, VG_MEM_OTHER);
    CHECK_INT(vg_metrics_write(&m, NULL, NULL, &out), 0);
    const char *want = "# HELP vigil_restarts_total Times vigil run restarted from its checkpoint "
                       "after a failure (a Kafka client's).\n# TYPE vigil_restarts_total counter\n"
                       "vigil_restarts_total 2\n";
    CHECK(out.p && strstr(out.p, want) != NULL);
    vg_buf_free(&out);
}

int main(void)
{
    snprintf(dir, sizeof dir, "/tmp/vigil-restart-XXXXXX");
    if (!mkdtemp(dir))
        return 2;
    vg_error err;
    vg_error_clear(&err);
    vg_kafka_broker_opts bo = {.port = 0};
    broker = vg_kafka_broker_start(&bo, &err);
    if (!broker) {
        fprintf(stderr, "dev broker: %s\n", err.msg);
        return 2;
    }
    boot = vg_kafka_broker_bootstraps(broker);
    RUN(test_reference);
    RUN(test_fatal_error_restarts);
    RUN(test_aborted_transaction_restarts);
    RUN(test_no_restarts);
    RUN(test_restarts_run_out);
    RUN(test_fenced_not_restarted);
    RUN(test_no_store_not_restarted);
    RUN(test_stop_while_waiting);
    RUN(test_metrics_line);
    free(reference);
    vg_kafka_broker_stop(broker);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "cannot remove %s\n", dir);
    return CHECK_DONE();
}
