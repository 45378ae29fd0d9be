/*
 * error.c — filling and printing vg_error.
 */
#include "engine/error.h"

#include <stdarg.h>
#include <string.h>

void vg_error_clear(vg_error *e) { memset(e, 0, sizeof *e); }

bool vg_error_is_set(const vg_error *e) { return e->code != VG_OK; }

static void set_msg(vg_error *e, const char *fmt, va_list ap)
{
    vsnprintf(e->msg, sizeof e->msg, fmt, ap);
}

int vg_error_set(vg_error *e, vg_errcode code, const char *fmt, ...)
{
    if (!e || e->code != VG_OK)
        return -1;
    e->code = code;
    e->has_pos = false;
    va_list ap;
    va_start(ap, fmt);
    set_msg(e, fmt, ap);
    va_end(ap);
    return -1;
}

void vg_source_linecol(const vg_source *src, uint32_t off, uint32_t *line, uint32_t *col)
{
    uint32_t l = 1, line_start = 0;
    if (off > src->len)
        off = src->len;
    for (uint32_t i = 0; i < off; i++) {
        if (src->text[i] == '\n') {
            l++;
            line_start = i + 1;
        }
    }
    *line = l;
    *col = off - line_start + 1;
}

int vg_error_at(vg_error *e, vg_errcode code, const vg_source *src, vg_span sp, const char *fmt,
                ...)
{
    if (!e || e->code != VG_OK)
        return -1;
    e->code = code;
    va_list ap;
    va_start(ap, fmt);
    set_msg(e, fmt, ap);
    va_end(ap);
    if (!src)
        return -1;
    e->has_pos = true;
    snprintf(e->file, sizeof e->file, "%s", src->name ? src->name : "<input>");
    vg_source_linecol(src, sp.off, &e->line, &e->col);
    /* copy the line the span starts on */
    uint32_t start = sp.off > src->len ? src->len : sp.off;
    while (start > 0 && src->text[start - 1] != '\n')
        start--;
    uint32_t end = start;
    while (end < src->len && src->text[end] != '\n' && src->text[end] != '\r')
        end++;
    uint32_t n = end - start;
    if (n >= sizeof e->source_line)
        n = sizeof e->source_line - 1;
    memcpy(e->source_line, src->text + start, n);
    e->source_line[n] = 0;
    /* carets cover the span, clipped to the line */
    uint32_t mark = sp.len ? sp.len : 1;
    uint32_t col0 = e->col - 1;
    if (col0 + mark > n)
        mark = n > col0 ? n - col0 : 1;
    e->mark_len = mark;
    return -1;
}

void vg_error_print(const vg_error *e, FILE *out)
{
    if (!e->has_pos) {
        fprintf(out, "vigil: error: %s\n", e->msg);
        return;
    }
    fprintf(out, "%s:%u:%u: error: %s\n", e->file, e->line, e->col, e->msg);
    fprintf(out, "  %s\n  ", e->source_line);
    /* keep tabs so the caret lines up under tabbed source */
    for (uint32_t i = 0; i + 1 < e->col; i++)
        fputc(i < sizeof e->source_line && e->source_line[i] == '\t' ? '\t' : ' ', out);
    for (uint32_t i = 0; i < (e->mark_len ? e->mark_len : 1); i++)
        fputc('^', out);
    fputc('\n', out);
}

int vg_error_exit_code(const vg_error *e)
{
    switch (e->code) {
    case VG_ERR_SYNTAX:
    case VG_ERR_NAME:
    case VG_ERR_TYPE:
    case VG_ERR_SEMANTIC:
    case VG_ERR_USAGE:
    case VG_ERR_CONFIG:
        return 2;
    case VG_OK:
        return 0;
    default:
        return 1;
    }
}
