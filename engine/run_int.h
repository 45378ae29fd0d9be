/*
 * run_int.h — what the files of the Kafka runner share; not public.
 *
 *   run.c         the loop: turns, waiting, commits, stopping, metrics
 *   run_source.c  streams: consumers, decoding, partitions, watermarks, offsets
 *   run_sink.c    sinks: producers and files, message keys, dead letters,
 *                 rows already written (recovery)
 *   run_ckpt.c    checkpoints, the turn log, recovery after a restart
 */
#ifndef VG_RUN_INT_H
#define VG_RUN_INT_H

#include "engine/checkpoint.h"
#include "engine/dag.h"
#include "engine/json_in.h"
#include "engine/kafka.h"
#include "engine/registry.h"
#include "engine/run.h"
#include "engine/store.h"

/* Messages are decoded and pushed this many at a time, as one batch. */
#define RUN_CHUNK 64

/* One partition of a stream's topic, as the runner sees it. */
typedef struct run_part {
    int32_t partition;   /* the Kafka partition, also the rows' source partition */
    bool assigned;       /* in the consumer's assignment now */
    bool idle;           /* silent for the idle timeout: holds no watermark back */
    int64_t max_wm;      /* largest WATERMARK value of its rows; VG_WM_MIN: none yet */
    int64_t last_ms;     /* wall clock of its last message, or of its assignment */
    int64_t next_offset; /* the offset after the last message processed; -1: none yet
                            (with checkpoints: where the partition starts, then as above) */
    int64_t committed;   /* the offset last committed; -1: none */
    int64_t end;         /* --exit-at-end with checkpoints: the partition's end offset at
                            the start; -1: not known */
} run_part;

/* One stream and its consumer. */
typedef struct run_source {
    const vg_plan_node *node;     /* the stream's source node */
    const vg_binding *b;          /* its Kafka binding (owned by the config) */
    vg_run_source_metrics *m;     /* its counters (in the run's metrics) */
    vg_kafka_source *ks;          /* the consumer */
    vg_decoder *dec;              /* the stream's JSON decoder */
    vg_value *rows;               /* RUN_CHUNK decoded rows not yet pushed */
    int32_t row_parts[RUN_CHUNK]; /* their source partitions */
    uint32_t nrows;               /* how many */
    vg_kafka_msg msgs[RUN_CHUNK]; /* the messages of the last poll */
    run_part *parts;              /* every partition seen or assigned */
    uint32_t nparts;
    uint32_t capparts;   /* room in parts */
    uint64_t generation; /* the consumer's assignment generation last synced */
    int64_t idle_ms;     /* a partition silent this long is idle */
    bool ever_assigned;  /* the group has assigned partitions at least once */
    bool full;           /* the last turn read a whole batch: more may be waiting */
    bool manual;         /* checkpoints: every partition assigned by the runner, read one
                            by one (vg_kafka_source_poll_partition) */
} run_source;

/* A row a Kafka sink's topic already holds after its checkpoint: what a
 * recomputed row must match to be suppressed. */
typedef struct run_tail_row {
    int64_t seq;   /* its vigil-seq */
    uint64_t hash; /* of its value (FNV-1a) */
} run_tail_row;

/* The rows of one partition of a sink's topic after the checkpoint, in
 * offset order. */
typedef struct run_tail {
    run_tail_row *rows;
    uint32_t n;
    uint32_t cap;  /* room in rows */
    uint32_t next; /* rows[next] is the next one recomputation must give */
} run_tail;

/* One output: a sink of the DAG, or the dead-letter sink. */
typedef struct run_sink {
    const char *name;       /* the sink's name (borrowed) */
    vg_run_sink_metrics *m; /* its counters (in the run's metrics) */
    vg_kafka_sink *ks;      /* a Kafka topic, or */
    FILE *f;                /* a file, standard output or standard error */
    bool owns_f;            /* f was opened here */
    uint32_t nkeys;         /* Kafka: key columns (0: messages have no key) */
    vg_column *keycols;     /* their names (borrowed from the plan) and types */
    vg_schema keyschema;    /* of keycols: what keydec reads (it borrows this) */
    vg_decoder *keydec;     /* reads the key columns back from an encoded row */
    vg_value *keyrow;       /* nkeys values */
    vg_buf key;             /* the key being built */
    const char *path;       /* a file's path (borrowed from the config), else NULL */
    uint64_t seq;           /* Kafka: the vigil-seq of the last row (continued from the
                               checkpoint) */
    run_tail *tails;        /* Kafka, while recovering: per partition, the rows its topic
                               already holds; NULL otherwise */
} run_sink;

