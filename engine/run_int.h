/*
 * run_int.h — what the files of the Kafka runner share; not public.
 *
 *   run.c         the loop: turns, waiting, commits, stopping, metrics
 *   run_source.c  streams: consumers, decoding, partitions, watermarks, offsets
 *   run_sink.c    sinks: producers and files, message keys, dead letters
 */
#ifndef VG_RUN_INT_H
#define VG_RUN_INT_H

#include "engine/dag.h"
#include "engine/json_in.h"
#include "engine/kafka.h"
#include "engine/registry.h"
#include "engine/run.h"

/* Messages are decoded and pushed this many at a time, as one batch. */
#define RUN_CHUNK 64

/* One partition of a stream's topic, as the runner sees it. */
typedef struct run_part {
    int32_t partition;   /* the Kafka partition, also the rows' source partition */
    bool assigned;       /* in the consumer's assignment now */
    bool idle;           /* silent for the idle timeout: holds no watermark back */
    int64_t max_wm;      /* largest WATERMARK value of its rows; VG_WM_MIN: none yet */
    int64_t last_ms;     /* wall clock of its last message, or of its assignment */
    int64_t next_offset; /* the offset after the last message processed; -1: none yet */
    int64_t committed;   /* the offset last committed; -1: none */
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
} run_source;

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
    int64_t last_commit_ms; /* ... at the last commit */
    uint64_t events;        /* events read, all streams */
} run;

/* run_source.c */
/* Find every stream's Kafka binding (an error when one has none). */
int run_sources_bind(run *r, vg_error *err);
/* Create the consumers. */
int run_sources_open(run *r, vg_error *err);
void run_sources_close(run *r);
/* Read up to the batch size from stream i and push it; sets src[i].full. */
int run_source_turn(run *r, uint32_t i, vg_error *err);
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
/* Wait until every message is delivered (at most timeout_ms). */
int run_sinks_flush(run *r, int timeout_ms, vg_error *err);
/* Dead-letter message msg of stream s with reason. */
int run_dead_letter(run *r, const run_source *s, const vg_kafka_msg *msg, const char *reason,
                    vg_error *err);
/* The Kafka log function the run's clients use (arg: the run). */
void run_kafka_log(void *arg, int level, const char *facility, const char *msg);

#endif
