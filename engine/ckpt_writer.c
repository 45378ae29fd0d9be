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
#include <unistd.h>

#include "engine/alloc.h"
#include "engine/crash.h"

typedef enum job_state { JOB_IDLE, JOB_SUBMITTED, JOB_WRITING, JOB_DONE } job_state;

struct vg_ckpt_writer {
    vg_store *st;         /* the writer thread's own connection */
    int wake;             /* eventfd written when a job is DONE (vg_ckpt_writer_fd) */
    pthread_t thread;     /* the writer */
    pthread_mutex_t mu;   /* guards everything below */
    pthread_cond_t cv;    /* signalled at every change of state or stop */
    job_state state;      /* where the job slot is */
    bool stop;            /* the thread is to end once the slot is not SUBMITTED */
    vg_checkpoints *c;    /* the job's checkpoints (borrowed) */
    vg_checkpoint_snap *s; /* the job's snapshot (owned while not IDLE) */
    int rc;               /* DONE: 0 written, -1 failed */
    vg_checkpoint_stats stats; /* DONE, written: what it did */
    vg_error err;         /* DONE, failed: why */
};

/* Write one job (outside the mutex: the slot is WRITING, nobody else
 * touches the job). */
static void write_job(vg_ckpt_writer *w, vg_checkpoints *c, vg_checkpoint_snap *s)
{
    vg_checkpoint_stats stats;
    vg_error err;
    vg_error_clear(&err);
    memset(&stats, 0, sizeof stats);
    int rc = vg_checkpoint_commit_to(c, w->st, s, &stats, &err);
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

static void *run(void *arg)
{
    vg_ckpt_writer *w = arg;
    /* the pipeline's thread first when the CPUs are busy (Linux: a thread's own nice) */
    if (setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), 10) < 0) {
        /* not allowed: the same priority as the loop */
    }
    pthread_mutex_lock(&w->mu);
    for (;;) {
        while (w->state != JOB_SUBMITTED && !w->stop)
            pthread_cond_wait(&w->cv, &w->mu);
        if (w->state != JOB_SUBMITTED)
            break; /* stopping, nothing to write */
        w->state = JOB_WRITING;
        vg_checkpoints *c = w->c;
        vg_checkpoint_snap *s = w->s;
        pthread_mutex_unlock(&w->mu);
        write_job(w, c, s);
        pthread_mutex_lock(&w->mu);
    }
    pthread_mutex_unlock(&w->mu);
    return NULL;
}

vg_ckpt_writer *vg_ckpt_writer_start(const char *path, vg_error *err)
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
    if (!(w->st = vg_store_open(path, err))) {
        close(w->wake);
        vg_free(w);
        return NULL;
    }
    pthread_mutex_init(&w->mu, NULL);
    pthread_cond_init(&w->cv, NULL);
    int e = pthread_create(&w->thread, NULL, run, w);
    if (e) {
        vg_error_set(err, VG_ERR_IO, "cannot start the checkpoint writer: %s", strerror(e));
        pthread_cond_destroy(&w->cv);
        pthread_mutex_destroy(&w->mu);
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
    vg_store_close(w->st);
    close(w->wake);
    vg_free(w);
}

int vg_ckpt_writer_fd(const vg_ckpt_writer *w) { return w->wake; }

void vg_ckpt_writer_submit(vg_ckpt_writer *w, vg_checkpoints *c, vg_checkpoint_snap *s)
{
    pthread_mutex_lock(&w->mu);
    w->c = c;
    w->s = s;
    w->state = JOB_SUBMITTED;
    pthread_cond_broadcast(&w->cv);
    pthread_mutex_unlock(&w->mu);
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
    }
    pthread_mutex_unlock(&w->mu);
    return rc;
}
