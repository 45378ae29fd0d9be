"""tests/control/control_test.py — the control plane of `vigil run`, end to end.

    /usr/bin/python3 tests/control/control_test.py build/vigil

One `vigil dev-broker` in a process of its own (tests/fault/crash_test.py's
Broker). Events are produced (python3-kafka) to a one-partition topic in
steps of 10, and after each step the test waits until the pipeline's file
sink holds a row for each, so that every step is known to run with the plan
and the versions active then. Two pipelines, each with a store:

  live    served by one `vigil run --no-watch` with its admin API and a
          control topic (replies to a file): /health, /plan, /query on
          live state (at once, on an idle pipeline), /metrics (the run's
          own figures: events, sink rows and deliveries, checkpoints,
          epoch), /checkpoints; POST /reload as a dry run, then applied
          (its JSON answer and the state plan on standard error, exactly);
          a file that does not compile (400 with file, line and column,
          nothing changes); a reload from the control topic; POST /models
          and POST /rules (a new model file, new rules as rows; a bad
          condition refused with its place); the control topic back to the
          first versions; a malformed command answered, never fatal.
  edits   `vigil run` watching its files: an edit that does not compile
          (reported, nothing changes), an edit that reloads — killed by
          VIGIL_CRASH_POINT=reload-swapped right after the swap, before the
          new plan's checkpoint — restarted (recovered in the checkpoint's
          plan from the SQL stored with it, then reloaded: the state plan on
          standard error), stopped, edited while stopped, started again.
  replay  `vigil replay --admin --hold` takes POST /rules and POST /models too.

Every output is checked row for row: the rows of each step are exactly
those `vigil replay` of the SQL active in that step gives for its events
over all the events so far (features kept or rebuilt from the rows held
are what that SQL computes from the start); each score and decision is the
one of the model and ruleset versions active in its step; an independent
consumer reads the Kafka sink from the beginning: vigil-seq 1..N, each row
once. No sleep synchronises anything: each wait polls for what it waits for,
with a deadline. Last line: N passed, N failed.
"""
import http.client
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
from broker import Broker, wait_for  # noqa: E402  (the dev broker, the deadline polls)
from kafka import KafkaConsumer, KafkaProducer, TopicPartition  # noqa: E402
from tally import check, finish, same  # noqa: E402

API = (2, 5, 0)
VIGIL = os.path.abspath(sys.argv[1])
STEP = 10




# ---- the SQL, in versions ----

STREAM = """CREATE STREAM payments (payment_id STRING, card_id STRING, amount DOUBLE, ts TIMESTAMP(3),
                        WATERMARK FOR ts AS ts - INTERVAL '5' SECOND);
"""
FEATURES = {
    1: "COUNT(*) OVER last_hour AS n_1h, SUM(amount) OVER last_hour AS total_1h",
    2: "COUNT(*) OVER last_hour AS n_1h, SUM(amount) OVER last_hour AS total_1h,"
       " MAX(amount) OVER last_hour AS max_1h",
    3: "COUNT(*) OVER last_hour AS n_1h, SUM(amount) OVER last_hour AS total_1h,"
       " MAX(amount) OVER last_hour AS max_1h, COUNT(*) OVER last_10m AS n_10m",
}
WINDOWS = """WINDOW last_hour AS (PARTITION BY card_id ORDER BY ts
                     RANGE BETWEEN INTERVAL '1' HOUR PRECEDING AND CURRENT ROW),
       last_10m AS (PARTITION BY card_id ORDER BY ts
                    RANGE BETWEEN INTERVAL '10' MINUTE PRECEDING AND CURRENT ROW)"""
DECISIONS = """CREATE MODEL risk INPUT (amount DOUBLE) OUTPUT (score DOUBLE)
  WITH ('type' = 'linear', 'path' = 'risk_v1.json', 'version_column' = 'risk_version');
CREATE RULESET rules WITH ('file' = 'rules.yaml');
CREATE VIEW scored AS SELECT * FROM ML_PREDICT(TABLE card_features, MODEL risk, DESCRIPTOR(amount));
INSERT INTO decisions SELECT payment_id, amount, score, risk_version, decision, rule_id,
  rules_version FROM APPLY_RULES(TABLE scored, RULESET rules);
"""


