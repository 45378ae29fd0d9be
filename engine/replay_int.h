/*
 * replay_int.h — what the files of the replay runner share; not public.
 *
 *   replay.c         the loop: logs, batches, watermarks, sinks, restarts, the admin API
 *   replay_reload.c  reloads: scheduled (--reload-at) and asked for (POST /reload)
 */
#ifndef VG_REPLAY_INT_H
#define VG_REPLAY_INT_H

#include "engine/buf.h"
#include "engine/config.h"
#include "engine/dag.h"
#include "engine/json_in.h"
#include "engine/lines.h"
#include "engine/pipeline.h"
#include "engine/registry.h"
#include "engine/reload.h"
#include "engine/replay.h"

/* Lines are read and decoded CHUNK at a time, and their rows pushed as one
 * batch (vg_dag_push_batch), so that operators can work across rows. */
#define CHUNK 64

/* One line of a chunk: where its copy is in stream_in.text. */
typedef struct chunk_line {
    size_t off, len;
    uint64_t lineno;
    bool too_long;
} chunk_line;

/* One stream being read. */
typedef struct stream_in {
    const vg_plan_node *node; /* the source node, of the plan that runs */
    uint32_t src;             /* its index among that plan's sources (vg_dag_source) */
    vg_lines *lines;          /* open log */
    vg_decoder *dec;          /* schema-driven decoder */
    vg_value *row;            /* decoded rows not yet pushed: CHUNK of node->schema.ncols values */
    int32_t parts[CHUNK];     /* their source partitions */
    uint32_t nrows;           /* how many */
    vg_buf text;              /* the chunk's lines, copied (a line the reader returns lasts
                                 until its next one; decoded strings point into them) */
    chunk_line cl[CHUNK];     /* the chunk's lines */
    bool done;                /* log exhausted */
} stream_in;

/* One output binding. */
typedef struct sink_out {
    char *name;    /* owned: a reloaded plan's sink outlives its plan */
    FILE *f;       /* NULL when mem is used */
    bool owns_f;   /* f was opened here */
    vg_buf *mem;   /* or: appended here (opts' buffer) */
    uint64_t rows; /* rows its channel had encoded when last seen */
} sink_out;

typedef struct replay {
    const vg_plan *plan; /* the plan that runs: the caller's, or a reload's */
    const vg_replay_opts *opts;
    vg_replay_stats *stats;
    vg_dag *dag;
    stream_in *in;       /* one per stream, in the first plan's order (the stats') */
    sink_out *outs;      /* every sink bound so far, in order of first appearance */
    uint32_t nouts;      /* entries in outs */
    uint32_t *chan_out;  /* by channel of the DAG: its entry in outs */
    sink_out dead;       /* the dead-letter output */
    vg_buf dead_buf;     /* encoded dead letters not yet written */
    int64_t started_ms;
    int64_t last_progress_ms;
    vg_registry *registry; /* the models and rulesets: opts->registry, or owned */
    bool owns_registry;
    int32_t max_part;      /* the largest source partition seen (metrics, live queries) */
    vg_pipeline *reloaded; /* the pipeline of the plan that runs after a reload (owned) */
    uint32_t next_reload;  /* opts->reloads[next_reload] is the next one due */
    bool at_boundary;      /* between batches: POST /reload may swap the DAG */
} replay;

/* replay.c */
/* The entry of r->outs of sink `name`, bound now when it has none: to its
 * --output, else to cfg's file binding (a reloaded pipeline's settings; may
 * be NULL), else (a bare SELECT's) to standard output. -1 with err set. */
int64_t replay_out_for(replay *r, const char *name, bool is_stdout, const vg_config *cfg,
                       vg_error *err);
/* chan_out of d's channels, from r->outs (bound already). */
void replay_map_channels(replay *r, vg_dag *d, uint32_t *chan_out);
/* Tell the admin API which DAG runs (NULL: none any more). */
void replay_admin_attach(replay *r, vg_dag *dag);
/* Note each sink's row count from the DAG's channels. */
void replay_note_rows(replay *r);
/* Events read so far, all streams. */
uint64_t replay_events_so_far(const replay *r);

/* replay_reload.c */
/* The reloads scheduled at this point of the input (opts->reloads). */
void replay_scheduled_reloads(replay *r);
/* Count and report the scheduled reloads the input ended before. */
void replay_reloads_not_reached(replay *r);
/* POST /reload (a vg_reload_service; arg: the replay): the pipeline's files again. */
void replay_serve_reload(void *arg, const vg_reload_request *rq, vg_reload_answer *ans);

#endif
