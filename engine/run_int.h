/*
 * run_int.h — what the files of the Kafka runner share; not public.
 *
 *   run.c         the loop: turns, waiting, commits, stopping, metrics
 *   run_source.c  streams: consumers, decoding, partitions, watermarks, offsets
 *   run_sink.c    sinks: producers and files, message keys, dead letters,
 *                 rows already written (recovery)
 *   run_ckpt.c    the store, the turn log, recovery after a restart (into the
 *                 plan of the newest checkpoint, and the versions it records)
 *   run_ckpt_write.c  checkpoints: cut between turns, written by the writer
 *                 thread (engine/ckpt_writer.c) while the loop goes on
 *   run_reload.c  the control plane: reloads (POST /reload, file edits, the
 *                 control topic, a restart after a change), activations, the
 *                 admin API's hooks
 *   run_watch.c   file edits (inotify)
 *   run_control.c the control topic and its replies
 */
#ifndef VG_RUN_INT_H
#define VG_RUN_INT_H

#include "engine/admin.h"
#include "engine/checkpoint.h"
#include "engine/ckpt_writer.h"
#include "engine/dag.h"
#include "engine/json_in.h"
#include "engine/kafka.h"
#include "engine/pipeline.h"
#include "engine/registry.h"
#include "engine/reload.h"
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
    const vg_plan_node *node;     /* the stream's source node, in the plan that runs */
    const vg_binding *b;          /* its Kafka binding (owned by the caller's config) */
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

/* The key columns of a Kafka sink's messages, as one plan writes them
 * (allocated: keydec borrows keyschema, which must not move). */
typedef struct run_keys {
    uint32_t nkeys;      /* key columns (0: messages have no key) */
    vg_column *keycols;  /* their names (borrowed from the plan) and types */
    vg_schema keyschema; /* of keycols: what keydec reads (it borrows this) */
    vg_decoder *keydec;  /* reads the key columns back from an encoded row */
    vg_value *keyrow;    /* nkeys values */
} run_keys;

/* One output: a sink of a plan that ran, or the dead-letter sink. A sink
 * stays bound when a reload drops it (its position goes on into the
 * checkpoints, should a later plan write it again). */
typedef struct run_sink {
    char *name;             /* the sink's name (owned) */
    vg_run_sink_metrics *m; /* its counters (in the run's metrics) */
    vg_kafka_sink *ks;      /* a Kafka topic, or */
    FILE *f;                /* a file, standard output or standard error */
    bool owns_f;            /* f was opened here */
    run_keys *keys;         /* Kafka: the message keys of the plan that runs; NULL: none */
    vg_buf key;             /* the key being built */
    char *path;             /* a file's path (owned), else NULL */
    uint64_t seq;           /* Kafka: the vigil-seq of the last row (continued from the
                               checkpoint) */
    run_tail *tails;        /* Kafka, while recovering: per partition, the rows its topic
                               already holds; NULL otherwise */
    bool marked;            /* Kafka: the checkpoint being written waits for the delivery
                               of its rows up to mark_seq (run_sinks_cut) */
    uint64_t mark_seq;      /* ... seq at that cut */
} run_sink;

/* A producer shared by the Kafka sinks bound with the same bootstrap
 * servers and properties. */
typedef struct run_producer {
    vg_kafka_producer *p; /* (owned) */
    char *key;            /* its bootstrap servers and properties, as one string (owned) */
} run_producer;

/* What a reload takes from the new plan, made before the swap (which then
 * cannot fail). */
typedef struct run_next {
    vg_dag *dag;              /* the new DAG, state carried */
    uint32_t *chan_out;       /* by its channel: the entry of r->outs */
    run_keys **keys;          /* by entry of r->outs: its keys in the new plan, or NULL */
    uint32_t nkeys;           /* entries in keys (r->nouts when made) */
    const vg_plan_node **src_nodes; /* by the new plan's source index: its node */
    uint32_t *src_from;       /* ... and the index of its stream in r->src now */
    vg_decoder **src_dec;     /* ... its decoder */
    vg_value **src_rows;      /* ... its RUN_CHUNK rows */
    run_source *src_save;     /* room for r->src while it is put in the new order */
    vg_checkpoints *ckpt;     /* checkpoints of the new plan (with a store) */
    vg_store_sql *sql;        /* its SQL files, for them */
} run_next;

