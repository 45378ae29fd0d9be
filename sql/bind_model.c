/*
 * bind_model.c — CREATE MODEL, CREATE RULESET, ML_PREDICT and APPLY_RULES.
 *
 * Models and rulesets have a catalog of their own (a model may share a
 * view's name, as in Flink). Binding checks everything the SQL alone can
 * tell: the options (known keys, a known model type, 'path' present),
 * the INPUT and OUTPUT types, that ML_PREDICT's DESCRIPTOR names one
 * numeric column per model input, and that one ruleset is applied to
 * tables of one set of columns (its conditions are compiled once, over
 * those). What only the file can tell (that it loads, that the model reads
 * as many features and writes as many scores as declared) is checked when
 * the runtime loads it (engine/registry.c), with the error pointed at the
 * statement.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "sql/binder_int.h"
#include "udf/model.h"

/* ---- options ---- */

/* The value of option key among opts, or NULL; *sp is where it is. */
static const vg_ident *option(const vg_ast_option *opts, uint32_t n, const char *key)
{
    for (uint32_t i = 0; i < n; i++)
        if (strcmp(opts[i].key.name, key) == 0)
            return &opts[i].value;
    return NULL;
}

/* Every key of opts is one of keys (a NULL-terminated list, also the message's). */
static int check_keys(bind_ctx *c, const vg_ast_option *opts, uint32_t n, const char *what,
                      const char *const *keys, const char *list)
{
    for (uint32_t i = 0; i < n; i++) {
        bool known = false;
        for (const char *const *k = keys; *k && !known; k++)
            known = strcmp(opts[i].key.name, *k) == 0;
        if (!known) {
            vg_bind_fail(c, VG_ERR_SEMANTIC, opts[i].key.span, "unknown %s option '%s' (%s)",
                         what, opts[i].key.name, list);
            return -1;
        }
        for (uint32_t j = 0; j < i; j++)
            if (strcmp(opts[i].key.name, opts[j].key.name) == 0) {
                vg_bind_fail(c, VG_ERR_SEMANTIC, opts[i].key.span, "option '%s' is given twice",
                             opts[i].key.name);
                return -1;
            }
    }
    return 0;
}

/* path as written, resolved against the folder of the statement's file. */
static const char *resolve(bind_ctx *c, const char *path)
{
    const char *name = c->src->name, *slash = strrchr(name, '/');
    if (path[0] == '/' || !slash)
        return path;
    return vg_arena_printf(c->b->arena, "%.*s/%s", (int)(slash - name), name, path);
}

/* ---- CREATE MODEL ---- */

static const struct {
    const char *name;
    vg_model_type type;
} model_types[] = {
    {"xgboost", VG_MODEL_XGBOOST},
    {"logistic", VG_MODEL_LOGISTIC},
    {"linear", VG_MODEL_LINEAR},
};

static vg_plan_model *find_model(const vg_binder *b, const char *name)
{
    for (uint32_t i = 0; i < b->nmodels; i++)
        if (strcmp(b->models[i]->name, name) == 0)
            return b->models[i];
    return NULL;
}

static vg_plan_ruleset *find_ruleset(const vg_binder *b, const char *name)
{
    for (uint32_t i = 0; i < b->nrulesets; i++)
        if (strcmp(b->rulesets[i]->name, name) == 0)
            return b->rulesets[i];
    return NULL;
}

/* INPUT or OUTPUT columns into schema: distinct names; features numeric or
 * BOOLEAN, scores DOUBLE (one column each), or one ARRAY<DOUBLE> column
 * holding them all (multi:softprob's class probabilities). */
static int model_columns(bind_ctx *c, const vg_ast_column_def *defs, uint32_t n, bool output,
                         vg_schema *schema)
{
    vg_column *cols = vg_arena_calloc(c->b->arena, (n ? n : 1) * sizeof *cols);
    if (!cols)
        return vg_bind_nomem(c);
    for (uint32_t i = 0; i < n; i++) {
        const vg_ast_column_def *d = &defs[i];
        vg_type t = d->type.type;
        for (uint32_t j = 0; j < i; j++)
            if (strcmp(cols[j].name, d->name.name) == 0) {
                vg_bind_fail(c, VG_ERR_NAME, d->name.span, "duplicate column '%s'", d->name.name);
                return -1;
            }
        if (t == VG_T_NULL) {
            vg_bind_fail(c, VG_ERR_NAME, d->type.span, "unknown type");
            return -1;
        }
        if (output && t != VG_T_DOUBLE && t != VG_T_ARRAY) {
            vg_bind_fail(c, VG_ERR_TYPE, d->type.span,
                         "model output '%s' must be DOUBLE or ARRAY<DOUBLE>, not %s",
                         d->name.name, vg_type_name(t));
            return -1;
        }
        if (output && t == VG_T_ARRAY && n > 1) {
            vg_bind_fail(c, VG_ERR_TYPE, d->type.span,
                         "model output '%s' is an ARRAY<DOUBLE> of every score: it must be the "
                         "only OUTPUT column", d->name.name);
            return -1;
        }
        if (!output && t != VG_T_DOUBLE && t != VG_T_BIGINT && t != VG_T_INT && t != VG_T_BOOL) {
            vg_bind_fail(c, VG_ERR_TYPE, d->type.span,
                         "model input '%s' must be numeric or BOOLEAN, not %s", d->name.name,
                         vg_type_name(t));
            return -1;
        }
        cols[i].name = d->name.name;
        cols[i].type = t;
    }
    schema->cols = cols;
    schema->ncols = n;
    return 0;
}

