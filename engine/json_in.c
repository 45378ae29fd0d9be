/*
 * json_in.c — the schema-driven JSON event decoder (see json_in.h).
 *
 * A hand-written recursive-descent scanner over one line. It first checks
 * that the whole line is valid UTF-8 (16 ASCII bytes at a time), so the
 * scanner proper only has to look for quotes, backslashes and control
 * characters inside strings. Keys are found in an open-addressing hash
 * table of the schema's column names built once per decoder, after a guess
 * from the key order of the previous event; values of known keys are
 * converted straight into the row, values of unknown keys are skipped but
 * validated. Numbers and \u escapes are json_lex.c's job.
 *
 * Internal functions return the position just past what they consumed, or
 * NULL after writing the reason for a rejected event.
 */
#include "engine/json_in.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/json_int.h"

#ifdef __SSE2__
#include <emmintrin.h>
#endif

/* Keys of the kcat -J envelope that the decoder looks at. */
enum { ENV_NONE, ENV_PAYLOAD, ENV_TOPIC, ENV_PARTITION, ENV_OFFSET };

static const char *const env_names[] = {NULL, "payload", "topic", "partition", "offset"};

/* One entry of the key table. */
typedef struct key_slot {
    uint64_t pat[2];  /* `"name":` zero-padded to 16 bytes, when plen > 0 (else a pattern
                         that text never matches) */
    uint64_t mask[2]; /* 0xFF over the bytes of pat that belong to it */
    uint32_t plen;    /* length of `"name":`, or 0 when it is longer than 16 */
    const char *name; /* key text (borrowed from the schema), NULL for an empty slot */
    uint32_t len;     /* strlen(name) */
    int32_t col;      /* column index, or -1 for an envelope-only key */
    uint8_t env;      /* ENV_* when the key also means something in an envelope */
    uint32_t next;    /* slot of the key that followed this one last time, or none */
} key_slot;

struct vg_decoder {
    const vg_schema *schema; /* borrowed */
    key_slot *slots;         /* open addressing, linear probing; then one more, `none` */
    uint32_t mask;           /* number of slots - 1 (a power of two) */
    uint32_t none;           /* mask + 1: the slot past the table, whose pattern text never
                                matches, for "no key" (a guess read_key needs not test) */
    uint32_t first;          /* slot of the first key of the last object, or none */
    bool envelope;           /* the last event came in an envelope */
    int32_t partition;       /* its partition, or -1 */
    int64_t offset;          /* its offset, or -1 */
};

/* What the top-level pass saw of envelope keys. */
typedef struct envelope {
    const char *payload;     /* start of the payload value, NULL if none */
    const char *payload_end; /* just past it */
    bool topic;              /* a topic key was present */
    int32_t partition;       /* -1 unless an integer was given */
    int64_t offset;          /* -1 unless an integer was given */
} envelope;

/* State of one decode. */
typedef struct scan {
    vg_decoder *d;     /* its key table; takes the envelope's partition and offset */
    const char *base;  /* offsets in reasons count from here */
    const char *end;   /* one past the last byte of the text */
    vg_value *row;     /* output, schema->ncols values */
    vg_arena *scratch; /* unescaped strings */
    char *reason;      /* output reason buffer */
    size_t reasonsz;   /* its size */
    const char *where; /* "" or " in payload", for JSON errors */
    bool col_error;    /* a value did not fit its column; reason says which */
    bool nomem;        /* the scratch arena failed */
} scan;

/* ---- reasons ---- */

