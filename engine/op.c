/*
 * op.c — what all operators share: watermark forwarding and the table from
 * plan node kinds to operator kinds.
 */
#include "engine/op.h"

void vg_op_emit_watermark(vg_op *op, int64_t wm)
{
    if (wm <= op->wm)
        return;
    op->wm = wm;
    for (uint32_t i = 0; i < op->nout; i++) {
        vg_op *to = op->out[i].to;
        if (to->kind->watermark)
            to->kind->watermark(to, wm);
        else
            vg_op_emit_watermark(to, wm);
    }
}

void vg_op_late(vg_op *op, const vg_value *row, int64_t ts)
{
    op->env->late_rows++;
    if (op->env->late)
        op->env->late(op->env->late_arg, op, row, ts);
}

/* Indexed by vg_plan_kind. */
static const vg_op_kind *const kind_for_plan[] = {
    [VG_PLAN_SOURCE] = &vg_op_source_kind,
    [VG_PLAN_PROJECT] = &vg_op_project_kind,
    [VG_PLAN_SINK] = &vg_op_sink_kind,
    [VG_PLAN_OVER] = &vg_op_over_kind,
    [VG_PLAN_WINDOW] = &vg_op_window_kind,
    [VG_PLAN_GROUP] = &vg_op_group_kind,
    [VG_PLAN_RANK] = &vg_op_rank_kind,
    [VG_PLAN_PREDICT] = &vg_op_predict_kind,
    [VG_PLAN_RULES] = &vg_op_rules_kind,
    [VG_PLAN_MATCH] = &vg_op_match_kind,
};

const vg_op_kind *vg_op_kind_for(vg_plan_kind k)
{
    if ((size_t)k >= sizeof kind_for_plan / sizeof kind_for_plan[0])
        return NULL;
    return kind_for_plan[k];
}
