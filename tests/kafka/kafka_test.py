"""tests/kafka/kafka_test.py — vigil against its dev broker, with independent
clients (kcat, Python's kafka package from Debian) on both sides.

    /usr/bin/python3 tests/kafka/kafka_test.py build/vigil

One `vigil dev-broker` in a process of its own on a free loopback port,
waited for through its ready file and stopped (SIGTERM) at the end:

  broker     the fixed port: the announcement line and the ready file
  kcat       the README example: kcat produces and consumes through it
  control    fault-control commands: help, errors, down (clients refused),
             up (the same port again), injected Produce errors survived
  run        python3-kafka produces payments keyed by card, some malformed,
             one oversized, one in a kcat -J envelope; `vigil run` writes a
             decisions topic, an updating per-card topic (keyed by card) and
             a dead-letter topic; an independent consumer reads them back
             and checks them row for row against `vigil replay` of the same
             events, and events in = rows out + dead-lettered
  restart    more events, a second run in the same group stopped by SIGTERM:
             every decision exactly once (offsets committed at the stop)
  idle       two partitions, events in one only: the idle timeout lets the
             windows fire (and without it, with the same events, none does)

Nothing sleeps to synchronise: each wait polls a file or a topic until what
it waits for is there, and fails the test after a deadline. Last line:
N passed, N failed.
"""
import json
import os
import signal
import subprocess
import sys
import tempfile
import time

from kafka import KafkaConsumer, KafkaProducer, TopicPartition

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from tally import check, finish  # noqa: E402
from broker import Broker, free_port, wait_for  # noqa: E402  (the dev broker)

API = (2, 5, 0)  # kafka-python cannot detect the mock's version right
VIGIL = os.path.abspath(sys.argv[1])
REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
PAYMENTS_LOG = os.path.join(REPO, "pipelines", "payments", "data", "payments.jsonl")

def kcat(*args, data=None, timeout=20):
    return subprocess.run(["kcat", *args], input=data, capture_output=True, timeout=timeout)


def produce(boot, topic, messages):
    """messages: (key, value, partition) tuples; partition None: by key."""
    p = KafkaProducer(bootstrap_servers=boot, api_version=API)
    for key, value, part in messages:
        p.send(topic, key=key, value=value, partition=part)
    p.flush()
    p.close()


def consume_all(boot, topic, want, timeout=20):
    """Read topic from the beginning until want messages (or the deadline);
    then keep reading briefly to catch any extra ones."""
    c = KafkaConsumer(bootstrap_servers=boot, api_version=API, group_id=None,
                      auto_offset_reset="earliest", enable_auto_commit=False)
    parts = c.partitions_for_topic(topic) or wait_for(
        "topic metadata", lambda: c.partitions_for_topic(topic), 10)
    c.assign([TopicPartition(topic, p) for p in sorted(parts)])
    out = []
    end = time.monotonic() + timeout
    while len(out) < want and time.monotonic() < end:
        for recs in c.poll(timeout_ms=200).values():
            out.extend(recs)
    # the topic's end offsets say whether anything beyond want is there
    ends = c.end_offsets([TopicPartition(topic, p) for p in parts])
    total = sum(ends.values())
    while len(out) < total and time.monotonic() < end:
        for recs in c.poll(timeout_ms=200).values():
            out.extend(recs)
    c.close()
    return out


def replay(tmp, sql, events, sinks):
    """`vigil replay` of sql over events: {sink: [row, ...]}."""
    d = tempfile.mkdtemp(dir=tmp)
    with open(os.path.join(d, "p.sql"), "w") as f:
        f.write(sql)
    with open(os.path.join(d, "in.jsonl"), "w") as f:
        f.write("".join(e + "\n" for e in events))
    args = [VIGIL, "replay", os.path.join(d, "p.sql"), "--input", f"payments={d}/in.jsonl",
            "--quiet", "--output", f"dead_letter={d}/dead.jsonl"]
    for s in sinks:
        args += ["--output", f"{s}={d}/{s}.jsonl"]
    subprocess.run(args, check=True, timeout=60)
    return {s: open(f"{d}/{s}.jsonl").read().splitlines() for s in sinks}


