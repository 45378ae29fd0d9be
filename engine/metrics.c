/*
 * metrics.c — latency histograms and the Prometheus text of the runner's
 * counters, its operators and its memory.
 *
 * Every metric is one row of a table (name, type, help, how to write its
 * samples), so the reference in docs/operations.md reads like the table.
 * Wall-clock time is read here, not through engine/clock.h: latencies need
 * sub-millisecond resolution, and the watermark lag compares event time
 * with the real date, which the monotonic clock does not know.
 */
#include "engine/metrics.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "engine/clock.h"
#include "engine/op.h"
#include "engine/op_over.h"

const double vg_hist_bounds[VG_HIST_NBOUNDS] = {
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5,
};

void vg_hist_add(vg_hist *h, double seconds)
{
    uint32_t b = 0;
    while (b < VG_HIST_NBOUNDS && seconds > vg_hist_bounds[b])
        b++;
    h->counts[b]++;
    h->sum += seconds;
    h->n++;
}

double vg_hist_quantile(const vg_hist *h, double q)
{
    if (!h->n)
        return 0;
    uint64_t want = (uint64_t)(q * (double)h->n + 0.999999), seen = 0;
    for (uint32_t b = 0; b < VG_HIST_NBOUNDS; b++) {
        seen += h->counts[b];
        if (seen >= want)
            return vg_hist_bounds[b];
    }
    return __builtin_inf();
}

void vg_metrics_init(vg_metrics *m)
{
    memset(m, 0, sizeof *m);
    m->started_ms = vg_clock_ms();
    m->partitions = 1;
    m->watermark = VG_WM_MIN;
}

double vg_metrics_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double wall_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- writing ---- */

/* What a metric's writer gets. */
typedef struct mctx {
    const vg_metrics *m;
    const vg_plan *plan;
    vg_dag *dag; /* NULL: no operator figures */
    vg_buf *out;
    const char *name; /* the metric being written */
    int rc;           /* -1 once an append failed */
    vg_op_over_stats *over; /* per node, the OVER operators' figures: walked once a scrape
                               (a walk visits every key), NULL until the first use */
    bool over_failed;       /* ... could not be allocated: no state figures */
} mctx;

static void put(mctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void put(mctx *c, const char *fmt, ...)
{
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof line || vg_buf_append(c->out, line, (size_t)n) < 0)
        c->rc = -1;
}

/* A label value, escaped as the text format wants (\\, \", \n), in buf. */
static const char *label(const char *s, char *buf, size_t cap)
{
    size_t j = 0;
    for (; s && *s && j + 3 < cap; s++) {
        if (*s == '\\' || *s == '"' || *s == '\n') {
            buf[j++] = '\\';
            buf[j++] = *s == '\n' ? 'n' : *s;
        } else {
            buf[j++] = *s;
        }
    }
    buf[j] = 0;
    return buf;
}

static void sample_u64(mctx *c, const char *labels, uint64_t v)
{
    put(c, "%s%s %llu\n", c->name, labels, (unsigned long long)v);
}

static void sample_f(mctx *c, const char *suffix, const char *labels, double v)
{
    put(c, "%s%s%s %.17g\n", c->name, suffix, labels, v);
}

static void histogram(mctx *c, const vg_hist *h)
{
    uint64_t cum = 0;
    for (uint32_t b = 0; b <= VG_HIST_NBOUNDS; b++) {
        cum += h->counts[b];
        if (b < VG_HIST_NBOUNDS)
            put(c, "%s_bucket{le=\"%g\"} %llu\n", c->name, vg_hist_bounds[b],
                (unsigned long long)cum);
        else
            put(c, "%s_bucket{le=\"+Inf\"} %llu\n", c->name, (unsigned long long)cum);
    }
    sample_f(c, "_sum", "", h->sum);
    put(c, "%s_count %llu\n", c->name, (unsigned long long)h->n);
}

/* Per-source counters: events_in or events_dead. */
static void per_source(mctx *c, const uint64_t *counts)
{
    char l[320], esc[256];
    for (uint32_t i = 0; counts && i < c->m->nsources; i++) {
        snprintf(l, sizeof l, "{source=\"%s\"}", label(c->m->source_names[i], esc, sizeof esc));
        sample_u64(c, l, counts[i]);
    }
}

