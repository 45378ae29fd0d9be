/*
 * json_out.c — JSON-lines encoder for rows and dead letters (see json_out.h).
 *
 * A row is written in two steps: first an upper bound of its encoded size
 * is reserved in the buffer (32 bytes per scalar, 6 per string byte, which
 * covers \u00XX), then everything is written through a plain pointer with
 * no further checks. Strings are copied in runs between the bytes that need
 * attention, found 16 at a time.
 */
#include "engine/json_out.h"

#include <string.h>

#include "engine/json_in.h"

#ifdef __SSE2__
#include <emmintrin.h>
#endif

/* Room a scalar value (number, timestamp, literal) can take. */
#define SCALAR_MAX 32

struct vg_json_writer {
    uint32_t ncols;    /* columns in the schema */
    vg_type *types;    /* column types */
    const char **keys; /* `{"name":` for the first column, `,"name":` for the others */
    uint32_t *keylens; /* their lengths */
    size_t keys_total; /* sum of keylens */
};

/* ---- strings ---- */

/* First byte in [p, end) that is '"', '\\', a control character or not
 * ASCII, or end. */
static const char *find_escape(const char *p, const char *end)
{
#ifdef __SSE2__
    const __m128i quote = _mm_set1_epi8('"'), bslash = _mm_set1_epi8('\\');
    const __m128i ctl = _mm_set1_epi8(0x1F);
    for (; end - p >= 16; p += 16) {
        __m128i x = _mm_loadu_si128((const __m128i *)p);
        __m128i m = _mm_or_si128(_mm_cmpeq_epi8(x, quote), _mm_cmpeq_epi8(x, bslash));
        m = _mm_or_si128(m, _mm_cmpeq_epi8(_mm_min_epu8(x, ctl), x)); /* x <= 0x1F */
        int bits = _mm_movemask_epi8(m) | _mm_movemask_epi8(x);       /* x >= 0x80 */
        if (bits)
            return p + __builtin_ctz((unsigned)bits);
    }
#endif
    for (; p < end; p++) {
        unsigned char c = (unsigned char)*p;
        if (c == '"' || c == '\\' || c < 0x20 || c >= 0x80)
            return p;
    }
    return end;
}

/* Short escapes; 0 means \u00XX. */
static const char short_escape[0x60] = {
    ['"'] = '"',  ['\\'] = '\\', ['\b'] = 'b', ['\f'] = 'f',
    ['\n'] = 'n', ['\r'] = 'r',  ['\t'] = 't',
};

/* Write s[0..n) quoted and escaped at o (room for 6n+2 bytes); returns the
 * end. */
static char *put_string(char *o, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    const char *end = s + n;
    *o++ = '"';
    while (s < end) {
        const char *q = find_escape(s, end);
        memcpy(o, s, (size_t)(q - s));
        o += q - s;
        if (q == end)
            break;
        unsigned char c = (unsigned char)*q;
        if (c >= 0x80) {
            int k = vg_utf8_seq_len((const unsigned char *)q, (size_t)(end - q));
            if (k > 0)
                memcpy(o, q, (size_t)k);
            else
                memcpy(o, "\xEF\xBF\xBD", 3); /* U+FFFD for one invalid byte */
            o += k > 0 ? k : 3;
            s = q + (k > 0 ? k : 1);
            continue;
        }
        *o++ = '\\';
        if (short_escape[c]) {
            *o++ = short_escape[c];
        } else {
            memcpy(o, "u00", 3);
            o[3] = hex[c >> 4];
            o[4] = hex[c & 15];
            o += 5;
        }
        s = q + 1;
    }
    *o++ = '"';
    return o;
}

/* ---- scalars ---- */

/* Write v as a decimal integer at o; returns the end. */
static char *put_int(char *o, int64_t v)
{
    char tmp[24];
    uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
    int n = 0;
    do {
        tmp[n++] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0)
        *o++ = '-';
    while (n > 0)
        *o++ = tmp[--n];
    return o;
}

/* Room needed for one value of type t. */
static size_t value_room(vg_type t, const vg_value *v)
{
    return !v->null && t == VG_T_STRING ? 6 * (size_t)v->len + 2 : SCALAR_MAX;
}

/* Write one value at o (value_room bytes available); returns the end. */
static char *put_value(char *o, vg_type t, const vg_value *v)
{
    if (v->null) {
        memcpy(o, "null", 4);
        return o + 4;
    }
    switch (t) {
    case VG_T_STRING:
        return put_string(o, v->u.s, v->len);
    case VG_T_DOUBLE:
        return o + vg_double_format(v->u.d, o);
    case VG_T_BOOL:
        memcpy(o, v->u.i ? "true" : "false", 5);
        return o + (v->u.i ? 4 : 5);
    case VG_T_TIMESTAMP:
        *o++ = '"';
        o += vg_ts_format(v->u.i, o);
        *o++ = '"';
        return o;
    case VG_T_NULL:
        memcpy(o, "null", 4);
        return o + 4;
    default: /* INT, BIGINT, INTERVAL */
        return put_int(o, v->u.i);
    }
}

