/*
 * config_keys.c — every key of pipeline.yaml and case.yaml, in one table.
 *
 * A row gives a key's dotted path ('*' where the user picks the name, as in
 * sources.*.file), its type, where its value goes, its default, its bounds
 * and its doc line. The YAML walker (config.c) looks every key up here, the
 * defaults are parsed from the table's text by the same parsers as values
 * in the file, and the reference (docs/pipeline-yaml.md) is written from
 * the same rows, so the code, the defaults and the docs cannot disagree.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "engine/alloc.h"
#include "engine/config_int.h"

#define CFG(f)  offsetof(vg_config, f)
#define BND(f)  offsetof(vg_binding, f)
#define CASE(f) offsetof(vg_case_config, f)
#define NONE    VG_CFG_NO_SLOT
#define P       VG_CFG_PIPELINE

const vg_cfg_key vg_cfg_keys[] = {
    {P, "name", VG_CFG_STRING, CFG(name), 0, NULL, "the folder's name", NULL, NULL,
     "Pipeline name, used in metrics and in the default Kafka consumer group `vigil-NAME`."},
    {P, "sql", VG_CFG_PATHS, NONE, 0, NULL, "every `*.sql` file of the folder, in name order", NULL,
     NULL, "SQL files, compiled in this order as one program; one file may be a string."},
    {P, "sources", VG_CFG_NAMED, CFG(sources), CFG(nsources), NULL, "none", NULL, NULL,
     "Where each stream (`CREATE STREAM`) reads from, by stream name."},
    {P, "sources.*", VG_CFG_BINDING, NONE, 0, NULL, NULL, NULL, NULL,
     "A stream's binding: exactly one of `file` and `kafka`."},
    {P, "sources.*.file", VG_CFG_PATH, BND(path), 0, NULL, NULL, NULL, NULL,
     "A JSON-lines event log, read to its end (`-`: standard input)."},
    {P, "sources.*.kafka", VG_CFG_SECTION, NONE, 0, NULL, NULL, NULL, NULL,
     "Read from a Kafka topic."},
    {P, "sources.*.kafka.topic", VG_CFG_STRING, BND(topic), 0, NULL, "the stream's name", NULL,
     NULL, "Topic to consume."},
    {P, "sources.*.kafka.bootstrap", VG_CFG_STRING, BND(bootstrap), 0, "127.0.0.1:9092", NULL, NULL,
     NULL, "Bootstrap servers, `host:port[,host:port...]`."},
    {P, "sources.*.kafka.group", VG_CFG_STRING, BND(group), 0, NULL, "`vigil-NAME`", NULL, NULL,
     "Consumer group; the processes of one group share the topic's partitions."},
    {P, "sources.*.kafka.idle_timeout", VG_CFG_DURATION, BND(idle_timeout_ms), 0, "5s", NULL, "1ms",
     NULL, "A partition silent this long stops holding the watermark back until it sends again."},
    {P, "sources.*.kafka.properties", VG_CFG_PROPS, BND(props), BND(nprops), NULL, "none", NULL,
     NULL, "Further librdkafka consumer properties, passed through as written."},
    {P, "sinks", VG_CFG_NAMED, CFG(sinks), CFG(nsinks), NULL, "none", NULL, NULL,
     "Where each sink (`INSERT INTO`, `stdout`, `dead_letter`) writes to, by sink name."},
    {P, "sinks.*", VG_CFG_BINDING, NONE, 0, NULL, NULL, NULL, NULL,
     "A sink's binding: exactly one of `file` and `kafka`."},
    {P, "sinks.*.file", VG_CFG_PATH, BND(path), 0, NULL, NULL, NULL, NULL,
     "A JSON-lines file, created with its folders (`-`: standard output)."},
    {P, "sinks.*.kafka", VG_CFG_SECTION, NONE, 0, NULL, NULL, NULL, NULL,
     "Write to a Kafka topic."},
    {P, "sinks.*.kafka.topic", VG_CFG_STRING, BND(topic), 0, NULL, "the sink's name", NULL, NULL,
     "Topic to produce to."},
    {P, "sinks.*.kafka.bootstrap", VG_CFG_STRING, BND(bootstrap), 0, "127.0.0.1:9092", NULL, NULL,
     NULL, "Bootstrap servers, `host:port[,host:port...]`."},
    {P, "sinks.*.kafka.key", VG_CFG_STRING, BND(key), 0, NULL, "the SQL's upsert key, else none",
     NULL, NULL, "Columns whose values key each message, comma-separated (`card_id` or "
     "`card_id, merchant_id`): rows of one key go to one partition, in order."},
    {P, "sinks.*.kafka.properties", VG_CFG_PROPS, BND(props), BND(nprops), NULL, "none", NULL, NULL,
     "Further librdkafka producer properties, passed through as written."},
    {P, "state", VG_CFG_SECTION, NONE, 0, NULL, NULL, NULL, NULL,
     "Operator state and checkpoints."},
    {P, "state.store", VG_CFG_PATH, CFG(state.store), 0, NULL, "none: state is not checkpointed",
     NULL, NULL, "SQLite file holding checkpoints, models and rules."},
    {P, "state.checkpoint_interval", VG_CFG_DURATION, CFG(state.checkpoint_interval_ms), 0, "1s",
     NULL, "1ms", NULL, "Time between checkpoints of all state and source offsets."},
    {P, "state.fsync_turns", VG_CFG_BOOL, CFG(state.fsync_turns), 0, "false", NULL, NULL, NULL,
     "Sync the turn log to disk on every batch, as checkpoints are: exactly-once output then "
     "survives a power cut of this machine too, at the cost of one fsync per batch."},
    {P, "state.ttl", VG_CFG_DURATION, CFG(state.ttl_ms), 0, "0", "0: never", NULL, NULL,
     "Keyed state not updated for this long (in event time) is dropped."},
    {P, "state.view_ttl", VG_CFG_TTLS, CFG(state.view_ttls), CFG(state.nview_ttls), NULL, "none",
     NULL, NULL, "Per-view TTLs, `{VIEW: DURATION, ...}`, overriding `state.ttl` for the "
     "operators of that view."},
    {P, "admin", VG_CFG_SECTION, NONE, 0, NULL, NULL, NULL, NULL, "The admin HTTP API."},
    {P, "admin.listen", VG_CFG_STRING, CFG(admin.listen), 0, NULL,
     "none: `vigil run` serves no admin API (`--admin` and clients use `127.0.0.1:8470`)", NULL,
     NULL, "Address the admin API of `vigil run` listens on, `host:port` (port 0: any free one)."},
    {P, "admin.token", VG_CFG_STRING, CFG(admin.token), 0, NULL, "none: no token", NULL, NULL,
     "Bearer token every admin request must carry."},
    {P, "control", VG_CFG_SECTION, NONE, 0, NULL, NULL, NULL, NULL,
     "The control topic of `vigil run`: commands as JSON messages (docs/operations.md)."},
    {P, "control.kafka", VG_CFG_SECTION, NONE, 0, NULL, NULL, NULL, NULL,
     "Where the commands come from: a Kafka topic, read from its end when the run starts."},
    {P, "control.kafka.topic", VG_CFG_STRING, CFG(control.topic), 0, NULL, "none: no control topic",
     NULL, NULL, "Topic of commands: `{\"op\": \"reload\"}`, `{\"op\": \"activate_model\", ...}`, "
     "`{\"op\": \"rules\", ...}`."},
    {P, "control.kafka.bootstrap", VG_CFG_STRING, CFG(control.bootstrap), 0, "127.0.0.1:9092", NULL,
     NULL, NULL, "Bootstrap servers, `host:port[,host:port...]`."},
    {P, "control.kafka.properties", VG_CFG_PROPS, CFG(control.props), CFG(control.nprops), NULL,
     "none", NULL, NULL, "Further librdkafka properties of the control consumer and replies."},
    {P, "control.reply", VG_CFG_SECTION, NONE, 0, NULL, NULL, NULL, NULL,
     "Where each command's outcome goes as a JSON line, besides standard error: one of `kafka` "
     "and `file`."},
    {P, "control.reply.kafka", VG_CFG_SECTION, NONE, 0, NULL, NULL, NULL, NULL,
     "Replies to a Kafka topic."},
    {P, "control.reply.kafka.topic", VG_CFG_STRING, CFG(control.reply_topic), 0, NULL, "none",
     NULL, NULL, "Topic of replies."},
    {P, "control.reply.kafka.bootstrap", VG_CFG_STRING, CFG(control.reply_bootstrap), 0, NULL,
     "`control.kafka.bootstrap`", NULL, NULL, "Bootstrap servers of the reply topic."},
    {P, "control.reply.file", VG_CFG_PATH, CFG(control.reply_path), 0, NULL, "none", NULL, NULL,
     "Replies appended to a JSON-lines file."},
    {P, "limits", VG_CFG_SECTION, NONE, 0, NULL, NULL, NULL, NULL, "Input limits."},
    {P, "limits.max_event_bytes", VG_CFG_SIZE, CFG(limits.max_event_bytes), 0, "1048576", NULL, "1",
     "1GiB", "Longest event accepted; a longer one goes to the dead-letter sink."},
    {VG_CFG_CASE, "ordered", VG_CFG_BOOL, CASE(ordered), 0, "true", NULL, NULL, NULL,
     "Rows must come in the expected order; `false` compares them as a multiset."},
    {VG_CFG_CASE, "tolerance", VG_CFG_NUMBER, CASE(tolerance), 0, "0", NULL, "0", NULL,
     "Numbers may differ from the expected ones by this much, relatively."},
};
const size_t vg_cfg_nkeys = sizeof vg_cfg_keys / sizeof vg_cfg_keys[0];

/* ---- values from text ---- */