static void say(scan *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(scan *s, const char *fmt, ...)
{
    if (s->reasonsz == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s->reason, s->reasonsz, fmt, ap);
    va_end(ap);
}

/* Reject the event for a JSON syntax error at p. */
static const char *json_fail(scan *s, const char *p, const char *msg)
{
    say(s, "invalid JSON%s at byte %zu: %s", s->where, (size_t)(p - s->base), msg);
    return NULL;
}

static const char *nomem_fail(scan *s)
{
    s->nomem = true;
    say(s, "out of memory");
    return NULL;
}

/* Record that a value does not fit its column; the first such reason wins
 * and scanning goes on (the event may still turn out to be an envelope). */
static void col_fail(scan *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void col_fail(scan *s, const char *fmt, ...)
{
    if (s->col_error || s->reasonsz == 0) {
        s->col_error = true;
        return;
    }
    s->col_error = true;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s->reason, s->reasonsz, fmt, ap);
    va_end(ap);
}

/* A JSON value as written, for reasons: what it is ("string", "number",
 * "true", "object", ...) and, for strings and numbers, its text. */
typedef struct jtext {
    const char *what; /* kind of value */
    const char *text; /* its text (a string's without the quotes), or NULL */
    size_t n;         /* bytes in text */
} jtext;

/* `what` followed by at most 40 bytes of the text (cut on a character
 * boundary), quoted for strings: `string "abc"`, `number 1.5`, `true`. */
static void describe(char *out, size_t outsz, const jtext *g)
{
    size_t k = g->n;
    if (k > 40) {
        k = 40;
        while (k > 0 && ((unsigned char)g->text[k] & 0xC0) == 0x80)
            k--;
    }
    const char *q = strcmp(g->what, "string") == 0 ? "\"" : "";
    if (!g->text)
        snprintf(out, outsz, "%s", g->what);
    else
        snprintf(out, outsz, "%s %s%.*s%s%s", g->what, q, (int)k, g->text, q,
                 k < g->n ? "..." : "");
}

static const char *col_name(const scan *s, uint32_t col) { return s->d->schema->cols[col].name; }

static const char *col_type(const scan *s, uint32_t col)
{
    return vg_type_name(s->d->schema->cols[col].type);
}

/* ---- the key table ---- */

static uint32_t key_hash(const char *k, size_t n)
{
    uint32_t h = (uint32_t)n * 0x9E3779B1u;
    if (n > 0)
        h ^= (uint8_t)k[0] * 0x85EBCA77u ^ (uint8_t)k[n - 1] * 0xC2B2AE3Du ^
             (uint8_t)k[n / 2] * 0x27D4EB2Fu;
    return h ^ (h >> 15);
}

static key_slot *key_find(const vg_decoder *d, const char *k, size_t n)
{
    for (uint32_t i = key_hash(k, n) & d->mask;; i = (i + 1) & d->mask) {
        key_slot *e = &d->slots[i];
        if (!e->name)
            return NULL;
        if (e->len == n && memcmp(e->name, k, n) == 0)
            return e;
    }
}

/* Whether the text at p, which has 16 bytes to read, starts with slot e's
 * `"name":` (so the key is e's, unescaped, and the colon follows at once). */
static inline bool pattern_at(const key_slot *e, const char *p)
{
    uint64_t w[2];
    memcpy(w, p, 16);
    return ((w[0] ^ e->pat[0]) & e->mask[0]) == 0 && ((w[1] ^ e->pat[1]) & e->mask[1]) == 0;
}

/* The slot for name, new (col -1, env 0) when it was not in the table. */
static key_slot *key_add(vg_decoder *d, const char *name)
{
    size_t n = strlen(name);
    uint32_t i = key_hash(name, n) & d->mask;
    while (d->slots[i].name) {
        if (d->slots[i].len == n && memcmp(d->slots[i].name, name, n) == 0)
            return &d->slots[i];
        i = (i + 1) & d->mask;
    }
    key_slot *e = &d->slots[i];
    *e = (key_slot){{0, 0}, {0xFF, 0}, 0, name, (uint32_t)n, -1, ENV_NONE, d->none};
    if (n + 3 <= 16) {
        unsigned char pat[16] = {0}, ones[16] = {0};
        pat[0] = '"';
        memcpy(pat + 1, name, n);
        memcpy(pat + 1 + n, "\":", 2);
        memset(ones, 0xFF, n + 3);
        memcpy(e->pat, pat, 16);
        memcpy(e->mask, ones, 16);
        e->plen = (uint32_t)n + 3;
    }
    return e;
}

vg_decoder *vg_decoder_new(const vg_schema *s)
{
    vg_decoder *d = vg_calloc(VG_MEM_IO, 1, sizeof *d);
    if (!d)
        return NULL;
    uint32_t nslots = 16;
    while (nslots < 4 * (s->ncols + 4))
        nslots *= 2;
    d->slots = vg_calloc(VG_MEM_IO, nslots + 1, sizeof *d->slots);
    if (!d->slots) {
        vg_free(d);
        return NULL;
    }
    d->schema = s;
    d->mask = nslots - 1;
    d->none = d->first = nslots;
    d->slots[nslots].mask[0] = 0xFF; /* (pat 0: text at a key starts with '"') */
    for (uint32_t c = 0; c < s->ncols; c++) {
        key_slot *e = key_add(d, s->cols[c].name);
        if (e->col < 0) /* a repeated column name: the first one gets the value */
            e->col = (int32_t)c;
    }
    for (uint8_t env = ENV_PAYLOAD; env <= ENV_OFFSET; env++)
        key_add(d, env_names[env])->env = env;
    return d;
}

void vg_decoder_free(vg_decoder *d)
{
    if (!d)
        return;
    vg_free(d->slots);
    vg_free(d);
}

int vg_decoder_last_envelope(const vg_decoder *d, int32_t *partition, int64_t *offset)
{
    if (!d->envelope)
        return 0;
    if (partition)
        *partition = d->partition;
    if (offset)
        *offset = d->offset;
    return 1;
}

/* ---- strings ---- */

/* Replacement for each simple escape letter; 0 when the letter is not one. */
static const char escape_char[256] = {
    ['"'] = '"',  ['\\'] = '\\', ['/'] = '/',  ['b'] = '\b',
    ['f'] = '\f', ['n'] = '\n',  ['r'] = '\r', ['t'] = '\t',
};

static inline const char *skip_ws(const char *p, const char *end)
{
    /* Events rarely have blanks between tokens: one compare settles that. */
    if (p < end && (unsigned char)*p > ' ')
        return p;
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
        p++;
    return p;
}

#ifdef __SSE2__
/* A bit per byte of the 16 at p that is '"', '\\' or a control character. */
static inline unsigned special_bits(const char *p)
{
    const __m128i quote = _mm_set1_epi8('"'), bslash = _mm_set1_epi8('\\');
    const __m128i ctl = _mm_set1_epi8(0x1F);
    __m128i x = _mm_loadu_si128((const __m128i *)p);
    __m128i m = _mm_or_si128(_mm_cmpeq_epi8(x, quote), _mm_cmpeq_epi8(x, bslash));
    m = _mm_or_si128(m, _mm_cmpeq_epi8(_mm_min_epu8(x, ctl), x)); /* x <= 0x1F */
    return (unsigned)_mm_movemask_epi8(m);
}
#endif

/* First '"', '\\' or control character in [p, end), or end; the text
 * starts at base (the last bytes before end are read 16 at once, from
 * end - 16, when the text has 16). */
static inline const char *find_special(const char *p, const char *end, const char *base)
{
#ifdef __SSE2__
    for (; end - p >= 16; p += 16) {
        unsigned bits = special_bits(p);
        if (bits)
            return p + __builtin_ctz(bits);
    }
    if (p < end && end - base >= 16) { /* (end - 16 < p) */
        unsigned bits = special_bits(end - 16) >> (p - (end - 16));
        return bits ? p + __builtin_ctz(bits) : end;
    }
#else
    (void)base;
#endif
    for (; p < end; p++) {
        unsigned char c = (unsigned char)*p;
        if (c == '"' || c == '\\' || c < 0x20)
            return p;
    }
    return end;
}

/* scan_string's way on from the first special byte at p (or end), when
 * it is not the closing quote. */
static __attribute__((noinline)) const char *scan_string_rest(scan *s, const char *p, bool *esc)
{
    *esc = false;
    for (;; p = find_special(p, s->end, s->base)) {
        if (p == s->end)
            return json_fail(s, p, "unterminated string");
        if (*p == '"')
            return p;
        if (*p != '\\')
            return json_fail(s, p, "control character in string");
        *esc = true;
        if (p + 1 == s->end)
            return json_fail(s, p + 1, "unterminated string");
        if (p[1] == 'u') {
            uint32_t cp;
            int k = vg_json_u_escape(p, s->end, &cp);
            if (k == 0)
                return json_fail(s, p, "invalid \\u escape");
            p += k;
        } else if (escape_char[(unsigned char)p[1]]) {
            p += 2;
        } else {
            return json_fail(s, p, "invalid escape");
        }
    }
}

/* p is just past an opening quote: find the closing one, validating
 * escapes and rejecting control characters. *esc tells whether the
 * string has escapes. Most strings have none, and take only this part. */
static inline const char *scan_string(scan *s, const char *p, bool *esc)
{
    p = find_special(p, s->end, s->base);
    if (p < s->end && *p == '"') {
        *esc = false;
        return p;
    }
    return scan_string_rest(s, p, esc);
}

/* Unescape the string body t[0..n), already validated by scan_string, into
 * the scratch arena; NULL when out of memory. Never longer than n. */
static const char *unescape(scan *s, const char *t, size_t n, size_t *outlen)
{
    char *out = s->scratch ? vg_arena_alloc(s->scratch, n ? n : 1) : NULL;
    if (!out)
        return nomem_fail(s);
    const char *end = t + n;
    char *o = out;
    while (t < end) {
        const char *bs = memchr(t, '\\', (size_t)(end - t));
        size_t run = (size_t)((bs ? bs : end) - t);
        memcpy(o, t, run);
        o += run;
        t += run;
        if (t == end)
            break;
        if (t[1] == 'u') {
            uint32_t cp = 0;
            t += vg_json_u_escape(t, end, &cp);
            o = vg_json_put_utf8(o, cp);
        } else {
            *o++ = escape_char[(unsigned char)t[1]];
            t += 2;
        }
    }
    *outlen = (size_t)(o - out);
    return out;
}

/* Epoch milliseconds of 0000-01-01T00:00:00Z and 9999-12-31T23:59:59.999Z. */
#define TS_MIN (-62167219200000LL)
#define TS_MAX 253402300799999LL

/* ---- values into columns ---- */

/* Reject value g for column col: "column 'c' expects T, got string "x"". */
static void mismatch(scan *s, uint32_t col, const jtext *g)
{
    char got[64];
    describe(got, sizeof got, g);
    col_fail(s, "column '%s' expects %s, got %s", col_name(s, col), col_type(s, col), got);
}

/* Store a number (a token, or the text of the string g) into column col. */
static void number_into(scan *s, uint32_t col, const vg_jnum *num, const jtext *g)
{
    vg_type t = s->d->schema->cols[col].type;
    vg_value *v = &s->row[col];
    int64_t i = 0;
    int r;
    switch (t) {
    case VG_T_STRING:
        *v = vg_str(num->p, (uint32_t)num->n);
        return;
    case VG_T_DOUBLE:
        v->null = 0;
        r = vg_jnum_to_double(num, s->scratch, &v->u.d);
        if (r == -2)
            nomem_fail(s);
        else if (r < 0)
            col_fail(s, "value %.*s out of range for DOUBLE column '%s'",
                     num->n > 40 ? 40 : (int)num->n, num->p, col_name(s, col));
        return;
    case VG_T_INT:
    case VG_T_BIGINT:
    case VG_T_TIMESTAMP:
    case VG_T_INTERVAL:
        r = vg_jnum_to_int(num, &i);
        if (r == VG_JNUM_INT && t == VG_T_INT && (i < INT32_MIN || i > INT32_MAX))
            r = VG_JNUM_RANGE;
        if (r == VG_JNUM_INT && t == VG_T_TIMESTAMP && (i < TS_MIN || i > TS_MAX))
            r = VG_JNUM_RANGE; /* years 0000..9999, as TIMESTAMP(3) text can say */
        if (r == VG_JNUM_INT)
            *v = vg_int(i);
        else if (r == VG_JNUM_RANGE)
            col_fail(s, "value %.*s out of range for %s column '%s'",
                     num->n > 40 ? 40 : (int)num->n, num->p, col_type(s, col), col_name(s, col));
        else
            mismatch(s, col, g);
        return;
    default:
        mismatch(s, col, g);
    }
}

/* string_into's ways other than a STRING column's. */
static __attribute__((noinline)) void string_into_other(scan *s, uint32_t col, const char *t,
                                                        size_t n, const jtext *g)
{
    vg_type t_col = s->d->schema->cols[col].type;
    vg_value *v = &s->row[col];
    if (n > UINT32_MAX) {
        col_fail(s, "column '%s': string too long", col_name(s, col));
    } else if (t_col == VG_T_TIMESTAMP) {
        if (vg_ts_parse(t, n, &v->u.i) == 0) {
            v->null = 0;
        } else {
            char got[64];
            describe(got, sizeof got, g);
            col_fail(s, "column '%s': invalid timestamp %s", col_name(s, col),
                     got + strlen("string "));
        }
    } else if (t_col == VG_T_BOOL && n == 4 && memcmp(t, "true", 4) == 0) {
        *v = vg_bool(true);
    } else if (t_col == VG_T_BOOL && n == 5 && memcmp(t, "false", 5) == 0) {
        *v = vg_bool(false);
    } else {
        vg_jnum num;
        if (t_col != VG_T_BOOL && n > 0 && vg_jnum_scan(t, t + n, &num) == t + n)
            number_into(s, col, &num, g);
        else
            mismatch(s, col, g);
    }
}

/* Store the (unescaped) string t[0..n) into column col; the string as
 * written is raw[0..rawn), for reasons. */
static inline void string_into(scan *s, uint32_t col, const char *t, size_t n, const char *raw,
                               size_t rawn)
{
    if (s->d->schema->cols[col].type == VG_T_STRING && n <= UINT32_MAX) {
        s->row[col] = vg_str(t, (uint32_t)n); /* (most strings) */
        return;
    }
    jtext g = {"string", raw, rawn};
    string_into_other(s, col, t, n, &g);
}

static const char *skip_value(scan *s, const char *p, int depth);

/* A literal (true, false, null) at p. */
static const char *literal(scan *s, const char *p, const char *word, size_t n)
{
    if ((size_t)(s->end - p) < n || memcmp(p, word, n) != 0)
        return json_fail(s, p, "invalid literal");
    return p + n;
}

/* Decode the value at p into column col. */
static const char *decode_value(scan *s, const char *p, uint32_t col, int depth)
{
    vg_type t = s->d->schema->cols[col].type;
    const char *q;
    switch (*p) {
    case '"': {
        bool esc;
        if (!(q = scan_string(s, p + 1, &esc)))
            return NULL;
        size_t n = (size_t)(q - p - 1);
        const char *text = p + 1;
        if (esc && !(text = unescape(s, p + 1, n, &n)))
            return NULL;
        string_into(s, col, text, n, p + 1, (size_t)(q - p - 1));
        return q + 1;
    }
    case 'n':
        if ((q = literal(s, p, "null", 4)))
            s->row[col].null = 1;
        return q;
    case 't':
    case 'f':
        if (!(q = literal(s, p, *p == 't' ? "true" : "false", *p == 't' ? 4 : 5)))
            return NULL;
        if (t == VG_T_BOOL || t == VG_T_STRING)
            s->row[col] = t == VG_T_BOOL ? vg_bool(*p == 't') : vg_str(p, (uint32_t)(q - p));
        else
            mismatch(s, col, &(jtext){*p == 't' ? "true" : "false", NULL, 0});
        return q;
    case '{':
    case '[':
        if (!(q = skip_value(s, p, depth)))
            return NULL;
        if (t == VG_T_STRING && (size_t)(q - p) <= UINT32_MAX)
            s->row[col] = vg_str(p, (uint32_t)(q - p));
        else
            mismatch(s, col, &(jtext){*p == '{' ? "object" : "array", NULL, 0});
        return q;
    default: {
        vg_jnum num;
        if (!(q = vg_jnum_scan(p, s->end, &num)))
            return json_fail(s, p,
                             (*p == '-' || (*p >= '0' && *p <= '9')) ? "invalid number"
                                                                     : "expected a value");
        jtext g = {"number", num.p, num.n};
        number_into(s, col, &num, &g);
        return s->nomem ? NULL : q;
    }
    }
}

/* ---- skipping ---- */

/* Skip the object or array at p (depth is its own nesting level). */
static const char *skip_container(scan *s, const char *p, int depth)
{
    char close = *p == '{' ? '}' : ']';
    if (depth > VG_DECODE_MAX_DEPTH)
        return json_fail(s, p, "nesting deeper than 64 levels");
    p = skip_ws(p + 1, s->end);
    if (p < s->end && *p == close)
        return p + 1;
    for (;;) {
        if (close == '}') {
            bool esc;
            if (p == s->end || *p != '"')
                return json_fail(s, p, "expected a key");
            if (!(p = scan_string(s, p + 1, &esc)))
                return NULL;
            p = skip_ws(p + 1, s->end);
            if (p == s->end || *p != ':')
                return json_fail(s, p, "expected ':'");
            p = skip_ws(p + 1, s->end);
        }
        if (!(p = skip_value(s, p, depth)))
            return NULL;
        p = skip_ws(p, s->end);
        if (p < s->end && *p == ',')
            p = skip_ws(p + 1, s->end);
        else if (p < s->end && *p == close)
            return p + 1;
        else
            return json_fail(s, p, close == '}' ? "expected ',' or '}'" : "expected ',' or ']'");
    }
}

/* Skip (and validate) the value at p, inside a container at level depth. */
static const char *skip_value(scan *s, const char *p, int depth)
{
    if (p == s->end)
        return json_fail(s, p, "expected a value");
    switch (*p) {
    case '"': {
        bool esc;
        const char *q = scan_string(s, p + 1, &esc);
        return q ? q + 1 : NULL;
    }
    case '{':
    case '[':
        return skip_container(s, p, depth + 1);
    case 't':
        return literal(s, p, "true", 4);
    case 'f':
        return literal(s, p, "false", 5);
    case 'n':
        return literal(s, p, "null", 4);
    default: {
        vg_jnum num;
        const char *q = vg_jnum_scan(p, s->end, &num);
        if (!q)
            return json_fail(s, p,
                             (*p == '-' || (*p >= '0' && *p <= '9')) ? "invalid number"
                                                                     : "expected a value");
        return q;
    }
    }
}

/* ---- events ---- */

/* p is at the opening quote of a key: find its table entry (*slot, NULL
 * for an unknown key) and return the position just past the colon that
 * follows it. Events of one stream mostly list their keys in the same
 * order, so the key that followed the previous key last time (guess) is
 * tried first, as `"name":` in one masked 16-byte compare; the hash table
 * is the fallback, which also records the order for next time (prev is
 * the previous key's entry, first says this is the object's first key). */
static const char *read_key(scan *s, const char *p, uint32_t guess, key_slot *prev, bool first,
                            key_slot **slot)
{
    vg_decoder *d = s->d;
    if (s->end - p >= 16 && pattern_at(&d->slots[guess], p)) { /* (none never matches) */
        *slot = &d->slots[guess];
        return p + d->slots[guess].plen;
    }
    bool esc;
    const char *k = p + 1, *kend = scan_string(s, k, &esc);
    if (!kend)
        return NULL;
    size_t n = (size_t)(kend - k);
    if (esc && !(k = unescape(s, k, n, &n)))
        return NULL;
    key_slot *e = *slot = key_find(d, k, n);
    uint32_t at = e ? (uint32_t)(e - d->slots) : d->none;
    if (prev)
        prev->next = at;
    else if (first)
        d->first = at;
    p = skip_ws(kend + 1, s->end);
    if (p == s->end || *p != ':')
        return json_fail(s, p, "expected ':'");
    return p + 1;
}

/* Note an envelope key's value v[0..vend) for the top-level pass. */
static void note_envelope(envelope *env, int which, const char *v, const char *vend)
{
    vg_jnum num;
    int64_t i = -1;
    if (which == ENV_PAYLOAD) {
        env->payload = v;
        env->payload_end = vend;
    } else if (which == ENV_TOPIC) {
        env->topic = true;
    } else if (vg_jnum_scan(v, vend, &num) == vend && num.plain &&
               vg_jnum_to_int(&num, &i) == VG_JNUM_INT) {
        if (which == ENV_PARTITION)
            env->partition = i >= 0 && i <= INT32_MAX ? (int32_t)i : -1;
        else
            env->offset = i;
    }
}

/* Parse the event object at p (nesting level depth) into the row; env,
 * when not NULL, collects the envelope keys of a top-level object. */
static const char *parse_event(scan *s, const char *p, int depth, envelope *env)
{
    if (depth > VG_DECODE_MAX_DEPTH)
        return json_fail(s, p, "nesting deeper than 64 levels");
    p = skip_ws(p + 1, s->end);
    if (p < s->end && *p == '}')
        return p + 1;
    key_slot *slot = NULL;
    uint32_t guess = s->d->first;
    for (bool first = true;; first = false) {
        if (p == s->end || *p != '"')
            return json_fail(s, p, "expected a key");
        if (!(p = read_key(s, p, guess, slot, first, &slot)))
            return NULL;
        guess = slot ? slot->next : s->d->none;
        const char *v = p = skip_ws(p, s->end);
        if (p == s->end)
            return json_fail(s, p, "expected a value");
        if (slot && slot->col >= 0)
            p = decode_value(s, p, (uint32_t)slot->col, depth);
        else
            p = skip_value(s, p, depth);
        if (!p)
            return NULL;
        if (env && slot && slot->env)
            note_envelope(env, slot->env, v, p);
        p = skip_ws(p, s->end);
        if (p < s->end && *p == ',')
            p = skip_ws(p + 1, s->end);
        else if (p < s->end && *p == '}')
            return p + 1;
        else
            return json_fail(s, p, "expected ',' or '}'");
    }
}

/* Decode text[0..n) as one event object with nothing after it. */
static int decode_text(scan *s, const char *text, size_t n, envelope *env)
{
    s->base = text;
    s->end = text + n;
    const char *p = skip_ws(text, s->end);
    if (p == s->end || *p != '{') {
        say(s, "expected a JSON object%s", s->where);
        return VG_DECODE_BAD;
    }
    p = parse_event(s, p, 1, env);
    if (p && (p = skip_ws(p, s->end)) != s->end)
        p = json_fail(s, p, "unexpected text after the object");
    if (!p) {
        s->col_error = false; /* the reason is the JSON error */
        return s->nomem ? VG_DECODE_NOMEM : VG_DECODE_BAD;
    }
    return s->col_error ? VG_DECODE_BAD : VG_DECODE_OK;
}

static void row_clear(vg_value *row, uint32_t ncols)
{
    for (uint32_t i = 0; i < ncols; i++)
        row[i] = vg_null();
}

/* The event is the payload of an envelope: decode that instead. */
static int decode_payload(scan *s, const envelope *env)
{
    vg_decoder *d = s->d;
    d->envelope = true;
    d->partition = env->partition;
    d->offset = env->offset;
    row_clear(s->row, d->schema->ncols);
    s->col_error = false;
    s->where = " in payload";
    const char *p = env->payload;
    if (*p == '{') {
        /* Validated by the first pass, so only the values are new work. */
        return parse_event(s, p, 2, NULL) ? (s->col_error ? VG_DECODE_BAD : VG_DECODE_OK)
                                          : (s->nomem ? VG_DECODE_NOMEM : VG_DECODE_BAD);
    }
    if (*p == 'n' || (*p == '"' && env->payload_end - p == 2)) {
        say(s, "empty payload");
        return VG_DECODE_BAD;
    }
    if (*p != '"') {
        say(s, "expected a JSON object in payload");
        return VG_DECODE_BAD;
    }
    size_t n = (size_t)(env->payload_end - p - 2);
    const char *text = p + 1;
    if (memchr(text, '\\', n) && !(text = unescape(s, text, n, &n)))
        return VG_DECODE_NOMEM;
    return decode_text(s, text, n, NULL);
}

int vg_decoder_decode(vg_decoder *d, const char *line, size_t len, vg_value *row, vg_arena *scratch,
                      char *reason, size_t reasonsz)
{
    scan s = {d, line, line + len, row, scratch, reason, reason ? reasonsz : 0, "", false, false};
    if (s.reasonsz)
        reason[0] = 0;
    d->envelope = false;
    row_clear(row, d->schema->ncols);
    size_t bad = vg_utf8_check(line, len);
    if (bad < len) {
        say(&s, "invalid UTF-8 at byte %zu", bad);
        return VG_DECODE_BAD;
    }
    envelope env = {NULL, NULL, false, -1, -1};
    int r = decode_text(&s, line, len, &env);
    if (r == VG_DECODE_NOMEM || !env.payload || !env.topic)
        return r;
    if (r == VG_DECODE_BAD && !s.col_error)
        return r; /* bad JSON stays bad JSON, envelope or not */
    return decode_payload(&s, &env);
}
