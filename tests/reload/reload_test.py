"""Reload at many points of a replay, for each kind of change, and check it exactly.

    reload_test.py VIGIL

The log is the first 3,000 events of pipelines/payments (three of them
malformed, a hundred out of order). Every run replays tests/reload/base.sql
in batches of 250 events and reloads, after exactly N events (N = 250, 500,
..., 2750), to one of the changes beside it. For each run:

  - no event is lost or processed twice: the events sink and card_velocity
    hold one row per event that decodes, each payment once, and with the
    dead letters they account for every line of the log;
  - what the state plan keeps goes on exactly: every sink fed only by kept
    or carried operators is byte for byte the run without a reload's, and
    each feature of card_velocity that the reload keeps or carries equals
    that run's, row for row;
  - what it rebuilds is exact: a feature computed from the rows held equals
    the one of the new SQL run from the start (within 1e-12 for an average
    of doubles, whose running sum rounds differently from a fresh one);
  - what starts empty starts empty: it equals the new SQL run over only the
    events after N; what is dropped stops: its sink ends where the run of
    the first N events ends;
  - the report (the state plan on standard error) is exactly the expected
    one; the reload to SQL that does not compile changes nothing, prints
    the error with its position, and the replay exits 2.

Last line: "N passed, N failed".
"""
import json
import os
import re
import subprocess
import sys
import tempfile

VIGIL = os.path.abspath(sys.argv[1])
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
from tally import check, finish  # noqa: E402
import changes  # noqa: E402  (base.sql and the edits made to it)
ROOT = os.path.dirname(os.path.dirname(HERE))
SINKS = ["card_velocity", "events", "merchant_totals_out", "card_minutes", "big_payments",
         "dead_letter"]
POINTS = list(range(250, 3000, 250))



SQL = {}  # change name -> the file main() writes it to (changes.py)


def sql(name):
    return SQL[name]


def replay(tmp, pipeline, log, reload_at=None):
    """Run vigil replay; (exit status, stderr, {sink: text})."""
    out = tempfile.mkdtemp(dir=tmp)
    cmd = [VIGIL, "replay", pipeline, "--quiet", "--batch-size", "250", "--input",
           "payments=" + log]
    text = open(pipeline).read()
    for s in SINKS:
        if reload_at or s == "dead_letter" or re.search(rf"INTO {s}\b", text):
            cmd += ["--output", f"{s}={out}/{s}.jsonl"]
    if reload_at:
        cmd += ["--reload-at", f"{reload_at[0]}={reload_at[1]}"]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    files = {}
    for s in SINKS:
        p = f"{out}/{s}.jsonl"
        files[s] = open(p).read() if os.path.exists(p) else None
    return r.returncode, r.stderr, files


def rows(text):
    return [json.loads(l) for l in (text or "").splitlines()]


def same_value(a, b, tol):
    if isinstance(a, float) and isinstance(b, float) and tol:
        return abs(a - b) <= tol * max(1.0, abs(a), abs(b))
    return a == b


