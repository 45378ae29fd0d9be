-- The OVER benchmark's output without the OVER windows (scripts/bench_over,
-- measurement (6)): the row features20.sql writes for every payment, the same 23
-- columns of the same types, but each value taken from the event itself (counts as
-- small constants, sums, maxima and averages as sums and products of the amount), so
-- that no operator but the projection runs. Decoding the payment and encoding this
-- row is work features20.sql also does for every event, with values at least as
-- short: what its input and output alone cost on this machine.
CREATE STREAM payments (
  payment_id STRING, card_id STRING, merchant_id STRING, device_id STRING,
  email STRING, ip STRING, country STRING, currency STRING,
  amount DOUBLE, status STRING, ts TIMESTAMP(3)
);

SELECT payment_id, card_id, amount,
  1 AS card_n_1m,
  amount + 1 AS card_sum_1m,
  2 AS card_n_1h,
  amount + 2 AS card_sum_1h,
  amount * 2 AS card_max_1h,
  1 AS card_merchants_1h,
  0 AS card_failed_1h,
  3 AS card_n_24h,
  amount * 3 AS card_sum_24h,
  amount / 2 AS card_avg_24h,
  amount + 3 AS card_max_24h,
  2 AS card_merchants_24h,
  4 AS device_n_1h,
  1 AS device_cards_1h,
  5 AS device_n_24h,
  amount * 5 AS device_sum_24h,
  6 AS merchant_n_1m,
  amount + 5 AS merchant_sum_1m,
  7 AS merchant_n_1h,
  amount / 4 AS merchant_avg_1h
FROM payments;
