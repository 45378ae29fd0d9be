/*
 * run_ckpt_write.c — writing the checkpoints of `vigil run` without
 * stopping the loop for the store (docs/kafka.md, "Checkpoints and
 * exactly-once").
 *
 * A checkpoint is cut between turns: every sink is flushed and its
 * transaction committed (each message delivered), the sinks' positions
 * and the sources' offsets are noted, and the operators' state is copied
 * out of the DAG (vg_checkpoint_take): one consistent cut. Writing it to
 * the store — the SQLite transaction and its fsync, the long part — is the
 * writer thread's (engine/ckpt_writer.c), and the loop goes on meanwhile.
 *
 * Epochs and the turn log. The turns after a cut belong to the checkpoint
 * being written, which is not in the store yet: they are logged with its
 * epoch (r->log_epoch: the last one plus one, the store being written by
 * this process alone), from seq 1. The turn log is a store file of its own
 * (PATH-turns, r->turns), so that its appends never wait for the write
 * lock the checkpoint holds. Then:
 *   - the write succeeds: that epoch is the newest checkpoint's, its turns
 *     follow it; the older epochs' turns are pruned, and the offsets of the
 *     cut are committed to the consumer groups (monitoring);
 *   - the write fails (a full disk, an I/O error): the previous checkpoint
 *     stands, and the turns go on with the label of the lost one
 *     (r->lost_cut); the next checkpoint takes the epoch after it, so no
 *     epoch is used twice. A restart re-runs the turns of the restored
 *     epoch and of every later one (vg_store_turn_list), in order: exactly
 *     what ran since the restored checkpoint;
 *   - the process dies while the write is in flight (crash points
 *     ckpt-handed and ckpt-mid) or after it committed and before the loop
 *     learned it (ckpt-written): the restart finds the previous checkpoint
 *     and the turns of both epochs, or the new one and its turns.
 * A checkpoint counts as taken (metrics, the group commit) only once the
 * writer says it committed. One checkpoint is written at a time: a cut
 * falls due while one is in flight waits for it to be collected.
 *
 * With VIGIL_CKPT_WAIT=1 in the environment (a test hook: the in-process
 * tests count the store's I/O operations to fail the Nth) the loop waits
 * for each checkpoint it cuts, so that the same run makes the same
 * operations in the same order.
 *
 * Checkpoints that must be written before the loop goes on (the first one,
 * the last one at a stop, those around reloads and activations) are cut
 * and written the same way, waiting for the writer.
 */
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "engine/alloc.h"
#include "engine/clock.h"
#include "engine/crash.h"
#include "engine/run_int.h"

#define FLUSH_TURN_MS 1000  /* a checkpoint's flush gives up after this (tried again later) */
#define FLUSH_STOP_MS 30000 /* ... and the last one's, when stopping */
#define DELIVER_MS 10000    /* a cut's rows not delivered within this fail its checkpoint */

static int nomem(vg_error *err) { return vg_error_set(err, VG_ERR_NOMEM, "out of memory"); }

/* Microseconds on the monotonic clock, for the checkpoints' timings. */
static int64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* The calling thread's page faults so far (copy-on-write after a fork among them). */
static long thread_faults(void)
{
    struct rusage ru;
    return getrusage(RUSAGE_THREAD, &ru) == 0 ? ru.ru_minflt + ru.ru_majflt : 0;
}

/* Every assigned source partition's next offset and watermark, in a. */
static vg_store_offset *offsets(run *r, vg_arena *a, uint32_t *n)
{
    uint32_t cap = 0;
    for (uint32_t i = 0; i < r->plan->nsources; i++)
        cap += r->src[i].nparts;
    vg_store_offset *out = vg_arena_calloc(a, (cap ? cap : 1) * sizeof *out);
    *n = 0;
    for (uint32_t i = 0; out && i < r->plan->nsources; i++)
        for (uint32_t k = 0; k < r->src[i].nparts; k++) {
            const run_part *p = &r->src[i].parts[k];
            if (p->assigned && p->next_offset >= 0)
                out[(*n)++] = (vg_store_offset){r->src[i].node->name, r->src[i].b->topic,
                                                p->partition, p->next_offset, p->max_wm};
        }
    return out;
}

