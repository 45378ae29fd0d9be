/*
 * test_model.c — the model scorer: hand-written tiny XGBoost models with
 * scores worked out by hand (float32 sums, the threshold itself going right,
 * missing values taking the default child, a right child that is not
 * left + 1), the same models as UBJSON (encoded here from the JSON tree in
 * several of UBJSON's container forms), multi:softprob, linear and logistic
 * with the NaN rule, every error message exactly, the UBJSON reader's own
 * cases, and every allocation made to fail in turn.
 */
#include <math.h>
#include <stdlib.h>
#include <unistd.h>

#include "engine/alloc.h"
#include "tests/unit/check.h"
#include "udf/model.h"
#include "udf/model_int.h"

/* Two trees over (amount, count). Tree 0: amount < 1.5 (missing left) ? 0.25 : -0.5.
 * Tree 1: count < 0 (missing right) ? node 2 = -0.125 : node 1 = 0.375. */
static const char BINARY[] =
    "{\"learner\":{\"attributes\":{},\"feature_names\":[\"amount\",\"count\"],"
    "\"feature_types\":[\"float\",\"int\"],\"gradient_booster\":{\"model\":{"
    "\"gbtree_model_param\":{\"num_parallel_tree\":\"1\",\"num_trees\":\"2\","
    "\"size_leaf_vector\":\"0\"},\"tree_info\":[0,0],\"trees\":["
    "{\"id\":0,\"tree_param\":{\"num_deleted\":\"0\",\"num_feature\":\"2\",\"num_nodes\":\"3\","
    "\"size_leaf_vector\":\"0\"},\"left_children\":[1,-1,-1],\"right_children\":[2,-1,-1],"
    "\"split_indices\":[0,0,0],\"split_conditions\":[1.5,0.25,-0.5],\"default_left\":[1,0,0],"
    "\"split_type\":[0,0,0],\"base_weights\":[0.1,0.2,0.3],\"categories\":[]},"
    "{\"id\":1,\"tree_param\":{\"num_deleted\":\"0\",\"num_feature\":\"2\",\"num_nodes\":\"3\","
    "\"size_leaf_vector\":\"0\"},\"left_children\":[2,-1,-1],\"right_children\":[1,-1,-1],"
    "\"split_indices\":[1,0,0],\"split_conditions\":[0.0,0.375,-0.125],\"default_left\":[0,0,0],"
    "\"split_type\":[0,0,0],\"base_weights\":[0.1,0.2,0.3],\"categories\":[]}"
    "]},\"name\":\"gbtree\"},\"learner_model_param\":{\"base_score\":\"5E-1\","
    "\"boost_from_average\":\"1\",\"num_class\":\"0\",\"num_feature\":\"2\",\"num_target\":\"1\"},"
    "\"objective\":{\"name\":\"binary:logistic\",\"reg_loss_param\":{\"scale_pos_weight\":\"1\"}}},"
    "\"version\":[1,7,4]}";

/* Three classes; tree_info 0,1,2,0; every tree a stump on feature 0 at 0.5 (missing left). */
static const char MULTI[] =
    "{\"learner\":{\"gradient_booster\":{\"name\":\"gbtree\",\"model\":{"
    "\"gbtree_model_param\":{\"num_trees\":\"4\"},\"tree_info\":[0,1,2,0],\"trees\":["
    "{\"tree_param\":{\"num_nodes\":\"3\"},\"left_children\":[1,-1,-1],"
    "\"right_children\":[2,-1,-1],\"split_indices\":[0,0,0],\"split_conditions\":[0.5,1.0,-1.0],"
    "\"default_left\":[1,0,0]},"
    "{\"tree_param\":{\"num_nodes\":\"3\"},\"left_children\":[1,-1,-1],"
    "\"right_children\":[2,-1,-1],\"split_indices\":[0,0,0],\"split_conditions\":[0.5,0.5,2.0],"
    "\"default_left\":[1,0,0]},"
    "{\"tree_param\":{\"num_nodes\":\"1\"},\"left_children\":[-1],\"right_children\":[-1],"
    "\"split_indices\":[0],\"split_conditions\":[0.25],\"default_left\":[0]},"
    "{\"tree_param\":{\"num_nodes\":\"3\"},\"left_children\":[1,-1,-1],"
    "\"right_children\":[2,-1,-1],\"split_indices\":[0,0,0],\"split_conditions\":[0.5,0.1,0.2],"
    "\"default_left\":[1,0,0]}]}},"
    "\"learner_model_param\":{\"base_score\":\"5E-1\",\"num_class\":\"3\",\"num_feature\":\"1\"},"
    "\"objective\":{\"name\":\"multi:softprob\"}}}";

