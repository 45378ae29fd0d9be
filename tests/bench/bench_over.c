/*
 * bench_over.c — the OVER benchmark's in-process harness: per-event latency
 * and the memory of OVER state.
 *
 *     bench_over [--no-clock] [--batch N] [--output FILE] SQL LOG
 *
 * Loads LOG (JSON lines) into memory, compiles SQL (a .sql file or a
 * pipeline, one stream) with vg_pipeline_load as `vigil replay` does, and
 * runs it as engine/replay.c does: decode a line, push it, and after every
 * batch of N lines (default 1024, replay's default) advance the watermark,
 * drain the channels into a sink buffer and end the batch; the sink buffer
 * is discarded (--output FILE writes it instead, to compare with replay's
 * output). At the end the watermark goes to +infinity.
 *
 * Each event is timed from before its decode to after vg_dag_push returns,
 * by which time its output row has been encoded into its channel (OVER
 * emits on arrival), with clock_gettime(CLOCK_MONOTONIC), into a
 * log-linear histogram (64 sub-buckets per power of two: quantiles are
 * reported as their bucket's upper edge, at most 1.6% high). The clock's
 * own cost is measured and reported, not subtracted. The per-batch work
 * (watermark, eviction, drain) is timed apart, per batch. Every 10,000
 * events (outside the timed spans) the harness reads vg_op_over_stats_get
 * of every OVER operator and keeps the figures of the moment when their
 * buffered rows summed highest (also read at the end of input, before the
 * last watermark empties them).
 *
 * The time spent sampling is left out of loop_seconds (and reported).
 *
 * --no-clock times the whole loop with two clock reads and no sampling:
 * events/s without the timers' overhead.
 *
 * Prints "name value" lines to stderr (loop_seconds first, which
 * scripts/bench_over reads, as scripts/bench does); exit 0, or 1 with a
 * message when the pipeline cannot be loaded or run.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/dag.h"
#include "engine/json_in.h"
#include "engine/op_over.h"
#include "engine/op_source.h"
#include "engine/pipeline.h"
#include "tests/bench/bench_lines.h"

#define SAMPLE_EVERY 10000 /* events between two reads of the OVER operators' memory */
#define MAX_OVER     64    /* OVER operators a plan may have here */

/* ---- the latency histogram ---- */

/* Values below 128 ns have a bucket each; above, 64 buckets per power of two. */
#define HIST_SUB     64
#define HIST_BUCKETS (128 + 57 * HIST_SUB)

/* Counts of durations in nanoseconds. */
typedef struct hist {
    uint64_t n;                    /* durations added */
    uint64_t max;                  /* the largest, exactly */
    uint64_t counts[HIST_BUCKETS]; /* per bucket */
} hist;

static uint32_t hist_index(uint64_t v)
{
    if (v < 128)
        return (uint32_t)v;
    int e = 63 - __builtin_clzll(v); /* >= 7 */
    uint64_t idx = 128 + (uint64_t)(e - 7) * HIST_SUB + ((v >> (e - 6)) - HIST_SUB);
    return idx < HIST_BUCKETS ? (uint32_t)idx : HIST_BUCKETS - 1;
}

/* The largest value that falls in bucket i. */
static uint64_t hist_upper(uint32_t i)
{
    if (i < 128)
        return i;
    uint32_t e = 7 + (i - 128) / HIST_SUB, m = (i - 128) % HIST_SUB;
    return (((uint64_t)HIST_SUB + m + 1) << (e - 6)) - 1;
}

static void hist_add(hist *h, uint64_t v)
{
    h->n++;
    h->counts[hist_index(v)]++;
    if (v > h->max)
        h->max = v;
}

/* The value at quantile q (0 < q <= 1): the upper edge of the bucket that
 * holds it, but never above the exact maximum. */
static uint64_t hist_quantile(const hist *h, double q)
{
    uint64_t rank = (uint64_t)(q * (double)h->n + 0.999999), seen = 0;
    if (rank == 0)
        rank = 1;
    for (uint32_t i = 0; i < HIST_BUCKETS; i++) {
        seen += h->counts[i];
        if (seen >= rank)
            return hist_upper(i) < h->max ? hist_upper(i) : h->max;
    }
    return h->max;
}

