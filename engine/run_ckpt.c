/*
 * run_ckpt.c — exactly-once for `vigil run`: checkpoints, the turn log and
 * recovery after a restart (docs/kafka.md, "Checkpoints and exactly-once").
 *
 * Between checkpoints the pipeline is deterministic from the last one:
 * each turn's input cut (which messages of which partitions it pushed, in
 * order, and the watermark it applied) is appended to the store's turn log
 * before any of the turn's rows leaves for a sink. At the checkpoint
 * interval, between turns, every sink is flushed (every message
 * delivered), then the operators' state, each source partition's next
 * offset and watermark and each sink's position go to the store in one
 * transaction, which also deletes the turn log of the older epochs; only
 * then are the offsets committed to the consumer groups, for monitoring.
 *
 * A restart restores the newest checkpoint, puts the sinks back at their
 * positions (run_sink.c), reads the partitions from its offsets and
 * re-runs every logged turn of its epoch exactly: same messages, same
 * order, same watermark, so the same rows, of which the sinks get only
 * those they do not hold yet. Then it goes on live, numbering turns on.
 */
#include <string.h>

#include "engine/alloc.h"
#include "engine/clock.h"
#include "engine/crash.h"
#include "engine/run_int.h"

#define FLUSH_TURN_MS 1000  /* a checkpoint's flush gives up after this (tried again later) */
#define FLUSH_STOP_MS 30000 /* ... and the last one's, when stopping */

static int nomem(vg_error *err) { return vg_error_set(err, VG_ERR_NOMEM, "out of memory"); }

/* The DAG's watermark as restored: every source got the same ones. */
static int64_t restored_watermark(run *r)
{
    int64_t wm = VG_WM_MIN;
    for (uint32_t i = 0; i < r->plan->nsources; i++)
        if (vg_dag_source(r->dag, i)->wm > wm)
            wm = vg_dag_source(r->dag, i)->wm;
    return wm;
}

int run_ckpt_open(run *r, vg_error *err)
{
    const char *path = r->cfg->state.store;
    if (!path)
        return 0;
    vg_store_ckpt *info;
    if (!(r->arena = vg_arena_new(VG_MEM_STATE, 4096)) ||
        !(info = vg_arena_calloc(r->arena, sizeof *info)))
        return nomem(err);
    if (!(r->st = vg_store_open(path, err)) ||
        !(r->ckpt = vg_checkpoint_open(r->st, r->cfg->name, r->plan, err)))
        return -1;
    int rc = vg_checkpoint_load(r->ckpt, r->dag, r->arena, info, err);
    if (rc < 0)
        return -1;
    if (rc == 0) {
        r->loaded = info;
        r->epoch = r->m->epoch = r->m->restored_epoch = info->epoch;
        r->m->watermark = restored_watermark(r);
        r->m->late_rows = vg_dag_late_rows(r->dag);
    }
    return 0;
}

void run_ckpt_close(run *r)
{
    vg_checkpoint_close(r->ckpt);
    vg_store_close(r->st);
    vg_arena_free(r->arena);
    vg_free(r->runs);
}

/* ---- the turn log ---- */

int run_ckpt_note(run *r, uint32_t si, int32_t partition, int64_t offset, vg_error *err)
{
    if (r->recovering) {
        const vg_store_turn_run *u = r->replay;
        if (u && r->replay_left == u->count && offset != u->first)
            return vg_error_set(err, VG_ERR_RUNTIME,
                                "turn %lld of epoch %lld read partition %d of topic '%s' from "
                                "offset %lld, and the offset now there is %lld: the input "
                                "changed since (retention, or another topic); drop the "
                                "checkpoints (vigil checkpoints drop PIPELINE) to start over",
                                (long long)r->turn_seq + 1, (long long)r->epoch, (int)partition,
                                r->src[si].b->topic, (long long)u->first, (long long)offset);
        r->replay_left -= u && r->replay_left ? 1 : 0;
        return 0;
    }
    vg_store_turn_run *last = r->nruns ? &r->runs[r->nruns - 1] : NULL;
    if (last && last->source == si && last->partition == partition) {
        last->count++;
        return 0;
    }
    if (r->nruns == r->capruns) {
        uint32_t cap = r->capruns ? 2 * r->capruns : 16;
        vg_store_turn_run *grown = vg_realloc(VG_MEM_IO, r->runs, cap * sizeof *grown);
        if (!grown)
            return nomem(err);
        r->runs = grown;
        r->capruns = cap;
    }
    r->runs[r->nruns++] = (vg_store_turn_run){si, partition, offset, 1};
    return 0;
}

int run_ckpt_log_turn(run *r, bool moved, bool *logged, vg_error *err)
{
    *logged = false;
    if (!r->nruns && !moved)
        return 0;
    vg_store_turn t = {r->epoch, r->turn_seq + 1, r->m->watermark, r->nruns, r->runs};
    vg_error serr;
    vg_error_clear(&serr);
    if (vg_store_turn_put(r->st, r->cfg->name, &t, r->opts->sync_full, &serr) < 0) {
        if (serr.code == VG_ERR_NOMEM)
            return nomem(err);
        return vg_error_set(err, VG_ERR_RUNTIME,
                            "cannot log turn %lld of epoch %lld, so its rows are not written: "
                            "%s (a restart resumes from the last checkpoint)",
                            (long long)t.seq, (long long)t.epoch, serr.msg);
    }
    r->turn_seq = t.seq;
    r->nruns = 0;
    *logged = true;
    return 0;
}

