-- KPI 09: Top-5 courses by enrollment in each department for a term.
-- Answers: for "this term" (the latest term that has enrollments), the five courses of each
--   department with the most distinct students enrolled (not DROPPED); ties broken by
--   course_id so the ranking is deterministic.
-- Grain: one row per department x rank (1..5).
-- Reads: fact_enrollment, dim_course, dim_department, dim_term.
WITH this_term AS (
  SELECT MAX(term_key) AS term_key FROM fact_enrollment
),
course_enrollment AS (
  SELECT
    e.term_key,
    e.course_key,
    COUNT(DISTINCT e.student_id)    AS enrolled_students,
    COUNT(DISTINCT e.section_key)   AS sections,
    SUM(e.credit_hours_attempted)   AS credit_hours
  FROM fact_enrollment e
  JOIN this_term tt ON tt.term_key = e.term_key
  WHERE e.enrollment_status <> 'DROPPED'
  GROUP BY e.term_key, e.course_key
),
ranked AS (
  SELECT
    ce.term_key,
    c.department_key,
    c.course_id,
    c.course_title,
    ce.enrolled_students,
    ce.sections,
    ce.credit_hours,
    ROW_NUMBER() OVER (PARTITION BY c.department_key
                       ORDER BY ce.enrolled_students DESC, c.course_id ASC) AS rank_in_department
  FROM course_enrollment ce
  JOIN dim_course c ON c.course_key = ce.course_key
)
SELECT
  r.term_key,
  t.term_name,
  d.department_code,
  d.department_name,
  r.rank_in_department,
  r.course_id,
  r.course_title,
  r.enrolled_students,
  r.sections,
  r.credit_hours
FROM ranked r
JOIN dim_department d ON d.department_key = r.department_key
JOIN dim_term t       ON t.term_key = r.term_key
WHERE r.rank_in_department <= 5
ORDER BY d.department_code, r.rank_in_department;
