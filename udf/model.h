/*
 * model.h — load model files and score rows with them (ML_PREDICT).
 *
 * Three model types. `xgboost`: the JSON or UBJSON file XGBoost's
 * save_model writes (boosters gbtree, dart and gblinear; numerical splits;
 * every objective XGBoost 1.7 saves, udf/model_xgb_obj.c), scored exactly
 * as XGBoost 1.7 predicts: features and thresholds as float32, `x <
 * threshold` goes left, a missing value (NaN) follows the node's default
 * direction, leaves summed in float32 in tree order onto the base margin,
 * then the objective's transform (sigmoid, exp, softmax, argmax, ...) as
 * XGBoost computes it. `logistic` and `linear`: a small
 * JSON file
 *
 *     {"coefficients": [w0, w1, ...], "intercept": b, "features": ["a", "b", ...]}
 *
 * ("features" optional: the names of the inputs, in order, for the SQL layer
 * to check), scored in double as b + sum w_i x_i (linear) and
 * 1 / (1 + exp(-(b + sum w_i x_i))) (logistic); a NaN (missing) feature makes
 * the output NaN, which the SQL layer turns into NULL.
 *
 * A loaded model is immutable: share it between threads freely. Scoring
 * never allocates.
 */
#ifndef VG_MODEL_H
#define VG_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "engine/error.h"

typedef enum vg_model_type { VG_MODEL_XGBOOST, VG_MODEL_LOGISTIC, VG_MODEL_LINEAR } vg_model_type;
typedef struct vg_model vg_model; /* immutable once loaded; safe to share */

/* The type named by WITH ('type' = name), case-insensitive; -1 when unknown. */
int vg_model_type_from_name(const char *name);
/* The lowercase name of a type ("xgboost", ...); "?" for a value out of range. */
const char *vg_model_type_name(vg_model_type type);

/* Load from bytes (the file's content; `name` is the file name for errors). JSON or UBJSON is
 * told from the content (UBJSON starts with '{' followed by a length marker 'i'/'U'/'l'/'L'
 * etc.; JSON with '{' then whitespace or '"'). NULL with err set (VG_ERR_IO or
 * VG_ERR_SEMANTIC): "model file 'x.json': <what is wrong>", e.g. "objective 'reg:quantileerror'
 * is not supported (binary:logistic, ... the supported names)", "not a model file:
 * <jansson's message> at line L column C", "tree 3 node 7: child 99 out of range".
 * VG_ERR_NOMEM "out of memory" when an allocation fails. The bytes are borrowed. */
vg_model *vg_model_load_mem(vg_model_type type, const char *name, const void *bytes, size_t n,
                            vg_error *err);
/* Read the file, then vg_model_load_mem. A file that cannot be read: VG_ERR_IO
 * "model file 'x': cannot read: <strerror>". */
vg_model *vg_model_load(vg_model_type type, const char *path, vg_error *err);
/* Free a model (NULL is fine). */
void vg_model_free(vg_model *m);

vg_model_type vg_model_type_of(const vg_model *m);
uint32_t vg_model_nfeatures(const vg_model *m); /* features it reads (xgboost: num_feature) */
uint32_t vg_model_noutputs(const vg_model *m);  /* 1, or num_class for multi:softprob
                                                   (multi:softmax: 1, the class) */
/* e.g. "xgboost binary:logistic, 50 trees, 12 features" (owned by m) */
const char *vg_model_describe(const vg_model *m);
/* The name of feature i as the file gives it (xgboost: feature_names; logistic/linear:
 * "features"), owned by m; NULL when the file names no features or i is out of range. */
const char *vg_model_feature_name(const vg_model *m, uint32_t i);
/* Bytes the loaded model holds (its node arrays, names, ...). */
size_t vg_model_bytes(const vg_model *m);

/* Score one row: x[0..nfeatures) as XGBoost reads them (float32; NaN = missing, i.e. a SQL
 * NULL). out[0..noutputs) receives what XGBoost's predict returns (float32 values, widened).
 * logistic/linear: see above (computed in double; NaN when any feature is NaN).
 * Never allocates; thread-safe. */
void vg_model_predict(const vg_model *m, const float *x, double *out);

#endif
