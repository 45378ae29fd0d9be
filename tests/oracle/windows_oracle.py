"""windows_oracle.py -- vigil's window TVF aggregates against an independent
computation in Python.

Seeded random event logs (thousands of events, several keys and a NULL key,
bounded disorder, a watermark delay smaller than the disorder so that some
rows are late) go through `vigil replay --batch-size B` for TUMBLE, HOP,
CUMULATE (with and without offsets) and SESSION windows (and bare SESSIONs,
whose rows come out when their session fires); each result must
equal, row for row and in order, what this file computes, and the late rows
in the dead-letter output must be exactly the ones it predicts.

The computation here shares no code or formula with vigil's operator:

  * windows are found by membership: every window of the grid near ts is
    tested with start <= ts < end (no "window start of ts" formula);
  * a row arrives in batch i // B and sees the watermark of the batches
    before it: max(ts - delay) over them (minus infinity at first); it goes
    into each of its windows whose end - 1 is past that watermark (Flink's
    isWindowFired), and is late when it has windows and none of them is;
  * sessions are kept per key as lists of [start, end) with their rows; a
    row's [ts, ts + gap) joins every session it touches (start <= ts + gap
    and end >= ts, Flink's TimeWindow.intersects); it is late when it
    touches none and ts + gap - 1 is not past the watermark; sessions end
    (are emitted) once the watermark reaches end - 1;
  * rows come out ordered by window_end, window_start, then the arrival of
    the group's first row.

Usage: windows_oracle.py VIGIL [SEED]. Last line: N passed, N failed.
"""
import datetime
import json
import os
import random
import subprocess
import sys
import tempfile

EPOCH = datetime.datetime(1970, 1, 1)
NEG_INF = float("-inf")


