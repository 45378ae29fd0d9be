/*
 * pipeline.c — loading a pipeline: settings, SQL files, parse, plan.
 */
#include "engine/pipeline.h"

#include <stdio.h>
#include <string.h>

#include "engine/alloc.h"
#include "engine/config.h"
#include "sql/parser.h"

struct vg_pipeline {
    vg_config *cfg;         /* settings; owns the SQL paths */
    vg_source *srcs;        /* one per SQL file; texts owned by cfg */
    vg_arena *ast;          /* every statement's syntax tree */
    vg_plan *plan;
    vg_replay_input *inputs;   /* last vg_pipeline_bind result */
    vg_replay_output *outputs;
};

/* Parse every SQL file and plan all statements as one program. */
static int compile(vg_pipeline *p, vg_error *err)
{
    uint32_t nfiles = p->cfg->nsql;
    p->srcs = vg_calloc(VG_MEM_SQL, nfiles + 1, sizeof(vg_source));
    p->ast = vg_arena_new(VG_MEM_SQL, 16384);
    if (!p->srcs || !p->ast)
        return vg_error_set(err, VG_ERR_NOMEM, "out of memory");
    vg_ast_stmt *all = NULL;
    uint32_t nall = 0;
    for (uint32_t i = 0; i < nfiles; i++) {
        const vg_config_sql *f = &p->cfg->sql[i];
        p->srcs[i] = (vg_source){.name = f->path, .text = f->text, .len = f->len};
        vg_ast_stmt *stmts;
        uint32_t n;
        if (vg_parse(&p->srcs[i], p->ast, &stmts, &n, err) < 0)
            return -1;
        vg_ast_stmt *grown = vg_arena_alloc(p->ast, (nall + n + 1) * sizeof *grown);
        if (!grown)
            return vg_error_set(err, VG_ERR_NOMEM, "out of memory");
        if (nall)
            memcpy(grown, all, nall * sizeof *all);
        if (n)
            memcpy(grown + nall, stmts, n * sizeof *stmts);
        all = grown;
        nall += n;
    }
    return vg_plan_build(all, nall, &p->plan, err);
}

static bool plan_has_sink(const vg_plan *plan, const char *name)
{
    for (uint32_t i = 0; i < plan->nsinks; i++)
        if (strcmp(plan->sinks[i]->name, name) == 0)
            return true;
    return strcmp(name, VG_CONFIG_DEAD_LETTER) == 0;
}

static bool plan_has_stream(const vg_plan *plan, const char *name)
{
    for (uint32_t i = 0; i < plan->nsources; i++)
        if (strcmp(plan->sources[i]->name, name) == 0)
            return true;
    return false;
}

/* A binding in pipeline.yaml for something the SQL does not have is a
 * mistake (a typo, a renamed sink) that would otherwise go unnoticed. */
static int check_bindings(const vg_pipeline *p, vg_error *err)
{
    const vg_config *c = p->cfg;
    for (uint32_t i = 0; i < c->nsources; i++)
        if (!plan_has_stream(p->plan, c->sources[i].name))
            return vg_error_at(err, VG_ERR_CONFIG, &c->yaml, c->sources[i].at,
                               "source '%s' is not a stream declared in the SQL",
                               c->sources[i].name);
    for (uint32_t i = 0; i < c->nsinks; i++)
        if (!plan_has_sink(p->plan, c->sinks[i].name))
            return vg_error_at(err, VG_ERR_CONFIG, &c->yaml, c->sinks[i].at,
                               "sink '%s' is not written by any INSERT INTO", c->sinks[i].name);
    return 0;
}

/* State TTLs: state.ttl for every node, or its view's state.view_ttl. A
 * TTL for a name that is not a view is a mistake, as a stray binding is. */
static int apply_ttls(vg_pipeline *p, vg_error *err)
{
    const vg_config *c = p->cfg;
    vg_plan *plan = p->plan;
    for (uint32_t i = 0; i < plan->nnodes; i++)
        plan->nodes[i]->ttl_ms = c->state.ttl_ms;
    for (uint32_t t = 0; t < c->state.nview_ttls; t++) {
        const vg_config_view_ttl *vt = &c->state.view_ttls[t];
        bool found = false;
        for (uint32_t i = 0; i < plan->nnodes; i++) {
            vg_plan_node *n = plan->nodes[i];
            if (n->view && strcmp(n->view, vt->view) == 0) {
                n->ttl_ms = vt->ttl_ms;
                found = true;
            }
        }
        if (!found)
            return vg_error_at(err, VG_ERR_CONFIG, &c->yaml, vt->at,
                               "state.view_ttl names '%s', which is not a view of the SQL",
                               vt->view);
    }
    return 0;
}

vg_pipeline *vg_pipeline_load(const char *path, vg_error *err)
{
    vg_pipeline *p = vg_calloc(VG_MEM_SQL, 1, sizeof *p);
    if (!p) {
        vg_error_set(err, VG_ERR_NOMEM, "out of memory");
        return NULL;
    }
    if (vg_config_load(path, &p->cfg, err) < 0 || compile(p, err) < 0 ||
        check_bindings(p, err) < 0 || apply_ttls(p, err) < 0) {
        vg_pipeline_free(p);
        return NULL;
    }
    return p;
}

