#!/usr/bin/python3
"""bench_model.py — the XGBoost side of scripts/bench_models.

    bench_model.py train DIR        train the two models (when DIR lacks them) and write rows
    bench_model.py time DIR NAME    time XGBoost scoring DIR/NAME.json on DIR/rows.csv

train: deterministic (seeded generator; hist, which gives the same trees for
any thread count): 50,000 generated rows of 20 features (normal, counts,
log-normal amounts, 5% missing) with a binary label, and two
binary:logistic models: small (50 trees, depth 6) and large (500 trees,
depth 8), saved as DIR/small.json and DIR/large.json; 10,000 further rows
(5% missing) as DIR/rows.csv (comma-separated float64, "nan" = missing).

time: with nthread=1 (so, per core; run it pinned to one core), XGBoost's
Booster.inplace_predict (a) one row at a time, each call on a 1-row float32
array, timed with perf_counter_ns around the call: latency quantiles and
rows/s over all calls; and (b) in batches of 10,000 rows (one call on the
whole float32 array), best of 5: time per row and rows/s. Writes the batch
predictions to DIR/NAME.pred (one per line) for bench_model.c's check, and
prints "name value" lines.
"""
import os
import sys
import time

import numpy as np
import xgboost as xgb

NFEAT = 20
MODELS = {"small": (50, 6), "large": (500, 8)}


def make_rows(rng, n):
    X = np.empty((n, NFEAT))
    for f in range(NFEAT):
        kind = f % 4
        if kind == 0:
            X[:, f] = rng.normal(size=n)
        elif kind == 1:
            X[:, f] = rng.integers(0, 50, size=n)
        elif kind == 2:
            X[:, f] = rng.lognormal(3.0, 1.2, size=n)
        else:
            X[:, f] = rng.uniform(-100, 100, size=n)
    X[rng.random(X.shape) < 0.05] = np.nan
    return X


def label(rng, X):
    Z = np.nan_to_num(X)
    z = (Z[:, 0] + 0.05 * Z[:, 1] - 0.01 * Z[:, 2] + 0.02 * Z[:, 3] + np.sin(Z[:, 4])
         + 0.3 * Z[:, 8] * Z[:, 12] + 0.1 * np.log1p(np.abs(Z[:, 6])) + rng.normal(size=len(X)))
    return (z > np.median(z)).astype(float)


def train(d):
    os.makedirs(d, exist_ok=True)
    rng = np.random.default_rng(20240601)
    X = make_rows(rng, 50000)
    y = label(rng, X)
    rows = make_rows(rng, 10000)
    dm = xgb.DMatrix(X, label=y)
    for name, (trees, depth) in MODELS.items():
        path = os.path.join(d, name + ".json")
        if os.path.exists(path):
            continue
        params = {"objective": "binary:logistic", "max_depth": depth, "eta": 0.1,
                  "tree_method": "hist", "seed": 0, "min_child_weight": 0.5}
        bst = xgb.train(params, dm, trees)
        tmp = os.path.join(d, name + ".tmp.json")  # the extension picks the format
        bst.save_model(tmp)
        os.replace(tmp, path)
    with open(os.path.join(d, "rows.csv"), "w") as f:
        for r in rows:
            f.write(",".join("nan" if np.isnan(v) else repr(float(v)) for v in r) + "\n")


def quantile(sorted_ns, q):
    return sorted_ns[min(len(sorted_ns) - 1, int(q * len(sorted_ns)))]


def time_model(d, name):
    bst = xgb.Booster(model_file=os.path.join(d, name + ".json"))
    bst.set_param({"nthread": 1})
    X = np.loadtxt(os.path.join(d, "rows.csv"), delimiter=",", dtype=np.float64)
    X32 = X.astype(np.float32)
    n = len(X32)
    bst.inplace_predict(X32[:100])  # warm up
    lat = []
    t0 = time.perf_counter_ns()
    for i in range(n):
        row = X32[i:i + 1]
        a = time.perf_counter_ns()
        bst.inplace_predict(row)
        lat.append(time.perf_counter_ns() - a)
    one_total = time.perf_counter_ns() - t0
    lat.sort()
    best = None
    for _ in range(5):
        a = time.perf_counter_ns()
        pred = bst.inplace_predict(X32)
        t = time.perf_counter_ns() - a
        best = t if best is None or t < best else best
    with open(os.path.join(d, name + ".pred"), "w") as f:
        for v in np.asarray(pred, dtype=np.float32):
            f.write(repr(float(v)) + "\n")
    print("xgb_version", xgb.__version__)
    print("rows", n)
    print("one_p50_us %.3f" % (quantile(lat, 0.50) / 1e3))
    print("one_p99_us %.3f" % (quantile(lat, 0.99) / 1e3))
    print("one_rows_per_s %.0f" % (n / (one_total / 1e9)))
    print("one_us_per_row %.3f" % (one_total / 1e3 / n))
    print("batch_us_per_row %.4f" % (best / 1e3 / n))
    print("batch_rows_per_s %.0f" % (n / (best / 1e9)))


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "train":
        train(sys.argv[2])
    elif len(sys.argv) == 4 and sys.argv[1] == "time":
        time_model(sys.argv[2], sys.argv[3])
    else:
        sys.exit("usage: bench_model.py train DIR | time DIR NAME")


if __name__ == "__main__":
    main()
