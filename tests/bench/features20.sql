-- The OVER benchmark's query (scripts/bench_over): 20 sliding features per
-- payment over 7 windows (card 1 min / 1 h / 24 h, device 1 h / 24 h, merchant
-- 1 min / 1 h): counts, sums, maxima, averages, distinct merchants and cards,
-- and a FILTER count. tests/bench/sqlite_over.c computes the same 20 in SQLite.
CREATE STREAM payments (
  payment_id STRING, card_id STRING, merchant_id STRING, device_id STRING,
  email STRING, ip STRING, country STRING, currency STRING,
  amount DOUBLE, status STRING, ts TIMESTAMP(3),
  WATERMARK FOR ts AS ts - INTERVAL '5' SECOND
);

SELECT payment_id, card_id, amount,
  COUNT(*) OVER c1m AS card_n_1m,
  SUM(amount) OVER c1m AS card_sum_1m,
  COUNT(*) OVER c1h AS card_n_1h,
  SUM(amount) OVER c1h AS card_sum_1h,
  MAX(amount) OVER c1h AS card_max_1h,
  COUNT(DISTINCT merchant_id) OVER c1h AS card_merchants_1h,
  COUNT(*) FILTER (WHERE status <> 'captured') OVER c1h AS card_failed_1h,
  COUNT(*) OVER c24h AS card_n_24h,
  SUM(amount) OVER c24h AS card_sum_24h,
  AVG(amount) OVER c24h AS card_avg_24h,
  MAX(amount) OVER c24h AS card_max_24h,
  COUNT(DISTINCT merchant_id) OVER c24h AS card_merchants_24h,
  COUNT(*) OVER d1h AS device_n_1h,
  COUNT(DISTINCT card_id) OVER d1h AS device_cards_1h,
  COUNT(*) OVER d24h AS device_n_24h,
  SUM(amount) OVER d24h AS device_sum_24h,
  COUNT(*) OVER m1m AS merchant_n_1m,
  SUM(amount) OVER m1m AS merchant_sum_1m,
  COUNT(*) OVER m1h AS merchant_n_1h,
  AVG(amount) OVER m1h AS merchant_avg_1h
FROM payments
WINDOW
  c1m AS (PARTITION BY card_id ORDER BY ts
      RANGE BETWEEN INTERVAL '1' MINUTE PRECEDING AND CURRENT ROW),
  c1h AS (PARTITION BY card_id ORDER BY ts
      RANGE BETWEEN INTERVAL '1' HOUR PRECEDING AND CURRENT ROW),
  c24h AS (PARTITION BY card_id ORDER BY ts
      RANGE BETWEEN INTERVAL '24' HOUR PRECEDING AND CURRENT ROW),
  d1h AS (PARTITION BY device_id ORDER BY ts
      RANGE BETWEEN INTERVAL '1' HOUR PRECEDING AND CURRENT ROW),
  d24h AS (PARTITION BY device_id ORDER BY ts
      RANGE BETWEEN INTERVAL '24' HOUR PRECEDING AND CURRENT ROW),
  m1m AS (PARTITION BY merchant_id ORDER BY ts
      RANGE BETWEEN INTERVAL '1' MINUTE PRECEDING AND CURRENT ROW),
  m1h AS (PARTITION BY merchant_id ORDER BY ts
      RANGE BETWEEN INTERVAL '1' HOUR PRECEDING AND CURRENT ROW);
