/*
 * model_xgb.c — XGBoost models: the JSON tree XGBoost's save_model writes
 * (parsed from JSON or UBJSON) turned into compact trees, and scoring.
 *
 * What is read: learner.objective.name (any objective of model_xgb_obj.c's
 * table), learner.learner_model_param (num_feature, num_class, base_score,
 * num_target), learner.gradient_booster (name "gbtree", "dart" or
 * "gblinear"; gbtree's model, or dart's gbtree.model: gbtree_model_param.
 * num_trees, tree_info, trees; dart's weight_drop; gblinear's model.weights,
 * read by model_xgb_obj.c) and learner.feature_names. For each tree:
 * tree_param.num_nodes and the node arrays left_children, right_children,
 * split_indices, split_conditions, default_left and split_type. Everything
 * else (statistics, attributes, objective parameters) is ignored.
 *
 * Each tree becomes a run of 12-byte nodes laid out breadth-first from the
 * root, the two children of a node adjacent (so a node holds one child
 * index): only the nodes reachable from the root are kept, and a node
 * reached twice is an error, so what is built is a tree. A dart tree's
 * leaves are stored multiplied by its weight_drop (a float product, as dart
 * adds leaf * weight), so that dart scores as gbtree does. When every tree
 * is shallow (VG_XGB_FULL_DEPTH levels at most, and padding costs little
 * memory), each is also copied padded to a complete binary tree of the
 * deepest tree's depth (a leaf above the last level splits into two copies
 * of itself): a row with no missing feature walks that copy, a fixed number
 * of `x < threshold` steps per tree with no child index, default or leaf
 * mark to read (about half the instructions); a row with a missing feature
 * walks the compact trees. Both reach the same leaves.
 *
 * Scoring follows XGBoost 1.7's CPU predictor: a feature is a float32; NaN
 * is missing and takes the node's default child; otherwise `x < threshold`
 * (float32) goes left. The leaf values of a class's trees are added in
 * float32, in tree order, onto the base margin; then the objective's
 * transform (model_xgb_obj.c), or, for multi:softmax, the index of the first
 * largest class margin (XGBoost's FindMaxIndex).
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/alloc.h"
#include "udf/model_int.h"

/* The boosters by name, indexed by vg_xgb_booster. */
static const char *const booster_names[] = {
    [VG_XGB_GBTREE] = "gbtree",
    [VG_XGB_DART] = "dart",
    [VG_XGB_GBLINEAR] = "gblinear",
};
#define NBOOSTERS (sizeof booster_names / sizeof booster_names[0])

/* ---- reading the JSON tree ---- */

static const char *type_word(json_type t)
{
    static const char *const words[] = {
        [JSON_OBJECT] = "an object", [JSON_ARRAY] = "an array", [JSON_STRING] = "a string",
        [JSON_INTEGER] = "a number", [JSON_REAL] = "a number",
    };
    return (unsigned)t < sizeof words / sizeof words[0] && words[t] ? words[t] : "a value";
}

/* The member at a dotted path (e.g. "learner.objective.name") of type t; NULL with the
 * error set when missing or of another type. */
static json_t *member(const vg_model_ctx *c, json_t *root, const char *path, json_type t)
{
    json_t *v = root;
    const char *p = path;
    while (v && *p) {
        const char *dot = strchr(p, '.');
        size_t len = dot ? (size_t)(dot - p) : strlen(p);
        v = json_is_object(v) ? json_object_getn(v, p, len) : NULL;
        p += len + (dot != NULL);
    }
    if (!v) {
        vg_model_fail(c, VG_ERR_SEMANTIC, "'%s' is missing", path);
        return NULL;
    }
    if (json_typeof(v) != t && !(t == JSON_REAL && json_is_integer(v))) {
        vg_model_fail(c, VG_ERR_SEMANTIC, "'%s' is not %s", path, type_word(t));
        return NULL;
    }
    return v;
}

