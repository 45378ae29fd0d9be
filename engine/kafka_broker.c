/*
 * kafka_broker.c — the dev broker: librdkafka's mock cluster (real Kafka
 * protocol over TCP) served on 127.0.0.1, at fixed ports, with topics
 * created up front and a small command language for injecting faults.
 *
 * Fixed ports. librdkafka 2.0.2 has no setting for the mock's listen port:
 * each mock broker binds 127.0.0.1 port 0 and keeps whatever the system
 * gives it (and binds that same port again after `down`/`up`). So this file
 * defines `bind` itself. The executable's definition comes first in symbol
 * lookup, so librdkafka's calls land here (the linker exports the symbol
 * because librdkafka.so refers to it; no -rdynamic needed). While
 * vg_kafka_broker_start creates the cluster, a bind of an IPv4 loopback
 * socket to port 0 gets the next requested port instead (N, N+1, ...);
 * every other bind, and every bind at any other time, goes to the system
 * call unchanged.
 */
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "engine/alloc.h"
#include "engine/kafka_int.h"

#include <librdkafka/rdkafka_mock.h> /* after rdkafka.h (kafka_int.h) */

struct vg_kafka_broker {
    vg_kafka_handle h;             /* the handle the cluster hangs off (first member) */
    rd_kafka_mock_cluster_t *mock; /* the cluster */
    char *bootstraps;              /* its bootstrap list (owned) */
    int brokers;                   /* broker ids are 1..brokers */
};

/* ---- the bind interposer ---- */

/* The ports the mock's listeners get while a cluster is being created. */
static struct {
    pthread_mutex_t lock;
    int next_port;    /* the port the next loopback port-0 bind gets; 0: not armed */
    int failed_port;  /* a rewritten bind that failed: its port ... */
    int failed_errno; /* ... and errno */
} bind_plan = {PTHREAD_MUTEX_INITIALIZER, 0, 0, 0};

/* Does this bind ask for an ephemeral port on IPv4 loopback? */
static bool is_loopback_any_port(const struct sockaddr *sa, socklen_t len)
{
    struct sockaddr_in sin;
    if (!sa || sa->sa_family != AF_INET || len < (socklen_t)sizeof sin)
        return false;
    memcpy(&sin, sa, sizeof sin);
    return sin.sin_port == 0 && sin.sin_addr.s_addr == htonl(INADDR_LOOPBACK);
}

/* glibc declares bind with a transparent union under _GNU_SOURCE. */
int bind(int fd, __CONST_SOCKADDR_ARG addr, socklen_t len)
{
    const struct sockaddr *sa = addr.__sockaddr__;
    pthread_mutex_lock(&bind_plan.lock);
    int port = bind_plan.next_port;
    if (!port || !is_loopback_any_port(sa, len)) {
        pthread_mutex_unlock(&bind_plan.lock);
        return (int)syscall(SYS_bind, fd, sa, len);
    }
    struct sockaddr_in sin;
    memcpy(&sin, sa, sizeof sin);
    sin.sin_port = htons((uint16_t)port);
    bind_plan.next_port++;
    int rc = (int)syscall(SYS_bind, fd, &sin, (socklen_t)sizeof sin);
    if (rc < 0 && !bind_plan.failed_port) {
        bind_plan.failed_port = port;
        bind_plan.failed_errno = errno;
    }
    pthread_mutex_unlock(&bind_plan.lock);
    return rc;
}

static void bind_arm(int port)
{
    pthread_mutex_lock(&bind_plan.lock);
    bind_plan.next_port = port;
    bind_plan.failed_port = 0;
    bind_plan.failed_errno = 0;
    pthread_mutex_unlock(&bind_plan.lock);
}

/* Disarm; the port whose bind failed (0: none), its errno in *errno_out. */
static int bind_disarm(int *errno_out)
{
    pthread_mutex_lock(&bind_plan.lock);
    bind_plan.next_port = 0;
    int port = bind_plan.failed_port;
    *errno_out = bind_plan.failed_errno;
    pthread_mutex_unlock(&bind_plan.lock);
    return port;
}

/* ---- start, stop ---- */

static int create_topics(vg_kafka_broker *b, const vg_kafka_broker_opts *o, vg_error *err)
{
    int replicas = b->brokers < 3 ? b->brokers : 3;
    for (uint32_t i = 0; i < o->ntopics; i++) {
        const vg_kafka_topic_spec *t = &o->topics[i];
        if (!t->name || !t->name[0] || t->partitions < 1)
            return vg_error_set(err, VG_ERR_USAGE, "topic '%s' needs a name and partitions >= 1",
                                t->name ? t->name : "");
        rd_kafka_resp_err_t e =
            rd_kafka_mock_topic_create(b->mock, t->name, t->partitions, replicas);
        if (e)
            return vg_error_set(err, VG_ERR_USAGE, "cannot create topic '%s': %s", t->name,
                                rd_kafka_err2str(e));
    }
    return 0;
}