static inline uint64_t now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

/* The median cost of one clock read, in nanoseconds. */
static double timer_cost_ns(void)
{
    enum { REPS = 101, READS = 1000 };
    double best[REPS];
    for (int r = 0; r < REPS; r++) {
        uint64_t t0 = now_ns(), t = t0;
        for (int k = 0; k < READS; k++)
            t = now_ns();
        best[r] = (double)(t - t0) / READS;
    }
    for (int i = 1; i < REPS; i++) /* insertion sort: 101 values */
        for (int j = i; j > 0 && best[j] < best[j - 1]; j--) {
            double x = best[j];
            best[j] = best[j - 1];
            best[j - 1] = x;
        }
    return best[REPS / 2];
}

/* ---- the run ---- */

/* One OVER operator and the figures kept for it. */
typedef struct over_op {
    vg_op *op;                /* owned by the DAG */
    const vg_plan_node *node; /* its plan node */
    vg_op_over_stats peak;    /* its memory at the peak moment */
} over_op;

/* Everything one run holds. */
typedef struct bench {
    const char *buf, *end; /* the log in memory */
    const char *p;         /* next line */
    uint32_t batch;        /* lines per batch */
    bool clocked;          /* time each event and batch, sample memory */
    FILE *output;          /* where the drained rows go, or NULL: discarded */
    vg_dag *dag;
    vg_decoder *dec;
    vg_value *row; /* the decoded row */
    int32_t tcol;  /* the event-time column */
    vg_buf sink;   /* drained rows (then discarded) */
    uint64_t events, dead, late, out_bytes;
    uint32_t nover;
    over_op over[MAX_OVER];
    uint64_t peak_rows;  /* buffered rows of every OVER operator at the peak */
    uint64_t peak_event; /* events pushed at that moment */
    uint64_t sample_ns;  /* time spent reading the memory figures (not the engine's) */
    hist *lat;           /* per event: decode to emit */
    hist *batch_lat;     /* per batch: watermark, eviction, drain */
} bench;

static void count_late(void *arg, const vg_op *op, const vg_value *row, int64_t ts)
{
    (void)op;
    (void)row;
    (void)ts;
    ((bench *)arg)->late++;
}

/* Read every OVER operator's memory; keep it if its rows are the most yet. */
static void sample_state(bench *b)
{
    uint64_t t0 = now_ns();
    vg_op_over_stats now[MAX_OVER];
    uint64_t rows = 0;
    for (uint32_t i = 0; i < b->nover; i++) {
        vg_op_over_stats_get(b->over[i].op, &now[i]);
        rows += now[i].rows;
    }
    if (!b->peak_event || rows > b->peak_rows) {
        b->peak_rows = rows;
        b->peak_event = b->events;
        for (uint32_t i = 0; i < b->nover; i++)
            b->over[i].peak = now[i];
    }
    b->sample_ns += now_ns() - t0;
}

/* Decode one line and push it; 0, or -1 when out of memory. */
static int push_line(bench *b, const char *line, size_t len)
{
    char reason[256];
    int rc =
        vg_decoder_decode(b->dec, line, len, b->row, vg_dag_scratch(b->dag), reason, sizeof reason);
    if (rc == VG_DECODE_NOMEM)
        return -1;
    if (rc == VG_DECODE_OK && (b->tcol < 0 || !b->row[b->tcol].null))
        vg_dag_push(b->dag, 0, b->row);
    else
        b->dead++;
    return 0;
}

static bool is_blank(const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != ' ' && p[i] != '\t' && p[i] != '\r')
            return false;
    return true;
}

/* Up to b->batch lines; returns how many were read, or -1. */
static int64_t read_batch(bench *b)
{
    const char *line;
    size_t len;
    int64_t k = 0;
    while (k < b->batch && bench_next_line(&b->p, b->end, &line, &len)) {
        k++;
        if (is_blank(line, len))
            continue;
        b->events++;
        uint64_t t0 = b->clocked ? now_ns() : 0;
        if (push_line(b, line, len) < 0)
            return -1;
        if (b->clocked) {
            hist_add(b->lat, now_ns() - t0);
            if (b->events % SAMPLE_EVERY == 0)
                sample_state(b);
        }
    }
    return k;
}

