/*
 * admin.c — the admin API's HTTP server: libmicrohttpd, and nothing else
 * of vigil includes it.
 *
 * The listening socket is made here (so that a bind failure says why, and
 * port 0 gives the port chosen); MHD serves it with an internal thread and
 * a thread per connection, so that a request waiting for the runner (see
 * admin_route.c) holds up no other. Each request's body is gathered up to
 * the limit (beyond it, the rest is read and dropped, or, when
 * Content-Length says so at once, not read at all), then the request goes
 * to vg_admin_handle as a plain vg_admin_request. The answer goes back
 * with its headers, Server-Timing among them when the runner served it.
 */
#include <errno.h>
#include <netdb.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <microhttpd.h>

#include "engine/admin_int.h"

#define MAX_CONNECTIONS 32
#define IDLE_TIMEOUT_S  30
#define HEADER_MEMORY   (64 * 1024) /* per connection: request line and headers */

/* One request being received. */
typedef struct conn {
    vg_buf body;    /* what has come of the body, up to the limit */
    bool too_large; /* the body passed the limit: dropped */
    vg_buf query;   /* the query string, rebuilt from MHD's arguments */
} conn;

static enum MHD_Result add_arg(void *cls, enum MHD_ValueKind kind, const char *key,
                               const char *value)
{
    (void)kind;
    vg_buf *q = cls;
    int rc = (q->len ? vg_buf_putc(q, '&') : 0) | vg_buf_puts(q, key) |
             (value ? vg_buf_putc(q, '=') | vg_buf_puts(q, value) : 0);
    return rc < 0 ? MHD_NO : MHD_YES;
}

static const char *header(struct MHD_Connection *c, const char *name)
{
    return MHD_lookup_connection_value(c, MHD_HEADER_KIND, name);
}

/* "Server-Timing: wait;dur=0.012, run;dur=0.054" (ms) on an answer the
 * runner served from the queue; nothing on one the HTTP thread gave alone. */
static void add_timing(struct MHD_Response *r, const vg_admin_response *rs)
{
    char timing[96];
    if (rs->run_ns < 0)
        return;
    snprintf(timing, sizeof timing, "wait;dur=%.3f, run;dur=%.3f", (double)rs->wait_ns / 1e6,
             (double)rs->run_ns / 1e6);
    MHD_add_response_header(r, "Server-Timing", timing);
}

static enum MHD_Result respond(vg_admin *a, struct MHD_Connection *c, conn *cx, const char *url,
                               const char *method)
{
    MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, add_arg, &cx->query);
    vg_admin_request rq = {
        .method = method,
        .path = url,
        .query = vg_buf_cstr(&cx->query),
        .host = header(c, MHD_HTTP_HEADER_HOST),
        .authorization = header(c, MHD_HTTP_HEADER_AUTHORIZATION),
        .content_type = header(c, MHD_HTTP_HEADER_CONTENT_TYPE),
        .body = cx->body.p,
        .body_len = cx->body.len,
        .body_too_large = cx->too_large,
    };
    vg_admin_response rs;
    vg_admin_handle(a, &rq, &rs);
    struct MHD_Response *r =
        MHD_create_response_from_buffer(rs.body.len, rs.body.p, MHD_RESPMEM_MUST_COPY);
    if (!r) {
        vg_admin_response_free(&rs);
        return MHD_NO;
    }
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, rs.content_type);
    MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    if (rs.allow)
        MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, rs.allow);
    if (rs.authenticate)
        MHD_add_response_header(r, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer");
    add_timing(r, &rs);
    enum MHD_Result ret = MHD_queue_response(c, (unsigned)rs.status, r);
    MHD_destroy_response(r);
    vg_admin_response_free(&rs);
    return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *upload,
                                  size_t *upload_size, void **state)
{
    (void)version;
    vg_admin *a = cls;
    conn *cx = *state;
    if (!cx) { /* the headers are in: make the request's state */
        if (!(cx = vg_calloc(VG_MEM_IO, 1, sizeof *cx)))
            return MHD_NO;
        vg_buf_init(&cx->body, VG_MEM_IO);
        vg_buf_init(&cx->query, VG_MEM_IO);
        *state = cx;
        const char *len = header(c, MHD_HTTP_HEADER_CONTENT_LENGTH);
        cx->too_large = len && strtoull(len, NULL, 10) > a->opts.max_body;
        /* an announced oversized body is refused before it is read */
        return cx->too_large ? respond(a, c, cx, url, method) : MHD_YES;
    }
    if (*upload_size) {
        if (!cx->too_large && cx->body.len + *upload_size > a->opts.max_body) {
            cx->too_large = true;
            vg_buf_free(&cx->body);
        }
        if (!cx->too_large && vg_buf_append(&cx->body, upload, *upload_size) < 0)
            return MHD_NO;
        *upload_size = 0;
        return MHD_YES;
    }
    return respond(a, c, cx, url, method);
}

static void on_done(void *cls, struct MHD_Connection *c, void **state,
                    enum MHD_RequestTerminationCode why)
{
    (void)cls, (void)c, (void)why;
    conn *cx = *state;
    if (!cx)
        return;
    vg_buf_free(&cx->body);
    vg_buf_free(&cx->query);
    vg_free(cx);
    *state = NULL;
}

/* A listening socket on a->host:a->port; a->port set to the one bound. */
static int listen_on(vg_admin *a, bool *v6, vg_error *err)
{
    struct addrinfo hints = {.ai_family = AF_UNSPEC,
                             .ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_PASSIVE | AI_NUMERICSERV};
    struct addrinfo *ai = NULL;
    char port[16];
    snprintf(port, sizeof port, "%u", a->port);
    int rc = getaddrinfo(a->host, port, &hints, &ai);
    if (rc != 0)
        return vg_error_set(err, VG_ERR_IO, "admin: cannot resolve '%s': %s", a->host,
                            gai_strerror(rc));
    int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;
    *v6 = ai->ai_family == AF_INET6;
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
        bind(fd, ai->ai_addr, ai->ai_addrlen) < 0 || listen(fd, 64) < 0) {
        int e = errno;
        if (fd >= 0)
            close(fd);
        freeaddrinfo(ai);
        return vg_error_set(err, VG_ERR_IO, "admin: cannot listen on %s:%u: %s", a->host, a->port,
                            strerror(e));
    }
    freeaddrinfo(ai);
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    if (getsockname(fd, (struct sockaddr *)&ss, &sl) == 0)
        a->port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
                                                 : ((struct sockaddr_in *)&ss)->sin_port);
    return fd;
}

int admin_http_start(vg_admin *a, vg_error *err)
{
    bool v6 = false;
    int fd = listen_on(a, &v6, err);
    if (fd < 0)
        return -1;
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION |
                     MHD_USE_AUTO | (v6 ? MHD_USE_IPv6 : 0);
    a->http = MHD_start_daemon(
        flags, 0, NULL, NULL, on_request, a, MHD_OPTION_LISTEN_SOCKET, (MHD_socket)fd,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned)MAX_CONNECTIONS, MHD_OPTION_CONNECTION_TIMEOUT,
        (unsigned)IDLE_TIMEOUT_S, MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)HEADER_MEMORY,
        MHD_OPTION_NOTIFY_COMPLETED, on_done, a, MHD_OPTION_END);
    if (!a->http) {
        close(fd);
        return vg_error_set(err, VG_ERR_IO, "admin: cannot start the HTTP server on %s:%u", a->host,
                            a->port);
    }
    return 0;
}

void admin_http_stop(vg_admin *a)
{
    MHD_stop_daemon(a->http);
    a->http = NULL;
}
