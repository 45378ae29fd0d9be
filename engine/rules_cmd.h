/*
 * rules_cmd.h — what `vigil rules load` and `vigil rules list` do.
 *
 *     vigil rules load PIPELINE FILE [--by NAME]
 *     vigil rules list PIPELINE [RULESET]
 *
 * engine/main.c parses the command line and the pipeline, and passes the
 * pipeline's store path and, for each CREATE RULESET, its name, default
 * action and the schema of the table APPLY_RULES reads. These functions
 * do the rest and print their result to out; errors are returned, not
 * printed.
 */
#ifndef VG_RULES_CMD_H
#define VG_RULES_CMD_H

#include <stdint.h>
#include <stdio.h>

#include "engine/error.h"
#include "engine/rules.h"
#include "engine/store.h"
#include "engine/value.h"

/* A ruleset the pipeline declares. */
typedef struct vg_rules_target {
    const char *ruleset;        /* CREATE RULESET name */
    const char *default_action; /* its 'default' option, or NULL (then "allow") */
    const vg_schema *input;     /* the columns its conditions may use */
} vg_rules_target;

/* A rules file stored by vg_rules_store_file. */
typedef struct vg_rules_stored {
    const vg_rules_target *target; /* the ruleset it is for (one of the targets) */
    int64_t version;               /* the version it is stored as, made active */
    uint32_t nrules, nshadow, ndisabled;
    vg_ruleset *compiled;          /* its rules compiled, numbered `version` (the caller's) */
} vg_rules_stored;

/* What `rules load` and a running pipeline's registry do with a rules file:
 * read and parse it, pick its target (as below), compile every rule (a
 * bad one: its error, positioned in the file, and nothing stored), and
 * store them in st as the target's next version, made active. 0 with *out
 * filled, or -1 with err set. */
int vg_rules_store_file(vg_store *st, const vg_rules_target *targets, uint32_t ntargets,
                        const char *path, const char *by, vg_rules_stored *out, vg_error *err);

/* Load the rules file at path into the store at store_path: parse it,
 * pick its ruleset (the file's `ruleset:`, which must be one of targets,
 * or the only target when the file names none), compile every rule
 * against that ruleset's input (nothing is stored if any fails), and
 * store them as the ruleset's next version, made active. The default
 * action is the file's `default:`, else the target's, else "allow". by
 * (who loads; NULL: "unknown") goes into changed_by. Prints
 *     payment_rules: version 3, 12 rules (2 shadow, 1 disabled)
 * to out. 0, or -1 with err set: the file's errors (positioned in it),
 * VG_ERR_CONFIG "unknown ruleset 'X'; the pipeline declares A, B" (at the
 * file's ruleset:), VG_ERR_CONFIG "the pipeline declares N rulesets; say
 * which with 'ruleset:'" / "the pipeline declares no ruleset", the
 * store's errors. */
int vg_rules_cmd_load(const char *store_path, const vg_rules_target *targets, uint32_t ntargets,
                      const char *path, const char *by, FILE *out, vg_error *err);

/* Print the active version of ruleset (NULL: of every ruleset in the
 * store, by name, separated by blank lines) as a header line and a table of its rules in priority
 * order:
 *     payment_rules: version 3, default allow, loaded by ana at 2026-11-23T10:00:00.000Z
 *       from rules.yaml                                        (on one line)
 *     rule_id  priority  mode    enabled  action  changed_by  changed_at  condition
 *     big           100  active  true     block   ana         2026-...Z   amount > 500
 *     ...
 * 0, or -1 with err set: VG_ERR_NAME "ruleset 'X' has no rules in store
 * 'PATH'", the store's errors. An empty store prints "no rulesets in
 * store 'PATH'". */
int vg_rules_cmd_list(const char *store_path, const char *ruleset, FILE *out, vg_error *err);

#endif
