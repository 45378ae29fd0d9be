/*
 * test_model_obj.c — XGBoost objectives and boosters beyond gbtree's
 * binary:logistic/reg:squarederror/multi:softprob: every objective's base
 * margin and transform on a one-stump model (values worked out here in the
 * same float32 arithmetic: logit or log of base_score, sigmoid with 1.7's
 * cap, expf, AFT's double exp, hinge at exactly 0), multi:softmax's argmax
 * with ties going to the first class, dart's leaves scaled by weight_drop
 * (padded and compact walks), gblinear's float sum with missing features,
 * every new error message exactly, and every allocation made to fail in
 * turn for dart and gblinear models.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "engine/alloc.h"
#include "tests/unit/check.h"
#include "udf/model.h"

static vg_error err;
static char text[8192];

/* A stump per class on feature 0 at 0.5 (missing left): leaf lo[k] below, hi[k] at or above;
 * booster "gbtree" or "dart" (weights w, one per class tree). Into `text`. */
static const char *stumps(const char *booster, const char *objective, const char *base, int nclass,
                          const float *lo, const float *hi, const float *w)
{
    int k = nclass > 1 ? nclass : 1;
    char trees[4096] = "", info[256] = "", drops[256] = "";
    size_t t = 0, i = 0, d = 0;
    for (int c = 0; c < k; c++) {
        t += (size_t)snprintf(trees + t, sizeof trees - t,
                              "%s{\"tree_param\":{\"num_nodes\":\"3\"},\"left_children\":[1,-1,-1],"
                              "\"right_children\":[2,-1,-1],\"split_indices\":[0,0,0],"
                              "\"split_conditions\":[0.5,%.9g,%.9g],\"default_left\":[1,0,0]}",
                              c ? "," : "", (double)lo[c], (double)hi[c]);
        i += (size_t)snprintf(info + i, sizeof info - i, "%s%d", c ? "," : "", c);
        if (w)
            d +=
                (size_t)snprintf(drops + d, sizeof drops - d, "%s%.9g", c ? "," : "", (double)w[c]);
    }
    char model[4608];
    snprintf(model, sizeof model,
             "{\"gbtree_model_param\":{\"num_trees\":\"%d\"},\"tree_info\":[%s],\"trees\":[%s]}", k,
             info, trees);
    char gb[5120];
    if (strcmp(booster, "dart") == 0)
        snprintf(gb, sizeof gb,
                 "{\"name\":\"dart\",\"gbtree\":{\"name\":\"gbtree\",\"model\":%s},"
                 "\"weight_drop\":[%s]}",
                 model, drops);
    else
        snprintf(gb, sizeof gb, "{\"name\":\"%s\",\"model\":%s}", booster, model);
    snprintf(text, sizeof text,
             "{\"learner\":{\"gradient_booster\":%s,\"learner_model_param\":{\"base_score\":\"%s\","
             "\"num_class\":\"%d\",\"num_feature\":\"2\"},\"objective\":{\"name\":\"%s\"}}}",
             gb, base, nclass, objective);
    return text;
}

/* A gblinear model over 2 features of nclass classes with weights w (3 * groups numbers,
 * given as text). Into `text`. */
static const char *linear(const char *objective, const char *base, int nclass, const char *w)
{
    snprintf(text, sizeof text,
             "{\"learner\":{\"feature_names\":[\"a\",\"b\"],\"gradient_booster\":{\"name\":"
             "\"gblinear\",\"model\":{\"boosted_rounds\":3,\"weights\":[%s]}},"
             "\"learner_model_param\":{\"base_score\":\"%s\",\"num_class\":\"%d\","
             "\"num_feature\":\"2\"},\"objective\":{\"name\":\"%s\"}}}",
             w, base, nclass, objective);
    return text;
}

static vg_model *load(const char *t)
{
    vg_error_clear(&err);
    return vg_model_load_mem(VG_MODEL_XGBOOST, "m.json", t, strlen(t), &err);
}

static const char *load_error(const char *t)
{
    vg_model *m = load(t);
    vg_model_free(m);
    return m ? "" : err.msg;
}

/* The one output of a one-stump model of objective obj and base_score base, at leaf `leaf`
 * (x = 0: the left leaf); NAN when it does not load. */
