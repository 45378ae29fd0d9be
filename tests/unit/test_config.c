/*
 * test_config.c — pipeline.yaml and case.yaml loading: every key, every
 * default, every error with its exact text, line and column; allocation
 * failures; and the committed docs/pipeline-yaml.md against the table.
 *
 * The tests write their files into a fresh temporary folder and work from
 * there, so paths in messages are short and stable.
 *
 *     build/tests/test_config              run the tests
 *     build/tests/test_config --markdown   print docs/pipeline-yaml.md
 */
#define _XOPEN_SOURCE 700
#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/alloc.h"
#include "engine/config.h"
#include "tests/unit/check.h"

static char docs_path[PATH_MAX]; /* the committed reference, found before leaving the cwd */

/* Write text to path (relative to the temporary folder), making folders. */
static void write_file(const char *path, const char *text)
{
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s", path);
    for (char *s = strchr(dir, '/'); s; s = strchr(s + 1, '/')) {
        *s = 0;
        mkdir(dir, 0755);
        *s = '/';
    }
    FILE *f = fopen(path, "w");
    if (!f) {
        perror(path);
        exit(2);
    }
    fputs(text, f);
    fclose(f);
}

static vg_config *load_ok(const char *path)
{
    vg_config *cfg = NULL;
    vg_error err;
    vg_error_clear(&err);
    int rc = vg_config_load(path, &cfg, &err);
    CHECK_INT(rc, 0);
    if (rc != 0)
        fprintf(stderr, "  loading %s: %s (line %u col %u)\n", path, err.msg, err.line, err.col);
    return cfg;
}

/* Load path and check the error: code, message and, when line > 0, the
 * position (file, line, column). */
static void expect_error_at(int from, const char *path, vg_errcode code, const char *msg,
                            uint32_t line, uint32_t col)
{
    int before = check_failed;
    vg_config *cfg = (vg_config *)1;
    vg_error err;
    vg_error_clear(&err);
    CHECK_INT(vg_config_load(path, &cfg, &err), -1);
    CHECK(cfg == NULL);
    CHECK_INT(err.code, code);
    CHECK_STR(err.msg, msg);
    CHECK_INT(err.has_pos, line > 0);
    if (line > 0) {
        CHECK_STR(err.file, path);
        CHECK_INT(err.line, line);
        CHECK_INT(err.col, col);
    }
    if (check_failed != before)
        fprintf(stderr, "  (expect_error from line %d)\n", from);
}
#define EXPECT_ERROR(path, code, msg, line, col)                                                   \
    expect_error_at(__LINE__, path, code, msg, line, col)

/* A pipeline.yaml in e/ (with e/q.sql beside it) that must fail. */
static void yaml_error_at(int from, const char *yaml, vg_errcode code, const char *msg,
                          uint32_t line, uint32_t col)
{
    write_file("e/q.sql", "SELECT 1;\n");
    write_file("e/pipeline.yaml", yaml);
    expect_error_at(from, "e/pipeline.yaml", code, msg, line, col);
}
#define YAML_ERROR(yaml, msg, line, col)                                                           \
    yaml_error_at(__LINE__, yaml, VG_ERR_CONFIG, msg, line, col)

/* ---- loading ---- */

static void test_sql_file_defaults(void)
{
    write_file("solo/query.sql", "SELECT 1;\n");
    vg_config *cfg = load_ok("solo/query.sql");
    if (!cfg)
        return;
    CHECK_STR(cfg->dir, "solo");
    CHECK_STR(cfg->name, "query");
    CHECK(cfg->yaml_path == NULL);
    CHECK(cfg->yaml.text == NULL);
    CHECK_INT(cfg->nsql, 1);
    CHECK_STR(cfg->sql[0].path, "solo/query.sql");
    CHECK_STR(cfg->sql[0].text, "SELECT 1;\n");
    CHECK_INT(cfg->sql[0].len, 10);
    CHECK_INT(cfg->sql[0].at.len, 0);
    CHECK_INT(cfg->nsources, 0);
    CHECK_INT(cfg->nsinks, 0);
    CHECK(cfg->state.store == NULL);
    CHECK_INT(cfg->state.checkpoint_interval_ms, 1000);
    CHECK_INT(cfg->state.ttl_ms, 0);
    CHECK(cfg->admin.listen == NULL); /* vigil run serves no admin API unless told */
    CHECK(cfg->admin.token == NULL);
    CHECK(cfg->control.topic == NULL);
    CHECK_STR(cfg->control.bootstrap, "127.0.0.1:9092");
    CHECK_INT(cfg->limits.max_event_bytes, 1048576);
    vg_config_free(cfg);

    write_file("query2.sql", "SELECT 2;\n");
    cfg = load_ok("query2.sql");
    if (cfg) {
        CHECK_STR(cfg->dir, ".");
        CHECK_STR(cfg->sql[0].path, "query2.sql");
        CHECK_STR(cfg->name, "query2");
    }
    vg_config_free(cfg);
}