static const char LINEAR[] =
    "{\"coefficients\": [0.5, -2, 0.125], \"intercept\": 1.5, \"features\": [\"a\", \"b\", \"c\"]}";

/* ---- helpers ---- */

static char edited[8192];

/* BINARY (or src) with the one occurrence of `from` replaced by `to`, in a static buffer. */
static const char *edit_of(const char *src, const char *from, const char *to)
{
    const char *at = strstr(src, from);
    if (!at || strstr(at + 1, from)) {
        fprintf(stderr, "test bug: '%s' is not in the model exactly once\n", from);
        exit(2);
    }
    snprintf(edited, sizeof edited, "%.*s%s%s", (int)(at - src), src, to, at + strlen(from));
    return edited;
}

static const char *edit(const char *from, const char *to) { return edit_of(BINARY, from, to); }

static vg_error err;

static vg_model *load_type(vg_model_type type, const char *text, size_t n)
{
    vg_error_clear(&err);
    return vg_model_load_mem(type, "m.json", text, n, &err);
}

static vg_model *load(const char *text) { return load_type(VG_MODEL_XGBOOST, text, strlen(text)); }

/* The error message of loading text as type; "" when it loads. */
static const char *load_error_type(vg_model_type type, const char *text)
{
    vg_model *m = load_type(type, text, strlen(text));
    vg_model_free(m);
    return m ? "" : err.msg;
}

static const char *load_error(const char *text) { return load_error_type(VG_MODEL_XGBOOST, text); }

static double sigmoidf(float m) { return 1.0f / (1.0f + expf(-m)); }

/* ---- a UBJSON writer, to test the reader and the UBJSON models ---- */

typedef struct ubuf {
    unsigned char b[16384]; /* the bytes */
    size_t n;               /* bytes used */
} ubuf;

static void put(ubuf *u, const void *p, size_t n)
{
    memcpy(u->b + u->n, p, n);
    u->n += n;
}

static void put_byte(ubuf *u, int c)
{
    unsigned char b = (unsigned char)c;
    put(u, &b, 1);
}

static void put_be(ubuf *u, uint64_t v, int k)
{
    for (int i = k - 1; i >= 0; i--)
        put_byte(u, (int)(v >> (8 * i)));
}

static void put_len(ubuf *u, size_t n) /* lengths as 'U' when small, else 'l' */
{
    if (n < 256) {
        put_byte(u, 'U');
        put_be(u, n, 1);
    } else {
        put_byte(u, 'l');
        put_be(u, n, 4);
    }
}

/* Encode v: arrays of reals as [$d#, arrays of small ints as [$i#, other arrays counted with
 * markers, objects uncounted (style 0) or counted (style 1), integers as 'L', strings 'S'. */
static void encode(ubuf *u, json_t *v, int style)
{
    size_t i, n;
    json_t *e;
    const char *k;
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        put_byte(u, '{');
        if (style) {
            put_byte(u, '#');
            put_len(u, json_object_size(v));
        }
        json_object_foreach(v, k, e) {
            put_len(u, strlen(k));
            put(u, k, strlen(k));
            encode(u, e, style);
        }
        if (!style)
            put_byte(u, '}');
        return;
    case JSON_ARRAY: {
        bool reals = json_array_size(v) > 0, small = reals;
        json_array_foreach(v, i, e) {
            reals = reals && json_is_real(e);
            small = small && json_is_integer(e) && labs((long)json_integer_value(e)) < 128;
        }
        n = json_array_size(v);
        put_byte(u, '[');
        if (reals || small) {
            put(u, reals ? "$d#" : "$i#", 3);
            put_len(u, n);
            json_array_foreach(v, i, e) {
                if (reals) {
                    float f = (float)json_real_value(e);
                    uint32_t b;
                    memcpy(&b, &f, 4);
                    put_be(u, b, 4);
                } else {
                    put_be(u, (uint64_t)json_integer_value(e), 1);
                }
            }
            return;
        }
        put_byte(u, '#');
        put_len(u, n);
        json_array_foreach(v, i, e) encode(u, e, style);
        return;
    }
    case JSON_STRING:
        put_byte(u, 'S');
        put_len(u, json_string_length(v));
        put(u, json_string_value(v), json_string_length(v));
        return;
    case JSON_INTEGER:
        put_byte(u, 'L');
        put_be(u, (uint64_t)json_integer_value(v), 8);
        return;
    case JSON_REAL: {
        double d = json_real_value(v);
        uint64_t b;
        memcpy(&b, &d, 8);
        put_byte(u, 'D');
        put_be(u, b, 8);
        return;
    }
    case JSON_TRUE:
        put_byte(u, 'T');
        return;
    case JSON_FALSE:
        put_byte(u, 'F');
        return;
    default:
        put_byte(u, 'Z');
    }
}

