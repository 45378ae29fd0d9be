/*
 * pipeline.h — a loaded pipeline: its settings, SQL sources and plan.
 *
 * Loading reads pipeline.yaml (or takes a lone .sql file with all
 * defaults), reads every SQL file in order, parses them, and plans the
 * statements as one program. Binding then merges the file bindings of
 * pipeline.yaml with those given on the command line (which win) into the
 * runner's options.
 */
#ifndef VG_PIPELINE_H
#define VG_PIPELINE_H

#include <stddef.h>
#include <stdint.h>

#include "engine/error.h"
#include "engine/replay.h"
#include "sql/plan.h"

typedef struct vg_pipeline vg_pipeline;

/* Load PIPELINE (a .sql file, a pipeline.yaml, or a folder holding one).
 * Returns a pipeline the caller frees with vg_pipeline_free, or NULL with
 * err set to the first error (with file, line and column when it is in SQL
 * or YAML). */
vg_pipeline *vg_pipeline_load(const char *path, vg_error *err);
void vg_pipeline_free(vg_pipeline *p);
/* The same settings (pipeline.yaml at path), but compiling the SQL texts
 * texts[0..n) (named paths[0..n) in errors) instead of the files it names:
 * the plan a checkpoint was written by (engine/checkpoint.h keeps its
 * SQL). Bindings for sinks that plan does not write are not errors here.
 * NULL with err set as vg_pipeline_load. */
vg_pipeline *vg_pipeline_load_sql(const char *path, const char *const *paths,
                                  const char *const *texts, uint32_t n, vg_error *err);

/* The plan; owned by the pipeline. */
const vg_plan *vg_pipeline_plan(const vg_pipeline *p);
/* limits.max_event_bytes from pipeline.yaml (default 1 MiB). */
size_t vg_pipeline_max_event_bytes(const vg_pipeline *p);
/* The folder the pipeline's relative paths are resolved against. */
const char *vg_pipeline_dir(const vg_pipeline *p);
/* state.store, resolved (the SQLite metadata store), or NULL when none. */
const char *vg_pipeline_store(const vg_pipeline *p);
/* Its settings (pipeline.yaml, or the defaults for a bare SQL file),
 * borrowed from the pipeline. */
struct vg_config;
const struct vg_config *vg_pipeline_config(const vg_pipeline *p);

/* Fill opts->inputs and opts->outputs (and opts->store_path from
 * state.store): the given bindings first, then
 * pipeline.yaml's file bindings for every stream and sink not given.
 * The arrays live in the pipeline until the next call or vg_pipeline_free.
 * -1 with err set when pipeline.yaml binds a stream to something replay
 * cannot read (a Kafka topic without an --input override is fine: it is
 * simply not bound here). */
int vg_pipeline_bind(vg_pipeline *p, const vg_replay_input *in, uint32_t nin,
                     const vg_replay_output *out, uint32_t nout, vg_replay_opts *opts,
                     vg_error *err);

#endif
