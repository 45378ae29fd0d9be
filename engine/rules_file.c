/*
 * rules_file.c — the rules file: YAML (libyaml's node tree) to vg_rule.
 *
 * The walk checks every key against small tables (the file's top level, a
 * rule) and copies what it finds into the caller's arena. libyaml's marks
 * count characters; mark_offset turns them into byte offsets. For each
 * condition it records where the condition's text is in the file: a plain
 * one-line scalar is the file's bytes as they are (cond_off); any other
 * scalar (quoted with escapes, folded, literal) gets a map from each byte of
 * the value to the byte of the file it came from, built by walking the
 * value and the raw text side by side.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "engine/rules_file.h"
#include "engine/yaml_pos.h"

typedef struct walker {
    const vg_source *src;
    yaml_document_t doc;
    vg_arena *arena;
    vg_rules_file *out;
    vg_error *err;
} walker;

static int nomem(walker *w) { return vg_error_set(w->err, VG_ERR_NOMEM, "out of memory"); }

/* ---- positions ---- */

/* A node's span, clipped to its first line. */
static vg_span node_span(const walker *w, const yaml_node_t *node)
{
    uint32_t off = vg_yaml_offset(w->src, node->start_mark), end = off;
    if (node->end_mark.line == node->start_mark.line)
        end = vg_yaml_offset(w->src, node->end_mark);
    else
        while (end < w->src->len && w->src->text[end] != '\n')
            end++;
    vg_span sp = {off, end > off ? end - off : 1};
    return sp;
}

static int fail_at(walker *w, const yaml_node_t *node, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail_at(walker *w, const yaml_node_t *node, const char *fmt, ...)
{
    char msg[sizeof w->err->msg];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return vg_error_at(w->err, VG_ERR_CONFIG, w->src, node_span(w, node), "%s", msg);
}

static const char *scalar(const yaml_node_t *node) { return (const char *)node->data.scalar.value; }
static yaml_node_t *node_at(walker *w, int id) { return yaml_document_get_node(&w->doc, id); }

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
    snprintf(buf, size, "'%.40s%s'", scalar(node), node->data.scalar.length > 40 ? "..." : "");
    return buf;
}

static int fail_expected(walker *w, const yaml_node_t *node, const char *what)
{
    char buf[64];
    return fail_at(w, node, "expected %s, got %s", what, describe(node, buf, sizeof buf));
}

/* ---- values ---- */

/* A non-empty string scalar, copied into the arena. */
static int get_string(walker *w, const yaml_node_t *node, const char *what, const char **out)
{
    if (node->type != YAML_SCALAR_NODE || is_null(node) || node->data.scalar.length == 0)
        return fail_expected(w, node, what);
    *out = vg_arena_strndup(w->arena, scalar(node), node->data.scalar.length);
    return *out ? 0 : nomem(w);
}

static int get_int(walker *w, const yaml_node_t *node, int64_t *out)
{
    if (node->type == YAML_SCALAR_NODE && node->data.scalar.style == YAML_PLAIN_SCALAR_STYLE) {
        const char *s = scalar(node);
        char *end;
        errno = 0;
        long long v = strtoll(s, &end, 10);
        if (*s && *end == 0 && errno == 0) {
            *out = v;
            return 0;
        }
    }
    return fail_expected(w, node, "an integer priority");
}