static ubuf ub;

/* text (JSON) re-encoded as UBJSON into ub. */
static void to_ubjson(const char *text, int style)
{
    json_t *root = json_loads(text, 0, NULL);
    ub.n = 0;
    encode(&ub, root, style);
    json_decref(root);
}

/* ---- the tests ---- */

static void test_type_names(void)
{
    CHECK_INT(vg_model_type_from_name("xgboost"), VG_MODEL_XGBOOST);
    CHECK_INT(vg_model_type_from_name("XGBoost"), VG_MODEL_XGBOOST);
    CHECK_INT(vg_model_type_from_name("Logistic"), VG_MODEL_LOGISTIC);
    CHECK_INT(vg_model_type_from_name("LINEAR"), VG_MODEL_LINEAR);
    CHECK_INT(vg_model_type_from_name("lightgbm"), -1);
    CHECK_INT(vg_model_type_from_name(""), -1);
    CHECK_INT(vg_model_type_from_name(NULL), -1);
    CHECK_STR(vg_model_type_name(VG_MODEL_LOGISTIC), "logistic");
}

/* The scores of BINARY (loaded as m) on the rows whose sums are worked out by hand. */
static void check_binary_scores(const vg_model *m)
{
    float nan = NAN;
    double out[2] = {0, -7};
    /* 1 < 1.5 left 0.25; -1 < 0 left node 2 -0.125 */
    vg_model_predict(m, (float[]){1.0f, -1.0f}, out);
    CHECK(out[0] == sigmoidf(0.25f + -0.125f));
    CHECK(out[1] == -7); /* one output only */
    /* on both thresholds: right, right */
    vg_model_predict(m, (float[]){1.5f, 0.0f}, out);
    CHECK(out[0] == sigmoidf(-0.5f + 0.375f));
    /* one float32 step below the threshold goes left */
    vg_model_predict(m, (float[]){nextafterf(1.5f, 0), nextafterf(0.0f, -1)}, out);
    CHECK(out[0] == sigmoidf(0.25f + -0.125f));
    /* -0 is not < 0 */
    vg_model_predict(m, (float[]){2.0f, -0.0f}, out);
    CHECK(out[0] == sigmoidf(-0.5f + 0.375f));
    /* missing: tree 0 defaults left, tree 1 right */
    vg_model_predict(m, (float[]){nan, nan}, out);
    CHECK(out[0] == sigmoidf(0.25f + 0.375f));
    vg_model_predict(m, (float[]){-3e38f, 3e38f}, out);
    CHECK(out[0] == sigmoidf(0.25f + 0.375f));
    vg_model_predict(m, (float[]){INFINITY, -INFINITY}, out);
    CHECK(out[0] == sigmoidf(-0.5f + -0.125f));
}

static void test_binary(void)
{
    vg_model *m = load(BINARY);
    CHECK(m != NULL);
    if (!m)
        return;
    CHECK_INT(vg_model_type_of(m), VG_MODEL_XGBOOST);
    CHECK_INT(vg_model_nfeatures(m), 2);
    CHECK_INT(vg_model_noutputs(m), 1);
    CHECK_STR(vg_model_describe(m), "xgboost binary:logistic, 2 trees, 2 features");
    CHECK_STR(vg_model_feature_name(m, 0), "amount");
    CHECK_STR(vg_model_feature_name(m, 1), "count");
    CHECK(vg_model_feature_name(m, 2) == NULL);
    CHECK(vg_model_bytes(m) >= 6 * 12);
    check_binary_scores(m);
    vg_model_free(m);
    vg_model_free(NULL);
}

static void test_base_score(void)
{
    /* binary: the margin starts at logit(0.25) = -log(1/0.25 - 1) in float */
    vg_model *m = load(edit("\"5E-1\"", "\"2.5E-1\""));
    double out[1];
    CHECK(m != NULL);
    if (m) {
        vg_model_predict(m, (float[]){1.0f, -1.0f}, out);
        float base = -logf(1.0f / 0.25f - 1.0f);
        CHECK(out[0] == sigmoidf(base + 0.25f + -0.125f));
        vg_model_free(m);
    }
    /* regression: the margin starts at base_score, no transform; float sums in tree order */
    char text[8192];
    snprintf(text, sizeof text, "%s", edit("binary:logistic", "reg:squarederror"));
    m = load(edit_of(text, "\"5E-1\"", "\"1234.5\""));
    CHECK(m != NULL);
    if (m) {
        CHECK_STR(vg_model_describe(m), "xgboost reg:squarederror, 2 trees, 2 features");
        vg_model_predict(m, (float[]){1.0f, -1.0f}, out);
        CHECK(out[0] == (double)(1234.5f + 0.25f + -0.125f));
        vg_model_predict(m, (float[]){NAN, 5.0f}, out);
        CHECK(out[0] == 1235.125);
        vg_model_free(m);
    }
}