/* The channels' rows into the sink buffer (then discarded or written),
 * and the end of the batch. 0, or -1 with err set. */
static int drain(bench *b, vg_error *err)
{
    const vg_error *e = vg_dag_error(b->dag);
    if (e) {
        *err = *e;
        return -1;
    }
    for (uint32_t i = 0; i < vg_dag_nchannels(b->dag); i++) {
        vg_buf *cb = &vg_dag_channel(b->dag, i)->buf;
        if (cb->len && vg_buf_append(&b->sink, cb->p, cb->len) < 0)
            return vg_error_set(err, VG_ERR_NOMEM, "out of memory");
        vg_buf_clear(cb);
    }
    b->out_bytes += b->sink.len;
    if (b->output && fwrite(b->sink.p, 1, b->sink.len, b->output) != b->sink.len)
        return vg_error_set(err, VG_ERR_IO, "cannot write the output");
    vg_buf_clear(&b->sink);
    vg_dag_end_batch(b->dag);
    return 0;
}

static int end_batch(bench *b, int64_t wm, vg_error *err)
{
    uint64_t t0 = b->clocked ? now_ns() : 0;
    vg_dag_watermark(b->dag, wm);
    int rc = drain(b, err);
    if (b->clocked)
        hist_add(b->batch_lat, now_ns() - t0);
    return rc;
}

/* The whole log; returns the loop's seconds less the time spent sampling
 * memory, or -1 with err set. */
static double run(bench *b, vg_error *err)
{
    vg_op *src = vg_dag_source(b->dag, 0);
    double t0 = bench_now();
    for (;;) {
        int64_t k = read_batch(b);
        if (k < 0)
            return vg_error_set(err, VG_ERR_NOMEM, "out of memory");
        if (k == 0) {
            if (b->clocked)
                sample_state(b); /* the end of input, before the last watermark */
            break;
        }
        if (end_batch(b, vg_op_source_watermark(src), err) < 0)
            return -1;
    }
    if (end_batch(b, VG_WM_MAX, err) < 0)
        return -1;
    return bench_now() - t0 - (double)b->sample_ns / 1e9;
}

/* ---- set-up and report ---- */

static int find_over(bench *b, const vg_plan *plan, vg_error *err)
{
    for (uint32_t i = 0; i < plan->nnodes; i++) {
        const vg_plan_node *n = plan->nodes[i];
        if (n->kind != VG_PLAN_OVER)
            continue;
        if (b->nover == MAX_OVER)
            return vg_error_set(err, VG_ERR_USAGE, "more than %d OVER operators", MAX_OVER);
        b->over[b->nover].op = vg_dag_op(b->dag, n->id);
        b->over[b->nover++].node = n;
    }
    return 0;
}

static int open_run(bench *b, const vg_plan *plan, vg_error *err)
{
    if (plan->nsources != 1)
        return vg_error_set(err, VG_ERR_USAGE, "the pipeline must have one stream, not %u",
                            plan->nsources);
    b->dag = vg_dag_open(plan, err);
    if (!b->dag)
        return -1;
    vg_dag_on_late(b->dag, count_late, b);
    const vg_plan_node *s = plan->sources[0];
    b->tcol = s->u.source.time_col;
    b->dec = vg_decoder_new(&s->schema);
    b->row = vg_calloc(VG_MEM_IO, s->schema.ncols + 1, sizeof(vg_value));
    if (!b->dec || !b->row)
        return vg_error_set(err, VG_ERR_NOMEM, "out of memory");
    if (b->clocked) {
        b->lat = vg_calloc(VG_MEM_OTHER, 1, sizeof(hist));
        b->batch_lat = vg_calloc(VG_MEM_OTHER, 1, sizeof(hist));
        if (!b->lat || !b->batch_lat)
            return vg_error_set(err, VG_ERR_NOMEM, "out of memory");
    }
    return find_over(b, plan, err);
}

