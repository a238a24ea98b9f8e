-- The default rollups: materialized views whose stored states answer the dashboard KPIs
-- of queries/ (EXPLAIN shows `rollup | used public.<name>` for each). An
-- administrator creates them once (`lyceum quickstart` does); every load rebuilds the
-- ones it makes stale in the version it commits.

-- 01_gpa_by_department_term
CREATE MATERIALIZED VIEW IF NOT EXISTS kpi_gpa_department_term AS
SELECT t.term_key, t.term_name, t.academic_year,
       d.college_code, d.department_code, d.department_name,
       COUNT(DISTINCT e.student_id) AS students,
       COUNT(*) AS graded_enrollments,
       SUM(e.credit_hours_attempted) AS gpa_credits,
       SUM(e.grade_points * e.credit_hours_attempted) AS quality_points
FROM fact_enrollment e
JOIN dim_department d ON d.department_key = e.department_key
JOIN dim_term t       ON t.term_key = e.term_key
WHERE e.is_gpa_eligible
  AND e.grade_points IS NOT NULL
  AND e.credit_hours_attempted > 0
GROUP BY t.term_key, t.term_name, t.academic_year,
         d.college_code, d.department_code, d.department_name;

-- 02_dfw_rate_by_course_term
CREATE MATERIALIZED VIEW IF NOT EXISTS kpi_dfw_course_term AS
SELECT e.term_key, e.course_key,
       COUNT(DISTINCT e.student_id) AS students,
       COUNT(*) AS graded_enrollments,
       SUM(CASE WHEN e.is_dfw THEN 1 ELSE 0 END) AS dfw_count
FROM fact_enrollment e
WHERE e.enrollment_status <> 'DROPPED'
  AND e.final_grade IS NOT NULL
GROUP BY e.term_key, e.course_key;

-- 11_unique_headcount_college_year
CREATE MATERIALIZED VIEW IF NOT EXISTS kpi_headcount_college_term AS
SELECT t.academic_year, e.term_key, d.college_code, d.college_name,
       COUNT(DISTINCT e.student_id) AS unique_students,
       COUNT(*) AS enrollments
FROM fact_enrollment e
JOIN dim_term t       ON t.term_key = e.term_key
JOIN dim_department d ON d.department_key = e.department_key
WHERE e.enrollment_status <> 'DROPPED'
GROUP BY t.academic_year, e.term_key, d.college_code, d.college_name;

-- 16_weekly_attendance_by_college
CREATE MATERIALIZED VIEW IF NOT EXISTS kpi_attendance_week_college AS
SELECT t.term_key, t.term_name, d.college_code, d.college_name, dd.week_of_term,
       COUNT(*) AS attendance_records,
       SUM(CASE WHEN a.is_present THEN 1 ELSE 0 END) AS present_records,
       COUNT(DISTINCT a.student_id) AS students
FROM fact_attendance a
JOIN dim_date dd      ON dd.date_key = a.date_key
JOIN dim_course c     ON c.course_key = a.course_key
JOIN dim_department d ON d.department_key = c.department_key
JOIN dim_term t       ON t.term_key = a.term_key
GROUP BY t.term_key, t.term_name, d.college_code, d.college_name, dd.week_of_term;

-- 17_assessment_outcomes_by_type
CREATE MATERIALIZED VIEW IF NOT EXISTS kpi_assessment_course_type AS
SELECT c.course_id, c.course_title, d.department_code, p.assessment_type,
       COUNT(*) AS items,
       COUNT(DISTINCT p.student_id) AS students,
       COUNT(p.score_pct) AS scored_items,
       SUM(p.score_pct) AS score_pct_sum,
       SUM(CASE WHEN p.is_late THEN 1 ELSE 0 END) AS late_items,
       SUM(CASE WHEN p.is_missing THEN 0 ELSE 1 END) AS submitted_items,
       SUM(CASE WHEN p.is_missing THEN 1 ELSE 0 END) AS missing_items
FROM fact_performance p
JOIN dim_course c     ON c.course_key = p.course_key
JOIN dim_department d ON d.department_key = c.department_key
GROUP BY c.course_id, c.course_title, d.department_code, p.assessment_type;

-- 21_class_size_distribution
CREATE MATERIALIZED VIEW IF NOT EXISTS kpi_section_size AS
SELECT s.term_key, s.section_key, COUNT(DISTINCT e.student_id) AS class_size
FROM fact_enrollment e
JOIN dim_section s ON s.section_key = e.section_key
WHERE e.enrollment_status <> 'DROPPED'
GROUP BY s.term_key, s.section_key;
