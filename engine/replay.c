/*
 * replay.c — the deterministic runner over event-log files: reads each log
 * a batch at a time, pushes the rows, advances the combined watermark,
 * writes the sinks, and at the end moves the watermark to +infinity.
 * Reloads are in replay_reload.c.
 */
#include "engine/replay.h"

#include <errno.h>
#include <string.h>

#include "engine/admin.h"
#include "engine/clock.h"
#include "engine/config.h"
#include "engine/dag.h"
#include "engine/json_in.h"
#include "engine/json_out.h"
#include "engine/lines.h"
#include "engine/op_source.h"
#include "engine/path.h"
#include "engine/pipeline.h"
#include "engine/registry.h"
#include "engine/reload.h"
#include "engine/replay_int.h"
#include "engine/runner_common.h"


static const vg_replay_output *find_output(const vg_replay_opts *o, const char *name)
{
    for (uint32_t i = 0; i < o->noutputs; i++)
        if (strcmp(o->outputs[i].sink, name) == 0)
            return &o->outputs[i];
    return NULL;
}

static int bind_output(sink_out *so, const char *name, const vg_replay_output *o, FILE *fallback,
                       vg_error *err)
{
    if (!(so->name = vg_strdup(VG_MEM_IO, name)))
        return vg_error_set(err, VG_ERR_NOMEM, "out of memory");
    if (!o) {
        so->f = fallback;
        return 0;
    }
    if (o->mem) {
        so->mem = o->mem;
        return 0;
    }
    if (strcmp(o->path, "-") == 0) {
        so->f = stdout;
        return 0;
    }
    vg_path_make_parents(o->path);
    so->f = fopen(o->path, "w");
    if (!so->f)
        return vg_error_set(err, VG_ERR_IO, "cannot create '%s': %s", o->path, strerror(errno));
    so->owns_f = true;
    return 0;
}

static int write_out(sink_out *so, vg_buf *b, vg_error *err)
{
    if (!b->len)
        return 0;
    if (so->mem) {
        if (vg_buf_append(so->mem, b->p, b->len) < 0)
            return vg_error_set(err, VG_ERR_NOMEM, "out of memory");
    } else if (fwrite(b->p, 1, b->len, so->f) != b->len) {
        return vg_error_set(err, VG_ERR_IO, "cannot write sink '%s': %s", so->name,
                            strerror(errno));
    }
    vg_buf_clear(b);
    return 0;
}

static int open_inputs(replay *r, vg_error *err)
{
    const vg_plan *p = r->plan;
    size_t max = r->opts->max_event_bytes ? r->opts->max_event_bytes : (1u << 20);
    for (uint32_t i = 0; i < p->nsources; i++) {
        stream_in *s = &r->in[i];
        s->node = p->sources[i];
        const char *path = NULL;
        for (uint32_t j = 0; j < r->opts->ninputs; j++)
            if (strcmp(r->opts->inputs[j].stream, s->node->name) == 0)
                path = r->opts->inputs[j].path;
        if (!path)
            return vg_error_set(err, VG_ERR_USAGE,
                                "stream '%s' has no input; give --input %s=FILE", s->node->name,
                                s->node->name);
        s->src = i;
        s->lines = vg_lines_open(path, max, err);
        if (!s->lines)
            return -1;
        s->dec = vg_decoder_new(&s->node->schema);
        vg_buf_init(&s->text, VG_MEM_IO);
        s->row = vg_calloc(VG_MEM_IO, (size_t)CHUNK * (s->node->schema.ncols + 1), sizeof(vg_value));
        if (!s->dec || !s->row)
            return vg_error_set(err, VG_ERR_NOMEM, "out of memory");
    }
    for (uint32_t j = 0; j < r->opts->ninputs; j++) {
        bool known = false;
        for (uint32_t i = 0; i < p->nsources; i++)
            known |= strcmp(r->opts->inputs[j].stream, p->sources[i]->name) == 0;
        if (!known)
            return vg_error_set(err, VG_ERR_USAGE, "--input names '%s', which is not a stream",
                                r->opts->inputs[j].stream);
    }
    return 0;
}

/* The entry of r->outs of sink `name`, bound now when it has none: to its
 * --output, else to cfg's file binding (a reloaded pipeline's settings; may
 * be NULL), else (a bare SELECT's) to standard output. -1 with err set. */
