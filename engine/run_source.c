/*
 * run_source.c — the streams of `vigil run`: a consumer per stream, its
 * messages decoded and pushed in batches, and per partition the watermark,
 * the idle state and the offset processed.
 *
 * The runner keeps each partition's watermark itself (evaluating the
 * stream's WATERMARK expression on each row, as the source operator also
 * does) because only it knows which partitions are assigned and which are
 * idle: a partition silent for the idle timeout (counted from its
 * assignment when it has sent nothing) is left out of the minimum until
 * it sends again, as Flink's withIdleness does. Its rows may then be late.
 *
 * With checkpoints a stream's consumer joins no group: the runner assigns
 * it every partition of the topic, from the checkpoint's offsets (or the
 * group's committed ones, the first time), restores each partition's
 * watermark, and each turn reads the partitions one after another from
 * their own queues, noting the input cut for the turn log (run_ckpt.c).
 * With --exit-at-end a turn takes a whole batch from every partition that
 * has one (waiting for it) and none is ever idle, so that the turns, and
 * the rows, are the same on every run over the same input.
 */
#include <stdio.h>
#include <string.h>

#include "engine/alloc.h"
#include "engine/clock.h"
#include "engine/run_int.h"

/* ---- partitions ---- */

static run_part *part_find(run_source *s, int32_t partition)
{
    for (uint32_t i = 0; i < s->nparts; i++)
        if (s->parts[i].partition == partition)
            return &s->parts[i];
    return NULL;
}

static run_part *part_add(run_source *s, int32_t partition, int64_t now)
{
    run_part *p = part_find(s, partition);
    if (p)
        return p;
    if (s->nparts == s->capparts) {
        uint32_t cap = s->capparts ? s->capparts * 2 : 8;
        run_part *grown = vg_realloc(VG_MEM_IO, s->parts, cap * sizeof *grown);
        if (!grown)
            return NULL;
        s->parts = grown;
        s->capparts = cap;
    }
    p = &s->parts[s->nparts++];
    *p = (run_part){partition, false, false, VG_WM_MIN, now, -1, -1, -1};
    return p;
}

/* Follow the consumer's assignment: a newly assigned partition starts
 * active (it holds the watermark back for up to the idle timeout); a
 * revoked one stops counting, and its offsets are not committed any more
 * (its next owner starts from the last commit). */
static int sync_assignment(run_source *s, int64_t now, vg_error *err)
{
    uint64_t gen = vg_kafka_source_generation(s->ks);
    if (gen == s->generation)
        return 0;
    s->generation = gen;
    const int32_t *parts;
    uint32_t n = vg_kafka_source_assignment(s->ks, &parts);
    for (uint32_t i = 0; i < s->nparts; i++) {
        bool kept = false;
        for (uint32_t k = 0; k < n && !kept; k++)
            kept = parts[k] == s->parts[i].partition;
        s->parts[i].assigned &= kept;
    }
    for (uint32_t i = 0; i < n; i++) {
        run_part *p = part_add(s, parts[i], now);
        if (!p)
            return vg_error_set(err, VG_ERR_NOMEM, "out of memory");
        if (!p->assigned)
            *p = (run_part){parts[i], true, false, p->max_wm, now, -1, -1, -1};
        s->ever_assigned = true;
    }
    s->m->partitions = n;
    return 0;
}

/* ---- opening ---- */

static int open_source(run *r, run_source *s, vg_error *err)
{
    const vg_binding *b = s->b;
    vg_error kerr;
    vg_error_clear(&kerr);
    s->manual = r->st != NULL;
    vg_kafka_source_opts ko = {.name = s->node->name,
                               .bootstrap = b->bootstrap,
                               .topic = b->topic,
                               .group = b->group,
                               .props = b->props,
                               .nprops = b->nprops,
                               .manual = s->manual,
                               .eof = r->opts->exit_at_end,
                               .log = run_kafka_log,
                               .log_arg = r};
    s->ks = vg_kafka_source_open(&ko, &kerr);
    if (!s->ks) {
        if (kerr.code == VG_ERR_CONFIG && b->at.len)
            return vg_error_at(err, VG_ERR_CONFIG, &r->cfg->yaml, b->at, "%s", kerr.msg);
        *err = kerr;
        return -1;
    }
    s->dec = vg_decoder_new(&s->node->schema);
    s->rows =
        vg_calloc(VG_MEM_IO, (size_t)RUN_CHUNK * (s->node->schema.ncols + 1), sizeof(vg_value));
    if (!s->dec || !s->rows)
        return vg_error_set(err, VG_ERR_NOMEM, "out of memory");
    return 0;
}

