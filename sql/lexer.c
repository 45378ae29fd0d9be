/*
 * lexer.c — SQL tokens from source text.
 *
 * A hand-written scanner over the bytes of a vg_source. Each vg_lexer_next
 * call skips blanks and comments, then dispatches on the first byte of the
 * token. Positions are byte offsets; the lexer never tracks lines (errors
 * compute them from the offset). Text is validated here, once, so that
 * vg_token_decode cannot fail except for memory.
 *
 * Outside string literals the source must be valid UTF-8; inside string
 * literals bytes pass through untouched.
 */
#include "sql/lexer.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- tables ---- */

typedef struct keyword {
    const char *text; /* upper case */
    uint32_t len;     /* strlen(text) */
    bool reserved;    /* cannot be a bare name */
} keyword;

static const keyword keywords[] = {
#define KW_ENTRY_(name, res) {#name, sizeof #name - 1, res},
    VG_KEYWORDS(KW_ENTRY_)
#undef KW_ENTRY_
};

#define NKEYWORDS (sizeof keywords / sizeof keywords[0])

typedef struct punct {
    const char *text;   /* the operator as written */
    vg_token_kind kind; /* its token */
} punct;

/* Two-character operators first: the first match wins. */
static const punct puncts[] = {
    {"<>", VG_TOK_NE},     {"!=", VG_TOK_NE},     {"<=", VG_TOK_LE},    {">=", VG_TOK_GE},
    {"||", VG_TOK_CONCAT}, {"+", VG_TOK_PLUS},    {"-", VG_TOK_MINUS},  {"*", VG_TOK_STAR},
    {"/", VG_TOK_SLASH},   {"%", VG_TOK_PERCENT}, {"=", VG_TOK_EQ},     {"<", VG_TOK_LT},
    {">", VG_TOK_GT},      {"(", VG_TOK_LPAREN},  {")", VG_TOK_RPAREN}, {",", VG_TOK_COMMA},
    {".", VG_TOK_DOT},     {";", VG_TOK_SEMI},    {"[", VG_TOK_LBRACKET}, {"]", VG_TOK_RBRACKET},
};

/* Row pattern mode: tried before the table above. "{-" and "-}" are one
 * token each, as in the SQL standard, so "{--}" is not a comment there. */
static const punct pattern_puncts[] = {
    {"{-", VG_TOK_LEXCL}, {"-}", VG_TOK_REXCL},  {"{", VG_TOK_LBRACE}, {"}", VG_TOK_RBRACE},
    {"|", VG_TOK_BAR},    {"?", VG_TOK_QUESTION}, {"^", VG_TOK_CARET},  {"$", VG_TOK_DOLLAR},
};

/* Names of the non-keyword kinds, indexed by kind. */
static const char *const kind_names[VG_TOK_KW_FIRST_] = {
    [VG_TOK_EOF] = "end of input", [VG_TOK_ERROR] = "invalid token",
    [VG_TOK_IDENT] = "identifier", [VG_TOK_INTEGER] = "integer",
    [VG_TOK_DECIMAL] = "decimal",  [VG_TOK_STRING] = "string",
    [VG_TOK_PLUS] = "'+'",         [VG_TOK_MINUS] = "'-'",
    [VG_TOK_STAR] = "'*'",         [VG_TOK_SLASH] = "'/'",
    [VG_TOK_PERCENT] = "'%'",      [VG_TOK_CONCAT] = "'||'",
    [VG_TOK_EQ] = "'='",           [VG_TOK_NE] = "'<>'",
    [VG_TOK_LT] = "'<'",           [VG_TOK_LE] = "'<='",
    [VG_TOK_GT] = "'>'",           [VG_TOK_GE] = "'>='",
    [VG_TOK_LPAREN] = "'('",       [VG_TOK_RPAREN] = "')'",
    [VG_TOK_COMMA] = "','",        [VG_TOK_DOT] = "'.'",
    [VG_TOK_SEMI] = "';'",         [VG_TOK_BAR] = "'|'",
    [VG_TOK_LBRACKET] = "'['",     [VG_TOK_RBRACKET] = "']'",
    [VG_TOK_QUESTION] = "'?'",     [VG_TOK_LBRACE] = "'{'",
    [VG_TOK_RBRACE] = "'}'",       [VG_TOK_LEXCL] = "'{-'",
    [VG_TOK_REXCL] = "'-}'",       [VG_TOK_CARET] = "'^'",
    [VG_TOK_DOLLAR] = "'$'",
};

