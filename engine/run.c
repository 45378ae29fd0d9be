/*
 * run.c — the loop of `vigil run`.
 *
 * One turn: each stream reads up to a batch of messages (not waiting) and
 * pushes them; the combined watermark advances; the sinks' rows go to their
 * producers and files; delivery reports are served; offsets are committed
 * when every message sent so far is delivered (at most every 100 ms), or,
 * at the commit interval, after waiting for the deliveries. When no stream
 * had a full batch, the loop sleeps in poll(2) on the consumers' queue
 * descriptors and the stop descriptor, until a message, a stop, the next
 * partition turning idle, a checkpoint written by the writer thread, or
 * 100 ms (deliveries and commits) — so an idle pipeline costs nothing and a
 * message is picked up as it arrives.
 *
 * Stopping (a signal on stop_fd, max_events, or --exit-at-end once every
 * partition is at its end): the rows of the last turn are already handed
 * over; the run waits for their delivery, commits the offsets
 * synchronously (with a store: writes a last checkpoint), leaves the
 * consumer groups and returns 0. Windows still open are not fired (the
 * watermark does not jump to the end of time as replay's does); with a
 * store their state is in the checkpoint.
 *
 * With a store (run_ckpt.c) a turn that pushed something or moved the
 * watermark is logged before its rows go to the sinks, and checkpoints
 * take the place of the offset commits.
 *
 * Between turns the control plane has its say (run_reload.c): the admin
 * API's requests are served (its wake-up descriptor is among those the
 * idle loop polls, so a query on an idle pipeline is answered at once),
 * the control topic's commands are done, and an edited pipeline file is
 * reloaded once its edit is over.
 *
 * Restarts (opts.max_restarts, with a store): a run that failed is
 * classified before its clients close — a Kafka client's failure
 * (vg_kafka_fault_of) is cured by new clients, anything else or a fenced
 * producer is not — and, when curable, everything is closed and opened
 * again as a new process would (the newest checkpoint restored, the logged
 * turns re-run, the sinks' rows already there suppressed), after a wait
 * that doubles from RESTART_FIRST_MS to RESTART_MAX_MS and that a stop
 * cuts short. The count of restarts in a row starts again once a
 * restarted run writes a checkpoint.
 */
#include "engine/run.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "engine/alloc.h"
#include "engine/clock.h"
#include "engine/crash.h"
#include "engine/run_int.h"
#include "engine/runner_common.h"

#define WAIT_MAX_MS      100   /* longest sleep: delivery reports and commits need turns */
#define COMMIT_GAP_MS    100   /* shortest time between two commits */
#define FLUSH_TURN_MS    1000  /* a flush at the commit interval gives up after this */
#define FLUSH_STOP_MS    30000 /* the flush when stopping */
#define RESTART_FIRST_MS 500   /* the wait before the first restart in a row, doubled for each */
#define RESTART_MAX_MS   10000 /* ... up to this */

void run_kafka_log(void *arg, int level, const char *facility, const char *msg)
{
    (void)facility;
    const run *r = arg;
    int max = r->opts->log_level ? r->opts->log_level : 4;
    if (r->opts->log && level <= max)
        fprintf(r->opts->log, "vigil: kafka: %s\n", msg);
}

void run_warn(run *r, const char *fmt, ...)
{
    if (!r->opts->log)
        return;
    va_list ap;
    va_start(ap, fmt);
    fputs("vigil: warning: ", r->opts->log);
    vfprintf(r->opts->log, fmt, ap);
    fputc('\n', r->opts->log);
    va_end(ap);
}

bool run_stop_asked(run *r)
{
    struct pollfd p = {.fd = r->opts->stop_fd, .events = POLLIN};
    return r->opts->stop_fd >= 0 && poll(&p, 1, 0) > 0 && (p.revents & POLLIN);
}

int vg_run_stop_fd(vg_error *err)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
        return vg_error_set(err, VG_ERR_IO, "cannot block signals: %s", strerror(errno));
    int fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
    if (fd < 0)
        return vg_error_set(err, VG_ERR_IO, "cannot create a signal descriptor: %s",
                            strerror(errno));
    return fd;
}

/* ---- commits ---- */

/* Commit when everything sent is delivered, or at the commit interval
 * after waiting for the deliveries (a flush that times out, with a broker
 * down, just postpones the commit). */
