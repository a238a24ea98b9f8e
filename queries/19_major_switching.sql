-- KPI 19: Major switching from SCD2 history.
-- Answers: how many students moved from one program (major) to another, read from the SCD2
--   history of dim_student: a switch is a version whose program_key differs from the same
--   student's previous version (LAG by version_no). Switches are dated by the new version's
--   effective_from and grouped by the academic year of that date (dim_date.academic_year,
--   July-June; NULL if the date is outside dim_date) and by from/to program.
-- Grain: one row per academic year x from-program x to-program.
-- Reads: dim_student, dim_program, dim_department, dim_date.
WITH versions AS (
  SELECT
    s.student_id,
    s.version_no,
    s.effective_from,
    s.program_key,
    LAG(s.program_key) OVER (PARTITION BY s.student_id ORDER BY s.version_no) AS prev_program_key
  FROM dim_student s
),
switches AS (
  SELECT v.student_id, v.effective_from, v.prev_program_key AS from_program_key,
         v.program_key AS to_program_key
  FROM versions v
  WHERE v.prev_program_key IS NOT NULL
    AND v.prev_program_key <> v.program_key
)
SELECT
  dd.academic_year,
  fp.program_code                         AS from_program_code,
  fd.department_code                      AS from_department_code,
  tp.program_code                         AS to_program_code,
  td.department_code                      AS to_department_code,
  fd.college_code <> td.college_code      AS crosses_college,
  COUNT(*)                                AS switches,
  COUNT(DISTINCT sw.student_id)           AS students
FROM switches sw
JOIN dim_program fp     ON fp.program_key = sw.from_program_key
JOIN dim_department fd  ON fd.department_key = fp.department_key
JOIN dim_program tp     ON tp.program_key = sw.to_program_key
JOIN dim_department td  ON td.department_key = tp.department_key
LEFT JOIN dim_date dd   ON dd.full_date = sw.effective_from
GROUP BY dd.academic_year, fp.program_code, fd.department_code, tp.program_code,
         td.department_code, fd.college_code, td.college_code
ORDER BY dd.academic_year NULLS LAST, fp.program_code, tp.program_code;