static const char full_yaml[] =
    "# every key\n"
    "name: pay\n"
    "sql: [features.sql, sub/rules.sql]\n"
    "sources:\n"
    "  payments: {file: data/payments.jsonl}\n"
    "  clicks:\n"
    "    kafka:\n"
    "      topic: click-events\n"
    "      bootstrap: \"10.0.0.1:9092,10.0.0.2:9092\"\n"
    "      group: g1\n"
    "      properties: {auto.offset.reset: earliest, fetch.wait.max.ms: 5}\n"
    "  logins: {kafka: {}}\n"
    "  stdin: {file: '-'}\n"
    "sinks:\n"
    "  decisions: {kafka: {properties: {linger.ms: 5, enable.idempotence: true}}}\n"
    "  dead_letter: {file: /abs/dead.jsonl}\n"
    "state: {store: state/pay.db, checkpoint_interval: 500ms, ttl: 7d,\n"
    "        view_ttl: {card_history: 1d, seen: 30m}}\n"
    "admin: {listen: \"0.0.0.0:9000\", token: s3cret}\n"
    "control:\n"
    "  kafka: {topic: pay.control, properties: {fetch.wait.max.ms: 10}}\n"
    "  reply: {kafka: {topic: pay.replies, bootstrap: \"10.0.0.3:9092\"}, file: out/replies.jsonl}\n"
    "limits: {max_event_bytes: 64KiB}\n";

