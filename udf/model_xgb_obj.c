/*
 * model_xgb_obj.c — what an XGBoost model is besides its trees: the table of
 * objectives (how base_score becomes the base margin and how the margins
 * become the outputs, as XGBoost 1.7's ProbToMargin and PredTransform do
 * them, in float where XGBoost is), and the gblinear booster (a weight per
 * feature and output group plus a bias, summed in float as XGBoost's
 * GBLinear::Pred sums them).
 *
 * Objective parameters XGBoost saves beside the name (tweedie_variance_power,
 * huber_slope, max_delta_step, aft_loss_distribution, ...) only shape
 * training: prediction does not read them, so neither does vigil.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "engine/alloc.h"
#include "udf/model_int.h"

/* Every objective XGBoost 1.7 saves, in the order error messages list them. */
static const vg_xgb_objective objectives[] = {
    {"binary:logistic", VG_XGB_BASE_LOGIT, VG_XGB_OUT_SIGMOID, false},
    {"binary:logitraw", VG_XGB_BASE_SAME, VG_XGB_OUT_MARGIN, false}, /* 1.7: no logit */
    {"binary:hinge", VG_XGB_BASE_SAME, VG_XGB_OUT_HINGE, false},
    {"reg:squarederror", VG_XGB_BASE_SAME, VG_XGB_OUT_MARGIN, false},
    {"reg:squaredlogerror", VG_XGB_BASE_SAME, VG_XGB_OUT_MARGIN, false},
    {"reg:logistic", VG_XGB_BASE_LOGIT, VG_XGB_OUT_SIGMOID, false},
    {"reg:pseudohubererror", VG_XGB_BASE_SAME, VG_XGB_OUT_MARGIN, false},
    {"reg:absoluteerror", VG_XGB_BASE_SAME, VG_XGB_OUT_MARGIN, false},
    {"reg:gamma", VG_XGB_BASE_LOG, VG_XGB_OUT_EXP, false},
    {"reg:tweedie", VG_XGB_BASE_LOG, VG_XGB_OUT_EXP, false},
    {"count:poisson", VG_XGB_BASE_LOG, VG_XGB_OUT_EXP, false},
    {"survival:cox", VG_XGB_BASE_LOG, VG_XGB_OUT_EXP, false},
    {"survival:aft", VG_XGB_BASE_LOG, VG_XGB_OUT_EXP_D, false}, /* exp() on a float: double */
    {"multi:softprob", VG_XGB_BASE_SAME, VG_XGB_OUT_SOFTMAX, true},
    {"multi:softmax", VG_XGB_BASE_SAME, VG_XGB_OUT_ARGMAX, true},
    {"rank:pairwise", VG_XGB_BASE_SAME, VG_XGB_OUT_MARGIN, false},
    {"rank:ndcg", VG_XGB_BASE_SAME, VG_XGB_OUT_MARGIN, false},
    {"rank:map", VG_XGB_BASE_SAME, VG_XGB_OUT_MARGIN, false},
};
#define NOBJECTIVES (sizeof objectives / sizeof objectives[0])

const vg_xgb_objective *vg_xgb_objective_find(const char *name, const vg_model_ctx *c)
{
    for (size_t i = 0; i < NOBJECTIVES; i++)
        if (strcmp(name, objectives[i].name) == 0)
            return &objectives[i];
    char list[400];
    size_t len = 0;
    for (size_t i = 0; i < NOBJECTIVES && len < sizeof list; i++)
        len += (size_t)snprintf(list + len, sizeof list - len, "%s%s", i ? ", " : "",
                                objectives[i].name);
    vg_model_fail(c, VG_ERR_SEMANTIC, "objective '%.60s' is not supported (%s)", name, list);
    return NULL;
}

/* ---- base_score to the base margin ---- */

static float base_same(float b) { return b; }
static float base_logit(float b) { return -logf(1.0f / b - 1.0f); }
static float base_log(float b) { return logf(b); }
static bool any_base(float b) { return b == b; }
static bool unit_base(float b) { return b > 0.0f && b < 1.0f; }
static bool positive_base(float b) { return b > 0.0f; }

/* One base rule: the margin, the base scores it takes and what they are called. */
typedef struct base_rule {
    float (*margin)(float base); /* base_score to margin, in float */
    bool (*valid)(float base);   /* whether base_score is in the domain */
    const char *domain;          /* the domain, for the error */
} base_rule;

/* The rules, indexed by vg_xgb_base. */
static const base_rule base_rules[] = {
    [VG_XGB_BASE_SAME] = {base_same, any_base, "a number"},
    [VG_XGB_BASE_LOGIT] = {base_logit, unit_base, "a probability in (0, 1)"},
    [VG_XGB_BASE_LOG] = {base_log, positive_base, "positive"},
};

