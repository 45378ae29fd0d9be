/*
 * bench_live.c — the live-query benchmark's generator and client
 * (scripts/bench_live): point lookups through POST /query while the
 * pipeline runs at full speed, and the pipeline's throughput with and
 * without them.
 *
 *     bench_live gen KEYS EVENTS > LOG
 *     bench_live run URL --pid PID --log LOG --log-events N [--tid TID] [--keys N]
 *                        [--rate Q] [--phase S] [--pairs P] [--warm EVENTS]
 *                        [--table T] [--seed X]
 *
 * gen writes EVENTS payments cycling over KEYS cards: event i is card
 * c%07d of i mod KEYS, at 2024-05-01 plus i milliseconds, for an amount
 * that depends on the card alone ((k mod 9973 + 1) / 4, exact in binary).
 * With tests/bench/bench_live.sql (a one-hour OVER window per card) every
 * card's row then satisfies sum_1h = n_1h * amount and min_1h = max_1h =
 * avg_1h = amount whatever the cut, which is how each answer is checked.
 *
 * run waits until the engine at URL (process PID, replaying LOG of N
 * events) has read --warm events (default 4,000,000: every key present and
 * the hour's windows full), then times P pairs of phases of S seconds
 * (default 8 pairs of 1.5 s), each pair a phase without queries, then one
 * with Q queries a second (default 100), over one keep-alive HTTP/1.1
 * connection, alternately in the two forms POST /query takes:
 *     literal  SELECT * FROM T WHERE card_id = '<a random existing card>'
 *     param    {"sql": "SELECT * FROM T WHERE card_id = ?", "params": ["<card>"]}
 * Each phase's throughput is how far the engine read into its log during
 * the phase (the offset of its descriptor, /proc/PID/fdinfo, over the
 * log's bytes per event) over the phase's wall time, and its cost is the
 * CPU time the engine's runner thread (TID, default PID: replay runs on
 * its main thread) used per event read (/proc/PID/task/TID/schedstat, in
 * ns, else utime + stime of .../stat): both measured from outside, at no
 * cost to the engine (GET /metrics would pause the pipeline while it sums
 * the state). The CPU per event is what the queries cost the pipeline
 * whatever its neighbours do with the machine's cores; the throughput
 * also moves with them, which is why the phases are short, many and
 * alternate, and each pair is compared with itself. Third, from inside:
 * every answer the runner served carries "Server-Timing: wait;dur=MS,
 * run;dur=MS" (engine/admin.h), run being the runner's own time on the
 * request; the runner runs flat out, so a phase's sum of run over its wall
 * time is the share of the phase the pipeline lost to answering the
 * queries (the direct loss), which the neighbours do not move.
 * A query is timed to its answer's last byte from when it was sent, or,
 * when the previous answer came after it was due, from when it was due (so
 * that one slow answer also counts against the queries it delays); its
 * answer must be 200 with the right card and values. Half-way between two
 * queries a GET /health goes over the same connection: the HTTP thread
 * answers it without the runner, so its latency is what HTTP and the
 * machine's scheduling alone cost at that moment, the baseline of the
 * queries'.
 *
 * Prints "name value" lines on stdout (scripts/bench_live reads them):
 * per phase its events/s, runner CPU ns per event and the runner's share
 * answering queries (-1 without queries); the best events/s
 * without and with queries and their loss; the median and quartiles over
 * the pairs of the throughput loss and of the runner's extra CPU per
 * event (in %), and the median CPU per event each way; the median,
 * quartiles and maximum over the phases with queries of the runner's
 * share answering them (runner_query_share_*_percent), and the p50 and p99
 * of the queries' run and wait (runner_query_run_p50_us ...); per form the
 * queries' p50, p99, p99.9 and max in microseconds, and the baseline's
 * p50, p99 and max; how many answers failed or were wrong. Exit 0, 1 on a
 * failure (the message on stderr), 2 when the pipeline ended before the
 * measurement (the log is too short).
 */
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define START_MS 1714521600000LL /* 2024-05-01T00:00:00Z */
#define MAX_QUERIES 100000

/* ---- the generator ---- */

