/*
 * rules_cmd.c — `vigil rules load` and `vigil rules list`: the rules file,
 * the compiler and the store, put together.
 *
 * load checks everything before it writes anything: the file parses, it
 * names a ruleset the pipeline declares, and every condition compiles
 * against that ruleset's input; only then does one store transaction add
 * the new version.
 */
#include "engine/rules_cmd.h"

#include <inttypes.h>
#include <string.h>

#include "engine/rules.h"
#include "engine/rules_file.h"
#include "engine/store.h"

#define CMD_TAG VG_MEM_OTHER

/* The target the file is for. */
static const vg_rules_target *pick_target(const vg_rules_file *f, const vg_source *src,
                                          const vg_rules_target *targets, uint32_t n,
                                          vg_error *err)
{
    if (!f->ruleset) {
        if (n == 1)
            return &targets[0];
        if (n == 0)
            vg_error_set(err, VG_ERR_CONFIG, "the pipeline declares no ruleset");
        else
            vg_error_set(err, VG_ERR_CONFIG,
                         "the pipeline declares %" PRIu32 " rulesets; say which with 'ruleset:'",
                         n);
        return NULL;
    }
    for (uint32_t i = 0; i < n; i++)
        if (strcmp(targets[i].ruleset, f->ruleset) == 0)
            return &targets[i];
    char names[256] = "";
    size_t len = 0;
    for (uint32_t i = 0; i < n && len < sizeof names; i++)
        len += (size_t)snprintf(names + len, sizeof names - len, "%s%s", i ? ", " : "",
                                targets[i].ruleset);
    if (n == 0)
        return vg_error_at(err, VG_ERR_CONFIG, src, f->ruleset_at,
                           "unknown ruleset '%s'; the pipeline declares none", f->ruleset),
               NULL;
    vg_error_at(err, VG_ERR_CONFIG, src, f->ruleset_at,
                "unknown ruleset '%s'; the pipeline declares %s", f->ruleset, names);
    return NULL;
}

int vg_rules_store_file(vg_store *st, const vg_rules_target *targets, uint32_t ntargets,
                        const char *path, const char *by, vg_rules_stored *out, vg_error *err)
{
    memset(out, 0, sizeof *out);
    vg_arena *a = vg_arena_new(CMD_TAG, 4096);
    if (!a)
        return vg_error_set(err, VG_ERR_NOMEM, "out of memory");
    vg_source src;
    vg_rules_file f;
    const vg_rules_target *t = NULL;
    vg_ruleset *rs = NULL;
    int rc = -1;
    if (vg_rules_file_read(path, a, &src, err) < 0 || vg_rules_file_parse(&src, a, &f, err) < 0 ||
        !(t = pick_target(&f, &src, targets, ntargets, err)))
        goto done;
    const char *def = f.default_action   ? f.default_action
                      : t->default_action ? t->default_action
                                          : "allow";
    /* compiled first: a bad rule changes nothing, not even the store */
    if (!(rs = vg_ruleset_compile(t->ruleset, 0, def, f.rules, f.nrules, t->input, err)) ||
        vg_store_rules_put(st, t->ruleset, def, f.rules, f.nrules, by ? by : "unknown", path,
                           &out->version, err) < 0)
        goto done;
    vg_ruleset_set_version(rs, out->version);
    *out = (vg_rules_stored){t, out->version, f.nrules, f.nshadow, f.ndisabled, rs};
    rs = NULL;
    rc = 0;
done:
    vg_ruleset_free(rs);
    vg_arena_free(a);
    return rc;
}

int vg_rules_cmd_load(const char *store_path, const vg_rules_target *targets, uint32_t ntargets,
                      const char *path, const char *by, FILE *out, vg_error *err)
{
    vg_store *st = vg_store_open(store_path, err);
    if (!st)
        return -1;
    vg_rules_stored r;
    int rc = vg_rules_store_file(st, targets, ntargets, path, by, &r, err);
    vg_store_close(st);
    if (rc < 0)
        return -1;
    vg_ruleset_free(r.compiled); /* compiled only to check; a pipeline compiles its own */
    fprintf(out, "%s: version %" PRId64 ", %" PRIu32 " rule%s (%" PRIu32 " shadow, %" PRIu32
                 " disabled)\n",
            r.target->ruleset, r.version, r.nrules, r.nrules == 1 ? "" : "s", r.nshadow,
            r.ndisabled);
    return 0;
}

/* ---- list ---- */

/* The table's columns. */
enum { C_ID, C_PRIO, C_MODE, C_ENABLED, C_ACTION, C_BY, C_AT, C_COND, NCOLS };
static const char *const headers[NCOLS] = {"rule_id",    "priority",   "mode",     "enabled",
                                           "action",     "changed_by", "changed_at", "condition"};

/* Cell c of rule r, as text in buf (or a string of r). */
static const char *cell(const vg_rule *r, int c, char *buf, size_t size)
{
    switch (c) {
    case C_ID:
        return r->rule_id;
    case C_PRIO:
        snprintf(buf, size, "%" PRId64, r->priority);
        return buf;
    case C_MODE:
        return r->shadow ? "shadow" : "active";
    case C_ENABLED:
        return r->enabled ? "true" : "false";
    case C_ACTION:
        return r->action;
    case C_BY:
        return r->changed_by ? r->changed_by : "";
    case C_AT:
        vg_ts_format(r->changed_at, buf);
        return buf;
    default: /* the condition on one line, without trailing blanks */
        snprintf(buf, size, "%s", r->condition);
        for (char *p = buf; *p; p++)
            if (*p == '\n' || *p == '\r' || *p == '\t')
                *p = ' ';
        for (size_t n = strlen(buf); n > 0 && buf[n - 1] == ' '; n--)
            buf[n - 1] = 0;
        return buf;
    }
}

