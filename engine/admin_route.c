/*
 * admin_route.c — the admin API without its transport: the listen address,
 * the checks every request passes (Host, token, path, method, size), the
 * table of endpoints, and the queue through which HTTP threads hand
 * requests that read the engine to the runner's thread.
 *
 * The order of the checks is deliberate: a request through a foreign Host
 * name (DNS rebinding) learns nothing, not even whether a token is needed;
 * one without the token learns nothing about paths.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "engine/admin_int.h"
#include "engine/clock.h"

#define DEFAULT_MAX_BODY (64 * 1024)
#define DEFAULT_WAIT_MS  30000
#define DEFAULT_PAUSE_MS 100

/* ---- the endpoints ---- */

static const admin_route routes[] = {
    {"/health", "GET", false, admin_page_health, NULL,
     "liveness and where the runner stands: {\"status\":\"ok\",\"state\":\"running\",...}", false,
     NULL, NULL},
    {"/metrics", "GET", true, admin_page_metrics, NULL, "Prometheus text format (version 0.0.4)",
     false, NULL, NULL},
    {"/plan", "GET", true, admin_page_plan, NULL,
     "the running operator DAG; ?format=text (default), dot or json", false, NULL, NULL},
    {"/query", "POST", true, NULL, admin_page_query,
     "live state in SQL: the body is one SELECT, or JSON {\"sql\": \"...\", \"params\": [...]}",
     false, admin_query_prepare, admin_query_release},
    {"/rules", "GET, POST", true, admin_page_rules, admin_page_rules_post,
     "GET: the active version of every ruleset, with its rules; POST {\"ruleset\": R, "
     "\"version\": N} activates a stored version, {\"ruleset\": R, \"rules\": [...]} stores "
     "and activates new rules (compiled first)",
     true, NULL, NULL},
    {"/models", "GET, POST", true, admin_page_models, admin_page_models_post,
     "GET: every model: its file, type, version, features and outputs; POST {\"model\": M, "
     "\"version\": N} activates a stored version, {\"model\": M, \"path\": FILE} loads a "
     "new one and activates it",
     true, NULL, NULL},
    {"/checkpoints", "GET", true, admin_page_checkpoints, NULL,
     "the checkpoints of the pipeline's store, newest first, with their offsets, sink "
     "positions and versions",
     false, NULL, NULL},
    {"/reload", "POST", true, NULL, admin_page_reload,
     "reload the pipeline's files: the state plan as JSON; body {\"dry_run\": true} only "
     "shows it, {\"confirm\": true} applies one that drops state",
     true, NULL, NULL},
};

const admin_route *admin_find_route(const char *path)
{
    for (size_t i = 0; path && i < sizeof routes / sizeof routes[0]; i++)
        if (strcmp(routes[i].path, path) == 0)
            return &routes[i];
    return NULL;
}

/* ---- the listen address ---- */

/* Split "HOST:PORT" or "[V6]:PORT" into a->host and a->port, and classify
 * the host. 0 or -1 (err). */
static int parse_listen(vg_admin *a, const char *listen, vg_error *err)
{
    const char *colon = strrchr(listen, ':'), *h = listen;
    size_t hn = colon ? (size_t)(colon - listen) : 0;
    if (hn >= 2 && h[0] == '[' && h[hn - 1] == ']')
        h++, hn -= 2;
    char *end = NULL;
    unsigned long port = colon && colon[1] ? strtoul(colon + 1, &end, 10) : 0;
    if (!colon || !end || *end || port > 65535 || hn >= sizeof a->host)
        return vg_error_set(err, VG_ERR_USAGE,
                            "admin address '%s' is not HOST:PORT (e.g. 127.0.0.1:8470)", listen);
    memcpy(a->host, h, hn);
    a->host[hn] = 0;
    a->port = (unsigned)port;
    unsigned char ip[16];
    a->loopback = strcasecmp(a->host, "localhost") == 0 || strcmp(a->host, "::1") == 0 ||
                  (inet_pton(AF_INET, a->host, ip) == 1 && ip[0] == 127);
    a->wildcard = !a->host[0] || strcmp(a->host, "0.0.0.0") == 0 || strcmp(a->host, "::") == 0;
    if (!a->host[0])
        strcpy(a->host, "0.0.0.0");
    return 0;
}

