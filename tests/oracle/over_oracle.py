"""over_oracle.py -- vigil's OVER aggregates against SQLite's window functions.

Seeded random event logs (a few partition keys with skew, a NULL key, NULLs
in every argument, duplicated timestamps, bounded disorder that stays within
the watermark delay, so that no row is late) go through `vigil replay` (one
event per batch, so the watermark moves and state is evicted all the time,
a small batch, and the default batch) with one SELECT of many OVER
aggregates: RANGE frames of 0 s, 1 s, 10 s, 30 s and 5 min, ROWS frames of
0, 1, 5 and 20 rows, RANGE and ROWS UNBOUNDED PRECEDING, partitioned by one
column, two columns and none, named and inline windows, FILTER and DISTINCT.
There must be no dead letters, and every value of every row must equal what
SQLite (python3's sqlite3 module) computes.

vigil answers on arrival: row i's frame holds the rows of its partition that
arrived up to and including row i. The exact way to ask SQLite that is to
evaluate row i's window over that prefix of the log, so for every row and
every partition key set, one query runs SQLite's window functions over the
prefix (seq <= i) of row i's partition and keeps row i's values. SQLite
orders RANGE windows by the epoch-ms integer ts, so that a RANGE frame's
peers are the earlier arrivals of equal time; ROWS windows by (ts, seq).
The queries of RANGE frames cut the prefix further, to ts >= t - (the
largest frame): rows older than that are in no frame of row i and do not
move it.

For one log, in order with distinct timestamps, the whole log is also asked
in one query (arrival order is time order there, so the frame of a row over
the whole log is its frame over its prefix), and both ways must agree.

What SQLite lacks is computed in SQLite another way, over the same frame:

  * COUNT(DISTINCT x) and SUM(DISTINCT x): a correlated subquery over the
    rows of the frame, spelled out from its definition (RANGE: ts between
    t - p and t; ROWS: position between r - p and r, positions numbered by
    ROW_NUMBER() in (ts, seq) order; UNBOUNDED: ts <= t);
  * FIRST_VALUE and LAST_VALUE skip NULLs in vigil (as in Flink) and take a
    FILTER, SQLite's do neither: the window function MIN (MAX) of CASE WHEN
    x IS NOT NULL AND the FILTER holds THEN the text "ts seq" (zero-padded,
    so that text order is (ts, seq) order) END names the first (last) such
    row of the frame;
  * STDDEV_* and VAR_*: SUM(x * x), SUM(x) and COUNT(x) window functions,
    put together here exactly (with fractions).

SQLite 3.40's MIN and MAX ignore FILTER in a sliding frame (their sliding
path does not look at it: MAX(a) FILTER (WHERE a < 100) OVER (ORDER BY ts
ROWS 1 PRECEDING) of one row a = 473.13 gives 473.13), so MIN and MAX with
a FILTER are asked as MIN(CASE WHEN cond THEN x END), which means the same.

DOUBLE sums are asked of SQLite in cents (amounts have two decimals), so the
reference is exact; vigil's DOUBLE SUM and AVG must be within 1e-9 of it,
relatively. A variance is compared within 1e-9 of the frame's mean square
(the scale at which a sum of squares cancels), a standard deviation by its
square. Everything else must be exactly equal: counts, the BIGINT column's
SUM, AVG and variance family (integers, computed as Flink's planner
rewrites them: AVG as SUM / COUNT and VAR_POP as (SUM(x * x) - SUM(x) *
SUM(x) / COUNT(x)) / COUNT(x), each division truncating), strings, timestamps, and MIN, MAX, FIRST_VALUE and LAST_VALUE of the
DOUBLE column.

Usage: over_oracle.py VIGIL [SEED]. Prints, per log and batch size, how
many values were compared; last line: N passed, N failed.
"""
import datetime
import json
import math
import os
import random
import sqlite3
import subprocess
import sys
import tempfile
from fractions import Fraction

DELAY_MS = 2000  # the watermark delay; disorder stays within it

# ---- the query: windows and features ----

