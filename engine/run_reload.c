/*
 * run_reload.c — the control plane of `vigil run`: reloads and activations
 * between turns, and the admin API's hooks into the run.
 *
 * A reload (POST /reload, an edit of a pipeline file, the control topic, or
 * the start after the SQL changed) follows replay's order (replay_reload.c)
 * and adds what exactly-once output needs:
 *
 *   1. prepare: compile the pipeline's files beside the running plan and
 *      work out the state plan (engine/reload.h); decide (dry run, an
 *      unconfirmed loss of state: nothing changes);
 *   2. a checkpoint of what ran, when turns were logged since the last one:
 *      the turn log of an epoch is always recomputed with its own plan;
 *   3. everything that can fail, made beside the running DAG: the new plan's
 *      sinks bound (a sink the run has is kept, with its producer, file and
 *      numbering), its streams' decoders by name, its checkpoints, and the
 *      new DAG with the state carried (vg_reload_apply);
 *   4. the swap, which cannot fail: streams and sinks remapped by name, the
 *      registry and pipeline taken, the admin API re-attached, the old DAG
 *      closed;
 *   5. a checkpoint of the new plan at once, before any turn: a restart
 *      between 2 and 5 finds the old plan's checkpoint with nothing logged
 *      after it, compiles the SQL stored with it, and reloads again.
 *
 * If the checkpoint of step 5 cannot be written, the run stops with an
 * error (r->fatal): no turn may be logged under the old plan's epoch.
 *
 * Activations (POST /models, POST /rules, their control commands) are
 * bracketed the same way by run_change: a checkpoint before, the change
 * (admin_change.c), a checkpoint after.
 */
#include <string.h>

#include "engine/alloc.h"
#include "engine/crash.h"
#include "engine/run_int.h"
#include "engine/runner_common.h"

void run_next_free(run_next *nx)
{
    vg_dag_close(nx->dag);
    vg_free(nx->chan_out);
    for (uint32_t k = 0; nx->keys && k < nx->nkeys; k++)
        run_keys_free(nx->keys[k]);
    vg_free(nx->keys);
    for (uint32_t j = 0; nx->src_dec && nx->src_nodes && nx->src_nodes[j]; j++) {
        vg_decoder_free(nx->src_dec[j]);
        vg_free(nx->src_rows[j]);
    }
    vg_free(nx->src_nodes);
    vg_free(nx->src_from);
    vg_free(nx->src_dec);
    vg_free(nx->src_rows);
    vg_free(nx->src_save);
    vg_checkpoint_close(nx->ckpt);
    vg_free(nx->sql);
    memset(nx, 0, sizeof *nx);
}

void run_admin_attach(run *r)
{
    if (r->admin)
        vg_admin_attach(r->admin, r->dag, r->dag ? r->registry : NULL, r->dag ? r->am : NULL);
}

/* Step 4: the new plan runs (nothing fails from here). */
static void swap(run *r, vg_reload *rl, run_next *nx)
{
    const vg_plan *p = vg_reload_plan(rl);
    vg_dag *old = r->dag;
    vg_registry *old_registry = r->owns_registry ? r->registry : NULL;
    vg_pipeline *old_pipe = r->pipe;
    vg_dag_on_late(nx->dag, vg_runner_late_row, &r->dead_buf);
    run_sources_swap(r, p, nx);
    run_sinks_swap(r, nx);
    r->dag = nx->dag;
    nx->dag = NULL;
    r->eval = (vg_eval_ctx){vg_dag_scratch(r->dag), &r->eval_err};
    r->registry = vg_reload_take_registry(rl);
    r->owns_registry = true;
    run_ckpt_swap(r, nx);
    r->pipe = vg_reload_take_pipeline(rl);
    r->plan = p;
    r->plan_cfg = vg_pipeline_config(r->pipe);
    run_admin_sync(r);
    run_admin_attach(r);
    vg_dag_close(old);
    vg_registry_free(old_registry);
    vg_pipeline_free(old_pipe); /* (after the DAG and registry of its plan) */
}

/* Steps 2 to 5 for a prepared and decided reload. -1 with err set when
 * nothing changed; 0 when the new plan runs (r->fatal set when its
 * checkpoint failed). */