static double score1(const char *obj, const char *base, float leaf)
{
    vg_model *m = load(stumps("gbtree", obj, base, 0, (float[]){leaf}, (float[]){0}, NULL));
    if (!m)
        return NAN;
    double out[2] = {0, -7};
    vg_model_predict(m, (float[]){0.0f, 0.0f}, out);
    CHECK(out[1] == -7);
    CHECK_INT(vg_model_noutputs(m), 1);
    vg_model_free(m);
    return out[0];
}

static float sigmoid17(float m)
{
    float z = -m < 88.7f ? -m : 88.7f;
    return 1.0f / (expf(z) + 1.0f + 1e-16f);
}

static void test_logistic_family(void)
{
    float logit = -logf(1.0f / 0.25f - 1.0f);
    CHECK(score1("binary:logistic", "2.5E-1", 0.375f) == sigmoid17(logit + 0.375f));
    CHECK(score1("reg:logistic", "2.5E-1", 0.375f) == sigmoid17(logit + 0.375f));
    /* 1.7's cap: a margin of -200 gives 1 / (expf(88.7) + 1), a subnormal, not 0 */
    double tiny = score1("binary:logistic", "5E-1", -200.0f);
    CHECK(tiny == 1.0f / (expf(88.7f) + 1.0f));
    CHECK(tiny > 3.0e-39 && tiny < 3.1e-39);
    CHECK(score1("binary:logistic", "5E-1", 200.0f) == 1.0);
    /* logitraw: base_score is the margin itself (1.7 takes no logit), no transform */
    CHECK(score1("binary:logitraw", "2.5E-1", 0.375f) == (double)(0.25f + 0.375f));
    CHECK(score1("binary:logitraw", "5E-1", -3.0f) == -2.5);
}

static void test_hinge(void)
{
    CHECK(score1("binary:hinge", "5E-1", -0.5f) == 0.0); /* margin exactly 0: not > 0 */
    CHECK(score1("binary:hinge", "5E-1", -0.25f) == 1.0);
    CHECK(score1("binary:hinge", "5E-1", -0.75f) == 0.0);
    CHECK(score1("binary:hinge", "5E-1", 1e-30f) == 1.0);
}

static void test_identity_family(void)
{
    const char *names[] = {
        "reg:squarederror", "reg:squaredlogerror", "reg:absoluteerror", "reg:pseudohubererror",
        "rank:pairwise",    "rank:ndcg",           "rank:map"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        CHECK(score1(names[i], "1.2203699E3", 0.1f) == (double)(1220.3699f + 0.1f));
        CHECK(score1(names[i], "-2", -0.5f) == -2.5);
    }
}

static void test_exp_family(void)
{
    const char *names[] = {"count:poisson", "reg:gamma", "reg:tweedie", "survival:cox"};
    float base = logf(2.5f);
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        CHECK(score1(names[i], "2.5", 0.3f) == (double)expf(base + 0.3f));
        CHECK(score1(names[i], "5E-1", 100.0f) == INFINITY); /* expf overflows */
        CHECK(score1(names[i], "5E-1", -120.0f) == 0.0);
    }
    /* survival:aft: XGBoost's exp() on a float is the double exp, rounded */
    CHECK(score1("survival:aft", "2.5", 0.3f) == (double)(float)exp((double)(base + 0.3f)));
    /* a margin where the two differ: expf(-m) and exp(-m) round apart */
    float m = 0.0f;
    for (float x = 1.0f; x < 80.0f; x = nextafterf(x, 100.0f) + 0.001f)
        if (expf(x) != (float)exp((double)x)) {
            m = x;
            break;
        }
    CHECK(m != 0.0f);
    double aft = score1("survival:aft", "1", m);
    CHECK(aft == (double)(float)exp((double)m));
    CHECK(aft != (double)expf(m));
}

