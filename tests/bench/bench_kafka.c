/*
 * bench_kafka.c — the clients of the Kafka end-to-end benchmark
 * (scripts/bench_kafka): a paced load generator that also consumes the
 * output and times each event end to end, a preloader, a throughput
 * consumer, and the plain librdkafka consume->produce loop that is the I/O
 * ceiling vigil is compared with.
 *
 *   bench_kafka preload -b BOOT -t TOPIC --log FILE --count N
 *   bench_kafka latency -b BOOT -t TOPIC --log FILE --measure OUT --rate R
 *                       [--warmup S] [--seconds S] [--drain S]
 *   bench_kafka drain   -b BOOT --measure OUT --count N [--ready-file F] [--idle S]
 *   bench_kafka loop    -b BOOT -t TOPIC --out OUT --group G [--count N]
 *                       [--fanout K] [--producers N]
 *   any command: -C KEY=VALUE (a consumer property), -P KEY=VALUE (a producer
 *   property), both librdkafka's, repeatable
 *
 * Events: the payments of --log (JSON lines as scripts/gen_payments.py
 * writes them, payment_id first and ts last), cycled; each is sent with its
 * payment_id replaced by "k" and a sequence number from 1 and its ts by the
 * wall clock (epoch milliseconds, so event time is now), keyed by its
 * card_id. An output row is matched to its event by the sequence number in
 * its payment_id (vigil's decisions rows carry it, the plain loop copies
 * the event).
 *
 * latency: a consumer thread is assigned every partition of OUT at its end
 * (queried before anything is sent); the main thread sends probe events
 * (100/s) until the first output row comes back (the pipeline is live),
 * then events at R/s for --warmup seconds, then at R/s for --seconds (the
 * measured events), pacing on CLOCK_MONOTONIC: every event whose due time
 * has come is sent, then the thread sleeps until the next one is due. Each
 * event's send time is read right before rd_kafka_producev; its latency is
 * the time its output row is handed to the consumer thread by
 * rd_kafka_consumer_poll, minus that, in one process on one clock. The
 * generator waits up to --drain seconds for the measured rows, then prints
 * quantiles (exact: every latency is kept and sorted), the achieved send
 * and receive rates, the rows missing, and the longest gap between two
 * output rows (a stall of the pipeline), and the measured window's start and
 * end on the wall clock (epoch ms: scripts/bench_kafka counts the checkpoints
 * vigil took in it from vigil's --verbose log).
 *
 * drain: the same consumer, for throughput: once assigned (it writes
 * --ready-file then), it counts rows until it has seen N distinct events or
 * none came for --idle seconds; the rate is the rows over the time from the
 * first row consumed to the last.
 *
 * loop: subscribes to TOPIC in group G and produces each message's value
 * and key, copied, to OUT (waiting for a message, then taking what else
 * is there, up to 1,024, as vigil run does), with vigil's producer
 * defaults (idempotence, linger.ms=1, murmur2_random, socket.nagle.disable; its
 * consumer vigil's source defaults too); stops after N
 * messages (flushing) or at SIGINT/SIGTERM. --fanout K writes each message
 * to K topics (OUT, OUT-2, ..., OUT-K) through --producers N producers
 * (default 1; topic i uses producer i modulo N): the output of a pipeline
 * with several sinks, with a producer per sink (N = K, as vigil run has)
 * or one shared (N = 1).
 *
 * Results are "name value" lines on standard output; errors go to standard
 * error with exit status 1 (2 for usage).
 */
#include <errno.h>
#include <librdkafka/rdkafka.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#define MAX_PROPS     32  /* -C and -P options each */
#define PROBE_PER_SEC 100 /* probe events before the pipeline answers */
#define PROBE_SECONDS 60  /* give up when it has not answered by then */
#define POLL_EVERY    64  /* producer events served every this many sends */

/* ---- options ---- */

