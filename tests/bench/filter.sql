-- The spine benchmark's pipeline: a filter and a projection over payments.
CREATE STREAM payments (
  payment_id STRING, card_id STRING, merchant_id STRING, device_id STRING,
  email STRING, ip STRING, country STRING, currency STRING,
  amount DOUBLE, status STRING, ts TIMESTAMP(3)
);

SELECT payment_id, card_id, amount FROM payments WHERE amount >= 100;