static void test_multi(void)
{
    vg_model *m = load(MULTI);
    CHECK(m != NULL);
    if (!m)
        return;
    CHECK_INT(vg_model_noutputs(m), 3);
    CHECK_INT(vg_model_nfeatures(m), 1);
    CHECK(vg_model_feature_name(m, 0) == NULL);
    CHECK_STR(vg_model_describe(m), "xgboost multi:softprob, 4 trees, 1 features");
    double out[3];
    /* 0.0 < 0.5: left in every stump: class 0 = .5+1+.1, class 1 = .5+.5, class 2 = .5+.25 */
    vg_model_predict(m, (float[]){0.0f}, out);
    float z[3] = {0.5f + 1.0f + 0.1f, 0.5f + 0.5f, 0.5f + 0.25f};
    float wmax = fmaxf(fmaxf(z[0], z[1]), z[2]);
    double sum = 0;
    for (int i = 0; i < 3; i++)
        sum += expf(z[i] - wmax);
    for (int i = 0; i < 3; i++)
        CHECK(out[i] == (double)(expf(z[i] - wmax) / (float)sum));
    CHECK(fabs(out[0] + out[1] + out[2] - 1) < 1e-6);
    /* missing goes left as well */
    double again[3];
    vg_model_predict(m, (float[]){NAN}, again);
    CHECK(memcmp(out, again, sizeof out) == 0);
    /* 0.5: right everywhere: -1+.5+.2, 2+.5, .25+.5 */
    vg_model_predict(m, (float[]){0.5f}, out);
    CHECK(out[1] > out[2] && out[2] > out[0]);
    vg_model_free(m);
}

static void test_ubjson_models(void)
{
    for (int style = 0; style < 2; style++) {
        to_ubjson(BINARY, style);
        CHECK(ub.b[0] == '{');
        vg_model *m = load_type(VG_MODEL_XGBOOST, (const char *)ub.b, ub.n);
        CHECK(m != NULL);
        if (m) {
            CHECK_STR(vg_model_describe(m), "xgboost binary:logistic, 2 trees, 2 features");
            CHECK_STR(vg_model_feature_name(m, 1), "count");
            check_binary_scores(m);
            vg_model_free(m);
        }
        /* cut short anywhere: an error, never a crash */
        size_t full = ub.n;
        int errors = 0;
        for (size_t cut = 2; cut < full; cut += 7) {
            vg_model *c = load_type(VG_MODEL_XGBOOST, (const char *)ub.b, cut);
            errors += c == NULL && strstr(err.msg, "model file 'm.json': not a model file: UBJSON");
            vg_model_free(c);
        }
        CHECK_INT(errors, (full - 2 + 6) / 7);
    }
    to_ubjson(MULTI, 0);
    vg_model *m = load_type(VG_MODEL_XGBOOST, (const char *)ub.b, ub.n);
    vg_model *j = load(MULTI);
    CHECK(m && j);
    if (m && j) {
        double a[3], b[3];
        vg_model_predict(m, (float[]){0.25f}, a);
        vg_model_predict(j, (float[]){0.25f}, b);
        CHECK(memcmp(a, b, sizeof a) == 0);
    }
    vg_model_free(m);
    vg_model_free(j);
    /* the cut-short message */
    to_ubjson(BINARY, 0);
    vg_model_free(load_type(VG_MODEL_XGBOOST, (const char *)ub.b, 100));
    CHECK_STR(err.msg, "model file 'm.json': not a model file: UBJSON key length 16 exceeds the "
                       "data left at byte 94");
    vg_model_free(load_type(VG_MODEL_XGBOOST, (const char *)ub.b, 2));
    CHECK_STR(err.msg, "model file 'm.json': not a model file: UBJSON data ends early at byte 2");
    CHECK_INT(err.code, VG_ERR_SEMANTIC);
}

