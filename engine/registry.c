/*
 * registry.c — the slots of a plan's models and rulesets, loaded and
 * swapped between batches.
 */
#include <string.h>

#include "engine/registry.h"
#include "engine/rules_cmd.h"
#include "engine/store.h"

struct vg_registry {
    const vg_plan *plan;
    vg_store *store;           /* where versions are recorded (owned); NULL until loaded */
    vg_model_slot *models;     /* plan->nmodels, in its order */
    vg_ruleset_slot *rulesets; /* plan->nrulesets */
};

vg_registry *vg_registry_new(const vg_plan *plan)
{
    vg_registry *r = vg_calloc(VG_MEM_STATE, 1, sizeof *r);
    if (!r)
        return NULL;
    r->plan = plan;
    r->models = vg_calloc(VG_MEM_STATE, plan->nmodels + 1, sizeof *r->models);
    r->rulesets = vg_calloc(VG_MEM_STATE, plan->nrulesets + 1, sizeof *r->rulesets);
    if (!r->models || !r->rulesets) {
        vg_registry_free(r);
        return NULL;
    }
    for (uint32_t i = 0; i < plan->nmodels; i++)
        r->models[i].decl = plan->models[i];
    for (uint32_t i = 0; i < plan->nrulesets; i++)
        r->rulesets[i].decl = plan->rulesets[i];
    return r;
}

void vg_registry_free(vg_registry *r)
{
    if (!r)
        return;
    for (uint32_t i = 0; r->models && i < r->plan->nmodels; i++)
        vg_model_free(r->models[i].model);
    for (uint32_t i = 0; r->rulesets && i < r->plan->nrulesets; i++)
        vg_ruleset_free(r->rulesets[i].rules);
    vg_store_close(r->store);
    vg_free(r->models);
    vg_free(r->rulesets);
    vg_free(r);
}

vg_model_slot *vg_registry_model(vg_registry *r, const char *name)
{
    for (uint32_t i = 0; r && i < r->plan->nmodels; i++)
        if (strcmp(r->models[i].decl->name, name) == 0)
            return &r->models[i];
    return NULL;
}

vg_ruleset_slot *vg_registry_ruleset(vg_registry *r, const char *name)
{
    for (uint32_t i = 0; r && i < r->plan->nrulesets; i++)
        if (strcmp(r->rulesets[i].decl->name, name) == 0)
            return &r->rulesets[i];
    return NULL;
}

int vg_registry_check_model(const vg_model_slot *s, const vg_model *m, vg_error *err)
{
    const vg_plan_model *d = s->decl;
    uint32_t nf = vg_model_nfeatures(m), no = vg_model_noutputs(m);
    if (nf != d->input.ncols)
        return vg_error_at(err, VG_ERR_SEMANTIC, d->src, d->path_span,
                           "model '%s': the file reads %u features, INPUT declares %u", d->name,
                           nf, d->input.ncols);
    for (uint32_t i = 0; i < nf; i++) {
        const char *name = vg_model_feature_name(m, i);
        if (name && strcmp(name, d->input.cols[i].name) != 0)
            return vg_error_at(err, VG_ERR_SEMANTIC, d->src, d->path_span,
                               "model '%s': feature %u is '%s' in the file, '%s' in INPUT",
                               d->name, i + 1, name, d->input.cols[i].name);
    }
    bool array = d->output.ncols == 1 && d->output.cols[0].type == VG_T_ARRAY;
    if (array && no < 2) /* an ARRAY<DOUBLE> holds a multi-class model's K probabilities */
        return vg_error_at(err, VG_ERR_SEMANTIC, d->src, d->output_span,
                           "model '%s': the file gives 1 score, OUTPUT declares ARRAY<DOUBLE> "
                           "'%s' (for multi:softprob's class probabilities): declare a DOUBLE",
                           d->name, d->output.cols[0].name);
    if (array && s->model && vg_model_noutputs(s->model) != no) /* ML_PREDICT sized for it */
        return vg_error_at(err, VG_ERR_SEMANTIC, d->src, d->output_span,
                           "model '%s': the file gives %u scores, the active version %u: the "
                           "length of ARRAY<DOUBLE> '%s' cannot change while running", d->name,
                           no, vg_model_noutputs(s->model), d->output.cols[0].name);
    if (!array && no != d->output.ncols)
        return vg_error_at(err, VG_ERR_SEMANTIC, d->src, d->output_span,
                           "model '%s': the file gives %u score%s, OUTPUT declares %u", d->name,
                           no, no == 1 ? "" : "s", d->output.ncols);
    return 0;
}

