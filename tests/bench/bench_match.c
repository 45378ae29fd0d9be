/*
 * bench_match.c — the MATCH_RECOGNIZE benchmark's in-process harness: the
 * loop's speed and the memory of the pattern state.
 *
 *     bench_match [--batch N] SQL LOG
 *
 * Loads LOG (JSON lines) into memory, compiles SQL (a .sql file or a
 * pipeline with one stream) with vg_pipeline_load as `vigil replay` does,
 * and runs it as engine/replay.c does: decode a line, push it, and after
 * every batch of N lines (default 1024, replay's default) advance the
 * watermark, drain the output (discarded) and end the batch; at the end the
 * watermark goes to +infinity.
 *
 * Every 10,000 events (the time it takes is left out of loop_seconds) the
 * harness reads the state of every MATCH_RECOGNIZE operator through its
 * iterate: per partition its rows held, live threads (open partial
 * matches) and bytes (engine/match_snap.c), and keeps the moment with the
 * most live threads. Bytes per open partial match is the bytes of the
 * partitions that have one over their live threads (their entry, matcher
 * run and rows included: what a card with an open attempt costs, per
 * attempt); bytes per idle partition, those of the others over their
 * number. The bytes of operator state in use (vg_mem_in_use(VG_MEM_STATE))
 * are reported too.
 *
 * Prints "name value" lines to stderr (loop_seconds first, which
 * scripts/bench_match reads); exit 0, or 1 with a message.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/dag.h"
#include "engine/json_in.h"
#include "engine/op_source.h"
#include "engine/pipeline.h"
#include "tests/bench/bench_lines.h"

#define SAMPLE_EVERY 10000

/* What one read of the pattern state found. */
typedef struct sample {
    uint64_t partitions, rows, threads, matches; /* summed over the operators' partitions */
    uint64_t open, open_bytes;                   /* partitions with live threads; their bytes */
    uint64_t idle_bytes;                         /* the other partitions' bytes */
    size_t bytes;                                /* operator state in use */
    uint64_t event;                              /* events pushed when it was read */
} sample;

typedef struct bench {
    const char *p, *end; /* the log not read yet */
    uint32_t batch;      /* lines per batch */
    vg_dag *dag;
    const vg_plan *plan;
    vg_decoder *dec;
    vg_value *row;   /* the decoded row */
    int32_t tcol;    /* the event-time column */
    uint64_t events, dead, late, out_bytes;
    sample peak;     /* the read with the most live threads */
    double sample_s; /* time spent reading the state */
} bench;

static void count_late(void *arg, const vg_op *op, const vg_value *row, int64_t ts)
{
    (void)op, (void)row, (void)ts;
    ((bench *)arg)->late++;
}

/* iterate's row per partition: keys, then rows, threads, matches, bytes
 * (engine/match_snap.c). */
typedef struct visit {
    sample *s;
    uint32_t nkeys;
} visit;

static int on_part(void *arg, const vg_value *row)
{
    visit *v = arg;
    v->s->partitions++;
    v->s->rows += (uint64_t)row[v->nkeys].u.i;
    v->s->threads += (uint64_t)row[v->nkeys + 1].u.i;
    v->s->matches += (uint64_t)row[v->nkeys + 2].u.i;
    uint64_t bytes = (uint64_t)row[v->nkeys + 3].u.i;
    if (row[v->nkeys + 1].u.i > 0) {
        v->s->open++;
        v->s->open_bytes += bytes;
    } else {
        v->s->idle_bytes += bytes;
    }
    return 0;
}

static void sample_state(bench *b)
{
    double t0 = bench_now();
    sample s = {.bytes = vg_mem_in_use(VG_MEM_STATE), .event = b->events};
    for (uint32_t i = 0; i < b->plan->nnodes; i++) {
        const vg_plan_node *n = b->plan->nodes[i];
        if (n->kind != VG_PLAN_MATCH)
            continue;
        visit v = {&s, n->u.match->nkeys};
        vg_op *op = vg_dag_op(b->dag, i);
        op->kind->iterate(op, on_part, &v);
    }
    if (!b->peak.event || s.threads > b->peak.threads)
        b->peak = s;
    b->sample_s += bench_now() - t0;
}

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

/* Up to b->batch lines; how many were read, or -1 (out of memory). */
static int64_t read_batch(bench *b)
{
    const char *line;
    size_t len;
    int64_t k = 0;
    while (k < b->batch && bench_next_line(&b->p, b->end, &line, &len)) {
        k++;
        if (len == 0)
            continue;
        b->events++;
        if (push_line(b, line, len) < 0)
            return -1;
        if (b->events % SAMPLE_EVERY == 0)
            sample_state(b);
    }
    return k;
}

