-- windows.sql: features over time, per card, device and merchant.
--
-- Per-event sliding features (OVER): at every payment, what the card, its
-- device and its merchant did in the minutes and hours before it, this
-- payment included. They are computed as the payment arrives, over the
-- payments seen so far (docs/windows.md).

CREATE VIEW velocity AS
SELECT
    payment_id,
    card_id,
    device_id,
    merchant_id,
    amount,
    status,
    ts,
    COUNT(*) OVER card_10m                                        AS card_n_10m,
    SUM(amount) OVER card_10m                                     AS card_sum_10m,
    COUNT(*) FILTER (WHERE status <> 'captured') OVER card_1h     AS card_failed_1h,
    COUNT(DISTINCT merchant_id) OVER card_1h                      AS card_merchants_1h,
    MAX(amount) OVER card_24h                                     AS card_max_24h,
    AVG(amount) OVER card_24h                                     AS card_avg_24h,
    COUNT(DISTINCT card_id) OVER device_1h                        AS device_cards_1h,
    COUNT(*) OVER merchant_1m                                     AS merchant_n_1m,
    COUNT(*) FILTER (WHERE amount < 5) OVER merchant_1m           AS merchant_micro_1m
FROM payments
WINDOW
    card_10m    AS (PARTITION BY card_id ORDER BY ts
                    RANGE BETWEEN INTERVAL '10' MINUTE PRECEDING AND CURRENT ROW),
    card_1h     AS (PARTITION BY card_id ORDER BY ts
                    RANGE BETWEEN INTERVAL '1' HOUR PRECEDING AND CURRENT ROW),
    card_24h    AS (PARTITION BY card_id ORDER BY ts
                    RANGE BETWEEN INTERVAL '24' HOUR PRECEDING AND CURRENT ROW),
    device_1h   AS (PARTITION BY device_id ORDER BY ts
                    RANGE BETWEEN INTERVAL '1' HOUR PRECEDING AND CURRENT ROW),
    merchant_1m AS (PARTITION BY merchant_id ORDER BY ts
                    RANGE BETWEEN INTERVAL '1' MINUTE PRECEDING AND CURRENT ROW);

-- Every payment with its velocity features.
INSERT INTO card_velocity
SELECT payment_id, card_id, amount, ts, card_n_10m, card_sum_10m, card_failed_1h,
       card_merchants_1h, card_max_24h, card_avg_24h, device_cards_1h, merchant_n_1m
FROM velocity;

-- Payments whose recent history looks like fraud, with the first signal
-- that fired.
INSERT INTO velocity_alerts
SELECT
    payment_id,
    card_id,
    device_id,
    merchant_id,
    amount,
    CASE
        WHEN card_failed_1h >= 3 AND status = 'captured' THEN 'success_after_failures'
        WHEN device_cards_1h >= 4 THEN 'device_many_cards'
        WHEN merchant_micro_1m >= 5 THEN 'card_testing'
        ELSE 'card_burst'
    END AS reason,
    ts
FROM velocity
WHERE (card_failed_1h >= 3 AND status = 'captured')
   OR device_cards_1h >= 4
   OR merchant_micro_1m >= 5
   OR card_n_10m >= 6;

-- Window aggregates (window TVFs): emitted once the watermark passes the
-- window's end.

-- Minutes in which a merchant took five or more payments.
INSERT INTO merchant_minutes
SELECT window_start, window_end, merchant_id,
       COUNT(*) AS payments,
       SUM(amount) AS total,
       COUNT(*) FILTER (WHERE status <> 'captured') AS not_captured
FROM TABLE(TUMBLE(TABLE payments, DESCRIPTOR(ts), INTERVAL '1' MINUTE))
GROUP BY window_start, window_end, merchant_id
HAVING COUNT(*) >= 5;

-- Sessions of a card (payments less than 10 minutes apart) with three or
-- more payments.
INSERT INTO card_sessions
SELECT window_start, window_end, card_id,
       COUNT(*) AS payments,
       COUNT(DISTINCT merchant_id) AS merchants,
       MAX(amount) AS max_amount
FROM TABLE(SESSION(TABLE payments PARTITION BY card_id, DESCRIPTOR(ts), INTERVAL '10' MINUTE))
GROUP BY window_start, window_end, card_id
HAVING COUNT(*) >= 3;
