/*
 * run.h — `vigil run`: a pipeline over Kafka, until it is stopped.
 *
 * Every stream reads a Kafka topic (one consumer per stream, in the
 * stream's consumer group); every sink writes a Kafka topic, a JSON-lines
 * file (appended to) or standard output; malformed and oversized messages
 * and late rows go to the dead-letter sink (a topic, a file, or standard
 * error), counted. The loop takes a batch from each stream in turn, pushes
 * it through the DAG, advances the watermark, hands the sinks' rows to
 * their producers, and commits the consumed offsets once everything the
 * batch produced is delivered: at-least-once.
 *
 * With a store (state.store), exactly-once instead: every partition is
 * read from the offsets of the newest checkpoint; each turn's input cut is
 * logged before its rows leave; at the checkpoint interval the sinks are
 * flushed and the state, offsets and sink positions written in one
 * transaction; a restart recomputes the logged turns and writes only the
 * rows the sinks do not hold yet (docs/kafka.md, "Checkpoints and
 * exactly-once").
 *
 * The control plane (docs/reload.md, docs/operations.md): with an admin API
 * (opts.admin) the loop serves its requests between turns, waking from its
 * idle sleep when one comes; with the pipeline's path (opts.pipeline_path)
 * POST /reload, an edit of a pipeline file (opts.watch) and the control
 * topic (pipeline.yaml `control`) swap a new plan in between turns, and
 * POST /models, POST /rules and the control topic activate model and
 * ruleset versions. With a store, each of them writes a checkpoint of what
 * ran before and one of what runs after, with no turn between, so that
 * every epoch of the turn log has one plan and one set of versions; a
 * restart whose files hold another plan than the newest checkpoint's
 * compiles the SQL stored with it, recovers into it, and reloads.
 *
 * Restarts (opts.max_restarts): with a store, a failure a restart can cure
 * — a Kafka client's (a fatal producer or consumer error, a transaction
 * that failed or was aborted, deliveries that failed or timed out, a broker
 * out of reach) — closes everything and runs again from the newest
 * checkpoint, in process, exactly as a new process would (the admin API,
 * the caller's, stays up), after a wait of 0.5 s doubling to 10 s; at most
 * max_restarts in a row (the count starts again once a restarted run has
 * written a checkpoint). Any other failure, a producer fenced by another
 * instance, or a run without a store stops the run as before.
 *
 * Event time: a watermark per source partition (the largest WATERMARK
 * value of its messages), the stream's being the smallest over its active
 * partitions. A partition that has sent nothing for the idle timeout is
 * idle and holds nothing back, until it sends again.
 */
#ifndef VG_RUN_H
#define VG_RUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "engine/alloc.h"
#include "engine/config.h"
#include "engine/error.h"
#include "engine/metrics.h"
#include "sql/plan.h"

struct vg_admin;

typedef struct vg_run_opts {
    size_t max_event_bytes;       /* longer messages are dead-lettered; 0 = 1 MiB */
    uint32_t batch_size;          /* messages per stream per turn; 0 = 1024 */
    int64_t idle_timeout_ms;      /* a source partition silent this long is idle; 0 = 5 s */
    int64_t commit_interval_ms;   /* longest time between offset commits; 0 = 1 s */
    struct vg_registry *registry; /* the models and rulesets, borrowed; NULL: the run loads
                                     the plan's own */
    const char *store_path;       /* the metadata store of a registry of its own (NULL: one
                                     in memory) */
    int stop_fd;                  /* stop cleanly when this becomes readable (a signalfd from
                                     vg_run_stop_fd); -1: only max_events stops */
    uint64_t max_events;          /* stop cleanly once this many events are read (0: never);
                                     for tests and benchmarks */
    FILE *log;                    /* warnings and Kafka client log lines; NULL: none */
    int log_level;                /* librdkafka lines this severe or more (syslog levels:
                                     3 errors, 4 warnings, 6 assignments); 0 = 4 */
    bool exit_at_end;             /* stop cleanly once every partition of every stream is
                                     at its end (with checkpoints: its end at the start),
                                     reading the partitions in step so that a run over
                                     input already written is reproducible */
    bool sync_full;               /* turn-log commits sync as checkpoints do (FULL), so a
                                     power cut loses no turn; else NORMAL */
    struct vg_admin *admin;       /* the admin API to serve between turns (borrowed; started
                                     with the plan given to vg_run), or NULL */
    vg_metrics *admin_metrics;    /* what its /metrics shows, kept up to date (borrowed;
                                     vg_metrics_init'ed by the caller); NULL: none */
    const char *pipeline_path;    /* the pipeline as given on the command line: what reloads
                                     and a restart after a change compile; NULL: no reloads */
    bool watch;                   /* reload when a file of the pipeline is edited (inotify on
                                     pipeline.yaml and its SQL files) */
    uint32_t max_restarts;        /* with a store: restarts in a row after failures a restart
                                     can cure, each announced on log; 0: none (a failure ends
                                     the run) */
} vg_run_opts;

