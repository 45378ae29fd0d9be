/*
 * json_out.c — JSON-lines encoder for rows and dead letters (see json_out.h).
 *
 * A row is written in two steps: first an upper bound of its encoded size
 * is reserved in the buffer (32 bytes per scalar, 6 per string byte, which
 * covers \u00XX, and KEY_COPY bytes of slack), then everything is written
 * through a plain pointer with no further checks. A writer keeps each
 * column's `,"name":` in KEY_COPY bytes, so that it is copied whole in one
 * move, and the columns that are strings, whose room depends on the row.
 * Strings are copied in runs between the bytes that need attention, found
 * 16 (or 8) at a time. Numbers are engine/dtoa.c's. An ARRAY<DOUBLE> is a
 * JSON array of numbers, each as a DOUBLE column's, its room also known
 * only from the row.
 */
#include "engine/json_out.h"

#include <string.h>

#include "engine/dtoa.h"
#include "engine/json_in.h"

#ifdef __SSE2__
#include <emmintrin.h>
#endif

#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "escape_bits8 counts bytes from the low end"
#endif

/* Room a scalar value (number, timestamp, literal) can take. */
#define SCALAR_MAX 32

/* Bytes a key prefix is copied in when it is no longer (the allocation of
 * each is at least this long). */
#define KEY_COPY 32

/* One column of a writer. */
typedef struct out_col {
    const char *key; /* `{"name":` for the first column, `,"name":` for the others, in at
                        least KEY_COPY bytes */
    uint32_t keylen; /* its length */
    vg_type type;    /* the column's type */
} out_col;

struct vg_json_writer {
    uint32_t ncols;  /* columns in the schema */
    out_col *cols;   /* ncols */
    size_t room;     /* a row's room but for its strings: the keys, KEY_COPY bytes of
                        slack, SCALAR_MAX per column, "}\n" */
    uint32_t nstrs;  /* columns whose room depends on the value: STRING and ARRAY */
    uint32_t *strs;  /* their indices */
};

/* ---- strings ---- */

/* The bytes of the 8 at p that are '"', '\\', a control character or not
 * ASCII: the high bit of each such byte, and maybe of later ones (borrows
 * run upwards), so the lowest bit set is exact. */
static inline uint64_t escape_bits8(const char *p)
{
    const uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
    uint64_t x, q, b;
    memcpy(&x, p, 8);
    q = x ^ (ones * '"');
    b = x ^ (ones * '\\');
    return (((x - ones * 0x20) & ~x) | ((q - ones) & ~q) | ((b - ones) & ~b) | x) & highs;
}

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
    for (; end - p >= 8; p += 8) { /* a short string's (or the rest's) first 8 */
        uint64_t bits = escape_bits8(p);
        if (bits)
            return p + __builtin_ctzll(bits) / 8;
    }
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

/* Room an ARRAY of n elements takes: "[]", and per element a number (its
 * writer may use VG_DTOA_ROOM bytes) and a comma. */
static size_t array_room(uint32_t n) { return 2 + (size_t)n * (VG_DTOA_ROOM + 1); }

/* Room needed for one value of type t. */
static size_t value_room(vg_type t, const vg_value *v)
{
    if (v->null)
        return SCALAR_MAX;
    if (t == VG_T_STRING)
        return 6 * (size_t)v->len + 2;
    return t == VG_T_ARRAY ? array_room(v->len) : SCALAR_MAX;
}

/* Write the elements of a non-NULL ARRAY<DOUBLE> as a JSON array of numbers
 * (null for a NULL element), as DOUBLE columns are written; returns the end. */
static char *put_array(char *o, const vg_value *v)
{
    const double *d = vg_array_elems(v);
    const uint8_t *nulls = vg_array_nulls(v);
    *o++ = '[';
    for (uint32_t i = 0; i < v->len; i++) {
        if (i)
            *o++ = ',';
        if (nulls[i]) {
            memcpy(o, "null", 4);
            o += 4;
        } else {
            o += vg_dtoa_double(d[i], o);
        }
    }
    *o++ = ']';
    return o;
}

/* Write one value at o (value_room bytes available); returns the end. */
static inline __attribute__((always_inline)) char *put_value(char *o, vg_type t, const vg_value *v)
{
    if (v->null) {
        memcpy(o, "null", 4);
        return o + 4;
    }
    switch (t) {
    case VG_T_STRING:
        return put_string(o, v->u.s, v->len);
    case VG_T_ARRAY:
        return put_array(o, v);
    case VG_T_DOUBLE:
        return o + vg_dtoa_double(v->u.d, o); /* (writes VG_DTOA_ROOM bytes) */
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
        if ((uint64_t)v->u.i < 10) { /* (counts, mostly) */
            *o = (char)('0' + v->u.i);
            return o + 1;
        }
        return o + vg_dtoa_i64(v->u.i, o);
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
    w->cols = vg_calloc(VG_MEM_IO, s->ncols + 1, sizeof *w->cols);
    w->strs = vg_calloc(VG_MEM_IO, s->ncols + 1, sizeof *w->strs);
    if (!w->cols || !w->strs) {
        vg_json_writer_free(w);
        return NULL;
    }
    w->room = KEY_COPY + 3;
    vg_buf key;
    vg_buf_init(&key, VG_MEM_IO);
    for (uint32_t i = 0; i < s->ncols; i++) {
        const char *name = s->cols[i].name;
        out_col *c = &w->cols[i];
        char *k;
        vg_buf_clear(&key);
        c->type = s->cols[i].type;
        if (c->type == VG_T_STRING || c->type == VG_T_ARRAY)
            w->strs[w->nstrs++] = i;
        if (vg_buf_putc(&key, i == 0 ? '{' : ',') < 0 ||
            vg_json_write_string(&key, name, strlen(name)) < 0 || vg_buf_putc(&key, ':') < 0 ||
            !(k = vg_calloc(VG_MEM_IO, key.len > KEY_COPY ? key.len : KEY_COPY, 1))) {
            vg_buf_free(&key);
            vg_json_writer_free(w);
            return NULL;
        }
        memcpy(k, key.p, key.len);
        c->key = k;
        c->keylen = (uint32_t)key.len;
        w->room += key.len + SCALAR_MAX;
    }
    vg_buf_free(&key);
    return w;
}

void vg_json_writer_free(vg_json_writer *w)
{
    if (!w)
        return;
    for (uint32_t i = 0; w->cols && i < w->ncols; i++)
        vg_free((void *)w->cols[i].key);
    vg_free(w->cols);
    vg_free(w->strs);
    vg_free(w);
}

int vg_json_writer_row(const vg_json_writer *w, vg_buf *b, const vg_value *row)
{
    size_t room = w->room;
    for (uint32_t k = 0; k < w->nstrs; k++)
        room += value_room(w->cols[w->strs[k]].type, &row[w->strs[k]]);
    if (vg_buf_reserve(b, room) < 0)
        return -1;
    char *o = b->p + b->len;
    if (w->ncols == 0)
        *o++ = '{';
    for (const out_col *c = w->cols, *end = c + w->ncols; c < end; c++, row++) {
        if (c->keylen <= KEY_COPY)
            memcpy(o, c->key, KEY_COPY); /* one move; what is past keylen is overwritten */
        else
            memcpy(o, c->key, c->keylen);
        o = put_value(o + c->keylen, c->type, row);
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