/* Can ports port.. port+n-1 be listened on? librdkafka 2.0.2 asserts (and
 * aborts the process) when a mock broker's listener cannot bind, so a port
 * in use is found here first, binding as the mock does (SO_REUSEADDR). */
static int probe_ports(int port, int n, vg_error *err)
{
    for (int i = 0; i < n; i++) {
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), on = 1;
        struct sockaddr_in sin = {.sin_family = AF_INET,
                                  .sin_port = htons((uint16_t)(port + i)),
                                  .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
        int rc = fd < 0 ? -1 : setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
        if (rc == 0)
            rc = (int)syscall(SYS_bind, fd, (struct sockaddr *)&sin, (socklen_t)sizeof sin);
        int e = errno;
        if (fd >= 0)
            close(fd);
        if (rc < 0)
            return vg_error_set(err, VG_ERR_IO, "cannot listen on 127.0.0.1:%d: %s", port + i,
                                strerror(e));
    }
    return 0;
}

/* The cluster, with the bind interposer armed while it binds its listeners. */
static int start_cluster(vg_kafka_broker *b, int port, vg_error *err)
{
    if (port && probe_ports(port, b->brokers, err) < 0)
        return -1;
    bind_arm(port);
    b->mock = rd_kafka_mock_cluster_new(b->h.rk, b->brokers);
    int failed_errno = 0;
    int failed = bind_disarm(&failed_errno);
    if (failed)
        vg_error_set(err, VG_ERR_IO, "cannot listen on 127.0.0.1:%d: %s", failed,
                     strerror(failed_errno));
    if (!b->mock)
        return vg_error_set(err, VG_ERR_IO, "cannot start the mock Kafka cluster");
    if (failed)
        return -1;
    return 0;
}

vg_kafka_broker *vg_kafka_broker_start(const vg_kafka_broker_opts *o, vg_error *err)
{
    int brokers = o->brokers > 0 ? o->brokers : 1;
    if (o->port < 0 || o->port + brokers - 1 > 65535) {
        vg_error_set(err, VG_ERR_USAGE, "ports %d..%d are not valid TCP ports", o->port,
                     o->port + brokers - 1);
        return NULL;
    }
    vg_kafka_broker *b = vg_calloc(VG_MEM_IO, 1, sizeof *b);
    if (!b || !(b->h.what = vg_kafka_what("dev-broker", "mock"))) {
        vg_free(b);
        vg_error_set(err, VG_ERR_NOMEM, "out of memory");
        return NULL;
    }
    b->h.log = o->log;
    b->h.log_arg = o->log_arg;
    b->brokers = brokers;
    rd_kafka_conf_t *conf = vg_kafka_conf(&b->h, NULL, NULL, 0, NULL, err);
    if (!conf || vg_kafka_new(&b->h, RD_KAFKA_PRODUCER, conf, err) < 0 ||
        start_cluster(b, o->port, err) < 0 || create_topics(b, o, err) < 0 ||
        !(b->bootstraps = vg_strdup(VG_MEM_IO, rd_kafka_mock_cluster_bootstraps(b->mock)))) {
        vg_error_set(err, VG_ERR_NOMEM, "out of memory"); /* unless already set */
        vg_kafka_broker_stop(b);
        return NULL;
    }
    return b;
}

const char *vg_kafka_broker_bootstraps(const vg_kafka_broker *b) { return b->bootstraps; }

void vg_kafka_broker_stop(vg_kafka_broker *b)
{
    if (!b)
        return;
    if (b->mock)
        rd_kafka_mock_cluster_destroy(b->mock);
    if (b->h.rk)
        rd_kafka_destroy(b->h.rk);
    vg_free(b->bootstraps);
    vg_free((char *)b->h.what);
    vg_free(b);
}

/* ---- fault control ---- */

/* Kafka protocol request types by name (the ones worth failing). */
static const struct {
    const char *name; /* as the Kafka protocol names it */
    int16_t key;      /* its ApiKey */
} api_keys[] = {
    {"Produce", 0},          {"Fetch", 1},
    {"ListOffsets", 2},      {"Metadata", 3},
    {"OffsetCommit", 8},     {"OffsetFetch", 9},
    {"FindCoordinator", 10}, {"JoinGroup", 11},
    {"Heartbeat", 12},       {"LeaveGroup", 13},
    {"SyncGroup", 14},       {"ApiVersions", 18},
    {"InitProducerId", 22},  {"AddPartitionsToTxn", 24},
    {"AddOffsetsToTxn", 25}, {"EndTxn", 26},
    {"TxnOffsetCommit", 28},
};