/* A count parameter (XGBoost writes them as strings: "12") at path, <= max. */
static int count_param(const vg_model_ctx *c, json_t *root, const char *path, uint64_t max,
                       uint32_t *out)
{
    json_t *v = member(c, root, path, JSON_STRING);
    if (!v)
        return -1;
    const char *s = json_string_value(v);
    char *end;
    errno = 0;
    unsigned long long u = strtoull(s, &end, 10);
    if (*s < '0' || *s > '9' || *end || errno || u > max)
        return vg_model_fail(c, VG_ERR_SEMANTIC, "'%s' is not a count up to %llu: '%s'", path,
                             (unsigned long long)max, s);
    *out = (uint32_t)u;
    return 0;
}

/* base_score: a string of a number ("5E-1"), read as float as XGBoost does. */
static int base_score(const vg_model_ctx *c, json_t *root, float *out)
{
    const char *path = "learner.learner_model_param.base_score";
    json_t *v = member(c, root, path, JSON_STRING);
    if (!v)
        return -1;
    const char *s = json_string_value(v);
    char *end;
    *out = strtof(s, &end);
    if (end == s || *end || !isfinite(*out))
        return vg_model_fail(c, VG_ERR_SEMANTIC, "'%s' is not a number: '%s'", path, s);
    return 0;
}

/* ---- the model's header ---- */

static int read_objective(vg_model *m, json_t *root, const vg_model_ctx *c)
{
    json_t *v = member(c, root, "learner.objective.name", JSON_STRING);
    if (!v)
        return -1;
    m->objective = vg_xgb_objective_find(json_string_value(v), c);
    return m->objective ? 0 : -1;
}

static int read_booster(vg_model *m, json_t *root, const vg_model_ctx *c)
{
    json_t *v = member(c, root, "learner.gradient_booster.name", JSON_STRING);
    if (!v)
        return -1;
    for (size_t i = 0; i < NBOOSTERS; i++)
        if (strcmp(json_string_value(v), booster_names[i]) == 0) {
            m->booster = (vg_xgb_booster)i;
            return 0;
        }
    return vg_model_fail(c, VG_ERR_SEMANTIC,
                         "booster '%.60s' is not supported (gbtree, dart, gblinear)",
                         json_string_value(v));
}

/* num_feature, num_class, num_target, base_score: nfeatures, ngroups, noutputs, base_margin. */
static int read_params(vg_model *m, json_t *root, const vg_model_ctx *c)
{
    const char *P = "learner.learner_model_param.";
    char path[96];
    uint32_t nclass, ntarget = 1;
    float base;
    snprintf(path, sizeof path, "%snum_feature", P);
    if (count_param(c, root, path, VG_XGB_FEATURE_MASK, &m->nfeatures) != 0)
        return -1;
    snprintf(path, sizeof path, "%snum_class", P);
    if (count_param(c, root, path, 1u << 20, &nclass) != 0)
        return -1;
    snprintf(path, sizeof path, "%snum_target", P);
    if (json_object_get(json_object_get(json_object_get(root, "learner"), "learner_model_param"),
                        "num_target") &&
        count_param(c, root, path, 1u << 20, &ntarget) != 0)
        return -1;
    if (ntarget != 1)
        return vg_model_fail(c, VG_ERR_SEMANTIC, "%u targets: only one is supported", ntarget);
    if (base_score(c, root, &base) != 0)
        return -1;
    if (m->objective->multiclass ? nclass < 2 : nclass > 1)
        return vg_model_fail(c, VG_ERR_SEMANTIC, "%s with num_class %u", m->objective->name,
                             nclass);
    m->ngroups = m->objective->multiclass ? nclass : 1;
    m->noutputs = m->objective->out == VG_XGB_OUT_SOFTMAX ? nclass : 1;
    return vg_xgb_base_margin(m, base, c);
}

/* learner.feature_names, when it names num_feature features. */
static int read_feature_names(vg_model *m, json_t *root, const vg_model_ctx *c)
{
    json_t *names = json_object_get(json_object_get(root, "learner"), "feature_names");
    if (!json_is_array(names) || json_array_size(names) == 0)
        return 0;
    if (json_array_size(names) != m->nfeatures)
        return vg_model_fail(c, VG_ERR_SEMANTIC, "%zu feature names for num_feature %u",
                             json_array_size(names), m->nfeatures);
    return vg_model_take_names(m, names, c);
}

/* ---- trees ---- */