static int maybe_commit(run *r, int64_t now, vg_error *err)
{
    uint64_t pending;
    if (run_sinks_serve(r, &pending, err) < 0)
        return -1;
    if (!run_offsets_dirty(r))
        return 0;
    int64_t interval = r->opts->commit_interval_ms > 0 ? r->opts->commit_interval_ms : 1000;
    int64_t gap = interval < COMMIT_GAP_MS ? interval : COMMIT_GAP_MS;
    int64_t since = now - r->last_commit_ms;
    if (since < gap || (pending && since < interval))
        return 0;
    if (pending) {
        vg_error ferr;
        vg_error_clear(&ferr);
        if (run_sinks_flush(r, FLUSH_TURN_MS, &ferr) < 0) {
            if (ferr.retriable)
                return 0;
            *err = ferr;
            return -1;
        }
    }
    r->last_commit_ms = now;
    return run_commit(r, false, err);
}

/* ---- the loop ---- */

/* With a store: serve delivery reports, checkpoint at the interval. */
static int maybe_checkpoint(run *r, int64_t now, vg_error *err)
{
    uint64_t pending;
    if (run_sinks_serve(r, &pending, err) < 0)
        return -1;
    return run_ckpt_maybe(r, now, false, err);
}

/* One turn; *more when a stream may have messages waiting, *wake_ms the
 * time until a partition turns idle. */
static int turn(run *r, bool *more, int64_t *wake_ms, vg_error *err)
{
    uint64_t before = r->events;
    double t0 = r->am ? vg_metrics_now() : 0;
    bool moved = false, logged = false;
    *more = false;
    for (uint32_t i = 0; i < r->plan->nsources; i++) {
        if (run_source_turn(r, i, err) < 0)
            return -1;
        *more |= r->src[i].full;
    }
    int64_t now = vg_clock_ms();
    int64_t wm = run_watermark(r, now, wake_ms);
    if (wm != VG_WM_MIN && wm > r->m->watermark) {
        vg_dag_watermark(r->dag, wm);
        r->m->watermark = wm;
        moved = true;
    }
    const vg_error *e = vg_dag_error(r->dag);
    if (e) {
        *err = *e;
        return -1;
    }
    if (r->st && run_ckpt_log_turn(r, moved, &logged, err) < 0)
        return -1;
    if (logged)
        vg_crash_point("turn-logged"); /* the test hook: logged, no row handed over yet */
    if (run_sinks_drain(r, err) < 0)
        return -1;
    if (logged)
        vg_crash_point("sink-handed"); /* the test hook: rows handed over, not delivered */
    vg_dag_end_batch(r->dag);
    r->m->batches += r->events != before;
    r->m->late_rows = vg_dag_late_rows(r->dag);
    r->m->seconds = (double)(now - r->started_ms) / 1000.0;
    if (r->am && (r->events != before || moved))
        vg_hist_add(&r->am->batch_seconds, vg_metrics_now() - t0);
    return r->st ? maybe_checkpoint(r, now, err) : maybe_commit(r, now, err);
}

/* ---- between turns: the admin API, the control topic, file edits ---- */

void run_admin_sync(run *r)
{
    vg_metrics *am = r->am;
    const vg_run_metrics *m = r->m;
    if (!am)
        return;
    uint32_t parts = 1;
    for (uint32_t i = 0; i < m->nsources; i++) {
        r->am_counts[i] = m->sources[i].events_read;
        r->am_counts[m->nsources + i] = m->sources[i].events_dead;
        parts = m->sources[i].partitions > parts ? m->sources[i].partitions : parts;
    }
    am->partitions = parts;
    am->late_rows = m->late_rows;
    am->watermark = m->watermark;
    am->batches = m->batches;
    am->nsinks = m->nsinks;
    am->sinks = m->sinks;
    am->checkpoints = m->checkpoints;
    am->checkpoint_failures = m->checkpoint_failures;
    am->checkpoint_at_ms = m->checkpoint_at_ms;
    am->checkpoint_seconds = m->checkpoint_seconds;
    am->epoch = m->epoch;
    am->recovered_turns = m->recovered_turns;
    am->reloads = m->reloads;
    am->reload_failures = m->reload_failures;
    am->control_commands = m->control_commands;
    am->control_errors = m->control_errors;
    am->restarts = m->restarts;
}

