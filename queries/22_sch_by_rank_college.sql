-- KPI 22: Student credit hours taught by instructor rank and college.
-- Answers: student credit hours (SCH = credit hours attempted of enrollments not DROPPED)
--   per academic year, by the college offering the course and the academic rank of the
--   instructor version on the enrollment (fact_enrollment.instructor_key; 'UNASSIGNED' when
--   none), with sections, distinct instructors and the rank's share of the college's SCH.
-- Grain: one row per academic year x college x academic rank.
-- Reads: fact_enrollment, dim_instructor, dim_department, dim_term.
WITH sch AS (
  SELECT
    t.academic_year,
    d.college_code,
    d.college_name,
    COALESCE(i.academic_rank, 'UNASSIGNED')   AS academic_rank,
    COUNT(DISTINCT e.section_key)             AS sections,
    COUNT(DISTINCT i.instructor_id)           AS instructors,
    COUNT(*)                                  AS enrollments,
    SUM(e.credit_hours_attempted)             AS student_credit_hours
  FROM fact_enrollment e
  JOIN dim_term t            ON t.term_key = e.term_key
  JOIN dim_department d      ON d.department_key = e.department_key
  LEFT JOIN dim_instructor i ON i.instructor_key = e.instructor_key
  WHERE e.enrollment_status <> 'DROPPED'
  GROUP BY t.academic_year, d.college_code, d.college_name, COALESCE(i.academic_rank, 'UNASSIGNED')
),
college_total AS (
  SELECT academic_year, college_code, SUM(student_credit_hours) AS college_sch
  FROM sch
  GROUP BY academic_year, college_code
)
SELECT
  s.academic_year,
  s.college_code,
  s.college_name,
  s.academic_rank,
  s.sections,
  s.instructors,
  s.enrollments,
  s.student_credit_hours,
  ROUND(CAST(s.student_credit_hours AS DOUBLE)
        / CAST(NULLIF(ct.college_sch, 0) AS DOUBLE), 6) AS share_of_college_sch
FROM sch s
JOIN college_total ct ON ct.academic_year = s.academic_year AND ct.college_code = s.college_code
ORDER BY s.academic_year, s.college_code, s.academic_rank;