/* One tree's node arrays (borrowed from the JSON tree). */
typedef struct tree_src {
    uint32_t id;     /* index of the tree, for messages */
    uint32_t nnodes; /* tree_param.num_nodes */
    float weight;    /* dart: the tree's weight_drop, by which its leaves are scaled; else 1 */
    json_t *left, *right, *feature, *cond, *dleft, *stype; /* the arrays; stype may be NULL */
} tree_src;

/* The array `key` of tree t, with t->nnodes entries; NULL with the error set. */
static json_t *node_array(const vg_model_ctx *c, json_t *tree, const tree_src *t, const char *key)
{
    json_t *a = json_object_get(tree, key);
    if (!json_is_array(a)) {
        vg_model_fail(c, VG_ERR_SEMANTIC, "tree %u: '%s' is %s", t->id, key,
                      a ? "not an array" : "missing");
        return NULL;
    }
    if (json_array_size(a) != t->nnodes) {
        vg_model_fail(c, VG_ERR_SEMANTIC, "tree %u: '%s' has %zu entries, not num_nodes %u",
                      t->id, key, json_array_size(a), t->nnodes);
        return NULL;
    }
    return a;
}

static int tree_arrays(const vg_model_ctx *c, json_t *tree, tree_src *t)
{
    if (!json_is_object(tree))
        return vg_model_fail(c, VG_ERR_SEMANTIC, "tree %u is not an object", t->id);
    const char *s = json_string_value(json_object_get(json_object_get(tree, "tree_param"),
                                                      "num_nodes"));
    char *end;
    unsigned long long u = s ? strtoull(s, &end, 10) : 0;
    if (!s || *s < '0' || *s > '9' || *end || u > VG_XGB_FEATURE_MASK)
        return vg_model_fail(c, VG_ERR_SEMANTIC, "tree %u: 'tree_param.num_nodes' is %s", t->id,
                             s ? "not a count" : "missing");
    t->nnodes = (uint32_t)u;
    if (t->nnodes == 0)
        return vg_model_fail(c, VG_ERR_SEMANTIC, "tree %u has no nodes", t->id);
    json_t *lv = json_object_get(json_object_get(tree, "tree_param"), "size_leaf_vector");
    if (lv && !(json_is_string(lv) && strcmp(json_string_value(lv), "0") == 0))
        return vg_model_fail(c, VG_ERR_SEMANTIC, "tree %u: vector leaves are not supported",
                             t->id);
    if (!(t->left = node_array(c, tree, t, "left_children")) ||
        !(t->right = node_array(c, tree, t, "right_children")) ||
        !(t->feature = node_array(c, tree, t, "split_indices")) ||
        !(t->cond = node_array(c, tree, t, "split_conditions")) ||
        !(t->dleft = node_array(c, tree, t, "default_left")))
        return -1;
    t->stype = json_object_get(tree, "split_type");
    if (t->stype && !node_array(c, tree, t, "split_type"))
        return -1;
    return 0;
}

/* Entry i of an integer array; *ok false when it is not an integer. */
static long long int_at(json_t *a, uint32_t i, bool *ok)
{
    json_t *v = json_array_get(a, i);
    if (!json_is_integer(v))
        *ok = false;
    return json_integer_value(v);
}

/* Node o of tree t into *n (children not yet placed); its children into kid[2] (-1 for a
 * leaf). */
