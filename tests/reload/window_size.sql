-- window_size.sql: base.sql with the card hour window cut to 30 minutes (rebuilt).

CREATE STREAM payments (
    payment_id   STRING,
    card_id      STRING,
    merchant_id  STRING,
    device_id    STRING,
    email        STRING,
    ip           STRING,
    country      STRING,
    card_country STRING,
    currency     STRING,
    amount       DOUBLE,
    status       STRING,
    ts           TIMESTAMP(3),
    WATERMARK FOR ts AS ts - INTERVAL '5' SECOND
);

CREATE VIEW velocity AS
SELECT
    payment_id, card_id, device_id, merchant_id, amount, status, ts,
    COUNT(*) OVER card_10m                                    AS card_n_10m,
    SUM(amount) OVER card_10m                                 AS card_sum_10m,
    COUNT(*) FILTER (WHERE status <> 'captured') OVER card_1h AS card_failed_1h,
    COUNT(DISTINCT merchant_id) OVER card_1h                  AS card_merchants_1h,
    COUNT(DISTINCT card_id) OVER device_1h                    AS device_cards_1h,
    COUNT(*) OVER merchant_1m                                 AS merchant_n_1m
FROM payments
WINDOW
    card_10m    AS (PARTITION BY card_id ORDER BY ts
                    RANGE BETWEEN INTERVAL '10' MINUTE PRECEDING AND CURRENT ROW),
    card_1h     AS (PARTITION BY card_id ORDER BY ts
                    RANGE BETWEEN INTERVAL '30' MINUTE PRECEDING AND CURRENT ROW),
    device_1h   AS (PARTITION BY device_id ORDER BY ts
                    RANGE BETWEEN INTERVAL '1' HOUR PRECEDING AND CURRENT ROW),
    merchant_1m AS (PARTITION BY merchant_id ORDER BY ts
                    RANGE BETWEEN INTERVAL '1' MINUTE PRECEDING AND CURRENT ROW);

INSERT INTO card_velocity
SELECT payment_id, card_id, ts, card_n_10m, card_sum_10m, card_failed_1h, card_merchants_1h,
       device_cards_1h, merchant_n_1m
FROM velocity;

-- Every event, once.
INSERT INTO events SELECT payment_id, card_id, amount, status, ts FROM payments;

CREATE VIEW captured AS SELECT * FROM payments WHERE status = 'captured';

CREATE VIEW merchant_totals AS
SELECT merchant_id, COUNT(*) AS payments, SUM(amount) AS total
FROM captured
GROUP BY merchant_id;

INSERT INTO merchant_totals_out SELECT * FROM merchant_totals;

INSERT INTO card_minutes
SELECT window_start, window_end, card_id, COUNT(*) AS payments
FROM TABLE(TUMBLE(TABLE payments, DESCRIPTOR(ts), INTERVAL '1' MINUTE))
GROUP BY window_start, window_end, card_id;
