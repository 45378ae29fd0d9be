#!/usr/bin/python3
"""make_expected.py — expected outputs of the payments test cases, computed
independently of vigil.

    /usr/bin/python3 pipelines/payments/tests/make_expected.py [--check]

For every case folder beside this script, reads input/payments.jsonl and
writes expected/SINK.jsonl for the sinks of features.sql (features,
high_value, flagged) and windows.sql (card_velocity, velocity_alerts,
merchant_minutes, card_sessions), computing each row in plain Python from the meaning
of the SQL: the decoder's rules (missing keys and null are NULL; a line
that is not a JSON object, or a value that does not fit its column, is
dead-lettered), SQL three-valued logic, and the output contract (keys in
SELECT order, DOUBLE in shortest form with ".0", TIMESTAMP as UTC with
milliseconds). A case with malformed lines also gets
expected/dead_letter.jsonl, {"source","line","reason","raw"} per line, with
the reasons the decoder documents (engine/json_in.c) for the kinds of
breakage the cases use; another kind stops this script until its reason is
added to reason_for_bad_json().

With --check it writes nothing and exits 1 when a committed file differs.
With --log FILE DIR it computes every sink for the event log FILE and
compares them with the files vigil wrote into DIR (tests/pipelines runs
it over the whole recorded log).
Never produce expected files by running vigil: they are the independent
statement of what it must do. Read them by eye after changing a case.
"""

import datetime
import hashlib
import json
import math
import os
import re
import sys

SCHEMA = [  # column, type, as in CREATE STREAM payments
    ("payment_id", "STRING"), ("card_id", "STRING"), ("merchant_id", "STRING"),
    ("device_id", "STRING"), ("email", "STRING"), ("ip", "STRING"), ("country", "STRING"),
    ("card_country", "STRING"), ("currency", "STRING"), ("amount", "DOUBLE"),
    ("status", "STRING"), ("ts", "TIMESTAMP"),
]

ISO_RE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?)?"
                    r"(Z|[+-]\d{2}:?\d{2})?$")


class Ts(int):
    """A TIMESTAMP(3): milliseconds since the epoch, UTC."""


def parse_ts(text):
    m = ISO_RE.match(text)
    if not m:
        return None
    y, mo, d, h, mi, s, frac, zone = m.groups()
    try:
        dt = datetime.datetime(int(y), int(mo), int(d), int(h or 0), int(mi or 0), int(s or 0),
                               tzinfo=datetime.timezone.utc)
    except ValueError:
        return None
    ms = int(dt.timestamp()) * 1000 + int((frac or "0")[:3].ljust(3, "0"))
    if zone and zone != "Z":
        sign = 1 if zone[0] == "+" else -1
        digits = zone[1:].replace(":", "")
        ms -= sign * (int(digits[:2]) * 60 + int(digits[2:])) * 60000
    return Ts(ms)


def reason_for_bad_json(line, error):
    """The decoder's reason for a line that is not JSON."""
    if error.msg.startswith("Unterminated string"):
        # the string runs to the end of the line, where the decoder stops
        return f"invalid JSON at byte {len(line.encode('utf-8'))}: unterminated string"
    raise SystemExit(f"make_expected.py: no known reason for {line!r} ({error.msg})")


def got_text(v):
    """A JSON value as the decoder's reasons describe it."""
    if isinstance(v, str):
        return f'string "{v}"'
    return json.dumps(v)


def decode(line):
    """(row, None) for a good line, (None, reason) for a dead letter."""
    if not line.lstrip(" \t").startswith("{"):
        return None, "expected a JSON object"
    try:
        obj = json.loads(line)
    except ValueError as e:
        return None, reason_for_bad_json(line, e)
    row = {}
    for name, typ in SCHEMA:
        v = obj.get(name)
        if v is None:
            row[name] = None
        elif typ == "STRING":
            if not isinstance(v, str):
                return None, f"column '{name}' expects STRING, got {got_text(v)}"
            row[name] = v
        elif typ == "DOUBLE":
            if isinstance(v, bool) or not isinstance(v, (int, float)):
                return None, f"column '{name}' expects DOUBLE, got {got_text(v)}"
            row[name] = float(v)
        elif typ == "TIMESTAMP":
            ts = Ts(v) if type(v) is int else parse_ts(v) if isinstance(v, str) else None
            if ts is None:
                return None, f"column '{name}': invalid timestamp {json.dumps(v)}"
            row[name] = ts
    return row, None


# ---- SQL semantics, with None as NULL ----

def and3(*xs):
    if any(x is False for x in xs):
        return False
    return None if any(x is None for x in xs) else True