const char *vg_token_kind_name(vg_token_kind kind)
{
    if (kind > VG_TOK_KW_FIRST_ && kind < VG_TOK_NKINDS)
        return keywords[kind - VG_TOK_KW_FIRST_ - 1].text;
    if (kind < VG_TOK_KW_FIRST_ && kind_names[kind])
        return kind_names[kind];
    return "?";
}

bool vg_token_is_keyword(vg_token_kind kind)
{
    return kind > VG_TOK_KW_FIRST_ && kind < VG_TOK_NKINDS;
}

bool vg_token_is_reserved(vg_token_kind kind)
{
    return vg_token_is_keyword(kind) && keywords[kind - VG_TOK_KW_FIRST_ - 1].reserved;
}

/* ---- character classes ---- */

static bool is_digit(int c) { return c >= '0' && c <= '9'; }
static bool is_alpha(int c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
static bool is_ident(int c) { return is_alpha(c) || is_digit(c) || c == '$'; }
static bool is_space(int c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

static int hex_value(int c)
{
    if (is_digit(c))
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Length of the valid UTF-8 sequence at s (at most n bytes available), or 0
 * when it is invalid (bad lead or continuation byte, overlong form,
 * surrogate, beyond U+10FFFF, truncated). */
static uint32_t utf8_len(const unsigned char *s, uint32_t n)
{
    unsigned c = s[0];
    uint32_t len, cp;
    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF) {
        len = 2;
        cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
        len = 3;
        cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4;
        cp = c & 0x07;
    } else {
        return 0;
    }
    if (n < len)
        return 0;
    for (uint32_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        cp = cp << 6 | (s[i] & 0x3F);
    }
    if (len == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF)))
        return 0;
    if (len == 4 && (cp < 0x10000 || cp > 0x10FFFF))
        return 0;
    return len;
}

/* Bytes needed to encode code point cp in UTF-8. */
static uint32_t utf8_width(uint32_t cp)
{
    return cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
}

static char *utf8_put(char *d, uint32_t cp)
{
    uint32_t w = utf8_width(cp);
    if (w == 1) {
        *d++ = (char)cp;
        return d;
    }
    static const unsigned char lead[5] = {0, 0, 0xC0, 0xE0, 0xF0};
    for (uint32_t i = w - 1; i > 0; i--) {
        d[i] = (char)(0x80 | (cp & 0x3F));
        cp >>= 6;
    }
    d[0] = (char)(lead[w] | cp);
    return d + w;
}

/* ---- errors ---- */

static const unsigned char *bytes(const vg_lexer *lx)
{
    return (const unsigned char *)lx->src->text;
}

static int fail(vg_lexer *lx, vg_error *err, uint32_t off, uint32_t len, const char *msg)
{
    vg_span sp = {off, len};
    return vg_error_at(err, VG_ERR_SYNTAX, lx->src, sp, "%s", msg);
}