# ---- the tests ----

def test_broker(b, port):
    check("broker: announcement", b.first_line == f"dev-broker: listening on 127.0.0.1:{port}",
          b.first_line)
    check("broker: ready file", b.boot == f"127.0.0.1:{port}", b.boot)


def test_kcat(b):
    r = kcat("-b", b.boot, "-t", "demo", "-P", data=b"one\ntwo\nthree\n")
    check("kcat: produce", r.returncode == 0, r.stderr.decode())
    r = kcat("-b", b.boot, "-t", "demo", "-C", "-e", "-J", "-q")
    got = [json.loads(l) for l in r.stdout.decode().splitlines()]
    check("kcat: consume", sorted(m["payload"] for m in got) == ["one", "three", "two"],
          r.stdout.decode() + r.stderr.decode())
    r = kcat("-b", b.boot, "-L", "-t", "demo")
    check("kcat: metadata", 'topic "demo" with 3 partitions' in r.stdout.decode(),
          r.stdout.decode())


def test_control(b):
    check("control: help", b.control("help").startswith("ok commands: down ID; up ID;"))
    check("control: bad command", b.control("frob") == "error: unknown command 'frob' (try 'help')")
    check("control: bad broker", b.control("down 7") == "error: expected a broker id 1..1, got '7'")
    check("control: down", b.control("down 1") == "ok")
    r = kcat("-b", b.boot, "-L", "-m", "1")
    check("control: clients refused while down", r.returncode != 0, r.stdout.decode())
    check("control: up", b.control("up 1") == "ok")
    r = wait_for("the broker back", lambda: (lambda r: r if r.returncode == 0 else None)(
        kcat("-b", b.boot, "-L", "-m", "2")), 15)
    check("control: same port after up", "broker 1 at " + b.boot in r.stdout.decode(),
          r.stdout.decode())
    check("control: errors", b.control("errors Produce 3 NOT_LEADER_FOR_PARTITION") == "ok")
    r = kcat("-b", b.boot, "-t", "faults", "-P", data=b"survived\n")
    check("control: produce through errors", r.returncode == 0, r.stderr.decode())
    r = kcat("-b", b.boot, "-t", "faults", "-C", "-e", "-q")
    check("control: written once", r.stdout.decode() == "survived\n", r.stdout.decode())


PAYMENTS_SQL = """
CREATE STREAM payments (payment_id STRING, card_id STRING, merchant_id STRING, amount DOUBLE,
  status STRING, ts TIMESTAMP(3), WATERMARK FOR ts AS ts - INTERVAL '5' SECOND);
INSERT INTO decisions SELECT payment_id, card_id, amount,
  CASE WHEN amount > 300 THEN 'review' ELSE 'allow' END AS decision FROM payments;
INSERT INTO card_totals SELECT card_id, COUNT(*) AS n, SUM(amount) AS total
  FROM payments GROUP BY card_id;
"""


def payments_pipeline(tmp, boot, group):
    d = os.path.join(tmp, "payments-" + group)
    os.makedirs(d)
    with open(os.path.join(d, "p.sql"), "w") as f:
        f.write(PAYMENTS_SQL)
    k = lambda topic, extra="": f'{{kafka: {{topic: {topic}, bootstrap: "{boot}"{extra}}}}}'
    with open(os.path.join(d, "pipeline.yaml"), "w") as f:
        f.write(f"""sql: p.sql
sources:
  payments: {k("payments", ", group: " + group + ", properties: {session.timeout.ms: 6000}")}
sinks:
  decisions: {k("decisions")}
  card_totals: {k("card_totals")}
  dead_letter: {k("dead")}
limits: {{max_event_bytes: 2048}}
""")
    return d


def read_events(first, n):
    with open(PAYMENTS_LOG) as f:
        lines = f.read().splitlines()
    return lines[first:first + n]


def as_messages(events):
    return [(json.loads(e)["card_id"].encode(), e.encode(), None) for e in events]


