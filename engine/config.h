/*
 * config.h — where a pipeline runs: pipeline.yaml, or a lone .sql file.
 *
 * SQL says what to compute; the configuration says which SQL files (in
 * order), where each stream reads from and each sink writes to (a file or a
 * Kafka topic), the dead-letter sink, the state store and checkpoint
 * interval, state TTL, the admin address and input limits. Every key is one
 * row of a table in config.c with its type, default and doc line; unknown
 * keys and bad values are errors with the YAML line and column, and
 * docs/pipeline-yaml.md is generated from the same table
 * (vg_config_write_markdown), as is the reference of a test case's
 * case.yaml (vg_config_load_case).
 *
 * All strings of a vg_config are owned by it. Relative paths written in
 * pipeline.yaml are resolved against the folder holding it, so they work
 * from any working directory; "-" (standard input or output) is kept as is.
 * This module is the only one that includes yaml.h.
 */
#ifndef VG_CONFIG_H
#define VG_CONFIG_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "engine/error.h"

/* The sink malformed events go to. */
#define VG_CONFIG_DEAD_LETTER "dead_letter"

typedef enum vg_binding_kind {
    VG_BINDING_FILE,  /* a JSON-lines file (path) */
    VG_BINDING_KAFKA, /* a Kafka topic (topic, bootstrap, group, props) */
} vg_binding_kind;

/* One librdkafka property passed through as written (e.g.
 * "auto.offset.reset" = "earliest"). */
typedef struct vg_config_prop {
    char *key;   /* property name */
    char *value; /* its value as text, whatever YAML type it was written as */
} vg_config_prop;

/* Where one stream reads from or one sink writes to. */
typedef struct vg_binding {
    char *name;            /* stream or sink name, as in the SQL */
    vg_binding_kind kind;  /* file or Kafka */
    char *path;            /* FILE: resolved path ("-": standard input/output); else NULL */
    char *topic;           /* KAFKA: topic (default: the binding's name); else NULL */
    char *bootstrap;       /* KAFKA: bootstrap servers (default "127.0.0.1:9092"); else NULL */
    char *group;           /* KAFKA source: consumer group (default "vigil-NAME", NAME the
                              pipeline's name); NULL for sinks and files */
    vg_config_prop *props; /* KAFKA: extra librdkafka properties, in file order */
    uint32_t nprops;       /* entries in props */
    int64_t idle_timeout_ms; /* KAFKA source: a partition silent this long stops holding the
                                watermark back */
    char *key;             /* KAFKA sink: its key columns, comma-separated (`sinks.*.kafka.key`);
                              NULL: the SQL's upsert key */
    vg_span at;            /* the binding's name in cfg->yaml (len 0: from the command line) */
} vg_binding;

/* The state TTL of one view (`state.view_ttl`). */
typedef struct vg_config_view_ttl {
    char *view;     /* the view's name, as written */
    int64_t ttl_ms; /* its TTL; 0: never */
    vg_span at;     /* the name in cfg->yaml */
} vg_config_view_ttl;

/* One SQL file of the pipeline, read into memory. */
typedef struct vg_config_sql {
    char *path;   /* resolved path; the name errors in this file carry */
    char *text;   /* whole file, NUL-terminated */
    uint32_t len; /* bytes in text */
    vg_span at;   /* where pipeline.yaml names the file (len 0: not named there) */
} vg_config_sql;