/* A stream's idle timeout: --idle-timeout, else its binding's
 * (sources.NAME.kafka.idle_timeout, default 5 s). */
static int64_t idle_timeout(const run *r, const vg_binding *b)
{
    return r->opts->idle_timeout_ms > 0 ? r->opts->idle_timeout_ms : b->idle_timeout_ms;
}

/* The binding of stream `name`: a Kafka topic, or an error that says why not. */
static const vg_binding *kafka_binding(run *r, const char *name, vg_error *err)
{
    const vg_binding *b = vg_config_source(r->cfg, name);
    if (!b) {
        vg_error_set(err, VG_ERR_USAGE,
                     "stream '%s' has no binding: vigil run reads Kafka topics; bind it in "
                     "pipeline.yaml (sources: {%s: {kafka: {topic: %s}}})",
                     name, name, name);
        return NULL;
    }
    if (b->kind != VG_BINDING_KAFKA) {
        vg_error_at(err, VG_ERR_CONFIG, &r->cfg->yaml, b->at,
                    "stream '%s' is bound to a file: vigil run reads Kafka topics (vigil replay "
                    "reads files)",
                    name);
        return NULL;
    }
    return b;
}

int run_sources_bind(run *r, vg_error *err)
{
    for (uint32_t i = 0; i < r->plan->nsources; i++) {
        run_source *s = &r->src[i];
        s->node = r->plan->sources[i];
        s->m = &r->m->sources[i];
        if (!(s->b = kafka_binding(r, s->node->name, err)))
            return -1;
        if (!(s->m->name = vg_arena_strndup(r->m->names, s->b->name, strlen(s->b->name))))
            return vg_error_set(err, VG_ERR_NOMEM, "out of memory");
        /* --exit-at-end: no partition turns idle, which depends on the wall clock */
        s->idle_ms = r->opts->exit_at_end ? INT64_MAX / 4 : idle_timeout(r, s->b);
        s->m->topic = s->b->topic;
    }
    return 0;
}

/* The restored checkpoint's offset of stream s's partition, or NULL. */
static const vg_store_offset *loaded_offset(const run *r, const run_source *s, int32_t partition)
{
    const vg_store_ckpt *c = r->loaded;
    for (uint32_t i = 0; c && i < c->noffsets; i++)
        if (strcmp(c->offsets[i].source, s->node->name) == 0 &&
            c->offsets[i].partition == partition)
            return &c->offsets[i];
    return NULL;
}

/* The checkpoint's offsets belong to the topic s reads now. */
static int same_topic(const run *r, const run_source *s, vg_error *err)
{
    const vg_store_ckpt *c = r->loaded;
    for (uint32_t i = 0; c && i < c->noffsets; i++)
        if (strcmp(c->offsets[i].source, s->node->name) == 0 &&
            strcmp(c->offsets[i].topic, s->b->topic) != 0)
            return vg_error_set(err, VG_ERR_CONFIG,
                                "stream '%s' read topic '%s' at checkpoint %lld and is bound to "
                                "topic '%s' now: its offsets do not apply; bind it back, or drop "
                                "the checkpoints (vigil checkpoints drop PIPELINE)",
                                s->node->name, c->offsets[i].topic, (long long)c->id,
                                s->b->topic);
    return 0;
}

/* Checkpoints: every partition of the topic, from the checkpoint's offset
 * (or where the group, else auto.offset.reset, says), with its watermark;
 * with --exit-at-end, its end now (asked before the assignment: once the
 * consumer fetches, the dev broker answers other requests only after the
 * fetch's long poll). ends has room for n. */
