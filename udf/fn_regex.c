/*
 * fn_regex.c — regular expressions through PCRE2: REGEXP, REGEXP_EXTRACT,
 * REGEXP_REPLACE. The only file of vigil that includes pcre2.h.
 *
 * The pattern of every call must be a constant: prepare compiles it once
 * per plan (UTF-8 mode, JIT-compiled when the platform allows) together
 * with the match data, and release frees both. PCRE2 allocates through a
 * general context that calls vg_malloc, so its memory is counted under
 * VG_MEM_UDF and allocation-failure tests reach it.
 *
 * The match data lives in the call's state and is overwritten by every
 * evaluation: one compiled plan must not be evaluated by two threads at
 * once (each thread plans its own copy).
 *
 * Semantics follow Flink, which uses java.util.regex: REGEXP is a search
 * (any substring may match), REGEXP_EXTRACT returns the first match's
 * group, REGEXP_REPLACE replaces every match with the replacement taken
 * literally (Flink quotes it with Matcher.quoteReplacement, so "$1" is not
 * a group reference). PCRE2's syntax is Perl's, a close cousin of Java's.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <ctype.h>
#include <pcre2.h>

#include "udf/fn_int.h"

/* A call's compiled pattern. */
typedef struct rx_state {
    pcre2_general_context *gctx; /* allocator: vg_malloc */
    pcre2_compile_context *cctx;
    pcre2_code *code;            /* NULL when the pattern is a NULL constant */
    pcre2_match_data *md;        /* ovector room for every group */
    uint32_t ngroups;            /* capturing groups in the pattern */
    bool empty;                  /* the pattern is '' */
} rx_state;

static void *rx_malloc(PCRE2_SIZE n, void *data)
{
    (void)data;
    return vg_malloc(VG_MEM_UDF, n);
}

static void rx_free(void *p, void *data)
{
    (void)data;
    vg_free(p);
}

static void rx_release(void *state)
{
    rx_state *st = state;
    if (!st)
        return;
    pcre2_match_data_free(st->md);
    pcre2_code_free(st->code);
    pcre2_compile_context_free(st->cctx);
    pcre2_general_context_free(st->gctx);
    vg_free(st);
}

static void *rx_nomem(vg_fn_bind *b, rx_state *st)
{
    rx_release(st);
    b->nomem = true;
    fn_fail(b, -1, "out of memory");
    return NULL;
}

/* Compile the constant pattern (argument 1). */
static void *rx_prepare(vg_fn_bind *b)
{
    const vg_value *pat = fn_const_arg(b, 1);
    rx_state *st = vg_calloc(VG_MEM_UDF, 1, sizeof *st);
    if (!st)
        return rx_nomem(b, NULL);
    if (!pat || pat->null)
        return st;
    st->empty = pat->len == 0;
    st->gctx = pcre2_general_context_create(rx_malloc, rx_free, NULL);
    st->cctx = st->gctx ? pcre2_compile_context_create(st->gctx) : NULL;
    if (!st->cctx)
        return rx_nomem(b, st);
    int err;
    PCRE2_SIZE off;
    st->code = pcre2_compile((PCRE2_SPTR)(pat->len ? pat->u.s : ""), pat->len, PCRE2_UTF, &err,
                             &off, st->cctx);
    if (!st->code && err == PCRE2_ERROR_HEAP_FAILED)
        return rx_nomem(b, st);
    if (!st->code) {
        PCRE2_UCHAR text[160];
        if (pcre2_get_error_message(err, text, sizeof text) < 0)
            text[0] = 0;
        text[0] = (PCRE2_UCHAR)tolower(text[0]);
        fn_fail(b, 1, "invalid regular expression: %s at offset %zu", (const char *)text,
                (size_t)off);
        rx_release(st);
        return NULL;
    }
    pcre2_jit_compile(st->code, PCRE2_JIT_COMPLETE); /* without JIT, matching interprets */
    st->md = pcre2_match_data_create_from_pattern(st->code, st->gctx);
    if (!st->md)
        return rx_nomem(b, st);
    pcre2_pattern_info(st->code, PCRE2_INFO_CAPTURECOUNT, &st->ngroups);
    return st;
}

