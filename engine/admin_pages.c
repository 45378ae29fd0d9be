/*
 * admin_pages.c — what each admin endpoint answers.
 *
 * Every page but /health runs on the runner's thread between batches
 * (admin_route.c queues it there), so it may read the DAG, the registry
 * and the metrics as they stand. Bodies are JSON unless the format is
 * Prometheus text or EXPLAIN's text and dot.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/admin_int.h"
#include "engine/checkpoint_cmd.h"
#include "engine/clock.h"
#include "engine/json_out.h"
#include "engine/registry.h"

/* ---- errors ---- */

static void nomem(vg_admin_response *rs)
{
    rs->status = 500;
    vg_buf_clear(&rs->body);
}

static int put_str(vg_buf *b, const char *s) { return vg_json_write_string(b, s, strlen(s)); }

/* A JSON string, or null. */
static int put_str_or_null(vg_buf *b, const char *s)
{
    return s ? put_str(b, s) : vg_buf_puts(b, "null");
}

void admin_error(vg_admin_response *rs, int status, const char *message)
{
    rs->status = status;
    rs->content_type = "application/json";
    vg_buf_clear(&rs->body);
    if (vg_buf_puts(&rs->body, "{\"error\":") < 0 || put_str(&rs->body, message) < 0 ||
        vg_buf_puts(&rs->body, "}\n") < 0)
        nomem(rs);
}

void admin_error_of(vg_admin_response *rs, int status, const vg_error *err)
{
    admin_error(rs, status, err->msg);
    if (!err->has_pos || rs->status == 500)
        return;
    vg_buf *b = &rs->body;
    b->len -= 2; /* reopen the object: "}\n" */
    char caret[300];
    uint32_t col = err->col < 256 ? err->col : 256, n = err->mark_len ? err->mark_len : 1;
    snprintf(caret, sizeof caret, "%s\n%*s%.*s", err->source_line, (int)(col - 1), "",
             (int)(n < 40 ? n : 40), "^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^");
    if (vg_buf_printf(b, ",\"line\":%u,\"column\":%u,\"length\":%u,\"context\":", err->line,
                      err->col, n) < 0 ||
        put_str(b, caret) < 0 || vg_buf_puts(b, "}\n") < 0)
        nomem(rs);
}

static void ok(vg_admin_response *rs, const char *content_type)
{
    rs->status = 200;
    rs->content_type = content_type;
}

/* ---- /health ---- */

void admin_page_health(vg_admin *a, const vg_admin_request *rq, vg_admin_response *rs)
{
    (void)rq;
    static const char *const states[] = {"starting", "running", "holding", "stopped"};
    ok(rs, "application/json");
    if (vg_buf_printf(&rs->body,
                      "{\"status\":\"ok\",\"state\":\"%s\",\"uptime_seconds\":%.3f,"
                      "\"requests\":%llu}\n",
                      states[atomic_load(&a->state)],
                      (double)(vg_clock_ms() - a->started_ms) / 1000.0,
                      (unsigned long long)atomic_load(&a->served)) < 0)
        nomem(rs);
}

/* ---- /metrics ---- */

void admin_page_metrics(vg_admin *a, const vg_admin_request *rq, vg_admin_response *rs)
{
    (void)rq;
    vg_metrics none;
    vg_metrics *m = a->metrics;
    if (!m) {
        vg_metrics_init(&none);
        m = &none;
    }
    m->requests = atomic_load(&a->served);
    ok(rs, "text/plain; version=0.0.4; charset=utf-8");
    if (vg_metrics_write(m, a->plan, a->dag, &rs->body) < 0)
        nomem(rs);
}

/* ---- /plan ---- */

