"""tests/fault/crash_test.py — exactly-once output of `vigil run` through crashes.

    /usr/bin/python3 tests/fault/crash_test.py build/vigil [--soak N] [--seed S]

One `vigil dev-broker` in a process of its own (loopback, a free port, waited
for through its ready file), so that it outlives every vigil it serves. The
input: 3,000 payments of pipelines/payments/data/payments.jsonl over three
partitions, keyed by card (python3-kafka), with malformed, oversized and
enveloped messages (kcat) and late events among them. The pipeline: the
payments pipeline's SQL and a keyed GROUP BY, eight sinks on Kafka topics
(keyed and not, 1 to 3 partitions, the dead letters among them) and seven on
files, checkpoints in a store of its own.

A fault-free `vigil run --exit-at-end` gives the reference. Then each
scenario runs the same pipeline, with its own store, topics and files, until
it exits 0, being killed on the way:

  points     VIGIL_CRASH_POINT=NAME:N for every named point (turn-logged,
             sink-handed, file-written, ckpt-flushed, ckpt-mid, ckpt-committed,
             and recover-turn during the restart after another crash), each
             at several N chosen by the seed; the run must die by SIGKILL
  kill       kill -9 from outside, at a moment found by watching the output
             (a file sink's lines, a topic's end offsets), twice
  broker     the broker goes down mid-run (after vigil has written output)
             and comes back once a checkpoint has failed for it (or vigil has
             restarted itself for it)
  errors     Produce and Fetch requests failing (mock fault injection)
  txn-fatal  a transactional producer's fatal error mid-run (EndTxn answered
             INVALID_TXN_STATE): vigil restarts itself once, in process, and
             finishes on its own

After each, an independent consumer (python3-kafka, from the beginning of
every partition, read_uncommitted) checks every topic against the
reference: the same rows in the same order in every partition, vigil-seq
1..N with no duplicate and no gap; every file sink is equal byte for byte.
No sleep is a synchronisation: every wait polls for what it waits for.
--soak N runs N random scenarios (points, N, double crashes) instead.

vigil restarts itself from its checkpoint after a Kafka client's failure
(`vigil run --restarts`, default 5): where librdkafka 2.0.2's mock misbehaves
(a purged in-flight batch; INVALID_PRODUCER_ID_MAPPING when it draws a new
producer an id it already gave another transactional id: its ids are random
among 900,000 values, so the more producers one broker has served, the likelier),
a run goes on instead of stopping before its crash point. Every such restart
line is counted and listed at the end; the exactly-once checks are the same.
The scenarios that count restarts or change the broker run on a fresh broker
(same input), after the crash points' 80-odd runs and their producers.
Last line: N passed, N failed.
"""
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor

from kafka import KafkaConsumer, KafkaProducer, TopicPartition

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from tally import check, finish  # noqa: E402
from broker import Broker, wait_for  # noqa: E402  (the dev broker, deadline polls)

API = (2, 5, 0)  # kafka-python cannot detect the mock's version right
REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
PAYMENTS = os.path.join(REPO, "pipelines", "payments")
NEVENTS = 3000
NL = b"\n"
BATCH = 60  # messages per partition per turn: about 17 turns

# sink -> partitions of its topic (None: a file sink)
SINKS = {
    "features": 3, "decisions": 2, "card_totals": 3, "flagged": 1, "velocity_alerts": 2,
    "unrecovered_failures": 2, "merchant_minutes": 2, "dead_letter": 1,
    "feature_log": None, "card_velocity": None, "card_sessions": None, "high_value": None,
    "fail_then_success": None, "country_hops": None, "rising_amounts": None,
}
EXTRA_SQL = """-- crash_test: an updating sink, keyed by card
INSERT INTO card_totals SELECT card_id, COUNT(*) AS n, SUM(amount) AS total
  FROM payments GROUP BY card_id;
"""
# crash point -> the N values a run reaches (with a checkpoint after every turn, each
# waited for: VIGIL_CKPT_WAIT=1)
POINTS = {"turn-logged": 15, "sink-handed": 15, "file-written": 40, "ckpt-flushed": 14,
          "ckpt-handed": 14, "ckpt-mid": 14, "ckpt-written": 14, "ckpt-committed": 14}