/* WITH ('type' = ..., 'path' = ..., 'shadow' = ...) of CREATE MODEL st into m. */
static int model_options(bind_ctx *c, const vg_ast *st, vg_plan_model *m)
{
    static const char *const keys[] = {"type", "path", "shadow", "version_column", NULL};
    const vg_ast_option *opts = st->u.create_model.opts;
    uint32_t n = st->u.create_model.nopts;
    if (check_keys(c, opts, n, "model", keys, "type, path, shadow, version_column") < 0)
        return -1;
    const vg_ident *vcol = option(opts, n, "version_column");
    if (vcol && !vcol->name[0]) {
        vg_bind_fail(c, VG_ERR_SEMANTIC, vcol->span, "the version column needs a name");
        return -1;
    }
    m->version_column = vcol ? vcol->name : NULL;
    const vg_ident *type = option(opts, n, "type"), *path = option(opts, n, "path");
    const vg_ident *shadow = option(opts, n, "shadow");
    if (!type || !path) {
        vg_bind_fail(c, VG_ERR_SEMANTIC, st->u.create_model.name.span,
                     "model '%s' needs the option '%s'", m->name, type ? "path" : "type");
        return -1;
    }
    m->type = -1;
    for (size_t i = 0; i < sizeof model_types / sizeof model_types[0]; i++)
        if (strcasecmp(type->name, model_types[i].name) == 0)
            m->type = model_types[i].type;
    if (m->type < 0) {
        vg_bind_fail(c, VG_ERR_SEMANTIC, type->span,
                     "unknown model type '%s' (xgboost, logistic, linear)", type->name);
        return -1;
    }
    if (!(m->path = resolve(c, path->name)))
        return vg_bind_nomem(c);
    m->path_span = path->span;
    if (!shadow)
        return 0;
    if (!(m->shadow = find_model(c->b, shadow->name))) {
        vg_bind_fail(c, VG_ERR_NAME, shadow->span, "unknown model '%s' (a shadow model is "
                     "declared before the model it shadows)", shadow->name);
        return -1;
    }
    if (m->shadow->input.ncols != m->input.ncols) {
        vg_bind_fail(c, VG_ERR_SEMANTIC, shadow->span,
                     "shadow model '%s' reads %u features, '%s' reads %u", shadow->name,
                     m->shadow->input.ncols, m->name, m->input.ncols);
        return -1;
    }
    return 0;
}

static int bind_model(bind_ctx *c, const vg_ast *st, vg_bound_stmt *out)
{
    const vg_ident *name = &st->u.create_model.name;
    if (find_model(c->b, name->name)) {
        vg_bind_fail(c, VG_ERR_NAME, name->span, "model '%s' is already defined", name->name);
        return -1;
    }
    vg_plan_model *m = vg_arena_calloc(c->b->arena, sizeof *m);
    if (!m)
        return vg_bind_nomem(c);
    m->name = name->name;
    m->src = c->src;
    m->span = st->span;
    m->output_span = st->u.create_model.output_span;
    if (model_columns(c, st->u.create_model.inputs, st->u.create_model.ninputs, false,
                      &m->input) < 0 ||
        model_columns(c, st->u.create_model.outputs, st->u.create_model.noutputs, true,
                      &m->output) < 0 ||
        model_options(c, st, m) < 0)
        return -1;
    vg_plan_model **ms = vg_bind_grow(c, c->b->models, c->b->nmodels, &c->b->mcap, sizeof *ms);
    if (!ms)
        return vg_bind_nomem(c);
    c->b->models = ms;
    ms[c->b->nmodels++] = m;
    out->kind = VG_BOUND_MODEL;
    out->name = m->name;
    out->model = m;
    return 0;
}

/* ---- CREATE RULESET ---- */

