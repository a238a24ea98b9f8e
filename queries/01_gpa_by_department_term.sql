-- KPI 01: Credit-weighted GPA by department and term.
-- Answers: the grade point average of each department's courses in each term, weighting
--   every grade by the credit hours attempted (sum(grade_points * credits) / sum(credits)).
--   Only GPA-eligible letter grades count (is_gpa_eligible, grade_points not NULL): W, I, P,
--   NP and the in-progress term's missing grades are excluded; WF counts as 0.00.
-- Grain: one row per term x department (the course's department) with graded credits.
-- Reads: fact_enrollment, dim_department, dim_term.
SELECT
  t.term_key,
  t.term_name,
  t.academic_year,
  d.college_code,
  d.department_code,
  d.department_name,
  COUNT(DISTINCT e.student_id)                         AS students,
  COUNT(*)                                             AS graded_enrollments,
  SUM(e.credit_hours_attempted)                        AS gpa_credits,
  SUM(e.grade_points * e.credit_hours_attempted)       AS quality_points,
  ROUND(CAST(SUM(e.grade_points * e.credit_hours_attempted) AS DOUBLE)
        / CAST(SUM(e.credit_hours_attempted) AS DOUBLE), 6) AS gpa
FROM fact_enrollment e
JOIN dim_department d ON d.department_key = e.department_key
JOIN dim_term t       ON t.term_key = e.term_key
WHERE e.is_gpa_eligible
  AND e.grade_points IS NOT NULL
  AND e.credit_hours_attempted > 0
GROUP BY t.term_key, t.term_name, t.academic_year,
         d.college_code, d.department_code, d.department_name
ORDER BY t.term_key, d.department_code;
