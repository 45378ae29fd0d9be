/*
 * config_files.c — finding a pipeline on disk and loading it.
 *
 * PIPELINE is a .sql file, a .yaml/.yml file, or a folder holding
 * pipeline.yaml (else exactly one .sql file). This file decides which,
 * reads the files, hands YAML text to the walker (config.c), then fills the
 * defaults that depend on other values: the SQL files of the folder when
 * `sql` is not given, the pipeline's name, Kafka topics and groups. It
 * also keeps the public helpers on bindings and case.yaml.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "engine/alloc.h"
#include "engine/config_int.h"

#define TAG VG_CFG_TAG

static int nomem(vg_error *err) { return vg_error_set(err, VG_ERR_NOMEM, "out of memory"); }

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

static const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

/* Folder of a file path: "." when there is none, "/" for the root. */
static char *dir_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        return vg_strdup(TAG, ".");
    return vg_strndup(TAG, path, slash == path ? 1 : (size_t)(slash - path));
}

static char *path_join(const char *dir, const char *name)
{
    size_t dl = strlen(dir);
    while (dl > 1 && dir[dl - 1] == '/')
        dl--;
    size_t nl = strlen(name);
    char *p = vg_malloc(TAG, dl + 1 + nl + 1);
    if (!p)
        return NULL;
    memcpy(p, dir, dl);
    p[dl] = '/';
    memcpy(p + dl + 1, name, nl + 1);
    return p;
}

/* ---- reading files ---- */

/* Read a whole file into a NUL-terminated vg_malloc'd buffer. When the
 * file cannot be opened the error points at `at` in src (if src is set). */
static int read_file(const char *path, char **text_out, uint32_t *len_out, const vg_source *src,
                     vg_span at, vg_error *err)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        const char *why = strerror(errno);
        if (src)
            return vg_error_at(err, VG_ERR_CONFIG, src, at, "cannot open '%s': %s", path, why);
        return vg_error_set(err, VG_ERR_CONFIG, "cannot open '%s': %s", path, why);
    }
    char *text = NULL;
    size_t len = 0, cap = 0;
    size_t got;
    do {
        if (cap - len < 4096) {
            cap = cap ? cap * 2 : 8192;
            char *grown = cap <= UINT32_MAX ? vg_realloc(TAG, text, cap) : NULL;
            if (!grown) {
                fclose(f);
                vg_free(text);
                if (cap > UINT32_MAX)
                    return vg_error_set(err, VG_ERR_IO, "'%s' is too large", path);
                return nomem(err);
            }
            text = grown;
        }
        got = fread(text + len, 1, cap - len - 1, f);
        len += got;
    } while (got > 0);
    int failed = ferror(f), saved = errno;
    fclose(f);
    if (failed) {
        vg_free(text);
        return vg_error_set(err, VG_ERR_IO, "cannot read '%s': %s", path, strerror(saved));
    }
    text[len] = 0;
    *text_out = text;
    *len_out = (uint32_t)len;
    return 0;
}

int vg_cfg_add_sql(vg_config *cfg, char *path_take, const vg_source *src, vg_span at, vg_error *err)
{
    vg_config_sql *grown = vg_realloc(TAG, cfg->sql, (cfg->nsql + 1) * sizeof *grown);
    if (!grown) {
        vg_free(path_take);
        return nomem(err);
    }
    cfg->sql = grown;
    vg_config_sql *s = &grown[cfg->nsql++];
    memset(s, 0, sizeof *s);
    s->path = path_take;
    s->at = at;
    return read_file(path_take, &s->text, &s->len, src, at, err);
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The *.sql files of dir in name order: a vg_malloc'd array of vg_malloc'd
 * names (*n of them). -1 with err set on failure. */
static int list_sql(const char *dir, char ***names_out, uint32_t *n, vg_error *err)
{
    DIR *d = opendir(dir);
    if (!d)
        return vg_error_set(err, VG_ERR_CONFIG, "cannot open '%s': %s", dir, strerror(errno));
    char **names = NULL;
    struct dirent *e;
    *n = 0;
    while ((e = readdir(d))) {
        if (!ends_with(e->d_name, ".sql") || e->d_name[0] == '.')
            continue;
        char **grown = vg_realloc(TAG, names, (*n + 1) * sizeof *names);
        if (grown)
            names = grown;
        if (!grown || !(names[*n] = vg_strdup(TAG, e->d_name))) {
            for (uint32_t i = 0; i < *n; i++)
                vg_free(names[i]);
            vg_free(names);
            closedir(d);
            return nomem(err);
        }
        (*n)++;
    }
    closedir(d);
    if (*n)
        qsort(names, *n, sizeof *names, cmp_names);
    *names_out = names;
    return 0;
}

static void free_names(char **names, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++)
        vg_free(names[i]);
    vg_free(names);
}

