/*
 * buf.h — a growable byte buffer, for output lines and snapshots.
 *
 * Appends never fail silently: each returns -1 when growing the buffer
 * failed, and the buffer then keeps what it had.
 */
#ifndef VG_BUF_H
#define VG_BUF_H

#include <stddef.h>
#include <stdint.h>

#include "engine/alloc.h"

typedef struct vg_buf {
    char *p;        /* bytes; owned by the buffer; NUL-terminated when len > 0 is not promised */
    size_t len;     /* bytes used */
    size_t cap;     /* bytes allocated */
    vg_mem_tag tag; /* counted under this tag */
} vg_buf;

void vg_buf_init(vg_buf *b, vg_mem_tag tag);
void vg_buf_free(vg_buf *b);
/* Make room for n more bytes; 0 or -1. */
int vg_buf_reserve(vg_buf *b, size_t n);
int vg_buf_append(vg_buf *b, const void *p, size_t n);
int vg_buf_putc(vg_buf *b, char c);
int vg_buf_puts(vg_buf *b, const char *s);
int vg_buf_printf(vg_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A NUL-terminated view of the contents (valid until the next append); NULL on failure. */
const char *vg_buf_cstr(vg_buf *b);
static inline void vg_buf_clear(vg_buf *b) { b->len = 0; }

#endif