static int swap_in(run *r, vg_reload *rl, vg_error *err)
{
    const vg_plan *p = vg_reload_plan(rl);
    const vg_config *pc = vg_reload_config(rl);
    if (run_ckpt_before_change(r, err) < 0)
        return -1;
    run_next nx = {0};
    if (run_sinks_next(r, p, pc, &nx, err) < 0 || run_sources_next(r, p, &nx, err) < 0 ||
        run_ckpt_next(r, p, pc, &nx, err) < 0 || vg_reload_apply(rl, r->dag, &nx.dag, err) < 0) {
        run_next_free(&nx);
        return -1;
    }
    swap(r, rl, &nx);
    run_next_free(&nx);
    vg_crash_point("reload-swapped"); /* the test hook: swapped, the new plan not checkpointed */
    vg_error cerr;
    vg_error_clear(&cerr);
    if (run_ckpt_after_change(r, &cerr) < 0)
        r->fatal = cerr;
    return 0;
}

int run_reload(run *r, const char *why, const vg_reload_request *rq, vg_reload_answer *ans)
{
    vg_reload_opts o = {.running = r->plan,
                        .path = r->opts->pipeline_path,
                        .store_path = r->cfg->state.store};
    ans->status = VG_RELOAD_FAILED;
    vg_reload *rl = NULL;
    if (run_failed(r))
        vg_error_set(&ans->err, VG_ERR_RUNTIME, "the run is stopping: %s", r->fatal.msg);
    else
        rl = vg_reload_prepare(&o, &ans->err);
    if (rl && vg_reload_decide(rl, rq, ans) == VG_RELOAD_APPLIED && swap_in(r, rl, &ans->err) < 0)
        ans->status = VG_RELOAD_FAILED;
    if (rl)
        ans->report = vg_reload_take_report(rl);
    vg_reload_free(rl);
    r->m->reloads += ans->status == VG_RELOAD_APPLIED;
    r->m->reload_failures += ans->status >= VG_RELOAD_UNCONFIRMED;
    vg_reload_log(r->opts->log, why, r->opts->pipeline_path, ans);
    if (ans->status == VG_RELOAD_APPLIED && r->watch.fd >= 0) {
        vg_error werr; /* the files watched follow the new pipeline.yaml's SQL files */
        vg_error_clear(&werr);
        run_watch_close(r);
        if (run_watch_open(r, &werr) < 0)
            run_warn(r, "cannot watch the pipeline's files any more: %s", werr.msg);
    }
    return run_failed(r) ? -1 : 0;
}

void run_serve_reload(void *arg, const vg_reload_request *rq, vg_reload_answer *ans)
{
    run *r = arg;
    run_reload(r, r->why ? r->why : "on POST /reload", rq, ans);
}

int run_reload_start(run *r, vg_error *err)
{
    if (!r->reload_at_start)
        return 0;
    r->reload_at_start = false;
    vg_reload_answer ans = {.report = NULL};
    vg_error_clear(&ans.err);
    /* the files are what the operator started: their plan takes over, state dropped or not */
    int rc = run_reload(r, "at the start", &(vg_reload_request){.confirm = true}, &ans);
    if (rc == 0 && ans.status != VG_RELOAD_APPLIED)
        rc = vg_error_set(err, ans.err.code ? ans.err.code : VG_ERR_RUNTIME,
                          "the plan of the pipeline's files cannot take over from the plan of "
                          "the checkpoint it was recovered in: %s",
                          ans.err.msg);
    else if (rc < 0)
        *err = r->fatal;
    vg_reload_answer_free(&ans);
    return rc;
}

int run_change(void *arg, bool after, vg_error *err)
{
    run *r = arg;
    if (run_failed(r))
        return vg_error_set(err, VG_ERR_RUNTIME, "the run is stopping: %s", r->fatal.msg);
    if (!after)
        return run_ckpt_before_change(r, err);
    r->m->activations++;
    vg_error cerr;
    vg_error_clear(&cerr);
    if (run_ckpt_after_change(r, &cerr) < 0) {
        r->fatal = cerr;
        *err = cerr;
        return -1;
    }
    return 0;
}
