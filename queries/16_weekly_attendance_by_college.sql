-- KPI 16: Weekly attendance rate through the term by college.
-- Answers: for each term and college (of the course), the attendance rate in each week of the
--   term (dim_date.week_of_term of the meeting date): present or tardy records / all
--   attendance records, plus the number of records and distinct students.
-- Grain: one row per term x college x week of term.
-- Reads: fact_attendance, dim_date, dim_course, dim_department, dim_term.
SELECT
  t.term_key,
  t.term_name,
  d.college_code,
  d.college_name,
  dd.week_of_term,
  COUNT(*)                                          AS attendance_records,
  SUM(CASE WHEN a.is_present THEN 1 ELSE 0 END)     AS present_records,
  COUNT(DISTINCT a.student_id)                      AS students,
  ROUND(CAST(SUM(CASE WHEN a.is_present THEN 1 ELSE 0 END) AS DOUBLE)
        / CAST(COUNT(*) AS DOUBLE), 6)              AS attendance_rate
FROM fact_attendance a
JOIN dim_date dd      ON dd.date_key = a.date_key
JOIN dim_course c     ON c.course_key = a.course_key
JOIN dim_department d ON d.department_key = c.department_key
JOIN dim_term t       ON t.term_key = a.term_key
GROUP BY t.term_key, t.term_name, d.college_code, d.college_name, dd.week_of_term
ORDER BY t.term_key, d.college_code, dd.week_of_term NULLS LAST;
