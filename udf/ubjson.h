/*
 * ubjson.h — a small UBJSON (Universal Binary JSON, draft 12) reader that
 * builds a Jansson tree, so that one model loader serves JSON and UBJSON.
 *
 * Reads what XGBoost's save_model writes and the rest of the format: null
 * (Z), no-op (N, skipped), true/false (T/F), integers (i int8, U uint8,
 * I int16, l int32, L int64; big-endian), floats (d float32, D float64),
 * char (C), strings (S), arrays and objects, plain or optimized with a count
 * (`#`) and optionally one type for every element (`$`). A float that is
 * not finite (NaN, infinity) becomes JSON null, which Jansson cannot hold as
 * a number. High-precision numbers (H) are refused. Nesting is limited to
 * VG_UBJSON_MAX_DEPTH. A count or length larger than the bytes left is an
 * error (but see VG_UBJSON_MAX_EMPTY).
 *
 * Jansson allocates the tree with its own allocator.
 */
#ifndef VG_UBJSON_H
#define VG_UBJSON_H

#include <jansson.h>
#include <stddef.h>

#define VG_UBJSON_MAX_DEPTH 64    /* containers nested deeper are refused */
#define VG_UBJSON_MAX_EMPTY 65536 /* a count may exceed the bytes left by this much only in a
                                     container typed null, true or false (no bytes each) */

/* Why a parse failed. */
typedef struct vg_ubjson_error {
    char text[128]; /* e.g. "data ends early", "unknown type marker 'q'" */
    size_t offset;  /* byte offset where the problem was found */
} vg_ubjson_error;

/* Parse bytes[0..n) (one value; trailing bytes other than no-ops are an error) into a new
 * tree owned by the caller (json_decref). NULL with *e filled on malformed input or when
 * out of memory (text "out of memory"). */
json_t *vg_ubjson_parse(const void *bytes, size_t n, vg_ubjson_error *e);

#endif