/* The value of parameter name in query string q ("a=1&format=dot"), in out. */
static bool param(const char *q, const char *name, char *out, size_t cap)
{
    size_t n = strlen(name);
    for (const char *p = q; p && *p; p = strchr(p, '&') ? strchr(p, '&') + 1 : NULL) {
        if (strncmp(p, name, n) == 0 && p[n] == '=') {
            size_t len = strcspn(p + n + 1, "&");
            if (len >= cap)
                len = cap - 1;
            memcpy(out, p + n + 1, len);
            out[len] = 0;
            return true;
        }
    }
    return false;
}

static const char *kind_name(const vg_plan_node *n)
{
    const vg_op_kind *k = vg_op_kind_for(n->kind);
    return k ? k->name : "match";
}

static int put_node(vg_admin *a, vg_buf *b, const vg_plan_node *n)
{
    int rc = vg_buf_printf(b, "{\"id\":%u,\"kind\":\"%s\",\"name\":", n->id, kind_name(n)) |
             put_str_or_null(b, n->name) | vg_buf_puts(b, ",\"view\":") |
             put_str_or_null(b, n->view) | vg_buf_puts(b, ",\"inputs\":[");
    for (uint32_t i = 0; i < n->ninputs; i++)
        rc |= vg_buf_printf(b, "%s%u", i ? "," : "", n->inputs[i]->id);
    rc |= vg_buf_puts(b, "],\"columns\":[");
    for (uint32_t i = 0; i < n->schema.ncols; i++)
        rc |= vg_buf_puts(b, i ? ",{\"name\":" : "{\"name\":") |
              put_str(b, n->schema.cols[i].name) | vg_buf_puts(b, ",\"type\":") |
              put_str(b, vg_type_name(n->schema.cols[i].type)) | vg_buf_putc(b, '}');
    rc |= vg_buf_printf(b, "],\"updating\":%s,\"table\":", n->updating ? "true" : "false");
    return rc | put_str_or_null(b, a->live ? vg_live_table_of(a->live, n->id) : NULL) |
           vg_buf_putc(b, '}');
}

static int plan_json(vg_admin *a, vg_buf *b)
{
    int rc = vg_buf_puts(b, "{\"nodes\":[");
    for (uint32_t i = 0; i < a->plan->nnodes && !rc; i++)
        rc = (i ? vg_buf_putc(b, ',') : 0) | put_node(a, b, a->plan->nodes[i]);
    return rc | vg_buf_puts(b, "]}\n");
}

/* EXPLAIN as text or dot into b. */
static int plan_explain(vg_admin *a, vg_explain_format fmt, vg_buf *b)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f)
        return -1;
    int rc = vg_plan_explain(a->plan, fmt, f);
    rc |= fclose(f);
    if (!rc)
        rc = vg_buf_append(b, text, len);
    free(text);
    return rc;
}

void admin_page_plan(vg_admin *a, const vg_admin_request *rq, vg_admin_response *rs)
{
    char fmt[16] = "text";
    param(rq->query, "format", fmt, sizeof fmt);
    int rc;
    if (strcmp(fmt, "json") == 0) {
        ok(rs, "application/json");
        rc = plan_json(a, &rs->body);
    } else if (strcmp(fmt, "text") == 0 || strcmp(fmt, "dot") == 0) {
        ok(rs, fmt[0] == 't' ? "text/plain; charset=utf-8" : "text/vnd.graphviz");
        rc = plan_explain(a, fmt[0] == 't' ? VG_EXPLAIN_TEXT : VG_EXPLAIN_DOT, &rs->body);
    } else {
        admin_error(rs, 400, "format must be text, dot or json");
        return;
    }
    if (rc < 0)
        nomem(rs);
}

/* ---- /query ---- */

/* A /query request: its SQL and the values of its parameters. */
typedef struct query_req {
    const char *sql;       /* the body, or the JSON's "sql" (in doc) */
    size_t len;            /* bytes of sql */
    json_t *doc;           /* the JSON body (owned), or NULL */
    vg_live_param *params; /* "params" (owned; strings in doc), or NULL */
    uint32_t nparams;      /* values in params */
    bool failed;           /* the request was wrong: the response holds its error */
} query_req;

