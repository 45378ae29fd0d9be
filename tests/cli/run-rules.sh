#!/usr/bin/env bash
# vigil rules load|list and models at the command line: rules stored as
# versions in the pipeline's metadata store and picked up by the next
# replay; a bad rule refused with its position and nothing changed;
# vigil check loading model and rules files; ML_PREDICT end to end.
# Last line: N passed, N failed.
set -u
BUILD=${BUILD:-build}
V=$(cd "$(dirname "$BUILD/vigil")" && pwd)/vigil
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
. "$(dirname "$0")/expect.sh"


cd "$tmp"
cat > p.sql <<'SQL'
CREATE STREAM ev (id BIGINT, a DOUBLE, s STRING, ts TIMESTAMP(3), WATERMARK FOR ts AS ts);
CREATE RULESET r WITH ('default' = 'allow');
SELECT id, decision, rule_id, matched_rules, shadow_rules, rules_version
FROM APPLY_RULES(TABLE ev, RULESET r);
SQL

printf 'sql: [p.sql]\nstate: {store: state/meta.db}\n' > pipeline.yaml
printf '{"id":1,"a":3,"s":"x","ts":1}\n{"id":2,"a":1,"s":"y","ts":2}\n{"id":3,"a":null,"s":"x","ts":3}\n' > ev.jsonl
cat > v1.yaml <<'YAML'
rules:
  - rule_id: big
    priority: 10
    condition: a > 2
    action: block
  - rule_id: xs
    condition: s = 'x'
    action: review
    mode: shadow
YAML
cat > bad.yaml <<'YAML'
rules:
  - rule_id: big
    condition: a > 2 AND amount < 5
    action: block
YAML

expect "rules --help" 0 "usage: vigil rules load|list" -- "$V" rules --help
expect "rules no verb" 2 "expected 'load' or 'list'" -- "$V" rules
expect "rules load no file" 2 "missing FILE" -- "$V" rules load .
expect "rules no store" 2 "has no state.store" -- "$V" rules list p.sql
expect "rules list empty" 0 "no rulesets in store" -- "$V" rules list .
expect "replay without rules" 0 '{"id":1,"decision":"allow","rule_id":null,"matched_rules":"","shadow_rules":"","rules_version":0}' \
    -- "$V" replay . --input ev=ev.jsonl --quiet
expect "rules load v1" 0 "r: version 1, 2 rules (1 shadow, 0 disabled)" \
    -- "$V" rules load . v1.yaml --by ana
expect "replay with v1" 0 '{"id":1,"decision":"block","rule_id":"big","matched_rules":"big","shadow_rules":"xs","rules_version":1}' \
    -- "$V" replay . --input ev=ev.jsonl --quiet
expect "replay with v1: NULL condition" 0 '{"id":3,"decision":"allow","rule_id":null,"matched_rules":"","shadow_rules":"xs","rules_version":1}' \
    -- "$V" replay . --input ev=ev.jsonl --quiet
expect "rules load bad" 2 "bad.yaml:3:26: error: rule 'big': unknown column 'amount'" \
    -- "$V" rules load . bad.yaml
expect "rules load bad: caret" 2 "                         ^^^^^^" -- "$V" rules load . bad.yaml
expect "rules list after bad: still v1" 0 "r: version 1, default allow, loaded by ana" \
    -- "$V" rules list . r
sed 's/a > 2/a > 0/' v1.yaml > v2.yaml
expect "rules load v2" 0 "r: version 2, 2 rules" -- "$V" rules load . v2.yaml --by bo
expect "replay with v2" 0 '{"id":2,"decision":"block","rule_id":"big","matched_rules":"big","shadow_rules":"","rules_version":2}' \
    -- "$V" replay . --input ev=ev.jsonl --quiet
expect "rules list v2: changed by bo" 0 "big            10  active  true     block   bo" \
    -- "$V" rules list . r
expect "rules list v2: unchanged rule kept by ana" 0 "xs              0  shadow  true     review  ana" \
    -- "$V" rules list . r
expect "rules list unknown" 2 "ruleset 'nope' has no rules" -- "$V" rules list . nope

# 'file' seeds the store once: restarts keep the version, a load replaces it
mkdir -p seeded
printf 'rules:\n  - rule_id: big\n    condition: a > 1\n    action: block\n' > seeded/r.yaml
cat > seeded/p.sql <<'SQL'
CREATE STREAM ev (id BIGINT, a DOUBLE, s STRING, ts TIMESTAMP(3), WATERMARK FOR ts AS ts);
CREATE RULESET r WITH ('file' = 'r.yaml');
SELECT id, decision, rules_version FROM APPLY_RULES(TABLE ev, RULESET r);
SQL
printf 'sql: [p.sql]\nstate: {store: state/meta.db}\n' > seeded/pipeline.yaml
for run in 1 2 3; do
    expect "seeded by file, run $run" 0 '{"id":1,"decision":"block","rules_version":1}' \
        -- "$V" replay seeded --input ev=ev.jsonl --quiet
done
sed 's/a > 1/a > 5/' seeded/r.yaml > seeded/r2.yaml
expect "seeded: load v2" 0 "r: version 2, 1 rule" -- "$V" rules load seeded seeded/r2.yaml
expect "seeded: the load wins over the file" 0 '{"id":1,"decision":"allow","rules_version":2}' \
    -- "$V" replay seeded --input ev=ev.jsonl --quiet

# models at the command line
cat > m.sql <<'SQL'
CREATE STREAM ev (id BIGINT, a DOUBLE, s STRING, ts TIMESTAMP(3), WATERMARK FOR ts AS ts);
CREATE MODEL m INPUT (a DOUBLE) OUTPUT (p DOUBLE)
  WITH ('type' = 'logistic', 'path' = 'm.json', 'version_column' = 'v');
SELECT id, p, v FROM ML_PREDICT(TABLE ev, MODEL m, DESCRIPTOR(a));
SQL
expect "check missing model" 1 "m.sql:3:39: error: model 'm': " -- "$V" check m.sql
printf '{"coefficients": [2, 1], "intercept": -4}' > m.json
expect "check model features" 2 "m.sql:3:39: error: model 'm': the file reads 2 features, INPUT declares 1" \
    -- "$V" check m.sql
printf '{"coefficients": [2], "intercept": -4}' > m.json
expect "check model ok" 0 "m.sql: ok: 1 streams, 2 operators, 1 sinks, 1 models, 0 rulesets" \
    -- "$V" check m.sql
expect "predict" 0 '{"id":1,"p":0.8807970779778823,"v":1}' -- "$V" replay m.sql --input ev=ev.jsonl
expect "predict NULL feature" 0 '{"id":3,"p":null,"v":1}' -- "$V" replay m.sql --input ev=ev.jsonl
expect "explain predict" 0 "predict  model m(a)" -- "$V" explain m.sql

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
