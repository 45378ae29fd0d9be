/*
 * test_rules.c — compiled rulesets: priority order, shadow and disabled
 * rules, NULL conditions, the default action, every compile error with its
 * position, allocation failures; and a speed print for 100 rules.
 */
#include <string.h>
#include <time.h>

#include "engine/alloc.h"
#include "engine/rules.h"
#include "tests/unit/check.h"

static vg_column cols[] = {
    {"amount", VG_T_DOUBLE}, {"n", VG_T_BIGINT}, {"country", VG_T_STRING}, {"vip", VG_T_BOOL}};
static const vg_schema schema = {4, cols};

static vg_arena *scratch;
static vg_error run_err;
static vg_eval_ctx ctx;

static size_t mem_total(void)
{
    size_t n = 0;
    for (int t = 0; t < VG_MEM_NTAGS; t++)
        n += vg_mem_in_use((vg_mem_tag)t);
    return n;
}

static vg_rule rule(const char *id, int64_t prio, const char *cond, const char *action)
{
    vg_rule r = {0};
    r.rule_id = id;
    r.priority = prio;
    r.condition = cond;
    r.action = action;
    r.enabled = true;
    return r;
}

/* Apply rs to (amount, n, country, vip); a NULL-ish argument is given as a flag. */
typedef struct row_in {
    double amount;
    int64_t n;
    const char *country; /* NULL: SQL NULL */
    int vip;             /* -1: SQL NULL */
    int amount_null;
} row_in;

static char got[5][256];

static void apply(const vg_ruleset *rs, row_in in)
{
    vg_value row[4];
    row[0] = in.amount_null ? vg_null() : vg_double(in.amount);
    row[1] = vg_int(in.n);
    row[2] = in.country ? vg_str(in.country, (uint32_t)strlen(in.country)) : vg_null();
    row[3] = in.vip < 0 ? vg_null() : vg_bool(in.vip);
    vg_value out[VG_RULES_NOUT];
    vg_ruleset_apply(rs, row, &ctx, out);
    for (int i = 0; i < 4; i++) {
        if (out[i].null)
            snprintf(got[i], sizeof got[i], "NULL");
        else
            snprintf(got[i], sizeof got[i], "%.*s", (int)out[i].len, out[i].u.s);
    }
    snprintf(got[4], sizeof got[4], "%lld", (long long)out[4].u.i);
}

static void test_columns(void)
{
    CHECK_STR(vg_rules_out_columns[0].name, "decision");
    CHECK_STR(vg_rules_out_columns[1].name, "rule_id");
    CHECK_STR(vg_rules_out_columns[2].name, "matched_rules");
    CHECK_STR(vg_rules_out_columns[3].name, "shadow_rules");
    CHECK_STR(vg_rules_out_columns[4].name, "rules_version");
    CHECK_INT(vg_rules_out_columns[0].type, VG_T_STRING);
    CHECK_INT(vg_rules_out_columns[3].type, VG_T_STRING);
    CHECK_INT(vg_rules_out_columns[4].type, VG_T_BIGINT);
}

