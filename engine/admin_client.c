/*
 * admin_client.c — the admin API's client: `vigil query` (POST /query,
 * print the rows) and `vigil reload` (POST /reload, print the state plan).
 *
 * A small HTTP/1.1 client over a socket (one request, Connection: close,
 * the whole answer read): the admin API listens on loopback, so there is
 * no TLS, proxy or redirect to handle. The answer is read with Jansson;
 * values are printed as vigil prints rows (vg_double_format, JSON strings).
 * An error answer carries its line and column, which are turned back into
 * a vg_error positioned in the SQL, printed like any SQL error.
 */
#include <errno.h>
#include <netdb.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "engine/admin_int.h"
#include "engine/json_out.h"

#define MAX_ANSWER (64u << 20) /* bytes of an answer read at most */
#define TIMEOUT_S  60          /* for connecting, sending and each read */

/* ---- HTTP ---- */

/* Split url ("http://HOST:PORT[/...]", "HOST:PORT") into host and port. */
static int parse_url(const char *url, char *host, size_t hcap, char *port, size_t pcap,
                     vg_error *err)
{
    const char *p = url;
    if (strncasecmp(p, "http://", 7) == 0)
        p += 7;
    else if (strstr(p, "://"))
        return vg_error_set(err, VG_ERR_USAGE, "admin URL '%s': only http:// is supported", url);
    size_t n = strcspn(p, "/");
    const char *colon = NULL;
    if (p[0] == '[') {
        const char *rb = memchr(p, ']', n);
        colon = rb && rb + 1 < p + n && rb[1] == ':' ? rb + 1 : NULL;
    } else {
        colon = memchr(p, ':', n);
    }
    size_t hn = colon ? (size_t)(colon - p) : n;
    const char *h = p;
    if (hn >= 2 && h[0] == '[')
        h++, hn -= 2;
    size_t pn = colon ? n - (size_t)(colon + 1 - p) : 0;
    if (!hn || hn >= hcap || pn >= pcap || (colon && !pn))
        return vg_error_set(err, VG_ERR_USAGE, "admin URL '%s' is not http://HOST:PORT", url);
    memcpy(host, h, hn);
    host[hn] = 0;
    if (colon)
        memcpy(port, colon + 1, pn), port[pn] = 0;
    else
        snprintf(port, pcap, "%s", strrchr(VG_ADMIN_LISTEN, ':') + 1);
    return 0;
}

static int dial(const char *host, const char *port, vg_error *err)
{
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
    struct addrinfo *ai = NULL;
    int rc = getaddrinfo(host, port, &hints, &ai);
    if (rc != 0)
        return vg_error_set(err, VG_ERR_IO, "cannot resolve '%s': %s", host, gai_strerror(rc));
    int fd = -1, e = 0;
    for (struct addrinfo *p = ai; p && fd < 0; p = p->ai_next) {
        fd = socket(p->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
        struct timeval tv = {TIMEOUT_S, 0};
        if (fd >= 0 && (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) < 0 ||
                        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv) < 0 ||
                        connect(fd, p->ai_addr, p->ai_addrlen) < 0)) {
            e = errno;
            close(fd);
            fd = -1;
        }
    }
    freeaddrinfo(ai);
    if (fd < 0)
        return vg_error_set(err, VG_ERR_IO, "cannot reach the admin API at %s:%s: %s", host, port,
                            strerror(e));
    return fd;
}

static int send_all(int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t k = send(fd, p, n, MSG_NOSIGNAL);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return -1;
        p += k, n -= (size_t)k;
    }
    return 0;
}

/* Send a POST of body (of content type ctype) to path and read the whole
 * answer into ans. */