static int get_bool(walker *w, const yaml_node_t *node, bool *out)
{
    static const char *const yes[] = {"true", "True", "TRUE"}, *const no[] = {"false", "False",
                                                                                "FALSE"};
    if (node->type == YAML_SCALAR_NODE && node->data.scalar.style == YAML_PLAIN_SCALAR_STYLE)
        for (int i = 0; i < 3; i++) {
            if (strcmp(scalar(node), yes[i]) == 0 || strcmp(scalar(node), no[i]) == 0) {
                *out = strcmp(scalar(node), yes[i]) == 0;
                return 0;
            }
        }
    return fail_expected(w, node, "true or false");
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
static int locate_condition(walker *w, const yaml_node_t *node, vg_rule *r)
{
    const vg_source *src = w->src;
    uint32_t start = vg_yaml_offset(src, node->start_mark), end = vg_yaml_offset(src, node->end_mark);
    uint32_t n = (uint32_t)node->data.scalar.length;
    r->src = src;
    r->cond_off = start;
    yaml_scalar_style_t style = node->data.scalar.style;
    if (style == YAML_PLAIN_SCALAR_STYLE && start + n <= src->len &&
        memcmp(src->text + start, r->condition, n) == 0)
        return 0; /* the file's bytes as they are */
    uint32_t from = start;
    if (style == YAML_SINGLE_QUOTED_SCALAR_STYLE || style == YAML_DOUBLE_QUOTED_SCALAR_STYLE)
        from = start + 1; /* past the quote */
    else if (style == YAML_LITERAL_SCALAR_STYLE || style == YAML_FOLDED_SCALAR_STYLE)
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
static int rule_value(walker *w, rule_key k, yaml_node_t *v, vg_rule *r)
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
        if (v->type == YAML_SCALAR_NODE && strcmp(scalar(v), "active") == 0)
            r->shadow = false;
        else if (v->type == YAML_SCALAR_NODE && strcmp(scalar(v), "shadow") == 0)
            r->shadow = true;
        else
            return fail_expected(w, v, "mode active or shadow");
        return 0;
    case K_ENABLED:
        return get_bool(w, v, &r->enabled);
    }
    return 0;
}

/* The keys of a mapping must be known (in keys[0..nkeys)) and given once;
 * *key_out gets each pair's key index. */
static int check_key(walker *w, yaml_node_t *map, yaml_node_pair_t *pair, const char *const *keys,
                     size_t nkeys, const char *where, size_t *key_out)
{
    yaml_node_t *key = node_at(w, pair->key);
    if (key->type != YAML_SCALAR_NODE)
        return fail_expected(w, key, "a key name");
    for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < pair; p++) {
        yaml_node_t *other = node_at(w, p->key);
        if (other->type == YAML_SCALAR_NODE && strcmp(scalar(other), scalar(key)) == 0)
            return fail_at(w, key, "duplicate key '%s'", scalar(key));
    }
    for (size_t i = 0; i < nkeys; i++)
        if (strcmp(scalar(key), keys[i]) == 0) {
            *key_out = i;
            return 0;
        }
    char list[160] = "";
    size_t len = 0;
    for (size_t i = 0; i < nkeys; i++)
        len += (size_t)snprintf(list + len, sizeof list - len, "%s%s",
                                i == 0 ? "" : i + 1 == nkeys ? " or " : ", ", keys[i]);
    return fail_at(w, key, "unknown key '%s' in %s; expected %s", scalar(key), where, list);
}

/* A rule's first appearance of id before rule index i, or NULL. */
static const yaml_node_t *first_id(walker *w, yaml_node_t *const *id_nodes, uint32_t i,
                                   const char *id)
{
    for (uint32_t j = 0; j < i; j++)
        if (strcmp(w->out->rules[j].rule_id, id) == 0)
            return id_nodes[j];
    return NULL;
}

static int walk_rule(walker *w, yaml_node_t *node, uint32_t i, yaml_node_t **id_nodes)
{
    if (node->type != YAML_MAPPING_NODE)
        return fail_expected(w, node, "a rule (a mapping with rule_id, condition, action)");
    vg_rule *r = &w->out->rules[i];
    *r = (vg_rule){.enabled = true};
    id_nodes[i] = NULL;
    for (yaml_node_pair_t *p = node->data.mapping.pairs.start; p < node->data.mapping.pairs.top;
         p++) {
        size_t k;
        if (check_key(w, node, p, rule_keys, NRULE_KEYS, "a rule", &k) < 0 ||
            rule_value(w, (rule_key)k, node_at(w, p->value), r) < 0)
            return -1;
        if (k == K_RULE_ID)
            id_nodes[i] = node_at(w, p->value);
    }
    if (!r->rule_id)
        return fail_at(w, node, "rule %" PRIu32 " has no rule_id", i + 1);
    const yaml_node_t *first = first_id(w, id_nodes, i, r->rule_id);
    if (first)
        return fail_at(w, id_nodes[i], "duplicate rule_id '%s' (first at line %zu)", r->rule_id,
                       first->start_mark.line + 1);
    if (!r->condition)
        return fail_at(w, node, "rule '%s' has no condition", r->rule_id);
    if (!r->action)
        return fail_at(w, node, "rule '%s' has no action", r->rule_id);
    w->out->nshadow += r->shadow;
    w->out->ndisabled += !r->enabled;
    return 0;
}

