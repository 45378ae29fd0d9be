/*
 * test_rules_file.c — the rules file: values and defaults, every error
 * with its line and column, and bad conditions positioned in the file for
 * every YAML scalar style.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/rules.h"
#include "engine/rules_file.h"
#include "tests/unit/check.h"

static vg_column cols[] = {
    {"amount", VG_T_DOUBLE}, {"card_n_1h", VG_T_BIGINT}, {"country", VG_T_STRING}};
static const vg_schema schema = {3, cols};

static size_t mem_total(void)
{
    size_t n = 0;
    for (int t = 0; t < VG_MEM_NTAGS; t++)
        n += vg_mem_in_use((vg_mem_tag)t);
    return n;
}

static void test_parse(void)
{
    const char *text = "ruleset: payment_rules      # a comment\n"
                       "default: allow\n"
                       "rules:\n"
                       "  - rule_id: velocity_block\n"
                       "    priority: 100\n"
                       "    condition: card_n_1h > 10 AND amount > 500\n"
                       "    action: block\n"
                       "    mode: active\n"
                       "    enabled: true\n"
                       "  - rule_id: watch\n"
                       "    condition: country = 'NL'\n"
                       "    action: review\n"
                       "    mode: shadow\n"
                       "  - {rule_id: off, priority: -5, condition: 'TRUE', action: hold,"
                       " enabled: false}\n";
    vg_source src = {"rules.yaml", text, (uint32_t)strlen(text)};
    vg_arena *a = vg_arena_new(VG_MEM_OTHER, 1024);
    vg_rules_file f;
    vg_error err;
    vg_error_clear(&err);
    CHECK_INT(vg_rules_file_parse(&src, a, &f, &err), 0);
    CHECK_STR(f.ruleset, "payment_rules");
    CHECK_INT(f.ruleset_at.off, 9);
    CHECK_INT(f.ruleset_at.len, 13);
    CHECK_STR(f.default_action, "allow");
    CHECK_INT(f.nrules, 3);
    CHECK_INT(f.nshadow, 1);
    CHECK_INT(f.ndisabled, 1);
    if (f.nrules == 3) {
        vg_rule *r = f.rules;
        CHECK_STR(r[0].rule_id, "velocity_block");
        CHECK_INT(r[0].priority, 100);
        CHECK_STR(r[0].condition, "card_n_1h > 10 AND amount > 500");
        CHECK_STR(r[0].action, "block");
        CHECK(!r[0].shadow);
        CHECK(r[0].enabled);
        CHECK(r[0].src == &src);
        CHECK_INT(r[0].cond_off, (uint32_t)(strstr(text, "card_n_1h >") - text));
        CHECK(r[0].cond_map == NULL);
        CHECK(r[0].changed_by == NULL);
        CHECK_STR(r[1].rule_id, "watch");
        CHECK_INT(r[1].priority, 0);
        CHECK(r[1].shadow);
        CHECK(r[1].enabled);
        CHECK_STR(r[2].rule_id, "off");
        CHECK_INT(r[2].priority, -5);
        CHECK_STR(r[2].condition, "TRUE");
        CHECK(!r[2].enabled);
        CHECK(r[2].cond_map != NULL);
    }
    vg_arena_free(a);

    /* optional ruleset and default; no rules */
    text = "rules:\n";
    src = (vg_source){"r.yaml", text, (uint32_t)strlen(text)};
    a = vg_arena_new(VG_MEM_OTHER, 1024);
    CHECK_INT(vg_rules_file_parse(&src, a, &f, &err), 0);
    CHECK(f.ruleset == NULL);
    CHECK(f.default_action == NULL);
    CHECK_INT(f.nrules, 0);
    vg_arena_free(a);
}

