/*
 * model_int.h — what the model files share: the loaded model's layout, the
 * error helper that names the file, and the per-type builders and scorers.
 *
 * The udf model module is the one that includes Jansson, here. model.c
 * reads the file, parses JSON (Jansson) or UBJSON (ubjson.c) into one
 * json_t tree and hands it to the type's builder (model_xgb.c, with
 * model_xgb_obj.c for objectives and gblinear; model_linear.c), which fills
 * a vg_model. Scoring dispatches on the type.
 */
#ifndef VG_MODEL_INT_H
#define VG_MODEL_INT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "udf/model.h"

/* One node of a compact XGBoost tree; 12 bytes. The nodes of a tree are laid
 * out breadth-first with the two children of a node adjacent; a leaf's left
 * is the leaf itself, so a walk can take more steps than a path is long. */
typedef struct vg_xgb_node {
    float value;   /* split threshold; the leaf value for a leaf */
    uint32_t info; /* feature index, | VG_XGB_DEFAULT_LEFT; VG_XGB_LEAF for a leaf */
    uint32_t left; /* index in the model's node array of the left child (right is left + 1);
                      for a leaf, its own index */
} vg_xgb_node;

/* One node of a tree padded to a complete binary tree (vg_model.full): the children of node
 * i are 2i+1 (left) and 2i+2 (right), so no child index is stored; 8 bytes. */
typedef struct vg_xgb_full {
    float value;      /* split threshold; the leaf value on the last level */
    uint32_t feature; /* feature index (0 for a leaf padded down: both its children are it) */
} vg_xgb_full;

/* The padded copy is made when every tree is at most this deep, and it holds no more than
 * VG_XGB_FULL_GROWTH times the nodes of the compact trees (plus a little). */
#define VG_XGB_FULL_DEPTH  10
#define VG_XGB_FULL_GROWTH 8

#define VG_XGB_LEAF         0x80000000u /* info of a leaf */
#define VG_XGB_DEFAULT_LEFT 0x40000000u /* a missing value goes left */
#define VG_XGB_FEATURE_MASK 0x3fffffffu /* the feature index in info */

/* How an objective turns base_score into the base margin (XGBoost's ProbToMargin). */
typedef enum vg_xgb_base {
    VG_XGB_BASE_SAME,  /* the margin is base_score */
    VG_XGB_BASE_LOGIT, /* -logf(1 / base_score - 1); base_score in (0, 1) */
    VG_XGB_BASE_LOG    /* logf(base_score); base_score > 0 */
} vg_xgb_base;

/* How an objective turns the margins into the outputs (XGBoost's PredTransform). */
typedef enum vg_xgb_out {
    VG_XGB_OUT_MARGIN,  /* the margin itself */
    VG_XGB_OUT_SIGMOID, /* 1 / (1 + expf(-margin)) */
    VG_XGB_OUT_EXP,     /* expf(margin) */
    VG_XGB_OUT_EXP_D,   /* exp of the margin in double, rounded to float (survival:aft) */
    VG_XGB_OUT_HINGE,   /* 1 when margin > 0, else 0 */
    VG_XGB_OUT_SOFTMAX, /* the class probabilities (one output per class) */
    VG_XGB_OUT_ARGMAX   /* the index of the first largest class margin (one output) */
} vg_xgb_out;

/* One objective XGBoost saves (learner.objective.name); model_xgb_obj.c holds the table. */
typedef struct vg_xgb_objective {
    const char *name; /* as XGBoost writes it, e.g. "binary:logistic" */
    vg_xgb_base base; /* base_score to margin */
    vg_xgb_out out;   /* margins to outputs */
    bool multiclass;  /* one margin per class (num_class >= 2); else one margin (num_class <= 1) */
} vg_xgb_objective;

/* The boosters XGBoost 1.7 saves (learner.gradient_booster.name). */
typedef enum vg_xgb_booster { VG_XGB_GBTREE, VG_XGB_DART, VG_XGB_GBLINEAR } vg_xgb_booster;

struct vg_model {
    vg_model_type type;    /* which of the fields below are used */
    uint32_t nfeatures;    /* features read from a row */
    uint32_t noutputs;     /* values written per row */
    char **feature_names;  /* nfeatures names (owned, each owned), or NULL */
    size_t bytes;          /* bytes allocated for this model */
    char describe[160];    /* vg_model_describe's text */
    /* xgboost */
    const vg_xgb_objective *objective; /* how base_score and margins become outputs
                                          (model_xgb_obj.c's static table) */
    vg_xgb_booster booster;     /* trees (gbtree; dart, leaves pre-scaled) or gblinear */
    uint32_t ngroups;           /* margins per row: num_class, or 1 */
    float base_margin;          /* base_score as a margin (the objective's base rule) */
    float *weights;             /* gblinear: (nfeatures + 1) * ngroups; feature i, group g at
                                   i * ngroups + g, the bias of g at nfeatures * ngroups + g
                                   (owned); NULL for trees */
    uint32_t ntrees;            /* trees in the model */
    uint32_t nnodes;            /* nodes in `nodes` */
    vg_xgb_node *nodes;         /* every tree's nodes (owned) */
    uint32_t *roots;            /* ntrees root indices, grouped by class, in tree order (owned) */
    uint32_t *depth;            /* ntrees depths (levels below the root), as roots (owned) */
    uint32_t *class_end;        /* ngroups ends: class c has roots [class_end[c-1], class_end[c]) */
    uint32_t full_depth;        /* levels below the root of every tree in `full` */
    vg_xgb_full *full;          /* the trees as roots orders them, each padded to full_depth
                                   levels ((2 << full_depth) - 1 nodes apiece), for rows with
                                   no missing feature; NULL when too deep or too large (owned) */
    /* logistic, linear */
    double *coef;     /* nfeatures coefficients (owned) */
    double intercept; /* b */
};