static void check_full(const vg_config *cfg)
{
    CHECK_STR(cfg->dir, "full");
    CHECK_STR(cfg->name, "pay");
    CHECK_STR(cfg->yaml_path, "full/pipeline.yaml");
    CHECK_STR(cfg->yaml.name, "full/pipeline.yaml");
    CHECK_INT(cfg->yaml.len, strlen(full_yaml));
    CHECK_INT(cfg->nsql, 2);
    CHECK_STR(cfg->sql[0].path, "full/features.sql");
    CHECK_STR(cfg->sql[0].text, "-- features\n");
    CHECK_STR(cfg->sql[1].path, "full/sub/rules.sql");
    CHECK_STR(cfg->sql[1].text, "");
    CHECK_INT(cfg->sql[1].at.off, strstr(full_yaml, "sub/rules.sql") - full_yaml);
    CHECK_INT(cfg->sql[1].at.len, strlen("sub/rules.sql"));
    CHECK_INT(cfg->nsources, 4);
    const vg_binding *b = &cfg->sources[0];
    CHECK_STR(b->name, "payments");
    CHECK_INT(b->kind, VG_BINDING_FILE);
    CHECK_STR(b->path, "full/data/payments.jsonl");
    CHECK(b->topic == NULL && b->bootstrap == NULL && b->group == NULL && b->nprops == 0);
    CHECK_INT(b->at.off, strstr(full_yaml, "payments:") - full_yaml);
    CHECK_INT(b->at.len, 8);
    b = &cfg->sources[1];
    CHECK_STR(b->name, "clicks");
    CHECK_INT(b->kind, VG_BINDING_KAFKA);
    CHECK(b->path == NULL);
    CHECK_STR(b->topic, "click-events");
    CHECK_STR(b->bootstrap, "10.0.0.1:9092,10.0.0.2:9092");
    CHECK_STR(b->group, "g1");
    CHECK_INT(b->nprops, 2);
    if (b->nprops == 2) {
        CHECK_STR(b->props[0].key, "auto.offset.reset");
        CHECK_STR(b->props[0].value, "earliest");
        CHECK_STR(b->props[1].key, "fetch.wait.max.ms");
        CHECK_STR(b->props[1].value, "5");
    }
    b = &cfg->sources[2];
    CHECK_STR(b->name, "logins");
    CHECK_INT(b->kind, VG_BINDING_KAFKA);
    CHECK_STR(b->topic, "logins");
    CHECK_STR(b->bootstrap, "127.0.0.1:9092");
    CHECK_STR(b->group, "vigil-pay");
    CHECK_STR(cfg->sources[3].path, "-");
    CHECK_INT(cfg->nsinks, 2);
    b = vg_config_sink(cfg, "decisions");
    CHECK(b == &cfg->sinks[0]);
    CHECK_INT(b->kind, VG_BINDING_KAFKA);
    CHECK_STR(b->topic, "decisions");
    CHECK_STR(b->bootstrap, "127.0.0.1:9092");
    CHECK(b->group == NULL);
    CHECK_INT(b->nprops, 2);
    if (b->nprops == 2)
        CHECK_STR(b->props[1].value, "true");
    b = vg_config_sink(cfg, VG_CONFIG_DEAD_LETTER);
    CHECK(b == &cfg->sinks[1]);
    CHECK_STR(b->path, "/abs/dead.jsonl");
    CHECK_STR(cfg->state.store, "full/state/pay.db");
    CHECK_INT(cfg->state.checkpoint_interval_ms, 500);
    CHECK_INT(cfg->state.ttl_ms, 7 * 86400000LL);
    CHECK_INT(cfg->state.nview_ttls, 2);
    if (cfg->state.nview_ttls == 2) {
        CHECK_STR(cfg->state.view_ttls[0].view, "card_history");
        CHECK_INT(cfg->state.view_ttls[0].ttl_ms, 86400000LL);
        CHECK_INT(cfg->state.view_ttls[0].at.off, strstr(full_yaml, "card_history") - full_yaml);
        CHECK_INT(cfg->state.view_ttls[0].at.len, strlen("card_history"));
        CHECK_STR(cfg->state.view_ttls[1].view, "seen");
        CHECK_INT(cfg->state.view_ttls[1].ttl_ms, 1800000);
    }
    CHECK_STR(cfg->admin.listen, "0.0.0.0:9000");
    CHECK_STR(cfg->admin.token, "s3cret");
    CHECK_STR(cfg->control.topic, "pay.control");
    CHECK_STR(cfg->control.bootstrap, "127.0.0.1:9092");
    CHECK_INT(cfg->control.nprops, 1);
    if (cfg->control.nprops == 1) {
        CHECK_STR(cfg->control.props[0].key, "fetch.wait.max.ms");
        CHECK_STR(cfg->control.props[0].value, "10");
    }
    CHECK_STR(cfg->control.reply_topic, "pay.replies");
    CHECK_STR(cfg->control.reply_bootstrap, "10.0.0.3:9092");
    CHECK_STR(cfg->control.reply_path, "full/out/replies.jsonl");
    CHECK_INT(cfg->limits.max_event_bytes, 65536);
    CHECK(vg_config_source(cfg, "clicks") == &cfg->sources[1]);
    CHECK(vg_config_source(cfg, "nope") == NULL);
    CHECK(vg_config_sink(cfg, "payments") == NULL);
}

static void write_full(void)
{
    write_file("full/pipeline.yaml", full_yaml);
    write_file("full/features.sql", "-- features\n");
    write_file("full/sub/rules.sql", "");
}

static void test_every_key(void)
{
    write_full();
    vg_config *cfg = load_ok("full/pipeline.yaml");
    if (cfg)
        check_full(cfg);
    vg_config_free(cfg);
    cfg = load_ok("full"); /* the folder finds pipeline.yaml */
    if (cfg)
        check_full(cfg);
    vg_config_free(cfg);
    cfg = load_ok("full/"); /* a trailing slash changes nothing */
    if (cfg)
        CHECK_STR(cfg->sql[0].path, "full/features.sql");
    vg_config_free(cfg);
}

