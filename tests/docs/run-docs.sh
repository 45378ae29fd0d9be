#!/usr/bin/env bash
# Runs the examples in README.md and docs/*.md, so the docs cannot drift
# from what vigil does. An example is marked in the Markdown by
#
#   <!-- example: NAME input=STREAM -->
#
# followed by a ```sql block (the pipeline), a ```json block (STREAM's
# events) and a second ```json block (the exact rows on standard output);
# other blocks in between are ignored. A fenced block after
#
#   <!-- file: NAME -->
#
# (any language) is a file that the examples after it in the same Markdown
# file find beside example.sql (a model, a rules file): write it before the
# example's marker. Last line: N passed, N failed.
set -u
BUILD=${BUILD:-build}
exec /usr/bin/python3 - "$BUILD/vigil" README.md docs/*.md <<'PY'
import os, re, subprocess, sys, tempfile

vigil = os.path.abspath(sys.argv[1])
MARK = re.compile(r"<!-- example: (\S+) input=(\S+) -->")
FILE = re.compile(r"<!-- file: (\S+) -->")
FENCE = re.compile(r"^```(\w*)\s*$")

def blocks(lines, start):
    """Fenced blocks (language, text) after line start."""
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
for path in sys.argv[2:]:
    lines = open(path, encoding="utf-8").read().split("\n")
    files = {}
    for no, line in enumerate(lines):
        f = FILE.search(line)
        if f:
            files[f.group(1)] = next(blocks(lines, no + 1), (None, ""))[1]
            continue
        m = MARK.search(line)
        if not m:
            continue
        name, stream = m.groups()
        sql = events = expected = None
        for lang, text in blocks(lines, no + 1):
            if lang == "sql" and sql is None:
                sql = text
            elif lang == "json" and sql is not None and events is None:
                events = text
            elif lang == "json" and events is not None:
                expected = text
                break
        label = f"{path}:{no + 1}: example {name}"
        if expected is None:
            print(f"FAIL {label}: needs a sql block and two json blocks after the marker")
            failed += 1
            continue
        with tempfile.TemporaryDirectory() as d:
            open(os.path.join(d, "example.sql"), "w").write(sql)
            open(os.path.join(d, "events.jsonl"), "w").write(events)
            for fname, text in files.items():
                open(os.path.join(d, fname), "w").write(text)
            r = subprocess.run([vigil, "replay", "example.sql", "--input",
                                f"{stream}=events.jsonl", "--output",
                                "dead_letter=dead.jsonl"],
                               cwd=d, capture_output=True, text=True, timeout=60)
        if r.returncode == 0 and r.stdout == expected:
            print(f"ok {label}")
            passed += 1
        else:
            print(f"FAIL {label}: exit {r.returncode}\n--- expected\n{expected}--- got\n"
                  f"{r.stdout}--- stderr\n{r.stderr}")
            failed += 1
print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
PY
