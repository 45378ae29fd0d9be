/*
 * runner_common.c — what the runners share: the late-row dead letter, the
 * registry a run opens for itself.
 */
#include "engine/runner_common.h"

#include <string.h>

#include "engine/buf.h"
#include "engine/json_out.h"
#include "engine/registry.h"

void vg_runner_late_row(void *arg, const vg_op *op, const vg_value *row, int64_t ts)
{
    vg_buf *b = arg;
    const vg_plan_node *in = op->node->ninputs ? op->node->inputs[0] : op->node;
    const char *name = op->node->name ? op->node->name : op->kind->name;
    char t1[40], t2[40];
    vg_ts_format(ts, t1);
    vg_ts_format(op->wm, t2);
    size_t mark = b->len;
    if (vg_buf_puts(b, "{\"source\":") < 0 || vg_json_write_string(b, name, strlen(name)) < 0 ||
        vg_buf_printf(b, ",\"reason\":\"late: event time %s is behind the watermark %s\",\"row\":",
                      t1, t2) < 0 ||
        vg_json_write_row(b, &in->schema, row) < 0)
        goto nomem;
    /* the row ends in "}\n": close the dead letter around it */
    b->len--;
    if (vg_buf_puts(b, "}\n") < 0)
        goto nomem;
    return;
nomem:
    b->len = mark;
    vg_error_set(op->env->eval.err, VG_ERR_NOMEM, "out of memory");
}

int vg_runner_open_registry(const vg_plan *plan, struct vg_registry *given,
                            const char *store_path, struct vg_registry **out, bool *owned,
                            vg_error *err)
{
    *out = given;
    *owned = false;
    if (given || (!plan->nmodels && !plan->nrulesets))
        return 0;
    if (!(*out = vg_registry_new(plan)))
        return vg_error_set(err, VG_ERR_NOMEM, "out of memory");
    *owned = true;
    return vg_registry_load(*out, store_path, err);
}
