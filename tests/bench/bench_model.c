/*
 * bench_model.c — vigil's side of scripts/bench_models: score rows one at a
 * time with the model scorer (udf/model.h) and time it.
 *
 *     bench_model MODEL ROWS [PRED]
 *
 * Loads MODEL (xgboost, JSON or UBJSON; the load is timed), reads ROWS
 * (comma-separated float64 per line, "nan" = missing; rounded to float32
 * as XGBoost does) into memory, and:
 *   - with PRED (XGBoost's predictions, one per line): checks every score
 *     against it (absolute difference <= 1e-6; and counts bit-equal floats);
 *   - latency: each vg_model_predict call timed alone with
 *     clock_gettime(CLOCK_MONOTONIC), over every row, 3 passes (the first
 *     warms the caches): p50, p99 and max of the last 2 passes (the clock's
 *     own cost, measured, is reported and not subtracted);
 *   - throughput: every row scored in a loop, repeated until 0.5 s have
 *     passed, best pass: microseconds per row and rows/s.
 * Prints "name value" lines to stdout; exit 1 when the model cannot be
 * loaded or a score differs.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/alloc.h"
#include "udf/model.h"

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Read ROWS into a new array of n rows of nf floats; NULL on a bad file. */
static float *read_rows(const char *path, uint32_t nf, size_t *n)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return NULL;
    size_t cap = 1024, rows = 0;
    float *x = malloc(cap * nf * sizeof *x);
    char *line = NULL;
    size_t lcap = 0;
    while (x && getline(&line, &lcap, f) > 0) {
        if (rows == cap) {
            cap *= 2;
            float *nx = realloc(x, cap * nf * sizeof *x);
            if (!nx) {
                free(x);
                x = NULL;
                break;
            }
            x = nx;
        }
        char *p = line;
        for (uint32_t i = 0; i < nf; i++) {
            x[rows * nf + i] = (float)strtod(p, &p);
            if (*p == ',')
                p++;
        }
        rows++;
    }
    free(line);
    fclose(f);
    *n = rows;
    return x;
}

/* Compare with XGBoost's predictions; the number of rows that differ (-1: no file). */
static long check(const vg_model *m, const float *x, size_t n, const char *pred)
{
    FILE *f = fopen(pred, "r");
    if (!f)
        return -1;
    uint32_t nf = vg_model_nfeatures(m);
    long bad = 0, equal = 0;
    double worst = 0, out[64];
    for (size_t r = 0; r < n; r++) {
        double want;
        if (fscanf(f, "%lf", &want) != 1) {
            bad += (long)(n - r);
            break;
        }
        vg_model_predict(m, x + r * nf, out);
        double d = fabs(out[0] - want);
        worst = d > worst ? d : worst;
        bad += !(d <= 1e-6);
        equal += (float)out[0] == (float)want;
    }
    fclose(f);
    printf("check_rows %zu\ncheck_differ %ld\ncheck_bit_equal %ld\ncheck_max_abs_diff %.3g\n", n,
           bad, equal, worst);
    return bad;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: bench_model MODEL ROWS [PRED]\n");
        return 2;
    }
    vg_error err;
    vg_error_clear(&err);
    double t0 = now_ns();
    vg_model *m = vg_model_load(VG_MODEL_XGBOOST, argv[1], &err);
    double load_ms = (now_ns() - t0) / 1e6;
    if (!m) {
        fprintf(stderr, "bench_model: %s\n", err.msg);
        return 1;
    }
    uint32_t nf = vg_model_nfeatures(m);
    size_t n;
    float *x = read_rows(argv[2], nf, &n);
    if (!x || n == 0 || vg_model_noutputs(m) > 64) {
        fprintf(stderr, "bench_model: cannot read rows from %s\n", argv[2]);
        return 1;
    }
    printf("model %s\nload_ms %.1f\nmodel_bytes %zu\nrows %zu\n", vg_model_describe(m), load_ms,
           vg_model_bytes(m), n);
    long bad = argc > 3 ? check(m, x, n, argv[3]) : 0;

    /* latency: three passes, the last two kept */
    double *lat = malloc(2 * n * sizeof *lat), out[64], sink = 0;
    double clock_cost = now_ns();
    for (int i = 0; i < 1000; i++)
        sink += now_ns();
    clock_cost = (now_ns() - clock_cost) / 1001;
    for (int pass = 0; pass < 3; pass++)
        for (size_t r = 0; r < n; r++) {
            double a = now_ns();
            vg_model_predict(m, x + r * nf, out);
            double b = now_ns();
            sink += out[0];
            if (pass > 0)
                lat[(pass - 1) * n + r] = b - a;
        }
    qsort(lat, 2 * n, sizeof *lat, cmp_double);
    printf("clock_ns %.1f\np50_us %.3f\np99_us %.3f\nmax_us %.3f\n", clock_cost,
           lat[n] / 1e3, lat[(size_t)(2 * n * 0.99)] / 1e3, lat[2 * n - 1] / 1e3);

    /* throughput: passes over every row until 0.5 s, best pass */
    double best = 0, start = now_ns();
    while (now_ns() - start < 5e8 || best == 0) {
        double a = now_ns();
        for (size_t r = 0; r < n; r++) {
            vg_model_predict(m, x + r * nf, out);
            sink += out[0];
        }
        double t = now_ns() - a;
        best = best == 0 || t < best ? t : best;
    }
    printf("us_per_row %.4f\nrows_per_s %.0f\n", best / 1e3 / n, n / (best / 1e9));
    fprintf(stderr, "(checksum %g)\n", sink);
    free(lat);
    free(x);
    vg_model_free(m);
    return bad > 0;
}
