/*
 * test_admin.c — the admin API (engine/admin.h): every check a request
 * passes, with its status and exact message (Host for DNS rebinding, the
 * bearer token, path, method, body size), each endpoint's answer (health,
 * metrics lines with exact counts, the plan as text, dot and JSON, live
 * queries and their errors as JSON with line, column and caret, rules,
 * models, checkpoints, reload), activations by POST /rules and POST
 * /models (rows decided by the old version before, by the new one after;
 * the changer around them; every refusal), control commands and their
 * replies, the listen address rules (no token beyond
 * loopback), and the real server: a `vigil query` client on another
 * thread, answered by the runner's thread between batches, a request that
 * times out waiting for a batch boundary, and one refused when the runner
 * stops; the runner's wait and run times (Server-Timing) set on what it
 * served from the queue, and only there.
 */
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "engine/admin.h"
#include "engine/registry.h"
#include "tests/unit/op_test.h"

static char dir[64];

/* A query that runs until a time limit stops it. */
#define COUNT_SLOW                                                                                 \
    "WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c) SELECT count(*) FROM c"

#define RULES                                                                                      \
    "ruleset: r\ndefault: allow\nrules:\n"                                                         \
    "  - rule_id: big\n    priority: 10\n    condition: x > 100\n    action: block\n"              \
    "  - rule_id: watch\n    priority: 5\n    condition: k = 'a'\n    action: review\n"            \
    "    mode: shadow\n"

/* The engine the requests read: a GROUP BY view and a ruleset, with a
 * few events pushed, its registry loaded and its metrics counted. */
typedef struct engine {
    run r;
    vg_registry *reg;
    vg_metrics m;
    uint64_t in[1], dead[1];
    const char *names[1];
} engine;

static bool engine_open(engine *e)
{
    vg_error err;
    vg_error_clear(&err);
    const char *sql = vg_arena_printf(
        arena,
        "CREATE VIEW counts AS SELECT k, COUNT(*) AS n, SUM(x) AS total FROM s GROUP BY k;\n"
        "CREATE RULESET r WITH ('file' = '%s/rules.yaml');\n"
        "SELECT * FROM counts;\n"
        "INSERT INTO d SELECT * FROM APPLY_RULES(TABLE s, RULESET r);\n",
        dir);
    memset(e, 0, sizeof *e);
    if (plan_ttl(&e->r, source_of(sql), 0, &err) < 0 || !(e->reg = vg_registry_new(e->r.plan)) ||
        vg_registry_load(e->reg, NULL, &err) < 0 ||
        !(e->r.dag = vg_dag_open_with(e->r.plan, e->reg, &err))) {
        fprintf(stderr, "engine_open: %s\n", err.msg);
        return false;
    }
    push(&e->r, "a", 1, 1000);
    push(&e->r, "b", 2, 2000);
    push(&e->r, "a", 300, 3000);
    vg_dag_end_batch(e->r.dag);
    vg_metrics_init(&e->m);
    e->names[0] = "s";
    e->in[0] = 4;
    e->dead[0] = 1;
    e->m.nsources = 1;
    e->m.source_names = e->names;
    e->m.events_in = e->in;
    e->m.events_dead = e->dead;
    e->m.batches = 2;
    vg_hist_add(&e->m.batch_seconds, 0.0003);
    vg_hist_add(&e->m.batch_seconds, 0.2);
    return true;
}

static void engine_close(engine *e)
{
    vg_dag_close(e->r.dag);
    vg_registry_free(e->reg); /* it borrows the plan */
    vg_plan_free(e->r.plan);
}

/* An admin API of e's plan without a server, attached to e. */
static vg_admin *admin_of(engine *e, const char *token)
{
    vg_error err;
    vg_error_clear(&err);
    vg_admin_opts o = {.listen = "127.0.0.1:8470", .token = token, .limits = {.time_ms = 30}};
    vg_admin *a = vg_admin_new(e->r.plan, &o, &err);
    if (!a)
        fprintf(stderr, "vg_admin_new: %s\n", err.msg);
    else
        vg_admin_attach(a, e->r.dag, e->reg, &e->m);
    return a;
}

/* The request method path[?query] with body (Host 127.0.0.1:8470 unless
 * host is given): "STATUS BODY", with the body as it is. */
typedef struct req {
    const char *method, *url, *body, *host, *auth, *type;
    bool too_large;
} req;

static const char *ask(vg_admin *a, req rq)
{
    char path[256];
    snprintf(path, sizeof path, "%s", rq.url);
    char *qs = strchr(path, '?');
    if (qs)
        *qs++ = 0;
    vg_admin_request r = {
        .method = rq.method,
        .path = path,
        .query = qs,
        .host = rq.host ? (strcmp(rq.host, "-") == 0 ? NULL : rq.host) : "127.0.0.1:8470",
        .authorization = rq.auth,
        .content_type = rq.type,
        .body = rq.body,
        .body_len = rq.body ? strlen(rq.body) : 0,
        .body_too_large = rq.too_large,
    };
    vg_admin_response rs;
    vg_admin_handle(a, &r, &rs);
    const char *s = vg_arena_printf(arena, "%d %.*s", rs.status, (int)rs.body.len,
                                    rs.body.len ? rs.body.p : "");
    vg_admin_response_free(&rs);
    return s;
}

static bool starts(const char *s, const char *prefix)
{
    return s && strncmp(s, prefix, strlen(prefix)) == 0;
}

static const char *get(vg_admin *a, const char *url)
{
    return ask(a, (req){.method = "GET", .url = url});
}

static const char *post(vg_admin *a, const char *url, const char *body)
{
    return ask(a, (req){.method = "POST", .url = url, .body = body});
}