static void close_run(bench *b)
{
    vg_free(b->lat);
    vg_free(b->batch_lat);
    vg_free(b->row);
    vg_decoder_free(b->dec);
    vg_dag_close(b->dag);
    vg_buf_free(&b->sink);
}

static double us(uint64_t ns) { return (double)ns / 1000.0; }

static void report_latency(const bench *b, double timer)
{
    const hist *h = b->lat, *bh = b->batch_lat;
    fprintf(stderr, "timer_ns %.1f\nsample_seconds %.3f\n", timer, (double)b->sample_ns / 1e9);
    fprintf(stderr, "p50_us %.3f\np99_us %.3f\np999_us %.3f\nmax_us %.3f\n",
            us(hist_quantile(h, 0.50)), us(hist_quantile(h, 0.99)), us(hist_quantile(h, 0.999)),
            us(h->max));
    fprintf(stderr, "batches %llu\nbatch_p50_us %.1f\nbatch_p99_us %.1f\nbatch_max_us %.1f\n",
            (unsigned long long)bh->n, us(hist_quantile(bh, 0.50)), us(hist_quantile(bh, 0.99)),
            us(bh->max));
}

static double per(size_t bytes, uint64_t n) { return n ? (double)bytes / (double)n : 0.0; }

/* A frame as one word: "1h", "90s", "250ms", "5rows", "unbounded". */
static void frame_word(const struct vg_plan_frame *f, char *out, size_t n)
{
    static const struct {
        int64_t ms;
        const char *unit;
    } units[] = {{86400000, "d"}, {3600000, "h"}, {60000, "min"}, {1000, "s"}, {1, "ms"}};
    int64_t p = f->preceding;
    if (p < 0) {
        snprintf(out, n, "unbounded");
        return;
    }
    if (f->frame == VG_FRAME_ROWS) {
        snprintf(out, n, "%lldrows", (long long)p);
        return;
    }
    size_t u = 0;
    while (units[u].ms > 1 && (p == 0 || p % units[u].ms != 0))
        u++;
    if (units[u].ms == 86400000) /* days as hours: "24h", as the SQL says */
        u++;
    snprintf(out, n, "%lld%s", (long long)(p / units[u].ms), units[u].unit);
}

/* "KEYS FRAMES": the PARTITION BY columns and the frames, comma-separated. */
static void describe(const vg_plan_node *n)
{
    const vg_schema *in = &n->inputs[0]->schema;
    for (uint32_t k = 0; k < n->u.over.nkeys; k++)
        fprintf(stderr, "%s%s", k ? "," : "", in->cols[n->u.over.keys[k]].name);
    fprintf(stderr, "%s frames ", n->u.over.nkeys ? "" : "-");
    for (uint32_t f = 0; f < n->u.over.nframes; f++) {
        char w[40];
        frame_word(&n->u.over.frames[f], w, sizeof w);
        fprintf(stderr, "%s%s", f ? "," : "", w);
    }
}

/* One line per OVER operator: "over I KEYS frames FRAMES aggs N keys N rows N
 * bytes_per_key X bytes_per_row Y", then the totals. */
static void report_state(const bench *b)
{
    uint64_t keys = 0, rows = 0, most = 0;
    size_t kb = 0, rb = 0;
    for (uint32_t i = 0; i < b->nover; i++) {
        const over_op *o = &b->over[i];
        fprintf(stderr, "over %u ", i + 1);
        describe(o->node);
        fprintf(stderr, " aggs %u keys %llu rows %llu bytes_per_key %.1f bytes_per_row %.1f\n",
                o->node->u.over.naggs, (unsigned long long)o->peak.partitions,
                (unsigned long long)o->peak.rows, per(o->peak.key_bytes, o->peak.partitions),
                per(o->peak.row_bytes, o->peak.rows));
        keys += o->peak.partitions;
        rows += o->peak.rows;
        kb += o->peak.key_bytes;
        rb += o->peak.row_bytes;
        if (o->peak.rows > most)
            most = o->peak.rows;
    }
    fprintf(stderr, "state_at_event %llu\nover_operators %u\nover_keys %llu\nover_rows %llu\n",
            (unsigned long long)b->peak_event, b->nover, (unsigned long long)keys,
            (unsigned long long)rows);
    fprintf(stderr, "over_key_bytes %zu\nover_row_bytes %zu\n", kb, rb);
    fprintf(stderr, "bytes_per_key %.1f\nbytes_per_row %.1f\n", per(kb, keys), per(rb, rows));
    /* each operator buffers its own record of an event: the row memory of
     * them all over the events of the largest buffer (an operator whose
     * frames cover every event, when there is one) */
    fprintf(stderr, "largest_buffer_rows %llu\nrow_bytes_per_event_all %.1f\n",
            (unsigned long long)most, per(rb, most));
}

