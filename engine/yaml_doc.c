/*
 * yaml_doc.c — libyaml's document, loaded and turned into vg_yaml_node's.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <yaml.h>

#include "engine/alloc.h"
#include "engine/yaml_doc.h"

struct vg_yaml_doc {
    const vg_source *src;
    yaml_document_t doc; /* libyaml's nodes: the scalars' text stays in it */
    vg_arena *arena;     /* the vg_yaml_node's and their kids arrays */
    vg_yaml_node *nodes; /* one per libyaml node, in its order (node id - 1) */
    uint32_t nnodes;
};

static int nomem(vg_error *err) { return vg_error_set(err, VG_ERR_NOMEM, "out of memory"); }

/* The byte offset in src of mark m (libyaml counts lines, and columns in
 * characters). */
static uint32_t mark_offset(const vg_source *src, yaml_mark_t m)
{
    uint32_t off = 0;
    for (size_t line = 0; line < m.line && off < src->len; off++)
        if (src->text[off] == '\n')
            line++;
    for (size_t col = 0; col < m.column && off < src->len && src->text[off] != '\n'; col++) {
        off++;
        while (off < src->len && ((unsigned char)src->text[off] & 0xC0) == 0x80)
            off++; /* the rest of a UTF-8 character */
    }
    return off;
}

static const vg_yaml_style styles[] = {
    [YAML_ANY_SCALAR_STYLE] = VG_YAML_PLAIN,
    [YAML_PLAIN_SCALAR_STYLE] = VG_YAML_PLAIN,
    [YAML_SINGLE_QUOTED_SCALAR_STYLE] = VG_YAML_SINGLE_QUOTED,
    [YAML_DOUBLE_QUOTED_SCALAR_STYLE] = VG_YAML_DOUBLE_QUOTED,
    [YAML_LITERAL_SCALAR_STYLE] = VG_YAML_LITERAL,
    [YAML_FOLDED_SCALAR_STYLE] = VG_YAML_FOLDED,
};

/* Node y's span: to its end when that is on its first line, else to the
 * end of that line. */
static vg_span node_span(const vg_source *src, const yaml_node_t *y)
{
    uint32_t off = mark_offset(src, y->start_mark), end = off;
    if (y->end_mark.line == y->start_mark.line)
        end = mark_offset(src, y->end_mark);
    else
        while (end < src->len && src->text[end] != '\n')
            end++;
    return (vg_span){off, end > off ? end - off : 1};
}

/* Node i from libyaml's node y (its kids from the table of all nodes). */
static int convert(vg_yaml_doc *d, uint32_t i, const yaml_node_t *y)
{
    vg_yaml_node *n = &d->nodes[i];
    n->off = mark_offset(d->src, y->start_mark);
    n->end = mark_offset(d->src, y->end_mark);
    n->line = (uint32_t)y->start_mark.line;
    n->span = node_span(d->src, y);
    if (y->type == YAML_SCALAR_NODE) {
        n->kind = VG_YAML_SCALAR;
        n->style = styles[y->data.scalar.style];
        n->value = (const char *)y->data.scalar.value;
        n->len = (uint32_t)y->data.scalar.length;
        return 0;
    }
    bool list = y->type == YAML_SEQUENCE_NODE;
    n->kind = list ? VG_YAML_LIST : VG_YAML_MAP;
    n->n = list ? (uint32_t)(y->data.sequence.items.top - y->data.sequence.items.start)
                : (uint32_t)(y->data.mapping.pairs.top - y->data.mapping.pairs.start);
    uint32_t nkids = list ? n->n : 2 * n->n;
    n->kids = vg_arena_alloc(d->arena, (nkids ? nkids : 1) * sizeof *n->kids);
    if (!n->kids)
        return -1;
    for (uint32_t k = 0; k < n->n; k++) {
        if (list) {
            n->kids[k] = &d->nodes[y->data.sequence.items.start[k] - 1];
        } else {
            const yaml_node_pair_t *p = &y->data.mapping.pairs.start[k];
            n->kids[2 * k] = &d->nodes[p->key - 1];
            n->kids[2 * k + 1] = &d->nodes[p->value - 1];
        }
    }
    return 0;
}

/* "invalid YAML: ..." at the parser's problem. */
static int parse_fail(const vg_source *src, const yaml_parser_t *p, vg_error *err)
{
    if (p->error == YAML_MEMORY_ERROR)
        return nomem(err);
    uint32_t off = p->error == YAML_READER_ERROR ? (uint32_t)p->problem_offset
                                                 : mark_offset(src, p->problem_mark);
    vg_span sp = {off > src->len ? src->len : off, 1};
    const char *problem = p->problem ? p->problem : "error";
    if (p->context)
        return vg_error_at(err, VG_ERR_SYNTAX, src, sp, "invalid YAML: %s (%s)", problem,
                           p->context);
    return vg_error_at(err, VG_ERR_SYNTAX, src, sp, "invalid YAML: %s", problem);
}

