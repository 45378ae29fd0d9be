#!/usr/bin/python3
"""scripts/gen_payments.py — a deterministic generator of card payments.

    /usr/bin/python3 scripts/gen_payments.py --seed 42 --count 5000 --malformed 6 \
        > pipelines/payments/data/payments.jsonl

Writes JSON lines, one payment each, in event-time order with a little
disorder (an event may come up to a few seconds after a later one, as from
several producers), about one payment per second:

    {"payment_id":"p000001","card_id":"c00042","merchant_id":"m0007",
     "device_id":"d1f3a9c","email":"ana.lee@gmail.com","ip":"81.2.69.160",
     "country":"GB","card_country":"GB","currency":"GBP","amount":23.5,
     "status":"captured","ts":"2024-05-01T00:00:01.234Z"}

About 2,000 cards (a few used much more than the rest), 300 merchants,
log-normal amounts, ~8% failed and ~4% declined, most payments in the
card's home country. Fraud-like bursts are mixed in, for the stateful
features, patterns and rules of later issues:

  * retry-then-success: a card fails several times in a few minutes, then
    a payment goes through;
  * card testing: many cards tried at one merchant with tiny amounts,
    mostly failing;
  * a device used with many different cards in a few minutes, often with
    disposable e-mail addresses and from abroad.

--malformed N replaces N events by broken lines (bad JSON, an amount that
is not a number, a timestamp that is not one) to exercise the dead-letter
path. The same seed and arguments always give the same bytes.

--labels FILE also writes `payment_id,label` (a header line, then one line
per event written, in log order, malformed ones included): 1 for the
events made by a burst function above, 0 for the others. It changes
nothing in the log itself, so models can be trained on the generated
payments (pipelines/payments/model/train.py).
"""

import argparse
import datetime
import itertools
import json
import math
import random
import sys

COUNTRIES = [  # (code, currency, weight)
    ("US", "USD", 30), ("GB", "GBP", 12), ("DE", "EUR", 10), ("FR", "EUR", 8),
    ("ES", "EUR", 5), ("IT", "EUR", 5), ("NL", "EUR", 4), ("CA", "CAD", 5),
    ("AU", "AUD", 4), ("BR", "BRL", 4), ("MX", "MXN", 3), ("IN", "INR", 3),
    ("JP", "JPY", 3), ("SE", "SEK", 2), ("PL", "PLN", 2),
]
CURRENCY = {c: cur for c, cur, _ in COUNTRIES}
EMAIL_DOMAINS = ["gmail.com", "yahoo.com", "outlook.com", "hotmail.com", "icloud.com",
                 "proton.me", "gmx.de", "orange.fr", "web.de", "aol.com"]
DISPOSABLE_DOMAINS = ["mailinator.com", "guerrillamail.com", "yopmail.com", "10minutemail.com",
                      "trashmail.net"]
FIRST = ["ana", "ben", "carla", "dev", "emma", "femi", "gus", "hana", "ivan", "jo", "kai",
         "lena", "mo", "nina", "omar", "pia", "quinn", "raj", "sara", "tom", "uma", "vik",
         "wen", "yara", "zoe"]
LAST = ["lee", "smith", "garcia", "muller", "rossi", "dubois", "silva", "khan", "tanaka",
        "novak", "berg", "kowalski", "jones", "martin", "patel"]

N_CARDS = 2000
N_MERCHANTS = 300


def zipf_weights(n, s):
    return [1.0 / (rank ** s) for rank in range(1, n + 1)]


