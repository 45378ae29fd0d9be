/*
 * alloc_fail.c — every allocation made to fail in turn, across the golden
 * SQL suite.
 *
 * Each argument is a case folder holding query.sql and input/STREAM.jsonl
 * (tests/fault/run-alloc.sh writes one per golden SQL case). The whole path
 * a `vigil replay` takes (load, parse, plan, open, decode, evaluate,
 * encode) is run in-process with the Nth allocation failing, for N = 1, 2,
 * ... until a run completes without reaching N. Each run must either
 * succeed or fail with a clean "out of memory" error — never crash — and
 * must give back every byte it took (the allocator's per-subsystem
 * counters return to where they started), so a leak on any error path
 * fails the test.
 *
 * Options: --step K tries every Kth allocation (default 1).
 * Prints one line per case and "N passed, N failed" (cases) at the end.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/alloc.h"
#include "engine/buf.h"
#include "engine/pipeline.h"
#include "engine/replay.h"

#define MAX_INPUTS 16

typedef struct fault_case {
    char sql_path[4096];                /* DIR/query.sql */
    uint32_t ninputs;
    char names[MAX_INPUTS][64];         /* stream names */
    char paths[MAX_INPUTS][4096];       /* their input files */
    vg_replay_input inputs[MAX_INPUTS];
} fault_case;

static size_t mem_total(void)
{
    size_t n = 0;
    for (int t = 0; t < VG_MEM_NTAGS; t++)
        n += vg_mem_in_use((vg_mem_tag)t);
    return n;
}

/* Bind every input/NAME.jsonl of the case folder dir. */
static int prepare(const char *dir, fault_case *c)
{
    if (snprintf(c->sql_path, sizeof c->sql_path, "%s/query.sql", dir) >= (int)sizeof c->sql_path)
        return -1;
    char indir[4096];
    if (snprintf(indir, sizeof indir, "%s/input", dir) >= (int)sizeof indir)
        return -1;
    c->ninputs = 0;
    DIR *d = opendir(indir);
    if (!d)
        return 0; /* a case without inputs */
    struct dirent *e;
    while ((e = readdir(d)) && c->ninputs < MAX_INPUTS) {
        size_t n = strlen(e->d_name);
        if (n <= 6 || n - 6 >= sizeof c->names[0] || strcmp(e->d_name + n - 6, ".jsonl") != 0)
            continue;
        uint32_t i = c->ninputs++;
        memcpy(c->names[i], e->d_name, n - 6);
        c->names[i][n - 6] = 0;
        char *path = c->paths[i];
        if (snprintf(path, sizeof c->paths[i], "%s/%s", indir, e->d_name) >=
            (int)sizeof c->paths[i]) {
            closedir(d);
            return -1;
        }
        c->inputs[i] = (vg_replay_input){.stream = c->names[i], .path = path};
    }
    closedir(d);
    return 0;
}

/* One whole run. Returns 0 ok, 1 clean error, with *nomem set when the
 * error was out of memory. */
static int run_once(fault_case *c, int *nomem)
{
    vg_error err;
    vg_error_clear(&err);
    *nomem = 0;
    vg_pipeline *p = vg_pipeline_load(c->sql_path, &err);
    if (!p) {
        *nomem = err.code == VG_ERR_NOMEM;
        return 1;
    }
    const vg_plan *plan = vg_pipeline_plan(p);
    vg_buf bufs[64];
    vg_replay_output outs[64];
    uint32_t nout = 0;
    vg_buf_init(&bufs[nout], VG_MEM_OTHER);
    outs[nout] = (vg_replay_output){.sink = "dead_letter", .mem = &bufs[nout]};
    nout++;
    for (uint32_t i = 0; i < plan->nsinks && nout < 64; i++) {
        int seen = 0;
        for (uint32_t j = 0; j < nout; j++)
            seen |= strcmp(outs[j].sink, plan->sinks[i]->name) == 0;
        if (seen)
            continue;
        vg_buf_init(&bufs[nout], VG_MEM_OTHER);
        outs[nout] = (vg_replay_output){.sink = plan->sinks[i]->name, .mem = &bufs[nout]};
        nout++;
    }
    vg_replay_opts opts = {.ninputs = c->ninputs, .inputs = c->inputs,
                           .noutputs = nout, .outputs = outs};
    vg_replay_stats stats;
    int rc = vg_replay_run(plan, &opts, &stats, &err);
    if (rc < 0)
        *nomem = err.code == VG_ERR_NOMEM;
    vg_replay_stats_free(&stats);
    for (uint32_t i = 0; i < nout; i++)
        vg_buf_free(&bufs[i]);
    vg_pipeline_free(p);
    return rc < 0 ? 1 : 0;
}

/* The case's own name (DIR/name, written by run-alloc.sh), else DIR. */
static const char *case_name(const char *dir)
{
    static char name[4096];
    char path[4096];
    if (snprintf(path, sizeof path, "%s/name", dir) >= (int)sizeof path)
        return dir;
    FILE *f = fopen(path, "r");
    if (!f)
        return dir;
    size_t n = fread(name, 1, sizeof name - 1, f);
    fclose(f);
    name[n] = 0;
    return n ? name : dir;
}

/* Fail every step-th allocation of the case in turn. 0 when all runs were
 * clean. */
static int check_case(const char *dir, unsigned step)
{
    const char *path = case_name(dir);
    static fault_case c;
    if (prepare(dir, &c) < 0) {
        printf("FAIL %s: path too long\n", path);
        return 1;
    }
    int bad = 0, nomem;
    size_t base = mem_total();
    int clean_rc = run_once(&c, &nomem); /* the reference run, no failures */
    if (mem_total() != base) {
        printf("FAIL %s: leaked %zu bytes without any failure\n", path, mem_total() - base);
        bad = 1;
    }
    uint64_t n;
    for (n = 1; !bad; n += step) {
        vg_alloc_fail_at(n, 0);
        int rc = run_once(&c, &nomem);
        int injected = vg_alloc_failed();
        vg_alloc_fail_at(0, 0);
        if (mem_total() != base) {
            printf("FAIL %s: allocation %llu failed and %zu bytes leaked\n", path,
                   (unsigned long long)n, mem_total() - base);
            bad = 1;
        } else if (!injected) {
            if (rc != clean_rc) {
                printf("FAIL %s: run without failure differs from the reference\n", path);
                bad = 1;
            }
            break; /* ran to completion before reaching n */
        } else if (rc == 0 && clean_rc == 0) {
            /* a failure was absorbed (a retry, an optional cache): fine */
        } else if (rc == 1 && !nomem && clean_rc == 0) {
            printf("FAIL %s: allocation %llu failed but the error was not 'out of memory'\n",
                   path, (unsigned long long)n);
            bad = 1;
        }
    }
    if (!bad)
        printf("ok %s (%llu allocations)\n", path, (unsigned long long)n);
    return bad;
}

int main(int argc, char **argv)
{
    unsigned step = 1;
    int passed = 0, failed = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--step") == 0 && i + 1 < argc) {
            step = (unsigned)atoi(argv[++i]);
            if (step == 0)
                step = 1;
            continue;
        }
        if (check_case(argv[i], step))
            failed++;
        else
            passed++;
    }
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
