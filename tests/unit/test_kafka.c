/*
 * test_kafka.c — the Kafka module against an in-process dev broker: fixed
 * ports (the bind interposer) and a port already taken, the fault-control
 * commands and their error texts, a sink's keyed messages read back by a
 * source in a group (values, keys, partitions, offsets, the start-offset
 * hook, commits), a delivery that fails, refused properties, and
 * allocation failures while opening sinks and sources.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "engine/alloc.h"
#include "engine/clock.h"
#include "engine/config.h"
#include "engine/kafka.h"
#include "engine/pipeline.h"
#include "engine/run.h"
#include "tests/unit/check.h"

static size_t mem_total(void)
{
    size_t n = 0;
    for (int t = 0; t < VG_MEM_NTAGS; t++)
        n += vg_mem_in_use((vg_mem_tag)t);
    return n;
}

/* A loopback socket bound to a port the system picks; the port in *port.
 * listening: keep it (and listen), so the port stays taken. */
static int loopback_socket(int *port, bool listening)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sin = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof sin;
    if (fd < 0 || bind(fd, (struct sockaddr *)&sin, sizeof sin) < 0 ||
        getsockname(fd, (struct sockaddr *)&sin, &len) < 0 || (listening && listen(fd, 1) < 0))
        return -1;
    *port = ntohs(sin.sin_port);
    if (!listening) {
        close(fd);
        return 0;
    }
    return fd;
}

static vg_kafka_broker *start(int port, int brokers, const vg_kafka_topic_spec *t, uint32_t nt,
                              vg_error *err)
{
    vg_kafka_broker_opts o = {.port = port, .brokers = brokers, .ntopics = nt, .topics = t};
    vg_error_clear(err);
    return vg_kafka_broker_start(&o, err);
}

/* The answer to one control command, or "error: MESSAGE". */
static const char *control(vg_kafka_broker *b, const char *line)
{
    static char out[600];
    vg_buf reply;
    vg_error err;
    vg_buf_init(&reply, VG_MEM_IO);
    vg_error_clear(&err);
    if (vg_kafka_broker_control(b, line, &reply, &err) < 0)
        snprintf(out, sizeof out, "error: %s", err.msg);
    else
        snprintf(out, sizeof out, "%.*s", (int)reply.len, reply.p);
    vg_buf_free(&reply);
    return out;
}

