CREATE VIEW big AS SELECT payment_id, amount FROM payments WHERE amount > 1000;