static void test_xgb_errors(void)
{
#define PFX "model file 'm.json': "
    CHECK_STR(load_error("{"), PFX "not a model file: string or '}' expected near end of file "
                               "at line 1 column 1");
    CHECK_INT(err.code, VG_ERR_SEMANTIC);
    CHECK_STR(load_error(""), PFX "not a model file: '[' or '{' expected near end of file "
                              "at line 1 column 0");
    CHECK_STR(load_error("[1]"), PFX "not a model file: the top level is not an object");
    CHECK_STR(load_error("{\"x\": 1}"), PFX "'learner.objective.name' is missing");
    CHECK_STR(load_error(edit("{\"name\":\"binary:logistic\"", "{\"name\":7")),
              PFX "'learner.objective.name' is not a string");
    CHECK_STR(load_error(edit("binary:logistic", "reg:quantileerror")),
              PFX "objective 'reg:quantileerror' is not supported (binary:logistic, "
                  "binary:logitraw, binary:hinge, reg:squarederror, reg:squaredlogerror, "
                  "reg:logistic, reg:pseudohubererror, reg:absoluteerror, reg:gamma, "
                  "reg:tweedie, count:poisson, survival:cox, survival:aft, multi:softprob, "
                  "multi:softmax, rank:pairwise, rank:ndcg, rank:map)");
    CHECK_STR(load_error(edit("\"name\":\"gbtree\"", "\"name\":\"gbforest\"")),
              PFX "booster 'gbforest' is not supported (gbtree, dart, gblinear)");
    CHECK_STR(load_error(edit("\"num_feature\":\"2\",\"num_target", "\"num_feature\":\"x\","
                                                                    "\"num_target")),
              PFX "'learner.learner_model_param.num_feature' is not a count up to 1073741823: "
                  "'x'");
    CHECK_STR(load_error(edit("\"num_target\":\"1\"", "\"num_target\":\"2\"")),
              PFX "2 targets: only one is supported");
    CHECK_STR(load_error(edit("\"5E-1\"", "\"half\"")),
              PFX "'learner.learner_model_param.base_score' is not a number: 'half'");
    CHECK_STR(load_error(edit("\"5E-1\"", "\"1\"")),
              PFX "base_score 1 is not a probability in (0, 1)");
    CHECK_STR(load_error(edit("\"num_class\":\"0\"", "\"num_class\":\"3\"")),
              PFX "binary:logistic with num_class 3");
    CHECK_STR(load_error(edit_of(MULTI, "\"num_class\":\"3\"", "\"num_class\":\"1\"")),
              PFX "multi:softprob with num_class 1");
    CHECK_STR(load_error(edit("\"feature_names\":[\"amount\",\"count\"]",
                              "\"feature_names\":[\"amount\"]")),
              PFX "1 feature names for num_feature 2");
    CHECK_STR(load_error(edit("\"num_trees\":\"2\"", "\"num_trees\":\"3\"")),
              PFX "num_trees 3, but 2 trees and 2 tree_info");
    CHECK_STR(load_error(edit("\"tree_info\":[0,0]", "\"tree_info\":[0,1]")),
              PFX "tree_info 1: class 1 out of range");
    CHECK_STR(load_error(edit("\"tree_info\":[0,0]", "\"tree_info\":{}")),
              PFX "'learner.gradient_booster.model.tree_info' is not an array");
    CHECK_STR(load_error(edit("\"right_children\":[1,-1,-1]", "\"right_children\":[99,-1,-1]")),
              PFX "tree 1 node 0: child 99 out of range");
    CHECK_STR(load_error(edit("\"right_children\":[1,-1,-1]", "\"right_children\":[2,-1,-1]")),
              PFX "tree 1 node 0: node 2 is reached twice");
    CHECK_STR(load_error(edit("\"split_indices\":[1,0,0]", "\"split_indices\":[2,0,0]")),
              PFX "tree 1 node 0: feature 2 out of range (num_feature 2)");
    CHECK_STR(load_error(edit("\"split_indices\":[1,0,0]", "\"split_indices\":[1,0]")),
              PFX "tree 1: 'split_indices' has 2 entries, not num_nodes 3");
    CHECK_STR(load_error(edit("\"split_indices\":[1,0,0]", "\"split_indices\":[1,\"a\",0]")),
              PFX "tree 1 node 1: an index is not an integer");
    CHECK_STR(load_error(edit("\"split_indices\":[1,0,0]", "\"split_indexes\":[1,0,0]")),
              PFX "tree 1: 'split_indices' is missing");
    CHECK_STR(load_error(edit("\"split_conditions\":[1.5,", "\"split_conditions\":[NaN,")),
              PFX "tree 0 node 0: split condition is not a finite number");
    CHECK_STR(load_error(edit(",0.375,-0.125]", ",0.375,-Infinity]")),
              PFX "tree 1 node 2: leaf value is not a finite number");
    CHECK_STR(load_error(edit("\"split_conditions\":[1.5,", "\"split_conditions\":[\"NaN\",")),
              PFX "tree 0 node 0: split condition is not a finite number");
    /* a NaN XGBoost writes for a categorical split: the categorical error, not the NaN */
    CHECK_STR(load_error(edit("[1.5,0.25,-0.5],\"default_left\":[1,0,0],\"split_type\":[0,0,0]",
                              "[NaN,0.25,-0.5],\"default_left\":[1,0,0],\"split_type\":[1,0,0]")),
              PFX "tree 0 node 0: categorical splits are not supported");
    CHECK_STR(load_error(edit("\"num_nodes\":\"3\",\"size_leaf_vector\":\"0\"},\"left_children\":"
                              "[2",
                              "\"num_nodes\":\"0\",\"size_leaf_vector\":\"0\"},\"left_children\":"
                              "[2")),
              PFX "tree 1 has no nodes");
    CHECK_STR(load_error(edit("\"num_nodes\":\"3\",\"size_leaf_vector\":\"0\"},\"left_children\":"
                              "[2",
                              "\"num_nodes\":\"3\",\"size_leaf_vector\":\"2\"},\"left_children\":"
                              "[2")),
              PFX "tree 1: vector leaves are not supported");
    /* strings with escapes and the word NaN are left alone */
    CHECK_STR(load_error(edit("\"feature_names\":[\"amount\"", "\"feature_names\":[\"NaN \\\" NaN\"")),
              "");
    /* a file that cannot be read */
    vg_error_clear(&err);
    CHECK(vg_model_load(VG_MODEL_XGBOOST, "/nonexistent/m.json", &err) == NULL);
    CHECK_STR(err.msg, "model file '/nonexistent/m.json': cannot read: No such file or directory");
    CHECK_INT(err.code, VG_ERR_IO);
#undef PFX
}