static int read_node(const vg_model_ctx *c, const vg_model *m, const tree_src *t, uint32_t o,
                     vg_xgb_node *n, long long kid[2])
{
    bool ok = true;
    kid[0] = int_at(t->left, o, &ok);
    kid[1] = int_at(t->right, o, &ok);
    long long feat = int_at(t->feature, o, &ok);
    long long dl = int_at(t->dleft, o, &ok);
    long long st = t->stype ? int_at(t->stype, o, &ok) : 0;
    json_t *cv = json_array_get(t->cond, o);
    if (!ok)
        return vg_model_fail(c, VG_ERR_SEMANTIC, "tree %u node %u: an index is not an integer",
                             t->id, o);
    n->value = (float)json_number_value(cv);
    n->left = 0;
    n->info = VG_XGB_LEAF;
    if (kid[0] != -1) {
        for (int k = 0; k < 2; k++)
            if (kid[k] < 0 || kid[k] >= t->nnodes)
                return vg_model_fail(c, VG_ERR_SEMANTIC,
                                     "tree %u node %u: child %lld out of range", t->id, o, kid[k]);
        if (st != 0)
            return vg_model_fail(c, VG_ERR_SEMANTIC,
                                 "tree %u node %u: categorical splits are not supported", t->id,
                                 o);
        if (feat < 0 || feat >= m->nfeatures)
            return vg_model_fail(c, VG_ERR_SEMANTIC,
                                 "tree %u node %u: feature %lld out of range (num_feature %u)",
                                 t->id, o, feat, m->nfeatures);
    }
    if (!json_is_number(cv))
        return vg_model_fail(c, VG_ERR_SEMANTIC, "tree %u node %u: %s is not a finite number",
                             t->id, o, kid[0] == -1 ? "leaf value" : "split condition");
    if (kid[0] == -1) {
        n->value *= t->weight; /* as dart adds leaf * weight, a float product */
        return 0;
    }
    n->info = (uint32_t)feat | (dl ? VG_XGB_DEFAULT_LEFT : 0);
    return 0;
}

/* Lay tree t out breadth-first at m->nodes[m->nnodes...], a leaf's left pointing at itself;
 * its depth (edges from the root to the deepest leaf) into *depth. queue (2 * t->nnodes
 * entries) and seen (t->nnodes) are scratch. */
static int build_tree(vg_model *m, const vg_model_ctx *c, const tree_src *t, uint32_t *queue,
                      uint8_t *seen, uint32_t *depth)
{
    uint32_t base = m->nnodes, head = 0, tail = 1, *level = queue + t->nnodes;
    memset(seen, 0, t->nnodes);
    queue[0] = 0;
    level[0] = 0;
    seen[0] = 1;
    *depth = 0;
    for (; head < tail; head++) {
        uint32_t o = queue[head];
        vg_xgb_node *n = &m->nodes[base + head];
        long long kid[2];
        if (read_node(c, m, t, o, n, kid) != 0)
            return -1;
        *depth = level[head] > *depth ? level[head] : *depth;
        if (n->info & VG_XGB_LEAF) {
            n->left = base + head;
            continue;
        }
        for (int k = 0; k < 2; k++) {
            if (seen[kid[k]])
                return vg_model_fail(c, VG_ERR_SEMANTIC,
                                     "tree %u node %u: node %lld is reached twice", t->id, o,
                                     kid[k]);
            seen[kid[k]] = 1;
        }
        n->left = base + tail;
        level[tail] = level[tail + 1] = level[head] + 1;
        queue[tail++] = (uint32_t)kid[0];
        queue[tail++] = (uint32_t)kid[1];
    }
    m->nnodes = base + tail;
    return 0;
}

/* tree_info: the class of each tree, checked. */
static int read_tree_info(const vg_model *m, const vg_model_ctx *c, json_t *info, uint32_t i,
                          uint32_t *cls)
{
    json_t *v = json_array_get(info, i);
    long long k = json_integer_value(v);
    if (!json_is_integer(v) || k < 0 || k >= m->ngroups)
        return vg_model_fail(c, VG_ERR_SEMANTIC, "tree_info %u: class %lld out of range", i,
                             json_is_integer(v) ? k : -1LL);
    *cls = (uint32_t)k;
    return 0;
}

/* roots[] and depth[] grouped by class (tree order within a class) and class_end[]. */
static int group_by_class(vg_model *m, const vg_model_ctx *c, json_t *info,
                          const uint32_t *tree_root, const uint32_t *tree_depth)
{
    m->roots = vg_model_alloc(m, (size_t)m->ntrees * sizeof *m->roots);
    m->depth = vg_model_alloc(m, (size_t)m->ntrees * sizeof *m->depth);
    m->class_end = vg_model_alloc(m, (size_t)m->ngroups * sizeof *m->class_end);
    if (!m->roots || !m->depth || !m->class_end)
        return vg_model_nomem(c);
    memset(m->class_end, 0, (size_t)m->ngroups * sizeof *m->class_end);
    uint32_t cls, sum = 0;
    for (uint32_t i = 0; i < m->ntrees; i++) { /* counts per class */
        if (read_tree_info(m, c, info, i, &cls) != 0)
            return -1;
        m->class_end[cls]++;
    }
    for (uint32_t k = 0; k < m->ngroups; k++) { /* counts become starts */
        uint32_t n = m->class_end[k];
        m->class_end[k] = sum;
        sum += n;
    }
    for (uint32_t i = 0; i < m->ntrees; i++) { /* starts become ends */
        read_tree_info(m, c, info, i, &cls);
        m->depth[m->class_end[cls]] = tree_depth[i];
        m->roots[m->class_end[cls]++] = tree_root[i];
    }
    return 0;
}