# name: (partition columns, frame, preceding: ms for RANGE, rows for ROWS)
WINDOWS = {
    "r1s": (["k"], "range", 1000),
    "r0": (["k"], "range", 0),
    "r30s": (["k"], "range", 30000),
    "r5m": (["k", "k2"], "range", 300000),
    "g10s": ([], "range", 10000),
    "g0": ([], "range", 0),
    "o0": (["k"], "rows", 0),
    "o1": (["k"], "rows", 1),
    "o5": (["k"], "rows", 5),
    "o20": (["k2"], "rows", 20),
    "ur": (["k"], "unbounded_range", None),
    "uo": (["k2"], "unbounded_rows", None),
}

# Windows written inline in the OVER clause (the others are named in WINDOW).
INLINE = {"r0", "o1", "g0"}

# (function, argument, DISTINCT, FILTER condition or None, window); "{0}" in
# a condition stands for the table prefix of a correlated subquery ("b.").
FEATURES = [
    ("COUNT", "*", False, None, "r1s"),
    ("SUM", "amount", False, None, "r1s"),
    ("MAX", "n", False, None, "r1s"),
    ("COUNT", "m", True, None, "r1s"),
    ("LAST_VALUE", "m", False, None, "r1s"),
    ("COUNT", "*", False, None, "r0"),
    ("SUM", "n", False, None, "r0"),
    ("MIN", "amount", False, None, "r0"),
    ("COUNT", "amount", False, None, "r30s"),
    ("AVG", "amount", False, None, "r30s"),
    ("AVG", "n", False, None, "r30s"),
    ("MIN", "m", False, None, "r30s"),
    ("MAX", "amount", False, None, "r30s"),
    ("MIN", "ts", False, None, "r30s"),
    ("COUNT", "*", False, "{0}st = 'fail'", "r30s"),
    ("SUM", "amount", False, "{0}st = 'fail'", "r30s"),
    ("COUNT", "m", True, "{0}st = 'fail'", "r30s"),
    ("FIRST_VALUE", "amount", False, None, "r30s"),
    ("LAST_VALUE", "n", False, "{0}n > 0", "r30s"),
    ("VAR_POP", "n", False, None, "r30s"),
    ("STDDEV_POP", "amount", False, None, "r30s"),
    ("VAR_SAMP", "amount", False, None, "r30s"),
    ("STDDEV_SAMP", "n", False, None, "r30s"),
    ("COUNT", "*", False, None, "r5m"),
    ("SUM", "n", True, None, "r5m"),
    ("COUNT", "m", True, None, "r5m"),
    ("MAX", "amount", False, "{0}amount < 100", "r5m"),
    ("FIRST_VALUE", "m", False, "{0}st = 'ok'", "r5m"),
    ("COUNT", "*", False, None, "g10s"),
    ("COUNT", "k", True, None, "g10s"),
    ("SUM", "amount", False, None, "g10s"),
    ("MAX", "ts", False, None, "g10s"),
    ("COUNT", "*", False, None, "g0"),
    ("COUNT", "*", False, None, "o0"),
    ("SUM", "n", False, None, "o0"),
    ("FIRST_VALUE", "m", False, None, "o0"),
    ("COUNT", "*", False, None, "o1"),
    ("SUM", "amount", False, None, "o1"),
    ("MIN", "n", False, None, "o1"),
    ("LAST_VALUE", "m", False, None, "o1"),
    ("COUNT", "m", False, None, "o5"),
    ("AVG", "n", False, None, "o5"),
    ("MAX", "amount", False, None, "o5"),
    ("MAX", "ts", False, None, "o5"),
    ("COUNT", "m", True, None, "o5"),
    ("VAR_POP", "amount", False, None, "o5"),
    ("FIRST_VALUE", "n", False, None, "o5"),
    ("SUM", "n", False, "{0}st = 'fail'", "o5"),
    ("STDDEV_SAMP", "amount", False, "{0}st = 'ok'", "o5"),
    ("COUNT", "*", False, None, "o20"),
    ("SUM", "amount", False, None, "o20"),
    ("COUNT", "m", True, "{0}amount > 50", "o20"),
    ("MIN", "amount", False, None, "o20"),
    ("VAR_SAMP", "n", False, None, "o20"),
    ("MIN", "n", False, "{0}st = 'ok'", "o20"),
    ("COUNT", "*", False, None, "ur"),
    ("SUM", "n", False, None, "ur"),
    ("MAX", "amount", False, None, "ur"),
    ("COUNT", "m", True, None, "ur"),
    ("FIRST_VALUE", "m", False, None, "ur"),
    ("LAST_VALUE", "amount", False, None, "ur"),
    ("AVG", "amount", False, "{0}st = 'fail'", "ur"),
    ("STDDEV_POP", "n", False, None, "ur"),
    ("VAR_POP", "n", False, "{0}n > 0", "ur"),
    ("COUNT", "*", False, None, "uo"),
    ("SUM", "amount", False, None, "uo"),
    ("MIN", "m", False, None, "uo"),
    ("FIRST_VALUE", "amount", False, "{0}st = 'fail'", "uo"),
    ("COUNT", "n", True, None, "uo"),
]