/* The command line. */
typedef struct opts {
    const char *cmd;               /* preload, latency, drain or loop */
    const char *bootstrap;         /* -b */
    const char *topic;             /* -t: the input topic */
    const char *out;               /* --out: the loop's output topic */
    const char *measure;           /* --measure: the topic whose rows are timed or counted */
    const char *log;               /* --log: the events' JSON lines */
    const char *group;             /* --group: the loop's consumer group */
    const char *ready_file;        /* --ready-file: drain writes it once assigned */
    uint64_t count;                /* --count */
    double rate;                   /* --rate: events per second */
    double warmup;                 /* --warmup: seconds at the rate before measuring */
    double seconds;                /* --seconds: seconds measured */
    double drain;                  /* --drain: seconds to wait for the last rows */
    double idle;                   /* --idle: drain stops after this long without a row */
    double fanout;                 /* --fanout: the loop writes each message to this many topics */
    double producers;              /* --producers: ... through this many producers */
    const char *cprops[MAX_PROPS]; /* -C KEY=VALUE */
    uint32_t ncprops;
    const char *pprops[MAX_PROPS]; /* -P KEY=VALUE */
    uint32_t npprops;
} opts;

static void usage(void)
{
    fprintf(stderr,
            "usage: bench_kafka preload -b BOOT -t TOPIC --log FILE --count N\n"
            "       bench_kafka latency -b BOOT -t TOPIC --log FILE --measure OUT --rate R\n"
            "                           [--warmup S] [--seconds S] [--drain S]\n"
            "       bench_kafka drain -b BOOT --measure OUT --count N [--ready-file F] "
            "[--idle S]\n"
            "       bench_kafka loop -b BOOT -t TOPIC --out OUT --group G [--count N]\n"
            "                        [--fanout K] [--producers N]\n"
            "       (any: -C KEY=VALUE consumer property, -P KEY=VALUE producer property)\n");
    exit(2);
}

static void add_prop(const char **props, uint32_t *n, const char *kv)
{
    if (*n == MAX_PROPS || !strchr(kv, '='))
        usage();
    props[(*n)++] = kv;
}

/* Option a with value v: 1 when it takes v, 0 when a is unknown. */
static int take_option(opts *o, const char *a, const char *v)
{
    const char **strs[] = {&o->bootstrap, &o->topic, &o->out,       &o->measure,
                           &o->log,       &o->group, &o->ready_file};
    const char *snames[] = {"-b", "-t", "--out", "--measure", "--log", "--group", "--ready-file"};
    double *nums[] = {&o->rate, &o->warmup, &o->seconds,  &o->drain,
                      &o->idle, &o->fanout, &o->producers};
    const char *nnames[] = {"--rate", "--warmup", "--seconds",  "--drain",
                            "--idle", "--fanout", "--producers"};
    for (size_t i = 0; i < sizeof snames / sizeof *snames; i++)
        if (strcmp(a, snames[i]) == 0)
            return *strs[i] = v, 1;
    for (size_t i = 0; i < sizeof nnames / sizeof *nnames; i++)
        if (strcmp(a, nnames[i]) == 0)
            return *nums[i] = atof(v), 1;
    if (strcmp(a, "--count") == 0)
        return o->count = strtoull(v, NULL, 10), 1;
    if (strcmp(a, "-C") == 0)
        return add_prop(o->cprops, &o->ncprops, v), 1;
    if (strcmp(a, "-P") == 0)
        return add_prop(o->pprops, &o->npprops, v), 1;
    return 0;
}

static opts parse_opts(int argc, char **argv)
{
    opts o = {.warmup = 2, .seconds = 10, .drain = 10, .idle = 5};
    if (argc < 2)
        usage();
    o.cmd = argv[1];
    for (int i = 2; i < argc; i += 2)
        if (i + 1 >= argc || !take_option(&o, argv[i], argv[i + 1]))
            usage();
    if (!o.bootstrap)
        usage();
    return o;
}

/* ---- clocks ---- */

static int64_t now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

static int64_t wall_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static void sleep_until(int64_t ns)
{
    struct timespec t = {(time_t)(ns / 1000000000), (long)(ns % 1000000000)};
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &t, NULL) == EINTR)
        ;
}

/* ---- librdkafka clients ---- */

static void die(const char *what, const char *why)
{
    fprintf(stderr, "bench_kafka: %s: %s\n", what, why);
    exit(1);
}

static void set(rd_kafka_conf_t *c, const char *key, const char *value)
{
    char errstr[256];
    if (rd_kafka_conf_set(c, key, value, errstr, sizeof errstr) != RD_KAFKA_CONF_OK)
        die(key, errstr);
}

