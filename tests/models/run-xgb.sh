#!/usr/bin/env bash
# vigil's model scorer against Debian's python3-xgboost (1.7). Trains the
# reference models with tests/models/train.py into a temporary directory,
# scores XGBoost's rows with $BUILD/models/score (tests/models/score.c) from
# the JSON and from the UBJSON file, and compares with XGBoost's own
# predictions (predict, output_margin=False): within 1e-6, absolute for
# probabilities and relative (to max(1, |y|)) for regression, margins, exp
# outputs and class indices (equal infinities and NaNs agree); it also counts
# how many are bit-equal as float32. Every objective XGBoost 1.7 saves and
# every booster (gbtree, dart, gblinear) is among the models. Then malformed
# and unsupported files (an unknown objective and booster, categorical
# splits), each with its exact error text, and a linear and a logistic model
# against numpy; then every model through SQL (a NaN or infinite score is a
# JSON null).
# One "ok ..." or "FAIL ..." line per case; last line: N passed, N failed.
set -u
cd "$(dirname "$0")/../.." || exit 2
BUILD=${BUILD:-build}
PY=/usr/bin/python3
SCORE=$BUILD/models/score
pass=0
fail=0
ok() { echo "ok $*"; pass=$((pass + 1)); }
bad() { echo "FAIL $*"; fail=$((fail + 1)); }
finish() {
    echo "$pass passed, $fail failed"
    exit $((fail > 0))
}

if [ ! -x "$SCORE" ]; then
    bad "$SCORE is not built"
    finish
fi
if ! "$PY" -c 'import xgboost' 2>/dev/null; then
    bad "python3-xgboost is not installed (apt-get install python3-xgboost)"
    finish
fi
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
if ! "$PY" tests/models/train.py "$T" >"$T/train.log" 2>&1; then
    bad "tests/models/train.py failed: $(tail -n 1 "$T/train.log")"
    finish
fi

# ---- scores against XGBoost's ----
: >"$T/compare"
while read -r name kind _; do
    for ext in json ubj; do
        if ! "$SCORE" xgboost "$T/$name.$ext" "$T/$name.rows" >"$T/$name.$ext.out" \
            2>"$T/$name.$ext.err"; then
            bad "$name.$ext: score failed: $(head -n 1 "$T/$name.$ext.err")"
            continue
        fi
        echo "$name.$ext $kind $T/$name.$ext.out $T/$name.pred" >>"$T/compare"
    done
done <"$T/manifest"
while read -r line; do
    case "$line" in
    ok\ *) ok "${line#ok }" ;;
    *) bad "${line#FAIL }" ;;
    esac
done < <("$PY" - "$T/compare" <<'EOF'
import struct, sys
for line in open(sys.argv[1]):
    label, kind, got_file, want_file = line.split()
    got = [l.split() for l in open(got_file)]
    want = [l.split() for l in open(want_file)]
    if len(got) != len(want):
        print("FAIL %s: %d rows scored, %d expected" % (label, len(got), len(want)))
        continue
    equal, worst, first = 0, 0.0, None
    for i, (g, w) in enumerate(zip(got, want)):
        if len(g) != len(w):
            first = first or "row %d: %d outputs, %d expected" % (i + 1, len(g), len(w))
            continue
        for a, b in zip(map(float, g), map(float, w)):
            same = a == b or (a != a and b != b)  # infinities and NaNs alike
            d = 0.0 if same else abs(a - b) if kind == "prob" else abs(a - b) / max(1.0, abs(b))
            if struct.pack("f", a) == struct.pack("f", b) or (a != a and b != b):
                equal += 1
            if not d <= 1e-6:
                first = first or "row %d: %r, XGBoost %r" % (i + 1, a, b)
            worst = max(worst, d) if d == d else float("inf")
    outputs = sum(len(w) for w in want)
    if first:
        print("FAIL %s: %s" % (label, first))
    else:
        print("ok %s: %d rows, %d outputs within 1e-6 (%s), %d bit-equal in float32"
              % (label, len(want), outputs, "absolute" if kind == "prob" else "relative", equal))
EOF
)
[ -s "$T/compare" ] || bad "no model was scored"

