/*
 * model.c — the model module's front: type names, reading the file, telling
 * JSON from UBJSON, parsing, handing the tree to the type's builder, the
 * accessors, and scoring's dispatch.
 *
 * Every error names the file: "model file 'x.json': <what is wrong>".
 * vg_model_fail formats that prefix once for all the builders.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "engine/alloc.h"
#include "udf/model_int.h"

/* The types by name, indexed by vg_model_type. */
static const char *const type_names[] = {
    [VG_MODEL_XGBOOST] = "xgboost",
    [VG_MODEL_LOGISTIC] = "logistic",
    [VG_MODEL_LINEAR] = "linear",
};
#define NTYPES (sizeof type_names / sizeof type_names[0])

int vg_model_type_from_name(const char *name)
{
    for (size_t i = 0; name && i < NTYPES; i++)
        if (strcasecmp(name, type_names[i]) == 0)
            return (int)i;
    return -1;
}

const char *vg_model_type_name(vg_model_type type)
{
    return (unsigned)type < NTYPES ? type_names[type] : "?";
}

int vg_model_fail(const vg_model_ctx *c, vg_errcode code, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return vg_error_set(c->err, code, "model file '%s': %s", c->name, msg);
}

int vg_model_nomem(const vg_model_ctx *c)
{
    return vg_error_set(c->err, VG_ERR_NOMEM, "out of memory");
}

void *vg_model_alloc(vg_model *m, size_t n)
{
    void *p = vg_malloc(VG_MEM_UDF, n ? n : 1);
    if (p)
        m->bytes += n;
    return p;
}

void vg_model_free(vg_model *m)
{
    if (!m)
        return;
    if (m->feature_names) {
        for (uint32_t i = 0; i < m->nfeatures; i++)
            vg_free(m->feature_names[i]);
        vg_free(m->feature_names);
    }
    vg_free(m->nodes);
    vg_free(m->roots);
    vg_free(m->depth);
    vg_free(m->class_end);
    vg_free(m->full);
    vg_free(m->weights);
    vg_free(m->coef);
    vg_free(m);
}

/* UBJSON: '{' or '[' followed by a marker JSON cannot have there. */
static bool is_ubjson(const unsigned char *b, size_t n)
{
    return n >= 2 && (b[0] == '{' || b[0] == '[') && b[1] && strchr("iUIlLZTFdDSCH$#N}]{[", b[1]);
}

/* The length of a NaN or infinity token at b[i..n) ("NaN", "-NaN", "Infinity", "-Infinity",
 * as XGBoost writes non-finite floats); 0 when there is none. */
static size_t nonfinite_at(const char *b, size_t i, size_t n)
{
    static const char *const words[] = {"NaN", "-NaN", "Infinity", "-Infinity"};
    for (size_t w = 0; w < 4; w++) {
        size_t len = strlen(words[w]);
        if (n - i >= len && memcmp(b + i, words[w], len) == 0)
            return len;
    }
    return 0;
}

/* A copy of JSON text b[0..n) with every NaN or infinity outside strings replaced by null
 * (Jansson reads neither), in *out (owned by the caller, NUL-terminated); *out NULL when
 * there is none. -1 when out of memory. */
static int json_nonfinite_to_null(const char *b, size_t n, char **out, size_t *outlen)
{
    size_t count = 0;
    bool in_str = false;
    *out = NULL;
    for (size_t i = 0; i < n; i++) {
        if (in_str)
            in_str = b[i] == '\\' ? (i++, true) : b[i] != '"';
        else if (b[i] == '"')
            in_str = true;
        else
            count += nonfinite_at(b, i, n) > 0;
    }
    if (count == 0)
        return 0;
    char *c = vg_malloc(VG_MEM_UDF, n + 4 * count + 1);
    if (!c)
        return -1;
    size_t j = 0;
    in_str = false;
    for (size_t i = 0; i < n;) {
        size_t len = in_str ? 0 : nonfinite_at(b, i, n);
        if (len > 0) {
            memcpy(c + j, "null", 4);
            j += 4;
            i += len;
            continue;
        }
        if (in_str && b[i] == '\\' && i + 1 < n)
            c[j++] = b[i++];
        else if (b[i] == '"')
            in_str = !in_str;
        c[j++] = b[i++];
    }
    c[j] = '\0';
    *out = c;
    *outlen = j;
    return 0;
}