#define MAX_PARAMS 16 /* SQLITE_LIMIT_VARIABLE_NUMBER of engine/live_query.c */

/* JSON value v as a query parameter. false when it is not a scalar. */
static bool param_of(json_t *v, vg_live_param *p)
{
    if (json_is_string(v))
        *p = (vg_live_param){VG_T_STRING,
                             vg_str(json_string_value(v), (uint32_t)json_string_length(v))};
    else if (json_is_integer(v))
        *p = (vg_live_param){VG_T_BIGINT, vg_int(json_integer_value(v))};
    else if (json_is_real(v))
        *p = (vg_live_param){VG_T_DOUBLE, vg_double(json_real_value(v))};
    else if (json_is_boolean(v))
        *p = (vg_live_param){VG_T_BOOL, vg_bool(json_is_true(v))};
    else if (json_is_null(v))
        *p = (vg_live_param){VG_T_NULL, vg_null()};
    else
        return false;
    return true;
}

/* The "params" of the JSON body into q. 0, or -1 with rs set. */
static int query_params(json_t *arr, query_req *q, vg_admin_response *rs)
{
    char msg[200];
    size_t n = json_array_size(arr);
    if (!json_is_array(arr) || n > MAX_PARAMS) {
        snprintf(msg, sizeof msg, "\"params\" must be an array of at most %d values", MAX_PARAMS);
        admin_error(rs, 400, msg);
        return -1;
    }
    if (n && !(q->params = vg_calloc(VG_MEM_IO, n, sizeof *q->params))) {
        nomem(rs);
        return -1;
    }
    q->nparams = (uint32_t)n;
    for (size_t i = 0; i < n; i++)
        if (!param_of(json_array_get(arr, i), &q->params[i])) {
            snprintf(msg, sizeof msg,
                     "parameter %zu must be a string, a number, true, false or null", i + 1);
            admin_error(rs, 400, msg);
            return -1;
        }
    return 0;
}

/* The SQL of a /query body: the body itself, or its "sql" member (and its
 * "params") when it is JSON. 0, or -1 with rs set to the error; either way
 * query_req_free(q) after. */
static int parse_query(const vg_admin_request *rq, query_req *q, vg_admin_response *rs)
{
    const char *p = rq->body ? rq->body : "";
    size_t n = rq->body_len, i = 0;
    while (i < n && (p[i] == ' ' || p[i] == '\n' || p[i] == '\r' || p[i] == '\t'))
        i++;
    bool json = (rq->content_type && strncmp(rq->content_type, "application/json", 16) == 0) ||
                (i < n && p[i] == '{');
    *q = (query_req){.sql = p, .len = n};
    if (!json)
        return 0;
    json_error_t jerr;
    q->doc = json_loadb(p, n, JSON_REJECT_DUPLICATES, &jerr);
    json_t *sql = q->doc ? json_object_get(q->doc, "sql") : NULL;
    if (!json_is_string(sql)) {
        char msg[300];
        if (q->doc)
            snprintf(msg, sizeof msg, "the JSON body needs \"sql\": a string");
        else
            snprintf(msg, sizeof msg, "the body is not JSON: %s", jerr.text);
        admin_error(rs, 400, msg);
        return -1;
    }
    q->sql = json_string_value(sql);
    q->len = json_string_length(sql);
    json_t *params = json_object_get(q->doc, "params");
    return params ? query_params(params, q, rs) : 0;
}

static void query_req_free(query_req *q)
{
    vg_free(q->params);
    json_decref(q->doc);
}

void *admin_query_prepare(const vg_admin_request *rq, vg_admin_response *rs)
{
    query_req *q = vg_calloc(VG_MEM_IO, 1, sizeof *q);
    if (q)
        q->failed = parse_query(rq, q, rs) < 0;
    return q;
}

void admin_query_release(void *ctx)
{
    query_req_free(ctx);
    vg_free(ctx);
}