/* Parse text into slot: 0, VG_CFG_BAD, or -1 when out of memory. */
typedef int (*parse_fn)(const char *dir, const char *s, size_t n, void *slot);

int vg_config_parse_duration(const char *s, size_t n, int64_t *ms_out)
{
    static const struct {
        const char *unit;
        int64_t ms;
    } units[] = {
        {"ms", 1}, {"s", 1000}, {"m", 60000}, {"h", 3600000}, {"d", 86400000},
    };
    const size_t nunits = sizeof units / sizeof units[0];
    if (n == 1 && s[0] == '0') {
        *ms_out = 0;
        return 0;
    }
    int64_t total = 0;
    size_t i = 0;
    if (n == 0)
        return -1;
    while (i < n) {
        int64_t v = 0;
        size_t start = i;
        for (; i < n && s[i] >= '0' && s[i] <= '9'; i++) {
            if (v > (INT64_MAX - 9) / 10)
                return -1;
            v = v * 10 + (s[i] - '0');
        }
        size_t ulen = 0;
        while (i + ulen < n && s[i + ulen] >= 'a' && s[i + ulen] <= 'z')
            ulen++;
        size_t u = 0;
        while (u < nunits &&
               !(strlen(units[u].unit) == ulen && !memcmp(units[u].unit, s + i, ulen)))
            u++;
        if (i == start || u == nunits || v > INT64_MAX / units[u].ms ||
            total > INT64_MAX - v * units[u].ms)
            return -1;
        total += v * units[u].ms;
        i += ulen;
    }
    *ms_out = total;
    return 0;
}