# crash point -> the N values a run reaches with checkpoints written in the background while
# turns go on (the default): fewer checkpoints, as one is written at a time
ASYNC_POINTS = {"ckpt-handed": 3, "ckpt-mid": 3, "ckpt-written": 3, "ckpt-committed": 3}

# crash point -> the N values a run reaches with sinks that are not transactional
# (transactional.id ""): their checkpoints are cut without a flush and committed once the
# cut's rows are delivered (ckpt-delivering: some of them reported, not all; ckpt-released:
# all delivered, the store's transaction not committed)
NOTXN = ', properties: {transactional.id: ""}'
NOTXN_POINTS = {"ckpt-delivering": 3, "ckpt-released": 3, "ckpt-mid": 3, "ckpt-written": 3}

JOBS = int(os.environ.get("CRASH_JOBS", "2"))  # scenarios at a time (each its own topics)
RESTART = "vigil: restarting from checkpoint "  # the line of each restart in process

# ---- the input ----

def produce_input(b):
    """3,000 payments keyed by card, late ones among them; then, with kcat,
    malformed, oversized and enveloped messages. Returns how many messages."""
    with open(os.path.join(PAYMENTS, "data", "payments.jsonl")) as f:
        lines = f.read().splitlines()[:NEVENTS]
    events = []  # (key, value): the log's own malformed lines go in as they are
    for line in lines:
        try:
            events.append((json.loads(line)["card_id"].encode(), line.encode()))
        except (ValueError, KeyError):
            events.append((b"bad", line.encode()))
    first = json.loads(lines[0])
    for i in range(0, NEVENTS, 500):  # late: an hour before the log starts, a card of its own
        late = dict(first, payment_id=f"late{i}", ts="2024-05-01T03:30:00.000Z")
        events.insert(i + 400, (late["card_id"].encode(), json.dumps(late).encode()))
    p = KafkaProducer(bootstrap_servers=b.boot, api_version=API)
    for key, value in events:
        p.send("pay", key=key, value=value)
    p.flush()
    p.close()
    envelope = json.dumps({"topic": "pay", "partition": 0, "offset": 1, "ts": 0, "key": None,
                           "payload": dict(first, payment_id="env1")})
    odd = ["c0|{\"payment_id\": \"bad1\", \"amount\": ",
           "c1|{\"payment_id\":\"bad2\",\"amount\":\"lots\",\"ts\":0}",
           "c2|" + json.dumps({"payment_id": "big", "note": "x" * 5000}),
           "c3|" + envelope]
    r = subprocess.run(["kcat", "-b", b.boot, "-t", "pay", "-P", "-K|"],
                       input=("\n".join(odd) + "\n").encode(), capture_output=True, timeout=30)
    if r.returncode:
        raise RuntimeError("kcat: " + r.stderr.decode())
    return len(events) + len(odd)


# ---- a scenario's pipeline, runs and output ----

