#!/usr/bin/python3
"""tests/bench/gen_match.py — the event log of the MATCH_RECOGNIZE growth
benchmark (tests/bench/match_pathological.sql): ROWS events of one
partition, a millisecond apart, each "a", "b" or "ab" (never "c"), chosen by
a seeded generator, so that (A|B)*C never matches.

    /usr/bin/python3 tests/bench/gen_match.py --seed 7 --rows 10000 > log.jsonl
"""
import argparse
import datetime
import random
import sys


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--rows", type=int, required=True)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    t0 = datetime.datetime(2024, 5, 1, tzinfo=datetime.timezone.utc)
    out = sys.stdout
    for i in range(args.rows):
        t = t0 + datetime.timedelta(milliseconds=i)
        f = rng.choice(["a", "b", "ab"])
        out.write('{"k":"x","f":"%s","ts":"%s.%03dZ"}\n'
                  % (f, t.strftime("%Y-%m-%dT%H:%M:%S"), i % 1000))


if __name__ == "__main__":
    main()
