-- KPI 04: Fall-to-fall retention of first-time full-time cohorts.
-- Answers: of each IPEDS first-time, full-time, degree-seeking fall cohort
--   (dim_student.ipeds_cohort_term_key, and full-time at that fall's census in
--   fact_student_term), how many were enrolled (a fact_student_term row) the next fall.
--   Only cohorts whose next fall already has census data are reported.
-- Grain: one row per cohort fall term.
-- Reads: dim_student, fact_student_term, dim_term.
WITH cohort AS (
  SELECT s.student_id, MAX(s.ipeds_cohort_term_key) AS cohort_term_key
  FROM dim_student s
  WHERE s.ipeds_cohort_term_key IS NOT NULL
  GROUP BY s.student_id
),
cohort_members AS (
  SELECT c.student_id, c.cohort_term_key
  FROM cohort c
  JOIN fact_student_term st
    ON st.student_id = c.student_id AND st.term_key = c.cohort_term_key
  WHERE st.is_full_time
),
cohort_terms AS (
  SELECT
    ct.term_key  AS cohort_term_key,
    ct.term_name AS cohort_term_name,
    nf.term_key  AS next_fall_term_key
  FROM dim_term ct
  JOIN dim_term nf ON nf.term_type = 'FALL' AND nf.term_seq = ct.term_seq + 3
  WHERE ct.term_type = 'FALL'
    AND nf.term_key <= (SELECT MAX(term_key) FROM fact_student_term)
)
SELECT
  ctm.cohort_term_key,
  ctm.cohort_term_name,
  ctm.next_fall_term_key,
  COUNT(DISTINCT m.student_id)  AS cohort_size,
  COUNT(DISTINCT r.student_id)  AS retained,
  ROUND(CAST(COUNT(DISTINCT r.student_id) AS DOUBLE)
        / CAST(COUNT(DISTINCT m.student_id) AS DOUBLE), 6) AS retention_rate
FROM cohort_terms ctm
JOIN cohort_members m ON m.cohort_term_key = ctm.cohort_term_key
LEFT JOIN fact_student_term r
  ON r.student_id = m.student_id AND r.term_key = ctm.next_fall_term_key
GROUP BY ctm.cohort_term_key, ctm.cohort_term_name, ctm.next_fall_term_key
ORDER BY ctm.cohort_term_key;
