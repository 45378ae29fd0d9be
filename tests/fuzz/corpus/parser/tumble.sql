SELECT window_start, window_end, merchant_id, COUNT(*) AS n, SUM(amount) AS total
FROM TABLE(TUMBLE(TABLE payments, DESCRIPTOR(ts), INTERVAL '1' MINUTE))
GROUP BY window_start, window_end, merchant_id;