int64_t replay_out_for(replay *r, const char *name, bool is_stdout, const vg_config *cfg,
                       vg_error *err)
{
    for (uint32_t i = 0; i < r->nouts; i++)
        if (strcmp(r->outs[i].name, name) == 0)
            return i;
    const vg_replay_output *o = find_output(r->opts, name);
    const vg_binding *b = !o && cfg ? vg_config_sink(cfg, name) : NULL;
    vg_replay_output yaml = {.sink = name, .path = b ? b->path : NULL};
    if (b && b->kind == VG_BINDING_FILE)
        o = &yaml;
    if (!o && !is_stdout)
        return vg_error_set(err, VG_ERR_USAGE, "sink '%s' has no output; give --output %s=FILE",
                            name, name);
    sink_out *grown = vg_realloc(VG_MEM_IO, r->outs, (r->nouts + 1) * sizeof *grown);
    if (!grown)
        return vg_error_set(err, VG_ERR_NOMEM, "out of memory");
    r->outs = grown;
    memset(&r->outs[r->nouts], 0, sizeof *r->outs);
    int rc = bind_output(&r->outs[r->nouts], name, o, stdout, err);
    r->nouts++; /* (bound or not: cleanup frees its name) */
    return rc < 0 ? -1 : (int64_t)r->nouts - 1;
}

/* r->chan_out of the DAG's channels, from r->outs (bound already). */
void replay_map_channels(replay *r, vg_dag *d, uint32_t *chan_out)
{
    for (uint32_t i = 0; i < vg_dag_nchannels(d); i++)
        for (uint32_t k = 0; k < r->nouts; k++)
            if (strcmp(r->outs[k].name, vg_dag_channel(d, i)->name) == 0)
                chan_out[i] = k;
}

static int open_outputs(replay *r, vg_error *err)
{
    uint32_t n = vg_dag_nchannels(r->dag);
    if (!(r->chan_out = vg_calloc(VG_MEM_IO, n + 1, sizeof *r->chan_out)))
        return vg_error_set(err, VG_ERR_NOMEM, "out of memory");
    for (uint32_t i = 0; i < n; i++) {
        vg_channel *ch = vg_dag_channel(r->dag, i);
        if (replay_out_for(r, ch->name, ch->is_stdout, NULL, err) < 0)
            return -1;
    }
    replay_map_channels(r, r->dag, r->chan_out);
    for (uint32_t j = 0; j < r->opts->noutputs && !r->opts->nreloads; j++) {
        /* (with reloads, an output may be for a sink of a later plan) */
        const char *name = r->opts->outputs[j].sink;
        bool known = strcmp(name, "dead_letter") == 0 || strcmp(name, "stdout") == 0;
        for (uint32_t i = 0; i < n && !known; i++)
            known = strcmp(vg_dag_channel(r->dag, i)->name, name) == 0;
        if (!known)
            return vg_error_set(err, VG_ERR_USAGE, "--output names '%s', which is not a sink", name);
    }
    /* dead letters with no binding are not dropped: they go to stderr */
    return bind_output(&r->dead, "dead_letter", find_output(r->opts, "dead_letter"), stderr, err);
}

static int dead_letter(replay *r, uint32_t si, uint64_t lineno, const char *reason,
                       const char *line, size_t len, vg_error *err)
{
    r->stats->events_dead[si]++;
    if (vg_json_write_dead_letter(&r->dead_buf, r->in[si].node->name, lineno, reason, line, len) <
        0)
        return vg_error_set(err, VG_ERR_NOMEM, "out of memory");
    return 0;
}

static bool is_blank(const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != ' ' && p[i] != '\t' && p[i] != '\r')
            return false;
    return true;
}

/* Push the rows of stream si decoded so far, as one batch. */
static void push_rows(replay *r, uint32_t si)
{
    stream_in *s = &r->in[si];
    vg_op_batch b = {s->nrows, s->node->schema.ncols, s->row, s->parts};
    if (s->nrows)
        vg_dag_push_batch(r->dag, s->src, &b);
    s->nrows = 0;
}

/* Read up to max lines of stream si into its chunk (blank ones skipped):
 * how many lines were read (blank ones too), or -1. */