def sql(version, decisions):
    """The pipeline's SQL of a version (with the decision sink or not)."""
    window = WINDOWS if version == 3 else WINDOWS.split("),\n")[0] + ")"
    return (STREAM + f"""CREATE VIEW card_features AS
SELECT payment_id, card_id, amount, ts, {FEATURES[version]}
FROM payments
{window};
INSERT INTO features SELECT * FROM card_features;
INSERT INTO features_k SELECT * FROM card_features;
CREATE VIEW card_totals AS SELECT card_id, COUNT(*) AS n, SUM(amount) AS total
FROM payments GROUP BY card_id;
""" + (DECISIONS if decisions else ""))


def event(i):
    return {"payment_id": f"p{i}", "card_id": f"c{i % 3}", "amount": i + 0.5,
            "ts": f"2024-05-01T{12 + i // 60:02d}:{i % 60:02d}:00Z"}


# ---- HTTP, files, topics ----

def request(url, method, path, body=None):
    host, port = url[len("http://"):].rsplit(":", 1)
    c = http.client.HTTPConnection(host, int(port), timeout=30)
    c.request(method, path, body=body)
    r = c.getresponse()
    out = (r.status, r.read().decode())
    c.close()
    return out


def lines(path):
    try:
        with open(path) as f:
            return f.read().splitlines()
    except FileNotFoundError:
        return []


def topic_rows(boot, topic):
    """(vigil-seq, value) of every message of topic's partition 0, from the beginning."""
    tp = TopicPartition(topic, 0)
    c = KafkaConsumer(bootstrap_servers=boot, api_version=API, group_id=None,
                      enable_auto_commit=False)
    c.assign([tp])
    c.seek_to_beginning(tp)
    end = c.end_offsets([tp])[tp]
    rows, deadline = [], time.monotonic() + 30
    while c.position(tp) < end and time.monotonic() < deadline:
        for recs in c.poll(timeout_ms=200).values():
            for m in recs:
                seq = [v for k, v in m.headers if k == "vigil-seq"]
                rows.append((int(seq[0]) if seq else None, m.value.decode()))
    c.close()
    return rows


