/*
 * bench_simdjson.cpp — baseline (b): simdjson (On-Demand API) parsing the
 * payments log.
 *
 *     bench_simdjson FILE
 *
 * For each line: parser.iterate, read every field the pipeline declares in
 * document order (find_field_unordered, so any order would still work).
 * The file is read into one padded buffer, so each line can be handed to
 * simdjson in place. Prints the events parsed and a checksum.
 */
#include <simdjson.h>
#include <stdint.h>

#include "tests/bench/bench_lines.h"

static const char *const fields[] = {"payment_id", "card_id", "merchant_id", "device_id",
                                     "email",      "ip",      "country",     "currency"};

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: bench_simdjson FILE\n");
        return 2;
    }
    size_t n;
    char *buf = bench_read_file(argv[1], &n, simdjson::SIMDJSON_PADDING);
    simdjson::ondemand::parser parser;
    const char *p = buf, *line;
    size_t len;
    uint64_t events = 0, bad = 0, check = 0;
    double amount_sum = 0;
    double t0 = bench_now();
    while (bench_next_line(&p, buf + n, &line, &len)) {
        size_t cap = (size_t)(buf + n - line) + simdjson::SIMDJSON_PADDING;
        simdjson::ondemand::document doc;
        if (parser.iterate(line, len, cap).get(doc)) {
            bad++;
            continue;
        }
        simdjson::ondemand::object o;
        if (doc.get_object().get(o)) {
            bad++;
            continue;
        }
        bool ok = true;
        for (const char *f : fields) {
            std::string_view sv;
            ok = ok && !o.find_field_unordered(f).get_string().get(sv);
            check += sv.size();
        }
        double amount = 0;
        std::string_view status, ts;
        ok = ok && !o.find_field_unordered("amount").get_double().get(amount);
        ok = ok && !o.find_field_unordered("status").get_string().get(status);
        ok = ok && !o.find_field_unordered("ts").get_string().get(ts);
        if (!ok) {
            bad++;
            continue;
        }
        check += status.size() + ts.size();
        amount_sum += amount;
        events++;
    }
    double secs = bench_now() - t0;
    printf("simdjson: %llu events, %llu bad, checksum %llu %.2f\n", (unsigned long long)events,
           (unsigned long long)bad, (unsigned long long)check, amount_sum);
    fprintf(stderr, "loop_seconds %.6f\n", secs);
    free(buf);
    return 0;
}