/* A configuration: defs (NULL-terminated pairs), then the KEY=VALUE props. */
static rd_kafka_conf_t *make_conf(const opts *o, const char *const *defs, const char *const *props,
                                  uint32_t nprops)
{
    rd_kafka_conf_t *c = rd_kafka_conf_new();
    set(c, "bootstrap.servers", o->bootstrap);
    for (; *defs; defs += 2)
        set(c, defs[0], defs[1]);
    for (uint32_t i = 0; i < nprops; i++) {
        char key[128];
        const char *eq = strchr(props[i], '=');
        snprintf(key, sizeof key, "%.*s", (int)(eq - props[i]), props[i]);
        set(c, key, eq + 1);
    }
    return c;
}

/* Delivery failures end the run: a lost event would be counted missing. */
static void delivery_cb(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
    (void)rk;
    (void)opaque;
    if (m->err)
        die("delivery", rd_kafka_err2str(m->err));
}

/* A producer with vigil's sink defaults (engine/kafka_sink.c), then -P. */
static rd_kafka_t *make_producer(const opts *o)
{
    static const char *const defs[] = {"enable.idempotence", "true",
                                       "linger.ms", "1",
                                       "partitioner", "murmur2_random",
                                       "socket.nagle.disable", "true",
                                       NULL};
    char errstr[512];
    rd_kafka_conf_t *c = make_conf(o, defs, o->pprops, o->npprops);
    rd_kafka_conf_set_dr_msg_cb(c, delivery_cb);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, c, errstr, sizeof errstr);
    if (!rk)
        die("producer", errstr);
    return rk;
}

/* A consumer with vigil's source defaults (engine/kafka_source.c), then -C. */
static rd_kafka_t *make_consumer(const opts *o, const char *group)
{
    static const char *const defs[] = {"auto.offset.reset", "earliest",
                                       "enable.partition.eof", "false",
                                       "socket.nagle.disable", "true",
                                       NULL};
    char errstr[512];
    rd_kafka_conf_t *c = make_conf(o, defs, o->cprops, o->ncprops);
    set(c, "group.id", group);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, c, errstr, sizeof errstr);
    if (!rk)
        die("consumer", errstr);
    rd_kafka_poll_set_consumer(rk);
    return rk;
}

/* Assign every partition of topic to rk at its current end. */
static void assign_at_end(rd_kafka_t *rk, const char *topic)
{
    rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, topic, NULL);
    const struct rd_kafka_metadata *md;
    rd_kafka_resp_err_t e = rd_kafka_metadata(rk, 0, rkt, &md, 10000);
    if (e || md->topic_cnt != 1 || md->topics[0].err)
        die(topic, e ? rd_kafka_err2str(e) : "no metadata");
    int n = md->topics[0].partition_cnt;
    rd_kafka_metadata_destroy(md);
    rd_kafka_topic_destroy(rkt);
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(n);
    for (int p = 0; p < n; p++) {
        int64_t lo, hi;
        if ((e = rd_kafka_query_watermark_offsets(rk, topic, p, &lo, &hi, 10000)))
            die(topic, rd_kafka_err2str(e));
        rd_kafka_topic_partition_list_add(l, topic, p)->offset = hi;
    }
    if ((e = rd_kafka_assign(rk, l)))
        die(topic, rd_kafka_err2str(e));
    rd_kafka_topic_partition_list_destroy(l);
}

/* ---- events ---- */

/* One payment of the log, as the parts around its payment_id and ts. */
typedef struct event {
    const char *key; /* its card_id (into the log buffer) */
    int keylen;
    const char *middle; /* from after payment_id's value to just before "ts": */
    int midlen;
} event;

/* The events of a log, pointing into its text. */
typedef struct events {
    char *text; /* the log, its lines cut at the newlines */
    event *ev;  /* its events */
    size_t n;   /* how many */
} events;

/* The events of log path. Lines that do not have the shape of the
 * generator's output are skipped. */