static int assign_all(run *r, run_source *s, int32_t *ids, int64_t *offsets, int64_t *ends,
                      uint32_t n, vg_error *err)
{
    for (uint32_t i = 0; i < n; i++) {
        const vg_store_offset *o = loaded_offset(r, s, (int32_t)i);
        ids[i] = (int32_t)i;
        offsets[i] = o ? o->next_offset : -1;
        ends[i] = -1;
        if (r->opts->exit_at_end && vg_kafka_source_end(s->ks, ids[i], 10000, &ends[i], err) < 0)
            return -1;
    }
    if (vg_kafka_source_resolve(s->ks, ids, offsets, n, 10000, err) < 0 ||
        vg_kafka_source_assign(s->ks, ids, offsets, n, err) < 0)
        return -1;
    int64_t now = vg_clock_ms();
    for (uint32_t i = 0; i < n; i++) {
        const vg_store_offset *o = loaded_offset(r, s, (int32_t)i);
        run_part *p = part_add(s, ids[i], now);
        if (!p)
            return vg_error_set(err, VG_ERR_NOMEM, "out of memory");
        *p = (run_part){.partition = ids[i],
                        .assigned = true,
                        .max_wm = o ? o->max_wm : VG_WM_MIN,
                        .last_ms = now,
                        .next_offset = offsets[i],
                        .committed = -1,
                        .end = ends[i]};
    }
    s->ever_assigned = true;
    s->generation = vg_kafka_source_generation(s->ks); /* nothing for sync_assignment to do */
    s->m->partitions = n;
    return 0;
}

static int open_manual(run *r, run_source *s, vg_error *err)
{
    int n = same_topic(r, s, err) < 0 ? -1 : vg_kafka_source_partition_count(s->ks, 10000, err);
    if (n < 0)
        return -1;
    int32_t *ids = vg_calloc(VG_MEM_IO, (size_t)n, sizeof *ids);
    int64_t *offsets = vg_calloc(VG_MEM_IO, 2 * (size_t)n, sizeof *offsets);
    int rc = ids && offsets ? assign_all(r, s, ids, offsets, offsets + n, (uint32_t)n, err)
                            : vg_error_set(err, VG_ERR_NOMEM, "out of memory");
    vg_free(ids);
    vg_free(offsets);
    return rc;
}

int run_sources_open(run *r, vg_error *err)
{
    for (uint32_t i = 0; i < r->plan->nsources; i++) {
        if (open_source(r, &r->src[i], err) < 0)
            return -1;
        if (r->src[i].manual && open_manual(r, &r->src[i], err) < 0)
            return -1;
    }
    return 0;
}

void run_sources_close(run *r)
{
    if (!r->src)
        return;
    for (uint32_t i = 0; i < r->plan->nsources; i++) {
        run_source *s = &r->src[i];
        vg_kafka_source_close(s->ks);
        vg_decoder_free(s->dec);
        vg_free(s->rows);
        vg_free(s->parts);
    }
}

/* ---- a reload ---- */

int run_sources_next(run *r, const vg_plan *p, run_next *nx, vg_error *err)
{
    uint32_t n = p->nsources;
    nx->src_nodes = vg_calloc(VG_MEM_IO, n + 1, sizeof *nx->src_nodes);
    nx->src_from = vg_calloc(VG_MEM_IO, n + 1, sizeof *nx->src_from);
    nx->src_dec = vg_calloc(VG_MEM_IO, n + 1, sizeof *nx->src_dec);
    nx->src_rows = vg_calloc(VG_MEM_IO, n + 1, sizeof *nx->src_rows);
    nx->src_save = vg_calloc(VG_MEM_IO, n + 1, sizeof *nx->src_save);
    if (!nx->src_nodes || !nx->src_from || !nx->src_dec || !nx->src_rows || !nx->src_save)
        return vg_error_set(err, VG_ERR_NOMEM, "out of memory");
    for (uint32_t j = 0; j < n; j++) {
        const vg_plan_node *node = p->sources[j];
        uint32_t k = 0;
        while (k < r->plan->nsources && strcmp(r->src[k].node->name, node->name) != 0)
            k++;
        if (k == r->plan->nsources || n != r->plan->nsources)
            return vg_error_set(err, VG_ERR_RUNTIME, "the new plan reads stream '%s', which "
                                "this run does not", node->name);
        nx->src_nodes[j] = node;
        nx->src_from[j] = k;
        nx->src_dec[j] = vg_decoder_new(&node->schema);
        nx->src_rows[j] = vg_calloc(VG_MEM_IO, (size_t)RUN_CHUNK * (node->schema.ncols + 1),
                                    sizeof(vg_value));
        if (!nx->src_dec[j] || !nx->src_rows[j])
            return vg_error_set(err, VG_ERR_NOMEM, "out of memory");
    }
    return 0;
}