static void test_base_errors(void)
{
    const float zero[1] = {0};
    CHECK_STR(load_error(stumps("gbtree", "count:poisson", "0", 0, zero, zero, NULL)),
              "model file 'm.json': base_score 0 is not positive");
    CHECK_STR(load_error(stumps("gbtree", "survival:aft", "-1", 0, zero, zero, NULL)),
              "model file 'm.json': base_score -1 is not positive");
    CHECK_STR(load_error(stumps("gbtree", "reg:logistic", "1", 0, zero, zero, NULL)),
              "model file 'm.json': base_score 1 is not a probability in (0, 1)");
    CHECK_STR(load_error(stumps("gbtree", "binary:logitraw", "7", 0, zero, zero, NULL)), "");
    CHECK_STR(load_error(stumps("gbtree", "multi:softmax", "5E-1", 1, zero, zero, NULL)),
              "model file 'm.json': multi:softmax with num_class 1");
    CHECK_STR(load_error(stumps("gbtree", "rank:ndcg", "5E-1", 3, (float[]){0, 0, 0},
                                (float[]){0, 0, 0}, NULL)),
              "model file 'm.json': rank:ndcg with num_class 3");
    CHECK_STR(load_error(stumps("gbtree", "reg:linear", "5E-1", 0, zero, zero, NULL)),
              "model file 'm.json': objective 'reg:linear' is not supported (binary:logistic, "
              "binary:logitraw, binary:hinge, reg:squarederror, reg:squaredlogerror, "
              "reg:logistic, reg:pseudohubererror, reg:absoluteerror, reg:gamma, reg:tweedie, "
              "count:poisson, survival:cox, survival:aft, multi:softprob, multi:softmax, "
              "rank:pairwise, rank:ndcg, rank:map)");
}

static void test_softmax(void)
{
    /* below 0.5: class margins .5+1, .5+2, .5+2 (a tie of 1 and 2: 1); at or above:
     * .5-1, .5-1, .5-1 (all tied: 0) */
    vg_model *m = load(stumps("gbtree", "multi:softmax", "5E-1", 3, (float[]){1, 2, 2},
                              (float[]){-1, -1, -1}, NULL));
    CHECK(m != NULL);
    if (!m)
        return;
    CHECK_INT(vg_model_noutputs(m), 1);
    CHECK_STR(vg_model_describe(m), "xgboost multi:softmax, 3 trees, 2 features");
    double out[2] = {-7, -7};
    vg_model_predict(m, (float[]){0.0f, 0.0f}, out);
    CHECK(out[0] == 1.0);
    CHECK(out[1] == -7);
    vg_model_predict(m, (float[]){0.5f, 0.0f}, out);
    CHECK(out[0] == 0.0);
    vg_model_predict(m, (float[]){NAN, NAN}, out); /* missing goes left */
    CHECK(out[0] == 1.0);
    vg_model_free(m);
    m = load(stumps("gbtree", "multi:softmax", "5E-1", 4, (float[]){1, 2, 3, 2.5f},
                    (float[]){0, 0, 0, 0.25f}, NULL));
    CHECK(m != NULL);
    if (m) {
        vg_model_predict(m, (float[]){0.0f, 0.0f}, out);
        CHECK(out[0] == 2.0);
        vg_model_predict(m, (float[]){1.0f, 0.0f}, out);
        CHECK(out[0] == 3.0);
        vg_model_free(m);
    }
}

/* dart, two trees of one class with weights 0.5 and 0.3. Tree 0: a < 0.5 (missing left) ?
 * 0.7 : -1. Tree 1: b < 2 (missing right) ? 0.9 : -0.35. */
static const char DART[] =
    "{\"learner\":{\"gradient_booster\":{\"name\":\"dart\",\"gbtree\":{\"name\":\"gbtree\","
    "\"model\":{\"gbtree_model_param\":{\"num_trees\":\"2\"},\"tree_info\":[0,0],\"trees\":["
    "{\"tree_param\":{\"num_nodes\":\"3\"},\"left_children\":[1,-1,-1],"
    "\"right_children\":[2,-1,-1],\"split_indices\":[0,0,0],\"split_conditions\":[0.5,0.7,-1],"
    "\"default_left\":[1,0,0]},"
    "{\"tree_param\":{\"num_nodes\":\"3\"},\"left_children\":[1,-1,-1],"
    "\"right_children\":[2,-1,-1],\"split_indices\":[1,0,0],\"split_conditions\":[2,0.9,-0.35],"
    "\"default_left\":[0,0,0]}]}},\"weight_drop\":[0.5,0.3]},"
    "\"learner_model_param\":{\"base_score\":\"5E-1\",\"num_class\":\"0\","
    "\"num_feature\":\"2\"},\"objective\":{\"name\":\"binary:logistic\"}}}";

