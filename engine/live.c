/*
 * live.c — the live tables of a plan: which operators have one, their
 * columns and key columns per operator kind (a table of shapes), their
 * names, and the connection they live on.
 *
 * The columns of each kind follow the row its vg_op_kind.iterate visits
 * (documented in live.h and in each kind's *_snap.c); a table maps each of
 * its columns to a value of that row, so that the row is copied as it is.
 */
#include <string.h>
#include <strings.h>

#include "engine/live_int.h"
#include "engine/op.h"

/* ---- shapes: the columns of each stateful kind ---- */

/* Room for n columns (and n keys) in t. -1 when out of memory. */
static int alloc_cols(vg_arena *a, live_table *t, uint32_t n, uint32_t nkeys)
{
    t->ncols = n;
    t->nkeys = nkeys;
    t->cols = vg_arena_calloc(a, (n + 1) * sizeof *t->cols);
    t->from = vg_arena_calloc(a, (n + 1) * sizeof *t->from);
    t->keycols = vg_arena_calloc(a, (nkeys + 1) * sizeof *t->keycols);
    t->hidden = -1;
    return t->cols && t->from && t->keycols ? 0 : -1;
}

/* The node's own output columns, as the iterate row from `skip` on. */
static int own_columns(vg_arena *a, live_table *t, uint32_t skip, uint32_t nkeys)
{
    const vg_schema *s = &t->node->schema;
    if (alloc_cols(a, t, s->ncols, nkeys) < 0)
        return -1;
    t->rowlen = skip + s->ncols;
    for (uint32_t i = 0; i < s->ncols; i++) {
        t->cols[i] = s->cols[i];
        t->from[i] = skip + i;
    }
    return 0;
}

/* over: [source partition, keys..., aggregates...]; the partition hidden, last. */
static int shape_over(vg_arena *a, live_table *t)
{
    const vg_plan_node *n = t->node;
    const vg_schema *in = &n->inputs[0]->schema;
    uint32_t nk = n->u.over.nkeys, na = n->u.over.naggs;
    if (alloc_cols(a, t, nk + na + 1, nk) < 0)
        return -1;
    t->rowlen = 1 + nk + na;
    for (uint32_t k = 0; k < nk; k++) {
        t->cols[k] = in->cols[n->u.over.keys[k]];
        t->keycols[k] = k;
    }
    for (uint32_t i = 0; i < na; i++)
        t->cols[nk + i] = n->schema.cols[in->ncols + i];
    for (uint32_t i = 0; i < nk + na; i++)
        t->from[i] = 1 + i;
    t->hidden = (int32_t)(nk + na);
    t->cols[nk + na] = (vg_column){"source_partition", VG_T_INT};
    t->from[nk + na] = 0;
    return 0;
}

/* group: the node's row (the GROUP BY columns first). */
static int shape_group(vg_arena *a, live_table *t)
{
    uint32_t nk = t->node->u.group.nkeys;
    if (own_columns(a, t, 0, nk) < 0)
        return -1;
    for (uint32_t k = 0; k < nk; k++)
        t->keycols[k] = k;
    return 0;
}

/* rank: [keys..., the node's row]; the keys are input columns, which the
 * row starts with. */
static int shape_rank(vg_arena *a, live_table *t)
{
    uint32_t nk = t->node->u.rank.nkeys;
    if (own_columns(a, t, nk, nk) < 0)
        return -1;
    for (uint32_t k = 0; k < nk; k++)
        t->keycols[k] = t->node->u.rank.keys[k];
    return 0;
}

/* window, grouped: the node's row (window_start, window_end, window_time,
 * the keys, the aggregates); a bare window holds no state: no table. */
static int shape_window(vg_arena *a, live_table *t)
{
    if (!t->node->u.window.grouped)
        return 1;
    uint32_t nk = t->node->u.window.nkeys;
    if (own_columns(a, t, 0, nk) < 0)
        return -1;
    for (uint32_t k = 0; k < nk; k++)
        t->keycols[k] = 3 + k;
    return 0;
}

/* match (MATCH_RECOGNIZE): [keys..., rows, threads, matches, bytes], per
 * partition (engine/match_snap.c). */
static int shape_match(vg_arena *a, live_table *t)
{
    static const char *const figures[] = {"rows", "threads", "matches", "bytes"};
    const vg_plan_match *m = t->node->u.match;
    const vg_schema *in = &t->node->inputs[0]->schema;
    if (alloc_cols(a, t, m->nkeys + 4, m->nkeys) < 0)
        return -1;
    t->rowlen = m->nkeys + 4;
    for (uint32_t k = 0; k < m->nkeys; k++) {
        t->cols[k] = in->cols[m->keys[k]];
        t->keycols[k] = k;
    }
    for (uint32_t i = 0; i < 4; i++)
        t->cols[m->nkeys + i] = (vg_column){figures[i], VG_T_BIGINT};
    for (uint32_t i = 0; i < t->ncols; i++)
        t->from[i] = i;
    return 0;
}

/* A stateful plan kind with a live table. */
typedef struct live_shape {
    vg_plan_kind kind;
    const char *name;
    /* Fill the columns of t (t->node set): 0, 1 when this node has no
     * table, -1 when out of memory. */
    int (*build)(vg_arena *a, live_table *t);
} live_shape;

static const live_shape shapes[] = {
    {VG_PLAN_OVER, "over", shape_over},    {VG_PLAN_GROUP, "group", shape_group},
    {VG_PLAN_RANK, "rank", shape_rank},    {VG_PLAN_WINDOW, "window", shape_window},
    {VG_PLAN_MATCH, "match", shape_match},
};

