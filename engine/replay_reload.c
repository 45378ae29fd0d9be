/*
 * replay_reload.c — reloads in `vigil replay`: at the events --reload-at
 * names, and when POST /reload asks (engine/reload.h). The swap happens
 * between batches: the streams keep their logs and positions and take the
 * new plan's schemas, each sink keeps its output (a sink of the new plan
 * binds one when it first appears), and a sink the new plan drops keeps
 * what it wrote.
 */
#include <string.h>

#include "engine/admin.h"
#include "engine/alloc.h"
#include "engine/replay_int.h"
#include "engine/runner_common.h"

/* What a stream takes from a new plan; made before the swap, which cannot fail after. */
typedef struct stream_next {
    const vg_plan_node *node; /* its source node in the new plan */
    uint32_t src;             /* its index there */
    vg_decoder *dec;          /* for the node's schema */
    vg_value *row;            /* CHUNK rows of it */
} stream_next;

static void streams_free(stream_next *nx, uint32_t n)
{
    for (uint32_t i = 0; nx && i < n; i++) {
        vg_decoder_free(nx[i].dec);
        vg_free(nx[i].row);
    }
    vg_free(nx);
}

/* Each stream's node, decoder and rows in plan p (which reads the same
 * streams: vg_reload_prepare checked). NULL with err set. */
static stream_next *streams_of(replay *r, const vg_plan *p, vg_error *err)
{
    uint32_t n = r->stats->nstreams;
    stream_next *nx = vg_calloc(VG_MEM_IO, n + 1, sizeof *nx);
    for (uint32_t i = 0; nx && i < n; i++) {
        for (uint32_t j = 0; j < p->nsources; j++)
            if (strcmp(p->sources[j]->name, r->in[i].node->name) == 0)
                nx[i] = (stream_next){.node = p->sources[j], .src = j};
        if (!nx[i].node) {
            streams_free(nx, n);
            vg_error_set(err, VG_ERR_RUNTIME, "the new plan has no stream '%s'",
                         r->in[i].node->name);
            return NULL;
        }
        nx[i].dec = vg_decoder_new(&nx[i].node->schema);
        nx[i].row = vg_calloc(VG_MEM_IO, (size_t)CHUNK * (nx[i].node->schema.ncols + 1),
                              sizeof(vg_value));
        if (!nx[i].dec || !nx[i].row) {
            streams_free(nx, n);
            nx = NULL;
        }
    }
    if (!nx)
        vg_error_set(err, VG_ERR_NOMEM, "out of memory");
    return nx;
}

/* Swap in the DAG of rl's plan: bind its new sinks, apply, then (nothing
 * can fail any more) take its pipeline and registry and close the old DAG. */
static int swap_in(replay *r, vg_reload *rl, vg_error *err)
{
    const vg_plan *p = vg_reload_plan(rl);
    uint32_t *chan = vg_calloc(VG_MEM_IO, p->nsinks + 1, sizeof *chan);
    stream_next *nx = NULL;
    vg_dag *d = NULL;
    int rc = chan ? 0 : vg_error_set(err, VG_ERR_NOMEM, "out of memory");
    for (uint32_t i = 0; i < p->nsinks && rc == 0; i++)
        if (replay_out_for(r, p->sinks[i]->name, p->sinks[i]->u.sink.is_stdout, vg_reload_config(rl),
                    err) < 0)
            rc = -1;
    if (rc < 0 || !(nx = streams_of(r, p, err)) || vg_reload_apply(rl, r->dag, &d, err) < 0) {
        vg_free(chan);
        streams_free(nx, r->stats->nstreams);
        return -1;
    }
    replay_note_rows(r);
    replay_map_channels(r, d, chan);
    vg_dag_on_late(d, vg_runner_late_row, &r->dead_buf);
    vg_registry *old = r->owns_registry ? r->registry : NULL;
    r->registry = vg_reload_take_registry(rl);
    r->owns_registry = true;
    replay_admin_attach(r, d);
    vg_dag_close(r->dag);
    vg_registry_free(old);
    vg_pipeline_free(r->reloaded);
    r->reloaded = vg_reload_take_pipeline(rl);
    r->dag = d;
    r->plan = p;
    vg_free(r->chan_out);
    r->chan_out = chan;
    for (uint32_t i = 0; i < r->stats->nstreams; i++) {
        stream_in *s = &r->in[i];
        vg_decoder_free(s->dec);
        vg_free(s->row);
        s->node = nx[i].node;
        s->src = nx[i].src;
        s->dec = nx[i].dec;
        s->row = nx[i].row;
    }
    vg_free(nx);
    return 0;
}

/* Reload from path, as rq asks: prepare; then, unless it is a dry run or an
 * unconfirmed loss of state, swap the new plan in. ans says what happened. */
static void reload_now(replay *r, const char *path, const vg_reload_request *rq,
                       vg_reload_answer *ans)
{
    vg_reload_opts o = {.running = r->plan, .path = path, .store_path = r->opts->store_path};
    vg_reload *rl = vg_reload_prepare(&o, &ans->err);
    ans->status = VG_RELOAD_FAILED;
    if (rl && vg_reload_decide(rl, rq, ans) == VG_RELOAD_APPLIED && swap_in(r, rl, &ans->err) < 0)
        ans->status = VG_RELOAD_FAILED;
    if (rl)
        ans->report = vg_reload_take_report(rl);
    vg_reload_free(rl);
    vg_metrics *m = r->opts->metrics;
    if (ans->status == VG_RELOAD_APPLIED)
        r->stats->reloads++;
    if (m && ans->status == VG_RELOAD_APPLIED)
        m->reloads++;
    else if (m && ans->status != VG_RELOAD_DRY_RUN)
        m->reload_failures++;
}

/* The reloads scheduled at this point of the input (opts->reloads). */
void replay_scheduled_reloads(replay *r)
{
    uint64_t at = replay_events_so_far(r);
    while (r->next_reload < r->opts->nreloads && r->opts->reloads[r->next_reload].at <= at) {
        const vg_replay_reload *sr = &r->opts->reloads[r->next_reload++];
        vg_reload_answer ans = {.report = NULL};
        vg_error_clear(&ans.err);
        reload_now(r, sr->path, &(vg_reload_request){.confirm = true}, &ans);
        char when[64];
        snprintf(when, sizeof when, "at event %llu", (unsigned long long)at);
        vg_reload_log(r->opts->log, when, sr->path, &ans);
        r->stats->reload_failures += ans.status != VG_RELOAD_APPLIED;
        vg_reload_answer_free(&ans);
    }
}

/* Scheduled reloads the input ended before. */
void replay_reloads_not_reached(replay *r)
{
    for (; r->next_reload < r->opts->nreloads; r->next_reload++) {
        r->stats->reload_failures++;
        if (r->opts->log)
            fprintf(r->opts->log, "vigil: reload at event %llu (%s) not done: the input has "
                                  "%llu events\n",
                    (unsigned long long)r->opts->reloads[r->next_reload].at,
                    r->opts->reloads[r->next_reload].path, (unsigned long long)replay_events_so_far(r));
    }
}

/* POST /reload (engine/reload.h's service): the pipeline's files again. */
void replay_serve_reload(void *arg, const vg_reload_request *rq, vg_reload_answer *ans)
{
    replay *r = arg;
    reload_now(r, r->opts->pipeline_path, rq, ans);
    char when[80];
    snprintf(when, sizeof when, "on POST /reload at event %llu",
             (unsigned long long)replay_events_so_far(r));
    vg_reload_log(r->opts->log, when, r->opts->pipeline_path, ans);
}

