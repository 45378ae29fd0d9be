/*
 * testcase.c — running a pipeline's test cases and diffing their output.
 *
 * Rows are compared as JSON values (Jansson reads them: this is not the hot
 * path), numbers with an optional relative tolerance. Every sink is
 * captured in memory; a sink with no expected file is not checked, but
 * dead letters that a case does not expect fail it: nothing is dropped
 * silently, not even in a test.
 */
#include "engine/testcase.h"

#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "engine/alloc.h"
#include "engine/buf.h"
#include "engine/config.h"
#include "engine/pipeline.h"
#include "engine/replay.h"

#define MAX_FILES 64
#define PATH_LEN 4096

/* Format a path into out[PATH_LEN]; -1 when it does not fit. */
static int path_fmt(char *out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int path_fmt(char *out, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(out, PATH_LEN, fmt, ap);
    va_end(ap);
    return n < 0 || n >= PATH_LEN ? -1 : 0;
}

typedef struct case_opts {
    bool ordered;     /* rows must come in the expected order */
    double tolerance; /* relative tolerance for numbers; 0 = exact */
} case_opts;

/* The stems of dir's *.jsonl files, sorted; returns the count or -1. */
static int list_jsonl(const char *dir, char names[][256], int max)
{
    DIR *d = opendir(dir);
    if (!d)
        return errno == ENOENT ? 0 : -1;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) && n < max) {
        size_t len = strlen(e->d_name);
        if (len > 6 && len - 6 < 256 && strcmp(e->d_name + len - 6, ".jsonl") == 0) {
            memcpy(names[n], e->d_name, len - 6);
            names[n][len - 6] = 0;
            n++;
        }
    }
    closedir(d);
    qsort(names, (size_t)n, 256, (int (*)(const void *, const void *))strcmp);
    return n;
}

static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    vg_buf b;
    vg_buf_init(&b, VG_MEM_OTHER);
    char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        if (vg_buf_append(&b, chunk, n) < 0)
            break;
    fclose(f);
    if (!vg_buf_cstr(&b)) {
        vg_buf_free(&b);
        return NULL;
    }
    *len = b.len;
    return b.p;
}

static int read_case_opts(const char *casedir, case_opts *o, FILE *out)
{
    char path[PATH_LEN];
    if (path_fmt(path, "%s/case.yaml", casedir) < 0)
        return -1;
    vg_case_config cc;
    vg_error err;
    vg_error_clear(&err);
    if (vg_config_load_case(path, &cc, &err) < 0) {
        vg_error_print(&err, out);
        return -1;
    }
    o->ordered = cc.ordered;
    o->tolerance = cc.tolerance;
    return 0;
}

/* Split text into parsed JSON rows (blank lines skipped). */
typedef struct rows {
    int n;
    json_t **v;     /* parsed rows; NULL where a line is not JSON */
    char **text;    /* the lines as written, for messages */
} rows;

static void rows_free(rows *r)
{
    for (int i = 0; i < r->n; i++) {
        json_decref(r->v[i]);
        vg_free(r->text[i]);
    }
    vg_free(r->v);
    vg_free(r->text);
    r->n = 0;
}

static bool blank(const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != ' ' && p[i] != '\t')
            return false;
    return true;
}

static int rows_parse(const char *text, size_t len, rows *r)
{
    int cap = 0;
    r->n = 0;
    r->v = NULL;
    r->text = NULL;
    const char *p = text, *end = text + len;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
        if (n > 0 && p[n - 1] == '\r')
            n--;
        if (!blank(p, n)) {
            if (r->n == cap) {
                cap = cap ? cap * 2 : 64;
                json_t **v = vg_realloc(VG_MEM_OTHER, r->v, (size_t)cap * sizeof *v);
                if (v)
                    r->v = v;
                char **t = vg_realloc(VG_MEM_OTHER, r->text, (size_t)cap * sizeof *t);
                if (t)
                    r->text = t;
                if (!v || !t)
                    return -1;
            }
            r->text[r->n] = vg_strndup(VG_MEM_OTHER, p, n);
            r->v[r->n] = json_loadb(p, n, JSON_DECODE_ANY, NULL);
            r->n++;
            if (!r->text[r->n - 1])
                return -1;
        }
        p += (nl ? (size_t)(nl - p) + 1 : (size_t)(end - p));
    }
    return 0;
}

static bool numbers_close(double a, double b, double tol)
{
    if (a == b)
        return true;
    double scale = fabs(a) > fabs(b) ? fabs(a) : fabs(b);
    return tol > 0 && fabs(a - b) <= tol * (scale > 1 ? scale : 1);
}