void vg_registry_activate_model(vg_model_slot *s, vg_model *m, int64_t version)
{
    vg_model_free(s->model);
    s->model = m;
    s->version = version;
}

void vg_registry_activate_rules(vg_ruleset_slot *s, vg_ruleset *rs)
{
    vg_ruleset_free(s->rules);
    s->rules = rs;
}

/* "a DOUBLE, n BIGINT" for schema, in arena. */
static const char *schema_text(const vg_schema *sc, vg_arena *a)
{
    char *t = vg_arena_printf(a, "%s", "");
    for (uint32_t i = 0; t && i < sc->ncols; i++)
        t = vg_arena_printf(a, "%s%s%s %s", t, i ? ", " : "", sc->cols[i].name,
                            vg_type_name(sc->cols[i].type));
    return t;
}

/* The end of adding or using a model: when record, mark version active in
 * the store; free the arena; on success (rc 0) make m slot s's model, else
 * free m. Returns rc, or -1 when recording fails. */
static int activate_model(vg_registry *r, vg_model_slot *s, vg_model *m, int64_t version,
                          bool record, vg_arena *a, int rc, vg_error *err)
{
    if (record)
        rc = vg_store_model_activate(r->store, s->decl->name, version, err);
    vg_arena_free(a);
    if (rc < 0) {
        vg_model_free(m);
        return -1;
    }
    vg_registry_activate_model(s, m, version);
    return 0;
}

int vg_registry_add_model(vg_registry *r, vg_model_slot *s, const char *path, vg_error *err)
{
    const vg_plan_model *d = s->decl;
    vg_error lerr;
    vg_error_clear(&lerr);
    vg_model *m = vg_model_load((vg_model_type)d->type, path, &lerr);
    if (!m) {
        if (lerr.code == VG_ERR_NOMEM)
            return vg_error_set(err, VG_ERR_NOMEM, "out of memory");
        return vg_error_at(err, lerr.code, d->src, d->path_span, "model '%s': %s", d->name,
                           lerr.msg);
    }
    vg_arena *a = vg_arena_new(VG_MEM_OTHER, 1024);
    vg_model_rec rec = {.name = d->name, .type = vg_model_type_name((vg_model_type)d->type),
                        .path = path, .shadow_of = NULL};
    int64_t version = 0;
    int rc = vg_registry_check_model(s, m, err);
    if (rc == 0 && !a)
        rc = vg_error_set(err, VG_ERR_NOMEM, "out of memory");
    if (rc == 0) {
        rec.input_schema = schema_text(&d->input, a);
        rec.output_schema = schema_text(&d->output, a);
        rc = vg_store_model_add(r->store, &rec, &version, err);
    }
    return activate_model(r, s, m, version, rc == 0, a, rc, err);
}

/* Slot s's rules: the store's active version; when the store has none,
 * the ruleset's 'file' (stored as version 1); else no rules. So 'file'
 * seeds a store, and from then on `vigil rules load` (or the admin API)
 * changes the rules: a restart neither adds a version nor undoes a load. */
static int load_rules(vg_registry *r, vg_ruleset_slot *s, vg_error *err)
{
    const vg_plan_ruleset *d = s->decl;
    vg_arena *a = vg_arena_new(VG_MEM_OTHER, 4096);
    if (!a)
        return vg_error_set(err, VG_ERR_NOMEM, "out of memory");
    vg_ruleset_rec info;
    vg_rule *rules;
    uint32_t n;
    vg_error gerr;
    vg_error_clear(&gerr);
    int rc = 0;
    if (vg_store_rules_get(r->store, d->name, 0, a, &info, &rules, &n, &gerr) == 0) {
        vg_ruleset *rs = vg_ruleset_compile(d->name, info.version, info.default_action, rules, n,
                                            d->input, err);
        if (rs)
            vg_registry_activate_rules(s, rs);
        else
            rc = -1;
    } else if (gerr.code == VG_ERR_NOMEM) {
        rc = vg_error_set(err, VG_ERR_NOMEM, "out of memory");
    } else if (d->file) {
        rc = vg_registry_add_rules_file(r, s, d->file, "sql", err);
    }
    vg_arena_free(a);
    return rc;
}

int vg_registry_add_rules_file(vg_registry *r, vg_ruleset_slot *s, const char *path,
                               const char *changed_by, vg_error *err)
{
    const vg_plan_ruleset *d = s->decl;
    vg_rules_target t = {d->name, d->default_action, d->input};
    vg_rules_stored stored;
    if (vg_rules_store_file(r->store, &t, 1, path, changed_by, &stored, err) < 0)
        return -1;
    vg_registry_activate_rules(s, stored.compiled);
    return 0;
}

