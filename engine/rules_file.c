/*
 * rules_file.c — the rules file: YAML (engine/yaml_doc.h) to vg_rule.
 *
 * The walk checks every key against small tables (the file's top level, a
 * rule) and copies what it finds into the caller's arena (the tree and its
 * byte positions come from engine/yaml_doc.h). For each
 * condition it records where the condition's text is in the file: a plain
 * one-line scalar is the file's bytes as they are (cond_off); any other
 * scalar (quoted with escapes, folded, literal) gets a map from each byte of
 * the value to the byte of the file it came from, built by walking the
 * value and the raw text side by side.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/rules_file.h"
#include "engine/yaml_doc.h"

typedef struct walker {
    const vg_source *src;
    const vg_yaml_doc *doc;
    vg_arena *arena;
    vg_rules_file *out;
    vg_error *err;
} walker;

static int nomem(walker *w) { return vg_error_set(w->err, VG_ERR_NOMEM, "out of memory"); }

/* ---- values ---- */

/* A non-empty string scalar, copied into the arena. */
static int get_string(walker *w, const vg_yaml_node *node, const char *what, const char **out)
{
    if (node->kind != VG_YAML_SCALAR || vg_yaml_is_null(node) || node->len == 0)
        return vg_yaml_fail_expected(w->doc, node, w->err, what);
    *out = vg_arena_strndup(w->arena, node->value, node->len);
    return *out ? 0 : nomem(w);
}

static int get_int(walker *w, const vg_yaml_node *node, int64_t *out)
{
    if (node->kind == VG_YAML_SCALAR && node->style == VG_YAML_PLAIN) {
        const char *s = node->value;
        char *end;
        errno = 0;
        long long v = strtoll(s, &end, 10);
        if (*s && *end == 0 && errno == 0) {
            *out = v;
            return 0;
        }
    }
    return vg_yaml_fail_expected(w->doc, node, w->err, "an integer priority");
}

static int get_bool(walker *w, const vg_yaml_node *node, bool *out)
{
    static const char *const yes[] = {"true", "True", "TRUE"}, *const no[] = {"false", "False",
                                                                              "FALSE"};
    if (node->kind == VG_YAML_SCALAR && node->style == VG_YAML_PLAIN)
        for (int i = 0; i < 3; i++) {
            if (strcmp(node->value, yes[i]) == 0 || strcmp(node->value, no[i]) == 0) {
                *out = strcmp(node->value, yes[i]) == 0;
                return 0;
            }
        }
    return vg_yaml_fail_expected(w->doc, node, w->err, "true or false");
}

/* Map each byte of the value val[0..n) to the byte of the file it came
 * from, walking the raw text from `from` to `to`: each value byte is the
 * next raw byte equal to it (what lies between is quoting, escapes,
 * indentation or line folding); a byte with no match (an escape such as
 * \t) stays where the walk is. n + 1 entries, the last one the end. */
static uint32_t *align(walker *w, uint32_t from, uint32_t to, const char *val, uint32_t n)
{
    uint32_t *map = vg_arena_alloc(w->arena, ((size_t)n + 1) * sizeof *map);
    if (!map)
        return NULL;
    const char *raw = w->src->text;
    uint32_t p = from;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t q = p;
        while (q < to && raw[q] != val[i])
            q++;
        if (q < to) {
            map[i] = q;
            p = q + 1;
        } else
            map[i] = p;
    }
    map[n] = p;
    return map;
}

/* Where the condition's text is in the file. */
static int locate_condition(walker *w, const vg_yaml_node *node, vg_rule *r)
{
    const vg_source *src = w->src;
    uint32_t start = node->off, end = node->end, n = node->len;
    r->src = src;
    r->cond_off = start;
    vg_yaml_style style = node->style;
    if (style == VG_YAML_PLAIN && start + n <= src->len &&
        memcmp(src->text + start, r->condition, n) == 0)
        return 0; /* the file's bytes as they are */
    uint32_t from = start;
    if (style == VG_YAML_SINGLE_QUOTED || style == VG_YAML_DOUBLE_QUOTED)
        from = start + 1; /* past the quote */
    else if (style == VG_YAML_LITERAL || style == VG_YAML_FOLDED)
        while (from < end && src->text[from] != '\n') /* past the indicator line */
            from++;
    r->cond_map = align(w, from, end, r->condition, n);
    return r->cond_map ? 0 : nomem(w);
}

