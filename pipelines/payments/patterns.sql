-- patterns.sql: event patterns over each card's payments (MATCH_RECOGNIZE,
-- docs/match_recognize.md), on event time.
--
-- Four sinks, one pattern each:
--   fail_then_success     three or more failed payments, then a captured one,
--                         all within 10 minutes (retries that end in a success)
--   country_hops          a card paying in another country than a payment it
--                         made less than an hour before
--   rising_amounts        four or more payments whose amounts rise step by
--                         step within an hour
--   unrecovered_failures  a failed payment that no captured payment follows
--                         within 10 minutes (an absence: EMIT TIMEOUTS)

INSERT INTO fail_then_success
SELECT * FROM payments MATCH_RECOGNIZE (
    PARTITION BY card_id
    ORDER BY ts
    MEASURES FIRST(F.ts)     AS first_fail_ts,
             COUNT(F.*)      AS fails,
             S.payment_id    AS success_payment_id,
             S.amount        AS success_amount,
             S.ts            AS success_ts
    ONE ROW PER MATCH
    AFTER MATCH SKIP PAST LAST ROW
    PATTERN (F{3,} S) WITHIN INTERVAL '10' MINUTE
    DEFINE F AS status = 'failed',
           S AS status = 'captured'
);

-- A: a payment; SAME: later ones in A's country; B: the first in another
-- country. The hop's payment may start the next match (SKIP TO LAST B).
INSERT INTO country_hops
SELECT * FROM payments MATCH_RECOGNIZE (
    PARTITION BY card_id
    ORDER BY ts
    MEASURES A.country    AS from_country,
             A.ts         AS from_ts,
             B.country    AS to_country,
             B.ts         AS to_ts,
             B.payment_id AS payment_id
    ONE ROW PER MATCH
    AFTER MATCH SKIP TO LAST B
    PATTERN (A SAME* B) WITHIN INTERVAL '1' HOUR
    DEFINE SAME AS country = A.country,
           B    AS country <> A.country
);

-- START: any payment (no DEFINE); UP: more than the card's payment before.
INSERT INTO rising_amounts
SELECT * FROM payments MATCH_RECOGNIZE (
    PARTITION BY card_id
    ORDER BY ts
    MEASURES FIRST(ts)        AS first_ts,
             LAST(ts)         AS last_ts,
             COUNT(*)         AS payments,
             ARRAY_AGG(amount) AS amounts
    ONE ROW PER MATCH
    AFTER MATCH SKIP PAST LAST ROW
    PATTERN (START UP{3,}) WITHIN INTERVAL '1' HOUR
    DEFINE UP AS amount > PREV(amount)
);

-- Every failed payment is an attempt: OTHER takes the card's payments that
-- are not captured, S the first captured one. An attempt that 10 minutes
-- end while it waits for S is output with TIMED_OUT() TRUE.
CREATE VIEW failure_outcomes AS
SELECT * FROM payments MATCH_RECOGNIZE (
    PARTITION BY card_id
    ORDER BY ts
    MEASURES F.payment_id   AS failed_payment_id,
             F.amount       AS failed_amount,
             F.ts           AS failed_ts,
             COUNT(OTHER.*) AS retries,
             TIMED_OUT()    AS unrecovered
    ONE ROW PER MATCH
    PATTERN (F OTHER* S) WITHIN INTERVAL '10' MINUTE EMIT TIMEOUTS
    DEFINE F     AS status = 'failed',
           OTHER AS status <> 'captured',
           S     AS status = 'captured'
);

INSERT INTO unrecovered_failures
SELECT card_id, failed_payment_id, failed_amount, failed_ts, retries
FROM failure_outcomes
WHERE unrecovered;