static void set_url(vg_admin *a)
{
    bool v6 = strchr(a->host, ':') != NULL;
    snprintf(a->url, sizeof a->url, "http://%s%s%s:%u", v6 ? "[" : "",
             strcasecmp(a->host, "localhost") == 0 ? "127.0.0.1" : a->host, v6 ? "]" : "", a->port);
}

/* ---- checks ---- */

static bool ip_literal(const char *name)
{
    unsigned char ip[16];
    return inet_pton(AF_INET, name, ip) == 1 || inet_pton(AF_INET6, name, ip) == 1;
}

/* Whether a Host header names this server: the port must be ours, the name
 * the listen host, or on loopback any loopback name, or on a wildcard
 * address any IP literal (a name could be an attacker's, rebound to us). */
static bool host_allowed(const vg_admin *a, const char *host)
{
    char name[256];
    if (!host)
        return false;
    const char *colon = strrchr(host, ':');
    size_t n = colon ? (size_t)(colon - host) : 0;
    if (!colon || n == 0 || n >= sizeof name || strtoul(colon + 1, NULL, 10) != a->port ||
        strspn(colon + 1, "0123456789") != strlen(colon + 1))
        return false;
    if (host[0] == '[' && host[n - 1] == ']')
        memcpy(name, host + 1, n - 2), name[n - 2] = 0;
    else
        memcpy(name, host, n), name[n] = 0;
    if (strcasecmp(name, a->host) == 0)
        return true;
    if (a->loopback)
        return strcmp(name, "127.0.0.1") == 0 || strcasecmp(name, "localhost") == 0 ||
               strcmp(name, "::1") == 0;
    return a->wildcard && (ip_literal(name) || strcasecmp(name, "localhost") == 0);
}

/* Whether the Authorization header carries the token (compared in constant time). */
static bool token_ok(const vg_admin *a, const char *auth)
{
    if (!a->token)
        return true;
    if (!auth || strncasecmp(auth, "Bearer ", 7) != 0)
        return false;
    const char *got = auth + 7;
    size_t gn = strlen(got), wn = strlen(a->token);
    unsigned diff = gn != wn;
    for (size_t i = 0; i < wn; i++)
        diff |= (unsigned)(unsigned char)a->token[i] ^ (unsigned char)(i < gn ? got[i] : 0);
    return diff == 0;
}

/* ---- the hand-off to the runner ---- */

typedef void page_fn(vg_admin *a, const vg_admin_request *rq, vg_admin_response *rs);

static void not_running(vg_admin_response *rs)
{
    admin_error(rs, 503, "the pipeline is not running");
}

/* Take job out of the queue if it is still there (lock held): whether it was. */
static bool unqueue(vg_admin *a, admin_job *job)
{
    for (admin_job **p = &a->head; *p; p = &(*p)->next)
        if (*p == job) {
            *p = job->next;
            if (a->tail == job) {
                a->tail = NULL;
                for (admin_job *j = a->head; j; j = j->next)
                    a->tail = j;
            }
            atomic_fetch_sub(&a->pending, 1);
            return true;
        }
    return false;
}

int64_t admin_now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

/* VIGIL_ADMIN_TRACE: where a request served by the runner spent its time
 * (its response's wait_ns and run_ns, and the HTTP thread's wake-up). */
