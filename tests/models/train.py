#!/usr/bin/python3
"""train.py — the reference models for tests/models/run-xgb.sh, trained with
Debian's python3-xgboost (run with /usr/bin/python3), and XGBoost's own
predictions on hard rows.

    /usr/bin/python3 tests/models/train.py OUTDIR [SEED]

Deterministic (seeded numpy generator, nthread=1). Writes into OUTDIR:

  NAME.json, NAME.ubj   each model saved by save_model in both formats
  NAME.rows             rows to score: one per line, comma-separated float64
                        values written with repr ("nan" = missing)
  NAME.pred             XGBoost's predict (output_margin=False) on those rows
                        (a DMatrix of the float64 array, missing = NaN, which
                        XGBoost rounds to float32 as vigil does): one line per
                        row, the outputs separated by spaces
  manifest              one line per model: NAME KIND NROWS, KIND "prob"
                        (compare absolutely) or "reg" (relatively)
  bad_*.json, bad_*.ubj malformed or unsupported files, for the error cases

The models: binary:logistic (default base_score; base_score 0.3; a forest
with num_parallel_tree 4; lossguide trees with 31 leaves and no depth limit),
reg:squarederror (targets in the thousands; base_score 1234.5),
multi:softprob (4 classes), then one small model of every other objective
XGBoost 1.7 saves (binary:logitraw, reg:logistic, binary:hinge,
count:poisson twice, reg:gamma, reg:tweedie, reg:absoluteerror,
reg:pseudohubererror, reg:squaredlogerror, multi:softmax, rank:pairwise,
rank:ndcg, rank:map, survival:cox, survival:aft) and of the other boosters
(dart binary and 4-class, gblinear regression, binary, softprob and
softmax); every training set has 15% of its values missing. The rows:
random rows (with missing values); for internal nodes of the trees, a row that reaches the node with the node's feature set to the
threshold (as float64), its float32 neighbours, the float64 neighbours of the
threshold (which round to it in float32), the midpoints between the
threshold and its float32 neighbours (which round to even) and one float64
step either side of them, and missing; all-missing rows and rows with a
single present feature; and extreme magnitudes (+-1e30, +-3e38, FLT_MAX,
float32 subnormals 1e-40 and 1e-45, +-0).

Then the "wide_*" models (WIDE): a trained model with its trees replaced by
one synthetic tree per class of 2,048 leaves over feature 0 (random leaves
over +-span, plus the margins where transforms change: 0, the sigmoid's cap,
expf's overflow and underflow; across classes, equal leaves for argmax
ties), loaded back into XGBoost, which predicts a row per leaf: thousands of
margins through each objective's transform.
"""
import json
import os
import sys

import numpy as np
import xgboost as xgb

NFEAT = 8
NODES_PER_MODEL = 500  # internal nodes probed per model


def make_data(rng, n, nan_rate=0.15):
    """Features of varied shape: normal, integer counts, log-normal amounts, a few equal values."""
    X = np.empty((n, NFEAT))
    X[:, 0] = rng.normal(size=n)
    X[:, 1] = rng.integers(0, 12, size=n)
    X[:, 2] = rng.lognormal(3.0, 1.5, size=n)
    X[:, 3] = rng.normal(100.0, 30.0, size=n)
    X[:, 4] = rng.choice([0.1, 0.2, 0.3, 1e-3, 7.25], size=n)
    X[:, 5] = rng.uniform(-1e4, 1e4, size=n)
    X[:, 6] = rng.normal(size=n) * 1e-3
    X[:, 7] = rng.integers(-3, 4, size=n) * 0.1
    X[rng.random(X.shape) < nan_rate] = np.nan
    return X


def label_binary(rng, X):
    z = np.nan_to_num(X[:, 0]) + 0.3 * np.nan_to_num(X[:, 1]) - 0.01 * np.nan_to_num(X[:, 3])
    z += np.where(np.isnan(X[:, 2]), 1.0, 0.0) + rng.normal(size=len(X))
    return (z > 0).astype(float)


