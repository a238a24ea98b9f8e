-- KPI 23: Time to degree: median and p90 terms to conferral by program.
-- Answers: for each degree program, the number of degrees conferred and the median, 90th
--   percentile (continuous, linear interpolation between closest ranks, as PERCENTILE_CONT)
--   and mean number of terms from the student's entry term to the conferral term, counted
--   inclusively in dim_term.term_seq (summer terms count as terms):
--   terms = conferral term_seq - entry term_seq + 1. The entry term comes from the
--   dim_student version the degree points to.
--   Portability note: the p90 is computed with ranks instead of percentile_cont(0.9) because
--   DataFusion 55 truncates the interpolation weight to 6 decimals (0.9 * (n-1) is inexact in
--   binary), so it differs from DuckDB by up to 1e-6 x (gap between the two ranks). The
--   rank-based form is exact: position 9*(n-1)/10, weight ((9*(n-1)) mod 10)/10.
--   The median uses percentile_cont(0.5), whose weight (0 or 0.5) is exact in both engines.
-- Grain: one row per program.
-- Reads: fact_degree, dim_student, dim_program, dim_term.
WITH ttd AS (
  SELECT
    d.degree_id,
    d.program_key,
    CAST(ct.term_seq - et.term_seq + 1 AS DOUBLE) AS terms_to_degree
  FROM fact_degree d
  JOIN dim_student s ON s.student_key = d.student_key
  JOIN dim_term et   ON et.term_key = s.entry_term_key
  JOIN dim_term ct   ON ct.term_key = d.conferral_term_key
),
ranked AS (
  SELECT
    x.program_key,
    x.terms_to_degree,
    ROW_NUMBER() OVER (PARTITION BY x.program_key ORDER BY x.terms_to_degree, x.degree_id) - 1 AS idx,
    COUNT(*) OVER (PARTITION BY x.program_key) AS n
  FROM ttd x
),
stats AS (
  SELECT
    r.program_key,
    COUNT(*)                                                                   AS degrees,
    percentile_cont(0.5) WITHIN GROUP (ORDER BY r.terms_to_degree)             AS median_terms,
    MAX(CASE WHEN r.idx * 10 <= 9 * (r.n - 1) THEN r.terms_to_degree END)      AS p90_lower,
    MIN(CASE WHEN r.idx * 10 >= 9 * (r.n - 1) THEN r.terms_to_degree END)      AS p90_upper,
    CAST((9 * (MAX(r.n) - 1)) % 10 AS DOUBLE) / CAST(10 AS DOUBLE)             AS p90_weight,
    SUM(r.terms_to_degree)                                                     AS total_terms,
    MIN(r.terms_to_degree)                                                     AS min_terms,
    MAX(r.terms_to_degree)                                                     AS max_terms
  FROM ranked r
  GROUP BY r.program_key
)
SELECT
  p.program_code,
  p.program_name,
  p.degree_level,
  p.normal_time_terms,
  s.degrees,
  ROUND(s.median_terms, 6)                                                    AS median_terms_to_degree,
  ROUND(s.p90_lower + (s.p90_upper - s.p90_lower) * s.p90_weight, 6)          AS p90_terms_to_degree,
  ROUND(s.total_terms / CAST(s.degrees AS DOUBLE), 6)                         AS mean_terms_to_degree,
  s.min_terms                                                                 AS min_terms_to_degree,
  s.max_terms                                                                 AS max_terms_to_degree
FROM stats s
JOIN dim_program p ON p.program_key = s.program_key
ORDER BY p.program_code;