static int64_t now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

/* The response to method path (POST: the body SELECT 1) with Host host: "STATUS WAIT RUN", the
 * runner's times as "-1" when not set, "t" when set (>= 0, their sum within
 * the call's own time). */
static const char *timed(vg_admin *a, const char *method, const char *path, const char *host)
{
    vg_admin_request r = {.method = method, .path = path, .host = host,
                          .body = "SELECT 1", .body_len = strcmp(method, "POST") ? 0 : 8};
    vg_admin_response rs;
    int64_t t0 = now_ns();
    vg_admin_handle(a, &r, &rs);
    int64_t took = now_ns() - t0;
    bool set = rs.wait_ns >= 0 && rs.run_ns >= 0 && rs.wait_ns + rs.run_ns <= took;
    const char *s = rs.wait_ns == -1 && rs.run_ns == -1
                        ? vg_arena_printf(arena, "%d -1 -1", rs.status)
                        : vg_arena_printf(arena, "%d %s", rs.status, set ? "t t" : "bad");
    vg_admin_response_free(&rs);
    return s;
}

/* ---- checks ---- */

static void test_host(void)
{
    engine e;
    CHECK(engine_open(&e));
    vg_admin *a = admin_of(&e, NULL);
    const char *refused = "421 {\"error\":\"the Host header must name the admin address "
                          "(127.0.0.1:8470)\"}\n";
    CHECK_STR(ask(a, (req){.method = "GET", .url = "/checkpoints", .host = "evil.example:8470"}),
              refused);
    CHECK_STR(ask(a, (req){.method = "GET", .url = "/checkpoints", .host = "127.0.0.1:9999"}),
              refused);
    CHECK_STR(ask(a, (req){.method = "GET", .url = "/checkpoints", .host = "127.0.0.1"}), refused);
    CHECK_STR(ask(a, (req){.method = "GET", .url = "/checkpoints", .host = "127.0.0.1:8470x"}),
              refused);
    CHECK_STR(ask(a, (req){.method = "GET", .url = "/checkpoints", .host = "-"}), refused);
    CHECK_STR(ask(a, (req){.method = "GET", .url = "/checkpoints", .host = "10.0.0.1:8470"}),
              refused);
    /* before anything else: a foreign name learns nothing of paths */
    CHECK_STR(ask(a, (req){.method = "GET", .url = "/nope", .host = "evil.example:8470"}), refused);
    const char *fine = "200 {\"checkpoints\":[]}\n";
    CHECK_STR(ask(a, (req){.method = "GET", .url = "/checkpoints", .host = "127.0.0.1:8470"}),
              fine);
    CHECK_STR(ask(a, (req){.method = "GET", .url = "/checkpoints", .host = "LOCALHOST:8470"}),
              fine);
    CHECK_STR(ask(a, (req){.method = "GET", .url = "/checkpoints", .host = "[::1]:8470"}), fine);
    vg_admin_stop(a);
    engine_close(&e);
}

static void test_token(void)
{
    engine e;
    CHECK(engine_open(&e));
    vg_admin *a = admin_of(&e, "s3cret");
    CHECK_STR(get(a, "/checkpoints"),
              "401 {\"error\":\"a token is required: Authorization: Bearer TOKEN\"}\n");
    CHECK_STR(ask(a, (req){.method = "GET", .url = "/checkpoints", .auth = "Bearer s3cre"}),
              "401 {\"error\":\"wrong token\"}\n");
    CHECK_STR(ask(a, (req){.method = "GET", .url = "/checkpoints", .auth = "Bearer s3cret2"}),
              "401 {\"error\":\"wrong token\"}\n");
    CHECK_STR(ask(a, (req){.method = "GET", .url = "/checkpoints", .auth = "Basic s3cret"}),
              "401 {\"error\":\"wrong token\"}\n");
    CHECK_STR(ask(a, (req){.method = "GET", .url = "/nope", .auth = "Bearer x"}),
              "401 {\"error\":\"wrong token\"}\n");
    CHECK_STR(ask(a, (req){.method = "GET", .url = "/checkpoints", .auth = "bearer s3cret"}),
              "200 {\"checkpoints\":[]}\n");
    vg_admin_request r = {.method = "GET", .path = "/health", .host = "127.0.0.1:8470"};
    vg_admin_response rs;
    vg_admin_handle(a, &r, &rs);
    CHECK(rs.authenticate);
    CHECK_INT(rs.status, 401);
    vg_admin_response_free(&rs);
    vg_admin_stop(a);
    engine_close(&e);
}

static void test_routes(void)
{
    engine e;
    CHECK(engine_open(&e));
    vg_admin *a = admin_of(&e, NULL);
    CHECK_STR(get(a, "/nope"), "404 {\"error\":\"no such endpoint (see docs/operations.md)\"}\n");
    CHECK_STR(get(a, "/health/"),
              "404 {\"error\":\"no such endpoint (see docs/operations.md)\"}\n");
    CHECK_STR(get(a, "/query"), "405 {\"error\":\"/query takes POST\"}\n");
    CHECK_STR(ask(a, (req){.method = "DELETE", .url = "/metrics"}),
              "405 {\"error\":\"/metrics takes GET\"}\n");
    CHECK_STR(post(a, "/plan", ""), "405 {\"error\":\"/plan takes GET\"}\n");
    vg_admin_request r = {.method = "PUT", .path = "/rules", .host = "127.0.0.1:8470"};
    vg_admin_response rs;
    vg_admin_handle(a, &r, &rs);
    CHECK_STR(rs.allow, "GET, POST");
    vg_admin_response_free(&rs);
    CHECK_STR(
        ask(a, (req){.method = "POST", .url = "/query", .body = "SELECT 1", .too_large = true}),
        "413 {\"error\":\"the request body is larger than 65536 bytes\"}\n");
    CHECK_STR(post(a, "/reload", ""),
              "501 {\"error\":\"POST /reload is not available: this runner was not given the "
              "pipeline's files to compile again\"}\n");
    CHECK_STR(post(a, "/rules", "x"),
              "400 {\"error\":\"the body must be a JSON object such as {\\\"ruleset\\\": "
              "\\\"payment_rules\\\", \\\"version\\\": 2}: '[' or '{' expected near 'x'\"}\n");
    vg_admin_stop(a);
    engine_close(&e);
}

