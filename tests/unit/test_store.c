/*
 * test_store.c — the metadata store: schema and migration, the model
 * registry (hashes, identical bytes, activation), ruleset versions (kept,
 * active, changed_by/changed_at carried over), errors, allocation failures.
 */
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/store.h"
#include "tests/unit/check.h"

static char dir[64];
static int64_t now_ms = 1000;

static int64_t fixed_clock(void *arg)
{
    return *(const int64_t *)arg;
}

static size_t mem_total(void)
{
    size_t n = 0;
    for (int t = 0; t < VG_MEM_NTAGS; t++)
        n += vg_mem_in_use((vg_mem_tag)t);
    return n;
}

static const char *path_in_dir(const char *name)
{
    static char buf[4][128];
    static int k;
    char *p = buf[k++ % 4];
    snprintf(p, 128, "%s/%s", dir, name);
    return p;
}

/* Run SQL on a store file directly; returns the first column of the first row as text. */
static const char *raw_sql(const char *path, const char *sql)
{
    static char out[128];
    sqlite3 *db;
    sqlite3_stmt *s;
    out[0] = 0;
    if (sqlite3_open(path, &db) != SQLITE_OK)
        return "open failed";
    if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) == SQLITE_OK) {
        if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_text(s, 0))
            snprintf(out, sizeof out, "%s", (const char *)sqlite3_column_text(s, 0));
        sqlite3_finalize(s);
    } else
        snprintf(out, sizeof out, "error: %s", sqlite3_errmsg(db));
    sqlite3_close(db);
    return out;
}

static vg_store *open_fixed(const char *path)
{
    vg_error err;
    vg_error_clear(&err);
    vg_store *st = vg_store_open(path, &err);
    CHECK(st != NULL);
    if (!st)
        fprintf(stderr, "open: %s\n", err.msg);
    else
        vg_store_set_clock(st, fixed_clock, &now_ms);
    return st;
}

static void test_open(void)
{
    vg_store *st = open_fixed(":memory:");
    if (!st)
        return;
    CHECK_INT(vg_store_schema_version(st), 4);
    vg_store_close(st);
    vg_store_close(NULL);

    const char *p = path_in_dir("a.db");
    st = open_fixed(p);
    vg_store_close(st);
    CHECK_STR(raw_sql(p, "SELECT value FROM meta WHERE key = 'schema_version'"), "4");
    CHECK_STR(raw_sql(p, "PRAGMA journal_mode"), "wal");
    /* meta, models, rulesets, rules; five checkpoint tables and AUTOINCREMENT's sqlite_sequence
     * (schema 2, tests/unit/test_checkpoint.c); the turn log (schema 3); the plans' SQL and
     * the checkpoints' versions (schema 4) */
    CHECK_STR(raw_sql(p, "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table'"), "13");
    st = open_fixed(p); /* reopening does not migrate again */
    vg_store_close(st);

    vg_error err;
    vg_error_clear(&err);
    raw_sql(p, "UPDATE meta SET value = '99' WHERE key = 'schema_version'");
    CHECK(vg_store_open(p, &err) == NULL);
    CHECK_INT(err.code, VG_ERR_IO);
    char want[256];
    snprintf(want, sizeof want, "store '%s' has schema version 99, newer than this vigil's (4)", p);
    CHECK_STR(err.msg, want);

    const char *other = path_in_dir("other.db");
    raw_sql(other, "CREATE TABLE foo (x)");
    vg_error_clear(&err);
    CHECK(vg_store_open(other, &err) == NULL);
    snprintf(want, sizeof want, "store '%s' is not a vigil store (it has no meta table)", other);
    CHECK_STR(err.msg, want);

    const char *junk = path_in_dir("junk.db");
    FILE *f = fopen(junk, "w");
    fputs("this is not a database, just some text long enough to fill a header ........"
          "...............................................................",
          f);
    fclose(f);
    vg_error_clear(&err);
    CHECK(vg_store_open(junk, &err) == NULL);
    snprintf(want, sizeof want, "store '%s': file is not a database", junk);
    CHECK_STR(err.msg, want);

    vg_error_clear(&err);
    CHECK(vg_store_open("/dev/null/dir/x.db", &err) == NULL);
    CHECK_STR(err.msg, "store '/dev/null/dir/x.db': unable to open database file");
}