static double amount_of(uint64_t key) { return (double)(key % 9973 + 1) / 4.0; }

static int gen(uint64_t keys, uint64_t events)
{
    static char buf[1 << 16];
    size_t n = 0;
    for (uint64_t i = 0; i < events; i++) {
        uint64_t k = i % keys;
        n += (size_t)snprintf(buf + n, sizeof buf - n,
                              "{\"card_id\":\"c%07llu\",\"amount\":%.2f,\"ts\":%lld}\n",
                              (unsigned long long)k, amount_of(k), START_MS + (long long)i);
        if (n > sizeof buf - 128) {
            if (fwrite(buf, 1, n, stdout) != n)
                return 1;
            n = 0;
        }
    }
    return fwrite(buf, 1, n, stdout) != n || fflush(stdout) != 0;
}

/* ---- time ---- */

static int64_t now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

static void sleep_until(int64_t ns)
{
    struct timespec t = {ns / 1000000000, ns % 1000000000};
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &t, NULL) == EINTR)
        ;
}

/* ---- HTTP/1.1 over one keep-alive connection ---- */

typedef struct conn {
    char host[128]; /* "127.0.0.1:PORT": where, and the Host header */
    int fd;         /* -1: not connected */
    char *body;     /* the last answer's body, NUL-terminated (owned) */
    size_t cap;     /* bytes of body */
    int64_t wait_ns, run_ns; /* the last answer's Server-Timing (queued to taken by the
                                runner, the runner's time on it), ns; -1: it had none */
} conn;

static int conn_open(conn *c)
{
    char name[128];
    snprintf(name, sizeof name, "%s", c->host);
    char *colon = strrchr(name, ':');
    if (!colon)
        return -1;
    *colon = 0;
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *ai;
    if (getaddrinfo(name, colon + 1, &hints, &ai) != 0)
        return -1;
    c->fd = socket(ai->ai_family, SOCK_STREAM, 0);
    int one = 1;
    if (c->fd < 0 || connect(c->fd, ai->ai_addr, ai->ai_addrlen) < 0) {
        if (c->fd >= 0)
            close(c->fd);
        c->fd = -1;
        freeaddrinfo(ai);
        return -1;
    }
    freeaddrinfo(ai);
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return 0;
}

static void conn_close(conn *c)
{
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
}

static int send_all(int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        p += w, n -= (size_t)w;
    }
    return 0;
}

/* The durations of "Server-Timing: wait;dur=0.012, run;dur=0.054" (ms) in
 * the headers hdr..end, into c->wait_ns and run_ns (-1 when absent). */
static void read_timing(conn *c, const char *hdr, const char *end)
{
    c->wait_ns = c->run_ns = -1;
    const char *t = strcasestr(hdr, "\r\nServer-Timing:");
    double wait_ms, run_ms;
    if (t && t < end && sscanf(t + 16, " wait;dur=%lf, run;dur=%lf", &wait_ms, &run_ms) == 2)
        c->wait_ns = (int64_t)(wait_ms * 1e6 + 0.5), c->run_ns = (int64_t)(run_ms * 1e6 + 0.5);
}

/* Read the answer: its status, its Server-Timing into c, and its body into
 * c->body. -1 on a broken connection or an answer without Content-Length. */
static int read_answer(conn *c, int *status)
{
    static char hdr[16384];
    size_t n = 0;
    char *end = NULL;
    while (!end) {
        if (n == sizeof hdr - 1)
            return -1;
        ssize_t r = recv(c->fd, hdr + n, sizeof hdr - 1 - n, 0);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return -1;
        n += (size_t)r;
        hdr[n] = 0;
        end = strstr(hdr, "\r\n\r\n");
    }
    char *len = strcasestr(hdr, "\r\nContent-Length:");
    if (sscanf(hdr, "HTTP/1.%*d %d", status) != 1 || !len || len > end)
        return -1;
    read_timing(c, hdr, end);
    size_t want = strtoull(len + 17, NULL, 10), have = n - (size_t)(end + 4 - hdr);
    if (want + 1 > c->cap) {
        char *grown = realloc(c->body, want + 1);
        if (!grown)
            return -1;
        c->body = grown, c->cap = want + 1;
    }
    if (have > want)
        return -1; /* one request at a time: nothing may follow */
    memcpy(c->body, end + 4, have);
    while (have < want) {
        ssize_t r = recv(c->fd, c->body + have, want - have, 0);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return -1;
        have += (size_t)r;
    }
    c->body[want] = 0;
    return 0;
}