class World:
    """The cards, merchants and devices payments are drawn from."""

    def __init__(self, rng):
        self.rng = rng
        codes = [c for c, _, _ in COUNTRIES]
        weights = [w for _, _, w in COUNTRIES]
        self.cards = []
        for i in range(1, N_CARDS + 1):
            home = rng.choices(codes, weights)[0]
            self.cards.append({
                "card_id": f"c{i:05d}",
                "home": home,
                "devices": [self.new_device() for _ in range(rng.choice([1, 1, 1, 2, 2, 3]))],
                "email": self.new_email(disposable=rng.random() < 0.02),
                "ip": self.new_ip(),
            })
        card_weights = zipf_weights(N_CARDS, 0.5)
        rng.shuffle(card_weights)
        self.card_cum = list(itertools.accumulate(card_weights))
        self.merchants = [f"m{i:04d}" for i in range(1, N_MERCHANTS + 1)]
        self.merchant_cum = list(itertools.accumulate(zipf_weights(N_MERCHANTS, 1.0)))

    def new_device(self):
        return "d" + "".join(self.rng.choice("0123456789abcdef") for _ in range(7))

    def new_ip(self):
        r = self.rng
        return f"{r.randint(2, 223)}.{r.randint(0, 255)}.{r.randint(0, 255)}.{r.randint(1, 254)}"

    def new_email(self, disposable=False):
        r = self.rng
        name = f"{r.choice(FIRST)}.{r.choice(LAST)}"
        if r.random() < 0.5:
            name += str(r.randint(1, 999))
        if r.random() < 0.05:
            name = name.capitalize()  # mixed case, to be normalised
        domain = r.choice(DISPOSABLE_DOMAINS if disposable else EMAIL_DOMAINS)
        return f"{name}@{domain}"

    def card(self):
        return self.rng.choices(self.cards, cum_weights=self.card_cum)[0]

    def merchant(self):
        return self.rng.choices(self.merchants, cum_weights=self.merchant_cum)[0]

    def amount(self, mu=3.4, sigma=1.1):
        return max(0.5, round(math.exp(self.rng.gauss(mu, sigma)), 2))

    def status(self):
        x = self.rng.random()
        return "failed" if x < 0.08 else "declined" if x < 0.12 else "captured"

    def payment(self, t_ms, card=None, **override):
        r = self.rng
        card = card or self.card()
        country = card["home"] if r.random() < 0.92 else r.choice(COUNTRIES)[0]
        p = {
            "card_id": card["card_id"],
            "merchant_id": self.merchant(),
            "device_id": r.choice(card["devices"]) if r.random() < 0.95 else self.new_device(),
            "email": card["email"],
            "ip": card["ip"] if r.random() < 0.85 else self.new_ip(),
            "country": country,
            "card_country": card["home"],
            "currency": CURRENCY[country],
            "amount": self.amount(),
            "status": self.status(),
            "t": t_ms,
        }
        p.update(override)
        return p


def burst_retry(world, t):
    """Several failures on one card within minutes, then a success."""
    r = world.rng
    card = world.card()
    merchant = world.merchant()
    events = []
    for _ in range(r.randint(3, 7)):
        events.append(world.payment(t, card, merchant_id=merchant, status="failed",
                                    amount=world.amount(5.0, 0.6)))
        t += r.randint(5_000, 60_000)
    events.append(world.payment(t, card, merchant_id=merchant, status="captured",
                                amount=world.amount(5.0, 0.6)))
    return events


def burst_card_testing(world, t):
    """Many cards tried at one merchant with tiny amounts."""
    r = world.rng
    merchant = world.merchant()
    device = world.new_device()
    events = []
    for _ in range(r.randint(10, 25)):
        status = "captured" if r.random() < 0.2 else r.choice(["failed", "declined"])
        events.append(world.payment(t, world.rng.choice(world.cards), merchant_id=merchant,
                                    device_id=device, status=status,
                                    amount=round(r.uniform(0.5, 2.0), 2)))
        t += r.randint(500, 8_000)
    return events


def burst_shared_device(world, t):
    """One device paying with many different cards, often from abroad."""
    r = world.rng
    device = world.new_device()
    ip = world.new_ip()
    country = r.choice(COUNTRIES)[0]
    events = []
    for _ in range(r.randint(6, 15)):
        card = r.choice(world.cards)
        events.append(world.payment(t, card, device_id=device, ip=ip, country=country,
                                    currency=CURRENCY[country],
                                    email=world.new_email(disposable=r.random() < 0.6),
                                    amount=world.amount(4.2, 0.8)))
        t += r.randint(2_000, 40_000)
    return events


