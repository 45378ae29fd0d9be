/*
 * op_project.c — filter and projection: WHERE, then the SELECT list.
 *
 * Stateless. The output row is built in a buffer owned by the operator and
 * reused for every row; strings in it point into the input row or the
 * scratch arena, which live until the end of the batch.
 */
#include "engine/op.h"

typedef struct project_state {
    vg_value *row; /* output row being built, node->schema.ncols values */
} project_state;

static int project_open(vg_op *op, vg_error *err)
{
    project_state *st = vg_calloc(VG_MEM_STATE, 1, sizeof *st);
    uint32_t n = op->node->u.project.nexprs;
    if (st)
        st->row = vg_calloc(VG_MEM_STATE, n ? n : 1, sizeof *st->row);
    if (!st || !st->row) {
        if (st)
            vg_free(st);
        return vg_error_set(err, VG_ERR_NOMEM, "out of memory");
    }
    op->state = st;
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
    for (uint32_t i = 0; i < n->u.project.nexprs; i++)
        vg_expr_eval(n->u.project.exprs[i], row, ctx, &st->row[i]);
    vg_op_emit(op, st->row, kind);
}

static void project_close(vg_op *op)
{
    project_state *st = op->state;
    if (!st)
        return;
    vg_free(st->row);
    vg_free(st);
    op->state = NULL;
}

const vg_op_kind vg_op_project_kind = {
    .name = "project",
    .open = project_open,
    .push = project_push,
    .close = project_close,
};