/* Serve what waits for the runner; *wake_ms lowered to the end of an edit. */
static int between(run *r, int64_t *wake_ms, vg_error *err)
{
    run_admin_sync(r);
    if (r->admin)
        vg_admin_serve(r->admin);
    if (run_control_serve(r, err) < 0)
        return -1;
    if (!run_failed(r) && run_watch_due(r, vg_clock_ms(), wake_ms)) {
        vg_reload_answer ans = {.report = NULL};
        vg_error_clear(&ans.err);
        run_reload(r, "on a file edit", &(vg_reload_request){.confirm = false}, &ans);
        vg_reload_answer_free(&ans);
    }
    if (run_failed(r)) {
        *err = r->fatal;
        return -1;
    }
    return 0;
}

/* Sleep until input, a stop, a request, a command, an edit or timeout_ms;
 * 1 when asked to stop. */
static int wait_input(run *r, struct pollfd *fds, int timeout_ms, vg_error *err)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < r->plan->nsources; i++)
        fds[n++] = (struct pollfd){.fd = vg_kafka_source_fd(r->src[i].ks), .events = POLLIN};
    int extra[] = {r->admin ? vg_admin_wake_fd(r->admin) : -1, r->watch.fd, run_control_fd(r),
                   r->writer ? vg_ckpt_writer_fd(r->writer) : -1};
    for (size_t i = 0; i < sizeof extra / sizeof extra[0]; i++)
        fds[n++] = (struct pollfd){.fd = extra[i], .events = POLLIN}; /* (-1: ignored) */
    if (r->opts->stop_fd >= 0)
        fds[n++] = (struct pollfd){.fd = r->opts->stop_fd, .events = POLLIN};
    if (poll(fds, n, timeout_ms) < 0 && errno != EINTR)
        return vg_error_set(err, VG_ERR_IO, "poll: %s", strerror(errno));
    if (r->opts->stop_fd >= 0 && (fds[n - 1].revents & POLLIN)) {
        struct signalfd_siginfo si;
        if (read(r->opts->stop_fd, &si, sizeof si) < 0) {
            /* not a signalfd, or already read: stopping all the same */
        }
        return 1;
    }
    return 0;
}

static int loop(run *r, vg_error *err)
{
    struct pollfd *fds = vg_calloc(VG_MEM_IO, r->plan->nsources + 6, sizeof *fds);
    if (!fds)
        return vg_error_set(err, VG_ERR_NOMEM, "out of memory");
    int rc;
    for (;;) {
        bool more;
        int64_t wake = WAIT_MAX_MS;
        r->in_turn = true;
        rc = turn(r, &more, &wake, err);
        r->in_turn = false;
        if (rc < 0)
            break;
        if (r->opts->max_events && r->events >= r->opts->max_events)
            break;
        if (r->opts->exit_at_end && run_sources_at_end(r))
            break;
        if ((rc = between(r, &wake, err)) < 0)
            break;
        if ((rc = wait_input(r, fds, more ? 0 : (int)(wake > 0 ? wake : 0), err)) != 0) {
            r->stop_asked = rc > 0;
            break;
        }
    }
    vg_free(fds);
    return rc < 0 ? -1 : 0;
}

/* A clean stop: every row delivered, then the offsets committed (with a
 * store: a last checkpoint). */
static int finish(run *r, vg_error *err)
{
    if (r->st) {
        if (run_ckpt_maybe(r, vg_clock_ms(), true, err) < 0)
            return -1;
    } else if (run_sinks_flush(r, FLUSH_STOP_MS, err) < 0 ||
               (run_offsets_dirty(r) && run_commit(r, true, err) < 0)) {
        return -1;
    }
    r->m->seconds = (double)(vg_clock_ms() - r->started_ms) / 1000.0;
    return 0;
}

/* ---- open, close ---- */

static int metrics_init(vg_run_metrics *m, const vg_plan *plan)
{
    uint32_t restarts = m->restarts; /* (counted over the runs of one vg_run) */
    memset(m, 0, sizeof *m);
    m->restarts = restarts;
    m->watermark = VG_WM_MIN;
    m->sources = vg_calloc(VG_MEM_OTHER, plan->nsources + 1, sizeof *m->sources);
    m->sinks = vg_calloc(VG_MEM_OTHER, 1, sizeof *m->sinks); /* the dead letter's */
    m->names = vg_arena_new(VG_MEM_OTHER, 1024);
    if (!m->sources || !m->sinks || !m->names)
        return -1;
    m->nsources = plan->nsources;
    m->nsinks = 1;
    for (uint32_t i = 0; i < plan->nsources; i++)
        m->sources[i].watermark = VG_WM_MIN;
    return 0;
}