/* ---- rules ---- */

typedef enum rule_key { K_RULE_ID, K_PRIORITY, K_CONDITION, K_ACTION, K_MODE, K_ENABLED } rule_key;
static const char *const rule_keys[] = {"rule_id", "priority", "condition",
                                        "action",  "mode",     "enabled"};
#define NRULE_KEYS (sizeof rule_keys / sizeof rule_keys[0])

/* The value of key k in a rule, into r. */
static int rule_value(walker *w, rule_key k, const vg_yaml_node *v, vg_rule *r)
{
    switch (k) {
    case K_RULE_ID:
        return get_string(w, v, "a rule_id", &r->rule_id);
    case K_PRIORITY:
        return get_int(w, v, &r->priority);
    case K_CONDITION:
        if (get_string(w, v, "a condition", &r->condition) < 0)
            return -1;
        return locate_condition(w, v, r);
    case K_ACTION:
        return get_string(w, v, "an action", &r->action);
    case K_MODE:
        if (v->kind == VG_YAML_SCALAR && strcmp(v->value, "active") == 0)
            r->shadow = false;
        else if (v->kind == VG_YAML_SCALAR && strcmp(v->value, "shadow") == 0)
            r->shadow = true;
        else
            return vg_yaml_fail_expected(w->doc, v, w->err, "mode active or shadow");
        return 0;
    case K_ENABLED:
        return get_bool(w, v, &r->enabled);
    }
    return 0;
}

/* Key i of map must be known (in keys[0..nkeys)) and given once;
 * *key_out gets its index in keys. */
static int check_key(walker *w, const vg_yaml_node *map, uint32_t i, const char *const *keys,
                     size_t nkeys, const char *where, size_t *key_out)
{
    if (vg_yaml_check_key(w->doc, map, i, w->err) < 0)
        return -1;
    const vg_yaml_node *key = vg_yaml_key(map, i);
    for (size_t k = 0; k < nkeys; k++)
        if (strcmp(key->value, keys[k]) == 0) {
            *key_out = k;
            return 0;
        }
    char list[160] = "";
    size_t len = 0;
    for (size_t k = 0; k < nkeys; k++)
        len += (size_t)snprintf(list + len, sizeof list - len, "%s%s",
                                k == 0           ? ""
                                : k + 1 == nkeys ? " or "
                                                 : ", ",
                                keys[k]);
    return vg_yaml_fail(w->doc, key, w->err, "unknown key '%s' in %s; expected %s", key->value,
                        where, list);
}

/* A rule's first appearance of id before rule index i, or NULL. */
static const vg_yaml_node *first_id(walker *w, const vg_yaml_node *const *id_nodes, uint32_t i,
                                    const char *id)
{
    for (uint32_t j = 0; j < i; j++)
        if (strcmp(w->out->rules[j].rule_id, id) == 0)
            return id_nodes[j];
    return NULL;
}

static int walk_rule(walker *w, const vg_yaml_node *node, uint32_t i, const vg_yaml_node **id_nodes)
{
    if (node->kind != VG_YAML_MAP)
        return vg_yaml_fail_expected(w->doc, node, w->err,
                                     "a rule (a mapping with rule_id, condition, action)");
    vg_rule *r = &w->out->rules[i];
    *r = (vg_rule){.enabled = true};
    id_nodes[i] = NULL;
    for (uint32_t j = 0; j < node->n; j++) {
        size_t k;
        if (check_key(w, node, j, rule_keys, NRULE_KEYS, "a rule", &k) < 0 ||
            rule_value(w, (rule_key)k, vg_yaml_value(node, j), r) < 0)
            return -1;
        if (k == K_RULE_ID)
            id_nodes[i] = vg_yaml_value(node, j);
    }
    if (!r->rule_id)
        return vg_yaml_fail(w->doc, node, w->err, "rule %" PRIu32 " has no rule_id", i + 1);
    const vg_yaml_node *first = first_id(w, id_nodes, i, r->rule_id);
    if (first)
        return vg_yaml_fail(w->doc, id_nodes[i], w->err,
                            "duplicate rule_id '%s' (first at line %zu)", r->rule_id,
                            (size_t)first->line + 1);
    if (!r->condition)
        return vg_yaml_fail(w->doc, node, w->err, "rule '%s' has no condition", r->rule_id);
    if (!r->action)
        return vg_yaml_fail(w->doc, node, w->err, "rule '%s' has no action", r->rule_id);
    w->out->nshadow += r->shadow;
    w->out->ndisabled += !r->enabled;
    return 0;
}

