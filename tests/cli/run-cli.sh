#!/usr/bin/env bash
# The command line as a user meets it: help, exit statuses (0 ok, 1 run-time
# failure, 2 usage or SQL error), error texts, explain formats, progress on
# a terminal, the replay summary, and pipeline.yaml bindings.
# Last line: N passed, N failed.
set -u
BUILD=${BUILD:-build}
V=$(cd "$(dirname "$BUILD/vigil")" && pwd)/vigil
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
. "$(dirname "$0")/expect.sh"


cd "$tmp"
cat > p.sql <<'SQL'
CREATE STREAM s (id BIGINT, name STRING, ts TIMESTAMP(3),
                 WATERMARK FOR ts AS ts - INTERVAL '1' SECOND);
SELECT id, UPPER(name) AS name FROM s WHERE id > 1;
INSERT INTO evens SELECT id FROM s WHERE MOD(id, 2) = 0;
SQL
printf '{"id":1,"name":"a","ts":0}\n{"id":2,"name":"b","ts":1000}\n{"id":"x"}\n{"id":3,"name":"c","ts":2000}\n' > s.jsonl

expect "overview" 0 "vigil replay" -- "$V" --help
expect "no command" 2 "usage: vigil COMMAND" -- "$V"
expect "unknown command" 2 "unknown command 'frobnicate'" -- "$V" frobnicate
for c in replay check explain test functions; do
    expect "$c --help" 0 "usage: vigil $c" -- "$V" $c --help
done
expect "replay without pipeline" 2 "missing PIPELINE" -- "$V" replay
expect "replay bad binding" 2 "expected NAME=FILE, got 's'" -- "$V" replay p.sql --input s
expect "replay unknown option" 2 "unknown option '--frob'" -- "$V" replay p.sql --frob
expect "replay unbound sink" 2 "sink 'evens' has no output; give --output evens=FILE" \
    -- "$V" replay p.sql --input s=s.jsonl
expect "replay unbound stream" 2 "stream 's' has no input; give --input s=FILE" \
    -- "$V" replay p.sql --output evens=e.jsonl
expect "replay unknown sink" 2 "--output names 'odds', which is not a sink" \
    -- "$V" replay p.sql --input s=s.jsonl --output evens=e.jsonl --output odds=o.jsonl
expect "replay missing input file" 1 "cannot open 'nope.jsonl': No such file or directory" \
    -- "$V" replay p.sql --input s=nope.jsonl --output evens=e.jsonl
expect "replay missing pipeline" 2 "cannot open 'nope.sql'" -- "$V" replay nope.sql
expect "replay summary" 0 "vigil: s: read 4 events, 1 dead-lettered" \
    -- "$V" replay p.sql --input s=s.jsonl --output evens=out/e.jsonl --output dead_letter=dl.jsonl
expect "replay wrote sink" 0 '{"id":2}' -- cat out/e.jsonl
expect "replay dead letter" 0 '"line":3,"reason":"column '\''id'\'' expects BIGINT, got string \"x\""' -- cat dl.jsonl
expect "replay stdout rows" 0 '{"id":3,"name":"C"}' \
    -- "$V" replay p.sql --input s=s.jsonl --output evens=/dev/null --quiet --output dead_letter=/dev/null
expect "replay stdin" 0 '{"id":2,"name":"B"}' \
    -- sh -c "\"$V\" replay p.sql --input s=- --output evens=/dev/null --quiet < s.jsonl 2>/dev/null"
expect "replay bad batch size" 2 "--batch-size needs a positive number" \
    -- "$V" replay p.sql --input s=s.jsonl --output evens=e.jsonl --batch-size 0
expect "replay bad restart" 2 "--restart-at needs a positive number" \
    -- "$V" replay p.sql --input s=s.jsonl --output evens=e.jsonl --restart-at x
expect "replay restart" 0 '{"id":3,"name":"C"}' \
    -- "$V" replay p.sql --input s=s.jsonl --output evens=/dev/null --output dead_letter=/dev/null --batch-size 1 --restart-at 2
expect "check ok" 0 "p.sql: ok: 1 streams, 2 operators, 2 sinks" -- "$V" check p.sql
printf 'CREATE STREAM s (id BIGINT);\nSELECT idd FROM s;\n' > bad.sql
expect "check error" 2 "bad.sql:2:8: error: unknown column 'idd' (did you mean 'id'?)" -- "$V" check bad.sql
expect "check caret" 2 "         ^^^" -- "$V" check bad.sql
expect "explain text" 0 "source s  [id BIGINT, name STRING, ts TIMESTAMP(3)]" -- "$V" explain p.sql
expect "explain dot" 0 "digraph" -- "$V" explain p.sql --format dot
expect "explain bad format" 2 "unknown format 'svg'" -- "$V" explain p.sql --format svg
expect "functions" 0 "REGEXP_EXTRACT" -- "$V" functions