/* The HTTP status of a failed query. */
static int query_status(const vg_error *err)
{
    switch (err->code) {
    case VG_ERR_SEMANTIC:
        return 403; /* refused: not read-only, not allowed */
    case VG_ERR_RUNTIME:
        return 422; /* stopped by a limit */
    case VG_ERR_NOMEM:
        return 500;
    default:
        return 400; /* does not compile */
    }
}

/* The page runs on the runner's thread: the body was parsed on the HTTP
 * thread (admin_query_prepare) unless memory ran out there. */
void admin_page_query(vg_admin *a, const vg_admin_request *rq, vg_admin_response *rs)
{
    query_req own, *q = a->job_ctx;
    if (!q) {
        q = &own;
        q->failed = parse_query(rq, q, rs) < 0;
    }
    if (a->metrics)
        a->metrics->queries++;
    if (!q->failed && !a->live) /* a reload could not open the new plan's tables */
        admin_error(rs, 503, "live tables are not available: out of memory");
    vg_error err;
    vg_error_clear(&err);
    if (q->failed || !a->live) {
        if (a->metrics)
            a->metrics->query_errors++;
    } else {
        vg_live_attach(a->live, a->dag, a->metrics ? a->metrics->partitions : 1);
        ok(rs, "application/json");
        if (vg_live_query_params(a->live, q->sql, q->len, q->params, q->nparams, &a->opts.limits,
                                 &rs->body, &err) == 0) {
            if (vg_buf_putc(&rs->body, '\n') < 0)
                nomem(rs);
        } else {
            if (a->metrics)
                a->metrics->query_errors++;
            admin_error_of(rs, query_status(&err), &err);
        }
    }
    if (q == &own)
        query_req_free(q);
}

/* ---- /reload ---- */

/* The request in a /reload body: empty, or {"dry_run": BOOL, "confirm":
 * BOOL} (both optional). 0, or -1 with rs set to the 400. */
static int reload_request(const vg_admin_request *rq, vg_reload_request *out,
                          vg_admin_response *rs)
{
    memset(out, 0, sizeof *out);
    const char *p = rq->body ? rq->body : "";
    size_t n = rq->body_len, i = 0;
    while (i < n && (p[i] == ' ' || p[i] == '\n' || p[i] == '\r' || p[i] == '\t'))
        i++;
    if (i == n)
        return 0;
    json_error_t jerr;
    json_t *doc = json_loadb(p, n, JSON_REJECT_DUPLICATES, &jerr), *v;
    const char *key, *bad = NULL;
    char msg[300];
    if (!json_is_object(doc))
        snprintf(msg, sizeof msg, "the body must be a JSON object such as {\"dry_run\": true}%s%s",
                 doc ? "" : ": ", doc ? "" : jerr.text);
    json_object_foreach(doc, key, v) {
        bool *dst = strcmp(key, "dry_run") == 0   ? &out->dry_run
                    : strcmp(key, "confirm") == 0 ? &out->confirm
                                                  : NULL;
        if (!dst || !json_is_boolean(v)) {
            bad = key;
            snprintf(msg, sizeof msg, "%s member '%s' (the body takes dry_run and confirm, "
                                      "true or false)",
                     dst ? "a boolean is expected for" : "unknown", key);
            break;
        }
        *dst = json_is_true(v);
    }
    bool ok = json_is_object(doc) && !bad;
    json_decref(doc);
    if (!ok)
        admin_error(rs, 400, msg);
    return ok ? 0 : -1;
}

/* The HTTP status of a reload that failed: its SQL, YAML or files are
 * wrong (400), it conflicts with what runs (409), the store cannot take its
 * checkpoint now (503), or the engine failed. */
static int reload_failure_status(const vg_error *err)
{
    if (err->retriable)
        return 503; /* vigil run: the checkpoint before the swap could not be written now */
    switch (err->code) {
    case VG_ERR_NOMEM:
    case VG_ERR_RUNTIME:
        return 500;
    case VG_ERR_USAGE:
        return 409;
    default:
        return 400;
    }
}