/* src[0..ntrees).weight: dart's learner.gradient_booster.weight_drop (a number per tree),
 * else 1. */
static int tree_weights(const vg_model *m, json_t *root, const vg_model_ctx *c, tree_src *src)
{
    json_t *w = NULL;
    if (m->booster == VG_XGB_DART) {
        w = member(c, root, "learner.gradient_booster.weight_drop", JSON_ARRAY);
        if (!w)
            return -1;
        if (json_array_size(w) != m->ntrees)
            return vg_model_fail(c, VG_ERR_SEMANTIC, "dart: %zu weight_drop for %u trees",
                                 json_array_size(w), m->ntrees);
    }
    for (uint32_t i = 0; i < m->ntrees; i++) {
        json_t *v = w ? json_array_get(w, i) : NULL;
        if (w && !json_is_number(v))
            return vg_model_fail(c, VG_ERR_SEMANTIC,
                                 "dart: weight_drop %u is not a finite number", i);
        src[i].weight = w ? (float)json_number_value(v) : 1.0f;
    }
    return 0;
}

/* Every tree: node arrays checked, laid out, grouped by class. */
static int read_trees(vg_model *m, json_t *root, const vg_model_ctx *c)
{
    const char *M = m->booster == VG_XGB_DART ? "learner.gradient_booster.gbtree.model."
                                              : "learner.gradient_booster.model.";
    char path[128];
    snprintf(path, sizeof path, "%sgbtree_model_param.num_trees", M);
    if (count_param(c, root, path, 1u << 24, &m->ntrees) != 0)
        return -1;
    snprintf(path, sizeof path, "%strees", M);
    json_t *trees = member(c, root, path, JSON_ARRAY);
    snprintf(path, sizeof path, "%stree_info", M);
    json_t *info = trees ? member(c, root, path, JSON_ARRAY) : NULL;
    if (!info)
        return -1;
    if (json_array_size(trees) != m->ntrees || json_array_size(info) != m->ntrees)
        return vg_model_fail(c, VG_ERR_SEMANTIC, "num_trees %u, but %zu trees and %zu tree_info",
                             m->ntrees, json_array_size(trees), json_array_size(info));
    tree_src *src = vg_malloc(VG_MEM_UDF, ((size_t)m->ntrees + 1) * sizeof *src);
    uint32_t *tree_root = vg_malloc(VG_MEM_UDF, 2 * ((size_t)m->ntrees + 1) * sizeof *tree_root);
    uint32_t *tree_depth = tree_root ? tree_root + m->ntrees + 1 : NULL;
    int rc = src && tree_root ? tree_weights(m, root, c, src) : vg_model_nomem(c);
    uint64_t total = 0, widest = 1;
    for (uint32_t i = 0; rc == 0 && i < m->ntrees; i++) {
        src[i].id = i;
        rc = tree_arrays(c, json_array_get(trees, i), &src[i]);
        total += rc == 0 ? src[i].nnodes : 0;
        widest = rc == 0 && src[i].nnodes > widest ? src[i].nnodes : widest;
    }
    if (rc == 0 && total > VG_XGB_FEATURE_MASK)
        rc = vg_model_fail(c, VG_ERR_SEMANTIC, "%llu nodes: too many", (unsigned long long)total);
    uint32_t *queue = NULL;
    uint8_t *seen = NULL;
    if (rc == 0) {
        m->nodes = vg_model_alloc(m, total * sizeof *m->nodes);
        queue = vg_malloc(VG_MEM_UDF, 2 * widest * sizeof *queue);
        seen = vg_malloc(VG_MEM_UDF, widest);
        if (!m->nodes || !queue || !seen)
            rc = vg_model_nomem(c);
    }
    for (uint32_t i = 0; rc == 0 && i < m->ntrees; i++) {
        tree_root[i] = m->nnodes;
        rc = build_tree(m, c, &src[i], queue, seen, &tree_depth[i]);
    }
    if (rc == 0)
        rc = group_by_class(m, c, info, tree_root, tree_depth);
    vg_free(src);
    vg_free(tree_root);
    vg_free(queue);
    vg_free(seen);
    return rc;
}

