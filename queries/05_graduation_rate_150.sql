-- KPI 05: Graduation rate within 150% of normal time by entry cohort.
-- Answers: for each first-time full-time fall cohort (as in KPI 04), the share that earned
--   an undergraduate degree (ASSOCIATE or BACHELOR, first conferral per student) within 150%
--   of the degree program's normal time. Time is counted in regular (fall/spring) terms from
--   the cohort term through the conferral term inclusive (dim_term), and a graduate counts
--   when 2 * regular_terms <= 3 * dim_program.normal_time_terms.
--   regular_terms_observed says how many regular terms of the cohort the data cover so far:
--   while it is below 1.5 x normal time (12 for a bachelor) the rate is "to date".
-- Grain: one row per cohort fall term.
-- Reads: dim_student, fact_student_term, fact_degree, dim_program, dim_term.
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
ranked_degrees AS (
  SELECT
    d.student_id,
    d.program_key,
    d.conferral_term_key,
    ROW_NUMBER() OVER (PARTITION BY d.student_id
                       ORDER BY d.conferral_term_key, d.degree_id) AS rn
  FROM fact_degree d
  WHERE d.degree_level IN ('ASSOCIATE', 'BACHELOR')
),
grads AS (
  SELECT
    m.student_id,
    m.cohort_term_key,
    p.normal_time_terms,
    COUNT(*) AS regular_terms_to_degree
  FROM cohort_members m
  JOIN ranked_degrees rd ON rd.student_id = m.student_id AND rd.rn = 1
  JOIN dim_program p     ON p.program_key = rd.program_key
  JOIN dim_term ct       ON ct.term_key = m.cohort_term_key
  JOIN dim_term cf       ON cf.term_key = rd.conferral_term_key
  JOIN dim_term rt       ON rt.term_seq >= ct.term_seq AND rt.term_seq <= cf.term_seq
                        AND rt.term_type IN ('FALL', 'SPRING')
  GROUP BY m.student_id, m.cohort_term_key, p.normal_time_terms
),
observed AS (
  SELECT ct.term_key AS cohort_term_key, COUNT(*) AS regular_terms_observed
  FROM dim_term ct
  JOIN dim_term rt ON rt.term_seq >= ct.term_seq
                  AND rt.term_type IN ('FALL', 'SPRING')
                  AND rt.term_key <= (SELECT MAX(term_key) FROM fact_student_term)
  WHERE ct.term_type = 'FALL'
  GROUP BY ct.term_key
)
SELECT
  m.cohort_term_key,
  t.term_name                                   AS cohort_term_name,
  o.regular_terms_observed,
  COUNT(DISTINCT m.student_id)                  AS cohort_size,
  COUNT(DISTINCT g.student_id)                  AS graduates_to_date,
  COUNT(DISTINCT CASE WHEN 2 * g.regular_terms_to_degree <= 3 * g.normal_time_terms
                      THEN g.student_id END)    AS graduates_within_150pct,
  ROUND(CAST(COUNT(DISTINCT CASE WHEN 2 * g.regular_terms_to_degree <= 3 * g.normal_time_terms
                                 THEN g.student_id END) AS DOUBLE)
        / CAST(COUNT(DISTINCT m.student_id) AS DOUBLE), 6) AS grad_rate_150pct
FROM cohort_members m
JOIN dim_term t      ON t.term_key = m.cohort_term_key
JOIN observed o      ON o.cohort_term_key = m.cohort_term_key
LEFT JOIN grads g    ON g.student_id = m.student_id
GROUP BY m.cohort_term_key, t.term_name, o.regular_terms_observed
ORDER BY m.cohort_term_key;