static int walk_rules(walker *w, const vg_yaml_node *node)
{
    if (vg_yaml_is_null(node))
        return 0; /* `rules:` with none */
    if (node->kind != VG_YAML_LIST)
        return vg_yaml_fail_expected(w->doc, node, w->err, "a list of rules");
    size_t n = node->n;
    w->out->rules = vg_arena_calloc(w->arena, (n ? n : 1) * sizeof *w->out->rules);
    const vg_yaml_node **id_nodes = vg_malloc(VG_MEM_OTHER, (n ? n : 1) * sizeof *id_nodes);
    int rc = w->out->rules && id_nodes ? 0 : nomem(w);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        rc = walk_rule(w, node->kids[i], (uint32_t)i, id_nodes);
        w->out->nrules = rc == 0 ? (uint32_t)i + 1 : w->out->nrules;
    }
    vg_free(id_nodes);
    return rc;
}

static const char *const top_keys[] = {"ruleset", "default", "rules"};

static int walk_top(walker *w, const vg_yaml_node *root)
{
    if (!root || vg_yaml_is_null(root)) {
        vg_span sp = {0, 1};
        return vg_error_at(w->err, VG_ERR_CONFIG, w->src, sp,
                           "the rules file is empty; expected 'rules:'");
    }
    if (root->kind != VG_YAML_MAP)
        return vg_yaml_fail_expected(w->doc, root, w->err, "a mapping with 'rules:'");
    bool has_rules = false;
    for (uint32_t i = 0; i < root->n; i++) {
        size_t k;
        if (check_key(w, root, i, top_keys, 3, "the rules file", &k) < 0)
            return -1;
        const vg_yaml_node *v = vg_yaml_value(root, i);
        int rc = 0;
        if (k == 0) {
            rc = get_string(w, v, "a ruleset name", &w->out->ruleset);
            w->out->ruleset_at = v->span;
        } else if (k == 1)
            rc = get_string(w, v, "a default action", &w->out->default_action);
        else {
            has_rules = true;
            rc = walk_rules(w, v);
        }
        if (rc < 0)
            return -1;
    }
    if (!has_rules)
        return vg_yaml_fail(w->doc, root, w->err, "the rules file has no 'rules:'");
    return 0;
}

/* ---- the document ---- */

int vg_rules_file_parse(const vg_source *src, vg_arena *arena, vg_rules_file *out, vg_error *err)
{
    memset(out, 0, sizeof *out);
    vg_yaml_doc *doc = vg_yaml_load(src, "the rules file", err);
    if (!doc)
        return -1;
    walker w = {.src = src, .doc = doc, .arena = arena, .out = out, .err = err};
    int rc = walk_top(&w, vg_yaml_root(doc));
    vg_yaml_free(doc);
    if (rc < 0)
        memset(out, 0, sizeof *out);
    return rc;
}

int vg_rules_file_read(const char *path, vg_arena *arena, vg_source *src_out, vg_error *err)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return vg_error_set(err, VG_ERR_IO, "cannot read rules file '%s': %s", path,
                            strerror(errno));
    char *text = NULL;
    long size = -1;
    if (fseek(f, 0, SEEK_END) == 0 && (size = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
        size < UINT32_MAX) {
        text = vg_arena_alloc(arena, (size_t)size + 1);
        if (!text) {
            fclose(f);
            return vg_error_set(err, VG_ERR_NOMEM, "out of memory");
        }
    }
    size_t got = text ? fread(text, 1, (size_t)size, f) : 0;
    int bad = !text || got != (size_t)size || ferror(f);
    fclose(f);
    if (bad)
        return vg_error_set(err, VG_ERR_IO, "cannot read rules file '%s': read error", path);
    text[got] = 0;
    const char *name = vg_arena_strndup(arena, path, strlen(path));
    if (!name)
        return vg_error_set(err, VG_ERR_NOMEM, "out of memory");
    *src_out = (vg_source){name, text, (uint32_t)got};
    return 0;
}