class Pipeline:
    """A pipeline folder run by `vigil run`: SQL in features.sql, a store, sinks."""

    def __init__(self, tmp, name, boot, decisions, control=False):
        self.dir, self.name, self.boot = os.path.join(tmp, name), name, boot
        self.decisions = decisions
        os.makedirs(self.dir)
        self.topic, self.ktopic, self.ctl = f"{name}.pay", f"{name}.features", f"{name}.ctl"
        self.write_sql(1)
        if decisions:
            for v, (coef, icpt) in {1: (1.0, 0.0), 2: (2.0, 100.0)}.items():
                self.write(f"risk_v{v}.json",
                           json.dumps({"coefficients": [coef], "intercept": icpt}))
            self.write("rules.yaml", "ruleset: rules\ndefault: allow\nrules:\n"
                       "  - rule_id: big\n    priority: 10\n    condition: amount > 30\n"
                       "    action: block\n")
        y = [f"name: {name}", "sql: [features.sql]", "sources:",
             f'  payments: {{kafka: {{topic: {self.topic}, bootstrap: "{boot}"}}}}', "sinks:",
             "  features: {file: out/features.jsonl}",
             f'  features_k: {{kafka: {{topic: {self.ktopic}, bootstrap: "{boot}"}}}}',
             "state: {store: state.db, checkpoint_interval: 50ms}"]
        if decisions:
            y.insert(6, "  decisions: {file: out/decisions.jsonl}")
        if control:
            y += ["control:", f'  kafka: {{topic: {self.ctl}, bootstrap: "{boot}"}}',
                  "  reply: {file: out/replies.jsonl}"]
        self.write("pipeline.yaml", "\n".join(y) + "\n")
        self.err = os.path.join(self.dir, "run.err")
        self.events = []
        self.p = None

    def write(self, name, text):
        path = os.path.join(self.dir, name)
        with open(path + ".tmp", "w") as f:  # whole or not at all, as an editor saves
            f.write(text)
        os.rename(path + ".tmp", path)

    def write_sql(self, version, extra=""):
        self.write("features.sql", sql(version, self.decisions) + extra)

    def path(self, name):
        return os.path.join(self.dir, name)

    def start(self, *args, crash=None):
        env = dict(os.environ)
        env.pop("VIGIL_CRASH_POINT", None)
        if crash:
            env["VIGIL_CRASH_POINT"] = crash
        ready = self.path("admin.ready")
        if os.path.exists(ready):
            os.remove(ready)
        self.p = subprocess.Popen([VIGIL, "run", self.dir, "--admin", "127.0.0.1:0",
                                   "--admin-ready", ready, *args],
                                  env=env, stdout=subprocess.DEVNULL, stderr=open(self.err, "a"))
        self.url = wait_for("the admin API", lambda: self._ready(ready), 30)
        return self.p

    def _ready(self, ready):
        if self.p.poll() is not None:
            raise RuntimeError(f"vigil run exited with {self.p.returncode}: {self.log()[-800:]}")
        return open(ready).read().strip() if os.path.exists(ready) else None

    def stop(self):
        self.p.send_signal(signal.SIGTERM)
        return self.p.wait(60)

    def log(self):
        with open(self.err) as f:
            return f.read()

    def produce(self, producer, n=STEP):
        """n more events; wait until the file sink has a row for each."""
        first = len(self.events)
        for i in range(first, first + n):
            self.events.append(event(i))
            producer.send(self.topic, json.dumps(event(i)).encode(), partition=0)
        producer.flush()
        want = len(self.events)
        wait_for(f"{self.name}: {want} feature rows",
                 lambda: self._alive() and len(lines(self.path("out/features.jsonl"))) >= want, 30)

    def _alive(self):
        if self.p.poll() is not None:
            raise RuntimeError(f"vigil run exited with {self.p.returncode}: {self.log()[-800:]}")
        return True

    def wait_log(self, text, since=0):
        wait_for(f"{self.name}: '{text}' on standard error",
                 lambda: text in self.log()[since:], 30)

    def metric(self, prefix):
        """The samples of /metrics whose names start with prefix."""
        s, body = request(self.url, "GET", "/metrics")
        return [ln for ln in body.splitlines() if ln.startswith(prefix)]


# ---- references ----

def replay(p, version, n, tmp):
    """Lines of the features sink by `vigil replay` of SQL version over events 0..n."""
    d = tempfile.mkdtemp(dir=tmp)
    with open(os.path.join(d, "in.jsonl"), "w") as f:
        f.writelines(json.dumps(e) + "\n" for e in p.events[:n])
    src = os.path.join(p.dir, f"ref_v{version}.sql")
    with open(src, "w") as f:
        f.write(sql(version, p.decisions))
    outs = ["features", "features_k"] + (["decisions"] if p.decisions else [])
    cmd = [VIGIL, "replay", src, "--quiet", "--no-progress",
           "--input", "payments=" + os.path.join(d, "in.jsonl")]
    for s in outs:
        cmd += ["--output", f"{s}={os.path.join(d, s)}.jsonl"]
    r = subprocess.run(cmd, capture_output=True, timeout=60, cwd=p.dir)
    if r.returncode:
        raise RuntimeError("replay: " + r.stderr.decode())
    return lines(os.path.join(d, "features.jsonl"))


def expected(p, steps, tmp):
    """The features rows of steps [(version, events up to), ...]: each step's
    rows from the replay of its version over every event up to its end."""
    rows, start = [], 0
    for version, end in steps:
        rows += replay(p, version, end, tmp)[start:end]
        start = end
    return rows


