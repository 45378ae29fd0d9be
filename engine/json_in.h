/*
 * json_in.h — the schema-driven JSON event decoder.
 *
 * One event is one line of JSON text holding one object; the decoder turns
 * it into a row of typed values in the order of a stream's declared schema,
 * in one pass and without allocating (escaped strings excepted, which are
 * unescaped into the caller's scratch arena). DESIGN.md "Event logs and
 * output" is the contract; in short:
 *
 *   - keys in any order, matched case-sensitively; unknown keys are skipped
 *     (their values still validated, nesting limited to 64 levels); missing
 *     keys give NULL; a duplicate key's last value wins;
 *   - the `kcat -J` envelope (an object with `payload` and `topic`) is
 *     accepted, its payload (an object, or a string holding one) being the
 *     event; its partition and offset are kept (vg_decoder_last_envelope);
 *   - values are converted to the column type: BIGINT/INT from integers (or
 *     integral numbers like 1.0 and 1e3, or strings holding them), DOUBLE
 *     from any number or numeric string, BOOLEAN from true/false (or their
 *     strings), STRING from a string (a number, boolean, object or array
 *     gives its JSON text), TIMESTAMP from an ISO-8601 string or epoch
 *     milliseconds; null gives NULL;
 *   - anything else (bad JSON, invalid UTF-8, a value that does not fit its
 *     column) rejects the event with a one-line reason for the dead-letter
 *     sink, e.g. "invalid JSON at byte 17: expected ',' or '}'". Byte
 *     offsets are 0-based, into the line.
 */
#ifndef VG_JSON_IN_H
#define VG_JSON_IN_H

#include <stddef.h>
#include <stdint.h>

#include "engine/alloc.h"
#include "engine/value.h"

/* Results of vg_decoder_decode. */
enum {
    VG_DECODE_OK = 0,     /* row filled */
    VG_DECODE_BAD = -1,   /* the event is rejected; reason says why */
    VG_DECODE_NOMEM = -2, /* the scratch arena could not grow; reason is "out of memory" */
};

/* Deepest nesting of objects and arrays accepted in an event (the event's
 * own object counts as one level). */
#define VG_DECODE_MAX_DEPTH 64

typedef struct vg_decoder vg_decoder;

/* A decoder for events of schema s. Borrows s (and its column names), which
 * must outlive the decoder. Returns NULL when out of memory. A decoder
 * keeps state between events (the key order it last saw, the envelope), so
 * one thread at a time uses it. */
vg_decoder *vg_decoder_new(const vg_schema *s);
void vg_decoder_free(vg_decoder *d);

/* Decode one event, line[0..len) without its newline, into row[0..ncols).
 * STRING values point into line when the text has no escapes, else into
 * scratch (which must be non-NULL); both must outlive the row. Returns
 * VG_DECODE_OK, or VG_DECODE_BAD / VG_DECODE_NOMEM with a NUL-terminated
 * reason of at most reasonsz bytes written into reason (may be truncated;
 * reason may be NULL when reasonsz is 0). The row's contents are
 * unspecified after a failure. */
int vg_decoder_decode(vg_decoder *d, const char *line, size_t len, vg_value *row, vg_arena *scratch,
                      char *reason, size_t reasonsz);

/* Whether the last event decoded by d came in a kcat -J envelope; if so,
 * the envelope's partition and offset (-1 when absent or not integers) are
 * stored through the pointers that are not NULL. Returns 1 or 0. */
int vg_decoder_last_envelope(const vg_decoder *d, int32_t *partition, int64_t *offset);

/* Length of the valid UTF-8 sequence starting at p (1..4 bytes, p[0..n)
 * available), or 0 when the bytes there are not valid UTF-8 (overlong
 * forms, surrogates and code points above U+10FFFF are invalid). */
int vg_utf8_seq_len(const unsigned char *p, size_t n);

/* Offset of the first byte of s[0..n) that starts an invalid UTF-8
 * sequence, or n when all of it is valid. */
size_t vg_utf8_check(const char *s, size_t n);

#endif