static int exchange(int fd, const char *host, const char *port, const char *token,
                    const char *path, const char *ctype, const char *body, vg_buf *ans,
                    vg_error *err)
{
    vg_buf rq;
    vg_buf_init(&rq, VG_MEM_IO);
    bool v6 = strchr(host, ':') != NULL;
    int rc = vg_buf_printf(&rq,
                           "POST %s HTTP/1.1\r\nHost: %s%s%s:%s\r\nContent-Type: %s\r\n"
                           "Content-Length: %zu\r\nConnection: close\r\n",
                           path, v6 ? "[" : "", host, v6 ? "]" : "", port, ctype, strlen(body));
    if (token && token[0])
        rc |= vg_buf_printf(&rq, "Authorization: Bearer %s\r\n", token);
    rc |= vg_buf_puts(&rq, "\r\n") | vg_buf_puts(&rq, body);
    if (rc < 0) {
        vg_buf_free(&rq);
        return vg_error_set(err, VG_ERR_NOMEM, "out of memory");
    }
    rc = send_all(fd, rq.p, rq.len);
    vg_buf_free(&rq);
    if (rc < 0)
        return vg_error_set(err, VG_ERR_IO, "cannot send the request: %s", strerror(errno));
    for (;;) {
        if (vg_buf_reserve(ans, 65536) < 0)
            return vg_error_set(err, VG_ERR_NOMEM, "out of memory");
        ssize_t k = recv(fd, ans->p + ans->len, 65536, 0);
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0)
            return vg_error_set(err, VG_ERR_IO, "cannot read the answer: %s", strerror(errno));
        if (k == 0)
            return 0;
        ans->len += (size_t)k;
        if (ans->len > MAX_ANSWER)
            return vg_error_set(err, VG_ERR_IO, "the answer is larger than %u bytes", MAX_ANSWER);
    }
}

/* The status and body of an HTTP answer. -1 when it is not one. */
static int split_answer(const vg_buf *ans, int *status, const char **body, size_t *len)
{
    const char *p = vg_buf_cstr((vg_buf *)ans);
    if (!p || strncmp(p, "HTTP/1.", 7) != 0 || ans->len < 12)
        return -1;
    *status = atoi(p + 9);
    const char *end = strstr(p, "\r\n\r\n");
    if (!end)
        return -1;
    *body = end + 4;
    *len = ans->len - (size_t)(*body - p);
    return 0;
}

/* POST body to path of the engine at url: the answer's status, and its body
 * (*body, *len: in ans, which the caller frees). */
static int request(const char *url, const char *token, const char *path, const char *ctype,
                   const char *body, vg_buf *ans, int *status, const char **out, size_t *len,
                   vg_error *err)
{
    char host[256], port[16];
    if (parse_url(url, host, sizeof host, port, sizeof port, err) < 0)
        return -1;
    int fd = dial(host, port, err);
    if (fd < 0)
        return -1;
    int rc = exchange(fd, host, port, token, path, ctype, body, ans, err);
    close(fd);
    if (rc == 0 && split_answer(ans, status, out, len) < 0)
        rc = vg_error_set(err, VG_ERR_IO, "the admin API at %s did not answer in HTTP", url);
    return rc;
}

/* ---- printing ---- */

/* Append value v (an answer's cell) as JSON, numbers as vigil writes them. */
static int put_json(vg_buf *b, json_t *v)
{
    char buf[40];
    if (json_is_string(v))
        return vg_json_write_string(b, json_string_value(v), json_string_length(v));
    if (json_is_integer(v))
        return vg_buf_printf(b, "%lld", (long long)json_integer_value(v));
    if (json_is_real(v))
        return vg_buf_append(b, buf, (size_t)vg_double_format(json_real_value(v), buf));
    if (json_is_boolean(v))
        return vg_buf_puts(b, json_is_true(v) ? "true" : "false");
    return vg_buf_puts(b, "null");
}

/* A cell as table text: strings bare, the rest as JSON. */
static int put_text(vg_buf *b, json_t *v)
{
    return json_is_string(v) ? vg_buf_append(b, json_string_value(v), json_string_length(v))
                             : put_json(b, v);
}