/* cfg->sql becomes copies of texts[0..n) named paths[0..n). */
static int replace_sql(vg_config *cfg, const char *const *paths, const char *const *texts,
                       uint32_t n, vg_error *err)
{
    vg_config_sql *sql = vg_calloc(VG_MEM_SQL, n + 1, sizeof *sql);
    bool bad = !sql;
    for (uint32_t i = 0; !bad && i < n; i++) {
        sql[i].path = vg_strdup(VG_MEM_SQL, paths[i]);
        sql[i].text = vg_strdup(VG_MEM_SQL, texts[i]);
        sql[i].len = (uint32_t)strlen(texts[i]);
        bad = !sql[i].path || !sql[i].text;
    }
    vg_config_sql *drop = bad ? sql : cfg->sql; /* the new copies, or the files read */
    uint32_t ndrop = bad ? n : cfg->nsql;
    for (uint32_t i = 0; drop && i < ndrop; i++) {
        vg_free(drop[i].path);
        vg_free(drop[i].text);
    }
    vg_free(drop);
    if (bad)
        return vg_error_set(err, VG_ERR_NOMEM, "out of memory");
    cfg->sql = sql;
    cfg->nsql = n;
    return 0;
}

vg_pipeline *vg_pipeline_load_sql(const char *path, const char *const *paths,
                                  const char *const *texts, uint32_t n, vg_error *err)
{
    vg_pipeline *p = vg_calloc(VG_MEM_SQL, 1, sizeof *p);
    if (!p) {
        vg_error_set(err, VG_ERR_NOMEM, "out of memory");
        return NULL;
    }
    if (vg_config_load(path, &p->cfg, err) < 0 || replace_sql(p->cfg, paths, texts, n, err) < 0 ||
        compile(p, err) < 0 || apply_ttls(p, err) < 0) {
        vg_pipeline_free(p);
        return NULL;
    }
    return p;
}

void vg_pipeline_free(vg_pipeline *p)
{
    if (!p)
        return;
    vg_plan_free(p->plan);
    vg_arena_free(p->ast);
    vg_free(p->srcs);
    vg_free(p->inputs);
    vg_free(p->outputs);
    vg_config_free(p->cfg);
    vg_free(p);
}

const vg_plan *vg_pipeline_plan(const vg_pipeline *p) { return p->plan; }

size_t vg_pipeline_max_event_bytes(const vg_pipeline *p)
{
    return (size_t)p->cfg->limits.max_event_bytes;
}

const char *vg_pipeline_dir(const vg_pipeline *p) { return p->cfg->dir; }

const struct vg_config *vg_pipeline_config(const vg_pipeline *p) { return p->cfg; }

const char *vg_pipeline_store(const vg_pipeline *p) { return p->cfg->state.store; }

int vg_pipeline_bind(vg_pipeline *p, const vg_replay_input *in, uint32_t nin,
                     const vg_replay_output *out, uint32_t nout, vg_replay_opts *opts,
                     vg_error *err)
{
    uint32_t ncfg_in = p->cfg->nsources, ncfg_out = p->cfg->nsinks;
    vg_free(p->inputs);
    vg_free(p->outputs);
    p->inputs = vg_calloc(VG_MEM_OTHER, nin + ncfg_in + 1, sizeof *p->inputs);
    p->outputs = vg_calloc(VG_MEM_OTHER, nout + ncfg_out + 1, sizeof *p->outputs);
    if (!p->inputs || !p->outputs)
        return vg_error_set(err, VG_ERR_NOMEM, "out of memory");
    memcpy(p->inputs, in, nin * sizeof *in);
    memcpy(p->outputs, out, nout * sizeof *out);
    uint32_t ni = nin, no = nout;
    for (uint32_t i = 0; i < ncfg_in; i++) {
        const vg_binding *b = &p->cfg->sources[i];
        bool given = false;
        for (uint32_t j = 0; j < nin; j++)
            given |= strcmp(in[j].stream, b->name) == 0;
        if (!given && b->kind == VG_BINDING_FILE)
            p->inputs[ni++] = (vg_replay_input){.stream = b->name, .path = b->path};
    }
    for (uint32_t i = 0; i < ncfg_out; i++) {
        const vg_binding *b = &p->cfg->sinks[i];
        bool given = false;
        for (uint32_t j = 0; j < nout; j++)
            given |= strcmp(out[j].sink, b->name) == 0;
        if (!given && b->kind == VG_BINDING_FILE)
            p->outputs[no++] = (vg_replay_output){.sink = b->name, .path = b->path};
    }
    opts->inputs = p->inputs;
    opts->ninputs = ni;
    opts->outputs = p->outputs;
    opts->noutputs = no;
    opts->store_path = p->cfg->state.store;
    return 0;
}
