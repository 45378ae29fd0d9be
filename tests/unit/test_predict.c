/*
 * test_predict.c — ML_PREDICT and APPLY_RULES in a running replay: the
 * model and ruleset registry (engine/registry.c), a new version activated
 * between batches (rows before it decided by the old one, after by the new
 * one, none lost), shadow models, NULL features, and the errors of loading
 * a model file that does not fit its CREATE MODEL.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/pipeline.h"
#include "engine/registry.h"
#include "tests/unit/check.h"

static char dir[64];

/* Write text to dir/name. */
static void put_file(const char *name, const char *text)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    fputs(text, f);
    fclose(f);
}

static const char stream_sql[] =
    "CREATE STREAM ev (id BIGINT, x DOUBLE, k STRING, ts TIMESTAMP(3), WATERMARK FOR ts AS ts);\n";

/* Events id 1..n with x = id (x NULL for the ids in nulls, a string of ids). */
static void put_events(int n, const char *nulls)
{
    char buf[4096] = "";
    for (int i = 1; i <= n; i++) {
        char id[16], line[128];
        snprintf(id, sizeof id, " %d ", i);
        bool null = strstr(nulls, id) != NULL;
        snprintf(line, sizeof line, "{\"id\": %d, \"x\": %s%d, \"k\": \"k%d\", \"ts\": %d}\n", i,
                 null ? "null, \"_\": " : "", i, i % 3, i * 1000);
        strcat(buf, line);
    }
    put_file("ev.jsonl", buf);
}

typedef struct swap {
    uint64_t at;      /* after the batch that reaches this many events */
    const char *file; /* the model file to activate, or NULL */
    vg_ruleset *rules; /* or the ruleset */
    bool done;
} swap;

static int between(void *arg, vg_registry *reg, uint64_t events, vg_error *err)
{
    swap *s = arg;
    if (s->done || events < s->at)
        return 0;
    s->done = true;
    if (s->rules) {
        vg_registry_activate_rules(vg_registry_ruleset(reg, "r"), s->rules);
        return 0;
    }
    char path[256];
    snprintf(path, sizeof path, "%s/%s", dir, s->file);
    return vg_registry_add_model(reg, vg_registry_model(reg, "m"), path, err);
}

/* Run SQL (after the stream) over ev.jsonl in batches of 3 lines; stdout's
 * rows, or "error: ..." with the error's position. reg may be NULL. */
static const char *run(const char *sql, swap *sw, vg_registry **reg_out, bool own_registry)
{
    static char out[8192];
    char path[256], text[4096];
    snprintf(text, sizeof text, "%s%s", stream_sql, sql);
    put_file("p.sql", text);
    snprintf(path, sizeof path, "%s/p.sql", dir);
    vg_error err;
    vg_error_clear(&err);
    vg_pipeline *p = vg_pipeline_load(path, &err);
    if (!p) {
        snprintf(out, sizeof out, "error %u:%u: %s", err.line, err.col, err.msg);
        return out;
    }
    vg_buf buf;
    vg_buf_init(&buf, VG_MEM_IO);
    char ev[256];
    snprintf(ev, sizeof ev, "%s/ev.jsonl", dir);
    vg_replay_input in = {"ev", ev};
    vg_replay_output o = {"stdout", NULL, &buf};
    vg_replay_opts opts = {.ninputs = 1, .inputs = &in, .noutputs = 1, .outputs = &o,
                           .batch_size = 3, .between = sw ? between : NULL, .between_arg = sw};
    vg_registry *reg = NULL;
    if (own_registry) {
        reg = vg_registry_new(vg_pipeline_plan(p));
        if (vg_registry_load(reg, NULL, &err) < 0)
            goto done;
        if (reg_out)
            *reg_out = reg;
        opts.registry = reg;
    }
    vg_replay_stats st;
    int rc = vg_replay_run(vg_pipeline_plan(p), &opts, &st, &err);
    vg_replay_stats_free(&st);
done:
    if (vg_error_is_set(&err))
        snprintf(out, sizeof out, "error %u:%u: %s", err.line, err.col, err.msg);
    else
        snprintf(out, sizeof out, "%.*s", (int)buf.len, buf.p);
    (void)rc;
    vg_buf_free(&buf);
    if (!reg_out)
        vg_registry_free(reg);
    vg_pipeline_free(p);
    return out;
}

static const char linear_sql[] =
    "CREATE MODEL m INPUT (x DOUBLE) OUTPUT (p DOUBLE) WITH ('type' = 'linear', 'path' = "
    "'v1.json', 'version_column' = 'v');\n"
    "SELECT id, p, v FROM ML_PREDICT(TABLE ev, MODEL m, DESCRIPTOR(x));\n";

