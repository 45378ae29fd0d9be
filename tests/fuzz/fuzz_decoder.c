/*
 * fuzz_decoder.c — libFuzzer target for the event decoder and the encoder.
 *
 * Each input is one event line, decoded against a schema with a column of
 * every type (plus envelope-looking names), by a long-lived decoder (which
 * guesses keys from the order it saw in earlier inputs) and by a fresh one
 * (which looks every key up): both must agree. On success the row is
 * encoded back and the output must be valid UTF-8 that decodes again to the
 * same row; on failure the reason must be non-empty and the dead letter
 * must encode. Any crash, sanitizer report or abort() is a finding.
 *
 *   clang -fsanitize=fuzzer,address,undefined ... -o build/fuzz/fuzz_decoder
 *   build/fuzz/fuzz_decoder tests/fuzz/corpus/decoder
 *
 * Built with -DVG_FUZZ_REPLAY (and any C compiler) it has a main() that runs
 * each file named on the command line through the same function, which is
 * how `make test` replays the corpus.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/json_in.h"
#include "engine/json_out.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static vg_column cols[] = {
    {"id", VG_T_BIGINT},        {"n", VG_T_INT},
    {"amount", VG_T_DOUBLE},    {"name", VG_T_STRING},
    {"ok", VG_T_BOOL},          {"ts", VG_T_TIMESTAMP},
    {"iv", VG_T_INTERVAL},      {"key", VG_T_BIGINT},
    {"partition", VG_T_STRING}, {"\xc3\xa9t\xc3\xa9", VG_T_STRING},
};
static vg_schema schema = {sizeof cols / sizeof cols[0], cols};

#define NCOLS (sizeof cols / sizeof cols[0])

/* Two rows hold the same values (doubles by bits, via their JSON text). */
static int rows_same(const vg_value *a, const vg_value *b)
{
    for (uint32_t i = 0; i < NCOLS; i++) {
        vg_type t = cols[i].type;
        if (t == VG_T_DOUBLE && !a[i].null && !b[i].null) {
            char x[32], y[32];
            vg_double_format(a[i].u.d, x);
            vg_double_format(b[i].u.d, y);
            if (strcmp(x, y) != 0)
                return 0;
        } else if (!vg_value_same(t, &a[i], &b[i])) {
            return 0;
        }
    }
    return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static vg_decoder *dec;
    static vg_arena *scratch, *scratch2;
    if (!dec) {
        dec = vg_decoder_new(&schema);
        scratch = vg_arena_new(VG_MEM_OTHER, 4096);
        scratch2 = vg_arena_new(VG_MEM_OTHER, 4096);
        if (!dec || !scratch || !scratch2)
            abort();
    }
    vg_arena_reset(scratch);
    vg_arena_reset(scratch2);
    /* a copy of exactly size bytes, so reading past the end is caught */
    char *line = malloc(size ? size : 1);
    if (!line)
        return 0;
    memcpy(line, data, size);
    vg_value row[NCOLS], again[NCOLS];
    char reason[300], reason2[300];
    vg_buf b;
    vg_buf_init(&b, VG_MEM_OTHER);
    int r = vg_decoder_decode(dec, line, size, row, scratch, reason, sizeof reason);
    vg_decoder *fresh = vg_decoder_new(&schema);
    if (!fresh)
        abort();
    int rf = vg_decoder_decode(fresh, line, size, again, scratch2, reason2, sizeof reason2);
    vg_decoder_free(fresh);
    if (rf != r || (r == VG_DECODE_OK && !rows_same(row, again)) ||
        (r != VG_DECODE_OK && strcmp(reason, reason2) != 0))
        abort();
    if (r == VG_DECODE_OK) {
        for (uint32_t i = 0; i < NCOLS; i++)
            if (!row[i].null && cols[i].type == VG_T_INT &&
                (row[i].u.i < INT32_MIN || row[i].u.i > INT32_MAX))
                abort();
        if (vg_json_write_row(&b, &schema, row) != 0)
            abort();
        if (vg_utf8_check(b.p, b.len) != b.len || b.p[b.len - 1] != '\n')
            abort();
        /* re-decoding our own output gives the same row, unless a DOUBLE
         * was NaN or infinite (written null) */
        int r2 = vg_decoder_decode(dec, b.p, b.len - 1, again, scratch2, reason, sizeof reason);
        if (r2 != VG_DECODE_OK || !rows_same(row, again))
            abort();
    } else if (r == VG_DECODE_BAD) {
        if (reason[0] == 0 || strlen(reason) >= sizeof reason)
            abort();
        if (vg_json_write_dead_letter(&b, "fuzz", 1, reason, line, size) != 0)
            abort();
        if (vg_utf8_check(b.p, b.len) != b.len)
            abort();
    } else {
        abort(); /* no allocation failures are injected here */
    }
    vg_buf_free(&b);
    free(line);
    return 0;
}

#ifdef VG_FUZZ_REPLAY
int main(int argc, char **argv)
{
    int nfiles = 0;
    for (int i = 1; i < argc; i++) {
        FILE *f = fopen(argv[i], "rb");
        if (!f) {
            fprintf(stderr, "fuzz_decoder: cannot open %s\n", argv[i]);
            return 1;
        }
        static uint8_t buf[1 << 20];
        size_t n = fread(buf, 1, sizeof buf, f);
        fclose(f);
        LLVMFuzzerTestOneInput(buf, n);
        nfiles++;
    }
    printf("fuzz_decoder: %d inputs replayed\n", nfiles);
    return 0;
}
#endif
