/*
 * bench_rules.c — how long a compiled ruleset takes to decide one event.
 *
 * Rules of the shapes fraud analysts write (thresholds on features, a
 * country or merchant category, a score band, combinations with AND/OR,
 * IN lists, BETWEEN, IS NULL checks) over a feature row like the one
 * pipelines/payments scores, with thresholds drawn so that a minority
 * of events (about 15%) match at least one rule. The rows (65,536
 * of them, some features NULL) are generated up front; the loop calls
 * vg_ruleset_apply for each, resetting the scratch arena every 1,024 rows
 * as the operator does per batch.
 *
 *   bench_rules [--rules N] [--events N] [--stress]
 *
 * --stress uses thresholds every event passes, so that every rule matches
 * (the most work: all conditions true, every id joined). Prints to stderr,
 * one "key value" per line: rules, events, ns_per_event (the whole loop's
 * CPU time per event), wall_ns_per_event (its wall time),
 * p50_ns, p99_ns (one clock pair per event, in a second pass), and
 * match_rate / matched_per_event.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/alloc.h"
#include "engine/rules.h"

#define POOL  65536
#define BATCH 1024

static vg_column cols[] = {
    {"amount", VG_T_DOUBLE},           {"card_txn_1h", VG_T_BIGINT},
    {"card_amount_1h", VG_T_DOUBLE},   {"card_merchants_24h", VG_T_BIGINT},
    {"device_txn_1h", VG_T_BIGINT},    {"country", VG_T_STRING},
    {"merchant_category", VG_T_STRING}, {"score", VG_T_DOUBLE},
    {"status", VG_T_STRING},           {"new_device", VG_T_BOOL},
};
static const vg_schema schema = {sizeof cols / sizeof cols[0], cols};

static uint64_t rng = 0x9E3779B97F4A7C15u;
static uint64_t next(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}
static double unit(void) { return (double)(next() >> 11) / 9007199254740992.0; }

static const char *const countries[] = {"NL", "DE", "FR", "US", "GB", "NG", "BR", "IN"};
static const char *const categories[] = {"grocery", "travel", "gaming", "crypto", "fashion",
                                         "electronics"};
static const char *const statuses[] = {"captured", "failed", "pending"};
#define PICK(a) (a)[next() % (sizeof(a) / sizeof((a)[0]))]

/* Rule i's condition into buf: one of the shapes, thresholds from i (high
 * enough that few events match, or, stress, low enough that all do). */
static void condition(int i, bool stress, char *buf, size_t size)
{
    double k = stress ? 0 : 1;
    int t = i % 10;
    switch (t) {
    case 0:
        snprintf(buf, size, "card_txn_1h > %d AND amount > %.0f", (int)(k * (8 + i % 7)) - 1,
                 k * (400 + 10 * i) - 1);
        break;
    case 1:
        snprintf(buf, size, "country IN ('NG', 'BR', '%s') AND amount > %.0f",
                 stress ? "NL" : "IN", k * (900 + 7 * i) - 1);
        break;
    case 2:
        snprintf(buf, size, "score > %.3f", stress ? -1.0 : 0.97 + 0.0002 * i);
        break;
    case 3:
        snprintf(buf, size, "card_merchants_24h >= %d OR device_txn_1h > %d",
                 (int)(k * (12 + i % 5)), (int)(k * (15 + i % 4)) - 1);
        break;
    case 4:
        snprintf(buf, size, "merchant_category = '%s' AND score BETWEEN %.2f AND 1.5",
                 stress ? "crypto" : "gaming", stress ? -1.0 : 0.85);
        if (stress)
            snprintf(buf, size, "merchant_category IS NOT NULL AND score BETWEEN -1 AND 1.5");
        break;
    case 5:
        snprintf(buf, size, "new_device AND amount > %.0f", k * (600 + 5 * i) - 1);
        if (stress)
            snprintf(buf, size, "new_device IS NOT NULL AND amount > -1");
        break;
    case 6:
        snprintf(buf, size, "card_amount_1h > %.0f AND card_txn_1h > %d", k * (3000 + 20 * i) - 1,
                 (int)(k * 5) - 1);
        break;
    case 7:
        snprintf(buf, size, "status = 'failed' AND card_txn_1h >= %d", (int)(k * (6 + i % 3)));
        if (stress)
            snprintf(buf, size, "status <> 'x' AND card_txn_1h >= 0");
        break;
    case 8:
        snprintf(buf, size, "amount > %.0f AND (country <> 'NL' OR score > %.2f)",
                 k * (1500 + 3 * i) - 1, stress ? -1.0 : 0.9);
        break;
    default:
        snprintf(buf, size, "score IS NULL AND amount > %.0f", k * (2000 + i) - 1);
        if (stress)
            snprintf(buf, size, "score IS NOT NULL OR amount > -1");
        break;
    }
}