static int parse_int(const char *s, long lo, long hi, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (!*s || *end || errno || v < lo || v > hi)
        return -1;
    *out = v;
    return 0;
}

static int parse_broker(vg_kafka_broker *b, const char *s, int32_t *id, vg_error *err)
{
    long v = 0;
    if (parse_int(s, 1, b->brokers, &v) < 0)
        return vg_error_set(err, VG_ERR_USAGE, "expected a broker id 1..%d, got '%s'", b->brokers,
                            s);
    *id = (int32_t)v;
    return 0;
}

static int parse_api(const char *s, int16_t *key, vg_error *err)
{
    long v = 0;
    for (size_t i = 0; i < sizeof api_keys / sizeof api_keys[0]; i++)
        if (strcasecmp(api_keys[i].name, s) == 0) {
            *key = api_keys[i].key;
            return 0;
        }
    if (parse_int(s, 0, 100, &v) == 0) {
        *key = (int16_t)v;
        return 0;
    }
    return vg_error_set(err, VG_ERR_USAGE,
                        "unknown request type '%s' (Produce, Fetch, Metadata, OffsetCommit, "
                        "FindCoordinator, ... or a number)",
                        s);
}

/* An error code by its name, as librdkafka spells it without the
 * RD_KAFKA_RESP_ERR_ prefix ("NOT_LEADER_FOR_PARTITION", "_TRANSPORT"). */
static int parse_error(const char *s, rd_kafka_resp_err_t *code, vg_error *err)
{
    const struct rd_kafka_err_desc *d;
    size_t n;
    rd_kafka_get_err_descs(&d, &n);
    for (size_t i = 0; i < n; i++)
        if (d[i].name && strcasecmp(d[i].name, s) == 0) {
            *code = d[i].code;
            return 0;
        }
    return vg_error_set(err, VG_ERR_USAGE,
                        "unknown error '%s' (e.g. NOT_LEADER_FOR_PARTITION, REQUEST_TIMED_OUT)", s);
}

static int mock_result(rd_kafka_resp_err_t e, vg_buf *reply, vg_error *err)
{
    if (e)
        return vg_error_set(err, VG_ERR_USAGE, "%s", rd_kafka_err2str(e));
    return vg_buf_puts(reply, "ok") < 0 ? vg_error_set(err, VG_ERR_NOMEM, "out of memory") : 0;
}

typedef int (*control_fn)(vg_kafka_broker *b, char **arg, vg_buf *reply, vg_error *err);

static int cmd_down(vg_kafka_broker *b, char **arg, vg_buf *reply, vg_error *err)
{
    int32_t id = 0;
    if (parse_broker(b, arg[0], &id, err) < 0)
        return -1;
    return mock_result(rd_kafka_mock_broker_set_down(b->mock, id), reply, err);
}

static int cmd_up(vg_kafka_broker *b, char **arg, vg_buf *reply, vg_error *err)
{
    int32_t id = 0;
    if (parse_broker(b, arg[0], &id, err) < 0)
        return -1;
    return mock_result(rd_kafka_mock_broker_set_up(b->mock, id), reply, err);
}

static int cmd_rtt(vg_kafka_broker *b, char **arg, vg_buf *reply, vg_error *err)
{
    int32_t id = 0;
    long ms = 0;
    if (parse_broker(b, arg[0], &id, err) < 0)
        return -1;
    if (parse_int(arg[1], 0, 3600000, &ms) < 0)
        return vg_error_set(err, VG_ERR_USAGE, "expected milliseconds, got '%s'", arg[1]);
    return mock_result(rd_kafka_mock_broker_set_rtt(b->mock, id, (int)ms), reply, err);
}

static int cmd_errors(vg_kafka_broker *b, char **arg, vg_buf *reply, vg_error *err)
{
    int16_t key = 0;
    long count = 0;
    rd_kafka_resp_err_t code = RD_KAFKA_RESP_ERR_NO_ERROR;
    if (parse_api(arg[0], &key, err) < 0)
        return -1;
    if (parse_int(arg[1], 1, 1000, &count) < 0)
        return vg_error_set(err, VG_ERR_USAGE, "expected a count 1..1000, got '%s'", arg[1]);
    if (parse_error(arg[2], &code, err) < 0)
        return -1;
    rd_kafka_resp_err_t codes[1000];
    for (long i = 0; i < count; i++)
        codes[i] = code;
    rd_kafka_mock_push_request_errors_array(b->mock, key, (size_t)count, codes);
    return mock_result(RD_KAFKA_RESP_ERR_NO_ERROR, reply, err);
}

