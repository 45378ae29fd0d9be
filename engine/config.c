/*
 * config.c — walking a YAML document through the key table.
 *
 * libyaml parses the text into a node tree; the walker visits every
 * mapping key, builds its key path ("state.ttl", or "sources.*.file" under
 * a name the user picked), and looks it up in the key table
 * (config_keys.c). An unknown key, a duplicate key or a value of the wrong
 * type stops the walk with an error at the node's line and column, with
 * the YAML line and a caret.
 *
 * libyaml's marks count characters; node_span turns them into byte
 * offsets (engine/yaml_doc.h), which vg_error_at expects.
 */
#include <string.h>

#include "engine/alloc.h"
#include "engine/config_int.h"
#include "engine/suggest.h"
#include "engine/yaml_doc.h"

#define PATH_BUF 256 /* key patterns and shown key paths; longer keys are unknown anyway */

typedef struct loader {
    vg_cfg_file file;       /* which keys are allowed */
    const char *doc_name;   /* base name of the YAML file, for messages */
    const vg_source *src;   /* the YAML text */
    const vg_yaml_doc *doc; /* its node tree */
    vg_config *cfg;         /* the pipeline being built; NULL for case.yaml */
    vg_error *err;
} loader;

static int nomem(loader *ld) { return vg_error_set(ld->err, VG_ERR_NOMEM, "out of memory"); }

/* ---- messages ---- */

static void join(char *out, const char *prefix, const char *name)
{
    snprintf(out, PATH_BUF, "%s%s%s", prefix, *prefix ? "." : "", name);
}

/* ---- keys ---- */

/* "unknown key 'x' in pipeline.yaml", with the nearest known key under the
 * same parent when one is within two edits. */
static int unknown_key(loader *ld, const vg_yaml_node *key, const char *pattern, const char *shown)
{
    const char *name = key->value, *best = NULL;
    unsigned best_d = 3;
    for (size_t i = 0; i < vg_cfg_nkeys; i++) {
        const vg_cfg_key *k = &vg_cfg_keys[i];
        if (k->file != ld->file || !vg_cfg_key_is_child(k, pattern))
            continue;
        const char *last = strrchr(k->path, '.');
        last = last ? last + 1 : k->path;
        unsigned d = vg_suggest_distance(name, last);
        if (d < best_d && d < strlen(last)) {
            best_d = d;
            best = last;
        }
    }
    char where[PATH_BUF + 8];
    if (*shown)
        snprintf(where, sizeof where, "'%s'", shown);
    else
        snprintf(where, sizeof where, "%s", ld->doc_name);
    if (best)
        return vg_yaml_fail(ld->doc, key, ld->err, "unknown key '%s' in %s; did you mean '%s'?",
                            name, where, best);
    return vg_yaml_fail(ld->doc, key, ld->err, "unknown key '%s' in %s", name, where);
}

/* A section may be left empty (`state:`), a binding may not. */
static int expect_mapping(loader *ld, const vg_cfg_key *k, const vg_yaml_node *node)
{
    if (node->kind == VG_YAML_MAP || (vg_yaml_is_null(node) && k->type != VG_CFG_BINDING))
        return 0;
    return vg_yaml_fail_expected(ld->doc, node, ld->err, vg_cfg_type_expect(k->type));
}

/* Does mapping node hold key name? */
static bool has_key(const vg_yaml_node *map, const char *name)
{
    for (uint32_t i = 0; i < map->n; i++)
        if (vg_yaml_is(vg_yaml_key(map, i), name))
            return true;
    return false;
}

/* ---- the walker: one function per structured type ---- */

typedef int (*walk_fn)(loader *ld, const vg_cfg_key *k, const vg_yaml_node *node,
                       const char *pattern, const char *shown, void *obj);

static int walk_value(loader *ld, const vg_cfg_key *k, const vg_yaml_node *node,
                      const char *pattern, const char *shown, void *obj);

static int walk_scalar(loader *ld, const vg_cfg_key *k, const vg_yaml_node *node,
                       const char *pattern, const char *shown, void *obj)
{
    (void)pattern;
    if (node->kind != VG_YAML_SCALAR || vg_yaml_is_null(node))
        return vg_yaml_fail_expected(ld->doc, node, ld->err, vg_cfg_type_expect(k->type));
    const char *bound;
    int rc = vg_cfg_parse(k, ld->cfg ? ld->cfg->dir : NULL, node->value, node->len,
                          (char *)obj + k->off, &bound);
    char buf[64];
    if (rc == VG_CFG_BAD && bound)
        return vg_yaml_fail(ld->doc, node, ld->err, "'%s' must be at %s %s, got %s", shown,
                            bound == k->min ? "least" : "most", bound,
                            vg_yaml_describe(node, buf, sizeof buf));
    if (rc == VG_CFG_BAD)
        return vg_yaml_fail_expected(ld->doc, node, ld->err, vg_cfg_type_expect(k->type));
    return rc < 0 ? nomem(ld) : 0;
}

/* A mapping of keys below pattern. A section inside a binding gets its
 * defaults here; the others got theirs when the object was made. */
