#!/usr/bin/env bash
# Allocation-failure test over the golden SQL suite: every golden case is
# written out as a folder (query.sql, input/*.jsonl) and run by
# $BUILD/fault/alloc_fail with each allocation failing in turn.
# STEP (default 1) tries every STEPth allocation. Last line: N passed, N failed.
set -u
BUILD=${BUILD:-build}
STEP=${STEP:-1}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
/usr/bin/python3 - "$tmp" <<'PY'
import os, sys
sys.path.insert(0, "tests/sql")
import run
out = sys.argv[1]
for i, path in enumerate(run.find_cases(["tests/sql"])):
    case = run.parse_case(path)
    d = os.path.join(out, "%04d" % i)
    os.makedirs(d)
    run.write_case(case, d)
    with open(os.path.join(d, "name"), "w") as f:
        f.write(path)
PY
exec "$BUILD/fault/alloc_fail" --step "$STEP" "$tmp"/*/