/* ---- the padded copy ---- */

/* Copy the subtree of compact node k, at level `level`, to node i of tree t padded to d
 * levels: a leaf above the last level becomes a split whose children are both it. */
static void pad_node(const vg_model *m, vg_xgb_full *t, uint32_t d, uint32_t i, uint32_t k,
                     uint32_t level)
{
    const vg_xgb_node *n = &m->nodes[k];
    bool leaf = (n->info & VG_XGB_LEAF) != 0;
    if (level == d) { /* no tree is deeper than d: a leaf */
        t[i] = (vg_xgb_full){n->value, 0};
        return;
    }
    t[i] = leaf ? (vg_xgb_full){0.0f, 0} : (vg_xgb_full){n->value, n->info & VG_XGB_FEATURE_MASK};
    pad_node(m, t, d, 2 * i + 1, leaf ? k : n->left, level + 1);
    pad_node(m, t, d, 2 * i + 2, leaf ? k : n->left + 1, level + 1);
}

/* m->full, when the trees are shallow enough that padding them costs little: a row with no
 * missing feature then walks each tree without reading child indices, defaults or leaf
 * marks. 0, or -1 when out of memory. */
static int build_full(vg_model *m, const vg_model_ctx *c)
{
    uint32_t d = 0;
    for (uint32_t i = 0; i < m->ntrees; i++)
        d = m->depth[i] > d ? m->depth[i] : d;
    if (d > VG_XGB_FULL_DEPTH || m->nfeatures == 0 || m->ntrees == 0)
        return 0;
    size_t size = ((size_t)2 << d) - 1, n = m->ntrees * size;
    if (n > (size_t)VG_XGB_FULL_GROWTH * m->nnodes + 4096)
        return 0;
    m->full = vg_model_alloc(m, n * sizeof *m->full);
    if (!m->full)
        return vg_model_nomem(c);
    m->full_depth = d;
    for (uint32_t i = 0; i < m->ntrees; i++)
        pad_node(m, m->full + i * size, d, 0, m->roots[i], 0);
    return 0;
}

int vg_model_xgb_build(vg_model *m, json_t *root, const vg_model_ctx *c)
{
    if (read_objective(m, root, c) != 0 || read_booster(m, root, c) != 0 ||
        read_params(m, root, c) != 0 || read_feature_names(m, root, c) != 0)
        return -1;
    if (m->booster == VG_XGB_GBLINEAR)
        return vg_xgb_gblinear_build(m, root, c);
    if (read_trees(m, root, c) != 0 || build_full(m, c) != 0)
        return -1;
    snprintf(m->describe, sizeof m->describe, "xgboost %s%s, %u trees, %u features",
             m->booster == VG_XGB_DART ? "dart " : "", m->objective->name, m->ntrees,
             m->nfeatures);
    return 0;
}

/* ---- scoring ---- */

/* One step down from node k: to its left or right child, or (a leaf) nowhere. Branch-free:
 * a missing (NaN) value takes the default child, else `v < threshold` goes left. */
static inline uint32_t step(const vg_xgb_node *nodes, uint32_t k, const float *x)
{
    const vg_xgb_node *n = &nodes[k];
    uint32_t info = n->info;
    float v = x[info & VG_XGB_FEATURE_MASK];
    uint32_t lt = v < n->value, missing = v != v, dl = (info >> 30) & 1;
    uint32_t right = (1u - lt) ^ (missing & dl);
    return n->left + (right & ~(info >> 31));
}

/* acc plus the leaf values of trees [t, end) (roots and depths in m), added in tree order.
 * Trees are walked LANES at a time in lockstep for as many steps as the deepest of them has
 * levels (a leaf stays put), so that their loads overlap and no branch depends on the data. */
