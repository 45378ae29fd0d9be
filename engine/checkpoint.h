/*
 * checkpoint.h — checkpoints: a running DAG's state, its source offsets and
 * its sinks' positions, written to the store in one transaction between
 * batches, and read back into a fresh DAG when the pipeline starts again.
 *
 * A checkpoint holds (tables in engine/store.h):
 *   - one row per stateful operator (those whose kind snapshots): its
 *     state bytes and watermark, keyed by its plan node's fingerprint
 *     (sql/fingerprint.h) and not by its place in the plan, so that a
 *     reload (issue 8) can match the operators of a new plan with it;
 *   - per source partition, the next offset to read: the first event the
 *     state has not seen, and the partition's watermark then;
 *   - per sink, the runner's resume position (opaque text: a file's byte
 *     length, a Kafka sink's output sequence and its partitions' end
 *     offsets) and the rows encoded for it;
 *   - the pipeline's name, an epoch (1, 2, ... per pipeline, never reused,
 *     even after the checkpoints are dropped), the plan's fingerprint, when
 *     it was written, its bytes and the late rows counted so far;
 *   - the text of the plan's SQL files (vg_checkpoint_set_sql; stored once
 *     per plan), so that a restart after the SQL changed can compile the
 *     plan the checkpoint was written by, restore into it, and reload;
 *   - the model and ruleset versions active (vg_checkpoint_set_registry),
 *     so that a restart recomputes logged turns with the versions they ran
 *     with.
 *
 * The state and the offsets are one transaction, so they never disagree:
 * a crash or an I/O error at any point leaves the previous checkpoint
 * whole, offsets never ahead of (nor behind) their state. The newest K
 * checkpoints (default 3) are kept; older ones are deleted in the same
 * transaction. The store commits with synchronous = FULL: once
 * vg_checkpoint_write returns 0, the checkpoint survives a crash of the
 * process or of the machine.
 *
 * Starting again: vg_checkpoint_load takes the newest checkpoint of the
 * store. It refuses one written by another pipeline (two pipelines must
 * not share a store) and one written by a plan with another fingerprint
 * (the SQL changed: its state may not fit); both errors name the two
 * sides. Operators are matched by fingerprint; stateless operators get
 * their watermark from their inputs.
 *
 * The caller (the runner) calls write between batches, when every row of
 * the offsets it passes has been pushed and nothing else has; and load
 * into a freshly opened DAG before the first row. Nothing here does I/O
 * but the store's.
 */
#ifndef VG_CHECKPOINT_H
#define VG_CHECKPOINT_H

#include <stdint.h>

#include "engine/alloc.h"
#include "engine/dag.h"
#include "engine/error.h"
#include "engine/store.h"
#include "sql/fingerprint.h"
#include "sql/plan.h"

/* Checkpoints kept per pipeline unless vg_checkpoint_set_keep says otherwise. */
#define VG_CHECKPOINT_KEEP 3

/* One pipeline's checkpoints in a store, for one plan. */
typedef struct vg_checkpoints vg_checkpoints;

/* What a write did and what it cost. */
typedef struct vg_checkpoint_stats {
    int64_t id;          /* the checkpoint's id in the store */
    int64_t epoch;       /* its epoch */
    int64_t created_at;  /* when it was written: epoch ms (the store's clock) */
    uint64_t bytes;      /* state bytes of all operators */
    uint32_t nops;       /* operators with state written */
    uint32_t pruned;     /* older checkpoints deleted */
    int64_t snapshot_us; /* serialising the operators (the pipeline waits for it) */
    int64_t commit_us;   /* the transaction, fsync included (and, forked, the wait for the
                            child) */
    int64_t serialise_us; /* forked: from the fork to the child's exit (0: not forked) */
    int64_t child_cpu_us; /* forked: the child's CPU time, user and system */
    int64_t write_us;    /* the store's transaction alone, fsync included */
    int64_t total_us;    /* the whole write */
} vg_checkpoint_stats;

