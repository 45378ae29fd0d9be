/*
 * op_rules.c — APPLY_RULES: decide each row with a ruleset (engine/rules.h).
 *
 * Stateless. The ruleset is the slot's active one at the row's arrival: a
 * version activated between batches decides every row after it, and its
 * number is in each row's rules_version (engine/registry.h). A ruleset
 * with no rules loaded yet gives every row its default action, version 0.
 * The row kind passes through.
 */
#include <string.h>

#include "engine/op.h"
#include "engine/registry.h"

typedef struct rules_state {
    vg_ruleset_slot *slot; /* the ruleset */
    uint32_t nin;          /* input columns */
    vg_value *out;         /* the output row */
} rules_state;

static void rules_close(vg_op *op)
{
    rules_state *st = op->state;
    if (!st)
        return;
    vg_free(st->out);
    vg_free(st);
    op->state = NULL;
}

static int rules_open(vg_op *op, vg_error *err)
{
    const vg_plan_ruleset *rs = op->node->u.rules.ruleset;
    vg_ruleset_slot *slot = vg_registry_ruleset(op->env->registry, rs->name);
    if (!slot)
        return vg_error_set(err, VG_ERR_RUNTIME, "ruleset '%s' is not loaded", rs->name);
    rules_state *st = vg_calloc(VG_MEM_STATE, 1, sizeof *st);
    if (!st)
        return vg_error_set(err, VG_ERR_NOMEM, "out of memory");
    op->state = st;
    st->slot = slot;
    st->nin = op->node->inputs[0]->schema.ncols;
    st->out = vg_calloc(VG_MEM_STATE, op->node->schema.ncols, sizeof *st->out);
    if (!st->out) {
        rules_close(op);
        return vg_error_set(err, VG_ERR_NOMEM, "out of memory");
    }
    return 0;
}

/* The columns of a row when no rules are loaded: the default action. */
static void no_rules(const vg_plan_ruleset *rs, vg_value *out)
{
    out[0] = vg_str(rs->default_action, (uint32_t)strlen(rs->default_action));
    out[1] = vg_null();
    out[2] = vg_str("", 0);
    out[3] = vg_str("", 0);
    out[4] = vg_int(0);
}

static void rules_push(vg_op *op, uint32_t port, const vg_value *row, vg_row_kind kind)
{
    (void)port;
    rules_state *st = op->state;
    memcpy(st->out, row, st->nin * sizeof *row);
    if (st->slot->rules)
        vg_ruleset_apply(st->slot->rules, row, &op->env->eval, st->out + st->nin);
    else
        no_rules(op->node->u.rules.ruleset, st->out + st->nin);
    vg_op_emit(op, st->out, kind);
}

const vg_op_kind vg_op_rules_kind = {
    .name = "rules",
    .open = rules_open,
    .push = rules_push,
    .close = rules_close,
};
