/*
 * op_predict.c — ML_PREDICT: score each row with a model (udf/model.h).
 *
 * Stateless. The DESCRIPTOR columns become the model's features as
 * XGBoost reads them: float32, a NULL feature the missing value (NaN),
 * BOOLEAN 0 or 1. The scores (and the shadow model's) are appended to the
 * row; a score that is NaN (a logistic or linear model with a NULL
 * feature) is NULL; an ARRAY<DOUBLE> output gets every score in one value
 * in the batch's scratch arena, like a string a function makes; with
 * 'version_column', each model's version follows its scores. The model is the slot's active one at the row's
 * arrival: a new version activated between batches scores every row after
 * it (engine/registry.h). The row kind passes through, so an updating
 * input stays updating.
 */
#include <math.h>
#include <string.h>

#include "engine/op.h"
#include "engine/registry.h"

typedef struct predict_state {
    vg_model_slot *slot;   /* the model */
    vg_model_slot *shadow; /* its shadow, or NULL */
    uint32_t nin;          /* input columns */
    float *x;              /* the features of the row being scored */
    double *y;             /* its scores (the larger of the two models' counts) */
    vg_value *out;         /* the output row */
} predict_state;

static void predict_close(vg_op *op)
{
    predict_state *st = op->state;
    if (!st)
        return;
    vg_free(st->x);
    vg_free(st->y);
    vg_free(st->out);
    vg_free(st);
    op->state = NULL;
}

static int predict_open(vg_op *op, vg_error *err)
{
    const vg_plan_model *m = op->node->u.predict.model;
    vg_model_slot *slot = vg_registry_model(op->env->registry, m->name);
    vg_model_slot *shadow = m->shadow ? vg_registry_model(op->env->registry, m->shadow->name) : NULL;
    if (!slot || !slot->model || (m->shadow && (!shadow || !shadow->model)))
        return vg_error_set(err, VG_ERR_RUNTIME, "model '%s' is not loaded",
                            slot && slot->model ? m->shadow->name : m->name);
    predict_state *st = vg_calloc(VG_MEM_STATE, 1, sizeof *st);
    if (!st)
        return vg_error_set(err, VG_ERR_NOMEM, "out of memory");
    op->state = st;
    st->slot = slot;
    st->shadow = shadow;
    st->nin = op->node->inputs[0]->schema.ncols;
    uint32_t ny = vg_model_noutputs(slot->model); /* an ARRAY output holds them all */
    if (shadow && vg_model_noutputs(shadow->model) > ny)
        ny = vg_model_noutputs(shadow->model);
    st->x = vg_calloc(VG_MEM_STATE, m->input.ncols + 1, sizeof *st->x);
    st->y = vg_calloc(VG_MEM_STATE, ny + 1, sizeof *st->y);
    st->out = vg_calloc(VG_MEM_STATE, op->node->schema.ncols, sizeof *st->out);
    if (!st->x || !st->y || !st->out) {
        predict_close(op);
        return vg_error_set(err, VG_ERR_NOMEM, "out of memory");
    }
    return 0;
}

/* Feature i of the row as XGBoost reads it. */
static float feature(const vg_value *v, vg_type t)
{
    if (v->null)
        return NAN;
    return t == VG_T_DOUBLE ? (float)v->u.d : (float)v->u.i; /* BOOLEAN: 0 or 1 */
}

/* The model's k scores in y as one ARRAY<DOUBLE> value in the batch's
 * scratch arena (a NaN score a NULL element); NULL when out of memory. */
static vg_value score_array(vg_op *op, const double *y, uint32_t k)
{
    vg_value v;
    double *d = vg_array_new(op->env->eval.scratch, k, &v);
    if (!d) {
        if (op->env->eval.err)
            vg_error_set(op->env->eval.err, VG_ERR_NOMEM, "out of memory");
        return v;
    }
    uint8_t *nulls = (uint8_t *)(d + k);
    for (uint32_t i = 0; i < k; i++) {
        nulls[i] = isnan(y[i]) != 0;
        d[i] = nulls[i] ? 0.0 : y[i];
    }
    return v;
}

/* Score the features in st->x with slot's model into out: its n scores
 * (declared x's OUTPUT columns: one DOUBLE each, or one ARRAY<DOUBLE> of
 * them all), then its version when with_version. The values written. */
static uint32_t score(vg_op *op, const vg_model_slot *slot, const vg_plan_model *x,
                      bool with_version, vg_value *out)
{
    predict_state *st = op->state;
    uint32_t n = x->output.ncols;
    vg_model_predict(slot->model, st->x, st->y);
    if (n == 1 && x->output.cols[0].type == VG_T_ARRAY)
        out[0] = score_array(op, st->y, vg_model_noutputs(slot->model));
    else
        for (uint32_t i = 0; i < n; i++)
            out[i] = isnan(st->y[i]) ? vg_null() : vg_double(st->y[i]);
    if (with_version)
        out[n] = vg_int(slot->version);
    return n + with_version;
}

static void predict_push(vg_op *op, uint32_t port, const vg_value *row, vg_row_kind kind)
{
    (void)port;
    predict_state *st = op->state;
    const vg_plan_node *n = op->node;
    const vg_plan_model *m = n->u.predict.model;
    const vg_schema *in = &n->inputs[0]->schema;
    for (uint32_t i = 0; i < m->input.ncols; i++) {
        uint32_t c = n->u.predict.cols[i];
        st->x[i] = feature(&row[c], in->cols[c].type);
    }
    memcpy(st->out, row, st->nin * sizeof *row);
    bool v = m->version_column != NULL;
    uint32_t at = st->nin + score(op, st->slot, m, v, st->out + st->nin);
    if (st->shadow)
        score(op, st->shadow, m->shadow, v, st->out + at);
    vg_op_emit(op, st->out, kind);
}

const vg_op_kind vg_op_predict_kind = {
    .name = "predict",
    .open = predict_open,
    .push = predict_push,
    .close = predict_close,
};