/* Checkpoints of pipeline (a name: the same on every start; copied) for
 * plan, in st. st and plan are borrowed and must outlive the result.
 * Computes the plan's fingerprints. Returns the object (vg_checkpoint_close)
 * or NULL with err set (VG_ERR_NOMEM). */
vg_checkpoints *vg_checkpoint_open(vg_store *st, const char *pipeline, const vg_plan *plan,
                                   vg_error *err);
/* Free c; NULL does nothing. */
void vg_checkpoint_close(vg_checkpoints *c);
/* Keep the newest keep checkpoints of the pipeline (at least 1). */
void vg_checkpoint_set_keep(vg_checkpoints *c, uint32_t keep);
/* The plan's fingerprint as 16 hex digits (owned by c). */
const char *vg_checkpoint_plan_fp(const vg_checkpoints *c);

/* The SQL files of c's plan, written with every checkpoint (stored once per
 * plan). Borrowed: sql must outlive c. n 0: none (the default). */
void vg_checkpoint_set_sql(vg_checkpoints *c, const vg_store_sql *sql, uint32_t n);
/* The registry whose models' and rulesets' active versions every
 * checkpoint records (one entry per CREATE MODEL and CREATE RULESET of the
 * plan). Borrowed; NULL: none (the default). */
struct vg_registry;
void vg_checkpoint_set_registry(vg_checkpoints *c, struct vg_registry *reg);

/* The newest checkpoint of pipeline in st, without its operators' state:
 * its row, offsets, sinks, versions and its plan's SQL files into *out (in
 * arena), whatever plan wrote it. 0; 1 when the store has no checkpoint;
 * -1 with err set: the store's errors, or the refusal of a checkpoint of
 * another pipeline (as vg_checkpoint_load words it). */
int vg_checkpoint_peek(vg_store *st, const char *pipeline, vg_arena *arena, vg_store_ckpt *out,
                       vg_error *err);

/* Write a checkpoint of d (a DAG of c's plan) with the sources' offsets
 * (offsets[0..noffsets), each source partition once) and the sinks'
 * positions (sinks[0..nsinks); their rows field is ignored: the rows of
 * the DAG's channel of that name are written, and channels not listed get
 * a row of their own with no position). Call between batches. On success
 * fills *stats (may be NULL). Errors (-1): VG_ERR_IO "store 'PATH': ..."
 * with retriable set for a full disk or an I/O error (the previous
 * checkpoint stands; try again later), a kind's snapshot error,
 * VG_ERR_NOMEM. d is not changed either way. */
int vg_checkpoint_write(vg_checkpoints *c, vg_dag *d, const vg_store_offset *offsets,
                        uint32_t noffsets, const vg_store_sink_pos *sinks, uint32_t nsinks,
                        vg_checkpoint_stats *stats, vg_error *err);

/* The same in two steps, so that the pipeline waits only for the first:
 * take copies what a checkpoint needs out of d (the operators' snapshots,
 * the offsets, the sinks, the counts) between batches; commit writes it to
 * the store, and may run on another thread while the pipeline goes on, as
 * long as nothing else uses the store meanwhile. The runner must hold back
 * what depends on the checkpoint (committing source offsets elsewhere,
 * truncating outputs) until commit returned 0. A snapshot borrows c (it
 * must not outlive it) and nothing of d, offsets or sinks.
 *
 * take: the snapshot (vg_checkpoint_snap_free), or NULL with err set (a
 * kind's snapshot error, VG_ERR_NOMEM). commit: 0 and *stats (may be NULL;
 * snapshot_us is take's), or -1 with err as vg_checkpoint_write says; the
 * snapshot stays the caller's either way (commit it again to retry). */
typedef struct vg_checkpoint_snap vg_checkpoint_snap;
vg_checkpoint_snap *vg_checkpoint_take(vg_checkpoints *c, vg_dag *d, const vg_store_offset *offsets,
                                       uint32_t noffsets, const vg_store_sink_pos *sinks,
                                       uint32_t nsinks, vg_error *err);
