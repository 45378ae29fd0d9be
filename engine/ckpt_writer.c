/*
 * ckpt_writer.c — the checkpoint writer thread (ckpt_writer.h).
 *
 * One job slot: the runner submits a snapshot (state SUBMITTED), the
 * thread takes it (WRITING), commits it through its own connection and
 * records the outcome (DONE); the runner collects it (IDLE again). Every
 * field below the mutex is read and written under it, except the job's
 * snapshot and checkpoints, which the thread alone uses while WRITING, and
 * the store connection, which only the thread uses after the start.
 *
 * The crash hook point "ckpt-written" (after the store committed, before
 * the runner knows) is passed on this thread.
 */
#include "engine/ckpt_writer.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "engine/alloc.h"
#include "engine/crash.h"

/* How often the writer copies the turn log's write-ahead log back into its
 * file: the runner's appends never do (vg_store_wal_manual), so their
 * commits never wait for a sync of the disk, which a checkpoint being
 * written keeps busy. */
#define WAL_EVERY_S 1

typedef enum job_state { JOB_IDLE, JOB_SUBMITTED, JOB_WRITING, JOB_DONE } job_state;

struct vg_ckpt_writer {
    vg_store *st;         /* the writer thread's own connection */
    vg_store *turns;      /* its connection to the runner's turn log, whose write-ahead log
                           * it copies back every WAL_EVERY_S (NULL: none) */
    int wake;             /* eventfd written when a job is DONE (vg_ckpt_writer_fd) */
    pthread_t thread;     /* the writer */
    pthread_mutex_t mu;   /* guards everything below */
    pthread_cond_t cv;    /* signalled at every change of state or stop */
    job_state state;      /* where the job slot is */
    bool stop;            /* the thread is to end once the slot is not SUBMITTED */
    vg_checkpoints *c;    /* the job's checkpoints (borrowed) */
    vg_checkpoint_snap *s; /* the job's snapshot (owned while not IDLE) */
    bool held;            /* the job waits for vg_ckpt_writer_release before its commit */
    const vg_store_sink_pos *rel; /* released: the sinks' final positions (borrowed) */
    uint32_t nrel;
    bool released;        /* vg_ckpt_writer_release was called for the job */
    vg_error rel_err;     /* ... with this failure (code 0: none) */
    int rc;               /* DONE: 0 written, -1 failed */
    vg_checkpoint_stats stats; /* DONE, written: what it did */
    vg_error err;         /* DONE, failed: why */
};

/* A held job: wait until it is released (or the writer stops), then take
 * the positions into s. 0, or -1 with err set. */
static int wait_release(vg_ckpt_writer *w, vg_checkpoint_snap *s, vg_error *err)
{
    pthread_mutex_lock(&w->mu);
    while (!w->released && !w->stop)
        pthread_cond_wait(&w->cv, &w->mu);
    int rc = 0;
    if (!w->released)
        rc = vg_error_set(err, VG_ERR_RUNTIME, "stopped before the checkpoint's rows were "
                          "delivered");
    else if (w->rel_err.code)
        *err = w->rel_err, rc = -1;
    for (uint32_t i = 0; rc == 0 && i < w->nrel; i++)
        if (vg_checkpoint_snap_set_position(s, w->rel[i].sink, w->rel[i].position) < 0)
            rc = vg_error_set(err, VG_ERR_NOMEM, "out of memory");
    pthread_mutex_unlock(&w->mu);
    return rc;
}

/* Write one job (outside the mutex: the slot is WRITING, nobody else
 * touches the job). */
