/*
 * ubjson.c — the UBJSON reader: bytes in, a Jansson tree out.
 *
 * A recursive-descent reader over a byte cursor. Every read checks that the
 * bytes are there first; the first problem is kept with its byte offset and
 * every caller then unwinds, freeing what it built. A count is checked
 * against the bytes left (every element takes at least one byte, except in
 * a container typed null/true/false, which may hold VG_UBJSON_MAX_EMPTY
 * more), so a malformed count cannot make the reader allocate without limit.
 */

#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "udf/model_int.h"

/* The cursor. */
typedef struct reader {
    const uint8_t *p;   /* the input */
    size_t n;           /* bytes in p */
    size_t pos;         /* next byte to read */
    int depth;          /* containers open */
    vg_ubjson_error *e; /* where the first problem goes */
    bool failed;        /* e is filled */
} reader;

__attribute__((format(printf, 3, 4))) static void fail(reader *r, size_t at, const char *fmt, ...)
{
    if (r->failed)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->e->text, sizeof r->e->text, fmt, ap);
    va_end(ap);
    r->e->offset = at;
    r->failed = true;
}

static bool need(reader *r, size_t k)
{
    if (r->n - r->pos >= k)
        return true;
    fail(r, r->n, "data ends early");
    return false;
}

static json_t *nomem(reader *r)
{
    fail(r, r->pos, "out of memory");
    return NULL;
}

/* The next byte, consumed; -1 at the end (with the error set). */
static int next_byte(reader *r)
{
    if (!need(r, 1))
        return -1;
    return r->p[r->pos++];
}

/* Skip no-op markers; then the next byte, consumed (-1 at the end). */
static int next_marker(reader *r)
{
    while (r->pos < r->n && r->p[r->pos] == 'N')
        r->pos++;
    return next_byte(r);
}

/* A big-endian unsigned of k bytes. */
static uint64_t read_be(reader *r, size_t k)
{
    uint64_t v = 0;
    for (size_t i = 0; i < k; i++)
        v = v << 8 | r->p[r->pos + i];
    r->pos += k;
    return v;
}

/* Bytes of an integer marker's payload; 0 when the marker is not an integer's. */
static size_t int_size(int marker)
{
    switch (marker) {
    case 'i':
    case 'U':
        return 1;
    case 'I':
        return 2;
    case 'l':
        return 4;
    case 'L':
        return 8;
    default:
        return 0;
    }
}

/* The integer of type marker (int_size(marker) > 0) into *out; false at the end. */
static bool read_int(reader *r, int marker, int64_t *out)
{
    size_t k = int_size(marker);
    if (!need(r, k))
        return false;
    uint64_t u = read_be(r, k);
    switch (marker) {
    case 'i':
        *out = (int8_t)u;
        break;
    case 'U':
        *out = (int64_t)u;
        break;
    case 'I':
        *out = (int16_t)u;
        break;
    case 'l':
        *out = (int32_t)u;
        break;
    default:
        *out = (int64_t)u;
        break;
    }
    return true;
}

/* A length or count: an integer marker, then its value, >= 0 and at most the bytes left plus
 * `extra`. */
static bool read_length(reader *r, const char *what, size_t extra, size_t *out)
{
    size_t at = r->pos;
    int m = next_byte(r);
    if (m < 0)
        return false;
    int64_t v;
    if (int_size(m) == 0) {
        fail(r, at, "%s: integer marker expected, found '%c'", what, m >= 32 && m < 127 ? m : '?');
        return false;
    }
    if (!read_int(r, m, &v))
        return false;
    if (v < 0 || (uint64_t)v > r->n - r->pos + extra) {
        fail(r, at, "%s %lld exceeds the data left", what, (long long)v);
        return false;
    }
    *out = (size_t)v;
    return true;
}

static json_t *read_value(reader *r, int marker, size_t at);

/* A float of k (4 or 8) bytes: a real, or null when not finite. */
static json_t *read_float(reader *r, size_t k)
{
    if (!need(r, k))
        return NULL;
    uint64_t u = read_be(r, k);
    double d;
    if (k == 4) {
        uint32_t u32 = (uint32_t)u;
        float f;
        memcpy(&f, &u32, sizeof f);
        d = f;
    } else {
        memcpy(&d, &u, sizeof d);
    }
    json_t *v = isfinite(d) ? json_real(d) : json_null();
    return v ? v : nomem(r);
}

/* A string's bytes after its marker: length, then the bytes. */
static json_t *read_string(reader *r)
{
    size_t len;
    if (!read_length(r, "string length", 0, &len))
        return NULL;
    json_t *v = json_stringn_nocheck((const char *)r->p + r->pos, len);
    r->pos += len;
    return v ? v : nomem(r);
}

/* A container's optional `$type` and `#count`: *type 0 when untyped, *count SIZE_MAX when
 * uncounted. */