# ---- malformed and unsupported files: the exact error ----
#   file|message (after "model file 'FILE': ")
while IFS='|' read -r file want; do
    if "$SCORE" xgboost "$T/$file" "$T/binary.rows" >/dev/null 2>"$T/err"; then
        bad "$file: loaded, expected \"$want\""
        continue
    fi
    got=$(head -n 1 "$T/err")
    if [ "$got" = "model file '$T/$file': $want" ]; then
        ok "$file: $want"
    else
        bad "$file: got \"$got\", expected \"model file '$T/$file': $want\""
    fi
done <<'EOF'
bad_truncated.json|not a model file: invalid token near '4.7979745E' at line 1 column 4000
bad_cut.ubj|not a model file: UBJSON data ends early at byte 4000
bad_objective.json|objective 'reg:quantileerror' is not supported (binary:logistic, binary:logitraw, binary:hinge, reg:squarederror, reg:squaredlogerror, reg:logistic, reg:pseudohubererror, reg:absoluteerror, reg:gamma, reg:tweedie, count:poisson, survival:cox, survival:aft, multi:softprob, multi:softmax, rank:pairwise, rank:ndcg, rank:map)
bad_booster.json|booster 'gbforest' is not supported (gbtree, dart, gblinear)
bad_cat.json|tree 0 node 0: categorical splits are not supported
missing.json|cannot read: No such file or directory
EOF

# ---- linear and logistic, against numpy in double over float32 inputs ----
cat >"$T/lin.json" <<'EOF'
{"coefficients": [0.5, -1.25, 3e-3, 2], "intercept": -0.75, "features": ["a", "b", "c", "d"]}
EOF
"$PY" - "$T" <<'EOF'
import sys, numpy as np
t = sys.argv[1]
rng = np.random.default_rng(5)
rows = rng.normal(size=(500, 4)) * [1, 10, 1000, 0.1]
rows[rng.random(rows.shape) < 0.05] = np.nan
w, b = np.array([0.5, -1.25, 3e-3, 2]), -0.75
with open(t + "/lin.rows", "w") as f, open(t + "/linear.want", "w") as fl, \
        open(t + "/logistic.want", "w") as fg:
    for r in rows:
        f.write(",".join(repr(float(v)) for v in r) + "\n")
        z = b
        for wi, xi in zip(w, r.astype(np.float32).astype(np.float64)):
            z += wi * xi
        fl.write(repr(float(z)) + "\n")
        fg.write(repr(float(1.0 / (1.0 + np.exp(-z)))) + "\n")
