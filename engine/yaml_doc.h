/*
 * yaml_doc.h — a YAML document as a tree of nodes that know where they are
 * written, for pipeline.yaml, case.yaml and rules files.
 *
 * The only module that includes libyaml. Loading reads exactly one
 * document (invalid YAML, or a second document, is an error positioned in
 * the text) and turns libyaml's node table into vg_yaml_node's whose
 * positions are byte offsets (libyaml's marks count characters), ready for
 * vg_error_at. The checks every file's walker makes alike live here too:
 * what a node is ("expected X, got Y"), YAML's null, a mapping's keys.
 */
#ifndef VG_YAML_DOC_H
#define VG_YAML_DOC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/error.h"

typedef enum vg_yaml_kind { VG_YAML_SCALAR, VG_YAML_LIST, VG_YAML_MAP } vg_yaml_kind;

/* How a scalar is written. */
typedef enum vg_yaml_style {
    VG_YAML_PLAIN,
    VG_YAML_SINGLE_QUOTED,
    VG_YAML_DOUBLE_QUOTED,
    VG_YAML_LITERAL, /* | */
    VG_YAML_FOLDED,  /* > */
} vg_yaml_style;

typedef struct vg_yaml_node vg_yaml_node;
struct vg_yaml_node {
    vg_yaml_kind kind;
    vg_yaml_style style;       /* SCALAR: how it is written */
    const char *value;         /* SCALAR: its text (quotes and escapes undone), NUL-terminated */
    uint32_t len;              /* SCALAR: its bytes */
    uint32_t n;                /* LIST: items; MAP: pairs */
    const vg_yaml_node **kids; /* LIST: the n items; MAP: key, value, key, value, ... */
    uint32_t off, end;         /* byte offsets in the text where it starts and ends */
    uint32_t line;             /* 0-based line it starts on */
    vg_span span;              /* for errors: from off to its end, or to the end of its first
                                  line when it spans several */
};

typedef struct vg_yaml_doc vg_yaml_doc;

/* Read the one document of src; `what` names the file in "WHAT holds more
 * than one YAML document". NULL with err set: VG_ERR_SYNTAX "invalid
 * YAML: ..." at the problem, VG_ERR_CONFIG for a second document,
 * VG_ERR_NOMEM. src must outlive the document. */
vg_yaml_doc *vg_yaml_load(const vg_source *src, const char *what, vg_error *err);
void vg_yaml_free(vg_yaml_doc *d);
/* The root node, or NULL for an empty document. */
const vg_yaml_node *vg_yaml_root(const vg_yaml_doc *d);

/* Key and value of pair i of a MAP. */
static inline const vg_yaml_node *vg_yaml_key(const vg_yaml_node *map, uint32_t i)
{
    return map->kids[2 * i];
}
static inline const vg_yaml_node *vg_yaml_value(const vg_yaml_node *map, uint32_t i)
{
    return map->kids[2 * i + 1];
}

/* A plain scalar YAML reads as null: empty, ~, null, Null, NULL. */
bool vg_yaml_is_null(const vg_yaml_node *node);
/* Whether node is a scalar with exactly this text. */
bool vg_yaml_is(const vg_yaml_node *node, const char *text);

/* VG_ERR_CONFIG at node's span; returns -1. */
int vg_yaml_fail(const vg_yaml_doc *d, const vg_yaml_node *node, vg_error *err, const char *fmt,
                 ...) __attribute__((format(printf, 4, 5)));
/* "expected WHAT, got 'x'" (or "a list", "a mapping", "nothing"; a long
 * scalar cut after 37 characters) at node; returns -1. */
int vg_yaml_fail_expected(const vg_yaml_doc *d, const vg_yaml_node *node, vg_error *err,
                          const char *what);
/* What node is, as vg_yaml_fail_expected says it, in buf of size bytes. */
const char *vg_yaml_describe(const vg_yaml_node *node, char *buf, size_t size);
/* Key i of MAP map is a non-empty scalar not given before in map: else
 * "expected a key name, got ..." or "duplicate key 'k'"; -1 then. */
int vg_yaml_check_key(const vg_yaml_doc *d, const vg_yaml_node *map, uint32_t i, vg_error *err);

#endif