static events load_events(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        die(path, strerror(errno));
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)len + 1);
    if (!buf || fread(buf, 1, (size_t)len, f) != (size_t)len)
        die(path, "cannot read");
    fclose(f);
    buf[len] = 0;
    size_t cap = 1024, n = 0;
    event *ev = malloc(cap * sizeof *ev);
    for (char *line = buf, *nl; line < buf + len; line = nl + 1) {
        if (!(nl = strchr(line, '\n')))
            nl = buf + len;
        *nl = 0;
        static const char id[] = "{\"payment_id\":\"", card[] = "\"card_id\":\"";
        char *mid = strncmp(line, id, sizeof id - 1) ? NULL : strchr(line + sizeof id - 1, '"');
        char *ts = mid ? strstr(mid, "\"ts\":") : NULL;
        char *key = mid ? strstr(mid, card) : NULL;
        char *kend = key ? strchr(key + sizeof card - 1, '"') : NULL;
        if (!ts || !kend || kend > ts)
            continue;
        if (!ev || (n == cap && !(ev = realloc(ev, (cap *= 2) * sizeof *ev))))
            die(path, "out of memory");
        ev[n++] = (event){key + sizeof card - 1, (int)(kend - key - (sizeof card - 1)), mid + 1,
                          (int)(ts - mid - 1)};
    }
    if (!n)
        die(path, "no events of the expected shape");
    return (events){buf, ev, n};
}

static void free_events(events *e)
{
    free(e->text);
    free(e->ev);
}

/* Send event e as sequence number seq. */
static void send_event(rd_kafka_t *rk, const char *topic, const event *e, uint64_t seq)
{
    char value[4096];
    int len = snprintf(value, sizeof value, "{\"payment_id\":\"k%llu\"%.*s\"ts\":%lld}",
                       (unsigned long long)seq, e->midlen, e->middle, (long long)wall_ms());
    if (len < 0 || (size_t)len >= sizeof value)
        die("event", "longer than 4 KiB");
    for (;;) {
        rd_kafka_resp_err_t err =
            rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                              RD_KAFKA_V_VALUE(value, (size_t)len),
                              RD_KAFKA_V_KEY(e->key, (size_t)e->keylen), RD_KAFKA_V_END);
        if (!err)
            return;
        if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL)
            die("produce", rd_kafka_err2str(err));
        rd_kafka_poll(rk, 1);
    }
}

/* The sequence number in an output row's payment_id, or 0. */
static uint64_t row_seq(const char *p, size_t len)
{
    static const char id[] = "\"payment_id\":\"k";
    const char *end = p + len;
    const char *at = memmem(p, len, id, sizeof id - 1);
    uint64_t seq = 0;
    if (!at)
        return 0;
    for (at += sizeof id - 1; at < end && *at >= '0' && *at <= '9'; at++)
        seq = seq * 10 + (uint64_t)(*at - '0');
    return seq;
}

/* ---- the measuring consumer ---- */

/* Rows of the measured topic, by event sequence number. */
typedef struct meter {
    rd_kafka_t *rk;              /* the consumer, assigned at the end of the topic */
    uint64_t cap;                /* sequence numbers 1..cap-1 are tracked */
    _Atomic int64_t *sent_ns;    /* send time per sequence (latency only; else NULL) */
    int64_t *rx_ns;              /* receive time per sequence; 0: not yet */
    atomic_uint_fast64_t rows;   /* rows consumed */
    atomic_uint_fast64_t events; /* distinct tracked sequences seen */
    uint64_t dups;               /* rows of a sequence already seen */
    uint64_t strays;             /* rows without a tracked sequence */
    atomic_int_fast64_t last_ns; /* when the last row came */
    int64_t first_ns;            /* when the first row came */
    atomic_bool stop;            /* set by the main thread */
} meter;

static void meter_row(meter *m, const rd_kafka_message_t *msg, int64_t t)
{
    uint64_t seq = row_seq(msg->payload, msg->len);
    if (!atomic_load(&m->rows))
        m->first_ns = t;
    atomic_fetch_add(&m->rows, 1);
    atomic_store(&m->last_ns, t);
    if (!seq || seq >= m->cap) {
        m->strays++;
    } else if (m->rx_ns[seq]) {
        m->dups++;
    } else {
        m->rx_ns[seq] = t;
        atomic_fetch_add(&m->events, 1);
    }
}

static void *meter_thread(void *arg)
{
    meter *m = arg;
    while (!atomic_load(&m->stop)) {
        rd_kafka_message_t *msg = rd_kafka_consumer_poll(m->rk, 100);
        int64_t t = now_ns();
        if (!msg)
            continue;
        if (!msg->err)
            meter_row(m, msg, t);
        else if (msg->err != RD_KAFKA_RESP_ERR__PARTITION_EOF)
            fprintf(stderr, "bench_kafka: consume: %s\n", rd_kafka_message_errstr(msg));
        rd_kafka_message_destroy(msg);
    }
    return NULL;
}