int vg_config_parse_size(const char *s, size_t n, int64_t *bytes_out)
{
    static const struct {
        const char *unit;
        int64_t mult;
    } units[] = {
        {"", 1},
        {"KiB", 1024},
        {"MiB", 1024 * 1024},
        {"GiB", 1024 * 1024 * 1024},
    };
    size_t i = 0;
    int64_t v = 0;
    for (; i < n && s[i] >= '0' && s[i] <= '9'; i++) {
        if (v > (INT64_MAX - 9) / 10)
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    if (i == 0)
        return -1;
    for (size_t u = 0; u < sizeof units / sizeof units[0]; u++) {
        if (strlen(units[u].unit) == n - i && memcmp(units[u].unit, s + i, n - i) == 0) {
            if (v > INT64_MAX / units[u].mult)
                return -1;
            *bytes_out = v * units[u].mult;
            return 0;
        }
    }
    return -1;
}

static int parse_string(const char *dir, const char *s, size_t n, void *slot)
{
    (void)dir;
    char *copy = vg_strndup(VG_CFG_TAG, s, n);
    if (!copy)
        return -1;
    vg_free(*(char **)slot);
    *(char **)slot = copy;
    return 0;
}

char *vg_cfg_resolve_path(const char *dir, const char *s, size_t n)
{
    if ((n == 1 && s[0] == '-') || (n && s[0] == '/') || !dir || strcmp(dir, ".") == 0)
        return vg_strndup(VG_CFG_TAG, s, n);
    size_t dl = strlen(dir);
    char *p = vg_malloc(VG_CFG_TAG, dl + 1 + n + 1);
    if (!p)
        return NULL;
    memcpy(p, dir, dl);
    p[dl] = '/';
    memcpy(p + dl + 1, s, n);
    p[dl + 1 + n] = 0;
    return p;
}

static int parse_path(const char *dir, const char *s, size_t n, void *slot)
{
    if (n == 0)
        return VG_CFG_BAD;
    char *p = vg_cfg_resolve_path(dir, s, n);
    if (!p)
        return -1;
    vg_free(*(char **)slot);
    *(char **)slot = p;
    return 0;
}

static int parse_duration(const char *dir, const char *s, size_t n, void *slot)
{
    (void)dir;
    return vg_config_parse_duration(s, n, slot) < 0 ? VG_CFG_BAD : 0;
}

static int parse_size(const char *dir, const char *s, size_t n, void *slot)
{
    (void)dir;
    return vg_config_parse_size(s, n, slot) < 0 ? VG_CFG_BAD : 0;
}

static int parse_bool(const char *dir, const char *s, size_t n, void *slot)
{
    static const struct {
        const char *text;
        bool value;
    } words[] = {
        {"true", true},   {"True", true},   {"TRUE", true},
        {"false", false}, {"False", false}, {"FALSE", false},
    };
    (void)dir;
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++) {
        if (strlen(words[i].text) == n && memcmp(words[i].text, s, n) == 0) {
            *(bool *)slot = words[i].value;
            return 0;
        }
    }
    return VG_CFG_BAD;
}

