/*
 * lines.h — reading an event log line by line.
 *
 * Big reads, lines found with memchr, no copy for lines that sit inside the
 * buffer. A line longer than the limit is not an error of the reader: it is
 * returned cut to the limit with *too_long set (the rest is skipped), so the
 * caller can dead-letter it with its line number. A final line without a
 * newline is still a line; a "\r\n" ending loses its "\r".
 */
#ifndef VG_LINES_H
#define VG_LINES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/error.h"

typedef struct vg_lines vg_lines;

/* Open path ("-" is standard input). max_line is the longest line accepted.
 * NULL with err set ("cannot open 'x': No such file or directory"). */
vg_lines *vg_lines_open(const char *path, size_t max_line, vg_error *err);
void vg_lines_close(vg_lines *r);
/* Next line: 1 with *line and *len set (valid until the next call), 0 at end,
 * -1 on a read error (err set). *lineno is the 1-based line number. */
int vg_lines_next(vg_lines *r, const char **line, size_t *len, uint64_t *lineno, bool *too_long,
                  vg_error *err);
/* Bytes consumed so far, and the file's size (0 when unknown: a pipe). */
uint64_t vg_lines_offset(const vg_lines *r);
uint64_t vg_lines_size(const vg_lines *r);
const char *vg_lines_path(const vg_lines *r);

#endif
