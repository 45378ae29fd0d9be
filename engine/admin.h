/*
 * admin.h — the admin HTTP API of a running pipeline, and its client.
 *
 *   GET  /health            liveness: {"status":"ok","state":"running",...}
 *   GET  /metrics           Prometheus text (engine/metrics.h)
 *   GET  /plan?format=text|dot|json   the running operator DAG
 *   POST /query             live state in SQL (engine/live.h): the body is the
 *                           SQL, or JSON {"sql": "..."}; JSON rows back
 *   GET  /rules, /models    the active rulesets and models (engine/registry.h)
 *   POST /rules             activate a stored ruleset version, or store rules (JSON rows)
 *                           as a new version and activate it (compiled first)
 *   POST /models            activate a stored model version, or load a model file as a
 *                           new version and activate it
 *   GET  /checkpoints       the checkpoints of the pipeline's store (vigil run)
 *   POST /reload            compile the pipeline's files again and swap the new plan
 *                           in between batches (engine/reload.h); 501 when the runner
 *                           registered no reloader (vg_admin_set_reloader)
 *
 * The server (libmicrohttpd, behind admin.c alone) runs on threads of its
 * own, but the engine's state is only ever touched on the runner's thread:
 * a request that needs it is queued, and the runner serves the queue
 * between batches (vg_admin_serve), so a query sees one consistent cut. The
 * pipeline pauses for that: at most opts.pause_ms (default 100 ms) before it
 * stops taking new requests, each query limited to its own time limit
 * (default 100 ms). A request that waits longer than opts.wait_ms for a
 * batch boundary gets 503. The answer to a request the runner served
 * says where its time went: "Server-Timing: wait;dur=0.012, run;dur=0.054"
 * (ms: queued to taken by the runner, and the runner's time on it).
 *
 * Security: the server binds 127.0.0.1 unless told otherwise; a bearer
 * token (admin.token, --admin-token) is checked on every request when set,
 * and is required to listen beyond loopback (start refuses otherwise). The
 * Host header must name the listen address (127.0.0.1, localhost or [::1]
 * with the port, on loopback), so that a web page cannot reach the API
 * through DNS rebinding. Bodies are limited (64 KiB: 413), unknown paths
 * get 404, wrong methods 405, a wrong or missing token 401, a bad Host 421.
 *
 * A runner (replay, `vigil run`) uses it so:
 *
 *     a = vg_admin_start(plan, &opts, &err);      before the DAG opens
 *     vg_admin_attach(a, dag, registry, &metrics); when the DAG opens (again)
 *     vg_admin_serve(a);                           between batches (poll(2) on
 *                                                  vg_admin_wake_fd(a) while idle)
 *     vg_admin_hold(a, &stop, &err);               optional: serve until *stop
 *     vg_admin_attach(a, NULL, NULL, NULL);        before the DAG closes
 *     vg_admin_stop(a);
 */
#ifndef VG_ADMIN_H
#define VG_ADMIN_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "engine/buf.h"
#include "engine/dag.h"
#include "engine/error.h"
#include "engine/live.h"
#include "engine/metrics.h"
#include "engine/reload.h"
#include "sql/plan.h"

struct vg_registry;
typedef struct vg_admin vg_admin;

/* The default listen address (pipeline.yaml admin.listen's default). */
#define VG_ADMIN_LISTEN "127.0.0.1:8470"

typedef struct vg_admin_opts {
    const char *listen;     /* HOST:PORT ([V6]:PORT); port 0 picks a free one; NULL: the
                               default. Borrowed for vg_admin_start's call */
    const char *token;      /* bearer token every request must carry; NULL or "": none
                               (then only loopback addresses are allowed) */
    vg_live_limits limits;  /* of each POST /query (0 fields: live.h's defaults) */
    size_t max_body;        /* request body bytes (0: 64 KiB) */
    int64_t wait_ms;        /* how long a request waits for the runner (0: 30000) */
    int64_t pause_ms;       /* how long the runner serves requests at one batch boundary
                               before it goes on (0: 100) */
    const char *ready_file; /* when not NULL, the URL and a newline are written there (whole,
                               by a rename) once the API listens, or with ready_on_hold
                               once vg_admin_hold begins: what tests wait on. Borrowed */
    bool ready_on_hold;
} vg_admin_opts;

