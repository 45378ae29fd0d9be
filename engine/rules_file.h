/*
 * rules_file.h — reading a rules file (YAML) into rules.
 *
 *     ruleset: payment_rules      # optional when the pipeline has one ruleset
 *     default: allow              # optional
 *     rules:
 *       - rule_id: velocity_block
 *         priority: 100           # optional, default 0; larger is more important
 *         condition: card_n_1h > 10 AND amount > 500
 *         action: block
 *         mode: active            # active (default) | shadow
 *         enabled: true           # default true
 *
 * Every error carries the file's line and column: an unknown key, a missing
 * rule_id, condition or action, a duplicate rule_id, a bad mode, priority or
 * enabled, invalid YAML. The rules keep a pointer to the file's source and
 * where each condition is in it, so that vg_ruleset_compile can place a bad
 * condition's error on the file's line and column: exactly for conditions
 * written as plain or quoted one-line scalars (escapes included), and on
 * the right line for block scalars (| and >).
 */
#ifndef VG_RULES_FILE_H
#define VG_RULES_FILE_H

#include <stdint.h>

#include "engine/alloc.h"
#include "engine/error.h"
#include "engine/rules.h"

/* A parsed rules file; everything in the arena given to the parser. */
typedef struct vg_rules_file {
    const char *ruleset;        /* `ruleset:`, or NULL when absent */
    vg_span ruleset_at;         /* where its value is written (for errors), when present */
    const char *default_action; /* `default:`, or NULL when absent */
    vg_rule *rules;             /* in file order; src is the file, changed_by NULL */
    uint32_t nrules;
    uint32_t nshadow;   /* how many rules are in shadow mode */
    uint32_t ndisabled; /* how many are disabled */
} vg_rules_file;

/* Read the file at path into *src_out (its name is path, its text in
 * arena). 0, or -1 with err set: VG_ERR_IO "cannot read rules file 'PATH':
 * REASON", VG_ERR_NOMEM. */
int vg_rules_file_read(const char *path, vg_arena *arena, vg_source *src_out, vg_error *err);

/* Parse src into *out (strings and arrays in arena). src is borrowed and
 * must outlive *out's rules (they point into it). 0, or -1 with err set:
 * VG_ERR_SYNTAX for invalid YAML, VG_ERR_CONFIG for a file that is valid
 * YAML but not a valid rules file, VG_ERR_NOMEM. Conditions are not
 * compiled here (vg_ruleset_compile does that). */
int vg_rules_file_parse(const vg_source *src, vg_arena *arena, vg_rules_file *out, vg_error *err);

#endif