class Scenario:
    def __init__(self, ctx, name, interval="1ms", props="", fsync=False, wait=False):
        self.ctx, self.name, self.wait = ctx, name, wait
        self.dir = os.path.join(ctx.tmp, name)
        os.makedirs(os.path.join(self.dir, "out"))
        self.topics = {s: f"{name}.{s}" for s, n in SINKS.items() if n}
        for s, t in self.topics.items():
            ctx.broker.must(f"topic {t} {SINKS[s]}")
        with open(os.path.join(self.dir, "extra.sql"), "w") as f:
            f.write(EXTRA_SQL)
        sql = [os.path.join(PAYMENTS, f) for f in
               ("features.sql", "windows.sql", "decisions.sql", "patterns.sql")]
        boot = ctx.broker.boot
        # a pipeline name of its own: the producers' transactional ids (vigil-NAME-SINK) of two
        # scenarios running at once must differ, or one fences the other's transactions
        self.pipeline = "payments_" + re.sub(r"[^A-Za-z0-9]", "_", name)
        lines = [f"name: {self.pipeline}", "sql: [" + ", ".join(sql + ["extra.sql"]) + "]", "sources:",
                 f'  payments: {{kafka: {{topic: pay, bootstrap: "{boot}", group: {name}}}}}',
                 "sinks:"]
        for s, n in SINKS.items():
            if n:
                lines.append(f'  {s}: {{kafka: {{topic: {self.topics[s]}, bootstrap: "{boot}"'
                             f'{props}}}}}')
            else:
                lines.append(f"  {s}: {{file: out/{s}.jsonl}}")
        lines += ["limits: {max_event_bytes: 4096}",
                  f"state: {{store: state.db, checkpoint_interval: {interval}"
                  f"{', fsync_turns: true' if fsync else ''}}}"]
        with open(os.path.join(self.dir, "pipeline.yaml"), "w") as f:
            f.write("\n".join(lines) + "\n")
        self.log = os.path.join(self.dir, "run.err")

    def start(self, crash=None):
        env = dict(os.environ)
        env.pop("VIGIL_CRASH_POINT", None)
        if crash:
            env["VIGIL_CRASH_POINT"] = crash
        env.pop("VIGIL_CKPT_WAIT", None)
        if self.wait:  # each checkpoint waited for: the same points reached on every run
            env["VIGIL_CKPT_WAIT"] = "1"
        return subprocess.Popen([self.ctx.vigil, "run", self.dir, "--exit-at-end",
                                 "--batch-size", str(BATCH), "--quiet"],
                                env=env, stderr=open(self.log, "a"))

    def run(self, crash=None):
        p = self.start(crash)
        try:
            return p.wait(120)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
            return "timeout"

    def log_text(self):
        try:
            with open(self.log) as f:
                return f.read()
        except FileNotFoundError:  # not run yet
            return ""

    def restarts(self):
        """The restart lines vigil wrote (vigil: restarting from checkpoint ...)."""
        return [l for l in self.log_text().splitlines() if l.startswith(RESTART)]

    def file_lines(self, sink):
        try:
            with open(os.path.join(self.dir, "out", sink + ".jsonl"), "rb") as f:
                return f.read().count(b"\n")
        except FileNotFoundError:
            return 0

    def output(self):
        """{sink: [[(seq, key, value), ...] per partition] or file bytes}."""
        out = {}
        for s, n in SINKS.items():
            if not n:
                with open(os.path.join(self.dir, "out", s + ".jsonl"), "rb") as f:
                    out[s] = f.read()
        tps = [TopicPartition(t, p) for s, t in self.topics.items() for p in range(SINKS[s])]
        c = KafkaConsumer(bootstrap_servers=self.ctx.broker.boot, api_version=API,
                          group_id=None, enable_auto_commit=False)
        c.assign(tps)
        c.seek_to_beginning(*tps)
        ends = c.end_offsets(tps)
        got = {tp: [] for tp in tps}
        deadline = time.monotonic() + 60
        while any(c.position(tp) < ends[tp] for tp in tps) and time.monotonic() < deadline:
            for tp, recs in c.poll(timeout_ms=200).items():
                for m in recs:
                    seq = [v for k, v in m.headers if k == "vigil-seq"]
                    got[tp].append((int(seq[0]) if seq else None, m.key, m.value))
        c.close()
        for s, t in self.topics.items():
            out[s] = [got[TopicPartition(t, p)] for p in range(SINKS[s])]
        return out


