-- KPI 12: Cumulative GPA trajectory for a cohort (running window).
-- Answers: for each first-time full-time fall cohort (dim_student.ipeds_cohort_term_key), the
--   average cumulative GPA of its students after each term they were enrolled in. Each
--   student's cumulative GPA is recomputed with a running window over fact_student_term
--   (sum of term quality points / sum of GPA credits, from the cohort term on); the cohort
--   figure is both the mean of students' cumulative GPAs and the pooled (credit-weighted) GPA.
-- Grain: one row per cohort x term (term_number = terms since the cohort term, 1 = cohort term).
-- Reads: dim_student, fact_student_term, dim_term.
WITH cohort AS (
  SELECT s.student_id, MAX(s.ipeds_cohort_term_key) AS cohort_term_key
  FROM dim_student s
  WHERE s.ipeds_cohort_term_key IS NOT NULL
  GROUP BY s.student_id
),
running AS (
  SELECT
    c.cohort_term_key,
    st.student_id,
    st.term_key,
    SUM(st.term_quality_points) OVER (PARTITION BY st.student_id ORDER BY st.term_key
                                      ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS cum_quality_points,
    SUM(st.term_gpa_credits)    OVER (PARTITION BY st.student_id ORDER BY st.term_key
                                      ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS cum_gpa_credits
  FROM fact_student_term st
  JOIN cohort c ON c.student_id = st.student_id
  WHERE st.term_key >= c.cohort_term_key
)
SELECT
  r.cohort_term_key,
  ct.term_name                                  AS cohort_term_name,
  r.term_key,
  t.term_name,
  t.term_seq - ct.term_seq + 1                  AS term_number,
  COUNT(*)                                      AS students_enrolled,
  COUNT(CASE WHEN r.cum_gpa_credits > 0 THEN 1 END) AS students_with_gpa,
  ROUND(AVG(CASE WHEN r.cum_gpa_credits > 0
                 THEN CAST(r.cum_quality_points AS DOUBLE) / CAST(r.cum_gpa_credits AS DOUBLE) END), 6)
                                                AS avg_cumulative_gpa,
  ROUND(CAST(SUM(r.cum_quality_points) AS DOUBLE)
        / CAST(NULLIF(SUM(r.cum_gpa_credits), 0) AS DOUBLE), 6) AS pooled_cumulative_gpa
FROM running r
JOIN dim_term ct ON ct.term_key = r.cohort_term_key
JOIN dim_term t  ON t.term_key = r.term_key
GROUP BY r.cohort_term_key, ct.term_name, r.term_key, t.term_name, t.term_seq, ct.term_seq
ORDER BY r.cohort_term_key, r.term_key;
