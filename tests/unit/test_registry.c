/*
 * test_registry.c — activating model and ruleset versions through the
 * registry (engine/registry.h), as the admin API, the control topic and a
 * restart do: rules stored from rows (a bad condition positioned inside it,
 * nothing stored), stored versions made active in the registry alone or in
 * the store too, a model file changed since its version was stored,
 * versions that do not exist, and every allocation failing in turn.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/pipeline.h"
#include "engine/registry.h"
#include "engine/store.h"
#include "tests/unit/check.h"

static char dir[64];
static char path_buf[4][256];

/* dir/name, in one of four rotating buffers. */
static const char *in_dir(const char *name)
{
    static int next;
    char *p = path_buf[next++ % 4];
    snprintf(p, sizeof path_buf[0], "%s/%s", dir, name);
    return p;
}

static void put_file(const char *name, const char *text)
{
    FILE *f = fopen(in_dir(name), "w");
    fputs(text, f);
    fclose(f);
}

static const char pipeline_sql[] =
    "CREATE STREAM ev (id BIGINT, x DOUBLE, ts TIMESTAMP(3), WATERMARK FOR ts AS ts);\n"
    "CREATE MODEL m INPUT (x DOUBLE) OUTPUT (p DOUBLE) WITH ('type' = 'linear', "
    "'path' = 'v1.json');\n"
    "CREATE RULESET r WITH ('file' = 'rules.yaml', 'default' = 'allow');\n"
    "CREATE VIEW scored AS SELECT * FROM ML_PREDICT(TABLE ev, MODEL m, DESCRIPTOR(x));\n"
    "SELECT id, p, decision FROM APPLY_RULES(TABLE scored, RULESET r);\n";

/* The pipeline, and its registry loaded from the store at dir/store.db. */
typedef struct fixture {
    vg_pipeline *p;
    vg_registry *reg;
    vg_model_slot *m;
    vg_ruleset_slot *r;
} fixture;

static bool open_fixture(fixture *f)
{
    vg_error err;
    vg_error_clear(&err);
    memset(f, 0, sizeof *f);
    put_file("p.sql", pipeline_sql);
    f->p = vg_pipeline_load(in_dir("p.sql"), &err);
    if (!f->p) {
        fprintf(stderr, "load: %s\n", err.msg);
        return false;
    }
    f->reg = vg_registry_new(vg_pipeline_plan(f->p));
    if (!f->reg || vg_registry_load(f->reg, in_dir("store.db"), &err) < 0) {
        fprintf(stderr, "registry: %s\n", err.msg);
        return false;
    }
    f->m = vg_registry_model(f->reg, "m");
    f->r = vg_registry_ruleset(f->reg, "r");
    return true;
}

static void close_fixture(fixture *f)
{
    vg_registry_free(f->reg);
    vg_pipeline_free(f->p);
}

/* The store's active version of ruleset r and model m: "r3 m2". */
static const char *store_active(void)
{
    static char out[64];
    vg_error err;
    vg_error_clear(&err);
    vg_store *st = vg_store_open(in_dir("store.db"), &err);
    vg_arena *a = vg_arena_new(VG_MEM_OTHER, 1024);
    vg_ruleset_rec info = {0};
    vg_rule *rules;
    uint32_t n;
    vg_model_rec rec = {0};
    if (!st || !a || vg_store_rules_get(st, "r", 0, a, &info, &rules, &n, &err) != 0 ||
        vg_store_model_active(st, "m", &rec, a, &err) != 0)
        snprintf(out, sizeof out, "error: %.50s", err.msg);
    else
        snprintf(out, sizeof out, "r%lld m%lld", (long long)info.version, (long long)rec.version);
    vg_arena_free(a);
    vg_store_close(st);
    return out;
}

/* The registry's versions: "r3 m2". */
static const char *running(const fixture *f)
{
    static char out[64];
    snprintf(out, sizeof out, "r%lld m%lld",
             (long long)(f->r->rules ? vg_ruleset_version(f->r->rules) : 0),
             (long long)f->m->version);
    return out;
}

static const vg_rule two_rules[] = {
    {.rule_id = "big", .priority = 10, .condition = "x > 5", .action = "block", .enabled = true},
    {.rule_id = "odd", .priority = 5, .condition = "MOD(id, 2) = 1", .action = "review",
     .shadow = true, .enabled = true},
};