/* The control topic (run_control.c). */
typedef struct run_control run_control;

/* File edits (run_watch.c). */
typedef struct run_watch {
    int fd;              /* the inotify descriptor; -1: not watching */
    char **dirs;         /* the folders watched (owned), one watch each */
    int *wds;            /* their watch descriptors */
    uint32_t ndirs;
    char **files;        /* the names of the pipeline's files (owned): pipeline.yaml, its
                            SQL files */
    uint32_t *file_dirs; /* by file: its folder's index in dirs */
    uint32_t nfiles;
    int64_t due_ms;      /* wall clock at which the last edit is quiet enough: reload then;
                            0: no edit pending */
} run_watch;

/* A running pipeline. */
typedef struct run {
    const vg_plan *plan;       /* the plan that runs: the caller's, or the run's own */
    const vg_config *cfg;      /* the caller's settings: streams, store, name, control */
    const vg_config *plan_cfg; /* the settings the plan came with (new sinks bind there) */
    vg_pipeline *pipe;         /* the pipeline of plan when the run compiled it (owned) */
    const vg_run_opts *opts;
    vg_run_metrics *m;
    vg_dag *dag;
    vg_registry *registry; /* opts->registry, or owned */
    bool owns_registry;
    run_source *src;        /* plan->nsources, in its order */
    run_sink *outs;         /* every sink bound so far, in order of first appearance */
    uint32_t nouts;
    uint32_t capouts;       /* room in outs (and the metrics' sinks) */
    uint32_t *chan_out;     /* by channel of the DAG: its entry in outs */
    run_sink dead;          /* the dead-letter sink */
    run_producer *producers; /* the Kafka sinks' producers (run_sink.c) */
    uint32_t nproducers;
    vg_buf dead_buf;        /* dead letters not yet written */
    vg_eval_ctx eval;       /* for the WATERMARK expressions */
    vg_error eval_err;      /* ... and what they report */
    size_t max_event;       /* longest message accepted */
    int64_t started_ms;     /* wall clock at the start */
    bool stop_asked;        /* the loop ended on a stop (stop_fd): never restarted */
    int64_t last_commit_ms; /* ... at the last commit (or checkpoint, or its attempt) */
    uint64_t events;        /* events read, all streams */
    /* checkpoints (run_ckpt.c), when the config names a store; st NULL otherwise */
    vg_store *st;                /* the store (a connection of the run's own) */
    vg_checkpoints *ckpt;        /* the pipeline's checkpoints in it */
    vg_arena *arena;             /* the loaded checkpoint, a checkpoint's positions */
    const vg_store_ckpt *loaded; /* the checkpoint restored at the start (in arena), or NULL */
    int64_t epoch;               /* of the newest checkpoint */
    int64_t log_epoch;           /* the epoch new turns are logged with: the newest
                                    checkpoint's, or that of the one cut after it (being
                                    written, or lost: run_ckpt_write.c) */
    int64_t turn_seq;            /* turns logged with log_epoch */
    bool lost_cut;               /* a checkpoint cut since the newest one failed: turns
                                    before its cut are in no checkpoint */
    vg_store *turns;             /* the turn log: a store file of its own (PATH-turns) */
    vg_ckpt_writer *writer;      /* writes the checkpoints (its own connection) */
    bool ckpt_wait;              /* wait for each checkpoint cut (VIGIL_CKPT_WAIT=1) */
    bool in_turn;                /* inside a turn: admin requests run between its chunks,
                                    those that change the DAG wait for its end */
    vg_arena *cut;               /* the last cut's offsets (and positions), until written */
    vg_store_offset *cut_off;    /* ... its offsets, for the group commit */
    uint32_t ncut_off;
    int64_t cut_flush_us;        /* ... how long its flush took */
    int64_t cut_stall_us;        /* ... how long the loop stopped for it */
    int64_t cut_end_us;          /* ... monotonic time the loop went on after it */
    int64_t cut_first_row_us;    /* ... from then to the first row handed to a sink; -1:
                                    none yet */
    long cut_minflt;             /* ... the loop thread's page faults (minor) at its end */
    long cut_faults;             /* ... and those since, until it was written */
    int64_t turn_log_max_us;     /* the longest turn-log append since the last cut */
    bool held;                   /* ... its Kafka sinks were marked, not flushed: the writer
                                    waits for their rows' delivery (run_ckpt_release) */
    int64_t held_since_ms;       /* ... since when */
    vg_store_sink_pos *rel;      /* ... room for the marked sinks' final positions (in cut) */
    vg_store_turn_run *runs;     /* this turn's input cut so far */
    uint32_t nruns;
    uint32_t capruns;                /* room in runs */
    const vg_store_turn_run *replay; /* recovering: the run being re-read, else NULL */
    uint32_t replay_left;            /* its messages not taken yet */
    bool recovering;                 /* re-running logged turns: rows already written
                                        are not written again */
    bool started;                    /* recovered (or nothing to recover): live */
    vg_store_sql *sql;               /* the plan's SQL files, for its checkpoints */
    bool reload_at_start;            /* plan is the newest checkpoint's, not the files':
                                        reload once it is recovered */
    vg_store_version *start_versions; /* the versions loaded at the start, when the
                                         checkpoint's differ (in arena): active again once
                                         its turns are recovered */
    uint32_t nstart_versions;
    /* the control plane (run_reload.c, run_watch.c, run_control.c) */
    vg_admin *admin;       /* opts->admin, or own_admin, or NULL */
    vg_admin *own_admin;   /* made for the control topic when opts gives none */
    vg_metrics *am;        /* what the admin API shows (opts->admin_metrics, or own_am) */
    vg_metrics own_am;
    uint64_t *am_counts;   /* events in, then events dead, per stream: what am borrows */
    const char **am_names; /* the streams' names, for am */
    run_watch watch;
    run_control *control;
    vg_error fatal;        /* a change applied whose checkpoint could not be written: the
                              run stops with this error (a restart recovers) */
    const char *why;       /* what asks for the reload being served ("from the control
                              topic"); NULL: POST /reload */
} run;

