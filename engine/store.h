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
 * Nothing is updated in place: a model version or a ruleset version, once
 * written, is only ever read (activation flips a flag). Every write is one
 * transaction; the database runs in WAL mode so readers do not block the
 * writer. This is the only file in vigil that includes sqlite3.h for
 * metadata.
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
#define VG_STORE_SCHEMA_VERSION 1

typedef struct vg_store vg_store;

/* Wall-clock time in epoch milliseconds, for loaded_at / changed_at. */
typedef int64_t (*vg_store_clock_fn)(void *arg);

/* Open (creating when missing) the store at path; ":memory:" gives a
 * private in-memory store (replay without a configured store uses one).
 * Creates or migrates the schema. Returns the store (owned by the caller;
 * vg_store_close) or NULL with err set: VG_ERR_IO when the file cannot be
 * opened or is not a vigil store, or when its schema_version is newer than
 * VG_STORE_SCHEMA_VERSION; VG_ERR_NOMEM. */
vg_store *vg_store_open(const char *path, vg_error *err);
/* Close st; NULL does nothing. */
void vg_store_close(vg_store *st);
/* Read time from fn(arg) from now on (NULL: the real wall clock, the default). */
void vg_store_set_clock(vg_store *st, vg_store_clock_fn fn, void *arg);
/* The schema version of the open store. */
int vg_store_schema_version(const vg_store *st);

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

#endif