/* src with the one occurrence of `from` replaced by `to`, into `text`. */
static const char *edit_of(const char *src, const char *from, const char *to)
{
    const char *at = strstr(src, from);
    if (!at || strstr(at + 1, from)) {
        fprintf(stderr, "test bug: '%s' is not in the model exactly once\n", from);
        exit(2);
    }
    char copy[8192];
    snprintf(copy, sizeof copy, "%.*s%s%s", (int)(at - src), src, to, at + strlen(from));
    memcpy(text, copy, sizeof copy);
    return text;
}

static void test_dart(void)
{
    vg_model *m = load(DART);
    CHECK(m != NULL);
    if (!m)
        return;
    CHECK_STR(vg_model_describe(m), "xgboost dart binary:logistic, 2 trees, 2 features");
    double out[1];
    /* padded walk (no missing feature): 0.7 * 0.5, then -0.35 * 0.3, in float */
    vg_model_predict(m, (float[]){0.0f, 5.0f}, out);
    CHECK(out[0] == sigmoid17(0.0f + 0.7f * 0.5f + -0.35f * 0.3f));
    vg_model_predict(m, (float[]){NAN, 1.0f}, out); /* compact walk: left, left */
    CHECK(out[0] == sigmoid17(0.0f + 0.7f * 0.5f + 0.9f * 0.3f));
    vg_model_predict(m, (float[]){0.5f, NAN}, out); /* right; missing goes right */
    CHECK(out[0] == sigmoid17(0.0f + -1.0f * 0.5f + -0.35f * 0.3f));
    vg_model_free(m);
}

static void test_dart_errors(void)
{
    CHECK_STR(load_error(edit_of(DART, "[0.5,0.3]", "[0.5,\"0.3\"]")),
              "model file 'm.json': dart: weight_drop 1 is not a finite number");
    CHECK_STR(load_error(edit_of(DART, "[0.5,0.3]", "[0.5,null]")),
              "model file 'm.json': dart: weight_drop 1 is not a finite number");
    CHECK_STR(load_error(edit_of(DART, "\"weight_drop\"", "\"weight_drip\"")),
              "model file 'm.json': 'learner.gradient_booster.weight_drop' is missing");
    CHECK_STR(load_error(edit_of(DART, "[0.5,0.3]", "[0.5]")),
              "model file 'm.json': dart: 1 weight_drop for 2 trees");
    CHECK_STR(load_error(edit_of(DART, "[0.5,0.3]", "{}")),
              "model file 'm.json': 'learner.gradient_booster.weight_drop' is not an array");
    /* dart's trees are under gbtree, not model */
    CHECK_STR(load_error(edit_of(DART, "\"gbtree\":{", "\"gbtrex\":{")),
              "model file 'm.json': 'learner.gradient_booster.gbtree.model."
              "gbtree_model_param.num_trees' is missing");
}

static void test_gblinear(void)
{
    /* one group: bias 0.25, w = 0.5, -2; base 0.5 */
    vg_model *m = load(linear("reg:squarederror", "5E-1", 0, "0.5,-2,0.25"));
    CHECK(m != NULL);
    if (!m)
        return;
    CHECK_STR(vg_model_describe(m), "xgboost gblinear reg:squarederror, 2 features");
    CHECK_INT(vg_model_nfeatures(m), 2);
    CHECK_INT(vg_model_noutputs(m), 1);
    CHECK_STR(vg_model_feature_name(m, 1), "b");
    double out[1];
    vg_model_predict(m, (float[]){0.1f, 3.0f}, out);
    float want = 0.25f + 0.5f;
    want += 0.1f * 0.5f;
    want += 3.0f * -2.0f;
    CHECK(out[0] == want);
    vg_model_predict(m, (float[]){NAN, 3.0f}, out); /* a missing feature adds nothing */
    CHECK(out[0] == (double)(0.75f + 3.0f * -2.0f));
    vg_model_predict(m, (float[]){NAN, NAN}, out);
    CHECK(out[0] == 0.75);
    vg_model_predict(m, (float[]){3e38f, -3e38f}, out);
    CHECK(out[0] == INFINITY);
    vg_model_free(m);
    /* two classes: weights feature-major (a: c0 c1, b: c0 c1), then the biases; softprob */
    m = load(linear("multi:softprob", "5E-1", 2, "1,-1,0.5,0.5,0,0.125"));
    CHECK(m != NULL);
    if (m) {
        CHECK_INT(vg_model_noutputs(m), 2);
        double p[2];
        vg_model_predict(m, (float[]){2.0f, NAN}, p);
        float z0 = 0.5f + 2.0f, z1 = 0.625f - 2.0f;
        double sum = (double)expf(z0 - z0) + (double)expf(z1 - z0);
        CHECK(p[0] == (double)(1.0f / (float)sum));
        CHECK(p[1] == (double)(expf(z1 - z0) / (float)sum));
        vg_model_free(m);
    }
    m = load(linear("multi:softmax", "5E-1", 2, "1,-1,0.5,0.5,0,0.125"));
    CHECK(m != NULL);
    if (m) {
        vg_model_predict(m, (float[]){-1.0f, 0.0f}, out);
        CHECK(out[0] == 1.0);
        vg_model_predict(m, (float[]){0.0625f, 0.0f}, out); /* 0.5625 both: the first */
        CHECK(out[0] == 0.0);
        vg_model_free(m);
    }
}