/* The admin API of plan (borrowed; it outlives the admin), listening on
 * opts->listen with its own threads. NULL with err set: VG_ERR_USAGE for a
 * bad address or a non-loopback one without a token, VG_ERR_IO when the
 * address cannot be bound, VG_ERR_NOMEM. */
vg_admin *vg_admin_start(const vg_plan *plan, const vg_admin_opts *opts, vg_error *err);
/* The same without a server: requests come only through vg_admin_handle,
 * on the runner's thread (tests, fuzzing, other transports). */
vg_admin *vg_admin_new(const vg_plan *plan, const vg_admin_opts *opts, vg_error *err);
/* "http://127.0.0.1:8470": where it listens (the port chosen for port 0). */
const char *vg_admin_url(const vg_admin *a);

/* What the runner runs now (all borrowed; any may be NULL). A DAG NULL
 * detaches: requests waiting for the runner get 503, later ones wait
 * for the next attach. */
void vg_admin_attach(vg_admin *a, vg_dag *dag, struct vg_registry *registry, vg_metrics *metrics);
/* Serve the requests waiting for the runner: between batches, on the
 * runner's thread. Costs one atomic read when none waits. */
void vg_admin_serve(vg_admin *a);
/* Serve requests as they come until *stop is set (a signal handler sets
 * it): replay --hold, at the end of its input. 0, or -1 with err set when
 * the ready file cannot be written. */
int vg_admin_hold(vg_admin *a, volatile sig_atomic_t *stop, vg_error *err);
/* Stop the server (requests in flight are answered first) and free a. */
void vg_admin_stop(vg_admin *a);

/* POST /reload calls fn (with arg) on the runner's thread, when ready (NULL:
 * always) says the runner is between batches. Without a reloader /reload
 * answers 501. */
void vg_admin_set_reloader(vg_admin *a, vg_reload_service fn, vg_reload_ready ready, void *arg);

/* A descriptor (an eventfd) that becomes readable when a request starts to
 * wait for the runner, so that a runner sleeping in poll(2) between turns
 * wakes for it; vg_admin_serve empties it. Owned by a. */
int vg_admin_wake_fd(const vg_admin *a);

/* GET /checkpoints lists the checkpoints of pipeline in st (both borrowed,
 * read on the runner's thread; NULL: an empty list, as replay has). */
struct vg_store;
void vg_admin_set_checkpoints(vg_admin *a, struct vg_store *st, const char *pipeline);

/* A change of model or ruleset version (POST /models, POST /rules, their
 * control commands) is bracketed by fn(arg, false, err) before it (-1:
 * refused, 503 with err's message, nothing changes) and fn(arg, true, err)
 * once it applied (the change stands; an error there is the runner's to
 * handle). `vigil run` writes a checkpoint at both, so every epoch of its
 * turn log has one set of versions. NULL: none. */
typedef int (*vg_admin_change_fn)(void *arg, bool after, vg_error *err);
void vg_admin_set_changer(vg_admin *a, vg_admin_change_fn fn, void *arg);

/* One command of a control topic, on the runner's thread between batches
 * (a DAG attached): msg[0..len) is a JSON object with "op" and optionally
 * "id" (any JSON value, echoed); the other members are the body of the
 * admin request the op stands for:
 *     {"op": "reload", "dry_run": B, "confirm": B}       POST /reload
 *     {"op": "activate_model", "model": M, "version": N}  POST /models
 *     {"op": "rules", "ruleset": R, "version": N}         POST /rules
 * (and every other body those endpoints take). No Host or token check: the
 * topic is the credential. The outcome is appended to reply as one JSON
 * line: {"id":ID,"op":OP,"status":HTTP,"ok":BOOL,"answer":BODY}, BODY
 * being what the endpoint answered ({"error":...} for a refusal); a
 * message that is not such a command gets status 400, op null and an
 * error saying why. Returns whether it was ok; out of memory leaves reply
 * as it was and returns false. */
