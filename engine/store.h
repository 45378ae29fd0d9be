/*
 * store.h — the metadata store: one SQLite database per pipeline.
 *
 * It holds what changes while a pipeline runs and must be remembered: the
 * model registry (every loaded model version, its hash and schemas, which
 * version is active) and the rulesets (every version of every ruleset, each
 * a snapshot of all its rules). The Kafka and checkpoint issue adds its
 * tables here too, so the schema is versioned: a meta(key, value) table
 * holds schema_version, and opening a store creates or migrates it.
 *
 * Schema version 2 adds the checkpoint tables (engine/checkpoint.h says
 * what a checkpoint is; the functions at the end of this header read and
 * write them as plain records):
 *
 *   checkpoints(id, pipeline, epoch, plan_fp, created_at, bytes, late_rows)
 *       one row per checkpoint; id grows with every checkpoint written;
 *       (pipeline, epoch) is unique
 *   checkpoint_ops(checkpoint_id, node_fp, seq, kind, name, wm, state)
 *       one row per stateful operator: its plan node's fingerprint (16 hex
 *       digits, sql/fingerprint.h), seq 0, 1, ... among the nodes of one
 *       plan that share a fingerprint (in plan order), its kind and node
 *       name (for messages), its watermark and its snapshot bytes
 *   checkpoint_offsets(checkpoint_id, source, topic, partition, next_offset)
 *       per source partition, the first offset the state has not seen
 *   checkpoint_sinks(checkpoint_id, sink, position, rows)
 *       per sink, the runner's resume position (opaque text: a file's byte
 *       length, a Kafka sink's output sequence) and rows encoded so far
 *   checkpoint_epochs(pipeline, last_epoch)
 *       the last epoch each pipeline used: epochs never go back, not even
 *       when every checkpoint is dropped, so output rows named by epoch
 *       stay unique
 *
 * Schema version 3 adds what exactly-once output needs (docs/kafka.md,
 * "Checkpoints and exactly-once"):
 *
 *   checkpoint_offsets.max_wm
 *       the partition's watermark (its largest WATERMARK value) with its
 *       next offset, so a restart resumes event time per partition too
 *   turn_log(pipeline, epoch, seq, wm, runs)
 *       the input cut of every turn of `vigil run` since the checkpoint of
 *       that epoch: which messages it pushed, in order, and the watermark
 *       it applied, so that a restart recomputes exactly the same rows.
 *       Written before the turn's rows leave, with synchronous = NORMAL
 *       (a process crash loses nothing; a power cut may lose the newest
 *       turns) unless the caller asks for FULL; a checkpoint deletes the
 *       turns of the older epochs in its own transaction. `vigil run` keeps
 *       its turn log in a store file of its own (STORE-turns: the same
 *       schema, only turn_log used), so that an append never waits for a
 *       checkpoint's write lock, and prunes it after each checkpoint
 *       (vg_store_turn_prune); this table in the store itself is read at a
 *       restart for turns logged before that.
 *
 * Schema version 4 adds what reloads and activations need across a
 * restart (docs/reload.md, "Across a restart"):
 *
 *   checkpoint_plans(pipeline, plan_fp, seq, path, text)
 *       the text of every SQL file of a plan that a kept checkpoint was
 *       written by, once per plan fingerprint: a restart whose files hold
 *       another plan compiles this one, recovers into it, then reloads
 *   checkpoint_registry(checkpoint_id, kind, name, version)
 *       the model and ruleset versions active when the checkpoint was
 *       written ("model" or "ruleset", its name, its version): the turns
 *       logged after it are recomputed with them
 *
 * Nothing is updated in place: a model version or a ruleset version, once
 * written, is only ever read (activation flips a flag); a checkpoint, once
 * written, is read until it is pruned. Every write is one transaction; the
 * database runs in WAL mode so readers do not block the writer, with
 * synchronous = FULL so that a commit that returned survives a power cut
 * (see vg_store_open). engine/store.c and store_ckpt.c are the only files
 * in vigil that include sqlite3.h for the store.
 *
 * Errors: every function returns 0 on success and -1 with err set:
 * VG_ERR_IO for SQLite failures ("store 'PATH': MESSAGE"), VG_ERR_NAME for
 * a model or ruleset version that does not exist, VG_ERR_NOMEM when out of
 * memory. Functions that look something up return 1, err untouched, when
 * there is nothing to find.
 */