/* The admin API's metrics and the arrays they borrow. */
static int admin_metrics_init(run *r, vg_error *err)
{
    if (!r->opts->admin && !r->cfg->control.topic)
        return 0;
    r->am = r->opts->admin_metrics ? r->opts->admin_metrics : &r->own_am;
    if (r->am == &r->own_am)
        vg_metrics_init(r->am);
    uint32_t n = r->m->nsources;
    r->am_counts = vg_calloc(VG_MEM_OTHER, 2 * n + 1, sizeof *r->am_counts);
    r->am_names = vg_calloc(VG_MEM_OTHER, n + 1, sizeof *r->am_names);
    if (!r->am_counts || !r->am_names)
        return vg_error_set(err, VG_ERR_NOMEM, "out of memory");
    for (uint32_t i = 0; i < n; i++)
        r->am_names[i] = r->m->sources[i].name;
    r->am->nsources = n;
    r->am->source_names = r->am_names;
    r->am->events_in = r->am_counts;
    r->am->events_dead = r->am_counts + n;
    return 0;
}

/* Whether the runner is between turns (a reload or a version change may
 * be made now); queries are also served between a turn's chunks. */
static bool between_turns(void *arg) { return !((const run *)arg)->in_turn; }

/* The admin API serves this run: its reloads, changes, checkpoints, DAG. */
static void admin_hook(run *r)
{
    vg_admin *a = r->admin;
    if (!a)
        return;
    vg_admin_set_reloader(a, r->opts->pipeline_path ? run_serve_reload : NULL, between_turns, r);
    vg_admin_set_changer(a, run_change, r);
    vg_admin_set_checkpoints(a, r->st, r->cfg->name);
    run_admin_sync(r);
    run_admin_attach(r);
}

static void admin_unhook(run *r)
{
    vg_admin *a = r->admin;
    if (!a)
        return;
    vg_admin_set_reloader(a, NULL, NULL, NULL);
    vg_admin_set_changer(a, NULL, NULL);
    vg_admin_set_checkpoints(a, NULL, NULL);
    vg_admin_attach(a, NULL, NULL, NULL);
    if (r->am) { /* (the run's metrics and arrays may go first: a restart frees them) */
        r->am->sinks = NULL, r->am->nsinks = 0;
        r->am->source_names = NULL, r->am->events_in = r->am->events_dead = NULL;
        r->am->nsources = 0;
    }
}

static int open_all(run *r, vg_error *err)
{
    /* with a store, the newest checkpoint may have been written by another plan: that one
     * runs until it is recovered */
    if (run_ckpt_pick_plan(r, err) < 0)
        return -1;
    if (metrics_init(r->m, r->plan) < 0)
        return vg_error_set(err, VG_ERR_NOMEM, "out of memory");
    vg_registry *given = r->pipe ? NULL : r->opts->registry; /* (the caller's plan's) */
    if (vg_runner_open_registry(r->plan, given, r->cfg->state.store, &r->registry,
                                &r->owns_registry, err) < 0 ||
        !(r->dag = vg_dag_open_with(r->plan, r->registry, err)))
        return -1;
    vg_dag_on_late(r->dag, vg_runner_late_row, &r->dead_buf);
    r->eval = (vg_eval_ctx){vg_dag_scratch(r->dag), &r->eval_err};
    if (!(r->src = vg_calloc(VG_MEM_IO, r->plan->nsources + 1, sizeof *r->src)))
        return vg_error_set(err, VG_ERR_NOMEM, "out of memory");
    /* every binding is checked before a file is opened or a group joined; the checkpoint
     * is restored before the sinks and sources go back to where it says */
    if (run_sources_bind(r, err) < 0 || run_ckpt_open(r, err) < 0 || run_sinks_open(r, err) < 0 ||
        run_sources_open(r, err) < 0 || run_ckpt_start(r, err) < 0)
        return -1;
    r->started = true;
    if (admin_metrics_init(r, err) < 0 || run_control_open(r, err) < 0)
        return -1;
    admin_hook(r);
    return run_reload_start(r, err) < 0 || run_watch_open(r, err) < 0 ? -1 : 0;
}

