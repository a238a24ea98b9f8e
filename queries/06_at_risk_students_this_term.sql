-- KPI 06: At-risk students this term (low attendance, missing work, falling scores).
-- Answers: students enrolled (not dropped/withdrawn) in "this term" = the latest term that has
--   enrollments, with three early-warning flags computed from the term so far:
--   low_attendance  attendance rate (present or tardy / recorded meetings) below 80%;
--   missing_work    at least 20% of the assessments due so far are missing;
--   falling_scores  the average score_pct of the last 3 assessment weeks of the term so far
--                   is at least 10 points below the average of the earlier weeks.
--   Only students with at least one flag are listed, most flags first.
-- Grain: one row per at-risk student (student_id, durable across SCD2 versions).
-- Reads: fact_enrollment, fact_attendance, fact_performance, fact_student_term, dim_program,
--   dim_term.
WITH this_term AS (
  SELECT MAX(term_key) AS term_key FROM fact_enrollment
),
enrolled AS (
  SELECT e.student_id, COUNT(*) AS courses, SUM(e.credit_hours_attempted) AS credits
  FROM fact_enrollment e
  JOIN this_term tt ON tt.term_key = e.term_key
  WHERE e.enrollment_status NOT IN ('DROPPED', 'WITHDRAWN')
  GROUP BY e.student_id
),
att AS (
  SELECT
    a.student_id,
    COUNT(*)                                        AS meetings,
    SUM(CASE WHEN a.is_present THEN 1 ELSE 0 END)   AS present
  FROM fact_attendance a
  JOIN this_term tt ON tt.term_key = a.term_key
  GROUP BY a.student_id
),
last_week AS (
  SELECT MAX(p.week_of_term) AS max_week
  FROM fact_performance p
  JOIN this_term tt ON tt.term_key = p.term_key
),
perf AS (
  SELECT
    p.student_id,
    COUNT(*)                                                      AS items_due,
    SUM(CASE WHEN p.is_missing THEN 1 ELSE 0 END)                 AS missing_items,
    SUM(CASE WHEN p.week_of_term <= lw.max_week - 3 THEN p.score_pct END)   AS early_sum,
    COUNT(CASE WHEN p.week_of_term <= lw.max_week - 3 THEN p.score_pct END) AS early_n,
    SUM(CASE WHEN p.week_of_term > lw.max_week - 3 THEN p.score_pct END)    AS recent_sum,
    COUNT(CASE WHEN p.week_of_term > lw.max_week - 3 THEN p.score_pct END)  AS recent_n
  FROM fact_performance p
  JOIN this_term tt ON tt.term_key = p.term_key
  CROSS JOIN last_week lw
  GROUP BY p.student_id
),
measures AS (
  SELECT
    en.student_id,
    en.courses,
    en.credits,
    att.meetings,
    att.present,
    perf.items_due,
    perf.missing_items,
    CAST(perf.early_sum AS DOUBLE) / CAST(NULLIF(perf.early_n, 0) AS DOUBLE)    AS early_avg,
    CAST(perf.recent_sum AS DOUBLE) / CAST(NULLIF(perf.recent_n, 0) AS DOUBLE)  AS recent_avg
  FROM enrolled en
  LEFT JOIN att  ON att.student_id = en.student_id
  LEFT JOIN perf ON perf.student_id = en.student_id
),
flagged AS (
  SELECT
    m.*,
    COALESCE(m.present * 5 < m.meetings * 4, FALSE)                    AS low_attendance,
    COALESCE(m.missing_items * 5 >= m.items_due, FALSE)                AS missing_work,
    COALESCE(m.recent_avg <= m.early_avg - CAST(10 AS DOUBLE), FALSE)  AS falling_scores
  FROM measures m
)
SELECT
  tt.term_key,
  f.student_id,
  p.program_code,
  st.class_level,
  f.courses,
  f.credits,
  f.meetings,
  ROUND(CAST(f.present AS DOUBLE) / CAST(NULLIF(f.meetings, 0) AS DOUBLE), 6)        AS attendance_rate,
  f.items_due,
  f.missing_items,
  ROUND(CAST(f.missing_items AS DOUBLE) / CAST(NULLIF(f.items_due, 0) AS DOUBLE), 6) AS missing_rate,
  ROUND(f.early_avg, 6)  AS early_avg_score_pct,
  ROUND(f.recent_avg, 6) AS recent_avg_score_pct,
  f.low_attendance,
  f.missing_work,
  f.falling_scores,
  (CASE WHEN f.low_attendance THEN 1 ELSE 0 END)
    + (CASE WHEN f.missing_work THEN 1 ELSE 0 END)
    + (CASE WHEN f.falling_scores THEN 1 ELSE 0 END) AS risk_flags
FROM flagged f
CROSS JOIN this_term tt
LEFT JOIN fact_student_term st ON st.student_id = f.student_id AND st.term_key = tt.term_key
LEFT JOIN dim_program p        ON p.program_key = st.program_key
WHERE f.low_attendance OR f.missing_work OR f.falling_scores
ORDER BY risk_flags DESC, f.student_id;