/* One request; reconnects once when the kept-alive connection was closed.
 * The status, or -1 when the engine cannot be reached. */
static int request(conn *c, const char *method, const char *path, const char *body)
{
    char head[512];
    size_t blen = body ? strlen(body) : 0;
    int hn = snprintf(head, sizeof head,
                      "%s %s HTTP/1.1\r\nHost: %s\r\nContent-Type: text/plain\r\n"
                      "Content-Length: %zu\r\n\r\n",
                      method, path, c->host, blen);
    for (int attempt = 0; attempt < 2; attempt++) {
        int status;
        if (c->fd < 0 && conn_open(c) < 0)
            return -1;
        if (send_all(c->fd, head, (size_t)hn) == 0 && send_all(c->fd, body ? body : "", blen) == 0 &&
            read_answer(c, &status) == 0)
            return status;
        conn_close(c);
    }
    return -1;
}

/* ---- the engine's progress ---- */

/* How far the engine has read its log, from outside: the offset of the
 * descriptor it reads the log through (/proc/PID/fdinfo), in events (the
 * log's bytes per event on average). Reading it costs the engine nothing,
 * where GET /metrics would stop the pipeline while it sums the state. */
typedef struct progress {
    int pid;          /* the engine */
    int fd;           /* its descriptor of the log, or -1 before it is found */
    const char *log;  /* the log's path */
    double per_event; /* bytes per event */
} progress;

static int find_fd(progress *pr)
{
    char path[64], link[4096], want[4096];
    if (!realpath(pr->log, want))
        return -1;
    for (int fd = 0; fd < 1024; fd++) {
        snprintf(path, sizeof path, "/proc/%d/fd/%d", pr->pid, fd);
        ssize_t n = readlink(path, link, sizeof link - 1);
        if (n < 0)
            continue;
        link[n] = 0;
        if (strcmp(link, want) == 0)
            return pr->fd = fd;
    }
    return -1;
}

/* Events read so far; -1 when the engine is gone (or has closed the log). */
static int64_t events_read(progress *pr)
{
    char path[64], text[512];
    if (pr->fd < 0 && find_fd(pr) < 0)
        return -1;
    snprintf(path, sizeof path, "/proc/%d/fdinfo/%d", pr->pid, pr->fd);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    size_t n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[n] = 0;
    const char *pos = strstr(text, "pos:");
    return pos ? (int64_t)((double)strtoll(pos + 4, NULL, 10) / pr->per_event) : -1;
}

/* ---- the queries ---- */

/* Whether an answer is the row of card key: {"columns":[...],"rows":[["cK",n,sum,min,max,avg]]}. */
static bool answer_right(const char *body, uint64_t key)
{
    char want[48];
    snprintf(want, sizeof want, "\"rows\":[[\"c%07llu\",", (unsigned long long)key);
    const char *p = strstr(body, want);
    if (!p)
        return false;
    p += strlen(want);
    char *e;
    double v[5];
    for (int i = 0; i < 5; i++) {
        v[i] = strtod(p, &e);
        if (e == p || *e != (i < 4 ? ',' : ']'))
            return false;
        p = e + 1;
    }
    double a = amount_of(key);
    return strcmp(p, "]}\n") == 0 && v[0] >= 1 && v[1] == v[0] * a && v[2] == a && v[3] == a &&
           v[4] == a;
}