int vg_checkpoint_commit(vg_checkpoints *c, const vg_checkpoint_snap *s, vg_checkpoint_stats *stats,
                         vg_error *err);
/* As take, but the operators' bytes are serialised by a child process
 * (fork: the pipeline waits only for the fork, and the child's copy of d
 * is the consistent cut), into a memory file that commit waits for and
 * reads (a commit on another thread is fine). Falls back to take's way
 * when no child can be made, and in AddressSanitizer builds (whose
 * allocator is not safe in the child of a threaded fork: engine/checkpoint.c
 * says more). The child runs no code but the operators'
 * snapshots and exits; a snapshot freed before commit kills it. commit's
 * errors also: the child's snapshot error (as take's), VG_ERR_IO
 * (retriable) when the child died. */
vg_checkpoint_snap *vg_checkpoint_take_forked(vg_checkpoints *c, vg_dag *d,
                                              const vg_store_offset *offsets, uint32_t noffsets,
                                              const vg_store_sink_pos *sinks, uint32_t nsinks,
                                              vg_error *err);
/* The same through another connection to c's store (a writer thread's own:
 * engine/ckpt_writer.h); c is only read. */
int vg_checkpoint_commit_to(vg_checkpoints *c, vg_store *st, const vg_checkpoint_snap *s,
                            vg_checkpoint_stats *stats, vg_error *err);
/* Wait for s's child, if any, and take the operators' bytes it wrote (what
 * commit does first; a second call does nothing). 0, or -1 with err set as
 * commit's. */
int vg_checkpoint_snap_ready(vg_checkpoint_snap *s, vg_error *err);
/* Replace the position of sink `sink` in s (copied). -1 when out of memory
 * or when s lists no such sink. */
int vg_checkpoint_snap_set_position(vg_checkpoint_snap *s, const char *sink,
                                    const char *position);
/* The epoch s is to be written as: at least this one (the store takes the
 * pipeline's next when that is larger; stats say which). 0, the default:
 * the next. */
void vg_checkpoint_snap_set_epoch(vg_checkpoint_snap *s, int64_t epoch);
/* State bytes in s (what commit writes, besides offsets and sinks). */
uint64_t vg_checkpoint_snap_bytes(const vg_checkpoint_snap *s);
/* Free s; NULL does nothing. */
void vg_checkpoint_snap_free(vg_checkpoint_snap *s);

/* Restore the newest checkpoint of the store into d, a DAG of c's plan
 * freshly opened (no row pushed): every stateful operator's state and
 * watermark, the DAG's late-row count and its channels' row counts. *out
 * gets the checkpoint (id, epoch, offsets, sinks' positions; strings and
 * arrays in arena). Returns 0; 1 when the store has no checkpoint (d and
 * *out untouched but zeroed); -1 with err set:
 *   VG_ERR_CONFIG "store 'PATH' holds checkpoints of pipeline 'A' (the
 *     newest: checkpoint I, epoch E), not of 'B': each pipeline needs a
 *     store of its own (vigil checkpoints list PIPELINE shows what a store
 *     holds)"
 *   VG_ERR_CONFIG "checkpoint I (epoch E) of pipeline 'B' was written by
 *     plan FP1, and this plan is FP2: the SQL has changed since; run the
 *     SQL it was written with, or drop the pipeline's checkpoints (vigil
 *     checkpoints drop PIPELINE) to start without state"
 *   VG_ERR_RUNTIME for a damaged checkpoint (state an operator cannot
 *     read, operators missing), VG_ERR_IO, VG_ERR_NOMEM.
 * After -1, d holds part of the state: close it. */
int vg_checkpoint_load(vg_checkpoints *c, vg_dag *d, vg_arena *arena, vg_store_ckpt *out,
                       vg_error *err);

#endif
