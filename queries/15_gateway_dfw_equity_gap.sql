-- KPI 15: Equity gap: gateway-course DFW by first-generation and Pell status.
-- Answers: the DFW rate in gateway courses (dim_course.is_gateway) for each combination of
--   first-generation and Pell status (from the dim_student version the enrollment points to),
--   per academic year, and the gap in rate versus the reference group (neither first-gen nor
--   Pell) of the same year. Denominator: graded enrollments (not DROPPED, final grade present).
-- Grain: one row per academic year x is_first_generation x is_pell_recipient.
-- Reads: fact_enrollment, dim_course, dim_student, dim_term.
WITH graded AS (
  SELECT
    t.academic_year,
    s.is_first_generation,
    s.is_pell_recipient,
    e.student_id,
    e.is_dfw
  FROM fact_enrollment e
  JOIN dim_course c  ON c.course_key = e.course_key
  JOIN dim_student s ON s.student_key = e.student_key
  JOIN dim_term t    ON t.term_key = e.term_key
  WHERE c.is_gateway
    AND e.enrollment_status <> 'DROPPED'
    AND e.final_grade IS NOT NULL
),
rates AS (
  SELECT
    g.academic_year,
    g.is_first_generation,
    g.is_pell_recipient,
    COUNT(DISTINCT g.student_id)                     AS students,
    COUNT(*)                                         AS graded_enrollments,
    SUM(CASE WHEN g.is_dfw THEN 1 ELSE 0 END)        AS dfw_count,
    CAST(SUM(CASE WHEN g.is_dfw THEN 1 ELSE 0 END) AS DOUBLE) / CAST(COUNT(*) AS DOUBLE) AS dfw_rate
  FROM graded g
  GROUP BY g.academic_year, g.is_first_generation, g.is_pell_recipient
)
SELECT
  r.academic_year,
  r.is_first_generation,
  r.is_pell_recipient,
  r.students,
  r.graded_enrollments,
  r.dfw_count,
  ROUND(r.dfw_rate, 6)                  AS dfw_rate,
  ROUND(ref.dfw_rate, 6)                AS reference_dfw_rate,
  ROUND(r.dfw_rate - ref.dfw_rate, 6)   AS gap_vs_reference
FROM rates r
LEFT JOIN rates ref
  ON ref.academic_year = r.academic_year
 AND ref.is_first_generation = FALSE
 AND ref.is_pell_recipient = FALSE
ORDER BY r.academic_year, r.is_first_generation, r.is_pell_recipient;