static uint64_t rng_next(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* The two forms a lookup is sent in, alternately. */
enum { LITERAL, PARAM, NFORMS };
static const char *const form_names[NFORMS] = {"literal", "param"};

typedef struct bench {
    conn q;             /* the queries' connection */
    progress pr;        /* how far the engine has read */
    int tid;            /* the engine's runner thread (default: its main thread, PID) */
    uint64_t keys;      /* cards in the log */
    double rate;        /* queries a second in a phase with queries */
    double phase_s;     /* seconds of a phase */
    int pairs;          /* phases without and with queries, each */
    int64_t warm;       /* events read before the first phase */
    const char *table;  /* the live table */
    uint64_t seed;      /* of the random keys */
    int64_t *lat[NFORMS]; /* each query's latency, ns, per form */
    size_t nlat[NFORMS];  /* how many */
    uint64_t sent;        /* queries sent: even ones literal, odd ones with a parameter */
    int64_t *hlat;      /* each GET /health's latency, ns: HTTP alone, at the same time */
    size_t nhlat;       /* how many */
    uint64_t wrong;     /* answers that were not the right row */
    uint64_t failed;    /* answers other than 200 */
    int64_t *run;       /* each query's Server-Timing run: the runner's time on it, ns */
    int64_t *wait;      /* and its wait: queued to taken by the runner, ns */
    size_t ntimed;      /* how many (answers that carried Server-Timing) */
    uint64_t untimed;   /* answers without Server-Timing */
    int64_t phase_run;  /* the sum of run over the current phase's queries, ns */
} bench;

/* One query for a random key, due at `due`, sent now: its latency into
 * b->lat, from `due` when the previous answer came after it (the query was
 * held up by it), else from now (the client's own late wake-up is not the
 * engine's). 0, or -1 when the engine went away. */
static int one_query(bench *b, int64_t due, int64_t prev_end)
{
    int64_t from = prev_end > due ? due : now_ns();
    char sql[200];
    uint64_t key = rng_next(&b->seed) % b->keys;
    int form = b->sent++ % NFORMS;
    if (form == LITERAL)
        snprintf(sql, sizeof sql, "SELECT * FROM %s WHERE card_id = 'c%07llu'", b->table,
                 (unsigned long long)key);
    else
        snprintf(sql, sizeof sql,
                 "{\"sql\": \"SELECT * FROM %s WHERE card_id = ?\", \"params\": [\"c%07llu\"]}",
                 b->table, (unsigned long long)key);
    int status = request(&b->q, "POST", "/query", sql);
    int64_t took = now_ns() - from;
    if (status < 0)
        return -1;
    if (b->q.run_ns < 0) {
        b->untimed++;
    } else {
        b->phase_run += b->q.run_ns;
        if (b->ntimed < MAX_QUERIES)
            b->run[b->ntimed] = b->q.run_ns, b->wait[b->ntimed++] = b->q.wait_ns;
    }
    if (status != 200) {
        if (b->failed++ < 3)
            fprintf(stderr, "bench_live: %s: %d %s", sql, status, b->q.body);
    } else if (!answer_right(b->q.body, key) && b->wrong++ < 3) {
        fprintf(stderr, "bench_live: %s: wrong answer %s", sql, b->q.body);
    }
    if (b->nlat[form] < MAX_QUERIES)
        b->lat[form][b->nlat[form]++] = took;
    return 0;
}

/* The CPU time the runner thread has used, in ns: /proc/PID/task/TID/schedstat
 * (the scheduler's count, in ns), else utime + stime of .../stat (in clock
 * ticks); -1 when neither can be read. Reading it costs the engine nothing. */
static int64_t runner_cpu_ns(const bench *b)
{
    char path[96], text[1024];
    snprintf(path, sizeof path, "/proc/%d/task/%d/schedstat", b->pr.pid, b->tid);
    FILE *f = fopen(path, "r");
    long long ns;
    if (f) {
        int n = fscanf(f, "%lld", &ns);
        fclose(f);
        if (n == 1)
            return ns;
    }
    snprintf(path, sizeof path, "/proc/%d/task/%d/stat", b->pr.pid, b->tid);
    if (!(f = fopen(path, "r")))
        return -1;
    size_t n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[n] = 0;
    const char *p = strrchr(text, ')'); /* the name may hold spaces */
    unsigned long long ut, st;
    if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) != 2)
        return -1;
    return (int64_t)((ut + st) * (1000000000.0 / (double)sysconf(_SC_CLK_TCK)));
}