static int print_lines(json_t *cols, json_t *rows, FILE *out)
{
    vg_buf b;
    vg_buf_init(&b, VG_MEM_IO);
    int rc = 0;
    for (size_t r = 0; r < json_array_size(rows) && !rc; r++) {
        json_t *row = json_array_get(rows, r);
        vg_buf_clear(&b);
        rc = vg_buf_putc(&b, '{');
        for (size_t c = 0; c < json_array_size(cols); c++) {
            json_t *name = json_array_get(cols, c);
            rc |= (c ? vg_buf_putc(&b, ',') : 0) |
                  vg_json_write_string(&b, json_string_value(name), json_string_length(name)) |
                  vg_buf_putc(&b, ':') | put_json(&b, json_array_get(row, c));
        }
        rc |= vg_buf_puts(&b, "}\n");
        if (!rc && fwrite(b.p, 1, b.len, out) != b.len)
            rc = -1;
    }
    vg_buf_free(&b);
    return rc;
}

/* Each cell's text, row after row (the header first), and column widths. */
static int print_table(json_t *cols, json_t *rows, FILE *out)
{
    size_t nc = json_array_size(cols), nr = json_array_size(rows);
    size_t *w = vg_calloc(VG_MEM_IO, nc + 1, sizeof *w);
    vg_buf cell;
    vg_buf_init(&cell, VG_MEM_IO);
    int rc = w ? 0 : -1;
    for (size_t r = 0; r <= nr && !rc; r++)
        for (size_t c = 0; c < nc && !rc; c++) {
            vg_buf_clear(&cell);
            rc = put_text(&cell, json_array_get(r ? json_array_get(rows, r - 1) : cols, c));
            w[c] = cell.len > w[c] ? cell.len : w[c];
        }
    for (size_t r = 0; r <= nr && !rc; r++) {
        for (size_t c = 0; c < nc && !rc; c++) {
            vg_buf_clear(&cell);
            rc = put_text(&cell, json_array_get(r ? json_array_get(rows, r - 1) : cols, c));
            fprintf(out, "%s%-*.*s", c ? "  " : "", c + 1 < nc ? (int)w[c] : 0, (int)cell.len,
                    cell.len ? cell.p : "");
        }
        fputc('\n', out);
        for (size_t c = 0; r == 0 && c < nc; c++)
            fprintf(out, "%s%.*s%s", c ? "  " : "", (int)w[c],
                    "----------------------------------------------------------------"
                    "----------------------------------------------------------------",
                    c + 1 == nc ? "\n" : "");
    }
    fprintf(out, "(%zu row%s)\n", nr, nr == 1 ? "" : "s");
    vg_buf_free(&cell);
    vg_free(w);
    return rc;
}

/* ---- errors ---- */

/* The byte offset of line, col (1-based) in sql. */
static uint32_t offset_of(const char *sql, json_int_t line, json_int_t col)
{
    uint32_t off = 0, len = (uint32_t)strlen(sql);
    for (json_int_t l = 1; l < line && off < len; off++)
        l += sql[off] == '\n';
    off += col > 1 ? (uint32_t)(col - 1) : 0;
    return off < len ? off : len;
}

/* The engine's error answer as err, positioned in sql when it says where. */
static int answer_error(json_t *doc, const char *sql, int status, vg_error *err)
{
    json_t *msg = json_object_get(doc, "error");
    json_t *line = json_object_get(doc, "line"), *col = json_object_get(doc, "column");
    json_t *n = json_object_get(doc, "length");
    vg_errcode code = status == 403                    ? VG_ERR_SEMANTIC
                      : status >= 500 || status == 422 ? VG_ERR_RUNTIME
                                                       : VG_ERR_SYNTAX;
    const char *text = json_is_string(msg) ? json_string_value(msg) : "(no message)";
    if (json_is_integer(line) && json_is_integer(col)) {
        vg_source src = {"<query>", sql, (uint32_t)strlen(sql)};
        vg_span sp = {offset_of(sql, json_integer_value(line), json_integer_value(col)),
                      json_is_integer(n) ? (uint32_t)json_integer_value(n) : 1};
        vg_error_at(err, code, &src, sp, "%s", text);
    } else {
        vg_error_set(err, code, "%s", text);
    }
    return 1;
}