static int parse_number(const char *dir, const char *s, size_t n, void *slot)
{
    (void)dir;
    char buf[64];
    if (n == 0 || n >= sizeof buf)
        return VG_CFG_BAD;
    memcpy(buf, s, n);
    buf[n] = 0;
    char *end;
    double d = strtod(buf, &end);
    if (*end || !isfinite(d))
        return VG_CFG_BAD;
    *(double *)slot = d;
    return 0;
}

static const struct type_def {
    const char *name;   /* in the reference */
    const char *expect; /* in "expected X, got Y" */
    parse_fn parse;     /* scalar types only */
} types[VG_CFG_NTYPES] = {
    [VG_CFG_SECTION] = {"mapping", "a mapping", NULL},
    [VG_CFG_NAMED] = {"mapping of names", "a mapping", NULL},
    [VG_CFG_BINDING] = {"binding", "a mapping with 'file' or 'kafka'", NULL},
    [VG_CFG_PATHS] = {"path or list of paths", "a file path or a list of them", NULL},
    [VG_CFG_PROPS] = {"mapping of strings", "a mapping of property names to values", NULL},
    [VG_CFG_TTLS] = {"mapping of durations", "a mapping of view names to durations", NULL},
    [VG_CFG_STRING] = {"string", "a string", parse_string},
    [VG_CFG_PATH] = {"path", "a file path", parse_path},
    [VG_CFG_DURATION] = {"duration", "a duration like '1s'", parse_duration},
    [VG_CFG_SIZE] = {"size", "a size in bytes like '1048576' or '1MiB'", parse_size},
    [VG_CFG_BOOL] = {"boolean", "true or false", parse_bool},
    [VG_CFG_NUMBER] = {"number", "a number", parse_number},
};