/* What one phase measured. */
typedef struct phase_result {
    double events_per_s; /* the engine's throughput */
    double cpu_ns;       /* the runner thread's CPU time per event, ns (-1: unknown) */
    double query_share;  /* the runner's time answering the phase's queries (the sum of their
                            Server-Timing run), % of the phase's wall time; -1: no queries */
} phase_result;

/* One phase; events_per_s -1 when the engine went away. */
static phase_result phase(bench *b, bool queries)
{
    phase_result res = {-1, -1, -1};
    b->phase_run = 0;
    int64_t e0 = events_read(&b->pr), c0 = runner_cpu_ns(b), t0 = now_ns();
    int64_t end = t0 + (int64_t)(b->phase_s * 1e9), gap = (int64_t)(1e9 / b->rate);
    if (e0 < 0)
        return res;
    for (int64_t due = t0 + gap, prev_end = 0; queries && due < end; due += gap) {
        sleep_until(due);
        if (one_query(b, due, prev_end) < 0)
            return res;
        prev_end = now_ns();
        sleep_until(due + gap / 2); /* half-way to the next: the baseline */
        int64_t h0 = now_ns();
        if (request(&b->q, "GET", "/health", NULL) != 200)
            return res;
        if (b->nhlat < MAX_QUERIES)
            b->hlat[b->nhlat++] = now_ns() - h0;
    }
    sleep_until(end);
    int64_t e1 = events_read(&b->pr), c1 = runner_cpu_ns(b), t1 = now_ns();
    if (e1 < 0)
        return res;
    res.events_per_s = (double)(e1 - e0) / ((double)(t1 - t0) / 1e9);
    res.cpu_ns = c0 >= 0 && c1 >= 0 && e1 > e0 ? (double)(c1 - c0) / (double)(e1 - e0) : -1;
    res.query_share = queries ? 100.0 * (double)b->phase_run / (double)(t1 - t0) : -1;
    return res;
}

/* Wait until the engine has read b->warm events: at most 10 s for it to
 * answer, 600 s for the events. */
static int warm_up(bench *b)
{
    int64_t t0 = now_ns(), s = 1000000000;
    for (;;) {
        int64_t e = events_read(&b->pr), t = now_ns() - t0;
        if (e >= b->warm)
            return 0;
        if ((e < 0 && t > 10 * s) || t > 600 * s) {
            fprintf(stderr, "bench_live: the engine %s\n",
                    e < 0 ? "cannot be reached" : "did not read the warm-up events within 600 s");
            return -1;
        }
        sleep_until(now_ns() + s / 10);
    }
}