/* Where a load reports its error: the file name and the caller's error. */
typedef struct vg_model_ctx {
    const char *name; /* file name, for messages */
    vg_error *err;    /* the caller's error */
} vg_model_ctx;

/* Set "model file 'NAME': <message>" with code; returns -1. */
int vg_model_fail(const vg_model_ctx *c, vg_errcode code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Set VG_ERR_NOMEM "out of memory"; returns -1. */
int vg_model_nomem(const vg_model_ctx *c);
/* vg_malloc'ed memory counted into m->bytes; NULL when out of memory. */
void *vg_model_alloc(vg_model *m, size_t n);
/* Copy the m->nfeatures strings of JSON array names into m->feature_names
 * ("feature N is not a string" otherwise). 0, or -1 with the error set. */
int vg_model_take_names(vg_model *m, json_t *names, const vg_model_ctx *c);

/* Fill m (type set, everything else zero) from the parsed file root. 0, or -1 with the
 * error set; m is then freed by the caller with whatever it holds. */
int vg_model_xgb_build(vg_model *m, json_t *root, const vg_model_ctx *c);
int vg_model_linear_build(vg_model *m, json_t *root, const vg_model_ctx *c);

void vg_model_xgb_predict(const vg_model *m, const float *x, double *out);

/* ---- XGBoost objectives and the gblinear booster (model_xgb_obj.c) ---- */

/* The objective saved as `name`; NULL with the error set (naming every supported one) when
 * it is not supported. */
const vg_xgb_objective *vg_xgb_objective_find(const char *name, const vg_model_ctx *c);
/* m->base_margin from base_score by m->objective's rule; -1 with the error set when base is
 * outside the rule's domain. */
int vg_xgb_base_margin(vg_model *m, float base, const vg_model_ctx *c);
/* out[0..n) (margins, float values) become the objective's outputs in place (not for
 * VG_XGB_OUT_ARGMAX, which the scorer applies while it sums). */
void vg_xgb_transform(const vg_xgb_objective *o, double *out, uint32_t n);
/* m->weights from learner.gradient_booster.model.weights (m->nfeatures, m->ngroups set). */
int vg_xgb_gblinear_build(vg_model *m, json_t *root, const vg_model_ctx *c);
/* Margin of group g for row x: bias + base margin, then + x_i * w_i for every present
 * feature in order, in float (XGBoost's GBLinear::Pred). */
float vg_xgb_gblinear_margin(const vg_model *m, uint32_t g, const float *x);
void vg_model_linear_predict(const vg_model *m, const float *x, double *out);

/* * ---- UBJSON (ubjson.c) ----
 *
 * A small UBJSON (Universal Binary JSON, draft 12) reader that
 * builds a Jansson tree, so that one model loader serves JSON and UBJSON.
 *
 * Reads what XGBoost's save_model writes and the rest of the format: null
 * (Z), no-op (N, skipped), true/false (T/F), integers (i int8, U uint8,
 * I int16, l int32, L int64; big-endian), floats (d float32, D float64),
 * char (C), strings (S), arrays and objects, plain or optimized with a count
 * (`#`) and optionally one type for every element (`$`). A float that is
 * not finite (NaN, infinity) becomes JSON null, which Jansson cannot hold as
 * a number. High-precision numbers (H) are refused. Nesting is limited to
 * VG_UBJSON_MAX_DEPTH. A count or length larger than the bytes left is an
 * error (but see VG_UBJSON_MAX_EMPTY).
 *
 * Jansson allocates the tree with its own allocator.
 */
#define VG_UBJSON_MAX_DEPTH 64    /* containers nested deeper are refused */
#define VG_UBJSON_MAX_EMPTY 65536 /* a count may exceed the bytes left by this much only in a
                                     container typed null, true or false (no bytes each) */

/* Why a parse failed. */
typedef struct vg_ubjson_error {
    char text[128]; /* e.g. "data ends early", "unknown type marker 'q'" */
    size_t offset;  /* byte offset where the problem was found */
} vg_ubjson_error;

/* Parse bytes[0..n) (one value; trailing bytes other than no-ops are an error) into a new
 * tree owned by the caller (json_decref). NULL with *e filled on malformed input or when
 * out of memory (text "out of memory"). */
json_t *vg_ubjson_parse(const void *bytes, size_t n, vg_ubjson_error *e);

#endif