typedef struct model_seen {
    int n;
    char lines[8][160];
} model_seen;

static int collect_model(const vg_model_rec *r, void *arg)
{
    model_seen *s = arg;
    if (s->n < 8)
        snprintf(s->lines[s->n++], sizeof s->lines[0], "%s v%lld %s %.8s %zu %s %lld%s", r->name,
                 (long long)r->version, r->type, r->sha256, r->size, r->path,
                 (long long)r->loaded_at, r->active ? " active" : "");
    return 0;
}

static void test_models(void)
{
    vg_store *st = open_fixed(":memory:");
    if (!st)
        return;
    vg_error err;
    vg_error_clear(&err);
    vg_model_rec rec = {.name = "fraud", .type = "xgboost", .path = "m/a.json", .bytes = "abc",
                        .size = 3, .input_schema = "amount DOUBLE", .output_schema = "score DOUBLE"};
    int64_t v = 0;
    now_ms = 5000;
    CHECK_INT(vg_store_model_add(st, &rec, &v, &err), 0);
    CHECK_INT(v, 1);
    now_ms = 6000;
    rec.path = "m/again.json"; /* the same bytes under another path: the same version */
    CHECK_INT(vg_store_model_add(st, &rec, &v, &err), 0);
    CHECK_INT(v, 1);
    rec.bytes = "abcd";
    rec.size = 4;
    CHECK_INT(vg_store_model_add(st, &rec, &v, &err), 0);
    CHECK_INT(v, 2);

    vg_arena *a = vg_arena_new(VG_MEM_OTHER, 1024);
    vg_model_rec got;
    CHECK_INT(vg_store_model_active(st, "fraud", &got, a, &err), 0);
    CHECK_INT(got.version, 1); /* the first version stays active */
    CHECK_STR(got.sha256, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    CHECK_STR(got.path, "m/a.json");
    CHECK_STR(got.input_schema, "amount DOUBLE");
    CHECK_STR(got.output_schema, "score DOUBLE");
    CHECK(got.shadow_of == NULL);
    CHECK_INT(got.loaded_at, 5000);
    CHECK_INT(got.size, 3);
    CHECK(got.active);

    CHECK_INT(vg_store_model_activate(st, "fraud", 2, &err), 0);
    CHECK_INT(vg_store_model_active(st, "fraud", &got, a, &err), 0);
    CHECK_INT(got.version, 2);
    CHECK_STR(got.sha256, "88d4266fd4e6338d13b845fcf289579d209c897823b9217da3e161936f031589");
    CHECK_INT(got.loaded_at, 6000);
    CHECK_INT(vg_store_model_active(st, "nope", &got, a, &err), 1);
    CHECK(!vg_error_is_set(&err));

    CHECK_INT(vg_store_model_activate(st, "fraud", 5, &err), -1);
    CHECK_INT(err.code, VG_ERR_NAME);
    CHECK_STR(err.msg, "model 'fraud' has no version 5");
    vg_error_clear(&err);
    CHECK_INT(vg_store_model_active(st, "fraud", &got, a, &err), 0);
    CHECK_INT(got.version, 2); /* unchanged by the failed activation */

    /* from a file; a shadow model */
    const char *p = path_in_dir("model.json");
    FILE *f = fopen(p, "w");
    fputs("abc", f);
    fclose(f);
    vg_model_rec frec = {.name = "shadowm", .type = "logistic", .path = p, .shadow_of = "fraud"};
    CHECK_INT(vg_store_model_add(st, &frec, &v, &err), 0);
    CHECK_INT(v, 1);
    CHECK_INT(vg_store_model_active(st, "shadowm", &got, a, &err), 0);
    CHECK_STR(got.shadow_of, "fraud");
    CHECK_STR(got.sha256, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    CHECK_INT(got.size, 3);
    CHECK(got.input_schema == NULL);

    frec.path = "/nonexistent/m.json";
    CHECK_INT(vg_store_model_add(st, &frec, &v, &err), -1);
    CHECK_INT(err.code, VG_ERR_IO);
    CHECK_STR(err.msg, "cannot read model file '/nonexistent/m.json': No such file or directory");
    vg_error_clear(&err);

    model_seen seen = {0};
    CHECK_INT(vg_store_model_list(st, collect_model, &seen, &err), 0);
    CHECK_INT(seen.n, 3);
    CHECK_STR(seen.lines[0], "fraud v1 xgboost ba7816bf 3 m/a.json 5000");
    CHECK_STR(seen.lines[1], "fraud v2 xgboost 88d4266f 4 m/again.json 6000 active");
    CHECK(strncmp(seen.lines[2], "shadowm v1 logistic ba7816bf 3 ", 31) == 0);
    vg_arena_free(a);
    vg_store_close(st);
}

static vg_rule rl(const char *id, int64_t prio, const char *cond, const char *action, bool shadow,
                  bool enabled)
{
    vg_rule r = {0};
    r.rule_id = id;
    r.priority = prio;
    r.condition = cond;
    r.action = action;
    r.shadow = shadow;
    r.enabled = enabled;
    r.changed_by = "ignored";
    r.changed_at = 42;
    return r;
}

typedef struct rs_seen {
    int n;
    char lines[8][160];
} rs_seen;

static int collect_rs(const vg_ruleset_rec *r, void *arg)
{
    rs_seen *s = arg;
    if (s->n < 8)
        snprintf(s->lines[s->n++], sizeof s->lines[0], "%s v%lld %s %s %lld %s %u%s", r->ruleset,
                 (long long)r->version, r->default_action, r->changed_by ? r->changed_by : "-",
                 (long long)r->changed_at, r->source ? r->source : "-", r->nrules,
                 r->active ? " active" : "");
    return s->n >= 3; /* stop after three */
}

static void test_rules(void)
{
    const char *p = path_in_dir("rules.db");
    vg_store *st = open_fixed(p);
    if (!st)
        return;
    vg_error err;
    vg_error_clear(&err);
    vg_rule v1[] = {rl("a", 10, "amount > 1", "block", false, true),
                    rl("b", 20, "n > 2", "review", false, true),
                    rl("c", 20, "TRUE", "hold", true, false)};
    int64_t ver = 0;
    now_ms = 1000;
    CHECK_INT(vg_store_rules_put(st, "pay", "allow", v1, 3, "alice", "rules.yaml", &ver, &err), 0);
    CHECK_INT(ver, 1);
    vg_rule v2[] = {rl("a", 10, "amount > 1", "block", false, true),   /* same */
                    rl("b", 20, "n > 3", "review", false, true),       /* condition changed */
                    rl("c", 20, "TRUE", "hold", true, true),           /* enabled changed */
                    rl("d", 5, "country = 'NL'", "review", false, true)}; /* new */
    now_ms = 2000;
    CHECK_INT(vg_store_rules_put(st, "pay", "review", v2, 4, "bob", NULL, &ver, &err), 0);
    CHECK_INT(ver, 2);
    vg_store_close(st);
    st = open_fixed(p); /* it is all on disk */
    if (!st)
        return;

    vg_arena *a = vg_arena_new(VG_MEM_OTHER, 1024);
    vg_ruleset_rec info;
    vg_rule *rules;
    uint32_t n;
    CHECK_INT(vg_store_rules_get(st, "pay", 0, a, &info, &rules, &n, &err), 0);
    CHECK_INT(info.version, 2);
    CHECK_STR(info.ruleset, "pay");
    CHECK_STR(info.default_action, "review");
    CHECK_STR(info.changed_by, "bob");
    CHECK_INT(info.changed_at, 2000);
    CHECK(info.source == NULL);
    CHECK(info.active);
    CHECK_INT(info.nrules, 4);
    CHECK_INT(n, 4);
    if (n == 4) {
        /* priority order: b, c (20), a (10), d (5) */
        CHECK_STR(rules[0].rule_id, "b");
        CHECK_STR(rules[0].condition, "n > 3");
        CHECK_STR(rules[0].changed_by, "bob");
        CHECK_INT(rules[0].changed_at, 2000);
        CHECK_STR(rules[1].rule_id, "c");
        CHECK(rules[1].shadow);
        CHECK(rules[1].enabled);
        CHECK_STR(rules[1].changed_by, "bob");
        CHECK_STR(rules[2].rule_id, "a");
        CHECK_STR(rules[2].changed_by, "alice");
        CHECK_INT(rules[2].changed_at, 1000);
        CHECK_STR(rules[2].action, "block");
        CHECK_INT(rules[2].priority, 10);
        CHECK(!rules[2].shadow);
        CHECK(rules[2].src == NULL);
        CHECK_STR(rules[3].rule_id, "d");
        CHECK_STR(rules[3].condition, "country = 'NL'");
    }

    /* version 1 is kept as it was */
    CHECK_INT(vg_store_rules_get(st, "pay", 1, a, &info, &rules, &n, &err), 0);
    CHECK_INT(info.version, 1);
    CHECK(!info.active);
    CHECK_STR(info.source, "rules.yaml");
    CHECK_STR(info.default_action, "allow");
    CHECK_INT(n, 3);
    if (n == 3) {
        CHECK_STR(rules[0].rule_id, "b");
        CHECK_STR(rules[0].condition, "n > 2");
        CHECK_STR(rules[1].rule_id, "c");
        CHECK(!rules[1].enabled);
        CHECK_STR(rules[2].changed_by, "alice");
    }
    CHECK_INT(vg_store_rules_get(st, "pay", 3, a, &info, &rules, &n, &err), 1);
    CHECK(rules == NULL);
    CHECK_INT(vg_store_rules_get(st, "other", 0, a, &info, &rules, &n, &err), 1);
    CHECK(!vg_error_is_set(&err));

    /* rollback to version 1, then a new version compares with the latest (2) */
    CHECK_INT(vg_store_rules_activate(st, "pay", 1, &err), 0);
    CHECK_INT(vg_store_rules_get(st, "pay", 0, a, &info, &rules, &n, &err), 0);
    CHECK_INT(info.version, 1);
    CHECK_INT(vg_store_rules_activate(st, "pay", 7, &err), -1);
    CHECK_STR(err.msg, "ruleset 'pay' has no version 7");
    CHECK_INT(err.code, VG_ERR_NAME);
    vg_error_clear(&err);

    now_ms = 3000;
    CHECK_INT(vg_store_rules_put(st, "pay", "allow", v2, 1, "carol", "x.yaml", &ver, &err), 0);
    CHECK_INT(ver, 3);
    CHECK_INT(vg_store_rules_get(st, "pay", 0, a, &info, &rules, &n, &err), 0);
    CHECK_INT(info.version, 3);
    CHECK_INT(n, 1);
    CHECK_STR(rules[0].changed_by, "alice");
    CHECK_INT(rules[0].changed_at, 1000);
    CHECK_INT(vg_store_rules_put(st, "empty", "allow", NULL, 0, "dave", NULL, &ver, &err), 0);
    CHECK_INT(ver, 1);
    CHECK_INT(vg_store_rules_get(st, "empty", 0, a, &info, &rules, &n, &err), 0);
    CHECK_INT(n, 0);

    rs_seen seen = {0};
    CHECK_INT(vg_store_rules_versions(st, NULL, collect_rs, &seen, &err), 0);
    CHECK_INT(seen.n, 3);
    CHECK_STR(seen.lines[0], "empty v1 allow dave 3000 - 0 active");
    CHECK_STR(seen.lines[1], "pay v1 allow alice 1000 rules.yaml 3");
    CHECK_STR(seen.lines[2], "pay v2 review bob 2000 - 4");
    memset(&seen, 0, sizeof seen);
    CHECK_INT(vg_store_rules_versions(st, "pay", collect_rs, &seen, &err), 0);
    CHECK_STR(seen.lines[0], "pay v1 allow alice 1000 rules.yaml 3");

    /* a duplicate rule_id is refused by the database, and nothing is stored */
    vg_rule dup[] = {rl("x", 1, "TRUE", "block", false, true),
                     rl("x", 2, "TRUE", "block", false, true)};
    CHECK_INT(vg_store_rules_put(st, "pay", "allow", dup, 2, "eve", NULL, &ver, &err), -1);
    CHECK_INT(err.code, VG_ERR_IO);
    char want[256];
    snprintf(want, sizeof want,
             "store '%s': UNIQUE constraint failed: rules.ruleset, rules.version, rules.rule_id",
             p);
    CHECK_STR(err.msg, want);
    vg_error_clear(&err);
    CHECK_INT(vg_store_rules_get(st, "pay", 0, a, &info, &rules, &n, &err), 0);
    CHECK_INT(info.version, 3);
    CHECK_INT(vg_store_rules_get(st, "pay", 4, a, &info, &rules, &n, &err), 1);
    vg_arena_free(a);
    vg_store_close(st);
}

static void test_alloc_failures(void)
{
    size_t before = mem_total();
    int nomem = 0, ok = 0;
    for (uint64_t k = 1; k < 50 && !ok; k++) {
        vg_error err;
        vg_error_clear(&err);
        vg_alloc_fail_at(k, 0);
        vg_store *st = vg_store_open(":memory:", &err);
        vg_alloc_fail_at(0, 0);
        if (st) {
            ok = 1;
            vg_store_close(st);
        } else {
            nomem++;
            CHECK_STR(err.msg, "out of memory");
        }
        CHECK_INT(mem_total(), before);
    }
    CHECK_INT(nomem, 2);
    CHECK_INT(ok, 1);

    vg_store *st = open_fixed(":memory:");
    if (!st)
        return;
    vg_error err;
    vg_error_clear(&err);
    vg_rule r[] = {rl("a", 1, "TRUE", "block", false, true), rl("b", 2, "FALSE", "hold", 0, 1)};
    int64_t ver;
    vg_store_rules_put(st, "pay", "allow", r, 2, "x", "src", &ver, &err);
    vg_model_rec rec = {.name = "m", .type = "linear", .path = "p", .bytes = "x", .size = 1,
                        .input_schema = "a DOUBLE", .output_schema = "s DOUBLE"};
    vg_store_model_add(st, &rec, &ver, &err);
    nomem = ok = 0;
    for (uint64_t k = 1; k < 50 && !ok; k++) {
        vg_arena *a = vg_arena_new(VG_MEM_OTHER, 64);
        vg_ruleset_rec info;
        vg_rule *rules;
        uint32_t n;
        vg_model_rec m;
        vg_error_clear(&err);
        vg_alloc_fail_at(k, 1);
        int rc1 = vg_store_rules_get(st, "pay", 0, a, &info, &rules, &n, &err);
        int rc2 = rc1 == 0 ? vg_store_model_active(st, "m", &m, a, &err) : -1;
        vg_alloc_fail_at(0, 0);
        if (rc1 == 0 && rc2 == 0) {
            ok = 1;
            CHECK_INT(n, 2);
            CHECK_STR(rules[1].changed_by, "x");
            CHECK_STR(m.output_schema, "s DOUBLE");
        } else {
            nomem++;
            CHECK_INT(err.code, VG_ERR_NOMEM);
            CHECK(rc1 != 0 || rc2 != 0);
        }
        vg_arena_free(a);
    }
    CHECK(nomem >= 2);
    CHECK_INT(ok, 1);
    vg_store_close(st);
}

int main(void)
{
    snprintf(dir, sizeof dir, "/tmp/vg_store_XXXXXX");
    if (!mkdtemp(dir))
        return 1;
    RUN(test_open);
    RUN(test_models);
    RUN(test_rules);
    RUN(test_alloc_failures);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
    return CHECK_DONE();
}