/* Has a change failed so that the run must stop (r->fatal)? */
static inline bool run_failed(const run *r) { return vg_error_is_set(&r->fatal); }

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

/* The streams of plan p, matched by name with r->src (p reads the same
 * streams): nx's src_* (run_next_free frees them). */
int run_sources_next(run *r, const vg_plan *p, run_next *nx, vg_error *err);
/* r->src in p's order with nx's nodes and decoders (cannot fail). */
void run_sources_swap(run *r, const vg_plan *p, run_next *nx);

/* run_sink.c */
int run_sinks_open(run *r, vg_error *err);
/* Bind every sink of plan p that has no entry yet, as cfg binds it (a bare
 * SELECT's: standard output), and make nx's chan_out and keys for p. */
int run_sinks_next(run *r, const vg_plan *p, const vg_config *cfg, run_next *nx,
                   vg_error *err);
/* Take nx's channel map and keys (cannot fail). */
void run_sinks_swap(run *r, run_next *nx);
/* Free k; NULL does nothing. */
void run_keys_free(run_keys *k);
void run_sinks_close(run *r);
/* Hand the channels' rows and the dead letters to their sinks. */
int run_sinks_drain(run *r, vg_error *err);
/* Serve delivery reports; *pending is set to the messages not yet reported. */
int run_sinks_serve(run *r, uint64_t *pending, vg_error *err);
/* Each sink's position for a checkpoint (after a flush), text in a:
 * "seq=S ends=E0,E1,..." for a Kafka topic, "bytes=N" for a file, NULL for
 * a standard stream. out has room for every sink bound and the dead letter. */
int run_sinks_positions(run *r, vg_arena *a, vg_store_sink_pos *out, uint32_t *n, vg_error *err);
/* Recovery is over: every row the topics held was recomputed (else an
 * error naming the sink); forget them. */
int run_sinks_recovered(run *r, vg_error *err);
/* Wait until every message is delivered (at most timeout_ms). */
int run_sinks_flush(run *r, int timeout_ms, vg_error *err);
/* The sinks' part of a checkpoint's cut: with mark, a Kafka sink that is
 * not transactional is only marked (vg_kafka_sink_mark: *marked set when
 * one is); the others are flushed and their transactions committed (at
 * most timeout_ms). */