def report(change, n):
    """The state plan replay prints for a reload to change at event n."""
    path = sql(change)
    kept_all = ["kept     source payments", "kept     over velocity_by_card_id",
                "kept     over velocity_by_device_id", "kept     over velocity_by_merchant_id"]
    carried = ["rebuilt  over velocity_by_device_id: carries every aggregate as it was "
               "(its input changed shape)",
               "rebuilt  over velocity_by_merchant_id: carries every aggregate as it was "
               "(its input changed shape)"]
    sinks = ["kept     sink card_velocity", "kept     sink events",
             "kept     sink merchant_totals_out", "kept     sink card_minutes"]
    lines = {
        "add_feature": ("3 kept, 3 rebuilt, 0 empty, 0 dropped",
                        ["kept     source payments",
                         "rebuilt  over velocity_by_card_id: computes card_avg_10m, card_max_1h, "
                         "card_n_30m from the rows held"] + carried +
                        ["kept     group merchant_totals",
                         "kept     window window_13 (card_minutes)"] + sinks),
        "filter": ("5 kept, 0 rebuilt, 1 empty, 1 dropped",
                   kept_all + ["empty    group merchant_totals: its input changed",
                               "kept     window window_13 (card_minutes)",
                               "dropped  group merchant_totals: replaced by a new definition, "
                               "which starts empty"] + sinks),
        "window_size": ("3 kept, 3 rebuilt, 0 empty, 0 dropped",
                        ["kept     source payments",
                         "rebuilt  over velocity_by_card_id: computes card_failed_1h, "
                         "card_merchants_1h from the rows held; 2 aggregates dropped"] + carried +
                        ["kept     group merchant_totals",
                         "kept     window window_13 (card_minutes)"] + sinks),
        "window_grow": ("3 kept, 2 rebuilt, 1 empty, 1 dropped",
                        ["kept     source payments",
                         "empty    over velocity_by_card_id: card_failed_1h over RANGE 2h needs "
                         "more rows than the running window holds (the rows of RANGE 1h)"] +
                        carried +
                        ["kept     group merchant_totals",
                         "kept     window window_13 (card_minutes)",
                         "dropped  over velocity_by_card_id: replaced by a new definition, which "
                         "starts empty"] + sinks),
        "remove_view": ("5 kept, 0 rebuilt, 0 empty, 1 dropped",
                        kept_all + ["kept     window window_10 (card_minutes)",
                                    "dropped  group merchant_totals: no longer in the plan",
                                    "kept     sink card_velocity", "kept     sink events",
                                    "kept     sink card_minutes",
                                    "dropped  sink merchant_totals_out: no longer written"]),
        "add_sink": ("6 kept, 0 rebuilt, 0 empty, 0 dropped",
                     kept_all + ["kept     group merchant_totals",
                                 "kept     window window_15 (card_minutes)",
                                 "kept     sink card_velocity", "empty    sink big_payments: new",
                                 "kept     sink events", "kept     sink merchant_totals_out",
                                 "kept     sink card_minutes"]),
    }
    if change == "broken":
        return (f"vigil: reload at event {n} ({path}) failed; the running plan goes on\n"
                f"{path}:23:9: error: unknown column 'amout' (did you mean 'amount'?)\n"
                "      SUM(amout) OVER card_10m                                  AS card_sum_10m,\n"
                "          ^^^^^\n")
    counts, body = lines[change]
    return (f"vigil: reload at event {n} ({path}): {counts}\n" +
            "".join(f"vigil: reload: {l}\n" for l in body))


# What each change does to card_velocity's columns after the reload: taken
# from the run without a reload ("base"), from the new SQL run from the start
# ("full"), or from the new SQL run over the events after the reload ("suffix").
OLD = ["card_n_10m", "card_sum_10m", "card_failed_1h", "card_merchants_1h", "device_cards_1h",
       "merchant_n_1m"]
CARD = ["card_n_10m", "card_sum_10m", "card_failed_1h", "card_merchants_1h"]
FEATURES = {
    "add_feature": {"base": OLD, "full": ["card_avg_10m", "card_n_30m", "card_max_1h"]},
    "window_size": {"base": ["card_n_10m", "card_sum_10m", "device_cards_1h", "merchant_n_1m"],
                    "full": ["card_failed_1h", "card_merchants_1h"]},
    "window_grow": {"base": ["device_cards_1h", "merchant_n_1m"], "suffix": CARD},
}


def check_events(label, files, base, nlines):
    """Every event once: in events and card_velocity, and with the dead letters, every line."""
    ev, dead = rows(files["events"]), rows(files["dead_letter"])
    ids = [r["payment_id"] for r in ev]
    check(f"{label}: every line is an event or a dead letter", len(ev) + len(dead) == nlines,
          f"{len(ev)} events + {len(dead)} dead letters")
    check(f"{label}: no event twice", len(ids) == len(set(ids)))
    check(f"{label}: the events of the run without a reload",
          files["events"] == base["events"] and files["dead_letter"] == base["dead_letter"])
    cv = [r["payment_id"] for r in rows(files["card_velocity"])]
    check(f"{label}: card_velocity has each event once", sorted(cv) == sorted(ids),
          f"{len(cv)} rows, {len(set(cv))} payments")