/* Parse text expecting an error; returns it. */
static vg_error parse_fails(const char *text)
{
    vg_source src = {"rules.yaml", text, (uint32_t)strlen(text)};
    vg_arena *a = vg_arena_new(VG_MEM_OTHER, 1024);
    vg_rules_file f;
    vg_error err;
    vg_error_clear(&err);
    CHECK_INT(vg_rules_file_parse(&src, a, &f, &err), -1);
    CHECK_INT(f.nrules, 0);
    vg_arena_free(a);
    return err;
}

typedef struct bad_file {
    const char *text;
    vg_errcode code;
    const char *msg;
    uint32_t line, col, mark_len;
} bad_file;

static const bad_file bad_files[] = {
    {"rules: []\nrulez: 1\n", VG_ERR_CONFIG,
     "unknown key 'rulez' in the rules file; expected ruleset, default or rules", 2, 1, 5},
    {"rules:\n  - rule_id: a\n    condition: TRUE\n    action: block\n    prio: 3\n",
     VG_ERR_CONFIG,
     "unknown key 'prio' in a rule; expected rule_id, priority, condition, action, mode or "
     "enabled",
     5, 5, 4},
    {"rules:\n  - condition: TRUE\n    action: block\n", VG_ERR_CONFIG, "rule 1 has no rule_id",
     2, 5, 15},
    {"rules:\n  - rule_id: a\n    action: block\n", VG_ERR_CONFIG, "rule 'a' has no condition",
     2, 5, 10},
    {"rules:\n  - rule_id: a\n    condition: TRUE\n", VG_ERR_CONFIG, "rule 'a' has no action", 2,
     5, 10},
    {"rules:\n  - {rule_id: a, condition: x, action: b}\n  - {rule_id: a, condition: y, action: "
     "c}\n",
     VG_ERR_CONFIG, "duplicate rule_id 'a' (first at line 2)", 3, 15, 1},
    {"rules:\n  - {rule_id: a, condition: x, action: b, mode: passive}\n", VG_ERR_CONFIG,
     "expected mode active or shadow, got 'passive'", 2, 49, 7},
    {"rules:\n  - {rule_id: a, condition: x, action: b, priority: high}\n", VG_ERR_CONFIG,
     "expected an integer priority, got 'high'", 2, 53, 4},
    {"rules:\n  - {rule_id: a, condition: x, action: b, enabled: yes}\n", VG_ERR_CONFIG,
     "expected true or false, got 'yes'", 2, 52, 3},
    {"rules:\n  - {rule_id: a, condition: x, action: b, action: c}\n", VG_ERR_CONFIG,
     "duplicate key 'action'", 2, 43, 6},
    {"rules:\n  - {rule_id: '', condition: x, action: b}\n", VG_ERR_CONFIG,
     "expected a rule_id, got ''", 2, 15, 2},
    {"rules:\n  - {rule_id: a, condition: [x], action: b}\n", VG_ERR_CONFIG,
     "expected a condition, got a list", 2, 29, 3},
    {"rules:\n  - just a string\n", VG_ERR_CONFIG,
     "expected a rule (a mapping with rule_id, condition, action), got 'just a string'", 2, 5,
     13},
    {"rules: {a: 1}\n", VG_ERR_CONFIG, "expected a list of rules, got a mapping", 1, 8, 6},
    {"ruleset: [a]\nrules:\n", VG_ERR_CONFIG, "expected a ruleset name, got a list", 1, 10, 3},
    {"default: allow\n", VG_ERR_CONFIG, "the rules file has no 'rules:'", 1, 1, 14},
    {"- a\n- b\n", VG_ERR_CONFIG, "expected a mapping with 'rules:', got a list", 1, 1, 3},
    {"", VG_ERR_CONFIG, "the rules file is empty; expected 'rules:'", 1, 1, 1},
    {"rules:\n  - {rule_id: a\n", VG_ERR_SYNTAX,
     "invalid YAML: did not find expected ',' or '}' (while parsing a flow mapping)", 3, 1, 1},
    {"rules: []\n---\nrules: []\n", VG_ERR_CONFIG,
     "the rules file holds more than one YAML document", 3, 1, 9},
};

