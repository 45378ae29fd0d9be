/*
 * test_rules_cmd.c — `vigil rules load|list`: what they print, what they
 * store, and that a bad file changes nothing.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/rules_cmd.h"
#include "tests/unit/check.h"

static char dir[64];
static vg_column cols[] = {{"amount", VG_T_DOUBLE}, {"card_n_1h", VG_T_BIGINT}};
static const vg_schema schema = {2, cols};
static char printed[4096];

static const char *path_in_dir(const char *name)
{
    static char buf[16][128];
    static int k;
    char *p = buf[k++ % 16];
    snprintf(p, 128, "%s/%s", dir, name);
    return p;
}

static const char *write_file(const char *name, const char *text)
{
    const char *p = path_in_dir(name);
    FILE *f = fopen(p, "w");
    fputs(text, f);
    fclose(f);
    return p;
}

/* Replace every timestamp (2026-11-23T10:00:00.000Z) in s by "TS" and as
 * many dots as keep the width. */
static void mask_times(char *s)
{
    for (char *r = s; *r; r++)
        if (strlen(r) >= 24 && r[4] == '-' && r[10] == 'T' && r[23] == 'Z')
            memcpy(r, "TS......................", 24);
}

/* Run load or list with its output in printed (times masked). */
static int run_load(const char *store, const vg_rules_target *t, uint32_t n, const char *file,
                    vg_error *err)
{
    memset(printed, 0, sizeof printed);
    FILE *out = fmemopen(printed, sizeof printed, "w");
    vg_error_clear(err);
    int rc = vg_rules_cmd_load(store, t, n, file, "ana", out, err);
    fclose(out);
    return rc;
}

static int run_list(const char *store, const char *ruleset, vg_error *err)
{
    memset(printed, 0, sizeof printed);
    FILE *out = fmemopen(printed, sizeof printed, "w");
    vg_error_clear(err);
    int rc = vg_rules_cmd_list(store, ruleset, out, err);
    fclose(out);
    mask_times(printed);
    return rc;
}

static void test_load_list(void)
{
    const char *store = path_in_dir("store.db");
    vg_rules_target one[] = {{"payment_rules", "review", &schema}};
    vg_error err;
    const char *f1 = write_file("r1.yaml", "rules:\n"
                                           "  - rule_id: velocity\n"
                                           "    priority: 100\n"
                                           "    condition: card_n_1h > 10 AND amount > 500\n"
                                           "    action: block\n"
                                           "  - rule_id: watch\n"
                                           "    condition: |\n"
                                           "      amount > 100\n"
                                           "    action: review\n"
                                           "    mode: shadow\n"
                                           "  - {rule_id: old, condition: 'TRUE', action: hold,"
                                           " enabled: false}\n");
    CHECK_INT(run_list(store, NULL, &err), 0);
    char want[1024];
    snprintf(want, sizeof want, "no rulesets in store '%s'\n", store);
    CHECK_STR(printed, want);

    CHECK_INT(run_load(store, one, 1, f1, &err), 0);
    CHECK_STR(printed, "payment_rules: version 1, 3 rules (1 shadow, 1 disabled)\n");
    CHECK_INT(run_list(store, "payment_rules", &err), 0);
    snprintf(want, sizeof want,
             "payment_rules: version 1, default review, loaded by ana at TS...................... from %s\n"
             "rule_id   priority  mode    enabled  action  changed_by  changed_at                condition\n"
             "velocity       100  active  true     block   ana         TS......................  "
             "card_n_1h > 10 AND amount > 500\n"
             "old              0  active  false    hold    ana         TS......................  TRUE\n"
             "watch            0  shadow  true     review  ana         TS......................  amount > 100\n",
             f1);
    CHECK_STR(printed, want);

    /* a bad condition: an error in the file, and nothing stored */
    const char *bad = write_file("bad.yaml", "ruleset: payment_rules\ndefault: allow\nrules:\n"
                                             "  - {rule_id: a, condition: amount > 1, action: b}\n"
                                             "  - {rule_id: z, condition: amount > 'x', action: b}\n");
    CHECK_INT(run_load(store, one, 1, bad, &err), -1);
    CHECK_STR(err.msg, "rule 'z': cannot compare DOUBLE with STRING");
    CHECK_STR(err.file, bad);
    CHECK_INT(err.line, 5);
    CHECK_INT(err.col, 36);
    CHECK_STR(printed, "");
    CHECK_INT(run_list(store, "payment_rules", &err), 0);
    CHECK(strncmp(printed, "payment_rules: version 1,", 25) == 0);

    /* the file's default wins; a second version */
    const char *f2 = write_file("r2.yaml", "ruleset: payment_rules\ndefault: allow\nrules:\n"
                                           "  - {rule_id: a, condition: amount > 1, action: b}\n");
    CHECK_INT(run_load(store, one, 1, f2, &err), 0);
    CHECK_STR(printed, "payment_rules: version 2, 1 rule (0 shadow, 0 disabled)\n");

    /* several rulesets */
    vg_rules_target two[] = {{"payment_rules", NULL, &schema}, {"login_rules", NULL, &schema}};
    CHECK_INT(run_load(store, two, 2, f1, &err), -1);
    CHECK_STR(err.msg, "the pipeline declares 2 rulesets; say which with 'ruleset:'");
    CHECK_INT(run_load(store, two, 0, f1, &err), -1);
    CHECK_STR(err.msg, "the pipeline declares no ruleset");
    const char *f3 = write_file("r3.yaml", "ruleset: login_rules\nrules:\n"
                                           "  - {rule_id: x, condition: card_n_1h > 3, action: b}\n");
    CHECK_INT(run_load(store, two, 2, f3, &err), 0);
    CHECK_STR(printed, "login_rules: version 1, 1 rule (0 shadow, 0 disabled)\n");
    CHECK_INT(run_load(store, one, 1, f3, &err), -1);
    CHECK_STR(err.msg, "unknown ruleset 'login_rules'; the pipeline declares payment_rules");
    CHECK_INT(err.line, 1);
    CHECK_INT(err.col, 10);
    CHECK_INT(err.mark_len, 11);

    CHECK_INT(run_list(store, NULL, &err), 0);
    snprintf(want, sizeof want,
             "login_rules: version 1, default allow, loaded by ana at TS...................... from %s\n"
             "rule_id  priority  mode    enabled  action  changed_by  changed_at                condition\n"
             "x               0  active  true     b       ana         TS......................  card_n_1h > 3\n"
             "\n"
             "payment_rules: version 2, default allow, loaded by ana at TS...................... from %s\n"
             "rule_id  priority  mode    enabled  action  changed_by  changed_at                condition\n"
             "a               0  active  true     b       ana         TS......................  amount > 1\n",
             f3, f2);
    CHECK_STR(printed, want);

    CHECK_INT(run_list(store, "nope", &err), -1);
    CHECK_INT(err.code, VG_ERR_NAME);
    snprintf(want, sizeof want, "ruleset 'nope' has no rules in store '%s'", store);
    CHECK_STR(err.msg, want);
    CHECK_INT(run_load(store, one, 1, "/nonexistent.yaml", &err), -1);
    CHECK_STR(err.msg, "cannot read rules file '/nonexistent.yaml': No such file or directory");
}

int main(void)
{
    snprintf(dir, sizeof dir, "/tmp/vg_rcmd_XXXXXX");
    if (!mkdtemp(dir))
        return 1;
    RUN(test_load_list);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
    return CHECK_DONE();
}
