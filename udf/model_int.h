/*
 * model_int.h — what the model files share: the loaded model's layout, the
 * error helper that names the file, and the per-type builders and scorers.
 *
 * model.c reads the file, parses JSON (Jansson) or UBJSON (ubjson.c) into one
 * json_t tree and hands it to the type's builder (model_xgb.c,
 * model_linear.c), which fills a vg_model. Scoring dispatches on the type.
 */
#ifndef VG_MODEL_INT_H
#define VG_MODEL_INT_H

#include <jansson.h>
#include <stdbool.h>

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

#define VG_XGB_LEAF         0x80000000u /* info of a leaf */
#define VG_XGB_DEFAULT_LEFT 0x40000000u /* a missing value goes left */
#define VG_XGB_FEATURE_MASK 0x3fffffffu /* the feature index in info */

/* The objectives supported, in the order of their names in error messages. */
typedef enum vg_xgb_objective { VG_XGB_LOGISTIC, VG_XGB_SQUARED, VG_XGB_SOFTPROB } vg_xgb_objective;

struct vg_model {
    vg_model_type type;    /* which of the fields below are used */
    uint32_t nfeatures;    /* features read from a row */
    uint32_t noutputs;     /* values written per row */
    char **feature_names;  /* nfeatures names (owned, each owned), or NULL */
    size_t bytes;          /* bytes allocated for this model */
    char describe[160];    /* vg_model_describe's text */
    /* xgboost */
    vg_xgb_objective objective; /* how margins become outputs */
    float base_margin;          /* base_score, as a margin (logit for binary:logistic) */
    uint32_t ntrees;            /* trees in the model */
    uint32_t nnodes;            /* nodes in `nodes` */
    vg_xgb_node *nodes;         /* every tree's nodes (owned) */
    uint32_t *roots;            /* ntrees root indices, grouped by class, in tree order (owned) */
    uint32_t *depth;            /* ntrees depths (levels below the root), as roots (owned) */
    uint32_t *class_end;        /* noutputs ends: class c has roots [class_end[c-1], class_end[c]) */
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

/* Fill m (type set, everything else zero) from the parsed file root. 0, or -1 with the
 * error set; m is then freed by the caller with whatever it holds. */
int vg_model_xgb_build(vg_model *m, json_t *root, const vg_model_ctx *c);
int vg_model_linear_build(vg_model *m, json_t *root, const vg_model_ctx *c);

void vg_model_xgb_predict(const vg_model *m, const float *x, double *out);
void vg_model_linear_predict(const vg_model *m, const float *x, double *out);

#endif