/* ---- pages ---- */

static void test_health_and_plan(void)
{
    engine e;
    CHECK(engine_open(&e));
    vg_admin *a = admin_of(&e, NULL);
    const char *h = get(a, "/health");
    CHECK(starts(h, "200 {\"status\":\"ok\",\"state\":\"running\",\"uptime_seconds\":"));
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    vg_plan_explain(e.r.plan, VG_EXPLAIN_TEXT, f);
    fclose(f);
    CHECK_STR(get(a, "/plan"), vg_arena_printf(arena, "200 %s", text));
    CHECK_STR(get(a, "/plan?format=text"), vg_arena_printf(arena, "200 %s", text));
    free(text);
    CHECK(starts(get(a, "/plan?format=dot"), "200 digraph"));
    CHECK_STR(get(a, "/plan?x=1&format=xml"),
              "400 {\"error\":\"format must be text, dot or json\"}\n");
    const char *json = get(a, "/plan?format=json");
    CHECK(starts(json,
                 "200 {\"nodes\":[{\"id\":0,\"kind\":\"source\",\"name\":\"s\",\"view\":null,"
                 "\"inputs\":[],\"columns\":[{\"name\":\"k\",\"type\":\"STRING\"},{\"name\":"
                 "\"x\",\"type\":\"BIGINT\"},{\"name\":\"ts\",\"type\":\"TIMESTAMP(3)\"}],"
                 "\"updating\":false,\"table\":null},{\"id\":1,\"kind\":\"group\",\"name\":"
                 "null,\"view\":\"counts\",\"inputs\":[0],\"columns\":[{\"name\":\"k\",\"type\":"
                 "\"STRING\"},{\"name\":\"n\",\"type\":\"BIGINT\"},{\"name\":\"total\",\"type\":"
                 "\"BIGINT\"}],\"updating\":true,\"table\":\"counts\"},"));
    vg_admin_stop(a);
    engine_close(&e);
}

static void test_query(void)
{
    engine e;
    CHECK(engine_open(&e));
    vg_admin *a = admin_of(&e, NULL);
    const char *rows = "200 {\"columns\":[\"k\",\"n\",\"total\"],\"rows\":[[\"a\",2,301]]}\n";
    CHECK_STR(post(a, "/query", "SELECT * FROM counts WHERE k = 'a'"), rows);
    CHECK_STR(post(a, "/query", " {\"sql\": \"SELECT * FROM counts WHERE k = 'a'\"}"), rows);
    CHECK_STR(
        ask(a, (req){.method = "POST", .url = "/query", .body = "[1]", .type = "application/json"}),
        "400 {\"error\":\"the JSON body needs \\\"sql\\\": a string\"}\n");
    CHECK_STR(post(a, "/query", "{\"sql\": 1}"),
              "400 {\"error\":\"the JSON body needs \\\"sql\\\": a string\"}\n");
    CHECK_STR(post(a, "/query", "{\"sql\": "),
              "400 {\"error\":\"the body is not JSON: unexpected token near end of file\"}\n");
    CHECK_STR(post(a, "/query", "SELECT *\nFORM counts"),
              "400 {\"error\":\"near \\\"FORM\\\": syntax error\",\"line\":2,\"column\":1,"
              "\"length\":4,\"context\":\"FORM counts\\n^^^^\"}\n");
    CHECK_STR(post(a, "/query", "DELETE FROM counts"),
              "403 {\"error\":\"live queries are read-only: table counts may not be "
              "modified\"}\n");
    CHECK_STR(post(a, "/query", "ATTACH 'x.db' AS x"),
              "403 {\"error\":\"live queries are read-only: ATTACH is not allowed\"}\n");
    CHECK_STR(post(a, "/query", COUNT_SLOW),
              "422 {\"error\":\"query stopped: it ran longer than the time limit of 30 ms\"}\n");
    CHECK_STR(post(a, "/query", ""), "400 {\"error\":\"empty query\"}\n");
    CHECK_INT(e.m.queries, 10);
    CHECK_INT(e.m.query_errors, 8);
    /* without a server the caller is the runner: nothing was queued, nothing is timed */
    CHECK_STR(timed(a, "POST", "/query", "127.0.0.1:8470"), "200 -1 -1");
    CHECK_STR(timed(a, "GET", "/health", "127.0.0.1:8470"), "200 -1 -1");
    vg_admin_attach(a, NULL, NULL, NULL);
    CHECK_STR(post(a, "/query", "SELECT 1"), "503 {\"error\":\"the pipeline is not running\"}\n");
    CHECK(starts(get(a, "/health"), "200 {\"status\":\"ok\",\"state\":\"stopped\""));
    vg_admin_stop(a);
    engine_close(&e);
}