static void test_errors(void)
{
    for (size_t i = 0; i < sizeof bad_files / sizeof bad_files[0]; i++) {
        const bad_file *b = &bad_files[i];
        vg_error e = parse_fails(b->text);
        CHECK_INT(e.code, b->code);
        CHECK_STR(e.msg, b->msg);
        CHECK_STR(e.file, "rules.yaml");
        CHECK_INT(e.line, b->line);
        CHECK_INT(e.col, b->col);
        CHECK_INT(e.mark_len, b->mark_len);
        if (e.line != b->line || e.col != b->col || e.mark_len != b->mark_len)
            fprintf(stderr, "  (case %zu: %u:%u len %u)\n", i, e.line, e.col, e.mark_len);
    }
}

/* Parse text (one rule) and compile it; the compile error. */
static vg_error compile_fails(const char *text)
{
    vg_source src = {"rules.yaml", text, (uint32_t)strlen(text)};
    vg_arena *a = vg_arena_new(VG_MEM_OTHER, 1024);
    vg_rules_file f;
    vg_error err;
    vg_error_clear(&err);
    CHECK_INT(vg_rules_file_parse(&src, a, &f, &err), 0);
    if (err.code)
        fprintf(stderr, "  parse: %s\n", err.msg);
    vg_ruleset *rs = vg_ruleset_compile("r", 1, "allow", f.rules, f.nrules, &schema, &err);
    CHECK(rs == NULL);
    vg_ruleset_free(rs);
    vg_arena_free(a);
    return err;
}

typedef struct bad_cond {
    const char *text;
    const char *msg;
    uint32_t line, col, mark_len;
    const char *source_line;
} bad_cond;

#define UNKNOWN_AMT "rule 'x': unknown column 'amt'"
static const bad_cond bad_conds[] = {
    /* plain */
    {"rules:\n  - rule_id: x\n    action: b\n    condition: country = 'NL' AND amt > 5\n",
     UNKNOWN_AMT, 4, 35, 3, "    condition: country = 'NL' AND amt > 5"},
    /* single-quoted with a doubled quote */
    {"rules:\n  - rule_id: x\n    action: b\n    condition: 'country = ''NL'' AND amt > 5'\n",
     UNKNOWN_AMT, 4, 38, 3, "    condition: 'country = ''NL'' AND amt > 5'"},
    /* double-quoted with escapes */
    {"rules:\n  - rule_id: x\n    action: b\n    condition: \"country = 'N\\\"L' AND amt > 5\"\n",
     UNKNOWN_AMT, 4, 38, 3, "    condition: \"country = 'N\\\"L' AND amt > 5\""},
    /* flow mapping */
    {"rules:\n  - {rule_id: x, action: b, condition: amt > 5}\n", UNKNOWN_AMT, 2, 40, 3,
     "  - {rule_id: x, action: b, condition: amt > 5}"},
    /* literal block */
    {"rules:\n  - rule_id: x\n    action: b\n    condition: |\n      country = 'NL'\n"
     "        AND amt > 5\n",
     UNKNOWN_AMT, 6, 13, 3, "        AND amt > 5"},
    /* folded block */
    {"rules:\n  - rule_id: x\n    action: b\n    condition: >\n      country = 'NL'\n"
     "      AND amt > 5\n",
     UNKNOWN_AMT, 6, 11, 3, "      AND amt > 5"},
    /* plain over two lines */
    {"rules:\n  - rule_id: x\n    action: b\n    condition: country = 'NL'\n      AND amt > 5\n",
     UNKNOWN_AMT, 5, 11, 3, "      AND amt > 5"},
    /* syntax error */
    {"rules:\n  - rule_id: x\n    action: b\n    condition: amount > > 5\n",
     "rule 'x': syntax error at '>': expected an expression", 4, 25, 1,
     "    condition: amount > > 5"},
    /* not BOOLEAN: the whole condition */
    {"rules:\n  - rule_id: x\n    action: b\n    condition: amount + 1\n",
     "rule 'x': condition must be BOOLEAN, not DOUBLE", 4, 16, 10, "    condition: amount + 1"},
};

