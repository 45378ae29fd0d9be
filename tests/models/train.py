#!/usr/bin/python3
"""train.py — the reference models for tests/models/run-xgb.sh, trained with
Debian's python3-xgboost (run with /usr/bin/python3), and XGBoost's own
predictions on hard rows.

    /usr/bin/python3 tests/models/train.py OUTDIR [SEED]

Deterministic (seeded numpy generator, nthread=1). Writes into OUTDIR:

  NAME.json, NAME.ubj   each model saved by save_model in both formats
  NAME.rows             rows to score: one per line, comma-separated float64
                        values written with repr ("nan" = missing)
  NAME.pred             XGBoost's inplace_predict on those rows (a float64
                        array, which XGBoost rounds to float32 as vigil does):
                        one line per row, the outputs separated by spaces
  manifest              one line per model: NAME KIND NROWS, KIND "prob"
                        (compare absolutely) or "reg" (relatively)
  bad_*.json, bad_*.ubj malformed or unsupported files, for the error cases

The models: binary:logistic (default base_score; base_score 0.3; a forest
with num_parallel_tree 4; lossguide trees with 31 leaves and no depth limit),
reg:squarederror (targets in the thousands; base_score 1234.5) and
multi:softprob (4 classes); every training set has 15% of its values
missing. The rows: random rows (with missing values); for internal nodes of
the trees, a row that reaches the node with the node's feature set to the
threshold (as float64), its float32 neighbours, the float64 neighbours of the
threshold (which round to it in float32), the midpoints between the
threshold and its float32 neighbours (which round to even) and one float64
step either side of them, and missing; all-missing rows and rows with a
single present feature; and extreme magnitudes (+-1e30, +-3e38, FLT_MAX,
float32 subnormals 1e-40 and 1e-45, +-0).
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


# name, kind, params, rounds, labeller
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
]


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
    trees = model["learner"]["gradient_booster"]["model"]["trees"]
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
    y = labeller(rng, X)
    p = dict(params, seed=0, nthread=1)
    bst = xgb.train(p, xgb.DMatrix(X, label=y), rounds)
    bst.save_model(os.path.join(out, name + ".json"))
    bst.save_model(os.path.join(out, name + ".ubj"))
    with open(os.path.join(out, name + ".json")) as f:
        model = json.load(f)
    pool = list(make_data(rng, 400))
    rows = pool + probe_rows(rng, model, pool) + edge_rows(rng)
    R = np.array(rows, dtype=np.float64)
    bst.set_param({"nthread": 1})
    pred = np.asarray(bst.inplace_predict(R), dtype=np.float32)
    pred = pred.reshape(len(R), -1)
    with open(os.path.join(out, name + ".rows"), "w") as f:
        for row in R:
            f.write(",".join(fmt(v) for v in row) + "\n")
    with open(os.path.join(out, name + ".pred"), "w") as f:
        for p_row in pred:
            f.write(" ".join(repr(float(v)) for v in p_row) + "\n")
    return "%s %s %d\n" % (name, kind, len(R))


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
    d = xgb.DMatrix(X, label=y)
    d.set_group([100, 100, 100])
    xgb.train({"objective": "rank:pairwise", "max_depth": 2, "seed": 0, "nthread": 1}, d,
              2).save_model(os.path.join(out, "bad_rank.json"))
    d = xgb.DMatrix(X, label=y)
    xgb.train({"objective": "binary:logistic", "booster": "dart", "max_depth": 2, "seed": 0,
               "nthread": 1}, d, 2).save_model(os.path.join(out, "bad_dart.json"))
    xgb.train({"objective": "binary:logistic", "booster": "gblinear", "seed": 0, "nthread": 1},
              d, 2).save_model(os.path.join(out, "bad_gblinear.ubj"))
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
    bad_files(out, rng)
    with open(os.path.join(out, "manifest"), "w") as f:
        f.writelines(manifest)


if __name__ == "__main__":
    main()
