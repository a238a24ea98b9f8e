-- KPI 20: Point-in-time headcount by major at each fall census (SCD2 ranges).
-- Answers: at each fall term's census_date (falls up to the latest term with enrollments), the
--   number of distinct students whose dim_student version valid on that date
--   (effective_from <= census_date < effective_to) has enrollment_status 'ACTIVE', by that
--   version's program (major) - i.e. the major as it was on census day, not today.
-- Grain: one row per fall term x program.
-- Reads: dim_term, dim_student, dim_program, dim_department, fact_enrollment (latest term).
WITH census AS (
  SELECT t.term_key, t.term_name, t.census_date
  FROM dim_term t
  WHERE t.term_type = 'FALL'
    AND t.term_key <= (SELECT MAX(term_key) FROM fact_enrollment)
)
SELECT
  c.term_key,
  c.term_name,
  c.census_date,
  p.program_code,
  p.program_name,
  p.degree_level,
  d.department_code,
  COUNT(DISTINCT s.student_id) AS headcount
FROM census c
JOIN dim_student s
  ON s.effective_from <= c.census_date
 AND c.census_date < s.effective_to
JOIN dim_program p    ON p.program_key = s.program_key
JOIN dim_department d ON d.department_key = p.department_key
WHERE s.enrollment_status = 'ACTIVE'
GROUP BY c.term_key, c.term_name, c.census_date, p.program_code, p.program_name,
         p.degree_level, d.department_code
ORDER BY c.term_key, p.program_code, p.program_name;