static void test_priority(void)
{
    vg_rule rules[] = {
        rule("small", 10, "amount > 100", "review"),
        rule("big", 100, "amount > 500", "block"),
        rule("b_tie", 50, "n > 3", "review"),
        rule("a_tie", 50, "n > 3", "hold"),
    };
    vg_error err;
    vg_error_clear(&err);
    vg_ruleset *rs = vg_ruleset_compile("pay", 7, "allow", rules, 4, &schema, &err);
    CHECK(rs != NULL);
    if (!rs)
        return;
    CHECK_STR(vg_ruleset_name(rs), "pay");
    CHECK_INT(vg_ruleset_version(rs), 7);
    CHECK_STR(vg_ruleset_default_action(rs), "allow");
    CHECK_INT(vg_ruleset_nrules(rs), 4);
    CHECK_STR(vg_ruleset_rule(rs, 0)->rule_id, "big");
    CHECK_STR(vg_ruleset_rule(rs, 1)->rule_id, "a_tie");
    CHECK_STR(vg_ruleset_rule(rs, 2)->rule_id, "b_tie");
    CHECK_STR(vg_ruleset_rule(rs, 3)->rule_id, "small");
    CHECK(vg_ruleset_rule(rs, 4) == NULL);

    apply(rs, (row_in){1000, 5, "NL", 0, 0});
    CHECK_STR(got[0], "block");
    CHECK_STR(got[1], "big");
    CHECK_STR(got[2], "big,a_tie,b_tie,small");
    CHECK_STR(got[3], "");
    CHECK_STR(got[4], "7");

    apply(rs, (row_in){200, 5, "NL", 0, 0});
    CHECK_STR(got[0], "hold");
    CHECK_STR(got[1], "a_tie");
    CHECK_STR(got[2], "a_tie,b_tie,small");

    apply(rs, (row_in){200, 1, "NL", 0, 0});
    CHECK_STR(got[0], "review");
    CHECK_STR(got[1], "small");
    CHECK_STR(got[2], "small");

    apply(rs, (row_in){50, 1, "NL", 0, 0});
    CHECK_STR(got[0], "allow");
    CHECK_STR(got[1], "NULL");
    CHECK_STR(got[2], "");
    CHECK_STR(got[3], "");
    CHECK_STR(got[4], "7");
    vg_ruleset_free(rs);
}

static void test_shadow_disabled(void)
{
    vg_rule rules[] = {
        rule("s_high", 1000, "amount > 10", "block"),
        rule("live", 10, "amount > 100", "review"),
        rule("off", 500, "amount > 0", "block"),
        rule("s_low", 1, "country = 'NL'", "block"),
        rule("off_shadow", 2, "TRUE", "block"),
    };
    rules[0].shadow = true;
    rules[2].enabled = false;
    rules[3].shadow = true;
    rules[4].shadow = true;
    rules[4].enabled = false;
    vg_error err;
    vg_error_clear(&err);
    vg_ruleset *rs = vg_ruleset_compile("pay", 2, "allow", rules, 5, &schema, &err);
    CHECK(rs != NULL);
    if (!rs)
        return;
    apply(rs, (row_in){200, 0, "NL", 0, 0});
    CHECK_STR(got[0], "review");
    CHECK_STR(got[1], "live");
    CHECK_STR(got[2], "live");
    CHECK_STR(got[3], "s_high,s_low");
    apply(rs, (row_in){20, 0, "DE", 0, 0});
    CHECK_STR(got[0], "allow");
    CHECK_STR(got[1], "NULL");
    CHECK_STR(got[2], "");
    CHECK_STR(got[3], "s_high");
    /* a disabled rule is kept, in order, flagged */
    CHECK_STR(vg_ruleset_rule(rs, 1)->rule_id, "off");
    CHECK(!vg_ruleset_rule(rs, 1)->enabled);
    CHECK(vg_ruleset_rule(rs, 0)->shadow);
    vg_ruleset_free(rs);
}

static void test_nulls(void)
{
    vg_rule rules[] = {
        rule("big", 100, "amount > 500", "block"),
        rule("nl", 90, "country = 'NL' OR vip", "review"),
        rule("nothing", 80, "NULL", "block"),
        rule("not_vip", 70, "NOT vip", "hold"),
        rule("missing", 60, "amount IS NULL", "review"),
        rule("div", 50, "n / 0 = 1 OR n / 0 IS NULL AND FALSE", "block"),
    };
    vg_error err;
    vg_error_clear(&err);
    vg_ruleset *rs = vg_ruleset_compile("pay", 1, "allow", rules, 6, &schema, &err);
    CHECK(rs != NULL);
    if (!rs) {
        fprintf(stderr, "%s\n", err.msg);
        return;
    }
    /* NULL amount: amount > 500 is NULL, no match; NULL country, NULL vip: nl is NULL */
    apply(rs, (row_in){0, 1, NULL, -1, 1});
    CHECK_STR(got[0], "review");
    CHECK_STR(got[1], "missing");
    CHECK_STR(got[2], "missing");
    /* NULL country OR TRUE is TRUE */
    apply(rs, (row_in){1, 1, NULL, 1, 0});
    CHECK_STR(got[1], "nl");
    CHECK_STR(got[2], "nl");
    apply(rs, (row_in){1, 1, "DE", 0, 0});
    CHECK_STR(got[0], "hold");
    CHECK_STR(got[2], "not_vip");
    vg_ruleset_free(rs);
}