static int cmd_clear(vg_kafka_broker *b, char **arg, vg_buf *reply, vg_error *err)
{
    int16_t key = 0;
    if (parse_api(arg[0], &key, err) < 0)
        return -1;
    rd_kafka_mock_clear_request_errors(b->mock, key);
    return mock_result(RD_KAFKA_RESP_ERR_NO_ERROR, reply, err);
}

static int cmd_leader(vg_kafka_broker *b, char **arg, vg_buf *reply, vg_error *err)
{
    long part = 0;
    int32_t id = 0;
    if (parse_int(arg[1], 0, 1000000, &part) < 0)
        return vg_error_set(err, VG_ERR_USAGE, "expected a partition, got '%s'", arg[1]);
    if (parse_broker(b, arg[2], &id, err) < 0)
        return -1;
    return mock_result(rd_kafka_mock_partition_set_leader(b->mock, arg[0], (int32_t)part, id),
                       reply, err);
}

static int cmd_topic(vg_kafka_broker *b, char **arg, vg_buf *reply, vg_error *err)
{
    long parts = 0;
    if (parse_int(arg[1], 1, 10000, &parts) < 0)
        return vg_error_set(err, VG_ERR_USAGE, "expected partitions 1..10000, got '%s'", arg[1]);
    int replicas = b->brokers < 3 ? b->brokers : 3;
    return mock_result(rd_kafka_mock_topic_create(b->mock, arg[0], (int)parts, replicas), reply,
                       err);
}

static int cmd_bootstrap(vg_kafka_broker *b, char **arg, vg_buf *reply, vg_error *err)
{
    (void)arg;
    if (vg_buf_printf(reply, "ok %s", b->bootstraps) < 0)
        return vg_error_set(err, VG_ERR_NOMEM, "out of memory");
    return 0;
}

static int cmd_help(vg_kafka_broker *b, char **arg, vg_buf *reply, vg_error *err);

/* The commands, each with its arguments and what it does. */
static const struct {
    const char *name; /* the first word */
    int nargs;        /* how many words follow */
    const char *args; /* what they are, for usage and help */
    control_fn fn;    /* does it and answers */
} commands[] = {
    {"down", 1, "ID", cmd_down},                  /* close broker ID's listener and connections */
    {"up", 1, "ID", cmd_up},                      /* listen again, on the same port */
    {"rtt", 2, "ID MS", cmd_rtt},                 /* delay broker ID's responses */
    {"errors", 3, "API COUNT ERROR", cmd_errors}, /* fail the next COUNT API requests */
    {"clear", 1, "API", cmd_clear},               /* forget the errors pushed for API */
    {"leader", 3, "TOPIC PARTITION ID", cmd_leader}, /* move a partition's leader */
    {"topic", 2, "NAME PARTITIONS", cmd_topic},      /* create a topic */
    {"bootstrap", 0, "", cmd_bootstrap},             /* answer "ok HOST:PORT,..." */
    {"help", 0, "", cmd_help},                       /* list the commands */
};
#define NCOMMANDS (sizeof commands / sizeof commands[0])

static int cmd_help(vg_kafka_broker *b, char **arg, vg_buf *reply, vg_error *err)
{
    (void)b;
    (void)arg;
    int rc = vg_buf_puts(reply, "ok commands:");
    for (size_t i = 0; i < NCOMMANDS && rc == 0; i++)
        rc = vg_buf_printf(reply, "%s %s%s%s", i ? ";" : "", commands[i].name,
                           commands[i].nargs ? " " : "", commands[i].args);
    return rc < 0 ? vg_error_set(err, VG_ERR_NOMEM, "out of memory") : 0;
}

#define MAX_WORDS 8

int vg_kafka_broker_control(vg_kafka_broker *b, const char *line, vg_buf *reply, vg_error *err)
{
    char copy[512];
    char *word[MAX_WORDS];
    int n = 0;
    if (strlen(line) >= sizeof copy)
        return vg_error_set(err, VG_ERR_USAGE, "command too long");
    strcpy(copy, line);
    char *save = NULL;
    for (char *w = strtok_r(copy, " \t\r\n", &save); w; w = strtok_r(NULL, " \t\r\n", &save)) {
        if (n == MAX_WORDS)
            return vg_error_set(err, VG_ERR_USAGE, "too many words");
        word[n++] = w;
    }
    if (n == 0)
        return vg_error_set(err, VG_ERR_USAGE, "empty command (try 'help')");
    for (size_t i = 0; i < NCOMMANDS; i++) {
        if (strcmp(commands[i].name, word[0]) != 0)
            continue;
        if (n - 1 != commands[i].nargs)
            return vg_error_set(err, VG_ERR_USAGE, "usage: %s %s", commands[i].name,
                                commands[i].args);
        return commands[i].fn(b, word + 1, reply, err);
    }
    return vg_error_set(err, VG_ERR_USAGE, "unknown command '%s' (try 'help')", word[0]);
}