static void test_swap_between_batches(void)
{
    put_file("v1.json", "{\"coefficients\": [1], \"intercept\": 0}");
    put_file("v2.json", "{\"coefficients\": [10], \"intercept\": 0.5}");
    put_events(9, "");
    swap sw = {6, "v2.json", NULL, false};
    CHECK_STR(run(linear_sql, &sw, NULL, false),
              "{\"id\":1,\"p\":1.0,\"v\":1}\n{\"id\":2,\"p\":2.0,\"v\":1}\n"
              "{\"id\":3,\"p\":3.0,\"v\":1}\n{\"id\":4,\"p\":4.0,\"v\":1}\n"
              "{\"id\":5,\"p\":5.0,\"v\":1}\n{\"id\":6,\"p\":6.0,\"v\":1}\n"
              "{\"id\":7,\"p\":70.5,\"v\":2}\n{\"id\":8,\"p\":80.5,\"v\":2}\n"
              "{\"id\":9,\"p\":90.5,\"v\":2}\n");
    CHECK(sw.done);
    /* a file that does not fit is refused and the run stops, the old version kept */
    put_file("v3.json", "{\"coefficients\": [1, 2], \"intercept\": 0}");
    swap bad = {3, "v3.json", NULL, false};
    CHECK_STR(run(linear_sql, &bad, NULL, false),
              "error 2:85: model 'm': the file reads 2 features, INPUT declares 1");
}

static void test_shadow_and_nulls(void)
{
    put_file("v1.json", "{\"coefficients\": [1], \"intercept\": 0}");
    put_file("lg.json", "{\"coefficients\": [2], \"intercept\": -4}");
    put_events(3, " 2 ");
    CHECK_STR(run("CREATE MODEL s INPUT (x DOUBLE) OUTPUT (p DOUBLE) WITH ('type' = 'logistic', "
                  "'path' = 'lg.json');\n"
                  "CREATE MODEL m INPUT (x DOUBLE) OUTPUT (p DOUBLE) WITH ('type' = 'linear', "
                  "'path' = 'v1.json', 'shadow' = 's', 'version_column' = 'mv');\n"
                  "SELECT * FROM ML_PREDICT(TABLE ev, MODEL m, DESCRIPTOR(x));\n",
                  NULL, NULL, false),
              "{\"id\":1,\"x\":1.0,\"k\":\"k1\",\"ts\":\"1970-01-01T00:00:01.000Z\",\"p\":1.0,"
              "\"mv\":1,\"p_shadow\":0.11920292202211755,\"mv_shadow\":1}\n"
              "{\"id\":2,\"x\":null,\"k\":\"k2\",\"ts\":\"1970-01-01T00:00:02.000Z\",\"p\":null,"
              "\"mv\":1,\"p_shadow\":null,\"mv_shadow\":1}\n"
              "{\"id\":3,\"x\":3.0,\"k\":\"k0\",\"ts\":\"1970-01-01T00:00:03.000Z\",\"p\":3.0,"
              "\"mv\":1,\"p_shadow\":0.8807970779778823,\"mv_shadow\":1}\n");
}

static void test_load_errors(void)
{
    put_events(1, "");
    const char *e = run("CREATE MODEL m INPUT (x DOUBLE) OUTPUT (p DOUBLE) WITH ('type' = 'linear', "
                        "'path' = 'nope.json');\nSELECT * FROM ML_PREDICT(TABLE ev, MODEL m, "
                        "DESCRIPTOR(x));\n",
                        NULL, NULL, false);
    CHECK(strncmp(e, "error 2:85: model 'm': ", 23) == 0 && strstr(e, "nope.json"));
    put_file("two.json", "{\"coefficients\": [1], \"intercept\": 0}");
    CHECK_STR(run("CREATE MODEL m INPUT (x DOUBLE) OUTPUT (p DOUBLE, q DOUBLE) WITH ('type' = "
                  "'linear', 'path' = 'two.json');\nSELECT * FROM ML_PREDICT(TABLE ev, MODEL m, "
                  "DESCRIPTOR(x));\n",
                  NULL, NULL, false),
              "error 2:33: model 'm': the file gives 1 score, OUTPUT declares 2");
    put_file("named.json", "{\"coefficients\": [1], \"intercept\": 0, \"features\": [\"amount\"]}");
    CHECK_STR(run("CREATE MODEL m INPUT (x DOUBLE) OUTPUT (p DOUBLE) WITH ('type' = 'linear', "
                  "'path' = 'named.json');\nSELECT * FROM ML_PREDICT(TABLE ev, MODEL m, "
                  "DESCRIPTOR(x));\n",
                  NULL, NULL, false),
              "error 2:85: model 'm': feature 1 is 'amount' in the file, 'x' in INPUT");
}