/* REGEXP_EXTRACT's prepare: also a constant group must exist (Flink would
 * give NULL for every row). */
static void *rx_prepare_extract(vg_fn_bind *b)
{
    rx_state *st = rx_prepare(b);
    const vg_value *g = b->nargs == 3 ? b->constv[2] : NULL;
    if (st && st->code && g && !g->null && (g->u.i < 0 || g->u.i > (int64_t)st->ngroups)) {
        fn_fail(b, 2, "function %s: group %lld does not exist, the pattern has %u group%s",
                b->fname, (long long)g->u.i, st->ngroups, st->ngroups == 1 ? "" : "s");
        rx_release(st);
        return NULL;
    }
    return st;
}

/* Search s from byte start. Returns the number of groups set (> 0), 0 when
 * there is no match, -1 when matching failed (a match limit, bad UTF-8),
 * and -2 when it ran out of memory. PCRE2 checks that all of s is UTF-8
 * unless told it was checked before (a later search of the same s). */
static int rx_search(const rx_state *st, const vg_value *s, size_t start, bool checked)
{
    int rc = pcre2_match(st->code, (PCRE2_SPTR)(s->len ? s->u.s : ""), s->len, start,
                         checked ? PCRE2_NO_UTF_CHECK : 0, st->md, NULL);
    if (rc >= 0)
        return rc == 0 ? (int)st->ngroups + 1 : rc;
    return rc == PCRE2_ERROR_NOMATCH ? 0 : rc == PCRE2_ERROR_NOMEMORY ? -2 : -1;
}

static bool rx_failed(vg_fn_ctx *ctx, int rc, vg_value *out)
{
    if (rc >= 0)
        return false;
    if (rc == -2)
        ctx->failed = 1;
    *out = vg_null();
    return true;
}

/* REGEXP(s, pattern): TRUE when some substring of s matches; an empty
 * pattern gives FALSE, as in Flink. */
static void ev_regexp(vg_fn_ctx *ctx, const vg_value *a, uint32_t n, vg_value *out)
{
    (void)n;
    const rx_state *st = ctx->state;
    int rc = st->empty ? 0 : rx_search(st, &a[0], 0, false);
    if (!rx_failed(ctx, rc, out))
        *out = vg_bool(rc > 0);
}

/* REGEXP_EXTRACT(s, pattern [, group]): the group (default 0, the whole
 * match) of the first match; NULL when nothing matches, when the group took
 * no part in the match, or when the group does not exist. */
static void ev_regexp_extract(vg_fn_ctx *ctx, const vg_value *a, uint32_t n, vg_value *out)
{
    const rx_state *st = ctx->state;
    int64_t g = n == 3 ? a[2].u.i : 0;
    int rc = rx_search(st, &a[0], 0, false);
    if (rx_failed(ctx, rc, out))
        return;
    *out = vg_null();
    if (rc == 0 || g < 0 || g > (int64_t)st->ngroups)
        return;
    PCRE2_SIZE *ov = pcre2_get_ovector_pointer(st->md);
    if (g < rc && ov[2 * g] != PCRE2_UNSET)
        fn_set_str(out, a[0].u.s + ov[2 * g], ov[2 * g + 1] - ov[2 * g]);
}

/* REGEXP_REPLACE(s, pattern, replacement): every match, left to right,
 * replaced by the replacement text. After an empty match the search goes
 * on one character later, as Java's Matcher does. */
