/*
 * bench_jansson.c — baseline (a): Jansson parsing the payments log.
 *
 *     bench_jansson FILE
 *
 * For each line: json_loadb, read every field the pipeline declares
 * (strings and the amount), json_decref. Parse only: no filter output.
 * Prints the events parsed and a checksum so the work cannot be skipped.
 */
#include <jansson.h>
#include <stdint.h>

#include "tests/bench/bench_lines.h"

static const char *const fields[] = {"payment_id", "card_id", "merchant_id", "device_id", "email",
                                     "ip",         "country", "currency",    "status",    "ts"};

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: bench_jansson FILE\n");
        return 2;
    }
    size_t n;
    char *buf = bench_read_file(argv[1], &n, 1);
    const char *p = buf, *line;
    size_t len;
    uint64_t events = 0, bad = 0, check = 0;
    double amount_sum = 0;
    double t0 = bench_now();
    while (bench_next_line(&p, buf + n, &line, &len)) {
        json_error_t err;
        json_t *o = json_loadb(line, len, 0, &err);
        if (!o) {
            bad++;
            continue;
        }
        events++;
        for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
            check += json_string_length(json_object_get(o, fields[i]));
        amount_sum += json_number_value(json_object_get(o, "amount"));
        json_decref(o);
    }
    double secs = bench_now() - t0;
    printf("jansson: %llu events, %llu bad, checksum %llu %.2f\n", (unsigned long long)events,
           (unsigned long long)bad, (unsigned long long)check, amount_sum);
    fprintf(stderr, "loop_seconds %.6f\n", secs);
    free(buf);
    return 0;
}