def check_output(name, p, steps, tmp):
    want = expected(p, steps, tmp)
    same(f"{name}: the file sink, row for row", lines(p.path("out/features.jsonl")), want)
    got = topic_rows(p.boot, p.ktopic)
    check(f"{name}: the Kafka sink: vigil-seq 1..{len(want)}, once each",
          [s for s, _ in got] == list(range(1, len(want) + 1)), str([s for s, _ in got]))
    same(f"{name}: the Kafka sink, row for row", [v + "\n" for _, v in got],
         [w + "\n" for w in want])


# ---- the live pipeline: admin API, POST /reload, the control topic, activations ----

def plan_lines(log, why, since):
    """The reload lines of the log from since on that start with the reload of why."""
    text = log[since:]
    at = text.index(f"vigil: reload {why}")
    out = []
    for ln in text[at:].splitlines():
        if not ln.startswith("vigil: reload"):
            break
        out.append(ln)
    return out


def live(b, tmp, producer):
    p = Pipeline(tmp, "live", b.boot, decisions=True, control=True)
    for t in (p.topic, p.ktopic, p.ctl):
        b.must(f"topic {t} 1")
    ctl = KafkaProducer(bootstrap_servers=b.boot, api_version=API)

    def command(obj):
        n = len(lines(p.path("out/replies.jsonl")))
        ctl.send(p.ctl, (obj if isinstance(obj, str) else json.dumps(obj)).encode(), partition=0)
        ctl.flush()
        wait_for("a control reply", lambda: len(lines(p.path("out/replies.jsonl"))) > n, 30)
        return json.loads(lines(p.path("out/replies.jsonl"))[n])

    p.start("--no-watch")
    p.wait_log("control topic 'live.ctl': commands from now on")
    p.produce(producer)  # step 1: events 0..9, v1

    # -- the admin API of vigil run --
    s, body = request(p.url, "GET", "/health")
    check("health", s == 200 and json.loads(body)["state"] == "running", body)
    s, body = request(p.url, "GET", "/plan?format=json")
    check("plan", s == 200 and any(n["view"] == "card_features" and n["kind"] == "over"
                                   for n in json.loads(body)["nodes"]), body[:300])
    took = []
    for _ in range(5):
        t0 = time.monotonic()
        s, body = request(p.url, "POST", "/query", "SELECT card_id, n, total FROM card_totals "
                                                   "ORDER BY card_id")
        took.append(time.monotonic() - t0)
    same("query: live state", (s, json.loads(body)["rows"]),
         (200, [["c0", 4, 0.5 + 3.5 + 6.5 + 9.5], ["c1", 3, 1.5 + 4.5 + 7.5],
                ["c2", 3, 2.5 + 5.5 + 8.5]]))
    # the idle loop sleeps up to 100 ms: five answers in under 50 ms each are woken ones
    check("query: answered at once on an idle pipeline (woken, not at its next poll)",
          max(took) < 0.05, " ".join(f"{t * 1000:.1f} ms" for t in took))
    same("metrics: events", p.metric("vigil_source_events_total"),
         ['vigil_source_events_total{source="payments"} 10'])
    same("metrics: rows per sink", p.metric("vigil_sink_rows_total"),
         ['vigil_sink_rows_total{sink="features"} 10',
          'vigil_sink_rows_total{sink="features_k"} 10',
          'vigil_sink_rows_total{sink="decisions"} 10',
          'vigil_sink_rows_total{sink="dead_letter"} 0'])
    wait_for("features_k delivered", lambda: p.metric("vigil_sink_delivered_total") ==
             ['vigil_sink_delivered_total{sink="features_k"} 10'], 30)
    # a checkpoint counts once its background write has committed (and its rows are
    # delivered): wait for the second, and for one cut after the tenth event
    wait_for("two checkpoints written",
             lambda: int(p.metric("vigil_checkpoints_total")[0].split()[1]) >= 2, 30)

    def newest_offset():
        ck = json.loads(request(p.url, "GET", "/checkpoints")[1])["checkpoints"]
        return ck[0]["offsets"][0]["next_offset"] if ck and ck[0]["offsets"] else None
    wait_for("a checkpoint after the tenth event", lambda: newest_offset() == 10, 30)
    check("metrics: checkpoints written",
          int(p.metric("vigil_checkpoints_total")[0].split()[1]) >= 2, p.metric("vigil_checkpoints"))
    epoch = int(p.metric("vigil_checkpoint_epoch")[0].split()[1])
    s, body = request(p.url, "GET", "/checkpoints")
    cks = json.loads(body)
    check("checkpoints: the store's, newest first, with offsets and versions",
          s == 200 and cks["pipeline"] == "live" and cks["checkpoints"][0]["epoch"] >= epoch and
          cks["checkpoints"][0]["offsets"] == [{"source": "payments", "topic": p.topic,
                                                "partition": 0, "next_offset": 10}] and
          {"kind": "model", "name": "risk", "version": 1} in cks["checkpoints"][0]["versions"],
          body[:400])

    # -- POST /reload: a dry run, then applied (step 2: events 10..19, v2) --
    p.write_sql(2)
    s, body = request(p.url, "POST", "/reload", '{"dry_run": true}')
    check("reload: dry run", s == 200 and json.loads(body)["status"] == "dry_run", body[:200])
    since = len(p.log())
    s, body = request(p.url, "POST", "/reload")
    ans = json.loads(body)
    same("reload: applied", (s, ans["status"], ans["kept"], ans["rebuilt"], ans["empty"],
                             ans["dropped"]), (200, "applied", 2, 1, 0, 0))
    same("reload: the state plan on standard error", plan_lines(p.log(), "on POST", since), [
        f"vigil: reload on POST /reload ({p.dir}): 2 kept, 1 rebuilt, 0 empty, 0 dropped",
        "vigil: reload: kept     source payments",
        "vigil: reload: rebuilt  over card_features: computes max_1h from the rows held",
        "vigil: reload: kept     group card_totals",
        "vigil: reload: kept     sink features",
        "vigil: reload: kept     sink features_k",
        "vigil: reload: kept     sink decisions"])
    p.produce(producer)

    # -- SQL that does not compile: 400 where it is wrong, nothing changes (step 3, v2) --
    p.write_sql(2, "CREATE VIEW broken AS SELECT FROM payments;\n")
    s, body = request(p.url, "POST", "/reload")
    err = json.loads(body)
    nlines = sql(2, True).count("\n") + 1
    same("reload: SQL that does not compile", (s, err["status"], err["file"], err["line"],
                                               err["column"]),
         (400, "failed", p.path("features.sql"), nlines, 30))
    p.produce(producer)
    same("metrics: reloads", p.metric("vigil_reload"),
         ["vigil_reloads_total 1", "vigil_reload_failures_total 1"])

    # -- a reload from the control topic (step 4: events 30..39, v3) --
    p.write_sql(3)
    rep = command({"op": "reload", "id": "r3"})
    check("control: reload applied", rep["id"] == "r3" and rep["status"] == 200 and
          rep["answer"]["status"] == "applied" and rep["answer"]["rebuilt"] == 1, rep)
    p.wait_log("vigil: reload from the control topic")
    p.produce(producer)

    # -- activations by POST: a new model file, new rules as rows (step 5) --
    s, body = request(p.url, "POST", "/rules", json.dumps(
        {"ruleset": "rules", "rules": [{"rule_id": "odd", "condition": "amount >", "action": "x"}]}))
    err = json.loads(body)
    same("rules: a bad condition, placed inside it", (s, err["error"], err["line"], err["column"]),
         (400, "rule 'odd': syntax error at end of input: expected an expression", 1, 9))
    s, body = request(p.url, "POST", "/models", json.dumps(
        {"model": "risk", "path": p.path("risk_v2.json")}))
    same("models: a new file activated", (s, json.loads(body)),
         (200, {"model": "risk", "version": 2, "previous": 1}))
    s, body = request(p.url, "POST", "/rules", json.dumps(
        {"ruleset": "rules", "by": "ana", "rules": [
            {"rule_id": "huge", "priority": 20, "condition": "score > 150", "action": "review"}]}))
    same("rules: rows stored and activated", (s, json.loads(body)),
         (200, {"ruleset": "rules", "version": 2, "previous": 1, "rules": 1}))
    p.produce(producer)

    # -- the control topic back to the first versions (step 6) --
    rep = command({"op": "activate_model", "model": "risk", "version": 1, "id": 1})
    same("control: model version 1", (rep["status"], rep["answer"]),
         (200, {"model": "risk", "version": 1, "previous": 2}))
    rep = command({"op": "rules", "ruleset": "rules", "version": 1, "id": 2})
    same("control: ruleset version 1", (rep["status"], rep["answer"]),
         (200, {"ruleset": "rules", "version": 1, "previous": 2, "rules": 1}))
    rep = command("activate everything")
    check("control: a malformed command is answered", rep["status"] == 400 and not rep["ok"], rep)
    rep = command({"op": "rules", "ruleset": "nope", "version": 1})
    same("control: an unknown ruleset", (rep["status"], rep["answer"]),
         (404, {"error": "the running plan applies no ruleset 'nope'"}))
    p.produce(producer)
    same("metrics: control commands", p.metric("vigil_control"),
         ["vigil_control_commands_total 5", "vigil_control_errors_total 2"])
    rc = p.stop()
    check("live: a clean stop", rc == 0, p.log()[-800:])
    check_output("live", p, [(1, 10), (2, 30), (3, 60)], tmp)

    # -- every decision by the versions active in its step --
    versions = [(1, 1)] * 40 + [(2, 2)] * 10 + [(1, 1)] * 10
    bad = []
    for i, ln in enumerate(lines(p.path("out/decisions.jsonl"))):
        d, (mv, rv) = json.loads(ln), versions[i]
        score = d["amount"] * (1.0 if mv == 1 else 2.0) + (0.0 if mv == 1 else 100.0)
        decision = ("block" if d["amount"] > 30 else "allow") if rv == 1 else \
            ("review" if score > 150 else "allow")
        if (d["payment_id"], d["risk_version"], d["rules_version"], d["score"],
                d["decision"]) != (f"p{i}", mv, rv, score, decision):
            bad.append(ln)
    check("decisions: each by the versions of its step (60 rows)",
          not bad and len(versions) == 60, "\n".join(bad[:5]))