static void ev_regexp_replace(vg_fn_ctx *ctx, const vg_value *a, uint32_t n, vg_value *out)
{
    (void)n;
    const rx_state *st = ctx->state;
    const char *s = a[0].u.s;
    size_t len = a[0].len, copied = 0, pos = 0;
    fn_buf buf;
    if (!fn_buf_init(&buf, ctx, len + a[2].len + 16))
        return;
    PCRE2_SIZE *ov = pcre2_get_ovector_pointer(st->md);
    while (pos <= len) {
        int rc = rx_search(st, &a[0], pos, pos > 0);
        if (rx_failed(ctx, rc, out))
            return;
        if (rc == 0)
            break;
        size_t b = ov[0], e = ov[1];
        if (!fn_buf_add(&buf, s + copied, b - copied) || !fn_buf_add(&buf, a[2].u.s, a[2].len))
            break;
        copied = e;
        if (e > b)
            pos = e;
        else if (e < len)
            pos = fn_utf8_skip(s, len, e, 1);
        else
            break;
    }
    fn_buf_add(&buf, s + copied, len - copied);
    fn_buf_finish(&buf, out);
}

/* The pattern (argument 1) must be a constant string. */
static int check_pattern(vg_fn_bind *b)
{
    if (b->argt[1] == VG_T_STRING && !fn_const_arg(b, 1))
        return fn_fail(b, 1, "the pattern of %s must be a constant string", b->fname);
    if (fn_arg_string(b, 1) < 0)
        return -1;
    return fn_arg_string(b, 0);
}

static int ck_regexp(vg_fn_bind *b)
{
    b->ret = VG_T_BOOL;
    return check_pattern(b);
}

static int ck_regexp_extract(vg_fn_bind *b)
{
    b->ret = VG_T_STRING;
    if (check_pattern(b) < 0)
        return -1;
    return b->nargs == 3 ? fn_arg_integer(b, 2) : 0;
}

static int ck_regexp_replace(vg_fn_bind *b)
{
    b->ret = VG_T_STRING;
    return check_pattern(b) < 0 ? -1 : fn_arg_string(b, 2);
}

#define S VG_FN_STRICT
/* clang-format off */
const vg_func vg_fn_regex_table[] = {
    {"REGEXP", 2, 2, S, ck_regexp, rx_prepare, rx_release, ev_regexp, "regex",
     "REGEXP(s, pattern)",
     "TRUE when some part of s matches the regular expression pattern (use ^ and $ to match "
     "all of s); FALSE for an empty pattern, as in Flink. NULL if an argument is NULL, or when "
     "matching hits PCRE2's match limit.",
     "REGEXP('card-4111', '\\d{4}$')", "TRUE"},
    {"REGEXP_EXTRACT", 2, 3, S, ck_regexp_extract, rx_prepare_extract, rx_release,
     ev_regexp_extract, "regex",
     "REGEXP_EXTRACT(s, pattern [, group])",
     "The text of group (default 0: the whole match; groups count from 1) in the first match "
     "of pattern in s. NULL when nothing matches, when the group took no part in the match, "
     "or if an argument is NULL. A constant group the pattern does not have is an error when "
     "the query is planned (Flink gives NULL).",
     "REGEXP_EXTRACT('foothebar', 'foo(.*?)(bar)', 2)", "'bar'"},
    {"REGEXP_REPLACE", 3, 3, S, ck_regexp_replace, rx_prepare, rx_release, ev_regexp_replace,
     "regex",
     "REGEXP_REPLACE(s, pattern, replacement)",
     "s with every match of pattern (left to right, not overlapping) replaced by replacement. "
     "As in Flink the replacement is plain text: $1 is not a group reference. An empty match "
     "inserts it between characters. NULL if an argument is NULL.",
     "REGEXP_REPLACE('4111-2222-3333', '[0-9]{4}-', '****-')", "'****-****-3333'"},
};
/* clang-format on */
const size_t vg_fn_regex_count = sizeof vg_fn_regex_table / sizeof vg_fn_regex_table[0];
