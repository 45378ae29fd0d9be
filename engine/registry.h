/*
 * registry.h — the models and rulesets a running DAG scores and decides
 * with, one slot per CREATE MODEL and CREATE RULESET of its plan.
 *
 * The runner loads every slot before the DAG opens (models from their
 * files; rulesets from their 'file' or, later, the store); the ML_PREDICT
 * and APPLY_RULES operators find their slot when they open and read its
 * current model or ruleset for every row. Activating a new version puts it
 * in the slot: the caller does it between batches (never while a batch is
 * being pushed), so that every row of a batch is scored by one version and
 * none is lost or seen twice. The registry owns what its slots hold.
 */
#ifndef VG_REGISTRY_H
#define VG_REGISTRY_H

#include <stdint.h>

#include "engine/error.h"
#include "engine/rules.h"
#include "sql/plan.h"
#include "udf/model.h"

typedef struct vg_registry vg_registry;

/* One CREATE MODEL. */
typedef struct vg_model_slot {
    const vg_plan_model *decl; /* its statement */
    vg_model *model;           /* the active version (owned); NULL until loaded */
    int64_t version;           /* its version: 1 for the first loaded, then counting up */
} vg_model_slot;

/* One CREATE RULESET. */
typedef struct vg_ruleset_slot {
    const vg_plan_ruleset *decl; /* its statement */
    vg_ruleset *rules;           /* the active version (owned); NULL: no rules yet, every
                                    row gets the default action (version 0) */
} vg_ruleset_slot;

/* An empty registry for plan's models and rulesets (nothing loaded); NULL
 * when out of memory. */
vg_registry *vg_registry_new(const vg_plan *plan);
void vg_registry_free(vg_registry *r);

/* Open the metadata store at store_path (engine/store.h; NULL: one in
 * memory, so versions start at 1 on every run) and load every model file
 * and every used ruleset: its 'file' when it has one, else the store's
 * active version, else no rules. Every loaded version is recorded in the
 * store. -1 with err set at the failing statement or rules file line
 * ("model 'm': <what the loader says>", "model 'm': the file reads 12
 * features, INPUT declares 11", ...). */
int vg_registry_load(vg_registry *r, const char *store_path, vg_error *err);

/* The slot of a model or ruleset, or NULL when the plan has none of that name. */
vg_model_slot *vg_registry_model(vg_registry *r, const char *name);
vg_ruleset_slot *vg_registry_ruleset(vg_registry *r, const char *name);

/* Check that model m fits slot s's statement (features and outputs); -1
 * with err set, positioned at the statement, when it does not. */
int vg_registry_check_model(const vg_model_slot *s, const vg_model *m, vg_error *err);
/* Make m (owned from now on) version `version` of s, freeing the one
 * before: between batches only. */
void vg_registry_activate_model(vg_model_slot *s, vg_model *m, int64_t version);
/* Make rs (owned from now on) the active ruleset of s: between batches only. */
void vg_registry_activate_rules(vg_ruleset_slot *s, vg_ruleset *rs);

/* What an operator (admin API, control topic, test) calls between batches
 * to change a model or a ruleset: load the file, check it (a model against
 * its CREATE MODEL; every rule compiled), record it in the store as a new
 * version (identical model bytes: the version they already have) and make
 * it active. -1 with err set (positioned in the SQL or the rules file) and
 * nothing changed. vg_registry_load must have run. */
int vg_registry_add_model(vg_registry *r, vg_model_slot *s, const char *path, vg_error *err);
int vg_registry_add_rules_file(vg_registry *r, vg_ruleset_slot *s, const char *path,
                               const char *changed_by, vg_error *err);

/* Store rules[0..n) (rows, as the admin API receives them: no src) as the
 * next version of ruleset s, with default_action (NULL: the statement's,
 * else "allow"), and make it active; *version (may be NULL) gets it. Every
 * rule is compiled first: -1 with err set and nothing stored or changed
 * when one is bad (vg_ruleset_compile's errors, positioned in the
 * condition, whose source is named "<rule ID>"), or the store fails.
 * changed_by and source (may be NULL) are recorded as vg_store_rules_put
 * says. vg_registry_load must have run. */
int vg_registry_add_rules(vg_registry *r, vg_ruleset_slot *s, const vg_rule *rules, uint32_t n,
                          const char *default_action, const char *changed_by, const char *source,
                          int64_t *version, vg_error *err);

/* Make a version the store already holds the active one of slot s:
 *   model    its file is read again from the path stored with the version,
 *            and must still have the version's SHA-256; it must fit the
 *            statement;
 *   ruleset  its rules are compiled again; version 0 means no rules (every
 *            row gets the default action).
 * With record, the store's active flag moves to it too (an activation by
 * the admin API or the control topic); without, only the running registry
 * changes (a restart recomputing turns with the versions they ran with).
 * Between batches only. -1 with err set and nothing changed: VG_ERR_NAME
 * "model 'm' has no version 3" / "ruleset 'r' has no version 3",
 * VG_ERR_RUNTIME "model 'm' version 3: file 'P' has changed since it was
 * stored (its SHA-256 differs)", a load, check or compile error, the
 * store's errors. vg_registry_load must have run. */
int vg_registry_use_model(vg_registry *r, vg_model_slot *s, int64_t version, bool record,
                          vg_error *err);
int vg_registry_use_rules(vg_registry *r, vg_ruleset_slot *s, int64_t version, bool record,
                          vg_error *err);

#endif
