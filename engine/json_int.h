/*
 * json_int.h — private to the JSON module (json_in.c, json_lex.c): JSON
 * numbers, \u escapes and UTF-8 encoding. Not for use outside it.
 */
#ifndef VG_JSON_INT_H
#define VG_JSON_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/alloc.h"

/* A scanned JSON number. */
typedef struct vg_jnum {
    const char *p; /* token text */
    size_t n;      /* token length */
    bool neg;      /* leading '-' */
    bool plain;    /* no fraction and no exponent */
    bool big;      /* more than 19 significant digits: mant is not exact */
    int nfrac;     /* digits after the point; -1 when there is an exponent */
    uint64_t mant; /* every digit as one integer (when !big) */
} vg_jnum;

/* Scan a JSON number (RFC 8259 grammar) at p, before end, into *num;
 * returns the end of the token, or NULL when the text is not a number
 * (a leading zero followed by a digit included). */
const char *vg_jnum_scan(const char *p, const char *end, vg_jnum *num);

/* Outcome of vg_jnum_to_int. */
enum { VG_JNUM_INT, VG_JNUM_NOT_INTEGRAL, VG_JNUM_RANGE };
/* The exact int64 value of num when it is integral ("1e3", "1.0"). */
int vg_jnum_to_int(const vg_jnum *num, int64_t *out);
/* The double nearest to num, as strtod gives it: 0, -1 when it overflows,
 * -2 when a long token could not be copied into scratch. */
int vg_jnum_to_double(const vg_jnum *num, vg_arena *scratch, double *out);

/* Read the \uXXXX escape (or surrogate pair) at p (p[0] is the backslash);
 * the bytes it takes (6 or 12), or 0 when it is invalid (bad hex digits,
 * a lone or reversed surrogate). */
int vg_json_u_escape(const char *p, const char *end, uint32_t *cp);
/* Write code point cp (at most U+10FFFF, not a surrogate) as UTF-8 at o;
 * returns the end. */
char *vg_json_put_utf8(char *o, uint32_t cp);

#endif
