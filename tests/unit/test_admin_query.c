/*
 * test_admin_query.c — POST /query with parameters (engine/admin.h):
 * {"sql": ..., "params": [...]} bound exactly, every wrong request with
 * its status and exact message, the metrics it counts; the statement cache
 * dropped when the runner attaches a DAG of another plan (a reload: the
 * old tables are gone, the new ones answer); and the real server, whose
 * HTTP thread parses the body before the runner's turn, with the
 * VIGIL_ADMIN_TRACE line of each request the runner served.
 */
#include <arpa/inet.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "engine/admin.h"
#include "tests/unit/op_test.h"

#define COUNTS                                                                                     \
    "CREATE VIEW counts AS SELECT k, COUNT(*) AS n, SUM(x) AS total FROM s GROUP BY k;\n"          \
    "SELECT * FROM counts;\n"
#define TOTALS                                                                                     \
    "CREATE VIEW totals AS SELECT k, SUM(x) AS total FROM s GROUP BY k;\n"                         \
    "SELECT * FROM totals;\n"

/* A run of sql with a twice and b once. */
static bool engine_open(run *r, const char *sql)
{
    if (!opened(r, sql))
        return false;
    push(r, "a", 1, 1000);
    push(r, "b", 2, 2000);
    push(r, "a", 300, 3000);
    vg_dag_end_batch(r->dag);
    return true;
}

/* An admin API without a server, attached to r's DAG, counting into m. */
static vg_admin *admin_of(run *r, vg_metrics *m)
{
    vg_error err;
    vg_error_clear(&err);
    vg_admin *a = vg_admin_new(r->plan, &(vg_admin_opts){.listen = "127.0.0.1:8470"}, &err);
    if (!a)
        fprintf(stderr, "vg_admin_new: %s\n", err.msg);
    else
        vg_admin_attach(a, r->dag, NULL, m);
    return a;
}

/* POST /query with body: "STATUS BODY". */
static const char *query(vg_admin *a, const char *body)
{
    vg_admin_request rq = {.method = "POST",
                           .path = "/query",
                           .host = "127.0.0.1:8470",
                           .content_type = "application/json",
                           .body = body,
                           .body_len = strlen(body)};
    vg_admin_response rs;
    vg_admin_handle(a, &rq, &rs);
    const char *s = vg_arena_printf(arena, "%d %.*s", rs.status, (int)rs.body.len,
                                    rs.body.len ? rs.body.p : "");
    vg_admin_response_free(&rs);
    return s;
}

static void test_params(void)
{
    run r;
    CHECK(engine_open(&r, COUNTS));
    vg_metrics m;
    vg_metrics_init(&m);
    vg_admin *a = admin_of(&r, &m);
    const char *by_key = "{\"sql\": \"SELECT n, total FROM counts WHERE k = ?\", \"params\": [%s]}";
    CHECK_STR(query(a, vg_arena_printf(arena, by_key, "\"a\"")),
              "200 {\"columns\":[\"n\",\"total\"],\"rows\":[[2,301]]}\n");
    CHECK_STR(query(a, vg_arena_printf(arena, by_key, "\"b\"")),
              "200 {\"columns\":[\"n\",\"total\"],\"rows\":[[1,2]]}\n");
    CHECK_STR(query(a, vg_arena_printf(arena, by_key, "null")),
              "200 {\"columns\":[\"n\",\"total\"],\"rows\":[]}\n");
    CHECK_STR(query(a, "{\"sql\": \"SELECT ? + ? AS x, ? AS t, ? AS z\", "
                       "\"params\": [1, 0.5, true, null]}"),
              "200 {\"columns\":[\"x\",\"t\",\"z\"],\"rows\":[[1.5,1,null]]}\n");
    /* the old forms still work: no params, or an empty list */
    CHECK_STR(query(a, "{\"sql\": \"SELECT 7 AS s\"}"),
              "200 {\"columns\":[\"s\"],\"rows\":[[7]]}\n");
    CHECK_STR(query(a, "{\"sql\": \"SELECT 7 AS s\", \"params\": []}"),
              "200 {\"columns\":[\"s\"],\"rows\":[[7]]}\n");
    CHECK_INT(m.queries, 6);
    CHECK_INT(m.query_errors, 0);
    /* wrong requests */
    CHECK_STR(query(a, vg_arena_printf(arena, by_key, "")),
              "400 {\"error\":\"the query has 1 parameter but none were given\"}\n");
    CHECK_STR(query(a, vg_arena_printf(arena, by_key, "\"a\", \"b\"")),
              "400 {\"error\":\"the query has 1 parameter but 2 were given\"}\n");
    CHECK_STR(query(a, "{\"sql\": \"SELECT ?\", \"params\": \"a\"}"),
              "400 {\"error\":\"\\\"params\\\" must be an array of at most 16 values\"}\n");
    CHECK_STR(query(a, "{\"sql\": \"SELECT ?\", \"params\": "
                       "[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17]}"),
              "400 {\"error\":\"\\\"params\\\" must be an array of at most 16 values\"}\n");
    CHECK_STR(query(a, "{\"sql\": \"SELECT ?, ?\", \"params\": [1, {\"a\": 1}]}"),
              "400 {\"error\":\"parameter 2 must be a string, a number, true, false or "
              "null\"}\n");
    CHECK_STR(query(a, "{\"sql\": \"DELETE FROM counts WHERE k = ?\", \"params\": [\"a\"]}"),
              "403 {\"error\":\"live queries are read-only: table counts may not be "
              "modified\"}\n");
    CHECK_INT(m.queries, 12);
    CHECK_INT(m.query_errors, 6);
    vg_admin_stop(a);
    run_close(&r);
}