#ifndef VG_STORE_H
#define VG_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/alloc.h"
#include "engine/error.h"
#include "engine/rules.h"

/* The schema version this build creates and understands. */
#define VG_STORE_SCHEMA_VERSION 4

typedef struct vg_store vg_store;

/* Wall-clock time in epoch milliseconds, for loaded_at / changed_at. */
typedef int64_t (*vg_store_clock_fn)(void *arg);

/* Open (creating when missing) the store at path; ":memory:" gives a
 * private in-memory store (replay without a configured store uses one).
 * Creates or migrates the schema, in one transaction (a store of schema 1
 * gets the checkpoint tables; nothing else changes). WAL journal,
 * synchronous = FULL, a busy timeout of 5 s. Returns the store (owned by
 * the caller; vg_store_close) or NULL with err set: VG_ERR_IO when the
 * file cannot be opened or is not a vigil store, or when its
 * schema_version is newer than VG_STORE_SCHEMA_VERSION; VG_ERR_NOMEM.
 * SQLite errors that may pass (disk full, I/O error, busy) are marked
 * retriable, here and in every function below. */
vg_store *vg_store_open(const char *path, vg_error *err);
/* Close st; NULL does nothing. */
void vg_store_close(vg_store *st);
/* Read time from fn(arg) from now on (NULL: the real wall clock, the default). */
void vg_store_set_clock(vg_store *st, vg_store_clock_fn fn, void *arg);
/* The schema version of the open store. */
int vg_store_schema_version(const vg_store *st);
/* The path the store was opened with (owned by the store), for messages. */
const char *vg_store_path(const vg_store *st);
/* Commits on st no longer copy SQLite's write-ahead log back into the
 * database file when the log grows (wal_autocheckpoint = 0): that copy
 * syncs the disk, which on a busy disk can stop the committing thread for
 * tens of milliseconds. Another connection to the same file must then call
 * vg_store_wal_checkpoint now and then, or the log grows without end.
 * 0, or -1 with err set. */
int vg_store_wal_manual(vg_store *st, vg_error *err);
/* Copy what the write-ahead log holds back into the database file, as far
 * as no reader needs it, without waiting for any lock (a PASSIVE WAL
 * checkpoint, syncs included); connections writing meanwhile are not
 * stopped. 0, or -1 with err set (retriable). */
int vg_store_wal_checkpoint(vg_store *st, vg_error *err);

/* ==== The model registry ==== */

/* One version of a model. Strings are borrowed (input) or owned by the
 * arena / valid during the callback (output). */
typedef struct vg_model_rec {
    const char *name;          /* the model's name (CREATE MODEL name) */
    int64_t version;           /* 1, 2, ... per name; output */
    const char *type;          /* xgboost | logistic | linear */
    const char *path;          /* the model file, as configured */
    const void *bytes;         /* add: the file's bytes, or NULL to read path */
    size_t size;               /* add: bytes in bytes; output: the file's size */
    char sha256[65];           /* lowercase hex of the bytes' SHA-256; output */
    const char *input_schema;  /* e.g. "amount DOUBLE, n BIGINT"; may be NULL */
    const char *output_schema; /* e.g. "score DOUBLE"; may be NULL */
    const char *shadow_of;     /* name of the model this one shadows, or NULL */
    int64_t loaded_at;         /* epoch ms; output */
    bool active;               /* the version scoring uses; output */
} vg_model_rec;

/* Register the bytes of a model (rec->bytes/size, or the file at
 * rec->path) under rec->name: computes the SHA-256; when the name already
 * has a version with the same hash, returns that version and changes
 * nothing; else adds the next version. The first version of a name
 * becomes active; later ones are activated with vg_store_model_activate.
 * *version_out gets the version. Errors: VG_ERR_IO when the file cannot be
 * read ("cannot read model file 'PATH': REASON") or SQLite fails. */
int vg_store_model_add(vg_store *st, const vg_model_rec *rec, int64_t *version_out,
                       vg_error *err);
