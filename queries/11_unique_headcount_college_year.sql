-- KPI 11: Unique student headcount by college and academic year (distinct students).
-- Answers: how many distinct students (durable student_id, so SCD2 versions and multiple
--   courses count once) took at least one course (not DROPPED) taught by each college in each
--   academic year (dim_term.academic_year). Not additive across colleges or terms.
-- Grain: one row per academic year x college.
-- Reads: fact_enrollment, dim_department, dim_term.
SELECT
  t.academic_year,
  d.college_code,
  d.college_name,
  COUNT(DISTINCT e.student_id)   AS unique_students,
  COUNT(*)                       AS enrollments,
  COUNT(DISTINCT e.term_key)     AS terms
FROM fact_enrollment e
JOIN dim_term t       ON t.term_key = e.term_key
JOIN dim_department d ON d.department_key = e.department_key
WHERE e.enrollment_status <> 'DROPPED'
GROUP BY t.academic_year, d.college_code, d.college_name
ORDER BY t.academic_year, d.college_code;
