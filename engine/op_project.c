/*
 * op_project.c — filter and projection: WHERE, then the SELECT list.
 *
 * Stateless. The output row is built in a buffer owned by the operator and
 * reused for every row; strings in it point into the input row or the
 * scratch arena, which live until the end of the batch. A SELECT item that
 * is a bare column is copied from its slot without an evaluation call; a
 * list that is every input column in order (a view's SELECT * or a
 * projection that renames nothing) passes the input row on as it is.
 */
#include "engine/op.h"

#define NOT_COLUMN (-1) /* slots[i] of an item that is evaluated */

typedef struct project_state {
    vg_value *row;   /* output row being built, node->schema.ncols values */
    int32_t *slots;  /* per item, its input slot when it is a bare column, else NOT_COLUMN */
    bool identity;   /* the items are the input's columns in order: emit the input row */
} project_state;

static void project_close(vg_op *op)
{
    project_state *st = op->state;
    if (!st)
        return;
    vg_free(st->row);
    vg_free(st->slots);
    vg_free(st);
    op->state = NULL;
}

/* st->slots and st->identity from the node's items. */
static void plan_items(project_state *st, const vg_plan_node *n)
{
    uint32_t nexprs = n->u.project.nexprs;
    st->identity = n->ninputs == 1 && n->inputs[0]->schema.ncols == nexprs;
    for (uint32_t i = 0; i < nexprs; i++) {
        st->slots[i] = vg_expr_column_slot(n->u.project.exprs[i]);
        st->identity = st->identity && st->slots[i] == (int32_t)i;
    }
}

static int project_open(vg_op *op, vg_error *err)
{
    project_state *st = vg_calloc(VG_MEM_STATE, 1, sizeof *st);
    uint32_t n = op->node->u.project.nexprs;
    op->state = st;
    if (st) {
        st->row = vg_calloc(VG_MEM_STATE, n ? n : 1, sizeof *st->row);
        st->slots = vg_calloc(VG_MEM_STATE, n ? n : 1, sizeof *st->slots);
    }
    if (!st || !st->row || !st->slots) {
        project_close(op);
        return vg_error_set(err, VG_ERR_NOMEM, "out of memory");
    }
    plan_items(st, op->node);
    return 0;
}

static void project_push(vg_op *op, uint32_t port, const vg_value *row, vg_row_kind kind)
{
    (void)port;
    const vg_plan_node *n = op->node;
    vg_eval_ctx *ctx = &op->env->eval;
    if (n->u.project.filter && !vg_expr_is_true(n->u.project.filter, row, ctx))
        return;
    project_state *st = op->state;
    if (st->identity) {
        vg_op_emit(op, row, kind);
        return;
    }
    /* Locals: a store into out could alias st's fields for the compiler, reloaded each time. */
    vg_value *out = st->row;
    const int32_t *slots = st->slots;
    vg_expr *const *exprs = n->u.project.exprs;
    for (uint32_t i = 0, nexprs = n->u.project.nexprs; i < nexprs; i++) {
        int32_t slot = slots[i];
        if (slot != NOT_COLUMN)
            out[i] = row[slot];
        else
            vg_expr_eval(exprs[i], row, ctx, &out[i]);
    }
    vg_op_emit(op, out, kind);
}

const vg_op_kind vg_op_project_kind = {
    .name = "project",
    .open = project_open,
    .push = project_push,
    .close = project_close,
};
