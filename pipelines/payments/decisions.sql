-- decisions.sql: a fraud score and a decision for every payment.
--
-- The model fraud_xgb (model/train.py trains it on generated payments,
-- from these same feature definitions) scores the velocity features of
-- windows.sql; the ruleset payment_rules (rules.yaml) turns the score and
-- the features into a decision: allow, review or block. Two sinks:
-- `decisions`, what the payment flow acts on, and `feature_log`, the
-- feature vector, score and decision of every payment: the training rows
-- of the next model, from exactly the SQL that runs online.

CREATE MODEL fraud_xgb
    INPUT (
        amount            DOUBLE,
        card_n_10m        BIGINT,
        card_sum_10m      DOUBLE,
        card_failed_1h    BIGINT,
        card_merchants_1h BIGINT,
        card_max_24h      DOUBLE,
        card_avg_24h      DOUBLE,
        device_cards_1h   BIGINT,
        merchant_n_1m     BIGINT,
        merchant_micro_1m BIGINT
    )
    OUTPUT (fraud_score DOUBLE)
    WITH ('type' = 'xgboost', 'path' = 'model/fraud_xgb.json',
          'version_column' = 'model_version');

-- Every payment with its velocity features, fraud_score and model_version.
CREATE VIEW scored AS
SELECT * FROM ML_PREDICT(TABLE velocity, MODEL fraud_xgb,
                         DESCRIPTOR(amount, card_n_10m, card_sum_10m, card_failed_1h,
                                    card_merchants_1h, card_max_24h, card_avg_24h,
                                    device_cards_1h, merchant_n_1m, merchant_micro_1m));

CREATE RULESET payment_rules WITH ('file' = 'rules.yaml', 'default' = 'allow');

-- ... and decision, rule_id, matched_rules, shadow_rules, rules_version.
CREATE VIEW decided AS
SELECT * FROM APPLY_RULES(TABLE scored, RULESET payment_rules);

-- What the payment flow acts on.
INSERT INTO decisions
SELECT payment_id, card_id, amount, ts, fraud_score, decision, rule_id, matched_rules,
       shadow_rules, rules_version
FROM decided;

-- Training rows: key, event time, feature vector, model version, score and
-- decision of every payment.
INSERT INTO feature_log
SELECT payment_id, card_id, ts,
       amount, card_n_10m, card_sum_10m, card_failed_1h, card_merchants_1h, card_max_24h,
       card_avg_24h, device_cards_1h, merchant_n_1m, merchant_micro_1m,
       model_version, fraud_score, decision, rules_version
FROM decided;