#define LANES 16
static float trees_sum(const vg_model *m, uint32_t t, uint32_t end, const float *x, float acc)
{
    const vg_xgb_node *nodes = m->nodes;
    for (; t + LANES <= end; t += LANES) {
        uint32_t k[LANES], depth = 0;
        for (int j = 0; j < LANES; j++) {
            k[j] = m->roots[t + j];
            depth = m->depth[t + j] > depth ? m->depth[t + j] : depth;
        }
        for (uint32_t d = 0; d < depth; d++)
            for (int j = 0; j < LANES; j++)
                k[j] = step(nodes, k[j], x);
        for (int j = 0; j < LANES; j++)
            acc += nodes[k[j]].value;
    }
    for (; t < end; t++) {
        uint32_t k = m->roots[t];
        for (uint32_t d = 0; d < m->depth[t]; d++)
            k = step(nodes, k, x);
        acc += nodes[k].value;
    }
    return acc;
}

/* One step down padded tree `tree` from node i: `x < threshold` goes to the left child 2i+1,
 * else to the right 2i+2. */
static inline size_t full_step(const vg_xgb_full *tree, size_t i, const float *x)
{
    return 2 * i + 2 - (x[tree[i].feature] < tree[i].value);
}

/* acc plus the leaf values of trees [t, end) in the padded copy, for an x with no NaN: the
 * same leaves as trees_sum finds, added in the same order, so the same float. Every walk is
 * full_depth steps; four trees walk side by side, so that their loads overlap and the loop
 * costs a quarter. */
static float full_sum(const vg_model *m, uint32_t t, uint32_t end, const float *x, float acc)
{
    uint32_t d = m->full_depth;
    size_t size = ((size_t)2 << d) - 1;
    const vg_xgb_full *a = m->full + t * size;
    for (; t + 4 <= end; t += 4, a += 4 * size) {
        const vg_xgb_full *b = a + size, *c = b + size, *e = c + size;
        size_t i = 0, j = 0, k = 0, l = 0; /* size_t: no widening before each load */
        for (uint32_t n = 0; n < d; n++) {
            i = full_step(a, i, x);
            j = full_step(b, j, x);
            k = full_step(c, k, x);
            l = full_step(e, l, x);
        }
        acc += a[i].value;
        acc += b[j].value;
        acc += c[k].value;
        acc += e[l].value;
    }
    for (; t < end; t++, a += size) {
        size_t i = 0;
        for (uint32_t n = 0; n < d; n++)
            i = full_step(a, i, x);
        acc += a[i].value;
    }
    return acc;
}

/* Whether one of x's n features is missing (NaN). */
static bool any_missing(const float *x, uint32_t n)
{
    bool nan = false;
    for (uint32_t i = 0; i < n; i++)
        nan |= x[i] != x[i];
    return nan;
}

/* The margin of output group k for x: its trees' leaves summed onto the base margin (through
 * the padded copy when `full`), or gblinear's weighted sum. */
static float group_margin(const vg_model *m, uint32_t k, const float *x, bool full)
{
    if (m->booster == VG_XGB_GBLINEAR)
        return vg_xgb_gblinear_margin(m, k, x);
    uint32_t t = k ? m->class_end[k - 1] : 0;
    return full ? full_sum(m, t, m->class_end[k], x, m->base_margin)
                : trees_sum(m, t, m->class_end[k], x, m->base_margin);
}

void vg_model_xgb_predict(const vg_model *m, const float *x, double *out)
{
    bool full = m->full && !any_missing(x, m->nfeatures);
    if (m->objective->out == VG_XGB_OUT_ARGMAX) { /* the first largest, as FindMaxIndex */
        float best = group_margin(m, 0, x, full);
        uint32_t arg = 0;
        for (uint32_t k = 1; k < m->ngroups; k++) {
            float v = group_margin(m, k, x, full);
            if (v > best) {
                best = v;
                arg = k;
            }
        }
        out[0] = arg;
        return;
    }
    for (uint32_t k = 0; k < m->ngroups; k++)
        out[k] = group_margin(m, k, x, full);
    vg_xgb_transform(m->objective, out, m->noutputs);
}