static void test_folder_forms(void)
{
    write_file("yml/pipeline.yml", "sql: a.sql\n");
    write_file("yml/a.sql", "SELECT 1;\n");
    vg_config *cfg = load_ok("yml");
    if (cfg) {
        CHECK_STR(cfg->yaml_path, "yml/pipeline.yml");
        CHECK_INT(cfg->nsql, 1);
        CHECK_STR(cfg->sql[0].path, "yml/a.sql");
        CHECK_STR(cfg->name, "yml");
    }
    vg_config_free(cfg);

    write_file("onesql/only.sql", "SELECT 1;\n");
    cfg = load_ok("onesql");
    if (cfg) {
        CHECK(cfg->yaml_path == NULL);
        CHECK_STR(cfg->sql[0].path, "onesql/only.sql");
        CHECK_STR(cfg->dir, "onesql");
    }
    vg_config_free(cfg);

    /* no sql key: every .sql file of the folder in name order */
    write_file("nosql/pipeline.yaml", "state: {ttl: 1h30m}\n");
    write_file("nosql/b.sql", "B");
    write_file("nosql/a.sql", "A");
    write_file("nosql/c.txt", "C");
    cfg = load_ok("nosql");
    if (cfg) {
        CHECK_INT(cfg->nsql, 2);
        if (cfg->nsql == 2) {
            CHECK_STR(cfg->sql[0].path, "nosql/a.sql");
            CHECK_STR(cfg->sql[1].text, "B");
        }
        CHECK_INT(cfg->state.ttl_ms, 5400000);
        CHECK_STR(cfg->name, "nosql");
    }
    vg_config_free(cfg);

    /* an empty pipeline.yaml is all defaults */
    write_file("empty/pipeline.yaml", "# nothing\n");
    write_file("empty/x.sql", "X");
    cfg = load_ok("empty");
    if (cfg) {
        CHECK_INT(cfg->nsql, 1);
        CHECK_INT(cfg->limits.max_event_bytes, 1048576);
    }
    vg_config_free(cfg);

    /* empty sections keep their defaults */
    write_file("nulls/pipeline.yaml", "sql: x.sql\nstate:\nadmin: ~\nsources: {}\n");
    write_file("nulls/x.sql", "X");
    cfg = load_ok("nulls");
    if (cfg) {
        CHECK_INT(cfg->state.checkpoint_interval_ms, 1000);
        CHECK(cfg->admin.listen == NULL);
    }
    vg_config_free(cfg);
}

static void test_path_errors(void)
{
    EXPECT_ERROR("missing", VG_ERR_CONFIG, "cannot open 'missing': No such file or directory", 0,
                 0);
    write_file("notes.txt", "x");
    EXPECT_ERROR("notes.txt", VG_ERR_CONFIG,
                 "'notes.txt' is not a pipeline: give a .sql file, a pipeline.yaml or a folder "
                 "holding one",
                 0, 0);
    mkdir("bare", 0755);
    EXPECT_ERROR("bare", VG_ERR_CONFIG, "'bare' holds no pipeline.yaml and no .sql file", 0, 0);
    write_file("two/a.sql", "A");
    write_file("two/b.sql", "B");
    EXPECT_ERROR("two", VG_ERR_CONFIG,
                 "'two' holds no pipeline.yaml and 2 .sql files; name the one to run", 0, 0);
    write_file("nosqlfiles/pipeline.yaml", "admin: {listen: x}\n");
    EXPECT_ERROR("nosqlfiles", VG_ERR_CONFIG,
                 "pipeline.yaml sets no 'sql' and 'nosqlfiles' holds no .sql file", 0, 0);
    EXPECT_ERROR("nothere.sql", VG_ERR_CONFIG,
                 "cannot open 'nothere.sql': No such file or directory", 0, 0);
}