/* Make version the active one of name (and no other). VG_ERR_NAME "model
 * 'NAME' has no version N" when it does not exist. */
int vg_store_model_activate(vg_store *st, const char *name, int64_t version, vg_error *err);
/* The active version of name into *rec, its strings in arena. Returns 0,
 * 1 when name has no active version (err untouched), or -1. */
int vg_store_model_active(vg_store *st, const char *name, vg_model_rec *rec, vg_arena *arena,
                          vg_error *err);
/* Version `version` of model name into *rec, its strings in arena. 0, 1 when
 * there is no such version (err untouched), or -1. */
int vg_store_model_get(vg_store *st, const char *name, int64_t version, vg_model_rec *rec,
                       vg_arena *arena, vg_error *err);
/* The SHA-256 of the file at path as lowercase hex into out, as
 * vg_store_model_add computes it. 0, or -1 with err set (VG_ERR_IO
 * "cannot read model file 'PATH': REASON", VG_ERR_NOMEM). */
int vg_store_file_sha256(const char *path, char out[65], vg_error *err);
/* Call fn for every version of every model, by name then version; rec and
 * its strings are valid during the call only. fn returns nonzero to stop.
 * Returns 0 or -1. */
typedef int (*vg_store_model_fn)(const vg_model_rec *rec, void *arg);
int vg_store_model_list(vg_store *st, vg_store_model_fn fn, void *arg, vg_error *err);

/* ==== Rulesets ==== */

/* One version of a ruleset (without its rules). */
typedef struct vg_ruleset_rec {
    const char *ruleset;        /* name */
    int64_t version;            /* 1, 2, ... per ruleset */
    const char *default_action; /* decision when no active rule matches */
    const char *changed_by;     /* who stored this version */
    int64_t changed_at;         /* when, epoch ms */
    const char *source;         /* where the rules came from (a file name, "admin", ...) */
    bool active;                /* the version pipelines use */
    uint32_t nrules;            /* its rules */
} vg_ruleset_rec;

/* Store rules[0..n) as the next version of ruleset and make it the active
 * one. Each rule's changed_by/changed_at are taken from the previous
 * version when the rule was there with the same text (condition, action,
 * priority, mode, enabled); else they are changed_by and now (the rules'
 * own changed_by/changed_at are ignored, as are src and cond_*). Rules are
 * not compiled here: compile them first (vg_ruleset_compile). source may
 * be NULL. *version_out gets the new version. */
int vg_store_rules_put(vg_store *st, const char *ruleset, const char *default_action,
                       const vg_rule *rules, uint32_t n, const char *changed_by,
                       const char *source, int64_t *version_out, vg_error *err);
/* Version `version` of ruleset (0: the active one): *info and the rules in
 * priority order (priority descending, rule_id ascending), everything in
 * arena; rules' src is NULL. Returns 0, 1 when there is no such version
 * (err untouched), or -1. */
int vg_store_rules_get(vg_store *st, const char *ruleset, int64_t version, vg_arena *arena,
                       vg_ruleset_rec *info, vg_rule **rules, uint32_t *n, vg_error *err);
/* Make an existing version the active one (a rollback). VG_ERR_NAME
 * "ruleset 'NAME' has no version N" when it does not exist. */
int vg_store_rules_activate(vg_store *st, const char *ruleset, int64_t version, vg_error *err);
/* Call fn for every version of ruleset (NULL: of every ruleset), by name
 * then version; rec is valid during the call only; fn returns nonzero to
 * stop. Returns 0 or -1. */
typedef int (*vg_store_ruleset_fn)(const vg_ruleset_rec *rec, void *arg);
int vg_store_rules_versions(vg_store *st, const char *ruleset, vg_store_ruleset_fn fn, void *arg,
                            vg_error *err);

/* ==== Checkpoints (engine/checkpoint.h builds on these) ==== */

/* One operator's state in a checkpoint. Strings and state are borrowed
 * (put) or valid during the callback (read). */