int vg_xgb_base_margin(vg_model *m, float base, const vg_model_ctx *c)
{
    const base_rule *r = &base_rules[m->objective->base];
    if (!r->valid(base))
        return vg_model_fail(c, VG_ERR_SEMANTIC, "base_score %g is not %s", (double)base,
                             r->domain);
    m->base_margin = r->margin(base);
    return 0;
}

/* ---- margins to outputs ---- */

static void out_margin(double *out, uint32_t n) { (void)out, (void)n; }

/* XGBoost 1.7's common::Sigmoid: -margin capped at 88.7 (so a very negative margin gives
 * 3.0e-39, not 0), then 1 / (expf + 1 + 1e-16) in float. */
static void out_sigmoid(double *out, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++) {
        float z = -(float)out[i];
        z = 88.7f < z ? 88.7f : z;
        out[i] = 1.0f / (expf(z) + 1.0f + 1e-16f);
    }
}

static void out_exp(double *out, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++)
        out[i] = expf((float)out[i]);
}

static void out_exp_double(double *out, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++)
        out[i] = (float)exp((double)(float)out[i]);
}

static void out_hinge(double *out, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++)
        out[i] = (float)out[i] > 0.0f ? 1.0 : 0.0;
}

/* The softmax of out[0..n), as XGBoost's common::Softmax: the largest margin subtracted,
 * expf in float, the sum in double, each divided in float. */
static void out_softmax(double *out, uint32_t n)
{
    float wmax = (float)out[0];
    for (uint32_t i = 1; i < n; i++)
        wmax = fmaxf((float)out[i], wmax);
    double wsum = 0.0;
    for (uint32_t i = 0; i < n; i++) {
        out[i] = expf((float)out[i] - wmax);
        wsum += out[i];
    }
    for (uint32_t i = 0; i < n; i++)
        out[i] = (float)out[i] / (float)wsum;
}

/* The transforms, indexed by vg_xgb_out (argmax is the scorer's). */
static void (*const transforms[])(double *, uint32_t) = {
    [VG_XGB_OUT_MARGIN] = out_margin, [VG_XGB_OUT_SIGMOID] = out_sigmoid,
    [VG_XGB_OUT_EXP] = out_exp,       [VG_XGB_OUT_EXP_D] = out_exp_double,
    [VG_XGB_OUT_HINGE] = out_hinge,   [VG_XGB_OUT_SOFTMAX] = out_softmax,
    [VG_XGB_OUT_ARGMAX] = out_margin,
};

void vg_xgb_transform(const vg_xgb_objective *o, double *out, uint32_t n)
{
    transforms[o->out](out, n);
}

/* ---- gblinear ---- */

int vg_xgb_gblinear_build(vg_model *m, json_t *root, const vg_model_ctx *c)
{
    json_t *w = json_object_get(
        json_object_get(json_object_get(json_object_get(root, "learner"), "gradient_booster"),
                        "model"),
        "weights");
    if (!json_is_array(w))
        return vg_model_fail(c, VG_ERR_SEMANTIC, "'learner.gradient_booster.model.weights' is %s",
                             w ? "not an array" : "missing");
    size_t n = ((size_t)m->nfeatures + 1) * m->ngroups;
    if (json_array_size(w) != n)
        return vg_model_fail(c, VG_ERR_SEMANTIC,
                             "gblinear: %zu weights, not (num_feature + 1) * %u = %zu",
                             json_array_size(w), m->ngroups, n);
    m->weights = vg_model_alloc(m, n * sizeof *m->weights);
    if (!m->weights)
        return vg_model_nomem(c);
    for (size_t i = 0; i < n; i++) {
        json_t *v = json_array_get(w, i);
        if (!json_is_number(v))
            return vg_model_fail(c, VG_ERR_SEMANTIC, "gblinear: weight %zu is not a finite number",
                                 i);
        m->weights[i] = (float)json_number_value(v);
    }
    snprintf(m->describe, sizeof m->describe, "xgboost gblinear %s, %u features",
             m->objective->name, m->nfeatures);
    return 0;
}

float vg_xgb_gblinear_margin(const vg_model *m, uint32_t g, const float *x)
{
    uint32_t ng = m->ngroups;
    float psum = m->weights[(size_t)m->nfeatures * ng + g] + m->base_margin;
    for (uint32_t i = 0; i < m->nfeatures; i++)
        if (x[i] == x[i])
            psum += x[i] * m->weights[(size_t)i * ng + g];
    return psum;
}