def compare(name, got, ref):
    """Row for row per partition, vigil-seq 1..N once each, files byte for byte."""
    bad = []
    for sink, want in ref.items():
        have = got[sink]
        if isinstance(want, bytes):
            if have != want:
                bad.append(f"{sink}: file of {have.count(NL)} lines, want "
                           f"{want.count(NL)}")
            continue
        seqs = sorted(r[0] for part in have for r in part)
        n = sum(len(part) for part in want)
        if seqs != list(range(1, n + 1)):
            dup = len(seqs) - len(set(seqs))
            bad.append(f"{sink}: {len(seqs)} rows, {dup} duplicate vigil-seq, want 1..{n}")
        elif have != want:
            p = next(i for i in range(len(want)) if have[i] != want[i])
            bad.append(f"{sink}: partition {p} differs from the fault-free run")
    check(name + ": output equals the fault-free run", not bad, "; ".join(bad))


# ---- scenarios ----

class Ctx:
    pass


def crash_then_finish(ctx, name, crashes, interval="1ms", wait=True, props=""):
    """Run with each crash point in turn (each must die by SIGKILL), then to the end."""
    sc = Scenario(ctx, name, interval, props=props,
                  fsync=name.startswith("turn-logged"),  # (the log synced)
                  wait=wait)
    for cp in crashes:
        before = len(sc.restarts())
        rc = sc.run(cp)
        # a run that restarted itself (the mock misbehaved) re-ran turns from its checkpoint
        # without a checkpoint between them: the Nth pass of a point may then never come
        restarted = len(sc.restarts()) > before
        check(f"{name}: {cp} kills the run", rc == -signal.SIGKILL or (restarted and rc == 0),
              f"exit {rc}: {sc.log_text()[-500:]}")
    rc = sc.run()
    check(f"{name}: the restart finishes", rc == 0, f"exit {rc}: {sc.log_text()[-800:]}")
    compare(name, sc.output(), ctx.ref)
    note_restarts(ctx, sc)


def note_restarts(ctx, sc):
    """Keep the restart lines of a scenario's runs (listed at the end)."""
    lines = sc.restarts()
    if lines:
        ctx.restarts[sc.name] = lines


def external_kill(ctx, name, ready):
    """kill -9 from outside once ready(sc) says the run has written enough."""
    sc = Scenario(ctx, name)
    ctx.broker.must("rtt 1 5")  # slower acknowledgements: a run long enough to watch
    p = sc.start()
    try:
        wait_for(f"{name}: output to watch", lambda: p.poll() is not None or ready(sc), 60)
    finally:
        alive = p.poll() is None
        p.send_signal(signal.SIGKILL)
        rc = p.wait()
        ctx.broker.must("rtt 1 0")
    check(f"{name}: killed mid-run", alive and rc == -signal.SIGKILL, f"exit {rc}")
    rc = sc.run()
    check(f"{name}: the restart finishes", rc == 0, f"exit {rc}: {sc.log_text()[-800:]}")
    compare(name, sc.output(), ctx.ref)
    note_restarts(ctx, sc)


def decisions_written(sc, at_least):
    c = sc.__dict__.setdefault("_watch", KafkaConsumer(
        bootstrap_servers=sc.ctx.broker.boot, api_version=API, group_id=None))
    tps = [TopicPartition(sc.topics["decisions"], p) for p in range(SINKS["decisions"])]
    return sum(c.end_offsets(tps).values()) >= at_least