/* One stream's counters. */
typedef struct vg_run_source_metrics {
    const char *name;         /* the stream (in the metrics' arena) */
    const char *topic;        /* its topic (borrowed from the config) */
    uint64_t events_read;     /* messages taken from the topic */
    uint64_t events_dead;     /* of them, dead-lettered */
    uint64_t bytes_read;      /* their payload bytes */
    uint32_t partitions;      /* partitions assigned now */
    uint32_t idle_partitions; /* of them, idle now */
    int64_t watermark;        /* min over the active partitions; VG_WM_MIN: none yet */
} vg_run_source_metrics;

/* One sink's counters (a sink of any plan that ran, or the dead-letter sink). */
typedef vg_metrics_sink vg_run_sink_metrics;

/* What a running pipeline has done: the runner updates it in place between
 * batches. Arrays and names owned by the metrics (they outlive the run). */
typedef struct vg_run_metrics {
    uint32_t nsources;
    vg_run_source_metrics *sources; /* in the first plan's order */
    uint32_t nsinks;
    vg_run_sink_metrics *sinks; /* every sink of every plan that ran, in order of first
                                   appearance, then dead_letter */
    uint64_t late_rows;         /* rows operators found too late (dead-lettered) */
    uint64_t batches;           /* turns of the loop that read something */
    uint64_t commits;           /* offset commits */
    uint64_t checkpoints;       /* checkpoints written (the first one included) */
    uint64_t checkpoint_failures; /* checkpoints that failed and were tried again later */
    int64_t checkpoint_at_ms;   /* when the newest was written: epoch ms; 0: none */
    double checkpoint_seconds;  /* how long writing it took */
    int64_t epoch;              /* the newest checkpoint's epoch; 0: none */
    int64_t restored_epoch;     /* the epoch restored at the start; 0: none */
    uint32_t recovered_turns;   /* logged turns re-run after the restart */
    int64_t watermark;          /* the DAG's event time; VG_WM_MIN: not moved yet */
    double seconds;             /* wall time so far */
    uint32_t reloads;           /* plans swapped in (the one at the start after a change
                                   included) */
    uint32_t reload_failures;   /* reloads refused: SQL that does not compile, state dropped
                                   without confirmation, a swap that failed */
    uint32_t activations;       /* model and ruleset versions activated */
    uint64_t control_commands;  /* commands read from the control topic */
    uint64_t control_errors;    /* of them, malformed or refused */
    uint32_t restarts;          /* restarts after a failure (opts.max_restarts); the other
                                   counters are the last run's, since its restart */
    vg_arena *names;            /* the sources' and sinks' names */
} vg_run_metrics;

/* Block SIGINT and SIGTERM in the calling thread (call it before any other
 * thread starts: librdkafka's threads inherit the mask) and return a
 * descriptor that becomes readable when one arrives (signalfd), for
 * opts.stop_fd. -1 with err set. */
int vg_run_stop_fd(vg_error *err);

/* Run plan with cfg's bindings until stopped. 0 after a clean stop (every
 * row delivered, offsets committed, and with a store a last checkpoint
 * written), or -1 with err set: VG_ERR_USAGE / VG_ERR_CONFIG when a stream
 * is not bound to a Kafka topic or a sink has no binding (positioned in
 * pipeline.yaml when the binding is there), a property librdkafka refuses,
 * a checkpoint of another pipeline or plan (checkpoint.h); VG_ERR_IO for a
 * failed delivery, a fatal Kafka error (with restarts: the last one, once
 * max_restarts in a row did not cure it, or when a stop came while waiting
 * to restart), a producer fenced by another instance ("another instance of
 * pipeline 'x' is running ...": never restarted) or a store that cannot be
 * written (never restarted either); VG_ERR_RUNTIME when a turn cannot be
 * logged (its rows are not written) or a restart cannot recompute what the
 * sinks hold; VG_ERR_NOMEM. metrics is filled in either case (the last
 * run's); free it with vg_run_metrics_free. */
int vg_run(const vg_plan *plan, const vg_config *cfg, const vg_run_opts *opts,
           vg_run_metrics *metrics, vg_error *err);
void vg_run_metrics_free(vg_run_metrics *m);
/* The end-of-run summary, as replay's ("vigil: payments: read 5000 events, 3
 * dead-lettered", "vigil: decisions: wrote 4997 rows, 4997 delivered"). */
void vg_run_metrics_print(const vg_run_metrics *m, FILE *out);

#endif
