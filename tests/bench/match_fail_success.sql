-- The MATCH_RECOGNIZE benchmark's pipeline (scripts/bench_match): three or
-- more failed payments then a success within 10 minutes, per card, over
-- the payments log (scripts/gen_payments.py's columns).
CREATE STREAM payments (
  payment_id STRING, card_id STRING, merchant_id STRING, device_id STRING,
  email STRING, ip STRING, country STRING, card_country STRING, currency STRING,
  amount DOUBLE, status STRING, ts TIMESTAMP(3),
  WATERMARK FOR ts AS ts - INTERVAL '5' SECOND
);

SELECT * FROM payments MATCH_RECOGNIZE (
  PARTITION BY card_id ORDER BY ts
  MEASURES FIRST(F.ts) AS first_fail, S.ts AS success_ts, COUNT(F.*) AS fails,
           S.payment_id AS success_id
  ONE ROW PER MATCH
  AFTER MATCH SKIP PAST LAST ROW
  PATTERN (F{3,} S) WITHIN INTERVAL '10' MINUTE
  DEFINE F AS status = 'failed', S AS status = 'captured'
);