static void *json_alloc(size_t n) { return vg_malloc(VG_MEM_IO, n); }

static int read_answer(const char *body, size_t len, int status, const char *sql,
                       vg_admin_format fmt, FILE *out, vg_error *err)
{
    json_set_alloc_funcs(json_alloc, vg_free);
    json_t *doc = json_loadb(body, len, 0, NULL);
    json_t *cols = json_object_get(doc, "columns"), *rows = json_object_get(doc, "rows");
    int rc;
    if (status == 200 && json_is_array(cols) && json_is_array(rows)) {
        rc = fmt == VG_ADMIN_TABLE ? print_table(cols, rows, out) : print_lines(cols, rows, out);
        if (rc < 0)
            vg_error_set(err, VG_ERR_IO, "cannot write the rows");
    } else if (status != 200 && json_is_object(doc) && json_object_get(doc, "error")) {
        rc = answer_error(doc, sql, status, err);
    } else {
        rc = vg_error_set(err, VG_ERR_IO, "the admin API answered HTTP %d: %.*s", status,
                          (int)(len < 200 ? len : 200), body);
    }
    json_decref(doc);
    return rc;
}

/* The JSON body {"sql": sql, "params": [...]}, every parameter a string
 * (vg_free), or NULL: out of memory, or text that is not UTF-8 (*bad). */
static char *params_body(const char *sql, const char *const *params, uint32_t n, bool *bad)
{
    json_set_alloc_funcs(json_alloc, vg_free);
    json_t *doc = json_object(), *list = json_array(), *q = json_string(sql);
    *bad = !q;
    int rc = doc && list && q && json_object_set_new(doc, "sql", q) == 0 ? 0 : -1;
    if (rc < 0 && q)
        json_decref(q);
    for (uint32_t i = 0; rc == 0 && i < n; i++) {
        json_t *v = json_string(params[i]);
        *bad = !v;
        rc = v && json_array_append_new(list, v) == 0 ? 0 : -1;
    }
    rc = rc == 0 && json_object_set(doc, "params", list) == 0 ? 0 : -1;
    char *body = rc == 0 ? json_dumps(doc, JSON_COMPACT) : NULL;
    json_decref(list);
    json_decref(doc);
    return body;
}

int vg_admin_client_query(const char *url, const char *token, const char *sql,
                          const char *const *params, uint32_t nparams, vg_admin_format fmt,
                          FILE *out, vg_error *err)
{
    char *json = NULL;
    bool bad = false;
    if (nparams && !(json = params_body(sql, params, nparams, &bad)))
        return bad ? vg_error_set(err, VG_ERR_USAGE, "the SQL and its parameters must be UTF-8")
                   : vg_error_set(err, VG_ERR_NOMEM, "out of memory");
    vg_buf ans;
    vg_buf_init(&ans, VG_MEM_IO);
    int status = 0;
    const char *body = NULL;
    size_t len = 0;
    int rc = request(url, token, "/query", json ? "application/json" : "application/sql",
                     json ? json : sql, &ans, &status, &body, &len, err);
    if (rc == 0)
        rc = read_answer(body, len, status, sql, fmt, out, err);
    vg_buf_free(&ans);
    vg_free(json);
    return rc;
}

/* ---- the client: vigil reload ---- */

/* The state plan's lines, as the engine prints them (vg_reload_report_print). */
static void print_plan(json_t *doc, FILE *out)
{
    json_t *ops = json_object_get(doc, "operators"), *e;
    size_t i;
    json_array_foreach(ops, i, e)
    {
        const char *why = json_string_value(json_object_get(e, "why"));
        fprintf(out, "%-8s %s %s%s%s\n", json_string_value(json_object_get(e, "action")),
                json_string_value(json_object_get(e, "kind")),
                json_string_value(json_object_get(e, "name")), why && why[0] ? ": " : "",
                why ? why : "");
    }
}