static void w_uptime(mctx *c)
{
    sample_f(c, "", "", (double)(vg_clock_ms() - c->m->started_ms) / 1000.0);
}
static void w_events_in(mctx *c) { per_source(c, c->m->events_in); }
static void w_events_dead(mctx *c) { per_source(c, c->m->events_dead); }
static void w_late(mctx *c) { sample_u64(c, "", c->m->late_rows); }
static void w_partitions(mctx *c) { sample_u64(c, "", c->m->partitions); }

/* A runner's own sink figure: rows, delivered, failed or suppressed. */
typedef enum sink_figure { SINK_ROWS, SINK_DELIVERED, SINK_FAILED, SINK_SUPPRESSED } sink_figure;

static void runner_sinks(mctx *c, sink_figure f)
{
    char l[320], esc[256];
    for (uint32_t i = 0; i < c->m->nsinks; i++) {
        const vg_metrics_sink *s = &c->m->sinks[i];
        const uint64_t v[] = {s->rows, s->delivered, s->failed, s->suppressed};
        if (f != SINK_ROWS && !s->kafka)
            continue;
        snprintf(l, sizeof l, "{sink=\"%s\"}", label(s->name, esc, sizeof esc));
        sample_u64(c, l, v[f]);
    }
}
static void w_sink_delivered(mctx *c) { runner_sinks(c, SINK_DELIVERED); }
static void w_sink_failed(mctx *c) { runner_sinks(c, SINK_FAILED); }
static void w_sink_suppressed(mctx *c) { runner_sinks(c, SINK_SUPPRESSED); }

/* Per-sink counts: rows written (dead = false) or dead-lettered. */
static void per_sink(mctx *c, bool dead)
{
    char l[320], esc[256];
    if (c->m->sinks) {
        if (!dead)
            runner_sinks(c, SINK_ROWS);
        return;
    }
    for (uint32_t i = 0; c->dag && i < vg_dag_nchannels(c->dag); i++) {
        const vg_channel *ch = vg_dag_channel(c->dag, i);
        snprintf(l, sizeof l, "{sink=\"%s\"}", label(ch->name, esc, sizeof esc));
        sample_u64(c, l, !dead ? ch->rows : c->m->sink_dead ? c->m->sink_dead[i] : 0);
    }
}
static void w_sink_rows(mctx *c) { per_sink(c, false); }
static void w_sink_dead(mctx *c) { per_sink(c, true); }

/* The labels of node n: its id, operator kind and name (or view). */
static const char *node_labels(const vg_plan_node *n, char *l, size_t cap)
{
    char esc[256];
    const vg_op_kind *k = vg_op_kind_for(n->kind);
    const char *name = n->name ? n->name : n->view ? n->view : "";
    snprintf(l, cap, "{node=\"%u\",kind=\"%s\",name=\"%s\"}", n->id, k ? k->name : "match",
             label(name, esc, sizeof esc));
    return l;
}

/* Rows in (which = 0) or out (1) of every operator. */
static void per_op_rows(mctx *c, int which)
{
    char l[400];
    for (uint32_t i = 0; c->dag && i < c->plan->nnodes; i++) {
        const vg_op *op = vg_dag_op(c->dag, i);
        sample_u64(c, node_labels(c->plan->nodes[i], l, sizeof l),
                   which ? op->rows_out : op->rows_in);
    }
}
static void w_op_in(mctx *c) { per_op_rows(c, 0); }
static void w_op_out(mctx *c) { per_op_rows(c, 1); }

/* The OVER operators' figures, walked on the scrape's first use. */
static const vg_op_over_stats *over_stats(mctx *c)
{
    if (c->over || c->over_failed)
        return c->over;
    c->over = vg_calloc(VG_MEM_OTHER, c->plan->nnodes ? c->plan->nnodes : 1, sizeof *c->over);
    c->over_failed = !c->over;
    for (uint32_t i = 0; c->over && i < c->plan->nnodes; i++) {
        const vg_op *op = vg_dag_op(c->dag, i);
        if (op->kind == &vg_op_over_kind)
            vg_op_over_stats_get(op, &c->over[i]);
    }
    return c->over;
}

