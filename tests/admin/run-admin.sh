#!/usr/bin/env bash
# The admin API end to end, over real HTTP (Python's http.client, so that
# the Host header, methods and body sizes are ours to choose): a held
# replay of pipelines/payments answers health, metrics with exact counts,
# the plan in its three formats, rules, models, checkpoints and live
# queries (through `vigil query` too); every refusal is checked with its
# status and message (wrong token, write query, oversized body, bad Host,
# slow query killed, unknown path, wrong method); queries with parameters
# (bound exactly, wrong ones refused) and the statement cache across a
# reload that changes a table; the examples of docs/operations.md (vigil
# query, and POST /query bodies) run against their own held replay; the
# Server-Timing header (wait and run, in ms) on answers the runner served,
# none on GET /health or a refusal; and the replay finishes its output when
# signalled. Waits are on the ready file and on answers, each with a
# deadline.
# Last line: N passed, N failed.
set -u
BUILD=${BUILD:-build}
exec /usr/bin/python3 - "$BUILD/vigil" <<'PY'
import http.client, json, os, re, shutil, signal, subprocess, sys, tempfile, time

vigil = os.path.abspath(sys.argv[1])
passed = failed = 0


def check(name, ok, detail=""):
    global passed, failed
    if ok:
        print(f"ok {name}")
        passed += 1
    else:
        print(f"FAIL {name}: {detail}")
        failed += 1


def same(name, got, want):
    check(name, got == want, f"\n--- want\n{want}\n--- got\n{got}")


