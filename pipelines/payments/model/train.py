#!/usr/bin/python3
"""train.py — trains fraud_xgb, the model pipelines/payments scores with.

    /usr/bin/python3 pipelines/payments/model/train.py        (from the repository root)

Needs Debian's python3-xgboost (so /usr/bin/python3, not another python)
and build/vigil (`make`; BUILD=dir picks another build). Deterministic:
running it twice writes byte-identical model files.

1. Generates a training log with scripts/gen_payments.py: another seed and
   day than the recorded log in data/, 30,000 payments, with labels
   (1 = made by one of the generator's fraud bursts). 2% of the payments
   get a null amount, so that the model learns what a missing value means
   (XGBoost's default directions).
2. Computes the training rows with vigil itself: `vigil replay` of
   features.sql and windows.sql, the very files the pipeline runs, plus a
   one-line INSERT that writes the features the model scores (FEATURES
   below) from the `velocity` view. The rows are therefore the ones the
   pipeline computes online, point in time correct (issue 6, item 5);
   decisions.sql's feature_log sink writes the same columns.
3. Trains an XGBoost binary:logistic model on the first 80% of the
   payments (in log order) and prints its AUC on the last 20%; then
   trains on all of them and saves model/fraud_xgb.json and .ubj.

decisions.sql's CREATE MODEL must list FEATURES, in this order and with
these types.
"""
import json
import os
import random
import subprocess
import sys
import tempfile

import numpy as np
import xgboost as xgb

HERE = os.path.dirname(os.path.abspath(__file__))
PIPELINE = os.path.dirname(HERE)
ROOT = os.path.dirname(os.path.dirname(PIPELINE))
VIGIL = os.path.join(ROOT, os.environ.get("BUILD", "build"), "vigil")

FEATURES = [  # (column of the velocity view, SQL type), the model's INPUT in order
    ("amount", "DOUBLE"), ("card_n_10m", "BIGINT"), ("card_sum_10m", "DOUBLE"),
    ("card_failed_1h", "BIGINT"), ("card_merchants_1h", "BIGINT"),
    ("card_max_24h", "DOUBLE"), ("card_avg_24h", "DOUBLE"), ("device_cards_1h", "BIGINT"),
    ("merchant_n_1m", "BIGINT"), ("merchant_micro_1m", "BIGINT"),
]
SEED = 20240401
COUNT = 30000
START = "2024-04-01T00:00:00Z"
MISSING_AMOUNT = 0.02
PARAMS = {
    "objective": "binary:logistic", "eval_metric": "auc", "max_depth": 4, "eta": 0.1,
    "subsample": 1.0, "min_child_weight": 2, "tree_method": "exact", "nthread": 1, "seed": 0,
}
ROUNDS = 80
SINKS = ["features", "high_value", "flagged", "card_velocity", "velocity_alerts",
         "merchant_minutes", "card_sessions", "dead_letter"]


def generate(tmp):
    """The training log (with some null amounts) and its labels by payment_id."""
    log, labels = os.path.join(tmp, "raw.jsonl"), os.path.join(tmp, "labels.csv")
    subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "gen_payments.py"),
                    "--seed", str(SEED), "--count", str(COUNT), "--start", START,
                    "--out", log, "--labels", labels], check=True)
    rng = random.Random(SEED)
    out = os.path.join(tmp, "payments.jsonl")
    with open(log, encoding="utf-8") as f, open(out, "w", encoding="utf-8") as g:
        for line in f:
            event = json.loads(line)
            if rng.random() < MISSING_AMOUNT:
                event["amount"] = None
            g.write(json.dumps(event, separators=(",", ":")) + "\n")
    with open(labels, encoding="utf-8") as f:
        next(f)
        label = {pid: int(y) for pid, y in (line.strip().split(",") for line in f)}
    return out, label


def feature_rows(tmp, log):
    """vigil's feature rows for log: a list of dicts, in log order."""
    with open(os.path.join(tmp, "training.sql"), "w", encoding="utf-8") as f:
        f.write("INSERT INTO training SELECT payment_id, "
                + ", ".join(name for name, _ in FEATURES) + " FROM velocity;\n")
    sinks = "".join(f"  {s}: {{file: /dev/null}}\n" for s in SINKS)
    with open(os.path.join(tmp, "pipeline.yaml"), "w", encoding="utf-8") as f:
        f.write(f"sql: [{PIPELINE}/features.sql, {PIPELINE}/windows.sql, training.sql]\n"
                f"sources:\n  payments: {{file: {log}}}\nsinks:\n{sinks}"
                "  training: {file: training.jsonl}\n")
    subprocess.run([VIGIL, "replay", tmp, "--quiet"], check=True)
    with open(os.path.join(tmp, "training.jsonl"), encoding="utf-8") as f:
        return [json.loads(line) for line in f]


def matrix(rows):
    """Features as float64 with NaN for NULL (XGBoost's missing value)."""
    return np.array([[np.nan if r[name] is None else float(r[name]) for name, _ in FEATURES]
                     for r in rows], dtype=np.float64)


def auc(y, score):
    """Area under the ROC curve: the chance that a random positive scores
    above a random negative, ties counting half (ranks averaged)."""
    order = np.argsort(score, kind="mergesort")
    s = score[order]
    ranks = np.empty(len(s))
    i = 0
    while i < len(s):
        j = i
        while j + 1 < len(s) and s[j + 1] == s[i]:
            j += 1
        ranks[i:j + 1] = (i + j) / 2 + 1
        i = j + 1
    pos = y[order] == 1
    n_pos, n_neg = pos.sum(), (~pos).sum()
    return (ranks[pos].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg)


def train(X, y):
    dm = xgb.DMatrix(X, label=y, missing=np.nan, feature_names=[n for n, _ in FEATURES])
    return xgb.train(PARAMS, dm, num_boost_round=ROUNDS)


def main():
    with tempfile.TemporaryDirectory() as tmp:
        log, label = generate(tmp)
        rows = feature_rows(tmp, log)
    X = matrix(rows)
    y = np.array([label[r["payment_id"]] for r in rows], dtype=np.float64)
    cut = int(len(rows) * 0.8)
    held_out = train(X[:cut], y[:cut])
    score = held_out.inplace_predict(X[cut:], missing=np.nan)
    print(f"train.py: {len(rows)} rows, {int(y.sum())} labelled fraud, "
          f"{int(np.isnan(X).any(axis=1).sum())} with a NULL feature")
    print(f"train.py: AUC on the last {len(rows) - cut} rows (trained on the first {cut}): "
          f"{auc(y[cut:], score):.4f}")
    model = train(X, y)
    for ext in ("json", "ubj"):
        path = os.path.join(HERE, "fraud_xgb." + ext)
        model.save_model(path)
        print(f"train.py: wrote {os.path.relpath(path, ROOT)}")


if __name__ == "__main__":
    main()