/* Cut a checkpoint now: flush and commit the sinks (with mark, only mark
 * those that are not transactional: r->held), note their positions and the
 * offsets (kept in r->cut for the group commit), copy the state. The
 * snapshot, or NULL with err set. */
static vg_checkpoint_snap *cut(run *r, bool final, bool mark, vg_error *err)
{
    int64_t t0 = now_us();
    bool marked = false;
    r->held = false;
    if (run_sinks_cut(r, mark, final ? FLUSH_STOP_MS : FLUSH_TURN_MS, &marked, err) < 0) {
        run_sinks_unmark(r);
        return NULL;
    }
    vg_crash_point("ckpt-flushed"); /* the test hook: delivered (or marked), not checkpointed */
    int64_t t1 = now_us();
    vg_arena_free(r->cut);
    r->ncut_off = 0;
    uint32_t nsinks = 0, room = vg_dag_nchannels(r->dag) + r->nouts + 2;
    vg_store_sink_pos *sinks = NULL;
    if ((r->cut = vg_arena_new(VG_MEM_STATE, 1024)) &&
        (r->cut_off = offsets(r, r->cut, &r->ncut_off)) &&
        (r->rel = vg_arena_calloc(r->cut, room * sizeof *r->rel)))
        sinks = vg_arena_calloc(r->cut, room * sizeof *sinks);
    vg_checkpoint_snap *s = NULL;
    if (!sinks)
        nomem(err);
    else if (run_sinks_positions(r, r->cut, sinks, &nsinks, err) == 0)
        s = vg_checkpoint_take_forked(r->ckpt, r->dag, r->cut_off, r->ncut_off, sinks, nsinks,
                                      err);
    if (!s) {
        run_sinks_unmark(r);
        return NULL;
    }
    vg_checkpoint_snap_set_epoch(s, r->log_epoch + 1);
    r->held = marked;
    r->held_since_ms = vg_clock_ms();
    r->cut_end_us = now_us();
    r->cut_flush_us = t1 - t0;
    r->cut_stall_us = r->cut_end_us - t0;
    r->cut_first_row_us = -1;
    r->cut_minflt = thread_faults();
    return s;
}

/* A held checkpoint (r->held): once its rows are delivered, hand the
 * writer the marked sinks' final positions; fail it when one failed, or
 * when they are not delivered within DELIVER_MS. */
static void release(run *r)
{
    if (!r->held)
        return;
    uint32_t n = 0;
    vg_error e;
    vg_error_clear(&e);
    int rc = run_sinks_marked(r, r->cut, r->rel, &n, &e);
    if (rc == 0 && vg_clock_ms() - r->held_since_ms > DELIVER_MS)
        rc = vg_kafka_late(&e, "the rows of the checkpoint's cut were not delivered within %d ms",
                           DELIVER_MS);
    if (rc == 0)
        return;
    r->held = false;
    run_sinks_unmark(r);
    vg_ckpt_writer_release(r->writer, r->rel, n, rc < 0 ? &e : NULL);
    if (rc > 0)
        vg_crash_point("ckpt-released"); /* the test hook: delivered, the commit not done */
}

/* Wait until a held checkpoint is released, serving the delivery reports
 * (the writer cannot commit it before). */
static void release_wait(run *r)
{
    while (r->held) {
        uint64_t pending;
        vg_error e;
        vg_error_clear(&e);
        run_sinks_serve(r, &pending, &e); /* (a failure shows in the marks) */
        release(r);
        if (r->held)
            poll(NULL, 0, 1);
    }
}

/* Commit the cut's offsets to the consumer groups (monitoring only: the
 * checkpoint holds them); a failure is a warning. */
static void commit_groups(run *r, bool sync)
{
    for (uint32_t i = 0; i < r->plan->nsources; i++) {
        int32_t parts[64];
        int64_t next[64];
        uint32_t n = 0;
        vg_error cerr;
        vg_error_clear(&cerr);
        for (uint32_t k = 0; k < r->ncut_off; k++) {
            const vg_store_offset *o = &r->cut_off[k];
            if (strcmp(o->source, r->src[i].node->name) != 0 || n == 64)
                continue;
            parts[n] = o->partition;
            next[n++] = o->next_offset;
        }
        if (vg_kafka_source_commit(r->src[i].ks, parts, next, n, !sync, &cerr) < 0)
            run_warn(r,
                     "committing the offsets to the consumer group failed (the checkpoint"
                     " holds them): %s",
                     cerr.msg);
    }
    r->m->commits++;
}