def iso(ms):
    t = EPOCH + datetime.timedelta(milliseconds=ms)
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (t.microsecond // 1000)


def interval(ms):
    sign, ms = ("-", -ms) if ms < 0 else ("", ms)
    return "INTERVAL '%s%d.%03d' SECOND" % (sign, ms // 1000, ms % 1000)


# ---- event logs ----

def make_events(rng, n, base, spacing, disorder):
    keys = ["k%d" % i for i in range(5)]
    events = []
    for i in range(n):
        k = None if rng.random() < 0.03 else rng.choice(keys)
        ts = base + i * spacing + rng.randint(-disorder, disorder)
        events.append({"id": i, "k": k, "x": rng.randint(1, 60), "ts": ts})
    return events


def arrival_watermarks(events, batch, delay):
    """The watermark each row sees on arrival, and after each batch."""
    seen = []
    wm = NEG_INF
    after = []
    for i, e in enumerate(events):
        seen.append(wm)
        if (i + 1) % batch == 0 or i + 1 == len(events):
            top = max(ev["ts"] - delay for ev in events[: i + 1])
            wm = max(wm, top)
            after.append((i, wm))
    return seen, after


# ---- aligned windows, by membership ----

def member_windows(kind, ts, size, step, offset):
    """Every [start, end) of the grid that holds ts, found by testing."""
    out = []
    if kind in ("TUMBLE", "HOP"):
        grid = size if kind == "TUMBLE" else step
        j0 = (ts - size - offset) // grid - 1
        for j in range(j0, j0 + size // grid + 4):
            s = offset + j * grid
            if s <= ts < s + size:
                out.append((s, s + size))
    else:  # CUMULATE: windows [s, s + m * step) of the size-long window at s
        j0 = (ts - offset) // size - 1
        for j in range(j0, j0 + 3):
            s = offset + j * size
            if not s <= ts < s + size:
                continue
            for m in range(1, size // step + 1):
                if ts < s + m * step:
                    out.append((s, s + m * step))
    return out


def oracle_aligned(events, kind, size, step, offset, batch, delay):
    seen, _ = arrival_watermarks(events, batch, delay)
    groups = {}
    late = []
    for i, e in enumerate(events):
        wins = member_windows(kind, e["ts"], size, step, offset)
        open_wins = [w for w in wins if w[1] - 1 > seen[i]]
        if wins and not open_wins:
            late.append(e["id"])
        for w in open_wins:
            g = groups.setdefault((w, e["k"]), {"first": i, "rows": []})
            g["rows"].append(e)
    rows = []
    for (w, k), g in groups.items():
        rows.append(((w[1], w[0], g["first"]), w, k, g["rows"]))
    rows.sort(key=lambda r: r[0])
    return [(w, k, rs) for _, w, k, rs in rows], late


# ---- sessions, simulated ----

def oracle_session(events, gap, batch, delay):
    seen, after = arrival_watermarks(events, batch, delay)
    ends = dict(after)
    live = {}  # key -> list of sessions {start, end, first, rows}
    done = []
    late = []
    for i, e in enumerate(events):
        k, ts = e["k"], e["ts"]
        sess = live.setdefault(k, [])
        touched = [s for s in sess if s["start"] <= ts + gap and s["end"] >= ts]
        if not touched and ts + gap - 1 <= seen[i]:
            late.append(e["id"])
        else:
            new = {"start": ts, "end": ts + gap, "first": i, "rows": []}
            for s in touched:
                sess.remove(s)
                new["start"] = min(new["start"], s["start"])
                new["end"] = max(new["end"], s["end"])
                new["first"] = min(new["first"], s["first"])
                new["rows"] += s["rows"]
            new["rows"].append(e)
            sess.append(new)
        if i in ends:  # the watermark after this batch ends sessions
            wm = ends[i]
            for key, ss in live.items():
                for s in [s for s in ss if s["end"] - 1 <= wm]:
                    ss.remove(s)
                    done.append((key, s))
    for key, ss in live.items():
        done += [(key, s) for s in ss]
    done.sort(key=lambda d: (d[1]["end"], d[1]["start"], d[1]["first"]))
    return [((s["start"], s["end"]), k, s["rows"]) for k, s in done], late


def sessions_sorted(events, gap):
    """Sessions with no late rows, another way: sort a key's times and cut
    where two neighbours are more than gap apart."""
    out = []
    for k in set(e["k"] for e in events):
        xs = sorted(events_of_key(events, k), key=lambda e: e["ts"])
        cur = [xs[0]]
        for e in xs[1:]:
            if e["ts"] - cur[-1]["ts"] > gap:
                out.append((k, cur))
                cur = []
            cur.append(e)
        out.append((k, cur))
    return sorted(((c[0]["ts"], c[-1]["ts"] + gap, k, len(c), sum(e["x"] for e in c))
                   for k, c in out), key=session_order)


def session_order(t):
    return (t[0], t[1], t[2] or "", t[3], t[4])


def events_of_key(events, k):
    return [e for e in events if e["k"] == k]


# ---- expected text, running vigil ----

def line(w, k, rows):
    xs = [r["x"] for r in rows]
    return json.dumps({"ws": iso(w[0]), "we": iso(w[1]), "k": k, "n": len(rows), "s": sum(xs),
                       "lo": min(xs), "hi": max(xs), "d": len(set(xs))},
                      separators=(",", ":")) + "\n"


def sql(tvf, delay):
    part = " PARTITION BY k" if tvf.startswith("SESSION") else ""
    tvf = tvf.replace("TABLE e", "TABLE e" + part)
    return ("CREATE STREAM e (id BIGINT, k STRING, x BIGINT, ts TIMESTAMP(3),\n"
            "  WATERMARK FOR ts AS ts - %s);\n"
            "SELECT window_start AS ws, window_end AS we, k, COUNT(*) AS n, SUM(x) AS s,\n"
            "       MIN(x) AS lo, MAX(x) AS hi, COUNT(DISTINCT x) AS d\n"
            "FROM TABLE(%s)\nGROUP BY window_start, window_end, k;\n" % (interval(delay), tvf))


def bare_session_sql(gap, delay):
    return ("CREATE STREAM e (id BIGINT, k STRING, x BIGINT, ts TIMESTAMP(3),\n"
            "  WATERMARK FOR ts AS ts - %s);\n"
            "SELECT id, k, window_start AS ws, window_end AS we\n"
            "FROM TABLE(SESSION(TABLE e PARTITION BY k, DESCRIPTOR(ts), %s));\n"
            % (interval(delay), interval(gap)))


def bare_session_text(events, sessions):
    """A bare SESSION's rows: each session's rows, in arrival order, when it fires."""
    index = {e["id"]: i for i, e in enumerate(events)}
    out = []
    for w, k, rows in sessions:
        for e in sorted(rows, key=lambda e: index[e["id"]]):
            out.append(json.dumps({"id": e["id"], "k": k, "ws": iso(w[0]), "we": iso(w[1])},
                                  separators=(",", ":")) + "\n")
    return "".join(out)


def run_vigil(vigil, text, events, batch):
    with tempfile.TemporaryDirectory() as d:
        open(os.path.join(d, "q.sql"), "w").write(text)
        with open(os.path.join(d, "e.jsonl"), "w") as f:
            for e in events:
                f.write(json.dumps(e) + "\n")
        r = subprocess.run([vigil, "replay", "q.sql", "--input", "e=e.jsonl", "--batch-size",
                            str(batch), "--output", "dead_letter=dead.jsonl"],
                           cwd=d, capture_output=True, text=True, timeout=60)
        dead = open(os.path.join(d, "dead.jsonl")).read() if os.path.exists(
            os.path.join(d, "dead.jsonl")) else ""
    late = [json.loads(l)["row"]["id"] for l in dead.splitlines() if l.strip()]
    return r.returncode, r.stdout, late, r.stderr


def main():
    vigil = os.path.abspath(sys.argv[1])
    seed = int(sys.argv[2]) if len(sys.argv) > 2 else 20240501
    passed = failed = 0
    logs = [
        ("2024", make_events(random.Random(seed), 3000, 1714564800000, 200, 3000)),
        ("1969", make_events(random.Random(seed + 1), 2000, -400000, 150, 900)),
    ]
    tvfs = [
        ("TUMBLE", 5000, 5000, 0),
        ("TUMBLE", 5000, 5000, 1500),
        ("HOP", 6000, 2000, 0),
        ("HOP", 9000, 3000, -700),
        ("CUMULATE", 8000, 2000, 0),
        ("CUMULATE", 6000, 1500, 500),
        ("SESSION", 1500, 0, 0),
        ("SESSION", 4000, 0, 0),
    ]
    for name, events in logs:
        for kind, size, step, offset in tvfs:
            if kind == "TUMBLE":
                args = [size, offset]
            elif kind == "SESSION":
                args = [size]
            else:
                args = [step, size, offset]
            if not offset and kind != "SESSION":
                args = args[:-1]
            tvf = "%s(TABLE e, DESCRIPTOR(ts), %s)" % (kind, ", ".join(interval(a) for a in args))
            for batch, delay in ((1, 1000), (13, 500), (len(events), 1000)):
                label = "%s log, %s, batch %d, delay %d ms" % (name, tvf, batch, delay)
                if kind == "SESSION":
                    want, want_late = oracle_session(events, size, batch, delay)
                else:
                    want, want_late = oracle_aligned(events, kind, size, step, offset, batch, delay)
                text = "".join(line(w, k, rows) for w, k, rows in want)
                rc, got, got_late, err = run_vigil(vigil, sql(tvf, delay), events, batch)
                ok = rc == 0 and got == text and got_late == want_late
                if kind == "SESSION" and batch == len(events):
                    # nothing is late with one batch: the sessions must also be
                    # those of sorted times cut at gaps wider than gap
                    ok = ok and not want_late and sorted(
                        ((w[0], w[1], k, len(rows), sum(r["x"] for r in rows))
                         for w, k, rows in want), key=session_order) == sessions_sorted(events, size)
                if ok:
                    passed += 1
                    print("ok %s: %d rows, %d late" % (label, len(want), len(want_late)))
                else:
                    failed += 1
                    print("FAIL %s: exit %d, %d rows (want %d), late %d (want %d)\n%s" %
                          (label, rc, got.count("\n"), len(want), len(got_late),
                           len(want_late), err[-500:]))
                    for a, b in zip(got.splitlines(), text.splitlines()):
                        if a != b:
                            print("  first difference:\n  got  %s\n  want %s" % (a, b))
                            break
    # bare SESSION: the same sessions, their rows emitted when they fire
    for name, events in logs:
        for gap in (1500, 4000):
            for batch, delay in ((1, 1000), (13, 500), (len(events), 1000)):
                label = "%s log, bare SESSION gap %d ms, batch %d, delay %d ms" % (
                    name, gap, batch, delay)
                want, want_late = oracle_session(events, gap, batch, delay)
                text = bare_session_text(events, want)
                rc, got, got_late, err = run_vigil(vigil, bare_session_sql(gap, delay), events,
                                                   batch)
                if rc == 0 and got == text and got_late == want_late:
                    passed += 1
                    print("ok %s: %d rows, %d late" % (label, text.count("\n"), len(want_late)))
                else:
                    failed += 1
                    print("FAIL %s: exit %d, %d rows (want %d)\n%s" %
                          (label, rc, got.count("\n"), text.count("\n"), err[-500:]))
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