int vg_json_write_string(vg_buf *b, const char *s, size_t n)
{
    if (n > (SIZE_MAX - 2) / 6 || vg_buf_reserve(b, 6 * n + 2) < 0)
        return -1;
    b->len = (size_t)(put_string(b->p + b->len, s, n) - b->p);
    return 0;
}

int vg_json_write_value(vg_buf *b, vg_type t, const vg_value *v)
{
    if (vg_buf_reserve(b, value_room(t, v)) < 0)
        return -1;
    b->len = (size_t)(put_value(b->p + b->len, t, v) - b->p);
    return 0;
}

/* ---- rows ---- */

vg_json_writer *vg_json_writer_new(const vg_schema *s)
{
    vg_json_writer *w = vg_calloc(VG_MEM_IO, 1, sizeof *w);
    if (!w)
        return NULL;
    w->ncols = s->ncols;
    w->types = vg_calloc(VG_MEM_IO, s->ncols + 1, sizeof *w->types);
    w->keys = vg_calloc(VG_MEM_IO, s->ncols + 1, sizeof *w->keys);
    w->keylens = vg_calloc(VG_MEM_IO, s->ncols + 1, sizeof *w->keylens);
    if (!w->types || !w->keys || !w->keylens) {
        vg_json_writer_free(w);
        return NULL;
    }
    vg_buf key;
    vg_buf_init(&key, VG_MEM_IO);
    for (uint32_t i = 0; i < s->ncols; i++) {
        const char *name = s->cols[i].name;
        vg_buf_clear(&key);
        w->types[i] = s->cols[i].type;
        if (vg_buf_putc(&key, i == 0 ? '{' : ',') < 0 ||
            vg_json_write_string(&key, name, strlen(name)) < 0 || vg_buf_putc(&key, ':') < 0 ||
            !(w->keys[i] = vg_strndup(VG_MEM_IO, key.p, key.len))) {
            vg_buf_free(&key);
            vg_json_writer_free(w);
            return NULL;
        }
        w->keylens[i] = (uint32_t)key.len;
        w->keys_total += key.len;
    }
    vg_buf_free(&key);
    return w;
}

void vg_json_writer_free(vg_json_writer *w)
{
    if (!w)
        return;
    for (uint32_t i = 0; w->keys && i < w->ncols; i++)
        vg_free((void *)w->keys[i]);
    vg_free(w->keys);
    vg_free(w->keylens);
    vg_free(w->types);
    vg_free(w);
}

int vg_json_writer_row(const vg_json_writer *w, vg_buf *b, const vg_value *row)
{
    size_t room = w->keys_total + 3;
    for (uint32_t i = 0; i < w->ncols; i++)
        room += value_room(w->types[i], &row[i]);
    if (vg_buf_reserve(b, room) < 0)
        return -1;
    char *o = b->p + b->len;
    if (w->ncols == 0)
        *o++ = '{';
    for (uint32_t i = 0; i < w->ncols; i++) {
        memcpy(o, w->keys[i], w->keylens[i]);
        o = put_value(o + w->keylens[i], w->types[i], &row[i]);
    }
    *o++ = '}';
    *o++ = '\n';
    b->len = (size_t)(o - b->p);
    return 0;
}

int vg_json_write_row(vg_buf *b, const vg_schema *s, const vg_value *row)
{
    size_t start = b->len;
    for (uint32_t i = 0; i < s->ncols; i++) {
        const char *name = s->cols[i].name;
        if (vg_buf_putc(b, i == 0 ? '{' : ',') < 0 ||
            vg_json_write_string(b, name, strlen(name)) < 0 || vg_buf_putc(b, ':') < 0 ||
            vg_json_write_value(b, s->cols[i].type, &row[i]) < 0) {
            b->len = start;
            return -1;
        }
    }
    if ((s->ncols == 0 && vg_buf_putc(b, '{') < 0) || vg_buf_append(b, "}\n", 2) < 0) {
        b->len = start;
        return -1;
    }
    return 0;
}

int vg_json_write_dead_letter(vg_buf *b, const char *source, uint64_t line_no, const char *reason,
                              const char *raw, size_t rawlen)
{
    size_t start = b->len, n = rawlen;
    if (n > VG_DEAD_LETTER_RAW_MAX) {
        n = VG_DEAD_LETTER_RAW_MAX;
        while (n > VG_DEAD_LETTER_RAW_MAX - 3 && ((unsigned char)raw[n] & 0xC0) == 0x80)
            n--; /* do not cut a character in two */
    }
    if (vg_buf_append(b, "{\"source\":", 10) < 0 ||
        vg_json_write_string(b, source, strlen(source)) < 0 ||
        vg_buf_printf(b, ",\"line\":%llu,\"reason\":", (unsigned long long)line_no) < 0 ||
        vg_json_write_string(b, reason, strlen(reason)) < 0 ||
        vg_buf_append(b, ",\"raw\":", 7) < 0 || vg_json_write_string(b, raw, n) < 0 ||
        (n < rawlen && vg_buf_append(b, ",\"raw_truncated\":true", 21) < 0) ||
        vg_buf_append(b, "}\n", 2) < 0) {
        b->len = start;
        return -1;
    }
    return 0;
}
