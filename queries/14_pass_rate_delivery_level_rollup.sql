-- KPI 14: Pass rate by delivery mode and course level with subtotals.
-- Answers: the share of graded enrollments (not DROPPED, final grade present) that passed
--   (fact_enrollment.is_pass: A..D- or P), by section delivery mode and course level
--   (1000, 2000, ...), with a subtotal per delivery mode and a grand total (ROLLUP).
--   Subtotal rows have NULL in the rolled-up column(s); is_mode_total / is_level_total are
--   the GROUPING() flags (1 = rolled up).
-- Grain: one row per delivery mode x course level, plus per-mode subtotals and a grand total.
-- Reads: fact_enrollment, dim_section, dim_course.
WITH graded AS (
  SELECT s.delivery_mode, c.course_level, e.is_pass
  FROM fact_enrollment e
  JOIN dim_section s ON s.section_key = e.section_key
  JOIN dim_course c  ON c.course_key = e.course_key
  WHERE e.enrollment_status <> 'DROPPED'
    AND e.final_grade IS NOT NULL
),
rolled AS (
  SELECT
    GROUPING(g.delivery_mode)                    AS is_mode_total,
    GROUPING(g.course_level)                     AS is_level_total,
    g.delivery_mode,
    g.course_level,
    COUNT(*)                                     AS graded_enrollments,
    SUM(CASE WHEN g.is_pass THEN 1 ELSE 0 END)   AS passed
  FROM graded g
  GROUP BY ROLLUP (g.delivery_mode, g.course_level)
)
SELECT
  r.delivery_mode,
  r.course_level,
  r.is_mode_total,
  r.is_level_total,
  r.graded_enrollments,
  r.passed,
  ROUND(CAST(r.passed AS DOUBLE) / CAST(r.graded_enrollments AS DOUBLE), 6) AS pass_rate
FROM rolled r
ORDER BY r.is_mode_total, r.delivery_mode NULLS LAST, r.is_level_total, r.course_level NULLS LAST;