static int read_chunk(replay *r, uint32_t si, uint32_t max, uint32_t *nl, vg_error *err)
{
    stream_in *s = &r->in[si];
    uint32_t k = 0;
    *nl = 0;
    vg_buf_clear(&s->text);
    for (; k < max; k++) {
        const char *line;
        size_t len;
        uint64_t lineno;
        bool too_long;
        int rc = vg_lines_next(s->lines, &line, &len, &lineno, &too_long, err);
        if (rc < 0)
            return -1;
        if (rc == 0) {
            s->done = true;
            break;
        }
        if (!too_long && is_blank(line, len))
            continue; /* a blank line is not an event */
        s->cl[*nl] = (chunk_line){s->text.len, len, lineno, too_long};
        if (vg_buf_append(&s->text, line, len) < 0)
            return vg_error_set(err, VG_ERR_NOMEM, "out of memory");
        (*nl)++;
    }
    return (int)k;
}

/* Decode line l of stream si's chunk into its next row, or dead-letter it
 * (after pushing the rows before it, so that dead letters keep their order). */
static int decode_line(replay *r, uint32_t si, const chunk_line *l, vg_error *err)
{
    stream_in *s = &r->in[si];
    int32_t tcol = s->node->u.source.time_col;
    const char *line = s->text.p + l->off;
    vg_value *row = s->row + (size_t)s->nrows * s->node->schema.ncols;
    char reason[256];
    r->stats->events_read[si]++;
    if (l->too_long) {
        snprintf(reason, sizeof reason, "event longer than %zu bytes", l->len);
    } else {
        int drc = vg_decoder_decode(s->dec, line, l->len, row, vg_dag_scratch(r->dag), reason,
                                    sizeof reason);
        if (drc == VG_DECODE_NOMEM)
            return vg_error_set(err, VG_ERR_NOMEM, "out of memory");
        if (drc == VG_DECODE_OK) {
            if (tcol < 0 || !row[tcol].null) {
                int32_t part = 0;
                int64_t offset;
                vg_decoder_last_envelope(s->dec, &part, &offset);
                s->parts[s->nrows++] = part < 0 ? 0 : part;
                r->max_part = part > r->max_part ? part : r->max_part;
                return 0;
            }
            snprintf(reason, sizeof reason, "event time column '%s' is null",
                     s->node->schema.cols[tcol].name);
        }
    }
    push_rows(r, si);
    return dead_letter(r, si, l->lineno, reason, line, l->len, err);
}

uint64_t replay_events_so_far(const replay *r)
{
    uint64_t n = 0;
    for (uint32_t i = 0; i < r->stats->nstreams; i++)
        n += r->stats->events_read[i];
    return n;
}

/* How many events may have been read by the end of this batch: the point
 * of the next scheduled reload (the batch ends there), else no limit. */
static uint64_t read_cap(const replay *r)
{
    return r->next_reload < r->opts->nreloads ? r->opts->reloads[r->next_reload].at : UINT64_MAX;
}

/* Decode and push up to batch_size lines of stream si, CHUNK at a time. */
static int read_batch(replay *r, uint32_t si, vg_error *err)
{
    stream_in *s = &r->in[si];
    uint32_t batch = r->opts->batch_size ? r->opts->batch_size : 1024;
    uint64_t cap = read_cap(r);
    for (uint32_t k = 0; k < batch && !s->done;) {
        uint32_t nl, max = batch - k < CHUNK ? batch - k : CHUNK;
        uint64_t room = cap - replay_events_so_far(r);
        if (!room)
            break;
        int got = read_chunk(r, si, room < max ? (uint32_t)room : max, &nl, err);
        if (got < 0)
            return -1;
        k += (uint32_t)got;
        for (uint32_t i = 0; i < nl; i++)
            if (decode_line(r, si, &s->cl[i], err) < 0)
                return -1;
        push_rows(r, si);
        if (r->opts->admin) /* every chunk is a consistent cut: a query waits less */
            vg_admin_serve(r->opts->admin);
    }
    return 0;
}

/* The combined watermark: the minimum over streams that declare one and
 * have not ended; +infinity when none is left. */
static int64_t combined_watermark(replay *r)
{
    int64_t wm = VG_WM_MAX;
    for (uint32_t i = 0; i < r->plan->nsources; i++) {
        stream_in *s = &r->in[i];
        if (s->done || !s->node->u.source.watermark)
            continue;
        int64_t w = vg_op_source_watermark(vg_dag_source(r->dag, s->src));
        if (w < wm)
            wm = w;
    }
    return wm;
}

