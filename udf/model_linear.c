/*
 * model_linear.c — the `linear` and `logistic` model types: a small JSON file
 *
 *     {"coefficients": [0.5, -1.25, 3], "intercept": -2.0, "features": ["a", "b", "c"]}
 *
 * "coefficients" (numbers, at least one) and "intercept" (a number) are
 * required; "features" (one name per coefficient) is optional; any other key
 * is an error, so a misspelt key is caught. Scoring, in double:
 * linear = intercept + sum coefficient_i * x_i; logistic = 1 / (1 + exp(-linear)).
 * A NaN feature (a SQL NULL) makes the output NaN (the SQL layer's NULL).
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "engine/alloc.h"
#include "udf/model_int.h"

/* The keys a file may have. */
static const char *const known_keys[] = {"coefficients", "intercept", "features"};

static int check_keys(json_t *root, const vg_model_ctx *c)
{
    const char *key;
    json_t *v;
    json_object_foreach(root, key, v) {
        size_t i = 0;
        while (i < 3 && strcmp(key, known_keys[i]) != 0)
            i++;
        if (i == 3)
            return vg_model_fail(c, VG_ERR_SEMANTIC,
                                 "unknown key '%s' (coefficients, intercept, features)", key);
    }
    return 0;
}

static int read_coefficients(vg_model *m, json_t *root, const vg_model_ctx *c)
{
    json_t *a = json_object_get(root, "coefficients");
    if (!json_is_array(a) || json_array_size(a) == 0)
        return vg_model_fail(c, VG_ERR_SEMANTIC, "'coefficients' is %s",
                             !a ? "missing" : json_is_array(a) ? "empty" : "not an array");
    if (json_array_size(a) > VG_XGB_FEATURE_MASK)
        return vg_model_fail(c, VG_ERR_SEMANTIC, "too many coefficients");
    m->nfeatures = (uint32_t)json_array_size(a);
    m->coef = vg_model_alloc(m, m->nfeatures * sizeof *m->coef);
    if (!m->coef)
        return vg_model_nomem(c);
    for (uint32_t i = 0; i < m->nfeatures; i++) {
        json_t *v = json_array_get(a, i);
        if (!json_is_number(v))
            return vg_model_fail(c, VG_ERR_SEMANTIC, "coefficient %u is not a number", i);
        m->coef[i] = json_number_value(v);
    }
    json_t *b = json_object_get(root, "intercept");
    if (!json_is_number(b))
        return vg_model_fail(c, VG_ERR_SEMANTIC, "'intercept' is %s",
                             b ? "not a number" : "missing");
    m->intercept = json_number_value(b);
    return 0;
}

static int read_features(vg_model *m, json_t *root, const vg_model_ctx *c)
{
    json_t *a = json_object_get(root, "features");
    if (!a)
        return 0;
    if (!json_is_array(a))
        return vg_model_fail(c, VG_ERR_SEMANTIC, "'features' is not an array");
    if (json_array_size(a) != m->nfeatures)
        return vg_model_fail(c, VG_ERR_SEMANTIC, "'features' has %zu names for %u coefficients",
                             json_array_size(a), m->nfeatures);
    return vg_model_take_names(m, a, c);
}

int vg_model_linear_build(vg_model *m, json_t *root, const vg_model_ctx *c)
{
    if (check_keys(root, c) != 0 || read_coefficients(m, root, c) != 0 ||
        read_features(m, root, c) != 0)
        return -1;
    m->noutputs = 1;
    snprintf(m->describe, sizeof m->describe, "%s, %u features", vg_model_type_name(m->type),
             m->nfeatures);
    return 0;
}

void vg_model_linear_predict(const vg_model *m, const float *x, double *out)
{
    double z = m->intercept;
    for (uint32_t i = 0; i < m->nfeatures; i++)
        z += m->coef[i] * (double)x[i];
    out[0] = m->type == VG_MODEL_LOGISTIC ? 1.0 / (1.0 + exp(-z)) : z;
}
