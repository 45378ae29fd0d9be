#!/usr/bin/env bash
# Snapshot/restore equality for every operator kind, over the whole golden
# SQL suite: each case that replays cleanly is run again one event per batch
# with `--restart-at K` (state snapshotted after event K, the DAG torn down,
# a fresh one restored from the snapshot) for K = 1, the middle and the last
# event, and every sink must come out byte for byte as without the restart.
# Last line: N passed, N failed (one per case).
set -u
BUILD=${BUILD:-build}
exec /usr/bin/python3 - "$BUILD/vigil" <<'PY'
import os, subprocess, sys, tempfile
sys.path.insert(0, "tests/sql")
import run

vigil = os.path.abspath(sys.argv[1])
passed = failed = 0

def replay(case, d, extra):
    out = os.path.join(d, "out")
    for f in os.listdir(out):
        os.unlink(os.path.join(out, f))
    r = subprocess.run(run.command(case, vigil) + extra, cwd=d, capture_output=True,
                       timeout=60)
    outs = {}
    for name in run.sinks_to_check(case):
        p = os.path.join(out, name + ".jsonl")
        outs[name] = open(p, "rb").read() if os.path.exists(p) else b""
    return r.returncode, outs

for path in run.find_cases(["tests/sql"]):
    case = run.parse_case(path)
    if case.error is not None or case.args:
        continue
    events = sum(len([l for l in lines if l.strip()]) for _, lines in case.inputs)
    if events == 0:
        continue
    with tempfile.TemporaryDirectory() as d:
        run.write_case(case, d)
        rc, want = replay(case, d, ["--batch-size", "1"])
        if rc != 0:
            continue  # a case that does not replay cleanly is the golden runner's business
        bad = []
        for k in sorted({1, max(1, events // 2), events}):
            rc2, got = replay(case, d, ["--batch-size", "1", "--restart-at", str(k)])
            if rc2 != 0 or got != want:
                bad.append(k)
        if bad:
            failed += 1
            print(f"FAIL {path}: output changed with --restart-at {bad}")
        else:
            passed += 1
print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
PY