/* A running pipeline. */
typedef struct run {
    const vg_plan *plan;
    const vg_config *cfg;
    const vg_run_opts *opts;
    vg_run_metrics *m;
    vg_dag *dag;
    vg_registry *registry; /* opts->registry, or owned */
    bool owns_registry;
    run_source *src;        /* plan->nsources */
    run_sink *out;          /* one per DAG channel */
    run_sink dead;          /* the dead-letter sink */
    vg_buf dead_buf;        /* dead letters not yet written */
    vg_eval_ctx eval;       /* for the WATERMARK expressions */
    vg_error eval_err;      /* ... and what they report */
    size_t max_event;       /* longest message accepted */
    int64_t started_ms;     /* wall clock at the start */
    int64_t last_commit_ms; /* ... at the last commit (or checkpoint, or its attempt) */
    uint64_t events;        /* events read, all streams */
    /* checkpoints (run_ckpt.c), when the config names a store; st NULL otherwise */
    vg_store *st;                /* the store (a connection of the run's own) */
    vg_checkpoints *ckpt;        /* the pipeline's checkpoints in it */
    vg_arena *arena;             /* the loaded checkpoint, a checkpoint's positions */
    const vg_store_ckpt *loaded; /* the checkpoint restored at the start (in arena), or NULL */
    int64_t epoch;               /* of the newest checkpoint */
    int64_t turn_seq;            /* turns logged in this epoch */
    vg_store_turn_run *runs;     /* this turn's input cut so far */
    uint32_t nruns;
    uint32_t capruns;                /* room in runs */
    const vg_store_turn_run *replay; /* recovering: the run being re-read, else NULL */
    uint32_t replay_left;            /* its messages not taken yet */
    bool recovering;                 /* re-running logged turns: rows already written
                                        are not written again */
} run;

/* run_source.c */
/* Find every stream's Kafka binding (an error when one has none). */
int run_sources_bind(run *r, vg_error *err);
/* Create the consumers; with checkpoints, assign each every partition of
 * its topic, from r->loaded's offsets (and watermarks) where it has them. */
int run_sources_open(run *r, vg_error *err);
void run_sources_close(run *r);
/* Read up to the batch size from stream i and push it; sets src[i].full. */
int run_source_turn(run *r, uint32_t i, vg_error *err);
/* Take exactly count messages of stream i's partition, waiting for them
 * (recovery: a logged run). */
int run_source_take(run *r, uint32_t i, int32_t partition, uint32_t count, vg_error *err);
/* Partition `partition` of stream i, or NULL. */
run_part *run_source_part(run *r, uint32_t i, int32_t partition);
/* --exit-at-end: is every partition of every stream at its end? */
bool run_sources_at_end(run *r);
/* The combined watermark at wall time now: the minimum over streams with a
 * WATERMARK of their active partitions' watermarks; VG_WM_MIN while any
 * such stream has had no assignment for less than the idle timeout.
 * *wake_ms is lowered to the time until a partition turns idle. */
int64_t run_watermark(run *r, int64_t now, int64_t *wake_ms);
/* Are there processed offsets not committed yet? */
bool run_offsets_dirty(const run *r);
/* Commit every assigned partition's processed offset (sync: wait). */
int run_commit(run *r, bool sync, vg_error *err);

/* run_sink.c */
int run_sinks_open(run *r, vg_error *err);
void run_sinks_close(run *r);
/* Hand the channels' rows and the dead letters to their sinks. */
int run_sinks_drain(run *r, vg_error *err);
/* Serve delivery reports; *pending is set to the messages not yet reported. */
int run_sinks_serve(run *r, uint64_t *pending, vg_error *err);
/* Each sink's position for a checkpoint (after a flush), text in a:
 * "seq=S ends=E0,E1,..." for a Kafka topic, "bytes=N" for a file, NULL for
 * a standard stream. out has room for every channel and the dead letter. */
int run_sinks_positions(run *r, vg_arena *a, vg_store_sink_pos *out, uint32_t *n, vg_error *err);
/* Recovery is over: every row the topics held was recomputed (else an
 * error naming the sink); forget them. */
int run_sinks_recovered(run *r, vg_error *err);
/* Wait until every message is delivered (at most timeout_ms). */
int run_sinks_flush(run *r, int timeout_ms, vg_error *err);
/* The same, then commit each Kafka sink's transaction (checkpoints). */
int run_sinks_commit(run *r, int timeout_ms, vg_error *err);
/* Dead-letter message msg of stream s with reason. */
int run_dead_letter(run *r, const run_source *s, const vg_kafka_msg *msg, const char *reason,
                    vg_error *err);
/* The Kafka log function the run's clients use (arg: the run). */
void run_kafka_log(void *arg, int level, const char *facility, const char *msg);
/* A warning on the run's log. */
void run_warn(run *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Has a stop been asked for (stop_fd readable)? Leaves it to the loop. */
bool run_stop_asked(run *r);

/* run_ckpt.c */
/* Open the store, restore the newest checkpoint into the DAG (r->loaded),
 * before the sinks and sources open. Nothing without state.store. */
int run_ckpt_open(run *r, vg_error *err);
/* After the sinks and sources opened: write the first checkpoint when the
 * store had none, else re-run the turns logged since the one restored. */
int run_ckpt_start(run *r, vg_error *err);
void run_ckpt_close(run *r);
/* Message offset of stream i's partition was taken (a turn's input cut,
 * or, recovering, a check that it is the one the log says). */
int run_ckpt_note(run *r, uint32_t i, int32_t partition, int64_t offset, vg_error *err);
/* Log the turn (when it pushed something or moved the watermark), before
 * its rows leave: *logged says whether it did. A store that cannot log it
 * is a VG_ERR_RUNTIME error: the rows must not leave. */
int run_ckpt_log_turn(run *r, bool moved, bool *logged, vg_error *err);
/* A checkpoint when the interval has passed (or now, when final: a clean
 * stop, whose failure is an error). A failed checkpoint that may pass is
 * a warning; the previous one stands. */
int run_ckpt_maybe(run *r, int64_t now, bool final, vg_error *err);

#endif