def label_reg(rng, X):
    return (1000.0 + 300.0 * np.nan_to_num(X[:, 0]) + 50.0 * np.nan_to_num(X[:, 1])
            + 0.05 * np.nan_to_num(X[:, 5]) + 20.0 * rng.normal(size=len(X)))


def label_multi(rng, X):
    z = np.nan_to_num(X[:, 0]) + 0.5 * rng.normal(size=len(X))
    return np.digitize(z, [-0.8, 0.0, 0.8]).astype(float)


def label_unit(rng, X):
    """Targets in [0, 1] (reg:logistic)."""
    z = np.nan_to_num(X[:, 0]) + 0.2 * np.nan_to_num(X[:, 1]) + 0.5 * rng.normal(size=len(X))
    return 1.0 / (1.0 + np.exp(-z))


def label_count(rng, X):
    """Counts (count:poisson, reg:tweedie: some zeros)."""
    lam = np.exp(0.5 * np.nan_to_num(X[:, 0]) + 0.1 * np.nan_to_num(X[:, 1]) - 0.5)
    return rng.poisson(lam).astype(float)


def label_positive(rng, X):
    """Positive amounts (reg:gamma, reg:squaredlogerror)."""
    return np.exp(0.5 * np.nan_to_num(X[:, 0]) + 0.1 * np.nan_to_num(X[:, 1])
                  + 0.3 * rng.normal(size=len(X)))