static void test_empty(void)
{
    vg_error err;
    vg_error_clear(&err);
    vg_ruleset *rs = vg_ruleset_compile("none", 3, "review", NULL, 0, &schema, &err);
    CHECK(rs != NULL);
    if (!rs)
        return;
    apply(rs, (row_in){1, 1, "DE", 0, 0});
    CHECK_STR(got[0], "review");
    CHECK_STR(got[1], "NULL");
    CHECK_STR(got[2], "");
    CHECK_STR(got[4], "3");
    vg_ruleset_free(rs);
}

/* Compile rules expecting an error; returns it. */
static vg_error fails(const vg_rule *rules, uint32_t n, const char *def)
{
    vg_error err;
    vg_error_clear(&err);
    vg_ruleset *rs = vg_ruleset_compile("pay", 1, def, rules, n, &schema, &err);
    CHECK(rs == NULL);
    vg_ruleset_free(rs);
    return err;
}

static const char file_text[] = "rules:\n"
                                "  - rule_id: a\n"
                                "    condition: amount > 1\n"
                                "  - rule_id: bad\n"
                                "    condition: amount > 10 AND amout < 3\n"
                                "  - rule_id: quoted\n"
                                "    condition: \"country = 'N\\\"L' AND amout\"\n";

static void test_errors_in_file(void)
{
    vg_source src = {"rules.yaml", file_text, sizeof file_text - 1};
    const char *bad_at = strstr(file_text, "amount > 10");
    vg_rule rules[] = {rule("a", 1, "amount > 1", "block"),
                       rule("bad", 2, "amount > 10 AND amout < 3", "block")};
    rules[0].src = rules[1].src = &src;
    rules[0].cond_off = (uint32_t)(strstr(file_text, "amount > 1\n") - file_text);
    rules[1].cond_off = (uint32_t)(bad_at - file_text);
    vg_error e = fails(rules, 2, "allow");
    CHECK_INT(e.code, VG_ERR_NAME);
    CHECK_STR(e.msg, "rule 'bad': unknown column 'amout' (did you mean 'amount'?)");
    CHECK_STR(e.file, "rules.yaml");
    CHECK_INT(e.line, 5);
    CHECK_INT(e.col, 32);
    CHECK_INT(e.mark_len, 5);
    CHECK_STR(e.source_line, "    condition: amount > 10 AND amout < 3");

    /* a quoted scalar with an escape: a map from condition bytes to the file */
    const char *cond = "country = 'N\"L' AND amout";
    const char *raw = strstr(file_text, "\"country") + 1;
    uint32_t map[64];
    uint32_t k = 0, base = (uint32_t)(raw - file_text);
    for (uint32_t i = 0, j = 0; i <= strlen(cond); i++, j++) {
        if (raw[j] == '\\')
            j++;
        map[k++] = base + j;
    }
    vg_rule q = rule("quoted", 1, cond, "block");
    q.src = &src;
    q.cond_map = map;
    e = fails(&q, 1, "allow");
    CHECK_STR(e.msg, "rule 'quoted': unknown column 'amout' (did you mean 'amount'?)");
    CHECK_INT(e.line, 7);
    CHECK_INT(e.col, 38);
    CHECK_INT(e.mark_len, 5);

    /* not BOOLEAN: the whole condition */
    vg_rule d = rule("dbl", 1, "amount * 2", "block");
    d.src = &src;
    d.cond_off = rules[1].cond_off;
    e = fails(&d, 1, "allow");
    CHECK_INT(e.code, VG_ERR_TYPE);
    CHECK_STR(e.msg, "rule 'dbl': condition must be BOOLEAN, not DOUBLE");
    CHECK_INT(e.line, 5);
    CHECK_INT(e.col, 16);
    CHECK_INT(e.mark_len, 10);
}