static void test_rules(void)
{
    fixture f;
    if (!open_fixture(&f))
        return;
    vg_error err;
    vg_error_clear(&err);
    CHECK_STR(running(&f), "r1 m1");
    /* a bad condition: positioned inside it, nothing stored */
    vg_rule bad = {.rule_id = "oops", .condition = "x >> 3", .action = "block", .enabled = true};
    CHECK_INT(vg_registry_add_rules(f.reg, f.r, &bad, 1, NULL, "ana", "admin", NULL, &err), -1);
    CHECK_STR(err.msg, "rule 'oops': syntax error at '>': expected an expression");
    CHECK_INT(err.line, 1);
    CHECK_INT(err.col, 4);
    CHECK_STR(err.file, "<rule oops>");
    CHECK_STR(running(&f), "r1 m1");
    CHECK_STR(store_active(), "r1 m1");
    /* good rows: the next version, active in both */
    int64_t v = 0;
    vg_error_clear(&err);
    CHECK_INT(vg_registry_add_rules(f.reg, f.r, two_rules, 2, "allow", "ana", "admin", &v, &err),
              0);
    CHECK_INT(v, 2);
    CHECK_STR(running(&f), "r2 m1");
    CHECK_STR(store_active(), "r2 m1");
    CHECK_INT(vg_ruleset_nrules(f.r->rules), 2);
    /* back to version 1 in the registry only (a restart recomputing turns) */
    CHECK_INT(vg_registry_use_rules(f.reg, f.r, 1, false, &err), 0);
    CHECK_STR(running(&f), "r1 m1");
    CHECK_STR(store_active(), "r2 m1");
    /* ... and in the store too (an activation) */
    CHECK_INT(vg_registry_use_rules(f.reg, f.r, 1, true, &err), 0);
    CHECK_STR(store_active(), "r1 m1");
    CHECK_INT(vg_registry_use_rules(f.reg, f.r, 0, false, &err), 0);
    CHECK(f.r->rules == NULL);
    CHECK_INT(vg_registry_use_rules(f.reg, f.r, 5, true, &err), -1);
    CHECK_INT(err.code, VG_ERR_NAME);
    CHECK_STR(err.msg, "ruleset 'r' has no version 5");
    CHECK(f.r->rules == NULL);
    close_fixture(&f);
}

static void test_models(void)
{
    fixture f;
    if (!open_fixture(&f))
        return;
    vg_error err;
    vg_error_clear(&err);
    CHECK_INT(vg_registry_add_model(f.reg, f.m, in_dir("v2.json"), &err), 0);
    CHECK_STR(running(&f), "r1 m2");
    CHECK_STR(store_active(), "r1 m2");
    CHECK_INT(vg_registry_use_model(f.reg, f.m, 1, false, &err), 0);
    CHECK_STR(running(&f), "r1 m1");
    CHECK_STR(store_active(), "r1 m2");
    CHECK_INT(vg_registry_use_model(f.reg, f.m, 2, true, &err), 0);
    CHECK_STR(running(&f), "r1 m2");
    CHECK_INT(vg_registry_use_model(f.reg, f.m, 9, true, &err), -1);
    CHECK_STR(err.msg, "model 'm' has no version 9");
    /* a version's file rewritten since: refused, nothing changes */
    put_file("v1.json", "{\"coefficients\": [3.0], \"intercept\": 1.0}");
    vg_error_clear(&err);
    CHECK_INT(vg_registry_use_model(f.reg, f.m, 1, true, &err), -1);
    CHECK_INT(err.code, VG_ERR_RUNTIME);
    char want[512];
    snprintf(want, sizeof want,
             "model 'm' version 1: file '%s/v1.json' has changed since it was stored (its SHA-256 "
             "differs)",
             dir);
    CHECK_STR(err.msg, want);
    CHECK_STR(running(&f), "r1 m2");
    CHECK_STR(store_active(), "r1 m2");
    put_file("v1.json", "{\"coefficients\": [1.0], \"intercept\": 0.0}");
    /* a stored version that does not fit the CREATE MODEL (stored by another pipeline) */
    put_file("v3.json", "{\"coefficients\": [1.0, 2.0], \"intercept\": 0.0}");
    vg_store *st = vg_store_open(in_dir("store.db"), &err);
    vg_model_rec rec = {.name = "m", .type = "linear", .path = in_dir("v3.json")};
    int64_t v = 0;
    CHECK(st && vg_store_model_add(st, &rec, &v, &err) == 0 && v == 3);
    vg_store_close(st);
    vg_error_clear(&err);
    CHECK_INT(vg_registry_use_model(f.reg, f.m, 3, false, &err), -1);
    CHECK_STR(err.msg, "model 'm': the file reads 2 features, INPUT declares 1");
    CHECK_STR(running(&f), "r1 m2");
    close_fixture(&f);
}

/* Every allocation of an activation failing in turn: an error, nothing leaked. */
static void test_alloc_failures(void)
{
    fixture f;
    if (!open_fixture(&f))
        return;
    int runs = 0, ok = 0;
    for (uint64_t n = 1; n < 2000; n++) {
        vg_error err;
        vg_error_clear(&err);
        vg_alloc_fail_at(n, 0);
        int rc = vg_registry_add_rules(f.reg, f.r, two_rules, 2, NULL, "ana", NULL, NULL, &err);
        int failed = vg_alloc_failed();
        vg_alloc_fail_at(0, 0);
        runs++;
        ok += rc == 0 || err.code == VG_ERR_NOMEM;
        if (!failed)
            break;
    }
    CHECK_INT(ok, runs);
    CHECK(runs > 1);
    close_fixture(&f);
}

int main(void)
{
    snprintf(dir, sizeof dir, "/tmp/vg_registry_XXXXXX");
    if (!mkdtemp(dir))
        return 1;
    put_file("v1.json", "{\"coefficients\": [1.0], \"intercept\": 0.0}");
    put_file("v2.json", "{\"coefficients\": [2.0], \"intercept\": 100.0}");
    put_file("rules.yaml", "ruleset: r\nrules:\n  - rule_id: big\n    condition: x > 3\n"
                           "    action: block\n");
    RUN(test_rules);
    RUN(test_models);
    RUN(test_alloc_failures);
    const char *files[] = {"v1.json", "v2.json", "v3.json", "rules.yaml", "p.sql", "store.db",
                           "store.db-wal", "store.db-shm"};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++)
        remove(in_dir(files[i]));
    rmdir(dir);
    return CHECK_DONE();
}