static void test_key_errors(void)
{
    YAML_ERROR("sql: q.sql\nsorces: {}\n",
               "unknown key 'sorces' in pipeline.yaml; did you mean 'sources'?", 2, 1);
    YAML_ERROR("zzz: 1\n", "unknown key 'zzz' in pipeline.yaml", 1, 1);
    YAML_ERROR("state:\n  ttl: 1d\n  stor: x.db\n",
               "unknown key 'stor' in 'state'; did you mean 'store'?", 3, 3);
    YAML_ERROR("sources:\n  p: {kafka: {topc: t}}\n",
               "unknown key 'topc' in 'sources.p.kafka'; did you mean 'topic'?", 2, 15);
    YAML_ERROR("sinks:\n  out: {kafka: {group: g}}\n", "unknown key 'group' in 'sinks.out.kafka'",
               2, 17);
    YAML_ERROR("sources:\n  p: {file: a, path: b}\n", "unknown key 'path' in 'sources.p'", 2, 16);
    YAML_ERROR("state.ttl: 1s\n", "unknown key 'state.ttl' in pipeline.yaml", 1, 1);
    YAML_ERROR("sql: q.sql\nsql: q.sql\n", "duplicate key 'sql'", 2, 1);
    YAML_ERROR("sinks:\n  a: {file: x}\n  a: {file: y}\n", "duplicate key 'a'", 3, 3);
    YAML_ERROR("[1, 2]\n", "expected a mapping, got a list", 1, 1);
    YAML_ERROR("? [a]\n: 1\n", "expected a key name, got a list", 1, 3);
}

static void test_value_errors(void)
{
    YAML_ERROR("state: {checkpoint_interval: abc}\n", "expected a duration like '1s', got 'abc'", 1,
               30);
    YAML_ERROR("state:\n  ttl: 7 days\n", "expected a duration like '1s', got '7 days'", 2, 8);
    YAML_ERROR("state:\n  view_ttl: {v: 1 week}\n", "expected a duration like '1s', got '1 week'",
               2, 17);
    YAML_ERROR("state:\n  view_ttl: {v: [1s]}\n", "expected a duration like '1s', got a list", 2,
               17);
    YAML_ERROR("state:\n  view_ttl: [v]\n", "expected a mapping of view names to durations, "
               "got a list", 2, 13);
    YAML_ERROR("state:\n  view_ttl: {v: 1s, v: 2s}\n", "duplicate key 'v'", 2, 21);
    YAML_ERROR("state: {checkpoint_interval: 0}\n",
               "'state.checkpoint_interval' must be at least 1ms, got '0'", 1, 30);
    YAML_ERROR("limits: {max_event_bytes: 1MB}\n",
               "expected a size in bytes like '1048576' or '1MiB', got '1MB'", 1, 27);
    YAML_ERROR("limits: {max_event_bytes: 0}\n",
               "'limits.max_event_bytes' must be at least 1, got '0'", 1, 27);
    YAML_ERROR("limits: {max_event_bytes: 2GiB}\n",
               "'limits.max_event_bytes' must be at most 1GiB, got '2GiB'", 1, 27);
    YAML_ERROR("state: [a, b]\n", "expected a mapping, got a list", 1, 8);
    YAML_ERROR("state: fast\n", "expected a mapping, got 'fast'", 1, 8);
    YAML_ERROR("admin:\n  listen:\n    host: x\n", "expected a string, got a mapping", 3, 5);
    YAML_ERROR("admin: {listen: }\n", "expected a string, got nothing", 1, 17);
    YAML_ERROR("sql: {a: b}\n", "expected a file path or a list of them, got a mapping", 1, 6);
    YAML_ERROR("sql: []\n", "expected at least one SQL file", 1, 6);
    YAML_ERROR("sql: [q.sql, [x]]\n", "expected a file path, got a list", 1, 14);
    YAML_ERROR("sql: [q.sql, missing.sql]\n",
               "cannot open 'e/missing.sql': No such file or directory", 1, 14);
    YAML_ERROR("sources: [a]\n", "expected a mapping, got a list", 1, 10);
    YAML_ERROR("sources:\n  payments: data.jsonl\n",
               "expected a mapping with 'file' or 'kafka', got 'data.jsonl'", 2, 13);
    YAML_ERROR("sources:\n  payments:\n", "expected a mapping with 'file' or 'kafka', got nothing",
               2, 12);
    YAML_ERROR("sources:\n  payments: {file: a.jsonl, kafka: {topic: t}}\n",
               "stream 'payments' has both 'file' and 'kafka'; choose one", 2, 13);
    YAML_ERROR("sinks:\n  out: {}\n", "sink 'out' needs 'file' or 'kafka'", 2, 8);
    YAML_ERROR("sinks:\n  out: {file: ''}\n", "expected a file path, got ''", 2, 15);
    YAML_ERROR("sinks:\n  out: {kafka: {properties: {acks: [1]}}}\n",
               "expected a property value, got a list", 2, 36);
    YAML_ERROR("sinks:\n  out: {kafka: {properties: [acks]}}\n",
               "expected a mapping of property names to values, got a list", 2, 29);
    YAML_ERROR("name: [a]\n", "expected a string, got a list", 1, 7);
    YAML_ERROR("state: {ttl: abcdefghijklmnopqrstuvwxyz0123456789\xc3\xa9\xc3\xa9xyz}\n",
               "expected a duration like '1s', got 'abcdefghijklmnopqrstuvwxyz0123456789...'", 1,
               14);
}