static void meter_start(meter *m, const opts *o, uint64_t cap, bool latency, pthread_t *th)
{
    char group[64];
    snprintf(group, sizeof group, "bench-meter-%ld", (long)getpid());
    memset(m, 0, sizeof *m);
    m->cap = cap;
    m->rx_ns = calloc(cap, sizeof *m->rx_ns);
    m->sent_ns = latency ? calloc(cap, sizeof *m->sent_ns) : NULL;
    if (!m->rx_ns || (latency && !m->sent_ns))
        die("meter", "out of memory");
    m->rk = make_consumer(o, group);
    assign_at_end(m->rk, o->measure);
    if (pthread_create(th, NULL, meter_thread, m))
        die("meter", "cannot start a thread");
}

static void meter_stop(meter *m, pthread_t th)
{
    atomic_store(&m->stop, true);
    pthread_join(th, NULL);
    rd_kafka_consumer_close(m->rk);
    rd_kafka_destroy(m->rk);
}

static void meter_free(meter *m)
{
    free(m->rx_ns);
    free(m->sent_ns);
}

/* ---- preload ---- */

/* Send --count events as fast as the producer takes them, and flush. */
static int cmd_preload(const opts *o)
{
    if (!o->topic || !o->log || !o->count)
        usage();
    events e = load_events(o->log);
    rd_kafka_t *rk = make_producer(o);
    int64_t t0 = now_ns();
    for (uint64_t seq = 1; seq <= o->count; seq++) {
        send_event(rk, o->topic, &e.ev[(seq - 1) % e.n], seq);
        if (seq % POLL_EVERY == 0)
            rd_kafka_poll(rk, 0);
    }
    if (rd_kafka_flush(rk, 120000))
        die("preload", "not every event was delivered within 120 s");
    printf("preload_events %llu\npreload_seconds %.3f\n", (unsigned long long)o->count,
           (double)(now_ns() - t0) / 1e9);
    rd_kafka_destroy(rk);
    free_events(&e);
    return 0;
}

/* ---- latency ---- */

/* The generator: its producer, events and meter, and the next sequence. */
typedef struct gen {
    const opts *o;
    rd_kafka_t *rk;
    events e;
    meter m;
    uint64_t seq;     /* the next sequence number to send */
    int64_t first_ns; /* send time of the first event of the last send_paced */
    int64_t last_ns;  /* ... and of its last */
} gen;

/* Send the next event, its send time read right before the produce call. */
static void send_next(gen *g)
{
    int64_t t = now_ns();
    atomic_store_explicit(&g->m.sent_ns[g->seq], t, memory_order_relaxed);
    send_event(g->rk, g->o->topic, &g->e.ev[(g->seq - 1) % g->e.n], g->seq);
    if (g->seq % POLL_EVERY == 0)
        rd_kafka_poll(g->rk, 0);
    g->last_ns = t;
    g->seq++;
}

/* Send rate events per second for seconds (or until until() is true):
 * each event whose due time has come is sent; then sleep to the next. */
static void send_paced(gen *g, double rate, double seconds, bool (*until)(const gen *))
{
    uint64_t total = (uint64_t)(rate * seconds + 0.5);
    int64_t t0 = now_ns();
    g->first_ns = t0;
    for (uint64_t i = 0; i < total && g->seq < g->m.cap; i++) {
        int64_t due = t0 + (int64_t)((double)i * 1e9 / rate);
        if (now_ns() < due) {
            rd_kafka_poll(g->rk, 0);
            sleep_until(due);
        }
        if (i == 0)
            g->first_ns = now_ns();
        send_next(g);
        if (until && until(g))
            return;
    }
}

static bool answered(const gen *g) { return atomic_load(&g->m.rows) > 0; }

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* Nearest-rank quantile q of the n sorted values v, in microseconds. */
static double quantile_us(const int64_t *v, size_t n, double q)
{
    size_t r = (size_t)(q * (double)n + 0.999999);
    return n ? (double)v[r ? r - 1 : 0] / 1e3 : 0;
}

/* Gaps in the output: the longest time between two consecutive rows of
 * the n sorted receive times rx, and how many such gaps exceed 5 ms (at
 * the rates measured, rows come every few hundred microseconds while the
 * pipeline runs: a gap is a stall). */
