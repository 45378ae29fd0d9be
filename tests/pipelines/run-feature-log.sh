#!/usr/bin/env bash
# The payments pipeline's feature_log and decisions sinks (decisions.sql)
# over the whole recorded log: training data from the same SQL (issue 6,
# item 5) and decisions checked independently.
#
#   1-3. Replaying the same log again, in batches of 7 lines, and with a
#        restart from a snapshot half-way gives the same feature_log and
#        decisions, byte for byte.
#   4.   The training rows model/train.py computes for the log (its own
#        vigil replay of features.sql + windows.sql) are the feature_log's
#        feature vectors, row for row.
#   5.   Every fraud_score is XGBoost's own predict on the feature_log row
#        (python3-xgboost, within 1e-6), and every decision, rule_id,
#        matched_rules and shadow_rules is rules.yaml evaluated in Python
#        (COND and RULES below restate rules.yaml by hand: change both).
# Prints ok/FAIL per check; last line: N passed, N failed.
set -u
BUILD=${BUILD:-build}
P=pipelines/payments
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# replay NAME [ARGS...]: the pipeline over its log into $tmp/NAME/.
replay() {
    local name=$1 args=()
    shift
    for sink in features high_value flagged card_velocity velocity_alerts merchant_minutes \
        card_sessions decisions feature_log dead_letter; do
        args+=(--output "$sink=$tmp/$name/$sink.jsonl")
    done
    "$BUILD/vigil" replay "$P" "${args[@]}" --quiet "$@" 2>"$tmp/$name.stderr"
}

passed=0
failed=0
ok() { echo "ok $1"; passed=$((passed + 1)); }
fail() { echo "FAIL $1"; failed=$((failed + 1)); }

if ! replay first; then
    echo "FAIL vigil replay $P: $(head -n 3 "$tmp/first.stderr")"
    echo "0 passed, 1 failed"
    exit 1
fi
for run in "again" "batch_7 --batch-size 7" "restart --restart-at 2500"; do
    set -- $run
    name=$1
    shift
    if ! replay "$name" "$@"; then
        fail "$name: vigil replay failed: $(head -n 3 "$tmp/$name.stderr")"
    elif cmp -s "$tmp/first/feature_log.jsonl" "$tmp/$name/feature_log.jsonl" &&
        cmp -s "$tmp/first/decisions.jsonl" "$tmp/$name/decisions.jsonl"; then
        ok "$name: same feature_log and decisions ($(wc -l <"$tmp/first/feature_log.jsonl") rows)"
    else
        fail "$name: feature_log or decisions differ from the first replay"
        diff "$tmp/first/feature_log.jsonl" "$tmp/$name/feature_log.jsonl" | head -n 4
    fi
done

