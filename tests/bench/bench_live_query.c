/*
 * bench_live_query.c — what one live point lookup costs the runner, in
 * process, without HTTP: the part of a POST /query that pauses the
 * pipeline (scripts/bench_live).
 *
 *     bench_live_query SQL KEYS [QUERIES] [BETWEEN]
 *
 * Compiles SQL (tests/bench/bench_live.sql) as `vigil replay` does, pushes
 * 4 * KEYS events of the benchmark's log (bench_live gen's: card i mod KEYS,
 * one millisecond apart), made in memory, through its DAG in batches of
 * 1,024 as replay does, then runs QUERIES (default 20,000) lookups of a
 * random card through vg_live_query_params, each timed alone, alternately
 * in the two forms POST /query takes:
 *     literal  SELECT * FROM card_features WHERE card_id = '<card>'
 *              (a new text each time, whose literal the engine makes a
 *              parameter: after the first, run from the statement cache)
 *     param    SELECT * FROM card_features WHERE card_id = ?  with the card
 *              (one text: compiled once, then run from the statement cache)
 * and checks every answer's card. Between two queries it pushes BETWEEN
 * more events (default 64, one chunk of a running pipeline; at 100 queries
 * a second a pipeline at full speed pushes about 30,000, which leaves the
 * CPU's caches cold) — outside the timing.
 *
 * Prints "name value" lines on stdout: per form the query's p50, p99,
 * p99.9 and max in microseconds; the lookups made, the statements compiled
 * and reused, and the events pushed. Exit 0, or 1 with a message.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/dag.h"
#include "engine/json_in.h"
#include "engine/live.h"
#include "engine/op_source.h"
#include "engine/pipeline.h"

#define START_MS 1714521600000LL /* 2024-05-01T00:00:00Z */

