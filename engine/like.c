/*
 * like.c — LIKE patterns: validation, compilation into a fast case, and the
 * general matcher.
 *
 * The general matcher is the classic two-pointer wildcard walk: it keeps
 * the position of the last '%' and, on a mismatch, lets that '%' swallow one
 * more character and retries. Its worst case is O(len(s) * len(p)), with no
 * recursion and no allocation.
 */
#include "engine/like.h"

#include <stdio.h>
#include <string.h>

typedef enum like_kind {
    LIKE_EXACT,    /* abc */
    LIKE_PREFIX,   /* abc% */
    LIKE_SUFFIX,   /* %abc */
    LIKE_CONTAINS, /* %abc% */
    LIKE_ANY,      /* % */
    LIKE_GENERAL,  /* anything with '_' or an inner '%' */
} like_kind;

struct vg_like {
    like_kind kind;
    const char *lit; /* the unescaped literal of the fast kinds */
    uint32_t litn;
    const char *pat; /* LIKE_GENERAL: the pattern as written */
    uint32_t patn;
    int esc; /* its escape byte, or VG_LIKE_NO_ESCAPE */
};

/* Bytes in the UTF-8 sequence starting at s[i] (1 for a stray byte), at most n - i. */
static uint32_t char_len(const char *s, uint32_t i, uint32_t n)
{
    unsigned char c = (unsigned char)s[i];
    uint32_t len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 1;
    return len < n - i ? len : n - i;
}

int vg_like_check(const char *p, uint32_t n, int esc, char *msg, size_t msgn)
{
    if (esc == VG_LIKE_NO_ESCAPE)
        return 0;
    for (uint32_t i = 0; i < n; i++) {
        if ((unsigned char)p[i] != esc)
            continue;
        if (i + 1 == n || (p[i + 1] != '%' && p[i + 1] != '_' && (unsigned char)p[i + 1] != esc)) {
            snprintf(msg, msgn, "invalid escape sequence in LIKE pattern '%.*s' at position %u",
                     (int)(n > 100 ? 100 : n), p, i + 1);
            return -1;
        }
        i++;
    }
    return 0;
}

/* Match s[0..n) against a checked pattern. */
static bool match_general(const char *s, uint32_t n, const char *p, uint32_t pn, int esc)
{
    uint32_t si = 0, pi = 0, star_si = 0;
    int64_t star_pi = -1;
    for (;;) {
        if (pi < pn) {
            char c = p[pi];
            bool escaped = esc != VG_LIKE_NO_ESCAPE && (unsigned char)c == esc;
            if (!escaped && c == '%') {
                while (pi < pn && p[pi] == '%')
                    pi++;
                star_pi = pi;
                star_si = si;
                continue;
            }
            if (si < n) {
                if (!escaped && c == '_') {
                    si += char_len(s, si, n);
                    pi++;
                    continue;
                }
                char lc = escaped ? p[pi + 1] : c;
                if (s[si] == lc) {
                    si++;
                    pi += escaped ? 2 : 1;
                    continue;
                }
            }
        } else if (si == n) {
            return true;
        }
        /* Mismatch: let the last '%' take one more character, or fail. */
        if (star_pi < 0 || star_si >= n)
            return false;
        star_si += char_len(s, star_si, n);
        si = star_si;
        pi = (uint32_t)star_pi;
    }
}

int vg_like_match_text(const char *s, uint32_t n, const char *p, uint32_t pn, int esc)
{
    char msg[8];
    if (vg_like_check(p, pn, esc, msg, sizeof msg) < 0)
        return -1;
    return match_general(s, n, p, pn, esc);
}

/* Sort a checked pattern into a fast kind; its literal goes to buf (n bytes). */
static like_kind classify(const char *p, uint32_t n, int esc, char *buf, uint32_t *litn)
{
    bool lead = false, trail = false, seen_lit = false;
    uint32_t k = 0;
    for (uint32_t i = 0; i < n; i++) {
        bool escaped = esc != VG_LIKE_NO_ESCAPE && (unsigned char)p[i] == esc;
        if (!escaped && p[i] == '_')
            return LIKE_GENERAL;
        if (!escaped && p[i] == '%') {
            if (!seen_lit)
                lead = true;
            else
                trail = true;
            continue;
        }
        if (trail) /* a literal after an inner '%' */
            return LIKE_GENERAL;
        seen_lit = true;
        buf[k++] = escaped ? p[++i] : p[i];
    }
    *litn = k;
    if (!seen_lit)
        return lead ? LIKE_ANY : LIKE_EXACT;
    return lead && trail ? LIKE_CONTAINS : lead ? LIKE_SUFFIX : trail ? LIKE_PREFIX : LIKE_EXACT;
}

vg_like *vg_like_compile(const char *p, uint32_t n, int esc, vg_arena *a, char *msg, size_t msgn)
{
    if (msgn)
        msg[0] = 0;
    if (vg_like_check(p, n, esc, msg, msgn) < 0)
        return NULL;
    vg_like *l = vg_arena_calloc(a, sizeof *l);
    char *buf = vg_arena_alloc(a, n + 1);
    char *pat = vg_arena_strndup(a, p, n);
    if (!l || !buf || !pat)
        return NULL;
    l->kind = classify(p, n, esc, buf, &l->litn);
    l->lit = buf;
    l->pat = pat;
    l->patn = n;
    l->esc = esc;
    return l;
}

bool vg_like_match(const vg_like *l, const char *s, uint32_t n)
{
    switch (l->kind) {
    case LIKE_EXACT:
        return n == l->litn && (n == 0 || memcmp(s, l->lit, n) == 0);
    case LIKE_PREFIX:
        return n >= l->litn && memcmp(s, l->lit, l->litn) == 0;
    case LIKE_SUFFIX:
        return n >= l->litn && memcmp(s + n - l->litn, l->lit, l->litn) == 0;
    case LIKE_CONTAINS:
        return n >= l->litn && memmem(s, n, l->lit, l->litn) != NULL;
    case LIKE_ANY:
        return true;
    default:
        return match_general(s, n, l->pat, l->patn, l->esc);
    }
}