static int walk_section(loader *ld, const vg_cfg_key *k, const vg_yaml_node *node,
                        const char *pattern, const char *shown, void *obj)
{
    if (expect_mapping(ld, k, node) < 0)
        return -1;
    if (node->kind != VG_YAML_MAP)
        return 0;
    if (strchr(pattern, '*') && vg_cfg_apply_defaults(ld->file, pattern, obj, false, ld->err) < 0)
        return -1;
    for (uint32_t i = 0; i < node->n; i++) {
        if (vg_yaml_check_key(ld->doc, node, i, ld->err) < 0)
            return -1;
        const vg_yaml_node *key = vg_yaml_key(node, i);
        char child[PATH_BUF], child_shown[PATH_BUF];
        join(child, pattern, key->value);
        join(child_shown, shown, key->value);
        const vg_cfg_key *ck = vg_cfg_key_find(ld->file, child);
        if (!ck || strchr(key->value, '.') || strchr(key->value, '*'))
            return unknown_key(ld, key, pattern, shown);
        if (walk_value(ld, ck, vg_yaml_value(node, i), child, child_shown, obj) < 0)
            return -1;
    }
    return 0;
}

/* One binding, into the vg_binding obj (its name and span already set). */
static int walk_binding(loader *ld, const vg_cfg_key *k, const vg_yaml_node *node,
                        const char *pattern, const char *shown, void *obj)
{
    vg_binding *b = obj;
    const char *what = strncmp(pattern, "sources", 7) == 0 ? "stream" : "sink";
    if (expect_mapping(ld, k, node) < 0)
        return -1;
    bool file = has_key(node, "file"), kafka = has_key(node, "kafka");
    if (file && kafka)
        return vg_yaml_fail(ld->doc, node, ld->err,
                            "%s '%s' has both 'file' and 'kafka'; choose one", what, b->name);
    if (walk_section(ld, k, node, pattern, shown, b) < 0)
        return -1;
    if (!file && !kafka)
        return vg_yaml_fail(ld->doc, node, ld->err, "%s '%s' needs 'file' or 'kafka'", what,
                            b->name);
    b->kind = file ? VG_BINDING_FILE : VG_BINDING_KAFKA;
    return 0;
}

/* Append *b to the array at obj + k->off (count at obj + k->off_n); on
 * failure *b is cleared. */
static int append_binding(loader *ld, const vg_cfg_key *k, void *obj, vg_binding *b)
{
    vg_binding **arr = (vg_binding **)((char *)obj + k->off);
    uint32_t *n = (uint32_t *)((char *)obj + k->off_n);
    vg_binding *grown = vg_realloc(VG_CFG_TAG, *arr, (*n + 1) * sizeof **arr);
    if (!grown) {
        vg_cfg_binding_clear(b);
        return nomem(ld);
    }
    grown[(*n)++] = *b;
    *arr = grown;
    return 0;
}

/* sources or sinks: a binding per name. */
static int walk_named(loader *ld, const vg_cfg_key *k, const vg_yaml_node *node,
                      const char *pattern, const char *shown, void *obj)
{
    if (expect_mapping(ld, k, node) < 0)
        return -1;
    if (node->kind != VG_YAML_MAP)
        return 0;
    char child[PATH_BUF];
    join(child, pattern, "*");
    const vg_cfg_key *bk = vg_cfg_key_find(ld->file, child);
    for (uint32_t i = 0; i < node->n; i++) {
        if (vg_yaml_check_key(ld->doc, node, i, ld->err) < 0)
            return -1;
        const vg_yaml_node *key = vg_yaml_key(node, i);
        vg_binding b = {0};
        b.at = key->span;
        if (!(b.name = vg_strdup(VG_CFG_TAG, key->value)))
            return nomem(ld);
        char child_shown[PATH_BUF];
        join(child_shown, shown, key->value);
        if (walk_binding(ld, bk, vg_yaml_value(node, i), child, child_shown, &b) < 0) {
            vg_cfg_binding_clear(&b);
            return -1;
        }
        if (append_binding(ld, k, obj, &b) < 0)
            return -1;
    }
    return 0;
}

/* librdkafka properties: any scalar value, kept as text. */
static int walk_props(loader *ld, const vg_cfg_key *k, const vg_yaml_node *node,
                      const char *pattern, const char *shown, void *obj)
{
    (void)pattern;
    (void)shown;
    if (expect_mapping(ld, k, node) < 0)
        return -1;
    if (node->kind != VG_YAML_MAP)
        return 0;
    vg_config_prop **arr = (vg_config_prop **)((char *)obj + k->off);
    uint32_t *n = (uint32_t *)((char *)obj + k->off_n);
    for (uint32_t i = 0; i < node->n; i++) {
        if (vg_yaml_check_key(ld->doc, node, i, ld->err) < 0)
            return -1;
        const vg_yaml_node *value = vg_yaml_value(node, i);
        if (value->kind != VG_YAML_SCALAR)
            return vg_yaml_fail_expected(ld->doc, value, ld->err, "a property value");
        vg_config_prop *grown = vg_realloc(VG_CFG_TAG, *arr, (*n + 1) * sizeof **arr);
        if (!grown)
            return nomem(ld);
        *arr = grown;
        vg_config_prop *prop = &grown[(*n)++];
        prop->key = vg_strdup(VG_CFG_TAG, vg_yaml_key(node, i)->value);
        prop->value = vg_strdup(VG_CFG_TAG, value->value);
        if (!prop->key || !prop->value)
            return nomem(ld);
    }
    return 0;
}