static int drain(replay *r, vg_error *err)
{
    const vg_error *e = vg_dag_error(r->dag);
    if (e) {
        *err = *e;
        return -1;
    }
    uint32_t n = vg_dag_nchannels(r->dag);
    for (uint32_t i = 0; i < n; i++)
        if (write_out(&r->outs[r->chan_out[i]], &vg_dag_channel(r->dag, i)->buf, err) < 0)
            return -1;
    if (write_out(&r->dead, &r->dead_buf, err) < 0)
        return -1;
    vg_dag_end_batch(r->dag);
    return 0;
}

static void show_progress(replay *r, bool final)
{
    FILE *f = r->opts->progress;
    if (!f)
        return;
    int64_t now = vg_clock_ms();
    if (!final && now - r->last_progress_ms < 250)
        return;
    r->last_progress_ms = now;
    uint64_t events = 0, done = 0, size = 0;
    for (uint32_t i = 0; i < r->plan->nsources; i++) {
        events += r->stats->events_read[i];
        done += vg_lines_offset(r->in[i].lines);
        size += vg_lines_size(r->in[i].lines);
    }
    double secs = (double)(now - r->started_ms) / 1000.0;
    fprintf(f, "\rread %llu events, %.0f events/s", (unsigned long long)events,
            secs > 0 ? (double)events / secs : 0.0);
    if (size)
        fprintf(f, ", %.1f%%", 100.0 * (double)done / (double)size);
    fputs(final ? "\n" : "   ", f);
    fflush(f);
}

/* Snapshot the DAG, throw it away, and go on with a fresh one restored from
 * the snapshot: what a restart from a checkpoint does, in-process. */
static int restart(replay *r, vg_error *err)
{
    vg_buf snap;
    vg_buf_init(&snap, VG_MEM_STATE);
    uint64_t late = vg_dag_late_rows(r->dag);
    int rc = vg_dag_snapshot(r->dag, &snap, err);
    if (rc == 0) {
        vg_dag *fresh = vg_dag_open_with(r->plan, r->registry, err);
        if (!fresh) {
            rc = -1;
        } else if (vg_dag_restore(fresh, snap.p, snap.len, err) < 0) {
            vg_dag_close(fresh);
            rc = -1;
        } else {
            /* channels are drained; the new DAG's are in the same order */
            for (uint32_t i = 0; i < vg_dag_nchannels(fresh); i++)
                vg_dag_channel(fresh, i)->rows = vg_dag_channel(r->dag, i)->rows;
            vg_dag_close(r->dag);
            r->dag = fresh;
            vg_dag_on_late(r->dag, vg_runner_late_row, &r->dead_buf);
            vg_dag_add_late_rows(r->dag, late);
        }
    }
    vg_buf_free(&snap);
    return rc;
}

/* Tell the admin API which DAG runs (NULL: none any more). */
void replay_admin_attach(replay *r, vg_dag *dag)
{
    if (r->opts->admin)
        vg_admin_attach(r->opts->admin, dag, dag ? r->registry : NULL, r->opts->metrics);
}

/* The end of a batch that began at t0 (vg_metrics_now), in the metrics. */
static void count_batch(replay *r, double t0)
{
    vg_metrics *m = r->opts->metrics;
    if (!m)
        return;
    m->batches++;
    vg_hist_add(&m->batch_seconds, vg_metrics_now() - t0);
    m->watermark = combined_watermark(r);
    m->late_rows = vg_dag_late_rows(r->dag);
    m->partitions = (uint32_t)r->max_part + 1;
}

/* replay --hold: every input has ended; before the watermark goes to
 * +infinity (which empties every window), advance it as far as the
 * streams' own watermarks go and serve the admin API until told to stop,
 * as a live engine whose input paused would. */
static int hold(replay *r, double t0, vg_error *err)
{
    int64_t wm = VG_WM_MAX;
    for (uint32_t i = 0; i < r->plan->nsources; i++)
        if (r->in[i].node->u.source.watermark) {
            int64_t w = vg_op_source_watermark(vg_dag_source(r->dag, r->in[i].src));
            wm = w < wm ? w : wm;
        }
    if (wm != VG_WM_MAX)
        vg_dag_watermark(r->dag, wm);
    if (drain(r, err) < 0)
        return -1;
    count_batch(r, t0);
    if (r->opts->metrics)
        r->opts->metrics->watermark = wm;
    r->at_boundary = true;
    return vg_admin_hold(r->opts->admin, r->opts->hold, err);
}

