-- The MATCH_RECOGNIZE growth benchmark of AFTER MATCH SKIP TO NEXT ROW
-- (scripts/bench_match): (A|B)*C over one partition where every row is A or
-- B (or both) and none is C, so every row starts an attempt that stays open
-- to the end (tests/bench/gen_match.py). After each row, an attempt whose
-- threads are in the states of an earlier open one's follows it instead of
-- being stepped.
CREATE STREAM s (k STRING, f STRING, ts TIMESTAMP(3), WATERMARK FOR ts AS ts);

SELECT * FROM s MATCH_RECOGNIZE (
  PARTITION BY k ORDER BY ts
  MEASURES COUNT(*) AS c
  AFTER MATCH SKIP TO NEXT ROW
  PATTERN ((A | B)* C)
  DEFINE A AS f LIKE '%a%', B AS f LIKE '%b%', C AS f = 'c'
);