int vg_registry_load(vg_registry *r, const char *store_path, vg_error *err)
{
    if (!r->store && !(r->store = vg_store_open(store_path ? store_path : ":memory:", err)))
        return -1;
    for (uint32_t i = 0; i < r->plan->nmodels; i++) {
        vg_model_slot *s = &r->models[i];
        if (vg_registry_add_model(r, s, s->decl->path, err) < 0)
            return -1;
    }
    for (uint32_t i = 0; i < r->plan->nrulesets; i++) {
        vg_ruleset_slot *s = &r->rulesets[i];
        if (s->decl->input && load_rules(r, s, err) < 0)
            return -1;
    }
    return 0;
}

int vg_registry_add_rules(vg_registry *r, vg_ruleset_slot *s, const vg_rule *rules, uint32_t n,
                          const char *default_action, const char *changed_by, const char *source,
                          int64_t *version, vg_error *err)
{
    const vg_plan_ruleset *d = s->decl;
    const char *def = default_action ? default_action : d->default_action ? d->default_action
                                                                          : "allow";
    vg_ruleset *rs = vg_ruleset_compile(d->name, 0, def, rules, n, d->input, err);
    int64_t v = 0;
    if (!rs || vg_store_rules_put(r->store, d->name, def, rules, n, changed_by, source, &v,
                                  err) < 0) {
        vg_ruleset_free(rs);
        return -1;
    }
    vg_ruleset_set_version(rs, v);
    vg_registry_activate_rules(s, rs);
    if (version)
        *version = v;
    return 0;
}

int vg_registry_use_model(vg_registry *r, vg_model_slot *s, int64_t version, bool record,
                          vg_error *err)
{
    const vg_plan_model *d = s->decl;
    vg_arena *a = vg_arena_new(VG_MEM_OTHER, 1024);
    if (!a)
        return vg_error_set(err, VG_ERR_NOMEM, "out of memory");
    vg_model_rec rec;
    char sha[65];
    vg_model *m = NULL;
    int rc = vg_store_model_get(r->store, d->name, version, &rec, a, err);
    if (rc == 1)
        rc = vg_error_set(err, VG_ERR_NAME, "model '%s' has no version %lld", d->name,
                          (long long)version);
    if (rc == 0 && vg_store_file_sha256(rec.path, sha, err) < 0)
        rc = -1;
    if (rc == 0 && strcmp(sha, rec.sha256) != 0)
        rc = vg_error_set(err, VG_ERR_RUNTIME,
                          "model '%s' version %lld: file '%s' has changed since it was stored "
                          "(its SHA-256 differs)",
                          d->name, (long long)version, rec.path);
    vg_error lerr;
    vg_error_clear(&lerr);
    if (rc == 0 && !(m = vg_model_load((vg_model_type)d->type, rec.path, &lerr)))
        rc = lerr.code == VG_ERR_NOMEM
                 ? vg_error_set(err, VG_ERR_NOMEM, "out of memory")
                 : vg_error_set(err, lerr.code, "model '%s' version %lld: %s", d->name,
                                (long long)version, lerr.msg);
    if (rc == 0)
        rc = vg_registry_check_model(s, m, err);
    return activate_model(r, s, m, version, rc == 0 && record, a, rc, err);
}

int vg_registry_use_rules(vg_registry *r, vg_ruleset_slot *s, int64_t version, bool record,
                          vg_error *err)
{
    const vg_plan_ruleset *d = s->decl;
    if (version == 0) {
        vg_registry_activate_rules(s, NULL);
        return 0;
    }
    vg_arena *a = vg_arena_new(VG_MEM_OTHER, 4096);
    if (!a)
        return vg_error_set(err, VG_ERR_NOMEM, "out of memory");
    vg_ruleset_rec info;
    vg_rule *rules;
    uint32_t n;
    vg_ruleset *rs = NULL;
    int rc = vg_store_rules_get(r->store, d->name, version, a, &info, &rules, &n, err);
    if (rc == 1)
        rc = vg_error_set(err, VG_ERR_NAME, "ruleset '%s' has no version %lld", d->name,
                          (long long)version);
    if (rc == 0 && !(rs = vg_ruleset_compile(d->name, info.version, info.default_action, rules,
                                             n, d->input, err)))
        rc = -1;
    if (rc == 0 && record)
        rc = vg_store_rules_activate(r->store, d->name, version, err);
    vg_arena_free(a);
    if (rc < 0) {
        vg_ruleset_free(rs);
        return -1;
    }
    vg_registry_activate_rules(s, rs);
    return 0;
}
