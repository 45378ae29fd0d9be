/*
 * fn_string.c — string functions: case, trimming, substrings, padding,
 * searching, splitting and joining.
 *
 * Strings are UTF-8 and every length or position counts code points, as
 * Flink counts characters. A result that is a piece of an argument
 * (SUBSTRING, TRIM, LEFT, SPLIT_INDEX) points into that argument rather
 * than being copied: an argument lives at least as long as the batch that
 * the result belongs to. New strings go to the scratch arena.
 */
#include <string.h>
#include <strings.h>

#include "udf/fn_int.h"

/* ---- case ---- */

static void map_ascii(vg_fn_ctx *ctx, const vg_value *s, vg_value *out, int lo, int hi, int delta)
{
    char *p = fn_alloc(ctx, s->len, out);
    if (!p)
        return;
    for (uint32_t i = 0; i < s->len; i++) {
        unsigned char c = (unsigned char)s->u.s[i];
        p[i] = (char)(c >= lo && c <= hi ? c + delta : c);
    }
    fn_set_str(out, p, s->len);
}

static void ev_lower(vg_fn_ctx *ctx, const vg_value *a, uint32_t n, vg_value *out)
{
    (void)n;
    map_ascii(ctx, &a[0], out, 'A', 'Z', 'a' - 'A');
}

static void ev_upper(vg_fn_ctx *ctx, const vg_value *a, uint32_t n, vg_value *out)
{
    (void)n;
    map_ascii(ctx, &a[0], out, 'a', 'z', 'A' - 'a');
}