/* One line of the table: priority right-aligned, the condition last and unpadded. */
static void print_row(const char *const *cells, const int *width, FILE *out)
{
    for (int c = 0; c < C_COND; c++)
        fprintf(out, c == C_PRIO ? "%*s  " : "%-*s  ", width[c], cells[c]);
    fprintf(out, "%s\n", cells[C_COND]);
}

static void print_ruleset(const vg_ruleset_rec *info, const vg_rule *rules, uint32_t n, FILE *out)
{
    char when[40], buf[1024];
    vg_ts_format(info->changed_at, when);
    fprintf(out, "%s: version %" PRId64 ", default %s, loaded by %s at %s", info->ruleset,
            info->version, info->default_action, info->changed_by ? info->changed_by : "unknown",
            when);
    if (info->source)
        fprintf(out, " from %s", info->source);
    fprintf(out, "\n");
    if (n == 0) {
        fprintf(out, "(no rules)\n");
        return;
    }
    int width[NCOLS];
    for (int c = 0; c < NCOLS; c++) {
        width[c] = (int)strlen(headers[c]);
        for (uint32_t i = 0; i < n && c < C_COND; i++) {
            int w = (int)strlen(cell(&rules[i], c, buf, sizeof buf));
            width[c] = w > width[c] ? w : width[c];
        }
    }
    print_row(headers, width, out);
    for (uint32_t i = 0; i < n; i++) {
        char bufs[NCOLS][64];
        const char *cells[NCOLS];
        for (int c = 0; c < C_COND; c++)
            cells[c] = cell(&rules[i], c, bufs[c], sizeof bufs[c]);
        cells[C_COND] = cell(&rules[i], C_COND, buf, sizeof buf);
        print_row(cells, width, out);
    }
}

/* One ruleset's active version; 1 when it has none. */
static int list_one(vg_store *st, const char *ruleset, FILE *out, vg_error *err)
{
    vg_arena *a = vg_arena_new(CMD_TAG, 4096);
    if (!a)
        return vg_error_set(err, VG_ERR_NOMEM, "out of memory");
    vg_ruleset_rec info;
    vg_rule *rules;
    uint32_t n;
    int rc = vg_store_rules_get(st, ruleset, 0, a, &info, &rules, &n, err);
    if (rc == 0)
        print_ruleset(&info, rules, n, out);
    vg_arena_free(a);
    return rc;
}

/* The names of the rulesets with an active version, gathered before any
 * is read (the store's rows are valid during the callback only). */
typedef struct names {
    vg_arena *arena;
    const char **v;
    uint32_t n, cap;
    int rc; /* -1 when out of memory */
} names;

static int add_name(const vg_ruleset_rec *rec, void *arg)
{
    names *l = arg;
    if (!rec->active)
        return 0;
    if (l->n == l->cap) {
        uint32_t cap = l->cap ? 2 * l->cap : 8;
        const char **v = vg_arena_alloc(l->arena, cap * sizeof *v);
        if (!v)
            return (l->rc = -1);
        if (l->n)
            memcpy(v, l->v, l->n * sizeof *v);
        l->v = v;
        l->cap = cap;
    }
    if (!(l->v[l->n] = vg_arena_strndup(l->arena, rec->ruleset, strlen(rec->ruleset))))
        return (l->rc = -1);
    l->n++;
    return 0;
}

static int list_all(vg_store *st, const char *store_path, FILE *out, vg_error *err)
{
    names l = {vg_arena_new(CMD_TAG, 1024), NULL, 0, 0, 0};
    if (!l.arena)
        return vg_error_set(err, VG_ERR_NOMEM, "out of memory");
    int rc = vg_store_rules_versions(st, NULL, add_name, &l, err);
    if (rc == 0 && l.rc < 0)
        rc = vg_error_set(err, VG_ERR_NOMEM, "out of memory");
    if (rc == 0 && l.n == 0)
        fprintf(out, "no rulesets in store '%s'\n", store_path);
    for (uint32_t i = 0; rc == 0 && i < l.n; i++) {
        if (i)
            fprintf(out, "\n");
        rc = list_one(st, l.v[i], out, err) < 0 ? -1 : 0;
    }
    vg_arena_free(l.arena);
    return rc;
}

int vg_rules_cmd_list(const char *store_path, const char *ruleset, FILE *out, vg_error *err)
{
    vg_store *st = vg_store_open(store_path, err);
    if (!st)
        return -1;
    int rc;
    if (ruleset) {
        rc = list_one(st, ruleset, out, err);
        if (rc == 1)
            rc = vg_error_set(err, VG_ERR_NAME, "ruleset '%s' has no rules in store '%s'",
                              ruleset, store_path);
    } else
        rc = list_all(st, store_path, out, err);
    vg_store_close(st);
    return rc;
}