void run_sources_swap(run *r, const vg_plan *p, run_next *nx)
{
    uint32_t n = p->nsources;
    run_source *save = nx->src_save;
    memcpy(save, r->src, n * sizeof *save);
    for (uint32_t j = 0; j < n; j++) {
        run_source *s = &r->src[j];
        *s = save[nx->src_from[j]];
        vg_decoder_free(s->dec);
        vg_free(s->rows);
        s->node = nx->src_nodes[j];
        s->dec = nx->src_dec[j];
        s->rows = nx->src_rows[j];
        nx->src_dec[j] = NULL;
        nx->src_rows[j] = NULL;
    }
}

/* ---- reading ---- */

static void push_rows(run *r, uint32_t si)
{
    run_source *s = &r->src[si];
    vg_op_batch b = {s->nrows, s->node->schema.ncols, s->rows, s->row_parts};
    if (s->nrows)
        vg_dag_push_batch(r->dag, si, &b);
    s->nrows = 0;
}

/* Why message msg is not an event of s (into reason), or "" when it is one
 * (decoded into the next row). -1 when out of memory. */
static int decode(run *r, run_source *s, const vg_kafka_msg *msg, char *reason, size_t n)
{
    vg_value *row = s->rows + (size_t)s->nrows * s->node->schema.ncols;
    int32_t tcol = s->node->u.source.time_col;
    reason[0] = 0;
    if (!msg->value) {
        snprintf(reason, n, "message has no value");
        return 0;
    }
    if (msg->len > r->max_event) {
        snprintf(reason, n, "event longer than %zu bytes", r->max_event);
        return 0;
    }
    int rc =
        vg_decoder_decode(s->dec, msg->value, msg->len, row, vg_dag_scratch(r->dag), reason, n);
    if (rc == VG_DECODE_NOMEM)
        return -1;
    if (rc == VG_DECODE_OK && tcol >= 0 && row[tcol].null)
        snprintf(reason, n, "event time column '%s' is null", s->node->schema.cols[tcol].name);
    return 0;
}

/* The row just decoded from msg raises its partition's watermark. */
static void note_watermark(run *r, run_source *s, run_part *p, const vg_value *row)
{
    const vg_expr *wm = s->node->u.source.watermark;
    if (!wm || !p)
        return;
    vg_value v;
    vg_expr_eval(wm, row, &r->eval, &v);
    if (!v.null && v.u.i > p->max_wm)
        p->max_wm = v.u.i;
}

static int take_message(run *r, uint32_t si, const vg_kafka_msg *msg, int64_t now, vg_error *err)
{
    run_source *s = &r->src[si];
    run_part *p = part_find(s, msg->partition);
    if (p && p->assigned) {
        p->last_ms = now;
        p->idle = false;
        p->next_offset = msg->offset + 1;
    } else {
        p = NULL; /* polled before a revocation: processed, not tracked */
    }
    if (r->st && run_ckpt_note(r, si, msg->partition, msg->offset, err) < 0)
        return -1;
    s->m->events_read++;
    s->m->bytes_read += msg->len;
    r->events++;
    char reason[256];
    if (decode(r, s, msg, reason, sizeof reason) < 0)
        return vg_error_set(err, VG_ERR_NOMEM, "out of memory");
    if (reason[0]) {
        push_rows(r, si); /* dead letters keep their order with late rows */
        s->m->events_dead++;
        return run_dead_letter(r, s, msg, reason, err);
    }
    note_watermark(r, s, p, s->rows + (size_t)s->nrows * s->node->schema.ncols);
    s->row_parts[s->nrows++] = msg->partition;
    return 0;
}

/* Push the chunk of stream si taken; then serve the admin requests that
 * may run mid-turn (queries: every chunk is a consistent cut, so a query
 * waits less). 0, or -1 with the evaluation's error. */