# ---- the watching pipeline: edits, a crash right after a swap, restarts ----

def edits(b, tmp, producer):
    p = Pipeline(tmp, "edits", b.boot, decisions=False)
    for t in (p.topic, p.ktopic):
        b.must(f"topic {t} 1")
    p.start(crash="reload-swapped")
    p.produce(producer)  # events 0..9, v1
    since = len(p.log())
    p.write_sql(1, "CREATE VIEW oops AS SELECT nope FROM payments;\n")
    p.wait_log("vigil: reload on a file edit", since)
    wait_for("the error", lambda: "error:" in p.log()[since:], 30)
    nlines = sql(1, False).count("\n") + 1
    check("edit: SQL that does not compile is reported where it is wrong",
          f"{p.path('features.sql')}:{nlines}:28: error: unknown column 'nope'" in p.log()[since:],
          p.log()[since:])
    same("edit: counted", p.metric("vigil_reload_failures_total"),
         ["vigil_reload_failures_total 1"])
    p.produce(producer)  # events 10..19, still v1

    # the edit that reloads; the run dies right after the swap
    p.write_sql(2)
    try:
        rc = p.p.wait(30)
    except subprocess.TimeoutExpired:
        rc = "alive"
    check("crash: killed right after the swap", rc == -signal.SIGKILL, f"exit {rc}")
    since = len(p.log())
    p.start()
    p.wait_log("vigil: reload at the start", since)
    log = p.log()[since:]
    check("restart: recovered in the checkpoint's plan (its stored SQL)",
          "was written by plan" in log and "recovering in the checkpoint's plan" in log, log)
    same("restart: then reloaded, the state plan on standard error",
         plan_lines(p.log(), "at the start", since), [
             f"vigil: reload at the start ({p.dir}): 2 kept, 1 rebuilt, 0 empty, 0 dropped",
             "vigil: reload: kept     source payments",
             "vigil: reload: rebuilt  over card_features: computes max_1h from the rows held",
             "vigil: reload: kept     group card_totals",
             "vigil: reload: kept     sink features",
             "vigil: reload: kept     sink features_k"])
    p.produce(producer)  # events 20..29, v2
    check("edits: stopped", p.stop() == 0, p.log()[-500:])

    # stop, edit, start: the state goes on
    p.write_sql(3)
    since = len(p.log())
    p.start()
    p.wait_log("vigil: reload at the start", since)
    p.produce(producer)  # events 30..39, v3
    s, body = request(p.url, "POST", "/query", "SELECT n FROM card_totals WHERE card_id = 'c0'")
    same("restart: state kept across the restarts", (s, json.loads(body)["rows"]), (200, [[14]]))
    check("edits: stopped again", p.stop() == 0, p.log()[-500:])
    check_output("edits", p, [(1, 20), (2, 30), (3, 40)], tmp)