static void write_job(vg_ckpt_writer *w, vg_checkpoints *c, vg_checkpoint_snap *s, bool held)
{
    vg_checkpoint_stats stats;
    vg_error err;
    vg_error_clear(&err);
    memset(&stats, 0, sizeof stats);
    /* the operators' bytes first (the child serialises them meanwhile), then the deliveries */
    int rc = vg_checkpoint_snap_ready(s, &err);
    if (rc == 0 && held)
        rc = wait_release(w, s, &err);
    if (rc == 0)
        rc = vg_checkpoint_commit_to(c, w->st, s, &stats, &err);
    if (rc == 0)
        vg_crash_point("ckpt-written"); /* the test hook: committed, the runner not told */
    vg_checkpoint_snap_free(s);
    pthread_mutex_lock(&w->mu);
    w->s = NULL;
    w->rc = rc;
    w->stats = stats;
    w->err = err;
    w->state = JOB_DONE;
    pthread_cond_broadcast(&w->cv);
    pthread_mutex_unlock(&w->mu);
    uint64_t one = 1;
    if (write(w->wake, &one, sizeof one) < 0) {
        /* (a full counter is readable all the same) */
    }
}

/* Wait on the mutex (held) for a change, at most until *next (the turn
 * log's next WAL copy, CLOCK_MONOTONIC; the condition variable uses it). */
static void wait_change(vg_ckpt_writer *w, const struct timespec *next)
{
    if (!w->turns)
        pthread_cond_wait(&w->cv, &w->mu);
    else
        pthread_cond_timedwait(&w->cv, &w->mu, next);
}

/* Copy the turn log's write-ahead log back when its time has come (the
 * mutex not held); a failure leaves the log to the next time. */
static void turns_wal(vg_ckpt_writer *w, struct timespec *next)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    if (!w->turns || now.tv_sec < next->tv_sec ||
        (now.tv_sec == next->tv_sec && now.tv_nsec < next->tv_nsec))
        return;
    vg_error err;
    vg_error_clear(&err);
    (void)vg_store_wal_checkpoint(w->turns, &err);
    *next = now;
    next->tv_sec += WAL_EVERY_S;
}

static void *run(void *arg)
{
    vg_ckpt_writer *w = arg;
    /* the pipeline's threads first when the CPUs are busy: nice 10 (Linux: a thread's
     * own). Not lower: see child_snapshot in engine/checkpoint.c */
    if (setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), 10) < 0) {
        /* not allowed: the same priority as the loop */
    }
    struct timespec next;
    clock_gettime(CLOCK_MONOTONIC, &next);
    pthread_mutex_lock(&w->mu);
    for (;;) {
        while (w->state != JOB_SUBMITTED && !w->stop) {
            wait_change(w, &next);
            pthread_mutex_unlock(&w->mu);
            turns_wal(w, &next);
            pthread_mutex_lock(&w->mu);
        }
        if (w->state != JOB_SUBMITTED)
            break; /* stopping, nothing to write */
        w->state = JOB_WRITING;
        vg_checkpoints *c = w->c;
        vg_checkpoint_snap *s = w->s;
        bool held = w->held;
        pthread_mutex_unlock(&w->mu);
        write_job(w, c, s, held);
        turns_wal(w, &next);
        pthread_mutex_lock(&w->mu);
    }
    pthread_mutex_unlock(&w->mu);
    return NULL;
}

vg_ckpt_writer *vg_ckpt_writer_start(const char *path, const char *turns_path, vg_error *err)
{
    vg_ckpt_writer *w = vg_calloc(VG_MEM_STATE, 1, sizeof *w);
    if (!w) {
        vg_error_set(err, VG_ERR_NOMEM, "out of memory");
        return NULL;
    }
    if ((w->wake = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) < 0) {
        vg_error_set(err, VG_ERR_IO, "cannot start the checkpoint writer: %s", strerror(errno));
        vg_free(w);
        return NULL;
    }
    if (!(w->st = vg_store_open(path, err)) ||
        (turns_path && !(w->turns = vg_store_open(turns_path, err)))) {
        vg_store_close(w->st);
        close(w->wake);
        vg_free(w);
        return NULL;
    }
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_mutex_init(&w->mu, NULL);
    pthread_cond_init(&w->cv, &ca);
    pthread_condattr_destroy(&ca);
    int e = pthread_create(&w->thread, NULL, run, w);
    if (e) {
        vg_error_set(err, VG_ERR_IO, "cannot start the checkpoint writer: %s", strerror(e));
        pthread_cond_destroy(&w->cv);
        pthread_mutex_destroy(&w->mu);
        vg_store_close(w->turns);
        vg_store_close(w->st);
        close(w->wake);
        vg_free(w);
        return NULL;
    }
    return w;
}