/* Quantile q of the n sorted latencies in lat, in microseconds. */
static double quantile(const int64_t *lat, size_t n, double q)
{
    if (!n)
        return 0;
    size_t i = (size_t)(q * (double)n);
    return (double)lat[i < n ? i : n - 1] / 1e3;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The median of n values (sorted in place). */
static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* The latencies of one form of query, sorted: "<form>_p50_us" ... lines. */
static void print_latencies(const char *form, int64_t *lat, size_t n)
{
    qsort(lat, n, sizeof *lat, cmp_i64);
    printf("%s_queries %zu\n", form, n);
    printf("%s_p50_us %.1f\n", form, quantile(lat, n, 0.50));
    printf("%s_p99_us %.1f\n", form, quantile(lat, n, 0.99));
    printf("%s_p999_us %.1f\n", form, quantile(lat, n, 0.999));
    printf("%s_max_us %.1f\n", form, quantile(lat, n, 1.0));
}

/* "<name>_median_percent", _q1_, _q3_ of the n per-pair values in v (sorted in place). */
static void print_spread(const char *name, double *v, int n)
{
    double m = median(v, n);
    printf("%s_median_percent %.2f\n", name, m);
    printf("%s_q1_percent %.2f\n", name, v[n / 4]);
    printf("%s_q3_percent %.2f\n", name, v[(3 * n) / 4 < n ? (3 * n) / 4 : n - 1]);
}

/* The pairs (a phase without queries, then one with) summed up: the best
 * throughput each way and its loss; per pair the throughput loss, the
 * runner's extra CPU per event, and the share of the phase with queries
 * the runner spent answering them: their median and quartiles (and the
 * share's maximum). */
static void print_pairs(const phase_result *ph, int pairs)
{
    double loss[64], cost[64], none_cpu[64], with_cpu[64], share[64], best[2] = {0, 0};
    int ncpu = 0;
    for (int i = 0; i < pairs; i++) {
        const phase_result *a = &ph[2 * i], *q = &ph[2 * i + 1];
        share[i] = q->query_share;
        loss[i] = a->events_per_s > 0 ? 100.0 * (1 - q->events_per_s / a->events_per_s) : 0;
        best[0] = a->events_per_s > best[0] ? a->events_per_s : best[0];
        best[1] = q->events_per_s > best[1] ? q->events_per_s : best[1];
        if (a->cpu_ns > 0 && q->cpu_ns > 0) {
            none_cpu[ncpu] = a->cpu_ns, with_cpu[ncpu] = q->cpu_ns;
            cost[ncpu++] = 100.0 * (q->cpu_ns / a->cpu_ns - 1);
        }
    }
    printf("events_per_s_without %.0f\n", best[0]);
    printf("events_per_s_with %.0f\n", best[1]);
    printf("loss_percent %.2f\n", best[0] > 0 ? 100.0 * (best[0] - best[1]) / best[0] : 0.0);
    print_spread("pair_loss", loss, pairs);
    print_spread("runner_query_share", share, pairs);
    printf("runner_query_share_max_percent %.2f\n", share[pairs - 1]);
    if (ncpu) {
        printf("cpu_ns_per_event_without %.1f\n", median(none_cpu, ncpu));
        printf("cpu_ns_per_event_with %.1f\n", median(with_cpu, ncpu));
        print_spread("cpu_cost", cost, ncpu);
    }
}

/* The runner's side of the queries, from their Server-Timing: how many
 * answers carried it, and the p50 and p99 of run and of wait. */
static void print_timing(bench *b)
{
    printf("runner_query_timed %zu\n", b->ntimed);
    printf("runner_query_untimed %llu\n", (unsigned long long)b->untimed);
    qsort(b->run, b->ntimed, sizeof *b->run, cmp_i64);
    qsort(b->wait, b->ntimed, sizeof *b->wait, cmp_i64);
    printf("runner_query_run_p50_us %.1f\n", quantile(b->run, b->ntimed, 0.50));
    printf("runner_query_run_p99_us %.1f\n", quantile(b->run, b->ntimed, 0.99));
    printf("runner_query_wait_p50_us %.1f\n", quantile(b->wait, b->ntimed, 0.50));
    printf("runner_query_wait_p99_us %.1f\n", quantile(b->wait, b->ntimed, 0.99));
}

static int measure(bench *b)
{
    phase_result ph[2 * 64];
    if (warm_up(b) < 0)
        return 1;
    for (int p = 0; p < 2 * b->pairs; p++) {
        bool q = p % 2;
        ph[p] = phase(b, q);
        if (ph[p].events_per_s < 0) {
            fprintf(stderr, "bench_live: the pipeline ended during phase %d: the log is too "
                            "short for the measurement\n", p + 1);
            return 2;
        }
        printf("phase %d %s %.0f %.2f %.3f\n", p + 1, q ? "queries" : "none", ph[p].events_per_s,
               ph[p].cpu_ns, ph[p].query_share);
    }
    print_pairs(ph, b->pairs);
    size_t all = 0;
    for (int f = 0; f < NFORMS; f++)
        all += b->nlat[f];
    printf("queries %zu\n", all);
    printf("queries_failed %llu\n", (unsigned long long)b->failed);
    printf("answers_wrong %llu\n", (unsigned long long)b->wrong);
    for (int f = 0; f < NFORMS; f++)
        print_latencies(form_names[f], b->lat[f], b->nlat[f]);
    print_timing(b);
    qsort(b->hlat, b->nhlat, sizeof *b->hlat, cmp_i64);
    printf("health_p50_us %.1f\n", quantile(b->hlat, b->nhlat, 0.50));
    printf("health_p99_us %.1f\n", quantile(b->hlat, b->nhlat, 0.99));
    printf("health_max_us %.1f\n", quantile(b->hlat, b->nhlat, 1.0));
    return b->failed || b->wrong ? 1 : 0;
}

/* ---- the command line ---- */

static int usage(void)
{
    fputs("usage: bench_live gen KEYS EVENTS > LOG\n"
          "       bench_live run URL --pid PID --log LOG --log-events N [--keys N] [--rate Q]\n"
          "                  [--phase S] [--pairs P] [--warm EVENTS] [--table T] [--seed X]\n",
          stderr);
    return 1;
}

static int run(int argc, char **argv)
{
    static bench b = {.keys = 1000000, .rate = 100, .phase_s = 1.5, .pairs = 8,
                      .warm = 4000000, .table = "card_features", .seed = 88172645463325252ull};
    const char *url = argv[0];
    if (strncmp(url, "http://", 7) == 0)
        url += 7;
    snprintf(b.q.host, sizeof b.q.host, "%.*s", (int)strcspn(url, "/"), url);
    b.q.fd = b.pr.fd = -1;
    int64_t log_events = 0;
    for (int i = 1; i + 1 < argc; i += 2) {
        const char *o = argv[i], *v = argv[i + 1];
        if (strcmp(o, "--keys") == 0)
            b.keys = strtoull(v, NULL, 10);
        else if (strcmp(o, "--rate") == 0)
            b.rate = atof(v);
        else if (strcmp(o, "--phase") == 0)
            b.phase_s = atof(v);
        else if (strcmp(o, "--pairs") == 0)
            b.pairs = atoi(v);
        else if (strcmp(o, "--warm") == 0)
            b.warm = strtoll(v, NULL, 10);
        else if (strcmp(o, "--table") == 0)
            b.table = v;
        else if (strcmp(o, "--pid") == 0)
            b.pr.pid = atoi(v);
        else if (strcmp(o, "--tid") == 0)
            b.tid = atoi(v);
        else if (strcmp(o, "--log") == 0)
            b.pr.log = v;
        else if (strcmp(o, "--log-events") == 0)
            log_events = strtoll(v, NULL, 10);
        else if (strcmp(o, "--seed") == 0)
            b.seed = strtoull(v, NULL, 10) | 1;
        else
            return usage();
    }
    struct stat st;
    if (argc % 2 == 0 || !b.keys || b.rate <= 0 || b.phase_s <= 0 || b.pairs < 1 || b.pairs > 64 ||
        b.pr.pid <= 0 || !b.pr.log || log_events <= 0 || stat(b.pr.log, &st) < 0)
        return usage();
    b.pr.per_event = (double)st.st_size / (double)log_events;
    b.tid = b.tid ? b.tid : b.pr.pid;
    prctl(PR_SET_TIMERSLACK, 1UL); /* wake up on time: 1 ns of slack, not 50 us */
    b.lat[LITERAL] = calloc(MAX_QUERIES, sizeof(int64_t));
    b.lat[PARAM] = calloc(MAX_QUERIES, sizeof(int64_t));
    b.hlat = calloc(MAX_QUERIES, sizeof *b.hlat);
    b.run = calloc(MAX_QUERIES, sizeof *b.run);
    b.wait = calloc(MAX_QUERIES, sizeof *b.wait);
    if (!b.lat[LITERAL] || !b.lat[PARAM] || !b.hlat || !b.run || !b.wait)
        return 1;
    int rc = measure(&b);
    conn_close(&b.q);
    free(b.q.body);
    free(b.lat[LITERAL]);
    free(b.lat[PARAM]);
    free(b.hlat);
    free(b.run);
    free(b.wait);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc == 4 && strcmp(argv[1], "gen") == 0)
        return gen(strtoull(argv[2], NULL, 10), strtoull(argv[3], NULL, 10));
    if (argc >= 3 && strcmp(argv[1], "run") == 0)
        return run(argc - 2, argv + 2);
    return usage();
}