static void print_gaps(const int64_t *rx, size_t n)
{
    int64_t longest = 0;
    size_t over = 0;
    for (size_t i = 1; i < n; i++) {
        int64_t d = rx[i] - rx[i - 1];
        longest = d > longest ? d : longest;
        over += d > 5000000;
    }
    printf("longest_gap_ms %.1f\ngaps_over_5ms %zu\n", (double)longest / 1e6, over);
    /* each gap over 20 ms with the wall clock at its end, to match with vigil's --verbose log */
    int64_t mono_to_wall = wall_ms() * 1000000 - now_ns();
    for (size_t i = 1; i < n; i++)
        if (rx[i] - rx[i - 1] > 20000000)
            printf("gap_ms %.1f ending_at_ms %lld\n", (double)(rx[i] - rx[i - 1]) / 1e6,
                   (long long)((rx[i] + mono_to_wall) / 1000000));
}

/* Latencies, rates, stalls and losses of the events first..end-1. */
static void report_latency(const gen *g, uint64_t first, uint64_t end)
{
    const meter *m = &g->m;
    int64_t *lat = malloc((end - first + 1) * sizeof *lat);
    int64_t *rx = malloc((end - first + 1) * sizeof *rx);
    size_t n = 0;
    if (!lat || !rx)
        die("latency", "out of memory");
    for (uint64_t s = first; s < end; s++) {
        if (!m->rx_ns[s])
            continue;
        rx[n] = m->rx_ns[s];
        lat[n++] = m->rx_ns[s] - atomic_load_explicit(&m->sent_ns[s], memory_order_relaxed);
    }
    qsort(lat, n, sizeof *lat, cmp_i64);
    qsort(rx, n, sizeof *rx, cmp_i64);
    double sent_s = (double)(g->last_ns - g->first_ns) / 1e9;
    double rx_s = n > 1 ? (double)(rx[n - 1] - rx[0]) / 1e9 : 0;
    printf("target_rate %.0f\nmeasured_events %llu\nsent_rate %.0f\nreceived %zu\n"
           "missing %llu\nreceive_rate %.0f\n",
           g->o->rate, (unsigned long long)(end - first),
           sent_s > 0 ? (double)(end - first - 1) / sent_s : 0, n,
           (unsigned long long)(end - first - n), rx_s > 0 ? (double)(n - 1) / rx_s : 0);
    printf("p50_us %.1f\np99_us %.1f\np999_us %.1f\nmax_us %.1f\n", quantile_us(lat, n, 0.5),
           quantile_us(lat, n, 0.99), quantile_us(lat, n, 0.999), n ? (double)lat[n - 1] / 1e3 : 0);
    print_gaps(rx, n);
    printf("duplicates %llu\nstrays %llu\n", (unsigned long long)m->dups,
           (unsigned long long)m->strays);
    free(lat);
    free(rx);
}

/* Probe until the pipeline answers, warm up, measure, wait for the rows. */
static int cmd_latency(const opts *o)
{
    if (!o->topic || !o->log || !o->measure || o->rate <= 0 || o->seconds <= 0)
        usage();
    prctl(PR_SET_TIMERSLACK, 1000UL, 0, 0, 0); /* sleeps end within 1 us, not 50 */
    gen g = {.o = o, .seq = 1, .e = load_events(o->log)};
    uint64_t cap =
        PROBE_SECONDS * PROBE_PER_SEC + (uint64_t)(o->rate * (o->warmup + o->seconds)) + 2;
    pthread_t th;
    meter_start(&g.m, o, cap, true, &th);
    g.rk = make_producer(o);
    send_paced(&g, PROBE_PER_SEC, PROBE_SECONDS, answered);
    if (!answered(&g))
        die("latency", "no output row within 60 s of the first event");
    printf("probe_events %llu\n", (unsigned long long)(g.seq - 1));
    send_paced(&g, o->rate, o->warmup, NULL);
    uint64_t first = g.seq;
    int64_t start_ms = wall_ms();
    send_paced(&g, o->rate, o->seconds, NULL);
    uint64_t end = g.seq;
    /* the measured window on the wall clock, to match with the pipeline's log */
    printf("measure_start_ms %lld\nmeasure_end_ms %lld\n", (long long)start_ms,
           (long long)wall_ms());
    int64_t deadline = now_ns() + (int64_t)(o->drain * 1e9);
    while (atomic_load(&g.m.events) < end - 1 && now_ns() < deadline)
        rd_kafka_poll(g.rk, 10);
    meter_stop(&g.m, th);
    report_latency(&g, first, end);
    rd_kafka_flush(g.rk, 10000);
    rd_kafka_destroy(g.rk);
    meter_free(&g.m);
    free_events(&g.e);
    return 0;
}

