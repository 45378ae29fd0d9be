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
 * offsets (engine/yaml_pos.h), which vg_error_at expects.
 */
#include <stdarg.h>
#include <string.h>
#include <yaml.h>

#include "engine/alloc.h"
#include "engine/config_int.h"
#include "engine/yaml_pos.h"

#define PATH_BUF 256 /* key patterns and shown key paths; longer keys are unknown anyway */

typedef struct loader {
    vg_cfg_file file;     /* which keys are allowed */
    const char *doc_name; /* base name of the YAML file, for messages */
    const vg_source *src; /* the YAML text */
    yaml_document_t doc;  /* its node tree */
    vg_config *cfg;       /* the pipeline being built; NULL for case.yaml */
    vg_error *err;
} loader;

static int nomem(loader *ld) { return vg_error_set(ld->err, VG_ERR_NOMEM, "out of memory"); }

/* ---- positions and messages ---- */

/* A node's span: to its end when that is on the same line, else to the
 * end of its first line. */
static vg_span node_span(const loader *ld, const yaml_node_t *node)
{
    uint32_t off = vg_yaml_offset(ld->src, node->start_mark);
    uint32_t end = off;
    if (node->end_mark.line == node->start_mark.line)
        end = vg_yaml_offset(ld->src, node->end_mark);
    else
        while (end < ld->src->len && ld->src->text[end] != '\n')
            end++;
    vg_span sp = {off, end > off ? end - off : 1};
    return sp;
}