/* ---- checkpoints ---- */

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

/* Flush the sinks and write a checkpoint; the group commit after it. */
static int checkpoint(run *r, bool final, vg_error *err)
{
    if (run_sinks_commit(r, final ? FLUSH_STOP_MS : FLUSH_TURN_MS, err) < 0)
        return -1;
    vg_crash_point("ckpt-flushed"); /* the test hook: delivered, not checkpointed */
    vg_arena *a = vg_arena_new(VG_MEM_STATE, 1024);
    uint32_t noff = 0, nsinks = 0;
    vg_store_offset *off = a ? offsets(r, a, &noff) : NULL;
    vg_store_sink_pos *sinks =
        off ? vg_arena_calloc(a, (vg_dag_nchannels(r->dag) + 1) * sizeof *sinks) : NULL;
    int rc = sinks ? run_sinks_positions(r, a, sinks, &nsinks, err) : nomem(err);
    vg_checkpoint_stats stats;
    if (rc == 0)
        rc = vg_checkpoint_write(r->ckpt, r->dag, off, noff, sinks, nsinks, &stats, err);
    vg_arena_free(a);
    if (rc < 0)
        return -1;
    r->epoch = r->m->epoch = stats.epoch;
    r->turn_seq = 0;
    r->m->checkpoints++;
    vg_crash_point("ckpt-committed"); /* the test hook: checkpointed, group not told */
    vg_error cerr;
    vg_error_clear(&cerr);
    if (run_offsets_dirty(r) && run_commit(r, final, &cerr) < 0)
        run_warn(r,
                 "committing the offsets to the consumer group failed (the checkpoint holds"
                 " them): %s",
                 cerr.msg);
    return 0;
}

int run_ckpt_maybe(run *r, int64_t now, bool final, vg_error *err)
{
    int64_t interval = r->opts->commit_interval_ms > 0 ? r->opts->commit_interval_ms : 1000;
    /* state changes in logged turns only: none since the last checkpoint, nothing to write */
    if (!r->st || !r->turn_seq || (!final && now - r->last_commit_ms < interval))
        return 0;
    r->last_commit_ms = now;
    vg_error cerr;
    vg_error_clear(&cerr);
    if (checkpoint(r, final, &cerr) == 0)
        return 0;
    if (final || !cerr.retriable) {
        *err = cerr;
        return -1;
    }
    r->m->checkpoint_failures++;
    run_warn(r, "checkpoint failed, the previous one stands (trying again in %lld ms): %s",
             (long long)interval, cerr.msg);
    return 0;
}

/* ---- recovery ---- */

/* Re-run logged turn t: its runs' messages, its watermark, its rows. */
static int replay_turn(run *r, const vg_store_turn *t, vg_error *err)
{
    uint64_t before = r->events;
    for (uint32_t k = 0; k < t->nruns; k++) {
        const vg_store_turn_run *u = &t->runs[k];
        if (u->source >= r->plan->nsources || !run_source_part(r, u->source, u->partition))
            return vg_error_set(err, VG_ERR_RUNTIME,
                                "turn %lld of epoch %lld reads stream %u partition %d, which "
                                "this pipeline does not have",
                                (long long)t->seq, (long long)t->epoch, u->source,
                                (int)u->partition);
        r->replay = u;
        r->replay_left = u->count;
        if (run_source_take(r, u->source, u->partition, u->count, err) < 0)
            return -1;
    }
    r->replay = NULL;
    if (t->wm != VG_WM_MIN && t->wm > r->m->watermark) {
        vg_dag_watermark(r->dag, t->wm);
        r->m->watermark = t->wm;
    }
    const vg_error *e = vg_dag_error(r->dag);
    if (e) {
        *err = *e;
        return -1;
    }
    if (run_sinks_drain(r, err) < 0)
        return -1;
    vg_dag_end_batch(r->dag);
    r->m->batches += r->events != before;
    r->m->late_rows = vg_dag_late_rows(r->dag);
    uint64_t pending;
    return run_sinks_serve(r, &pending, err);
}

/* Re-run every turn logged since the restored checkpoint. */
static int recover(run *r, vg_error *err)
{
    vg_store_turn *turns;
    uint32_t n;
    if (vg_store_turn_list(r->st, r->cfg->name, r->epoch, r->arena, &turns, &n, err) < 0)
        return -1;
    r->recovering = true;
    for (uint32_t i = 0; i < n; i++) {
        if (turns[i].seq != r->turn_seq + 1)
            return vg_error_set(
                err, VG_ERR_RUNTIME, "the turn log of epoch %lld goes from turn %lld to %lld",
                (long long)r->epoch, (long long)r->turn_seq, (long long)turns[i].seq);
        if (replay_turn(r, &turns[i], err) < 0)
            return -1;
        r->turn_seq = turns[i].seq;
        r->m->recovered_turns++;
        vg_crash_point("recover-turn"); /* the test hook: a turn re-run, rows handed over */
    }
    r->recovering = false;
    return run_sinks_recovered(r, err);
}

int run_ckpt_start(run *r, vg_error *err)
{
    if (!r->st)
        return 0;
    r->last_commit_ms = vg_clock_ms();
    if (!r->loaded)
        return checkpoint(r, true, err); /* where the sinks and sources stand now */
    return recover(r, err);
}