# progress: only on a terminal (script(1) gives the command one)
if command -v script >/dev/null; then
    seq 1 3000 | sed 's/.*/{"id":&,"name":"n","ts":&}/' > big.jsonl
    expect "progress on a tty" 0 "read 3000 events" -- script -qec \
        "\"$V\" replay p.sql --input s=big.jsonl --output evens=/dev/null --quiet > /dev/null" /dev/null
    out=$("$V" replay p.sql --input s=big.jsonl --output evens=/dev/null --quiet 2>&1 >/dev/null)
    if [ -z "$out" ]; then pass=$((pass + 1)); else
        fail=$((fail + 1)); echo "FAIL no progress off a terminal: $out"; fi
fi

# pipeline.yaml: bindings, a binding of an unknown sink, an unknown key
mkdir -p pl && cp p.sql pl/p.sql && cp s.jsonl pl/s.jsonl
printf 'sql: [p.sql]\nsources:\n  s: {file: s.jsonl}\nsinks:\n  evens: {file: out/evens.jsonl}\n  stdout: {file: out/stdout.jsonl}\n' > pl/pipeline.yaml
expect "yaml replay" 0 "vigil: evens: wrote 1 rows" -- "$V" replay pl --output dead_letter=/dev/null
expect "yaml sink file" 0 '{"id":3,"name":"C"}' -- cat pl/out/stdout.jsonl
printf 'sql: [p.sql]\nsinks:\n  odds: {file: o.jsonl}\n' > pl/pipeline.yaml
expect "yaml unknown sink" 2 "pipeline.yaml:3:3: error: sink 'odds' is not written by any INSERT INTO" -- "$V" check pl
printf 'sql: [p.sql]\nsorces: {}\n' > pl/pipeline.yaml
expect "yaml unknown key" 2 "unknown key 'sorces'" -- "$V" check pl
# state.view_ttl: names a view (a sink or an unknown name is an error)
printf 'CREATE VIEW big AS SELECT * FROM s WHERE id > 1;\nSELECT id FROM big;\n' > pl/v.sql
printf 'sql: [p.sql, v.sql]\nstate:\n  ttl: 1d\n  view_ttl: {big: 1h, evens: 2h}\n' > pl/pipeline.yaml
expect "yaml view_ttl not a view" 2 "pipeline.yaml:4:23: error: state.view_ttl names 'evens', which is not a view of the SQL" -- "$V" check pl
printf 'sql: [p.sql, v.sql]\nstate:\n  ttl: 1d\n  view_ttl: {big: 1h}\n' > pl/pipeline.yaml
expect "yaml view_ttl" 0 "" -- "$V" check pl

# State TTL on event time, end to end: key "a" is idle from 10:00:30; once
# the watermark reaches 10:02:00 it is older than the TTL (1 minute), and
# its next row starts afresh. Without a TTL it goes on counting.
mkdir -p ttl
cat > ttl/p.sql <<'SQL'
CREATE STREAM s (k STRING, ts TIMESTAMP(3), WATERMARK FOR ts AS ts);
CREATE VIEW counts AS SELECT k, COUNT(*) AS n FROM s GROUP BY k;
INSERT INTO out SELECT * FROM counts;
INSERT INTO running
SELECT k, COUNT(*) OVER (PARTITION BY k ORDER BY ts ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS n
FROM s;
SQL
printf '{"k":"a","ts":"2024-05-01T10:00:00Z"}\n{"k":"a","ts":"2024-05-01T10:00:30Z"}\n{"k":"b","ts":"2024-05-01T10:02:00Z"}\n{"k":"a","ts":"2024-05-01T10:02:10Z"}\n' > ttl/s.jsonl
ttl_yaml='sql: [p.sql]\nsources:\n  s: {file: s.jsonl}\nsinks:\n  out: {file: out.jsonl}\n  running: {file: running.jsonl}\n'
printf "${ttl_yaml}state:\n  ttl: 1m\n" > ttl/pipeline.yaml
expect "ttl replay" 0 "vigil: out: wrote 5 rows" -- "$V" replay ttl --batch-size 1
printf '{"op":"+I","k":"a","n":1}\n{"op":"-U","k":"a","n":1}\n{"op":"+U","k":"a","n":2}\n{"op":"+I","k":"b","n":1}\n{"op":"+I","k":"a","n":1}\n' > ttl/want_out
printf '{"k":"a","n":1}\n{"k":"a","n":2}\n{"k":"b","n":1}\n{"k":"a","n":1}\n' > ttl/want_running
expect "ttl group by expires a key" 0 "same" -- sh -c "diff ttl/want_out ttl/out.jsonl && echo same"
expect "ttl over unbounded expires a key" 0 "same" -- sh -c "diff ttl/want_running ttl/running.jsonl && echo same"
printf "${ttl_yaml}state:\n  ttl: 1m\n  view_ttl: {counts: 0}\n" > ttl/pipeline.yaml
expect "view_ttl 0 overrides state.ttl" 0 "vigil: out: wrote 6 rows" -- "$V" replay ttl --batch-size 1
expect "no ttl: a goes on counting" 0 '{"op":"+U","k":"a","n":3}' -- cat ttl/out.jsonl
expect "state.ttl still applies elsewhere" 0 "same" -- sh -c "diff ttl/want_running ttl/running.jsonl && echo same"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
