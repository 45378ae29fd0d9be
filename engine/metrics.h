/*
 * metrics.h — the runner's counters, and their Prometheus text.
 *
 * A runner (replay, `vigil run`) keeps one vg_metrics and updates it on its
 * own thread between batches: it points the per-source counters at its own
 * arrays, adds each batch's wall time to the batch histogram, and sets the
 * watermark. The admin API (engine/admin.h) writes the whole set as
 * Prometheus text (GET /metrics), also on the runner thread, so nothing here
 * is shared between threads. Per-operator figures (rows in and out, state
 * size) are read from the running DAG when the text is written.
 *
 * Checkpoint figures are `vigil run`'s (replay writes none: they read 0);
 * so are the per-sink delivery counts (vg_metrics_sink) and the control
 * topic's. Reload figures are counted by the runners (engine/reload.h).
 */
#ifndef VG_METRICS_H
#define VG_METRICS_H

#include <stdbool.h>
#include <stdint.h>

#include "engine/buf.h"
#include "engine/dag.h"
#include "sql/plan.h"

/* Buckets of a latency histogram: upper bounds in seconds, then +Inf. */
#define VG_HIST_NBOUNDS 14
extern const double vg_hist_bounds[VG_HIST_NBOUNDS];

/* A latency histogram in seconds (Prometheus: _bucket, _sum, _count). */
typedef struct vg_hist {
    uint64_t counts[VG_HIST_NBOUNDS + 1]; /* per bucket, not cumulative; the last is +Inf */
    double sum;                           /* seconds observed */
    uint64_t n;                           /* observations */
} vg_hist;

/* Count one observation of `seconds`. */
void vg_hist_add(vg_hist *h, double seconds);
/* The smallest bucket bound at or above the q-quantile (0 < q <= 1) of what h
 * has seen: an upper estimate; +infinity past the last bound; 0 when empty. */
double vg_hist_quantile(const vg_hist *h, double q);

/* One output of a runner that tracks its sinks itself (`vigil run`): what
 * it wrote and what became of it. */
typedef struct vg_metrics_sink {
    const char *name;    /* the sink, or "dead_letter" */
    bool kafka;          /* bound to a Kafka topic (else a file or a standard stream) */
    uint64_t rows;       /* rows written to the file or handed to the producer */
    uint64_t delivered;  /* Kafka: acknowledged by the broker */
    uint64_t failed;     /* Kafka: given up on */
    uint64_t suppressed; /* Kafka, after a restart: recomputed rows its topic already held */
} vg_metrics_sink;

typedef struct vg_metrics {
    int64_t started_ms;              /* monotonic ms (vg_clock_ms) when the runner started */
    uint32_t nsources;               /* streams */
    const char *const *source_names; /* their names (borrowed, e.g. from the plan) */
    const uint64_t *events_in;       /* events read per stream (borrowed: the runner's counts) */
    const uint64_t *events_dead;     /* of them, dead-lettered (borrowed) */
    const uint64_t *sink_dead; /* per DAG channel (vg_dag_channel order): rows a sink could not
                                  deliver and dead-lettered (Kafka); borrowed; NULL: all 0 */
    uint32_t nsinks;              /* entries in sinks */
    const vg_metrics_sink *sinks; /* every output the runner bound (borrowed): when set, the
                                     sink figures come from here, not from the DAG's channels */
    uint64_t late_rows;        /* rows operators found too late (dead-lettered) */
    uint32_t partitions;       /* source partitions seen: the largest partition number + 1
                                  (at least 1); live queries look keys up in each */
    int64_t watermark;         /* the combined watermark, event-time ms (VG_WM_MIN: none) */
    uint64_t batches;          /* batches run */
    vg_hist batch_seconds;     /* wall time of each batch: read, push, drain */
    /* checkpoints (`vigil run` with a store) */
    uint64_t checkpoints;         /* checkpoints written */
    uint64_t checkpoint_failures; /* checkpoints that failed (the previous one stood) */
    int64_t checkpoint_at_ms;     /* wall-clock epoch ms of the last one; 0: none */
    double checkpoint_seconds;    /* how long the last one took */
    int64_t epoch;                /* the newest checkpoint's epoch; 0: none */
    uint64_t recovered_turns;     /* logged turns re-run after a restart */
    uint64_t restarts;            /* `vigil run` restarted in process after a failure */
    /* the control topic (`vigil run`, pipeline.yaml control) */
    uint64_t control_commands; /* commands read */
    uint64_t control_errors;   /* of them, malformed or refused */
    uint64_t reloads;          /* reloads applied */
    uint64_t reload_failures;  /* reloads refused: the new plan did not compile or swap in,
                                  or it dropped state without confirmation */
    /* the admin API's own */
    uint64_t requests;     /* admin requests answered */
    uint64_t queries;      /* live queries run (POST /query) */
    uint64_t query_errors; /* of them, refused or failed */
    vg_hist pause_seconds; /* how long the pipeline paused between batches to serve
                              admin requests, per pause that served any */
} vg_metrics;

/* Zero m, with started_ms now, one partition and no watermark. */
void vg_metrics_init(vg_metrics *m);
/* Seconds on the monotonic clock, with sub-millisecond resolution (for
 * latencies; event time never comes from here). */
double vg_metrics_now(void);

/* Append the Prometheus text format (version 0.0.4) of m, of plan's
 * operators in dag (rows in and out; state keys and bytes where the
 * operator kind tells them) and of the allocator's counters to out. dag
 * may be NULL (no operator figures). 0, or -1 when out of memory (out
 * keeps what it had). */
int vg_metrics_write(const vg_metrics *m, const vg_plan *plan, vg_dag *dag, vg_buf *out);

#endif
