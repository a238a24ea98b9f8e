-- KPI 03: Attendance rate vs final grade: correlation per course and term.
-- Answers: for each course offering, the Pearson correlation between a student's attendance
--   rate in the section (present or tardy / recorded meetings) and the final grade's grade
--   points, over graded, GPA-eligible enrollments in sections that take attendance.
--   The correlation is NULL when either side has no variance (a single distinct value).
-- Grain: one row per course x term with at least 5 such enrollments.
-- Reads: fact_attendance, fact_enrollment, dim_course, dim_term.
WITH att AS (
  SELECT
    a.student_id,
    a.section_key,
    COUNT(*)                                        AS meetings,
    SUM(CASE WHEN a.is_present THEN 1 ELSE 0 END)   AS present
  FROM fact_attendance a
  GROUP BY a.student_id, a.section_key
),
pairs AS (
  SELECT
    e.term_key,
    e.course_key,
    CAST(att.present AS DOUBLE) / CAST(att.meetings AS DOUBLE) AS attendance_rate,
    CAST(e.grade_points AS DOUBLE)                             AS grade_points
  FROM fact_enrollment e
  JOIN att ON att.student_id = e.student_id AND att.section_key = e.section_key
  WHERE e.is_gpa_eligible
    AND e.grade_points IS NOT NULL
)
SELECT
  t.term_key,
  t.term_name,
  c.course_id,
  c.course_title,
  COUNT(*)                              AS enrollments,
  ROUND(AVG(p.attendance_rate), 6)      AS avg_attendance_rate,
  ROUND(AVG(p.grade_points), 6)         AS avg_grade_points,
  ROUND(CASE WHEN COUNT(DISTINCT p.attendance_rate) > 1 AND COUNT(DISTINCT p.grade_points) > 1
             THEN corr(p.attendance_rate, p.grade_points) END, 6) AS attendance_grade_corr
FROM pairs p
JOIN dim_course c ON c.course_key = p.course_key
JOIN dim_term t   ON t.term_key = p.term_key
GROUP BY t.term_key, t.term_name, c.course_id, c.course_title
HAVING COUNT(*) >= 5
ORDER BY t.term_key, c.course_id;