/* Keys (which = 0) or bytes (1) of the operators whose kind tells them (OVER). */
static void per_op_state(mctx *c, int which)
{
    char l[400];
    const vg_op_over_stats *st = c->dag ? over_stats(c) : NULL;
    if (c->dag && !st)
        c->rc = -1;
    for (uint32_t i = 0; st && i < c->plan->nnodes; i++) {
        if (vg_dag_op(c->dag, i)->kind != &vg_op_over_kind)
            continue;
        const vg_op_over_stats *s = &st[i];
        sample_u64(c, node_labels(c->plan->nodes[i], l, sizeof l),
                   which ? (uint64_t)(s->key_bytes + s->row_bytes) : s->partitions);
    }
}
static void w_state_keys(mctx *c) { per_op_state(c, 0); }
static void w_state_bytes(mctx *c) { per_op_state(c, 1); }

static void w_memory(mctx *c)
{
    static const char *const tags[VG_MEM_NTAGS] = {"sql", "expr", "state", "io", "udf", "other"};
    char l[64];
    for (int t = 0; t < VG_MEM_NTAGS; t++) {
        snprintf(l, sizeof l, "{subsystem=\"%s\"}", tags[t]);
        sample_u64(c, l, vg_mem_in_use((vg_mem_tag)t));
    }
}

static void w_watermark(mctx *c)
{
    if (c->m->watermark == VG_WM_MAX) /* the end of the input: every window has fired */
        put(c, "%s +Inf\n", c->name);
    else if (c->m->watermark != VG_WM_MIN)
        sample_f(c, "", "", (double)c->m->watermark / 1000.0);
}

static void w_lag(mctx *c)
{
    if (c->m->watermark != VG_WM_MIN && c->m->watermark != VG_WM_MAX)
        sample_f(c, "", "", wall_seconds() - (double)c->m->watermark / 1000.0);
}

static void w_batches(mctx *c) { sample_u64(c, "", c->m->batches); }
static void w_batch_hist(mctx *c) { histogram(c, &c->m->batch_seconds); }
static void w_checkpoints(mctx *c) { sample_u64(c, "", c->m->checkpoints); }
static void w_checkpoint_fail(mctx *c) { sample_u64(c, "", c->m->checkpoint_failures); }
static void w_epoch(mctx *c) { sample_u64(c, "", (uint64_t)c->m->epoch); }
static void w_recovered(mctx *c) { sample_u64(c, "", c->m->recovered_turns); }
static void w_restarts(mctx *c) { sample_u64(c, "", c->m->restarts); }
static void w_control(mctx *c) { sample_u64(c, "", c->m->control_commands); }
static void w_control_errors(mctx *c) { sample_u64(c, "", c->m->control_errors); }

static void w_checkpoint_age(mctx *c)
{
    double age = c->m->checkpoint_at_ms ? wall_seconds() - (double)c->m->checkpoint_at_ms / 1e3 : 0;
    sample_f(c, "", "", age);
}

static void w_checkpoint_secs(mctx *c) { sample_f(c, "", "", c->m->checkpoint_seconds); }
static void w_reloads(mctx *c) { sample_u64(c, "", c->m->reloads); }
static void w_reload_fail(mctx *c) { sample_u64(c, "", c->m->reload_failures); }
static void w_requests(mctx *c) { sample_u64(c, "", c->m->requests); }
static void w_queries(mctx *c) { sample_u64(c, "", c->m->queries); }
static void w_query_errors(mctx *c) { sample_u64(c, "", c->m->query_errors); }
static void w_pause_hist(mctx *c) { histogram(c, &c->m->pause_seconds); }

/* One metric: its name, type and help line, and its samples' writer. */
typedef struct metric {
    const char *name;
    const char *type; /* counter, gauge or histogram */
    const char *help;
    void (*write)(mctx *c);
} metric;