/* ---- defaults that depend on other values ---- */

/* `sql` not given: every .sql file of the folder, in name order. */
static int default_sql(vg_config *cfg, vg_error *err)
{
    char **names;
    uint32_t n;
    if (list_sql(cfg->dir, &names, &n, err) < 0)
        return -1;
    if (n == 0)
        vg_error_set(err, VG_ERR_CONFIG, "%s sets no 'sql' and '%s' holds no .sql file",
                     base_name(cfg->yaml_path), cfg->dir);
    vg_span none = {0, 0};
    for (uint32_t i = 0; i < n && !vg_error_is_set(err); i++) {
        char *path = vg_cfg_resolve_path(cfg->dir, names[i], strlen(names[i]));
        if (!path)
            nomem(err);
        else
            vg_cfg_add_sql(cfg, path, NULL, none, err);
    }
    free_names(names, n);
    return vg_error_is_set(err) ? -1 : 0;
}

/* The pipeline's name, and Kafka topics and groups named after it and
 * after the bindings. */
static int finish(vg_config *cfg, vg_error *err)
{
    if (!cfg->name) {
        char real[PATH_MAX];
        const char *dir = realpath(cfg->dir, real) ? real : cfg->dir;
        if (!(cfg->name = vg_strdup(TAG, *base_name(dir) ? base_name(dir) : "pipeline")))
            return nomem(err);
    }
    for (uint32_t i = 0; i < cfg->nsources + cfg->nsinks; i++) {
        bool sink = i >= cfg->nsources;
        vg_binding *b = sink ? &cfg->sinks[i - cfg->nsources] : &cfg->sources[i];
        if (b->kind != VG_BINDING_KAFKA)
            continue;
        if (!b->topic && !(b->topic = vg_strdup(TAG, b->name)))
            return nomem(err);
        if (sink || b->group)
            continue;
        size_t n = strlen(cfg->name) + sizeof "vigil-";
        if (!(b->group = vg_malloc(TAG, n)))
            return nomem(err);
        snprintf(b->group, n, "vigil-%s", cfg->name);
    }
    return 0;
}

/* ---- the three kinds of PIPELINE ---- */

static vg_config *config_new(const char *path, vg_error *err)
{
    vg_config *cfg = vg_calloc(TAG, 1, sizeof *cfg);
    if (!cfg || !(cfg->dir = dir_of(path))) {
        vg_free(cfg);
        nomem(err);
        return NULL;
    }
    if (vg_cfg_apply_defaults(VG_CFG_PIPELINE, "", cfg, true, err) < 0) {
        vg_config_free(cfg);
        return NULL;
    }
    return cfg;
}