typedef struct vg_store_ckpt_op {
    const char *node_fp;  /* its plan node's fingerprint, 16 hex digits */
    uint32_t seq;         /* 0, 1, ... among the nodes that share node_fp, in plan order */
    const char *kind;     /* the operator kind ("over", ...), for messages */
    const char *name;     /* the node's name (view, stream), or NULL */
    int64_t wm;           /* the operator's watermark */
    const void *state;    /* its snapshot bytes */
    size_t size;          /* bytes in state */
} vg_store_ckpt_op;

/* Where a source partition resumes: next_offset is the first offset the
 * state has not seen. */
typedef struct vg_store_offset {
    const char *source;   /* the stream's name */
    const char *topic;    /* the Kafka topic (or the file) it reads */
    int32_t partition;    /* the partition */
    int64_t next_offset;  /* the first offset not in the checkpoint's state */
    int64_t max_wm;       /* the partition's watermark then (INT64_MIN: none; also what a
                             checkpoint of schema 2 reads back as) */
} vg_store_offset;

/* A sink's resume information. */
typedef struct vg_store_sink_pos {
    const char *sink;     /* the sink's name */
    const char *position; /* the runner's opaque position, or NULL */
    int64_t rows;         /* rows encoded for it so far; -1: not counted */
} vg_store_sink_pos;

/* One SQL file of the plan a checkpoint was written by. */
typedef struct vg_store_sql {
    const char *path; /* as the pipeline names it (for errors in it) */
    const char *text; /* the whole file */
} vg_store_sql;

/* A model or ruleset version active when a checkpoint was written. */
typedef struct vg_store_version {
    const char *kind; /* "model" or "ruleset" */
    const char *name; /* its CREATE MODEL / CREATE RULESET name */
    int64_t version;  /* its version in the store (0: a ruleset without rules) */
} vg_store_version;

/* A checkpoint without its operators. */
typedef struct vg_store_ckpt {
    int64_t id;           /* output: grows with every checkpoint of the store */
    const char *pipeline; /* whose */
    int64_t epoch;        /* output: 1, 2, ... per pipeline, never reused (input to
                             put: at least this one; 0: the next) */
    const char *plan_fp;  /* the plan's fingerprint, 16 hex digits */
    int64_t created_at;   /* output: epoch ms (the store's clock) */
    int64_t bytes;        /* output: state bytes of all operators */
    uint64_t late_rows;   /* late rows the DAG reported until then */
    uint32_t nops;        /* output of reads: its operator rows */
    uint32_t noffsets;    /* source offsets */
    const vg_store_offset *offsets;
    uint32_t nsinks;      /* sink positions */
    const vg_store_sink_pos *sinks;
    uint32_t nsql;        /* the SQL files of the plan (put: stored once per plan_fp,
                             unless the store holds them already; 0: none stored) */
    const vg_store_sql *sql;
    uint32_t nversions;   /* model and ruleset versions */
    const vg_store_version *versions;
} vg_store_ckpt;

/* Write a checkpoint of c->pipeline, in one transaction: the next epoch of
 * the pipeline (or c->epoch on input, when larger: the epoch a runner
 * already labels its turns with; 0: just the next), c's plan_fp,
 * late_rows, offsets, sinks and versions, its plan's SQL files (when the
 * store has none for that plan_fp yet), and ops[0..n); then delete all but
 * the newest `keep` checkpoints of the pipeline (keep >= 1), and the SQL of
 * plans no kept checkpoint was written by, *pruned getting how many
 * checkpoints went (may be NULL). On success c->id, epoch, created_at and
 * bytes are set; on failure nothing was written (the previous checkpoints
 * are as they were). Errors: VG_ERR_IO "store 'PATH': MESSAGE" (disk full,
 * I/O error, a duplicate offset or sink), VG_ERR_NOMEM. */
int vg_store_ckpt_put(vg_store *st, vg_store_ckpt *c, const vg_store_ckpt_op *ops, uint32_t n,
                      uint32_t keep, uint32_t *pruned, vg_error *err);

/* Called for each operator row of a checkpoint; returns 0 to go on, -1
 * (with err set) to stop the read with that error. */
typedef int (*vg_store_ckpt_op_fn)(void *arg, const vg_store_ckpt_op *op, vg_error *err);

