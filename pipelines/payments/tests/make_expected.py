#!/usr/bin/python3
"""make_expected.py — expected outputs of the payments test cases, computed
independently of vigil.

    /usr/bin/python3 pipelines/payments/tests/make_expected.py [--check]

For every case folder beside this script, reads input/payments.jsonl and
writes expected/SINK.jsonl for the sinks of features.sql (features,
high_value, flagged), computing each row in plain Python from the meaning
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
Never produce expected files by running vigil: they are the independent
statement of what it must do. Read them by eye after changing a case.
"""

import datetime
import hashlib
import json
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
    if dead:
        out["dead_letter"] = dead
    return out


def main():
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