# Windows written in the short form (a bound without BETWEEN ... AND CURRENT ROW).
SHORT = {"r30s", "o5"}


def interval(ms):
    if ms and ms % 60000 == 0:
        return "INTERVAL '%d' MINUTE" % (ms // 60000)
    if ms % 1000:
        return "INTERVAL '%d.%03d' SECOND" % (ms // 1000, ms % 1000)
    return "INTERVAL '%d' SECOND" % (ms // 1000)


def vigil_frame(w):
    keys, frame, p = WINDOWS[w]
    part = "PARTITION BY %s " % ", ".join(keys) if keys else ""
    bound = {"range": lambda: "RANGE %s PRECEDING" % interval(p),
             "rows": lambda: "ROWS %d PRECEDING" % p,
             "unbounded_range": lambda: "RANGE UNBOUNDED PRECEDING",
             "unbounded_rows": lambda: "ROWS UNBOUNDED PRECEDING"}[frame]()
    if w not in SHORT:
        bound = bound.replace("RANGE ", "RANGE BETWEEN ").replace("ROWS ", "ROWS BETWEEN ")
        bound += " AND CURRENT ROW"
    return "%sORDER BY ts %s" % (part, bound)


def vigil_sql():
    items = []
    for i, (fn, arg, distinct, cond, w) in enumerate(FEATURES):
        call = "%s(%s%s)" % (fn, "DISTINCT " if distinct else "", arg)
        if cond:
            call += " FILTER (WHERE %s)" % cond.format("")
        over = "(%s)" % vigil_frame(w) if w in INLINE else w
        items.append("  %s OVER %s AS f%d" % (call, over, i))
    named = ["  %s AS (%s)" % (w, vigil_frame(w)) for w in WINDOWS if w not in INLINE]
    return ("CREATE STREAM e (seq BIGINT, k STRING, k2 STRING, m STRING, amount DOUBLE,\n"
            "  n BIGINT, st STRING, ts TIMESTAMP(3),\n"
            "  WATERMARK FOR ts AS ts - INTERVAL '%d' SECOND);\n"
            "SELECT seq,\n%s\nFROM e\nWINDOW\n%s;\n" % (DELAY_MS // 1000, ",\n".join(items),
                                                     ",\n".join(named)))


# ---- event logs ----

def make_log(rng, n, base, in_order):
    """n events; in order with strictly increasing times, or with duplicated
    times and disorder that never goes behind the watermark."""
    keys = ["c0", "c1", "c2", "c3", None]
    kw = [45, 25, 15, 10, 5]
    events, clock, top = [], base, None
    for i in range(n):
        k = rng.choices(keys, kw)[0]
        r = rng.random()
        clock += 1 + rng.randint(0, 1200) if in_order else rng.choice(
            [0, 0, 1, 49, 50, 300, 999, 1000, 1001, 3000])
        if rng.random() < 0.005:
            clock += rng.choice([40000, 400000])  # a gap: frames empty out
        if in_order:
            ts = clock
        elif r < 0.12 and events:
            ts = rng.choice(events[-8:])["ts"]  # a duplicated time
        else:
            ts = clock - rng.choice([0, 0, 0, 1, 50, 500, 999, 1000, 1001, 1950, DELAY_MS])
        if top is not None:
            ts = max(ts, top - DELAY_MS)  # never behind the watermark
        top = ts if top is None else max(top, ts)
        amount = None if rng.random() < 0.08 else rng.randint(1, 50000) / 100
        events.append({
            "seq": i, "k": k,
            "k2": rng.choice(["d0", "d1", "d1", None]),
            "m": None if rng.random() < 0.1 else "m%d" % rng.randint(0, 7),
            "amount": amount,
            "n": None if rng.random() < 0.1 else rng.randint(-20, 50),
            "st": rng.choice(["ok", "ok", "fail", None]),
            "ts": ts,
        })
    return events


def load(events):
    db = sqlite3.connect(":memory:")
    db.execute("CREATE TABLE log (seq INTEGER PRIMARY KEY, k TEXT, k2 TEXT, m TEXT, "
               "amount REAL, cents INTEGER, n INTEGER, st TEXT, ts INTEGER)")
    db.executemany("INSERT INTO log VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                   [(e["seq"], e["k"], e["k2"], e["m"], e["amount"],
                     None if e["amount"] is None else round(e["amount"] * 100), e["n"],
                     e["st"], e["ts"]) for e in events])
    db.execute("CREATE INDEX log_k ON log (k, seq)")
    return db


# ---- the SQLite side ----

def sqlite_window(w, partition):
    """SQLite's spelling of window w; partition: whether to PARTITION BY
    (the whole-log query) or not (a prefix of one partition)."""
    keys, frame, p = WINDOWS[w]
    part = "PARTITION BY %s " % ", ".join(keys) if partition and keys else ""
    if frame == "range":
        return "%sORDER BY ts RANGE BETWEEN %d PRECEDING AND CURRENT ROW" % (part, p)
    if frame == "rows":
        return "%sORDER BY ts, seq ROWS BETWEEN %d PRECEDING AND CURRENT ROW" % (part, p)
    if frame == "unbounded_range":
        return "%sORDER BY ts RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW" % part
    return "%sORDER BY ts, seq ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW" % part


def in_frame(w, rn):
    """The condition that row b is in row x's frame of window w (rn: the
    column of positions in (ts, seq) order)."""
    keys, frame, p = WINDOWS[w]
    match = "".join(" AND b.%s IS x.%s" % (c, c) for c in keys)
    if frame == "range":
        cond = "b.ts BETWEEN x.ts - %d AND x.ts" % p
    elif frame == "rows":
        cond = "b.%s BETWEEN x.%s - %d AND x.%s" % (rn, rn, p, rn)
    elif frame == "unbounded_range":
        cond = "b.ts <= x.ts"
    else:
        cond = "b.%s <= x.%s" % (rn, rn)
    return cond + match


def sqlite_arg(fn, arg):
    """The SQLite column for arg: cents where a sum of amounts is taken."""
    if arg == "amount" and (fn in ("SUM", "AVG") or fn.startswith(("VAR", "STDDEV"))):
        return "cents"
    return arg


def sqlite_parts(fn, arg, distinct, cond, w, src, rn):
    """(window expressions, correlated subqueries) whose values give the
    feature: the window expressions are evaluated over `src` with window w."""
    filt = " FILTER (WHERE %s)" % cond.format("") if cond else ""
    a = sqlite_arg(fn, arg)
    if distinct:
        where = in_frame(w, rn) + (" AND (%s)" % cond.format("b.") if cond else "")
        return [], ["(SELECT %s(DISTINCT b.%s) FROM %s b WHERE %s)" % (fn, a, src, where)]
    if fn in ("FIRST_VALUE", "LAST_VALUE"):
        agg = "MIN" if fn == "FIRST_VALUE" else "MAX"
        c = "%s IS NOT NULL%s" % (arg, " AND (%s)" % cond.format("") if cond else "")
        return ["%s(CASE WHEN %s THEN printf('%%020d %%08d', ts + 100000000000000, seq) END) "
                "OVER %s" % (agg, c, w)], []
    if fn in ("MIN", "MAX") and cond:  # see the note on FILTER at the top
        return ["%s(CASE WHEN %s THEN %s END) OVER %s" % (fn, cond.format(""), a, w)], []
    if fn == "AVG":
        return ["SUM(%s)%s OVER %s" % (a, filt, w), "COUNT(%s)%s OVER %s" % (a, filt, w)], []
    if fn.startswith(("VAR", "STDDEV")):
        return ["SUM(%s * %s)%s OVER %s" % (a, a, filt, w), "SUM(%s)%s OVER %s" % (a, filt, w),
                "COUNT(%s)%s OVER %s" % (a, filt, w)], []
    return ["%s(%s)%s OVER %s" % (fn, a, filt, w)], []


def reference(fn, arg, parts, events):
    """The expected value of a feature from its SQLite parts: an int, a str,
    None, or ('dec' | 'var' | 'std', exact Fraction, scale)."""
    if fn in ("FIRST_VALUE", "LAST_VALUE"):
        if parts[0] is None:
            return None
        return events[int(parts[0].split()[1])][arg]
    if fn == "AVG":
        s, c = parts
        if not c:
            return None
        if arg == "n":
            return int(Fraction(s, c))  # integer AVG: truncated toward zero
        return ("dec", Fraction(s, 100 * c), None)
    if fn.startswith(("VAR", "STDDEV")):
        s2, s1, c = parts
        samp = fn.endswith("SAMP")
        if c < (2 if samp else 1):
            return None
        if arg == "n":  # integer result: Flink's (s2 - s1 * s1 / c) / c, truncating divisions
            q = (s2 - s1 * s1 // c) // (c - 1 if samp else c)
            return math.isqrt(q) if fn.startswith("STDDEV") else q
        var = Fraction(c * s2 - s1 * s1, c * (c - 1) if samp else c * c)
        var /= 10000
        kind = "std" if fn.startswith("STDDEV") else "var"
        return (kind, var, Fraction(s2, 10000 * c))
    if fn == "SUM" and arg == "amount":
        return None if parts[0] is None else ("dec", Fraction(parts[0], 100), None)
    return parts[0]


class Plan:
    """The SQLite queries of one log, by partition key set."""

    def __init__(self):
        # (partition columns, RANGE frames only) -> [feature index]
        self.sets = {}
        for i, f in enumerate(FEATURES):
            keys, frame, _ = WINDOWS[f[4]]
            self.sets.setdefault((tuple(keys), frame == "range"), []).append(i)

    def exprs(self, idx, src, rn):
        """Inner window expressions, outer subqueries, and per feature the
        (kind, position) of its parts."""
        inner, outer, where = [], [], []
        for i in idx:
            ws, cs = sqlite_parts(*FEATURES[i], src, rn)
            where.append([("w", len(inner) + j) for j in range(len(ws))] +
                         [("c", len(outer) + j) for j in range(len(cs))])
            inner += ws
            outer += cs
        return inner, outer, where

    def prefix_query(self, keys, range_only, idx):
        """Row i's features over the prefix of its partition."""
        match = "".join(" AND %s IS :%s" % (c, c) for c in keys)
        cut = ""
        if range_only:  # older rows are in no frame of row i
            cut = " AND ts >= :t - %d" % max(WINDOWS[FEATURES[i][4]][2] for i in idx)
        inner, outer, where = self.exprs(idx, "pre", "rn")
        wins = sorted(set(FEATURES[i][4] for i in idx))
        q = ("WITH pre AS (SELECT *, ROW_NUMBER() OVER (ORDER BY ts, seq) AS rn FROM log "
             "WHERE seq <= :seq%s%s) "
             "SELECT %s FROM (SELECT seq, ts, rn, %s, %s FROM pre WINDOW %s) AS x "
             "WHERE x.seq = :seq" % (
                 match, cut,
                 ", ".join(["x.v%d" % j for j in range(len(inner))] + outer),
                 ", ".join("%s AS v%d" % (e, j) for j, e in enumerate(inner)),
                 ", ".join(keys) or "NULL AS nokey",
                 ", ".join("%s AS (%s)" % (w, sqlite_window(w, False)) for w in wins)))
        return q, where, len(inner)

    def by_prefix(self, db, events):
        """Every row's expected features, one query per row and key set."""
        out = [[None] * len(FEATURES) for _ in events]
        for (keys, range_only), idx in self.sets.items():
            q, where, ninner = self.prefix_query(keys, range_only, idx)
            for e in events:
                args = {"seq": e["seq"], "t": e["ts"]}
                args.update((c, e[c]) for c in keys)
                row = db.execute(q, args).fetchone()
                self.fill(out[e["seq"]], idx, where, row, ninner, events)
        return out

    def whole_log(self, db, events):
        """Every row's expected features in one query over the whole log
        (right only for a log in order with distinct times)."""
        rns = {keys: "rn%d" % j for j, keys in enumerate(set(k for k, _ in self.sets))}
        numbered = ", ".join(
            "ROW_NUMBER() OVER (%sORDER BY ts) AS %s" % (
                "PARTITION BY %s " % ", ".join(keys) if keys else "", rn)
            for keys, rn in rns.items())
        inner, outer, where, idx_all = [], [], [], []
        for (keys, _), idx in self.sets.items():
            i1, o1, w1 = self.exprs(idx, "l2", rns[keys])
            where += [[(k, p + (len(inner) if k == "w" else len(outer))) for k, p in w]
                      for w in w1]
            inner += i1
            outer += o1
            idx_all += idx
        q = ("WITH l2 AS (SELECT *, %s FROM log) "
             "SELECT %s FROM (SELECT *, %s FROM l2 WINDOW %s) AS x ORDER BY x.seq" % (
                 numbered,
                 ", ".join(["x.v%d" % j for j in range(len(inner))] + outer),
                 ", ".join("%s AS v%d" % (e, j) for j, e in enumerate(inner)),
                 ", ".join("%s AS (%s)" % (w, sqlite_window(w, True)) for w in WINDOWS)))
        out = [[None] * len(FEATURES) for _ in events]
        for e, row in zip(events, db.execute(q)):
            self.fill(out[e["seq"]], idx_all, where, row, len(inner), events)
        return out

    @staticmethod
    def fill(dest, idx, where, row, ninner, events):
        for i, parts in zip(idx, where):
            vals = [row[p] if k == "w" else row[ninner + p] for k, p in parts]
            fn, arg = FEATURES[i][0], FEATURES[i][1]
            dest[i] = reference(fn, arg, vals, events)


# ---- comparing ----

def ms_of(text):
    t = datetime.datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ")
    return (t - datetime.datetime(1970, 1, 1)) // datetime.timedelta(milliseconds=1)


def same(got, want, fn, arg):
    if isinstance(want, tuple):
        kind, exact, scale = want
        if not isinstance(got, (int, float)) or isinstance(got, bool):
            return False
        if kind == "dec":
            return abs(Fraction(got) - exact) <= abs(exact) * Fraction(1, 10**9)
        value = Fraction(got) ** 2 if kind == "std" else Fraction(got)
        if kind == "std" and got < 0:
            return False
        return abs(value - exact) <= max(exact, scale) * Fraction(1, 10**9)
    if want is None or got is None:
        return want is None and got is None
    if arg == "ts" and fn in ("MIN", "MAX"):
        return ms_of(got) == want
    if isinstance(want, float):
        return isinstance(got, float) and got == want
    if isinstance(want, int):
        return isinstance(got, int) and not isinstance(got, bool) and got == want
    return got == want


def run_vigil(vigil, events, batch):
    with tempfile.TemporaryDirectory() as d:
        open(os.path.join(d, "q.sql"), "w").write(vigil_sql())
        with open(os.path.join(d, "e.jsonl"), "w") as f:
            for e in events:
                f.write(json.dumps(e) + "\n")
        args = [vigil, "replay", "q.sql", "--input", "e=e.jsonl", "--output",
                "dead_letter=dead.jsonl"]
        if batch:
            args += ["--batch-size", str(batch)]
        r = subprocess.run(args, cwd=d, capture_output=True, text=True, timeout=60)
        p = os.path.join(d, "dead.jsonl")
        dead = open(p).read() if os.path.exists(p) else ""
    return r.returncode, r.stdout, dead, r.stderr


def compare(label, got_text, want, events):
    """Failures (up to a few printed) and the number of values compared."""
    rows = [json.loads(l) for l in got_text.splitlines()]
    if len(rows) != len(events):
        print("FAIL %s: %d rows, want %d" % (label, len(rows), len(events)))
        return 1, 0
    bad = compared = 0
    for e, row, exp in zip(events, rows, want):
        vals = list(row.values())
        if row.get("seq") != e["seq"] or len(vals) != len(FEATURES) + 1:
            print("FAIL %s: row %r out of place or of the wrong shape" % (label, row))
            return 1, compared
        for i, (fn, arg, distinct, cond, w) in enumerate(FEATURES):
            compared += 1
            if not same(vals[i + 1], exp[i], fn, arg):
                bad += 1
                if bad <= 5:
                    print("FAIL %s: seq %d, f%d = %s(%s%s)%s OVER %s: got %r, want %r" % (
                        label, e["seq"], i, fn, "DISTINCT " if distinct else "", arg,
                        " FILTER (WHERE %s)" % cond.format("") if cond else "", w, vals[i + 1],
                        exp[i]))
    return bad, compared


def disorder(events):
    """How many rows arrive behind a newer row of their key, and how many
    have a peer (equal key and time) that arrived before them."""
    newest, seen, behind, peers = {}, set(), 0, 0
    for e in events:
        behind += e["k"] in newest and e["ts"] < newest[e["k"]]
        peers += (e["k"], e["ts"]) in seen
        newest[e["k"]] = max(newest.get(e["k"], e["ts"]), e["ts"])
        seen.add((e["k"], e["ts"]))
    return "%d out of order, %d with an earlier peer" % (behind, peers)


def main():
    vigil = os.path.abspath(sys.argv[1])
    seed = int(sys.argv[2]) if len(sys.argv) > 2 else 20240501
    base = 1714564800000  # 2024-05-01T12:00:00Z
    logs = [
        ("seed %d" % seed, make_log(random.Random(seed), 1200, base, False), False),
        ("seed %d" % (seed + 1), make_log(random.Random(seed + 1), 1200, base, False), False),
        ("seed %d, 1969" % (seed + 2), make_log(random.Random(seed + 2), 800, -300000, False),
         False),
        ("seed %d, in order" % (seed + 3), make_log(random.Random(seed + 3), 1200, base, True),
         True),
    ]
    plan = Plan()
    passed = failed = 0
    for name, events, in_order in logs:
        name += " (%s)" % disorder(events)
        db = load(events)
        want = plan.by_prefix(db, events)
        if in_order:
            whole = plan.whole_log(db, events)
            diff = sum(1 for a, b in zip(want, whole) for x, y in zip(a, b) if x != y)
            label = "%s: prefix queries against the whole-log query" % name
            if diff:
                failed += 1
                print("FAIL %s: %d values differ" % (label, diff))
            else:
                passed += 1
                print("ok %s: %d values agree" % (label, len(events) * len(FEATURES)))
        for batch in (1, 7, None):
            label = "%s, %d events, batch %s" % (name, len(events), batch or "default")
            rc, out, dead, err = run_vigil(vigil, events, batch)
            if rc != 0 or dead:
                failed += 1
                print("FAIL %s: exit %d, %d dead letters\n%s%s" % (
                    label, rc, dead.count("\n"), dead[:500], err[-500:]))
                continue
            bad, compared = compare(label, out, want, events)
            if bad:
                failed += 1
                print("FAIL %s: %d of %d values differ" % (label, bad, compared))
            else:
                passed += 1
                print("ok %s: %d values compared" % (label, compared))
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