/* The checkpoint cut last was written (stats): the books, the older turns
 * pruned, the groups told. */
static void written(run *r, const vg_checkpoint_stats *st, bool sync)
{
    r->epoch = r->m->epoch = r->log_epoch = st->epoch;
    r->lost_cut = false;
    r->m->checkpoints++;
    r->m->checkpoint_at_ms = st->created_at;
    r->m->checkpoint_seconds = (double)(r->cut_flush_us + st->total_us) / 1e6;
    r->cut_faults = thread_faults() - r->cut_minflt;
    if (r->opts->log && r->opts->log_level >= 6)
        fprintf(r->opts->log,
                "vigil: checkpoint epoch %lld at %lld: the loop stopped %.1f ms (flush %.1f ms, "
                "snapshot %.1f ms of %llu bytes), the store wrote it in %.1f ms meanwhile "
                "(serialised in %.1f ms, %.1f ms of CPU; SQLite %.1f ms); first row after the "
                "cut %.1f ms; the loop's page faults meanwhile %ld; longest turn-log append "
                "%.1f ms\n",
                (long long)st->epoch, (long long)st->created_at, (double)r->cut_stall_us / 1e3,
                (double)r->cut_flush_us / 1e3, (double)st->snapshot_us / 1e3,
                (unsigned long long)st->bytes, (double)(now_us() - r->cut_end_us) / 1e3,
                (double)st->serialise_us / 1e3, (double)st->child_cpu_us / 1e3,
                (double)st->write_us / 1e3, (double)r->cut_first_row_us / 1e3, r->cut_faults,
                (double)r->turn_log_max_us / 1e3);
    r->turn_log_max_us = 0;
    vg_crash_point("ckpt-committed"); /* the test hook: checkpointed, group not told */
    vg_error perr;
    vg_error_clear(&perr);
    if (vg_store_turn_prune(r->turns, r->cfg->name, st->epoch, &perr) < 0)
        run_warn(r, "pruning the turn log failed (the next checkpoint tries again): %s",
                 perr.msg);
    commit_groups(r, sync);
    vg_arena_free(r->cut);
    r->cut = NULL;
    r->ncut_off = 0;
}

/* The outcome of the checkpoint in flight, waiting for it when wait: 0
 * (none, or not written yet), or -1 when it failed in a way that must stop
 * the run (not retriable, or final). A retriable failure is a warning. */
static int collect(run *r, bool wait, bool final, vg_error *err)
{
    vg_checkpoint_stats st;
    vg_error cerr;
    vg_error_clear(&cerr);
    if (wait)
        release_wait(r);
    else
        release(r);
    int rc = r->writer ? vg_ckpt_writer_collect(r->writer, wait, &st, &cerr) : 0;
    if (rc > 0 && st.epoch != r->log_epoch)
        rc = vg_error_set(&cerr, VG_ERR_RUNTIME,
                          "checkpoint %lld was written as epoch %lld, and its turns are logged "
                          "as epoch %lld: another process writes checkpoints of pipeline '%s'",
                          (long long)st.id, (long long)st.epoch, (long long)r->log_epoch,
                          r->cfg->name);
    if (rc > 0)
        written(r, &st, false);
    if (rc >= 0)
        return 0;
    r->lost_cut = true; /* the turns before the cut are in no checkpoint */
    vg_arena_free(r->cut);
    r->cut = NULL;
    r->ncut_off = 0;
    if (final || !cerr.retriable) {
        *err = cerr;
        return -1;
    }
    r->m->checkpoint_failures++;
    run_warn(r, "checkpoint failed, the previous one stands (trying again in %lld ms): %s",
             (long long)(r->opts->commit_interval_ms > 0 ? r->opts->commit_interval_ms : 1000),
             cerr.msg);
    return 0;
}

int run_ckpt_settle(run *r, vg_error *err)
{
    return r->st ? collect(r, true, false, err) : 0;
}