/* "unexpected character 'X'" or "invalid UTF-8 byte '\xNN'" for the byte at off. */
static int fail_char(vg_lexer *lx, vg_error *err, uint32_t off)
{
    const unsigned char *s = bytes(lx) + off;
    uint32_t n = utf8_len(s, lx->src->len - off);
    vg_span sp = {off, n ? n : 1};
    if (n == 0)
        return vg_error_at(err, VG_ERR_SYNTAX, lx->src, sp, "invalid UTF-8 byte '\\x%02X'", s[0]);
    if (n == 1 && (s[0] < 0x20 || s[0] == 0x7F))
        return vg_error_at(err, VG_ERR_SYNTAX, lx->src, sp, "unexpected character '\\x%02X'", s[0]);
    return vg_error_at(err, VG_ERR_SYNTAX, lx->src, sp, "unexpected character '%.*s'", (int)n,
                       (const char *)s);
}

/* Check that [from, to) is valid UTF-8 (comments). */
static int check_utf8(vg_lexer *lx, vg_error *err, uint32_t from, uint32_t to)
{
    const unsigned char *s = bytes(lx);
    for (uint32_t i = from; i < to;) {
        uint32_t n = utf8_len(s + i, to - i);
        if (n == 0)
            return fail_char(lx, err, i);
        i += n;
    }
    return 0;
}

/* ---- blanks and comments ---- */

static int skip_blanks(vg_lexer *lx, vg_error *err)
{
    const unsigned char *s = bytes(lx);
    uint32_t n = lx->src->len;
    for (;;) {
        uint32_t i = lx->pos;
        while (i < n && is_space(s[i]))
            i++;
        if (i + 1 < n && s[i] == '-' && s[i + 1] == '-') {
            uint32_t end = i + 2;
            while (end < n && s[end] != '\n')
                end++;
            if (check_utf8(lx, err, i + 2, end) < 0)
                return -1;
            lx->pos = end;
        } else if (i + 1 < n && s[i] == '/' && s[i + 1] == '*') {
            uint32_t end = i + 2;
            while (end + 1 < n && !(s[end] == '*' && s[end + 1] == '/'))
                end++;
            if (end + 1 >= n)
                return fail(lx, err, i, 2, "unterminated comment");
            if (check_utf8(lx, err, i + 2, end) < 0)
                return -1;
            lx->pos = end + 2;
        } else {
            lx->pos = i;
            return 0;
        }
    }
}

/* ---- tokens ---- */

static vg_token_kind keyword_kind(const char *s, uint32_t len)
{
    for (uint32_t i = 0; i < NKEYWORDS; i++)
        if (keywords[i].len == len && strncasecmp(keywords[i].text, s, len) == 0)
            return (vg_token_kind)(VG_TOK_KW_FIRST_ + 1 + i);
    return VG_TOK_IDENT;
}

static int lex_word(vg_lexer *lx, vg_token *tok)
{
    const unsigned char *s = bytes(lx);
    uint32_t i = lx->pos;
    while (i < lx->src->len && is_ident(s[i]) && !(lx->pattern && s[i] == '$'))
        i++;
    tok->span.len = i - lx->pos;
    tok->len = tok->span.len;
    tok->kind = keyword_kind(lx->src->text + lx->pos, tok->span.len);
    lx->pos = i;
    return 0;
}

/* A quoted name: `...` or "..."; the quote doubled stands for itself. */
static int lex_quoted_ident(vg_lexer *lx, vg_token *tok, vg_error *err)
{
    const unsigned char *s = bytes(lx);
    uint32_t n = lx->src->len, start = lx->pos, i = start + 1, len = 0;
    unsigned char q = s[start];
    for (;;) {
        if (i >= n)
            return fail(lx, err, start, 1, "unterminated quoted identifier");
        if (s[i] == q) {
            if (i + 1 < n && s[i + 1] == q) {
                len++;
                i += 2;
                continue;
            }
            break;
        }
        uint32_t w = s[i] ? utf8_len(s + i, n - i) : 0;
        if (w == 0)
            return fail_char(lx, err, i);
        len += w;
        i += w;
    }
    i++; /* closing quote */
    if (len == 0)
        return fail(lx, err, start, i - start, "empty quoted identifier");
    tok->kind = VG_TOK_IDENT;
    tok->quoted = true;
    tok->len = len;
    tok->span.len = i - start;
    lx->pos = i;
    return 0;
}

