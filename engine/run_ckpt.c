/*
 * run_ckpt.c — exactly-once for `vigil run`: the store, the turn log and
 * recovery after a restart (docs/kafka.md, "Checkpoints and exactly-once");
 * writing the checkpoints is run_ckpt_write.c's.
 *
 * Between checkpoints the pipeline is deterministic from the last one:
 * each turn's input cut (which messages of which partitions it pushed, in
 * order, and the watermark it applied) is appended to the turn log (a
 * store file of its own, STORE-turns) before any of the turn's rows leaves
 * for a sink, labelled with the epoch of the checkpoint it follows (one
 * being written, or lost, included: run_ckpt_write.c).
 *
 * A restart restores the newest checkpoint, puts the sinks back at their
 * positions (run_sink.c), reads the partitions from its offsets and
 * re-runs every turn logged since, exactly — its epoch's, then those of
 * checkpoints cut after it and never written, in order: same messages,
 * same order, same watermark, so the same rows, of which the sinks get
 * only those they do not hold yet. Then it goes on live, numbering turns
 * on.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/alloc.h"
#include "engine/clock.h"
#include "engine/crash.h"
#include "engine/run_int.h"


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

int run_ckpt_sql_of(const vg_config *cfg, vg_store_sql **out, vg_error *err)
{
    *out = vg_calloc(VG_MEM_STATE, cfg->nsql + 1, sizeof **out);
    if (!*out)
        return nomem(err);
    for (uint32_t i = 0; i < cfg->nsql; i++)
        (*out)[i] = (vg_store_sql){cfg->sql[i].path, cfg->sql[i].text};
    return 0;
}

/* The plan of checkpoint info, compiled from the SQL stored with it (with
 * the settings of the pipeline's files): r->pipe, r->plan, r->plan_cfg. */
static int stored_plan(run *r, const vg_store_ckpt *info, const char *files_fp, vg_error *err)
{
    const char **paths = vg_arena_calloc(r->arena, 2 * (info->nsql + 1) * sizeof *paths);
    if (!paths)
        return nomem(err);
    const char **texts = paths + info->nsql + 1;
    for (uint32_t i = 0; i < info->nsql; i++)
        paths[i] = info->sql[i].path, texts[i] = info->sql[i].text;
    vg_error cerr;
    vg_error_clear(&cerr);
    r->pipe = vg_pipeline_load_sql(r->opts->pipeline_path, paths, texts, info->nsql, &cerr);
    if (!r->pipe)
        return cerr.code == VG_ERR_NOMEM
                   ? nomem(err)
                   : vg_error_set(err, VG_ERR_CONFIG,
                                  "checkpoint %lld (epoch %lld) was written by plan %s, whose SQL "
                                  "(stored with it) does not compile with these settings: %s; "
                                  "drop the checkpoints (vigil checkpoints drop PIPELINE) to start "
                                  "without state",
                                  (long long)info->id, (long long)info->epoch, info->plan_fp,
                                  cerr.msg);
    vg_fp fp;
    char hex[VG_FP_HEX];
    if (vg_plan_fingerprint(vg_pipeline_plan(r->pipe), &fp, NULL, err) < 0)
        return -1;
    vg_plan_fp_format(fp, hex);
    if (strcmp(hex, info->plan_fp) != 0)
        return vg_error_set(err, VG_ERR_CONFIG,
                            "checkpoint %lld (epoch %lld) was written by plan %s, and the SQL "
                            "stored with it compiles to plan %s now (another vigil?); drop the "
                            "checkpoints (vigil checkpoints drop PIPELINE) to start without state",
                            (long long)info->id, (long long)info->epoch, info->plan_fp, hex);
    r->plan = vg_pipeline_plan(r->pipe);
    r->plan_cfg = vg_pipeline_config(r->pipe);
    r->reload_at_start = true;
    if (r->opts->log)
        fprintf(r->opts->log,
                "vigil: checkpoint %lld (epoch %lld) was written by plan %s and the files hold "
                "plan %s: recovering in the checkpoint's plan (its SQL is stored with it), then "
                "reloading\n",
                (long long)info->id, (long long)info->epoch, info->plan_fp, files_fp);
    return 0;
}

int run_ckpt_pick_plan(run *r, vg_error *err)
{
    const char *path = r->cfg->state.store;
    if (!path)
        return 0;
    vg_store_ckpt *info;
    if (!(r->arena = vg_arena_new(VG_MEM_STATE, 4096)) ||
        !(info = vg_arena_calloc(r->arena, sizeof *info)))
        return nomem(err);
    if (!(r->st = vg_store_open(path, err)))
        return -1;
    int rc = vg_checkpoint_peek(r->st, r->cfg->name, r->arena, info, err);
    if (rc != 0)
        return rc < 0 ? -1 : 0;
    vg_fp fp;
    char hex[VG_FP_HEX];
    if (vg_plan_fingerprint(r->plan, &fp, NULL, err) < 0)
        return -1;
    vg_plan_fp_format(fp, hex);
    /* the same plan; or no SQL stored with it (a store of schema 3): vg_checkpoint_load
     * refuses it, saying what to do */
    if (strcmp(hex, info->plan_fp) == 0 || !info->nsql || !r->opts->pipeline_path)
        return 0;
    return stored_plan(r, info, hex, err);
}