static void trace(const vg_admin *a, const admin_job *job)
{
    char line[300];
    int64_t now = admin_now_ns();
    int n = snprintf(line, sizeof line, "%s %s wait_us=%.1f run_us=%.1f wake_us=%.1f\n",
                     job->rq->method, job->rq->path, job->rs->wait_ns / 1e3,
                     job->rs->run_ns / 1e3, (now - job->answered_ns) / 1e3);
    if (write(a->trace_fd, line, (size_t)n) < 0) {
        /* a trace is best effort */
    }
}

/* Wait for job's answer (lock held): 0, or -1 when it timed out while still
 * queued (and was taken out of the queue; lock held either way). */
static int sleep_for(vg_admin *a, admin_job *job)
{
    struct timespec until;
    clock_gettime(CLOCK_MONOTONIC, &until);
    until.tv_sec += a->opts.wait_ms / 1000;
    until.tv_nsec += (a->opts.wait_ms % 1000) * 1000000;
    if (until.tv_nsec >= 1000000000)
        until.tv_sec++, until.tv_nsec -= 1000000000;
    bool timed_out = false;
    while (!job->done) {
        int rc = timed_out ? pthread_cond_wait(&a->done_cv, &a->mu)
                           : pthread_cond_timedwait(&a->done_cv, &a->mu, &until);
        if (rc == ETIMEDOUT && !job->done) {
            timed_out = true; /* taken by the runner: its answer comes within its limits */
            if (unqueue(a, job))
                return -1;
        }
    }
    return 0;
}

/* Queue the request for the runner and wait for its answer (HTTP thread).
 * ctx: what the route's prepare made of it, for the runner's page. */
static void on_runner(vg_admin *a, const admin_route *route, const vg_admin_request *rq,
                      vg_admin_response *rs, void *ctx)
{
    admin_job job = {.route = route, .rq = rq, .rs = rs, .done = false, .ctx = ctx};
    pthread_mutex_lock(&a->mu);
    if (atomic_load(&a->state) == ADMIN_STOPPED) {
        pthread_mutex_unlock(&a->mu);
        not_running(rs);
        return;
    }
    if (a->tail)
        a->tail->next = &job;
    else
        a->head = &job;
    a->tail = &job;
    job.queued_ns = admin_now_ns();
    atomic_fetch_add(&a->pending, 1);
    pthread_cond_signal(&a->work_cv);
    if (a->wake_fd >= 0 && !atomic_load(&a->signaled)) {
        uint64_t one = 1;
        atomic_store(&a->signaled, true);
        if (write(a->wake_fd, &one, sizeof one) < 0) {
            /* the counter cannot overflow at one per request: nothing to do */
        }
    }
    int rc = sleep_for(a, &job);
    pthread_mutex_unlock(&a->mu);
    if (rc < 0) {
        char msg[160];
        snprintf(msg, sizeof msg, "the pipeline did not reach a batch boundary within %lld ms",
                 (long long)a->opts.wait_ms);
        admin_error(rs, 503, msg);
        return;
    }
    if (!job.taken_ns) /* answered 503 in the queue: the runner stopped */
        return;
    rs->wait_ns = job.taken_ns - job.queued_ns;
    rs->run_ns = job.answered_ns - job.taken_ns;
    if (a->trace_fd >= 0)
        trace(a, &job);
}

/* Answer every queued job with 503 (lock held). */
static void fail_queue(vg_admin *a)
{
    for (admin_job *j = a->head; j; j = j->next) {
        not_running(j->rs);
        j->done = true;
    }
    a->head = a->tail = NULL;
    atomic_store(&a->pending, 0);
    pthread_cond_broadcast(&a->done_cv);
}

/* The first queued job the runner can serve now (lock held): a reload
 * waits for a batch boundary; NULL when none can be. */
static admin_job *next_job(vg_admin *a)
{
    bool boundary = !a->reload_ready || a->reload_ready(a->reload_arg);
    for (admin_job *j = a->head; j; j = j->next)
        if (boundary || !j->route->batch_end)
            return j;
    return NULL;
}

