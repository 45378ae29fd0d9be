/*
 * lines.c — buffered line reader over a file descriptor.
 */
#include "engine/lines.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/alloc.h"

/* The most one read(2) asks for: copying a megabyte out of the page cache
 * takes a few hundred microseconds, during which a runner serving live
 * queries between its chunks cannot answer; 128 KiB keeps that under
 * about 50 us and costs one more system call per 128 KiB. */
#define READ_MAX (128u << 10)

struct vg_lines {
    int fd;            /* owned unless it is standard input */
    char *path;        /* owned copy, for messages */
    char *buf;         /* cap bytes */
    size_t cap;        /* > max_line so a whole line always fits */
    size_t start, end; /* unread bytes are buf[start..end) */
    size_t max_line;
    bool eof;
    bool skipping;     /* the last line was too long: skip to its newline first */
    uint64_t lineno;
    uint64_t offset;   /* bytes handed out as lines (with newlines) */
    uint64_t size;
};

vg_lines *vg_lines_open(const char *path, size_t max_line, vg_error *err)
{
    vg_lines *r = vg_calloc(VG_MEM_IO, 1, sizeof *r);
    if (!r) {
        vg_error_set(err, VG_ERR_NOMEM, "out of memory");
        return NULL;
    }
    r->fd = -1;
    r->max_line = max_line;
    r->cap = max_line + 1 > (1u << 20) ? max_line + 1 + (1u << 16) : (1u << 20);
    r->path = vg_strdup(VG_MEM_IO, path);
    r->buf = vg_malloc(VG_MEM_IO, r->cap);
    if (!r->path || !r->buf) {
        vg_error_set(err, VG_ERR_NOMEM, "out of memory");
        vg_lines_close(r);
        return NULL;
    }
    r->fd = strcmp(path, "-") == 0 ? 0 : open(path, O_RDONLY | O_CLOEXEC);
    if (r->fd < 0) {
        vg_error_set(err, VG_ERR_IO, "cannot open '%s': %s", path, strerror(errno));
        vg_lines_close(r);
        return NULL;
    }
    struct stat st;
    if (fstat(r->fd, &st) == 0 && S_ISREG(st.st_mode))
        r->size = (uint64_t)st.st_size;
    return r;
}

void vg_lines_close(vg_lines *r)
{
    if (!r)
        return;
    if (r->fd > 0)
        close(r->fd);
    vg_free(r->buf);
    vg_free(r->path);
    vg_free(r);
}

/* Move unread bytes to the front and read more. 0 ok (maybe eof), -1 error. */
static int refill(vg_lines *r, vg_error *err)
{
    if (r->start > 0) {
        memmove(r->buf, r->buf + r->start, r->end - r->start);
        r->end -= r->start;
        r->start = 0;
    }
    while (r->end < r->cap && !r->eof) {
        size_t want = r->cap - r->end < READ_MAX ? r->cap - r->end : READ_MAX;
        ssize_t n = read(r->fd, r->buf + r->end, want);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return vg_error_set(err, VG_ERR_IO, "cannot read '%s': %s", r->path, strerror(errno));
        }
        if (n == 0)
            r->eof = true;
        r->end += (size_t)n;
        if (n > 0)
            break;
    }
    return 0;
}

/* Skip to just past the next newline (the tail of an over-long line). */
static int skip_rest(vg_lines *r, vg_error *err)
{
    for (;;) {
        char *nl = memchr(r->buf + r->start, '\n', r->end - r->start);
        if (nl) {
            size_t n = (size_t)(nl - (r->buf + r->start)) + 1;
            r->offset += n;
            r->start += n;
            return 0;
        }
        r->offset += r->end - r->start;
        r->start = r->end;
        if (r->eof)
            return 0;
        if (refill(r, err) < 0)
            return -1;
    }
}

int vg_lines_next(vg_lines *r, const char **line, size_t *len, uint64_t *lineno, bool *too_long,
                  vg_error *err)
{
    *too_long = false;
    if (r->skipping) {
        r->skipping = false;
        if (skip_rest(r, err) < 0)
            return -1;
    }
    for (;;) {
        char *p = r->buf + r->start;
        size_t avail = r->end - r->start;
        char *nl = memchr(p, '\n', avail);
        if (nl || (r->eof && avail > 0) || avail > r->max_line) {
            size_t n = nl ? (size_t)(nl - p) : avail;
            size_t consumed = nl ? n + 1 : n;
            if (n > r->max_line) {
                /* hand out the first max_line bytes; the rest of the line
                 * is skipped on the next call, after the caller is done */
                *too_long = true;
                n = r->max_line;
                consumed = n;
                r->skipping = true;
            } else if (n > 0 && p[n - 1] == '\r') {
                n--;
            }
            r->lineno++;
            *lineno = r->lineno;
            *line = p;
            *len = n;
            r->start += consumed;
            r->offset += consumed;
            return 1;
        }
        if (r->eof)
            return 0;
        if (refill(r, err) < 0)
            return -1;
    }
}

uint64_t vg_lines_offset(const vg_lines *r) { return r->offset; }
uint64_t vg_lines_size(const vg_lines *r) { return r->size; }
const char *vg_lines_path(const vg_lines *r) { return r->path; }