# ---- vigil replay --admin takes the same activations ----

def held_replay(b, tmp, producer):
    p = Pipeline(tmp, "held", b.boot, decisions=True)
    src = p.path("features.sql")
    with open(p.path("in.jsonl"), "w") as f:
        f.writelines(json.dumps(event(i)) + "\n" for i in range(STEP))
    ready = p.path("replay.ready")
    cmd = [VIGIL, "replay", src, "--quiet", "--no-progress", "--input",
           "payments=" + p.path("in.jsonl"), "--admin", "127.0.0.1:0", "--admin-ready", ready,
           "--hold"]
    for s in ("features", "features_k", "decisions"):
        cmd += ["--output", f"{s}={p.path(s)}.jsonl"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=open(p.err, "w"))
    url = wait_for("the held replay", lambda: proc.poll() is None and os.path.exists(ready) and
                   open(ready).read().strip(), 30)
    s, body = request(url, "POST", "/rules", json.dumps(
        {"ruleset": "rules", "rules": [{"rule_id": "all", "condition": "TRUE", "action": "hold"}]}))
    same("replay: POST /rules", (s, json.loads(body)),
         (200, {"ruleset": "rules", "version": 2, "previous": 1, "rules": 1}))
    s, body = request(url, "POST", "/models", json.dumps(
        {"model": "risk", "path": p.path("risk_v2.json")}))
    same("replay: POST /models", (s, json.loads(body)),
         (200, {"model": "risk", "version": 2, "previous": 1}))
    s, body = request(url, "GET", "/rules")
    rs = json.loads(body)["rulesets"][0]
    check("replay: GET /rules shows the version activated",
          rs["version"] == 2 and [r["rule_id"] for r in rs["rules"]] == ["all"], body)
    proc.send_signal(signal.SIGTERM)
    check("replay: a clean stop", proc.wait(30) == 0, p.log()[-500:])


def main():
    tmp = tempfile.mkdtemp(prefix="vigil-control-")
    t0 = time.monotonic()
    b = Broker(VIGIL, tmp, [])
    producer = KafkaProducer(bootstrap_servers=b.boot, api_version=API)
    try:
        for name, fn in (("live", live), ("edits", edits), ("replay", held_replay)):
            try:
                fn(b, tmp, producer)
            except Exception as e:  # a scenario that cannot finish is one failure
                check(name, False, f"{type(e).__name__}: {e}")
    finally:
        producer.close()
        rc = b.stop()
        check("broker: clean stop", rc == 0, f"exit {rc}")
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"control test: {time.monotonic() - t0:.1f} s", flush=True)
    return finish()


if __name__ == "__main__":
    sys.exit(main())