/* The parsed file; NULL with the error set. */
static json_t *parse(const vg_model_ctx *c, const void *bytes, size_t n)
{
    if (is_ubjson(bytes, n)) {
        vg_ubjson_error ue;
        json_t *root = vg_ubjson_parse(bytes, n, &ue);
        if (!root && strcmp(ue.text, "out of memory") == 0)
            vg_model_nomem(c);
        else if (!root)
            vg_model_fail(c, VG_ERR_SEMANTIC, "not a model file: UBJSON %s at byte %zu", ue.text,
                          ue.offset);
        return root;
    }
    char *copy;
    size_t copylen;
    if (json_nonfinite_to_null(bytes, n, &copy, &copylen) != 0) {
        vg_model_nomem(c);
        return NULL;
    }
    json_error_t je;
    json_t *root = copy ? json_loadb(copy, copylen, 0, &je) : json_loadb(bytes, n, 0, &je);
    vg_free(copy);
    if (!root && json_error_code(&je) == json_error_out_of_memory)
        vg_model_nomem(c);
    else if (!root)
        vg_model_fail(c, VG_ERR_SEMANTIC, "not a model file: %s at line %d column %d", je.text,
                      je.line, je.column);
    return root;
}

vg_model *vg_model_load_mem(vg_model_type type, const char *name, const void *bytes, size_t n,
                            vg_error *err)
{
    vg_model_ctx c = {.name = name, .err = err};
    if ((unsigned)type >= NTYPES) {
        vg_model_fail(&c, VG_ERR_SEMANTIC, "unknown model type %d", (int)type);
        return NULL;
    }
    json_t *root = parse(&c, bytes, n);
    if (!root)
        return NULL;
    vg_model *m = vg_calloc(VG_MEM_UDF, 1, sizeof *m);
    int rc = -1;
    if (!m) {
        vg_model_nomem(&c);
    } else if (!json_is_object(root)) {
        vg_model_fail(&c, VG_ERR_SEMANTIC, "not a model file: the top level is not an object");
    } else {
        m->type = type;
        m->bytes = sizeof *m;
        rc = type == VG_MODEL_XGBOOST ? vg_model_xgb_build(m, root, &c)
                                      : vg_model_linear_build(m, root, &c);
    }
    json_decref(root);
    if (rc != 0) {
        vg_model_free(m);
        return NULL;
    }
    return m;
}

vg_model *vg_model_load(vg_model_type type, const char *path, vg_error *err)
{
    vg_model_ctx c = {.name = path, .err = err};
    FILE *f = fopen(path, "rb");
    if (!f) {
        vg_model_fail(&c, VG_ERR_IO, "cannot read: %s", strerror(errno));
        return NULL;
    }
    char *buf = NULL;
    size_t len = 0, cap = 0;
    int failed = 0;
    for (;;) {
        if (len == cap) {
            size_t ncap = cap ? cap * 2 : 65536;
            char *nb = vg_realloc(VG_MEM_UDF, buf, ncap);
            if (!nb) {
                failed = vg_model_nomem(&c);
                break;
            }
            buf = nb;
            cap = ncap;
        }
        size_t got = fread(buf + len, 1, cap - len, f);
        len += got;
        if (got == 0) {
            if (ferror(f))
                failed = vg_model_fail(&c, VG_ERR_IO, "cannot read: %s", strerror(errno));
            break;
        }
    }
    fclose(f);
    vg_model *m = failed ? NULL : vg_model_load_mem(type, path, buf, len, err);
    vg_free(buf);
    return m;
}

vg_model_type vg_model_type_of(const vg_model *m) { return m->type; }
uint32_t vg_model_nfeatures(const vg_model *m) { return m->nfeatures; }
uint32_t vg_model_noutputs(const vg_model *m) { return m->noutputs; }
const char *vg_model_describe(const vg_model *m) { return m->describe; }
size_t vg_model_bytes(const vg_model *m) { return m->bytes; }

const char *vg_model_feature_name(const vg_model *m, uint32_t i)
{
    return m->feature_names && i < m->nfeatures ? m->feature_names[i] : NULL;
}

void vg_model_predict(const vg_model *m, const float *x, double *out)
{
    if (m->type == VG_MODEL_XGBOOST)
        vg_model_xgb_predict(m, x, out);
    else
        vg_model_linear_predict(m, x, out);
}

int vg_model_take_names(vg_model *m, json_t *names, const vg_model_ctx *c)
{
    m->feature_names = vg_model_alloc(m, m->nfeatures * sizeof *m->feature_names);
    if (!m->feature_names)
        return vg_model_nomem(c);
    memset(m->feature_names, 0, m->nfeatures * sizeof *m->feature_names);
    for (uint32_t i = 0; i < m->nfeatures; i++) {
        const char *s = json_string_value(json_array_get(names, i));
        if (!s)
            return vg_model_fail(c, VG_ERR_SEMANTIC, "feature %u is not a string", i);
        size_t len = strlen(s);
        m->feature_names[i] = vg_model_alloc(m, len + 1);
        if (!m->feature_names[i])
            return vg_model_nomem(c);
        memcpy(m->feature_names[i], s, len + 1);
    }
    return 0;
}