static int bind_ruleset(bind_ctx *c, const vg_ast *st, vg_bound_stmt *out)
{
    static const char *const keys[] = {"default", "file", "table", NULL};
    const vg_ident *name = &st->u.create_ruleset.name;
    const vg_ast_option *opts = st->u.create_ruleset.opts;
    uint32_t n = st->u.create_ruleset.nopts;
    if (find_ruleset(c->b, name->name)) {
        vg_bind_fail(c, VG_ERR_NAME, name->span, "ruleset '%s' is already defined", name->name);
        return -1;
    }
    if (check_keys(c, opts, n, "ruleset", keys, "default, file, table") < 0)
        return -1;
    const vg_ident *table = option(opts, n, "table"), *def = option(opts, n, "default");
    const vg_ident *file = option(opts, n, "file");
    if (table && strcmp(table->name, "rules") != 0) {
        vg_bind_fail(c, VG_ERR_SEMANTIC, table->span,
                     "rules live in the store's table 'rules' (one for every ruleset), not '%s'",
                     table->name);
        return -1;
    }
    if (def && !def->name[0]) {
        vg_bind_fail(c, VG_ERR_SEMANTIC, def->span, "the default action cannot be empty");
        return -1;
    }
    vg_plan_ruleset *r = vg_arena_calloc(c->b->arena, sizeof *r);
    if (!r)
        return vg_bind_nomem(c);
    r->name = name->name;
    r->default_action = def ? def->name : "allow";
    r->src = c->src;
    r->span = st->span;
    if (file) {
        if (!(r->file = resolve(c, file->name)))
            return vg_bind_nomem(c);
        r->file_span = file->span;
    }
    vg_plan_ruleset **rs =
        vg_bind_grow(c, c->b->rulesets, c->b->nrulesets, &c->b->rcap, sizeof *rs);
    if (!rs)
        return vg_bind_nomem(c);
    c->b->rulesets = rs;
    rs[c->b->nrulesets++] = r;
    out->kind = VG_BOUND_RULESET;
    out->name = r->name;
    out->ruleset = r;
    return 0;
}

int vg_bind_create_model(bind_ctx *c, const vg_ast *st, vg_bound_stmt *out)
{
    return st->kind == VG_AST_CREATE_MODEL ? bind_model(c, st, out) : bind_ruleset(c, st, out);
}

/* ---- ML_PREDICT and APPLY_RULES ---- */

bool vg_bind_model_tvf(const vg_ast *f)
{
    return f->kind == VG_AST_TABLEFN &&
           (f->u.tablefn.model.name || f->u.tablefn.ruleset.name);
}

/* A relation of kind over in: in's columns, then extra more. */
static vg_rel *extend(bind_ctx *c, vg_rel_kind kind, const vg_ast *f, const vg_rel *in,
                      uint32_t more)
{
    vg_rel *r = vg_bind_rel_new(c, kind, NULL, f->span, in->schema.ncols + more);
    if (!r)
        return NULL;
    memcpy(r->schema.cols, in->schema.cols, in->schema.ncols * sizeof *r->schema.cols);
    r->input = (vg_rel *)in;
    return r;
}

/* Append column name (with suffix) of type t at slot i of r, unless in has it already. */
static int add_column(bind_ctx *c, vg_rel *r, uint32_t i, const char *name, const char *suffix,
                      vg_type t, vg_span sp)
{
    const char *full = suffix ? vg_arena_printf(c->b->arena, "%s%s", name, suffix) : name;
    if (!full)
        return vg_bind_nomem(c);
    for (uint32_t j = 0; j < i; j++)
        if (strcmp(r->schema.cols[j].name, full) == 0) {
            vg_bind_fail(c, VG_ERR_NAME, sp, "'%s' already has a column named '%s'",
                         r->input->name ? r->input->name : "the input", full);
            return -1;
        }
    r->schema.cols[i].name = full;
    r->schema.cols[i].type = t;
    return 0;
}

/* How many columns ML_PREDICT with model m appends: the scores [and the
 * version column], then the shadow model's alike. */
static uint32_t predict_width(const vg_plan_model *m)
{
    uint32_t per = m->version_column ? 1 : 0;
    return m->output.ncols + per + (m->shadow ? m->shadow->output.ncols + per : 0);
}

/* Append model x's scores [and m's version column] to r from slot *at,
 * suffixed when x is m's shadow. */
static int predict_columns(bind_ctx *c, vg_rel *r, const vg_plan_model *m,
                           const vg_plan_model *x, uint32_t *at, vg_span sp)
{
    const char *suffix = x == m ? NULL : "_shadow";
    for (uint32_t i = 0; i < x->output.ncols; i++)
        if (add_column(c, r, (*at)++, x->output.cols[i].name, suffix, x->output.cols[i].type,
                       sp) < 0)
            return -1;
    if (m->version_column && add_column(c, r, (*at)++, m->version_column, suffix, VG_T_BIGINT,
                                        sp) < 0)
        return -1;
    return 0;
}