/* After the first document: nothing but the end of the stream. */
static int no_second_document(const vg_source *src, yaml_parser_t *p, const char *what,
                              vg_error *err)
{
    yaml_document_t next;
    if (!yaml_parser_load(p, &next))
        return parse_fail(src, p, err);
    int rc = 0;
    yaml_node_t *extra = yaml_document_get_root_node(&next);
    if (extra) /* its marks are positions in the same text */
        rc = vg_error_at(err, VG_ERR_CONFIG, src, node_span(src, extra),
                         "%s holds more than one YAML document", what);
    yaml_document_delete(&next);
    return rc;
}

vg_yaml_doc *vg_yaml_load(const vg_source *src, const char *what, vg_error *err)
{
    vg_yaml_doc *d = vg_calloc(VG_MEM_OTHER, 1, sizeof *d);
    yaml_parser_t parser;
    if (!d || !(d->arena = vg_arena_new(VG_MEM_OTHER, 4096)) || !yaml_parser_initialize(&parser)) {
        nomem(err);
        if (d)
            vg_arena_free(d->arena);
        vg_free(d);
        return NULL;
    }
    d->src = src;
    yaml_parser_set_input_string(&parser, (const unsigned char *)src->text, src->len);
    bool loaded = yaml_parser_load(&parser, &d->doc);
    int rc = loaded ? no_second_document(src, &parser, what, err) : parse_fail(src, &parser, err);
    yaml_parser_delete(&parser);
    if (!loaded) {
        vg_arena_free(d->arena);
        vg_free(d);
        return NULL;
    }
    d->nnodes = (uint32_t)(d->doc.nodes.top - d->doc.nodes.start);
    d->nodes = vg_arena_calloc(d->arena, (d->nnodes ? d->nnodes : 1) * sizeof *d->nodes);
    if (rc == 0 && !d->nodes)
        rc = nomem(err);
    for (uint32_t i = 0; rc == 0 && i < d->nnodes; i++)
        if (convert(d, i, &d->doc.nodes.start[i]) < 0)
            rc = nomem(err);
    if (rc < 0) {
        vg_yaml_free(d);
        return NULL;
    }
    return d;
}

void vg_yaml_free(vg_yaml_doc *d)
{
    if (!d)
        return;
    yaml_document_delete(&d->doc);
    vg_arena_free(d->arena);
    vg_free(d);
}

const vg_yaml_node *vg_yaml_root(const vg_yaml_doc *d) { return d->nnodes ? &d->nodes[0] : NULL; }

bool vg_yaml_is_null(const vg_yaml_node *node)
{
    static const char *const nulls[] = {"", "~", "null", "Null", "NULL"};
    if (node->kind != VG_YAML_SCALAR || node->style != VG_YAML_PLAIN)
        return false;
    for (size_t i = 0; i < sizeof nulls / sizeof nulls[0]; i++)
        if (strcmp(node->value, nulls[i]) == 0)
            return true;
    return false;
}

bool vg_yaml_is(const vg_yaml_node *node, const char *text)
{
    return node->kind == VG_YAML_SCALAR && strcmp(node->value, text) == 0;
}

static int vfail(const vg_yaml_doc *d, const vg_yaml_node *node, vg_error *err, const char *fmt,
                 va_list ap)
{
    char msg[sizeof err->msg];
    vsnprintf(msg, sizeof msg, fmt, ap);
    return vg_error_at(err, VG_ERR_CONFIG, d->src, node->span, "%s", msg);
}

int vg_yaml_fail(const vg_yaml_doc *d, const vg_yaml_node *node, vg_error *err, const char *fmt,
                 ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = vfail(d, node, err, fmt, ap);
    va_end(ap);
    return rc;
}

const char *vg_yaml_describe(const vg_yaml_node *node, char *buf, size_t size)
{
    if (node->kind == VG_YAML_LIST)
        return "a list";
    if (node->kind == VG_YAML_MAP)
        return "a mapping";
    if (vg_yaml_is_null(node))
        return "nothing";
    if (node->len > 40) {
        int k = 37; /* cut on a character boundary */
        while (k > 0 && ((unsigned char)node->value[k] & 0xC0) == 0x80)
            k--;
        snprintf(buf, size, "'%.*s...'", k, node->value);
    } else {
        snprintf(buf, size, "'%s'", node->value);
    }
    return buf;
}

int vg_yaml_fail_expected(const vg_yaml_doc *d, const vg_yaml_node *node, vg_error *err,
                          const char *what)
{
    char buf[64];
    return vg_yaml_fail(d, node, err, "expected %s, got %s", what,
                        vg_yaml_describe(node, buf, sizeof buf));
}

int vg_yaml_check_key(const vg_yaml_doc *d, const vg_yaml_node *map, uint32_t i, vg_error *err)
{
    const vg_yaml_node *key = vg_yaml_key(map, i);
    if (key->kind != VG_YAML_SCALAR || key->len == 0)
        return vg_yaml_fail_expected(d, key, err, "a key name");
    for (uint32_t j = 0; j < i; j++)
        if (vg_yaml_is(vg_yaml_key(map, j), key->value))
            return vg_yaml_fail(d, key, err, "duplicate key '%s'", key->value);
    return 0;
}