int run_sinks_cut(run *r, bool mark, int timeout_ms, bool *marked, vg_error *err);
/* The marked sinks' positions once every row of the cut is delivered: 1
 * with out[0..*n) filled (text in a), 0 while some are not, -1 with err
 * set when one failed. */
int run_sinks_marked(run *r, vg_arena *a, vg_store_sink_pos *out, uint32_t *n, vg_error *err);
/* Forget the marks. */
void run_sinks_unmark(run *r);
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
/* A checkpoint when the interval has passed: cut now, written by the
 * writer while the loop goes on; its outcome is collected by a later call.
 * When final (a clean stop): the one in flight collected, then one more
 * written and waited for, whose failure is an error. A failed checkpoint
 * that may pass is a warning; the previous one stands. (run_ckpt_write.c) */
int run_ckpt_maybe(run *r, int64_t now, bool final, vg_error *err);
/* A checkpoint now, waited for (the one in flight first). -1 with err set
 * when it fails (nothing changes then). */
int run_ckpt_now(run *r, bool final, vg_error *err);
/* Wait for the checkpoint in flight, if any, and take its outcome (a
 * failure that may pass is a warning). */
int run_ckpt_settle(run *r, vg_error *err);
/* Before the store opens anything: with a store whose newest checkpoint was
 * written by another plan than r->plan, compile the SQL stored with it
 * (r->pipe, r->plan, r->plan_cfg; r->reload_at_start), so that it is
 * restored into its own plan and reloaded after. */
int run_ckpt_pick_plan(run *r, vg_error *err);
/* A checkpoint now, of what ran, when turns were logged since the last one
 * (before a reload or an activation: every epoch has one plan and one set of
 * versions). Failure is an error (the change is refused). */
int run_ckpt_before_change(run *r, vg_error *err);
/* A checkpoint now, of what runs after a change, turns logged or not. */
int run_ckpt_after_change(run *r, vg_error *err);
/* nx's checkpoints of plan p (settings cfg) and its SQL. */
int run_ckpt_next(run *r, const vg_plan *p, const vg_config *cfg, run_next *nx, vg_error *err);
/* Take nx's checkpoints (cannot fail). */
void run_ckpt_swap(run *r, run_next *nx);
/* r->sql: the SQL files of cfg (borrowed texts), in *out; -1 when out of memory. */
int run_ckpt_sql_of(const vg_config *cfg, vg_store_sql **out, vg_error *err);

/* run_reload.c */
/* The reload service (engine/reload.h): compile the pipeline's files, and
 * swap the plan in unless rq says otherwise; arg is the run. */
void run_serve_reload(void *arg, const vg_reload_request *rq, vg_reload_answer *ans);
/* A reload that happens for `why` (a file edit, the start), its outcome on
 * the log. 0, or -1 when the run must stop (r->fatal). */
int run_reload(run *r, const char *why, const vg_reload_request *rq, vg_reload_answer *ans);
/* After recovery into the newest checkpoint's plan: reload to the files'
 * (the state plan on the log). -1 with err set when it cannot be. */
int run_reload_start(run *r, vg_error *err);
/* The admin API's changer: a checkpoint before and after a change. */
int run_change(void *arg, bool after, vg_error *err);
/* Hook the admin API to the run (reloads, changes, checkpoints, the DAG). */
void run_admin_attach(run *r);
/* What the admin API's /metrics shows, from the run's counters (run.c): at
 * every turn's end, and after a swap (the sinks' counters may have moved). */
void run_admin_sync(run *r);
void run_next_free(run_next *nx);

/* run_watch.c */
/* Watch pipeline.yaml and the SQL files of r->plan_cfg (again after a reload). */
int run_watch_open(run *r, vg_error *err);
void run_watch_close(run *r);
/* Read the descriptor's events; whether an edit is due for a reload now,
 * and *wake_ms lowered to the time until one will be. */
bool run_watch_due(run *r, int64_t now, int64_t *wake_ms);

/* run_control.c */
int run_control_open(run *r, vg_error *err);
void run_control_close(run *r);
/* The consumer's wake-up descriptor, or -1. */
int run_control_fd(const run *r);
/* Take every command waiting and answer it. -1 with err set on a fatal
 * consumer error. */
int run_control_serve(run *r, vg_error *err);

#endif