/* rs: {"status":S,"error":...,"file":...,"line":...} for a failed or
 * refused reload, with the state plan's members when there is one. */
static void reload_refused(vg_admin_response *rs, int status, const char *what,
                           const vg_reload_answer *ans)
{
    admin_error_of(rs, status, &ans->err);
    vg_buf *b = &rs->body;
    if (rs->status == 500 && !b->len)
        return; /* out of memory */
    b->len -= 2; /* reopen the object: "}\n" */
    int rc = vg_buf_printf(b, ",\"status\":\"%s\"", what);
    if (ans->err.has_pos)
        rc |= vg_buf_puts(b, ",\"file\":") | put_str(b, ans->err.file);
    if (ans->report)
        rc |= vg_buf_putc(b, ',') | vg_reload_report_json(ans->report, b);
    if ((rc | vg_buf_puts(b, "}\n")) < 0)
        nomem(rs);
}

void admin_page_reload(vg_admin *a, const vg_admin_request *rq, vg_admin_response *rs)
{
    static const char *const names[] = {[VG_RELOAD_APPLIED] = "applied",
                                        [VG_RELOAD_DRY_RUN] = "dry_run",
                                        [VG_RELOAD_UNCONFIRMED] = "unconfirmed",
                                        [VG_RELOAD_FAILED] = "failed"};
    vg_reload_request req;
    if (!a->reload) { /* a runner without a reload service */
        admin_page_not_yet(a, rq, rs);
        return;
    }
    if (reload_request(rq, &req, rs) < 0)
        return;
    vg_reload_answer ans = {.status = VG_RELOAD_FAILED};
    vg_error_clear(&ans.err);
    a->reload(a->reload_arg, &req, &ans);
    if (ans.status == VG_RELOAD_FAILED) {
        reload_refused(rs, reload_failure_status(&ans.err), names[ans.status], &ans);
    } else if (ans.status == VG_RELOAD_UNCONFIRMED) {
        reload_refused(rs, 409, names[ans.status], &ans);
    } else {
        ok(rs, "application/json");
        if ((vg_buf_printf(&rs->body, "{\"status\":\"%s\",", names[ans.status]) |
             vg_reload_report_json(ans.report, &rs->body) | vg_buf_puts(&rs->body, "}\n")) < 0)
            nomem(rs);
    }
    vg_reload_answer_free(&ans);
}

/* ---- GET /rules, GET /models, /checkpoints, not yet ---- */

static int put_rule(vg_buf *b, const vg_rule *r)
{
    return put_str(b, r->rule_id) |
           vg_buf_printf(b, ",\"priority\":%lld,\"condition\":", (long long)r->priority) |
           put_str(b, r->condition) | vg_buf_puts(b, ",\"action\":") | put_str(b, r->action) |
           vg_buf_printf(b, ",\"mode\":\"%s\",\"enabled\":%s,\"changed_by\":",
                         r->shadow ? "shadow" : "active", r->enabled ? "true" : "false") |
           put_str_or_null(b, r->changed_by);
}

static int put_ruleset(vg_admin *a, vg_buf *b, const vg_plan_ruleset *d)
{
    vg_ruleset_slot *s = a->registry ? vg_registry_ruleset(a->registry, d->name) : NULL;
    const vg_ruleset *rs = s ? s->rules : NULL;
    int rc =
        vg_buf_puts(b, "{\"name\":") | put_str(b, d->name) |
        vg_buf_printf(
            b, ",\"version\":%lld,\"default\":", (long long)(rs ? vg_ruleset_version(rs) : 0)) |
        put_str(b, rs ? vg_ruleset_default_action(rs) : d->default_action) |
        vg_buf_puts(b, ",\"file\":") | put_str_or_null(b, d->file) | vg_buf_puts(b, ",\"rules\":[");
    for (uint32_t i = 0; rs && i < vg_ruleset_nrules(rs); i++)
        rc |= vg_buf_puts(b, i ? ",{\"rule_id\":" : "{\"rule_id\":") |
              put_rule(b, vg_ruleset_rule(rs, i)) | vg_buf_putc(b, '}');
    return rc | vg_buf_puts(b, "]}");
}

