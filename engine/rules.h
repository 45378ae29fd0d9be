/*
 * rules.h — compiled rulesets: the decision step of APPLY_RULES.
 *
 * A ruleset is a named, versioned list of rules. Each rule has a SQL
 * boolean condition over the columns of the table APPLY_RULES reads, an
 * action (a word such as block, review or allow), a priority and a mode.
 * vg_ruleset_compile parses and binds every condition with the SQL front
 * end (the same parser, binder and expression compiler as the queries),
 * and gives an immutable vg_ruleset: shared by pointer, read by any number
 * of operators, swapped between batches by replacing the pointer, freed by
 * whoever holds the last reference (vigil's operator keeps the old one
 * until the batch that used it is done).
 *
 * Semantics of vg_ruleset_apply, per row:
 *   - Rules are considered in priority order: larger priority first, and
 *     on equal priority rule_id ascending (byte order).
 *   - A disabled rule is kept (listed, stored, its condition compiled) but
 *     never evaluated.
 *   - A condition matches only when it is TRUE: FALSE and NULL (SQL's
 *     unknown, e.g. a comparison with a NULL column) do not match. An error
 *     in data (division by zero, a bad cast) gives NULL, as everywhere in
 *     vigil's SQL, so it does not match either.
 *   - decision      the action of the first matching active rule, else the
 *                   ruleset's default action
 *   - rule_id       that rule's id, or NULL when no active rule matched
 *   - matched_rules ids of every matching active rule, in priority order,
 *                   joined by "," ("" when none)
 *   - shadow_rules  the same for matching shadow rules (they never decide)
 *   - rules_version the ruleset's version, so every output row says which
 *                   version decided it
 */
#ifndef VG_RULES_H
#define VG_RULES_H

#include <stdbool.h>
#include <stdint.h>

#include "engine/error.h"
#include "engine/expr.h"
#include "engine/value.h"

/* One rule, as written in a rules file or stored in the metadata store.
 * Every pointer is borrowed by the functions that take a vg_rule. */
typedef struct vg_rule {
    const char *rule_id;   /* unique within its ruleset, non-empty */
    int64_t priority;      /* larger = more important; ties: rule_id ascending */
    const char *condition; /* a SQL boolean expression over the input's columns */
    const char *action;    /* e.g. block, review, allow; non-empty */
    bool shadow;           /* mode 'shadow': evaluated and reported, never decides */
    bool enabled;          /* a disabled rule is kept but not evaluated */
    const char *changed_by; /* who last changed the rule's text (may be NULL) */
    int64_t changed_at;     /* when, epoch ms (0 when unknown) */
    const vg_source *src;   /* the text the condition was read from (the rules file),
                               or NULL (rules from the store) */
    uint32_t cond_off;      /* src: offset of the condition's first byte in src->text */
    const uint32_t *cond_map; /* src: NULL when the condition is src->text[cond_off..]
                                 byte for byte; else strlen(condition) + 1 offsets in
                                 src->text, of each condition byte and of its end (for
                                 quoted, escaped or multi-line YAML scalars) */
} vg_rule;

/* A compiled ruleset (opaque, immutable). */
typedef struct vg_ruleset vg_ruleset;

/* How many columns APPLY_RULES appends, and their names and types, in
 * order: decision STRING, rule_id STRING, matched_rules STRING,
 * shadow_rules STRING, rules_version BIGINT. */
#define VG_RULES_NOUT 5
extern const vg_column vg_rules_out_columns[VG_RULES_NOUT];

/* Compile rules[0..n) over the columns of input. Everything is copied:
 * the ruleset borrows nothing from its arguments after returning. Returns
 * the ruleset (owned by the caller; vg_ruleset_free) or NULL with err set:
 *   - a condition that does not parse or bind: the parser's or binder's
 *     error (VG_ERR_SYNTAX, VG_ERR_NAME, VG_ERR_TYPE, VG_ERR_SEMANTIC) with
 *     the message prefixed "rule 'ID': ". With rule.src, it is positioned
 *     in that file (the line and column of the bad token, the file's line
 *     and carets under the token); without, it is positioned in the
 *     condition text, whose source name is "<rule ID>".
 *   - a condition that is not BOOLEAN: VG_ERR_TYPE "rule 'ID': condition
 *     must be BOOLEAN, not DOUBLE", over the whole condition (a bare NULL
 *     is accepted and never matches);
 *   - VG_ERR_SEMANTIC "rule N has no rule_id", "rule 'ID' has no action",
 *     "duplicate rule_id 'ID'", "ruleset 'NAME' has no default action";
 *   - VG_ERR_NOMEM "out of memory".
 * Disabled rules are compiled (checked) too. n may be 0. */
vg_ruleset *vg_ruleset_compile(const char *name, int64_t version, const char *default_action,
                               const vg_rule *rules, uint32_t n, const vg_schema *input,
                               vg_error *err);
/* Free rs and everything it holds; NULL does nothing. */
void vg_ruleset_free(vg_ruleset *rs);

/* Decide one row (values in input's column order) into out: the five
 * columns of vg_rules_out_columns. Strings point into rs (valid while rs
 * lives) or, when several rules match, into ctx->scratch (valid until it
 * is reset). Never fails on data; when the scratch arena cannot grow,
 * matched_rules/shadow_rules hold only the first id and ctx->err is set
 * to VG_ERR_NOMEM. */
void vg_ruleset_apply(const vg_ruleset *rs, const vg_value *row, vg_eval_ctx *ctx,
                      vg_value out[VG_RULES_NOUT]);

const char *vg_ruleset_name(const vg_ruleset *rs);
int64_t vg_ruleset_version(const vg_ruleset *rs);
/* Number rs as version `version`: for the one who compiled it, before the
 * version is known (it is checked, then stored) and before anyone shares it. */
void vg_ruleset_set_version(vg_ruleset *rs, int64_t version);
const char *vg_ruleset_default_action(const vg_ruleset *rs);
/* Rules in priority order (disabled ones included); the pointers are rs's.
 * A returned rule's src is NULL. */
uint32_t vg_ruleset_nrules(const vg_ruleset *rs);
const vg_rule *vg_ruleset_rule(const vg_ruleset *rs, uint32_t i);

#endif
