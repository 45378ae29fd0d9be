/*
 * test_checkpoint_async.c — checkpoints written beside the pipeline: a
 * snapshot serialised by a child process (vg_checkpoint_take_forked) is the
 * state at the fork, whatever the DAG does after it; the writer thread
 * (engine/ckpt_writer.h) commits it through its own connection while the
 * main thread goes on feeding events, reports the outcome once (collect),
 * wakes a poller through its descriptor, reports a store failure as the
 * synchronous write would, and stops cleanly with a job in flight; the
 * crash hook counts passes from two threads at once. Each checkpoint is
 * checked the strict way (ckpt_test.h, resume_from): the rest of the run
 * from it is exactly the uninterrupted run's. No librdkafka thread runs
 * here, so this test also runs under -fsanitize=thread.
 */
#include <poll.h>
#include <pthread.h>
#include <sys/wait.h>

#include "engine/ckpt_writer.h"
#include "engine/crash.h"
#include "tests/unit/ckpt_test.h"

/* take_at's snapshot, serialised by a child. */
static vg_checkpoint_snap *fork_at(vg_checkpoints *c, run *r, int seen, vg_error *err)
{
    vg_store_offset off = {"s", "t", 0, seen, 0};
    char pos[16];
    snprintf(pos, sizeof pos, "pos%d", seen);
    vg_store_sink_pos sinks[] = {{"feats", pos, 0}, {"dead_letter", "dl", 0}};
    return vg_checkpoint_take_forked(c, r->dag, &off, 1, sinks, 2, err);
}

/* The forked snapshot is the state at the fork: events fed after it are
 * not in it; its bytes are those of the in-process snapshot. */
static void test_forked_snapshot(void)
{
    const char *p = path_in_dir("forked.db");
    vg_store *st = store_open(p);
    run r;
    CHECK(opened(&r, pipeline_sql));
    vg_error err;
    vg_error_clear(&err);
    vg_checkpoints *c = st ? vg_checkpoint_open(st, "pay", r.plan, &err) : NULL;
    if (!c)
        return;
    feed(&r, 0, 17);
    vg_checkpoint_snap *here = take_at(c, &r, 17, &err);
    vg_checkpoint_snap *snap = fork_at(c, &r, 17, &err);
    CHECK(here && snap);
    if (!here || !snap)
        return;
    feed(&r, 17, 31); /* the parent goes on: the child's copy does not move */
    vg_checkpoint_stats stats;
    CHECK_INT(vg_checkpoint_commit(c, snap, &stats, &err), 0);
    CHECK_INT(stats.bytes, vg_checkpoint_snap_bytes(here));
    CHECK_INT(vg_checkpoint_snap_bytes(snap), vg_checkpoint_snap_bytes(here));
    CHECK_INT(stats.epoch, 1);
    CHECK_INT(vg_checkpoint_commit(c, snap, &stats, &err), 0); /* again: the next epoch */
    CHECK_INT(stats.epoch, 2);
    int64_t epoch = 0;
    CHECK_INT(resume_from(p, &epoch, &err), 1);
    CHECK_INT(epoch, 2);
    /* a snapshot freed before its commit: its child is not left behind */
    vg_checkpoint_snap *dropped = fork_at(c, &r, 31, &err);
    CHECK(dropped != NULL);
    vg_checkpoint_snap_free(dropped);
    CHECK_INT(waitpid(-1, NULL, WNOHANG), -1);
    vg_checkpoint_snap_free(here);
    vg_checkpoint_snap_free(snap);
    vg_checkpoint_close(c);
    run_close(&r);
    vg_store_close(st);
}

/* What a writer test works on: the store at path, the pipeline run over
 * it, its checkpoints and a writer. */
typedef struct writer_fix {
    const char *path;  /* the store's file */
    vg_store *st;      /* the store (the runner's connection) */
    run r;             /* the pipeline */
    vg_checkpoints *c; /* its checkpoints in st */
    vg_ckpt_writer *w; /* the writer: NULL when something could not be opened */
} writer_fix;

/* Open f on a new store file name in the test directory; f->w NULL when
 * that failed (checked). */
