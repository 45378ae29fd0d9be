/*
 * bench_decoder.c — vigil's own event decoder alone, and decoder + encoder.
 *
 *     bench_decoder FILE              decode every line (e)
 *     bench_decoder --project FILE    decode, keep amount >= 100, encode
 *                                     payment_id, card_id, amount to stdout (f)
 *
 * Links engine/json_in.c and engine/json_out.c directly, with the schema of
 * tests/bench/filter.sql, so the decoder's speed is visible apart from the
 * rest of the engine. Prints the events decoded and a checksum to stderr.
 */
#include <stdint.h>
#include <unistd.h>

#include "engine/json_in.h"
#include "engine/json_out.h"
#include "tests/bench/bench_lines.h"

static vg_column cols[] = {
    {"payment_id", VG_T_STRING}, {"card_id", VG_T_STRING},  {"merchant_id", VG_T_STRING},
    {"device_id", VG_T_STRING},  {"email", VG_T_STRING},    {"ip", VG_T_STRING},
    {"country", VG_T_STRING},    {"currency", VG_T_STRING}, {"amount", VG_T_DOUBLE},
    {"status", VG_T_STRING},     {"ts", VG_T_TIMESTAMP},
};
enum { NCOLS = sizeof cols / sizeof cols[0], C_AMOUNT = 8 };

static vg_column out_cols[] = {
    {"payment_id", VG_T_STRING}, {"card_id", VG_T_STRING}, {"amount", VG_T_DOUBLE}};

static void flush(vg_buf *b)
{
    size_t off = 0;
    while (off < b->len) {
        ssize_t k = write(1, b->p + off, b->len - off);
        if (k <= 0)
            exit(1);
        off += (size_t)k;
    }
    vg_buf_clear(b);
}

int main(int argc, char **argv)
{
    int project = argc == 3 && strcmp(argv[1], "--project") == 0;
    if (argc != 2 + project) {
        fprintf(stderr, "usage: bench_decoder [--project] FILE\n");
        return 2;
    }
    size_t n;
    char *buf = bench_read_file(argv[1 + project], &n, 1);
    vg_schema schema = {NCOLS, cols}, out_schema = {3, out_cols};
    vg_decoder *dec = vg_decoder_new(&schema);
    vg_json_writer *w = vg_json_writer_new(&out_schema);
    vg_arena *scratch = vg_arena_new(VG_MEM_OTHER, 1 << 16);
    if (!dec || !w || !scratch)
        return 1;
    vg_buf out;
    vg_buf_init(&out, VG_MEM_IO);
    const char *p = buf, *line;
    size_t len;
    uint64_t events = 0, bad = 0, check = 0, emitted = 0;
    vg_value row[NCOLS];
    char reason[256];
    double t0 = bench_now();
    while (bench_next_line(&p, buf + n, &line, &len)) {
        if (vg_decoder_decode(dec, line, len, row, scratch, reason, sizeof reason) != 0) {
            bad++;
            continue;
        }
        events++;
        check += row[0].len + (uint64_t)row[NCOLS - 1].u.i;
        if (project && !row[C_AMOUNT].null && row[C_AMOUNT].u.d >= 100) {
            vg_value proj[3] = {row[0], row[1], row[C_AMOUNT]};
            if (vg_json_writer_row(w, &out, proj) != 0)
                return 1;
            emitted++;
            if (out.len >= 1 << 16)
                flush(&out);
        }
        if ((events & 1023) == 0)
            vg_arena_reset(scratch);
    }
    flush(&out);
    double secs = bench_now() - t0;
    fprintf(stderr,
            "decoder: %llu events, %llu bad, %llu emitted, checksum %llu\nloop_seconds %.6f\n",
            (unsigned long long)events, (unsigned long long)bad, (unsigned long long)emitted,
            (unsigned long long)check, secs);
    vg_buf_free(&out);
    vg_arena_free(scratch);
    vg_json_writer_free(w);
    vg_decoder_free(dec);
    free(buf);
    return 0;
}
