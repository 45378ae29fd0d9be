/*
 * test_model_full.c — XGBoost scoring over the padded trees (udf/model_xgb.c,
 * vg_model.full): random models of trees of mixed depths (leaves at every
 * level, trees not a multiple of four, every split feature and direction)
 * scored over inputs that hit thresholds exactly, infinities and huge values,
 * compared bit for bit with a reference walk of the JSON arrays written here
 * and with the compact trees' walk (the padded copy taken away); rows with a
 * missing feature; multi:softprob; a tree too deep to pad, which scores as
 * before with no padded copy.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/alloc.h"
#include "tests/unit/check.h"
#include "udf/model.h"
#include "udf/model_int.h"

#define MAX_NODES 512
#define NFEAT     3

/* One tree as XGBoost's JSON arrays hold it. */
typedef struct tree {
    int n;                  /* nodes */
    int left[MAX_NODES];    /* left child, -1 for a leaf */
    int right[MAX_NODES];   /* right child, -1 for a leaf */
    int feat[MAX_NODES];    /* split feature */
    float cond[MAX_NODES];  /* threshold, or leaf value */
    int dleft[MAX_NODES];   /* a missing value goes left */
} tree;

static uint64_t seed = 12345;

static int rnd(int n)
{
    seed = seed * 6364136223846793005ull + 1442695040888963407ull;
    return (int)((seed >> 33) % (uint64_t)n);
}

/* A subtree of at most depth levels below its root (a chain down the right when chain),
 * numbered depth first; its root's index. */
static int grow(tree *t, int depth, bool chain)
{
    int i = t->n++;
    bool leaf = depth == 0 || (!chain && i > 0 && rnd(4) == 0);
    t->left[i] = t->right[i] = -1;
    t->feat[i] = leaf ? 0 : rnd(NFEAT);
    t->cond[i] = leaf ? (float)(rnd(129) - 64) / 64.0f : (float)(rnd(9) - 4) * 0.5f;
    t->dleft[i] = rnd(2);
    if (leaf)
        return i;
    int l = grow(t, chain ? 0 : depth - 1, false);
    int r = grow(t, depth - 1, chain);
    t->left[i] = l;
    t->right[i] = r;
    return i;
}

static char text[1 << 17];
static size_t len;