static void test_load_file(void)
{
    char path[] = "/tmp/test_model_XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    if (fd < 0)
        return;
    CHECK_INT(write(fd, BINARY, strlen(BINARY)), strlen(BINARY));
    close(fd);
    vg_error_clear(&err);
    vg_model *m = vg_model_load(VG_MODEL_XGBOOST, path, &err);
    CHECK(m != NULL);
    if (m)
        check_binary_scores(m);
    vg_model_free(m);
    unlink(path);
}

static void test_linear(void)
{
    vg_model *m = load_type(VG_MODEL_LINEAR, LINEAR, strlen(LINEAR));
    vg_model *g = load_type(VG_MODEL_LOGISTIC, LINEAR, strlen(LINEAR));
    CHECK(m && g);
    if (!m || !g)
        return;
    CHECK_STR(vg_model_describe(m), "linear, 3 features");
    CHECK_STR(vg_model_describe(g), "logistic, 3 features");
    CHECK_INT(vg_model_nfeatures(m), 3);
    CHECK_INT(vg_model_noutputs(g), 1);
    CHECK_STR(vg_model_feature_name(g, 2), "c");
    double out[1];
    vg_model_predict(m, (float[]){2.0f, 0.25f, 8.0f}, out);
    CHECK(out[0] == 1.5 + 1.0 - 0.5 + 1.0);
    vg_model_predict(g, (float[]){2.0f, 0.25f, 8.0f}, out);
    CHECK(out[0] == 1.0 / (1.0 + exp(-3.0)));
    /* the input is a float32: 0.1f, not 0.1 */
    vg_model_predict(m, (float[]){0.1f, 0.0f, 0.0f}, out);
    CHECK(out[0] == 1.5 + 0.5 * (double)0.1f);
    /* the NaN rule */
    vg_model_predict(m, (float[]){2.0f, NAN, 8.0f}, out);
    CHECK(isnan(out[0]));
    vg_model_predict(g, (float[]){NAN, 0.0f, 0.0f}, out);
    CHECK(isnan(out[0]));
    vg_model_free(m);
    vg_model_free(g);
    /* no features named */
    const char *bare = "{\"coefficients\": [1], \"intercept\": 0}";
    m = load_type(VG_MODEL_LINEAR, bare, strlen(bare));
    CHECK(m && vg_model_feature_name(m, 0) == NULL);
    vg_model_free(m);
}