static void test_conditions(void)
{
    for (size_t i = 0; i < sizeof bad_conds / sizeof bad_conds[0]; i++) {
        const bad_cond *b = &bad_conds[i];
        vg_error e = compile_fails(b->text);
        CHECK_STR(e.msg, b->msg);
        CHECK_STR(e.file, "rules.yaml");
        CHECK_INT(e.line, b->line);
        CHECK_INT(e.col, b->col);
        CHECK_INT(e.mark_len, b->mark_len);
        CHECK_STR(e.source_line, b->source_line);
        if (e.line != b->line || e.col != b->col || e.mark_len != b->mark_len)
            fprintf(stderr, "  (case %zu: %u:%u len %u)\n", i, e.line, e.col, e.mark_len);
    }
}

static void test_read(void)
{
    char path[] = "/tmp/vg_rules_XXXXXX";
    int fd = mkstemp(path);
    const char *text = "rules:\n  - {rule_id: a, condition: amount > 1, action: block}\n";
    CHECK(fd >= 0 && write(fd, text, strlen(text)) == (ssize_t)strlen(text));
    close(fd);
    vg_arena *a = vg_arena_new(VG_MEM_OTHER, 256);
    vg_source src;
    vg_error err;
    vg_error_clear(&err);
    CHECK_INT(vg_rules_file_read(path, a, &src, &err), 0);
    CHECK_STR(src.name, path);
    CHECK_STR(src.text, text);
    CHECK_INT(src.len, strlen(text));
    vg_rules_file f;
    CHECK_INT(vg_rules_file_parse(&src, a, &f, &err), 0);
    CHECK_INT(f.nrules, 1);
    unlink(path);
    CHECK_INT(vg_rules_file_read("/nonexistent/rules.yaml", a, &src, &err), -1);
    CHECK_INT(err.code, VG_ERR_IO);
    CHECK_STR(err.msg, "cannot read rules file '/nonexistent/rules.yaml': No such file or "
                       "directory");
    vg_arena_free(a);
}

static void test_alloc_failures(void)
{
    const char *text = "ruleset: p\ndefault: allow\nrules:\n"
                       "  - {rule_id: a, condition: 'amount > 1', action: block}\n"
                       "  - {rule_id: b, condition: amount > 2, action: review, mode: shadow}\n";
    vg_source src = {"rules.yaml", text, (uint32_t)strlen(text)};
    size_t before = mem_total();
    int nomem = 0, ok = 0;
    for (uint64_t k = 1; k < 100 && !ok; k++) {
        vg_error err;
        vg_error_clear(&err);
        vg_arena *a = vg_arena_new(VG_MEM_OTHER, 64);
        vg_rules_file f;
        vg_alloc_fail_at(k, 0);
        int rc = a ? vg_rules_file_parse(&src, a, &f, &err) : -1;
        vg_alloc_fail_at(0, 0);
        if (rc == 0) {
            ok = 1;
            CHECK_INT(f.nrules, 2);
            CHECK_INT(f.nshadow, 1);
        } else if (a) {
            nomem++;
            CHECK_INT(err.code, VG_ERR_NOMEM);
        }
        vg_arena_free(a);
        CHECK_INT(mem_total(), before);
    }
    CHECK(nomem >= 3);
    CHECK_INT(ok, 1);
}

int main(void)
{
    RUN(test_parse);
    RUN(test_errors);
    RUN(test_conditions);
    RUN(test_read);
    RUN(test_alloc_failures);
    return CHECK_DONE();
}