/* Make version v of kind's slot name active in the registry (not the store). */
static int use_version(run *r, const char *kind, const char *name, int64_t v, vg_error *err)
{
    if (strcmp(kind, "model") == 0) {
        vg_model_slot *m = vg_registry_model(r->registry, name);
        return m ? vg_registry_use_model(r->registry, m, v, false, err) : 0;
    }
    vg_ruleset_slot *s = vg_registry_ruleset(r->registry, name);
    return s && s->decl->input ? vg_registry_use_rules(r->registry, s, v, false, err) : 0;
}

/* The registry's active version of kind's slot name, or -1. */
static int64_t active_version(run *r, const char *kind, const char *name)
{
    if (strcmp(kind, "model") == 0) {
        vg_model_slot *m = vg_registry_model(r->registry, name);
        return m && m->model ? m->version : -1;
    }
    vg_ruleset_slot *s = vg_registry_ruleset(r->registry, name);
    return !s || !s->decl->input ? -1 : s->rules ? vg_ruleset_version(s->rules) : 0;
}

/* The turns after the restored checkpoint ran with the versions it records:
 * activate those that differ from the ones loaded at the start (kept in
 * r->start_versions, to go back to once the turns are recovered). */
static int restore_versions(run *r, const vg_store_ckpt *info, vg_error *err)
{
    vg_store_version *start = vg_arena_calloc(r->arena, (info->nversions + 1) * sizeof *start);
    if (!start)
        return nomem(err);
    for (uint32_t i = 0; i < info->nversions; i++) {
        const vg_store_version *v = &info->versions[i];
        int64_t now = active_version(r, v->kind, v->name);
        if (now < 0 || now == v->version)
            continue;
        if (use_version(r, v->kind, v->name, v->version, err) < 0)
            return -1;
        start[r->nstart_versions++] = (vg_store_version){v->kind, v->name, now};
        if (r->opts->log)
            fprintf(r->opts->log,
                    "vigil: %s %s: version %lld recomputes the turns logged after checkpoint "
                    "%lld (version %lld was loaded)\n",
                    v->kind, v->name, (long long)v->version, (long long)info->id,
                    (long long)now);
    }
    r->start_versions = start;
    return 0;
}

/* Recovered: the versions loaded at the start take over again, between a
 * checkpoint of the recovered turns and one of the versions. */
static int start_versions_back(run *r, vg_error *err)
{
    if (!r->nstart_versions)
        return 0;
    if (run_ckpt_before_change(r, err) < 0)
        return -1;
    for (uint32_t i = 0; i < r->nstart_versions; i++) {
        const vg_store_version *v = &r->start_versions[i];
        if (use_version(r, v->kind, v->name, v->version, err) < 0)
            return -1;
        if (r->opts->log)
            fprintf(r->opts->log, "vigil: %s %s: version %lld again, as loaded\n", v->kind,
                    v->name, (long long)v->version);
    }
    r->nstart_versions = 0;
    return run_ckpt_after_change(r, err);
}

/* The turn log's store, PATH-turns (its path in *path): its appends never
 * copy the write-ahead log back (a sync of the disk); the checkpoint
 * writer's thread does. */
static int turns_open(run *r, char **path, vg_error *err)
{
    if (!(*path = vg_arena_printf(r->arena, "%s-turns", r->cfg->state.store)))
        return nomem(err);
    if (!(r->turns = vg_store_open(*path, err)))
        return -1;
    return vg_store_wal_manual(r->turns, err);
}

int run_ckpt_open(run *r, vg_error *err)
{
    if (!r->st)
        return 0;
    char *turns = NULL;
    vg_store_ckpt *info = vg_arena_calloc(r->arena, sizeof *info);
    if (!info || run_ckpt_sql_of(r->plan_cfg, &r->sql, err) < 0)
        return nomem(err);
    if (!(r->ckpt = vg_checkpoint_open(r->st, r->cfg->name, r->plan, err)) ||
        turns_open(r, &turns, err) < 0 ||
        !(r->writer = vg_ckpt_writer_start(r->cfg->state.store, turns, err)))
        return -1;
    vg_checkpoint_set_sql(r->ckpt, r->sql, r->plan_cfg->nsql);
    vg_checkpoint_set_registry(r->ckpt, r->registry);
    const char *wait = getenv("VIGIL_CKPT_WAIT");
    r->ckpt_wait = wait && strcmp(wait, "1") == 0;
    int rc = vg_checkpoint_load(r->ckpt, r->dag, r->arena, info, err);
    if (rc < 0)
        return -1;
    if (rc == 0) {
        r->loaded = info;
        r->epoch = r->log_epoch = r->m->epoch = r->m->restored_epoch = info->epoch;
        r->m->watermark = restored_watermark(r);
        r->m->late_rows = vg_dag_late_rows(r->dag);
        return restore_versions(r, info, err);
    }
    return 0;
}