static int walk_rules(walker *w, yaml_node_t *node)
{
    if (is_null(node))
        return 0; /* `rules:` with none */
    if (node->type != YAML_SEQUENCE_NODE)
        return fail_expected(w, node, "a list of rules");
    size_t n = (size_t)(node->data.sequence.items.top - node->data.sequence.items.start);
    w->out->rules = vg_arena_calloc(w->arena, (n ? n : 1) * sizeof *w->out->rules);
    yaml_node_t **id_nodes = vg_malloc(VG_MEM_OTHER, (n ? n : 1) * sizeof *id_nodes);
    int rc = w->out->rules && id_nodes ? 0 : nomem(w);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        rc = walk_rule(w, node_at(w, node->data.sequence.items.start[i]), (uint32_t)i, id_nodes);
        w->out->nrules = rc == 0 ? (uint32_t)i + 1 : w->out->nrules;
    }
    vg_free(id_nodes);
    return rc;
}

static const char *const top_keys[] = {"ruleset", "default", "rules"};

static int walk_top(walker *w, yaml_node_t *root)
{
    if (!root || is_null(root)) {
        vg_span sp = {0, 1};
        return vg_error_at(w->err, VG_ERR_CONFIG, w->src, sp,
                           "the rules file is empty; expected 'rules:'");
    }
    if (root->type != YAML_MAPPING_NODE)
        return fail_expected(w, root, "a mapping with 'rules:'");
    bool has_rules = false;
    for (yaml_node_pair_t *p = root->data.mapping.pairs.start; p < root->data.mapping.pairs.top;
         p++) {
        size_t k;
        if (check_key(w, root, p, top_keys, 3, "the rules file", &k) < 0)
            return -1;
        yaml_node_t *v = node_at(w, p->value);
        int rc = 0;
        if (k == 0) {
            rc = get_string(w, v, "a ruleset name", &w->out->ruleset);
            w->out->ruleset_at = node_span(w, v);
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
        return fail_at(w, root, "the rules file has no 'rules:'");
    return 0;
}

/* ---- the document ---- */

static int yaml_fail(walker *w, yaml_parser_t *p)
{
    if (p->error == YAML_MEMORY_ERROR)
        return nomem(w);
    uint32_t off = p->error == YAML_READER_ERROR ? (uint32_t)p->problem_offset
                                                 : vg_yaml_offset(w->src, p->problem_mark);
    vg_span sp = {off > w->src->len ? w->src->len : off, 1};
    const char *problem = p->problem ? p->problem : "error";
    if (p->context)
        return vg_error_at(w->err, VG_ERR_SYNTAX, w->src, sp, "invalid YAML: %s (%s)", problem,
                           p->context);
    return vg_error_at(w->err, VG_ERR_SYNTAX, w->src, sp, "invalid YAML: %s", problem);
}

int vg_rules_file_parse(const vg_source *src, vg_arena *arena, vg_rules_file *out, vg_error *err)
{
    memset(out, 0, sizeof *out);
    walker w = {.src = src, .arena = arena, .out = out, .err = err};
    yaml_parser_t parser;
    if (!yaml_parser_initialize(&parser))
        return nomem(&w);
    yaml_parser_set_input_string(&parser, (const unsigned char *)src->text, src->len);
    if (!yaml_parser_load(&parser, &w.doc)) {
        yaml_fail(&w, &parser);
        yaml_parser_delete(&parser);
        return -1;
    }
    int rc = walk_top(&w, yaml_document_get_root_node(&w.doc));
    yaml_document_delete(&w.doc);
    if (rc == 0) { /* nothing but the end after the first document */
        yaml_document_t next;
        if (!yaml_parser_load(&parser, &next))
            rc = yaml_fail(&w, &parser);
        else {
            yaml_node_t *extra = yaml_document_get_root_node(&next);
            if (extra)
                rc = fail_at(&w, extra, "the rules file holds more than one YAML document");
            yaml_document_delete(&next);
        }
    }
    yaml_parser_delete(&parser);
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
