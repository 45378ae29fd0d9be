/*
 * dtoa.h — numbers as decimal text, without printf on the hot path: the
 * text of a DOUBLE that every output of vigil writes (vg_double_format is
 * this), and the digits of an integer.
 *
 * A DOUBLE's text is, by definition, the first of printf's %.15g, %.16g
 * and %.17g that strtod reads back to the same double (for a subnormal, the
 * first %.Ng from N = 1 on), with ".0" added when the text reads as an
 * integer ("3.0"); exponents are as printf writes them ("1e+21", "1e-07");
 * NaN and infinities are "null". That is the shortest text that reads back
 * to the double, at its nearest to it, except at a few powers of two
 * (whose rounding interval is lopsided). engine/dtoa.c says how it is
 * computed; tests/unit/test_dtoa.c checks it against printf and strtod.
 */
#ifndef VG_DTOA_H
#define VG_DTOA_H

#include <stdint.h>

/* Bytes each function here may write: the text (and NUL) and scratch after it. */
#define VG_DTOA_ROOM 32

/* The text of d (above) into buf, which has room for VG_DTOA_ROOM bytes
 * (all of which may be written), NUL-terminated; returns its length (at
 * most 24). */
int vg_dtoa_double(double d, char *buf);

/* The decimal digits of u into buf (VG_DTOA_ROOM bytes of room: at most 20
 * digits, no NUL, scratch after them); returns how many. */
int vg_dtoa_u64(uint64_t u, char *buf);

/* The decimal text of v into buf ("-" and at most 19 digits, no NUL, in
 * VG_DTOA_ROOM bytes of room); returns its length. */
int vg_dtoa_i64(int64_t v, char *buf);

#endif