bool vg_admin_command(vg_admin *a, const char *msg, size_t len, vg_buf *reply);

/* ---- requests without HTTP (vg_admin_new, tests, fuzzing) ---- */

/* One request, as a transport hands it over; strings NUL-terminated and
 * borrowed; NULL for an absent header. */
typedef struct vg_admin_request {
    const char *method;        /* "GET", "POST", ... */
    const char *path;          /* "/plan" (no query string) */
    const char *query;         /* "format=dot", or NULL */
    const char *host;          /* the Host header */
    const char *authorization; /* the Authorization header */
    const char *content_type;  /* the Content-Type header */
    const char *body;          /* body_len bytes (may hold NULs) */
    size_t body_len;
    bool body_too_large; /* the transport stopped reading past opts.max_body */
} vg_admin_request;

typedef struct vg_admin_response {
    int status;               /* HTTP status */
    const char *content_type; /* static string */
    const char *allow;        /* 405: the methods allowed; else NULL */
    bool authenticate;        /* 401: send WWW-Authenticate: Bearer */
    vg_buf body;              /* owned; vg_admin_response_free */
    /* A request the runner served from the queue (a route that reads the engine, on a
       server): ns from queued to taken by the runner, and from taken to answered (the
       runner's time on it, which the pipeline paid). The server sends them as
       "Server-Timing: wait;dur=MS, run;dur=MS". -1: not served by the runner from the
       queue: answered by the HTTP thread alone (GET /health, refusals), answered 503
       while queued, or without a server (vg_admin_new: the caller is the runner,
       nothing was queued, and it can time its own call) */
    int64_t wait_ns, run_ns;
} vg_admin_response;

/* Answer rq into rs (initialised here). On a server, the HTTP threads call
 * it and wait for the runner where needed (then rs->wait_ns and run_ns say
 * how long); without one, the caller is the runner and everything is
 * answered at once (wait_ns and run_ns -1). Never fails: out of memory
 * is a 500 with an empty body. */
void vg_admin_handle(vg_admin *a, const vg_admin_request *rq, vg_admin_response *rs);
void vg_admin_response_free(vg_admin_response *rs);

/* ---- the client: vigil query, vigil reload ---- */

typedef enum vg_admin_format {
    VG_ADMIN_JSON_LINES, /* one JSON object per row, keys in column order */
    VG_ADMIN_TABLE,      /* aligned columns with a header line */
} vg_admin_format;

/* POST sql to url's /query (url: "http://HOST:PORT" or "HOST:PORT"; token
 * may be NULL), with params[0..nparams) bound to its parameters as strings
 * when nparams > 0 (the JSON body {"sql", "params"}), and write the rows to
 * out in format fmt. 0; 1 when the
 * engine answered with an error, which is in err, positioned in sql when
 * the engine said where; -1 with err set when the engine could not be
 * reached or answered something else (VG_ERR_IO, VG_ERR_USAGE for a bad
 * url, VG_ERR_NOMEM). */
int vg_admin_client_query(const char *url, const char *token, const char *sql,
                          const char *const *params, uint32_t nparams, vg_admin_format fmt,
                          FILE *out, vg_error *err);

/* POST /reload to url ({"dry_run": ..., "confirm": ...}) and write the
 * engine's answer to out: its summary line and state plan (raw: the JSON
 * answer as it came). 0 when applied or shown; 1 when the engine refused,
 * with err set: VG_ERR_SEMANTIC for new SQL that does not compile
 * (positioned in its file), VG_ERR_RUNTIME for a reload that failed; 2
 * for a reload refused because it drops state and confirm was not given
 * (the plan it would apply is written to out first; err says what would be
 * lost); -1 with err set when the engine could not be reached or
 * answered something else (VG_ERR_IO, VG_ERR_USAGE, VG_ERR_NOMEM). */
int vg_admin_client_reload(const char *url, const char *token, bool dry_run, bool confirm,
                           bool raw, FILE *out, vg_error *err);

#endif