static void test_fixed_port(void)
{
    int port;
    vg_error err;
    CHECK_INT(loopback_socket(&port, false), 0);
    vg_kafka_broker *b = start(port, 2, NULL, 0, &err);
    CHECK(b != NULL);
    if (!b)
        return;
    char want[64];
    snprintf(want, sizeof want, "127.0.0.1:%d,127.0.0.1:%d", port, port + 1);
    CHECK_STR(vg_kafka_broker_bootstraps(b), want);
    snprintf(want, sizeof want, "ok 127.0.0.1:%d,127.0.0.1:%d", port, port + 1);
    CHECK_STR(control(b, "bootstrap"), want);
    /* down and up: the broker comes back on its port */
    CHECK_STR(control(b, "down 2"), "ok");
    CHECK_STR(control(b, "up 2"), "ok");
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sin = {.sin_family = AF_INET,
                              .sin_port = htons((uint16_t)(port + 1)),
                              .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    CHECK_INT(connect(fd, (struct sockaddr *)&sin, sizeof sin), 0);
    close(fd);
    vg_kafka_broker_stop(b);
}

static void test_port_taken(void)
{
    int port;
    vg_error err;
    int fd = loopback_socket(&port, true);
    CHECK(fd >= 0);
    vg_kafka_broker *b = start(port, 1, NULL, 0, &err);
    CHECK(b == NULL);
    char want[96];
    snprintf(want, sizeof want, "cannot listen on 127.0.0.1:%d: Address already in use", port);
    CHECK_STR(err.msg, want);
    CHECK_INT(err.code, VG_ERR_IO);
    vg_kafka_broker_stop(b);
    close(fd);
    b = start(70000, 1, NULL, 0, &err);
    CHECK(b == NULL);
    CHECK_STR(err.msg, "ports 70000..70000 are not valid TCP ports");
    vg_kafka_topic_spec bad = {"t", 0};
    b = start(0, 1, &bad, 1, &err);
    CHECK(b == NULL);
    CHECK_STR(err.msg, "topic 't' needs a name and partitions >= 1");
}

static void test_control(void)
{
    vg_error err;
    vg_kafka_broker *b = start(0, 2, NULL, 0, &err);
    CHECK(b != NULL);
    if (!b)
        return;
    CHECK(strncmp(vg_kafka_broker_bootstraps(b), "127.0.0.1:", 10) == 0);
    CHECK_STR(control(b, "help"),
              "ok commands: down ID; up ID; rtt ID MS; errors API COUNT ERROR; clear API; "
              "leader TOPIC PARTITION ID; topic NAME PARTITIONS; bootstrap; help");
    CHECK_STR(control(b, "  "), "error: empty command (try 'help')");
    CHECK_STR(control(b, "frob 1"), "error: unknown command 'frob' (try 'help')");
    CHECK_STR(control(b, "down"), "error: usage: down ID");
    CHECK_STR(control(b, "down 3"), "error: expected a broker id 1..2, got '3'");
    CHECK_STR(control(b, "down x"), "error: expected a broker id 1..2, got 'x'");
    CHECK_STR(control(b, "rtt 1 -5"), "error: expected milliseconds, got '-5'");
    CHECK_STR(control(b, "rtt 1 20"), "ok");
    CHECK_STR(control(b, "rtt 1 0"), "ok");
    CHECK_STR(control(b, "errors Produce 3 NOT_LEADER_FOR_PARTITION"), "ok");
    CHECK_STR(control(b, "errors fetch 2 request_timed_out"), "ok");
    CHECK_STR(control(b, "errors 3 1 _TRANSPORT"), "ok");
    CHECK_STR(control(b, "errors Frob 1 NOT_LEADER_FOR_PARTITION"),
              "error: unknown request type 'Frob' (Produce, Fetch, Metadata, OffsetCommit, "
              "FindCoordinator, ... or a number)");
    CHECK_STR(control(b, "errors Produce 0 NOT_LEADER_FOR_PARTITION"),
              "error: expected a count 1..1000, got '0'");
    CHECK_STR(control(b, "errors Produce 1 NO_SUCH_ERROR"),
              "error: unknown error 'NO_SUCH_ERROR' (e.g. NOT_LEADER_FOR_PARTITION, "
              "REQUEST_TIMED_OUT)");
    CHECK_STR(control(b, "clear Produce"), "ok");
    CHECK_STR(control(b, "clear Fetch"), "ok");
    CHECK_STR(control(b, "clear Metadata"), "ok");
    CHECK_STR(control(b, "topic t2 3"), "ok");
    CHECK_STR(control(b, "topic t3 0"), "error: expected partitions 1..10000, got '0'");
    CHECK_STR(control(b, "leader t2 1 2"), "ok");
    CHECK_STR(control(b, "leader t2 x 2"), "error: expected a partition, got 'x'");
    CHECK_STR(control(b, "a b c d e f g h i"), "error: too many words");
    char longline[600];
    memset(longline, 'x', sizeof longline - 1);
    longline[sizeof longline - 1] = 0;
    CHECK_STR(control(b, longline), "error: command too long");
    vg_kafka_broker_stop(b);
}

/* ---- a sink's messages read back by a source ---- */

static int64_t start_at_2(void *arg, int32_t partition)
{
    (void)arg;
    return partition == 0 ? 2 : -1;
}

static const vg_config_prop group_props[] = {{"session.timeout.ms", "6000"}};

static void test_round_trip(void)
{
    vg_error err;
    vg_kafka_topic_spec t = {"rt", 1};
    vg_kafka_broker *b = start(0, 1, &t, 1, &err);
    CHECK(b != NULL);
    if (!b)
        return;
    const char *boot = vg_kafka_broker_bootstraps(b);
    vg_kafka_sink_opts so = {.name = "out", .bootstrap = boot, .topic = "rt"};
    vg_kafka_sink *sink = vg_kafka_sink_open(&so, &err);
    CHECK(sink != NULL);
    char val[32];
    for (int i = 0; i < 5; i++) {
        int n = snprintf(val, sizeof val, "{\"i\":%d}", i);
        CHECK_INT(vg_kafka_sink_send(sink, i % 2 ? "odd" : NULL, 3, val, (size_t)n, &err), 0);
    }
    CHECK_INT(vg_kafka_sink_flush(sink, 10000, &err), 0);
    vg_kafka_sink_counts c = vg_kafka_sink_counts_get(sink);
    CHECK_INT(c.sent, 5);
    CHECK_INT(c.delivered, 5);
    CHECK_INT(c.failed, 0);
    CHECK_INT(vg_kafka_sink_pending(sink), 0);
    CHECK_INT(vg_kafka_sink_poll(sink, &err), 0);
    vg_kafka_sink_close(sink);

    vg_kafka_source_opts ko = {.name = "in",
                               .bootstrap = boot,
                               .topic = "rt",
                               .group = "g1",
                               .props = group_props,
                               .nprops = 1,
                               .start_offset = start_at_2};
    vg_kafka_source *src = vg_kafka_source_open(&ko, &err);
    CHECK(src != NULL);
    if (!src) {
        vg_kafka_broker_stop(b);
        return;
    }
    CHECK(vg_kafka_source_fd(src) >= 0);
    /* copies of the messages read, over as many polls as it takes */
    struct {
        int64_t offset, ts;
        int32_t partition;
        char value[16], key[8];
    } seen[8];
    int got = 0;
    vg_kafka_msg msgs[8];
    int64_t deadline = vg_clock_ms() + 20000;
    while (got < 3 && vg_clock_ms() < deadline) {
        int n = vg_kafka_source_poll(src, msgs, 8, 200, &err);
        CHECK(n >= 0);
        for (int i = 0; i < n && got < 8; i++, got++) {
            seen[got].offset = msgs[i].offset;
            seen[got].ts = msgs[i].timestamp_ms;
            seen[got].partition = msgs[i].partition;
            snprintf(seen[got].value, sizeof seen[got].value, "%.*s", (int)msgs[i].len,
                     msgs[i].value);
            snprintf(seen[got].key, sizeof seen[got].key, "%.*s", (int)msgs[i].keylen,
                     msgs[i].key ? msgs[i].key : "");
        }
    }
    CHECK_INT(got, 3);
    if (got == 3) {
        CHECK_INT(seen[0].offset, 2);
        CHECK_INT(seen[0].partition, 0);
        CHECK_STR(seen[0].value, "{\"i\":2}");
        CHECK_STR(seen[0].key, "");
        CHECK_INT(seen[1].offset, 3);
        CHECK_STR(seen[1].key, "odd");
        CHECK_STR(seen[2].value, "{\"i\":4}");
        CHECK(seen[2].ts > 0);
    }
    const int32_t *parts;
    CHECK_INT(vg_kafka_source_assignment(src, &parts), 1);
    CHECK_INT(parts[0], 0);
    CHECK(vg_kafka_source_generation(src) > 0);
    int32_t p0 = 0;
    int64_t next = 5;
    CHECK_INT(vg_kafka_source_commit(src, &p0, &next, 1, false, &err), 0);
    vg_kafka_source_release(src);
    CHECK_INT(vg_kafka_source_poll(src, msgs, 8, 0, &err), 0);
    vg_kafka_source_close(src);
    vg_kafka_broker_stop(b);
}

static void test_delivery_fails(void)
{
    vg_error err;
    vg_kafka_topic_spec t = {"t", 1};
    vg_kafka_broker *b = start(0, 1, &t, 1, &err);
    CHECK(b != NULL);
    if (!b)
        return;
    CHECK_STR(control(b, "errors Produce 20 MSG_SIZE_TOO_LARGE"), "ok");
    vg_kafka_sink_opts so = {
        .name = "out", .bootstrap = vg_kafka_broker_bootstraps(b), .topic = "t"};
    vg_kafka_sink *sink = vg_kafka_sink_open(&so, &err);
    CHECK(sink != NULL);
    CHECK_INT(vg_kafka_sink_send(sink, NULL, 0, "x", 1, &err), 0);
    CHECK_INT(vg_kafka_sink_flush(sink, 10000, &err), -1);
    CHECK_STR(err.msg, "sink 'out': delivery to topic 't' failed: Broker: Message size too large "
                       "(1 messages)");
    /* what the failure means to a caller that could start over with new clients: the
     * broker would refuse the message again */
    CHECK_INT(err.code, VG_ERR_IO);
    CHECK_INT(vg_kafka_fault_of(&err), VG_KAFKA_FAULT_REFUSED);
    vg_error wrapped;
    vg_error_clear(&wrapped);
    vg_error_set(&wrapped, VG_ERR_IO, "the checkpoint before it failed: %s", err.msg);
    CHECK_INT(vg_kafka_fault_of(&wrapped), VG_KAFKA_FAULT_REFUSED);
    wrapped.code = VG_ERR_RUNTIME; /* not an I/O error: not a client's failure */
    CHECK_INT(vg_kafka_fault_of(&wrapped), VG_KAFKA_FAULT_NONE);
    vg_error other;
    vg_error_clear(&other);
    vg_error_set(&other, VG_ERR_IO, "store 'x': database or disk is full");
    CHECK_INT(vg_kafka_fault_of(&other), VG_KAFKA_FAULT_NONE);
    CHECK_INT(vg_kafka_fault_of(NULL), VG_KAFKA_FAULT_NONE);
    vg_error_clear(&err);
    CHECK_INT(vg_kafka_sink_send(sink, NULL, 0, "y", 1, &err), -1);
    CHECK_INT(vg_kafka_sink_counts_get(sink).failed, 1);
    vg_kafka_sink_close(sink);
    vg_kafka_broker_stop(b);
}

static void test_bad_property(void)
{
    vg_error err;
    vg_error_clear(&err);
    vg_config_prop p = {"no.such.property", "1"};
    vg_kafka_sink_opts so = {
        .name = "out", .bootstrap = "127.0.0.1:1", .topic = "t", .props = &p, .nprops = 1};
    CHECK(vg_kafka_sink_open(&so, &err) == NULL);
    CHECK_STR(err.msg, "property 'no.such.property': No such configuration property: "
                       "\"no.such.property\"");
    CHECK_INT(err.code, VG_ERR_CONFIG);
    vg_error_clear(&err);
    vg_config_prop bad = {"session.timeout.ms", "lots"};
    vg_kafka_source_opts ko = {.name = "in",
                               .bootstrap = "127.0.0.1:1",
                               .topic = "t",
                               .group = "g",
                               .props = &bad,
                               .nprops = 1};
    CHECK(vg_kafka_source_open(&ko, &err) == NULL);
    CHECK_STR(err.msg, "property 'session.timeout.ms': Invalid value for configuration property "
                       "\"session.timeout.ms\"");
}

/* Every allocation of opening a sink and a source fails in turn: a clean
 * error, nothing leaked. */
static void test_alloc_failures(void)
{
    size_t base = mem_total();
    int ok_sink = 0, ok_src = 0;
    for (uint64_t n = 1; n < 50 && !(ok_sink && ok_src); n++) {
        vg_error err;
        vg_error_clear(&err);
        vg_alloc_fail_at(n, 0);
        vg_kafka_sink_opts so = {.name = "out", .bootstrap = "127.0.0.1:1", .topic = "t"};
        vg_kafka_sink *s = vg_kafka_sink_open(&so, &err);
        bool failed = vg_alloc_failed();
        vg_alloc_fail_at(0, 0);
        CHECK(s ? !failed : err.code == VG_ERR_NOMEM);
        ok_sink |= s && !failed;
        vg_kafka_sink_close(s);
        CHECK_INT(mem_total(), base);

        vg_error_clear(&err);
        vg_alloc_fail_at(n, 0);
        vg_kafka_source_opts ko = {
            .name = "in", .bootstrap = "127.0.0.1:1", .topic = "t", .group = "g"};
        vg_kafka_source *k = vg_kafka_source_open(&ko, &err);
        failed = vg_alloc_failed();
        vg_alloc_fail_at(0, 0);
        CHECK(k ? !failed : err.code == VG_ERR_NOMEM);
        ok_src |= k && !failed;
        vg_kafka_source_close(k);
        CHECK_INT(mem_total(), base);
    }
    CHECK(ok_sink && ok_src);
}

/* ---- vg_run: bindings, and every allocation of opening and closing a run ---- */

static const char *write_pipeline(const char *dir, const char *boot, const char *sinks)
{
    static char path[256];
    char p[256];
    snprintf(p, sizeof p, "%s/p.sql", dir);
    FILE *f = fopen(p, "w");
    fputs("CREATE STREAM s (id BIGINT, k STRING, ts TIMESTAMP(3), WATERMARK FOR ts AS ts);\n"
          "INSERT INTO o SELECT id, k FROM s WHERE id > 0;\n"
          "INSERT INTO c SELECT k, COUNT(*) AS n FROM s GROUP BY k;\n",
          f);
    fclose(f);
    snprintf(path, sizeof path, "%s/pipeline.yaml", dir);
    f = fopen(path, "w");
    fprintf(f, "sql: p.sql\nsources:\n  s: {kafka: {topic: s, bootstrap: \"%s\"}}\nsinks:\n%s",
            boot, sinks);
    fclose(f);
    return path;
}

/* Run the pipeline at path with a stop already asked for: open, one turn, close. */
static int run_once(const char *path, vg_error *err)
{
    vg_error_clear(err);
    vg_config *cfg = NULL;
    vg_pipeline *p = vg_pipeline_load(path, err);
    if (!p || vg_config_load(path, &cfg, err) < 0) {
        vg_pipeline_free(p);
        return -1;
    }
    int fds[2];
    if (pipe(fds) < 0 || write(fds[1], "x", 1) != 1)
        return -1;
    vg_run_opts o = {.stop_fd = fds[0]};
    vg_run_metrics m;
    int rc = vg_run(vg_pipeline_plan(p), cfg, &o, &m, err);
    vg_run_metrics_free(&m);
    close(fds[0]);
    close(fds[1]);
    vg_config_free(cfg);
    vg_pipeline_free(p);
    return rc;
}

static void test_run_bindings(void)
{
    char dir[] = "/tmp/vigil-kafka-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    vg_error err;
    const char *p = write_pipeline(dir, "127.0.0.1:1", "  o: {kafka: {topic: o}}\n");
    CHECK_INT(run_once(p, &err), -1);
    CHECK_STR(err.msg, "sink 'c' has no binding: bind it in pipeline.yaml (sinks: {c: {kafka: "
                       "{topic: c}}} or {file: PATH})");
    p = write_pipeline(dir, "127.0.0.1:1",
                       "  o: {kafka: {topic: o, properties: {frob: 1}}}\n  c: {file: c.jsonl}\n");
    CHECK_INT(run_once(p, &err), -1);
    CHECK_STR(err.msg, "property 'frob': No such configuration property: \"frob\"");
    CHECK_INT(err.line, 5);
    CHECK_INT(err.col, 3);
    p = write_pipeline(dir, "127.0.0.1:1", "  o: {file: o.jsonl}\n  c: {file: c.jsonl}\n");
    CHECK_INT(run_once(p, &err), 0);
    /* the stream read from a file instead */
    FILE *f = fopen(p, "w");
    fputs("sql: p.sql\nsources:\n  s: {file: s.jsonl}\n", f);
    fclose(f);
    CHECK_INT(run_once(p, &err), -1);
    CHECK_STR(err.msg, "stream 's' is bound to a file: vigil run reads Kafka topics (vigil replay "
                       "reads files)");
    CHECK_INT(err.line, 3);
    CHECK_INT(err.code, VG_ERR_CONFIG);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    CHECK_INT(system(cmd), 0);
}

static void test_run_alloc_failures(void)
{
    char dir[] = "/tmp/vigil-kafka-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    vg_error err;
    vg_kafka_broker *b = start(0, 1, NULL, 0, &err);
    CHECK(b != NULL);
    if (!b)
        return;
    const char *p = write_pipeline(dir, vg_kafka_broker_bootstraps(b),
                                   "  o: {kafka: {topic: o}}\n  c: {file: c.jsonl}\n"
                                   "  dead_letter: {kafka: {topic: dead}}\n");
    size_t base = mem_total();
    int bad = 0, done = 0;
    uint64_t n = 1;
    for (; n < 2000 && !done; n++) {
        vg_alloc_fail_at(n, 0);
        int rc = run_once(p, &err);
        bool failed = vg_alloc_failed();
        vg_alloc_fail_at(0, 0);
        done = !failed;
        bad += rc < 0 && err.code != VG_ERR_NOMEM;
        bad += mem_total() != base;
        if (rc < 0 && err.code != VG_ERR_NOMEM)
            fprintf(stderr, "allocation %llu: %s\n", (unsigned long long)n, err.msg);
    }
    CHECK_INT(bad, 0);
    CHECK(done);
    fprintf(stderr, "run: %llu allocations\n", (unsigned long long)n);
    CHECK(n > 50); /* the loop went through the run's allocations, not just one */
    vg_kafka_broker_stop(b);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    CHECK_INT(system(cmd), 0);
}

int main(void)
{
    RUN(test_fixed_port);
    RUN(test_port_taken);
    RUN(test_control);
    RUN(test_round_trip);
    RUN(test_delivery_fails);
    RUN(test_bad_property);
    RUN(test_alloc_failures);
    RUN(test_run_bindings);
    RUN(test_run_alloc_failures);
    return CHECK_DONE();
}
