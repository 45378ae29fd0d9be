CREATE STREAM payments (
  payment_id TEXT, card_id TEXT, merchant_id TEXT, device_id TEXT,
  amount DOUBLE, status TEXT, ts TIMESTAMP(3),
  WATERMARK FOR ts AS ts - INTERVAL '5' SECOND
) WITH ('connector' = 'kafka', 'topic' = 'payments');
