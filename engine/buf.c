/*
 * buf.c — growable byte buffer.
 */
#include "engine/buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void vg_buf_init(vg_buf *b, vg_mem_tag tag)
{
    b->p = NULL;
    b->len = 0;
    b->cap = 0;
    b->tag = tag;
}

void vg_buf_free(vg_buf *b)
{
    vg_free(b->p);
    vg_buf_init(b, b->tag);
}

int vg_buf_reserve(vg_buf *b, size_t n)
{
    if (b->cap - b->len > n)
        return 0;
    size_t cap = b->cap ? b->cap : 256;
    while (cap - b->len <= n) {
        if (cap > SIZE_MAX / 2)
            return -1;
        cap *= 2;
    }
    char *p = vg_realloc(b->tag, b->p, cap);
    if (!p)
        return -1;
    b->p = p;
    b->cap = cap;
    return 0;
}

int vg_buf_append(vg_buf *b, const void *p, size_t n)
{
    if (vg_buf_reserve(b, n) < 0)
        return -1;
    memcpy(b->p + b->len, p, n);
    b->len += n;
    return 0;
}

int vg_buf_putc(vg_buf *b, char c)
{
    if (b->cap - b->len <= 1 && vg_buf_reserve(b, 1) < 0)
        return -1;
    b->p[b->len++] = c;
    return 0;
}

int vg_buf_puts(vg_buf *b, const char *s) { return vg_buf_append(b, s, strlen(s)); }

int vg_buf_printf(vg_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || vg_buf_reserve(b, (size_t)n + 1) < 0)
        return -1;
    va_start(ap, fmt);
    vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return 0;
}

const char *vg_buf_cstr(vg_buf *b)
{
    if (vg_buf_reserve(b, 1) < 0)
        return NULL;
    b->p[b->len] = 0;
    return b->p;
}
