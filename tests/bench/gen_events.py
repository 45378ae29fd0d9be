#!/usr/bin/python3
"""gen_events.py — a deterministic payments event log for the spine benchmark.

    /usr/bin/python3 tests/bench/gen_events.py --seed 7 --count 1000000 > payments.jsonl

One JSON object per line with the fields payment_id, card_id, merchant_id,
device_id, email, ip, country, currency, amount, status, ts. The same seed
and count always give the same bytes. scripts/bench uses this only when the
pipeline's own generator (scripts/gen_payments.py) is not there.
"""
import argparse
import random
import sys

COUNTRIES = ["DE", "FR", "GB", "US", "NL", "ES", "IT", "PL", "SE", "BR", "IN", "JP"]
CURRENCIES = {"DE": "EUR", "FR": "EUR", "NL": "EUR", "ES": "EUR", "IT": "EUR", "GB": "GBP",
              "US": "USD", "PL": "PLN", "SE": "SEK", "BR": "BRL", "IN": "INR", "JP": "JPY"}
STATUSES = ["captured"] * 17 + ["failed"] * 2 + ["refunded"]
DOMAINS = ["example.com", "mail.example.org", "example.net"]
START_MS = 1714521600000  # 2024-05-01T00:00:00Z


def iso(ms):
    """Epoch milliseconds as 2024-05-01T12:00:00.123Z (days-from-civil, no time zones)."""
    days, rem = divmod(ms, 86400000)
    z = days + 719468
    era = z // 146097
    doe = z - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    d = doy - (153 * mp + 2) // 5 + 1
    m = mp + 3 if mp < 10 else mp - 9
    y = yoe + era * 400 + (m <= 2)
    h, rem = divmod(rem, 3600000)
    mi, rem = divmod(rem, 60000)
    s, milli = divmod(rem, 1000)
    return "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ" % (y, m, d, h, mi, s, milli)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--count", type=int, default=1000)
    args = ap.parse_args()
    rnd = random.Random(args.seed)
    ncards = max(10, args.count // 20)
    ts = START_MS
    out = sys.stdout
    lines = []
    for i in range(args.count):
        card = rnd.randrange(ncards)
        country = COUNTRIES[card % len(COUNTRIES)]
        ts += rnd.randrange(0, 400)
        amount = round(rnd.lognormvariate(3.6, 1.1), 2)
        lines.append(
            '{"payment_id":"p-%08d","card_id":"c-%06d","merchant_id":"m-%04d",'
            '"device_id":"d-%06d","email":"user%d@%s","ip":"10.%d.%d.%d",'
            '"country":"%s","currency":"%s","amount":%.2f,"status":"%s","ts":"%s"}\n'
            % (i + 1, card, rnd.randrange(2000), (card * 7 + rnd.randrange(3)) % 50000,
               card, DOMAINS[card % 3], card % 256, card // 256 % 256, rnd.randrange(256),
               country, CURRENCIES[country], amount, rnd.choice(STATUSES), iso(ts)))
        if len(lines) >= 10000:
            out.write("".join(lines))
            lines = []
    out.write("".join(lines))


if __name__ == "__main__":
    main()
