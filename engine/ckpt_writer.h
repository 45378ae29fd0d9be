/*
 * ckpt_writer.h — a thread that writes checkpoints to the store while the
 * pipeline goes on (`vigil run`, engine/run_ckpt.c).
 *
 * The runner takes a checkpoint's snapshot between turns
 * (vg_checkpoint_take: one consistent cut) and hands it here; the writer
 * thread commits it through a store connection of its own (SQLite's
 * transaction, fsync included), one checkpoint at a time, and the runner
 * collects the outcome between later turns. The writer must not share its
 * connection: the runner's turn log is a store file of its own, so that
 * its appends never wait for the checkpoint's write lock.
 *
 * Ownership: a submitted snapshot and the vg_checkpoints it borrows belong
 * to the writer until vg_ckpt_writer_collect returns its outcome (the
 * runner must not close or swap the vg_checkpoints meanwhile: collect
 * with wait first); the writer frees the snapshot. The writer's store
 * connection is used by the writer thread only. The state shared by the
 * two threads (the job slot, its outcome) is guarded by one mutex.
 */
#ifndef VG_CKPT_WRITER_H
#define VG_CKPT_WRITER_H

#include <stdbool.h>

#include "engine/checkpoint.h"
#include "engine/error.h"

typedef struct vg_ckpt_writer vg_ckpt_writer;

/* Open a connection to the store at path and start the writer thread.
 * With turns_path (the runner's turn log, whose connection has
 * vg_store_wal_manual), the writer also copies that store's write-ahead log
 * back into its file about once a second, so that the runner's appends
 * never sync the disk; NULL: no turn log. NULL with err set (the store's
 * errors, VG_ERR_NOMEM, VG_ERR_IO when the thread cannot start). */
vg_ckpt_writer *vg_ckpt_writer_start(const char *path, const char *turns_path, vg_error *err);
/* Wait for the checkpoint in flight, if any (its outcome is dropped), stop
 * the thread, close the connection and free w; NULL does nothing. */
void vg_ckpt_writer_stop(vg_ckpt_writer *w);

/* Hand snapshot s of c to the writer (it takes s, and borrows c until the
 * outcome is collected). The writer must be idle (vg_ckpt_writer_busy
 * false). */
void vg_ckpt_writer_submit(vg_ckpt_writer *w, vg_checkpoints *c, vg_checkpoint_snap *s);
/* The same, but the commit waits (after the operators' bytes are ready,
 * before the store's transaction) until vg_ckpt_writer_release gives the
 * sinks' final positions: the rows of the cut are being delivered while
 * the state is serialised, and the checkpoint counts only once they are.
 * A stop while held fails the checkpoint. */
void vg_ckpt_writer_submit_held(vg_ckpt_writer *w, vg_checkpoints *c, vg_checkpoint_snap *s);
/* Release a held checkpoint: the positions of the sinks named in
 * sinks[0..n) replace those taken at the cut (borrowed until the outcome
 * is collected); or, with fail set, the checkpoint fails with *fail (a
 * delivery that failed or timed out). Does nothing when nothing is held. */
void vg_ckpt_writer_release(vg_ckpt_writer *w, const vg_store_sink_pos *sinks, uint32_t n,
                            const vg_error *fail);
/* Is a submitted checkpoint waiting for vg_ckpt_writer_release? */
bool vg_ckpt_writer_held(const vg_ckpt_writer *w);
/* A descriptor that becomes readable when a checkpoint's outcome is ready
 * (for poll(2): the loop wakes to collect it); collect empties it. Owned by
 * w. */
int vg_ckpt_writer_fd(const vg_ckpt_writer *w);
/* Is a checkpoint submitted whose outcome is not collected yet? */
bool vg_ckpt_writer_busy(const vg_ckpt_writer *w);
/* The outcome of the checkpoint submitted: 0 while it is being written
 * (wait false) or when none is submitted; 1 when it was written (*stats
 * filled); -1 when it failed (err set as vg_checkpoint_write sets it; the
 * previous checkpoints stand). With wait, waits for it. */
int vg_ckpt_writer_collect(vg_ckpt_writer *w, bool wait, vg_checkpoint_stats *stats,
                           vg_error *err);

#endif