def broker_down_up(ctx, name):
    """The broker goes down once vigil has written output, and comes back once a
    checkpoint has failed for it (or vigil has restarted itself for it); then the run
    must finish on its own as if nothing happened. Which way vigil takes the outage
    depends on timing: a checkpoint whose flush times out fails and is retried in the
    run; a transaction the broker aborted meanwhile, or the input's end reached with the
    broker still down, makes vigil restart
    from its checkpoint in process (docs/kafka.md, "After a failure")."""
    sc = Scenario(ctx, name, props=", properties: {reconnect.backoff.max.ms: 200}")
    ctx.broker.must("rtt 1 5")
    p = sc.start()
    try:
        wait_for(f"{name}: output", lambda: p.poll() is not None or
                 sc.file_lines("feature_log") >= 600, 60)
        ctx.broker.must("rtt 1 0")
        ctx.broker.must("down 1")
        wait_for(f"{name}: a failed checkpoint or a restart", lambda: p.poll() is not None or
                 "checkpoint failed" in sc.log_text() or sc.restarts(), 60, 0.01)
    finally:
        ctx.broker.must("up 1")
        ctx.broker.must("rtt 1 0")
    try:
        rc = p.wait(180)
    except subprocess.TimeoutExpired:
        p.kill()
        rc = "timeout"
    log = sc.log_text()
    check(f"{name}: down while running: a checkpoint failed and was retried, or vigil "
          "restarted itself (its line says why)", "checkpoint failed" in log or sc.restarts(),
          log[-800:])
    check(f"{name}: finishes after up, without a restart from outside", rc == 0,
          f"exit {rc}: {log[-800:]}")
    compare(name, sc.output(), ctx.ref)
    note_restarts(ctx, sc)


def txn_fatal(ctx, name):
    """A transactional producer's fatal error mid-run: once vigil has written output,
    the next EndTxn request is answered INVALID_TXN_STATE (mock fault injection), which
    librdkafka makes a fatal error of. vigil must restart itself from its checkpoint
    once, in process (one restart line, naming that error), and finish on its own (exit
    0) with the fault-free run's output, row for row. A further restart is allowed only
    for each INVALID_PRODUCER_ID_MAPPING the mock answered (see the top of this file)."""
    sc = Scenario(ctx, name)
    ctx.broker.must("rtt 1 5")  # slower acknowledgements: a run long enough to watch
    p = sc.start()
    try:
        wait_for(f"{name}: output", lambda: p.poll() is not None or
                 sc.file_lines("feature_log") >= 600, 60)
        ctx.broker.must("errors EndTxn 1 INVALID_TXN_STATE")
        ctx.broker.must("rtt 1 0")
        wait_for(f"{name}: the restart", lambda: p.poll() is not None or sc.restarts(), 60)
    finally:
        ctx.broker.must("rtt 1 0")
    try:
        rc = p.wait(120)
    except subprocess.TimeoutExpired:
        p.kill()
        rc = "timeout"
    lines = sc.restarts()
    # more restarts only for the mock's producer-id mix-up, one at most for each it answered
    mixups = sc.log_text().count("(INVALID_PRODUCER_ID_MAPPING")
    check(f"{name}: one restart, after the injected error", 1 <= len(lines) <= 1 + mixups and
          "(attempt 1 of 5) after: " in lines[0] and "Failed to end transaction: Broker: "
          "Producer attempted a transactional operation in an invalid state" in lines[0],
          sc.log_text()[-800:])
    note_restarts(ctx, sc)
    check(f"{name}: finishes on its own", rc == 0, f"exit {rc}: {sc.log_text()[-800:]}")
    compare(name, sc.output(), ctx.ref)


def request_errors(ctx, name):
    """Produce and Fetch requests fail now and then (mock fault injection). The sinks are
    not transactional, so that these errors are all the run meets on its way to the crash
    point; broker_down_up and txn-fatal cover a transaction that fails."""
    ctx.broker.must("errors Produce 6 NOT_LEADER_FOR_PARTITION")
    ctx.broker.must("errors Fetch 2 NOT_LEADER_FOR_PARTITION")
    try:
        crash_then_finish(ctx, name, ["sink-handed:5"], props=NOTXN)
    finally:
        ctx.broker.must("clear Produce")
        ctx.broker.must("clear Fetch")