EOF
for type in linear logistic; do
    if ! "$SCORE" "$type" "$T/lin.json" "$T/lin.rows" >"$T/$type.out" 2>"$T/err"; then
        bad "$type: score failed: $(head -n 1 "$T/err")"
    elif r=$(paste -d' ' "$T/$type.out" "$T/$type.want" | "$PY" -c '
import math, sys
bad = [l for l in sys.stdin if not (lambda a, b: (math.isnan(a) and math.isnan(b)) or
       abs(a - b) <= 1e-12 * max(1, abs(b)))(*map(float, l.split()))]
nan = sum(1 for l in open(sys.argv[1]) if math.isnan(float(l)))
print("%d rows (%d NaN, from a NaN feature)" % (500, nan) if not bad else "differs: " + bad[0])
' "$T/$type.out") && [[ "$r" != differs* ]]; then
        ok "$type: $r"
    else
        bad "$type: $r"
    fi
done

# ---- the same through SQL: vigil replay with ML_PREDICT, from JSON events ----
# Every model's rows become events (missing = null); CREATE MODEL declares its
# features and one DOUBLE output per score (per class for multi:softprob);
# the scores vigil writes must be XGBoost's, as above.
VIGIL=$BUILD/vigil
while read -r name kind _; do
    for ext in json ubj; do
        "$PY" - "$T" "$name" "$ext" <<'EOF'
import json, math, sys
t, name, ext = sys.argv[1:]
rows = [[float(v) for v in l.strip().split(",")] for l in open("%s/%s.rows" % (t, name))]
nout = len(open("%s/%s.pred" % (t, name)).readline().split())
nf = len(rows[0])
with open("%s/%s.events" % (t, name), "w") as f:
    for i, r in enumerate(rows):
        ev = {"id": i}
        ev.update({"f%d" % j: (None if math.isnan(v) else v) for j, v in enumerate(r)})
        f.write(json.dumps(ev) + "\n")
feats = ", ".join("f%d DOUBLE" % j for j in range(nf))
outs = ", ".join("p%d DOUBLE" % k for k in range(nout))
with open("%s/%s.%s.sql" % (t, name, ext), "w") as f:
    f.write("CREATE STREAM ev (id BIGINT, %s);\n" % feats)
    f.write("CREATE MODEL m INPUT (%s) OUTPUT (%s) WITH ('type' = 'xgboost', 'path' = '%s.%s');\n"
            % (feats, outs, name, ext))
    f.write("SELECT %s FROM ML_PREDICT(TABLE ev, MODEL m, DESCRIPTOR(%s));\n"
            % (", ".join("p%d" % k for k in range(nout)), ", ".join("f%d" % j for j in range(nf))))
EOF
        if ! "$VIGIL" replay "$T/$name.$ext.sql" --input "ev=$T/$name.events" --quiet \
            >"$T/$name.$ext.sqlout" 2>"$T/err"; then
            bad "$name.$ext through SQL: replay failed: $(head -n 1 "$T/err")"
            continue
        fi
        r=$("$PY" - "$T/$name.$ext.sqlout" "$T/$name.pred" "$kind" <<'EOF'
import json, math, sys
got = [list(json.loads(l).values()) for l in open(sys.argv[1])]
want = [[float(v) for v in l.split()] for l in open(sys.argv[2])]
kind = sys.argv[3]
if len(got) != len(want):
    print("differs: %d rows, %d expected" % (len(got), len(want)))
    sys.exit()
for i, (g, w) in enumerate(zip(got, want)):
    for a, b in zip(g, w):
        if a is None:  # a NaN score is NULL in SQL; JSON writes an infinite one as null
            a = b if math.isinf(b) else float("nan")
        same = a == b or (a != a and b != b)
        d = 0.0 if same else abs(a - b) if kind == "prob" else abs(a - b) / max(1.0, abs(b))
        if not d <= 1e-6:
            print("differs: row %d: %r, XGBoost %r" % (i + 1, a, b))
            sys.exit()
print("%d rows, %d scores within 1e-6" % (len(want), sum(len(w) for w in want)))
EOF
)
        if [[ "$r" == differs* ]]; then
            bad "$name.$ext through SQL: $r"
        else
            ok "$name.$ext through SQL: $r"
        fi
    done
done <"$T/manifest"

# ---- multi:softprob through SQL as one ARRAY<DOUBLE> ----
# OUTPUT (probs ARRAY<DOUBLE>): the K class probabilities in class order, one
# JSON array per row, each equal to XGBoost's within 1e-6; CARDINALITY and
# probs[k] read the same values.
while read -r name kind _; do
    nout=$(head -n 1 "$T/$name.pred" | wc -w)
    [ "$nout" -gt 1 ] || continue
    for ext in json ubj; do
        "$PY" - "$T" "$name" "$ext" <<'EOF'
import sys
t, name, ext = sys.argv[1:]
nf = len(open("%s/%s.rows" % (t, name)).readline().split(","))
feats = ", ".join("f%d DOUBLE" % j for j in range(nf))
with open("%s/%s.%s.array.sql" % (t, name, ext), "w") as f:
    f.write("CREATE STREAM ev (id BIGINT, %s);\n" % feats)
    f.write("CREATE MODEL m INPUT (%s) OUTPUT (probs ARRAY<DOUBLE>) "
            "WITH ('type' = 'xgboost', 'path' = '%s.%s');\n" % (feats, name, ext))
    f.write("SELECT probs, CARDINALITY(probs) AS k, probs[1] AS p1, probs[CARDINALITY(probs)] "
            "AS plast FROM ML_PREDICT(TABLE ev, MODEL m, DESCRIPTOR(%s));\n"
            % ", ".join("f%d" % j for j in range(nf)))
EOF
        if ! "$VIGIL" replay "$T/$name.$ext.array.sql" --input "ev=$T/$name.events" --quiet \
            >"$T/$name.$ext.arrout" 2>"$T/err"; then
            bad "$name.$ext as ARRAY<DOUBLE>: replay failed: $(head -n 1 "$T/err")"
            continue
        fi
        r=$("$PY" - "$T/$name.$ext.arrout" "$T/$name.pred" <<'EOF'
import json, math, sys
got = [json.loads(l) for l in open(sys.argv[1])]
want = [[float(v) for v in l.split()] for l in open(sys.argv[2])]
if len(got) != len(want):
    print("differs: %d rows, %d expected" % (len(got), len(want)))
    sys.exit()
for i, (g, w) in enumerate(zip(got, want)):
    p = g["probs"]
    if not isinstance(p, list) or len(p) != len(w) or g["k"] != len(w):
        print("differs: row %d: %r, XGBoost %r" % (i + 1, g, w))
        sys.exit()
    if g["p1"] != p[0] or g["plast"] != p[-1]:
        print("differs: row %d: probs[1] %r, probs[K] %r of %r" % (i + 1, g["p1"], g["plast"], p))
        sys.exit()
    for a, b in zip(p, w):
        if a is None:  # a NaN score is NULL in SQL; JSON writes an infinite one as null
            a = b if math.isinf(b) else float("nan")
        if not (abs(a - b) <= 1e-6 or (a != a and b != b)):
            print("differs: row %d: %r, XGBoost %r" % (i + 1, a, b))
            sys.exit()
print("%d rows of %d probabilities within 1e-6" % (len(want), len(want[0])))
EOF
)
        if [[ "$r" == differs* ]]; then
            bad "$name.$ext as ARRAY<DOUBLE>: $r"
        else
            ok "$name.$ext as ARRAY<DOUBLE>: $r"
        fi
    done
done <"$T/manifest"

# An ARRAY<DOUBLE> output of a one-score model is refused when the file loads,
# with the error at OUTPUT (...).
while read -r name kind _; do
    [ "$(head -n 1 "$T/$name.pred" | wc -w)" -eq 1 ] || continue
    sed 's/OUTPUT (p0 DOUBLE)/OUTPUT (probs ARRAY<DOUBLE>)/; s/^SELECT p0 /SELECT probs /' \
        "$T/$name.json.sql" >"$T/one.array.sql"
    col=$(grep -b -o 'OUTPUT (' <(sed -n 2p "$T/one.array.sql") | head -n 1 | cut -d: -f1)
    want="$T/one.array.sql:2:$((col + 1)): error: model 'm': the file gives 1 score, OUTPUT declares ARRAY<DOUBLE> 'probs' (for multi:softprob's class probabilities): declare a DOUBLE"
    got=$("$VIGIL" replay "$T/one.array.sql" --input "ev=$T/$name.events" --quiet 2>&1 \
        >/dev/null | head -n 1)
    if [ "$got" = "$want" ]; then
        ok "$name: ARRAY<DOUBLE> output of a one-score model refused at load"
    else
        bad "$name: ARRAY<DOUBLE> output of a one-score model: got \"$got\", expected \"$want\""
    fi
    break
done <"$T/manifest"
finish
