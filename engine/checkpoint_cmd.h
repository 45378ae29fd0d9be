/*
 * checkpoint_cmd.h — `vigil checkpoints list|drop PIPELINE`: what a
 * pipeline's store holds of its checkpoints and turn log, and starting
 * over without them (docs/kafka.md, "After a crash, after a change").
 *
 *     vigil checkpoints list PIPELINE
 *     vigil checkpoints drop PIPELINE
 *
 * The command's entry (vg_checkpoint_cmd_main) is a row of engine/main.c's
 * command table, with its usage and help from here; it prints its result
 * and its errors itself, as main.c's commands do. The two functions under
 * it return their errors.
 */
#ifndef VG_CHECKPOINT_CMD_H
#define VG_CHECKPOINT_CMD_H

#include <stdio.h>

#include "engine/buf.h"
#include "engine/error.h"
#include "engine/store.h"

#define VG_CHECKPOINT_CMD_USAGE "list|drop PIPELINE"
#define VG_CHECKPOINT_CMD_HELP                                                                     \
    "Show or drop the checkpoints of PIPELINE in its store (state.store):\n\n"                     \
    "  list PIPELINE   one line per checkpoint kept, newest first: its id, epoch, when it was\n"   \
    "                  written, its state bytes and each source partition's next offset;\n"        \
    "                  then how many turns are logged since the newest\n"                          \
    "  drop PIPELINE   delete every checkpoint of the pipeline and its turn log: the next\n"       \
    "                  `vigil run` starts without state, from the consumer groups' committed\n"    \
    "                  offsets (do it after changing the SQL, or to start over)\n\n"               \
    "Exit 1 when the store cannot be read or written, 2 for a pipeline without state.store.\n"

/* `vigil checkpoints ...` (argv[0] is "checkpoints"): the exit status. */
int vg_checkpoint_cmd_main(int argc, char **argv);

/* Print the checkpoints of pipeline in the store at store_path to out,
 * newest first:
 *     checkpoint 12  epoch 12  2026-11-23T10:00:00.000Z  48213 bytes  payments[0]=1203 ...
 *     3 checkpoints of pipeline 'payments' in store 'PATH', 5 turns logged since the newest
 * or "no checkpoints of pipeline 'payments' in store 'PATH'". A store
 * that does not exist is not created. 0, or -1 with err set (the store's
 * errors). */
int vg_checkpoint_cmd_list(const char *store_path, const char *pipeline, FILE *out, vg_error *err);
/* The same as JSON (GET /checkpoints of the admin API), appended to out,
 * from a store the caller has open:
 *     {"pipeline":"payments","checkpoints":[{"id":12,"epoch":12,
 *      "created_at":"2026-11-23T10:00:00.000Z","bytes":48213,"plan":"<fp>",
 *      "offsets":[{"source":"payments","topic":"pay","partition":0,
 *      "next_offset":1203},...],"sinks":[{"sink":"decisions",
 *      "position":"seq=40 ends=12,28","rows":40},...],"versions":[{"kind":
 *      "ruleset","name":"payment_rules","version":3},...]},...],
 *      "turns_logged":5}
 * newest first, and a newline. 0, or -1 with err set (out as it was). */
int vg_checkpoint_cmd_json(vg_store *st, const char *pipeline, vg_buf *out, vg_error *err);
/* Delete every checkpoint of pipeline in the store and its turn log, in
 * one transaction, and print what went:
 *     dropped 3 checkpoints and 5 logged turns of pipeline 'payments' from store 'PATH'
 * 0, or -1 with err set. */
int vg_checkpoint_cmd_drop(const char *store_path, const char *pipeline, FILE *out, vg_error *err);

#endif
