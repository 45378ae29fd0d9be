-- The MATCH_RECOGNIZE growth benchmark (scripts/bench_match): (A|B)*C over
-- one partition where every row is A or B (or both) and none is C, so no
-- attempt ever ends before the input does (tests/bench/gen_match.py).
CREATE STREAM s (k STRING, f STRING, ts TIMESTAMP(3), WATERMARK FOR ts AS ts);

SELECT * FROM s MATCH_RECOGNIZE (
  PARTITION BY k ORDER BY ts
  MEASURES COUNT(*) AS c
  PATTERN ((A | B)* C)
  DEFINE A AS f LIKE '%a%', B AS f LIKE '%b%', C AS f = 'c'
);