static void test_linear_errors(void)
{
#define PFX "model file 'm.json': "
    vg_model_type L = VG_MODEL_LINEAR;
    CHECK_STR(load_error_type(L, "{\"intercept\": 1}"), PFX "'coefficients' is missing");
    CHECK_STR(load_error_type(L, "{\"coefficients\": [], \"intercept\": 1}"),
              PFX "'coefficients' is empty");
    CHECK_STR(load_error_type(L, "{\"coefficients\": 3, \"intercept\": 1}"),
              PFX "'coefficients' is not an array");
    CHECK_STR(load_error_type(L, "{\"coefficients\": [1, \"2\"], \"intercept\": 1}"),
              PFX "coefficient 1 is not a number");
    CHECK_STR(load_error_type(L, "{\"coefficients\": [1]}"), PFX "'intercept' is missing");
    CHECK_STR(load_error_type(L, "{\"coefficients\": [1], \"intercept\": null}"),
              PFX "'intercept' is not a number");
    CHECK_STR(load_error_type(L, "{\"coefficients\": [1], \"intercept\": 0, \"bias\": 1}"),
              PFX "unknown key 'bias' (coefficients, intercept, features)");
    CHECK_STR(load_error_type(VG_MODEL_LOGISTIC, BINARY),
              PFX "unknown key 'learner' (coefficients, intercept, features)");
    CHECK_STR(load_error_type(L, "{\"coefficients\": [1, 2], \"intercept\": 0, \"features\": "
                                 "[\"a\"]}"),
              PFX "'features' has 1 names for 2 coefficients");
    CHECK_STR(load_error_type(L, "{\"coefficients\": [1], \"intercept\": 0, \"features\": [1]}"),
              PFX "feature 0 is not a string");
    CHECK_STR(load_error_type(L, "{\"coefficients\": [1], \"intercept\": 0, \"features\": {}}"),
              PFX "'features' is not an array");
    CHECK_STR(load_error(LINEAR), PFX "'learner.objective.name' is missing");
#undef PFX
}

/* ---- the UBJSON reader on its own ---- */

static json_t *ub_parse(const char *bytes, size_t n, vg_ubjson_error *e)
{
    return vg_ubjson_parse(bytes, n, e);
}

/* The reader's error on bytes[0..n) as "text at N"; "" when it parses. */
static const char *ub_error(const char *bytes, size_t n)
{
    static char msg[200];
    vg_ubjson_error e;
    json_t *v = ub_parse(bytes, n, &e);
    if (v) {
        json_decref(v);
        return "";
    }
    snprintf(msg, sizeof msg, "%s at %zu", e.text, e.offset);
    return msg;
}

/* The JSON text of bytes[0..n) parsed; "error" when it does not parse. */
static const char *ub_json(const char *bytes, size_t n)
{
    static char text[512];
    vg_ubjson_error e;
    json_t *v = ub_parse(bytes, n, &e);
    if (!v)
        return "error";
    char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY | JSON_REAL_PRECISION(9));
    snprintf(text, sizeof text, "%s", s ? s : "dump failed");
    free(s);
    json_decref(v);
    return text;
}

#define UB(lit) lit, sizeof(lit) - 1