/* Rules version v: block when x > limit, a shadow review when x > 1. */
static vg_ruleset *rules_v(int64_t v, const char *limit, const vg_schema *in)
{
    char cond[64];
    snprintf(cond, sizeof cond, "x > %s", limit);
    vg_rule rules[] = {
        {"big", 10, cond, "block", false, true, "t", 0, NULL, 0, NULL},
        {"watch", 5, "x > 1", "review", true, true, "t", 0, NULL, 0, NULL},
        {"nulls", 1, "k = 'k1' AND x IS NULL", "review", false, true, "t", 0, NULL, 0, NULL},
    };
    vg_error err;
    vg_error_clear(&err);
    vg_ruleset *rs = vg_ruleset_compile("r", v, "allow", rules, 3, in, &err);
    if (!rs)
        printf("rules_v: %s\n", err.msg);
    return rs;
}

static void test_rules_swap(void)
{
    put_events(7, " 4 ");
    const char *sql = "CREATE RULESET r;\n"
                      "SELECT id, decision, rule_id, matched_rules, shadow_rules, rules_version\n"
                      "FROM APPLY_RULES(TABLE ev, RULESET r);\n";
    /* the registry made and loaded up front, v1 activated before the run */
    char text[1024], path[256];
    snprintf(text, sizeof text, "%s%s", stream_sql, sql);
    put_file("p.sql", text);
    snprintf(path, sizeof path, "%s/p.sql", dir);
    vg_error err;
    vg_error_clear(&err);
    vg_pipeline *p = vg_pipeline_load(path, &err);
    CHECK(p != NULL);
    if (!p)
        return;
    const vg_plan *plan = vg_pipeline_plan(p);
    vg_registry *reg = vg_registry_new(plan);
    CHECK_INT(vg_registry_load(reg, NULL, &err), 0);
    const vg_schema *in = plan->rulesets[0]->input;
    vg_registry_activate_rules(vg_registry_ruleset(reg, "r"), rules_v(1, "2", in));
    swap sw = {3, NULL, rules_v(2, "5", in), false};
    vg_buf buf;
    vg_buf_init(&buf, VG_MEM_IO);
    char ev[256];
    snprintf(ev, sizeof ev, "%s/ev.jsonl", dir);
    vg_replay_input i = {"ev", ev};
    vg_replay_output o = {"stdout", NULL, &buf};
    vg_replay_opts opts = {.ninputs = 1, .inputs = &i, .noutputs = 1, .outputs = &o,
                           .batch_size = 3, .registry = reg, .between = between,
                           .between_arg = &sw};
    vg_replay_stats st;
    CHECK_INT(vg_replay_run(plan, &opts, &st, &err), 0);
    vg_replay_stats_free(&st);
    vg_buf_append(&buf, "", 1);
    CHECK_STR(buf.p,
              "{\"id\":1,\"decision\":\"allow\",\"rule_id\":null,\"matched_rules\":\"\","
              "\"shadow_rules\":\"\",\"rules_version\":1}\n"
              "{\"id\":2,\"decision\":\"allow\",\"rule_id\":null,\"matched_rules\":\"\","
              "\"shadow_rules\":\"watch\",\"rules_version\":1}\n"
              "{\"id\":3,\"decision\":\"block\",\"rule_id\":\"big\",\"matched_rules\":\"big\","
              "\"shadow_rules\":\"watch\",\"rules_version\":1}\n"
              "{\"id\":4,\"decision\":\"review\",\"rule_id\":\"nulls\",\"matched_rules\":\"nulls\","
              "\"shadow_rules\":\"\",\"rules_version\":2}\n"
              "{\"id\":5,\"decision\":\"allow\",\"rule_id\":null,\"matched_rules\":\"\","
              "\"shadow_rules\":\"watch\",\"rules_version\":2}\n"
              "{\"id\":6,\"decision\":\"block\",\"rule_id\":\"big\",\"matched_rules\":\"big\","
              "\"shadow_rules\":\"watch\",\"rules_version\":2}\n"
              "{\"id\":7,\"decision\":\"block\",\"rule_id\":\"big\",\"matched_rules\":\"big\","
              "\"shadow_rules\":\"watch\",\"rules_version\":2}\n");
    vg_buf_free(&buf);
    vg_registry_free(reg);
    vg_pipeline_free(p);
}

int main(void)
{
    snprintf(dir, sizeof dir, "/tmp/vg_predict_XXXXXX");
    if (!mkdtemp(dir))
        return 1;
    RUN(test_swap_between_batches);
    RUN(test_shadow_and_nulls);
    RUN(test_load_errors);
    RUN(test_rules_swap);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0)
        return 1;
    for (int t = 0; t < VG_MEM_NTAGS; t++)
        CHECK_INT(vg_mem_in_use((vg_mem_tag)t), 0);
    return CHECK_DONE();
}