def label_rank(rng, X):
    """Relevance 0..3 in query groups of 50 rows."""
    z = np.nan_to_num(X[:, 0]) + 0.2 * np.nan_to_num(X[:, 1]) + 0.5 * rng.normal(size=len(X))
    return np.digitize(z, [0.0, 1.0, 2.0]).astype(float), {"group": [50] * (len(X) // 50)}


def label_cox(rng, X):
    """Survival times, negative when censored (survival:cox)."""
    t = label_positive(rng, X)
    return np.where(rng.random(len(X)) < 0.3, -t, t)


def label_aft(rng, X):
    """Interval-censored survival times (survival:aft): lower and upper bounds."""
    t = label_positive(rng, X)
    upper = np.where(rng.random(len(X)) < 0.2, np.inf, t)
    return t, {"lower": t, "upper": upper}


# name, kind, params, rounds, labeller. kind "prob": outputs in [0, 1], compared absolutely;
# "reg": compared relatively (margins, exp outputs, class indices).
MODELS = [
    ("binary", "prob", {"objective": "binary:logistic", "max_depth": 4,
                        "tree_method": "exact"}, 40, label_binary),
    ("binary_base", "prob", {"objective": "binary:logistic", "max_depth": 3,
                             "base_score": 0.3, "tree_method": "hist"}, 20, label_binary),
    ("forest", "prob", {"objective": "binary:logistic", "max_depth": 3, "num_parallel_tree": 4,
                        "subsample": 0.8, "colsample_bynode": 0.8, "tree_method": "hist"},
     5, label_binary),
    ("lossguide", "prob", {"objective": "binary:logistic", "max_depth": 0, "max_leaves": 31,
                           "grow_policy": "lossguide", "tree_method": "hist"}, 10, label_binary),
    ("reg", "reg", {"objective": "reg:squarederror", "max_depth": 5,
                    "tree_method": "exact"}, 30, label_reg),
    ("reg_base", "reg", {"objective": "reg:squarederror", "max_depth": 3, "base_score": 1234.5,
                         "tree_method": "hist"}, 15, label_reg),
    ("multi", "prob", {"objective": "multi:softprob", "num_class": 4, "max_depth": 4,
                       "tree_method": "exact"}, 15, label_multi),
    # every other objective XGBoost 1.7 saves
    ("logitraw", "reg", {"objective": "binary:logitraw", "max_depth": 3, "base_score": 0.3,
                         "tree_method": "hist"}, 10, label_binary),
    ("reg_logistic", "prob", {"objective": "reg:logistic", "max_depth": 3,
                              "tree_method": "hist"}, 10, label_unit),
    ("hinge", "prob", {"objective": "binary:hinge", "max_depth": 3, "tree_method": "hist"},
     10, label_binary),
    ("poisson", "reg", {"objective": "count:poisson", "max_depth": 3, "tree_method": "hist"},
     10, label_count),
    ("poisson_base", "reg", {"objective": "count:poisson", "max_depth": 3, "base_score": 2.5,
                             "tree_method": "exact"}, 8, label_count),
    ("gamma", "reg", {"objective": "reg:gamma", "max_depth": 3, "tree_method": "hist"},
     10, label_positive),
    ("tweedie", "reg", {"objective": "reg:tweedie", "tweedie_variance_power": 1.3,
                        "max_depth": 3, "tree_method": "hist"}, 10, label_count),
    ("absoluteerror", "reg", {"objective": "reg:absoluteerror", "max_depth": 3,
                              "tree_method": "hist"}, 10, label_reg),
    ("pseudohuber", "reg", {"objective": "reg:pseudohubererror", "max_depth": 3,
                            "huber_slope": 2.0, "tree_method": "hist"}, 10, label_positive),
    ("squaredlog", "reg", {"objective": "reg:squaredlogerror", "max_depth": 3,
                           "tree_method": "hist"}, 10, label_positive),
    ("softmax", "reg", {"objective": "multi:softmax", "num_class": 4, "max_depth": 3,
                        "tree_method": "hist"}, 8, label_multi),
    ("rank_pairwise", "reg", {"objective": "rank:pairwise", "max_depth": 3,
                              "tree_method": "hist"}, 8, label_rank),
    ("rank_ndcg", "reg", {"objective": "rank:ndcg", "max_depth": 3, "tree_method": "hist"},
     8, label_rank),
    ("rank_map", "reg", {"objective": "rank:map", "max_depth": 3, "tree_method": "hist"},
     8, label_rank),
    ("cox", "reg", {"objective": "survival:cox", "max_depth": 3, "tree_method": "hist"},
     10, label_cox),
    ("aft", "reg", {"objective": "survival:aft", "aft_loss_distribution": "normal",
                    "aft_loss_distribution_scale": 1.2, "max_depth": 3, "tree_method": "hist"},
     10, label_aft),
    # the other boosters: dart (leaves scaled by weight_drop) and gblinear
    ("dart", "prob", {"objective": "binary:logistic", "booster": "dart", "rate_drop": 0.3,
                      "skip_drop": 0.0, "max_depth": 3, "tree_method": "hist"}, 12,
     label_binary),
    ("dart_multi", "prob", {"objective": "multi:softprob", "num_class": 4, "booster": "dart",
                            "rate_drop": 0.4, "normalize_type": "forest", "max_depth": 3,
                            "tree_method": "hist"}, 6, label_multi),
    ("gblinear", "reg", {"objective": "reg:squarederror", "booster": "gblinear",
                         "base_score": 900.0}, 10, label_reg),
    ("gblinear_binary", "prob", {"objective": "binary:logistic", "booster": "gblinear",
                                 "updater": "coord_descent", "feature_selector": "cyclic"},
     10, label_binary),
    ("gblinear_multi", "prob", {"objective": "multi:softprob", "num_class": 4,
                                "booster": "gblinear"}, 10, label_multi),
    ("gblinear_softmax", "reg", {"objective": "multi:softmax", "num_class": 4,
                                 "booster": "gblinear"}, 10, label_multi),
]


def trees_of(model):
    """The trees of a saved model (gbtree, or dart's inner gbtree); none for gblinear."""
    gb = model["learner"]["gradient_booster"]
    gb = gb.get("gbtree", gb)
    return gb["model"].get("trees", [])


def dmatrix(rng, X, labeller):
    """X with labeller's labels, and its query groups or survival bounds when it gives them."""
    y = labeller(rng, X)
    extra = {}
    if isinstance(y, tuple):
        y, extra = y
    d = xgb.DMatrix(X, label=y)
    if "group" in extra:
        d.set_group(extra["group"])
    if "lower" in extra:
        d.set_float_info("label_lower_bound", extra["lower"])
        d.set_float_info("label_upper_bound", extra["upper"])
    return d


def walk(tree, row):
    """The internal nodes a row passes through, as XGBoost walks them (float32, strict <)."""
    left, right = tree["left_children"], tree["right_children"]
    feat, cond, dleft = tree["split_indices"], tree["split_conditions"], tree["default_left"]
    k, seen = 0, []
    while left[k] != -1:
        seen.append(k)
        v = np.float32(row[feat[k]])
        if np.isnan(v):
            k = left[k] if dleft[k] else right[k]
        else:
            k = left[k] if v < np.float32(cond[k]) else right[k]
    return seen


def threshold_values(t):
    """Doubles around float32 threshold t: on it, rounding to it, and its neighbours."""
    t = np.float32(t)
    up = np.nextafter(t, np.float32(np.inf))
    down = np.nextafter(t, np.float32(-np.inf))
    td = float(t)
    vals = [td, float(up), float(down), np.nextafter(td, np.inf), np.nextafter(td, -np.inf)]
    for n in (float(up), float(down)):
        mid = (td + n) / 2.0
        vals += [mid, np.nextafter(mid, np.inf), np.nextafter(mid, -np.inf)]
    vals.append(np.nan)
    return vals


def probe_rows(rng, model, pool):
    """Rows on and around the thresholds of internal nodes, each from a row reaching the node."""
    trees = trees_of(model)
    nodes = [(i, k) for i, t in enumerate(trees) for k in range(len(t["left_children"]))
             if t["left_children"][k] != -1]
    if len(nodes) > NODES_PER_MODEL:
        pick = rng.choice(len(nodes), size=NODES_PER_MODEL, replace=False)
        nodes = [nodes[p] for p in sorted(pick)]
    reach = {}
    for r, row in enumerate(pool):
        for i in {i for i, _ in nodes}:
            for k in walk(trees[i], row):
                reach.setdefault((i, k), r)
    rows = []
    for i, k in nodes:
        base = pool[reach.get((i, k), 0)]
        f = trees[i]["split_indices"][k]
        for v in threshold_values(trees[i]["split_conditions"][k]):
            row = base.copy()
            row[f] = v
            rows.append(row)
    return rows


def edge_rows(rng):
    """All-missing rows, rows with one present feature, extreme magnitudes."""
    rows = [np.full(NFEAT, np.nan)]
    extremes = [1e30, -1e30, 3e38, -3e38, 3.4028234663852886e38, -3.4028234663852886e38,
                1e-40, -1e-40, 1e-45, 0.0, -0.0, 1.5, 100.0]
    for f in range(NFEAT):
        for v in extremes:
            row = np.full(NFEAT, np.nan)
            row[f] = v
            rows.append(row)
            row = make_data(rng, 1, 0.2)[0]
            row[f] = v
            rows.append(row)
    for v in extremes:
        rows.append(np.full(NFEAT, v))
    return rows


def fmt(v):
    return "nan" if np.isnan(v) else repr(float(v))


def train_one(out, rng, name, kind, params, rounds, labeller):
    X = make_data(rng, 2000)
    p = dict(params, seed=0, nthread=1)
    bst = xgb.train(p, dmatrix(rng, X, labeller), rounds)
    bst.save_model(os.path.join(out, name + ".json"))
    with open(os.path.join(out, name + ".json")) as f:
        model = json.load(f)
    pool = list(make_data(rng, 400))
    return write_case(out, name, kind, bst, pool + probe_rows(rng, model, pool) + edge_rows(rng))


def write_case(out, name, kind, bst, rows):
    """bst saved as NAME.json and NAME.ubj, the rows and XGBoost's predictions on them."""
    bst.save_model(os.path.join(out, name + ".json"))
    bst.save_model(os.path.join(out, name + ".ubj"))
    R = np.array(rows, dtype=np.float64)
    bst.set_param({"nthread": 1})
    pred = np.asarray(bst.predict(xgb.DMatrix(R, missing=np.nan)), dtype=np.float32)
    pred = pred.reshape(len(R), -1)
    with open(os.path.join(out, name + ".rows"), "w") as f:
        for row in R:
            f.write(",".join(fmt(v) for v in row) + "\n")
    with open(os.path.join(out, name + ".pred"), "w") as f:
        for p_row in pred:
            f.write(" ".join(repr(float(v)) for v in p_row) + "\n")
    return "%s %s %d\n" % (name, kind, len(R))


WIDE_DEPTH = 11  # the synthetic tree's levels: 2048 leaves
# margins where the transforms change behaviour: 0 (hinge), expf's overflow (88.72) and
# underflow to subnormals and 0 (-87.3, -103.97), the sigmoid's cap at 88.7
WIDE_SPECIAL = [0.0, -0.5, 0.5, 88.7, -88.7, 88.72, 88.73, -88.72, 89.0, -89.0, -87.34,
                -103.9, -103.98, -104.0, 103.0, 1e-8, -1e-8]


def wide_tree(rng, tid, leaves):
    """A balanced tree over feature 0 whose leaf i (reached by x = i + 0.5) is leaves[i]."""
    n = 2 * len(leaves) - 1
    t = {"left_children": [-1] * n, "right_children": [-1] * n, "parents": [2147483647] * n,
         "split_indices": [0] * n, "split_conditions": [0.0] * n, "default_left": [0] * n,
         "split_type": [0] * n, "base_weights": [0.0] * n, "loss_changes": [0.0] * n,
         "sum_hessian": [1.0] * n, "categories": [], "categories_nodes": [],
         "categories_segments": [], "categories_sizes": [], "id": tid,
         "tree_param": {"num_deleted": "0", "num_feature": str(NFEAT), "num_nodes": str(n),
                        "size_leaf_vector": "0"}}
    queue, nid = [(0, 0, len(leaves))], 1
    for node, lo, hi in queue:
        if hi - lo == 1:
            t["split_conditions"][node] = t["base_weights"][node] = float(leaves[lo])
            continue
        mid = (lo + hi) // 2
        t["split_conditions"][node] = float(mid)
        t["default_left"][node] = int(rng.integers(0, 2))
        t["left_children"][node], t["right_children"][node] = nid, nid + 1
        t["parents"][nid] = t["parents"][nid + 1] = node
        queue += [(nid, lo, mid), (nid + 1, mid, hi)]
        nid += 2
    return t


def wide_one(out, rng, base, name, kind, span):
    """Model `base` with its trees replaced by one wide tree per class, leaves spread over
    +-span plus WIDE_SPECIAL (and, across classes, equal leaves: argmax ties), so that the
    objective's transform meets thousands of margins; XGBoost loads it and predicts."""
    with open(os.path.join(out, base + ".json")) as f:
        model = json.load(f)
    gb = model["learner"]["gradient_booster"]
    k = max(1, int(model["learner"]["learner_model_param"]["num_class"]))
    nleaf = 1 << WIDE_DEPTH
    first = rng.uniform(-span, span, nleaf).astype(np.float32)
    first[:len(WIDE_SPECIAL)] = WIDE_SPECIAL
    trees = []
    for c in range(k):
        leaves = rng.uniform(-span, span, nleaf).astype(np.float32)
        leaves[:len(WIDE_SPECIAL)] = WIDE_SPECIAL
        leaves[::7] = first[::7]  # every class alike: a tie, the first class wins
        leaves[1::11] = 50.0 if c >= k // 2 else -50.0  # the last classes tie at the top
        trees.append(wide_tree(rng, c, leaves))
    inner = gb.get("gbtree", gb)["model"]
    inner["trees"], inner["tree_info"] = trees, list(range(k))
    inner["gbtree_model_param"]["num_trees"] = str(k)
    if "weight_drop" in gb:
        gb["weight_drop"] = [float(w) for w in rng.uniform(0.2, 1.0, k).astype(np.float32)]
    path = os.path.join(out, name + ".json")
    with open(path, "w") as f:
        json.dump(model, f)
    bst = xgb.Booster(model_file=path)
    rows = []
    for i in range(nleaf):
        row = make_data(rng, 1, 0.3)[0]
        row[0] = i + 0.5
        rows.append(row)
    rows += [np.full(NFEAT, np.nan)]
    return write_case(out, name, kind, bst, rows)


# synthetic models: base model, name, kind, leaf span
WIDE = [
    ("binary", "wide_logistic", "prob", 100.0),
    ("logitraw", "wide_logitraw", "reg", 100.0),
    ("hinge", "wide_hinge", "prob", 4.0),
    ("poisson", "wide_poisson", "reg", 110.0),
    ("poisson_base", "wide_poisson_base", "reg", 30.0),
    ("cox", "wide_cox", "reg", 110.0),
    ("aft", "wide_aft", "reg", 110.0),
    ("multi", "wide_softprob", "prob", 100.0),
    ("softmax", "wide_softmax", "reg", 3.0),
    ("dart_multi", "wide_dart", "prob", 40.0),
]


def bad_files(out, rng):
    """Malformed and unsupported model files."""
    X = make_data(rng, 300)
    y = label_binary(rng, X)
    with open(os.path.join(out, "binary.json"), "rb") as f:
        good = f.read()
    with open(os.path.join(out, "bad_truncated.json"), "wb") as f:
        f.write(good[:4000])
    with open(os.path.join(out, "binary.ubj"), "rb") as f:
        good = f.read()
    with open(os.path.join(out, "bad_cut.ubj"), "wb") as f:
        f.write(good[:4000])
    # an objective XGBoost 1.7 does not have (2.0's quantile regression) and a booster no
    # version has
    with open(os.path.join(out, "binary.json")) as f:
        model = json.load(f)
    model["learner"]["objective"] = {"name": "reg:quantileerror"}
    with open(os.path.join(out, "bad_objective.json"), "w") as f:
        json.dump(model, f)
    model["learner"]["objective"] = {"name": "binary:logistic"}
    model["learner"]["gradient_booster"]["name"] = "gbforest"
    with open(os.path.join(out, "bad_booster.json"), "w") as f:
        json.dump(model, f)
    C = np.column_stack([rng.integers(0, 5, size=300).astype(float), X[:, 0]])
    yc = (C[:, 0] % 2 == 1).astype(float)
    d = xgb.DMatrix(C, label=yc, feature_types=["c", "q"], enable_categorical=True)
    xgb.train({"objective": "binary:logistic", "max_depth": 2, "tree_method": "hist",
               "seed": 0, "nthread": 1}, d, 2).save_model(os.path.join(out, "bad_cat.json"))


def main():
    out = sys.argv[1]
    rng = np.random.default_rng(int(sys.argv[2]) if len(sys.argv) > 2 else 20240601)
    os.makedirs(out, exist_ok=True)
    manifest = [train_one(out, rng, *m) for m in MODELS]
    manifest += [wide_one(out, rng, *w) for w in WIDE]
    bad_files(out, rng)
    with open(os.path.join(out, "manifest"), "w") as f:
        f.writelines(manifest)


if __name__ == "__main__":
    main()