def test_run(b, tmp):
    events = read_events(0, 400)
    envelope = json.dumps({"topic": "x", "partition": 0, "offset": 9, "ts": 0, "key": None,
                           "payload": json.loads(events[-1])})
    bad = [(b"c1", b'{"payment_id": "bad1", "amount": ', None),
           (b"c1", b'{"payment_id":"bad2","amount":"lots","ts":0}', None),
           (b"c2", json.dumps({"payment_id": "big", "note": "x" * 3000}).encode(), None)]
    msgs = as_messages(events[:-1]) + [(b"env", envelope.encode(), None)] + bad
    produce(b.boot, "payments", msgs)
    d = payments_pipeline(tmp, b.boot, "g-run")
    r = subprocess.run([VIGIL, "run", d, "--max-events", str(len(msgs))], capture_output=True,
                       timeout=60)
    err = r.stderr.decode()
    check("run: exit 0", r.returncode == 0, err)
    check("run: summary", f"vigil: payments: read {len(msgs)} events, 3 dead-lettered" in err, err)
    want = replay(tmp, PAYMENTS_SQL, events, ["decisions", "card_totals"])
    got = consume_all(b.boot, "decisions", len(want["decisions"]))
    rows = [m.value.decode() for m in got]
    check("run: decisions row for row", sorted(rows) == sorted(want["decisions"]),
          f"{len(rows)} rows, want {len(want['decisions'])}")
    check("run: decisions unkeyed", all(m.key is None for m in got))
    totals = consume_all(b.boot, "card_totals", len(want["card_totals"]))
    check("run: card_totals row for row",
          sorted(m.value.decode() for m in totals) == sorted(want["card_totals"]),
          f"{len(totals)} rows, want {len(want['card_totals'])}")
    check("run: card_totals keyed by card",
          all(m.key.decode() == json.loads(m.value)["card_id"] for m in totals))
    dead = [json.loads(m.value) for m in consume_all(b.boot, "dead", 3)]
    reasons = sorted(x["reason"] for x in dead)
    check("run: dead letters", reasons == [
        "column 'amount' expects DOUBLE, got string \"lots\"",
        "event longer than 2048 bytes",
        "invalid JSON at byte 33: expected a value"], reasons)
    check("run: dead letter fields", all(x["source"] == "payments" and x["topic"] == "payments"
                                         and x["offset"] >= 0 for x in dead), dead)
    check("run: events in = rows out + dead", len(msgs) == len(rows) + len(dead),
          f"{len(msgs)} != {len(rows)} + {len(dead)}")
    return events


def test_restart(b, tmp, before):
    more = read_events(400, 200)
    produce(b.boot, "payments", as_messages(more))
    d = os.path.join(tmp, "payments-g-run")
    log = open(os.path.join(tmp, "run2.err"), "w")
    p = subprocess.Popen([VIGIL, "run", d], stderr=log)
    want = len(before) + len(more)
    try:
        wait_for("every decision", lambda: (lambda g: g if len(g) >= want else None)(
            consume_all(b.boot, "decisions", want, timeout=2)), 30, 0.2)
    except TimeoutError as e:
        check("restart: decisions", False, str(e))
    p.send_signal(signal.SIGTERM)
    rc = p.wait(30)
    log.close()
    err = open(os.path.join(tmp, "run2.err")).read()
    check("restart: SIGTERM is a clean stop", rc == 0, err)
    check("restart: second run read only the new events",
          "vigil: payments: read 200 events, 0 dead-lettered" in err, err)
    ids = [json.loads(m.value)["payment_id"] for m in consume_all(b.boot, "decisions", want)]
    check("restart: every decision exactly once", len(ids) == want and len(set(ids)) == want,
          f"{len(ids)} rows, {len(set(ids))} distinct, want {want}")


WINDOW_SQL = """
CREATE STREAM ticks (id BIGINT, ts TIMESTAMP(3), WATERMARK FOR ts AS ts);
INSERT INTO per_second SELECT window_start, window_end, COUNT(*) AS n
  FROM TABLE(TUMBLE(TABLE ticks, DESCRIPTOR(ts), INTERVAL '1' SECOND))
  GROUP BY window_start, window_end;
"""