static bool json_same(json_t *a, json_t *b, double tol)
{
    if (!a || !b)
        return false;
    if (json_is_number(a) && json_is_number(b))
        return numbers_close(json_number_value(a), json_number_value(b), tol);
    if (json_typeof(a) != json_typeof(b))
        return false;
    if (json_is_object(a)) {
        if (json_object_size(a) != json_object_size(b))
            return false;
        const char *k;
        json_t *v;
        json_object_foreach(a, k, v) {
            if (!json_same(v, json_object_get(b, k), tol))
                return false;
        }
        return true;
    }
    if (json_is_array(a)) {
        if (json_array_size(a) != json_array_size(b))
            return false;
        for (size_t i = 0; i < json_array_size(a); i++)
            if (!json_same(json_array_get(a, i), json_array_get(b, i), tol))
                return false;
        return true;
    }
    return json_equal(a, b);
}

/* Compare one sink; print the differences; return the number of them. */
static int diff_sink(const char *sink, rows *want, rows *got, const case_opts *o, FILE *out)
{
    int bad = 0;
    if (o->ordered) {
        int n = want->n > got->n ? want->n : got->n;
        for (int i = 0; i < n; i++) {
            if (i >= got->n) {
                fprintf(out, "  %s: missing row %d: %s\n", sink, i + 1, want->text[i]);
                bad++;
            } else if (i >= want->n) {
                fprintf(out, "  %s: extra row %d: %s\n", sink, i + 1, got->text[i]);
                bad++;
            } else if (!json_same(want->v[i], got->v[i], o->tolerance)) {
                fprintf(out, "  %s: row %d differs:\n    expected %s\n    got      %s\n", sink,
                        i + 1, want->text[i], got->text[i]);
                bad++;
            }
        }
        return bad;
    }
    char *used = vg_calloc(VG_MEM_OTHER, (size_t)got->n + 1, 1);
    if (!used)
        return 1;
    for (int i = 0; i < want->n; i++) {
        int j = 0;
        while (j < got->n && (used[j] || !json_same(want->v[i], got->v[j], o->tolerance)))
            j++;
        if (j < got->n) {
            used[j] = 1;
        } else {
            fprintf(out, "  %s: missing row: %s\n", sink, want->text[i]);
            bad++;
        }
    }
    for (int j = 0; j < got->n; j++) {
        if (!used[j]) {
            fprintf(out, "  %s: extra row: %s\n", sink, got->text[j]);
            bad++;
        }
    }
    vg_free(used);
    return bad;
}

typedef struct case_run {
    char in_names[MAX_FILES][256];
    char in_paths[MAX_FILES][PATH_LEN];
    char want_names[MAX_FILES][256];
    vg_replay_input inputs[MAX_FILES];
    vg_replay_output outputs[MAX_FILES + 2];
    vg_buf bufs[MAX_FILES + 2];
    uint32_t nout;
} case_run;

/* Give every sink of the plan, and the dead letters, a memory buffer. */
static void capture_all(case_run *c, const vg_plan *plan)
{
    const char *names[MAX_FILES + 2];
    uint32_t n = 0;
    names[n++] = "dead_letter";
    for (uint32_t i = 0; i < plan->nsinks && n < MAX_FILES + 2; i++) {
        bool seen = false;
        for (uint32_t j = 0; j < n; j++)
            seen |= strcmp(names[j], plan->sinks[i]->name) == 0;
        if (!seen)
            names[n++] = plan->sinks[i]->name;
    }
    for (uint32_t i = 0; i < n; i++) {
        vg_buf_init(&c->bufs[i], VG_MEM_OTHER);
        c->outputs[i] = (vg_replay_output){.sink = names[i], .mem = &c->bufs[i]};
    }
    c->nout = n;
}

static vg_buf *captured(case_run *c, const char *sink)
{
    for (uint32_t i = 0; i < c->nout; i++)
        if (strcmp(c->outputs[i].sink, sink) == 0)
            return &c->bufs[i];
    return NULL;
}

/* Compare every expected file of the case; returns the number of problems. */
static int check_outputs(case_run *c, const char *casedir, int nwant, const case_opts *o,
                         FILE *out)
{
    int bad = 0;
    bool dead_expected = false;
    for (int i = 0; i < nwant; i++) {
        const char *sink = c->want_names[i];
        dead_expected |= strcmp(sink, "dead_letter") == 0;
        vg_buf *b = captured(c, sink);
        if (!b) {
            fprintf(out, "  expected/%s.jsonl: the pipeline has no sink '%s'\n", sink, sink);
            bad++;
            continue;
        }
        char path[PATH_LEN];
        path_fmt(path, "%s/expected/%s.jsonl", casedir, sink);
        size_t len;
        char *text = read_file(path, &len);
        rows want, got;
        if (!text || rows_parse(text, len, &want) < 0 || rows_parse(b->p ? b->p : "", b->len, &got) < 0) {
            fprintf(out, "  cannot read %s\n", path);
            vg_free(text);
            return bad + 1;
        }
        bad += diff_sink(sink, &want, &got, o, out);
        rows_free(&want);
        rows_free(&got);
        vg_free(text);
    }
    vg_buf *dead = captured(c, "dead_letter");
    if (!dead_expected && dead->len) {
        const char *nl = memchr(dead->p, '\n', dead->len);
        fprintf(out, "  unexpected dead letters (add expected/dead_letter.jsonl), first: %.*s\n",
                (int)(nl ? nl - dead->p : (long)dead->len), dead->p);
        bad++;
    }
    return bad;
}