static void out(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void out(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    len += (size_t)vsnprintf(text + len, sizeof text - len, fmt, ap);
    va_end(ap);
}

/* One of the tree's int arrays as JSON. */
static void ints(const char *key, const int *v, int n)
{
    out("\"%s\":[", key);
    for (int i = 0; i < n; i++)
        out("%s%d", i ? "," : "", v[i]);
    out("],");
}

/* The model of trees t[0..n) (tree i of class cls[i]) as XGBoost's JSON. */
static void write_model(const tree *t, const int *cls, int n, int nclass)
{
    len = 0;
    out("{\"learner\":{\"gradient_booster\":{\"name\":\"gbtree\",\"model\":{"
        "\"gbtree_model_param\":{\"num_trees\":\"%d\"},\"tree_info\":[",
        n);
    for (int i = 0; i < n; i++)
        out("%s%d", i ? "," : "", cls[i]);
    out("],\"trees\":[");
    for (int i = 0; i < n; i++) {
        out("%s{\"tree_param\":{\"num_nodes\":\"%d\"},", i ? "," : "", t[i].n);
        ints("left_children", t[i].left, t[i].n);
        ints("right_children", t[i].right, t[i].n);
        ints("split_indices", t[i].feat, t[i].n);
        ints("default_left", t[i].dleft, t[i].n);
        out("\"split_conditions\":[");
        for (int k = 0; k < t[i].n; k++)
            out("%s%.9g", k ? "," : "", (double)t[i].cond[k]);
        out("]}");
    }
    out("]}},\"learner_model_param\":{\"base_score\":\"5E-1\",\"num_class\":\"%d\","
        "\"num_feature\":\"%d\"},\"objective\":{\"name\":\"%s\"}}}",
        nclass > 1 ? nclass : 0, NFEAT, nclass > 1 ? "multi:softprob" : "reg:squarederror");
}

/* The leaf tree t takes x to, walking its JSON arrays. */
static float leaf_of(const tree *t, const float *x)
{
    int i = 0;
    while (t->left[i] != -1) {
        float v = x[t->feat[i]];
        i = isnan(v) ? (t->dleft[i] ? t->left[i] : t->right[i])
                     : (v < t->cond[i] ? t->left[i] : t->right[i]);
    }
    return t->cond[i];
}

/* Random features: thresholds exactly, between them, infinities, huge values, and NaN when
 * with_nan says. */
static void features(float *x, bool with_nan)
{
    static const float odd[] = {INFINITY, -INFINITY, 3e38f, -3e38f, 0.25f, -0.0f};
    for (int f = 0; f < NFEAT; f++) {
        int k = rnd(16);
        x[f] = k < 9 ? (float)(k - 4) * 0.5f : k < 15 ? odd[k - 9] : 1.75f;
        if (with_nan && rnd(3) == 0)
            x[f] = NAN;
    }
}

static vg_error err;

static vg_model *load(void)
{
    vg_error_clear(&err);
    vg_model *m = vg_model_load_mem(VG_MODEL_XGBOOST, "m.json", text, len, &err);
    if (!m)
        fprintf(stderr, "load: %s\n", err.msg);
    return m;
}

/* The model's outputs for x over the compact trees (the padded copy hidden). */
static void compact_predict(vg_model *m, const float *x, double *y)
{
    vg_xgb_full *full = m->full;
    m->full = NULL;
    vg_model_predict(m, x, y);
    m->full = full;
}

static tree trees[13];
static int classes[13];

/* Regression over 13 random trees of depth up to 5: the padded walk gives the reference's
 * float sum exactly, and so does the compact walk; NaN rows too. */
static void test_random_regression(void)
{
    for (int round = 0; round < 20; round++) {
        int maxd = 0;
        for (int i = 0; i < 13; i++) {
            trees[i].n = 0;
            grow(&trees[i], 1 + rnd(5), false);
            classes[i] = 0;
        }
        write_model(trees, classes, 13, 1);
        vg_model *m = load();
        CHECK(m != NULL);
        if (!m)
            return;
        for (uint32_t i = 0; i < m->ntrees; i++)
            maxd = (int)m->depth[i] > maxd ? (int)m->depth[i] : maxd;
        CHECK(m->full != NULL);
        CHECK_INT(m->full_depth, maxd);
        int wrong = 0;
        for (int row = 0; row < 400; row++) {
            float x[NFEAT];
            features(x, row % 4 == 3);
            float want = 0.5f;
            for (int i = 0; i < 13; i++)
                want += leaf_of(&trees[i], x);
            double y, yc;
            vg_model_predict(m, x, &y);
            compact_predict(m, x, &yc);
            wrong += y != (double)want || memcmp(&y, &yc, sizeof y) != 0;
        }
        CHECK_INT(wrong, 0);
        vg_model_free(m);
    }
}

/* multi:softprob, trees of three classes interleaved: padded and compact agree bit for
 * bit on every output. */
static void test_random_multi(void)
{
    for (int round = 0; round < 10; round++) {
        for (int i = 0; i < 13; i++) {
            trees[i].n = 0;
            grow(&trees[i], rnd(5), false);
            classes[i] = rnd(3);
        }
        write_model(trees, classes, 13, 3);
        vg_model *m = load();
        CHECK(m != NULL && m->full != NULL);
        if (!m)
            return;
        int wrong = 0;
        for (int row = 0; row < 200; row++) {
            float x[NFEAT];
            features(x, false);
            double y[3], yc[3];
            vg_model_predict(m, x, y);
            compact_predict(m, x, yc);
            wrong += memcmp(y, yc, sizeof y) != 0;
        }
        CHECK_INT(wrong, 0);
        vg_model_free(m);
    }
}

/* A tree deeper than VG_XGB_FULL_DEPTH: no padded copy, the same scores as the reference. */
static void test_too_deep(void)
{
    trees[0].n = 0;
    grow(&trees[0], VG_XGB_FULL_DEPTH + 2, true);
    trees[1].n = 0;
    grow(&trees[1], 2, false);
    classes[0] = classes[1] = 0;
    write_model(trees, classes, 2, 1);
    vg_model *m = load();
    CHECK(m != NULL);
    if (!m)
        return;
    CHECK(m->full == NULL);
    CHECK_INT(m->full_depth, 0);
    int wrong = 0;
    for (int row = 0; row < 200; row++) {
        float x[NFEAT];
        features(x, row % 2);
        double y;
        vg_model_predict(m, x, &y);
        wrong += y != (double)(0.5f + leaf_of(&trees[0], x) + leaf_of(&trees[1], x));
    }
    CHECK_INT(wrong, 0);
    vg_model_free(m);
}

/* A model that is one leaf: depth 0, padded to its root alone. */
static void test_one_leaf(void)
{
    trees[0] = (tree){.n = 1, .left = {-1}, .right = {-1}, .cond = {0.75f}};
    classes[0] = 0;
    write_model(trees, classes, 1, 1);
    vg_model *m = load();
    CHECK(m != NULL && m->full != NULL);
    if (!m)
        return;
    CHECK_INT(m->full_depth, 0);
    double y;
    vg_model_predict(m, (float[]){1, 2, 3}, &y);
    CHECK(y == 1.25);
    vg_model_free(m);
}

int main(void)
{
    RUN(test_random_regression);
    RUN(test_random_multi);
    RUN(test_too_deep);
    RUN(test_one_leaf);
    return CHECK_DONE();
}