def checkpoints_cmd(ctx, name):
    """`vigil checkpoints list` and `drop` on a finished scenario's store."""
    sc = Scenario(ctx, name, "1h")
    check(f"{name}: run", sc.run() == 0, sc.log_text()[-500:])
    r = subprocess.run([ctx.vigil, "checkpoints", "list", sc.dir], capture_output=True,
                       timeout=30)
    out = r.stdout.decode()
    check(f"{name}: list", r.returncode == 0 and out.startswith("checkpoint 2  epoch 2  ")
          and "payments[0]=" in out and f"2 checkpoints of pipeline '{sc.pipeline}'" in out, out)
    r = subprocess.run([ctx.vigil, "checkpoints", "drop", sc.dir], capture_output=True,
                       timeout=30)
    check(f"{name}: drop", r.returncode == 0 and r.stdout.decode().startswith(
        f"dropped 2 checkpoints and 0 logged turns of pipeline '{sc.pipeline}'"),
        r.stdout.decode())


def scenarios(seed):
    rnd = random.Random(seed)
    out = []
    for point, reach in POINTS.items():
        k = 2 if point in ASYNC_POINTS and point not in ("ckpt-mid", "ckpt-committed") else 3
        for n in sorted(rnd.sample(range(1, reach + 1), k)):
            interval = "1ms" if point.startswith("ckpt") else rnd.choice(["20ms", "1h"])
            out.append((f"{point}-{n}", [f"{point}:{n}"], interval, True))
    for point, reach in ASYNC_POINTS.items():  # in flight while turns go on
        n = rnd.randint(1, reach)
        out.append((f"async-{point}-{n}", [f"{point}:{n}"], "1ms", False))
    for k in range(3):  # a crash, then another during the recovery, with a long turn log
        first, again = rnd.randint(6, 14), rnd.randint(1, 5)
        out.append((f"recover-turn-{again}-after-{first}",
                    [f"sink-handed:{first}", f"recover-turn:{again}"], "1h", True))
    for point, reach in NOTXN_POINTS.items():  # the cut's rows delivered after it
        n = rnd.randint(1, reach)
        out.append((f"notxn-{point}-{n}", [f"{point}:{n}"], "1ms", True, NOTXN))
    for point in ("ckpt-delivering", "ckpt-released"):  # ... while turns go on
        out.append((f"notxn-async-{point}-1", [f"{point}:1"], "1ms", False, NOTXN))
    return out


SOAK_PER_BROKER = 40


def soak_one(ctx, name, crashes, interval, wait, props=""):
    try:
        sc = Scenario(ctx, name, interval, props=props, wait=wait)
        for cp in crashes:
            sc.run(cp)  # a point not reached lets the run finish: fine in a soak
        rc = sc.run()
        check(f"{name} {crashes} {interval}: finishes", rc == 0, sc.log_text()[-800:])
        compare(f"{name} {crashes} {interval}", sc.output(), ctx.ref)
        note_restarts(ctx, sc)
        shutil.rmtree(sc.dir)
    except Exception as e:
        check(name, False, f"{type(e).__name__}: {e}")


def soak(rnd, i):
    """A random scenario: one to three crashes at random points."""
    crashes = []
    for _ in range(rnd.randint(1, 3)):
        point = rnd.choice(list(POINTS) + ["recover-turn"])
        if point == "recover-turn" and not crashes:
            point = "sink-handed"
        reach = POINTS.get(point, 3)
        crashes.append(f"{point}:{rnd.randint(1, reach)}")
    interval = rnd.choice(["1ms", "5ms", "20ms", "1h"])
    notxn = rnd.random() < 0.3  # sinks not transactional: the cut's rows delivered after it
    if notxn:
        crashes[-1] = f"{rnd.choice(list(NOTXN_POINTS))}:{rnd.randint(1, 3)}"
    if interval == "1h":  # few checkpoints: only their first passes are reached
        crashes = [c for c in crashes if not c.startswith("ckpt")] or ["turn-logged:3"]
    return f"soak{i}", crashes, interval, rnd.random() < 0.5, NOTXN if notxn else ""


def fresh_broker(ctx):
    """Stop the broker and start a new one with the same input."""
    rc = ctx.broker.stop()
    check("broker: clean stop", rc == 0, f"exit {rc}")
    ctx.broker = Broker(ctx.vigil, ctx.tmp, ["pay:3"])
    produce_input(ctx.broker)