/* Advance the watermark, discard the output, end the batch. */
static int end_batch(bench *b, int64_t wm, vg_error *err)
{
    vg_dag_watermark(b->dag, wm);
    const vg_error *e = vg_dag_error(b->dag);
    if (e) {
        *err = *e;
        return -1;
    }
    for (uint32_t i = 0; i < vg_dag_nchannels(b->dag); i++) {
        vg_buf *cb = &vg_dag_channel(b->dag, i)->buf;
        b->out_bytes += cb->len;
        vg_buf_clear(cb);
    }
    vg_dag_end_batch(b->dag);
    return 0;
}

static double run(bench *b, vg_error *err)
{
    vg_op *src = vg_dag_source(b->dag, 0);
    double t0 = bench_now();
    for (;;) {
        int64_t k = read_batch(b);
        if (k < 0)
            return vg_error_set(err, VG_ERR_NOMEM, "out of memory");
        if (k == 0)
            break;
        if (end_batch(b, vg_op_source_watermark(src), err) < 0)
            return -1;
    }
    sample_state(b); /* the end of input, before the last watermark */
    if (end_batch(b, VG_WM_MAX, err) < 0)
        return -1;
    return bench_now() - t0 - b->sample_s;
}

static double per(double bytes, uint64_t n) { return n ? bytes / (double)n : 0.0; }

static void report(const bench *b, double secs)
{
    const sample *s = &b->peak;
    fprintf(stderr, "loop_seconds %.6f\n", secs);
    fprintf(stderr, "events %llu\n", (unsigned long long)b->events);
    fprintf(stderr, "events_per_second %.0f\n", secs > 0 ? (double)b->events / secs : 0.0);
    fprintf(stderr, "dead %llu\nlate %llu\n", (unsigned long long)b->dead,
            (unsigned long long)b->late);
    fprintf(stderr, "output_bytes %llu\n", (unsigned long long)b->out_bytes);
    fprintf(stderr, "sample_seconds %.6f\n", b->sample_s);
    fprintf(stderr, "peak_at_event %llu\n", (unsigned long long)s->event);
    fprintf(stderr, "peak_partitions %llu\n", (unsigned long long)s->partitions);
    fprintf(stderr, "peak_rows_held %llu\n", (unsigned long long)s->rows);
    fprintf(stderr, "peak_threads %llu\n", (unsigned long long)s->threads);
    fprintf(stderr, "peak_open_partitions %llu\n", (unsigned long long)s->open);
    fprintf(stderr, "peak_state_bytes %zu\n", s->bytes);
    fprintf(stderr, "bytes_per_partial_match %.1f\n", per((double)s->open_bytes, s->threads));
    fprintf(stderr, "bytes_per_idle_partition %.1f\n",
            per((double)s->idle_bytes, s->partitions - s->open));
}

static int open_run(bench *b, const vg_plan *plan, vg_error *err)
{
    if (plan->nsources != 1)
        return vg_error_set(err, VG_ERR_USAGE, "the pipeline must have one stream, not %u",
                            plan->nsources);
    b->plan = plan;
    if (!(b->dag = vg_dag_open(plan, err)))
        return -1;
    vg_dag_on_late(b->dag, count_late, b);
    const vg_plan_node *s = plan->sources[0];
    b->tcol = s->u.source.time_col;
    b->dec = vg_decoder_new(&s->schema);
    b->row = vg_calloc(VG_MEM_IO, s->schema.ncols + 1, sizeof(vg_value));
    return b->dec && b->row ? 0 : vg_error_set(err, VG_ERR_NOMEM, "out of memory");
}

static int bench_main(bench *b, const char *sql, vg_error *err)
{
    vg_pipeline *pl = vg_pipeline_load(sql, err);
    if (!pl)
        return -1;
    int rc = -1;
    if (open_run(b, vg_pipeline_plan(pl), err) == 0) {
        double secs = run(b, err);
        if (secs >= 0) {
            report(b, secs);
            rc = 0;
        }
    }
    vg_free(b->row);
    vg_decoder_free(b->dec);
    vg_dag_close(b->dag);
    vg_pipeline_free(pl);
    return rc;
}

int main(int argc, char **argv)
{
    bench b = {.batch = 1024};
    int i = 1;
    if (argc > 2 && strcmp(argv[1], "--batch") == 0) {
        b.batch = (uint32_t)strtoul(argv[2], NULL, 10);
        i = 3;
    }
    if (argc - i != 2 || b.batch == 0) {
        fprintf(stderr, "usage: bench_match [--batch N] SQL LOG\n");
        return 2;
    }
    size_t n;
    char *buf = bench_read_file(argv[i + 1], &n, 1);
    b.p = buf;
    b.end = buf + n;
    vg_error err;
    vg_error_clear(&err);
    int rc = bench_main(&b, argv[i], &err);
    free(buf);
    if (rc < 0) {
        vg_error_print(&err, stderr);
        return 1;
    }
    return 0;
}