static void close_all(run *r)
{
    admin_unhook(r);
    run_control_close(r);
    run_watch_close(r);
    run_sources_close(r); /* leaves the groups */
    run_sinks_close(r);
    vg_free(r->src);
    vg_buf_free(&r->dead_buf);
    run_ckpt_close(r);
    vg_dag_close(r->dag);
    if (r->owns_registry)
        vg_registry_free(r->registry);
    vg_pipeline_free(r->pipe); /* (after the DAG and registry of its plan) */
    vg_admin_stop(r->own_admin);
    vg_free(r->am_counts);
    vg_free(r->am_names);
}

/* ---- restarts ---- */

/* What to do after a run failed. */
typedef enum run_verdict {
    RUN_STOP,    /* stop with the error: a restart would not cure it */
    RUN_RESTART, /* restart from the newest checkpoint */
    RUN_FENCED,  /* stop: another instance runs the pipeline */
} run_verdict;

/* By the Kafka fault behind the error (anything but a client's failure is
 * not one new clients cure: configuration, the store, a full disk, out of
 * memory, a recomputation that differs, a message the broker refuses). */
static const run_verdict by_fault[] = {
    [VG_KAFKA_FAULT_NONE] = RUN_STOP,
    [VG_KAFKA_FAULT_CLIENT] = RUN_RESTART,
    [VG_KAFKA_FAULT_FENCED] = RUN_FENCED,
    [VG_KAFKA_FAULT_REFUSED] = RUN_STOP,
};

/* What to do after r failed with e (before its clients close). Without a
 * store the state would be lost, and after a stop the run is over. */
static run_verdict verdict(const run *r, const vg_error *e)
{
    if (!r->cfg->state.store || r->stop_asked)
        return RUN_STOP;
    return by_fault[vg_kafka_fault_of(e)];
}

/* One run: open, loop until stopped, finish, close; *v what its failure
 * calls for. */
static int run_once(const vg_plan *plan, const vg_config *cfg, const vg_run_opts *opts,
                    vg_run_metrics *metrics, run_verdict *v, vg_error *err)
{
    run r = {.plan = plan,
             .cfg = cfg,
             .plan_cfg = cfg,
             .opts = opts,
             .m = metrics,
             .admin = opts->admin,
             .watch = {.fd = -1}};
    vg_buf_init(&r.dead_buf, VG_MEM_IO);
    vg_error_clear(&r.eval_err);
    vg_error_clear(&r.fatal);
    r.max_event = opts->max_event_bytes ? opts->max_event_bytes : (1u << 20);
    r.started_ms = r.last_commit_ms = vg_clock_ms();
    int rc = open_all(&r, err);
    if (rc == 0)
        rc = loop(&r, err);
    if (rc == 0)
        rc = finish(&r, err);
    *v = rc < 0 ? verdict(&r, err) : RUN_STOP;
    close_all(&r);
    return rc;
}

/* The newest checkpoint's epoch in cfg's store: where a restart starts
 * (0: none, or the store cannot say). */
static int64_t newest_epoch(const vg_config *cfg)
{
    vg_error e;
    vg_error_clear(&e);
    vg_store_ckpt info;
    vg_arena *a = vg_arena_new(VG_MEM_STATE, 1024);
    vg_store *st = a ? vg_store_open(cfg->state.store, &e) : NULL;
    int64_t epoch = st && vg_checkpoint_peek(st, cfg->name, a, &info, &e) == 0 ? info.epoch : 0;
    vg_store_close(st);
    vg_arena_free(a);
    return epoch;
}

/* Wait ms, or less when a stop comes: true then. */
static bool stopped_within(const vg_run_opts *opts, int64_t ms)
{
    int64_t until = vg_clock_ms() + ms;
    for (int64_t left = ms; left > 0; left = until - vg_clock_ms()) {
        struct pollfd p = {.fd = opts->stop_fd, .events = POLLIN};
        if (poll(&p, opts->stop_fd >= 0, (int)left) > 0 && (p.revents & POLLIN))
            return true;
    }
    return false;
}

