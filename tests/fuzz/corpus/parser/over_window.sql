CREATE VIEW card_features AS
SELECT payment_id, card_id, amount, ts,
       COUNT(*)    OVER w1h AS card_txn_1h,
       SUM(amount) OVER w1h AS card_amount_1h,
       COUNT(DISTINCT merchant_id) OVER w24h AS card_merchants_24h
FROM payments
WINDOW w1h  AS (PARTITION BY card_id ORDER BY ts
                RANGE BETWEEN INTERVAL '1' HOUR PRECEDING AND CURRENT ROW),
       w24h AS (PARTITION BY card_id ORDER BY ts
                RANGE BETWEEN INTERVAL '24' HOUR PRECEDING AND CURRENT ROW);
