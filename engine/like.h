/*
 * like.h — the SQL LIKE matcher.
 *
 * '%' matches any run of characters, '_' exactly one character (a UTF-8
 * code point, not a byte); everything else matches itself, case-sensitive.
 * An ESCAPE character makes the next '%', '_' or escape character literal;
 * as in Flink, there is no escape character unless ESCAPE names one, an
 * escape followed by anything else (or by nothing) is an invalid pattern,
 * and ESCAPE must be one character.
 *
 * A constant pattern is compiled once (vg_like_compile) and sorted into a
 * fast case (equality, prefix, suffix, substring) or the general matcher; a
 * pattern computed per row is matched with vg_like_match_text. Neither
 * allocates while matching.
 */
#ifndef VG_LIKE_H
#define VG_LIKE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/alloc.h"

/* No escape character. */
#define VG_LIKE_NO_ESCAPE (-1)

typedef struct vg_like vg_like;

/* Check pattern p[0..n) with escape character esc (a byte, or
 * VG_LIKE_NO_ESCAPE). Returns 0, or -1 with a message in msg (msgn bytes). */
int vg_like_check(const char *p, uint32_t n, int esc, char *msg, size_t msgn);
/* Compile a pattern into arena a (which must outlive the result). Returns
 * NULL either with msg set (an invalid pattern) or with msg empty (out of
 * memory). */
vg_like *vg_like_compile(const char *p, uint32_t n, int esc, vg_arena *a, char *msg, size_t msgn);
/* Whether s[0..n) matches the compiled pattern. */
bool vg_like_match(const vg_like *l, const char *s, uint32_t n);
/* Match s[0..n) against an uncompiled pattern: 1 match, 0 no match, -1 the
 * pattern is invalid. */
int vg_like_match_text(const char *s, uint32_t n, const char *p, uint32_t pn, int esc);

#endif