static void test_errors_no_file(void)
{
    vg_rule r = rule("syn", 1, "amount >> 3", "block");
    vg_error e = fails(&r, 1, "allow");
    CHECK_INT(e.code, VG_ERR_SYNTAX);
    CHECK_STR(e.msg, "rule 'syn': syntax error at '>': expected an expression");
    CHECK_STR(e.file, "<rule syn>");
    CHECK_INT(e.line, 1);
    CHECK_INT(e.col, 9);
    CHECK_STR(e.source_line, "amount >> 3");

    r = rule("typ", 1, "country > 3", "block");
    e = fails(&r, 1, "allow");
    CHECK_INT(e.code, VG_ERR_TYPE);
    CHECK_STR(e.msg, "rule 'typ': cannot compare STRING with INT");
    CHECK_INT(e.col, 9);

    r = rule("str", 1, "country", "block");
    e = fails(&r, 1, "allow");
    CHECK_STR(e.msg, "rule 'str': condition must be BOOLEAN, not STRING");
    CHECK_INT(e.col, 1);
    CHECK_INT(e.mark_len, 7);

    r = rule("empty", 1, "", "block");
    e = fails(&r, 1, "allow");
    CHECK_INT(e.code, VG_ERR_SYNTAX);
    CHECK_STR(e.msg, "rule 'empty': syntax error at end of input: expected an expression");

    r = rule("multi", 1, "amount > 1\n  AND nn = 2", "block");
    e = fails(&r, 1, "allow");
    CHECK_STR(e.msg, "rule 'multi': unknown column 'nn' (did you mean 'n'?)");
    CHECK_INT(e.line, 2);
    CHECK_INT(e.col, 7);
    CHECK_STR(e.source_line, "  AND nn = 2");

    vg_rule two[] = {rule("x", 1, "TRUE", "block"), rule("x", 2, "TRUE", "allow")};
    e = fails(two, 2, "allow");
    CHECK_INT(e.code, VG_ERR_SEMANTIC);
    CHECK_STR(e.msg, "duplicate rule_id 'x'");
    CHECK(!e.has_pos);

    vg_rule noact[] = {rule("x", 1, "TRUE", "block"), rule("y", 2, "TRUE", "")};
    e = fails(noact, 2, "allow");
    CHECK_STR(e.msg, "rule 'y' has no action");
    vg_rule noid[] = {rule("x", 1, "TRUE", "block"), rule(NULL, 2, "TRUE", "block")};
    e = fails(noid, 2, "allow");
    CHECK_STR(e.msg, "rule 2 has no rule_id");
    e = fails(noid, 1, NULL);
    CHECK_STR(e.msg, "ruleset 'pay' has no default action");
}

static void test_alloc_failures(void)
{
    vg_rule rules[] = {rule("r1", 1, "country LIKE 'N%' AND amount > 2", "block"),
                       rule("r2", 2, "REGEXP_EXTRACT(country, '(.)', 1) = 'N'", "review"),
                       rule("r3", 3, "n IN (1, 2, 3)", "hold")};
    size_t before = mem_total();
    int nomem = 0, ok = 0;
    for (uint64_t k = 1; k < 1000 && !ok; k++) {
        vg_error err;
        vg_error_clear(&err);
        vg_alloc_fail_at(k, 0);
        vg_ruleset *rs = vg_ruleset_compile("pay", 1, "allow", rules, 3, &schema, &err);
        vg_alloc_fail_at(0, 0);
        if (!rs) {
            nomem += err.code == VG_ERR_NOMEM;
            CHECK_INT(err.code, VG_ERR_NOMEM);
            CHECK_STR(err.msg, "out of memory");
        } else {
            ok = 1;
            apply(rs, (row_in){5, 2, "NL", 0, 0});
            CHECK_STR(got[2], "r3,r2,r1");
            vg_ruleset_free(rs);
        }
        CHECK_INT(mem_total(), before);
    }
    CHECK(nomem >= 5);
    CHECK_INT(ok, 1);

    /* the scratch arena cannot grow: the first id only, and an error */
    vg_ruleset *rs = vg_ruleset_compile("pay", 1, "allow", rules, 3, &schema, &run_err);
    vg_arena *tiny = vg_arena_new(VG_MEM_EXPR, 16);
    vg_eval_ctx c2 = {tiny, &run_err};
    vg_value row[4] = {vg_double(5), vg_int(2), vg_str("NL", 2), vg_bool(0)}, out[5];
    vg_alloc_fail_at(1, 1); /* the joined ids do not fit the 16-byte first chunk */
    vg_ruleset_apply(rs, row, &c2, out);
    vg_alloc_fail_at(0, 0);
    CHECK_INT(run_err.code, VG_ERR_NOMEM);
    CHECK_STR(run_err.msg, "out of memory");
    CHECK_INT(out[2].len, 2);
    CHECK(memcmp(out[2].u.s, "r3", 2) == 0);
    vg_error_clear(&run_err);
    vg_arena_free(tiny);
    vg_ruleset_free(rs);
}