/* Empty the wake-up descriptor (under mu, as the writer sets it). */
static void unsignal(vg_admin *a)
{
    pthread_mutex_lock(&a->mu);
    uint64_t n;
    if (atomic_load(&a->signaled) && read(a->wake_fd, &n, sizeof n) < 0) {
        /* EAGAIN: nothing to read */
    }
    atomic_store(&a->signaled, false);
    pthread_mutex_unlock(&a->mu);
}

void vg_admin_serve(vg_admin *a)
{
    if (atomic_load_explicit(&a->signaled, memory_order_acquire))
        unsignal(a);
    if (!atomic_load_explicit(&a->pending, memory_order_acquire))
        return;
    double t0 = vg_metrics_now();
    int64_t stop_at = vg_clock_ms() + a->opts.pause_ms;
    bool any = false;
    pthread_mutex_lock(&a->mu);
    for (admin_job *j; (j = next_job(a));) {
        unqueue(a, j);
        any = true;
        pthread_mutex_unlock(&a->mu);
        j->taken_ns = admin_now_ns();
        page_fn *fn = strcmp(j->rq->method, "GET") == 0 ? j->route->get : j->route->post;
        a->job_ctx = j->ctx;
        fn(a, j->rq, j->rs);
        a->job_ctx = NULL;
        j->answered_ns = admin_now_ns();
        pthread_mutex_lock(&a->mu);
        j->done = true;
        pthread_cond_broadcast(&a->done_cv);
        if (vg_clock_ms() >= stop_at)
            break;
    }
    pthread_mutex_unlock(&a->mu);
    if (a->metrics && any)
        vg_hist_add(&a->metrics->pause_seconds, vg_metrics_now() - t0);
}

/* Write the URL to the ready file, whole or not at all. */
static int write_ready(const vg_admin *a, vg_error *err)
{
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp", a->ready_file);
    FILE *f = fopen(tmp, "w");
    if (!f || fprintf(f, "%s\n", a->url) < 0 || fclose(f) != 0 || rename(tmp, a->ready_file) != 0)
        return vg_error_set(err, VG_ERR_IO, "cannot write '%s': %s", a->ready_file,
                            strerror(errno));
    return 0;
}

int vg_admin_hold(vg_admin *a, volatile sig_atomic_t *stop, vg_error *err)
{
    atomic_store(&a->state, ADMIN_HOLDING);
    if (a->ready_file && a->opts.ready_on_hold && write_ready(a, err) < 0)
        return -1;
    while (!*stop) {
        pthread_mutex_lock(&a->mu);
        if (!a->head) {
            struct timespec until;
            clock_gettime(CLOCK_MONOTONIC, &until);
            until.tv_nsec += 100 * 1000000; /* to see *stop: signals do not wake the wait */
            if (until.tv_nsec >= 1000000000)
                until.tv_sec++, until.tv_nsec -= 1000000000;
            pthread_cond_timedwait(&a->work_cv, &a->mu, &until);
        }
        pthread_mutex_unlock(&a->mu);
        vg_admin_serve(a);
    }
    return 0;
}

void vg_admin_set_reloader(vg_admin *a, vg_reload_service fn, vg_reload_ready ready, void *arg)
{
    a->reload = fn;
    a->reload_ready = ready;
    a->reload_arg = arg;
}

int vg_admin_wake_fd(const vg_admin *a) { return a->wake_fd; }

void vg_admin_set_checkpoints(vg_admin *a, struct vg_store *st, const char *pipeline)
{
    a->store = st;
    a->pipeline = pipeline;
}

void vg_admin_set_changer(vg_admin *a, vg_admin_change_fn fn, void *arg)
{
    a->change = fn;
    a->change_arg = arg;
}

/* A DAG of another plan runs now (a reload): the pages read that plan, and
 * queries its live tables. Out of memory leaves no live tables: /query
 * answers 503 until the next attach. */