void vg_ckpt_writer_stop(vg_ckpt_writer *w)
{
    if (!w)
        return;
    pthread_mutex_lock(&w->mu);
    w->stop = true;
    pthread_cond_broadcast(&w->cv);
    while (w->state == JOB_WRITING)
        pthread_cond_wait(&w->cv, &w->mu);
    pthread_mutex_unlock(&w->mu);
    pthread_join(w->thread, NULL);
    vg_checkpoint_snap_free(w->s); /* submitted and never taken (stopped first) */
    pthread_cond_destroy(&w->cv);
    pthread_mutex_destroy(&w->mu);
    vg_store_close(w->turns);
    vg_store_close(w->st);
    close(w->wake);
    vg_free(w);
}

int vg_ckpt_writer_fd(const vg_ckpt_writer *w) { return w->wake; }

static void submit(vg_ckpt_writer *w, vg_checkpoints *c, vg_checkpoint_snap *s, bool held)
{
    pthread_mutex_lock(&w->mu);
    w->c = c;
    w->s = s;
    w->held = held;
    w->released = false;
    w->rel = NULL;
    w->nrel = 0;
    vg_error_clear(&w->rel_err);
    w->state = JOB_SUBMITTED;
    pthread_cond_broadcast(&w->cv);
    pthread_mutex_unlock(&w->mu);
}

void vg_ckpt_writer_submit(vg_ckpt_writer *w, vg_checkpoints *c, vg_checkpoint_snap *s)
{
    submit(w, c, s, false);
}

void vg_ckpt_writer_submit_held(vg_ckpt_writer *w, vg_checkpoints *c, vg_checkpoint_snap *s)
{
    submit(w, c, s, true);
}

void vg_ckpt_writer_release(vg_ckpt_writer *w, const vg_store_sink_pos *sinks, uint32_t n,
                            const vg_error *fail)
{
    pthread_mutex_lock(&w->mu);
    if (w->held && !w->released && w->state != JOB_IDLE) {
        w->released = true;
        w->rel = sinks;
        w->nrel = n;
        if (fail)
            w->rel_err = *fail;
        pthread_cond_broadcast(&w->cv);
    }
    pthread_mutex_unlock(&w->mu);
}

bool vg_ckpt_writer_held(const vg_ckpt_writer *w)
{
    vg_ckpt_writer *m = (vg_ckpt_writer *)w; /* (the mutex only) */
    pthread_mutex_lock(&m->mu);
    bool held = m->held && !m->released &&
                (m->state == JOB_SUBMITTED || m->state == JOB_WRITING);
    pthread_mutex_unlock(&m->mu);
    return held;
}

bool vg_ckpt_writer_busy(const vg_ckpt_writer *w)
{
    vg_ckpt_writer *m = (vg_ckpt_writer *)w; /* (the mutex only) */
    pthread_mutex_lock(&m->mu);
    bool busy = m->state != JOB_IDLE;
    pthread_mutex_unlock(&m->mu);
    return busy;
}

int vg_ckpt_writer_collect(vg_ckpt_writer *w, bool wait, vg_checkpoint_stats *stats,
                           vg_error *err)
{
    uint64_t n;
    if (read(w->wake, &n, sizeof n) < 0) {
        /* nothing done since the last collect: EAGAIN */
    }
    pthread_mutex_lock(&w->mu);
    while (wait && (w->state == JOB_SUBMITTED || w->state == JOB_WRITING))
        pthread_cond_wait(&w->cv, &w->mu);
    int rc = 0;
    if (w->state == JOB_DONE) {
        rc = w->rc == 0 ? 1 : -1;
        if (rc > 0 && stats)
            *stats = w->stats;
        if (rc < 0)
            *err = w->err;
        w->state = JOB_IDLE;
        w->c = NULL;
        w->held = false;
    }
    pthread_mutex_unlock(&w->mu);
    return rc;
}
