"""changes.py — the edits the reload tests make to base.sql.

Each change is what an analyst would do to the running pipeline: what it
is (the file's first line: "-- NAME.sql: base.sql with ..."), then (old,
new) replacements of text that occurs exactly once in base.sql. write()
makes the files in a directory, so that a reload is from a real file, its
errors name that file, and their lines are those of base.sql (the two-line
comment becomes one line: line numbers move up by one).
"""
import os

HERE = os.path.dirname(os.path.abspath(__file__))

LAST_FEATURE = "    COUNT(*) OVER merchant_1m                                 AS merchant_n_1m\n"
HOUR = "RANGE BETWEEN INTERVAL '1' HOUR PRECEDING AND CURRENT ROW),\n    device_1h"

CHANGES = {
    "add_feature": ("with three more card features (rebuilt from the rows held)", [
        (LAST_FEATURE,
         "    COUNT(*) OVER merchant_1m                                 AS merchant_n_1m,\n"
         "    AVG(amount) OVER card_10m                                 AS card_avg_10m,\n"
         "    COUNT(*) OVER card_30m                                    AS card_n_30m,\n"
         "    MAX(amount) OVER card_1h                                  AS card_max_1h\n"),
        ("    card_1h     AS",
         "    card_30m    AS (PARTITION BY card_id ORDER BY ts\n"
         "                    RANGE BETWEEN INTERVAL '30' MINUTE PRECEDING AND CURRENT ROW),\n"
         "    card_1h     AS"),
        ("       device_cards_1h, merchant_n_1m\n",
         "       device_cards_1h, merchant_n_1m, card_avg_10m, card_n_30m, card_max_1h\n")]),
    "add_sink": ("with one more sink (new)", [
        ("\n-- Every event, once.\n",
         "\n-- Large payments.\n"
         "INSERT INTO big_payments SELECT payment_id, amount, ts FROM payments "
         "WHERE amount >= 300;\n\n-- Every event, once.\n")]),
    "broken": ("with a typo (does not compile: nothing changes)", [
        ("    SUM(amount) OVER card_10m                                 AS card_sum_10m,",
         "    SUM(amout) OVER card_10m                                  AS card_sum_10m,")]),
    "filter": ("with another filter on captured (its GROUP BY starts empty)", [
        ("WHERE status = 'captured';", "WHERE status = 'captured' AND amount >= 20;")]),
    "remove_view": ("without merchant_totals and its sink (dropped)", [
        ("\nCREATE VIEW merchant_totals AS\n"
         "SELECT merchant_id, COUNT(*) AS payments, SUM(amount) AS total\n"
         "FROM captured\n"
         "GROUP BY merchant_id;\n\n"
         "INSERT INTO merchant_totals_out SELECT * FROM merchant_totals;\n", "")]),
    "window_grow": ("with the card hour window grown to 2 hours (empty)", [
        (HOUR, HOUR.replace("'1' HOUR", "'2' HOUR"))]),
    "window_size": ("with the card hour window cut to 30 minutes (rebuilt)", [
        (HOUR, HOUR.replace("'1' HOUR", "'30' MINUTE"))]),
}


def text(change):
    """base.sql as the change leaves it (base.sql itself for "base")."""
    base = open(os.path.join(HERE, "base.sql")).read()
    if change == "base":
        return base
    what, edits = CHANGES[change]
    head, body = base.split("\n\n", 1)  # base.sql's comment, then the SQL
    body = "\n" + body
    for old, new in edits:
        assert body.count(old) == 1, f"{change}: {old!r} is not in base.sql exactly once"
        body = body.replace(old, new)
    return f"-- {change}.sql: base.sql {what}.\n{body}"


def write(directory):
    """Write base.sql and every change into directory; return {name: path}."""
    paths = {}
    for change in ["base", *CHANGES]:
        paths[change] = os.path.join(directory, change + ".sql")
        with open(paths[change], "w") as f:
            f.write(text(change))
    return paths