/* Read checkpoint id (0: the newest of the store, of any pipeline) in one
 * read transaction: its row, its offsets, sinks, versions and its plan's
 * SQL files (nsql 0 when the store has none) into *c (strings and
 * arrays in arena), then, when fn is not NULL, fn for each operator row in
 * (node_fp, seq) order. Returns 0, 1 when there is no such checkpoint (err
 * untouched), or -1. */
int vg_store_ckpt_get(vg_store *st, int64_t id, vg_arena *arena, vg_store_ckpt *c,
                      vg_store_ckpt_op_fn fn, void *arg, vg_error *err);

/* Call fn for each checkpoint of pipeline (NULL: of every pipeline), newest
 * first, without offsets, sinks, SQL and versions (each counted); c is
 * valid during the call only; fn returns nonzero to stop. 0 or -1. */
typedef int (*vg_store_ckpt_fn)(const vg_store_ckpt *c, void *arg);
int vg_store_ckpt_list(vg_store *st, const char *pipeline, vg_store_ckpt_fn fn, void *arg,
                       vg_error *err);

/* Delete every checkpoint of pipeline (NULL: of every pipeline) and its
 * turn log, in one transaction; *dropped gets how many checkpoints (may be
 * NULL). Epochs are kept: the next checkpoint continues after the last
 * epoch. 0 or -1. vg_store_ckpt_put also deletes the turns of the
 * pipeline's older epochs (those before the one it writes). */
int vg_store_ckpt_drop(vg_store *st, const char *pipeline, uint32_t *dropped, vg_error *err);

/* ==== The turn log (store_ckpt.c) ==== */

/* Consecutive messages of one source partition that a turn pushed. */
typedef struct vg_store_turn_run {
    uint32_t source;   /* the stream: its index in the plan's sources */
    int32_t partition; /* the partition */
    int64_t first;     /* the offset of the first message */
    uint32_t count;    /* how many messages, from first on, in offset order */
} vg_store_turn_run;

/* One turn's input cut. */
typedef struct vg_store_turn {
    int64_t epoch;                 /* the epoch of the checkpoint it follows */
    int64_t seq;                   /* 1, 2, ... within the epoch */
    int64_t wm;                    /* the DAG's watermark after the turn */
    uint32_t nruns;                /* runs, in the order their rows were pushed */
    const vg_store_turn_run *runs; /* borrowed (put), or in the caller's arena (list) */
} vg_store_turn;

/* Append turn t of pipeline to the log, in a transaction of its own that
 * commits with synchronous = FULL when full_sync, else NORMAL (the
 * connection goes back to FULL for checkpoints by itself). Errors:
 * VG_ERR_IO "store 'PATH': MESSAGE" (retriable for a full disk or I/O
 * error; a turn already logged with that epoch and seq), VG_ERR_NOMEM. */
int vg_store_turn_put(vg_store *st, const char *pipeline, const vg_store_turn *t, bool full_sync,
                      vg_error *err);
/* The turns of pipeline's epoch and of every later one, by (epoch, seq),
 * into *turns (an array of *n, runs included, in arena; NULL when none):
 * the turns after a checkpoint of that epoch, and after the cuts of
 * checkpoints that failed since (a runner writing checkpoints in the
 * background labels the turns after a cut with its epoch before it is
 * written, and goes on with that label when the write fails). 0 or -1 (VG_ERR_RUNTIME
 * "store 'PATH': turn E.S of pipeline 'P' is damaged" for a runs blob
 * that does not decode). */
int vg_store_turn_list(vg_store *st, const char *pipeline, int64_t epoch, vg_arena *arena,
                       vg_store_turn **turns, uint32_t *n, vg_error *err);
/* Delete the turns of pipeline (NULL: all) of the epochs before epoch, in
 * a transaction of its own (a turn log kept in a store of its own is
 * pruned this way after each checkpoint). 0 or -1. */
int vg_store_turn_prune(vg_store *st, const char *pipeline, int64_t epoch, vg_error *err);
/* How many turns of pipeline (NULL: of all) the log holds, all epochs. */
int vg_store_turn_count(vg_store *st, const char *pipeline, int64_t *n, vg_error *err);

#endif
