-- KPI 17: Assessment outcomes by type per course: average score, late and missing rates.
-- Answers: for each course and assessment type (HOMEWORK, QUIZ, LAB, PROJECT, MIDTERM,
--   FINAL_EXAM), over all terms: the number of assessment slots, the average score_pct of
--   scored items, the late rate (late / submitted, i.e. not missing) and the missing rate
--   (missing / all slots).
-- Grain: one row per course x assessment type.
-- Reads: fact_performance, dim_course, dim_department.
SELECT
  c.course_id,
  c.course_title,
  d.department_code,
  p.assessment_type,
  COUNT(*)                                              AS items,
  COUNT(DISTINCT p.student_id)                          AS students,
  COUNT(p.score_pct)                                    AS scored_items,
  ROUND(CAST(SUM(p.score_pct) AS DOUBLE)
        / CAST(NULLIF(COUNT(p.score_pct), 0) AS DOUBLE), 6)                       AS avg_score_pct,
  SUM(CASE WHEN p.is_late THEN 1 ELSE 0 END)            AS late_items,
  ROUND(CAST(SUM(CASE WHEN p.is_late THEN 1 ELSE 0 END) AS DOUBLE)
        / CAST(NULLIF(SUM(CASE WHEN p.is_missing THEN 0 ELSE 1 END), 0) AS DOUBLE), 6) AS late_rate,
  SUM(CASE WHEN p.is_missing THEN 1 ELSE 0 END)         AS missing_items,
  ROUND(CAST(SUM(CASE WHEN p.is_missing THEN 1 ELSE 0 END) AS DOUBLE)
        / CAST(COUNT(*) AS DOUBLE), 6)                                            AS missing_rate
FROM fact_performance p
JOIN dim_course c     ON c.course_key = p.course_key
JOIN dim_department d ON d.department_key = c.department_key
GROUP BY c.course_id, c.course_title, d.department_code, p.assessment_type
ORDER BY c.course_id, p.assessment_type;
