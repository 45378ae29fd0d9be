/*
 * json_lex.c — the JSON module's lexical pieces that are not on the
 * per-byte hot path: UTF-8 validation, \u escapes, and numbers (scanning
 * the token, and converting it exactly to an integer or to a double).
 *
 * Numbers: a DOUBLE whose digits fit in 2^53, with at most 22 fraction
 * digits and no exponent, is one exact IEEE division (Clinger's fast path,
 * which gives strtod's answer bit for bit); anything else goes through
 * strtod on a NUL-terminated copy of the token (the C locale is assumed).
 * An integer column takes a number only if it is integral, decided on the
 * decimal digits themselves ("1.0", "12.50e1", "9007199254740993.0" are
 * exact integers; no detour through double).
 */
#include <float.h>
#include <stdlib.h>
#include <string.h>

#include "engine/json_in.h"
#include "engine/json_int.h"

#ifdef __SSE2__
#include <emmintrin.h>
#endif

/* ---- UTF-8 ---- */

int vg_utf8_seq_len(const unsigned char *p, size_t n)
{
    unsigned c = p[0], lo = 0x80, hi = 0xBF;
    int len;
    if (c < 0x80)
        return 1;
    if (c < 0xC2)
        return 0;
    if (c < 0xE0) {
        len = 2;
    } else if (c < 0xF0) {
        len = 3;
        lo = c == 0xE0 ? 0xA0 : lo; /* overlong */
        hi = c == 0xED ? 0x9F : hi; /* surrogates */
    } else if (c < 0xF5) {
        len = 4;
        lo = c == 0xF0 ? 0x90 : lo; /* overlong */
        hi = c == 0xF4 ? 0x8F : hi; /* above U+10FFFF */
    } else {
        return 0;
    }
    if (n < (size_t)len || p[1] < lo || p[1] > hi)
        return 0;
    for (int i = 2; i < len; i++)
        if ((p[i] & 0xC0) != 0x80)
            return 0;
    return len;
}

/* Offset of the first byte >= 0x80 in s[i..n), or n. */
static size_t skip_ascii(const char *s, size_t i, size_t n)
{
#ifdef __SSE2__
    for (; n - i >= 16; i += 16) {
        int bits = _mm_movemask_epi8(_mm_loadu_si128((const __m128i *)(s + i)));
        if (bits)
            return i + (size_t)__builtin_ctz((unsigned)bits);
    }
#else
    for (; n - i >= 8; i += 8) {
        uint64_t w;
        memcpy(&w, s + i, 8);
        if (w & 0x8080808080808080ULL)
            break;
    }
#endif
    while (i < n && (unsigned char)s[i] < 0x80)
        i++;
    return i;
}

size_t vg_utf8_check(const char *s, size_t n)
{
    size_t i = skip_ascii(s, 0, n);
    while (i < n) {
        int k = vg_utf8_seq_len((const unsigned char *)s + i, n - i);
        if (k == 0)
            return i;
        i = skip_ascii(s, i + (size_t)k, n);
    }
    return n;
}

/* ---- escapes ---- */

static int hex4(const char *p)
{
    int v = 0;
    for (int i = 0; i < 4; i++) {
        char c = p[i];
        int h = c >= '0' && c <= '9'   ? c - '0'
                : c >= 'a' && c <= 'f' ? c - 'a' + 10
                : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                       : -1;
        if (h < 0)
            return -1;
        v = v * 16 + h;
    }
    return v;
}

/* Read the \uXXXX escape (or surrogate pair) at p; bytes consumed (6 or
 * 12), or 0 when it is invalid. */
int vg_json_u_escape(const char *p, const char *end, uint32_t *cp)
{
    int hi = end - p >= 6 ? hex4(p + 2) : -1;
    if (hi < 0 || (hi >= 0xDC00 && hi <= 0xDFFF))
        return 0;
    if (hi < 0xD800 || hi > 0xDBFF) {
        *cp = (uint32_t)hi;
        return 6;
    }
    if (end - p < 12 || p[6] != '\\' || p[7] != 'u')
        return 0;
    int lo = hex4(p + 8);
    if (lo < 0xDC00 || lo > 0xDFFF)
        return 0;
    *cp = 0x10000 + (((uint32_t)hi - 0xD800) << 10) + ((uint32_t)lo - 0xDC00);
    return 12;
}