void admin_page_rules(vg_admin *a, const vg_admin_request *rq, vg_admin_response *rs)
{
    (void)rq;
    ok(rs, "application/json");
    int rc = vg_buf_puts(&rs->body, "{\"rulesets\":[");
    for (uint32_t i = 0; i < a->plan->nrulesets; i++)
        rc |=
            (i ? vg_buf_putc(&rs->body, ',') : 0) | put_ruleset(a, &rs->body, a->plan->rulesets[i]);
    if ((rc | vg_buf_puts(&rs->body, "]}\n")) < 0)
        nomem(rs);
}

static int put_columns(vg_buf *b, const vg_schema *s)
{
    int rc = vg_buf_putc(b, '[');
    for (uint32_t i = 0; i < s->ncols; i++)
        rc |= vg_buf_puts(b, i ? ",{\"name\":" : "{\"name\":") | put_str(b, s->cols[i].name) |
              vg_buf_puts(b, ",\"type\":") | put_str(b, vg_type_name(s->cols[i].type)) |
              vg_buf_putc(b, '}');
    return rc | vg_buf_putc(b, ']');
}

static int put_model(vg_admin *a, vg_buf *b, const vg_plan_model *d)
{
    vg_model_slot *s = a->registry ? vg_registry_model(a->registry, d->name) : NULL;
    return vg_buf_puts(b, "{\"name\":") | put_str(b, d->name) | vg_buf_puts(b, ",\"type\":") |
           put_str(b, vg_model_type_name((vg_model_type)d->type)) | vg_buf_puts(b, ",\"path\":") |
           put_str_or_null(b, d->path) |
           vg_buf_printf(b, ",\"version\":%lld,\"loaded\":%s,\"shadow\":",
                         (long long)(s && s->model ? s->version : 0),
                         s && s->model ? "true" : "false") |
           put_str_or_null(b, d->shadow ? d->shadow->name : NULL) | vg_buf_puts(b, ",\"inputs\":") |
           put_columns(b, &d->input) | vg_buf_puts(b, ",\"outputs\":") |
           put_columns(b, &d->output) | vg_buf_putc(b, '}');
}

void admin_page_models(vg_admin *a, const vg_admin_request *rq, vg_admin_response *rs)
{
    (void)rq;
    ok(rs, "application/json");
    int rc = vg_buf_puts(&rs->body, "{\"models\":[");
    for (uint32_t i = 0; i < a->plan->nmodels; i++)
        rc |= (i ? vg_buf_putc(&rs->body, ',') : 0) | put_model(a, &rs->body, a->plan->models[i]);
    if ((rc | vg_buf_puts(&rs->body, "]}\n")) < 0)
        nomem(rs);
}

void admin_page_checkpoints(vg_admin *a, const vg_admin_request *rq, vg_admin_response *rs)
{
    (void)rq;
    ok(rs, "application/json");
    if (!a->store) { /* a runner without a store: replay, or vigil run without state.store */
        if (vg_buf_puts(&rs->body, "{\"checkpoints\":[]}\n") < 0)
            nomem(rs);
        return;
    }
    vg_error err;
    vg_error_clear(&err);
    if (vg_checkpoint_cmd_json(a->store, a->pipeline, &rs->body, &err) < 0)
        admin_error(rs, err.code == VG_ERR_NOMEM ? 500 : 503, err.msg);
}

void admin_page_not_yet(vg_admin *a, const vg_admin_request *rq, vg_admin_response *rs)
{
    (void)a;
    char msg[200];
    snprintf(msg, sizeof msg,
             "%s %s is not available: this runner was not given the pipeline's files to "
             "compile again",
             rq->method, rq->path);
    admin_error(rs, 501, msg);
}
