-- The live-query benchmark's pipeline (scripts/bench_live): one OVER window
-- per card over the last hour, whose live table card_features holds one row
-- per card_id (1,000,000 of them in the benchmark's log). Every card's
-- amount is the same in each of its events, so the client can check each
-- answer exactly: sum_1h = n_1h * amount, min_1h = max_1h = avg_1h = amount.
CREATE STREAM payments (
    card_id STRING,
    amount  DOUBLE,
    ts      TIMESTAMP(3),
    WATERMARK FOR ts AS ts - INTERVAL '5' SECOND
);

CREATE VIEW card_features AS
SELECT card_id, amount, ts,
       COUNT(*) OVER w AS n_1h,
       SUM(amount) OVER w AS sum_1h,
       MIN(amount) OVER w AS min_1h,
       MAX(amount) OVER w AS max_1h,
       AVG(amount) OVER w AS avg_1h
FROM payments
WINDOW w AS (PARTITION BY card_id ORDER BY ts
             RANGE BETWEEN INTERVAL '1' HOUR PRECEDING AND CURRENT ROW);

SELECT card_id, n_1h, sum_1h FROM card_features;