static bool is_alnum(unsigned char c)
{
    return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

/* Calcite's INITCAP, which Flink uses: a word is a run of ASCII letters and
 * digits; its first letter is upper-cased, the rest lower-cased. */
static void ev_initcap(vg_fn_ctx *ctx, const vg_value *a, uint32_t n, vg_value *out)
{
    (void)n;
    char *p = fn_alloc(ctx, a[0].len, out);
    if (!p)
        return;
    bool start = true;
    for (uint32_t i = 0; i < a[0].len; i++) {
        unsigned char c = (unsigned char)a[0].u.s[i];
        if (start && c >= 'a' && c <= 'z')
            c = (unsigned char)(c - 'a' + 'A');
        else if (!start && c >= 'A' && c <= 'Z')
            c = (unsigned char)(c - 'A' + 'a');
        start = !is_alnum(c);
        p[i] = (char)c;
    }
    fn_set_str(out, p, a[0].len);
}

/* ---- trimming ---- */

/* Length in bytes of the code point at s[i]. */
static size_t cp_len(const char *s, size_t n, size_t i)
{
    return fn_utf8_skip(s, n, i, 1) - i;
}

static bool in_set(const vg_value *set, const char *cp, size_t len)
{
    return fn_find(set->u.s, set->len, cp, len) != NULL;
}

/* Cut the code points found in set from the start and/or the end of s. */
static void trim(const vg_value *s, const vg_value *set, bool lead, bool trail, vg_value *out)
{
    size_t b = 0, e = s->len;
    while (lead && b < e) {
        size_t k = cp_len(s->u.s, e, b);
        if (!in_set(set, s->u.s + b, k))
            break;
        b += k;
    }
    while (trail && e > b) {
        size_t start = fn_utf8_back(s->u.s, e, 1);
        if (start < b || !in_set(set, s->u.s + start, e - start))
            break;
        e = start;
    }
    fn_set_str(out, s->u.s + b, e - b);
}

static const vg_value space = {{.s = " "}, 1, 0};

static const vg_value *trim_set(const vg_value *a, uint32_t n)
{
    return n >= 2 ? &a[1] : &space;
}

static void ev_trim_both(vg_fn_ctx *ctx, const vg_value *a, uint32_t n, vg_value *out)
{
    (void)ctx;
    trim(&a[0], trim_set(a, n), true, true, out);
}

static void ev_trim_leading(vg_fn_ctx *ctx, const vg_value *a, uint32_t n, vg_value *out)
{
    (void)ctx;
    trim(&a[0], trim_set(a, n), true, false, out);
}

static void ev_trim_trailing(vg_fn_ctx *ctx, const vg_value *a, uint32_t n, vg_value *out)
{
    (void)ctx;
    trim(&a[0], trim_set(a, n), false, true, out);
}

static const struct {
    const char *mode;
    vg_fn_eval_fn eval;
} trim_modes[] = {
    {"BOTH", ev_trim_both}, {"LEADING", ev_trim_leading}, {"TRAILING", ev_trim_trailing}};

/* TRIM(s [, chars [, mode]]): the parser's form of TRIM(mode chars FROM s). */
static int ck_trim(vg_fn_bind *b)
{
    if (fn_check_sig(b, "SSS", VG_T_STRING) < 0)
        return -1;
    b->eval = ev_trim_both;
    if (b->nargs < 3)
        return 0;
    const vg_value *m = fn_const_arg(b, 2);
    if (m && m->null)
        return 0;
    for (size_t i = 0; m && i < sizeof trim_modes / sizeof trim_modes[0]; i++) {
        if (strlen(trim_modes[i].mode) == m->len &&
            strncasecmp(trim_modes[i].mode, m->u.s, m->len) == 0) {
            b->eval = trim_modes[i].eval;
            return 0;
        }
    }
    return fn_fail(b, 2, "the mode of TRIM must be a constant 'BOTH', 'LEADING' or 'TRAILING'");
}

/* ---- pieces ---- */

/* Flink's SUBSTRING: a start of 0 counts as 1, a negative start counts from
 * the end, a negative length gives NULL. */
static void ev_substring(vg_fn_ctx *ctx, const vg_value *a, uint32_t n, vg_value *out)
{
    (void)ctx;
    const char *s = a[0].u.s;
    size_t len = a[0].len, b;
    int64_t start = a[1].u.i;
    if (n == 3 && a[2].u.i < 0) {
        *out = vg_null();
        return;
    }
    if (start > 0) {
        b = fn_utf8_skip(s, len, 0, (uint64_t)start - 1);
    } else if (start < 0) {
        uint64_t back = (uint64_t)0 - (uint64_t)start;
        b = back > fn_utf8_count(s, len) ? len : fn_utf8_back(s, len, back);
    } else {
        b = 0;
    }
    size_t e = n == 3 ? fn_utf8_skip(s, len, b, (uint64_t)a[2].u.i) : len;
    fn_set_str(out, s + b, e - b);
}

static void ev_left(vg_fn_ctx *ctx, const vg_value *a, uint32_t n, vg_value *out)
{
    (void)ctx, (void)n;
    int64_t k = a[1].u.i;
    fn_set_str(out, a[0].u.s, k <= 0 ? 0 : fn_utf8_skip(a[0].u.s, a[0].len, 0, (uint64_t)k));
}

static void ev_right(vg_fn_ctx *ctx, const vg_value *a, uint32_t n, vg_value *out)
{
    (void)ctx, (void)n;
    int64_t k = a[1].u.i;
    size_t b = k <= 0 ? a[0].len : fn_utf8_back(a[0].u.s, a[0].len, (uint64_t)k);
    fn_set_str(out, a[0].u.s + b, a[0].len - b);
}

static void ev_char_length(vg_fn_ctx *ctx, const vg_value *a, uint32_t n, vg_value *out)
{
    (void)ctx, (void)n;
    *out = vg_int((int64_t)fn_utf8_count(a[0].u.s, a[0].len));
}

/* POSITION(needle IN haystack): 1-based, in code points; 0 when absent. */
static void ev_position(vg_fn_ctx *ctx, const vg_value *a, uint32_t n, vg_value *out)
{
    (void)ctx, (void)n;
    if (a[0].len == 0) {
        *out = vg_int(1);
        return;
    }
    const char *hit = fn_find(a[1].u.s, a[1].len, a[0].u.s, a[0].len);
    *out = vg_int(hit ? (int64_t)fn_utf8_count(a[1].u.s, (size_t)(hit - a[1].u.s)) + 1 : 0);
}

static bool is_java_space(unsigned char c)
{
    return c == ' ' || (c >= 9 && c <= 13) || (c >= 28 && c <= 31);
}

/* SPLIT_INDEX as Flink does it (Apache Commons' splitByWholeSeparator,
 * keeping empty pieces): an empty string has no pieces, an empty separator
 * splits at each whitespace character. */
static void ev_split_index(vg_fn_ctx *ctx, const vg_value *a, uint32_t n, vg_value *out)
{
    (void)ctx, (void)n;
    const char *s = a[0].u.s, *sep = a[1].u.s;
    size_t len = a[0].len, seplen = a[1].len, b = 0;
    int64_t idx = a[2].u.i;
    *out = vg_null();
    if (idx < 0 || len == 0)
        return;
    for (;;) {
        const char *hit;
        size_t e;
        if (seplen == 0) {
            for (e = b; e < len && !is_java_space((unsigned char)s[e]); e++)
                ;
            hit = e < len ? s + e : NULL;
        } else {
            hit = fn_find(s + b, len - b, sep, seplen);
        }
        e = hit ? (size_t)(hit - s) : len;
        if (idx-- == 0) {
            fn_set_str(out, s + b, e - b);
            return;
        }
        if (!hit)
            return;
        b = e + (seplen ? seplen : 1);
    }
}

/* ---- building ---- */

static void ev_concat(vg_fn_ctx *ctx, const vg_value *a, uint32_t n, vg_value *out)
{
    size_t total = 0;
    for (uint32_t i = 0; i < n; i++)
        total += a[i].len;
    char *p = fn_alloc(ctx, total, out);
    if (!p)
        return;
    char *w = p;
    for (uint32_t i = 0; i < n; i++)
        w = fn_put(w, a[i].u.s, a[i].len);
    fn_set_str(out, p, total);
}

/* CONCAT_WS(sep, s, ...): NULL when sep is NULL; NULL strings are skipped. */
static void ev_concat_ws(vg_fn_ctx *ctx, const vg_value *a, uint32_t n, vg_value *out)
{
    *out = vg_null();
    if (a[0].null)
        return;
    size_t total = 0, pieces = 0;
    for (uint32_t i = 1; i < n; i++)
        if (!a[i].null)
            total += a[i].len, pieces++;
    if (pieces > 1)
        total += (pieces - 1) * a[0].len;
    char *p = fn_alloc(ctx, total, out), *w = p;
    if (!p)
        return;
    bool first = true;
    for (uint32_t i = 1; i < n; i++) {
        if (a[i].null)
            continue;
        if (!first)
            w = fn_put(w, a[0].u.s, a[0].len);
        w = fn_put(w, a[i].u.s, a[i].len);
        first = false;
    }
    fn_set_str(out, p, total);
}

static void ev_repeat(vg_fn_ctx *ctx, const vg_value *a, uint32_t n, vg_value *out)
{
    (void)n;
    int64_t k = a[1].u.i;
    size_t len = a[0].len;
    *out = vg_str("", 0);
    if (k <= 0 || len == 0)
        return;
    if ((uint64_t)k > FN_MAX_RESULT / len) {
        *out = vg_null();
        return;
    }
    char *p = fn_alloc(ctx, len * (size_t)k, out);
    if (!p)
        return;
    for (int64_t i = 0; i < k; i++)
        memcpy(p + (size_t)i * len, a[0].u.s, len);
    fn_set_str(out, p, len * (size_t)k);
}

/* REPLACE(s, from, to) as Java's String.replace: every non-overlapping
 * occurrence, left to right; an empty from inserts to between characters. */
static void ev_replace(vg_fn_ctx *ctx, const vg_value *a, uint32_t n, vg_value *out)
{
    (void)n;
    const char *s = a[0].u.s, *from = a[1].u.s;
    size_t len = a[0].len, flen = a[1].len, tlen = a[2].len, hits = 0;
    if (flen == 0) {
        hits = fn_utf8_count(s, len) + 1;
    } else {
        for (const char *p = s; (p = fn_find(p, len - (size_t)(p - s), from, flen)); p += flen)
            hits++;
    }
    size_t grown, total = 0, i = 0;
    if (__builtin_mul_overflow(hits, tlen, &grown) ||
        __builtin_add_overflow(len - hits * flen, grown, &total))
        total = SIZE_MAX; /* too big: NULL */
    char *o = fn_alloc(ctx, total, out), *w = o;
    if (!o)
        return;
    while (hits-- > 0) {
        size_t k = flen ? (size_t)(fn_find(s + i, len - i, from, flen) - (s + i)) : 0;
        w = fn_put(w, s + i, k);
        w = fn_put(w, a[2].u.s, tlen);
        i += k + flen;
        if (!flen && i < len) {
            size_t c = cp_len(s, len, i);
            w = fn_put(w, s + i, c);
            i += c;
        }
    }
    fn_put(w, s + i, len - i);
    fn_set_str(out, o, total);
}

/* Bytes of k code points of pad repeated (pad is not empty). */
static size_t pad_bytes(const vg_value *pad, uint64_t k, uint64_t padcps)
{
    uint64_t full = k / padcps, rest = k % padcps;
    return (size_t)full * pad->len + fn_utf8_skip(pad->u.s, pad->len, 0, rest);
}

static char *put_pad(char *w, const vg_value *pad, size_t bytes)
{
    while (bytes >= pad->len) {
        w = fn_put(w, pad->u.s, pad->len);
        bytes -= pad->len;
    }
    return fn_put(w, pad->u.s, bytes);
}

/* LPAD/RPAD as Flink: a negative length or an empty pad gives NULL; a
 * string longer than the length is cut to it. */
static void pad(vg_fn_ctx *ctx, const vg_value *a, vg_value *out, bool left)
{
    int64_t want = a[1].u.i;
    *out = vg_null();
    if (want < 0 || a[2].len == 0)
        return;
    size_t have = fn_utf8_count(a[0].u.s, a[0].len);
    if ((uint64_t)want <= have) {
        fn_set_str(out, a[0].u.s, fn_utf8_skip(a[0].u.s, a[0].len, 0, (uint64_t)want));
        return;
    }
    uint64_t padcps = fn_utf8_count(a[2].u.s, a[2].len);
    if ((uint64_t)want - have > FN_MAX_RESULT)
        return;
    size_t pb = pad_bytes(&a[2], (uint64_t)want - have, padcps);
    char *o = fn_alloc(ctx, pb + a[0].len, out), *w = o;
    if (!o)
        return;
    if (left)
        w = put_pad(w, &a[2], pb);
    fn_put(w, a[0].u.s, a[0].len);
    if (!left)
        put_pad(w + a[0].len, &a[2], pb);
    fn_set_str(out, o, pb + a[0].len);
}

static void ev_lpad(vg_fn_ctx *ctx, const vg_value *a, uint32_t n, vg_value *out)
{
    (void)n;
    pad(ctx, a, out, true);
}

static void ev_rpad(vg_fn_ctx *ctx, const vg_value *a, uint32_t n, vg_value *out)
{
    (void)n;
    pad(ctx, a, out, false);
}

static void ev_reverse(vg_fn_ctx *ctx, const vg_value *a, uint32_t n, vg_value *out)
{
    (void)n;
    size_t len = a[0].len;
    char *o = fn_alloc(ctx, len, out);
    if (!o)
        return;
    for (size_t i = 0; i < len;) {
        size_t k = cp_len(a[0].u.s, len, i);
        memcpy(o + len - i - k, a[0].u.s + i, k);
        i += k;
    }
    fn_set_str(out, o, len);
}

FN_SIG_CHECK(ck_s_s, "S", VG_T_STRING)
FN_SIG_CHECK(ck_s_int, "S", VG_T_INT)
FN_SIG_CHECK(ck_ss_int, "S", VG_T_INT)
FN_SIG_CHECK(ck_si_s, "SI", VG_T_STRING)
FN_SIG_CHECK(ck_sis_s, "SIS", VG_T_STRING)
FN_SIG_CHECK(ck_ssi_s, "SSI", VG_T_STRING)
FN_SIG_CHECK(ck_sii_s, "SII", VG_T_STRING)

#define S VG_FN_STRICT
/* clang-format off */
const vg_func vg_fn_string_table[] = {
    {"CHARACTER_LENGTH", 1, 1, S, ck_s_int, NULL, NULL, ev_char_length, "string",
     "CHARACTER_LENGTH(s)", "Same as CHAR_LENGTH.",
     "CHARACTER_LENGTH('naïve')", "5"},
    {"CHAR_LENGTH", 1, 1, S, ck_s_int, NULL, NULL, ev_char_length, "string",
     "CHAR_LENGTH(s)",
     "Number of characters (Unicode code points, not bytes) in s, as an INT. NULL if s is NULL.",
     "CHAR_LENGTH('naïve')", "5"},
    {"CONCAT", 1, 255, S, ck_s_s, NULL, NULL, ev_concat, "string",
     "CONCAT(s1, s2, ...)",
     "The strings joined together. NULL if any argument is NULL (CONCAT_WS skips NULLs).",
     "CONCAT('card', '-', '42')", "'card-42'"},
    {"CONCAT_WS", 1, 255, 0, ck_s_s, NULL, NULL, ev_concat_ws, "string",
     "CONCAT_WS(sep, s1, s2, ...)",
     "The strings s1, s2, ... joined with sep between them; NULL strings are skipped, empty "
     "ones kept. NULL if sep is NULL.",
     "CONCAT_WS('~', 'AA', NULL, 'BB', '', 'CC')", "'AA~BB~~CC'"},
    {"INITCAP", 1, 1, S, ck_s_s, NULL, NULL, ev_initcap, "string",
     "INITCAP(s)",
     "s with the first letter of each word in upper case and the other letters in lower case; "
     "a word is a run of ASCII letters and digits. Other characters are unchanged. NULL if s "
     "is NULL.",
     "INITCAP('hello wORLD-wide')", "'Hello World-Wide'"},
    {"LEFT", 2, 2, S, ck_si_s, NULL, NULL, ev_left, "string",
     "LEFT(s, n)",
     "The first n characters of s (all of s when it is shorter; empty when n <= 0). NULL if an "
     "argument is NULL.",
     "LEFT('4111222233334444', 6)", "'411122'"},
    {"LOWER", 1, 1, S, ck_s_s, NULL, NULL, ev_lower, "string",
     "LOWER(s)",
     "s in lower case. Only the ASCII letters A-Z are changed (Flink also maps other Unicode "
     "letters). NULL if s is NULL.",
     "LOWER('Hello ÀB')", "'hello Àb'"},
    {"LPAD", 3, 3, S, ck_sis_s, NULL, NULL, ev_lpad, "string",
     "LPAD(s, n, pad)",
     "s padded on the left with repeats of pad to n characters; s is cut to its first n "
     "characters when it is longer. NULL if n is negative, pad is empty, or an argument is NULL.",
     "LPAD('42', 5, '0')", "'00042'"},
    {"LTRIM", 1, 2, S, ck_s_s, NULL, NULL, ev_trim_leading, "string",
     "LTRIM(s [, chars])",
     "s without the leading characters that occur in chars (default: the space). NULL if an "
     "argument is NULL.",
     "LTRIM('  x  ')", "'x  '"},
    {"POSITION", 2, 2, S, ck_ss_int, NULL, NULL, ev_position, "string",
     "POSITION(needle IN s)",
     "Position (1-based, in characters) of the first occurrence of needle in s; 0 when there "
     "is none, 1 when needle is empty. NULL if an argument is NULL.",
     "POSITION('€' IN 'a€b€')", "2"},
    {"REPEAT", 2, 2, S, ck_si_s, NULL, NULL, ev_repeat, "string",
     "REPEAT(s, n)",
     "s repeated n times; empty when n <= 0. NULL if an argument is NULL.",
     "REPEAT('ab', 3)", "'ababab'"},
    {"REPLACE", 3, 3, S, ck_s_s, NULL, NULL, ev_replace, "string",
     "REPLACE(s, from, to)",
     "s with every occurrence of from (left to right, not overlapping) replaced by to; an empty "
     "from inserts to between all characters, as Java does. NULL if an argument is NULL.",
     "REPLACE('ababab', 'abab', 'z')", "'zab'"},
    {"REVERSE", 1, 1, S, ck_s_s, NULL, NULL, ev_reverse, "string",
     "REVERSE(s)", "s with its characters in reverse order. NULL if s is NULL.",
     "REVERSE('añb')", "'bña'"},
    {"RIGHT", 2, 2, S, ck_si_s, NULL, NULL, ev_right, "string",
     "RIGHT(s, n)",
     "The last n characters of s (all of s when it is shorter; empty when n <= 0). NULL if an "
     "argument is NULL.",
     "RIGHT('4111222233334444', 4)", "'4444'"},
    {"RPAD", 3, 3, S, ck_sis_s, NULL, NULL, ev_rpad, "string",
     "RPAD(s, n, pad)",
     "s padded on the right with repeats of pad to n characters; s is cut to its first n "
     "characters when it is longer. NULL if n is negative, pad is empty, or an argument is NULL.",
     "RPAD('ab', 5, 'xy')", "'abxyx'"},
    {"RTRIM", 1, 2, S, ck_s_s, NULL, NULL, ev_trim_trailing, "string",
     "RTRIM(s [, chars])",
     "s without the trailing characters that occur in chars (default: the space). NULL if an "
     "argument is NULL.",
     "RTRIM('x..;', ';.')", "'x'"},
    {"SPLIT_INDEX", 3, 3, S, ck_ssi_s, NULL, NULL, ev_split_index, "string",
     "SPLIT_INDEX(s, sep, i)",
     "Piece i (0-based) of s split at every occurrence of sep; empty pieces count. NULL when i "
     "is negative or past the last piece, when s is empty, or if an argument is NULL. An empty "
     "sep splits at whitespace, as in Flink.",
     "SPLIT_INDEX('Jack,John,Mary', ',', 2)", "'Mary'"},
    {"SUBSTR", 2, 3, S, ck_sii_s, NULL, NULL, ev_substring, "string",
     "SUBSTR(s, start [, length])", "Same as SUBSTRING.",
     "SUBSTR('hello', -3)", "'llo'"},
    {"SUBSTRING", 2, 3, S, ck_sii_s, NULL, NULL, ev_substring, "string",
     "SUBSTRING(s FROM start [FOR length])",
     "The characters of s from position start (1-based) on, at most length of them (default: "
     "to the end). As in Flink, a start of 0 counts as 1 and a negative start counts from the "
     "end. NULL if length is negative or an argument is NULL.",
     "SUBSTRING('hello' FROM 2 FOR 3)", "'ell'"},
    {"TRIM", 1, 3, S, ck_trim, NULL, NULL, ev_trim_both, "string",
     "TRIM([BOTH | LEADING | TRAILING] [chars] FROM s)",
     "s without the leading and/or trailing characters that occur in chars (default: the "
     "space; default side: BOTH). TRIM(s) trims spaces from both ends. NULL if s or chars is "
     "NULL.",
     "TRIM(LEADING 'x' FROM 'xxhixx')", "'hixx'"},
    {"UPPER", 1, 1, S, ck_s_s, NULL, NULL, ev_upper, "string",
     "UPPER(s)",
     "s in upper case. Only the ASCII letters a-z are changed (Flink also maps other Unicode "
     "letters). NULL if s is NULL.",
     "UPPER('déjà vu')", "'DéJà VU'"},
};
/* clang-format on */
const size_t vg_fn_string_count = sizeof vg_fn_string_table / sizeof vg_fn_string_table[0];
