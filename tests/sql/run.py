#!/usr/bin/python3
"""tests/sql/run.py — the golden SQL test runner.

    /usr/bin/python3 tests/sql/run.py --vigil build/vigil tests/sql [PATH...]

Each *.test file under the given paths is one case: SQL, input events, and
the exact rows expected on each sink, or the exact compile error expected on
standard error. tests/sql/README.md describes the format. For each case the
runner makes a fresh temporary directory, writes query.sql and
input/NAME.jsonl there, runs (with that directory as cwd)

    vigil replay query.sql --input NAME=input/NAME.jsonl ...
          --output stdout=out/stdout.jsonl --output dead_letter=out/dead_letter.jsonl
          [--output SINK=out/SINK.jsonl ...] [ARGS]

and compares every expected sink file line by line, in order. It prints
"ok PATH" or "FAIL PATH" with the reason and a unified diff, and ends with
"N passed, N failed"; the exit status is 1 when any case failed.

The module can be imported: parse_case() reads a case, run_case() runs it,
so other suites (allocation-failure runs) can reuse the format.
"""

import argparse
import concurrent.futures
import difflib
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile

SECTION_RE = re.compile(r"^-- (sql|error|exit|args|input ([A-Za-z_][A-Za-z0-9_]*)"
                        r"|expected ([A-Za-z_][A-Za-z0-9_]*))[ \t]*$")
ALWAYS_CHECKED = ("stdout", "dead_letter")


class CaseError(Exception):
    """A .test file that does not follow the format."""


class Case:
    """One parsed .test file."""

    def __init__(self, path):
        self.path = path          # the .test file
        self.sql = None           # SQL text, or None when the section is missing
        self.inputs = []          # [(stream name, [lines])] in file order
        self.expected = {}        # sink name -> [lines]
        self.error = None         # expected stderr lines, for a compile error case
        self.exit = None          # expected exit status (default 0, or 2 with -- error)
        self.args = []            # extra command-line arguments

    def expected_exit(self):
        if self.exit is not None:
            return self.exit
        return 2 if self.error is not None else 0


def strip_trailing_blank(lines):
    while lines and lines[-1].strip() == "":
        lines = lines[:-1]
    return lines


def parse_case(path):
    """Read a .test file into a Case; raise CaseError when it is malformed."""
    # surrogateescape: a case may hold invalid UTF-8 on purpose (decoder tests)
    with open(path, encoding="utf-8", errors="surrogateescape") as f:
        text = f.read()
    case = Case(path)
    sections = []  # [(header match, line number, [lines])]
    for no, line in enumerate(text.split("\n"), 1):
        m = SECTION_RE.match(line)
        if m:
            sections.append((m, no, []))
        elif not sections:
            if line.strip() and not line.startswith("#"):
                raise CaseError(f"{path}:{no}: text before the first section: {line!r}")
        elif line.startswith("#") and not sections[-1][0].group(1).startswith("input "):
            continue  # comment (input lines are data, kept verbatim)
        else:
            sections[-1][2].append(line)
    for m, no, lines in sections:
        lines = strip_trailing_blank(lines)
        head = m.group(1)
        if head == "sql":
            if case.sql is not None:
                raise CaseError(f"{path}:{no}: a second '-- sql' section")
            case.sql = "\n".join(lines) + "\n"
        elif head == "error":
            case.error = lines
        elif head == "exit":
            if len(lines) != 1 or not lines[0].strip().isdigit():
                raise CaseError(f"{path}:{no}: '-- exit' needs one line with a number")
            case.exit = int(lines[0])
        elif head == "args":
            if len(lines) > 1:
                raise CaseError(f"{path}:{no}: '-- args' takes one line")
            case.args = shlex.split(lines[0]) if lines else []
        elif m.group(2):
            if any(name == m.group(2) for name, _ in case.inputs):
                raise CaseError(f"{path}:{no}: a second '-- input {m.group(2)}' section")
            case.inputs.append((m.group(2), lines))
        else:
            if m.group(3) in case.expected:
                raise CaseError(f"{path}:{no}: a second '-- expected {m.group(3)}' section")
            case.expected[m.group(3)] = lines
    if case.sql is None:
        raise CaseError(f"{path}: no '-- sql' section")
    if case.error is not None and case.expected:
        raise CaseError(f"{path}: '-- error' and '-- expected' sections exclude each other")
    return case


def sinks_to_check(case):
    """Sink names whose output is compared: stdout and dead_letter always
    (absent section = expected empty), plus every '-- expected' sink."""
    names = list(ALWAYS_CHECKED)
    names += [n for n in case.expected if n not in ALWAYS_CHECKED]
    return names