out=$(/usr/bin/python3 - "$P" "$tmp/first" "$BUILD" <<'PY'
import json, operator as op, os, sys, tempfile
import numpy as np
import xgboost as xgb

pipeline, out, build = sys.argv[1:4]
os.environ["BUILD"] = build
sys.dont_write_bytecode = True  # no __pycache__ in the pipeline folder
sys.path.insert(0, os.path.join(pipeline, "model"))
import train  # noqa: E402  (model/train.py: FEATURES, feature_rows)

names = [name for name, _ in train.FEATURES]
log = [json.loads(line) for line in open(os.path.join(out, "feature_log.jsonl"))]
decisions = [json.loads(line) for line in open(os.path.join(out, "decisions.jsonl"))]

# 4. training rows == feature log
with tempfile.TemporaryDirectory() as tmp:
    training = train.feature_rows(tmp, os.path.abspath(os.path.join(pipeline, "data",
                                                                    "payments.jsonl")))
logged = [dict(payment_id=r["payment_id"], **{n: r[n] for n in names}) for r in log]
if training == logged:
    print(f"ok train.py's training rows are the feature_log's vectors ({len(log)} rows)")
else:
    bad = next(i for i, (a, b) in enumerate(zip(training + [None] * len(logged), logged))
               if a != b)
    print(f"FAIL training rows differ from the feature_log at row {bad + 1}")


# 5. scores and rules, independently
def cmp(f, a, b):
    return None if a is None or b is None else f(a, b)


def all_true(*xs):  # a condition of ANDed comparisons matches iff every one is TRUE
    return all(x is True for x in xs)


COND = {  # rules.yaml's conditions, by hand
    "model_block": lambda r: all_true(cmp(op.gt, r["fraud_score"], 0.9)),
    "model_review": lambda r: all_true(cmp(op.gt, r["fraud_score"], 0.6)),
    "card_testing": lambda r: all_true(cmp(op.ge, r["merchant_micro_1m"], 5),
                                       cmp(op.lt, r["amount"], 5)),
    "success_after_failures": lambda r: all_true(cmp(op.ge, r["card_failed_1h"], 3),
                                                 cmp(op.eq, r["status"], "captured")),
    "card_burst": lambda r: all_true(cmp(op.ge, r["card_n_10m"], 6)),
    "card_spend_10m": lambda r: all_true(cmp(op.gt, r["card_sum_10m"], 2000),
                                         cmp(op.ge, r["card_n_10m"], 3)),
    "shared_device": lambda r: all_true(cmp(op.ge, r["device_cards_1h"], 4)),
    "amount_spike": lambda r: all_true(
        cmp(op.gt, r["amount"], 1000),
        cmp(op.gt, r["amount"], None if r["card_avg_24h"] is None else 5 * r["card_avg_24h"])),
    "low_risk": lambda r: all_true(cmp(op.lt, r["fraud_score"], 0.05),
                                   cmp(op.lt, r["amount"], 50), cmp(op.le, r["card_n_10m"], 2)),
    "shadow_model_review_0_4": lambda r: all_true(cmp(op.gt, r["fraud_score"], 0.4)),
    "shadow_many_merchants": lambda r: all_true(cmp(op.ge, r["card_merchants_1h"], 6)),
}
# (rule_id, priority, action, mode) of the enabled rules, highest priority first
RULES = sorted([("model_block", 100, "block", "active"), ("model_review", 50, "review", "active"),
                ("card_testing", 90, "block", "active"),
                ("success_after_failures", 80, "review", "active"),
                ("card_burst", 70, "review", "active"), ("card_spend_10m", 75, "review", "active"),
                ("shared_device", 85, "block", "active"), ("amount_spike", 60, "review", "active"),
                ("low_risk", 10, "allow", "active"),
                ("shadow_model_review_0_4", 50, "review", "shadow"),
                ("shadow_many_merchants", 65, "review", "shadow")],
               key=lambda r: (-r[1], r[0]))
status = {}
for line in open(os.path.join(pipeline, "data", "payments.jsonl")):
    try:
        event = json.loads(line)
        status[event["payment_id"]] = event.get("status")
    except ValueError:
        pass
booster = xgb.Booster(model_file=os.path.join(pipeline, "model", "fraud_xgb.json"))
X = np.array([[np.nan if r[n] is None else float(r[n]) for n in names] for r in log])
pred = booster.inplace_predict(X, missing=np.nan)
worst = max(abs(float(p) - r["fraud_score"]) for p, r in zip(pred, log))
if worst <= 1e-6 and all(d["fraud_score"] == r["fraud_score"] for d, r in zip(decisions, log)):
    print(f"ok fraud_score is XGBoost's predict (largest difference {worst:.3g})")
else:
    print(f"FAIL fraud_score differs from XGBoost's predict by up to {worst:.3g}")
wrong = []
for d, r in zip(decisions, log):
    row = dict(r, status=status[r["payment_id"]])
    active = [rid for rid, _, _, mode in RULES if mode == "active" and COND[rid](row)]
    shadow = [rid for rid, _, _, mode in RULES if mode == "shadow" and COND[rid](row)]
    action = {rid: a for rid, _, a, _ in RULES}
    want = (action[active[0]] if active else "allow", active[0] if active else None,
            ",".join(active), ",".join(shadow), r["decision"])
    got = (d["decision"], d["rule_id"], d["matched_rules"], d["shadow_rules"], d["decision"])
    if want != got or d["payment_id"] != r["payment_id"]:
        wrong.append(f"  {d['payment_id']}: expected {want[:4]}, got {got[:4]}")
if len(decisions) == len(log) and not wrong:
    print(f"ok decisions are rules.yaml evaluated in Python ({len(decisions)} rows)")
else:
    print(f"FAIL {len(wrong)} decisions differ from rules.yaml evaluated in Python")
    print("\n".join(wrong[:5]))
PY
)
echo "$out"
passed=$((passed + $(grep -c '^ok ' <<<"$out")))
failed=$((failed + $(grep -c '^FAIL ' <<<"$out")))
[[ "$out" == *"ok decisions"* ]] || [[ "$out" == *"FAIL"* ]] || failed=$((failed + 1))
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