def window_pipeline(tmp, boot, name, out_topic):
    d = os.path.join(tmp, name)
    os.makedirs(d)
    with open(os.path.join(d, "p.sql"), "w") as f:
        f.write(WINDOW_SQL)
    with open(os.path.join(d, "pipeline.yaml"), "w") as f:
        f.write(f"""sql: p.sql
sources:
  ticks: {{kafka: {{topic: ticks, bootstrap: "{boot}", group: {name},
                   properties: {{session.timeout.ms: 6000}}}}}}
sinks:
  per_second: {{kafka: {{topic: {out_topic}, bootstrap: "{boot}"}}}}
  dead_letter: {{file: dead.jsonl}}
""")
    return d


def test_idle(b, tmp):
    # ten events at 0.5 s, 1.5 s, ... 9.5 s, all in partition 0; partition 1 stays silent
    ticks = [(None, json.dumps({"id": i, "ts": i * 1000 + 500}).encode(), 0) for i in range(10)]
    ticks.append((None, b"not json", 0))
    produce(b.boot, "ticks", ticks)
    # without an idle timeout that passes, the silent partition holds every window back
    d = window_pipeline(tmp, b.boot, "idle-long", "windows_none")
    r = subprocess.run([VIGIL, "run", d, "--idle-timeout", "1h", "--max-events", "11"],
                       capture_output=True, timeout=60)
    err = r.stderr.decode()
    check("idle: held back without the timeout", r.returncode == 0 and
          "vigil: per_second: wrote 0 rows, 0 delivered" in err, err)
    # with it, partition 1 turns idle and the watermark (9.5 s) closes nine windows
    d = window_pipeline(tmp, b.boot, "idle-short", "windows")
    log = open(os.path.join(tmp, "idle.err"), "w")
    p = subprocess.Popen([VIGIL, "run", d, "--idle-timeout", "300ms"], stderr=log)
    try:
        wait_for("nine windows", lambda: (lambda g: g if len(g) >= 9 else None)(
            consume_all(b.boot, "windows", 9, timeout=1)), 30, 0.2)
    except TimeoutError as e:
        check("idle: windows fire", False, str(e))
    p.send_signal(signal.SIGTERM)
    rc = p.wait(30)
    log.close()
    err = open(os.path.join(tmp, "idle.err")).read()
    check("idle: clean stop", rc == 0, err)
    rows = [json.loads(m.value) for m in consume_all(b.boot, "windows", 9)]
    want = [{"window_start": f"1970-01-01T00:00:0{i}.000Z",
             "window_end": f"1970-01-01T00:00:0{i + 1}.000Z", "n": 1} for i in range(9)]
    check("idle: exactly the closed windows",
          sorted(rows, key=lambda x: x["window_start"]) == want, rows)
    dead = open(os.path.join(d, "dead.jsonl")).read().splitlines()
    check("idle: dead letter file", len(dead) == 1 and json.loads(dead[0])["reason"] ==
          "expected a JSON object", dead)


