"""POST /reload and `vigil reload` against a held replay, over real HTTP.

    reload_admin.py VIGIL

A replay of tests/reload/base.sql over 3,000 payments is held at the end of
its input (before the last watermark) with its admin API on; its pipeline
file is rewritten between requests, as an analyst edits it. Checked, with
exact bodies where they are short: a dry run changes nothing; SQL that does
not compile answers 400 with its file, line, column and caret, and the plan
stays; an added feature is applied (rebuilt from the rows held) and the live
table has it, with the values a replay of the new SQL from the start holds;
a reload that drops state answers 409 until confirmed; bad bodies answer
400; `vigil reload` prints the state plan, the refusal and the SQL error
with their exit statuses; the metrics count reloads and refusals; and once
signalled the replay finishes with the last plan, its window sink exactly as
without a reload. Last line: N passed, N failed.
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

VIGIL = os.path.abspath(sys.argv[1])
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
from tally import check, finish, same  # noqa: E402
import changes  # noqa: E402  (base.sql and the edits made to it)
ROOT = os.path.dirname(os.path.dirname(HERE))
SINKS = ["card_velocity", "events", "merchant_totals_out", "card_minutes", "dead_letter"]




def start(tmp, pipeline, log, name):
    """A held replay of pipeline with its admin API: (process, URL, stderr file)."""
    ready, err = os.path.join(tmp, name + ".ready"), open(os.path.join(tmp, name + ".err"), "w")
    cmd = [VIGIL, "replay", pipeline, "--quiet", "--input", "payments=" + log, "--admin",
           "127.0.0.1:0", "--admin-ready", ready, "--hold"]
    for s in SINKS:
        cmd += ["--output", f"{s}={tmp}/{name}.{s}.jsonl"]
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=err, cwd=tmp)
    deadline = time.time() + 60
    while not os.path.exists(ready):
        if p.poll() is not None or time.time() > deadline:
            p.kill()
            sys.exit(f"FAIL {name}: the held replay did not start")
        time.sleep(0.02)
    return p, open(ready).read().strip(), err.name


def request(url, method, path, body=None):
    hostport = url[len("http://"):]
    h, port = hostport.rsplit(":", 1)
    c = http.client.HTTPConnection(h, int(port), timeout=60)
    c.request(method, path, body=body)
    r = c.getresponse()
    out = (r.status, r.read().decode())
    c.close()
    return out


def reload(url, body=""):
    s, b = request(url, "POST", "/reload", body)
    return s, json.loads(b)


def metric(url, name):
    for line in request(url, "GET", "/metrics")[1].splitlines():
        if line.startswith(name + " "):
            return line
    return None


def cli(*args):
    r = subprocess.run([VIGIL, "reload"] + list(args), capture_output=True, text=True,
                       timeout=120)
    return r.returncode, r.stdout, r.stderr


def plan_lines(doc):
    """The state plan of an answer, as `vigil reload` prints it."""
    return "".join(f"{o['action']:<8} {o['kind']} {o['name']}{': ' + o['why'] if o['why'] else ''}\n"
                   for o in doc["operators"])


def main():
    tmp = tempfile.mkdtemp()
    log = os.path.join(tmp, "log.jsonl")
    lines = open(os.path.join(ROOT, "pipelines/payments/data/payments.jsonl")).readlines()[:3000]
    open(log, "w").writelines(lines)
    pipe = os.path.join(tmp, "pipe.sql")
    sql = changes.write(tmp)

    def edit(change):
        shutil.copyfile(sql[change], pipe)

    edit("base")
    p, url, errfile = start(tmp, pipe, log, "held")

    # a dry run: the same SQL, everything kept, nothing counted
    s, doc = reload(url, '{"dry_run": true}')
    check("dry run: 200", s == 200, s)
    same("dry run: what", (doc["status"], doc["path"], doc["kept"], doc["rebuilt"], doc["empty"],
                           doc["dropped"]), ("dry_run", pipe, 6, 0, 0, 0))
    same("dry run: the plan is the running one", doc["plan"], doc["running_plan"])
    same("dry run: not counted", (metric(url, "vigil_reloads_total"),
                                  metric(url, "vigil_reload_failures_total")),
         ("vigil_reloads_total 0", "vigil_reload_failures_total 0"))

    # SQL that does not compile: 400, positioned; nothing changes
    before = request(url, "GET", "/plan?format=json")[1]
    edit("broken")
    s, doc = reload(url)
    same("broken: 400 with the position", (s, doc), (400, {
        "error": "unknown column 'amout' (did you mean 'amount'?)", "line": 23, "column": 9,
        "length": 5, "context": "    SUM(amout) OVER card_10m                                  AS "
        "card_sum_10m,\n        ^^^^^", "status": "failed", "file": pipe}))
    same("broken: the plan stays", request(url, "GET", "/plan?format=json")[1], before)
    rc, out, err = cli("--admin", url, "--dry-run")
    same("vigil reload of broken SQL", (rc, out, err), (2, "", (
        f"{pipe}:23:9: error: unknown column 'amout' (did you mean 'amount'?)\n"
        "      SUM(amout) OVER card_10m                                  AS card_sum_10m,\n"
        "          ^^^^^\n")))

    # a feature added: rebuilt from the rows held; the live table has it
    edit("add_feature")
    s, doc = reload(url, "{}")
    check("add_feature: 200 applied", s == 200 and doc["status"] == "applied", f"{s} {doc}")
    same("add_feature: state plan", plan_lines(doc), (
        "kept     source payments\n"
        "rebuilt  over velocity_by_card_id: computes card_avg_10m, card_max_1h, card_n_30m from "
        "the rows held\n"
        "rebuilt  over velocity_by_device_id: carries every aggregate as it was (its input "
        "changed shape)\n"
        "rebuilt  over velocity_by_merchant_id: carries every aggregate as it was (its input "
        "changed shape)\n"
        "kept     group merchant_totals\n"
        "kept     window window_13 (card_minutes)\n"
        "kept     sink card_velocity\nkept     sink events\nkept     sink merchant_totals_out\n"
        "kept     sink card_minutes\n"))
    check("add_feature: the plan changed", request(url, "GET", "/plan?format=json")[1] != before)
    q = ("SELECT card_id, card_n_10m, card_avg_10m, card_n_30m, card_max_1h "
         "FROM velocity_by_card_id WHERE card_id IN ('c00596', 'c01237', 'c01941') "
         "ORDER BY card_id")
    s, live = request(url, "POST", "/query", q)
    fresh, furl, _ = start(tmp, sql["add_feature"], log, "fresh")
    fs, fb = request(furl, "POST", "/query", q)
    same("add_feature: live state as the new SQL from the start", (s, json.loads(live)),
         (fs, json.loads(fb)))
    check("add_feature: live rows", len(json.loads(live).get("rows", [])) == 3, live)
    fresh.send_signal(signal.SIGTERM)
    fresh.wait(timeout=60)

    # a view removed: 409 until confirmed
    edit("remove_view")
    s, doc = reload(url)
    msg = ("this reload drops the state of 1 operator (group merchant_totals): confirm it to "
           "apply it")
    same("remove_view: 409", (s, doc["status"], doc["error"], doc["dropped"]),
         (409, "unconfirmed", msg, 1))
    rc, out, err = cli("--admin", url)
    same("vigil reload without --confirm", (rc, err),
         (1, f"vigil: error: {msg}\nvigil: nothing changed; run again with --confirm to apply "
             "it\n"))
    check("vigil reload without --confirm: the state plan", "dropped  group merchant_totals: "
          "no longer in the plan\n" in out, out)
    rc, out, err = cli("--admin", url, "--confirm")
    check("vigil reload --confirm", rc == 0 and err == "" and out.startswith(
        f"reloaded {pipe} (") and "dropped  sink merchant_totals_out: no longer written\n" in out,
        f"{rc} {out} {err}")
    s, doc = reload(url, '{"dry_run": true}')
    same("after it: nothing more to do", (s, doc["kept"], doc["rebuilt"], doc["empty"],
                                          doc["dropped"]), (200, 5, 0, 0, 0))

    # bad bodies
    s, b = request(url, "POST", "/reload", '{"dry": true}')
    same("unknown member", (s, b), (400, '{"error":"unknown member \'dry\' (the body takes '
                                         'dry_run and confirm, true or false)"}\n'))
    s, b = request(url, "POST", "/reload", '{"confirm": 1}')
    same("not a boolean", (s, b), (400, '{"error":"a boolean is expected for member \'confirm\' '
                                        '(the body takes dry_run and confirm, true or false)"}\n'))
    s, b = request(url, "POST", "/reload", "[true]")
    same("not an object", (s, b), (400, '{"error":"the body must be a JSON object such as '
                                        '{\\"dry_run\\": true}"}\n'))
    same("GET /reload", request(url, "GET", "/reload"), (405, '{"error":"/reload takes POST"}\n'))

    same("counted", (metric(url, "vigil_reloads_total"),
                     metric(url, "vigil_reload_failures_total")),
         ("vigil_reloads_total 2", "vigil_reload_failures_total 4"))

    # the replay finishes with the last plan; its window as without a reload
    p.send_signal(signal.SIGTERM)
    check("the replay finishes", p.wait(timeout=60) == 0)
    base, _, _ = start(tmp, sql["base"], log, "base")
    base.send_signal(signal.SIGTERM)
    base.wait(timeout=60)
    for s in ["card_minutes", "events", "card_velocity"]:
        same(f"{s} as without a reload", open(f"{tmp}/held.{s}.jsonl").read(),
             open(f"{tmp}/base.{s}.jsonl").read())
    report = [l for l in open(errfile).read().splitlines() if l.startswith("vigil: reload")]
    same("the reloads on standard error", [l for l in report if "POST" in l], [
        f"vigil: reload on POST /reload at event 3000 ({pipe}) (dry run): 6 kept, 0 rebuilt, "
        "0 empty, 0 dropped",
        f"vigil: reload on POST /reload at event 3000 ({pipe}) failed; the running plan goes on",
        f"vigil: reload on POST /reload at event 3000 ({pipe}) failed; the running plan goes on",
        f"vigil: reload on POST /reload at event 3000 ({pipe}): 3 kept, 3 rebuilt, 0 empty, "
        "0 dropped",
        f"vigil: reload on POST /reload at event 3000 ({pipe}) refused; the running plan goes on",
        f"vigil: reload on POST /reload at event 3000 ({pipe}) refused; the running plan goes on",
        f"vigil: reload on POST /reload at event 3000 ({pipe}): 2 kept, 3 rebuilt, 0 empty, "
        "1 dropped",
        f"vigil: reload on POST /reload at event 3000 ({pipe}) (dry run): 5 kept, 0 rebuilt, "
        "0 empty, 0 dropped"])
    shutil.rmtree(tmp)
    return finish()


if __name__ == "__main__":
    sys.exit(main())