static void test_yaml_syntax_errors(void)
{
    write_file("e/q.sql", "SELECT 1;\n");
    write_file("e/pipeline.yaml", "sql: [a.sql, b.sql\n");
    EXPECT_ERROR("e/pipeline.yaml", VG_ERR_SYNTAX,
                 "invalid YAML: did not find expected ',' or ']' (while parsing a flow sequence)",
                 2, 1);
    write_file("e/pipeline.yaml", "state:\n  ttl: 1s\n - x\n");
    EXPECT_ERROR("e/pipeline.yaml", VG_ERR_SYNTAX,
                 "invalid YAML: did not find expected key (while parsing a block mapping)", 3, 2);
    write_file("e/pipeline.yaml", "sql: q.sql\n---\nsql: q.sql\n");
    EXPECT_ERROR("e/pipeline.yaml", VG_ERR_CONFIG,
                 "pipeline.yaml holds more than one YAML document", 3, 1);
    write_file("e/pipeline.yaml", "sql: *nope\n");
    EXPECT_ERROR("e/pipeline.yaml", VG_ERR_SYNTAX, "invalid YAML: found undefined alias", 1, 6);
    /* columns count bytes: after a two-byte character the column moves by two */
    write_file("e/pipeline.yaml", "name: \"\xc3\xa9t\xc3\xa9\"\nstate: {ttl: x}\n");
    EXPECT_ERROR("e/pipeline.yaml", VG_ERR_CONFIG, "expected a duration like '1s', got 'x'", 2, 14);
    write_file("e/pipeline.yaml", "name: \"\xc3\xa9\"\nadmin: {listen: \"\xc3\xa9\", x: 1}\n");
    EXPECT_ERROR("e/pipeline.yaml", VG_ERR_CONFIG, "unknown key 'x' in 'admin'", 2, 23);
}

static void test_error_print(void)
{
    write_file("e/q.sql", "SELECT 1;\n");
    write_file("e/pipeline.yaml", "sql: q.sql\nsorces:\n  p: {file: x}\n");
    vg_config *cfg;
    vg_error err;
    vg_error_clear(&err);
    CHECK_INT(vg_config_load("e", &cfg, &err), -1);
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    vg_error_print(&err, f);
    fclose(f);
    CHECK_STR(text, "e/pipeline.yaml:2:1: error: unknown key 'sorces' in pipeline.yaml; did you "
                    "mean 'sources'?\n"
                    "  sorces:\n"
                    "  ^^^^^^\n");
    CHECK_INT(vg_error_exit_code(&err), 2);
    free(text);
}

/* ---- values ---- */

static void test_durations(void)
{
    static const struct {
        const char *text;
        int64_t ms;
    } ok[] = {
        {"0", 0},
        {"1ms", 1},
        {"500ms", 500},
        {"1s", 1000},
        {"2m", 120000},
        {"1h", 3600000},
        {"7d", 604800000},
        {"1h30m", 5400000},
        {"1m1s1ms", 61001},
        {"0s", 0},
        {"106751991167d", 106751991167LL * 86400000},
    };
    static const char *const bad[] = {
        "",     "abc", "1",    "10",  "s",  "1 s",           "1S",
        "1sec", "-1s", "1.5s", "1s ", "1y", "106751991168d", "99999999999999999999ms",
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        int64_t ms = -1;
        CHECK_INT(vg_config_parse_duration(ok[i].text, strlen(ok[i].text), &ms), 0);
        CHECK_INT(ms, ok[i].ms);
    }
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int64_t ms = 0;
        int rc = vg_config_parse_duration(bad[i], strlen(bad[i]), &ms);
        CHECK_INT(rc, -1);
        if (rc != -1)
            fprintf(stderr, "  accepted '%s'\n", bad[i]);
    }
}

