#!/usr/bin/env bash
# The payments pipeline over its whole recorded log (5,000 events), every
# sink compared row for row with pipelines/payments/tests/make_expected.py,
# which computes the same features independently in plain Python.
# Last line: N passed, N failed (one per sink).
set -u
BUILD=${BUILD:-build}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
P=pipelines/payments
args=()
for sink in features high_value flagged card_velocity velocity_alerts merchant_minutes \
    card_sessions dead_letter; do
    args+=(--output "$sink=$tmp/$sink.jsonl")
done
# (decisions and feature_log are checked by run-feature-log.sh)
args+=(--output "decisions=$tmp/decisions.jsonl" --output "feature_log=$tmp/feature_log.jsonl")
if ! "$BUILD/vigil" replay "$P" "${args[@]}" --quiet 2>"$tmp/stderr"; then
    echo "FAIL vigil replay $P: $(head -n 3 "$tmp/stderr")"
    echo "0 passed, 1 failed"
    exit 1
fi
exec /usr/bin/python3 "$P/tests/make_expected.py" --log "$P/data/payments.jsonl" "$tmp"