/* The engine's refusal as err (code), positioned in the file it names. */
static int reload_error(json_t *doc, vg_errcode code, vg_error *err)
{
    const char *msg = json_string_value(json_object_get(doc, "error"));
    const char *file = json_string_value(json_object_get(doc, "file"));
    const char *ctx = json_string_value(json_object_get(doc, "context"));
    json_t *line = json_object_get(doc, "line"), *col = json_object_get(doc, "column");
    vg_error_set(err, code, "%s", msg ? msg : "(no message)");
    if (!file || !ctx || !json_is_integer(line) || !json_is_integer(col))
        return 1;
    err->has_pos = true;
    snprintf(err->file, sizeof err->file, "%s", file);
    err->line = (uint32_t)json_integer_value(line);
    err->col = (uint32_t)json_integer_value(col);
    err->mark_len = (uint32_t)json_integer_value(json_object_get(doc, "length"));
    snprintf(err->source_line, sizeof err->source_line, "%.*s", (int)strcspn(ctx, "\n"), ctx);
    return 1;
}

/* Print a 200 answer's summary and plan to out. */
static void print_reloaded(json_t *doc, FILE *out)
{
    const char *what = json_string_value(json_object_get(doc, "status"));
    fprintf(out, "%s %s (%s): %lld kept, %lld rebuilt, %lld empty, %lld dropped\n",
            strcmp(what, "dry_run") == 0 ? "dry run of" : "reloaded",
            json_string_value(json_object_get(doc, "path")),
            json_string_value(json_object_get(doc, "plan")),
            json_integer_value(json_object_get(doc, "kept")),
            json_integer_value(json_object_get(doc, "rebuilt")),
            json_integer_value(json_object_get(doc, "empty")),
            json_integer_value(json_object_get(doc, "dropped")));
    print_plan(doc, out);
}

static int reload_answer(const char *body, size_t len, int status, bool raw, FILE *out,
                         vg_error *err)
{
    json_set_alloc_funcs(json_alloc, vg_free);
    json_t *doc = json_loadb(body, len, 0, NULL);
    const char *what = json_string_value(json_object_get(doc, "status"));
    int rc = status == 200 ? 0 : 1;
    if (raw && doc) {
        fwrite(body, 1, len, out);
        if (rc)
            vg_error_set(err, status == 400 ? VG_ERR_SEMANTIC : VG_ERR_RUNTIME,
                         "the engine refused the reload (HTTP %d)", status);
    } else if (status == 200 && what) {
        print_reloaded(doc, out);
    } else if (json_is_object(doc) && json_object_get(doc, "error")) {
        print_plan(doc, out); /* refused: what it would have done */
        reload_error(doc, status == 400 ? VG_ERR_SEMANTIC : VG_ERR_RUNTIME, err);
        rc = status == 409 && what && strcmp(what, "unconfirmed") == 0 ? 2 : 1;
    } else {
        rc = vg_error_set(err, VG_ERR_IO, "the admin API answered HTTP %d: %.*s", status,
                          (int)(len < 200 ? len : 200), body);
    }
    json_decref(doc);
    return rc;
}

int vg_admin_client_reload(const char *url, const char *token, bool dry_run, bool confirm,
                           bool raw, FILE *out, vg_error *err)
{
    char rq[64];
    snprintf(rq, sizeof rq, "{\"dry_run\":%s,\"confirm\":%s}\n", dry_run ? "true" : "false",
             confirm ? "true" : "false");
    vg_buf ans;
    vg_buf_init(&ans, VG_MEM_IO);
    int status = 0;
    const char *body = NULL;
    size_t len = 0;
    int rc = request(url, token, "/reload", "application/json", rq, &ans, &status, &body, &len,
                     err);
    if (rc == 0)
        rc = reload_answer(body, len, status, raw, out, err);
    vg_buf_free(&ans);
    return rc;
}