static void follow_plan(vg_admin *a, const vg_plan *plan)
{
    vg_error err;
    vg_error_clear(&err);
    vg_live_close(a->live);
    a->live = vg_live_open(plan, &err);
    a->plan = plan;
}

void vg_admin_attach(vg_admin *a, vg_dag *dag, struct vg_registry *registry, vg_metrics *metrics)
{
    if (dag && vg_dag_plan(dag) != a->plan)
        follow_plan(a, vg_dag_plan(dag));
    a->dag = dag;
    a->registry = registry;
    a->metrics = metrics;
    if (a->live)
        vg_live_attach(a->live, dag, metrics ? metrics->partitions : 1);
    pthread_mutex_lock(&a->mu);
    if (dag) {
        if (atomic_load(&a->state) != ADMIN_HOLDING) /* (a reload while holding) */
            atomic_store(&a->state, ADMIN_RUNNING);
    } else {
        atomic_store(&a->state, ADMIN_STOPPED);
        fail_queue(a);
    }
    pthread_mutex_unlock(&a->mu);
}

/* ---- requests ---- */

void admin_response_init(vg_admin_response *rs)
{
    memset(rs, 0, sizeof *rs);
    vg_buf_init(&rs->body, VG_MEM_IO);
    rs->content_type = "application/json";
    rs->wait_ns = rs->run_ns = -1; /* until the runner serves it from the queue */
}

/* A request the runner answers: what the route prepares on this thread
 * first, then the runner's part. */
static void for_runner(vg_admin *a, const admin_route *route, page_fn *fn,
                       const vg_admin_request *rq, vg_admin_response *rs)
{
    void *ctx = route->prepare ? route->prepare(rq, rs) : NULL;
    if (a->http) {
        on_runner(a, route, rq, rs, ctx);
    } else if (!a->dag) {
        not_running(rs);
    } else { /* no server: the caller is the runner */
        a->job_ctx = ctx;
        fn(a, rq, rs);
        a->job_ctx = NULL;
    }
    if (ctx)
        route->release(ctx);
}

void vg_admin_handle(vg_admin *a, const vg_admin_request *rq, vg_admin_response *rs)
{
    admin_response_init(rs);
    atomic_fetch_add(&a->served, 1);
    const admin_route *route = admin_find_route(rq->path);
    bool get = rq->method && strcmp(rq->method, "GET") == 0;
    bool post = rq->method && strcmp(rq->method, "POST") == 0;
    page_fn *fn = route ? (get ? route->get : post ? route->post : NULL) : NULL;
    char msg[400];
    if (!host_allowed(a, rq->host)) {
        snprintf(msg, sizeof msg, "the Host header must name the admin address (%s:%u)",
                 a->loopback ? "127.0.0.1" : a->host, a->port);
        admin_error(rs, 421, msg);
    } else if (!token_ok(a, rq->authorization)) {
        admin_error(rs, 401,
                    rq->authorization ? "wrong token"
                                      : "a token is required: Authorization: Bearer TOKEN");
        rs->authenticate = true;
    } else if (!route) {
        admin_error(rs, 404, "no such endpoint (see docs/operations.md)");
    } else if (!fn) {
        snprintf(msg, sizeof msg, "%s takes %s", route->path, route->allow);
        admin_error(rs, 405, msg);
        rs->allow = route->allow;
    } else if (rq->body_too_large) {
        snprintf(msg, sizeof msg, "the request body is larger than %zu bytes", a->opts.max_body);
        admin_error(rs, 413, msg);
    } else if (!route->runner) {
        fn(a, rq, rs);
    } else {
        for_runner(a, route, fn, rq, rs);
    }
}

void vg_admin_response_free(vg_admin_response *rs) { vg_buf_free(&rs->body); }

/* ---- lifetime ---- */

static void *json_alloc(size_t n) { return vg_malloc(VG_MEM_IO, n); }

