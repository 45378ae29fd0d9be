/*
 * test_lines.c — the event-log line reader, over a file and over a pipe:
 * line ends, a last line without newline, over-long lines, numbering.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/lines.h"
#include "tests/unit/check.h"

static char path[64];

static void write_file(const char *text, size_t n)
{
    FILE *f = fopen(path, "wb");
    fwrite(text, 1, n, f);
    fclose(f);
}

/* Read every line of the open reader into "n:text|" records. */
static void read_all(vg_lines *r, char *out, size_t outsz)
{
    const char *line;
    size_t len;
    uint64_t no;
    bool too_long;
    vg_error err;
    vg_error_clear(&err);
    out[0] = 0;
    size_t used = 0;
    while (vg_lines_next(r, &line, &len, &no, &too_long, &err) == 1)
        used += (size_t)snprintf(out + used, outsz - used, "%llu%s:%.*s|",
                                 (unsigned long long)no, too_long ? "!" : "", (int)len, line);
}

static void check_text(const char *text, size_t max, const char *want)
{
    char got[4096];
    vg_error err;
    vg_error_clear(&err);
    /* a regular file: its size is known */
    write_file(text, strlen(text));
    vg_lines *r = vg_lines_open(path, max, &err);
    CHECK(r != NULL);
    if (!r)
        return;
    read_all(r, got, sizeof got);
    CHECK_STR(got, want);
    CHECK_INT(vg_lines_offset(r), strlen(text));
    vg_lines_close(r);
    /* the same bytes through a pipe on standard input: size unknown */
    int fds[2];
    CHECK(pipe(fds) == 0);
    if (fork() == 0) {
        close(fds[0]);
        ssize_t w = write(fds[1], text, strlen(text));
        _exit(w < 0);
    }
    close(fds[1]);
    int saved = dup(0);
    dup2(fds[0], 0);
    close(fds[0]);
    r = vg_lines_open("-", max, &err);
    CHECK(r != NULL);
    read_all(r, got, sizeof got);
    CHECK_STR(got, want);
    CHECK_INT(vg_lines_size(r), 0);
    vg_lines_close(r);
    dup2(saved, 0);
    close(saved);
}

static void test_line_ends(void)
{
    check_text("a\nbb\n", 100, "1:a|2:bb|");
    check_text("a\r\nbb\r\n", 100, "1:a|2:bb|");
    check_text("a\nlast", 100, "1:a|2:last|");
    check_text("", 100, "");
    check_text("\n\nx\n", 100, "1:|2:|3:x|");
}

static void test_too_long(void)
{
    check_text("12345\nab\n123456789\nc", 5, "1:12345|2:ab|3!:12345|4:c|");
    check_text("123456789", 5, "1!:12345|");
    check_text("123456\n", 5, "1!:12345|");
}

/* Lines longer than one read (128 KiB) and than the buffer (1 MiB): each
 * comes out whole, or cut at max_line, with the lines around it intact. */
static void test_long_lines(void)
{
    size_t big = 700u << 10, huge = 1536u << 10, n = 0;
    char *text = malloc(big + huge + 16);
    memcpy(text + n, "a\n", 2), n += 2;
    memset(text + n, 'x', big), n += big, text[n++] = '\n';
    memset(text + n, 'y', huge), n += huge, text[n++] = '\n';
    memcpy(text + n, "b\n", 2), n += 2;
    write_file(text, n);
    vg_error err;
    vg_error_clear(&err);
    vg_lines *r = vg_lines_open(path, 1u << 20, &err);
    CHECK(r != NULL);
    const char *line;
    size_t len;
    uint64_t no;
    bool too_long;
    size_t want_len[] = {1, big, 1u << 20, 1};
    bool want_long[] = {false, false, true, false};
    char want_first[] = {'a', 'x', 'y', 'b'};
    for (int i = 0; r && i < 4; i++) {
        CHECK_INT(vg_lines_next(r, &line, &len, &no, &too_long, &err), 1);
        CHECK_INT(len, want_len[i]);
        CHECK_INT(too_long, want_long[i]);
        CHECK_INT(no, i + 1);
        CHECK(len > 0 && line[0] == want_first[i] && line[len - 1] == want_first[i]);
    }
    if (r) {
        CHECK_INT(vg_lines_next(r, &line, &len, &no, &too_long, &err), 0);
        CHECK_INT(vg_lines_offset(r), n);
    }
    vg_lines_close(r);
    free(text);
}

static void test_missing(void)
{
    vg_error err;
    vg_error_clear(&err);
    CHECK(vg_lines_open("/nonexistent/x.jsonl", 100, &err) == NULL);
    CHECK_STR(err.msg, "cannot open '/nonexistent/x.jsonl': No such file or directory");
    CHECK_INT(err.code, VG_ERR_IO);
}

int main(void)
{
    snprintf(path, sizeof path, "/tmp/vigil-lines-%d", (int)getpid());
    RUN(test_line_ends);
    RUN(test_too_long);
    RUN(test_long_lines);
    RUN(test_missing);
    unlink(path);
    return CHECK_DONE();
}