def or3(*xs):
    if any(x is True for x in xs):
        return True
    return None if any(x is None for x in xs) else False


def cmp(op, a, b):
    return None if a is None or b is None else op(a, b)


def lower(s):
    return None if s is None else s.lower()


def trim(s):
    return None if s is None else s.strip(" ")


def split_index(s, sep, i):
    if s is None:
        return None
    parts = s.split(sep)
    return parts[i] if 0 <= i < len(parts) else None


def regexp(s, pattern):
    return None if s is None else re.search(pattern, s) is not None


def md5(s):
    return None if s is None else hashlib.md5(s.encode("utf-8")).hexdigest()


def coalesce(*xs):
    return next((x for x in xs if x is not None), None)


def extract_hour(ts):
    return None if ts is None else (ts // 3600000) % 24


def floor_hour(ts):
    return None if ts is None else Ts(ts - ts % 3600000)


# ---- features.sql ----

def enriched(p):
    amount = p["amount"]
    if amount is None:
        band = "unknown"
    elif amount < 5:
        band = "micro"
    elif amount < 50:
        band = "small"
    elif amount < 500:
        band = "medium"
    else:
        band = "large"
    return {
        "payment_id": p["payment_id"], "card_id": p["card_id"],
        "merchant_id": p["merchant_id"], "device_id": p["device_id"],
        "amount": amount, "status": p["status"], "ts": p["ts"],
        "amount_band": band,
        "email_domain": lower(split_index(trim(p["email"]), "@", 1)),
        "disposable_email": coalesce(
            regexp(lower(p["email"]),
                   r"@(mailinator|guerrillamail|yopmail|10minutemail|trashmail)[.]"), False),
        "email_hash": md5(lower(trim(p["email"]))),
        "cross_border": cmp(lambda a, b: a != b, p["country"], p["card_country"]),
        "hour_of_day": extract_hour(p["ts"]),
        "hour_start": floor_hour(p["ts"]),
    }


def features(p):
    e = enriched(p)
    cols = ["payment_id", "card_id", "amount", "amount_band", "email_domain",
            "disposable_email", "email_hash", "cross_border", "hour_of_day", "hour_start", "ts"]
    return [[(c, e[c]) for c in cols]]


def high_value(p):
    ge = cmp(lambda a, b: a >= b, p["amount"], 500)
    if and3(ge, cmp(lambda a, b: a == b, p["status"], "captured")) is not True:
        return []
    return [[(c, p[c]) for c in
             ["payment_id", "card_id", "merchant_id", "amount", "currency", "country", "ts"]]]


def flagged(p):
    e = enriched(p)
    micro_probe = and3(e["amount_band"] == "micro",
                       cmp(lambda a, b: a != b, e["status"], "captured"))
    large_abroad = and3(e["cross_border"], cmp(lambda a, b: a >= b, e["amount"], 300))
    night_large = and3(cmp(lambda a, b: a < b, e["hour_of_day"], 5),
                       cmp(lambda a, b: a >= b, e["amount"], 200))
    if or3(e["disposable_email"], micro_probe, large_abroad, night_large) is not True:
        return []
    if and3(e["disposable_email"], e["cross_border"]) is True:
        reason = "disposable_email_abroad"
    elif e["disposable_email"] is True:
        reason = "disposable_email"
    elif micro_probe is True:
        reason = "micro_probe"
    elif large_abroad is True:
        reason = "large_abroad"
    else:
        reason = "night_large"
    return [[("payment_id", e["payment_id"]), ("card_id", e["card_id"]),
             ("device_id", e["device_id"]), ("amount", e["amount"]), ("status", e["status"]),
             ("reason", reason), ("ts", e["ts"])]]


SINKS = [("features", features), ("high_value", high_value), ("flagged", flagged)]


# ---- windows.sql ----
#
# OVER features are computed on arrival: the frame of payment i is the
# payments that arrived up to i (i included) with the same key and an event
# time in [ts_i - range, ts_i]. Window aggregates fire in order of
# (window_end, window_start, arrival of the group's first payment).

MINUTE, HOUR = 60000, 3600000
WATERMARK_DELAY = 5000  # WATERMARK FOR ts AS ts - INTERVAL '5' SECOND


def check_not_late(rows):
    """The cases are written so that no payment is late; say so if one is."""
    newest = None
    for p in rows:
        if newest is not None and p["ts"] < newest - WATERMARK_DELAY:
            raise SystemExit(f"make_expected.py: {p['payment_id']} may be late; "
                             "late rows are not modelled here")
        newest = p["ts"] if newest is None else max(newest, p["ts"])


def frame(rows, by_key, i, key, span):
    """by_key[key][value]: the arrival indexes of the rows with that value."""
    p = rows[i]
    return [rows[j] for j in by_key[key][p[key]]
            if j <= i and p["ts"] - span <= rows[j]["ts"] <= p["ts"]]


def count_where(frame_rows, pred):
    return sum(1 for q in frame_rows if pred(q) is True)


def sum_of(values):
    values = [v for v in values if v is not None]
    return math.fsum(values) if values else None


def velocity_rows(rows):
    by_key = {key: {} for key in ("card_id", "device_id", "merchant_id")}
    for i, p in enumerate(rows):
        for key, index in by_key.items():
            index.setdefault(p[key], []).append(i)
    out = []
    for i, p in enumerate(rows):
        c10m = frame(rows, by_key, i, "card_id", 10 * MINUTE)
        c1h = frame(rows, by_key, i, "card_id", HOUR)
        c24h = frame(rows, by_key, i, "card_id", 24 * HOUR)
        d1h = frame(rows, by_key, i, "device_id", HOUR)
        m1m = frame(rows, by_key, i, "merchant_id", MINUTE)
        amounts_24h = [q["amount"] for q in c24h if q["amount"] is not None]
        out.append(dict(p, **{
            "card_n_10m": len(c10m),
            "card_sum_10m": sum_of(q["amount"] for q in c10m),
            "card_failed_1h": count_where(c1h, lambda q: cmp(lambda a, b: a != b,
                                                              q["status"], "captured")),
            "card_merchants_1h": len({q["merchant_id"] for q in c1h} - {None}),
            "card_max_24h": max(amounts_24h) if amounts_24h else None,
            "card_avg_24h": sum_of(amounts_24h) / len(amounts_24h) if amounts_24h else None,
            "device_cards_1h": len({q["card_id"] for q in d1h} - {None}),
            "merchant_n_1m": len(m1m),
            "merchant_micro_1m": count_where(m1m, lambda q: cmp(lambda a, b: a < b,
                                                                 q["amount"], 5)),
        }))
    return out


def card_velocity(rows):
    cols = ["payment_id", "card_id", "amount", "ts", "card_n_10m", "card_sum_10m",
            "card_failed_1h", "card_merchants_1h", "card_max_24h", "card_avg_24h",
            "device_cards_1h", "merchant_n_1m"]
    return [[(c, v[c]) for c in cols] for v in velocity_rows(rows)]


def velocity_alerts(rows):
    out = []
    for v in velocity_rows(rows):
        after_failures = and3(cmp(lambda a, b: a >= b, v["card_failed_1h"], 3),
                              cmp(lambda a, b: a == b, v["status"], "captured"))
        if after_failures is True:
            reason = "success_after_failures"
        elif v["device_cards_1h"] >= 4:
            reason = "device_many_cards"
        elif v["merchant_micro_1m"] >= 5:
            reason = "card_testing"
        else:
            reason = "card_burst"
        if or3(after_failures, v["device_cards_1h"] >= 4, v["merchant_micro_1m"] >= 5,
               v["card_n_10m"] >= 6) is True:
            out.append([(c, v[c]) for c in ["payment_id", "card_id", "device_id", "merchant_id",
                                            "amount"]] + [("reason", reason), ("ts", v["ts"])])
    return out


def fire_in_order(groups):
    """groups: (start, end, first arrival, row); rows in firing order."""
    return [row for _, _, _, row in sorted(groups, key=lambda g: (g[1], g[0], g[2]))]


def merchant_minutes(rows):
    groups = {}
    for i, p in enumerate(rows):
        start = p["ts"] - p["ts"] % MINUTE
        groups.setdefault((start, p["merchant_id"]), (i, []))[1].append(p)
    out = []
    for (start, merchant), (first, members) in groups.items():
        if len(members) < 5:
            continue
        row = [("window_start", Ts(start)), ("window_end", Ts(start + MINUTE)),
               ("merchant_id", merchant), ("payments", len(members)),
               ("total", sum_of(q["amount"] for q in members)),
               ("not_captured", count_where(members, lambda q: cmp(lambda a, b: a != b,
                                                                    q["status"], "captured")))]
        out.append((start, start + MINUTE, first, row))
    return fire_in_order(out)


def card_sessions(rows):
    gap = 10 * MINUTE
    by_card = {}
    for i, p in enumerate(rows):
        by_card.setdefault(p["card_id"], []).append((p["ts"], i, p))
    out = []
    for card, items in by_card.items():
        items.sort(key=lambda t: (t[0], t[1]))
        sessions = []
        for ts, i, p in items:
            if sessions and ts - sessions[-1][-1][0] <= gap:  # exactly gap apart: one session
                sessions[-1].append((ts, i, p))
            else:
                sessions.append([(ts, i, p)])
        for sess in sessions:
            if len(sess) < 3:
                continue
            start, end = sess[0][0], max(t for t, _, _ in sess) + gap
            amounts = [p["amount"] for _, _, p in sess if p["amount"] is not None]
            row = [("window_start", Ts(start)), ("window_end", Ts(end)), ("card_id", card),
                   ("payments", len(sess)),
                   ("merchants", len({p["merchant_id"] for _, _, p in sess} - {None})),
                   ("max_amount", max(amounts) if amounts else None)]
            out.append((start, end, min(i for _, i, _ in sess), row))
    return fire_in_order(out)


LOG_SINKS = [("card_velocity", card_velocity), ("velocity_alerts", velocity_alerts),
             ("merchant_minutes", merchant_minutes), ("card_sessions", card_sessions)]


# ---- output contract ----

def value_text(v):
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, Ts):
        d = datetime.datetime.fromtimestamp(v // 1000, datetime.timezone.utc)
        return json.dumps(d.strftime("%Y-%m-%dT%H:%M:%S") + f".{v % 1000:03d}Z")
    if isinstance(v, float):
        return repr(v)  # shortest round-trip form; integral values keep ".0"
    if isinstance(v, int):
        return str(v)
    return json.dumps(v, ensure_ascii=False)


def row_text(pairs):
    return "{" + ",".join(json.dumps(k) + ":" + value_text(v) for k, v in pairs) + "}"


def dead_letter_text(lineno, reason, line):
    return row_text([("source", "payments"), ("line", lineno), ("reason", reason),
                     ("raw", line)])


def expected_for(case_dir):
    with open(os.path.join(case_dir, "input", "payments.jsonl"), encoding="utf-8") as f:
        lines = f.read().splitlines()
    rows, dead = [], ""
    for lineno, line in enumerate(lines, 1):
        row, reason = decode(line)
        if row is None:
            dead += dead_letter_text(lineno, reason, line) + "\n"
        else:
            rows.append(row)
    out = {sink: "".join(row_text(r) + "\n" for p in rows for r in fn(p)) for sink, fn in SINKS}
    check_not_late(rows)
    for sink, fn in LOG_SINKS:
        out[sink] = "".join(row_text(r) + "\n" for r in fn(rows))
    if dead:
        out["dead_letter"] = dead
    return out


def check_log(log, out_dir):
    """Compare every sink vigil wrote into out_dir, replaying log, with this
    script's rows for the same log. Prints ok/FAIL per sink, then a count."""
    with open(log, encoding="utf-8") as f:
        rows = [row for row, _ in map(decode, f.read().splitlines()) if row is not None]
    want = {sink: "".join(row_text(r) + "\n" for p in rows for r in fn(p)) for sink, fn in SINKS}
    check_not_late(rows)
    for sink, fn in LOG_SINKS:
        want[sink] = "".join(row_text(r) + "\n" for r in fn(rows))
    passed = failed = 0
    for sink, text in want.items():
        path = os.path.join(out_dir, sink + ".jsonl")
        got = open(path, encoding="utf-8").read() if os.path.exists(path) else None
        if got == text:
            passed += 1
            print(f"ok {sink}: {text.count(chr(10))} rows")
            continue
        failed += 1
        print(f"FAIL {sink}")
        for n, (a, b) in enumerate(zip(text.splitlines(), (got or "").splitlines()), 1):
            if a != b:
                print(f"  row {n}:\n    expected {a}\n    got      {b}")
                break
        else:
            print(f"  expected {text.count(chr(10))} rows, got {(got or '').count(chr(10))}")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


def main():
    if sys.argv[1:2] == ["--log"]:
        return check_log(sys.argv[2], sys.argv[3])
    check = "--check" in sys.argv[1:]
    here = os.path.dirname(os.path.abspath(__file__))
    stale = 0
    for case in sorted(os.listdir(here)):
        case_dir = os.path.join(here, case)
        if not os.path.isdir(os.path.join(case_dir, "input")):
            continue
        for sink, text in expected_for(case_dir).items():
            path = os.path.join(case_dir, "expected", sink + ".jsonl")
            old = open(path, encoding="utf-8").read() if os.path.exists(path) else None
            if old == text:
                continue
            stale += 1
            print(("differs: " if check else "wrote: ") + os.path.relpath(path, here))
            if not check:
                os.makedirs(os.path.dirname(path), exist_ok=True)
                with open(path, "w", encoding="utf-8") as f:
                    f.write(text)
    return 1 if check and stale else 0


if __name__ == "__main__":
    sys.exit(main())
