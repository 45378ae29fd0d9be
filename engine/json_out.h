/*
 * json_out.h — the JSON-lines encoder for output rows and dead letters.
 *
 * Rows are written as DESIGN.md "Event logs and output" says:
 * `{"a":1,"b":"x"}` plus a newline, keys in schema order, no spaces;
 * BIGINT/INT as integers, DOUBLE as the shortest text that reads back to
 * the same double (vg_double_format; NaN and infinities as null), BOOLEAN as
 * true/false, TIMESTAMP as "YYYY-MM-DDTHH:MM:SS.sssZ", INTERVAL as integer
 * milliseconds, ARRAY<DOUBLE> as an array of such doubles and nulls
 * ([0.1,0.7,null]), NULL as null. Strings are escaped ('"', '\\' and control
 * characters; \n \r \t \b \f or \u00XX), valid UTF-8 passes through and
 * each byte of invalid UTF-8 becomes U+FFFD.
 *
 * Every function appends to a vg_buf and returns 0, or -1 when the buffer
 * could not grow, in which case the buffer is left exactly as it was.
 */
#ifndef VG_JSON_OUT_H
#define VG_JSON_OUT_H

#include <stddef.h>
#include <stdint.h>

#include "engine/buf.h"
#include "engine/value.h"

/* Longest raw text a dead letter carries; longer text is cut (on a UTF-8
 * character boundary) and marked "raw_truncated":true. */
#define VG_DEAD_LETTER_RAW_MAX 65536

/* A row writer for one schema, with each column's `"name":` prefix escaped
 * once: what a sink builds when it opens. */
typedef struct vg_json_writer vg_json_writer;

/* A writer for rows of schema s; copies what it needs from s. NULL when
 * out of memory. */
vg_json_writer *vg_json_writer_new(const vg_schema *s);
void vg_json_writer_free(vg_json_writer *w);
/* Append row (one value per column of the writer's schema) and a newline. */
int vg_json_writer_row(const vg_json_writer *w, vg_buf *b, const vg_value *row);

/* The same without a writer (escapes the names on every call). */
int vg_json_write_row(vg_buf *b, const vg_schema *s, const vg_value *row);

/* Append `{"source":...,"line":N,"reason":...,"raw":...}` and a newline;
 * source and reason are NUL-terminated, raw is raw[0..rawlen). */
int vg_json_write_dead_letter(vg_buf *b, const char *source, uint64_t line_no, const char *reason,
                              const char *raw, size_t rawlen);

/* Append s[0..n) as a quoted, escaped JSON string. */
int vg_json_write_string(vg_buf *b, const char *s, size_t n);
/* Append one value of type t as JSON. */
int vg_json_write_value(vg_buf *b, vg_type t, const vg_value *v);

#endif