/* state.view_ttl: view names to durations, each checked where it is written. */
static int walk_ttls(loader *ld, const vg_cfg_key *k, const vg_yaml_node *node, const char *pattern,
                     const char *shown, void *obj)
{
    (void)pattern;
    (void)shown;
    if (expect_mapping(ld, k, node) < 0)
        return -1;
    if (node->kind != VG_YAML_MAP)
        return 0;
    vg_config_view_ttl **arr = (vg_config_view_ttl **)((char *)obj + k->off);
    uint32_t *n = (uint32_t *)((char *)obj + k->off_n);
    for (uint32_t i = 0; i < node->n; i++) {
        if (vg_yaml_check_key(ld->doc, node, i, ld->err) < 0)
            return -1;
        const vg_yaml_node *key = vg_yaml_key(node, i), *value = vg_yaml_value(node, i);
        int64_t ms;
        if (value->kind != VG_YAML_SCALAR || vg_yaml_is_null(value) ||
            vg_config_parse_duration(value->value, value->len, &ms) < 0)
            return vg_yaml_fail_expected(ld->doc, value, ld->err,
                                         vg_cfg_type_expect(VG_CFG_DURATION));
        vg_config_view_ttl *grown = vg_realloc(VG_CFG_TAG, *arr, (*n + 1) * sizeof **arr);
        if (!grown)
            return nomem(ld);
        *arr = grown;
        vg_config_view_ttl *t = &grown[(*n)++];
        t->view = vg_strdup(VG_CFG_TAG, key->value);
        t->ttl_ms = ms;
        t->at = key->span;
        if (!t->view)
            return nomem(ld);
    }
    return 0;
}

static int walk_one_sql(loader *ld, const vg_yaml_node *node)
{
    if (node->kind != VG_YAML_SCALAR || vg_yaml_is_null(node) || node->len == 0)
        return vg_yaml_fail_expected(ld->doc, node, ld->err, "a file path");
    char *path = vg_cfg_resolve_path(ld->cfg->dir, node->value, node->len);
    if (!path)
        return nomem(ld);
    return vg_cfg_add_sql(ld->cfg, path, ld->src, node->span, ld->err);
}

/* sql: one path or a list of them; each file is read at once. */
static int walk_paths(loader *ld, const vg_cfg_key *k, const vg_yaml_node *node,
                      const char *pattern, const char *shown, void *obj)
{
    (void)pattern;
    (void)shown;
    (void)obj;
    if (node->kind == VG_YAML_SCALAR && !vg_yaml_is_null(node))
        return walk_one_sql(ld, node);
    if (node->kind != VG_YAML_LIST)
        return vg_yaml_fail_expected(ld->doc, node, ld->err, vg_cfg_type_expect(k->type));
    if (node->n == 0)
        return vg_yaml_fail(ld->doc, node, ld->err, "expected at least one SQL file");
    for (uint32_t i = 0; i < node->n; i++)
        if (walk_one_sql(ld, node->kids[i]) < 0)
            return -1;
    return 0;
}

static const walk_fn walkers[VG_CFG_NTYPES] = {
    [VG_CFG_SECTION] = walk_section, [VG_CFG_NAMED] = walk_named, [VG_CFG_BINDING] = walk_binding,
    [VG_CFG_PATHS] = walk_paths,     [VG_CFG_PROPS] = walk_props, [VG_CFG_TTLS] = walk_ttls,
};

static int walk_value(loader *ld, const vg_cfg_key *k, const vg_yaml_node *node,
                      const char *pattern, const char *shown, void *obj)
{
    walk_fn walk = walkers[k->type] ? walkers[k->type] : walk_scalar;
    return walk(ld, k, node, pattern, shown, obj);
}

/* ---- the document ---- */

int vg_cfg_walk_yaml(vg_cfg_file file, const vg_source *src, void *obj, vg_config *cfg,
                     vg_error *err)
{
    const char *slash = strrchr(src->name, '/');
    loader ld = {.file = file,
                 .doc_name = slash ? slash + 1 : src->name,
                 .src = src,
                 .cfg = cfg,
                 .err = err};
    vg_yaml_doc *doc = vg_yaml_load(src, ld.doc_name, err);
    if (!doc)
        return -1;
    ld.doc = doc;
    static const vg_cfg_key top = {
        VG_CFG_PIPELINE, "", VG_CFG_SECTION, VG_CFG_NO_SLOT, 0, NULL, NULL, NULL, NULL,
        "the whole file"};
    const vg_yaml_node *root = vg_yaml_root(doc);
    int rc = root ? walk_section(&ld, &top, root, "", "", obj) : 0;
    vg_yaml_free(doc);
    return rc;
}