def command(case, vigil):
    cmd = [vigil, "replay", "query.sql"]
    for name, _ in case.inputs:
        cmd += ["--input", f"{name}=input/{name}.jsonl"]
    for name in sinks_to_check(case):
        cmd += ["--output", f"{name}=out/{name}.jsonl"]
    return cmd + case.args


def write_case(case, workdir):
    """Write query.sql and input/NAME.jsonl into workdir; make out/."""
    with open(os.path.join(workdir, "query.sql"), "w", encoding="utf-8",
              errors="surrogateescape") as f:
        f.write(case.sql)
    os.makedirs(os.path.join(workdir, "input"), exist_ok=True)
    os.makedirs(os.path.join(workdir, "out"), exist_ok=True)
    for name, lines in case.inputs:
        with open(os.path.join(workdir, "input", name + ".jsonl"), "w",
                  encoding="utf-8", errors="surrogateescape", newline="\n") as f:
            f.write("".join(line + "\n" for line in lines))


def read_lines(path):
    """Lines of a sink file (no newlines); a missing file is empty. Split at
    "\n" only: str.splitlines() would also split at U+2028 and friends, which
    JSON strings may hold raw."""
    try:
        with open(path, encoding="utf-8", errors="surrogateescape", newline="") as f:
            text = f.read()
        lines = text.split("\n")
        return lines[:-1] if lines and lines[-1] == "" else lines
    except FileNotFoundError:
        return []


def diff(want, got, name):
    return "\n".join(difflib.unified_diff(want, got, f"expected/{name}", f"got/{name}",
                                          lineterm=""))


def run_case(case, vigil, timeout=60, env=None, keep=False):
    """Run one case; return (passed, report text). report is empty when passed."""
    workdir = tempfile.mkdtemp(prefix="vigil-sql-")
    try:
        write_case(case, workdir)
        try:
            proc = subprocess.run(command(case, vigil), cwd=workdir, env=env,
                                  stdin=subprocess.DEVNULL, capture_output=True,
                                  timeout=timeout)
        except subprocess.TimeoutExpired:
            return False, f"  timed out after {timeout}s"
        except OSError as e:
            return False, f"  cannot run {vigil}: {e.strerror}"
        stderr = proc.stderr.decode("utf-8", "replace")
        problems = []
        if proc.returncode != case.expected_exit():
            problems.append(f"  exit status {proc.returncode}, expected {case.expected_exit()}")
        if case.error is not None:
            got = strip_trailing_blank(stderr.split("\n"))
            if got != case.error:
                problems.append("  standard error differs:\n" + diff(case.error, got, "stderr"))
        else:
            for name in sinks_to_check(case):
                want = case.expected.get(name, [])
                got = read_lines(os.path.join(workdir, "out", name + ".jsonl"))
                if got != want:
                    problems.append(f"  sink {name} differs:\n" + diff(want, got, name))
        if problems and case.error is None and stderr.strip():
            problems.append("  standard error:\n" + "\n".join(
                "    " + line for line in stderr.rstrip("\n").split("\n")[-20:]))
        if problems and keep:
            problems.append(f"  kept {workdir}")
        return not problems, "\n".join(problems)
    finally:
        if not keep:
            shutil.rmtree(workdir, ignore_errors=True)


def find_cases(paths):
    found = []
    for p in paths:
        if os.path.isdir(p):
            for root, dirs, files in os.walk(p):
                dirs.sort()
                found += [os.path.join(root, f) for f in sorted(files) if f.endswith(".test")]
        else:
            found.append(p)
    return found


def run_one(path, args):
    try:
        case = parse_case(path)
    except (CaseError, OSError, UnicodeDecodeError) as e:
        return False, f"  bad test file: {e}"
    return run_case(case, args.vigil, timeout=args.timeout, keep=args.keep)


def main():
    ap = argparse.ArgumentParser(description="Run vigil's golden SQL tests.")
    ap.add_argument("--vigil", default="build/vigil", help="the vigil binary to test")
    ap.add_argument("-j", "--jobs", type=int, default=os.cpu_count() or 1,
                    help="cases run at once (default: the number of CPUs)")
    ap.add_argument("--timeout", type=int, default=60, help="seconds per case")
    ap.add_argument("--keep", action="store_true", help="keep the work folder of failed cases")
    ap.add_argument("paths", nargs="*", default=["tests/sql"],
                    help=".test files or folders searched for them")
    args = ap.parse_args()
    args.vigil = os.path.abspath(args.vigil)

    cases = find_cases(args.paths)
    passed = failed = 0
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        results = pool.map(lambda p: run_one(p, args), cases)
        for path, (ok, report) in zip(cases, results):
            if ok:
                passed += 1
                print(f"ok {path}")
            else:
                failed += 1
                print(f"FAIL {path}")
                print(report)
            sys.stdout.flush()
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