const char *vg_cfg_type_expect(vg_cfg_type t) { return types[t].expect; }

/* Is the parsed value in slot inside k's bounds? *bound_out names the
 * bound broken. */
static bool in_bounds(const vg_cfg_key *k, const void *slot, const char **bound_out)
{
    for (int hi = 0; hi < 2; hi++) {
        const char *b = hi ? k->max : k->min;
        union {
            int64_t i;
            double d;
        } bound;
        if (!b || types[k->type].parse(NULL, b, strlen(b), &bound) != 0)
            continue;
        bool num = k->type == VG_CFG_NUMBER;
        double v = num ? *(const double *)slot : (double)*(const int64_t *)slot;
        double lim = num ? bound.d : (double)bound.i;
        if (hi ? v > lim : v < lim) {
            *bound_out = b;
            return false;
        }
    }
    return true;
}

int vg_cfg_parse(const vg_cfg_key *k, const char *dir, const char *s, size_t n, void *slot,
                 const char **bound_out)
{
    *bound_out = NULL;
    int rc = types[k->type].parse(dir, s, n, slot);
    if (rc == 0 && !in_bounds(k, slot, bound_out))
        return VG_CFG_BAD;
    return rc;
}

/* ---- looking keys up, defaults ---- */

const vg_cfg_key *vg_cfg_key_find(vg_cfg_file file, const char *path)
{
    for (size_t i = 0; i < vg_cfg_nkeys; i++)
        if (vg_cfg_keys[i].file == file && strcmp(vg_cfg_keys[i].path, path) == 0)
            return &vg_cfg_keys[i];
    return NULL;
}

bool vg_cfg_key_is_child(const vg_cfg_key *k, const char *parent)
{
    size_t n = strlen(parent);
    const char *rest = k->path;
    if (n) {
        if (strncmp(k->path, parent, n) != 0 || k->path[n] != '.')
            return false;
        rest = k->path + n + 1;
    }
    return strchr(rest, '.') == NULL;
}

static bool is_below(const vg_cfg_key *k, const char *pattern)
{
    size_t n = strlen(pattern);
    if (n && (strncmp(k->path, pattern, n) != 0 || k->path[n] != '.'))
        return false;
    return strchr(k->path + n, '*') == NULL;
}

int vg_cfg_apply_defaults(vg_cfg_file file, const char *pattern, void *obj, bool deep,
                          vg_error *err)
{
    for (size_t i = 0; i < vg_cfg_nkeys; i++) {
        const vg_cfg_key *k = &vg_cfg_keys[i];
        if (k->file != file || !k->def ||
            !(deep ? is_below(k, pattern) : vg_cfg_key_is_child(k, pattern)))
            continue;
        /* defaults are never relative paths, so no folder is needed */
        if (types[k->type].parse(NULL, k->def, strlen(k->def), (char *)obj + k->off) != 0)
            return vg_error_set(err, VG_ERR_NOMEM, "out of memory");
    }
    return 0;
}

/* ---- the reference ---- */

