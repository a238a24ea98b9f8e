-- KPI 13: Students whose term GPA dropped by >= 1.0 from the previous term.
-- Answers: every student-term whose term GPA is at least 1.00 below the same student's term
--   GPA in their previous term with a GPA (LAG over fact_student_term, terms without a GPA
--   such as the in-progress term are skipped). Compared exactly, in DECIMAL.
-- Grain: one row per student x term with such a drop.
-- Reads: fact_student_term, dim_program, dim_term.
WITH gpa AS (
  SELECT
    st.student_id,
    st.term_key,
    st.program_key,
    st.class_level,
    st.academic_standing,
    st.term_gpa,
    LAG(st.term_gpa) OVER (PARTITION BY st.student_id ORDER BY st.term_key) AS prev_term_gpa,
    LAG(st.term_key) OVER (PARTITION BY st.student_id ORDER BY st.term_key) AS prev_term_key
  FROM fact_student_term st
  WHERE st.term_gpa IS NOT NULL
)
SELECT
  g.term_key,
  t.term_name,
  g.student_id,
  p.program_code,
  g.class_level,
  g.academic_standing,
  g.prev_term_key,
  g.prev_term_gpa,
  g.term_gpa,
  g.prev_term_gpa - g.term_gpa AS gpa_drop
FROM gpa g
JOIN dim_term t    ON t.term_key = g.term_key
JOIN dim_program p ON p.program_key = g.program_key
WHERE g.prev_term_gpa - g.term_gpa >= CAST(1.00 AS DECIMAL(3,2))
ORDER BY g.term_key, g.student_id;
