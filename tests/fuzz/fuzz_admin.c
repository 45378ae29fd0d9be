/*
 * fuzz_admin.c — libFuzzer target for the admin API's request handling:
 * the checks (Host, token, path, method, size), the routing, the query
 * string, the /query body (SQL or JSON, parsed by Jansson) and the live
 * query runner with its hardened SQLite connection, over a small running
 * engine (GROUP BY, OVER, Top-N and a window, a few rows in state).
 *
 * An input is a request written as lines:
 *
 *     METHOD
 *     PATH[?QUERY]
 *     HOST          ("-": no Host header)
 *     AUTHORIZATION ("-": none)
 *     CONTENT-TYPE  ("-": none)
 *     BODY...       (everything after the fifth newline, NULs included)
 *
 * Missing lines take "GET", "/health", "127.0.0.1:8470", "Bearer t" and
 * none. Any crash, sanitizer report or leak is a bug, and so is an answer
 * that breaks the contract: a status outside the documented set, or a
 * JSON answer that does not parse as a JSON object.
 *
 *   make fuzz                       (clang + libFuzzer, corpus tests/fuzz/corpus/admin)
 *
 * Built with -DVG_FUZZ_REPLAY it gets a main() that runs every file named
 * on the command line through the same function: make test replays the
 * corpus that way.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "engine/admin.h"
#include "engine/dag.h"
#include "sql/parser.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char SQL[] =
    "CREATE STREAM s (k STRING, x BIGINT, ts TIMESTAMP(3), WATERMARK FOR ts AS ts);\n"
    "CREATE VIEW counts AS SELECT k, COUNT(*) AS n, SUM(x) AS total FROM s GROUP BY k;\n"
    "CREATE VIEW feats AS SELECT k, x, COUNT(*) OVER (PARTITION BY k ORDER BY ts\n"
    "  RANGE BETWEEN INTERVAL '1' MINUTE PRECEDING AND CURRENT ROW) AS n1m FROM s;\n"
    "CREATE VIEW top2 AS SELECT k, x, ts FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY k\n"
    "  ORDER BY x DESC) AS rn FROM s) WHERE rn <= 2;\n"
    "SELECT * FROM counts;\n"
    "INSERT INTO o SELECT * FROM feats;\n"
    "INSERT INTO t SELECT * FROM top2;\n"
    "INSERT INTO w SELECT window_start, k, COUNT(*) AS c FROM TABLE(TUMBLE(TABLE s,\n"
    "  DESCRIPTOR(ts), INTERVAL '1' MINUTE)) GROUP BY window_start, window_end, k;\n";

/* The engine every input is asked of, made on the first input. */
static struct {
    vg_arena *arena;
    vg_plan *plan;
    vg_dag *dag;
    vg_metrics metrics;
    vg_admin *admin;
} eng;

static void engine_open(void)
{
    static const vg_source src = {"fuzz.sql", SQL, sizeof SQL - 1};
    vg_error err;
    vg_error_clear(&err);
    vg_ast_stmt *stmts;
    uint32_t n;
    eng.arena = vg_arena_new(VG_MEM_SQL, 0);
    if (!eng.arena || vg_parse(&src, eng.arena, &stmts, &n, &err) < 0 ||
        vg_plan_build(stmts, n, &eng.plan, &err) < 0 || !(eng.dag = vg_dag_open(eng.plan, &err))) {
        fprintf(stderr, "fuzz_admin: %s\n", err.msg);
        abort();
    }
    static const char *const keys[] = {"a", "b", "c", "a", "b", "a"};
    for (int i = 0; i < 6; i++) {
        vg_value row[3] = {vg_str(keys[i], 1), vg_int(i * 7), vg_int(1000 * i)};
        vg_dag_push(eng.dag, 0, row);
    }
    vg_dag_end_batch(eng.dag);
    for (uint32_t i = 0; i < vg_dag_nchannels(eng.dag); i++)
        vg_buf_clear(&vg_dag_channel(eng.dag, i)->buf);
    vg_metrics_init(&eng.metrics);
    vg_admin_opts o = {.listen = "127.0.0.1:8470",
                       .token = "t",
                       .limits = {.time_ms = 20, .max_rows = 200, .heap_bytes = 8 << 20}};
    if (!(eng.admin = vg_admin_new(eng.plan, &o, &err))) {
        fprintf(stderr, "fuzz_admin: %s\n", err.msg);
        abort();
    }
    vg_admin_attach(eng.admin, eng.dag, NULL, &eng.metrics);
}

