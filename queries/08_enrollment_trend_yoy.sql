-- KPI 08: Enrollment trend: headcount, FTE, credit hours by term with year-over-year change.
-- Answers: per term, the census headcount (distinct students in fact_student_term), full-time
--   headcount, credit hours attempted and FTE, each compared with the same term one academic
--   year earlier (dim_term.term_seq - 3: fall vs fall, spring vs spring, summer vs summer).
--   FTE definition: undergraduate credit hours / 15 + graduate (class_level 'GR') credit
--   hours / 12 (one full-time load each).
-- Grain: one row per term that has census data (including the in-progress term).
-- Reads: fact_student_term, dim_term.
WITH by_term AS (
  SELECT
    st.term_key,
    COUNT(DISTINCT st.student_id)                                          AS headcount,
    COUNT(DISTINCT CASE WHEN st.is_full_time THEN st.student_id END)       AS full_time_headcount,
    SUM(st.credits_attempted)                                              AS credit_hours,
    SUM(CASE WHEN st.class_level = 'GR' THEN 0 ELSE st.credits_attempted END) AS ug_credit_hours,
    SUM(CASE WHEN st.class_level = 'GR' THEN st.credits_attempted ELSE 0 END) AS gr_credit_hours
  FROM fact_student_term st
  GROUP BY st.term_key
),
cur AS (
  SELECT
    t.term_key,
    t.term_name,
    t.term_type,
    t.academic_year,
    t.term_seq,
    b.headcount,
    b.full_time_headcount,
    b.credit_hours,
    CAST(b.ug_credit_hours AS DOUBLE) / CAST(15 AS DOUBLE)
      + CAST(b.gr_credit_hours AS DOUBLE) / CAST(12 AS DOUBLE)            AS fte
  FROM by_term b
  JOIN dim_term t ON t.term_key = b.term_key
)
SELECT
  c.term_key,
  c.term_name,
  c.term_type,
  c.academic_year,
  c.headcount,
  c.full_time_headcount,
  c.credit_hours,
  ROUND(c.fte, 6)                   AS fte,
  p.term_key                        AS prior_year_term_key,
  p.headcount                       AS prior_year_headcount,
  c.headcount - p.headcount         AS headcount_change,
  ROUND(CAST(c.headcount - p.headcount AS DOUBLE) / CAST(NULLIF(p.headcount, 0) AS DOUBLE), 6) AS headcount_change_pct,
  c.credit_hours - p.credit_hours   AS credit_hours_change,
  ROUND(CAST(c.credit_hours - p.credit_hours AS DOUBLE)
        / CAST(NULLIF(p.credit_hours, 0) AS DOUBLE), 6)                   AS credit_hours_change_pct,
  ROUND(c.fte - p.fte, 6)           AS fte_change,
  ROUND((c.fte - p.fte) / NULLIF(p.fte, CAST(0 AS DOUBLE)), 6)            AS fte_change_pct
FROM cur c
LEFT JOIN cur p ON p.term_seq = c.term_seq - 3
ORDER BY c.term_key;