static int chunk_pushed(run *r, uint32_t si, vg_error *err)
{
    push_rows(r, si);
    if (vg_error_is_set(&r->eval_err)) {
        *err = r->eval_err;
        return -1;
    }
    if (r->admin)
        vg_admin_serve(r->admin);
    return 0;
}

/* Take what one poll of partition p of stream si gives: at most max
 * messages, waiting up to wait_ms for the first. The count, or -1. */
static int take_some(run *r, uint32_t si, run_part *p, uint32_t max, int wait_ms, vg_error *err)
{
    run_source *s = &r->src[si];
    uint32_t want = max < RUN_CHUNK ? max : RUN_CHUNK;
    int n = vg_kafka_source_poll_partition(s->ks, p->partition, s->msgs, want, wait_ms, err);
    int64_t now = vg_clock_ms();
    for (int k = 0; k < n; k++)
        if (take_message(r, si, &s->msgs[k], now, err) < 0)
            return -1;
    return chunk_pushed(r, si, err) < 0 ? -1 : n;
}

/* The events --max-events still allows (UINT32_MAX: no limit). */
static uint32_t events_left(const run *r)
{
    if (!r->opts->max_events)
        return UINT32_MAX;
    uint64_t left = r->opts->max_events - r->events;
    return left < UINT32_MAX ? (uint32_t)left : UINT32_MAX;
}

static bool at_end(const run_source *s, const run_part *p)
{
    return (p->end >= 0 && p->next_offset >= p->end) || vg_kafka_source_eof(s->ks, p->partition);
}

/* A turn of a stream whose partitions the runner assigned: up to a batch
 * from each partition in turn; with --exit-at-end, exactly a batch from
 * each (fewer only at its end), waiting for the messages. */
static int manual_turn(run *r, uint32_t si, uint32_t batch, vg_error *err)
{
    run_source *s = &r->src[si];
    if (vg_kafka_source_serve(s->ks, err) < 0)
        return -1;
    for (uint32_t i = 0; i < s->nparts; i++) {
        run_part *p = &s->parts[i];
        uint32_t got = 0;
        while (got < batch && events_left(r) > 0) {
            bool wait = r->opts->exit_at_end && !at_end(s, p);
            if (wait && run_stop_asked(r))
                return 0;
            uint32_t want = batch - got < events_left(r) ? batch - got : events_left(r);
            int n = take_some(r, si, p, want, wait ? 100 : 0, err);
            if (n < 0)
                return -1;
            got += (uint32_t)n;
            if (!wait && (uint32_t)n < (want < RUN_CHUNK ? want : RUN_CHUNK))
                break; /* nothing more fetched yet */
            if (r->opts->exit_at_end && at_end(s, p))
                break;
        }
        s->full |= r->opts->exit_at_end ? !at_end(s, p) : got == batch;
    }
    return 0;
}

int run_source_take(run *r, uint32_t si, int32_t partition, uint32_t count, vg_error *err)
{
    run_part *p = part_find(&r->src[si], partition);
    int64_t deadline = vg_clock_ms() + 30000;
    while (count > 0) {
        int n = p ? take_some(r, si, p, count, 100, err) : -1;
        if (n < 0)
            return p ? -1 : vg_error_set(err, VG_ERR_RUNTIME, "stream '%s' has no partition %d",
                                         r->src[si].node->name, (int)partition);
        count -= (uint32_t)n;
        if (count && vg_clock_ms() > deadline)
            return vg_error_set(err, VG_ERR_IO,
                                "stream '%s': the messages of partition %d of topic '%s' from "
                                "offset %lld did not come back within 30 s",
                                r->src[si].node->name, (int)partition, r->src[si].b->topic,
                                (long long)p->next_offset);
    }
    return 0;
}

run_part *run_source_part(run *r, uint32_t si, int32_t partition)
{
    return part_find(&r->src[si], partition);
}

bool run_sources_at_end(run *r)
{
    for (uint32_t i = 0; i < r->plan->nsources; i++) {
        const run_source *s = &r->src[i];
        if (!s->ever_assigned)
            return false;
        for (uint32_t k = 0; k < s->nparts; k++)
            if (s->parts[k].assigned && !at_end(s, &s->parts[k]))
                return false;
    }
    return true;
}