static bool at_boundary(void *arg) { return ((const replay *)arg)->at_boundary; }

static bool all_done(const replay *r)
{
    for (uint32_t i = 0; i < r->plan->nsources; i++)
        if (!r->in[i].done)
            return false;
    return true;
}

static int run(replay *r, vg_error *err)
{
    bool restarted = false, held = !(r->opts->admin && r->opts->hold);
    for (;;) {
        bool any = false;
        double t0 = r->opts->metrics ? vg_metrics_now() : 0;
        r->at_boundary = false;
        for (uint32_t i = 0; i < r->plan->nsources; i++) {
            if (r->in[i].done)
                continue;
            any = true;
            if (replay_events_so_far(r) < read_cap(r) && read_batch(r, i, err) < 0)
                return -1;
        }
        if (!held && all_done(r)) {
            held = true;
            if (hold(r, t0, err) < 0)
                return -1;
            t0 = r->opts->metrics ? vg_metrics_now() : 0; /* the hold is no batch's time */
        }
        vg_dag_watermark(r->dag, combined_watermark(r));
        if (drain(r, err) < 0)
            return -1;
        if (r->opts->restart_at && !restarted && replay_events_so_far(r) >= r->opts->restart_at) {
            restarted = true;
            if (restart(r, err) < 0)
                return -1;
            replay_admin_attach(r, r->dag);
        }
        r->at_boundary = true;
        replay_scheduled_reloads(r);
        if (r->opts->between &&
            r->opts->between(r->opts->between_arg, r->registry, replay_events_so_far(r), err) < 0)
            return -1;
        count_batch(r, t0);
        if (r->opts->admin)
            vg_admin_serve(r->opts->admin);
        show_progress(r, false);
        if (!any)
            break;
    }
    replay_reloads_not_reached(r);
    vg_dag_watermark(r->dag, VG_WM_MAX);
    if (drain(r, err) < 0)
        return -1;
    show_progress(r, true);
    if (r->opts->metrics) {
        r->opts->metrics->watermark = VG_WM_MAX;
        r->opts->metrics->late_rows = vg_dag_late_rows(r->dag);
    }
    return 0;
}

/* Note each sink's row count from the DAG's channels. */
void replay_note_rows(replay *r)
{
    for (uint32_t i = 0; i < vg_dag_nchannels(r->dag); i++)
        r->outs[r->chan_out[i]].rows = vg_dag_channel(r->dag, i)->rows;
}

static int stats_init(vg_replay_stats *st, const vg_plan *p)
{
    memset(st, 0, sizeof *st);
    st->nstreams = p->nsources;
    st->stream_names = vg_calloc(VG_MEM_OTHER, p->nsources + 1, sizeof(char *));
    st->events_read = vg_calloc(VG_MEM_OTHER, p->nsources + 1, sizeof(uint64_t));
    st->events_dead = vg_calloc(VG_MEM_OTHER, p->nsources + 1, sizeof(uint64_t));
    if (!st->stream_names || !st->events_read || !st->events_dead)
        return -1;
    for (uint32_t i = 0; i < p->nsources; i++)
        st->stream_names[i] = p->sources[i]->name;
    return 0;
}

/* Every sink bound, with its rows: the names copied after the array of
 * pointers, in one block (the stats own it). */
static void stats_take_sinks(vg_replay_stats *st, replay *r)
{
    size_t bytes = (r->nouts + 1) * sizeof(char *);
    for (uint32_t i = 0; i < r->nouts; i++)
        bytes += strlen(r->outs[i].name) + 1;
    replay_note_rows(r);
    char **names = vg_calloc(VG_MEM_OTHER, 1, bytes);
    st->rows_written = vg_calloc(VG_MEM_OTHER, r->nouts + 1, sizeof(uint64_t));
    st->sink_names = (const char **)names;
    if (!names || !st->rows_written)
        return;
    char *at = (char *)(names + r->nouts + 1);
    for (uint32_t i = 0; i < r->nouts; i++) {
        names[i] = strcpy(at, r->outs[i].name);
        at += strlen(at) + 1;
        st->rows_written[i] = r->outs[i].rows;
    }
    st->nsinks = r->nouts;
}