typedef struct vg_config {
    char *dir;           /* folder relative paths were resolved against; "." is the cwd */
    char *name;          /* `name`, else the base name of the folder (or of the .sql file,
                            without .sql) */
    char *yaml_path;     /* the pipeline.yaml read, or NULL for a lone .sql file */
    vg_source yaml;      /* its text, named yaml_path, for errors that point into it
                            (vg_error_at with a binding's `at`); text NULL when none */
    vg_config_sql *sql;  /* `sql`: the SQL files in order (at least one) */
    uint32_t nsql;       /* entries in sql */
    vg_binding *sources; /* `sources`: stream bindings, in file order */
    uint32_t nsources;   /* entries in sources */
    vg_binding *sinks;   /* `sinks`: sink bindings, in file order (dead_letter among them) */
    uint32_t nsinks;     /* entries in sinks */
    struct {
        char *store;                    /* `state.store`: SQLite file; NULL: no checkpoints */
        int64_t checkpoint_interval_ms; /* `state.checkpoint_interval` (default 1s) */
        int64_t ttl_ms;                 /* `state.ttl`: idle keyed state expires; 0: never */
        vg_config_view_ttl *view_ttls;  /* `state.view_ttl`: per-view TTLs, in file order */
        uint32_t nview_ttls;            /* entries in view_ttls */
        bool fsync_turns;               /* `state.fsync_turns`: the turn log commits with an
                                           fsync, as checkpoints do */
    } state;
    struct {
        char *listen; /* `admin.listen`: HOST:PORT of the admin API; NULL: not set (vigil run
                         serves no admin API unless --admin says where) */
        char *token;  /* `admin.token`: bearer token required; NULL: none */
    } admin;
    struct {
        char *topic;           /* `control.kafka.topic`: the control topic vigil run reads
                                  commands from; NULL: none */
        char *bootstrap;       /* `control.kafka.bootstrap` (default "127.0.0.1:9092") */
        vg_config_prop *props; /* `control.kafka.properties`, in file order */
        uint32_t nprops;       /* entries in props */
        char *reply_topic;     /* `control.reply.kafka.topic`: replies go there; NULL: none */
        char *reply_bootstrap; /* `control.reply.kafka.bootstrap`; NULL: control.kafka's */
        char *reply_path;      /* `control.reply.file`: or replies are appended there; NULL */
    } control;
    struct {
        int64_t max_event_bytes; /* `limits.max_event_bytes`: longer events are
                                    dead-lettered (default 1048576) */
    } limits;
} vg_config;

/* A test case's case.yaml (PIPELINE_DIR/tests/CASE/case.yaml). */
typedef struct vg_case_config {
    bool ordered;     /* `ordered`: rows must come in the expected order (default true) */
    double tolerance; /* `tolerance`: relative difference allowed between numbers (default 0) */
} vg_case_config;

/* Load the pipeline at path: a .sql file (a pipeline with all defaults and
 * no bindings), a .yaml/.yml file, or a folder holding pipeline.yaml (or
 * pipeline.yml; else exactly one .sql file). Reads every SQL file into
 * memory. On success *out is a new config the caller frees with
 * vg_config_free, and 0 is returned. On failure returns -1, *out is NULL
 * and err holds the first error: VG_ERR_SYNTAX for malformed YAML,
 * VG_ERR_CONFIG for unknown keys, bad values and missing files (with the
 * position in the YAML where it has one), VG_ERR_IO when a file cannot be
 * read, VG_ERR_NOMEM. */
int vg_config_load(const char *path, vg_config **out, vg_error *err);
void vg_config_free(vg_config *cfg);

/* The binding of a stream or sink by name, or NULL; owned by cfg. */
const vg_binding *vg_config_source(const vg_config *cfg, const char *name);
const vg_binding *vg_config_sink(const vg_config *cfg, const char *name);

/* Bind a stream (or sink) to the file at path, as `--input NAME=FILE`
 * (`--output`) does: replaces the binding of that name or adds one. path is
 * used as given (relative to the working directory). 0, or -1 with
 * VG_ERR_NOMEM in err (cfg is then unchanged). */
int vg_config_bind_source_file(vg_config *cfg, const char *name, const char *path, vg_error *err);
int vg_config_bind_sink_file(vg_config *cfg, const char *name, const char *path, vg_error *err);

/* Read a case.yaml into *out. A missing file gives the defaults and 0.
 * -1 with err set (with the position in the file) on a bad file. */
int vg_config_load_case(const char *path, vg_case_config *out, vg_error *err);

/* Parse a duration: "0", or one or more NUMBER UNIT with UNIT one of ms, s,
 * m, h, d ("500ms", "1s", "2m", "1h30m", "7d"). 0 with *ms_out set, or -1
 * when s[0..n) is not a duration or overflows. */
int vg_config_parse_duration(const char *s, size_t n, int64_t *ms_out);
/* Parse a size in bytes: digits, optionally followed by KiB, MiB or GiB.
 * 0 with *bytes_out set, or -1. */
int vg_config_parse_size(const char *s, size_t n, int64_t *bytes_out);

/* Write the reference of every key (docs/pipeline-yaml.md) to out. */
void vg_config_write_markdown(FILE *out);

#endif
