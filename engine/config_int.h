/*
 * config_int.h — what the files of the config module share; not public.
 *
 *   config_keys.c   the key table, value parsers, defaults, the markdown
 *   config.c        the YAML walker (the only file that includes yaml.h)
 *   config_files.c  finding the pipeline, reading files, the public loaders
 */
#ifndef VG_CONFIG_INT_H
#define VG_CONFIG_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "engine/config.h"

#define VG_CFG_TAG     VG_MEM_OTHER
#define VG_CFG_NO_SLOT ((size_t)-1)

/* Which document a key belongs to. */
typedef enum vg_cfg_file { VG_CFG_PIPELINE, VG_CFG_CASE } vg_cfg_file;

typedef enum vg_cfg_type {
    VG_CFG_SECTION,  /* a mapping of the keys listed under it */
    VG_CFG_NAMED,    /* a mapping from names the user picks to bindings */
    VG_CFG_BINDING,  /* one binding: exactly one of file and kafka */
    VG_CFG_PATHS,    /* one path or a list of them: SQL files, read at once */
    VG_CFG_PROPS,    /* a mapping of librdkafka properties */
    VG_CFG_TTLS,     /* a mapping from view names to durations */
    VG_CFG_STRING,   /* char *, owned */
    VG_CFG_PATH,     /* char *, resolved against the pipeline's folder */
    VG_CFG_DURATION, /* int64_t milliseconds */
    VG_CFG_SIZE,     /* int64_t bytes */
    VG_CFG_BOOL,     /* bool */
    VG_CFG_NUMBER,   /* double */
    VG_CFG_NTYPES
} vg_cfg_type;

/* One key of pipeline.yaml or case.yaml. */
typedef struct vg_cfg_key {
    vg_cfg_file file; /* the document the key belongs to */
    const char *path; /* dotted key path; '*' is a name the user picks */
    vg_cfg_type type;
    size_t off;          /* where the value goes in the object being filled, or NO_SLOT */
    size_t off_n;        /* NAMED, PROPS: offset of the uint32_t count beside the array */
    const char *def;     /* default, parsed as the key's type; NULL: none */
    const char *def_doc; /* the default in words, when def is NULL or needs them */
    const char *min;     /* DURATION, SIZE, NUMBER: bounds as text, parsed by the same
                            parser; NULL: none */
    const char *max;
    const char *doc; /* one line for the reference */
} vg_cfg_key;

extern const vg_cfg_key vg_cfg_keys[];
extern const size_t vg_cfg_nkeys;

/* The key of file at path ("state.ttl", "sources.*.file"), or NULL. */
const vg_cfg_key *vg_cfg_key_find(vg_cfg_file file, const char *path);
/* Is k directly under the key pattern parent ("" for the top)? */
bool vg_cfg_key_is_child(const vg_cfg_key *k, const char *parent);
/* How a value of type t is described in "expected X, got Y". */
const char *vg_cfg_type_expect(vg_cfg_type t);

/* Results of vg_cfg_parse besides 0 and -1 (out of memory). */
#define VG_CFG_BAD 1
/* Parse text s[0..n) as a value of k's type into slot (the field k->off
 * names); a PATH is resolved against dir. 0, VG_CFG_BAD when the text is
 * not of the type or out of k's bounds (*bound_out then names the bound
 * broken, else NULL), or -1 when out of memory. A string slot's old value
 * is freed. */
int vg_cfg_parse(const vg_cfg_key *k, const char *dir, const char *s, size_t n, void *slot,
                 const char **bound_out);
/* Set the defaults of the keys under pattern (of file) into obj: the direct
 * children only, or with deep every key below that is not under a '*'.
 * 0, or -1 with VG_ERR_NOMEM in err. */
int vg_cfg_apply_defaults(vg_cfg_file file, const char *pattern, void *obj, bool deep,
                          vg_error *err);

/* A path written in the YAML, relative to dir; "-" and absolute paths stay
 * as they are. vg_malloc'd; NULL when out of memory. */
char *vg_cfg_resolve_path(const char *dir, const char *s, size_t n);
/* Read the SQL file at path_take (owned from now on) into a new entry of
 * cfg->sql. When it cannot be opened the error points at `at` in src (when
 * src is not NULL). 0 or -1 with err set. */
int vg_cfg_add_sql(vg_config *cfg, char *path_take, const vg_source *src, vg_span at,
                   vg_error *err);
/* Free what a binding owns and zero it. */
void vg_cfg_binding_clear(vg_binding *b);

/* config.c: parse src, which must hold at most one YAML document, and fill
 * obj (a vg_config or a vg_case_config, as file says) from it. cfg is the
 * pipeline being built (paths and SQL files need it), NULL for case.yaml.
 * 0, or -1 with err set. */
int vg_cfg_walk_yaml(vg_cfg_file file, const vg_source *src, void *obj, vg_config *cfg,
                     vg_error *err);

#endif
