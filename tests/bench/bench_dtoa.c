/*
 * bench_dtoa.c — the text of a DOUBLE: engine/dtoa.c against the library
 * way it replaces (printf's %.15g, %.16g, %.17g until strtod reads one back,
 * with ".0" after an integer), over the kinds of values a row of features
 * holds. Each set is formatted both ways (and compared: any difference is
 * printed and fails the run); the time per value is the best of 3 passes.
 *
 *   gcc -std=c11 -O2 -D_GNU_SOURCE -I. tests/bench/bench_dtoa.c engine/dtoa.c -lm
 *   ./a.out [values per set, default 1000000]
 *
 * Prints one line per set: "set NAME dtoa_ns X printf_ns Y speedup Z".
 * scripts/bench_over runs it.
 */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/dtoa.h"

/* The library way: the definition itself. */
static int by_printf(double d, char *buf)
{
    if (!isfinite(d))
        return (int)strlen(strcpy(buf, "null"));
    int p = d != 0 && fabs(d) < DBL_MIN ? 1 : 15, len = 0;
    for (; p <= 17; p++) {
        len = snprintf(buf, 40, "%.*g", p, d);
        if (strtod(buf, NULL) == d)
            break;
    }
    if (!strpbrk(buf, ".eni")) {
        memcpy(buf + len, ".0", 3);
        len += 2;
    }
    return len;
}

static uint64_t rng = 0x2545F4914F6CDD1Dull;

static uint64_t next(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/* Best of 3 passes over v[0..n) with fn: nanoseconds per value; *sum of
 * the lengths keeps the work from being optimised away. */
static double time_it(int (*fn)(double, char *), const double *v, size_t n, size_t *sum)
{
    char buf[64];
    double best = 1e30;
    for (int pass = 0; pass < 3; pass++) {
        double t0 = now();
        for (size_t i = 0; i < n; i++)
            *sum += (size_t)fn(v[i], buf);
        double t = (now() - t0) * 1e9 / (double)n;
        if (t < best)
            best = t;
    }
    return best;
}

int main(int argc, char **argv)
{
    size_t n = argc > 1 ? strtoul(argv[1], NULL, 10) : 1000000;
    double *v = malloc(n * sizeof *v);
    if (!v)
        return 1;
    static const char *const names[] = {"money", "sums", "averages", "any-bits"};
    int bad = 0;
    for (int set = 0; set < 4; set++) {
        for (size_t i = 0; i < n; i++) {
            double sum = 0;
            int k = 1 + (int)(next() % 12);
            switch (set) {
            case 0: /* an amount: two decimals */
                v[i] = (double)(next() % 100000) / 100.0;
                break;
            case 1: /* the sum of a frame of amounts, as added up */
            case 2: /* their average */
                for (int j = 0; j < k; j++)
                    sum += (double)(next() % 100000) / 100.0;
                v[i] = set == 1 ? sum : sum / k;
                break;
            default: { /* any finite double */
                uint64_t b = next();
                memcpy(&v[i], &b, sizeof b);
                if (!isfinite(v[i]))
                    v[i] = (double)b;
            }
            }
        }
        for (size_t i = 0; i < n; i++) { /* the same text both ways */
            char a[64], b[64];
            vg_dtoa_double(v[i], a);
            by_printf(v[i], b);
            if (strcmp(a, b) != 0 && bad++ < 10)
                fprintf(stderr, "differ: %a dtoa %s printf %s\n", v[i], a, b);
        }
        size_t sum = 0;
        double fast = time_it(vg_dtoa_double, v, n, &sum);
        double slow = time_it(by_printf, v, n, &sum);
        printf("set %s dtoa_ns %.1f printf_ns %.1f speedup %.1f (%zu)\n", names[set], fast, slow,
               slow / fast, sum % 10);
    }
    free(v);
    if (bad)
        fprintf(stderr, "%d values differ\n", bad);
    return bad ? 1 : 0;
}