/* Decode one Unicode escape at s[i] == '\\' of a U&'' literal: \\, \XXXX or
 * \+XXXXXX. Returns bytes consumed (0 when invalid) and the code point. */
static uint32_t unicode_escape(const unsigned char *s, uint32_t i, uint32_t n, uint32_t *cp)
{
    if (i + 1 < n && s[i + 1] == '\\') {
        *cp = '\\';
        return 2;
    }
    uint32_t first = i + 1, digits = 4;
    if (first < n && s[first] == '+') {
        first++;
        digits = 6;
    }
    uint32_t v = 0;
    for (uint32_t k = 0; k < digits; k++) {
        int h = first + k < n ? hex_value(s[first + k]) : -1;
        if (h < 0)
            return 0;
        v = v * 16 + (uint32_t)h;
    }
    if ((v >= 0xD800 && v <= 0xDFFF) || v > 0x10FFFF)
        return 0;
    *cp = v;
    return first + digits - i;
}

/* 'text' (prefix 1 byte) or U&'text' (prefix 3 bytes). */
static int lex_string(vg_lexer *lx, vg_token *tok, vg_error *err, uint32_t prefix)
{
    const unsigned char *s = bytes(lx);
    uint32_t n = lx->src->len, start = lx->pos, i = start + prefix, len = 0;
    bool unicode = prefix == 3;
    for (;;) {
        if (i >= n)
            return fail(lx, err, start, prefix, "unterminated string literal");
        if (s[i] == '\'') {
            if (i + 1 < n && s[i + 1] == '\'') {
                len++;
                i += 2;
                continue;
            }
            break;
        }
        if (unicode && s[i] == '\\') {
            uint32_t cp, used = unicode_escape(s, i, n, &cp);
            if (used == 0)
                return fail(lx, err, i, 1, "invalid unicode escape in string literal");
            len += utf8_width(cp);
            i += used;
            continue;
        }
        len++;
        i++;
    }
    i++;
    tok->kind = VG_TOK_STRING;
    tok->unicode = unicode;
    tok->len = len;
    tok->span.len = i - start;
    lx->pos = i;
    return 0;
}

static uint32_t skip_digits(const unsigned char *s, uint32_t i, uint32_t n)
{
    while (i < n && is_digit(s[i]))
        i++;
    return i;
}

/* digits [. digits] [e [+-] digits], or . digits [...]. */
static int lex_number(vg_lexer *lx, vg_token *tok, vg_error *err)
{
    const unsigned char *s = bytes(lx);
    uint32_t n = lx->src->len, start = lx->pos;
    uint32_t i = skip_digits(s, start, n);
    bool decimal = false;
    if (i < n && s[i] == '.') {
        decimal = true;
        i = skip_digits(s, i + 1, n);
    }
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        uint32_t j = i + 1;
        if (j < n && (s[j] == '+' || s[j] == '-'))
            j++;
        if (j < n && is_digit(s[j])) {
            decimal = true;
            i = skip_digits(s, j, n);
        }
    }
    if (i < n && is_ident(s[i])) {
        while (i < n && is_ident(s[i]))
            i++;
        vg_span sp = {start, i - start};
        return vg_error_at(err, VG_ERR_SYNTAX, lx->src, sp, "invalid numeric literal '%.*s'",
                           (int)(sp.len > 40 ? 40 : sp.len), lx->src->text + start);
    }
    tok->span.len = i - start;
    lx->pos = i;
    if (decimal) {
        /* The scan above matched exactly what strtod reads, so it stops at i. */
        tok->kind = VG_TOK_DECIMAL;
        tok->dval = strtod(lx->src->text + start, NULL);
        if (isinf(tok->dval))
            return fail(lx, err, start, i - start, "decimal literal out of range");
        return 0;
    }
    uint64_t v = 0;
    for (uint32_t k = start; k < i; k++) {
        uint64_t d = (uint64_t)(s[k] - '0');
        if (v > ((uint64_t)1 << 63) / 10 || v * 10 + d > (uint64_t)1 << 63)
            return fail(lx, err, start, i - start, "integer literal out of range");
        v = v * 10 + d;
    }
    tok->kind = VG_TOK_INTEGER;
    tok->uval = v;
    return 0;
}