static void test_gblinear_errors(void)
{
    CHECK_STR(load_error(linear("reg:squarederror", "5E-1", 0, "0.5,-2")),
              "model file 'm.json': gblinear: 2 weights, not (num_feature + 1) * 1 = 3");
    CHECK_STR(load_error(linear("multi:softprob", "5E-1", 2, "1,2,3")),
              "model file 'm.json': gblinear: 3 weights, not (num_feature + 1) * 2 = 6");
    CHECK_STR(load_error(linear("reg:squarederror", "5E-1", 0, "0.5,null,1")),
              "model file 'm.json': gblinear: weight 1 is not a finite number");
    char t[8192];
    snprintf(t, sizeof t, "%s", linear("reg:squarederror", "5E-1", 0, "0.5,1,1"));
    memcpy(strstr(t, "\"weights\""), "\"weighty\"", 9);
    CHECK_STR(load_error(t), "model file 'm.json': 'learner.gradient_booster.model.weights' is "
                             "missing");
    snprintf(t, sizeof t, "%s", linear("reg:squarederror", "5E-1", 0, "0.5,1,1"));
    memcpy(strstr(t, "[0.5,1,1]"), "{}       ", 9);
    CHECK_STR(load_error(t), "model file 'm.json': 'learner.gradient_booster.model.weights' is "
                             "not an array");
}

static void test_alloc_failures(void)
{
    char texts[2][8192];
    snprintf(texts[0], sizeof texts[0], "%s",
             stumps("dart", "multi:softprob", "5E-1", 3, (float[]){1, 2, 3}, (float[]){0, 0, 0},
                    (float[]){0.5f, 0.5f, 1}));
    snprintf(texts[1], sizeof texts[1], "%s", linear("reg:gamma", "5E-1", 0, "0.5,-2,0.25"));
    for (int t = 0; t < 2; t++) {
        size_t before = vg_mem_in_use(VG_MEM_UDF);
        int failures = 0, wrong = 0;
        for (uint64_t n = 1; n < 1000; n++) {
            vg_alloc_fail_at(n, 1);
            vg_model *m = load(texts[t]);
            int injected = vg_alloc_failed();
            vg_alloc_fail_at(0, 0);
            if (m) {
                vg_model_free(m);
                if (!injected)
                    break;
                wrong++;
            } else {
                failures++;
                wrong += err.code != VG_ERR_NOMEM || strcmp(err.msg, "out of memory") != 0;
            }
            wrong += vg_mem_in_use(VG_MEM_UDF) != before;
        }
        CHECK(failures >= 2);
        CHECK_INT(wrong, 0);
    }
}

int main(void)
{
    RUN(test_logistic_family);
    RUN(test_hinge);
    RUN(test_identity_family);
    RUN(test_exp_family);
    RUN(test_base_errors);
    RUN(test_softmax);
    RUN(test_dart);
    RUN(test_dart_errors);
    RUN(test_gblinear);
    RUN(test_gblinear_errors);
    RUN(test_alloc_failures);
    return CHECK_DONE();
}
