/*
 * admin_int.h — what the admin API's files share: admin.c (the HTTP server,
 * libmicrohttpd), admin_route.c (checking and routing a request, and the
 * queue that hands requests to the runner's thread) and admin_pages.c
 * (what each endpoint answers), and admin_client.c (vigil query), which
 * needs only the JSON library. This header is where the admin module
 * includes Jansson (request and response bodies), once.
 */
#ifndef VG_ADMIN_INT_H
#define VG_ADMIN_INT_H

#include <pthread.h>
#include <stdatomic.h>

#include <jansson.h>

#include "engine/admin.h"
#include "engine/reload.h"

/* Where the runner stands, for GET /health. */
typedef enum admin_state {
    ADMIN_STARTING, /* no DAG attached yet: requests wait for one */
    ADMIN_RUNNING,  /* a DAG is attached: requests are served between batches */
    ADMIN_HOLDING,  /* the input has ended; serving until stopped (replay --hold) */
    ADMIN_STOPPED,  /* the DAG is gone: requests for the runner get 503 */
} admin_state;

typedef struct admin_route admin_route;

/* A request waiting for the runner. It lives on the stack of the HTTP
 * thread that waits for it; the queue only links it. */
typedef struct admin_job {
    const admin_route *route;
    const vg_admin_request *rq;
    vg_admin_response *rs;
    bool done;              /* answered (under the lock) */
    struct admin_job *next; /* in the queue */
    int64_t queued_ns;      /* when the HTTP thread queued it (admin_now_ns) */
    int64_t taken_ns;       /* when the runner took it */
    int64_t answered_ns;    /* when the runner had answered it */
    void *ctx;              /* the route's prepare made it (HTTP thread), or NULL */
} admin_job;

struct vg_admin {
    const vg_plan *plan; /* borrowed */
    vg_admin_opts opts;  /* defaults filled in; listen and token point below */
    char *token;         /* owned; NULL: none */
    char host[256];      /* the listen host, without brackets */
    unsigned port;       /* the listen port (the one bound, for port 0) */
    bool loopback;       /* host is 127.0.0.0/8, ::1 or localhost */
    bool wildcard;       /* host is 0.0.0.0 or :: (every address) */
    char url[300];       /* http://host:port */
    char *ready_file;    /* owned copy of opts.ready_file, or NULL */
    vg_live *live;       /* the live tables of plan */
    void *http;          /* the server (admin.c); NULL without one */
    /* what the runner runs: read and used on the runner's thread only */
    vg_dag *dag;
    struct vg_registry *registry;
    vg_metrics *metrics;
    /* the hand-off between HTTP threads and the runner */
    pthread_mutex_t mu;
    pthread_cond_t done_cv; /* a job was answered */
    pthread_cond_t work_cv; /* a job was queued (vg_admin_hold waits on it) */
    admin_job *head, *tail; /* jobs not taken by the runner yet */
    atomic_uint pending;    /* jobs in the queue: the runner's cheap check */
    atomic_int state;       /* admin_state */
    atomic_ullong served;   /* requests answered, all threads */
    int64_t started_ms;     /* vg_clock_ms() at start */
    /* POST /reload: the runner's service (engine/reload.h), on the runner's thread */
    vg_reload_service reload;     /* NULL: none (501) */
    vg_reload_ready reload_ready; /* whether the runner is between batches; NULL: always */
    void *reload_arg;             /* handed to both */
    /* waking a runner asleep in poll(2): an eventfd, readable while signaled (both changed
       under mu only) */
    int wake_fd;
    atomic_bool signaled;
    int trace_fd;  /* VIGIL_ADMIN_TRACE's file (a line per request served by the runner), or -1 */
    void *job_ctx; /* the ctx of the request the runner's page answers now (runner's thread) */
    /* GET /checkpoints, POST /models and /rules: the runner's (runner's thread only) */
    struct vg_store *store;      /* the pipeline's store, or NULL */
    const char *pipeline;        /* its name there */
    vg_admin_change_fn change;   /* brackets a registry change; NULL: none */
    void *change_arg;
};

/* An endpoint: its path, methods and handlers (admin_route.c's table). */
struct admin_route {
    const char *path;
    const char *allow; /* the methods it takes, for 405: "GET", "POST", "GET, POST" */
    bool runner;       /* answered on the runner's thread (it reads the engine) */
    void (*get)(vg_admin *a, const vg_admin_request *rq, vg_admin_response *rs);
    void (*post)(vg_admin *a, const vg_admin_request *rq, vg_admin_response *rs);
    const char *doc; /* one line for docs/operations.md */
    bool batch_end;  /* served only when the runner stands between batches (the runner's
                        reload_ready): a reload swaps the DAG */
    /* Work done on the HTTP thread before the runner's part, so that the runner (and the
       pipeline) does not pay for it: the request made into a ctx (NULL when out of memory:
       the page then does the work itself), which the page finds in vg_admin.job_ctx and
       release frees after. NULL: none. */
    void *(*prepare)(const vg_admin_request *rq, vg_admin_response *rs);
    void (*release)(void *ctx);
};

/* ---- the pages (admin_pages.c) ---- */

void admin_page_health(vg_admin *a, const vg_admin_request *rq, vg_admin_response *rs);
void admin_page_metrics(vg_admin *a, const vg_admin_request *rq, vg_admin_response *rs);
void admin_page_plan(vg_admin *a, const vg_admin_request *rq, vg_admin_response *rs);
void admin_page_query(vg_admin *a, const vg_admin_request *rq, vg_admin_response *rs);
/* POST /query's prepare and release: the JSON body parsed on the HTTP thread. */
void *admin_query_prepare(const vg_admin_request *rq, vg_admin_response *rs);
void admin_query_release(void *ctx);
void admin_page_rules(vg_admin *a, const vg_admin_request *rq, vg_admin_response *rs);
void admin_page_models(vg_admin *a, const vg_admin_request *rq, vg_admin_response *rs);
void admin_page_checkpoints(vg_admin *a, const vg_admin_request *rq, vg_admin_response *rs);
/* POST /reload: the runner's reload service (engine/reload.h). */
void admin_page_reload(vg_admin *a, const vg_admin_request *rq, vg_admin_response *rs);
/* POST /models, POST /rules (admin_change.c). */
void admin_page_models_post(vg_admin *a, const vg_admin_request *rq, vg_admin_response *rs);
void admin_page_rules_post(vg_admin *a, const vg_admin_request *rq, vg_admin_response *rs);
/* 501: POST /reload of a runner without a reload service. */
void admin_page_not_yet(vg_admin *a, const vg_admin_request *rq, vg_admin_response *rs);

/* rs becomes status with body {"error":"message"} (a JSON object). */
void admin_error(vg_admin_response *rs, int status, const char *message);
/* rs becomes status with err as a JSON object: message, and where err has
 * a position, line, column, length and context (the line and carets). */
void admin_error_of(vg_admin_response *rs, int status, const vg_error *err);

/* Nanoseconds on the monotonic clock (admin_route.c). */
int64_t admin_now_ns(void);

/* The route of path, or NULL (admin_route.c). */
const admin_route *admin_find_route(const char *path);
/* rs initialised as vg_admin_handle starts it: 200-to-be, JSON, empty body. */
void admin_response_init(vg_admin_response *rs);

/* ---- the server (admin.c) ---- */

/* Listen on a->host:a->port with MHD's threads; sets a->port when it was 0.
 * 0, or -1 with err set (VG_ERR_IO). */
int admin_http_start(vg_admin *a, vg_error *err);
void admin_http_stop(vg_admin *a);

#endif