/* The error of a producer fenced by another one with its transactional.id. */
static void fenced(const vg_config *cfg, vg_error *err)
{
    char why[sizeof err->msg];
    snprintf(why, sizeof why, "%s", err->msg);
    vg_error_clear(err);
    vg_error_set(err, VG_ERR_IO,
                 "another instance of pipeline '%s' is running: a producer with the same "
                 "transactional.id fenced this one, so this run stops and does not restart (%s)",
                 cfg->name, why);
}

int vg_run(const vg_plan *plan, const vg_config *cfg, const vg_run_opts *opts,
           vg_run_metrics *metrics, vg_error *err)
{
    memset(metrics, 0, sizeof *metrics);
    uint32_t in_a_row = 0;
    int64_t wait_ms = RESTART_FIRST_MS;
    for (;;) {
        run_verdict v;
        if (run_once(plan, cfg, opts, metrics, &v, err) == 0)
            return 0;
        if (v == RUN_FENCED)
            fenced(cfg, err);
        if (v != RUN_RESTART || !opts->max_restarts)
            return -1;
        if (metrics->checkpoints) /* this run made progress: a new series */
            in_a_row = 0, wait_ms = RESTART_FIRST_MS;
        FILE *log = opts->log;
        if (in_a_row == opts->max_restarts) {
            if (log)
                fprintf(log,
                        "vigil: not restarting: %u restarts in a row did not get a "
                        "checkpoint written\n",
                        in_a_row);
            return -1;
        }
        in_a_row++;
        if (log)
            fprintf(log, "vigil: restarting from checkpoint %lld (attempt %u of %u) after: %s\n",
                    (long long)newest_epoch(cfg), in_a_row, opts->max_restarts, err->msg);
        if (stopped_within(opts, wait_ms)) {
            if (log)
                fprintf(log, "vigil: stopped while waiting to restart\n");
            return -1;
        }
        wait_ms = wait_ms * 2 < RESTART_MAX_MS ? wait_ms * 2 : RESTART_MAX_MS;
        uint32_t restarts = metrics->restarts + 1;
        vg_run_metrics_free(metrics);
        metrics->restarts = restarts;
        vg_error_clear(err);
    }
}

void vg_run_metrics_free(vg_run_metrics *m)
{
    vg_free(m->sources);
    vg_free(m->sinks);
    vg_arena_free(m->names);
    memset(m, 0, sizeof *m);
}

void vg_run_metrics_print(const vg_run_metrics *m, FILE *out)
{
    for (uint32_t i = 0; i < m->nsources; i++)
        fprintf(out, "vigil: %s: read %llu events, %llu dead-lettered\n", m->sources[i].name,
                (unsigned long long)m->sources[i].events_read,
                (unsigned long long)m->sources[i].events_dead);
    if (m->late_rows)
        fprintf(out, "vigil: %llu late rows dead-lettered\n", (unsigned long long)m->late_rows);
    for (uint32_t i = 0; i + 1 < m->nsinks; i++) {
        const vg_run_sink_metrics *s = &m->sinks[i];
        fprintf(out, "vigil: %s: wrote %llu rows", s->name, (unsigned long long)s->rows);
        if (s->kafka)
            fprintf(out, ", %llu delivered", (unsigned long long)s->delivered);
        if (s->suppressed)
            fprintf(out, ", %llu already there", (unsigned long long)s->suppressed);
        fputc('\n', out);
    }
    if (m->restored_epoch)
        fprintf(out, "vigil: resumed from checkpoint epoch %lld, %u logged turns re-run\n",
                (long long)m->restored_epoch, m->recovered_turns);
    if (m->checkpoints || m->checkpoint_failures)
        fprintf(out, "vigil: %llu checkpoints written (last epoch %lld), %llu failed\n",
                (unsigned long long)m->checkpoints, (long long)m->epoch,
                (unsigned long long)m->checkpoint_failures);
    if (m->reloads || m->reload_failures)
        fprintf(out, "vigil: reloads: %u applied, %u failed\n", m->reloads, m->reload_failures);
    if (m->activations)
        fprintf(out, "vigil: %u model and ruleset versions activated\n", m->activations);
    if (m->control_commands)
        fprintf(out, "vigil: control topic: %llu commands, %llu refused\n",
                (unsigned long long)m->control_commands, (unsigned long long)m->control_errors);
    if (m->restarts)
        fprintf(out, "vigil: restarted %u time%s after a failure (the counts above are since "
                     "the last restart)\n",
                m->restarts, m->restarts == 1 ? "" : "s");
}