static void test_sizes(void)
{
    static const struct {
        const char *text;
        int64_t bytes;
    } ok[] = {
        {"1", 1},          {"1048576", 1048576},   {"1KiB", 1024}, {"64KiB", 65536},
        {"1MiB", 1048576}, {"2GiB", 2147483648LL}, {"0", 0},
    };
    static const char *const bad[] = {"",
                                      "KiB",
                                      "1MB",
                                      "1 MiB",
                                      "-1",
                                      "1.5MiB",
                                      "1k",
                                      "99999999999999999999",
                                      "9999999999999GiB"};
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        int64_t b = -1;
        CHECK_INT(vg_config_parse_size(ok[i].text, strlen(ok[i].text), &b), 0);
        CHECK_INT(b, ok[i].bytes);
    }
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int64_t b = 0;
        CHECK_INT(vg_config_parse_size(bad[i], strlen(bad[i]), &b), -1);
    }
}

/* ---- bindings from the command line ---- */

static void test_bind_files(void)
{
    write_full();
    vg_config *cfg = load_ok("full");
    if (!cfg)
        return;
    vg_error err;
    vg_error_clear(&err);
    CHECK_INT(vg_config_bind_source_file(cfg, "clicks", "c.jsonl", &err), 0);
    CHECK_INT(cfg->nsources, 4);
    const vg_binding *b = vg_config_source(cfg, "clicks");
    CHECK(b == &cfg->sources[1]);
    CHECK_INT(b->kind, VG_BINDING_FILE);
    CHECK_STR(b->path, "c.jsonl");
    CHECK(b->topic == NULL && b->group == NULL && b->nprops == 0);
    CHECK_INT(b->at.len, 0);
    CHECK_INT(vg_config_bind_sink_file(cfg, "stdout", "-", &err), 0);
    CHECK_INT(cfg->nsinks, 3);
    CHECK_STR(vg_config_sink(cfg, "stdout")->path, "-");
    CHECK_STR(vg_config_sink(cfg, "decisions")->topic, "decisions");
    vg_config_free(cfg);
}

/* ---- case.yaml ---- */

static void case_error_at(int from, const char *yaml, vg_errcode code, const char *msg,
                          uint32_t line, uint32_t col)
{
    int before = check_failed;
    write_file("c/case.yaml", yaml);
    vg_case_config cc;
    vg_error err;
    vg_error_clear(&err);
    CHECK_INT(vg_config_load_case("c/case.yaml", &cc, &err), -1);
    CHECK_INT(err.code, code);
    CHECK_STR(err.msg, msg);
    CHECK_STR(err.file, "c/case.yaml");
    CHECK_INT(err.line, line);
    CHECK_INT(err.col, col);
    if (check_failed != before)
        fprintf(stderr, "  (case_error from line %d)\n", from);
}

static void test_case_yaml(void)
{
    vg_case_config cc = {false, 5};
    vg_error err;
    vg_error_clear(&err);
    CHECK_INT(vg_config_load_case("c/none.yaml", &cc, &err), 0);
    CHECK_INT(cc.ordered, true);
    CHECK(cc.tolerance == 0);
    write_file("c/case.yaml", "ordered: false\ntolerance: 1e-9\n");
    CHECK_INT(vg_config_load_case("c/case.yaml", &cc, &err), 0);
    CHECK_INT(cc.ordered, false);
    CHECK(cc.tolerance == 1e-9);
    write_file("c/case.yaml", "");
    CHECK_INT(vg_config_load_case("c/case.yaml", &cc, &err), 0);
    CHECK_INT(cc.ordered, true);
    case_error_at(__LINE__, "orderd: false\n", VG_ERR_CONFIG,
                  "unknown key 'orderd' in case.yaml; did you mean 'ordered'?", 1, 1);
    case_error_at(__LINE__, "ordered: no\n", VG_ERR_CONFIG, "expected true or false, got 'no'", 1,
                  10);
    case_error_at(__LINE__, "tolerance: small\n", VG_ERR_CONFIG, "expected a number, got 'small'",
                  1, 12);
    case_error_at(__LINE__, "tolerance: -1\n", VG_ERR_CONFIG,
                  "'tolerance' must be at least 0, got '-1'", 1, 12);
    case_error_at(__LINE__, "ordered: [\n", VG_ERR_SYNTAX,
                  "invalid YAML: did not find expected node content (while parsing a flow node)", 2,
                  1);
}