static void test_ubjson_reader(void)
{
    /* scalars of every type */
    CHECK_STR(ub_json(UB("[ZTFi\xffU\xffI\x80\x00l\xff\xff\xff\xfeL\x00\x00\x00\x01\x00\x00\x00"
                         "\x00]")),
              "[null,true,false,-1,255,-32768,-2,4294967296]");
    CHECK_STR(ub_json(UB("[d\x3f\xc0\x00\x00" "D\x40\x09\x21\xfb\x54\x44\x2d\x18]")),
              "[1.5,3.14159265]");
    CHECK_STR(ub_json(UB("[CaSU\x03" "abc]")), "[\"a\",\"abc\"]");
    /* non-finite floats become null */
    CHECK_STR(ub_json(UB("[d\x7f\xc0\x00\x00" "d\xff\x80\x00\x00]")), "[null,null]");
    /* typed and counted containers, no-ops */
    CHECK_STR(ub_json(UB("[$d#i\x02\x3f\x80\x00\x00\xc0\x00\x00\x00")), "[1.0,-2.0]");
    CHECK_STR(ub_json(UB("[$U#I\x00\x03\x01\x02\x03")), "[1,2,3]");
    CHECK_STR(ub_json(UB("[$l#U\x01\x00\x01\x00\x00")), "[65536]");
    CHECK_STR(ub_json(UB("[$L#i\x01\x80\x00\x00\x00\x00\x00\x00\x00")), "[-9223372036854775808]");
    CHECK_STR(ub_json(UB("[$Z#i\x02")), "[null,null]");
    CHECK_STR(ub_json(UB("[$T#i\x01")), "[true]");
    CHECK_STR(ub_error(UB("[$F#l\x00\x01\x00\x01")), "count 65537 exceeds the data left at 4");
    CHECK_STR(ub_json(UB("[#i\x02TN" "F")), "[true,false]");
    CHECK_STR(ub_json(UB("N[NTN]N")), "[true]");
    CHECK_STR(ub_json(UB("{U\x01" "aTU\x01" "b[]}")), "{\"a\":true,\"b\":[]}");
    CHECK_STR(ub_json(UB("{#i\x01U\x01" "ai\x05")), "{\"a\":5}");
    CHECK_STR(ub_json(UB("{$i#i\x02U\x01" "a\x05U\x01" "b\x06")), "{\"a\":5,\"b\":6}");
    CHECK_STR(ub_json(UB("{U\x00i\x01}")), "{\"\":1}");
    CHECK_STR(ub_json(UB("[]")), "[]");
    CHECK_STR(ub_json(UB("Si\x00")), "\"\"");
    /* errors */
    CHECK_STR(ub_error(UB("")), "data ends early at 0");
    CHECK_STR(ub_error(UB("[")), "data ends early at 1");
    CHECK_STR(ub_error(UB("[$d#i\x02\x3f\x80\x00\x00\xc0")), "data ends early at 11");
    CHECK_STR(ub_error(UB("[q]")), "unknown type marker 'q' at 1");
    CHECK_STR(ub_error(UB("[\x01]")), "unknown type marker 0x01 at 1");
    CHECK_STR(ub_error(UB("[H]")), "high-precision numbers ('H') are not supported at 1");
    CHECK_STR(ub_error(UB("[#i\x05TT")), "count 5 exceeds the data left at 2");
    CHECK_STR(ub_error(UB("[#i\xffT")), "count -1 exceeds the data left at 2");
    CHECK_STR(ub_error(UB("[#S")), "count: integer marker expected, found 'S' at 2");
    CHECK_STR(ub_error(UB("[$di\x01")), "a typed container needs a count ('#') at 3");
    CHECK_STR(ub_error(UB("[$[#i\x01")), "element type '[' is not allowed at 2");
    CHECK_STR(ub_error(UB("SU\x09" "abc")), "string length 9 exceeds the data left at 1");
    CHECK_STR(ub_error(UB("{Sa}")), "key length: integer marker expected, found 'S' at 1");
    CHECK_STR(ub_error(UB("[]]")), "unexpected data after the value at 2");
    CHECK_STR(ub_error(UB("{U\x01" "a")), "data ends early at 4");
    char deep[200];
    memset(deep, '[', 100);
    memset(deep + 100, ']', 100);
    CHECK_STR(ub_error(deep, 200), "containers nested deeper than 64 at 64");
    CHECK(strcmp(ub_json(deep + 100 - 64, 128), "error") != 0);
}

/* Every allocation of a load made to fail in turn: NOMEM, nothing leaked. */
static void test_alloc_failures(void)
{
    const char *texts[] = {BINARY, MULTI, LINEAR};
    vg_model_type types[] = {VG_MODEL_XGBOOST, VG_MODEL_XGBOOST, VG_MODEL_LOGISTIC};
    to_ubjson(BINARY, 1);
    for (int t = 0; t < 4; t++) {
        size_t before = vg_mem_in_use(VG_MEM_UDF);
        int failures = 0, wrong = 0;
        for (uint64_t n = 1; n < 1000; n++) {
            vg_alloc_fail_at(n, 1);
            vg_model *m = t < 3 ? load_type(types[t], texts[t], strlen(texts[t]))
                                : load_type(VG_MODEL_XGBOOST, (const char *)ub.b, ub.n);
            int injected = vg_alloc_failed();
            vg_alloc_fail_at(0, 0);
            if (m) {
                vg_model_free(m);
                if (!injected)
                    break;
                wrong++; /* a failed allocation ignored */
            } else {
                failures++;
                wrong += err.code != VG_ERR_NOMEM || strcmp(err.msg, "out of memory") != 0;
            }
            wrong += vg_mem_in_use(VG_MEM_UDF) != before;
        }
        CHECK(failures >= 3);
        CHECK_INT(wrong, 0);
    }
}

int main(void)
{
    RUN(test_type_names);
    RUN(test_binary);
    RUN(test_base_score);
    RUN(test_multi);
    RUN(test_ubjson_models);
    RUN(test_xgb_errors);
    RUN(test_load_file);
    RUN(test_linear);
    RUN(test_linear_errors);
    RUN(test_ubjson_reader);
    RUN(test_alloc_failures);
    return CHECK_DONE();
}