/* The first entry of table t (n entries) that the text at lx->pos starts
 * with, as tok; false when none does. */
static bool match_punct(vg_lexer *lx, vg_token *tok, const punct *t, size_t n)
{
    const char *s = lx->src->text + lx->pos;
    uint32_t avail = lx->src->len - lx->pos;
    for (size_t k = 0; k < n; k++) {
        uint32_t len = (uint32_t)strlen(t[k].text);
        if (len <= avail && memcmp(s, t[k].text, len) == 0) {
            tok->kind = t[k].kind;
            tok->span.len = len;
            lx->pos += len;
            return true;
        }
    }
    return false;
}

static int lex_punct(vg_lexer *lx, vg_token *tok, vg_error *err)
{
    if (lx->pattern &&
        match_punct(lx, tok, pattern_puncts, sizeof pattern_puncts / sizeof pattern_puncts[0]))
        return 0;
    if (match_punct(lx, tok, puncts, sizeof puncts / sizeof puncts[0]))
        return 0;
    return fail_char(lx, err, lx->pos);
}

void vg_lexer_init(vg_lexer *lx, const vg_source *src)
{
    lx->src = src;
    lx->pos = 0;
    lx->pattern = false;
}

int vg_lexer_next(vg_lexer *lx, vg_token *tok, vg_error *err)
{
    memset(tok, 0, sizeof *tok);
    if (skip_blanks(lx, err) < 0)
        return -1;
    const unsigned char *s = bytes(lx);
    uint32_t n = lx->src->len, i = lx->pos;
    tok->span.off = i;
    if (i >= n) {
        tok->kind = VG_TOK_EOF;
        return 0;
    }
    unsigned char c = s[i];
    if ((c == 'U' || c == 'u') && i + 2 < n && s[i + 1] == '&' && s[i + 2] == '\'')
        return lex_string(lx, tok, err, 3);
    if (is_alpha(c))
        return lex_word(lx, tok);
    if (is_digit(c) || (c == '.' && i + 1 < n && is_digit(s[i + 1])))
        return lex_number(lx, tok, err);
    if (c == '\'')
        return lex_string(lx, tok, err, 1);
    if (c == '`' || c == '"')
        return lex_quoted_ident(lx, tok, err);
    return lex_punct(lx, tok, err);
}

/* ---- decoding ---- */

char *vg_token_decode(const vg_token *tok, const vg_source *src, vg_arena *a)
{
    const unsigned char *s = (const unsigned char *)src->text + tok->span.off;
    uint32_t n = tok->span.len;
    if (tok->kind != VG_TOK_STRING && !tok->quoted)
        return vg_arena_strndup(a, (const char *)s, n);
    char *out = vg_arena_alloc(a, (size_t)tok->len + 1);
    if (!out)
        return NULL;
    uint32_t prefix = tok->unicode ? 3 : 1;
    unsigned char q = s[prefix - 1];
    char *d = out;
    for (uint32_t i = prefix; i + 1 < n;) {
        if (s[i] == q) { /* a doubled quote (the closing one is at n - 1) */
            *d++ = (char)q;
            i += 2;
        } else if (tok->unicode && s[i] == '\\') {
            uint32_t cp;
            i += unicode_escape(s, i, n, &cp);
            d = utf8_put(d, cp);
        } else {
            *d++ = (char)s[i++];
        }
    }
    *d = 0;
    return out;
}