static void writer_open(writer_fix *f, const char *name)
{
    vg_error err;
    vg_error_clear(&err);
    f->path = path_in_dir(name);
    f->st = store_open(f->path);
    CHECK(opened(&f->r, pipeline_sql));
    f->c = f->st ? vg_checkpoint_open(f->st, "pay", f->r.plan, &err) : NULL;
    f->w = f->c ? vg_ckpt_writer_start(f->path, NULL, &err) : NULL;
    CHECK(f->w != NULL);
}

/* Close what writer_open opened (the writer already stopped by the test). */
static void writer_close(writer_fix *f)
{
    vg_checkpoint_close(f->c);
    run_close(&f->r);
    vg_store_close(f->st);
}

/* The writer commits while the main thread feeds events; the wanted epoch
 * is taken when it is beyond the next. */
static void test_writer(void)
{
    writer_fix f;
    writer_open(&f, "writer.db");
    const char *p = f.path;
    run *r = &f.r;
    vg_checkpoints *c = f.c;
    vg_ckpt_writer *w = f.w;
    vg_error err;
    vg_error_clear(&err);
    if (!w)
        return;
    vg_checkpoint_stats stats;
    CHECK_INT(vg_ckpt_writer_collect(w, false, &stats, &err), 0); /* nothing submitted */
    CHECK(!vg_ckpt_writer_busy(w));
    int64_t epoch = 0;
    for (int seen = 5, prev = 0, k = 1; seen < NEV; prev = seen, seen += 9, k++) {
        feed(r, prev, seen);
        vg_checkpoint_snap *s = fork_at(c, r, seen, &err);
        CHECK(s != NULL);
        if (!s)
            break;
        vg_checkpoint_snap_set_epoch(s, k == 3 ? 7 : 0); /* the third: epoch 7 wanted */
        vg_ckpt_writer_submit(w, c, s);
        CHECK(vg_ckpt_writer_busy(w));
        struct pollfd pf = {.fd = vg_ckpt_writer_fd(w), .events = POLLIN};
        CHECK_INT(poll(&pf, 1, 30000), 1); /* woken when written */
        CHECK_INT(vg_ckpt_writer_collect(w, false, &stats, &err), 1);
        CHECK_INT(stats.epoch, k < 3 ? k : k + 4);
        CHECK_INT(vg_ckpt_writer_collect(w, false, &stats, &err), 0); /* reported once */
        CHECK_INT(resume_from(p, &epoch, &err), 1);
    }
    CHECK_INT(epoch, 8);
    /* stopped with a job in flight: it is written, nothing leaks */
    feed(r, 32, 36);
    vg_checkpoint_snap *s = fork_at(c, r, 36, &err);
    CHECK(s != NULL);
    if (s)
        vg_ckpt_writer_submit(w, c, s);
    feed(r, 36, NEV);
    vg_ckpt_writer_stop(w);
    CHECK_INT(resume_from(p, &epoch, &err), 1);
    CHECK_INT(epoch, 9);
    vg_ckpt_writer_stop(NULL);
    writer_close(&f);
}

/* A write that fails is reported as vg_checkpoint_write reports it. */
static void test_writer_failure(void)
{
    writer_fix f;
    writer_open(&f, "fail.db");
    const char *p = f.path;
    run *r = &f.r;
    vg_checkpoints *c = f.c;
    vg_ckpt_writer *w = f.w;
    vg_error err;
    vg_error_clear(&err);
    if (!w)
        return;
    feed(r, 0, 10);
    /* the same offset twice: the store refuses the checkpoint */
    vg_store_offset off[] = {{"s", "t", 0, 10, 0}, {"s", "t", 0, 10, 0}};
    vg_store_sink_pos sinks[] = {{"feats", "pos10", 0}, {"dead_letter", "dl", 0}};
    vg_checkpoint_snap *s = vg_checkpoint_take_forked(c, r->dag, off, 2, sinks, 2, &err);
    CHECK(s != NULL);
    if (s) {
        vg_ckpt_writer_submit(w, c, s);
        vg_checkpoint_stats stats;
        CHECK_INT(vg_ckpt_writer_collect(w, true, &stats, &err), -1);
        CHECK_INT(err.code, VG_ERR_IO);
        CHECK(strstr(err.msg, "UNIQUE constraint failed") != NULL);
        CHECK(!vg_ckpt_writer_busy(w));
    }
    vg_ckpt_writer_stop(w);
    CHECK_STR(raw_sql(p, "SELECT COUNT(*) FROM checkpoints"), "0");
    writer_close(&f);
}