/* The lines of text that start with prefix, joined. */
static const char *lines_of(const char *text, const char *prefix)
{
    const char *s = "";
    size_t n = strlen(prefix);
    for (const char *p = text; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
        if (strncmp(p, prefix, n) == 0)
            s = vg_arena_printf(arena, "%s%.*s\n", s, (int)strcspn(p, "\n"), p);
    return s;
}

static void test_metrics(void)
{
    engine e;
    CHECK(engine_open(&e));
    vg_admin *a = admin_of(&e, NULL);
    post(a, "/query", "SELECT 1");
    post(a, "/query", "SELECT nope");
    const char *m = get(a, "/metrics");
    CHECK(starts(m, "200 # HELP vigil_uptime_seconds "));
    CHECK_STR(lines_of(m, "vigil_source_"), "vigil_source_events_total{source=\"s\"} 4\n"
                                            "vigil_source_dead_letters_total{source=\"s\"} 1\n"
                                            "vigil_source_partitions 1\n");
    CHECK_STR(lines_of(m, "vigil_sink_dead"), "vigil_sink_dead_letters_total{sink=\"stdout\"} 0\n"
                                              "vigil_sink_dead_letters_total{sink=\"d\"} 0\n");
    CHECK_STR(lines_of(m, "vigil_sink_rows_total"),
              "vigil_sink_rows_total{sink=\"stdout\"} 4\nvigil_sink_rows_total{sink=\"d\"} 3\n");
    CHECK_STR(lines_of(m, "vigil_operator_rows_in_total{node=\"1\""),
              "vigil_operator_rows_in_total{node=\"1\",kind=\"group\",name=\"counts\"} 3\n");
    CHECK_STR(lines_of(m, "vigil_operator_rows_out_total{node=\"1\""),
              "vigil_operator_rows_out_total{node=\"1\",kind=\"group\",name=\"counts\"} 4\n");
    CHECK_STR(lines_of(m, "vigil_batch"), "vigil_batches_total 2\n"
                                          "vigil_batch_seconds_bucket{le=\"0.0001\"} 0\n"
                                          "vigil_batch_seconds_bucket{le=\"0.00025\"} 0\n"
                                          "vigil_batch_seconds_bucket{le=\"0.0005\"} 1\n"
                                          "vigil_batch_seconds_bucket{le=\"0.001\"} 1\n"
                                          "vigil_batch_seconds_bucket{le=\"0.0025\"} 1\n"
                                          "vigil_batch_seconds_bucket{le=\"0.005\"} 1\n"
                                          "vigil_batch_seconds_bucket{le=\"0.01\"} 1\n"
                                          "vigil_batch_seconds_bucket{le=\"0.025\"} 1\n"
                                          "vigil_batch_seconds_bucket{le=\"0.05\"} 1\n"
                                          "vigil_batch_seconds_bucket{le=\"0.1\"} 1\n"
                                          "vigil_batch_seconds_bucket{le=\"0.25\"} 2\n"
                                          "vigil_batch_seconds_bucket{le=\"0.5\"} 2\n"
                                          "vigil_batch_seconds_bucket{le=\"1\"} 2\n"
                                          "vigil_batch_seconds_bucket{le=\"2.5\"} 2\n"
                                          "vigil_batch_seconds_bucket{le=\"+Inf\"} 2\n"
                                          "vigil_batch_seconds_sum 0.20030000000000001\n"
                                          "vigil_batch_seconds_count 2\n");
    CHECK_STR(lines_of(m, "vigil_admin_quer"),
              "vigil_admin_queries_total 2\nvigil_admin_query_errors_total 1\n");
    CHECK_STR(lines_of(m, "vigil_checkpoint"),
              "vigil_checkpoints_total 0\nvigil_checkpoint_failures_total 0\n"
              "vigil_checkpoint_epoch 0\nvigil_checkpoint_age_seconds 0\n"
              "vigil_checkpoint_duration_seconds 0\n");
    CHECK_STR(lines_of(m, "vigil_reload"),
              "vigil_reloads_total 0\nvigil_reload_failures_total 0\n");
    CHECK_STR(lines_of(m, "# TYPE vigil_batch_seconds"), "# TYPE vigil_batch_seconds histogram\n");
    CHECK_STR(lines_of(m, "vigil_watermark"), ""); /* none yet */
    e.m.watermark = 1714521600000;
    CHECK_STR(lines_of(get(a, "/metrics"), "vigil_watermark_seconds"),
              "vigil_watermark_seconds 1714521600\n");
    CHECK(vg_hist_quantile(&e.m.batch_seconds, 0.5) == 0.0005);
    CHECK(vg_hist_quantile(&e.m.batch_seconds, 0.99) == 0.25);
    vg_admin_stop(a);
    engine_close(&e);
}

static void test_rules_models(void)
{
    engine e;
    CHECK(engine_open(&e));
    vg_admin *a = admin_of(&e, NULL);
    CHECK_STR(get(a, "/rules"),
              vg_arena_printf(
                  arena,
                  "200 {\"rulesets\":[{\"name\":\"r\",\"version\":1,\"default\":\"allow\","
                  "\"file\":\"%s/rules.yaml\",\"rules\":[{\"rule_id\":\"big\",\"priority\":10,"
                  "\"condition\":\"x > 100\",\"action\":\"block\",\"mode\":\"active\","
                  "\"enabled\":true,\"changed_by\":null},{\"rule_id\":\"watch\",\"priority\":5,"
                  "\"condition\":\"k = 'a'\",\"action\":\"review\",\"mode\":\"shadow\","
                  "\"enabled\":true,\"changed_by\":null}]}]}\n",
                  dir));
    CHECK_STR(get(a, "/models"), "200 {\"models\":[]}\n");
    vg_admin_stop(a);
    engine_close(&e);
}

/* The changer's calls, "b" before and "a" after; before refuses when refuse is set. */
static char change_log[64];
static bool change_refuse;

static int changer(void *arg, bool after, vg_error *err)
{
    (void)arg;
    strcat(change_log, after ? "a" : "b");
    if (!after && change_refuse)
        return vg_error_set(err, VG_ERR_IO, "the checkpoint before it failed: disk full");
    return 0;
}

/* The rules_version of the rows of channel d since the last call, joined by ",". */
static const char *versions_decided(engine *e)
{
    vg_channel *ch = NULL;
    for (uint32_t i = 0; i < vg_dag_nchannels(e->r.dag); i++)
        if (strcmp(vg_dag_channel(e->r.dag, i)->name, "d") == 0)
            ch = vg_dag_channel(e->r.dag, i);
    const char *out = "";
    for (const char *p = ch ? ch->buf.p : NULL; p && p < ch->buf.p + ch->buf.len;) {
        const char *v = strstr(p, "\"rules_version\":");
        if (!v)
            break;
        out = vg_arena_printf(arena, "%s%s%.1s", out, *out ? "," : "", v + 16);
        p = v + 16;
    }
    if (ch)
        vg_buf_clear(&ch->buf);
    return out;
}

static void test_activations(void)
{
    engine e;
    CHECK(engine_open(&e));
    vg_admin *a = admin_of(&e, NULL);
    vg_admin_set_changer(a, changer, NULL);
    CHECK_STR(versions_decided(&e), "1,1,1");
    CHECK_STR(post(a, "/rules", "{\"ruleset\": \"r\", \"rules\": [{\"rule_id\": \"tiny\", "
                                "\"condition\": \"x > 1 AND\", \"action\": \"review\"}]}"),
              "400 {\"error\":\"rule 'tiny': syntax error at end of input: expected an "
              "expression\",\"line\":1,\"column\":10,\"length\":1,\"context\":\"x > 1 AND\\n"
              "         ^\"}\n");
    CHECK_STR(change_log, "b"); /* the change failed after the changer's before: no after */
    CHECK_STR(post(a, "/rules", "{\"ruleset\": \"r\", \"by\": \"bo\", \"rules\": [{\"rule_id\": "
                                "\"tiny\", \"condition\": \"x > 1\", \"action\": \"review\", "
                                "\"priority\": 3, \"mode\": \"active\", \"enabled\": true}]}"),
              "200 {\"ruleset\":\"r\",\"version\":2,\"previous\":1,\"rules\":1}\n");
    CHECK_STR(change_log, "bba");
    push(&e.r, "c", 5, 4000);
    CHECK_STR(versions_decided(&e), "2");
    CHECK_STR(post(a, "/rules", "{\"ruleset\": \"r\", \"version\": 1}"),
              "200 {\"ruleset\":\"r\",\"version\":1,\"previous\":2,\"rules\":2}\n");
    push(&e.r, "c", 6, 5000);
    CHECK_STR(versions_decided(&e), "1");
    change_refuse = true;
    CHECK_STR(post(a, "/rules", "{\"ruleset\": \"r\", \"version\": 2}"),
              "503 {\"error\":\"nothing changed: the checkpoint before it failed: disk full\"}\n");
    change_refuse = false;
    CHECK_STR(post(a, "/rules", "{\"ruleset\": \"r\", \"version\": 7}"),
              "404 {\"error\":\"ruleset 'r' has no version 7\"}\n");
    CHECK_STR(post(a, "/rules", "{\"ruleset\": \"q\", \"version\": 1}"),
              "404 {\"error\":\"the running plan applies no ruleset 'q'\"}\n");
    CHECK_STR(post(a, "/rules", "{\"ruleset\": \"r\"}"),
              "400 {\"error\":\"the body needs \\\"ruleset\\\" and one of \\\"version\\\" (a "
              "stored version) and \\\"rules\\\" (an array of rules)\"}\n");
    CHECK_STR(post(a, "/rules", "{\"ruleset\": \"r\", \"version\": 0}"),
              "400 {\"error\":\"\\\"version\\\" must be a positive integer\"}\n");
    CHECK_STR(post(a, "/rules", "{\"ruleset\": \"r\", \"rules\": [{\"rule_id\": \"x\", "
                                "\"condition\": \"x > 1\", \"action\": \"a\", \"colour\": 1}]}"),
              "400 {\"error\":\"unknown member 'colour' in rule 1\"}\n");
    CHECK_STR(post(a, "/models", "{\"model\": \"m\", \"version\": 1}"),
              "404 {\"error\":\"the running plan has no model 'm'\"}\n");
    CHECK_STR(post(a, "/models", "{\"model\": \"m\", \"version\": 1, \"path\": \"x\"}"),
              "400 {\"error\":\"the body needs \\\"model\\\" and one of \\\"version\\\" (a "
              "stored version) and \\\"path\\\" (a model file)\"}\n");
    CHECK_STR(post(a, "/models", "{\"model\": \"m\", \"size\": 1}"),
              "400 {\"error\":\"unknown member 'size' in a POST /models body\"}\n");
    vg_admin_stop(a);
    engine_close(&e);
}

/* A control command, and its reply line. */
static const char *command(vg_admin *a, const char *msg)
{
    vg_buf reply;
    vg_buf_init(&reply, VG_MEM_IO);
    bool ok = vg_admin_command(a, msg, strlen(msg), &reply);
    const char *s = vg_arena_printf(arena, "%s %.*s", ok ? "ok" : "refused", (int)reply.len,
                                    reply.len ? reply.p : "");
    vg_buf_free(&reply);
    return s;
}

static void test_commands(void)
{
    engine e;
    CHECK(engine_open(&e));
    vg_admin *a = admin_of(&e, "s3cret"); /* (the topic needs no token) */
    CHECK_STR(command(a, "{\"op\": \"rules\", \"ruleset\": \"r\", \"id\": [1, \"x\"], "
                         "\"rules\": [{\"rule_id\": \"all\", \"condition\": \"TRUE\", "
                         "\"action\": \"hold\"}]}"),
              "ok {\"id\":[1,\"x\"],\"op\":\"rules\",\"status\":200,\"ok\":true,\"answer\":"
              "{\"ruleset\":\"r\",\"version\":2,\"previous\":1,\"rules\":1}}\n");
    push(&e.r, "c", 5, 4000);
    CHECK_STR(versions_decided(&e), "1,1,1,2");
    CHECK_STR(command(a, "{\"op\": \"activate_model\", \"model\": \"m\", \"version\": 2, "
                         "\"id\": 7}"),
              "refused {\"id\":7,\"op\":\"activate_model\",\"status\":404,\"ok\":false,"
              "\"answer\":{\"error\":\"the running plan has no model 'm'\"}}\n");
    CHECK_STR(command(a, "{\"op\": \"reload\"}"),
              "refused {\"id\":null,\"op\":\"reload\",\"status\":501,\"ok\":false,\"answer\":"
              "{\"error\":\"POST /reload is not available: this runner was not given the "
              "pipeline's files to compile again\"}}\n");
    CHECK_STR(command(a, "{\"op\": \"drop_tables\"}"),
              "refused {\"id\":null,\"op\":null,\"status\":400,\"ok\":false,\"answer\":"
              "{\"error\":\"unknown \\\"op\\\": the ops are reload, activate_model and "
              "rules\"}}\n");
    CHECK_STR(command(a, "{\"id\": 3}"),
              "refused {\"id\":3,\"op\":null,\"status\":400,\"ok\":false,\"answer\":"
              "{\"error\":\"a command needs \\\"op\\\", a string: the ops are reload, "
              "activate_model and rules\"}}\n");
    CHECK_STR(command(a, "reload please"),
              "refused {\"id\":null,\"op\":null,\"status\":400,\"ok\":false,\"answer\":"
              "{\"error\":\"a command is a JSON object such as {\\\"op\\\": \\\"reload\\\"}: "
              "'[' or '{' expected near 'reload'\"}}\n");
    vg_admin_attach(a, NULL, NULL, NULL);
    CHECK_STR(command(a, "{\"op\": \"rules\", \"ruleset\": \"r\", \"version\": 1}"),
              "refused {\"id\":null,\"op\":\"rules\",\"status\":503,\"ok\":false,\"answer\":"
              "{\"error\":\"the pipeline is not running\"}}\n");
    CHECK(vg_admin_wake_fd(a) >= 0);
    vg_admin_stop(a);
    engine_close(&e);
}

/* Every allocation of making the API and answering made to fail in turn:
 * the answer it would give, or 500 (a JSON body that cannot be read: 400;
 * an API that cannot be made: VG_ERR_NOMEM); never a crash or a leak. */
static void test_alloc_failures(void)
{
    engine e;
    CHECK(engine_open(&e));
    static const req reqs[] = {
        {.method = "POST", .url = "/query", .body = "SELECT n FROM counts WHERE k = 'a'"},
        {.method = "POST", .url = "/query", .body = "{\"sql\": \"SELECT 1\"}"},
        {.method = "POST", .url = "/query", .body = "SELECT nope"},
        {.method = "GET", .url = "/metrics"},
        {.method = "GET", .url = "/plan?format=json"},
        {.method = "GET", .url = "/plan?format=dot"},
        {.method = "GET", .url = "/rules"},
        {.method = "GET", .url = "/nope"},
        {.method = "POST", .url = "/rules", .body = "{\"ruleset\": \"r\", \"version\": 1}"},
    };
    enum { N = sizeof reqs / sizeof reqs[0] };
    const char *wants[N];
    vg_admin *first = admin_of(&e, NULL); /* the ruleset as POST /rules leaves it, from now on */
    CHECK(starts(ask(first, reqs[N - 1]), "200 "));
    vg_admin_stop(first);
    for (size_t i = 0; i < N; i++) {
        vg_admin *a = admin_of(&e, NULL);
        wants[i] = i == 3 ? "200 " : ask(a, reqs[i]); /* metrics: the status (uptime varies) */
        vg_admin_stop(a);
    }
    size_t io = vg_mem_in_use(VG_MEM_IO), other = vg_mem_in_use(VG_MEM_OTHER);
    int wrong = 0;
    for (size_t i = 0; i < N; i++) {
        const char *want = wants[i];
        bool done = false;
        for (uint64_t fail = 1; fail < 5000 && !done; fail++) {
            vg_error err;
            vg_error_clear(&err);
            vg_alloc_fail_at(fail, 0);
            vg_admin *a =
                vg_admin_new(e.r.plan, &(vg_admin_opts){.listen = "127.0.0.1:8470"}, &err);
            const char *got = "500 ";
            if (a) {
                vg_admin_attach(a, e.r.dag, e.reg, &e.m);
                vg_admin_request r = {.method = reqs[i].method,
                                      .path = reqs[i].url,
                                      .host = "127.0.0.1:8470",
                                      .body = reqs[i].body,
                                      .body_len = reqs[i].body ? strlen(reqs[i].body) : 0};
                char path[64];
                snprintf(path, sizeof path, "%s", reqs[i].url);
                char *qs = strchr(path, '?');
                if (qs)
                    *qs++ = 0;
                r.path = path;
                r.query = qs;
                vg_admin_response rs;
                vg_admin_handle(a, &r, &rs);
                static char buf[1 << 16]; /* not the arena: its allocations would fail too */
                snprintf(buf, sizeof buf, "%d %.*s", rs.status, i == 3 ? 0 : (int)rs.body.len,
                         rs.body.len ? rs.body.p : "");
                /* a JSON body that cannot be read is a 400 */
                got = rs.status == 400 && (i == 1 || i == 8) ? want
                      : rs.status == 500                     ? "500 "
                                                             : buf;
                vg_admin_response_free(&rs);
            } else {
                wrong += err.code != VG_ERR_NOMEM;
            }
            done = !vg_alloc_failed();
            vg_alloc_fail_at(0, 0);
            if (strcmp(got, want) != 0 && strcmp(got, "500 ") != 0) {
                fprintf(stderr, "request %zu, fail at %llu: %s\n", i, (unsigned long long)fail,
                        got);
                wrong++;
            }
            vg_admin_stop(a);
        }
        CHECK(done);
    }
    CHECK_INT(wrong, 0);
    CHECK_INT(vg_mem_in_use(VG_MEM_IO), io);
    CHECK_INT(vg_mem_in_use(VG_MEM_OTHER), other);
    engine_close(&e);
}

/* ---- the address ---- */

static void test_listen(void)
{
    engine e;
    CHECK(engine_open(&e));
    vg_error err;
    vg_error_clear(&err);
    CHECK(vg_admin_new(e.r.plan, &(vg_admin_opts){.listen = "nonsense"}, &err) == NULL);
    CHECK_STR(err.msg, "admin address 'nonsense' is not HOST:PORT (e.g. 127.0.0.1:8470)");
    vg_error_clear(&err);
    CHECK(vg_admin_new(e.r.plan, &(vg_admin_opts){.listen = "127.0.0.1:70000"}, &err) == NULL);
    CHECK_INT(err.code, VG_ERR_USAGE);
    vg_error_clear(&err);
    CHECK(vg_admin_start(e.r.plan, &(vg_admin_opts){.listen = "0.0.0.0:0"}, &err) == NULL);
    CHECK_STR(err.msg, "the admin API on 0.0.0.0:0 would be reachable beyond this machine: give "
                       "it a token (admin.token, --admin-token) or listen on 127.0.0.1");
    CHECK_INT(err.code, VG_ERR_USAGE);
    vg_error_clear(&err);
    vg_admin *a =
        vg_admin_start(e.r.plan, &(vg_admin_opts){.listen = "0.0.0.0:0", .token = "t"}, &err);
    CHECK(a != NULL);
    CHECK(a && strncmp(vg_admin_url(a), "http://0.0.0.0:", 15) == 0 &&
          strcmp(vg_admin_url(a), "http://0.0.0.0:0") != 0);
    /* beyond loopback, a Host that is an address is fine, a name is not */
    if (a) {
        unsigned port = (unsigned)atoi(strrchr(vg_admin_url(a), ':') + 1);
        vg_admin_attach(a, e.r.dag, e.reg, &e.m);
        const char *h = vg_arena_printf(arena, "192.0.2.7:%u", port);
        CHECK(
            starts(ask(a, (req){.method = "GET", .url = "/health", .host = h, .auth = "Bearer t"}),
                   "200 {\"status\":\"ok\""));
        h = vg_arena_printf(arena, "rebind.example:%u", port);
        CHECK(
            starts(ask(a, (req){.method = "GET", .url = "/health", .host = h, .auth = "Bearer t"}),
                   "421 "));
        vg_admin_attach(a, NULL, NULL, NULL);
    }
    vg_admin_stop(a);
    vg_error_clear(&err);
    vg_admin *busy = vg_admin_start(e.r.plan, &(vg_admin_opts){.listen = "127.0.0.1:0"}, &err);
    CHECK(busy != NULL);
    if (busy) { /* its port is taken */
        const char *url = vg_admin_url(busy);
        const char *addr = vg_arena_printf(arena, "%s", url + 7);
        CHECK(vg_admin_start(e.r.plan, &(vg_admin_opts){.listen = addr}, &err) == NULL);
        CHECK_STR(err.msg, vg_arena_printf(arena,
                                           "admin: cannot listen on %s: Address already "
                                           "in use",
                                           addr));
    }
    vg_admin_stop(busy);
    engine_close(&e);
}

/* ---- the server ---- */

typedef struct client {
    const char *url;
    const char *sql;
    vg_admin_format fmt;
    int rc;
    vg_error err;
    char *out;
    size_t len;
    bool signal_done; /* send SIGUSR1 to the runner when done */
} client;

static pthread_t runner;
static volatile sig_atomic_t stop;

static void on_usr1(int sig)
{
    (void)sig;
    stop = 1;
}

static void *client_main(void *arg)
{
    client *c = arg;
    FILE *f = open_memstream(&c->out, &c->len);
    vg_error_clear(&c->err);
    c->rc = vg_admin_client_query(c->url, NULL, c->sql, NULL, 0, c->fmt, f, &c->err);
    fclose(f);
    if (c->signal_done) /* as a SIGINT stops replay --hold */
        pthread_kill(runner, SIGUSR1);
    return NULL;
}

/* A request handed to the server's queue from another thread, as an HTTP
 * thread does: timed() of it, the runner signalled when it is done. */
typedef struct handler {
    vg_admin *a;
    const char *method, *path, *host;
    const char *out; /* timed()'s answer */
} handler;

static void *handler_main(void *arg)
{
    handler *h = arg;
    h->out = timed(h->a, h->method, h->path, h->host);
    pthread_kill(runner, SIGUSR1);
    return NULL;
}

/* sql through the real server and client, the runner holding until the
 * client is done. */
static client served(vg_admin *a, const char *sql, vg_admin_format fmt)
{
    stop = 0;
    runner = pthread_self();
    client c = {.url = vg_admin_url(a), .sql = sql, .fmt = fmt, .signal_done = true};
    pthread_t t;
    pthread_create(&t, NULL, client_main, &c);
    vg_error err;
    CHECK_INT(vg_admin_hold(a, &stop, &err), 0);
    pthread_join(t, NULL);
    return c;
}

static void test_server(void)
{
    engine e;
    CHECK(engine_open(&e));
    vg_error err;
    vg_error_clear(&err);
    vg_admin *a = vg_admin_start(e.r.plan, &(vg_admin_opts){.listen = "127.0.0.1:0"}, &err);
    CHECK(a != NULL);
    if (!a) {
        engine_close(&e);
        return;
    }
    vg_admin_attach(a, e.r.dag, e.reg, &e.m);
    client c = served(a, "SELECT * FROM counts ORDER BY k", VG_ADMIN_JSON_LINES);
    CHECK_INT(c.rc, 0);
    CHECK_STR(c.out, "{\"k\":\"a\",\"n\":2,\"total\":301}\n{\"k\":\"b\",\"n\":1,\"total\":2}\n");
    free(c.out);
    c = served(a, "SELECT k, total / 2.0 AS half, n > 1 AS many FROM counts ORDER BY k",
               VG_ADMIN_TABLE);
    CHECK_STR(c.out, "k  half   many\n-  -----  ----\na  150.5  1\nb  1.0    0\n(2 rows)\n");
    free(c.out);
    c = served(a, "SELECT k\nFROM counts WHERE nope", VG_ADMIN_JSON_LINES);
    CHECK_INT(c.rc, 1);
    CHECK_STR(c.err.msg, "no such column: nope");
    CHECK_INT(c.err.line, 2);
    CHECK_INT(c.err.col, 19);
    CHECK_STR(c.err.source_line, "FROM counts WHERE nope");
    CHECK_STR(c.err.file, "<query>");
    free(c.out);
    /* the runner's times, on what it served from the queue only */
    const char *host = vg_admin_url(a) + strlen("http://");
    for (int i = 0; i < 2; i++) {
        stop = 0;
        runner = pthread_self();
        handler h = {.a = a, .method = i ? "GET" : "POST", .path = i ? "/metrics" : "/query",
                     .host = host};
        pthread_t t;
        pthread_create(&t, NULL, handler_main, &h);
        CHECK_INT(vg_admin_hold(a, &stop, &err), 0);
        pthread_join(t, NULL);
        CHECK_STR(h.out, "200 t t");
    }
    CHECK_STR(timed(a, "GET", "/health", host), "200 -1 -1");
    CHECK_STR(timed(a, "GET", "/nope", host), "404 -1 -1");
    CHECK_STR(timed(a, "POST", "/query", "evil.example:80"), "421 -1 -1");
    /* a request that no batch boundary serves gives up */
    vg_admin_stop(a);
    a = vg_admin_start(e.r.plan, &(vg_admin_opts){.listen = "127.0.0.1:0", .wait_ms = 50}, &err);
    vg_admin_attach(a, e.r.dag, e.reg, &e.m);
    c = (client){.url = vg_admin_url(a), .sql = "SELECT 1"};
    client_main(&c);
    CHECK_INT(c.rc, 1);
    CHECK_STR(c.err.msg, "the pipeline did not reach a batch boundary within 50 ms");
    free(c.out);
    CHECK_STR(timed(a, "POST", "/query", vg_admin_url(a) + strlen("http://")), "503 -1 -1");
    vg_admin_attach(a, NULL, NULL, NULL);
    CHECK_STR(timed(a, "POST", "/query", vg_admin_url(a) + strlen("http://")), "503 -1 -1");
    c = (client){.url = vg_admin_url(a), .sql = "SELECT 1"};
    client_main(&c);
    CHECK_STR(c.err.msg, "the pipeline is not running");
    free(c.out);
    vg_admin_stop(a);
    c = (client){.url = "127.0.0.1:1", .sql = "SELECT 1"};
    client_main(&c);
    CHECK_INT(c.rc, -1);
    CHECK_STR(c.err.msg, "cannot reach the admin API at 127.0.0.1:1: Connection refused");
    free(c.out);
    c = (client){.url = "https://127.0.0.1:1", .sql = "SELECT 1"};
    client_main(&c);
    CHECK_INT(c.err.code, VG_ERR_USAGE);
    free(c.out);
    engine_close(&e);
}

int main(void)
{
    arena = vg_arena_new(VG_MEM_OTHER, 0);
    snprintf(dir, sizeof dir, "/tmp/vigil-admin-XXXXXX");
    if (!mkdtemp(dir))
        return 1;
    FILE *f = fopen(vg_arena_printf(arena, "%s/rules.yaml", dir), "w");
    fputs(RULES, f);
    fclose(f);
    struct sigaction sa = {.sa_handler = on_usr1};
    sigaction(SIGUSR1, &sa, NULL);
    RUN(test_host);
    RUN(test_token);
    RUN(test_routes);
    RUN(test_health_and_plan);
    RUN(test_query);
    RUN(test_metrics);
    RUN(test_rules_models);
    RUN(test_activations);
    RUN(test_commands);
    RUN(test_alloc_failures);
    RUN(test_listen);
    RUN(test_server);
    remove(vg_arena_printf(arena, "%s/rules.yaml", dir));
    rmdir(dir);
    vg_arena_free(arena);
    return CHECK_DONE();
}