def check_features(label, change, files, runs, before):
    """card_velocity: rows before the reload as without it; after, as FEATURES says."""
    got, base = rows(files["card_velocity"]), rows(runs["base"]["card_velocity"])
    how = FEATURES.get(change, {"base": None})
    bad = []
    for i, (g, b) in enumerate(zip(got, base)):
        if g["payment_id"] != b["payment_id"]:
            bad.append(f"row {i}: payment {g['payment_id']}, want {b['payment_id']}")
            break
        if g["payment_id"] in before or how["base"] is None:
            if g != b:
                bad.append(f"row {i} ({g['payment_id']}): {g} != {b}")
            continue
        for src, cols in how.items():
            ref = b if src == "base" else runs[src][g["payment_id"]]
            for c in cols:
                if not same_value(g[c], ref[c], 1e-12 if c == "card_avg_10m" else 0):
                    bad.append(f"row {i} ({g['payment_id']}) {c}: {g[c]}, want {ref[c]} ({src})")
    check(f"{label}: card_velocity features", len(got) == len(base) and not bad,
          "; ".join(bad[:3]) or f"{len(got)} rows, want {len(base)}")


def main():
    with tempfile.TemporaryDirectory() as tmp:
        lines = open(os.path.join(ROOT, "pipelines/payments/data/payments.jsonl")).readlines()
        lines = lines[:3000]
        log = os.path.join(tmp, "log.jsonl")
        open(log, "w").writelines(lines)
        SQL.update(changes.write(tmp))
        ids = []
        for l in lines:
            try:
                ids.append(json.loads(l).get("payment_id"))
            except ValueError:
                ids.append(l[15:22])  # (a malformed line: its payment_id is at the start)
        rc, err, base = replay(tmp, sql("base"), log)
        check("the run without a reload", rc == 0 and not err, err)
        full = {}
        for change in ["add_feature", "window_size", "add_sink"]:
            rc, err, f = replay(tmp, sql(change), log)
            check(f"{change} from the start", rc == 0, err)
            full[change] = f
        for change in ["add_feature", "filter", "window_size", "window_grow", "remove_view",
                       "add_sink", "broken"]:
            for n in POINTS:
                label = f"{change} at {n}"
                rc, err, files = replay(tmp, sql("base"), log, (n, sql(change)))
                check(f"{label}: exit status", rc == (2 if change == "broken" else 0), str(rc))
                want = report(change, n)
                check(f"{label}: report", err == want, f"\n--- got\n{err}--- want\n{want}")
                check_events(label, files, base, len(lines))
                before = set(ids[:n])
                runs = {"base": base}
                if change in full:
                    runs["full"] = {r["payment_id"]: r
                                    for r in rows(full[change]["card_velocity"])}
                prefix = suffix = None
                if change in ("filter", "remove_view", "window_grow"):
                    head, tail = os.path.join(tmp, "head.jsonl"), os.path.join(tmp, "tail.jsonl")
                    open(head, "w").writelines(lines[:n])
                    open(tail, "w").writelines(lines[n:])
                    prefix = replay(tmp, sql("base"), head)[2]
                    suffix = replay(tmp, sql(change), tail)[2]
                    runs["suffix"] = {r["payment_id"]: r for r in rows(suffix["card_velocity"])}
                check_features(label, change, files, runs, before)
                check(f"{label}: card_minutes as without a reload",
                      files["card_minutes"] == base["card_minutes"])
                mt = files["merchant_totals_out"]
                if change == "filter":
                    want_mt = prefix["merchant_totals_out"] + suffix["merchant_totals_out"]
                elif change == "remove_view":
                    want_mt = prefix["merchant_totals_out"]
                else:
                    want_mt = base["merchant_totals_out"]
                check(f"{label}: merchant_totals_out", mt == want_mt,
                      f"{len(rows(mt))} rows, want {len(rows(want_mt))}")
                if change == "add_sink":
                    want_big = [r for r in rows(full["add_sink"]["big_payments"])
                                if r["payment_id"] not in before]
                    check(f"{label}: big_payments starts at the reload",
                          rows(files["big_payments"]) == want_big,
                          f"{len(rows(files['big_payments']))} rows, want {len(want_big)}")
                else:
                    check(f"{label}: no big_payments", files["big_payments"] is None)
    return finish()


if __name__ == "__main__":
    sys.exit(main())