static void cleanup(replay *r)
{
    if (r->in) {
        for (uint32_t i = 0; i < r->plan->nsources; i++) {
            vg_lines_close(r->in[i].lines);
            vg_decoder_free(r->in[i].dec);
            vg_free(r->in[i].row);
            vg_buf_free(&r->in[i].text);
        }
        vg_free(r->in);
    }
    for (uint32_t i = 0; i < r->nouts; i++) {
        if (r->outs[i].owns_f)
            fclose(r->outs[i].f);
        vg_free(r->outs[i].name);
    }
    vg_free(r->outs);
    vg_free(r->chan_out);
    if (r->dead.owns_f)
        fclose(r->dead.f);
    else if (r->dead.f)
        fflush(r->dead.f);
    vg_free(r->dead.name);
    fflush(stdout);
    vg_buf_free(&r->dead_buf);
    vg_dag_close(r->dag);
    if (r->owns_registry)
        vg_registry_free(r->registry);
    vg_pipeline_free(r->reloaded); /* (after the DAG and registry of its plan) */
}

int vg_replay_run(const vg_plan *plan, const vg_replay_opts *opts, vg_replay_stats *stats,
                  vg_error *err)
{
    replay r = {.plan = plan, .opts = opts, .stats = stats};
    vg_buf_init(&r.dead_buf, VG_MEM_IO);
    r.started_ms = vg_clock_ms();
    int rc = -1;
    if (stats_init(stats, plan) < 0) {
        vg_error_set(err, VG_ERR_NOMEM, "out of memory");
        goto done;
    }
    if (vg_runner_open_registry(r.plan, r.opts->registry, r.opts->store_path, &r.registry,
                                &r.owns_registry, err) < 0)
        goto done;
    r.dag = vg_dag_open_with(plan, r.registry, err);
    if (!r.dag)
        goto done;
    vg_dag_on_late(r.dag, vg_runner_late_row, &r.dead_buf);
    r.in = vg_calloc(VG_MEM_IO, plan->nsources + 1, sizeof(stream_in));
    if (!r.in) {
        vg_error_set(err, VG_ERR_NOMEM, "out of memory");
        goto done;
    }
    if (open_inputs(&r, err) < 0 || open_outputs(&r, err) < 0)
        goto done;
    if (opts->metrics) {
        opts->metrics->nsources = plan->nsources;
        opts->metrics->source_names = stats->stream_names;
        opts->metrics->events_in = stats->events_read;
        opts->metrics->events_dead = stats->events_dead;
    }
    replay_admin_attach(&r, r.dag);
    if (opts->admin && opts->pipeline_path)
        vg_admin_set_reloader(opts->admin, replay_serve_reload, at_boundary, &r);
    rc = run(&r, err);
    if (opts->admin)
        vg_admin_set_reloader(opts->admin, NULL, NULL, NULL); /* (r goes) */
    replay_admin_attach(&r, NULL);
    stats_take_sinks(stats, &r);
    stats->late_rows = vg_dag_late_rows(r.dag);
done:
    stats->seconds = (double)(vg_clock_ms() - r.started_ms) / 1000.0;
    cleanup(&r);
    return rc;
}

void vg_replay_stats_free(vg_replay_stats *st)
{
    vg_free(st->stream_names);
    vg_free(st->events_read);
    vg_free(st->events_dead);
    vg_free(st->sink_names);
    vg_free(st->rows_written);
    memset(st, 0, sizeof *st);
}

void vg_replay_stats_print(const vg_replay_stats *st, FILE *out)
{
    for (uint32_t i = 0; i < st->nstreams; i++)
        fprintf(out, "vigil: %s: read %llu events, %llu dead-lettered\n", st->stream_names[i],
                (unsigned long long)st->events_read[i], (unsigned long long)st->events_dead[i]);
    if (st->late_rows)
        fprintf(out, "vigil: %llu late rows dead-lettered\n", (unsigned long long)st->late_rows);
    if (st->reloads || st->reload_failures)
        fprintf(out, "vigil: reloads: %u applied, %u failed\n", st->reloads, st->reload_failures);
    for (uint32_t i = 0; i < st->nsinks; i++)
        fprintf(out, "vigil: %s: wrote %llu rows\n", st->sink_names[i],
                (unsigned long long)st->rows_written[i]);
}