static vg_rel *bind_predict(bind_ctx *c, const vg_ast *f, const vg_rel *in)
{
    const vg_ident *mname = &f->u.tablefn.model;
    const vg_plan_model *m = find_model(c->b, mname->name);
    if (!m)
        return vg_bind_fail(c, VG_ERR_NAME, mname->span, "unknown model '%s'", mname->name);
    uint32_t n = f->u.tablefn.ncolumns;
    if (n != m->input.ncols)
        return vg_bind_fail(c, VG_ERR_SEMANTIC, f->u.tablefn.columns[n - 1].span,
                            "model '%s' reads %u features (INPUT), DESCRIPTOR names %u", m->name,
                            m->input.ncols, n);
    uint32_t *cols = vg_arena_alloc(c->b->arena, n * sizeof *cols);
    if (!cols) {
        vg_bind_nomem(c);
        return NULL;
    }
    bind_scope scope = {f->u.tablefn.table.name, &in->schema};
    bind_ctx k = *c;
    k.scope = &scope;
    for (uint32_t i = 0; i < n; i++) {
        const vg_ident *col = &f->u.tablefn.columns[i];
        int slot = vg_bind_find_column(&k, NULL, col->name, col->span);
        if (slot < 0)
            return NULL;
        vg_type t = in->schema.cols[slot].type;
        if (t != VG_T_DOUBLE && t != VG_T_BIGINT && t != VG_T_INT && t != VG_T_BOOL)
            return vg_bind_fail(c, VG_ERR_TYPE, col->span,
                                "feature '%s' is %s; model '%s' input '%s' needs a number",
                                col->name, vg_type_name(t), m->name, m->input.cols[i].name);
        cols[i] = (uint32_t)slot;
    }
    vg_rel *r = extend(c, VG_REL_PREDICT, f, in, predict_width(m));
    uint32_t at = in->schema.ncols;
    if (!r || predict_columns(c, r, m, m, &at, mname->span) < 0 ||
        (m->shadow && predict_columns(c, r, m, m->shadow, &at, mname->span) < 0))
        return NULL;
    r->u.predict.model = m;
    r->u.predict.cols = cols;
    return r;
}

/* The columns APPLY_RULES appends (engine/rules.h computes them). */
static const struct {
    const char *name;
    vg_type type;
} rules_columns[] = {
    {"decision", VG_T_STRING},     {"rule_id", VG_T_STRING},        {"matched_rules", VG_T_STRING},
    {"shadow_rules", VG_T_STRING}, {"rules_version", VG_T_BIGINT},
};
#define NRULES_COLUMNS (sizeof rules_columns / sizeof rules_columns[0])

/* Whether schemas a and b have the same column names and types. */
static bool same_columns(const vg_schema *a, const vg_schema *b)
{
    if (a->ncols != b->ncols)
        return false;
    for (uint32_t i = 0; i < a->ncols; i++)
        if (a->cols[i].type != b->cols[i].type || strcmp(a->cols[i].name, b->cols[i].name) != 0)
            return false;
    return true;
}

static vg_rel *bind_rules(bind_ctx *c, const vg_ast *f, const vg_rel *in)
{
    const vg_ident *rname = &f->u.tablefn.ruleset;
    vg_plan_ruleset *rs = find_ruleset(c->b, rname->name);
    if (!rs)
        return vg_bind_fail(c, VG_ERR_NAME, rname->span, "unknown ruleset '%s'", rname->name);
    if (rs->input && !same_columns(rs->input, &in->schema))
        return vg_bind_fail(c, VG_ERR_SEMANTIC, f->u.tablefn.table.span,
                            "ruleset '%s' is already applied to a table with other columns (its "
                            "conditions are compiled once, over one set of columns)",
                            rs->name);
    vg_rel *r = extend(c, VG_REL_RULES, f, in, NRULES_COLUMNS);
    if (!r)
        return NULL;
    for (uint32_t i = 0; i < NRULES_COLUMNS; i++)
        if (add_column(c, r, in->schema.ncols + i, rules_columns[i].name, NULL,
                       rules_columns[i].type, rname->span) < 0)
            return NULL;
    rs->input = &in->schema;
    r->u.rules.ruleset = rs;
    return r;
}

vg_rel *vg_bind_model_from(bind_ctx *c, const vg_ast *f, const char **alias)
{
    const vg_ident *t = &f->u.tablefn.table;
    const vg_rel *in = vg_binder_find(c->b, t->name);
    if (!in)
        return vg_bind_fail(c, VG_ERR_NAME, t->span, "unknown stream or view '%s'", t->name);
    *alias = f->u.tablefn.alias.name;
    return f->u.tablefn.model.name ? bind_predict(c, f, in) : bind_rules(c, f, in);
}