/* ---- drain ---- */

/* Write path (and a newline) atomically: a temporary file, renamed. */
static void write_ready(const char *path)
{
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (!f || fputs("ready\n", f) < 0 || fclose(f) != 0 || rename(tmp, path) != 0)
        die(path, strerror(errno));
}

/* Count the rows of --measure until --count events or --idle seconds
 * without a row (or 120 s without any). */
static int cmd_drain(const opts *o)
{
    if (!o->measure || !o->count)
        usage();
    meter m;
    pthread_t th;
    meter_start(&m, o, o->count + 1, false, &th);
    if (o->ready_file)
        write_ready(o->ready_file);
    int64_t start = now_ns(), idle = (int64_t)(o->idle * 1e9);
    for (;;) {
        struct timespec pause = {0, 10000000};
        nanosleep(&pause, NULL);
        int64_t t = now_ns(), last = atomic_load(&m.last_ns);
        if (atomic_load(&m.events) >= o->count || (last && t - last > idle) ||
            (!last && t - start > 120 * (int64_t)1000000000))
            break;
    }
    meter_stop(&m, th);
    uint64_t rows = atomic_load(&m.rows);
    double s = rows > 1 ? (double)(atomic_load(&m.last_ns) - m.first_ns) / 1e9 : 0;
    printf("rows %llu\nevents %llu\nduplicates %llu\nstrays %llu\nseconds %.3f\nrate %.0f\n"
           "first_ns %lld\nlast_ns %lld\n",
           (unsigned long long)rows, (unsigned long long)atomic_load(&m.events),
           (unsigned long long)m.dups, (unsigned long long)m.strays, s,
           s > 0 ? (double)(rows - 1) / s : 0, (long long)m.first_ns,
           (long long)atomic_load(&m.last_ns));
    meter_free(&m);
    return 0;
}

/* ---- the plain loop ---- */

#define MAX_FANOUT 16   /* output topics of the loop */
#define LOOP_BATCH 1024 /* messages the loop takes at once, as vigil run's batch */

static volatile sig_atomic_t stopping;

static void on_signal(int sig)
{
    (void)sig;
    stopping = 1;
}

/* Have producer p know topic's partitions and leaders before the first
 * message, as vigil's sinks do when they open (else the first messages wait
 * for a metadata request and a connection). */
static void warm_up(rd_kafka_t *p, const char *topic)
{
    rd_kafka_topic_t *rkt = rd_kafka_topic_new(p, topic, NULL);
    const struct rd_kafka_metadata *md;
    rd_kafka_resp_err_t e = rd_kafka_metadata(p, 0, rkt, &md, 10000);
    if (e)
        die(topic, rd_kafka_err2str(e));
    rd_kafka_metadata_destroy(md);
    rd_kafka_topic_destroy(rkt);
}

/* The loop's outputs: --fanout topics (OUT, OUT-2, ... OUT-K) written by
 * --producers producers, topic i by producer i modulo their number. */
typedef struct outs {
    rd_kafka_t *p[MAX_FANOUT]; /* the producers */
    uint32_t np;
    char topic[MAX_FANOUT][256]; /* the topics */
    uint32_t nt;
} outs;

static void outs_open(outs *w, const opts *o)
{
    w->nt = o->fanout ? (uint32_t)o->fanout : 1;
    w->np = o->producers ? (uint32_t)o->producers : 1;
    if (w->nt > MAX_FANOUT || w->np > w->nt)
        usage();
    for (uint32_t i = 0; i < w->np; i++)
        w->p[i] = make_producer(o);
    for (uint32_t i = 0; i < w->nt; i++) {
        if (i)
            snprintf(w->topic[i], sizeof w->topic[i], "%s-%u", o->out, i + 1);
        else
            snprintf(w->topic[i], sizeof w->topic[i], "%s", o->out);
        warm_up(w->p[i % w->np], w->topic[i]);
    }
}

