/*
 * error.h — error objects returned by library code.
 *
 * Library code never prints: it fills a vg_error and returns nonzero. Only
 * the top (CLI, admin API, runner) prints, with vg_error_print, which gives
 *
 *     file:line:col: error: message
 *       SELECT amount FORM payments
 *                     ^^^^
 *
 * An error that points into SQL (or YAML) text copies the offending source
 * line into itself, so it stays printable after the source is freed.
 * The first error wins: setting an error that is already set does nothing,
 * which gives "stop at the first error" for free.
 */
#ifndef VG_ERROR_H
#define VG_ERROR_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

typedef enum vg_errcode {
    VG_OK = 0,
    VG_ERR_SYNTAX,  /* SQL or YAML syntax */
    VG_ERR_NAME,    /* unknown or ambiguous name */
    VG_ERR_TYPE,    /* type mismatch */
    VG_ERR_SEMANTIC, /* other compile-time errors (unsupported construct, ...) */
    VG_ERR_USAGE,   /* command line */
    VG_ERR_CONFIG,  /* pipeline.yaml */
    VG_ERR_IO,      /* files, network */
    VG_ERR_NOMEM,   /* allocation failed */
    VG_ERR_RUNTIME, /* failure while running */
} vg_errcode;

/* A named text that positions point into: a SQL file, a YAML file, or a
 * string given on the command line. Borrowed by everything that refers to
 * it; owned by whoever loaded it. */
typedef struct vg_source {
    const char *name; /* file name as the user gave it, or "<command line>" */
    const char *text; /* whole text, NUL-terminated */
    uint32_t len;     /* bytes in text */
} vg_source;

/* A byte range in a source: [off, off+len). */
typedef struct vg_span {
    uint32_t off;
    uint32_t len;
} vg_span;

typedef struct vg_error {
    vg_errcode code;    /* VG_OK when no error is set */
    bool retriable;     /* run-time errors only: trying again may succeed */
    bool has_pos;       /* file/line/col/source_line are meaningful */
    char file[256];     /* source name */
    uint32_t line, col; /* 1-based; col counts bytes */
    uint32_t mark_len;  /* how many carets to draw (>= 1) */
    char source_line[256]; /* the offending line, without its newline */
    char msg[512];      /* short lowercase message, no trailing period */
} vg_error;

void vg_error_clear(vg_error *e);
bool vg_error_is_set(const vg_error *e);
/* Set an error without position; returns -1 so callers can `return vg_error_set(...)`.
 * Does nothing (but still returns -1) if e already holds an error. */
int vg_error_set(vg_error *e, vg_errcode code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Set an error at span sp of src (line, column and source line computed). */
int vg_error_at(vg_error *e, vg_errcode code, const vg_source *src, vg_span sp, const char *fmt,
                ...) __attribute__((format(printf, 5, 6)));
/* Print as `file:line:col: error: msg`, then the line and carets when the
 * error has a position; just `vigil: error: msg` otherwise. */
void vg_error_print(const vg_error *e, FILE *out);
/* Exit status for an error: 2 for syntax/name/type/semantic/usage/config,
 * 1 for everything else. */
int vg_error_exit_code(const vg_error *e);
/* Line (1-based) and column (1-based, bytes) of byte offset off in src. */
void vg_source_linecol(const vg_source *src, uint32_t off, uint32_t *line, uint32_t *col);

#endif