/* Is there anything since the newest checkpoint written? */
static bool dirty(const run *r) { return r->turn_seq || r->lost_cut; }

int run_ckpt_now(run *r, bool final, vg_error *err)
{
    if (collect(r, true, false, err) < 0)
        return -1;
    vg_checkpoint_snap *s = cut(r, final, false, err);
    if (!s)
        return -1;
    vg_ckpt_writer_submit(r->writer, r->ckpt, s);
    vg_checkpoint_stats st;
    int rc = vg_ckpt_writer_collect(r->writer, true, &st, err);
    if (rc < 0)
        return -1; /* nothing was cut: the turns go on under their label */
    r->turn_seq = 0;
    written(r, &st, final);
    return 0;
}

/* Cut a checkpoint and hand it to the writer; the loop goes on. */
static int start(run *r, vg_error *err)
{
    vg_error cerr;
    vg_error_clear(&cerr);
    vg_checkpoint_snap *s = cut(r, false, !r->recovering, &cerr);
    if (!s) {
        if (!cerr.retriable) {
            *err = cerr;
            return -1;
        }
        r->m->checkpoint_failures++;
        run_warn(r, "checkpoint failed, the previous one stands (trying again in %lld ms): %s",
                 (long long)(r->opts->commit_interval_ms > 0 ? r->opts->commit_interval_ms
                                                             : 1000),
                 cerr.msg);
        return 0;
    }
    if (r->held)
        vg_ckpt_writer_submit_held(r->writer, r->ckpt, s);
    else
        vg_ckpt_writer_submit(r->writer, r->ckpt, s);
    r->log_epoch++; /* the turns after the cut follow the checkpoint being written */
    r->turn_seq = 0;
    vg_crash_point("ckpt-handed"); /* the test hook: cut, handed to the writer, not written */
    return 0;
}

int run_ckpt_maybe(run *r, int64_t now, bool final, vg_error *err)
{
    int64_t interval = r->opts->commit_interval_ms > 0 ? r->opts->commit_interval_ms : 1000;
    if (!r->st)
        return 0;
    if (final) {
        if (collect(r, true, true, err) < 0)
            return -1;
        return dirty(r) ? run_ckpt_now(r, true, err) : 0;
    }
    if (vg_ckpt_writer_busy(r->writer)) {
        if (collect(r, false, false, err) < 0)
            return -1;
        if (vg_ckpt_writer_busy(r->writer))
            return 0; /* still being written */
    }
    /* state changes in logged turns only: none since the last checkpoint, nothing to write */
    if (!dirty(r) || now - r->last_commit_ms < interval)
        return 0;
    r->last_commit_ms = now;
    if (start(r, err) < 0)
        return -1;
    return r->ckpt_wait ? collect(r, true, false, err) : 0;
}

int run_ckpt_before_change(run *r, vg_error *err)
{
    if (!r->st)
        return 0;
    vg_error cerr;
    vg_error_clear(&cerr);
    if (collect(r, true, false, &cerr) == 0 && !dirty(r))
        return 0; /* the newest checkpoint holds everything so far */
    r->last_commit_ms = vg_clock_ms();
    if (!vg_error_is_set(&cerr) && run_ckpt_now(r, false, &cerr) == 0)
        return 0;
    r->m->checkpoint_failures++;
    vg_error_set(err, cerr.code == VG_ERR_NOMEM ? VG_ERR_NOMEM : VG_ERR_IO,
                 "the checkpoint before it failed: %s", cerr.msg);
    err->retriable = cerr.retriable; /* nothing changed: try the change again later */
    return -1;
}

int run_ckpt_after_change(run *r, vg_error *err)
{
    if (!r->st)
        return 0;
    r->last_commit_ms = vg_clock_ms();
    vg_error cerr;
    vg_error_clear(&cerr);
    if (run_ckpt_now(r, false, &cerr) == 0)
        return 0;
    r->m->checkpoint_failures++;
    return vg_error_set(err, cerr.code == VG_ERR_NOMEM ? VG_ERR_NOMEM : VG_ERR_IO,
                        "the change is made, but the checkpoint after it failed, so no turn "
                        "can be logged: %s (a restart recovers from the checkpoint before it "
                        "and makes the change again)",
                        cerr.msg);
}