static const char *const intro[] = {
    "# pipeline.yaml",
    "",
    "<!-- Generated from the key table in engine/config_keys.c by `make docs`; do not edit. -->",
    "",
    "SQL says what to compute; `pipeline.yaml` says where it runs. `PIPELINE` on",
    "the command line is a `.sql` file (a pipeline with every default below and",
    "no bindings: give inputs and outputs with `--input` and `--output`), a",
    "`pipeline.yaml` (or any `.yaml`/`.yml` file), or a folder holding",
    "`pipeline.yaml` (else exactly one `.sql` file).",
    "",
    "Relative paths are relative to the folder of the `pipeline.yaml`, so a",
    "pipeline runs the same from any working directory. An unknown key, a",
    "repeated key or a value of the wrong type is an error that gives its line",
    "and column. `--input`/`--output` on the command line replace the binding",
    "of the same name.",
    "",
    "```yaml",
    "sql: [features.sql, rules.sql]",
    "sources:",
    "  payments: {kafka: {topic: payments, bootstrap: \"127.0.0.1:9092\", group: vigil-payments}}",
    "  # or: payments: {file: data/payments.jsonl}",
    "sinks:",
    "  decisions: {kafka: {topic: decisions, properties: {linger.ms: 5}}}",
    "  dead_letter: {file: out/dead_letter.jsonl}",
    "state: {store: state/payments.db, checkpoint_interval: 1s, ttl: 7d}",
    "admin: {listen: \"127.0.0.1:8470\"}",
    "limits: {max_event_bytes: 1MiB}",
    "```",
    "",
    "## Keys",
    "",
    "`<name>` stands for a stream or sink name. The sink `dead_letter` receives",
    "malformed events; a bare `SELECT` writes to the sink `stdout`.",
    "",
};

static const char *const value_types[] = {
    "",
    "## Value types",
    "",
    "- **duration**: `0`, or numbers with a unit, `ms`, `s`, `m`, `h` or `d`,",
    "  one after the other: `500ms`, `1s`, `2m`, `1h30m`, `7d`.",
    "- **size**: bytes, optionally with `KiB`, `MiB` or `GiB`: `1048576`, `1MiB`.",
    "- **path**: a file path, relative to the pipeline's folder unless absolute.",
    "- **mapping of strings**: property names and values, passed to librdkafka",
    "  as text (`enable.idempotence: true` passes `\"true\"`).",
    "",
    "## case.yaml",
    "",
    "A pipeline test case (`PIPELINE_DIR/tests/CASE/`) may hold a `case.yaml`",
    "that says how its output is compared with `expected/`:",
    "",
};

static void write_lines(FILE *out, const char *const *lines, size_t n)
{
    for (size_t i = 0; i < n; i++)
        fprintf(out, "%s\n", lines[i]);
}

/* A key path with '*' shown as <name>. */
static void write_key_path(FILE *out, const char *path)
{
    for (const char *c = path; *c; c++) {
        if (*c == '*')
            fputs("<name>", out);
        else
            fputc(*c, out);
    }
}

static void write_table(FILE *out, vg_cfg_file file)
{
    fprintf(out, "| key | type | default | description |\n|---|---|---|---|\n");
    for (size_t i = 0; i < vg_cfg_nkeys; i++) {
        const vg_cfg_key *k = &vg_cfg_keys[i];
        if (k->file != file)
            continue;
        fputs("| `", out);
        write_key_path(out, k->path);
        fprintf(out, "` | %s | ", types[k->type].name);
        if (k->def_doc)
            fputs(k->def_doc, out);
        else if (k->def)
            fprintf(out, "`%s`", k->def);
        else
            fputs("-", out);
        fprintf(out, " | %s", k->doc);
        if (k->min && k->max)
            fprintf(out, " From `%s` to `%s`.", k->min, k->max);
        else if (k->min)
            fprintf(out, " At least `%s`.", k->min);
        fputs(" |\n", out);
    }
}

void vg_config_write_markdown(FILE *out)
{
    write_lines(out, intro, sizeof intro / sizeof intro[0]);
    write_table(out, VG_CFG_PIPELINE);
    write_lines(out, value_types, sizeof value_types / sizeof value_types[0]);
    write_table(out, VG_CFG_CASE);
}