def main():
    args = sys.argv[1:]
    vigil = os.path.abspath(args[0])
    nsoak = int(args[args.index("--soak") + 1]) if "--soak" in args else 0
    seed = int(args[args.index("--seed") + 1]) if "--seed" in args else 7
    ctx = Ctx()
    ctx.vigil = vigil
    ctx.restarts = {}  # scenario -> the restart lines of its runs
    ctx.tmp = tempfile.mkdtemp(prefix="vigil-crash-")
    ctx.broker = Broker(vigil, ctx.tmp, ["pay:3"])
    t0 = time.monotonic()
    try:
        nin = produce_input(ctx.broker)
        ref = Scenario(ctx, "ref")
        rc = ref.run()
        check("reference run", rc == 0, ref.log_text())
        ctx.ref = ref.output()
        dead = sum(len(p) for p in ctx.ref["dead_letter"])
        check("reference: malformed, oversized and late rows dead-lettered", dead >= 3 + 6,
              f"{dead} dead letters")
        check("reference: every row numbered once",
              all(sorted(r[0] for p in ctx.ref[s] for r in p) ==
                  list(range(1, sum(len(p) for p in ctx.ref[s]) + 1))
                  for s, n in SINKS.items() if n))
        check("reference: keyed rows on their key's partition",
              all(r[1] is not None for p in ctx.ref["card_totals"] for r in p) and
              len({r[1] for p in ctx.ref["card_totals"] for r in p}) > 100)
        print(f"reference: {nin} messages in, {sum(len(p) for p in ctx.ref['features'])} "
              f"feature rows out", flush=True)
        if nsoak:
            rnd = random.Random(seed)
            todo = [soak(rnd, i) for i in range(nsoak)]
            for first in range(0, nsoak, SOAK_PER_BROKER):
                if first:  # the broker keeps every topic in memory
                    fresh_broker(ctx)
                with ThreadPoolExecutor(JOBS) as pool:
                    for f in [pool.submit(soak_one, ctx, *t)
                              for t in todo[first:first + SOAK_PER_BROKER]]:
                        f.result()
        else:
            # the crash points, JOBS at a time; then, one by one, what changes the broker
            def one(n, c, i, w, props=""):
                try:
                    crash_then_finish(ctx, n, c, i, w, props)
                except Exception as e:  # a scenario that cannot finish is one failure
                    check(n, False, f"{type(e).__name__}: {e}")
            with ThreadPoolExecutor(JOBS) as pool:
                for f in [pool.submit(one, *t) for t in scenarios(seed)]:
                    f.result()
            fresh_broker(ctx)  # few producer ids: none drawn twice (txn-fatal counts restarts)
            tests = [("kill-on-file", lambda: external_kill(
                          ctx, "kill-on-file", lambda sc: sc.file_lines("feature_log") >= 1000)),
                      ("kill-on-topic", lambda: external_kill(
                          ctx, "kill-on-topic", lambda sc: decisions_written(sc, 900))),
                      ("broker-down-up", lambda: broker_down_up(ctx, "broker-down-up")),
                      ("txn-fatal", lambda: txn_fatal(ctx, "txn-fatal")),
                      ("request-errors", lambda: request_errors(ctx, "request-errors")),
                      ("checkpoints-cmd", lambda: checkpoints_cmd(ctx, "checkpoints-cmd"))]
            for name, fn in tests:
                try:
                    fn()
                except Exception as e:  # a scenario that cannot finish is one failure
                    check(name, False, f"{type(e).__name__}: {e}")
    finally:
        rc = ctx.broker.stop()
        check("broker: clean stop", rc == 0, f"exit {rc}")
        shutil.rmtree(ctx.tmp, ignore_errors=True)
    for name, lines in sorted(ctx.restarts.items()):
        for line in lines:
            print(f"restarted in process: {name}: {line}", flush=True)
    print(f"crash test: {time.monotonic() - t0:.1f} s", flush=True)
    return finish()


if __name__ == "__main__":
    sys.exit(main())
