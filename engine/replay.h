/*
 * replay.h — running a plan over recorded event logs, deterministically.
 *
 * Each stream reads its log in batches of lines, taking turns in
 * declaration order; a malformed event goes to the dead-letter output with
 * its source, line number and reason; after every batch the watermark
 * advances to the minimum over the streams, and the sinks' encoded rows are
 * written. At the end of every log the watermark goes to +infinity, so
 * every window fires. The same inputs always give the same outputs, byte for
 * byte.
 *
 * A replay can reload its SQL (engine/reload.h) at exact points of its
 * input (vg_replay_opts.reloads: the batch ends after exactly that many
 * events, and the new plan runs from the next one), and when it serves the
 * admin API, on POST /reload between batches.
 */
#ifndef VG_REPLAY_H
#define VG_REPLAY_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "engine/buf.h"
#include "engine/error.h"
#include "sql/plan.h"

/* Where one stream's events come from. */
typedef struct vg_replay_input {
    const char *stream; /* stream name (borrowed) */
    const char *path;   /* event log; "-" is standard input (borrowed) */
} vg_replay_input;

/* Where one sink's rows go: exactly one of path and mem. */
typedef struct vg_replay_output {
    const char *sink; /* sink name, "stdout" or "dead_letter" (borrowed) */
    const char *path; /* file ("-" is standard output), created with its folders */
    vg_buf *mem;      /* or: appended to this buffer (borrowed) */
} vg_replay_output;

/* A reload at an exact point of the input (replay --reload-at N=FILE). */
typedef struct vg_replay_reload {
    uint64_t at;      /* after this many events (> 0) have been read and pushed */
    const char *path; /* the new pipeline: a .sql file, a pipeline.yaml or a folder (borrowed) */
} vg_replay_reload;

typedef struct vg_replay_opts {
    uint32_t ninputs;
    const vg_replay_input *inputs;
    uint32_t noutputs;
    const vg_replay_output *outputs;
    size_t max_event_bytes; /* longer lines are dead-lettered; 0 = 1 MiB */
    uint32_t batch_size;    /* lines per stream per turn; 0 = 1024 */
    FILE *progress;         /* when not NULL, progress lines go here (a terminal) */
    uint64_t restart_at;    /* testing aid: after the batch in which this many events
                               have been read, snapshot the DAG, close it, open a new
                               one, restore and go on (0 = never); the output must
                               not change */
    struct vg_registry *registry; /* the models and rulesets (engine/registry.h), borrowed;
                                     NULL: replay loads the plan's own */
    const char *store_path; /* the metadata store replay's own registry records model and
                               rules versions in (state.store); NULL: one in memory */
    /* Called between batches (every stream has had its turn, the watermark has moved
     * and the outputs are written), with the registry and the events read so far:
     * where a new model or ruleset version is activated. -1 (err set) stops the run. */
    int (*between)(void *arg, struct vg_registry *registry, uint64_t events_read,
                   vg_error *err);
    void *between_arg;
    struct vg_metrics *metrics; /* counters kept up to date between batches (engine/metrics.h):
                                   per-stream events point at the stats' arrays; borrowed;
                                   NULL: none */
    struct vg_admin *admin;     /* the admin API (engine/admin.h): told of the DAG, and served
                                   after each chunk of rows a batch pushes (64 events) and
                                   between batches; borrowed; NULL: none */
    volatile sig_atomic_t *hold; /* with admin: at the end of the input, before the last
                                    watermark (+infinity), keep serving admin requests until
                                    *hold is set (replay --hold; a signal handler sets it),
                                    then finish; NULL: finish at once */
    uint32_t nreloads;               /* reloads at exact points of the input */
    const vg_replay_reload *reloads; /* in order of `at` (those of one `at` in turn). A sink
                                        of a new plan writes to its --output, else to its
                                        pipeline.yaml's file, else (stdout) to standard
                                        output; a reload that fails changes nothing */
    const char *pipeline_path;       /* with admin: what POST /reload compiles again (the
                                        PIPELINE); NULL: POST /reload answers 501 */
    FILE *log;                       /* each reload's state plan, or its error; NULL: none */
} vg_replay_opts;

/* Counts for the summary; arrays are owned by the stats. */
typedef struct vg_replay_stats {
    uint32_t nstreams;
    const char **stream_names; /* borrowed from the plan */
    uint64_t *events_read;     /* lines read, per stream */
    uint64_t *events_dead;     /* dead-lettered, per stream */
    uint32_t nsinks;
    const char **sink_names;
    uint64_t *rows_written;    /* per sink */
    uint64_t late_rows;        /* rows operators found too late (dead-lettered) */
    double seconds;            /* wall time of the run */
    uint32_t reloads;          /* reloads applied (scheduled and POST /reload) */
    uint32_t reload_failures;  /* scheduled reloads that failed (the run went on with the
                                  plan it had), or were never reached */
} vg_replay_stats;

/* Run plan to the end of its inputs. 0, or -1 with err set (a usage error
 * when a stream has no input or a sink no output, an I/O error, out of
 * memory). stats is filled in either case; free it with vg_replay_stats_free
 * (it owns its arrays and the sinks' names: a sink of a reloaded plan
 * outlives the plan). */
int vg_replay_run(const vg_plan *plan, const vg_replay_opts *opts, vg_replay_stats *stats,
                  vg_error *err);
void vg_replay_stats_free(vg_replay_stats *stats);
/* Write the end-of-run summary ("read 5000 events from payments, 3 dead-lettered; ..."). */
void vg_replay_stats_print(const vg_replay_stats *stats, FILE *out);

#endif
