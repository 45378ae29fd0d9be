-- tests/bench/kafka_passthrough.sql — the payments stream of pipelines/payments
-- (features.sql), written unchanged to the decisions sink: scripts/bench_kafka
-- runs it under `vigil run` to measure the runner (consume, decode, encode,
-- produce) without the pipeline's operators.

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

INSERT INTO decisions SELECT * FROM payments;
