-- The MATCH_RECOGNIZE growth benchmark of a DEFINE that reads the path
-- (scripts/bench_match): (A|B)*C where C counts the rows mapped to A so far,
-- over one partition where no row is C (tests/bench/gen_match.py). A
-- thread's future depends on its path; threads merge by their paths' keys
-- (here the count of A rows), so an attempt holds at most rows + 1 threads
-- per state, where merging only equal paths held one per way of choosing A
-- or B (2^n).
CREATE STREAM s (k STRING, f STRING, ts TIMESTAMP(3), WATERMARK FOR ts AS ts);

SELECT * FROM s MATCH_RECOGNIZE (
  PARTITION BY k ORDER BY ts
  MEASURES COUNT(*) AS c
  PATTERN ((A | B)* C)
  DEFINE A AS f LIKE '%a%', B AS f LIKE '%b%', C AS f = 'c' AND COUNT(A.*) > 1000
);