static bool read_header(reader *r, int *type, size_t *count)
{
    *type = 0;
    *count = SIZE_MAX;
    if (r->pos < r->n && r->p[r->pos] == '$') {
        r->pos++;
        size_t at = r->pos;
        *type = next_byte(r);
        if (*type < 0)
            return false;
        if (*type == 'N' || *type == '[' || *type == '{' || *type == '#') {
            fail(r, at, "element type '%c' is not allowed", *type);
            return false;
        }
        if (r->pos >= r->n || r->p[r->pos] != '#') {
            fail(r, r->pos, "a typed container needs a count ('#')");
            return false;
        }
    }
    if (r->pos < r->n && r->p[r->pos] == '#') {
        r->pos++;
        /* elements of type null, true or false take no bytes: allow a few of them more */
        bool empty = *type == 'Z' || *type == 'T' || *type == 'F';
        return read_length(r, "count", empty ? VG_UBJSON_MAX_EMPTY : 0, count);
    }
    return true;
}

/* One element of a container: of the container's type, or with its own marker. */
static json_t *read_element(reader *r, int type)
{
    if (type)
        return read_value(r, type, r->pos);
    size_t at = r->pos;
    int m = next_marker(r);
    return m < 0 ? NULL : read_value(r, m, at);
}

/* True when an uncounted container ends here (the end marker is consumed). */
static bool at_end(reader *r, int close)
{
    while (r->pos < r->n && r->p[r->pos] == 'N')
        r->pos++;
    if (r->pos < r->n && r->p[r->pos] == close) {
        r->pos++;
        return true;
    }
    return false;
}

static json_t *read_array(reader *r)
{
    int type;
    size_t count;
    if (!read_header(r, &type, &count))
        return NULL;
    json_t *a = json_array();
    if (!a)
        return nomem(r);
    for (size_t i = 0; count == SIZE_MAX ? !at_end(r, ']') : i < count; i++) {
        if (r->failed || !need(r, type == 'Z' || type == 'T' || type == 'F' ? 0 : 1))
            break;
        json_t *v = read_element(r, type);
        if (!v)
            break;
        if (json_array_append_new(a, v) != 0) {
            nomem(r);
            break;
        }
    }
    if (r->failed) {
        json_decref(a);
        return NULL;
    }
    return a;
}

static json_t *read_object(reader *r)
{
    int type;
    size_t count;
    if (!read_header(r, &type, &count))
        return NULL;
    json_t *o = json_object();
    if (!o)
        return nomem(r);
    for (size_t i = 0; count == SIZE_MAX ? !at_end(r, '}') : i < count; i++) {
        size_t klen;
        if (r->failed || !read_length(r, "key length", 0, &klen))
            break;
        const char *key = (const char *)r->p + r->pos;
        r->pos += klen;
        json_t *v = read_element(r, type);
        if (!v)
            break;
        if (json_object_setn_new_nocheck(o, key, klen, v) != 0) {
            nomem(r);
            break;
        }
    }
    if (r->failed) {
        json_decref(o);
        return NULL;
    }
    return o;
}

/* A container, with the nesting limit. */
static json_t *read_container(reader *r, int marker, size_t at)
{
    if (r->depth >= VG_UBJSON_MAX_DEPTH) {
        fail(r, at, "containers nested deeper than %d", VG_UBJSON_MAX_DEPTH);
        return NULL;
    }
    r->depth++;
    json_t *v = marker == '[' ? read_array(r) : read_object(r);
    r->depth--;
    return v;
}

/* The value whose marker (at byte `at`) has been read. */
static json_t *read_value(reader *r, int marker, size_t at)
{
    int64_t i;
    json_t *v;
    switch (marker) {
    case 'Z':
        v = json_null();
        break;
    case 'T':
        v = json_true();
        break;
    case 'F':
        v = json_false();
        break;
    case 'i':
    case 'U':
    case 'I':
    case 'l':
    case 'L':
        if (!read_int(r, marker, &i))
            return NULL;
        v = json_integer(i);
        break;
    case 'd':
        return read_float(r, 4);
    case 'D':
        return read_float(r, 8);
    case 'C':
        if (!need(r, 1))
            return NULL;
        v = json_stringn_nocheck((const char *)r->p + r->pos++, 1);
        break;
    case 'S':
        return read_string(r);
    case '[':
    case '{':
        return read_container(r, marker, at);
    case 'H':
        fail(r, at, "high-precision numbers ('H') are not supported");
        return NULL;
    default:
        if (marker >= 32 && marker < 127)
            fail(r, at, "unknown type marker '%c'", marker);
        else
            fail(r, at, "unknown type marker 0x%02x", (unsigned)marker);
        return NULL;
    }
    return v ? v : nomem(r);
}

json_t *vg_ubjson_parse(const void *bytes, size_t n, vg_ubjson_error *e)
{
    reader r = {.p = bytes, .n = n, .e = e};
    e->text[0] = '\0';
    e->offset = 0;
    size_t at = r.pos;
    int m = next_marker(&r);
    if (m < 0)
        return NULL;
    json_t *v = read_value(&r, m, at);
    if (!v)
        return NULL;
    while (r.pos < r.n && r.p[r.pos] == 'N')
        r.pos++;
    if (r.pos != r.n) {
        fail(&r, r.pos, "unexpected data after the value");
        json_decref(v);
        return NULL;
    }
    return v;
}