static const metric metrics[] = {
    {"vigil_uptime_seconds", "gauge", "Seconds since the runner started.", w_uptime},
    {"vigil_source_events_total", "counter", "Events read, per source stream.", w_events_in},
    {"vigil_source_dead_letters_total", "counter",
     "Events of a source written to the dead-letter sink (malformed, too long, no event time).",
     w_events_dead},
    {"vigil_late_rows_total", "counter",
     "Rows operators found too late for their windows (dead-lettered).", w_late},
    {"vigil_source_partitions", "gauge", "Source partitions seen (largest number + 1).",
     w_partitions},
    {"vigil_sink_rows_total", "counter", "Rows written, per sink.", w_sink_rows},
    {"vigil_sink_dead_letters_total", "counter",
     "Rows a sink could not deliver, written to the dead-letter sink (Kafka sinks).", w_sink_dead},
    {"vigil_sink_delivered_total", "counter",
     "Rows a Kafka sink's broker acknowledged (vigil run).", w_sink_delivered},
    {"vigil_sink_failed_total", "counter", "Rows a Kafka sink gave up on (vigil run).",
     w_sink_failed},
    {"vigil_sink_suppressed_total", "counter",
     "Rows recomputed after a restart that the sink's topic already held, not sent again.",
     w_sink_suppressed},
    {"vigil_operator_rows_in_total", "counter", "Rows pushed into each operator.", w_op_in},
    {"vigil_operator_rows_out_total", "counter", "Rows each operator emitted.", w_op_out},
    {"vigil_operator_state_keys", "gauge", "Keys held in state, per operator (OVER).",
     w_state_keys},
    {"vigil_operator_state_bytes", "gauge", "Bytes of state, per operator (OVER).", w_state_bytes},
    {"vigil_memory_bytes", "gauge", "Bytes allocated, per subsystem (state: all operator state).",
     w_memory},
    {"vigil_watermark_seconds", "gauge", "The combined watermark, event time in epoch seconds.",
     w_watermark},
    {"vigil_watermark_lag_seconds", "gauge", "Wall-clock time less the watermark.", w_lag},
    {"vigil_batches_total", "counter", "Batches run.", w_batches},
    {"vigil_batch_seconds", "histogram", "Wall time of each batch (read, push, drain).",
     w_batch_hist},
    {"vigil_checkpoints_total", "counter", "Checkpoints written (vigil run with a store).",
     w_checkpoints},
    {"vigil_checkpoint_failures_total", "counter",
     "Checkpoints that failed; the previous one stood and the next interval tried again.",
     w_checkpoint_fail},
    {"vigil_checkpoint_epoch", "gauge", "The newest checkpoint's epoch (0: none).", w_epoch},
    {"vigil_recovered_turns_total", "counter",
     "Logged turns re-run after a restart, from the checkpoint restored.", w_recovered},
    {"vigil_restarts_total", "counter",
     "Times vigil run restarted from its checkpoint after a failure (a Kafka client's).",
     w_restarts},
    {"vigil_checkpoint_age_seconds", "gauge", "Seconds since the last checkpoint (0: none).",
     w_checkpoint_age},
    {"vigil_checkpoint_duration_seconds", "gauge", "How long the last checkpoint took.",
     w_checkpoint_secs},
    {"vigil_reloads_total", "counter", "Reloads applied (the SQL changed without a restart).",
     w_reloads},
    {"vigil_reload_failures_total", "counter",
     "Reloads refused: the new plan did not compile, or dropped state unconfirmed.",
     w_reload_fail},
    {"vigil_control_commands_total", "counter", "Commands read from the control topic.",
     w_control},
    {"vigil_control_errors_total", "counter",
     "Control commands that were malformed or refused (their reply says why).",
     w_control_errors},
    {"vigil_admin_requests_total", "counter", "Admin API requests answered.", w_requests},
    {"vigil_admin_queries_total", "counter", "Live queries run (POST /query).", w_queries},
    {"vigil_admin_query_errors_total", "counter", "Live queries refused or failed.",
     w_query_errors},
    {"vigil_admin_pause_seconds", "histogram",
     "How long the pipeline paused between batches to serve admin requests.", w_pause_hist},
};

int vg_metrics_write(const vg_metrics *m, const vg_plan *plan, vg_dag *dag, vg_buf *out)
{
    mctx c = {m, plan, dag, out, NULL, 0, NULL, false};
    size_t mark = out->len;
    for (size_t i = 0; i < sizeof metrics / sizeof metrics[0] && !c.rc; i++) {
        c.name = metrics[i].name;
        put(&c, "# HELP %s %s\n# TYPE %s %s\n", c.name, metrics[i].help, c.name, metrics[i].type);
        metrics[i].write(&c);
    }
    vg_free(c.over);
    if (c.rc)
        out->len = mark;
    return c.rc;
}
