-- KPI 07: Instructor course-evaluation averages with response rates.
-- Answers: for each instructor and term, the mean overall / instructor / course ratings of the
--   COURSE_EVAL responses to the sections they taught (dim_section.primary_instructor_key),
--   and the response rate = evaluation responses / COMPLETED enrollments in those sections.
--   Sections without a completed enrollment (e.g. the in-progress term) are left out; skipped
--   (NULL) ratings do not count toward an average.
-- Grain: one row per term x instructor (durable instructor_id; rank and department from the
--   dim_instructor version the section points to).
-- Reads: dim_section, fact_enrollment, fact_feedback, dim_instructor, dim_department, dim_term.
WITH completed AS (
  SELECT e.section_key, COUNT(*) AS completed_enrollments
  FROM fact_enrollment e
  WHERE e.enrollment_status = 'COMPLETED'
  GROUP BY e.section_key
),
evals AS (
  SELECT
    f.section_key,
    COUNT(*)                    AS responses,
    SUM(f.overall_rating)       AS overall_sum,
    COUNT(f.overall_rating)     AS overall_n,
    SUM(f.instructor_rating)    AS instructor_sum,
    COUNT(f.instructor_rating)  AS instructor_n,
    SUM(f.course_rating)        AS course_sum,
    COUNT(f.course_rating)      AS course_n
  FROM fact_feedback f
  WHERE f.survey_type = 'COURSE_EVAL'
    AND f.section_key IS NOT NULL
  GROUP BY f.section_key
),
per_section AS (
  SELECT
    s.term_key,
    s.primary_instructor_key            AS instructor_key,
    c.completed_enrollments,
    COALESCE(ev.responses, 0)           AS responses,
    COALESCE(ev.overall_sum, 0)         AS overall_sum,
    COALESCE(ev.overall_n, 0)           AS overall_n,
    COALESCE(ev.instructor_sum, 0)      AS instructor_sum,
    COALESCE(ev.instructor_n, 0)        AS instructor_n,
    COALESCE(ev.course_sum, 0)          AS course_sum,
    COALESCE(ev.course_n, 0)            AS course_n
  FROM dim_section s
  JOIN completed c   ON c.section_key = s.section_key
  LEFT JOIN evals ev ON ev.section_key = s.section_key
  WHERE s.primary_instructor_key IS NOT NULL
)
SELECT
  t.term_key,
  t.term_name,
  i.instructor_id,
  i.academic_rank,
  d.department_code,
  COUNT(*)                          AS sections,
  SUM(ps.completed_enrollments)     AS completed_enrollments,
  SUM(ps.responses)                 AS responses,
  ROUND(CAST(SUM(ps.responses) AS DOUBLE)
        / CAST(SUM(ps.completed_enrollments) AS DOUBLE), 6)                           AS response_rate,
  ROUND(CAST(SUM(ps.overall_sum) AS DOUBLE) / CAST(NULLIF(SUM(ps.overall_n), 0) AS DOUBLE), 6)       AS avg_overall_rating,
  ROUND(CAST(SUM(ps.instructor_sum) AS DOUBLE) / CAST(NULLIF(SUM(ps.instructor_n), 0) AS DOUBLE), 6) AS avg_instructor_rating,
  ROUND(CAST(SUM(ps.course_sum) AS DOUBLE) / CAST(NULLIF(SUM(ps.course_n), 0) AS DOUBLE), 6)         AS avg_course_rating
FROM per_section ps
JOIN dim_instructor i ON i.instructor_key = ps.instructor_key
JOIN dim_department d ON d.department_key = i.department_key
JOIN dim_term t       ON t.term_key = ps.term_key
GROUP BY t.term_key, t.term_name, i.instructor_id, i.academic_rank, d.department_code
ORDER BY t.term_key, i.instructor_id, i.academic_rank, d.department_code;