static int load_sql_file(const char *path, vg_config **out, vg_error *err)
{
    vg_config *cfg = config_new(path, err);
    if (!cfg)
        return -1;
    const char *base = base_name(path);
    char *copy = vg_strdup(TAG, path);
    vg_span none = {0, 0};
    if (!copy || !(cfg->name = vg_strndup(TAG, base, strlen(base) - strlen(".sql")))) {
        vg_free(copy);
        nomem(err);
    } else if (vg_cfg_add_sql(cfg, copy, NULL, none, err) == 0) {
        finish(cfg, err);
    }
    if (vg_error_is_set(err)) {
        vg_config_free(cfg);
        return -1;
    }
    *out = cfg;
    return 0;
}

static int load_yaml_file(const char *path, vg_config **out, vg_error *err)
{
    vg_config *cfg = config_new(path, err);
    if (!cfg)
        return -1;
    char *text;
    vg_span none = {0, 0};
    if (!(cfg->yaml_path = vg_strdup(TAG, path))) {
        nomem(err);
    } else if (read_file(path, &text, &cfg->yaml.len, NULL, none, err) == 0) {
        cfg->yaml.text = text;
        cfg->yaml.name = cfg->yaml_path;
        if (vg_cfg_walk_yaml(VG_CFG_PIPELINE, &cfg->yaml, cfg, cfg, err) == 0 &&
            (cfg->nsql || default_sql(cfg, err) == 0))
            finish(cfg, err);
    }
    if (vg_error_is_set(err)) {
        vg_config_free(cfg);
        return -1;
    }
    *out = cfg;
    return 0;
}

/* A folder: its pipeline.yaml (or .yml), else its one .sql file. */
static int load_folder(const char *dir, vg_config **out, vg_error *err)
{
    static const char *const yaml_names[] = {"pipeline.yaml", "pipeline.yml"};
    for (size_t i = 0; i < sizeof yaml_names / sizeof yaml_names[0]; i++) {
        char *path = path_join(dir, yaml_names[i]);
        if (!path)
            return nomem(err);
        struct stat st;
        int rc = stat(path, &st) == 0 ? load_yaml_file(path, out, err) : 1;
        vg_free(path);
        if (rc <= 0)
            return rc;
    }
    char **names;
    uint32_t n;
    if (list_sql(dir, &names, &n, err) < 0)
        return -1;
    int rc = -1;
    if (n == 1) {
        char *path = path_join(dir, names[0]);
        rc = path ? load_sql_file(path, out, err) : nomem(err);
        vg_free(path);
    } else if (n == 0) {
        vg_error_set(err, VG_ERR_CONFIG, "'%s' holds no pipeline.yaml and no .sql file", dir);
    } else {
        vg_error_set(err, VG_ERR_CONFIG,
                     "'%s' holds no pipeline.yaml and %u .sql files; name the one to run", dir, n);
    }
    free_names(names, n);
    return rc;
}

int vg_config_load(const char *path, vg_config **out, vg_error *err)
{
    *out = NULL;
    struct stat st;
    if (stat(path, &st) != 0)
        return vg_error_set(err, VG_ERR_CONFIG, "cannot open '%s': %s", path, strerror(errno));
    if (S_ISDIR(st.st_mode))
        return load_folder(path, out, err);
    if (ends_with(path, ".sql"))
        return load_sql_file(path, out, err);
    if (ends_with(path, ".yaml") || ends_with(path, ".yml"))
        return load_yaml_file(path, out, err);
    return vg_error_set(err, VG_ERR_CONFIG,
                        "'%s' is not a pipeline: give a .sql file, a pipeline.yaml or a folder "
                        "holding one",
                        path);
}

void vg_cfg_binding_clear(vg_binding *b)
{
    vg_free(b->name);
    vg_free(b->path);
    vg_free(b->topic);
    vg_free(b->bootstrap);
    vg_free(b->group);
    vg_free(b->key);
    for (uint32_t i = 0; i < b->nprops; i++) {
        vg_free(b->props[i].key);
        vg_free(b->props[i].value);
    }
    vg_free(b->props);
    memset(b, 0, sizeof *b);
}

