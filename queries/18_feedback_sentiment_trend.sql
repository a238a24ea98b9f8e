-- KPI 18: Feedback sentiment trend by department and term.
-- Answers: for course-evaluation responses (fact_feedback, survey_type COURSE_EVAL), per
--   department of the evaluated course and term: responses, mean sentiment_score, the shares
--   of POSITIVE / NEUTRAL / NEGATIVE labels, and the change in mean sentiment versus the
--   department's previous term with responses (LAG).
-- Grain: one row per department x term with course-evaluation responses.
-- Reads: fact_feedback, dim_course, dim_department, dim_term.
WITH dept_term AS (
  SELECT
    f.term_key,
    c.department_key,
    COUNT(*)                                                       AS responses,
    COUNT(f.sentiment_score)                                       AS scored_responses,
    ROUND(AVG(f.sentiment_score), 6)                               AS avg_sentiment,
    SUM(CASE WHEN f.sentiment_label = 'POSITIVE' THEN 1 ELSE 0 END) AS positive,
    SUM(CASE WHEN f.sentiment_label = 'NEUTRAL'  THEN 1 ELSE 0 END) AS neutral,
    SUM(CASE WHEN f.sentiment_label = 'NEGATIVE' THEN 1 ELSE 0 END) AS negative
  FROM fact_feedback f
  JOIN dim_course c ON c.course_key = f.course_key
  WHERE f.survey_type = 'COURSE_EVAL'
  GROUP BY f.term_key, c.department_key
)
SELECT
  t.term_key,
  t.term_name,
  d.department_code,
  d.department_name,
  dt.responses,
  dt.scored_responses,
  dt.avg_sentiment,
  ROUND(CAST(dt.positive AS DOUBLE) / CAST(dt.responses AS DOUBLE), 6) AS positive_share,
  ROUND(CAST(dt.neutral  AS DOUBLE) / CAST(dt.responses AS DOUBLE), 6) AS neutral_share,
  ROUND(CAST(dt.negative AS DOUBLE) / CAST(dt.responses AS DOUBLE), 6) AS negative_share,
  ROUND(dt.avg_sentiment - LAG(dt.avg_sentiment) OVER (PARTITION BY d.department_code
                                                       ORDER BY t.term_key), 6) AS sentiment_change
FROM dept_term dt
JOIN dim_department d ON d.department_key = dt.department_key
JOIN dim_term t       ON t.term_key = dt.term_key
ORDER BY t.term_key, d.department_code;