static int fail_at(loader *ld, const yaml_node_t *node, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail_at(loader *ld, const yaml_node_t *node, const char *fmt, ...)
{
    char msg[sizeof ld->err->msg];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return vg_error_at(ld->err, VG_ERR_CONFIG, ld->src, node_span(ld, node), "%s", msg);
}

static const char *scalar(const yaml_node_t *node) { return (const char *)node->data.scalar.value; }

static bool is_null(const yaml_node_t *node)
{
    static const char *const nulls[] = {"", "~", "null", "Null", "NULL"};
    if (node->type != YAML_SCALAR_NODE || node->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
        return false;
    for (size_t i = 0; i < sizeof nulls / sizeof nulls[0]; i++)
        if (strcmp(scalar(node), nulls[i]) == 0)
            return true;
    return false;
}

/* What a node is, for "expected X, got Y". */
static const char *describe(const yaml_node_t *node, char *buf, size_t size)
{
    if (node->type == YAML_SEQUENCE_NODE)
        return "a list";
    if (node->type == YAML_MAPPING_NODE)
        return "a mapping";
    if (is_null(node))
        return "nothing";
    if (node->data.scalar.length > 40) {
        int k = 37; /* cut on a character boundary */
        while (k > 0 && ((unsigned char)scalar(node)[k] & 0xC0) == 0x80)
            k--;
        snprintf(buf, size, "'%.*s...'", k, scalar(node));
    } else
        snprintf(buf, size, "'%s'", scalar(node));
    return buf;
}

static int fail_expected(loader *ld, const yaml_node_t *node, const char *what)
{
    char buf[64];
    return fail_at(ld, node, "expected %s, got %s", what, describe(node, buf, sizeof buf));
}

static yaml_node_t *node_at(loader *ld, int id) { return yaml_document_get_node(&ld->doc, id); }

static void join(char *out, const char *prefix, const char *name)
{
    snprintf(out, PATH_BUF, "%s%s%s", prefix, *prefix ? "." : "", name);
}

/* ---- keys ---- */

static int edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    int row[64];
    if (la >= 64 || lb >= 64)
        return 99;
    for (size_t j = 0; j <= lb; j++)
        row[j] = (int)j;
    for (size_t i = 1; i <= la; i++) {
        int diag = row[0];
        row[0] = (int)i;
        for (size_t j = 1; j <= lb; j++) {
            int up = row[j];
            int best = diag + (a[i - 1] != b[j - 1]);
            if (up + 1 < best)
                best = up + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[lb];
}

/* "unknown key 'x' in pipeline.yaml", with the nearest known key under the
 * same parent when one is within two edits. */
static int unknown_key(loader *ld, yaml_node_t *key, const char *pattern, const char *shown)
{
    const char *name = scalar(key), *best = NULL;
    int best_d = 3;
    for (size_t i = 0; i < vg_cfg_nkeys; i++) {
        const vg_cfg_key *k = &vg_cfg_keys[i];
        if (k->file != ld->file || !vg_cfg_key_is_child(k, pattern))
            continue;
        const char *last = strrchr(k->path, '.');
        last = last ? last + 1 : k->path;
        int d = edit_distance(name, last);
        if (d < best_d && (size_t)d < strlen(last)) {
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
        return fail_at(ld, key, "unknown key '%s' in %s; did you mean '%s'?", name, where, best);
    return fail_at(ld, key, "unknown key '%s' in %s", name, where);
}

/* The key of a mapping pair must be a non-empty string, given once. */
static int check_key(loader *ld, yaml_node_t *map, yaml_node_pair_t *pair)
{
    yaml_node_t *key = node_at(ld, pair->key);
    if (key->type != YAML_SCALAR_NODE || key->data.scalar.length == 0)
        return fail_expected(ld, key, "a key name");
    for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < pair; p++) {
        yaml_node_t *other = node_at(ld, p->key);
        if (other->type == YAML_SCALAR_NODE && strcmp(scalar(other), scalar(key)) == 0)
            return fail_at(ld, key, "duplicate key '%s'", scalar(key));
    }
    return 0;
}

/* A section may be left empty (`state:`), a binding may not. */
static int expect_mapping(loader *ld, const vg_cfg_key *k, yaml_node_t *node)
{
    if (node->type == YAML_MAPPING_NODE || (is_null(node) && k->type != VG_CFG_BINDING))
        return 0;
    return fail_expected(ld, node, vg_cfg_type_expect(k->type));
}

/* Does mapping node hold key name? */
static bool has_key(loader *ld, yaml_node_t *map, const char *name)
{
    for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
         p++) {
        yaml_node_t *key = node_at(ld, p->key);
        if (key->type == YAML_SCALAR_NODE && strcmp(scalar(key), name) == 0)
            return true;
    }
    return false;
}

/* ---- the walker: one function per structured type ---- */

typedef int (*walk_fn)(loader *ld, const vg_cfg_key *k, yaml_node_t *node, const char *pattern,
                       const char *shown, void *obj);

static int walk_value(loader *ld, const vg_cfg_key *k, yaml_node_t *node, const char *pattern,
                      const char *shown, void *obj);

static int walk_scalar(loader *ld, const vg_cfg_key *k, yaml_node_t *node, const char *pattern,
                       const char *shown, void *obj)
{
    (void)pattern;
    if (node->type != YAML_SCALAR_NODE || is_null(node))
        return fail_expected(ld, node, vg_cfg_type_expect(k->type));
    const char *bound;
    int rc = vg_cfg_parse(k, ld->cfg ? ld->cfg->dir : NULL, scalar(node), node->data.scalar.length,
                          (char *)obj + k->off, &bound);
    char buf[64];
    if (rc == VG_CFG_BAD && bound)
        return fail_at(ld, node, "'%s' must be at %s %s, got %s", shown,
                       bound == k->min ? "least" : "most", bound, describe(node, buf, sizeof buf));
    if (rc == VG_CFG_BAD)
        return fail_expected(ld, node, vg_cfg_type_expect(k->type));
    return rc < 0 ? nomem(ld) : 0;
}

/* A mapping of keys below pattern. A section inside a binding gets its
 * defaults here; the others got theirs when the object was made. */
static int walk_section(loader *ld, const vg_cfg_key *k, yaml_node_t *node, const char *pattern,
                        const char *shown, void *obj)
{
    if (expect_mapping(ld, k, node) < 0)
        return -1;
    if (node->type != YAML_MAPPING_NODE)
        return 0;
    if (strchr(pattern, '*') && vg_cfg_apply_defaults(ld->file, pattern, obj, false, ld->err) < 0)
        return -1;
    for (yaml_node_pair_t *p = node->data.mapping.pairs.start; p < node->data.mapping.pairs.top;
         p++) {
        if (check_key(ld, node, p) < 0)
            return -1;
        yaml_node_t *key = node_at(ld, p->key);
        char child[PATH_BUF], child_shown[PATH_BUF];
        join(child, pattern, scalar(key));
        join(child_shown, shown, scalar(key));
        const vg_cfg_key *ck = vg_cfg_key_find(ld->file, child);
        if (!ck || strchr(scalar(key), '.') || strchr(scalar(key), '*'))
            return unknown_key(ld, key, pattern, shown);
        if (walk_value(ld, ck, node_at(ld, p->value), child, child_shown, obj) < 0)
            return -1;
    }
    return 0;
}

/* One binding, into the vg_binding obj (its name and span already set). */
static int walk_binding(loader *ld, const vg_cfg_key *k, yaml_node_t *node, const char *pattern,
                        const char *shown, void *obj)
{
    vg_binding *b = obj;
    const char *what = strncmp(pattern, "sources", 7) == 0 ? "stream" : "sink";
    if (expect_mapping(ld, k, node) < 0)
        return -1;
    bool file = has_key(ld, node, "file"), kafka = has_key(ld, node, "kafka");
    if (file && kafka)
        return fail_at(ld, node, "%s '%s' has both 'file' and 'kafka'; choose one", what, b->name);
    if (walk_section(ld, k, node, pattern, shown, b) < 0)
        return -1;
    if (!file && !kafka)
        return fail_at(ld, node, "%s '%s' needs 'file' or 'kafka'", what, b->name);
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
static int walk_named(loader *ld, const vg_cfg_key *k, yaml_node_t *node, const char *pattern,
                      const char *shown, void *obj)
{
    if (expect_mapping(ld, k, node) < 0)
        return -1;
    if (node->type != YAML_MAPPING_NODE)
        return 0;
    char child[PATH_BUF];
    join(child, pattern, "*");
    const vg_cfg_key *bk = vg_cfg_key_find(ld->file, child);
    for (yaml_node_pair_t *p = node->data.mapping.pairs.start; p < node->data.mapping.pairs.top;
         p++) {
        if (check_key(ld, node, p) < 0)
            return -1;
        yaml_node_t *key = node_at(ld, p->key);
        vg_binding b = {0};
        b.at = node_span(ld, key);
        if (!(b.name = vg_strdup(VG_CFG_TAG, scalar(key))))
            return nomem(ld);
        char child_shown[PATH_BUF];
        join(child_shown, shown, scalar(key));
        if (walk_binding(ld, bk, node_at(ld, p->value), child, child_shown, &b) < 0) {
            vg_cfg_binding_clear(&b);
            return -1;
        }
        if (append_binding(ld, k, obj, &b) < 0)
            return -1;
    }
    return 0;
}

/* librdkafka properties: any scalar value, kept as text. */
static int walk_props(loader *ld, const vg_cfg_key *k, yaml_node_t *node, const char *pattern,
                      const char *shown, void *obj)
{
    (void)pattern;
    (void)shown;
    if (expect_mapping(ld, k, node) < 0)
        return -1;
    if (node->type != YAML_MAPPING_NODE)
        return 0;
    vg_config_prop **arr = (vg_config_prop **)((char *)obj + k->off);
    uint32_t *n = (uint32_t *)((char *)obj + k->off_n);
    for (yaml_node_pair_t *p = node->data.mapping.pairs.start; p < node->data.mapping.pairs.top;
         p++) {
        if (check_key(ld, node, p) < 0)
            return -1;
        yaml_node_t *value = node_at(ld, p->value);
        if (value->type != YAML_SCALAR_NODE)
            return fail_expected(ld, value, "a property value");
        vg_config_prop *grown = vg_realloc(VG_CFG_TAG, *arr, (*n + 1) * sizeof **arr);
        if (!grown)
            return nomem(ld);
        *arr = grown;
        vg_config_prop *prop = &grown[(*n)++];
        prop->key = vg_strdup(VG_CFG_TAG, scalar(node_at(ld, p->key)));
        prop->value = vg_strdup(VG_CFG_TAG, scalar(value));
        if (!prop->key || !prop->value)
            return nomem(ld);
    }
    return 0;
}

/* state.view_ttl: view names to durations, each checked where it is written. */
static int walk_ttls(loader *ld, const vg_cfg_key *k, yaml_node_t *node, const char *pattern,
                     const char *shown, void *obj)
{
    (void)pattern;
    (void)shown;
    if (expect_mapping(ld, k, node) < 0)
        return -1;
    if (node->type != YAML_MAPPING_NODE)
        return 0;
    vg_config_view_ttl **arr = (vg_config_view_ttl **)((char *)obj + k->off);
    uint32_t *n = (uint32_t *)((char *)obj + k->off_n);
    for (yaml_node_pair_t *p = node->data.mapping.pairs.start; p < node->data.mapping.pairs.top;
         p++) {
        if (check_key(ld, node, p) < 0)
            return -1;
        yaml_node_t *key = node_at(ld, p->key), *value = node_at(ld, p->value);
        int64_t ms;
        if (value->type != YAML_SCALAR_NODE || is_null(value) ||
            vg_config_parse_duration(scalar(value), value->data.scalar.length, &ms) < 0)
            return fail_expected(ld, value, vg_cfg_type_expect(VG_CFG_DURATION));
        vg_config_view_ttl *grown = vg_realloc(VG_CFG_TAG, *arr, (*n + 1) * sizeof **arr);
        if (!grown)
            return nomem(ld);
        *arr = grown;
        vg_config_view_ttl *t = &grown[(*n)++];
        t->view = vg_strdup(VG_CFG_TAG, scalar(key));
        t->ttl_ms = ms;
        t->at = node_span(ld, key);
        if (!t->view)
            return nomem(ld);
    }
    return 0;
}

static int walk_one_sql(loader *ld, yaml_node_t *node)
{
    if (node->type != YAML_SCALAR_NODE || is_null(node) || node->data.scalar.length == 0)
        return fail_expected(ld, node, "a file path");
    char *path = vg_cfg_resolve_path(ld->cfg->dir, scalar(node), node->data.scalar.length);
    if (!path)
        return nomem(ld);
    return vg_cfg_add_sql(ld->cfg, path, ld->src, node_span(ld, node), ld->err);
}

/* sql: one path or a list of them; each file is read at once. */
static int walk_paths(loader *ld, const vg_cfg_key *k, yaml_node_t *node, const char *pattern,
                      const char *shown, void *obj)
{
    (void)pattern;
    (void)shown;
    (void)obj;
    if (node->type == YAML_SCALAR_NODE && !is_null(node))
        return walk_one_sql(ld, node);
    if (node->type != YAML_SEQUENCE_NODE)
        return fail_expected(ld, node, vg_cfg_type_expect(k->type));
    if (node->data.sequence.items.start == node->data.sequence.items.top)
        return fail_at(ld, node, "expected at least one SQL file");
    for (yaml_node_item_t *it = node->data.sequence.items.start; it < node->data.sequence.items.top;
         it++)
        if (walk_one_sql(ld, node_at(ld, *it)) < 0)
            return -1;
    return 0;
}

static const walk_fn walkers[VG_CFG_NTYPES] = {
    [VG_CFG_SECTION] = walk_section, [VG_CFG_NAMED] = walk_named, [VG_CFG_BINDING] = walk_binding,
    [VG_CFG_PATHS] = walk_paths,     [VG_CFG_PROPS] = walk_props,  [VG_CFG_TTLS] = walk_ttls,
};

static int walk_value(loader *ld, const vg_cfg_key *k, yaml_node_t *node, const char *pattern,
                      const char *shown, void *obj)
{
    walk_fn walk = walkers[k->type] ? walkers[k->type] : walk_scalar;
    return walk(ld, k, node, pattern, shown, obj);
}

/* ---- the document ---- */

static int yaml_fail(loader *ld, yaml_parser_t *p)
{
    if (p->error == YAML_MEMORY_ERROR)
        return nomem(ld);
    uint32_t off = p->error == YAML_READER_ERROR ? (uint32_t)p->problem_offset
                                                 : vg_yaml_offset(ld->src, p->problem_mark);
    vg_span sp = {off > ld->src->len ? ld->src->len : off, 1};
    const char *problem = p->problem ? p->problem : "error";
    if (p->context)
        return vg_error_at(ld->err, VG_ERR_SYNTAX, ld->src, sp, "invalid YAML: %s (%s)", problem,
                           p->context);
    return vg_error_at(ld->err, VG_ERR_SYNTAX, ld->src, sp, "invalid YAML: %s", problem);
}

/* After the first document: nothing but the end of the stream. */
static int check_no_second_document(loader *ld, yaml_parser_t *parser)
{
    yaml_document_t next;
    if (!yaml_parser_load(parser, &next))
        return yaml_fail(ld, parser);
    int rc = 0;
    yaml_node_t *extra = yaml_document_get_root_node(&next);
    if (extra) /* its marks are positions in the same text */
        rc = fail_at(ld, extra, "%s holds more than one YAML document", ld->doc_name);
    yaml_document_delete(&next);
    return rc;
}

int vg_cfg_walk_yaml(vg_cfg_file file, const vg_source *src, void *obj, vg_config *cfg,
                     vg_error *err)
{
    const char *slash = strrchr(src->name, '/');
    loader ld = {.file = file,
                 .doc_name = slash ? slash + 1 : src->name,
                 .src = src,
                 .cfg = cfg,
                 .err = err};
    yaml_parser_t parser;
    if (!yaml_parser_initialize(&parser))
        return nomem(&ld);
    yaml_parser_set_input_string(&parser, (const unsigned char *)src->text, src->len);
    if (!yaml_parser_load(&parser, &ld.doc)) {
        yaml_fail(&ld, &parser);
        yaml_parser_delete(&parser);
        return -1;
    }
    static const vg_cfg_key top = {
        VG_CFG_PIPELINE, "", VG_CFG_SECTION, VG_CFG_NO_SLOT, 0, NULL, NULL, NULL, NULL,
        "the whole file"};
    yaml_node_t *root = yaml_document_get_root_node(&ld.doc);
    int rc = check_no_second_document(&ld, &parser);
    if (rc == 0 && root)
        rc = walk_section(&ld, &top, root, "", "", obj);
    yaml_document_delete(&ld.doc);
    yaml_parser_delete(&parser);
    return rc;
}