static void outs_poll(outs *w)
{
    for (uint32_t i = 0; i < w->np; i++)
        rd_kafka_poll(w->p[i], 0);
}

/* Copy message msg to every output topic. */
static void outs_forward(outs *w, const rd_kafka_message_t *msg)
{
    for (uint32_t i = 0; i < w->nt; i++)
        for (;;) {
            rd_kafka_t *p = w->p[i % w->np];
            rd_kafka_resp_err_t err = rd_kafka_producev(
                p, RD_KAFKA_V_TOPIC(w->topic[i]), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                RD_KAFKA_V_VALUE(msg->payload, msg->len), RD_KAFKA_V_KEY(msg->key, msg->key_len),
                RD_KAFKA_V_END);
            if (!err)
                break;
            if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL)
                die("produce", rd_kafka_err2str(err));
            rd_kafka_poll(p, 1);
        }
}

static void outs_close(outs *w)
{
    for (uint32_t i = 0; i < w->np; i++) {
        if (rd_kafka_flush(w->p[i], 30000))
            die("loop", "not every message was delivered within 30 s");
        rd_kafka_destroy(w->p[i]);
    }
}

static rd_kafka_t *subscribe(const opts *o)
{
    rd_kafka_t *c = make_consumer(o, o->group);
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(l, o->topic, RD_KAFKA_PARTITION_UA);
    rd_kafka_resp_err_t e = rd_kafka_subscribe(c, l);
    rd_kafka_topic_partition_list_destroy(l);
    if (e)
        die(o->topic, rd_kafka_err2str(e));
    return c;
}

/* Forward message msg (counted in *n, the first one's time in *first) and
 * destroy it. */
static void loop_take(outs *w, rd_kafka_message_t *msg, uint64_t *n, int64_t *first)
{
    if (!msg->err) {
        *first = (*n)++ ? *first : now_ns();
        outs_forward(w, msg);
    } else if (msg->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
        fprintf(stderr, "bench_kafka: consume: %s\n", rd_kafka_message_errstr(msg));
    }
    rd_kafka_message_destroy(msg);
}

/* Consume --topic in --group, produce each message to the outputs: wait
 * for a message, then take whatever else is there (up to LOOP_BATCH)
 * without waiting, forward them, serve the producers' events. */
static int cmd_loop(const opts *o)
{
    if (!o->topic || !o->out || !o->group)
        usage();
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    outs w = {0};
    outs_open(&w, o);
    rd_kafka_t *c = subscribe(o);
    rd_kafka_queue_t *q = rd_kafka_queue_get_consumer(c);
    rd_kafka_message_t *batch[LOOP_BATCH];
    uint64_t n = 0;
    int64_t first = 0;
    while (!stopping && (!o->count || n < o->count)) {
        rd_kafka_message_t *msg = rd_kafka_consumer_poll(c, 100);
        if (msg) {
            loop_take(&w, msg, &n, &first);
            size_t want = o->count && o->count - n < LOOP_BATCH ? o->count - n : LOOP_BATCH;
            ssize_t got = want ? rd_kafka_consume_batch_queue(q, 0, batch, want) : 0;
            for (ssize_t i = 0; i < got; i++)
                loop_take(&w, batch[i], &n, &first);
        }
        outs_poll(&w);
    }
    outs_close(&w);
    int64_t end = now_ns();
    printf("loop_events %llu\nloop_seconds %.3f\nfirst_ns %lld\nend_ns %lld\n",
           (unsigned long long)n, first ? (double)(end - first) / 1e9 : 0, (long long)first,
           (long long)end);
    rd_kafka_queue_destroy(q);
    rd_kafka_consumer_close(c);
    rd_kafka_destroy(c);
    return 0;
}

int main(int argc, char **argv)
{
    static const struct {
        const char *name;
        int (*fn)(const opts *);
    } cmds[] = {{"preload", cmd_preload},
                {"latency", cmd_latency},
                {"drain", cmd_drain},
                {"loop", cmd_loop}};
    opts o = parse_opts(argc, argv);
    setvbuf(stdout, NULL, _IOLBF, 0);
    for (size_t i = 0; i < sizeof cmds / sizeof *cmds; i++)
        if (strcmp(o.cmd, cmds[i].name) == 0)
            return cmds[i].fn(&o);
    usage();
}