def start(args, tmp, name):
    """vigil replay ARGS --admin 127.0.0.1:0 --hold: the process and its URL."""
    ready = os.path.join(tmp, name + ".ready")
    p = subprocess.Popen([vigil, "replay"] + args + ["--quiet", "--admin", "127.0.0.1:0",
                          "--admin-ready", ready, "--hold"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=tmp)
    deadline = time.time() + 60
    while not os.path.exists(ready):
        if p.poll() is not None or time.time() > deadline:
            p.kill()
            sys.exit(f"FAIL {name}: the held replay did not start: {p.stderr.read()}")
        time.sleep(0.02)
    return p, open(ready).read().strip()


def stop(p):
    p.send_signal(signal.SIGTERM)
    return p.wait(timeout=60)


def request(url, method, path, body=None, host=None, headers=None):
    """(status, headers, body) of one request; host overrides the Host header."""
    hostport = url[len("http://"):]
    h, port = hostport.rsplit(":", 1)
    c = http.client.HTTPConnection(h, int(port), timeout=30)
    c.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
    c.putheader("Host", host or hostport)
    for k, v in (headers or {}).items():
        c.putheader(k, v)
    data = body.encode() if isinstance(body, str) else body
    if data is not None:
        c.putheader("Content-Length", str(len(data)))
    c.endheaders()
    if data:
        try:
            c.send(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # refused before it was all read
    r = c.getresponse()
    out = (r.status, dict(r.getheaders()), r.read().decode())
    c.close()
    return out


def query(url, sql):
    s, _, b = request(url, "POST", "/query", sql)
    return s, json.loads(b)


def cli(*args, env=None):
    r = subprocess.run([vigil] + list(args), capture_output=True, text=True, timeout=60,
                       env=dict(os.environ, **(env or {})))
    return r.returncode, r.stdout, r.stderr


tmp = tempfile.mkdtemp()
root = os.getcwd()
# a copy, so that its sinks write into tmp
shutil.copytree(os.path.join(root, "pipelines/payments"), os.path.join(tmp, "payments"),
                ignore=shutil.ignore_patterns("out", "tests"))
p, url = start(["payments"], tmp, "payments")

# ---- health, metrics ----
s, _, b = request(url, "GET", "/health")
check("health", s == 200 and json.loads(b)["state"] == "holding", f"{s} {b}")

nodes = json.loads(request(url, "GET", "/plan?format=json")[2])["nodes"]
card = next(n["id"] for n in nodes if n["table"] == "velocity_by_card_id")
minutes = next(n["id"] for n in nodes if n["kind"] == "window" and n["inputs"] == [0]
               and any(c["name"] == "not_captured" for c in n["columns"]))
after = next(n["id"] for n in nodes if n["inputs"] == [minutes])

s, h, b = request(url, "GET", "/metrics")
check("metrics content type", h.get("Content-Type", "").startswith("text/plain; version=0.0.4"),
      str(h))
want = f"""vigil_source_events_total{{source="payments"}} 5000
vigil_source_dead_letters_total{{source="payments"}} 6
vigil_sink_rows_total{{sink="features"}} 4994
vigil_sink_rows_total{{sink="card_velocity"}} 4994
vigil_sink_rows_total{{sink="velocity_alerts"}} 337
vigil_sink_rows_total{{sink="merchant_minutes"}} 165
vigil_sink_rows_total{{sink="decisions"}} 4994
vigil_operator_rows_in_total{{node="{card}",kind="over",name="velocity"}} 4994
vigil_operator_rows_out_total{{node="{minutes}",kind="window",name=""}} 2930
vigil_operator_rows_in_total{{node="{after}",kind="project",name=""}} 2930
vigil_operator_rows_out_total{{node="{after}",kind="project",name=""}} 165
vigil_operator_state_keys{{node="{card}",kind="over",name="velocity"}} 1705
vigil_late_rows_total 0
vigil_source_partitions 1
vigil_batches_total 5
vigil_checkpoints_total 0
vigil_reloads_total 0"""
lines = set(b.splitlines())
missing = [l for l in want.splitlines() if l not in lines]
check("metrics exact counts", not missing, f"missing {missing}")
for name in ["vigil_batch_seconds_bucket{le=\"+Inf\"} 5", "# TYPE vigil_batch_seconds histogram",
             "# TYPE vigil_admin_pause_seconds histogram", "vigil_watermark_seconds 1714542713.953"]:
    check(f"metrics has {name}", any(l.startswith(name) for l in lines), "")

# ---- plan ----
s, h, b = request(url, "GET", "/plan?format=text")
explain = cli("explain", os.path.join(tmp, "payments"))[1]
same("plan text is vigil explain", b, explain)
s, h, b = request(url, "GET", "/plan?format=dot")
check("plan dot", s == 200 and b.startswith("digraph") and h["Content-Type"] == "text/vnd.graphviz",
      b[:80])
check("plan json", all(n["id"] == i for i, n in enumerate(nodes))
      and nodes[card]["kind"] == "over" and nodes[card]["inputs"] == [0]
      and nodes[card]["view"] == "velocity" and nodes[0]["name"] == "payments", str(nodes[card]))
s, _, b = request(url, "GET", "/plan?format=svg")
same("plan bad format", (s, b), (400, '{"error":"format must be text, dot or json"}\n'))

# ---- rules, models, checkpoints ----
s, _, b = request(url, "GET", "/rules")
rs = json.loads(b)["rulesets"]
check("rules", s == 200 and rs[0]["name"] == "payment_rules" and rs[0]["version"] == 1
      and len(rs[0]["rules"]) == 12 and rs[0]["rules"][0]["rule_id"] == "model_block", b[:200])
s, _, b = request(url, "GET", "/models")
m = json.loads(b)["models"][0]
check("models", s == 200 and m["name"] == "fraud_xgb" and m["type"] == "xgboost" and m["loaded"]
      and m["version"] == 1 and len(m["inputs"]) == 10
      and m["outputs"] == [{"name": "fraud_score", "type": "DOUBLE"}], b[:200])
same("checkpoints", request(url, "GET", "/checkpoints")[::2], (200, '{"checkpoints":[]}\n'))

# ---- live queries ----
sql = ("SELECT card_id, card_n_10m, card_failed_1h, card_max_24h FROM velocity_by_card_id "
       "WHERE card_id = 'c01163'")
same("query lookup", query(url, sql),
     (200, {"columns": ["card_id", "card_n_10m", "card_failed_1h", "card_max_24h"],
            "rows": [["c01163", 7, 3, 304.89]]}))
same("query JSON body", request(url, "POST", "/query", json.dumps({"sql": sql}),
                               headers={"Content-Type": "application/json"})[0], 200)
same("query count", query(url, "SELECT count(*) FROM velocity_by_card_id")[1]["rows"], [[1705]])
same("vigil query json", cli("query", "--admin", url, "--format", "json", sql)[:2],
     (0, '{"card_id":"c01163","card_n_10m":7,"card_failed_1h":3,"card_max_24h":304.89}\n'))
same("vigil query table", cli("query", "--format", "table",
                              "SELECT card_id, card_n_10m FROM velocity_by_card_id "
                              "WHERE card_id IN ('c01163', 'c00221') ORDER BY card_id",
                              env={"VIGIL_ADMIN": url})[1],
     "card_id  card_n_10m\n-------  ----------\nc00221   5\nc01163   7\n(2 rows)\n")
rc, out, err = cli("query", "--admin", url, "SELECT card_id\nFROM velocity_by_card_id WHERE nope")
same("vigil query error", (rc, err),
     (1, "<query>:2:32: error: no such column: nope\n"
         "  FROM velocity_by_card_id WHERE nope\n"
         "                                 ^^^^\n"))

same("vigil query --param", cli("query", "--admin", url, "--format", "json", "--param", "c01163",
                                "SELECT card_id, card_n_10m FROM velocity_by_card_id "
                                "WHERE card_id = ?")[:2],
     (0, '{"card_id":"c01163","card_n_10m":7}\n'))
same("vigil query --param, one too many",
     cli("query", "--admin", url, "--param", "a", "--param", "b", "SELECT ?"),
     (1, "", "vigil: error: the query has 1 parameter but 2 were given\n"))

# ---- refusals ----
s, _, b = request(url, "POST", "/query", "DELETE FROM velocity_by_card_id")
same("write query refused", (s, b), (403, '{"error":"live queries are read-only: table '
                                          'velocity_by_card_id may not be modified"}\n'))
s, _, b = request(url, "POST", "/query", "ATTACH '/tmp/x.db' AS x")
same("attach refused", (s, b), (403, '{"error":"live queries are read-only: ATTACH is not '
                                     'allowed"}\n'))
t0 = time.time()
s, _, b = request(url, "POST", "/query",
                  "WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c) "
                  "SELECT count(*) FROM c")
took = time.time() - t0
same("slow query killed", (s, b), (422, '{"error":"query stopped: it ran longer than the time '
                                        'limit of 100 ms"}\n'))
check("slow query killed in time", took < 5, f"{took:.2f}s")
s, _, b = request(url, "POST", "/query", "SELECT '" + "x" * 70000 + "'")
same("oversized body", (s, b), (413, '{"error":"the request body is larger than 65536 bytes"}\n'))
port = url.rsplit(":", 1)[1]
s, _, b = request(url, "GET", "/health", host=f"attacker.example:{port}")
same("bad Host (DNS rebinding)", (s, b),
     (421, '{"error":"the Host header must name the admin address (127.0.0.1:' + port + ')"}\n'))
same("Host localhost", request(url, "GET", "/checkpoints", host=f"localhost:{port}")[0], 200)
same("unknown path", request(url, "GET", "/admin")[::2],
     (404, '{"error":"no such endpoint (see docs/operations.md)"}\n'))
s, h, b = request(url, "GET", "/query")
same("wrong method", (s, h.get("Allow"), b), (405, "POST", '{"error":"/query takes POST"}\n'))
same("reload dry run", request(url, "POST", "/reload", '{"dry_run": true}')[0], 200)

s, _, b = request(url, "GET", "/metrics")
n = [l for l in b.splitlines() if l.startswith("vigil_admin_queries_total ")]
same("queries counted", n, ["vigil_admin_queries_total 11"])
n = [l for l in b.splitlines() if l.startswith("vigil_admin_query_errors_total ")]
same("query errors counted", n, ["vigil_admin_query_errors_total 5"])

# ---- Server-Timing: the runner's wait and run, on what the runner served ----
TIMING = re.compile(r"^wait;dur=([0-9]+\.[0-9]{3}), run;dur=([0-9]+\.[0-9]{3})$")


def timing(method, path, body=None, host=None):
    """(status, the Server-Timing header or None, the round trip in ms)."""
    t0 = time.time()
    s, h, _ = request(url, method, path, body, host=host)
    took = (time.time() - t0) * 1000
    return s, {k.lower(): v for k, v in h.items()}.get("server-timing"), took


s, t, took = timing("POST", "/query", sql)
m = TIMING.match(t or "")
check("query Server-Timing", s == 200 and m is not None, f"{s} {t!r}")
check("query Server-Timing within the round trip",
      m is not None and float(m.group(1)) + float(m.group(2)) <= took, f"{t!r} {took:.3f} ms")
s, t, _ = timing("POST", "/query", "SELECT nope")
check("query error Server-Timing", s == 400 and TIMING.match(t or "") is not None, f"{s} {t!r}")
s, t, _ = timing("GET", "/plan?format=text")
check("plan Server-Timing", s == 200 and TIMING.match(t or "") is not None, f"{s} {t!r}")
same("health: no Server-Timing", timing("GET", "/health")[:2], (200, None))
same("refused: no Server-Timing", timing("POST", "/query", sql, host="evil.example:80")[:2],
     (421, None))

# ---- parameters, and the statement cache across a reload ----
JSON = {"Content-Type": "application/json"}


def query_params(sql, params):
    s, _, b = request(url, "POST", "/query", json.dumps({"sql": sql, "params": params}), headers=JSON)
    return s, json.loads(b)


by_card = "SELECT * FROM velocity_by_card_id WHERE card_id = ?"
literal = query(url, "SELECT * FROM velocity_by_card_id WHERE card_id = 'c01163'")
same("query with a parameter", query_params(by_card, ["c01163"]), literal)
same("query with a parameter again", query_params(by_card, ["c00221"])[1]["rows"][0][:2],
     ["c00221", 5])
same("query with ?N parameters",
     query_params("SELECT card_n_10m FROM velocity_by_card_id WHERE card_id = ?2 AND ?1",
                  [True, "c01163"]), (200, {"columns": ["card_n_10m"], "rows": [[7]]}))
same("too few parameters", query_params(by_card, []),
     (400, {"error": "the query has 1 parameter but none were given"}))
same("a parameter that is not a value", query_params(by_card, [["c01163"]]),
     (400, {"error": "parameter 1 must be a string, a number, true, false or null"}))
# a reload that gives the card table a column: the cached SELECT * sees it
windows = os.path.join(tmp, "payments", "windows.sql")
text = open(windows).read()
open(windows, "w").write(text.replace(
    "    AVG(amount) OVER card_24h                                     AS card_avg_24h,\n",
    "    AVG(amount) OVER card_24h                                     AS card_avg_24h,\n"
    "    MIN(amount) OVER card_24h                                     AS card_min_24h,\n"))
s, _, b = request(url, "POST", "/reload", '{"confirm": true}')
check("reload adds a column", s == 200 and json.loads(b)["status"] == "applied", f"{s} {b[:300]}")
s, doc = query_params(by_card, ["c01163"])
cols = doc.get("columns", [])
check("after the reload: the new column", s == 200 and "card_min_24h" in cols
      and doc["rows"][0][0] == "c01163", f"{s} {doc}")
check("after the reload: the new column's value", s == 200 and "card_min_24h" in cols and
      0 < doc["rows"][0][cols.index("card_min_24h")] <= doc["rows"][0][cols.index("card_max_24h")],
      f"{doc}")
same("after the reload: the old columns as before",
     [v for c, v in zip(cols, doc.get("rows", [[]])[0]) if c != "card_min_24h"],
     literal[1]["rows"][0])

# ---- the end: the replay finishes its output ----
same("replay exits on SIGTERM", stop(p), 0)
same("outputs complete", sum(1 for _ in open(f"{tmp}/payments/out/merchant_minutes.jsonl")), 167)

# ---- a token ----
sql_file = os.path.join(tmp, "t.sql")
open(sql_file, "w").write("CREATE STREAM s (k STRING, ts TIMESTAMP(3), WATERMARK FOR ts AS ts);\n"
                          "CREATE VIEW n AS SELECT k, COUNT(*) AS n FROM s GROUP BY k;\n"
                          "SELECT k FROM s;\n")
open(os.path.join(tmp, "s.jsonl"), "w").write('{"k":"a","ts":1}\n{"k":"a","ts":2}\n')
p, url = start(["t.sql", "--input", "s=s.jsonl", "--admin-token", "s3cret"], tmp, "token")
same("no token", request(url, "GET", "/health")[::2],
     (401, '{"error":"a token is required: Authorization: Bearer TOKEN"}\n'))
s, h, b = request(url, "GET", "/health", headers={"Authorization": "Bearer nope"})
same("wrong token", (s, h.get("WWW-Authenticate"), b), (401, "Bearer", '{"error":"wrong token"}\n'))
same("right token", request(url, "GET", "/health",
                            headers={"Authorization": "Bearer s3cret"})[0], 200)
same("vigil query --token", cli("query", "--admin", url, "--token", "s3cret", "--format", "json",
                                "SELECT * FROM n")[:2], (0, '{"k":"a","n":2}\n'))
same("vigil query wrong token", cli("query", "--admin", url, "SELECT 1",
                                    env={"VIGIL_ADMIN_TOKEN": "x"})[::2],
     (1, "vigil: error: wrong token\n"))
same("token replay exits", stop(p), 0)

# ---- the command line ----
rc, _, err = cli("replay", sql_file, "--input", f"s={tmp}/s.jsonl", "--admin", "0.0.0.0:0")
same("beyond loopback needs a token", (rc, err),
     (2, "vigil: error: the admin API on 0.0.0.0:0 would be reachable beyond this machine: give "
         "it a token (admin.token, --admin-token) or listen on 127.0.0.1\n"))
rc, _, err = cli("replay", sql_file, "--hold")
check("--hold needs --admin", rc == 2 and "need --admin" in err, err)
rc, _, err = cli("query", "--admin", "127.0.0.1:1", "SELECT 1")
same("engine not reachable", (rc, err),
     (1, "vigil: error: cannot reach the admin API at 127.0.0.1:1: Connection refused\n"))

# ---- the examples of docs/operations.md ----
FENCE = re.compile(r"^```(\w*)\s*$")


def blocks(lines, start):
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


doc = os.path.join(root, "docs/operations.md")
lines = open(doc).read().split("\n")
examples, held = {}, {}
for no, line in enumerate(lines):
    m = re.search(r"<!-- example: (\S+) input=(\S+) -->", line)
    if m:
        b = blocks(lines, no + 1)
        examples[m.group(1)] = (m.group(2), next(b)[1], next(b)[1])
        continue
    m = re.search(r"<!-- live-(query|post): (\S+) -->", line)
    if not m:
        continue
    kind, name = m.groups()
    b = blocks(lines, no + 1)
    sql, expected = next(b)[1], next(b)[1]
    if name not in held:
        stream, pipeline, events = examples[name]
        d = tempfile.mkdtemp(dir=tmp)
        open(os.path.join(d, "example.sql"), "w").write(pipeline)
        open(os.path.join(d, "events.jsonl"), "w").write(events)
        held[name] = start(["example.sql", "--input", f"{stream}=events.jsonl"], d, name)
    if kind == "query":
        rc, out, err = cli("query", "--admin", held[name][1], "--format", "json", sql.strip())
        same(f"docs/operations.md:{no + 1}: live query", (rc, out + err), (0, expected))
    else:  # the body of a POST /query, and its answer
        s, _, b = request(held[name][1], "POST", "/query", sql.strip(),
                          headers={"Content-Type": "application/json"})
        same(f"docs/operations.md:{no + 1}: POST /query", (s, b), (200, expected))
for name, (proc, _) in held.items():
    same(f"docs example {name} exits", stop(proc), 0)

print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
PY