def test_key(b, tmp):
    """sinks.*.kafka.key: the named columns key each message; an unknown or ARRAY one is
    refused."""
    d = payments_pipeline(tmp, b.boot, "g-key")
    y = os.path.join(d, "pipeline.yaml")
    with open(y) as f:
        text = f.read()
    keyed = text.replace("decisions: {kafka: {topic: decisions,",
                         'decisions: {kafka: {topic: decisions_keyed, key: "card_id, decision",')
    with open(y, "w") as f:
        f.write(keyed)
    r = subprocess.run([VIGIL, "run", d, "--max-events", "100", "--quiet"], capture_output=True,
                       timeout=60)
    check("key: exit 0", r.returncode == 0, r.stderr.decode())
    got = consume_all(b.boot, "decisions_keyed", 100)  # the first 100 messages are good events
    keys = [json.loads(m.key) for m in got]
    want = [{"card_id": json.loads(m.value)["card_id"], "decision": json.loads(m.value)["decision"]}
            for m in got]
    check("key: two named columns, as a JSON object", got and keys == want, keys[:3])
    with open(y, "w") as f:
        f.write(keyed.replace('key: "card_id, decision"', 'key: "card_id, nope"'))
    r = subprocess.run([VIGIL, "run", d, "--max-events", "1", "--quiet"], capture_output=True,
                       timeout=60)
    err = r.stderr.decode()
    check("key: unknown column refused", r.returncode == 2 and
          "error: sinks.decisions.kafka.key: no column 'nope' in the rows of sink 'decisions'" in err,
          f"{r.returncode} {err}")
    with open(os.path.join(d, "p.sql"), "w") as f:  # an ARRAY column: no key reads it back
        f.write(PAYMENTS_SQL.replace("SELECT payment_id, card_id, amount,",
                                     "SELECT payment_id, card_id, ARRAY[amount] AS amounts,"))
    with open(y, "w") as f:
        f.write(keyed.replace('key: "card_id, decision"', 'key: "card_id, amounts"'))
    r = subprocess.run([VIGIL, "run", d, "--max-events", "1", "--quiet"], capture_output=True,
                       timeout=60)
    err = r.stderr.decode()
    check("key: an ARRAY column refused", r.returncode == 2 and
          "error: sinks.decisions.kafka.key: ARRAY<DOUBLE> column 'amounts' in the rows of sink "
          "'decisions' (a key cannot be an array)" in err, f"{r.returncode} {err}")


def test_restarts_option(b, tmp):
    """--restarts N: a count 0..1000 (0: none, the old way); anything else is a usage error.
    What the restarts do is tests/unit/test_run_restart.c's and the crash test's."""
    d = payments_pipeline(tmp, b.boot, "g-restarts")
    for bad in ("lots", "-1", "1001", ""):
        r = subprocess.run([VIGIL, "run", d, "--restarts", bad], capture_output=True, timeout=60)
        err = r.stderr.decode()
        check(f"restarts: '{bad}' refused", r.returncode == 2 and err.startswith(
            "vigil run: --restarts needs a count from 0 to 1000\nusage: vigil run "), err)
    r = subprocess.run([VIGIL, "run", d, "--restarts", "0", "--max-events", "10", "--quiet"],
                       capture_output=True, timeout=60)
    check("restarts: 0 accepted", r.returncode == 0, r.stderr.decode())
    r = subprocess.run([VIGIL, "run", "--help"], capture_output=True, timeout=60)
    check("restarts: in the help", r.returncode == 0 and
          "  --restarts N       with state.store: restart from the newest checkpoint at most N\n"
          in r.stdout.decode(), r.stdout.decode())


def main():
    tmp = tempfile.mkdtemp(prefix="vigil-kafka-")
    topics = ["demo:3", "payments:2", "decisions:2", "decisions_keyed:2", "card_totals:2", "dead:1", "ticks:2",
              "windows:1", "windows_none:1", "faults:1"]
    for attempt in range(3):  # another test may take the free port first
        port = free_port()
        try:
            b = Broker(VIGIL, tmp, topics, port)
            break
        except RuntimeError:
            if attempt == 2:
                raise
    try:
        for name, fn in [("broker", lambda: test_broker(b, port)), ("kcat", lambda: test_kcat(b)),
                         ("control", lambda: test_control(b))]:
            try:
                fn()
            except Exception as e:  # a test that cannot finish is one failure
                check(name, False, f"{type(e).__name__}: {e}")
        try:
            events = test_run(b, tmp)
            test_restart(b, tmp, events)
            test_key(b, tmp)
            test_restarts_option(b, tmp)
        except Exception as e:
            check("run", False, f"{type(e).__name__}: {e}")
        try:
            test_idle(b, tmp)
        except Exception as e:
            check("idle", False, f"{type(e).__name__}: {e}")
    finally:
        rc, rest = b.stop(), b.rest
        check("broker: clean stop", rc == 0 and "dev-broker: stopped" in rest, f"{rc} {rest}")
        check("broker: ready file removed", not os.path.exists(b.ready))
        subprocess.run(["rm", "-rf", tmp])
    return finish()


if __name__ == "__main__":
    sys.exit(main())
