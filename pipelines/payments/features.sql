-- features.sql: the payments stream and its stateless features.
--
-- Every payment gets features computed from the event alone: an amount
-- band, the e-mail domain and whether it is a throw-away one, whether the
-- card is used outside its issuing country, the hour of day. Later issues
-- add per-card windows, event patterns, a model and rules on top of them.

CREATE STREAM payments (
    payment_id   STRING,
    card_id      STRING,
    merchant_id  STRING,
    device_id    STRING,
    email        STRING,
    ip           STRING,
    country      STRING,       -- where the payment is made (ISO 3166 alpha-2)
    card_country STRING,       -- where the card was issued
    currency     STRING,
    amount       DOUBLE,
    status       STRING,       -- captured, failed or declined
    ts           TIMESTAMP(3),
    WATERMARK FOR ts AS ts - INTERVAL '5' SECOND
);

CREATE VIEW enriched AS
SELECT
    payment_id,
    card_id,
    merchant_id,
    device_id,
    amount,
    status,
    ts,
    CASE
        WHEN amount IS NULL THEN 'unknown'
        WHEN amount < 5 THEN 'micro'
        WHEN amount < 50 THEN 'small'
        WHEN amount < 500 THEN 'medium'
        ELSE 'large'
    END AS amount_band,
    LOWER(SPLIT_INDEX(TRIM(email), '@', 1)) AS email_domain,
    COALESCE(REGEXP(LOWER(email),
                    '@(mailinator|guerrillamail|yopmail|10minutemail|trashmail)[.]'),
             FALSE) AS disposable_email,
    MD5(LOWER(TRIM(email))) AS email_hash,
    country <> card_country AS cross_border,
    EXTRACT(HOUR FROM ts) AS hour_of_day,
    FLOOR(ts TO HOUR) AS hour_start
FROM payments;

-- One row of features per payment.
INSERT INTO features
SELECT payment_id, card_id, amount, amount_band, email_domain, disposable_email, email_hash,
       cross_border, hour_of_day, hour_start, ts
FROM enriched;

-- Large captured payments, for the review queue.
INSERT INTO high_value
SELECT payment_id, card_id, merchant_id, amount, currency, country, ts
FROM payments
WHERE amount >= 500 AND status = 'captured';

-- Payments with a risk signal in the event itself, and the first signal
-- that fired.
INSERT INTO flagged
SELECT
    payment_id,
    card_id,
    device_id,
    amount,
    status,
    CASE
        WHEN disposable_email AND cross_border THEN 'disposable_email_abroad'
        WHEN disposable_email THEN 'disposable_email'
        WHEN amount_band = 'micro' AND status <> 'captured' THEN 'micro_probe'
        WHEN cross_border AND amount >= 300 THEN 'large_abroad'
        ELSE 'night_large'
    END AS reason,
    ts
FROM enriched
WHERE disposable_email
   OR (amount_band = 'micro' AND status <> 'captured')
   OR (cross_border AND amount >= 300)
   OR (hour_of_day < 5 AND amount >= 200);