/* 100 rules of the shapes analysts write; ns per event over many rows. */
static void test_speed(void)
{
    enum { NR = 100, NROWS = 4096, REPS = 100 };
    static char conds[NR][96], ids[NR][16];
    vg_rule rules[NR];
    static const char *const shapes[] = {
        "amount > %d AND n > %d",
        "country = 'C%d' AND amount > %d",
        "n BETWEEN %d AND %d",
        "amount > %d OR (vip AND n > %d)",
        "country IN ('A%d', 'B%d', 'NL')",
    };
    for (int i = 0; i < NR; i++) {
        snprintf(ids[i], sizeof ids[i], "r%03d", i);
        snprintf(conds[i], sizeof conds[i], shapes[i % 5], 100 + i * 13, i % 17 + 3);
        rules[i] = rule(ids[i], i % 10, conds[i], i % 3 ? "review" : "block");
        rules[i].shadow = i % 7 == 0;
    }
    vg_error err;
    vg_error_clear(&err);
    vg_ruleset *rs = vg_ruleset_compile("bench", 1, "allow", rules, NR, &schema, &err);
    CHECK(rs != NULL);
    if (!rs)
        return;
    static vg_value rows[NROWS][4];
    static const char *const cc[] = {"NL", "DE", "C5", "A3", "US"};
    uint32_t x = 12345;
    for (int i = 0; i < NROWS; i++) {
        x = x * 1103515245u + 12345u;
        rows[i][0] = vg_double((double)(x >> 16) / 20.0);
        rows[i][1] = vg_int((int64_t)(x >> 8) % 30);
        const char *c = cc[(x >> 4) % 5];
        rows[i][2] = vg_str(c, (uint32_t)strlen(c));
        rows[i][3] = vg_bool(x & 1);
    }
    struct timespec t0, t1;
    uint64_t sum = 0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (int r = 0; r < REPS; r++) {
        for (int i = 0; i < NROWS; i++) {
            vg_value out[5];
            vg_ruleset_apply(rs, rows[i], &ctx, out);
            sum += out[2].len;
        }
        vg_arena_reset(scratch);
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double ns = ((double)(t1.tv_sec - t0.tv_sec) * 1e9 + (double)(t1.tv_nsec - t0.tv_nsec)) /
                (NROWS * REPS);
    fprintf(stderr, "speed: 100 rules, %.0f ns per event (matched bytes %llu)\n", ns,
            (unsigned long long)sum);
    CHECK(sum > 0);
    vg_ruleset_free(rs);
}

int main(void)
{
    scratch = vg_arena_new(VG_MEM_EXPR, 65536);
    vg_error_clear(&run_err);
    ctx = (vg_eval_ctx){scratch, &run_err};
    RUN(test_columns);
    RUN(test_priority);
    RUN(test_shadow_disabled);
    RUN(test_nulls);
    RUN(test_empty);
    RUN(test_errors_in_file);
    RUN(test_errors_no_file);
    RUN(test_alloc_failures);
    RUN(test_speed);
    vg_arena_free(scratch);
    return CHECK_DONE();
}