static void report(const bench *b, double secs, double timer)
{
    fprintf(stderr, "loop_seconds %.6f\n", secs);
    fprintf(stderr, "events %llu\ndead %llu\nlate %llu\noutput_bytes %llu\n",
            (unsigned long long)b->events, (unsigned long long)b->dead, (unsigned long long)b->late,
            (unsigned long long)b->out_bytes);
    fprintf(stderr, "events_per_second %.0f\n", secs > 0 ? (double)b->events / secs : 0.0);
    if (!b->clocked)
        return;
    report_latency(b, timer);
    report_state(b);
}

static int usage(void)
{
    fprintf(stderr, "usage: bench_over [--no-clock] [--batch N] [--output FILE] SQL LOG\n");
    return 2;
}

/* Options into b; the SQL and LOG paths into *sql and *log. 0 or -1. */
static int parse_args(int argc, char **argv, bench *b, const char **sql, const char **log,
                      const char **out)
{
    int i = 1;
    for (; i < argc && argv[i][0] == '-'; i++) {
        if (strcmp(argv[i], "--no-clock") == 0) {
            b->clocked = false;
        } else if (strcmp(argv[i], "--batch") == 0 && i + 1 < argc) {
            long n = atol(argv[++i]);
            if (n <= 0 || n > 1000000)
                return -1;
            b->batch = (uint32_t)n;
        } else if (strcmp(argv[i], "--output") == 0 && i + 1 < argc) {
            *out = argv[++i];
        } else {
            return -1;
        }
    }
    if (argc - i != 2)
        return -1;
    *sql = argv[i];
    *log = argv[i + 1];
    return 0;
}

static int bench_main(bench *b, const char *sql, const char *out_path, vg_error *err)
{
    vg_pipeline *pl = vg_pipeline_load(sql, err);
    if (!pl)
        return -1;
    int rc = -1;
    if (out_path && !(b->output = fopen(out_path, "w"))) {
        vg_error_set(err, VG_ERR_IO, "cannot create '%s'", out_path);
    } else if (open_run(b, vg_pipeline_plan(pl), err) == 0) {
        double timer = b->clocked ? timer_cost_ns() : 0;
        double secs = run(b, err);
        if (secs >= 0) {
            report(b, secs, timer);
            rc = 0;
        }
    }
    if (b->output && fclose(b->output) != 0 && rc == 0)
        rc = vg_error_set(err, VG_ERR_IO, "cannot write '%s'", out_path);
    close_run(b);
    vg_pipeline_free(pl);
    return rc;
}

int main(int argc, char **argv)
{
    bench b = {.batch = 1024, .clocked = true};
    const char *sql, *log, *out = NULL;
    if (parse_args(argc, argv, &b, &sql, &log, &out) < 0)
        return usage();
    size_t n;
    char *buf = bench_read_file(log, &n, 1);
    b.buf = b.p = buf;
    b.end = buf + n;
    vg_buf_init(&b.sink, VG_MEM_IO);
    vg_error err;
    vg_error_clear(&err);
    int rc = bench_main(&b, sql, out, &err);
    free(buf); /* bench_read_file's */
    if (rc < 0) {
        vg_error_print(&err, stderr);
        return 1;
    }
    return 0;
}