#ifdef VG_FUZZ_REPLAY
static void engine_close(void)
{
    vg_admin_stop(eng.admin);
    vg_dag_close(eng.dag);
    vg_plan_free(eng.plan);
    vg_arena_free(eng.arena);
}
#endif

/* The next line of [*p, end) as a NUL-terminated copy into buf, or dflt
 * when the input has no more lines; "-" gives NULL. */
static const char *field(const char **p, const char *end, char *buf, size_t cap, const char *dflt)
{
    if (*p >= end)
        return dflt;
    const char *nl = memchr(*p, '\n', (size_t)(end - *p));
    size_t n = (size_t)((nl ? nl : end) - *p);
    if (n >= cap)
        n = cap - 1;
    memcpy(buf, *p, n);
    buf[n] = 0;
    *p = nl ? nl + 1 : end;
    return strcmp(buf, "-") == 0 ? NULL : buf;
}

/* The answer keeps the contract: a documented status; JSON that parses. */
static void check(const vg_admin_response *rs)
{
    static const int statuses[] = {200, 400, 401, 403, 404, 405, 413, 421, 422, 500, 501, 503};
    bool known = false;
    for (size_t i = 0; i < sizeof statuses / sizeof statuses[0]; i++)
        known |= rs->status == statuses[i];
    if (!known)
        abort();
    if (strcmp(rs->content_type, "application/json") != 0 || rs->status == 500)
        return;
    json_t *doc = json_loadb(rs->body.p ? rs->body.p : "", rs->body.len, 0, NULL);
    if (!json_is_object(doc))
        abort();
    json_decref(doc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 1 << 20)
        return 0;
    if (!eng.admin)
        engine_open();
    const char *p = (const char *)data, *end = p + size;
    char method[64], url[1024], host[256], auth[256], type[128];
    const char *m = field(&p, end, method, sizeof method, "GET");
    const char *u = field(&p, end, url, sizeof url, "/health");
    vg_admin_request rq = {
        .method = m ? m : "GET",
        .host = field(&p, end, host, sizeof host, "127.0.0.1:8470"),
        .authorization = field(&p, end, auth, sizeof auth, "Bearer t"),
        .content_type = field(&p, end, type, sizeof type, NULL),
        .body = p,
        .body_len = (size_t)(end - p),
    };
    char *q = u ? strchr(url, '?') : NULL;
    if (q)
        *q++ = 0;
    rq.path = u ? url : "/";
    rq.query = q;
    rq.body_too_large = rq.body_len > 65536;
    vg_admin_response rs;
    vg_admin_handle(eng.admin, &rq, &rs);
    check(&rs);
    vg_admin_response_free(&rs);
    return 0;
}

#ifdef VG_FUZZ_REPLAY
/* Run each file named on the command line once; print how many ran. */
int main(int argc, char **argv)
{
    int ran = 0;
    static uint8_t buf[1 << 20];
    for (int i = 1; i < argc; i++) {
        FILE *f = fopen(argv[i], "rb");
        if (!f) {
            fprintf(stderr, "fuzz_admin: cannot open %s\n", argv[i]);
            return 1;
        }
        size_t n = fread(buf, 1, sizeof buf, f);
        fclose(f);
        LLVMFuzzerTestOneInput(buf, n);
        ran++;
    }
    if (eng.admin)
        engine_close();
    printf("fuzz_admin: replayed %d inputs\n", ran);
    return 0;
}
#endif