void run_ckpt_close(run *r)
{
    vg_ckpt_writer_stop(r->writer); /* (it may borrow r->ckpt) */
    vg_checkpoint_close(r->ckpt);
    vg_store_close(r->turns);
    vg_store_close(r->st);
    vg_arena_free(r->cut);
    vg_arena_free(r->arena);
    vg_free(r->runs);
    vg_free(r->sql);
}

/* ---- changes: reloads, activations ---- */

int run_ckpt_next(run *r, const vg_plan *p, const vg_config *cfg, run_next *nx, vg_error *err)
{
    if (!r->st)
        return 0;
    if (run_ckpt_sql_of(cfg, &nx->sql, err) < 0 ||
        !(nx->ckpt = vg_checkpoint_open(r->st, r->cfg->name, p, err)))
        return -1;
    vg_checkpoint_set_sql(nx->ckpt, nx->sql, cfg->nsql);
    return 0;
}

void run_ckpt_swap(run *r, run_next *nx)
{
    if (!r->st)
        return;
    vg_checkpoint_close(r->ckpt);
    vg_free(r->sql);
    r->ckpt = nx->ckpt;
    r->sql = nx->sql;
    nx->ckpt = NULL;
    nx->sql = NULL;
    vg_checkpoint_set_registry(r->ckpt, r->registry);
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
                                (long long)r->turn_seq + 1, (long long)r->log_epoch, (int)partition,
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
    vg_store_turn t = {r->log_epoch, r->turn_seq + 1, r->m->watermark, r->nruns, r->runs};
    vg_error serr;
    vg_error_clear(&serr);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int rc = vg_store_turn_put(r->turns, r->cfg->name, &t, r->opts->sync_full, &serr);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    int64_t us = (int64_t)(t1.tv_sec - t0.tv_sec) * 1000000 + (t1.tv_nsec - t0.tv_nsec) / 1000;
    if (us > r->turn_log_max_us) /* (the checkpoints' timings: the longest append since one) */
        r->turn_log_max_us = us;
    if (rc < 0) {
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

/* The turns logged since the restored checkpoint: those of a store written
 * before the turn log had a file of its own, then the turn log's (epochs
 * from the restored one on, by epoch and seq). *n 0 when none. */
static int logged_turns(run *r, vg_store_turn **turns, uint32_t *n, vg_error *err)
{
    vg_store_turn *old, *now;
    uint32_t nold, nnow;
    if (vg_store_turn_list(r->st, r->cfg->name, r->epoch, r->arena, &old, &nold, err) < 0 ||
        vg_store_turn_list(r->turns, r->cfg->name, r->epoch, r->arena, &now, &nnow, err) < 0)
        return -1;
    *n = nold + nnow;
    *turns = nold && nnow ? vg_arena_calloc(r->arena, *n * sizeof **turns) : nold ? old : now;
    if (nold && nnow && !*turns)
        return nomem(err);
    if (nold && nnow) {
        memcpy(*turns, old, nold * sizeof *old);
        memcpy(*turns + nold, now, nnow * sizeof *now);
    }
    return 0;
}

/* Re-run every turn logged since the restored checkpoint: those of its
 * epoch, then those logged after the cuts of checkpoints that were not
 * written (run_ckpt_write.c), each epoch's from seq 1. */
static int recover(run *r, vg_error *err)
{
    vg_store_turn *turns;
    uint32_t n;
    if (logged_turns(r, &turns, &n, err) < 0)
        return -1;
    r->recovering = true;
    for (uint32_t i = 0; i < n; i++) {
        if (turns[i].epoch > r->log_epoch) { /* a lost cut's turns */
            r->log_epoch = turns[i].epoch;
            r->turn_seq = 0;
        }
        if (turns[i].seq != r->turn_seq + 1 || turns[i].epoch != r->log_epoch)
            return vg_error_set(err, VG_ERR_RUNTIME,
                                "the turn log of epoch %lld goes from turn %lld to %lld.%lld",
                                (long long)r->log_epoch, (long long)r->turn_seq,
                                (long long)turns[i].epoch, (long long)turns[i].seq);
        if (replay_turn(r, &turns[i], err) < 0)
            return -1;
        r->turn_seq = turns[i].seq;
        r->m->recovered_turns++;
        vg_crash_point("recover-turn"); /* the test hook: a turn re-run, rows handed over */
    }
    r->lost_cut = r->log_epoch != r->epoch;
    r->recovering = false;
    return run_sinks_recovered(r, err);
}

int run_ckpt_start(run *r, vg_error *err)
{
    if (!r->st)
        return 0;
    r->last_commit_ms = vg_clock_ms();
    if (!r->loaded)
        return run_ckpt_now(r, true, err); /* where the sinks and sources stand now */
    return recover(r, err) < 0 ? -1 : start_versions_back(r, err);
}