vg_admin *vg_admin_new(const vg_plan *plan, const vg_admin_opts *opts, vg_error *err)
{
    json_set_alloc_funcs(json_alloc, vg_free);
    vg_admin *a = vg_calloc(VG_MEM_OTHER, 1, sizeof *a);
    if (!a) {
        vg_error_set(err, VG_ERR_NOMEM, "out of memory");
        return NULL;
    }
    a->plan = plan;
    a->opts = opts ? *opts : (vg_admin_opts){0};
    a->opts.max_body = a->opts.max_body ? a->opts.max_body : DEFAULT_MAX_BODY;
    a->opts.wait_ms = a->opts.wait_ms > 0 ? a->opts.wait_ms : DEFAULT_WAIT_MS;
    a->opts.pause_ms = a->opts.pause_ms > 0 ? a->opts.pause_ms : DEFAULT_PAUSE_MS;
    a->started_ms = vg_clock_ms();
    a->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    const char *trace_to = getenv("VIGIL_ADMIN_TRACE");
    a->trace_fd = trace_to && trace_to[0]
                      ? open(trace_to, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644)
                      : -1;
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_mutex_init(&a->mu, NULL);
    pthread_cond_init(&a->done_cv, &ca);
    pthread_cond_init(&a->work_cv, &ca);
    pthread_condattr_destroy(&ca);
    const char *token = opts && opts->token && opts->token[0] ? opts->token : NULL;
    if (parse_listen(a, a->opts.listen ? a->opts.listen : VG_ADMIN_LISTEN, err) < 0)
        goto fail;
    a->opts.listen = NULL;
    if (token && !(a->token = vg_strdup(VG_MEM_OTHER, token))) {
        vg_error_set(err, VG_ERR_NOMEM, "out of memory");
        goto fail;
    }
    a->opts.token = a->token;
    if (a->opts.ready_file && !(a->ready_file = vg_strdup(VG_MEM_OTHER, a->opts.ready_file))) {
        vg_error_set(err, VG_ERR_NOMEM, "out of memory");
        goto fail;
    }
    a->opts.ready_file = a->ready_file;
    if (!(a->live = vg_live_open(plan, err)))
        goto fail;
    set_url(a);
    return a;
fail:
    vg_admin_stop(a);
    return NULL;
}

vg_admin *vg_admin_start(const vg_plan *plan, const vg_admin_opts *opts, vg_error *err)
{
    vg_admin *a = vg_admin_new(plan, opts, err);
    if (!a)
        return NULL;
    if (!a->loopback && !a->token) {
        vg_error_set(err, VG_ERR_USAGE,
                     "the admin API on %s:%u would be reachable beyond this machine: give it a "
                     "token (admin.token, --admin-token) or listen on 127.0.0.1",
                     a->host, a->port);
        vg_admin_stop(a);
        return NULL;
    }
    int rc = admin_http_start(a, err);
    set_url(a); /* with the port bound */
    if (rc < 0 || (a->ready_file && !a->opts.ready_on_hold && write_ready(a, err) < 0)) {
        vg_admin_stop(a);
        return NULL;
    }
    return a;
}

const char *vg_admin_url(const vg_admin *a) { return a->url; }

void vg_admin_stop(vg_admin *a)
{
    if (!a)
        return;
    pthread_mutex_lock(&a->mu);
    atomic_store(&a->state, ADMIN_STOPPED);
    fail_queue(a);
    pthread_mutex_unlock(&a->mu);
    if (a->http)
        admin_http_stop(a);
    vg_live_close(a->live);
    vg_free(a->token);
    vg_free(a->ready_file);
    if (a->wake_fd >= 0)
        close(a->wake_fd);
    if (a->trace_fd >= 0)
        close(a->trace_fd);
    pthread_cond_destroy(&a->done_cv);
    pthread_cond_destroy(&a->work_cv);
    pthread_mutex_destroy(&a->mu);
    vg_free(a);
}