BURSTS = [burst_retry, burst_card_testing, burst_shared_device]


def generate(rng, count, start_ms):
    world = World(rng)
    events = []
    t = start_ms
    # one burst for every ~400 regular payments
    n_bursts = max(1, count // 400) if count >= 100 else 0
    burst_at = sorted(rng.randrange(start_ms, start_ms + count * 1000) for _ in range(n_bursts))
    while len(events) < count:
        t += max(1, int(rng.expovariate(1.0) * 1000))
        if burst_at and t >= burst_at[0]:
            burst_at.pop(0)
            burst = rng.choice(BURSTS)(world, t)
            for e in burst:
                e["label"] = 1  # made by a burst: fraud-like
            events += burst
        else:
            events.append(world.payment(t))
    events.sort(key=lambda e: e["t"])
    events = events[:count]
    for i, e in enumerate(events, 1):
        e["payment_id"] = f"p{i:06d}"
    return events


def iso(ms):
    d = datetime.datetime.fromtimestamp(ms // 1000, datetime.timezone.utc)
    return d.strftime("%Y-%m-%dT%H:%M:%S") + f".{ms % 1000:03d}Z"


KEYS = ["payment_id", "card_id", "merchant_id", "device_id", "email", "ip", "country",
        "card_country", "currency", "amount", "status"]


def line_of(e):
    obj = {k: e[k] for k in KEYS}
    obj["ts"] = iso(e["t"])
    return json.dumps(obj, separators=(",", ":"))


def malformed(line, kind):
    """A broken version of a good line."""
    if kind == 0:
        return line[: len(line) // 2]  # cut short: bad JSON
    obj = json.loads(line)
    if kind == 1:
        obj["amount"] = "abc"
    else:
        obj["ts"] = "2024-13-45T99:00:00Z"
    return json.dumps(obj, separators=(",", ":"))


def disorder(rng, events):
    """Some events arrive late, by up to 4 seconds: the log order is the
    arrival order, so event times are out of order by at most that."""
    arrival = [(e["t"] + (rng.randint(0, 4000) if rng.random() < 0.05 else 0), i)
               for i, e in enumerate(events)]
    arrival.sort()
    return [events[i] for _, i in arrival]


def parse_start(text):
    d = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    if d.tzinfo is None:
        d = d.replace(tzinfo=datetime.timezone.utc)
    return int(d.timestamp() * 1000)


def main():
    ap = argparse.ArgumentParser(description="Generate a deterministic log of card payments.")
    ap.add_argument("--seed", type=int, required=True)
    ap.add_argument("--count", type=int, required=True, help="lines to write")
    ap.add_argument("--start", default="2024-05-01T00:00:00Z", help="time of the first payment")
    ap.add_argument("--malformed", type=int, default=0,
                    help="replace this many events by malformed lines")
    ap.add_argument("--out", help="write here instead of standard output")
    ap.add_argument("--labels", help="also write payment_id,label (1 = made by a burst) here")
    args = ap.parse_args()

    rng = random.Random(args.seed)
    events = disorder(rng, generate(rng, args.count, parse_start(args.start)))
    lines = [line_of(e) for e in events]
    if args.malformed and lines:
        for k, i in enumerate(sorted(rng.sample(range(len(lines)), min(args.malformed,
                                                                        len(lines))))):
            lines[i] = malformed(lines[i], k % 3)
    out = open(args.out, "w", encoding="utf-8") if args.out else sys.stdout
    out.write("".join(line + "\n" for line in lines))
    if args.out:
        out.close()
    if args.labels:
        with open(args.labels, "w", encoding="utf-8") as f:
            f.write("payment_id,label\n")
            f.write("".join(f"{e['payment_id']},{e.get('label', 0)}\n" for e in events))


if __name__ == "__main__":
    main()