/* A reload (a DAG of another plan attached): the cached statements of the
 * old plan's tables are gone with them. */
static void test_reload_drops_cache(void)
{
    run r1, r2;
    CHECK(engine_open(&r1, COUNTS));
    CHECK(engine_open(&r2, TOTALS));
    vg_admin *a = admin_of(&r1, NULL);
    const char *counts = "{\"sql\": \"SELECT total FROM counts WHERE k = ?\", \"params\": [\"a\"]}";
    const char *totals = "{\"sql\": \"SELECT total FROM totals WHERE k = ?\", \"params\": [\"a\"]}";
    const char *row = "200 {\"columns\":[\"total\"],\"rows\":[[301]]}\n";
    CHECK_STR(query(a, counts), row);
    CHECK_STR(query(a, counts), row); /* cached now */
    CHECK_STR(query(a, totals), "400 {\"error\":\"no such table: totals\"}\n");
    vg_admin_attach(a, r2.dag, NULL, NULL);
    CHECK_STR(query(a, counts), "400 {\"error\":\"no such table: counts\"}\n");
    CHECK_STR(query(a, totals), row);
    CHECK_STR(query(a, totals), row);
    vg_admin_attach(a, r1.dag, NULL, NULL);
    CHECK_STR(query(a, totals), "400 {\"error\":\"no such table: totals\"}\n");
    CHECK_STR(query(a, counts), row);
    vg_admin_stop(a);
    run_close(&r2);
    run_close(&r1);
}

/* Every allocation of a request with parameters made to fail in turn:
 * the right answer, 500 or (the JSON unreadable) 400; no crash, no leak. */
static void test_alloc_failures(void)
{
    run r;
    CHECK(engine_open(&r, COUNTS));
    const char *body = "{\"sql\": \"SELECT n FROM counts WHERE k = ?\", \"params\": [\"a\"]}";
    const char *want = "200 {\"columns\":[\"n\"],\"rows\":[[2]]}\n";
    size_t io = vg_mem_in_use(VG_MEM_IO), other = vg_mem_in_use(VG_MEM_OTHER);
    int wrong = 0;
    bool done = false;
    for (uint64_t fail = 1; fail < 5000 && !done; fail++) {
        vg_error err;
        vg_error_clear(&err);
        vg_alloc_fail_at(fail, 0);
        vg_admin *a = vg_admin_new(r.plan, &(vg_admin_opts){.listen = "127.0.0.1:8470"}, &err);
        static char got[512]; /* not the arena: its allocations would fail too */
        snprintf(got, sizeof got, "%s", a ? "" : "500 ");
        for (int i = 0; a && i < 2; i++) { /* compiled, then cached */
            vg_admin_attach(a, r.dag, NULL, NULL);
            vg_admin_request rq = {.method = "POST",
                                   .path = "/query",
                                   .host = "127.0.0.1:8470",
                                   .body = body,
                                   .body_len = strlen(body)};
            vg_admin_response rs;
            vg_admin_handle(a, &rq, &rs);
            snprintf(got, sizeof got, "%d %.*s", rs.status, (int)rs.body.len,
                     rs.body.len ? rs.body.p : "");
            if (rs.status == 500 || rs.status == 503 || rs.status == 400)
                snprintf(got, sizeof got, "%s", want); /* out of memory, said so */
            vg_admin_response_free(&rs);
            if (strcmp(got, want) != 0) {
                fprintf(stderr, "fail at %llu: %s\n", (unsigned long long)fail, got);
                wrong++;
            }
        }
        wrong += !a && err.code != VG_ERR_NOMEM;
        done = !vg_alloc_failed();
        vg_alloc_fail_at(0, 0);
        vg_admin_stop(a);
    }
    CHECK(done);
    CHECK_INT(wrong, 0);
    CHECK_INT(vg_mem_in_use(VG_MEM_IO), io);
    CHECK_INT(vg_mem_in_use(VG_MEM_OTHER), other);
    run_close(&r);
}