/* Run one case; 1 when it passed, 0 when it failed. */
static int run_case(vg_pipeline *p, const char *casedir, const char *name, FILE *out)
{
    case_opts o;
    case_run *c = vg_calloc(VG_MEM_OTHER, 1, sizeof *c);
    if (!c || read_case_opts(casedir, &o, out) < 0) {
        fprintf(out, "FAIL %s\n", name);
        vg_free(c);
        return 0;
    }
    char dir[PATH_LEN];
    path_fmt(dir, "%s/input", casedir);
    int nin = list_jsonl(dir, c->in_names, MAX_FILES);
    path_fmt(dir, "%s/expected", casedir);
    int nwant = list_jsonl(dir, c->want_names, MAX_FILES);
    for (int i = 0; i < nin; i++) {
        path_fmt(c->in_paths[i], "%s/input/%s.jsonl", casedir, c->in_names[i]);
        c->inputs[i] = (vg_replay_input){.stream = c->in_names[i], .path = c->in_paths[i]};
    }
    capture_all(c, vg_pipeline_plan(p));
    vg_replay_opts opts = {
        .ninputs = (uint32_t)(nin > 0 ? nin : 0), .inputs = c->inputs,
        .noutputs = c->nout, .outputs = c->outputs,
        .max_event_bytes = vg_pipeline_max_event_bytes(p),
    };
    vg_error err;
    vg_error_clear(&err);
    vg_replay_stats stats;
    int bad;
    if (nwant <= 0) {
        fprintf(out, "FAIL %s\n  no expected/*.jsonl files\n", name);
        bad = 1;
        memset(&stats, 0, sizeof stats);
    } else if (vg_replay_run(vg_pipeline_plan(p), &opts, &stats, &err) < 0) {
        fprintf(out, "FAIL %s\n  ", name);
        vg_error_print(&err, out);
        bad = 1;
    } else {
        vg_buf report;
        vg_buf_init(&report, VG_MEM_OTHER);
        FILE *mem = open_memstream(&report.p, &report.len);
        bad = mem ? check_outputs(c, casedir, nwant, &o, mem) : 1;
        if (mem)
            fclose(mem);
        fprintf(out, "%s %s\n%.*s", bad ? "FAIL" : "ok", name, (int)report.len,
                report.p ? report.p : "");
        free(report.p); /* open_memstream allocates with malloc */
    }
    vg_replay_stats_free(&stats);
    for (uint32_t i = 0; i < c->nout; i++)
        vg_buf_free(&c->bufs[i]);
    vg_free(c);
    return bad ? 0 : 1;
}

static int is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

int vg_testcase_run_all(const char *dir, FILE *out, vg_error *err)
{
    vg_pipeline *p = vg_pipeline_load(dir, err);
    if (!p)
        return -1;
    char tests[PATH_LEN];
    path_fmt(tests, "%s/tests", dir);
    DIR *d = opendir(tests);
    if (!d) {
        vg_pipeline_free(p);
        return vg_error_set(err, VG_ERR_USAGE, "'%s' has no tests/ folder", dir);
    }
    char(*names)[256] = vg_calloc(VG_MEM_OTHER, 1024, 256);
    int n = 0;
    struct dirent *e;
    while (names && (e = readdir(d)) && n < 1024) {
        char path[PATH_LEN];
        path_fmt(path, "%s/%s", tests, e->d_name);
        if (e->d_name[0] != '.' && strlen(e->d_name) < 256 && is_dir(path))
            snprintf(names[n++], 256, "%s", e->d_name);
    }
    closedir(d);
    if (!names) {
        vg_pipeline_free(p);
        return vg_error_set(err, VG_ERR_NOMEM, "out of memory");
    }
    qsort(names, (size_t)n, 256, (int (*)(const void *, const void *))strcmp);
    int passed = 0;
    for (int i = 0; i < n; i++) {
        char casedir[PATH_LEN];
        path_fmt(casedir, "%s/%s", tests, names[i]);
        passed += run_case(p, casedir, names[i], out);
    }
    fprintf(out, "%d passed, %d failed\n", passed, n - passed);
    vg_free(names);
    vg_pipeline_free(p);
    if (n == 0)
        return vg_error_set(err, VG_ERR_USAGE, "'%s' has no test cases", tests);
    return n - passed;
}