/* A held checkpoint waits for its release: then it is written with the
 * released positions; released with a failure, or stopped while held, it
 * fails and the store is untouched. */
static void test_writer_held(void)
{
    writer_fix f;
    writer_open(&f, "held.db");
    const char *p = f.path;
    run *r = &f.r;
    vg_checkpoints *c = f.c;
    vg_ckpt_writer *w = f.w;
    vg_error err;
    vg_error_clear(&err);
    if (!w)
        return;
    feed(r, 0, 10);
    vg_store_offset off[] = {{"s", "t", 0, 10, 0}};
    vg_store_sink_pos cut[] = {{"feats", "seq=3 ends=0", -1}, {"dead_letter", "dl", -1}};
    vg_store_sink_pos final[] = {{"feats", "seq=3 ends=3", -1}};
    vg_checkpoint_stats stats;
    vg_checkpoint_snap *s = vg_checkpoint_take_forked(c, r->dag, off, 1, cut, 2, &err);
    CHECK(s != NULL);
    if (s) {
        vg_ckpt_writer_release(w, final, 1, NULL); /* nothing held: ignored */
        vg_ckpt_writer_submit_held(w, c, s);
        CHECK(vg_ckpt_writer_held(w));
        struct pollfd pf = {.fd = vg_ckpt_writer_fd(w), .events = POLLIN};
        CHECK_INT(poll(&pf, 1, 200), 0); /* not written while held */
        CHECK_INT(vg_ckpt_writer_collect(w, false, &stats, &err), 0);
        vg_ckpt_writer_release(w, final, 1, NULL);
        CHECK(!vg_ckpt_writer_held(w));
        CHECK_INT(vg_ckpt_writer_collect(w, true, &stats, &err), 1);
        CHECK_INT(stats.epoch, 1);
#ifdef __SANITIZE_ADDRESS__
        /* not forked in sanitizer builds (engine/checkpoint.c): no child to time */
        CHECK(stats.serialise_us == 0 && stats.write_us > 0);
#else
        CHECK(stats.serialise_us > 0 && stats.write_us > 0);
#endif
    }
    CHECK_STR(raw_sql(p, "SELECT position FROM checkpoint_sinks WHERE sink = 'feats'"),
              "seq=3 ends=3");
    /* released with a failure: the checkpoint fails with it */
    s = vg_checkpoint_take_forked(c, r->dag, off, 1, cut, 2, &err);
    if (s) {
        vg_ckpt_writer_submit_held(w, c, s);
        vg_error fail;
        vg_error_clear(&fail);
        vg_error_set(&fail, VG_ERR_IO, "rows not delivered");
        fail.retriable = true;
        vg_ckpt_writer_release(w, NULL, 0, &fail);
        CHECK_INT(vg_ckpt_writer_collect(w, true, &stats, &err), -1);
        CHECK_STR(err.msg, "rows not delivered");
        CHECK(err.retriable);
    }
    /* stopped while held: no deadlock, nothing written, nothing leaks */
    s = vg_checkpoint_take_forked(c, r->dag, off, 1, cut, 2, &err);
    if (s)
        vg_ckpt_writer_submit_held(w, c, s);
    vg_ckpt_writer_stop(w);
    CHECK_STR(raw_sql(p, "SELECT COUNT(*) FROM checkpoints"), "1");
    writer_close(&f);
}

/* Two threads pass the crash hook's points with no crash asked for. */
static void *pass_points(void *arg)
{
    for (int i = 0; i < 10000; i++)
        vg_crash_point(arg);
    return NULL;
}

static void test_crash_hook_threads(void)
{
    pthread_t t;
    CHECK_INT(pthread_create(&t, NULL, pass_points, "ckpt-written"), 0);
    pass_points("turn-logged");
    pthread_join(t, NULL);
    CHECK(true); /* (alive: no point was armed; a race would show under TSan) */
}

int main(void)
{
    if (ckpt_setup() < 0)
        return 1;
    RUN(test_forked_snapshot);
    RUN(test_writer);
    RUN(test_writer_failure);
    RUN(test_writer_held);
    RUN(test_crash_hook_threads);
    ckpt_teardown();
    return CHECK_DONE();
}