static double now_us(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e6 + (double)t.tv_nsec / 1e3;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

typedef struct bench {
    vg_dag *dag;
    vg_decoder *dec;
    vg_value *row;  /* one decoded event */
    uint64_t keys;  /* cards */
    uint64_t next;  /* the next event's number */
    vg_buf out;     /* drained rows, discarded */
} bench;

/* Push n more events, ending a batch every 1,024. 0, or -1 with err set. */
static int push(bench *b, uint64_t n, vg_error *err)
{
    char line[128], reason[256];
    for (uint64_t j = 0; j < n; j++, b->next++) {
        uint64_t k = b->next % b->keys;
        int len = snprintf(line, sizeof line, "{\"card_id\":\"c%07llu\",\"amount\":%.2f,\"ts\":%lld}",
                           (unsigned long long)k, (double)(k % 9973 + 1) / 4.0,
                           START_MS + (long long)b->next);
        if (vg_decoder_decode(b->dec, line, (size_t)len, b->row, vg_dag_scratch(b->dag), reason,
                              sizeof reason) != VG_DECODE_OK)
            return vg_error_set(err, VG_ERR_RUNTIME, "cannot decode %s: %s", line, reason);
        vg_dag_push(b->dag, 0, b->row);
        if (b->next % 1024 == 1023) {
            vg_dag_watermark(b->dag, vg_op_source_watermark(vg_dag_source(b->dag, 0)));
            for (uint32_t i = 0; i < vg_dag_nchannels(b->dag); i++)
                vg_buf_clear(&vg_dag_channel(b->dag, i)->buf);
            vg_dag_end_batch(b->dag);
        }
    }
    const vg_error *e = vg_dag_error(b->dag);
    if (e)
        *err = *e;
    return e ? -1 : 0;
}

/* One lookup of card k in form `param` (else literal), timed: its
 * microseconds, or -1 with err set. */
static double one_query(bench *b, vg_live *l, uint64_t k, bool param, vg_error *err)
{
    char sql[128], card[24], want[64];
    snprintf(card, sizeof card, "c%07llu", (unsigned long long)k);
    int n = param ? snprintf(sql, sizeof sql, "SELECT * FROM card_features WHERE card_id = ?")
                  : snprintf(sql, sizeof sql,
                             "SELECT * FROM card_features WHERE card_id = '%s'", card);
    vg_live_param p = {VG_T_STRING, vg_str(card, (uint32_t)strlen(card))};
    snprintf(want, sizeof want, "\"rows\":[[\"%s\",", card);
    vg_buf_clear(&b->out);
    double t0 = now_us();
    int rc = vg_live_query_params(l, sql, (size_t)n, param ? &p : NULL, param ? 1 : 0, NULL,
                                  &b->out, err);
    double took = now_us() - t0;
    if (rc < 0 || vg_buf_putc(&b->out, 0) < 0 || !strstr(b->out.p, want)) {
        if (rc == 0)
            vg_error_set(err, VG_ERR_RUNTIME, "wrong answer to %s: %s", sql, b->out.p);
        return -1;
    }
    return took;
}

static void print_form(const char *form, double *lat, int n)
{
    qsort(lat, (size_t)n, sizeof *lat, cmp_double);
    printf("%s_p50_us %.1f\n%s_p99_us %.1f\n%s_p999_us %.1f\n%s_max_us %.1f\n", form,
           lat[n / 2], form, lat[n * 99 / 100], form, lat[n * 999 / 1000], form, lat[n - 1]);
}

static int queries(bench *b, vg_live *l, int nq, uint64_t between, vg_error *err)
{
    double *lat[2] = {calloc((size_t)nq, sizeof(double)), calloc((size_t)nq, sizeof(double))};
    uint64_t seed = 88172645463325252ull;
    int n[2] = {0, 0}, rc = 0;
    if (!lat[0] || !lat[1])
        rc = vg_error_set(err, VG_ERR_NOMEM, "out of memory");
    for (int i = 0; i < nq && rc == 0; i++) {
        if ((rc = push(b, between, err)) < 0)
            break;
        seed ^= seed << 13, seed ^= seed >> 7, seed ^= seed << 17;
        bool param = i % 2;
        double took = one_query(b, l, seed % b->keys, param, err);
        if (took < 0)
            rc = -1;
        else
            lat[param][n[param]++] = took;
    }
    if (rc == 0) {
        print_form("literal", lat[0], n[0]);
        print_form("param", lat[1], n[1]);
        vg_live_counts c;
        vg_live_counts_get(l, &c);
        printf("queries %d\nbetween %llu\nlookups %llu\nscans %llu\nprepares %llu\n"
               "reuses %llu\nevents %llu\n",
               nq, (unsigned long long)between, (unsigned long long)c.lookups,
               (unsigned long long)c.scans, (unsigned long long)c.prepares,
               (unsigned long long)c.reuses, (unsigned long long)b->next);
    }
    free(lat[0]);
    free(lat[1]);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc < 3 || argc > 5) {
        fputs("usage: bench_live_query SQL KEYS [QUERIES] [BETWEEN]\n", stderr);
        return 1;
    }
    bench b = {.keys = strtoull(argv[2], NULL, 10)};
    int nq = argc >= 4 ? atoi(argv[3]) : 20000;
    uint64_t between = argc >= 5 ? strtoull(argv[4], NULL, 10) : 64;
    vg_error err;
    vg_error_clear(&err);
    vg_buf_init(&b.out, VG_MEM_IO);
    vg_pipeline *pl = vg_pipeline_load(argv[1], &err);
    vg_live *l = NULL;
    int rc = -1;
    if (pl && b.keys && nq > 1 && (b.dag = vg_dag_open(vg_pipeline_plan(pl), &err))) {
        const vg_plan_node *s = vg_pipeline_plan(pl)->sources[0];
        b.dec = vg_decoder_new(&s->schema);
        b.row = vg_calloc(VG_MEM_IO, s->schema.ncols + 1, sizeof(vg_value));
        if (!b.dec || !b.row)
            vg_error_set(&err, VG_ERR_NOMEM, "out of memory");
        else if (push(&b, 4 * b.keys, &err) == 0 && (l = vg_live_open(vg_pipeline_plan(pl), &err)))
            vg_live_attach(l, b.dag, 1), rc = queries(&b, l, nq, between, &err);
    }
    if (rc < 0)
        vg_error_print(&err, stderr);
    vg_live_close(l);
    vg_free(b.row);
    vg_decoder_free(b.dec);
    vg_dag_close(b.dag);
    vg_pipeline_free(pl);
    vg_buf_free(&b.out);
    return rc < 0 ? 1 : 0;
}