char *vg_json_put_utf8(char *o, uint32_t cp)
{
    if (cp < 0x80) {
        *o++ = (char)cp;
    } else if (cp < 0x800) {
        *o++ = (char)(0xC0 | cp >> 6);
        *o++ = (char)(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        *o++ = (char)(0xE0 | cp >> 12);
        *o++ = (char)(0x80 | (cp >> 6 & 0x3F));
        *o++ = (char)(0x80 | (cp & 0x3F));
    } else {
        *o++ = (char)(0xF0 | cp >> 18);
        *o++ = (char)(0x80 | (cp >> 12 & 0x3F));
        *o++ = (char)(0x80 | (cp >> 6 & 0x3F));
        *o++ = (char)(0x80 | (cp & 0x3F));
    }
    return o;
}

/* ---- numbers ---- */

/* Scan a JSON number at p into *num; NULL (no reason written) when the
 * text there is not one. */
const char *vg_jnum_scan(const char *p, const char *end, vg_jnum *num)
{
    const char *q = p;
    *num = (vg_jnum){p, 0, false, true, false, 0, 0};
    int sig = 0;
    if (q < end && *q == '-') {
        num->neg = true;
        q++;
    }
    if (q == end || *q < '0' || *q > '9')
        return NULL;
    if (*q == '0') {
        q++;
    } else {
        for (; q < end && *q >= '0' && *q <= '9'; q++, sig++)
            num->mant = num->mant * 10 + (uint64_t)(*q - '0');
    }
    if (q < end && *q == '.') {
        num->plain = false;
        const char *f = ++q;
        for (; q < end && *q >= '0' && *q <= '9'; q++) {
            sig += sig > 0 || *q != '0';
            num->mant = num->mant * 10 + (uint64_t)(*q - '0');
        }
        if (q == f)
            return NULL;
        num->nfrac = q - f > 1000 ? 1000 : (int)(q - f);
    }
    if (q < end && (*q == 'e' || *q == 'E')) {
        num->plain = false;
        num->nfrac = -1; /* marks an exponent: no fast path */
        q++;
        if (q < end && (*q == '+' || *q == '-'))
            q++;
        const char *e = q;
        while (q < end && *q >= '0' && *q <= '9')
            q++;
        if (q == e)
            return NULL;
    }
    if (q < end && *q >= '0' && *q <= '9') /* a leading zero followed by digits */
        return NULL;
    num->big = sig > 19;
    num->n = (size_t)(q - p);
    return q;
}

/* Apply a sign to a magnitude; VG_JNUM_RANGE when it does not fit int64. */
static int signed_fit(uint64_t mag, bool neg, int64_t *out)
{
    if (mag > (uint64_t)INT64_MAX + neg)
        return VG_JNUM_RANGE;
    *out = neg ? (int64_t)(0 - mag) : (int64_t)mag;
    return VG_JNUM_INT;
}

/* The integer value of a number with a fraction or exponent, exactly:
 * "1.0" and "1e3" are integers, "1.5" is not. */
static int jnum_to_int_slow(const vg_jnum *num, int64_t *out)
{
    const char *q = num->p + num->neg, *end = num->p + num->n, *e = q;
    while (e < end && *e != 'e' && *e != 'E')
        e++;
    long exp = 0, nint = 0;
    if (e < end) {
        const char *x = e + 1;
        bool eneg = *x == '-';
        x += *x == '-' || *x == '+';
        for (; x < end; x++)
            exp = exp > 100000 ? exp : exp * 10 + (*x - '0');
        exp = eneg ? -exp : exp;
    }
    for (const char *c = q; c < e && *c != '.'; c++)
        nint++;
    long point = nint + exp, idx = 0; /* digits before the decimal point */
    uint64_t mag = 0;
    for (const char *c = q; c < e; c++) {
        if (*c == '.')
            continue;
        int dig = *c - '0';
        if (idx++ >= point) {
            if (dig != 0)
                return VG_JNUM_NOT_INTEGRAL;
        } else if (mag > (UINT64_MAX - 9) / 10) {
            return VG_JNUM_RANGE;
        } else {
            mag = mag * 10 + (uint64_t)dig;
        }
    }
    for (; idx < point && mag != 0; idx++) {
        if (mag > UINT64_MAX / 10)
            return VG_JNUM_RANGE;
        mag *= 10;
    }
    return signed_fit(mag, num->neg, out);
}

int vg_jnum_to_int(const vg_jnum *num, int64_t *out)
{
    if (!num->plain)
        return jnum_to_int_slow(num, out);
    if (num->big)
        return VG_JNUM_RANGE;
    return signed_fit(num->mant, num->neg, out);
}

int vg_jnum_to_double(const vg_jnum *num, vg_arena *scratch, double *out)
{
#if FLT_EVAL_METHOD == 0
    static const double pow10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                   1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                   1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
    if (!num->big && num->nfrac >= 0 && num->nfrac <= 22 && num->mant <= (1ULL << 53)) {
        double d = (double)num->mant / pow10[num->nfrac];
        *out = num->neg ? -d : d;
        return 0;
    }
#endif
    char buf[128], *text = buf;
    if (num->n >= sizeof buf && !(text = scratch ? vg_arena_alloc(scratch, num->n + 1) : NULL))
        return -2;
    memcpy(text, num->p, num->n);
    text[num->n] = 0;
    *out = strtod(text, NULL);
    return *out <= DBL_MAX && *out >= -DBL_MAX ? 0 : -1;
}
