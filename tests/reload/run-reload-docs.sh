#!/usr/bin/env bash
# Runs the examples of docs/reload.md. An example is marked by
#
#   <!-- reload-example: NAME input=STREAM at=N -->
#
# followed by a ```sql block (the pipeline, example.sql), a second ```sql
# block (new.sql), a ```json block (STREAM's events), a ```text block (what
# `vigil replay example.sql --reload-at N=new.sql` prints on standard error:
# the state plan) and a second ```json block (the exact rows on standard
# output). Other blocks in between are ignored. Last line: N passed, N failed.
set -u
BUILD=${BUILD:-build}
exec /usr/bin/python3 - "$BUILD/vigil" docs/reload.md <<'PY'
import os, re, subprocess, sys, tempfile

vigil = os.path.abspath(sys.argv[1])
MARK = re.compile(r"<!-- reload-example: (\S+) input=(\S+) at=(\d+) -->")
FENCE = re.compile(r"^```(\w*)\s*$")
WANT = ["sql", "sql", "json", "text", "json"]


def blocks(lines, start):
    i = start
    while i < len(lines):
        m = FENCE.match(lines[i])
        if m:
            j = i + 1
            while j < len(lines) and not lines[j].startswith("```"):
                j += 1
            yield m.group(1), "\n".join(lines[i + 1:j]) + "\n"
            i = j
        i += 1


passed = failed = 0
path = sys.argv[2]
lines = open(path, encoding="utf-8").read().split("\n")
for no, line in enumerate(lines):
    m = MARK.search(line)
    if not m:
        continue
    name, stream, at = m.groups()
    got = []
    for lang, text in blocks(lines, no + 1):
        if len(got) < len(WANT) and lang == WANT[len(got)]:
            got.append(text)
    label = f"{path}:{no + 1}: example {name}"
    if len(got) < len(WANT):
        print(f"FAIL {label}: needs blocks {WANT} after the marker")
        failed += 1
        continue
    before, after, events, report, rows = got
    with tempfile.TemporaryDirectory() as d:
        for f, text in [("example.sql", before), ("new.sql", after), (stream + ".jsonl", events)]:
            open(os.path.join(d, f), "w").write(text)
        r = subprocess.run([vigil, "replay", "example.sql", "--quiet", "--input",
                            f"{stream}={stream}.jsonl", "--output", "dead_letter=dead.jsonl",
                            "--reload-at", f"{at}=new.sql"],
                           cwd=d, capture_output=True, text=True, timeout=60)
    if r.returncode == 0 and r.stdout == rows and r.stderr == report:
        print(f"ok {label}")
        passed += 1
    else:
        print(f"FAIL {label}: exit {r.returncode}\n--- expected\n{rows}{report}--- got\n"
              f"{r.stdout}{r.stderr}")
        failed += 1
print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
PY
