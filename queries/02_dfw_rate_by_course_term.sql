-- KPI 02: DFW rate (D, F, withdraw) per course per term, worst first, courses with >= 20 students.
-- Answers: the share of graded enrollments that ended in D+/D/D-/F/W/WF (fact_enrollment.is_dfw)
--   for every course offering with at least 20 distinct graded students.
--   Denominator: enrollments not DROPPED and with a final grade (so the in-progress term,
--   which has no final grades yet, never appears).
-- Grain: one row per course x term; ordered by DFW rate descending, then term, then course.
-- Reads: fact_enrollment, dim_course, dim_department, dim_term.
WITH graded AS (
  SELECT e.term_key, e.course_key, e.student_id, e.is_dfw
  FROM fact_enrollment e
  WHERE e.enrollment_status <> 'DROPPED'
    AND e.final_grade IS NOT NULL
),
per_course AS (
  SELECT
    g.term_key,
    g.course_key,
    COUNT(DISTINCT g.student_id)                  AS students,
    COUNT(*)                                      AS graded_enrollments,
    SUM(CASE WHEN g.is_dfw THEN 1 ELSE 0 END)     AS dfw_count
  FROM graded g
  GROUP BY g.term_key, g.course_key
  HAVING COUNT(DISTINCT g.student_id) >= 20
)
SELECT
  t.term_key,
  t.term_name,
  c.course_id,
  c.course_title,
  d.department_code,
  pc.students,
  pc.graded_enrollments,
  pc.dfw_count,
  ROUND(CAST(pc.dfw_count AS DOUBLE) / CAST(pc.graded_enrollments AS DOUBLE), 6) AS dfw_rate
FROM per_course pc
JOIN dim_course c     ON c.course_key = pc.course_key
JOIN dim_department d ON d.department_key = c.department_key
JOIN dim_term t       ON t.term_key = pc.term_key
ORDER BY CAST(pc.dfw_count AS DOUBLE) / CAST(pc.graded_enrollments AS DOUBLE) DESC,
         t.term_key, c.course_id;