void vg_config_free(vg_config *cfg)
{
    if (!cfg)
        return;
    for (uint32_t i = 0; i < cfg->nsql; i++) {
        vg_free(cfg->sql[i].path);
        vg_free(cfg->sql[i].text);
    }
    vg_free(cfg->sql);
    for (uint32_t i = 0; i < cfg->nsources; i++)
        vg_cfg_binding_clear(&cfg->sources[i]);
    vg_free(cfg->sources);
    for (uint32_t i = 0; i < cfg->nsinks; i++)
        vg_cfg_binding_clear(&cfg->sinks[i]);
    vg_free(cfg->sinks);
    for (uint32_t i = 0; i < cfg->state.nview_ttls; i++)
        vg_free(cfg->state.view_ttls[i].view);
    vg_free(cfg->state.view_ttls);
    vg_free((char *)cfg->yaml.text);
    vg_free(cfg->yaml_path);
    vg_free(cfg->dir);
    vg_free(cfg->name);
    vg_free(cfg->state.store);
    vg_free(cfg->admin.listen);
    vg_free(cfg->admin.token);
    vg_free(cfg->control.topic);
    vg_free(cfg->control.bootstrap);
    for (uint32_t i = 0; i < cfg->control.nprops; i++) {
        vg_free(cfg->control.props[i].key);
        vg_free(cfg->control.props[i].value);
    }
    vg_free(cfg->control.props);
    vg_free(cfg->control.reply_topic);
    vg_free(cfg->control.reply_bootstrap);
    vg_free(cfg->control.reply_path);
    vg_free(cfg);
}

/* ---- bindings ---- */

static vg_binding *find_binding(vg_binding *arr, uint32_t n, const char *name)
{
    for (uint32_t i = 0; i < n; i++)
        if (strcmp(arr[i].name, name) == 0)
            return &arr[i];
    return NULL;
}

const vg_binding *vg_config_source(const vg_config *cfg, const char *name)
{
    return find_binding(cfg->sources, cfg->nsources, name);
}

const vg_binding *vg_config_sink(const vg_config *cfg, const char *name)
{
    return find_binding(cfg->sinks, cfg->nsinks, name);
}

static int bind_file(vg_binding **arr, uint32_t *n, const char *name, const char *path,
                     vg_error *err)
{
    vg_binding b = {0};
    b.kind = VG_BINDING_FILE;
    b.name = vg_strdup(TAG, name);
    b.path = vg_strdup(TAG, path);
    vg_binding *old = find_binding(*arr, *n, name);
    vg_binding *grown = NULL;
    if (b.name && b.path)
        grown = old ? *arr : vg_realloc(TAG, *arr, (*n + 1) * sizeof *grown);
    if (!grown) {
        vg_cfg_binding_clear(&b);
        return nomem(err);
    }
    *arr = grown;
    if (old)
        vg_cfg_binding_clear(old);
    else
        old = &grown[(*n)++];
    *old = b;
    return 0;
}

int vg_config_bind_source_file(vg_config *cfg, const char *name, const char *path, vg_error *err)
{
    return bind_file(&cfg->sources, &cfg->nsources, name, path, err);
}

int vg_config_bind_sink_file(vg_config *cfg, const char *name, const char *path, vg_error *err)
{
    return bind_file(&cfg->sinks, &cfg->nsinks, name, path, err);
}

/* ---- case.yaml ---- */

int vg_config_load_case(const char *path, vg_case_config *out, vg_error *err)
{
    if (vg_cfg_apply_defaults(VG_CFG_CASE, "", out, true, err) < 0)
        return -1;
    struct stat st;
    if (stat(path, &st) != 0 && errno == ENOENT)
        return 0;
    vg_source src = {path, NULL, 0};
    char *text;
    vg_span none = {0, 0};
    if (read_file(path, &text, &src.len, NULL, none, err) < 0)
        return -1;
    src.text = text;
    int rc = vg_cfg_walk_yaml(VG_CFG_CASE, &src, out, NULL, err);
    vg_free(text);
    return rc;
}