/* ---- allocation failures ---- */

/* Make each allocation of a load fail in turn: every one must end in
 * VG_ERR_NOMEM with nothing leaked, until the load succeeds. */
static void test_alloc_failures(void)
{
    write_full();
    size_t base = vg_mem_in_use(VG_MEM_OTHER);
    int failures = 0, wrong = 0;
    for (uint64_t n = 1; n < 10000; n++) {
        vg_config *cfg = NULL;
        vg_error err;
        vg_error_clear(&err);
        vg_alloc_fail_at(n, 0);
        int rc = vg_config_load("full", &cfg, &err);
        int injected = vg_alloc_failed();
        vg_alloc_fail_at(0, 0);
        if (rc == 0) {
            CHECK(!injected || cfg != NULL);
            vg_config_free(cfg);
            break;
        }
        failures++;
        if (err.code != VG_ERR_NOMEM || strcmp(err.msg, "out of memory") != 0 || cfg) {
            wrong++;
            fprintf(stderr, "  allocation %llu: code %d '%s'\n", (unsigned long long)n, err.code,
                    err.msg);
        }
        CHECK_INT(vg_mem_in_use(VG_MEM_OTHER), base);
    }
    CHECK(failures > 40);
    CHECK_INT(wrong, 0);
    CHECK_INT(vg_mem_in_use(VG_MEM_OTHER), base);

    /* bindings from the command line */
    vg_config *cfg = load_ok("full");
    if (!cfg)
        return;
    for (uint64_t n = 1; n <= 3; n++) {
        vg_error err;
        vg_error_clear(&err);
        vg_alloc_fail_at(n, 0);
        CHECK_INT(vg_config_bind_sink_file(cfg, "new", "n.jsonl", &err), -1);
        vg_alloc_fail_at(0, 0);
        CHECK_INT(err.code, VG_ERR_NOMEM);
        CHECK_INT(cfg->nsinks, 2);
    }
    vg_config_free(cfg);
    CHECK_INT(vg_mem_in_use(VG_MEM_OTHER), base);
}

/* ---- the reference ---- */

static char *generated_markdown(void)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    vg_config_write_markdown(f);
    fclose(f);
    return text;
}

static void test_docs_current(void)
{
    char *want = generated_markdown();
    FILE *f = fopen(docs_path, "r");
    CHECK(f != NULL);
    if (!f) {
        free(want);
        return;
    }
    char got[65536];
    size_t n = fread(got, 1, sizeof got - 1, f);
    got[n] = 0;
    fclose(f);
    CHECK(strcmp(got, want) == 0);
    if (strcmp(got, want) != 0)
        fprintf(stderr, "  docs/pipeline-yaml.md is stale: run `make docs`\n");
    CHECK(strstr(want, "| `state.checkpoint_interval` | duration | `1s` |") != NULL);
    CHECK(strstr(want, "| `sources.<name>.kafka.group` | string | `vigil-NAME` |") != NULL);
    free(want);
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "--markdown") == 0) {
        vg_config_write_markdown(stdout);
        return 0;
    }
    char cwd[PATH_MAX - 32];
    if (!getcwd(cwd, sizeof cwd))
        return 2;
    snprintf(docs_path, sizeof docs_path, "%s/docs/pipeline-yaml.md", cwd);
    char tmp[] = "/tmp/vigil-test-config.XXXXXX";
    if (!mkdtemp(tmp) || chdir(tmp) != 0)
        return 2;

    RUN(test_sql_file_defaults);
    RUN(test_every_key);
    RUN(test_folder_forms);
    RUN(test_path_errors);
    RUN(test_key_errors);
    RUN(test_value_errors);
    RUN(test_yaml_syntax_errors);
    RUN(test_error_print);
    RUN(test_durations);
    RUN(test_sizes);
    RUN(test_bind_files);
    RUN(test_case_yaml);
    RUN(test_alloc_failures);
    RUN(test_docs_current);

    if (chdir(cwd) == 0)
        nftw(tmp, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
    return CHECK_DONE();
}