/* ---- the real server ---- */

/* One request to the server at url over a fresh connection. */
typedef struct http {
    const char *url; /* "http://127.0.0.1:PORT" */
    const char *body;
    char answer[4096]; /* "STATUS BODY" */
    pthread_t runner;  /* told to stop holding when the answer is in */
} http;

static volatile sig_atomic_t stop;

static void on_usr1(int sig)
{
    (void)sig;
    stop = 1;
}

static void *http_main(void *arg)
{
    http *h = arg;
    unsigned port = (unsigned)atoi(strrchr(h->url, ':') + 1);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    char req[1024], got[4096];
    size_t n = 0;
    int len = snprintf(req, sizeof req,
                       "POST /query HTTP/1.1\r\nHost: 127.0.0.1:%u\r\nContent-Type: "
                       "application/json\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n%s",
                       port, strlen(h->body), h->body);
    if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0 &&
        write(fd, req, (size_t)len) == len) {
        for (ssize_t r; n < sizeof got - 1 && (r = read(fd, got + n, sizeof got - 1 - n)) > 0;)
            n += (size_t)r;
    }
    got[n] = 0;
    const char *body = strstr(got, "\r\n\r\n");
    int status = 0;
    sscanf(got, "HTTP/1.%*d %d", &status);
    snprintf(h->answer, sizeof h->answer, "%d %s", status, body ? body + 4 : "");
    if (fd >= 0)
        close(fd);
    pthread_kill(h->runner, SIGUSR1);
    return NULL;
}

/* body through the server, the runner (this thread) holding until the
 * answer is in. */
static const char *served(vg_admin *a, const char *body)
{
    stop = 0;
    http h = {.url = vg_admin_url(a), .body = body, .runner = pthread_self()};
    pthread_t t;
    pthread_create(&t, NULL, http_main, &h);
    vg_error err;
    vg_error_clear(&err);
    CHECK_INT(vg_admin_hold(a, &stop, &err), 0);
    pthread_join(t, NULL);
    return vg_arena_strndup(arena, h.answer, strlen(h.answer));
}

static void test_server(void)
{
    run r;
    CHECK(engine_open(&r, COUNTS));
    char trace[64];
    snprintf(trace, sizeof trace, "/tmp/vigil-trace-XXXXXX");
    int tfd = mkstemp(trace);
    CHECK(tfd >= 0);
    setenv("VIGIL_ADMIN_TRACE", trace, 1);
    vg_error err;
    vg_error_clear(&err);
    vg_admin *a = vg_admin_start(r.plan, &(vg_admin_opts){.listen = "127.0.0.1:0"}, &err);
    unsetenv("VIGIL_ADMIN_TRACE");
    CHECK(a != NULL);
    if (a) {
        vg_admin_attach(a, r.dag, NULL, NULL);
        CHECK_STR(served(a, "{\"sql\": \"SELECT n FROM counts WHERE k = ?\", \"params\": [\"a\"]}"),
                  "200 {\"columns\":[\"n\"],\"rows\":[[2]]}\n");
        CHECK_STR(served(a, "{\"sql\": \"SELECT n FROM counts WHERE k = ?\", \"params\": [\"b\"]}"),
                  "200 {\"columns\":[\"n\"],\"rows\":[[1]]}\n");
        CHECK_STR(served(a, "{\"sql\": \"SELECT ?\", \"params\": [[1]]}"),
                  "400 {\"error\":\"parameter 1 must be a string, a number, true, false or "
                  "null\"}\n");
        vg_admin_stop(a);
    }
    /* a line per request the runner served: where its time went */
    char text[2048] = "";
    ssize_t n = tfd >= 0 ? read(tfd, text, sizeof text - 1) : -1;
    text[n > 0 ? n : 0] = 0;
    int lines = 0;
    for (char *p = text; (p = strstr(p, "POST /query wait_us=")); p++)
        lines++;
    CHECK_INT(lines, 3);
    CHECK(strstr(text, " run_us=") && strstr(text, " wake_us="));
    if (tfd >= 0)
        close(tfd);
    unlink(trace);
    run_close(&r);
}

int main(void)
{
    arena = vg_arena_new(VG_MEM_OTHER, 0);
    struct sigaction sa = {.sa_handler = on_usr1};
    sigaction(SIGUSR1, &sa, NULL);
    RUN(test_params);
    RUN(test_reload_drops_cache);
    RUN(test_alloc_failures);
    RUN(test_server);
    vg_arena_free(arena);
    return CHECK_DONE();
}