static void make_row(vg_value *row)
{
    double amount = unit() < 0.9 ? 5 + unit() * 200 : 200 + unit() * 2000;
    row[0] = vg_double(amount);
    row[1] = vg_int((int64_t)(unit() * unit() * 14));
    row[2] = vg_double(amount * (1 + unit() * unit() * 20));
    row[3] = unit() < 0.05 ? vg_null() : vg_int((int64_t)(unit() * unit() * 18));
    row[4] = vg_int((int64_t)(unit() * unit() * 20));
    const char *c = PICK(countries), *m = PICK(categories), *s = PICK(statuses);
    row[5] = vg_str(c, (uint32_t)strlen(c));
    row[6] = vg_str(m, (uint32_t)strlen(m));
    row[7] = unit() < 0.02 ? vg_null() : vg_double(unit() * unit());
    row[8] = vg_str(s, (uint32_t)strlen(s));
    row[9] = vg_bool(unit() < 0.1);
}

static double clock_ns(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}
static double now_ns(void) { return clock_ns(CLOCK_MONOTONIC); }
/* CPU time of this thread: on a shared machine, time spent descheduled is
 * not the ruleset's */
static double cpu_ns(void) { return clock_ns(CLOCK_THREAD_CPUTIME_ID); }

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    int nrules = 100;
    long events = 2000000;
    bool stress = false;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--rules") == 0 && i + 1 < argc)
            nrules = atoi(argv[++i]);
        else if (strcmp(argv[i], "--events") == 0 && i + 1 < argc)
            events = atol(argv[++i]);
        else if (strcmp(argv[i], "--stress") == 0)
            stress = true;
        else {
            fprintf(stderr, "usage: bench_rules [--rules N] [--events N] [--stress]\n");
            return 2;
        }
    }
    vg_rule *rules = calloc((size_t)nrules, sizeof *rules);
    char (*conds)[160] = calloc((size_t)nrules, sizeof *conds);
    char (*ids)[24] = calloc((size_t)nrules, sizeof *ids);
    vg_value(*rows)[10] = calloc(POOL, sizeof *rows);
    double *lat = calloc(POOL, sizeof *lat);
    if (!rules || !conds || !ids || !rows || !lat)
        return 1;
    static const char *const actions[] = {"block", "review", "review", "step_up"};
    for (int i = 0; i < nrules; i++) {
        snprintf(ids[i], sizeof ids[i], "rule_%03d", i);
        condition(i, stress, conds[i], sizeof conds[i]);
        rules[i] = (vg_rule){.rule_id = ids[i], .priority = 1000 - i, .condition = conds[i],
                             .action = actions[i % 4], .shadow = i % 11 == 5, .enabled = true};
    }
    vg_error err;
    vg_error_clear(&err);
    vg_ruleset *rs = vg_ruleset_compile("bench", 1, "allow", rules, (uint32_t)nrules, &schema,
                                        &err);
    if (!rs) {
        fprintf(stderr, "bench_rules: %s\n", err.msg);
        return 1;
    }
    for (int i = 0; i < POOL; i++)
        make_row(rows[i]);
    vg_arena *scratch = vg_arena_new(VG_MEM_EXPR, 1 << 20);
    vg_eval_ctx ctx = {scratch, &err};
    vg_value out[VG_RULES_NOUT];

    /* pass 1: throughput */
    long matched = 0;
    double t0 = now_ns(), c0 = cpu_ns();
    for (long e = 0; e < events; e++) {
        vg_ruleset_apply(rs, rows[e % POOL], &ctx, out);
        matched += !out[1].null;
        if (e % BATCH == BATCH - 1)
            vg_arena_reset(scratch);
    }
    double loop_ns = now_ns() - t0, loop_cpu_ns = cpu_ns() - c0;

    /* pass 2: one clock pair per event, over the pool */
    vg_arena_reset(scratch);
    long commas = 0;
    for (int e = 0; e < POOL; e++) {
        double a = now_ns();
        vg_ruleset_apply(rs, rows[e], &ctx, out);
        lat[e] = now_ns() - a;
        for (uint32_t k = 0; k < out[2].len; k++)
            commas += out[2].u.s[k] == ',';
        commas += out[2].len > 0;
        if (e % BATCH == BATCH - 1)
            vg_arena_reset(scratch);
    }
    qsort(lat, POOL, sizeof *lat, cmp_double);
    fprintf(stderr, "rules %d\nevents %ld\nstress %d\n", nrules, events, stress);
    fprintf(stderr, "ns_per_event %.1f\n", loop_cpu_ns / (double)events);
    fprintf(stderr, "wall_ns_per_event %.1f\n", loop_ns / (double)events);
    fprintf(stderr, "p50_ns %.0f\np99_ns %.0f\n", lat[POOL / 2], lat[POOL * 99 / 100]);
    fprintf(stderr, "match_rate %.4f\n", (double)matched / (double)events);
    fprintf(stderr, "matched_per_event %.2f\n", (double)commas / POOL);
    if (vg_error_is_set(&err))
        fprintf(stderr, "error %s\n", err.msg);
    vg_arena_free(scratch);
    vg_ruleset_free(rs);
    free(rules);
    free(conds);
    free(ids);
    free(rows);
    free(lat);
    return 0;
}
