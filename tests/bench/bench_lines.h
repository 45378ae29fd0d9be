/*
 * bench_lines.h — what every bench program shares: read a whole file into
 * memory (with zeroed slack after it, which simdjson needs) and walk it
 * line by line, timing the loop (bench_now) apart from reading the file, so
 * that "parse alone" means parse alone. Header-only so the C and C++ programs both use it.
 */
#ifndef VG_BENCH_LINES_H
#define VG_BENCH_LINES_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Seconds on a monotonic clock. */
static double bench_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* Read path into a malloc'ed buffer with slack zero bytes after its *len
 * bytes; exits with a message on failure. */
static char *bench_read_file(const char *path, size_t *len, size_t slack)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "bench: cannot open %s\n", path);
        exit(2);
    }
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = (char *)malloc((size_t)n + slack);
    if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n) {
        fprintf(stderr, "bench: cannot read %s\n", path);
        exit(2);
    }
    fclose(f);
    memset(buf + n, 0, slack);
    *len = (size_t)n;
    return buf;
}

/* The next line of [*p, end) without its newline; 0 at the end. */
static int bench_next_line(const char **p, const char *end, const char **line, size_t *len)
{
    if (*p >= end)
        return 0;
    const char *nl = (const char *)memchr(*p, '\n', (size_t)(end - *p));
    const char *e = nl ? nl : end;
    *line = *p;
    *len = (size_t)(e - *p);
    *p = nl ? nl + 1 : end;
    return 1;
}

#endif