int run_source_turn(run *r, uint32_t si, vg_error *err)
{
    run_source *s = &r->src[si];
    uint32_t batch = r->opts->batch_size ? r->opts->batch_size : 1024;
    uint32_t got = 0;
    s->full = false;
    if (s->manual)
        return manual_turn(r, si, batch, err);
    while (got < batch) {
        uint32_t want = batch - got < RUN_CHUNK ? batch - got : RUN_CHUNK;
        if (r->opts->max_events && r->opts->max_events - r->events < want)
            want = (uint32_t)(r->opts->max_events - r->events);
        if (!want)
            break;
        int n = vg_kafka_source_poll(s->ks, s->msgs, want, 0, err);
        int64_t now = vg_clock_ms();
        if (n < 0 || sync_assignment(s, now, err) < 0)
            return -1;
        for (int k = 0; k < n; k++)
            if (take_message(r, si, &s->msgs[k], now, err) < 0)
                return -1;
        if (chunk_pushed(r, si, err) < 0)
            return -1;
        got += (uint32_t)n;
        if ((uint32_t)n < want)
            return 0;
    }
    s->full = got == batch;
    return 0;
}

/* ---- event time ---- */

/* Stream s's watermark over its active partitions (VG_WM_MAX when none is
 * active), marking idle ones; *wake_ms lowered to the next turn to idle. */
static int64_t source_watermark(run_source *s, int64_t now, int64_t *wake_ms)
{
    int64_t wm = VG_WM_MAX;
    uint32_t idle = 0;
    for (uint32_t i = 0; i < s->nparts; i++) {
        run_part *p = &s->parts[i];
        if (!p->assigned)
            continue;
        int64_t left = p->last_ms + s->idle_ms - now;
        p->idle = left <= 0;
        if (p->idle) {
            idle++;
            continue;
        }
        if (left < *wake_ms)
            *wake_ms = left;
        if (p->max_wm < wm)
            wm = p->max_wm;
    }
    s->m->idle_partitions = idle;
    return wm;
}

int64_t run_watermark(run *r, int64_t now, int64_t *wake_ms)
{
    int64_t wm = VG_WM_MAX;
    bool any = false;
    for (uint32_t i = 0; i < r->plan->nsources; i++) {
        run_source *s = &r->src[i];
        if (!s->node->u.source.watermark)
            continue;
        any = true;
        int64_t w = source_watermark(s, now, wake_ms);
        s->m->watermark = w == VG_WM_MAX ? s->m->watermark : w;
        if (!s->ever_assigned && now - r->started_ms < s->idle_ms) {
            w = VG_WM_MIN; /* not started yet: it may still bring early events */
            if (r->started_ms + s->idle_ms - now < *wake_ms)
                *wake_ms = r->started_ms + s->idle_ms - now;
        }
        if (w < wm)
            wm = w;
    }
    /* no stream declares a watermark, or every partition is idle: time stands still */
    return any && wm != VG_WM_MAX ? wm : VG_WM_MIN;
}

/* ---- offsets ---- */

bool run_offsets_dirty(const run *r)
{
    for (uint32_t i = 0; i < r->plan->nsources; i++)
        for (uint32_t k = 0; k < r->src[i].nparts; k++) {
            const run_part *p = &r->src[i].parts[k];
            if (p->assigned && p->next_offset >= 0 && p->next_offset != p->committed)
                return true;
        }
    return false;
}

int run_commit(run *r, bool sync, vg_error *err)
{
    for (uint32_t i = 0; i < r->plan->nsources; i++) {
        run_source *s = &r->src[i];
        int32_t parts[64];
        int64_t next[64];
        uint32_t n = 0;
        for (uint32_t k = 0; k < s->nparts; k++) {
            run_part *p = &s->parts[k];
            if (!p->assigned || p->next_offset < 0 || p->next_offset == p->committed)
                continue;
            parts[n] = p->partition;
            next[n++] = p->next_offset;
            p->committed = p->next_offset;
            if (n == 64) {
                if (vg_kafka_source_commit(s->ks, parts, next, n, !sync, err) < 0)
                    return -1;
                n = 0;
            }
        }
        if (vg_kafka_source_commit(s->ks, parts, next, n, !sync, err) < 0)
            return -1;
    }
    r->m->commits++;
    return 0;
}