static const live_shape *shape_of(vg_plan_kind k)
{
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++)
        if (shapes[i].kind == k)
            return &shapes[i];
    return NULL;
}

/* Give repeated column names a suffix (_2, _3, ...): SQLite wants them unique. */
static int unique_columns(vg_arena *a, live_table *t)
{
    for (uint32_t i = 1; i < t->ncols; i++)
        for (uint32_t j = 0, n = 2; j < i; j++)
            if (strcasecmp(t->cols[i].name, t->cols[j].name) == 0) {
                const char *base = t->cols[i].name;
                if (!(t->cols[i].name = vg_arena_printf(a, "%s_%u", base, n++)))
                    return -1;
                j = (uint32_t)-1; /* check the new name from the start */
            }
    return 0;
}

/* ---- names ---- */

static uint32_t tables_of_view(const vg_live *l, const char *view)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < l->ntables; i++)
        n += l->tables[i].node->view && strcmp(l->tables[i].node->view, view) == 0;
    return n;
}

/* The name of t, before uniqueness: see live.h. */
static char *base_name(vg_live *l, const live_table *t)
{
    const char *view = t->node->view;
    if (!view)
        return vg_arena_printf(l->arena, "%s_%u", t->kind, t->node->id);
    if (tables_of_view(l, view) == 1)
        return vg_arena_strndup(l->arena, view, strlen(view));
    if (!t->nkeys)
        return vg_arena_printf(l->arena, "%s_%u", view, t->node->id);
    char *s = vg_arena_printf(l->arena, "%s_by", view);
    for (uint32_t k = 0; k < t->nkeys && s; k++)
        s = vg_arena_printf(l->arena, "%s_%s", s, t->cols[t->keycols[k]].name);
    return s;
}

static bool name_taken(const vg_live *l, uint32_t upto, const char *name)
{
    if (strcasecmp(name, "vigil_tables") == 0 || strncasecmp(name, "sqlite_", 7) == 0)
        return true;
    for (uint32_t i = 0; i < upto; i++)
        if (strcasecmp(l->tables[i].name, name) == 0)
            return true;
    return false;
}

static int name_tables(vg_live *l)
{
    for (uint32_t i = 0; i < l->ntables; i++) {
        live_table *t = &l->tables[i];
        char *name = base_name(l, t);
        if (name && name_taken(l, i, name))
            name = vg_arena_printf(l->arena, "%s_%u", name, t->node->id);
        if (!name)
            return -1;
        t->name = name;
    }
    return 0;
}

/* ---- the tables ---- */

static int build_tables(vg_live *l)
{
    const vg_plan *p = l->plan;
    l->tables = vg_arena_calloc(l->arena, (p->nnodes + 1) * sizeof *l->tables);
    if (!l->tables)
        return -1;
    for (uint32_t i = 0; i < p->nnodes; i++) {
        const live_shape *sh = shape_of(p->nodes[i]->kind);
        const vg_op_kind *k = vg_op_kind_for(p->nodes[i]->kind);
        if (!sh || !k || !k->iterate)
            continue;
        live_table *t = &l->tables[l->ntables];
        *t = (live_table){.kind = sh->name, .node = p->nodes[i], .live = l};
        int rc = sh->build(l->arena, t);
        if (rc < 0 || (rc == 0 && unique_columns(l->arena, t) < 0))
            return -1;
        if (rc == 0)
            l->ntables++;
    }
    return name_tables(l);
}

/* vigil_tables: the catalog's columns. */
static int build_catalog(vg_live *l)
{
    static const vg_column cols[] = {
        {"name", VG_T_STRING},    {"kind", VG_T_STRING},        {"node", VG_T_BIGINT},
        {"view", VG_T_STRING},    {"key_columns", VG_T_STRING}, {"lookup", VG_T_BOOL},
        {"columns", VG_T_STRING},
    };
    live_table *t = &l->catalog;
    uint32_t n = sizeof cols / sizeof cols[0];
    if (alloc_cols(l->arena, t, n, 0) < 0)
        return -1;
    t->name = "vigil_tables";
    t->kind = "catalog";
    t->rowlen = n;
    for (uint32_t i = 0; i < n; i++) {
        t->cols[i] = cols[i];
        t->from[i] = i;
    }
    return 0;
}

vg_live *vg_live_open(const vg_plan *plan, vg_error *err)
{
    vg_live *l = vg_calloc(VG_MEM_OTHER, 1, sizeof *l);
    if (!l || !(l->arena = vg_arena_new(VG_MEM_OTHER, 0))) {
        vg_free(l);
        vg_error_set(err, VG_ERR_NOMEM, "out of memory");
        return NULL;
    }
    l->plan = plan;
    l->npartitions = 1;
    if (build_tables(l) < 0 || build_catalog(l) < 0) {
        vg_error_set(err, VG_ERR_NOMEM, "out of memory");
        vg_live_close(l);
        return NULL;
    }
    if (live_connect(l, err) < 0) {
        vg_live_close(l);
        return NULL;
    }
    return l;
}

void vg_live_close(vg_live *l)
{
    if (!l)
        return;
    live_cache_clear(l);
    sqlite3_close(l->db);
    vg_arena_free(l->arena);
    vg_free(l);
}

void vg_live_attach(vg_live *l, vg_dag *dag, uint32_t npartitions)
{
    l->dag = dag;
    l->npartitions = npartitions ? npartitions : 1;
}

const char *vg_live_table_of(const vg_live *l, uint32_t node_id)
{
    for (uint32_t i = 0; i < l->ntables; i++)
        if (l->tables[i].node->id == node_id)
            return l->tables[i].name;
    return NULL;
}

void vg_live_counts_get(const vg_live *l, vg_live_counts *out) { *out = l->counts; }
